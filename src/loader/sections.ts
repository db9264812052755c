// The SEC() name table: what a program section's name says about the program
// (libbpf's section_defs in libbpf.c): its program type (the syscall layer's
// names), the attach type linkCreate takes, the target (the part after the
// prefix), whether it is sleepable, whether its target is a BTF name, and
// whether it is loaded by default (a leading '?' means not). Matching follows
// libbpf: "name+" matches "name" exactly or "name/..."; "name/" needs
// something after the slash; anything else matches exactly; the first entry
// that matches wins. Unknown names are refused with libbpf's wording.
import { BtfsnoopError } from "../internal/errors.js";

export interface SectionDef {
  /** libbpf's spelling: "kprobe+", "socket", "cgroup/bind4". */
  pattern: string;
  /** Program type as the syscall layer names it (progLoad's progType). */
  progType: string;
  /** Attach type as linkCreate takes it; undefined when the program is not attached by the loader. */
  attachType: string | undefined;
  sleepable: boolean;
  /** The target is a kernel BTF name resolved at load time (fentry/, tp_btf/, iter/, lsm/, freplace/). */
  attachBtf: boolean;
}

export interface ProgramSection {
  /** The section name without a leading '?'. */
  secName: string;
  /** The matched prefix without its '+' ("kprobe", "tp", "fentry.s"). */
  prefix: string;
  progType: string;
  attachType: string | undefined;
  /** What follows "prefix/" ("tcp_sendmsg", "sched/sched_switch", "vfs_*"), or "" (SEC("kprobe"), SEC("socket")). */
  target: string;
  /** false for SEC("?...") (libbpf: autoload off). */
  autoload: boolean;
  sleepable: boolean;
  attachBtf: boolean;
}

type Flags = { s?: boolean; btf?: boolean };
const def = (pattern: string, progType: string, attachType: string | undefined, f: Flags = {}): SectionDef => ({
  pattern,
  progType,
  attachType,
  sleepable: f.s ?? false,
  attachBtf: f.btf ?? false,
});

/** libbpf's order (first match wins). Program types the syscall layer lacks keep the kernel's name, lowercased. */
export const SECTION_DEFS: readonly SectionDef[] = [
  def("socket", "socket_filter", undefined),
  def("sk_reuseport/migrate", "sk_reuseport", undefined),
  def("sk_reuseport", "sk_reuseport", undefined),
  def("kprobe+", "kprobe", "kprobe"),
  def("uprobe+", "kprobe", "uprobe"),
  def("uprobe.s+", "kprobe", "uprobe", { s: true }),
  def("kretprobe+", "kprobe", "kretprobe"),
  def("uretprobe+", "kprobe", "uretprobe"),
  def("uretprobe.s+", "kprobe", "uretprobe", { s: true }),
  def("kprobe.multi+", "kprobe", "kprobe.multi"),
  def("kretprobe.multi+", "kprobe", "kretprobe.multi"),
  def("kprobe.session+", "kprobe", "kprobe.session"),
  def("uprobe.multi+", "kprobe", "uprobe.multi"),
  def("uretprobe.multi+", "kprobe", "uretprobe.multi"),
  def("uprobe.multi.s+", "kprobe", "uprobe.multi", { s: true }),
  def("uretprobe.multi.s+", "kprobe", "uretprobe.multi", { s: true }),
  def("ksyscall+", "kprobe", "kprobe"),
  def("kretsyscall+", "kprobe", "kretprobe"),
  def("usdt+", "kprobe", "usdt"),
  def("usdt.s+", "kprobe", "usdt", { s: true }),
  def("tc/ingress", "sched_cls", undefined),
  def("tc/egress", "sched_cls", undefined),
  def("tcx/ingress", "sched_cls", undefined),
  def("tcx/egress", "sched_cls", undefined),
  def("tc", "sched_cls", undefined),
  def("classifier", "sched_cls", undefined),
  def("action", "sched_act", undefined),
  def("tracepoint+", "tracepoint", "tracepoint"),
  def("tp+", "tracepoint", "tracepoint"),
  def("raw_tracepoint+", "raw_tracepoint", "raw_tp"),
  def("raw_tp+", "raw_tracepoint", "raw_tp"),
  def("raw_tracepoint.w+", "raw_tracepoint_writable", "raw_tp"),
  def("raw_tp.w+", "raw_tracepoint_writable", "raw_tp"),
  def("tp_btf+", "tracing", "raw_tp", { btf: true }),
  def("fentry+", "tracing", "fentry", { btf: true }),
  def("fmod_ret+", "tracing", "fmod_ret", { btf: true }),
  def("fexit+", "tracing", "fexit", { btf: true }),
  def("fentry.s+", "tracing", "fentry", { btf: true, s: true }),
  def("fmod_ret.s+", "tracing", "fmod_ret", { btf: true, s: true }),
  def("fexit.s+", "tracing", "fexit", { btf: true, s: true }),
  def("freplace+", "ext", "freplace", { btf: true }),
  def("lsm+", "lsm", "lsm", { btf: true }),
  def("lsm.s+", "lsm", "lsm", { btf: true, s: true }),
  def("lsm_cgroup+", "lsm", "lsm_cgroup", { btf: true }),
  def("iter+", "iter", "iter", { btf: true }),
  def("iter.s+", "iter", "iter", { btf: true, s: true }),
  def("syscall", "syscall", undefined, { s: true }),
  def("xdp.frags/devmap", "xdp", undefined),
  def("xdp/devmap", "xdp", undefined),
  def("xdp.frags/cpumap", "xdp", undefined),
  def("xdp/cpumap", "xdp", undefined),
  def("xdp.frags", "xdp", undefined),
  def("xdp", "xdp", undefined),
  def("perf_event", "perf_event", undefined),
  def("lwt_in", "lwt_in", undefined),
  def("lwt_out", "lwt_out", undefined),
  def("lwt_xmit", "lwt_xmit", undefined),
  def("lwt_seg6local", "lwt_seg6local", undefined),
  def("sockops", "sock_ops", undefined),
  def("sk_skb/stream_parser", "sk_skb", undefined),
  def("sk_skb/stream_verdict", "sk_skb", undefined),
  def("sk_skb/verdict", "sk_skb", undefined),
  def("sk_skb", "sk_skb", undefined),
  def("sk_msg", "sk_msg", undefined),
  def("lirc_mode2", "lirc_mode2", undefined),
  def("flow_dissector", "flow_dissector", undefined),
  def("cgroup_skb/ingress", "cgroup_skb", undefined),
  def("cgroup_skb/egress", "cgroup_skb", undefined),
  def("cgroup/skb", "cgroup_skb", undefined),
  def("cgroup/sock_create", "cgroup_sock", undefined),
  def("cgroup/sock_release", "cgroup_sock", undefined),
  def("cgroup/sock", "cgroup_sock", undefined),
  def("cgroup/post_bind4", "cgroup_sock", undefined),
  def("cgroup/post_bind6", "cgroup_sock", undefined),
  def("cgroup/bind4", "cgroup_sock_addr", undefined),
  def("cgroup/bind6", "cgroup_sock_addr", undefined),
  def("cgroup/connect4", "cgroup_sock_addr", undefined),
  def("cgroup/connect6", "cgroup_sock_addr", undefined),
  def("cgroup/connect_unix", "cgroup_sock_addr", undefined),
  def("cgroup/sendmsg4", "cgroup_sock_addr", undefined),
  def("cgroup/sendmsg6", "cgroup_sock_addr", undefined),
  def("cgroup/sendmsg_unix", "cgroup_sock_addr", undefined),
  def("cgroup/recvmsg4", "cgroup_sock_addr", undefined),
  def("cgroup/recvmsg6", "cgroup_sock_addr", undefined),
  def("cgroup/recvmsg_unix", "cgroup_sock_addr", undefined),
  def("cgroup/getpeername4", "cgroup_sock_addr", undefined),
  def("cgroup/getpeername6", "cgroup_sock_addr", undefined),
  def("cgroup/getpeername_unix", "cgroup_sock_addr", undefined),
  def("cgroup/getsockname4", "cgroup_sock_addr", undefined),
  def("cgroup/getsockname6", "cgroup_sock_addr", undefined),
  def("cgroup/getsockname_unix", "cgroup_sock_addr", undefined),
  def("cgroup/sysctl", "cgroup_sysctl", undefined),
  def("cgroup/getsockopt", "cgroup_sockopt", undefined),
  def("cgroup/setsockopt", "cgroup_sockopt", undefined),
  def("cgroup/dev", "cgroup_device", undefined),
  def("struct_ops+", "struct_ops", undefined),
  def("struct_ops.s+", "struct_ops", undefined, { s: true }),
  def("sk_lookup", "sk_lookup", undefined),
  def("netfilter", "netfilter", undefined),
];

