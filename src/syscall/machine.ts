// What a tracer drives besides bpf(2): the running system. A machine has
// the syscall surface, named workloads it can run for a number of steps or
// an amount of simulated time, a clock, and (for --check) the ground truth
// of how often each function was called. The synthetic kernel provides
// one (boot.ts); user space sees only this interface, never the model.
import type { Bpf } from "./bpf.js";

export interface Machine {
  readonly bpf: Bpf;
  /** Workloads run() accepts. */
  readonly workloads: readonly string[];
  /** Runs `workload` for at most `steps` steps or until the clock passes `untilNs`; returns the steps taken. */
  run(workload: string, steps: number, untilNs?: bigint): number;
  /** Simulated time since boot (ns). */
  nowNs(): bigint;
  /**
   * Ground truth: calls so far of the function a link attaches to by this
   * name (the first with it), or hits of the tracepoint (`cat:name`) or raw
   * tracepoint (bare name); `kind` says which when given. 0 if none.
   */
  callCount(name: string, kind?: "function" | "tracepoint" | "raw_tp"): number;
  /** Number of CPUs. */
  readonly nrCpus: number;
}
