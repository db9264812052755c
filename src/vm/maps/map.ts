// The base of every map: its attributes, its object in the VM address space
// (a small read-only MAP_OBJECT region whose address lddw hands programs),
// and the syscall-side plumbing the kernel does before calling map ops
// (kernel/bpf/syscall.c: fd access mode and freeze checks, BPF_F_LOCK
// rejection, copying keys/values from user memory, the generic batch loops).
// Subclasses implement the per-type ops (the sys* and prog* hooks).
//
// User-space operations use the syscall's CPU 0 wherever a CPU matters
// (per-CPU extra elements of hash maps); programs pass env.cpu().
import { type AddressSpace, type Region, RegionKind, regionAddress } from "../memory.js";
import {
  BPF_F_LOCK,
  BPF_F_RDONLY,
  BPF_F_WRONLY,
  BPF_OBJ_NAME_LEN,
  type BatchCount,
  type BatchOptions,
  type BatchResult,
  E,
  MAP_TYPE_NAMES,
} from "./types.js";
import { isU32, writeU32 } from "./util.js";

/** Validated attributes a map is built from (create.ts produces them). */
export interface MapInit {
  readonly mem: AddressSpace;
  readonly nrCpus: number;
  /** Map id (0 when no registry assigned one). */
  readonly id: number;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  /** All creation flags, including the fd-only BPF_F_RDONLY/BPF_F_WRONLY. */
  readonly flags: number;
  readonly name: string;
}

/** Size of the MAP_OBJECT region; see BpfMap.object for its layout. */
export const MAP_OBJECT_SIZE = 64;

/** What BPF_OBJ_GET_INFO_BY_FD reports about a map. */
export interface MapInfo {
  type: number;
  id: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  name: string;
  frozen: boolean;
}

export abstract class BpfMap {
  readonly id: number;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  /** Creation flags kept on the map object (BPF_F_RDONLY/WRONLY belong to the fd and are dropped, as bpf_map_flags_retain_permanent does). */
  readonly flags: number;
  readonly name: string;
  readonly nrCpus: number;
  /**
   * The map object programs get from lddw: 64 read-only bytes laid out as
   * u32 map_type, key_size, value_size, max_entries, map_flags, id at 0..23
   * and the NUL-padded name at 24..39 (a layout of this model, not struct bpf_map's).
   */
  readonly object: Region;
  protected readonly mem: AddressSpace;
  private readonly regions: Region[] = [];
  private readonly canRead: boolean;
  private readonly canWrite: boolean;
  private frozenFlag = false;
  private destroyedFlag = false;

  constructor(init: MapInit) {
    this.mem = init.mem;
    this.id = init.id;
    this.type = init.type;
    this.keySize = init.keySize;
    this.valueSize = init.valueSize;
    this.maxEntries = init.maxEntries;
    this.flags = init.flags & ~(BPF_F_RDONLY | BPF_F_WRONLY);
    this.name = init.name;
    this.nrCpus = init.nrCpus;
    this.canRead = (init.flags & BPF_F_WRONLY) === 0;
    this.canWrite = (init.flags & BPF_F_RDONLY) === 0;
    const obj = new Uint8Array(MAP_OBJECT_SIZE);
    writeU32(obj, 0, this.type);
    writeU32(obj, 4, this.keySize);
    writeU32(obj, 8, this.valueSize);
    writeU32(obj, 12, this.maxEntries);
    writeU32(obj, 16, this.flags);
    writeU32(obj, 20, this.id);
    const name = new TextEncoder().encode(this.name);
    obj.set(name.subarray(0, BPF_OBJ_NAME_LEN - 1), 24);
    this.object = this.mapRegion(RegionKind.MAP_OBJECT, obj, false, "");
  }

  /** The address lddw gives programs for this map. */
  get address(): bigint {
    return regionAddress(this.object);
  }

  /** bpftool's name of the map type, e.g. "hash". */
  get typeName(): string {
    return MAP_TYPE_NAMES[this.type] ?? `type ${this.type}`;
  }

