// The synthetic kernel's workload names, apart from the kernel itself so
// the CLI can list them without loading the model.
export const WORKLOADS = ["net", "fs", "block", "sched", "mixed"] as const;
export type WorkloadName = (typeof WORKLOADS)[number];
