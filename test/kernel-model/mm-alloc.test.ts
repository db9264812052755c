// Kernel memory allocation (paths/alloc.ts): kmalloc and kfree on the
// model's slab with the kmem tracepoints' records, kmem_cache objects, the
// page allocator with struct pages in vmemmap, percpu, and a BPF program
// reading kmem:kmalloc through the tracer.
import { describe, expect, it } from "vitest";
import { SyntheticKernel } from "../../src/kernel-model/synthetic.js";
import type { TracepointDef, TracepointHit } from "../../src/kernel-model/tracepoints.js";
import {
  GFP_KERNEL,
  VMEMMAP_BASE,
  allocPages,
  allocState,
  freePages,
  kfree,
  kmalloc,
  kmemCacheAlloc,
  kmemCacheFree,
  pfnToPage,
} from "../../src/kernel-model/paths/alloc.js";
import { runCli } from "../helpers/cli.js";
import { callSite } from "../../src/kernel-model/functions.js";

/** The record's fields by name (numbers as u64/s64 bigints, __data_loc strings as text). */
function fields(hit: TracepointHit): Record<string, bigint | string> {
  const v = new DataView(hit.record.buffer, hit.record.byteOffset, hit.record.byteLength);
  const out: Record<string, bigint | string> = {};
  for (const f of hit.tp.fields) {
    if (f.decl.startsWith("__data_loc")) {
      const loc = v.getUint32(f.offset, true);
      const bytes = hit.record.subarray(loc & 0xffff, (loc & 0xffff) + (loc >>> 16) - 1);
      out[f.name] = Buffer.from(bytes).toString("utf8");
    } else if (f.size === 8) out[f.name] = f.signed ? v.getBigInt64(f.offset, true) : v.getBigUint64(f.offset, true);
    else if (f.size === 4) out[f.name] = BigInt(f.signed ? v.getInt32(f.offset, true) : v.getUint32(f.offset, true));
    else if (f.size === 2) out[f.name] = BigInt(v.getUint16(f.offset, true));
    else out[f.name] = BigInt(v.getUint8(f.offset));
  }
  return out;
}

/** Records of the named events, in firing order, while `fn` runs. */
function recording(k: SyntheticKernel, names: string[], fn: () => void): { name: string; f: Record<string, bigint | string>; args: readonly bigint[] }[] {
  const got: { name: string; f: Record<string, bigint | string>; args: readonly bigint[] }[] = [];
  const detach = names.map((n) => {
    const [cat, name] = n.split(":") as [string, string];
    const tp: TracepointDef = k.tracepoints.get(cat, name)!;
    return k.tracepoints.attach(tp, (hit) => void got.push({ name: n, f: fields(hit), args: hit.args }));
  });
  try {
    fn();
  } finally {
    for (const d of detach) d();
  }
  return got;
}

const fn = (k: SyntheticKernel, name: string) => k.functions.named(name)[0]!;
const calls = (k: SyntheticKernel, name: string) => k.functions.countsOf(fn(k, name)).calls;

