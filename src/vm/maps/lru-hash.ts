// BPF_MAP_TYPE_LRU_HASH: a hash map that, when full, makes room for a new
// key by evicting the least recently used element instead of failing.
// Recency is exact here: inserting or replacing a key (from a program or
// user space) and a program's lookup make the element the most recently
// used; user-space lookups and iteration do not (the kernel's
// htab_lru_map_lookup_elem_sys does not set the ref bit either). Like the
// kernel, a replace links a new element at the bucket head; one spare slot
// makes replacing possible without evicting. Evictions are counted.
import { HashMapBase, checkFlags } from "./hash.js";
import { htabHash } from "./hash-table.js";
import { type MapInit, regionAddrInto } from "./map.js";
import { BPF_EXIST, BPF_F_RDONLY_PROG, E } from "./types.js";
import { firstBytes, isU32 } from "./util.js";

export class LruHashMap extends HashMapBase {
  /** Elements evicted to make room for new keys. */
  evictions = 0;
  /** Doubly linked recency list over slots: head = most recently used. */
  private readonly newer: Int32Array;
  private readonly older: Int32Array;
  private mru = -1;
  private lru = -1;

  constructor(init: MapInit) {
    super(init, init.maxEntries + 1, init.maxEntries + 1, false);
    this.newer = new Int32Array(init.maxEntries + 1).fill(-1);
    this.older = new Int32Array(init.maxEntries + 1).fill(-1);
  }

  private listRemove(s: number): void {
    const n = this.newer[s]!;
    const o = this.older[s]!;
    if (n >= 0) this.older[n] = o;
    else this.mru = o;
    if (o >= 0) this.newer[o] = n;
    else this.lru = n;
    this.newer[s] = -1;
    this.older[s] = -1;
  }

  private listPushMru(s: number): void {
    this.newer[s] = -1;
    this.older[s] = this.mru;
    if (this.mru >= 0) this.newer[this.mru] = s;
    this.mru = s;
    if (this.lru < 0) this.lru = s;
  }

  /** Marks `slot` most recently used. */
  private touch(s: number): void {
    if (this.mru === s) return;
    this.listRemove(s);
    this.listPushMru(s);
  }

  protected override releaseSlot(slot: number): void {
    this.listRemove(slot);
    this.table.pushFree(slot);
  }

  /** htab_lru_map_update_elem (with an exact LRU). */
  private updateElem(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (!isU32(flags) || flags > BPF_EXIST) return E.EINVAL;
    const hash = htabHash(key);
    const old = this.table.find(key, hash);
    const err = checkFlags(old >= 0, flags);
    if (err) return err;
    if (old < 0 && this.table.count >= this.maxEntries) {
      const victim = this.lru;
      this.table.unlink(victim);
      this.releaseSlot(victim);
      this.evictions++;
    }
    const slot = this.table.popFree();
    this.values.bytes.set(firstBytes(value, this.valueSize), this.slotOffset(slot));
    this.table.pushHead(slot, key, hash);
    this.listPushMru(slot);
    if (old >= 0) {
      this.table.unlink(old);
      this.releaseSlot(old);
    }
    return 0;
  }

  protected override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.updateElem(key, value, flags);
  }

  override progLookup(key: Uint8Array, _cpu: number): bigint {
    const s = this.find(key);
    if (s < 0) return 0n;
    this.touch(s);
    return this.slotAddress(s);
  }

  override progLookupAddr(key: Uint8Array, _cpu: number, out: Int32Array): void {
    const s = this.find(key);
    if (s >= 0) this.touch(s);
    regionAddrInto(this.values, s < 0 ? -1 : this.slotOffset(s), out);
  }

  override progLookupAddrAt(bytes: Uint8Array, off: number, _cpu: number, out: Int32Array): void {
    const s = this.findAt(bytes, off);
    if (s >= 0) this.touch(s);
    regionAddrInto(this.values, s < 0 ? -1 : this.slotOffset(s), out);
  }

  override progUpdate(key: Uint8Array, value: Uint8Array, flags: number, _cpu: number): number {
    if (this.flags & BPF_F_RDONLY_PROG) return E.EACCES;
    return this.updateElem(key, value, flags);
  }

  /** Keys from least to most recently used (the eviction order). */
  lruOrder(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let s = this.lru; s >= 0; s = this.newer[s]!) out.push(this.table.keyAt(s));
    return out;
  }
}
