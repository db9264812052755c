// The synthetic kernel's memory: one kernel address space (direct-map slab
// objects, kernel text), one user address space per process, slab caches
// and typed BTF objects. readKernel/readUser have the KernelEnv contract
// (0, or -EFAULT with the destination zero-filled; never throw).
import type { Btf } from "../../btf/btf.js";
import type { TypeId } from "../../btf/types.js";
import { BtfKind, IntEncoding } from "../../btf/kinds.js";
import { skipModsAndTypedefs } from "../../btf/layout.js";
import { BtfsnoopError } from "../../internal/errors.js";
import type { KernelEnv } from "../../vm/env.js";
import {
  ADDRESS_SPACE_END,
  AddressSpace,
  EFAULT,
  KERNEL_SPACE_START,
  KERNEL_TEXT_START,
  PAGE_SIZE,
  PageAllocator,
  SLAB_AREA_START,
  TextAllocator,
  UserSpace,
} from "./address-space.js";
import { KernelObjects, type AllocOptions, type FieldLocation, type FieldValue } from "./objects.js";
import { SlabAllocator } from "./slab.js";

export * from "./address-space.js";
export * from "./slab.js";
export * from "./objects.js";

/** A snapshot of KernelMemory.usage(). */
export interface MemoryUsage {
  /** Allocated slab objects (all caches). */
  liveObjects: number;
  /** Pages in slabs (never given back; bounded when objects are freed and reused). */
  slabPages: number;
  kernelMappedBytes: number;
  userMappedBytes: number;
  /** Bytes of page buffers held for the kernel space and all user spaces. */
  bufferBytes: number;
}

export interface KernelMemoryOptions {
  /** Where slab pages start (default SLAB_AREA_START = 0xffff888100000000). */
  slabStart?: bigint;
}

export class KernelMemory {
  readonly btf: Btf;
  /** The kernel half: slab objects and text. */
  readonly kernel: AddressSpace;
  readonly slab: SlabAllocator;
  readonly objects: KernelObjects;
  /** Function addresses in kernel text (mapped in `kernel`, filled with int3). */
  readonly text: TextAllocator;
  private readonly users = new Map<number, UserSpace>();

  constructor(btf: Btf, options: KernelMemoryOptions = {}) {
    this.btf = btf;
    this.kernel = new AddressSpace("kernel", KERNEL_SPACE_START, ADDRESS_SPACE_END);
    const slabStart = options.slabStart ?? SLAB_AREA_START;
    this.slab = new SlabAllocator(this.kernel, new PageAllocator(slabStart, KERNEL_TEXT_START));
    this.objects = new KernelObjects(btf, this.kernel, this.slab);
    this.text = new TextAllocator(this.kernel);
  }

  /** probe_read_kernel: copies kernel memory at `addr` into `dst`; 0, or -EFAULT with `dst` zero-filled (unmapped, freed, or user addresses). */
  readKernel(dst: Uint8Array, addr: bigint): number {
    const rc = this.kernel.read(dst, addr);
    if (rc !== 0) this.slab.noteFaultingRead(addr, dst.length);
    return rc;
  }

  /** probe_read_user in process `pid`'s address space; 0, or -EFAULT with `dst` zero-filled (no such space, unmapped, or kernel addresses). */
  readUser(pid: number, dst: Uint8Array, addr: bigint): number {
    const space = this.users.get(pid);
    if (!space) {
      dst.fill(0);
      return dst.length === 0 ? 0 : EFAULT;
    }
    return space.read(dst, addr);
  }

  /** Writes kernel memory; throws BtfsnoopError (EFAULT) if any byte is unmapped or freed. */
  writeKernel(addr: bigint, bytes: Uint8Array): void {
    if (this.kernel.write(addr, bytes) !== 0) {
      this.slab.noteFaultingWrite(addr, bytes.length);
      this.kernel.writeOrThrow(addr, bytes); // throws with the first bad address
    }
  }

