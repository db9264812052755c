// Helpers that need only the KernelEnv (no maps, no attach point): kernel
// and user memory reads, clocks and jiffies, current task, CPU, NUMA node
// and cgroup, kernel stacks (get_stack, get_task_stack), signals to the
// current task, trace_printk, a PRNG, and bpf_loop. Each returns what the kernel's implementation returns,
// including its negative errnos. The ones programs call on every event
// also carry their BigInt-free form (withFast; see abi.ts).
import type { FastHelperImpl, HelperImpl, HelperRuntime } from "./abi.js";
import { errRet, errRetFast, readKernelMemory, readKernelMemoryAt, retBig, u64Big, u64Num, vmBytes, vmBytesAt, withFast } from "./abi.js";
import { formatPrintk } from "./printk.js";
import { BPF_F_SKIP_FIELD_MASK, BPF_F_USER_STACK, PERF_EVENT_MAX_STACK } from "../maps/types.js";

const EINVAL = 22;
const EFAULT = 14;
const E2BIG = 7;
const EPERM = 1;
/** bpf_get_stack's flag for user stacks as struct bpf_stack_build_id entries. */
export const BPF_F_USER_BUILD_ID = 1 << 11;
/** sizeof(struct bpf_stack_build_id). */
const STACK_BUILD_ID_SIZE = 32;
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
  return withFast(
    (rt, dst, size, src) => {
      const out = vmBytes(rt, dst, Number(size), true);
      if (!out) return errRet(EFAULT);
      return errRet(-(kernel ? readKernelMemory(rt, out, src) : rt.env.readUser(out, src)));
    },
    (rt, dl, dh, sl, sh, srcl, srch) => {
      const out = vmBytesAt(rt, dl, dh, u64Num(sl, sh), true);
      if (!out) return errRetFast(rt, EFAULT);
      return errRetFast(rt, -(kernel ? readKernelMemoryAt(rt, out, srcl, srch) : rt.env.readUser(out, u64Big(srcl, srch))));
    },
  );
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

/**
 * __bpf_get_stack: `stack` (innermost first; undefined: none to give)
 * written to the `size`-byte buffer at `buf` as u64 ips after skipping
 * flags & BPF_F_SKIP_FIELD_MASK frames, at most perf_event_max_stack deep,
 * the rest of the buffer zeroed; returns the bytes written. Unknown flags,
 * BPF_F_USER_BUILD_ID without BPF_F_USER_STACK, or a size that is not a
 * multiple of the entry size: -EINVAL. User stacks (not modelled), no
 * stack, or fewer frames than the skip: -EFAULT. On an error the whole
 * buffer is zeroed.
 */
function getStackInto(rt: HelperRuntime, stack: readonly bigint[] | undefined, buf: bigint, sizeArg: bigint, flagsArg: bigint): bigint {
  const size = Number(BigInt.asUintN(32, sizeArg));
  const out = vmBytes(rt, buf, size, true);
  if (!out) return errRet(EFAULT);
  const fail = (errno: number): bigint => {
    out.fill(0);
    return errRet(errno);
  };
  const flags = BigInt.asUintN(64, flagsArg);
  if ((flags & ~BigInt(BPF_F_SKIP_FIELD_MASK | BPF_F_USER_STACK | BPF_F_USER_BUILD_ID)) !== 0n) return fail(EINVAL);
  const f = Number(flags);
  const user = (f & BPF_F_USER_STACK) !== 0;
  const buildId = (f & BPF_F_USER_BUILD_ID) !== 0;
  if (!user && buildId) return fail(EINVAL);
  const elemSize = buildId ? STACK_BUILD_ID_SIZE : 8;
  if (size % elemSize) return fail(EINVAL);
  if (user || stack === undefined) return fail(EFAULT);
  const skip = f & BPF_F_SKIP_FIELD_MASK;
  const numElem = size / elemSize;
  const nr = Math.min(stack.length, numElem + skip, PERF_EVENT_MAX_STACK);
  if (nr < skip) return fail(EFAULT);
  const n = Math.min(nr - skip, numElem);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let i = 0; i < n; i++) view.setBigUint64(i * 8, BigInt.asUintN(64, stack[skip + i]!), true);
  out.fill(0, n * 8);
  return BigInt(n * 8);
}

/** MAX_BPRINTF_VARARGS: bpf_snprintf takes at most 12 u64 arguments. */
const MAX_BPRINTF_VARARGS = 12;
/** Longest format string read (the verifier has checked it is a NUL-terminated constant). */
const MAX_FMT = 4096;

/**
 * bpf_snprintf(str, str_size, fmt, data, data_len): formats `fmt` with the
 * data_len / 8 u64 arguments at `data` into str (at most str_size - 1
 * bytes and a NUL); returns the length of the whole text plus the NUL.
 * -EINVAL for data_len not a multiple of 8 or over 12 arguments, or a
 * format bpf_bprintf_prepare refuses.
 */
