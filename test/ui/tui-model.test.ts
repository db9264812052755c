// The TUI model without a kernel or React: latency from entry/return pairs
// (by thread), errors, p99, histograms, sorting, the text filter, the key
// reducer, the prompt's spec splitting and the redraw throttle.
import { describe, expect, it } from "vitest";
import type { TraceEvent, TraceValue } from "../../src/tracer/event.js";
import type { SessionStats } from "../../src/tracer/session.js";
import { RedrawThrottle, TuiModel, splitSpecs, type TuiClock } from "../../src/ui/tui/model.js";
import { bucketLabel, compactEvent, fit, formatNs, histogramRows, log2Bucket } from "../../src/ui/tui/text.js";

const int = (name: string, n: number): TraceValue => {
  const data = new Uint8Array(4);
  new DataView(data.buffer).setInt32(0, n, true);
  return { name, typeId: 1, raw: BigInt.asUintN(32, BigInt(n)), dataTypeId: 1, data, fullSize: 4 };
};
const ev = (func: string, kind: "entry" | "return", tid: number, timeNs: bigint, values: TraceValue[] = []): TraceEvent => ({ timeNs, cpu: 0, pid: tid, tid, comm: `task${tid}`, func, kind, values });

describe("TuiModel", () => {
  it("pairs entries and returns by thread for latency; counts negative returns as errors", () => {
    const m = new TuiModel();
    m.reset(["f"], ["f", "g"], 0n);
    m.ingest([ev("f", "entry", 1, 100n), ev("f", "entry", 2, 150n), ev("f", "return", 2, 1150n, [int("return", -22)]), ev("f", "return", 1, 300n, [int("return", 5)])]);
    m.nowNs = 1_000_000_000n;
    const [f, g] = m.rows();
    expect(f).toMatchObject({ name: "f", events: 4, errors: 1, avgNs: 600, p99Ns: 1000 });
    expect(g).toMatchObject({ name: "g", events: 0, errors: 0, avgNs: undefined, p99Ns: undefined });
    const h = m.histogram();
    expect(h.func).toBe("f");
    expect(h.hist?.total).toBe(2);
    expect(h.hist?.buckets[log2Bucket(200)]).toBe(1);
    expect(h.hist?.buckets[log2Bucket(1000)]).toBe(1);
  });

  it("sorts by the sort column (s cycles it) and filters events by text", () => {
    const m = new TuiModel();
    m.reset(["*"], ["a", "b"], 0n);
    m.ingest([ev("a", "entry", 1, 1n), ev("b", "entry", 1, 2n), ev("b", "entry", 3, 3n)]);
    expect(m.rows().map((r) => r.name)).toEqual(["b", "a"]);
    m.handleKey("s", {});
    m.handleKey("s", {});
    m.handleKey("s", {});
    m.handleKey("s", {});
    expect(m.sort).toBe("name");
    expect(m.rows().map((r) => r.name)).toEqual(["a", "b"]);
    m.handleKey("/", {});
    for (const c of "task3") m.handleKey(c, {});
    m.handleKey("", { return: true });
    expect(m.filterEditing).toBe(false);
    expect(m.visibleEvents().map((e) => e.tid)).toEqual([3]);
  });

  it("keys return effects: quit, pause, workload, attach", () => {
    const m = new TuiModel();
    expect(m.handleKey("c", { ctrl: true })).toEqual({ type: "quit" });
    expect(m.handleKey(" ", {})).toEqual({ type: "pause", paused: true });
    expect(m.handleKey("w", {})).toEqual({ type: "workload" });
    expect(m.handleKey(":", {})).toEqual({ type: "none" });
    expect(m.pane).toBe("prompt");
    expect(m.handleKey("q", {})).toEqual({ type: "validate", text: "q" });
    expect(m.handleKey("", { return: true })).toEqual({ type: "attach", text: "q" });
    m.remember("tcp_*");
    m.prompt = "";
    expect(m.handleKey("", { upArrow: true })).toEqual({ type: "validate", text: "tcp_*" });
    expect(m.handleKey("c", { ctrl: true })).toEqual({ type: "quit" });
  });

  it("? opens the help overlay and the next key only closes it", () => {
    const m = new TuiModel();
    expect(m.handleKey("?", {})).toEqual({ type: "none" });
    expect(m.help).toBe(true);
    // q while the help is shown closes the help; it does not quit.
    expect(m.handleKey("q", {})).toEqual({ type: "none" });
    expect(m.help).toBe(false);
    m.handleKey("?", {});
    expect(m.handleKey("c", { ctrl: true })).toEqual({ type: "quit" });
  });

  it("the prompt: esc cancels (clears and leaves), ctrl-u clears the line, tab stays while a spec is typed", () => {
    const m = new TuiModel();
    m.pane = "prompt";
    for (const c of "tcp_send") m.handleKey(c, {});
    m.promptStatus = { kind: "ok", message: "1 function" };
    expect(m.handleKey("", { tab: true })).toEqual({ type: "none" });
    expect(m.pane).toBe("prompt");
    expect(m.prompt).toBe("tcp_send");
    expect(m.handleKey("u", { ctrl: true })).toEqual({ type: "none" });
    expect(m.prompt).toBe("");
    expect(m.promptStatus).toEqual({ kind: "empty", message: "" });
    expect(m.pane).toBe("prompt");
    // An empty line: tab moves on.
    m.handleKey("", { tab: true });
    expect(m.pane).toBe("functions");
    m.handleKey(":", {});
    for (const c of "ip_") m.handleKey(c, {});
    m.promptStatus = { kind: "error", message: "no function matches" };
    expect(m.handleKey("", { escape: true })).toEqual({ type: "none" });
    expect(m.pane).toBe("functions");
    expect(m.prompt).toBe("");
    expect(m.promptStatus.kind).toBe("empty");
    // Control characters are not typed into the spec.
    m.handleKey(":", {});
    m.handleKey("\x01", {});
    expect(m.prompt).toBe("");
  });

  it("rates count the last second of wall time, not the average since attach", () => {
    const m = new TuiModel();
    m.reset(["f"], ["f", "g"], 0n, 0);
    const stats = (delivered: number): SessionStats => ({ delivered, perTarget: new Map(), ringDrops: 0, malformed: 0 }) as unknown as SessionStats;
    const at = (ms: number, f: number, delivered: number): void => m.setStats(stats(delivered), new Map([["f", f], ["g", 0]]), 1, ms);
    at(500, 100, 50);
    expect(m.rows().find((r) => r.name === "f")?.rate).toBe(200);
    expect(m.eventRate).toBe(100);
    at(1000, 300, 150);
    expect(m.rows().find((r) => r.name === "f")?.rate).toBe(300);
    // The window is now (500, 1500]: 200 calls in 1 s (the average since attach would be 200).
    at(1500, 300, 150);
    expect(m.rows().find((r) => r.name === "f")?.rate).toBe(200);
    expect(m.eventRate).toBe(100);
    // Nothing for over a second (paused, or a workload that does not call f): 0, not 300/2.1 s.
    at(2100, 300, 150);
    expect(m.rows().map((r) => r.rate)).toEqual([0, 0]);
    expect(m.eventRate).toBe(0);
    // And it comes back as soon as calls do.
    at(2600, 350, 175);
    expect(m.rows().find((r) => r.name === "f")?.rate).toBe(50 / 1.1); // since the sample at 1500
  });

  it("the event list holds still while its pane has the focus; the detail shows the row under the cursor", () => {
    const m = new TuiModel();
    m.reset(["f"], ["f"], 0n);
    m.ingest([1n, 2n, 3n, 4n, 5n].map((t) => ev("f", "entry", 1, t)));
    m.handleKey("", { tab: true });
    expect(m.pane).toBe("events");
    expect(m.holding).toBe(true);
    expect(m.expanded?.timeNs).toBe(5n);
    m.handleKey("j", {});
    expect(m.expanded?.timeNs).toBe(4n);
    m.ingest([6n, 7n, 8n].map((t) => ev("f", "entry", 1, t)));
    // New events do not move the rows or the selection.
    expect(m.visibleEvents().map((e) => e.timeNs)).toEqual([5n, 4n, 3n, 2n, 1n]);
    expect(m.visibleEvents()[m.eventIndex]?.timeNs).toBe(4n);
    expect(m.expanded?.timeNs).toBe(4n);
    expect(m.heldNew).toBe(3);
    m.handleKey("k", {});
    expect(m.expanded?.timeNs).toBe(5n);
    // Focus elsewhere: the list is live again, newest first.
    m.handleKey("", { tab: true });
    expect(m.holding).toBe(false);
    expect(m.visibleEvents().map((e) => e.timeNs)).toEqual([8n, 7n, 6n, 5n, 4n, 3n, 2n, 1n]);
    expect(m.expanded?.timeNs).toBe(5n);
  });

  it("takes a poll of any size (200k events: no spread over the batch, which overflows the stack)", () => {
    const m = new TuiModel();
    m.reset(["f"], ["f"], 0n);
    const batch: TraceEvent[] = [];
    for (let i = 0; i < 200_000; i++) batch.push(ev("f", "entry", 1 + (i % 7), BigInt(i)));
    m.ingest(batch);
    expect(m.rows()[0]?.events).toBe(200_000);
    expect(m.visibleEvents().length).toBe(500);
    expect(m.visibleEvents()[0]?.timeNs).toBe(199_999n);
    expect(m.visibleEvents()[499]?.timeNs).toBe(199_500n);
  });

  it("keeps at most 500 events", () => {
    const m = new TuiModel();
    m.reset(["f"], ["f"], 0n);
    for (let i = 0; i < 20; i++) m.ingest(Array.from({ length: 100 }, (_, k) => ev("f", "entry", 1, BigInt(i * 100 + k))));
    expect(m.visibleEvents().length).toBe(500);
    expect(m.visibleEvents()[0]?.timeNs).toBe(1999n);
  });
});

