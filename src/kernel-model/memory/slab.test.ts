// Slab caches: deterministic addresses, alignment, LIFO reuse, poisoning,
// freed objects faulting for probe_read, UAF counters and kmalloc classes.
import { describe, expect, it } from "vitest";
import { BtfsnoopError } from "../../internal/errors.js";
import { AddressSpace, ADDRESS_SPACE_END, KERNEL_SPACE_START, KERNEL_TEXT_START, PageAllocator, SLAB_AREA_START } from "./address-space.js";
import { POISON_END, POISON_FREE, SlabAllocator } from "./slab.js";

function setup() {
  const space = new AddressSpace("kernel", KERNEL_SPACE_START, ADDRESS_SPACE_END);
  const slab = new SlabAllocator(space, new PageAllocator(SLAB_AREA_START, KERNEL_TEXT_START));
  return { space, slab };
}

describe("KmemCache", () => {
  it("allocates at deterministic, aligned addresses in ascending order", () => {
    const { slab } = setup();
    const c = slab.createCache("thing", 20); // align 8 -> stride 24
    expect(c.align).toBe(8);
    expect(c.stride).toBe(24);
    expect(c.alloc()).toBe(0xffff888100000000n);
    expect(c.alloc()).toBe(0xffff888100000018n);
    const d = slab.createCache("hw", 100, { align: 64 }); // stride 128, its own slab page
    expect(d.stride).toBe(128);
    const a = d.alloc();
    expect(a).toBe(0xffff888100001000n);
    expect(a % 64n).toBe(0n);
    expect(d.alloc()).toBe(0xffff888100001080n);
    expect(() => slab.createCache("odd", 8, { align: 24 })).toThrow(/not a power of two/);
    expect(() => slab.createCache("thing", 8)).toThrow(BtfsnoopError);
  });

  it("reuses freed objects LIFO, like a slab freelist", () => {
    const { slab } = setup();
    const c = slab.createCache("obj", 32);
    const [a, b, cc] = [c.alloc(), c.alloc(), c.alloc()];
    c.free(a);
    c.free(cc);
    expect(c.alloc()).toBe(cc);
    expect(c.alloc()).toBe(a);
    expect(c.alloc()).toBe(0xffff888100000060n); // fresh
    expect(b).toBe(0xffff888100000020n);
    expect(c.stats).toMatchObject({ active: 4, allocs: 6, frees: 2, slabs: 1, total: 128 });
  });

  it("grows by new slabs when full", () => {
    const { slab } = setup();
    const c = slab.createCache("big", 3000); // stride 3000, 8 pages -> 10 objects per slab
    expect(c.slabPages).toBe(8);
    expect(c.objectsPerSlab).toBe(10);
    const addrs = Array.from({ length: 11 }, () => c.alloc());
    expect(addrs[9]).toBe(0xffff888100000000n + 9n * 3000n);
    expect(addrs[10]).toBe(0xffff888100008000n);
    expect(c.stats.slabs).toBe(2);
    expect(slab.cacheOf(addrs[10]! + 5n)).toBe(c);
  });

  it("poisons freed objects (0x6b..., 0xa5) and makes them fault for reads", () => {
    const { space, slab } = setup();
    const c = slab.createCache("p", 16);
    const a = c.alloc(true);
    space.writeOrThrow(a, Uint8Array.of(1, 2, 3, 4));
    c.free(a);
    const expected = new Array(16).fill(POISON_FREE);
    expected[15] = POISON_END;
    expect([...space.peek(a, 16)]).toEqual(expected);
    const dst = new Uint8Array(4).fill(0xee);
    expect(space.read(dst, a)).toBe(-14);
    expect([...dst]).toEqual([0, 0, 0, 0]);
    expect(slab.noteFaultingRead(a + 2n, 4)).toBe(true);
    expect(c.stats.uafReads).toBe(1);
    expect(slab.uafReads).toBe(1);
    expect(() => c.free(a)).toThrow("kmem_cache_free(p): double free of 0xffff888100000000");
    expect(() => c.free(a + 8n)).toThrow("kmem_cache_free(p): 0xffff888100000008 is not an allocated object of this cache");
  });

  it("allocations without zeroing keep old contents (poison, or the previous owner's bytes)", () => {
    const { space, slab } = setup();
    const c = slab.createCache("p", 8);
    const a = c.alloc(false);
    expect([...space.readOrThrow(a, 8)]).toEqual([0x6b, 0x6b, 0x6b, 0x6b, 0x6b, 0x6b, 0x6b, 0xa5]); // new slab objects are poisoned too
    const q = slab.createCache("nopoison", 8, { poison: false });
    const b = q.alloc(true);
    space.writeOrThrow(b, Uint8Array.of(9, 8, 7, 6, 5, 4, 3, 2));
    q.free(b);
    expect(space.read(new Uint8Array(8), b)).toBe(-14);
    expect(q.alloc(false)).toBe(b);
    expect([...space.readOrThrow(b, 8)]).toEqual([9, 8, 7, 6, 5, 4, 3, 2]);
    q.free(b);
    expect(q.alloc(true)).toBe(b);
    expect([...space.readOrThrow(b, 8)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("reads straddling a live object and a free neighbour fault", () => {
    const { space, slab } = setup();
    const c = slab.createCache("s", 16);
    const a = c.alloc(true);
    const b = c.alloc(true);
    expect(space.read(new Uint8Array(32), a)).toBe(0); // two live neighbours
    c.free(b);
    const dst = new Uint8Array(8).fill(1);
    expect(space.read(dst, a + 12n)).toBe(-14);
    expect([...dst]).toEqual(new Array(8).fill(0));
    expect(space.read(new Uint8Array(8), a + 20n)).toBe(-14); // never-allocated third object
  });
});

describe("kmalloc", () => {
  it("uses kmalloc-N size classes", () => {
    const { slab } = setup();
    const a = slab.kmalloc(100, true);
    expect(slab.cacheOf(a)?.name).toBe("kmalloc-128");
    expect(slab.cacheOf(slab.kmalloc(1500))?.name).toBe("kmalloc-2k");
    expect(slab.cacheOf(slab.kmalloc(96))?.name).toBe("kmalloc-96");
    expect(() => slab.kmalloc(8193)).toThrow(/kmalloc\(8193\)/);
    slab.kfree(a);
    expect(() => slab.kfree(0xffff888200000000n)).toThrow("kfree(0xffff888200000000): not a slab object");
  });

  it("tracks each object's state by slot across slabs: live objects in address order, objectAt, kfree of a non-object start", () => {
    const { slab } = setup();
    const c = slab.createCache("st", 3000); // 10 objects per 8-page slab
    const other = slab.createCache("other", 3000);
    const a = Array.from({ length: 12 }, () => c.alloc()); // two slabs
    const o = other.alloc(); // its slab lies between... after c's two slabs
    expect(o).toBe(0xffff888100010000n);
    const c3 = Array.from({ length: 9 }, () => c.alloc()); // c's second slab full, then a third slab after other's
    expect(c3[8]).toBe(0xffff888100018000n);
    c.free(a[3]!);
    slab.kfree(a[11]!);
    expect(c.liveObjects()).toEqual([...a.slice(0, 3), ...a.slice(4, 11), ...c3]);
    expect([c.isLive(a[3]!), c.isLive(a[4]!), c.isLive(o), other.isLive(o), c.isLive(a[4]! + 8n)]).toEqual([false, true, false, true, false]);
    expect(c.objectAt(a[3]! + 100n)).toEqual({ start: a[3], live: false, freed: true });
    expect(c.objectAt(c3[8]! + 2999n)).toEqual({ start: c3[8], live: true, freed: false });
    expect(c.objectAt(c3[8]! + 3000n)).toEqual({ start: c3[8]! + 3000n, live: false, freed: false }); // never allocated
    expect(c.objectAt(a[9]! + 3000n)).toBeUndefined(); // past the last object: the slab's tail
    expect(() => slab.kfree(a[4]! + 8n)).toThrow(`kmem_cache_free(st): ${"0x" + (a[4]! + 8n).toString(16)} is not an allocated object of this cache`);
    expect(() => slab.kfree(a[3]!)).toThrow("double free");
    expect(() => other.free(a[4]!)).toThrow("is not an allocated object of this cache");
    expect(c.alloc()).toBe(a[11]); // LIFO: the last freed first
    expect(c.alloc()).toBe(a[3]);
    expect(c.stats).toMatchObject({ active: 21, allocs: 23, frees: 2, slabs: 3, total: 30 });
  });

  it("kmalloc picks the smallest class and refuses sizes out of range", () => {
    const { slab } = setup();
    const a = slab.kmalloc(65);
    const b = slab.kmalloc(96);
    expect([slab.cacheOf(a)!.name, slab.cacheOf(b)!.name, slab.cacheOf(slab.kmalloc(8192))!.name]).toEqual(["kmalloc-96", "kmalloc-96", "kmalloc-8k"]);
    expect(b - a).toBe(96n);
    expect(() => slab.kmalloc(8193)).toThrow("kmalloc(8193): size out of range (1..8192)");
    expect(() => slab.kmalloc(0)).toThrow("kmalloc(0): size out of range");
  });
});
