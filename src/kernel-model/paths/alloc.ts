// Kernel memory allocation as Linux 6.12 does it, on the model's own slab
// (memory/slab.ts): kmalloc (__kmalloc_noprof, __kmalloc_cache_noprof,
// __kmalloc_node_noprof, __kmalloc_large_noprof, krealloc, kvmalloc) and
// kmem_cache_alloc/free, kfree with the kmem tracepoints; every model cache
// has a struct kmem_cache object (name, size, object_size: what slabtop and
// slabratetop read). The page allocator (alloc_pages -> alloc_pages_mpol ->
// __alloc_pages -> get_page_from_freelist -> rmqueue with a per-CPU page
// list, __free_pages -> free_unref_page) hands out page frames whose struct
// pages live in vmemmap, with mm_page_alloc/free. The percpu allocator
// (pcpu_alloc_noprof, free_percpu) with the percpu tracepoints.
// Other areas allocate through the exported helpers (kmalloc, kfree,
// kmemCacheAlloc, kmemCacheFree, allocPages, freePages).
import type { Kernel } from "../kernel.js";
import type { TracepointDef } from "../tracepoints.js";
import { DIRECT_MAP_BASE, KMALLOC_SIZES, PAGE_SIZE, type KmemCache } from "../memory/index.js";
import { heldElsewhere, lockMutex, lockMutexInterruptible, spinLock, spinTryLock, spinUnlock, tryLockMutex, unlockMutex } from "./locking.js";
import { pathFunctions } from "./bind.js";

/** GFP_KERNEL (__GFP_RECLAIM | __GFP_IO | __GFP_FS), GFP_ATOMIC (__GFP_HIGH | __GFP_KSWAPD_RECLAIM), __GFP_ZERO, __GFP_COMP, GFP_HIGHUSER_MOVABLE. */
export const GFP_KERNEL = 0xcc0n;
export const GFP_ATOMIC = 0xa20n;
export const __GFP_ZERO = 0x100n;
export const __GFP_COMP = 0x40000n;
export const GFP_HIGHUSER_MOVABLE = 0x140ccan;
/** __GFP_MOVABLE: the allocation's migratetype is MIGRATE_MOVABLE. */
const __GFP_MOVABLE = 0x8n;
/** KMALLOC_MAX_CACHE_SIZE with 4 KiB pages: larger kmallocs come from the page allocator. */
export const KMALLOC_MAX_CACHE_SIZE = 8192;
/** vmemmap_base (x86-64, 4-level paging, no KASLR): struct page of pfn N is at vmemmap_base + N * 64. */
export const VMEMMAP_BASE = 0xffffea0000000000n;
export const STRUCT_PAGE_SIZE = 64n;
/** The first page frame the page allocator hands out (2 GiB: below it are the kernel image and the slab area's own frames). */
const FIRST_PFN = 0x80000;
/** NUMA_NO_NODE. */
const NO_NODE = BigInt.asUintN(64, -1n);
/** PCP list batch and high mark (a small zone's: the high mark three batches). */
const PCP_BATCH = 31;
const PCP_HIGH = 93;
/** PAGE_ALLOC_COSTLY_ORDER: orders up to it go through the per-CPU lists on free. */
const COSTLY_ORDER = 3;
/** Page flags: PG_head (a compound page's first page). */
const PG_HEAD = 1n << 6n;
/** The percpu allocator's first chunk (base_addr) and its unit (each area is `size` bytes per CPU). */
const PCPU_BASE = 0xffff88813bc00000n;
const PCPU_MIN_ALIGN = 8;

/** NO_INTERLEAVE_INDEX: alloc_pages_mpol's ilx when the policy does not interleave. */
const NO_INTERLEAVE_INDEX = BigInt.asUintN(64, -1n);

