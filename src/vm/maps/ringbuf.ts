// BPF_MAP_TYPE_RINGBUF (kernel/bpf/ringbuf.c): a multi-producer, single
// consumer ring of max_entries bytes (a power of two, page aligned) with
// 64-bit consumer/producer positions. Each record is an 8-byte header (u32
// len with BUSY bit 31 while reserved and DISCARD bit 30 once discarded, u32
// page offset of the header from the start of struct bpf_ringbuf) followed
// by the data, padded to 8 bytes. reserve() returns the VM address of the
// record's data in a RINGBUF region; submit/discard clear BUSY (setting
// DISCARD); the consumer reads committed records in order, skips discarded
// ones and stops at a busy one.
//
// The kernel maps the data pages twice in a row so a record that wraps is
// contiguous; here the RINGBUF region is 2 * max_entries bytes and a
// committed record's bytes past the end are copied back to the start (the
// only bytes anyone reads there). Failed reservations and outputs (ring
// full, record too large) are counted in `drops`; commits that would wake
// the consumer (the kernel's irq_work) are counted in `wakeups` and reported
// to `onWakeup`.
import { RegionKind, type AddressSpace, type Region } from "../memory.js";
import { BpfMap, type MapInit } from "./map.js";
import {
  BPF_RB_AVAIL_DATA,
  BPF_RB_CONS_POS,
  BPF_RB_FORCE_WAKEUP,
  BPF_RB_NO_WAKEUP,
  BPF_RB_PROD_POS,
  BPF_RB_RING_SIZE,
  BPF_RINGBUF_BUSY_BIT,
  BPF_RINGBUF_DISCARD_BIT,
  BPF_RINGBUF_HDR_SZ,
  E,
  PAGE_SIZE,
} from "./types.js";
import { readU32, roundUp8, writeU32 } from "./util.js";

/** Largest record a reservation accepts (RINGBUF_MAX_RECORD_SZ = UINT_MAX / 4). */
export const RINGBUF_MAX_RECORD_SZ = 0x3fffffff;
/** Pages of struct bpf_ringbuf before the data: the non-mmapable page, the consumer and producer pages. */
export const RINGBUF_DATA_PGOFF = 3;
/** RINGBUF_MAX_DATA_SZ of a 64-bit kernel. */
export const RINGBUF_MAX_DATA_SZ = ((1 << 24) - 2 - 1) * PAGE_SIZE;

/** A record the consumer returned. */
export interface RingbufSample {
  /** Consumer position of the record's header. */
  pos: number;
  /** A copy of the record's data (len bytes, without padding). */
  data: Uint8Array;
}

export interface RingbufStats {
  /** Reservations and outputs that failed for lack of space or an oversized record. */
  drops: number;
  /** Records committed (submitted or discarded). */
  commits: number;
  discards: number;
  wakeups: number;
}

/** Ring buffer of each RINGBUF region, so submit/discard can find it from a record pointer. */
const RING_OF_REGION = new WeakMap<Region, RingbufMap>();

/** The ring buffer and header offset of a record whose data starts at VM address `addr`, if it is one. */
export function ringbufRecordAt(mem: AddressSpace, addr: bigint): { ring: RingbufMap; offset: number } | undefined {
  const hdr = BigInt.asUintN(64, addr - BigInt(BPF_RINGBUF_HDR_SZ));
  const r = mem.findAddress(hdr, BPF_RINGBUF_HDR_SZ);
  if (r === undefined || r.kind !== RegionKind.RINGBUF) return undefined;
  const ring = RING_OF_REGION.get(r);
  if (ring === undefined) return undefined;
  const offset = Number(hdr - ((BigInt(r.hi) << 32n) + BigInt(r.lo)));
  return { ring, offset };
}

/** ringbufRecordAt for the record whose data is at hi:lo, without a BigInt. */
export function ringbufRecordAtHalves(mem: AddressSpace, lo: number, hi: number): { ring: RingbufMap; offset: number } | undefined {
  // The header's address: lo - 8 with the borrow into hi.
  let l = (lo >>> 0) - BPF_RINGBUF_HDR_SZ;
  let h = hi >>> 0;
  if (l < 0) {
    l += 4294967296;
    h = (h - 1) >>> 0;
  }
  const r = mem.find(h, l, BPF_RINGBUF_HDR_SZ);
  if (r === undefined || r.kind !== RegionKind.RINGBUF) return undefined;
  const ring = RING_OF_REGION.get(r);
  if (ring === undefined) return undefined;
  return { ring, offset: l - r.lo };
}