  /** Size of one value as user space passes and receives it (bpf_map_value_size). */
  get userValueSize(): number {
    return this.valueSize;
  }

  get frozen(): boolean {
    return this.frozenFlag;
  }

  get destroyed(): boolean {
    return this.destroyedFlag;
  }

  info(): MapInfo {
    return {
      type: this.type,
      id: this.id,
      keySize: this.keySize,
      valueSize: this.valueSize,
      maxEntries: this.maxEntries,
      flags: this.flags,
      name: this.name,
      frozen: this.frozenFlag,
    };
  }

  /** Maps a region owned by this map; `what` prefixes the label ("" for the map object itself). */
  protected mapRegion(kind: RegionKind, bytes: Uint8Array, writable: boolean, what: string): Region {
    const who = `map ${this.id} '${this.name}'`;
    const r = this.mem.map(kind, bytes, { writable, label: what === "" ? who : `${what} of ${who}` });
    this.regions.push(r);
    return r;
  }

  /** Unmaps every region of the map (the map is freed; later program accesses fault). */
  destroy(): void {
    if (this.destroyedFlag) return;
    this.destroyedFlag = true;
    for (const r of this.regions) this.mem.unmap(r);
    this.regions.length = 0;
  }

  // ---- syscall side ----------------------------------------------------------------------

  /** BPF_MAP_FREEZE: user space can no longer write the map (programs still can). */
  freeze(): number {
    if (!this.canWrite) return E.EPERM;
    if (this.frozenFlag) return E.EBUSY;
    this.frozenFlag = true;
    return 0;
  }

  private get writable(): boolean {
    return this.canWrite && !this.frozenFlag;
  }

  /** BPF_MAP_LOOKUP_ELEM: a copy of the value (userValueSize bytes) or an errno. */
  lookup(key: Uint8Array, flags = 0): Uint8Array | number {
    if (!isU32(flags) || (flags & ~BPF_F_LOCK) !== 0) return E.EINVAL;
    if (!this.canRead) return E.EPERM;
    if (flags & BPF_F_LOCK) return E.EINVAL; // no value has a bpf_spin_lock here
    const k = userBytes(key, this.keySize);
    if (k === undefined) return E.EFAULT;
    return this.sysLookup(k);
  }

  /** BPF_MAP_UPDATE_ELEM with BPF_ANY/BPF_NOEXIST/BPF_EXIST. */
  update(key: Uint8Array, value: Uint8Array, flags = 0): number {
    if (!this.writable) return E.EPERM;
    if (!isU32(flags)) return E.EINVAL; // every map rejects bits above BPF_F_LOCK
    if (flags & BPF_F_LOCK) return E.EINVAL;
    const k = userBytes(key, this.keySize);
    if (k === undefined) return E.EFAULT;
    const v = userBytes(value, this.userValueSize);
    if (v === undefined) return E.EFAULT;
    return this.sysUpdate(k, v, flags);
  }

  /** BPF_MAP_DELETE_ELEM. */
  delete(key: Uint8Array): number {
    if (!this.writable) return E.EPERM;
    const k = userBytes(key, this.keySize);
    if (k === undefined) return E.EFAULT;
    return this.sysDelete(k);
  }

  /** BPF_MAP_GET_NEXT_KEY: the key after `key` (null: the first key) or an errno (-ENOENT at the end). */
  getNextKey(key: Uint8Array | null): Uint8Array | number {
    if (!this.canRead) return E.EPERM;
    let k: Uint8Array | null = null;
    if (key !== null) {
      const kk = userBytes(key, this.keySize);
      if (kk === undefined) return E.EFAULT;
      k = kk;
    }
    return this.sysGetNextKey(k);
  }

  /** BPF_MAP_LOOKUP_AND_DELETE_ELEM (hash maps only; others -ENOTSUPP). */
  lookupAndDelete(key: Uint8Array, flags = 0): Uint8Array | number {
    if (!isU32(flags) || (flags & ~BPF_F_LOCK) !== 0) return E.EINVAL;
    if (!this.canRead || !this.writable) return E.EPERM;
    if (flags & BPF_F_LOCK) return E.EINVAL;
    const k = userBytes(key, this.keySize);
    if (k === undefined) return E.EFAULT;
    return this.sysLookupAndDelete(k);
  }

