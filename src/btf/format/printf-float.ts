// printf("%f") and "%Lf" as glibc prints them (half-even rounding on the
// exact binary value), for float, double and x87 long double values in
// libbpf's typed dump.

const TEN6 = 1000000n;

/** `%f` of sign * m * 2^e. */
function fixed6(neg: boolean, m: bigint, e: number): string {
  let q: bigint;
  if (e >= 0) q = (m * TEN6) << BigInt(e);
  else {
    const num = m * TEN6;
    const den = 1n << BigInt(-e);
    q = num / den;
    const r2 = (num % den) * 2n;
    if (r2 > den || (r2 === den && (q & 1n) === 1n)) q += 1n;
  }
  const int = q / TEN6;
  const frac = (q % TEN6).toString().padStart(6, "0");
  return `${neg ? "-" : ""}${int}.${frac}`;
}

/** glibc `%f` of a double (also used for floats, which widen exactly). */
export function formatDouble(x: number): string {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x);
  const hi = dv.getUint32(0);
  const lo = dv.getUint32(4);
  const neg = hi >>> 31 === 1;
  const exp = (hi >>> 20) & 0x7ff;
  const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (exp === 0x7ff) return (neg ? "-" : "") + (frac === 0n ? "inf" : "nan");
  if (exp === 0) return fixed6(neg, frac, -1074);
  return fixed6(neg, frac | (1n << 52n), exp - 1075);
}

/**
 * glibc `%Lf` of an x86 80-bit extended value (the first 10 bytes,
 * little-endian), every encoding class as glibc prints it: with a non-zero
 * exponent the explicit integer bit must be set, else the encoding is
 * invalid on x87 (unnormal, pseudo-infinity, pseudo-NaN) and prints `nan`
 * (`-nan` with the sign bit); exponent 0x7fff is `inf` only with the integer
 * bit alone; exponent 0 is a (pseudo-)denormal, scaled as exponent 1.
 */
export function formatLongDouble(dv: DataView): string {
  const m = dv.getBigUint64(0, true);
  const se = dv.getUint16(8, true);
  const sign = se >> 15 === 1 ? "-" : "";
  const exp = se & 0x7fff;
  if (exp !== 0 && m >> 63n === 0n) return sign + "nan";
  if (exp === 0x7fff) return sign + (m === 1n << 63n ? "inf" : "nan");
  return fixed6(sign !== "", m, (exp === 0 ? 1 : exp) - 16383 - 63);
}
