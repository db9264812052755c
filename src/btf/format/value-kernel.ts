// The kernel's typed-value format: bpf_snprintf_btf() / btf_type_snprintf_show()
// as kernel/bpf/btf.c's btf_show_* walk prints it. A port of that state machine
// (indent, member, array_member/encoding/terminated, depth_check/depth_to_show)
// so zero suppression, char arrays and delimiters come out byte-exact:
//
//   [indent][.member = ](type)value[delim][newline]
//
// The text is a byte string, as the kernel writes bytes: one char per output
// byte (U+0000..U+00FF, i.e. latin1), so it is written out with
// Buffer.from(text, "latin1"). A char-array byte the kernel shows as '%c' is
// that raw byte (its isprint() is the Latin-1 table of lib/ctype.c: 0x20-0x7e
// and 0xa0-0xff are printable, 0x7f-0x9f are control); names from BTF are
// their UTF-8 bytes.
//
// Deliberate differences from the kernel (all in corners its selftests don't pin):
// * `%p` (no BTF_F_PTR_RAW): the kernel prints a siphash of the pointer with a
//   boot-time random key, truncated to 32 bits and zero-padded to 16 digits.
//   We print, for determinism, the upper 32 bits of the 64-bit FNV-1a hash of the
//   pointer's 8 little-endian bytes, zero-padded the same way (`0x000000007524fd8b`
//   shape). NULL and error pointers (-4095..-1) are printed raw, as %p does.
// * Type names skip leading qualifiers (`const int` member -> `(int)`); the
//   kernel starts its name walk on the unskipped type and prints `()`.
// * Array elements advance by the element's real size; the kernel uses
//   `elem_type->size`, which is 0 for pointer and array elements.
// * Reads past `data` stop the walk with -EFAULT (text so far kept); the kernel
//   keeps walking and a later successful safe copy clears its status.
// * ENUM values are read with the enum's size (the kernel reads an `int`).
import type { Btf } from "../btf.js";
import { BtfKind, IntEncoding, kindName } from "../kinds.js";
import { sizeOf, skipModifiers, skipModsAndTypedefs } from "../layout.js";
import type { AnyType, ArrayType, DatasecType, Enum64Type, EnumType, IntType, Member, StructType, TypeId, UnionType } from "../types.js";
import { enumeratorName, readEnum, type FormattedValue, type ValueFormatOptions, type ValueFormatter } from "../value.js";

/** bpf_snprintf_btf() flags (uapi enum). */
export const BTF_F_COMPACT = 1;
export const BTF_F_NONAME = 2;
export const BTF_F_PTR_RAW = 4;
export const BTF_F_ZERO = 8;
const BTF_F_ALL = BTF_F_COMPACT | BTF_F_NONAME | BTF_F_PTR_RAW | BTF_F_ZERO;

const EINVAL = 22;
const ENOENT = 2;
const EFAULT = 14;

/** BTF_SHOW_MAX_ITER: nesting of pointers/arrays/typedefs the name walk follows. */
const BTF_SHOW_MAX_ITER = 10;
/** The kernel's indent string is 32 spaces: deeper levels stay at 32. */
const MAX_INDENT = 32;
/** Guard against cyclic hand-built BTF (struct containing itself by value). */
const MAX_WALK_DEPTH = 512;
/**
 * Work cap: show calls per value. Element counts in the BTF are not bounded
 * by `data` (an array of zero-size structs can claim 2^32 elements), nested
 * aggregates are walked twice per level (the depth check) and nested unions
 * multiply their members; past this many steps the walk stops with -E2BIG,
 * the text so far kept.
 */
export const KERNEL_MAX_STEPS = 1 << 18;
const E2BIG = 7;

/** Thrown inside the walk to stop it with a status (text so far is kept). */
class Abort {
  constructor(readonly status: number) {}
}

/**
 * bpf_snprintf_btf(): renders `data` as BTF type `typeId` the way the kernel
 * helper does, returning the full text (no truncation; a byte string, one
 * char per byte: write it with Buffer.from(text, "latin1")) and 0 or a negative
 * errno: -EINVAL for unknown flag bits or type id 0, -ENOENT for an unknown
 * type id, -EFAULT when `data` is shorter than the value, -E2BIG past
 * KERNEL_MAX_STEPS (text so far kept in both).
 */
