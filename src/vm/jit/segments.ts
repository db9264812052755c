// Splitting of a large entry region into segments for the JIT: V8 leaves a
// function over 60 KiB of bytecode unoptimized (slower than the
// interpreter), so a region of thousands of instructions (the tracer's
// generic programs for wide specs) becomes several functions. A segment is
// a run of blocks in slot order that control enters only at its first slot
// and leaves only by EXIT, a fault, or a jump/fall forward to the first slot
// of a later segment. So a cut between two blocks needs that no loop spans
// it (no backward edge crosses it) and that every forward edge crossing it
// lands on another cut (the shared exit block a program's early checks jump
// to becomes a segment of its own). Pure analysis of the CFG; compile.ts
// emits the segments and the driver that calls them in slot order.
import { successors, type Block, type Cfg } from "./cfg.js";

export interface Segment {
  /** Slot of the segment's first block (where control enters it). */
  readonly start: number;
  /** Instructions in the segment. */
  readonly size: number;
  /** Whether block `b` belongs to the segment. */
  readonly has: (b: Block) => boolean;
}

/**
 * The segments of the region `order` (the blocks reachable from `entry`),
 * in slot order: cut at the first allowed point that forces no other cut
 * once a segment holds `target` instructions (at any allowed point once it
 * holds 1.5 times that), and at every point such a cut requires. One
 * segment (the whole region) when the entry is not the region's lowest
 * slot or no cut is allowed.
 */
export function segmentsOf(cfg: Cfg, order: readonly Block[], entry: number, target: number): Segment[] {
  const blocks = [...order].sort((a, b) => a.pcs[0]! - b.pcs[0]!);
  const n = blocks.length;
  const pos = new Int32Array(cfg.blocks.length).fill(-1);
  blocks.forEach((b, i) => (pos[b.index] = i));
  // Edges by position (a cut at i lies just before blocks[i]); jumps out of the program stay where they are (a fault).
  const fwd: [number, number][] = [];
  const back = new Int32Array(n + 1);
  blocks.forEach((b, u) => {
    for (const s of successors(b)) {
      const t = cfg.blockAt[s];
      const v = t === undefined ? -1 : pos[t.index]!;
      if (v < 0) continue;
      if (v > u + 1) fwd.push([u, v]);
      else if (v <= u) {
        // a loop: no cut in (v, u]
        back[v + 1]!++;
        back[u + 1]!--;
      }
    }
  });
  // Allowed cuts: inside no loop, and closed under "a forward edge crossing a cut lands on an allowed cut".
  const allowed = new Uint8Array(n);
  for (let i = 1, run = back[0]!; i < n; i++) {
    run += back[i]!;
    allowed[i] = run === 0 ? 1 : 0;
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (const [u, v] of fwd) {
      if (allowed[v]) continue;
      for (let c = u + 1; c < v; c++) {
        if (allowed[c]) {
          allowed[c] = 0;
          changed = true;
        }
      }
    }
  }
  const whole = (): Segment[] => {
    let size = 0;
    for (const b of blocks) size += b.pcs.length;
    return [{ start: entry, size, has: (b) => pos[b.index]! >= 0 }];
  };
  if (n === 0 || blocks[0]!.pcs[0] !== entry) return whole();
  // A cut forces the targets of the forward jumps over it to be cuts too.
  // A cut forcing no new one (every jump over it lands on a cut already
  // forced, e.g. the shared exit) is taken at `target`; others, which make
  // small segments, only at 1.5 times that.
  const forced = new Uint8Array(n);
  const fresh = (i: number): number => {
    let k = 0;
    for (const [u, v] of fwd) if (u < i && i < v && !forced[v]) k++;
    return k;
  };
  const cuts: number[] = [0];
  let size = 0;
  for (let i = 0; i < n; i++) {
    if (i > 0 && allowed[i] && (forced[i] || (size >= target && (size >= target * 1.5 || fresh(i) === 0)))) {
      cuts.push(i);
      size = 0;
      // the targets of forward edges crossing this cut must be cuts too (they are allowed: the set is closed)
      for (const [u, v] of fwd) if (u < i && i < v) forced[v] = 1;
    }
    size += blocks[i]!.pcs.length;
  }
  if (cuts.length === 1) return whole();
  cuts.push(n);
  const segs: Segment[] = [];
  for (let k = 0; k + 1 < cuts.length; k++) {
    const lo = cuts[k]!;
    const hi = cuts[k + 1]!;
    let sz = 0;
    for (let i = lo; i < hi; i++) sz += blocks[i]!.pcs.length;
    segs.push({
      start: blocks[lo]!.pcs[0]!,
      size: sz,
      has: (b) => {
        const p = pos[b.index]!;
        return p >= lo && p < hi;
      },
    });
  }
  return segs;
}
