// Deep-but-valid and kernel-rejected shapes built with BtfBuilder: nesting
// limits (instead of JS stack overflows), pointer loops, bitfield and member
// placement rules, parameter sizes, DATASEC ordering.
import { describe, expect, it } from "vitest";
import { BtfBuilder, BtfError, IntEncoding, cTypeName, parseBtf, sizeOf } from "../../src/btf/index.js";
import { dumpC } from "../../src/btf/format/c.js";
import { MAX_TYPE_DEPTH } from "../../src/btf/validate.js";

function expectBtfError(fn: () => unknown, reason: RegExp | string, typeId?: number, errno = "EINVAL"): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(BtfError);
  const e = caught as BtfError;
  if (typeof reason === "string") expect(e.reason).toBe(reason);
  else expect(e.reason).toMatch(reason);
  if (typeId !== undefined) expect(e.typeId).toBe(typeId);
  expect(e.errno).toBe(errno);
}

describe("nesting limits", () => {
  it(`accepts and walks a typedef chain just under ${MAX_TYPE_DEPTH} levels`, () => {
    const b = new BtfBuilder();
    let t = b.int("int", 4, IntEncoding.SIGNED);
    for (let i = 0; i < MAX_TYPE_DEPTH - 2; i++) t = b.typedef(`t${i}`, t);
    const btf = parseBtf(b.encode());
    expect(sizeOf(btf, t)).toBe(4);
    expect(cTypeName(btf, t, "x")).toBe(`t${MAX_TYPE_DEPTH - 3} x`);
    expect(dumpC(btf)).toContain(`typedef t${MAX_TYPE_DEPTH - 4} t${MAX_TYPE_DEPTH - 3};`);
  });

  it("rejects a modifier chain deeper than the limit with E2BIG, not a stack overflow", () => {
    const b = new BtfBuilder();
    let t = b.int("int", 4, IntEncoding.SIGNED);
    for (let i = 0; i < 8000; i++) t = b.const(t);
    expectBtfError(() => b.encode(), `type nests more than ${MAX_TYPE_DEPTH} levels deep (typedefs, modifiers, arrays or by-value members)`, undefined, "E2BIG");
  });

  it("rejects nested arrays deeper than the limit", () => {
    const b = new BtfBuilder();
    const int = b.int("int", 4, IntEncoding.SIGNED);
    let t = int;
    for (let i = 0; i < 8000; i++) t = b.array(t, int, 1);
    expectBtfError(() => b.encode(), /^type nests more than 512 levels deep/, undefined, "E2BIG");
  });

  it("rejects a pointer chain longer than the limit", () => {
    const b = new BtfBuilder();
    let t = b.int("int", 4, IntEncoding.SIGNED);
    for (let i = 0; i < 2000; i++) t = b.ptr(t);
    expectBtfError(() => b.encode(), `pointer/modifier chain longer than ${MAX_TYPE_DEPTH}`, undefined, "E2BIG");
  });
});

describe("loops", () => {
  it("rejects a loop made of pointers and typedefs (typedef T *T)", () => {
    const b = new BtfBuilder();
    // [1] TYPEDEF T -> [2] PTR -> [1]
    b.typedef("T", 2);
    b.ptr(1);
    expectBtfError(() => b.encode(), "type loop through pointers and modifiers: [1] TYPEDEF -> [2] PTR -> [1]", 1);
  });

  it("accepts a struct pointing to itself through a const pointer", () => {
    const b = new BtfBuilder();
    const s = b.struct("node", 8);
    const p = b.ptr(b.const(s));
    b.field(s, "next", p, 0);
    expect(parseBtf(b.encode()).length).toBe(3);
  });
});

