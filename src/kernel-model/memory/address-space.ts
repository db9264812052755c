// A sparse 64-bit address space of byte-granular mappings (bigint addresses),
// the kernel's virtual memory layout (direct map, kernel text) and per-task
// user address spaces. Reads follow probe_read semantics: a read touching any
// byte that is not mapped (never mapped, unmapped, or a freed slab object)
// fails with -EFAULT and zero-fills the destination. Each space has bounds:
// the kernel space holds only kernel-half addresses and a user space only
// user-half ones, so a kernel read of a user address (or the other way round)
// faults, as with SMAP and probe_read_kernel/probe_read_user.
import { Buffer } from "node:buffer";
import { BtfsnoopError } from "../../internal/errors.js";
import { Errno } from "../../internal/errno.js";

export const PAGE_SIZE = 4096;
const PAGE_SHIFT = 12n;
const PAGE_MASK = BigInt(PAGE_SIZE - 1);

/** -EFAULT, what a faulting probe_read returns. */
export const EFAULT = -Errno.EFAULT;

/** Start of the kernel half of the 64-bit space (x86-64 4-level paging). */
export const KERNEL_SPACE_START = 0xffff800000000000n;
/** End (exclusive) of the 64-bit space. */
export const ADDRESS_SPACE_END = 1n << 64n;
/** x86-64 TASK_SIZE_MAX: user addresses are below it. */
export const USER_SPACE_END = 0x00007ffffffff000n;
/** mmap_min_addr: the lowest mappable user address (the NULL page is never mapped). */
export const USER_SPACE_START = 0x10000n;

/** page_offset_base: start of the direct map of physical memory. */
export const DIRECT_MAP_BASE = 0xffff888000000000n;
/** Where the model's slab pages start: 4 GiB into the direct map (above low memory). */
export const SLAB_AREA_START = DIRECT_MAP_BASE + 0x100000000n;
/** __START_KERNEL_map + 16 MiB: start of kernel text (_text / _stext). */
export const KERNEL_TEXT_START = 0xffffffff81000000n;
/** End (exclusive) of the kernel text area the model hands out. */
export const KERNEL_TEXT_END = 0xffffffffa0000000n;

/** A user stack top near where x86-64 stacks live (0x7ffc...), below the ASLR window's top. */
export const USER_STACK_TOP = 0x7ffcd0000000n;
/** Start of the user heap (brk) near where PIE binaries put it (0x5555...). */
export const USER_HEAP_START = 0x555555559000n;

interface Page {
  data: Uint8Array;
  /** Typed loads and stores of the page's data (u16/u32/u64 fields in one access). */
  view: DataView;
  /** 1 where the byte is mapped (readable/writable), 0 where not. */
  mapped: Uint8Array;
  /** Number of mapped bytes in the page (to drop empty pages). */
  count: number;
  /** Whether anything but zeros may have been stored (an all-zero page that is unmapped is dropped without looking at its bytes). */
  dirty: boolean;
  /** First address of the page, and the first one past it (an address is tested against a cached page without arithmetic). */
  base: bigint;
  end: bigint;
}

/** An all-zero page to compare a dirty page's data with (one native memcmp). */
const ZERO_PAGE = Buffer.alloc(PAGE_SIZE);
/** Pages remembered by the last-used cache of each address space. */
const PAGE_CACHE = 4;
/** Dropped pages an address space keeps for reuse (bounded: not counted in pageCount). */
const SPARE_PAGES = 8;

export function alignUp(v: bigint, align: bigint): bigint {
  return (v + align - 1n) / align * align;
}

export function hex(addr: bigint): string {
  return `0x${addr.toString(16)}`;
}

/** Whether mapped[off, off+len) are all 1 (short ranges in a loop, long ones by a native scan). */
function allMapped(mapped: Uint8Array, off: number, len: number): boolean {
  if (len <= 16) {
    for (let i = off; i < off + len; i++) if (mapped[i] === 0) return false;
    return true;
  }
  return indexIn(mapped, 0, off, off + len) === off + len;
}

/**
 * The first index in [from, end) where `a` holds `v`, or `end` if none:
 * short ranges in a loop, long ones by a native scan of a view bounded to
 * the range (an unbounded indexOf would scan on to the end of the page).
 */
function indexIn(a: Uint8Array, v: number, from: number, end: number): number {
  if (end - from <= 128) {
    for (let i = from; i < end; i++) if (a[i] === v) return i;
    return end;
  }
  const i = a.subarray(from, end).indexOf(v);
  return i === -1 ? end : from + i;
}

