// The expression resolver shared by function and tracepoint targets: a
// spec's value expressions (member chains, indexing, dereferences, casts)
// to locations and value plans, predicate conditions to postfix steps,
// and the caret errors they raise. resolve.ts finds the targets and
// their arguments or fields, then hands each expression here.
import type { Btf } from "../btf/btf.js";
import { cTypeName } from "../btf/c-name.js";
import { BtfKind, IntEncoding } from "../btf/kinds.js";
import { resolveSize, skipModifiers, skipModsAndTypedefs } from "../btf/layout.js";
import { findMember, memberNames } from "../btf/members.js";
import type { AnyType, TypeId } from "../btf/types.js";
import type { ErrnoName } from "../internal/errno.js";
import type { Cond, Expr, Literal, ProbeSpec, Span, TypeName } from "./ast.js";
import { MAX_DATA, MAX_HOPS, MAX_PRED, MAX_PRED_STR, type PredPlan, type ValuePlan } from "./plan.js";
import { SpecResolveError } from "./resolve-error.js";
import { didYouMean } from "./suggest.js";

/** Bytes captured for a `char *` string value (its pointee size; NUL-terminated, possibly truncated). */
export const MAX_STRING = 256;

export interface Ctx {
  spec: ProbeSpec;
  btf: Btf;
  /** The function or tracepoint, for messages. */
  label: string;
  /** Names a spec may use (arguments, `argN` for unnamed ones, or tracepoint fields), and where each is. */
  paramNames: string[];
  locs: Loc[];
  /** Return type (0: void, or no return at all). */
  returnType: TypeId;
  /** "f(struct x *a, int b)" or the tracepoint's fields, for "no argument" messages. */
  callText(): string;
}

// ---------------------------------------------------------------------------
// Expressions

/** Where a value is, while an expression is being resolved. */
export interface Loc {
  source: "arg" | "ret" | "ctx";
  argIndex: number;
  hops: number[];
  /** undefined: the register itself; else the bit offset from `cur`. */
  bits: number | undefined;
  typeId: TypeId;
  /** Bitfield width (bits) when the value is a bitfield member. */
  bitSize?: number;
  castTarget?: number;
  /** A tracepoint's `__data_loc char[]` field (`bits` locates its u32; `typeId` is `char`). */
  dataLoc?: boolean;
}

export interface Resolved {
  name: string;
  loc: Loc;
}

export function argLoc(i: number, typeId: TypeId): Loc {
  return { source: "arg", argIndex: i, hops: [], bits: undefined, typeId };
}

export function retLoc(typeId: TypeId): Loc {
  return { source: "ret", argIndex: 0, hops: [], bits: undefined, typeId };
}

