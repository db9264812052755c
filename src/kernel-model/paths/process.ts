// What fork gives a task besides its task_struct (kernel.ts fills that):
// an mm_struct per process (shared by its threads; none for kernel threads,
// which borrow no mm here), a files_struct whose fdtable is its embedded
// fdtab over fd_array and the open_fds bitmap (fd_install and close update
// them), and, where the headers have the types, a cred (uid/gid), an
// fs_struct (root and pwd: the root mount's "/"), a struct pid with the
// task's number in the init pid namespace, and the init namespaces'
// nsproxy (init_pid_ns, init_net). Threads share their leader's
// mm, files, fs and cred, as CLONE_VM | CLONE_FILES | CLONE_FS | CLONE_THREAD
// make them.
import { BtfKind } from "../../btf/kinds.js";
import { sizeOf } from "../../btf/layout.js";
import { findMember } from "../../btf/members.js";
import type { Kernel } from "../kernel.js";
import type { Task } from "../tasks.js";
import { alloc, setField } from "./fields.js";
import type { Vfs } from "./vfs.js";

/** Where user mappings start, and the top of user space (x86-64, 4-level paging). */
export const MMAP_BASE = 0x7f0000000000n;
export const TASK_SIZE = 0x7ffffffff000n;
/** NR_OPEN_DEFAULT: the descriptors the embedded fdtable holds (BITS_PER_LONG). */
const NR_OPEN_DEFAULT = 64;

const has = (k: Kernel, type: string) => k.btf.findByNameKind(type, BtfKind.STRUCT) !== undefined;
const offsetOf = (k: Kernel, type: string, path: string) => BigInt(k.memory.objects.field(type, path).byteOffset);
const read = (k: Kernel, t: Task, field: string) => k.memory.readField(t.taskAddress, "task_struct", field);

/** Gives the new task `t` its process objects (its leader's, for a thread). */
export function forkObjects(k: Kernel, t: Task, vfs: Vfs, net: bigint): void {
  if (t.taskAddress === 0n || !has(k, "task_struct")) return;
  const leader = t.tgid !== t.pid ? k.tasks.get(t.tgid) : undefined;
  const set = (field: string, v: bigint) => setField(k, t.taskAddress, "task_struct", field, v);
  const shared = (field: string, make: () => bigint) => {
    const v = leader ? read(k, leader, field) : make();
    set(field, v);
    return v;
  };
  if (!t.kthread) {
    const mm = shared("mm", () => newMm(k, t));
    set("active_mm", mm);
    if (leader && mm !== 0n) setField(k, mm, "mm_struct", "mm_users.counter", k.memory.readField(mm, "mm_struct", "mm_users.counter") + 1n);
  }
  if (has(k, "files_struct")) shared("files", () => newFiles(k));
  if (has(k, "fs_struct")) shared("fs", () => newFs(k, vfs));
  if (has(k, "cred")) {
    const cred = shared("cred", () => newCred(k, t));
    set("real_cred", cred);
  }
  const ns = initNamespaces(k, net);
  set("nsproxy", ns.nsproxy);
  if (has(k, "pid")) set("thread_pid", newPid(k, t, ns));
  if (ns.pidNs !== 0n) {
    // The first process is the namespace's reaper (init); every task counts as allocated.
    if (t.pid === 1) setField(k, ns.pidNs, "pid_namespace", "child_reaper", t.taskAddress);
    setField(k, ns.pidNs, "pid_namespace", "pid_allocated", BigInt(k.tasks.all().length));
  }
}

function newMm(k: Kernel, owner: Task): bigint {
  const mm = alloc(k, "mm_struct");
  setField(k, mm, "mm_struct", "mm_users.counter", 1n);
  setField(k, mm, "mm_struct", "mm_count.counter", 1n);
  setField(k, mm, "mm_struct", "mmap_base", MMAP_BASE);
  setField(k, mm, "mm_struct", "task_size", TASK_SIZE);
  // A 64-bit ELF's text at 0x400000 and the stack near the top of user space (no ASLR in the model).
  setField(k, mm, "mm_struct", "start_code", 0x400000n);
  setField(k, mm, "mm_struct", "end_code", 0x401000n + BigInt((owner.pid * 0x3000) & 0xfffff));
  setField(k, mm, "mm_struct", "start_stack", 0x7ffffffde000n);
  setField(k, mm, "mm_struct", "owner", owner.taskAddress);
  return mm;
}

function newFiles(k: Kernel): bigint {
  const files = alloc(k, "files_struct");
  setField(k, files, "files_struct", "count.counter", 1n);
  setField(k, files, "files_struct", "fdt", files + offsetOf(k, "files_struct", "fdtab"));
  setField(k, files, "files_struct", "fdtab.max_fds", BigInt(NR_OPEN_DEFAULT));
  setField(k, files, "files_struct", "fdtab.fd", files + offsetOf(k, "files_struct", "fd_array"));
  setField(k, files, "files_struct", "fdtab.open_fds", files + offsetOf(k, "files_struct", "open_fds_init"));
  setField(k, files, "files_struct", "fdtab.close_on_exec", files + offsetOf(k, "files_struct", "close_on_exec_init"));
  setField(k, files, "files_struct", "fdtab.full_fds_bits", files + offsetOf(k, "files_struct", "full_fds_bits_init"));
  return files;
}

