// The attach phase (libbpf's section_defs and bpf_program__attach): what a
// SEC() name means — the program type to load it as and, when the name
// carries a target, how to attach it — and attaching through
// bpf.linkCreate. Rules mirror libbpf's table:
//   kprobe/FUNC, kretprobe/FUNC              kprobe program, kprobe/kretprobe link
//   kprobe.multi/GLOB, kretprobe.multi/GLOB  kprobe program, one multi link over the matches
//   ksyscall/NAME, kretsyscall/NAME          kprobe on the syscall's entry (__x64_sys_NAME)
//   tracepoint/CAT/NAME, tp/CAT/NAME         tracepoint program (ctx = the event record)
//   raw_tracepoint/NAME, raw_tp/NAME         raw tracepoint (ctx = the TP_PROTO arguments as u64)
//   tp_btf/NAME                              BTF-typed raw tracepoint (same context, tracing type)
//   fentry/FUNC, fexit/FUNC, fmod_ret/FUNC   tracing program on the function's trampoline
//   iter/TARGET                              iterator (read once at the end, like `cat` of a pinned one)
//   socket                                   socket filter: attached to a packet socket of its own
//                                            (AF_PACKET, SOCK_RAW, ETH_P_ALL) bound to an interface
//                                            (lo unless told), with SO_ATTACH_BPF
// A SEC kind without a target (SEC("kprobe")) loads but is not attached
// automatically (libbpf leaves those to the caller). Kinds the kernel
// cannot serve are reported with their reason instead of failing the object.
import type { Btf } from "../btf/btf.js";
import { BtfKind } from "../btf/kinds.js";
import type { Bpf } from "../syscall/bpf.js";
import { AF_PACKET, ETH_P_ALL, SO_ATTACH_BPF, SOCK_RAW, SOL_SOCKET } from "../syscall/sockets.js";
import type { AttachTarget, TracepointInfo } from "../syscall/types.js";

/** How a program of a SEC kind loads and attaches. */
export interface SectionDef {
  /** The kind's prefix as libbpf's table names it ("kprobe", "tp", "fentry", ...). */
  kind: string;
  /** The syscall layer's program type. */
  progType: "kprobe" | "tracepoint" | "tracing" | "raw_tracepoint" | "iter" | "socket_filter" | "perf_event";
  /** The attach type linkCreate takes, when the SEC name gives a target. */
  attachType?: string;
  /** The target as written after the kind ("tcp_sendmsg", "sched/sched_switch", "task"). */
  target?: string;
}

/** A SEC name libbpf would not know, or one this kernel cannot serve. */
export interface SectionProblem {
  /** true: the whole object fails (libbpf: missing BPF prog type); false: this program is skipped with `reason`. */
  fatal: boolean;
  reason: string;
}

const KPROBE_KINDS: Readonly<Record<string, string>> = {
  kprobe: "kprobe",
  kretprobe: "kretprobe",
  "kprobe.multi": "kprobe.multi",
  "kretprobe.multi": "kretprobe.multi",
  ksyscall: "kprobe",
  kretsyscall: "kretprobe",
};

/** SEC name -> its definition, or why it cannot be loaded. `secName` is without the '?' prefix. */
export function sectionDef(secName: string): SectionDef | SectionProblem {
  const slash = secName.indexOf("/");
  const kind = slash < 0 ? secName : secName.slice(0, slash);
  const target = slash < 0 ? undefined : secName.slice(slash + 1);
  const withTarget = (d: SectionDef): SectionDef => (target ? { ...d, target } : { kind: d.kind, progType: d.progType });
  if (kind in KPROBE_KINDS) {
    if (target !== undefined && /\+\d+$|^0x/.test(target)) return { fatal: false, reason: `kprobe offsets and addresses ('${target}') are not supported; attach at a function's entry` };
    return withTarget({ kind, progType: "kprobe", attachType: KPROBE_KINDS[kind]! });
  }
  switch (kind) {
    case "tracepoint":
    case "tp":
      if (target !== undefined && !/^[^/]+\/[^/]+$/.test(target)) return { fatal: true, reason: `'${secName}': a tracepoint section is ${kind}/<category>/<name>` };
      return withTarget({ kind, progType: "tracepoint", attachType: "tracepoint" });
    case "raw_tracepoint":
    case "raw_tp":
      return withTarget({ kind, progType: "raw_tracepoint", attachType: "raw_tp" });
    case "tp_btf":
      return withTarget({ kind, progType: "tracing", attachType: "raw_tp" });
    case "fentry":
    case "fexit":
    case "fmod_ret":
      return withTarget({ kind, progType: "tracing", attachType: kind });
    case "fentry.s":
    case "fexit.s":
      return { fatal: false, reason: `sleepable programs (${kind}) are not supported by the kernel yet` };
    case "iter":
      return withTarget({ kind, progType: "iter", attachType: "iter" });
    case "uprobe":
    case "uretprobe":
    case "uprobe.s":
    case "uretprobe.s":
    case "uprobe.multi":
    case "uretprobe.multi":
    case "usdt":
    case "usdt.s":
      // Known to libbpf, so not the object's error: this program is skipped and the rest run.
      return { fatal: false, reason: `${kind} programs probe user-space code (a binary's function or USDT note): the synthetic kernel's tasks run no user binaries, so ${kind} is not supported; the object's other programs run` };
    case "perf_event":
      return { kind, progType: "perf_event", attachType: "perf_event", target: "cpu-clock" };
    case "socket":
      // libbpf's SEC("socket") (SEC_NONE): the exact name, no target; the attach is a socket's, not a link.
      if (target !== undefined) return { fatal: true, reason: `missing BPF prog type, check ELF section name '${secName}'` };
      return { kind, progType: "socket_filter", attachType: "socket" };
    default:
      return { fatal: true, reason: `missing BPF prog type, check ELF section name '${secName}'` };
  }
}

