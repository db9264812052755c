// The kprobe mechanism gives the same events as fentry (same seed, same
// values), globs skip functions the items do not fit and say why, and the
// stack-mode filter shows only events inside a completed chain.
import { describe, expect, it } from "vitest";
import { funcSignature } from "../btf/funcs.js";
import { bootSyntheticKernel, machineOf } from "../syscall/boot.js";
import type { TraceEvent } from "./event.js";
import { runTrace } from "./run.js";
import { TraceSession } from "./session.js";
import { StackFilter } from "./stack-filter.js";

async function trace(specs: string[], attach: "fentry" | "kprobe", steps = 300) {
  const m = machineOf(bootSyntheticKernel({ seed: 9 }));
  const s = TraceSession.open(m.bpf, { specs, attach });
  const events: TraceEvent[] = [];
  const r = await runTrace(m, s, { workload: "net", durationNs: BigInt(steps) * 100_000n, onEvents: (e) => (events.push(...e), true) });
  return { s, r, events, bpf: m.bpf };
}

const strip = (events: TraceEvent[]) => events.map((e) => `${e.timeNs} ${e.tid} ${e.func} ${e.kind} ${e.values.map((v) => `${v.name}=${v.raw}:${v.data ? Buffer.from(v.data).toString("hex") : v.error}`).join(",")}`);

describe("kprobe mechanism", () => {
  it("reads arguments from pt_regs and the return from ax: the same events as fentry", async () => {
    const specs = ["tcp_sendmsg(sk->__sk_common.skc_dport, size, return)", "ip_send_skb(skb->len > 500, skb->sk)"];
    const f = await trace(specs, "fentry");
    const k = await trace(specs, "kprobe");
    expect(f.events.length).toBeGreaterThan(40);
    expect(strip(k.events)).toEqual(strip(f.events));
    expect(f.s.programs.map((p) => p.name)).toEqual(["btfsnoop_entry", "btfsnoop_exit"]);
    expect(k.s.programs.map((p) => p.name)).toEqual(["btfsnoop_kprobe", "btfsnoop_kretp"]);
    expect(k.bpf.openFds()).toEqual([]);
  });

  it("refuses arguments past the sixth (not in a register)", () => {
    const booted = bootSyntheticKernel({ seed: 1 });
    const btf = booted.kernel.btf;
    // A function with at least 7 named parameters.
    const fn = booted.kernel.functions.all().find((f) => f.btfId !== undefined && f.nargs >= 7 && f.nargs <= 12)!;
    expect(fn).toBeDefined();
    const seventh = funcSignature(btf, fn.btfId!).params[6]!.name;
    const m = machineOf(booted);
    expect(() => TraceSession.open(m.bpf, { specs: [`kprobe:${fn.name}(${seventh})`] })).toThrow(
      `kprobe:${fn.name}(${seventh}): '${seventh}' is argument 7 of ${fn.name}; a kprobe sees only the 6 passed in registers`,
    );
    expect(() => TraceSession.open(m.bpf, { specs: [`${fn.name}(${seventh})`] }).close()).not.toThrow();
  });
});

describe("globs", () => {
  it("keep the functions a spec fits and report the others", () => {
    const m = machineOf(bootSyntheticKernel({ seed: 1 }));
    const s = TraceSession.open(m.bpf, { specs: ["tcp_v4_*(return < 0)"] });
    const p = s.plans[0]!;
    expect(p.targets.map((t) => t.name)).toEqual([
      "tcp_v4_conn_request",
      "tcp_v4_connect",
      "tcp_v4_do_rcv",
      "tcp_v4_init_sock",
      "tcp_v4_rcv",
      "tcp_v4_send_synack",
      "tcp_v4_syn_recv_sock",
    ]);
    expect(p.skipped).toEqual([
      { name: "tcp_v4_destroy_sock", reason: "'tcp_v4_destroy_sock' returns void" },
      { name: "tcp_v4_send_check", reason: "'tcp_v4_send_check' returns void" },
      { name: "tcp_v4_send_reset", reason: "'tcp_v4_send_reset' returns void" },
    ]);
    s.close();
  });
});

