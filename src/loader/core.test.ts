// Unit tests of the CO-RE rules (core-compat.ts) and access specs
// (core-spec.ts): essential names, field compatibility, type compatibility
// and type matching case by case, access string parsing, spec formatting.
import { describe, expect, it } from "vitest";
import { BtfBuilder } from "../btf/builder.js";
import { IntEncoding } from "../btf/kinds.js";
import { CoreFail, essentialName, essentialNameLength, fieldsAreCompat, typesAreCompat, typesMatch } from "./core-compat.js";
import { formatCoreSpec, matchCoreSpec, parseAccessString, parseCoreSpec } from "./core-spec.js";
import { CoreReloKind } from "./spec.js";

describe("essential names", () => {
  const cases: [string, string][] = [
    ["task_struct", "task_struct"],
    ["task_struct___old", "task_struct"],
    ["task_struct___2", "task_struct"],
    ["a___b___c", "a___b"], // the last separator counts
    ["a____b", "a____b"], // four underscores: X and Y must not be '_'
    ["___x", "___x"], // nothing before the separator
    ["x___", "x___"], // nothing after it
    ["a___b", "a"],
    ["ab", "ab"],
    ["", ""],
  ];
  for (const [name, ess] of cases) {
    it(`${JSON.stringify(name)} -> ${JSON.stringify(ess)}`, () => {
      expect(essentialName(name)).toBe(ess);
      expect(essentialNameLength(name)).toBe(ess.length);
    });
  }
});

/** Two BTFs with the same shapes under the same names, plus variants. */
function pair() {
  const l = new BtfBuilder();
  const t = new BtfBuilder();
  const li = l.int("int", 4, IntEncoding.SIGNED);
  const ti = t.int("int", 4, IntEncoding.SIGNED);
  return { l, t, li, ti };
}

describe("field compatibility (bpf_core_fields_are_compat)", () => {
  it("composites, pointers, floats and integers of any size or sign", () => {
    const { l, t, li } = pair();
    const ls = l.struct("s", 4);
    const tu = t.union("u", 8);
    const tl = t.int("unsigned long", 8);
    const lp = l.ptr(li);
    const tp = t.ptr(tl);
    const lf = l.float("float", 4);
    const tf = t.float("double", 8);
    const L = l.finish();
    const T = t.finish();
    expect(fieldsAreCompat(L, ls, T, tu)).toBe(true);
    expect(fieldsAreCompat(L, li, T, tl)).toBe(true);
    expect(fieldsAreCompat(L, lp, T, tp)).toBe(true);
    expect(fieldsAreCompat(L, lf, T, tf)).toBe(true);
    expect(fieldsAreCompat(L, li, T, tp)).toBe(false);
    expect(fieldsAreCompat(L, lp, T, tu)).toBe(false);
  });

  it("through typedefs and modifiers; arrays by element, any length", () => {
    const { l, t, li, ti } = pair();
    const la = l.array(l.const(l.typedef("s32", li)), li, 4);
    const ta = t.array(ti, ti, 16);
    const tap = t.array(t.ptr(ti), ti, 4);
    const L = l.finish();
    const T = t.finish();
    expect(fieldsAreCompat(L, la, T, ta)).toBe(true);
    expect(fieldsAreCompat(L, la, T, tap)).toBe(false);
  });

  it("enums (32 and 64 bits) by essential name or when one is anonymous; enums vs ints never", () => {
    const { l, t, ti } = pair();
    const le = l.enum("e", 4, [["A", 0]]);
    const te = t.enum64("e___v2", 8, [["B", 1n]]);
    const tanon = t.enum("", 4, [["C", 2]]);
    const tother = t.enum("f", 4, [["A", 0]]);
    const L = l.finish();
    const T = t.finish();
    expect(fieldsAreCompat(L, le, T, te)).toBe(true);
    expect(fieldsAreCompat(L, le, T, tanon)).toBe(true);
    expect(fieldsAreCompat(L, le, T, tother)).toBe(false);
    expect(fieldsAreCompat(L, le, T, ti)).toBe(false);
  });

  it("old-style bitfield integers (bit offset in the INT) are refused", () => {
    const { l, t, li } = pair();
    const tb = t.btf.add({ kind: 1, name: "int", size: 4, encoding: 1, bitsOffset: 3, nrBits: 5 });
    const L = l.finish();
    expect(fieldsAreCompat(L, li, t.btf, tb)).toBe(false);
  });
});

