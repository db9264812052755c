// BPF_MAP_TYPE_PERF_EVENT_ARRAY and the perf ring buffers behind it. User
// space opens one BPF output perf event per CPU (openRing: the model of
// perf_event_open(PERF_COUNT_SW_BPF_OUTPUT, cpu) + mmap of 2^n data pages)
// and stores it in the array by its fd (update); openBuffers does both for
// every CPU, as libbpf's perf_buffer__new. bpf_perf_event_output writes a
// PERF_RECORD_SAMPLE with the raw data into the ring at the index given by
// the flags (BPF_F_CURRENT_CPU: the running CPU). A ring without room drops
// the sample (-ENOSPC) and counts it; the next sample that fits is preceded
// by a PERF_RECORD_LOST with the count, as kernel/events/ring_buffer.c does.
// Rings keep perf's data_head/data_tail semantics: at most size - 1 bytes in
// flight, records wrap byte-wise at the end of the data area.
import { BpfMap, type MapInit } from "./map.js";
import { arrayIndex, arrayNextKey } from "./array.js";
import { BPF_ANY, BPF_F_CURRENT_CPU, BPF_F_INDEX_MASK, E, PAGE_SIZE } from "./types.js";
import { isPowerOf2, readU32, readU64, roundUp8, u32Bytes, writeU32, writeU64 } from "./util.js";

export const PERF_RECORD_LOST = 2;
export const PERF_RECORD_SAMPLE = 9;
export const PERF_RECORD_MISC_KERNEL = 1;
/** Size of a PERF_RECORD_LOST: header, u64 id, u64 lost. */
export const PERF_LOST_RECORD_SIZE = 24;
/** perf_event_header.size is a u16. */
export const PERF_MAX_RECORD_SIZE = 0xffff;

export interface PerfSampleRecord {
  type: typeof PERF_RECORD_SAMPLE;
  misc: number;
  /** The raw data as perf delivers it: the program's bytes followed by zero padding (u32 size + data is 8-byte aligned). */
  data: Uint8Array;
}

export interface PerfLostRecord {
  type: typeof PERF_RECORD_LOST;
  misc: number;
  /** The perf event's id. */
  id: number;
  /** Samples lost since the previous record. */
  lost: number;
}

export type PerfRecord = PerfSampleRecord | PerfLostRecord;

/** One BPF output perf event with its mmap()ed ring. */
export class PerfRing {
  /** The fd user space stores in the map. */
  readonly fd: number;
  /** Event id (reported in PERF_RECORD_LOST). */
  readonly id: number;
  /** CPU the event is bound to; only programs running there may write to it. */
  readonly cpu: number;
  readonly pageCount: number;
  readonly dataSize: number;
  readonly bytes: Uint8Array;
  private head = 0;
  private tail = 0;
  /** rb->lost: samples dropped since the last PERF_RECORD_LOST was written. */
  private pendingLost = 0;
  private lostTotal = 0;
  private samplesTotal = 0;

  constructor(fd: number, id: number, cpu: number, pageCount: number) {
    this.fd = fd;
    this.id = id;
    this.cpu = cpu;
    this.pageCount = pageCount;
    this.dataSize = pageCount * PAGE_SIZE;
    this.bytes = new Uint8Array(this.dataSize);
  }

  get dataHead(): number {
    return this.head;
  }

  get dataTail(): number {
    return this.tail;
  }

  /** Samples dropped for lack of room, ever. */
  get lost(): number {
    return this.lostTotal;
  }

  /** Samples written, ever. */
  get samples(): number {
    return this.samplesTotal;
  }

  /** CIRC_SPACE(head, tail, size): free bytes, keeping one byte unused. */
  private space(): number {
    return (((this.tail - (this.head + 1)) % this.dataSize) + this.dataSize) % this.dataSize;
  }

  private put(src: Uint8Array): void {
    const start = this.head % this.dataSize;
    const first = Math.min(src.length, this.dataSize - start);
    this.bytes.set(src.subarray(0, first), start);
    if (first < src.length) this.bytes.set(src.subarray(first), 0);
    this.head += src.length;
  }