describe("stack filter", () => {
  const ev = (tid: number, func: string, kind: "entry" | "return", withValue = true): TraceEvent => ({
    timeNs: 0n,
    cpu: 0,
    pid: tid,
    tid,
    comm: "t",
    func,
    kind,
    values: withValue ? [{ name: "x", typeId: 1, raw: 0n, dataTypeId: 1, fullSize: 4 }] : [],
  });
  const names = (evs: TraceEvent[]) => evs.map((e) => `${e.tid}:${e.func}:${e.kind}`);

  it("shows a -> b -> c only once c is entered on top of b and a, then their returns", () => {
    const f = new StackFilter(["a", "b", "c"]);
    expect(names(f.process([ev(1, "a", "entry"), ev(1, "b", "entry")]))).toEqual([]);
    expect(names(f.process([ev(1, "c", "entry")]))).toEqual(["1:a:entry", "1:b:entry", "1:c:entry"]);
    expect(names(f.process([ev(1, "c", "return"), ev(1, "b", "return"), ev(1, "a", "return")]))).toEqual(["1:c:return", "1:b:return", "1:a:return"]);
    expect(f.liveTasks).toBe(0);
    expect(f.dropped).toBe(0);
  });

  it("drops frames that unwind before the chain completes, per task, and forgets unwound tasks", () => {
    const f = new StackFilter(["a", "b", "c"]);
    const out = f.process([
      ev(1, "a", "entry"),
      ev(2, "b", "entry"), // b without a below: off chain
      ev(1, "b", "entry"),
      ev(1, "b", "return"), // b returned without c
      ev(2, "b", "return"),
      ev(1, "b", "entry"),
      ev(1, "c", "entry", false), // c asked for no values: bookkeeping only
      ev(1, "c", "return"),
      ev(1, "b", "return"),
      ev(1, "a", "return"),
    ]);
    expect(names(out)).toEqual(["1:a:entry", "1:b:entry", "1:c:return", "1:b:return", "1:a:return"]);
    // dropped: task 2's b entry and return, task 1's first b entry and return
    expect(f.dropped).toBe(4);
    expect(f.liveTasks).toBe(0);
  });

  it("passes through functions outside the chain", () => {
    const f = new StackFilter(["a", "b"]);
    expect(names(f.process([ev(1, "z", "entry"), ev(1, "z", "return")]))).toEqual(["1:z:entry", "1:z:return"]);
  });
});

describe("tracepoint and raw_tp specs", () => {
  it("tracepoint:skb:kfree_skb(reason, location): one event per hit, fields as the record holds them", async () => {
    const booted = bootSyntheticKernel({ seed: 4 });
    const tp = booted.kernel.tracepoints.get("skb", "kfree_skb")!;
    const truth: string[] = [];
    const reasonAt = tp.fields.find((f) => f.name === "reason")!.offset;
    const locAt = tp.fields.find((f) => f.name === "location")!.offset;
    booted.kernel.tracepoints.attach(tp, (hit) => {
      const v = new DataView(hit.record.buffer, hit.record.byteOffset);
      truth.push(`${v.getUint32(reasonAt, true)} ${v.getBigUint64(locAt, true)}`);
    });
    const m = machineOf(booted);
    const s = TraceSession.open(m.bpf, { specs: ["tracepoint:skb:kfree_skb(reason, location)"] });
    const events: TraceEvent[] = [];
    await runTrace(m, s, { workload: "net", durationNs: 200_000_000n, onEvents: (e) => (events.push(...e), true) });
    expect(truth.length).toBeGreaterThan(3);
    expect(events.map((e) => `${e.values[0]!.raw} ${e.values[1]!.raw}`)).toEqual(truth);
    expect(events.every((e) => e.kind === "tracepoint" && e.func === "skb:kfree_skb")).toBe(true);
  });

  it("raw_tp:sched_switch(prev->pid, next->pid) follows the task pointers of TP_PROTO", async () => {
    const booted = bootSyntheticKernel({ seed: 4 });
    const k = booted.kernel;
    const tp = k.tracepoints.get("sched", "sched_switch")!;
    const truth: string[] = [];
    k.tracepoints.attach(tp, (hit) => {
      const pid = (a: bigint) => k.memory.objects.readField(a, "task_struct", "pid");
      truth.push(`${pid(hit.args[1]!)} ${pid(hit.args[2]!)}`);
    });
    const m = machineOf(booted);
    const s = TraceSession.open(m.bpf, { specs: ["raw_tp:sched_switch(prev->pid, next->pid)"] });
    const events: TraceEvent[] = [];
    await runTrace(m, s, { workload: "sched", durationNs: 20_000_000n, onEvents: (e) => (events.push(...e), true) });
    expect(truth.length).toBeGreaterThan(10);
    expect(events.map((e) => `${e.values[0]!.raw} ${e.values[1]!.raw}`)).toEqual(truth);
  });

  it("unknown tracepoints and fields get suggestions", () => {
    const m = machineOf(bootSyntheticKernel({ seed: 1 }));
    expect(() => TraceSession.open(m.bpf, { specs: ["tracepoint:skb:kfree_skbb"] })).toThrow("no tracepoint 'skb:kfree_skbb'; did you mean 'skb:kfree_skb'?");
    expect(() => TraceSession.open(m.bpf, { specs: ["tracepoint:skb:kfree_skb(reasn)"] })).toThrow("no argument 'reasn' in skb:kfree_skb (fields: skbaddr, location, rx_sk, protocol, reason); did you mean 'reason'?");
    expect(() => TraceSession.open(m.bpf, { specs: ["tracepoint:skb:kfree_skb(return)"] })).toThrow("'skb:kfree_skb' is a tracepoint: it has no return value");
    expect(m.bpf.openFds()).toEqual([]);
  });
});

