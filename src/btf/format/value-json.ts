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
// Work is bounded: past MAX_JSON_STEPS decoded values (nested unions multiply
// their members, whatever the size of `data`) every further value is null,
// struct members and array elements are no longer visited.
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
/** Values decoded per call at most; the rest are null (see the top comment). */
export const MAX_JSON_STEPS = 1 << 18;

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
  private steps = 0;
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
    if (++this.steps > MAX_JSON_STEPS) return null;
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
          if (this.steps >= MAX_JSON_STEPS) break;
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
        if (this.steps >= MAX_JSON_STEPS) break;
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
      if (eoff >= this.data.length || this.steps >= MAX_JSON_STEPS) break;
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

/** An x86 80-bit extended value as the nearest double (invalid x87 encodings, integer bit clear, are NaN). */
function longDouble(dv: DataView): number {
  const m = dv.getBigUint64(0, true);
  const se = dv.getUint16(8, true);
  const sign = se >> 15 ? -1 : 1;
  const exp = se & 0x7fff;
  if (exp !== 0 && m >> 63n === 0n) return NaN;
  if (exp === 0x7fff) return m === 1n << 63n ? sign * Infinity : NaN;
  return sign * Number(m) * 2 ** ((exp === 0 ? 1 : exp) - 16383 - 63);
}

// --- compiled plans: the same output as JSON.stringify(toJsonValue(...)), fast ---
//
// A type is compiled once per Btf into an emitter: a closure tree with the
// member lists flattened (anonymous members merged in, byte offsets summed),
// typedef/modifier chains resolved, keys pre-quoted, bitfield masks and enum
// name tables precomputed. Emitting is then a walk over the bytes only, in
// plain numbers where the value fits (BigInt only past 32/53 bits). Anything
// unusual (keys JSON.stringify would reorder or drop, duplicate keys,
// DATASEC, nesting near the depth limit, cyclic or dangling types) falls back
// to toJsonValue for that type, so the output is the same byte for byte.

/** Writes the JSON text of the value at byte `off` of `d`. */
type Emit = (d: Uint8Array, off: number) => string;

/** A compiled subtree and the decoder depth it spans (as Decoder counts it). */
interface Node {
  readonly emit: Emit;
  readonly height: number;
  /**
   * At least the number of Decoder.value() calls decoding this subtree takes
   * with every array element present; a plan is made only when its root's
   * weight is within MAX_JSON_STEPS, so the Decoder would not have cut it.
   */
  readonly weight: number;
  /** A struct's text as literals and calls (offsets relative to its start), for inlining into its parent. */
  readonly parts?: readonly Part[];
  /** For simple leaves: the same text as a JS expression over `d`, `o` and `L` (= d.length) at byte `o + k`. */
  readonly expr?: Expr;
}

type Expr = (k: number) => string;
type Part = string | { readonly emit: Emit; readonly off: number; readonly expr?: Expr | undefined };

/** Calls per generated function: past this, nested structs are called rather than inlined. */
const MAX_INLINE_CALLS = 256;

function callCount(parts: readonly Part[]): number {
  let n = 0;
  for (const p of parts) if (typeof p !== "string") n++;
  return n;
}

/**
 * One function for a whole (flattened) struct: adjacent literals merged,
 * one call site per emitter so each stays monomorphic. Falls back to a loop
 * when code generation from strings is disabled.
 */
function generate(parts: readonly Part[]): Emit {
  const fns: Emit[] = [];
  const index = new Map<Emit, number>();
  const pieces: string[] = [];
  let lit = "";
  for (const p of parts) {
    if (typeof p === "string") {
      lit += p;
      continue;
    }
    if (lit) pieces.push(JSON.stringify(lit));
    lit = "";
    let i = index.get(p.emit);
    if (i === undefined && !p.expr) {
      i = fns.length;
      fns.push(p.emit);
      index.set(p.emit, i);
    }
    pieces.push(p.expr ? p.expr(p.off) : p.off === 0 ? `f${i}(d, o)` : `f${i}(d, o + ${p.off})`);
  }
  if (lit) pieces.push(JSON.stringify(lit));
  if (pieces.length === 0 || typeof parts[0] !== "string") pieces.unshift('""');
  try {
    const body = `"use strict";${fns.map((_, i) => `const f${i} = F[${i}];`).join("")}return function (d, o) { const L = d.length; return ${pieces.join(" + ")}; };`;
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    return new Function("F", body)(fns) as Emit;
  } catch {
    return (d, o) => {
      let s = "";
      for (const p of parts) s += typeof p === "string" ? p : p.emit(d, o + p.off);
      return s;
    };
  }
}

