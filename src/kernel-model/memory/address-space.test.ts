// The sparse address space: byte-granular mapping, probe_read faults with
// zero-fill, page straddling, bounds, text placement and user-space layout.
import { describe, expect, it } from "vitest";
import { BtfsnoopError } from "../../internal/errors.js";
import {
  AddressSpace,
  ADDRESS_SPACE_END,
  EFAULT,
  KERNEL_SPACE_START,
  TextAllocator,
  UserSpace,
  PAGE_SIZE,
} from "./address-space.js";

const K = 0xffff888100000000n;

function kspace(): AddressSpace {
  return new AddressSpace("kernel", KERNEL_SPACE_START, ADDRESS_SPACE_END);
}

describe("AddressSpace", () => {
  it("reads back what was written, zero on fresh map", () => {
    const s = kspace();
    s.map(K, 16);
    expect(s.mappedBytes).toBe(16);
    const dst = new Uint8Array(16).fill(0xee);
    expect(s.read(dst, K)).toBe(0);
    expect([...dst]).toEqual(new Array(16).fill(0));
    expect(s.write(K + 4n, Uint8Array.of(1, 2, 3))).toBe(0);
    const out = new Uint8Array(5);
    expect(s.read(out, K + 3n)).toBe(0);
    expect([...out]).toEqual([0, 1, 2, 3, 0]);
  });

  it("faults with -EFAULT (-14) and zero-fills on unmapped bytes", () => {
    const s = kspace();
    s.map(K, 8, 0x41);
    const dst = new Uint8Array(9).fill(0xee);
    expect(s.read(dst, K)).toBe(-14); // 9th byte unmapped
    expect(EFAULT).toBe(-14);
    expect([...dst]).toEqual(new Array(9).fill(0));
    const far = new Uint8Array(4).fill(1);
    expect(s.read(far, 0xffff888200000000n)).toBe(-14);
    expect([...far]).toEqual([0, 0, 0, 0]);
    expect(s.write(K + 4n, new Uint8Array(8))).toBe(-14);
    expect([...s.peek(K, 8)]).toEqual(new Array(8).fill(0x41)); // failed write wrote nothing
  });

  it("reads straddling a page boundary, and faults if the next page is unmapped", () => {
    const s = kspace();
    const boundary = K + BigInt(PAGE_SIZE);
    s.map(boundary - 4n, 8);
    s.write(boundary - 4n, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    const dst = new Uint8Array(4);
    expect(s.read(dst, boundary - 2n)).toBe(0);
    expect([...dst]).toEqual([3, 4, 5, 6]);
    s.unmap(boundary, 1);
    const dst2 = new Uint8Array(4).fill(9);
    expect(s.read(dst2, boundary - 2n)).toBe(-14);
    expect([...dst2]).toEqual([0, 0, 0, 0]);
    expect(s.firstUnmapped(boundary - 2n, 4)).toBe(boundary);
    expect([...s.peek(boundary - 1n, 2)]).toEqual([4, 5]); // contents kept while unmapped
  });

  it("never throws on reads outside the space or past 2^64", () => {
    const s = kspace();
    s.map(0xfffffffffffffff8n, 8);
    const dst = new Uint8Array(16).fill(7);
    expect(s.read(dst, 0xfffffffffffffff8n)).toBe(-14);
    expect([...dst]).toEqual(new Array(16).fill(0));
    expect(s.read(new Uint8Array(8), 0xfffffffffffffff8n)).toBe(0);
    expect(s.read(new Uint8Array(8), 0x1000n)).toBe(-14); // user half
    expect(s.read(new Uint8Array(8), -8n)).toBe(-14);
    expect(s.read(new Uint8Array(0), 0n)).toBe(0); // size 0 reads succeed, like probe_read(.., 0, ..)
  });

  it("refuses to map outside its bounds", () => {
    const s = kspace();
    expect(() => s.map(0x7ffc00000000n, 8)).toThrow(BtfsnoopError);
    try {
      s.map(0x1000n, 8);
    } catch (e) {
      expect((e as BtfsnoopError).errno).toBe("EFAULT");
      expect((e as Error).message).toBe("kernel: map of 8 bytes at 0x1000 is outside 0xffff800000000000-0x10000000000000000");
    }
  });

  it("readOrThrow names the first unmapped address", () => {
    const s = kspace();
    s.map(K, 4);
    expect(() => s.readOrThrow(K, 8)).toThrow("kernel: read of 8 bytes at 0xffff888100000000: address 0xffff888100000004 is not mapped");
  });
});

describe("TextAllocator", () => {
  it("places functions at aligned, deterministic addresses and symbolizes them", () => {
    const s = kspace();
    const text = new TextAllocator(s);
    expect(text.alloc("vfs_read", 0x1a5)).toBe(0xffffffff81000000n);
    expect(text.alloc("vfs_write", 0x40)).toBe(0xffffffff810001b0n);
    expect(text.alloc("do_sys_openat2", 0x10, 64)).toBe(0xffffffff81000200n);
    expect(text.addressOf("vfs_write")).toBe(0xffffffff810001b0n);
    expect(text.symbolize(0xffffffff810001b4n)).toBe("vfs_write+0x4/0x40");
    expect(text.symbolize(0xffffffff81000000n)).toBe("vfs_read+0x0/0x1a5");
    expect(text.symbolize(0xffffffff810001a5n)).toBeUndefined(); // padding between functions
    expect(text.lookup(0xffffffff8100020fn)).toEqual({ symbol: { name: "do_sys_openat2", addr: 0xffffffff81000200n, size: 0x10 }, offset: 15 });
    const code = new Uint8Array(2);
    expect(s.read(code, 0xffffffff81000000n)).toBe(0);
    expect([...code]).toEqual([0xcc, 0xcc]);
    expect(() => text.alloc("vfs_read", 8)).toThrow(/already placed at 0xffffffff81000000/);
    expect(() => text.alloc("x", 8, 3)).toThrow(/not a power of two/);
  });
});

describe("UserSpace", () => {
  it("hands out heap and stack buffers near 0x5555... and 0x7ffc...", () => {
    const u = new UserSpace(42);
    expect(u.heapAlloc(10)).toBe(0x555555559000n);
    expect(u.heapAlloc(4, "abcd")).toBe(0x555555559010n);
    expect(u.stackAlloc(64)).toBe(0x7ffccfffffc0n);
    expect(u.stackAlloc(8)).toBe(0x7ffccfffffb0n);
    const s = u.allocString("hi");
    expect(s).toBe(0x555555559020n);
    expect([...u.readOrThrow(s, 3)]).toEqual([0x68, 0x69, 0]);
    expect([...u.readOrThrow(0x555555559010n, 4)]).toEqual([0x61, 0x62, 0x63, 0x64]);
  });

  it("frees heap blocks: reads fault, freed chunks are reused zeroed, neighbours coalesce, the top shrinks", () => {
    const H = 0x555555559000n;
    const u = new UserSpace(7);
    const a = u.heapAlloc(40, "x".repeat(40)); // 48-byte chunk
    const b = u.heapAlloc(16);
    const c = u.heapAlloc(100); // 112-byte chunk
    expect([a, b, c]).toEqual([H, H + 48n, H + 64n]);
    expect(u.heapBytes).toBe(176);
    u.heapFree(a);
    expect(u.read(new Uint8Array(1), a)).toBe(-14);
    // First fit in the freed chunk, zero-filled.
    const d = u.heapAlloc(20);
    expect(d).toBe(H);
    expect([...u.readOrThrow(d, 20)]).toEqual(new Array(20).fill(0));
    expect(u.heapAlloc(16)).toBe(H + 32n); // the rest of a's chunk
    // b and c freed: they coalesce with each other and give the top back.
    u.heapFree(b);
    u.heapFree(c);
    expect(u.heapAlloc(64)).toBe(H + 48n);
    expect(u.heapBytes).toBe(32 + 16 + 64);
    expect(() => u.heapFree(b + 8n)).toThrow("free(0x555555559038): not an allocated heap block (double free or invalid pointer)");
    expect(() => u.heapFree(c)).toThrow(BtfsnoopError);
  });

  it("frees everything it allocates: a long alloc/free loop uses no more heap or pages than one round", () => {
    const u = new UserSpace(8);
    const round = (i: number) => {
      const bufs = [u.allocString(`/path/${i}`), ...[1, 2, 3].map((n) => u.heapAlloc(((i * 997 * n) % 4096) + 1))];
      for (const p of bufs.reverse()) u.heapFree(p);
    };
    for (let i = 0; i < 50; i++) round(i);
    const pages = u.pageCount;
    for (let i = 50; i < 5000; i++) round(i);
    expect([u.heapBytes, u.mappedBytes]).toEqual([0, 0]);
    expect(u.pageCount).toBeLessThanOrEqual(pages);
    expect(u.heapAlloc(1)).toBe(0x555555559000n);
  });

  it("cannot hold kernel addresses or the NULL page", () => {
    const u = new UserSpace(1);
    expect(() => u.map(0xffff888100000000n, 8)).toThrow(BtfsnoopError);
    expect(() => u.map(0n, 8)).toThrow(BtfsnoopError);
    expect(u.read(new Uint8Array(1), 0n)).toBe(-14);
  });
});

describe("AddressSpace typed accesses and ranges", () => {
  it("loads and stores u8/u16/u32/u64 little-endian in a page, across pages, and faults without writing", () => {
    const s = kspace();
    const p = K + BigInt(PAGE_SIZE) - 3n; // a u64 here straddles two pages
    s.map(K, 2 * PAGE_SIZE);
    expect(s.storeU64(K + 8n, 0x1122334455667788n)).toBe(true);
    expect([...s.peek(K + 8n, 8)]).toEqual([0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]);
    expect([s.loadU8(K + 8n), s.loadU16(K + 8n), s.loadU32(K + 9n), s.loadU64(K + 8n)]).toEqual([0x88, 0x7788, 0x44556677, 0x1122334455667788n]);
    expect(s.storeU32(K + 16n, 0x1_0000_0005)).toBe(true); // modulo 2^32
    expect(s.storeU16(K + 20n, -1)).toBe(true); // modulo 2^16
    expect(s.storeU8(K + 22n, 0x1ab)).toBe(true);
    expect([...s.peek(K + 16n, 8)]).toEqual([5, 0, 0, 0, 0xff, 0xff, 0xab, 0]);
    expect(s.storeU64(p, 0xa1a2a3a4a5a6a7a8n)).toBe(true);
    expect(s.loadU64(p)).toBe(0xa1a2a3a4a5a6a7a8n);
    expect(s.loadU32(p + 1n)).toBe(0xa4a5a6a7);
    s.unmap(K + 24n, 1);
    expect([s.loadU8(K + 24n), s.loadU16(K + 23n), s.loadU32(K + 21n), s.loadU64(K + 17n)]).toEqual([-1, -1, -1, undefined]);
    expect([s.storeU8(K + 24n, 1), s.storeU16(K + 23n, 0x0202), s.storeU32(K + 21n, 0x03030303), s.storeU64(K + 17n, 4n)]).toEqual([false, false, false, false]);
    expect([...s.peek(K + 17n, 8)]).toEqual([0, 0, 0, 0xff, 0xff, 0xab, 0, 0]); // nothing written by the failed stores
    s.unmap(K + BigInt(PAGE_SIZE), 1); // a straddling access with its second page's byte unmapped
    expect(s.loadU64(p)).toBeUndefined();
    expect(s.storeU64(p, 0n)).toBe(false);
    expect(s.loadU64(p - 8n)).toBe(0n);
  });

  it("maps and unmaps partly mapped ranges counting each byte once, and keeps poison of unmapped bytes", () => {
    const s = kspace();
    s.map(K + 10n, 5, 0x41); // [10, 15)
    s.map(K + 20n, 5, 0x42); // [20, 25)
    s.map(K + 8n, 20, 0x43); // fills only [8, 10), [15, 20), [25, 28)
    expect(s.mappedBytes).toBe(20);
    expect([...s.peek(K + 8n, 20)].map((b) => b.toString(16)).join(" ")).toBe("43 43 41 41 41 41 41 43 43 43 43 43 42 42 42 42 42 43 43 43");
    s.unmap(K + 12n, 4);
    s.unmap(K + 4n, 40); // mapped runs [8, 12) and [16, 28)
    expect(s.mappedBytes).toBe(0);
    expect(s.isMapped(K + 8n, 1)).toBe(false);
    expect(s.pageCount).toBe(1); // the page holds non-zero bytes, so it stays
    expect([...s.peek(K + 10n, 2)]).toEqual([0x41, 0x41]);
  });

  it("drops an emptied all-zero page and reuses it zeroed for the next page", () => {
    const s = kspace();
    s.map(K, 64);
    s.write(K, Uint8Array.of(9, 9));
    s.write(K, Uint8Array.of(0, 0)); // written, but all zero again
    s.unmap(K, 64);
    expect([s.pageCount, s.mappedBytes]).toEqual([0, 0]);
    s.map(K + 0x10000n, 8);
    expect([...s.peek(K + 0x10000n - 8n, 24)]).toEqual(new Array(24).fill(0));
    expect(s.isMapped(K + 0x10000n, 8)).toBe(true);
    expect(s.isMapped(K, 1)).toBe(false);
    expect(s.loadU64(K)).toBeUndefined();
    expect(s.pageCount).toBe(1);
  });

  it("faults a fast single-page access outside unaligned bounds as before", () => {
    const s = new AddressSpace("small", 0x1000n, 0x1800n);
    s.map(0x1000n, 0x800);
    expect(() => s.map(0x17f8n, 16)).toThrow(/outside 0x1000-0x1800/);
    expect(() => s.fillRaw(0x17f8n, 16, 1)).toThrow(/outside/);
    expect(() => s.unmap(0x17f8n, 16)).toThrow(/outside/);
    expect(s.read(new Uint8Array(16), 0x17f8n)).toBe(-14);
  });

  it("loads and stores a field at base + delta in base's page, across into the next page, and faults without writing", () => {
    const s = kspace();
    s.map(K, 2 * PAGE_SIZE);
    expect(s.storeAt(K + 16n, 8, 8, 0x1122334455667788n)).toBe(true);
    expect([...s.peek(K + 24n, 8)]).toEqual([0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]);
    expect(s.loadAt(K + 16n, 8, 8, false)).toBe(0x1122334455667788n);
    expect(s.storeAt(K, 40, 4, -2n)).toBe(true); // two's complement of an in-range negative value
    expect([s.loadAt(K, 40, 4, true), s.loadAt(K, 40, 4, false), s.loadAt(K + 40n, 0, 2, true), s.loadAt(K + 40n, 3, 1, false)]).toEqual([-2n, 0xfffffffen, -2n, 0xffn]);
    expect(s.storeAt(K, 48, 2, 0xbeefn)).toBe(true);
    expect(s.storeAt(K, 50, 1, -1n)).toBe(true);
    expect([...s.peek(K + 48n, 3)]).toEqual([0xef, 0xbe, 0xff]);
    expect(s.loadAt(K + 8n, -8, 8, true)).toBe(0n); // a negative delta below the page's bytes read
    // A field past the end of base's page (the object straddles pages), and one straddling the boundary.
    const last = K + BigInt(PAGE_SIZE) - 16n;
    expect(s.storeAt(last, 24, 8, 0x0102030405060708n)).toBe(true);
    expect(s.loadAt(K + BigInt(PAGE_SIZE), 8, 8, false)).toBe(0x0102030405060708n);
    expect(s.storeAt(last, 12, 8, 0xa1a2a3a4a5a6a7a8n)).toBe(true);
    expect(s.loadU64(last + 12n)).toBe(0xa1a2a3a4a5a6a7a8n);
    expect(s.loadAt(last, 12, 8, true)).toBe(BigInt.asIntN(64, 0xa1a2a3a4a5a6a7a8n));
    s.unmap(K + 42n, 1);
    expect([s.loadAt(K, 40, 4, false), s.loadAt(K, 42, 1, false), s.storeAt(K, 40, 4, 7n)]).toEqual([undefined, undefined, false]);
    expect([...s.peek(K + 40n, 4)]).toEqual([0xfe, 0xff, 0xff, 0xff]); // nothing written
    s.unmap(K + BigInt(PAGE_SIZE), 1);
    expect([s.loadAt(last, 12, 8, false), s.storeAt(last, 12, 8, 0n)]).toEqual([undefined, false]);
    expect(s.loadAt(K + 0x100000n, 0, 8, false)).toBeUndefined(); // no page at all
    expect(s.storeAt(K + 0x100000n, 0, 4, 1n)).toBe(false);
  });

  it("maps and unmaps long partly mapped ranges run by run, within the range only", () => {
    const s = kspace();
    s.map(K + 200n, 300, 0x41); // [200, 500)
    s.map(K + 900n, 100, 0x42); // [900, 1000)
    s.map(K + 2000n, 10);
    s.map(K + 100n, 1800, 0x43); // fills [100, 200), [500, 900), [1000, 1900)
    expect(s.mappedBytes).toBe(1800 + 10);
    expect([...s.peek(K + 198n, 4)]).toEqual([0x43, 0x43, 0x41, 0x41]);
    expect([...s.peek(K + 898n, 4)]).toEqual([0x43, 0x43, 0x42, 0x42]);
    expect([...s.peek(K + 1898n, 4)]).toEqual([0x43, 0x43, 0, 0]);
    expect(s.isMapped(K + 100n, 1800)).toBe(true);
    expect(s.isMapped(K + 100n, 1801)).toBe(false);
    s.unmap(K + 300n, 200); // [300, 500)
    s.unmap(K + 150n, 1000); // the mapped runs [150, 300) and [500, 1150)
    expect(s.mappedBytes).toBe(50 + 750 + 10);
    expect([s.isMapped(K + 100n, 50), s.isMapped(K + 1150n, 750), s.isMapped(K + 149n, 2), s.isMapped(K + 2000n, 10)]).toEqual([true, true, false, true]);
    s.unmap(K, 3000);
    expect(s.mappedBytes).toBe(0);
  });

  it("forgets a dropped page in its last-hit cache: an address read before faults after the page goes and a new page takes its buffer", () => {
    const s = kspace();
    s.map(K + 64n, 8);
    expect(s.storeAt(K + 64n, 0, 8, 5n)).toBe(true);
    expect(s.loadAt(K + 64n, 0, 8, false)).toBe(5n);
    expect(s.storeAt(K + 64n, 0, 8, 0n)).toBe(true);
    s.unmap(K + 64n, 8); // all zero and unmapped: the page is dropped and kept as a spare
    expect(s.pageCount).toBe(0);
    s.map(K + 0x5000n + 64n, 8, 0x77); // the spare page now backs another address
    expect(s.loadAt(K + 64n, 0, 8, false)).toBeUndefined();
    expect(s.loadU8(K + 64n)).toBe(-1);
    expect(s.loadAt(K + 0x5000n + 64n, 0, 1, false)).toBe(0x77n);
  });
});
