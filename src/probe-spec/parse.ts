// Owns parsing probe specs: ohm semantics for probe-spec.ohm turning a spec
// string into the ProbeSpec tree of ast.ts, and the readable syntax errors
// (SpecSyntaxError with column, expected list and hint) for bad ones.
import type * as ohm from "ohm-js";
import { loadOhmGrammar } from "../internal/ohm-recipe.js";
import type { CmpOp, Cond, Expr, Literal, Mechanism, ProbeSpec, Span, SpecItem, TypeName } from "./ast.js";
import { SpecSyntaxError } from "./spec-error.js";

// From the build's precompiled recipe when it matches the grammar source, else compiled.
const grammar: ohm.Grammar = loadOhmGrammar(new URL("./probe-spec.ohm", import.meta.url));
const semantics = grammar.createSemantics();

const MECHANISMS: readonly Mechanism[] = ["fentry", "kprobe", "tracepoint", "raw_tp"];
const U64_MAX = (1n << 64n) - 1n;
const S64_MIN = -(1n << 63n);
/** Array indexes are u32 in BTF. */
const INDEX_MAX = 0xffff_ffff;

/** The spec being parsed, for errors raised from semantic actions. */
let currentSpec = "";

/** The node's span, with any whitespace ohm included at either end trimmed. */
function spanOf(node: ohm.Node): Span {
  let start = node.source.startIdx;
  let end = node.source.endIdx;
  const s = node.source.sourceString;
  while (start < end && /\s/.test(s[start]!)) start++;
  while (end > start && /\s/.test(s[end - 1]!)) end--;
  return { start, end };
}

/** Value of an unsigned integer literal (uint node): 0x hex, leading-0 octal, decimal. */
function uintValue(node: ohm.Node): bigint {
  const text = node.sourceString;
  if (/^0[xX]/.test(text)) return BigInt(text);
  if (text.length > 1 && text.startsWith("0")) {
    const bad = text.search(/[89]/);
    if (bad >= 0) {
      const at = node.source.startIdx + bad;
      throw new SpecSyntaxError(currentSpec, at, "an octal digit", { hint: "a leading 0 makes the literal octal" });
    }
    return BigInt(`0o${text.slice(1)}`);
  }
  return BigInt(text);
}

/** Decodes the escape sequences of a string or char literal body. */
function unescape(body: string): string {
  return body.replace(/\\(x[0-9a-fA-F]{1,2}|.)/gs, (_m, e: string) => {
    switch (e[0]) {
      case "x": return String.fromCharCode(parseInt(e.slice(1), 16));
      case "n": return "\n";
      case "t": return "\t";
      case "r": return "\r";
      case "0": return "\0";
      default: return e; // \\ \" \'
    }
  });
}

semantics.addOperation<unknown>("spec", {
  Spec_tracepoint(_kw, _c1, cat, _c2, name, items) {
    const targetSpan = { start: spanOf(cat).start, end: spanOf(name).end };
    return mk("tracepoint", `${cat.sourceString}:${name.sourceString}`, targetSpan, items);
  },
  Spec_mech(kw, _colon, target, items) {
    return mk(kw.sourceString as Mechanism, target.sourceString, spanOf(target), items);
  },
  Spec_plain(target, items) {
    return mk(undefined, target.sourceString, spanOf(target), items);
  },
});

function mk(mechanism: Mechanism | undefined, target: string, targetSpan: Span, items: ohm.Node): ProbeSpec {
  const it = items.children[0];
  return { text: currentSpec, mechanism, target, targetSpan, items: it === undefined ? undefined : (it["items"]() as SpecItem[]) };
}

semantics.addOperation<SpecItem[]>("items", {
  Items(_o, list, _c) {
    return list.asIteration().children.map((c) => c["item"]() as SpecItem);
  },
});

semantics.addOperation<SpecItem>("item", {
  Item_cond(c) {
    return { kind: "cond", cond: c["cond"]() as Cond, span: spanOf(this) };
  },
  Item_value(e) {
    return { kind: "value", expr: e["expr"]() as Expr, span: spanOf(this) };
  },
});