class Unplannable {}
const UNPLANNABLE = new Unplannable();

interface PlanCache {
  typeCount: number;
  plans: Map<TypeId, Emit | null>;
  nodes: Map<TypeId, Node>;
}
const planCaches = new WeakMap<Btf, PlanCache>();

function planCache(btf: Btf): PlanCache {
  let c = planCaches.get(btf);
  if (c === undefined || c.typeCount !== btf.typeCount) {
    c = { typeCount: btf.typeCount, plans: new Map(), nodes: new Map() };
    planCaches.set(btf, c);
  }
  return c;
}

/** JSON.stringify(toJsonValue(btf, id, data)), computed without building the value. */
export function toJsonText(btf: Btf, id: TypeId, data: Uint8Array): string {
  const c = planCache(btf);
  let plan = c.plans.get(id);
  if (plan === undefined) {
    plan = compilePlan(btf, id, c);
    c.plans.set(id, plan);
  }
  if (plan !== null) {
    try {
      return plan(data, 0);
    } catch {
      // fall through to the reference decoder
    }
  }
  return JSON.stringify(toJsonValue(btf, id, data));
}

function compilePlan(btf: Btf, id: TypeId, c: PlanCache): Emit | null {
  try {
    const n = new PlanCompiler(btf, c.nodes).value(id, 0, 0, 0);
    return n.height <= MAX_DEPTH && n.weight <= MAX_JSON_STEPS ? n.emit : null;
  } catch {
    return null;
  }
}

const NULL_EMIT: Emit = () => "null";
const EMPTY_ARRAY: Emit = () => "[]";
const EMPTY_OBJECT: Emit = () => "{}";
const TWO32 = 4294967296;
const SAFE_HI = 2097152; // 2^21: hi * 2^32 + lo is exact and safe below this

/** jsonInteger(v) as JSON text. */
function bigJson(v: bigint): string {
  return v <= MAX_SAFE && v >= -MAX_SAFE ? String(v) : '"' + v.toString() + '"';
}

function u32At(d: Uint8Array, o: number): number {
  return (d[o]! | (d[o + 1]! << 8) | (d[o + 2]! << 16) | (d[o + 3]! << 24)) >>> 0;
}

/** Little-endian unsigned of `n` <= 4 bytes. */
function smallAt(d: Uint8Array, o: number, n: number): number {
  switch (n) {
    case 1:
      return d[o]!;
    case 2:
      return d[o]! | (d[o + 1]! << 8);
    case 3:
      return d[o]! | (d[o + 1]! << 8) | (d[o + 2]! << 16);
    default:
      return u32At(d, o);
  }
}

function bigAt(d: Uint8Array, o: number, n: number): bigint {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(d[o + i]!);
  return v;
}

/** Reads bits as Decoder.bits(): undefined when the bytes are missing. */
function bitsAt(d: Uint8Array, off: number, bitOff: number, bitfield: number): bigint | undefined {
  const n = (bitOff + bitfield + 7) >> 3;
  if (off + n > d.length) return undefined;
  return (bigAt(d, off, n) >> BigInt(bitOff)) & ((1n << BigInt(bitfield)) - 1n);
}

/** An unsigned `width`-bit number read with `n` bytes at bit `bitOff` (n <= 4), sign-extended when `signed`. */
function smallBitsEmitter(n: number, bitOff: number, width: number, signed: boolean): (d: Uint8Array, off: number) => number {
  const mask = 2 ** width - 1;
  const half = 2 ** (width - 1);
  const full = 2 ** width;
  if (bitOff === 0 && width === n * 8) {
    if (!signed) return (d, off) => smallAt(d, off, n);
    return (d, off) => {
      const v = smallAt(d, off, n);
      return v >= half ? v - full : v;
    };
  }
  return (d, off) => {
    const v = ((smallAt(d, off, n) >>> bitOff) & mask) >>> 0;
    return signed && v >= half ? v - full : v;
  };
}

class PlanCompiler {
  private depth = 0;
  constructor(
    private readonly btf: Btf,
    private readonly nodes: Map<TypeId, Node>,
  ) {}

  /** Decoder.value(): `depth` is the decoder depth before entering. */
  value(id: TypeId, depth: number, bitOff: number, bitfield: number): Node {
    if (depth + 1 > MAX_DEPTH) throw UNPLANNABLE;
    if (bitfield === 0) {
      const memo = this.nodes.get(id);
      if (memo !== undefined) return memo;
    }
    if (++this.depth > MAX_DEPTH) throw UNPLANNABLE; // cyclic types
    try {
      const n = this.decode(id, depth + 1, bitOff, bitfield);
      if (bitfield === 0) this.nodes.set(id, n);
      return n;
    } finally {
      this.depth--;
    }
  }

