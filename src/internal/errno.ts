// Linux errno numbers used across btfsnoop, so every layer reports failures the
// way the kernel and libbpf do (negative values at the syscall boundary).

export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EISDIR: 21,
  EINVAL: 22,
  ENOSPC: 28,
  ERANGE: 34,
  ENOSYS: 38,
  ELOOP: 40,
  ENODATA: 61,
  EOVERFLOW: 75,
  EOPNOTSUPP: 95,
  ENOTSUPP: 524,
} as const;

export type ErrnoName = keyof typeof Errno;

/** Errno name by number (the reverse of Errno). */
export const ERRNO_NAMES: Readonly<Record<number, ErrnoName>> = Object.fromEntries(Object.entries(Errno).map(([k, v]) => [v, k])) as Record<number, ErrnoName>;
