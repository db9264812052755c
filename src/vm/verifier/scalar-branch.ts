// Scalar reasoning for conditional jumps (the kernel's
// is_scalar_branch_taken, regs_refine_cond_op / reg_set_min_max): whether a
// comparison's outcome is known, and each side's refined operands.
import { JmpOp } from "../isa/opcodes.js";
import {
  tnumAnd,
  tnumConst,
  tnumIntersect,
  tnumIsConst,
  tnumOr,
  tnumOverlap,
  tnumSubreg,
  tnumSubregIsConst,
  tnumWithSubreg,
} from "./tnum.js";
import { LO32, type Reg, type Scalar, copyReg, done, max, min, regBoundsSync, s32, s64, scalarSanityCheck, u32, u64 } from "./scalar.js";

// ---------------------------------------------------------------------------
// Conditional jumps

/** flip_opcode: `a OP b` is `b FLIP[OP] a`. */
const FLIP: Readonly<Record<number, number>> = {
  [JmpOp.JEQ]: JmpOp.JEQ,
  [JmpOp.JNE]: JmpOp.JNE,
  [JmpOp.JSET]: JmpOp.JSET,
  [JmpOp.JGE]: JmpOp.JLE,
  [JmpOp.JGT]: JmpOp.JLT,
  [JmpOp.JLE]: JmpOp.JGE,
  [JmpOp.JLT]: JmpOp.JGT,
  [JmpOp.JSGE]: JmpOp.JSLE,
  [JmpOp.JSGT]: JmpOp.JSLT,
  [JmpOp.JSLE]: JmpOp.JSGE,
  [JmpOp.JSLT]: JmpOp.JSGT,
};

/** The opcode of `b OP' a` equivalent to `a OP b`. */
export function flipJmpOp(jop: number): number {
  const f = FLIP[jop];
  if (f === undefined) throw new RangeError(`unsupported conditional jump op 0x${jop.toString(16)}`);
  return f;
}

/** Internal code of the negation of JSET ("no common bit"), as the kernel's BPF_JSET | BPF_X. */
const JSET_NOT = JmpOp.JSET | 0x08;

/** rev_opcode: the condition of the fall-through branch. */
function revJmpOp(jop: number): number {
  switch (jop) {
    case JmpOp.JEQ: return JmpOp.JNE;
    case JmpOp.JNE: return JmpOp.JEQ;
    case JmpOp.JSET: return JSET_NOT;
    case JSET_NOT: return JmpOp.JSET;
    case JmpOp.JGE: return JmpOp.JLT;
    case JmpOp.JGT: return JmpOp.JLE;
    case JmpOp.JLE: return JmpOp.JGT;
    case JmpOp.JLT: return JmpOp.JGE;
    case JmpOp.JSGE: return JmpOp.JSLT;
    case JmpOp.JSGT: return JmpOp.JSLE;
    case JmpOp.JSLE: return JmpOp.JSGT;
    case JmpOp.JSLT: return JmpOp.JSGE;
    default: throw new RangeError(`unsupported conditional jump op 0x${jop.toString(16)}`);
  }
}

function isRegConst(r: Scalar, is32: boolean): boolean {
  return is32 ? tnumSubregIsConst(r.var) : tnumIsConst(r.var);
}

function regConstValue(r: Scalar, is32: boolean): bigint {
  return is32 ? r.var.value & LO32 : r.var.value;
}

