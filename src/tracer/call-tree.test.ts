// Call trees from entry/return events: nesting per task, durations,
// errno detection, --errors filtering, orphan returns.
import { describe, expect, it } from "vitest";
import { CallTreeBuilder, isErrno } from "./call-tree.js";
import type { TraceEvent } from "./event.js";

const ev = (tid: number, func: string, kind: "entry" | "return", t: number, ret?: bigint): TraceEvent => ({
  timeNs: BigInt(t),
  cpu: 0,
  pid: tid,
  tid,
  comm: `t${tid}`,
  func,
  kind,
  values: ret === undefined ? [] : [{ name: "return", typeId: 1, raw: BigInt.asUintN(64, ret), dataTypeId: 1, fullSize: 4 }],
});

describe("call trees", () => {
  it("nests calls per task and hands out a tree when its outermost call returns", () => {
    const b = new CallTreeBuilder();
    expect(b.process([ev(1, "a", "entry", 100), ev(2, "x", "entry", 105), ev(1, "b", "entry", 110), ev(1, "b", "return", 150, 0n)])).toEqual([]);
    const [t] = b.process([ev(1, "c", "entry", 160), ev(1, "c", "return", 170, -11n), ev(1, "a", "return", 200, 7n)]);
    expect(t!.tid).toBe(1);
    const r = t!.root;
    expect([r.func, r.end - r.start, r.failed, r.ret!.raw]).toEqual(["a", 100n, false, 7n]);
    expect(r.children.map((c) => [c.func, Number(c.end - c.start), c.failed])).toEqual([
      ["b", 40, false],
      ["c", 10, true],
    ]);
    expect(b.liveTasks).toBe(1); // task 2 is still inside x
  });

  it("--errors keeps only trees with a failing call; orphan returns are counted", () => {
    const b = new CallTreeBuilder(true);
    expect(b.process([ev(1, "a", "entry", 0), ev(1, "a", "return", 5, 0n)])).toEqual([]);
    expect(b.process([ev(1, "a", "entry", 10), ev(1, "b", "entry", 11), ev(1, "b", "return", 12, -22n), ev(1, "a", "return", 13, -22n)])).toHaveLength(1);
    b.process([ev(3, "z", "return", 20, 0n)]);
    expect(b.orphans).toBe(1);
    expect(b.liveTasks).toBe(0);
  });

  it("treats -4095..-1 as errnos, nothing else", () => {
    const v = (raw: bigint) => ({ name: "return", typeId: 1, raw: BigInt.asUintN(64, raw), dataTypeId: 1, fullSize: 8 });
    expect([-1n, -4095n, -4096n, 0n, 5n].map((x) => isErrno(v(x)))).toEqual([true, true, false, false, false]);
  });

  it("takes the failure rule from its caller (a return type's errno rule)", () => {
    // An int -11 in a zero-extended register is no errno as a 64-bit value; a typed rule says it is.
    const zeroExtended = (raw: bigint) => [ev(1, "a", "entry", 0), { ...ev(1, "a", "return", 5), values: [{ name: "return", typeId: 1, raw, dataTypeId: 1, fullSize: 4 }] }];
    const [plain] = new CallTreeBuilder().process(zeroExtended(0xfffffff5n));
    expect(plain!.root.failed).toBe(false);
    const typed = new CallTreeBuilder(true, (ret) => ret !== undefined && BigInt.asIntN(32, ret.raw) < 0n);
    const [t] = typed.process(zeroExtended(0xfffffff5n));
    expect(t!.root.failed).toBe(true);
    expect(typed.process(zeroExtended(5n))).toEqual([]);
  });
});
