// A seeded, grammar-directed generator of eBPF programs for verifier
// soundness fuzzing. Programs look like real ones — ctx/memory/stack/map
// value loads and stores, ALU with small constants and masks, bounds
// checks, forward conditionals, small bounded loops, map lookups with null
// checks, ring buffer reserve/submit, bpf-to-bpf calls, bpf_loop callbacks —
// and each decision point may take an unsafe variant instead (an off-by-one
// offset, a missing null or bounds check, an uninitialized read, a leaked
// reference...). The mutations applied are recorded, so statistics can tell
// programs that were meant to be safe from the others; the verifier alone
// decides which are accepted.
//
// The generated program uses the fuzz maps of verifier.ts (FUZZ_MAPS):
// fd 1 "one" (array, value 24), 2 "arr8" (array, value 8), 3 "hash" (hash,
// value 16), 4 "rb" (ringbuf), 5 "ro" (read-only array, value 8).
import { ProgramBuilder, type BinAluOp, type CondJmpOp } from "../src/vm/isa/builder.js";
import { programFromInsns } from "../src/vm/isa/encode.js";
import type { Instruction, Program } from "../src/vm/isa/instruction.js";
import { AluOp, JmpOp, Size, type Register, type SizeCode } from "../src/vm/isa/opcodes.js";

/** mulberry32: a small, fast, seedable PRNG (u32 state). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** A u32. */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.next() / 4294967296) * n);
  }
  /** An integer in [a, b]. */
  range(a: number, b: number): number {
    return a + this.int(b - a + 1);
  }
  chance(p: number): boolean {
    return this.next() / 4294967296 < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  u64(): bigint {
    return (BigInt(this.next()) << 32n) | BigInt(this.next());
  }
}

export type GenKind = { readonly kind: "tracing"; readonly nargs: number } | { readonly kind: "conformance"; readonly memSize: number };

export interface GeneratedProgram {
  seed: number;
  kind: GenKind;
  /** Verify as a privileged (CAP_BPF) load. */
  privileged: boolean;
  insns: Instruction[];
  program: Program;
  /** The unsafe variants the generator chose (a mutation does not always make a program unsafe). */
  mutations: string[];
}

export interface GenOptions {
  /** Probability of each unsafe variant at a decision point. Default 0.05. */
  mutationRate?: number;
  /** Top-level blocks: [min, max]. Default [2, 7]. */
  blocks?: [number, number];
}

/** Fds of the fuzz maps (FUZZ_MAPS in verifier.ts). */
export const FUZZ_FD = { one: 1, arr8: 2, hash: 3, rb: 4, ro: 5 } as const;
const VALUE_SIZE: Readonly<Record<number, number>> = { 1: 24, 2: 8, 3: 16, 5: 8 };

const H = {
  map_lookup_elem: 1,
  map_update_elem: 2,
  ktime_get_ns: 5,
  get_prandom_u32: 7,
  get_smp_processor_id: 8,
  get_current_pid_tgid: 14,
  get_current_uid_gid: 15,
  probe_read_kernel: 113,
  ktime_get_boot_ns: 125,
  ringbuf_reserve: 131,
  ringbuf_submit: 132,
  ringbuf_discard: 133,
  loop: 181,
} as const;

const VARS: readonly Register[] = [7, 8, 9];
const ALU_OPS: readonly BinAluOp[] = [
  AluOp.ADD, AluOp.ADD, AluOp.SUB, AluOp.MUL, AluOp.DIV, AluOp.OR, AluOp.AND, AluOp.AND, AluOp.AND,
  AluOp.LSH, AluOp.RSH, AluOp.RSH, AluOp.MOD, AluOp.XOR, AluOp.MOV, AluOp.ARSH,
];
const COND_OPS: readonly CondJmpOp[] = [
  JmpOp.JEQ, JmpOp.JNE, JmpOp.JGT, JmpOp.JGE, JmpOp.JLT, JmpOp.JLE, JmpOp.JSGT, JmpOp.JSGE, JmpOp.JSLT, JmpOp.JSLE, JmpOp.JSET,
];
const MASKS = [0x1, 0x3, 0x7, 0xf, 0x1f, 0xff, 0xffff, 0x7fffffff, -1, -8, 0x18];
const SMALL = [0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 23, 24, 31, 32, 63, 64, 255, -1, -2, -8, -16, 0x7fffffff, -0x80000000];
const SIZES: readonly SizeCode[] = [Size.B, Size.H, Size.W, Size.DW];
const BYTES: Readonly<Record<number, number>> = { [Size.B]: 1, [Size.H]: 2, [Size.W]: 4, [Size.DW]: 8 };

/** Largest 2^k - 1 that is <= n (0 for n < 1). */
function maskBelow(n: number): number {
  let m = 0;
  while (m * 2 + 1 <= n) m = m * 2 + 1;
  return m;
}

type Block = () => void;