/** is_scalar_branch_taken: 1 always, 0 never, -1 unknown. */
function isScalarBranchTaken(r1: Scalar, r2: Scalar, jop: number, is32: boolean): 1 | 0 | -1 {
  let t1 = is32 ? tnumSubreg(r1.var) : r1.var;
  let t2 = is32 ? tnumSubreg(r2.var) : r2.var;
  const umin1 = is32 ? r1.u32min : r1.umin;
  const umax1 = is32 ? r1.u32max : r1.umax;
  const smin1 = is32 ? r1.s32min : r1.smin;
  const smax1 = is32 ? r1.s32max : r1.smax;
  const umin2 = is32 ? r2.u32min : r2.umin;
  const umax2 = is32 ? r2.u32max : r2.umax;
  const smin2 = is32 ? r2.s32min : r2.smin;
  const smax2 = is32 ? r2.s32max : r2.smax;

  switch (jop) {
    case JmpOp.JEQ:
    case JmpOp.JNE: {
      const eq = jop === JmpOp.JEQ;
      if (tnumIsConst(t1) && tnumIsConst(t2)) return (t1.value === t2.value) === eq ? 1 : 0;
      const never = eq ? 0 : 1;
      // Disjoint ranges or contradicting known bits: never equal.
      if (umin1 > umax2 || umax1 < umin2) return never;
      if (smin1 > smax2 || smax1 < smin2) return never;
      if (!tnumOverlap(t1, t2)) return never;
      if (!is32) {
        if (r1.u32min > r2.u32max || r1.u32max < r2.u32min) return never;
        if (r1.s32min > r2.s32max || r1.s32max < r2.s32min) return never;
      }
      return -1;
    }
    case JmpOp.JSET: {
      let a = r1;
      let b = r2;
      if (!isRegConst(b, is32)) {
        [a, b] = [b, a];
        [t1, t2] = [t2, t1];
      }
      if (!isRegConst(b, is32)) return -1;
      if ((~t1.mask & t1.value & t2.value) !== 0n) return 1;
      if (((t1.mask | t1.value) & t2.value) === 0n) return 0;
      return -1;
    }
    case JmpOp.JGT:
      if (umin1 > umax2) return 1;
      if (umax1 <= umin2) return 0;
      return -1;
    case JmpOp.JSGT:
      if (smin1 > smax2) return 1;
      if (smax1 <= smin2) return 0;
      return -1;
    case JmpOp.JLT:
      if (umax1 < umin2) return 1;
      if (umin1 >= umax2) return 0;
      return -1;
    case JmpOp.JSLT:
      if (smax1 < smin2) return 1;
      if (smin1 >= smax2) return 0;
      return -1;
    case JmpOp.JGE:
      if (umin1 >= umax2) return 1;
      if (umax1 < umin2) return 0;
      return -1;
    case JmpOp.JSGE:
      if (smin1 >= smax2) return 1;
      if (smax1 < smin2) return 0;
      return -1;
    case JmpOp.JLE:
      if (umax1 <= umin2) return 1;
      if (umin1 > umax2) return 0;
      return -1;
    case JmpOp.JSLE:
      if (smax1 <= smin2) return 1;
      if (smin1 > smax2) return 0;
      return -1;
    default:
      throw new RangeError(`unsupported conditional jump op 0x${jop.toString(16)}`);
  }
}

/**
 * Whether `a JOP b` (JMP when is64; JMP32 compares the low 32 bits) is
 * always true (true), always false (false) or unknown (undefined).
 * JOP: JmpOp.JEQ JNE JSET JGT JGE JLT JLE JSGT JSGE JSLT JSLE.
 */
export function branchTaken(jop: number, is64: boolean, a: Scalar, b: Scalar): boolean | undefined {
  const r = isScalarBranchTaken(a, b, jop, !is64);
  return r === -1 ? undefined : r === 1;
}

