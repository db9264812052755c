// ALU checks (the kernel's check_alu_op / adjust_reg_min_max_vals): scalar
// arithmetic through the bounds tracker (with scalar ids, scalar-ids.ts),
// and pointer arithmetic only where the kernel allows it
// (adjust_ptr_min_max_vals, in its order of checks: two pointers, 32-bit,
// may-be-NULL and other pointer types, check_reg_sane_offset, the operator;
// for unprivileged loads sanitize_check_bounds): add/sub of scalars to
// stack, ctx, map value, mem and typed kernel pointers, bounded variable
// offsets for map values, mem and (privileged) the stack; ctx and typed
// kernel pointers keep a variable offset, refused where they are used.
import type { Instruction } from "../isa/instruction.js";
import { ALU_OP_SYMBOL, AluOp, Class, CLASS_MASK, OP_MASK, Source } from "../isa/opcodes.js";
import type { VerifierContext } from "./context.js";
import { cur } from "./context.js";
import { scalarAlu, scalarBswap, scalarMovsx, scalarTruncate } from "./scalar-alu.js";
import { constValue, isConst, S64_MIN, scalarConst, scalarUnknown, type Scalar } from "./scalar.js";
import type { ErrnoName } from "../../internal/errno.js";
import { refuse } from "./errors.js";
import { tnumToString } from "./tnum.js";
import { regName } from "./log.js";
import { afterAddConst, withIdForCopy } from "./scalar-ids.js";
import { isPointer, scalarReg } from "./state.js";
import { RegType, STACK_SIZE, type RegState, type VerifierState } from "./types.js";

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
    if (isPointer(v)) return pointerToUnknown(ctx, regs, d, pc);
    const kind = is64 ? "bswap" : isX ? "be" : "le";
    regs[d] = scalarReg(scalarBswap(v.scalar!, insn.imm as 16 | 32 | 64, kind));
    return;
  }
  if (op === AluOp.NEG) {
    const v = read(d);
    if (isPointer(v)) return pointerToUnknown(ctx, regs, d, pc);
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
    if ((op === AluOp.DIV || op === AluOp.MOD) && insn.imm === 0) failErrno(`div by zero`, pc, "EINVAL");
    if ((op === AluOp.LSH || op === AluOp.RSH || op === AluOp.ARSH) && (insn.imm < 0 || insn.imm >= (is64 ? 64 : 32))) failErrno(`invalid shift ${insn.imm}`, pc, "EINVAL");
  }
  if (!isPointer(dv) && !isPointer(src)) {
    const value = scalarAlu(op, is64, dv.scalar!, src.scalar!, insn.off === 1);
    // A 64-bit add of a known constant keeps a linked register linked, with the constant as delta (privileged).
    if (op === AluOp.ADD && is64 && ctx.options.privileged && dv.id !== undefined && isConst(src.scalar!)) {
      regs[d] = afterAddConst(dv, constValue(src.scalar!), value);
    } else regs[d] = scalarReg(value);
    return;
  }
  // Pointer arithmetic (adjust_reg_min_max_vals): two pointers first, in any width.
  const name = OP_NAMES[op] ?? `op 0x${op.toString(16)}`;
  if (isPointer(dv) && isPointer(src)) {
    if (op === AluOp.SUB && ctx.options.privileged) {
      regs[d] = scalarReg(); // ptr - ptr (any two pointers, with allow_ptr_leaks): an unknown scalar
      return;
    }
    ctx.fail(`R${d} pointer ${name} pointer prohibited`, pc);
  }
  const ptrIsDst = isPointer(dv);
  if (isX) ctx.markPrecise(ptrIsDst ? insn.src : d); // the pointer's new offset is the scalar's value
  regs[d] = adjustPointer(ctx, { op, name, is64, dst: d, ptrIsDst, ptrReg: ptrIsDst ? d : insn.src, scalarReg: ptrIsDst ? insn.src : d, isX }, ptrIsDst ? dv : src, ptrIsDst ? src.scalar! : dv.scalar!, pc);
}

/** NEG and END of a pointer (check_alu_op): an address leak unless privileged, where the result is an unknown scalar. */
function pointerToUnknown(ctx: VerifierContext, regs: RegState[], d: number, pc: number): void {
  if (!ctx.options.privileged) ctx.fail(`R${d} pointer arithmetic prohibited`, pc);
  regs[d] = scalarReg();
}

/** A copy of `linked`'s value (`s`, the same value) in its group, or unlinked when `linked` is undefined or has no id. */
function withId(s: Scalar, linked: RegState | undefined): RegState {
  return linked?.id === undefined ? scalarReg(s) : { type: RegType.SCALAR, scalar: s, id: linked.id };
}