class Gen {
  readonly b = new ProgramBuilder();
  readonly mutations: string[] = [];
  private labels = 0;
  /** 8-byte stack slots (their offset from r10) that hold an initialized scalar on every path. */
  private stackInit = new Set<number>();
  /** Whether the 4 key bytes at fp-4 are initialized on every path. */
  private keyInit = false;
  private depth = 0;
  private counter: Register | undefined;
  private readonly subs = new Set<string>();
  private readonly nargs: number;
  private readonly memSize: number;

  constructor(
    private readonly rng: Rng,
    readonly kind: GenKind,
    private readonly pm: number,
  ) {
    this.nargs = kind.kind === "tracing" ? kind.nargs : 0;
    this.memSize = kind.kind === "conformance" ? kind.memSize : 0;
  }

  /** Takes the unsafe variant `name` with probability p (default: the mutation rate). */
  private mut(name: string, p = this.pm): boolean {
    if (this.rng.chance(p)) {
      this.mutations.push(name);
      return true;
    }
    return false;
  }

  private label(): string {
    return `L${this.labels++}`;
  }

  /** A scalar variable register (r7-r9), not the current loop counter unless mutated. */
  private v(): Register {
    const choices = VARS.filter((r) => r !== this.counter);
    if (this.counter !== undefined && this.mut("loop-counter-clobbered", this.pm / 4)) return this.counter;
    return this.rng.pick(choices);
  }

  private slot(): number {
    return -8 * this.rng.range(2, 8);
  }

  generate(blocks: [number, number]): void {
    const { b, rng } = this;
    if (this.kind.kind === "tracing") {
      b.mov64(6, 1);
      b.ldx(Size.DW, 7, 6, 0);
      if (this.nargs > 1) b.ldx(Size.DW, 8, 6, 8);
      else b.mov64Imm(8, rng.pick(SMALL));
      b.mov64Imm(9, rng.pick(SMALL));
    } else {
      b.mov64(6, 1);
      b.mov64(7, 2);
      if (this.memSize > 0) b.ldx(Size.B, 8, 6, 0);
      else b.mov64Imm(8, 0);
      b.mov64Imm(9, rng.pick(SMALL));
    }
    if (rng.chance(0.4)) {
      const s = this.slot();
      b.st(Size.DW, 10, s, rng.pick(SMALL));
      this.stackInit.add(s);
    }
    this.blocks(rng.range(blocks[0], blocks[1]));
    // Epilogue: r0 = a scalar.
    if (this.mut("return-pointer", this.pm / 3)) b.mov64(0, 6);
    else if (!this.mut("return-uninit", this.pm / 4)) {
      if (rng.chance(0.7)) b.mov64(0, this.v());
      else b.mov64Imm(0, rng.pick(SMALL));
    }
    b.exit();
    this.emitSubprograms();
  }

  private blocks(n: number): void {
    for (let i = 0; i < n; i++) this.block();
  }

  private block(): void {
    const tracing: [number, Block][] = [
      [22, () => this.alu()],
      [10, () => this.cond()],
      [5, () => this.loop()],
      [9, () => this.stackStore()],
      [7, () => this.stackLoad()],
      [7, () => this.ctxLoad()],
      [14, () => this.mapAccess()],
      [7, () => this.ringbuf()],
      [4, () => this.helper()],
      [4, () => this.probeRead()],
      [4, () => this.subCall()],
      [4, () => this.bpfLoop()],
      [3, () => this.spillPtr()],
      [3, () => this.mapUpdate()],
      [9, () => this.aluChainAccess()],
      [4, () => this.deadBranch()],
      [3, () => this.aliasedLookups()],
    ];
    const conformance: [number, Block][] = [
      [22, () => this.alu()],
      [10, () => this.cond()],
      [5, () => this.loop()],
      [8, () => this.stackStore()],
      [6, () => this.stackLoad()],
      [20, () => this.memAccess()],
      [4, () => this.memLoop()],
      [4, () => this.callx()],
      [4, () => this.subCall()],
      [9, () => this.aluChainAccess()],
      [4, () => this.deadBranch()],
    ];
    const table = this.kind.kind === "tracing" ? tracing : conformance;
    const total = table.reduce((s, [w]) => s + w, 0);
    let r = this.rng.int(total);
    for (const [w, f] of table) {
      if (r < w) return f();
      r -= w;
    }
  }

  // ---- blocks ---------------------------------------------------------------

  private immFor(op: number, is64: boolean): number {
    const { rng } = this;
    switch (op) {
      case AluOp.LSH:
      case AluOp.RSH:
      case AluOp.ARSH:
        return rng.int(is64 ? 64 : 32);
      case AluOp.AND:
        return rng.pick(MASKS);
      case AluOp.DIV:
      case AluOp.MOD:
        return rng.pick([1, 2, 3, 7, 8, 16, 0, -1]);
      default:
        return rng.chance(0.8) ? rng.range(-16, 64) : rng.pick(SMALL);
    }
  }

