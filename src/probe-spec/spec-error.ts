// Owns the probe-spec error type (SpecSyntaxError) and caret(), the
// two-line "spec + ^~~~ under the span" display every later spec error
// (parse and resolution alike) uses to point at the offending text.
import { BtfsnoopError } from "../internal/errors.js";
import type { Span } from "./ast.js";

/**
 * Two lines: the line of the spec that holds `span.start`, then spaces with
 * `^` under `span.start` and `~` under the rest of the span on that line (up
 * to `end - 1`). An empty span, or one past the end of the text (end of
 * input), still gets its `^`. Tabs in the spec are kept in the marker line so
 * the caret lines up in a terminal.
 */
export function caret(spec: string, span: Span): string {
  const start = Math.max(0, Math.min(span.start, spec.length));
  const lineStart = spec.lastIndexOf("\n", start - 1) + 1;
  let lineEnd = spec.indexOf("\n", start);
  if (lineEnd < 0) lineEnd = spec.length;
  const line = spec.slice(lineStart, lineEnd).replace(/\r$/, "");
  const end = Math.max(start + 1, Math.min(span.end, lineStart + line.length));
  let pad = "";
  for (let i = lineStart; i < start; i++) pad += spec[i] === "\t" ? "\t" : " ";
  return `${line}\n${pad}^${"~".repeat(end - start - 1)}`;
}

/** `column 5`, or `line 2, column 3` in a spec of several lines (1-based; `offset` is 0-based in the text). */
export function position(spec: string, offset: number): string {
  if (!spec.includes("\n")) return `column ${offset + 1}`;
  const before = spec.slice(0, Math.max(0, offset));
  const line = before.split("\n").length;
  return `line ${line}, column ${offset - (before.lastIndexOf("\n") + 1) + 1}`;
}

/** A probe spec that does not parse (or holds an out-of-range literal). */
export class SpecSyntaxError extends BtfsnoopError {
  /** The spec text as given. */
  readonly spec: string;
  /** 0-based offset in the spec where parsing failed (the message shows it 1-based, as a line and column when the spec has several lines). */
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
    const message = options?.message ?? `invalid probe spec at ${position(spec, span.start)}: ${options?.reason ?? `expected ${expected}`}`;
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
