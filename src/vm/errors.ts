// Errors of the VM layer: decode errors name the instruction index; a
// program fault (bad memory access, budget exhausted, bad call) names the
// instruction and stops only that run.
import { BtfsnoopError } from "../internal/errors.js";
import type { ErrnoName } from "../internal/errno.js";

/** A program that cannot be decoded or assembled (unknown opcode, reserved field set, bad operand). */
export class InsnError extends BtfsnoopError {
  /** Index of the offending instruction slot, when known. */
  readonly index: number | undefined;
  constructor(message: string, index?: number, options?: { hint?: string; errno?: ErrnoName }) {
    super(options?.errno ?? "EINVAL", index === undefined ? message : `insn ${index}: ${message}`, options);
    this.name = "InsnError";
    this.index = index;
  }
}

/** Why a run stopped early. */
export const FaultKind = {
  MEMORY: "memory",
  BUDGET: "budget",
  CALL: "call",
  STACK: "stack",
  HELPER: "helper",
} as const;
export type FaultKind = (typeof FaultKind)[keyof typeof FaultKind];

/** A run stopped by the VM's own safety checks. */
export class VmFault extends BtfsnoopError {
  readonly kind: FaultKind;
  /** Slot index of the instruction that faulted. */
  readonly pc: number;
  constructor(kind: FaultKind, pc: number, message: string, errno: ErrnoName = "EFAULT") {
    super(errno, `insn ${pc}: ${message}`);
    this.name = "VmFault";
    this.kind = kind;
    this.pc = pc;
  }
}
