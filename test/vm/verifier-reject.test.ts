// Unsafe programs the verifier must reject, each with the exact reason (the
// kernel-style message the verifier's code intends) and the slot index of
// the failing instruction. Programs are built with the ProgramBuilder or
// assembled in the conformance dialect; slot numbers are annotated in the
// comments (an lddw takes two slots).
//
// Maps (fd = map id, as the harness creates them): 1 arr (array, key 4,
// value 16, 4 entries), 2 hash (hash, key 4, value 8), 3 rb (ringbuf), 4 ro
// (array, value 8, BPF_F_RDONLY_PROG), 5 one (array, value 24, 1 entry),
// 6 prog (prog_array). The default program type is tracing with 6 args
// (48 bytes of read-only ctx behind r1).
import { describe, expect, it } from "vitest";
import { HelperId, helperProto } from "../../src/vm/helpers/protos.js";
import { assemble } from "../../src/vm/isa/asm.js";
import { ProgramBuilder } from "../../src/vm/isa/builder.js";
import { programFromInsns } from "../../src/vm/isa/encode.js";
import type { Instruction, Program } from "../../src/vm/isa/instruction.js";
import { AluOp, Class, JmpOp, Size } from "../../src/vm/isa/opcodes.js";
import { conformanceProgType, tracingProgType, type ProgType } from "../../src/vm/verifier/prog-types.js";
import type { MapDesc } from "../../src/vm/verifier/types.js";
import { verify } from "../../src/vm/verifier/verifier.js";
import { TEST_MAPS } from "../../fuzz/verifier.js";

const ARR = 1;
const HASH = 2;
const RB = 3;
const RO = 4;
const ONE = 5;

const MAPS = new Map<number, MapDesc>(
  TEST_MAPS.map((m, i) => [
    i + 1,
    { type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags ?? 0, name: m.name },
  ]),
);

const h = (name: string): number => {
  const id = HelperId[name];
  if (id === undefined) throw new Error(`no helper ${name}`);
  return id;
};
const LOOKUP = h("map_lookup_elem");
const UPDATE = h("map_update_elem");
const DELETE = h("map_delete_elem");
const KTIME = h("ktime_get_ns");
const COMM = h("get_current_comm");
const READ_KERNEL = h("probe_read_kernel");
const RESERVE = h("ringbuf_reserve");
const SUBMIT = h("ringbuf_submit");
const DISCARD = h("ringbuf_discard");
const OUTPUT = h("ringbuf_output");
const LOOP = h("loop");

const B = () => new ProgramBuilder();
const P = (b: ProgramBuilder): Program => programFromInsns(b.link());
const A = (src: string): Program => programFromInsns(assemble(src));

/** Slots +0..+5: key fp-4 = 0, r1 = map, r2 = fp-4, call map_lookup_elem at +5. */
function lookup(b: ProgramBuilder, fd: number): ProgramBuilder {
  return b.st(Size.W, 10, -4, 0).ldMapFd(1, fd).mov64(2, 10).add64Imm(2, -4).call(LOOKUP);
}
/** lookup (call at +5), +6: if r0 == 0 goto out; the body from +7; out: r0 = 0; exit. */
function withValue(fd: number, body: (b: ProgramBuilder) => void, b = B()): Program {
  lookup(b, fd).jmpImm(JmpOp.JEQ, 0, 0, "out");
  body(b);
  return P(b.label("out").mov64Imm(0, 0).exit());
}
/** Slots +0..+4: r1 = rb, r2 = size, r3 = 0, call ringbuf_reserve at +4. */
function reserve(b: ProgramBuilder, size = 8): ProgramBuilder {
  return b.ldMapFd(1, RB).mov64Imm(2, size).mov64Imm(3, 0).call(RESERVE);
}
/** reserve (call at +4), +5: if r0 == 0 goto out; the body from +6; out: r0 = 0; exit. */
function withRecord(body: (b: ProgramBuilder) => void, b = B(), size = 8): Program {
  reserve(b, size).jmpImm(JmpOp.JEQ, 0, 0, "out");
  body(b);
  return P(b.label("out").mov64Imm(0, 0).exit());
}
/** A chain: main calls f1, f_i calls f_{i+1}, ..., f_n returns 0. Slot of f_i's call: 2i. */
function callChain(n: number): Program {
  const b = B().callLocal("f1").exit();
  for (let i = 1; i < n; i++) b.label(`f${i}`).callLocal(`f${i + 1}`).exit();
  return P(b.label(`f${n}`).mov64Imm(0, 0).exit());
}

interface Case {
  name: string;
  prog: () => Program;
  reason: string;
  insn: number | undefined;
  type?: ProgType;
  privileged?: boolean;
  maxProcessed?: number;
}

const TRACING = tracingProgType(6);
const CONF8 = conformanceProgType(8);
const UNPRIV = { privileged: false } as const;

function run(c: Case) {
  return verify(c.prog(), {
    progType: c.type ?? TRACING,
    mapByFd: (fd) => MAPS.get(fd),
    privileged: c.privileged ?? true,
    ...(c.maxProcessed !== undefined ? { maxProcessed: c.maxProcessed } : {}),
  });
}