/**
 * A sparse address space of mapped bytes, stored in 4 KiB pages (created on
 * first map). Mapping is byte-granular so freed slab objects can be unmapped
 * on their own. Bytes keep their contents when unmapped (see peek()) so
 * poisoning stays visible to tests and to the model. Accesses that stay in
 * one page find it in a small cache of recently used pages by comparing
 * addresses (no page-number arithmetic on the 64-bit address), and the
 * typed accessors (loadU16/U32/U64, storeU16/U32/U64) read and write the
 * page through a DataView.
 */
export class AddressSpace {
  readonly name: string;
  /** Lowest address of this space (inclusive). */
  readonly start: bigint;
  /** Highest address of this space (exclusive). */
  readonly end: bigint;
  private readonly pages = new Map<number, Page>();
  /** Recently used pages, most recent first (see hit()). */
  private readonly cache: (Page | undefined)[] = new Array<Page | undefined>(PAGE_CACHE).fill(undefined);
  /** Dropped (all-zero, unmapped) pages kept for reuse, at most SPARE_PAGES. */
  private readonly spare: Page[] = [];
  /** Offset into the page the last hit() returned. */
  private hitOff = 0;
  /** The address of the last hit() that found a page, its page and offset (-1n: none; cleared when the page goes). */
  private lastAddr = -1n;
  private lastPage: Page | undefined = undefined;
  private lastOff = 0;
  private mappedTotal = 0;
  /** Whether both bounds are page-aligned (then every existing page lies inside them). */
  private readonly aligned: boolean;

  constructor(name: string, start: bigint, end: bigint) {
    if (start < 0n || end > ADDRESS_SPACE_END || start >= end) throw new BtfsnoopError("EINVAL", `address space ${name}: bad bounds ${hex(start)}-${hex(end)}`);
    this.name = name;
    this.start = start;
    this.end = end;
    this.aligned = (start & PAGE_MASK) === 0n && (end & PAGE_MASK) === 0n;
  }

  /** Number of bytes currently mapped. */
  get mappedBytes(): number {
    return this.mappedTotal;
  }

  /** Number of 4 KiB pages backing this space (each holds its data and a mapped-byte map). */
  get pageCount(): number {
    return this.pages.size;
  }

  /** Whether [addr, addr+size) lies inside this space's bounds. */
  contains(addr: bigint, size: number): boolean {
    return size >= 0 && addr >= this.start && addr + BigInt(size) <= this.end;
  }

  /**
   * The existing page holding `addr` (its offset in hitOff), from the cache
   * of recently used pages or the page map; undefined if there is none.
   */
  private hit(addr: bigint): Page | undefined {
    // The same address as the last hit (fields of one object read one after another): one comparison.
    if (addr === this.lastAddr) {
      this.hitOff = this.lastOff;
      return this.lastPage;
    }
    const c = this.cache;
    for (let i = 0; i < PAGE_CACHE; i++) {
      const p = c[i];
      if (p !== undefined && addr >= p.base && addr < p.end) {
        // Pages are page-aligned: the offset is the address's low 12 bits.
        this.hitOff = Number(BigInt.asUintN(32, addr)) & (PAGE_SIZE - 1);
        if (i !== 0) {
          c[i] = c[0];
          c[0] = p;
        }
        this.lastAddr = addr;
        this.lastOff = this.hitOff;
        this.lastPage = p;
        return p;
      }
    }
    if (addr < 0n || addr >= ADDRESS_SPACE_END) return undefined;
    const page = this.pages.get(Number(addr >> PAGE_SHIFT));
    if (page === undefined) return undefined;
    for (let i = PAGE_CACHE - 1; i > 0; i--) c[i] = c[i - 1];
    c[0] = page;
    this.hitOff = Number(BigInt.asUintN(32, addr)) & (PAGE_SIZE - 1);
    this.lastAddr = addr;
    this.lastOff = this.hitOff;
    this.lastPage = page;
    return page;
  }

  private newPage(pageNo: number): Page {
    const base = BigInt(pageNo) << PAGE_SHIFT;
    const end = base + BigInt(PAGE_SIZE);
    let page = this.spare.pop();
    if (page !== undefined) {
      // A dropped page: its bytes and map are all zero.
      page.base = base;
      page.end = end;
      page.dirty = false;
    } else {
      const data = new Uint8Array(PAGE_SIZE);
      page = { data, view: new DataView(data.buffer), mapped: new Uint8Array(PAGE_SIZE), count: 0, dirty: false, base, end };
    }
    this.pages.set(pageNo, page);
    return page;
  }

