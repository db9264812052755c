import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assemble } from "../isa/asm.js";
import { ProgramBuilder } from "../isa/builder.js";
import { decodeProgram } from "../isa/decode.js";
import { encodeProgram, programFromInsns } from "../isa/encode.js";
import type { Instruction, Program } from "../isa/instruction.js";
import { Class, JmpOp, LDDW, PseudoCall, Reg } from "../isa/opcodes.js";
import { CONFORMANCE_TESTS_DIR, listDataFiles, readConformanceData } from "../../../test/helpers/conformance-data.js";
import { BPF_MAXINSNS, checkCfg, type CfgInfo, type CfgOptions } from "./cfg.js";
import { VerifierError } from "./errors.js";

const { R0, R1, R6, R7 } = Reg;
const PRIV: CfgOptions = { privileged: true };
const UNPRIV: CfgOptions = { privileged: false };

function b(): ProgramBuilder {
  return new ProgramBuilder();
}
function prog(source: ProgramBuilder | Instruction[] | string): Program {
  if (typeof source === "string") return programFromInsns(assemble(source));
  return programFromInsns(Array.isArray(source) ? source : source.link());
}
function raw(opcode: number, fields: Partial<Omit<Instruction, "opcode">> = {}): Instruction {
  return { opcode, dst: 0, src: 0, off: 0, imm: 0, ...fields };
}
/** Slots set to 1 in a mark array. */
function ones(marks: Uint8Array): number[] {
  return [...marks.keys()].filter((i) => marks[i] === 1);
}
function rejection(program: Program, options: CfgOptions): VerifierError {
  try {
    checkCfg(program, options);
  } catch (e) {
    if (e instanceof VerifierError) return e;
    throw e;
  }
  throw new Error("checkCfg accepted the program");
}

const exit = raw(Class.JMP | JmpOp.EXIT);
const mov0 = raw(Class.ALU64 | 0xb0, { dst: R0 });

interface Rejected {
  name: string;
  program: () => Program;
  options: CfgOptions;
  reason: string;
  insn: number | undefined;
  errno?: string;
}

