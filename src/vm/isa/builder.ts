// Code generation DSL (in the spirit of cilium/ebpf's asm package):
// instructions are data appended by typed methods, jumps and local calls
// name labels that may be defined later, and link() resolves them to
// slot-relative offsets (an lddw counts as two slots), checks ranges and
// validates every instruction against the ISA.
import { InsnError } from "../errors.js";
import {
  AluOp,
  AtomicOp,
  Class,
  JmpOp,
  LDDW,
  Mode,
  PseudoCall,
  PseudoLd,
  Size,
  Source,
  type AluOpCode,
  type JmpOpCode,
  type Register,
  type SizeCode,
} from "./opcodes.js";
import { slotCount, type Instruction } from "./instruction.js";
import { validateInsn } from "./decode.js";

/** A jump/call target: a label name, or a raw slot offset relative to the next instruction. */
export type Target = string | number;
/** Conditional jump operations (everything in JmpOp except JA, CALL, EXIT). */
export type CondJmpOp = Exclude<JmpOpCode, typeof JmpOp.JA | typeof JmpOp.CALL | typeof JmpOp.EXIT>;
/** ALU operations with a source operand (everything in AluOp except NEG and END). */
export type BinAluOp = Exclude<AluOpCode, typeof AluOp.NEG | typeof AluOp.END>;
/** Atomic operations as stored in imm. */
export type AtomicImm = number;
/** Widths of a byte swap. */
export type SwapWidth = 16 | 32 | 64;

/** Where link() writes a resolved target: the off field (jumps) or the imm field (ja32, call local, lddw func). */
type RefField = "off" | "imm";

interface Entry {
  insn: Instruction;
  ref?: { target: string; field: RefField };
}

export interface LinkOptions {
  /** Turn a `ja` whose offset does not fit s16 into a `ja32` (gotol, 32-bit imm) instead of failing. */
  longJumps?: boolean;
}

function s32(v: number): number {
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) {
    throw new InsnError(`immediate ${v} does not fit in 32 bits`);
  }
  return v | 0;
}

function s16(v: number, what: string): number {
  if (!Number.isInteger(v) || v < -0x8000 || v > 0x7fff) throw new InsnError(`${what} ${v} does not fit in s16`);
  return v;
}

/**
 * Builds an instruction list. Every emitting method returns `this` for
 * chaining. Registers are 0..10 (use `Reg.R1` etc.), sizes are `Size.*`.
 *
 *   const b = new ProgramBuilder();
 *   b.mov64(R6, R1).ldx(Size.DW, R0, R6, 16).jmpImm(JmpOp.JEQ, R0, 0, "out")
 *    .mov64Imm(R0, 1).label("out").exit();
 *   const insns = b.link();
 */
export class ProgramBuilder {
  private readonly entries: Entry[] = [];
  private readonly labels = new Map<string, number>(); // label → entry index
  private slots = 0;

  /** Number of 8-byte slots emitted so far (the slot index of the next instruction). */
  get slotCount(): number {
    return this.slots;
  }

  /** The instructions emitted so far, unresolved (targets not yet filled in). */
  get instructions(): readonly Instruction[] {
    return this.entries.map((e) => e.insn);
  }

  /** Appends one instruction record as-is (validated at link time). */
  raw(insn: Instruction): this {
    return this.push({ ...insn });
  }

  private push(insn: Instruction, ref?: Entry["ref"]): this {
    this.entries.push(ref === undefined ? { insn } : { insn, ref });
    this.slots += slotCount(insn);
    return this;
  }

  private target(insn: Instruction, target: Target, field: RefField): this {
    if (typeof target === "number") {
      insn[field] = field === "off" ? s16(target, "jump offset") : s32(target);
      return this.push(insn);
    }
    return this.push(insn, { target, field });
  }

  /** Defines `name` at the next instruction. Throws on a duplicate. */
  label(name: string): this {
    if (name === "") throw new InsnError("empty label name");
    const prev = this.labels.get(name);
    if (prev !== undefined) {
      throw new InsnError(`duplicate label "${name}" (first defined at insn ${this.slotOfEntry(prev)})`, this.slots);
    }
    this.labels.set(name, this.entries.length);
    return this;
  }

