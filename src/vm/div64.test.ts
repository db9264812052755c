// div64.ts against BigInt on edge values and seeded random operands of every magnitude.
import { describe, expect, it } from "vitest";
import { sdivmod64, udivmod64 } from "./div64.js";

const u = (v: bigint) => BigInt.asUintN(64, v);
const s = (v: bigint) => BigInt.asIntN(64, v);
const lo = (v: bigint) => Number(v & 0xffffffffn) | 0;
const hi = (v: bigint) => Number((u(v) >> 32n) & 0xffffffffn) | 0;

const EDGES = [
  0n, 1n, 2n, 3n, 10n, 0xffffn, 0x10000n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x100000001n, 0x1ffffffffn,
  0xffffffff00000000n, 0x123456789abcdefn, 0x7fffffffffffffffn, 0x8000000000000000n, 0x8000000000000001n,
  0xfffffffffffffffen, 0xffffffffffffffffn, u(-10n), u(-0x80000000n), u(-0x80000001n), 0x1fffffffffffffn, 0x20000000000001n, 0x1fffffn, 0x200000n, 0x1fffff00000000n,
];

/** Seeded operands spread over every bit length (xorshift64). */
function randoms(n: number): bigint[] {
  let x = 0x9e3779b97f4a7c15n;
  const out: bigint[] = [];
  for (let i = 0; i < n; i++) {
    x ^= u(x << 13n);
    x ^= x >> 7n;
    x ^= u(x << 17n);
    out.push(x >> BigInt(i % 64));
  }
  return out;
}

function run(f: typeof udivmod64, a: bigint, b: bigint, mod: number): bigint {
  const out = new Int32Array(2);
  f(out, lo(a), hi(a), lo(b), hi(b), mod);
  return (BigInt(out[1]! >>> 0) << 32n) | BigInt(out[0]! >>> 0);
}

const refU = (a: bigint, b: bigint, mod: number) => (b === 0n ? (mod ? a : 0n) : mod ? a % b : a / b);
const refS = (a: bigint, b: bigint, mod: number) => (b === 0n ? (mod ? a : 0n) : u(mod ? s(a) % s(b) : s(a) / s(b)));

describe("div64: BigInt-free 64-bit division", () => {
  const vals = [...EDGES, ...randoms(300)];
  for (const [name, f, ref] of [
    ["unsigned", udivmod64, refU],
    ["signed", sdivmod64, refS],
  ] as const) {
    it(`${name} quotient and remainder equal BigInt's on ${vals.length}^2 operand pairs`, () => {
      let bad: string | undefined;
      for (const a of vals) {
        for (const b of vals) {
          for (const mod of [0, 1]) {
            const got = run(f, a, b, mod);
            const want = ref(a, b, mod);
            if (got !== want && bad === undefined) bad = `${a} ${mod ? "%" : "/"} ${b}: ${got}, expected ${want}`;
          }
        }
      }
      expect(bad).toBeUndefined();
    });
  }

  it("operands below 2^53 (one double division): quotients just below, at and above integers, up to the boundary", () => {
    const LIMIT = 1n << 53n;
    const divisors = [1n, 3n, 7n, 0xffffffffn, 0x100000001n, 0x12345678901n, (1n << 52n) + 1n, LIMIT - 1n, LIMIT - 3n, 0x1fffff00000001n];
    const cases: [bigint, bigint][] = [];
    for (const b of divisors) {
      for (const q of [0n, 1n, 2n, 0xfffffn, (LIMIT - 1n) / b, (LIMIT - 1n) / b - 1n]) {
        for (const r of [0n, 1n, b - 1n]) {
          const a = q * b + r;
          if (a >= 0n && a < LIMIT && r < b) cases.push([a, b]);
        }
      }
    }
    // and the first operands past it, which take the wide path
    cases.push([LIMIT, 3n], [LIMIT - 1n, LIMIT], [LIMIT + 1n, LIMIT - 1n], [(LIMIT << 1n) - 1n, 0x100000001n]);
    expect(cases.length).toBe(136);
    for (const [a, b] of cases) {
      for (const mod of [0, 1]) expect(run(udivmod64, a, b, mod), `${a} ${mod ? "%" : "/"} ${b}`).toBe(refU(a, b, mod));
      for (const mod of [0, 1]) expect(run(sdivmod64, u(-a), b, mod), `-${a} ${mod ? "%" : "/"} ${b}`).toBe(refS(u(-a), b, mod));
    }
  });

  it("the RFC 9669 special cases", () => {
    const MIN = 0x8000000000000000n;
    expect(run(sdivmod64, MIN, u(-1n), 0)).toBe(MIN);
    expect(run(sdivmod64, MIN, u(-1n), 1)).toBe(0n);
    expect(run(sdivmod64, u(-7n), 2n, 0)).toBe(u(-3n));
    expect(run(sdivmod64, u(-7n), 2n, 1)).toBe(u(-1n));
    expect(run(sdivmod64, 7n, u(-2n), 1)).toBe(1n);
    expect(run(udivmod64, 0xffffffffffffffffn, 0n, 0)).toBe(0n);
    expect(run(udivmod64, 0xffffffffffffffffn, 0n, 1)).toBe(0xffffffffffffffffn);
    expect(run(sdivmod64, u(-5n), 0n, 1)).toBe(u(-5n));
    expect(run(udivmod64, 0xffffffffffffffffn, 0x100000000n, 0)).toBe(0xffffffffn);
    expect(run(udivmod64, 0xffffffffffffffffn, 0xffffffffn, 0)).toBe(0x100000001n);
  });
});
