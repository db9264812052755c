// Owns resolution: a parsed probe spec (ast.ts) checked against the
// kernel's BTF and function list (kallsyms) and turned into a ProbePlan
// (plan.ts): which functions a name or glob means, and for each value the
// source register, pointer hops, offsets, sizes, types and the predicate.
// This file finds the targets (functions by name or glob, tracepoints and
// raw tracepoints) and their arguments or fields; the expressions and
// conditions themselves are resolved by resolve-expr.ts. Every failure is a
// SpecResolveError pointing at the offending text.
import type { Btf } from "../btf/btf.js";
import { funcSignature } from "../btf/funcs.js";
import { BtfKind } from "../btf/kinds.js";
import { resolveSize, skipModsAndTypedefs } from "../btf/layout.js";
import type { TypeId } from "../btf/types.js";
import type { ErrnoName } from "../internal/errno.js";
import type { ProbeSpec, Span } from "./ast.js";
import { MAX_VALUES, type PredPlan, type ProbePlan, type TargetPlan, type ValuePlan } from "./plan.js";
import { formatCall } from "./prototype.js";
import { SpecResolveError } from "./resolve-error.js";
import { didYouMean } from "./suggest.js";
import { C_INT_ALIASES, type Ctx, type Loc, type Resolved, argLoc, checkPredicateSize, fail, finish, pointerTo, resolveCond, resolveExpr, retLoc } from "./resolve-expr.js";

/** Most arguments a traceable function may have (MAX_BPF_FUNC_ARGS). */
export const MAX_ARGS = 12;
export { MAX_STRING } from "./resolve-expr.js";

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


function arrayOf(btf: Btf, elem: TypeId, nelems: number): TypeId | undefined {
  const want = skipModsAndTypedefs(btf, elem);
  for (let i = 1; i < btf.typeCount; i++) {
    if (btf.kindOf(i) !== BtfKind.ARRAY) continue;
    const a = btf.typeById(i);
    if (a.kind === BtfKind.ARRAY && a.nelems === nelems && skipModsAndTypedefs(btf, a.type) === want) return i;
  }
  return undefined;
}
