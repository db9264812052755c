// Stack mode (ksnoop -s a b c): only events inside the call chain
// a -> b -> c (direct calls or through untraced functions) are shown, in
// order. A frame's entry waits until the chain is completed on top of it
// (c entered with b and a below); then it is shown, and its return will be.
// Frames that unwind without completing the chain are dropped, counted.
// State is per task and deleted when the task's stack of chain functions
// unwinds, so nothing leaks (ksnoop never deletes its per-task stacks and
// silently stops at 2048 tasks).
import type { TraceEvent } from "./event.js";

interface Frame {
  /** Position in the chain, or null for a chain function called out of order. */
  k: number | null;
  /** Its entry, until shown. */
  entry: TraceEvent | undefined;
  /** The chain completed while this frame was live: its return is shown. */
  complete: boolean;
}

export class StackFilter {
  private readonly index: Map<string, number>;
  private readonly tasks = new Map<number, Frame[]>();
  /** Events dropped because they were not inside a complete chain. */
  dropped = 0;

  constructor(private readonly chain: readonly string[]) {
    this.index = new Map(chain.map((n, i) => [n, i]));
  }

  /** Tasks with chain functions on their stack right now. */
  get liveTasks(): number {
    return this.tasks.size;
  }

  /** The events to show, in order, out of a batch (events of functions outside the chain pass through). */
  process(events: readonly TraceEvent[]): TraceEvent[] {
    const out: TraceEvent[] = [];
    const show = (ev: TraceEvent) => {
      // Bookkeeping-only events (no values asked for) are not shown.
      if (ev.values.length) out.push(ev);
    };
    for (const ev of events) {
      const k = this.index.get(ev.func);
      if (k === undefined) {
        out.push(ev);
        continue;
      }
      let stack = this.tasks.get(ev.tid);
      if (ev.kind === "entry") {
        if (!stack) this.tasks.set(ev.tid, (stack = []));
        const below = [...stack].reverse().find((f) => f.k !== null);
        const onChain = k === 0 ? below === undefined : below?.k === k - 1;
        const frame: Frame = { k: onChain ? k : null, entry: ev, complete: false };
        stack.push(frame);
        if (!onChain) {
          frame.entry = undefined;
          this.dropped++;
          continue;
        }
        if (k === this.chain.length - 1) {
          for (const f of stack) {
            if (f.k === null) continue;
            f.complete = true;
            if (f.entry) show(f.entry);
            f.entry = undefined;
          }
        }
        continue;
      }
      // Pop to this function's frame (returns in between were lost or filtered).
      let frame = stack?.pop();
      while (stack && frame && frame.k !== null && this.chain[frame.k] !== ev.func && stack.length) {
        this.dropped++;
        frame = stack.pop();
      }
      if (!frame || frame.k === null || !frame.complete) {
        if (frame?.entry) this.dropped++; // its entry never showed either
        this.dropped++;
      } else show(ev);
      if (stack && !stack.length) this.tasks.delete(ev.tid);
    }
    return out;
  }
}
