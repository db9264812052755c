// The objects a process owns besides its mm, files, fs, cred and pid
// (process.ts): its signal_struct (thread count, pids, rlimits,
// oom_score_adj) and sighand_struct (the signal actions), and the cgroup
// hierarchy every task is in (a css_set per cgroup of the default
// hierarchy, each cgroup with its kernfs_node: name and id), as systemd
// lays it out: init.scope, system.slice/<unit>.service,
// user.slice/user-1000.slice/session-1.scope. Also the list_head helpers.
import { BtfKind } from "../../btf/kinds.js";
import { sizeOf } from "../../btf/layout.js";
import type { Kernel } from "../kernel.js";
import type { Task } from "../tasks.js";
import { alloc, setField } from "./fields.js";

const offsetOf = (k: Kernel, type: string, path: string) => BigInt(k.memory.objects.field(type, path).byteOffset);

/** INIT_LIST_HEAD: an empty list points at itself. */
export function listInit(k: Kernel, head: bigint): void {
  k.memory.writeField(head, "list_head", "next", head);
  k.memory.writeField(head, "list_head", "prev", head);
}

/** list_add_tail: `entry` between the last entry of `head` and `head`. */
export function listAddTail(k: Kernel, entry: bigint, head: bigint): void {
  const last = k.memory.readField(head, "list_head", "prev");
  k.memory.writeField(entry, "list_head", "next", head);
  k.memory.writeField(entry, "list_head", "prev", last);
  k.memory.writeField(last, "list_head", "next", entry);
  k.memory.writeField(head, "list_head", "prev", entry);
}

/** list_del_init: `entry` unlinked from its neighbours, then empty. */
export function listDel(k: Kernel, entry: bigint): void {
  const next = k.memory.readField(entry, "list_head", "next");
  const prev = k.memory.readField(entry, "list_head", "prev");
  if (next !== 0n && prev !== 0n) {
    k.memory.writeField(prev, "list_head", "next", next);
    k.memory.writeField(next, "list_head", "prev", prev);
  }
  listInit(k, entry);
}

/** RLIMIT_* indexes and their defaults (a systemd-booted machine: NOFILE 1024/524288, STACK 8 MiB). */
const RLIM_INFINITY = 0xffffffffffffffffn;
const RLIMITS: [number, bigint, bigint][] = [
  [0, RLIM_INFINITY, RLIM_INFINITY], // CPU
  [1, RLIM_INFINITY, RLIM_INFINITY], // FSIZE
  [2, RLIM_INFINITY, RLIM_INFINITY], // DATA
  [3, 8n << 20n, RLIM_INFINITY], // STACK
  [4, 0n, RLIM_INFINITY], // CORE
  [5, RLIM_INFINITY, RLIM_INFINITY], // RSS
  [6, 15439n, 15439n], // NPROC
  [7, 1024n, 524288n], // NOFILE
  [8, 8n << 20n, 8n << 20n], // MEMLOCK
  [9, RLIM_INFINITY, RLIM_INFINITY], // AS
  [10, RLIM_INFINITY, RLIM_INFINITY], // LOCKS
  [11, 15439n, 15439n], // SIGPENDING
  [12, 819200n, 819200n], // MSGQUEUE
  [13, 0n, 0n], // NICE
  [14, 0n, 0n], // RTPRIO
  [15, RLIM_INFINITY, RLIM_INFINITY], // RTTIME
];
/** OOM_SCORE_ADJ_MIN: what sshd and systemd-udevd set themselves to. */
export const OOM_SCORE_ADJ_MIN = -1000n;

/** A process's signal_struct: one live thread, its pids (PID-type slots: TGID, PGID, SID), the default rlimits. */
export function newSignal(k: Kernel, t: Task, pid: bigint, from?: bigint): bigint {
  const sig = alloc(k, "signal_struct");
  setField(k, sig, "signal_struct", "sigcnt.refs.counter", 1n);
  setField(k, sig, "signal_struct", "live.counter", 1n);
  setField(k, sig, "signal_struct", "nr_threads", 1n);
  setField(k, sig, "signal_struct", "quick_threads", 1n);
  setField(k, sig, "signal_struct", "curr_target", t.taskAddress);
  for (const head of ["thread_head", "wait_chldexit.head", "shared_pending.list"]) listInit(k, sig + offsetOf(k, "signal_struct", head));
  setField(k, sig, "signal_struct", "pids[1]", pid);
  if (from !== undefined && from !== 0n) {
    // fork: the parent's process group and session, rlimits and oom_score_adj.
    for (const i of [2, 3]) setField(k, sig, "signal_struct", `pids[${i}]`, k.memory.readField(from, "signal_struct", `pids[${i}]`));
    const rlim = k.memory.readFieldBytes(from, "signal_struct", "rlim");
    k.memory.writeKernel(sig + offsetOf(k, "signal_struct", "rlim"), rlim);
    setField(k, sig, "signal_struct", "oom_score_adj", k.memory.readField(from, "signal_struct", "oom_score_adj"));
    setField(k, sig, "signal_struct", "oom_score_adj_min", k.memory.readField(from, "signal_struct", "oom_score_adj_min"));
  } else {
    // A boot process leads its own session and process group (as systemd starts services).
    for (const i of [2, 3]) setField(k, sig, "signal_struct", `pids[${i}]`, pid);
    setField(k, sig, "signal_struct", "leader", 1n);
    for (const [i, cur, max] of RLIMITS) {
      setField(k, sig, "signal_struct", `rlim[${i}].rlim_cur`, cur);
      setField(k, sig, "signal_struct", `rlim[${i}].rlim_max`, max);
    }
    if (t.comm === "sshd" || t.pid === 1) {
      setField(k, sig, "signal_struct", "oom_score_adj", OOM_SCORE_ADJ_MIN);
      setField(k, sig, "signal_struct", "oom_score_adj_min", OOM_SCORE_ADJ_MIN);
    }
  }
  return sig;
}