  private alu(): void {
    const { b, rng } = this;
    let dst = this.v();
    if (this.mut("alu-on-pointer", this.pm / 3)) dst = 6;
    const is64 = rng.chance(0.75);
    const r = rng.int(24);
    if (r === 0) {
      if (is64) b.neg64(dst);
      else b.neg32(dst);
      return;
    }
    if (r === 1) {
      const w = rng.pick([16, 32, 64] as const);
      const k = rng.int(3);
      if (k === 0) b.le(dst, w);
      else if (k === 1) b.be(dst, w);
      else b.bswap(dst, w);
      return;
    }
    if (r === 2) {
      if (is64) b.movsx64(dst, this.v(), rng.pick([8, 16, 32] as const));
      else b.movsx32(dst, this.v(), rng.pick([8, 16] as const));
      return;
    }
    if (r === 3) {
      const op = rng.pick([AluOp.DIV, AluOp.MOD]);
      const imm = rng.pick([1, 3, 7, -1, -8, 0]);
      if (op === AluOp.DIV) is64 ? b.sdiv64Imm(dst, imm) : b.sdiv32Imm(dst, imm);
      else is64 ? b.smod64Imm(dst, imm) : b.smod32Imm(dst, imm);
      return;
    }
    const op = rng.pick(ALU_OPS);
    if (rng.chance(0.3)) {
      let src: Register = this.v();
      if (this.mut("uninit-src", this.pm / 2)) src = rng.pick([1, 2, 3, 4, 5] as const);
      if (is64) b.alu64(op, dst, src);
      else b.alu32(op, dst, src);
    } else {
      const imm = this.immFor(op, is64);
      if (is64) b.alu64Imm(op, dst, imm);
      else b.alu32Imm(op, dst, imm);
    }
  }

  private cond(): void {
    const { b, rng } = this;
    const skip = this.label();
    const a = this.v();
    const op = rng.pick(COND_OPS);
    const j32 = rng.chance(0.25);
    if (rng.chance(0.3)) {
      const src = this.v();
      if (j32) b.jmp32Reg(op, a, src, skip);
      else b.jmpReg(op, a, src, skip);
    } else {
      const imm = rng.pick(SMALL);
      if (j32) b.jmp32Imm(op, a, imm, skip);
      else b.jmpImm(op, a, imm, skip);
    }
    const saved = new Set(this.stackInit);
    const savedKey = this.keyInit;
    this.depth++;
    this.blocks(this.depth > 2 ? 1 : rng.range(1, 2));
    if (rng.chance(0.3)) {
      // else branch
      const end = this.label();
      b.ja(end);
      b.label(skip);
      this.stackInit = new Set(saved);
      this.keyInit = savedKey;
      this.blocks(1);
      b.label(end);
    } else {
      b.label(skip);
    }
    this.depth--;
    this.stackInit = saved;
    this.keyInit = savedKey;
  }

  private loop(): void {
    const { b, rng } = this;
    if (this.counter !== undefined || this.depth > 1) return this.alu();
    const c = this.v();
    const n = rng.range(1, 4);
    b.mov64Imm(c, 0);
    const head = this.label();
    b.label(head);
    this.counter = c;
    this.depth++;
    const saved = new Set(this.stackInit);
    const savedKey = this.keyInit;
    this.blocks(rng.range(1, 2));
    this.stackInit = saved;
    this.keyInit = savedKey;
    this.depth--;
    this.counter = undefined;
    const j32 = rng.chance(0.25);
    let step = 1;
    if (this.mut("loop-no-progress", this.pm / 4)) step = 0;
    else if (this.mut("loop-step-2", this.pm / 4)) step = 2;
    if (step) {
      if (j32) b.add32Imm(c, step);
      else b.add64Imm(c, step);
    }
    const op = rng.pick([JmpOp.JLT, JmpOp.JLT, JmpOp.JNE, JmpOp.JSLT] as const);
    const limit = op === JmpOp.JNE && step === 2 ? n * 2 - 1 : n;
    if (j32) b.jmp32Imm(op, c, limit, head);
    else b.jmpImm(op, c, limit, head);
  }

  private stackStore(): void {
    const { b, rng } = this;
    const slot = this.slot();
    const size = rng.pick([Size.DW, Size.DW, Size.DW, Size.W, Size.H, Size.B]);
    const n = BYTES[size]!;
    let off = slot + n * rng.int(8 / n);
    let aligned = true;
    if (this.mut("stack-misaligned")) {
      off = slot + (n === 1 ? 0 : 1);
      aligned = n === 1;
    } else if (this.mut("stack-out-of-bounds", this.pm / 3)) {
      off = rng.pick([-520, -513, 0, -4, -1]);
      aligned = false;
    }
    if (this.mut("spill-pointer-partial", this.pm / 4)) {
      b.stx(Size.W, 10, slot, 6);
      return;
    }
    if (rng.chance(0.5)) b.st(size, 10, off, rng.pick(SMALL));
    else b.stx(size, 10, off, this.v());
    if (size === Size.DW && aligned) this.stackInit.add(slot);
    if (off >= -8 && off < 0) this.keyInit ||= off <= -4 && off + n >= 0;
  }