  /** The user address space of process `pid` (created empty on first use). Threads of one process should use the same pid (the tgid). */
  userSpace(pid: number): UserSpace {
    if (!Number.isInteger(pid) || pid < 0) throw new BtfsnoopError("EINVAL", `bad pid ${pid}`);
    let space = this.users.get(pid);
    if (!space) this.users.set(pid, (space = new UserSpace(pid)));
    return space;
  }

  /** Whether process `pid` has a user address space. */
  hasUserSpace(pid: number): boolean {
    return this.users.has(pid);
  }

  /** Drops process `pid`'s user address space (exit/exec); later readUser calls fault. */
  dropUserSpace(pid: number): void {
    this.users.delete(pid);
  }

  /**
   * What the model's memory holds now: live slab objects, mapped bytes and
   * the pages backing the kernel space and every user space (each page is
   * two 4 KiB buffers: its data and its mapped-byte map).
   */
  usage(): MemoryUsage {
    let liveObjects = 0;
    let slabPages = 0;
    for (const c of this.slab.allCaches()) {
      liveObjects += c.stats.active;
      slabPages += c.stats.slabs * c.slabPages;
    }
    let userMappedBytes = 0;
    let pages = this.kernel.pageCount;
    for (const u of this.users.values()) {
      userMappedBytes += u.mappedBytes;
      pages += u.pageCount;
    }
    return { liveObjects, slabPages, kernelMappedBytes: this.kernel.mappedBytes, userMappedBytes, bufferBytes: pages * 2 * PAGE_SIZE };
  }

  /** Allocates a typed object from its slab cache (zeroed unless `zero: false`). */
  alloc(type: TypeId | string, options?: AllocOptions): bigint {
    return this.objects.alloc(type, options);
  }

  /** Frees a slab object (poisoned, then unreadable). */
  free(addr: bigint): void {
    this.objects.free(addr);
  }

  /** kmalloc(size) / kzalloc(size) from the kmalloc-N caches. */
  kmalloc(size: number, zero = false): bigint {
    return this.slab.kmalloc(size, zero);
  }

  field(type: TypeId | string, path: string): FieldLocation {
    return this.objects.field(type, path);
  }

  /**
   * KernelObjects.writeField, with scalar fields of 1, 2, 4 or 8 bytes
   * (ints, enums, pointers; not bitfields) in range stored in one typed
   * store; anything else, and every error, goes the general way.
   */
  writeField(addr: bigint, type: TypeId | string, path: string, value: FieldValue): void {
    if (typeof value === "bigint") {
      const f = scalarOf(this.objects.field(type, path));
      if (f !== undefined && value >= f.min && value <= f.max) {
        const a = addr + f.offset;
        const k = this.kernel;
        // In range, so Number() is exact and the DataView store wraps it as the two's complement bytes.
        const ok = f.size === 8 ? k.storeU64(a, value) : f.size === 4 ? k.storeU32(a, Number(value)) : f.size === 2 ? k.storeU16(a, Number(value)) : k.storeU8(a, Number(value) & 0xff);
        if (ok) return;
      }
    }
    this.objects.writeField(addr, type, path, value);
  }

  /** KernelObjects.readField, with scalar fields of 1, 2, 4 or 8 bytes (not bitfields) read in one typed load. */
  readField(addr: bigint, type: TypeId | string, path: string): bigint {
    const f = scalarOf(this.objects.field(type, path));
    if (f !== undefined) {
      const a = addr + f.offset;
      const k = this.kernel;
      if (f.size === 8) {
        const v = k.loadU64(a);
        if (v !== undefined) return f.signed ? BigInt.asIntN(64, v) : v;
      } else {
        const v = f.size === 4 ? k.loadU32(a) : f.size === 2 ? k.loadU16(a) : k.loadU8(a);
        if (v >= 0) {
          if (!f.signed) return BigInt(v);
          return BigInt(f.size === 4 ? v | 0 : f.size === 2 ? (v << 16) >> 16 : (v << 24) >> 24);
        }
      }
    }
    return this.objects.readField(addr, type, path);
  }