/** A user address in the program's text standing for its signal handler. */
const HANDLER_BASE = 0x401000n;
/** SA_RESTORER | SA_RESTART: how glibc installs a handler. */
const SA_FLAGS = 0x04000000n | 0x10000000n;
/** The signals each program handles: bash its children's SIGCHLD, daemons SIGHUP and SIGTERM (reload, clean shutdown). */
export function handledSignals(comm: string): number[] {
  if (comm === "bash" || comm === "sh") return [17, 2]; // SIGCHLD, SIGINT
  if (comm === "systemd" || comm === "sshd" || comm === "nginx" || comm === "postgres") return [1, 15, 17]; // SIGHUP, SIGTERM, SIGCHLD
  return [];
}

/** A process's sighand_struct: one user; a handler for each signal its program handles, the rest SIG_DFL. */
export function newSighand(k: Kernel, t: Task, from?: bigint): bigint {
  const sh = alloc(k, "sighand_struct");
  setField(k, sh, "sighand_struct", "count.refs.counter", 1n);
  listInit(k, sh + offsetOf(k, "sighand_struct", "signalfd_wqh.head"));
  if (from !== undefined && from !== 0n) {
    k.memory.writeKernel(sh + offsetOf(k, "sighand_struct", "action"), k.memory.readFieldBytes(from, "sighand_struct", "action"));
  } else {
    for (const sig of handledSignals(t.comm)) setHandler(k, sh, sig, HANDLER_BASE + BigInt(sig) * 0x40n);
  }
  return sh;
}

export function setHandler(k: Kernel, sighand: bigint, sig: number, handler: bigint): void {
  setField(k, sighand, "sighand_struct", `action[${sig - 1}].sa.sa_handler`, handler);
  setField(k, sighand, "sighand_struct", `action[${sig - 1}].sa.sa_flags`, handler > 1n ? SA_FLAGS : 0n);
}

/** exec's flush_signal_handlers: handled signals go back to SIG_DFL (ignored ones stay ignored); the new program installs its own. */
export function resetHandlers(k: Kernel, sighand: bigint, comm: string): void {
  // One read of the 64 actions, then a store for each caught signal.
  const actions = k.memory.readFieldBytes(sighand, "sighand_struct", "action");
  const stride = actions.length / 64;
  const dv = new DataView(actions.buffer, actions.byteOffset, actions.length);
  for (let sig = 1; sig <= 64; sig++) {
    if (dv.getBigUint64((sig - 1) * stride, true) > 1n) setHandler(k, sighand, sig, 0n);
  }
  for (const sig of handledSignals(comm)) setHandler(k, sighand, sig, HANDLER_BASE + BigInt(sig) * 0x40n);
}

/** A cgroup of the default hierarchy: its struct cgroup, kernfs_node and css_set. */
export interface Cgroup {
  readonly path: string;
  readonly cgrp: bigint;
  readonly kn: bigint;
  readonly cset: bigint;
  readonly id: bigint;
}

interface Hierarchy {
  readonly byPath: Map<string, Cgroup>;
  nextId: bigint;
}
const hierarchies = new WeakMap<Kernel, Hierarchy>();

/** The systemd unit a boot program runs in. */
export function cgroupPath(comm: string, kthread: boolean, pid: number): string {
  if (kthread || pid === 0) return "/";
  if (pid === 1) return "/init.scope";
  switch (comm) {
    case "sshd":
      return "/system.slice/sshd.service";
    case "nginx":
      return "/system.slice/nginx.service";
    case "postgres":
      return "/system.slice/postgresql.service";
    default:
      return "/user.slice/user-1000.slice/session-1.scope";
  }
}

