// BPF_MAP_TYPE_HASH, and the base the other hash types share. Values live in
// one MAP_VALUE region of preallocated slots (round_up(value_size, 8) bytes
// each, per CPU for per-CPU types: slot s of CPU c at (c * slots + s) *
// elem_size), so a program's value pointer stays valid while its element
// exists. Like the kernel's preallocated htab, updating an existing key
// writes the new value into the CPU's spare "extra" element and links it
// in place of the old one, which becomes the new spare: a value pointer a
// program got before the update keeps pointing at the old copy. A full map
// refuses new keys with -E2BIG. BPF_F_NO_PREALLOC is accepted and behaves
// the same (storage is always a preallocated pool here).
import { RegionKind, type Region } from "../memory.js";
import { HashTable, htabHash, htabHashAt } from "./hash-table.js";
import { BpfMap, type MapInit, regionAddrInto } from "./map.js";
import { type BatchOptions, type BatchResult, BPF_EXIST, BPF_F_LOCK, BPF_F_RDONLY_PROG, BPF_NOEXIST, E } from "./types.js";
import { firstBytes, isU32, roundUp8 } from "./util.js";

export abstract class HashMapBase extends BpfMap {
  readonly table: HashTable;
  /** Bytes per value slot: round_up(value_size, 8). */
  readonly elemSize: number;
  readonly values: Region;
  /** Number of CPU copies of each value (1, or nrCpus for per-CPU types). */
  protected readonly copies: number;
  private readonly base: bigint;

  protected constructor(init: MapInit, slots: number, freeSlots: number, percpu: boolean) {
    super(init);
    this.table = new HashTable(init.keySize, init.maxEntries, slots, freeSlots);
    this.elemSize = roundUp8(init.valueSize);
    this.copies = percpu ? init.nrCpus : 1;
    this.values = this.mapRegion(
      RegionKind.MAP_VALUE,
      new Uint8Array(slots * this.elemSize * this.copies),
      (init.flags & BPF_F_RDONLY_PROG) === 0,
      "map_value",
    );
    this.base = (BigInt(this.values.hi) << 32n) + BigInt(this.values.lo);
  }

  /** Elements in the map. */
  get count(): number {
    return this.table.count;
  }

  protected slotOffset(slot: number, cpu = 0): number {
    return (cpu * this.table.slots + slot) * this.elemSize;
  }

  /** The VM address of `slot`'s value (of CPU `cpu` for per-CPU types). */
  protected slotAddress(slot: number, cpu = 0): bigint {
    return this.base + BigInt(this.slotOffset(slot, cpu));
  }

  /** The value bytes (value_size of them) of `slot` for `cpu`. */
  protected slotValue(slot: number, cpu = 0): Uint8Array {
    const o = this.slotOffset(slot, cpu);
    return this.values.bytes.subarray(o, o + this.valueSize);
  }

  /** The value of `slot` as user space sees it (a copy). */
  protected userValue(slot: number): Uint8Array {
    return this.slotValue(slot).slice();
  }

  protected find(key: Uint8Array): number {
    return this.table.find(key, htabHash(key));
  }

  /** find() for the key at `off` of `bytes`. */
  protected findAt(bytes: Uint8Array, off: number): number {
    return this.table.findAt(bytes, off, htabHashAt(bytes, off, this.keySize));
  }

  protected override sysGetNextKey(key: Uint8Array | null): Uint8Array | number {
    return this.table.nextKey(key);
  }

  protected override sysLookup(key: Uint8Array): Uint8Array | number {
    const s = this.find(key);
    return s < 0 ? E.ENOENT : this.userValue(s);
  }

  /** Returns a slot unlinked by a delete to the pool. */
  protected releaseSlot(slot: number): void {
    this.table.pushFree(slot);
  }

  protected deleteKey(key: Uint8Array): number {
    const s = this.find(key);
    if (s < 0) return E.ENOENT;
    this.table.unlink(s);
    this.releaseSlot(s);
    return 0;
  }

