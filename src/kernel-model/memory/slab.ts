// Slab caches (kmem_cache) on top of the kernel address space, shaped like
// SLUB with slub_debug=P (poisoning):
// - a cache has an object size and alignment (at least 8) and a stride of
//   the size rounded up to the alignment; slabs are runs of pages from the
//   direct map holding floor(slab bytes / stride) objects;
// - a new slab's objects are handed out in ascending address order; a freed
//   object goes to the head of the freelist, so the next alloc reuses the
//   most recently freed object (LIFO), as SLUB's per-cpu freelist does;
// - only allocated objects are mapped: a probe_read touching a free object
//   (never allocated, or freed) faults with -EFAULT. Real SLUB memory stays
//   mapped after kfree and probe_read would return poison; the model unmaps
//   instead so that use-after-free reads are visible as -EFAULT (and are
//   counted per cache, see KmemCache.stats.uafReads);
// - free objects are poisoned as SLUB's init_object(): POISON_FREE (0x6b) in
//   every byte but the last, POISON_END (0xa5) in the last. peek() shows it;
// - alloc with zero (kzalloc/__GFP_ZERO) clears the object; without it the
//   object keeps what it held while free (the poison, or with poisoning off
//   the previous owner's bytes).
import { BtfsnoopError } from "../../internal/errors.js";
import { type AddressSpace, type PageAllocator, PAGE_SIZE, hex } from "./address-space.js";

/** SLUB POISON_FREE: the bytes of a free object. */
export const POISON_FREE = 0x6b;
/** SLUB POISON_END: the last byte of a free object. */
export const POISON_END = 0xa5;
/** Minimum object alignment (ARCH_SLAB_MINALIGN / sizeof(void *)). */
export const MIN_SLAB_ALIGN = 8;

export interface KmemCacheOptions {
  /** Object alignment (a power of two); raised to at least 8. */
  align?: number;
  /** Poison free objects (default true). */
  poison?: boolean;
}

export interface KmemCacheStats {
  /** Objects currently allocated. */
  active: number;
  /** Objects in all slabs (allocated and free). */
  total: number;
  slabs: number;
  allocs: number;
  frees: number;
  /** Faulting kernel reads that touched a freed object of this cache. */
  uafReads: number;
  /** Model writes attempted to a freed object of this cache (each also threw). */
  uafWrites: number;
}

/** One slab: a run of pages of one cache. */
export interface Slab {
  start: bigint;
  end: bigint;
  /** Slot of the slab's first object (slab number × objects per slab). */
  firstSlot: number;
}

/** An object's state by slot (slab number × objects per slab + index): never allocated, allocated, or freed (and not reallocated since). */
const NEVER = 0;
const LIVE = 1;
const FREED = 2;

/** One slab cache (kmem_cache_create). */
export class KmemCache {
  readonly name: string;
  /** Object size in bytes (s->object_size). */
  readonly objectSize: number;
  /** Object alignment, at least 8. */
  readonly align: number;
  /** Distance between objects: objectSize rounded up to align (s->size). */
  readonly stride: number;
  /** Pages per slab. */
  readonly slabPages: number;
  /** Objects per slab. */
  readonly objectsPerSlab: number;
  readonly poison: boolean;
  /** Offset of an object's last byte (POISON_END goes there). */
  private readonly lastByte: bigint;
  readonly stats: KmemCacheStats = { active: 0, total: 0, slabs: 0, allocs: 0, frees: 0, uafReads: 0, uafWrites: 0 };

  private readonly space: AddressSpace;
  private readonly pages: PageAllocator;
  /** Free objects; the end of the array is the head (next to be allocated). */
  private readonly freelist: bigint[] = [];
  /** The slot of each freelist entry (pushed and popped with it). */
  private readonly freeSlots: number[] = [];
  /**
   * Each object's state (NEVER, LIVE, FREED) by slot: an array indexed by
   * number, not a map keyed by bigint address (hashing a bigint per alloc
   * and free cost more than the rest of both).
   */
  private states = new Uint8Array(0);
  /** Slabs in address order (pages come from a bump allocator). */
  private readonly slabs: Slab[] = [];
  private readonly onNewSlab: (cache: KmemCache, slab: Slab) => void;

