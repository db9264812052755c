// The synthetic kernel: CPUs and tasks, the clock, functions and
// tracepoints with ground truth, memory, and the KernelEnv the VM's helpers
// use. Workloads drive it by calling functions on a CPU as a task.
import type { Btf } from "../btf/btf.js";
import type { KernelEnv, TaskInfo } from "../vm/env.js";
import { Clock } from "./clock.js";
import { FunctionTable, type KernelFunction } from "./functions.js";
import { Rng } from "./rng.js";
import { standardTracepoints } from "./tracepoint-defs.js";
import { TracepointTable, type TracepointDef } from "./tracepoints.js";
import { TaskTable, type Task } from "./tasks.js";

/** Kernel and user memory as the helpers see it (implemented by the memory model). */
export interface KernelMemoryAccess {
  readKernel(dst: Uint8Array, addr: bigint): number;
  readUser(pid: number, dst: Uint8Array, addr: bigint): number;
}

export interface KernelOptions {
  /** Seed of every random choice (same seed, same run). */
  seed?: number;
  nrCpus?: number;
  btf: Btf;
  memory?: KernelMemoryAccess;
}

/** One kallsyms line: address, symbol type ('T' global text, 't' static), name. */
export interface Kallsym {
  address: bigint;
  type: "T" | "t";
  name: string;
  btfId: number | undefined;
}

const EFAULT = 14;

export class Kernel {
  readonly btf: Btf;
  readonly clock = new Clock();
  readonly rng: Rng;
  readonly tasks: TaskTable;
  readonly functions = new FunctionTable();
  readonly tracepoints = new TracepointTable();
  readonly memory: KernelMemoryAccess | undefined;
  /** CPU the current call runs on. */
  cpu = 0;
  /** Lines written by bpf_trace_printk. */
  readonly tracePipe: string[] = [];

  constructor(options: KernelOptions) {
    this.btf = options.btf;
    this.rng = new Rng(options.seed ?? 1);
    this.tasks = new TaskTable(options.nrCpus ?? 4);
    this.memory = options.memory;
    for (const tp of standardTracepoints()) this.tracepoints.register(tp);
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

  /** /proc/kallsyms: every function, in address order. */
  kallsyms(): Kallsym[] {
    return this.functions.all().map((f) => ({ address: f.address, type: f.isStatic ? "t" : "T", name: f.name, btfId: f.btfId }));
  }

  /** What the VM's helpers need from this kernel. */
  env(): KernelEnv {
    return {
      readKernel: (dst, addr) => (this.memory ? this.memory.readKernel(dst, addr) : (dst.fill(0), -EFAULT)),
      readUser: (dst, addr) => (this.memory ? this.memory.readUser(this.current().pid, dst, addr) : (dst.fill(0), -EFAULT)),
      ktimeNs: () => this.clock.now(),
      bootNs: () => this.clock.boot(),
      currentTask: (): TaskInfo => {
        const t = this.current();
        return { pid: t.pid, tgid: t.tgid, uid: t.uid, gid: t.gid, comm: t.comm, taskAddress: t.taskAddress };
      },
      cpu: () => this.cpu,
      nrCpus: () => this.tasks.cpus.length,
      tracePrintk: (line) => void this.tracePipe.push(line),
      symbolize: (addr) => {
        const fn = this.functions.at(addr);
        return fn?.name;
      },
    };
  }
}
