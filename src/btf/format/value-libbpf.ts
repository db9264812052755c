// The libbpf typed-data format: btf_dump__dump_type_data() as libbpf 1.1.2
// prints it (what ksnoop shows). A port of its walk — check_overflow, then
// check_zero, then `[indent][.member = ](type)value[delim][newline]` — so
// zero suppression, char arrays, partial output on -E2BIG and the stray
// state it keeps between values come out byte-exact:
//
//   (struct btf_enum){.name_off = (__u32)3,.val = (__s32)-1,}
//
// libbpf 1.1.2 bugs are reproduced only when asked (LIBBPF_1_1_2_QUIRKS); by
// default the correct value is printed:
// * quirkFirstMemberZero: a nested struct/union counts as zero when its first
//   member is zero (`if (err != ENODATA)` with a positive ENODATA).
// * quirkCharArrayNul: NUL chars are skipped by the zero check before the
//   terminator logic sees them (`"foo\0bar"` -> `['f','o','o','b','a','r',]`),
//   and with emit_zeroes the NUL still gets its (empty) indent.
// * quirkStickyArrayState: is_array_char / is_array_terminated are never reset
//   (later int arrays hide zero elements, later 1-byte ints print as chars,
//   arrays after a terminated char array print empty).
// * quirkEnumSignedMatch: ENUM values are compared with the s32 enumerator,
//   so unsigned enumerators >= 2^31 (and signed bitfield enums) never match.
// * quirkEnumSignedNoDelim: a signed ENUM/ENUM64 (kind_flag) value that
//   matches no enumerator is printed without its delimiter and newline
//   (`.a = (enum es)-7\t.b = ...`): 1.1.2's btf_dump_enum_data prints the
//   signed number on its own and returns before the path that adds them.
// Other differences from libbpf (documented, not bugs we reproduce):
// * `data` is taken to start 8-byte aligned (libbpf tests the real address:
//   misaligned pointers print `0x%llx`, aligned ones glibc `%p`).
// * Zero checks of nested values read bytes past `data` as zero (libbpf reads
//   whatever lies past the buffer).
// * Duplicate type names are not renamed `name___2` as btf_dump does.
// Kept as libbpf does it (all versions): element errors inside arrays are
// ignored, and a struct cut short by -E2BIG returns without its `}` and
// without undoing its depth, so truncated arrays of structs print unclosed
// braces and later delimiters/indents are off by the lost levels.
import type { Btf } from "../btf.js";
import { BtfKind, IntEncoding, VarLinkage } from "../kinds.js";
import { typeCache, type IdMemo, type TypeCache } from "./type-cache.js";
import type { AnyType, ArrayType, DatasecType, Enum64Type, EnumType, IntType, StructType, TypeId, UnionType, VarType } from "../types.js";
import type { FormattedValue, ValueFormatOptions, ValueFormatter } from "../value.js";
import { libbpfTypeName } from "./libbpf-type-name.js";
import { formatDouble, formatLongDouble } from "./printf-float.js";

export { libbpfTypeName } from "./libbpf-type-name.js";
export { formatDouble, formatLongDouble } from "./printf-float.js";

const ENOENT = 2;
const E2BIG = 7;
const EINVAL = 22;
const ENODATA = 61;
const ENOTSUP = 95;
const INT_MAX = 0x7fffffff;
const POINTER_SIZE = 8;
/** libbpf keeps indent_str in a char[32]. */
const MAX_INDENT_STR = 31;
/** Guards against cyclic hand-built BTF (a struct containing itself by value). */
const MAX_WALK_DEPTH = 512;
/** Output cap: truncated arrays of aggregates can print a lot; stop with -E2BIG past this. */
const MAX_OUTPUT = 16 * 1024 * 1024;
/**
 * Work cap: walk steps (values visited and zero checks) per dump. Element
 * counts and sizes in the BTF are not bounded by `data` (libbpf walks every
 * element of a struct array past the end of the buffer, and nested unions
 * multiply their members), so past this many steps the dump stops with
 * -E2BIG, the text so far kept. A 100k-element int array with its data takes
 * about 200k steps.
 */
export const LIBBPF_MAX_STEPS = 1 << 18;