const snprintf: HelperImpl = (rt, str, strSizeArg, fmtAddr, data, dataLenArg) => {
  const strSize = Number(BigInt.asUintN(32, strSizeArg));
  const dataLen = Number(BigInt.asUintN(32, dataLenArg));
  if (dataLen % 8 || dataLen > MAX_BPRINTF_VARARGS * 8 || (dataLen && data === 0n)) return errRet(EINVAL);
  const argBytes = vmBytes(rt, data, dataLen);
  if (!argBytes) return errRet(EFAULT);
  const args = Array.from({ length: dataLen / 8 }, (_, i) => new DataView(argBytes.buffer, argBytes.byteOffset).getBigUint64(i * 8, true));
  const fmt: number[] = [];
  for (let i = 0; i < MAX_FMT; i++) {
    const b = vmBytes(rt, fmtAddr + BigInt(i), 1);
    if (!b) return errRet(EFAULT);
    if (b[0] === 0) break;
    fmt.push(b[0]!);
  }
  const text = formatPrintk(rt, Uint8Array.from(fmt), args);
  if (typeof text === "number") return errRet(text);
  const bytes = Buffer.from(text, "latin1");
  if (strSize > 0) {
    const out = vmBytes(rt, str, strSize, true);
    if (!out) return errRet(EFAULT);
    const n = Math.min(bytes.length, strSize - 1);
    out.set(bytes.subarray(0, n));
    out[n] = 0;
  }
  return BigInt(bytes.length + 1);
};

/** bpf_send_signal / bpf_send_signal_thread(u32 sig). */
function sendSignal(thread: boolean): HelperImpl {
  return (rt, sig) => {
    const send = rt.env.sendSignal;
    if (!send) return errRet(EPERM);
    return errRet(-send(Number(BigInt.asUintN(32, sig)), thread));
  };
}

/** xorshift32 state for get_prandom_u32: deterministic per process, like a seeded kernel PRNG. */
let prandomState = 0x2545f491;

/** The next get_prandom_u32 value (uint32). */
function prandomNext(): number {
  let x = prandomState;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  prandomState = x >>> 0;
  return prandomState;
}

/** get_smp_processor_id's fast form: the CPU number, as BigInt(cpu) would be (a u32). */
const cpuFast: FastHelperImpl = (rt) => {
  const c = rt.env.cpu();
  if (c >= 0 && c <= 0x7fffffff && c === Math.floor(c)) return c;
  return retBig(rt, BigInt(c));
};

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
  5: withFast(
    (rt) => BigInt.asUintN(64, rt.env.ktimeNs()),
    (rt) => retBig(rt, rt.env.ktimeNs()),
  ),
  125: withFast(
    (rt) => BigInt.asUintN(64, rt.env.bootNs()),
    (rt) => retBig(rt, rt.env.bootNs()),
  ),
  7: withFast(() => BigInt(prandomNext()), () => prandomNext()),
  8: withFast(
    (rt) => BigInt(rt.env.cpu()),
    cpuFast,
  ),
  // numa_node_id(): the synthetic machine has one online node (map creation allows only node 0).
  42: withFast(() => 0n, () => 0),
  // get_jiffies_64(); a kernel without a clock of ticks answers 0.
  118: withFast(
    (rt) => BigInt.asUintN(64, rt.env.jiffies64?.() ?? 0n),
    (rt) => retBig(rt, rt.env.jiffies64?.() ?? 0n),
  ),
  // The cgroup v2 id of the current task's cgroup, as the kernel model says (0 from an environment without cgroups).
  80: withFast(
    (rt) => BigInt.asUintN(64, rt.env.currentCgroupId?.() ?? 0n),
    (rt) => retBig(rt, rt.env.currentCgroupId?.() ?? 0n),
  ),
  // bpf_get_stack(ctx, buf, size, flags): the current kernel stack.
  67: (rt, _ctx, buf, size, flags) => getStackInto(rt, rt.env.kernelStack?.(), buf, size, flags),
  // bpf_get_task_stack(task, buf, size, flags): that task's kernel stack; a task without one (exited: try_get_task_stack fails) is -EFAULT, the buffer untouched.
  141: (rt, task, buf, size, flags) => {
    const stack = rt.env.taskKernelStack?.(task);
    return stack === undefined ? errRet(EFAULT) : getStackInto(rt, stack, buf, size, flags);
  },
  165: snprintf,
  109: sendSignal(false),
  117: sendSignal(true),
  14: withFast(
    (rt) => {
      const t = rt.env.currentTask();
      return (BigInt(t.tgid >>> 0) << 32n) | BigInt(t.pid >>> 0);
    },
    (rt) => {
      const t = rt.env.currentTask();
      rt.rh = t.tgid | 0;
      return t.pid | 0;
    },
  ),
  15: withFast(
    (rt) => {
      const t = rt.env.currentTask();
      return (BigInt(t.gid >>> 0) << 32n) | BigInt(t.uid >>> 0);
    },
    (rt) => {
      const t = rt.env.currentTask();
      rt.rh = t.gid | 0;
      return t.uid | 0;
    },
  ),
  16: withFast(
    (rt, buf, sizeArg) => {
      const size = Number(sizeArg);
      const out = vmBytes(rt, buf, size, true);
      if (!out) return errRet(EFAULT);
      const comm = commBytes(rt.env.currentTask().comm);
      out.fill(0);
      if (size > 0) out.set(comm.subarray(0, size - 1));
      return 0n;
    },
    (rt, bl, bh, sl, sh) => {
      const size = u64Num(sl, sh);
      const out = vmBytesAt(rt, bl, bh, size, true);
      if (!out) return errRetFast(rt, EFAULT);
      const comm = commBytes(rt.env.currentTask().comm);
      out.fill(0);
      if (size > 0) out.set(comm.length < size ? comm : comm.subarray(0, size - 1));
      return 0;
    },
  ),
  35: withFast(
    (rt) => BigInt.asUintN(64, rt.env.currentTask().taskAddress),
    (rt) => retBig(rt, rt.env.currentTask().taskAddress),
  ),
  158: withFast(
    (rt) => BigInt.asUintN(64, rt.env.currentTask().taskAddress),
    (rt) => retBig(rt, rt.env.currentTask().taskAddress),
  ),
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