describe("kmalloc and kfree", () => {
  it("a kmalloc from krealloc is a kmalloc-128 object; the kmalloc and kfree records carry its call site, sizes and flags", () => {
    const k = new SyntheticKernel({ seed: 1 });
    let ptr = 0n;
    const recs = recording(k, ["kmem:kmalloc", "kmem:kfree"], () => {
      ptr = k.callByName("krealloc_noprof", [0n, 100n, GFP_KERNEL]);
      k.callByName("kvfree", [ptr]);
    });
    expect(k.memory.slab.cacheOf(ptr)!.name).toBe("kmalloc-128");
    expect(recs.map((r) => r.name)).toEqual(["kmem:kmalloc", "kmem:kfree"]);
    const [m, f] = recs;
    // call_site is _RET_IP_: the return address into the caller (krealloc_noprof, kvfree).
    const site = (caller: string, callee: string) => callSite(fn(k, caller), fn(k, callee));
    expect(m!.f).toEqual({ call_site: site("krealloc_noprof", "__kmalloc_noprof"), ptr, bytes_req: 100n, bytes_alloc: 128n, gfp_flags: 0xcc0n, node: -1n });
    expect(f!.f).toEqual({ call_site: site("kvfree", "kfree"), ptr });
    // The raw tracepoint's arguments are TP_PROTO's: call_site, ptr, bytes_req, bytes_alloc, gfp, node.
    expect(m!.args).toEqual([m!.f.call_site, ptr, 100n, 128n, 0xcc0n, 0xffffffffffffffffn]);
    // Freed: the object is poisoned and unmapped (a read faults).
    expect(k.memory.readKernel(new Uint8Array(8), ptr)).toBe(-14);
  });

  it("pairs every kmalloc with its kfree and reuses the freed object (LIFO)", () => {
    const k = new SyntheticKernel({ seed: 1 });
    const a = kmalloc(k, 40);
    kfree(k, a);
    const b = kmalloc(k, 64);
    expect(b).toBe(a);
    kfree(k, b);
    expect([calls(k, "__kmalloc_noprof"), calls(k, "kfree")]).toEqual([2, 2]);
    expect(k.tracepoints.hits(k.tracepoints.get("kmem", "kmalloc")!)).toBe(2);
    expect(k.tracepoints.hits(k.tracepoints.get("kmem", "kfree")!)).toBe(2);
  });

  it("a size past KMALLOC_MAX_CACHE_SIZE takes whole pages: order 4 for 40,000 bytes, mapped at the block's direct-map address", () => {
    const k = new SyntheticKernel({ seed: 1 });
    const recs = recording(k, ["kmem:kmalloc", "kmem:mm_page_alloc", "kmem:mm_page_free", "kmem:kfree"], () => {
      const p = kmalloc(k, 40_000);
      expect(k.memory.readKernel(new Uint8Array(65536), p)).toBe(0);
      kfree(k, p);
    });
    expect(recs.map((r) => [r.name, r.f.order ?? r.f.bytes_alloc ?? null])).toEqual([
      ["kmem:mm_page_alloc", 4n],
      ["kmem:kmalloc", 65536n],
      ["kmem:kfree", null],
      ["kmem:mm_page_free", 4n],
    ]);
    // An order-4 block is aligned to 16 frames; the kmalloc'd address is the block's page_address().
    const pfn = recs[0]!.f.pfn as bigint;
    expect(pfn).toBe(0x80000n);
    expect(recs[1]!.f.ptr).toBe(0xffff888000000000n + (pfn << 12n));
    expect(recs[1]!.f.bytes_req).toBe(40000n);
    // The costly order drained the per-CPU lists first (drain_all_pages under pcpu_drain_mutex).
    expect(calls(k, "drain_all_pages")).toBe(1);
    expect(calls(k, "mutex_trylock")).toBe(1);
  });
});

