// Helper implementations (see ../helpers/abi.ts) for the map helpers:
// map_lookup/update/delete_elem, map_push/pop/peek_elem (queue and stack
// maps), perf_event_output, get_stackid, current_task_under_cgroup and the ringbuf_* family. Map pointers are resolved with rt.mapAt, keys and
// values are read from program memory with vmBytes (an unreadable pointer
// gives NULL or -EFAULT; the verifier normally rules that out), errors are
// returned as errRet(errno). Combinations the verifier rejects (e.g. a
// lookup on a ring buffer) give NULL or -EOPNOTSUPP/-EINVAL rather than
// anything a program could mistake for success. The per-event ones
// (lookup/update/delete, ringbuf_*) also carry their BigInt-free form
// (withFast, see ../helpers/abi.ts): maps found by address halves, keys and
// values through vmBytesAt, value addresses from progLookupAddr.
import {
  errRet,
  errRetFast,
  type FastHelperRuntime,
  type HelperImpl,
  type HelperRuntime,
  retBig,
  u64Num,
  vmBytes,
  vmBytesAt,
  withFast,
} from "../helpers/abi.js";
import { CgroupArrayMap } from "./cgroup-array.js";
import { BpfMap } from "./map.js";
import { PerfEventArrayMap } from "./perf-event-array.js";
import { QueueStackMap } from "./queue-stack.js";
import { RINGBUF_MAX_RECORD_SZ, RingbufMap, ringbufRecordAt, ringbufRecordAtHalves } from "./ringbuf.js";
import { StackTraceMap } from "./stack-trace.js";
import { BPF_F_INDEX_MASK, BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP } from "./types.js";
import { u64ToNumber } from "./util.js";

/** The kernel's ids (enum bpf_func_id) of the helpers implemented here. */
export const MapHelperId = {
  map_lookup_elem: 1,
  map_update_elem: 2,
  map_delete_elem: 3,
  perf_event_output: 25,
  get_stackid: 27,
  current_task_under_cgroup: 37,
  map_push_elem: 87,
  map_pop_elem: 88,
  map_peek_elem: 89,
  ringbuf_output: 130,
  ringbuf_reserve: 131,
  ringbuf_submit: 132,
  ringbuf_discard: 133,
  ringbuf_query: 134,
} as const;

const EFAULT = 14;
const EINVAL = 22;

function mapArg(rt: HelperRuntime, addr: bigint): BpfMap | undefined {
  const m = rt.mapAt(addr);
  return m instanceof BpfMap ? m : undefined;
}

/** A u64 flags register as the u32-or-invalid number the map ops take. */
function flagsArg(r: bigint): number {
  const f = BigInt.asUintN(64, r);
  return f > 0xffffffffn ? 2 ** 32 : Number(f);
}

/** Result of a map op (0 or a negative errno) as r0. */
function ret(err: number): bigint {
  return err < 0 ? errRet(-err) : BigInt(err);
}

/** ret() in a fast helper. */
function retFast(rt: FastHelperRuntime, err: number): number {
  if (err < 0) return errRetFast(rt, -err);
  return err <= 0x7fffffff ? err : retBig(rt, BigInt(err));
}

function mapArgFast(rt: FastHelperRuntime, lo: number, hi: number): BpfMap | undefined {
  const m = rt.mapAtHalves(lo, hi);
  return m instanceof BpfMap ? m : undefined;
}

/** flagsArg on halves. */
function flagsArgFast(lo: number, hi: number): number {
  return hi !== 0 ? 2 ** 32 : lo >>> 0;
}

/** u64ToNumber on halves. */
function u64NumberFast(lo: number, hi: number): number {
  return Math.min(u64Num(lo, hi), Number.MAX_SAFE_INTEGER);
}

/** A value address from progLookupAddr. */
const ADDR = new Int32Array(2);

/** void *bpf_map_lookup_elem(map, key): the value's address, or NULL. */
export const mapLookupElem: HelperImpl = withFast(
  (rt, r1, r2) => {
    const map = mapArg(rt, r1);
    if (!map) return 0n;
    const key = vmBytes(rt, r2, map.keySize);
    if (!key) return 0n;
    return map.progLookup(key, rt.env.cpu());
  },
  (rt, l1, h1, l2, h2) => {
    const map = mapArgFast(rt, l1, h1);
    if (!map) return 0;
    const ks = map.keySize;
    if (ks !== 0) {
      // The key where it lies (vmBytesAt without the view).
      const r = rt.mem.find(h2 >>> 0, l2 >>> 0, ks);
      if (r === undefined) return 0;
      map.progLookupAddrAt(r.bytes, (l2 >>> 0) - r.lo, rt.env.cpu(), ADDR);
    } else {
      map.progLookupAddr(new Uint8Array(0), rt.env.cpu(), ADDR);
    }
    rt.rh = ADDR[1]!;
    return ADDR[0]!;
  },
);

