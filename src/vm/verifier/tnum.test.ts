// Tnum operations against hand-computed results, plus a seeded check that
// every operation is sound for random members of random tnums.
import { describe, expect, it } from "vitest";
import {
  TNUM_UNKNOWN,
  tnum,
  tnumAdd,
  tnumAnd,
  tnumArshift,
  tnumBswap16,
  tnumBswap32,
  tnumBswap64,
  tnumCast,
  tnumClearSubreg,
  tnumConst,
  tnumConstSubreg,
  tnumContains,
  tnumIn,
  tnumIntersect,
  tnumIsAligned,
  tnumIsConst,
  tnumIsUnknown,
  tnumLshift,
  tnumMul,
  tnumNeg,
  tnumOr,
  tnumOverlap,
  tnumRange,
  tnumRshift,
  tnumSub,
  tnumSubreg,
  tnumSubregIsConst,
  tnumToBinary,
  tnumToString,
  tnumUnion,
  tnumWithSubreg,
  tnumXor,
  type Tnum,
} from "./tnum.js";

const M64 = (1n << 64n) - 1n;
const T = (value: bigint, mask: bigint): Tnum => ({ value, mask });
const C = (v: bigint): Tnum => T(v, 0n);

describe("tnum constructors", () => {
  it("const, unknown and normalisation", () => {
    expect(tnumConst(5n)).toEqual(T(5n, 0n));
    expect(tnumConst(-1n)).toEqual(T(M64, 0n));
    expect(TNUM_UNKNOWN).toEqual(T(0n, M64));
    expect(tnum(0xffn, 0x0fn)).toEqual(T(0xf0n, 0x0fn));
    expect(tnumIsUnknown(TNUM_UNKNOWN)).toBe(true);
    expect(tnumIsConst(C(0n))).toBe(true);
    expect(tnumIsConst(T(0n, 1n))).toBe(false);
  });

  it.each([
    [0n, 255n, T(0n, 0xffn)],
    [16n, 31n, T(0x10n, 0xfn)],
    [5n, 7n, T(4n, 3n)],
    [7n, 7n, C(7n)],
    [0n, 0n, C(0n)],
    [0x100000000n, 0x1ffffffffn, T(0x100000000n, 0xffffffffn)],
    [1n << 63n, M64, T(1n << 63n, (1n << 63n) - 1n)],
    [0n, M64, TNUM_UNKNOWN],
    [0n, 1n << 63n, TNUM_UNKNOWN],
  ])("tnumRange(%s, %s)", (lo, hi, want) => {
    expect(tnumRange(lo, hi)).toEqual(want);
  });
});

describe("tnum arithmetic", () => {
  it.each([
    ["add const", tnumAdd(C(3n), C(5n)), C(8n)],
    ["add wraps", tnumAdd(C(M64), C(2n)), C(1n)],
    ["add two unknown low bits", tnumAdd(T(0n, 1n), T(0n, 1n)), T(0n, 3n)],
    ["add carry spreads", tnumAdd(T(0x10n, 0xfn), C(1n)), T(0n, 0x3fn)],
    ["sub const", tnumSub(C(10n), C(3n)), C(7n)],
    ["sub wraps", tnumSub(C(0n), C(1n)), C(M64)],
    ["sub range", tnumSub(T(4n, 3n), C(4n)), T(0n, 3n)],
    ["neg const", tnumNeg(C(1n)), C(M64)],
    ["neg unknown low nibble", tnumNeg(T(0n, 0xfn)), TNUM_UNKNOWN],
    ["mul const", tnumMul(C(3n), C(7n)), C(21n)],
    ["mul unknown bit by 6", tnumMul(T(0n, 1n), C(6n)), T(0n, 6n)],
    ["mul 6 by unknown bit", tnumMul(C(6n), T(0n, 1n)), T(0n, 6n)],
    ["mul wraps", tnumMul(C(1n << 63n), C(2n)), C(0n)],
  ])("%s", (_name, got, want) => {
    expect(got).toEqual(want);
  });
});

