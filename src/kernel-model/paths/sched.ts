// The scheduler: per-CPU run queues (struct rq with its cfs_rq) holding the
// runnable tasks, CFS accounting (update_curr: sum_exec_runtime, vruntime,
// sched_stat_runtime), __schedule (deactivate a sleeper, pick_next_task_fair,
// sched_switch, context_switch, finish_task_switch), wakeups
// (try_to_wake_up: sched_waking, select_task_rq_fair, set_task_cpu with
// sched_migrate_task, ttwu_do_activate, wakeup_preempt, sched_wakeup),
// wake_up_new_task (sched_wakeup_new), sched_tick, load balancing
// (sched_balance_domains -> sched_balance_rq, sched_balance_newidle),
// sched_yield, nanosleep, sched_setscheduler, and the sched workload step.
//
// Blocking is synchronous: a task that sleeps calls schedule() (switched
// out), the simulation runs what happens while it sleeps (time passes, a
// timer fires, its children run), then it is woken and switched back in, so
// the task that entered a syscall is current again when it returns, as in
// Linux from the task's point of view.
import type { Kernel } from "../kernel.js";
import type { Task } from "../tasks.js";
import { defineSyscall, syscall } from "./syscalls.js";
import { alloc, setField } from "./fields.js";
import { pathFunctions } from "./bind.js";

/** task_struct.__state bits (include/linux/sched.h). */
export const TASK_RUNNING = 0;
export const TASK_INTERRUPTIBLE = 1;
export const TASK_UNINTERRUPTIBLE = 2;
export const TASK_DEAD = 0x80;
export const TASK_WAKEKILL = 0x100;
const TASK_NORMAL = TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE;
/** exit_state: EXIT_ZOMBIE, as __trace_sched_switch_state reports a dead task (0x20, 'Z'). */
export const EXIT_ZOMBIE = 0x20;
/** What sched_switch's prev_state shows for a preempted task (TASK_REPORT_MAX, "R+"). */
const TASK_REPORT_MAX = 0x100;
/** __schedule's modes. */
const SM_NONE = 0n;
const SM_PREEMPT = 1n;
/** Enqueue/dequeue flags and wake flags (kernel/sched/sched.h). */
const DEQUEUE_SLEEP = 0x01n;
const ENQUEUE_WAKEUP = 0x01n;
const ENQUEUE_NOCLOCK = 0x08n;
const WF_FORK = 0x04n;
const WF_TTWU = 0x08n;
/** NICE_0_LOAD on 64-bit (scale_load(1024)): the weight of a nice-0 task. */
const NICE_0_LOAD = 1n << 20n;
/** The base slice of a task (sysctl_sched_base_slice 0.75 ms scaled by 1 + ilog2(min(ncpus, 8)): 2.25 ms on 4 CPUs). */
const baseSlice = (ncpus: number) => 750_000n * BigInt(1 + Math.floor(Math.log2(Math.min(ncpus, 8))));
/** TIF_NEED_RESCHED in thread_info.flags. */
const TIF_NEED_RESCHED = 1n << 3n;
/** Scheduling policies. */
export const SCHED_NORMAL = 0;
const SCHED_FIFO = 1;
const SCHED_RR = 2;
export const SCHED_BATCH = 3;
const SCHED_IDLE = 5;
const EINVAL = 22n;
const EPERM = 1n;
const ESRCH = 3n;
const EFAULT = 14n;
const ERESTART_RESTARTBLOCK = 516n;
const err = (e: bigint) => BigInt.asUintN(64, -e);

/** A task's scheduler state (mirrored into its task_struct and sched_entity). */
export interface TaskSched {
  state: number;
  onRq: boolean;
  vruntime: bigint;
  sum: bigint;
  prevSum: bigint;
  execStart: bigint;
  /** When it was last enqueued (sched_info.last_queued: run delay). */
  queuedAt: bigint;
  policy: number;
  /** Woken while asleep by a signal (do_nanosleep returns -ERESTART_RESTARTBLOCK). */
  signalled: boolean;
}

export interface RunQueue {
  readonly cpu: number;
  /** struct rq (its cfs_rq embedded at `cfs`). */
  readonly addr: bigint;
  readonly cfs: bigint;
  /** The tasks on the queue (on_rq), the running one included, as nr_running counts them. */
  readonly tasks: Task[];
  /** The task a wakeup asked to run next (the next buddy). */
  next: Task | undefined;
  minVruntime: bigint;
  /** A zeroed object standing for the CPU's sched_group (what sched_balance_find_src_group returns). */
  readonly group: bigint;
}

export interface SchedState {
  readonly rqs: RunQueue[];
  readonly info: Map<Task, TaskSched>;
  readonly byAddr: Map<bigint, Task>;
  /** Tasks the table had when the scheduler last looked (new ones are adopted as runnable). */
  seen: number;
  /** Actions run while a task sleeps in nanosleep (by pid), e.g. a kill. */
  readonly whileAsleep: Map<number, () => void>;
}

const states = new WeakMap<Kernel, SchedState>();

/** The scheduler's state of `k` (made by installSchedPaths). */
export function schedState(k: Kernel): SchedState {
  const s = states.get(k);
  if (!s) throw new RangeError("the scheduler is not installed on this kernel");
  return s;
}

const fieldOff = (k: Kernel, type: string, path: string) => BigInt(k.memory.objects.field(type, path).byteOffset);

