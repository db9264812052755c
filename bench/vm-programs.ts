// The VM benchmark's programs (bench/programs/*.c, compiled by build.sh to
// the committed *.bpf.o): their classes, inputs and default scales, loading
// them through btfsnoop's loader (open + relocate, no kernel), and a
// TypeScript model of each algorithm that gives the r0 every engine must
// return. The input is `struct bench_in` of bench/programs/bench.h.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { openObject } from "../src/loader/open.js";
import { relocateProgram } from "../src/loader/relocate.js";
import type { Program } from "../src/vm/isa/instruction.js";
import { encodeProgram, programFromInsns } from "../src/vm/isa/encode.js";

export type ProgramClass = "ALU" | "memory" | "branches" | "calls" | "div/mod";

/** Bytes of struct bench_in: n, seed, arg, len (u64 each), then buf[BENCH_BUF]. */
export const BENCH_BUF = 4096;
export const INPUT_SIZE = 32 + BENCH_BUF;

export interface BenchProgram {
  /** The C file's (and the BPF function's) name. */
  name: string;
  cls: ProgramClass;
  seed: bigint;
  arg: bigint;
  /** Iterations of the bench's default run (about 15-25 M executed instructions). */
  n: number;
  /** r0 for an input of `n` iterations, `seed` and `arg` (the same algorithm in TypeScript; len = BENCH_BUF). */
  model(n: number, seed: bigint, arg: bigint): bigint;
}

const M64 = 0xffffffffffffffffn;

function xorshift64(x: bigint): bigint {
  x ^= (x << 13n) & M64;
  x ^= x >> 7n;
  x ^= (x << 17n) & M64;
  return x;
}

function xorshift32(x: number): number {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return x >>> 0;
}

/** buf[] of every input: xorshift32 bytes from a fixed start, so mem_checksum reads varied data. */
export function inputBuffer(): Uint8Array {
  const buf = new Uint8Array(BENCH_BUF);
  let x = 0x9e3779b9;
  for (let i = 0; i < BENCH_BUF; i++) {
    x = xorshift32(x);
    buf[i] = x >>> 24;
  }
  return buf;
}

function aluXorshift(n: number, seed: bigint): bigint {
  let x = seed | 1n;
  let acc = 0n;
  for (let i = 0; i < n; i++) {
    x = xorshift64(x);
    acc = (acc + x * 0x2545f4914f6cdd1dn) & M64;
    acc ^= acc >> 29n;
  }
  return acc;
}

function aluCrc32(n: number, seed: bigint): bigint {
  let crc = 0xffffffff;
  const s = Number(seed & 0xffffffffn);
  for (let i = 0; i < n; i++) {
    crc = (crc ^ ((Math.imul(i, 131) + s) & 0xff)) >>> 0;
    for (let k = 0; k < 8; k++) crc = ((crc >>> 1) ^ (0xedb88320 & -(crc & 1))) >>> 0;
  }
  return BigInt(~crc >>> 0);
}

function memSort(n: number, seed: bigint): bigint {
  const a = new Uint32Array(64);
  let x = (Number(seed & 0xffffffffn) | 1) >>> 0;
  let acc = 0n;
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < 64; i++) a[i] = x = xorshift32(x);
    a.sort();
    for (let i = 0; i < 64; i++) acc = (acc * 31n + BigInt(a[i]!)) & M64;
  }
  return acc;
}

function memChecksum(n: number, seed: bigint, len: number): bigint {
  const p = inputBuffer();
  let a = Number(seed & 0xffffffffn);
  let b = 0;
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < len; i++) {
      a = (a + p[i]!) >>> 0;
      b = (b + a) >>> 0;
    }
  }
  return (BigInt(b) << 32n) | BigInt(a);
}

function brCollatz(n: number, seed: bigint): bigint {
  let total = 0;
  const s = Number(seed);
  for (let i = 0; i < n; i++) {
    let x = s + i;
    while (x > 1) {
      x = x % 2 ? 3 * x + 1 : x / 2;
      total++;
    }
  }
  return BigInt(total);
}

const SPACE = 0, WORD = 1, NUMBER = 2, STRING = 3, FRACTION = 4, ESCAPE = 5;

function brState(n: number, seed: bigint): bigint {
  let x = Number(seed & 0xffffffffn);
  let state = SPACE;
  let words = 0, numbers = 0, fractions = 0, strings = 0;
  const digit = (c: number) => c >= 48 && c <= 57;
  const letter = (l: number) => l >= 97 && l <= 122;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const c = (x >>> 16) & 0x7f;
    const lower = c | 32;
    switch (state) {
      case SPACE:
        if (digit(c)) {
          state = NUMBER;
          numbers++;
        } else if (letter(lower)) {
          state = WORD;
          words++;
        } else if (c === 34) state = STRING;
        break;
      case WORD:
        if (c === 34) state = STRING;
        else if (!letter(lower) && !digit(c) && c !== 95) state = SPACE;
        break;
      case NUMBER:
        if (c === 46) state = FRACTION;
        else if (!digit(c)) state = SPACE;
        break;
      case FRACTION:
        if (!digit(c)) {
          fractions++;
          state = SPACE;
        }
        break;
      case STRING:
        if (c === 34) {
          strings++;
          state = SPACE;
        } else if (c === 92) state = ESCAPE;
        break;
      default:
        state = STRING;
    }
  }
  return BigInt(words + numbers * 3 + fractions * 7 + strings * 13 + state);
}