  private stackLoad(): void {
    const { b, rng } = this;
    let slot: number;
    if (this.mut("uninit-stack-read")) slot = this.slot();
    else {
      if (this.stackInit.size === 0) {
        slot = this.slot();
        b.stx(Size.DW, 10, slot, this.v());
        if (this.depth === 0) this.stackInit.add(slot);
      } else slot = rng.pick([...this.stackInit]);
    }
    if (rng.chance(0.15)) {
      const size = rng.pick([Size.B, Size.H, Size.W] as const);
      const n = BYTES[size]!;
      b.ldxs(size, this.v(), 10, slot + n * rng.int(8 / n));
      return;
    }
    const size = rng.pick([Size.DW, Size.DW, Size.W, Size.H, Size.B]);
    const n = BYTES[size]!;
    b.ldx(size, this.v(), 10, slot + n * rng.int(8 / n));
  }

  private ctxLoad(): void {
    const { b, rng } = this;
    let off = 8 * rng.int(this.nargs);
    let size: SizeCode = Size.DW;
    if (this.mut("ctx-out-of-range")) off = 8 * this.nargs;
    else if (this.mut("ctx-misaligned", this.pm / 2)) off += 4;
    else if (this.mut("ctx-narrow", this.pm / 2)) size = Size.W;
    if (this.mut("ctx-write", this.pm / 3)) {
      b.stx(Size.DW, 6, off, this.v());
      return;
    }
    b.ldx(size, this.v(), 6, off);
  }

  private storeKey(): void {
    const { b, rng } = this;
    if (this.mut("uninit-key", this.keyInit ? 0 : this.pm)) return;
    if (rng.chance(0.65)) b.st(Size.W, 10, -4, rng.pick([0, 0, 0, 1, 2]));
    else b.stx(Size.W, 10, -4, this.v());
    if (this.depth === 0) this.keyInit = true;
  }

  /** One load/store/atomic through `ptr` (+ a bounded variable offset) into an object of `size` bytes. */
  private access(ptr: Register, objSize: number, skip: string, writable: boolean): void {
    const { b, rng } = this;
    const size = rng.pick(SIZES);
    const n = BYTES[size]!;
    const maxOff = objSize - n;
    if (maxOff < 0) return;
    let base: Register = ptr;
    let off: number;
    if (rng.chance(0.35)) {
      // variable offset in r3, bounded one of several ways
      b.mov64(3, this.v());
      const style = rng.int(5);
      if (style === 0) {
        let m = maskBelow(maxOff);
        if (this.mut("mask-too-big")) m = m * 2 + 1;
        b.and64Imm(3, m);
      } else if (style === 1) {
        let lim = maxOff;
        if (this.mut("bound-off-by-one")) lim += 1;
        // if r3 > lim goto skip, or the same as if r3 >= lim + 1
        if (rng.chance(0.5)) b.jmpImm(JmpOp.JGT, 3, lim, skip);
        else b.jmpImm(JmpOp.JGE, 3, lim + 1, skip);
      } else if (style === 2) {
        if (!this.mut("jmp32-bound-no-zext")) b.mov32(3, 3);
        let lim = maxOff;
        if (this.mut("bound-off-by-one")) lim += 1;
        b.jmp32Imm(JmpOp.JGT, 3, lim, skip);
      } else if (style === 3) {
        let lim = maxOff;
        if (this.mut("bound-off-by-one")) lim += 1;
        b.jmpImm(JmpOp.JSGT, 3, lim, skip);
        if (!this.mut("signed-bound-no-lower")) b.jmpImm(JmpOp.JSLT, 3, 0, skip);
      } else {
        if (!this.mut("no-bound")) b.rsh64Imm(3, 64 - Math.max(1, Math.floor(Math.log2(maxOff + 1))));
        // r3 >> (64 - k) < 2^k <= maxOff + 1
      }
      b.mov64(4, ptr);
      b.add64(4, 3);
      base = 4;
      off = 0;
      if (this.mut("var-access-plus-one", this.pm / 2)) off = 1;
    } else {
      off = rng.int(maxOff + 1);
      if (this.mut("off-by-one")) off = maxOff + 1;
      else if (this.mut("negative-offset", this.pm / 3)) off = -n;
    }
    const k = rng.int(writable ? 5 : 2);
    if (k <= 1) {
      if (rng.chance(0.15) && n < 8) b.ldxs(size as typeof Size.B, this.v(), base, off);
      else b.ldx(size, this.v(), base, off);
    } else if (k === 2) b.stx(size, base, off, this.v());
    else if (k === 3) b.st(size, base, off, rng.pick(SMALL));
    else {
      const asize = rng.chance(0.5) ? Size.DW : Size.W;
      const an = BYTES[asize]!;
      const aoff = Math.min(off, objSize - an);
      if (aoff < 0) return;
      b.mov64(2, this.v());
      const op = base === 0 || ptr === 0 ? rng.int(3) : rng.int(4);
      if (op === 0) b.atomicAdd(asize, base, aoff, 2, rng.chance(0.5));
      else if (op === 1) b.atomicXor(asize, base, aoff, 2, rng.chance(0.5));
      else if (op === 2) b.atomicXchg(asize, base, aoff, 2);
      else {
        b.mov64(0, this.v());
        b.atomicCmpxchg(asize, base, aoff, 2);
      }
      b.mov64(this.v(), 2);
    }
  }

