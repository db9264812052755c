// The x86-64 syscall entry: a workload's task makes a syscall with
// `syscall(k, name, args)` and it goes the way Linux 6.12 takes it. The
// task's saved user registers (its struct pt_regs: one per task, made on its
// first syscall, freed by releaseSyscallRegs when it exits) get orig_ax = nr,
// ax = -ENOSYS, the arguments in di, si, dx, r10, r8, r9 (and ip/cx, flags/
// r11, cs, ss, sp as the SYSCALL instruction and entry_SYSCALL_64 leave
// them); then
//   do_syscall_64(regs, nr)
//     syscall_trace_enter(regs, nr, work)   raw_syscalls:sys_enter, syscalls:sys_enter_<name>
//     x64_sys_call(regs, nr)
//       __x64_sys_<name>(regs)              reads the arguments from regs, runs the defined impl
//                                           (__do_sys_<name> for getpid, sched_yield: no arguments)
//     regs->ax = the return value
//     syscall_exit_to_user_mode(regs)
//       syscall_exit_work(regs, work)       syscalls:sys_exit_<name>, raw_syscalls:sys_exit
// A number without a syscall, or a modelled syscall no area implements, is
// -ENOSYS from sys_ni_syscall (__x64_sys_ni_syscall for numbers past the
// table). A syscall that does not return (exit_group, or any whose task exits
// during it) has no exit half.
//
// Each area installs its syscalls' kernel side with `defineSyscall(k, name,
// impl)` (fs.ts, net.ts, process.ts, mm.ts, bpf.ts); the table of numbers and
// argument types is syscall-table.ts.
//
// User memory for pointer arguments (the current task's heap, readable with
// bpf_probe_read_user): `userString(k, s)` (a NUL-terminated copy of `s`) and
// `userBuffer(k, n, init?)` (n zeroed bytes, optionally filled) return an
// address that stays mapped until the next syscall() of this kernel returns,
// then is freed: make them in the argument list of the syscall they are for.
// Memory a caller wants to read back after the syscall (e.g. wait4's status)
// it allocates itself with k.memory.userSpace(tgid).heapAlloc and frees.
import type { Kernel } from "../kernel.js";
import type { KernelFunction } from "../functions.js";
import type { TracepointDef } from "../tracepoints.js";
import type { UserSpace } from "../memory/address-space.js";
import { BtfKind } from "../../btf/kinds.js";
import { sizeOf } from "../../btf/layout.js";
import { USER_STACK_TOP } from "../memory/address-space.js";
import { NORETURN_SYSCALLS, NR_SYSCALLS, SYSCALL_TABLE, syscallNamed, wrapperName, type SyscallSpec } from "../syscall-table.js";

/** A syscall's kernel side: its arguments as the registers held them (di, si, dx, r10, r8, r9). */
export type SyscallImpl = (args: readonly bigint[]) => bigint;

const ENOSYS = 38n;
const U64 = (v: bigint) => BigInt.asUintN(64, v);
/** SYSCALL_WORK_SYSCALL_TRACEPOINT (include/linux/thread_info.h): the work bit that routes entry and exit through the tracing path. */
const SYSCALL_WORK_SYSCALL_TRACEPOINT = 1n << 1n;
/** __USER_CS and __USER_DS (arch/x86/include/asm/segment.h): the user code and stack segments the entry saves. */
const USER_CS = 0x33n;
const USER_DS = 0x2bn;
/** RFLAGS of a task in user mode at its SYSCALL instruction: IF, ZF, PF and the always-set bit 1. */
const USER_RFLAGS = 0x246n;
/** Where the tasks' libc syscall wrappers return to (cx and ip: the instruction after SYSCALL), one per syscall number. */
const LIBC_SYSCALL_IP = 0x7ffff7e9a000n;
/** The user stack pointer the tasks make their syscalls with. */
const USER_SP = USER_STACK_TOP - 0x208n;

/** The registers the arguments are passed in, in order. */
const ARG_REGS = ["di", "si", "dx", "r10", "r8", "r9"] as const;
const SAVED_REGS = ["orig_ax", "ax", ...ARG_REGS, "cx", "r11", "ip", "cs", "flags", "sp", "ss"] as const;
type SavedReg = (typeof SAVED_REGS)[number];