  /** Returns a node whose height counts from (and includes) level `d`. */
  private decode(id: TypeId, d: number, bitOff: number, bitfield: number): Node {
    const leaf = (emit: Emit): Node => ({ emit, height: 1, weight: 1 });
    if (!this.btf.hasId(id)) return leaf(NULL_EMIT);
    const t = this.btf.typeById(skipModsAndTypedefs(this.btf, id));
    switch (t.kind) {
      case BtfKind.INT: {
        const expr = intExpr(t, bitOff, bitfield);
        return expr ? { emit: intEmitter(t, bitOff, bitfield), height: 1, weight: 1, expr } : leaf(intEmitter(t, bitOff, bitfield));
      }
      case BtfKind.ENUM:
      case BtfKind.ENUM64:
        return leaf(enumEmitter(t, bitOff, bitfield));
      case BtfKind.PTR:
        return leaf(ptrEmit);
      case BtfKind.FLOAT:
        return leaf(floatEmitter(t.size));
      case BtfKind.ARRAY:
        return this.array(t, d);
      case BtfKind.STRUCT:
      case BtfKind.UNION:
        return this.struct(t, d);
      case BtfKind.VAR: {
        const n = this.value(t.type, d, 0, 0);
        return { emit: n.emit, height: n.height + 1, weight: n.weight + 1 };
      }
      case BtfKind.DATASEC:
        throw UNPLANNABLE;
      default:
        return leaf(NULL_EMIT);
    }
  }

  private array(t: ArrayType, d: number): Node {
    const elemSize = resolveSize(this.btf, t.type);
    if (elemSize <= 0) return { emit: EMPTY_ARRAY, height: 1, weight: 1 };
    if (isCharElem(this.btf, t.type)) {
      const nelems = t.nelems;
      return {
        emit: (data, off) => {
          let end = off;
          const stop = Math.min(off + nelems, data.length);
          while (end < stop && data[end] !== 0) end++;
          return JSON.stringify(utf8.decode(data.subarray(Math.max(0, off), Math.max(0, end))));
        },
        height: 1,
        weight: 1,
      };
    }
    const nelems = t.nelems;
    if (nelems === 0) return { emit: EMPTY_ARRAY, height: 1, weight: 1 };
    const elem = this.value(t.type, d, 0, 0);
    const e = elem.emit;
    return {
      emit: (data, off) => {
        const len = data.length;
        if (off >= len) return "[]";
        let s = "[" + e(data, off);
        for (let i = 1; i < nelems; i++) {
          const eoff = off + i * elemSize;
          if (eoff >= len) break;
          s += "," + e(data, eoff);
        }
        return s + "]";
      },
      height: 1 + elem.height,
      weight: 1 + nelems * elem.weight,
    };
  }

  private struct(t: StructType | UnionType, d: number): Node {
    const keys: string[] = [];
    const nodes: Node[] = [];
    const offs: number[] = [];
    const seen = new Set<string>();
    const height = 1 + this.members(t, d, 0, keys, nodes, offs, seen);
    const n = keys.length;
    let weight = 1;
    for (const m of nodes) weight += m.weight;
    if (weight > MAX_JSON_STEPS) throw UNPLANNABLE; // the Decoder cuts it short
    if (n === 0) return { emit: EMPTY_OBJECT, height, weight, parts: ["{}"] };
    const parts: Part[] = [];
    let calls = 0;
    for (let i = 0; i < n; i++) {
      parts.push((i === 0 ? "{" : ",") + JSON.stringify(keys[i]) + ":");
      const m = nodes[i]!;
      const off = offs[i]!;
      const inner = m.parts;
      if (inner !== undefined && calls + callCount(inner) <= MAX_INLINE_CALLS) {
        for (const p of inner) parts.push(typeof p === "string" ? p : { emit: p.emit, off: p.off + off, expr: p.expr });
        calls += callCount(inner);
      } else {
        parts.push({ emit: m.emit, off, expr: m.expr });
        calls++;
      }
    }
    parts.push("}");
    return { emit: generate(parts), height, weight, parts };
  }