  protected override sysDelete(key: Uint8Array): number {
    return this.deleteKey(key);
  }

  override progDelete(key: Uint8Array, _cpu: number): number {
    if (this.flags & BPF_F_RDONLY_PROG) return E.EACCES;
    return this.deleteKey(key);
  }

  protected override sysLookupAndDelete(key: Uint8Array): Uint8Array | number {
    const s = this.find(key);
    if (s < 0) return E.ENOENT;
    const v = this.userValue(s);
    this.table.unlink(s);
    this.releaseSlot(s);
    return v;
  }

  protected override sysLookupBatch(inBatch: Uint8Array | null, count: number, opts: BatchOptions, del: boolean): BatchResult {
    return this.table.batch(
      inBatch,
      count,
      opts,
      del,
      (s) => this.userValue(s),
      (s) => this.releaseSlot(s),
    );
  }

  protected override get hasGenericUpdateBatch(): boolean {
    return true;
  }

  protected override get hasGenericDeleteBatch(): boolean {
    return true;
  }

  /** Keys in iteration order (what a get_next_key walk from null returns). */
  keys(): Uint8Array[] {
    return this.table.allSlots().map((s) => this.table.keyAt(s));
  }
}

/** check_flags of hashtab.c: -EEXIST/-ENOENT for BPF_NOEXIST/BPF_EXIST, else 0. */
export function checkFlags(exists: boolean, flags: number): number {
  const f = flags & ~BPF_F_LOCK;
  if (exists && f === BPF_NOEXIST) return E.EEXIST;
  if (!exists && f === BPF_EXIST) return E.ENOENT;
  return 0;
}

/** BPF_MAP_TYPE_HASH. */
export class HashMap extends HashMapBase {
  /** Per-CPU spare element used to replace an existing key (htab->extra_elems). */
  private readonly extra: Int32Array;

  constructor(init: MapInit) {
    // max_entries slots on the free list plus one extra element per CPU.
    super(init, init.maxEntries + init.nrCpus, init.maxEntries, false);
    this.extra = new Int32Array(init.nrCpus);
    for (let c = 0; c < init.nrCpus; c++) this.extra[c] = init.maxEntries + c;
  }

  /** htab_map_update_elem. */
  private updateElem(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    if (!isU32(flags) || (flags & ~BPF_F_LOCK) > BPF_EXIST) return E.EINVAL;
    if (flags & BPF_F_LOCK) return E.EINVAL; // no bpf_spin_lock in any value
    const hash = htabHash(key);
    const old = this.table.find(key, hash);
    const err = checkFlags(old >= 0, flags);
    if (err) return err;
    let slot: number;
    if (old >= 0) {
      slot = this.extra[cpu]!;
      this.extra[cpu] = old;
    } else {
      slot = this.table.popFree();
      if (slot < 0) return E.E2BIG;
    }
    this.values.bytes.set(firstBytes(value, this.valueSize), this.slotOffset(slot));
    this.table.pushHead(slot, key, hash);
    if (old >= 0) this.table.unlink(old);
    return 0;
  }

  protected override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.updateElem(key, value, flags, 0);
  }

  override progLookup(key: Uint8Array, _cpu: number): bigint {
    const s = this.find(key);
    return s < 0 ? 0n : this.slotAddress(s);
  }

  override progLookupAddr(key: Uint8Array, _cpu: number, out: Int32Array): void {
    const s = this.find(key);
    regionAddrInto(this.values, s < 0 ? -1 : this.slotOffset(s), out);
  }

  override progLookupAddrAt(bytes: Uint8Array, off: number, _cpu: number, out: Int32Array): void {
    const s = this.findAt(bytes, off);
    regionAddrInto(this.values, s < 0 ? -1 : this.slotOffset(s), out);
  }

  override progUpdate(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    if (this.flags & BPF_F_RDONLY_PROG) return E.EACCES;
    if (!(cpu >= 0 && cpu < this.nrCpus)) return E.EINVAL;
    return this.updateElem(key, value, flags, cpu);
  }
}
