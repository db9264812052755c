// The interpreter's generic instruction step: the reference semantics of
// every instruction except calls and exits, decoded field by field (class,
// op, source, size, mode). The fast loop (exec-loop.ts) handles the
// canonical encodings itself and sends here what it does not special-case:
// BPF_PROBE_MEM loads and kernel stores, atomics, unusual encodings (an
// ALU op with an unknown code, a jump with an undefined op, ...). Both give
// identical results, faults and counts for any instruction.
import { AtomicOp, Class, CLASS_MASK, JmpOp, LDDW, Mode, OP_MASK, SIZE_BYTES, Source } from "./isa/opcodes.js";
import { bswap16, bswap32, mul64, sar64, sdiv32, shl64, shr64, smod32 } from "./alu64.js";
import { sdivmod64, udivmod64 } from "./div64.js";
import { atomicRmw } from "./atomic.js";
import type { KernelEnv } from "./env.js";
import { FaultKind, VmFault } from "./errors.js";
import { KernelStoreWriter, ProbeMemReader } from "./probe-mem.js";
import { checkedRegion, type AddressSpace } from "./memory.js";
import type { LoadedProgram } from "./loaded-program.js";

const TWO32 = 4294967296;

export class GenericStep {
  private readonly tmp = new Int32Array(2);
  private probeMem: ProbeMemReader | undefined;
  private kstoreWriter: KernelStoreWriter | undefined;

  constructor(
    private readonly mem: AddressSpace,
    private readonly env: KernelEnv,
  ) {}

  /**
   * Executes the instruction at `pc` (not a call or exit) on registers lo/hi;
   * returns the next pc. Throws the instruction's VmFault.
   */
  step(lp: LoadedProgram, pc: number, lo: Int32Array, hi: Int32Array): number {
    const code = lp.op[pc]!;
    const d = lp.dst[pc]!;
    const s = lp.src[pc]!;
    const off = lp.off[pc]!;
    const imm = lp.imm[pc]!;
    const cls = code & CLASS_MASK;
    switch (cls) {
      case Class.ALU64:
      case Class.ALU: {
        const isX = (code & Source.X) !== 0;
        const bl = isX ? lo[s]! : imm;
        const bh = isX ? hi[s]! : imm >> 31;
        if (cls === Class.ALU64) this.alu64(code & OP_MASK, d, bl, bh, off, imm, isX, lo, hi);
        else alu32(code & OP_MASK, d, bl, off, imm, isX, lo, hi);
        return pc + 1;
      }
      case Class.JMP:
      case Class.JMP32: {
        const jop = code & OP_MASK;
        if (jop === JmpOp.JA) return pc + (cls === Class.JMP ? off : imm) + 1;
        if (jop === JmpOp.CALL || jop === JmpOp.EXIT) throw new Error(`GenericStep: opcode 0x${code.toString(16)} is the loop's`);
        const isX = (code & Source.X) !== 0;
        let taken: boolean;
        if (cls === Class.JMP) {
          const bl = (isX ? lo[s]! : imm) >>> 0;
          const bh = isX ? hi[s]! : imm >> 31;
          taken = cmp64(jop, lo[d]! >>> 0, hi[d]!, bl, bh);
        } else taken = cmp32(jop, lo[d]!, isX ? lo[s]! : imm);
        return pc + (taken ? off + 1 : 1);
      }
      case Class.LDX: {
        const size = SIZE_BYTES[(code & 0x18) >> 3]!;
        const signed = (code & 0xe0) === Mode.MEMSX;
        if (lp.probe[pc] === 1) {
          (this.probeMem ??= new ProbeMemReader(this.mem, this.env)).load(lo[s]!, hi[s]!, off, size, signed, this.tmp);
          lo[d] = this.tmp[0]!;
          hi[d] = this.tmp[1]!;
          return pc + 1;
        }
        const r = checkedRegion(this.mem, pc, lo[s]!, hi[s]!, off, size, false);
        const o = ((lo[s]! + off) >>> 0) - r.lo;
        const v = r.view;
        switch (size) {
          case 1:
            lo[d] = signed ? v.getInt8(o) : v.getUint8(o);
            hi[d] = signed ? lo[d]! >> 31 : 0;
            break;
          case 2:
            lo[d] = signed ? v.getInt16(o, true) : v.getUint16(o, true);
            hi[d] = signed ? lo[d]! >> 31 : 0;
            break;
          case 4:
            lo[d] = v.getInt32(o, true);
            hi[d] = signed ? lo[d]! >> 31 : 0;
            break;
          default:
            lo[d] = v.getInt32(o, true);
            hi[d] = v.getInt32(o + 4, true);
        }
        return pc + 1;
      }
      case Class.ST:
      case Class.STX: {
        const size = SIZE_BYTES[(code & 0x18) >> 3]!;
        const vl = cls === Class.STX ? lo[s]! : imm;
        const vh = cls === Class.STX ? hi[s]! : imm >> 31;
        if (lp.probe[pc] === 2) {
          (this.kstoreWriter ??= new KernelStoreWriter(this.mem, this.env)).store(pc, lo[d]!, hi[d]!, off, size, vl, vh);
          return pc + 1;
        }
        const r = checkedRegion(this.mem, pc, lo[d]!, hi[d]!, off, size, true);
        const o = ((lo[d]! + off) >>> 0) - r.lo;
        const v = r.view;
        if ((code & 0xe0) === Mode.ATOMIC) {
          const old = this.tmp;
          atomicRmw(pc, v, o, size, imm, lo[s]!, size === 4 ? 0 : hi[s]!, lo[0]!, size === 4 ? 0 : hi[0]!, old);
          if (imm === AtomicOp.CMPXCHG) {
            lo[0] = old[0]!;
            hi[0] = old[1]!;
          } else if (imm & AtomicOp.FETCH) {
            lo[s] = old[0]!;
            hi[s] = old[1]!;
          }
          return pc + 1;
        }
        switch (size) {
          case 1:
            v.setUint8(o, vl & 0xff);
            break;
          case 2:
            v.setUint16(o, vl & 0xffff, true);
            break;
          case 4:
            v.setInt32(o, vl, true);
            break;
          default:
            v.setInt32(o, vl, true);
            v.setInt32(o + 4, vh, true);
        }
        return pc + 1;
      }
      default:
        // Class.LD
        if (code === LDDW) {
          lo[d] = lp.ldLo[pc]!;
          hi[d] = lp.ldHi[pc]!;
          return pc + 2;
        }
        throw new VmFault(FaultKind.MEMORY, pc, `legacy packet load (opcode 0x${code.toString(16)}) is not supported`, "EINVAL");
    }
  }