/** The immediate of an ALU instruction as a scalar: sign-extended for ALU64, its u32 for ALU. */
export function immScalar(imm: number, is64: boolean): Scalar {
  return scalarConst(is64 ? BigInt.asUintN(64, BigInt(imm)) : BigInt(imm >>> 0));
}

/** A refusal with the errno the kernel returns for it (check_reg_sane_offset's and check_alu_op's are EINVAL). */
function failErrno(reason: string, pc: number, errno: ErrnoName): never {
  return refuse(reason, pc, errno);
}

/**
 * check_reg_sane_offset: a pointer's offset, or the scalar added to it, must
 * stay within BPF_MAX_VAR_OFF (2^29) either way, fixed and variable parts.
 * `v` is the scalar (or the pointer's variable part), `off` the pointer's
 * fixed offset (0 for a scalar).
 */
function checkSaneOffset(v: Scalar, off: number, type: string, pc: number): void {
  const lim = BigInt(MAX_OFF);
  if (isConst(v)) {
    const val = BigInt.asIntN(64, constValue(v));
    if (val >= lim || val <= -lim) failErrno(`math between ${type} pointer and ${val} is not allowed`, pc, "EINVAL");
  }
  if (off >= MAX_OFF || off <= -MAX_OFF) failErrno(`${type} pointer offset ${off} is not allowed`, pc, "EINVAL");
  if (v.smin === S64_MIN) failErrno(`math between ${type} pointer and register with unbounded min value is not allowed`, pc, "EINVAL");
  if (v.smin >= lim || v.smin <= -lim) failErrno(`value ${v.smin} makes ${type} pointer be out of bounds`, pc, "EINVAL");
}

interface PtrOp {
  op: number;
  /** The operator as the kernel's messages spell it (bpf_alu_string). */
  name: string;
  is64: boolean;
  dst: number;
  /** Whether the pointer is the destination (`ptr OP scalar`) rather than the source (`scalar OP ptr`). */
  ptrIsDst: boolean;
  /** The register holding the scalar (the source when the pointer is the destination). */
  scalarReg: number;
  /** The register holding the pointer. */
  ptrReg: number;
  /** A register operand (BPF_X); an immediate is never sanitized (can_skip_alu_sanitation). */
  isX: boolean;
}

/**
 * sanitize_ptr_alu's checks before the operation, for unprivileged loads
 * (no bypass_spec_v1) adding or subtracting a register: the scalar may not
 * straddle zero (REASON_BOUNDS), and only stack and map value pointers can
 * be masked against speculation (REASON_TYPE).
 */
function sanitizePtrAlu(ctx: VerifierContext, o: PtrOp, ptr: RegState, k: Scalar, pc: number): void {
  if (!isConst(k) && k.smin < 0n !== k.smax < 0n) ctx.fail(`R${o.scalarReg} has unknown scalar with mixed signed bounds, pointer arithmetic with it prohibited for !root`, pc);
  if (ptr.type !== RegType.PTR_TO_STACK && ptr.type !== RegType.PTR_TO_MAP_VALUE) ctx.fail(`R${o.ptrReg} has pointer with unsupported alu operation, pointer arithmetic with it prohibited for !root`, pc);
}