/** A scalar member's offset and size, looked up once per kernel and path (null: the trimmed struct lacks it). */
interface Acc {
  readonly off: bigint;
  readonly size: 1 | 2 | 4 | 8;
}
const accessors = new WeakMap<Kernel, Map<string, Map<string, Acc | null>>>();
function acc(k: Kernel, type: string, path: string): Acc | null {
  let byType = accessors.get(k);
  if (!byType) accessors.set(k, (byType = new Map()));
  let m = byType.get(type);
  if (!m) byType.set(type, (m = new Map()));
  let a = m.get(path);
  if (a === undefined) {
    a = null;
    try {
      const f = k.memory.objects.field(type, path);
      if (!f.bitSize && (f.size === 1 || f.size === 2 || f.size === 4 || f.size === 8)) a = { off: BigInt(f.byteOffset), size: f.size };
    } catch {
      a = null;
    }
    m.set(path, a);
  }
  return a;
}
/** Stores a scalar member in one typed store (the general path, with its errors, if the store faults). */
export function put(k: Kernel, addr: bigint, type: string, path: string, v: bigint): void {
  const a = acc(k, type, path);
  if (!a || addr === 0n) return;
  const at = addr + a.off;
  const sp = k.memory.kernel;
  const ok = a.size === 8 ? sp.storeU64(at, BigInt.asUintN(64, v)) : a.size === 4 ? sp.storeU32(at, Number(BigInt.asUintN(32, v))) : a.size === 2 ? sp.storeU16(at, Number(BigInt.asUintN(16, v))) : sp.storeU8(at, Number(BigInt.asUintN(8, v)));
  if (!ok) setField(k, addr, type, path, v);
}
/** Loads an unsigned scalar member (counters, flags, pointers) in one typed load. */
export function get(k: Kernel, addr: bigint, type: string, path: string): bigint {
  const a = acc(k, type, path);
  if (!a) return 0n;
  const at = addr + a.off;
  const sp = k.memory.kernel;
  if (a.size === 8) {
    const v = sp.loadU64(at);
    if (v !== undefined) return v;
  } else {
    const v = a.size === 4 ? sp.loadU32(at) : a.size === 2 ? sp.loadU16(at) : sp.loadU8(at);
    if (v >= 0) return BigInt(v);
  }
  return k.memory.readField(addr, type, path);
}
const w = (k: Kernel, t: Task, path: string, v: bigint) => {
  if (t.taskAddress !== 0n) put(k, t.taskAddress, "task_struct", path, v);
};
const r = (k: Kernel, t: Task, path: string) => get(k, t.taskAddress, "task_struct", path);

/** The task whose task_struct is at `addr` (the idle tasks included). */
export function taskAt(k: Kernel, addr: bigint): Task | undefined {
  const s = schedState(k);
  let t = s.byAddr.get(addr);
  if (t === undefined) {
    adopt(k);
    t = s.byAddr.get(addr) ?? k.tasks.idle.find((x) => x.taskAddress === addr);
  }
  return t;
}

/** The scheduler state of `t`, created (not queued) for a task it has not seen. */
export function infoOf(k: Kernel, t: Task): TaskSched {
  const s = schedState(k);
  let i = s.info.get(t);
  if (!i) {
    i = { state: TASK_RUNNING, onRq: false, vruntime: s.rqs[t.cpu]?.minVruntime ?? 0n, sum: 0n, prevSum: 0n, execStart: k.clock.now(), queuedAt: k.clock.now(), policy: SCHED_NORMAL, signalled: false };
    s.info.set(t, i);
    if (t.taskAddress !== 0n) {
      s.byAddr.set(t.taskAddress, t);
      w(k, t, "se.exec_start", i.execStart);
      writePolicy(k, t, i);
    }
  }
  return i;
}

/** Registers a task the fork path made (not runnable until wake_up_new_task). */
export function registerTask(k: Kernel, t: Task, parent: Task | undefined): TaskSched {
  const s = schedState(k);
  const i = infoOf(k, t);
  i.state = TASK_RUNNING;
  const pi = parent ? s.info.get(parent) : undefined;
  i.policy = pi?.policy ?? SCHED_NORMAL;
  writePolicy(k, t, i);
  s.seen = k.tasks.size;
  return i;
}

/** Forgets a reaped task. */
export function forgetTask(k: Kernel, t: Task): void {
  const s = schedState(k);
  for (const rq of s.rqs) {
    const j = rq.tasks.indexOf(t);
    if (j >= 0) rq.tasks.splice(j, 1);
    if (rq.next === t) rq.next = undefined;
  }
  s.info.delete(t);
  s.byAddr.delete(t.taskAddress);
  s.whileAsleep.delete(t.pid);
  s.seen = k.tasks.size;
}

/** Tasks spawned outside the fork path (at boot, by tests) join their CPU's queue as runnable. */
function adopt(k: Kernel): void {
  const s = schedState(k);
  if (s.seen === k.tasks.size) return;
  s.seen = k.tasks.size;
  for (const t of k.tasks.all()) {
    if (s.info.has(t)) continue;
    const i = infoOf(k, t);
    const rq = s.rqs[t.cpu] ?? s.rqs[0]!;
    // A kernel thread sleeps until woken (kthreadd, kworkers waiting for work), unless it is running now.
    if (t.kthread && k.tasks.cpus[t.cpu]?.current !== t) {
      i.state = TASK_INTERRUPTIBLE;
      writeTaskSched(k, t, i, rq);
      continue;
    }
    i.onRq = true;
    rq.tasks.push(t);
    writeTaskSched(k, t, i, rq);
    writeRq(k, rq);
  }
}

function writeTaskSched(k: Kernel, t: Task, i: TaskSched, rq: RunQueue): void {
  if (t.taskAddress === 0n) return;
  w(k, t, "__state", BigInt(i.state));
  w(k, t, "on_rq", i.onRq ? 1n : 0n);
  w(k, t, "se.on_rq", i.onRq ? 1n : 0n);
  w(k, t, "se.vruntime", i.vruntime);
  w(k, t, "se.sum_exec_runtime", i.sum);
  w(k, t, "se.exec_start", i.execStart);
  w(k, t, "se.cfs_rq", rq.cfs);
  w(k, t, "thread_info.cpu", BigInt(rq.cpu));
}