/** The cgroup at `path` (made with its ancestors on first use; the root's id is 1, as cgroup v2's). */
export function cgroupAt(k: Kernel, path: string): Cgroup {
  let h = hierarchies.get(k);
  if (!h) hierarchies.set(k, (h = { byPath: new Map(), nextId: 1n }));
  const hit = h.byPath.get(path);
  if (hit) return hit;
  const parts = path.split("/").filter((x) => x);
  const parent = parts.length ? cgroupAt(k, "/" + parts.slice(0, -1).join("/")) : undefined;
  const level = parts.length;
  const cgId = k.btf.findByNameKind("cgroup", BtfKind.STRUCT)!;
  // struct cgroup ends with ancestors[level + 1] (a flexible array: the root's and each level's down to itself).
  const cgrp = k.memory.kmalloc(sizeOf(k.btf, cgId) + 8 * (level + 1), true);
  const kn = alloc(k, "kernfs_node");
  const name = parts.length ? parts[parts.length - 1]! : "";
  const nameBuf = new TextEncoder().encode(name + "\0");
  const nameAddr = k.memory.kmalloc(nameBuf.length, true);
  k.memory.writeKernel(nameAddr, nameBuf);
  const id = h.nextId++;
  setField(k, kn, "kernfs_node", "count.counter", 1n);
  setField(k, kn, "kernfs_node", "active.counter", 0n);
  setField(k, kn, "kernfs_node", "parent", parent?.kn ?? 0n);
  setField(k, kn, "kernfs_node", "name", nameAddr);
  setField(k, kn, "kernfs_node", "id", id);
  setField(k, kn, "kernfs_node", "mode", 0o40755n);
  setField(k, kn, "kernfs_node", "flags", 0x0001n); // KERNFS_DIR
  setField(k, kn, "kernfs_node", "priv", cgrp);
  setField(k, cgrp, "cgroup", "self.cgroup", cgrp);
  setField(k, cgrp, "cgroup", "self.parent", parent ? parent.cgrp : 0n);
  setField(k, cgrp, "cgroup", "self.id", id);
  setField(k, cgrp, "cgroup", "self.serial_nr", id);
  setField(k, cgrp, "cgroup", "self.online_cnt.counter", 1n);
  setField(k, cgrp, "cgroup", "level", BigInt(level));
  setField(k, cgrp, "cgroup", "max_depth", 0x7fffffffn);
  setField(k, cgrp, "cgroup", "max_descendants", 0x7fffffffn);
  setField(k, cgrp, "cgroup", "kn", kn);
  setField(k, cgrp, "cgroup", "dom_cgrp", cgrp);
  const anc = offsetOf(k, "cgroup", "ancestors");
  // ancestors[i] is the cgroup at level i on the path to this one.
  let up: Cgroup | undefined = parent;
  const chain: bigint[] = [cgrp];
  while (up) {
    chain.unshift(up.cgrp);
    up = up.path === "/" ? undefined : h.byPath.get(parentPath(up.path));
  }
  chain.forEach((c, i) => writeU64(k, cgrp + anc + BigInt(8 * i), c));
  for (const list of ["self.sibling", "self.children", "self.rstat_css_node", "cset_links"]) listInit(k, cgrp + offsetOf(k, "cgroup", list));
  if (parent) {
    listAddTail(k, cgrp + offsetOf(k, "cgroup", "self.sibling"), parent.cgrp + offsetOf(k, "cgroup", "self.children"));
    for (let p: Cgroup | undefined = parent; p; p = p.path === "/" ? undefined : h.byPath.get(parentPath(p.path))) {
      setField(k, p.cgrp, "cgroup", "nr_descendants", k.memory.readField(p.cgrp, "cgroup", "nr_descendants") + 1n);
    }
  }
  const cset = alloc(k, "css_set");
  setField(k, cset, "css_set", "refcount.refs.counter", 1n);
  setField(k, cset, "css_set", "dom_cset", cset);
  setField(k, cset, "css_set", "dfl_cgrp", cgrp);
  for (const list of ["tasks", "mg_tasks", "dying_tasks"]) listInit(k, cset + offsetOf(k, "css_set", list));
  setField(k, cgrp, "cgroup", "nr_populated_csets", 1n);
  const cg: Cgroup = { path, cgrp, kn, cset, id };
  h.byPath.set(path, cg);
  return cg;
}

const parentPath = (path: string) => {
  const parts = path.split("/").filter((x) => x);
  return "/" + parts.slice(0, -1).join("/");
};

function writeU64(k: Kernel, addr: bigint, v: bigint): void {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  k.memory.writeKernel(addr, b);
}

/** The cgroup a boot task starts in. */
export function cgroupOf(k: Kernel, t: Task): Cgroup {
  return cgroupAt(k, cgroupPath(t.comm, t.kthread, t.pid));
}

/** The cgroup whose css_set is at `cset`. */
export function cgroupOfCset(k: Kernel, cset: bigint): Cgroup | undefined {
  for (const cg of hierarchies.get(k)?.byPath.values() ?? []) if (cg.cset === cset) return cg;
  return undefined;
}