export function snprintfBtf(btf: Btf, typeId: TypeId, data: Uint8Array, flags: number): FormattedValue {
  if (!Number.isInteger(flags) || flags < 0 || (flags & ~BTF_F_ALL) !== 0 || flags > BTF_F_ALL) return { text: "", status: -EINVAL };
  if (typeId === 0) return { text: "", status: -EINVAL };
  if (!Number.isInteger(typeId) || typeId < 0 || !btf.hasId(typeId)) return { text: "", status: -ENOENT };
  const show = new Show(btf, data, flags);
  try {
    show.typeShow(typeId);
  } catch (e) {
    if (e instanceof Abort) return { text: show.out, status: e.status };
    throw e;
  }
  return { text: show.out, status: 0 };
}

/** The ValueFormatter ("kernel" style) over snprintfBtf(). */
export const kernelValueFormatter: ValueFormatter = {
  style: "kernel",
  format(btf: Btf, id: TypeId, data: Uint8Array, options: ValueFormatOptions = {}): FormattedValue {
    const flags =
      (options.compact ? BTF_F_COMPACT : 0) |
      (options.skipNames ? BTF_F_NONAME : 0) |
      (options.ptrRaw ? BTF_F_PTR_RAW : 0) |
      (options.emitZeroes ? BTF_F_ZERO : 0);
    return snprintfBtf(btf, id, data, flags);
  },
};

const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const MASK64 = (1n << 64n) - 1n;

/** The stand-in for %p's hashed pointer: upper 32 bits of FNV-1a-64 over the pointer's 8 LE bytes. */
export function hashPointer(ptr: bigint): bigint {
  let h = FNV64_OFFSET;
  const p = BigInt.asUintN(64, ptr);
  for (let i = 0n; i < 8n; i++) {
    h ^= (p >> (8n * i)) & 0xffn;
    h = (h * FNV64_PRIME) & MASK64;
  }
  return h >> 32n;
}

const hex16 = (v: bigint): string => v.toString(16).padStart(16, "0");

/** The kernel's isprint(): lib/ctype.c's Latin-1 table (0x20-0x7e and 0xa0-0xff). */
export function kernelIsprint(byte: number): boolean {
  return (byte >= 0x20 && byte <= 0x7e) || (byte >= 0xa0 && byte <= 0xff);
}

const NON_ASCII = /[^\x00-\x7f]/;

/** A BTF name as the bytes the kernel copies (its UTF-8), one char per byte. */
function nameBytes(name: string): string {
  return NON_ASCII.test(name) ? Buffer.from(name, "utf8").toString("latin1") : name;
}

class Show {
  out = "";
  private readonly compact: boolean;
  private readonly noname: boolean;
  private readonly ptrRaw: boolean;
  private readonly zero: boolean;
  // show->state
  private depth = 0;
  private depthCheck = 0;
  private depthToShow = 0;
  private type: AnyType | undefined;
  private typeId: TypeId = 0;
  private member: Member | undefined;
  private arrayMember = false;
  private arrayEncoding = 0;
  private arrayTerminated = false;
  private walkDepth = 0;
  private steps = 0;

  constructor(
    private readonly btf: Btf,
    private readonly data: Uint8Array,
    flags: number,
  ) {
    this.compact = (flags & BTF_F_COMPACT) !== 0;
    this.noname = (flags & BTF_F_NONAME) !== 0;
    this.ptrRaw = (flags & BTF_F_PTR_RAW) !== 0;
    this.zero = (flags & BTF_F_ZERO) !== 0;
  }

  /** btf_type_show(): the top-level value. */
  typeShow(id: TypeId): void {
    this.show(this.btf.typeById(id), id, 0, 0);
  }

  // --- output helpers (btf_show_indent/newline/delim/name, btf_show) ---

  private emit(s: string): void {
    if (!this.depthCheck) this.out += s;
  }
  private indent(): string {
    return this.compact ? "" : " ".repeat(Math.min(this.depth, MAX_INDENT));
  }
  private newline(): string {
    return this.compact ? "" : "\n";
  }
  private delim(): string {
    if (this.depth === 0) return "";
    if (this.compact && this.type && this.type.kind === BtfKind.UNION) return "|";
    return ",";
  }

