// Scalar value tracking for the verifier, after the scalar parts of the
// kernel's kernel/bpf/verifier.c: a scalar register is described by a tnum
// (known bits) and eight bounds: signed and unsigned, 64-bit and for the low
// 32-bit subregister. Every operation keeps them consistent the way the
// kernel does (reg_bounds_sync: bounds from the tnum, the tnum from the
// bounds, signed/unsigned cross-deduction, 32-bit vs 64-bit) and is sound:
// for all concrete inputs described by the operands, the concrete result is
// described by the returned Scalar.
//
// Kernel functions followed: __mark_reg_known, __update_reg{32,64}_bounds,
// __reg{32,64}_deduce_bounds, __reg_deduce_mixed_bounds, __reg_bound_offset,
// reg_bounds_sync, zext_32_to_64, coerce_reg_to_size(_sx),
// coerce_subreg_to_size_sx, scalar{32,}_min_max_{add,sub,mul,and,or,xor,lsh,
// rsh,arsh}, is_safe_to_compute_dst_reg_range, adjust_scalar_min_max_vals
// (including its BPF_NEG and BPF_END handling), is_scalar_branch_taken,
// regs_refine_cond_op / reg_set_min_max, print_scalar_ranges.
//
// All 64-bit quantities are bigint: unsigned bounds and tnums in [0, 2^64),
// signed bounds as signed bigints.
import { AluOp, JmpOp } from "../isa/opcodes.js";
import {
  TNUM_UNKNOWN,
  tnumAdd,
  tnumAnd,
  tnumArshift,
  tnumBswap16,
  tnumBswap32,
  tnumBswap64,
  tnumCast,
  tnumClearSubreg,
  tnumConst,
  tnumConstSubreg,
  tnumContains,
  tnumEquals,
  tnumIn,
  tnumIntersect,
  tnumIsConst,
  tnumIsUnknown,
  tnumLshift,
  tnumMul,
  tnumNeg,
  tnumOr,
  tnumOverlap,
  tnumRange,
  tnumRshift,
  tnumSub,
  tnumSubreg,
  tnumSubregIsConst,
  tnumToString,
  tnumWithSubreg,
  tnumXor,
  type Tnum,
} from "./tnum.js";

/** What the verifier knows about a scalar register. */
export interface Scalar {
  /** Known bits. */
  readonly var: Tnum;
  /** s64 bounds (signed bigints). */
  readonly smin: bigint;
  readonly smax: bigint;
  /** u64 bounds. */
  readonly umin: bigint;
  readonly umax: bigint;
  /** Bounds of the low 32 bits as s32 (signed) and u32. */
  readonly s32min: bigint;
  readonly s32max: bigint;
  readonly u32min: bigint;
  readonly u32max: bigint;
}

/** Mutable working copy (the kernel's bpf_reg_state scalar fields). */
interface Reg {
  var: Tnum;
  smin: bigint;
  smax: bigint;
  umin: bigint;
  umax: bigint;
  s32min: bigint;
  s32max: bigint;
  u32min: bigint;
  u32max: bigint;
}

const U64_MAX = (1n << 64n) - 1n;
const S64_MIN = -(1n << 63n);
const S64_MAX = (1n << 63n) - 1n;
const U32_MAX = 0xffffffffn;
const S32_MIN = -(1n << 31n);
const S32_MAX = (1n << 31n) - 1n;
const SIGN64 = 1n << 63n;
const LO32 = 0xffffffffn;
const HI32 = U64_MAX ^ LO32;

const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
const u32 = (x: bigint): bigint => BigInt.asUintN(32, x);
const s32 = (x: bigint): bigint => BigInt.asIntN(32, x);
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

// ---------------------------------------------------------------------------
// Construction

function unknownReg(): Reg {
  return {
    var: TNUM_UNKNOWN,
    smin: S64_MIN,
    smax: S64_MAX,
    umin: 0n,
    umax: U64_MAX,
    s32min: S32_MIN,
    s32max: S32_MAX,
    u32min: 0n,
    u32max: U32_MAX,
  };
}

