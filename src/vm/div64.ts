// 64-bit division and modulo on (lo, hi) int32 halves without BigInt, for
// the interpreter and the JIT's generated code: RFC 9669 semantics (by zero: quotient 0,
// remainder the dividend; signed division truncates toward zero, the
// remainder takes the dividend's sign, INT64_MIN / -1 wraps to INT64_MIN).
//
// Divisors below 2^32 divide in exact steps on doubles (the high word,
// then the low word at once for divisors below 2^21, else 16 bits at a
// time: every partial dividend stays below 2^53). Larger
// divisors have a quotient below 2^32: a double estimate is within one of
// it, so one below the estimate is at most two below the quotient; the
// remainder of that is computed exactly on halves and corrected by at most
// two subtractions.

import { mulhu32 } from "./alu64.js";

const TWO32 = 4294967296;

/**
 * out = a / b (mod = 0) or a % b (mod = 1), unsigned; a = ah:al, b = bh:bl.
 * out[0] = lo, out[1] = hi.
 */
export function udivmod64(out: Int32Array, al: number, ah: number, bl: number, bh: number, mod: number): void {
  // a below 2^53 (and b nonzero): one double division. The quotient x = a / b
  // rounds to within x * 2^-53 < 1 / b of itself, and a non-integer x lies at
  // least 1 / b below the next integer, so the floor of the rounded value is
  // floor(x); q * b <= a < 2^53 and the remainder are exact.
  // (A divisor of 2^53 or more is then above a: its rounding keeps it above, q = 0.)
  // Divisors below 2^21 keep the two-step path below (measured faster for them: div_digits).
  if (ah >>> 21 === 0 && (bh !== 0 || bl >>> 0 >= 0x200000)) {
    const a = ah * TWO32 + (al >>> 0);
    const b = (bh >>> 0) * TWO32 + (bl >>> 0);
    const q = Math.floor(a / b);
    const v = mod === 1 ? a - q * b : q;
    out[0] = v | 0;
    out[1] = (v / TWO32) | 0;
    return;
  }
  if (bh === 0) {
    const b = bl >>> 0;
    if (b === 0) {
      out[0] = mod === 1 ? al : 0;
      out[1] = mod === 1 ? ah : 0;
      return;
    }
    const a1 = ah >>> 0;
    if (a1 === 0) {
      const a = al >>> 0;
      out[0] = (mod === 1 ? a % b : Math.floor(a / b)) | 0;
      out[1] = 0;
      return;
    }
    const qh = Math.floor(a1 / b);
    if (b < 0x200000) {
      // Below 2^21: the high word's remainder and the low word make one dividend below 2^53.
      const x = (a1 - qh * b) * TWO32 + (al >>> 0);
      const q = Math.floor(x / b);
      if (mod === 1) {
        out[0] = (x - q * b) | 0;
        out[1] = 0;
      } else {
        out[0] = q | 0;
        out[1] = qh | 0;
      }
      return;
    }
    const x1 = (a1 - qh * b) * 65536 + (al >>> 16);
    const q1 = Math.floor(x1 / b);
    const x0 = (x1 - q1 * b) * 65536 + (al & 0xffff);
    const q0 = Math.floor(x0 / b);
    if (mod === 1) {
      out[0] = (x0 - q0 * b) | 0;
      out[1] = 0;
    } else {
      out[0] = (q1 * 65536 + q0) | 0;
      out[1] = qh | 0;
    }
    return;
  }
  // b >= 2^32: q < 2^32. Estimate, step one below, then correct upward.
  const est = Math.floor(((ah >>> 0) * TWO32 + (al >>> 0)) / ((bh >>> 0) * TWO32 + (bl >>> 0)));
  let q = est > 0 ? (est > 0xffffffff ? 0xffffffff : est) - 1 : 0;
  // r = a - q * b (exact: q * b <= a).
  const pl = Math.imul(q, bl);
  const ph = (mulhu32(q, bl) + Math.imul(q, bh)) | 0;
  let rl = (al - pl) | 0;
  let rh = (ah - ph - ((al >>> 0) < (pl >>> 0) ? 1 : 0)) | 0;
  // While r >= b: r -= b, q += 1 (at most twice).
  while (rh >>> 0 > bh >>> 0 || (rh === bh && rl >>> 0 >= bl >>> 0)) {
    const nl = (rl - bl) | 0;
    rh = (rh - bh - ((rl >>> 0) < (bl >>> 0) ? 1 : 0)) | 0;
    rl = nl;
    q++;
  }
  if (mod === 1) {
    out[0] = rl;
    out[1] = rh;
  } else {
    out[0] = q | 0;
    out[1] = 0;
  }
}

/** out = a / b (mod = 0) or a % b (mod = 1), signed (two's complement halves). */
export function sdivmod64(out: Int32Array, al: number, ah: number, bl: number, bh: number, mod: number): void {
  if (ah === al >> 31 && bh === bl >> 31) {
    // Both within int32: exact on doubles (INT32_MIN / -1 = 2^31 fits in 64 bits).
    if (bl === 0) {
      out[0] = mod === 1 ? al : 0;
      out[1] = mod === 1 ? ah : 0;
      return;
    }
    const q = mod === 1 ? al % bl : Math.trunc(al / bl);
    out[0] = q | 0;
    out[1] = q < 0 ? -1 : 0;
    return;
  }
  const an = ah < 0;
  const bn = bh < 0;
  // |a| and |b| as unsigned 64-bit (|INT64_MIN| = 2^63 is fine unsigned).
  const ual = an ? -al | 0 : al;
  const uah = an ? (~ah + (al === 0 ? 1 : 0)) | 0 : ah;
  const ubl = bn ? -bl | 0 : bl;
  const ubh = bn ? (~bh + (bl === 0 ? 1 : 0)) | 0 : bh;
  udivmod64(out, ual, uah, ubl, ubh, mod);
  // Quotient negative when the signs differ; remainder takes the dividend's sign.
  if (mod === 1 ? an : an !== bn) {
    const l = out[0]!;
    out[1] = (~out[1]! + (l === 0 ? 1 : 0)) | 0;
    out[0] = -l | 0;
  }
}
