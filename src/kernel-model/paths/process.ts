// Processes: what a task owns (an mm_struct per process, shared by its
// threads; none for kernel threads; a files_struct whose fdtable is its
// embedded fdtab over fd_array and open_fds; a cred; an fs_struct; a struct
// pid in the init pid namespace; the init nsproxy; a signal_struct and a
// sighand_struct; a css_set of its cgroup: process-objects.ts), and their
// life: fork (clone -> kernel_clone -> copy_process -> copy_creds,
// copy_files, copy_fs, copy_sighand, copy_signal, copy_mm/dup_mm,
// copy_namespaces, alloc_pid, sched_fork, cgroup_post_fork ->
// wake_up_new_task, with task_newtask and sched_process_fork), exit
// (exit_group -> do_group_exit -> do_exit -> exit_mm/mmput -> exit_mmap,
// exit_files, exit_fs, exit_notify -> do_notify_parent, sched_process_exit,
// do_task_dead), wait4 (kernel_wait4 -> do_wait -> wait_task_zombie ->
// release_task, sched_process_wait), the task's last reference
// (put_task_struct_rcu_user -> delayed_put_task_struct, sched_process_free
// -> __put_task_struct -> free_task), getpid, and the sched workload's
// process step (bash forks a child that execs and exits; bash reaps it).
// Exec is exec.ts, signals signal.ts, the OOM killer oom.ts.
import { BtfKind } from "../../btf/kinds.js";
import { sizeOf } from "../../btf/layout.js";
import { findMember } from "../../btf/members.js";
import type { Kernel } from "../kernel.js";
import type { Task } from "../tasks.js";
import { alloc, setField } from "./fields.js";
import { procOf, pstate } from "./proc-state.js";
import type { Vfs } from "./vfs.js";
import { defineSyscall, releaseSyscallRegs, syscall, syscallNr } from "./syscalls.js";
import { EXIT_ZOMBIE, forgetTask, get, infoOf, put, registerTask, resume, runNow, schedState, setschedulerSyscall, TASK_DEAD, TASK_INTERRUPTIBLE, TASK_RUNNING, taskAt } from "./sched.js";
import { cgroupOf, cgroupOfCset, listAddTail, listDel, listInit, newSighand, newSignal, type Cgroup } from "./process-objects.js";
import { exitToUser, installSignalPaths, killWhileAsleep } from "./signal.js";
import { installExecPaths } from "./exec.js";
import { installOomPaths, touchMemory } from "./oom.js";
import { pathFunctions } from "./bind.js";

/** Where user mappings start, and the top of user space (x86-64, 4-level paging). */
export const MMAP_BASE = 0x7f0000000000n;
export const TASK_SIZE = 0x7ffffffff000n;
/** NR_OPEN_DEFAULT: the descriptors the embedded fdtable holds (BITS_PER_LONG). */
const NR_OPEN_DEFAULT = 64;
/** clone flags. */
const CSIGNAL = 0xffn;
const CLONE_VM = 0x100n;
const CLONE_FS = 0x200n;
const CLONE_FILES = 0x400n;
const CLONE_SIGHAND = 0x800n;
const CLONE_THREAD = 0x10000n;
/** wait4 options. */
const WNOHANG = 1n;
const WEXITED = 4n;
const ECHILD = 10n;
const EINVAL = 22n;
const EAGAIN = 11n;
const err = (e: bigint) => BigInt.asUintN(64, -e);
/** IS_ERR: a pointer-returning function's -errno (the top 4095 values). */
const MAX_ERRNO_U64 = 0xfffffffffffff001n;
const PIDTYPE_PID = 0n;
const PIDTYPE_TGID = 1n;
const PIDTYPE_PGID = 2n;
const PIDTYPE_SID = 3n;
const PIDTYPE_MAX = 4n;

const has = (k: Kernel, type: string) => k.btf.findByNameKind(type, BtfKind.STRUCT) !== undefined;
const offsetOf = (k: Kernel, type: string, path: string) => BigInt(k.memory.objects.field(type, path).byteOffset);
const read = (k: Kernel, t: Task, field: string) => k.memory.readField(t.taskAddress, "task_struct", field);

/** Forks and reaps so far. */
export function lifecycleCounts(k: Kernel): { forks: number; reaped: number } {
  const s = pstate(k);
  return { forks: s.forks, reaped: s.reaped };
}

/** Gives the new task `t` its process objects (its leader's, for a thread). */
export function forkObjects(k: Kernel, t: Task, vfs: Vfs, net: bigint): void {
  const ps = pstate(k);
  ps.vfs = vfs;
  ps.net = net;
  // copy_process gives a forked child its objects one copy_* function at a time.
  if (ps.forkingNext) return;
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
    setField(k, ns.pidNs, "pid_namespace", "pid_allocated", BigInt(k.tasks.size));
  }
  if (has(k, "signal_struct")) {
    const sig = shared("signal", () => newSignal(k, t, read(k, t, "thread_pid")));
    if (leader) setField(k, sig, "signal_struct", "nr_threads", k.memory.readField(sig, "signal_struct", "nr_threads") + 1n);
    shared("sighand", () => newSighand(k, t));
  }
  listInit(k, t.taskAddress + offsetOf(k, "task_struct", "pending.list"));
  if (has(k, "css_set")) joinCgroup(k, t, cgroupOf(k, t));
  linkTask(k, t);
  procOf(k, t);
}

const linkedInit = new WeakSet<Kernel>();
/**
 * Links a new task where Linux's lists have it: a process on init_task.tasks
 * (the list for_each_process walks), every task on its signal_struct's
 * thread_head by thread_node.
 */