const cases: Case[] = [
  // ---- structure (cfg.ts) ----------------------------------------------------
  { name: "empty program", prog: () => programFromInsns([]), reason: "empty program", insn: undefined },
  { name: "jump past the end", prog: () => A("ja +5\nexit"), reason: "jump out of range from insn 0 to 6", insn: 0 },
  { name: "jump before the start", prog: () => A("mov %r0, 0\njeq %r0, 0, -3\nexit"), reason: "jump out of range from insn 1 to -1", insn: 1 },
  { name: "no exit at the end", prog: () => A("mov %r0, 0"), reason: "last insn is not an exit or jmp", insn: 0 },
  { name: "unreachable code", prog: () => A("mov %r0, 0\nexit\nmov %r0, 1\nexit"), reason: "unreachable insn 2", insn: 2 },
  { name: "call to a slot past the end", prog: () => P(B().callLocal(10).exit()), reason: "call to invalid destination", insn: 0 },
  {
    name: "jump into the second half of an lddw",
    // 0: if r1 == 0 goto 2; 1-2: lddw; 3: exit
    prog: () => P(B().jmpImm(JmpOp.JEQ, 1, 0, 1).lddw(0, 1).exit()),
    reason: "jump into the middle of ldimm64 insn 1",
    insn: 1,
  },
  { name: "callx outside the conformance dialect", prog: () => P(B().mov64Imm(2, 5).callx(2).exit()), reason: "unknown opcode 8d", insn: 1 },
  { name: "kfunc call", prog: () => P(B().callKfunc(77).mov64Imm(0, 0).exit()), reason: "JIT is required for calling kernel function", insn: 0 },
  {
    name: "unprivileged bpf-to-bpf call",
    prog: () => P(B().callLocal("f").exit().label("f").mov64Imm(0, 0).exit()),
    ...UNPRIV,
    reason: "loading/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN",
    insn: 0,
  },
  {
    name: "unprivileged function pointer (bpf_loop callback)",
    // 0: r1 = 1; 1-2: r2 = func
    prog: () => P(B().mov64Imm(1, 1).ldFunc(2, "cb").mov64Imm(3, 0).mov64Imm(4, 0).call(LOOP).exit().label("cb").mov64Imm(0, 0).exit()),
    ...UNPRIV,
    reason: "loading/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN",
    insn: 1,
  },
  { name: "unprivileged loop", prog: () => A("mov %r0, 0\nadd %r0, 1\njlt %r0, 10, -2\nexit"), ...UNPRIV, reason: "back-edge from insn 2 to 1", insn: 2 },
  {
    name: "subprogram falls off its end",
    prog: () => P(B().callLocal("f").exit().label("f").mov64Imm(0, 0)),
    reason: "last insn is not an exit or jmp",
    insn: 2,
  },
  {
    name: "jump from main into a subprogram",
    // 0: call f(3); 1: goto 3; 2: exit; 3: f
    prog: () => P(B().callLocal("f").ja("f").exit().label("f").mov64Imm(0, 0).exit()),
    reason: "jump out of range from insn 1 to 3",
    insn: 1,
  },
  {
    name: "4097 instructions unprivileged",
    prog: () => {
      const mov: Instruction = { opcode: Class.ALU64 | AluOp.MOV, dst: 0, src: 0, off: 0, imm: 0 };
      const exit: Instruction = { opcode: Class.JMP | JmpOp.EXIT, dst: 0, src: 0, off: 0, imm: 0 };
      return programFromInsns([...Array<Instruction>(4096).fill(mov), exit]);
    },
    ...UNPRIV,
    reason: "program too large (4097 insns), at most 4096 insns",
    insn: undefined,
  },
  { name: "legacy packet load", prog: () => P(B().ldAbs(Size.W, 0).exit()), reason: "BPF_LD_[ABS|IND] instructions not allowed for this program type", insn: 0 },
  { name: "lddw of a BTF variable", prog: () => P(B().ldBtfId(1, 5).mov64Imm(0, 0).exit()), reason: "invalid bpf_ld_imm64 insn", insn: 0 },
  { name: "lddw of a map by index", prog: () => P(B().ldMapIdx(1, 0).mov64Imm(0, 0).exit()), reason: "fd_idx without fd_array is invalid", insn: 0 },
  { name: "lddw of an unknown map fd", prog: () => P(B().ldMapFd(1, 99).mov64Imm(0, 0).exit()), reason: "fd 99 is not pointing to valid bpf_map", insn: 0 },
  {
    name: "lddw of a map value past its end",
    prog: () => P(B().ldMapValue(1, ARR, 16).mov64Imm(0, 0).exit()),
    reason: "invalid access to map value pointer, value_size=16 off=16",
    insn: 0,
  },

  // ---- uninitialized registers -------------------------------------------------
  { name: "read of an uninitialized register", prog: () => P(B().mov64(0, 2).exit()), reason: "R2 !read_ok", insn: 0 },
  { name: "uninitialized ALU source", prog: () => P(B().mov64Imm(0, 0).add64(0, 3).exit()), reason: "R3 !read_ok", insn: 1 },
  { name: "uninitialized ALU destination", prog: () => P(B().add64Imm(0, 1).exit()), reason: "R0 !read_ok", insn: 0 },
  { name: "uninitialized 32-bit move source", prog: () => P(B().mov32(0, 8).exit()), reason: "R8 !read_ok", insn: 0 },
  { name: "uninitialized compare operand", prog: () => P(B().mov64Imm(0, 0).jmpImm(JmpOp.JGT, 4, 3, "x").label("x").exit()), reason: "R4 !read_ok", insn: 1 },
  { name: "uninitialized compare source", prog: () => P(B().mov64Imm(0, 0).jmpReg(JmpOp.JGT, 0, 5, "x").label("x").exit()), reason: "R5 !read_ok", insn: 1 },
  { name: "uninitialized JMP32 operand", prog: () => P(B().mov64Imm(0, 0).jmp32Imm(JmpOp.JEQ, 2, 0, "x").label("x").exit()), reason: "R2 !read_ok", insn: 1 },
  { name: "store of an uninitialized register", prog: () => P(B().stx(Size.DW, 10, -8, 6).mov64Imm(0, 0).exit()), reason: "R6 !read_ok", insn: 0 },
  { name: "load through an uninitialized register", prog: () => P(B().ldx(Size.DW, 0, 7, 0).exit()), reason: "R7 !read_ok", insn: 0 },
  { name: "r1 is clobbered by a helper call", prog: () => P(B().call(KTIME).mov64(0, 1).exit()), reason: "R1 !read_ok", insn: 1 },
  { name: "neg of an uninitialized register", prog: () => P(B().neg64(3).mov64Imm(0, 0).exit()), reason: "R3 !read_ok", insn: 0 },
  { name: "byte swap of an uninitialized register", prog: () => P(B().be(4, 16).mov64Imm(0, 0).exit()), reason: "R4 !read_ok", insn: 0 },
  {
    name: "helper argument not set",
    // 0: key; 1-2: r1 = map; 3: call (r2 never set)
    prog: () => P(B().st(Size.W, 10, -4, 0).ldMapFd(1, ARR).call(LOOKUP).mov64Imm(0, 0).exit()),
    reason: "R2 !read_ok",
    insn: 3,
  },
  {
    name: "r1 is clobbered by a bpf-to-bpf call",
    prog: () => P(B().callLocal("f").mov64(0, 1).exit().label("f").mov64Imm(0, 0).exit()),
    reason: "R1 !read_ok",
    insn: 1,
  },
  {
    name: "callee reads the caller's r6",
    // 0: r6 = 1; 1: call f; 2: exit; 3: f: r0 = r6
    prog: () => P(B().mov64Imm(6, 1).callLocal("f").exit().label("f").mov64(0, 6).exit()),
    reason: "R6 !read_ok",
    insn: 3,
  },
  { name: "atomic with an uninitialized source", prog: () => P(B().st(Size.DW, 10, -8, 0).atomicAdd(Size.DW, 10, -8, 3).mov64Imm(0, 0).exit()), reason: "R3 !read_ok", insn: 1 },
  {
    name: "cmpxchg with r0 uninitialized",
    prog: () => P(B().st(Size.DW, 10, -8, 0).mov64Imm(1, 1).atomicCmpxchg(Size.DW, 10, -8, 1).mov64Imm(0, 0).exit()),
    reason: "R0 !read_ok",
    insn: 2,
  },

  // ---- the frame pointer is read only ----------------------------------------------
  { name: "mov to r10", prog: () => P(B().mov64Imm(10, 0).mov64Imm(0, 0).exit()), reason: "frame pointer is read only", insn: 0 },
  { name: "add to r10", prog: () => P(B().add64Imm(10, -8).mov64Imm(0, 0).exit()), reason: "frame pointer is read only", insn: 0 },
  { name: "32-bit mov to r10", prog: () => P(B().mov32(10, 1).mov64Imm(0, 0).exit()), reason: "frame pointer is read only", insn: 0 },
  { name: "neg r10", prog: () => P(B().neg64(10).mov64Imm(0, 0).exit()), reason: "frame pointer is read only", insn: 0 },
  { name: "load into r10", prog: () => P(B().st(Size.DW, 10, -8, 0).ldx(Size.DW, 10, 10, -8).mov64Imm(0, 0).exit()), reason: "frame pointer is read only", insn: 1 },
  { name: "lddw into r10", prog: () => P(B().lddw(10, 5).mov64Imm(0, 0).exit()), reason: "frame pointer is read only", insn: 0 },
  {
    name: "a callee writes its r10",
    prog: () => P(B().callLocal("f").exit().label("f").add64Imm(10, 8).mov64Imm(0, 0).exit()),
    reason: "frame pointer is read only",
    insn: 2,
  },

  // ---- dereferencing scalars -------------------------------------------------------
  { name: "load through a constant", prog: () => P(B().mov64Imm(1, 0).ldx(Size.DW, 0, 1, 0).exit()), reason: "R1 invalid mem access 'scalar'", insn: 1 },
  { name: "store through a constant", prog: () => P(B().mov64Imm(2, 0x1000).st(Size.DW, 2, 0, 1).mov64Imm(0, 0).exit()), reason: "R2 invalid mem access 'scalar'", insn: 1 },
  { name: "load through a ctx argument", prog: () => P(B().ldx(Size.DW, 2, 1, 0).ldx(Size.B, 0, 2, 0).exit()), reason: "R2 invalid mem access 'scalar'", insn: 1 },
  {
    name: "load through a filled scalar",
    prog: () => P(B().st(Size.DW, 10, -8, 64).ldx(Size.DW, 3, 10, -8).ldx(Size.DW, 0, 3, 0).exit()),
    reason: "R3 invalid mem access 'scalar'",
    insn: 2,
  },
  {
    name: "load through a pointer difference",
    // 0: r2 = r10; 1: r3 = r10; 2: r3 += -8; 3: r2 -= r3; 4: load
    prog: () => P(B().mov64(2, 10).mov64(3, 10).add64Imm(3, -8).sub64(2, 3).ldx(Size.DW, 0, 2, 0).exit()),
    reason: "R2 invalid mem access 'scalar'",
    insn: 4,
  },
  { name: "load through a 32-bit copy of a pointer", prog: () => P(B().mov32(2, 1).ldx(Size.DW, 0, 2, 0).exit()), reason: "R2 invalid mem access 'scalar'", insn: 1 },
  { name: "load through a helper's integer result", prog: () => P(B().call(h("get_current_task")).ldx(Size.DW, 0, 0, 0).exit()), reason: "R0 invalid mem access 'scalar'", insn: 1 },
  {
    name: "atomic through a constant",
    prog: () => P(B().mov64Imm(1, 0).mov64Imm(2, 1).atomicAdd(Size.DW, 1, 0, 2).mov64Imm(0, 0).exit()),
    reason: "R1 invalid mem access 'scalar'",
    insn: 2,
  },

  // ---- stack bounds ----------------------------------------------------------------
  { name: "store below the stack", prog: () => P(B().st(Size.DW, 10, -520, 0).mov64Imm(0, 0).exit()), reason: "invalid write to stack R10 off=-520 size=8", insn: 0 },
  { name: "store at the frame pointer", prog: () => P(B().st(Size.DW, 10, 0, 0).mov64Imm(0, 0).exit()), reason: "invalid write to stack R10 off=0 size=8", insn: 0 },
  { name: "store straddling the frame pointer", prog: () => P(B().st(Size.W, 10, -2, 0).mov64Imm(0, 0).exit()), reason: "misaligned stack access off 0+0+-2 size 4", insn: 0 },
  { name: "byte store below the stack", prog: () => P(B().st(Size.B, 10, -513, 0).mov64Imm(0, 0).exit()), reason: "invalid write to stack R10 off=-513 size=1", insn: 0 },
  { name: "load below the stack", prog: () => P(B().ldx(Size.W, 0, 10, -516).exit()), reason: "invalid read from stack R10 off=-516 size=4", insn: 0 },
  {
    name: "load below the stack through a moved pointer",
    prog: () => P(B().mov64(1, 10).add64Imm(1, -512).ldx(Size.DW, 0, 1, -8).exit()),
    reason: "invalid read from stack R1 off=-520 size=8",
    insn: 2,
  },
  { name: "spill above the frame pointer", prog: () => P(B().stx(Size.DW, 10, 8, 1).mov64Imm(0, 0).exit()), reason: "invalid write to stack R10 off=8 size=8", insn: 0 },
  {
    name: "map key at the frame pointer",
    // 0-1: r1 = map; 2: r2 = r10; 3: call
    prog: () => P(B().ldMapFd(1, ARR).mov64(2, 10).call(LOOKUP).mov64Imm(0, 0).exit()),
    reason: "invalid indirect access to stack R2 off=0 size=4",
    insn: 3,
  },
  {
    name: "variable stack offset, unprivileged (privileged: each access is checked over the range)",
    prog: () => P(B().ldx(Size.DW, 2, 1, 0).and64Imm(2, 7).mov64(3, 10).add64(3, 2).mov64Imm(0, 0).exit()),
    privileged: false,
    reason: "R3 variable stack access prohibited for !root, var_off=(0x0; 0x7) off=0",
    insn: 3,
  },
  {
    name: "variable scalar plus the frame pointer",
    prog: () => P(B().ldx(Size.DW, 2, 1, 0).add64(2, 10).mov64Imm(0, 0).exit()),
    reason: "math between fp pointer and register with unbounded min value is not allowed",
    insn: 1,
  },
  {
    name: "frame pointer moved out of range",
    prog: () => P(B().mov64(1, 10).add64Imm(1, 0x20000000).mov64Imm(0, 0).exit()),
    reason: "math between fp pointer and 536870912 is not allowed",
    insn: 1,
  },

  // ---- uninitialized stack ---------------------------------------------------------
  { name: "read of an unwritten stack slot", prog: () => P(B().ldx(Size.DW, 0, 10, -8).exit()), privileged: false, reason: "invalid read from stack off -8+0 size 8", insn: 0 },
  {
    name: "read of a half-written stack slot",
    prog: () => P(B().st(Size.W, 10, -8, 0).ldx(Size.DW, 0, 10, -8).exit()),
    privileged: false,
    reason: "invalid read from stack off -8+4 size 8",
    insn: 1,
  },
  { name: "read of an unwritten byte", prog: () => P(B().st(Size.B, 10, -1, 1).ldx(Size.H, 0, 10, -2).exit()), privileged: false, reason: "invalid read from stack off -2+0 size 2", insn: 1 },
  { name: "read below a written halfword", prog: () => P(B().st(Size.H, 10, -6, 1).ldx(Size.W, 0, 10, -8).exit()), privileged: false, reason: "invalid read from stack off -8+0 size 4", insn: 1 },
  { name: "sign-extending read of an unwritten slot", prog: () => P(B().ldxs(Size.W, 0, 10, -4).exit()), privileged: false, reason: "invalid read from stack off -4+0 size 4", insn: 0 },
  {
    name: "uninitialized map key",
    // 0-1: r1 = map; 2: r2 = r10; 3: r2 += -4; 4: call
    prog: () => P(B().ldMapFd(1, ARR).mov64(2, 10).add64Imm(2, -4).call(LOOKUP).mov64Imm(0, 0).exit()),
    privileged: false,
    reason: "invalid indirect read from stack R2 off -4+0 size 4",
    insn: 4,
  },
  {
    name: "uninitialized map value for update",
    // 0: key; 1-2: map; 3-4: r2; 5-6: r3 = fp-16; 7: r4; 8: call
    prog: () =>
      P(B().st(Size.W, 10, -4, 0).ldMapFd(1, HASH).mov64(2, 10).add64Imm(2, -4).mov64(3, 10).add64Imm(3, -16).mov64Imm(4, 0).call(UPDATE).mov64Imm(0, 0).exit()),
    privileged: false,
    reason: "invalid indirect read from stack R3 off -16+0 size 8",
    insn: 8,
  },
  {
    name: "uninitialized ringbuf_output data",
    // 0-1: map; 2-3: r2 = fp-16; 4: r3 = 16; 5: r4 = 0; 6: call
    prog: () => P(B().ldMapFd(1, RB).mov64(2, 10).add64Imm(2, -16).mov64Imm(3, 16).mov64Imm(4, 0).call(OUTPUT).mov64Imm(0, 0).exit()),
    privileged: false,
    reason: "invalid indirect read from stack R2 off -16+0 size 16",
    insn: 6,
  },
  {
    name: "atomic on an unwritten slot",
    prog: () => P(B().mov64Imm(1, 1).atomicAdd(Size.DW, 10, -8, 1).mov64Imm(0, 0).exit()),
    privileged: false,
    reason: "invalid read from stack off -8+0 size 8",
    insn: 1,
  },

  // ---- stack alignment -------------------------------------------------------------
  { name: "misaligned 8-byte store", prog: () => P(B().st(Size.DW, 10, -12, 0).mov64Imm(0, 0).exit()), reason: "misaligned stack access off 0+0+-12 size 8", insn: 0 },
  { name: "misaligned 4-byte store", prog: () => P(B().st(Size.W, 10, -6, 0).mov64Imm(0, 0).exit()), reason: "misaligned stack access off 0+0+-6 size 4", insn: 0 },
  { name: "misaligned 2-byte load", prog: () => P(B().ldx(Size.H, 0, 10, -3).exit()), reason: "misaligned stack access off 0+0+-3 size 2", insn: 0 },
  {
    name: "misaligned store through a moved pointer",
    prog: () => P(B().mov64(1, 10).add64Imm(1, -9).st(Size.DW, 1, 0, 0).mov64Imm(0, 0).exit()),
    reason: "misaligned stack access off 0+-9+0 size 8",
    insn: 2,
  },
  { name: "misaligned pointer spill", prog: () => P(B().stx(Size.DW, 10, -12, 1).mov64Imm(0, 0).exit()), reason: "misaligned stack access off 0+0+-12 size 8", insn: 0 },

  // ---- spilled pointers ------------------------------------------------------------
  { name: "4-byte fill of a spilled pointer", prog: () => P(B().stx(Size.DW, 10, -8, 1).ldx(Size.W, 0, 10, -8).exit()), reason: "invalid size of register fill", insn: 1 },
  { name: "1-byte fill of a spilled frame pointer", prog: () => P(B().stx(Size.DW, 10, -8, 10).ldx(Size.B, 0, 10, -4).exit()), reason: "invalid size of register fill", insn: 1 },
  { name: "sign-extending fill of a spilled pointer", prog: () => P(B().stx(Size.DW, 10, -8, 1).ldxs(Size.W, 0, 10, -8).exit()), reason: "invalid size of register fill", insn: 1 },
  { name: "4-byte spill of a pointer", prog: () => P(B().stx(Size.W, 10, -8, 1).mov64Imm(0, 0).exit()), reason: "invalid size of register spill", insn: 0 },
  {
    name: "unprivileged overwrite of part of a spilled pointer",
    prog: () => P(B().stx(Size.DW, 10, -8, 1).st(Size.B, 10, -8, 0).mov64Imm(0, 0).exit()),
    ...UNPRIV,
    reason: "attempt to corrupt spilled pointer on stack",
    insn: 1,
  },
  {
    name: "a partly overwritten spilled pointer fills as a scalar",
    prog: () => P(B().stx(Size.DW, 10, -8, 1).st(Size.B, 10, -8, 0).ldx(Size.DW, 2, 10, -8).ldx(Size.DW, 0, 2, 0).exit()),
    reason: "R2 invalid mem access 'scalar'",
    insn: 3,
  },
  {
    name: "a helper overwrites a spilled pointer",
    // 0: spill ctx; 1-2: r1 = fp-8; 3: r2 = 8; 4: r3 = 0; 5: call; 6: fill; 7: load
    prog: () =>
      P(B().stx(Size.DW, 10, -8, 1).mov64(1, 10).add64Imm(1, -8).mov64Imm(2, 8).mov64Imm(3, 0).call(READ_KERNEL).ldx(Size.DW, 2, 10, -8).ldx(Size.DW, 0, 2, 0).exit()),
    reason: "R2 invalid mem access 'scalar'",
    insn: 7,
  },
  {
    name: "filled map_value_or_null used before the null check",
    // lookup (call 5); 6: spill r0; 7: fill r1; 8: load
    prog: () => P(lookup(B(), ARR).stx(Size.DW, 10, -16, 0).ldx(Size.DW, 1, 10, -16).ldx(Size.DW, 0, 1, 0).exit()),
    reason: "R1 invalid mem access 'map_value_or_null'",
    insn: 8,
  },

  // ---- map value bounds ------------------------------------------------------------
  { name: "load just past the value", prog: () => withValue(ARR, (b) => b.ldx(Size.DW, 1, 0, 16)), reason: "R0 min value is outside of the allowed memory range", insn: 7 },
  { name: "store overlapping the end of the value", prog: () => withValue(ARR, (b) => b.st(Size.DW, 0, 9, 1)), reason: "R0 min value is outside of the allowed memory range", insn: 7 },
  {
    name: "store past the value through a moved pointer",
    prog: () => withValue(ARR, (b) => b.add64Imm(0, 12).st(Size.DW, 0, 0, 1)),
    reason: "R0 min value is outside of the allowed memory range",
    insn: 8,
  },
  { name: "load before the value", prog: () => withValue(ARR, (b) => b.ldx(Size.B, 1, 0, -1)), reason: "R0 min value is outside of the allowed memory range", insn: 7 },
  { name: "load past a hash value", prog: () => withValue(HASH, (b) => b.ldx(Size.DW, 1, 0, 8)), reason: "R0 min value is outside of the allowed memory range", insn: 7 },
  { name: "load past a 24-byte value", prog: () => withValue(ONE, (b) => b.ldx(Size.DW, 1, 0, 20)), reason: "R0 min value is outside of the allowed memory range", insn: 7 },
  {
    name: "unchecked variable offset",
    // 0: r6 = arg; lookup 1-6; 7: null check; 8: r0 += r6; 9: load
    prog: () => withValue(ARR, (b) => b.add64(0, 6).ldx(Size.B, 1, 0, 0), B().ldx(Size.DW, 6, 1, 0)),
    reason: "math between map_value pointer and register with unbounded min value is not allowed",
    insn: 8,
  },
  {
    name: "variable offset masked too wide",
    prog: () => withValue(ARR, (b) => b.and64Imm(6, 15).add64(0, 6).ldx(Size.DW, 1, 0, 0), B().ldx(Size.DW, 6, 1, 0)),
    reason: "R0 max value is outside of the allowed memory range",
    insn: 10,
  },
  {
    name: "variable offset plus a constant past the end",
    prog: () => withValue(ARR, (b) => b.and64Imm(6, 8).add64(0, 6).st(Size.DW, 0, 1, 1), B().ldx(Size.DW, 6, 1, 0)),
    reason: "R0 max value is outside of the allowed memory range",
    insn: 10,
  },
  {
    name: "variable offset with no upper bound",
    prog: () => withValue(ARR, (b) => b.rsh64Imm(6, 1).add64(0, 6).ldx(Size.B, 1, 0, 0), B().ldx(Size.DW, 6, 1, 0)),
    reason: "R0 unbounded memory access, make sure to bounds check any such access",
    insn: 10,
  },
  {
    name: "bounds check off by one",
    // 8: if r6 > 16 goto out; 9: r0 += r6; 10: load 1 byte
    prog: () => withValue(ARR, (b) => b.jmpImm(JmpOp.JGT, 6, 16, "out").add64(0, 6).ldx(Size.B, 1, 0, 0), B().ldx(Size.DW, 6, 1, 0)),
    reason: "R0 max value is outside of the allowed memory range",
    insn: 10,
  },
  {
    name: "signed upper bound only",
    prog: () => withValue(ARR, (b) => b.jmpImm(JmpOp.JSGT, 6, 8, "out").add64(0, 6).ldx(Size.B, 1, 0, 0), B().ldx(Size.DW, 6, 1, 0)),
    reason: "math between map_value pointer and register with unbounded min value is not allowed",
    insn: 9,
  },
  {
    name: "variable offset with a negative constant",
    prog: () => withValue(ARR, (b) => b.and64Imm(6, 7).add64(0, 6).ldx(Size.B, 1, 0, -8), B().ldx(Size.DW, 6, 1, 0)),
    reason: "R0 min value is outside of the allowed memory range",
    insn: 10,
  },
  {
    name: "subtracted variable offset",
    prog: () => withValue(ARR, (b) => b.and64Imm(6, 7).sub64(0, 6).ldx(Size.B, 1, 0, 0), B().ldx(Size.DW, 6, 1, 0)),
    reason: "R0 min value is negative, either use unsigned index or do a if (index >=0) check.",
    insn: 10,
  },
  {
    name: "32-bit mask still too wide",
    prog: () => withValue(ARR, (b) => b.and32Imm(6, 0xff).add64(0, 6).ldx(Size.B, 1, 0, 0), B().ldx(Size.DW, 6, 1, 0)),
    reason: "R0 max value is outside of the allowed memory range",
    insn: 10,
  },
  {
    name: "variable offset then a constant step",
    prog: () => withValue(ARR, (b) => b.and64Imm(6, 7).add64(0, 6).add64Imm(0, 9).ldx(Size.B, 1, 0, 0), B().ldx(Size.DW, 6, 1, 0)),
    reason: "R0 max value is outside of the allowed memory range",
    insn: 11,
  },
  { name: "map value pointer moved out of range", prog: () => withValue(ARR, (b) => b.add64Imm(0, 0x20000000)), reason: "math between map_value pointer and 536870912 is not allowed", insn: 7 },
  { name: "write into a read-only map", prog: () => withValue(RO, (b) => b.st(Size.DW, 0, 0, 1)), reason: "write into map forbidden, value_size=8 off=0 size=8", insn: 7 },
  {
    name: "atomic on a read-only map",
    prog: () => withValue(RO, (b) => b.mov64Imm(1, 1).atomicAdd(Size.DW, 0, 0, 1)),
    reason: "write into map forbidden, value_size=8 off=0 size=8",
    insn: 8,
  },
  {
    name: "direct map value access past the end",
    // 0-1: r1 = &one[0] + 8; 2: load at +16
    prog: () => P(B().ldMapValue(1, ONE, 8).ldx(Size.DW, 0, 1, 16).exit()),
    reason: "R1 min value is outside of the allowed memory range",
    insn: 2,
  },
  {
    name: "helper reads past a map value",
    // 7: r2 = r0; 8-9: r1 = rb; 10: r3 = 17; 11: r4 = 0; 12: call ringbuf_output
    prog: () => withValue(ARR, (b) => b.mov64(2, 0).ldMapFd(1, RB).mov64Imm(3, 17).mov64Imm(4, 0).call(OUTPUT)),
    reason: "R2 min value is outside of the allowed memory range",
    insn: 12,
  },
  {
    name: "helper writes past a map value",
    // 7: r1 = r0; 8: r1 += 8; 9: r2 = 16; 10: r3 = 0; 11: call probe_read_kernel
    prog: () => withValue(ARR, (b) => b.mov64(1, 0).add64Imm(1, 8).mov64Imm(2, 16).mov64Imm(3, 0).call(READ_KERNEL)),
    reason: "R1 min value is outside of the allowed memory range",
    insn: 11,
  },

  // ---- map_value_or_null -------------------------------------------------------------
  { name: "load before the null check", prog: () => P(lookup(B(), ARR).ldx(Size.DW, 1, 0, 0).mov64Imm(0, 0).exit()), reason: "R0 invalid mem access 'map_value_or_null'", insn: 6 },
  {
    name: "load through an unchecked copy",
    prog: () => P(lookup(B(), ARR).mov64(6, 0).ldx(Size.DW, 1, 6, 0).mov64Imm(0, 0).exit()),
    reason: "R6 invalid mem access 'map_value_or_null'",
    insn: 7,
  },
  {
    name: "load on the NULL side of the check",
    // 6: if r0 != 0 goto 8; 7: load; 8: r0 = 0; 9: exit
    prog: () => P(lookup(B(), ARR).jmpImm(JmpOp.JNE, 0, 0, "ok").ldx(Size.DW, 1, 0, 0).label("ok").mov64Imm(0, 0).exit()),
    reason: "R0 invalid mem access 'scalar'",
    insn: 7,
  },
  {
    name: "compared with 1 instead of 0",
    prog: () => P(lookup(B(), ARR).jmpImm(JmpOp.JEQ, 0, 1, "out").ldx(Size.DW, 1, 0, 0).label("out").mov64Imm(0, 0).exit()),
    reason: "R0 invalid mem access 'map_value_or_null'",
    insn: 7,
  },
  {
    name: "null check of the other lookup",
    // lookup 0-5; 6: r6 = r0; lookup 7-12; 13: r7 = r0; 14: if r6 == 0 goto out; 15: load through r7
    prog: () => {
      const b = lookup(B(), ARR).mov64(6, 0);
      lookup(b, HASH).mov64(7, 0).jmpImm(JmpOp.JEQ, 6, 0, "out").ldx(Size.DW, 1, 7, 0);
      return P(b.label("out").mov64Imm(0, 0).exit());
    },
    reason: "R7 invalid mem access 'map_value_or_null'",
    insn: 15,
  },
  {
    name: "ringbuf record used before the null check",
    prog: () => P(reserve(B()).st(Size.DW, 0, 0, 1).mov64Imm(0, 0).exit()),
    reason: "R0 invalid mem access 'ringbuf_mem_or_null'",
    insn: 5,
  },
  {
    name: "map_value_or_null passed as a key",
    // lookup 0-5; 6-7: r1 = map; 8: r2 = r0; 9: call
    prog: () => P(lookup(B(), ARR).ldMapFd(1, ARR).mov64(2, 0).call(LOOKUP).mov64Imm(0, 0).exit()),
    reason: "R2 type=map_value_or_null expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_",
    insn: 9,
  },

  // ---- arithmetic on map pointers and *_or_null -------------------------------------------
  { name: "map pointer plus a constant", prog: () => P(B().ldMapFd(1, ARR).add64Imm(1, 8).mov64Imm(0, 0).exit()), reason: "R1 pointer arithmetic on map_ptr prohibited", insn: 2 },
  {
    name: "map pointer minus a register",
    prog: () => P(B().ldMapFd(1, ARR).mov64Imm(2, 8).sub64(1, 2).mov64Imm(0, 0).exit()),
    reason: "R1 pointer arithmetic on map_ptr prohibited",
    insn: 3,
  },
  {
    name: "scalar plus a map pointer",
    prog: () => P(B().ldMapFd(1, ARR).mov64Imm(2, 8).add64(2, 1).mov64Imm(0, 0).exit()),
    reason: "R2 pointer arithmetic on map_ptr prohibited",
    insn: 3,
  },
  { name: "map_value_or_null plus a constant", prog: () => P(lookup(B(), ARR).add64Imm(0, 8).mov64Imm(0, 0).exit()), reason: "R0 pointer arithmetic on map_value_or_null prohibited, null-check it first", insn: 6 },
  { name: "ringbuf_mem_or_null plus a constant", prog: () => P(reserve(B()).add64Imm(0, 8).mov64Imm(0, 0).exit()), reason: "R0 pointer arithmetic on ringbuf_mem_or_null prohibited, null-check it first", insn: 5 },
  {
    name: "function pointer plus a constant",
    // 0-1: r1 = func; 2: r1 += 1
    prog: () => P(B().ldFunc(1, "f").add64Imm(1, 1).mov64Imm(0, 0).exit().label("f").mov64Imm(0, 0).exit()),
    reason: "R1 pointer arithmetic on func prohibited",
    insn: 2,
  },

  // ---- 32-bit, bitwise and other pointer ALU -------------------------------------------
  { name: "32-bit add to ctx", prog: () => P(B().add32Imm(1, 8).mov64Imm(0, 0).exit()), reason: "R1 32-bit pointer arithmetic prohibited", insn: 0 },
  { name: "32-bit sub from a stack pointer, unprivileged (privileged: an unknown scalar)", prog: () => P(B().mov64(2, 10).sub32Imm(2, 8).mov64Imm(0, 0).exit()), privileged: false, reason: "R2 32-bit pointer arithmetic prohibited", insn: 1 },
  { name: "32-bit add of a pointer to a scalar", prog: () => P(B().mov32Imm(3, 1).add32(3, 10).mov64Imm(0, 0).exit()), reason: "R3 32-bit pointer arithmetic prohibited", insn: 1 },
  { name: "32-bit add to a map value", prog: () => withValue(ARR, (b) => b.add32Imm(0, 4)), reason: "R0 32-bit pointer arithmetic prohibited", insn: 7 },
  { name: "32-bit and on ctx", prog: () => P(B().and32Imm(1, 0xff).mov64Imm(0, 0).exit()), reason: "R1 32-bit pointer arithmetic prohibited", insn: 0 },
  { name: "and on ctx", prog: () => P(B().and64Imm(1, 0xff).mov64Imm(0, 0).exit()), reason: "R1 bitwise operator &= on pointer prohibited", insn: 0 },
  { name: "or on ctx", prog: () => P(B().or64Imm(1, 1).mov64Imm(0, 0).exit()), reason: "R1 bitwise operator |= on pointer prohibited", insn: 0 },
  { name: "xor of a stack pointer with itself", prog: () => P(B().mov64(2, 10).xor64(2, 2).mov64Imm(0, 0).exit()), reason: "R2 pointer ^= pointer prohibited", insn: 1 },
  { name: "and of a scalar with a pointer", prog: () => P(B().mov64Imm(2, -1).and64(2, 1).mov64Imm(0, 0).exit()), reason: "R2 bitwise operator &= on pointer prohibited", insn: 1 },
  { name: "multiply ctx", prog: () => P(B().mul64Imm(1, 2).mov64Imm(0, 0).exit()), reason: "R1 pointer arithmetic with *= operator prohibited", insn: 0 },
  { name: "multiply a scalar by a pointer", prog: () => P(B().mov64Imm(2, 3).mul64(2, 1).mov64Imm(0, 0).exit()), reason: "R2 pointer arithmetic with *= operator prohibited", insn: 1 },
  { name: "divide ctx", prog: () => P(B().div64Imm(1, 2).mov64Imm(0, 0).exit()), reason: "R1 pointer arithmetic with /= operator prohibited", insn: 0 },
  { name: "modulo ctx", prog: () => P(B().mod64Imm(1, 2).mov64Imm(0, 0).exit()), reason: "R1 pointer arithmetic with %= operator prohibited", insn: 0 },
  { name: "shift ctx left", prog: () => P(B().lsh64Imm(1, 1).mov64Imm(0, 0).exit()), reason: "R1 pointer arithmetic with <<= operator prohibited", insn: 0 },
  { name: "shift ctx right", prog: () => P(B().rsh64Imm(1, 1).mov64Imm(0, 0).exit()), reason: "R1 pointer arithmetic with >>= operator prohibited", insn: 0 },
  { name: "arithmetic shift of a stack pointer", prog: () => P(B().mov64(2, 10).arsh64Imm(2, 1).mov64Imm(0, 0).exit()), reason: "R2 pointer arithmetic with s>>= operator prohibited", insn: 1 },
  { name: "negate ctx, unprivileged (privileged: an unknown scalar)", prog: () => P(B().neg64(1).mov64Imm(0, 0).exit()), privileged: false, reason: "R1 pointer arithmetic prohibited", insn: 0 },
  { name: "byte swap ctx, unprivileged (privileged: an unknown scalar)", prog: () => P(B().be(1, 16).mov64Imm(0, 0).exit()), privileged: false, reason: "R1 pointer arithmetic prohibited", insn: 0 },
  { name: "sign-extending move of a pointer", prog: () => P(B().movsx64(2, 1, 8).mov64Imm(0, 0).exit()), reason: "R1 sign-extension part of pointer", insn: 0 },
  { name: "pointer plus pointer", prog: () => P(B().add64(1, 10).mov64Imm(0, 0).exit()), reason: "R1 pointer += pointer prohibited", insn: 0 },
  // Privileged (allow_ptr_leaks), any two pointers subtract to an unknown scalar.
  { name: "ctx minus a stack pointer, unprivileged", prog: () => P(B().sub64(1, 10).mov64Imm(0, 0).exit()), privileged: false, reason: "R1 pointer -= pointer prohibited", insn: 0 },
  { name: "scalar minus a pointer", prog: () => P(B().mov64Imm(2, 8).sub64(2, 10).mov64Imm(0, 0).exit()), reason: "R2 tried to subtract pointer from scalar", insn: 1 },
  { name: "ctx moved out of range", prog: () => P(B().add64Imm(1, 0x20000000).mov64Imm(0, 0).exit()), reason: "math between ctx pointer and 536870912 is not allowed", insn: 0 },

  // ---- ctx access (tracing: read-only u64 arguments) -------------------------------------
  { name: "ctx store", prog: () => P(B().st(Size.DW, 1, 0, 1).mov64Imm(0, 0).exit()), reason: "invalid bpf_context access off=0 size=8", insn: 0 },
  { name: "ctx register store", prog: () => P(B().mov64Imm(2, 1).stx(Size.DW, 1, 8, 2).mov64Imm(0, 0).exit()), reason: "invalid bpf_context access off=8 size=8", insn: 1 },
  { name: "misaligned 4-byte ctx load", prog: () => P(B().ldx(Size.W, 0, 1, 2).exit()), reason: "invalid bpf_context access off=2 size=4", insn: 0 },
  { name: "2-byte ctx load past the arguments", prog: () => P(B().ldx(Size.H, 0, 1, 48).exit()), reason: "invalid bpf_context access off=48 size=2", insn: 0 },
  { name: "misaligned sign-extending ctx load", prog: () => P(B().ldxs(Size.W, 0, 1, 6).exit()), reason: "invalid bpf_context access off=6 size=4", insn: 0 },
  { name: "misaligned ctx load", prog: () => P(B().ldx(Size.DW, 0, 1, 4).exit()), reason: "invalid bpf_context access off=4 size=8", insn: 0 },
  { name: "ctx load past the arguments", prog: () => P(B().ldx(Size.DW, 0, 1, 48).exit()), reason: "invalid bpf_context access off=48 size=8", insn: 0 },
  { name: "ctx load past 2 arguments", prog: () => P(B().ldx(Size.DW, 0, 1, 16).exit()), type: tracingProgType(2), reason: "invalid bpf_context access off=16 size=8", insn: 0 },
  { name: "ctx load before the arguments", prog: () => P(B().ldx(Size.DW, 0, 1, -8).exit()), reason: "invalid bpf_context access off=-8 size=8", insn: 0 },
  { name: "load through a moved ctx", prog: () => P(B().add64Imm(1, 8).ldx(Size.DW, 0, 1, 0).exit()), reason: "dereference of modified ctx ptr R1 off=8 disallowed", insn: 1 },
  { name: "moved ctx moved back by the offset", prog: () => P(B().add64Imm(1, 8).ldx(Size.DW, 0, 1, -8).exit()), reason: "dereference of modified ctx ptr R1 off=8 disallowed", insn: 1 },
  { name: "atomic on ctx", prog: () => P(B().mov64Imm(2, 1).atomicAdd(Size.DW, 1, 0, 2).mov64Imm(0, 0).exit()), reason: "BPF_ATOMIC stores into R1 ctx is not allowed", insn: 1 },
  { name: "moved ctx passed to a helper", prog: () => P(B().add64Imm(1, 8).call(h("get_func_ip")).exit()), reason: "dereference of modified ctx ptr R1 off=8 disallowed", insn: 1 },
  {
    name: "variable ctx offset",
    prog: () => P(B().ldx(Size.DW, 2, 1, 0).add64(1, 2).mov64Imm(0, 0).exit()),
    reason: "math between ctx pointer and register with unbounded min value is not allowed",
    insn: 1,
  },
  {
    name: "store through a filled ctx pointer",
    prog: () => P(B().stx(Size.DW, 10, -8, 1).ldx(Size.DW, 2, 10, -8).st(Size.DW, 2, 0, 0).mov64Imm(0, 0).exit()),
    reason: "invalid bpf_context access off=0 size=8",
    insn: 2,
  },

  // ---- helper arguments ----------------------------------------------------------------
  { name: "lookup in a ring buffer", prog: () => P(lookup(B(), RB).mov64Imm(0, 0).exit()), reason: "invalid zero-sized read", insn: 5 },
  { name: "reserve in an array", prog: () => P(B().ldMapFd(1, ARR).mov64Imm(2, 8).mov64Imm(3, 0).call(RESERVE).mov64Imm(0, 0).exit()), reason: "cannot pass map_type 2 into func bpf_ringbuf_reserve#131", insn: 4 },
  {
    // (Deleting from an array verifies, as in the kernel: the helper fails at run time.)
    name: "delete from a ring buffer",
    prog: () => P(B().st(Size.W, 10, -4, 0).ldMapFd(1, RB).mov64(2, 10).add64Imm(2, -4).call(DELETE).mov64Imm(0, 0).exit()),
    reason: "invalid zero-sized read",
    insn: 5,
  },
  {
    name: "ringbuf_output to a hash",
    prog: () => P(B().st(Size.DW, 10, -8, 0).ldMapFd(1, HASH).mov64(2, 10).add64Imm(2, -8).mov64Imm(3, 8).mov64Imm(4, 0).call(OUTPUT).mov64Imm(0, 0).exit()),
    reason: "cannot pass map_type 1 into func bpf_ringbuf_output#130",
    insn: 7,
  },
  {
    name: "tail call through a hash",
    // 0-1: r2 = hash; 2: r3 = 0; 3: call (r1 = ctx)
    prog: () => P(B().ldMapFd(2, HASH).mov64Imm(3, 0).call(h("tail_call")).mov64Imm(0, 0).exit()),
    reason: "expected prog array map for tail call",
    insn: 3,
  },
  {
    name: "get_stackid with an array",
    prog: () => P(B().ldMapFd(2, ARR).mov64Imm(3, 0).call(h("get_stackid")).mov64Imm(0, 0).exit()),
    reason: "cannot pass map_type 2 into func bpf_get_stackid#27",
    insn: 3,
  },
  {
    name: "ringbuf_query on an array",
    prog: () => P(B().ldMapFd(1, ARR).mov64Imm(2, 0).call(h("ringbuf_query")).mov64Imm(0, 0).exit()),
    reason: "cannot pass map_type 2 into func bpf_ringbuf_query#134",
    insn: 3,
  },
  {
    name: "ctx passed as the map",
    prog: () => P(B().st(Size.W, 10, -4, 0).mov64(2, 10).add64Imm(2, -4).call(LOOKUP).mov64Imm(0, 0).exit()),
    reason: "R1 type=ctx expected=map_ptr",
    insn: 3,
  },
  {
    name: "scalar passed as the map",
    prog: () => P(B().st(Size.W, 10, -4, 0).mov64Imm(1, 0).mov64(2, 10).add64Imm(2, -4).call(LOOKUP).mov64Imm(0, 0).exit()),
    reason: "R1 type=scalar expected=map_ptr",
    insn: 4,
  },
  {
    name: "key straddling the frame pointer",
    prog: () => P(B().st(Size.H, 10, -2, 0).ldMapFd(1, ARR).mov64(2, 10).add64Imm(2, -2).call(LOOKUP).mov64Imm(0, 0).exit()),
    reason: "invalid indirect access to stack R2 off=-2 size=4",
    insn: 5,
  },
  { name: "scalar passed as the key", prog: () => P(B().ldMapFd(1, ARR).mov64Imm(2, 0).call(LOOKUP).mov64Imm(0, 0).exit()), reason: "R2 type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_", insn: 3 },
  {
    name: "update value smaller than value_size",
    // 0: key; 1: value fp-8; 2-3: map; 4-5: r2; 6-7: r3 = fp-8; 8: r4; 9: call
    prog: () =>
      P(B().st(Size.W, 10, -4, 0).st(Size.DW, 10, -16, 0).ldMapFd(1, ARR).mov64(2, 10).add64Imm(2, -4).mov64(3, 10).add64Imm(3, -8).mov64Imm(4, 0).call(UPDATE).mov64Imm(0, 0).exit()),
    reason: "invalid indirect access to stack R3 off=-8 size=16",
    insn: 9,
  },
  {
    name: "size that may be negative",
    // 0: r2 = arg; 1: if r2 s> 16 goto out; 2-3: r1 = fp-16; 4: r3 = 0; 5: call
    prog: () =>
      P(B().ldx(Size.DW, 2, 1, 0).jmpImm(JmpOp.JSGT, 2, 16, "out").mov64(1, 10).add64Imm(1, -16).mov64Imm(3, 0).call(READ_KERNEL).label("out").mov64Imm(0, 0).exit()),
    reason: "R2 min value is negative, either use unsigned or 'var &= const'",
    insn: 5,
  },
  {
    name: "size without an upper bound",
    prog: () => P(B().ldx(Size.DW, 2, 1, 0).rsh64Imm(2, 1).mov64(1, 10).add64Imm(1, -16).mov64Imm(3, 0).call(READ_KERNEL).mov64Imm(0, 0).exit()),
    reason: "R2 unbounded memory access, use 'var &= const' or 'if (var < const)'",
    insn: 5,
  },
  { name: "zero size where a size is required", prog: () => P(B().mov64(1, 10).add64Imm(1, -16).mov64Imm(2, 0).call(COMM).mov64Imm(0, 0).exit()), reason: "R2 invalid zero-sized read: u64=[0,0]", insn: 3 },
  {
    name: "size that may be zero where a size is required",
    prog: () => P(B().ldx(Size.DW, 2, 1, 0).and64Imm(2, 15).mov64(1, 10).add64Imm(1, -16).call(COMM).mov64Imm(0, 0).exit()),
    reason: "R2 invalid zero-sized read: u64=[0,15]",
    insn: 4,
  },
  {
    name: "buffer larger than the stack above it",
    prog: () => P(B().mov64(1, 10).add64Imm(1, -8).mov64Imm(2, 16).call(COMM).mov64Imm(0, 0).exit()),
    reason: "invalid indirect access to stack R1 off=-8 size=16",
    insn: 3,
  },
  {
    name: "variable size larger than the buffer",
    prog: () => P(B().ldx(Size.DW, 2, 1, 0).and64Imm(2, 15).mov64(1, 10).add64Imm(1, -8).mov64Imm(3, 0).call(READ_KERNEL).mov64Imm(0, 0).exit()),
    reason: "invalid indirect access to stack R1 off=-8 size=15",
    insn: 5,
  },
  { name: "stack pointer where ctx is expected", prog: () => P(B().mov64(1, 10).call(h("get_func_ip")).exit()), reason: "R1 type=fp expected=ctx", insn: 1 },
  { name: "scalar where ctx is expected", prog: () => P(B().mov64Imm(1, 0).call(h("get_func_arg_cnt")).exit()), reason: "R1 type=scalar expected=ctx", insn: 1 },
  {
    name: "scalar where a callback is expected",
    prog: () => P(B().mov64Imm(1, 1).mov64Imm(2, 0).mov64Imm(3, 0).mov64Imm(4, 0).call(LOOP).mov64Imm(0, 0).exit()),
    reason: "R2 type=scalar expected=func",
    insn: 4,
  },
  {
    name: "reserve size not a constant",
    prog: () => P(B().ldx(Size.DW, 2, 1, 0).ldMapFd(1, RB).mov64Imm(3, 0).call(RESERVE).mov64Imm(0, 0).exit()),
    reason: "R2 is not a known constant'",
    insn: 4,
  },
  {
    name: "reserve size too large",
    prog: () => P(B().ldMapFd(1, RB).mov64Imm(2, 0x20000000).mov64Imm(3, 0).call(RESERVE).mov64Imm(0, 0).exit()),
    reason: "R2 unbounded memory access",
    insn: 4,
  },
  {
    name: "pointer passed as a size",
    prog: () => P(B().mov64(1, 10).add64Imm(1, -8).mov64(2, 10).mov64Imm(3, 0).call(READ_KERNEL).mov64Imm(0, 0).exit()),
    reason: "R2 type=fp expected=scalar",
    insn: 4,
  },
  {
    name: "NULL buffer with a non-zero size",
    prog: () => P(B().mov64Imm(1, 0).mov64Imm(2, 8).mov64Imm(3, 0).call(READ_KERNEL).mov64Imm(0, 0).exit()),
    reason: "R1 type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_",
    insn: 3,
  },
  { name: "scalar passed as trace_printk's format", prog: () => P(B().mov64Imm(1, 5).mov64Imm(2, 4).call(h("trace_printk")).mov64Imm(0, 0).exit()), reason: "R1 type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_", insn: 2 },
  {
    name: "get_func_arg output at the frame pointer",
    // r1 = ctx; 0: r2 = 0; 1: r3 = r10; 2: call
    prog: () => P(B().mov64Imm(2, 0).mov64(3, 10).call(h("get_func_arg")).mov64Imm(0, 0).exit()),
    reason: "invalid indirect access to stack R3 off=0 size=8",
    insn: 2,
  },
  {
    name: "helper writes into a read-only map",
    prog: () => withValue(RO, (b) => b.mov64(1, 0).mov64Imm(2, 8).mov64Imm(3, 0).call(READ_KERNEL)),
    reason: "write into map forbidden, value_size=8 off=0 size=8",
    insn: 10,
  },

  // ---- unknown and forbidden helpers ------------------------------------------------------
  { name: "unknown helper", prog: () => P(B().call(9999).exit()), reason: "invalid func unknown#9999", insn: 0 },
  { name: "helper 0", prog: () => P(B().call(0).exit()), reason: "program of this type cannot use helper bpf_unspec#0", insn: 0 },
  { name: "map helper in a conformance program", prog: () => P(B().call(LOOKUP).exit()), type: CONF8, reason: "program of this type cannot use helper bpf_map_lookup_elem#1", insn: 0 },
  { name: "pid helper in a conformance program", prog: () => P(B().call(h("get_current_pid_tgid")).exit()), type: CONF8, reason: "program of this type cannot use helper bpf_get_current_pid_tgid#14", insn: 0 },
  {
    name: "helper not in the program type's table",
    prog: () => P(B().call(h("get_current_pid_tgid")).exit()),
    type: { ...tracingProgType(6), helper: (id: number) => (id === KTIME ? helperProto(id) : undefined) },
    reason: "program of this type cannot use helper bpf_get_current_pid_tgid#14",
    insn: 0,
  },
  { name: "callx through an uninitialized register", prog: () => P(B().callx(3).exit()), type: CONF8, reason: "R3 callx target is not a known helper id", insn: 0 },
  { name: "callx through an unknown value", prog: () => P(B().ldx(Size.B, 3, 1, 0).callx(3).exit()), type: CONF8, reason: "R3 callx target is not a known helper id", insn: 1 },
  { name: "callx of an unknown helper", prog: () => P(B().mov64Imm(3, 300).callx(3).exit()), type: CONF8, reason: "invalid func unknown#300", insn: 1 },
  { name: "callx of a forbidden helper", prog: () => P(B().mov64Imm(3, 1).callx(3).exit()), type: CONF8, reason: "program of this type cannot use helper bpf_map_lookup_elem#1", insn: 1 },

  // ---- r0 at exit -------------------------------------------------------------------------
  { name: "exit without r0", prog: () => P(B().exit()), reason: "R0 !read_ok", insn: 0 },
  {
    name: "r0 set on one path only",
    // 0: r2 = arg; 1: if r2 == 0 goto 3; 2: r0 = 0; 3: exit
    prog: () => P(B().ldx(Size.DW, 2, 1, 0).jmpImm(JmpOp.JEQ, 2, 0, "x").mov64Imm(0, 0).label("x").exit()),
    reason: "R0 !read_ok",
    insn: 3,
  },
  {
    name: "r0 after a void helper",
    // reserve 0-4; 5: if r0 == 0 goto out; 6: r1 = r0; 7: r2 = 0; 8: submit; 9: exit
    prog: () => withRecord((b) => b.mov64(1, 0).mov64Imm(2, 0).call(SUBMIT).exit()),
    reason: "R0 !read_ok",
    insn: 9,
  },
  // A static subprogram may leave r0 unset (the kernel checks r0 where it is read): the caller's exit reads it.
  { name: "subprogram exit without r0, read by the caller", prog: () => P(B().callLocal("f").exit().label("f").exit()), reason: "R0 !read_ok", insn: 1 },
  // Privileged loads may return a pointer where the program type checks no return range (check_return_code).
  { name: "ctx returned, unprivileged", privileged: false, prog: () => P(B().mov64(0, 1).exit()), reason: "R0 leaks addr as return value", insn: 1 },
  { name: "frame pointer returned, unprivileged", privileged: false, prog: () => P(B().mov64(0, 10).exit()), reason: "R0 leaks addr as return value", insn: 1 },
  { name: "map value returned, unprivileged", privileged: false, prog: () => withValue(ARR, (b) => b.exit()), reason: "R0 leaks addr as return value", insn: 7 },
  { name: "map pointer returned, unprivileged", privileged: false, prog: () => P(B().ldMapFd(0, ARR).exit()), reason: "R0 leaks addr as return value", insn: 2 },
  {
    name: "return value out of the type's range",
    prog: () => P(B().mov64Imm(0, 2).exit()),
    type: { ...tracingProgType(6), retRange: { min: 0n, max: 1n } },
    reason: "At program exit the register R0 has 2 should have been in [0, 1]",
    insn: 1,
  },
  {
    name: "return value range wider than the type's",
    prog: () => P(B().ldx(Size.DW, 0, 1, 0).and64Imm(0, 3).exit()),
    type: { ...tracingProgType(6), retRange: { min: 0n, max: 1n } },
    reason: "At program exit the register R0 has scalar(smin=smin32=0,smax=umax=smax32=umax32=3,var_off=(0x0; 0x3)) should have been in [0, 1]",
    insn: 2,
  },

  // ---- references (ring buffer records) ----------------------------------------------------
  {
    name: "record never released",
    // reserve 0-4; 5: if r0 == 0 goto 7; 6: r0 = 0; 7: exit
    prog: () => P(reserve(B()).jmpImm(JmpOp.JEQ, 0, 0, "x").mov64Imm(0, 0).label("x").exit()),
    reason: "Unreleased reference id=1 alloc_insn=4",
    insn: 7,
  },
  {
    name: "record released on one path only",
    // 0: r6 = arg; reserve 1-5; 6: null check; 7: if r6 == 0 goto skip; 8-10: submit; 11: skip: r0 = 0; 12: exit
    prog: () =>
      P(
        reserve(B().ldx(Size.DW, 6, 1, 0))
          .jmpImm(JmpOp.JEQ, 0, 0, "out")
          .jmpImm(JmpOp.JEQ, 6, 0, "skip")
          .mov64(1, 0)
          .mov64Imm(2, 0)
          .call(SUBMIT)
          .label("skip")
          .mov64Imm(0, 0)
          .label("out")
          .exit(),
      ),
    reason: "Unreleased reference id=1 alloc_insn=5",
    insn: 12,
  },
  {
    name: "record reserved after a lookup",
    // lookup 0-5 (id 1); reserve 6-10 (id 2); 11: r0 = 0; 12: exit
    prog: () => P(reserve(lookup(B(), ARR)).mov64Imm(0, 0).exit()),
    reason: "Unreleased reference id=2 alloc_insn=10",
    insn: 12,
  },
  {
    name: "record reserved in a subprogram and never released",
    // 0: call f; 1: r0 = 0; 2: exit; f: reserve 3-7; 8: r0 = 0; 9: exit
    prog: () => P(reserve(B().callLocal("f").mov64Imm(0, 0).exit().label("f")).mov64Imm(0, 0).exit()),
    reason: "Unreleased reference id=1 alloc_insn=7",
    insn: 2,
  },
  {
    name: "use after submit",
    // 6: r6 = r0; 7: r1 = r0; 8: r2 = 0; 9: submit; 10: store through r6
    prog: () => withRecord((b) => b.mov64(6, 0).mov64(1, 0).mov64Imm(2, 0).call(SUBMIT).st(Size.DW, 6, 0, 1)),
    reason: "R6 invalid mem access 'scalar'",
    insn: 10,
  },
  {
    name: "submit twice",
    // 6: r6 = r0; 7-9: submit r6; 10: r1 = r6
    prog: () => withRecord((b) => b.mov64(6, 0).mov64(1, 6).mov64Imm(2, 0).call(SUBMIT).mov64(1, 6).mov64Imm(2, 0).call(DISCARD)),
    reason: "R1 type=scalar expected=ringbuf_mem",
    insn: 12,
  },
  {
    name: "submit of a moved record pointer",
    prog: () => withRecord((b) => b.mov64(1, 0).add64Imm(1, 8).mov64Imm(2, 0).call(SUBMIT), B(), 16),
    reason: "R1 must have zero offset when passed to release func or trusted arg to kfunc",
    insn: 9,
  },
  {
    name: "discard of a record pointer with a variable offset",
    // 0: r6 = arg; reserve 1-5; 6: null check; 7: r6 &= 7; 8: r1 = r0; 9: r1 += r6; 10: r2 = 0; 11: discard
    prog: () => withRecord((b) => b.and64Imm(6, 7).mov64(1, 0).add64(1, 6).mov64Imm(2, 0).call(DISCARD), B().ldx(Size.DW, 6, 1, 0), 16),
    reason: "R1 must have zero offset when passed to release func or trusted arg to kfunc",
    insn: 11,
  },
  {
    name: "submit before the null check",
    prog: () => P(reserve(B()).mov64(1, 0).mov64Imm(2, 0).call(SUBMIT).mov64Imm(0, 0).exit()),
    reason: "R1 type=ringbuf_mem_or_null expected=ringbuf_mem",
    insn: 7,
  },
  { name: "submit of a map value", prog: () => withValue(ARR, (b) => b.mov64(1, 0).mov64Imm(2, 0).call(SUBMIT)), reason: "R1 type=map_value expected=ringbuf_mem", insn: 9 },
  { name: "submit of a stack pointer", prog: () => P(B().mov64(1, 10).mov64Imm(2, 0).call(SUBMIT).mov64Imm(0, 0).exit()), reason: "R1 type=fp expected=ringbuf_mem", insn: 2 },
  { name: "write past the record", prog: () => withRecord((b) => b.st(Size.DW, 0, 8, 1)), reason: "R0 min value is outside of the allowed memory range", insn: 6 },
  {
    name: "variable write past the record",
    prog: () => withRecord((b) => b.and64Imm(6, 15).add64(0, 6).st(Size.DW, 0, 0, 1), B().ldx(Size.DW, 6, 1, 0), 16),
    reason: "R0 max value is outside of the allowed memory range",
    insn: 9,
  },
  {
    name: "unprivileged variable offset into a record",
    // 0: r6 = arg; 1-2: r1 = rb ... (no calls: unprivileged)
    prog: () => withRecord((b) => b.and64Imm(6, 7).add64(0, 6), B().ldx(Size.DW, 6, 1, 0), 16),
    ...UNPRIV,
    reason: "R0 has pointer with unsupported alu operation, pointer arithmetic with it prohibited for !root",
    insn: 8,
  },

  // ---- unprivileged -----------------------------------------------------------------------
  { name: "pointer compared with a pointer", prog: () => P(B().mov64Imm(0, 0).jmpReg(JmpOp.JEQ, 1, 10, "x").label("x").exit()), ...UNPRIV, reason: "R10 pointer comparison prohibited", insn: 1 },
  { name: "scalar compared with a pointer", prog: () => P(B().mov64Imm(2, 5).mov64Imm(0, 0).jmpReg(JmpOp.JGT, 2, 1, "x").label("x").exit()), ...UNPRIV, reason: "R1 pointer comparison prohibited", insn: 2 },
  { name: "pointer ordered against 0", prog: () => P(B().mov64Imm(0, 0).jmpImm(JmpOp.JGT, 1, 0, "x").label("x").exit()), ...UNPRIV, reason: "R1 pointer comparison prohibited", insn: 1 },
  {
    name: "map_value_or_null compared with 1",
    prog: () => P(lookup(B(), ARR).jmpImm(JmpOp.JEQ, 0, 1, "x").label("x").mov64Imm(0, 0).exit()),
    ...UNPRIV,
    reason: "R0 pointer comparison prohibited",
    insn: 6,
  },
  { name: "pointer stored into a map value", prog: () => withValue(ARR, (b) => b.stx(Size.DW, 0, 0, 10)), ...UNPRIV, reason: "R10 leaks addr into map", insn: 7 },
  { name: "pointer stored into a ring buffer record", prog: () => withRecord((b) => b.stx(Size.DW, 0, 0, 10)), ...UNPRIV, reason: "R10 leaks addr into mem", insn: 6 },
  { name: "32-bit copy of a pointer", prog: () => P(B().mov32(2, 1).mov64Imm(0, 0).exit()), ...UNPRIV, reason: "R1 partial copy of pointer", insn: 0 },
  { name: "pointer minus pointer", prog: () => P(B().mov64(1, 10).sub64(1, 10).mov64Imm(0, 0).exit()), ...UNPRIV, reason: "R1 pointer -= pointer prohibited", insn: 1 },
  {
    // Privileged loads may (allow_ptr_leaks).
    name: "atomic add of a pointer, unprivileged",
    prog: () => P(B().st(Size.DW, 10, -8, 0).atomicAdd(Size.DW, 10, -8, 1).mov64Imm(0, 0).exit()),
    privileged: false,
    reason: "R1 leaks addr into mem",
    insn: 1,
  },
  {
    name: "cmpxchg expecting a pointer, unprivileged",
    prog: () => P(B().st(Size.DW, 10, -8, 0).mov64(0, 10).mov64Imm(1, 1).atomicCmpxchg(Size.DW, 10, -8, 1).mov64Imm(0, 0).exit()),
    privileged: false,
    reason: "R0 leaks addr into mem",
    insn: 3,
  },

  // ---- loops and the processed-instruction budget --------------------------------------------
  { name: "jump to itself", prog: () => A("ja -1"), reason: "infinite loop detected at insn 0", insn: 0 },
  { name: "loop on a constant condition", prog: () => A("mov %r0, 0\njeq %r0, 0, -2\nexit"), reason: "infinite loop detected at insn 1", insn: 1 },
  { name: "loop on a condition the body never changes", prog: () => A("ldxdw %r2, [%r1]\nmov %r0, 0\njgt %r2, 5, -1\nexit"), reason: "infinite loop detected at insn 2", insn: 2 },
  {
    name: "bounded loop over the budget",
    // 0: r0 = 0; 1: r0 += 1; 2: if r0 < 100 goto 1; 3: exit. Processed: 0,1,2,1,2,... the 51st is slot 2.
    prog: () => A("mov %r0, 0\nadd %r0, 1\njlt %r0, 100, -2\nexit"),
    maxProcessed: 50,
    reason: "BPF program is too large. Processed 51 insn",
    insn: 2,
  },
  {
    name: "loop whose counter skips its bound",
    // r0 = 0, 2, 4, ... never equals 7
    prog: () => A("mov %r0, 0\nadd %r0, 2\njne %r0, 7, -2\nexit"),
    maxProcessed: 1000,
    reason: "BPF program is too large. Processed 1001 insn",
    insn: 2,
  },

  // ---- calls --------------------------------------------------------------------------------
  { name: "nine frames", prog: () => callChain(8), reason: "the call stack of 9 frames is too deep", insn: 14 },
  { name: "unbounded recursion", prog: () => P(B().callLocal("f").exit().label("f").callLocal("f").exit()), reason: "the call stack of 9 frames is too deep", insn: 2 },
  {
    name: "callee returns its stack pointer",
    prog: () => P(B().callLocal("f").exit().label("f").mov64(0, 10).add64Imm(0, -8).exit()),
    reason: "cannot return stack pointer to the caller",
    insn: 4,
  },
  {
    // Left there, the pointer would outlive f's frame.
    name: "callee spills its stack pointer into the caller's frame",
    // 0-1: r1 = fp-8; 2: call f; 3: r2 = *(fp-8); 4: *(r2) = 1; 5-6: exit; f: 7-8: r2 = fp-8; 9: *(u64 *)(r1) = r2; 10-11: exit
    prog: () =>
      P(
        B()
          .mov64(1, 10)
          .add64Imm(1, -8)
          .callLocal("f")
          .ldx(Size.DW, 2, 10, -8)
          .st(Size.DW, 2, 0, 1)
          .mov64Imm(0, 0)
          .exit()
          .label("f")
          .mov64(2, 10)
          .add64Imm(2, -8)
          .stx(Size.DW, 1, 0, 2)
          .mov64Imm(0, 0)
          .exit(),
      ),
    reason: "cannot spill pointers to stack into stack frame of the caller",
    insn: 9,
  },
  { name: "callee returns its frame pointer", prog: () => P(B().callLocal("f").exit().label("f").mov64(0, 10).exit()), reason: "cannot return stack pointer to the caller", insn: 3 },

  // ---- bpf_loop callbacks -----------------------------------------------------------------------
  {
    name: "callback returns 2",
    // 0: r1 = 4; 1-2: r2 = cb; 3: r3 = 0; 4: r4 = 0; 5: call; 6: r0 = 0; 7: exit; 8: cb: r0 = 2; 9: exit
    prog: () => loopWith((b) => b.mov64Imm(0, 2).exit()),
    reason: "At callback return the register R0 has smin=2 smax=2 should have been in [0, 1]",
    insn: 9,
  },
  { name: "callback returns -1", prog: () => loopWith((b) => b.mov64Imm(0, -1).exit()), reason: "At callback return the register R0 has smin=-1 smax=-1 should have been in [0, 1]", insn: 9 },
  { name: "callback returns its index", prog: () => loopWith((b) => b.mov64(0, 1).exit()), reason: "At callback return the register R0 has unknown scalar value should have been in [0, 1]", insn: 9 },
  {
    name: "callback returns the ctx pointer",
    // 0: r6 = r1; 1: r1 = 4; 2-3: r2 = cb; 4: r3 = r6; 5: r4 = 0; 6: call; 7-8: exit; 9: cb: r0 = r2; 10: exit
    prog: () => P(B().mov64(6, 1).mov64Imm(1, 4).ldFunc(2, "cb").mov64(3, 6).mov64Imm(4, 0).call(LOOP).mov64Imm(0, 0).exit().label("cb").mov64(0, 2).exit()),
    reason: "R0 not a scalar value",
    insn: 10,
  },
  { name: "callback without r0", prog: () => loopWith((b) => b.exit()), reason: "R0 not a scalar value", insn: 8 },
  { name: "callback returns its stack pointer", prog: () => loopWith((b) => b.mov64(0, 10).exit()), reason: "cannot return stack pointer to the caller", insn: 9 },
  { name: "callback dereferences a scalar ctx", prog: () => loopWith((b) => b.ldx(Size.DW, 0, 2, 0).exit()), reason: "R2 invalid mem access 'scalar'", insn: 8 },
];

