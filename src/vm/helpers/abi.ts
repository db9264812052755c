// The helper calling ABI: argument and return types (the verifier checks
// calls against them), the prototype record, and what an implementation
// receives. Helpers get r1..r5 as u64 BigInts and return the u64 for r0;
// pointers are VM addresses, resolved through the runtime's AddressSpace.
import type { KernelEnv } from "../env.js";
import { FaultKind, VmFault } from "../errors.js";
import { splitAddress, type AddressSpace, type Region } from "../memory.js";

/** Argument types, after the kernel's enum bpf_arg_type. */
export const ArgType = {
  /** Not used by this helper. */
  DONTCARE: 0,
  /** Any scalar or pointer. */
  ANYTHING: 1,
  /** A map pointer (lddw of a map). */
  CONST_MAP_PTR: 2,
  /** Pointer to a key of the map passed before it (key_size readable bytes). */
  PTR_TO_MAP_KEY: 3,
  /** Pointer to a value of the map passed before it (value_size readable bytes). */
  PTR_TO_MAP_VALUE: 4,
  /** Pointer to initialized memory; the size is the next argument. */
  PTR_TO_MEM: 5,
  /** Pointer to memory the helper fills; the size is the next argument. */
  PTR_TO_UNINIT_MEM: 6,
  /** Size of the previous memory argument, > 0. */
  CONST_SIZE: 7,
  /** Size of the previous memory argument, may be 0. */
  CONST_SIZE_OR_ZERO: 8,
  /** The program's context. */
  PTR_TO_CTX: 9,
  /** A ring buffer record returned by ringbuf_reserve. */
  PTR_TO_RINGBUF_MEM: 10,
  /** Size of memory to allocate (ringbuf_reserve), a known constant. */
  CONST_ALLOC_SIZE_OR_ZERO: 11,
  /** A typed kernel pointer (PTR_TO_BTF_ID). */
  PTR_TO_BTF_ID: 12,
  /** A pointer to a static subprogram (bpf_loop callback). */
  PTR_TO_FUNC: 13,
  /** Pointer to 8 writable bytes (get_func_arg/ret output). */
  PTR_TO_LONG: 14,
  /** Pointer to a NUL-terminated read-only string (snprintf format). */
  PTR_TO_CONST_STR: 15,
  /** Pointer to a struct btf_ptr (snprintf_btf). */
  PTR_TO_BTF_PTR: 16,
  /** A known-constant BTF type id of a struct or union in the kernel's BTF (bpf_dynamic_cast's target). */
  CONST_BTF_ID: 17,
} as const;
export type ArgType = (typeof ArgType)[keyof typeof ArgType];

/** Return types, after the kernel's enum bpf_return_type. */
export const RetType = {
  INTEGER: 0,
  VOID: 1,
  PTR_TO_MAP_VALUE_OR_NULL: 2,
  /** Ring buffer record of the size given by the size argument, or NULL. */
  PTR_TO_ALLOC_MEM_OR_NULL: 3,
  /** A typed kernel pointer (get_current_task_btf). */
  PTR_TO_BTF_ID: 4,
  /** A typed kernel pointer or NULL, typed by the BTF id in the CONST_BTF_ID argument (bpf_dynamic_cast). */
  PTR_TO_BTF_ID_OR_NULL: 5,
} as const;
export type RetType = (typeof RetType)[keyof typeof RetType];

export interface HelperProto {
  /** The kernel's helper id (enum bpf_func_id). */
  readonly id: number;
  /** Name without the `bpf_` prefix, as in `bpf_<name>` and bpftool's `call <name>#id`. */
  readonly name: string;
  readonly ret: RetType;
  /** Types of r1..r5 (DONTCARE for unused). */
  readonly args: readonly ArgType[];
  readonly gplOnly: boolean;
}

/** A helper call in progress: the interpreter fills one per call. */
export interface HelperRuntime {
  readonly mem: AddressSpace;
  readonly env: KernelEnv;
  /** Slot index of the CALL instruction (for error messages). */
  readonly pc: number;
  /** Region of the program's context, if it has one. */
  readonly ctx: Region | undefined;
  /** Finds a map object by the address an lddw gave the program. */
  mapAt(addr: bigint): unknown;
  /** Calls subprogram at slot `target` with r1..r5 (bpf_loop callbacks); returns its r0. */
  callSubprog?(target: number, args: readonly bigint[]): bigint;
}

/** A helper implementation: r1..r5 in, r0 out (u64 as BigInt; negative errnos as two's complement). */
export type HelperImpl = (rt: HelperRuntime, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => bigint;

/**
 * Calls helper `id` for the instruction at `pc` (the interpreter and the JIT
 * both do it this way): a VmFault it throws stands, anything else it throws
 * becomes a helper fault naming it; its r0 is returned.
 */
export function invokeHelper(impl: HelperImpl, rt: HelperRuntime, id: number, pc: number, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint): bigint {
  try {
    return impl(rt, r1, r2, r3, r4, r5);
  } catch (e) {
    if (e instanceof VmFault) throw e;
    throw new VmFault(FaultKind.HELPER, pc, `helper #${id} failed: ${(e as Error).message}`);
  }
}

/** Negative errno as the u64 a helper returns. */
export function errRet(errno: number): bigint {
  if (errno === 0) return 0n;
  return BigInt.asUintN(64, BigInt(-errno));
}

/**
 * The bytes at VM address `addr`, `len` long, if they lie in one region
 * (and it is writable when `write`); else undefined. len 0 gives an empty array.
 */
export function vmBytes(rt: HelperRuntime, addr: bigint, len: number, write = false): Uint8Array | undefined {
  if (len === 0) return new Uint8Array(0);
  const { hi, lo } = splitAddress(addr);
  const r = rt.mem.find(hi, lo, len);
  if (!r || (write && !r.writable)) return undefined;
  // A region never crosses a 4 GiB boundary (memory.ts), so the offset is in the low halves.
  const off = lo - r.lo;
  return r.bytes.subarray(off, off + len);
}

/**
 * Reads kernel memory at `addr` into `dst` the way probe_read_kernel sees it:
 * VM regions (stack, map values, ring buffer records) are kernel memory too,
 * anything else goes to the KernelEnv. 0, or -EFAULT with `dst` zero-filled.
 */
export function readKernelMemory(rt: HelperRuntime, dst: Uint8Array, addr: bigint): number {
  const inVm = vmBytes(rt, addr, dst.length);
  if (inVm) {
    dst.set(inVm);
    return 0;
  }
  return rt.env.readKernel(dst, addr);
}
