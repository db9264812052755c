// Scalar ALU transfer functions (the kernel's scalar{32,}_min_max_*,
// adjust_scalar_min_max_vals, is_safe_to_compute_dst_reg_range) and the
// concrete RFC 9669 evaluation used for constant folding: from operand
// Scalars to the result Scalar, sound for every concrete input.
import { AluOp } from "../isa/opcodes.js";
import {
  tnumAdd,
  tnumAnd,
  tnumArshift,
  tnumBswap16,
  tnumBswap32,
  tnumBswap64,
  tnumIsConst,
  tnumLshift,
  tnumMul,
  tnumNeg,
  tnumOr,
  tnumRshift,
  tnumSub,
  tnumSubreg,
  tnumSubregIsConst,
  tnumXor,
} from "./tnum.js";
import { type Reg, S32_MAX, S32_MIN, S64_MAX, S64_MIN, type Scalar, U32_MAX, U64_MAX, coerceRegToSize, coerceRegToSizeSx, coerceSubregToSizeSx, copyReg, done, isConst, isConst32, markReg32Known, markReg32Unbounded, markReg64Unbounded, markRegKnown, markRegUnbounded, max, min, regBoundsSync, s32, s64, scalarConst, scalarZext32, setSext64DefaultVal, u32, u64, unknownReg, updateReg32Bounds, updateRegBounds, zext32To64 } from "./scalar.js";

// ---------------------------------------------------------------------------
// ALU bounds (scalar{32,}_min_max_*)

function scalar32Add(d: Reg, s: Reg): void {
  const smin = d.s32min + s.s32min;
  const smax = d.s32max + s.s32max;
  if (smin < S32_MIN || smin > S32_MAX || smax < S32_MIN || smax > S32_MAX) {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  } else {
    d.s32min = smin;
    d.s32max = smax;
  }
  // If all or none of the additions wrap, the wrapped range is exact.
  const umin = d.u32min + s.u32min;
  const umax = d.u32max + s.u32max;
  if (umin <= U32_MAX && umax > U32_MAX) {
    d.u32min = 0n;
    d.u32max = U32_MAX;
  } else {
    d.u32min = u32(umin);
    d.u32max = u32(umax);
  }
}

function scalarAdd(d: Reg, s: Reg): void {
  const smin = d.smin + s.smin;
  const smax = d.smax + s.smax;
  if (smin < S64_MIN || smin > S64_MAX || smax < S64_MIN || smax > S64_MAX) {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  } else {
    d.smin = smin;
    d.smax = smax;
  }
  const umin = d.umin + s.umin;
  const umax = d.umax + s.umax;
  if (umin <= U64_MAX && umax > U64_MAX) {
    d.umin = 0n;
    d.umax = U64_MAX;
  } else {
    d.umin = u64(umin);
    d.umax = u64(umax);
  }
}

function scalar32Sub(d: Reg, s: Reg): void {
  const smin = d.s32min - s.s32max;
  const smax = d.s32max - s.s32min;
  if (smin < S32_MIN || smin > S32_MAX || smax < S32_MIN || smax > S32_MAX) {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  } else {
    d.s32min = smin;
    d.s32max = smax;
  }
  // If all or none of the subtractions wrap, the wrapped range is exact.
  const umin = d.u32min - s.u32max;
  const umax = d.u32max - s.u32min;
  if (umin < 0n && umax >= 0n) {
    d.u32min = 0n;
    d.u32max = U32_MAX;
  } else {
    d.u32min = u32(umin);
    d.u32max = u32(umax);
  }
}

function scalarSub(d: Reg, s: Reg): void {
  const smin = d.smin - s.smax;
  const smax = d.smax - s.smin;
  if (smin < S64_MIN || smin > S64_MAX || smax < S64_MIN || smax > S64_MAX) {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  } else {
    d.smin = smin;
    d.smax = smax;
  }
  const umin = d.umin - s.umax;
  const umax = d.umax - s.umin;
  if (umin < 0n && umax >= 0n) {
    d.umin = 0n;
    d.umax = U64_MAX;
  } else {
    d.umin = u64(umin);
    d.umax = u64(umax);
  }
}