export interface AllocState {
  /** struct kmem_cache object of each model cache, and back. */
  readonly cacheObj: Map<KmemCache, bigint>;
  readonly cacheOfObj: Map<bigint, KmemCache>;
  /** The BTF type a typed cache's objects are (kmemCacheAlloc's), by cache. */
  readonly typeOf: Map<KmemCache, string>;
  /** kmalloc'd objects too large for a slab: address -> page order. */
  readonly large: Map<bigint, number>;
  /** The page each cache's last allocation came from (its "cpu slab": freeing elsewhere is __slab_free's slow path). */
  readonly cpuSlabPage: Map<KmemCache, bigint>;
  /** Free page frames not on a per-CPU list (the buddy lists), by order: pfns, most recently freed last. */
  readonly buddy: number[][];
  /** The per-CPU lists of free order-0 frames. */
  readonly pcp: number[][];
  nextPfn: number;
  /** Live allocated blocks: first pfn -> order. */
  readonly allocated: Map<number, number>;
  /** Percpu areas in use: offset -> size. */
  readonly pcpuAreas: Map<number, number>;
  /** Freed percpu areas by size (reused first). */
  readonly pcpuFree: Map<number, number[]>;
  pcpuNext: number;
  /** system_wq (irq.ts sets it), where the percpu balance work is queued; the work item and the allocator's mutexes. */
  systemWq: bigint;
  balanceWork: bigint;
  pcpuAllocMutex: bigint;
  pcpuDrainMutex: bigint;
  pcpuLock: bigint;
  /** The CPU the balance work was queued on, and when; the last percpu allocation's CPU and time. */
  balanceCpu: number;
  balanceQueuedNs: bigint;
  lastAlloc: { cpu: number; ns: bigint };
}

const states = new WeakMap<Kernel, AllocState>();

/** The allocator state of `k` (made by installAllocPaths). */
export function allocState(k: Kernel): AllocState {
  const s = states.get(k);
  if (!s) throw new RangeError("allocation paths not installed on this kernel");
  return s;
}

/** The struct page of a page frame. */
export const pfnToPage = (pfn: number): bigint => VMEMMAP_BASE + BigInt(pfn) * STRUCT_PAGE_SIZE;
export const pageToPfn = (page: bigint): number => Number((page - VMEMMAP_BASE) / STRUCT_PAGE_SIZE);
/** The direct-map address of a page frame (page_address()). */
export const pfnToVirt = (pfn: number): bigint => DIRECT_MAP_BASE + (BigInt(pfn) << 12n);
export const virtToPfn = (addr: bigint): number => Number((addr - DIRECT_MAP_BASE) >> 12n);

