// execve(2): do_execveat_common -> alloc_bprm (the new mm from mm_alloc)
// -> bprm_execve -> sched_exec, exec_binprm -> search_binary_handler ->
// load_elf_binary -> begin_new_exec (exec_mmap puts the old mm,
// __set_task_comm renames the task: task:task_rename; the signal handlers
// go back to their defaults) -> setup_new_exec, start_thread; then
// sched:sched_process_exec. The binaries the model's file system has are
// listed here; any other path fails with ENOENT.
import type { Kernel } from "../kernel.js";
import type { Task } from "../tasks.js";
import { alloc, setField } from "./fields.js";
import { defineSyscall, strncpyFromUser } from "./syscalls.js";
import { get, taskAt } from "./sched.js";
import { resetHandlers } from "./process-objects.js";
import { pathFunctions } from "./bind.js";

/** The executables on the model's disk, with their text size. */
export const BINARIES: ReadonlyMap<string, number> = new Map([
  ["/bin/sh", 0x1c000],
  ["/usr/bin/ls", 0x16000],
  ["/usr/bin/cat", 0x6000],
  ["/usr/bin/sleep", 0x5000],
  ["/usr/bin/chrt", 0x6000],
  ["/usr/bin/make", 0x3c000],
  ["/usr/bin/python3", 0x2b0000],
]);

const AT_FDCWD = BigInt.asUintN(64, -100n);
const ENOENT = 2n;
const EFAULT = 14n;
const E2BIG = 7n;
const err = (e: bigint) => BigInt.asUintN(64, -e);
/** IS_ERR: a pointer-returning function's -errno (the top 4095 values). */
const MAX_ERRNO_U64 = 0xfffffffffffff001n;
/** MAX_ARG_STRINGS is 0x7fffffff; the model's programs pass a handful: more than this is a runaway argv. */
const MAX_ARGS = 4096;


