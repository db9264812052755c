// Operations on verifier states: constructors for register values, cloning
// for branches and the containment test used for state pruning. (The
// kernel-style text of registers for the log is log.ts.)
import { scalarConst, scalarContains, scalarEquals, scalarUnknown } from "./scalar.js";
import { liveAfterCall, type LiveIn } from "./liveness.js";
import type { FrameMarks } from "./precision.js";
import { hasSlot, type SlotMask } from "./stack-liveness.js";
import { RegType, STACK_SIZE, StackByte, type FrameState, type RegState, type VerifierState } from "./types.js";

const ALL_REGS = 0x7ff;
/** The variable part of a pointer that has none. */
const ZERO = scalarConst(0n);
/** r10, the frame pointer: always compared (a frame's r10 is its own fp). */
const R10 = 1 << 10;

export const NOT_INIT: RegState = Object.freeze({ type: RegType.NOT_INIT });

export function scalarReg(s = scalarUnknown()): RegState {
  return { type: RegType.SCALAR, scalar: s };
}

export function constReg(v: bigint): RegState {
  return { type: RegType.SCALAR, scalar: scalarConst(v) };
}

export function newFrame(callsite: number, subprog: number, frameno: number, callbackOf = -1): FrameState {
  const regs: RegState[] = new Array(11).fill(NOT_INIT);
  regs[10] = { type: RegType.PTR_TO_STACK, off: 0, frameno };
  return { regs, stack: new Uint8Array(STACK_SIZE), spills: new Array(STACK_SIZE / 8).fill(undefined), callsite, callbackOf, subprog, depth: 0 };
}

export function cloneFrame(f: FrameState): FrameState {
  const c: FrameState = {
    regs: f.regs.slice(),
    stack: f.stack.slice(),
    spills: f.spills.slice(),
    callsite: f.callsite,
    callbackOf: f.callbackOf,
    subprog: f.subprog,
    depth: f.depth,
  };
  if (f.callbackArg) c.callbackArg = f.callbackArg;
  if (f.invocation !== undefined) c.invocation = f.invocation;
  return c;
}

export function cloneState(s: VerifierState): VerifierState {
  return { frames: s.frames.map(cloneFrame), refs: new Map(s.refs) };
}

export function isPointer(r: RegState): boolean {
  return r.type !== RegType.SCALAR && r.type !== RegType.NOT_INIT;
}

/**
 * Ids of *_OR_NULL pointers and references in an old state paired with the
 * current state's (the kernel's check_ids): copies of one lookup in the old
 * state must be copies of one lookup in the current one, and vice versa.
 */
export class IdMap {
  // Made on the first id: most comparisons (thousands per instruction in a loop) meet none.
  private oldToCur: Map<number, number> | undefined;
  private curToOld: Map<number, number> | undefined;
  /** Whether `o` (old) and `c` (current) can stand for the same object. */
  check(o: number | undefined, c: number | undefined): boolean {
    if (o === undefined || c === undefined) return o === c;
    this.oldToCur ??= new Map();
    this.curToOld ??= new Map();
    const a = this.oldToCur.get(o);
    const b = this.curToOld.get(c);
    if (a === undefined && b === undefined) {
      this.oldToCur.set(o, c);
      this.curToOld.set(c, o);
      return true;
    }
    return a === c && b === o;
  }
  private tmp = 0;
  /**
   * check_scalar_ids: like check, but a scalar without id stands for a
   * group of its own (a fresh id), so two unlinked scalars of the old state
   * cannot both pair with one linked group of the current state.
   */
  checkScalar(o: number | undefined, c: number | undefined): boolean {
    if (o === undefined && c === undefined) return true;
    return this.check(o ?? --this.tmp, c ?? --this.tmp);
  }
}

