// Variable and moved offsets on ctx and typed kernel pointers (issue #17),
// as Linux 6.12: the arithmetic is allowed (privileged) and the pointer is
// refused where it is used: a ctx access or a ctx helper argument by
// check_ptr_off_reg ("negative offset", "dereference of modified",
// "variable ctx access ... disallowed", in that order), a load through a
// typed pointer by check_ptr_to_btf_access ("invalid negative access",
// "invalid variable offset"), a typed pointer passed to a helper by
// check_reg_type / check_ptr_off_reg. Every verdict and message below was
// checked against the machine's Linux 6.18 as a privileged raw_tp program
// (the same instructions), errno EACCES each time; the two states of a
// pointer with and without a variable part are never pruned one for the other.
import { describe, expect, it } from "vitest";
import { HelperId } from "../../src/vm/helpers/protos.js";
import { ProgramBuilder } from "../../src/vm/isa/builder.js";
import { programFromInsns } from "../../src/vm/isa/encode.js";
import { JmpOp, Size } from "../../src/vm/isa/opcodes.js";
import { rawTracepointProgType } from "../../src/vm/verifier/prog-types.js";
import { verify, type VerifyResult } from "../../src/vm/verifier/verifier.js";
import { vmlinuxBtf } from "../helpers/fixtures.js";

const B = () => new ProgramBuilder();
const GET_STACK = HelperId.get_stack!;
const TASK_BTF = HelperId.get_current_task_btf!;
const TASK_STACK = HelperId.get_task_stack!;

function check(b: ProgramBuilder): VerifyResult {
  return verify(programFromInsns(b.link()), { progType: rawTracepointProgType(12), privileged: true, btf: vmlinuxBtf() });
}

/** r1 = ctx + (its first argument & 8): a variable offset (0x0; 0x8). */
const ctxVar = () => B().ldx(Size.DW, 2, 1, 0).and64Imm(2, 8).add64(1, 2);
/** r1..r4 for bpf_get_stack(r1, fp-64, 64, 0). */
const stackArgs = (b: ProgramBuilder) => b.mov64(2, 10).add64Imm(2, -64).mov64Imm(3, 64).mov64Imm(4, 0);
/** r0 = the current task (trusted ptr_task_struct), r0 += (its first word & 8). */
const taskVar = () => B().call(TASK_BTF).ldx(Size.DW, 2, 0, 0).and64Imm(2, 8).add64(0, 2);