semantics.addOperation<Cond>("cond", {
  Cond_or(l, _op, r) {
    return { kind: "or", left: l["cond"]() as Cond, right: r["cond"]() as Cond, span: spanOf(this) };
  },
  AndCond_and(l, _op, r) {
    return { kind: "and", left: l["cond"]() as Cond, right: r["cond"]() as Cond, span: spanOf(this) };
  },
  NotCond_not(_bang, c) {
    return { kind: "not", operand: c["cond"]() as Cond, span: spanOf(this) };
  },
  NotCond_paren(_o, c, _c) {
    return c["cond"]() as Cond;
  },
  NotCond_cmp(e, op, lit) {
    return { kind: "cmp", op: op.sourceString as CmpOp, left: e["expr"]() as Expr, right: lit["literal"]() as Literal, span: spanOf(this) };
  },
});

semantics.addOperation<Expr>("expr", {
  Expr_cast(_o, type, _c, operand) {
    return { kind: "cast", type: type["typeName"]() as TypeName, operand: operand["expr"]() as Expr, span: spanOf(this) };
  },
  Expr_deref(_star, operand) {
    return { kind: "deref", operand: operand["expr"]() as Expr, span: spanOf(this) };
  },
  Postfix_arrow(obj, _arrow, member) {
    return { kind: "member", object: obj["expr"]() as Expr, member: member.sourceString, arrow: true, span: spanOf(this), memberSpan: spanOf(member) };
  },
  Postfix_dot(obj, _dot, member) {
    return { kind: "member", object: obj["expr"]() as Expr, member: member.sourceString, arrow: false, span: spanOf(this), memberSpan: spanOf(member) };
  },
  Postfix_index(obj, _o, index, _c) {
    const value = uintValue(index);
    if (value > BigInt(INDEX_MAX)) {
      throw new SpecSyntaxError(currentSpec, spanOf(index), "an index below 2^32", { reason: `index ${index.sourceString} is out of range (at most ${INDEX_MAX})` });
    }
    return { kind: "index", object: obj["expr"]() as Expr, index: Number(value), span: spanOf(this) };
  },
  Primary_paren(_o, e, _c) {
    return e["expr"]() as Expr;
  },
  Primary_ident(id) {
    return { kind: "ident", name: id.sourceString, span: spanOf(this) };
  },
});

semantics.addOperation<TypeName>("typeName", {
  TypeName_tagged(tag, name, stars) {
    return { tag: tag.sourceString as "struct" | "union" | "enum", name: name.sourceString, pointers: countStars(stars), span: spanOf(this) };
  },
  TypeName_builtin(first, rest, stars) {
    const name = [first, ...rest.children].map((w) => w.sourceString).join(" ");
    return { tag: undefined, name, pointers: countStars(stars), span: spanOf(this) };
  },
  TypeName_plain(name, stars) {
    return { tag: undefined, name: name.sourceString, pointers: countStars(stars), span: spanOf(this) };
  },
});

function countStars(stars: ohm.Node): number {
  return stars.sourceString.replace(/[^*]/g, "").length;
}

semantics.addOperation<Literal>("literal", {
  Literal(_start, body) {
    return body["literal"]() as Literal;
  },
  LiteralBody_name(id) {
    return { kind: "name", name: id.sourceString, span: spanOf(this) };
  },
  IntLit(minus, _digit, digits) {
    const span = spanOf(this);
    const negative = minus.children.length > 0;
    const mag = uintValue(digits);
    const value = negative ? -mag : mag;
    if (value > U64_MAX || value < S64_MIN) {
      throw new SpecSyntaxError(currentSpec, span, "an integer that fits in 64 bits", {
        reason: `integer literal ${currentSpec.slice(span.start, span.end)} does not fit in 64 bits`,
      });
    }
    return { kind: "int", value, span };
  },
  stringLit(_o, _body, _c) {
    const src = this.sourceString;
    return { kind: "string", value: unescape(src.slice(1, -1)), span: spanOf(this) };
  },
  charLit(_o, _body, _c) {
    const span = spanOf(this);
    const ch = unescape(this.sourceString.slice(1, -1));
    const value = ch.codePointAt(0) ?? 0;
    if (ch.length !== 1 || value > 0xff) {
      throw new SpecSyntaxError(currentSpec, span, "a single-byte character", { reason: "character literal is not a single byte" });
    }
    return { kind: "char", value, span };
  },
});

/** Joins ohm's expected items readably: `a`, `a or b`, `a, b, or c`. */
function joinExpected(items: string[]): string {
  if (items.length <= 1) return items[0] ?? "something else";
  if (items.length === 2) return `${items[0]} or ${items[1]}`;
  return `${items.slice(0, -1).join(", ")}, or ${items[items.length - 1]}`;
}

