// Precision tracking (the kernel's mark_chain_precision and
// backtrack_insn): a scalar is *precise* in a stored state when some check
// after it depended on its value (a branch decided by its bounds, a size
// argument, a constant pointer offset, the return value's range). State
// pruning compares only precise scalars; an imprecise one covers any scalar,
// since nothing that was verified from the old state depended on its value.
//
// A check that needs a register's value calls markPrecise: the instructions
// of the current path are walked backwards (each checkpoint keeps the slots
// executed since its parent, with the stack slot each stack load or store
// touched), following the register to whatever defined it (a copy, an ALU
// operand, a spill to the stack) and marking it precise in every checkpoint
// on the way. Walks that would cross a call frame (bpf-to-bpf calls,
// callbacks) mark every scalar of every checkpoint on the path precise
// instead: always sound, less prunable.
import type { SlotMask } from "./stack-liveness.js";
import type { Program } from "../isa/instruction.js";
import { AtomicOp, Class, CLASS_MASK, JmpOp, LDDW, Mode, OP_MASK, Source, SOURCE_MASK } from "../isa/opcodes.js";
import { RegType, StackByte, type FrameState, type VerifierState } from "./types.js";

/** Precision marks of one frame of a stored state. */
export interface FrameMarks {
  /** Bit r: register r holds a precise scalar. */
  regs: number;
  /** Stack slots (8-byte, by index into FrameState.spills) whose spilled scalar is precise. */
  slots: Set<number>;
}

/** A stored state at a prune point, with what the verifier learned about it since. */
export interface Checkpoint {
  state: VerifierState;
  parent: Checkpoint | undefined;
  pc: number;
  /** Paths still being explored below this state; 0 = complete (its marks are final and it may prune). */
  branches: number;
  /** History entries (see histEntry) from the parent's slot up to, not including, this one. */
  hist: number[];
  /** Per frame; absent frames have no marks. */
  marks: FrameMarks[];
  /** Every scalar of this state counts as precise (a walk crossed a frame). */
  allPrecise: boolean;
  /** Stack slots read by paths explored from here, and written whole since the parent (stack-liveness.ts). */
  read: SlotMask;
  written: SlotMask;
  /** Visits this state pruned, and visits it did not while a state was to be stored (is_state_visited's hit_cnt, miss_cnt). */
  hits: number;
  misses: number;
  /** Dropped from its slot's list while still being explored (the kernel's free list): counted in peak_states until complete. */
  evicted?: boolean;
}

/** The part of a path precision walks need: its newest checkpoint and the history since. */
export interface PathHistory {
  chain: Checkpoint | undefined;
  hist: number[];
}

const PC_BITS = 20;
const PC_MASK = (1 << PC_BITS) - 1;
const STACK_SHIFT = PC_BITS;
const STACK_MASK = 0x3ff;
/** Set on an entry whose instruction changed the frame (see histEntry). */
export const FRAME_CHANGE = 1 << 30;

/**
 * One executed instruction: its slot, the stack slot it loaded or stored
 * (frame * 64 + slot, when through a stack pointer) and whether it changed
 * the frame (call into a subprogram or callback, exit from one).
 */
export function histEntry(pc: number, stackKey: number | undefined, frameChange: boolean): number {
  return pc | (stackKey === undefined ? 0 : (stackKey + 1) << STACK_SHIFT) | (frameChange ? FRAME_CHANGE : 0);
}

/** The stack slot key (frame * 64 + slot index) of an access through a stack pointer of frame `frameno` at byte offset `off`. */
export function stackKey(frameno: number, off: number): number {
  return frameno * 64 + ((512 + off) >> 3);
}

export function marksOf(cp: Checkpoint, frame: number): FrameMarks {
  let m = cp.marks[frame];
  if (!m) cp.marks[frame] = m = { regs: 0, slots: new Set() };
  return m;
}

/** Marks every scalar of every checkpoint of the path precise (stops at one already marked so: its ancestors are too). */
export function markAllPrecise(chain: Checkpoint | undefined): void {
  for (let c = chain; c && !c.allPrecise; c = c.parent) c.allPrecise = true;
}

const R = (r: number): number => 1 << r;

/**
 * Walks one instruction backwards. `set.regs`/`set.slots` hold what must be
 * precise after it; on return, what must be precise before it. Returns
 * false when the walk cannot follow (the caller marks everything instead).
 */
