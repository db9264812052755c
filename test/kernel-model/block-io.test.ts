// The block layer (paths/block.ts) on a fresh synthetic kernel: one
// request's events from submit_bio to completion and the fields tools read
// (rq->q, rq->part, __sector, __data_len, cmd_flags, start_time_ns,
// io_start_time_ns), back merges under a plug, a cache flush through the
// flush machinery, tag exhaustion putting the submitter to sleep, and the
// device's latency distribution for a seed (service times per operation and
// issue-to-completion latency with queueing), as biolatency would see it.
import { describe, expect, it } from "vitest";
import { SyntheticKernel } from "../../src/kernel-model/synthetic.js";
import { REQ_OP_READ, REQ_OP_WRITE, REQ_SYNC, blockStep, completeDueRequests, nextCompletionNs, plugOf, rwbsOf, serviceNs, waitForIo } from "../../src/kernel-model/paths/block.js";
import { VDA1_START_SECT } from "../../src/kernel-model/paths/vfs.js";
import type { TracepointHit } from "../../src/kernel-model/tracepoints.js";
import { runCli } from "../helpers/cli.js";

function fresh(seed = 5) {
  const k = new SyntheticKernel({ seed });
  k.cpu = 0;
  const w = k.world;
  const rf = (a: bigint, t: string, f: string) => k.memory.readField(a, t, f);
  /** Block events in order, each with its rwbs (when the record has one). */
  const events = () => {
    const seq: string[] = [];
    for (const tp of k.tracepoints.all()) {
      if (tp.category !== "block") continue;
      const f = tp.fields.find((x) => x.name === "rwbs");
      k.tracepoints.attach(tp, (hit: TracepointHit) => {
        const rwbs = f ? Buffer.from(hit.record.subarray(f.offset, f.offset + f.size)).toString("latin1").replace(/\0.*$/s, "") : "";
        seq.push(rwbs ? `${tp.name} ${rwbs}` : tp.name);
      });
    }
    return seq;
  };
  /** A bio of `pages` 4 KiB pages at `sector`, ending in blkdev_bio_end_io_async (as blockStep's). */
  const bio = (opf: bigint, sector: bigint, pages: number) => {
    const b = k.callByName("bio_alloc_bioset", [w.part0, BigInt(pages), opf, 0x400n, 0n]);
    k.memory.writeField(b, "bio", "bi_iter.bi_sector", sector);
    k.memory.writeField(b, "bio", "bi_iter.bi_size", BigInt(pages * 4096));
    k.memory.writeField(b, "bio", "bi_vcnt", BigInt(pages));
    k.memory.writeField(b, "bio", "bi_end_io", k.functions.named("blkdev_bio_end_io_async")[0]!.address);
    return b;
  };
  return { k, w, rf, events, bio };
}