  private get(pos: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    const start = pos % this.dataSize;
    const first = Math.min(len, this.dataSize - start);
    out.set(this.bytes.subarray(start, start + first), 0);
    if (first < len) out.set(this.bytes.subarray(0, len - first), first);
    return out;
  }

  /** perf_event_output of a raw sample: 0, -ENOSPC when it is lost, -E2BIG when the record exceeds a u16 size. */
  writeSample(raw: Uint8Array): number {
    const rawSize = roundUp8(4 + raw.length) - 4;
    const size = 8 + 4 + rawSize;
    if (size > PERF_MAX_RECORD_SIZE) return E.E2BIG;
    const need = size + (this.pendingLost > 0 ? PERF_LOST_RECORD_SIZE : 0);
    if (this.space() < need) {
      this.pendingLost++;
      this.lostTotal++;
      return E.ENOSPC;
    }
    if (this.pendingLost > 0) {
      const lost = new Uint8Array(PERF_LOST_RECORD_SIZE);
      writeU32(lost, 0, PERF_RECORD_LOST);
      lost[6] = PERF_LOST_RECORD_SIZE;
      writeU64(lost, 8, BigInt(this.id));
      writeU64(lost, 16, BigInt(this.pendingLost));
      this.put(lost);
      this.pendingLost = 0;
    }
    const start = this.head % this.dataSize;
    if (start + size <= this.dataSize) {
      // The record fits before the end of the ring: written in place (no record buffer per sample).
      const b = this.bytes;
      writeU32(b, start, PERF_RECORD_SAMPLE);
      b[start + 4] = PERF_RECORD_MISC_KERNEL;
      b[start + 5] = 0;
      b[start + 6] = size & 0xff;
      b[start + 7] = size >>> 8;
      writeU32(b, start + 8, rawSize);
      b.set(raw, start + 12);
      b.fill(0, start + 12 + raw.length, start + size);
      this.head += size;
      this.samplesTotal++;
      return 0;
    }
    const rec = new Uint8Array(size);
    writeU32(rec, 0, PERF_RECORD_SAMPLE);
    rec[4] = PERF_RECORD_MISC_KERNEL;
    rec[6] = size & 0xff;
    rec[7] = size >>> 8;
    writeU32(rec, 8, rawSize);
    rec.set(raw, 12);
    this.put(rec);
    this.samplesTotal++;
    return 0;
  }

  /** The consumer (libbpf's perf_buffer__consume_buffer): every record from data_tail to data_head, then data_tail = data_head. */
  read(): PerfRecord[] {
    const out: PerfRecord[] = [];
    while (this.tail < this.head) {
      const hdr = this.get(this.tail, 8);
      const type = readU32(hdr, 0);
      const misc = hdr[4]! | (hdr[5]! << 8);
      const size = hdr[6]! | (hdr[7]! << 8);
      const rec = this.get(this.tail, size);
      if (type === PERF_RECORD_SAMPLE) {
        const rawSize = readU32(rec, 8);
        out.push({ type, misc, data: rec.slice(12, 12 + rawSize) });
      } else if (type === PERF_RECORD_LOST) {
        out.push({ type, misc, id: Number(readU64(rec, 8)), lost: Number(readU64(rec, 16)) });
      }
      this.tail += size;
    }
    return out;
  }
}

/** A record read by PerfEventArrayMap.poll, with the map index of its ring. */
export type PerfPolledRecord = PerfRecord & { index: number; cpu: number };

/** BPF_MAP_TYPE_PERF_EVENT_ARRAY. */
export class PerfEventArrayMap extends BpfMap {
  private readonly slots: (PerfRing | undefined)[];
  /** Perf event fds opened through this map (the model's fd table for perf events). */
  private readonly rings = new Map<number, PerfRing>();
  private nextFd = 3;
  private nextEventId = 1;

  constructor(init: MapInit) {
    super(init);
    this.slots = new Array<PerfRing | undefined>(init.maxEntries).fill(undefined);
  }

  override get userValueSize(): number {
    return 4;
  }