  private mapAccess(): void {
    const { b, rng } = this;
    const fd = rng.pick([FUZZ_FD.one, FUZZ_FD.one, FUZZ_FD.arr8, FUZZ_FD.hash, FUZZ_FD.hash, ...(rng.chance(0.2) ? [FUZZ_FD.ro] : [])]);
    const vs = VALUE_SIZE[fd]!;
    this.storeKey();
    b.ldMapFd(1, fd);
    b.mov64(2, 10);
    b.add64Imm(2, -4);
    b.call(H.map_lookup_elem);
    const skip = this.label();
    let ptr: Register = 0;
    let spilled: number | undefined;
    if (rng.chance(0.25)) {
      b.mov64(5, 0);
      ptr = 5;
    } else if (rng.chance(0.15)) {
      spilled = this.slot();
      b.stx(Size.DW, 10, spilled, 0);
      this.stackInit.delete(spilled);
    }
    if (this.mut("no-null-check")) {
      // nothing
    } else if (this.mut("inverted-null-check", this.pm / 2)) b.jmpImm(JmpOp.JNE, 0, 0, skip);
    else if (this.mut("jmp32-null-check", this.pm / 3)) b.jmp32Imm(JmpOp.JEQ, 0, 0, skip);
    else b.jmpImm(JmpOp.JEQ, rng.chance(0.5) ? 0 : ptr, 0, skip);
    if (spilled !== undefined) {
      b.ldx(this.mut("partial-fill", this.pm / 2) ? Size.W : Size.DW, 5, 10, spilled);
      ptr = 5;
    }
    const k = rng.range(1, 3);
    for (let i = 0; i < k; i++) this.access(ptr, vs, skip, true);
    b.label(skip);
  }

  /**
   * Two lookups of one map (r9 = the first, r0 = r5 = the second); on one
   * side of a branch r5 becomes a copy of r9. After the join r5 is null
   * checked and used (the mutation checks r9 instead, which is only right
   * on the side where r5 aliases r9). r9 ends as a scalar again.
   */
  private aliasedLookups(): void {
    const { b, rng } = this;
    if (this.counter === 9) return this.mapAccess();
    const fd = rng.pick([FUZZ_FD.one, FUZZ_FD.hash]);
    b.st(Size.W, 10, -4, rng.int(2)).ldMapFd(1, fd).mov64(2, 10).add64Imm(2, -4).call(H.map_lookup_elem).mov64(9, 0);
    b.st(Size.W, 10, -4, rng.int(2)).ldMapFd(1, fd).mov64(2, 10).add64Imm(2, -4).call(H.map_lookup_elem).mov64(5, 0);
    if (this.depth === 0) this.keyInit = true;
    const other = this.label();
    const join = this.label();
    const skip = this.label();
    const aliasOnTaken = rng.chance(0.5);
    b.ldx(Size.DW, 1, 6, 8 * rng.int(this.nargs)).jmpImm(rng.pick(COND_OPS), 1, rng.pick(SMALL), other);
    if (!aliasOnTaken) b.mov64(5, 9);
    b.mov64Imm(1, 0).ja(join);
    b.label(other);
    if (aliasOnTaken) b.mov64(5, 9);
    b.mov64Imm(1, 0);
    b.label(join);
    b.jmpImm(JmpOp.JEQ, this.mut("null-check-of-the-wrong-alias") ? 9 : 5, 0, skip);
    this.access(5, VALUE_SIZE[fd]!, skip, true);
    b.label(skip).mov64Imm(9, rng.pick(SMALL));
  }

  private mapUpdate(): void {
    const { b, rng } = this;
    // The value is at fp-32 (24 bytes, map "one") or fp-24 (16 bytes, the hash).
    if (!this.mut("uninit-value", this.pm / 2)) {
      for (const s of [-32, -24, -16]) {
        b.stx(Size.DW, 10, s, this.v());
        if (this.depth === 0) this.stackInit.add(s);
      }
    }
    this.storeKey();
    const fd = rng.chance(0.8) ? FUZZ_FD.hash : FUZZ_FD.one;
    b.ldMapFd(1, fd);
    b.mov64(2, 10);
    b.add64Imm(2, -4);
    b.mov64(3, 10);
    b.add64Imm(3, -8 - VALUE_SIZE[fd]!);
    b.mov64Imm(4, rng.pick([0, 0, 1, 2]));
    b.call(H.map_update_elem);
    if (rng.chance(0.5)) b.mov64(this.v(), 0);
  }