/** The policy and the load weight it gives (written when a task is first seen and when its policy changes). */
function writePolicy(k: Kernel, t: Task, i: TaskSched): void {
  w(k, t, "se.load.weight", i.policy === SCHED_IDLE ? 3n << 10n : NICE_0_LOAD);
  w(k, t, "policy", BigInt(i.policy));
}

function writeRq(k: Kernel, rq: RunQueue): void {
  const n = BigInt(rq.tasks.length);
  setField(k, rq.addr, "rq", "nr_running", n);
  setField(k, rq.cfs, "cfs_rq", "nr_queued", n);
  setField(k, rq.cfs, "cfs_rq", "h_nr_queued", n);
  setField(k, rq.cfs, "cfs_rq", "h_nr_runnable", n);
  setField(k, rq.cfs, "cfs_rq", "load.weight", n * NICE_0_LOAD);
}

const currentOf = (k: Kernel, cpu: number) => k.tasks.cpus[cpu]!.current;
const isIdle = (t: Task) => t.pid === 0;

export function installSchedPaths(k: Kernel): void {
  const { set, call } = pathFunctions(k);
  const tp = (cat: string, name: string) => k.tracepoints.get(cat, name)!;
  const tpSwitch = tp("sched", "sched_switch");
  const tpMigrate = tp("sched", "sched_migrate_task");
  const tpWaking = tp("sched", "sched_waking");
  const tpWakeup = tp("sched", "sched_wakeup");
  const tpWakeupNew = tp("sched", "sched_wakeup_new");
  const tpRuntime = tp("sched", "sched_stat_runtime");

  const ncpus = k.tasks.cpus.length;
  const slice = baseSlice(ncpus);
  const cfsOff = fieldOff(k, "rq", "cfs");
  const rqs: RunQueue[] = k.tasks.cpus.map((c) => {
    const addr = alloc(k, "rq");
    const cfs = addr + cfsOff;
    setField(k, addr, "rq", "cpu", BigInt(c.id));
    setField(k, addr, "rq", "online", 1n);
    setField(k, addr, "rq", "idle", k.tasks.idle[c.id]!.taskAddress);
    setField(k, addr, "rq", "curr", c.current.taskAddress);
    setField(k, cfs, "cfs_rq", "rq", addr);
    setField(k, addr, "rq", "cpu_capacity", 1024n);
    return { cpu: c.id, addr, cfs, tasks: [], next: undefined, minVruntime: 0n, group: k.memory.kmalloc(64, true) };
  });
  const s: SchedState = { rqs, info: new Map(), byAddr: new Map(), seen: -1, whileAsleep: new Map() };
  states.set(k, s);
  for (const idle of k.tasks.idle) {
    const i = infoOf(k, idle);
    writeTaskSched(k, idle, i, rqs[idle.cpu]!);
  }
  const rqAt = (addr: bigint) => rqs.find((r) => r.addr === addr) ?? rqs[k.cpu]!;
  const rqOfCfs = (cfs: bigint) => rqs.find((r) => r.cfs === cfs) ?? rqs[k.cpu]!;
  const task = (addr: bigint) => taskAt(k, addr);
  const prio = (t: Task) => (t.taskAddress === 0n ? 120n : r(k, t, "prio"));
  const wakeupValues = (t: Task) => ({ comm: t.comm, pid: BigInt(t.pid), prio: prio(t), target_cpu: BigInt(t.cpu) });

  set("update_rq_clock", ([rq]) => {
    const now = k.clock.now();
    put(k, rq!, "rq", "clock", now);
    put(k, rq!, "rq", "clock_task", now);
    return 0n;
  });

  // CFS: the running task's runtime since it last was accounted.
  set("update_curr", ([cfs]) => {
    const rq = rqOfCfs(cfs!);
    const curr = currentOf(k, rq.cpu);
    if (isIdle(curr)) return 0n;
    const i = infoOf(k, curr);
    const now = k.clock.now();
    // A task running off the queues (a kernel thread the interrupt code runs directly) is not charged: its clock restarts.
    if (!i.onRq) {
      i.execStart = now;
      return 0n;
    }
    const delta = now - i.execStart;
    if (delta <= 0n) return 0n;
    i.execStart = now;
    i.sum += delta;
    i.vruntime += i.policy === SCHED_IDLE ? delta * 341n : delta;
    if (i.vruntime < rq.minVruntime) rq.minVruntime = i.vruntime;
    w(k, curr, "se.exec_start", now);
    w(k, curr, "se.sum_exec_runtime", i.sum);
    w(k, curr, "se.vruntime", i.vruntime);
    k.fire(tpRuntime, { comm: curr.comm, pid: BigInt(curr.pid), runtime: delta }, [curr.taskAddress, delta]);
    return 0n;
  });

  set("enqueue_task_fair", ([rqAddr, p]) => {
    const rq = rqAt(rqAddr!);
    const t = task(p!);
    if (!t) return 0n;
    const i = infoOf(k, t);
    // place_entity: a task that slept keeps its lag but does not fall behind the queue's minimum.
    const min = rq.tasks.length ? rq.tasks.reduce((m, x) => (infoOf(k, x).vruntime < m ? infoOf(k, x).vruntime : m), infoOf(k, rq.tasks[0]!).vruntime) : rq.minVruntime;
    rq.minVruntime = min;
    if (i.vruntime < min - slice / 2n) i.vruntime = min - slice / 2n;
    if (!rq.tasks.includes(t)) rq.tasks.push(t);
    i.onRq = true;
    i.queuedAt = k.clock.now();
    t.cpu = rq.cpu;
    writeTaskSched(k, t, i, rq);
    w(k, t, "sched_info.last_queued", i.queuedAt);
    writeRq(k, rq);
    return 0n;
  });
  set("dequeue_task_fair", ([rqAddr, p]) => {
    const rq = rqAt(rqAddr!);
    const t = task(p!);
    if (!t) return 0n;
    // dequeue_entity: the running task is charged for its time before it leaves the queue.
    if (currentOf(k, rq.cpu) === t) call("update_curr", rq.cfs);
    const j = rq.tasks.indexOf(t);
    if (j >= 0) rq.tasks.splice(j, 1);
    if (rq.next === t) rq.next = undefined;
    const i = infoOf(k, t);
    i.onRq = false;
    writeTaskSched(k, t, i, rq);
    writeRq(k, rq);
    return 1n;
  });
  set("activate_task", ([rq, p, flags]) => call("enqueue_task_fair", rq!, p!, flags!));
  set("deactivate_task", ([rq, p, flags]) => {
    call("dequeue_task_fair", rq!, p!, flags!);
    return 0n;
  });

  // Wakeup preemption: the woken task runs next if the running one is idle or has had more than it.
  set("wakeup_preempt", ([rq, p, flags]) => call("check_preempt_wakeup_fair", rq!, p!, flags!));
  set("check_preempt_wakeup_fair", ([rqAddr, p]) => {
    const rq = rqAt(rqAddr!);
    const t = task(p!);
    const curr = currentOf(k, rq.cpu);
    if (!t || t === curr) return 0n;
    // The running task's vruntime is brought up to date before the comparison.
    if (!isIdle(curr)) call("update_curr", rq.cfs);
    if (isIdle(curr) || infoOf(k, t).vruntime <= infoOf(k, curr).vruntime + slice) {
      rq.next = t;
      call("resched_curr", rq.addr);
    }
    return 0n;
  });
  set("resched_curr", ([rqAddr]) => {
    const curr = currentOf(k, rqAt(rqAddr!).cpu);
    if (curr.taskAddress !== 0n) {
      const flags = r(k, curr, "thread_info.flags");
      w(k, curr, "thread_info.flags", flags | TIF_NEED_RESCHED);
    }
    return 0n;
  });

  set("select_task_rq_fair", ([, prevCpu, flags]) => {
    // The least loaded CPU (fewest runnable tasks); the previous one (the parent's, for a fork) when it is among them.
    const prev = Number(prevCpu);
    let best = rqs[prev] ?? rqs[0]!;
    for (const rq of rqs) if (rq.tasks.length < best.tasks.length) best = rq;
    // A wakeup stays put unless another CPU has two fewer tasks (wake_affine keeps cache-hot tasks near).
    if ((flags! & WF_FORK) === 0n && (rqs[prev]?.tasks.length ?? 0) - best.tasks.length < 2) return BigInt(prev);
    return BigInt(best.cpu);
  });

  set("set_task_cpu", ([p, newCpu]) => {
    const t = task(p!);
    if (!t) return 0n;
    const dest = Number(newCpu);
    k.fire(tpMigrate, { comm: t.comm, pid: BigInt(t.pid), prio: prio(t), orig_cpu: BigInt(t.cpu), dest_cpu: newCpu! }, [p!, newCpu!]);
    if (dest !== t.cpu && p !== 0n) {
      const n = k.memory.readField(p!, "task_struct", "se.nr_migrations");
      w(k, t, "se.nr_migrations", n + 1n);
    }
    // A queued task moves with its sched_entity to the new CPU's queue.
    const from = rqs[t.cpu];
    const to = rqs[dest];
    if (from && to && from !== to) {
      const j = from.tasks.indexOf(t);
      if (j >= 0 && currentOf(k, from.cpu) !== t) {
        from.tasks.splice(j, 1);
        to.tasks.push(t);
        writeRq(k, from);
        writeRq(k, to);
      }
      w(k, t, "se.cfs_rq", to.cfs);
    }
    if (to) t.cpu = dest;
    w(k, t, "thread_info.cpu", newCpu!);
    w(k, t, "wake_cpu", newCpu!);
    return 0n;
  });

  set("ttwu_do_activate", ([rq, p, wakeFlags, rf]) => {
    call("activate_task", rq!, p!, ENQUEUE_WAKEUP | ENQUEUE_NOCLOCK);
    call("wakeup_preempt", rq!, p!, wakeFlags!);
    const t = task(p!);
    if (t) {
      const i = infoOf(k, t);
      i.state = TASK_RUNNING;
      w(k, t, "__state", 0n);
      k.fire(tpWakeup, wakeupValues(t), [p!]);
    }
    void rf;
    return 0n;
  });

  set("try_to_wake_up", ([p, state, wakeFlags]) => {
    const t = task(p!);
    if (!t || isIdle(t) || t.exited) return 0n;
    const i = infoOf(k, t);
    if ((i.state & Number(state)) === 0) return 0n;
    k.fire(tpWaking, wakeupValues(t), [p!]);
    if (i.onRq) {
      // ttwu_runnable: still queued (woken before it was switched out).
      i.state = TASK_RUNNING;
      w(k, t, "__state", 0n);
      k.fire(tpWakeup, wakeupValues(t), [p!]);
      return 1n;
    }
    const cpu = Number(call("select_task_rq_fair", p!, BigInt(t.cpu), wakeFlags! | WF_TTWU));
    if (cpu !== t.cpu) call("set_task_cpu", p!, BigInt(cpu));
    const rq = rqs[cpu]!;
    call("update_rq_clock", rq.addr);
    call("ttwu_do_activate", rq.addr, p!, wakeFlags!, 0n);
    return 1n;
  });
  set("wake_up_process", ([p]) => call("try_to_wake_up", p!, BigInt(TASK_NORMAL), 0n));

  set("wake_up_new_task", ([p]) => {
    const t = task(p!);
    if (!t) return 0n;
    const i = infoOf(k, t);
    i.state = TASK_RUNNING;
    // __set_task_cpu: the fork balancing's choice, no migration event (the task never ran).
    const cpu = Number(call("select_task_rq_fair", p!, BigInt(t.cpu), WF_FORK));
    t.cpu = cpu;
    const rq = rqs[cpu]!;
    w(k, t, "recent_used_cpu", BigInt(cpu));
    w(k, t, "wake_cpu", BigInt(cpu));
    call("update_rq_clock", rq.addr);
    call("activate_task", rq.addr, p!, ENQUEUE_NOCLOCK);
    k.fire(tpWakeupNew, wakeupValues(t), [p!]);
    call("wakeup_preempt", rq.addr, p!, WF_FORK);
    return 0n;
  });

  // Picking: the next buddy a wakeup asked for, else the smallest vruntime (lowest pid on a tie).
  const pickFrom = (rq: RunQueue): Task | undefined => {
    if (rq.next && rq.tasks.includes(rq.next)) return rq.next;
    let best: Task | undefined;
    let bv = 0n;
    for (const t of rq.tasks) {
      const v = infoOf(k, t).vruntime;
      if (!best || v < bv || (v === bv && t.pid < best.pid)) [best, bv] = [t, v];
    }
    return best;
  };
  set("pick_next_task_fair", ([rqAddr, p]) => {
    const rq = rqAt(rqAddr!);
    const prev = task(p!);
    if (prev && !isIdle(prev) && infoOf(k, prev).onRq) call("update_curr", rq.cfs);
    let next = pickFrom(rq);
    if (!next) {
      // Nothing to run here: pull a task from a busier CPU first.
      call("sched_balance_newidle", rq.addr, 0n);
      next = pickFrom(rq);
    }
    rq.next = undefined;
    if (!next) return 0n;
    if (next !== prev) {
      if (prev && !isIdle(prev)) call("put_prev_task_fair", rq.addr, prev.taskAddress, next.taskAddress);
      call("set_next_task_fair", rq.addr, next.taskAddress, 1n);
    }
    return next.taskAddress;
  });
  set("put_prev_task_fair", ([rq, prev]) => {
    const se = prev! + fieldOff(k, "task_struct", "se");
    call("put_prev_entity", rqAt(rq!).cfs, se);
    return 0n;
  });
  set("put_prev_entity", () => 0n);
  set("set_next_task_fair", ([rqAddr, p]) => {
    const rq = rqAt(rqAddr!);
    call("set_next_entity", rq.cfs, p! + fieldOff(k, "task_struct", "se"));
    return 0n;
  });
  set("set_next_entity", ([cfs, se]) => {
    put(k, cfs!, "cfs_rq", "curr", se!);
    const t = task(se! - fieldOff(k, "task_struct", "se"));
    if (t) {
      const i = infoOf(k, t);
      i.execStart = k.clock.now();
      i.prevSum = i.sum;
      w(k, t, "se.exec_start", i.execStart);
      w(k, t, "se.prev_sum_exec_runtime", i.sum);
    }
    return 0n;
  });

  set("schedule", () => call("__schedule", SM_NONE));
  set("__schedule", ([mode]) => {
    adopt(k);
    const cpu = k.cpu;
    const rq = rqs[cpu]!;
    const prev = currentOf(k, cpu);
    const pi = infoOf(k, prev);
    const preempt = mode === SM_PREEMPT;
    call("update_rq_clock", rq.addr);
    const prevState = pi.state;
    if (!isIdle(prev)) {
      if (!preempt && prevState !== TASK_RUNNING && pi.onRq) call("deactivate_task", rq.addr, prev.taskAddress, DEQUEUE_SLEEP);
      // The flag is cleared whatever runs next.
      if (prev.taskAddress !== 0n) {
        const flags = r(k, prev, "thread_info.flags");
        if (flags & TIF_NEED_RESCHED) w(k, prev, "thread_info.flags", flags & ~TIF_NEED_RESCHED);
      }
    }
    const nextAddr = call("pick_next_task_fair", rq.addr, prev.taskAddress, 0n);
    const next = nextAddr === 0n ? k.tasks.idle[cpu]! : (task(nextAddr) ?? k.tasks.idle[cpu]!);
    if (next === prev) return 0n;
    put(k, rq.addr, "rq", "nr_switches", get(k, rq.addr, "rq", "nr_switches") + 1n);
    if (!isIdle(prev) && prev.taskAddress !== 0n) {
      const counter = preempt || prevState === TASK_RUNNING ? "nivcsw" : "nvcsw";
      w(k, prev, counter, r(k, prev, counter) + 1n);
    }
    const reported = preempt ? TASK_REPORT_MAX : prevState === TASK_DEAD ? EXIT_ZOMBIE : prevState & 0x7f;
    k.fire(
      tpSwitch,
      { prev_comm: prev.comm, prev_pid: BigInt(prev.pid), prev_prio: prio(prev), prev_state: BigInt(reported), next_comm: next.comm, next_pid: BigInt(next.pid), next_prio: prio(next) },
      [preempt ? 1n : 0n, prev.taskAddress, next.taskAddress, BigInt(prevState)],
    );
    const ni = infoOf(k, next);
    if (!isIdle(next) && next.taskAddress !== 0n) {
      const now = k.clock.now();
      const delay = now - ni.queuedAt;
      w(k, next, "sched_info.run_delay", r(k, next, "sched_info.run_delay") + (delay > 0n ? delay : 0n));
      w(k, next, "sched_info.pcount", r(k, next, "sched_info.pcount") + 1n);
      w(k, next, "sched_info.last_arrival", now);
    }
    call("context_switch", rq.addr, prev.taskAddress, next.taskAddress, 0n);
    return 0n;
  });
  set("context_switch", ([rqAddr, p, n]) => {
    const rq = rqAt(rqAddr!);
    const prev = task(p!);
    const next = task(n!);
    if (!prev || !next) return rqAddr!;
    const mm = next.taskAddress === 0n ? 0n : r(k, next, "mm");
    // A kernel thread borrows the previous task's mm (active_mm); a user task switches to its own.
    if (mm !== 0n) call("switch_mm_irqs_off", prev.taskAddress === 0n ? 0n : r(k, prev, "active_mm"), mm, n!);
    else if (next.taskAddress !== 0n && prev.taskAddress !== 0n) w(k, next, "active_mm", r(k, prev, "active_mm"));
    call("__switch_to", p!, n!);
    put(k, rq.addr, "rq", "curr", n!);
    return call("finish_task_switch", p!);
  });
  set("switch_mm_irqs_off", () => 0n);
  set("__switch_to", ([p, n]) => {
    const prev = task(p!);
    const next = task(n!);
    if (!next) return p!;
    if (prev && prev.taskAddress !== 0n) w(k, prev, "on_cpu", 0n);
    k.tasks.switchTo(k.cpu, next);
    w(k, next, "on_cpu", 1n);
    w(k, next, "thread_info.cpu", BigInt(k.cpu));
    return p!;
  });
  // finish_task_switch: the process paths drop a dead task's reference (process.ts sets its implementation).
  set("finish_task_switch", () => rqs[k.cpu]!.addr);

  // The tick: account the running task; past its slice with others waiting, it is to be preempted.
  set("sched_tick", () => {
    adopt(k);
    const rq = rqs[k.cpu]!;
    call("update_rq_clock", rq.addr);
    const curr = currentOf(k, rq.cpu);
    if (!isIdle(curr)) call("task_tick_fair", rq.addr, curr.taskAddress, 0n);
    call("sched_balance_trigger", rq.addr);
    return 0n;
  });
  set("task_tick_fair", ([rqAddr, p]) => {
    const rq = rqAt(rqAddr!);
    call("update_curr", rq.cfs);
    const t = task(p!);
    if (t) {
      const i = infoOf(k, t);
      if (i.sum - i.prevSum >= slice && rq.tasks.length > 1) call("resched_curr", rq.addr);
    }
    return 0n;
  });
  /** jiffies of each CPU's next periodic balance (rq.next_balance). */
  set("sched_balance_trigger", ([rqAddr]) => {
    const next = k.memory.readField(rqAddr!, "rq", "next_balance");
    const now = k.jiffies();
    if (now >= next) setField(k, rqAddr!, "rq", "next_balance", now + 4n);
    return 0n;
  });

  // Load balancing: pull one queued (not running) task from the busiest CPU.
  set("sched_balance_domains", ([rqAddr, idle]) => {
    const rq = rqAt(rqAddr!);
    const cont = k.memory.kmalloc(4, true);
    setField(k, rqAddr!, "rq", "next_balance", k.jiffies() + 4n);
    call("sched_balance_rq", BigInt(rq.cpu), rq.addr, 0n, idle!, cont);
    k.memory.free(cont);
    return 0n;
  });
  set("sched_balance_newidle", ([rqAddr]) => {
    const rq = rqAt(rqAddr!);
    if (ncpus < 2) return 0n;
    const cont = k.memory.kmalloc(4, true);
    const moved = call("sched_balance_rq", BigInt(rq.cpu), rq.addr, 0n, 2n /* CPU_NEWLY_IDLE */, cont);
    k.memory.free(cont);
    return moved;
  });
  const movable = (rq: RunQueue) => rq.tasks.filter((t) => t !== currentOf(k, rq.cpu) && !t.kthread);
  set("sched_balance_rq", ([thisCpu, thisRq, sd, idle]) => {
    const env = alloc(k, "lb_env");
    setField(k, env, "lb_env", "sd", sd!);
    setField(k, env, "lb_env", "dst_cpu", thisCpu!);
    setField(k, env, "lb_env", "dst_rq", thisRq!);
    setField(k, env, "lb_env", "idle", idle!);
    setField(k, env, "lb_env", "loop_max", 32n);
    const tasks = env + fieldOff(k, "lb_env", "tasks");
    setField(k, tasks, "list_head", "next", tasks);
    setField(k, tasks, "list_head", "prev", tasks);
    let moved = 0n;
    const group = call("sched_balance_find_src_group", env);
    if (group !== 0n) {
      const src = call("sched_balance_find_src_rq", env, group);
      if (src !== 0n) {
        setField(k, env, "lb_env", "src_rq", src);
        setField(k, env, "lb_env", "src_cpu", BigInt(rqAt(src).cpu));
        setField(k, env, "lb_env", "imbalance", 1n);
        moved = call("detach_tasks", env);
        if (moved > 0n) call("attach_tasks", env);
      }
    }
    k.memory.free(env);
    return moved;
  });
  /** The task detach_tasks took, until attach_tasks queues it (by lb_env). */
  const detached = new Map<bigint, Task>();
  const busiest = (dst: RunQueue): RunQueue | undefined => {
    let b: RunQueue | undefined;
    for (const rq of rqs) if (rq !== dst && movable(rq).length && (!b || rq.tasks.length > b.tasks.length)) b = rq;
    if (!b) return undefined;
    // Fewer tasks there than here: balanced. As many: the load averages differ now and then (a third of the time).
    if (b.tasks.length < dst.tasks.length || (b.tasks.length === dst.tasks.length + 1 && dst.tasks.length > 0) || (b.tasks.length === dst.tasks.length && !k.rng.chance(0.3))) return undefined;
    return b;
  };
  set("sched_balance_find_src_group", ([env]) => {
    const dst = rqs[Number(k.memory.readField(env!, "lb_env", "dst_cpu"))]!;
    const b = busiest(dst);
    return b ? b.group : 0n;
  });
  set("sched_balance_find_src_rq", ([env, group]) => {
    const b = rqs.find((r) => r.group === group);
    void env;
    return b ? b.addr : 0n;
  });
  set("detach_tasks", ([env]) => {
    const src = rqAt(k.memory.readField(env!, "lb_env", "src_rq"));
    const dstCpu = k.memory.readField(env!, "lb_env", "dst_cpu");
    const cands = movable(src);
    if (!cands.length) return 0n;
    // The task that waited longest: the head of the list the balancer walks from the tail.
    const t = cands[0]!;
    call("deactivate_task", src.addr, t.taskAddress, 0x02n /* DEQUEUE_SAVE */ | ENQUEUE_NOCLOCK);
    call("set_task_cpu", t.taskAddress, dstCpu);
    detached.set(env!, t);
    setField(k, env!, "lb_env", "loop", 1n);
    return 1n;
  });
  set("attach_tasks", ([env]) => {
    const t = detached.get(env!);
    detached.delete(env!);
    if (!t) return 0n;
    const dst = rqs[t.cpu]!;
    call("activate_task", dst.addr, t.taskAddress, ENQUEUE_NOCLOCK);
    call("wakeup_preempt", dst.addr, t.taskAddress, 0n);
    return 0n;
  });

  // sched_yield: the caller goes to the back (its vruntime past every other queued task's).
  set("do_sched_yield", () => {
    const rq = rqs[k.cpu]!;
    call("yield_task_fair", rq.addr);
    const me = k.current();
    call("schedule");
    resume(k, me, 20_000n + BigInt(k.rng.int(0, 30_000)));
    return 0n;
  });
  set("yield_task_fair", ([rqAddr]) => {
    const rq = rqAt(rqAddr!);
    const curr = currentOf(k, rq.cpu);
    if (isIdle(curr) || rq.tasks.length < 2) return 0n;
    call("update_curr", rq.cfs);
    const i = infoOf(k, curr);
    let max = i.vruntime;
    for (const t of rq.tasks) if (infoOf(k, t).vruntime > max) max = infoOf(k, t).vruntime;
    i.vruntime = max + 1n;
    w(k, curr, "se.vruntime", i.vruntime);
    return 0n;
  });
  defineSyscall(k, "sched_yield", () => call("do_sched_yield"));

  // nanosleep: sleep on an hrtimer; its expiry (hrtimer_wakeup) or a signal wakes the sleeper.
  const hrtimerSize = (() => {
    try {
      return k.memory.objects.field("hrtimer", "function").byteOffset + 32;
    } catch {
      return 64;
    }
  })();
  const sleepers = new Map<bigint, Task>();
  set("hrtimer_nanosleep", ([rqtp, mode, clockid]) => {
    const sleeper = k.memory.kmalloc(hrtimerSize + 8, true);
    const me = k.current();
    writeU64(k, sleeper + BigInt(hrtimerSize), me.taskAddress);
    sleepers.set(sleeper, me);
    sleepNs.set(sleeper, rqtp!);
    const r = call("do_nanosleep", sleeper, mode!);
    sleepers.delete(sleeper);
    sleepNs.delete(sleeper);
    k.memory.free(sleeper);
    void clockid;
    return r;
  });
  const sleepNs = new Map<bigint, bigint>();
  set("do_nanosleep", ([t]) => {
    const me = sleepers.get(t!) ?? k.current();
    const i = infoOf(k, me);
    i.state = TASK_INTERRUPTIBLE;
    i.signalled = false;
    w(k, me, "__state", BigInt(TASK_INTERRUPTIBLE));
    call("schedule");
    // Asleep: whatever happens meanwhile (another task may signal it), then the timer fires.
    const during = s.whileAsleep.get(me.pid);
    if (during) {
      s.whileAsleep.delete(me.pid);
      during();
    }
    if (i.state !== TASK_RUNNING && !me.exited) {
      k.clock.advance(sleepNs.get(t!) ?? 50_000n);
      const cpu = k.cpu;
      k.cpu = me.cpu;
      call("hrtimer_wakeup", t!);
      k.cpu = cpu;
    }
    resume(k, me, 0n);
    if (i.signalled) {
      i.signalled = false;
      return err(ERESTART_RESTARTBLOCK);
    }
    return 0n;
  });
  set("hrtimer_wakeup", ([t]) => {
    const me = sleepers.get(t!);
    if (me) call("wake_up_process", me.taskAddress);
    return 0n; // HRTIMER_NORESTART
  });
  defineSyscall(k, "nanosleep", ([req]) => {
    const me = k.current();
    const ts = new Uint8Array(16);
    if (k.memory.readUser(me.tgid, ts, req!) !== 0) return err(EFAULT);
    const dv = new DataView(ts.buffer);
    const sec = dv.getBigInt64(0, true);
    const nsec = dv.getBigInt64(8, true);
    if (sec < 0n || nsec < 0n || nsec >= 1_000_000_000n) return err(EINVAL);
    const r = call("hrtimer_nanosleep", sec * 1_000_000_000n + nsec, 1n /* HRTIMER_MODE_REL */, 1n /* CLOCK_MONOTONIC */);
    // -ERESTART_RESTARTBLOCK becomes -EINTR for the caller once the signal is handled.
    return r === err(ERESTART_RESTARTBLOCK) ? err(4n) : r;
  });

  // sched_setscheduler(2): SCHED_NORMAL, SCHED_BATCH and SCHED_IDLE (priority 0); the real-time policies need CAP_SYS_NICE.
  set("do_sched_setscheduler", ([pid, policy, param]) => {
    if (BigInt.asIntN(32, pid!) < 0n || BigInt.asIntN(32, policy!) < 0n) return err(EINVAL);
    const me = k.current();
    const buf = new Uint8Array(4);
    if (param === 0n || k.memory.readUser(me.tgid, buf, param!) !== 0) return err(EFAULT);
    const target = pid === 0n ? me : k.tasks.get(Number(pid));
    if (!target || target.exited) return err(ESRCH);
    const kparam = k.memory.kmalloc(4, true);
    k.memory.writeKernel(kparam, buf);
    const r = call("sched_setscheduler", target.taskAddress, policy!, kparam);
    k.memory.free(kparam);
    return r;
  });
  set("sched_setscheduler", ([p, policy, param]) => {
    const attr = alloc(k, "sched_attr");
    setField(k, attr, "sched_attr", "size", 56n);
    setField(k, attr, "sched_attr", "sched_policy", policy!);
    const rt = new Uint8Array(4);
    k.memory.readKernel(rt, param!);
    setField(k, attr, "sched_attr", "sched_priority", BigInt(new DataView(rt.buffer).getInt32(0, true)));
    const r = call("__sched_setscheduler", p!, attr, 1n, 1n);
    k.memory.free(attr);
    return r;
  });
  set("__sched_setscheduler", ([p, attr, user]) => {
    const t = task(p!);
    if (!t) return err(ESRCH);
    const policy = Number(k.memory.readField(attr!, "sched_attr", "sched_policy"));
    const rtPrio = Number(k.memory.readField(attr!, "sched_attr", "sched_priority"));
    if (![SCHED_NORMAL, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE].includes(policy)) return err(EINVAL);
    const rt = policy === SCHED_FIFO || policy === SCHED_RR;
    if (rt ? rtPrio < 1 || rtPrio > 99 : rtPrio !== 0) return err(EINVAL);
    // The model's real-time class is not modelled: as for a task without CAP_SYS_NICE and no RLIMIT_RTPRIO.
    if (rt && user === 1n) return err(EPERM);
    const i = infoOf(k, t);
    i.policy = policy;
    w(k, t, "policy", BigInt(policy));
    w(k, t, "se.load.weight", policy === SCHED_IDLE ? 3n << 10n : NICE_0_LOAD);
    return 0n;
  });
  defineSyscall(k, "sched_setscheduler", ([pid, policy, param]) => call("do_sched_setscheduler", pid!, policy!, param!));
}

