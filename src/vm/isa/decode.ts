// Decoding: 8-byte little-endian slots → Instruction records, with the
// strict RFC 9669 well-formedness check (known opcode, registers 0..10,
// every unused field zero, constrained fields within their allowed values).
// The accepted set is RFC 9669 at CPU v4 plus callx (0x8d, register in dst),
// call src 0/1/2 and the legacy packet loads LD_ABS/LD_IND (W/H/B).
// Each refusal also carries the words Linux's verifier uses for it
// (DecodeError.kernelReason) and decodeForLoad reports them in the kernel's
// order, for bpf(2) loads; the RFC wording stays for the conformance suite,
// the assembler and the disassembler.
import { InsnError } from "../errors.js";
import {
  AluOp,
  AtomicOp,
  Class,
  CLASS_MASK,
  hex2,
  JmpOp,
  LDDW,
  MAX_REG,
  Mode,
  MODE_MASK,
  OP_MASK,
  opcodeName,
  PseudoCall,
  PseudoLd,
  Size,
  SIZE_MASK,
  Source,
  SOURCE_MASK,
} from "./opcodes.js";
import type { Instruction, Program } from "./instruction.js";

/**
 * A malformed instruction: the RFC-style message, and what Linux's verifier
 * says for it. `kernelPass` is when the kernel finds it: 1 in its first
 * pass over the whole program (resolve_pseudo_ldimm64: opcodes not in its
 * instruction table, lddw's second slot and pseudo sources), 2 when it
 * reaches the instruction (do_check: registers and reserved fields).
 */
export class DecodeError extends InsnError {
  readonly kernelReason: string;
  readonly kernelPass: 1 | 2;
  constructor(message: string, index: number, kernelReason: string, kernelPass: 1 | 2) {
    super(message, index);
    this.kernelReason = kernelReason;
    this.kernelPass = kernelPass;
  }
}

/** Linux's "<class> uses reserved fields" for an instruction (check_alu_op, do_check, check_ld_abs, check_ld_imm). */
function kernelReserved(insn: Instruction): string {
  const op = insn.opcode & OP_MASK;
  switch (insn.opcode & CLASS_MASK) {
    case Class.ALU:
    case Class.ALU64:
      return op === AluOp.END ? "BPF_END uses reserved fields" : op === AluOp.NEG ? "BPF_NEG uses reserved fields" : op === AluOp.MOV ? "BPF_MOV uses reserved fields" : "BPF_ALU uses reserved fields";
    case Class.JMP:
    case Class.JMP32:
      return op === JmpOp.JA ? "BPF_JA uses reserved fields" : op === JmpOp.CALL ? "BPF_CALL uses reserved fields" : op === JmpOp.EXIT ? "BPF_EXIT uses reserved fields" : "BPF_JMP/JMP32 uses reserved fields";
    case Class.LD:
      return insn.opcode === LDDW ? "BPF_LD_IMM64 uses reserved fields" : "BPF_LD_[ABS|IND] uses reserved fields";
    case Class.LDX:
      return "BPF_LDX uses reserved fields";
    case Class.ST:
      return "BPF_ST uses reserved fields";
    default:
      return "BPF_STX uses reserved fields";
  }
}

/** Bytes per instruction slot. */
export const SLOT_SIZE = 8;

/** The imm values an ATOMIC store may carry. */
export const ATOMIC_IMMS: ReadonlySet<number> = new Set([
  AtomicOp.ADD,
  AtomicOp.ADD | AtomicOp.FETCH,
  AtomicOp.OR,
  AtomicOp.OR | AtomicOp.FETCH,
  AtomicOp.AND,
  AtomicOp.AND | AtomicOp.FETCH,
  AtomicOp.XOR,
  AtomicOp.XOR | AtomicOp.FETCH,
  AtomicOp.XCHG,
  AtomicOp.CMPXCHG,
]);

/**
 * Reads the raw fields of the slot at `slot` (no validation). The caller
 * guarantees `bytes` holds at least (slot + 1) * 8 bytes.
 */
export function decodeInsn(bytes: Uint8Array, slot: number): Instruction {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const p = slot * SLOT_SIZE;
  const regs = view.getUint8(p + 1);
  return {
    opcode: view.getUint8(p),
    dst: regs & 0x0f,
    src: regs >> 4,
    off: view.getInt16(p + 2, true),
    imm: view.getInt32(p + 4, true),
  };
}