/** ___mark_reg_known */
function knownReg(v: bigint): Reg {
  const x = u64(v);
  return {
    var: tnumConst(x),
    smin: s64(x),
    smax: s64(x),
    umin: x,
    umax: x,
    s32min: s32(x),
    s32max: s32(x),
    u32min: u32(x),
    u32max: u32(x),
  };
}

function markRegKnown(r: Reg, v: bigint): void {
  Object.assign(r, knownReg(v));
}

function copyReg(s: Scalar): Reg {
  return {
    var: s.var,
    smin: s.smin,
    smax: s.smax,
    umin: s.umin,
    umax: s.umax,
    s32min: s.s32min,
    s32max: s.s32max,
    u32min: s.u32min,
    u32max: s.u32max,
  };
}

function done(r: Reg): Scalar {
  return {
    var: r.var,
    smin: r.smin,
    smax: r.smax,
    umin: r.umin,
    umax: r.umax,
    s32min: r.s32min,
    s32max: r.s32max,
    u32min: r.u32min,
    u32max: r.u32max,
  };
}

/** A known constant; v is taken mod 2^64. */
export function scalarConst(v: bigint): Scalar {
  return done(knownReg(v));
}

/** A completely unknown scalar. */
export function scalarUnknown(): Scalar {
  return done(unknownReg());
}

/** A scalar known only to lie in the unsigned range [umin, umax] (e.g. a helper's return). */
export function scalarFromRange(umin: bigint, umax: bigint): Scalar {
  const r = unknownReg();
  r.umin = u64(umin);
  r.umax = u64(umax);
  regBoundsSync(r);
  return done(r);
}

/** A scalar known only to lie in the signed range [smin, smax] (values as signed bigints). */
export function scalarFromSignedRange(smin: bigint, smax: bigint): Scalar {
  const r = unknownReg();
  r.smin = s64(smin);
  r.smax = s64(smax);
  regBoundsSync(r);
  return done(r);
}

export function isConst(s: Scalar): boolean {
  return tnumIsConst(s.var);
}

/** The value of a constant scalar, as u64. */
export function constValue(s: Scalar): bigint {
  return s.var.value;
}

/** Whether the low 32 bits are a known constant. */
export function isConst32(s: Scalar): boolean {
  return tnumSubregIsConst(s.var);
}

/** The low 32 bits of a scalar whose subregister is constant, as u32. */
export function constValue32(s: Scalar): bigint {
  return s.var.value & LO32;
}

/** Whether nothing at all is known (fresh unknown scalar). */
export function scalarIsUnknown(s: Scalar): boolean {
  return (
    tnumIsUnknown(s.var) &&
    s.smin === S64_MIN &&
    s.smax === S64_MAX &&
    s.umin === 0n &&
    s.umax === U64_MAX &&
    s.s32min === S32_MIN &&
    s.s32max === S32_MAX &&
    s.u32min === 0n &&
    s.u32max === U32_MAX
  );
}

/** Whether the concrete u64 value x is described by s (tnum and all eight bounds). */
export function scalarContainsValue(s: Scalar, x: bigint): boolean {
  const v = u64(x);
  const sv = s64(v);
  const lo = v & LO32;
  const slo = s32(v);
  return (
    tnumContains(s.var, v) &&
    v >= s.umin &&
    v <= s.umax &&
    sv >= s.smin &&
    sv <= s.smax &&
    lo >= s.u32min &&
    lo <= s.u32max &&
    slo >= s.s32min &&
    slo <= s.s32max
  );
}

// ---------------------------------------------------------------------------
// Bounds bookkeeping (reg_bounds_sync and friends)

function markReg64Unbounded(r: Reg): void {
  r.smin = S64_MIN;
  r.smax = S64_MAX;
  r.umin = 0n;
  r.umax = U64_MAX;
}

function markReg32Unbounded(r: Reg): void {
  r.s32min = S32_MIN;
  r.s32max = S32_MAX;
  r.u32min = 0n;
  r.u32max = U32_MAX;
}

function markRegUnbounded(r: Reg): void {
  markReg64Unbounded(r);
  markReg32Unbounded(r);
}

/** __mark_reg32_known */
function markReg32Known(r: Reg, imm: bigint): void {
  r.var = tnumConstSubreg(r.var, imm);
  r.s32min = r.s32max = s32(imm);
  r.u32min = r.u32max = u32(imm);
}