interface EntryState {
  readonly k: Kernel;
  /** The defined impls, by syscall number. */
  readonly impls: (SyscallImpl | undefined)[];
  /** Each task's saved user registers, by pid. */
  readonly regs: Map<number, bigint>;
  /** Byte offset of each saved register in struct pt_regs. */
  readonly off: Record<SavedReg, number>;
  /** What the entry saves, built here and stored in one write (the fields the entry does not set stay zero, as the model's tasks hold nothing in bx, bp, r12-r15). */
  readonly image: DataView;
  /** A copy of a task's pt_regs, read in one load. */
  readonly copy: DataView;
  readonly fn: {
    doSyscall64: KernelFunction;
    traceEnter: KernelFunction;
    x64SysCall: KernelFunction;
    exitToUser: KernelFunction;
    exitWork: KernelFunction;
    niSyscall: KernelFunction;
    x64NiSyscall: KernelFunction;
    /** __x64_sys_<name> (__do_sys_<name> for a syscall without arguments), by syscall number. */
    wrappers: (KernelFunction | undefined)[];
  };
  readonly rawEnter: TracepointDef;
  readonly rawExit: TracepointDef;
  /** syscalls:sys_enter_<name> / sys_exit_<name>, by syscall number. */
  readonly enterTp: (TracepointDef | undefined)[];
  readonly exitTp: (TracepointDef | undefined)[];
  /** raw_syscalls:sys_enter's args[6], filled per event (the record copies it). */
  readonly rawArgs: Uint8Array;
  readonly rawArgsView: DataView;
  /** User memory the helpers handed out, freed when the syscall in progress (or the next) returns. */
  readonly scratch: { space: UserSpace; addr: bigint }[];
  /** syscall() calls in progress (nested ones free no scratch). */
  depth: number;
}

const states = new WeakMap<Kernel, EntryState>();

function fnOf(k: Kernel, name: string): KernelFunction {
  const fn = k.functions.named(name)[0];
  if (!fn) throw new RangeError(`no kernel function '${name}': the syscall entry needs the synthetic kernel's syscalls.h`);
  return fn;
}

/** The kernel's entry state, made (and the entry functions' bodies installed) on first use. */
function entryOf(k: Kernel): EntryState {
  let st = states.get(k);
  if (st) return st;
  const tp = (cat: string, name: string) => {
    const t = k.tracepoints.get(cat, name);
    if (!t) throw new RangeError(`no tracepoint ${cat}:${name}`);
    return t;
  };
  const wrappers: (KernelFunction | undefined)[] = [];
  const enterTp: (TracepointDef | undefined)[] = [];
  const exitTp: (TracepointDef | undefined)[] = [];
  for (const s of SYSCALL_TABLE) {
    wrappers[s.nr] = fnOf(k, wrapperName(s));
    enterTp[s.nr] = tp("syscalls", `sys_enter_${s.name}`);
    exitTp[s.nr] = tp("syscalls", `sys_exit_${s.name}`);
  }
  const rawArgs = new Uint8Array(48);
  const off = {} as Record<SavedReg, number>;
  for (const r of SAVED_REGS) off[r] = k.memory.field("pt_regs", r).byteOffset;
  const size = sizeOf(k.btf, k.btf.findByNameKind("pt_regs", BtfKind.STRUCT)!);
  const image = new DataView(new ArrayBuffer(size));
  // SYSCALL: rcx = the return address, r11 = rflags; entry_SYSCALL_64 saves them and the user cs, ss, sp.
  image.setBigUint64(off.r11, USER_RFLAGS, true);
  image.setBigUint64(off.flags, USER_RFLAGS, true);
  image.setBigUint64(off.cs, USER_CS, true);
  image.setBigUint64(off.ss, USER_DS, true);
  image.setBigUint64(off.sp, USER_SP, true);
  st = {
    k,
    impls: [],
    regs: new Map(),
    off,
    image,
    copy: new DataView(new ArrayBuffer(size)),
    fn: {
      doSyscall64: fnOf(k, "do_syscall_64"),
      traceEnter: fnOf(k, "syscall_trace_enter"),
      x64SysCall: fnOf(k, "x64_sys_call"),
      exitToUser: fnOf(k, "syscall_exit_to_user_mode"),
      exitWork: fnOf(k, "syscall_exit_work"),
      niSyscall: fnOf(k, "sys_ni_syscall"),
      x64NiSyscall: fnOf(k, "__x64_sys_ni_syscall"),
      wrappers,
    },
    rawEnter: tp("raw_syscalls", "sys_enter"),
    rawExit: tp("raw_syscalls", "sys_exit"),
    enterTp,
    exitTp,
    rawArgs,
    rawArgsView: new DataView(rawArgs.buffer),
    scratch: [],
    depth: 0,
  };
  states.set(k, st);
  installEntry(st);
  return st;
}

