// TUI frames (ink-testing-library, rendered to strings at 80x23: what the
// TUI draws on an 80x24 terminal, one row short of it) for each
// pane and key, compared byte for byte with test/golden/tui/*.txt
// (UPDATE_GOLDEN=1 rewrites them). Deterministic: fixed seed, fixed tick
// counts, a fake clock, no wall-clock in frames. Also the prompt: an
// invalid spec shows the caret, a valid one re-attaches.
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { render } from "ink-testing-library";
import { createElement } from "react";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootSyntheticKernel, machineOf } from "../../src/syscall/boot.js";
import type { Machine } from "../../src/syscall/machine.js";
import { frameHeight } from "../../src/cli/commands/tui.js";
import { App, layout } from "../../src/ui/tui/App.js";
import { TuiDriver } from "../../src/ui/tui/driver.js";
import { HELP_PANES, HELP_PROMPT } from "../../src/ui/tui/HelpPane.js";
import type { TuiClock } from "../../src/ui/tui/model.js";
import { Header } from "../../src/ui/tui/Header.js";
import { TuiModel } from "../../src/ui/tui/model.js";
import { compactEvent, formatCountIn, formatMs } from "../../src/ui/tui/text.js";
import { checkGolden } from "../helpers/fixtures.js";

const GOLDEN = join(__dirname, "..", "golden", "tui");
/** The frame's rows on a 24-row terminal. */
const HEIGHT = frameHeight(24);

/** A clock that never fires on its own: tests tick the driver by hand. */
export function fakeClock(): TuiClock & { t: number } {
  const c = {
    t: 0,
    now: () => c.t,
    setTimeout: () => 0,
    clearTimeout: () => {},
    setInterval: () => 0,
    clearInterval: () => {},
  };
  return c;
}

const settle = () => new Promise((r) => setTimeout(r, 5));

function checkLayout(frame: string): void {
  const lines = frame.split("\n");
  expect(lines.length).toBe(HEIGHT);
  for (const l of lines) expect([...l].length).toBeLessThanOrEqual(80);
}

describe("nothing is cut at 80 columns", () => {
  it("the header's clock past 10,000 ms, event times past 99,999 ms, counts past the column width", () => {
    const m = new TuiModel();
    m.kernel = "synthetic (seed 1, 4 cpus), stack mode";
    m.workload = "block";
    m.reset(["f"], ["f"], 0n, 0);
    m.nowNs = 123_456_789_000n;
    m.ingest([{ timeNs: 123_456_789_000n, cpu: 3, pid: 123456, tid: 123456, comm: "kworker", func: "f", kind: "entry", values: [] }]);
    const u = render(createElement(Header, { model: m, width: 80, color: false }));
    const [line1] = stripVTControlCharacters(u.lastFrame() ?? "").split("\n");
    u.unmount();
    expect(line1).toBe("t=+123456.789ms │ workload block │ kernel synthetic (seed 1, 4 cpus), stack mod…");
    expect(compactEvent(m.visibleEvents()[0]!, 0n)).toBe("123456.789 3 123456 f()");
    expect(formatCountIn(12_345_678, 8)).toBe("12345678");
    expect(formatCountIn(123_456_789, 8)).toBe("123.5M");
  });
});