/** regs_refine_cond_op: narrow r1 and r2 given that `r1 op r2` holds. */
function regsRefineCondOp(reg1: Reg, reg2: Reg, jop: number, is32: boolean): void {
  let r1 = reg1;
  let r2 = reg2;
  let op = jop;
  switch (op) {
    case JmpOp.JGE:
    case JmpOp.JGT:
    case JmpOp.JSGE:
    case JmpOp.JSGT:
      op = flipJmpOp(op);
      [r1, r2] = [r2, r1];
      break;
    default:
      break;
  }

  switch (op) {
    case JmpOp.JEQ:
      if (is32) {
        r1.u32min = max(r1.u32min, r2.u32min);
        r1.u32max = min(r1.u32max, r2.u32max);
        r1.s32min = max(r1.s32min, r2.s32min);
        r1.s32max = min(r1.s32max, r2.s32max);
        r2.u32min = r1.u32min;
        r2.u32max = r1.u32max;
        r2.s32min = r1.s32min;
        r2.s32max = r1.s32max;
        const t = tnumIntersect(tnumSubreg(r1.var), tnumSubreg(r2.var));
        r1.var = tnumWithSubreg(r1.var, t);
        r2.var = tnumWithSubreg(r2.var, t);
      } else {
        r1.umin = max(r1.umin, r2.umin);
        r1.umax = min(r1.umax, r2.umax);
        r1.smin = max(r1.smin, r2.smin);
        r1.smax = min(r1.smax, r2.smax);
        r2.umin = r1.umin;
        r2.umax = r1.umax;
        r2.smin = r1.smin;
        r2.smax = r1.smax;
        r1.var = tnumIntersect(r1.var, r2.var);
        r2.var = r1.var;
      }
      break;
    case JmpOp.JNE: {
      if (!isRegConst(r2, is32)) [r1, r2] = [r2, r1];
      if (!isRegConst(r2, is32)) break;
      // A constant at the edge of the other's range shrinks it.
      const val = regConstValue(r2, is32);
      if (is32) {
        if (r1.u32min === u32(val)) r1.u32min = u32(r1.u32min + 1n);
        if (r1.u32max === u32(val)) r1.u32max = u32(r1.u32max - 1n);
        if (r1.s32min === s32(val)) r1.s32min = s32(r1.s32min + 1n);
        if (r1.s32max === s32(val)) r1.s32max = s32(r1.s32max - 1n);
      } else {
        if (r1.umin === val) r1.umin = u64(r1.umin + 1n);
        if (r1.umax === val) r1.umax = u64(r1.umax - 1n);
        if (r1.smin === s64(val)) r1.smin = s64(r1.smin + 1n);
        if (r1.smax === s64(val)) r1.smax = s64(r1.smax - 1n);
      }
      break;
    }
    case JmpOp.JSET: {
      if (!isRegConst(r2, is32)) [r1, r2] = [r2, r1];
      if (!isRegConst(r2, is32)) break;
      const val = regConstValue(r2, is32);
      // Only a single tested bit tells which bit is set.
      if (val === 0n || (val & (val - 1n)) !== 0n) break;
      if (is32) r1.var = tnumWithSubreg(r1.var, tnumOr(tnumSubreg(r1.var), tnumConst(val)));
      else r1.var = tnumOr(r1.var, tnumConst(val));
      break;
    }
    case JSET_NOT: {
      if (!isRegConst(r2, is32)) [r1, r2] = [r2, r1];
      if (!isRegConst(r2, is32)) break;
      const val = regConstValue(r2, is32);
      const notVal = tnumConst(u64(~val));
      if (is32) r1.var = tnumWithSubreg(r1.var, tnumAnd(tnumSubreg(r1.var), notVal));
      else r1.var = tnumAnd(r1.var, notVal);
      break;
    }
    case JmpOp.JLE:
      if (is32) {
        r1.u32max = min(r1.u32max, r2.u32max);
        r2.u32min = max(r1.u32min, r2.u32min);
      } else {
        r1.umax = min(r1.umax, r2.umax);
        r2.umin = max(r1.umin, r2.umin);
      }
      break;
    case JmpOp.JLT:
      if (is32) {
        r1.u32max = min(r1.u32max, u32(r2.u32max - 1n));
        r2.u32min = max(u32(r1.u32min + 1n), r2.u32min);
      } else {
        r1.umax = min(r1.umax, u64(r2.umax - 1n));
        r2.umin = max(u64(r1.umin + 1n), r2.umin);
      }
      break;
    case JmpOp.JSLE:
      if (is32) {
        r1.s32max = min(r1.s32max, r2.s32max);
        r2.s32min = max(r1.s32min, r2.s32min);
      } else {
        r1.smax = min(r1.smax, r2.smax);
        r2.smin = max(r1.smin, r2.smin);
      }
      break;
    case JmpOp.JSLT:
      if (is32) {
        r1.s32max = min(r1.s32max, s32(r2.s32max - 1n));
        r2.s32min = max(s32(r1.s32min + 1n), r2.s32min);
      } else {
        r1.smax = min(r1.smax, s64(r2.smax - 1n));
        r2.smin = max(s64(r1.smin + 1n), r2.smin);
      }
      break;
    default:
      break;
  }
}

/**
 * (a, b) narrowed to the branch where `a JOP b` is `taken` (true: the jump
 * is taken, false: fall-through), or undefined if that branch cannot happen.
 * A branch whose outcome is already decided leaves a and b unchanged.
 */
export function refineBranch(jop: number, is64: boolean, a: Scalar, b: Scalar, taken: boolean): [Scalar, Scalar] | undefined {
  const known = branchTaken(jop, is64, a, b);
  if (known !== undefined) return known === taken ? [a, b] : undefined;
  const r1 = copyReg(a);
  const r2 = copyReg(b);
  regsRefineCondOp(r1, r2, taken ? jop : revJmpOp(jop), !is64);
  regBoundsSync(r1);
  regBoundsSync(r2);
  const s1 = done(r1);
  const s2 = done(r2);
  // A refinement that describes no value means the branch is dead.
  if (scalarSanityCheck(s1) !== undefined || scalarSanityCheck(s2) !== undefined) return undefined;
  return [s1, s2];
}
