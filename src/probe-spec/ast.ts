// The probe-spec syntax tree: what the user typed, before any BTF is
// consulted. Produced by parse.ts (ohm grammar probe-spec.ohm); consumed by
// resolve.ts. Every node carries its span (0-based columns in the spec
// text, end exclusive) so later errors can point at it with a caret.

export interface Span {
  start: number;
  end: number;
}

/** The attach mechanism a `mechanism:` prefix chooses; default fentry (fentry.multi + fexit.multi). */
export type Mechanism = "fentry" | "kprobe" | "tracepoint" | "raw_tp";

/** One spec: `[mechanism:]target[(item, ...)]`. */
export interface ProbeSpec {
  /** The spec text as given. */
  readonly text: string;
  /** From the prefix; undefined when there was none. */
  readonly mechanism: Mechanism | undefined;
  /**
   * The function name or glob (`tcp_*`, `{ip,ip6}_send_skb`, `foo.isra.0`);
   * for tracepoints `category:name` (globs allowed in both parts).
   */
  readonly target: string;
  readonly targetSpan: Span;
  /** undefined for a bare `name` (all arguments on entry, return on exit); [] for `name()`. */
  readonly items: SpecItem[] | undefined;
}

/** A comma-separated item: a value to show, or a condition (filter; its compared values are shown too, as in ksnoop). */
export type SpecItem = { readonly kind: "value"; readonly expr: Expr; readonly span: Span } | { readonly kind: "cond"; readonly cond: Cond; readonly span: Span };

/** A value expression: an argument or `return`, then member, index and dereference steps, possibly cast. */
export type Expr =
  /** An argument name, or `return`. */
  | { readonly kind: "ident"; readonly name: string; readonly span: Span }
  /** `object->member` (arrow) or `object.member`. */
  | { readonly kind: "member"; readonly object: Expr; readonly member: string; readonly arrow: boolean; readonly span: Span; readonly memberSpan: Span }
  /** `object[index]` (non-negative integer literal). */
  | { readonly kind: "index"; readonly object: Expr; readonly index: number; readonly span: Span }
  /** `*operand`. */
  | { readonly kind: "deref"; readonly operand: Expr; readonly span: Span }
  /** `(type)operand`. */
  | { readonly kind: "cast"; readonly type: TypeName; readonly operand: Expr; readonly span: Span };

/** A C type name in a cast: `struct tcp_sock *`, `u32`, `enum skb_drop_reason`, `char **`. */
export interface TypeName {
  readonly tag: "struct" | "union" | "enum" | undefined;
  readonly name: string;
  /** Number of `*`. */
  readonly pointers: number;
  readonly span: Span;
}

export type CmpOp = "==" | "!=" | ">" | ">=" | "<" | "<=";

/** A condition: comparisons combined with `&&`, `||`, `!` and parentheses. */
export type Cond =
  | { readonly kind: "cmp"; readonly op: CmpOp; readonly left: Expr; readonly right: Literal; readonly span: Span }
  | { readonly kind: "and" | "or"; readonly left: Cond; readonly right: Cond; readonly span: Span }
  | { readonly kind: "not"; readonly operand: Cond; readonly span: Span };

/** The right-hand side of a comparison. */
export type Literal =
  /** Decimal, hex (0x) or octal (leading 0), optionally negative. */
  | { readonly kind: "int"; readonly value: bigint; readonly span: Span }
  /** `"lo"`, with C escapes (\n \t \\ \" \0 \xNN) decoded. */
  | { readonly kind: "string"; readonly value: string; readonly span: Span }
  /** `'a'`, with the same escapes; value is the byte. */
  | { readonly kind: "char"; readonly value: number; readonly span: Span }
  /** An identifier: an enumerator name (`SKB_DROP_REASON_NOT_SPECIFIED`), or NULL. */
  | { readonly kind: "name"; readonly name: string; readonly span: Span };
