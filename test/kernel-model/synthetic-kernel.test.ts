// The synthetic kernel end to end: seeded workloads are deterministic (two
// runs give byte-identical call logs), ground truth agrees with the events,
// hooks see real objects in memory through the helpers' reads, and errors
// happen at plausible rates.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { BtfKind } from "../../src/btf/index.js";
import { findMember } from "../../src/btf/members.js";
import { SyntheticKernel, WORKLOADS } from "../../src/kernel-model/synthetic.js";

function callLog(seed: number, workload: (typeof WORKLOADS)[number], count: number): { digest: string; lines: number } {
  const k = new SyntheticKernel({ seed });
  const h = createHash("sha256");
  let lines = 0;
  k.functions.onCall = (c, ret) => {
    h.update(`${c.seq} cpu${c.cpu} pid${c.pid} ${c.fn.name}(${c.args.map((a) => a.toString(16)).join(",")}) = ${ret.toString(16)} @${k.clock.now()}\n`);
    lines++;
  };
  k.run(workload, { count });
  return { digest: h.digest("hex"), lines };
}

describe("synthetic kernel", () => {
  it.each(WORKLOADS)("%s: same seed, byte-identical call log; another seed, another log", (w) => {
    const a = callLog(7, w, 300);
    const b = callLog(7, w, 300);
    expect(a.lines).toBeGreaterThan(300);
    expect(b).toEqual(a);
    expect(callLog(8, w, 300).digest).not.toBe(a.digest);
  });

  it("a fired netif_receive_skb record carries the skb's dev->name", () => {
    const k = new SyntheticKernel({ seed: 5 });
    const tp = k.tracepoints.get("net", "netif_receive_skb")!;
    const hits: { record: Uint8Array; want: string }[] = [];
    // The name the kernel copies (__assign_str(name, skb->dev->name)), read while the skb lives.
    k.tracepoints.attach(tp, (hit) => hits.push({ record: hit.record, want: k.memory.readString(k.memory.readField(hit.args[0]!, "sk_buff", "dev"), "net_device", "name") }));
    k.run("net", { count: 200 });
    expect(hits.length).toBeGreaterThan(5);
    expect(tp.size).toBe(24);
    expect(new Set(hits.map((h) => h.want))).toEqual(new Set(["eth0", "lo"]));
    for (const { record, want } of hits) {
      const loc = new DataView(record.buffer).getUint32(20, true);
      expect([loc & 0xffff, loc >>> 16, record.length]).toEqual([24, want.length + 1, 24 + want.length + 1]);
      expect(Buffer.from(record.subarray(24)).toString("latin1")).toBe(`${want}\0`);
    }
  });

  it("ground truth agrees with the tracepoints it fires", () => {
    const k = new SyntheticKernel({ seed: 3 });
    k.run("mixed", { count: 3000 });
    const calls = k.functions.callsByName();
    const events = k.tracepoints.countsByName();
    expect(events.get("skb:kfree_skb")).toBe(calls.get("kfree_skb_reason"));
    expect(events.get("net:net_dev_xmit")).toBe(calls.get("dev_hard_start_xmit"));
    expect(events.get("net:netif_receive_skb")).toBe(calls.get("netif_receive_skb"));
    expect(events.get("block:block_rq_issue")).toBe(calls.get("blk_mq_start_request"));
    expect(events.get("block:block_rq_complete")).toBe(calls.get("blk_mq_end_request"));
    expect(events.get("sched:sched_migrate_task")).toBe(calls.get("set_task_cpu"));
    expect(events.get("syscalls:sys_enter_openat")).toBe(calls.get("do_sys_openat2"));
    // BPF objects are created through the bpf syscall and all released again (paths/bpf.ts).
    const ok = (name: string) => k.functions.named(name).reduce((n, f) => n + k.functions.countsOf(f).calls - k.functions.countsOf(f).errors, 0);
    expect(calls.get("__sys_bpf")).toBe(calls.get("__x64_sys_bpf"));
    expect(ok("map_create")).toBe(calls.get("bpf_map_release"));
    expect(ok("bpf_prog_load")).toBe(calls.get("bpf_prog_release"));
    expect(calls.get("map_create")).toBeGreaterThan(20);
    // Every skb (allocated or cloned) is freed exactly once (consumed, dropped, or freed by __kfree_skb), or still waits on a socket's queues.
    const queued = [...k.world.bySk.values()].reduce((n, s) => n + s.rxq.length + s.rtx.filter((r) => r.skb !== 0n).length, 0) + k.world.backlog.length;
    const freed = (calls.get("consume_skb") ?? 0) + (calls.get("kfree_skb_reason") ?? 0) + (calls.get("__kfree_skb") ?? 0);
    expect(freed + queued).toBe((calls.get("__alloc_skb") ?? 0) + (calls.get("skb_clone") ?? 0));
  });

  it("lets a hook read the objects a function receives, as probe_read does", () => {
    const k = new SyntheticKernel({ seed: 5 });
    const env = k.env();
    const skbType = k.btf.findByNameKind("sk_buff", BtfKind.STRUCT)!;
    const lenOff = Number(findMember(k.btf, skbType, "len")!.bitsOffset) / 8;
    const devOff = Number(findMember(k.btf, skbType, "dev")!.bitsOffset) / 8;
    const seen: { len: number; dev: string }[] = [];
    let lastSkb = 0n;
    const xmit = k.functions.named("dev_hard_start_xmit")[0]!;
    k.functions.attach(xmit, {
      entry: (c) => {
        const b = new Uint8Array(8);
        expect(env.readKernel(b, c.args[0]! + BigInt(lenOff))).toBe(0);
        const len = new DataView(b.buffer).getUint32(0, true);
        expect(env.readKernel(b, c.args[0]! + BigInt(devOff))).toBe(0);
        const dev = new DataView(b.buffer).getBigUint64(0, true);
        const name = new Uint8Array(16);
        expect(env.readKernel(name, dev)).toBe(0); // net_device.name is the first member
        seen.push({ len, dev: Buffer.from(name).toString("latin1").replace(/\0.*$/s, "") });
        lastSkb = c.args[0]!;
      },
    });
    k.run("net", { count: 400 });
    expect(seen.length).toBe(k.functions.countsOf(xmit).calls);
    expect(seen.length).toBeGreaterThan(100);
    for (const s of seen) {
      expect(["lo", "eth0"]).toContain(s.dev);
      // frames: a TCP segment's headers alone (54: ACK, SYN, FIN, RST) up to a full segment over IPv6 (1448 + 74)
      expect(s.len >= 54 && s.len <= 1448 + 74).toBe(true);
    }
    // Every skb is freed by the end: reading the last one transmitted now faults and zero-fills.
    const after = new Uint8Array(8).fill(0xff);
    expect(env.readKernel(after, lastSkb)).toBe(-14);
    expect([...after]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("fails some calls with errnos at plausible rates and keeps static duplicates apart", () => {
    const k = new SyntheticKernel({ seed: 11 });
    k.run("mixed", { count: 4000 });
    const tcp = k.functions.countsOf(k.functions.named("tcp_sendmsg")[0]!);
    expect(tcp.errors / tcp.calls).toBeGreaterThan(0.005);
    expect(tcp.errors / tcp.calls).toBeLessThan(0.1);
    // do_open is static in three units (net, fs, block): three kallsyms entries, one BTF FUNC.
    const doOpen = k.functions.named("do_open");
    expect(doOpen.map((f) => f.isStatic)).toEqual([true, true, true]);
    expect(new Set(doOpen.map((f) => f.btfId)).size).toBe(1);
    expect(new Set(doOpen.map((f) => f.address)).size).toBe(3);
    expect(k.kallsyms().filter((s) => s.name === "free_item").length).toBe(2);
  });

  it("maps memory: vm_area_structs in the task's mm, merges and unmaps", () => {
    const k = new SyntheticKernel({ seed: 4 });
    const mmap = k.functions.named("do_mmap")[0]!;
    const starts: bigint[] = [];
    k.functions.attach(mmap, { exit: (_c, ret) => void (BigInt.asIntN(64, ret) > 0n && starts.push(ret)) });
    k.run("fs", { count: 1500 });
    const calls = k.functions.callsByName();
    expect(calls.get("do_mmap")).toBeGreaterThan(100);
    expect(calls.get("vma_merge")).toBeGreaterThan(0);
    expect(calls.get("do_munmap")).toBeGreaterThan(0);
    expect(starts.every((a) => a >= 0x7f0000000000n && a % 4096n === 0n)).toBe(true);
  });

  it("stops on simulated duration: after the first step that ends past it", () => {
    const run = (options: { durationNs?: bigint; count?: number }) => {
      const k = new SyntheticKernel({ seed: 1 });
      const start = k.clock.now();
      const steps = k.run("sched", { ...options, rate: 100_000 });
      return { steps, elapsed: k.clock.now() - start };
    };
    const byTime = run({ durationNs: 1_000_000n });
    // The same steps by count end at the same instant; one step fewer ends before 1 ms (same seed, same history).
    expect(byTime.steps).toBeGreaterThan(1);
    expect(run({ count: byTime.steps })).toEqual(byTime);
    expect(byTime.elapsed).toBeGreaterThanOrEqual(1_000_000n);
    expect(run({ count: byTime.steps - 1 }).elapsed).toBeLessThan(1_000_000n);
  });
});
