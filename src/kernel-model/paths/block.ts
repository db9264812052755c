// Block I/O on vda (virtio-blk, blk-mq with one hardware queue per CPU), as
// Linux 6.12 does it: bio_alloc_bioset/bio_add_folio, submit_bio ->
// submit_bio_noacct -> submit_bio_noacct_nocheck (block_bio_queue) ->
// __submit_bio -> blk_mq_submit_bio: a plug (blk_start_plug/blk_finish_plug,
// block_plug/block_unplug) where back merges happen (block_bio_backmerge), a
// new request (block_getrq; blk_mq_bio_to_request -> blk_account_io_start,
// block_io_start), inserted (block_rq_insert) and dispatched
// (blk_mq_run_hw_queue -> blk_mq_dispatch_rq_list -> virtio_queue_rq ->
// blk_mq_start_request, block_rq_issue); flushes (REQ_PREFLUSH) through the
// flush machinery (blk_insert_flush, a REQ_OP_FLUSH request). The device
// serves requests with a seeded latency distribution (a fast mode and a
// slow tail per operation, queueing on its channels); completeDueRequests,
// run from the virtio-blk interrupt, completes what is due:
// blk_mq_complete_request -> virtblk_request_done -> blk_mq_end_request ->
// blk_update_request (block_rq_complete) -> bio_endio (block_bio_complete)
// -> the bio's bi_end_io, blk_account_io_done (block_io_done), the request
// freed. waitForIo is how a task sleeps until its I/O is done (fsync, reads).
// The block workload's step.
import { BtfKind } from "../../btf/kinds.js";
import { sizeOf } from "../../btf/layout.js";
import type { Kernel } from "../kernel.js";
import type { TracepointDef } from "../tracepoints.js";
import { alloc } from "./fields.js";
import { VDA1_START_SECT } from "./vfs.js";
import { VDA_DEV, type World } from "./world.js";
import { pathFunctions } from "./bind.js";

export const REQ_OP_READ = 0n;
export const REQ_OP_WRITE = 1n;
export const REQ_OP_FLUSH = 2n;
const REQ_OP_MASK = 0xffn;
export const REQ_SYNC = 1n << 11n;
export const REQ_META = 1n << 12n;
export const REQ_IDLE = 1n << 15n;
export const REQ_FUA = 1n << 17n;
export const REQ_PREFLUSH = 1n << 18n;
export const REQ_RAHEAD = 1n << 19n;
export const REQ_BACKGROUND = 1n << 20n;
const MQ_RQ_IDLE = 0n;
const MQ_RQ_IN_FLIGHT = 1n;
const MQ_RQ_COMPLETE = 2n;
/** rq_flags: RQF_STARTED, RQF_FLUSH_SEQ, RQF_IO_STAT, RQF_USE_SCHED (mq-deadline). */
const RQF_STARTED = 1n << 1n;
const RQF_FLUSH_SEQ = 1n << 4n;
const RQF_IO_STAT = 1n << 13n;
const RQF_USE_SCHED = 1n << 21n;
/** bi_flags: BIO_TRACE_COMPLETION (set at queueing, so bio_endio traces block_bio_complete). */
const BIO_TRACE_COMPLETION = 1n << 7n;
/** The number of requests the device serves at once (its queue's channels). */
const CHANNELS = 4;
/** The queue's tags (request_queue.queue_depth): a submitter finding them all in use sleeps until one is freed. */
const QUEUE_DEPTH = 256;
/** Max requests in a plug before it is flushed (BLK_MAX_REQUEST_COUNT). */
const BLK_MAX_REQUEST_COUNT = 32;
/** GFP_NOIO. */
const GFP_NOIO = 0x400n;

/** The dev_t of the tracepoints: the whole disk (vda). */
const DEV = VDA_DEV;

/** blk_fill_rwbs: the operation and flags as blktrace's letters. */
export function rwbsOf(opf: bigint): string {
  let s = "";
  if (opf & REQ_PREFLUSH) s += "F";
  const op = opf & REQ_OP_MASK;
  s += op === REQ_OP_WRITE ? "W" : op === REQ_OP_READ ? "R" : op === REQ_OP_FLUSH ? "F" : op === 3n ? "D" : "N";
  if (opf & REQ_FUA) s += "F";
  if (opf & REQ_RAHEAD) s += "A";
  if (opf & REQ_SYNC) s += "S";
  if (opf & REQ_META) s += "M";
  return s;
}