  /**
   * Maps [addr, addr+size). Newly mapped bytes keep what they held while
   * unmapped (0 if never written; slab poison survives) unless `fill` is
   * given; already mapped bytes are untouched. Throws EFAULT outside the bounds.
   */
  map(addr: bigint, size: number, fill?: number): void {
    const one = this.onePage(addr, size);
    if (one !== undefined) return this.mapChunk(one, this.hitOff, size, fill);
    this.checkBounds("map", addr, size);
    this.forEachChunk(addr, size, true, (page, off, len) => this.mapChunk(page, off, len, fill));
  }

  private mapChunk(page: Page, off: number, len: number, fill: number | undefined): void {
    const end = off + len;
    const m = page.mapped;
    // Indexes into the page's own arrays (no subarray views: making one costs more than a small object's fills).
    if (page.count === 0 || !(indexIn(m, 1, off, end) < end)) {
      // The usual case (a fresh object or buffer): one fill each.
      m.fill(1, off, end);
      if (fill !== undefined) {
        page.data.fill(fill, off, end);
        if (fill !== 0) page.dirty = true;
      }
      page.count += len;
      this.mappedTotal += len;
      return;
    }
    if (page.count === PAGE_SIZE) return;
    // Partly mapped: each unmapped run found and filled natively.
    let i = indexIn(m, 0, off, end);
    while (i < end) {
      const j = indexIn(m, 1, i, end);
      m.fill(1, i, j);
      if (fill !== undefined) page.data.fill(fill, i, j);
      page.count += j - i;
      this.mappedTotal += j - i;
      i = indexIn(m, 0, j, end);
    }
    if (fill !== undefined && fill !== 0) page.dirty = true;
  }

  /** Unmaps [addr, addr+size) (bytes keep their last contents for peek()). Unmapped bytes in the range are ignored. */
  unmap(addr: bigint, size: number): void {
    const one = this.onePage(addr, size);
    if (one !== undefined) return this.unmapChunk(one, this.hitOff, size);
    this.checkBounds("unmap", addr, size);
    this.forEachChunk(addr, size, false, (page, off, len) => this.unmapChunk(page, off, len));
  }

  private unmapChunk(page: Page, off: number, len: number): void {
    const end = off + len;
    const m = page.mapped;
    const hole = page.count === PAGE_SIZE ? end : indexIn(m, 0, off, end);
    if (hole === end) {
      m.fill(0, off, end);
      page.count -= len;
      this.mappedTotal -= len;
    } else if (page.count !== 0) {
      // Partly mapped: the mapped prefix before the first hole, then each mapped run, found and cleared natively.
      m.fill(0, off, hole);
      page.count -= hole - off;
      this.mappedTotal -= hole - off;
      let i = indexIn(m, 1, hole, end);
      while (i < end) {
        const j = indexIn(m, 0, i, end);
        m.fill(0, i, j);
        page.count -= j - i;
        this.mappedTotal -= j - i;
        i = indexIn(m, 1, j, end);
      }
    }
    // An empty page goes if it holds only zeros (a dirty page is checked with one native compare).
    if (page.count === 0 && (!page.dirty || ZERO_PAGE.equals(page.data))) {
      this.pages.delete(Number(page.base >> PAGE_SHIFT));
      const c = this.cache;
      for (let i = 0; i < PAGE_CACHE; i++) if (c[i] === page) c[i] = undefined;
      if (this.lastPage === page) {
        this.lastAddr = -1n;
        this.lastPage = undefined;
      }
      // All zero and unmapped: kept for the next page this space creates (a heap that shrinks and grows again allocates nothing).
      if (this.spare.length < SPARE_PAGES) this.spare.push(page);
    }
  }

  /**
   * The existing page holding all of [addr, addr+size) (its offset in
   * hitOff) when this space's bounds are page-aligned (then a range inside
   * an existing page is inside the bounds); undefined otherwise.
   */
  private onePage(addr: bigint, size: number): Page | undefined {
    if (!this.aligned || !(size > 0 && size <= PAGE_SIZE) || !Number.isInteger(size)) return undefined;
    const page = this.hit(addr);
    return page !== undefined && this.hitOff + size <= PAGE_SIZE ? page : undefined;
  }

