// BPF_PROBE_MEM loads (reads through typed kernel pointers), shared by the
// interpreter and the JIT runtime: the VM's own regions first, then kernel
// memory through the KernelEnv, and 0 when neither can be read (the
// kernel's exception-table fixup) instead of a fault. Also the stores a
// verified program makes into a kernel object it was given as context (a
// socket filter's __sk_buff->cb[] writes), through KernelEnv.writeKernel.
import type { KernelEnv } from "./env.js";
import { FaultKind, VmFault } from "./errors.js";
import type { AddressSpace } from "./memory.js";

/** The 64-bit address base + off as halves: ADDR_HI, ADDR_LO (both unsigned), for the two classes below. */
let ADDR_HI = 0;
let ADDR_LO = 0;
function address(baseLo: number, baseHi: number, off: number): void {
  let l = (baseLo >>> 0) + off;
  let h = baseHi >>> 0;
  if (l >= 0x1_0000_0000) {
    l -= 0x1_0000_0000;
    h = (h + 1) >>> 0;
  } else if (l < 0) {
    l += 0x1_0000_0000;
    h = (h - 1) >>> 0;
  }
  ADDR_HI = h;
  ADDR_LO = l;
}

/**
 * The BigInt of hi:lo for KernelEnv, with hi's shifted BigInt kept from the
 * last call (kernel pointers of a run share their upper half), so most
 * addresses cost one conversion instead of four BigInt operations.
 */
class AddressBig {
  private hi = -1;
  private hiBig = 0n;
  of(hi: number, lo: number): bigint {
    if (hi !== this.hi) {
      this.hiBig = BigInt(hi) << 32n;
      this.hi = hi;
    }
    return this.hiBig | BigInt(lo);
  }
}

/** A reusable probe-mem reader: out[0], out[1] = the loaded value's low and high halves. */
export class ProbeMemReader {
  private readonly buf = new Uint8Array(8);
  private readonly view = new DataView(this.buf.buffer);
  /** buf's first 1, 2, 4 and 8 bytes (what readKernel fills), made once. */
  private readonly sized: Uint8Array[] = [];
  private readonly big = new AddressBig();

  constructor(
    private readonly mem: AddressSpace,
    private readonly env: KernelEnv,
  ) {
    for (let n = 0; n <= 8; n++) this.sized.push(this.buf.subarray(0, n));
  }

  /** Loads `size` bytes at base + off (sign-extended when `signed`) into out. */
  load(baseLo: number, baseHi: number, off: number, size: number, signed: boolean, out: Int32Array): void {
    address(baseLo, baseHi, off);
    const h = ADDR_HI;
    const l = ADDR_LO;
    let v: DataView;
    let o: number;
    const r = this.mem.find(h, l, size);
    if (r !== undefined) {
      v = r.view;
      o = l - r.lo;
    } else {
      const buf = this.sized[size]!;
      if (this.env.readKernel(buf, this.big.of(h, l)) < 0) buf.fill(0);
      v = this.view;
      o = 0;
    }
    switch (size) {
      case 1:
        out[0] = signed ? v.getInt8(o) : v.getUint8(o);
        break;
      case 2:
        out[0] = signed ? v.getInt16(o, true) : v.getUint16(o, true);
        break;
      case 4:
        out[0] = v.getInt32(o, true);
        break;
      default:
        out[0] = v.getInt32(o, true);
        out[1] = v.getInt32(o + 4, true);
        return;
    }
    out[1] = signed ? out[0]! >> 31 : 0;
  }
}

/** Stores into kernel memory (slots the verifier's context conversion marked): VM regions first, then KernelEnv.writeKernel; a failed write faults. */
export class KernelStoreWriter {
  private readonly buf = new Uint8Array(8);
  private readonly view = new DataView(this.buf.buffer);
  private readonly sized: Uint8Array[] = [];
  private readonly big = new AddressBig();

  constructor(
    private readonly mem: AddressSpace,
    private readonly env: KernelEnv,
  ) {
    for (let n = 0; n <= 8; n++) this.sized.push(this.buf.subarray(0, n));
  }

  /** Writes the low `size` bytes of (vh:vl) at base + off. */
  store(pc: number, baseLo: number, baseHi: number, off: number, size: number, vl: number, vh: number): void {
    address(baseLo, baseHi, off);
    const h = ADDR_HI;
    const l = ADDR_LO;
    this.view.setInt32(0, vl, true);
    this.view.setInt32(4, vh, true);
    const bytes = this.sized[size]!;
    const r = this.mem.find(h, l, size);
    if (r !== undefined && r.writable) {
      r.bytes.set(bytes, l - r.lo);
      return;
    }
    const addr = this.big.of(h, l);
    if (!this.env.writeKernel || this.env.writeKernel(addr, bytes) < 0) {
      throw new VmFault(FaultKind.MEMORY, pc, `invalid write of ${size} bytes at 0x${addr.toString(16)}: not writable kernel memory`);
    }
  }
}
