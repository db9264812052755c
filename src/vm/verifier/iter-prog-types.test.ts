// The iterator program type: ctx->meta is a typed pointer, the object
// pointer may be NULL (the epilogue) and must be tested before use, the
// context is read-only, r0 must be 0 or 1.
import { describe, expect, it } from "vitest";
import { syntheticVmlinux } from "../../kernel-model/vmlinux.js";
import { ProgramBuilder } from "../isa/builder.js";
import { encodeProgram } from "../isa/encode.js";
import { decodeProgram } from "../isa/decode.js";
import { JmpOp, Size } from "../isa/opcodes.js";
import { HelperId } from "../helpers/protos.js";
import { verify } from "./verifier.js";
import { iterBtf, iterProgType, iterStructId } from "./iter-prog-types.js";

const base = syntheticVmlinux();
const btf = iterBtf(base);

function check(b: ProgramBuilder, target: Parameters<typeof iterProgType>[0] = "task") {
  return verify(decodeProgram(encodeProgram(b.link())), { progType: iterProgType(target, btf), btf });
}

describe("iterator program type", () => {
  it("builds the context structs as split BTF over vmlinux", () => {
    expect(btf.base).toBe(base);
    expect(iterStructId(btf, "bpf_iter__task_file")).toBeGreaterThan(base.typeCount - 1);
    expect(iterStructId(btf, "task_struct")).toBe(base.findByName("task_struct"));
  });

  it("rejects a dereference of the object before its NULL test, with the kernel's message", () => {
    const b = new ProgramBuilder().ldx(Size.DW, 2, 1, 8).ldx(Size.W, 0, 2, 0).mov64Imm(0, 0).exit();
    const r = check(b);
    expect(r.accepted).toBe(false);
    expect(r.error!.reason).toBe("R2 invalid mem access 'ptr_or_null_'");
  });

  it("accepts the dereference after the NULL test, and meta->seq as seq_printf's seq_file", () => {
    const b = new ProgramBuilder()
      .mov64(6, 1)
      .ldx(Size.DW, 2, 6, 8)
      .jmpImm(JmpOp.JEQ, 2, 0, "out")
      .ldx(Size.W, 3, 2, 0)
      .ldx(Size.DW, 1, 6, 0)
      .ldx(Size.DW, 1, 1, 0)
      .st(Size.DW, 10, -8, 0x0a)
      .mov64(2, 10)
      .add64Imm(2, -8)
      .mov64Imm(3, 2)
      .mov64Imm(4, 0)
      .mov64Imm(5, 0)
      .call(HelperId.seq_printf!)
      .label("out")
      .mov64Imm(0, 0)
      .exit();
    const r = check(b);
    expect(r.error?.reason).toBeUndefined();
    expect(r.accepted).toBe(true);
  });

  it("refuses writes to the context, unknown offsets, and a return value outside [0, 1]", () => {
    expect(check(new ProgramBuilder().st(Size.DW, 1, 8, 0).mov64Imm(0, 0).exit()).error!.reason).toBe("invalid bpf_context access off=8 size=8");
    expect(check(new ProgramBuilder().ldx(Size.DW, 0, 1, 16).mov64Imm(0, 0).exit()).error!.reason).toBe("invalid bpf_context access off=16 size=8");
    expect(check(new ProgramBuilder().ldx(Size.W, 0, 1, 16).mov64Imm(0, 0).exit(), "task/file").accepted).toBe(true);
    expect(check(new ProgramBuilder().mov64Imm(0, 2).exit()).error!.reason).toMatch(/^At program exit the register R0 has .* should have been in \[0, 1\]$/);
  });
});