export class RingbufMap extends BpfMap {
  /** Data size in bytes (max_entries). */
  readonly size: number;
  readonly mask: number;
  /** The data area as programs address it (2 * size bytes; see the header comment). */
  readonly data: Region;
  /** Called when a commit would wake the consumer. */
  onWakeup: (() => void) | undefined;
  private cons = 0;
  private prod = 0;
  /** Oldest position whose record may still be busy (rb->pending_pos). */
  private pend = 0;
  private readonly counters: RingbufStats = { drops: 0, commits: 0, discards: 0, wakeups: 0 };
  private readonly base: bigint;

  constructor(init: MapInit) {
    super(init);
    this.size = init.maxEntries;
    this.mask = init.maxEntries - 1;
    this.data = this.mapRegion(RegionKind.RINGBUF, new Uint8Array(2 * this.size), true, "ringbuf");
    this.base = (BigInt(this.data.hi) << 32n) + BigInt(this.data.lo);
    RING_OF_REGION.set(this.data, this);
  }

  get consumerPos(): number {
    return this.cons;
  }

  get producerPos(): number {
    return this.prod;
  }

  /** Bytes between the consumer and producer positions (BPF_RB_AVAIL_DATA). */
  get availData(): number {
    return this.prod - this.cons;
  }

  stats(): RingbufStats {
    return { ...this.counters };
  }

  private header(offset: number): number {
    return readU32(this.data.bytes, offset);
  }

  /**
   * __bpf_ringbuf_reserve: reserves a record of `size` data bytes and returns
   * the VM address of its data, or 0n (counted as a drop) when it does not
   * fit.
   */
  reserve(size: number): bigint {
    const off = this.reserveOffset(size);
    return off < 0 ? 0n : this.base + BigInt(off);
  }

  /** reserve without a BigInt: the offset of the record's data in the data region, or -1 (a drop). */
  reserveOffset(size: number): number {
    if (!(size >= 0 && size <= RINGBUF_MAX_RECORD_SZ)) return this.drop();
    const len = roundUp8(size + BPF_RINGBUF_HDR_SZ);
    if (len > this.size) return this.drop();
    // Skip past records committed since the last reservation.
    while (this.pend < this.prod) {
      const l = this.header(this.pend & this.mask);
      if (l & BPF_RINGBUF_BUSY_BIT) break;
      this.pend += roundUp8((l & ~BPF_RINGBUF_DISCARD_BIT) + BPF_RINGBUF_HDR_SZ);
    }
    const newProd = this.prod + len;
    if (newProd - this.cons > this.mask || newProd - this.pend > this.mask) return this.drop();
    const off = this.prod & this.mask;
    writeU32(this.data.bytes, off, (size | BPF_RINGBUF_BUSY_BIT) >>> 0);
    writeU32(this.data.bytes, off + 4, RINGBUF_DATA_PGOFF + Math.floor(off / PAGE_SIZE));
    this.prod = newProd;
    return off + BPF_RINGBUF_HDR_SZ;
  }

  private drop(): number {
    this.counters.drops++;
    return -1;
  }

  /**
   * bpf_ringbuf_commit for the record whose header is at `offset` of the data
   * region: 0, or -EINVAL if no reserved record is there.
   */
  commit(offset: number, flags: number, discard: boolean): number {
    if (!(offset >= 0 && offset < this.size && offset % 8 === 0)) return E.EINVAL;
    const l = this.header(offset);
    if ((l & BPF_RINGBUF_BUSY_BIT) === 0) return E.EINVAL;
    const len = l & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
    const end = offset + roundUp8(len + BPF_RINGBUF_HDR_SZ);
    const bytes = this.data.bytes;
    if (end > this.size) bytes.copyWithin(0, this.size, end);
    let newLen = (l ^ BPF_RINGBUF_BUSY_BIT) >>> 0;
    if (discard) newLen = (newLen | BPF_RINGBUF_DISCARD_BIT) >>> 0;
    writeU32(bytes, offset, newLen);
    this.counters.commits++;
    if (discard) this.counters.discards++;
    const consOff = this.cons & this.mask;
    if (flags & BPF_RB_FORCE_WAKEUP || (consOff === offset && !(flags & BPF_RB_NO_WAKEUP))) this.wakeup();
    return 0;
  }