/** Installs the allocation functions' implementations. */
export function installAllocPaths(k: Kernel): AllocState {
  const st: AllocState = {
    cacheObj: new Map(),
    cacheOfObj: new Map(),
    typeOf: new Map(),
    large: new Map(),
    cpuSlabPage: new Map(),
    buddy: Array.from({ length: 11 }, () => []),
    pcp: k.tasks.cpus.map(() => []),
    nextPfn: FIRST_PFN,
    allocated: new Map(),
    pcpuAreas: new Map(),
    pcpuFree: new Map(),
    pcpuNext: 0,
    systemWq: 0n,
    balanceWork: 0n,
    pcpuAllocMutex: 0n,
    pcpuDrainMutex: 0n,
    pcpuLock: 0n,
    balanceCpu: 0,
    balanceQueuedNs: 0n,
    lastAlloc: { cpu: -1, ns: -1n },
  };
  states.set(k, st);
  // The kmalloc caches exist from boot (create_kmalloc_caches), each with its struct kmem_cache.
  for (const size of KMALLOC_SIZES) {
    const name = `kmalloc-${size >= 1024 ? `${size / 1024}k` : size}`;
    cacheObject(k, k.memory.slab.cache(name) ?? k.memory.slab.createCache(name, size));
  }
  const { set, call } = pathFunctions(k);
  const tp = (cat: string, name: string): TracepointDef => k.tracepoints.get(cat, name)!;
  const tpKmalloc = tp("kmem", "kmalloc");
  const tpKfree = tp("kmem", "kfree");
  const tpCacheAlloc = tp("kmem", "kmem_cache_alloc");
  const tpCacheFree = tp("kmem", "kmem_cache_free");
  const tpPageAlloc = tp("kmem", "mm_page_alloc");
  const tpPageFree = tp("kmem", "mm_page_free");
  const tpZoneLocked = tp("kmem", "mm_page_alloc_zone_locked");
  const tpPcpuAlloc = tp("percpu", "percpu_alloc_percpu");
  const tpPcpuFree = tp("percpu", "percpu_free_percpu");
  /** _RET_IP_ of the function being executed: where it returns to in its caller. */
  const retIp = () => k.functions.returnAddress();

  // ---- slab ----
  /** The model cache behind a struct kmem_cache pointer. */
  const cacheAt = (s: bigint): KmemCache => {
    const c = st.cacheOfObj.get(s);
    if (!c) throw new RangeError(`0x${s.toString(16)} is not a struct kmem_cache`);
    return c;
  };
  /** One object of `c`: the typed way for typed caches (so the object's type is known), else raw. */
  const take = (c: KmemCache, zero: boolean): bigint => {
    const type = st.typeOf.get(c);
    const obj = type !== undefined ? k.memory.alloc(type, { zero }) : c.alloc(zero);
    st.cpuSlabPage.set(c, obj >> 12n);
    return obj;
  };
  /** slab_alloc_node: the per-CPU freelist, or ___slab_alloc when the cache has no free object left (a new slab). */
  const slabAlloc = (s: bigint, gfp: bigint, size: bigint): bigint => {
    const c = cacheAt(s);
    const zero = (gfp & __GFP_ZERO) !== 0n;
    if (c.stats.active === c.stats.total) return call("___slab_alloc", s, gfp, NO_NODE, retIp(), 0n, size | (zero ? 1n << 32n : 0n));
    return take(c, zero);
  };
  // A new slab: the model cache grows as it hands out the object; allocate_slab returns the slab (its page's struct page).
  set("___slab_alloc", ([s, gfp, node, , , orig]) => {
    const obj = take(cacheAt(s!), (orig! >> 32n) !== 0n);
    call("allocate_slab", s!, gfp!, node!);
    return obj;
  });
  set("allocate_slab", ([s]) => pfnToPage(Number(st.cpuSlabPage.get(cacheAt(s!))! - (DIRECT_MAP_BASE >> 12n))));
  set("kmem_cache_alloc_noprof", ([s, gfp]) => {
    const c = cacheAt(s!);
    const obj = slabAlloc(s!, gfp!, BigInt(c.objectSize));
    k.fire(tpCacheAlloc, { call_site: retIp(), ptr: obj, name: c.name, bytes_req: BigInt(c.objectSize), bytes_alloc: BigInt(c.stride), gfp_flags: gfp!, node: NO_NODE, accounted: 0n }, [retIp(), obj, s!, gfp!, NO_NODE]);
    return obj;
  });
  set("kmem_cache_alloc_node_noprof", ([s, gfp, node]) => {
    const c = cacheAt(s!);
    const obj = slabAlloc(s!, gfp!, BigInt(c.objectSize));
    k.fire(tpCacheAlloc, { call_site: retIp(), ptr: obj, name: c.name, bytes_req: BigInt(c.objectSize), bytes_alloc: BigInt(c.stride), gfp_flags: gfp!, node: node!, accounted: 0n }, [retIp(), obj, s!, gfp!, node!]);
    return obj;
  });
  /** slab_free: the fast path when the object is on the cache's current slab, __slab_free otherwise. */
  const slabFree = (c: KmemCache, s: bigint, obj: bigint, ip: bigint): void => {
    if (st.cpuSlabPage.get(c) !== obj >> 12n) call("__slab_free", s, pfnToPage(virtToPfn(obj)), obj, obj, 1n, ip);
    k.memory.free(obj);
  };
  set("__slab_free", () => 0n);
  set("kmem_cache_free", ([s, x]) => {
    const c = cacheAt(s!);
    k.fire(tpCacheFree, { call_site: retIp(), ptr: x!, name: c.name }, [retIp(), x!, s!]);
    slabFree(c, s!, x!, retIp());
    return 0n;
  });
  /** The kmalloc-N cache serving `size` bytes (kmalloc_slab), made on first use as the model's kmalloc makes it. */
  const kmallocCache = (size: number): bigint => {
    const cls = KMALLOC_SIZES.find((x) => x >= size)!;
    const name = `kmalloc-${cls >= 1024 ? `${cls / 1024}k` : cls}`;
    return cacheObject(k, k.memory.slab.cache(name) ?? k.memory.slab.createCache(name, cls));
  };
  const kmallocSlab = (size: bigint, gfp: bigint, node: bigint): bigint => {
    if (size === 0n) return 16n; // ZERO_SIZE_PTR
    if (size > BigInt(KMALLOC_MAX_CACHE_SIZE)) return call("__kmalloc_large_noprof", size, gfp);
    const s = kmallocCache(Number(size));
    const c = cacheAt(s);
    const obj = slabAlloc(s, gfp, size);
    k.fire(tpKmalloc, { call_site: retIp(), ptr: obj, bytes_req: size, bytes_alloc: BigInt(c.stride), gfp_flags: gfp, node }, [retIp(), obj, size, BigInt(c.stride), gfp, node]);
    return obj;
  };
  set("__kmalloc_noprof", ([size, gfp]) => kmallocSlab(size!, gfp!, NO_NODE));
  set("__kmalloc_node_noprof", ([size, , gfp, node]) => kmallocSlab(size!, gfp!, node!));
  // kmalloc(size) with a compile-time size: the cache was picked by the caller (kmalloc_caches[...]).
  set("__kmalloc_cache_noprof", ([s, gfp, size]) => {
    const c = cacheAt(s!);
    const obj = slabAlloc(s!, gfp!, size!);
    k.fire(tpKmalloc, { call_site: retIp(), ptr: obj, bytes_req: size!, bytes_alloc: BigInt(c.stride), gfp_flags: gfp!, node: NO_NODE }, [retIp(), obj, size!, BigInt(c.stride), gfp!, NO_NODE]);
    return obj;
  });
  // Large kmallocs are whole compound pages from the page allocator, mapped at their direct-map address.
  set("__kmalloc_large_noprof", ([size, gfp]) => {
    const order = orderFor(Number(size));
    const page = call("alloc_pages_noprof", gfp! | __GFP_COMP, BigInt(order));
    if (page === 0n) return 0n;
    const addr = pfnToVirt(pageToPfn(page));
    k.memory.kernel.map(addr, PAGE_SIZE << order, 0);
    st.large.set(addr, order);
    const alloc = BigInt(PAGE_SIZE << order);
    k.fire(tpKmalloc, { call_site: retIp(), ptr: addr, bytes_req: size!, bytes_alloc: alloc, gfp_flags: gfp!, node: NO_NODE }, [retIp(), addr, size!, alloc, gfp!, NO_NODE]);
    return addr;
  });
  set("kfree", ([x]) => {
    const obj = x!;
    k.fire(tpKfree, { call_site: retIp(), ptr: obj }, [retIp(), obj]);
    if (obj <= 16n) return 0n; // NULL or ZERO_SIZE_PTR
    const order = st.large.get(obj);
    if (order !== undefined) {
      st.large.delete(obj);
      k.memory.kernel.unmap(obj, PAGE_SIZE << order);
      call("__free_pages", pfnToPage(virtToPfn(obj)), BigInt(order));
      return 0n;
    }
    const c = k.memory.slab.cacheOf(obj);
    if (!c) throw new RangeError(`kfree(0x${obj.toString(16)}): not a slab object`);
    slabFree(c, cacheObject(k, c), obj, retIp());
    return 0n;
  });
  set("ksize", ([x]) => {
    const order = st.large.get(x!);
    if (order !== undefined) return BigInt(PAGE_SIZE << order);
    const c = k.memory.slab.cacheOf(x!);
    return c ? BigInt(c.stride) : 0n;
  });
  // krealloc: the same object when it still fits its slab object, else a new one with the old bytes, the old freed.
  set("krealloc_noprof", ([p, newSize, gfp]) => {
    if (p === 0n || p === 16n) return call("__kmalloc_noprof", newSize!, gfp!);
    const have = call("ksize", p!);
    if (newSize! <= have) return p!;
    const q = call("__kmalloc_noprof", newSize!, gfp!);
    if (q === 0n) return 0n;
    const bytes = new Uint8Array(Number(have));
    k.memory.readKernel(bytes, p!);
    k.memory.writeKernel(q, bytes);
    call("kfree", p!);
    return q;
  });
  // kvmalloc: kmalloc when it fits a slab (the model has no vmalloc area: larger requests take pages).
  set("__kvmalloc_node_noprof", ([size, b, gfp, node]) => call("__kmalloc_node_noprof", size!, b!, gfp!, node!));
  set("kvfree", ([x]) => call("kfree", x!));

  // ---- pages ----
  set("alloc_pages_noprof", ([gfp, order]) => call("alloc_pages_mpol", gfp!, order!, 0n, NO_INTERLEAVE_INDEX, 0n));
  set("alloc_pages_mpol", ([gfp, order, , , nid]) => call("__alloc_pages_noprof", gfp!, order!, nid!, 0n));
  set("__alloc_pages_noprof", ([gfp, order]) => {
    // A costly order first gets the per-CPU lists drained back to the buddy lists (the direct-reclaim path's drain).
    if (Number(order) > COSTLY_ORDER) call("drain_all_pages", 0n);
    const page = call("get_page_from_freelist", gfp!, order!, 0n, 0n);
    if (page === 0n) return 0n;
    k.fire(tpPageAlloc, { pfn: BigInt(pageToPfn(page)), order: order!, gfp_flags: gfp!, migratetype: migratetypeOf(gfp!) }, [page, order!, gfp!, migratetypeOf(gfp!)]);
    return page;
  });
  set("get_page_from_freelist", ([gfp, order]) => {
    const page = call("rmqueue", 0n, 0n, order!, gfp!, 0n, migratetypeOf(gfp!));
    if (page !== 0n) call("post_alloc_hook", page, order!, gfp!);
    return page;
  });
  /** A block of 2^order frames off the buddy lists (fresh frames past the highest when they are empty). */
  const buddyTake = (order: number): number => {
    const free = st.buddy[order]!.pop();
    if (free !== undefined) return free;
    // A fresh block, aligned to its size as buddy blocks are (the frames skipped to align it go on the order-0 list).
    const n = 1 << order;
    while ((st.nextPfn & (n - 1)) !== 0) st.buddy[0]!.push(st.nextPfn++);
    st.nextPfn += n;
    return st.nextPfn - n;
  };
  set("rmqueue", ([, , order, , , mt]) => {
    const o = Number(order);
    let pfn: number;
    if (o === 0) {
      const page = call("__rmqueue_pcplist", 0n, 0n, mt!, 0n, 0n, 0n);
      if (page === 0n) return 0n;
      pfn = pageToPfn(page);
    } else {
      pfn = buddyTake(o);
      k.fire(tpZoneLocked, { pfn: BigInt(pfn), order: order!, migratetype: mt!, percpu_refill: 0n }, [pfnToPage(pfn), order!, mt!, 0n]);
    }
    st.allocated.set(pfn, o);
    return pfnToPage(pfn);
  });
  /** Each CPU's per_cpu_pages lock (pcp->lock). */
  const pcpLocks: bigint[] = [];
  const pcpLock = (): bigint => (pcpLocks[k.cpu] ??= k.memory.kmalloc(8, true));
  /** The (one, ZONE_NORMAL) zone's lock. */
  let zoneLockAddr = 0n;
  const zoneLock = (): bigint => (zoneLockAddr ||= k.memory.kmalloc(8, true));
  // rmqueue_pcplist: the CPU's list under pcp_spin_trylock (taken by someone else: the buddy lists instead).
  set("__rmqueue_pcplist", ([, , mt]) => {
    const lock = pcpLock();
    if (!spinTryLock(k, lock)) {
      const pfn = buddyTake(0);
      k.fire(tpZoneLocked, { pfn: BigInt(pfn), order: 0n, migratetype: mt!, percpu_refill: 0n }, [pfnToPage(pfn), 0n, mt!, 0n]);
      return pfnToPage(pfn);
    }
    const page = pcpTake(mt!);
    spinUnlock(k, lock);
    return page;
  });
  // The CPU's list first; an empty list is refilled with a batch from the buddy lists (each frame one mm_page_alloc_zone_locked).
  const pcpTake = (mt: bigint): bigint => {
    const list = st.pcp[k.cpu]!;
    if (list.length === 0) {
      // rmqueue_bulk: the batch comes off the buddy lists under the zone's lock.
      const flags = spinLock(k, zoneLock(), "irqsave");
      for (let i = 0; i < PCP_BATCH; i++) {
        const pfn = buddyTake(0);
        k.fire(tpZoneLocked, { pfn: BigInt(pfn), order: 0n, migratetype: mt, percpu_refill: 1n }, [pfnToPage(pfn), 0n, mt, 1n]);
        list.push(pfn);
      }
      spinUnlock(k, zoneLock(), "irqsave", flags);
      // Handed out lowest first, as a freshly filled list is.
      list.reverse();
    }
    return pfnToPage(list.pop()!);
  };
  // prep_new_page: the struct pages of the block say allocated (refcount 1, not mapped; a compound head when order > 0).
  set("post_alloc_hook", ([page, order, gfp]) => {
    const n = 1 << Number(order);
    k.memory.kernel.map(page!, Number(STRUCT_PAGE_SIZE) * n, 0);
    for (let i = 0; i < n; i++) {
      const p = page! + BigInt(i) * STRUCT_PAGE_SIZE;
      k.memory.writeField(p, "page", "_mapcount.counter", -1n);
      if (i === 0) {
        k.memory.writeField(p, "page", "_refcount.counter", 1n);
        if (n > 1 && (gfp! & __GFP_COMP) !== 0n) k.memory.writeField(p, "page", "flags", PG_HEAD);
      } else if ((gfp! & __GFP_COMP) !== 0n) k.memory.writeField(p, "page", "compound_head", page! | 1n);
    }
    return 0n;
  });
  set("__free_pages", ([page, order]) => {
    // put_page_testzero: the last reference frees.
    const ref = k.memory.readField(page!, "page", "_refcount.counter") - 1n;
    k.memory.writeField(page!, "page", "_refcount.counter", ref);
    if (ref > 0n) return 0n;
    if (Number(order) <= COSTLY_ORDER) call("free_unref_page", page!, order!);
    else {
      call("free_pages_prepare", page!, order!);
      st.buddy[Number(order)]!.push(pageToPfn(page!));
    }
    return 0n;
  });
  set("free_unref_page", ([page, order]) => {
    if (call("free_pages_prepare", page!, order!) === 0n) return 0n;
    const pfn = pageToPfn(page!);
    const o = Number(order);
    if (o > 0) {
      st.buddy[o]!.push(pfn);
      return 0n;
    }
    // pcp_spin_trylock: with the list's lock taken elsewhere the frame goes straight to the buddy lists (free_one_page).
    const lock = pcpLock();
    if (!spinTryLock(k, lock)) {
      st.buddy[0]!.push(pfn);
      return 0n;
    }
    const list = st.pcp[k.cpu]!;
    list.push(pfn);
    if (list.length > PCP_HIGH) call("free_pcppages_bulk", 0n, BigInt(PCP_BATCH), 0n, 0n);
    spinUnlock(k, lock);
    return 0n;
  });
  // The page goes free: mm_page_free, its struct pages unmapped (the model keeps no struct page of a free frame).
  set("free_pages_prepare", ([page, order]) => {
    const pfn = pageToPfn(page!);
    const o = Number(order);
    if (st.allocated.get(pfn) !== o) throw new RangeError(`freeing pfn 0x${pfn.toString(16)} order ${o}: not an allocated block of that order`);
    st.allocated.delete(pfn);
    k.fire(tpPageFree, { pfn: BigInt(pfn), order: order! }, [page!, order!]);
    // Cleared, then unmapped: a vmemmap page whose struct pages are all free holds no memory.
    k.memory.kernel.fillRaw(page!, Number(STRUCT_PAGE_SIZE) << o, 0);
    k.memory.kernel.unmap(page!, Number(STRUCT_PAGE_SIZE) << o);
    return 1n;
  });
  // Every CPU's list goes back to the buddy lists, one drainer at a time (a concurrent drain already covers this one).
  set("drain_all_pages", () => {
    if (!tryLockMutex(k, locks().pcpuDrainMutex)) return 0n;
    const home = k.cpu;
    for (let cpu = 0; cpu < st.pcp.length; cpu++) {
      if (st.pcp[cpu]!.length === 0) continue;
      k.cpu = cpu;
      try {
        call("free_pcppages_bulk", 0n, BigInt(st.pcp[cpu]!.length), 0n, 0n);
      } finally {
        k.cpu = home;
      }
    }
    unlockMutex(k, st.pcpuDrainMutex);
    return 0n;
  });
  // The oldest frames of the CPU's list go back to the buddy lists, under the zone's lock.
  set("free_pcppages_bulk", ([, count]) => {
    const flags = spinLock(k, zoneLock(), "irqsave");
    const list = st.pcp[k.cpu]!;
    for (const pfn of list.splice(0, Number(count))) st.buddy[0]!.push(pfn);
    spinUnlock(k, zoneLock(), "irqsave", flags);
    return 0n;
  });
  // vmstat's periodic drain: a batch of the CPU's cached frames goes back (under pcp->lock, then zone->lock).
  set("drain_zone_pages", () => {
    const n = Math.min(PCP_BATCH, st.pcp[k.cpu]!.length);
    if (n === 0) return 0n;
    spinLock(k, pcpLock());
    call("free_pcppages_bulk", 0n, BigInt(n), 0n, 0n);
    spinUnlock(k, pcpLock());
    return 0n;
  });
  set("vma_alloc_folio_noprof", ([gfp, order]) => call("alloc_pages_mpol", gfp! | __GFP_COMP, order!, 0n, 0n, 0n));

  // ---- percpu ----
  /** The allocator's static locks (pcpu_alloc_mutex, pcpu_drain_mutex, pcpu_lock). */
  const locks = () => {
    if (st.pcpuLock === 0n) {
      st.pcpuAllocMutex = k.memory.alloc("mutex");
      st.pcpuDrainMutex = k.memory.alloc("mutex");
      st.pcpuLock = k.memory.kmalloc(8, true);
    }
    return st;
  };
  set("pcpu_alloc_noprof", ([size, align, reserved, gfp]) => {
    // A sleeping allocation serializes on pcpu_alloc_mutex (killable: a fatal signal gives up with NULL).
    const atomicAlloc = (gfp! & GFP_KERNEL) !== GFP_KERNEL;
    // The balance work queued on another CPU is running there now, holding pcpu_alloc_mutex while it populates chunks.
    if (st.balanceWork !== 0n && (k.memory.readField(st.balanceWork, "work_struct", "data.counter") & 1n) !== 0n && st.balanceCpu !== k.cpu) {
      heldElsewhere(k, locks().pcpuAllocMutex, st.balanceCpu);
    }
    if (!atomicAlloc && lockMutexInterruptible(k, locks().pcpuAllocMutex) !== 0n) return 0n;
    const flags = spinLock(k, locks().pcpuLock, "irqsave");
    const ptr = pcpuAlloc(size!, align!, reserved!, gfp!);
    spinUnlock(k, st.pcpuLock, "irqsave", flags);
    if (!atomicAlloc) unlockMutex(k, st.pcpuAllocMutex);
    st.lastAlloc = { cpu: k.cpu, ns: k.clock.now() };
    return ptr;
  });
  const pcpuAlloc = (size: bigint, align: bigint, reserved: bigint, gfp: bigint): bigint => {
    const s = Math.max(PCPU_MIN_ALIGN, Number(size) + ((PCPU_MIN_ALIGN - (Number(size) % PCPU_MIN_ALIGN)) % PCPU_MIN_ALIGN));
    const off = call("pcpu_alloc_area", 0n, BigInt(s / 4), align, 0n);
    if (BigInt.asIntN(64, off) < 0n) return 0n;
    const ptr = PCPU_BASE + off;
    const bytes = BigInt(s * k.tasks.cpus.length);
    const atomic = (gfp & GFP_KERNEL) !== GFP_KERNEL ? 1n : 0n;
    k.fire(
      tpPcpuAlloc,
      { call_site: retIp(), reserved, is_atomic: atomic, size, align, base_addr: PCPU_BASE, off, ptr, bytes_alloc: bytes, gfp_flags: gfp },
      [retIp(), reserved, atomic, size, align, PCPU_BASE, off, ptr, bytes, gfp],
    );
    return ptr;
  };
  // Areas in 4-byte units (PCPU_MIN_ALLOC_SIZE); a freed area of the same size is reused first.
  set("pcpu_alloc_area", ([, bits]) => {
    const size = Number(bits) * 4;
    const off = st.pcpuFree.get(size)?.pop() ?? ((st.pcpuNext += size), st.pcpuNext - size);
    st.pcpuAreas.set(off, size);
    return BigInt(off);
  });
  set("free_percpu", ([ptr]) => {
    if (ptr === 0n) return 0n;
    const off = ptr! - PCPU_BASE;
    const flags = spinLock(k, locks().pcpuLock, "irqsave");
    call("pcpu_free_area", 0n, off);
    k.fire(tpPcpuFree, { base_addr: PCPU_BASE, off, ptr: ptr! }, [PCPU_BASE, off, ptr!]);
    spinUnlock(k, st.pcpuLock, "irqsave", flags);
    // A chunk with free pages to give back: pcpu_schedule_balance_work (every other free here).
    if (st.systemWq !== 0n && st.pcpuAreas.size % 2 === 0) {
      if (call("queue_work_on", BigInt(k.tasks.cpus.length), st.systemWq, st.balanceWork) === 1n) {
        st.balanceCpu = k.cpu;
        st.balanceQueuedNs = k.clock.now();
      }
    }
    return 0n;
  });
  // The allocator's static objects exist from boot (its locks, the per-CPU list locks, the balance work).
  locks();
  for (let cpu = 0; cpu < k.tasks.cpus.length; cpu++) pcpLocks[cpu] = k.memory.kmalloc(8, true);
  zoneLock();
  st.balanceWork = k.memory.alloc("work_struct");
  k.memory.writeField(st.balanceWork, "work_struct", "func", k.functions.named("pcpu_balance_workfn")[0]?.address ?? 0n);
  set("pcpu_balance_workfn", () => {
    // An allocation on another CPU since the work was queued is (in the concurrent machine) inside pcpu_alloc_mutex now.
    if (st.lastAlloc.cpu !== k.cpu && st.lastAlloc.ns > st.balanceQueuedNs) heldElsewhere(k, locks().pcpuAllocMutex, st.lastAlloc.cpu);
    lockMutex(k, locks().pcpuAllocMutex);
    unlockMutex(k, st.pcpuAllocMutex);
    return 0n;
  });
  set("pcpu_free_area", ([, off]) => {
    const o = Number(off);
    const size = st.pcpuAreas.get(o);
    if (size === undefined) throw new RangeError(`free_percpu: offset ${o} is not an allocated area`);
    st.pcpuAreas.delete(o);
    let list = st.pcpuFree.get(size);
    if (!list) st.pcpuFree.set(size, (list = []));
    list.push(o);
    return BigInt(size / 4);
  });
  return st;
}

