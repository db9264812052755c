// The legacy packet loads BPF_LD | BPF_ABS and BPF_LD | BPF_IND (the
// kernel's check_ld_abs): only program types that may access an skb, never
// in a subprogram (no BTF function info here), never with references held;
// R6 must be the unmodified context, LD_IND's index register readable; the
// call clobbers R1-R5 and leaves an unknown scalar in R0. After
// verification each one becomes, as the kernel's bpf_gen_ld_abs emits, a
// call to an internal skb load (big-endian, 1, 2 or 4 bytes) that returns
// 0 from the (sub)program when the bytes are out of the packet.
import type { Instruction } from "../isa/instruction.js";
import { AluOp, Class, JmpOp, Mode, SIZE_BYTES, SIZE_MASK, Size, Source } from "../isa/opcodes.js";
import { SKB_LOAD_HELPER_ID } from "../helpers/skb.js";
import { cur, type VerifierContext } from "./context.js";
import { VerifierError } from "./errors.js";
import { scalarUnknown } from "./scalar.js";
import { NOT_INIT, scalarReg } from "./state.js";
import { RegType, type VerifierState } from "./types.js";

/** Ends verification with the kernel's -EINVAL (check_ld_abs's own refusals; unreadable registers are -EACCES). */
function invalid(reason: string, pc: number): never {
  throw new VerifierError(reason, pc, [], "EINVAL");
}

/** Checks the LD_ABS/LD_IND at `pc`; fails with the kernel's message. Returns the next slot. */
export function checkLdAbs(ctx: VerifierContext, state: VerifierState, insn: Instruction, pc: number): number {
  const frame = cur(state);
  const mode = insn.opcode & 0xe0;
  if (mode !== Mode.ABS && mode !== Mode.IND) invalid(`unknown opcode ${insn.opcode.toString(16).padStart(2, "0")}`, pc);
  if (frame.subprog !== 0) invalid(`LD_ABS is not allowed in subprogs without BTF`, pc);
  if (!ctx.options.progType.mayAccessSkb) invalid(`BPF_LD_[ABS|IND] instructions not allowed for this program type`, pc);
  if (insn.dst !== 0 || insn.off !== 0 || (insn.opcode & SIZE_MASK) === Size.DW || (mode === Mode.ABS && insn.src !== 0)) {
    invalid(`BPF_LD_[ABS|IND] uses reserved fields`, pc);
  }
  const regs = frame.regs;
  if (regs[6]!.type === RegType.NOT_INIT) ctx.fail(`R6 !read_ok`, pc);
  // The load may end the program early: a reference held now would leak (check_reference_leak).
  if (state.refs.size) {
    for (const [ref, at] of state.refs) ctx.log(`Unreleased reference id=${ref} alloc_insn=${at}`);
    invalid(`BPF_LD_[ABS|IND] cannot be mixed with socket references`, pc);
  }
  if (regs[6]!.type !== RegType.PTR_TO_CTX) invalid(`at the time of BPF_LD_ABS|IND R6 != pointer to skb`, pc);
  // A bpf(2) load leaves these fields to the verifier (decodeForLoad): check_reg_arg's refusal.
  if (mode === Mode.IND && insn.src > 10) invalid(`R${insn.src} is invalid`, pc);
  if (mode === Mode.IND && regs[insn.src]!.type === RegType.NOT_INIT) ctx.fail(`R${insn.src} !read_ok`, pc);
  if (regs[6]!.off) ctx.fail(`dereference of modified ctx ptr R6 off=${regs[6]!.off} disallowed`, pc);
  for (let r = 1; r <= 5; r++) regs[r] = NOT_INIT;
  regs[0] = scalarReg(scalarUnknown());
  return pc + 1;
}

const insn = (opcode: number, dst: number, src: number, off: number, imm: number): Instruction => ({ opcode, dst, src, off, imm });

/**
 * What the verified LD_ABS/LD_IND `ld` runs as (bpf_gen_ld_abs): r2 = the
 * offset, r1 = the skb (R6), the internal load call, and on a negative
 * result `w0 = 0; exit`.
 */
export function genLdAbs(ld: Instruction): Instruction[] {
  const size = SIZE_BYTES[(ld.opcode & SIZE_MASK) >> 3]! as 1 | 2 | 4;
  const out: Instruction[] = [];
  if ((ld.opcode & 0xe0) === Mode.IND) {
    out.push(insn(Class.ALU64 | AluOp.MOV | Source.X, 2, ld.src, 0, 0));
    if (ld.imm) out.push(insn(Class.ALU64 | AluOp.ADD | Source.K, 2, 0, 0, ld.imm));
  } else out.push(insn(Class.ALU64 | AluOp.MOV | Source.K, 2, 0, 0, ld.imm));
  out.push(insn(Class.ALU64 | AluOp.MOV | Source.X, 1, 6, 0, 0));
  out.push(insn(Class.JMP | JmpOp.CALL, 0, 0, 0, SKB_LOAD_HELPER_ID[size]));
  out.push(insn(Class.JMP | JmpOp.JSGE | Source.K, 0, 0, 2, 0));
  out.push(insn(Class.ALU | AluOp.XOR | Source.X, 0, 0, 0, 0));
  out.push(insn(Class.JMP | JmpOp.EXIT, 0, 0, 0, 0));
  return out;
}
