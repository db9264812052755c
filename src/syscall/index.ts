// Public surface of the syscall-like API: the Bpf object (one per process),
// the services the kernel model provides it, and the attach-handler seam.
export { Bpf, errnoString } from "./bpf.js";
export { FdTable, FIRST_FD, KernelObject } from "./fd-table.js";
export { BtfObject, LinkObject, MapObject, ProgObject } from "./objects.js";
export type * from "./types.js";
