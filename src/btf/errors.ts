// The one error type the BTF codec raises for bad input: it carries where the
// problem is (a byte offset in the blob, or a type id) and a plain reason.
import { BtfsnoopError } from "../internal/errors.js";
import type { ErrnoName } from "../internal/errno.js";

export interface BtfErrorLocation {
  /** Byte offset in the input (the whole blob or ELF file) where the problem is. */
  offset?: number;
  /** Type id the problem belongs to. */
  typeId?: number;
}

export class BtfError extends BtfsnoopError {
  readonly offset: number | undefined;
  readonly typeId: number | undefined;
  /** The reason without location prefix. */
  readonly reason: string;

  constructor(reason: string, where: BtfErrorLocation = {}, options?: { hint?: string; errno?: ErrnoName; cause?: unknown }) {
    const parts: string[] = [];
    if (where.typeId !== undefined) parts.push(`type [${where.typeId}]`);
    if (where.offset !== undefined) parts.push(`offset ${where.offset} (0x${where.offset.toString(16)})`);
    const errno = options?.errno ?? "EINVAL";
    // Malformed input reads "invalid BTF at ...: reason"; lookups that fail ("no such id") just name the place.
    const message =
      errno === "EINVAL"
        ? `invalid BTF${parts.length ? ` at ${parts.join(", ")}` : ""}: ${reason}`
        : `${parts.length ? `${parts.join(", ")}: ` : ""}${reason}`;
    super(errno, message, options);
    this.name = "BtfError";
    this.offset = where.offset;
    this.typeId = where.typeId;
    this.reason = reason;
  }
}
