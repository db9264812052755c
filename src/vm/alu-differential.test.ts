// Differential test of the interpreter's ALU and conditional jumps against
// a BigInt reference written straight from RFC 9669: thousands of seeded
// random operand pairs (biased to edge values) for every ALU/ALU64 op in K
// and X form, and every JMP/JMP32 comparison.
import { describe, expect, it } from "vitest";
import { nullKernelEnv } from "./env.js";
import { ProgramBuilder } from "./isa/builder.js";
import { programFromInsns } from "./isa/encode.js";
import { AluOp, JmpOp } from "./isa/opcodes.js";
import { Interpreter } from "./interpreter.js";
import { AddressSpace } from "./memory.js";

const M64 = (1n << 64n) - 1n;
const u64 = (x: bigint) => BigInt.asUintN(64, x);
const s64 = (x: bigint) => BigInt.asIntN(64, x);
const u32 = (x: bigint) => BigInt.asUintN(32, x);
const s32 = (x: bigint) => BigInt.asIntN(32, x);

function ref64(op: number, a: bigint, b: bigint, signed: boolean): bigint {
  switch (op) {
    case AluOp.ADD: return u64(a + b);
    case AluOp.SUB: return u64(a - b);
    case AluOp.MUL: return u64(a * b);
    case AluOp.DIV: return b === 0n ? 0n : signed ? u64(s64(a) / s64(b)) : a / b;
    case AluOp.MOD: return b === 0n ? a : signed ? u64(s64(a) % s64(b)) : a % b;
    case AluOp.OR: return a | b;
    case AluOp.AND: return a & b;
    case AluOp.XOR: return a ^ b;
    case AluOp.LSH: return u64(a << (b & 63n));
    case AluOp.RSH: return a >> (b & 63n);
    case AluOp.ARSH: return u64(s64(a) >> (b & 63n));
    case AluOp.MOV: return b;
    default: throw new Error("op");
  }
}

function ref32(op: number, a64: bigint, b64: bigint, signed: boolean): bigint {
  const a = u32(a64);
  const b = u32(b64);
  switch (op) {
    case AluOp.ADD: return u32(a + b);
    case AluOp.SUB: return u32(a - b);
    case AluOp.MUL: return u32(a * b);
    case AluOp.DIV: return b === 0n ? 0n : signed ? u32(s32(a) / s32(b)) : a / b;
    case AluOp.MOD: return b === 0n ? a : signed ? u32(s32(a) % s32(b)) : a % b;
    case AluOp.OR: return a | b;
    case AluOp.AND: return a & b;
    case AluOp.XOR: return a ^ b;
    case AluOp.LSH: return u32(a << (b & 31n));
    case AluOp.RSH: return a >> (b & 31n);
    case AluOp.ARSH: return u32(s32(a) >> (b & 31n));
    case AluOp.MOV: return b;
    default: throw new Error("op");
  }
}

function cmp(op: number, a: bigint, b: bigint, bits: 32 | 64): boolean {
  const ua = BigInt.asUintN(bits, a);
  const ub = BigInt.asUintN(bits, b);
  const sa = BigInt.asIntN(bits, a);
  const sb = BigInt.asIntN(bits, b);
  switch (op) {
    case JmpOp.JEQ: return ua === ub;
    case JmpOp.JNE: return ua !== ub;
    case JmpOp.JSET: return (ua & ub) !== 0n;
    case JmpOp.JGT: return ua > ub;
    case JmpOp.JGE: return ua >= ub;
    case JmpOp.JLT: return ua < ub;
    case JmpOp.JLE: return ua <= ub;
    case JmpOp.JSGT: return sa > sb;
    case JmpOp.JSGE: return sa >= sb;
    case JmpOp.JSLT: return sa < sb;
    case JmpOp.JSLE: return sa <= sb;
    default: throw new Error("op");
  }
}

