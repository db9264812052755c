// Primes the interpreter loop's type feedback once per process: runs one
// program through every case of exec-loop.ts's switch (ALU on small,
// negative and 64-bit values, both jump outcomes and both sides of each
// test, loads and stores on the stack and on a region, a helper call, a
// bpf-to-bpf call, an exit) on a private machine. V8 compiles a case that
// never ran as a deoptimization point; a deoptimized run of millions of
// instructions then continues in the bytecode interpreter until it is
// recompiled (measured: the memory class of the VM bench alternated
// between 90 and 220 M insns/s from one process to the next). Costs
// 6-12 ms (loaded 2-core box) before the first interpreted run of a
// process (primeExecLoop); runs that the JIT compiled never pay it.
import { Calls } from "./calls.js";
import { nullKernelEnv } from "./env.js";
import { Machine } from "./exec-loop.js";
import type { Instruction } from "./isa/instruction.js";
import { LDDW } from "./isa/opcodes.js";
import { MAX_CALL_FRAMES, STACK_SIZE } from "./limits.js";
import { loadProgram, REG_FILE_SIZE } from "./loaded-program.js";
import { AddressSpace, RegionKind, type Region } from "./memory.js";

const I = (opcode: number, dst: number, src: number, off: number, imm: number): Instruction => ({ opcode, dst, src, off, imm });
const ld64 = (dst: number, v: bigint): Instruction => ({
  opcode: LDDW, dst, src: 0, off: 0,
  imm: Number(BigInt.asIntN(32, v & 0xffffffffn)), imm2: Number(BigInt.asIntN(32, (v >> 32n) & 0xffffffffn)),
});

/**
 * The priming program. r6..r8 hold operand values (set by a few lddw), r9
 * the address of a 64-byte region; each instruction under test gets fresh
 * operands by register moves, so the program stays small to load.
 */
function primer(region: Region): Instruction[] {
  const regionAddr = (BigInt(region.hi) << 32n) | BigInt(region.lo);
  const M = 0xffffffffffffffffn;
  const out: Instruction[] = [ld64(9, regionAddr)];
  const operands = (a: bigint, b: bigint, c: bigint) => out.push(ld64(6, a), ld64(7, b), ld64(8, c));
  const fresh = () => out.push(I(0xbf, 0, 7, 0, 0), I(0xbf, 1, 8, 0, 0), I(0xbf, 2, 6, 0, 0), I(0xbf, 3, 7, 0, 0), I(0xbf, 4, 8, 0, 0), I(0xbf, 5, 6, 0, 0));
  const alu = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0];
  const jmp = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0];
  // Small, negative and 64-bit operands (V8 types each operation by the values it saw).
  for (const [a, b, c] of [[7n, 0x123456789abcdefn, 0x80000000n], [M - 6n, 5n, 0xfedcba9876543210n]] as const) {
    operands(a, b, c);
    for (const op of alu) {
      for (const cls of [0x07, 0x0f, 0x04, 0x0c]) {
        const offs = op === 0x30 || op === 0x90 ? [0, 1] : op === 0xb0 ? [0, 8, 16, 32] : [0];
        const imms = op === 0xd0 ? [16, 32, 64] : (op >= 0x60 && op <= 0x70) || op === 0xc0 ? [3, 40] : [a === 7n ? 5 : -3];
        for (const off of offs) {
          for (const imm of imms) {
            fresh();
            out.push(I(op | cls, 2, 3, off, imm));
          }
        }
      }
    }
  }
  // Both outcomes of every jump, and both sides of every && and || in its test: operands with
  // different and equal low halves, equal low and different high halves, either sign.
  for (const [a, b] of [[5n, 7n], [7n, 7n], [7n + (1n << 32n), 7n], [M - 6n, 7n]] as const) {
    operands(a, b, 0n);
    for (const op of jmp) {
      for (const cls of [0x05, 0x0d, 0x06, 0x0e]) {
        out.push(I(0xbf, 2, 6, 0, 0), I(0xbf, 3, 7, 0, 0), I(op | cls, 2, 3, 1, Number(b)), I(0xb7, 0, 0, 0, 1));
      }
    }
  }
  out.push(I(0x05, 0, 0, 0, 0), I(0x06, 0, 0, 0, 0));
  // Loads and stores of every width, on the stack and (twice: a miss, then the cached region) on the region.
  operands(M - 6n, 0x123456789abcdefn, 5n);
  fresh();
  for (const [base, off] of [[10, -16], [9, 8], [9, 16]] as const) {
    for (const code of [0x62, 0x6a, 0x72, 0x7a]) out.push(I(code, base, 0, off, -5));
    for (const code of [0x63, 0x6b, 0x73, 0x7b]) out.push(I(code, base, 2, off, 0));
    for (const code of [0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91]) out.push(I(code, 4, base, off, 0));
  }
  out.push(I(0x85, 0, 0, 0, 1)); // helper 1 (calls.ts's Calls, as every machine has, with a helper returning 0)
  out.push(I(0x85, 0, 1, 0, 1)); // a bpf-to-bpf call to the exit after the next one
  out.push(I(0x95, 0, 0, 0, 0));
  out.push(I(0xb7, 0, 0, 0, 0), I(0x95, 0, 0, 0, 0));
  return out;
}

let primed = false;

/** Before the process's first interpreted run (the interpreter calls it before each): runs the priming program once on a private machine. */
export function primeExecLoop(): void {
  // Small, so V8 inlines the check into the run path.
  if (!primed) prime();
}

function prime(): void {
  primed = true;
  const mem = new AddressSpace();
  const frames: Region[] = [];
  for (let i = 0; i < MAX_CALL_FRAMES; i++) frames.push(mem.map(RegionKind.STACK, new Uint8Array(STACK_SIZE)));
  const m = new Machine(mem, nullKernelEnv(), frames);
  const zero = (): bigint => 0n;
  m.calls = new Calls(m, mem, nullKernelEnv(), (id) => (id === 1 ? zero : undefined), () => undefined);
  const region = mem.map(RegionKind.MAP_VALUE, new Uint8Array(64));
  const insns = primer(region);
  const slotOf: number[] = [];
  let s = 0;
  for (const insn of insns) {
    slotOf.push(s);
    s += insn.opcode === LDDW ? 2 : 1;
  }
  slotOf.push(s);
  const lp = loadProgram({ insns, slotOf }, "exec-loop primer", undefined);
  const lo = new Int32Array(REG_FILE_SIZE);
  const hi = new Int32Array(REG_FILE_SIZE);
  m.runLevel = 1;
  m.budgetLeft = 1_000_000;
  m.exec(lp, 0, 0, lo, hi, false);
  m.runLevel = 0;
}

/** The priming program (for tests: it must reach every case of the loop and exit cleanly). */
export function primerProgram(region: Region): Instruction[] {
  return primer(region);
}
