// 64-bit integer arithmetic on (hi, lo) int32 halves, BigInt-free
// (division is div64.ts): the interpreter's and the JIT's hot paths use these;
// toBigU/toBigS/fromBig convert helper arguments and results. Results are
// written to the `out` pair (out[0] = lo, out[1] = hi) to avoid allocation.

const TWO32 = 4294967296;

/** out = a * b (low 64 bits of the product). */
export function mul64(out: Int32Array, alo: number, ahi: number, blo: number, bhi: number): void {
  out[0] = Math.imul(alo, blo);
  out[1] = (mulhu32(alo, blo) + Math.imul(ahi, blo) + Math.imul(alo, bhi)) | 0;
}

/** The high 32 bits of the unsigned 64-bit product of two 32-bit values (as int32 bits). */
export function mulhu32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const p01 = a0 * b1; // each partial product < 2^32
  const p10 = a1 * b0;
  const mid = ((a0 * b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff); // < 3 * 2^16
  return (a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) | 0;
}

/** 0n..1023n, made once: small results (0, 1, lengths) need no BigInt conversion. */
const SMALL_BIGINTS: readonly bigint[] = Array.from({ length: 1024 }, (_, i) => BigInt(i));

export function toBigU(lo: number, hi: number): bigint {
  if (hi === 0 && lo >= 0 && lo < 1024) return SMALL_BIGINTS[lo]!;
  // One BigInt conversion when the value fits in 53 bits (errnos do not: they are near 2^64).
  if (hi >>> 0 < 0x200000) return BigInt((hi >>> 0) * 4294967296 + (lo >>> 0));
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

export function toBigS(lo: number, hi: number): bigint {
  return (BigInt(hi | 0) << 32n) | BigInt(lo >>> 0);
}

export function fromBig(out: Int32Array, v: bigint): void {
  if (v >= 0n && v <= 0x1fffffffffffffn) {
    // One conversion for values below 2^53 (helper results: 0, lengths, small ids).
    const n = Number(v);
    out[0] = n | 0;
    out[1] = Math.floor(n / TWO32) | 0;
    return;
  }
  const u = BigInt.asUintN(64, v);
  out[0] = Number(u & 0xffffffffn) | 0;
  out[1] = Number(u >> 32n) | 0;
}

/** Signed 32-bit division (truncating); by zero 0; INT32_MIN / -1 = INT32_MIN. */
export function sdiv32(a: number, b: number): number {
  if (b === 0) return 0;
  if (a === -0x80000000 && b === -1) return a;
  return (a / b) | 0;
}

/** Signed 32-bit modulo; by zero the dividend; INT32_MIN % -1 = 0. */
export function smod32(a: number, b: number): number {
  if (b === 0) return a;
  if (b === -1) return 0;
  return a % b | 0;
}

/** Swaps the bytes of the low 16 bits. */
export function bswap16(x: number): number {
  return ((x & 0xff) << 8) | ((x >>> 8) & 0xff);
}

/** Swaps the bytes of a 32-bit value. */
export function bswap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | ((x >>> 24) & 0xff);
}

/** out = lo:hi << n (0 <= n < 64). */
export function shl64(out: Int32Array, lo: number, hi: number, n: number): void {
  if (n === 0) {
    out[0] = lo;
    out[1] = hi;
  } else if (n < 32) {
    out[1] = (hi << n) | (lo >>> (32 - n));
    out[0] = lo << n;
  } else {
    out[1] = lo << (n - 32);
    out[0] = 0;
  }
}

/** out = lo:hi >>> n (0 <= n < 64). */
export function shr64(out: Int32Array, lo: number, hi: number, n: number): void {
  if (n === 0) {
    out[0] = lo;
    out[1] = hi;
  } else if (n < 32) {
    out[0] = (lo >>> n) | (hi << (32 - n));
    out[1] = hi >>> n;
  } else {
    out[0] = hi >>> (n - 32);
    out[1] = 0;
  }
}

/** out = lo:hi >> n, arithmetic (0 <= n < 64). */
export function sar64(out: Int32Array, lo: number, hi: number, n: number): void {
  if (n === 0) {
    out[0] = lo;
    out[1] = hi;
  } else if (n < 32) {
    out[0] = (lo >>> n) | (hi << (32 - n));
    out[1] = hi >> n;
  } else {
    out[0] = hi >> (n - 32);
    out[1] = hi >> 31;
  }
}
