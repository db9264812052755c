// The per-CPU map types: BPF_MAP_TYPE_PERCPU_ARRAY and
// BPF_MAP_TYPE_PERCPU_HASH. Each element has one value per possible CPU; a
// program sees (and its lookup returns the address of) its own CPU's copy,
// user space sees all of them at once: nrCpus * round_up(value_size, 8)
// bytes, CPU 0 first (bpf_percpu_*_copy / bpf_percpu_*_update copy the
// rounded size per CPU). A program's update writes value_size bytes of its
// CPU's copy; a program inserting a new hash element zeroes the other CPUs'
// copies (pcpu_init_value). Storage: one MAP_VALUE region, CPU-major.
import { RegionKind, type Region } from "../memory.js";
import { arrayIndex, arrayNextKey, arrayUpdateCheck } from "./array.js";
import { HashMapBase, checkFlags } from "./hash.js";
import { htabHash } from "./hash-table.js";
import { BpfMap, type MapInit, regionAddrInto } from "./map.js";
import { type BatchOptions, type BatchResult, BPF_EXIST, BPF_F_RDONLY_PROG, BPF_NOEXIST, E } from "./types.js";
import { firstBytes, isU32, readU32, roundUp8 } from "./util.js";

/** BPF_MAP_TYPE_PERCPU_ARRAY. */
export class PercpuArrayMap extends BpfMap {
  readonly elemSize: number;
  readonly values: Region;
  private readonly base: bigint;

  constructor(init: MapInit) {
    super(init);
    this.elemSize = roundUp8(init.valueSize);
    this.values = this.mapRegion(
      RegionKind.MAP_VALUE,
      new Uint8Array(init.nrCpus * init.maxEntries * this.elemSize),
      (init.flags & BPF_F_RDONLY_PROG) === 0,
      "map_value",
    );
    this.base = (BigInt(this.values.hi) << 32n) + BigInt(this.values.lo);
  }

  override get userValueSize(): number {
    return this.nrCpus * this.elemSize;
  }

  private offset(index: number, cpu: number): number {
    return (cpu * this.maxEntries + index) * this.elemSize;
  }

  /** bpf_percpu_array_copy. */
  protected override sysLookup(key: Uint8Array): Uint8Array | number {
    const i = arrayIndex(key);
    if (i >= this.maxEntries) return E.ENOENT;
    const out = new Uint8Array(this.userValueSize);
    for (let c = 0; c < this.nrCpus; c++) {
      const o = this.offset(i, c);
      out.set(this.values.bytes.subarray(o, o + this.elemSize), c * this.elemSize);
    }
    return out;
  }

  /** bpf_percpu_array_update. */
  protected override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    const i = arrayIndex(key);
    if (!isU32(flags) || flags > BPF_EXIST) return E.EINVAL;
    if (i >= this.maxEntries) return E.E2BIG;
    if (flags === BPF_NOEXIST) return E.EEXIST;
    for (let c = 0; c < this.nrCpus; c++) {
      this.values.bytes.set(value.subarray(c * this.elemSize, (c + 1) * this.elemSize), this.offset(i, c));
    }
    return 0;
  }

  protected override sysDelete(_key: Uint8Array): number {
    return E.EINVAL;
  }

  protected override sysGetNextKey(key: Uint8Array | null): Uint8Array | number {
    return arrayNextKey(key, this.maxEntries);
  }

  protected override sysLookupBatch(inBatch: Uint8Array | null, count: number, opts: BatchOptions, del: boolean): BatchResult {
    return this.genericLookupBatch(inBatch, count, opts, del);
  }

  protected override get hasGenericUpdateBatch(): boolean {
    return true;
  }

  override progLookup(key: Uint8Array, cpu: number): bigint {
    const i = arrayIndex(key);
    if (i >= this.maxEntries || !(cpu >= 0 && cpu < this.nrCpus)) return 0n;
    return this.base + BigInt(this.offset(i, cpu));
  }

  override progLookupAddrAt(bytes: Uint8Array, off: number, cpu: number, out: Int32Array): void {
    const i = readU32(bytes, off);
    regionAddrInto(this.values, i >= this.maxEntries || !(cpu >= 0 && cpu < this.nrCpus) ? -1 : this.offset(i, cpu), out);
  }

  override progLookupAddr(key: Uint8Array, cpu: number, out: Int32Array): void {
    const i = arrayIndex(key);
    regionAddrInto(this.values, i >= this.maxEntries || !(cpu >= 0 && cpu < this.nrCpus) ? -1 : this.offset(i, cpu), out);
  }

  /** array_map_update_elem on a per-CPU array: this CPU's copy only. */
  override progUpdate(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    if (this.flags & BPF_F_RDONLY_PROG) return E.EACCES;
    const i = arrayIndex(key);
    const err = arrayUpdateCheck(i, this.maxEntries, flags);
    if (err) return err;
    if (!(cpu >= 0 && cpu < this.nrCpus)) return E.EINVAL;
    this.values.bytes.set(firstBytes(value, this.valueSize), this.offset(i, cpu));
    return 0;
  }

  override progDelete(_key: Uint8Array, _cpu: number): number {
    return E.EINVAL;
  }
}