/** The task's saved registers `regs` as they are now (st.copy, valid until the next call). */
function loadRegs(st: EntryState, regs: bigint): DataView {
  const bytes = new Uint8Array(st.copy.buffer);
  if (st.k.memory.readKernel(bytes, regs) !== 0) throw new RangeError(`pt_regs at 0x${regs.toString(16)} is not mapped (freed with its task?)`);
  return st.copy;
}

/** A saved register of `regs`. */
const reg = (st: EntryState, regs: bigint, r: SavedReg): bigint => loadRegs(st, regs).getBigUint64(st.off[r], true);

/** syscall_get_nr(): the number the entry saved, as an int. */
const nrOf = (st: EntryState, regs: bigint) => Number(BigInt.asIntN(32, reg(st, regs, "orig_ax")));

/** The bodies of the entry's kernel functions (every function of syscalls.h). */
function installEntry(st: EntryState): void {
  const { k, fn } = st;
  const call = (f: KernelFunction, args: readonly bigint[]) => k.call(f, args);
  fn.doSyscall64.impl = (c) => {
    const regs = c.args[0]!;
    const task = k.current();
    // syscall_enter_from_user_mode(): the tracing work (always on here: the syscall tracepoints count every syscall).
    const nr = Number(BigInt.asIntN(64, call(fn.traceEnter, [regs, c.args[1]!, SYSCALL_WORK_SYSCALL_TRACEPOINT])));
    // do_syscall_x64(): a number in the table is dispatched by x64_sys_call; others (but -1, "skip") are not syscalls.
    let ret: bigint | undefined;
    if (nr >= 0 && nr < NR_SYSCALLS) ret = call(fn.x64SysCall, [regs, BigInt(nr)]);
    else if (nr !== -1) ret = call(fn.x64NiSyscall, [regs]);
    // A task that exited during its syscall never comes back (exit_group): no exit half.
    if (st.regs.get(task.pid) !== regs) return 0n;
    if (ret !== undefined) k.memory.writeField(regs, "pt_regs", "ax", U64(ret));
    if (nr >= 0 && NORETURN_SYSCALLS.has(SYSCALL_NAMES[nr] ?? "")) return 0n;
    call(fn.exitToUser, [regs]);
    // true: the return to user space may use SYSRET (the saved registers are a plain syscall's).
    return 1n;
  };
  fn.traceEnter.impl = (c) => {
    const regs = c.args[0]!;
    const nr = nrOf(st, regs);
    fireEnter(st, regs, nr);
    // Probes may have changed the number: the one now in orig_ax goes on.
    return BigInt(nrOf(st, regs));
  };
  fn.x64SysCall.impl = (c) => {
    const w = fn.wrappers[Number(c.args[1]!)];
    return call(w ?? fn.x64NiSyscall, [c.args[0]!]);
  };
  fn.exitToUser.impl = (c) => {
    call(fn.exitWork, [c.args[0]!, SYSCALL_WORK_SYSCALL_TRACEPOINT]);
    return 0n;
  };
  fn.exitWork.impl = (c) => {
    fireExit(st, c.args[0]!);
    return 0n;
  };
  fn.niSyscall.impl = () => U64(-ENOSYS);
  fn.x64NiSyscall.impl = () => call(fn.niSyscall, []);
  for (const s of SYSCALL_TABLE) {
    const nargs = s.args.length;
    const argOffs = ARG_REGS.slice(0, nargs).map((r) => st.off[r]);
    for (const w of k.functions.named(wrapperName(s))) {
      w.impl = (c) => {
        const impl = st.impls[s.nr];
        // A syscall no area implements is a COND_SYSCALL stub: sys_ni_syscall.
        if (!impl) return call(fn.niSyscall, []);
        const saved = loadRegs(st, c.args[0]!);
        const args = new Array<bigint>(nargs);
        for (let i = 0; i < nargs; i++) args[i] = saved.getBigUint64(argOffs[i]!, true);
        return impl(args);
      };
    }
  }
}

