// Every conformance program is accepted by the verifier (privileged, the
// conformance program type with its memory size) and still runs to the
// expected r0.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assemble } from "../../src/vm/isa/asm.js";
import { decodeProgram } from "../../src/vm/isa/decode.js";
import { encodeProgram } from "../../src/vm/isa/encode.js";
import { runConformance } from "../../src/vm/conformance.js";
import { conformanceProgType } from "../../src/vm/verifier/prog-types.js";
import { verify } from "../../src/vm/verifier/verifier.js";
import { CONFORMANCE_TESTS_DIR, listDataFiles, readConformanceData } from "../helpers/conformance-data.js";

const files = listDataFiles(CONFORMANCE_TESTS_DIR);

describe("verifier on the conformance suite", () => {
  it.each(files)("%s is accepted and runs", (name) => {
    const data = readConformanceData(join(CONFORMANCE_TESTS_DIR, name));
    const program = decodeProgram(data.raw ?? encodeProgram(assemble(data.asm ?? "")));
    const v = verify(program, { progType: conformanceProgType(data.mem.length) });
    expect(v.error?.message).toBeUndefined();
    expect(v.accepted).toBe(true);
    expect(runConformance(program, data.mem).r0).toBe(BigInt.asUintN(64, data.result!));
  });
});