  /** Opens a BPF output perf event on `cpu` with a ring of `pageCount` (a power of two) data pages: the ring, or -EINVAL. */
  openRing(cpu: number, pageCount: number): PerfRing | number {
    if (!(Number.isInteger(cpu) && cpu >= 0 && cpu < this.nrCpus)) return E.EINVAL;
    if (!isPowerOf2(pageCount)) return E.EINVAL;
    const ring = new PerfRing(this.nextFd++, this.nextEventId++, cpu, pageCount);
    this.rings.set(ring.fd, ring);
    return ring;
  }

  /**
   * perf_buffer__new: a ring of `pageCount` pages for each CPU below
   * min(nrCpus, max_entries), stored at the index of its CPU.
   */
  openBuffers(pageCount: number): PerfRing[] | number {
    const n = Math.min(this.nrCpus, this.maxEntries);
    const out: PerfRing[] = [];
    for (let cpu = 0; cpu < n; cpu++) {
      const ring = this.openRing(cpu, pageCount);
      if (typeof ring === "number") return ring;
      const err = this.update(u32Bytes(cpu), u32Bytes(ring.fd));
      if (err) return err;
      out.push(ring);
    }
    return out;
  }

  /** The ring stored at `index`, if any. */
  ringAt(index: number): PerfRing | undefined {
    return this.slots[index];
  }

  /**
   * __bpf_perf_event_output: writes a sample for a program running on `cpu`.
   * 0, or -EINVAL (flags beyond the index), -E2BIG (index past the end),
   * -ENOENT (no event there), -EOPNOTSUPP (event bound to another CPU),
   * -ENOSPC (ring full: the sample is lost and counted).
   */
  output(cpu: number, flags: bigint, data: Uint8Array): number {
    const f = BigInt.asUintN(64, flags);
    if ((f & ~BPF_F_INDEX_MASK) !== 0n) return E.EINVAL;
    return this.outputAt(cpu, Number(f & BPF_F_INDEX_MASK), data);
  }

  /** output() with flags whose bits above the index are clear: `index` is the u32 index field (BPF_F_CURRENT_CPU: `cpu`'s). */
  outputAt(cpu: number, index: number, data: Uint8Array): number {
    // BigInt(cpu) as output() always did: a CPU number that is no integer is the environment's error.
    if (index === Number(BPF_F_CURRENT_CPU)) index = Number.isSafeInteger(cpu) ? cpu : Number(BigInt(cpu));
    if (index >= this.maxEntries) return E.E2BIG;
    const ring = this.slots[index];
    if (ring === undefined) return E.ENOENT;
    if (ring.cpu !== cpu) return E.EOPNOTSUPP;
    return ring.writeSample(data);
  }

  /** Reads every stored ring in index order (libbpf's perf_buffer__consume). */
  poll(): PerfPolledRecord[] {
    const out: PerfPolledRecord[] = [];
    const seen = new Set<PerfRing>();
    this.slots.forEach((ring, index) => {
      if (ring === undefined || seen.has(ring)) return;
      seen.add(ring);
      for (const r of ring.read()) out.push({ ...r, index, cpu: ring.cpu });
    });
    return out;
  }

  /** Samples lost over all stored rings. */
  get lost(): number {
    let n = 0;
    for (const ring of new Set(this.slots)) if (ring) n += ring.lost;
    return n;
  }

  /** Not readable from user space (no map_fd_sys_lookup_elem). */
  protected override sysLookup(): number {
    return E.ENOTSUPP;
  }

  /** bpf_fd_array_map_update_elem: the value is the fd of a perf event. */
  protected override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags !== BPF_ANY) return E.EINVAL;
    const index = arrayIndex(key);
    if (index >= this.maxEntries) return E.E2BIG;
    const ring = this.rings.get(readU32(value));
    if (ring === undefined) return E.EBADF;
    this.slots[index] = ring;
    return 0;
  }

  /** fd_array_map_delete_elem. */
  protected override sysDelete(key: Uint8Array): number {
    const index = arrayIndex(key);
    if (index >= this.maxEntries) return E.E2BIG;
    if (this.slots[index] === undefined) return E.ENOENT;
    this.slots[index] = undefined;
    return 0;
  }

  protected override sysGetNextKey(key: Uint8Array | null): Uint8Array | number {
    return arrayNextKey(key, this.maxEntries);
  }
}