/** __update_reg32_bounds: learn 32-bit bounds from the tnum. */
function updateReg32Bounds(r: Reg): void {
  const t = tnumSubreg(r.var);
  r.s32min = max(r.s32min, s32(t.value | (t.mask & 0x80000000n)));
  r.s32max = min(r.s32max, s32(t.value | (t.mask & 0x7fffffffn)));
  r.u32min = max(r.u32min, t.value);
  r.u32max = min(r.u32max, t.value | t.mask);
}

/** __update_reg64_bounds: learn 64-bit bounds from the tnum. */
function updateReg64Bounds(r: Reg): void {
  const t = r.var;
  r.smin = max(r.smin, s64(t.value | (t.mask & SIGN64)));
  r.smax = min(r.smax, s64(t.value | (t.mask & S64_MAX)));
  r.umin = max(r.umin, t.value);
  r.umax = min(r.umax, t.value | t.mask);
}

function updateRegBounds(r: Reg): void {
  updateReg32Bounds(r);
  updateReg64Bounds(r);
}

/** __reg32_deduce_bounds: 32-bit bounds from 64-bit ones, and s32 <-> u32. */
function reg32DeduceBounds(r: Reg): void {
  if (r.umin >> 32n === r.umax >> 32n) {
    // Same upper 32 bits throughout: the low words form a range.
    r.u32min = max(r.u32min, u32(r.umin));
    r.u32max = min(r.u32max, u32(r.umax));
    if (s32(r.umin) <= s32(r.umax)) {
      r.s32min = max(r.s32min, s32(r.umin));
      r.s32max = min(r.s32max, s32(r.umax));
    }
  }
  if (r.smin >> 32n === r.smax >> 32n) {
    if (u32(r.smin) <= u32(r.smax)) {
      r.u32min = max(r.u32min, u32(r.smin));
      r.u32max = min(r.u32max, u32(r.smax));
    }
    if (s32(r.smin) <= s32(r.smax)) {
      r.s32min = max(r.s32min, s32(r.smin));
      r.s32max = min(r.s32max, s32(r.smax));
    }
  }
  // Upper words are two consecutive numbers and the low words go from
  // negative to non-negative: still a valid s32 range.
  if (u32(u32(r.umin >> 32n) + 1n) === u32(r.umax >> 32n) && s32(r.umin) < 0n && s32(r.umax) >= 0n) {
    r.s32min = max(r.s32min, s32(r.umin));
    r.s32max = min(r.s32max, s32(r.umax));
  }
  if (u32(u32(r.smin >> 32n) + 1n) === u32(r.smax >> 32n) && s32(r.smin) < 0n && s32(r.smax) >= 0n) {
    r.s32min = max(r.s32min, s32(r.smin));
    r.s32max = min(r.s32max, s32(r.smax));
  }
  if (s32(r.u32min) <= s32(r.u32max)) {
    r.s32min = max(r.s32min, s32(r.u32min));
    r.s32max = min(r.s32max, s32(r.u32max));
  }
  if (u32(r.s32min) <= u32(r.s32max)) {
    r.u32min = max(r.u32min, u32(r.s32min));
    r.u32max = min(r.u32max, u32(r.s32max));
  }
}

/** __reg64_deduce_bounds: s64 <-> u64. */
function reg64DeduceBounds(r: Reg): void {
  if (s64(r.umin) <= s64(r.umax)) {
    r.smin = max(r.smin, s64(r.umin));
    r.smax = min(r.smax, s64(r.umax));
  }
  if (u64(r.smin) <= u64(r.smax)) {
    r.umin = max(r.umin, u64(r.smin));
    r.umax = min(r.umax, u64(r.smax));
  } else {
    // The s64 range crosses the sign boundary, i.e. as u64 it is
    // [smin, U64_MAX] u [0, smax]; if the u64 range meets only one end of
    // it, both can be tightened.
    if (r.umax < u64(r.smin)) {
      r.smin = s64(r.umin);
      r.umax = min(r.umax, u64(r.smax));
    } else if (u64(r.smax) < r.umin) {
      r.smax = s64(r.umax);
      r.umin = max(r.umin, u64(r.smin));
    }
  }
}

