// The synthetic kernel's workload names as user space sees them (what a
// Machine's run() accepts), without loading the kernel model.
export { WORKLOADS, type WorkloadName } from "../kernel-model/workload-names.js";
