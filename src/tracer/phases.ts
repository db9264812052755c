// Which phases (entry, return) of a target a session attaches programs to,
// and how many records each call of it accounts for: one rule shared by the
// session (what to load and attach) and the --check conservation (what the
// counters must add up to).
import type { TargetPlan } from "../probe-spec/plan.js";

/** The session-wide modes that change the rule. */
export interface PhaseMode {
  /** Stack mode (-s) or call trees (--tree): every entry and return. */
  readonly everyPhase: boolean;
  /** Aggregation: each call counted once. */
  readonly aggregate: boolean;
}

/** Whether `t` needs a program in `phase`. */
export function wantsPhase(t: TargetPlan, phase: "entry" | "return", mode: PhaseMode): boolean {
  if (mode.everyPhase) return true;
  // Aggregation counts each call once, in the phase its values come from; a
  // stash target needs its entry (which stashes) and its return (which counts).
  if (mode.aggregate) return t.stash || phase === (t.onReturn && t.values.some((v) => v.when === "return") ? "return" : "entry");
  // A phase emits only when it has values (or the target has none at all,
  // when both ends show the call): a bare spec of a void function with
  // arguments is entry-only, whatever onReturn says.
  const none = t.values.length === 0;
  if (phase === "entry") return t.onEntry && (none || t.values.some((v) => v.when === "entry"));
  return t.onReturn && (none || t.values.some((v) => v.when === "return"));
}

/**
 * Whether `t`'s programs emit a record even when the phase has no values
 * (the table's ALWAYS flag): stack mode and call trees need every end for
 * their bookkeeping, aggregation counts every call, and a target with no
 * values at all (a void function of no arguments) shows the call itself.
 */
export function alwaysEmits(t: TargetPlan, mode: PhaseMode): boolean {
  return mode.everyPhase || mode.aggregate || t.values.length === 0;
}

/**
 * Records (emitted, filtered or lost) one call of `t` accounts for: 1 for a
 * stash target (its entry only stashes), else one per phase it is attached in.
 */
export function recordsPerCall(t: TargetPlan, mode: PhaseMode): number {
  if (t.stash) return 1;
  return (wantsPhase(t, "entry", mode) ? 1 : 0) + (wantsPhase(t, "return", mode) ? 1 : 0);
}