/** bpf_loop(4, cb, 0, 0); r0 = 0; exit; cb: body (cb starts at slot 8). */
function loopWith(cb: (b: ProgramBuilder) => void): Program {
  const b = B().mov64Imm(1, 4).ldFunc(2, "cb").mov64Imm(3, 0).mov64Imm(4, 0).call(LOOP).mov64Imm(0, 0).exit().label("cb");
  cb(b);
  return P(b);
}

describe("verifier rejects unsafe programs", () => {
  it("has at least 120 cases with distinct names", () => {
    expect(cases.length).toBeGreaterThanOrEqual(120);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const r = run(c);
    expect(r.accepted).toBe(false);
    expect({ reason: r.error?.reason, insn: r.error?.insn }).toEqual({ reason: c.reason, insn: c.insn });
    // The reason is also the last line of the log before the summary.
    expect(r.log.at(-2)).toBe(c.reason);
  });
});

// Programs the kernel rejects that this verifier accepted while these tests
// were being written (each was a soundness escape or a gap in the kernel's
// load-time checks); the expected values are the kernel's behaviour.
const kernelCases: Case[] = [
  {
    name: "state pruning must not merge different map_value_or_null ids",
    // The taken path reaches L with r6 and r7 copies of one lookup; the
    // fall-through path with two different lookups. Pruning the second
    // against the first lets the unchecked r7 (a NULL at run time) through.
    //  0: r8 = arg0
    //  1-6: lookup arr key 0 (call 6)   7: r6 = r0
    //  8-13: lookup arr key 7 (call 13) 14: r7 = r0
    // 15: if r8 != 0 goto 18
    // 16: r8 = 0   17: goto 20
    // 18: r7 = r6  19: r8 = 0
    // 20: L: if r6 == 0 goto 22
    // 21: *(u64 *)(r7 + 0) = 1
    // 22: out: r0 = 0  23: exit
    prog: () => pruningIdsProgram(),
    reason: "R7 invalid mem access 'map_value_or_null'",
    insn: 21,
  },
  {
    name: "bpf_loop returns -E2BIG for more than 2^23 iterations",
    // r0 after bpf_loop is the helper's result: any integer (the kernel
    // leaves it unknown), not [0, 2^23].
    //  0-5: bpf_loop(1 << 24, cb, 0, 0)   6: if r0 s< 0 goto 9
    //  7: r0 = 0  8: exit  9: r1 = 0  10: *(u8 *)(r1 + 0) = 1  11: r0 = 0  12: exit  13: cb
    prog: () => bpfLoopResultProgram(),
    reason: "R1 invalid mem access 'scalar'",
    insn: 10,
  },
  {
    name: "bpf_loop may run its callback zero times",
    // The callback stores a pointer into the caller's stack; with nr = 0
    // it never runs and the slot still holds 0.
    prog: () => bpfLoopZeroProgram(),
    reason: "R1 invalid mem access 'scalar'",
    insn: 10,
  },
  {
    name: "a JMP32 compare of a pointer's low half is not a null check",
    prog: () => P(lookup(B(), ARR).jmp32Imm(JmpOp.JEQ, 0, 0, "out").ldx(Size.DW, 1, 0, 0).label("out").mov64Imm(0, 0).exit()),
    reason: "R0 invalid mem access 'map_value_or_null'",
    insn: 7,
  },
  {
    name: "a leaked reference is reported before r0 at exit",
    // reserve 0-4; 5: if r0 == 0 goto 7; 6: r1 = r10; 7: exit with the record held (in r0)
    prog: () => P(reserve(B()).jmpImm(JmpOp.JEQ, 0, 0, "x").mov64(1, 10).label("x").exit()),
    reason: "Unreleased reference id=1 alloc_insn=4",
    insn: 7,
  },
  {
    name: "direct value access needs an array map",
    prog: () => P(B().ldMapValue(1, HASH, 0).mov64Imm(0, 0).exit()),
    reason: "no direct value access support for this map type",
    insn: 0,
  },
  {
    name: "direct value access needs an array of one element",
    prog: () => P(B().ldMapValue(1, ARR, 0).mov64Imm(0, 0).exit()),
    reason: "invalid access to map value pointer, value_size=16 off=0",
    insn: 0,
  },
];