/** Whether `name` (without '?') matches a table entry, by libbpf's rules; returns the target part. */
function match(pattern: string, name: string): string | undefined {
  if (pattern.endsWith("+")) {
    const p = pattern.slice(0, -1);
    if (name === p) return "";
    return name.startsWith(p + "/") ? name.slice(p.length + 1) : undefined;
  }
  if (pattern.endsWith("/")) return name.startsWith(pattern) && name.length > pattern.length ? name.slice(pattern.length) : undefined;
  return name === pattern ? "" : undefined;
}

/** What a program section's name says, or undefined when no entry matches. */
export function findProgramSection(sectionName: string): ProgramSection | undefined {
  const autoload = !sectionName.startsWith("?");
  const secName = autoload ? sectionName : sectionName.slice(1);
  for (const d of SECTION_DEFS) {
    const target = match(d.pattern, secName);
    if (target === undefined) continue;
    return {
      secName,
      prefix: d.pattern.replace(/[+/]$/, ""),
      progType: d.progType,
      attachType: d.attachType,
      target,
      autoload,
      sleepable: d.sleepable,
      attachBtf: d.attachBtf,
    };
  }
  return undefined;
}

/** The hint of an unknown section: the prefixes a tracer uses most. */
export const SECTION_HINT =
  "name the section as libbpf does: kprobe/FUNC, kretprobe/FUNC, kprobe.multi/PATTERN, ksyscall/NAME, tracepoint/CATEGORY/NAME (tp/), raw_tp/NAME, tp_btf/NAME, fentry/FUNC, fexit/FUNC, fmod_ret/FUNC, iter/TARGET, socket; '?' in front: not autoloaded";

/**
 * What a program section's name says; throws BtfsnoopError (EINVAL) with
 * libbpf's wording when no entry matches. `program` names the function for
 * the message ("prog 'handle': missing BPF prog type, ...").
 */
export function programSection(sectionName: string, program?: string): ProgramSection {
  const found = findProgramSection(sectionName);
  if (found) return found;
  const secName = sectionName.startsWith("?") ? sectionName.slice(1) : sectionName;
  const who = program === undefined ? "" : `prog '${program}': `;
  throw new BtfsnoopError("EINVAL", `${who}missing BPF prog type, check ELF section name '${secName}'`, { hint: SECTION_HINT });
}
