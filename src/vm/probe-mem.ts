// BPF_PROBE_MEM loads (reads through typed kernel pointers), shared by the
// interpreter and the JIT runtime: the VM's own regions first, then kernel
// memory through the KernelEnv, and 0 when neither can be read (the
// kernel's exception-table fixup) instead of a fault. Also the stores a
// verified program makes into a kernel object it was given as context (a
// socket filter's __sk_buff->cb[] writes), through KernelEnv.writeKernel.
import type { KernelEnv } from "./env.js";
import { FaultKind, VmFault } from "./errors.js";
import type { AddressSpace } from "./memory.js";

/** A reusable probe-mem reader: out[0], out[1] = the loaded value's low and high halves. */
export class ProbeMemReader {
  private readonly buf = new Uint8Array(8);
  private readonly view = new DataView(this.buf.buffer);

  constructor(
    private readonly mem: AddressSpace,
    private readonly env: KernelEnv,
  ) {}

  /** Loads `size` bytes at base + off (sign-extended when `signed`) into out. */
  load(baseLo: number, baseHi: number, off: number, size: number, signed: boolean, out: Int32Array): void {
    const addr = BigInt.asUintN(64, ((BigInt(baseHi >>> 0) << 32n) | BigInt(baseLo >>> 0)) + BigInt(off));
    const buf = this.buf.subarray(0, size);
    const h = Number(addr >> 32n);
    const l = Number(addr & 0xffffffffn);
    const r = this.mem.find(h, l, size);
    if (r !== undefined) buf.set(r.bytes.subarray(l - r.lo, l - r.lo + size));
    else if (this.env.readKernel(buf, addr) < 0) buf.fill(0);
    const v = this.view;
    switch (size) {
      case 1:
        out[0] = signed ? v.getInt8(0) : v.getUint8(0);
        break;
      case 2:
        out[0] = signed ? v.getInt16(0, true) : v.getUint16(0, true);
        break;
      case 4:
        out[0] = v.getInt32(0, true);
        break;
      default:
        out[0] = v.getInt32(0, true);
        out[1] = v.getInt32(4, true);
        return;
    }
    out[1] = signed ? out[0]! >> 31 : 0;
  }
}

/** Stores into kernel memory (slots the verifier's context conversion marked): VM regions first, then KernelEnv.writeKernel; a failed write faults. */
export class KernelStoreWriter {
  private readonly buf = new Uint8Array(8);
  private readonly view = new DataView(this.buf.buffer);

  constructor(
    private readonly mem: AddressSpace,
    private readonly env: KernelEnv,
  ) {}

  /** Writes the low `size` bytes of (vh:vl) at base + off. */
  store(pc: number, baseLo: number, baseHi: number, off: number, size: number, vl: number, vh: number): void {
    const addr = BigInt.asUintN(64, ((BigInt(baseHi >>> 0) << 32n) | BigInt(baseLo >>> 0)) + BigInt(off));
    this.view.setInt32(0, vl, true);
    this.view.setInt32(4, vh, true);
    const bytes = this.buf.subarray(0, size);
    const r = this.mem.find(Number(addr >> 32n), Number(addr & 0xffffffffn), size);
    if (r !== undefined && r.writable) {
      const at = Number(addr & 0xffffffffn) - r.lo;
      r.bytes.set(bytes, at);
      return;
    }
    if (!this.env.writeKernel || this.env.writeKernel(addr, bytes) < 0) {
      throw new VmFault(FaultKind.MEMORY, pc, `invalid write of ${size} bytes at 0x${addr.toString(16)}: not writable kernel memory`);
    }
  }
}