  private alu64(op: number, d: number, bl: number, bh: number, off: number, imm: number, isX: boolean, lo: Int32Array, hi: Int32Array): void {
    const al = lo[d]!;
    const ah = hi[d]!;
    const tmp = this.tmp;
    switch (op) {
      case 0x00: {
        // ADD
        const l = (al >>> 0) + (bl >>> 0);
        lo[d] = l | 0;
        hi[d] = (ah + bh + (l >= TWO32 ? 1 : 0)) | 0;
        return;
      }
      case 0x10: {
        // SUB
        const l = (al >>> 0) - (bl >>> 0);
        lo[d] = l | 0;
        hi[d] = (ah - bh - (l < 0 ? 1 : 0)) | 0;
        return;
      }
      case 0x20:
        mul64(tmp, al, ah, bl, bh);
        break;
      case 0x30:
        if (off === 1) sdivmod64(tmp, al, ah, bl, bh, 0);
        else udivmod64(tmp, al, ah, bl, bh, 0);
        break;
      case 0x90:
        if (off === 1) sdivmod64(tmp, al, ah, bl, bh, 1);
        else udivmod64(tmp, al, ah, bl, bh, 1);
        break;
      case 0x40:
        lo[d] = al | bl;
        hi[d] = ah | bh;
        return;
      case 0x50:
        lo[d] = al & bl;
        hi[d] = ah & bh;
        return;
      case 0xa0:
        lo[d] = al ^ bl;
        hi[d] = ah ^ bh;
        return;
      case 0x60:
        shl64(tmp, al, ah, bl & 63);
        break;
      case 0x70:
        shr64(tmp, al, ah, bl & 63);
        break;
      case 0xc0:
        sar64(tmp, al, ah, bl & 63);
        break;
      case 0x80: {
        // NEG
        const l = 0 - (al >>> 0);
        lo[d] = l | 0;
        hi[d] = (0 - ah - (l < 0 ? 1 : 0)) | 0;
        return;
      }
      case 0xb0:
        // MOV / MOVSX
        if (isX && off === 8) {
          lo[d] = (bl << 24) >> 24;
          hi[d] = lo[d]! >> 31;
        } else if (isX && off === 16) {
          lo[d] = (bl << 16) >> 16;
          hi[d] = lo[d]! >> 31;
        } else if (isX && off === 32) {
          lo[d] = bl;
          hi[d] = bl >> 31;
        } else {
          lo[d] = bl;
          hi[d] = bh;
        }
        return;
      case 0xd0:
        // BSWAP (ALU64 END): unconditional byte swap of the low imm bits.
        if (imm === 16) {
          lo[d] = bswap16(al);
          hi[d] = 0;
        } else if (imm === 32) {
          lo[d] = bswap32(al);
          hi[d] = 0;
        } else {
          lo[d] = bswap32(ah);
          hi[d] = bswap32(al);
        }
        return;
      default:
        throw new VmFault(FaultKind.CALL, -1, `unknown ALU64 op 0x${op.toString(16)}`, "EINVAL");
    }
    lo[d] = tmp[0]!;
    hi[d] = tmp[1]!;
  }
}

