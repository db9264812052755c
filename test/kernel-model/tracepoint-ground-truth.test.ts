// The kernel's ground truth counts tracepoint hits, so `--check` adds up for
// tracepoint:CAT:NAME and raw_tp:NAME specs as for functions (issue #15:
// every tracepoint spec said "0 calls" and MISMATCH, exit 1).
import { describe, expect, it } from "vitest";
import { standardTracepoints } from "../../src/kernel-model/tracepoint-defs/index.js";
import { SyntheticKernel, WORKLOADS, type WorkloadName } from "../../src/kernel-model/synthetic.js";
import { runCli } from "../helpers/cli.js";

/**
 * One event per category (the model has ~200): the one a workload fires
 * least often but at least MIN_HITS times in 30 ms of simulated time (as `-d
 * 30ms` runs), with that workload: enough to count, few enough that no
 * record is lost to a full ring buffer. That every event fires at all is
 * test/kernel-model/reach.test.ts's job.
 */
const MIN_HITS = 3;

function quietestPerCategory(): { category: string; name: string; workload: WorkloadName }[] {
  const best = new Map<string, { name: string; workload: WorkloadName; hits: number }>();
  for (const workload of WORKLOADS) {
    const k = new SyntheticKernel();
    k.run(workload, { durationNs: 30_000_000n });
    for (const tp of k.tracepoints.all()) {
      const hits = k.tracepoints.hits(tp);
      const b = best.get(tp.category);
      if (hits >= MIN_HITS && hits < (b?.hits ?? Infinity)) best.set(tp.category, { name: tp.name, workload, hits });
    }
  }
  return [...best].map(([category, b]) => ({ category, name: b.name, workload: b.workload }));
}

const CHOSEN = quietestPerCategory();
/** syscalls:sys_enter_<name> events are not raw tracepoints (Linux's raw_tp are sys_enter/sys_exit of raw_syscalls). */
const SPECS = CHOSEN.flatMap(({ category, name, workload }) => [
  { spec: `tracepoint:${category}:${name}`, target: `${category}:${name}`, workload },
  ...(category === "syscalls" ? [] : [{ spec: `raw_tp:${name}`, target: name, workload }]),
]);

describe("tracepoint ground truth", () => {
  it("covers every category of events of the model", () => {
    expect(CHOSEN.map((c) => c.category).sort()).toEqual([...new Set(standardTracepoints().map((tp) => tp.category))].sort());
  });

  it.each(SPECS)("$spec --check ($workload): ok, with as many calls as records delivered (> 0)", async ({ spec, target, workload }) => {
    const r = await runCli(spec, "--check", "--workload", workload, "-d", "30ms", "--format", "json");
    const line = r.err.split("\n").find((l) => l.includes(` ${target}: `));
    const m = /^ {2}(ok|MISMATCH) (\S+): (\d+) calls -> (\d+) records expected, (\d+) accounted \((\d+) delivered, 0 filtered, 0 lost\)$/.exec(line ?? "");
    expect(m, r.err).not.toBeNull();
    const [, verdict, name, calls, expected, accounted, delivered] = m!;
    expect([verdict, name, r.code]).toEqual(["ok", target, 0]);
    expect(Number(calls)).toBeGreaterThan(0);
    expect([expected, accounted, delivered]).toEqual([calls, calls, calls]);
    expect(r.out.trim().split("\n")).toHaveLength(Number(calls));
  });

  it("groundTruth(): a raw tracepoint and the function of the same name are counted apart", () => {
    const k = new SyntheticKernel({ seed: 2 });
    const tp = k.tracepoints.get("net", "netif_receive_skb")!;
    k.run("net", { count: 200 });
    const calls = k.groundTruth("netif_receive_skb", "function");
    expect(calls).toBeGreaterThan(10);
    // The model fires the event once per call of netif_receive_skb...
    expect([k.groundTruth("netif_receive_skb", "raw_tp"), k.groundTruth("net:netif_receive_skb", "tracepoint")]).toEqual([calls, calls]);
    // ...and an event fired alone counts for the event only.
    k.fire(tp, { skbaddr: 0n, len: 0n, name: "" });
    expect([k.groundTruth("netif_receive_skb", "function"), k.groundTruth("netif_receive_skb", "raw_tp"), k.groundTruth("net:netif_receive_skb", "tracepoint")]).toEqual([calls, calls + 1, calls + 1]);
    // Without a kind the name's form decides: cat:name an event, a function name its function, another name a raw event.
    expect([k.groundTruth("net:netif_receive_skb"), k.groundTruth("netif_receive_skb"), k.groundTruth("sched_switch")]).toEqual([calls + 1, calls, k.tracepoints.countsByName().get("sched:sched_switch")]);
    expect([k.groundTruth("no_such_fn"), k.groundTruth("net:no_such_event", "tracepoint"), k.groundTruth("sched_switch", "tracepoint")]).toEqual([0, 0, 0]);
  });
});
