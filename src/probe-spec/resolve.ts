// Owns resolution: a parsed probe spec (ast.ts) checked against the
// kernel's BTF and function list (kallsyms) and turned into a ProbePlan
// (plan.ts): which functions a name or glob means, and for each value the
// source register, pointer hops, offsets, sizes, types and the predicate.
// Every failure is a SpecResolveError pointing at the offending text.
import type { Btf } from "../btf/btf.js";
import { cTypeName } from "../btf/c-name.js";
import { funcSignature } from "../btf/funcs.js";
import { BtfKind, IntEncoding } from "../btf/kinds.js";
import { resolveSize, skipModifiers, skipModsAndTypedefs } from "../btf/layout.js";
import { findMember, memberNames } from "../btf/members.js";
import type { AnyType, TypeId } from "../btf/types.js";
import type { ErrnoName } from "../internal/errno.js";
import type { Cond, Expr, Literal, ProbeSpec, Span, TypeName } from "./ast.js";
import { MAX_DATA, MAX_HOPS, MAX_PRED, MAX_PRED_STR, MAX_VALUES, type PredPlan, type ProbePlan, type TargetPlan, type ValuePlan } from "./plan.js";
import { formatCall } from "./prototype.js";
import { SpecResolveError } from "./resolve-error.js";
import { didYouMean } from "./suggest.js";

/** Most arguments a traceable function may have (MAX_BPF_FUNC_ARGS). */
export const MAX_ARGS = 12;
/** Bytes captured for a `char *` string value (its pointee size; NUL-terminated, possibly truncated). */
export const MAX_STRING = 256;

/** One function the kernel has: a kallsyms entry (several for static functions sharing a name). */
export interface KernelFunctionEntry {
  readonly name: string;
  readonly address: bigint;
  readonly btfId?: number;
}

/** A tracepoint: its record fields (tracefs format) and raw_tp prototype. */
export interface TracepointEntry {
  readonly category: string;
  readonly name: string;
  readonly id: number;
  readonly fields: readonly { readonly decl: string; readonly name: string; readonly offset: number; readonly size: number; readonly signed: boolean }[];
  readonly proto: readonly { readonly type: string; readonly name: string }[];
  /** Record size. */
  readonly size: number;
}

/** What resolution needs from the kernel. */
export interface ResolveContext {
  btf: Btf;
  functions: readonly KernelFunctionEntry[];
  /** For tracepoint: and raw_tp: specs. */
  tracepoints?: readonly TracepointEntry[];
}

/** Resolves every spec (see resolveSpec). */
export function resolveSpecs(specs: readonly ProbeSpec[], kernel: ResolveContext): ProbePlan[] {
  return specs.map((s) => resolveSpec(s, kernel));
}

/**
 * Resolves one spec against the kernel: its target (a name or glob) expands
 * to every matching traceable function, sorted by name, and its items to
 * value plans and a predicate per function. The mechanism defaults to
 * fentry. Throws SpecResolveError.
 */
export function resolveSpec(spec: ProbeSpec, kernel: ResolveContext): ProbePlan {
  checkPredicateSize(spec);
  const mechanism = spec.mechanism ?? "fentry";
  if (mechanism === "tracepoint" || mechanism === "raw_tp") return resolveTracepointSpec(spec, kernel, mechanism);
  const funcs = functionIndex(kernel);
  const targets: TargetPlan[] = [];
  const skipped: { name: string; reason: string }[] = [];
  if (isGlob(spec.target)) {
    const re = globRegExp(spec.target);
    const names = [...funcs.keys()].filter((n) => re.test(n)).sort(byName);
    // A glob keeps the functions the items make sense for (tcp_*(sk->...) skips those without `sk`).
    let firstError: SpecResolveError | undefined;
    for (const name of names) {
      const f = funcs.get(name)!;
      if (f.btfId === undefined || untraceableReason(kernel.btf, f.btfId) !== undefined) continue;
      try {
        targets.push(resolveTarget(spec, kernel.btf, name, f.address, f.btfId));
      } catch (e) {
        if (!(e instanceof SpecResolveError)) throw e;
        firstError ??= e;
        skipped.push({ name, reason: e.message });
      }
    }
    if (targets.length === 0) {
      if (firstError) throw firstError;
      throw fail(spec, spec.targetSpan, "ENOENT", `no traceable function matches '${spec.target}'`);
    }
  } else {
    const f = funcs.get(spec.target);
    if (!f) {
      const traceable = [...funcs].filter(([, e]) => e.btfId !== undefined).map(([n]) => n);
      throw fail(spec, spec.targetSpan, "ENOENT", `no function '${spec.target}' in the kernel${didYouMean(spec.target, traceable)}`);
    }
    if (f.btfId === undefined) throw fail(spec, spec.targetSpan, "ENOENT", `'${spec.target}' has no BTF`);
    const why = untraceableReason(kernel.btf, f.btfId);
    if (why !== undefined) throw fail(spec, spec.targetSpan, why.errno, `'${spec.target}' ${why.message}`);
    targets.push(resolveTarget(spec, kernel.btf, spec.target, f.address, f.btfId));
  }
  return { spec, mechanism, targets, skipped };
}