  /** Whether every byte of [addr, addr+size) is mapped (size 0: true inside the bounds). */
  isMapped(addr: bigint, size: number): boolean {
    if (size > 0 && size <= PAGE_SIZE) {
      // One page (the usual case): mapped bytes are inside the bounds, no bounds arithmetic needed.
      const page = this.hit(addr);
      if (page === undefined) return false;
      const off = this.hitOff;
      if (off + size <= PAGE_SIZE) return page.count === PAGE_SIZE || allMapped(page.mapped, off, size);
    }
    if (!this.contains(addr, size)) return false;
    let remaining = size;
    let pageNo = Number(addr >> PAGE_SHIFT);
    let off = Number(addr & PAGE_MASK);
    while (remaining > 0) {
      const len = Math.min(remaining, PAGE_SIZE - off);
      const page = this.pages.get(pageNo);
      if (!page) return false;
      if (page.count !== PAGE_SIZE && !allMapped(page.mapped, off, len)) return false;
      remaining -= len;
      pageNo++;
      off = 0;
    }
    return true;
  }

  /** The first unmapped address in [addr, addr+size), or undefined if all mapped. Out-of-bounds addresses count as unmapped. */
  firstUnmapped(addr: bigint, size: number): bigint | undefined {
    if (addr < this.start || addr >= this.end) return addr;
    for (let i = 0; i < size; i++) {
      const a = addr + BigInt(i);
      if (a >= this.end) return a;
      const page = this.pages.get(Number(a >> PAGE_SHIFT));
      if (!page || page.mapped[Number(a & PAGE_MASK)] === 0) return a;
    }
    return undefined;
  }

  /** The page holding all of [addr, addr+size) mapped (its offset in hitOff), or undefined (unmapped, or spanning pages). */
  private mappedIn(addr: bigint, size: number): Page | undefined {
    const page = this.hit(addr);
    if (page === undefined) return undefined;
    const off = this.hitOff;
    if (off + size > PAGE_SIZE) return undefined;
    if (page.count !== PAGE_SIZE && !allMapped(page.mapped, off, size)) return undefined;
    return page;
  }

  /**
   * The scalar of `size` bytes (1, 2, 4 or 8) at `base + delta`, read
   * little-endian (sign-extended when `signed`), or undefined if any byte is
   * not mapped. `delta` is a number (a field's offset in its object): when
   * the field lies in the page holding `base`, no bigint address is
   * computed. Fields crossing into the next page take the general path.
   */
  loadAt(base: bigint, delta: number, size: number, signed: boolean): bigint | undefined {
    const page = this.hit(base);
    if (page !== undefined) {
      const o = this.hitOff + delta;
      if (o >= 0 && o + size <= PAGE_SIZE) {
        if (page.count !== PAGE_SIZE && !allMapped(page.mapped, o, size)) return undefined;
        const view = page.view;
        if (size === 8) return signed ? view.getBigInt64(o, true) : view.getBigUint64(o, true);
        if (size === 4) return BigInt(signed ? view.getInt32(o, true) : view.getUint32(o, true));
        if (size === 2) return BigInt(signed ? view.getInt16(o, true) : view.getUint16(o, true));
        return BigInt(signed ? view.getInt8(o) : view.getUint8(o));
      }
    }
    const bytes = size === 8 ? scratch8 : size === 4 ? scratch4 : size === 2 ? scratch2 : scratch1;
    if (this.read(bytes, base + BigInt(delta)) !== 0) return undefined;
    return readScalar(scratchView, 0, size, signed);
  }

  /**
   * Stores `v` (in range for `size` bytes, signed or unsigned; stored as its
   * two's complement) little-endian at `base + delta`; false (nothing
   * written) if any byte is not mapped. As loadAt, no bigint address is
   * computed when the field lies in the page holding `base`.
   */
  storeAt(base: bigint, delta: number, size: number, v: bigint): boolean {
    const page = this.hit(base);
    let view: DataView;
    let o: number;
    if (page !== undefined && (o = this.hitOff + delta) >= 0 && o + size <= PAGE_SIZE) {
      if (page.count !== PAGE_SIZE && !allMapped(page.mapped, o, size)) return false;
      view = page.view;
      page.dirty = true;
    } else {
      view = scratchView;
      o = 0;
    }
    if (size === 8) view.setBigUint64(o, v, true);
    else if (size === 4) view.setUint32(o, Number(v), true);
    else if (size === 2) view.setUint16(o, Number(v), true);
    else view.setUint8(o, Number(v));
    if (view !== scratchView) return true;
    const bytes = size === 8 ? scratch8 : size === 4 ? scratch4 : size === 2 ? scratch2 : scratch1;
    return this.write(base + BigInt(delta), bytes) === 0;
  }

  /** The u8 at addr, or -1 if it is not mapped. */
  loadU8(addr: bigint): number {
    const page = this.mappedIn(addr, 1);
    return page === undefined ? -1 : page.data[this.hitOff]!;
  }

