// Owns the probe-spec error type (SpecSyntaxError) and caret(), the
// two-line "spec + ^~~~ under the span" display every later spec error
// (parse and resolution alike) uses to point at the offending text.
import { BtfsnoopError } from "../internal/errors.js";
import type { Span } from "./ast.js";

/**
 * Two lines: the spec, then spaces with `^` under `span.start` and `~` under
 * the rest of the span (up to `end - 1`). An empty span, or one past the end
 * of the text (end of input), still gets its `^`. Tabs in the spec are kept
 * in the marker line so the caret lines up in a terminal.
 */
export function caret(spec: string, span: Span): string {
  const start = Math.max(0, Math.min(span.start, spec.length));
  const end = Math.max(start + 1, Math.min(span.end, spec.length));
  let pad = "";
  for (let i = 0; i < start; i++) pad += spec[i] === "\t" ? "\t" : " ";
  return `${spec}\n${pad}^${"~".repeat(end - start - 1)}`;
}

/** A probe spec that does not parse (or holds an out-of-range literal). */
export class SpecSyntaxError extends BtfsnoopError {
  /** The spec text as given. */
  readonly spec: string;
  /** 0-based column where parsing failed (the message shows it 1-based). */
  readonly column: number;
  /** What would have been accepted there, readable (`")", ",", or "->"`). */
  readonly expected: string;
  /** The offending text; `{column, column + 1}` when only a position is known. */
  readonly span: Span;

  /**
   * `reason` replaces the default `expected ${expected}` after the column
   * in the message; `message` replaces the whole message (e.g. `empty probe spec`).
   */
  constructor(
    spec: string,
    at: number | Span,
    expected: string,
    options?: { hint?: string; cause?: unknown; reason?: string; message?: string },
  ) {
    const span = typeof at === "number" ? { start: at, end: at + 1 } : at;
    const message = options?.message ?? `invalid probe spec at column ${span.start + 1}: ${options?.reason ?? `expected ${expected}`}`;
    super("EINVAL", message, { hint: options?.hint, cause: options?.cause });
    this.name = "SpecSyntaxError";
    this.spec = spec;
    this.column = span.start;
    this.expected = expected;
    this.span = span;
  }

  /** The message, then the spec with a caret under the failing column. */
  get display(): string {
    return `${this.message}\n${caret(this.spec, this.span)}`;
  }
}
