// Interrupts and deferred work (paths/irq.ts): the timer tick per CPU at
// 250 Hz, softirq entry/exit per vector, the virtio interrupts, timers,
// workqueues and printk, on a fresh kernel and through the tracer.
import { describe, expect, it } from "vitest";
import { SyntheticKernel } from "../../src/kernel-model/synthetic.js";
import type { TracepointHit } from "../../src/kernel-model/tracepoints.js";
import { HZ_TICK, kernelLog } from "../../src/kernel-model/paths/irq.js";
import { runCli } from "../helpers/cli.js";

const calls = (k: SyntheticKernel, name: string) => k.functions.countsOf(k.functions.named(name)[0]!).calls;
const fnAddr = (k: SyntheticKernel, name: string) => k.functions.named(name)[0]!.address;
const u32 = (hit: TracepointHit, off: number) => new DataView(hit.record.buffer, hit.record.byteOffset).getUint32(off, true);
const u64 = (hit: TracepointHit, off: number) => new DataView(hit.record.buffer, hit.record.byteOffset).getBigUint64(off, true);
const dataLoc = (hit: TracepointHit, off: number) => {
  const loc = u32(hit, off);
  return Buffer.from(hit.record.subarray(loc & 0xffff, (loc & 0xffff) + (loc >>> 16) - 1)).toString("utf8");
};

/** Runs `fn` with hooks on the events, collecting their hits by event name. */
function hitsOf(k: SyntheticKernel, names: string[], fn: () => void): Map<string, TracepointHit[]> {
  const out = new Map<string, TracepointHit[]>(names.map((n) => [n, []]));
  const d = names.map((n) => {
    const [cat, name] = n.split(":") as [string, string];
    return k.tracepoints.attach(k.tracepoints.get(cat, name)!, (hit) => void out.get(n)!.push(hit));
  });
  try {
    fn();
  } finally {
    for (const x of d) x();
  }
  return out;
}

describe("the timer tick", () => {
  it("every CPU ticks 250 times per simulated second, each tick the local timer vector's hrtimer expiry (tick_nohz_handler)", () => {
    const k = new SyntheticKernel({ seed: 1 });
    k.run("sched", { count: 1 });
    const h = hitsOf(k, ["irq_vectors:local_timer_entry", "irq_vectors:local_timer_exit", "timer:hrtimer_expire_entry"], () => k.run("sched", { durationNs: 1_000_000_000n }));
    const perCpu = [0, 1, 2, 3].map((c) => h.get("irq_vectors:local_timer_entry")!.filter((x) => x.cpu === c).length);
    expect(HZ_TICK).toBe(250);
    expect(perCpu).toEqual([250, 250, 250, 250]);
    expect(h.get("irq_vectors:local_timer_exit")!.length).toBe(1000);
    // LOCAL_TIMER_VECTOR 0xec; the expiring hrtimer's function is tick_nohz_handler.
    expect(new Set(h.get("irq_vectors:local_timer_entry")!.map((x) => u32(x, 8)))).toEqual(new Set([0xec]));
    expect(new Set(h.get("timer:hrtimer_expire_entry")!.map((x) => u64(x, 24)))).toEqual(new Set([fnAddr(k, "tick_nohz_handler")]));
    // Only CPU 0 keeps time (tick_do_update_jiffies64).
    expect([calls(k, "tick_do_update_jiffies64"), calls(k, "update_process_times"), calls(k, "sched_tick") >= 1000]).toEqual([calls(k, "update_wall_time"), calls(k, "sysvec_apic_timer_interrupt"), true]);
  }, 60_000);

  it("does no interrupt work between ticks: a CPU's ticks are the 4 ms boundaries its clock crossed, however many steps ran", () => {
    const k = new SyntheticKernel({ seed: 2, nrCpus: 1 });
    k.run("sched", { count: 1, rate: 1000 });
    const before = calls(k, "sysvec_apic_timer_interrupt");
    const t0 = k.clock.now();
    k.run("sched", { count: 1000, rate: 1_000_000 });
    const crossed = Number(k.clock.now() / 4_000_000n - t0 / 4_000_000n);
    const ticks = calls(k, "sysvec_apic_timer_interrupt") - before;
    expect(ticks).toBeGreaterThanOrEqual(crossed - 1);
    expect(ticks).toBeLessThanOrEqual(crossed + 1);
  }, 60_000);
});

describe("softirqs", () => {
  it("entry and exit pair per vector, never nested; TIMER, NET_RX, SCHED and RCU run; each entry was raised", () => {
    const k = new SyntheticKernel({ seed: 1 });
    const seq: [string, number][] = [];
    const raised = new Map<number, number>();
    const d = ["softirq_entry", "softirq_exit", "softirq_raise"].map((n) =>
      k.tracepoints.attach(k.tracepoints.get("irq", n)!, (hit) => {
        const vec = u32(hit, 8);
        if (n === "softirq_raise") raised.set(vec, (raised.get(vec) ?? 0) + 1);
        else seq.push([n, vec]);
      }),
    );
    k.run("sched", { durationNs: 1_100_000_000n });
    for (const x of d) x();
    const entry = new Map<number, number>();
    for (let i = 0; i < seq.length; i += 2) {
      expect([seq[i]![0], seq[i + 1]![0], seq[i + 1]![1]]).toEqual(["softirq_entry", "softirq_exit", seq[i]![1]]);
      entry.set(seq[i]![1], (entry.get(seq[i]![1]) ?? 0) + 1);
    }
    expect([...entry.keys()].sort((a, b) => a - b)).toEqual([1, 3, 7, 9]);
    for (const [vec, n] of entry) expect(raised.get(vec)!).toBeGreaterThanOrEqual(n);
  }, 60_000);
});