  /** The little-endian u16 at addr, or -1 if any byte is not mapped. */
  loadU16(addr: bigint): number {
    const page = this.mappedIn(addr, 2);
    if (page !== undefined) return page.view.getUint16(this.hitOff, true);
    return this.read(scratch2, addr) === 0 ? scratchView.getUint16(0, true) : -1;
  }

  /** The little-endian u32 at addr, or -1 if any byte is not mapped. */
  loadU32(addr: bigint): number {
    const page = this.mappedIn(addr, 4);
    if (page !== undefined) return page.view.getUint32(this.hitOff, true);
    return this.read(scratch4, addr) === 0 ? scratchView.getUint32(0, true) : -1;
  }

  /** The little-endian u64 at addr, or undefined if any byte is not mapped. */
  loadU64(addr: bigint): bigint | undefined {
    const page = this.mappedIn(addr, 8);
    if (page !== undefined) return page.view.getBigUint64(this.hitOff, true);
    return this.read(scratch8, addr) === 0 ? scratchView.getBigUint64(0, true) : undefined;
  }

  /** Stores the low 8 bits of v at addr; false (nothing written) if the byte is not mapped. */
  storeU8(addr: bigint, v: number): boolean {
    const page = this.mappedIn(addr, 1);
    if (page === undefined) return false;
    page.data[this.hitOff] = v;
    page.dirty = true;
    return true;
  }

  /** Stores the low 16 bits of v little-endian at addr; false (nothing written) if any byte is not mapped. */
  storeU16(addr: bigint, v: number): boolean {
    const page = this.mappedIn(addr, 2);
    if (page === undefined) {
      scratchView.setUint16(0, v, true);
      return this.write(addr, scratch2) === 0;
    }
    page.view.setUint16(this.hitOff, v, true);
    page.dirty = true;
    return true;
  }

  /** Stores the low 32 bits of v little-endian at addr; false (nothing written) if any byte is not mapped. */
  storeU32(addr: bigint, v: number): boolean {
    const page = this.mappedIn(addr, 4);
    if (page === undefined) {
      scratchView.setUint32(0, v, true);
      return this.write(addr, scratch4) === 0;
    }
    page.view.setUint32(this.hitOff, v, true);
    page.dirty = true;
    return true;
  }

  /** Stores v (taken modulo 2^64) little-endian at addr; false (nothing written) if any byte is not mapped. */
  storeU64(addr: bigint, v: bigint): boolean {
    const page = this.mappedIn(addr, 8);
    if (page === undefined) {
      scratchView.setBigUint64(0, v, true);
      return this.write(addr, scratch8) === 0;
    }
    page.view.setBigUint64(this.hitOff, v, true);
    page.dirty = true;
    return true;
  }

  /**
   * Copies [addr, addr+dst.length) into `dst` (probe_read): 0, or -EFAULT
   * with `dst` zero-filled if any byte is unmapped or out of bounds. Never throws.
   */
  read(dst: Uint8Array, addr: bigint): number {
    const n = dst.length;
    if (n === 0) return 0;
    const one = n <= PAGE_SIZE ? this.mappedIn(addr, n) : undefined;
    if (one !== undefined) {
      const off = this.hitOff;
      if (n <= 64) for (let i = 0; i < n; i++) dst[i] = one.data[off + i]!;
      else dst.set(one.data.subarray(off, off + n));
      return 0;
    }
    if (!this.isMapped(addr, n)) {
      dst.fill(0);
      return EFAULT;
    }
    let pos = 0;
    let pageNo = Number(addr >> PAGE_SHIFT);
    let off = Number(addr & PAGE_MASK);
    while (pos < n) {
      const len = Math.min(n - pos, PAGE_SIZE - off);
      // isMapped() found every page.
      dst.set(this.pages.get(pageNo)!.data.subarray(off, off + len), pos);
      pos += len;
      pageNo++;
      off = 0;
    }
    return 0;
  }

