import { describe, expect, it } from "vitest";
import { BtfsnoopError } from "../internal/errors.js";
import type { PredPlan, TargetPlan, ValuePlan } from "../probe-spec/plan.js";
import { Desc, DescFlag, Entry, ENTRY_SIZE, MAX_VALUES, Pred, PredOp } from "./layout.js";
import { castTargetsOf, CMP_MASK, encodeEntry, postfix } from "./target-table.js";

const PRED_BASE = Entry.VALUES + MAX_VALUES * Desc.SIZEOF;

function value(over: Partial<ValuePlan> = {}): ValuePlan {
  return {
    name: "x",
    when: "entry",
    source: "arg",
    argIndex: 0,
    hops: [],
    final: { kind: "register" },
    size: 8,
    typeId: 7,
    signed: false,
    show: true,
    ...over,
  };
}

function target(values: ValuePlan[], predicate?: PredPlan, over: Partial<TargetPlan> = {}): TargetPlan {
  return {
    name: "f",
    ip: 0xffffffff81000000n,
    btfId: 321,
    nargs: 3,
    params: [],
    retTypeId: 9,
    values,
    predicate,
    stash: false,
    onEntry: true,
    onReturn: false,
    ...over,
  };
}

function errOf(f: () => unknown): BtfsnoopError {
  try {
    f();
  } catch (e) {
    if (e instanceof BtfsnoopError) return e;
    throw e;
  }
  throw new Error("did not throw");
}

