// retsnoop-style call trees: entry and return events of the traced
// functions, per task, folded into trees with durations and return values.
// A tree is complete when its outermost call returns; then it is handed
// out (optionally only when some call in it returned a negative errno).
// Per-task state is dropped as soon as the task's stack unwinds. What counts
// as an errno depends on the return type: the builder takes that rule from
// its caller (the CLI reads it from BTF), by default the signed 64-bit register.
import type { TraceEvent, TraceValue } from "./event.js";

export interface CallNode {
  func: string;
  /** Entry values (the spec's), as captured. */
  args: readonly TraceValue[];
  start: bigint;
  end: bigint;
  /** The `return` value when captured (raw u64). */
  ret: TraceValue | undefined;
  children: CallNode[];
  /** This call returned a negative errno (-4095..-1, by the rule the builder was given). */
  failed: boolean;
}

export interface CallTree {
  pid: number;
  tid: number;
  comm: string;
  cpu: number;
  root: CallNode;
}

/** Whether a return value is a negative errno (-4095..-1), read as the signed 64-bit register. */
export function isErrno(v: TraceValue | undefined): boolean {
  if (!v) return false;
  const s = BigInt.asIntN(64, v.raw);
  return s < 0n && s >= -4095n;
}

export class CallTreeBuilder {
  private readonly stacks = new Map<number, CallNode[]>();
  /** Returns without an entry (the trace started inside a call), dropped. */
  orphans = 0;
  /** Calls whose return never came (lost or filtered), closed when an outer call returned. */
  abandoned = 0;

  /**
   * @param errorsOnly hand out only trees in which some call failed
   * @param failed whether a return value is a failure (default: isErrno)
   */
  constructor(
    private readonly errorsOnly = false,
    private readonly failed: (ret: TraceValue | undefined) => boolean = isErrno,
  ) {}

  get liveTasks(): number {
    return this.stacks.size;
  }

  process(events: readonly TraceEvent[]): CallTree[] {
    const done: CallTree[] = [];
    for (const ev of events) {
      if (ev.kind === "tracepoint") continue;
      let stack = this.stacks.get(ev.tid);
      if (ev.kind === "entry") {
        if (!stack) this.stacks.set(ev.tid, (stack = []));
        const node: CallNode = { func: ev.func, args: ev.values, start: ev.timeNs, end: ev.timeNs, ret: undefined, children: [], failed: false };
        stack[stack.length - 1]?.children.push(node);
        stack.push(node);
        continue;
      }
      // A return whose frame is not on top: the returns in between were lost (ring buffer full) or
      // filtered. Unwind to the matching frame, counting the abandoned ones; none matching: an orphan.
      const at = stack ? stack.map((n) => n.func).lastIndexOf(ev.func) : -1;
      if (!stack || at < 0) {
        this.orphans++;
        continue;
      }
      this.abandoned += stack.length - 1 - at;
      stack.length = at + 1;
      const node = stack.pop()!;
      node.end = ev.timeNs;
      node.ret = ev.values.find((v) => v.name === "return");
      node.failed = this.failed(node.ret);
      if (stack.length === 0) {
        this.stacks.delete(ev.tid);
        if (!this.errorsOnly || anyFailed(node)) done.push({ pid: ev.pid, tid: ev.tid, comm: ev.comm, cpu: ev.cpu, root: node });
      }
    }
    return done;
  }
}

function anyFailed(n: CallNode): boolean {
  return n.failed || n.children.some(anyFailed);
}
