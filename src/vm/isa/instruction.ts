// The instruction record: one eBPF instruction as data. An lddw is one
// Instruction occupying two 8-byte slots (its second imm in `imm2`). Jump and
// call offsets are in slots, relative to the next slot, as on the wire.
import { Class, CLASS_MASK, LDDW } from "./opcodes.js";

export interface Instruction {
  /** The opcode byte. */
  opcode: number;
  /** Destination register 0..10 (low nibble of the regs byte). */
  dst: number;
  /** Source register 0..10 (high nibble), or the pseudo src of lddw/call. */
  src: number;
  /** Signed 16-bit offset. */
  off: number;
  /** Signed 32-bit immediate. */
  imm: number;
  /** lddw only: the second slot's signed 32-bit immediate (upper half of the 64-bit value). */
  imm2?: number;
}

/** Number of 8-byte slots an instruction takes (2 for lddw). */
export function slotCount(insn: Instruction): number {
  return insn.opcode === LDDW ? 2 : 1;
}

/** The class of an instruction. */
export function classOf(insn: Instruction): number {
  return insn.opcode & CLASS_MASK;
}

/** Whether the class is ALU or ALU64. */
export function isAlu(opcode: number): boolean {
  const c = opcode & CLASS_MASK;
  return c === Class.ALU || c === Class.ALU64;
}

/** Whether the class is JMP or JMP32. */
export function isJmp(opcode: number): boolean {
  const c = opcode & CLASS_MASK;
  return c === Class.JMP || c === Class.JMP32;
}

/** The 64-bit value of an lddw with src 0: (imm2 << 32) | (u32)imm. */
export function lddwValue(insn: Instruction): bigint {
  return (BigInt((insn.imm2 ?? 0) >>> 0) << 32n) | BigInt(insn.imm >>> 0);
}

/** A decoded program: instructions, and the slot index where each starts. */
export interface Program {
  readonly insns: readonly Instruction[];
  /** slotOf[i] = slot index of insns[i]; slotOf[insns.length] = total slots. */
  readonly slotOf: readonly number[];
}
