// The helper calling ABI: argument and return types (the verifier checks
// calls against them), the prototype record, and what an implementation
// receives. Helpers get r1..r5 as u64 BigInts and return the u64 for r0;
// pointers are VM addresses, resolved through the runtime's AddressSpace.
// A helper on the hot path may also carry a BigInt-free form (`fast`: the
// registers as int32 halves, r0's low half returned and its high half left
// in rt.rh), which both engines call instead when it is there; the two forms
// give the same r0, memory effects and faults.
import { toBigU } from "../alu64.js";
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

/** What a helper's BigInt-free form receives: the HelperRuntime, r0's high half to set, and maps by address halves. */
export interface FastHelperRuntime extends HelperRuntime {
  /** r0's high half (int32): a fast helper sets it before it returns r0's low half. */
  rh: number;
  /** The map object at address hi:lo (what mapAt gives for that address), without a BigInt per call. */
  mapAtHalves(lo: number, hi: number): unknown;
}

/**
 * A helper's BigInt-free form: r1..r5 as (lo, hi) int32 halves in, r0's low
 * half out (int32 or uint32) with its high half in rt.rh.
 */
export type FastHelperImpl = (
  rt: FastHelperRuntime,
  l1: number, h1: number, l2: number, h2: number, l3: number, h3: number, l4: number, h4: number, l5: number, h5: number,
) => number;

/** A helper implementation: r1..r5 in, r0 out (u64 as BigInt; negative errnos as two's complement); `fast`, if set, is the same helper without BigInts. */
export interface HelperImpl {
  (rt: HelperRuntime, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint): bigint;
  readonly fast?: FastHelperImpl;
}

/** `impl` with its BigInt-free form `fast` attached (the engines call `fast` when they find it). */
export function withFast(impl: (rt: HelperRuntime, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => bigint, fast: FastHelperImpl): HelperImpl {
  return Object.assign(impl, { fast });
}

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

/** invokeHelper for a helper's fast form: r0's low half returned (int32), its high half in rt.rh (int32). */
export function invokeFastHelper(
  fast: FastHelperImpl, rt: FastHelperRuntime, id: number, pc: number,
  l1: number, h1: number, l2: number, h2: number, l3: number, h3: number, l4: number, h4: number, l5: number, h5: number,
): number {
  try {
    rt.rh = 0;
    const lo = fast(rt, l1, h1, l2, h2, l3, h3, l4, h4, l5, h5) | 0;
    rt.rh |= 0;
    return lo;
  } catch (e) {
    if (e instanceof VmFault) throw e;
    throw new VmFault(FaultKind.HELPER, pc, `helper #${id} failed: ${(e as Error).message}`);
  }
}

/**
 * mapAt by address halves for a runtime's mapAtHalves: remembers each map
 * found by the low half of its address (a map's address is never reused:
 * regions are not handed out twice), checking the high half and that the map
 * was not freed since; anything else asks `mapAt` with the BigInt address.
 */
export class MapsByAddress {
  private readonly known = new Map<number, { hi: number; obj: unknown }>();

  constructor(private readonly mapAt: (addr: bigint) => unknown) {}

  at(lo: number, hi: number): unknown {
    const e = this.known.get(lo | 0);
    if (e !== undefined && e.hi === (hi | 0) && (e.obj as { destroyed?: unknown }).destroyed !== true) return e.obj;
    const obj = this.mapAt(toBigU(lo, hi));
    if (obj !== undefined && obj !== null && typeof obj === "object" && (obj as { destroyed?: unknown }).destroyed !== true) {
      if (this.known.size >= 1024) this.known.clear();
      this.known.set(lo | 0, { hi: hi | 0, obj });
    }
    return obj;
  }

  /** Forgets every map (the next lookups ask mapAt again). */
  clear(): void {
    this.known.clear();
  }
}

/** The bytes at VM address hi:lo, `len` long: vmBytes without a BigInt. */
export function vmBytesAt(rt: HelperRuntime, lo: number, hi: number, len: number, write = false): Uint8Array | undefined {
  if (len === 0) return new Uint8Array(0);
  const r = rt.mem.find(hi >>> 0, lo >>> 0, len);
  if (!r || (write && !r.writable)) return undefined;
  const off = (lo >>> 0) - r.lo;
  return r.bytes.subarray(off, off + len);
}

/** A u64 register's halves as a Number (exact below 2^53; beyond, larger than any length or region). */
export function u64Num(lo: number, hi: number): number {
  return (hi >>> 0) * 4294967296 + (lo >>> 0);
}

const U64_BOX = new BigUint64Array(1);
const U64_HALVES = new Int32Array(U64_BOX.buffer);

/** hi:lo as a u64 BigInt in one allocation (an address for the KernelEnv, which takes BigInts). */
export function u64Big(lo: number, hi: number): bigint {
  U64_HALVES[0] = lo;
  U64_HALVES[1] = hi;
  return U64_BOX[0]!;
}

/** r0 = `v` (a BigInt from the KernelEnv, taken mod 2^64) from a fast helper: returns the low half, sets rt.rh. */
export function retBig(rt: FastHelperRuntime, v: bigint): number {
  U64_BOX[0] = v;
  rt.rh = U64_HALVES[1]!;
  return U64_HALVES[0]!;
}

/** r0 = -errno (0 for 0) from a fast helper. */
export function errRetFast(rt: FastHelperRuntime, errno: number): number {
  rt.rh = errno === 0 ? 0 : -1;
  return -errno | 0;
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

/** readKernelMemory at hi:lo: the address becomes a BigInt only when the read goes to the KernelEnv (which takes one). */
export function readKernelMemoryAt(rt: HelperRuntime, dst: Uint8Array, lo: number, hi: number): number {
  const inVm = vmBytesAt(rt, lo, hi, dst.length);
  if (inVm) {
    dst.set(inVm);
    return 0;
  }
  return rt.env.readKernel(dst, u64Big(lo, hi));
}

/**
 * How many of r1..r5 helper `impl` can read: its declared register
 * parameters, when its source shows plain parameters only (no defaults, rest
 * parameters or `arguments`: then all five).
 */
export function readsRegisters(impl: HelperImpl): number {
  let n = arity.get(impl);
  if (n === undefined) {
    n = readsRegistersOf(impl);
    arity.set(impl, n);
  }
  return n;
}

/** readsRegisters' answers: a loop alternating two helpers (ringbuf reserve and submit) read each one's source on every call. */
const arity = new WeakMap<HelperImpl, number>();

function readsRegistersOf(impl: HelperImpl): number {
  const src = Function.prototype.toString.call(impl);
  // The parameter list: an arrow's is before its first "=>" (a default
  // value there holding an arrow still shows its "="), a function's or a
  // method's ends at the first ")".
  const arrow = src.indexOf("=>");
  const brace = src.indexOf("{");
  const isArrow = arrow >= 0 && !/^(async\s+)?function\b/.test(src) && (brace < 0 || arrow < brace);
  const head = isArrow ? src.slice(0, arrow) : src.slice(0, src.indexOf(")") + 1);
  if (/=|\.\.\./.test(head) || /\barguments\b|\[native code\]/.test(src)) return 5;
  return Math.max(0, Math.min(5, impl.length - 1));
}