  /** @internal made by SlabAllocator.createCache */
  constructor(name: string, size: number, space: AddressSpace, pages: PageAllocator, options: KmemCacheOptions, onNewSlab: (cache: KmemCache, slab: Slab) => void) {
    if (!Number.isInteger(size) || size <= 0) throw new BtfsnoopError("EINVAL", `kmem_cache_create(${name}): bad object size ${size}`);
    const align = Math.max(MIN_SLAB_ALIGN, options.align ?? MIN_SLAB_ALIGN);
    if ((align & (align - 1)) !== 0) throw new BtfsnoopError("EINVAL", `kmem_cache_create(${name}): alignment ${align} is not a power of two`);
    this.name = name;
    this.objectSize = size;
    this.align = align;
    this.stride = Math.ceil(size / align) * align;
    // Aim for 16 objects per slab, at most 8 pages (order 3), at least one object.
    const want = Math.ceil((this.stride * 16) / PAGE_SIZE);
    this.slabPages = Math.max(1, Math.min(8, want), Math.ceil(this.stride / PAGE_SIZE));
    this.objectsPerSlab = Math.floor((this.slabPages * PAGE_SIZE) / this.stride);
    this.poison = options.poison ?? true;
    this.lastByte = BigInt(size - 1);
    this.space = space;
    this.pages = pages;
    this.onNewSlab = onNewSlab;
  }

  /** Allocates an object (kmem_cache_alloc; `zero` = kmem_cache_zalloc); returns its address, aligned to `align`. */
  alloc(zero = false): bigint {
    if (this.freelist.length === 0) this.grow();
    const addr = this.freelist.pop()!;
    this.states[this.freeSlots.pop()!] = LIVE;
    // A free object is wholly unmapped, so mapping it zero-filled zeroes every byte (kzalloc).
    this.space.map(addr, this.objectSize, zero ? 0 : undefined);
    this.stats.active++;
    this.stats.allocs++;
    return addr;
  }

  /** Frees an object (kmem_cache_free): poisons it, unmaps it, puts it at the freelist head. Throws EINVAL for double frees and foreign pointers. */
  free(addr: bigint): void {
    const slab = this.slabOf(addr);
    this.freeIn(addr, slab === undefined ? -1 : this.slotIn(slab, addr));
  }

  /** free() of an object whose slot (or -1: not an object start of this cache) the caller found. */
  freeIn(addr: bigint, slot: number): void {
    const st = slot < 0 ? NEVER : this.states[slot]!;
    if (st !== LIVE) {
      if (st === FREED) throw new BtfsnoopError("EINVAL", `kmem_cache_free(${this.name}): double free of ${hex(addr)}`);
      throw new BtfsnoopError("EINVAL", `kmem_cache_free(${this.name}): ${hex(addr)} is not an allocated object of this cache`);
    }
    this.states[slot] = FREED;
    this.poisonObject(addr);
    this.space.unmap(addr, this.objectSize);
    this.freelist.push(addr);
    this.freeSlots.push(slot);
    this.stats.active--;
    this.stats.frees++;
  }

  /** The slot of the object starting at `addr` in `slab`, or -1 if no object starts there. */
  slotIn(slab: Slab, addr: bigint): number {
    const off = Number(addr - slab.start);
    const index = Math.floor(off / this.stride);
    return off % this.stride === 0 && index < this.objectsPerSlab ? slab.firstSlot + index : -1;
  }

