// Signals: kill(2) (kill_something_info -> kill_pid_info ->
// kill_pid_info_type -> group_send_sig_info -> check_kill_permission ->
// do_send_sig_info -> send_signal_locked -> __send_signal_locked:
// __sigqueue_alloc, the pending set, complete_signal -> signal_wake_up_state,
// signal:signal_generate), do_notify_parent (a child's SIGCHLD to its
// parent), and delivery on the way back to user space
// (arch_do_signal_or_restart -> get_signal -> dequeue_signal,
// signal:signal_deliver -> a handler (handle_signal, signal_setup_done) or
// the default action: a fatal signal ends the process with do_group_exit).
import type { Kernel } from "../kernel.js";
import type { Task } from "../tasks.js";
import { alloc, setField } from "./fields.js";
import { defineSyscall, syscall } from "./syscalls.js";
import { get, infoOf, runNow, schedState, TASK_INTERRUPTIBLE, TASK_WAKEKILL, taskAt } from "./sched.js";
import { listAddTail, listDel } from "./process-objects.js";
import { pathFunctions } from "./bind.js";

export const SIGHUP = 1;
export const SIGINT = 2;
export const SIGKILL = 9;
export const SIGTERM = 15;
export const SIGCHLD = 17;
export const SIGSTOP = 19;
/** si_code values: SI_USER (kill), SI_KERNEL, CLD_EXITED, CLD_KILLED. */
const SI_USER = 0n;
const SI_KERNEL = 0x80n;
const CLD_EXITED = 1n;
const CLD_KILLED = 2n;
/** SEND_SIG_PRIV: the kernel's own signals (oom, exits) pass this instead of a siginfo. */
export const SEND_SIG_PRIV = 1n;
/** TRACE_SIGNAL_* results. */
const TRACE_SIGNAL_DELIVERED = 0n;
const TRACE_SIGNAL_IGNORED = 1n;
const TRACE_SIGNAL_ALREADY_PENDING = 2n;
const PIDTYPE_PID = 0n;
const PIDTYPE_TGID = 1n;
const EPERM = 1n;
const ESRCH = 3n;
const EINVAL = 22n;
const err = (e: bigint) => BigInt.asUintN(64, -e);
/** TIF_SIGPENDING in thread_info.flags. */
const TIF_SIGPENDING = 1n << 2n;
/** SIG_DFL and SIG_IGN handlers. */
const SIG_DFL = 0n;
const SIG_IGN = 1n;

/** Signals whose default action is to ignore them (SIGCHLD, SIGCONT, SIGURG, SIGWINCH). */
const DEFAULT_IGNORED = new Set([17, 18, 23, 28]);
/** Default stop signals (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU): not modelled as stops, treated as ignored. */
const DEFAULT_STOP = new Set([19, 20, 21, 22]);

interface Pending {
  sig: number;
  /** The sigqueue carrying its siginfo (0 for a signal queued without one). */
  q: bigint;
}

const pendings = new WeakMap<Task, Pending[]>();
const pendingOf = (t: Task) => {
  let p = pendings.get(t);
  if (!p) pendings.set(t, (p = []));
  return p;
};

/** Whether `t` has a signal to take on its way back to user space. */
export function signalPending(t: Task): boolean {
  return (pendings.get(t)?.length ?? 0) > 0;
}

const offsetOf = (k: Kernel, type: string, path: string) => BigInt(k.memory.objects.field(type, path).byteOffset);

/**
 * The return to user space of `t` (exit_to_user_mode_loop): pending
 * signals are delivered, a handler runs, a fatal default action ends the
 * process.
 */
export function exitToUser(k: Kernel, t: Task): void {
  for (let i = 0; i < 8 && signalPending(t) && !t.exited && k.current() === t; i++) k.callByName("arch_do_signal_or_restart", [0n]);
}

/** While `t` next sleeps, systemd (pid 1) sends it `sig` with kill(2), as stopping a unit does. */
export function killWhileAsleep(k: Kernel, t: Task, sig: number): void {
  schedState(k).whileAsleep.set(t.pid, () => {
    const killer = k.tasks.get(1);
    if (!killer || killer.exited || t.exited) return;
    runNow(k, killer);
    if (k.current() === killer) syscall(k, "kill", [BigInt(t.pid), BigInt(sig)]);
  });
}