describe("encodeEntry", () => {
  // skb->dev->name style: arg 1, two hops, memory value; plus a signed return, a
  // char * string pointer with a cast, and a bitfield.
  const values: ValuePlan[] = [
    value({ name: "skb->dev->name", argIndex: 1, hops: [16, -8], final: { kind: "memory", offset: 0x30 }, size: 16, typeId: 292, castTarget: 496 }),
    value({ name: "return", when: "return", source: "ret", size: 4, typeId: 9, signed: true }),
    value({ name: "s", argIndex: 2, size: 8, typeId: 50, pointee: { typeId: 3, size: 4096, string: true }, castTarget: 432 }),
    value({ name: "skb->pkt_type", final: { kind: "memory", offset: 128 }, size: 1, typeId: 4, bitfield: { bitOffset: 5, bitSize: 3 } }),
    value({ name: "sk", pointee: { typeId: 432, size: 720, string: false } }),
  ];
  const pred: PredPlan = {
    kind: "and",
    left: { kind: "cmp", value: 1, op: "<", constant: -1n, signed: true },
    right: { kind: "not", operand: { kind: "str", value: 0, op: "!=", text: "lo" } },
  };
  const t = target(values, pred, { stash: true });
  const castTargets = castTargetsOf([t]);
  const out = encodeEntry(t, 5, { castTargets, renderKernel: true });
  const v = new DataView(out.buffer);

  it("has the entry size and header", () => {
    expect(castTargets).toEqual([432, 496]);
    expect(out.length).toBe(ENTRY_SIZE);
    expect(ENTRY_SIZE).toBe(24 + 8 * 48 + 16 * 48);
    expect(v.getUint32(Entry.FUNC_INDEX, true)).toBe(5);
    expect(v.getUint32(Entry.FLAGS, true)).toBe(1);
    expect(v.getUint32(Entry.FUNC_BTF_ID, true)).toBe(321);
    expect(v.getUint32(Entry.NVALUES, true)).toBe(5);
    expect(v.getUint32(Entry.NPRED, true)).toBe(4);
    expect(v.getUint32(20, true)).toBe(0);
  });

  it("encodes a two-hop memory value with a cast", () => {
    const d = Entry.VALUES;
    expect([...out.subarray(d, d + 8)]).toEqual([1, 0, 1, 2, 1, DescFlag.RENDER, 0, 0]);
    expect(v.getInt32(d + Desc.HOPS, true)).toBe(16);
    expect(v.getInt32(d + Desc.HOPS + 4, true)).toBe(-8);
    expect(v.getInt32(d + Desc.HOPS + 8, true)).toBe(0);
    expect(v.getInt32(d + Desc.FINAL_OFF, true)).toBe(0x30);
    expect(v.getUint32(d + Desc.SIZE, true)).toBe(16);
    expect(v.getUint32(d + Desc.DATA_SIZE, true)).toBe(0);
    expect(v.getUint32(d + Desc.CAST, true)).toBe(2); // 1 + index of 496
    expect(v.getUint32(d + Desc.TYPE_ID, true)).toBe(292);
  });

  it("encodes a signed return value", () => {
    const d = Entry.VALUES + Desc.SIZEOF;
    expect([...out.subarray(d, d + 8)]).toEqual([2, 1, 0, 0, 0, DescFlag.SIGNED | DescFlag.RENDER, 0, 0]);
    expect(v.getUint32(d + Desc.SIZE, true)).toBe(4);
    expect(v.getUint32(d + Desc.CAST, true)).toBe(0);
    expect(v.getUint32(d + Desc.TYPE_ID, true)).toBe(9);
  });

  it("encodes a string pointer (never rendered) with a capped data size", () => {
    const d = Entry.VALUES + 2 * Desc.SIZEOF;
    expect(out[d + Desc.ARG]).toBe(2);
    expect(out[d + Desc.FLAGS]).toBe(DescFlag.PTR | DescFlag.STRING);
    expect(v.getUint32(d + Desc.SIZE, true)).toBe(8);
    expect(v.getUint32(d + Desc.DATA_SIZE, true)).toBe(2048);
    expect(v.getUint32(d + Desc.CAST, true)).toBe(1);
    expect(v.getUint32(d + Desc.TYPE_ID, true)).toBe(3);
  });

  it("encodes a bitfield (never rendered) and a struct pointer (rendered as its pointee)", () => {
    const d = Entry.VALUES + 3 * Desc.SIZEOF;
    expect(out[d + Desc.FINAL]).toBe(1);
    expect(out[d + Desc.FLAGS]).toBe(DescFlag.BITFIELD);
    expect(out[d + Desc.BIT_OFF]).toBe(5);
    expect(out[d + Desc.BIT_SIZE]).toBe(3);
    expect(v.getInt32(d + Desc.FINAL_OFF, true)).toBe(128);
    expect(v.getUint32(d + Desc.SIZE, true)).toBe(1);
    const p = Entry.VALUES + 4 * Desc.SIZEOF;
    expect(out[p + Desc.FLAGS]).toBe(DescFlag.PTR | DescFlag.RENDER);
    expect(v.getUint32(p + Desc.SIZE, true)).toBe(8);
    expect(v.getUint32(p + Desc.DATA_SIZE, true)).toBe(720);
    expect(v.getUint32(p + Desc.TYPE_ID, true)).toBe(432);
    // Unused descriptors stay zero.
    expect(out.subarray(Entry.VALUES + 5 * Desc.SIZEOF, PRED_BASE).every((b) => b === 0)).toBe(true);
  });

  it("encodes the predicate steps in postfix order", () => {
    // cmp(return < -1, signed), str(name != "lo"), not, and
    const s0 = PRED_BASE;
    expect([...out.subarray(s0, s0 + 4)]).toEqual([PredOp.CMP, CMP_MASK["<"], 1, 1]);
    expect(v.getBigUint64(s0 + Pred.CONST, true)).toBe(0xffffffffffffffffn);
    const s1 = PRED_BASE + Pred.SIZEOF;
    // "lo" + NUL = 3 bytes (room 16).
    expect([...out.subarray(s1, s1 + 4)]).toEqual([PredOp.STR, 3, 0, 1]);
    expect([...out.subarray(s1 + Pred.STR, s1 + Pred.STR + 4)]).toEqual([0x6c, 0x6f, 0, 0]);
    expect(out[PRED_BASE + 2 * Pred.SIZEOF + Pred.OP]).toBe(PredOp.NOT);
    expect(out[PRED_BASE + 3 * Pred.SIZEOF + Pred.OP]).toBe(PredOp.AND);
    expect(out.subarray(PRED_BASE + 4 * Pred.SIZEOF).every((b) => b === 0)).toBe(true);
  });

  it("user rendering sets no RENDER flags; no predicate gives npred 0", () => {
    const plain = encodeEntry(target(values.slice(0, 2)), 0, { castTargets: [496], renderKernel: false });
    expect(plain[Entry.VALUES + Desc.FLAGS]).toBe(0);
    expect(plain[Entry.VALUES + Desc.SIZEOF + Desc.FLAGS]).toBe(DescFlag.SIGNED);
    expect(new DataView(plain.buffer).getUint32(Entry.NPRED, true)).toBe(0);
    expect(new DataView(plain.buffer).getUint32(Entry.FLAGS, true)).toBe(0);
  });

  it("caps the string compare length at a full char array's size", () => {
    const name = value({ name: "comm", final: { kind: "memory", offset: 0 }, size: 4, typeId: 292 });
    const e = encodeEntry(target([name], { kind: "str", value: 0, op: "==", text: "abcd" }), 0, { castTargets: [], renderKernel: false });
    expect(e[PRED_BASE + Pred.ARG]).toBe(4);
    expect(e[PRED_BASE + Pred.FLAG]).toBe(0);
  });
});