export function resolveExpr(ctx: Ctx, e: Expr): Resolved {
  const { spec, btf } = ctx;
  switch (e.kind) {
    case "ident": {
      if (e.name === "return") {
        if (ctx.returnType === 0) throw fail(spec, e.span, "EINVAL", `'${ctx.label}' ${ctx.locs.some((l) => l.source === "ctx") ? "is a tracepoint: it has no return value" : "returns void"}`);
        return { name: "return", loc: retLoc(ctx.returnType) };
      }
      const i = ctx.paramNames.indexOf(e.name);
      if (i < 0) {
        throw fail(spec, e.span, "ENOENT", `no argument '${e.name}' in ${ctx.callText()}${didYouMean(e.name, ctx.paramNames)}`);
      }
      const loc = ctx.locs[i]!;
      return { name: e.name, loc: { ...loc, hops: [...loc.hops] } };
    }
    case "member": {
      const obj = resolveExpr(ctx, e.object);
      if (obj.loc.dataLoc) throw dataLocUse(ctx, obj.name, e.span, "member");
      const objName = paren(e.object, obj.name);
      const name = `${objName}${e.arrow ? "->" : "."}${e.member}`;
      const t = resolveType(btf, obj.loc.typeId);
      let loc: Loc;
      let compId: TypeId;
      if (e.arrow) {
        if (t.type.kind !== BtfKind.PTR) {
          const what = describe(btf, obj.loc.typeId);
          if (isComposite(t.type)) throw fail(spec, e.span, "EINVAL", `'${obj.name}' is ${what}, not a pointer: use '.'`);
          throw fail(spec, e.span, "EINVAL", `'${obj.name}' is ${what}, not a pointer to a struct or union`);
        }
        compId = skipModsAndTypedefs(btf, t.type.type);
        elemSize(ctx, t.type.type, obj.name, e.span, true);
        checkComposite(ctx, compId, obj.name, e.span, true);
        loc = deref(ctx, obj.loc, compId, e.span);
      } else {
        if (t.type.kind === BtfKind.PTR) {
          throw fail(spec, e.span, "EINVAL", `'${obj.name}' is a pointer (${cTypeName(btf, obj.loc.typeId)}): use '->'`);
        }
        compId = t.id;
        checkComposite(ctx, compId, obj.name, e.span, false);
        if (obj.loc.bits === undefined) {
          throw fail(spec, e.span, "EINVAL", `'${obj.name}' is passed in a register: its members cannot be read`);
        }
        loc = { ...obj.loc, hops: [...obj.loc.hops] };
      }
      const found = findMember(btf, compId, e.member);
      if (!found) {
        const comp = btf.typeById(compId);
        const tag = comp.kind === BtfKind.UNION ? "union" : "struct";
        throw fail(spec, e.memberSpan, "ENOENT", `no member '${e.member}' in ${tag} ${comp.name || "(anon)"}${didYouMean(e.member, memberNames(btf, compId))}`);
      }
      const m = found.member;
      let bits = loc.bits! + found.bitsOffset;
      let bitSize: number | undefined;
      if (m.bitfieldSize > 0) {
        bitSize = m.bitfieldSize;
      } else {
        // Without kind_flag, bitfields are INT types with fewer bits than their storage.
        const it = resolveType(btf, m.type).type;
        if (it.kind === BtfKind.INT && (it.bitsOffset !== 0 || it.nrBits !== it.size * 8)) {
          bits += it.bitsOffset;
          bitSize = it.nrBits;
        }
      }
      return { name, loc: { ...loc, bits, typeId: m.type, ...(bitSize !== undefined ? { bitSize } : {}) } };
    }
    case "index": {
      const obj = resolveExpr(ctx, e.object);
      if (obj.loc.dataLoc) throw dataLocUse(ctx, obj.name, e.span, "index");
      const name = `${paren(e.object, obj.name)}[${e.index}]`;
      const t = resolveType(btf, obj.loc.typeId).type;
      if (t.kind === BtfKind.ARRAY) {
        if (obj.loc.bits === undefined) throw fail(spec, e.span, "EINVAL", `'${obj.name}' is an array in a register`);
        if (t.nelems > 0 && e.index >= t.nelems) {
          throw fail(spec, e.span, "EINVAL", `index ${e.index} is past the end of '${obj.name}' (${cTypeName(btf, obj.loc.typeId)})`);
        }
        const esize = elemSize(ctx, t.type, obj.name, e.span);
        return { name, loc: { ...obj.loc, hops: [...obj.loc.hops], bits: obj.loc.bits + e.index * esize * 8, typeId: t.type } };
      }
      if (t.kind === BtfKind.PTR) {
        const esize = elemSize(ctx, t.type, obj.name, e.span);
        const loc = deref(ctx, obj.loc, skipModsAndTypedefs(btf, t.type), e.span);
        return { name, loc: { ...loc, bits: loc.bits! + e.index * esize * 8, typeId: t.type } };
      }
      throw fail(spec, e.span, "EINVAL", `'${obj.name}' is ${describe(btf, obj.loc.typeId)}, not an array or pointer`);
    }
    case "deref": {
      const obj = resolveExpr(ctx, e.operand);
      if (obj.loc.dataLoc) throw dataLocUse(ctx, obj.name, e.span, "deref");
      const name = `*${paren(e.operand, obj.name)}`;
      const t = resolveType(btf, obj.loc.typeId).type;
      if (t.kind !== BtfKind.PTR) throw fail(spec, e.span, "EINVAL", `'${obj.name}' is ${describe(btf, obj.loc.typeId)}, not a pointer: cannot dereference it`);
      elemSize(ctx, t.type, obj.name, e.span);
      const loc = deref(ctx, obj.loc, skipModsAndTypedefs(btf, t.type), e.span);
      return { name, loc: { ...loc, typeId: t.type } };
    }
    case "cast": {
      const obj = resolveExpr(ctx, e.operand);
      if (obj.loc.dataLoc) throw dataLocUse(ctx, obj.name, e.span, "cast");
      const typeId = resolveTypeName(ctx, e.type);
      const operandName = e.operand.kind === "cast" || e.operand.kind === "ident" || e.operand.kind === "member" || e.operand.kind === "index" ? obj.name : `(${obj.name})`;
      const name = `(${typeNameText(e.type)})${operandName}`;
      if (obj.loc.bitSize !== undefined) throw fail(spec, e.span, "EINVAL", `cannot cast the bitfield '${obj.name}'`);
      return { name, loc: { ...obj.loc, hops: [...obj.loc.hops], typeId } };
    }
  }
}