const SYSCALL_NAMES: string[] = [];
for (const s of SYSCALL_TABLE) SYSCALL_NAMES[s.nr] = s.name;

/** trace_sys_enter(): raw_syscalls:sys_enter(regs, id), then (a probe of it) syscalls:sys_enter_<name> with the arguments from regs. */
function fireEnter(st: EntryState, regs: bigint, nr: number): void {
  const k = st.k;
  const pid = k.current().pid;
  const view = st.rawArgsView;
  const saved = loadRegs(st, regs);
  for (let i = 0; i < 6; i++) view.setBigUint64(i * 8, saved.getBigUint64(st.off[ARG_REGS[i]!], true), true);
  const id = BigInt(nr);
  k.tracepoints.fire(st.rawEnter, { id, args: st.rawArgs }, [regs, id], k.cpu, pid);
  const tp = nr >= 0 ? st.enterTp[nr] : undefined;
  if (!tp) return;
  const spec = SPECS[nr]!;
  const values: Record<string, bigint> = { __syscall_nr: id };
  for (let i = 0; i < spec.args.length; i++) values[spec.args[i]![1]] = view.getBigUint64(i * 8, true);
  k.tracepoints.fire(tp, values, [regs, id], k.cpu, pid);
}

/** trace_sys_exit(): raw_syscalls:sys_exit(regs, ret), then syscalls:sys_exit_<name>; ret is regs->ax. */
function fireExit(st: EntryState, regs: bigint): void {
  const k = st.k;
  const pid = k.current().pid;
  const nr = nrOf(st, regs);
  const ret = BigInt.asIntN(64, reg(st, regs, "ax"));
  k.tracepoints.fire(st.rawExit, { id: BigInt(nr), ret }, [regs, ret], k.cpu, pid);
  const tp = nr >= 0 ? st.exitTp[nr] : undefined;
  if (tp) k.tracepoints.fire(tp, { __syscall_nr: BigInt(nr), ret }, [regs, ret], k.cpu, pid);
}

const SPECS: SyscallSpec[] = [];
for (const s of SYSCALL_TABLE) SPECS[s.nr] = s;

/** Installs the implementation of syscall `name` (without the sys_ prefix, e.g. "openat"); it must be in the syscall table. */
export function defineSyscall(k: Kernel, name: string, impl: SyscallImpl): void {
  const spec = syscallNamed(name);
  if (!spec) throw new RangeError(`syscall '${name}' is not in the syscall table (src/kernel-model/syscall-table.ts)`);
  entryOf(k).impls[spec.nr] = impl;
}

/** The current task makes syscall `name` with these arguments; returns what it returns (a u64, -errno on failure). */
export function syscall(k: Kernel, name: string, args: readonly bigint[]): bigint {
  const spec = syscallNamed(name);
  if (!spec) throw new RangeError(`syscall '${name}' is not in the syscall table (src/kernel-model/syscall-table.ts)`);
  return syscallNr(k, spec.nr, args);
}

/**
 * The current task makes syscall number `nr` (any int: numbers without a
 * syscall return -ENOSYS, -1 is skipped as Linux skips it) with up to six
 * arguments; returns regs->ax as the task sees it (a u64).
 */