  private ringbuf(): void {
    const { b, rng } = this;
    const size = rng.pick([8, 16, 24, 32]);
    b.ldMapFd(1, FUZZ_FD.rb);
    b.mov64Imm(2, size);
    b.mov64Imm(3, 0);
    b.call(H.ringbuf_reserve);
    const skip = this.label();
    if (!this.mut("ringbuf-no-null-check")) b.jmpImm(JmpOp.JEQ, 0, 0, skip);
    const writes = rng.range(0, 2);
    for (let i = 0; i < writes; i++) {
      let off = 8 * rng.int(size / 8);
      if (this.mut("ringbuf-write-past-record")) off = rng.chance(0.5) ? size : size - 4;
      if (rng.chance(0.5)) b.stx(Size.DW, 0, off, this.v());
      else b.st(Size.W, 0, off, rng.pick(SMALL));
    }
    if (rng.chance(0.2)) {
      b.mov64(3, this.v());
      let m = maskBelow(size - 8);
      if (this.mut("mask-too-big")) m = m * 2 + 1;
      b.and64Imm(3, m);
      b.mov64(4, 0);
      b.add64(4, 3);
      b.stx(Size.DW, 4, 0, this.v());
    }
    let uaf = false;
    if (this.mut("ringbuf-use-after-release", this.pm / 2)) {
      b.mov64(9, 0);
      uaf = true;
    }
    const release = (id: number) => {
      b.mov64(1, 0);
      if (this.mut("ringbuf-release-modified", this.pm / 3)) b.add64Imm(1, 8);
      b.mov64Imm(2, 0);
      b.call(id);
    };
    if (rng.chance(0.35)) {
      const other = this.label();
      const done = this.label();
      b.jmpImm(rng.pick(COND_OPS), this.v(), rng.pick(SMALL), other);
      if (!this.mut("ringbuf-leak-on-a-path")) release(H.ringbuf_discard);
      b.ja(done);
      b.label(other);
      release(H.ringbuf_submit);
      b.label(done);
    } else if (!this.mut("ringbuf-leak", this.pm / 2)) {
      release(rng.chance(0.7) ? H.ringbuf_submit : H.ringbuf_discard);
    }
    if (uaf) {
      b.st(Size.DW, 9, 0, 1);
      b.mov64Imm(9, 0);
    }
    b.label(skip);
  }

  private helper(): void {
    const { b, rng } = this;
    b.call(rng.pick([H.ktime_get_ns, H.get_prandom_u32, H.get_smp_processor_id, H.get_current_pid_tgid, H.get_current_uid_gid, H.ktime_get_boot_ns]));
    let src: Register = 0;
    if (this.mut("read-clobbered-register", this.pm / 2)) src = rng.pick([1, 2, 3, 4, 5] as const);
    b.mov64(this.v(), src);
  }

  private probeRead(): void {
    const { b, rng } = this;
    const base = this.slot();
    const room = -base;
    let constLen: number | undefined;
    const style = rng.int(3);
    if (style === 0) {
      constLen = rng.range(1, room);
      if (this.mut("probe-read-overflow")) constLen = room + rng.pick([1, 8]);
      b.mov64Imm(2, constLen);
    } else if (style === 1) {
      b.mov64(2, this.v());
      let m = maskBelow(room);
      if (this.mut("mask-too-big")) m = m * 2 + 1;
      b.and64Imm(2, m);
    } else {
      b.mov64(2, this.v());
      const skip = this.label();
      b.jmpImm(this.mut("size-signed-bound-only", this.pm / 2) ? JmpOp.JSGT : JmpOp.JGT, 2, room, skip);
      b.mov64(1, 10);
      b.add64Imm(1, base);
      b.mov64(3, this.v());
      b.call(H.probe_read_kernel);
      b.label(skip);
      return;
    }
    b.mov64(1, 10);
    b.add64Imm(1, base);
    const src = rng.int(3);
    if (src === 0) b.mov64(3, this.v());
    else if (src === 1) b.ldMapValue(3, FUZZ_FD.one, 8 * rng.int(3));
    else b.mov64(3, 6);
    b.call(H.probe_read_kernel);
    if (constLen !== undefined && constLen <= room && this.depth === 0) {
      for (let s = base; s + 8 <= base + constLen; s += 8) this.stackInit.add(s);
    }
  }

  private spillPtr(): void {
    const { b, rng } = this;
    const slot = this.slot();
    b.stx(Size.DW, 10, slot, 6);
    this.stackInit.delete(slot);
    if (rng.chance(0.5)) this.alu();
    b.ldx(this.mut("partial-pointer-fill", this.pm / 2) ? Size.W : Size.DW, 1, 10, slot);
    b.ldx(Size.DW, this.v(), 1, 8 * rng.int(this.nargs));
  }

