// The bucket structure shared by the hash map types (kernel/bpf/hashtab.c):
// roundup_pow_of_two(max_entries) buckets selected by jhash of the key with
// a zero seed, each a singly linked list with new elements added at the head;
// elements live in preallocated numbered slots taken from a LIFO free list
// (a deleted element's slot is the next one reused). Iteration
// (get_next_key) and the batch cursor (a bucket index) follow the kernel.
import { jhash, jhashAt } from "./jhash.js";
import { type BatchOptions, type BatchResult, BPF_F_LOCK, E } from "./types.js";
import { batchErr, userBytes } from "./map.js";
import { firstBytes, isU32, readU32, roundupPowOfTwo, writeU32 } from "./util.js";

/**
 * htab_map_hash with hashrnd 0 (as with BPF_F_ZERO_SEED). The kernel uses
 * jhash2 for keys of whole words; it gives the same value as jhash over the
 * same bytes (jhash.test.ts), so one byte-wise function serves both.
 */
export function htabHash(key: Uint8Array): number {
  return jhash(key, 0);
}

/** htabHash of the `len`-byte key at `off` of `bytes`. */
export function htabHashAt(bytes: Uint8Array, off: number, len: number): number {
  return jhashAt(bytes, off, len, 0);
}

export class HashTable {
  readonly nBuckets: number;
  readonly keySize: number;
  /** Number of slots (elements that can exist at once, including spare ones). */
  readonly slots: number;
  /** Elements currently linked in buckets. */
  count = 0;
  private readonly heads: Int32Array;
  private readonly next: Int32Array;
  private readonly hashes: Uint32Array;
  private readonly keys: Uint8Array;
  private readonly freeStack: Int32Array;
  private freeTop = 0;

  /**
   * `maxEntries` sizes the bucket array; `slots` is the slot count; slots
   * 0..freeSlots-1 start on the free list (slot 0 popped first), the rest
   * are spares the owner manages.
   */
  constructor(keySize: number, maxEntries: number, slots: number, freeSlots: number) {
    this.keySize = keySize;
    this.nBuckets = roundupPowOfTwo(maxEntries);
    this.slots = slots;
    this.heads = new Int32Array(this.nBuckets).fill(-1);
    this.next = new Int32Array(slots).fill(-1);
    this.hashes = new Uint32Array(slots);
    this.keys = new Uint8Array(slots * keySize);
    this.freeStack = new Int32Array(slots);
    for (let i = freeSlots - 1; i >= 0; i--) this.freeStack[this.freeTop++] = i;
  }

  bucketOf(hash: number): number {
    return hash & (this.nBuckets - 1);
  }

  /** The slot holding `key` (whose hash is `hash`), or -1. */
  find(key: Uint8Array, hash: number): number {
    return this.findAt(key, 0, hash);
  }

  /** find() for the key at `off` of `bytes` (keySize bytes there). */
  findAt(bytes: Uint8Array, off: number, hash: number): number {
    const ks = this.keySize;
    for (let s = this.heads[this.bucketOf(hash)]!; s >= 0; s = this.next[s]!) {
      if (this.hashes[s] !== hash) continue;
      const o = s * ks;
      let i = 0;
      while (i < ks && this.keys[o + i] === bytes[off + i]) i++;
      if (i === ks) return s;
    }
    return -1;
  }

  /** Links `slot` holding `key` at the head of its bucket. */
  pushHead(slot: number, key: Uint8Array, hash: number): void {
    this.keys.set(firstBytes(key, this.keySize), slot * this.keySize);
    this.hashes[slot] = hash;
    const b = this.bucketOf(hash);
    this.next[slot] = this.heads[b]!;
    this.heads[b] = slot;
    this.count++;
  }

  /** Unlinks `slot` from its bucket. */
  unlink(slot: number): void {
    const b = this.bucketOf(this.hashes[slot]!);
    let prev = -1;
    for (let s = this.heads[b]!; s >= 0; prev = s, s = this.next[s]!) {
      if (s !== slot) continue;
      if (prev < 0) this.heads[b] = this.next[s]!;
      else this.next[prev] = this.next[s]!;
      this.next[s] = -1;
      this.count--;
      return;
    }
  }