const REFUSED: { name: string; prog: () => ProgramBuilder; reason: string; insn: number }[] = [
  { name: "load through ctx + variable", prog: () => ctxVar().ldx(Size.DW, 0, 1, 0).exit(), reason: "variable ctx access var_off=(0x0; 0x8) disallowed", insn: 3 },
  { name: "store through ctx + variable", prog: () => ctxVar().st(Size.DW, 1, 0, 0).mov64Imm(0, 0).exit(), reason: "variable ctx access var_off=(0x0; 0x8) disallowed", insn: 3 },
  { name: "ctx + variable - the same variable", prog: () => ctxVar().sub64(1, 2).ldx(Size.DW, 0, 1, 0).exit(), reason: "variable ctx access var_off=(0x0; 0xfffffffffffffff8) disallowed", insn: 4 },
  { name: "ctx + variable + 8: the fixed offset first", prog: () => ctxVar().add64Imm(1, 8).ldx(Size.DW, 0, 1, 0).exit(), reason: "dereference of modified ctx ptr R1 off=8 disallowed", insn: 4 },
  { name: "ctx + variable - 8: the negative offset first", prog: () => ctxVar().add64Imm(1, -8).ldx(Size.DW, 0, 1, 0).exit(), reason: "negative offset ctx ptr R1 off=-8 disallowed", insn: 4 },
  { name: "ctx - 8, loaded back at +8", prog: () => B().add64Imm(1, -8).ldx(Size.DW, 0, 1, 8).exit(), reason: "negative offset ctx ptr R1 off=-8 disallowed", insn: 1 },
  { name: "ctx + variable passed to bpf_get_stack", prog: () => stackArgs(ctxVar()).call(GET_STACK).exit(), reason: "variable ctx access var_off=(0x0; 0x8) disallowed", insn: 7 },
  { name: "ctx - 8 passed to bpf_get_stack", prog: () => stackArgs(B().add64Imm(1, -8)).call(GET_STACK).exit(), reason: "negative offset ctx ptr R1 off=-8 disallowed", insn: 5 },
  { name: "ctx + 8 passed to bpf_get_stack", prog: () => stackArgs(B().add64Imm(1, 8)).call(GET_STACK).exit(), reason: "dereference of modified ctx ptr R1 off=8 disallowed", insn: 5 },
  { name: "load through task + variable", prog: () => taskVar().ldx(Size.DW, 0, 0, 0).exit(), reason: "R0 is ptr_task_struct invalid variable offset: off=0, var_off=(0x0; 0x8)", insn: 4 },
  { name: "load through task + variable at +16", prog: () => taskVar().ldx(Size.DW, 0, 0, 16).exit(), reason: "R0 is ptr_task_struct invalid variable offset: off=16, var_off=(0x0; 0x8)", insn: 4 },
  { name: "load before the task", prog: () => B().call(TASK_BTF).ldx(Size.DW, 0, 0, -8).exit(), reason: "R0 is ptr_task_struct invalid negative access: off=-8", insn: 1 },
  {
    name: "task + variable passed to bpf_get_task_stack (the task is trusted)",
    prog: () => stackArgs(B().call(TASK_BTF).mov64(1, 0).ldx(Size.DW, 2, 0, 0).and64Imm(2, 8).add64(1, 2)).call(TASK_STACK).exit(),
    reason: "variable trusted_ptr_ access var_off=(0x0; 0x8) disallowed",
    insn: 9,
  },
  { name: "task + 8 passed to bpf_get_task_stack", prog: () => stackArgs(B().call(TASK_BTF).mov64(1, 0).add64Imm(1, 8)).call(TASK_STACK).exit(), reason: "R1 is of type task_struct but task_struct is expected", insn: 7 },
];

describe("variable and moved offsets on ctx and typed kernel pointers", () => {
  for (const c of REFUSED) {
    it(`refuses: ${c.name}`, () => {
      const r = check(c.prog());
      expect(r.accepted).toBe(false);
      expect(r.error!.reason).toBe(c.reason);
      expect(r.error!.errno).toBe("EACCES");
      expect(r.error!.insn).toBe(c.insn);
    });
  }

  it("accepts the arithmetic when the moved pointer is never used", () => {
    expect(check(ctxVar().mov64Imm(0, 0).exit()).error?.reason).toBeUndefined();
    expect(check(taskVar().mov64Imm(0, 0).exit()).error?.reason).toBeUndefined();
  });

  it("does not prune a ctx pointer with a variable part against the plain ctx (either path first)", () => {
    // r2 = arg0; if r2 == 0 the path keeps ctx as it is; the other adds (r2 & 8); both load at L.
    // Enough instructions on the way for L to get a stored state (the kernel's checkpoint heuristic).
    const pad = (b: ProgramBuilder) => {
      for (let i = 0; i < 10; i++) b.mov64Imm(3, i);
      return b;
    };
    const join = (b: ProgramBuilder) => b.label("L").ldx(Size.DW, 0, 1, 0).exit();
    const varOnBranch = pad(B().ldx(Size.DW, 2, 1, 0).jmpImm(JmpOp.JNE, 2, 0, "V")).ja("L").label("V").and64Imm(2, 8).add64(1, 2).ja("L");
    const varOnFall = pad(B().ldx(Size.DW, 2, 1, 0).jmpImm(JmpOp.JEQ, 2, 0, "S").and64Imm(2, 8).add64(1, 2).ja("L").label("S")).ja("L");
    for (const b of [varOnBranch, varOnFall]) {
      const r = check(join(b));
      expect(r.accepted).toBe(false);
      expect(r.error!.reason).toBe("variable ctx access var_off=(0x0; 0x8) disallowed");
    }
  });
});
