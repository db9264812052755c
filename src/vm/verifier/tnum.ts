// Tristate numbers ("tnums"), after the kernel's kernel/bpf/tnum.c: a 64-bit
// value of which each bit is known 0, known 1 or unknown. `mask` has a 1 for
// every unknown bit; `value` holds the known bits (and is 0 wherever `mask`
// is 1). The concrete set a tnum stands for is { x | (x & ~mask) === value }.
//
// All quantities are u64 held as bigint in [0, 2^64). Every operation here is
// sound: for any members x of a (and y of b) the concrete result of the
// operation is a member of the returned tnum.

/** A tracked number: `value & mask === 0n`, both in [0, 2^64). */
export interface Tnum {
  readonly value: bigint;
  readonly mask: bigint;
}

const U64_MAX = (1n << 64n) - 1n;
const U32_MAX = 0xffffffffn;
const SIGN64 = 1n << 63n;

const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);

/** Builds a tnum, normalising both words to u64 and clearing value bits under the mask. */
export function tnum(value: bigint, mask: bigint): Tnum {
  const m = u64(mask);
  return { value: u64(value) & ~m & U64_MAX, mask: m };
}

/** A completely unknown value. */
export const TNUM_UNKNOWN: Tnum = Object.freeze({ value: 0n, mask: U64_MAX });

/** A known constant (v taken mod 2^64). */
export function tnumConst(v: bigint): Tnum {
  return { value: u64(v), mask: 0n };
}

/** Number of significant bits (fls64): 0 for 0, 64 for values with bit 63 set. */
function fls64(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/** The tightest tnum holding every value of the unsigned range [min, max]. */
export function tnumRange(min: bigint, max: bigint): Tnum {
  const lo = u64(min);
  const chi = lo ^ u64(max);
  const bits = fls64(chi);
  if (bits > 63) return TNUM_UNKNOWN;
  const delta = (1n << BigInt(bits)) - 1n;
  return { value: lo & ~delta & U64_MAX, mask: delta };
}

function shiftAmount(shift: number | bigint): bigint {
  return typeof shift === "bigint" ? shift : BigInt(shift);
}

/** a << shift (truncated to 64 bits). */
export function tnumLshift(a: Tnum, shift: number | bigint): Tnum {
  const s = shiftAmount(shift);
  return { value: u64(a.value << s), mask: u64(a.mask << s) };
}

/** a >> shift, logical. */
export function tnumRshift(a: Tnum, shift: number | bigint): Tnum {
  const s = shiftAmount(shift);
  return { value: a.value >> s, mask: a.mask >> s };
}

/**
 * Arithmetic right shift by `minShift` of a 32-bit (the low word, result
 * zero-extended) or 64-bit value. As in the kernel this is only exact for a
 * constant shift; callers shift by a known amount.
 */
export function tnumArshift(a: Tnum, minShift: number | bigint, insnBits: 32 | 64): Tnum {
  const s = shiftAmount(minShift);
  if (insnBits === 32) {
    return {
      value: BigInt.asUintN(32, BigInt.asIntN(32, a.value) >> s),
      mask: BigInt.asUintN(32, BigInt.asIntN(32, a.mask) >> s),
    };
  }
  return { value: u64(BigInt.asIntN(64, a.value) >> s), mask: u64(BigInt.asIntN(64, a.mask) >> s) };
}

export function tnumAdd(a: Tnum, b: Tnum): Tnum {
  const sm = u64(a.mask + b.mask);
  const sv = u64(a.value + b.value);
  const sigma = u64(sm + sv);
  const chi = sigma ^ sv;
  const mu = chi | a.mask | b.mask;
  return { value: sv & ~mu & U64_MAX, mask: mu };
}

export function tnumSub(a: Tnum, b: Tnum): Tnum {
  const dv = u64(a.value - b.value);
  const alpha = u64(dv + a.mask);
  const beta = u64(dv - b.mask);
  const chi = alpha ^ beta;
  const mu = chi | a.mask | b.mask;
  return { value: dv & ~mu & U64_MAX, mask: mu };
}

/** 0 - a. */
export function tnumNeg(a: Tnum): Tnum {
  return tnumSub({ value: 0n, mask: 0n }, a);
}

export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return { value: v, mask: alpha & beta & ~v & U64_MAX };
}

export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask | b.mask;
  return { value: v, mask: mu & ~v & U64_MAX };
}

export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const v = a.value ^ b.value;
  const mu = a.mask | b.mask;
  return { value: v & ~mu & U64_MAX, mask: mu };
}

/**
 * Long multiplication over the bits of a: a known 1 adds b, an unknown bit
 * takes the union of adding and not adding b (the kernel's current tnum_mul).
 */
export function tnumMul(a: Tnum, b: Tnum): Tnum {
  let acc: Tnum = { value: 0n, mask: 0n };
  let x = a;
  let y = b;
  while (x.value !== 0n || x.mask !== 0n) {
    if ((x.value & 1n) !== 0n) acc = tnumAdd(acc, y);
    else if ((x.mask & 1n) !== 0n) acc = tnumUnion(acc, tnumAdd(acc, y));
    x = tnumRshift(x, 1);
    y = tnumLshift(y, 1);
  }
  return acc;
}

/**
 * Knowledge of both: a bit is known if it is known in either. If a and b
 * disagree on a known bit (no common member) the result has that bit known 1.
 */