  /** Copies `src` to addr: 0, or -EFAULT (nothing written) if any byte is unmapped or out of bounds. Never throws. */
  write(addr: bigint, src: Uint8Array): number {
    const n = src.length;
    if (n === 0) return 0;
    const one = n <= PAGE_SIZE ? this.mappedIn(addr, n) : undefined;
    if (one !== undefined) {
      const off = this.hitOff;
      if (n <= 64) for (let i = 0; i < n; i++) one.data[off + i] = src[i]!;
      else one.data.set(src, off);
      one.dirty = true;
      return 0;
    }
    if (!this.isMapped(addr, n)) return EFAULT;
    let pos = 0;
    let pageNo = Number(addr >> PAGE_SHIFT);
    let off = Number(addr & PAGE_MASK);
    while (pos < n) {
      const len = Math.min(n - pos, PAGE_SIZE - off);
      // isMapped() found every page.
      const page = this.pages.get(pageNo)!;
      page.data.set(src.subarray(pos, pos + len), off);
      page.dirty = true;
      pos += len;
      pageNo++;
      off = 0;
    }
    return 0;
  }

  /** Like write() but throws BtfsnoopError (EFAULT) naming the first bad address. */
  writeOrThrow(addr: bigint, src: Uint8Array): void {
    if (this.write(addr, src) !== 0) this.fault("write", addr, src.length);
  }

  /** Like read() but returns a new buffer and throws BtfsnoopError (EFAULT) naming the first bad address. */
  readOrThrow(addr: bigint, size: number): Uint8Array {
    const out = new Uint8Array(size);
    if (this.read(out, addr) !== 0) this.fault("read", addr, size);
    return out;
  }

  /** Fills [addr, addr+size) with `byte` whether mapped or not (poisoning); the range must be in bounds. */
  fillRaw(addr: bigint, size: number, byte: number): void {
    const one = this.onePage(addr, size);
    if (one !== undefined) {
      one.data.fill(byte, this.hitOff, this.hitOff + size);
      if (byte !== 0) one.dirty = true;
      return;
    }
    this.checkBounds("fill", addr, size);
    this.forEachChunk(addr, size, true, (page, off, len) => {
      page.data.fill(byte, off, off + len);
      if (byte !== 0) page.dirty = true;
    });
  }

  /** The bytes at [addr, addr+size) whether mapped or not (never-touched bytes read 0). For tests and debugging (e.g. inspecting poison). */
  peek(addr: bigint, size: number): Uint8Array {
    const out = new Uint8Array(size);
    if (!this.contains(addr, size)) return out;
    let pos = 0;
    this.forEachChunk(addr, size, false, (page, off, len) => {
      if (page) out.set(page.data.subarray(off, off + len), pos);
      pos += len;
    }, true);
    return out;
  }

  private fault(op: string, addr: bigint, size: number): never {
    const bad = this.firstUnmapped(addr, size) ?? addr;
    throw new BtfsnoopError("EFAULT", `${this.name}: ${op} of ${size} bytes at ${hex(addr)}: address ${hex(bad)} is not mapped`);
  }

  private checkBounds(op: string, addr: bigint, size: number): void {
    if (!Number.isInteger(size) || size < 0) throw new BtfsnoopError("EINVAL", `${this.name}: ${op}: bad size ${size}`);
    if (!this.contains(addr, size)) {
      throw new BtfsnoopError("EFAULT", `${this.name}: ${op} of ${size} bytes at ${hex(addr)} is outside ${hex(this.start)}-${hex(this.end)}`);
    }
  }

  /** Calls fn for each page-sized chunk of [addr, addr+size); creates pages when `create`; passes missing pages only when `withMissing`. */
  private forEachChunk(addr: bigint, size: number, create: boolean, fn: (page: Page, off: number, len: number, pageNo: number) => void, withMissing?: false): void;
  private forEachChunk(addr: bigint, size: number, create: boolean, fn: (page: Page | undefined, off: number, len: number, pageNo: number) => void, withMissing: true): void;
  private forEachChunk(addr: bigint, size: number, create: boolean, fn: (page: Page, off: number, len: number, pageNo: number) => void, withMissing = false): void {
    let remaining = size;
    let pageNo = Number(addr >> PAGE_SHIFT);
    let off = Number(addr & PAGE_MASK);
    while (remaining > 0) {
      const len = Math.min(remaining, PAGE_SIZE - off);
      let page = this.pages.get(pageNo);
      if (!page && create) page = this.newPage(pageNo);
      if (page || withMissing) fn(page as Page, off, len, pageNo);
      remaining -= len;
      pageNo++;
      off = 0;
    }
  }
}

/** Bounce buffers of the typed accessors for accesses that cross a page. */
const scratch8 = new Uint8Array(8);
const scratch4 = scratch8.subarray(0, 4);
const scratch2 = scratch8.subarray(0, 2);
const scratch1 = scratch8.subarray(0, 1);
const scratchView = new DataView(scratch8.buffer);