// ---------------------------------------------------------------------------
// Functions

interface FuncEntry {
  address: bigint;
  btfId: number | undefined;
}

const indexCache = new WeakMap<readonly KernelFunctionEntry[], WeakMap<Btf, Map<string, FuncEntry>>>();

/** Name -> first address and FUNC id (from the entry, else the BTF by name). */
function functionIndex(kernel: ResolveContext): Map<string, FuncEntry> {
  let perList = indexCache.get(kernel.functions);
  if (!perList) indexCache.set(kernel.functions, (perList = new WeakMap()));
  let m = perList.get(kernel.btf);
  if (m) return m;
  m = new Map();
  for (const e of kernel.functions) {
    const have = m.get(e.name);
    if (have) {
      if (have.btfId === undefined && e.btfId !== undefined) have.btfId = e.btfId;
      continue;
    }
    let btfId = e.btfId;
    if (btfId === undefined || !kernel.btf.hasId(btfId) || kernel.btf.kindOf(btfId) !== BtfKind.FUNC) {
      btfId = kernel.btf.findByNameKind(e.name, BtfKind.FUNC);
    }
    m.set(e.name, { address: e.address, btfId });
  }
  perList.set(kernel.btf, m);
  return m;
}

/**
 * The FUNC id of the kernel function `name` (from its kallsyms entry, else
 * the BTF by name), or undefined when the kernel has no such function or it
 * has no BTF. For callers that show functions without tracing them (`info`).
 */
export function functionBtfId(kernel: ResolveContext, name: string): TypeId | undefined {
  return functionIndex(kernel).get(name)?.btfId;
}

/** Why FUNC `id` cannot be traced with fentry (variadic, more than MAX_ARGS arguments), or undefined. */
export function untraceableReason(btf: Btf, id: TypeId): { errno: ErrnoName; message: string } | undefined {
  const sig = funcSignature(btf, id);
  if (sig.variadic) return { errno: "EINVAL", message: "has variable arguments" };
  if (sig.params.length > MAX_ARGS) return { errno: "E2BIG", message: `has ${sig.params.length} arguments, more than ${MAX_ARGS}` };
  return undefined;
}