/** Options of formatLibbpf(): btf_dump_type_data_opts plus the quirk switches. */
export interface LibbpfFormatOptions extends ValueFormatOptions {
  /** opts.indent_str (default "\t"; at most 31 characters are used). */
  indentStr?: string;
  /** opts.indent_level (default 0). */
  indentLevel?: number;
  /** libbpf 1.1.2 quirk 1: nested aggregates are zero when their first member is. */
  quirkFirstMemberZero?: boolean;
  /** libbpf 1.1.2 quirk 2: embedded NULs in char arrays are skipped, not terminators. */
  quirkCharArrayNul?: boolean;
  /** libbpf 1.1.2: is_array_char / is_array_terminated stay set for the rest of the dump. */
  quirkStickyArrayState?: boolean;
  /** libbpf 1.1.2: ENUM values are matched against the s32 enumerator value. */
  quirkEnumSignedMatch?: boolean;
  /** libbpf 1.1.2: an unmatched signed ENUM/ENUM64 value gets no delimiter or newline. */
  quirkEnumSignedNoDelim?: boolean;
}

/** Every libbpf 1.1.2 quirk on: output byte-identical to libbpf 1.1.2. */
export const LIBBPF_1_1_2_QUIRKS = {
  quirkFirstMemberZero: true,
  quirkCharArrayNul: true,
  quirkStickyArrayState: true,
  quirkEnumSignedMatch: true,
  quirkEnumSignedNoDelim: true,
} as const satisfies LibbpfFormatOptions;

/** Thrown inside the walk to stop it with a status (text so far is kept). */
class Abort {
  constructor(readonly status: number) {}
}

/**
 * btf_dump__dump_type_data(): renders `data` as BTF type `id`. Status is 0,
 * or -E2BIG when a base value would read past `data` (text printed so far is
 * kept), -ENOENT for an unknown id, -EINVAL for unsizable or malformed types.
 */
export function formatLibbpf(btf: Btf, id: TypeId, data: Uint8Array, opts: LibbpfFormatOptions = {}): FormattedValue {
  if (!btf.hasId(id)) return { text: "", status: -ENOENT };
  const d = new TypedDump(btf, data, opts);
  let status: number;
  try {
    status = d.dumpTypeData(undefined, id, 0, 0, 0);
  } catch (e) {
    // Abort, or a BtfError from a dangling id / looping chain in hand-built BTF.
    status = e instanceof Abort ? e.status : -EINVAL;
  }
  return { text: d.out, status: status < 0 ? status : 0 };
}

/** The ValueFormatter ("libbpf" style) over formatLibbpf() (ptrRaw has no meaning here). */
export const libbpfValueFormatter: ValueFormatter = {
  style: "libbpf",
  format(btf: Btf, id: TypeId, data: Uint8Array, options: ValueFormatOptions = {}): FormattedValue {
    return formatLibbpf(btf, id, data, options);
  },
};

/** One btf_dump_data walk (d->typed_dump). Methods return a size (>= 0) or a negative errno, as libbpf's do. */
class TypedDump {
  out = "";
  private depth = 0;
  private isArrayMember = false;
  private isArrayChar = false;
  private isArrayTerminated = false;
  private walk = 0;
  /** Walk steps so far (see LIBBPF_MAX_STEPS). */
  private steps = 0;
  private readonly indentStr: string;
  private readonly indentLevel: number;
  private readonly compact: boolean;
  private readonly skipNames: boolean;
  private readonly emitZeroes: boolean;
  private readonly qFirstMember: boolean;
  private readonly qNul: boolean;
  private readonly qSticky: boolean;
  private readonly qEnum: boolean;
  private readonly qEnumNoDelim: boolean;
  private readonly tc: TypeCache;
  private readonly typeNames: IdMemo<string>;
  private readonly zeroHeights: IdMemo<number>;
  /** Indent strings by level. */
  private readonly indents: string[] = [];