function linkTask(k: Kernel, t: Task): void {
  const init = k.tasks.idle[0]!.taskAddress;
  if (init === 0n || t.taskAddress === 0n) return;
  const tasksOff = offsetOf(k, "task_struct", "tasks");
  if (!linkedInit.has(k)) {
    linkedInit.add(k);
    listInit(k, init + tasksOff);
  }
  if (t.pid === t.tgid) listAddTail(k, t.taskAddress + tasksOff, init + tasksOff);
  else listInit(k, t.taskAddress + tasksOff);
  const sig = has(k, "signal_struct") ? read(k, t, "signal") : 0n;
  if (sig !== 0n) listAddTail(k, t.taskAddress + offsetOf(k, "task_struct", "thread_node"), sig + offsetOf(k, "signal_struct", "thread_head"));
}

/** __unhash_process's unlinking: off init_task.tasks and its thread group's list. */
function unlinkTask(k: Kernel, t: Task): void {
  if (t.taskAddress === 0n) return;
  for (const f of ["tasks", "thread_node"]) {
    const at = t.taskAddress + offsetOf(k, "task_struct", f);
    if (k.memory.readField(at, "list_head", "next") !== 0n) listDel(k, at);
  }
}

/** Puts `t` in cgroup `cg` (its css_set): task->cgroups, nr_tasks, the css_set's task list. */
function joinCgroup(k: Kernel, t: Task, cg: Cgroup): void {
  setField(k, t.taskAddress, "task_struct", "cgroups", cg.cset);
  setField(k, cg.cset, "css_set", "nr_tasks", k.memory.readField(cg.cset, "css_set", "nr_tasks") + 1n);
  setField(k, cg.cset, "css_set", "refcount.refs.counter", k.memory.readField(cg.cset, "css_set", "refcount.refs.counter") + 1n);
  listAddTail(k, t.taskAddress + offsetOf(k, "task_struct", "cg_list"), cg.cset + offsetOf(k, "css_set", "tasks"));
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

/** The objects of a forked child, a copy of its parent's (copy_process's copy_* functions). */
function copyMm(k: Kernel, child: Task, oldmm: bigint): bigint {
  const mm = newMm(k, child);
  for (const f of ["start_code", "end_code", "start_data", "end_data", "start_brk", "brk", "start_stack", "arg_start", "arg_end", "env_start", "env_end", "total_vm", "data_vm", "exec_vm", "stack_vm"]) {
    setField(k, mm, "mm_struct", f, k.memory.readField(oldmm, "mm_struct", f));
  }
  return mm;
}

function freeIfLast(k: Kernel, addr: bigint, type: string, counter: string): boolean {
  if (addr === 0n) return false;
  const n = k.memory.readField(addr, type, counter) - 1n;
  setField(k, addr, type, counter, n);
  if (n > 0n) return false;
  k.memory.free(addr);
  return true;
}

export function installProcessPaths(k: Kernel): void {
  const { set, call } = pathFunctions(k);
  const ps = pstate(k);
  const tp = (cat: string, name: string) => k.tracepoints.get(cat, name)!;
  const tpNewtask = tp("task", "task_newtask");
  const tpFork = tp("sched", "sched_process_fork");
  const tpExit = tp("sched", "sched_process_exit");
  const tpFree = tp("sched", "sched_process_free");
  const tpWait = tp("sched", "sched_process_wait");
  const task = (addr: bigint) => taskAt(k, addr);
  const tf = (t: Task, field: string) => get(k, t.taskAddress, "task_struct", field);
  const setT = (t: Task, field: string, v: bigint) => put(k, t.taskAddress, "task_struct", field, v);
  const prio = (t: Task) => (t.taskAddress === 0n ? 120n : tf(t, "prio"));

  // fork: clone(flags, newsp, parent_tid, child_tid, tls) as x86-64 passes them.
  defineSyscall(k, "clone", ([flags, newsp, ptid, ctid, tls]) => {
    const args = alloc(k, "kernel_clone_args");
    setField(k, args, "kernel_clone_args", "flags", flags! & ~CSIGNAL);
    setField(k, args, "kernel_clone_args", "exit_signal", flags! & CSIGNAL);
    setField(k, args, "kernel_clone_args", "stack", newsp!);
    setField(k, args, "kernel_clone_args", "parent_tid", ptid!);
    setField(k, args, "kernel_clone_args", "child_tid", ctid!);
    setField(k, args, "kernel_clone_args", "tls", tls!);
    const r = call("kernel_clone", args);
    k.memory.free(args);
    return r;
  });
  set("kernel_clone", ([args]) => {
    const flags = k.memory.readField(args!, "kernel_clone_args", "flags");
    if ((flags & CLONE_THREAD) !== 0n && (flags & CLONE_SIGHAND) === 0n) return err(EINVAL);
    if ((flags & CLONE_SIGHAND) !== 0n && (flags & CLONE_VM) === 0n) return err(EINVAL);
    const p = call("copy_process", 0n, 0n, BigInt.asUintN(64, -1n), args!);
    if (p >= MAX_ERRNO_U64) return p;
    const child = task(p)!;
    k.fire(tpFork, { parent_comm: k.current().comm, parent_pid: BigInt(k.current().pid), child_comm: child.comm, child_pid: BigInt(child.pid) }, [k.current().taskAddress, p]);
    call("wake_up_new_task", p);
    return BigInt(child.pid);
  });
  set("copy_process", ([, , node, args]) => {
    const parent = k.current();
    const flags = k.memory.readField(args!, "kernel_clone_args", "flags");
    // RLIMIT_NPROC and the machine's pid space: a fork past them fails with EAGAIN.
    if (k.tasks.size >= 32768) return err(EAGAIN);
    const p = call("dup_task_struct", parent.taskAddress, node!);
    if (p === 0n) return err(12n);
    const child = task(p)!;
    setT(child, "exit_signal", k.memory.readField(args!, "kernel_clone_args", "exit_signal"));
    listInit(k, p + offsetOf(k, "task_struct", "pending.list"));
    call("copy_creds", p, flags);
    call("sched_fork", flags, p);
    call("copy_files", flags, p, 0n);
    call("copy_fs", flags, p);
    call("copy_sighand", flags, p);
    call("copy_signal", flags, p);
    call("copy_mm", flags, p);
    call("copy_namespaces", flags, p);
    call("copy_thread", p, args!);
    const ns = initNamespaces(k, ps.net);
    const pid = call("alloc_pid", ns.pidNs, 0n, 0n);
    setT(child, "thread_pid", pid);
    if (has(k, "signal_struct")) setField(k, tf(child, "signal"), "signal_struct", "pids[1]", pid);
    call("cgroup_can_fork", p, args!);
    call("sched_cgroup_fork", p, args!);
    ps.forking = undefined;
    procOf(k, parent).children.add(child);
    procOf(k, child).rssPages = procOf(k, parent).rssPages;
    if (ns.pidNs !== 0n) setField(k, ns.pidNs, "pid_namespace", "pid_allocated", BigInt(k.tasks.size));
    linkTask(k, child);
    call("sched_post_fork", p);
    call("cgroup_post_fork", p, args!);
    k.fire(tpNewtask, { pid: BigInt(child.pid), comm: child.comm, clone_flags: flags, oom_score_adj: ossa(child) }, [p, flags]);
    ps.forks++;
    return p;
  });
  const ossa = (t: Task) => (has(k, "signal_struct") && tf(t, "signal") !== 0n ? BigInt.asIntN(16, k.memory.readField(tf(t, "signal"), "signal_struct", "oom_score_adj")) : 0n);
  set("dup_task_struct", ([orig]) => {
    const parent = task(orig!) ?? k.current();
    // The task table and a zeroed task_struct filled as fork leaves it (Kernel.spawn); forkObjects leaves the rest to the copy_* functions.
    ps.forkingNext = true;
    const child = k.spawn(parent.comm, parent.pid, { cpu: parent.cpu, uid: parent.uid, gid: parent.gid, kthread: parent.kthread });
    ps.forkingNext = false;
    ps.forking = child;
    registerTask(k, child, parent);
    return child.taskAddress;
  });
  set("copy_creds", ([p, flags]) => {
    const child = task(p!)!;
    const parent = k.current();
    if (!has(k, "cred")) return 0n;
    let cred = tf(parent, "cred");
    if ((flags! & CLONE_THREAD) !== 0n && cred !== 0n) {
      setField(k, cred, "cred", "usage.counter", k.memory.readField(cred, "cred", "usage.counter") + 2n);
    } else {
      cred = newCred(k, child);
      if (tf(parent, "cred") !== 0n) {
        const src = tf(parent, "cred");
        const n = offsetOf(k, "cred", "securebits");
        const from = offsetOf(k, "cred", "uid");
        const b = new Uint8Array(Number(n - from));
        k.memory.readKernel(b, src + from);
        k.memory.writeKernel(cred + from, b);
      }
      setField(k, cred, "cred", "usage.counter", 2n);
    }
    setT(child, "cred", cred);
    setT(child, "real_cred", cred);
    return 0n;
  });
  set("sched_fork", ([, p]) => {
    const child = task(p!)!;
    const parent = k.current();
    setT(child, "__state", 0x800n); // TASK_NEW
    // __set_task_cpu(p, smp_processor_id()): the forking CPU until wake_up_new_task places it.
    setT(child, "thread_info.cpu", BigInt(parent.cpu));
    setT(child, "wake_cpu", BigInt(parent.cpu));
    for (const f of ["prio", "static_prio", "normal_prio", "policy"]) setT(child, f, tf(parent, f));
    setT(child, "se.vruntime", 0n);
    setT(child, "se.sum_exec_runtime", 0n);
    setT(child, "se.nr_migrations", 0n);
    setT(child, "nr_cpus_allowed", BigInt(k.tasks.cpus.length));
    setT(child, "cpus_mask.bits[0]", (1n << BigInt(k.tasks.cpus.length)) - 1n);
    setT(child, "cpus_ptr", p! + offsetOf(k, "task_struct", "cpus_mask"));
    return 0n;
  });
  set("sched_cgroup_fork", ([p]) => {
    setT(task(p!)!, "se.cfs_rq", schedState(k).rqs[task(p!)!.cpu]!.cfs);
    call("task_fork_fair", p!);
    return 0n;
  });
  set("task_fork_fair", ([p]) => {
    // place_entity: the child starts at its queue's minimum vruntime.
    const child = task(p!)!;
    const i = infoOf(k, child);
    i.vruntime = schedState(k).rqs[child.cpu]!.minVruntime;
    setT(child, "se.vruntime", i.vruntime);
    return 0n;
  });
  set("sched_post_fork", () => 0n);
  set("copy_files", ([flags, p, noFiles]) => {
    const child = task(p!)!;
    const parentFiles = filesOf(k, k.current());
    if (!has(k, "files_struct")) return 0n;
    if ((flags! & CLONE_FILES) !== 0n && parentFiles !== 0n) {
      setField(k, parentFiles, "files_struct", "count.counter", k.memory.readField(parentFiles, "files_struct", "count.counter") + 1n);
      setT(child, "files", parentFiles);
      return 0n;
    }
    // dup_fd: the parent's open descriptors, the same files, in a table of the child's own.
    const files = newFiles(k);
    if (parentFiles !== 0n && noFiles === 0n) {
      for (let fd = 0; fd < NR_OPEN_DEFAULT; fd++) {
        const f = k.memory.readField(parentFiles, "files_struct", `fd_array[${fd}]`);
        if (f !== 0n) installFd(k, files, fd, f);
      }
    }
    setT(child, "files", files);
    return 0n;
  });
  set("copy_fs", ([flags, p]) => {
    const child = task(p!)!;
    if (!has(k, "fs_struct") || !ps.vfs) return 0n;
    const pfs = tf(k.current(), "fs");
    if ((flags! & CLONE_FS) !== 0n && pfs !== 0n) {
      setField(k, pfs, "fs_struct", "users", k.memory.readField(pfs, "fs_struct", "users") + 1n);
      setT(child, "fs", pfs);
    } else setT(child, "fs", newFs(k, ps.vfs));
    return 0n;
  });
  set("copy_sighand", ([flags, p]) => {
    const child = task(p!)!;
    if (!has(k, "sighand_struct")) return 0n;
    const psh = tf(k.current(), "sighand");
    if ((flags! & CLONE_SIGHAND) !== 0n && psh !== 0n) {
      setField(k, psh, "sighand_struct", "count.refs.counter", k.memory.readField(psh, "sighand_struct", "count.refs.counter") + 1n);
      setT(child, "sighand", psh);
    } else setT(child, "sighand", newSighand(k, child, psh));
    return 0n;
  });
  set("copy_signal", ([flags, p]) => {
    const child = task(p!)!;
    if (!has(k, "signal_struct")) return 0n;
    const psig = tf(k.current(), "signal");
    if ((flags! & CLONE_THREAD) !== 0n && psig !== 0n) {
      setT(child, "signal", psig);
      setField(k, psig, "signal_struct", "nr_threads", k.memory.readField(psig, "signal_struct", "nr_threads") + 1n);
      return 0n;
    }
    setT(child, "signal", newSignal(k, child, 0n, psig));
    return 0n;
  });
  set("copy_mm", ([flags, p]) => {
    const child = task(p!)!;
    const oldmm = tf(k.current(), "mm");
    if (oldmm === 0n || child.kthread) return 0n;
    let mm: bigint;
    if ((flags! & CLONE_VM) !== 0n) {
      setField(k, oldmm, "mm_struct", "mm_users.counter", k.memory.readField(oldmm, "mm_struct", "mm_users.counter") + 1n);
      mm = oldmm;
    } else mm = call("dup_mm", p!, oldmm);
    setT(child, "mm", mm);
    setT(child, "active_mm", mm);
    return 0n;
  });
  set("dup_mm", ([p, oldmm]) => copyMm(k, task(p!)!, oldmm!));
  set("mm_alloc", () => newMm(k, k.current()));
  set("copy_namespaces", ([, p]) => {
    const ns = initNamespaces(k, ps.net);
    setT(task(p!)!, "nsproxy", ns.nsproxy);
    setField(k, ns.nsproxy, "nsproxy", "count.refs.counter", k.memory.readField(ns.nsproxy, "nsproxy", "count.refs.counter") + 1n);
    return 0n;
  });
  set("copy_thread", ([p, args]) => {
    // The child returns to user space with the parent's registers (the syscall layer's pt_regs), sp from newsp when given.
    void p;
    void args;
    return 0n;
  });
  set("alloc_pid", ([ns]) => {
    const child = ps.forking ?? k.current();
    return newPid(k, child, { pidNs: ns!, nsproxy: initNamespaces(k, ps.net).nsproxy });
  });
  set("cgroup_can_fork", () => 0n);
  set("cgroup_post_fork", ([p]) => {
    const child = task(p!)!;
    const cset = tf(k.current(), "cgroups");
    const cg = cset !== 0n ? cgroupOfCset(k, cset) : undefined;
    if (cg) joinCgroup(k, child, cg);
    return 0n;
  });

  // exit_group(2): the whole (single-threaded) process exits.
  defineSyscall(k, "exit_group", ([code]) => {
    call("do_group_exit", (code! & 0xffn) << 8n);
    return 0n;
  });
  set("do_group_exit", ([code]) => {
    const me = k.current();
    if (has(k, "signal_struct") && me.taskAddress !== 0n) {
      const sig = tf(me, "signal");
      if (sig !== 0n) {
        setField(k, sig, "signal_struct", "group_exit_code", code!);
        setField(k, sig, "signal_struct", "flags", 0x4n); // SIGNAL_GROUP_EXIT
      }
    }
    call("do_exit", code!);
    return 0n;
  });
  set("do_exit", ([code]) => {
    const me = k.current();
    if (me.pid === 0 || me.exited) return 0n;
    call("exit_signals", me.taskAddress);
    setT(me, "exit_code", code!);
    let groupDead = true;
    if (has(k, "signal_struct")) {
      const sig = tf(me, "signal");
      const live = k.memory.readField(sig, "signal_struct", "live.counter") - 1n;
      setField(k, sig, "signal_struct", "live.counter", live);
      groupDead = live === 0n;
    }
    call("exit_mm");
    k.fire(tpExit, { comm: me.comm, pid: BigInt(me.pid), prio: prio(me) }, [me.taskAddress]);
    call("exit_files", me.taskAddress);
    call("exit_fs", me.taskAddress);
    call("exit_task_namespaces", me.taskAddress);
    call("exit_thread", me.taskAddress);
    call("cgroup_exit", me.taskAddress);
    call("exit_notify", me.taskAddress, groupDead ? 1n : 0n);
    call("do_task_dead");
    return 0n;
  });
  set("exit_mm", () => {
    const me = k.current();
    const mm = tf(me, "mm");
    if (mm === 0n) return 0n;
    setT(me, "mm", 0n);
    setT(me, "active_mm", 0n);
    call("mmput", mm);
    return 0n;
  });
  set("mmput", ([mm]) => {
    const users = k.memory.readField(mm!, "mm_struct", "mm_users.counter") - 1n;
    setField(k, mm!, "mm_struct", "mm_users.counter", users);
    if (users > 0n) return 0n;
    // __mmput: the mappings go, then the mm itself once nothing borrows it.
    call("exit_mmap", mm!);
    const count = k.memory.readField(mm!, "mm_struct", "mm_count.counter") - 1n;
    setField(k, mm!, "mm_struct", "mm_count.counter", count);
    if (count <= 0n) call("__mmdrop", mm!);
    return 0n;
  });
  set("exit_mmap", ([mm]) => {
    setField(k, mm!, "mm_struct", "map_count", 0n);
    setField(k, mm!, "mm_struct", "total_vm", 0n);
    return 0n;
  });
  set("__mmdrop", ([mm]) => {
    k.memory.free(mm!);
    return 0n;
  });
  set("exit_files", ([p]) => {
    const t = task(p!)!;
    const files = tf(t, "files");
    if (files === 0n) return 0n;
    setT(t, "files", 0n);
    call("put_files_struct", files);
    return 0n;
  });
  // The descriptors inherited at fork are the parent's files (the model counts no file references): only the table goes.
  set("put_files_struct", ([files]) => {
    freeIfLast(k, files!, "files_struct", "count.counter");
    return 0n;
  });
  set("exit_fs", ([p]) => {
    const t = task(p!)!;
    const fs = tf(t, "fs");
    if (fs === 0n) return 0n;
    setT(t, "fs", 0n);
    freeIfLast(k, fs, "fs_struct", "users");
    return 0n;
  });
  set("exit_task_namespaces", ([p]) => {
    const t = task(p!)!;
    const ns = tf(t, "nsproxy");
    if (ns === 0n) return 0n;
    setT(t, "nsproxy", 0n);
    setField(k, ns, "nsproxy", "count.refs.counter", k.memory.readField(ns, "nsproxy", "count.refs.counter") - 1n);
    return 0n;
  });
  set("exit_thread", () => 0n);
  set("cgroup_exit", ([p]) => {
    const t = task(p!)!;
    const cset = tf(t, "cgroups");
    if (cset === 0n) return 0n;
    // The task moves to its css_set's dying tasks until it is released.
    listDel(k, p! + offsetOf(k, "task_struct", "cg_list"));
    listAddTail(k, p! + offsetOf(k, "task_struct", "cg_list"), cset + offsetOf(k, "css_set", "dying_tasks"));
    setField(k, cset, "css_set", "nr_tasks", k.memory.readField(cset, "css_set", "nr_tasks") - 1n);
    return 0n;
  });
  set("exit_notify", ([p]) => {
    const t = task(p!)!;
    // Children of an exiting task go to init (the child reaper); the model's children exit first.
    setT(t, "exit_state", BigInt(EXIT_ZOMBIE));
    k.tasks.exit(t.pid);
    const parent = k.tasks.get(t.parent);
    const exitSignal = BigInt.asIntN(32, tf(t, "exit_signal"));
    if (parent && !parent.exited && exitSignal > 0n) call("do_notify_parent", p!, exitSignal);
    return 0n;
  });
  set("__wake_up_parent", ([, parent]) => {
    call("try_to_wake_up", parent!, BigInt(TASK_INTERRUPTIBLE), 0n);
    return 0n;
  });
  set("do_task_dead", () => {
    const me = k.current();
    const i = infoOf(k, me);
    i.state = TASK_DEAD;
    setT(me, "__state", BigInt(TASK_DEAD));
    call("__schedule", 0n);
    return 0n;
  });
  // The task switched out dead drops its own reference (finish_task_switch's put_task_struct_rcu_user).
  set("finish_task_switch", ([prev]) => {
    const rq = schedState(k).rqs[k.cpu]!.addr;
    const t = prev === 0n ? undefined : task(prev!);
    if (t && !t.kthread && infoOf(k, t).state === TASK_DEAD) {
      call("put_task_struct_rcu_user", prev!);
    }
    return rq;
  });

  // wait4(2).
  defineSyscall(k, "wait4", ([upid, stat, options, ru]) => call("kernel_wait4", upid!, stat!, options!, ru!));
  set("kernel_wait4", ([upid, stat, options, ru]) => {
    if ((options! & ~(WNOHANG | 2n | 8n | 0x40000000n | 0x80000000n | 0x20000000n)) !== 0n) return err(EINVAL);
    const pid = BigInt.asIntN(32, upid!);
    const wo = alloc(k, "wait_opts");
    const me = k.current();
    let wantPid = 0;
    if (pid > 0n) {
      setField(k, wo, "wait_opts", "wo_type", PIDTYPE_PID);
      const target = k.tasks.get(Number(pid));
      setField(k, wo, "wait_opts", "wo_pid", target && target.taskAddress !== 0n ? tf(target, "thread_pid") : 0n);
      wantPid = Number(pid);
    } else setField(k, wo, "wait_opts", "wo_type", pid === -1n ? PIDTYPE_MAX : PIDTYPE_PGID);
    setField(k, wo, "wait_opts", "wo_flags", options! | WEXITED);
    setField(k, wo, "wait_opts", "wo_rusage", ru!);
    setField(k, wo, "wait_opts", "notask_error", ECHILD);
    waiting.set(wo, wantPid);
    const r = call("do_wait", wo);
    waiting.delete(wo);
    if (BigInt.asIntN(64, r) > 0n && stat !== 0n) {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, Number(k.memory.readField(wo, "wait_opts", "wo_stat")), true);
      k.memory.userSpace(me.tgid).write(stat!, b);
    }
    k.memory.free(wo);
    return r;
  });
  /** The pid each wait asks for (0: any child). */
  const waiting = new Map<bigint, number>();
  set("do_wait", ([wo]) => {
    const me = k.current();
    k.fire(tpWait, { comm: me.comm, pid: BigInt(me.pid), prio: prio(me) }, [k.memory.readField(wo!, "wait_opts", "wo_pid")]);
    const want = waiting.get(wo!) ?? 0;
    const flags = k.memory.readField(wo!, "wait_opts", "wo_flags");
    const mine = procOf(k, me).children;
    for (let round = 0; round < 64; round++) {
      const candidates = [...mine].filter((c) => want === 0 || c.pid === want);
      if (!candidates.length) return err(ECHILD);
      for (const c of candidates) {
        const r = call("wait_consider_task", wo!, 0n, c.taskAddress);
        if (r !== 0n) return r;
      }
      if (flags & WNOHANG) return 0n;
      // Nothing to reap yet: sleep until a child's exit wakes us; meanwhile the children run.
      const i = infoOf(k, me);
      i.state = TASK_INTERRUPTIBLE;
      setT(me, "__state", BigInt(TASK_INTERRUPTIBLE));
      call("schedule");
      for (const c of candidates) runProgram(k, c);
      if (i.state !== TASK_RUNNING) call("try_to_wake_up", me.taskAddress, BigInt(TASK_INTERRUPTIBLE), 0n);
      resume(k, me, 0n);
    }
    return err(ECHILD);
  });
  set("wait_consider_task", ([wo, , p]) => {
    const t = task(p!);
    if (!t || !t.exited) return 0n;
    return call("wait_task_zombie", wo!, p!);
  });
  set("wait_task_zombie", ([wo, p]) => {
    const t = task(p!)!;
    const code = tf(t, "exit_code");
    setField(k, wo!, "wait_opts", "wo_stat", code);
    const pid = BigInt(t.pid);
    // The parent's children's times and faults accumulate in its signal_struct.
    const me = k.current();
    if (has(k, "signal_struct")) {
      const psig = tf(me, "signal");
      const csig = tf(t, "signal");
      if (psig !== 0n && csig !== 0n) {
        const ns = infoOf(k, t).sum;
        setField(k, psig, "signal_struct", "cutime", k.memory.readField(psig, "signal_struct", "cutime") + ns);
      }
    }
    setT(t, "exit_state", 0x10n); // EXIT_DEAD
    call("release_task", p!);
    return pid;
  });
  set("release_task", ([p]) => {
    call("__exit_signal", p!);
    call("put_task_struct_rcu_user", p!);
    return 0n;
  });
  set("__exit_signal", ([p]) => {
    const t = task(p!)!;
    const sig = has(k, "signal_struct") ? tf(t, "signal") : 0n;
    if (sig !== 0n) {
      setField(k, sig, "signal_struct", "sum_sched_runtime", k.memory.readField(sig, "signal_struct", "sum_sched_runtime") + infoOf(k, t).sum);
      setField(k, sig, "signal_struct", "nr_threads", k.memory.readField(sig, "signal_struct", "nr_threads") - 1n);
    }
    // __unhash_process: out of the pid hashes and its parent's children.
    call("detach_pid", p!, PIDTYPE_PID);
    if (t.pid === t.tgid) {
      call("detach_pid", p!, PIDTYPE_TGID);
      call("detach_pid", p!, PIDTYPE_PGID);
      call("detach_pid", p!, PIDTYPE_SID);
    }
    listDel(k, p! + offsetOf(k, "task_struct", "sibling"));
    unlinkTask(k, t);
    procOf(k, k.tasks.get(t.parent) ?? t).children.delete(t);
    const sh = has(k, "sighand_struct") ? tf(t, "sighand") : 0n;
    if (sh !== 0n) {
      setT(t, "sighand", 0n);
      call("__cleanup_sighand", sh);
    }
    return 0n;
  });
  /** Which of a pid's PIDTYPE uses are gone, per struct pid: it is freed after the last (PID, TGID, PGID, SID for a leader). */
  set("detach_pid", ([p, type]) => {
    const t = task(p!)!;
    const pid = tf(t, "thread_pid");
    if (pid === 0n) return 0n;
    const users = pidUsers.get(pid) ?? (t.pid === t.tgid ? 2 : 1);
    const left = users - 1;
    // PGID and SID are this pid's only if the task leads its group and session (a boot service); a forked child's are its parent's.
    if (type === PIDTYPE_PGID || type === PIDTYPE_SID) {
      const sig = has(k, "signal_struct") ? tf(t, "signal") : 0n;
      if (sig === 0n || k.memory.readField(sig, "signal_struct", `pids[${Number(type)}]`) !== pid) return 0n;
    }
    if (left > 0) {
      pidUsers.set(pid, left);
      return 0n;
    }
    pidUsers.delete(pid);
    setT(t, "thread_pid", 0n);
    call("free_pid", pid);
    return 0n;
  });
  const pidUsers = new Map<bigint, number>();
  set("free_pid", ([pid]) => {
    k.memory.free(pid!);
    const ns = initNamespaces(k, ps.net);
    if (ns.pidNs !== 0n) setField(k, ns.pidNs, "pid_namespace", "pid_allocated", BigInt(Math.max(0, k.tasks.size - 1)));
    return 0n;
  });
  set("__cleanup_sighand", ([sh]) => {
    freeIfLast(k, sh!, "sighand_struct", "count.refs.counter");
    return 0n;
  });
  set("put_task_struct_rcu_user", ([p]) => {
    const t = task(p!);
    if (!t) return 0n;
    const pr = procOf(k, t);
    if (--pr.rcuUsers === 0) call("delayed_put_task_struct", p! + offsetOf(k, "task_struct", "rcu"));
    return 0n;
  });
  set("delayed_put_task_struct", ([rhp]) => {
    const p = rhp! - offsetOf(k, "task_struct", "rcu");
    const t = task(p)!;
    k.fire(tpFree, { comm: t.comm, pid: BigInt(t.pid), prio: prio(t) }, [p]);
    const usage = tf(t, "usage.refs.counter") - 1n;
    setT(t, "usage.refs.counter", usage);
    if (usage <= 0n) call("__put_task_struct", p);
    return 0n;
  });
  set("__put_task_struct", ([p]) => {
    const t = task(p!)!;
    call("exit_creds", p!);
    if (has(k, "signal_struct")) {
      const sig = tf(t, "signal");
      if (sig !== 0n) {
        setT(t, "signal", 0n);
        freeIfLast(k, sig, "signal_struct", "sigcnt.refs.counter");
      }
    }
    // cgroup_free: off its css_set's lists; the css_set stays (the cgroup has other tasks, and css_sets are per cgroup here).
    const cset = tf(t, "cgroups");
    if (cset !== 0n) {
      listDel(k, p! + offsetOf(k, "task_struct", "cg_list"));
      setField(k, cset, "css_set", "refcount.refs.counter", k.memory.readField(cset, "css_set", "refcount.refs.counter") - 1n);
    }
    call("free_task", p!);
    return 0n;
  });
  set("exit_creds", ([p]) => {
    const t = task(p!)!;
    const cred = tf(t, "cred");
    const real = tf(t, "real_cred");
    setT(t, "cred", 0n);
    setT(t, "real_cred", 0n);
    for (const c of [real, cred]) {
      if (c === 0n) continue;
      const n = k.memory.readField(c, "cred", "usage.counter") - 1n;
      setField(k, c, "cred", "usage.counter", n);
      if (n <= 0n) call("__put_cred", c);
    }
    return 0n;
  });
  set("__put_cred", ([cred]) => {
    k.memory.free(cred!);
    return 0n;
  });
  set("free_task", ([p]) => {
    const t = task(p!)!;
    forgetTask(k, t);
    ps.procs.delete(t);
    k.tasks.remove(t.pid);
    releaseSyscallRegs(k, t.pid);
    k.memory.dropUserSpace(t.tgid);
    k.memory.free(p!);
    ps.reaped++;
    return 0n;
  });

  // getpid(2): the caller's thread group id in its pid namespace.
  defineSyscall(k, "getpid", () => call("__task_pid_nr_ns", k.current().taskAddress, PIDTYPE_TGID, 0n));
  set("__task_pid_nr_ns", ([p, type]) => {
    const t = task(p!);
    if (!t) return 0n;
    return BigInt(type === PIDTYPE_TGID ? t.tgid : t.pid);
  });

  installSignalPaths(k);
  installExecPaths(k);
  installOomPaths(k);
}

