// Driving a trace: run the machine's workload in small steps, drain the
// ring buffer after each, hand events to the caller, and stop on the event
// count, the simulated duration, a stop request (SIGINT, a closed pipe) or
// an error. At the end every remaining record is drained, so the summary
// accounts for every call (delivered + filtered + lost), and the session is
// always closed.
import type { Machine } from "../syscall/machine.js";
import type { TraceEvent } from "./event.js";
import type { SessionStats, TraceSession } from "./session.js";
import { recordsPerCall } from "./phases.js";
import { StackFilter } from "./stack-filter.js";

/** Workload steps between two ring buffer drains (fixed, so a seed gives one trace). */
export const STEPS_PER_POLL = 16;

export interface RunOptions {
  workload: string;
  /** Stop after this many delivered events. */
  count?: number;
  /** Stop after this much simulated time (ns). */
  durationNs?: bigint;
  /** Called with each batch of events; return false to stop (e.g. the reader went away). */
  onEvents(events: TraceEvent[]): boolean | Promise<boolean>;
  /** Polled between batches: true stops the trace (SIGINT/SIGTERM). */
  stopRequested?(): boolean;
}

export interface RunResult {
  /** Why the trace ended. */
  reason: "count" | "duration" | "stopped" | "output-closed";
  /** Events handed to onEvents. */
  shown: number;
  /** Records drained after the end but not shown (count reached, or output closed). */
  notShown: number;
  /** Workload steps run. */
  steps: number;
  /** Stack mode: events outside a complete chain (not shown). */
  stackDropped: number;
  /** Simulated time the trace covered (ns). */
  elapsedNs: bigint;
  stats: SessionStats;
  /** Ground truth, per target: calls the kernel made while the trace ran. */
  calls: Map<string, number>;
}

/** Runs `session` on `machine` until a stop condition; closes the session. */
export async function runTrace(machine: Machine, session: TraceSession, o: RunOptions): Promise<RunResult> {
  const start = machine.nowNs();
  const until = o.durationNs === undefined ? undefined : start + o.durationNs;
  const before = new Map(session.targets.map((t) => [t.name, machine.callCount(t.name, t.kind)]));
  let shown = 0;
  let notShown = 0;
  let steps = 0;
  let reason: RunResult["reason"] = "duration";
  const stack = session.stackChain ? new StackFilter(session.stackChain) : undefined;
  try {
    for (;;) {
      if (o.stopRequested?.()) {
        reason = "stopped";
        break;
      }
      const ran = machine.run(o.workload, STEPS_PER_POLL, until);
      steps += ran;
      let events = session.poll();
      if (stack) events = stack.process(events);
      let cut = 0;
      if (o.count !== undefined && shown + events.length > o.count) {
        cut = shown + events.length - o.count;
        events = events.slice(0, o.count - shown);
      }
      notShown += cut;
      if (events.length) {
        shown += events.length;
        if (!(await o.onEvents(events))) {
          reason = "output-closed";
          break;
        }
      }
      if (o.count !== undefined && shown >= o.count) {
        reason = "count";
        break;
      }
      if (ran < STEPS_PER_POLL) {
        reason = "duration";
        break;
      }
      // Let signals and the output stream through.
      await new Promise((r) => setImmediate(r));
    }
    notShown += session.poll().length;
    const calls = new Map(session.targets.map((t) => [t.name, machine.callCount(t.name, t.kind) - before.get(t.name)!]));
    return { reason, shown, notShown, steps, stackDropped: stack?.dropped ?? 0, elapsedNs: machine.nowNs() - start, stats: session.stats(), calls };
  } finally {
    session.close();
  }
}

/** One line per target: calls, delivered, filtered, lost; and whether they add up (--check). */
export interface Conservation {
  name: string;
  calls: number;
  /** What the records account for: events per call (2 for entry + return), times calls. */
  expected: number;
  accounted: number;
  delivered: number;
  filtered: number;
  lost: number;
  ok: boolean;
}

/** Checks calls against what the programs counted, per target. */
export function conservation(session: TraceSession, result: RunResult): Conservation[] {
  return session.targets.map((t) => {
    const c = result.stats.perTarget.get(t.name)!;
    const calls = result.calls.get(t.name) ?? 0;
    const perCall = recordsPerCall(t, session.phaseMode);
    const accounted = c.emitted + c.filtered + c.lost + (t.stash ? c.stashMiss + c.stashFull : 0);
    return { name: t.name, calls, expected: calls * perCall, accounted, delivered: c.delivered, filtered: c.filtered, lost: c.lost, ok: accounted === calls * perCall };
  });
}