/** A `__data_loc` string is a whole value: no members, elements, dereference or casts. */
function dataLocUse(ctx: Ctx, name: string, span: Span, what: "member" | "index" | "deref" | "cast"): SpecResolveError {
  const action = { member: "has no members", index: "cannot be indexed", deref: "cannot be dereferenced", cast: "cannot be cast" }[what];
  return fail(ctx.spec, span, "EINVAL", `'${name}' is a __data_loc string (char[]): it ${action}`, `show it or compare it with a string: ${name} == "..."`);
}

/** Whether an operand needs parentheses before a postfix `->`, `.` or `[]`. */
function paren(e: Expr, text: string): string {
  return e.kind === "deref" || e.kind === "cast" ? `(${text})` : text;
}

function typeNameText(t: TypeName): string {
  const base = t.tag ? `${t.tag} ${t.name}` : t.name;
  return t.pointers ? `${base} ${"*".repeat(t.pointers)}` : base;
}

/**
 * The location of what the pointer at `loc` points to (offset 0): a pointer
 * in a register becomes the base; one in memory is loaded first (a hop).
 */
function deref(ctx: Ctx, loc: Loc, pointeeId: TypeId, span: Span): Loc {
  if (loc.bits === undefined) {
    const first = loc.source === "arg" && loc.hops.length === 0 && loc.castTarget === undefined;
    const pt = ctx.btf.typeById(pointeeId);
    const castTarget = first && isComposite(pt) ? pointeeId : loc.castTarget;
    return { ...loc, hops: [...loc.hops], bits: 0, ...(castTarget !== undefined ? { castTarget } : {}) };
  }
  if (loc.hops.length >= MAX_HOPS) {
    throw fail(ctx.spec, span, "E2BIG", `too many pointer hops: at most ${MAX_HOPS} per value`);
  }
  return { ...loc, hops: [...loc.hops, loc.bits / 8], bits: 0 };
}

/** Size of the elements `typeId` a pointer or array holds; errors for void, functions and incomplete types. */
function elemSize(ctx: Ctx, typeId: TypeId, objName: string, span: Span, allowIncomplete = false): number {
  const t = resolveType(ctx.btf, typeId).type;
  if (allowIncomplete && t.kind === BtfKind.FWD) return 0;
  if (t.kind === BtfKind.UNKN) throw fail(ctx.spec, span, "EINVAL", `'${objName}' points to void: cast it to a typed pointer first`);
  if (t.kind === BtfKind.FUNC_PROTO) throw fail(ctx.spec, span, "EINVAL", `'${objName}' is a function pointer: it cannot be dereferenced`);
  const size = resolveSize(ctx.btf, typeId);
  if (size < 0) throw fail(ctx.spec, span, "EINVAL", `'${objName}' points to ${cTypeName(ctx.btf, typeId)}, which has no size in the BTF`);
  return size;
}

