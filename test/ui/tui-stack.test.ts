// The TUI in stack mode (tui -s) shows exactly what `trace -s` shows: the
// same per-task chain filter over the same records, for the same seed and steps.
import { describe, expect, it } from "vitest";
import { bootSyntheticKernel, machineOf } from "../../src/syscall/boot.js";
import { STEPS_PER_POLL } from "../../src/tracer/run.js";
import { TraceSession } from "../../src/tracer/session.js";
import { StackFilter } from "../../src/tracer/stack-filter.js";
import type { TraceEvent } from "../../src/tracer/event.js";
import { TuiDriver } from "../../src/ui/tui/driver.js";
import type { TuiClock } from "../../src/ui/tui/model.js";

/** A clock that never ticks by itself (tests step the driver by hand). */
const stoppedClock = (): TuiClock => ({ now: () => 0, setTimeout: () => 0, clearTimeout: () => undefined, setInterval: () => 0, clearInterval: () => undefined });

const SPECS = ["tcp_sendmsg(size)", "ip_finish_output2(skb->len)"];
const TICKS = 12;
const key = (e: TraceEvent) => `${e.timeNs} ${e.tid} ${e.func} ${e.kind} ${e.values.map((v) => v.raw).join(",")}`;

describe("tui -s", () => {
  it("filters events by the chain as trace -s does", () => {
    const tm = machineOf(bootSyntheticKernel({ seed: 5 }));
    const driver = new TuiDriver({ machine: tm, specs: SPECS, workload: "net", clock: stoppedClock(), stack: true });
    driver.open();
    driver.tick(TICKS);
    // The event pane lists the newest first.
    const shown = driver.model.visibleEvents().map(key).reverse();
    expect(driver.quit().linksLeft).toBe(0);

    const m = machineOf(bootSyntheticKernel({ seed: 5 }));
    const s = TraceSession.open(m.bpf, { specs: SPECS, stack: true });
    const filter = new StackFilter(s.stackChain!);
    const want: TraceEvent[] = [];
    for (let i = 0; i < TICKS; i++) {
      m.run("net", STEPS_PER_POLL);
      want.push(...filter.process(s.poll()));
    }
    s.close();
    expect(want.length).toBeGreaterThan(3);
    const got = want.map(key);
    expect(shown).toEqual(got);
    // The chain really filters: ip_finish_output2 is only shown inside a tcp_sendmsg of its task.
    expect(filter.dropped).toBeGreaterThan(0);
  });
});

describe("tui --render kernel", () => {
  it("shows the program's bpf_snprintf_btf text", () => {
    const tm = machineOf(bootSyntheticKernel({ seed: 5 }));
    const driver = new TuiDriver({ machine: tm, specs: ["ip_send_skb(skb->len)"], workload: "net", clock: stoppedClock(), render: "kernel" });
    driver.open();
    driver.tick(6);
    const events = driver.model.visibleEvents();
    expect(driver.quit().linksLeft).toBe(0);
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) expect(e.values[0]!.text).toBe(`(unsigned int)${e.values[0]!.raw}\n`);
  });
});

