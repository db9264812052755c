// toJsonText(): the compiled fast path must give exactly JSON.stringify(toJsonValue())
// for every type, every byte pattern and every truncation — including the
// cases it leaves to toJsonValue (odd keys, duplicates, cycles, deep nesting).
import { describe, expect, it } from "vitest";
import { Btf } from "../btf.js";
import { BtfBuilder } from "../builder.js";
import { BtfKind, IntEncoding } from "../kinds.js";
import type { BtfType, IntType, TypeId } from "../types.js";
import { toJsonText, toJsonValue } from "./value-json.js";

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
}

/** Compares the two paths on random, zero, all-ones and sign-bit-heavy data at every length up to size + 2. */
function expectSame(btf: Btf, id: TypeId, size: number, seed = 1): void {
  const rnd = rng(seed);
  const patterns: ((i: number) => number)[] = [
    () => (rnd() * 256) | 0,
    () => 0,
    () => 0xff,
    (i) => (i % 2 ? 0x80 : 0x7f),
    () => (rnd() < 0.7 ? 0 : (rnd() * 256) | 0),
  ];
  for (let len = 0; len <= size + 2; len++) {
    for (const p of patterns) {
      const data = new Uint8Array(len);
      for (let i = 0; i < len; i++) data[i] = p(i);
      const want = JSON.stringify(toJsonValue(btf, id, data));
      expect(toJsonText(btf, id, data), `type ${id}, ${len} bytes: ${Array.from(data).join(",")}`).toBe(want);
    }
  }
}

