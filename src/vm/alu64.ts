// 64-bit integer arithmetic on (hi, lo) int32 halves, BigInt-free
// (division too): the interpreter's and the JIT's hot paths use these;
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

/** Quotient and remainder of the last udivmod(): q = QR[1]:QR[0], r = QR[3]:QR[2]. */
const QR = new Int32Array(4);

/**
 * Unsigned 64-bit a / b and a % b (b != 0) into QR, with number arithmetic
 * only. Divisors below 2^32 divide the high half, then the rest in one step
 * (divisors below 2^20: below 2^52) or 16 bits at a time (each partial
 * dividend below 2^48), where a double division's floor is exact; larger ones
 * have a quotient below 2^32, estimated in floating point (off by at most
 * one) minus one, so the exact 64-bit remainder a - q*b is never negative,
 * then corrected upwards at most twice.
 */
function udivmod(alo: number, ahi: number, blo: number, bhi: number): void {
  const al = alo >>> 0;
  const ah = ahi >>> 0;
  const bl = blo >>> 0;
  if (bhi === 0) {
    if (ah === 0) {
      const q = Math.floor(al / bl);
      QR[0] = q | 0;
      QR[1] = 0;
      QR[2] = (al - q * bl) | 0;
      QR[3] = 0;
      return;
    }
    const qh = Math.floor(ah / bl);
    let r = ah - qh * bl;
    if (bl < 0x100000) {
      // r < bl < 2^20: the rest of the dividend, r * 2^32 + al, stays below 2^52, one exact division.
      const y = r * TWO32 + al;
      const q = Math.floor(y / bl);
      QR[0] = q | 0;
      QR[1] = qh | 0;
      QR[2] = (y - q * bl) | 0;
      QR[3] = 0;
      return;
    }
    let x = r * 65536 + (al >>> 16);
    const q1 = Math.floor(x / bl);
    r = x - q1 * bl;
    x = r * 65536 + (al & 0xffff);
    const q0 = Math.floor(x / bl);
    QR[0] = (q1 * 65536 + q0) | 0;
    QR[1] = qh | 0;
    QR[2] = (x - q0 * bl) | 0;
    QR[3] = 0;
    return;
  }
  const bh = bhi >>> 0;
  if (ah < bh || (ah === bh && al < bl)) {
    QR[0] = QR[1] = 0;
    QR[2] = alo;
    QR[3] = ahi;
    return;
  }
  let q = Math.floor((ah * TWO32 + al) / (bh * TWO32 + bl)) - 1;
  if (q < 0) q = 0;
  // r = a - q * b, exact in 64 bits since q * b <= a.
  const pl = Math.imul(q, blo);
  const ph = (mulhu32(q, blo) + Math.imul(q, bhi)) | 0;
  let rl = (alo - pl) | 0;
  let rh = (ahi - ph - (al < pl >>> 0 ? 1 : 0)) | 0;
  while (rh >>> 0 > bh || (rh >>> 0 === bh && rl >>> 0 >= bl)) {
    const nl = (rl - blo) | 0;
    rh = (rh - bhi - (rl >>> 0 < bl ? 1 : 0)) | 0;
    rl = nl;
    q++;
  }
  QR[0] = q | 0;
  QR[1] = 0;
  QR[2] = rl;
  QR[3] = rh;
}

/** Unsigned 64-bit division; by zero gives 0 (RFC 9669). */
export function udiv64(out: Int32Array, alo: number, ahi: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) {
    out[0] = 0;
    out[1] = 0;
  } else if (ahi === 0 && bhi === 0) {
    out[0] = Math.floor((alo >>> 0) / (blo >>> 0)) | 0;
    out[1] = 0;
  } else {
    udivmod(alo, ahi, blo, bhi);
    out[0] = QR[0]!;
    out[1] = QR[1]!;
  }
}

/** Unsigned 64-bit modulo; by zero leaves the dividend. */
export function umod64(out: Int32Array, alo: number, ahi: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) {
    out[0] = alo;
    out[1] = ahi;
  } else if (ahi === 0 && bhi === 0) {
    out[0] = (alo >>> 0) % (blo >>> 0) | 0;
    out[1] = 0;
  } else {
    udivmod(alo, ahi, blo, bhi);
    out[0] = QR[2]!;
    out[1] = QR[3]!;
  }
}

/** |x| of a signed 64-bit value into ABS[k], ABS[k + 1] (INT64_MIN stays 2^63, read unsigned). */
const ABS = new Int32Array(4);
function abs64(k: number, lo: number, hi: number): void {
  if (hi < 0) {
    ABS[k] = -lo | 0;
    ABS[k + 1] = (-hi - (lo !== 0 ? 1 : 0)) | 0;
  } else {
    ABS[k] = lo;
    ABS[k + 1] = hi;
  }
}

/** out = -(hi:lo) when `negate`, else hi:lo (64-bit wrapping). */
function setSigned(out: Int32Array, lo: number, hi: number, negate: boolean): void {
  if (negate) {
    out[0] = -lo | 0;
    out[1] = (-hi - (lo !== 0 ? 1 : 0)) | 0;
  } else {
    out[0] = lo;
    out[1] = hi;
  }
}

/** Signed 64-bit division (truncating); by zero gives 0; INT64_MIN / -1 = INT64_MIN. */
export function sdiv64(out: Int32Array, alo: number, ahi: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) {
    out[0] = 0;
    out[1] = 0;
    return;
  }
  abs64(0, alo, ahi);
  abs64(2, blo, bhi);
  udivmod(ABS[0]!, ABS[1]!, ABS[2]!, ABS[3]!);
  setSigned(out, QR[0]!, QR[1]!, ahi < 0 !== bhi < 0);
}

/** Signed 64-bit modulo (sign of the dividend); by zero leaves the dividend; INT64_MIN % -1 = 0. */
export function smod64(out: Int32Array, alo: number, ahi: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) {
    out[0] = alo;
    out[1] = ahi;
    return;
  }
  abs64(0, alo, ahi);
  abs64(2, blo, bhi);
  udivmod(ABS[0]!, ABS[1]!, ABS[2]!, ABS[3]!);
  setSigned(out, QR[2]!, QR[3]!, ahi < 0);
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
