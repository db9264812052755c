// Disassembly goldens of the sample programs (bpftool `prog dump xlated`
// style): our own output, regenerated only with UPDATE_GOLDEN=1. Files in
// test/golden/disasm that no sample produces fail the run (orphans).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { helperName } from "../../src/vm/helpers/protos.js";
import { disassemble } from "../../src/vm/isa/disasm.js";
import { programFromInsns } from "../../src/vm/isa/encode.js";
import { SAMPLE_PROGRAMS } from "../../src/vm/samples.js";
import { checkGolden, FIXTURES } from "../helpers/fixtures.js";

const DIR = join(FIXTURES, "..", "golden", "disasm");

describe("disassembly goldens", () => {
  it.each(Object.keys(SAMPLE_PROGRAMS))("%s", (name) => {
    const prog = programFromInsns(SAMPLE_PROGRAMS[name]!().link());
    const text = disassemble(prog, { helperName }).join("\n") + "\n";
    expect(checkGolden(join(DIR, `${name}.txt`), text)).toBeUndefined();
  });

  it("has no orphaned golden files", () => {
    const expected = Object.keys(SAMPLE_PROGRAMS).map((n) => `${n}.txt`).sort();
    expect(readdirSync(DIR).sort()).toEqual(expected);
  });
});