describe("kmem_cache", () => {
  it("kmem_cache_alloc of vm_area_struct: record with the cache's name and sizes; the struct kmem_cache holds name, size and object_size", () => {
    const k = new SyntheticKernel({ seed: 1 });
    let obj = 0n;
    const recs = recording(k, ["kmem:kmem_cache_alloc", "kmem:kmem_cache_free"], () => {
      obj = kmemCacheAlloc(k, "vm_area_struct");
      kmemCacheFree(k, obj);
    });
    const cache = k.memory.slab.cacheOf(obj)!;
    expect(cache.name).toBe("vm_area_struct");
    const size = BigInt(cache.objectSize);
    expect(recs.map((r) => r.name)).toEqual(["kmem:kmem_cache_alloc", "kmem:kmem_cache_free"]);
    expect(recs[0]!.f).toEqual({ call_site: 0n, ptr: obj, name: "vm_area_struct", bytes_req: size, bytes_alloc: BigInt(cache.stride), gfp_flags: 0xdc0n, node: -1n, accounted: 0n });
    expect(recs[1]!.f).toEqual({ call_site: 0n, ptr: obj, name: "vm_area_struct" });
    // The raw tracepoint's third argument is the struct kmem_cache; slabratetop reads its name and sizes.
    const s = recs[0]!.args[2]!;
    const name = new Uint8Array(15);
    k.memory.readKernel(name, k.memory.readField(s, "kmem_cache", "name"));
    expect(Buffer.from(name).toString("latin1")).toBe("vm_area_struct\0");
    expect([k.memory.readField(s, "kmem_cache", "size"), k.memory.readField(s, "kmem_cache", "object_size")]).toEqual([BigInt(cache.stride), size]);
    expect(recs[1]!.args[2]).toBe(s);
  });

  it("the kmalloc caches exist from boot, each with its struct kmem_cache", () => {
    const k = new SyntheticKernel({ seed: 1 });
    const names = ["kmalloc-8", "kmalloc-16", "kmalloc-32", "kmalloc-64", "kmalloc-96", "kmalloc-128", "kmalloc-192", "kmalloc-256", "kmalloc-512", "kmalloc-1k", "kmalloc-2k", "kmalloc-4k", "kmalloc-8k"];
    const st = allocState(k);
    expect(names.map((n) => st.cacheObj.has(k.memory.slab.cache(n)!))).toEqual(names.map(() => true));
    const s = st.cacheObj.get(k.memory.slab.cache("kmalloc-96")!)!;
    expect([k.memory.readField(s, "kmem_cache", "size"), k.memory.readField(s, "kmem_cache", "object_size")]).toEqual([96n, 96n]);
  });
});

describe("the page allocator", () => {
  it("alloc_pages: a per-CPU list refilled with a batch of 31 frames, the lowest first; the struct page in vmemmap; __free_pages gives it back", () => {
    const k = new SyntheticKernel({ seed: 1 });
    let page = 0n;
    const recs = recording(k, ["kmem:mm_page_alloc", "kmem:mm_page_alloc_zone_locked", "kmem:mm_page_free"], () => {
      page = allocPages(k, 0, GFP_KERNEL);
    });
    expect(recs.filter((r) => r.name === "kmem:mm_page_alloc_zone_locked").map((r) => [r.f.pfn, r.f.percpu_refill])).toEqual(
      Array.from({ length: 31 }, (_, i) => [0x80000n + BigInt(i), 1n]),
    );
    const alloc = recs.at(-1)!;
    expect(alloc.name).toBe("kmem:mm_page_alloc");
    expect(alloc.f).toEqual({ pfn: 0x80000n, order: 0n, gfp_flags: 0xcc0n, migratetype: 0n });
    expect(page).toBe(VMEMMAP_BASE + 0x80000n * 64n);
    expect(alloc.args[0]).toBe(page);
    expect(k.memory.readField(page, "page", "_refcount.counter")).toBe(1n);
    expect(k.memory.readField(page, "page", "_mapcount.counter")).toBe(-1n);
    expect(["alloc_pages_noprof", "alloc_pages_mpol", "__alloc_pages_noprof", "get_page_from_freelist", "rmqueue", "__rmqueue_pcplist", "post_alloc_hook"].map((n) => calls(k, n))).toEqual([1, 1, 1, 1, 1, 1, 1]);
    const freed = recording(k, ["kmem:mm_page_free"], () => freePages(k, page, 0));
    expect(freed.map((r) => r.f)).toEqual([{ pfn: 0x80000n, order: 0n }]);
    expect(["__free_pages", "free_unref_page", "free_pages_prepare"].map((n) => calls(k, n))).toEqual([1, 1, 1]);
    // The next allocation on this CPU takes the frame just freed.
    expect(allocPages(k, 0)).toBe(pfnToPage(0x80000));
  });

  it("frames are conserved: every frame handed out is allocated, on a per-CPU list or on a buddy list", () => {
    const k = new SyntheticKernel({ seed: 3 });
    const pages: bigint[] = [];
    for (let i = 0; i < 400; i++) {
      k.cpu = i % 4;
      if (pages.length && k.rng.chance(0.45)) freePages(k, pages.splice(k.rng.int(0, pages.length - 1), 1)[0]!, 0);
      else pages.push(allocPages(k, 0));
    }
    const st = allocState(k);
    const onLists = st.pcp.reduce((n, l) => n + l.length, 0) + st.buddy.reduce((n, l, o) => n + l.length * (1 << o), 0);
    expect(st.allocated.size).toBe(pages.length);
    expect(st.allocated.size + onLists).toBe(st.nextPfn - 0x80000);
    // No per-CPU list stays past its high mark (93).
    expect(Math.max(...st.pcp.map((l) => l.length))).toBeLessThanOrEqual(93);
  });
});