/** mulberry32, seeded. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EDGES = [0n, 1n, 2n, 31n, 32n, 63n, 64n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, (1n << 63n) - 1n, 1n << 63n, M64, M64 - 1n];

function value(rand: () => number): bigint {
  if (rand() < 0.35) return EDGES[Math.floor(rand() * EDGES.length)]!;
  const hi = BigInt(Math.floor(rand() * 2 ** 32));
  const lo = BigInt(Math.floor(rand() * 2 ** 32));
  return (hi << 32n) | lo;
}

const vm = new Interpreter({ mem: new AddressSpace(), env: nullKernelEnv(), helper: () => undefined });
const run = (b: ProgramBuilder, a: bigint, c: bigint) => {
  const r = vm.run(vm.load(programFromInsns(b.link())), { args: [a, c] });
  if (r.fault) throw r.fault;
  return r.r0;
};

const OPS = [AluOp.ADD, AluOp.SUB, AluOp.MUL, AluOp.DIV, AluOp.MOD, AluOp.OR, AluOp.AND, AluOp.XOR, AluOp.LSH, AluOp.RSH, AluOp.ARSH, AluOp.MOV];
const SEED = Number(process.env.VM_DIFF_SEED ?? 0x1234abcd);

describe(`ALU against the RFC 9669 reference (seed ${SEED})`, () => {
  for (const op of OPS) {
    for (const signed of op === AluOp.DIV || op === AluOp.MOD ? [false, true] : [false]) {
      it(`op 0x${op.toString(16)}${signed ? " signed" : ""}: 64 and 32-bit, register and immediate`, () => {
        const rand = prng(SEED ^ op ^ (signed ? 0x5a5a : 0));
        for (let i = 0; i < 400; i++) {
          const a = value(rand);
          const b = value(rand);
          const imm = Number(BigInt.asIntN(32, value(rand)));
          const immAs64 = u64(BigInt(imm)); // ALU64 K: sign-extended
          const off = signed ? 1 : 0;
          const alu64 = new ProgramBuilder().mov64(0, 1).raw({ opcode: 0x07 | op | 0x08, dst: 0, src: 2, off, imm: 0 }).exit();
          const alu64k = new ProgramBuilder().mov64(0, 1).raw({ opcode: 0x07 | op, dst: 0, src: 0, off, imm }).exit();
          const alu32 = new ProgramBuilder().mov64(0, 1).raw({ opcode: 0x04 | op | 0x08, dst: 0, src: 2, off, imm: 0 }).exit();
          const alu32k = new ProgramBuilder().mov64(0, 1).raw({ opcode: 0x04 | op, dst: 0, src: 0, off, imm }).exit();
          const ctx = `a=0x${a.toString(16)} b=0x${b.toString(16)} imm=${imm} case ${i}`;
          expect(run(alu64, a, b), `alu64 X ${ctx}`).toBe(ref64(op, a, b, signed));
          expect(run(alu64k, a, b), `alu64 K ${ctx}`).toBe(ref64(op, a, immAs64, signed));
          expect(run(alu32, a, b), `alu32 X ${ctx}`).toBe(ref32(op, a, b, signed));
          expect(run(alu32k, a, b), `alu32 K ${ctx}`).toBe(ref32(op, a, BigInt(imm), signed));
        }
      });
    }
  }

  it("NEG, MOVSX and byte swaps", () => {
    const rand = prng(SEED);
    for (let i = 0; i < 400; i++) {
      const a = value(rand);
      const one = (raw: { opcode: number; off?: number; imm?: number; src?: number }) =>
        run(new ProgramBuilder().mov64(0, 1).raw({ opcode: raw.opcode, dst: 0, src: raw.src ?? 0, off: raw.off ?? 0, imm: raw.imm ?? 0 }).exit(), a, 0n);
      expect(one({ opcode: 0x87 })).toBe(u64(-a));
      expect(one({ opcode: 0x84 })).toBe(u32(-a));
      expect(one({ opcode: 0xbf, src: 0, off: 8 })).toBe(u64(BigInt.asIntN(8, a)));
      expect(one({ opcode: 0xbf, src: 0, off: 16 })).toBe(u64(BigInt.asIntN(16, a)));
      expect(one({ opcode: 0xbf, src: 0, off: 32 })).toBe(u64(BigInt.asIntN(32, a)));
      expect(one({ opcode: 0xbc, src: 0, off: 8 })).toBe(u32(BigInt.asIntN(8, a)));
      const bytes = (x: bigint, n: number) => Array.from({ length: n }, (_, k) => (x >> BigInt(8 * k)) & 0xffn);
      const swap = (x: bigint, n: number) => bytes(x, n).reduce((acc, byte) => (acc << 8n) | byte, 0n);
      for (const w of [16, 32, 64]) {
        expect(one({ opcode: 0xd7, imm: w })).toBe(swap(a, w / 8));
        expect(one({ opcode: 0xdc, imm: w })).toBe(swap(a, w / 8));
        expect(one({ opcode: 0xd4, imm: w })).toBe(BigInt.asUintN(w, a));
      }
    }
  });
});

describe(`conditional jumps against the reference (seed ${SEED})`, () => {
  const JOPS = [JmpOp.JEQ, JmpOp.JNE, JmpOp.JSET, JmpOp.JGT, JmpOp.JGE, JmpOp.JLT, JmpOp.JLE, JmpOp.JSGT, JmpOp.JSGE, JmpOp.JSLT, JmpOp.JSLE];
  for (const jop of JOPS) {
    it(`jump op 0x${jop.toString(16)} in JMP and JMP32, register and immediate`, () => {
      const rand = prng(SEED ^ (jop << 8));
      for (let i = 0; i < 300; i++) {
        const a = value(rand);
        const b = rand() < 0.2 ? a : value(rand);
        const imm = Number(BigInt.asIntN(32, rand() < 0.2 ? a : value(rand)));
        const prog = (opcode: number, src: number, k: number) =>
          new ProgramBuilder().mov64Imm(0, 1).raw({ opcode, dst: 1, src, off: 1, imm: k }).mov64Imm(0, 0).exit();
        const ctx = `a=0x${a.toString(16)} b=0x${b.toString(16)} imm=${imm}`;
        expect(run(prog(0x05 | jop | 0x08, 2, 0), a, b), `jmp X ${ctx}`).toBe(cmp(jop, a, b, 64) ? 1n : 0n);
        expect(run(prog(0x05 | jop, 0, imm), a, b), `jmp K ${ctx}`).toBe(cmp(jop, a, BigInt(imm), 64) ? 1n : 0n);
        expect(run(prog(0x06 | jop | 0x08, 2, 0), a, b), `jmp32 X ${ctx}`).toBe(cmp(jop, a, b, 32) ? 1n : 0n);
        expect(run(prog(0x06 | jop, 0, imm), a, b), `jmp32 K ${ctx}`).toBe(cmp(jop, a, BigInt(imm), 32) ? 1n : 0n);
      }
    });
  }
});