/** adjust_ptr_min_max_vals: the register a pointer OP scalar gives, or the kernel's refusal, in its order. */
function adjustPointer(ctx: VerifierContext, o: PtrOp, ptr: RegState, k: Scalar, pc: number): RegState {
  const { op, dst } = o;
  const privileged = ctx.options.privileged;
  const type = regName(ptr);
  if (!o.is64) {
    // 32-bit ALU on a pointer gives a meaningless scalar; allowed only for sub, with allow_ptr_leaks.
    if (op === AluOp.SUB && privileged) return scalarReg();
    ctx.fail(`R${dst} 32-bit pointer arithmetic prohibited`, pc);
  }
  switch (ptr.type) {
    case RegType.PTR_TO_MAP_VALUE_OR_NULL:
    case RegType.PTR_TO_MEM_OR_NULL:
    case RegType.PTR_TO_BTF_ID_OR_NULL:
      return ctx.fail(`R${dst} pointer arithmetic on ${type} prohibited, null-check it first`, pc);
    case RegType.PTR_TO_CTX:
    case RegType.PTR_TO_MAP_VALUE:
    case RegType.PTR_TO_STACK:
    case RegType.PTR_TO_BTF_ID:
    case RegType.PTR_TO_MEM:
      break;
    case RegType.CONST_PTR_TO_MAP:
      // map_ptr + 0 leaves the map pointer as it is.
      if (isConst(k) && constValue(k) === 0n && op === AluOp.ADD) break;
      return ctx.fail(`R${dst} pointer arithmetic on ${type} prohibited`, pc);
    default:
      return ctx.fail(`R${dst} pointer arithmetic on ${type} prohibited`, pc);
  }
  const ptrVar = ptr.scalar ?? scalarConst(0n);
  checkSaneOffset(k, 0, type, pc);
  checkSaneOffset(ptrVar, ptr.off ?? 0, type, pc);
  if (!privileged && o.isX && (op === AluOp.ADD || op === AluOp.SUB)) sanitizePtrAlu(ctx, o, ptr, k, pc);
  switch (op) {
    case AluOp.ADD:
      break;
    case AluOp.SUB:
      if (!o.ptrIsDst) ctx.fail(`R${dst} tried to subtract pointer from scalar`, pc);
      // JITs may not handle subtraction from the frame pointer (test_verifier's "invalid fp arithmetic").
      if (ptr.type === RegType.PTR_TO_STACK) ctx.fail(`R${dst} subtraction from stack pointer prohibited`, pc);
      break;
    case AluOp.AND:
    case AluOp.OR:
    case AluOp.XOR:
      return ctx.fail(`R${dst} bitwise operator ${o.name} on pointer prohibited`, pc);
    default:
      return ctx.fail(`R${dst} pointer arithmetic with ${o.name} operator prohibited`, pc);
  }
  if (ptr.type === RegType.CONST_PTR_TO_MAP) return ptr;
  const sub = op === AluOp.SUB;
  let out: RegState;
  if (isConst(k)) {
    const c = Number(BigInt.asIntN(64, constValue(k)));
    out = { ...ptr, off: (ptr.off ?? 0) + (sub ? -c : c) };
  } else if (ptr.type !== RegType.PTR_TO_STACK) {
    // Map values and mem check the range at each access; ctx and typed kernel pointers keep the
    // variable part too, and are refused where they are used (check_ptr_off_reg, check_ptr_to_btf_access).
    out = { ...ptr, scalar: scalarAlu(sub ? AluOp.SUB : AluOp.ADD, true, ptrVar, k) };
  } else {
    // fp + a bounded scalar (privileged): check-mem checks each access over the whole range (check_stack_*_var_off).
    const v = scalarAlu(AluOp.ADD, true, ptrVar, k);
    if (!privileged) ctx.fail(`R${dst} variable stack access prohibited for !root, var_off=${tnumToString(v.var)} off=${ptr.off ?? 0}`, pc);
    out = { ...ptr, scalar: v };
  }
  checkSaneOffset(out.scalar ?? scalarConst(0n), out.off ?? 0, type, pc);
  if (!privileged) sanitizeCheckBounds(ctx, out, dst, pc);
  return out;
}

/**
 * sanitize_check_bounds: for unprivileged loads (no bypass_spec_v1) the
 * arithmetic itself must leave a stack pointer inside the frame and a map
 * value pointer inside the value (a 1-byte access there must be valid).
 */
function sanitizeCheckBounds(ctx: VerifierContext, r: RegState, dst: number, pc: number): void {
  const off = r.off ?? 0;
  if (r.type === RegType.PTR_TO_STACK) {
    if (off >= 0 || off < -STACK_SIZE) ctx.fail(`R${dst} stack pointer arithmetic goes out of range, prohibited for !root; off=${off}`, pc);
    return;
  }
  if (r.type !== RegType.PTR_TO_MAP_VALUE) return;
  const v = r.scalar ?? scalarConst(0n);
  const vs = r.map!.valueSize;
  // check_map_access(off, size 1) first says why, then the arithmetic is refused.
  if (v.smin < 0n) ctx.log(`R${dst} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  else if (off + Number(v.smin) < 0 || off + Number(v.smin) + 1 > vs) {
    ctx.log(`invalid access to map value, value_size=${vs} off=${off + Number(v.smin)} size=1`);
    ctx.log(`R${dst} min value is outside of the allowed memory range`);
  } else if (off + Number(v.umax) + 1 > vs) {
    ctx.log(`invalid access to map value, value_size=${vs} off=${off + Number(v.umax)} size=1`);
    ctx.log(`R${dst} max value is outside of the allowed memory range`);
  } else return;
  ctx.fail(`R${dst} pointer arithmetic of map value goes out of range, prohibited for !root`, pc);
}
