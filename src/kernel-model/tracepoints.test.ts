// TracepointTable lookups: by category and name, by bare name, and enabled().
import { describe, expect, it } from "vitest";
import { TracepointTable, layoutFields, type TracepointDef } from "./tracepoints.js";

function def(category: string, name: string, id: number): TracepointDef {
  const { fields, size } = layoutFields([{ decl: "int x", name: "x", size: 4, signed: true }]);
  return { category, name, id, fields, size, proto: [{ name: "x", type: "int" }] };
}

describe("TracepointTable", () => {
  it("finds an event by category and name, the same name in two categories apart, and nothing for unknown ones", () => {
    const t = new TracepointTable();
    const a = t.register(def("sched", "sched_switch", 300));
    const b = t.register(def("block", "block_rq_issue", 1500));
    const c = t.register(def("other", "sched_switch", 1501));
    expect([t.get("sched", "sched_switch"), t.get("block", "block_rq_issue"), t.get("other", "sched_switch")]).toEqual([a, b, c]);
    expect(t.get("sched", "sched_switch")).toBe(a);
    expect([t.get("sched", "block_rq_issue"), t.get("nope", "sched_switch"), t.get("sched:sched_switch", "")]).toEqual([undefined, undefined, undefined]);
    expect(t.named("block_rq_issue")).toBe(b);
    expect(() => t.register(def("sched", "sched_switch", 302))).toThrow("tracepoint sched:sched_switch registered twice");
  });

  it("is enabled only while a hook is attached, and counts every fire either way", () => {
    const t = new TracepointTable();
    const tp = t.register(def("sched", "sched_switch", 300));
    const seen: number[] = [];
    expect(t.enabled(tp)).toBe(false);
    t.fire(tp, { x: 1n }, [1n], 0, 10);
    const detach = t.attach(tp, (hit) => seen.push(new DataView(hit.record.buffer).getInt32(8, true)));
    expect(t.enabled(tp)).toBe(true);
    t.fire(tp, { x: -7n }, [2n], 0, 10);
    detach();
    expect(t.enabled(tp)).toBe(false);
    t.fire(tp, { x: 3n }, [3n], 0, 10);
    expect([t.hits(tp), seen]).toEqual([3, [-7]]);
  });
});
