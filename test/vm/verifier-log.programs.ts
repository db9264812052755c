// The programs whose level-2 verifier logs are goldens (verifier-log.test.ts):
// each is also loadable as raw instructions into a real kernel as a
// BPF_PROG_TYPE_RAW_TRACEPOINT program (map fd 1 = an array "arr", key 4,
// value 8, 4 entries), which is how their logs were compared with Linux.
import { ProgramBuilder } from "../../src/vm/isa/builder.js";
import type { Instruction } from "../../src/vm/isa/instruction.js";
import { AtomicOp, JmpOp, Size } from "../../src/vm/isa/opcodes.js";
import { HelperId } from "../../src/vm/helpers/protos.js";
import type { MapDesc } from "../../src/vm/verifier/types.js";

const h = (name: string): number => HelperId[name]!;

export const ARR: MapDesc = { type: 2, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0, name: "arr" };

export interface LogProgram {
  name: string;
  what: string;
  insns: Instruction[];
}

export const LOG_PROGRAMS: LogProgram[] = [
  {
    name: "straight",
    what: "straight line: helper calls, a 4-byte store, a spill and its fill, a map lookup and its null check, an atomic add",
    insns: new ProgramBuilder()
      .call(h("get_prandom_u32"))
      .and64Imm(0, 3)
      .stx(Size.W, 10, -4, 0)
      .call(h("ktime_get_ns"))
      .stx(Size.DW, 10, -16, 0)
      .mov64(2, 10)
      .add64Imm(2, -4)
      .ldMapFd(1, 1)
      .call(h("map_lookup_elem"))
      .mov64Imm(1, 0)
      .jmpImm(JmpOp.JEQ, 0, 0, "out")
      .ldx(Size.DW, 1, 10, -16)
      .atomic(Size.DW, AtomicOp.ADD, 0, 0, 1)
      .ldx(Size.DW, 1, 0, 0)
      .and64Imm(1, 1)
      .label("out")
      .mov64(0, 1)
      .exit()
      .link(),
  },
  {
    name: "branches",
    what: "three branches on context values joining again: fall-through first, the taken sides popped later and pruned",
    insns: new ProgramBuilder()
      .ldx(Size.DW, 6, 1, 0)
      .ldx(Size.DW, 7, 1, 8)
      .mov64Imm(0, 0)
      .mov64Imm(2, 0)
      .mov64Imm(3, 0)
      .jmpImm(JmpOp.JGT, 6, 10, "a")
      .mov64Imm(2, 1)
      .label("a")
      .mov64Imm(4, 0)
      .jmpImm(JmpOp.JGT, 7, 20, "b")
      .mov64Imm(3, 1)
      .label("b")
      .mov64Imm(5, 0)
      .jmpReg(JmpOp.JEQ, 6, 7, "c")
      .mov64Imm(0, 1)
      .label("c")
      .and64Imm(0, 1)
      .exit()
      .link(),
  },
  {
    name: "subprog",
    what: "a bpf-to-bpf call: caller:/callee: blocks, frame1: states, returning from callee:/to caller at",
    insns: new ProgramBuilder()
      .ldx(Size.DW, 6, 1, 0)
      .mov64(1, 6)
      .mov64Imm(2, 10)
      .callLocal("triple")
      .add64(0, 6)
      .exit()
      .label("triple")
      .mov64(0, 1)
      .mul64Imm(0, 3)
      .add64(0, 2)
      .exit()
      .link(),
  },
  {
    name: "bpf-loop",
    what: "bpf_loop with a callback that adds its index into the caller's stack",
    insns: new ProgramBuilder()
      .st(Size.DW, 10, -8, 0)
      .mov64Imm(1, 3)
      .ldFunc(2, "cb")
      .mov64(3, 10)
      .add64Imm(3, -8)
      .mov64Imm(4, 0)
      .call(h("loop"))
      .ldx(Size.DW, 0, 10, -8)
      .exit()
      .label("cb")
      .ldx(Size.DW, 3, 2, 0)
      .add64(3, 1)
      .stx(Size.DW, 2, 0, 3)
      .mov64Imm(0, 0)
      .exit()
      .link(),
  },
  {
    name: "stack",
    what: "stack slots: zero bytes, misc bytes, a spilled context pointer and its fill, spilled constants (a register and an immediate)",
    insns: new ProgramBuilder()
      .st(Size.DW, 10, -8, 0)
      .st(Size.W, 10, -12, 5)
      .stx(Size.DW, 10, -24, 1)
      .mov64Imm(3, 42)
      .stx(Size.DW, 10, -32, 3)
      .st(Size.DW, 10, -40, 7)
      .ldx(Size.DW, 2, 10, -24)
      .ldx(Size.W, 4, 10, -12)
      .ldx(Size.DW, 5, 10, -32)
      .mov64Imm(0, 0)
      .exit()
      .link(),
  },
  {
    name: "rejected",
    what: "a rejected program: the fall-through exits, the taken side loads through a scalar",
    insns: new ProgramBuilder().ldx(Size.DW, 6, 1, 0).mov64Imm(0, 0).jmpImm(JmpOp.JGT, 6, 10, "bad").exit().label("bad").ldx(Size.DW, 0, 6, 0).exit().link(),
  },
];
