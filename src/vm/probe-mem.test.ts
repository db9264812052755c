// ProbeMemReader and KernelStoreWriter: VM regions first (every width and
// sign), then kernel memory through the KernelEnv at the exact 64-bit
// address (carries between the halves included), 0 for an unreadable
// address, and the fault of an unwritable one.
import { describe, expect, it } from "vitest";
import { nullKernelEnv, type KernelEnv } from "./env.js";
import { AddressSpace, RegionKind } from "./memory.js";
import { KernelStoreWriter, ProbeMemReader } from "./probe-mem.js";

const KBASE = 0xffff888000100000n;

/** A kernel of 64 readable bytes at KBASE (byte i = 0x80 + i) that records every address asked for. */
function kernel(): { env: KernelEnv; reads: bigint[]; writes: [bigint, number[]][]; bytes: Uint8Array } {
  const bytes = Uint8Array.from({ length: 64 }, (_, i) => 0x80 + i);
  const reads: bigint[] = [];
  const writes: [bigint, number[]][] = [];
  const env = nullKernelEnv({
    readKernel: (dst, addr) => {
      reads.push(addr);
      const o = Number(addr - KBASE);
      if (addr < KBASE || o + dst.length > bytes.length) return -14;
      dst.set(bytes.subarray(o, o + dst.length));
      return 0;
    },
    writeKernel: (addr, src) => {
      writes.push([addr, [...src]]);
      const o = Number(addr - KBASE);
      if (addr < KBASE || o + src.length > bytes.length) return -14;
      bytes.set(src, o);
      return 0;
    },
  });
  return { env, reads, writes, bytes };
}

const halves = (v: bigint): [number, number] => [Number(v & 0xffffffffn) | 0, Number(v >> 32n) | 0];

describe("ProbeMemReader", () => {
  it("reads VM regions at every width and sign without asking the kernel", () => {
    const mem = new AddressSpace();
    const k = kernel();
    const region = mem.map(RegionKind.MAP_VALUE, Uint8Array.of(0xf1, 0xf2, 0xf3, 0xf4, 0x05, 0x06, 0x07, 0x88));
    const reader = new ProbeMemReader(mem, k.env);
    const out = new Int32Array(2);
    const read = (off: number, size: number, signed: boolean) => {
      reader.load(region.lo | 0, region.hi | 0, off, size, signed, out);
      return [out[0]! >>> 0, out[1]! >>> 0];
    };
    expect(read(0, 1, false)).toEqual([0xf1, 0]);
    expect(read(0, 1, true)).toEqual([0xfffffff1, 0xffffffff]);
    expect(read(2, 2, false)).toEqual([0xf4f3, 0]);
    expect(read(2, 2, true)).toEqual([0xfffff4f3, 0xffffffff]);
    expect(read(0, 4, false)).toEqual([0xf4f3f2f1, 0]);
    expect(read(0, 4, true)).toEqual([0xf4f3f2f1, 0xffffffff]);
    expect(read(0, 8, false)).toEqual([0xf4f3f2f1, 0x88070605]);
    expect(k.reads).toEqual([]);
  });

  it("reads kernel memory at the exact address, carrying into and borrowing from the high half", () => {
    const mem = new AddressSpace();
    const k = kernel();
    const reader = new ProbeMemReader(mem, k.env);
    const out = new Int32Array(2);
    const [lo, hi] = halves(KBASE + 8n);
    reader.load(lo, hi, 4, 4, false, out);
    expect(out[0]! >>> 0).toBe(0x8f8e8d8c);
    // base 0x..._fffffff0 + 0x20 crosses into the next high half: the address is still exact.
    const [lo2, hi2] = halves(0xffff8880fffffff0n);
    reader.load(lo2, hi2, 0x20, 8, false, out);
    const [lo3, hi3] = halves(0xffff888100000010n);
    reader.load(lo3, hi3, -0x20, 2, true, out);
    expect(k.reads).toEqual([KBASE + 12n, 0xffff888100000010n, 0xffff8880fffffff0n]);
  });

  it("reads 0 where neither a region nor the kernel has the bytes, and a region's straddling read goes to the kernel", () => {
    const mem = new AddressSpace();
    const k = kernel();
    const region = mem.map(RegionKind.MAP_VALUE, new Uint8Array(4).fill(0x11));
    const reader = new ProbeMemReader(mem, k.env);
    const out = Int32Array.of(-1, -1);
    reader.load(0x1000, 0, 0, 8, false, out);
    expect([out[0], out[1]]).toEqual([0, 0]);
    out[0] = out[1] = -1;
    reader.load(region.lo | 0, region.hi | 0, 2, 4, true, out);
    expect([out[0], out[1]]).toEqual([0, 0]);
    expect(k.reads).toEqual([0x1000n, (BigInt(region.hi) << 32n) + BigInt(region.lo) + 2n]);
  });
});

describe("KernelStoreWriter", () => {
  it("writes VM regions directly and kernel memory through writeKernel, low bytes first", () => {
    const mem = new AddressSpace();
    const k = kernel();
    const region = mem.map(RegionKind.MAP_VALUE, new Uint8Array(8));
    const w = new KernelStoreWriter(mem, k.env);
    w.store(0, region.lo | 0, region.hi | 0, 1, 2, 0x1234, 0);
    expect([...region.bytes]).toEqual([0, 0x34, 0x12, 0, 0, 0, 0, 0]);
    const [lo, hi] = halves(KBASE);
    w.store(0, lo, hi, 16, 8, 0x44332211, 0x88776655 | 0);
    expect([...k.bytes.subarray(16, 24)]).toEqual([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
    expect(k.writes).toEqual([[KBASE + 16n, [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]]]);
  });

  it("faults on an address that is neither a writable region nor writable kernel memory", () => {
    const mem = new AddressSpace();
    const k = kernel();
    const ro = mem.map(RegionKind.CTX, new Uint8Array(8), { writable: false });
    const w = new KernelStoreWriter(mem, k.env);
    expect(() => w.store(7, 0x1000, 0, -8, 4, 1, 0)).toThrow("insn 7: invalid write of 4 bytes at 0xff8: not writable kernel memory");
    const addr = ((BigInt(ro.hi) << 32n) + BigInt(ro.lo)).toString(16);
    expect(() => w.store(3, ro.lo | 0, ro.hi | 0, 0, 1, 1, 0)).toThrow(`insn 3: invalid write of 1 bytes at 0x${addr}: not writable kernel memory`);
    expect(ro.bytes[0]).toBe(0);
  });
});
