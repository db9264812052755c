// The synthetic kernel: CPUs and tasks, the clock, functions and
// tracepoints with ground truth, memory, and the KernelEnv the VM's helpers
// use. Workloads drive it by calling functions on a CPU as a task. Its
// kallsyms lists the functions and the image's variables (kernel-data.ts):
// init_task (swapper/0's task_struct), jiffies, nr_cpu_ids, linux_banner.
import type { Btf } from "../btf/btf.js";
import type { KernelEnv, TaskInfo } from "../vm/env.js";
import { BtfKind } from "../btf/kinds.js";
import { findMember } from "../btf/members.js";
import { Clock } from "./clock.js";
import { KernelMemory } from "./memory/index.js";
import { FunctionTable, type KernelFunction } from "./functions.js";
import { Rng } from "./rng.js";
import { standardTracepoints } from "./tracepoint-defs/index.js";
import { TracepointTable, type TracepointDef, type TracepointValue } from "./tracepoints.js";
import { TaskTable, type SpawnOptions, type Task } from "./tasks.js";
import { KernelData, type DataSymbol } from "./kernel-data.js";
import { sizeOf } from "../btf/layout.js";

export interface KernelOptions {
  /** Seed of every random choice (same seed, same run). */
  seed?: number;
  nrCpus?: number;
  btf: Btf;
}

/** One kallsyms line: address, symbol type ('T'/'t' text, 'D'/'d' data, 'B'/'b' bss, 'R'/'r' read-only data; lower case static), name. */
export interface Kallsym {
  address: bigint;
  type: "T" | "t" | DataSymbol["type"];
  name: string;
  btfId: number | undefined;
}

/** The release linux_banner names (the same as src/syscall/kconfig.ts's KERNEL_RELEASE, which LINUX_KERNEL_VERSION is made from). */
export const KERNEL_RELEASE = "6.6.0-btfsnoop";
/** linux_banner, as init/version.c prints it (the kernel logs it first at boot, /proc/version shows it). */
export const LINUX_BANNER = `Linux version ${KERNEL_RELEASE} (btfsnoop@btfsnoop) (synthetic) #1 SMP PREEMPT_DYNAMIC\n`;
/** CONFIG_HZ (as src/syscall/kconfig.ts says): jiffies per second. */
export const HZ = 250n;
/** INITIAL_JIFFIES: jiffies starts 300 s before wrapping its low 32 bits, as in Linux (the 64-bit value is 2^32 - 300 * HZ). */
export const INITIAL_JIFFIES = (1n << 32n) - 300n * HZ;

/** PF_IDLE and PF_KTHREAD (task_struct.flags): an idle task, a kernel thread. */
const PF_IDLE = 0x2n;
const PF_KTHREAD = 0x00200000n;
/** The signal a process's exit sends its parent. */
const SIGCHLD = 17n;

/** _NSIG: the highest signal number. */
const NSIG = 64;
/** The cgroup v2 root's id: the model has no cgroup hierarchy, so every task is in the root cgroup. */
export const ROOT_CGROUP_ID = 1n;

/** A signal a BPF program sent to the task it ran on. */
export interface SentSignal {
  readonly pid: number;
  readonly tgid: number;
  readonly sig: number;
  /** bpf_send_signal_thread: to the thread only, not its whole process. */
  readonly thread: boolean;
  /** Boot clock time it was sent at (ns). */
  readonly ns: bigint;
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
  /** Signals BPF programs sent (bpf_send_signal / bpf_send_signal_thread), oldest first. */
  readonly signalsSent: SentSignal[] = [];
  /** The image's variables (.rodata, .data, .bss): the data symbols of kallsyms. */
  readonly data: KernelData;
  /** Address of `jiffies` (kept current on reads through env().readKernel). */
  private readonly jiffiesAddr: bigint;

  constructor(options: KernelOptions) {
    this.btf = options.btf;
    this.rng = new Rng(options.seed ?? 1);
    this.tasks = new TaskTable(options.nrCpus ?? 4);
    this.memory = new KernelMemory(options.btf);
    for (const tp of standardTracepoints()) this.tracepoints.register(tp);
    // The image's variables, outside the slab area, so no slab address depends on them.
    this.data = new KernelData(this.memory.kernel);
    const ts = this.btf.findByNameKind("task_struct", BtfKind.STRUCT);
    if (ts !== undefined) {
      // init_task is swapper/0's task_struct in .data; the other CPUs' idle tasks follow it (Linux forks them from slab at boot).
      const size = sizeOf(this.btf, ts);
      this.tasks.idle.forEach((t, cpu) => {
        t.taskAddress = this.data.place("data", cpu === 0 ? "init_task" : undefined, size, { align: 64 });
        this.fillTaskStruct(t, ts);
      });
    }
    this.jiffiesAddr = this.data.place("data", "jiffies", 8);
    this.refreshJiffies();
    const cpus = new Uint8Array(4);
    new DataView(cpus.buffer).setUint32(0, this.tasks.cpus.length, true);
    this.data.place("data", "nr_cpu_ids", 4, { align: 4, init: cpus });
    const banner = new TextEncoder().encode(LINUX_BANNER + "\0");
    this.data.place("rodata", "linux_banner", banner.length, { align: 32, init: banner });
  }

