// Sample eBPF programs built with the ProgramBuilder: CPU-bound loops used
// by the VM benchmark and as disassembly goldens. Each documents its inputs
// (r1, r2) and what it returns in r0.
import { ProgramBuilder } from "./isa/builder.js";
import { JmpOp, Size } from "./isa/opcodes.js";

/** Counts primes below r1 by trial division (div/mod heavy). */
export function primes(): ProgramBuilder {
  const b = new ProgramBuilder();
  return b
    .mov64Imm(0, 0) // count
    .mov64Imm(6, 2) // n
    .label("outer")
    .jmpReg(JmpOp.JGE, 6, 1, "done")
    .mov64Imm(7, 2) // d
    .label("inner")
    .mov64(8, 7)
    .mul64(8, 7)
    .jmpReg(JmpOp.JGT, 8, 6, "prime")
    .mov64(9, 6)
    .mod64(9, 7)
    .jmpImm(JmpOp.JEQ, 9, 0, "next")
    .add64Imm(7, 1)
    .ja("inner")
    .label("prime")
    .add64Imm(0, 1)
    .label("next")
    .add64Imm(6, 1)
    .ja("outer")
    .label("done")
    .exit();
}

/** FNV-1a 64 over the numbers 0..r1-1 (64-bit multiply and xor heavy). */
export function fnv(): ProgramBuilder {
  return new ProgramBuilder()
    .lddw(0, 0xcbf29ce484222325n)
    .lddw(6, 0x100000001b3n)
    .mov64Imm(7, 0)
    .label("loop")
    .jmpReg(JmpOp.JGE, 7, 1, "done")
    .xor64(0, 7)
    .mul64(0, 6)
    .add64Imm(7, 1)
    .ja("loop")
    .label("done")
    .exit();
}

/** Sieve of Eratosthenes over r2 bytes at r1 (byte loads and stores); returns the number of primes. */
export function sieve(): ProgramBuilder {
  return new ProgramBuilder()
    .mov64Imm(0, 0)
    .mov64Imm(6, 2) // i
    .label("outer")
    .jmpReg(JmpOp.JGE, 6, 2, "done")
    .mov64(3, 1)
    .add64(3, 6)
    .ldx(Size.B, 4, 3, 0)
    .jmpImm(JmpOp.JNE, 4, 0, "next")
    .add64Imm(0, 1)
    .mov64(7, 6)
    .mul64(7, 6) // j = i*i
    .label("mark")
    .jmpReg(JmpOp.JGE, 7, 2, "next")
    .mov64(3, 1)
    .add64(3, 7)
    .st(Size.B, 3, 0, 1)
    .add64(7, 6)
    .ja("mark")
    .label("next")
    .add64Imm(6, 1)
    .ja("outer")
    .label("done")
    .exit();
}


/** The samples by name. */
export const SAMPLE_PROGRAMS: Readonly<Record<string, () => ProgramBuilder>> = { primes, fnv, sieve };