function checkComposite(ctx: Ctx, id: TypeId, objName: string, span: Span, viaPointer: boolean): void {
  const t = ctx.btf.typeById(id);
  if (isComposite(t)) return;
  if (t.kind === BtfKind.FWD) {
    throw fail(ctx.spec, span, "EINVAL", `'${objName}' ${viaPointer ? "points to" : "is"} ${t.union ? "union" : "struct"} ${t.name}, which the BTF only declares`);
  }
  const what = cTypeName(ctx.btf, id);
  throw fail(ctx.spec, span, "EINVAL", `'${objName}' ${viaPointer ? "points to" : "is"} ${article(what)}, not a struct or union`);
}

// ---------------------------------------------------------------------------
// Casts

export const C_INT_ALIASES: Record<string, string> = {
  unsigned: "unsigned int",
  signed: "int",
  "signed int": "int",
  short: "short int",
  "unsigned short": "short unsigned int",
  "unsigned short int": "short unsigned int",
  long: "long int",
  "unsigned long": "long unsigned int",
  "unsigned long int": "long unsigned int",
  "long long": "long long int",
  "unsigned long long": "long long unsigned int",
  "unsigned long long int": "long long unsigned int",
};

export const ptrCache = new WeakMap<Btf, Map<TypeId, TypeId>>();

/** The BTF type a cast names, with its pointers (each must exist as a PTR type in the BTF). */
function resolveTypeName(ctx: Ctx, tn: TypeName): TypeId {
  const { btf, spec } = ctx;
  let id: TypeId | undefined;
  const base = tn.tag ? `${tn.tag} ${tn.name}` : tn.name;
  if (tn.tag === "struct") id = btf.findByNameKind(tn.name, BtfKind.STRUCT);
  else if (tn.tag === "union") id = btf.findByNameKind(tn.name, BtfKind.UNION);
  else if (tn.tag === "enum") id = btf.findByNameKind(tn.name, BtfKind.ENUM) ?? btf.findByNameKind(tn.name, BtfKind.ENUM64);
  else if (tn.name === "void") id = 0;
  else {
    const intName = C_INT_ALIASES[tn.name] ?? tn.name;
    id = btf.findByNameKind(tn.name, BtfKind.TYPEDEF) ?? btf.findByNameKind(intName, BtfKind.INT) ?? btf.findByNameKind(tn.name, BtfKind.FLOAT);
  }
  if (id === undefined) {
    const kinds: number[] =
      tn.tag === "struct" ? [BtfKind.STRUCT] : tn.tag === "union" ? [BtfKind.UNION] : tn.tag === "enum" ? [BtfKind.ENUM, BtfKind.ENUM64] : [BtfKind.TYPEDEF, BtfKind.INT];
    throw fail(spec, tn.span, "ENOENT", `no type '${base}' in the BTF${didYouMean(tn.name, namesOfKinds(btf, kinds))}`);
  }
  if (id === 0 && tn.pointers === 0) throw fail(spec, tn.span, "EINVAL", "cannot cast to void");
  for (let i = 0; i < tn.pointers; i++) {
    const p = pointerTo(btf, id);
    if (p === undefined) throw fail(spec, tn.span, "ENOENT", `no '${base} ${"*".repeat(i + 1)}' type in the BTF`);
    id = p;
  }
  return id;
}

function namesOfKinds(btf: Btf, kinds: readonly number[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < btf.typeCount; i++) if (kinds.includes(btf.kindOf(i))) out.push(btf.nameOf(i));
  return out.filter((n) => n !== "");
}

// ---------------------------------------------------------------------------
// Finishing values

