// BPF_PROBE_MEM loads (reads through typed kernel pointers), shared by the
// interpreter and the JIT runtime: the VM's own regions first, then kernel
// memory through the KernelEnv, and 0 when neither can be read (the
// kernel's exception-table fixup) instead of a fault.
import type { KernelEnv } from "./env.js";
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
