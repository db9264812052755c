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
//
// This file: the Scalar type and its working copy, construction, bounds
// bookkeeping (reg_bounds_sync), truncation and sign extension, state
// comparison and printing. ALU transfer functions: scalar-alu.ts;
// conditional jumps: scalar-branch.ts.
import {
  TNUM_UNKNOWN,
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
  tnumOr,
  tnumRange,
  tnumSubreg,
  tnumSubregIsConst,
  tnumToString,
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
export interface Reg {
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

export const U64_MAX = (1n << 64n) - 1n;
export const S64_MIN = -(1n << 63n);
export const S64_MAX = (1n << 63n) - 1n;
export const U32_MAX = 0xffffffffn;
export const S32_MIN = -(1n << 31n);
export const S32_MAX = (1n << 31n) - 1n;
const SIGN64 = 1n << 63n;
export const LO32 = 0xffffffffn;
const HI32 = U64_MAX ^ LO32;

export const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
export const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
export const u32 = (x: bigint): bigint => BigInt.asUintN(32, x);
export const s32 = (x: bigint): bigint => BigInt.asIntN(32, x);
export const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
export const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

// ---------------------------------------------------------------------------
// Construction

export function unknownReg(): Reg {
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

export function markRegKnown(r: Reg, v: bigint): void {
  Object.assign(r, knownReg(v));
}

export function copyReg(s: Scalar): Reg {
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

export function done(r: Reg): Scalar {
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

export function markReg64Unbounded(r: Reg): void {
  r.smin = S64_MIN;
  r.smax = S64_MAX;
  r.umin = 0n;
  r.umax = U64_MAX;
}

export function markReg32Unbounded(r: Reg): void {
  r.s32min = S32_MIN;
  r.s32max = S32_MAX;
  r.u32min = 0n;
  r.u32max = U32_MAX;
}

export function markRegUnbounded(r: Reg): void {
  markReg64Unbounded(r);
  markReg32Unbounded(r);
}

/** __mark_reg32_known */
export function markReg32Known(r: Reg, imm: bigint): void {
  r.var = tnumConstSubreg(r.var, imm);
  r.s32min = r.s32max = s32(imm);
  r.u32min = r.u32max = u32(imm);
}

/** __update_reg32_bounds: learn 32-bit bounds from the tnum. */
export function updateReg32Bounds(r: Reg): void {
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

export function updateRegBounds(r: Reg): void {
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
export function regBoundsSync(r: Reg): void {
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
export function zext32To64(r: Reg): void {
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
export function coerceRegToSize(r: Reg, size: number): void {
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
export function setSext64DefaultVal(r: Reg, size: number): void {
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
export function coerceRegToSizeSx(r: Reg, size: number): void {
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
export function coerceSubregToSizeSx(r: Reg, size: number): void {
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
