// The synthetic kernel's memory: one kernel address space (direct-map slab
// objects, kernel text), one user address space per process, slab caches
// and typed BTF objects. readKernel/readUser have the KernelEnv contract
// (0, or -EFAULT with the destination zero-filled; never throw).
// Field access for the call paths: readField/writeField by (type, path)
// find a cached accessor per call; a path that touches a field on every
// call holds the accessor instead (`const len = k.memory.accessor("sk_buff",
// "len")` when it is installed, then `k.memory.load(skb, len)` /
// `k.memory.store(skb, len, v)`: same values and errors, no lookups).
import type { Btf } from "../../btf/btf.js";
import type { TypeId } from "../../btf/types.js";
import { BtfKind, IntEncoding } from "../../btf/kinds.js";
import { skipModsAndTypedefs } from "../../btf/layout.js";
import { findMember } from "../../btf/members.js";
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
  /**
   * Field accessors by path, then type as given (accessor()): one map lookup
   * and a short scan (most paths belong to one or a few types; the one found
   * last is moved to the front).
   */
  private readonly accessors = new Map<string, FieldAccessor[]>();
  /** structAccessor()'s answers by path, then struct name (acc null: the struct lacks the member). */
  private readonly structAccessors = new Map<string, { struct: string; acc: FieldAccessor | null }[]>();

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
   * A field's accessor: where it is and how it is loaded and stored, resolved
   * once. Call paths that touch a field on every call hold one (made when
   * they are installed) and use load()/store(), which skip readField's and
   * writeField's lookups by name. Throws as field() does for a bad path.
   */
  accessor(type: TypeId | string, path: string): FieldAccessor {
    let list = this.accessors.get(path);
    if (list !== undefined) {
      for (let i = 0; i < list.length; i++) {
        const acc = list[i]!;
        if (acc.type === type) {
          if (i !== 0) {
            list[i] = list[0]!;
            list[0] = acc;
          }
          return acc;
        }
      }
    } else this.accessors.set(path, (list = []));
    const acc = makeAccessor(type, path, this.objects.field(type, path));
    list.push(acc);
    return acc;
  }

  /**
   * The accessor of `path` in the struct named `struct` if that struct has
   * the member the path starts with, else undefined (the call paths' rule
   * for trimmed headers: a field the header lacks is skipped). Cached.
   */
  structAccessor(struct: string, path: string): FieldAccessor | undefined {
    let list = this.structAccessors.get(path);
    if (list !== undefined) {
      for (let i = 0; i < list.length; i++) {
        const e = list[i]!;
        if (e.struct === struct) {
          if (i !== 0) {
            list[i] = list[0]!;
            list[0] = e;
          }
          return e.acc ?? undefined;
        }
      }
    } else this.structAccessors.set(path, (list = []));
    const id = this.btf.findByNameKind(struct, BtfKind.STRUCT);
    const acc = id !== undefined && findMember(this.btf, id, path.split(".")[0]!.replace(/\[.*$/, "")) ? this.accessor(id, path) : null;
    list.push({ struct, acc });
    return acc ?? undefined;
  }

  /** The field `acc` of the object at `addr`, as readField(addr, acc.type, acc.path) reads it (same values, same errors). */
  load(addr: bigint, acc: FieldAccessor): bigint {
    if (acc.scalar) {
      const v = this.kernel.loadAt(addr, acc.offset, acc.size, acc.signed);
      if (v !== undefined) return v;
    }
    return this.objects.readField(addr, acc.type, acc.path);
  }

  /** Writes the field `acc` of the object at `addr` as writeField(addr, acc.type, acc.path, value) does (same bytes, same errors). */
  store(addr: bigint, acc: FieldAccessor, value: FieldValue): void {
    if (acc.scalar && typeof value === "bigint" && value >= acc.min && value <= acc.max && this.kernel.storeAt(addr, acc.offset, acc.size, value)) return;
    this.objects.writeField(addr, acc.type, acc.path, value);
  }

  /**
   * KernelObjects.writeField, with scalar fields of 1, 2, 4 or 8 bytes
   * (ints, enums, pointers; not bitfields) in range stored in one typed
   * store; anything else, and every error, goes the general way.
   */
  writeField(addr: bigint, type: TypeId | string, path: string, value: FieldValue): void {
    this.store(addr, this.accessor(type, path), value);
  }

  /** KernelObjects.readField, with scalar fields of 1, 2, 4 or 8 bytes (not bitfields) read in one typed load. */
  readField(addr: bigint, type: TypeId | string, path: string): bigint {
    return this.load(addr, this.accessor(type, path));
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

/**
 * How a field of a type is accessed (KernelMemory.accessor): the type and
 * path as given (the general path and its errors use them), the field's
 * location, and for a scalar (a non-bitfield int, enum or pointer of 1, 2,
 * 4 or 8 bytes) its offset, size, signedness and the values a store accepts.
 */
export interface FieldAccessor {
  readonly type: TypeId | string;
  readonly path: string;
  readonly loc: FieldLocation;
  /** Loaded and stored in one typed access (else load/store go the general way). */
  readonly scalar: boolean;
  /** Byte offset in the object. */
  readonly offset: number;
  /** Bytes (for a scalar: 1, 2, 4 or 8). */
  readonly size: number;
  readonly signed: boolean;
  /** The values a store accepts (KernelObjects.writeField's ERANGE bounds); a non-scalar's are empty (min > max). */
  readonly min: bigint;
  readonly max: bigint;
}

/**
 * The one shape of every accessor (a class, not object literals or
 * spreads: load/store read these fields on every access, and accessors of
 * different hidden classes made those loads megamorphic).
 */
class Accessor implements FieldAccessor {
  constructor(
    readonly type: TypeId | string,
    readonly path: string,
    readonly loc: FieldLocation,
    readonly scalar: boolean,
    readonly offset: number,
    readonly size: number,
    readonly signed: boolean,
    readonly min: bigint,
    readonly max: bigint,
  ) {}
}

function makeAccessor(type: TypeId | string, path: string, loc: FieldLocation): FieldAccessor {
  const t = loc.type;
  const size = loc.size;
  if (loc.bitSize === 0 && (size === 1 || size === 2 || size === 4 || size === 8)) {
    const bits = BigInt(size * 8);
    const min = -(1n << (bits - 1n));
    const max = (1n << bits) - 1n;
    if (t.kind === BtfKind.PTR) return new Accessor(type, path, loc, true, loc.byteOffset, size, false, 0n, (1n << 64n) - 1n);
    if (t.kind === BtfKind.INT && t.bitsOffset === 0 && t.nrBits === size * 8) return new Accessor(type, path, loc, true, loc.byteOffset, size, (t.encoding & IntEncoding.SIGNED) !== 0, min, max);
    if ((t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64) && t.size === size) return new Accessor(type, path, loc, true, loc.byteOffset, size, t.signed, min, max);
  }
  return new Accessor(type, path, loc, false, loc.byteOffset, size, false, 1n, 0n);
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
