// Linked scalars (the kernel's scalar reg->id, assign_scalar_id_before_mov,
// BPF_ADD_CONST and sync_linked_regs, Linux 6.12): registers and spilled
// slots that hold the same unknown value share an id, so bounds a
// conditional jump learns about one of them hold for all of them.
//
// A scalar's `id` names its group; a scalar whose `off` is set (a number,
// possibly 0) is the kernel's `id | BPF_ADD_CONST`: its value is the
// group's plain value plus `off` (made by a 64-bit `rX += const` on a
// linked register, privileged loads only). Any other write to a register
// makes a fresh RegState without id: links are never inherited by a value
// that may differ.
import { AluOp } from "../isa/opcodes.js";
import { scalarAlu } from "./scalar-alu.js";
import { isConst, scalarConst, type Scalar } from "./scalar.js";
import { RegType, type RegState, type VerifierState } from "./types.js";

/** Whether `r` is a scalar of group `id`. */
export function inGroup(r: RegState | undefined, id: number): boolean {
  return r !== undefined && r.type === RegType.SCALAR && r.id === id;
}

/** The plain (unlinked) scalar register holding `s`. */
function plain(s: Scalar): RegState {
  return { type: RegType.SCALAR, scalar: s };
}

/**
 * assign_scalar_id_before_mov: the source of a copy (`rX = rY`, a spill)
 * gets an id if it has none and is not a constant; one linked with a delta
 * loses its link first (a second delta is not tracked). Returns the source
 * register as it must now be (the caller stores it back) — the copy is
 * this same value.
 */
export function withIdForCopy(src: RegState, nextId: () => number): RegState {
  if (src.type !== RegType.SCALAR) return src;
  let r = src;
  if (r.off !== undefined) r = plain(r.scalar!);
  if (r.id === undefined && !isConst(r.scalar!)) r = { ...r, id: nextId() };
  return r;
}

/**
 * The result of a 64-bit `dst += k` (k a known constant) on scalar `dst`
 * whose new value is `value` (adjust_reg_min_max_vals' BPF_ADD_CONST case,
 * privileged only): still linked with delta k when `dst` was linked
 * without a delta and 0 <= k <= S32_MAX (as u64); unlinked otherwise.
 */
export function afterAddConst(dst: RegState, k: bigint, value: Scalar): RegState {
  if (dst.id === undefined || dst.off !== undefined || k > 0x7fffffffn) return plain(value);
  return { type: RegType.SCALAR, scalar: value, id: dst.id, off: Number(k) };
}

/** `reg`'s value given that its group's member `known` holds `known.scalar` (both of one group). */
function derive(reg: RegState, known: RegState): RegState {
  const delta = (reg.off ?? 0) - (known.off ?? 0);
  if (delta === 0 && (reg.off !== undefined) === (known.off !== undefined)) return known;
  const s = delta === 0 ? known.scalar! : scalarAlu(AluOp.ADD, true, known.scalar!, scalarConst(BigInt.asUintN(64, BigInt(delta))));
  return reg.off === undefined ? { type: RegType.SCALAR, scalar: s, id: reg.id! } : { type: RegType.SCALAR, scalar: s, id: reg.id!, off: reg.off };
}

/**
 * sync_linked_regs: every other register and spilled slot of every frame in
 * `state` of `known`'s group takes the bounds `known` has (adjusted by the
 * constant delta between them).
 */
export function syncLinked(state: VerifierState, known: RegState): void {
  const id = known.id;
  if (known.type !== RegType.SCALAR || id === undefined) return;
  for (const f of state.frames) {
    for (let i = 0; i < f.regs.length; i++) {
      const r = f.regs[i]!;
      if (r !== known && inGroup(r, id)) f.regs[i] = derive(r, known);
    }
    for (let i = 0; i < f.spills.length; i++) {
      const r = f.spills[i];
      if (r !== undefined && r !== known && inGroup(r, id)) f.spills[i] = derive(r, known);
    }
  }
}

/**
 * A 64-bit spill of register `regno` of the current frame (privileged: the
 * kernel's check_stack_write_fixed_off with bpf_capable): when `value`, what
 * the slot receives, is that register's value (a plain store, not an atomic
 * operation's result), the register gets an id as for a copy and the slot
 * holds the same linked value. Returns what the slot holds.
 */
export function linkSpill(state: VerifierState, regno: number, value: RegState, nextId: () => number): RegState {
  const regs = state.frames[state.frames.length - 1]!.regs;
  if (regs[regno] !== value) return value;
  const linked = withIdForCopy(value, nextId);
  regs[regno] = linked;
  return linked;
}