/** See kernelCases[0]. */
function pruningIdsProgram(): Program {
  const b = B().ldx(Size.DW, 8, 1, 0);
  lookup(b, ARR).mov64(6, 0);
  b.st(Size.W, 10, -4, 7).ldMapFd(1, ARR).mov64(2, 10).add64Imm(2, -4).call(LOOKUP).mov64(7, 0);
  b.jmpImm(JmpOp.JNE, 8, 0, "same").mov64Imm(8, 0).ja("L");
  b.label("same").mov64(7, 6).mov64Imm(8, 0);
  b.label("L").jmpImm(JmpOp.JEQ, 6, 0, "out").st(Size.DW, 7, 0, 1);
  return P(b.label("out").mov64Imm(0, 0).exit());
}

function bpfLoopResultProgram(): Program {
  return P(
    B()
      .mov64Imm(1, 1 << 24)
      .ldFunc(2, "cb")
      .mov64Imm(3, 0)
      .mov64Imm(4, 0)
      .call(LOOP)
      .jmpImm(JmpOp.JSLT, 0, 0, "bad")
      .mov64Imm(0, 0)
      .exit()
      .label("bad")
      .mov64Imm(1, 0)
      .st(Size.B, 1, 0, 1)
      .mov64Imm(0, 0)
      .exit()
      .label("cb")
      .mov64Imm(0, 0)
      .exit(),
  );
}