  /** btf_show_name(): `.member = (type)` + paren, or just the paren with NONAME. */
  private name(): string {
    if (this.arrayMember) return "";
    let id = this.typeId;
    let memberName = "";
    if (this.member) {
      memberName = this.member.name;
      id = this.member.type;
    }
    if (!this.btf.hasId(id)) return "";
    let t = this.btf.typeById(skipModifiers(this.btf, id));
    let name: string | undefined;
    let parens = "";
    let prefix = "";
    let ptrs = 0;
    let arrays = 0;
    let sawTypedef = false;
    let sawArray = false;
    let sawPtr = false;
    let i = 0;
    for (; i < BTF_SHOW_MAX_ITER; i++) {
      let next = 0;
      switch (t.kind) {
        case BtfKind.TYPEDEF:
          if (name === undefined) name = t.name;
          sawTypedef = true;
          next = t.type;
          break;
        case BtfKind.ARRAY:
          sawArray = true;
          parens = "[";
          arrays++;
          next = t.type;
          break;
        case BtfKind.PTR:
          sawPtr = true;
          ptrs++;
          next = t.type;
          break;
        default:
          next = 0;
      }
      if (!next) break;
      t = this.btf.typeById(skipModifiers(this.btf, next));
    }
    if (i === BTF_SHOW_MAX_ITER) return "";
    if (name === undefined) name = t.name;
    switch (t.kind) {
      case BtfKind.STRUCT:
      case BtfKind.UNION:
        prefix = t.kind === BtfKind.STRUCT ? "struct" : "union";
        if (!sawArray) parens = "{";
        break;
      case BtfKind.ENUM:
      case BtfKind.ENUM64:
        prefix = "enum";
        break;
      default:
        break;
    }
    if (sawPtr) parens = "";
    if (sawTypedef) prefix = "";
    if (this.noname) return parens;
    memberName = nameBytes(memberName);
    name = nameBytes(name);
    const ptrSuffix = "*".repeat(Math.min(ptrs, BTF_SHOW_MAX_ITER));
    const arraySuffix = "[]".repeat(Math.min(arrays, BTF_SHOW_MAX_ITER));
    return (
      (memberName ? `.${memberName} = ` : "") +
      "(" +
      prefix +
      (prefix && name ? " " : "") +
      name +
      (ptrSuffix ? " " : "") +
      ptrSuffix +
      arraySuffix +
      ")" +
      parens
    );
  }

  /** btf_show_type_value(): printed if non-zero, BTF_F_ZERO, or at depth 0. */
  private typeValue(text: string, nonZero: boolean): void {
    if (nonZero || this.zero || this.depth === 0) {
      this.typeValues(text);
    }
  }
  /** btf_show_type_values(): always printed. */
  private typeValues(text: string): void {
    if (!this.depthCheck) this.emit(this.indent() + this.name() + text + this.delim() + this.newline());
    if (this.depth > this.depthToShow) this.depthToShow = this.depth;
  }

  // --- type bookkeeping (btf_show_start_type & co) ---

  /** btf_show_start_type(): records the type; faults if `need` bytes at `off` are not in `data`. */
  private startType(t: AnyType, id: TypeId, off: number, need: number): void {
    this.type = t;
    this.typeId = id;
    if (off < 0 || off + need > this.data.length) throw new Abort(-EFAULT);
  }
  private endType(): void {
    this.type = undefined;
    this.typeId = 0;
  }
  private startAggr(t: AnyType, id: TypeId, off: number, size: number): void {
    this.startType(t, id, off, Math.min(size, 1));
    if (!this.depthCheck) this.emit(this.indent() + this.name() + this.newline());
    this.depth++;
  }
  private endAggr(suffix: string): void {
    this.depth--;
    if (!this.depthCheck) this.emit(this.indent() + suffix + this.delim() + this.newline());
    this.endType();
  }

  // --- per-kind show ops ---

