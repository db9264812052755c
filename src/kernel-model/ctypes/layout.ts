// Resolved C types and their x86-64 System V layout, computed the way gcc
// does it: natural alignment of scalars, padding between members and at the
// end, unions, bitfields (placed in the current storage unit of their
// declared type if they fit, else at the next unit aligned to that type;
// zero-width bitfields align the next field; unnamed bitfields do not raise
// the struct's alignment), __attribute__((packed)) and
// __attribute__((aligned(N))) on structs and members, flexible arrays.
import type { Attrs, Loc } from "./ast.js";
import { CDeclError } from "./errors.js";

export interface RecordInfo {
  kind: "struct" | "union";
  name: string;
  /** Undefined while only forward-declared. */
  members: ResolvedMember[] | undefined;
  attrs: Attrs;
  loc: Loc;
  layout?: RecordLayout;
  /** Set while the layout is being computed (detects a struct containing itself). */
  busy?: boolean;
}

export interface ResolvedMember {
  name: string | undefined;
  type: CType;
  /** Bitfield width, or undefined for a plain member. */
  bits: number | undefined;
  attrs: Attrs;
  loc: Loc;
}

export interface MemberPlacement {
  /** Bit offset from the start of the record. */
  bitOffset: number;
  /** Bitfield width (0 = not a bitfield). */
  bitSize: number;
}

export interface RecordLayout {
  size: number;
  align: number;
  members: MemberPlacement[];
}

export interface EnumInfo {
  name: string;
  /** Undefined for a reference to an enum never defined. */
  values: { name: string; value: bigint }[] | undefined;
  size: number;
  signed: boolean;
  attrs: Attrs;
}

export interface TypedefInfo {
  name: string;
  of: CType;
}

export type CType =
  | { k: "void" }
  | { k: "int"; name: string; size: number; signed: boolean; encoding: number }
  | { k: "float"; name: string; size: number }
  | { k: "ptr"; to: CType }
  | { k: "array"; of: CType; n: number; flexible: boolean }
  | { k: "qual"; q: "const" | "volatile"; of: CType }
  | { k: "typedef"; td: TypedefInfo }
  | { k: "record"; rec: RecordInfo }
  | { k: "enum"; en: EnumInfo }
  | { k: "func"; ret: CType; params: { name: string | undefined; type: CType }[]; variadic: boolean };

const roundUp = (v: number, a: number): number => Math.ceil(v / a) * a;

function fail(loc: Loc | undefined, msg: string): never {
  throw new CDeclError(loc ?? { path: "<input>", line: 0, column: 0 }, msg);
}

export function sizeOf(t: CType, loc?: Loc): number {
  switch (t.k) {
    case "void": return fail(loc, "invalid use of void type");
    case "int": case "float": return t.size;
    case "ptr": return 8;
    case "array": return t.n * sizeOf(t.of, loc);
    case "qual": return sizeOf(t.of, loc);
    case "typedef": return sizeOf(t.td.of, loc);
    case "record": return recordLayout(t.rec, loc).size;
    case "enum": return t.en.size;
    case "func": return fail(loc, "invalid use of function type");
  }
}

export function alignOf(t: CType, loc?: Loc): number {
  switch (t.k) {
    case "void": return fail(loc, "invalid use of void type");
    case "int": case "float": return t.size;
    case "ptr": return 8;
    case "array": return alignOf(t.of, loc);
    case "qual": return alignOf(t.of, loc);
    case "typedef": return alignOf(t.td.of, loc);
    case "record": return recordLayout(t.rec, loc).align;
    case "enum": return t.en.size;
    case "func": return fail(loc, "invalid use of function type");
  }
}