/** The scalar of `size` bytes at `o` in `view`, little-endian, sign-extended when `signed`. */
function readScalar(view: DataView, o: number, size: number, signed: boolean): bigint {
  if (size === 8) return signed ? view.getBigInt64(o, true) : view.getBigUint64(o, true);
  if (size === 4) return BigInt(signed ? view.getInt32(o, true) : view.getUint32(o, true));
  if (size === 2) return BigInt(signed ? view.getInt16(o, true) : view.getUint16(o, true));
  return BigInt(signed ? view.getInt8(o) : view.getUint8(o));
}

/** A kernel function placed in the text area. */
export interface TextSymbol {
  name: string;
  addr: bigint;
  size: number;
}

/**
 * Hands out kernel text addresses for functions, in order, from
 * KERNEL_TEXT_START, each aligned (16 by default, as the kernel's
 * -falign-functions) and mapped in `space` (if given) filled with 0xcc (int3,
 * what the kernel pads text with), so symbols resolve and text is readable.
 */
export class TextAllocator {
  private next: bigint;
  private readonly end: bigint;
  private readonly byName = new Map<string, TextSymbol>();
  private readonly sorted: TextSymbol[] = [];
  private readonly space: AddressSpace | undefined;

  constructor(space?: AddressSpace, start = KERNEL_TEXT_START, end = KERNEL_TEXT_END) {
    this.space = space;
    this.next = start;
    this.end = end;
  }

  /** Places function `name` of `size` bytes (> 0) at the next `align`-aligned address; returns it. Throws EEXIST for a name given twice. */
  alloc(name: string, size: number, align = 16): bigint {
    if (!Number.isInteger(size) || size <= 0) throw new BtfsnoopError("EINVAL", `text: function ${name}: bad size ${size}`);
    if (!Number.isInteger(align) || align <= 0 || (align & (align - 1)) !== 0) throw new BtfsnoopError("EINVAL", `text: function ${name}: alignment ${align} is not a power of two`);
    if (this.byName.has(name)) throw new BtfsnoopError("EEXIST", `text: function ${name} already placed at ${hex(this.byName.get(name)!.addr)}`);
    const addr = alignUp(this.next, BigInt(align));
    if (addr + BigInt(size) > this.end) throw new BtfsnoopError("ENOMEM", `text: no room for ${name} (${size} bytes)`);
    const sym: TextSymbol = { name, addr, size };
    this.byName.set(name, sym);
    this.sorted.push(sym);
    this.space?.map(addr, size, 0xcc);
    this.next = addr + BigInt(size);
    return addr;
  }

  /** The symbol placed under `name`, if any. */
  symbol(name: string): TextSymbol | undefined {
    return this.byName.get(name);
  }

  /** Address of function `name`, if placed. */
  addressOf(name: string): bigint | undefined {
    return this.byName.get(name)?.addr;
  }

  /** All placed symbols in address order. */
  get symbols(): readonly TextSymbol[] {
    return this.sorted;
  }

  /** The function containing `addr` and the offset into it, if any. */
  lookup(addr: bigint): { symbol: TextSymbol; offset: number } | undefined {
    let lo = 0;
    let hi = this.sorted.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.sorted[mid]!;
      if (addr < s.addr) hi = mid - 1;
      else if (addr >= s.addr + BigInt(s.size)) lo = mid + 1;
      else return { symbol: s, offset: Number(addr - s.addr) };
    }
    return undefined;
  }

  /** `name+0xoff/0xsize` as the kernel's %pS prints it, or undefined outside any function. */
  symbolize(addr: bigint): string | undefined {
    const hit = this.lookup(addr);
    if (!hit) return undefined;
    return `${hit.symbol.name}+0x${hit.offset.toString(16)}/0x${hit.symbol.size.toString(16)}`;
  }
}

/** A bump allocator of page-aligned ranges (the model's page allocator for slabs); pages are mapped by their users. */
export class PageAllocator {
  private next: bigint;
  private readonly end: bigint;

  constructor(start: bigint, end: bigint) {
    this.next = start;
    this.end = end;
  }

  /** `pages` fresh contiguous pages; returns the first address. Pages are never given back (no page freeing in the model). */
  allocPages(pages: number): bigint {
    const addr = this.next;
    const size = BigInt(pages * PAGE_SIZE);
    if (addr + size > this.end) throw new BtfsnoopError("ENOMEM", `out of pages allocating ${pages}`);
    this.next = addr + size;
    return addr;
  }
}