  /**
   * BPF_MAP_LOOKUP_BATCH: up to `count` entries after the cursor `inBatch`
   * (null: from the start). Pass the result's outBatch as the next inBatch.
   */
  lookupBatch(inBatch: Uint8Array | null, count: number, opts: BatchOptions = {}): BatchResult {
    if (!this.canRead) return batchErr(E.EPERM);
    return this.sysLookupBatch(inBatch, count, opts, false);
  }

  /** BPF_MAP_LOOKUP_AND_DELETE_BATCH: as lookupBatch, deleting what it returns. */
  lookupAndDeleteBatch(inBatch: Uint8Array | null, count: number, opts: BatchOptions = {}): BatchResult {
    if (!this.canRead || !this.writable) return batchErr(E.EPERM);
    return this.sysLookupBatch(inBatch, count, opts, true);
  }

  /** BPF_MAP_UPDATE_BATCH: updates keys[i] = values[i] in order, stopping at the first error. */
  updateBatch(keys: readonly Uint8Array[], values: readonly Uint8Array[], opts: BatchOptions = {}): BatchCount {
    if (!this.writable) return { err: E.EPERM, count: 0 };
    if (!this.hasGenericUpdateBatch) return { err: E.ENOTSUPP, count: 0 };
    const elemFlags = opts.elemFlags ?? 0;
    if (!isU32(elemFlags) || (elemFlags & ~BPF_F_LOCK) !== 0 || elemFlags & BPF_F_LOCK) return { err: E.EINVAL, count: 0 };
    const n = Math.min(keys.length, values.length);
    let cp = 0;
    let err = 0;
    for (; cp < n; cp++) {
      const k = userBytes(keys[cp]!, this.keySize);
      const v = userBytes(values[cp]!, this.userValueSize);
      if (k === undefined || v === undefined) {
        err = E.EFAULT;
        break;
      }
      err = this.sysUpdate(k, v, elemFlags);
      if (err) break;
    }
    return { err, count: cp };
  }

  /** BPF_MAP_DELETE_BATCH: deletes keys in order, stopping at the first error (e.g. -ENOENT). */
  deleteBatch(keys: readonly Uint8Array[], opts: BatchOptions = {}): BatchCount {
    if (!this.writable) return { err: E.EPERM, count: 0 };
    if (!this.hasGenericDeleteBatch) return { err: E.ENOTSUPP, count: 0 };
    const elemFlags = opts.elemFlags ?? 0;
    if (!isU32(elemFlags) || (elemFlags & ~BPF_F_LOCK) !== 0 || elemFlags & BPF_F_LOCK) return { err: E.EINVAL, count: 0 };
    let cp = 0;
    let err = 0;
    for (; cp < keys.length; cp++) {
      const k = userBytes(keys[cp]!, this.keySize);
      if (k === undefined) {
        err = E.EFAULT;
        break;
      }
      err = this.sysDelete(k);
      if (err) break;
    }
    return { err, count: cp };
  }

  // ---- per-type ops (syscall side) ----------------------------------------------------------

  protected abstract sysLookup(key: Uint8Array): Uint8Array | number;
  protected abstract sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number;
  protected abstract sysDelete(key: Uint8Array): number;
  protected abstract sysGetNextKey(key: Uint8Array | null): Uint8Array | number;

  protected sysLookupAndDelete(_key: Uint8Array): Uint8Array | number {
    return E.ENOTSUPP;
  }

  /** The map's batch lookup (default: none, -ENOTSUPP). */
  protected sysLookupBatch(_inBatch: Uint8Array | null, _count: number, _opts: BatchOptions, _del: boolean): BatchResult {
    return batchErr(E.ENOTSUPP);
  }

  /** Whether BPF_MAP_UPDATE_BATCH is generic_map_update_batch for this type. */
  protected get hasGenericUpdateBatch(): boolean {
    return false;
  }

