// Perfetto / Chrome trace-event JSON: the streamed document parses and holds
// exactly the metadata, B/E slices, instants and CPU-track events expected.
import { describe, expect, it } from "vitest";
import { BtfBuilder } from "../../btf/builder.js";
import { IntEncoding } from "../../btf/kinds.js";
import type { TraceEvent } from "../../tracer/event.js";
import { microseconds, PerfettoWriter, type PerfettoOptions } from "./perfetto.js";

const b = new BtfBuilder();
const int = b.int("int", 4, IntEncoding.SIGNED);
const char = b.int("char", 1, IntEncoding.SIGNED);
const charPtr = b.ptr(char);
const btf = b.finish();

function run(events: TraceEvent[], options: PerfettoOptions = {}): { text: string; doc: unknown } {
  let text = "";
  const w = new PerfettoWriter((s) => (text += s), btf, options);
  for (const ev of events) w.event(ev);
  w.end();
  w.end();
  return { text, doc: JSON.parse(text) };
}

describe("PerfettoWriter", () => {
  it("empty trace", () => {
    const { text, doc } = run([]);
    expect(text).toBe('{"traceEvents":[\n]}\n');
    expect(doc).toEqual({ traceEvents: [] });
  });

  it("entry/return slices, tracepoint instants, metadata and CPU tracks", () => {
    const task = { pid: 100, tid: 101, comm: "worker", cpu: 2 } as const;
    const { text, doc } = run([
      {
        ...task,
        timeNs: 1000001234n,
        func: "do_open",
        kind: "entry",
        values: [
          { name: "path", typeId: charPtr, ptr: 0xffff1000n, raw: 0xffff1000n, dataTypeId: char, fullSize: 1, string: "/etc/passwd" },
          { name: "flags", typeId: int, raw: 2n, dataTypeId: int, data: Uint8Array.from([2, 0, 0, 0]), fullSize: 4 },
        ],
      },
      { ...task, timeNs: 1000002000n, func: "sched:sched_switch", kind: "tracepoint", values: [] },
      { ...task, cpu: 3, timeNs: 1000005678n, func: "do_open", kind: "return", values: [{ name: "return", typeId: int, raw: 0n, dataTypeId: int, fullSize: 4, error: -14 }] },
      { pid: 100, tid: 100, comm: "main", cpu: 2, timeNs: 1000009000n, func: "x", kind: "tracepoint", values: [] },
    ]);
    expect(text.startsWith('{"traceEvents":[\n{"name":"process_name","ph":"M","pid":100,"tid":100,"args":{"name":"worker"}},\n')).toBe(true);
    expect(text).toContain('"ts":1000001.234,');
    expect(doc).toEqual({
      traceEvents: [
        { name: "process_name", ph: "M", pid: 100, tid: 100, args: { name: "worker" } },
        { name: "thread_name", ph: "M", pid: 100, tid: 101, args: { name: "worker" } },
        { name: "process_name", ph: "M", pid: 1000002, tid: 1000002, args: { name: "CPU 2" } },
        { name: "thread_name", ph: "M", pid: 1000002, tid: 1000002, args: { name: "CPU 2" } },
        { name: "do_open", cat: "entry", ph: "B", ts: 1000001.234, pid: 100, tid: 101, args: { path: "/etc/passwd", flags: 2 } },
        { name: "do_open", cat: "cpu", ph: "i", s: "t", ts: 1000001.234, pid: 1000002, tid: 1000002, args: { comm: "worker", pid: 100, tid: 101 } },
        { name: "sched:sched_switch", cat: "tracepoint", ph: "i", s: "t", ts: 1000002, pid: 100, tid: 101, args: {} },
        { name: "sched:sched_switch", cat: "cpu", ph: "i", s: "t", ts: 1000002, pid: 1000002, tid: 1000002, args: { comm: "worker", pid: 100, tid: 101 } },
        { name: "process_name", ph: "M", pid: 1000003, tid: 1000003, args: { name: "CPU 3" } },
        { name: "thread_name", ph: "M", pid: 1000003, tid: 1000003, args: { name: "CPU 3" } },
        { name: "do_open", cat: "return", ph: "E", ts: 1000005.678, pid: 100, tid: 101, args: { return: "<EFAULT>" } },
        { name: "do_open (return)", cat: "cpu", ph: "i", s: "t", ts: 1000005.678, pid: 1000003, tid: 1000003, args: { comm: "worker", pid: 100, tid: 101 } },
        { name: "process_name", ph: "M", pid: 100, tid: 100, args: { name: "main" } },
        { name: "thread_name", ph: "M", pid: 100, tid: 100, args: { name: "main" } },
        { name: "x", cat: "tracepoint", ph: "i", s: "t", ts: 1000009, pid: 100, tid: 100, args: {} },
        { name: "x", cat: "cpu", ph: "i", s: "t", ts: 1000009, pid: 1000002, tid: 1000002, args: { comm: "main", pid: 100, tid: 100 } },
      ],
    });
  });

  it("microseconds keep nanosecond precision", () => {
    expect(microseconds(0n)).toBe("0.000");
    expect(microseconds(18446744073709551615n)).toBe("18446744073709551.615");
    expect(microseconds(999n)).toBe("0.999");
  });

  describe("every track balances", () => {
    type Ev = { name: string; cat?: string; ph: string; ts?: number; pid: number; tid: number };
    const task = (tid: number) => ({ pid: 100, tid, comm: `t${tid}`, cpu: 0 });
    const call = (tid: number, func: string, kind: TraceEvent["kind"], t: number): TraceEvent => ({ ...task(tid), timeNs: BigInt(t), func, kind, values: [] });
    /** The task-track events (no metadata, no CPU tracks), as [ph, name, cat, ts, tid]. */
    const slices = (doc: unknown) =>
      (doc as { traceEvents: Ev[] }).traceEvents.filter((e) => e.ph !== "M" && e.cat !== "cpu").map((e) => [e.ph, e.name, e.cat, e.ts, e.tid]);
    /** B/E pairs per track: every E ends the innermost open B of the same name, none left open. */
    function expectBalanced(doc: unknown): void {
      const open = new Map<string, string[]>();
      for (const e of (doc as { traceEvents: Ev[] }).traceEvents) {
        const k = `${e.pid}/${e.tid}`;
        const st = open.get(k) ?? [];
        open.set(k, st);
        if (e.ph === "B") st.push(e.name);
        if (e.ph === "E") expect(st.pop()).toBe(e.name);
      }
      for (const st of open.values()) expect(st).toEqual([]);
    }

    it("slices cut short by the end of the trace end at the last timestamp, innermost first", () => {
      const { doc } = run([call(1, "a", "entry", 1000), call(2, "x", "entry", 1500), call(1, "b", "entry", 2000), call(1, "b", "return", 3000), call(1, "c", "entry", 4000)]);
      expectBalanced(doc);
      expect(slices(doc)).toEqual([
        ["B", "a", "entry", 1, 1],
        ["B", "x", "entry", 1.5, 2],
        ["B", "b", "entry", 2, 1],
        ["E", "b", "return", 3, 1],
        ["B", "c", "entry", 4, 1],
        ["E", "c", "unfinished", 4, 1],
        ["E", "a", "unfinished", 4, 1],
        ["E", "x", "unfinished", 4, 2],
      ]);
    });

    it("a return that skips frames ends them first; a return without its entry is an instant", () => {
      const { doc } = run([call(1, "z", "return", 500), call(1, "a", "entry", 1000), call(1, "b", "entry", 2000), call(1, "a", "return", 3000)]);
      expectBalanced(doc);
      expect(slices(doc)).toEqual([
        ["i", "z", "return", 0.5, 1],
        ["B", "a", "entry", 1, 1],
        ["B", "b", "entry", 2, 1],
        ["E", "b", "return-lost", 3, 1],
        ["E", "a", "return", 3, 1],
      ]);
    });

    it("functions traced at one end only (entry-only specs, stash records) are instants", () => {
      const { doc } = run([call(1, "entry_only", "entry", 1000), call(1, "entry_only", "entry", 2000), call(1, "stashed", "return", 3000), call(1, "both", "entry", 4000), call(1, "both", "return", 5000)], {
        slices: (f) => f === "both",
      });
      expectBalanced(doc);
      expect(slices(doc)).toEqual([
        ["i", "entry_only", "entry", 1, 1],
        ["i", "entry_only", "entry", 2, 1],
        ["i", "stashed", "return", 3, 1],
        ["B", "both", "entry", 4, 1],
        ["E", "both", "return", 5, 1],
      ]);
    });
  });
});