  private slotOfEntry(entryIndex: number): number {
    let slot = 0;
    for (let i = 0; i < entryIndex; i++) slot += slotCount(this.entries[i]!.insn);
    return slot;
  }

  // ---- ALU -------------------------------------------------------------

  /** dst op= src (64-bit). */
  alu64(op: BinAluOp, dst: Register, src: Register): this {
    return this.push({ opcode: Class.ALU64 | op | Source.X, dst, src, off: 0, imm: 0 });
  }
  /** dst op= imm (64-bit, imm sign-extended). */
  alu64Imm(op: BinAluOp, dst: Register, imm: number): this {
    return this.push({ opcode: Class.ALU64 | op | Source.K, dst, src: 0, off: 0, imm: s32(imm) });
  }
  /** wdst op= wsrc (32-bit, upper half zeroed). */
  alu32(op: BinAluOp, dst: Register, src: Register): this {
    return this.push({ opcode: Class.ALU | op | Source.X, dst, src, off: 0, imm: 0 });
  }
  /** wdst op= imm (32-bit). */
  alu32Imm(op: BinAluOp, dst: Register, imm: number): this {
    return this.push({ opcode: Class.ALU | op | Source.K, dst, src: 0, off: 0, imm: s32(imm) });
  }

  add64(dst: Register, src: Register): this { return this.alu64(AluOp.ADD, dst, src); }
  add64Imm(dst: Register, imm: number): this { return this.alu64Imm(AluOp.ADD, dst, imm); }
  add32(dst: Register, src: Register): this { return this.alu32(AluOp.ADD, dst, src); }
  add32Imm(dst: Register, imm: number): this { return this.alu32Imm(AluOp.ADD, dst, imm); }
  sub64(dst: Register, src: Register): this { return this.alu64(AluOp.SUB, dst, src); }
  sub64Imm(dst: Register, imm: number): this { return this.alu64Imm(AluOp.SUB, dst, imm); }
  sub32(dst: Register, src: Register): this { return this.alu32(AluOp.SUB, dst, src); }
  sub32Imm(dst: Register, imm: number): this { return this.alu32Imm(AluOp.SUB, dst, imm); }
  mul64(dst: Register, src: Register): this { return this.alu64(AluOp.MUL, dst, src); }
  mul64Imm(dst: Register, imm: number): this { return this.alu64Imm(AluOp.MUL, dst, imm); }
  mul32(dst: Register, src: Register): this { return this.alu32(AluOp.MUL, dst, src); }
  mul32Imm(dst: Register, imm: number): this { return this.alu32Imm(AluOp.MUL, dst, imm); }
  div64(dst: Register, src: Register): this { return this.alu64(AluOp.DIV, dst, src); }
  div64Imm(dst: Register, imm: number): this { return this.alu64Imm(AluOp.DIV, dst, imm); }
  div32(dst: Register, src: Register): this { return this.alu32(AluOp.DIV, dst, src); }
  div32Imm(dst: Register, imm: number): this { return this.alu32Imm(AluOp.DIV, dst, imm); }
  mod64(dst: Register, src: Register): this { return this.alu64(AluOp.MOD, dst, src); }
  mod64Imm(dst: Register, imm: number): this { return this.alu64Imm(AluOp.MOD, dst, imm); }
  mod32(dst: Register, src: Register): this { return this.alu32(AluOp.MOD, dst, src); }
  mod32Imm(dst: Register, imm: number): this { return this.alu32Imm(AluOp.MOD, dst, imm); }
  or64(dst: Register, src: Register): this { return this.alu64(AluOp.OR, dst, src); }
  or64Imm(dst: Register, imm: number): this { return this.alu64Imm(AluOp.OR, dst, imm); }
  or32(dst: Register, src: Register): this { return this.alu32(AluOp.OR, dst, src); }
  or32Imm(dst: Register, imm: number): this { return this.alu32Imm(AluOp.OR, dst, imm); }
  and64(dst: Register, src: Register): this { return this.alu64(AluOp.AND, dst, src); }
  and64Imm(dst: Register, imm: number): this { return this.alu64Imm(AluOp.AND, dst, imm); }
  and32(dst: Register, src: Register): this { return this.alu32(AluOp.AND, dst, src); }
  and32Imm(dst: Register, imm: number): this { return this.alu32Imm(AluOp.AND, dst, imm); }
  xor64(dst: Register, src: Register): this { return this.alu64(AluOp.XOR, dst, src); }
  xor64Imm(dst: Register, imm: number): this { return this.alu64Imm(AluOp.XOR, dst, imm); }
  xor32(dst: Register, src: Register): this { return this.alu32(AluOp.XOR, dst, src); }
  xor32Imm(dst: Register, imm: number): this { return this.alu32Imm(AluOp.XOR, dst, imm); }
  lsh64(dst: Register, src: Register): this { return this.alu64(AluOp.LSH, dst, src); }
  lsh64Imm(dst: Register, imm: number): this { return this.alu64Imm(AluOp.LSH, dst, imm); }
  lsh32(dst: Register, src: Register): this { return this.alu32(AluOp.LSH, dst, src); }
  lsh32Imm(dst: Register, imm: number): this { return this.alu32Imm(AluOp.LSH, dst, imm); }
  rsh64(dst: Register, src: Register): this { return this.alu64(AluOp.RSH, dst, src); }
  rsh64Imm(dst: Register, imm: number): this { return this.alu64Imm(AluOp.RSH, dst, imm); }
  rsh32(dst: Register, src: Register): this { return this.alu32(AluOp.RSH, dst, src); }
  rsh32Imm(dst: Register, imm: number): this { return this.alu32Imm(AluOp.RSH, dst, imm); }
  arsh64(dst: Register, src: Register): this { return this.alu64(AluOp.ARSH, dst, src); }
  arsh64Imm(dst: Register, imm: number): this { return this.alu64Imm(AluOp.ARSH, dst, imm); }
  arsh32(dst: Register, src: Register): this { return this.alu32(AluOp.ARSH, dst, src); }
  arsh32Imm(dst: Register, imm: number): this { return this.alu32Imm(AluOp.ARSH, dst, imm); }
  mov64(dst: Register, src: Register): this { return this.alu64(AluOp.MOV, dst, src); }
  mov64Imm(dst: Register, imm: number): this { return this.alu64Imm(AluOp.MOV, dst, imm); }
  mov32(dst: Register, src: Register): this { return this.alu32(AluOp.MOV, dst, src); }
  mov32Imm(dst: Register, imm: number): this { return this.alu32Imm(AluOp.MOV, dst, imm); }