describe("device interrupts", () => {
  it("virtio-blk (irq 30, virtio2-req.0) completes block requests in hard IRQ context; virtio-net (irq 25, virtio0-input.0) raises NET_RX", () => {
    const k = new SyntheticKernel({ seed: 1 });
    let inHardirq = 0;
    const h = hitsOf(k, ["irq:irq_handler_entry", "irq:irq_handler_exit", "block:block_rq_complete"], () => {
      const tp = k.tracepoints.get("block", "block_rq_complete")!;
      const d = k.tracepoints.attach(tp, (hit) => void (k.tasks.cpus[hit.cpu]!.context === "hardirq" && inHardirq++));
      k.run("block", { durationNs: 50_000_000n });
      d();
    });
    const names = new Map(h.get("irq:irq_handler_entry")!.map((x) => [u32(x, 8), dataLoc(x, 12)]));
    expect(names).toEqual(new Map([[30, "virtio2-req.0"], [25, "virtio0-input.0"]]));
    expect(new Set(h.get("irq:irq_handler_exit")!.map((x) => [u32(x, 8), u32(x, 12)].join(":")))).toEqual(new Set(["30:1", "25:1"]));
    expect(h.get("irq:irq_handler_exit")!.length).toBe(h.get("irq:irq_handler_entry")!.length);
    expect(inHardirq).toBeGreaterThan(0);
    expect(calls(k, "virtblk_done")).toBe(h.get("irq:irq_handler_entry")!.filter((x) => u32(x, 8) === 30).length);
    expect(calls(k, "skb_recv_done")).toBe(h.get("irq:irq_handler_entry")!.filter((x) => u32(x, 8) === 25).length);
  }, 60_000);
});

describe("timers, workqueues and printk", () => {
  it("in the first 1.3 s: vmstat_update runs once per CPU from its delayed work, the clocksource watchdog fires twice, the TSC refinement stops it and logs", () => {
    const k = new SyntheticKernel({ seed: 1 });
    const h = hitsOf(k, ["timer:timer_expire_entry", "timer:timer_cancel", "workqueue:workqueue_execute_start", "workqueue:workqueue_queue_work", "printk:console"], () =>
      k.run("sched", { durationNs: 1_300_000_000n }),
    );
    const expired = h.get("timer:timer_expire_entry")!.map((x) => k.functions.at(u64(x, 24))!.name);
    expect(expired.filter((n) => n === "clocksource_watchdog").length).toBe(2);
    expect(expired.filter((n) => n === "delayed_work_timer_fn").length).toBe(5);
    const ran = h.get("workqueue:workqueue_execute_start")!.map((x) => [x.cpu, k.functions.at(u64(x, 16))!.name]);
    expect(ran.filter(([, n]) => n === "vmstat_update").map(([c]) => c).sort()).toEqual([0, 1, 2, 3]);
    expect(ran.filter(([, n]) => n === "tsc_refine_calibration_work")).toEqual([[0, "tsc_refine_calibration_work"]]);
    expect(ran.filter(([, n]) => n === "crng_reseed").length).toBe(1);
    // The watchdog was pending when the refinement deleted it.
    expect(h.get("timer:timer_cancel")!.length).toBe(1);
    expect(new Set(h.get("workqueue:workqueue_queue_work")!.map((x) => dataLoc(x, 24)))).toEqual(new Set(["mm_percpu_wq", "events"]));
    // The 16th device interrupt had the CRNG seeded early on; the TSC refinement logs at 1.1 s.
    expect(kernelLog(k)).toEqual(["random: crng init done\n", "tsc: Refined TSC clocksource calibration: 2803.199 MHz\n", "clocksource: Switched to clocksource tsc\n"]);
    expect(calls(k, "add_interrupt_randomness")).toBe(calls(k, "common_interrupt"));
    const msgs = h.get("printk:console")!.map((x) => dataLoc(x, 8));
    expect(msgs.map((m) => m.replace(/^\[\s*\d+\.\d{6}\] /, ""))).toEqual(["random: crng init done", "tsc: Refined TSC clocksource calibration: 2803.199 MHz", "clocksource: Switched to clocksource tsc"]);
    expect(msgs[1]).toMatch(/^\[ {4}6\.\d{6}\] /);
    // The kworkers and ksoftirqd threads exist on every CPU.
    expect(k.tasks.all().filter((t) => /^(kworker|ksoftirqd)\//.test(t.comm)).map((t) => t.comm).sort()).toEqual(["ksoftirqd/0", "ksoftirqd/1", "ksoftirqd/2", "ksoftirqd/3", "kworker/0:1", "kworker/1:1", "kworker/2:1", "kworker/3:1"]);
  }, 60_000);
});

describe("through the tracer", () => {
  it("btfsnoop trace tracepoint:irq:softirq_entry: every record's vec is a softirq the model runs, as many records as entries", async () => {
    const r = await runCli("tracepoint:irq:softirq_entry", "--workload", "sched", "-d", "50ms", "--format", "json", "--check");
    expect(r.code).toBe(0);
    type Ev = { values: { name: string; value: number }[] };
    const vecs = r.out.trim().split("\n").map((l) => (JSON.parse(l) as Ev).values[0]!.value);
    expect(vecs.length).toBeGreaterThan(10);
    expect(vecs.every((v) => [1, 3, 7, 9].includes(v))).toBe(true);
    expect(r.err).toMatch(new RegExp(`ok irq:softirq_entry: ${vecs.length} calls -> ${vecs.length} records expected`));
  }, 60_000);
});