/** BPF_MAP_TYPE_PERCPU_HASH: a full map refuses new keys with -E2BIG; existing values are updated in place. */
export class PercpuHashMap extends HashMapBase {
  constructor(init: MapInit) {
    super(init, init.maxEntries, init.maxEntries, true);
  }

  override get userValueSize(): number {
    return this.nrCpus * this.elemSize;
  }

  /** bpf_percpu_hash_copy: every CPU's rounded value. */
  protected override userValue(slot: number): Uint8Array {
    const out = new Uint8Array(this.userValueSize);
    for (let c = 0; c < this.nrCpus; c++) {
      const o = this.slotOffset(slot, c);
      out.set(this.values.bytes.subarray(o, o + this.elemSize), c * this.elemSize);
    }
    return out;
  }

  /** __htab_percpu_map_update_elem; `cpu` < 0 means onallcpus (user space). */
  private updateElem(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    if (!isU32(flags) || flags > BPF_EXIST) return E.EINVAL;
    const hash = htabHash(key);
    const old = this.table.find(key, hash);
    const err = checkFlags(old >= 0, flags);
    if (err) return err;
    let slot = old;
    if (slot < 0) {
      slot = this.table.popFree();
      if (slot < 0) return E.E2BIG;
    }
    const bytes = this.values.bytes;
    if (cpu < 0) {
      for (let c = 0; c < this.nrCpus; c++) {
        bytes.set(value.subarray(c * this.elemSize, (c + 1) * this.elemSize), this.slotOffset(slot, c));
      }
    } else if (old >= 0) {
      bytes.set(firstBytes(value, this.valueSize), this.slotOffset(slot, cpu));
    } else {
      for (let c = 0; c < this.nrCpus; c++) {
        const o = this.slotOffset(slot, c);
        if (c === cpu) bytes.set(firstBytes(value, this.valueSize), o);
        else bytes.fill(0, o, o + this.valueSize);
      }
    }
    if (old < 0) this.table.pushHead(slot, key, hash);
    return 0;
  }

  protected override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.updateElem(key, value, flags, -1);
  }

  override progLookup(key: Uint8Array, cpu: number): bigint {
    const s = this.find(key);
    if (s < 0 || !(cpu >= 0 && cpu < this.nrCpus)) return 0n;
    return this.slotAddress(s, cpu);
  }

  override progLookupAddrAt(bytes: Uint8Array, off: number, cpu: number, out: Int32Array): void {
    const s = this.findAt(bytes, off);
    regionAddrInto(this.values, s < 0 || !(cpu >= 0 && cpu < this.nrCpus) ? -1 : this.slotOffset(s, cpu), out);
  }

  override progLookupAddr(key: Uint8Array, cpu: number, out: Int32Array): void {
    const s = this.find(key);
    regionAddrInto(this.values, s < 0 || !(cpu >= 0 && cpu < this.nrCpus) ? -1 : this.slotOffset(s, cpu), out);
  }

  override progUpdate(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    if (this.flags & BPF_F_RDONLY_PROG) return E.EACCES;
    if (!(cpu >= 0 && cpu < this.nrCpus)) return E.EINVAL;
    return this.updateElem(key, value, flags, cpu);
  }
}