/** Computes (once) and returns the layout of a complete struct or union. */
export function recordLayout(rec: RecordInfo, useLoc?: Loc): RecordLayout {
  if (rec.layout) return rec.layout;
  const what = `${rec.kind} ${rec.name || "<anonymous>"}`;
  if (!rec.members) return fail(useLoc, `${what} has incomplete type`);
  if (rec.busy) return fail(rec.loc, `${what} contains itself`);
  rec.busy = true;
  try {
    const packedRec = rec.attrs.packed;
    const isUnion = rec.kind === "union";
    let off = 0; // bits, next free position (struct)
    let end = 0; // bits, highest end seen (union)
    let maxAlign = 1;
    const members: MemberPlacement[] = [];
    for (const m of rec.members) {
      const sz = sizeOf(m.type, m.loc);
      const natural = alignOf(m.type, m.loc);
      const packed = packedRec || m.attrs.packed;
      if (m.bits !== undefined) {
        const w = m.bits;
        if (!isBitfieldType(m.type)) fail(m.loc, `bit-field '${m.name ?? "<anonymous>"}' has invalid type`);
        if (w < 0) fail(m.loc, `negative width in bit-field '${m.name ?? "<anonymous>"}'`);
        if (w > sz * 8) fail(m.loc, `width of '${m.name ?? "<anonymous>"}' exceeds its type`);
        if (w === 0 && m.name !== undefined) fail(m.loc, `zero width for bit-field '${m.name}'`);
        if (isUnion) {
          members.push({ bitOffset: 0, bitSize: w });
          end = Math.max(end, w);
          if (m.name !== undefined && w > 0) maxAlign = Math.max(maxAlign, packed ? 1 : natural);
          if (m.attrs.aligned) maxAlign = Math.max(maxAlign, m.attrs.aligned);
          continue;
        }
        if (m.attrs.aligned) {
          off = roundUp(off, m.attrs.aligned * 8);
          maxAlign = Math.max(maxAlign, m.attrs.aligned);
        }
        if (w === 0) {
          off = roundUp(off, natural * 8);
          members.push({ bitOffset: off, bitSize: 0 });
          continue;
        }
        const unit = natural * 8;
        if (!packed && Math.floor(off / unit) !== Math.floor((off + w - 1) / unit)) off = roundUp(off, unit);
        members.push({ bitOffset: off, bitSize: w });
        off += w;
        if (m.name !== undefined) maxAlign = Math.max(maxAlign, packed ? 1 : natural);
        continue;
      }
      let a = packed ? 1 : natural;
      if (m.attrs.aligned) a = Math.max(a, m.attrs.aligned);
      maxAlign = Math.max(maxAlign, a);
      if (isUnion) {
        members.push({ bitOffset: 0, bitSize: 0 });
        end = Math.max(end, sz * 8);
        continue;
      }
      off = roundUp(off, a * 8);
      members.push({ bitOffset: off, bitSize: 0 });
      off += sz * 8;
    }
    if (rec.attrs.aligned) maxAlign = Math.max(maxAlign, rec.attrs.aligned);
    const bits = isUnion ? end : off;
    const size = roundUp(Math.ceil(bits / 8), maxAlign);
    rec.layout = { size, align: maxAlign, members };
    return rec.layout;
  } finally {
    rec.busy = false;
  }
}

function isBitfieldType(t: CType): boolean {
  while (t.k === "qual" || t.k === "typedef") t = t.k === "qual" ? t.of : t.td.of;
  return t.k === "int" || t.k === "enum";
}

/** The base type named by a list of specifier keywords (gcc/pahole names). */
export function builtinType(words: string[], loc: Loc): CType {
  const count = (w: string) => words.filter((x) => x === w).length;
  const uns = count("unsigned"), sig = count("signed"), longs = count("long");
  const bad = (): never => fail(loc, `invalid type specifier '${words.join(" ")}'`);
  if (uns + sig > 1 || longs > 2 || count("short") > 1) bad();
  const others = words.filter((w) => !["unsigned", "signed", "long", "short", "int"].includes(w));
  if (others.length > 1) bad();
  const other = others[0];
  const isUnsigned = uns > 0;
  const int = (name: string, size: number, signed: boolean, encoding = signed ? 1 : 0): CType => ({ k: "int", name, size, signed, encoding });
  if (other === "void") return words.length === 1 ? { k: "void" } : bad();
  if (other === "_Bool") return words.length === 1 ? int("_Bool", 1, false, 4) : bad();
  if (other === "float") return words.length === 1 ? { k: "float", name: "float", size: 4 } : bad();
  if (other === "double") {
    if (words.length === 1) return { k: "float", name: "double", size: 8 };
    if (words.length === 2 && longs === 1) return { k: "float", name: "long double", size: 16 };
    return bad();
  }
  if (other === "char") {
    if (longs || count("short") || count("int")) bad();
    return uns ? int("unsigned char", 1, false, 0) : sig ? int("signed char", 1, true, 1) : int("char", 1, true, 1);
  }
  if (other === "__int128") {
    if (longs || count("short") || count("int")) bad();
    return isUnsigned ? int("__int128 unsigned", 16, false) : int("__int128", 16, true);
  }
  if (count("short")) {
    if (longs) bad();
    return isUnsigned ? int("short unsigned int", 2, false) : int("short int", 2, true);
  }
  if (longs === 2) return isUnsigned ? int("long long unsigned int", 8, false) : int("long long int", 8, true);
  if (longs === 1) return isUnsigned ? int("long unsigned int", 8, false) : int("long int", 8, true);
  return isUnsigned ? int("unsigned int", 4, false) : int("int", 4, true);
}