describe("postfix", () => {
  it("orders a && (b || !c) as a b c ! || &&", () => {
    const a: PredPlan = { kind: "cmp", value: 0, op: ">", constant: 1n, signed: false };
    const b: PredPlan = { kind: "cmp", value: 1, op: "==", constant: 2n, signed: true };
    const c: PredPlan = { kind: "str", value: 2, op: "==", text: "lo" };
    const steps = postfix({ kind: "and", left: a, right: { kind: "or", left: b, right: { kind: "not", operand: c } } });
    expect(steps).toEqual([
      { op: "cmp", value: 0, mask: 0b100, signed: false, constant: 1n },
      { op: "cmp", value: 1, mask: 0b010, signed: true, constant: 2n },
      { op: "str", value: 2, negate: false, text: "lo" },
      { op: "not" },
      { op: "or" },
      { op: "and" },
    ]);
  });

  it("CMP_MASK selects the outcomes (bit 0 less, bit 1 equal, bit 2 greater)", () => {
    expect(CMP_MASK).toEqual({ "<": 1, "==": 2, "<=": 3, ">": 4, "!=": 5, ">=": 6 });
    // Each mask is exactly the outcomes for which the operator holds.
    const outcomes: [number, number][] = [
      [0, 1],
      [1, 1],
      [2, 1],
    ];
    const holds = { "<": (x: number, y: number) => x < y, "==": (x: number, y: number) => x === y, "<=": (x: number, y: number) => x <= y, ">": (x: number, y: number) => x > y, "!=": (x: number, y: number) => x !== y, ">=": (x: number, y: number) => x >= y };
    for (const op of Object.keys(holds) as (keyof typeof holds)[]) {
      outcomes.forEach(([x, y], bit) => expect(((CMP_MASK[op] >> bit) & 1) === 1, `${op} bit ${bit}`).toBe(holds[op](x, y)));
    }
  });
});

describe("errors", () => {
  it("E2BIG for more than MAX_VALUES values", () => {
    const e = errOf(() => encodeEntry(target(Array.from({ length: 9 }, () => value())), 0, { castTargets: [], renderKernel: false }));
    expect(e.errno).toBe("E2BIG");
    expect(e.message).toBe("f: 9 values, at most 8");
  });

  it("E2BIG for more than MAX_HOPS hops", () => {
    const e = errOf(() => encodeEntry(target([value({ name: "a->b->c->d->e->f", hops: [0, 8, 16, 24, 32] })]), 0, { castTargets: [], renderKernel: false }));
    expect(e.errno).toBe("E2BIG");
    expect(e.message).toBe("a->b->c->d->e->f: 5 pointer hops, at most 4");
  });

  it("E2BIG for more than MAX_PRED steps", () => {
    let p: PredPlan = { kind: "cmp", value: 0, op: "==", constant: 0n, signed: false };
    for (let i = 0; i < 8; i++) p = { kind: "not", operand: { kind: "or", left: p, right: { kind: "cmp", value: 0, op: "==", constant: BigInt(i), signed: false } } };
    // 9 cmps + 8 ors + 8 nots = 25 steps.
    expect(postfix(p)).toHaveLength(25);
    const e = errOf(() => encodeEntry(target([value()], p), 0, { castTargets: [], renderKernel: false }));
    expect(e.errno).toBe("E2BIG");
    expect(e.message).toBe("f: the predicate has 25 terms, at most 16");
  });

  it("accepts exactly 16 steps", () => {
    let p: PredPlan = { kind: "cmp", value: 0, op: "==", constant: 0n, signed: false };
    for (let i = 0; i < 15; i++) p = { kind: "not", operand: p };
    const e = encodeEntry(target([value()], p), 0, { castTargets: [], renderKernel: false });
    expect(new DataView(e.buffer).getUint32(Entry.NPRED, true)).toBe(16);
  });

  it("E2BIG for a string literal longer than 31 bytes; 31 is fine", () => {
    const name = value({ final: { kind: "memory", offset: 0 }, size: 64 });
    const ok = encodeEntry(target([name], { kind: "str", value: 0, op: "==", text: "a".repeat(31) }), 0, { castTargets: [], renderKernel: false });
    expect(ok[PRED_BASE + Pred.ARG]).toBe(32);
    const e = errOf(() => encodeEntry(target([name], { kind: "str", value: 0, op: "==", text: "a".repeat(32) }), 0, { castTargets: [], renderKernel: false }));
    expect(e.errno).toBe("E2BIG");
    expect(e.message).toBe(`string "${"a".repeat(32)}" is 32 bytes, at most 31 in a predicate`);
  });

  it("EINVAL for a cast target missing from the program's list", () => {
    const e = errOf(() => encodeEntry(target([value({ castTarget: 77 })]), 0, { castTargets: [1, 2], renderKernel: false }));
    expect(e.errno).toBe("EINVAL");
    expect(e.message).toBe("x: cast target 77 is not in the program's list");
  });
});