  /** Decoder.members() at decoder depth `d` (its value); returns the height counted from `d`. */
  private members(t: StructType | UnionType, d: number, base: number, keys: string[], nodes: Node[], offs: number[], seen: Set<string>): number {
    const md = d + 1;
    if (md > MAX_DEPTH) throw UNPLANNABLE;
    let height = 1;
    for (const m of t.members) {
      const moff = base + Math.floor(m.bitsOffset / 8);
      if (!m.name) {
        const mt = this.btf.hasId(m.type) ? this.btf.typeById(skipModsAndTypedefs(this.btf, m.type)) : undefined;
        if (mt && (mt.kind === BtfKind.STRUCT || mt.kind === BtfKind.UNION)) {
          if (++this.depth > MAX_DEPTH) throw UNPLANNABLE;
          try {
            height = Math.max(height, 1 + this.members(mt, md, moff, keys, nodes, offs, seen));
          } finally {
            this.depth--;
          }
        }
        continue;
      }
      // Keys JSON.stringify would reorder (array indices) or that assignment would not
      // create (__proto__), and duplicates (first position, last value): leave to toJsonValue.
      if (seen.has(m.name) || m.name === "__proto__" || /^[0-9]/.test(m.name)) throw UNPLANNABLE;
      seen.add(m.name);
      const v = this.value(m.type, md, m.bitsOffset % 8, m.bitfieldSize);
      height = Math.max(height, 1 + v.height);
      keys.push(m.name);
      nodes.push(v);
      offs.push(moff);
    }
    return height;
  }
}

/** Decoder.isCharElem(). */
function isCharElem(btf: Btf, id: TypeId): boolean {
  const direct = btf.typeById(skipModifiers(btf, id));
  const t: AnyType = btf.typeById(skipModsAndTypedefs(btf, id));
  if (t.kind !== BtfKind.INT || t.size !== 1) return false;
  if (t.encoding & IntEncoding.CHAR) return true;
  return direct.kind === BtfKind.INT && (t.name === "char" || t.name === "signed char" || t.name === "unsigned char");
}

/** Two hex digits per byte value, and the same without a leading zero (the first digits printed). */
const HEX2 = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));
const HEX1 = Array.from({ length: 256 }, (_, b) => b.toString(16));

/** A pointer as "0x..." in lowercase hex without leading zeros, built from its bytes (Number#toString(16) is slow). */
const ptrEmit: Emit = (d, off) => {
  if (off + POINTER_SIZE > d.length) return "null";
  let i = off + POINTER_SIZE - 1;
  while (i > off && d[i] === 0) i--;
  let s = '"0x' + HEX1[d[i]!]!;
  while (i > off) s += HEX2[d[--i]!]!;
  return s + '"';
};

function floatEmitter(size: number): Emit {
  if (size !== 4 && size !== 8 && size !== 16) return NULL_EMIT;
  return (d, off) => {
    if (off + size > d.length) return "null";
    const dv = new DataView(d.buffer, d.byteOffset + off, size);
    const x = size === 4 ? dv.getFloat32(0, true) : size === 8 ? dv.getFloat64(0, true) : longDouble(dv);
    if (Number.isNaN(x)) return '"nan"';
    if (x === Infinity) return '"inf"';
    if (x === -Infinity) return '"-inf"';
    return JSON.stringify(x);
  };
}

/** The little-endian unsigned of `n` <= 4 bytes at `o + k` as a JS expression (int32 for n = 4). */
function readExpr(n: number, k: number): string {
  const b = (i: number) => `d[o + ${k + i}]`;
  switch (n) {
    case 1:
      return b(0);
    case 2:
      return `(${b(0)} | ${b(1)} << 8)`;
    case 3:
      return `(${b(0)} | ${b(1)} << 8 | ${b(2)} << 16)`;
    default:
      return `(${b(0)} | ${b(1)} << 8 | ${b(2)} << 16 | ${b(3)} << 24)`;
  }
}

/** intEmitter() as an expression, for the byte-aligned and small bitfield cases. */
function intExpr(t: IntType, bitOff: number, bitfield: number): Expr | undefined {
  const signed = (t.encoding & IntEncoding.SIGNED) !== 0;
  const bool = (t.encoding & IntEncoding.BOOL) !== 0;
  let n: number;
  let width: number;
  let shift = 0;
  if (bitfield) {
    n = (bitOff + bitfield + 7) >> 3;
    if (n > 4) return undefined;
    width = bitfield;
    shift = bitOff;
  } else {
    width = t.nrBits || t.size * 8;
    n = t.size;
    if (t.bitsOffset !== 0 || width !== n * 8 || (n !== 1 && n !== 2 && n !== 4)) return undefined;
  }
  // The value as an int32 holding the `width` bits (sign-extended when signed), or as a uint32.
  const value = (k: number): string => {
    let x = readExpr(n, k);
    if (shift) x = `(${x} >>> ${shift})`;
    if (bool) return width === 32 ? x : `(${x} & ${2 ** width - 1})`;
    if (signed) return width === 32 ? `(${x} | 0)` : `(${x} << ${32 - width} >> ${32 - width})`;
    return width === 32 ? `(${x} >>> 0)` : `(${x} & ${2 ** width - 1})`;
  };
  if (bool) return (k) => `(o + ${k + n} > L ? "null" : ${value(k)} !== 0 ? "true" : "false")`;
  return (k) => `(o + ${k + n} > L ? "null" : "" + ${value(k)})`;
}

