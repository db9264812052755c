// A sparse 64-bit address space of byte-granular mappings (bigint addresses),
// the kernel's virtual memory layout (direct map, kernel text) and per-task
// user address spaces. Reads follow probe_read semantics: a read touching any
// byte that is not mapped (never mapped, unmapped, or a freed slab object)
// fails with -EFAULT and zero-fills the destination. Each space has bounds:
// the kernel space holds only kernel-half addresses and a user space only
// user-half ones, so a kernel read of a user address (or the other way round)
// faults, as with SMAP and probe_read_kernel/probe_read_user.
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
  /** 1 where the byte is mapped (readable/writable), 0 where not. */
  mapped: Uint8Array;
  /** Number of mapped bytes in the page (to drop empty pages). */
  count: number;
}

export function alignUp(v: bigint, align: bigint): bigint {
  return (v + align - 1n) / align * align;
}

export function hex(addr: bigint): string {
  return `0x${addr.toString(16)}`;
}

/**
 * A sparse address space of mapped bytes, stored in 4 KiB pages (created on
 * first map). Mapping is byte-granular so freed slab objects can be unmapped
 * on their own. Bytes keep their contents when unmapped (see peek()) so
 * poisoning stays visible to tests and to the model.
 */
export class AddressSpace {
  readonly name: string;
  /** Lowest address of this space (inclusive). */
  readonly start: bigint;
  /** Highest address of this space (exclusive). */
  readonly end: bigint;
  private readonly pages = new Map<number, Page>();
  /** The page looked up last (page numbers of the kernel half are not small integers, so a map lookup boxes one). */
  private lastPageNo = -1;
  private lastPage: Page | undefined;
  private mappedTotal = 0;

  constructor(name: string, start: bigint, end: bigint) {
    if (start < 0n || end > ADDRESS_SPACE_END || start >= end) throw new BtfsnoopError("EINVAL", `address space ${name}: bad bounds ${hex(start)}-${hex(end)}`);
    this.name = name;
    this.start = start;
    this.end = end;
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
   * Maps [addr, addr+size). Newly mapped bytes keep what they held while
   * unmapped (0 if never written; slab poison survives) unless `fill` is
   * given; already mapped bytes are untouched. Throws EFAULT outside the bounds.
   */
  map(addr: bigint, size: number, fill?: number): void {
    this.checkBounds("map", addr, size);
    this.forEachChunk(addr, size, true, (page, off, len) => {
      for (let i = off; i < off + len; i++) {
        if (page.mapped[i] === 0) {
          page.mapped[i] = 1;
          if (fill !== undefined) page.data[i] = fill;
          page.count++;
          this.mappedTotal++;
        }
      }
    });
  }

  /** Unmaps [addr, addr+size) (bytes keep their last contents for peek()). Unmapped bytes in the range are ignored. */
  unmap(addr: bigint, size: number): void {
    this.checkBounds("unmap", addr, size);
    this.forEachChunk(addr, size, false, (page, off, len, pageNo) => {
      for (let i = off; i < off + len; i++) {
        if (page.mapped[i] === 1) {
          page.mapped[i] = 0;
          page.count--;
          this.mappedTotal--;
        }
      }
      if (page.count === 0 && page.data.every((b) => b === 0)) {
        this.pages.delete(pageNo);
        if (this.lastPageNo === pageNo) this.lastPage = undefined;
      }
    });
  }

  /** Whether every byte of [addr, addr+size) is mapped (size 0: true inside the bounds). */
  isMapped(addr: bigint, size: number): boolean {
    if (!this.contains(addr, size)) return false;
    // A loop over the pages, not forEachChunk: every probe_read passes here.
    let remaining = size;
    let pageNo = Number(addr >> PAGE_SHIFT);
    let off = Number(addr & PAGE_MASK);
    while (remaining > 0) {
      const len = Math.min(remaining, PAGE_SIZE - off);
      const page = this.page(pageNo);
      if (!page) return false;
      if (page.count !== PAGE_SIZE) {
        // An unmapped byte inside the chunk (a native scan of just the chunk).
        if (page.mapped.subarray(off, off + len).indexOf(0) !== -1) return false;
      }
      remaining -= len;
      pageNo++;
      off = 0;
    }
    return true;
  }

  /** The page numbered `pageNo`, if it exists. */
  private page(pageNo: number): Page | undefined {
    if (pageNo === this.lastPageNo && this.lastPage !== undefined) return this.lastPage;
    const page = this.pages.get(pageNo);
    if (page) {
      this.lastPageNo = pageNo;
      this.lastPage = page;
    }
    return page;
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

  /**
   * Copies [addr, addr+dst.length) into `dst` (probe_read): 0, or -EFAULT
   * with `dst` zero-filled if any byte is unmapped or out of bounds. Never throws.
   */
  read(dst: Uint8Array, addr: bigint): number {
    if (dst.length === 0) return 0;
    if (!this.isMapped(addr, dst.length)) {
      dst.fill(0);
      return EFAULT;
    }
    let pos = 0;
    let pageNo = Number(addr >> PAGE_SHIFT);
    let off = Number(addr & PAGE_MASK);
    while (pos < dst.length) {
      const len = Math.min(dst.length - pos, PAGE_SIZE - off);
      // isMapped() found every page.
      dst.set(this.page(pageNo)!.data.subarray(off, off + len), pos);
      pos += len;
      pageNo++;
      off = 0;
    }
    return 0;
  }

  /** Copies `src` to addr: 0, or -EFAULT (nothing written) if any byte is unmapped or out of bounds. Never throws. */
  write(addr: bigint, src: Uint8Array): number {
    if (src.length === 0) return 0;
    if (!this.isMapped(addr, src.length)) return EFAULT;
    let pos = 0;
    let pageNo = Number(addr >> PAGE_SHIFT);
    let off = Number(addr & PAGE_MASK);
    while (pos < src.length) {
      const len = Math.min(src.length - pos, PAGE_SIZE - off);
      // isMapped() found every page.
      this.page(pageNo)!.data.set(src.subarray(pos, pos + len), off);
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
    this.checkBounds("fill", addr, size);
    this.forEachChunk(addr, size, true, (page, off, len) => {
      page.data.fill(byte, off, off + len);
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
      if (!page && create) {
        page = { data: new Uint8Array(PAGE_SIZE), mapped: new Uint8Array(PAGE_SIZE), count: 0 };
        this.pages.set(pageNo, page);
      }
      if (page || withMissing) fn(page as Page, off, len, pageNo);
      remaining -= len;
      pageNo++;
      off = 0;
    }
  }
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