export function isGlob(target: string): boolean {
  return /[*?{]/.test(target);
}

/** `*` any run, `?` one character, `{a,b}` alternatives (nestable); everything else literal. */
export function globRegExp(glob: string): RegExp {
  let re = "";
  let depth = 0;
  for (const ch of glob) {
    if (ch === "*") re += ".*";
    else if (ch === "?") re += ".";
    else if (ch === "{") {
      re += "(?:";
      depth++;
    } else if (ch === "}" && depth > 0) {
      re += ")";
      depth--;
    } else if (ch === "," && depth > 0) re += "|";
    else re += ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  re += ")".repeat(depth);
  return new RegExp(`^(?:${re})$`);
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------
// Targets

interface Ctx {
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

function resolveTarget(spec: ProbeSpec, btf: Btf, name: string, ip: bigint, btfId: number): TargetPlan {
  const sig = funcSignature(btf, btfId);
  const paramNames = sig.params.map((p, i) => p.name || `arg${i}`);
  const ctx: Ctx = {
    spec,
    btf,
    label: sig.func.name,
    paramNames,
    locs: sig.params.map((p, i) => argLoc(i, p.type)),
    returnType: sig.returnType,
    callText: () => formatCall(btf, sig.id, MAX_ARGS),
  };
  const params = sig.params.map((p, i) => ({ name: paramNames[i]!, typeId: p.type }));
  const values: ValuePlan[] = [];
  let predicate: PredPlan | undefined;

  if (spec.items === undefined) {
    // ksnoop's default: every argument at entry, the return value at return.
    // Arguments that do not fit a register (structs passed by value) are
    // skipped; at most MAX_VALUES-1 arguments are kept when there is a return value.
    const room = sig.returnType === 0 ? MAX_VALUES : MAX_VALUES - 1;
    sig.params.forEach((p, i) => {
      if (values.length >= room) return;
      const size = resolveSize(btf, p.type);
      if (size <= 0 || size > 8) return;
      values.push(finish(ctx, { name: paramNames[i]!, loc: argLoc(i, p.type) }, spec.targetSpan, true));
    });
    if (sig.returnType !== 0) values.push(finish(ctx, { name: "return", loc: retLoc(sig.returnType) }, spec.targetSpan, true));
  } else {
    const add = (r: Resolved, span: Span, itemSpan: Span): number => {
      const have = values.findIndex((v) => v.name === r.name);
      if (have >= 0) return have;
      if (values.length >= MAX_VALUES) {
        throw fail(spec, itemSpan, "E2BIG", `too many values for ${ctx.label}: at most ${MAX_VALUES}`);
      }
      values.push(finish(ctx, r, span, true));
      return values.length - 1;
    };
    for (const item of spec.items) {
      if (item.kind === "value") {
        add(resolveExpr(ctx, item.expr), item.expr.span, item.span);
      } else {
        const p = resolveCond(ctx, item.cond, (r, span) => add(r, span, item.span), values);
        predicate = predicate === undefined ? p : { kind: "and", left: predicate, right: p };
      }
    }
  }

  const atEntry = values.some((v) => v.when === "entry");
  const atReturn = values.some((v) => v.when === "return");
  const stash = predicate !== undefined && atEntry && atReturn;
  const everything = spec.items === undefined || values.length === 0;
  return {
    name,
    ip,
    btfId,
    nargs: sig.params.length,
    params,
    retTypeId: sig.returnType,
    values,
    predicate,
    stash,
    onEntry: everything || stash || atEntry,
    onReturn: everything || stash || atReturn,
  };
}

// ---------------------------------------------------------------------------
// Expressions

/** Where a value is, while an expression is being resolved. */
interface Loc {
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

interface Resolved {
  name: string;
  loc: Loc;
}

function argLoc(i: number, typeId: TypeId): Loc {
  return { source: "arg", argIndex: i, hops: [], bits: undefined, typeId };
}

function retLoc(typeId: TypeId): Loc {
  return { source: "ret", argIndex: 0, hops: [], bits: undefined, typeId };
}

function resolveExpr(ctx: Ctx, e: Expr): Resolved {
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

const C_INT_ALIASES: Record<string, string> = {
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

const ptrCache = new WeakMap<Btf, Map<TypeId, TypeId>>();

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

function finish(ctx: Ctx, r: Resolved, span: Span, show: boolean): ValuePlan {
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
function checkPredicateSize(spec: ProbeSpec): void {
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

function resolveCond(ctx: Ctx, c: Cond, add: (r: Resolved, span: Span) => number, values: readonly ValuePlan[]): PredPlan {
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

function fail(spec: ProbeSpec, span: Span, errno: ErrnoName, message: string, hint?: string): SpecResolveError {
  return new SpecResolveError(spec.text, span, errno, message, hint === undefined ? undefined : { hint });
}

// ---------------------------------------------------------------------------
// Tracepoints (tracepoint:CAT:NAME, raw_tp:NAME)

/**
 * A tracepoint spec: the target `category:name` (tracepoint:) or `name`
 * (raw_tp:), globs allowed, against the kernel's tracepoints. tracepoint:
 * values are the record's fields (at their offsets in the context);
 * raw_tp: values are the TP_PROTO arguments (u64 slots of the context),
 * typed from their C declarations through the BTF.
 */
function resolveTracepointSpec(spec: ProbeSpec, kernel: ResolveContext, mechanism: "tracepoint" | "raw_tp"): ProbePlan {
  const all = kernel.tracepoints ?? [];
  const key = (t: TracepointEntry) => (mechanism === "tracepoint" ? `${t.category}:${t.name}` : t.name);
  let matched: TracepointEntry[];
  if (isGlob(spec.target)) {
    const re = globRegExp(spec.target);
    matched = all.filter((t) => re.test(key(t))).sort((a, b) => byName(key(a), key(b)));
  } else {
    matched = all.filter((t) => key(t) === spec.target || (mechanism === "tracepoint" && !spec.target.includes(":") && t.name === spec.target));
  }
  if (!matched.length) {
    const what = mechanism === "tracepoint" ? "tracepoint" : "raw tracepoint";
    throw fail(spec, spec.targetSpan, "ENOENT", `no ${what} '${spec.target}'${didYouMean(spec.target, all.map(key))}`, "btfsnoop list --tracepoints shows them");
  }
  const targets: TargetPlan[] = [];
  const skipped: { name: string; reason: string }[] = [];
  let firstError: SpecResolveError | undefined;
  for (const tp of matched) {
    try {
      targets.push(resolveTracepointTarget(spec, kernel.btf, tp, mechanism, key(tp)));
    } catch (e) {
      if (!(e instanceof SpecResolveError) || matched.length === 1) throw e;
      firstError ??= e;
      skipped.push({ name: key(tp), reason: e.message });
    }
  }
  if (!targets.length) throw firstError!;
  return { spec, mechanism, targets, skipped };
}

function resolveTracepointTarget(spec: ProbeSpec, btf: Btf, tp: TracepointEntry, mechanism: "tracepoint" | "raw_tp", name: string): TargetPlan {
  const paramNames: string[] = [];
  const locs: Loc[] = [];
  const typeErrors = new Map<string, string>();
  if (mechanism === "tracepoint") {
    for (const f of tp.fields) {
      paramNames.push(f.name);
      if (f.decl.startsWith("__data_loc")) {
        const t = dataLocType(btf, f.decl);
        if (typeof t === "string") {
          typeErrors.set(f.name, t);
          locs.push({ source: "ctx", argIndex: 0, hops: [], bits: f.offset * 8, typeId: 0 });
        } else locs.push({ source: "ctx", argIndex: 0, hops: [], bits: f.offset * 8, typeId: t, dataLoc: true });
        continue;
      }
      const t = declType(btf, f.decl);
      if (typeof t === "string") {
        typeErrors.set(f.name, t);
        locs.push({ source: "ctx", argIndex: 0, hops: [], bits: f.offset * 8, typeId: 0 });
      } else locs.push({ source: "ctx", argIndex: 0, hops: [], bits: f.offset * 8, typeId: t });
    }
  } else {
    tp.proto.forEach((a, i) => {
      const t = declType(btf, `${a.type} ${a.name}`);
      paramNames.push(a.name);
      if (typeof t === "string") {
        typeErrors.set(a.name, t);
        locs.push({ source: "ctx", argIndex: 0, hops: [], bits: i * 64, typeId: 0 });
      } else locs.push({ source: "ctx", argIndex: 0, hops: [], bits: i * 64, typeId: t });
    });
  }
  const callText = () =>
    mechanism === "tracepoint" ? `${name} (fields: ${paramNames.join(", ")})` : `${name}(${tp.proto.map((a) => `${a.type}${a.type.endsWith("*") ? "" : " "}${a.name}`).join(", ")})`;
  const ctx: Ctx = { spec, btf, label: name, paramNames, locs, returnType: 0, callText };
  const values: ValuePlan[] = [];
  let predicate: PredPlan | undefined;
  const checkTyped = (r: Resolved, span: Span) => {
    const root = r.name.match(/^[A-Za-z_][A-Za-z0-9_]*/)?.[0] ?? r.name;
    const why = typeErrors.get(root);
    if (why !== undefined) throw fail(spec, span, "ENOENT", `'${root}' of ${name}: ${why}`);
  };
  if (spec.items === undefined) {
    paramNames.forEach((n, i) => {
      if (values.length >= MAX_VALUES || typeErrors.has(n)) return;
      values.push(finish(ctx, { name: n, loc: locs[i]! }, spec.targetSpan, true));
    });
  } else {
    const add = (r: Resolved, span: Span, itemSpan: Span): number => {
      checkTyped(r, span);
      const have = values.findIndex((v) => v.name === r.name);
      if (have >= 0) return have;
      if (values.length >= MAX_VALUES) throw fail(spec, itemSpan, "E2BIG", `too many values for ${name}: at most ${MAX_VALUES}`);
      values.push(finish(ctx, r, span, true));
      return values.length - 1;
    };
    for (const item of spec.items) {
      if (item.kind === "value") add(resolveExpr(ctx, item.expr), item.expr.span, item.span);
      else {
        const p = resolveCond(ctx, item.cond, (r, span) => add(r, span, item.span), values);
        predicate = predicate === undefined ? p : { kind: "and", left: predicate, right: p };
      }
    }
  }
  return {
    name,
    kind: mechanism,
    // The table key: the event id, with bit 62 set for raw_tp so both kinds of the same event can be traced at once.
    ip: mechanism === "raw_tp" ? BigInt(tp.id) | (1n << 62n) : BigInt(tp.id),
    btfId: 0,
    nargs: mechanism === "raw_tp" ? tp.proto.length : 0,
    params: paramNames.map((n, i) => ({ name: n, typeId: locs[i]!.typeId })),
    retTypeId: 0,
    values,
    predicate,
    stash: false,
    onEntry: true,
    onReturn: false,
  };
}

/**
 * The BTF type of a C declaration as tracefs prints it: `pid_t prev_pid`,
 * `char prev_comm[16]`, `void * skbaddr`, `enum skb_drop_reason reason`,
 * `struct task_struct *p`; a string saying why when the BTF has no such type.
 */
export function declType(btf: Btf, decl: string): TypeId | string {
  let text = decl.trim();
  if (text.startsWith("__data_loc")) return "a __data_loc field is dynamic data, not a C type";
  let nelems: number | undefined;
  const arr = /\[(\d*)\]\s*$/.exec(text);
  if (arr) {
    nelems = arr[1] ? Number(arr[1]) : 0;
    text = text.slice(0, arr.index).trim();
  }
  // Drop the declared name (the last identifier), count the stars.
  const m = /^(.*?)([A-Za-z_][A-Za-z0-9_]*)$/.exec(text);
  let typeText = m && /[A-Za-z_*]\s*$/.test(m[1]!) && m[1]!.trim() !== "" && !/^(struct|union|enum)$/.test(m[1]!.trim()) ? m[1]! : text;
  typeText = typeText.replace(/\bconst\b|\bvolatile\b/g, " ").trim();
  const stars = (typeText.match(/\*/g) ?? []).length;
  typeText = typeText.replace(/\*/g, "").replace(/\s+/g, " ").trim();
  const tag = /^(struct|union|enum) (\w+)$/.exec(typeText);
  let id: TypeId | undefined;
  if (tag) {
    const kinds = tag[1] === "struct" ? [BtfKind.STRUCT] : tag[1] === "union" ? [BtfKind.UNION] : [BtfKind.ENUM, BtfKind.ENUM64];
    for (const k of kinds) id ??= btf.findByNameKind(tag[2]!, k);
    if (id === undefined && stars > 0) id = btf.findByNameKind(tag[2]!, BtfKind.FWD);
  } else if (typeText === "void") id = 0;
  else if (typeText === "bool" || typeText === "_Bool") id = btf.findByNameKind("_Bool", BtfKind.INT) ?? btf.findByNameKind("bool", BtfKind.TYPEDEF);
  else id = btf.findByNameKind(typeText, BtfKind.TYPEDEF) ?? btf.findByNameKind(C_INT_ALIASES[typeText] ?? typeText, BtfKind.INT);
  if (id === undefined) return `no type '${typeText}' in the BTF`;
  for (let i = 0; i < stars; i++) {
    const p = pointerTo(btf, id);
    if (p === undefined) return `no '${typeText} ${"*".repeat(i + 1)}' type in the BTF`;
    id = p;
  }
  if (nelems !== undefined) {
    const a = arrayOf(btf, id, nelems);
    if (a === undefined) return `no '${typeText}[${nelems}]' type in the BTF`;
    id = a;
  }
  return id;
}

/**
 * The element type of a `__data_loc` field (`__data_loc char[] name`): the
 * BTF `char`. Only strings (char[]) are supported; other element types
 * give a string saying why.
 */
function dataLocType(btf: Btf, decl: string): TypeId | string {
  const m = /^__data_loc\s+(.*?)\s*\[\s*\]\s*[A-Za-z_][A-Za-z0-9_]*$/.exec(decl.trim());
  const elem = m?.[1]?.replace(/\bconst\b/g, "").trim();
  if (elem !== "char") return `a __data_loc ${elem ?? "field"}[] (dynamic array) cannot be shown: only __data_loc char[] strings`;
  return btf.findByNameKind("char", BtfKind.INT) ?? "no type 'char' in the BTF";
}

function pointerTo(btf: Btf, id: TypeId): TypeId | undefined {
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

function arrayOf(btf: Btf, elem: TypeId, nelems: number): TypeId | undefined {
  const want = skipModsAndTypedefs(btf, elem);
  for (let i = 1; i < btf.typeCount; i++) {
    if (btf.kindOf(i) !== BtfKind.ARRAY) continue;
    const a = btf.typeById(i);
    if (a.kind === BtfKind.ARRAY && a.nelems === nelems && skipModsAndTypedefs(btf, a.type) === want) return i;
  }
  return undefined;
}
