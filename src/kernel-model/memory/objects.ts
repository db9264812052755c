// Typed kernel objects: BTF structs allocated from per-type slab caches, and
// field access by member path. A path is dotted member names, each
// optionally indexed (`"__sk_common.skc_family"`, `"cb[3]"`, `"addr.a[1][2]"`);
// members of anonymous structs/unions are found by name as C does. Scalars
// (ints incl. bitfields, enums, pointers) read and write as bigints,
// little-endian; bitfields are read-modify-written in the bytes holding
// them; any field can be written as raw bytes; char arrays take strings.
// Model accesses to unmapped or freed memory throw BtfsnoopError (EFAULT):
// they are bugs in the model, unlike a BPF program's probe_read.
import type { Btf } from "../../btf/btf.js";
import { BtfError } from "../../btf/errors.js";
import { BtfKind, IntEncoding, kindName } from "../../btf/kinds.js";
import { alignOf, skipModsAndTypedefs, sizeOf } from "../../btf/layout.js";
import { resolveMemberPath } from "../../btf/members.js";
import type { AnyType, IntType, TypeId } from "../../btf/types.js";
import { readIntBits } from "../../btf/value.js";
import { BtfsnoopError } from "../../internal/errors.js";
import { type AddressSpace, hex } from "./address-space.js";
import type { KmemCache, SlabAllocator } from "./slab.js";

/** Caches the kernel creates for common types (name and alignment; SLAB_HWCACHE_ALIGN = 64). Other types get a cache named after the type. */
export const KNOWN_CACHES: Readonly<Record<string, { cache: string; align?: number }>> = {
  sk_buff: { cache: "skbuff_head_cache", align: 64 },
  task_struct: { cache: "task_struct", align: 64 },
  file: { cache: "filp", align: 64 },
  dentry: { cache: "dentry" },
  inode: { cache: "inode_cache" },
  mm_struct: { cache: "mm_struct", align: 64 },
  cred: { cache: "cred_jar", align: 64 },
  files_struct: { cache: "files_cache", align: 64 },
  signal_struct: { cache: "signal_cache", align: 64 },
  sighand_struct: { cache: "sighand_cache", align: 64 },
  fs_struct: { cache: "fs_cache", align: 64 },
  vm_area_struct: { cache: "vm_area_struct" },
  pid: { cache: "pid" },
};

/** Where a field lives in its object. */
export interface FieldLocation {
  /** The path as given. */
  path: string;
  /** The field's declared type id (before typedefs/modifiers). */
  typeId: TypeId;
  /** The field's type after typedefs and modifiers. */
  type: AnyType;
  /** Offset from the object start in bits. */
  bitOffset: number;
  /** Width in bits for bitfields, 0 otherwise. */
  bitSize: number;
  /** First byte of the field (for a bitfield: the first byte holding any of its bits). */
  byteOffset: number;
  /** Bytes of the field (for a bitfield: the bytes spanned by its bits). */
  size: number;
}

/** A field value: a bigint for scalars, raw bytes for anything. */
export type FieldValue = bigint | Uint8Array;

export interface AllocOptions {
  /** Zero the object (kzalloc / kmem_cache_zalloc). Default true. */
  zero?: boolean;
}

/** Typed objects over an address space and slab allocator, for one BTF. */
export class KernelObjects {
  readonly btf: Btf;
  private readonly space: AddressSpace;
  private readonly slab: SlabAllocator;
  private readonly cachesByType = new Map<TypeId, KmemCache>();
  /** The type (after typedefs) of each cache alloc() allocates from: an object's type is its cache's (no per-object map keyed by bigint). */
  private readonly typeOfCache = new Map<KmemCache, TypeId>();
  /** alloc()'s type as given -> the type after typedefs and its cache (no name lookups per alloc). */
  private readonly allocTargets = new Map<TypeId | string, { id: TypeId; cache: KmemCache }>();
  private readonly locations = new Map<string, FieldLocation>();
  private readonly locationsByName = new Map<TypeId | string, Map<string, FieldLocation>>();

  constructor(btf: Btf, space: AddressSpace, slab: SlabAllocator) {
    this.btf = btf;
    this.space = space;
    this.slab = slab;
  }