describe("type compatibility (bpf_core_types_are_compat)", () => {
  it("kinds must agree; names below the root are ignored; arrays and pointers by target", () => {
    const { l, t, li, ti } = pair();
    const ls = l.struct("s", 4);
    const ts = t.struct("other_name", 64);
    const tu = t.union("s", 4);
    const lpp = l.ptr(l.ptr(ls));
    const tpp = t.ptr(t.ptr(ts));
    const tpi = t.ptr(t.ptr(ti));
    const la = l.array(li, li, 2);
    const ta = t.array(t.int("char", 1), ti, 9);
    const L = l.finish();
    const T = t.finish();
    expect(typesAreCompat(L, ls, T, ts)).toBe(true);
    expect(typesAreCompat(L, ls, T, tu)).toBe(false);
    expect(typesAreCompat(L, lpp, T, tpp)).toBe(true);
    expect(typesAreCompat(L, lpp, T, tpi)).toBe(false);
    expect(typesAreCompat(L, la, T, ta)).toBe(true);
  });

  it("function prototypes by arity and each parameter and return type", () => {
    const { l, t, li, ti } = pair();
    const lp = l.funcProto(li, [["a", l.ptr(li)], ["b", li]]);
    const tp = t.funcProto(ti, [["x", t.ptr(ti)], ["y", t.int("long", 8, 1)]]);
    const tp1 = t.funcProto(ti, [["x", t.ptr(ti)]]);
    const tpRet = t.funcProto(t.ptr(ti), [["x", t.ptr(ti)], ["y", ti]]);
    const L = l.finish();
    const T = t.finish();
    expect(typesAreCompat(L, lp, T, tp)).toBe(true);
    expect(typesAreCompat(L, lp, T, tp1)).toBe(false);
    expect(typesAreCompat(L, lp, T, tpRet)).toBe(false);
  });

  it("a pointer cycle deeper than 32 levels is an error, not a hang", () => {
    const { l, t } = pair();
    // struct s { struct s *next; } walked as s* -> s: the walk stops at the struct, so build a long pointer chain instead.
    let lp = l.int("x", 4);
    let tp = t.int("x", 4);
    for (let i = 0; i < 40; i++) {
      lp = l.ptr(lp);
      tp = t.ptr(tp);
    }
    expect(() => typesAreCompat(l.finish(), lp, t.finish(), tp)).toThrow(CoreFail);
  });
});

describe("type matching (bpf_core_types_match)", () => {
  it("integers by size and signedness", () => {
    const { l, t, li, ti } = pair();
    const tu = t.int("int", 4);
    const L = l.finish();
    const T = t.finish();
    expect(typesMatch(L, li, T, ti)).toBe(true);
    expect(typesMatch(L, li, T, tu)).toBe(false);
  });

  it("structs: every local member by name with a matching type; extra target members allowed", () => {
    const { l, t, li, ti } = pair();
    const ls = l.struct("s", 8);
    l.field(ls, "a", li, 0).field(ls, "b", li, 32);
    const ts = t.struct("s", 12);
    t.field(ts, "b", ti, 0).field(ts, "c", ti, 32).field(ts, "a", ti, 64);
    const tsMissing = t.struct("s", 4);
    t.field(tsMissing, "a", ti, 0);
    const tsUnion = t.union("s", 4);
    t.field(tsUnion, "a", ti, 0).field(tsUnion, "b", ti, 0);
    const L = l.finish();
    const T = t.finish();
    expect(typesMatch(L, ls, T, ts)).toBe(true);
    expect(typesMatch(L, ls, T, tsMissing)).toBe(false);
    expect(typesMatch(L, ls, T, tsUnion)).toBe(false);
  });

  it("behind a pointer a struct matches a forward declaration of the same flavor, and only names and kinds count", () => {
    const { l, t } = pair();
    const ls = l.struct("node", 8);
    const lps = l.ptr(ls);
    const lfu = l.fwd("node", true);
    const lpfu = l.ptr(lfu);
    const tfwd = t.fwd("node");
    const tpf = t.ptr(tfwd);
    const tsBig = t.struct("node", 999);
    const tps = t.ptr(tsBig);
    const L = l.finish();
    const T = t.finish();
    expect(typesMatch(L, lps, T, tpf)).toBe(true);
    expect(typesMatch(L, lpfu, T, tpf)).toBe(false); // union fwd vs struct fwd
    expect(typesMatch(L, lps, T, tps)).toBe(true); // members not compared behind a pointer
    expect(typesMatch(L, ls, T, tfwd)).toBe(false); // not behind a pointer: kinds must be equal
  });

  it("enums: same size, local enumerator names present in the target (values ignored); enum matches enum64", () => {
    const { l, t } = pair();
    const le = l.enum("e", 4, [["A", 0], ["B___x", 1]]);
    const te = t.enum("e", 4, [["B", 5], ["A", 9], ["C", 1]]);
    const te8 = t.enum64("e", 4, [["A", 1n], ["B", 2n]]);
    const teSize = t.enum("e", 8, [["A", 0], ["B", 1]]);
    const teMissing = t.enum("e", 4, [["A", 0], ["C", 1]]);
    const L = l.finish();
    const T = t.finish();
    expect(typesMatch(L, le, T, te)).toBe(true);
    expect(typesMatch(L, le, T, te8)).toBe(true);
    expect(typesMatch(L, le, T, teSize)).toBe(false);
    expect(typesMatch(L, le, T, teMissing)).toBe(false);
  });

  it("arrays need equal lengths; typedef names are matched below the root too", () => {
    const { l, t, li, ti } = pair();
    const la = l.array(li, li, 4);
    const ta = t.array(ti, ti, 4);
    const ta5 = t.array(ti, ti, 5);
    const ltd = l.typedef("u32_t", li);
    const ttd = t.typedef("u32_t", ti);
    const L = l.finish();
    const T = t.finish();
    expect(typesMatch(L, la, T, ta)).toBe(true);
    expect(typesMatch(L, la, T, ta5)).toBe(false);
    expect(typesMatch(L, ltd, T, ttd)).toBe(true);
  });

  it("function prototypes by each parameter and the return type", () => {
    const { l, t, li, ti } = pair();
    const lp = l.funcProto(li, [["a", li]]);
    const tp = t.funcProto(ti, [["x", ti]]);
    const tpu = t.funcProto(ti, [["x", t.int("int", 4)]]);
    const L = l.finish();
    const T = t.finish();
    expect(typesMatch(L, lp, T, tp)).toBe(true);
    expect(typesMatch(L, lp, T, tpu)).toBe(false);
  });
});