/** __reg_deduce_mixed_bounds: 64-bit bounds from 32-bit knowledge. */
function regDeduceMixedBounds(r: Reg): void {
  let newUmin = (r.umin & HI32) | r.u32min;
  let newUmax = (r.umax & HI32) | r.u32max;
  r.umin = max(r.umin, newUmin);
  r.umax = min(r.umax, newUmax);
  let newSmin = s64((u64(r.smin) & HI32) | r.u32min);
  let newSmax = s64((u64(r.smax) & HI32) | r.u32max);
  r.smin = max(r.smin, newSmin);
  r.smax = min(r.smax, newSmax);

  if (u32(r.s32min) <= u32(r.s32max)) {
    newUmin = (r.umin & HI32) | u32(r.s32min);
    newUmax = (r.umax & HI32) | u32(r.s32max);
    r.umin = max(r.umin, newUmin);
    r.umax = min(r.umax, newUmax);
    newSmin = s64((u64(r.smin) & HI32) | u32(r.s32min));
    newSmax = s64((u64(r.smax) & HI32) | u32(r.s32max));
    r.smin = max(r.smin, newSmin);
    r.smax = min(r.smax, newSmax);
  }

  // A value in [S32_MIN, S32_MAX] whose low word is a non-negative s32 is
  // that non-negative s32 (the case after a sign-extending load).
  if (r.s32min >= 0n && r.smin >= S32_MIN && r.smax <= S32_MAX) {
    r.smin = r.s32min;
    r.smax = r.s32max;
    r.umin = r.s32min;
    r.umax = r.s32max;
    r.var = tnumIntersect(r.var, tnumRange(r.smin, r.smax));
  }
}

function regDeduceBounds(r: Reg): void {
  reg32DeduceBounds(r);
  reg64DeduceBounds(r);
  regDeduceMixedBounds(r);
}

/** __reg_bound_offset: learn tnum bits from the unsigned bounds. */
function regBoundOffset(r: Reg): void {
  const var64 = tnumIntersect(r.var, tnumRange(r.umin, r.umax));
  const var32 = tnumIntersect(tnumSubreg(var64), tnumRange(r.u32min, r.u32max));
  r.var = tnumOr(tnumClearSubreg(var64), var32);
}

/** reg_bounds_sync */
function regBoundsSync(r: Reg): void {
  updateRegBounds(r);
  regDeduceBounds(r);
  regDeduceBounds(r);
  regBoundOffset(r);
  updateRegBounds(r);
}

/** __reg_assign_32_into_64 */
function regAssign32Into64(r: Reg): void {
  r.umin = r.u32min;
  r.umax = r.u32max;
  if (r.s32min >= 0n && r.s32max >= 0n) {
    r.smin = r.s32min;
    r.smax = r.s32max;
  } else {
    r.smin = 0n;
    r.smax = U32_MAX;
  }
}

/** zext_32_to_64 */
function zext32To64(r: Reg): void {
  r.var = tnumSubreg(r.var);
  regAssign32Into64(r);
}

/** Re-runs the kernel's reg_bounds_sync on s (idempotent on results of this module). */
export function scalarSync(s: Scalar): Scalar {
  const r = copyReg(s);
  regBoundsSync(r);
  return done(r);
}

/** The low 32 bits of s, zero-extended (a mov32 of s). */
export function scalarZext32(s: Scalar): Scalar {
  const r = copyReg(s);
  zext32To64(r);
  regBoundsSync(r);
  return done(r);
}

/**
 * The kernel's reg_bounds_sanity_check: undefined if s is well-formed, else
 * the kernel's description of the violation. A violation means s describes
 * no value at all.
 */
