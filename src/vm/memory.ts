// The VM's view of memory: 64-bit addresses mapped to regions it knows
// (stack frames, program context, map values, ring buffer records, mem and
// packet buffers). Addresses are handled as (hi, lo) 32-bit halves so hot
// paths stay BigInt-free; a region never crosses a 4 GiB boundary, so it is
// found by its `hi` and a binary search on `lo`. Every load and store the
// interpreter does is checked against a region here; kernel memory is never
// touched directly (only through helpers, via KernelEnv). checkedRegion()
// is a program access's check, with the fault it raises.
import { FaultKind, VmFault } from "./errors.js";

/** What a region holds; decides where it is placed in the address space. */
export const RegionKind = {
  STACK: 1,
  CTX: 2,
  MAP_VALUE: 3,
  MAP_OBJECT: 4,
  RINGBUF: 5,
  MEM: 6,
  PACKET: 7,
} as const;
export type RegionKind = (typeof RegionKind)[keyof typeof RegionKind];

export const REGION_KIND_NAMES: Readonly<Record<number, string>> = {
  [RegionKind.STACK]: "stack",
  [RegionKind.CTX]: "ctx",
  [RegionKind.MAP_VALUE]: "map_value",
  [RegionKind.MAP_OBJECT]: "map",
  [RegionKind.RINGBUF]: "ringbuf",
  [RegionKind.MEM]: "mem",
  [RegionKind.PACKET]: "packet",
};

/**
 * First `hi` of each kind's zone: kernel-looking addresses in the vmalloc
 * area, clear of the kernel model's direct map (0xffff888...) so a kernel
 * pointer never lands in a VM region by accident.
 */
const ZONE_HI: Readonly<Record<number, number>> = {
  [RegionKind.STACK]: 0xffffc900,
  [RegionKind.CTX]: 0xffffc980,
  [RegionKind.MAP_VALUE]: 0xffffc9c0,
  [RegionKind.MAP_OBJECT]: 0xffffc9b0,
  [RegionKind.RINGBUF]: 0xffffc9a0,
  [RegionKind.MEM]: 0xffffc9d0,
  [RegionKind.PACKET]: 0xffffc9e0,
};

/** Unmapped bytes left between two regions of a zone, so an access just past one never lands in the next. */
const GUARD = 4096;
const FOUR_GIB = 0x1_0000_0000;

export interface Region {
  /** Upper 32 bits of the base address. */
  readonly hi: number;
  /** Lower 32 bits of the base address (unsigned). */
  readonly lo: number;
  /** Size in bytes. */
  readonly size: number;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly writable: boolean;
  readonly kind: RegionKind;
  /** Says what it is in error messages, e.g. "map_value of map 3 'counts'". */
  readonly label: string;
}

export interface MapOptions {
  writable?: boolean;
  label?: string;
}

/** The 64-bit address of a region's byte `offset`, as a BigInt (for helpers and user space). */
export function regionAddress(r: Region, offset = 0): bigint {
  return (BigInt(r.hi) << 32n) + BigInt(r.lo) + BigInt(offset);
}

/** Splits a 64-bit address into halves. */
export function splitAddress(addr: bigint): { hi: number; lo: number } {
  const a = BigInt.asUintN(64, addr);
  return { hi: Number(a >> 32n), lo: Number(a & 0xffffffffn) };
}

export class AddressSpace {
  /** Regions of each `hi`, sorted by `lo`. */
  private readonly byHi = new Map<number, Region[]>();
  /** Next free (hi, lo) per kind. */
  private readonly next = new Map<number, { hi: number; lo: number }>();
  private last: Region | undefined;

  /** Maps `bytes` as a new region of `kind` and returns it. */
  map(kind: RegionKind, bytes: Uint8Array, options: MapOptions = {}): Region {
    const size = bytes.length;
    if (size > FOUR_GIB - 2 * GUARD) throw new RangeError(`region of ${size} bytes is too large`);
    let cur = this.next.get(kind) ?? { hi: ZONE_HI[kind]!, lo: GUARD };
    if (cur.lo + size + GUARD > FOUR_GIB) cur = { hi: cur.hi + 1, lo: GUARD };
    const region: Region = {
      hi: cur.hi,
      lo: cur.lo,
      size,
      bytes,
      view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      writable: options.writable ?? true,
      kind,
      label: options.label ?? REGION_KIND_NAMES[kind]!,
    };
    // Keep 8-byte alignment of every base.
    this.next.set(kind, { hi: cur.hi, lo: cur.lo + Math.ceil((size + GUARD) / 8) * 8 });
    let list = this.byHi.get(region.hi);
    if (!list) this.byHi.set(region.hi, (list = []));
    list.push(region); // bases grow within a zone, so the list stays sorted
    return region;
  }

  /** Removes a region; later accesses to it fail. */
  unmap(region: Region): void {
    const list = this.byHi.get(region.hi);
    if (!list) return;
    const i = list.indexOf(region);
    if (i >= 0) list.splice(i, 1);
    if (this.last === region) this.last = undefined;
  }

  /**
   * The region containing all of [addr, addr + size), where addr = hi:lo, or
   * undefined. `lo` may be any number; it is taken modulo 2^32.
   */
  find(hi: number, lo: number, size: number): Region | undefined {
    lo = lo >>> 0;
    const last = this.last;
    if (last !== undefined && last.hi === hi && lo >= last.lo && lo + size <= last.lo + last.size) return last;
    const list = this.byHi.get(hi >>> 0);
    if (!list) return undefined;
    let a = 0;
    let b = list.length - 1;
    while (a <= b) {
      const m = (a + b) >> 1;
      const r = list[m]!;
      if (lo < r.lo) b = m - 1;
      else if (lo >= r.lo + r.size) a = m + 1;
      else {
        if (lo + size > r.lo + r.size) return undefined;
        this.last = r;
        return r;
      }
    }
    return undefined;
  }

  /** find() for a BigInt address. */
  findAddress(addr: bigint, size: number): Region | undefined {
    const { hi, lo } = splitAddress(addr);
    return this.find(hi, lo, size);
  }
}

/**
 * The region holding an access of `size` bytes at base + off (base = baseHi:baseLo,
 * off a 16-bit offset) by the instruction at `pc`; the access's offset in it
 * is ((baseLo + off) >>> 0) - region.lo. Throws the VmFault of an invalid
 * read or write (no region there, or a write to a read-only one).
 */
export function checkedRegion(mem: AddressSpace, pc: number, baseLo: number, baseHi: number, off: number, size: number, write: boolean): Region {
  let l = (baseLo >>> 0) + off;
  let h = baseHi;
  if (l >= FOUR_GIB) {
    l -= FOUR_GIB;
    h = (h + 1) | 0;
  } else if (l < 0) {
    l += FOUR_GIB;
    h = (h - 1) | 0;
  }
  const r = mem.find(h >>> 0, l, size);
  if (r === undefined || (write && !r.writable)) {
    const addr = ((BigInt(h >>> 0) << 32n) | BigInt(l)).toString(16);
    const what = r === undefined ? "not inside any mapped region" : `${r.label} is read-only`;
    throw new VmFault(FaultKind.MEMORY, pc, `invalid ${write ? "write" : "read"} of ${size} bytes at 0x${addr}: ${what}`);
  }
  return r;
}