const rejected: Rejected[] = [
  // ---- size (bpf_prog_load) ----
  { name: "empty program", program: () => prog([]), options: PRIV, reason: "empty program", insn: undefined, errno: "E2BIG" },
  {
    name: "4097 slots unprivileged",
    program: () => prog([...Array<Instruction>(BPF_MAXINSNS).fill(mov0), exit]),
    options: UNPRIV,
    reason: "program too large (4097 insns), at most 4096 insns",
    insn: undefined,
    errno: "E2BIG",
  },
  {
    name: "over an explicit maxInsns (lddw counts two slots)",
    program: () => prog(b().lddw(R0, 1).mov64Imm(R0, 0).exit()),
    options: { privileged: true, maxInsns: 3 },
    reason: "program too large (4 insns), at most 3 insns",
    insn: undefined,
    errno: "E2BIG",
  },
  {
    name: "1_000_001 slots privileged",
    program: () => prog([...Array<Instruction>(1_000_000).fill(mov0), exit]),
    options: PRIV,
    reason: "program too large (1000001 insns), at most 1000000 insns",
    insn: undefined,
    errno: "E2BIG",
  },
  // ---- subprograms and calls (add_subprog_and_kfunc) ----
  {
    name: "call local past the end",
    program: () => prog(b().mov64Imm(R0, 0).callLocal(5).exit()),
    options: PRIV,
    reason: "call to invalid destination",
    insn: 1,
  },
  {
    name: "call local before the start",
    program: () => prog(b().callLocal(-2).exit()),
    options: PRIV,
    reason: "call to invalid destination",
    insn: 0,
  },
  {
    name: "lddw function pointer past the end",
    program: () => prog(b().ldFunc(R1, 3).mov64Imm(R0, 0).exit()),
    options: PRIV,
    reason: "call to invalid destination",
    insn: 0,
  },
  {
    name: "a bad call is found before an earlier bad jump (add_subprog runs first)",
    program: () => prog(b().ja(10).callLocal(100).exit()),
    options: PRIV,
    reason: "call to invalid destination",
    insn: 1,
  },
  {
    name: "257 subprograms",
    program: () => {
      const p = b();
      for (let k = 0; k < 256; k++) p.callLocal(`f${k}`);
      p.exit();
      for (let k = 0; k < 256; k++) p.label(`f${k}`).exit();
      return prog(p);
    },
    options: PRIV,
    reason: "too many subprograms",
    insn: 255,
    errno: "E2BIG",
  },
  {
    name: "unprivileged bpf-to-bpf call",
    program: () => prog(b().callLocal("f").exit().label("f").mov64Imm(R0, 0).exit()),
    options: UNPRIV,
    reason: "loading/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN",
    insn: 0,
    errno: "EPERM",
  },
  {
    name: "unprivileged function pointer",
    program: () => prog(b().mov64Imm(R0, 0).ldFunc(R1, "f").exit().label("f").exit()),
    options: UNPRIV,
    reason: "loading/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN",
    insn: 1,
    errno: "EPERM",
  },
  {
    name: "unprivileged kfunc call",
    program: () => prog(b().callKfunc(1234).exit()),
    options: UNPRIV,
    reason: "loading/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN",
    insn: 0,
    errno: "EPERM",
  },
  {
    name: "privileged kfunc call (the VM has no JIT and no kfuncs)",
    program: () => prog(b().mov64Imm(R0, 0).callKfunc(1234).exit()),
    options: { privileged: true, allowCallx: true },
    reason: "JIT is required for calling kernel function",
    insn: 1,
    errno: "ENOTSUPP",
  },
  {
    name: "kfunc call in assembler syntax",
    program: () => prog("call runtime 7\nexit"),
    options: PRIV,
    reason: "JIT is required for calling kernel function",
    insn: 0,
    errno: "ENOTSUPP",
  },
  // ---- jumps and subprogram ends (check_subprogs) ----
  {
    name: "ja past the end",
    program: () => prog(b().ja(5).exit()),
    options: PRIV,
    reason: "jump out of range from insn 0 to 6",
    insn: 0,
  },
  {
    name: "conditional jump before the start",
    program: () => prog(b().mov64Imm(R0, 0).jmpImm(JmpOp.JEQ, R1, 0, -3).exit()),
    options: PRIV,
    reason: "jump out of range from insn 1 to -1",
    insn: 1,
  },
  {
    name: "jmp32 past the end (assembler)",
    program: () => prog("mov %r0, 0\njeq32 %r1, 0, +1\nexit"),
    options: PRIV,
    reason: "jump out of range from insn 1 to 3",
    insn: 1,
  },
  {
    name: "ja32 (gotol) takes its offset from imm",
    program: () => prog(b().mov64Imm(R0, 0).ja32(40000).exit()),
    options: PRIV,
    reason: "jump out of range from insn 1 to 40002",
    insn: 1,
  },
  {
    name: "raw ja with the largest offset",
    program: () => prog([mov0, raw(Class.JMP | JmpOp.JA, { off: 0x7fff }), exit]),
    options: PRIV,
    reason: "jump out of range from insn 1 to 32769",
    insn: 1,
  },
  {
    name: "main jumps into a subprogram",
    program: () =>
      prog(b().callLocal("f").jmpImm(JmpOp.JEQ, R0, 0, "f").exit().label("f").mov64Imm(R0, 1).exit()),
    options: PRIV,
    reason: "jump out of range from insn 1 to 3",
    insn: 1,
  },
  {
    name: "subprogram jumps back into main",
    program: () =>
      prog(b().callLocal("f").label("back").exit().label("f").jmpImm(JmpOp.JEQ, R1, 0, "back").exit()),
    options: PRIV,
    reason: "jump out of range from insn 2 to 1",
    insn: 2,
  },
  {
    name: "ja at the end of a subprogram into the next one",
    program: () => prog(b().callLocal("f").ja("f").label("f").mov64Imm(R0, 1).exit()),
    options: PRIV,
    reason: "jump out of range from insn 1 to 2",
    insn: 1,
  },
  {
    name: "last insn is an ALU op",
    program: () => prog(b().mov64Imm(R0, 0)),
    options: PRIV,
    reason: "last insn is not an exit or jmp",
    insn: 0,
  },
  {
    name: "last insn is a conditional jump",
    program: () => prog(b().mov64Imm(R0, 0).jmpImm(JmpOp.JEQ, R1, 0, -2)),
    options: PRIV,
    reason: "last insn is not an exit or jmp",
    insn: 1,
  },
  {
    name: "last insn is a helper call",
    program: () => prog(b().mov64Imm(R0, 0).call(5)),
    options: PRIV,
    reason: "last insn is not an exit or jmp",
    insn: 1,
  },
  {
    name: "last insn is an lddw (reported at its first slot)",
    program: () => prog(b().mov64Imm(R0, 0).lddw(R0, 7)),
    options: PRIV,
    reason: "last insn is not an exit or jmp",
    insn: 1,
  },
  {
    name: "main falls through into a subprogram",
    program: () => prog(b().callLocal("f").mov64Imm(R0, 0).label("f").mov64Imm(R0, 1).exit()),
    options: PRIV,
    reason: "last insn is not an exit or jmp",
    insn: 1,
  },
  {
    name: "call into the middle of an lddw cuts it in two",
    program: () => prog(b().callLocal(1).lddw(R0, 1).exit()),
    options: PRIV,
    reason: "last insn is not an exit or jmp",
    insn: 1,
  },
  // ---- opcodes (resolve_pseudo_ldimm64) ----
  {
    name: "callx without allowCallx",
    program: () => prog(b().mov64Imm(R1, 5).callx(R1).exit()),
    options: PRIV,
    reason: "unknown opcode 8d",
    insn: 1,
  },
  {
    name: "callx is refused before a back-edge is looked for",
    program: () => prog("mov %r1, 5\nloop:\ncall %r1\nja loop"),
    options: UNPRIV,
    reason: "unknown opcode 8d",
    insn: 1,
  },
  // ---- depth-first walk (check_cfg) ----
  {
    name: "bounded loop, unprivileged",
    program: () => prog(b().mov64Imm(R0, 0).label("l").add64Imm(R0, 1).jmpImm(JmpOp.JLT, R0, 10, "l").exit()),
    options: UNPRIV,
    reason: "back-edge from insn 2 to 1",
    insn: 2,
  },
  {
    name: "ja to itself, unprivileged",
    program: () => prog(b().ja(-1)),
    options: UNPRIV,
    reason: "back-edge from insn 0 to 0",
    insn: 0,
  },
  {
    name: "nested loops, unprivileged: the outer back-edge is met first (fall-through is walked first)",
    program: () => prog(nestedLoops()),
    options: UNPRIV,
    reason: "back-edge from insn 5 to 1",
    insn: 5,
  },
  {
    name: "loop through a jmp32 in assembler, unprivileged",
    program: () => prog("mov %r0, 0\nagain:\nadd %r0, 1\njlt32 %r0, 3, again\nexit"),
    options: UNPRIV,
    reason: "back-edge from insn 2 to 1",
    insn: 2,
  },
  {
    name: "dead code after exit",
    program: () => prog(b().mov64Imm(R0, 0).exit().mov64Imm(R0, 1).exit()),
    options: PRIV,
    reason: "unreachable insn 2",
    insn: 2,
  },
  {
    name: "dead lddw",
    program: () => prog(b().mov64Imm(R0, 0).ja(2).lddw(R0, 5).exit()),
    options: PRIV,
    reason: "unreachable insn 2",
    insn: 2,
  },
  {
    name: "a subprogram called only from dead code",
    program: () => prog(b().ja(1).callLocal("f").exit().label("f").mov64Imm(R0, 0).exit()),
    options: PRIV,
    reason: "unreachable insn 1",
    insn: 1,
  },
  {
    name: "jump into the middle of an lddw (kernel selftest ld_imm64 test1 shape)",
    program: () =>
      prog(b().jmpImm(JmpOp.JEQ, R1, 0, 1).lddw(R0, 0).lddw(R0, 0).lddw(R0, 1).lddw(R0, 1).mov64Imm(R0, 2).exit()),
    options: PRIV,
    reason: "jump into the middle of ldimm64 insn 1",
    insn: 1,
  },
  {
    name: "ja into the middle of an lddw skips its first half: unreachable is reported first",
    program: () => prog([mov0, raw(Class.JMP | JmpOp.JA, { off: 1 }), raw(LDDW, { imm: 1, imm2: 0 }), exit]),
    options: UNPRIV,
    reason: "unreachable insn 2",
    insn: 2,
  },
  {
    name: "jump into the middle of an lddw, unprivileged and in raw records",
    program: () =>
      prog([mov0, raw(Class.JMP | JmpOp.JNE, { dst: R1, off: 1 }), raw(LDDW, { imm: 1, imm2: 0 }), exit]),
    options: UNPRIV,
    reason: "jump into the middle of ldimm64 insn 2",
    insn: 2,
  },
  {
    name: "raw local call to an lddw's second slot: the lddw ends the caller",
    program: () =>
      prog([raw(Class.JMP | JmpOp.CALL, { src: PseudoCall.LOCAL, imm: 2 }), exit, raw(LDDW, { imm2: 0 }), exit]),
    options: PRIV,
    reason: "last insn is not an exit or jmp",
    insn: 2,
  },
];