export function isSectionProblem(d: SectionDef | SectionProblem): d is SectionProblem {
  return "reason" in d;
}

/** The kernel's facts attach needs (read once per object). */
export interface KernelFacts {
  btf: Btf;
  tracepoints: readonly TracepointInfo[];
  kallsyms: ReadonlySet<string>;
}

/** What progLoad needs beyond the instructions for this kind: nargs, the tracepoint record size, the iterator target. Or why not. */
export function loadAttrsFor(def: SectionDef, k: KernelFacts): { nargs?: number; ctxSize?: number; iterTarget?: string } | string {
  switch (def.kind) {
    case "fentry":
    case "fexit":
    case "fmod_ret": {
      if (!def.target) return { nargs: 12 };
      const id = k.btf.findByNameKind(def.target, BtfKind.FUNC);
      if (id === undefined) return `no function '${def.target}' in the kernel's BTF`;
      const fn = k.btf.typeById(id);
      const proto = fn.kind === BtfKind.FUNC ? k.btf.typeById(fn.type) : undefined;
      const params = proto && proto.kind === BtfKind.FUNC_PROTO ? proto.params.length : 6;
      return { nargs: Math.max(1, Math.min(12, params + (def.kind === "fentry" ? 0 : 1))) };
    }
    case "raw_tp":
    case "raw_tracepoint":
    case "tp_btf": {
      if (!def.target) return { nargs: 12 };
      const tp = k.tracepoints.find((t) => t.name === def.target);
      if (!tp) return `no tracepoint '${def.target}' in the kernel`;
      return { nargs: Math.max(1, tp.proto.length) };
    }
    case "tracepoint":
    case "tp": {
      if (!def.target) return `${def.kind} programs need the event in the section name (${def.kind}/<category>/<name>) to size their context`;
      const [cat, name] = def.target.split("/") as [string, string];
      const tp = k.tracepoints.find((t) => t.category === cat && t.name === name);
      if (!tp) return `no tracepoint '${cat}:${name}' in the kernel`;
      return { ctxSize: tp.size };
    }
    case "iter":
      if (!def.target) return "iter programs need their target in the section name (iter/<target>)";
      return { iterTarget: def.target };
    case "ksyscall":
    case "kretsyscall": {
      if (def.target && !k.kallsyms.has(syscallSymbol(def.target))) return `the kernel has no syscall entry '${syscallSymbol(def.target)}' for ${def.kind}/${def.target} (issue #18)`;
      return {};
    }
    default:
      return {};
  }
}

/** The x86-64 syscall wrapper libbpf attaches ksyscall programs to. */
export function syscallSymbol(name: string): string {
  return `__x64_sys_${name}`;
}

/** The linkCreate target of a section with a target. */
export function attachTarget(def: SectionDef): AttachTarget {
  const t = def.target!;
  switch (def.kind) {
    case "tracepoint":
    case "tp":
      return { name: t.replace("/", ":") };
    case "kprobe.multi":
    case "kretprobe.multi":
      return { names: [t] };
    case "ksyscall":
    case "kretsyscall":
      return { name: syscallSymbol(t) };
    default:
      return { name: t };
  }
}

/** Attaches a loaded program by its section: the link fd, or a message (the syscall layer's detail). */
export function attachBySection(bpf: Bpf, progFd: number, def: SectionDef): number | string {
  if (!def.attachType || !def.target) return `SEC("${def.kind}") names no target: not attached automatically (attach it yourself)`;
  const link = bpf.linkCreate(progFd, def.attachType, attachTarget(def));
  if (link < 0) return bpf.lastError || `link create failed (${link})`;
  return link;
}

/** The interface a socket program's packet socket is bound to unless told otherwise. */
export const DEFAULT_SOCKET_IFACE = "lo";

/**
 * Attaches a socket filter as a program that watches an interface does:
 * socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)), bind to the interface,
 * setsockopt(SO_ATTACH_BPF). The socket's fd, or a message (the socket is
 * closed again).
 */
export function attachSocket(bpf: Bpf, progFd: number, iface: string = DEFAULT_SOCKET_IFACE): number | string {
  const ifindex = bpf.ifNameToIndex(iface);
  if (ifindex < 0) return bpf.lastError;
  const fd = bpf.socket(AF_PACKET, SOCK_RAW, ETH_P_ALL);
  if (fd < 0) return `socket(AF_PACKET): ${bpf.lastError}`;
  const fail = (what: string): string => {
    const why = bpf.lastError;
    bpf.close(fd);
    return `${what}: ${why}`;
  };
  if (bpf.bind(fd, { family: AF_PACKET, ifindex }) < 0) return fail(`bind to ${iface}`);
  if (bpf.setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, progFd) < 0) return fail("setsockopt(SO_ATTACH_BPF)");
  return fd;
}