describe("toJsonText", () => {
  const b = new BtfBuilder();
  const int = b.int("int", 4, IntEncoding.SIGNED);
  const uint = b.int("unsigned int", 4);
  const char = b.int("char", 1, IntEncoding.SIGNED);
  const uchar = b.int("unsigned char", 1);
  const short = b.int("short", 2, IntEncoding.SIGNED);
  const ushort = b.int("unsigned short", 2);
  const ll = b.int("long long", 8, IntEncoding.SIGNED);
  const ull = b.int("unsigned long long", 8);
  const i128 = b.int("__int128", 16, IntEncoding.SIGNED);
  const bool = b.int("_Bool", 1, IntEncoding.BOOL);
  const cchar = b.int("weird char", 1, IntEncoding.CHAR);
  const flt = b.float("float", 4);
  const dbl = b.float("double", 8);
  const ld = b.float("long double", 16);
  const u8 = b.typedef("__u8", uchar);
  const e8 = b.enum("e8", 1, [["A", 0], ["B", 1], ["C", -1]]);
  const e16 = b.enum("e16", 2, [["X", 0x7fff], ["Y", 1]]);
  const e32u = b.enum("e32u", 4, [["BIG", 0xffffffff], ["ONE", 1], ["ONE_AGAIN", 1]], false);
  const e32s = b.enum("e32s", 4, [["NEG", -2], ["Z", 0]], true);
  const e64 = b.enum64("e64", 8, [["HUGE", 2n ** 63n], ["SMALL", 5n]], false);
  const e64s = b.enum64("e64s", 8, [["M", -(2n ** 40n)]], true);

  const inner = b.struct("", 8);
  b.field(inner, "a", short, 0).field(inner, "b", ushort, 16).field(inner, "c", bool, 32).field(inner, "pad", uchar, 40);
  const anonU = b.union("", 8);
  b.field(anonU, "", inner, 0).field(anonU, "whole", ull, 0);
  const point = b.struct("point", 4);
  b.field(point, "x", short, 0).field(point, "y", short, 16);

  const big = b.struct("big", 160);
  b.field(big, "i", int, 0)
    .field(big, "u", uint, 32)
    .field(big, "c", char, 64)
    .field(big, "uc", b.const(b.volatile(uchar)), 72)
    .field(big, "s", short, 80)
    .field(big, "ll", ll, 96)
    .field(big, "ull", ull, 160)
    .field(big, "", anonU, 224)
    .field(big, "name", b.array(char, int, 6), 288)
    .field(big, "bytes", b.array(u8, int, 3), 336)
    .field(big, "cc", b.array(cchar, int, 2), 360)
    .field(big, "pts", b.array(point, int, 2), 384)
    .field(big, "none", b.array(int, int, 0), 448)
    .field(big, "p", b.ptr(big), 448)
    .field(big, "f", flt, 512)
    .field(big, "d", dbl, 544)
    .field(big, "bf1", int, 608, 1)
    .field(big, "bf3", int, 609, 3)
    .field(big, "bfu", uint, 612, 7)
    .field(big, "bfb", bool, 619, 1)
    .field(big, "bfe", e32s, 620, 4)
    .field(big, "bfeu", e32u, 624, 9)
    .field(big, "", int, 633, 7)
    .field(big, "bf33", ull, 640, 33)
    .field(big, "bf63s", ll, 673, 63)
    .field(big, "bf32", uint, 736, 32)
    .field(big, "bf32s", int, 768, 32)
    .field(big, "e8", e8, 800)
    .field(big, "e16", e16, 808)
    .field(big, "e32u", e32u, 832)
    .field(big, "e32s", e32s, 864)
    .field(big, "e64", e64, 896)
    .field(big, "e64s", e64s, 960)
    .field(big, "i128", i128, 1024)
    .field(big, "ld", ld, 1152);
  const grid = b.array(b.array(point, int, 2), int, 3);
  const pad = b.struct("padded", 20);
  b.field(pad, "bits", b.int("odd", 4, 0), 0).field(pad, "b4", b.int("bool4", 4, IntEncoding.BOOL), 32).field(pad, "f3", b.float("f12", 12), 64);
  const btf = b.finish();
  // An INT using only part of its storage (nr_bits / bits_offset).
  (btf.typeById(btf.findByName("odd")!) as IntType).nrBits = 12;
  (btf.typeById(btf.findByName("odd")!) as IntType).bitsOffset = 3;

  it("matches toJsonValue on every kind, pattern and truncation", () => {
    expectSame(btf, big, 160);
    expectSame(btf, grid, 24);
    expectSame(btf, pad, 20);
    for (const id of [int, uint, char, uchar, short, ushort, ll, ull, i128, bool, flt, dbl, ld, e8, e16, e32u, e32s, e64, e64s, inner, anonU, point]) {
      expectSame(btf, id, 16, id);
    }
    expectSame(btf, 0, 4);
    expectSame(btf, 9999, 4);
  });

  it("keeps exact 64-bit integers at the 2^53 boundaries", () => {
    for (const v of [2n ** 53n - 1n, 2n ** 53n, -(2n ** 53n) + 1n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n), 2n ** 32n, -(2n ** 32n)]) {
      const data = new Uint8Array(8);
      new DataView(data.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
      expect(toJsonText(btf, ll, data)).toBe(JSON.stringify(toJsonValue(btf, ll, data)));
      expect(toJsonText(btf, ull, data)).toBe(JSON.stringify(toJsonValue(btf, ull, data)));
    }
  });

  it("falls back for keys JSON.stringify reorders or drops, and for duplicates", () => {
    const types: BtfType[] = [
      { kind: BtfKind.INT, name: "int", size: 4, encoding: IntEncoding.SIGNED, bitsOffset: 0, nrBits: 32 }, // 1
      {
        kind: BtfKind.STRUCT, name: "odd", size: 16, kflag: false,
        members: [
          { name: "b", type: 1, bitsOffset: 0, bitfieldSize: 0 },
          { name: "0", type: 1, bitsOffset: 32, bitfieldSize: 0 },
          { name: "__proto__", type: 4, bitsOffset: 64, bitfieldSize: 0 },
          { name: "b", type: 1, bitsOffset: 96, bitfieldSize: 0 },
        ],
      }, // 2
      { kind: BtfKind.STRUCT, name: "self", size: 4, kflag: false, members: [{ name: "me", type: 3, bitsOffset: 0, bitfieldSize: 0 }] }, // 3
      { kind: BtfKind.STRUCT, name: "p", size: 4, kflag: false, members: [{ name: "v", type: 1, bitsOffset: 0, bitfieldSize: 0 }] }, // 4
      { kind: BtfKind.TYPEDEF, name: "dangling", type: 77 }, // 5
      { kind: BtfKind.STRUCT, name: "d", size: 4, kflag: false, members: [{ name: "x", type: 5, bitsOffset: 0, bitfieldSize: 0 }] }, // 6
      { kind: BtfKind.VAR, name: "v1", type: 1, linkage: 1 }, // 7
      { kind: BtfKind.DATASEC, name: ".data", size: 8, vars: [{ type: 7, offset: 0, size: 4 }, { type: 7, offset: 4, size: 4 }] }, // 8
    ] as BtfType[];
    const raw = new Btf(types);
    for (const id of [1, 2, 3, 4, 5, 6, 7, 8]) expectSame(raw, id, 16, id);
  });

  it("falls back near the depth limit", () => {
    const types: BtfType[] = [{ kind: BtfKind.INT, name: "int", size: 4, encoding: 0, bitsOffset: 0, nrBits: 32 }] as BtfType[];
    for (let i = 0; i < 300; i++) {
      types.push({ kind: BtfKind.STRUCT, name: `s${i}`, size: 4, kflag: false, members: [{ name: i % 3 ? "m" : "", type: i + 1, bitsOffset: 0, bitfieldSize: 0 }] } as BtfType);
    }
    const deep = new Btf(types);
    for (const id of [60, 120, 125, 126, 127, 128, 129, 130, 170, 171, 172, 200, 301]) {
      const data = Uint8Array.from([1, 2, 3, 4]);
      expect(toJsonText(deep, id, data), `depth ${id}`).toBe(JSON.stringify(toJsonValue(deep, id, data)));
    }
  });

  it("sees types added after a call", () => {
    const bb = new BtfBuilder();
    const i = bb.int("int", 4, IntEncoding.SIGNED);
    const s = bb.struct("s", 4);
    bb.field(s, "a", i, 0);
    const bt = bb.finish();
    expect(toJsonText(bt, s, Uint8Array.from([1, 0, 0, 0]))).toBe('{"a":1}');
    const s2 = bt.add({ kind: BtfKind.STRUCT, name: "s2", size: 4, kflag: false, members: [{ name: "z", type: s, bitsOffset: 0, bitfieldSize: 0 }] });
    expect(toJsonText(bt, s2, Uint8Array.from([2, 0, 0, 0]))).toBe('{"z":{"a":2}}');
  });
});