/** long bpf_map_update_elem(map, key, value, flags). */
export const mapUpdateElem: HelperImpl = withFast(
  (rt, r1, r2, r3, r4) => {
    const map = mapArg(rt, r1);
    if (!map) return errRet(EINVAL);
    const key = vmBytes(rt, r2, map.keySize);
    const value = vmBytes(rt, r3, map.valueSize);
    if (!key || !value) return errRet(EFAULT);
    return ret(map.progUpdate(key, value, flagsArg(r4), rt.env.cpu()));
  },
  (rt, l1, h1, l2, h2, l3, h3, l4, h4) => {
    const map = mapArgFast(rt, l1, h1);
    if (!map) return errRetFast(rt, EINVAL);
    const key = vmBytesAt(rt, l2, h2, map.keySize);
    const value = vmBytesAt(rt, l3, h3, map.valueSize);
    if (!key || !value) return errRetFast(rt, EFAULT);
    return retFast(rt, map.progUpdate(key, value, flagsArgFast(l4, h4), rt.env.cpu()));
  },
);

/** long bpf_map_delete_elem(map, key). */
export const mapDeleteElem: HelperImpl = withFast(
  (rt, r1, r2) => {
    const map = mapArg(rt, r1);
    if (!map) return errRet(EINVAL);
    const key = vmBytes(rt, r2, map.keySize);
    if (!key) return errRet(EFAULT);
    return ret(map.progDelete(key, rt.env.cpu()));
  },
  (rt, l1, h1, l2, h2) => {
    const map = mapArgFast(rt, l1, h1);
    if (!map) return errRetFast(rt, EINVAL);
    const key = vmBytesAt(rt, l2, h2, map.keySize);
    if (!key) return errRetFast(rt, EFAULT);
    return retFast(rt, map.progDelete(key, rt.env.cpu()));
  },
);

/** long bpf_perf_event_output(ctx, map, flags, data, size). */
export const perfEventOutput: HelperImpl = withFast(
  (rt, _ctx, r2, r3, r4, r5) => {
    if ((BigInt.asUintN(64, r3) & ~BPF_F_INDEX_MASK) !== 0n) return errRet(EINVAL);
    const map = mapArg(rt, r2);
    if (!(map instanceof PerfEventArrayMap)) return errRet(EINVAL);
    const data = vmBytes(rt, r4, u64ToNumber(r5));
    if (!data) return errRet(EFAULT);
    return ret(map.output(rt.env.cpu(), r3, data));
  },
  (rt, _l1, _h1, l2, h2, l3, h3, l4, h4, l5, h5) => {
    if (h3 !== 0) return errRetFast(rt, EINVAL);
    const map = mapArgFast(rt, l2, h2);
    if (!(map instanceof PerfEventArrayMap)) return errRetFast(rt, EINVAL);
    const data = vmBytesAt(rt, l4, h4, u64NumberFast(l5, h5));
    if (!data) return errRetFast(rt, EFAULT);
    return retFast(rt, map.outputAt(rt.env.cpu(), l3 >>> 0, data));
  },
);

/** long bpf_get_stackid(ctx, map, flags): the stack id or a negative errno. */
export const getStackid: HelperImpl = (rt, _ctx, r2, r3) => {
  const map = mapArg(rt, r2);
  if (!(map instanceof StackTraceMap)) return errRet(EINVAL);
  return ret(map.getStackId(rt.env.kernelStack?.(), r3));
};

/**
 * long bpf_current_task_under_cgroup(map, index): 1 when the current task is
 * in the hierarchy of the cgroup at `index` of a cgroup array, 0 when not,
 * -E2BIG past the end, -EAGAIN for an empty slot, -EINVAL for another map.
 */
export const currentTaskUnderCgroup: HelperImpl = (rt, r1, r2) => {
  const map = mapArg(rt, r1);
  if (!(map instanceof CgroupArrayMap)) return errRet(EINVAL);
  const idx = BigInt.asUintN(64, r2);
  return ret(map.underCgroup(idx > 0xffffffffn ? map.maxEntries : Number(idx), BigInt.asUintN(64, rt.env.currentCgroupId?.() ?? 0n)));
};

/** long bpf_ringbuf_output(ringbuf, data, size, flags): 0, -EINVAL, -EAGAIN (dropped). */
export const ringbufOutput: HelperImpl = withFast(
  (rt, r1, r2, r3, r4) => {
    const map = mapArg(rt, r1);
    if (!(map instanceof RingbufMap)) return errRet(EINVAL);
    const flags = BigInt.asUintN(64, r4);
    if ((flags & ~BigInt(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP)) !== 0n) return errRet(EINVAL);
    const data = vmBytes(rt, r2, u64ToNumber(r3));
    if (!data) return errRet(EFAULT);
    return ret(map.output(data, Number(flags)));
  },
  (rt, l1, h1, l2, h2, l3, h3, l4, h4) => {
    const map = mapArgFast(rt, l1, h1);
    if (!(map instanceof RingbufMap)) return errRetFast(rt, EINVAL);
    if (h4 !== 0 || (l4 & ~(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP)) !== 0) return errRetFast(rt, EINVAL);
    const data = vmBytesAt(rt, l2, h2, u64NumberFast(l3, h3));
    if (!data) return errRetFast(rt, EFAULT);
    return retFast(rt, map.output(data, l4));
  },
);