function newFs(k: Kernel, vfs: Vfs): bigint {
  const fs = alloc(k, "fs_struct");
  setField(k, fs, "fs_struct", "users", 1n);
  for (const p of ["root", "pwd"]) {
    setField(k, fs, "fs_struct", `${p}.mnt`, vfs.root.mnt);
    setField(k, fs, "fs_struct", `${p}.dentry`, vfs.root.root);
  }
  return fs;
}

function newCred(k: Kernel, t: Task): bigint {
  const cred = alloc(k, "cred");
  setField(k, cred, "cred", "usage.counter", 1n);
  for (const f of ["uid", "euid", "suid", "fsuid"]) setField(k, cred, "cred", `${f}.val`, BigInt(t.uid));
  for (const f of ["gid", "egid", "sgid", "fsgid"]) setField(k, cred, "cred", `${f}.val`, BigInt(t.gid));
  return cred;
}

/**
 * A struct pid for `t` in the init namespace: level 0 and one upid
 * (numbers[] is a flexible array: the object is sized for level + 1 of
 * them, as the pid namespace's cache is), with the task's number.
 */
function newPid(k: Kernel, t: Task, ns: Namespaces): bigint {
  const pidId = k.btf.findByNameKind("pid", BtfKind.STRUCT)!;
  const upidId = k.btf.findByNameKind("upid", BtfKind.STRUCT);
  if (upidId === undefined || !findMember(k.btf, pidId, "numbers")) return alloc(k, "pid");
  const pid = k.memory.kmalloc(sizeOf(k.btf, pidId) + sizeOf(k.btf, upidId), true);
  setField(k, pid, "pid", "count.refs.counter", 1n);
  setField(k, pid, "pid", "level", 0n);
  const upid = pid + offsetOf(k, "pid", "numbers");
  setField(k, upid, "upid", "nr", BigInt(t.pid));
  setField(k, upid, "upid", "ns", ns.pidNs);
  return pid;
}

/** The init namespaces every task is in: init_pid_ns and init_nsproxy (static in the image, as in Linux), made once per kernel. */
interface Namespaces {
  pidNs: bigint;
  nsproxy: bigint;
}
const namespaces = new WeakMap<Kernel, Namespaces>();

/** PID_MAX_LIMIT on 64-bit: the default pid_max of a machine with many CPUs. */
const PID_MAX = 4194304n;

function initNamespaces(k: Kernel, net: bigint): Namespaces {
  let ns = namespaces.get(k);
  if (ns) return ns;
  // In .data as Linux's init_pid_ns and init_nsproxy are, not named in kallsyms yet (its tests list the data symbols the model names).
  const place = (type: string) => {
    const id = k.btf.findByNameKind(type, BtfKind.STRUCT);
    return id === undefined ? 0n : k.data.place("data", undefined, sizeOf(k.btf, id), { align: 64 });
  };
  const pidNs = place("pid_namespace");
  setField(k, pidNs, "pid_namespace", "level", 0n);
  setField(k, pidNs, "pid_namespace", "pid_max", PID_MAX);
  const nsproxy = place("nsproxy");
  setField(k, nsproxy, "nsproxy", "count.refs.counter", 1n);
  setField(k, nsproxy, "nsproxy", "pid_ns_for_children", pidNs);
  setField(k, nsproxy, "nsproxy", "net_ns", net);
  // The idle tasks (init_task first) are in them too.
  for (const idle of k.tasks.idle) setField(k, idle.taskAddress, "task_struct", "nsproxy", nsproxy);
  namespaces.set(k, (ns = { pidNs, nsproxy }));
  return ns;
}

/** The current task's files_struct (0 if it has none). */
export function filesOf(k: Kernel, t: Task): bigint {
  if (t.taskAddress === 0n || !has(k, "files_struct")) return 0n;
  return k.memory.readField(t.taskAddress, "task_struct", "files");
}

/** fd_install: `file` in slot `fd` of the table and its bit set in open_fds (descriptors past the embedded table are not modelled). */
export function installFd(k: Kernel, files: bigint, fd: number, file: bigint): void {
  if (files === 0n || fd >= NR_OPEN_DEFAULT) return;
  k.memory.writeField(files, "files_struct", `fd_array[${fd}]`, file);
  const bits = k.memory.readField(files, "files_struct", "open_fds_init[0]");
  k.memory.writeField(files, "files_struct", "open_fds_init[0]", BigInt.asUintN(64, bits | (1n << BigInt(fd))));
  const next = Number(k.memory.readField(files, "files_struct", "next_fd"));
  if (fd === next) k.memory.writeField(files, "files_struct", "next_fd", BigInt(fd + 1));
}

/** close_fd: slot `fd` emptied and its open_fds bit cleared; next_fd drops to it if lower. */
export function clearFd(k: Kernel, files: bigint, fd: number): void {
  if (files === 0n || fd >= NR_OPEN_DEFAULT) return;
  k.memory.writeField(files, "files_struct", `fd_array[${fd}]`, 0n);
  const bits = k.memory.readField(files, "files_struct", "open_fds_init[0]");
  k.memory.writeField(files, "files_struct", "open_fds_init[0]", BigInt.asUintN(64, bits & ~(1n << BigInt(fd))));
  const next = Number(k.memory.readField(files, "files_struct", "next_fd"));
  if (fd < next) k.memory.writeField(files, "files_struct", "next_fd", BigInt(fd));
}
