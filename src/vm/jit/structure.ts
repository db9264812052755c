// Structured control flow for the JIT: turns the part of a program's CFG
// reachable from one entry into nested JavaScript statements (labeled blocks
// left with `break`, `for (;;)` loops re-entered with `continue`) instead of
// a `switch (pc)` in a loop, so that V8 sees ordinary loops and keeps
// registers in machine registers across them.
//
// The method is the dominator-tree translation of reducible graphs (as in
// Ramsey, "Beyond Relooper", 2022): in reverse postorder (RPO), a block
// reached by two or more forward edges (a merge) is placed right after a
// labeled block that encloses everything that jumps forward to it; a loop
// header (target of a back edge) heads a `for (;;)` around its dominator
// subtree; any other block is inlined at its only forward edge. An
// irreducible region (a back edge whose target does not dominate its
// source) has no such form: structure() says so and the caller keeps the
// switch for that region.
import { End, successors, type Block, type Cfg } from "./cfg.js";

/** What the structurer asks the instruction emitter for. */
export interface StructureEmitter {
  /** Code of block `b` before its jump: the budget charge and its instructions. */
  body(b: Block): string;
  /** The condition under which b's conditional jump is taken. */
  cond(b: Block): string;
  /** b's EXIT. */
  exit(b: Block): string;
  /** Control reaching slot `pc`, outside the program or at no instruction (a fault). */
  outside(pc: number): string;
}

/** The blocks reachable from the block at `entry` (through blocks `within` allows, if given), in reverse postorder. */
export function reversePostorder(cfg: Cfg, entry: number, within?: (b: Block) => boolean): Block[] {
  const start = cfg.blockAt[entry];
  if (start === undefined) return [];
  const seen = new Uint8Array(cfg.blocks.length);
  const post: Block[] = [];
  // Iterative DFS: a stack of (block, successors left to visit).
  const stack: { b: Block; succ: number[]; i: number }[] = [{ b: start, succ: successors(start), i: 0 }];
  seen[start.index] = 1;
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.i < top.succ.length) {
      const s = cfg.blockAt[top.succ[top.i++]!];
      if (s !== undefined && !seen[s.index] && (within === undefined || within(s))) {
        seen[s.index] = 1;
        stack.push({ b: s, succ: successors(s), i: 0 });
      }
    } else {
      post.push(top.b);
      stack.pop();
    }
  }
  return post.reverse();
}

/**
 * Structured JavaScript for the region of `cfg` reachable from `entry`
 * (through blocks `within` allows, if given: jumps to others are `outside`),
 * or undefined when the region is irreducible. Every path through the code
 * ends in an explicit transfer (return, throw, break, continue), so no
 * statement falls off the end of a block or a loop.
 */
export function structure(cfg: Cfg, entry: number, em: StructureEmitter, within?: (b: Block) => boolean): string | undefined {
  const order = reversePostorder(cfg, entry, within);
  if (order.length === 0) return undefined;
  const n = cfg.blocks.length;
  const rpo = new Int32Array(n).fill(-1);
  order.forEach((b, i) => (rpo[b.index] = i));
  const inRegion = (pc: number): Block | undefined => {
    const b = cfg.blockAt[pc];
    return b !== undefined && rpo[b.index]! >= 0 ? b : undefined;
  };
  // Predecessor edges (with multiplicity: a conditional jump to the next slot is two edges).
  const preds: number[][] = Array.from({ length: order.length }, () => []);
  for (const b of order) {
    for (const s of successors(b)) {
      const t = inRegion(s);
      if (t !== undefined) preds[rpo[t.index]!]!.push(rpo[b.index]!);
    }
  }
  // Immediate dominators by RPO number (Cooper, Harvey and Kennedy's iteration).
  const idom = new Int32Array(order.length).fill(-1);
  idom[0] = 0;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while (a > b) a = idom[a]!;
      while (b > a) b = idom[b]!;
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = 1; i < order.length; i++) {
      let d = -1;
      for (const p of preds[i]!) {
        if (idom[p] === -1) continue;
        d = d === -1 ? p : intersect(p, d);
      }
      if (d !== idom[i]) {
        idom[i] = d;
        changed = true;
      }
    }
  }
  const dominates = (a: number, b: number): boolean => {
    while (b > a) b = idom[b]!;
    return a === b;
  };
  const loopHeader = new Uint8Array(order.length);
  const forwardIn = new Int32Array(order.length);
  for (let i = 0; i < order.length; i++) {
    for (const p of preds[i]!) {
      if (p < i) forwardIn[i]!++;
      else if (!dominates(i, p)) return undefined; // a retreating edge that is no back edge: irreducible
      else loopHeader[i] = 1;
    }
  }
  const isMerge = (i: number) => forwardIn[i]! >= 2;
  // Children of each node in the dominator tree that are merge nodes, highest RPO first.
  const mergeChildren: number[][] = Array.from({ length: order.length }, () => []);
  for (let i = order.length - 1; i >= 1; i--) if (isMerge(i)) mergeChildren[idom[i]!]!.push(i);

  const out: string[] = [];
  const slotOf = (i: number) => order[i]!.pcs[0]!;
  const branch = (from: number, pc: number): void => {
    const t = inRegion(pc);
    if (t === undefined) {
      out.push(em.outside(pc));
      return;
    }
    const to = rpo[t.index]!;
    if (to <= from) out.push(`continue L${slotOf(to)};`);
    else if (isMerge(to)) out.push(`break B${slotOf(to)};`);
    else doTree(to);
  };
  const nodeWithin = (x: number, ys: readonly number[], k: number): void => {
    if (k < ys.length) {
      const y = ys[k]!;
      out.push(`B${slotOf(y)}: {`);
      nodeWithin(x, ys, k + 1);
      out.push(`}`);
      doTree(y);
      return;
    }
    const b = order[x]!;
    out.push(em.body(b));
    switch (b.end) {
      case End.EXIT:
        out.push(em.exit(b));
        return;
      case End.JUMP:
        branch(x, b.target);
        return;
      case End.COND:
        out.push(`if (${em.cond(b)}) {`);
        branch(x, b.target);
        out.push(`}`);
        branch(x, b.next);
        return;
      default:
        branch(x, b.next);
    }
  };
  const doTree = (x: number): void => {
    if (loopHeader[x]) {
      out.push(`L${slotOf(x)}: for (;;) {`);
      nodeWithin(x, mergeChildren[x]!, 0);
      out.push(`}`);
    } else nodeWithin(x, mergeChildren[x]!, 0);
  };
  doTree(0);
  return out.join("\n");
}