/**
 * Runs `t`'s user-space program if it has one that has not run yet: `t`
 * is switched in (preempting its CPU's task) and makes its syscalls; the
 * program ends when it exits (a task that returns from its program without
 * exiting calls exit_group(0), as returning from main does).
 */
export function runProgram(k: Kernel, t: Task): void {
  const p = pstate(k).procs.get(t);
  const program = p?.program;
  if (!p || !program || t.exited) return;
  p.program = undefined;
  const cpu = k.cpu;
  runNow(k, t);
  if (k.current() === t) {
    program(k, t);
    if (!t.exited && k.current() === t) syscall(k, "exit_group", [0n]);
  }
  k.cpu = cpu;
}

/** A step of user code: a syscall with pointer arguments in the task's user memory, then the return to user space (pending signals). */
export function userSyscall(k: Kernel, t: Task, name: string, args: readonly bigint[]): bigint {
  if (t.exited || k.current() !== t) return BigInt.asUintN(64, -3n);
  // The program's own code runs between its syscalls: 2-20 us of user time.
  k.clock.advance(BigInt(k.rng.int(2, 20) * 1000));
  const r = syscall(k, name, args);
  if (!t.exited && k.current() === t) exitToUser(k, t);
  return r;
}

/** A syscall by number, for the ones the model's table does not name (see NR_IO_URING_SETUP). */
function userSyscallNr(k: Kernel, t: Task, nr: number, args: readonly bigint[]): bigint {
  if (t.exited || k.current() !== t) return BigInt.asUintN(64, -3n);
  k.clock.advance(BigInt(k.rng.int(2, 20) * 1000));
  const r = syscallNr(k, nr, args);
  if (!t.exited && k.current() === t) exitToUser(k, t);
  return r;
}

