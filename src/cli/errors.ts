// How the CLI reports failures: one line on stderr (what, where, why, and a
// hint; a probe spec's error adds the spec with a caret, a usage error the
// command's usage line) and an exit code: 2 for usage and input errors, 1
// for anything else.
import { BtfsnoopError } from "../internal/errors.js";
import { caret } from "../probe-spec/spec-error.js";

/** A command line that yargs (or a command) refuses: bad option, missing argument. */
export class UsageError extends BtfsnoopError {
  /** The command's usage line (`btfsnoop info FUNC...`), shown under the message when set. */
  readonly usage: string | undefined;
  /** The command whose --help the message points to (`btfsnoop info`); `btfsnoop` when unset. */
  readonly command: string;

  constructor(message: string, usage?: string, command = "btfsnoop") {
    super("EINVAL", message.replace(/\s*\n\s*/g, " ").trim());
    this.name = "UsageError";
    this.usage = usage;
    this.command = command;
  }
}

/** Thrown by a command that has printed its result and wants a specific exit code (e.g. 1 = "rejected"). */
export class ExitStatus {
  constructor(readonly code: number) {}
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Formats an error as the CLI prints it on stderr: one line (a spec error adds the spec and caret, a usage error its usage line). */
export function formatCliError(err: unknown): string {
  if (err instanceof UsageError) {
    if (err.usage === undefined) return `btfsnoop: usage error: ${err.message} (run '${err.command} --help' for usage)`;
    return `btfsnoop: usage error: ${err.message}\nusage: ${err.usage} (run '${err.command} --help' for the options)`;
  }
  if (err instanceof BtfsnoopError) {
    // Probe-spec errors show the spec with a caret under the problem.
    const spec = err as BtfsnoopError & { spec?: unknown; span?: { start: number; end: number } };
    if (typeof spec.spec === "string" && spec.span) {
      const lines = [`btfsnoop: error: ${err.message}`, ...caret(spec.spec, spec.span).split("\n").map((l) => `    ${l}`)];
      if (err.hint) lines.push(`hint: ${err.hint}`);
      return lines.join("\n");
    }
    return `btfsnoop: error: ${err.message}${err.hint ? ` (hint: ${err.hint})` : ""}`;
  }
  const e = err as Error;
  // One line by default; the stack only when asked for.
  if (process.env.BTFSNOOP_DEBUG) return `btfsnoop: internal error: ${e?.stack ?? String(err)}`;
  return `btfsnoop: internal error: ${e?.message ?? String(err)} (this is a bug; set BTFSNOOP_DEBUG=1 for the stack)`;
}

/** Exit code for an error: input/usage problems are 2, internal failures 1. */
export function exitCodeFor(err: unknown): number {
  return err instanceof BtfsnoopError ? EXIT_USAGE : EXIT_FAILURE;
}
