// The synthetic kernel: CPUs and tasks, the clock, functions and
// tracepoints with ground truth, memory, and the KernelEnv the VM's helpers
// use. Workloads drive it by calling functions on a CPU as a task.
import type { Btf } from "../btf/btf.js";
import type { KernelEnv, TaskInfo } from "../vm/env.js";
import { BtfKind } from "../btf/kinds.js";
import { findMember } from "../btf/members.js";
import { Clock } from "./clock.js";
import { KernelMemory } from "./memory/index.js";
import { FunctionTable, type KernelFunction } from "./functions.js";
import { Rng } from "./rng.js";
import { standardTracepoints } from "./tracepoint-defs.js";
import { TracepointTable, type TracepointDef } from "./tracepoints.js";
import { TaskTable, type Task } from "./tasks.js";

export interface KernelOptions {
  /** Seed of every random choice (same seed, same run). */
  seed?: number;
  nrCpus?: number;
  btf: Btf;
}

/** One kallsyms line: address, symbol type ('T' global text, 't' static), name. */
export interface Kallsym {
  address: bigint;
  type: "T" | "t";
  name: string;
  btfId: number | undefined;
}

export class Kernel {
  readonly btf: Btf;
  readonly clock = new Clock();
  readonly rng: Rng;
  readonly tasks: TaskTable;
  readonly functions = new FunctionTable();
  readonly tracepoints = new TracepointTable();
  /** Kernel objects (slab caches by BTF type), text, and each process's user memory. */
  readonly memory: KernelMemory;
  /** CPU the current call runs on. */
  cpu = 0;
  /** Lines written by bpf_trace_printk. */
  readonly tracePipe: string[] = [];

  constructor(options: KernelOptions) {
    this.btf = options.btf;
    this.rng = new Rng(options.seed ?? 1);
    this.tasks = new TaskTable(options.nrCpus ?? 4);
    this.memory = new KernelMemory(options.btf);
    for (const tp of standardTracepoints()) this.tracepoints.register(tp);
  }

  /**
   * Starts a process (or a thread of `tgid`): a Task plus its task_struct in
   * kernel memory with pid, tgid and comm filled in (when the BTF has them).
   */
  spawn(comm: string, parent = 0, options: { tgid?: number; uid?: number; gid?: number; cpu?: number } = {}): Task {
    const t = this.tasks.spawn(comm, parent, options);
    const ts = this.btf.findByNameKind("task_struct", BtfKind.STRUCT);
    if (ts !== undefined) {
      t.taskAddress = this.memory.alloc(ts);
      const set = (field: string, v: bigint) => {
        if (findMember(this.btf, ts, field)) this.memory.writeField(t.taskAddress, ts, field, v);
      };
      set("pid", BigInt(t.pid));
      set("tgid", BigInt(t.tgid));
      if (findMember(this.btf, ts, "comm")) this.memory.writeString(t.taskAddress, ts, "comm", t.comm);
    }
    return t;
  }

  /** The task running on the current CPU. */
  current(): Task {
    return this.tasks.cpus[this.cpu]!.current;
  }

  /** Calls a function as the current task on the current CPU. */
  call(fn: KernelFunction, args: readonly bigint[]): bigint {
    return this.functions.call(fn, args, this.cpu, this.current().pid);
  }

  /** Calls the (first) function with this name. */
  callByName(name: string, args: readonly bigint[]): bigint {
    const fn = this.functions.named(name)[0];
    if (!fn) throw new RangeError(`no kernel function '${name}'`);
    return this.call(fn, args);
  }

  /** Fires a tracepoint from the current CPU and task. */
  fire(tp: TracepointDef, values: Readonly<Record<string, bigint | string>>, args: readonly bigint[] = []): void {
    this.tracepoints.fire(tp, values, args, this.cpu, this.current().pid);
  }

  /**
   * Ground truth for a trace target, by the name its link attaches to: a
   * function's calls (the first function with the name, as a link picks
   * it), a tracepoint's hits by `category:name`, or a raw tracepoint's by its
   * bare event name. Without `kind` the name's form decides: `cat:name` is a
   * tracepoint, a function name a function, another event name a raw
   * tracepoint. 0 for unknown names.
   */
  groundTruth(name: string, kind?: "function" | "tracepoint" | "raw_tp"): number {
    const asFunction = (): number => {
      const fn = this.functions.named(name)[0];
      return fn ? this.functions.countsOf(fn).calls : 0;
    };
    switch (kind ?? (name.includes(":") ? "tracepoint" : this.functions.named(name).length ? "function" : "raw_tp")) {
      case "function":
        return asFunction();
      case "tracepoint": {
        const colon = name.indexOf(":");
        const tp = colon < 0 ? undefined : this.tracepoints.get(name.slice(0, colon), name.slice(colon + 1));
        return tp ? this.tracepoints.hits(tp) : 0;
      }
      case "raw_tp": {
        const tp = this.tracepoints.named(name);
        return tp ? this.tracepoints.hits(tp) : 0;
      }
    }
  }

  /** /proc/kallsyms: every function, in address order. */
  kallsyms(): Kallsym[] {
    return this.functions.all().map((f) => ({ address: f.address, type: f.isStatic ? "t" : "T", name: f.name, btfId: f.btfId }));
  }

  /** What the VM's helpers need from this kernel. */
  env(): KernelEnv {
    return {
      readKernel: (dst, addr) => this.memory.readKernel(dst, addr),
      readUser: (dst, addr) => this.memory.readUser(this.current().tgid, dst, addr),
      ktimeNs: () => this.clock.now(),
      bootNs: () => this.clock.boot(),
      currentTask: (): TaskInfo => {
        const t = this.current();
        return { pid: t.pid, tgid: t.tgid, uid: t.uid, gid: t.gid, comm: t.comm, taskAddress: t.taskAddress };
      },
      cpu: () => this.cpu,
      nrCpus: () => this.tasks.cpus.length,
      tracePrintk: (line) => void this.tracePipe.push(line),
      symbolize: (addr) => this.functions.at(addr)?.name ?? this.memory.symbolize(addr),
      kernelStack: () => this.functions.kernelStack(),
    };
  }
}