/**
 *   0: r6 = 0
 *   1: r7 = 0              outer head
 *   2: r7 += 1             inner head
 *   3: if r7 < 10 goto 2
 *   4: r6 += 1
 *   5: if r6 < 10 goto 1
 *   6: r0 = 0
 *   7: exit
 */
function nestedLoops(): ProgramBuilder {
  return b()
    .mov64Imm(R6, 0)
    .label("outer")
    .mov64Imm(R7, 0)
    .label("inner")
    .add64Imm(R7, 1)
    .jmpImm(JmpOp.JLT, R7, 10, "inner")
    .add64Imm(R6, 1)
    .jmpImm(JmpOp.JLT, R6, 10, "outer")
    .mov64Imm(R0, 0)
    .exit();
}

describe("checkCfg rejects", () => {
  it("has at least 25 cases", () => {
    expect(rejected.length).toBeGreaterThanOrEqual(25);
  });

  it.each(rejected.map((r) => [r.name, r] as const))("%s", (_name, r) => {
    const err = rejection(r.program(), r.options);
    expect({ reason: err.reason, insn: err.insn }).toEqual({ reason: r.reason, insn: r.insn });
    expect(err.errno).toBe(r.errno ?? "EINVAL");
    expect(err.log).toEqual([r.reason]);
  });
});