export function finish(ctx: Ctx, r: Resolved, span: Span, show: boolean): ValuePlan {
  const { btf, spec } = ctx;
  const { loc } = r;
  const t = resolveType(btf, loc.typeId).type;
  const when = loc.source === "ret" ? "return" : "entry";
  const base = { name: r.name, when, source: loc.source, argIndex: loc.argIndex, hops: loc.hops, typeId: loc.typeId, show } as const;
  if (loc.dataLoc) return { ...base, final: { kind: "dataLoc", offset: loc.bits! / 8 }, size: MAX_STRING, signed: false };
  const signed = isSigned(t);
  if (loc.bitSize !== undefined) {
    const bits = loc.bits!;
    const byte = Math.floor(bits / 8);
    const bitOffset = bits - byte * 8;
    const size = Math.ceil((bitOffset + loc.bitSize) / 8);
    return { ...base, final: { kind: "memory", offset: byte }, size, bitfield: { bitOffset, bitSize: loc.bitSize }, signed, ...cast(loc) };
  }
  const size = resolveSize(btf, loc.typeId);
  if (t.kind === BtfKind.UNKN || size < 0) throw fail(spec, span, "EINVAL", `'${r.name}' is ${describe(btf, loc.typeId)}, which has no size`);
  if (loc.bits === undefined && size > 8) throw fail(spec, span, "EINVAL", `'${r.name}' is ${size} bytes, more than a register holds`);
  const final = loc.bits === undefined ? ({ kind: "register" } as const) : ({ kind: "memory", offset: loc.bits / 8 } as const);
  const value: ValuePlan = { ...base, final, size: Math.min(size, MAX_DATA), signed, ...cast(loc) };
  if (t.kind !== BtfKind.PTR) return value;
  const pointeeId = skipModifiers(btf, t.type);
  const pt = resolveType(btf, pointeeId).type;
  if (pt.kind === BtfKind.UNKN || pt.kind === BtfKind.FUNC_PROTO || pt.kind === BtfKind.FWD) return value;
  if (isCharType(btf.typeById(pointeeId))) return { ...value, pointee: { typeId: pointeeId, size: MAX_STRING, string: true } };
  const psize = resolveSize(btf, pointeeId);
  if (psize <= 0) return value;
  return { ...value, pointee: { typeId: pointeeId, size: Math.min(psize, MAX_DATA), string: false } };
}

function cast(loc: Loc): { castTarget?: number } {
  return loc.castTarget !== undefined ? { castTarget: loc.castTarget } : {};
}

/** char, signed char, unsigned char (after modifiers, not typedefs: `u8 *` is a buffer, not a string). */
function isCharType(t: AnyType): boolean {
  return t.kind === BtfKind.INT && t.size === 1 && (t.name === "char" || t.name === "signed char" || t.name === "unsigned char" || (t.encoding & IntEncoding.CHAR) !== 0);
}

function isSigned(t: AnyType): boolean {
  if (t.kind === BtfKind.INT) return (t.encoding & IntEncoding.SIGNED) !== 0;
  if (t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64) return t.signed;
  return false;
}

// ---------------------------------------------------------------------------
// Conditions

/** Steps of a condition in the table's postfix program: one per comparison and per &&, ||, !. */
function condSteps(c: Cond): number {
  switch (c.kind) {
    case "cmp":
      return 1;
    case "not":
      return 1 + condSteps(c.operand);
    default:
      return 1 + condSteps(c.left) + condSteps(c.right);
  }
}

/** The predicate (every condition item, joined by &&) fits the table's MAX_PRED steps; the caret spans the conditions. */
export function checkPredicateSize(spec: ProbeSpec): void {
  const conds = (spec.items ?? []).flatMap((i) => (i.kind === "cond" ? [i] : []));
  if (!conds.length) return;
  const steps = conds.reduce((n, i) => n + condSteps(i.cond), conds.length - 1);
  if (steps <= MAX_PRED) return;
  const comparisons = conds.reduce((n, i) => n + countComparisons(i.cond), 0);
  throw fail(
    spec,
    { start: conds[0]!.span.start, end: conds[conds.length - 1]!.span.end },
    "E2BIG",
    `the predicate has ${steps} terms (${comparisons} comparisons and ${steps - comparisons} of &&, ||, !), at most ${MAX_PRED}`,
    "use fewer conditions, or filter the output instead (--json | jq)",
  );
}