describe("access specs", () => {
  it("parses access strings", () => {
    expect(parseAccessString("0")).toEqual([0]);
    expect(parseAccessString("0:12:3")).toEqual([0, 12, 3]);
    for (const bad of ["", ":1", "0:", "0::1", "-1", "0:1a", "0:99999999999"]) expect(() => parseAccessString(bad), bad).toThrow(CoreFail);
    expect(() => parseAccessString(Array(65).fill("0").join(":"))).toThrow(/longer than 64 steps/);
  });

  it("formats specs as libbpf does (anonymous roots, bit offsets, enum values)", () => {
    const b = new BtfBuilder();
    const i = b.int("int", 4, IntEncoding.SIGNED);
    const s = b.struct("", 8);
    b.field(s, "a", i, 0).field(s, "bits", i, 35, 3);
    const e = b.enum("e", 4, [["NEG", -2]]);
    const e64 = b.enum64("e64", 8, [["MAX", 0xffff_ffff_ffff_ffffn]], false);
    const btf = b.finish();
    expect(formatCoreSpec(parseCoreSpec(btf, { insn: 0, typeId: s, access: "1:1", kind: CoreReloKind.FIELD_BYTE_OFFSET }))).toBe(`[${s}] struct <anon>[1].bits (1:1 @ offset 12.3)`);
    expect(formatCoreSpec(parseCoreSpec(btf, { insn: 0, typeId: e, access: "0", kind: CoreReloKind.ENUMVAL_VALUE }))).toBe(`[${e}] enum e::NEG = -2`);
    expect(formatCoreSpec(parseCoreSpec(btf, { insn: 0, typeId: e64, access: "0", kind: CoreReloKind.ENUMVAL_EXISTS }))).toBe(`[${e64}] enum64 e64::MAX = 18446744073709551615`);
    expect(formatCoreSpec(parseCoreSpec(btf, { insn: 0, typeId: i, access: "0", kind: CoreReloKind.TYPE_SIZE }))).toBe(`[${i}] int int`);
  });

  it("matches an enumerator by essential name", () => {
    const l = new BtfBuilder();
    const le = l.enum("e", 4, [["A___old", 3]]);
    const t = new BtfBuilder();
    const te = t.enum("e", 4, [["B", 1], ["A", 8]]);
    const local = parseCoreSpec(l.finish(), { insn: 0, typeId: le, access: "0", kind: CoreReloKind.ENUMVAL_VALUE });
    const m = matchCoreSpec(local, t.finish(), te);
    expect(m.matched).toBe(true);
    expect(formatCoreSpec(m.spec)).toBe(`[${te}] enum e::A = 8`);
  });
});
