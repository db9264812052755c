// A verified program runs to its end: the kernel has no instruction budget
// at run time (issue #17: bpf_loop(1 << 23) with a trivial callback is
// legal; the VM's default 1M-instruction budget cut it short). The budget a
// loaded program runs with only guards against a verifier bug.
import { describe, expect, it } from "vitest";
import { bootSyntheticKernel } from "../../src/syscall/boot.js";
import { HelperId } from "../../src/vm/helpers/protos.js";
import { ProgramBuilder } from "../../src/vm/isa/builder.js";
import { encodeProgram } from "../../src/vm/isa/encode.js";

describe("run-time budget of verified programs", () => {
  it("bpf_loop(600000) with a 2-instruction callback (1.2M instructions) runs to the end and returns its count", () => {
    const { bpf } = bootSyntheticKernel({ seed: 1 });
    // r0 = bpf_loop(600000, cb, NULL, 0); return r0. cb: r0 = 0; exit (continue).
    const b = new ProgramBuilder().mov64Imm(1, 600_000).ldFunc(2, "cb").mov64Imm(3, 0).mov64Imm(4, 0).call(HelperId["loop"]!).exit();
    b.label("cb").mov64Imm(0, 0).exit();
    const prog = bpf.progLoad({ progType: "tracing", insns: encodeProgram(b.link()), license: "GPL", name: "loop" });
    if (typeof prog === "number") throw new Error(bpf.lastError);
    const run = bpf.progTestRun(prog.fd);
    if (typeof run === "number") throw new Error(bpf.lastError);
    expect(run.fault).toBeUndefined();
    expect(run.retval).toBe(600_000);
  }, 60_000);
});