function scalar32Mul(d: Reg, s: Reg): void {
  const umax = d.u32max * s.u32max;
  const umin = d.u32min * s.u32min;
  if (umax > U32_MAX || umin > U32_MAX) {
    d.u32min = 0n;
    d.u32max = U32_MAX;
  } else {
    d.u32min = umin;
    d.u32max = umax;
  }
  const p = [d.s32min * s.s32min, d.s32min * s.s32max, d.s32max * s.s32min, d.s32max * s.s32max];
  if (p.some((x) => x < S32_MIN || x > S32_MAX)) {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  } else {
    d.s32min = p.reduce(min);
    d.s32max = p.reduce(max);
  }
}

function scalarMul(d: Reg, s: Reg): void {
  const umax = d.umax * s.umax;
  const umin = d.umin * s.umin;
  if (umax > U64_MAX || umin > U64_MAX) {
    d.umin = 0n;
    d.umax = U64_MAX;
  } else {
    d.umin = umin;
    d.umax = umax;
  }
  const p = [d.smin * s.smin, d.smin * s.smax, d.smax * s.smin, d.smax * s.smax];
  if (p.some((x) => x < S64_MIN || x > S64_MAX)) {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  } else {
    d.smin = p.reduce(min);
    d.smax = p.reduce(max);
  }
}

/** s32 bounds from u32 bounds when they don't cross the sign boundary. */
function s32FromU32(d: Reg): void {
  if (s32(d.u32min) <= s32(d.u32max)) {
    d.s32min = s32(d.u32min);
    d.s32max = s32(d.u32max);
  } else {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  }
}

function s64FromU64(d: Reg): void {
  if (s64(d.umin) <= s64(d.umax)) {
    d.smin = s64(d.umin);
    d.smax = s64(d.umax);
  } else {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  }
}

// The bitwise ops run after d.var has been replaced by the result tnum.

function scalar32And(d: Reg, s: Reg): void {
  const t = tnumSubreg(d.var);
  if (tnumSubregIsConst(s.var) && tnumSubregIsConst(d.var)) {
    markReg32Known(d, t.value);
    return;
  }
  d.u32min = t.value;
  d.u32max = min(d.u32max, s.u32max);
  s32FromU32(d);
}

function scalarAnd(d: Reg, s: Reg): void {
  if (tnumIsConst(s.var) && tnumIsConst(d.var)) {
    markRegKnown(d, d.var.value);
    return;
  }
  d.umin = d.var.value;
  d.umax = min(d.umax, s.umax);
  s64FromU64(d);
  updateRegBounds(d);
}

function scalar32Or(d: Reg, s: Reg): void {
  const t = tnumSubreg(d.var);
  if (tnumSubregIsConst(s.var) && tnumSubregIsConst(d.var)) {
    markReg32Known(d, t.value);
    return;
  }
  d.u32min = max(d.u32min, s.u32min);
  d.u32max = t.value | t.mask;
  s32FromU32(d);
}

function scalarOr(d: Reg, s: Reg): void {
  if (tnumIsConst(s.var) && tnumIsConst(d.var)) {
    markRegKnown(d, d.var.value);
    return;
  }
  d.umin = max(d.umin, s.umin);
  d.umax = d.var.value | d.var.mask;
  s64FromU64(d);
  updateRegBounds(d);
}

function scalar32Xor(d: Reg, s: Reg): void {
  const t = tnumSubreg(d.var);
  if (tnumSubregIsConst(s.var) && tnumSubregIsConst(d.var)) {
    markReg32Known(d, t.value);
    return;
  }
  d.u32min = t.value;
  d.u32max = t.value | t.mask;
  s32FromU32(d);
}

function scalarXor(d: Reg, s: Reg): void {
  if (tnumIsConst(s.var) && tnumIsConst(d.var)) {
    markRegKnown(d, d.var.value);
    return;
  }
  d.umin = d.var.value;
  d.umax = d.var.value | d.var.mask;
  s64FromU64(d);
  updateRegBounds(d);
}

/** __scalar32_min_max_lsh */
function scalar32LshBounds(d: Reg, uminVal: bigint, umaxVal: bigint): void {
  d.s32min = S32_MIN;
  d.s32max = S32_MAX;
  if (umaxVal > 31n || d.u32max > 1n << (31n - umaxVal)) {
    d.u32min = 0n;
    d.u32max = U32_MAX;
  } else {
    d.u32min = u32(d.u32min << uminVal);
    d.u32max = u32(d.u32max << umaxVal);
  }
}

