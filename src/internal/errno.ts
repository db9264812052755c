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
  EPROTO: 71,
  EOVERFLOW: 75,
  ENOTSOCK: 88,
  ENOPROTOOPT: 92,
  ESOCKTNOSUPPORT: 94,
  EOPNOTSUPP: 95,
  EAFNOSUPPORT: 97,
  ENOTSUPP: 524,
} as const;

export type ErrnoName = keyof typeof Errno;

const ERRNO_NAMES = new Map<number, string>(Object.entries(Errno).map(([name, n]) => [n, name]));

/** The name of errno `n` (sign ignored: -14 and 14 are both EFAULT), or `E<n>` when btfsnoop has no name for it. */
export function errnoName(n: number): string {
  const a = Math.abs(n);
  return ERRNO_NAMES.get(a) ?? `E${a}`;
}
