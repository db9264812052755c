// ALU checks (the kernel's check_alu_op / adjust_reg_min_max_vals): scalar
// arithmetic through the bounds tracker, and pointer arithmetic only where
// the kernel allows it (add/sub of scalars to stack, ctx, map value, mem and
// typed kernel pointers; bounded variable offsets for map values and mem).
import type { Instruction } from "../isa/instruction.js";
import { ALU_OP_SYMBOL, AluOp, Class, CLASS_MASK, OP_MASK, Source } from "../isa/opcodes.js";
import type { VerifierContext } from "./context.js";
import { cur } from "./context.js";
import { scalarAlu, scalarBswap, scalarMovsx, scalarTruncate } from "./scalar-alu.js";
import { constValue, isConst, scalarConst, scalarUnknown, type Scalar } from "./scalar.js";
import { regTypeName } from "./log.js";
import { afterAddConst, withIdForCopy } from "./scalar-ids.js";
import { isPointer, scalarReg } from "./state.js";
import { RegType, type RegState, type VerifierState } from "./types.js";

/** Operator spelling in messages: the disassembler's symbols, plus the two unary ops. */
const OP_NAMES: Readonly<Record<number, string>> = { ...ALU_OP_SYMBOL, [AluOp.NEG]: "neg", [AluOp.END]: "endian" };

/** Largest fixed offset a pointer may carry (BPF_MAX_VAR_OFF). */
const MAX_OFF = 1 << 29;

export function checkAlu(ctx: VerifierContext, state: VerifierState, insn: Instruction, pc: number): void {
  const frame = cur(state);
  const regs = frame.regs;
  const is64 = (insn.opcode & CLASS_MASK) === Class.ALU64;
  const op = insn.opcode & OP_MASK;
  const isX = (insn.opcode & Source.X) !== 0;
  const d = insn.dst;
  if (d === 10) ctx.fail(`frame pointer is read only`, pc);
  const read = (r: number): RegState => {
    const v = regs[r]!;
    if (v.type === RegType.NOT_INIT) ctx.fail(`R${r} !read_ok`, pc);
    return v;
  };

  if (op === AluOp.END) {
    const v = read(d);
    if (isPointer(v)) ctx.fail(`R${d} pointer arithmetic with endian operator prohibited`, pc);
    const kind = is64 ? "bswap" : isX ? "be" : "le";
    regs[d] = scalarReg(scalarBswap(v.scalar!, insn.imm as 16 | 32 | 64, kind));
    return;
  }
  if (op === AluOp.NEG) {
    const v = read(d);
    if (isPointer(v)) ctx.fail(`R${d} pointer arithmetic with neg operator prohibited`, pc);
    regs[d] = scalarReg(scalarAlu(AluOp.NEG, is64, v.scalar!, v.scalar!));
    return;
  }
  const src: RegState = isX ? read(insn.src) : scalarReg(immScalar(insn.imm, is64));
  if (op === AluOp.MOV) {
    // A copy of an unknown scalar is linked with its source (both get one id) when the value is
    // unchanged by the move: always for a 64-bit mov, when it fits for a 32-bit or sign-extending one.
    const linkCopy = (fits: boolean): RegState | undefined => {
      if (!isX || src.type !== RegType.SCALAR || !fits) return undefined;
      const linked = withIdForCopy(src, ctx.nextId);
      regs[insn.src] = linked;
      return linked;
    };
    if (isX && insn.off !== 0) {
      if (isPointer(src)) ctx.fail(`R${insn.src} sign-extension part of pointer`, pc);
      const linked = linkCopy(src.scalar!.umax < 1n << BigInt(insn.off - 1));
      regs[d] = withId(scalarMovsx(src.scalar!, insn.off as 8 | 16 | 32, is64), linked);
      return;
    }
    if (is64) {
      regs[d] = linkCopy(true) ?? src;
      return;
    }
    if (isPointer(src)) {
      if (!ctx.options.privileged) ctx.fail(`R${insn.src} partial copy of pointer`, pc);
      regs[d] = scalarReg(scalarTruncate(scalarUnknown(), 4));
      return;
    }
    const linked = linkCopy(src.scalar!.umax <= 0xffffffffn);
    regs[d] = withId(scalarAlu(AluOp.MOV, false, src.scalar!, src.scalar!), linked);
    return;
  }
  const dv = read(d);
  if (!isX && !ctx.options.progType.rfcImmediates) {
    // The kernel's check_alu_op refuses these immediates outright.
    if ((op === AluOp.DIV || op === AluOp.MOD) && insn.imm === 0) ctx.fail(`div by zero`, pc);
    if ((op === AluOp.LSH || op === AluOp.RSH || op === AluOp.ARSH) && (insn.imm < 0 || insn.imm >= (is64 ? 64 : 32))) ctx.fail(`invalid shift ${insn.imm}`, pc);
  }
  if (!isPointer(dv) && !isPointer(src)) {
    const value = scalarAlu(op, is64, dv.scalar!, src.scalar!, insn.off === 1);
    // A 64-bit add of a known constant keeps a linked register linked, with the constant as delta (privileged).
    if (op === AluOp.ADD && is64 && ctx.options.privileged && dv.id !== undefined && isConst(src.scalar!)) {
      regs[d] = afterAddConst(dv, constValue(src.scalar!), value);
    } else regs[d] = scalarReg(value);
    return;
  }
  // Pointer arithmetic.
  const name = OP_NAMES[op] ?? `op 0x${op.toString(16)}`;
  if (!is64) ctx.fail(`R${d} 32-bit pointer arithmetic prohibited`, pc);
  if (op === AluOp.AND || op === AluOp.OR || op === AluOp.XOR) ctx.fail(`R${d} bitwise operator ${name} on pointer prohibited`, pc);
  if (op !== AluOp.ADD && op !== AluOp.SUB) ctx.fail(`R${d} pointer arithmetic with ${name} operator prohibited`, pc);
  if (isPointer(dv) && isPointer(src)) {
    if (op === AluOp.SUB && ctx.options.privileged) {
      regs[d] = scalarReg(); // ptr - ptr (any two pointers, with allow_ptr_leaks): an unknown scalar
      return;
    }
    ctx.fail(`R${d} pointer ${name} pointer prohibited`, pc);
  }
  if (!isPointer(dv) && op === AluOp.SUB) ctx.fail(`R${d} tried to subtract pointer from scalar`, pc);
  const [ptr, k, ptrReg] = isPointer(dv) ? [dv, src.scalar!, d] : [src, dv.scalar!, insn.src];
  if (isX) ctx.markPrecise(isPointer(dv) ? insn.src : d); // the pointer's new offset is the scalar's value
  regs[d] = adjustPointer(ctx, ptr, k, op === AluOp.SUB, ptrReg, d, pc);
}

