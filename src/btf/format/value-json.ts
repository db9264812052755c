// Typed bytes as structured JSON (the NDJSON and Perfetto outputs): a BTF
// value decoded into plain JSON data that JSON.stringify can always write.
//
// * struct/union -> object; members of anonymous struct/union members appear
//   in the parent, as C names them (`skb->sk`, not `skb->(anon).sk`);
//   unnamed non-aggregate members (padding bitfields) are left out.
// * array -> array; a char array (element int named `char`/`signed char`/
//   `unsigned char` reached without a typedef, or CHAR-encoded) -> string up
//   to the first NUL (UTF-8, invalid bytes replaced). `__u8 x[]` stays numbers.
// * int / bitfield -> number, or a decimal string beyond ±2^53; bool -> true/false.
// * enum -> enumerator name, else the number.
// * pointer -> "0x..." hex string; float -> number ("nan"/"inf"/"-inf" strings).
// * var -> its value; datasec -> object of its variables.
// Bytes missing from `data` (truncated captures): a base value that does not
// fit is null; array elements that start past the end are dropped. Unknown
// ids, void, functions and cyclic types give null. Never throws.
import type { Btf } from "../btf.js";
import { BtfKind, IntEncoding } from "../kinds.js";
import { resolveSize, skipModifiers, skipModsAndTypedefs } from "../layout.js";
import type { AnyType, ArrayType, Enum64Type, EnumType, IntType, StructType, TypeId, UnionType } from "../types.js";
import { enumeratorName } from "../value.js";

/** Plain JSON data. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const POINTER_SIZE = 8;
const MAX_DEPTH = 256;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Decodes `data` (the bytes of a value) as BTF type `id`. */
export function toJsonValue(btf: Btf, id: TypeId, data: Uint8Array): JsonValue {
  try {
    return new Decoder(btf, data).value(id, 0, 0);
  } catch {
    return null; // dangling ids or looping chains in hand-built BTF
  }
}

/** A bigint as a JSON number when exact, else as a decimal string. */
export function jsonInteger(v: bigint): number | string {
  return v <= MAX_SAFE && v >= -MAX_SAFE ? Number(v) : v.toString();
}

const utf8 = new TextDecoder("utf-8", { fatal: false });

class Decoder {
  private depth = 0;
  constructor(
    private readonly btf: Btf,
    private readonly data: Uint8Array,
  ) {}