export function tnumIntersect(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask & b.mask;
  return { value: v & ~mu & U64_MAX, mask: mu };
}

/** A tnum holding every member of a and of b. */
export function tnumUnion(a: Tnum, b: Tnum): Tnum {
  const v = a.value & b.value;
  const mu = (a.value ^ b.value) | a.mask | b.mask;
  return { value: v & ~mu & U64_MAX, mask: mu };
}

/** Whether a and b have a member in common (they agree on every bit both know). */
export function tnumOverlap(a: Tnum, b: Tnum): boolean {
  const mu = ~a.mask & ~b.mask & U64_MAX;
  return (a.value & mu) === (b.value & mu);
}

/** a with all but its lowest `bytes` bytes cleared. */
export function tnumCast(a: Tnum, bytes: number): Tnum {
  if (bytes >= 8) return a;
  const m = (1n << BigInt(bytes * 8)) - 1n;
  return { value: a.value & m, mask: a.mask & m };
}

/** Whether every member of a is a multiple of `size` (a power of two). */
export function tnumIsAligned(a: Tnum, size: number | bigint): boolean {
  const s = typeof size === "bigint" ? size : BigInt(size);
  if (s === 0n) return true;
  return ((a.value | a.mask) & (s - 1n)) === 0n;
}

/** Whether every member of `inner` is a member of `outer`. */
export function tnumIn(outer: Tnum, inner: Tnum): boolean {
  if ((inner.mask & ~outer.mask) !== 0n) return false;
  return outer.value === (inner.value & ~outer.mask);
}

/** Whether the concrete u64 `x` is a member of a. */
export function tnumContains(a: Tnum, x: bigint): boolean {
  return (u64(x) & ~a.mask) === a.value;
}

export function tnumIsConst(a: Tnum): boolean {
  return a.mask === 0n;
}

export function tnumEqualsConst(a: Tnum, v: bigint): boolean {
  return a.mask === 0n && a.value === u64(v);
}

export function tnumIsUnknown(a: Tnum): boolean {
  return a.mask === U64_MAX;
}

export function tnumEquals(a: Tnum, b: Tnum): boolean {
  return a.value === b.value && a.mask === b.mask;
}

/** The low 32 bits (the subregister), zero-extended. */
export function tnumSubreg(a: Tnum): Tnum {
  return { value: a.value & U32_MAX, mask: a.mask & U32_MAX };
}

/** a with the low 32 bits cleared (known 0). */
export function tnumClearSubreg(a: Tnum): Tnum {
  return { value: a.value & ~U32_MAX & U64_MAX, mask: a.mask & ~U32_MAX & U64_MAX };
}

/** The upper 32 bits of `reg` with the lower 32 bits of `subreg`. */
export function tnumWithSubreg(reg: Tnum, subreg: Tnum): Tnum {
  return tnumOr(tnumClearSubreg(reg), tnumSubreg(subreg));
}

/** a with its low 32 bits set to the constant `value`. */
export function tnumConstSubreg(a: Tnum, value: bigint): Tnum {
  return tnumWithSubreg(a, tnumConst(BigInt.asUintN(32, value)));
}

/** Whether the low 32 bits of a are known. */
export function tnumSubregIsConst(a: Tnum): boolean {
  return (a.mask & U32_MAX) === 0n;
}

function swapBytes(x: bigint, bytes: number): bigint {
  let r = 0n;
  for (let i = 0; i < bytes; i++) r = (r << 8n) | ((x >> BigInt(8 * i)) & 0xffn);
  return r;
}

/** Byte swap of the low 16 bits (upper bits cleared). */
export function tnumBswap16(a: Tnum): Tnum {
  return { value: swapBytes(a.value, 2), mask: swapBytes(a.mask, 2) };
}

/** Byte swap of the low 32 bits (upper bits cleared). */
export function tnumBswap32(a: Tnum): Tnum {
  return { value: swapBytes(a.value, 4), mask: swapBytes(a.mask, 4) };
}

/** Byte swap of all 64 bits. */
export function tnumBswap64(a: Tnum): Tnum {
  return { value: swapBytes(a.value, 8), mask: swapBytes(a.mask, 8) };
}

/** Smallest member (a.value). */
export function tnumMin(a: Tnum): bigint {
  return a.value;
}

/** Largest member (a.value | a.mask). */
export function tnumMax(a: Tnum): bigint {
  return a.value | a.mask;
}

/** Whether the sign bit (bit 63) is unknown or set. */
export function tnumMaybeNegative(a: Tnum): boolean {
  return ((a.value | a.mask) & SIGN64) !== 0n;
}

function hex(x: bigint): string {
  return `0x${x.toString(16)}`;
}

/** Kernel tnum_strn() format: "(0x0; 0xff)" (value; mask), lower-case hex, "0x0" for zero. */
export function tnumToString(a: Tnum): string {
  return `(${hex(a.value)}; ${hex(a.mask)})`;
}

/** Kernel tnum_sbin() format: 64 characters of '0', '1' or 'x', most significant first. */
export function tnumToBinary(a: Tnum): string {
  let s = "";
  for (let i = 63; i >= 0; i--) {
    const bit = 1n << BigInt(i);
    s += (a.mask & bit) !== 0n ? "x" : (a.value & bit) !== 0n ? "1" : "0";
  }
  return s;
}
