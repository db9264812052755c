// The VM's machine limits and fixed ids, shared by the interpreter, the
// JIT compiler and the JIT runtime (each had its own copy of some).

/** Stack bytes per frame (MAX_BPF_STACK). */
export const STACK_SIZE = 512;
/** Most nested frames (MAX_CALL_FRAMES). */
export const MAX_CALL_FRAMES = 8;
/** Most tail calls in one run (MAX_TAIL_CALL_CNT). */
export const MAX_TAIL_CALL_CNT = 33;
/** bpf_tail_call's helper id: the VM implements it (it replaces the running program). */
export const HELPER_TAIL_CALL = 12;
/** `hi` of the addresses lddw gives subprograms (src 4, for bpf_loop callbacks); `lo` is the slot. */
export const CODE_ADDRESS_HI = 0xffffffa0 | 0;