function writeU64(k: Kernel, addr: bigint, v: bigint): void {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  k.memory.writeKernel(addr, b);
}

/**
 * `t` (woken, or still runnable after a yield) runs again: after `ranNs` of
 * the others' time, its CPU preempts whatever runs there to switch back to it.
 */
export function resume(k: Kernel, t: Task, ranNs: bigint): void {
  if (t.exited) return;
  if (ranNs > 0n) k.clock.advance(ranNs);
  const s = schedState(k);
  const i = infoOf(k, t);
  if (i.state !== TASK_RUNNING) return;
  k.cpu = t.cpu;
  if (currentOf(k, t.cpu) === t) return;
  const rq = s.rqs[t.cpu]!;
  if (!i.onRq) k.callByName("activate_task", [rq.addr, t.taskAddress, ENQUEUE_NOCLOCK]);
  rq.next = t;
  k.callByName("__schedule", [SM_PREEMPT]);
}

/** Makes `t` (runnable) the current task of its CPU, preempting the running one; k.cpu becomes its CPU. */
export function runNow(k: Kernel, t: Task): void {
  resume(k, t, 0n);
}

/** Of the sched workload's steps (a draw 0-99), those below this are a process lifecycle (process.ts's processStep). */
export const PROCESS_STEPS = 35;