/** Whether register `cur` is covered by `old` (every value cur can hold, old could too). */
export function regContains(old: RegState, cur: RegState, ids: IdMap = new IdMap()): boolean {
  if (old.type === RegType.NOT_INIT) return true; // old never read it: anything goes
  if (old.type !== cur.type) return false;
  if (old.type === RegType.SCALAR) {
    // Linked scalars (regsafe): the same delta, and groups that pair one to one.
    return old.off === cur.off && ids.checkScalar(old.id, cur.id) && scalarContains(old.scalar!, cur.scalar!);
  }
  if (!ids.check(old.id, cur.id) || !ids.check(old.refObjId, cur.refObjId)) return false;
  switch (old.type) {
    case RegType.PTR_TO_MAP_VALUE:
    case RegType.PTR_TO_MEM:
      return (
        old.off === cur.off &&
        old.map === cur.map &&
        old.memSize === cur.memSize &&
        old.memWritable === cur.memWritable &&
        scalarContains(old.scalar!, cur.scalar!)
      );
    case RegType.PTR_TO_STACK:
      // As the kernel's regsafe: the same frame and exactly the same offset, variable part included.
      return old.off === cur.off && old.frameno === cur.frameno && scalarEquals(old.scalar ?? ZERO, cur.scalar ?? ZERO);
    case RegType.PTR_TO_BTF_ID_OR_NULL:
      return old.btfId === cur.btfId && old.off === cur.off;
    case RegType.PTR_TO_MAP_VALUE_OR_NULL:
    case RegType.PTR_TO_MEM_OR_NULL:
      return old.map === cur.map && old.memSize === cur.memSize && old.off === cur.off;
    default:
      return old.off === cur.off && old.frameno === cur.frameno && old.map === cur.map && old.btfId === cur.btfId && old.subprog === cur.subprog && scalarEquals(old.scalar ?? ZERO, cur.scalar ?? ZERO);
  }
}

/** Exact equality of registers (for infinite-loop detection). */
export function regEquals(a: RegState, b: RegState, ids: IdMap = new IdMap()): boolean {
  if (a.type !== b.type) return false;
  if (a.type === RegType.SCALAR) return a.off === b.off && ids.check(a.id, b.id) && scalarEquals(a.scalar!, b.scalar!);
  return regContains(a, b, ids) && regContains(b, a, new IdMap());
}

function allBytes(stack: Uint8Array, slot: number, v: number): boolean {
  for (let b = slot * 8; b < slot * 8 + 8; b++) if (stack[b] !== v) return false;
  return true;
}

function frameMatches(old: FrameState, cur: FrameState, exact: boolean, ids: IdMap, liveRegs: number, marks: FrameMarks | undefined | "all", read: { mask: SlotMask; frame: number } | undefined): boolean {
  if (old.callsite !== cur.callsite || old.callbackOf !== cur.callbackOf) return false;
  for (let i = 0; i < 11; i++) {
    if (!(liveRegs & (1 << i))) continue; // dead: no path from here reads it
    const o = old.regs[i]!;
    const c = cur.regs[i]!;
    // An imprecise scalar: nothing verified from the old state depended on its value.
    if (!exact && marks !== "all" && o.type === RegType.SCALAR && c.type === RegType.SCALAR && !((marks?.regs ?? 0) & (1 << i))) continue;
    if (!(exact ? regEquals(o, c, ids) : regContains(o, c, ids))) return false;
  }
  // Bytes below both frames' depth were never written in either: equal (INVALID).
  const from = STACK_SIZE - Math.max(old.depth, cur.depth);
  for (let slot = from >> 3; slot < STACK_SIZE / 8; slot++) {
    // A slot no path from the old state read before writing it: its contents never mattered.
    if (read && !hasSlot(read.mask, read.frame, slot)) continue;
    if (!exact) {
      const oSpill = old.spills[slot];
      const cSpill = cur.spills[slot];
      const curScalar = cSpill?.type === RegType.SCALAR && allBytes(cur.stack, slot, StackByte.SPILL);
      // An imprecise spilled scalar covers any scalar spill and 8 bytes of MISC (they read as an unknown scalar).
      if (marks !== "all" && oSpill?.type === RegType.SCALAR && !marks?.slots.has(slot) && allBytes(old.stack, slot, StackByte.SPILL)) {
        if (curScalar || allBytes(cur.stack, slot, StackByte.MISC)) continue;
      }
      // 8 bytes of MISC read as an unknown scalar: they cover a spilled scalar.
      if (curScalar && allBytes(old.stack, slot, StackByte.MISC)) continue;
    }
    for (let b = Math.max(from, slot * 8); b < slot * 8 + 8; b++) {
      const o = old.stack[b]!;
      const c = cur.stack[b]!;
      if (o === c) continue;
      if (exact) return false;
      // An old byte that was uninitialized covers anything; MISC covers ZERO.
      if (o === StackByte.INVALID || (o === StackByte.MISC && c === StackByte.ZERO)) continue;
      return false;
    }
    const o = old.spills[slot];
    const c = cur.spills[slot];
    if (!o) continue;
    if (!c || !(exact ? regEquals(o, c, ids) : regContains(o, c, ids))) return false;
  }
  return true;
}