const TARGET = "a function name or glob";
const FLUFFY_SHOWN = /^("[^\w\s\\"']+"|a comparison operator)$/;
const ORDER = ['")"', '","', '"->"', '"."', '"["', '"]"', "a comparison operator", '"&&"', '"||"', "end of input"];

interface OhmFailure {
  isFluffy(): boolean;
  toString(): string;
}

function expectedOf(m: ohm.MatchResult): string {
  let items: string[];
  try {
    const failures = (m as unknown as { getRightmostFailures(): OhmFailure[] }).getRightmostFailures();
    // ohm calls "fluffy" what an optional part could have matched (`->` after
    // `skb` before `)`); the punctuation ones are worth listing.
    const shown = failures.filter((f) => !f.isFluffy() || FLUFFY_SHOWN.test(f.toString()));
    items = [...new Set(shown.map((f) => f.toString()))];
  } catch {
    items = [(m as ohm.FailedMatchResult).getExpectedText()];
  }
  // The mechanism keywords are function-name-like; "a function name" says it.
  if (items.includes(TARGET)) items = items.filter((i) => !/^"(kprobe|fentry|tracepoint|raw_tp)"$/.test(i));
  // Known tokens in a fixed, readable order; others first as ohm lists them.
  const rank = (i: string): number => {
    const k = ORDER.indexOf(i);
    return k < 0 ? -1 : k;
  };
  items = items.map((i, n) => ({ i, n })).sort((a, b) => rank(a.i) - rank(b.i) || a.n - b.n).map((x) => x.i);
  return joinExpected(items);
}

/** Balance of ( and ) outside string and char literals (negative: a stray ")"), and an unclosed quote. */
function scan(text: string): { depth: number; openQuote: string | undefined } {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote !== undefined) {
      if (ch === "\\") i++;
      else if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === "(") depth++;
    else if (ch === ")") {
      depth--;
      if (depth < 0) return { depth, openQuote: undefined };
    }
  }
  return { depth, openQuote: quote };
}

function hintFor(text: string, pos: number): string | undefined {
  const at = text.slice(pos);
  if (/^=(?!=)/.test(at)) return "use == to compare";
  if (/^(=>|=<)/.test(at)) return "the comparison operators are ==, !=, >, >=, < and <=";
  if (/^(and|or|not)\b/.test(at) || /^[&|](?![&|])/.test(at)) return "combine conditions with &&, || and !";
  const mech = /^\s*([A-Za-z_]\w*)\s*:/.exec(text);
  if (mech && pos <= mech[0].length && !(MECHANISMS as readonly string[]).includes(mech[1]!)) {
    return `unknown mechanism "${mech[1]}"; use one of ${MECHANISMS.map((m) => `${m}:`).join(", ")}`;
  }
  const { depth, openQuote } = scan(text);
  if (openQuote !== undefined) return `unterminated ${openQuote === '"' ? "string" : "character"} literal`;
  if (depth > 0) return `unbalanced parentheses: ${depth} "(" not closed`;
  if (depth < 0) return 'unbalanced parentheses: ")" without a matching "("';
  if (/^[-+]/.test(at) && text.slice(0, pos).trimEnd().endsWith("[")) return "an index must be a non-negative integer literal";
  return undefined;
}

/** Parses one probe spec; throws SpecSyntaxError (and nothing else) on bad input. */
export function parseSpec(text: string): ProbeSpec {
  if (text.trim() === "") {
    throw new SpecSyntaxError(text, 0, "a function name or glob", { message: "empty probe spec", hint: "a spec looks like ip_send_skb or ip_send_skb(skb->len, return)" });
  }
  try {
    const m = grammar.match(text, "Spec");
    if (m.failed()) {
      const pos = m.getRightmostFailurePosition();
      throw new SpecSyntaxError(text, pos, expectedOf(m), { hint: hintFor(text, pos) });
    }
    currentSpec = text;
    return semantics(m)["spec"]() as ProbeSpec;
  } catch (e) {
    if (e instanceof SpecSyntaxError) throw e;
    // Stack overflow on absurd nesting, or a bug: still a spec error to the user.
    const reason = e instanceof RangeError ? "spec is too deeply nested" : `internal parser error: ${e instanceof Error ? e.message : String(e)}`;
    throw new SpecSyntaxError(text, 0, "a simpler spec", { reason, cause: e });
  } finally {
    currentSpec = "";
  }
}

/** Parses each spec of a command (one string per spec). */
export function parseSpecs(texts: string[]): ProbeSpec[] {
  return texts.map(parseSpec);
}