  /**
   * The type id for a name: a struct, else a union, else a typedef of the
   * name; numbers are checked ids. Throws BtfError (ENOENT).
   */
  typeId(type: TypeId | string): TypeId {
    if (typeof type === "number") {
      this.btf.typeById(type); // throws for unknown ids
      return type;
    }
    const id =
      this.btf.findByNameKind(type, BtfKind.STRUCT) ?? this.btf.findByNameKind(type, BtfKind.UNION) ?? this.btf.findByNameKind(type, BtfKind.TYPEDEF);
    if (id === undefined) throw new BtfError(`no struct, union or typedef named '${type}'`, {}, { errno: "ENOENT" });
    return id;
  }

  /** The slab cache objects of this type come from (created on first use; see KNOWN_CACHES). Typedefs and modifiers share the underlying type's cache. */
  cacheFor(type: TypeId | string): KmemCache {
    const given = this.typeId(type);
    const id = skipModsAndTypedefs(this.btf, given); // typedefs share their struct's cache
    const found = this.cachesByType.get(id);
    if (found) return found;
    const name = this.btf.nameOf(id) || this.btf.nameOf(given) || `type-${id}`;
    const known = Object.hasOwn(KNOWN_CACHES, name) ? KNOWN_CACHES[name] : undefined;
    let cacheName = known?.cache ?? name;
    if (this.slab.cache(cacheName)) cacheName = `${cacheName}-${id}`; // same-named type of another kind/id
    const align = Math.max(known?.align ?? 0, alignOf(this.btf, id));
    const cache = this.slab.createCache(cacheName, Math.max(1, sizeOf(this.btf, id)), { align: alignPow2(align) });
    this.cachesByType.set(id, cache);
    return cache;
  }

  /** Allocates an object of `type` (zeroed unless `zero: false`); returns its address. */
  alloc(type: TypeId | string, options?: AllocOptions): bigint {
    let target = this.allocTargets.get(type);
    if (target === undefined) {
      const id = skipModsAndTypedefs(this.btf, this.typeId(type));
      const cache = this.cacheFor(id);
      this.typeOfCache.set(cache, id);
      this.allocTargets.set(type, (target = { id, cache }));
    }
    return target.cache.alloc(options?.zero ?? true);
  }

  /** Frees an object (from alloc() or any slab cache). Throws EINVAL for double frees and non-objects. */
  free(addr: bigint): void {
    this.slab.kfree(addr);
  }

  /** The type (after typedefs) of a live object of a cache alloc() allocates from, if any. */
  typeOf(addr: bigint): TypeId | undefined {
    const cache = this.slab.cacheOf(addr);
    return cache !== undefined && cache.isLive(addr) ? this.typeOfCache.get(cache) : undefined;
  }

  /** Resolves a member path in `type` (cached). Throws BtfError (ENOENT/EINVAL/E2BIG) with the kernel-ish messages of src/btf. */
  field(type: TypeId | string, path: string): FieldLocation {
    // By the name as given first: the name -> id lookups cost more than the cache.
    const byName = this.locationsByName.get(type)?.get(path);
    if (byName) return byName;
    const loc = this.fieldById(type, path);
    let m = this.locationsByName.get(type);
    if (!m) this.locationsByName.set(type, (m = new Map()));
    m.set(path, loc);
    return loc;
  }

  private fieldById(type: TypeId | string, path: string): FieldLocation {
    const id = this.typeId(type);
    const key = `${id}\0${path}`;
    const cached = this.locations.get(key);
    if (cached) return cached;
    const loc = this.resolve(id, path);
    this.locations.set(key, loc);
    return loc;
  }

  /** Writes a field of the object at `addr`: a bigint for ints/enums/pointers/bitfields, or up to the field's size of raw bytes. */
  writeField(addr: bigint, type: TypeId | string, path: string, value: FieldValue): void {
    const loc = this.field(type, path);
    const fieldAddr = addr + BigInt(loc.byteOffset);
    if (value instanceof Uint8Array) {
      if (loc.bitSize) throw new BtfsnoopError("EINVAL", `field '${path}' is a ${loc.bitSize}-bit bitfield: write it as a bigint`);
      if (value.length > loc.size) throw new BtfsnoopError("E2BIG", `${value.length} bytes do not fit in the ${loc.size}-byte field '${path}'`);
      this.write(fieldAddr, value);
      return;
    }
    const t = loc.type;
    if (loc.bitSize) {
      checkRange(value, loc.bitSize, path);
      const bytes = this.read(fieldAddr, loc.size);
      const shift = BigInt(loc.bitOffset - loc.byteOffset * 8);
      let word = 0n;
      for (let i = bytes.length - 1; i >= 0; i--) word = (word << 8n) | BigInt(bytes[i]!);
      const mask = ((1n << BigInt(loc.bitSize)) - 1n) << shift;
      word = (word & ~mask) | ((BigInt.asUintN(loc.bitSize, value) << shift) & mask);
      for (let i = 0; i < bytes.length; i++) bytes[i] = Number((word >> BigInt(8 * i)) & 0xffn);
      this.write(fieldAddr, bytes);
      return;
    }
    if (t.kind === BtfKind.PTR) {
      if (value < 0n || value >= 1n << 64n) throw new BtfsnoopError("ERANGE", `value ${value} is not a 64-bit address for pointer field '${path}'`);
    } else if (t.kind === BtfKind.INT || t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64) {
      checkRange(value, loc.size * 8, path);
    } else {
      throw new BtfsnoopError("EINVAL", `field '${path}' is ${describe(t)}: write it as bytes`);
    }
    this.write(fieldAddr, leBytes(value, loc.size));
  }

