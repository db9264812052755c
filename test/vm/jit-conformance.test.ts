// The bpf_conformance suite through the JIT: every positive program (and the
// negative ones that decode) runs compiled and in the reference interpreter
// loop under the suite's contract, and must give the same r0, executed
// count, fault (kind, pc, message), stats and memory; the positives must give
// the expected r0. Each program is also rerun with budgets that stop it
// early, so budget faults land on the same instruction with the same count.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { nullKernelEnv } from "../../src/vm/env.js";
import { HelperTable } from "../../src/vm/helpers/table.js";
import { assemble } from "../../src/vm/isa/asm.js";
import { decodeProgram } from "../../src/vm/isa/decode.js";
import { encodeProgram } from "../../src/vm/isa/encode.js";
import type { Program } from "../../src/vm/isa/instruction.js";
import { Interpreter, type RunResult } from "../../src/vm/interpreter.js";
import { AddressSpace, RegionKind, regionAddress } from "../../src/vm/memory.js";
import { CONFORMANCE_NEGATIVE_DIR, CONFORMANCE_TESTS_DIR, listDataFiles, readConformanceData } from "../helpers/conformance-data.js";

const positives = listDataFiles(CONFORMANCE_TESTS_DIR).map((f) => join(CONFORMANCE_TESTS_DIR, f));
const negatives = listDataFiles(CONFORMANCE_NEGATIVE_DIR).map((f) => join(CONFORMANCE_NEGATIVE_DIR, f));

interface Outcome {
  r0: bigint;
  executed: number;
  fault?: { kind: string; pc: number; message: string; errno: string };
  mem: number[];
  stats: Interpreter["stats"];
  jitted: boolean;
}

/** runConformance (src/vm/conformance.ts) with the JIT on or off, keeping everything there is to compare. */
function run(program: Program, memInit: Uint8Array, jit: boolean, budget?: number): Outcome {
  const space = new AddressSpace();
  const helpers = new HelperTable({ 5: (_rt, r1) => r1 });
  const vm = new Interpreter({ mem: space, env: nullKernelEnv(), helper: (id) => helpers.impl(id), jit });
  const mem = memInit.slice();
  const region = space.map(RegionKind.MEM, mem, { label: "test memory" });
  const lp = vm.load(program, "conformance");
  const r: RunResult = vm.run(lp, { args: [mem.length ? regionAddress(region) : 0n, BigInt(mem.length)], ...(budget === undefined ? {} : { budget }) });
  return {
    r0: r.r0,
    executed: r.executed,
    ...(r.fault ? { fault: { kind: r.fault.kind, pc: r.fault.pc, message: r.fault.message, errno: r.fault.errno } } : {}),
    mem: [...mem],
    stats: structuredClone(vm.stats),
    jitted: lp.jitted !== undefined,
  };
}

function compare(program: Program, mem: Uint8Array, budget?: number): Outcome {
  const ref = run(program, mem, false, budget);
  const jit = run(program, mem, true, budget);
  expect(jit.jitted).toBe(true);
  expect({ ...jit, jitted: false }).toEqual(ref);
  return jit;
}

/** Budgets that stop a run of `executed` instructions at several places. */
function budgets(executed: number): number[] {
  const set = new Set([0, 1, 2, 3, executed - 1, executed >> 1, (executed * 3) >> 2]);
  return [...set].filter((b) => b >= 0 && b < executed);
}

function programOf(path: string) {
  const data = readConformanceData(path);
  const bytes = data.raw ?? encodeProgram(assemble(data.asm ?? ""));
  return { data, program: decodeProgram(bytes) };
}

describe("bpf_conformance through the JIT", () => {
  it("has all 313 files", () => {
    expect(positives).toHaveLength(313);
  });

  it.each(positives.map((p) => [p.split("/").pop()!, p]))("%s", (_name, path) => {
    const { data, program } = programOf(path);
    const out = compare(program, data.mem);
    expect(out.fault?.message).toBeUndefined();
    expect(out.r0).toBe(BigInt.asUintN(64, data.result!));
    for (const b of budgets(out.executed)) {
      const cut = compare(program, data.mem, b);
      expect(cut.fault?.kind).toBe("budget");
      expect(cut.executed).toBe(b);
    }
  });

  it("runs the negatives that decode the same way (faults included)", () => {
    let ran = 0;
    for (const path of negatives) {
      let program: Program;
      try {
        program = programOf(path).program;
      } catch {
        continue;
      }
      if (program.insns.length === 0) continue;
      compare(program, readConformanceData(path).mem);
      ran++;
    }
    expect(ran).toBeGreaterThan(0);
  });
});