/**
 * The sched workload's step other than a process lifecycle, by the step's
 * draw `r` (PROCESS_STEPS..99): the running task's tick and preemption, a
 * load balance, a short sleep, a yield, or a scheduling-policy change.
 */
export function schedStep(k: Kernel, r: number): void {
  const s = schedState(k);
  const cur = k.current();
  if (r < 65) {
    // The tick finds the running task past its slice (or a task waiting long enough): it is preempted.
    k.callByName("sched_tick", []);
    const rq = s.rqs[k.cpu]!;
    if (isIdle(cur) || rq.tasks.length > 1) {
      if (!isIdle(cur)) {
        // The time it ran since it was last accounted counts as past its slice.
        infoOf(k, cur).prevSum -= baseSlice(k.tasks.cpus.length);
        k.callByName("resched_curr", [rq.addr]);
      }
      k.callByName("__schedule", [SM_PREEMPT]);
    }
    return;
  }
  if (r < 75) {
    k.callByName("sched_balance_domains", [s.rqs[k.cpu]!.addr, BigInt(isIdle(cur) ? 1 : 0)]);
    return;
  }
  if (isIdle(cur) || cur.kthread) {
    k.callByName("schedule", []);
    return;
  }
  const user = k.memory.userSpace(cur.tgid);
  if (r < 88) {
    // A daemon's short sleep (a poll timeout): 20-200 us.
    const ts = new Uint8Array(16);
    new DataView(ts.buffer).setBigInt64(8, BigInt(k.rng.int(20, 200) * 1000), true);
    const req = user.heapAlloc(16, ts);
    syscall(k, "nanosleep", [req, 0n]);
    user.heapFree(req);
    return;
  }
  if (r < 96) {
    syscall(k, "sched_yield", []);
    return;
  }
  // A daemon switches itself between SCHED_NORMAL and SCHED_BATCH.
  const param = user.heapAlloc(4, new Uint8Array(4));
  const policy = infoOf(k, cur).policy === SCHED_BATCH ? SCHED_NORMAL : SCHED_BATCH;
  setschedulerSyscall(k, 0n, BigInt(policy), param);
  user.heapFree(param);
}

/** sched_setscheduler(2) from the current task, through the syscall entry. */
export function setschedulerSyscall(k: Kernel, pid: bigint, policy: bigint, param: bigint): bigint {
  return syscall(k, "sched_setscheduler", [pid, policy, param]);
}