/** MIGRATE_MOVABLE for movable allocations (user pages), MIGRATE_UNMOVABLE for the kernel's. */
function migratetypeOf(gfp: bigint): bigint {
  return (gfp & __GFP_MOVABLE) !== 0n ? 1n : 0n;
}

/** get_order(): the smallest order whose block holds `size` bytes. */
export function orderFor(size: number): number {
  let o = 0;
  while (PAGE_SIZE << o < size) o++;
  return o;
}

/**
 * The struct kmem_cache object of a model cache (made on first use: its
 * name a kmalloc'd string, size the stride, object_size, align, inuse).
 */
export function cacheObject(k: Kernel, c: KmemCache): bigint {
  const st = allocState(k);
  let s = st.cacheObj.get(c);
  if (s === undefined) {
    s = k.memory.alloc("kmem_cache");
    const name = new TextEncoder().encode(c.name + "\0");
    const str = k.memory.kmalloc(name.length);
    k.memory.writeKernel(str, name);
    k.memory.writeField(s, "kmem_cache", "name", str);
    k.memory.writeField(s, "kmem_cache", "size", BigInt(c.stride));
    k.memory.writeField(s, "kmem_cache", "object_size", BigInt(c.objectSize));
    k.memory.writeField(s, "kmem_cache", "inuse", BigInt(c.objectSize));
    k.memory.writeField(s, "kmem_cache", "align", BigInt(c.align));
    k.memory.writeField(s, "kmem_cache", "refcount", 1n);
    k.memory.writeField(s, "kmem_cache", "oo.x", BigInt((orderFor(c.slabPages * PAGE_SIZE) << 16) | c.objectsPerSlab));
    st.cacheObj.set(c, s);
    st.cacheOfObj.set(s, c);
  }
  return s;
}