function scalar32Lsh(d: Reg, s: Reg): void {
  const sub = tnumSubreg(d.var);
  scalar32LshBounds(d, s.u32min, s.u32max);
  d.var = tnumSubreg(tnumLshift(sub, s.u32min));
  markReg64Unbounded(d);
  updateReg32Bounds(d);
}

/** __scalar64_min_max_lsh */
function scalar64LshBounds(d: Reg, uminVal: bigint, umaxVal: bigint): void {
  // `<< 32` of a non-negative subregister (the sign-extension idiom) keeps its bounds.
  d.smax = uminVal === 32n && umaxVal === 32n && d.s32max >= 0n ? d.s32max << 32n : S64_MAX;
  d.smin = uminVal === 32n && umaxVal === 32n && d.s32min >= 0n ? d.s32min << 32n : S64_MIN;
  if (d.umax > 1n << (63n - umaxVal)) {
    d.umin = 0n;
    d.umax = U64_MAX;
  } else {
    d.umin = u64(d.umin << uminVal);
    d.umax = u64(d.umax << umaxVal);
  }
}

function scalarLsh(d: Reg, s: Reg): void {
  // The 64-bit calculation uses the unshifted 32-bit bounds, so it goes first.
  scalar64LshBounds(d, s.umin, s.umax);
  scalar32LshBounds(d, s.umin, s.umax);
  d.var = tnumLshift(d.var, s.umin);
  updateRegBounds(d);
}

function scalar32Rsh(d: Reg, s: Reg): void {
  const sub = tnumSubreg(d.var);
  d.s32min = S32_MIN;
  d.s32max = S32_MAX;
  d.var = tnumRshift(sub, s.u32min);
  d.u32min >>= s.u32max;
  d.u32max >>= s.u32min;
  markReg64Unbounded(d);
  updateReg32Bounds(d);
}

function scalarRsh(d: Reg, s: Reg): void {
  d.smin = S64_MIN;
  d.smax = S64_MAX;
  d.var = tnumRshift(d.var, s.umin);
  d.umin >>= s.umax;
  d.umax >>= s.umin;
  markReg32Unbounded(d);
  updateRegBounds(d);
}

function scalar32Arsh(d: Reg, s: Reg): void {
  const sh = s.u32min;
  d.s32min >>= sh;
  d.s32max >>= sh;
  d.var = tnumArshift(tnumSubreg(d.var), sh, 32);
  d.u32min = 0n;
  d.u32max = U32_MAX;
  markReg64Unbounded(d);
  updateReg32Bounds(d);
}

function scalarArsh(d: Reg, s: Reg): void {
  const sh = s.umin;
  d.smin >>= sh;
  d.smax >>= sh;
  d.var = tnumArshift(d.var, sh, 64);
  d.umin = 0n;
  d.umax = U64_MAX;
  markReg32Unbounded(d);
  updateRegBounds(d);
}

/** is_safe_to_compute_dst_reg_range for the ops adjustScalar handles. */
function isSafeToCompute(op: number, alu32: boolean, src: Scalar): boolean {
  switch (op) {
    case AluOp.ADD:
    case AluOp.SUB:
    case AluOp.AND:
    case AluOp.XOR:
    case AluOp.OR:
    case AluOp.MUL:
    case AluOp.NEG:
      return true;
    case AluOp.LSH:
    case AluOp.RSH:
    case AluOp.ARSH: {
      // Only a constant shift amount below the operand width.
      const srcConst = alu32
        ? tnumSubregIsConst(src.var) && src.s32min === src.s32max && src.u32min === src.u32max
        : tnumIsConst(src.var) && src.smin === src.smax && src.umin === src.umax;
      return srcConst && src.umax < (alu32 ? 32n : 64n);
    }
    default:
      return false;
  }
}

