// The verifier's abstract state: what each register holds (NOT_INIT, a
// scalar with bounds, or a typed pointer), each frame's stack bytes and
// spilled registers, the call frames and the acquired references (ring
// buffer records that must be released). States are cloned on branches.
import type { Scalar } from "./scalar.js";

/** Register types, after the kernel's enum bpf_reg_type. */
export const RegType = {
  NOT_INIT: 0,
  SCALAR: 1,
  PTR_TO_CTX: 2,
  CONST_PTR_TO_MAP: 3,
  PTR_TO_MAP_VALUE: 4,
  PTR_TO_MAP_VALUE_OR_NULL: 5,
  PTR_TO_STACK: 6,
  PTR_TO_MEM: 7,
  PTR_TO_MEM_OR_NULL: 8,
  PTR_TO_BTF_ID: 9,
  PTR_TO_FUNC: 10,
  /** A typed kernel pointer that may be NULL (PTR_TO_BTF_ID | PTR_MAYBE_NULL): bpf_dynamic_cast. */
  PTR_TO_BTF_ID_OR_NULL: 11,
} as const;
export type RegType = (typeof RegType)[keyof typeof RegType];

/** What the verifier knows about a map an lddw loads (from the loader's map table). */
export interface MapDesc {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly name: string;
  /**
   * The value of a read-only map the verifier may read as constants (the
   * kernel's bpf_map_is_rdonly + map_direct_value_addr: a one-element array,
   * BPF_F_RDONLY_PROG, frozen): `.rodata` after libbpf wrote and froze it.
   */
  readonly readOnlyValue?: Uint8Array;
}

/** A register. Pointers have a fixed offset `off` and, for map values and mem, a variable part `var`. */
export interface RegState {
  readonly type: RegType;
  /** SCALAR: the value; pointers to map values/mem: the variable offset (a constant 0 when none). */
  readonly scalar?: Scalar;
  /** Fixed offset of a pointer from the object's start (stack: from the frame top, negative). */
  readonly off?: number;
  /** PTR_TO_STACK: the frame it points into. */
  readonly frameno?: number;
  /** Map pointers and map values. */
  readonly map?: MapDesc;
  /** PTR_TO_MEM: size of the object in bytes; whether it may be written. */
  readonly memSize?: number;
  readonly memWritable?: boolean;
  /** Identifies copies of one *_OR_NULL pointer so a null check refines them all. */
  readonly id?: number;
  /** A reference (ring buffer record) that must be released on every path. */
  readonly refObjId?: number;
  /** PTR_TO_BTF_ID: the BTF type id pointed to. */
  readonly btfId?: number;
  /** PTR_TO_BTF_ID: the kernel's PTR_TRUSTED (get_current_task_btf's task), named `trusted_ptr_` in the log and messages. */
  readonly trusted?: boolean;
  /** PTR_TO_FUNC: the subprogram's first slot. */
  readonly subprog?: number;
}

/** Per-byte stack contents. */
export const StackByte = { INVALID: 0, MISC: 1, ZERO: 2, SPILL: 3 } as const;

export interface FrameState {
  regs: RegState[];
  /** 512 bytes: stack byte -k is at index 512 - k. */
  stack: Uint8Array;
  /** Spilled registers by 8-byte slot (slot i covers bytes [i*8, i*8+8) of `stack`). */
  spills: (RegState | undefined)[];
  /** Slot of the call instruction that created this frame (-1 for the main frame). */
  callsite: number;
  /** When the frame runs a bpf_loop callback: the helper call's slot. */
  callbackOf: number;
  /** First slot of the subprogram this frame runs. */
  subprog: number;
  /** For a callback frame: the context argument each iteration receives. */
  callbackArg?: RegState;
  /** For a callback frame: which call of the helper it belongs to (iterations of one call share it). */
  invocation?: number;
  /** Bytes of stack below the frame top that were ever written (comparisons look no further). */
  depth: number;
}

export interface VerifierState {
  frames: FrameState[];
  /** Acquired references not released yet (ref_obj_id -> slot that acquired it). */
  refs: Map<number, number>;
}

/** The size of each frame's stack (MAX_BPF_STACK). */
export const STACK_SIZE = 512;