/** kmalloc(size, gfp) as a kernel path calls it (__kmalloc_noprof, with the kmalloc tracepoint); 0 on failure. */
export function kmalloc(k: Kernel, size: number, gfp = GFP_KERNEL): bigint {
  return k.callByName("__kmalloc_noprof", [BigInt(size), gfp]);
}

/** kfree(addr) as a kernel path calls it (with the kfree tracepoint). */
export function kfree(k: Kernel, addr: bigint): void {
  k.callByName("kfree", [addr]);
}

/** kmem_cache_alloc(cache of `type`, gfp): a zeroed object of a BTF struct from its own cache, through kmem_cache_alloc_noprof. */
export function kmemCacheAlloc(k: Kernel, type: string, gfp = GFP_KERNEL | __GFP_ZERO): bigint {
  const c = k.memory.objects.cacheFor(type);
  allocState(k).typeOf.set(c, type);
  return k.callByName("kmem_cache_alloc_noprof", [cacheObject(k, c), gfp]);
}

/** kmem_cache_free of an object kmemCacheAlloc returned. */
export function kmemCacheFree(k: Kernel, obj: bigint): void {
  const c = k.memory.slab.cacheOf(obj);
  if (!c) throw new RangeError(`kmem_cache_free(0x${obj.toString(16)}): not a slab object`);
  k.callByName("kmem_cache_free", [cacheObject(k, c), obj]);
}

/** alloc_pages(gfp, order): the first struct page of the block (0 on failure). */
export function allocPages(k: Kernel, order = 0, gfp = GFP_KERNEL): bigint {
  return k.callByName("alloc_pages_noprof", [gfp, BigInt(order)]);
}

/** __free_pages(page, order). */
export function freePages(k: Kernel, page: bigint, order = 0): void {
  k.callByName("__free_pages", [page, BigInt(order)]);
}
