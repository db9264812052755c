/*
 * syscalls.h - the syscall entry (__x64_sys_* wrappers taking struct pt_regs *) and the syscall trace records of the btfsnoop synthetic kernel.
 *
 * Requires: types.h, trace.h.
 */
#ifndef _BTFSNOOP_KMODEL_SYSCALLS_H
#define _BTFSNOOP_KMODEL_SYSCALLS_H

#endif