export function installExecPaths(k: Kernel): void {
  const { set, call } = pathFunctions(k);
  const tpExec = k.tracepoints.get("sched", "sched_process_exec")!;
  const tpRename = k.tracepoints.get("task", "task_rename")!;
  const tf = (t: Task, field: string) => get(k, t.taskAddress, "task_struct", field);
  /** The path each struct filename of an exec holds, and the kernel copy of each bprm's filename. */
  const names = new Map<bigint, string>();
  const bprmNames = new Map<bigint, { addr: bigint; path: string }>();

  defineSyscall(k, "execve", ([filename, argv, envp]) => {
    const me = k.current();
    const path = strncpyFromUser(k, me.tgid, filename!);
    if (typeof path === "number") return BigInt.asUintN(64, BigInt(path));
    const name = alloc(k, "filename");
    setField(k, name, "filename", "uptr", filename!);
    setField(k, name, "filename", "refcnt.counter", 1n);
    names.set(name, path);
    const r = call("do_execveat_common", AT_FDCWD, name, argv!, envp!, 0n);
    names.delete(name);
    k.memory.free(name);
    return r;
  });
  set("do_execveat_common", ([fd, filename, argv, , flags]) => {
    const me = k.current();
    // count(): the argv pointers up to the NULL.
    let argc = 0;
    const ptr = new Uint8Array(8);
    while (argv !== 0n && argc <= MAX_ARGS) {
      if (k.memory.readUser(me.tgid, ptr, argv! + BigInt(8 * argc)) !== 0) return err(EFAULT);
      if (new DataView(ptr.buffer).getBigUint64(0, true) === 0n) break;
      argc++;
    }
    if (argc > MAX_ARGS) return err(E2BIG);
    const bprm = call("alloc_bprm", fd!, filename!, flags!);
    if (bprm >= MAX_ERRNO_U64) return bprm;
    setField(k, bprm, "linux_binprm", "argc", BigInt(argc));
    const r = call("bprm_execve", bprm);
    call("free_bprm", bprm);
    return r;
  });
  set("alloc_bprm", ([, filename]) => {
    const path = names.get(filename!) ?? "";
    // do_open_execat: only the binaries on the disk open.
    if (!BINARIES.has(path)) return err(ENOENT);
    const bprm = alloc(k, "linux_binprm");
    const bytes = new TextEncoder().encode(path + "\0");
    // Room for a 16-byte read from the basename (a comm-sized copy, as __set_task_comm's strscpy may read).
    const copy = k.memory.kmalloc(bytes.length + 16, true);
    k.memory.writeKernel(copy, bytes);
    bprmNames.set(bprm, { addr: copy, path });
    setField(k, bprm, "linux_binprm", "filename", copy);
    setField(k, bprm, "linux_binprm", "interp", copy);
    setField(k, bprm, "linux_binprm", "mm", call("mm_alloc"));
    setField(k, bprm, "linux_binprm", "p", 0x7ffffffff000n - 8n);
    setField(k, bprm, "linux_binprm", "rlim_stack.rlim_cur", 8n << 20n);
    setField(k, bprm, "linux_binprm", "rlim_stack.rlim_max", 0xffffffffffffffffn);
    // The first bytes of the file: an x86-64 ELF executable's header.
    k.memory.writeKernel(bprm + BigInt(k.memory.objects.field("linux_binprm", "buf").byteOffset), new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0x3e, 0]));
    return bprm;
  });
  set("bprm_execve", ([bprm]) => {
    call("sched_exec");
    return call("exec_binprm", bprm!);
  });
  // sched_exec: the exec is a balancing point; the task stays where it is unless its CPU is much busier (select_task_rq_fair decides).
  set("sched_exec", () => {
    const me = k.current();
    call("select_task_rq_fair", me.taskAddress, BigInt(me.cpu), 0x02n /* WF_EXEC */);
    return 0n;
  });
  set("exec_binprm", ([bprm]) => {
    const me = k.current();
    const oldPid = BigInt(me.pid);
    const r = call("search_binary_handler", bprm!);
    if (BigInt.asIntN(64, r) < 0n) return r;
    k.fire(tpExec, { filename: bprmNames.get(bprm!)?.path ?? "", pid: BigInt(me.pid), old_pid: oldPid }, [me.taskAddress, oldPid, bprm!]);
    return 0n;
  });
  set("search_binary_handler", ([bprm]) => call("load_elf_binary", bprm!));
  set("load_elf_binary", ([bprm]) => {
    const r = call("begin_new_exec", bprm!);
    if (r !== 0n) return r;
    call("setup_new_exec", bprm!);
    const me = k.current();
    const mm = tf(me, "mm");
    const text = BigInt(BINARIES.get(bprmNames.get(bprm!)?.path ?? "") ?? 0x1000);
    setField(k, mm, "mm_struct", "start_code", 0x400000n);
    setField(k, mm, "mm_struct", "end_code", 0x400000n + text);
    setField(k, mm, "mm_struct", "start_data", 0x400000n + text + 0x1000n);
    setField(k, mm, "mm_struct", "end_data", 0x400000n + text + 0x3000n);
    setField(k, mm, "mm_struct", "start_brk", 0x400000n + text + 0x4000n);
    setField(k, mm, "mm_struct", "brk", 0x400000n + text + 0x4000n);
    setField(k, mm, "mm_struct", "total_vm", (text + 0x4000n + (132n << 10n)) / 4096n);
    call("start_thread", 0n, 0x400000n + 0x1040n, k.memory.readField(bprm!, "linux_binprm", "p"));
    return 0n;
  });
  set("begin_new_exec", ([bprm]) => {
    const me = k.current();
    const mm = k.memory.readField(bprm!, "linux_binprm", "mm");
    const r = call("exec_mmap", mm);
    if (r !== 0n) return r;
    setField(k, bprm!, "linux_binprm", "mm", 0n);
    const name = bprmNames.get(bprm!);
    if (name) {
      const base = name.path.slice(name.path.lastIndexOf("/") + 1);
      call("__set_task_comm", me.taskAddress, name.addr + BigInt(name.path.length - base.length), 1n);
    }
    // flush_signal_handlers: caught signals go back to SIG_DFL (the new program sets its own).
    const sh = tf(me, "sighand");
    if (sh !== 0n) resetHandlers(k, sh, me.comm);
    return 0n;
  });
  set("exec_mmap", ([mm]) => {
    const me = k.current();
    const old = tf(me, "mm");
    setField(k, me.taskAddress, "task_struct", "mm", mm!);
    setField(k, me.taskAddress, "task_struct", "active_mm", mm!);
    setField(k, mm!, "mm_struct", "owner", me.taskAddress);
    call("switch_mm_irqs_off", old, mm!, me.taskAddress);
    if (old !== 0n) call("mmput", old);
    return 0n;
  });
  set("__set_task_comm", ([p, from]) => {
    const t = taskAt(k, p!);
    if (!t) return 0n;
    const buf = new Uint8Array(16);
    k.memory.readKernel(buf, from!);
    const nul = buf.indexOf(0);
    const comm = new TextDecoder().decode(buf.subarray(0, nul < 0 ? 15 : Math.min(nul, 15)));
    const ossa = tf(t, "signal") === 0n ? 0n : BigInt.asIntN(16, k.memory.readField(tf(t, "signal"), "signal_struct", "oom_score_adj"));
    k.fire(tpRename, { pid: BigInt(t.pid), oldcomm: t.comm, newcomm: comm, oom_score_adj: ossa }, [p!, from!]);
    t.comm = comm;
    k.memory.writeString(p!, "task_struct", "comm", comm);
    return 0n;
  });
  set("setup_new_exec", () => 0n);
  set("start_thread", () => 0n);
  set("free_bprm", ([bprm]) => {
    const mm = k.memory.readField(bprm!, "linux_binprm", "mm");
    if (mm !== 0n) call("mmput", mm);
    const name = bprmNames.get(bprm!);
    if (name) k.memory.free(name.addr);
    bprmNames.delete(bprm!);
    k.memory.free(bprm!);
    return 0n;
  });
}