describe("percpu", () => {
  it("pcpu_alloc_noprof and free_percpu with their records; a freed area is reused", () => {
    const k = new SyntheticKernel({ seed: 1 });
    const recs = recording(k, ["percpu:percpu_alloc_percpu", "percpu:percpu_free_percpu"], () => {
      const a = k.callByName("pcpu_alloc_noprof", [16n, 8n, 0n, GFP_KERNEL]);
      const b = k.callByName("pcpu_alloc_noprof", [8n, 8n, 0n, GFP_KERNEL]);
      k.callByName("free_percpu", [a]);
      const c = k.callByName("pcpu_alloc_noprof", [12n, 8n, 0n, GFP_KERNEL]);
      expect([b - a, c]).toEqual([16n, a]);
    });
    const base = 0xffff88813bc00000n;
    expect(recs.map((r) => [r.name, r.f.off, r.f.ptr])).toEqual([
      ["percpu:percpu_alloc_percpu", 0n, base],
      ["percpu:percpu_alloc_percpu", 16n, base + 16n],
      ["percpu:percpu_free_percpu", 0n, base],
      ["percpu:percpu_alloc_percpu", 0n, base],
    ]);
    expect(recs[0]!.f).toEqual({ call_site: 0n, reserved: 0n, is_atomic: 0n, size: 16n, align: 8n, base_addr: base, off: 0n, ptr: base, bytes_alloc: 64n, gfp_flags: 0xcc0n });
    // Sleeping allocations serialize on pcpu_alloc_mutex; the area map under pcpu_lock.
    expect([calls(k, "mutex_lock_interruptible"), calls(k, "mutex_unlock"), calls(k, "_raw_spin_lock_irqsave")]).toEqual([3, 3, 4]);
  });
});

describe("through the tracer", () => {
  it("btfsnoop trace tracepoint:kmem:kmalloc on the fs workload: each record's bytes_alloc is the kmalloc cache (or page block) that fits bytes_req", async () => {
    const r = await runCli("tracepoint:kmem:kmalloc", "--workload", "fs", "-d", "40ms", "--format", "json", "--check");
    expect(r.code).toBe(0);
    type Ev = { func: string; values: { name: string; value: number | string }[] };
    const events = r.out.trim().split("\n").map((l) => JSON.parse(l) as Ev);
    expect(events.length).toBeGreaterThan(3);
    const sizes = [8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192];
    for (const e of events) {
      const v = Object.fromEntries(e.values.map((x) => [x.name, Number(x.value)]));
      const fit = sizes.find((c) => c >= v.bytes_req!) ?? 4096 * 2 ** Math.ceil(Math.log2(v.bytes_req! / 4096));
      expect([e.func, v.bytes_alloc, v.node]).toEqual(["kmem:kmalloc", fit, -1]);
      // GFP_KERNEL, GFP_ATOMIC or GFP_KERNEL | __GFP_ZERO
      expect([0xcc0, 0xa20, 0xdc0]).toContain(v.gfp_flags);
    }
    expect(r.err).toMatch(/ok kmem:kmalloc: (\d+) calls -> \1 records expected/);
  }, 60_000);
});