  constructor(
    private readonly btf: Btf,
    private readonly data: Uint8Array,
    o: LibbpfFormatOptions,
  ) {
    this.indentStr = (o.indentStr ?? "\t").slice(0, MAX_INDENT_STR);
    this.indentLevel = o.indentLevel ?? 0;
    this.compact = o.compact ?? false;
    this.skipNames = o.skipNames ?? false;
    this.emitZeroes = o.emitZeroes ?? false;
    this.qFirstMember = o.quirkFirstMemberZero ?? false;
    this.qNul = o.quirkCharArrayNul ?? false;
    this.qSticky = o.quirkStickyArrayState ?? false;
    this.qEnum = o.quirkEnumSignedMatch ?? false;
    this.qEnumNoDelim = o.quirkEnumSignedNoDelim ?? false;
    this.tc = typeCache(btf);
    this.typeNames = this.tc.memo<string>("libbpfTypeName");
    this.zeroHeights = this.tc.memo<number>("libbpfZeroHeight");
  }

  // --- output helpers ---

  private print(s: string): void {
    this.out += s;
    if (this.out.length > MAX_OUTPUT) throw new Abort(-E2BIG);
  }
  private newline(): string {
    return this.compact || this.depth === 0 ? "" : "\n";
  }
  private delim(): string {
    return this.depth === 0 ? "" : ",";
  }
  private pfx(): void {
    if (this.compact) return;
    const lvl = this.indentLevel + this.depth;
    if (lvl <= 0) return;
    // levels past 64 come only from unclosed braces of truncated struct arrays: not cached
    this.print(lvl <= 64 ? (this.indents[lvl] ??= this.indentStr.repeat(lvl)) : this.indentStr.repeat(lvl));
  }
  /** btf_dump_type_values(): the value, then delimiter and newline. */
  private typeValues(s: string): void {
    this.print(s + this.delim() + this.newline());
  }
  private emitTypeCast(id: TypeId, topLevel: boolean): void {
    if (this.isArrayMember) return;
    const t = this.btf.typeById(id);
    if (t.kind === BtfKind.VAR || t.kind === BtfKind.DATASEC) return;
    let name = this.typeNames.get(id);
    if (name === undefined) {
      name = libbpfTypeName(this.btf, id);
      this.typeNames.set(id, name);
    }
    this.print(topLevel ? "(" + name + ")" : name);
  }

  // --- byte access ---