interface Accepted {
  name: string;
  program: () => Program;
  options: CfgOptions;
  subprogs: CfgInfo["subprogs"];
  loopHeads: number[];
  prunePoints?: number[];
  insnAt?: number[];
}

const accepted: Accepted[] = [
  {
    name: "r0 = 0; exit",
    program: () => prog(b().mov64Imm(R0, 0).exit()),
    options: UNPRIV,
    subprogs: [{ start: 0, end: 2 }],
    loopHeads: [],
    prunePoints: [],
    insnAt: [0, 1],
  },
  {
    name: "conditional jump and a helper call",
    // 0: r0 = 0; 1: if r1 == 0 goto 4; 2: call 5; 3: r0 = 1; 4: exit
    program: () => prog(b().mov64Imm(R0, 0).jmpImm(JmpOp.JEQ, R1, 0, "out").call(5).mov64Imm(R0, 1).label("out").exit()),
    options: UNPRIV,
    subprogs: [{ start: 0, end: 5 }],
    loopHeads: [],
    prunePoints: [1, 3, 4],
    insnAt: [0, 1, 2, 3, 4],
  },
  {
    name: "lddw in the middle",
    program: () => prog(b().mov64Imm(R0, 0).lddw(R1, 0x1122334455667788n).mov64(R0, R1).exit()),
    options: UNPRIV,
    subprogs: [{ start: 0, end: 5 }],
    loopHeads: [],
    prunePoints: [],
    insnAt: [0, 1, -1, 2, 3],
  },
  {
    name: "jumps over lddws",
    // 0: if r1 == 0 goto 3; 1-2: lddw; 3: if r1 == 1 goto 6; 4-5: lddw; 6: exit
    program: () =>
      prog(
        b()
          .jmpImm(JmpOp.JEQ, R1, 0, "a")
          .lddw(R0, 1)
          .label("a")
          .jmpImm(JmpOp.JEQ, R1, 1, "b")
          .lddw(R0, 2)
          .label("b")
          .exit(),
      ),
    options: UNPRIV,
    subprogs: [{ start: 0, end: 7 }],
    loopHeads: [],
    prunePoints: [0, 3, 6],
    insnAt: [0, 1, -1, 2, 3, -1, 4],
  },
  {
    name: "nested loops, privileged",
    program: () => prog(nestedLoops()),
    options: PRIV,
    subprogs: [{ start: 0, end: 8 }],
    loopHeads: [1, 2],
    prunePoints: [1, 2, 3, 5],
  },
  {
    name: "loop head at slot 0",
    program: () => prog(b().label("l").add64Imm(R0, 1).jmpImm(JmpOp.JLT, R0, 10, "l").exit()),
    options: PRIV,
    subprogs: [{ start: 0, end: 3 }],
    loopHeads: [0],
    prunePoints: [0, 1],
  },
  {
    name: "two subprograms",
    // 0: call f; 1: call g; 2: exit; 3: f: r0 = 1; 4: exit; 5: g: if r1 == 0 goto 7; 6: r0 = 2; 7: exit
    program: () =>
      prog(
        b()
          .callLocal("f")
          .callLocal("g")
          .exit()
          .label("f")
          .mov64Imm(R0, 1)
          .exit()
          .label("g")
          .jmpImm(JmpOp.JEQ, R1, 0, "g_out")
          .mov64Imm(R0, 2)
          .label("g_out")
          .exit(),
      ),
    options: PRIV,
    subprogs: [
      { start: 0, end: 3 },
      { start: 3, end: 5 },
      { start: 5, end: 8 },
    ],
    loopHeads: [],
    prunePoints: [0, 1, 2, 3, 5, 7],
  },
  {
    name: "the last subprogram ends with a jump backwards",
    // main 0: r0 = 0; 1: call f; 2: exit
    // f    3: r0 = 0; 4: goto 6; 5: exit; 6: r0 += 1; 7: if r0 >= 10 goto 5; 8: goto 6
    program: () =>
      prog(
        b()
          .mov64Imm(R0, 0)
          .callLocal("f")
          .exit()
          .label("f")
          .mov64Imm(R0, 0)
          .ja("body")
          .label("done")
          .exit()
          .label("body")
          .add64Imm(R0, 1)
          .jmpImm(JmpOp.JGE, R0, 10, "done")
          .ja("body"),
      ),
    options: PRIV,
    subprogs: [
      { start: 0, end: 3 },
      { start: 3, end: 9 },
    ],
    loopHeads: [6],
    prunePoints: [1, 2, 3, 5, 6, 7],
  },
  {
    name: "a subprogram reached through a function pointer (lddw src=4)",
    // 0-1: r1 = &cb; 2: call 181; 3: r0 = 0; 4: exit; 5: cb: r0 = 0; 6: exit
    program: () => prog(b().ldFunc(R1, "cb").call(181).mov64Imm(R0, 0).exit().label("cb").mov64Imm(R0, 0).exit()),
    options: PRIV,
    subprogs: [
      { start: 0, end: 5 },
      { start: 5, end: 7 },
    ],
    loopHeads: [],
    prunePoints: [0, 2, 3, 5],
    insnAt: [0, -1, 1, 2, 3, 4, 5],
  },
  {
    name: "recursion is a back-edge to the callee (the main pass refuses recursion)",
    program: () => prog(b().callLocal("f").exit().label("f").callLocal("f").exit()),
    options: PRIV,
    subprogs: [
      { start: 0, end: 2 },
      { start: 2, end: 4 },
    ],
    loopHeads: [2],
    prunePoints: [0, 1, 2, 3],
  },
  {
    name: "ja32 (gotol) over a long gap",
    program: () => {
      // 0: if r1 == 0 goto 2; 1: gotol 40002; 2..40001: r0 = k; 40002: exit
      const p = b().jmpImm(JmpOp.JEQ, R1, 0, "gap").ja32("end").label("gap");
      for (let k = 0; k < 40000; k++) p.mov64Imm(R0, k);
      return prog(p.label("end").exit());
    },
    options: PRIV,
    subprogs: [{ start: 0, end: 40003 }],
    loopHeads: [],
    prunePoints: [0, 2, 40002],
  },
  {
    name: "callx with allowCallx, in assembler",
    program: () => prog("mov %r1, 5\ncall %r1\nexit"),
    options: { privileged: false, allowCallx: true },
    subprogs: [{ start: 0, end: 3 }],
    loopHeads: [],
    prunePoints: [2],
  },
  {
    name: "infinite loop is structural only, privileged (exploration rejects it later)",
    program: () => prog(b().mov64Imm(R0, 0).ja(-1)),
    options: PRIV,
    subprogs: [{ start: 0, end: 2 }],
    loopHeads: [1],
    prunePoints: [1],
  },
  {
    name: "exactly 4096 slots unprivileged",
    program: () => prog([...Array<Instruction>(BPF_MAXINSNS - 1).fill(mov0), exit]),
    options: UNPRIV,
    subprogs: [{ start: 0, end: 4096 }],
    loopHeads: [],
    prunePoints: [],
  },
];