  /** A free slot, or -1. */
  popFree(): number {
    return this.freeTop === 0 ? -1 : this.freeStack[--this.freeTop]!;
  }

  pushFree(slot: number): void {
    this.freeStack[this.freeTop++] = slot;
  }

  get freeCount(): number {
    return this.freeTop;
  }

  /** A copy of the key in `slot`. */
  keyAt(slot: number): Uint8Array {
    return this.keys.slice(slot * this.keySize, (slot + 1) * this.keySize);
  }

  /** Slots of bucket `b`, head first. */
  bucketSlots(b: number): number[] {
    const out: number[] = [];
    for (let s = this.heads[b]!; s >= 0; s = this.next[s]!) out.push(s);
    return out;
  }

  /** Every linked slot in iteration order (bucket by bucket, head first). */
  allSlots(): number[] {
    const out: number[] = [];
    for (let b = 0; b < this.nBuckets; b++) for (let s = this.heads[b]!; s >= 0; s = this.next[s]!) out.push(s);
    return out;
  }

  /**
   * htab_map_get_next_key: the key after `key` in its bucket, else the first
   * key of the following non-empty bucket; an unknown key (or null) restarts
   * at the first key; -ENOENT after the last.
   */
  nextKey(key: Uint8Array | null): Uint8Array | number {
    let b = 0;
    if (key !== null) {
      const h = htabHash(key);
      const s = this.find(key, h);
      if (s >= 0) {
        const n = this.next[s]!;
        if (n >= 0) return this.keyAt(n);
        b = this.bucketOf(h) + 1;
      }
    }
    for (; b < this.nBuckets; b++) {
      const s = this.heads[b]!;
      if (s >= 0) return this.keyAt(s);
    }
    return E.ENOENT;
  }

  /**
   * __htab_map_lookup_and_delete_batch: copies whole buckets from the cursor
   * bucket on while they fit in `count`; -ENOSPC if the first non-empty
   * bucket does not fit; -ENOENT when the last bucket was passed. `value`
   * copies a slot's value as user space sees it; `free` releases a deleted
   * slot (called in reverse walk order, as the kernel frees its list).
   */
  batch(
    inBatch: Uint8Array | null,
    count: number,
    opts: BatchOptions,
    del: boolean,
    value: (slot: number) => Uint8Array,
    free: (slot: number) => void,
  ): BatchResult {
    const elemFlags = opts.elemFlags ?? 0;
    if (!isU32(elemFlags) || (elemFlags & ~BPF_F_LOCK) !== 0 || elemFlags & BPF_F_LOCK) return batchErr(E.EINVAL);
    if ((opts.flags ?? 0) !== 0) return batchErr(E.EINVAL);
    const res: BatchResult = { err: 0, count: 0, keys: [], values: [], outBatch: undefined };
    if (!isU32(count) || count === 0) return res;
    let batch = 0;
    if (inBatch !== null) {
      const b = userBytes(inBatch, 4);
      if (b === undefined) return batchErr(E.EFAULT);
      batch = readU32(b);
    }
    if (batch >= this.nBuckets) return batchErr(E.ENOENT);
    let err = 0;
    for (;;) {
      const slots = this.bucketSlots(batch);
      if (slots.length > count - res.count) {
        if (res.count === 0) err = E.ENOSPC;
        break;
      }
      if (slots.length === 0 && batch + 1 < this.nBuckets) {
        batch++;
        continue;
      }
      for (const s of slots) {
        res.keys.push(this.keyAt(s));
        res.values.push(value(s));
      }
      if (del) {
        for (const s of slots) this.unlink(s);
        for (let i = slots.length - 1; i >= 0; i--) free(slots[i]!);
      }
      res.count += slots.length;
      batch++;
      if (batch >= this.nBuckets) {
        err = E.ENOENT;
        break;
      }
    }
    res.err = err;
    const out = new Uint8Array(4);
    writeU32(out, 0, batch);
    res.outBatch = out;
    return res;
  }
}