/**
 * io_uring_setup(2). This kernel is built without CONFIG_IO_URING (as
 * /proc/config.gz says), so its number is cond_syscall()'s sys_ni_syscall:
 * a program probing for io_uring gets -ENOSYS and falls back to read/write.
 */
const NR_IO_URING_SETUP = 425;

/** Writes `s` into `t`'s user memory for the duration of `use`. */
export function withUserString<T>(k: Kernel, t: Task, s: string, use: (addr: bigint) => T): T {
  const space = k.memory.userSpace(t.tgid);
  const addr = space.allocString(s);
  try {
    return use(addr);
  } finally {
    if (k.memory.hasUserSpace(t.tgid) && !t.exited) space.heapFree(addr);
  }
}

/** Allocates `bytes` in `t`'s user memory for the duration of `use`. */
export function withUserBuffer<T>(k: Kernel, t: Task, bytes: Uint8Array, use: (addr: bigint) => T): T {
  const space = k.memory.userSpace(t.tgid);
  const addr = space.heapAlloc(bytes.length, bytes);
  try {
    return use(addr);
  } finally {
    if (k.memory.hasUserSpace(t.tgid) && !t.exited) space.heapFree(addr);
  }
}

const timespec = (ns: number) => {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setBigInt64(0, BigInt(Math.floor(ns / 1e9)), true);
  dv.setBigInt64(8, BigInt(ns % 1e9), true);
  return b;
};