/**
 * Decodes and validates a whole program. Throws InsnError ("insn N: …",
 * N = slot index) on the first malformed instruction, on a length that is
 * not a multiple of 8, on an empty program, and on an lddw cut off at the end.
 */
export function decodeProgram(bytes: Uint8Array): Program {
  return decodeSlots(bytes, false);
}

/** decodeProgram; with `deferLdAbs`, LD_ABS/LD_IND fields are left to the verifier (check_ld_abs). */
function decodeSlots(bytes: Uint8Array, deferLdAbs: boolean): Program {
  if (bytes.length === 0) throw new InsnError("empty program");
  if (bytes.length % SLOT_SIZE !== 0) {
    throw new InsnError(
      `program length ${bytes.length} is not a multiple of ${SLOT_SIZE}`,
      Math.floor(bytes.length / SLOT_SIZE),
    );
  }
  const nslots = bytes.length / SLOT_SIZE;
  const insns: Instruction[] = [];
  const slotOf: number[] = [];
  let slot = 0;
  while (slot < nslots) {
    const insn = decodeInsn(bytes, slot);
    if (insn.opcode === LDDW) {
      if (slot + 1 >= nslots) throw new DecodeError("lddw truncated: its second slot is missing at end of program", slot, "invalid bpf_ld_imm64 insn", 1);
      const second = decodeInsn(bytes, slot + 1);
      checkLddwSecondSlot(second, slot);
      insn.imm2 = second.imm;
    }
    validateInsn(insn, slot, deferLdAbs);
    insns.push(insn);
    slotOf.push(slot);
    slot += insn.opcode === LDDW ? 2 : 1;
  }
  slotOf.push(slot);
  return { insns, slotOf };
}

/**
 * decodeProgram for a bpf(2) load: throws the refusal Linux reports first.
 * Its first pass (unknown opcodes, lddw) covers the whole program before
 * any instruction's registers and reserved fields are checked, so a
 * first-pass refusal in a later slot wins over a second-pass one.
 */
export function decodeForLoad(bytes: Uint8Array): Program {
  try {
    // check_ld_abs refuses an LD_ABS/LD_IND's fields after its program type check (check-ld-abs.ts).
    return decodeSlots(bytes, true);
  } catch (e) {
    if (!(e instanceof DecodeError) || e.kernelPass === 1) throw e;
    // From the instruction after the refused one (an lddw takes two slots).
    const next = e.index! + (decodeInsn(bytes, e.index!).opcode === LDDW ? 2 : 1);
    throw firstPassError(bytes, next) ?? e;
  }
}

/** The first first-pass refusal (DecodeError.kernelPass 1) at slot `from` or later, if any. */
function firstPassError(bytes: Uint8Array, from: number): DecodeError | undefined {
  const nslots = bytes.length / SLOT_SIZE;
  for (let slot = from; slot < nslots; ) {
    const insn = decodeInsn(bytes, slot);
    const lddw = insn.opcode === LDDW;
    try {
      if (lddw) {
        if (slot + 1 >= nslots) throw new DecodeError("lddw truncated: its second slot is missing at end of program", slot, "invalid bpf_ld_imm64 insn", 1);
        const second = decodeInsn(bytes, slot + 1);
        checkLddwSecondSlot(second, slot);
        insn.imm2 = second.imm;
      }
      validateInsn(insn, slot, true);
    } catch (e) {
      if (e instanceof DecodeError && e.kernelPass === 1) return e;
    }
    slot += lddw ? 2 : 1;
  }
  return undefined;
}

function checkLddwSecondSlot(second: Instruction, slot: number): void {
  const fields: [string, number][] = [
    ["opcode", second.opcode],
    ["dst", second.dst],
    ["src", second.src],
    ["off", second.off],
  ];
  for (const [name, value] of fields) {
    if (value !== 0) {
      const shown = name === "opcode" ? `0x${hex2(value)}` : String(value);
      throw new DecodeError(`non-zero reserved field ${name}=${shown} in second slot of lddw (0x18)`, slot, "invalid bpf_ld_imm64 insn", 1);
    }
  }
}

/** Which fields an instruction form requires to be zero. */
interface Zero {
  dst?: boolean;
  src?: boolean;
  off?: boolean;
  imm?: boolean;
}

function describe(insn: Instruction): string {
  return `${opcodeName(insn.opcode)} (0x${hex2(insn.opcode)})`;
}

