// The phase rule: which programs a target gets, and the records per call
// --check expects, in each mode.
import { describe, expect, it } from "vitest";
import type { TargetPlan, ValuePlan } from "../probe-spec/plan.js";
import { alwaysEmits, recordsPerCall, wantsPhase, type PhaseMode } from "./phases.js";

/** A target as resolve.ts makes it: `bare` for a spec without items (everything: onEntry and onReturn both set). */
const target = (when: ("entry" | "return")[], stash = false, bare = false): TargetPlan => {
  const atEntry = when.includes("entry");
  const atReturn = when.includes("return");
  const everything = bare || when.length === 0;
  return {
    values: when.map((w) => ({ when: w }) as unknown as ValuePlan),
    stash,
    onEntry: everything || stash || atEntry,
    onReturn: everything || stash || atReturn,
  } as unknown as TargetPlan;
};
const plain: PhaseMode = { everyPhase: false, aggregate: false };
const every: PhaseMode = { everyPhase: true, aggregate: false };
const agg: PhaseMode = { everyPhase: false, aggregate: true };
const phases = (t: TargetPlan, m: PhaseMode) => (["entry", "return"] as const).filter((p) => wantsPhase(t, p, m));

describe("phases", () => {
  it.each([
    ["entry values only", target(["entry"]), plain, ["entry"], 1],
    ["return only", target(["return"]), plain, ["return"], 1],
    ["entry values and return", target(["entry", "return"]), plain, ["entry", "return"], 2],
    ["no values (a void function of no arguments): both ends, as ksnoop prints them", target([]), plain, ["entry", "return"], 2],
    ["a bare spec of a void function with arguments: entry only (nothing to show on return)", target(["entry"], false, true), plain, ["entry"], 1],
    ["a bare spec of a function with arguments and a return value", target(["entry", "return"], false, true), plain, ["entry", "return"], 2],
    ["stash: entry stashes, return emits", target(["entry", "return"], true), plain, ["entry", "return"], 1],
    ["stack mode / call trees: every phase", target(["entry"]), every, ["entry", "return"], 2],
    ["stack mode with a stash target", target(["entry", "return"], true), every, ["entry", "return"], 1],
    ["aggregation of an entry value", target(["entry"]), agg, ["entry"], 1],
    ["aggregation of the return value", target(["return"]), agg, ["return"], 1],
    ["aggregation of a stash spec", target(["entry", "return"], true), agg, ["entry", "return"], 1],
  ] as const)("%s", (_, t, mode, want, records) => {
    expect(phases(t, mode)).toEqual(want);
    expect(recordsPerCall(t, mode)).toBe(records);
  });

  it("ALWAYS: every end in stack mode and call trees, every call when aggregating, and the call itself for a target without values", () => {
    expect([plain, every, agg].map((m) => alwaysEmits(target(["entry"]), m))).toEqual([false, true, true]);
    expect(alwaysEmits(target([]), plain)).toBe(true);
  });
});
