// What the VM needs from the kernel it runs in. The kernel model implements
// these interfaces; the VM never imports it. Addresses and 64-bit values are
// BigInts here: helper calls are not the interpreter's hot path.
import type { SkbAccess } from "./packet.js";

/** The task a program runs on behalf of (for get_current_* helpers). */
export interface TaskInfo {
  pid: number;
  tgid: number;
  uid: number;
  gid: number;
  /** Up to 15 characters (TASK_COMM_LEN 16 with the NUL). */
  comm: string;
  /** Kernel address of its task_struct (get_current_task). */
  taskAddress: bigint;
}

/** Kernel services helpers reach. Every method may be called from any helper; none may throw for bad input. */
export interface KernelEnv {
  /** Copies kernel memory into `dst`; 0 or -EFAULT (then `dst` is zero-filled), as probe_read_kernel. */
  readKernel(dst: Uint8Array, addr: bigint): number;
  /** Copies memory of the current task's user address space; 0 or -EFAULT. */
  readUser(dst: Uint8Array, addr: bigint): number;
  /** Monotonic clock in ns (ktime_get_ns). */
  ktimeNs(): bigint;
  /** Boot clock in ns, including suspend (ktime_get_boot_ns). */
  bootNs(): bigint;
  currentTask(): TaskInfo;
  /** CPU the program runs on. */
  cpu(): number;
  /** Number of possible CPUs (per-CPU maps size their values by it). */
  nrCpus(): number;
  /** A line written by bpf_trace_printk (to the trace pipe). */
  tracePrintk(line: string): void;
  /** Symbol for a kernel text address (for stack traces and get_func_ip), if known. */
  symbolize?(addr: bigint): string | undefined;
  /** Kernel stack of the current task, innermost first (get_stack/get_stackid). */
  kernelStack?(): bigint[];
  /**
   * Kernel stack of the task whose task_struct is at `taskAddress`,
   * innermost first (get_task_stack): the current call stack for the
   * current task, [] for a task the model keeps no stack for, undefined for
   * an address that is no task.
   */
  taskKernelStack?(taskAddress: bigint): bigint[] | undefined;
  /** The 64-bit jiffies counter (get_jiffies_64). */
  jiffies64?(): bigint;
  /** The cgroup v2 id of the current task's cgroup (get_current_cgroup_id). */
  currentCgroupId?(): bigint;
  /**
   * bpf_send_signal(_thread): sends signal `sig` (1.._NSIG; 0 checks only)
   * to the current task's process (`thread`: to the task only) and records
   * it; 0, or -EPERM (kernel thread, exiting task, init) / -EINVAL (bad signal).
   */
  sendSignal?(sig: number, thread: boolean): number;
  /**
   * Writes `src` to kernel memory at `addr`: 0, or -EFAULT when it is not
   * writable kernel memory. Socket filters' converted stores to
   * __sk_buff->cb[] land in the sk_buff this way.
   */
  writeKernel?(addr: bigint, src: Uint8Array): number;
  /** The packets socket filters run on (src/vm/packet.ts). */
  skb?: SkbAccess;
}

/** A KernelEnv with no kernel behind it: reads fault, clocks are zero, task is swapper/0. For tests and the conformance plugin. */
export function nullKernelEnv(overrides: Partial<KernelEnv> = {}): KernelEnv {
  return {
    readKernel: (dst) => {
      dst.fill(0);
      return -14;
    },
    readUser: (dst) => {
      dst.fill(0);
      return -14;
    },
    ktimeNs: () => 0n,
    bootNs: () => 0n,
    currentTask: () => ({ pid: 0, tgid: 0, uid: 0, gid: 0, comm: "swapper/0", taskAddress: 0n }),
    cpu: () => 0,
    nrCpus: () => 1,
    tracePrintk: () => {},
    ...overrides,
  };
}
