// The verifier's rejection: the kernel-style log (every line it printed up
// to the failure), the failing instruction slot, and a one-line summary that
// is the last log line, as libbpf/cilium show it.
import { BtfsnoopError } from "../../internal/errors.js";
import type { ErrnoName } from "../../internal/errno.js";

export class VerifierError extends BtfsnoopError {
  /** Slot index of the instruction that failed, if the failure is tied to one. */
  readonly insn: number | undefined;
  /** The kernel-style message of the failure (also the last log line). */
  readonly reason: string;
  /** The whole verifier log up to and including the failure. */
  readonly log: readonly string[];

  constructor(reason: string, insn: number | undefined, log: readonly string[] = [], errno: ErrnoName = "EACCES") {
    super(errno, insn === undefined ? reason : `insn ${insn}: ${reason}`);
    this.name = "VerifierError";
    this.insn = insn;
    this.reason = reason;
    this.log = log;
  }
}

/** Ends verification with `reason` at slot `insn` and the errno the kernel returns for it (ctx.fail's is EACCES). */
export function refuse(reason: string, insn: number, errno: ErrnoName): never {
  throw new VerifierError(reason, insn, [], errno);
}