/** nanosleep(2) of `ns` from user space. */
export function userSleep(k: Kernel, t: Task, ns: number): bigint {
  return withUserBuffer(k, t, timespec(ns), (req) => userSyscall(k, t, "nanosleep", [req, 0n]));
}

/** execve(2) of `path` with its argv (the strings and the NULL-terminated pointer array in user memory). */
export function userExec(k: Kernel, t: Task, path: string, argv: string[]): bigint {
  const space = k.memory.userSpace(t.tgid);
  const strs = argv.map((a) => space.allocString(a));
  const arr = new Uint8Array(8 * (argv.length + 1));
  strs.forEach((a, i) => new DataView(arr.buffer).setBigUint64(8 * i, a, true));
  const ptrs = space.heapAlloc(arr.length, arr);
  const r = withUserString(k, t, path, (file) => userSyscall(k, t, "execve", [file, ptrs, 0n]));
  if (k.memory.hasUserSpace(t.tgid) && !t.exited) for (const a of [...strs, ptrs]) space.heapFree(a);
  return r;
}

/** SIGCHLD as clone's exit signal. */
const CLONE_EXIT_SIGCHLD = 17n;

/** `parent` forks a child that runs `program`, and waits for it; returns the wait status (-1 if the fork failed). */
export function forkAndWait(k: Kernel, parent: Task, program: (k: Kernel, t: Task) => void): number {
  const pid = userSyscall(k, parent, "clone", [CLONE_EXIT_SIGCHLD, 0n, 0n, 0n, 0n]);
  if (BigInt.asIntN(64, pid) <= 0n) return -1;
  const child = k.tasks.get(Number(pid));
  if (child) procOf(k, child).program = program;
  const status = new Uint8Array(4);
  return withUserBuffer(k, parent, status, (addr) => {
    const r = userSyscall(k, parent, "wait4", [pid, addr, 0n, 0n]);
    if (BigInt.asIntN(64, r) !== pid) return -1;
    const out = new Uint8Array(4);
    k.memory.readUser(parent.tgid, out, addr);
    return new DataView(out.buffer).getInt32(0, true);
  });
}