export function scalarSanityCheck(s: Scalar): string | undefined {
  if (s.umin > s.umax || s.smin > s.smax || s.u32min > s.u32max || s.s32min > s.s32max) return "range bounds violation";
  if (tnumIsConst(s.var)) {
    const uv = s.var.value;
    const sv = s64(uv);
    if (s.umin !== uv || s.umax !== uv || s.smin !== sv || s.smax !== sv) return "const tnum out of sync with range bounds";
  }
  if (tnumSubregIsConst(s.var)) {
    const uv = s.var.value & LO32;
    const sv = s32(uv);
    if (s.u32min !== uv || s.u32max !== uv || s.s32min !== sv || s.s32max !== sv) {
      return "const subreg tnum out of sync with range bounds";
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Truncation and sign extension

/** coerce_reg_to_size: keep the low `size` bytes (size < 8). */
function coerceRegToSize(r: Reg, size: number): void {
  r.var = tnumCast(r.var, size);
  const mask = (1n << BigInt(size * 8)) - 1n;
  if ((r.umin & ~mask) === (r.umax & ~mask)) {
    r.umin &= mask;
    r.umax &= mask;
  } else {
    r.umin = 0n;
    r.umax = mask;
  }
  r.smin = r.umin;
  r.smax = r.umax;
  if (size < 4) markReg32Unbounded(r);
  regBoundsSync(r);
}

function sextBits(x: bigint, size: number): bigint {
  return BigInt.asIntN(size * 8, x);
}

/** set_sext64_default_val */
function setSext64DefaultVal(r: Reg, size: number): void {
  const bits = BigInt(size * 8 - 1);
  const lo = -(1n << bits);
  const hi = (1n << bits) - 1n;
  r.smin = r.s32min = lo;
  r.smax = r.s32max = hi;
  r.umin = r.u32min = 0n;
  r.umax = U64_MAX;
  r.u32max = U32_MAX;
  r.var = TNUM_UNKNOWN;
}

/** coerce_reg_to_size_sx: sign-extend the low `size` bytes (1, 2 or 4) to 64 bits. */
function coerceRegToSizeSx(r: Reg, size: number): void {
  if (tnumIsConst(r.var)) {
    markRegKnown(r, u64(sextBits(r.var.value, size)));
    return;
  }
  const n = BigInt(size * 8);
  const topMax = (u64(r.smax) >> n) << n;
  const topMin = (u64(r.smin) >> n) << n;
  if (topMax === topMin) {
    const a = sextBits(r.smax, size);
    const b = sextBits(r.smin, size);
    const hi = max(a, b);
    const lo = min(a, b);
    if (hi >= 0n === lo >= 0n) {
      r.s32min = r.smin = lo;
      r.s32max = r.smax = hi;
      r.u32min = u32(lo);
      r.umin = u64(lo);
      r.u32max = u32(hi);
      r.umax = u64(hi);
      r.var = tnumRange(u64(lo), u64(hi));
      return;
    }
  }
  setSext64DefaultVal(r, size);
}

/** set_sext32_default_val */
function setSext32DefaultVal(r: Reg, size: number): void {
  const bits = BigInt(size * 8 - 1);
  r.s32min = -(1n << bits);
  r.s32max = (1n << bits) - 1n;
  r.u32min = 0n;
  r.u32max = U32_MAX;
  r.var = tnumSubreg(TNUM_UNKNOWN);
}

/** coerce_subreg_to_size_sx: sign-extend the low `size` bytes (1 or 2) to 32 bits. */
function coerceSubregToSizeSx(r: Reg, size: number): void {
  if (tnumIsConst(r.var)) {
    const v = u64(sextBits(r.var.value & LO32, size));
    r.var = tnumConst(v);
    r.s32min = r.s32max = s32(v);
    r.u32min = r.u32max = u32(v);
    return;
  }
  const n = BigInt(size * 8);
  const topMax = (u32(r.s32max) >> n) << n;
  const topMin = (u32(r.s32min) >> n) << n;
  if (topMax === topMin) {
    const a = sextBits(r.s32max, size);
    const b = sextBits(r.s32min, size);
    const hi = max(a, b);
    const lo = min(a, b);
    if (lo >= 0n === hi >= 0n) {
      r.s32min = lo;
      r.s32max = hi;
      r.u32min = u32(lo);
      r.u32max = u32(hi);
      r.var = tnumSubreg(tnumRange(u64(lo), u64(hi)));
      return;
    }
  }
  setSext32DefaultVal(r, size);
}

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

// ---------------------------------------------------------------------------
// State comparison and printing

/** Whether every value `inner` allows is allowed by `outer` (all bounds and the tnum): for state pruning. */
export function scalarContains(outer: Scalar, inner: Scalar): boolean {
  return (
    outer.umin <= inner.umin &&
    inner.umax <= outer.umax &&
    outer.smin <= inner.smin &&
    inner.smax <= outer.smax &&
    outer.u32min <= inner.u32min &&
    inner.u32max <= outer.u32max &&
    outer.s32min <= inner.s32min &&
    inner.s32max <= outer.s32max &&
    tnumIn(outer.var, inner.var)
  );
}

export function scalarEquals(a: Scalar, b: Scalar): boolean {
  return (
    tnumEquals(a.var, b.var) &&
    a.smin === b.smin &&
    a.smax === b.smax &&
    a.umin === b.umin &&
    a.umax === b.umax &&
    a.s32min === b.s32min &&
    a.s32max === b.s32max &&
    a.u32min === b.u32min &&
    a.u32max === b.u32max
  );
}

const isUnumDecimal = (n: bigint): boolean => n <= 0xffffn;
const isSnumDecimal = (n: bigint): boolean => n >= -32768n && n <= 32767n;

/** verbose_unum: decimal up to U16_MAX, else %#llx. */
function fmtUnum(n: bigint): string {
  return isUnumDecimal(n) ? n.toString() : `0x${n.toString(16)}`;
}

/** verbose_snum of a u64 bit pattern: decimal within [S16_MIN, S16_MAX], else %#llx. */
function fmtSnum(bits: bigint): string {
  const v = s64(bits);
  return isSnumDecimal(v) ? v.toString() : `0x${u64(bits).toString(16)}`;
}

/**
 * The kernel's log form of a scalar (print_reg_state for SCALAR_VALUE): a
 * constant prints as verbose_snum does (decimal within [-32768, 32767],
 * e.g. "42" or "-1", else hex like "0x186a0"); anything else as
 * "scalar(" + print_scalar_ranges() + ",var_off=(v; m))", bounds at their
 * natural limit omitted, equal ones merged ("smin=smin32=0"), var_off
 * omitted when unknown, e.g.
 * "scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))".
 */
export function formatScalar(s: Scalar): string {
  if (tnumIsConst(s.var)) return fmtSnum(s.var.value);
  const m = [
    { name: "smin", val: u64(s.smin), omit: s.smin === S64_MIN },
    { name: "smax", val: u64(s.smax), omit: s.smax === S64_MAX },
    { name: "umin", val: s.umin, omit: s.umin === 0n },
    { name: "umax", val: s.umax, omit: s.umax === U64_MAX },
    // Hex 32-bit signed values are shown without sign extension.
    { name: "smin32", val: isSnumDecimal(s.s32min) ? u64(s.s32min) : u32(s.s32min), omit: s.s32min === S32_MIN },
    { name: "smax32", val: isSnumDecimal(s.s32max) ? u64(s.s32max) : u32(s.s32max), omit: s.s32max === S32_MAX },
    { name: "umin32", val: s.u32min, omit: s.u32min === 0n },
    { name: "umax32", val: s.u32max, omit: s.u32max === U32_MAX },
  ];
  const parts: string[] = [];
  for (let i = 0; i < m.length; i++) {
    const m1 = m[i]!;
    if (m1.omit) continue;
    const neg1 = m1.name[0] === "s" && s64(m1.val) < 0n;
    let out = `${m1.name}=`;
    for (let j = i + 2; j < m.length; j += 2) {
      const m2 = m[j]!;
      if (m2.omit || m2.val !== m1.val) continue;
      // Negatives and non-negatives are not merged.
      const neg2 = m2.name[0] === "s" && s64(m2.val) < 0n;
      if (neg2 !== neg1) continue;
      m2.omit = true;
      out += `${m2.name}=`;
    }
    out += m1.name[0] === "s" ? fmtSnum(m1.val) : fmtUnum(m1.val);
    parts.push(out);
  }
  if (!tnumIsUnknown(s.var)) parts.push(`var_off=${tnumToString(s.var)}`);
  return `scalar(${parts.join(",")})`;
}