function countComparisons(c: Cond): number {
  return c.kind === "cmp" ? 1 : c.kind === "not" ? countComparisons(c.operand) : countComparisons(c.left) + countComparisons(c.right);
}

export function resolveCond(ctx: Ctx, c: Cond, add: (r: Resolved, span: Span) => number, values: readonly ValuePlan[]): PredPlan {
  switch (c.kind) {
    case "and":
    case "or":
      return { kind: c.kind, left: resolveCond(ctx, c.left, add, values), right: resolveCond(ctx, c.right, add, values) };
    case "not":
      return { kind: "not", operand: resolveCond(ctx, c.operand, add, values) };
    case "cmp": {
      const r = resolveExpr(ctx, c.left);
      // Check the comparison before adding the value, so type errors win over limits.
      const check = checkCmp(ctx, r, c);
      const index = add(r, c.left.span);
      const v = values[index]!;
      if (check.kind === "str") {
        // The literal and its NUL are compared, never past a char array's end (a full array has no NUL).
        const length = Buffer.byteLength(check.text, "latin1");
        const room = v.pointee ? Math.min(v.pointee.size, MAX_DATA) : v.size;
        if (length > room) throw fail(ctx.spec, c.span, "EINVAL", `string "${check.text}" is ${length} bytes, longer than '${v.name}' (${room})`, "such a comparison could only be false");
        return { kind: "str", value: index, op: c.op as "==" | "!=", text: check.text };
      }
      return { kind: "cmp", value: index, op: c.op, constant: check.constant, signed: v.signed };
    }
  }
}

function checkCmp(ctx: Ctx, r: Resolved, c: Extract<Cond, { kind: "cmp" }>): { kind: "str"; text: string } | { kind: "cmp"; constant: bigint } {
  const { btf, spec } = ctx;
  const { loc } = r;
  const lit = c.right;
  const t = resolveType(btf, loc.typeId).type;
  const typeText = cTypeName(btf, loc.typeId);
  if (loc.dataLoc && lit.kind !== "string") throw fail(spec, c.span, "EINVAL", `cannot compare a __data_loc string (char[]) with a number`, `compare it with a string: ${r.name} == "..."`);
  if (lit.kind === "string") {
    // A __data_loc string, a char array in memory, or a char pointer.
    let isString = false;
    if (loc.dataLoc) isString = true;
    else if (t.kind === BtfKind.ARRAY && loc.bits !== undefined) isString = isCharType(btf.typeById(skipModifiers(btf, t.type)));
    else if (t.kind === BtfKind.PTR) isString = isCharType(btf.typeById(skipModifiers(btf, t.type)));
    if (!isString) throw fail(spec, c.span, "EINVAL", `cannot compare ${typeText} with a string`);
    if (c.op !== "==" && c.op !== "!=") throw fail(spec, c.span, "EINVAL", `cannot use '${c.op}' on strings: only '==' and '!='`);
    const length = Buffer.byteLength(lit.value, "latin1");
    if (length > MAX_PRED_STR) throw fail(spec, lit.span, "E2BIG", `string "${lit.value}" is ${length} bytes, at most ${MAX_PRED_STR} in a predicate`);
    return { kind: "str", text: lit.value };
  }
  if (isComposite(t) || t.kind === BtfKind.ARRAY) {
    throw fail(spec, c.left.span, "EINVAL", `cannot compare ${article(typeText)} (use a member${t.kind === BtfKind.ARRAY ? ", an element or a string" : ""})`);
  }
  if (t.kind !== BtfKind.INT && t.kind !== BtfKind.ENUM && t.kind !== BtfKind.ENUM64 && t.kind !== BtfKind.PTR) {
    throw fail(spec, c.left.span, "EINVAL", `cannot compare ${article(typeText)}`);
  }
  const constant = literalValue(ctx, lit, t);
  // An unsigned value narrower than 64 bits compares with the constant converted to its type, as C does.
  const size = loc.bitSize === undefined ? resolveSize(btf, loc.typeId) : Math.ceil(loc.bitSize / 8);
  const width = loc.bitSize ?? size * 8;
  if (!isSigned(t) && t.kind !== BtfKind.PTR && width > 0 && width < 64) return { kind: "cmp", constant: BigInt.asUintN(width, constant) };
  return { kind: "cmp", constant };
}