  /** The slab of this cache holding addr (binary search: slabs are in address order). */
  private slabOf(addr: bigint): Slab | undefined {
    const slabs = this.slabs;
    let lo = 0;
    let hi = slabs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = slabs[mid]!;
      if (addr < s.start) hi = mid - 1;
      else if (addr >= s.end) lo = mid + 1;
      else return s;
    }
    return undefined;
  }

  /** Whether addr is the start of an allocated object. */
  isLive(addr: bigint): boolean {
    const slab = this.slabOf(addr);
    const slot = slab === undefined ? -1 : this.slotIn(slab, addr);
    return slot >= 0 && this.states[slot] === LIVE;
  }

  /** Whether addr lies in one of this cache's slabs. */
  owns(addr: bigint): boolean {
    return this.slabOf(addr) !== undefined;
  }

  /** The object containing addr (its start), live or free, if addr lies inside an object of this cache. */
  objectAt(addr: bigint): { start: bigint; live: boolean; freed: boolean } | undefined {
    const slab = this.slabOf(addr);
    if (!slab) return undefined;
    const index = (addr - slab.start) / BigInt(this.stride);
    if (index >= BigInt(this.objectsPerSlab)) return undefined;
    const start = slab.start + index * BigInt(this.stride);
    if (addr >= start + BigInt(this.objectSize)) return undefined; // in the padding
    const st = this.states[slab.firstSlot + Number(index)];
    return { start, live: st === LIVE, freed: st === FREED };
  }

  /** Allocated objects in address order. */
  liveObjects(): bigint[] {
    const out: bigint[] = [];
    for (const slab of this.slabs) {
      for (let i = 0; i < this.objectsPerSlab; i++) if (this.states[slab.firstSlot + i] === LIVE) out.push(slab.start + BigInt(i * this.stride));
    }
    return out;
  }

  private poisonObject(addr: bigint): void {
    if (!this.poison) return;
    this.space.fillRaw(addr, this.objectSize - 1, POISON_FREE);
    this.space.fillRaw(addr + this.lastByte, 1, POISON_END);
  }

  private grow(): void {
    const start = this.pages.allocPages(this.slabPages);
    const end = start + BigInt(this.slabPages * PAGE_SIZE);
    const firstSlot = this.slabs.length * this.objectsPerSlab;
    const slab: Slab = { start, end, firstSlot };
    this.slabs.push(slab);
    if (firstSlot + this.objectsPerSlab > this.states.length) {
      const grown = new Uint8Array(Math.max(64, (firstSlot + this.objectsPerSlab) * 2));
      grown.set(this.states);
      this.states = grown;
    }
    this.onNewSlab(this, slab);
    for (let i = this.objectsPerSlab - 1; i >= 0; i--) {
      const addr = start + BigInt(i * this.stride);
      this.poisonObject(addr);
      this.freelist.push(addr);
      this.freeSlots.push(firstSlot + i);
    }
    this.stats.slabs++;
    this.stats.total += this.objectsPerSlab;
  }
}

/** kmalloc size classes (kmalloc-8 ... kmalloc-8k, with kmalloc-96/192). */
export const KMALLOC_SIZES = [8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192] as const;

/** The set of slab caches of the model kernel, plus kmalloc. */
export class SlabAllocator {
  private readonly space: AddressSpace;
  private readonly pages: PageAllocator;
  private readonly caches = new Map<string, KmemCache>();
  /** Slabs by start address, to find the cache of an address. */
  private readonly slabIndex: { start: bigint; end: bigint; cache: KmemCache; slab: Slab }[] = [];
  /** The kmalloc-N caches by size class index (no name built per kmalloc). */
  private readonly kmallocCaches: (KmemCache | undefined)[] = [];
  /** Total faulting kernel reads that touched freed objects. */
  uafReads = 0;

  constructor(space: AddressSpace, pages: PageAllocator) {
    this.space = space;
    this.pages = pages;
  }