describe("spec regressions", () => {
  it("the same event traced as tracepoint: and raw_tp: keeps both tables apart", async () => {
    const m = machineOf(bootSyntheticKernel({ seed: 2 }));
    const s = TraceSession.open(m.bpf, { specs: ["tracepoint:sched:sched_switch(prev_pid)", "raw_tp:sched_switch(prev->pid)"] });
    const events: TraceEvent[] = [];
    await runTrace(m, s, { workload: "sched", durationNs: 5_000_000n, onEvents: (e) => (events.push(...e), true) });
    const tp = events.filter((e) => e.func === "sched:sched_switch").map((e) => e.values[0]!.raw);
    const raw = events.filter((e) => e.func === "sched_switch").map((e) => e.values[0]!.raw);
    expect(tp.length).toBeGreaterThan(5);
    expect(raw).toEqual(tp);
  });

  it("an unsigned 32-bit value compares with -1 as C does (0xffffffff); a string longer than the array is refused", () => {
    const m = machineOf(bootSyntheticKernel({ seed: 2 }));
    const s = TraceSession.open(m.bpf, { specs: ["ip_send_skb(skb->len == -1)"] });
    const p = s.targets[0]!.predicate!;
    expect(p.kind === "cmp" && p.constant).toBe(0xffffffffn);
    s.close();
    expect(() => TraceSession.open(m.bpf, { specs: ['netif_receive_skb(skb->dev->name == "a-name-longer-than-16")'] })).toThrow(
      `string "a-name-longer-than-16" is 21 bytes, longer than 'skb->dev->name' (16)`,
    );
    expect(m.bpf.openFds()).toEqual([]);
  });
});

describe("predicates on unreadable values", () => {
  it("a member read through a NULL pointer satisfies no comparison (not even == 0)", async () => {
    const m = machineOf(bootSyntheticKernel({ seed: 2 }));
    const s = TraceSession.open(m.bpf, { specs: ["ip_rcv(orig_dev->ifindex == 0)"] });
    const events: TraceEvent[] = [];
    const r = await runTrace(m, s, { workload: "net", durationNs: 20_000_000n, onEvents: (e) => (events.push(...e), true) });
    expect(events).toEqual([]);
    expect(r.stats.perTarget.get("ip_rcv")!.filtered).toBe(r.calls.get("ip_rcv"));
    expect(r.calls.get("ip_rcv")).toBeGreaterThan(10);
  });
});