/** adjust_scalar_min_max_vals: dst = dst OP src on abstract values. */
function adjustScalar(op: number, alu32: boolean, d: Reg, s: Reg): void {
  switch (op) {
    case AluOp.ADD:
      scalar32Add(d, s);
      scalarAdd(d, s);
      d.var = tnumAdd(d.var, s.var);
      break;
    case AluOp.SUB:
      scalar32Sub(d, s);
      scalarSub(d, s);
      d.var = tnumSub(d.var, s.var);
      break;
    case AluOp.NEG: {
      const operand = { ...d };
      markRegKnown(d, 0n);
      scalar32Sub(d, operand);
      scalarSub(d, operand);
      d.var = tnumNeg(operand.var);
      break;
    }
    case AluOp.MUL:
      d.var = tnumMul(d.var, s.var);
      scalar32Mul(d, s);
      scalarMul(d, s);
      break;
    case AluOp.AND:
      d.var = tnumAnd(d.var, s.var);
      scalar32And(d, s);
      scalarAnd(d, s);
      break;
    case AluOp.OR:
      d.var = tnumOr(d.var, s.var);
      scalar32Or(d, s);
      scalarOr(d, s);
      break;
    case AluOp.XOR:
      d.var = tnumXor(d.var, s.var);
      scalar32Xor(d, s);
      scalarXor(d, s);
      break;
    case AluOp.LSH:
      if (alu32) scalar32Lsh(d, s);
      else scalarLsh(d, s);
      break;
    case AluOp.RSH:
      if (alu32) scalar32Rsh(d, s);
      else scalarRsh(d, s);
      break;
    case AluOp.ARSH:
      if (alu32) scalar32Arsh(d, s);
      else scalarArsh(d, s);
      break;
    default:
      break;
  }
  if (alu32) zext32To64(d);
  regBoundsSync(d);
}

// ---------------------------------------------------------------------------
// Concrete evaluation (RFC 9669), used for constant folding

/** dst OP src on concrete values (u64 in, u64 out), RFC 9669 semantics. */
export function evalAlu(op: number, is64: boolean, a: bigint, b: bigint, signed = false): bigint {
  if (is64) {
    const x = u64(a);
    const y = u64(b);
    switch (op) {
      case AluOp.ADD: return u64(x + y);
      case AluOp.SUB: return u64(x - y);
      case AluOp.MUL: return u64(x * y);
      case AluOp.DIV:
        if (y === 0n) return 0n;
        return signed ? u64(s64(x) / s64(y)) : x / y;
      case AluOp.MOD:
        if (y === 0n) return x;
        return signed ? u64(s64(x) % s64(y)) : x % y;
      case AluOp.OR: return x | y;
      case AluOp.AND: return x & y;
      case AluOp.XOR: return x ^ y;
      case AluOp.LSH: return u64(x << (y & 63n));
      case AluOp.RSH: return x >> (y & 63n);
      case AluOp.ARSH: return u64(s64(x) >> (y & 63n));
      case AluOp.NEG: return u64(-x);
      case AluOp.MOV: return y;
      default: throw new RangeError(`evalAlu: unsupported ALU op 0x${op.toString(16)}`);
    }
  }
  const x = u32(a);
  const y = u32(b);
  switch (op) {
    case AluOp.ADD: return u32(x + y);
    case AluOp.SUB: return u32(x - y);
    case AluOp.MUL: return u32(x * y);
    case AluOp.DIV:
      if (y === 0n) return 0n;
      return signed ? u32(s32(x) / s32(y)) : x / y;
    case AluOp.MOD:
      if (y === 0n) return x;
      return signed ? u32(s32(x) % s32(y)) : x % y;
    case AluOp.OR: return x | y;
    case AluOp.AND: return x & y;
    case AluOp.XOR: return x ^ y;
    case AluOp.LSH: return u32(x << (y & 31n));
    case AluOp.RSH: return x >> (y & 31n);
    case AluOp.ARSH: return u32(s32(x) >> (y & 31n));
    case AluOp.NEG: return u32(-x);
    case AluOp.MOV: return y;
    default: throw new RangeError(`evalAlu: unsupported ALU op 0x${op.toString(16)}`);
  }
}

function unknownResult(is64: boolean): Scalar {
  const r = unknownReg();
  if (!is64) {
    zext32To64(r);
    regBoundsSync(r);
  }
  return done(r);
}