function alu32(op: number, d: number, b: number, off: number, imm: number, isX: boolean, lo: Int32Array, hi: Int32Array): void {
  const a = lo[d]!;
  let r: number;
  switch (op) {
    case 0x00:
      r = (a + b) | 0;
      break;
    case 0x10:
      r = (a - b) | 0;
      break;
    case 0x20:
      r = Math.imul(a, b);
      break;
    case 0x30:
      r = off === 1 ? sdiv32(a, b) : (b >>> 0) === 0 ? 0 : Math.floor((a >>> 0) / (b >>> 0)) | 0;
      break;
    case 0x90:
      r = off === 1 ? smod32(a, b) : (b >>> 0) === 0 ? a : (a >>> 0) % (b >>> 0) | 0;
      break;
    case 0x40:
      r = a | b;
      break;
    case 0x50:
      r = a & b;
      break;
    case 0xa0:
      r = a ^ b;
      break;
    case 0x60:
      r = a << (b & 31);
      break;
    case 0x70:
      r = a >>> (b & 31);
      break;
    case 0xc0:
      r = a >> (b & 31);
      break;
    case 0x80:
      r = -a | 0;
      break;
    case 0xb0:
      r = isX && off === 8 ? (b << 24) >> 24 : isX && off === 16 ? (b << 16) >> 16 : b;
      break;
    case 0xd0: {
      // END: to little endian (K) truncates; to big endian (X) swaps. Host is little-endian.
      const toBe = isX;
      if (imm === 16) r = toBe ? bswap16(a) : a & 0xffff;
      else if (imm === 32) r = toBe ? bswap32(a) : a;
      else {
        // 64-bit width touches both halves.
        if (toBe) {
          const h = hi[d]!;
          hi[d] = bswap32(a);
          lo[d] = bswap32(h);
        }
        return;
      }
      break;
    }
    default:
      throw new VmFault(FaultKind.CALL, -1, `unknown ALU op 0x${op.toString(16)}`, "EINVAL");
  }
  lo[d] = r;
  hi[d] = 0;
}

/** A 64-bit conditional jump's test; al, bl unsigned low halves. An undefined op is never taken. */
export function cmp64(jop: number, al: number, ah: number, bl: number, bh: number): boolean {
  switch (jop) {
    case JmpOp.JEQ:
      return ah === bh && al === bl;
    case JmpOp.JNE:
      return ah !== bh || al !== bl;
    case JmpOp.JSET:
      return (al & bl) !== 0 || (ah & bh) !== 0;
    case JmpOp.JGT:
      return ah >>> 0 > bh >>> 0 || (ah === bh && al > bl);
    case JmpOp.JGE:
      return ah >>> 0 > bh >>> 0 || (ah === bh && al >= bl);
    case JmpOp.JLT:
      return ah >>> 0 < bh >>> 0 || (ah === bh && al < bl);
    case JmpOp.JLE:
      return ah >>> 0 < bh >>> 0 || (ah === bh && al <= bl);
    case JmpOp.JSGT:
      return (ah | 0) > (bh | 0) || (ah === bh && al > bl);
    case JmpOp.JSGE:
      return (ah | 0) > (bh | 0) || (ah === bh && al >= bl);
    case JmpOp.JSLT:
      return (ah | 0) < (bh | 0) || (ah === bh && al < bl);
    case JmpOp.JSLE:
      return (ah | 0) < (bh | 0) || (ah === bh && al <= bl);
    default:
      return false;
  }
}

/** A 32-bit conditional jump's test. An undefined op is never taken. */
export function cmp32(jop: number, a: number, b: number): boolean {
  switch (jop) {
    case JmpOp.JEQ:
      return a === b;
    case JmpOp.JNE:
      return a !== b;
    case JmpOp.JSET:
      return (a & b) !== 0;
    case JmpOp.JGT:
      return a >>> 0 > b >>> 0;
    case JmpOp.JGE:
      return a >>> 0 >= b >>> 0;
    case JmpOp.JLT:
      return a >>> 0 < b >>> 0;
    case JmpOp.JLE:
      return a >>> 0 <= b >>> 0;
    case JmpOp.JSGT:
      return (a | 0) > (b | 0);
    case JmpOp.JSGE:
      return (a | 0) >= (b | 0);
    case JmpOp.JSLT:
      return (a | 0) < (b | 0);
    case JmpOp.JSLE:
      return (a | 0) <= (b | 0);
    default:
      return false;
  }
}