  /** Commit by the record's data address (what bpf_ringbuf_submit/discard get). */
  commitAddress(addr: bigint, flags: number, discard: boolean): number {
    const off = Number(BigInt.asUintN(64, addr - this.base)) - BPF_RINGBUF_HDR_SZ;
    return this.commit(off, flags, discard);
  }

  private wakeup(): void {
    this.counters.wakeups++;
    this.onWakeup?.();
  }

  /** bpf_ringbuf_output: 0, -EINVAL for unknown flags, -EAGAIN (a drop) when it does not fit. */
  output(data: Uint8Array, flags: number): number {
    if (!Number.isInteger(flags) || flags < 0 || flags > 0xffffffff || (flags & ~(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP)) !== 0) {
      return E.EINVAL;
    }
    const off = this.reserveOffset(data.length);
    if (off < 0) return E.EAGAIN;
    this.data.bytes.set(data, off);
    return this.commit(off - BPF_RINGBUF_HDR_SZ, flags, false);
  }

  /** bpf_ringbuf_query: the value for a BPF_RB_* flag, 0 for unknown ones. */
  query(flags: bigint): bigint {
    switch (flags) {
      case BigInt(BPF_RB_AVAIL_DATA):
        return BigInt(this.prod - this.cons);
      case BigInt(BPF_RB_RING_SIZE):
        return BigInt(this.size);
      case BigInt(BPF_RB_CONS_POS):
        return BigInt(this.cons);
      case BigInt(BPF_RB_PROD_POS):
        return BigInt(this.prod);
      default:
        return 0n;
    }
  }

  /**
   * The user-space consumer (libbpf's ringbuf_process_ring): returns up to
   * `max` committed records in order, skipping discarded ones, stopping at
   * the first busy one, advancing the consumer position past each record it
   * consumed.
   */
  consume(max = Infinity): RingbufSample[] {
    // First the records to take, then one buffer for all of them: one
    // allocation per batch instead of one (off-heap) ArrayBuffer per record.
    const taken: { pos: number; off: number; len: number }[] = [];
    let total = 0;
    while (this.cons < this.prod && taken.length < max) {
      const off = this.cons & this.mask;
      const l = this.header(off);
      if (l & BPF_RINGBUF_BUSY_BIT) break;
      const len = l & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
      const pos = this.cons;
      this.cons += roundUp8(len + BPF_RINGBUF_HDR_SZ);
      if (l & BPF_RINGBUF_DISCARD_BIT) continue;
      taken.push({ pos, off: off + BPF_RINGBUF_HDR_SZ, len });
      total += len;
    }
    const all = new Uint8Array(total);
    let at = 0;
    return taken.map(({ pos, off, len }) => {
      const data = all.subarray(at, at + len);
      this.readInto(data, off);
      at += len;
      return { pos, data };
    });
  }

  /** Fills `out` with the ring's bytes from data offset `off`, wrapping at the end. */
  private readInto(out: Uint8Array, off: number): void {
    const len = out.length;
    const start = off & this.mask;
    const first = Math.min(len, this.size - start);
    out.set(this.data.bytes.subarray(start, start + first), 0);
    if (first < len) out.set(this.data.bytes.subarray(0, len - first), first);
  }

  // Lookups, updates and iteration are not ring buffer operations.
  protected override sysLookup(): number {
    return E.ENOTSUPP;
  }

  protected override sysUpdate(): number {
    return E.ENOTSUPP;
  }

  protected override sysDelete(): number {
    return E.ENOTSUPP;
  }

  protected override sysGetNextKey(): number {
    return E.ENOTSUPP;
  }
}