  /** kmem_cache_create: a new cache; EEXIST if the name is taken. */
  createCache(name: string, size: number, options: KmemCacheOptions = {}): KmemCache {
    if (this.caches.has(name)) throw new BtfsnoopError("EEXIST", `kmem_cache_create(${name}): a cache with this name exists`);
    const cache = new KmemCache(name, size, this.space, this.pages, options, (c, slab) => {
      this.slabIndex.push({ start: slab.start, end: slab.end, cache: c, slab }); // slabs come from a bump allocator: pushed in address order
    });
    this.caches.set(name, cache);
    return cache;
  }

  /** The cache with this name, if any. */
  cache(name: string): KmemCache | undefined {
    return this.caches.get(name);
  }

  /** All caches in creation order. */
  allCaches(): KmemCache[] {
    return [...this.caches.values()];
  }

  /** The cache whose slab holds addr, if any. */
  cacheOf(addr: bigint): KmemCache | undefined {
    return this.slabEntry(addr)?.cache;
  }

  /** The slab holding addr and its cache (binary search over every slab, in address order). */
  private slabEntry(addr: bigint): { start: bigint; end: bigint; cache: KmemCache; slab: Slab } | undefined {
    let lo = 0;
    let hi = this.slabIndex.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.slabIndex[mid]!;
      if (addr < s.start) hi = mid - 1;
      else if (addr >= s.end) lo = mid + 1;
      else return s;
    }
    return undefined;
  }

  /** kmalloc: an object from the smallest kmalloc-N cache that fits `size`; E2BIG beyond 8 KiB. */
  kmalloc(size: number, zero = false): bigint {
    const cls = KMALLOC_SIZES.find((s) => s >= size);
    if (cls === undefined || size <= 0) throw new BtfsnoopError(size <= 0 ? "EINVAL" : "E2BIG", `kmalloc(${size}): size out of range (1..${KMALLOC_SIZES[KMALLOC_SIZES.length - 1]})`);
    const i = KMALLOC_SIZES.indexOf(cls);
    let cache = this.kmallocCaches[i];
    if (cache === undefined) {
      const name = `kmalloc-${cls >= 1024 ? `${cls / 1024}k` : cls}`;
      this.kmallocCaches[i] = cache = this.caches.get(name) ?? this.createCache(name, cls);
    }
    return cache.alloc(zero);
  }

  /** kfree: frees an object of any cache by address (the object's start). EINVAL for addresses not in a slab. */
  kfree(addr: bigint): void {
    const e = this.slabEntry(addr);
    if (!e) throw new BtfsnoopError("EINVAL", `kfree(${hex(addr)}): not a slab object`);
    e.cache.freeIn(addr, e.cache.slotIn(e.slab, addr));
  }

  /**
   * Records a faulting read of [addr, addr+size): counts a use-after-free
   * read on each cache with a freed object in the range. Returns whether any
   * freed object was touched.
   */
  noteFaultingRead(addr: bigint, size: number): boolean {
    return this.touchFreed(addr, size, (c) => {
      c.stats.uafReads++;
      this.uafReads++;
    });
  }

  /** Like noteFaultingRead for a model write (counts uafWrites). */
  noteFaultingWrite(addr: bigint, size: number): boolean {
    return this.touchFreed(addr, size, (c) => c.stats.uafWrites++);
  }

  private touchFreed(addr: bigint, size: number, count: (c: KmemCache) => void): boolean {
    // Walk object by object through the range (objects are at least 8 bytes).
    const end = addr + BigInt(Math.max(size, 1));
    let a = addr;
    let hit = false;
    const seen = new Set<KmemCache>();
    while (a < end) {
      const cache = this.cacheOf(a);
      if (!cache) {
        const next = this.slabIndex.find((sl) => sl.start > a);
        if (!next) break;
        a = next.start;
        continue;
      }
      const obj = cache.objectAt(a);
      if (obj?.freed && !seen.has(cache)) {
        seen.add(cache);
        count(cache);
        hit = true;
      }
      a = obj ? obj.start + BigInt(cache.objectSize) : a + 1n;
    }
    return hit;
  }
}
