// Bob Jenkins' lookup3 hash as the kernel's <linux/jhash.h> has it: jhash()
// over bytes and jhash2() over u32 words. Hash maps pick buckets with it
// (htab_map_hash) and stack maps pick stack ids (jhash2 of the ips), so
// bucket order and stack ids come out as the kernel's for a zero seed.

const JHASH_INITVAL = 0xdeadbeef;

function rol32(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** State of the three lanes; mutated in place by mix/final. */
interface Lanes {
  a: number;
  b: number;
  c: number;
}

function mix(s: Lanes): void {
  let { a, b, c } = s;
  a = (a - c) >>> 0; a = (a ^ rol32(c, 4)) >>> 0; c = (c + b) >>> 0;
  b = (b - a) >>> 0; b = (b ^ rol32(a, 6)) >>> 0; a = (a + c) >>> 0;
  c = (c - b) >>> 0; c = (c ^ rol32(b, 8)) >>> 0; b = (b + a) >>> 0;
  a = (a - c) >>> 0; a = (a ^ rol32(c, 16)) >>> 0; c = (c + b) >>> 0;
  b = (b - a) >>> 0; b = (b ^ rol32(a, 19)) >>> 0; a = (a + c) >>> 0;
  c = (c - b) >>> 0; c = (c ^ rol32(b, 4)) >>> 0; b = (b + a) >>> 0;
  s.a = a; s.b = b; s.c = c;
}

function final(s: Lanes): void {
  let { a, b, c } = s;
  c = (c ^ b) >>> 0; c = (c - rol32(b, 14)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rol32(c, 11)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rol32(a, 25)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rol32(b, 16)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rol32(c, 4)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rol32(a, 14)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rol32(b, 24)) >>> 0;
  s.a = a; s.b = b; s.c = c;
}

function le32(k: Uint8Array, o: number): number {
  return (k[o]! | (k[o + 1]! << 8) | (k[o + 2]! << 16) | (k[o + 3]! << 24)) >>> 0;
}

/** jhash(key, length, initval): the hash of `key`'s bytes (little-endian word loads, as on x86). */
export function jhash(key: Uint8Array, initval = 0): number {
  return jhashAt(key, 0, key.length, initval);
}

/** jhash of the `length` bytes at `off` of `key` (a key read in place). */
export function jhashAt(key: Uint8Array, off: number, length: number, initval = 0): number {
  const init = (JHASH_INITVAL + length + initval) >>> 0;
  const s: Lanes = { a: init, b: init, c: init };
  let o = off;
  while (length > 12) {
    s.a = (s.a + le32(key, o)) >>> 0;
    s.b = (s.b + le32(key, o + 4)) >>> 0;
    s.c = (s.c + le32(key, o + 8)) >>> 0;
    mix(s);
    length -= 12;
    o += 12;
  }
  if (length === 0) return s.c;
  // The kernel's fall-through switch on the 1..12 remaining bytes.
  for (let i = length - 1; i >= 0; i--) {
    const v = key[o + i]! << ((i % 4) * 8);
    if (i >= 8) s.c = (s.c + v) >>> 0;
    else if (i >= 4) s.b = (s.b + v) >>> 0;
    else s.a = (s.a + v) >>> 0;
  }
  final(s);
  return s.c;
}

/** jhash2(k, length, initval): the hash of `words.length` u32 words. */
export function jhash2(words: ArrayLike<number>, initval = 0): number {
  let length = words.length;
  const init = (JHASH_INITVAL + ((length << 2) >>> 0) + initval) >>> 0;
  const s: Lanes = { a: init, b: init, c: init };
  let o = 0;
  while (length > 3) {
    s.a = (s.a + words[o]!) >>> 0;
    s.b = (s.b + words[o + 1]!) >>> 0;
    s.c = (s.c + words[o + 2]!) >>> 0;
    mix(s);
    length -= 3;
    o += 3;
  }
  if (length === 0) return s.c;
  if (length >= 3) s.c = (s.c + words[o + 2]!) >>> 0;
  if (length >= 2) s.b = (s.b + words[o + 1]!) >>> 0;
  s.a = (s.a + words[o]!) >>> 0;
  final(s);
  return s.c;
}

/** The u32 words of a byte string whose length is a multiple of 4 (little-endian). */
export function wordsOf(bytes: Uint8Array): Uint32Array {
  const w = new Uint32Array(bytes.length >>> 2);
  for (let i = 0; i < w.length; i++) w[i] = le32(bytes, i * 4);
  return w;
}