/** void *bpf_ringbuf_reserve(ringbuf, size, flags): the record's data address, or NULL. */
export const ringbufReserve: HelperImpl = withFast(
  (rt, r1, r2, r3) => {
    const map = mapArg(rt, r1);
    if (!(map instanceof RingbufMap)) return 0n;
    if (BigInt.asUintN(64, r3) !== 0n) return 0n;
    const size = BigInt.asUintN(64, r2);
    return map.reserve(size > BigInt(RINGBUF_MAX_RECORD_SZ) ? RINGBUF_MAX_RECORD_SZ + 1 : Number(size));
  },
  (rt, l1, h1, l2, h2, l3, h3) => {
    const map = mapArgFast(rt, l1, h1);
    if (!(map instanceof RingbufMap)) return 0;
    if ((l3 | h3) !== 0) return 0;
    const off = map.reserveOffset(h2 !== 0 || l2 >>> 0 > RINGBUF_MAX_RECORD_SZ ? RINGBUF_MAX_RECORD_SZ + 1 : l2 >>> 0);
    if (off < 0) return 0;
    rt.rh = map.data.hi | 0;
    return (map.data.lo + off) | 0;
  },
);

function commit(rt: HelperRuntime, r1: bigint, r2: bigint, discard: boolean): bigint {
  const rec = ringbufRecordAt(rt.mem, r1);
  if (!rec) return errRet(EINVAL);
  const flags = BigInt.asUintN(64, r2) & BigInt(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP);
  return ret(rec.ring.commit(rec.offset, Number(flags), discard));
}

function commitFast(rt: FastHelperRuntime, l1: number, h1: number, l2: number, discard: boolean): number {
  const rec = ringbufRecordAtHalves(rt.mem, l1, h1);
  if (!rec) return errRetFast(rt, EINVAL);
  return retFast(rt, rec.ring.commit(rec.offset, l2 & (BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP), discard));
}

/** void bpf_ringbuf_submit(data, flags). */
export const ringbufSubmit: HelperImpl = withFast(
  (rt, r1, r2) => commit(rt, r1, r2, false),
  (rt, l1, h1, l2) => commitFast(rt, l1, h1, l2, false),
);

/** void bpf_ringbuf_discard(data, flags). */
export const ringbufDiscard: HelperImpl = withFast(
  (rt, r1, r2) => commit(rt, r1, r2, true),
  (rt, l1, h1, l2) => commitFast(rt, l1, h1, l2, true),
);

/** u64 bpf_ringbuf_query(ringbuf, flags). */
export const ringbufQuery: HelperImpl = (rt, r1, r2) => {
  const map = mapArg(rt, r1);
  if (!(map instanceof RingbufMap)) return 0n;
  return map.query(BigInt.asUintN(64, r2));
};

/** long bpf_map_push_elem(map, value, flags): 0, -EINVAL (flags), -E2BIG (full). */
export const mapPushElem: HelperImpl = (rt, r1, r2, r3) => {
  const map = mapArg(rt, r1);
  if (!(map instanceof QueueStackMap)) return errRet(EINVAL);
  const value = vmBytes(rt, r2, map.valueSize);
  if (!value) return errRet(EFAULT);
  return ret(map.push(value, BigInt.asUintN(64, r3)));
};

/** bpf_map_pop_elem / bpf_map_peek_elem(map, value): 0 with the value copied out, or -ENOENT (value zeroed). */
function takeElem(remove: boolean): HelperImpl {
  return (rt, r1, r2) => {
    const map = mapArg(rt, r1);
    if (!(map instanceof QueueStackMap)) return errRet(EINVAL);
    const out = vmBytes(rt, r2, map.valueSize, true);
    if (!out) return errRet(EFAULT);
    return ret(map.take(out, remove));
  };
}

/** The map helpers keyed by helper id, for the helper table. */
export const MAP_HELPERS: Readonly<Record<number, HelperImpl>> = {
  [MapHelperId.map_lookup_elem]: mapLookupElem,
  [MapHelperId.map_update_elem]: mapUpdateElem,
  [MapHelperId.map_delete_elem]: mapDeleteElem,
  [MapHelperId.perf_event_output]: perfEventOutput,
  [MapHelperId.get_stackid]: getStackid,
  [MapHelperId.current_task_under_cgroup]: currentTaskUnderCgroup,
  [MapHelperId.map_push_elem]: mapPushElem,
  [MapHelperId.map_pop_elem]: takeElem(true),
  [MapHelperId.map_peek_elem]: takeElem(false),
  [MapHelperId.ringbuf_output]: ringbufOutput,
  [MapHelperId.ringbuf_reserve]: ringbufReserve,
  [MapHelperId.ringbuf_submit]: ringbufSubmit,
  [MapHelperId.ringbuf_discard]: ringbufDiscard,
  [MapHelperId.ringbuf_query]: ringbufQuery,
};
