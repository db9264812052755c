// Base error of btfsnoop: every error a layer raises on purpose is a
// BtfsnoopError with an errno name, a plain message, an optional hint and an
// optional cause (wrapped errors, like Go's %w). The CLI maps these to exit 2.
import { Errno, type ErrnoName } from "./errno.js";

export class BtfsnoopError extends Error {
  /** Kernel-style errno name, e.g. "EINVAL". */
  readonly errno: ErrnoName;
  /** What the user can do about it, if anything useful can be said. */
  readonly hint: string | undefined;

  constructor(errno: ErrnoName, message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "BtfsnoopError";
    this.errno = errno;
    this.hint = options?.hint;
  }

  /** Negative errno value, as a syscall would return it. */
  get code(): number {
    return -Errno[this.errno];
  }
}

/** Walks the `cause` chain and returns the first error that is an instance of `cls`. */
export function findCause<T>(err: unknown, cls: abstract new (...args: never[]) => T): T | undefined {
  const seen = new Set<unknown>();
  let cur: unknown = err;
  while (cur !== undefined && cur !== null && !seen.has(cur)) {
    if (cur instanceof cls) return cur;
    seen.add(cur);
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}
