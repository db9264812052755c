// toBigU / toBigS / fromBig: the conversions between BigInt and the (lo, hi)
// int32 halves, on every path toBigU takes (cached small values, one
// conversion below 2^53, two above it). The BigInt-free 64-bit multiply,
// division and modulo against BigInt over edge cases and seeded random
// values of every magnitude.
import { describe, expect, it } from "vitest";
import { fromBig, mul64, mulhu32, toBigS, toBigU } from "./alu64.js";
import { sdivmod64, udivmod64 } from "./div64.js";

const udiv64 = (o: Int32Array, al: number, ah: number, bl: number, bh: number) => udivmod64(o, al, ah, bl, bh, 0);
const umod64 = (o: Int32Array, al: number, ah: number, bl: number, bh: number) => udivmod64(o, al, ah, bl, bh, 1);
const sdiv64 = (o: Int32Array, al: number, ah: number, bl: number, bh: number) => sdivmod64(o, al, ah, bl, bh, 0);
const smod64 = (o: Int32Array, al: number, ah: number, bl: number, bh: number) => sdivmod64(o, al, ah, bl, bh, 1);

const halves = (v: bigint): [number, number] => {
  const out = new Int32Array(2);
  fromBig(out, v);
  return [out[0]!, out[1]!];
};

describe("64-bit halves", () => {
  const values = [0n, 1n, 1023n, 1024n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 1n << 32n, (1n << 53n) - 1n, 1n << 53n, 0xffff888000100000n, 0xfffffffffffffff2n, (1n << 64n) - 1n];
  it.each(values.map((v) => [v]))("round-trips 0x%s", (v) => {
    const [lo, hi] = halves(v);
    expect(toBigU(lo, hi)).toBe(v);
    expect(toBigS(lo, hi)).toBe(BigInt.asIntN(64, v));
  });

  it("reads lo as unsigned whatever its sign", () => {
    expect(toBigU(-1, 0)).toBe(0xffffffffn);
    expect(toBigU(-14, -1)).toBe(0xfffffffffffffff2n);
    expect(toBigU(5, 0x1fffff)).toBe((0x1fffffn << 32n) | 5n);
    expect(toBigU(5, 0x200000)).toBe((0x200000n << 32n) | 5n);
  });
});