  /**
   * Fills `t`'s task_struct as copy_process leaves it (the fields the BTF
   * has): pid, tgid, comm; real_parent and parent (the forking task, init_task
   * for pid 1 and the idle tasks), group_leader (the thread group's first
   * task), the children/sibling lists (a child is added to the tail of its
   * parent's children), prio 120 (nice 0), PF_KTHREAD (and PF_IDLE for the
   * idle tasks), exit_signal (SIGCHLD for a process, -1 for a thread),
   * usage 1, and the start times.
   */
  private fillTaskStruct(t: Task, ts: number): void {
    const has = (field: string) => findMember(this.btf, ts, field) !== undefined;
    const set = (field: string, v: bigint) => {
      if (has(field.split(".")[0]!)) this.memory.writeField(t.taskAddress, ts, field, v);
    };
    set("pid", BigInt(t.pid));
    set("tgid", BigInt(t.tgid));
    if (has("comm")) this.memory.writeString(t.taskAddress, ts, "comm", t.comm);
    const initTask = this.tasks.idle[0]!;
    const parent = t.pid === 0 ? initTask : (this.tasks.get(t.parent) ?? initTask);
    const leader = t.tgid === t.pid ? t : (this.tasks.get(t.tgid) ?? t);
    set("real_parent", parent.taskAddress);
    set("parent", parent.taskAddress);
    set("group_leader", leader.taskAddress);
    for (const f of ["prio", "static_prio", "normal_prio"]) set(f, 120n);
    set("flags", t.pid === 0 ? PF_IDLE | PF_KTHREAD : t.kthread ? PF_KTHREAD : 0n);
    set("exit_signal", t.tgid === t.pid ? SIGCHLD : -1n);
    set("usage.refs.counter", 1n);
    set("start_time", this.clock.now());
    set("start_boottime", this.clock.boot());
    if (has("children") && has("sibling")) {
      const children = t.taskAddress + BigInt(this.memory.objects.field(ts, "children").byteOffset);
      const sibling = t.taskAddress + BigInt(this.memory.objects.field(ts, "sibling").byteOffset);
      this.listInit(children);
      // The idle tasks are nobody's children (init_task is its own parent).
      if (t.pid === 0) this.listInit(sibling);
      else this.listAddTail(sibling, parent.taskAddress + BigInt(this.memory.objects.field(ts, "children").byteOffset));
    }
  }

  /** INIT_LIST_HEAD: an empty list points at itself. */
  private listInit(head: bigint): void {
    this.memory.writeField(head, "list_head", "next", head);
    this.memory.writeField(head, "list_head", "prev", head);
  }

  /** list_add_tail: `entry` goes between the last entry of `head` and `head`. */
  private listAddTail(entry: bigint, head: bigint): void {
    const last = this.memory.readField(head, "list_head", "prev");
    this.memory.writeField(entry, "list_head", "next", head);
    this.memory.writeField(entry, "list_head", "prev", last);
    this.memory.writeField(last, "list_head", "next", entry);
    this.memory.writeField(head, "list_head", "prev", entry);
  }

  /** jiffies now: INITIAL_JIFFIES plus the boot clock in ticks of 1/HZ s. */
  jiffies(): bigint {
    return BigInt.asUintN(64, INITIAL_JIFFIES + (this.clock.boot() * HZ) / 1_000_000_000n);
  }

  /** Stores jiffies() into the `jiffies` variable. */
  private refreshJiffies(): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, this.jiffies(), true);
    this.memory.writeKernel(this.jiffiesAddr, b);
  }

  /**
   * Starts a process (or a thread of `tgid`) forked by `parent`: a Task plus
   * its task_struct in kernel memory, filled as fillTaskStruct says.
   */
  spawn(comm: string, parent = 0, options: SpawnOptions = {}): Task {
    const t = this.tasks.spawn(comm, parent, options);
    const ts = this.btf.findByNameKind("task_struct", BtfKind.STRUCT);
    if (ts !== undefined) {
      t.taskAddress = this.memory.alloc(ts);
      this.fillTaskStruct(t, ts);
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
  fire(tp: TracepointDef, values: Readonly<Record<string, TracepointValue>>, args: readonly bigint[] = []): void {
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

  /** The functions of /proc/kallsyms (T/t), in address order. */
  kallsyms(): Kallsym[] {
    return this.functions.all().map((f) => ({ address: f.address, type: f.isStatic ? "t" : "T", name: f.name, btfId: f.btfId }));
  }

  /** /proc/kallsyms: every function and data symbol, in address order. */
  ksyms(): Kallsym[] {
    const fns = this.kallsyms();
    const vars: Kallsym[] = this.data.symbols().map((d) => ({ address: d.address, type: d.type, name: d.name, btfId: undefined }));
    return fns.concat(vars).sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  }

  /** What the VM's helpers need from this kernel. */
  env(): KernelEnv {
    return {
      readKernel: (dst, addr) => {
        if (addr < this.jiffiesAddr + 8n && addr + BigInt(dst.length) > this.jiffiesAddr) this.refreshJiffies();
        return this.memory.readKernel(dst, addr);
      },
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
      taskKernelStack: (addr) => {
        // The current task's stack is the call in progress; other tasks are not running and the model keeps no stack for them.
        const cur = this.current();
        if (addr === cur.taskAddress && addr !== 0n) return this.functions.kernelStack();
        const t = this.tasks.idle.find((x) => x.taskAddress === addr) ?? this.tasks.all().find((x) => x.taskAddress === addr);
        return t && addr !== 0n ? [] : undefined;
      },
      jiffies64: () => this.jiffies(),
      currentCgroupId: () => ROOT_CGROUP_ID,
      sendSignal: (sig, thread) => {
        // bpf_send_signal_common: not from kernel threads (the idle tasks) or exiting tasks, never to init; then valid_signal.
        const t = this.current();
        if (t.pid === 0 || t.exited || t.tgid === 1) return -1; // -EPERM
        if (sig > NSIG) return -22; // -EINVAL
        if (sig !== 0) this.signalsSent.push({ pid: t.pid, tgid: t.tgid, sig, thread, ns: this.clock.boot() });
        return 0;
      },
    };
  }
}