/** Decoder.int(). */
function intEmitter(t: IntType, bitOff: number, bitfield: number): Emit {
  const signed = (t.encoding & IntEncoding.SIGNED) !== 0;
  const bool = (t.encoding & IntEncoding.BOOL) !== 0;
  const size = t.size;
  if (bitfield) {
    const n = (bitOff + bitfield + 7) >> 3;
    if (n <= 4 && bitfield <= 32) {
      const read = smallBitsEmitter(n, bitOff, bitfield, signed && !bool);
      if (bool) return (d, off) => (off + n > d.length ? "null" : read(d, off) !== 0 ? "true" : "false");
      return (d, off) => (off + n > d.length ? "null" : String(read(d, off)));
    }
    return (d, off) => {
      const v = bitsAt(d, off, bitOff, bitfield);
      if (v === undefined) return "null";
      if (bool) return v !== 0n ? "true" : "false";
      return bigJson(signed ? BigInt.asIntN(bitfield, v) : v);
    };
  }
  const width = t.nrBits || size * 8;
  const bo = t.bitsOffset;
  if (bo === 0 && width === size * 8 && (size === 1 || size === 2 || size === 4)) {
    const read = smallBitsEmitter(size, 0, width, signed && !bool);
    if (bool) return (d, off) => (off + size > d.length ? "null" : read(d, off) !== 0 ? "true" : "false");
    return (d, off) => (off + size > d.length ? "null" : String(read(d, off)));
  }
  if (bo === 0 && width === 64 && size === 8 && !bool) {
    return (d, off) => {
      if (off + 8 > d.length) return "null";
      const lo = u32At(d, off);
      const hi = signed ? u32At(d, off + 4) | 0 : u32At(d, off + 4);
      if (hi < SAFE_HI && hi > -SAFE_HI) return String(hi * TWO32 + lo);
      const v = (BigInt(hi) << 32n) | BigInt(lo);
      return bigJson(v);
    };
  }
  return (d, off) => {
    let v = bitsAt(d, off + (bo >> 3), bo & 7, width);
    if (v !== undefined && off + size > d.length) v = undefined;
    if (v === undefined) return "null";
    if (bool) return v !== 0n ? "true" : "false";
    return bigJson(signed ? BigInt.asIntN(width, v) : v);
  };
}

/** Decoder.enumValue(). */
function enumEmitter(t: EnumType | Enum64Type, bitOff: number, bitfield: number): Emit {
  const signed = t.signed;
  const size = t.size;
  if (t.kind === BtfKind.ENUM) {
    // enumeratorName(): the first enumerator whose value equals the s32/u32 of the value.
    const names = new Map<number, string>();
    for (const e of t.values) if (!names.has(e.value)) names.set(e.value, JSON.stringify(e.name));
    const text = (v: number): string => names.get(signed ? v | 0 : v >>> 0) ?? String(v);
    if (bitfield) {
      const n = (bitOff + bitfield + 7) >> 3;
      if (n <= 4 && bitfield <= 32) {
        const read = smallBitsEmitter(n, bitOff, bitfield, signed);
        return (d, off) => (off + n > d.length ? "null" : text(read(d, off)));
      }
    } else if (size === 1 || size === 2 || size === 4) {
      const read = smallBitsEmitter(size, 0, size * 8, signed);
      return (d, off) => (off + size > d.length ? "null" : text(read(d, off)));
    }
  }
  return (d, off) => {
    let v: bigint | undefined;
    if (bitfield) {
      v = bitsAt(d, off, bitOff, bitfield);
      if (v !== undefined && signed) v = BigInt.asIntN(bitfield, v);
    } else if (off + size <= d.length && size >= 1 && size <= 8) {
      v = bigAt(d, off, size);
      if (signed) v = BigInt.asIntN(size * 8, v);
    }
    if (v === undefined) return "null";
    const name = enumeratorName(t, v);
    return name !== undefined ? JSON.stringify(name) : bigJson(v);
  };
}
