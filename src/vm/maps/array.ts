// BPF_MAP_TYPE_ARRAY (kernel/bpf/arraymap.c): max_entries preallocated,
// zero-initialized values indexed by a u32 key, all in one MAP_VALUE region
// (index i at i * round_up(value_size, 8)). Elements always exist: update
// with BPF_NOEXIST is -EEXIST, an index past the end is -E2BIG, delete is
// -EINVAL. Also the index helpers the other array-shaped maps share.
import { RegionKind, type Region } from "../memory.js";
import { BpfMap, type MapInit, regionAddrInto } from "./map.js";
import { type BatchOptions, type BatchResult, BPF_EXIST, BPF_F_LOCK, BPF_F_RDONLY_PROG, BPF_NOEXIST, E } from "./types.js";
import { firstBytes, isU32, readU32, roundUp8, u32Bytes } from "./util.js";

/** array_map_get_next_key: null or an out-of-range index -> 0, the last index -> -ENOENT, else index + 1. */
export function arrayNextKey(key: Uint8Array | null, maxEntries: number): Uint8Array | number {
  const index = key === null ? 0xffffffff : readU32(key);
  if (index >= maxEntries) return u32Bytes(0);
  if (index === maxEntries - 1) return E.ENOENT;
  return u32Bytes(index + 1);
}

/** The u32 index a 4-byte array key holds. */
export function arrayIndex(key: Uint8Array): number {
  return readU32(key);
}

/** array_map_update_elem's flag and index checks: 0 or the errno. */
export function arrayUpdateCheck(index: number, maxEntries: number, flags: number): number {
  if (!isU32(flags) || (flags & ~BPF_F_LOCK) > BPF_EXIST) return E.EINVAL;
  if (index >= maxEntries) return E.E2BIG;
  if (flags & BPF_NOEXIST) return E.EEXIST;
  if (flags & BPF_F_LOCK) return E.EINVAL; // no bpf_spin_lock in any value
  return 0;
}

export class ArrayMap extends BpfMap {
  /** Bytes per element: round_up(value_size, 8). */
  readonly elemSize: number;
  readonly values: Region;
  private readonly base: bigint;

  constructor(init: MapInit) {
    super(init);
    this.elemSize = roundUp8(init.valueSize);
    this.values = this.mapRegion(
      RegionKind.MAP_VALUE,
      new Uint8Array(init.maxEntries * this.elemSize),
      (init.flags & BPF_F_RDONLY_PROG) === 0,
      "map_value",
    );
    this.base = (BigInt(this.values.hi) << 32n) + BigInt(this.values.lo);
  }

  private valueAt(index: number): Uint8Array {
    const o = index * this.elemSize;
    return this.values.bytes.subarray(o, o + this.valueSize);
  }

  protected override sysLookup(key: Uint8Array): Uint8Array | number {
    const i = arrayIndex(key);
    return i >= this.maxEntries ? E.ENOENT : this.valueAt(i).slice();
  }

  private updateElem(key: Uint8Array, value: Uint8Array, flags: number): number {
    const i = arrayIndex(key);
    const err = arrayUpdateCheck(i, this.maxEntries, flags);
    if (err) return err;
    this.values.bytes.set(firstBytes(value, this.valueSize), i * this.elemSize);
    return 0;
  }

  protected override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.updateElem(key, value, flags);
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

  override progLookup(key: Uint8Array, _cpu: number): bigint {
    const i = arrayIndex(key);
    return i >= this.maxEntries ? 0n : this.base + BigInt(i * this.elemSize);
  }

  override progLookupAddr(key: Uint8Array, _cpu: number, out: Int32Array): void {
    const i = arrayIndex(key);
    regionAddrInto(this.values, i >= this.maxEntries ? -1 : i * this.elemSize, out);
  }

  /** The index read in place: no view of the key per lookup. */
  override progLookupAddrAt(bytes: Uint8Array, off: number, _cpu: number, out: Int32Array): void {
    const i = readU32(bytes, off);
    regionAddrInto(this.values, i >= this.maxEntries ? -1 : i * this.elemSize, out);
  }

  override progUpdate(key: Uint8Array, value: Uint8Array, flags: number, _cpu: number): number {
    if (this.flags & BPF_F_RDONLY_PROG) return E.EACCES;
    return this.updateElem(key, value, flags);
  }

  override progDelete(_key: Uint8Array, _cpu: number): number {
    return E.EINVAL;
  }
}