describe("text helpers", () => {
  it("formats", () => {
    expect(fit("abcdef", 4)).toBe("abc…");
    expect(fit("ab", 4)).toBe("ab  ");
    expect(formatNs(0)).toBe("0ns");
    expect(formatNs(1500)).toBe("1.50us");
    expect(bucketLabel(0)).toBe("[0]");
    expect(bucketLabel(11)).toBe("[1K, 2K)");
    expect(compactEvent(ev("f", "return", 7, 2_500_000n, [int("return", -14)]), 0n)).toBe("    2.500 0     7 f = -14");
    expect(histogramRows([0, 2, 4], 1, 30, 10)).toEqual(["(<0)   1 |@@@@@              |", "[1]    2 |@@@@@@@@@@         |", "[2, 4) 4 |@@@@@@@@@@@@@@@@@@@|"]);
  });

  it("splits prompt specs at ; outside strings", () => {
    expect(splitSpecs('a(x); b(s == "x;y") ;')).toEqual([
      { text: "a(x)", offset: 0 },
      { text: 'b(s == "x;y")', offset: 6 },
    ]);
  });
});

describe("RedrawThrottle", () => {
  it("redraws at most once per interval: 30/s for a stream of requests", () => {
    const timers: { at: number; fn: () => void }[] = [];
    const clock: TuiClock & { t: number } = {
      t: 0,
      now: () => clock.t,
      setTimeout: (fn, ms) => timers.push({ at: clock.t + ms, fn }),
      clearTimeout: () => void timers.splice(0),
      setInterval: () => 0,
      clearInterval: () => {},
    };
    let fired = 0;
    const t = new RedrawThrottle(clock, 33, () => fired++);
    // One request per ms for one second (a busy trace).
    for (clock.t = 0; clock.t < 1000; clock.t++) {
      for (const x of timers.filter((x) => x.at <= clock.t)) {
        timers.splice(timers.indexOf(x), 1);
        x.fn();
      }
      t.request();
    }
    expect(fired).toBeGreaterThanOrEqual(29);
    expect(fired).toBeLessThanOrEqual(31);
  });
});