describe("members and bitfields (kernel btf_struct_resolve rules)", () => {
  it("accepts an old-style INT bitfield at the end of a packed 3-byte struct", () => {
    const b = new BtfBuilder();
    const bits = b.btf.add({ kind: 1, name: "unsigned int", size: 4, encoding: 0, bitsOffset: 0, nrBits: 4 });
    const s = b.struct("packed3", 3);
    b.field(s, "tail", bits, 16);
    expect(parseBtf(b.encode()).length).toBe(2);
  });

  it("rejects a non-integer member at a bit offset", () => {
    const b = new BtfBuilder();
    const int = b.int("int", 4, IntEncoding.SIGNED);
    const inner = b.struct("inner", 4);
    b.field(inner, "x", int, 0);
    const s = b.struct("outer", 8);
    b.field(s, "in", inner, 3);
    expectBtfError(() => b.encode(), "member 0 ('in') of a STRUCT is not byte-aligned (bit offset 3)", s);
  });

  it("rejects a bitfield of a struct type and a bitfield wider than its integer", () => {
    const b = new BtfBuilder();
    const int = b.int("int", 4, IntEncoding.SIGNED);
    const inner = b.struct("inner", 4);
    b.field(inner, "x", int, 0);
    const s = b.struct("outer", 8);
    b.field(s, "in", inner, 0, 3);
    expectBtfError(() => b.encode(), "member 0 ('in') is a 3-bit bitfield of a STRUCT; only integers and enums can be bitfields", s);
    const c = new BtfBuilder();
    const i2 = c.int("int", 4, IntEncoding.SIGNED);
    const s2 = c.struct("wide", 8);
    c.field(s2, "w", i2, 0, 40);
    expectBtfError(() => c.encode(), "member 0 ('w') is a 40-bit bitfield of a 32-bit type", s2);
  });

  it("rejects a function prototype taking a function type by value", () => {
    const b = new BtfBuilder();
    const fn = b.funcProto(0, []);
    const proto = b.funcProto(0, [["cb", fn]]);
    expectBtfError(() => b.encode(), "FUNC_PROTO parameter 0 has type 1, a FUNC_PROTO, which has no size", proto);
  });
});

describe("DATASEC", () => {
  it("requires sorted, non-overlapping, sized variables in a laid-out section", () => {
    const b = new BtfBuilder();
    const int = b.int("int", 4, IntEncoding.SIGNED);
    const a = b.var("a", int);
    const c = b.var("c", int);
    const sec = b.datasec(".data", 8, [
      { type: a, offset: 4, size: 4 },
      { type: c, offset: 0, size: 4 },
    ]);
    expectBtfError(() => b.encode(), "DATASEC variable 1 at offset 0 overlaps the previous one (ends at 8); variables must be sorted", sec);
  });

  it("leaves an unlinked object's section (size 0) alone", () => {
    const b = new BtfBuilder();
    const int = b.int("int", 4, IntEncoding.SIGNED);
    const a = b.var("a", int);
    const c = b.var("c", int);
    b.datasec(".data", 0, [
      { type: a, offset: 0, size: 4 },
      { type: c, offset: 0, size: 4 },
    ]);
    expect(parseBtf(b.encode()).length).toBe(4);
  });
});

describe("recursion safety net", () => {
  it("turns function pointers nested 20,000 deep into ELOOP, not a crash", () => {
    const b = new BtfBuilder();
    const int = b.int("int", 4, IntEncoding.SIGNED);
    let fp = b.ptr(b.funcProto(int, []));
    for (let i = 0; i < 20000; i++) fp = b.ptr(b.funcProto(int, [["f", fp]]));
    const td = b.typedef("deep_fn", fp);
    const btf = parseBtf(b.encode());
    expect(cTypeName(btf, td)).toBe("deep_fn"); // a typedef is spelled by name
    expect(() => cTypeName(btf, fp)).toThrow(expect.objectContaining({ errno: "ELOOP", reason: "type nests too deeply to spell in C" }));
    expect(() => dumpC(btf, [td])).toThrow(expect.objectContaining({ errno: "ELOOP", reason: "type nests too deeply for the C dumper" }));
  });
});