  /** Reads a scalar field (ints sign-extended when signed, bitfields, enums per signedness, pointers unsigned). EINVAL for composites/arrays. */
  readField(addr: bigint, type: TypeId | string, path: string): bigint {
    const loc = this.field(type, path);
    const t = loc.type;
    const bytes = this.read(addr + BigInt(loc.byteOffset), loc.size);
    const bit = loc.bitOffset - loc.byteOffset * 8;
    switch (t.kind) {
      case BtfKind.INT:
        return readIntBits({ ...t, bitsOffset: 0 }, bytes, bit, loc.bitSize || t.nrBits);
      case BtfKind.ENUM:
      case BtfKind.ENUM64: {
        const asInt: IntType = { kind: BtfKind.INT, name: t.name, size: t.size, encoding: t.signed ? IntEncoding.SIGNED : 0, bitsOffset: 0, nrBits: t.size * 8 };
        return readIntBits(asInt, bytes, bit, loc.bitSize || t.size * 8);
      }
      case BtfKind.PTR: {
        if (bytes.length === 8) return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
        let v = 0n;
        for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
        return v;
      }
      default:
        throw new BtfsnoopError("EINVAL", `field '${path}' is ${describe(t)}: read it as bytes`);
    }
  }

  /** The raw bytes of a field (for a bitfield: the bytes holding it). */
  readFieldBytes(addr: bigint, type: TypeId | string, path: string): Uint8Array {
    const loc = this.field(type, path);
    return this.read(addr + BigInt(loc.byteOffset), loc.size);
  }

  /**
   * Writes `s` (UTF-8) into a char array field, truncated to leave room for
   * the NUL and NUL-padded to the end (strscpy_pad, as set_task_comm does).
   * EINVAL if the field is not an array of 1-byte ints.
   */
  writeString(addr: bigint, type: TypeId | string, path: string, s: string): void {
    const loc = this.charArray(type, path);
    const buf = new Uint8Array(loc.size);
    const bytes = new TextEncoder().encode(s);
    buf.set(bytes.subarray(0, Math.max(0, loc.size - 1)));
    this.write(addr + BigInt(loc.byteOffset), buf);
  }

  /** Reads a char array field up to its first NUL, decoded as UTF-8. */
  readString(addr: bigint, type: TypeId | string, path: string): string {
    const loc = this.charArray(type, path);
    const bytes = this.read(addr + BigInt(loc.byteOffset), loc.size);
    const nul = bytes.indexOf(0);
    return new TextDecoder().decode(nul < 0 ? bytes : bytes.subarray(0, nul));
  }

  private charArray(type: TypeId | string, path: string): FieldLocation {
    const loc = this.field(type, path);
    const t = loc.type;
    if (t.kind === BtfKind.ARRAY) {
      const elem = this.btf.typeById(skipModsAndTypedefs(this.btf, t.type));
      if (elem.kind === BtfKind.INT && elem.size === 1) return loc;
    }
    throw new BtfsnoopError("EINVAL", `field '${path}' is ${describe(t)}, not a char array`);
  }

  private read(addr: bigint, size: number): Uint8Array {
    const out = new Uint8Array(size);
    if (this.space.read(out, addr) !== 0) {
      this.slab.noteFaultingRead(addr, size);
      throw this.faultError("read", addr, size);
    }
    return out;
  }

  private write(addr: bigint, bytes: Uint8Array): void {
    if (this.space.write(addr, bytes) !== 0) {
      this.slab.noteFaultingWrite(addr, bytes.length);
      throw this.faultError("write", addr, bytes.length);
    }
  }