describe("64-bit multiply, division and modulo without BigInt", () => {
  const M = (1n << 64n) - 1n;
  const EDGES: bigint[] = [];
  for (const base of [0n, 1n, 2n, 3n, 7n, 10n, 0xffffn, 0x10000n, 0x1fffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 1n << 32n, (1n << 32n) + 1n, (1n << 48n) - 1n, 1n << 52n, (1n << 53n) - 1n, 1n << 53n, (1n << 53n) + 1n, 1n << 63n, M]) {
    for (const d of [-1n, 0n, 1n]) EDGES.push((base + d) & M);
  }
  for (let k = 0; k < 64; k++) EDGES.push(1n << BigInt(k), ((1n << BigInt(k)) - 1n) & M, (M - (1n << BigInt(k)) + 1n) & M);
  // xorshift64 from a fixed seed, then values of every bit length (random 64-bit values are almost all huge).
  let x = 0x9e3779b97f4a7c15n;
  const next = (): bigint => {
    x ^= (x << 13n) & M;
    x ^= x >> 7n;
    x ^= (x << 17n) & M;
    return x;
  };
  const RANDOM: bigint[] = [];
  for (let i = 0; i < 4000; i++) RANDOM.push(next() >> (next() % 64n));

  const out = new Int32Array(2);
  const halves = (v: bigint): [number, number] => {
    fromBig(out, v);
    return [out[0]!, out[1]!];
  };
  type Op = (o: Int32Array, al: number, ah: number, bl: number, bh: number) => void;
  const run = (op: Op, a: bigint, b: bigint): bigint => {
    const [al, ah] = halves(a);
    const [bl, bh] = halves(b);
    op(out, al, ah, bl, bh);
    return toBigU(out[0]!, out[1]!);
  };
  const s64 = (v: bigint) => BigInt.asIntN(64, v);
  const refs: [string, Op, (a: bigint, b: bigint) => bigint][] = [
    ["udiv64", udiv64, (a, b) => (b === 0n ? 0n : a / b)],
    ["umod64", umod64, (a, b) => (b === 0n ? a : a % b)],
    ["sdiv64", sdiv64, (a, b) => (b === 0n ? 0n : BigInt.asUintN(64, s64(a) / s64(b)))],
    ["smod64", smod64, (a, b) => (b === 0n ? a : BigInt.asUintN(64, s64(a) % s64(b)))],
    ["mul64", mul64, (a, b) => (a * b) & M],
  ];

  /** Compares op with its BigInt reference over pairs; returns the count (every mismatch fails with its operands). */
  function compare(pairs: Iterable<[bigint, bigint]>): number {
    let n = 0;
    for (const [a, b] of pairs) {
      for (const [name, op, ref] of refs) {
        const got = run(op, a, b);
        const want = ref(a, b);
        if (got !== want) expect({ name, a: a.toString(16), b: b.toString(16), got: got.toString(16) }).toEqual({ name, a: a.toString(16), b: b.toString(16), got: want.toString(16) });
      }
      n++;
    }
    return n;
  }

  it("matches BigInt on every pair of edge values", () => {
    function* pairs(): Generator<[bigint, bigint]> {
      for (const a of EDGES) for (const b of EDGES) yield [a, b];
    }
    expect(compare(pairs())).toBe(EDGES.length ** 2);
  });

  it("matches BigInt on seeded random values of every magnitude, and edges against them", () => {
    function* pairs(): Generator<[bigint, bigint]> {
      for (let i = 0; i + 1 < RANDOM.length; i += 2) yield [RANDOM[i]!, RANDOM[i + 1]!];
      for (let i = 0; i < RANDOM.length; i++) yield [RANDOM[i]!, EDGES[i % EDGES.length]!];
      for (let i = 0; i < RANDOM.length; i++) yield [EDGES[i % EDGES.length]!, RANDOM[i]!];
      // Quotients near 2^32 and near the float estimate's edges: b just above 2^32, a near 2^64.
      for (let i = 0; i < 2000; i++) yield [M - (next() >> 40n), (1n << 32n) + (next() >> 40n)];
    }
    expect(compare(pairs())).toBe(RANDOM.length / 2 + 2 * RANDOM.length + 2000);
  });

  it("gives the RFC's results for the special cases", () => {
    const MIN = 1n << 63n;
    expect(run(sdiv64, MIN, M)).toBe(MIN); // INT64_MIN / -1
    expect(run(smod64, MIN, M)).toBe(0n); // INT64_MIN % -1
    expect(run(sdiv64, 7n, 0n)).toBe(0n);
    expect(run(smod64, BigInt.asUintN(64, -7n), 0n)).toBe(BigInt.asUintN(64, -7n));
    expect(run(sdiv64, BigInt.asUintN(64, -7n), 2n)).toBe(BigInt.asUintN(64, -3n));
    expect(run(smod64, BigInt.asUintN(64, -7n), 2n)).toBe(BigInt.asUintN(64, -1n));
    expect(run(smod64, 7n, BigInt.asUintN(64, -2n))).toBe(1n);
    expect(run(udiv64, M, 1n << 32n)).toBe(0xffffffffn);
    expect(run(umod64, M, 10n)).toBe(5n);
  });

  it("mulhu32 is the high half of the unsigned product", () => {
    for (const [a, b] of [[0xffffffff, 0xffffffff], [0x80000000, 2], [0x12345678, 0x9abcdef0], [1, 0xffffffff], [0, 5]] as const) {
      expect(mulhu32(a | 0, b | 0) >>> 0).toBe(Number((BigInt(a) * BigInt(b)) >> 32n));
    }
  });
});