describe("checkCfg accepts", () => {
  it("has at least 10 cases", () => {
    expect(accepted.length).toBeGreaterThanOrEqual(10);
  });

  it.each(accepted.map((a) => [a.name, a] as const))("%s", (_name, a) => {
    const program = a.program();
    const info = checkCfg(program, a.options);
    const slots = program.slotOf[program.insns.length]!;
    expect(info.subprogs).toEqual(a.subprogs);
    expect(info.loopHeads).toHaveLength(slots);
    expect(info.prunePoints).toHaveLength(slots);
    expect(ones(info.loopHeads)).toEqual(a.loopHeads);
    if (a.prunePoints !== undefined) expect(ones(info.prunePoints)).toEqual(a.prunePoints);
    if (a.insnAt !== undefined) expect([...info.insnAt]).toEqual(a.insnAt);
    // insnAt always inverts slotOf.
    program.insns.forEach((_insn, i) => expect(info.insnAt[program.slotOf[i]!]).toBe(i));
    expect([...info.insnAt].filter((x) => x >= 0)).toHaveLength(program.insns.length);
  });

  it("never reports loop heads unprivileged", () => {
    const info = checkCfg(prog(b().mov64Imm(R0, 0).jmpImm(JmpOp.JEQ, R1, 0, 1).mov64Imm(R0, 1).exit()), UNPRIV);
    expect(ones(info.loopHeads)).toEqual([]);
  });

  it("accepts 1_000_000 slots privileged", () => {
    const info = checkCfg(prog([...Array<Instruction>(999_999).fill(mov0), exit]), PRIV);
    expect(info.subprogs).toEqual([{ start: 0, end: 1_000_000 }]);
  });
});

describe("checkCfg over the bpf_conformance suite (privileged, callx allowed)", () => {
  const files = listDataFiles(CONFORMANCE_TESTS_DIR);

  it("has all 313 files", () => {
    expect(files).toHaveLength(313);
  });

  it.each(files)("%s", (file) => {
    const data = readConformanceData(join(CONFORMANCE_TESTS_DIR, file));
    const program = decodeProgram(data.raw ?? encodeProgram(assemble(data.asm ?? "")));
    const info = checkCfg(program, { privileged: true, allowCallx: true });
    expect(info.subprogs[0]!.start).toBe(0);
    expect(info.subprogs[info.subprogs.length - 1]!.end).toBe(program.slotOf[program.insns.length]);
  });
});