function requireZero(insn: Instruction, index: number, zero: Zero): void {
  const order = ["dst", "src", "off", "imm"] as const;
  for (const f of order) {
    if (zero[f] === true && insn[f] !== 0) {
      throw new DecodeError(`non-zero reserved field ${f}=${insn[f]} in ${describe(insn)}`, index, kernelReserved(insn), 2);
    }
  }
}

function requireReg(insn: Instruction, index: number, field: "dst" | "src"): void {
  const r = insn[field];
  if (!Number.isInteger(r) || r < 0 || r > MAX_REG) {
    throw new DecodeError(`invalid ${field} register r${r} in ${describe(insn)}`, index, `R${r} is invalid`, 2);
  }
}

function unknown(insn: Instruction, index: number): never {
  throw new DecodeError(`unknown opcode 0x${hex2(insn.opcode)}`, index, `unknown opcode ${hex2(insn.opcode)}`, 1);
}

function invalid(insn: Instruction, index: number, field: "off" | "imm" | "src", allowed: string): never {
  // An lddw's source is resolved in the kernel's first pass; anything else is a reserved field.
  const lddwSrc = insn.opcode === LDDW && field === "src";
  throw new DecodeError(`invalid ${field}=${insn[field]} in ${describe(insn)} (${allowed})`, index, lddwSrc ? "unrecognized bpf_ld_imm64 insn" : kernelReserved(insn), lddwSrc ? 1 : 2);
}

/**
 * Checks one instruction record against the ISA: known opcode, registers,
 * reserved fields, allowed values. `index` is the slot index for the error.
 * lddw records must carry `imm2` (the second slot's imm).
 */
export function validateInsn(insn: Instruction, index: number, deferLdAbs = false): void {
  const { opcode } = insn;
  if (!Number.isInteger(opcode) || opcode < 0 || opcode > 0xff) {
    throw new InsnError(`invalid opcode ${opcode}`, index);
  }
  switch (opcode & CLASS_MASK) {
    case Class.ALU:
    case Class.ALU64:
      return validateAlu(insn, index);
    case Class.JMP:
    case Class.JMP32:
      return validateJmp(insn, index);
    case Class.LD:
      return validateLd(insn, index, deferLdAbs);
    case Class.LDX:
      return validateLdx(insn, index);
    case Class.ST:
      return validateSt(insn, index);
    default:
      return validateStx(insn, index);
  }
}

function validateAlu(insn: Instruction, index: number): void {
  const { opcode } = insn;
  const is64 = (opcode & CLASS_MASK) === Class.ALU64;
  const op = opcode & OP_MASK;
  const x = (opcode & SOURCE_MASK) === Source.X;
  if (op > AluOp.END) unknown(insn, index);
  if (op === AluOp.END) {
    // 0xd4 le, 0xdc be (ALU); 0xd7 bswap (ALU64, K only).
    if (is64 && x) unknown(insn, index);
    requireZero(insn, index, { src: true, off: true });
    requireReg(insn, index, "dst");
    if (insn.imm !== 16 && insn.imm !== 32 && insn.imm !== 64) invalid(insn, index, "imm", "must be 16, 32 or 64");
    return;
  }
  if (op === AluOp.NEG) {
    if (x) unknown(insn, index);
    requireZero(insn, index, { src: true, off: true, imm: true });
    requireReg(insn, index, "dst");
    return;
  }
  requireReg(insn, index, "dst");
  if (x) {
    requireZero(insn, index, { imm: true });
    requireReg(insn, index, "src");
  } else {
    requireZero(insn, index, { src: true });
  }
  if (insn.off === 0) return;
  if (op === AluOp.DIV || op === AluOp.MOD) {
    if (insn.off !== 1) invalid(insn, index, "off", `must be 0 (${op === AluOp.DIV ? "div" : "mod"}) or 1 (s${op === AluOp.DIV ? "div" : "mod"})`);
    return;
  }
  if (op === AluOp.MOV && x) {
    const ok = insn.off === 8 || insn.off === 16 || (is64 && insn.off === 32);
    if (!ok) invalid(insn, index, "off", is64 ? "must be 0, 8, 16 or 32" : "must be 0, 8 or 16");
    return;
  }
  requireZero(insn, index, { off: true });
}