  /** Whether BPF_MAP_DELETE_BATCH is generic_map_delete_batch for this type. */
  protected get hasGenericDeleteBatch(): boolean {
    return false;
  }

  /**
   * generic_map_lookup_batch: walks get_next_key from the cursor (a key),
   * copying values; the cursor out is the last key copied.
   */
  protected genericLookupBatch(inBatch: Uint8Array | null, count: number, opts: BatchOptions, del: boolean): BatchResult {
    if (del) return batchErr(E.ENOTSUPP);
    const elemFlags = opts.elemFlags ?? 0;
    if (!isU32(elemFlags) || (elemFlags & ~BPF_F_LOCK) !== 0 || elemFlags & BPF_F_LOCK) return batchErr(E.EINVAL);
    const res: BatchResult = { err: 0, count: 0, keys: [], values: [], outBatch: undefined };
    if (!isU32(count) || count === 0) return res;
    let prev: Uint8Array | null = null;
    if (inBatch !== null) {
      const b = userBytes(inBatch, this.keySize);
      if (b === undefined) return batchErr(E.EFAULT);
      prev = b.slice();
    }
    let err = 0;
    while (res.count < count) {
      const next = this.sysGetNextKey(prev);
      if (typeof next === "number") {
        err = next;
        break;
      }
      const v = this.sysLookup(next);
      if (typeof v === "number") {
        if (v !== E.ENOENT) return { ...batchErr(v) };
      } else {
        res.keys.push(next);
        res.values.push(v);
        res.count++;
      }
      prev = next;
    }
    res.err = err;
    if (res.count > 0 && prev !== null) res.outBatch = prev.slice();
    return res;
  }

  // ---- program side ----------------------------------------------------------------

  /** bpf_map_lookup_elem from a program: the VM address of the value, or 0n. */
  progLookup(_key: Uint8Array, _cpu: number): bigint {
    return 0n;
  }

  /**
   * progLookup without a BigInt: the value's address as halves in out[0]
   * (lo) and out[1] (hi), both 0 for NULL. Maps whose values sit in one
   * region compute it from the region; the rest convert progLookup's.
   */
  progLookupAddr(key: Uint8Array, cpu: number, out: Int32Array): void {
    U64_BOX[0] = this.progLookup(key, cpu);
    out[0] = U64_HALVES[0]!;
    out[1] = U64_HALVES[1]!;
  }

  /** progLookupAddr with the key at `off` of `bytes` (key_size bytes there). */
  progLookupAddrAt(bytes: Uint8Array, off: number, cpu: number, out: Int32Array): void {
    this.progLookupAddr(bytes.subarray(off, off + this.keySize), cpu, out);
  }

  /** bpf_map_update_elem from a program (the verifier rejects it on maps that return -EOPNOTSUPP here). */
  progUpdate(_key: Uint8Array, _value: Uint8Array, _flags: number, _cpu: number): number {
    return E.EOPNOTSUPP;
  }

  /** bpf_map_delete_elem from a program. */
  progDelete(_key: Uint8Array, _cpu: number): number {
    return E.EOPNOTSUPP;
  }
}

const U64_BOX = new BigUint64Array(1);
const U64_HALVES = new Int32Array(U64_BOX.buffer);

/** out = the address of byte `offset` of `r` as (lo, hi) halves (a region never crosses a 4 GiB boundary), or 0, 0 for offset < 0. */
export function regionAddrInto(r: Region, offset: number, out: Int32Array): void {
  if (offset < 0) {
    out[0] = out[1] = 0;
    return;
  }
  out[0] = (r.lo + offset) | 0;
  out[1] = r.hi | 0;
}

/** The first `size` bytes of a user buffer, or undefined if it is shorter (copy_from_user faults). */
export function userBytes(buf: Uint8Array, size: number): Uint8Array | undefined {
  if (buf.length < size) return undefined;
  return buf.length === size ? buf : buf.subarray(0, size);
}

export function batchErr(err: number): BatchResult {
  return { err, count: 0, keys: [], values: [], outBatch: undefined };
}
