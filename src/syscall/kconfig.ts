// The synthetic kernel's build configuration: what /proc/config.gz would
// hold, and the version code libbpf's LINUX_KERNEL_VERSION extern reads
// (from uname's release). A small table of the options BPF programs test
// with .kconfig externs; values are spelled as in a .config (y, m, n,
// numbers, quoted strings). Options a real 6.x x86-64 build sets and this
// kernel's behaviour agrees with; the rest are absent (a __weak extern
// reads 0, a strong one fails to load, as with libbpf on a real kernel).

/** uname -r of the synthetic kernel. */
export const KERNEL_RELEASE = "6.6.0-btfsnoop";

/** KERNEL_VERSION(a, b, c) as linux/version.h computes it (c clamped to 255). */
export function kernelVersionCode(a: number, b: number, c: number): number {
  return (a << 16) + (b << 8) + Math.min(c, 255);
}

const OPTIONS: readonly (readonly [string, string])[] = [
  ["CONFIG_64BIT", "y"],
  ["CONFIG_X86_64", "y"],
  ["CONFIG_SMP", "y"],
  ["CONFIG_NR_CPUS", "64"],
  ["CONFIG_HZ", "250"],
  ["CONFIG_HZ_250", "y"],
  ["CONFIG_PREEMPT_NONE", "y"],
  ["CONFIG_BPF", "y"],
  ["CONFIG_BPF_SYSCALL", "y"],
  ["CONFIG_BPF_JIT", "y"],
  ["CONFIG_BPF_EVENTS", "y"],
  ["CONFIG_DEBUG_INFO_BTF", "y"],
  ["CONFIG_KPROBES", "y"],
  ["CONFIG_KPROBE_EVENTS", "y"],
  ["CONFIG_FPROBE", "y"],
  ["CONFIG_FTRACE", "y"],
  ["CONFIG_FUNCTION_TRACER", "y"],
  ["CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS", "y"],
  ["CONFIG_TRACEPOINTS", "y"],
  ["CONFIG_NET", "y"],
  ["CONFIG_INET", "y"],
  ["CONFIG_IPV6", "y"],
  ["CONFIG_BLOCK", "y"],
  ["CONFIG_CGROUPS", "y"],
  ["CONFIG_NET_SCHED", "y"],
  ["CONFIG_NETFILTER", "y"],
  ["CONFIG_MODULES", "y"],
  ["CONFIG_DEBUG_KERNEL", "n"],
  ["CONFIG_IO_URING", "n"],
  ["CONFIG_LOCALVERSION", '"-btfsnoop"'],
  ["CONFIG_DEFAULT_HOSTNAME", '"btfsnoop"'],
];

/** The configuration as a map, LINUX_KERNEL_VERSION included. */
export function syntheticKconfig(): Map<string, string> {
  const m = new Map(OPTIONS);
  const [a, b, c] = KERNEL_RELEASE.split(/[.-]/).map(Number) as [number, number, number];
  m.set("LINUX_KERNEL_VERSION", String(kernelVersionCode(a, b, c)));
  // libbpf also answers LINUX_HAS_BPF_COOKIE and LINUX_HAS_SYSCALL_WRAPPER from probes of the kernel.
  m.set("LINUX_HAS_BPF_COOKIE", "y");
  m.set("LINUX_HAS_SYSCALL_WRAPPER", "y");
  return m;
}
