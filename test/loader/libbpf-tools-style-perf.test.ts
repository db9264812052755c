// The perf_event program type's verifier rules (pe_prog_is_valid_access and
// perf_event_prog_func_proto as far as btfsnoop has them): the context is a
// read-only struct bpf_perf_event_data of 184 bytes (pt_regs, sample_period,
// addr) read with aligned loads; get_stackid and perf_event_output are
// allowed, tracing-only helpers (get_func_ip) are not.
import { describe, expect, it } from "vitest";
import { syntheticVmlinux } from "../../src/kernel-model/vmlinux.js";
import { decodeProgram } from "../../src/vm/isa/decode.js";
import { encodeProgram } from "../../src/vm/isa/encode.js";
import { ProgramBuilder } from "../../src/vm/isa/builder.js";
import { Size } from "../../src/vm/isa/opcodes.js";
import { perfEventProgType, PERF_EVENT_DATA_SIZE } from "../../src/vm/verifier/prog-types.js";
import { verify } from "../../src/vm/verifier/verifier.js";

const btf = syntheticVmlinux();
const check = (b: ProgramBuilder) => verify(decodeProgram(encodeProgram(b.link())), { progType: perfEventProgType(), btf });

describe("perf_event programs", () => {
  it("read the regs, sample_period and addr of struct bpf_perf_event_data (its size is the kernel BTF's)", () => {
    const id = btf.findByName("bpf_perf_event_data");
    expect(id).toBeDefined();
    const t = btf.typeById(id!);
    expect(t.kind === 4 ? t.size : -1).toBe(PERF_EVENT_DATA_SIZE);
    const r = check(new ProgramBuilder().ldx(Size.DW, 2, 1, 128).ldx(Size.DW, 3, 1, 168).ldx(Size.DW, 4, 1, 176).ldx(Size.W, 5, 1, 136).mov64Imm(0, 0).exit());
    expect(r.accepted).toBe(true);
  });

  it.each([
    ["a read past addr", new ProgramBuilder().ldx(Size.DW, 2, 1, 184).mov64Imm(0, 0).exit(), "invalid bpf_context access off=184 size=8"],
    ["a misaligned read", new ProgramBuilder().ldx(Size.DW, 2, 1, 164).mov64Imm(0, 0).exit(), "invalid bpf_context access off=164 size=8"],
    ["a write of sample_period", new ProgramBuilder().st(Size.DW, 1, 168, 0).mov64Imm(0, 0).exit(), "invalid bpf_context access off=168 size=8"],
    ["bpf_get_func_ip (a tracing helper)", new ProgramBuilder().call(173).mov64Imm(0, 0).exit(), "program of this type cannot use helper bpf_get_func_ip#173"],
  ])("refuse %s", (_what, b, reason) => {
    const r = check(b);
    expect(r.accepted).toBe(false);
    expect(r.error!.reason).toBe(reason);
  });
});
