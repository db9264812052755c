// Tests for the probe-spec parser (parse.ts + probe-spec.ohm) and the
// SpecSyntaxError / caret() display (spec-error.ts): exact ASTs, exact
// error messages and columns, and a seeded fuzz that only SpecSyntaxError escapes.
import { describe, expect, it } from "vitest";
import type { Cond, Expr, Literal, ProbeSpec, Span, SpecItem } from "./ast.js";
import { parseSpec, parseSpecs } from "./parse.js";
import { SpecSyntaxError, caret } from "./spec-error.js";

const sp = (start: number, end: number): Span => ({ start, end });
const id = (name: string, start: number): Expr => ({ kind: "ident", name, span: sp(start, start + name.length) });
const arrow = (object: Expr, member: string, memberStart: number, arrowed = true): Expr => ({
  kind: "member",
  object,
  member,
  arrow: arrowed,
  span: sp(object.span.start, memberStart + member.length),
  memberSpan: sp(memberStart, memberStart + member.length),
});
const int = (value: bigint, start: number, end: number): Literal => ({ kind: "int", value, span: sp(start, end) });
const value = (expr: Expr): SpecItem => ({ kind: "value", expr, span: expr.span });
const cond = (c: Cond): SpecItem => ({ kind: "cond", cond: c, span: c.span });
const cmp = (op: "==" | "!=" | ">" | ">=" | "<" | "<=", left: Expr, right: Literal): Cond => ({
  kind: "cmp",
  op,
  left,
  right,
  span: sp(left.span.start, right.span.end),
});