describe("tui frames (80x24 terminal)", () => {
  let machine: Machine;
  let driver: TuiDriver;
  let clock: ReturnType<typeof fakeClock>;
  let startNs: bigint;
  /** What tcp_* attaches. */
  let tcpTargets: string[] = [];
  let ui: ReturnType<typeof render>;
  /** `n` ticks of the driver, 10 ms of wall time each (the rates count the last second of it). */
  const run = (n: number): void => {
    for (let i = 0; i < n; i++) {
      driver.tick();
      clock.t += 10;
    }
  };
  const frame = (): string => stripVTControlCharacters(ui.lastFrame() ?? "");
  const golden = (name: string): void => {
    const f = frame();
    checkLayout(f);
    const diff = checkGolden(join(GOLDEN, `${name}.txt`), f + "\n");
    expect(diff, name).toBeUndefined();
  };
  /** Waits until the driver has redrawn and ink has written a frame since `frames` (robust under load). */
  const rendered = async (version: number, frames: number): Promise<void> => {
    for (let i = 0; i < 400 && (driver.version === version || ui.frames.length === frames); i++) await settle();
  };
  const press = async (...keys: string[]): Promise<void> => {
    for (const k of keys) {
      const v = driver.version;
      const f = ui.frames.length;
      ui.stdin.write(k);
      await rendered(v, f);
    }
  };
  /** Runs for `ms` of wall time, redrawing every 100 ms (as the throttled redraws of a live trace). */
  const runFor = async (ms: number): Promise<void> => {
    for (let i = 0; i < ms / 100; i++) {
      run(10);
      await redraw();
    }
  };
  const redraw = async (): Promise<void> => {
    const v = driver.version;
    const f = ui.frames.length;
    driver.redrawNow();
    await rendered(v, f);
  };

  beforeAll(() => {
    machine = machineOf(bootSyntheticKernel({ seed: 1, nrCpus: 4 }));
    startNs = machine.nowNs();
    clock = fakeClock();
    // 256 pages: tcp_* (60 functions) on the net workload emits more per 16-step poll than the default 16 pages hold; the frames show a trace that loses nothing.
    driver = new TuiDriver({ machine, specs: ["tcp_*"], workload: "net", clock, pages: 256, kernelLabel: "synthetic (seed 1, 4 cpus)" });
    driver.open();
    ui = render(createElement(App, { driver, btf: driver.btf, width: 80, height: HEIGHT, color: false }));
  });
  afterAll(() => {
    ui.unmount();
    driver.quit();
  });

  it("without a spec, starts in the spec prompt", async () => {
    const d = new TuiDriver({ machine, specs: [], workload: "net", clock: fakeClock(), kernelLabel: "synthetic (seed 1, 4 cpus)" });
    d.open();
    const u = render(createElement(App, { driver: d, btf: d.btf, width: 80, height: HEIGHT, color: false }));
    await settle();
    const f = stripVTControlCharacters(u.lastFrame() ?? "");
    checkLayout(f);
    expect(checkGolden(join(GOLDEN, "no-spec.txt"), f + "\n")).toBeUndefined();
    expect(d.model.pane).toBe("prompt");
    u.unmount();
    expect(d.quit().linksLeft).toBe(0);
  });

  it("starts with the function table focused", async () => {
    tcpTargets = [...driver.targets];
    expect(tcpTargets).toHaveLength(60);
    run(40);
    await redraw();
    golden("start");
    // The busiest function (most events) is on top, selected.
    expect(frame()).toContain("> tcp_ack ");
  });

  it("s cycles the sort column", async () => {
    await press("s");
    expect(driver.model.sort).toBe("errors");
    golden("sort-errors");
  });

  it("v shows a value histogram of the selected function", async () => {
    await press("v", "v");
    expect(driver.model.histSource).not.toBe("latency");
    golden("histogram-value");
  });

  it("tab, j and enter expand an event into the detail pane", async () => {
    await press("\t", "j", "j", "\r");
    expect(driver.model.pane).toBe("events");
    expect(driver.model.expanded).toBe(driver.model.visibleEvents()[2]);
    golden("detail");
  });

  it("the focused event list holds still while events arrive; the detail stays on the row under the cursor", async () => {
    const before = frame().split("\n");
    const shown = driver.model.expanded;
    run(10);
    await redraw();
    const after = frame().split("\n");
    // The event rows (left of the separator) and the detail are as they were; the title counts the new events.
    const title = after.findIndex((l) => l.startsWith("▸ Events"));
    const rows = layout(HEIGHT, 60).middle - 1;
    expect(before[title]).toMatch(/^▸ Events \(t ms\)  held, 0 new/);
    expect(after[title]).toMatch(/^▸ Events \(t ms\)  held, [1-9]\d* new/);
    expect(after.slice(title + 1, title + 1 + rows)).toEqual(before.slice(title + 1, title + 1 + rows));
    expect(driver.model.expanded).toBe(shown);
    expect(driver.model.visibleEvents()[driver.model.eventIndex]).toBe(shown);
    await press("j");
    expect(driver.model.expanded).toBe(driver.model.visibleEvents()[3]);
  });

  it("space pauses: the machine stops, and the rates fall to 0 within a second", async () => {
    await press(" ");
    const t = machine.nowNs();
    expect(driver.model.eventRate).toBeGreaterThan(0);
    await runFor(1200);
    expect(machine.nowNs()).toBe(t);
    expect(driver.model.eventRate).toBe(0);
    expect(driver.model.rows().map((r) => r.rate)).toEqual(driver.model.targets.map(() => 0));
    expect(driver.model.counters.delivered).toBeGreaterThan(0);
    golden("paused");
    await press(" ");
    expect(driver.model.paused).toBe(false);
  });

  it("/ filters the events by text", async () => {
    await press("\x1b");
    await press("/", "r", "c", "v");
    golden("filter-typing");
    await press("\r");
    run(5);
    await redraw();
    expect(driver.model.visibleEvents().every((e) => e.func.includes("rcv") || e.comm.includes("rcv"))).toBe(true);
    golden("filter");
  });

  it("w changes the workload, and the rates follow it", async () => {
    await press("w");
    expect(driver.model.workload).toBe("fs");
    const rate = (f: string) => driver.model.rows().find((r) => r.name === f)?.rate;
    expect(rate("tcp_sendmsg")).toBeGreaterThan(0);
    await runFor(1200);
    // fs makes no TCP calls: after a second of it, no TCP function has a rate.
    expect(driver.model.rows().map((r) => r.rate)).toEqual(driver.model.targets.map(() => 0));
    await press("wwww"); // one chunk, as ink hands over fast typing
    expect(driver.model.workload).toBe("net");
  });

  it("? shows the help overlay listing every key; any key closes it", async () => {
    await press("?");
    expect(driver.model.help).toBe(true);
    golden("help");
    const f = frame();
    expect(f).not.toContain("…");
    for (const l of [...HELP_PANES, ...HELP_PROMPT]) expect(f).toContain("heading" in l ? l.heading : `${l.key.padEnd(11)}${l.does}`);
    await press("q"); // closes the help, does not quit
    expect(driver.model.help).toBe(false);
    expect(frame()).toContain("Functions (60)");
  });

  it("the prompt: tab stays while typing, ctrl-u clears the line, esc cancels", async () => {
    await press(":", "t", "c", "p", "\t");
    expect(driver.model.pane).toBe("prompt");
    expect(frame()).toContain("spec> tcp█");
    await press("\x15");
    expect(driver.model.prompt).toBe("");
    expect(frame()).toContain("spec> █");
    await press("i", "p", "\x1b");
    expect(driver.model.pane).toBe("functions");
    expect(driver.model.prompt).toBe("");
    expect(frame().split("\n").map((l) => l.trimEnd())).toContain("spec>");
  });

  it("the prompt: an invalid spec shows a caret under the error", async () => {
    await press(":");
    for (const ch of "tcp_sendmsg(sizz)") await press(ch);
    expect(driver.model.promptStatus.kind).toBe("error");
    golden("prompt-error");
    const lines = frame().split("\n");
    const input = lines.findIndex((l) => l.startsWith("spec> tcp_sendmsg(sizz)"));
    expect(lines[input + 1]?.trimEnd()).toBe(" ".repeat("spec> tcp_sendmsg(".length) + "^~~~");
    // Enter does not attach an invalid spec.
    await press("\r");
    expect(driver.targets).toContain("tcp_v4_rcv");
  });

  it("the prompt: a valid spec is added to the attached ones and goes to the history", async () => {
    await press("\x15");
    for (const ch of "ip_send_skb(skb->len)") await press(ch);
    expect(driver.model.promptStatus).toEqual({ kind: "ok", message: "adds 1 function: ip_send_skb (enter attaches)" });
    golden("prompt-ok");
    await press("\r");
    expect(driver.model.specs).toEqual(["tcp_*", "ip_send_skb(skb->len)"]);
    expect(driver.targets).toEqual([...tcpTargets, "ip_send_skb"]);
    expect(driver.model.history).toEqual(["tcp_*", "ip_send_skb(skb->len)"]);
    expect(frame()).toContain("Functions (61)");
  });

  it("the prompt: a function already traced is an error with a hint; = replaces the attached specs", async () => {
    await press(":");
    for (const ch of "tcp_sendmsg(size)") await press(ch);
    expect(driver.model.promptStatus).toEqual({
      kind: "error",
      message: "tcp_sendmsg is already traced (attached: tcp_*; ip_send_skb(skb->len))",
      span: { start: 0, end: 17 },
      hint: "start the line with = to replace the attached specs, or merge them into one spec",
    });
    await press("\r");
    expect(driver.model.specs).toEqual(["tcp_*", "ip_send_skb(skb->len)"]);
    await press("\x15");
    for (const ch of "= tcp_sendmsg(size); ip_send_skb(skb->len)") await press(ch);
    expect(driver.model.promptStatus).toEqual({ kind: "ok", message: "instead: 2 functions: tcp_sendmsg, ip_send_skb (enter attaches)" });
    await press("\r");
    expect(driver.model.specs).toEqual(["tcp_sendmsg(size)", "ip_send_skb(skb->len)"]);
    expect(driver.targets).toEqual(["tcp_sendmsg", "ip_send_skb"]);
    expect(driver.model.history).toEqual(["tcp_*", "ip_send_skb(skb->len)", "= tcp_sendmsg(size); ip_send_skb(skb->len)"]);
    run(20);
    await redraw();
    golden("reattached");
    // One clock: the rows and the detail count from the TUI's start, as the header does (not from the re-attach).
    expect(driver.model.startNs).toBe(startNs);
    expect(driver.model.attachNs).toBeGreaterThan(startNs);
    expect(frame()).toContain(`t=+${formatMs(driver.model.nowNs - startNs)}ms`);
    await press("/", "\x1b"); // no filter
    const newest = driver.model.visibleEvents()[0]!;
    const t = formatMs(newest.timeNs - startNs);
    expect(frame()).toContain(`>${t.padStart(9)} ${newest.cpu} `);
    await press("\t", "\r");
    expect(driver.model.expanded).toBe(newest);
    expect(frame()).toContain(`│t=+${t}ms cpu ${newest.cpu} ${newest.kind}`);
    await press("\x1b", "\t", "\t", "\t");
    expect(driver.model.pane).toBe("functions");
    // Only the new session is attached: entry values only, so one fentry.multi link.
    expect(driver.model.links).toBe(1);
  });

  it("q quits: everything is detached", async () => {
    let quit = 0;
    driver.onQuit(() => quit++);
    ui.stdin.write("q"); // quitting does not redraw
    for (let i = 0; i < 200 && quit === 0; i++) await settle();
    expect(quit).toBe(1);
    const s = driver.quit();
    expect(s.linksLeft).toBe(0);
    expect(s.fdsLeft).toBe(0);
    expect(s.lines[1]).toBe("btfsnoop: detached; 0 links and 0 fds left open");
  });
});