/**
 * One task's user address space: bounded to [USER_SPACE_START,
 * USER_SPACE_END), with a stack growing down from USER_STACK_TOP and a heap
 * from USER_HEAP_START for convenient buffers. The heap is a malloc: blocks
 * are 16-byte chunks handed out first-fit from freed ones (coalesced) before
 * the top grows, and heapFree() gives a block back (unmapped, and the top
 * shrinks when the topmost blocks are free), so a program that frees its
 * buffers uses bounded memory however long it runs.
 */
export class UserSpace extends AddressSpace {
  readonly pid: number;
  private stackTop = USER_STACK_TOP;
  private heapTop = USER_HEAP_START;
  /** Allocated heap blocks: address -> chunk size. */
  private readonly heapBlocks = new Map<bigint, bigint>();
  /** Free chunks below heapTop, by address, never adjacent (coalesced). */
  private readonly heapFreeList: { addr: bigint; size: bigint }[] = [];

  constructor(pid: number) {
    super(`user space of pid ${pid}`, USER_SPACE_START, USER_SPACE_END);
    this.pid = pid;
  }

  /** Bytes of heap in use (allocated chunks, 16-byte granular). */
  get heapBytes(): number {
    let n = 0n;
    for (const size of this.heapBlocks.values()) n += size;
    return Number(n);
  }

  /** Maps `size` zeroed bytes on the heap (16-aligned, like malloc), optionally filled with `init`; returns the address. */
  heapAlloc(size: number, init?: Uint8Array | string): bigint {
    const chunk = alignUp(BigInt(Math.max(size, 1)), 16n);
    let addr: bigint | undefined;
    const free = this.heapFreeList;
    for (let i = 0; i < free.length; i++) {
      const f = free[i]!;
      if (f.size < chunk) continue;
      addr = f.addr;
      if (f.size === chunk) free.splice(i, 1);
      else {
        f.addr += chunk;
        f.size -= chunk;
      }
      break;
    }
    if (addr === undefined) {
      addr = this.heapTop;
      this.checkHeapRoom(addr, chunk);
      this.heapTop = addr + chunk;
    }
    this.map(addr, size, 0);
    this.heapBlocks.set(addr, chunk);
    if (init !== undefined) this.writeOrThrow(addr, toBytes(init).subarray(0, size));
    return addr;
  }

  /** free(): gives back a block heapAlloc returned (unmapped: later reads fault). EINVAL for anything else. */
  heapFree(addr: bigint): void {
    const chunk = this.heapBlocks.get(addr);
    if (chunk === undefined) throw new BtfsnoopError("EINVAL", `${this.name}: free(${hex(addr)}): not an allocated heap block (double free or invalid pointer)`);
    this.heapBlocks.delete(addr);
    this.unmap(addr, Number(chunk)); // its pages stay for reuse (heapAlloc zero-fills), as malloc keeps its arena
    const free = this.heapFreeList;
    let i = 0;
    while (i < free.length && free[i]!.addr < addr) i++;
    const prev = i > 0 ? free[i - 1] : undefined;
    const next = free[i];
    let block: { addr: bigint; size: bigint };
    if (prev && prev.addr + prev.size === addr) {
      prev.size += chunk;
      block = prev;
      i--;
    } else {
      block = { addr, size: chunk };
      free.splice(i, 0, block);
    }
    if (next && block.addr + block.size === next.addr) {
      block.size += next.size;
      free.splice(i + 1, 1);
    }
    if (block.addr + block.size === this.heapTop) {
      this.heapTop = block.addr;
      free.splice(i, 1);
    }
  }

  private checkHeapRoom(addr: bigint, chunk: bigint): void {
    if (addr + chunk > this.stackTop) throw new BtfsnoopError("ENOMEM", `${this.name}: heap of ${hex(addr - USER_HEAP_START)} bytes cannot grow by ${chunk} more`);
  }

  /** Maps `size` zeroed bytes below the current stack top (16-aligned), optionally filled with `init`; returns the address. */
  stackAlloc(size: number, init?: Uint8Array | string): bigint {
    const addr = (this.stackTop - BigInt(size)) & ~15n;
    this.map(addr, size);
    this.stackTop = addr;
    if (init !== undefined) this.writeOrThrow(addr, toBytes(init).subarray(0, size));
    return addr;
  }

  /** A heap buffer holding `s` as UTF-8 plus a NUL (a C string); returns its address. */
  allocString(s: string): bigint {
    const bytes = toBytes(s);
    const buf = new Uint8Array(bytes.length + 1);
    buf.set(bytes);
    return this.heapAlloc(buf.length, buf);
  }
}

function toBytes(v: Uint8Array | string): Uint8Array {
  return typeof v === "string" ? new TextEncoder().encode(v) : v;
}