  private subCall(): void {
    const { b, rng } = this;
    const k = rng.int(4);
    if (this.mut("callee-returns-stack-pointer", this.pm / 3)) {
      this.subs.add("sub_retfp");
      b.callLocal("sub_retfp");
      b.mov64(this.v(), 0);
      return;
    }
    if (k <= 1) {
      const slot = this.slot();
      b.mov64(1, 10);
      b.add64Imm(1, slot + (this.mut("callee-store-misaligned", this.pm / 2) ? 4 : 0));
      b.mov64(2, this.v());
      this.subs.add("sub_store");
      b.callLocal("sub_store");
      b.mov64(this.v(), 0);
      if (this.depth === 0) this.stackInit.add(slot);
    } else if (k === 2) {
      let slot: number;
      if (this.mut("callee-reads-uninit", this.pm / 2)) slot = this.slot();
      else if (this.stackInit.size === 0) {
        slot = this.slot();
        b.st(Size.DW, 10, slot, rng.pick(SMALL));
        if (this.depth === 0) this.stackInit.add(slot);
      } else slot = rng.pick([...this.stackInit]);
      b.mov64(1, 10);
      b.add64Imm(1, slot);
      this.subs.add("sub_load");
      b.callLocal("sub_load");
      b.mov64(this.v(), 0);
    } else if (this.kind.kind === "tracing") {
      // The callee looks up "one" and returns the value pointer or NULL.
      this.subs.add("sub_lookup");
      b.callLocal("sub_lookup");
      const skip = this.label();
      if (!this.mut("no-null-check")) b.jmpImm(JmpOp.JEQ, 0, 0, skip);
      this.access(0, VALUE_SIZE[FUZZ_FD.one]!, skip, true);
      b.label(skip);
    } else {
      this.alu();
    }
  }

  private bpfLoop(): void {
    const { b, rng } = this;
    const slot = this.slot();
    b.st(Size.DW, 10, slot, rng.pick([0, 0, 8, 16]));
    let nr = rng.range(0, 4);
    if (this.mut("bpf-loop-huge-count", this.pm / 3)) nr = 1 << 24;
    let cb = rng.pick(["cb_sum", "cb_index", "cb_stop"]);
    if (this.mut("callback-bad-return", this.pm / 2)) cb = "cb_bad";
    else if (cb === "cb_index" && this.mut("callback-no-bound")) cb = "cb_index_nb";
    this.subs.add(cb);
    b.mov64Imm(1, nr);
    b.ldFunc(2, cb);
    b.mov64(3, 10);
    b.add64Imm(3, slot);
    b.mov64Imm(4, 0);
    b.call(H.loop);
    if (rng.chance(0.5)) b.mov64(this.v(), 0);
    b.ldx(Size.DW, this.v(), 10, slot);
    if (this.depth === 0) this.stackInit.add(slot);
  }

  /** A random ALU chain on r3 whose result offsets a map value (or the test memory) pointer. */
  private aluChainAccess(): void {
    const { b, rng } = this;
    const objSize = this.kind.kind === "tracing" ? VALUE_SIZE[FUZZ_FD.one]! : this.memSize;
    if (rng.chance(0.6)) b.mov64(3, this.v());
    else b.mov64Imm(3, rng.pick(SMALL));
    const n = rng.range(1, 4);
    for (let i = 0; i < n; i++) {
      const is64 = rng.chance(0.7);
      const r = rng.int(12);
      if (r === 0) {
        if (is64) b.neg64(3);
        else b.neg32(3);
      } else if (r === 1) {
        if (is64) b.movsx64(3, 3, rng.pick([8, 16, 32] as const));
        else b.movsx32(3, 3, rng.pick([8, 16] as const));
      } else if (r === 2 && rng.chance(0.5)) {
        const w = rng.pick([16, 32, 64] as const);
        rng.chance(0.5) ? b.be(3, w) : b.le(3, w);
      } else if (r <= 4) {
        const op = rng.pick(ALU_OPS);
        if (is64) b.alu64(op, 3, this.v());
        else b.alu32(op, 3, this.v());
      } else {
        const op = rng.pick(ALU_OPS);
        const imm = this.immFor(op, is64);
        if (is64) b.alu64Imm(op, 3, imm);
        else b.alu32Imm(op, 3, imm);
      }
    }
    const skip = this.label();
    if (rng.chance(0.5)) {
      const op = rng.pick(COND_OPS);
      const imm = rng.pick([...SMALL, objSize - 1, objSize, objSize - 8]);
      if (rng.chance(0.3)) b.jmp32Imm(op, 3, imm, skip);
      else b.jmpImm(op, 3, imm, skip);
    }
    if (rng.chance(0.4)) b.and64Imm(3, rng.pick([7, 15, 31, 16, 8]));
    if (this.kind.kind === "tracing") b.ldMapValue(4, FUZZ_FD.one, 0);
    else b.mov64(4, 6);
    b.add64(4, 3);
    const size = rng.pick(SIZES);
    if (rng.chance(0.5)) b.ldx(size, this.v(), 4, 0);
    else b.st(size, 4, 0, rng.pick(SMALL));
    b.label(skip);
  }

