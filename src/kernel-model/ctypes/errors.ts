import { BtfsnoopError } from "../../internal/errors.js";
import type { Loc } from "./ast.js";

/** A syntax or semantic error in a C header: names file:line:column, with the source line and a caret when known. */
export class CDeclError extends BtfsnoopError {
  readonly loc: Loc;
  /** The message without location or caret. */
  readonly detail: string;
  /** Whether the message already carries the source line and caret. */
  readonly hasCaret: boolean;
  constructor(loc: Loc, message: string, sourceLine?: string) {
    let text = `${loc.path}:${loc.line}:${loc.column}: ${message}`;
    // the caret line keeps the source's tabs so the caret lines up in a terminal
    if (sourceLine !== undefined) text += `\n${sourceLine}\n${sourceLine.slice(0, Math.max(0, loc.column - 1)).replace(/[^\t]/g, " ")}^`;
    super("EINVAL", text);
    this.name = "CDeclError";
    this.loc = loc;
    this.detail = message;
    this.hasCaret = sourceLine !== undefined;
  }
}
