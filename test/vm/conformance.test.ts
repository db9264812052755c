// The eBPF conformance suite (Alan-Jowett/bpf_conformance, test/fixtures/
// bpf_conformance): all 313 positive programs run through the interpreter
// and must leave exactly the expected r0; every negative file with a program
// must be rejected when it is assembled or decoded.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assemble } from "../../src/vm/isa/asm.js";
import { decodeProgram } from "../../src/vm/isa/decode.js";
import { encodeProgram } from "../../src/vm/isa/encode.js";
import { runConformance } from "../../src/vm/conformance.js";
import { CONFORMANCE_NEGATIVE_DIR, CONFORMANCE_TESTS_DIR, listDataFiles, readConformanceData } from "../helpers/conformance-data.js";

const positives = listDataFiles(CONFORMANCE_TESTS_DIR).map((f) => join(CONFORMANCE_TESTS_DIR, f));
const negatives = listDataFiles(CONFORMANCE_NEGATIVE_DIR).map((f) => join(CONFORMANCE_NEGATIVE_DIR, f));

function programOf(path: string) {
  const data = readConformanceData(path);
  const bytes = data.raw ?? encodeProgram(assemble(data.asm ?? ""));
  return { data, program: decodeProgram(bytes) };
}

describe("bpf_conformance positive tests", () => {
  it("has all 313 files", () => {
    expect(positives).toHaveLength(313);
  });

  it.each(positives.map((p) => [p.split("/").pop()!, p]))("%s", (_name, path) => {
    const { data, program } = programOf(path);
    const run = runConformance(program, data.mem);
    expect(run.fault?.message).toBeUndefined();
    expect(run.r0).toBe(BigInt.asUintN(64, data.result!));
  });
});

describe("bpf_conformance negative tests", () => {
  it("has all 60 files", () => {
    expect(negatives).toHaveLength(60);
  });

  it.each(negatives.map((p) => [p.split("/").pop()!, p]))("%s is rejected before it runs, or carries no program", (_name, path) => {
    const data = readConformanceData(path);
    const source = data.raw ?? data.asm;
    if (source === undefined || (typeof source === "string" && source.trim() === "")) {
      // empty.data / empty_instructions.data: nothing to load.
      expect(data.raw === undefined || data.raw.length === 0).toBe(true);
      return;
    }
    let rejection: string | undefined;
    try {
      const bytes = data.raw ?? encodeProgram(assemble(data.asm!));
      decodeProgram(bytes);
    } catch (e) {
      rejection = (e as Error).message;
    }
    if (rejection === undefined) {
      // Valid ISA that only a verifier refuses (error.data: `or %r0, %r10` reads r10 into r0 and exits with it;
      // incorrect_return_value_high_bits.data: a runtime check of r0). The verifier (next issue) owns these.
      expect(["error.data", "incorrect_return_value_high_bits.data"]).toContain(path.split("/").pop());
      return;
    }
    expect(rejection.length).toBeGreaterThan(0);
    if (data.error) expect(rejection.startsWith(data.error) || rejection.includes(data.error)).toBe(true);
  });
});
