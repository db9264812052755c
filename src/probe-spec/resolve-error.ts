// Owns SpecResolveError: a probe spec that parses but does not resolve
// against the kernel (unknown function, argument, member or enumerator, a
// type mismatch, a limit). Its message is one line; `display` adds the spec
// with a caret under the offending text (caret() from spec-error.ts) and the hint.
import type { ErrnoName } from "../internal/errno.js";
import { BtfsnoopError } from "../internal/errors.js";
import type { Span } from "./ast.js";
import { caret } from "./spec-error.js";

export class SpecResolveError extends BtfsnoopError {
  /** The spec text as given. */
  readonly spec: string;
  /** The offending part of the spec. */
  readonly span: Span;

  /** `errno`: ENOENT for unknown names, E2BIG for limits, EINVAL otherwise. */
  constructor(spec: string, span: Span, errno: ErrnoName, message: string, options?: { hint?: string; cause?: unknown }) {
    super(errno, message, options);
    this.name = "SpecResolveError";
    this.spec = spec;
    this.span = span;
  }

  /** The message, the spec with a caret under the span, then `hint: ...` when there is one. */
  get display(): string {
    const lines = [this.message, caret(this.spec, this.span)];
    if (this.hint !== undefined) lines.push(`hint: ${this.hint}`);
    return lines.join("\n");
  }
}