function mix3(a: bigint, b: bigint): bigint {
  return (((a ^ (b >> 3n)) * 0x9e3779b97f4a7c15n) + b) & M64;
}
function mix2(a: bigint, b: bigint): bigint {
  return mix3((a + 1n) & M64, b ^ a) ^ (a >> 7n);
}
function mix1(a: bigint, b: bigint, c: bigint): bigint {
  return (mix2(a, (b + c) & M64) + mix3(c, a)) & M64;
}

function callChain(n: number, seed: bigint): bigint {
  let acc = seed;
  for (let i = 0; i < n; i++) acc = mix1(acc, BigInt(i), acc >> 17n);
  return acc;
}

/** Helper 8 answers 0 (nullKernelEnv's cpu, the uBPF harness, native.c). */
function callHelper(n: number, seed: bigint): bigint {
  let acc = seed;
  for (let i = 0; i < n; i++) acc = ((acc + 1n) * 2862933555777941757n + BigInt(i)) & M64;
  return acc;
}

function divGcd(n: number, seed: bigint): bigint {
  let x = seed | 1n;
  let total = 0n;
  for (let i = 0; i < n; i++) {
    x = xorshift64(x);
    let a = x;
    x = xorshift64(x);
    let b = x >> BigInt(i & 31);
    while (b) {
      const t = a % b;
      a = b;
      b = t;
    }
    total = (total + a) & M64;
  }
  return total;
}

function divDigits(n: number, seed: bigint, base: bigint): bigint {
  if (base < 2n) return 0n;
  let x = seed | 1n;
  let sum = 0n;
  for (let i = 0; i < n; i++) {
    x = xorshift64(x);
    for (let v = x; v; v /= base) sum += v % base;
  }
  return sum & M64;
}

export const BENCH_PROGRAMS: readonly BenchProgram[] = [
  { name: "alu_xorshift", cls: "ALU", seed: 0x123456789abcdefn, arg: 0n, n: 1_500_000, model: (n, seed) => aluXorshift(n, seed) },
  { name: "alu_crc32", cls: "ALU", seed: 7n, arg: 0n, n: 400_000, model: (n, seed) => aluCrc32(n, seed) },
  { name: "mem_sort", cls: "memory", seed: 2463534242n, arg: 0n, n: 1_000, model: (n, seed) => memSort(n, seed) },
  { name: "mem_checksum", cls: "memory", seed: 1n, arg: 0n, n: 600, model: (n, seed) => memChecksum(n, seed, BENCH_BUF) },
  { name: "br_collatz", cls: "branches", seed: 1_000_000n, arg: 0n, n: 20_000, model: (n, seed) => brCollatz(n, seed) },
  { name: "br_state", cls: "branches", seed: 42n, arg: 0n, n: 1_000_000, model: (n, seed) => brState(n, seed) },
  { name: "call_chain", cls: "calls", seed: 99n, arg: 0n, n: 600_000, model: (n, seed) => callChain(n, seed) },
  { name: "call_helper", cls: "calls", seed: 5n, arg: 0n, n: 2_500_000, model: (n, seed) => callHelper(n, seed) },
  { name: "div_gcd", cls: "div/mod", seed: 0x2545f4914f6cdd1dn, arg: 0n, n: 70_000, model: (n, seed) => divGcd(n, seed) },
  { name: "div_digits", cls: "div/mod", seed: 88172645463325252n, arg: 10n, n: 100_000, model: (n, seed, arg) => divDigits(n, seed, arg) },
];

/** The r0 a program must return for its default input of `n` iterations. */
export function expectedR0(p: BenchProgram, n: number): bigint {
  return p.model(n, p.seed, p.arg);
}

/** The struct bench_in bytes of a run of `n` iterations with the program's (or the given) seed and arg; len = the whole buffer. */
export function benchInput(p: Pick<BenchProgram, "seed" | "arg">, n: number): Uint8Array {
  const bytes = new Uint8Array(INPUT_SIZE);
  const dv = new DataView(bytes.buffer);
  dv.setBigUint64(0, BigInt(n), true);
  dv.setBigUint64(8, p.seed, true);
  dv.setBigUint64(16, p.arg, true);
  dv.setBigUint64(24, BigInt(BENCH_BUF), true);
  bytes.set(inputBuffer(), 32);
  return bytes;
}

/** The folder of the programs' C sources and objects. */
export function programsDir(root: string): string {
  return join(root, "bench", "programs");
}

/**
 * A program as btfsnoop's loader relocates it (bpf-to-bpf subprograms
 * appended): the decoded Program for the VM and the raw bytecode that the
 * uBPF harness loads, so both run the same instructions.
 */
export function loadBenchProgram(root: string, p: BenchProgram): { program: Program; bytecode: Uint8Array } {
  const file = `${p.name}.bpf.o`;
  const spec = openObject(readFileSync(join(programsDir(root), file)), { name: file });
  const prog = spec.programs.find((q) => q.name === p.name);
  if (!prog) throw new Error(`${file}: no program named ${p.name} (has ${spec.programs.map((q) => q.name).join(", ") || "none"})`);
  const relocated = relocateProgram(spec, prog, { mapFd: () => undefined });
  return { program: programFromInsns(relocated.insns), bytecode: encodeProgram(relocated.insns) };
}
