// Differential test of the JIT against the reference interpreter loop:
// thousands of seeded generated programs (fuzz/program-gen.ts) — verified
// ones, rejected ones, and randomly mutated ones — each run on random
// inputs in two identical VMs (fuzz/jit.ts), comparing r0, executed count,
// faults, stats, memory and map contents after every run.
import { describe, expect, it } from "vitest";
import { formatMismatch, runJitCampaign } from "../../fuzz/jit.js";

const SEED = 0x6a17;

describe("JIT vs interpreter on generated programs", () => {
  for (const [start, count] of [
    [0, 1250],
    [1250, 1250],
    [2500, 1250],
    [3750, 1250],
  ] as const) {
    it(`programs ${start}..${start + count - 1} behave identically`, () => {
      const s = runJitCampaign({ seed: SEED, start, count, runs: 3 });
      expect(s.mismatches.map(formatMismatch).slice(0, 1)).toEqual([]);
      expect(s.programs).toBe(count);
      expect(s.accepted).toBeGreaterThan(count / 5);
      expect(s.raw).toBeGreaterThan(count / 5);
      expect(s.faults).toBeGreaterThan(0);
    }, 60_000);
  }
});