  /** btf_type_ops(t)->show(btf, t, id, data + off, bitsOff). */
  private show(t: AnyType, id: TypeId, off: number, bitsOff: number): void {
    if (++this.walkDepth > MAX_WALK_DEPTH) throw new Abort(-EINVAL);
    if (++this.steps > KERNEL_MAX_STEPS) throw new Abort(-E2BIG);
    try {
      switch (t.kind) {
        case BtfKind.INT:
          return this.intShow(t, id, off, bitsOff);
        case BtfKind.PTR:
          return this.ptrShow(t, id, off);
        case BtfKind.ARRAY:
          return this.arrayShow(t, id, off, bitsOff);
        case BtfKind.STRUCT:
        case BtfKind.UNION:
          return this.structShow(t, id, off, bitsOff);
        case BtfKind.ENUM:
        case BtfKind.ENUM64:
          return this.enumShow(t, id, off);
        case BtfKind.TYPEDEF:
        case BtfKind.VOLATILE:
        case BtfKind.CONST:
        case BtfKind.RESTRICT:
        case BtfKind.TYPE_TAG:
        case BtfKind.VAR: {
          // btf_modifier_show / btf_var_show: show the resolved type, keeping
          // the starting id so the typedef's name is the one printed.
          const rid = skipModsAndTypedefs(this.btf, t.type);
          const keep = t.kind === BtfKind.VAR ? rid : id;
          return this.show(this.btf.typeById(rid), keep, off, bitsOff);
        }
        case BtfKind.DATASEC:
          return this.datasecShow(t, id, off, bitsOff);
        default:
          // btf_df_show(): FWD, FUNC, FUNC_PROTO, FLOAT, DECL_TAG, void.
          this.emit(`<unsupported kind:${kindName(t.kind)}>`);
      }
    } finally {
      this.walkDepth--;
    }
  }

  private intShow(t: IntType, id: TypeId, off: number, bitsOff: number): void {
    this.startType(t, id, off, t.size);
    const sign = (t.encoding & IntEncoding.SIGNED) !== 0;
    const nrBits = t.nrBits;
    if (bitsOff || t.bitsOffset || nrBits % 8) {
      const total = bitsOff + t.bitsOffset;
      this.bitfieldShow(off + (total >> 3), total & 7, nrBits);
      this.endType();
      return;
    }
    const u = (n: number): bigint => this.readLe(off, n);
    switch (nrBits) {
      case 128:
        this.int128Print(u(16));
        break;
      case 64:
      case 32:
      case 16: {
        const raw = u(nrBits / 8);
        const v = sign ? BigInt.asIntN(nrBits, raw) : raw;
        this.typeValue(v.toString(), v !== 0n);
        break;
      }
      case 8: {
        const raw = u(1);
        if (this.arrayEncoding === IntEncoding.CHAR) {
          if (this.arrayTerminated) break;
          if (raw === 0n) {
            this.arrayTerminated = true;
            break;
          }
          if (kernelIsprint(Number(raw))) {
            // '%c': the raw byte itself (U+00A0..U+00FF stand for bytes 0xa0..0xff)
            this.typeValue(`'${String.fromCharCode(Number(raw))}'`, true);
            break;
          }
        }
        const v = sign ? BigInt.asIntN(8, raw) : raw;
        this.typeValue(v.toString(), v !== 0n);
        break;
      }
      default:
        this.bitfieldShow(off, 0, nrBits);
    }
    this.endType();
  }

  /** btf_bitfield_show(): `nrBits` unsigned bits at `bitsOff` of the bytes at `off`, in hex. */
  private bitfieldShow(off: number, bitsOff: number, nrBits: number): void {
    const nBytes = (bitsOff + nrBits + 7) >> 3;
    if (off < 0 || off + nBytes > this.data.length) throw new Abort(-EFAULT);
    const raw = this.readLe(off, nBytes);
    this.int128Print((raw >> BigInt(bitsOff)) & ((1n << BigInt(nrBits)) - 1n));
  }

  /** btf_int128_print(): `0x%llx`, or `0x%llx%016llx` when the upper half is set. */
  private int128Print(v: bigint): void {
    const v128 = BigInt.asUintN(128, v);
    const upper = v128 >> 64n;
    const lower = v128 & MASK64;
    if (upper === 0n) this.typeValue("0x" + lower.toString(16), lower !== 0n);
    else this.typeValues("0x" + upper.toString(16) + hex16(lower));
  }

  private ptrShow(t: AnyType, id: TypeId, off: number): void {
    this.startType(t, id, off, 8);
    const p = this.readLe(off, 8);
    const isErrOrNull = p === 0n || p >= MASK64 - 4094n;
    const shown = this.ptrRaw || isErrOrNull ? p : hashPointer(p);
    this.typeValue("0x" + hex16(shown), p !== 0n);
    this.endType();
  }