  private fits(off: number, n: number): boolean {
    return off >= 0 && off + n <= this.data.length;
  }
  private readLe(off: number, n: number): bigint {
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.data[off + i]!);
    return v;
  }

  /** The value of type `id` at byte `off`; `bitfield` > 0 for a bitfield member at bit `bitOff` of `off`. */
  value(id: TypeId, off: number, bitOff: number, bitfield = 0): JsonValue {
    if (++this.depth > MAX_DEPTH) return null;
    try {
      return this.decode(id, off, bitOff, bitfield);
    } finally {
      this.depth--;
    }
  }

  private decode(id: TypeId, off: number, bitOff: number, bitfield: number): JsonValue {
    if (!this.btf.hasId(id)) return null;
    const t = this.btf.typeById(skipModsAndTypedefs(this.btf, id));
    switch (t.kind) {
      case BtfKind.INT:
        return this.int(t, off, bitOff, bitfield);
      case BtfKind.ENUM:
      case BtfKind.ENUM64:
        return this.enumValue(t, off, bitOff, bitfield);
      case BtfKind.PTR:
        return this.fits(off, POINTER_SIZE) ? "0x" + this.readLe(off, POINTER_SIZE).toString(16) : null;
      case BtfKind.FLOAT:
        return this.float(t.size, off);
      case BtfKind.ARRAY:
        return this.array(t, off);
      case BtfKind.STRUCT:
      case BtfKind.UNION: {
        const obj: { [key: string]: JsonValue } = {};
        this.members(t, off, obj);
        return obj;
      }
      case BtfKind.VAR:
        return this.value(t.type, off, 0);
      case BtfKind.DATASEC: {
        const obj: { [key: string]: JsonValue } = {};
        for (const v of t.vars) {
          const vt = this.btf.hasId(v.type) ? this.btf.typeById(v.type) : undefined;
          if (vt?.kind === BtfKind.VAR) obj[vt.name] = this.value(vt.type, off + v.offset, 0);
        }
        return obj;
      }
      default:
        return null;
    }
  }

  private members(t: StructType | UnionType, off: number, obj: { [key: string]: JsonValue }): void {
    if (++this.depth > MAX_DEPTH) return;
    try {
      for (const m of t.members) {
        const moff = off + Math.floor(m.bitsOffset / 8);
        if (!m.name) {
          const mt = this.btf.hasId(m.type) ? this.btf.typeById(skipModsAndTypedefs(this.btf, m.type)) : undefined;
          if (mt && (mt.kind === BtfKind.STRUCT || mt.kind === BtfKind.UNION)) this.members(mt, moff, obj);
          continue;
        }
        obj[m.name] = this.value(m.type, moff, m.bitsOffset % 8, m.bitfieldSize);
      }
    } finally {
      this.depth--;
    }
  }

  /** Unsigned bits of a bitfield, or undefined when its bytes are missing. */
  private bits(off: number, bitOff: number, bitfield: number): bigint | undefined {
    const n = (bitOff + bitfield + 7) >> 3;
    if (!this.fits(off, n)) return undefined;
    return (this.readLe(off, n) >> BigInt(bitOff)) & ((1n << BigInt(bitfield)) - 1n);
  }

  private int(t: IntType, off: number, bitOff: number, bitfield: number): JsonValue {
    const signed = (t.encoding & IntEncoding.SIGNED) !== 0;
    let v: bigint | undefined;
    let width: number;
    if (bitfield) {
      v = this.bits(off, bitOff, bitfield);
      width = bitfield;
    } else {
      // The INT's own bit layout (nr_bits at bits_offset inside its storage).
      width = t.nrBits || t.size * 8;
      v = this.bits(off + (t.bitsOffset >> 3), t.bitsOffset & 7, width);
      if (v !== undefined && !this.fits(off, t.size)) v = undefined;
    }
    if (v === undefined) return null;
    if (t.encoding & IntEncoding.BOOL) return v !== 0n;
    return jsonInteger(signed ? BigInt.asIntN(width, v) : v);
  }

  private enumValue(t: EnumType | Enum64Type, off: number, bitOff: number, bitfield: number): JsonValue {
    let v: bigint | undefined;
    if (bitfield) {
      v = this.bits(off, bitOff, bitfield);
      if (v !== undefined && t.signed) v = BigInt.asIntN(bitfield, v);
    } else if (this.fits(off, t.size) && t.size >= 1 && t.size <= 8) {
      v = this.readLe(off, t.size);
      if (t.signed) v = BigInt.asIntN(t.size * 8, v);
    }
    if (v === undefined) return null;
    return enumeratorName(t, v) ?? jsonInteger(v);
  }

  private float(size: number, off: number): JsonValue {
    if (!this.fits(off, size)) return null;
    const dv = new DataView(this.data.buffer, this.data.byteOffset + off, size);
    let x: number;
    if (size === 4) x = dv.getFloat32(0, true);
    else if (size === 8) x = dv.getFloat64(0, true);
    else if (size === 16) x = longDouble(dv);
    else return null;
    if (Number.isNaN(x)) return "nan";
    if (x === Infinity) return "inf";
    if (x === -Infinity) return "-inf";
    return x;
  }

  private array(t: ArrayType, off: number): JsonValue {
    const elemSize = resolveSize(this.btf, t.type);
    if (elemSize <= 0) return [];
    if (this.isCharElem(t.type)) {
      let end = off;
      const stop = Math.min(off + t.nelems, this.data.length);
      while (end < stop && this.data[end] !== 0) end++;
      return utf8.decode(this.data.subarray(Math.max(0, off), Math.max(0, end)));
    }
    const out: JsonValue[] = [];
    for (let i = 0; i < t.nelems; i++) {
      const eoff = off + i * elemSize;
      if (eoff >= this.data.length) break;
      out.push(this.value(t.type, eoff, 0));
    }
    return out;
  }

  /** A char element: a 1-byte INT named char / signed char / unsigned char (not via a typedef) or CHAR-encoded. */
  private isCharElem(id: TypeId): boolean {
    const direct = this.btf.typeById(skipModifiers(this.btf, id));
    const t: AnyType = this.btf.typeById(skipModsAndTypedefs(this.btf, id));
    if (t.kind !== BtfKind.INT || t.size !== 1) return false;
    if (t.encoding & IntEncoding.CHAR) return true;
    return direct.kind === BtfKind.INT && (t.name === "char" || t.name === "signed char" || t.name === "unsigned char");
  }
}

/** An x86 80-bit extended value as the nearest double. */
function longDouble(dv: DataView): number {
  const m = dv.getBigUint64(0, true);
  const se = dv.getUint16(8, true);
  const sign = se >> 15 ? -1 : 1;
  const exp = se & 0x7fff;
  if (exp === 0x7fff) return (m & ((1n << 63n) - 1n)) === 0n ? sign * Infinity : NaN;
  return sign * Number(m) * 2 ** ((exp === 0 ? 1 : exp) - 16383 - 63);
}
