// System calls: the user-space side a workload uses to make one
// (`syscall(k, name, args)`) and the table of each syscall's kernel-side
// implementation (`defineSyscall`, installed by the area that owns it: fs.ts,
// net.ts, process.ts, mm.ts, bpf.ts).
import type { Kernel } from "../kernel.js";

/** A syscall's kernel side: its arguments as the registers held them (di, si, dx, r10, r8, r9). */
export type SyscallImpl = (args: readonly bigint[]) => bigint;

const tables = new WeakMap<Kernel, Map<string, SyscallImpl>>();

/** Installs the implementation of syscall `name` (without the sys_ prefix, e.g. "openat"). */
export function defineSyscall(k: Kernel, name: string, impl: SyscallImpl): void {
  let t = tables.get(k);
  if (!t) tables.set(k, (t = new Map()));
  t.set(name, impl);
}

const ENOSYS = 38n;

/** The current task makes syscall `name` with these arguments; returns what it returns (a u64, -errno on failure). */
export function syscall(k: Kernel, name: string, args: readonly bigint[]): bigint {
  const impl = tables.get(k)?.get(name);
  return impl ? impl(args) : BigInt.asUintN(64, -ENOSYS);
}