describe("one request", () => {
  it("a bio's path from submit_bio to the device and back, with the request as tools read it", () => {
    const { k, w, rf, events } = fresh();
    const ev = events();
    let issued: Record<string, bigint> = {};
    k.tracepoints.attach(k.tracepoints.get("block", "block_rq_issue")!, (hit) => {
      const rq = hit.args[0]!;
      issued = { rq, q: rf(rq, "request", "q"), part: rf(rq, "request", "part"), sector: rf(rq, "request", "__sector"), len: rf(rq, "request", "__data_len"), flags: rf(rq, "request", "cmd_flags"), start: rf(rq, "request", "start_time_ns"), ioStart: rf(rq, "request", "io_start_time_ns"), state: rf(rq, "request", "state"), tag: rf(rq, "request", "tag") };
    });
    plugOf(k); // the CPU's plug (made on first use, kept)
    const live = k.memory.usage().liveObjects;
    blockStep(k, w);
    expect(ev).toEqual(["block_bio_queue R", "block_getrq R", "block_io_start R", "block_plug", "block_unplug", "block_rq_insert R", "block_rq_issue R"]);
    const rq = issued.rq!;
    expect([issued.q, issued.part, rf(issued.part!, "block_device", "bd_disk"), issued.state, issued.tag]).toEqual([w.queue, w.part0, w.disk, 1n, 0n]);
    expect(k.memory.readString(rf(issued.q!, "request_queue", "disk"), "gendisk", "disk_name")).toBe("vda");
    expect([issued.sector, issued.len, issued.flags]).toEqual([10475920n, 65536n, REQ_OP_READ]);
    expect(issued.sector! >= VDA1_START_SECT && issued.start! <= issued.ioStart!).toBe(true);
    expect(w.inflight.map((r) => r.rq)).toEqual([rq]);
    // Completion when the device is done (the virtio-blk interrupt's work).
    expect(completeDueRequests(k, w)).toBe(0);
    const due = nextCompletionNs(k)!;
    k.clock.advance(due - k.clock.now());
    ev.length = 0;
    expect(completeDueRequests(k, w)).toBe(1);
    expect(ev).toEqual(["block_rq_complete R", "block_bio_complete R", "block_io_done R"]);
    // The request, its bio and everything they held are freed.
    expect([w.inflight.length, k.memory.usage().liveObjects]).toEqual([0, live]);
    expect(() => rf(rq, "request", "tag")).toThrow(/freed/);
  });

  it("under a plug a contiguous bio merges into the request before it (block_bio_backmerge); a gap makes a new request", () => {
    const { k, w, rf, events, bio } = fresh();
    const ev = events();
    const plug = plugOf(k);
    k.callByName("blk_start_plug", [plug]);
    const s = VDA1_START_SECT + 800n;
    k.callByName("submit_bio", [bio(REQ_OP_WRITE | REQ_SYNC, s, 2)]);
    k.callByName("submit_bio", [bio(REQ_OP_WRITE | REQ_SYNC, s + 16n, 3)]);
    k.callByName("submit_bio", [bio(REQ_OP_WRITE | REQ_SYNC, s + 1000n, 1)]);
    expect(rf(plug, "blk_plug", "rq_count")).toBe(2n);
    k.callByName("blk_finish_plug", [plug]);
    expect(ev).toEqual([
      "block_bio_queue WS",
      "block_getrq WS",
      "block_io_start WS",
      "block_plug",
      "block_bio_queue WS",
      "block_bio_backmerge WS",
      "block_bio_queue WS",
      "block_getrq WS",
      "block_io_start WS",
      "block_unplug",
      "block_rq_insert WS",
      "block_rq_insert WS",
      "block_rq_issue WS",
      "block_rq_issue WS",
    ]);
    expect(w.inflight.map((r) => [r.sector - VDA1_START_SECT, r.bytes])).toEqual([
      [800n, 20480],
      [1800n, 4096],
    ]);
    ev.length = 0;
    waitForIo(k, w, () => w.inflight.length === 0);
    // Both bios of the merged request complete with it.
    expect(ev.filter((e) => e.startsWith("block_bio_complete")).length).toBe(3);
    expect(ev.filter((e) => e.startsWith("block_rq_complete")).length).toBe(2);
  });

  it("a cache flush: an empty REQ_PREFLUSH bio waits on the queue's flush request (FF), then completes (FW)", () => {
    const { k, w, events } = fresh();
    const ev = events();
    const t0 = k.clock.now();
    expect(k.callByName("blkdev_issue_flush", [w.part0])).toBe(0n);
    // The flush request goes straight to the hardware queue's dispatch list: no block_rq_insert (as in Linux).
    expect(ev).toEqual(["block_bio_queue FWS", "block_getrq FWS", "block_rq_issue FF", "block_rq_complete FF", "block_rq_complete FWS", "block_bio_complete FWS"]);
    // submit_bio_wait slept until the flush was done.
    expect(k.clock.now() - t0).toBeGreaterThan(100_000n);
    expect(w.inflight).toEqual([]);
  });

  it("with every tag in use the submitter sleeps until a completion frees one", () => {
    const { k, w, bio } = fresh();
    for (let i = 0; i < 300; i++) k.callByName("submit_bio", [bio(REQ_OP_READ, VDA1_START_SECT + BigInt(i) * 4096n, 1)]);
    // 256 tags: the 257th submission waited for completions.
    expect(w.inflight.length).toBeLessThanOrEqual(256);
    expect(k.groundTruth("block:block_rq_complete")).toBe(300 - w.inflight.length);
    waitForIo(k, w, () => w.inflight.length === 0);
    expect(k.groundTruth("block:block_rq_complete")).toBe(300);
  });

  it("rwbs as blk_fill_rwbs spells it", () => {
    expect([rwbsOf(0n), rwbsOf(1n), rwbsOf(1n | (1n << 11n)), rwbsOf(2n | (1n << 18n)), rwbsOf(1n | (1n << 18n) | (1n << 17n) | (1n << 11n) | (1n << 12n)), rwbsOf(1n << 19n), rwbsOf(3n)]).toEqual(["R", "W", "WS", "FF", "FWFSM", "RA", "D"]);
  });
});

describe("latency distribution (seed 21)", () => {
  const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

  it("the device's service times: a fast mode per operation and a slow tail", () => {
    const k = new SyntheticKernel({ seed: 21 });
    const reads = Array.from({ length: 10000 }, () => serviceNs(k, REQ_OP_READ, 4096));
    const writes = Array.from({ length: 10000 }, () => serviceNs(k, REQ_OP_WRITE, 4096));
    const us = (xs: number[]) => [0.5, 0.9, 0.99].map((p) => Math.round(q(xs, p) / 1000));
    expect(us(reads)).toEqual([93, 133, 2762]);
    expect(us(writes)).toEqual([145, 227, 4522]);
  });

  it("10,000 requests of the block workload (one every 100 µs): issue-to-completion quantiles with queueing", () => {
    const k = new SyntheticKernel({ seed: 21 });
    const w = k.world;
    const issued = new Map<bigint, bigint>();
    const lat: number[] = [];
    k.tracepoints.attach(k.tracepoints.get("block", "block_rq_issue")!, (h) => void issued.set(h.args[0]!, k.clock.now()));
    k.tracepoints.attach(k.tracepoints.get("block", "block_rq_complete")!, (h) => void lat.push(Number(k.clock.now() - issued.get(h.args[0]!)!) / 1000));
    for (let i = 0; i < 10000; i++) {
      k.cpu = 0;
      blockStep(k, w);
      k.clock.advance(100_000n);
    }
    waitForIo(k, w, () => w.inflight.length === 0);
    expect(lat.length).toBe(10000);
    expect([0.5, 0.9, 0.99, 0.999].map((p) => Math.round(q(lat, p)))).toEqual([219, 1281, 5468, 9391]);
  });
});

describe("through the tracer", () => {
  it("btfsnoop trace blk_mq_start_request(rq->__data_len, rq->q->disk->disk_name, rq->part->bd_dev)", async () => {
    const r = await runCli("blk_mq_start_request(rq->__data_len, rq->q->disk->disk_name, rq->part->bd_dev)", "--workload", "block", "-c", "5", "--seed", "2", "--json");
    expect(r.code).toBe(0);
    const records = r.out
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { values: { value: number | string }[] }).values.map((v) => v.value));
    expect(records).toHaveLength(5);
    for (const [len, disk, dev] of records) {
      expect([4096, 8192, 16384, 65536]).toContain(len);
      expect([disk, dev]).toEqual(["vda", 253 << 20]);
    }
  });
});