  /** A byte for zero checks: past the buffer reads as 0. */
  private byteAt(off: number): number {
    return off >= 0 && off < this.data.length ? this.data[off]! : 0;
  }
  private readLe(off: number, n: number): bigint {
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.byteAt(off + i));
    return v;
  }
  /** Little-endian unsigned of `n` <= 4 bytes (past the buffer reads as 0). */
  private readSmall(off: number, n: number): number {
    const d = this.data;
    if (off + n <= d.length) {
      switch (n) {
        case 1:
          return d[off]!;
        case 2:
          return d[off]! | (d[off + 1]! << 8);
        default:
          return (d[off]! | (d[off + 1]! << 8) | (d[off + 2]! << 16) | (d[off + 3]! << 24)) >>> 0;
      }
    }
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + this.byteAt(off + i);
    return v;
  }
  /** "0x…" of the u64 at `off`. */
  private hex64(off: number): string {
    const lo = this.readSmall(off, 4);
    const hi = this.readSmall(off + 4, 4);
    return hi === 0 ? "0x" + lo.toString(16) : "0x" + hi.toString(16) + lo.toString(16).padStart(8, "0");
  }
  private aligned(id: TypeId, off: number): boolean {
    const a = this.tc.align(id);
    return a !== 0 && off % a === 0;
  }
  private resolved(id: TypeId): AnyType {
    return this.tc.resolved(id);
  }
  /** Whether bytes [off, off + n) are all zero (past the buffer reads as zero). */
  private allZero(off: number, n: number): boolean {
    const d = this.data;
    const end = Math.min(off + n, d.length);
    for (let i = Math.max(0, off); i < end; i++) if (d[i] !== 0) return false;
    return true;
  }

  /**
   * For a type whose zero check on all-zero bytes is -ENODATA and reads only
   * its own bytes: the walk depth that check takes; -1 otherwise. Lets
   * checkZero() answer for an all-zero aggregate without walking it.
   */
  private zeroHeight(id: TypeId): number {
    let h = this.zeroHeights.get(id);
    if (h !== undefined) return h;
    this.zeroHeights.set(id, -1); // cycles are not zero-safe
    try {
      h = this.computeZeroHeight(id);
    } catch {
      h = -1;
    }
    this.zeroHeights.set(id, h);
    return h;
  }

  private computeZeroHeight(id: TypeId): number {
    const t = this.resolved(id);
    switch (t.kind) {
      case BtfKind.INT:
      case BtfKind.FLOAT:
        return t.size >= 1 && t.size <= 16 ? 1 : -1;
      case BtfKind.PTR:
        return 1;
      case BtfKind.ENUM:
      case BtfKind.ENUM64:
        return t.size === 1 || t.size === 2 || t.size === 4 || t.size === 8 ? 1 : -1;
      case BtfKind.ARRAY: {
        if (this.tc.size(t.type) <= 0 || this.tc.size(id) < 0) return -1;
        if (t.nelems === 0) return 1;
        const h = this.zeroHeight(t.type);
        return h < 0 ? -1 : 1 + h;
      }
      case BtfKind.STRUCT:
      case BtfKind.UNION: {
        let max = 0;
        for (const m of t.members) {
          const moff = Math.floor(m.bitsOffset / 8);
          const mt = this.resolved(m.type);
          let h: number;
          let size: number;
          if (m.bitfieldSize && mt.kind === BtfKind.INT) {
            if (mt.size > 8) return -1;
            h = 1;
            size = mt.size;
          } else {
            h = this.zeroHeight(m.type);
            size = this.tc.size(m.type);
            if (mt.kind === BtfKind.ENUM || mt.kind === BtfKind.ENUM64) size = mt.size;
          }
          if (h < 0 || size < 0 || moff < 0 || moff + size > t.size) return -1;
          max = Math.max(max, h);
        }
        return 1 + max;
      }
      default:
        return -1;
    }
  }

  // --- the walk ---

  /** btf_dump_dump_type_data(): returns the value's size, or a negative errno. */
  dumpTypeData(fname: string | undefined, id: TypeId, off: number, bitsOffset: number, bitSz: number): number {
    if (++this.walk > MAX_WALK_DEPTH) throw new Abort(-EINVAL);
    if (++this.steps > LIBBPF_MAX_STEPS) throw new Abort(-E2BIG);
    try {
      return this.dumpTypeDataInner(fname, id, off, bitsOffset, bitSz);
    } finally {
      this.walk--;
    }
  }

  private dumpTypeDataInner(fname: string | undefined, id: TypeId, off: number, bitsOffset: number, bitSz: number): number {
    const size = this.checkOverflow(id, off, bitsOffset);
    if (size < 0) return size;
    const z = this.checkZero(id, off, bitsOffset, bitSz);
    if (z) return z === -ENODATA ? size : z;
    this.pfx();
    if (!this.skipNames) {
      if (fname) this.print(`.${fname} = `);
      this.emitTypeCast(id, true);
    }
    const t = this.resolved(id);
    let err: number;
    switch (t.kind) {
      case BtfKind.UNKN:
      case BtfKind.FWD:
      case BtfKind.FUNC:
      case BtfKind.FUNC_PROTO:
      case BtfKind.DECL_TAG:
        this.print(`<unsupported kind:${t.kind}>`);
        err = -ENOTSUP;
        break;
      case BtfKind.INT:
        err = bitSz ? this.bitfieldData(t, off, bitsOffset, bitSz) : this.intData(t, off);
        break;
      case BtfKind.FLOAT:
        err = this.floatData(t.size, off);
        break;
      case BtfKind.PTR:
        err = this.ptrData(id, off);
        break;
      case BtfKind.ARRAY:
        err = this.arrayData(t, off);
        break;
      case BtfKind.STRUCT:
      case BtfKind.UNION:
        err = this.structData(t, off);
        break;
      case BtfKind.ENUM:
      case BtfKind.ENUM64: {
        let v: bigint | number;
        if (bitSz) {
          v = this.bitfieldValue(t.size, off, bitsOffset, bitSz);
          if (typeof v === "bigint" && !this.qEnum && t.signed) v = BigInt.asIntN(bitSz, v);
        } else v = this.enumValue(t, id, off);
        err = typeof v === "number" ? v : this.enumData(t, v);
        break;
      }
      case BtfKind.VAR:
        err = this.varData(t, off);
        break;
      case BtfKind.DATASEC:
        err = this.datasecData(t, off);
        break;
      default:
        return -EINVAL;
    }
    return err < 0 ? err : size;
  }

  /** btf_dump_type_data_check_overflow() (1.1.2): the size, or -E2BIG when a base value runs past `data`. */
  private checkOverflow(id: TypeId, off: number, bitsOffset: number): number {
    const size = this.tc.size(id);
    if (size < 0 || size >= INT_MAX) return -EINVAL;
    switch (this.resolved(id).kind) {
      case BtfKind.INT:
      case BtfKind.FLOAT:
      case BtfKind.PTR:
      case BtfKind.ENUM:
      case BtfKind.ENUM64:
        if (off + (bitsOffset >> 3) + size > this.data.length) return -E2BIG;
        break;
      default:
        break;
    }
    return size;
  }

  /** btf_dump_type_data_check_zero(): 0 to show, -ENODATA to hide, other negatives are errors. */
  private checkZero(id: TypeId, off: number, bitsOffset: number, bitSz: number): number {
    if (this.emitZeroes || this.depth === 0 || (this.isArrayMember && !this.isArrayChar)) return 0;
    if (bitSz === 0) {
      // An all-zero value of a type whose zero check cannot fail: what the walk would find.
      const h = this.zeroHeight(id);
      if (h > 0 && this.walk + h <= MAX_WALK_DEPTH && this.allZero(off, this.tc.size(id))) return -ENODATA;
    }
    if (++this.walk > MAX_WALK_DEPTH) throw new Abort(-EINVAL);
    if (++this.steps > LIBBPF_MAX_STEPS) throw new Abort(-E2BIG);
    try {
      return this.checkZeroInner(id, off, bitsOffset, bitSz);
    } finally {
      this.walk--;
    }
  }

  private checkZeroInner(id: TypeId, off: number, bitsOffset: number, bitSz: number): number {
    const t = this.resolved(id);
    switch (t.kind) {
      case BtfKind.INT:
        if (bitSz) {
          const v = this.bitfieldValue(t.size, off, bitsOffset, bitSz);
          if (typeof v === "number") return v;
          return v === 0n ? -ENODATA : 0;
        }
        return this.baseCheckZero(t.size, off);
      case BtfKind.FLOAT:
        return this.baseCheckZero(t.size, off);
      case BtfKind.PTR:
        return this.baseCheckZero(POINTER_SIZE, off);
      case BtfKind.ARRAY: {
        const elemSize = this.tc.size(t.type);
        if (elemSize <= 0) return 0; // arrayData() reports the bad element size
        const elem = this.resolved(t.type);
        const isChar = elem.kind === BtfKind.INT && elemSize === 1;
        for (let i = 0; i < t.nelems; i++) {
          const eoff = off + i * elemSize;
          if (i === 0 && isChar && this.byteAt(eoff) === 0) return -ENODATA;
          if (eoff >= this.data.length && this.resolvedIsBase(elem)) return -ENODATA; // the rest reads as zero
          const err = this.checkZero(t.type, eoff, bitsOffset, 0);
          if (err !== -ENODATA) return err;
        }
        return -ENODATA;
      }
      case BtfKind.STRUCT:
      case BtfKind.UNION:
        for (const m of t.members) {
          const err = this.checkZero(m.type, off + Math.floor(m.bitsOffset / 8), m.bitsOffset % 8, m.bitfieldSize);
          // libbpf 1.1.2 tests `err != ENODATA` (positive): the first member decides.
          if (this.qFirstMember || err !== -ENODATA) return err;
        }
        return -ENODATA;
      case BtfKind.ENUM:
      case BtfKind.ENUM64: {
        const v = this.enumValue(t, id, off);
        if (typeof v === "number") return v;
        return v === 0n ? -ENODATA : 0;
      }
      default:
        return 0;
    }
  }

  private resolvedIsBase(t: AnyType): boolean {
    return t.kind === BtfKind.INT || t.kind === BtfKind.FLOAT || t.kind === BtfKind.PTR || t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64;
  }

  /** btf_dump_base_type_check_zero(). */
  private baseCheckZero(nrBytes: number, off: number): number {
    if (nrBytes < 1 || nrBytes > 16) return -EINVAL;
    for (let i = 0; i < nrBytes; i++) if (this.byteAt(off + i) !== 0) return 0;
    return -ENODATA;
  }

  /** btf_dump_get_bitfield_value(): `bitSz` unsigned bits at `bitsOffset` of the `size` bytes at `off`. */
  private bitfieldValue(size: number, off: number, bitsOffset: number, bitSz: number): bigint | number {
    if (size > 8) return -EINVAL;
    const num = this.readLe(off, size);
    return (num >> BigInt(bitsOffset)) & ((1n << BigInt(bitSz)) - 1n);
  }

  private bitfieldData(t: IntType, off: number, bitsOffset: number, bitSz: number): number {
    const v = this.bitfieldValue(t.size, off, bitsOffset, bitSz);
    if (typeof v === "number") return v;
    this.typeValues("0x" + v.toString(16));
    return 0;
  }

  /** btf_dump_int_data(): decimal by size; 128-bit in hex; chars inside char arrays. */
  private intData(t: IntType, off: number): number {
    const sz = t.size;
    const sign = (t.encoding & IntEncoding.SIGNED) !== 0;
    switch (sz) {
      case 16: {
        const lsi = this.readLe(off, 8);
        const msi = this.readLe(off + 8, 8);
        if (msi === 0n) this.typeValues("0x" + lsi.toString(16));
        else this.typeValues("0x" + msi.toString(16) + lsi.toString(16).padStart(16, "0"));
        return 0;
      }
      case 8: {
        const lo = this.readSmall(off, 4);
        const hi = this.readSmall(off + 4, 4);
        const h = sign ? hi | 0 : hi;
        if (h < 0x200000 && h >= -0x200000) {
          // Exact in a double: |h * 2^32 + lo| <= 2^53.
          this.typeValues(String(h * 4294967296 + lo));
          return 0;
        }
        const raw = this.readLe(off, 8);
        this.typeValues((sign ? BigInt.asIntN(64, raw) : raw).toString());
        return 0;
      }
      case 4:
      case 2: {
        const raw = this.readSmall(off, sz);
        const bits = 32 - sz * 8;
        this.typeValues(String(sign ? (bits ? (raw << bits) >> bits : raw | 0) : raw));
        return 0;
      }
      case 1: {
        const c = this.byteAt(off);
        if (this.isArrayChar) {
          if (this.isArrayTerminated) return 0;
          if (c === 0) {
            this.isArrayTerminated = true;
            return 0;
          }
          if (c >= 0x20 && c <= 0x7e) {
            this.typeValues(`'${String.fromCharCode(c)}'`);
            return 0;
          }
        }
        this.typeValues(String(sign ? (c << 24) >> 24 : c));
        return 0;
      }
      default:
        return -EINVAL;
    }
  }

  /** btf_dump_float_data(): `%f` / `%lf` / `%Lf` (x86 80-bit long double). */
  private floatData(size: number, off: number): number {
    const bytes = new Uint8Array(16);
    for (let i = 0; i < size && i < 16; i++) bytes[i] = this.byteAt(off + i);
    const dv = new DataView(bytes.buffer);
    switch (size) {
      case 16:
        this.typeValues(formatLongDouble(dv));
        return 0;
      case 8:
        this.typeValues(formatDouble(dv.getFloat64(0, true)));
        return 0;
      case 4:
        this.typeValues(formatDouble(dv.getFloat32(0, true)));
        return 0;
      default:
        return -EINVAL;
    }
  }

  /** btf_dump_ptr_data(): glibc `%p` when aligned (`(nil)` for NULL), else `0x%llx`. */
  private ptrData(id: TypeId, off: number): number {
    const p = this.hex64(off);
    if (this.aligned(id, off)) this.typeValues(p === "0x0" ? "(nil)" : p);
    else this.typeValues(p);
    return 0;
  }

  /** btf_dump_get_enum_value(): the value as libbpf's s64, or a negative errno. */
  private enumValue(t: EnumType | Enum64Type, id: TypeId, off: number): bigint | number {
    if (!this.aligned(id, off)) {
      const v = this.bitfieldValue(t.size, off, 0, t.size * 8);
      if (typeof v === "number" || this.qEnum || !t.signed) return v;
      return BigInt.asIntN(t.size * 8, v);
    }
    switch (t.size) {
      case 8:
        return BigInt.asIntN(64, this.readLe(off, 8));
      case 4:
      case 2:
      case 1: {
        const raw = this.readLe(off, t.size);
        return t.signed ? BigInt.asIntN(t.size * 8, raw) : raw;
      }
      default:
        return -EINVAL;
    }
  }

  /**
   * btf_dump_enum_data(): the enumerator's name, else the number (`%d`/`%u`,
   * `%lldLL`/`%lluULL`); with quirkEnumSignedNoDelim a signed number comes
   * without delimiter and newline.
   */
  private enumData(t: EnumType | Enum64Type, value: bigint): number {
    let name: string | undefined;
    let num: string;
    if (t.kind === BtfKind.ENUM) {
      name = t.values.find((e) =>
        this.qEnum ? BigInt.asIntN(32, BigInt(e.value)) === value : BigInt(e.value) === (t.signed ? value : BigInt.asUintN(64, value)),
      )?.name;
      num = (t.signed ? BigInt.asIntN(32, value) : BigInt.asUintN(32, value)).toString();
    } else {
      const u = BigInt.asUintN(64, value);
      name = t.values.find((e) => BigInt.asUintN(64, e.value) === u)?.name;
      num = t.signed ? `${BigInt.asIntN(64, u)}LL` : `${u}ULL`;
    }
    if (name !== undefined) this.typeValues(name);
    else if (t.signed && this.qEnumNoDelim) this.print(num);
    else this.typeValues(num);
    return 0;
  }

  /** btf_dump_array_data(). Element errors (e.g. -E2BIG) are ignored, as libbpf does. */
  private arrayData(t: ArrayType, off: number): number {
    const elemId = t.type;
    const elem = this.resolved(elemId);
    const elemSize = this.tc.size(elemId);
    if (elemSize <= 0) return -EINVAL;
    const isChar = elem.kind === BtfKind.INT && elemSize === 1;
    const savedChar = this.isArrayChar;
    if (isChar) this.isArrayChar = true;
    this.depth++;
    this.print("[" + this.newline());
    const savedMember = this.isArrayMember;
    this.isArrayMember = true;
    const savedTerminated = this.isArrayTerminated;
    if (!this.qSticky) this.isArrayTerminated = false;
    const base = this.resolvedIsBase(elem);
    for (let i = 0; i < t.nelems; i++) {
      if (this.isArrayTerminated) break;
      const eoff = off + i * elemSize;
      // Every further base element would fail check_overflow and print nothing.
      if (base && eoff + elemSize > this.data.length) break;
      if (isChar && !this.qNul && this.byteAt(eoff) === 0) {
        this.isArrayTerminated = true;
        break;
      }
      this.dumpTypeData(undefined, elemId, eoff, 0, 0);
    }
    this.isArrayMember = savedMember;
    if (!this.qSticky) {
      this.isArrayTerminated = savedTerminated;
      this.isArrayChar = savedChar;
    }
    this.depth--;
    this.pfx();
    this.typeValues("]");
    return 0;
  }

  /** btf_dump_struct_data(). A member error returns at once (no closing brace, depth left raised). */
  private structData(t: StructType | UnionType, off: number): number {
    this.depth++;
    this.print("{" + this.newline());
    let err = 0;
    for (const m of t.members) {
      err = this.dumpTypeData(m.name, m.type, off + Math.floor(m.bitsOffset / 8), m.bitsOffset % 8, m.bitfieldSize);
      if (err < 0) return err;
    }
    this.depth--;
    this.pfx();
    this.typeValues("}");
    return err;
  }

  /** btf_dump_var_data(): `[static |extern ]type name = (type)value`. */
  private varData(v: VarType, off: number): number {
    const l = v.linkage === VarLinkage.STATIC ? "static " : v.linkage === VarLinkage.GLOBAL_EXTERN ? "extern " : "";
    this.print(l);
    this.emitTypeCast(v.type, false);
    this.print(` ${v.name} = `);
    return this.dumpTypeData(undefined, v.type, off, 0, 0);
  }

  /** btf_dump_datasec_data(): `SEC("name") ` then each variable followed by `;`. */
  private datasecData(t: DatasecType, off: number): number {
    this.typeValues(`SEC("${t.name}") `);
    for (const vsi of t.vars) {
      const err = this.dumpTypeData(undefined, vsi.type, off + vsi.offset, 0, 0);
      if (err < 0) return err;
      this.print(";");
    }
    return 0;
  }
}