  /** A constant compared with a constant: the unsafe store behind it is dead iff the branch is always taken. */
  private deadBranch(): void {
    const { b, rng } = this;
    const live = this.label();
    const value = rng.pick(SMALL);
    const imm = rng.chance(0.5) ? rng.pick(SMALL) : Math.max(-0x80000000, Math.min(0x7fffffff, value + rng.range(-1, 1)));
    const op = rng.pick(COND_OPS);
    if (rng.chance(0.5)) b.mov64Imm(3, value);
    else b.lddw(3, BigInt.asIntN(64, BigInt(value) * 0x100000001n));
    if (rng.chance(0.3)) b.jmp32Imm(op, 3, imm, live);
    else b.jmpImm(op, 3, imm, live);
    b.st(Size.DW, 3, 0, 1); // r3 is a scalar: unsafe if reachable
    b.label(live);
  }

  private memAccess(): void {
    const { b, rng } = this;
    const skip = this.label();
    const k = rng.range(1, 3);
    for (let i = 0; i < k; i++) this.access(6, this.memSize, skip, true);
    b.label(skip);
  }

  private memLoop(): void {
    const { b, rng } = this;
    if (this.counter !== undefined || this.memSize === 0) return this.memAccess();
    const n = Math.min(this.memSize, rng.pick([4, 8, 16]));
    const head = this.label();
    b.mov64Imm(3, 0);
    b.label(head);
    b.mov64(4, 6);
    b.add64(4, 3);
    b.ldx(Size.B, 5, 4, 0);
    b.add64(this.v(), 5);
    b.add64Imm(3, 1);
    b.jmpImm(this.mut("loop-bound-off-by-one") ? JmpOp.JLE : JmpOp.JLT, 3, this.mut("loop-bound-too-big", this.pm / 2) ? this.memSize + 1 : n, head);
  }

  private callx(): void {
    const { b, rng } = this;
    b.mov64(1, this.v());
    if (this.mut("callx-unknown-target", this.pm / 2)) b.mov64(5, this.v());
    else b.mov64Imm(5, 5);
    if (rng.chance(0.5)) b.callx(5);
    else b.call(this.mut("helper-not-allowed", this.pm / 2) ? 1 : 5);
    b.mov64(this.v(), 0);
  }

  private emitSubprograms(): void {
    const { b } = this;
    for (const name of [...this.subs].sort()) {
      b.label(name);
      switch (name) {
        case "sub_store":
          b.stx(Size.DW, 1, 0, 2).mov64(0, 2).exit();
          break;
        case "sub_load":
          b.ldx(Size.DW, 0, 1, 0).exit();
          break;
        case "sub_retfp":
          b.mov64(0, 10).add64Imm(0, -8).exit();
          break;
        case "sub_lookup":
          b.st(Size.W, 10, -4, 0).ldMapFd(1, FUZZ_FD.one).mov64(2, 10).add64Imm(2, -4).call(H.map_lookup_elem).exit();
          break;
        case "cb_sum":
          b.ldx(Size.DW, 3, 2, 0).add64(3, 1).stx(Size.DW, 2, 0, 3).mov64Imm(0, 0).exit();
          break;
        case "cb_stop":
          b.mov64Imm(0, 0).jmpImm(JmpOp.JLT, 1, 2, "cb_stop_out").mov64Imm(0, 1).label("cb_stop_out").exit();
          break;
        case "cb_bad":
          b.mov64Imm(0, 2).exit();
          break;
        case "cb_index":
        case "cb_index_nb": {
          const out = `${name}_out`;
          b.ldx(Size.DW, 3, 2, 0);
          if (name === "cb_index") b.jmpImm(JmpOp.JGT, 3, 16, out);
          b.ldMapValue(4, FUZZ_FD.one, 0).add64(4, 3).stx(Size.DW, 4, 0, 1);
          b.label(out).add64Imm(3, 8).stx(Size.DW, 2, 0, 3).mov64Imm(0, 0).exit();
          break;
        }
        default:
          throw new Error(`unknown subprogram ${name}`);
      }
    }
  }
}

/** The program of `seed` (deterministic). */
export function generateProgram(seed: number, options: GenOptions = {}): GeneratedProgram {
  const rng = new Rng(seed);
  const kind: GenKind = rng.chance(0.78)
    ? { kind: "tracing", nargs: rng.pick([1, 2, 4, 6]) }
    : { kind: "conformance", memSize: rng.pick([0, 8, 16, 16, 32, 64]) };
  const privileged = rng.chance(0.88);
  const g = new Gen(rng, kind, options.mutationRate ?? 0.05);
  g.generate(options.blocks ?? [2, 7]);
  const insns = g.b.link();
  return { seed, kind, privileged, insns, program: programFromInsns(insns), mutations: g.mutations };
}