/** Precision marks of a stored state for pruning: per frame, or every scalar precise. */
export interface StateMarks {
  marks: readonly (FrameMarks | undefined)[];
  allPrecise: boolean;
}

/**
 * Whether `old` covers `cur` (prune), or equals it exactly (`exact`, loop
 * detection). With `live` (the program's static liveness and the slot both
 * states are at), dead registers are not compared: the current frame's
 * by the slot's live-in set, a caller's by what is live after its call.
 * With `live.readSlots` (the old state's stack read marks, stack-liveness.ts),
 * only the stack slots some path from the old state read are compared.
 * With `precision` (the old state's marks), imprecise scalars in the old
 * state cover any scalar; without it every scalar is compared.
 */
export function stateMatches(old: VerifierState, cur: VerifierState, exact = false, live?: { liveIn: LiveIn; pc: number; readSlots?: SlotMask }, precision?: StateMarks): boolean {
  if (old.frames.length !== cur.frames.length || old.refs.size !== cur.refs.size) return false;
  const ids = new IdMap();
  const last = old.frames.length - 1;
  for (let i = 0; i <= last; i++) {
    const mask = !live ? ALL_REGS : i === last ? live.liveIn[live.pc]! | R10 : liveAfterCall(live.liveIn, cur.frames[i + 1]!.callsite) | R10;
    const marks = !precision || precision.allPrecise ? "all" : precision.marks[i];
    const read = !exact && live?.readSlots ? { mask: live.readSlots, frame: i } : undefined;
    if (!frameMatches(old.frames[i]!, cur.frames[i]!, exact, ids, mask, marks, read)) return false;
  }
  // refsafe: the references held, paired in the order they were acquired, must stand for the same objects
  // as the registers pointing to them say (a reference of the old state may have another id now).
  const curIds = cur.refs.keys();
  for (const id of old.refs.keys()) if (!ids.check(id, curIds.next().value)) return false;
  return true;
}

/**
 * Widening for callback iterations (the kernel reaches the same fixpoint by
 * ignoring imprecise scalars): every scalar in `cur` that differs from the
 * previous iteration's `prev` becomes unknown, so iterations converge.
 */
export function widenScalars(prev: VerifierState, cur: VerifierState): void {
  const n = Math.min(prev.frames.length, cur.frames.length);
  for (let fi = 0; fi < n; fi++) {
    const p = prev.frames[fi]!;
    const c = cur.frames[fi]!;
    for (let i = 0; i < c.regs.length; i++) {
      const a = p.regs[i]!;
      const b = c.regs[i]!;
      if (a.type === RegType.SCALAR && b.type === RegType.SCALAR && !scalarEquals(a.scalar!, b.scalar!)) c.regs[i] = scalarReg(scalarUnknown());
    }
    for (let i = 0; i < c.spills.length; i++) {
      const a = p.spills[i];
      const b = c.spills[i];
      if (a?.type === RegType.SCALAR && b?.type === RegType.SCALAR && !scalarEquals(a.scalar!, b.scalar!)) c.spills[i] = scalarReg(scalarUnknown());
    }
  }
}
