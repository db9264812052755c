// The x86-64 syscall table of the synthetic kernel: each modelled syscall's
// number (arch/x86/entry/syscalls/syscall_64.tbl of Linux 6.12) and its
// arguments' C types and names as its SYSCALL_DEFINE declares them, written
// as the syscalls:sys_enter_<name> format files print them (`__user`
// dropped). The one source of the syscall entry (paths/syscalls.ts), the
// per-syscall tracepoints (tracepoint-defs/syscalls.ts) and the
// __x64_sys_<name> prototypes of headers/syscalls.h (a test checks the
// header against this table).

export interface SyscallSpec {
  /** x86-64 syscall number (orig_ax). */
  readonly nr: number;
  /** The name without its sys_ prefix, e.g. "openat". */
  readonly name: string;
  /** [C type, name] of each argument, in order (at most 6: di, si, dx, r10, r8, r9). */
  readonly args: readonly (readonly [type: string, name: string])[];
}

/** NR_syscalls of x86-64 in Linux 6.12 (mseal, 462, is the last): numbers from here on are not syscalls. */
export const NR_SYSCALLS = 463;

const sys = (nr: number, name: string, ...args: [string, string][]): SyscallSpec => ({ nr, name, args });

/** The modelled syscalls, by number. */
export const SYSCALL_TABLE: readonly SyscallSpec[] = [
  sys(0, "read", ["unsigned int", "fd"], ["char *", "buf"], ["size_t", "count"]),
  sys(1, "write", ["unsigned int", "fd"], ["const char *", "buf"], ["size_t", "count"]),
  sys(3, "close", ["unsigned int", "fd"]),
  sys(8, "lseek", ["unsigned int", "fd"], ["off_t", "offset"], ["unsigned int", "whence"]),
  sys(9, "mmap", ["unsigned long", "addr"], ["unsigned long", "len"], ["unsigned long", "prot"], ["unsigned long", "flags"], ["unsigned long", "fd"], ["unsigned long", "off"]),
  sys(10, "mprotect", ["unsigned long", "start"], ["size_t", "len"], ["unsigned long", "prot"]),
  sys(11, "munmap", ["unsigned long", "addr"], ["size_t", "len"]),
  sys(12, "brk", ["unsigned long", "brk"]),
  sys(17, "pread64", ["unsigned int", "fd"], ["char *", "buf"], ["size_t", "count"], ["loff_t", "pos"]),
  sys(18, "pwrite64", ["unsigned int", "fd"], ["const char *", "buf"], ["size_t", "count"], ["loff_t", "pos"]),
  sys(24, "sched_yield"),
  sys(35, "nanosleep", ["struct __kernel_timespec *", "rqtp"], ["struct __kernel_timespec *", "rmtp"]),
  sys(39, "getpid"),
  sys(41, "socket", ["int", "family"], ["int", "type"], ["int", "protocol"]),
  sys(42, "connect", ["int", "fd"], ["struct sockaddr *", "uservaddr"], ["int", "addrlen"]),
  sys(44, "sendto", ["int", "fd"], ["void *", "buff"], ["size_t", "len"], ["unsigned int", "flags"], ["struct sockaddr *", "addr"], ["int", "addr_len"]),
  sys(45, "recvfrom", ["int", "fd"], ["void *", "ubuf"], ["size_t", "size"], ["unsigned int", "flags"], ["struct sockaddr *", "addr"], ["int *", "addr_len"]),
  sys(46, "sendmsg", ["int", "fd"], ["struct user_msghdr *", "msg"], ["unsigned int", "flags"]),
  sys(47, "recvmsg", ["int", "fd"], ["struct user_msghdr *", "msg"], ["unsigned int", "flags"]),
  sys(48, "shutdown", ["int", "fd"], ["int", "how"]),
  sys(49, "bind", ["int", "fd"], ["struct sockaddr *", "umyaddr"], ["int", "addrlen"]),
  sys(50, "listen", ["int", "fd"], ["int", "backlog"]),
  sys(56, "clone", ["unsigned long", "clone_flags"], ["unsigned long", "newsp"], ["int *", "parent_tidptr"], ["int *", "child_tidptr"], ["unsigned long", "tls"]),
  sys(59, "execve", ["const char *", "filename"], ["const char *const *", "argv"], ["const char *const *", "envp"]),
  sys(61, "wait4", ["pid_t", "upid"], ["int *", "stat_addr"], ["int", "options"], ["struct rusage *", "ru"]),
  sys(62, "kill", ["pid_t", "pid"], ["int", "sig"]),
  sys(74, "fsync", ["unsigned int", "fd"]),
  sys(75, "fdatasync", ["unsigned int", "fd"]),
  sys(144, "sched_setscheduler", ["pid_t", "pid"], ["int", "policy"], ["struct sched_param *", "param"]),
  sys(202, "futex", ["u32 *", "uaddr"], ["int", "op"], ["u32", "val"], ["const struct __kernel_timespec *", "utime"], ["u32 *", "uaddr2"], ["u32", "val3"]),
  sys(231, "exit_group", ["int", "error_code"]),
  sys(257, "openat", ["int", "dfd"], ["const char *", "filename"], ["int", "flags"], ["umode_t", "mode"]),
  sys(258, "mkdirat", ["int", "dfd"], ["const char *", "pathname"], ["umode_t", "mode"]),
  sys(262, "newfstatat", ["int", "dfd"], ["const char *", "filename"], ["struct stat *", "statbuf"], ["int", "flag"]),
  sys(263, "unlinkat", ["int", "dfd"], ["const char *", "pathname"], ["int", "flag"]),
  sys(288, "accept4", ["int", "fd"], ["struct sockaddr *", "upeer_sockaddr"], ["int *", "upeer_addrlen"], ["int", "flags"]),
  sys(316, "renameat2", ["int", "olddfd"], ["const char *", "oldname"], ["int", "newdfd"], ["const char *", "newname"], ["unsigned int", "flags"]),
  sys(321, "bpf", ["int", "cmd"], ["union bpf_attr *", "uattr"], ["unsigned int", "size"]),
];

const byName = new Map(SYSCALL_TABLE.map((s) => [s.name, s]));
const byNr = new Map(SYSCALL_TABLE.map((s) => [s.nr, s]));

/** The syscall named `name` (without sys_), if modelled. */
export function syscallNamed(name: string): SyscallSpec | undefined {
  return byName.get(name);
}

/** The modelled syscall with number `nr`, if any. */
export function syscallNumbered(nr: number): SyscallSpec | undefined {
  return byNr.get(nr);
}

/**
 * The traceable function x64_sys_call calls for a syscall: __x64_sys_<name>
 * (SYSCALL_DEFINEn's wrapper reading the arguments from pt_regs) or, for a
 * syscall without arguments, __do_sys_<name> itself (SYSCALL_DEFINE0 makes
 * __x64_sys_<name> an alias of it, so the BTF has only __do_sys_<name>).
 */
export function wrapperName(s: SyscallSpec): string {
  return s.args.length === 0 ? `__do_sys_${s.name}` : `__x64_sys_${s.name}`;
}

/** Syscalls that never return to user space: no sys_exit events (the task is gone). */
export const NORETURN_SYSCALLS: ReadonlySet<string> = new Set(["exit_group"]);