function bpfLoopZeroProgram(): Program {
  //  0: *(u64 *)(r10 - 8) = 0   1: r1 = *(u64 *)(r1 + 0) (nr, may be 0)
  //  2-3: r2 = cb  4: r3 = r10  5: r3 += -8  6: r4 = 0  7: call bpf_loop
  //  8: r1 = *(u64 *)(r10 - 8)  9: r0 = 0  10: r0 = *(u64 *)(r1 + 0)  11: r0 = 0  12: exit
  // cb: 13-14: r3 = &one[0]  15: *(u64 *)(r2 + 0) = r3  16: r0 = 0  17: exit
  // (a map value pointer: the kernel refuses to spill stack pointers into a caller's frame)
  return P(
    B()
      .st(Size.DW, 10, -8, 0)
      .ldx(Size.DW, 1, 1, 0)
      .ldFunc(2, "cb")
      .mov64(3, 10)
      .add64Imm(3, -8)
      .mov64Imm(4, 0)
      .call(LOOP)
      .ldx(Size.DW, 1, 10, -8)
      .mov64Imm(0, 0)
      .ldx(Size.DW, 0, 1, 0)
      .mov64Imm(0, 0)
      .exit()
      .label("cb")
      .ldMapValue(3, ONE, 0)
      .stx(Size.DW, 2, 0, 3)
      .mov64Imm(0, 0)
      .exit(),
  );
}

describe("verifier rejects what the kernel rejects (gaps found by these tests)", () => {
  it.each(kernelCases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const r = run(c);
    expect({ accepted: r.accepted, reason: r.error?.reason, insn: r.error?.insn }).toEqual({ accepted: false, reason: c.reason, insn: c.insn });
  });
});
