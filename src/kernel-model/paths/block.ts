// Block I/O: submit_bio -> blk_mq_submit_bio -> blk_mq_start_request with
// block_rq_issue; completion through blk_mq_end_request with
// block_rq_complete; the block workload's step.
import type { Kernel } from "../kernel.js";
import { alloc, setField } from "./fields.js";
import { VDA_DEV, type World } from "./world.js";

const REQ_OP_READ = 0n;
const REQ_OP_WRITE = 1n;
const MQ_RQ_IN_FLIGHT = 1n;

export function installBlockPaths(k: Kernel, w: World): void {
  const set = (name: string, impl: (args: readonly bigint[]) => bigint) => {
    for (const fn of k.functions.named(name)) fn.impl = (c) => impl(c.args);
  };
  const call = (name: string, ...args: bigint[]) => k.callByName(name, args);
  const tp = (n: string) => k.tracepoints.get("block", n)!;
  set("submit_bio", ([bio]) => call("blk_mq_submit_bio", bio!));
  set("blk_mq_submit_bio", ([bio]) => {
    const rq = alloc(k, "request");
    const bytes = BigInt(k.rng.pick([4096, 8192, 16384, 65536]));
    const sector = BigInt(k.rng.int(0, 1 << 24)) * 8n;
    setField(k, rq, "request", "q", w.queue);
    setField(k, rq, "request", "part", w.part0);
    setField(k, rq, "request", "__data_len", bytes);
    setField(k, rq, "request", "__sector", sector);
    setField(k, rq, "request", "bio", bio!);
    setField(k, rq, "request", "biotail", bio!);
    setField(k, rq, "request", "tag", BigInt(w.inflight.length));
    setField(k, rq, "request", "start_time_ns", k.clock.now());
    setField(k, bio!, "bio", "bi_bdev", w.part0);
    setField(k, bio!, "bio", "bi_iter.bi_sector", sector);
    setField(k, bio!, "bio", "bi_iter.bi_size", bytes);
    call("blk_mq_start_request", rq);
    w.inflight.push({ rq, issuedNs: k.clock.now(), bytes: Number(bytes), sector });
    return 0n;
  });
  // cmd (__data_loc char[]): the SCSI command for passthrough requests, empty for filesystem I/O.
  set("blk_mq_start_request", ([rq]) => {
    const f = w.inflight.find((x) => x.rq === rq);
    const bytes = BigInt(f?.bytes ?? Number(k.memory.readField(rq!, "request", "__data_len")));
    const sector = k.memory.readField(rq!, "request", "__sector");
    const write = k.rng.chance(0.6);
    // cmd_flags' low byte is the operation (REQ_OP_READ 0, REQ_OP_WRITE 1); a started request is in flight.
    setField(k, rq!, "request", "cmd_flags", write ? REQ_OP_WRITE : REQ_OP_READ);
    setField(k, rq!, "request", "io_start_time_ns", k.clock.now());
    setField(k, rq!, "request", "state", MQ_RQ_IN_FLIGHT);
    k.fire(tp("block_rq_issue"), { dev: VDA_DEV, sector, nr_sector: bytes / 512n, bytes, rwbs: write ? "W" : "R", comm: k.current().comm, cmd: "" }, [rq!]);
    return 0n;
  });
  set("blk_mq_end_request", ([rq, error]) => {
    const sector = k.memory.readField(rq!, "request", "__sector");
    const bytes = k.memory.readField(rq!, "request", "__data_len");
    const write = (k.memory.readField(rq!, "request", "cmd_flags") & 0xffn) === REQ_OP_WRITE;
    k.fire(tp("block_rq_complete"), { dev: VDA_DEV, sector, nr_sector: bytes / 512n, error: error!, rwbs: write ? "W" : "R", cmd: "" }, [rq!, error!, bytes]);
    call("__blk_mq_end_request", rq!, error!);
    return 0n;
  });
  set("__blk_mq_end_request", ([rq]) => {
    const bio = k.memory.readField(rq!, "request", "bio");
    if (bio) call("bio_endio", bio);
    k.memory.free(rq!);
    return 0n;
  });
  set("bio_endio", ([bio]) => (k.memory.free(bio!), 0n));
}

/** Submits a bio, and completes requests whose simulated latency has passed. */
export function blockStep(k: Kernel, w: World): void {
  const bio = alloc(k, "bio");
  k.callByName("submit_bio", [bio]);
  const now = k.clock.now();
  for (const r of [...w.inflight]) {
    // Latency grows with size: ~50 µs + 20 µs per 4 KiB, deterministic jitter from the PRNG at issue time.
    if (now - r.issuedNs >= 50_000n + BigInt(r.bytes / 4096) * 20_000n) {
      w.inflight.splice(w.inflight.indexOf(r), 1);
      k.callByName("blk_mq_end_request", [r.rq, 0n]);
    }
  }
}