describe("tnum bitwise and shifts", () => {
  it.each([
    ["and with const mask", tnumAnd(T(0n, 0xffn), C(0x0fn)), T(0n, 0x0fn)],
    ["and learns known bits", tnumAnd(T(1n, 0xf0n), T(3n, 0x0cn)), C(1n)],
    ["or", tnumOr(T(1n, 2n), C(4n)), T(5n, 2n)],
    ["or known 1 beats unknown", tnumOr(T(0n, 0xffn), C(0x0fn)), T(0x0fn, 0xf0n)],
    ["xor", tnumXor(T(1n, 2n), C(3n)), T(0n, 2n)],
    ["lsh", tnumLshift(T(1n, 2n), 4), T(0x10n, 0x20n)],
    ["lsh out of 64 bits", tnumLshift(C(3n), 63), C(1n << 63n)],
    ["rsh", tnumRshift(T(0x10n, 0x20n), 4), T(1n, 2n)],
    ["arsh64 negative", tnumArshift(T(1n << 63n, 1n), 4, 64), C(0xf800000000000000n)],
    ["arsh64 unknown sign", tnumArshift(T(0n, 1n << 63n), 4, 64), T(0n, 0xf800000000000000n)],
    ["arsh32 negative", tnumArshift(T(0x80000000n, 0xfn), 4, 32), C(0xf8000000n)],
    ["arsh32 ignores upper word", tnumArshift(T(0xff00000000000001n, 0x70000000n), 28, 32), T(0n, 7n)],
    ["intersect", tnumIntersect(T(0n, 0xffn), T(0x10n, 0x0fn)), T(0x10n, 0xfn)],
    ["union", tnumUnion(C(1n), C(2n)), T(0n, 3n)],
    ["cast 2", tnumCast(T(0x1200000000cdn, 0xff00n), 2), T(0xcdn, 0xff00n)],
    ["cast 1", tnumCast(T(0x1200000000cdn, 0xff00n), 1), C(0xcdn)],
    ["subreg", tnumSubreg(T(0x100000001n, 0xf000000010n)), T(1n, 0x10n)],
    ["clear subreg", tnumClearSubreg(T(0x100000001n, 0xf000000010n)), T(0x100000000n, 0xf000000000n)],
    ["with subreg", tnumWithSubreg(C(0x1ffffffffn), T(5n, 2n)), T(0x100000005n, 2n)],
    ["const subreg", tnumConstSubreg(T(0n, M64), 7n), T(7n, 0xffffffff00000000n)],
    ["bswap16", tnumBswap16(T(0xffff1230n, 0x4n)), T(0x3012n, 0x0400n)],
    ["bswap32", tnumBswap32(C(0x9911223344n)), C(0x44332211n)],
    ["bswap64", tnumBswap64(T(0x0102030405060700n, 0x08n)), T(0x0007060504030201n, 0x0800000000000000n)],
  ])("%s", (_name, got, want) => {
    expect(got).toEqual(want);
  });

  it("predicates", () => {
    expect(tnumIn(T(0n, 0xffn), T(0x10n, 0x0fn))).toBe(true);
    expect(tnumIn(T(0x10n, 0x0fn), T(0n, 0xffn))).toBe(false);
    expect(tnumIn(T(0x10n, 0x0fn), C(0x1fn))).toBe(true);
    expect(tnumIn(T(0x10n, 0x0fn), C(0x20n))).toBe(false);
    expect(tnumIn(TNUM_UNKNOWN, C(123n))).toBe(true);
    expect(tnumIsAligned(T(0x10n, 0x30n), 16)).toBe(true);
    expect(tnumIsAligned(T(0x10n, 0x30n), 32)).toBe(false);
    expect(tnumIsAligned(T(0x1n, 0n), 0)).toBe(true);
    expect(tnumContains(T(0x10n, 0x0fn), 0x1an)).toBe(true);
    expect(tnumContains(T(0x10n, 0x0fn), 0x2an)).toBe(false);
    expect(tnumOverlap(T(0x1n, 0x2n), T(0x3n, 0x0n))).toBe(true);
    expect(tnumOverlap(T(0x1n, 0x2n), T(0x0n, 0x2n))).toBe(false);
    expect(tnumSubregIsConst(T(5n, 0xffffffff00000000n))).toBe(true);
    expect(tnumSubregIsConst(T(4n, 1n))).toBe(false);
  });

  it("formats like the kernel", () => {
    expect(tnumToString(T(0n, 0xffn))).toBe("(0x0; 0xff)");
    expect(tnumToString(TNUM_UNKNOWN)).toBe("(0x0; 0xffffffffffffffff)");
    expect(tnumToString(T(0xfffffffffffffff0n, 0xfn))).toBe("(0xfffffffffffffff0; 0xf)");
    expect(tnumToString(C(42n))).toBe("(0x2a; 0x0)");
    expect(tnumToBinary(T(0b100n, 0b10n))).toBe("0".repeat(61) + "1x0");
  });
});