  readFieldBytes(addr: bigint, type: TypeId | string, path: string): Uint8Array {
    return this.objects.readFieldBytes(addr, type, path);
  }

  writeString(addr: bigint, type: TypeId | string, path: string, s: string): void {
    this.objects.writeString(addr, type, path, s);
  }

  /** KernelObjects.readString, decoded by one shared TextDecoder; errors (not a char array, faults) go through KernelObjects. */
  readString(addr: bigint, type: TypeId | string, path: string): string {
    const loc = this.objects.field(type, path);
    if (isCharArray(this.btf, loc)) {
      const bytes = new Uint8Array(loc.size);
      if (this.kernel.read(bytes, addr + BigInt(loc.byteOffset)) === 0) {
        const nul = bytes.indexOf(0);
        return utf8.decode(nul < 0 ? bytes : bytes.subarray(0, nul));
      }
    }
    return this.objects.readString(addr, type, path);
  }

  /**
   * The memory part of a KernelEnv for programs running on behalf of the
   * process `currentPid()` returns (its user space serves readUser).
   */
  envReads(currentPid: () => number): Pick<KernelEnv, "readKernel" | "readUser" | "symbolize"> {
    return {
      readKernel: (dst, addr) => this.readKernel(dst, addr),
      readUser: (dst, addr) => this.readUser(currentPid(), dst, addr),
      symbolize: (addr) => this.symbolize(addr),
    };
  }

  /** Symbol for a kernel text address (`name+0xoff/0xsize`), for KernelEnv.symbolize. */
  symbolize(addr: bigint): string | undefined {
    return this.text.symbolize(addr);
  }
}

/** How a scalar field is accessed in one typed load or store. */
interface ScalarField {
  offset: bigint;
  size: 1 | 2 | 4 | 8;
  signed: boolean;
  /** The values KernelObjects.writeField accepts (ERANGE outside). */
  min: bigint;
  max: bigint;
}
const scalars = new WeakMap<FieldLocation, ScalarField | null>();
/** The typed access of a non-bitfield int, enum or pointer field of 1, 2, 4 or 8 bytes; undefined for anything else. */
function scalarOf(loc: FieldLocation): ScalarField | undefined {
  let f = scalars.get(loc);
  if (f === undefined) {
    f = null;
    const t = loc.type;
    const size = loc.size;
    if (loc.bitSize === 0 && (size === 1 || size === 2 || size === 4 || size === 8)) {
      const bits = BigInt(size * 8);
      const offset = BigInt(loc.byteOffset);
      if (t.kind === BtfKind.PTR) f = { offset, size, signed: false, min: 0n, max: (1n << 64n) - 1n };
      else if (t.kind === BtfKind.INT && t.bitsOffset === 0 && t.nrBits === size * 8) {
        f = { offset, size, signed: (t.encoding & IntEncoding.SIGNED) !== 0, min: -(1n << (bits - 1n)), max: (1n << bits) - 1n };
      } else if (t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64) {
        if (t.size === size) f = { offset, size, signed: t.signed, min: -(1n << (bits - 1n)), max: (1n << bits) - 1n };
      }
    }
    scalars.set(loc, f);
  }
  return f ?? undefined;
}

const utf8 = new TextDecoder();
const charArrays = new WeakMap<FieldLocation, boolean>();
/** Whether a field is an array of 1-byte ints (what KernelObjects.readString accepts). */
function isCharArray(btf: Btf, loc: FieldLocation): boolean {
  let yes = charArrays.get(loc);
  if (yes === undefined) {
    const t = loc.type;
    yes = false;
    if (t.kind === BtfKind.ARRAY) {
      const elem = btf.typeById(skipModsAndTypedefs(btf, t.type));
      yes = elem.kind === BtfKind.INT && elem.size === 1;
    }
    charArrays.set(loc, yes);
  }
  return yes;
}