function validateJmp(insn: Instruction, index: number): void {
  const { opcode } = insn;
  const is32 = (opcode & CLASS_MASK) === Class.JMP32;
  const op = opcode & OP_MASK;
  const x = (opcode & SOURCE_MASK) === Source.X;
  if (op > JmpOp.JSLE) unknown(insn, index);
  switch (op) {
    case JmpOp.JA:
      if (x) unknown(insn, index);
      // JMP|JA: target in off; JMP32|JA (gotol): target in imm.
      requireZero(insn, index, is32 ? { dst: true, src: true, off: true } : { dst: true, src: true, imm: true });
      return;
    case JmpOp.CALL:
      if (is32) unknown(insn, index);
      if (x) {
        // callx: target register in dst.
        requireZero(insn, index, { src: true, off: true, imm: true });
        requireReg(insn, index, "dst");
        return;
      }
      requireZero(insn, index, { dst: true, off: true });
      if (insn.src !== PseudoCall.HELPER && insn.src !== PseudoCall.LOCAL && insn.src !== PseudoCall.KFUNC) {
        invalid(insn, index, "src", "must be 0 (helper), 1 (local call) or 2 (kfunc)");
      }
      return;
    case JmpOp.EXIT:
      if (is32 || x) unknown(insn, index);
      requireZero(insn, index, { dst: true, src: true, off: true, imm: true });
      return;
    default:
      requireReg(insn, index, "dst");
      if (x) {
        requireZero(insn, index, { imm: true });
        requireReg(insn, index, "src");
      } else {
        requireZero(insn, index, { src: true });
      }
  }
}

function validateLd(insn: Instruction, index: number, deferLdAbs: boolean): void {
  const { opcode } = insn;
  const mode = opcode & MODE_MASK;
  const size = opcode & SIZE_MASK;
  if (opcode === LDDW) {
    // The source first: Linux checks it in its first pass (resolve_pseudo_ldimm64), the rest at the instruction.
    if (insn.src > PseudoLd.MAP_IDX_VALUE) invalid(insn, index, "src", "must be 0..6");
    requireZero(insn, index, { off: true });
    requireReg(insn, index, "dst");
    if (insn.imm2 === undefined) throw new InsnError("lddw without its second slot (imm2)", index);
    // map_by_fd, var_addr, code_addr and map_by_idx use only imm: next_imm is unused.
    const usesImm2 =
      insn.src === PseudoLd.IMM64 || insn.src === PseudoLd.MAP_VALUE || insn.src === PseudoLd.MAP_IDX_VALUE;
    if (!usesImm2 && insn.imm2 !== 0) {
      throw new DecodeError(`non-zero reserved field imm=${insn.imm2} in second slot of lddw (0x18) with src=${insn.src}`, index, "unrecognized bpf_ld_imm64 insn", 1);
    }
    return;
  }
  if ((mode === Mode.ABS || mode === Mode.IND) && size !== Size.DW) {
    if (deferLdAbs) return;
    // Legacy packet loads: R0 = ntoh(*(skb + [src +] imm)); dst and off unused.
    requireZero(insn, index, mode === Mode.ABS ? { dst: true, src: true, off: true } : { dst: true, off: true });
    if (mode === Mode.IND) requireReg(insn, index, "src");
    return;
  }
  unknown(insn, index);
}

function validateLdx(insn: Instruction, index: number): void {
  const mode = insn.opcode & MODE_MASK;
  const size = insn.opcode & SIZE_MASK;
  if (!(mode === Mode.MEM || (mode === Mode.MEMSX && size !== Size.DW))) unknown(insn, index);
  requireZero(insn, index, { imm: true });
  requireReg(insn, index, "dst");
  requireReg(insn, index, "src");
}

function validateSt(insn: Instruction, index: number): void {
  if ((insn.opcode & MODE_MASK) !== Mode.MEM) unknown(insn, index);
  requireZero(insn, index, { src: true });
  requireReg(insn, index, "dst");
}

function validateStx(insn: Instruction, index: number): void {
  const mode = insn.opcode & MODE_MASK;
  const size = insn.opcode & SIZE_MASK;
  if (mode === Mode.MEM) {
    requireZero(insn, index, { imm: true });
  } else if (mode === Mode.ATOMIC && (size === Size.W || size === Size.DW)) {
    if (!ATOMIC_IMMS.has(insn.imm)) {
      throw new DecodeError(`invalid atomic operation imm=0x${(insn.imm >>> 0).toString(16)} in ${describe(insn)}`, index, `BPF_ATOMIC uses invalid atomic opcode ${(insn.imm >>> 0).toString(16).padStart(2, "0")}`, 2);
    }
  } else {
    unknown(insn, index);
  }
  requireReg(insn, index, "dst");
  requireReg(insn, index, "src");
}