export function installSignalPaths(k: Kernel): void {
  const { set, call } = pathFunctions(k);
  const tpGenerate = k.tracepoints.get("signal", "signal_generate")!;
  const tpDeliver = k.tracepoints.get("signal", "signal_deliver")!;
  const task = (addr: bigint) => taskAt(k, addr);
  const tf = (t: Task, field: string) => get(k, t.taskAddress, "task_struct", field);

  /** A kernel_siginfo for kill(2) from the current task (prepare_kill_siginfo). */
  const killInfo = (sig: bigint): bigint => {
    const info = alloc(k, "kernel_siginfo");
    const me = k.current();
    setField(k, info, "kernel_siginfo", "si_signo", sig);
    setField(k, info, "kernel_siginfo", "si_code", SI_USER);
    setField(k, info, "kernel_siginfo", "_sifields._kill._pid", BigInt(me.tgid));
    setField(k, info, "kernel_siginfo", "_sifields._kill._uid", BigInt(me.uid));
    return info;
  };

  defineSyscall(k, "kill", ([pid, sig]) => {
    const info = killInfo(sig!);
    const r = call("kill_something_info", sig!, info, pid!);
    k.memory.free(info);
    return r;
  });
  set("kill_something_info", ([sig, info, pid]) => {
    const p = BigInt.asIntN(32, pid!);
    if (p > 0n) {
      const t = k.tasks.get(Number(p));
      if (!t || t.exited || t.taskAddress === 0n) return err(ESRCH);
      return call("kill_pid_info", sig!, info!, tf(t, "thread_pid"));
    }
    // Process groups and "every process" (-1) are not modelled.
    return err(ESRCH);
  });
  set("kill_pid_info", ([sig, info, pid]) => call("kill_pid_info_type", sig!, info!, pid!, PIDTYPE_TGID));
  set("kill_pid_info_type", ([sig, info, pid, type]) => {
    const t = taskOfPid(pid!);
    if (!t) return err(ESRCH);
    return call("group_send_sig_info", sig!, info!, t.taskAddress, type!);
  });
  /** The live task a struct pid numbers. */
  const taskOfPid = (pid: bigint): Task | undefined => {
    if (pid === 0n) return undefined;
    const nr = Number(k.memory.readField(pid + offsetOf(k, "pid", "numbers"), "upid", "nr"));
    const t = k.tasks.get(nr);
    return t && !t.exited ? t : undefined;
  };
  set("group_send_sig_info", ([sig, info, p, type]) => {
    if (sig! > 64n) return err(EINVAL);
    const perm = call("check_kill_permission", sig!, info!, p!);
    if (perm !== 0n || sig === 0n) return perm;
    return call("do_send_sig_info", sig!, info!, p!, type!);
  });
  set("check_kill_permission", ([sig, info, p]) => {
    if (sig! > 64n) return err(EINVAL);
    const t = task(p!);
    if (!t) return err(ESRCH);
    // A signal from the kernel, from root, or to a process of the same user.
    if (info === SEND_SIG_PRIV) return 0n;
    const me = k.current();
    if (me.uid !== 0 && me.uid !== t.uid) return err(EPERM);
    return 0n;
  });
  set("do_send_sig_info", ([sig, info, p, type]) => call("send_signal_locked", sig!, info!, p!, type!));
  set("send_signal_locked", ([sig, info, p, type]) => call("__send_signal_locked", sig!, info!, p!, type!, info === SEND_SIG_PRIV ? 1n : 0n));

  const handlerOf = (t: Task, sig: number): bigint => {
    const sh = t.taskAddress === 0n ? 0n : tf(t, "sighand");
    return sh === 0n ? SIG_DFL : k.memory.readField(sh, "sighand_struct", `action[${sig - 1}].sa.sa_handler`);
  };
  const ignored = (t: Task, sig: number) => {
    const h = handlerOf(t, sig);
    return h === SIG_IGN || (h === SIG_DFL && (DEFAULT_IGNORED.has(sig) || DEFAULT_STOP.has(sig)));
  };
  const fatal = (t: Task, sig: number) => sig === SIGKILL || (handlerOf(t, sig) === SIG_DFL && !DEFAULT_IGNORED.has(sig) && !DEFAULT_STOP.has(sig));

  set("__send_signal_locked", ([sig, info, p, type, force]) => {
    const t = task(p!);
    if (!t) return err(ESRCH);
    const s = Number(sig);
    const group = type !== PIDTYPE_PID ? 1n : 0n;
    const generate = (result: bigint) =>
      k.fire(
        tpGenerate,
        { sig: sig!, errno: 0n, code: info! > SEND_SIG_PRIV ? k.memory.readField(info!, "kernel_siginfo", "si_code") : SI_KERNEL, comm: t.comm, pid: BigInt(t.pid), group, result },
        [sig!, info!, p!, group, result],
      );
    // prepare_signal: an ignored signal is dropped (SIGKILL never is), an exiting task takes none.
    if (t.exited || (ignored(t, s) && s !== SIGKILL && force === 0n)) {
      generate(TRACE_SIGNAL_IGNORED);
      return 0n;
    }
    const pending = pendingOf(t);
    // legacy_queue: a standard signal already pending is not queued twice.
    if (s < 32 && pending.some((x) => x.sig === s)) {
      generate(TRACE_SIGNAL_ALREADY_PENDING);
      return 0n;
    }
    const q = call("__sigqueue_alloc", sig!, p!, 0x820n /* GFP_ATOMIC */, force!, 0n);
    if (q !== 0n) {
      // The siginfo travels in the sigqueue: the sender's, or the kernel's own (SEND_SIG_PRIV).
      const qi = q + offsetOf(k, "sigqueue", "info");
      if (info! > SEND_SIG_PRIV) {
        const bytes = new Uint8Array(Number(offsetOf(k, "sigqueue", "ucounts") - offsetOf(k, "sigqueue", "info")));
        k.memory.readKernel(bytes, info!);
        k.memory.writeKernel(qi, bytes);
      } else {
        setField(k, qi, "kernel_siginfo", "si_signo", sig!);
        setField(k, qi, "kernel_siginfo", "si_code", SI_KERNEL);
      }
      const head = group ? tf(t, "signal") + offsetOf(k, "signal_struct", "shared_pending.list") : p! + offsetOf(k, "task_struct", "pending.list");
      if (!group || tf(t, "signal") !== 0n) listAddTail(k, q + offsetOf(k, "sigqueue", "list"), head);
    }
    pending.push({ sig: s, q });
    // sigaddset on the pending set the signal went to.
    const sp = group && tf(t, "signal") !== 0n ? tf(t, "signal") + offsetOf(k, "signal_struct", "shared_pending") : p! + offsetOf(k, "task_struct", "pending");
    k.memory.writeField(sp, "sigpending", "signal.sig[0]", k.memory.readField(sp, "sigpending", "signal.sig[0]") | (1n << BigInt(s - 1)));
    call("complete_signal", sig!, p!, type!);
    generate(TRACE_SIGNAL_DELIVERED);
    return 0n;
  });
  set("__sigqueue_alloc", ([sig]) => {
    const q = alloc(k, "sigqueue");
    setField(k, q, "sigqueue", "info.si_signo", sig!);
    return q;
  });
  set("__sigqueue_free", ([q]) => {
    k.memory.free(q!);
    return 0n;
  });
  set("complete_signal", ([sig, p]) => {
    const t = task(p!);
    if (!t) return 0n;
    const s = Number(sig);
    // A fatal signal takes the whole group down: SIGNAL_GROUP_EXIT with the signal as its exit code; SIGKILL wakes even a killable sleep.
    if (fatal(t, s) && tf(t, "signal") !== 0n) {
      setField(k, tf(t, "signal"), "signal_struct", "flags", 0x4n);
      setField(k, tf(t, "signal"), "signal_struct", "group_exit_code", sig!);
    }
    call("signal_wake_up_state", p!, s === SIGKILL ? BigInt(TASK_WAKEKILL) : 0n);
    return 0n;
  });
  set("signal_wake_up_state", ([p, state]) => {
    const t = task(p!);
    if (!t) return 0n;
    setField(k, p!, "task_struct", "thread_info.flags", tf(t, "thread_info.flags") | TIF_SIGPENDING);
    const i = infoOf(k, t);
    if (i.state & (TASK_INTERRUPTIBLE | Number(state))) {
      i.signalled = true;
      call("try_to_wake_up", p!, state! | BigInt(TASK_INTERRUPTIBLE), 0n);
    }
    return 0n;
  });

  // A child's exit: SIGCHLD (its exit_signal) to the parent with the child's pid, uid and status, then the parent's wait is woken.
  set("do_notify_parent", ([p, sig]) => {
    const t = task(p!);
    const parent = t ? k.tasks.get(t.parent) : undefined;
    if (!t || !parent || parent.taskAddress === 0n) return 0n;
    const code = tf(t, "exit_code");
    const killed = (code & 0x7fn) !== 0n;
    const info = alloc(k, "kernel_siginfo");
    setField(k, info, "kernel_siginfo", "si_signo", sig!);
    setField(k, info, "kernel_siginfo", "si_code", killed ? CLD_KILLED : CLD_EXITED);
    setField(k, info, "kernel_siginfo", "_sifields._sigchld._pid", BigInt(t.tgid));
    setField(k, info, "kernel_siginfo", "_sifields._sigchld._uid", BigInt(t.uid));
    setField(k, info, "kernel_siginfo", "_sifields._sigchld._status", killed ? code & 0x7fn : (code >> 8n) & 0xffn);
    const sum = infoOf(k, t).sum;
    setField(k, info, "kernel_siginfo", "_sifields._sigchld._utime", sum / 10_000_000n);
    call("__send_signal_locked", sig!, info, parent.taskAddress, PIDTYPE_TGID, 0n);
    k.memory.free(info);
    call("__wake_up_parent", p!, parent.taskAddress);
    return 0n;
  });

  // Delivery.
  set("arch_do_signal_or_restart", ([regs]) => {
    const ksig = alloc(k, "ksignal");
    if (call("get_signal", ksig) !== 0n) {
      call("handle_signal", ksig, regs!);
    }
    k.memory.free(ksig);
    return 0n;
  });
  set("get_signal", ([ksig]) => {
    const me = k.current();
    for (;;) {
      if (me.exited) return 0n;
      const info = ksig! + offsetOf(k, "ksignal", "info");
      const typeBuf = k.memory.kmalloc(4, true);
      const sig = Number(call("dequeue_signal", me.taskAddress + offsetOf(k, "task_struct", "blocked"), info, typeBuf));
      k.memory.free(typeBuf);
      if (sig === 0) {
        setField(k, me.taskAddress, "task_struct", "thread_info.flags", tf(me, "thread_info.flags") & ~TIF_SIGPENDING);
        return 0n;
      }
      const sh = tf(me, "sighand");
      const ka = sh === 0n ? 0n : sh + offsetOf(k, "sighand_struct", "action") + BigInt((sig - 1) * sizeOfKSigaction);
      const handler = handlerOf(me, sig);
      k.fire(
        tpDeliver,
        { sig: BigInt(sig), errno: 0n, code: k.memory.readField(info, "kernel_siginfo", "si_code"), sa_handler: handler, sa_flags: sh === 0n ? 0n : k.memory.readField(sh, "sighand_struct", `action[${sig - 1}].sa.sa_flags`) },
        [BigInt(sig), info, ka],
      );
      if (handler === SIG_IGN) continue;
      if (handler !== SIG_DFL && sig !== SIGKILL) {
        const kaBytes = new Uint8Array(sizeOfKSigaction);
        k.memory.readKernel(kaBytes, ka);
        k.memory.writeKernel(ksig! + offsetOf(k, "ksignal", "ka"), kaBytes);
        setField(k, ksig!, "ksignal", "sig", BigInt(sig));
        return 1n;
      }
      if (DEFAULT_IGNORED.has(sig) || DEFAULT_STOP.has(sig)) continue;
      // The default action of the rest: the process dies of it.
      call("do_group_exit", BigInt(sig));
      return 0n;
    }
  });
  const sizeOfKSigaction = (() => {
    try {
      return k.memory.objects.field("sighand_struct", "action[1]").byteOffset - k.memory.objects.field("sighand_struct", "action[0]").byteOffset;
    } catch {
      return 32;
    }
  })();
  set("dequeue_signal", ([, info, typeOut]) => {
    const me = k.current();
    const pending = pendings.get(me);
    const next = pending?.shift();
    if (!next) return 0n;
    const s = next.sig;
    for (const sp of [me.taskAddress + offsetOf(k, "task_struct", "pending"), tf(me, "signal") === 0n ? 0n : tf(me, "signal") + offsetOf(k, "signal_struct", "shared_pending")]) {
      if (sp !== 0n) k.memory.writeField(sp, "sigpending", "signal.sig[0]", k.memory.readField(sp, "sigpending", "signal.sig[0]") & ~(1n << BigInt(s - 1)));
    }
    if (next.q !== 0n) {
      const bytes = new Uint8Array(Number(offsetOf(k, "sigqueue", "ucounts") - offsetOf(k, "sigqueue", "info")));
      k.memory.readKernel(bytes, next.q + offsetOf(k, "sigqueue", "info"));
      k.memory.writeKernel(info!, bytes);
      listDel(k, next.q + offsetOf(k, "sigqueue", "list"));
      call("__sigqueue_free", next.q);
    } else setField(k, info!, "kernel_siginfo", "si_signo", BigInt(s));
    k.memory.writeKernel(typeOut!, new Uint8Array([Number(PIDTYPE_TGID), 0, 0, 0]));
    return BigInt(s);
  });
  set("handle_signal", ([ksig]) => {
    // The handler's frame goes on the user stack (setup_rt_frame), then the handler runs and returns through sigreturn.
    call("signal_setup_done", 0n, ksig!, 0n);
    return 0n;
  });
  set("signal_setup_done", () => 0n);
  set("exit_signals", ([p]) => {
    const t = task(p!);
    if (t && t.taskAddress !== 0n) setField(k, p!, "task_struct", "flags", tf(t, "flags") | 0x4n /* PF_EXITING */);
    // Signals still queued die with the task (flush_sigqueue).
    const pending = t ? pendings.get(t) : undefined;
    if (t && pending) {
      for (const x of pending.splice(0)) {
        if (x.q !== 0n) {
          listDel(k, x.q + offsetOf(k, "sigqueue", "list"));
          call("__sigqueue_free", x.q);
        }
      }
    }
    return 0n;
  });
}