/**
 * The device's service time for one request (ns): a log-normal fast mode
 * (reads ~90 µs, writes ~140 µs median) with a slow tail (a few percent of
 * requests, ~2-3 ms median: the host's own cache misses and flushes), plus
 * the transfer at ~1.5 GB/s; a cache flush ~400 µs. Draws three numbers
 * from the kernel's seeded PRNG.
 */
export function serviceNs(k: Kernel, op: bigint, bytes: number): number {
  const u = k.rng.float();
  const z = gaussian(k);
  let median: number;
  let sigma: number;
  if (op === REQ_OP_FLUSH) [median, sigma] = u < 0.9 ? [400_000, 0.35] : [3_000_000, 0.6];
  else if (op === REQ_OP_WRITE) [median, sigma] = u < 0.95 ? [140_000, 0.3] : [2_500_000, 0.7];
  else [median, sigma] = u < 0.97 ? [90_000, 0.25] : [2_000_000, 0.8];
  return Math.round(median * Math.exp(sigma * z) + bytes / 1.5);
}

/** A standard normal deviate (Box-Muller over two draws of the seeded PRNG). */
function gaussian(k: Kernel): number {
  const u1 = 1 - k.rng.float();
  const u2 = k.rng.float();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** The values of an event nothing is attached to (fire only counts it). */
const NONE: Record<string, bigint> = {};

interface Pending {
  rq: bigint;
  due: bigint;
}

/** The block layer's state for one kernel. */
interface BlockState {
  /** Started requests by completion time (earliest first). */
  pending: Pending[];
  /** When each of the device's channels is free again. */
  channels: bigint[];
  /** Tags in use (blk_mq_get_tag: the lowest free one). */
  tags: Set<number>;
  /** Each CPU's hardware queue. */
  hctx: bigint[];
  /** Scratch "stack" objects the calls pass pointers to (as Linux passes its stack frames'). */
  allocData: bigint;
  queueData: bigint;
  dispatchList: bigint;
  /** The queue's flush request (fq->flush_rq), busy while a flush is in flight, and the requests waiting on it. */
  flushRq: bigint;
  flushBusy: boolean;
  flushWaiting: bigint[];
  flushRunning: bigint[];
  /** The current task's plug and the requests in it (the list blk_add_rq_to_plug builds). */
  plug: { addr: bigint; rqs: bigint[] } | undefined;
  /** Bios submit_bio_wait is waiting for. */
  waitDone: Set<bigint>;
  w: World;
}

const states = new WeakMap<Kernel, BlockState>();

export function installBlockPaths(k: Kernel, w: World): void {
  const { set, call } = pathFunctions(k);
  const tpByName = new Map<string, TracepointDef>();
  const tp = (n: string) => {
    let t = tpByName.get(n);
    if (t === undefined) tpByName.set(n, (t = k.tracepoints.get("block", n)!));
    return t;
  };
  /** An event's values are computed only when something is attached to it. */
  const fire = (t: TracepointDef, values: () => Record<string, bigint | string>, args: bigint[]) => k.fire(t, k.tracepoints.enabled(t) ? values() : NONE, args);
  const rd = (a: bigint, type: string, f: string) => k.memory.readField(a, type, f);
  const addrOf = (name: string) => k.functions.named(name)[0]?.address ?? 0n;
  const cpus = k.tasks.cpus.length;
  const hctx: bigint[] = [];
  for (let i = 0; i < cpus; i++) {
    const h = alloc(k, "blk_mq_hw_ctx");
    k.memory.writeField(h, "blk_mq_hw_ctx", "queue", w.queue);
    k.memory.writeField(h, "blk_mq_hw_ctx", "queue_num", BigInt(i));
    k.memory.writeField(h, "blk_mq_hw_ctx", "nr_ctx", 1n);
    hctx.push(h);
  }
  // The driver's per-disk data (struct virtio_blk, opaque here): what hctx->queue->queuedata points at.
  const vblk = k.memory.kmalloc(256, true);
  k.memory.writeField(w.queue, "request_queue", "queuedata", vblk);
  for (const h of hctx) k.memory.writeField(h, "blk_mq_hw_ctx", "driver_data", vblk);
  const flushRq = alloc(k, "request");
  k.memory.writeField(flushRq, "request", "q", w.queue);
  k.memory.writeField(flushRq, "request", "tag", -1n);
  k.memory.writeField(flushRq, "request", "internal_tag", -1n);
  const s: BlockState = {
    pending: [],
    channels: new Array<bigint>(CHANNELS).fill(0n),
    tags: new Set(),
    hctx,
    allocData: alloc(k, "blk_mq_alloc_data"),
    queueData: alloc(k, "blk_mq_queue_data"),
    dispatchList: alloc(k, "list_head"),
    flushRq,
    flushBusy: false,
    flushWaiting: [],
    flushRunning: [],
    plug: undefined,
    waitDone: new Set(),
    w,
  };
  states.set(k, s);
  const hctxOf = () => hctx[k.cpu % hctx.length]!;
  /** sizeof(struct request): the driver's per-request data (blk_mq_rq_to_pdu) follows it. */
  const requestSize = BigInt(sizeOf(k.btf, k.btf.findByNameKind("request", BtfKind.STRUCT)!));

  /** The rq fields the block_rq class records. */
  const rqValues = (rq: bigint) => {
    const bytes = rd(rq, "request", "__data_len");
    return { dev: DEV, sector: rd(rq, "request", "__sector"), nr_sector: bytes / 512n, bytes, ioprio: rd(rq, "request", "ioprio"), rwbs: rwbsOf(rd(rq, "request", "cmd_flags")), comm: k.current().comm, cmd: "" };
  };
  const bioValues = (bio: bigint) => ({
    dev: DEV,
    sector: rd(bio, "bio", "bi_iter.bi_sector"),
    nr_sector: rd(bio, "bio", "bi_iter.bi_size") / 512n,
    rwbs: rwbsOf(rd(bio, "bio", "bi_opf")),
    comm: k.current().comm,
  });

  // ---- bios ----
  set("bio_alloc_bioset", ([bdev, nrVecs, opf]) => {
    const bio = alloc(k, "bio");
    call("bio_init", bio, bdev!, 0n, nrVecs!, opf!);
    return bio;
  });
  set("bio_init", ([bio, bdev, , maxVecs, opf]) => {
    k.memory.writeField(bio!, "bio", "bi_bdev", bdev!);
    k.memory.writeField(bio!, "bio", "bi_opf", opf!);
    k.memory.writeField(bio!, "bio", "bi_max_vecs", maxVecs!);
    k.memory.writeField(bio!, "bio", "__bi_remaining.counter", 1n);
    k.memory.writeField(bio!, "bio", "__bi_cnt.counter", 1n);
    if (bdev !== 0n) call("bio_associate_blkg", bio!);
    return 0n;
  });
  set("bio_associate_blkg", () => 0n);
  set("bio_add_folio", ([bio, , len]) => {
    const vcnt = rd(bio!, "bio", "bi_vcnt");
    if (vcnt >= rd(bio!, "bio", "bi_max_vecs")) return 0n;
    k.memory.writeField(bio!, "bio", "bi_vcnt", vcnt + 1n);
    k.memory.writeField(bio!, "bio", "bi_iter.bi_size", rd(bio!, "bio", "bi_iter.bi_size") + len!);
    return 1n;
  });
  set("bio_put", ([bio]) => {
    const cnt = rd(bio!, "bio", "__bi_cnt.counter") - 1n;
    if (cnt > 0n) k.memory.writeField(bio!, "bio", "__bi_cnt.counter", cnt);
    else call("bio_free", bio!);
    return 0n;
  });
  set("bio_free", ([bio]) => (k.memory.free(bio!), 0n));
  set("bio_endio", ([bio]) => {
    const flags = rd(bio!, "bio", "bi_flags");
    if (rd(bio!, "bio", "bi_bdev") !== 0n && flags & BIO_TRACE_COMPLETION) {
      fire(tp("block_bio_complete"), () => ({ ...bioValues(bio!), error: rd(bio!, "bio", "bi_status") }), [w.queue, bio!]);
      k.memory.writeField(bio!, "bio", "bi_flags", flags & ~BIO_TRACE_COMPLETION);
    }
    const endIo = rd(bio!, "bio", "bi_end_io");
    const fn = endIo !== 0n ? k.functions.at(endIo) : undefined;
    if (fn) k.call(fn, [bio!]);
    return 0n;
  });
  set("blkdev_bio_end_io_async", ([bio]) => call("bio_put", bio!));
  set("submit_bio_wait_endio", ([bio]) => {
    s.waitDone.add(bio!);
    return 0n;
  });
  // submit_bio_wait: submits and sleeps until the bio's end_io ran (the virtio interrupt completes it meanwhile).
  set("submit_bio_wait", ([bio]) => {
    k.memory.writeField(bio!, "bio", "bi_end_io", addrOf("submit_bio_wait_endio"));
    k.memory.writeField(bio!, "bio", "bi_opf", rd(bio!, "bio", "bi_opf") | REQ_SYNC);
    call("submit_bio", bio!);
    waitForIo(k, w, () => s.waitDone.has(bio!));
    s.waitDone.delete(bio!);
    return BigInt.asUintN(64, -BigInt(rd(bio!, "bio", "bi_status")));
  });
  set("blkdev_issue_flush", ([bdev]) => {
    const bio = call("bio_alloc_bioset", bdev!, 0n, REQ_OP_WRITE | REQ_PREFLUSH, GFP_NOIO, 0n);
    const ret = call("submit_bio_wait", bio);
    call("bio_put", bio);
    return ret;
  });

  // ---- submission ----
  set("submit_bio", ([bio]) => (call("submit_bio_noacct", bio!), 0n));
  set("submit_bio_noacct", ([bio]) => (call("submit_bio_noacct_nocheck", bio!), 0n));
  set("submit_bio_noacct_nocheck", ([bio]) => {
    const flags = rd(bio!, "bio", "bi_flags");
    if (!(flags & BIO_TRACE_COMPLETION)) {
      fire(tp("block_bio_queue"), () => bioValues(bio!), [bio!]);
      k.memory.writeField(bio!, "bio", "bi_flags", flags | BIO_TRACE_COMPLETION);
    }
    // current->bio_list is empty: this is the outermost submission.
    call("__submit_bio_noacct_mq", bio!);
    return 0n;
  });
  set("__submit_bio_noacct_mq", ([bio]) => (call("__submit_bio", bio!), 0n));
  set("__submit_bio", ([bio]) => (call("blk_mq_submit_bio", bio!), 0n));
  set("blk_mq_submit_bio", ([bio]) => {
    const plug = s.plug;
    const nrSegs = rd(bio!, "bio", "bi_vcnt") || 1n;
    const opf = rd(bio!, "bio", "bi_opf");
    const flush = (opf & (REQ_PREFLUSH | REQ_FUA)) !== 0n;
    if (!flush) {
      if (plug && call("blk_attempt_plug_merge", w.queue, bio!, nrSegs) !== 0n) return 0n;
      if (call("blk_mq_sched_bio_merge", w.queue, bio!, nrSegs) !== 0n) return 0n;
    }
    const rq = call("blk_mq_get_new_requests", w.queue, plug?.addr ?? 0n, bio!, nrSegs);
    fire(tp("block_getrq"), () => bioValues(bio!), [bio!]);
    call("blk_mq_bio_to_request", rq, bio!, nrSegs);
    if (flush && call("blk_insert_flush", rq) !== 0n) return 0n;
    if (plug) {
      call("blk_add_rq_to_plug", plug.addr, rq);
      return 0n;
    }
    call("blk_mq_insert_request", rq, 0n);
    call("blk_mq_run_hw_queue", rd(rq, "request", "mq_hctx"), 1n);
    return 0n;
  });
  set("blk_mq_sched_bio_merge", () => 0n);
  set("blk_attempt_plug_merge", ([, bio, nrSegs]) => {
    const last = s.plug?.rqs[s.plug.rqs.length - 1];
    if (last === undefined || call("blk_rq_merge_ok", last, bio!) === 0n) return 0n;
    return call("bio_attempt_back_merge", last, bio!, nrSegs!) === 0n ? 1n : 0n;
  });
  // Mergeable: same operation and flags, the bio starts where the request ends, and the request stays within 128 KiB.
  set("blk_rq_merge_ok", ([rq, bio]) => {
    const same = rd(rq!, "request", "cmd_flags") === rd(bio!, "bio", "bi_opf");
    const end = rd(rq!, "request", "__sector") + rd(rq!, "request", "__data_len") / 512n;
    const fits = rd(rq!, "request", "__data_len") + rd(bio!, "bio", "bi_iter.bi_size") <= 131072n;
    return same && fits && end === rd(bio!, "bio", "bi_iter.bi_sector") ? 1n : 0n;
  });
  set("bio_attempt_back_merge", ([rq, bio]) => {
    fire(tp("block_bio_backmerge"), () => bioValues(bio!), [bio!]);
    const tail = rd(rq!, "request", "biotail");
    k.memory.writeField(tail, "bio", "bi_next", bio!);
    k.memory.writeField(rq!, "request", "biotail", bio!);
    k.memory.writeField(rq!, "request", "__data_len", rd(rq!, "request", "__data_len") + rd(bio!, "bio", "bi_iter.bi_size"));
    k.memory.writeField(rq!, "request", "nr_phys_segments", rd(rq!, "request", "nr_phys_segments") + (rd(bio!, "bio", "bi_vcnt") || 1n));
    call("blk_account_io_merge_bio", rq!);
    return 0n; // BIO_MERGE_OK
  });
  set("blk_account_io_merge_bio", () => 0n);
  set("blk_mq_get_new_requests", ([q, , bio]) => {
    const d = s.allocData;
    k.memory.writeField(d, "blk_mq_alloc_data", "q", q!);
    k.memory.writeField(d, "blk_mq_alloc_data", "cmd_flags", rd(bio!, "bio", "bi_opf"));
    k.memory.writeField(d, "blk_mq_alloc_data", "nr_tags", 1n);
    k.memory.writeField(d, "blk_mq_alloc_data", "rq_flags", RQF_USE_SCHED);
    k.memory.writeField(d, "blk_mq_alloc_data", "hctx", hctxOf());
    return call("__blk_mq_alloc_requests", d);
  });
  set("__blk_mq_alloc_requests", ([data]) => {
    // blk_mq_get_tag: with every tag in use, io_schedule() until a completion frees one.
    if (s.tags.size >= QUEUE_DEPTH) waitForIo(k, w, () => s.tags.size < QUEUE_DEPTH);
    let tag = 0;
    while (s.tags.has(tag)) tag++;
    s.tags.add(tag);
    return call("blk_mq_rq_ctx_init", data!, 0n, BigInt(tag));
  });
  set("blk_mq_rq_ctx_init", ([data, , tag]) => {
    const rq = alloc(k, "request");
    const d = data!;
    k.memory.writeField(rq, "request", "q", rd(d, "blk_mq_alloc_data", "q"));
    k.memory.writeField(rq, "request", "mq_hctx", rd(d, "blk_mq_alloc_data", "hctx"));
    k.memory.writeField(rq, "request", "cmd_flags", rd(d, "blk_mq_alloc_data", "cmd_flags"));
    k.memory.writeField(rq, "request", "rq_flags", rd(d, "blk_mq_alloc_data", "rq_flags"));
    k.memory.writeField(rq, "request", "tag", tag!);
    k.memory.writeField(rq, "request", "internal_tag", -1n);
    k.memory.writeField(rq, "request", "timeout", 30_000n);
    k.memory.writeField(rq, "request", "start_time_ns", k.clock.now());
    k.memory.writeField(rq, "request", "state", MQ_RQ_IDLE);
    k.memory.writeField(rq, "request", "ref.counter", 1n);
    return rq;
  });
  set("blk_mq_bio_to_request", ([rq, bio, nrSegs]) => {
    k.memory.writeField(rq!, "request", "cmd_flags", rd(bio!, "bio", "bi_opf"));
    k.memory.writeField(rq!, "request", "__sector", rd(bio!, "bio", "bi_iter.bi_sector"));
    k.memory.writeField(rq!, "request", "__data_len", rd(bio!, "bio", "bi_iter.bi_size"));
    k.memory.writeField(rq!, "request", "bio", bio!);
    k.memory.writeField(rq!, "request", "biotail", bio!);
    k.memory.writeField(rq!, "request", "nr_phys_segments", nrSegs!);
    k.memory.writeField(rq!, "request", "ioprio", rd(bio!, "bio", "bi_ioprio"));
    k.memory.writeField(rq!, "request", "part", rd(bio!, "bio", "bi_bdev"));
    call("blk_account_io_start", rq!);
    return 0n;
  });
  // Accounted: requests with a disk and data (blk_do_io_stat); a passthrough or flush sequence is not.
  set("blk_account_io_start", ([rq]) => {
    if (rd(rq!, "request", "__data_len") === 0n) return 0n;
    k.memory.writeField(rq!, "request", "rq_flags", rd(rq!, "request", "rq_flags") | RQF_IO_STAT);
    fire(tp("block_io_start"), () => rqValues(rq!), [rq!]);
    return 0n;
  });

  // ---- plugging ----
  set("blk_start_plug", ([plug]) => {
    k.memory.writeField(plug!, "blk_plug", "mq_list", 0n);
    k.memory.writeField(plug!, "blk_plug", "rq_count", 0n);
    k.memory.writeField(plug!, "blk_plug", "nr_ios", 1n);
    s.plug = { addr: plug!, rqs: [] };
    return 0n;
  });
  set("blk_add_rq_to_plug", ([plug, rq]) => {
    const p = s.plug!;
    if (p.rqs.length === 0) fire(tp("block_plug"), () => ({ comm: k.current().comm }), [w.queue]);
    else if (p.rqs.length >= BLK_MAX_REQUEST_COUNT) {
      call("blk_mq_flush_plug_list", plug!, 0n);
      fire(tp("block_plug"), () => ({ comm: k.current().comm }), [w.queue]);
    }
    k.memory.writeField(rq!, "request", "rq_next", rd(plug!, "blk_plug", "mq_list"));
    k.memory.writeField(plug!, "blk_plug", "mq_list", rq!);
    p.rqs.push(rq!);
    k.memory.writeField(plug!, "blk_plug", "rq_count", BigInt(p.rqs.length));
    return 0n;
  });
  set("blk_finish_plug", ([plug]) => {
    if (s.plug?.addr === plug) {
      call("__blk_flush_plug", plug!, 0n);
      s.plug = undefined;
    }
    return 0n;
  });
  set("__blk_flush_plug", ([plug, fromSchedule]) => {
    if (s.plug && s.plug.rqs.length > 0) call("blk_mq_flush_plug_list", plug!, fromSchedule!);
    return 0n;
  });
  // mq-deadline: the plugged requests go to the scheduler (block_rq_insert each), then the hardware queue runs.
  set("blk_mq_flush_plug_list", ([plug, fromSchedule]) => {
    const p = s.plug!;
    const rqs = p.rqs.splice(0);
    k.memory.writeField(plug!, "blk_plug", "mq_list", 0n);
    k.memory.writeField(plug!, "blk_plug", "rq_count", 0n);
    fire(tp("block_unplug"), () => ({ nr_rq: BigInt(rqs.length), comm: k.current().comm }), [w.queue, BigInt(rqs.length), fromSchedule === 0n ? 1n : 0n]);
    for (const rq of rqs) fire(tp("block_rq_insert"), () => rqValues(rq), [rq]);
    dispatch(rqs);
    return 0n;
  });

  // ---- insertion and dispatch ----
  /** Requests inserted and not dispatched yet (the scheduler's queue). */
  const queued: bigint[] = [];
  const dispatch = (rqs: readonly bigint[]) => {
    for (const rq of rqs) queued.push(rq);
    call("blk_mq_run_hw_queue", hctxOf(), 0n);
  };
  set("blk_mq_insert_request", ([rq]) => {
    fire(tp("block_rq_insert"), () => rqValues(rq!), [rq!]);
    queued.push(rq!);
    return 0n;
  });
  set("blk_mq_run_hw_queue", ([h]) => {
    if (queued.length > 0) call("blk_mq_sched_dispatch_requests", h!);
    return 0n;
  });
  set("blk_mq_sched_dispatch_requests", ([h]) => (call("__blk_mq_sched_dispatch_requests", h!), 0n));
  set("__blk_mq_sched_dispatch_requests", ([h]) => {
    const n = BigInt(queued.length);
    // The dispatch list the scheduler fills (a list_head on the stack in Linux).
    k.memory.writeField(s.dispatchList, "list_head", "next", s.dispatchList);
    k.memory.writeField(s.dispatchList, "list_head", "prev", s.dispatchList);
    return call("blk_mq_dispatch_rq_list", h!, s.dispatchList, n) !== 0n ? 1n : 0n;
  });
  set("blk_mq_dispatch_rq_list", ([h]) => {
    const rqs = queued.splice(0);
    rqs.forEach((rq, i) => {
      k.memory.writeField(s.queueData, "blk_mq_queue_data", "rq", rq);
      k.memory.writeField(s.queueData, "blk_mq_queue_data", "last", i === rqs.length - 1 ? 1n : 0n);
      call("virtio_queue_rq", h!, s.queueData);
    });
    return rqs.length > 0 ? 1n : 0n;
  });
  set("virtio_queue_rq", ([h, bd]) => {
    const rq = rd(bd!, "blk_mq_queue_data", "rq");
    const pdu = rq + requestSize;
    call("virtblk_prep_rq", h!, vblk, rq, pdu);
    // The request is on the virtqueue: the device serves it on the first free channel.
    const now = k.clock.now();
    let ch = 0;
    for (let i = 1; i < s.channels.length; i++) if (s.channels[i]! < s.channels[ch]!) ch = i;
    const start = s.channels[ch]! > now ? s.channels[ch]! : now;
    const op = rd(rq, "request", "cmd_flags") & REQ_OP_MASK;
    const due = start + BigInt(serviceNs(k, op, Number(rd(rq, "request", "__data_len"))));
    s.channels[ch] = due;
    let i = s.pending.length;
    while (i > 0 && s.pending[i - 1]!.due > due) i--;
    s.pending.splice(i, 0, { rq, due });
    w.inflight.push({ rq, issuedNs: now, bytes: Number(rd(rq, "request", "__data_len")), sector: rd(rq, "request", "__sector") });
    return 0n; // BLK_STS_OK
  });
  set("virtblk_prep_rq", ([, , rq]) => (call("blk_mq_start_request", rq!), 0n));
  // cmd (__data_loc char[]): the SCSI command for passthrough requests, empty for filesystem I/O.
  set("blk_mq_start_request", ([rq]) => {
    k.memory.writeField(rq!, "request", "io_start_time_ns", k.clock.now());
    k.memory.writeField(rq!, "request", "state", MQ_RQ_IN_FLIGHT);
    k.memory.writeField(rq!, "request", "rq_flags", rd(rq!, "request", "rq_flags") | RQF_STARTED);
    k.memory.writeField(rq!, "request", "deadline", k.jiffies() + 30_000n);
    fire(tp("block_rq_issue"), () => rqValues(rq!), [rq!]);
    return 0n;
  });

  // ---- flushes ----
  set("blk_insert_flush", ([rq]) => {
    // A data-less preflush: the flush request does the work; this one ends when it completes.
    if (rd(rq!, "request", "__data_len") !== 0n) return 0n;
    k.memory.writeField(rq!, "request", "rq_flags", rd(rq!, "request", "rq_flags") | RQF_FLUSH_SEQ);
    s.flushWaiting.push(rq!);
    if (!s.flushBusy) call("blk_kick_flush", w.queue, 0n, rd(rq!, "request", "cmd_flags"));
    return 1n;
  });
  set("blk_kick_flush", ([, , flags]) => {
    const f = s.flushRq;
    s.flushBusy = true;
    s.flushRunning = s.flushWaiting.splice(0);
    k.memory.writeField(f, "request", "cmd_flags", REQ_OP_FLUSH | REQ_PREFLUSH | (flags! & ~REQ_OP_MASK & ~REQ_PREFLUSH & ~REQ_SYNC));
    k.memory.writeField(f, "request", "rq_flags", RQF_FLUSH_SEQ);
    k.memory.writeField(f, "request", "mq_hctx", hctxOf());
    k.memory.writeField(f, "request", "part", w.part0);
    k.memory.writeField(f, "request", "__data_len", 0n);
    k.memory.writeField(f, "request", "__sector", 0n);
    k.memory.writeField(f, "request", "bio", 0n);
    k.memory.writeField(f, "request", "start_time_ns", k.clock.now());
    k.memory.writeField(f, "request", "end_io", addrOf("flush_end_io"));
    dispatch([f]);
    return 0n;
  });
  set("flush_end_io", () => {
    s.flushBusy = false;
    for (const rq of s.flushRunning.splice(0)) call("blk_mq_end_request", rq, 0n);
    if (s.flushWaiting.length > 0) call("blk_kick_flush", w.queue, 0n, REQ_OP_WRITE | REQ_PREFLUSH);
    return 0n; // RQ_END_IO_NONE: the flush request stays with its queue
  });

  // ---- completion ----
  set("blk_mq_complete_request", ([rq]) => {
    k.memory.writeField(rq!, "request", "state", MQ_RQ_COMPLETE);
    if (call("blk_mq_complete_request_remote", rq!) === 0n) call("virtblk_request_done", rq!);
    return 0n;
  });
  // Completed on the CPU the interrupt came to (virtio-blk's queues are per CPU): never sent to another.
  set("blk_mq_complete_request_remote", () => 0n);
  set("virtblk_request_done", ([rq]) => (call("blk_mq_end_request", rq!, 0n), 0n));
  set("blk_mq_end_request", ([rq, error]) => {
    if (call("blk_update_request", rq!, error!, rd(rq!, "request", "__data_len")) !== 0n) return 0n;
    call("__blk_mq_end_request", rq!, error!);
    return 0n;
  });
  set("blk_update_request", ([rq, error, nrBytes]) => {
    fire(
      tp("block_rq_complete"),
      () => {
        const v = rqValues(rq!);
        return { dev: v.dev, sector: v.sector, nr_sector: nrBytes! / 512n, error: error === 0n ? 0n : -5n, ioprio: v.ioprio, rwbs: v.rwbs, cmd: "" };
      },
      [rq!, error!, nrBytes!],
    );
    let bio = rd(rq!, "request", "bio");
    while (bio !== 0n) {
      const next = rd(bio, "bio", "bi_next");
      k.memory.writeField(bio, "bio", "bi_next", 0n);
      k.memory.writeField(bio, "bio", "bi_status", error!);
      call("bio_endio", bio);
      bio = next;
    }
    k.memory.writeField(rq!, "request", "bio", 0n);
    k.memory.writeField(rq!, "request", "biotail", 0n);
    k.memory.writeField(rq!, "request", "__data_len", 0n);
    return 0n;
  });
  set("__blk_mq_end_request", ([rq, error]) => {
    call("blk_account_io_done", rq!, k.clock.now());
    const endIo = rd(rq!, "request", "end_io");
    const fn = endIo !== 0n ? k.functions.at(endIo) : undefined;
    if (fn) {
      if (k.call(fn, [rq!, error!]) === 1n) call("blk_mq_free_request", rq!);
    } else call("blk_mq_free_request", rq!);
    return 0n;
  });
  set("blk_account_io_done", ([rq]) => {
    if ((rd(rq!, "request", "rq_flags") & (RQF_IO_STAT | RQF_FLUSH_SEQ)) === RQF_IO_STAT) {
      // __data_len is 0 by now (blk_update_request consumed it): the record's bytes are what is left, as in Linux.
      fire(tp("block_io_done"), () => rqValues(rq!), [rq!]);
    }
    return 0n;
  });
  set("blk_mq_free_request", ([rq]) => (call("__blk_mq_free_request", rq!), 0n));
  set("__blk_mq_free_request", ([rq]) => {
    s.tags.delete(Number(BigInt.asIntN(32, rd(rq!, "request", "tag"))));
    k.memory.free(rq!);
    return 0n;
  });
}

/**
 * The virtio-blk interrupt's work: completes every started request whose
 * service time has passed, in completion order (blk_mq_complete_request).
 * Returns how many completed. The irq paths call it from virtblk_done.
 */
export function completeDueRequests(k: Kernel, w: World): number {
  const s = states.get(k);
  if (!s) return 0;
  const now = k.clock.now();
  let n = 0;
  while (s.pending.length > 0 && s.pending[0]!.due <= now) {
    const { rq } = s.pending.shift()!;
    const i = w.inflight.findIndex((r) => r.rq === rq);
    if (i >= 0) w.inflight.splice(i, 1);
    k.callByName("blk_mq_complete_request", [rq]);
    n++;
  }
  return n;
}

/** When the next started request completes (undefined: none in flight). */
export function nextCompletionNs(k: Kernel): bigint | undefined {
  return states.get(k)?.pending[0]?.due;
}

/**
 * The current task sleeps until `done()` (io_schedule): simulated time
 * jumps to each next completion, which the device interrupt handles
 * meanwhile. Returns at once if nothing is in flight.
 */
export function waitForIo(k: Kernel, w: World, done: () => boolean): void {
  while (!done()) {
    const due = nextCompletionNs(k);
    if (due === undefined) return;
    const now = k.clock.now();
    if (due > now) k.clock.advance(due - now);
    completeDueRequests(k, w);
  }
}

/** A block device's plug on the current task's stack (one per CPU, reused). */
const plugs = new WeakMap<Kernel, bigint[]>();
export function plugOf(k: Kernel): bigint {
  let list = plugs.get(k);
  if (!list) plugs.set(k, (list = []));
  return (list[k.cpu] ??= alloc(k, "blk_plug"));
}

/**
 * The block workload: a process doing direct I/O on vda (fio-style random
 * reads and writes of 4-64 KiB, queue depth from the device's channels),
 * one bio per step submitted under a plug as io_submit does; then what the
 * device completed meanwhile. (Sequential runs that merge come from the
 * file system's writeback and readahead.)
 */
export function blockStep(k: Kernel, w: World): void {
  const call = (name: string, ...args: bigint[]) => k.callByName(name, args);
  const plug = plugOf(k);
  call("blk_start_plug", plug);
  const bytes = k.rng.pick([4096, 8192, 16384, 65536]);
  const opf = k.rng.chance(0.6) ? REQ_OP_WRITE : REQ_OP_READ;
  const bio = call("bio_alloc_bioset", w.part0, BigInt(bytes / 4096), opf, GFP_NOIO, 0n);
  k.memory.writeField(bio, "bio", "bi_iter.bi_sector", VDA1_START_SECT + BigInt(k.rng.int(0, 1 << 21)) * 8n);
  k.memory.writeField(bio, "bio", "bi_iter.bi_size", BigInt(bytes));
  k.memory.writeField(bio, "bio", "bi_vcnt", BigInt(bytes / 4096));
  k.memory.writeField(bio, "bio", "bi_end_io", k.functions.named("blkdev_bio_end_io_async")[0]!.address);
  call("submit_bio", bio);
  call("blk_finish_plug", plug);
  completeDueRequests(k, w);
}