/** The programs bash runs (each a short-lived child: exec, a little work, exit), with their weights. */
const JOBS: { weight: number; run: (k: Kernel, t: Task) => void }[] = [
  {
    weight: 40,
    run: (k, t) => {
      if (BigInt.asIntN(64, userExec(k, t, "/usr/bin/ls", ["ls", "-l"])) < 0n) return;
      userSyscall(k, t, "getpid", []);
      userSleep(k, t, 30_000);
    },
  },
  {
    weight: 15,
    run: (k, t) => {
      if (BigInt.asIntN(64, userExec(k, t, "/usr/bin/cat", ["cat", "/etc/hostname"])) < 0n) return;
      userSyscall(k, t, "sched_yield", []);
    },
  },
  {
    // sh -c 'cat /etc/os-release': sh forks cat and waits for it.
    weight: 10,
    run: (k, t) => {
      if (BigInt.asIntN(64, userExec(k, t, "/bin/sh", ["sh", "-c", "cat /etc/os-release"])) < 0n) return;
      forkAndWait(k, t, (kk, c) => void userExec(kk, c, "/usr/bin/cat", ["cat", "/etc/os-release"]));
      userSyscall(k, t, "exit_group", [0n]);
    },
  },
  {
    // sleep 10, stopped early: systemd sends it SIGTERM while it sleeps.
    weight: 10,
    run: (k, t) => {
      if (BigInt.asIntN(64, userExec(k, t, "/usr/bin/sleep", ["sleep", "10"])) < 0n) return;
      killWhileAsleep(k, t, 15);
      userSleep(k, t, 10_000_000);
      userSyscall(k, t, "exit_group", [0n]);
    },
  },
  {
    // chrt -b 0 make: a batch-scheduled build step.
    weight: 10,
    run: (k, t) => {
      if (BigInt.asIntN(64, userExec(k, t, "/usr/bin/chrt", ["chrt", "-b", "0", "make"])) < 0n) return;
      withUserBuffer(k, t, new Uint8Array(4), (param) => setschedulerSyscall(k, 0n, 3n, param));
      if (BigInt.asIntN(64, userExec(k, t, "/usr/bin/make", ["make"])) < 0n) return;
      userSyscall(k, t, "sched_yield", []);
      userSyscall(k, t, "exit_group", [2n]);
    },
  },
  {
    // A mistyped command: execve fails with ENOENT and the child exits 127, as bash's does.
    weight: 8,
    run: (k, t) => {
      userExec(k, t, "/usr/bin/sl", ["sl"]);
      userSyscall(k, t, "exit_group", [127n]);
    },
  },
  {
    // A program that allocates past the machine's memory: the OOM killer picks it.
    weight: 4,
    run: (k, t) => {
      if (BigInt.asIntN(64, userExec(k, t, "/usr/bin/python3", ["python3", "hog.py"])) < 0n) return;
      // Its event loop probes for io_uring first (liburing's io_uring_queue_init: 8 entries, no params).
      userSyscallNr(k, t, NR_IO_URING_SETUP, [8n, 0n]);
      touchMemory(k, t);
    },
  },
];
const JOB_WEIGHT = JOBS.reduce((a, j) => a + j.weight, 0);

/** The sched workload's process step: bash (switched in) forks a job, which execs and exits; bash reaps it and takes its SIGCHLD. */
export function processStep(k: Kernel): void {
  const shell = k.tasks.all().find((t) => t.comm === "bash" && !t.kthread) ?? k.tasks.all().find((t) => t.pid > 1 && !t.kthread);
  if (!shell || shell.taskAddress === 0n) return;
  runNow(k, shell);
  if (k.current() !== shell) return;
  let r = k.rng.int(0, JOB_WEIGHT - 1);
  const job = JOBS.find((j) => (r -= j.weight) < 0)!;
  forkAndWait(k, shell, job.run);
}
