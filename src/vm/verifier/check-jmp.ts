// Conditional jumps (the kernel's check_cond_jmp_op): decides branches whose
// outcome is known, refines scalar bounds on each side (and those of the
// scalars linked with them, scalar-ids.ts), turns *_OR_NULL
// pointers into real pointers or NULL on null checks (for every copy with
// the same id, releasing a NULL reference), and refuses pointer comparisons
// for unprivileged programs.
import type { Instruction } from "../isa/instruction.js";
import { Class, CLASS_MASK, JmpOp, OP_MASK, Source } from "../isa/opcodes.js";
import type { VerifierContext } from "./context.js";
import { cur } from "./context.js";
import { branchTaken, refineBranch } from "./scalar-branch.js";
import { constValue, isConst, scalarConst, type Scalar } from "./scalar.js";
import { syncLinked } from "./scalar-ids.js";
import { cloneState, isPointer, scalarReg } from "./state.js";
import { RegType, type RegState, type VerifierState } from "./types.js";
import { releaseReference } from "./check-call.js";

export interface BranchStates {
  /** State on the jump-taken path, or undefined if that path is impossible. */
  taken?: VerifierState;
  /** State on the fall-through path, or undefined if impossible. */
  fallthrough?: VerifierState;
}

export function checkCondJmp(ctx: VerifierContext, state: VerifierState, insn: Instruction, pc: number): BranchStates {
  const regs = cur(state).regs;
  const is64 = (insn.opcode & CLASS_MASK) === Class.JMP;
  const jop = insn.opcode & OP_MASK;
  const isX = (insn.opcode & Source.X) !== 0;
  const a = regs[insn.dst]!;
  if (a.type === RegType.NOT_INIT) ctx.fail(`R${insn.dst} !read_ok`, pc);
  const b: RegState = isX ? regs[insn.src]! : scalarReg(scalarConst(is64 ? BigInt.asUintN(64, BigInt(insn.imm)) : BigInt(insn.imm >>> 0)));
  if (isX && b.type === RegType.NOT_INIT) ctx.fail(`R${insn.src} !read_ok`, pc);

  if (!isPointer(a) && !isPointer(b)) {
    const known = branchTaken(jop, is64, a.scalar!, b.scalar!);
    if (known !== undefined) {
      // Only one side is explored: that rests on the operands' bounds.
      ctx.markPrecise(insn.dst);
      if (isX) ctx.markPrecise(insn.src);
      return known ? { taken: state } : { fallthrough: state };
    }
    const t = refineBranch(jop, is64, a.scalar!, b.scalar!, true);
    const f = refineBranch(jop, is64, a.scalar!, b.scalar!, false);
    const out: BranchStates = {};
    if (t) out.taken = withScalars(state, insn, isX, t[0], t[1]);
    if (f) out.fallthrough = withScalars(cloneState(state), insn, isX, f[0], f[1]);
    return out;
  }

  // A pointer compared with the constant 0: null checks.
  const zero = !isPointer(b) && isConst(b.scalar!) && constValue(b.scalar!) === 0n;
  if (zero && isX && isPointer(a)) ctx.markPrecise(insn.src); // a null check only because the register is 0
  if (isPointer(a) && zero && is64 && (jop === JmpOp.JEQ || jop === JmpOp.JNE)) {
    if (a.type === RegType.PTR_TO_MAP_VALUE_OR_NULL || a.type === RegType.PTR_TO_MEM_OR_NULL || a.type === RegType.PTR_TO_BTF_ID_OR_NULL) {
      const isNull = cloneState(state);
      markNull(isNull, a.id!, a.refObjId, true);
      const nonNull = state;
      markNull(nonNull, a.id!, a.refObjId, false);
      return jop === JmpOp.JEQ ? { taken: isNull, fallthrough: nonNull } : { taken: nonNull, fallthrough: isNull };
    }
    // Pointers the verifier produced are never NULL (typed kernel pointers may be, reads of them are checked).
    if (a.type !== RegType.PTR_TO_BTF_ID) return jop === JmpOp.JEQ ? { fallthrough: state } : { taken: state };
  }
  // The kernel checks the source operand first: with two pointers it names the source.
  if (!ctx.options.privileged) ctx.fail(`R${isX && isPointer(b) ? insn.src : insn.dst} pointer comparison prohibited`, pc);
  // Compared with anything else, a pointer (even one that may be NULL) stays as it is on both sides.
  return { taken: state, fallthrough: cloneState(state) };
}

/**
 * The compared registers take their refined bounds (keeping their ids),
 * then every scalar linked with one of them takes them too (the kernel's
 * sync_linked_regs: the source's group first, then the destination's).
 */
function withScalars(state: VerifierState, insn: Instruction, isX: boolean, a: Scalar, b: Scalar): VerifierState {
  const regs = cur(state).regs;
  regs[insn.dst] = { ...regs[insn.dst]!, scalar: a };
  if (isX) {
    regs[insn.src] = { ...regs[insn.src]!, scalar: b };
    syncLinked(state, regs[insn.src]!);
  }
  syncLinked(state, regs[insn.dst]!);
  return state;
}

/** Every copy of the *_OR_NULL pointer `id` (registers and spills, all frames) becomes NULL or the real pointer. */
function markNull(state: VerifierState, id: number, ref: number | undefined, isNull: boolean): void {
  const fix = (r: RegState): RegState => {
    if (r.id !== id || (r.type !== RegType.PTR_TO_MAP_VALUE_OR_NULL && r.type !== RegType.PTR_TO_MEM_OR_NULL && r.type !== RegType.PTR_TO_BTF_ID_OR_NULL)) return r;
    if (isNull) return scalarReg(scalarConst(0n));
    const { id: _drop, ...rest } = r;
    void _drop;
    if (r.type === RegType.PTR_TO_BTF_ID_OR_NULL) return { type: RegType.PTR_TO_BTF_ID, btfId: r.btfId!, off: r.off ?? 0 };
    return { ...rest, type: r.type === RegType.PTR_TO_MAP_VALUE_OR_NULL ? RegType.PTR_TO_MAP_VALUE : RegType.PTR_TO_MEM };
  };
  for (const f of state.frames) {
    for (let i = 0; i < f.regs.length; i++) f.regs[i] = fix(f.regs[i]!);
    for (let i = 0; i < f.spills.length; i++) if (f.spills[i]) f.spills[i] = fix(f.spills[i]!);
  }
  // A NULL record was never reserved: nothing to release.
  if (isNull && ref !== undefined) releaseReference(state, ref);
}
