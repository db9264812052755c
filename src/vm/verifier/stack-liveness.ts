// Stack slot liveness for state pruning (the kernel's REG_LIVE_READ and
// REG_LIVE_WRITTEN marks on stack slots): a stored state's slot matters only
// if some path explored from it read the slot before writing all 8 bytes of
// it. A read is propagated up the current path's chain of stored states
// until a stored state whose segment (from its parent to it) wrote the slot
// whole; a path pruned by a stored state reads what that state read. Only
// complete stored states (every path below them ended) prune, so their read
// marks are final: slots they never read cannot matter, whatever they hold.
//
// Marks are per frame (by call depth), 64 slots in two 32-bit words.
// Anything uncertain counts as a read: a load at a variable offset reads the
// whole frame, and a helper reads every slot from each stack pointer
// argument up to the top of its frame. Only a store of 8 bytes at a fixed
// offset writes a slot whole.
/** Frames a state can have (check-call.ts MAX_CALL_FRAMES). */
const MAX_CALL_FRAMES = 8;

/** Per frame f, words 2f (slots 0-31) and 2f+1 (slots 32-63); slot i = bytes [8i, 8i+8) of FrameState.stack. */
export type SlotMask = Uint32Array;

export function emptySlots(): SlotMask {
  return new Uint32Array(2 * MAX_CALL_FRAMES);
}

export function hasSlot(m: SlotMask, frame: number, slot: number): boolean {
  return (m[2 * frame + (slot >> 5)]! & (1 << (slot & 31))) !== 0;
}

export function addSlot(m: SlotMask, frame: number, slot: number): void {
  m[2 * frame + (slot >> 5)]! |= 1 << (slot & 31);
}

/** What the read propagation needs of a stored state. */
export interface LivenessNode {
  parent: LivenessNode | undefined;
  /** Frames of the stored state. */
  state: { frames: readonly unknown[] };
  /** Slots read by paths explored from it before they wrote them. */
  read: SlotMask;
  /** Slots written whole between its parent and it. */
  written: SlotMask;
}

/**
 * Slot `slot` of frame `frame` is read by the current path, whose own
 * writes since its newest stored state `chain` are `written`: every stored
 * state back to the one whose segment wrote the slot gets a read mark.
 */
export function markSlotRead(chain: LivenessNode | undefined, written: SlotMask, frame: number, slot: number): void {
  if (hasSlot(written, frame, slot)) return;
  for (let c = chain; c; c = c.parent) {
    // A frame the stored state did not have was created since: its slots are fresh.
    if (c.state.frames.length <= frame) return;
    // Already marked: so are its ancestors, up to the same screening write.
    if (hasSlot(c.read, frame, slot)) return;
    addSlot(c.read, frame, slot);
    if (hasSlot(c.written, frame, slot)) return;
  }
}

/** Slots [from, to] of `frame` read by the current path. */
export function markSlotsRead(chain: LivenessNode | undefined, written: SlotMask, frame: number, from: number, to: number): void {
  for (let s = Math.max(0, from); s <= Math.min(63, to); s++) markSlotRead(chain, written, frame, s);
}

/** The current path was pruned by `old`: it reads whatever old's paths read. */
export function propagateReads(old: LivenessNode, chain: LivenessNode | undefined, written: SlotMask): void {
  for (let f = 0; f < MAX_CALL_FRAMES; f++) {
    for (let w = 0; w < 2; w++) {
      const bits = old.read[2 * f + w]!;
      if (bits === 0) continue;
      for (let b = 0; b < 32; b++) if (bits & (1 << b)) markSlotRead(chain, written, f, w * 32 + b);
    }
  }
}

/** Every slot of every frame of the chain counts as read (a prune whose reads are not known). */
export function markAllRead(chain: LivenessNode | undefined): void {
  for (let c = chain; c; c = c.parent) c.read.fill(0xffffffff);
}
