// Public surface of the syscall-like API (the package's `btfsnoop/kernel`):
// booting the synthetic kernel (or one made from any BTF) and the Machine a
// tracer or a test drives, the Bpf object (one per process), the services
// the kernel model provides it, and the attach-handler seam.
export { bootScaleMachine, bootSyntheticKernel, machineOf, type BootedKernel } from "./boot.js";
export type { Machine } from "./machine.js";
export { Bpf, errnoString } from "./bpf.js";
export { FdTable, FIRST_FD, KernelObject } from "./fd-table.js";
export { BtfObject, LinkObject, MapObject, ProgObject } from "./objects.js";
export type * from "./types.js";
export * from "./sockets.js";
