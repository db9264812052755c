// `count --by KEY[,KEY...]`: the keys a count is split by, bpftrace's map
// keys. Builtins comm, pid (the process, tgid), tid, cpu, kstack (the
// kernel stack, bpf_get_stackid), retval (the return value), location (the
// call site, dropmon's: the traced function's return address; on a
// tracepoint or raw_tp, its `location` field or argument); anything else is an expression over the probe's arguments or
// fields (parenthesize one named like a builtin: `(cpu)`). This module
// parses the list and renders a cell's key as bpftrace prints it
// (`@[bash, 1234]: 5`; a kernel stack one frame per line).
import type { Btf } from "../../btf/btf.js";
import { BtfKind } from "../../btf/kinds.js";
import { resolveType as resolveBtfType } from "../../btf/layout.js";
import type { TargetPlan } from "../../probe-spec/plan.js";
import type { AggregateKeyOptions, AggregateCell } from "../../tracer/session.js";
import { UsageError } from "../errors.js";

export const BUILTIN_KEYS = ["comm", "pid", "tid", "cpu", "kstack", "retval", "location"] as const;
type Builtin = (typeof BUILTIN_KEYS)[number];

/** One key of --by: a builtin, or a value of the spec (its index among the key values). */
export type ByPart = { kind: Exclude<Builtin, "retval"> } | { kind: "value" | "retval"; text: string; index: number };

/** --by parsed: the parts in the order given, the spec items that give the values, the kernel key fields. */
export interface ByKeys {
  parts: ByPart[];
  /** Expressions for the spec, in key order (retval is `return`); at most 2: the kernel keys by the first two values. */
  values: string[];
  keys: AggregateKeyOptions;
}

/** Splits on commas outside parentheses, brackets and quotes. */
function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = "";
  let cur = "";
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = "";
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === "(" || ch === "[") depth++;
    else if (ch === ")" || ch === "]") depth--;
    else if (ch === "," && depth === 0) {
      out.push(cur.trim());
      cur = "";
      continue;
    }
    cur += ch;
  }
  out.push(cur.trim());
  return out;
}

/** Parses --by (a string, or several when repeated) for a function probe, or an event's (`location` is then its field); undefined when absent. */
export function parseBy(by: string | string[] | undefined, event = false): ByKeys | undefined {
  if (by === undefined) return undefined;
  const words = [by].flat().flatMap(splitTopLevel);
  const parts: ByPart[] = [];
  const values: string[] = [];
  const keys: AggregateKeyOptions = {};
  for (const w of words) {
    if (w === "") throw new UsageError(`--by '${[by].flat().join(",")}': an empty key (expected a list such as comm,pid or an expression)`);
    if (parts.some((p) => (p.kind === "value" ? p.text : p.kind) === w)) throw new UsageError(`--by: '${w}' given twice`);
    // An event's location is its field (parenthesized: an expression, not the builtin).
    const name = w === "location" && event ? "(location)" : w;
    switch (name) {
      case "location":
        keys.location = true;
        parts.push({ kind: name });
        break;
      case "comm":
        keys.comm = true;
        parts.push({ kind: name });
        break;
      case "pid":
        keys.tgid = true;
        parts.push({ kind: name });
        break;
      case "tid":
        keys.tid = true;
        parts.push({ kind: name });
        break;
      case "cpu":
        keys.cpu = true;
        parts.push({ kind: name });
        break;
      case "kstack":
        keys.kstack = true;
        parts.push({ kind: name });
        break;
      default: {
        const text = name === "retval" ? "return" : name;
        if (values.length === 2) throw new UsageError(`--by: at most two of the keys can be values or retval (the kernel keys a cell by two values), got '${values.join("', '")}' and '${w}'`);
        parts.push({ kind: w === "retval" ? "retval" : "value", text, index: values.length });
        values.push(text);
      }
    }
  }
  if (values.length === 2) keys.value2 = true;
  return { parts, values, keys };
}

/** Symbolizes kernel text addresses as name+off (dropmon: hex offsets, bpftrace stacks: decimal). */
export type Symbolizer = (addr: bigint, decimal?: boolean) => string | undefined;

/** A value key as bpftrace would show it: enumerator names, symbols for text addresses, signed numbers, char arrays as text. */
export function valueText(btf: Btf, t: TargetPlan, index: number, a: bigint, sym: Symbolizer): string {
  const v = t.values[index];
  if (!v) return "";
  const r = resolveBtfType(btf, v.typeId);
  if (r.kind === BtfKind.ARRAY) {
    // A char array of at most 8 bytes: its text.
    let s = "";
    for (let i = 0; i < v.size; i++) {
      const c = Number((a >> BigInt(8 * i)) & 0xffn);
      if (c === 0) break;
      s += String.fromCharCode(c);
    }
    return s;
  }
  if (r.kind === BtfKind.ENUM || r.kind === BtfKind.ENUM64) {
    const e = r.values.find((x) => BigInt.asUintN(64, BigInt(x.value)) === a || BigInt(x.value) === BigInt.asIntN(64, a));
    if (e) return e.name;
  }
  if (r.kind === BtfKind.PTR) return sym(a) ?? `0x${a.toString(16)}`;
  return String(v.signed ? BigInt.asIntN(64, a) : a);
}

/** How a cell's key parts render: in text (a stack over lines) or as a JSON key (frames joined by ';'). */
export interface KeyContext {
  btf: Btf;
  target: TargetPlan;
  sym: Symbolizer;
  stack: (id: number) => bigint[];
  callSite: (id: number) => bigint | undefined;
}

function stackFrames(c: AggregateCell, k: KeyContext): string[] {
  if (c.stackId < 0) return [`[no stack: error ${c.stackId}]`];
  return k.stack(c.stackId).map((ip) => k.sym(ip, true) ?? `0x${ip.toString(16)}`);
}

/** One part of a cell's key. */
export function partText(p: ByPart, c: AggregateCell, k: KeyContext, json: boolean): string {
  switch (p.kind) {
    case "comm":
      return c.comm;
    case "pid":
      return String(c.tgid);
    case "tid":
      return String(c.tid);
    case "cpu":
      return String(c.cpu);
    case "location": {
      const ip = k.callSite(c.locationId);
      return ip === undefined ? `[unknown: error ${c.locationId}]` : (k.sym(ip) ?? `0x${ip.toString(16)}`);
    }
    case "kstack": {
      const frames = stackFrames(c, k);
      return json ? frames.join(";") : `\n${frames.map((f) => `    ${f}\n`).join("")}`;
    }
    case "retval":
    case "value":
      return valueText(k.btf, k.target, p.index, p.index === 0 ? c.a : c.a2, k.sym);
  }
}