export function syscallNr(k: Kernel, nr: number, args: readonly bigint[]): bigint {
  if (!Number.isInteger(nr) || nr < -0x80000000 || nr > 0x7fffffff) throw new RangeError(`syscall number ${nr} is not an int`);
  if (args.length > 6) throw new RangeError(`a syscall takes at most 6 arguments, not ${args.length}`);
  const st = entryOf(k);
  const regs = regsOf(st, k.current().pid);
  const img = st.image;
  img.setBigUint64(st.off.orig_ax, U64(BigInt(nr)), true);
  img.setBigUint64(st.off.ax, U64(-ENOSYS), true);
  for (let i = 0; i < 6; i++) img.setBigUint64(st.off[ARG_REGS[i]!], U64(args[i] ?? 0n), true);
  const ip = LIBC_SYSCALL_IP + BigInt(nr & 0x1ff) * 0x10n + 0xdn;
  img.setBigUint64(st.off.cx, ip, true);
  img.setBigUint64(st.off.ip, ip, true);
  k.memory.writeKernel(regs, new Uint8Array(img.buffer));
  const pid = k.current().pid;
  st.depth++;
  try {
    k.call(st.fn.doSyscall64, [regs, U64(BigInt(nr))]);
    // The task's regs are gone if it exited: what it "returned" is nothing anyone sees.
    return st.regs.get(pid) === regs ? reg(st, regs, "ax") : 0n;
  } finally {
    if (--st.depth === 0) freeScratch(st);
  }
}

/** The task's pt_regs (the top of its kernel stack), made on its first syscall. */
function regsOf(st: EntryState, pid: number): bigint {
  let regs = st.regs.get(pid);
  if (regs === undefined) st.regs.set(pid, (regs = st.k.memory.alloc("pt_regs")));
  return regs;
}

/** The saved user registers of task `pid` (its struct pt_regs), if it has made a syscall. */
export function syscallRegsOf(k: Kernel, pid: number): bigint | undefined {
  return states.get(k)?.regs.get(pid);
}

/** Frees task `pid`'s saved registers when it exits (do_exit): its next syscall, if the pid comes back, gets new ones. */
export function releaseSyscallRegs(k: Kernel, pid: number): void {
  const st = states.get(k);
  const regs = st?.regs.get(pid);
  if (st === undefined || regs === undefined) return;
  st.regs.delete(pid);
  k.memory.free(regs);
}

/** A copy of `s` (UTF-8, NUL-terminated) in the current task's user memory, freed when the next syscall returns. */
export function userString(k: Kernel, s: string): bigint {
  const space = k.memory.userSpace(k.current().tgid);
  const addr = space.allocString(s);
  entryOf(k).scratch.push({ space, addr });
  return addr;
}

/** `n` zeroed bytes (filled with `init` if given) in the current task's user memory, freed when the next syscall returns. */
export function userBuffer(k: Kernel, n: number, init?: Uint8Array | string): bigint {
  const space = k.memory.userSpace(k.current().tgid);
  const addr = space.heapAlloc(n, init);
  entryOf(k).scratch.push({ space, addr });
  return addr;
}

function freeScratch(st: EntryState): void {
  for (const { space, addr } of st.scratch) space.heapFree(addr);
  st.scratch.length = 0;
}

/** PATH_MAX: the longest path getname copies from user space. */
export const PATH_MAX = 4096;
const EFAULT = 14;
const ENAMETOOLONG = 36;
/** strncpy_from_user's copy buffer (one: the model runs one call at a time). */
const pathBuf = new Uint8Array(PATH_MAX);
const utf8 = new TextDecoder();

/**
 * strncpy_from_user as getname uses it: the NUL-terminated string at `addr`
 * in `tgid`'s memory, read in chunks of 64 bytes (halved near unmapped
 * memory, the string may end just before it). A negative errno instead:
 * -EFAULT if a byte before the NUL is unmapped, -ENAMETOOLONG if there is
 * no NUL within `max` bytes.
 */
export function strncpyFromUser(k: Kernel, tgid: number, addr: bigint, max = PATH_MAX): string | number {
  const out = max <= PATH_MAX ? pathBuf : new Uint8Array(max);
  let n = 0;
  let size = 64;
  while (n < max) {
    const chunk = out.subarray(n, Math.min(max, n + size));
    if (k.memory.readUser(tgid, chunk, addr + BigInt(n)) !== 0) {
      if (size === 1) return -EFAULT;
      size >>= 1;
      continue;
    }
    const nul = chunk.indexOf(0);
    if (nul >= 0) return utf8.decode(out.subarray(0, n + nul));
    n += chunk.length;
  }
  return -ENAMETOOLONG;
}