function literalValue(ctx: Ctx, lit: Exclude<Literal, { kind: "string" }>, t: AnyType): bigint {
  const { btf, spec } = ctx;
  switch (lit.kind) {
    case "int":
      if (lit.value > 0xffffffffffffffffn || lit.value < -0x8000000000000000n) {
        throw fail(spec, lit.span, "EINVAL", `${lit.value} does not fit in 64 bits`);
      }
      return BigInt.asUintN(64, lit.value);
    case "char":
      return BigInt(lit.value);
    case "name": {
      if (lit.name === "NULL") return 0n;
      if (t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64) {
        const own = (t.values as { name: string; value: number | bigint }[]).find((v) => v.name === lit.name);
        if (own) return BigInt.asUintN(64, BigInt(own.value));
      }
      const all = enumerators(btf);
      const v = all.get(lit.name);
      if (v !== undefined) return v;
      const candidates = t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64 ? t.values.map((e) => e.name) : all.keys();
      const where = (t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64) && t.name ? ` (enum ${t.name})` : "";
      throw fail(spec, lit.span, "ENOENT", `no enumerator '${lit.name}' in the BTF${where}${didYouMean(lit.name, candidates)}`);
    }
  }
}

const enumCache = new WeakMap<Btf, Map<string, bigint>>();

/** Every enumerator of the BTF (first definition wins), as a u64 bit pattern. */
function enumerators(btf: Btf): Map<string, bigint> {
  let m = enumCache.get(btf);
  if (m) return m;
  m = new Map();
  for (let i = 1; i < btf.typeCount; i++) {
    const k = btf.kindOf(i);
    if (k !== BtfKind.ENUM && k !== BtfKind.ENUM64) continue;
    const t = btf.typeById(i) as { values: { name: string; value: number | bigint }[] };
    for (const e of t.values) if (!m.has(e.name)) m.set(e.name, BigInt.asUintN(64, BigInt(e.value)));
  }
  enumCache.set(btf, m);
  return m;
}

// ---------------------------------------------------------------------------
// Helpers

function resolveType(btf: Btf, id: TypeId): { id: TypeId; type: AnyType } {
  const rid = skipModsAndTypedefs(btf, id);
  return { id: rid, type: btf.typeById(rid) };
}

function isComposite(t: AnyType): boolean {
  return t.kind === BtfKind.STRUCT || t.kind === BtfKind.UNION;
}

/** `a struct sock`, `an int`, `a struct sk_buff *`. */
function describe(btf: Btf, id: TypeId): string {
  return article(cTypeName(btf, id));
}

function article(text: string): string {
  return /^[aeiou]/i.test(text) ? `an ${text}` : `a ${text}`;
}

export function fail(spec: ProbeSpec, span: Span, errno: ErrnoName, message: string, hint?: string): SpecResolveError {
  return new SpecResolveError(spec.text, span, errno, message, hint === undefined ? undefined : { hint });
}


export function pointerTo(btf: Btf, id: TypeId): TypeId | undefined {
  let ptrs = ptrCache.get(btf);
  if (!ptrs) {
    ptrs = new Map();
    for (let i = 1; i < btf.typeCount; i++) {
      if (btf.kindOf(i) !== BtfKind.PTR) continue;
      const to = (btf.typeById(i) as { type: TypeId }).type;
      if (!ptrs.has(to)) ptrs.set(to, i);
    }
    ptrCache.set(btf, ptrs);
  }
  return ptrs.get(id);
}
