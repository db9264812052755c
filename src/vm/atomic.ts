// BPF atomic read-modify-write (BPF_ATOMIC: add, or, and, xor, their FETCH
// forms, xchg, cmpxchg) on 4 or 8 bytes of a region's DataView, shared by
// the interpreter and the JIT runtime. The old value goes to `out`; the
// caller puts it where the instruction wants it (src for FETCH and xchg,
// r0 for cmpxchg).
import { FaultKind, VmFault } from "./errors.js";
import { AtomicOp } from "./isa/opcodes.js";

const TWO32 = 4294967296;

/**
 * Applies atomic `aop` with operand xl:xh (cmpxchg compares with r0l:r0h)
 * at `o` in `v`; out[0], out[1] = the old value (zero-extended for 32 bits).
 * Throws VmFault(CALL) for an unknown op.
 */
export function atomicRmw(pc: number, v: DataView, o: number, size: number, aop: number, xl: number, xh: number, r0l: number, r0h: number, out: Int32Array): void {
  if (size === 4) {
    const old = v.getInt32(o, true);
    switch (aop) {
      case AtomicOp.ADD:
      case AtomicOp.ADD | AtomicOp.FETCH:
        v.setInt32(o, (old + xl) | 0, true);
        break;
      case AtomicOp.OR:
      case AtomicOp.OR | AtomicOp.FETCH:
        v.setInt32(o, old | xl, true);
        break;
      case AtomicOp.AND:
      case AtomicOp.AND | AtomicOp.FETCH:
        v.setInt32(o, old & xl, true);
        break;
      case AtomicOp.XOR:
      case AtomicOp.XOR | AtomicOp.FETCH:
        v.setInt32(o, old ^ xl, true);
        break;
      case AtomicOp.XCHG:
        v.setInt32(o, xl, true);
        break;
      case AtomicOp.CMPXCHG:
        if (old === r0l) v.setInt32(o, xl, true);
        break;
      default:
        throw new VmFault(FaultKind.CALL, pc, `unknown atomic op 0x${aop.toString(16)}`, "EINVAL");
    }
    out[0] = old;
    out[1] = 0;
    return;
  }
  const ol = v.getInt32(o, true);
  const oh = v.getInt32(o + 4, true);
  let nl: number;
  let nh: number;
  switch (aop) {
    case AtomicOp.ADD:
    case AtomicOp.ADD | AtomicOp.FETCH: {
      const l = (ol >>> 0) + (xl >>> 0);
      nl = l | 0;
      nh = (oh + xh + (l >= TWO32 ? 1 : 0)) | 0;
      break;
    }
    case AtomicOp.OR:
    case AtomicOp.OR | AtomicOp.FETCH:
      nl = ol | xl;
      nh = oh | xh;
      break;
    case AtomicOp.AND:
    case AtomicOp.AND | AtomicOp.FETCH:
      nl = ol & xl;
      nh = oh & xh;
      break;
    case AtomicOp.XOR:
    case AtomicOp.XOR | AtomicOp.FETCH:
      nl = ol ^ xl;
      nh = oh ^ xh;
      break;
    case AtomicOp.XCHG:
      nl = xl;
      nh = xh;
      break;
    case AtomicOp.CMPXCHG:
      nl = ol === r0l && oh === r0h ? xl : ol;
      nh = ol === r0l && oh === r0h ? xh : oh;
      break;
    default:
      throw new VmFault(FaultKind.CALL, pc, `unknown atomic op 0x${aop.toString(16)}`, "EINVAL");
  }
  v.setInt32(o, nl, true);
  v.setInt32(o + 4, nh, true);
  out[0] = ol;
  out[1] = oh;
}