  private faultError(op: string, addr: bigint, size: number): BtfsnoopError {
    const bad = this.space.firstUnmapped(addr, size) ?? addr;
    const cache = this.slab.cacheOf(bad);
    const obj = cache?.objectAt(bad);
    const what = obj?.freed ? ` (use after free: ${cache!.name} object ${hex(obj.start)} was freed)` : obj ? ` (free ${cache!.name} object ${hex(obj.start)})` : "";
    return new BtfsnoopError("EFAULT", `${op} of ${size} bytes at ${hex(addr)}: address ${hex(bad)} is not mapped${what}`);
  }

  private resolve(id: TypeId, path: string): FieldLocation {
    const btf = this.btf;
    let cur = id;
    let bits = 0;
    let bitSize = 0;
    for (const segment of path.split(".")) {
      const m = /^([A-Za-z_$][\w$]*)((?:\[\d+\])*)$/.exec(segment);
      if (!m) throw new BtfError(`bad member path segment '${segment}' in '${path}'`, { typeId: id }, { errno: "EINVAL" });
      const resolved = resolveMemberPath(btf, cur, m[1]!);
      bits += resolved.bitsOffset;
      bitSize = resolved.member.bitfieldSize;
      cur = resolved.member.type;
      for (const idx of m[2]!.match(/\d+/g) ?? []) {
        const t = btf.typeById(skipModsAndTypedefs(btf, cur));
        if (t.kind !== BtfKind.ARRAY) throw new BtfError(`'${segment}': ${kindName(t.kind)} is not an array`, { typeId: cur }, { errno: "EINVAL" });
        const i = Number(idx);
        if (i >= t.nelems) throw new BtfError(`'${segment}': index ${i} out of bounds of array of ${t.nelems}`, { typeId: cur }, { errno: "E2BIG" });
        bits += i * 8 * sizeOf(btf, t.type);
        cur = t.type;
        bitSize = 0;
      }
    }
    const type = btf.typeById(skipModsAndTypedefs(btf, cur));
    // Old-style (kind_flag clear) bitfields carry their width in the INT itself.
    if (bitSize === 0 && type.kind === BtfKind.INT && (type.bitsOffset !== 0 || type.nrBits !== type.size * 8)) {
      bits += type.bitsOffset;
      bitSize = type.nrBits;
    }
    if (bitSize === 0 && bits % 8 !== 0) bitSize = sizeOf(btf, cur) * 8; // member not byte aligned: treat as a bitfield of its width
    const byteOffset = Math.floor(bits / 8);
    const size = bitSize ? Math.ceil((bits + bitSize) / 8) - byteOffset : sizeOf(btf, cur);
    return { path, typeId: cur, type, bitOffset: bits, bitSize, byteOffset, size };
  }
}

function alignPow2(n: number): number {
  let a = 1;
  while (a < n) a *= 2;
  return a;
}

function describe(t: AnyType): string {
  if (t.kind === BtfKind.STRUCT) return `struct ${t.name || "(anon)"}`;
  if (t.kind === BtfKind.UNION) return `union ${t.name || "(anon)"}`;
  if (t.kind === BtfKind.ARRAY) return `an array of ${t.nelems}`;
  return `a ${kindName(t.kind)}${t.kind === BtfKind.UNKN ? "" : t.name ? ` ${t.name}` : ""}`;
}

/** ERANGE unless `value` fits in `bits` bits as a signed or an unsigned value. */
function checkRange(value: bigint, bits: number, path: string): void {
  const min = -(1n << BigInt(bits - 1));
  const max = (1n << BigInt(bits)) - 1n;
  if (value < min || value > max) throw new BtfsnoopError("ERANGE", `value ${value} does not fit in the ${bits}-bit field '${path}'`);
}

/** `value` as `size` little-endian bytes (two's complement for negatives). */
export function leBytes(value: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  // The usual widths in one typed store each, not a BigInt shift per byte.
  if (size === 8) {
    new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
    return out;
  }
  if (size === 4 || size === 2 || size === 1) {
    const n = Number(BigInt.asUintN(size * 8, value));
    const dv = new DataView(out.buffer);
    if (size === 4) dv.setUint32(0, n, true);
    else if (size === 2) dv.setUint16(0, n, true);
    else out[0] = n;
    return out;
  }
  let v = BigInt.asUintN(size * 8, value);
  for (let i = 0; i < size; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