// --- soundness on random members -------------------------------------------

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("tnum soundness (seeded)", () => {
  it("op(x, y) is a member of tnumOp(a, b) for members x of a, y of b", () => {
    const rnd = mulberry32(0x7e57);
    const r32 = (): bigint => BigInt(Math.floor(rnd() * 4294967296));
    const r64 = (): bigint => (r32() << 32n) | r32();
    // Masks biased to contiguous low runs, sparse bits and full words.
    const rmask = (): bigint => {
      switch (Math.floor(rnd() * 5)) {
        case 0: return 0n;
        case 1: return (1n << BigInt(Math.floor(rnd() * 65))) - 1n;
        case 2: return r64() & r64() & r64();
        case 3: return r64();
        default: return M64;
      }
    };
    const rtnum = (): Tnum => tnum(r64(), rmask());
    const member = (t: Tnum): bigint => t.value | (r64() & t.mask);
    const u64 = (x: bigint) => BigInt.asUintN(64, x);
    const u32 = (x: bigint) => BigInt.asUintN(32, x);
    let checks = 0;
    for (let i = 0; i < 2000; i++) {
      const a = rtnum();
      const b = rtnum();
      const sh = Math.floor(rnd() * 64);
      const sh32 = sh & 31;
      const results: [string, Tnum, (x: bigint, y: bigint) => bigint][] = [
        ["add", tnumAdd(a, b), (x, y) => u64(x + y)],
        ["sub", tnumSub(a, b), (x, y) => u64(x - y)],
        ["mul", tnumMul(a, b), (x, y) => u64(x * y)],
        ["and", tnumAnd(a, b), (x, y) => x & y],
        ["or", tnumOr(a, b), (x, y) => x | y],
        ["xor", tnumXor(a, b), (x, y) => x ^ y],
        ["neg", tnumNeg(a), (x) => u64(-x)],
        ["lsh", tnumLshift(a, sh), (x) => u64(x << BigInt(sh))],
        ["rsh", tnumRshift(a, sh), (x) => x >> BigInt(sh)],
        ["arsh64", tnumArshift(a, sh, 64), (x) => u64(BigInt.asIntN(64, x) >> BigInt(sh))],
        ["arsh32", tnumArshift(a, sh32, 32), (x) => u32(BigInt.asIntN(32, x) >> BigInt(sh32))],
        ["union", tnumUnion(a, b), (x, y) => (rnd() < 0.5 ? x : y)],
        ["bswap32", tnumBswap32(a), (x) => BigInt(`0x${u32(x).toString(16).padStart(8, "0").match(/../g)!.reverse().join("")}`)],
      ];
      for (let k = 0; k < 3; k++) {
        const x = member(a);
        const y = member(b);
        for (const [name, t, f] of results) {
          const r = f(x, y);
          if (!tnumContains(t, r)) {
            throw new Error(`${name}: ${x.toString(16)}, ${y.toString(16)} -> ${r.toString(16)} not in ${tnumToString(t)} (a=${tnumToString(a)} b=${tnumToString(b)})`);
          }
          checks++;
        }
      }
      // A range's tnum holds the range; an intersection of tnums holds their common members.
      const lo = member(a);
      const hi = member(b);
      const [mn, mx] = lo <= hi ? [lo, hi] : [hi, lo];
      const rg = tnumRange(mn, mx);
      expect(tnumContains(rg, mn) && tnumContains(rg, mx)).toBe(true);
      if (tnumContains(a, hi)) expect(tnumContains(tnumIntersect(a, b), hi)).toBe(true);
    }
    expect(checks).toBeGreaterThan(50000);
  });
});