function fails(text: string): SpecSyntaxError {
  try {
    parseSpec(text);
  } catch (e) {
    if (e instanceof SpecSyntaxError) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(text)} to fail`);
}

describe("parseSpec: targets and mechanisms", () => {
  it("bare function: items undefined", () => {
    expect(parseSpec("ip_send_skb")).toEqual<ProbeSpec>({ text: "ip_send_skb", mechanism: undefined, target: "ip_send_skb", targetSpan: sp(0, 11), items: undefined });
  });
  it("empty parentheses: items []", () => {
    expect(parseSpec("ip_send_skb()").items).toEqual([]);
  });
  it("glob", () => {
    expect(parseSpec("tcp_*")).toEqual<ProbeSpec>({ text: "tcp_*", mechanism: undefined, target: "tcp_*", targetSpan: sp(0, 5), items: undefined });
  });
  it("brace glob: its comma is not an item separator", () => {
    expect(parseSpec("{ip,ip6}_send_skb(skb)")).toEqual<ProbeSpec>({
      text: "{ip,ip6}_send_skb(skb)",
      mechanism: undefined,
      target: "{ip,ip6}_send_skb",
      targetSpan: sp(0, 17),
      items: [value(id("skb", 18))],
    });
  });
  it("dotted (compiler-suffixed) names", () => {
    expect(parseSpec("foo.isra.0(x)")).toEqual<ProbeSpec>({ text: "foo.isra.0(x)", mechanism: undefined, target: "foo.isra.0", targetSpan: sp(0, 10), items: [value(id("x", 11))] });
    expect(parseSpec("foo.constprop.0.cold").target).toBe("foo.constprop.0.cold");
  });
  it("kprobe: prefix", () => {
    expect(parseSpec("kprobe:ip_send_skb")).toEqual<ProbeSpec>({ text: "kprobe:ip_send_skb", mechanism: "kprobe", target: "ip_send_skb", targetSpan: sp(7, 18), items: undefined });
    expect(parseSpec("fentry:tcp_sendmsg").mechanism).toBe("fentry");
  });
  it("tracepoint: category:name", () => {
    expect(parseSpec("tracepoint:skb:kfree_skb(location, reason)")).toEqual<ProbeSpec>({
      text: "tracepoint:skb:kfree_skb(location, reason)",
      mechanism: "tracepoint",
      target: "skb:kfree_skb",
      targetSpan: sp(11, 24),
      items: [value(id("location", 25)), value(id("reason", 35))],
    });
    expect(parseSpec("tracepoint:sched:sched_*").target).toBe("sched:sched_*");
  });
  it("raw_tp: prefix with a member", () => {
    expect(parseSpec("raw_tp:sched_switch(prev->pid)")).toEqual<ProbeSpec>({
      text: "raw_tp:sched_switch(prev->pid)",
      mechanism: "raw_tp",
      target: "sched_switch",
      targetSpan: sp(7, 19),
      items: [value(arrow(id("prev", 20), "pid", 26))],
    });
  });
  it("whitespace between tokens; text kept as given, spans into it", () => {
    const s = parseSpec("  kprobe : ip_send_skb ( skb -> sk ) ");
    expect(s.text).toBe("  kprobe : ip_send_skb ( skb -> sk ) ");
    expect(s.targetSpan).toEqual(sp(11, 22));
    expect(s.items).toEqual([value(arrow(id("skb", 25), "sk", 32))]);
  });
  it("a function merely starting with a mechanism name is a plain target", () => {
    expect(parseSpec("kprobe_foo").mechanism).toBeUndefined();
    expect(parseSpec("kprobe_foo").target).toBe("kprobe_foo");
  });
});

describe("parseSpec: values", () => {
  it("ip_send_skb(skb->sk)", () => {
    expect(parseSpec("ip_send_skb(skb->sk)").items).toEqual([value(arrow(id("skb", 12), "sk", 17))]);
  });
  it("tcp_sendmsg(sk->__sk_common.skc_dport)", () => {
    expect(parseSpec("tcp_sendmsg(sk->__sk_common.skc_dport)").items).toEqual([
      value(arrow(arrow(id("sk", 12), "__sk_common", 16), "skc_dport", 28, false)),
    ]);
  });
  it("deep chains", () => {
    expect(parseSpec("f(skb->sk->__sk_common.skc_daddr)").items).toEqual([
      value(arrow(arrow(arrow(id("skb", 2), "sk", 7), "__sk_common", 11), "skc_daddr", 23, false)),
    ]);
  });
  it("index, decimal and hex", () => {
    expect(parseSpec("f(x[2])").items).toEqual([value({ kind: "index", object: id("x", 2), index: 2, span: sp(2, 6) })]);
    expect(parseSpec("f(x[0x10])").items).toEqual([value({ kind: "index", object: id("x", 2), index: 16, span: sp(2, 9) })]);
  });
  it("deref; * binds looser than ->", () => {
    expect(parseSpec("f(*p)").items).toEqual([value({ kind: "deref", operand: id("p", 3), span: sp(2, 4) })]);
    expect(parseSpec("f(*p->q)").items).toEqual([value({ kind: "deref", operand: arrow(id("p", 3), "q", 6), span: sp(2, 7) })]);
  });
  it("grouping: (*p).x", () => {
    const e: Expr = { kind: "member", object: { kind: "deref", operand: id("p", 4), span: sp(3, 5) }, member: "x", arrow: false, span: sp(2, 8), memberSpan: sp(7, 8) };
    expect(parseSpec("f((*p).x)").items).toEqual([value(e)]);
  });
  it("cast binds looser than postfix: (struct tcp_sock *)sk->srtt_us casts sk->srtt_us", () => {
    expect(parseSpec("f((struct tcp_sock *)sk->srtt_us)").items).toEqual([
      value({
        kind: "cast",
        type: { tag: "struct", name: "tcp_sock", pointers: 1, span: sp(3, 20) },
        operand: arrow(id("sk", 21), "srtt_us", 25),
        span: sp(2, 32),
      }),
    ]);
  });
  it("((struct tcp_sock *)sk)->srtt_us casts sk first", () => {
    expect(parseSpec("f(((struct tcp_sock *)sk)->srtt_us)").items).toEqual([
      value({
        kind: "member",
        object: { kind: "cast", type: { tag: "struct", name: "tcp_sock", pointers: 1, span: sp(4, 21) }, operand: id("sk", 22), span: sp(3, 24) },
        member: "srtt_us",
        arrow: true,
        span: sp(2, 34),
        memberSpan: sp(27, 34),
      }),
    ]);
  });
  it("(IDENT)expr is a cast, (IDENT) followed by anything else is grouping", () => {
    expect(parseSpec("f((u32)x)").items).toEqual([value({ kind: "cast", type: { tag: undefined, name: "u32", pointers: 0, span: sp(3, 6) }, operand: id("x", 7), span: sp(2, 8) })]);
    expect(parseSpec("f((x)->y)").items).toEqual([value({ kind: "member", object: id("x", 3), member: "y", arrow: true, span: sp(2, 8), memberSpan: sp(7, 8) })]);
    expect(parseSpec("f((x))").items).toEqual([{ kind: "value", expr: id("x", 3), span: sp(2, 5) }]);
  });
  it("other type names", () => {
    const types = ["f((char **)p)", "f((enum foo)x)", "f((union u *)x)", "f((unsigned long)x)"].map((t) => {
      const it = parseSpec(t).items![0]!;
      return it.kind === "value" && it.expr.kind === "cast" ? it.expr.type : undefined;
    });
    expect(types).toEqual([
      { tag: undefined, name: "char", pointers: 2, span: sp(3, 10) },
      { tag: "enum", name: "foo", pointers: 0, span: sp(3, 11) },
      { tag: "union", name: "u", pointers: 1, span: sp(3, 12) },
      { tag: undefined, name: "unsigned long", pointers: 0, span: sp(3, 16) },
    ]);
  });
});

describe("parseSpec: conditions", () => {
  it("ip_send_skb(skb->len > 128, skb)", () => {
    expect(parseSpec("ip_send_skb(skb->len > 128, skb)").items).toEqual([cond(cmp(">", arrow(id("skb", 12), "len", 17), int(128n, 23, 26))), value(id("skb", 28))]);
  });
  it("sock_sendmsg(skb, return != 0)", () => {
    expect(parseSpec("sock_sendmsg(skb, return != 0)").items).toEqual([value(id("skb", 13)), cond(cmp("!=", id("return", 18), int(0n, 28, 29)))]);
  });
  it('netif_receive_skb(skb->dev->name == "lo")', () => {
    expect(parseSpec('netif_receive_skb(skb->dev->name == "lo")').items).toEqual([
      cond(cmp("==", arrow(arrow(id("skb", 18), "dev", 23), "name", 28), { kind: "string", value: "lo", span: sp(36, 40) })),
    ]);
  });
  it("kfree_skb_reason(reason == SKB_DROP_REASON_NOT_SPECIFIED)", () => {
    expect(parseSpec("kfree_skb_reason(reason == SKB_DROP_REASON_NOT_SPECIFIED)").items).toEqual([
      cond(cmp("==", id("reason", 17), { kind: "name", name: "SKB_DROP_REASON_NOT_SPECIFIED", span: sp(27, 56) })),
    ]);
  });
  it("&& binds tighter than ||; ! and parentheses", () => {
    const c3 = cmp("==", id("c", 23), int(3n, 28, 29));
    const inner: Cond = { kind: "or", left: cmp("<", id("b", 12), int(2n, 16, 17)), right: { kind: "not", operand: c3, span: sp(21, 30) }, span: sp(12, 30) };
    expect(parseSpec("f(a > 1 && (b < 2 || !(c == 3)))").items).toEqual([cond({ kind: "and", left: cmp(">", id("a", 2), int(1n, 6, 7)), right: inner, span: sp(2, 31) })]);
    const flat = parseSpec("f(a == 1 || b == 2 && c == 3)").items![0]!;
    expect(flat.kind === "cond" && flat.cond.kind).toBe("or");
    expect(flat.kind === "cond" && flat.cond.kind === "or" && flat.cond.right.kind).toBe("and");
  });
  it("integer literals: negative, hex, octal, 64-bit bounds", () => {
    expect(parseSpec("f(x == -22)").items).toEqual([cond(cmp("==", id("x", 2), int(-22n, 7, 10)))]);
    expect(parseSpec("f(x == 0x80)").items).toEqual([cond(cmp("==", id("x", 2), int(128n, 7, 11)))]);
    const lit = (t: string): Literal => {
      const it = parseSpec(t).items![0]!;
      if (it.kind !== "cond" || it.cond.kind !== "cmp") throw new Error("not a cmp");
      return it.cond.right;
    };
    expect(lit("f(x == -0x10)")).toEqual(int(-16n, 7, 12));
    expect(lit("f(x == 017)")).toEqual(int(15n, 7, 10));
    expect(lit("f(x == 18446744073709551615)")).toEqual(int(18446744073709551615n, 7, 27));
    expect(lit("f(x == -9223372036854775808)")).toEqual(int(-9223372036854775808n, 7, 27));
  });
  it("char and string literals with escapes", () => {
    expect(parseSpec("f(c == 'a')").items).toEqual([cond(cmp("==", id("c", 2), { kind: "char", value: 97, span: sp(7, 10) }))]);
    const it = parseSpec(String.raw`f(c != '\n', s == "a\x41\t\\\"\0", d == '\'')`).items!;
    expect(it.map((i) => (i.kind === "cond" && i.cond.kind === "cmp" ? i.cond.right : undefined))).toEqual([
      { kind: "char", value: 10, span: sp(7, 11) },
      { kind: "string", value: 'aA\t\\"\0', span: sp(18, 33) },
      { kind: "char", value: 39, span: sp(40, 44) },
    ]);
  });
});

describe("parseSpec: errors", () => {
  const cases: [string, string, number, string | undefined][] = [
    ["ip_send_skb(skb->)", "invalid probe spec at column 18: expected an identifier", 17, undefined],
    ["ip_send_skb(skb->len > )", "invalid probe spec at column 24: expected a literal", 23, undefined],
    ["ip_send_skb(skb", 'invalid probe spec at column 16: expected ")", ",", "->", ".", "[", or a comparison operator', 15, 'unbalanced parentheses: 1 "(" not closed'],
    ["ip_send_skb(skb->len = 1)", 'invalid probe spec at column 22: expected ")", ",", "->", ".", "[", or a comparison operator', 21, "use == to compare"],
    ["(", "invalid probe spec at column 1: expected a function name or glob", 0, 'unbalanced parentheses: 1 "(" not closed'],
    ["f(x[-1])", "invalid probe spec at column 5: expected a non-negative integer index", 4, "an index must be a non-negative integer literal"],
    ["f(x[i])", "invalid probe spec at column 5: expected a non-negative integer index", 4, undefined],
    ["f(x[4294967296])", "invalid probe spec at column 5: index 4294967296 is out of range (at most 4294967295)", 4, undefined],
    ["f(x == 99999999999999999999999)", "invalid probe spec at column 8: integer literal 99999999999999999999999 does not fit in 64 bits", 7, undefined],
    ["f(x == -9223372036854775809)", "invalid probe spec at column 8: integer literal -9223372036854775809 does not fit in 64 bits", 7, undefined],
    ["f(x == 09)", "invalid probe spec at column 9: expected an octal digit", 8, "a leading 0 makes the literal octal"],
    ['f(x == "lo)', 'invalid probe spec at column 12: expected "\\""', 11, "unterminated string literal"],
    ["f(a > 1 b)", 'invalid probe spec at column 9: expected ")", ",", "&&", or "||"', 8, undefined],
    ["f(a,)", 'invalid probe spec at column 5: expected an identifier, "(", "*", or "!"', 4, undefined],
    ["tcp_*)", 'invalid probe spec at column 6: expected "(" or end of input', 5, 'unbalanced parentheses: ")" without a matching "("'],
    ["uprobe:foo", 'invalid probe spec at column 7: expected "(" or end of input', 6, 'unknown mechanism "uprobe"; use one of fentry:, kprobe:, tracepoint:, raw_tp:'],
  ];
  it.each(cases)("%s", (text, message, column, hint) => {
    const e = fails(text);
    expect(e.message).toBe(message);
    expect(e.column).toBe(column);
    expect(e.hint).toBe(hint);
    expect(e.spec).toBe(text);
    expect(e.errno).toBe("EINVAL");
  });
  it("empty spec", () => {
    for (const t of ["", "   "]) {
      const e = fails(t);
      expect(e.message).toBe("empty probe spec");
      expect(e.column).toBe(0);
    }
  });
  it("expected field and full display", () => {
    const e = fails("ip_send_skb(skb->len = 1)");
    expect(e.expected).toBe('")", ",", "->", ".", "[", or a comparison operator');
    expect(e.display).toBe(
      'invalid probe spec at column 22: expected ")", ",", "->", ".", "[", or a comparison operator\n' + "ip_send_skb(skb->len = 1)\n" + "                     ^",
    );
  });
  it("parseSpecs parses each and stops at the first bad one", () => {
    expect(parseSpecs(["a", "kprobe:b(x)"]).map((s) => s.target)).toEqual(["a", "b"]);
    expect(() => parseSpecs(["a", "b("])).toThrow(SpecSyntaxError);
  });
  it("absurd nesting is still a SpecSyntaxError", () => {
    expect(() => parseSpec(`f(${"(".repeat(20000)}x${")".repeat(20000)})`)).toThrow(SpecSyntaxError);
  });
});

describe("caret", () => {
  it("marks start with ^ and the rest of the span with ~", () => {
    expect(caret("ip_send_skb(skb->len)", { start: 12, end: 20 })).toBe(`ip_send_skb(skb->len)\n${" ".repeat(12)}^${"~".repeat(7)}`);
  });
  it("an empty span or end of input still gets a ^", () => {
    expect(caret("f(x", { start: 3, end: 3 })).toBe("f(x\n   ^");
    expect(caret("f(x", { start: 1, end: 1 })).toBe("f(x\n ^");
  });
  it("in a spec of several lines: the line holding the span, the caret at its column, the span cut at the line's end", () => {
    const spec = "ip_send_skb(skb->len > 1,\n  skb->lenn,\n\tskb)";
    expect(caret(spec, { start: 33, end: 37 })).toBe("  skb->lenn,\n       ^~~~");
    expect(caret(spec, { start: 12, end: 33 })).toBe("ip_send_skb(skb->len > 1,\n            ^~~~~~~~~~~~~");
    expect(caret(spec, { start: 40, end: 43 })).toBe("\tskb)\n\t^~~");
    expect(caret(spec, { start: spec.length, end: spec.length })).toBe("\tskb)\n\t    ^");
  });
  it("a syntax error in a spec of several lines gives its line and column", () => {
    const e = (() => {
      try {
        parseSpec("ip_send_skb(skb->len > 1,\n  skb->len >)");
      } catch (err) {
        return err as SpecSyntaxError;
      }
      throw new Error("parsed");
    })();
    expect(e.message).toBe("invalid probe spec at line 2, column 13: expected a literal");
    expect(e.display).toBe("invalid probe spec at line 2, column 13: expected a literal\n  skb->len >)\n            ^");
  });
});

describe("fuzz", () => {
  // mulberry32: small seeded PRNG, so failures reproduce.
  function rng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const tokens = ["f", "skb", "->", ".", "(", ")", ",", "[", "]", "*", "==", "=", "!", "&&", "||", ">", "<=", "-", "0x", "1", "09", "99999999999999999999", '"', "'", "\\", "x", "struct", "u32", "kprobe:", "tracepoint:", ":", "{", "}", " ", "return", "NULL", "\n", "é", "\0"];
  it("only SpecSyntaxError escapes, with a column inside the text", () => {
    const r = rng(0x5eed);
    let ok = 0;
    for (let n = 0; n < 3000; n++) {
      let s = "";
      const len = Math.floor(r() * 14);
      for (let i = 0; i < len; i++) {
        s += r() < 0.7 ? tokens[Math.floor(r() * tokens.length)]! : String.fromCharCode(32 + Math.floor(r() * 95));
      }
      try {
        parseSpec(s);
        ok++;
      } catch (e) {
        if (!(e instanceof SpecSyntaxError)) throw new Error(`non-SpecSyntaxError for ${JSON.stringify(s)}: ${String(e)}`);
        expect(e.message).toMatch(/^(empty probe spec|invalid probe spec at (line \d+, )?column \d+: )/);
        expect(e.message).not.toMatch(/internal/);
        expect(e.column).toBeGreaterThanOrEqual(0);
        expect(e.column).toBeLessThanOrEqual(s.length);
      }
    }
    expect(ok).toBeGreaterThan(0);
  });
});