  /** Signed division (off = 1). */
  sdiv64(dst: Register, src: Register): this { return this.signed(Class.ALU64, AluOp.DIV, dst, src); }
  sdiv64Imm(dst: Register, imm: number): this { return this.signedImm(Class.ALU64, AluOp.DIV, dst, imm); }
  sdiv32(dst: Register, src: Register): this { return this.signed(Class.ALU, AluOp.DIV, dst, src); }
  sdiv32Imm(dst: Register, imm: number): this { return this.signedImm(Class.ALU, AluOp.DIV, dst, imm); }
  /** Signed modulo (off = 1). */
  smod64(dst: Register, src: Register): this { return this.signed(Class.ALU64, AluOp.MOD, dst, src); }
  smod64Imm(dst: Register, imm: number): this { return this.signedImm(Class.ALU64, AluOp.MOD, dst, imm); }
  smod32(dst: Register, src: Register): this { return this.signed(Class.ALU, AluOp.MOD, dst, src); }
  smod32Imm(dst: Register, imm: number): this { return this.signedImm(Class.ALU, AluOp.MOD, dst, imm); }

  private signed(cls: number, op: number, dst: Register, src: Register): this {
    return this.push({ opcode: cls | op | Source.X, dst, src, off: 1, imm: 0 });
  }
  private signedImm(cls: number, op: number, dst: Register, imm: number): this {
    return this.push({ opcode: cls | op | Source.K, dst, src: 0, off: 1, imm: s32(imm) });
  }