  private enumShow(et: EnumType | Enum64Type, id: TypeId, off: number): void {
    this.startType(et, id, off, et.size);
    const v = readEnum(et, this.data, off);
    const name = enumeratorName(et, v);
    // The kernel passes the enumerator's name (a non-NULL pointer) as the
    // value, so a matched enumerator is shown even when its value is 0.
    if (name !== undefined) this.typeValue(nameBytes(name), true);
    else this.typeValue(v.toString(), v !== 0n);
    this.endType();
  }

  /** btf_struct_show() / btf_array_show(): the two-pass depth check for nested aggregates. */
  private withDepthCheck(body: () => void): void {
    const m = this.member;
    if (this.depth > 0 && !this.zero) {
      if (!this.depthCheck) {
        this.depthCheck = this.depth + 1;
        this.depthToShow = 0;
      }
      body();
      this.member = m;
      if (this.depthCheck !== this.depth + 1) return;
      this.depthCheck = 0;
      if (this.depthToShow <= this.depth) return;
    }
    body();
  }

  private structShow(t: StructType | UnionType, id: TypeId, off: number, bitsOff: number): void {
    this.withDepthCheck(() => this.structShowInner(t, id, off, bitsOff));
  }

  private structShowInner(t: StructType | UnionType, id: TypeId, off: number, _bitsOff: number): void {
    this.startAggr(t, id, off, t.size);
    for (const m of t.members) {
      this.member = m;
      const mt = this.btf.typeById(m.type);
      const bytesOff = off + Math.floor(m.bitsOffset / 8);
      const bits8 = m.bitsOffset % 8;
      if (m.bitfieldSize) {
        this.startType(mt, m.type, bytesOff, 0);
        this.bitfieldShow(bytesOff, bits8, m.bitfieldSize);
        this.endType();
      } else {
        this.show(mt, m.type, bytesOff, bits8);
      }
      this.member = undefined;
    }
    this.endAggr("}");
  }

  private arrayShow(t: ArrayType, id: TypeId, off: number, bitsOff: number): void {
    this.withDepthCheck(() => this.arrayShowInner(t, id, off, bitsOff));
  }

  private arrayShowInner(t: ArrayType, id: TypeId, off: number, bitsOff: number): void {
    const elemId = t.type;
    const elemResolved = skipModsAndTypedefs(this.btf, elemId);
    const elem = this.btf.typeById(elemResolved);
    let elemSize = 0;
    try {
      elemSize = sizeOf(this.btf, elemResolved);
    } catch {
      elemSize = 0;
    }
    let encoding = 0;
    if (elem.kind === BtfKind.INT) {
      encoding = elem.encoding;
      // "BTF_INT_CHAR encoding never seems to be set for char arrays, so if
      // size is 1 and element is printable as a char, we'll do that."
      if (elemSize === 1) encoding = IntEncoding.CHAR;
    }
    this.arrayEncoding = encoding;
    this.arrayTerminated = false;
    this.startAggr(t, id, off, elemSize * t.nelems);
    for (let i = 0; i < t.nelems; i++) {
      this.arrayMember = true;
      this.member = undefined;
      this.show(elem, elemId, off + i * elemSize, bitsOff);
      this.arrayMember = false;
      this.member = undefined;
      if (this.arrayTerminated) break;
    }
    this.arrayEncoding = 0;
    this.arrayTerminated = false;
    this.endAggr("]");
  }

  private datasecShow(t: DatasecType, id: TypeId, off: number, bitsOff: number): void {
    this.startType(t, id, off, 0);
    this.typeValue(`section ("${nameBytes(t.name)}") = {`, true);
    t.vars.forEach((v, i) => {
      if (i) this.emit(",");
      this.show(this.btf.typeById(v.type), v.type, off + v.offset, bitsOff);
    });
    this.endType();
  }

  private readLe(off: number, n: number): bigint {
    if (off < 0 || off + n > this.data.length) throw new Abort(-EFAULT);
    let v = 0n;
    for (let i = off + n - 1; i >= off; i--) v = (v << 8n) | BigInt(this.data[i]!);
    return v;
  }
}
