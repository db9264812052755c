import { describe, expect, it } from "vitest";
import { ProgramBuilder } from "./builder.js";
import { AluOp, AtomicOp, JmpOp, Reg, Size } from "./opcodes.js";
import { disassemble } from "./disasm.js";
import { encodeProgram, programFromInsns } from "./encode.js";
import { decodeProgram } from "./decode.js";
import { InsnError } from "../errors.js";
import type { Instruction } from "./instruction.js";

const { R0, R1, R2, R3, R6, R10 } = Reg;

const dis = (insns: Instruction[]) => disassemble(programFromInsns(insns));

function linkError(b: ProgramBuilder, opts?: Parameters<ProgramBuilder["link"]>[0]): InsnError {
  try {
    b.link(opts);
  } catch (e) {
    expect(e).toBeInstanceOf(InsnError);
    return e as InsnError;
  }
  throw new Error("expected link() to throw");
}

describe("ProgramBuilder", () => {
  it("emits and links a small program, resolving forward and backward labels", () => {
    const b = new ProgramBuilder();
    b.mov64(R6, R1)
      .label("top")
      .ldx(Size.DW, R0, R6, 16)
      .jmpImm(JmpOp.JEQ, R0, 0, "out")
      .lddw(R1, 0x1122334455667788n)
      .add64Imm(R1, 8)
      .jmpReg(JmpOp.JNE, R0, R1, "top")
      .label("out")
      .exit();
    const insns = b.link();
    expect(dis(insns)).toEqual([
      "0: (bf) r6 = r1",
      "1: (79) r0 = *(u64 *)(r6 +16)",
      "2: (15) if r0 == 0x0 goto pc+4",
      "3: (18) r1 = 0x1122334455667788",
      "5: (07) r1 += 8",
      "6: (5d) if r0 != r1 goto pc-6",
      "7: (95) exit",
    ]);
    expect(b.slotCount).toBe(8);
    // The linked records survive encode/decode.
    expect(decodeProgram(encodeProgram(insns)).insns).toEqual(insns);
  });

  it("covers the ALU forms", () => {
    const b = new ProgramBuilder()
      .alu64(AluOp.XOR, R1, R2)
      .alu32Imm(AluOp.LSH, R1, 3)
      .sub32(R1, R2)
      .mul64Imm(R1, -2)
      .sdiv64(R1, R2)
      .sdiv32Imm(R1, 3)
      .smod64Imm(R1, -3)
      .smod32(R1, R2)
      .movsx64(R1, R2, 32)
      .movsx32(R1, R2, 8)
      .neg64(R1)
      .neg32(R1)
      .le(R1, 16)
      .be(R1, 32)
      .bswap(R1, 64)
      .mov32Imm(R0, 1)
      .arsh64Imm(R3, 63)
      .exit();
    expect(dis(b.link())).toEqual([
      "0: (af) r1 ^= r2",
      "1: (64) w1 <<= 3",
      "2: (1c) w1 -= w2",
      "3: (27) r1 *= -2",
      "4: (3f) r1 s/= r2",
      "5: (34) w1 s/= 3",
      "6: (97) r1 s%= -3",
      "7: (9c) w1 s%= w2",
      "8: (bf) r1 = (s32)r2",
      "9: (bc) w1 = (s8)w2",
      "10: (87) r1 = -r1",
      "11: (84) w1 = -w1",
      "12: (d4) r1 = le16 r1",
      "13: (dc) r1 = be32 r1",
      "14: (d7) r1 = bswap64 r1",
      "15: (b4) w0 = 1",
      "16: (c7) r3 s>>= 63",
      "17: (95) exit",
    ]);
  });

  it("covers memory, atomics, packet loads, lddw forms and calls", () => {
    const b = new ProgramBuilder()
      .st(Size.W, R10, -4, 7)
      .stx(Size.DW, R10, -8, R1)
      .ldxs(Size.B, R1, R2, 0)
      .atomicAdd(Size.DW, R10, -8, R1)
      .atomicAdd(Size.DW, R10, -8, R1, true)
      .atomicOr(Size.W, R10, -4, R1)
      .atomicAnd(Size.W, R10, -4, R1, true)
      .atomicXor(Size.DW, R10, -8, R1)
      .atomicXchg(Size.DW, R10, -8, R1)
      .atomicCmpxchg(Size.W, R10, -4, R2)
      .atomic(Size.DW, AtomicOp.XOR | AtomicOp.FETCH, R10, -8, R3)
      .ldAbs(Size.H, 12)
      .ldInd(Size.W, R2, 14)
      .ldMapFd(R1, 3)
      .ldMapValue(R1, 3, 16)
      .ldMapIdx(R1, 0)
      .ldMapIdxValue(R1, 1, 8)
      .ldBtfId(R1, 99)
      .ldFunc(R2, "fn")
      .call(113)
      .callKfunc(4242)
      .callLocal("fn")
      .callx(R2)
      .exit()
      .label("fn")
      .mov64Imm(R0, 0)
      .exit();
    expect(dis(b.link())).toEqual([
      "0: (62) *(u32 *)(r10 -4) = 7",
      "1: (7b) *(u64 *)(r10 -8) = r1",
      "2: (91) r1 = *(s8 *)(r2 +0)",
      "3: (db) lock *(u64 *)(r10 -8) += r1",
      "4: (db) r1 = atomic64_fetch_add((u64 *)(r10 -8), r1)",
      "5: (c3) lock *(u32 *)(r10 -4) |= r1",
      "6: (c3) r1 = atomic_fetch_and((u32 *)(r10 -4), r1)",
      "7: (db) lock *(u64 *)(r10 -8) ^= r1",
      "8: (db) r1 = atomic64_xchg((u64 *)(r10 -8), r1)",
      "9: (c3) r0 = atomic_cmpxchg((u32 *)(r10 -4), r0, r2)",
      "10: (db) r3 = atomic64_fetch_xor((u64 *)(r10 -8), r3)",
      "11: (28) r0 = *(u16 *)skb[12]",
      "12: (40) r0 = *(u32 *)skb[r2 + 14]",
      "13: (18) r1 = map[id:3]",
      "15: (18) r1 = map[id:3][0]+16",
      "17: (18) r1 = 0x0",
      "19: (18) r1 = map[idx:1]+8",
      "21: (18) r1 = 0x63",
      "23: (18) r2 = subprog[+6]",
      "25: (85) call unknown#113",
      "26: (85) call kernel-function#4242",
      "27: (85) call pc+2",
      "28: (8d) callx r2",
      "29: (95) exit",
      "30: (b7) r0 = 0",
      "31: (95) exit",
    ]);
  });

  it("takes lddw values as bigint or safe number, negative as two's complement", () => {
    const insns = new ProgramBuilder().lddw(R1, -1).lddw(R2, 0xffffffffffffffffn).lddw(R3, 2 ** 40).link();
    expect(insns.map((i) => [i.imm, i.imm2])).toEqual([[-1, -1], [-1, -1], [0, 256]]);
    expect(() => new ProgramBuilder().lddw(R1, 1n << 64n)).toThrow("does not fit in 64 bits");
    expect(() => new ProgramBuilder().lddw(R1, 2 ** 60)).toThrow("not a safe integer");
  });

  it("accepts raw numeric targets and raw instructions", () => {
    const insns = new ProgramBuilder()
      .ja(1)
      .ja32(-2)
      .callLocal(3)
      .raw({ opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 })
      .link();
    expect(dis(insns)).toEqual(["0: (05) goto pc+1", "1: (06) gotol pc-2", "2: (85) call pc+3", "3: (95) exit"]);
  });

  it("counts lddw as two slots in jump offsets", () => {
    const insns = new ProgramBuilder().ja("end").lddw(R1, 1).lddw(R2, 2).label("end").exit().link();
    expect(insns[0]!.off).toBe(4);
    const back = new ProgramBuilder().label("a").lddw(R1, 1).ja("a").link();
    expect(back[1]!.off).toBe(-3);
  });

  it("fails on undefined and duplicate labels", () => {
    const e = linkError(new ProgramBuilder().mov64Imm(R0, 0).jmpImm(JmpOp.JGT, R0, 1, "nowhere").exit());
    expect(e.message).toBe('insn 1: undefined label "nowhere"');
    expect(() => new ProgramBuilder().label("x").exit().label("x")).toThrow(
      'insn 1: duplicate label "x" (first defined at insn 0)',
    );
    expect(() => new ProgramBuilder().label("")).toThrow("empty label name");
  });

  it("checks the 16-bit jump range, and promotes ja to ja32 with longJumps", () => {
    const mk = (cond: boolean) => {
      const b = new ProgramBuilder();
      if (cond) b.jmpImm(JmpOp.JEQ, R1, 0, "far");
      else b.ja("far");
      for (let i = 0; i < 40000; i++) b.mov64Imm(R0, 0);
      return b.label("far").exit();
    };
    expect(linkError(mk(false)).message).toBe('insn 0: jump to "far" out of range: offset 40000 does not fit in s16');
    const long = mk(false).link({ longJumps: true });
    expect(long[0]).toEqual({ opcode: 0x06, dst: 0, src: 0, off: 0, imm: 40000 });
    // A conditional jump cannot be promoted.
    expect(linkError(mk(true), { longJumps: true }).message).toMatch(/^insn 0: jump to "far" out of range/);
    // In range, ja stays ja.
    expect(new ProgramBuilder().ja("x").label("x").exit().link({ longJumps: true })[0]!.opcode).toBe(0x05);
  });

  it("validates instructions at link time", () => {
    // A register out of range slips past the types via a cast but not past link().
    const e = linkError(new ProgramBuilder().mov64Imm(11 as typeof R0, 1).exit());
    expect(e.message).toBe("insn 0: invalid dst register r11 in mov64 (0xb7)");
    expect(linkError(new ProgramBuilder().raw({ opcode: 0x8f, dst: 0, src: 0, off: 0, imm: 0 })).message).toBe(
      "insn 0: unknown opcode 0x8f",
    );
  });

  it("rejects out-of-range operands when emitting", () => {
    expect(() => new ProgramBuilder().mov64Imm(R0, 2 ** 32)).toThrow("immediate 4294967296 does not fit in 32 bits");
    expect(() => new ProgramBuilder().ldx(Size.W, R0, R1, 40000)).toThrow("offset 40000 does not fit in s16");
    expect(() => new ProgramBuilder().ja(-40000)).toThrow("jump offset -40000 does not fit in s16");
  });

  it("exposes the unresolved instructions", () => {
    const b = new ProgramBuilder().ja("x").label("x").exit();
    expect(b.instructions).toHaveLength(2);
    expect(b.instructions[0]!.off).toBe(0);
    expect(b.link()[0]!.off).toBe(0);
  });
});
