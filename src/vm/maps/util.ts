// Small arithmetic and byte helpers shared by the map implementations:
// kernel-style rounding, power-of-two tests, u32/u64 little-endian access
// (the modelled machine is x86-64) and argument range checks.

export function roundUp8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

export function isPowerOf2(n: number): boolean {
  return n > 0 && Number.isInteger(n) && Number.isInteger(Math.log2(n));
}

/** roundup_pow_of_two() for 1 <= n <= 2^31. */
export function roundupPowOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Whether `n` is an integer in [0, 2^32). */
export function isU32(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}

export function readU32(b: Uint8Array, off = 0): number {
  return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
}

export function writeU32(b: Uint8Array, off: number, v: number): void {
  b[off] = v & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
  b[off + 2] = (v >>> 16) & 0xff;
  b[off + 3] = (v >>> 24) & 0xff;
}

export function u32Bytes(v: number): Uint8Array {
  const b = new Uint8Array(4);
  writeU32(b, 0, v);
  return b;
}

export function writeU64(b: Uint8Array, off: number, v: bigint): void {
  const x = BigInt.asUintN(64, v);
  writeU32(b, off, Number(x & 0xffffffffn));
  writeU32(b, off + 4, Number(x >> 32n));
}

export function readU64(b: Uint8Array, off = 0): bigint {
  return BigInt(readU32(b, off)) | (BigInt(readU32(b, off + 4)) << 32n);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A u64 register value as a JS number, saturating at Number.MAX_SAFE_INTEGER. */
export function u64ToNumber(v: bigint): number {
  const x = BigInt.asUintN(64, v);
  return x > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(x);
}

/** The first `size` bytes of `b` (b itself when that is all of it: no new view per map update). */
export function firstBytes(b: Uint8Array, size: number): Uint8Array {
  return b.length === size ? b : b.subarray(0, size);
}