  /** dst = (s8|s16|s32) src, sign-extended to 64 bits. */
  movsx64(dst: Register, src: Register, bits: 8 | 16 | 32): this {
    return this.push({ opcode: Class.ALU64 | AluOp.MOV | Source.X, dst, src, off: bits, imm: 0 });
  }
  /** wdst = (s8|s16) wsrc, sign-extended to 32 bits, upper half zeroed. */
  movsx32(dst: Register, src: Register, bits: 8 | 16): this {
    return this.push({ opcode: Class.ALU | AluOp.MOV | Source.X, dst, src, off: bits, imm: 0 });
  }
  /** dst = -dst (64-bit). */
  neg64(dst: Register): this {
    return this.push({ opcode: Class.ALU64 | AluOp.NEG, dst, src: 0, off: 0, imm: 0 });
  }
  /** wdst = -wdst (32-bit). */
  neg32(dst: Register): this {
    return this.push({ opcode: Class.ALU | AluOp.NEG, dst, src: 0, off: 0, imm: 0 });
  }
  /** dst = htole<width>(dst) (0xd4). */
  le(dst: Register, width: SwapWidth): this {
    return this.push({ opcode: Class.ALU | AluOp.END | Source.K, dst, src: 0, off: 0, imm: width });
  }
  /** dst = htobe<width>(dst) (0xdc). */
  be(dst: Register, width: SwapWidth): this {
    return this.push({ opcode: Class.ALU | AluOp.END | Source.X, dst, src: 0, off: 0, imm: width });
  }
  /** dst = bswap<width>(dst), unconditional (0xd7, v4). */
  bswap(dst: Register, width: SwapWidth): this {
    return this.push({ opcode: Class.ALU64 | AluOp.END, dst, src: 0, off: 0, imm: width });
  }

  // ---- memory ------------------------------------------------------------

  /** dst = *(size *)(src + off), zero-extended. */
  ldx(size: SizeCode, dst: Register, src: Register, off: number): this {
    return this.push({ opcode: Class.LDX | Mode.MEM | size, dst, src, off: s16(off, "offset"), imm: 0 });
  }
  /** dst = *(s8|s16|s32 *)(src + off), sign-extended (v4). */
  ldxs(size: typeof Size.W | typeof Size.H | typeof Size.B, dst: Register, src: Register, off: number): this {
    return this.push({ opcode: Class.LDX | Mode.MEMSX | size, dst, src, off: s16(off, "offset"), imm: 0 });
  }
  /** *(size *)(dst + off) = imm. */
  st(size: SizeCode, dst: Register, off: number, imm: number): this {
    return this.push({ opcode: Class.ST | Mode.MEM | size, dst, src: 0, off: s16(off, "offset"), imm: s32(imm) });
  }
  /** *(size *)(dst + off) = src. */
  stx(size: SizeCode, dst: Register, off: number, src: Register): this {
    return this.push({ opcode: Class.STX | Mode.MEM | size, dst, src, off: s16(off, "offset"), imm: 0 });
  }

  /** Any atomic read-modify-write on *(size *)(dst + off) with operand src; `imm` from AtomicOp. */
  atomic(size: typeof Size.W | typeof Size.DW, imm: AtomicImm, dst: Register, off: number, src: Register): this {
    return this.push({ opcode: Class.STX | Mode.ATOMIC | size, dst, src, off: s16(off, "offset"), imm });
  }
  /** lock *(size *)(dst + off) += src */
  atomicAdd(size: typeof Size.W | typeof Size.DW, dst: Register, off: number, src: Register, fetch = false): this {
    return this.atomic(size, AtomicOp.ADD | (fetch ? AtomicOp.FETCH : 0), dst, off, src);
  }
  /** lock *(size *)(dst + off) |= src */
  atomicOr(size: typeof Size.W | typeof Size.DW, dst: Register, off: number, src: Register, fetch = false): this {
    return this.atomic(size, AtomicOp.OR | (fetch ? AtomicOp.FETCH : 0), dst, off, src);
  }
  /** lock *(size *)(dst + off) &= src */
  atomicAnd(size: typeof Size.W | typeof Size.DW, dst: Register, off: number, src: Register, fetch = false): this {
    return this.atomic(size, AtomicOp.AND | (fetch ? AtomicOp.FETCH : 0), dst, off, src);
  }
  /** lock *(size *)(dst + off) ^= src */
  atomicXor(size: typeof Size.W | typeof Size.DW, dst: Register, off: number, src: Register, fetch = false): this {
    return this.atomic(size, AtomicOp.XOR | (fetch ? AtomicOp.FETCH : 0), dst, off, src);
  }
  /** src = xchg(*(size *)(dst + off), src) */
  atomicXchg(size: typeof Size.W | typeof Size.DW, dst: Register, off: number, src: Register): this {
    return this.atomic(size, AtomicOp.XCHG, dst, off, src);
  }
  /** r0 = cmpxchg(*(size *)(dst + off), r0, src) */
  atomicCmpxchg(size: typeof Size.W | typeof Size.DW, dst: Register, off: number, src: Register): this {
    return this.atomic(size, AtomicOp.CMPXCHG, dst, off, src);
  }