/** A copy of `linked`'s value (`s`, the same value) in its group, or unlinked when `linked` is undefined or has no id. */
function withId(s: Scalar, linked: RegState | undefined): RegState {
  return linked?.id === undefined ? scalarReg(s) : { type: RegType.SCALAR, scalar: s, id: linked.id };
}

/** The immediate of an ALU instruction as a scalar: sign-extended for ALU64, its u32 for ALU. */
export function immScalar(imm: number, is64: boolean): Scalar {
  return scalarConst(is64 ? BigInt.asUintN(64, BigInt(imm)) : BigInt(imm >>> 0));
}

function adjustPointer(ctx: VerifierContext, ptr: RegState, k: Scalar, sub: boolean, ptrReg: number, dst: number, pc: number): RegState {
  // map_ptr + 0 leaves the map pointer as it is (adjust_ptr_min_max_vals' CONST_PTR_TO_MAP case).
  if (ptr.type === RegType.CONST_PTR_TO_MAP && !sub && isConst(k) && constValue(k) === 0n) return ptr;
  switch (ptr.type) {
    case RegType.CONST_PTR_TO_MAP:
    case RegType.PTR_TO_MAP_VALUE_OR_NULL:
    case RegType.PTR_TO_MEM_OR_NULL:
    case RegType.PTR_TO_BTF_ID_OR_NULL:
    case RegType.PTR_TO_FUNC:
      return ctx.fail(`R${dst} pointer arithmetic on ${regTypeName(ptr.type)} prohibited`, pc);
    default:
      break;
  }
  if (isConst(k)) {
    const c = Number(BigInt.asIntN(64, constValue(k)));
    const off = (ptr.off ?? 0) + (sub ? -c : c);
    if (Math.abs(off) >= MAX_OFF || !Number.isSafeInteger(off)) ctx.fail(`value ${c} makes ${regTypeName(ptr.type)} pointer be out of bounds`, pc);
    return { ...ptr, off };
  }
  if (ptr.type === RegType.PTR_TO_MAP_VALUE || ptr.type === RegType.PTR_TO_MEM) {
    if (ptr.refObjId && !ctx.options.privileged) ctx.fail(`R${dst} pointer arithmetic on referenced memory prohibited`, pc);
    const v = scalarAlu(sub ? AluOp.SUB : AluOp.ADD, true, ptr.scalar!, k);
    return { ...ptr, scalar: v };
  }
  return ctx.fail(`R${ptrReg} variable ${regTypeName(ptr.type)} access prohibited: the offset must be a known constant`, pc);
}
