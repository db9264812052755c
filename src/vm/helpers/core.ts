// Helpers that need only the KernelEnv (no maps, no attach point): kernel
// and user memory reads, clocks, current task and CPU, trace_printk, a
// PRNG, and bpf_loop. Each returns what the kernel's implementation returns,
// including its negative errnos.
import type { HelperImpl, HelperRuntime } from "./abi.js";
import { errRet, readKernelMemory, vmBytes } from "./abi.js";
import { formatPrintk } from "./printk.js";

const EINVAL = 22;
const EFAULT = 14;
const E2BIG = 7;
/** bpf_loop's cap on iterations (BPF_MAX_LOOPS). */
export const BPF_MAX_LOOPS = 8 * 1024 * 1024;
const CODE_HI = 0xffffffa0;

/** A task's comm as the kernel holds it (UTF-8, at most 15 bytes), encoded once per distinct name. */
const commCache = new Map<string, Uint8Array>();
function commBytes(comm: string): Uint8Array {
  let b = commCache.get(comm);
  if (b === undefined) {
    b = Buffer.from(comm.slice(0, 15), "utf8");
    if (commCache.size < 4096) commCache.set(comm, b);
  }
  return b;
}

function probeRead(kernel: boolean): HelperImpl {
  return (rt, dst, size, src) => {
    const out = vmBytes(rt, dst, Number(size), true);
    if (!out) return errRet(EFAULT);
    return errRet(-(kernel ? readKernelMemory(rt, out, src) : rt.env.readUser(out, src)));
  };
}

/** Reads a NUL-terminated string of at most `size` bytes including the NUL: returns length incl. NUL, or -EFAULT. */
function probeReadStr(kernel: boolean): HelperImpl {
  return (rt, dst, sizeArg, src) => {
    const size = Number(sizeArg);
    const out = vmBytes(rt, dst, size, true);
    if (!out) return errRet(EFAULT);
    if (size === 0) return 0n;
    const one = new Uint8Array(1);
    for (let i = 0; i < size - 1; i++) {
      const err = kernel ? readKernelMemory(rt, one, src + BigInt(i)) : rt.env.readUser(one, src + BigInt(i));
      if (err < 0) {
        out.fill(0);
        return errRet(EFAULT);
      }
      out[i] = one[0]!;
      if (one[0] === 0) return BigInt(i + 1);
    }
    out[size - 1] = 0;
    return BigInt(size);
  };
}

/** xorshift32 state for get_prandom_u32: deterministic per process, like a seeded kernel PRNG. */
let prandomState = 0x2545f491;

/**
 * bpf_strncmp(s1, s1_sz, s2): strncmp(s1, s2, s1_sz) with s2 NUL-terminated;
 * returns <0, 0 or >0 (the byte difference, as the kernel's strncmp).
 */
const strncmp: HelperImpl = (rt, s1, s1Size, s2) => {
  const n = Number(s1Size);
  const a = vmBytes(rt, s1, n);
  if (!a) return errRet(EFAULT);
  for (let i = 0; i < n; i++) {
    const b = vmBytes(rt, s2 + BigInt(i), 1);
    if (!b) return errRet(EFAULT);
    const d = a[i]! - b[0]!;
    if (d !== 0) return BigInt.asUintN(64, BigInt(d));
    if (a[i] === 0) return 0n;
  }
  return 0n;
};

export const CORE_HELPERS: Readonly<Record<number, HelperImpl>> = {
  182: strncmp,
  4: probeRead(true),
  45: probeReadStr(true),
  112: probeRead(false),
  113: probeRead(true),
  114: probeReadStr(false),
  115: probeReadStr(true),
  5: (rt) => BigInt.asUintN(64, rt.env.ktimeNs()),
  125: (rt) => BigInt.asUintN(64, rt.env.bootNs()),
  7: () => {
    let x = prandomState;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    prandomState = x >>> 0;
    return BigInt(prandomState);
  },
  8: (rt) => BigInt(rt.env.cpu()),
  14: (rt) => {
    const t = rt.env.currentTask();
    return (BigInt(t.tgid >>> 0) << 32n) | BigInt(t.pid >>> 0);
  },
  15: (rt) => {
    const t = rt.env.currentTask();
    return (BigInt(t.gid >>> 0) << 32n) | BigInt(t.uid >>> 0);
  },
  16: (rt, buf, sizeArg) => {
    const size = Number(sizeArg);
    const out = vmBytes(rt, buf, size, true);
    if (!out) return errRet(EFAULT);
    const comm = commBytes(rt.env.currentTask().comm);
    out.fill(0);
    if (size > 0) out.set(comm.subarray(0, size - 1));
    return 0n;
  },
  35: (rt) => BigInt.asUintN(64, rt.env.currentTask().taskAddress),
  158: (rt) => BigInt.asUintN(64, rt.env.currentTask().taskAddress),
  6: (rt, fmt, fmtSize, a1, a2, a3) => {
    const f = vmBytes(rt, fmt, Number(fmtSize));
    if (!f || f.length === 0 || f[f.length - 1] !== 0) return errRet(EINVAL);
    const line = formatPrintk(rt, f.subarray(0, f.indexOf(0)), [a1, a2, a3]);
    if (typeof line === "number") return errRet(line);
    rt.env.tracePrintk(line);
    return BigInt(Buffer.byteLength(line));
  },
  181: (rt: HelperRuntime, nr, fn, ctx, flags) => {
    if (flags !== 0n) return errRet(EINVAL);
    if (nr > BigInt(BPF_MAX_LOOPS)) return errRet(E2BIG);
    if (Number(fn >> 32n) !== CODE_HI || !rt.callSubprog) return errRet(EINVAL);
    const target = Number(fn & 0xffffffffn);
    let i = 0n;
    for (; i < nr; i++) {
      // The callback returns 0 to continue, 1 to stop.
      if (rt.callSubprog(target, [i, ctx]) !== 0n) return i + 1n;
    }
    return i;
  },
};