  /** r0 = ntoh(*(size *)(skb + imm)) — legacy packet load. */
  ldAbs(size: typeof Size.W | typeof Size.H | typeof Size.B, imm: number): this {
    return this.push({ opcode: Class.LD | Mode.ABS | size, dst: 0, src: 0, off: 0, imm: s32(imm) });
  }
  /** r0 = ntoh(*(size *)(skb + src + imm)) — legacy packet load. */
  ldInd(size: typeof Size.W | typeof Size.H | typeof Size.B, src: Register, imm: number): this {
    return this.push({ opcode: Class.LD | Mode.IND | size, dst: 0, src, off: 0, imm: s32(imm) });
  }

  // ---- 64-bit immediates (lddw, two slots) ---------------------------------

  private ld64(dst: Register, src: number, imm: number, imm2: number): this {
    return this.push({ opcode: LDDW, dst, src, off: 0, imm: s32(imm), imm2: s32(imm2) });
  }
  /** dst = value (64-bit; a number must be a safe integer, negative values are two's complement). */
  lddw(dst: Register, value: bigint | number): this {
    if (typeof value === "number" && !Number.isSafeInteger(value)) throw new InsnError(`lddw value ${value} is not a safe integer`);
    const big = BigInt(value);
    if (big < -(1n << 63n) || big >= 1n << 64n) throw new InsnError(`lddw value ${value} does not fit in 64 bits`);
    const u = BigInt.asUintN(64, big);
    return this.ld64(dst, PseudoLd.IMM64, Number(BigInt.asIntN(32, u)), Number(BigInt.asIntN(32, u >> 32n)));
  }
  /** dst = map referenced by fd (lddw src=1). */
  ldMapFd(dst: Register, fd: number): this { return this.ld64(dst, PseudoLd.MAP_FD, fd, 0); }
  /** dst = address of the map value at `offset` of the map referenced by fd (lddw src=2). */
  ldMapValue(dst: Register, fd: number, offset = 0): this { return this.ld64(dst, PseudoLd.MAP_VALUE, fd, offset); }
  /** dst = map by index into the program's map array (lddw src=5). */
  ldMapIdx(dst: Register, idx: number): this { return this.ld64(dst, PseudoLd.MAP_IDX, idx, 0); }
  /** dst = address of the value at `offset` of the map at index idx (lddw src=6). */
  ldMapIdxValue(dst: Register, idx: number, offset = 0): this { return this.ld64(dst, PseudoLd.MAP_IDX_VALUE, idx, offset); }
  /** dst = address of the variable with BTF id (lddw src=3). */
  ldBtfId(dst: Register, btfId: number): this { return this.ld64(dst, PseudoLd.BTF_ID, btfId, 0); }
  /** dst = address of the subprogram at `target` (lddw src=4, imm relative like a local call). */
  ldFunc(dst: Register, target: Target): this {
    return this.target({ opcode: LDDW, dst, src: PseudoLd.FUNC, off: 0, imm: 0, imm2: 0 }, target, "imm");
  }

  // ---- control flow --------------------------------------------------------

