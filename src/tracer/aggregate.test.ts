// In-kernel aggregation against the model's ground truth: per-function
// counts, log2 histograms of an argument, counts by a tracepoint field,
// latencies between two raw tracepoints keyed by the request, and counts
// keyed by comm/pid/tid/cpu, the kernel stack and the return value.
import { describe, expect, it } from "vitest";
import { bootSyntheticKernel, machineOf } from "../syscall/boot.js";
import { TraceSession, type SessionOptions } from "./session.js";

/** bpftrace's log2 bucket as the program computes it (0 -> 0, 1 -> 1, [2^(k-1), 2^k) -> k). */
function log2Bucket(v: bigint): bigint {
  let k = 0n;
  while (v > 0n) {
    v >>= 1n;
    k++;
  }
  return k;
}

function run(specs: string[], aggregate: NonNullable<SessionOptions["aggregate"]>, workload: string, steps: number, seed = 3) {
  const booted = bootSyntheticKernel({ seed });
  const m = machineOf(booted);
  return { booted, m, open: () => TraceSession.open(m.bpf, { specs, aggregate }), go: () => m.run(workload, steps) };
}

describe("aggregation in kernel maps", () => {
  it("count: one cell per function, equal to its calls (each call counted once, whatever the spec captures)", () => {
    const r = run(["tcp_sendmsg()", "tcp_v4_rcv(skb)", "ip_send_skb"], { kind: "count" }, "net", 600);
    const s = r.open();
    r.go();
    const cells = s.aggregates();
    expect(cells.map((c) => [c.target, c.count])).toEqual(["tcp_sendmsg", "tcp_v4_rcv", "ip_send_skb"].map((n) => [n, r.m.callCount(n)]));
    expect(cells.every((c) => c.count > 10)).toBe(true);
    s.close();
  });

  it("hist: log2 buckets of vfs_write's count equal the model's arguments", () => {
    const r = run(["vfs_write(count)"], { kind: "log2" }, "fs", 400);
    const k = r.booted.kernel;
    const truth = new Map<bigint, number>();
    k.functions.attach(k.functions.named("vfs_write")[0]!, { entry: (c) => void truth.set(log2Bucket(c.args[2]!), (truth.get(log2Bucket(c.args[2]!)) ?? 0) + 1) });
    const s = r.open();
    r.go();
    const got = new Map(s.aggregates().map((c) => [c.a, c.count]));
    expect(got).toEqual(truth);
    expect(truth.size).toBeGreaterThan(4);
    s.close();
  });

  it("count --by: kfree_skb drops per reason, as the tracepoint records them", () => {
    const r = run(["tracepoint:skb:kfree_skb(reason)"], { kind: "count", byValue: true }, "net", 800);
    const k = r.booted.kernel;
    const tp = k.tracepoints.get("skb", "kfree_skb")!;
    const at = tp.fields.find((f) => f.name === "reason")!.offset;
    const truth = new Map<bigint, number>();
    k.tracepoints.attach(tp, (hit) => {
      const reason = BigInt(new DataView(hit.record.buffer, hit.record.byteOffset).getUint32(at, true));
      truth.set(reason, (truth.get(reason) ?? 0) + 1);
    });
    const s = r.open();
    r.go();
    expect(new Map(s.aggregates().map((c) => [c.a, c.count]))).toEqual(truth);
    expect(truth.size).toBeGreaterThan(1);
    s.close();
  });

  it("latency: issue -> complete per request, log2 of the simulated delay, heatmap slots by end time", () => {
    const slotNs = 50_000_000n;
    const r = run(["raw_tp:block_rq_issue(rq)", "raw_tp:block_rq_complete(rq)"], { kind: "latency", slotNs }, "block", 300);
    const k = r.booted.kernel;
    const started = new Map<bigint, bigint>();
    const truth = new Map<string, number>();
    k.tracepoints.attach(k.tracepoints.get("block", "block_rq_issue")!, (hit) => void started.set(hit.args[0]!, k.clock.now()));
    k.tracepoints.attach(k.tracepoints.get("block", "block_rq_complete")!, (hit) => {
      const t0 = started.get(hit.args[0]!);
      if (t0 === undefined) return;
      started.delete(hit.args[0]!);
      const now = k.clock.now();
      const key = `${log2Bucket(now - t0)}:${now / slotNs}`;
      truth.set(key, (truth.get(key) ?? 0) + 1);
    });
    const s = r.open();
    r.go();
    const got = new Map(s.aggregates().map((c) => [`${c.a}:${c.b}`, c.count]));
    expect(got).toEqual(truth);
    expect([...truth.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(50);
    s.close();
  });
});

describe("session maps", () => {
  it("the stash and the latency starts are LRU hashes, so calls that never end age out (bpftool map show)", () => {
    const r = run(["raw_tp:block_rq_issue(rq)", "raw_tp:block_rq_complete(rq)"], { kind: "latency" }, "block", 0);
    const s = r.open();
    const shown = new Map<string, number>();
    for (let id = r.m.bpf.mapGetNextId(0); id > 0; id = r.m.bpf.mapGetNextId(id)) {
      const fd = r.m.bpf.mapGetFdById(id);
      const info = r.m.bpf.mapGetInfoByFd(fd);
      if (typeof info !== "number") shown.set(info.name, info.type);
      r.m.bpf.close(fd);
    }
    s.close();
    expect(shown.get("btfsnoop_stash")).toBe(9);
    expect(shown.get("btfsnoop_starts")).toBe(9);
    expect(shown.get("btfsnoop_agg")).toBe(1);
  });
});

describe("aggregation regressions", () => {
  it("a stash spec (entry value and return in the predicate) still counts every matching call once", () => {
    const r = run(["vfs_write(count, return > 0)"], { kind: "log2" }, "fs", 300);
    const k = r.booted.kernel;
    const truth = new Map<bigint, number>();
    k.functions.attach(k.functions.named("vfs_write")[0]!, {
      exit: (c, ret) => {
        if (BigInt.asIntN(64, ret) > 0n) truth.set(log2Bucket(c.args[2]!), (truth.get(log2Bucket(c.args[2]!)) ?? 0) + 1);
      },
    });
    const s = r.open();
    r.go();
    expect(new Map(s.aggregates().map((c) => [c.a, c.count]))).toEqual(truth);
    expect(truth.size).toBeGreaterThan(3);
    s.close();
  });
});

describe("count --by keys beyond the first value", () => {
  it("comm, pid (tgid), tid and cpu: the task and CPU each call ran on", () => {
    const r = run(["tcp_sendmsg()"], { kind: "count", keys: { comm: true, tgid: true, tid: true, cpu: true } }, "net", 400);
    const k = r.booted.kernel;
    const truth = new Map<string, number>();
    k.functions.attach(k.functions.named("tcp_sendmsg")[0]!, {
      entry: () => {
        const t = k.current();
        const key = `${t.comm}/${t.tgid}/${t.pid}/${k.cpu}`;
        truth.set(key, (truth.get(key) ?? 0) + 1);
      },
    });
    const s = r.open();
    r.go();
    const cells = s.aggregates();
    expect(new Map(cells.map((c) => [`${c.comm}/${c.tgid}/${c.tid}/${c.cpu}`, c.count]))).toEqual(truth);
    expect(truth.size).toBeGreaterThan(2);
    expect(cells.every((c) => c.a === 0n && c.stackId === 0)).toBe(true);
    s.close();
  });

  it("kstack: the stack id of each call's kernel stack, read back from the stack map, names the function and its callers", () => {
    const r = run(["ip_local_out()"], { kind: "count", keys: { kstack: true } }, "net", 400);
    const k = r.booted.kernel;
    const truth = new Map<string, number>();
    k.functions.attach(k.functions.named("ip_local_out")[0]!, {
      // Before the body runs, functions.stack holds the callers (innermost last).
      entry: () => {
        const names = ["ip_local_out", ...k.functions.stack.map((f) => f.name).reverse()].join(" < ");
        truth.set(names, (truth.get(names) ?? 0) + 1);
      },
    });
    const s = r.open();
    r.go();
    const got = new Map<string, number>();
    for (const c of s.aggregates()) {
      expect(c.stackId).toBeGreaterThanOrEqual(0);
      const names = s.kernelStack(c.stackId).map((ip) => {
        const f = k.functions.all().filter((x) => x.address <= ip).pop()!;
        return f.name;
      });
      got.set(names.join(" < "), (got.get(names.join(" < ")) ?? 0) + c.count);
    }
    expect(got).toEqual(truth);
    expect(truth.size).toBeGreaterThan(1);
    s.close();
  });

  it("retval alone, and an entry value with retval (stashed for the return): each call once, keyed by both", () => {
    const r = run(["vfs_read(count, return)"], { kind: "count", byValue: true, keys: { value2: true } }, "fs", 300);
    const k = r.booted.kernel;
    const truth = new Map<string, number>();
    k.functions.attach(k.functions.named("vfs_read")[0]!, {
      exit: (c, ret) => {
        const key = `${c.args[2]}:${BigInt.asIntN(64, ret)}`;
        truth.set(key, (truth.get(key) ?? 0) + 1);
      },
    });
    const s = r.open();
    r.go();
    expect(new Map(s.aggregates().map((c) => [`${c.a}:${BigInt.asIntN(64, c.a2)}`, c.count]))).toEqual(truth);
    // Short reads and reads at EOF (0) return less than the count asked: the two keys differ.
    expect([...truth.keys()].some((key) => key.split(":")[0] !== key.split(":")[1])).toBe(true);
    s.close();
  });
});

describe("count --by location: the call site (return address) of each call", () => {
  it("kfree_skb_reason's callers, one site each, the same address the skb:kfree_skb tracepoint records as location", () => {
    const r = run(["kfree_skb_reason()"], { kind: "count", keys: { location: true } }, "net", 800);
    const k = r.booted.kernel;
    const truth = new Map<string, number>();
    const tp = k.tracepoints.get("skb", "kfree_skb")!;
    const at = tp.fields.find((f) => f.name === "location")!.offset;
    const recorded = new Map<bigint, number>();
    k.functions.attach(k.functions.named("kfree_skb_reason")[0]!, {
      // Before the body runs, the innermost function on functions.stack is the caller.
      entry: () => {
        const caller = k.functions.stack[k.functions.stack.length - 1]!.name;
        truth.set(caller, (truth.get(caller) ?? 0) + 1);
      },
    });
    k.tracepoints.attach(tp, (hit) => {
      const loc = new DataView(hit.record.buffer, hit.record.byteOffset).getBigUint64(at, true);
      recorded.set(loc, (recorded.get(loc) ?? 0) + 1);
    });
    const s = r.open();
    r.go();
    const sites = new Map<bigint, number>();
    const callers = new Map<string, number>();
    for (const c of s.aggregates()) {
      const ip = s.callSite(c.locationId)!;
      sites.set(ip, c.count);
      // The site lies inside its caller (within the 0x40 bytes before the next function).
      const f = k.functions.all().filter((x) => x.address <= ip).pop()!;
      expect(ip - f.address).toBeLessThan(0x40n);
      callers.set(f.name, (callers.get(f.name) ?? 0) + c.count);
    }
    expect(callers).toEqual(truth);
    expect(sites).toEqual(recorded);
    expect(truth.size).toBeGreaterThan(1);
    s.close();
  });
});