/**
 * dst = dst OP src for ALU64 (is64) or ALU32 (computed on the low 32 bits,
 * result zero-extended), RFC 9669 semantics (x/0 = 0, x%0 = x, shift amounts
 * masked to the width, sdiv/smod when `signed`). Ops: AluOp.ADD SUB MUL DIV
 * MOD OR AND XOR LSH RSH ARSH MOV NEG (src ignored). END goes through
 * scalarBswap; any other op throws a RangeError.
 *
 * When both operands (their low 32 bits for ALU32) are constants the result
 * is folded exactly. Otherwise the kernel's bounds arithmetic is used; as in
 * the kernel, DIV/MOD and shifts by a non-constant (or too large) amount give
 * an unknown value (zero-extended for ALU32).
 */
export function scalarAlu(op: number, is64: boolean, a: Scalar, b: Scalar, signed = false): Scalar {
  switch (op) {
    case AluOp.MOV:
      return is64 ? b : scalarZext32(b);
    case AluOp.NEG:
      if (is64 ? isConst(a) : isConst32(a)) return scalarConst(evalAlu(op, is64, a.var.value, 0n));
      break;
    case AluOp.ADD:
    case AluOp.SUB:
    case AluOp.MUL:
    case AluOp.DIV:
    case AluOp.MOD:
    case AluOp.OR:
    case AluOp.AND:
    case AluOp.XOR:
    case AluOp.LSH:
    case AluOp.RSH:
    case AluOp.ARSH:
      // As the kernel (6.12): what is_safe_to_compute_dst_reg_range refuses is unknown even for
      // constants (division and modulo, shifts by the width or more).
      if (!isSafeToCompute(op, !is64, b)) return unknownResult(is64);
      if (is64 ? isConst(a) && isConst(b) : isConst32(a) && isConst32(b)) {
        return scalarConst(evalAlu(op, is64, a.var.value, b.var.value, signed));
      }
      break;
    default:
      throw new RangeError(`scalarAlu: unsupported ALU op 0x${op.toString(16)}`);
  }
  if (!isSafeToCompute(op, !is64, b)) return unknownResult(is64);
  const d = copyReg(a);
  adjustScalar(op, !is64, d, copyReg(b));
  return done(d);
}

/**
 * Sign-extending move: (s8/s16/s32) for ALU64 (`movsx`), (s8/s16) of the
 * subregister zero-extended for ALU32. fromBits 32 with ALU32 is a plain mov32.
 */
export function scalarMovsx(a: Scalar, fromBits: 8 | 16 | 32, is64: boolean): Scalar {
  const r = copyReg(a);
  const size = fromBits / 8;
  if (is64) {
    coerceRegToSizeSx(r, size);
  } else {
    if (size < 4) coerceSubregToSizeSx(r, size);
    zext32To64(r);
  }
  regBoundsSync(r);
  return done(r);
}

/**
 * BPF_END: "bswap" (ALU64) swaps unconditionally; "be" swaps and "le" does
 * not (little-endian host). Widths 16 and 32 keep only the low bits.
 */
export function scalarBswap(a: Scalar, bits: 16 | 32 | 64, kind: "le" | "be" | "bswap"): Scalar {
  const r = copyReg(a);
  if (kind !== "le") {
    r.var = bits === 16 ? tnumBswap16(r.var) : bits === 32 ? tnumBswap32(r.var) : tnumBswap64(r.var);
    markRegUnbounded(r);
  }
  if (bits !== 64) coerceRegToSize(r, bits / 8);
  regBoundsSync(r);
  return done(r);
}

/** The value a `bytes`-wide zero-extending load of `a` yields (its low bytes). */
export function scalarTruncate(a: Scalar, bytes: 1 | 2 | 4 | 8): Scalar {
  const r = copyReg(a);
  if (bytes < 8) coerceRegToSize(r, bytes);
  else regBoundsSync(r);
  return done(r);
}

/** An unknown value from a sign-extending load (ldxsb/ldxsh/ldxsw) of `bytes` bytes. */
export function scalarSignExtendLoad(bytes: 1 | 2 | 4): Scalar {
  const r = unknownReg();
  setSext64DefaultVal(r, bytes);
  regBoundsSync(r);
  return done(r);
}