  /** goto target (16-bit offset). */
  ja(target: Target): this {
    return this.target({ opcode: Class.JMP | JmpOp.JA, dst: 0, src: 0, off: 0, imm: 0 }, target, "off");
  }
  /** gotol target (JMP32|JA, 32-bit offset in imm, v4). */
  ja32(target: Target): this {
    return this.target({ opcode: Class.JMP32 | JmpOp.JA, dst: 0, src: 0, off: 0, imm: 0 }, target, "imm");
  }
  /** if dst <op> imm goto target (64-bit compare, imm sign-extended). */
  jmpImm(op: CondJmpOp, dst: Register, imm: number, target: Target): this {
    return this.target({ opcode: Class.JMP | op | Source.K, dst, src: 0, off: 0, imm: s32(imm) }, target, "off");
  }
  /** if dst <op> src goto target (64-bit compare). */
  jmpReg(op: CondJmpOp, dst: Register, src: Register, target: Target): this {
    return this.target({ opcode: Class.JMP | op | Source.X, dst, src, off: 0, imm: 0 }, target, "off");
  }
  /** if wdst <op> imm goto target (32-bit compare). */
  jmp32Imm(op: CondJmpOp, dst: Register, imm: number, target: Target): this {
    return this.target({ opcode: Class.JMP32 | op | Source.K, dst, src: 0, off: 0, imm: s32(imm) }, target, "off");
  }
  /** if wdst <op> wsrc goto target (32-bit compare). */
  jmp32Reg(op: CondJmpOp, dst: Register, src: Register, target: Target): this {
    return this.target({ opcode: Class.JMP32 | op | Source.X, dst, src, off: 0, imm: 0 }, target, "off");
  }
  /** Call helper `id` (src=0). */
  call(helperId: number): this {
    return this.push({ opcode: Class.JMP | JmpOp.CALL, dst: 0, src: PseudoCall.HELPER, off: 0, imm: s32(helperId) });
  }
  /** Call the kfunc with BTF id `btfId` (src=2). */
  callKfunc(btfId: number): this {
    return this.push({ opcode: Class.JMP | JmpOp.CALL, dst: 0, src: PseudoCall.KFUNC, off: 0, imm: s32(btfId) });
  }
  /** bpf-to-bpf call of the subprogram at `target` (src=1, imm relative). */
  callLocal(target: Target): this {
    return this.target({ opcode: Class.JMP | JmpOp.CALL, dst: 0, src: PseudoCall.LOCAL, off: 0, imm: 0 }, target, "imm");
  }
  /** Call the helper whose id is in register `reg` (callx, 0x8d, register in dst). */
  callx(reg: Register): this {
    return this.push({ opcode: Class.JMP | JmpOp.CALL | Source.X, dst: reg, src: 0, off: 0, imm: 0 });
  }
  /** return r0 */
  exit(): this {
    return this.push({ opcode: Class.JMP | JmpOp.EXIT, dst: 0, src: 0, off: 0, imm: 0 });
  }

  // ---- linking ---------------------------------------------------------------

  /**
   * Resolves label targets (offset = target slot - (slot + 1)), checks that
   * every 16-bit jump offset fits (with `longJumps`, an out-of-range `ja`
   * becomes `ja32`), validates every instruction, and returns fresh records.
   */
  link(opts: LinkOptions = {}): Instruction[] {
    const slotOfEntry: number[] = [];
    let slot = 0;
    for (const e of this.entries) {
      slotOfEntry.push(slot);
      slot += slotCount(e.insn);
    }
    slotOfEntry.push(slot);
    const out: Instruction[] = [];
    this.entries.forEach((e, i) => {
      const insn: Instruction = { ...e.insn };
      const at = slotOfEntry[i]!;
      if (e.ref !== undefined) {
        const entry = this.labels.get(e.ref.target);
        if (entry === undefined) throw new InsnError(`undefined label "${e.ref.target}"`, at);
        const rel = slotOfEntry[entry]! - at - 1;
        if (e.ref.field === "imm") {
          insn.imm = rel;
        } else if (rel >= -0x8000 && rel <= 0x7fff) {
          insn.off = rel;
        } else if (opts.longJumps === true && insn.opcode === (Class.JMP | JmpOp.JA)) {
          insn.opcode = Class.JMP32 | JmpOp.JA;
          insn.imm = rel;
        } else {
          throw new InsnError(`jump to "${e.ref.target}" out of range: offset ${rel} does not fit in s16`, at);
        }
      }
      validateInsn(insn, at);
      out.push(insn);
    });
    return out;
  }
}