function backtrackInsn(program: Program, insnAt: Int32Array, entry: number, set: { regs: number; slots: Set<number> }): boolean {
  if (entry & FRAME_CHANGE) return false;
  const pc = entry & PC_MASK;
  const key = ((entry >>> STACK_SHIFT) & STACK_MASK) - 1;
  const insn = program.insns[insnAt[pc]!]!;
  const code = insn.opcode;
  const cls = code & CLASS_MASK;
  const d = insn.dst;
  const s = insn.src;
  const x = (code & SOURCE_MASK) === Source.X;
  switch (cls) {
    case Class.ALU:
    case Class.ALU64: {
      if (!(set.regs & R(d))) return true;
      const op = code & 0xf0;
      if (op === 0xb0 /* MOV */) {
        set.regs &= ~R(d);
        if (x) set.regs |= R(s);
      } else if (x && op !== 0x80 && op !== 0xd0) set.regs |= R(s);
      return true;
    }
    case Class.LDX:
      if (!(set.regs & R(d))) return true;
      set.regs &= ~R(d);
      if (key >= 0) set.slots.add(key);
      return true;
    case Class.ST:
      if (key >= 0 && set.slots.has(key) && (code & 0x18) === 0x18 /* DW */) set.slots.delete(key);
      return true;
    case Class.STX: {
      if ((code & 0xe0) === Mode.ATOMIC) {
        if (key >= 0 && set.slots.has(key)) return false;
        const fetched = insn.imm === AtomicOp.CMPXCHG ? 0 : insn.imm & AtomicOp.FETCH ? s : -1;
        if (fetched >= 0 && set.regs & R(fetched)) {
          if (key >= 0) return false;
          set.regs &= ~R(fetched);
        }
        return true;
      }
      if (key < 0 || !set.slots.has(key)) return true;
      if ((code & 0x18) === 0x18) set.slots.delete(key);
      set.regs |= R(s);
      return true;
    }
    case Class.LD:
      if (code === LDDW) set.regs &= ~R(d);
      else set.regs &= ~0b111111; // LD_ABS/IND: r0 from the packet, r1-r5 clobbered
      return true;
    default:
      break;
  }
  const op = code & OP_MASK;
  if (op === JmpOp.CALL) {
    // r1-r5 are clobbered by a call: nothing after it can need them.
    if (set.regs & 0b111110) return false;
    set.regs &= ~R(0); // a helper's result depends on no register
    return true;
  }
  if (op === JmpOp.EXIT || op === JmpOp.JA) return true;
  // A comparison of two registers ties their bounds on each side.
  if (x && set.regs & (R(d) | R(s))) set.regs |= R(d) | R(s);
  return true;
}

function isSpilledScalar(f: FrameState, slot: number): boolean {
  if (f.spills[slot]?.type !== RegType.SCALAR) return false;
  for (let b = slot * 8; b < slot * 8 + 8; b++) if (f.stack[b] !== StackByte.SPILL) return false;
  return true;
}

/**
 * Scalars linked (one id, see scalar-ids.ts) with a register or slot of
 * `set` in checkpoint `cp` are precise with it: a later comparison of any
 * of them may have bounded the others (the kernel records the linked
 * registers of each jump in its history; marking the whole group where it
 * exists at the checkpoint is a superset of that). Linked registers of the
 * walk's frame and linked slots join `set` (their history is walked too);
 * those of other frames are marked here (they cannot change in this frame).
 */
function addLinked(cp: Checkpoint, frame: number, set: { regs: number; slots: Set<number> }): void {
  const frames = cp.state.frames;
  const f = frames[frame]!;
  let ids: Set<number> | undefined;
  const note = (id: number | undefined) => {
    if (id !== undefined) (ids ??= new Set()).add(id);
  };
  for (let r = 0; r < 10; r++) if (set.regs & R(r) && f.regs[r]!.type === RegType.SCALAR) note(f.regs[r]!.id);
  for (const k of set.slots) {
    const fr = frames[k >> 6];
    if (fr && isSpilledScalar(fr, k & 63)) note(fr.spills[k & 63]!.id);
  }
  if (!ids) return;
  for (let fi = 0; fi < frames.length; fi++) {
    const fr = frames[fi]!;
    for (let r = 0; r < 10; r++) {
      const v = fr.regs[r]!;
      if (v.type !== RegType.SCALAR || v.id === undefined || !ids.has(v.id)) continue;
      if (fi === frame) set.regs |= R(r);
      else marksOf(cp, fi).regs |= R(r);
    }
    for (let slot = 0; slot < fr.spills.length; slot++) {
      const v = fr.spills[slot];
      if (v?.type === RegType.SCALAR && v.id !== undefined && ids.has(v.id) && isSpilledScalar(fr, slot)) set.slots.add(fi * 64 + slot);
    }
  }
}

/**
 * Marks registers `regs` of the current frame and stack slots `slots`
 * (keys frame * 64 + slot) precise back along `path`. With `skipLast`, the
 * newest history entry (the instruction asking) is not walked.
 */
export function markPrecise(program: Program, insnAt: Int32Array, path: PathHistory, frame: number, regs: number, slots: Iterable<number>, skipLast: boolean): void {
  const set = { regs: regs & ~R(10), slots: new Set(slots) };
  if (!set.regs && !set.slots.size) return;
  let hist = path.hist;
  let end = hist.length - (skipLast ? 1 : 0);
  let cp = path.chain;
  for (;;) {
    for (let i = end - 1; i >= 0; i--) {
      if (!backtrackInsn(program, insnAt, hist[i]!, set)) return markAllPrecise(path.chain);
      if (!set.regs && !set.slots.size) return;
    }
    if (!cp) return; // the program's entry: nothing before it
    if (cp.allPrecise) return; // everything here and above already is
    const f = cp.state.frames[frame];
    if (!f) return markAllPrecise(path.chain);
    addLinked(cp, frame, set);
    const m = marksOf(cp, frame);
    for (let r = 0; r < 10; r++) {
      if (!(set.regs & R(r))) continue;
      if (f.regs[r]!.type !== RegType.SCALAR || m.regs & R(r)) set.regs &= ~R(r);
      else m.regs |= R(r);
    }
    for (const k of set.slots) {
      const fr = cp.state.frames[k >> 6];
      const slot = k & 63;
      if (!fr || !isSpilledScalar(fr, slot)) {
        set.slots.delete(k);
        continue;
      }
      const mk = marksOf(cp, k >> 6);
      if (mk.slots.has(slot)) set.slots.delete(k);
      else mk.slots.add(slot);
    }
    if (!set.regs && !set.slots.size) return;
    hist = cp.hist;
    end = hist.length;
    cp = cp.parent;
  }
}
