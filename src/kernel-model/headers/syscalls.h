/*
 * syscalls.h - the x86-64 syscall entry of the btfsnoop synthetic kernel.
 *
 * Modelled on arch/x86/entry/common.c (do_syscall_64), arch/x86/entry/
 * syscall_64.c (x64_sys_call, the __x64_sys_* wrappers SYSCALL_DEFINE
 * makes: each takes the saved user registers; arch/x86/include/asm/
 * syscall_wrapper.h), kernel/entry/common.c
 * (syscall_trace_enter, syscall_exit_work, syscall_exit_to_user_mode) and
 * kernel/sys_ni.c of Linux 6.12.  The wrappers are those of the modelled
 * syscalls (src/kernel-model/syscall-table.ts; a test checks the two agree).
 * The records of the syscall events (struct syscall_trace_enter/exit,
 * trace_event_raw_sys_enter/exit) and btf_trace_sys_enter/exit are in trace.h.
 *
 * Requires: types.h, trace.h.
 */
#ifndef _BTFSNOOP_KMODEL_SYSCALLS_H
#define _BTFSNOOP_KMODEL_SYSCALLS_H

struct pt_regs;

/* The entry: raw_syscalls:sys_enter and the per-syscall events fire in syscall_trace_enter, the exits in syscall_exit_work. */
bool do_syscall_64(struct pt_regs *regs, int nr);
long syscall_trace_enter(struct pt_regs *regs, long syscall, unsigned long work);
long x64_sys_call(const struct pt_regs *regs, unsigned int nr);
void syscall_exit_to_user_mode(struct pt_regs *regs);
static void syscall_exit_work(struct pt_regs *regs, unsigned long work);

/* Numbers without a syscall (and syscalls not built in): -ENOSYS. */
long sys_ni_syscall(void);
long __x64_sys_ni_syscall(const struct pt_regs *regs);

/*
 * The modelled syscalls' wrappers, by number (syscall_64.tbl).  A syscall
 * without arguments has __do_sys_<name> only: SYSCALL_DEFINE0 makes
 * __x64_sys_<name> an alias of it.
 */
long __x64_sys_read(const struct pt_regs *regs);
long __x64_sys_write(const struct pt_regs *regs);
long __x64_sys_close(const struct pt_regs *regs);
long __x64_sys_lseek(const struct pt_regs *regs);
long __x64_sys_mmap(const struct pt_regs *regs);
long __x64_sys_mprotect(const struct pt_regs *regs);
long __x64_sys_munmap(const struct pt_regs *regs);
long __x64_sys_brk(const struct pt_regs *regs);
long __x64_sys_pread64(const struct pt_regs *regs);
long __x64_sys_pwrite64(const struct pt_regs *regs);
static long __do_sys_sched_yield(const struct pt_regs *__unused);
long __x64_sys_nanosleep(const struct pt_regs *regs);
static long __do_sys_getpid(const struct pt_regs *__unused);
long __x64_sys_socket(const struct pt_regs *regs);
long __x64_sys_connect(const struct pt_regs *regs);
long __x64_sys_sendto(const struct pt_regs *regs);
long __x64_sys_recvfrom(const struct pt_regs *regs);
long __x64_sys_sendmsg(const struct pt_regs *regs);
long __x64_sys_recvmsg(const struct pt_regs *regs);
long __x64_sys_shutdown(const struct pt_regs *regs);
long __x64_sys_bind(const struct pt_regs *regs);
long __x64_sys_listen(const struct pt_regs *regs);
long __x64_sys_clone(const struct pt_regs *regs);
long __x64_sys_execve(const struct pt_regs *regs);
long __x64_sys_wait4(const struct pt_regs *regs);
long __x64_sys_kill(const struct pt_regs *regs);
long __x64_sys_fsync(const struct pt_regs *regs);
long __x64_sys_fdatasync(const struct pt_regs *regs);
long __x64_sys_sched_setscheduler(const struct pt_regs *regs);
long __x64_sys_futex(const struct pt_regs *regs);
long __x64_sys_exit_group(const struct pt_regs *regs);
long __x64_sys_openat(const struct pt_regs *regs);
long __x64_sys_mkdirat(const struct pt_regs *regs);
long __x64_sys_newfstatat(const struct pt_regs *regs);
long __x64_sys_unlinkat(const struct pt_regs *regs);
long __x64_sys_accept4(const struct pt_regs *regs);
long __x64_sys_renameat2(const struct pt_regs *regs);
long __x64_sys_bpf(const struct pt_regs *regs);

#endif
