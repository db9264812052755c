// Interrupts and deferred work, which run between the workloads' steps
// (interruptStep) on each CPU as Linux 6.12 runs them:
// - the local APIC timer tick per CPU at HZ_TICK: sysvec_apic_timer_interrupt
//   -> hrtimer_interrupt -> __hrtimer_run_queues -> __run_hrtimer ->
//   tick_nohz_handler -> tick_sched_do_timer (jiffies, wall time on CPU 0)
//   and tick_sched_handle -> update_process_times (account_process_tick,
//   run_local_timers, sched_tick, RCU and load-balance softirqs);
// - device interrupts: common_interrupt -> handle_edge_irq ->
//   handle_irq_event -> __handle_irq_event_percpu -> vring_interrupt with
//   irq_handler_entry/exit, for virtio-net's receive queue
//   ("virtio0-input.0": skb_recv_done schedules NAPI, NET_RX softirq) and
//   virtio-blk's request queue ("virtio2-req.0": virtblk_done completes the
//   requests the device finished, paths/block.ts's completeDueRequests);
// - softirqs on irq exit (irq_exit_rcu -> __irq_exit_rcu -> handle_softirqs),
//   from local_bh_enable (do_softirq) and in ksoftirqd (run_ksoftirqd), with
//   softirq_raise/entry/exit: TIMER (run_timer_softirq -> __run_timers ->
//   call_timer_fn), NET_RX (net_rx_action), RCU (rcu_core_si), SCHED
//   (sched_balance_softirq);
// - timers (add_timer/mod_timer/timer_delete, timer_start/expire/cancel),
//   hrtimers (hrtimer_init/start/cancel, hrtimer_expire_entry/exit);
// - workqueues: queue_work_on -> __queue_work -> insert_work -> kick_pool,
//   delayed work (queue_delayed_work_on -> __queue_delayed_work -> a timer
//   whose delayed_work_timer_fn queues it), and the CPU's kworker running
//   worker_thread -> process_one_work (vmstat_update every second, the
//   percpu allocator's balance work, the TSC calibration at boot);
// - printk (_printk -> vprintk -> vprintk_default -> vprintk_emit ->
//   console_unlock, printk:console).
// installIrqPaths also installs the allocation (alloc.ts) and locking
// (locking.ts) paths. interruptStep costs a few comparisons when nothing is due.
import { HZ, type Kernel } from "../kernel.js";
import type { Task } from "../tasks.js";
import type { TracepointDef } from "../tracepoints.js";
import type { World } from "./world.js";
import { alloc, setField, setString } from "./fields.js";
import { allocState, installAllocPaths } from "./alloc.js";
import { installLockingPaths, spinLock, spinUnlock } from "./locking.js";
import { completeDueRequests, nextCompletionNs } from "./block.js";
import { pathFunctions } from "./bind.js";

/** The tick rate (CONFIG_HZ=250 of x86 distribution kernels, kernel.ts's HZ): one tick per CPU every 4 ms. */
export const HZ_TICK = Number(HZ);
export const TICK_NSEC = 1_000_000_000n / HZ;
/** Ticks a late CPU catches up at most; past that it skips ahead (as NO_HZ's tick_do_update_jiffies64 does). */
const MAX_CATCH_UP = 64;
/** Softirq numbers (include/linux/interrupt.h). */
export const HI_SOFTIRQ = 0;
export const TIMER_SOFTIRQ = 1;
export const NET_RX_SOFTIRQ = 3;
export const BLOCK_SOFTIRQ = 4;
export const SCHED_SOFTIRQ = 7;
export const RCU_SOFTIRQ = 9;
const SOFTIRQ_HANDLERS: (string | undefined)[] = [undefined, "run_timer_softirq", undefined, "net_rx_action", undefined, undefined, undefined, "sched_balance_softirq", undefined, "rcu_core_si"];
/** MAX_SOFTIRQ_RESTART: handle_softirqs loops this often before leaving the rest to ksoftirqd. */
const MAX_SOFTIRQ_RESTART = 10;
/** LOCAL_TIMER_VECTOR (0xec) and the device vectors the virtio MSI-X interrupts got. */
const LOCAL_TIMER_VECTOR = 0xecn;
/** IRQ_HANDLED. */
const IRQ_HANDLED = 1n;
/** HRTIMER_RESTART, CLOCK_MONOTONIC. */
const HRTIMER_RESTART = 1n;
const CLOCK_MONOTONIC = 1n;
/** TIMER_PINNED | TIMER_IRQSAFE are not used; a timer's flags hold its CPU (TIMER_CPUMASK). */
const TIMER_DEFERRABLE = 0x00080000n;
/** WORK_STRUCT_PENDING and the work's pwq bit (WORK_STRUCT_PWQ) in work_struct.data. */
const WORK_STRUCT_PENDING = 1n;
const WORK_STRUCT_PWQ = 4n;
/** Jiffies per second: timers expire in these units. */
const JIFFIES_PER_SEC = HZ;
/** vmstat_update's interval (sysctl_stat_interval = HZ: one second) and the TSC refinement's delay (1.1 s after the model starts). */
const VMSTAT_INTERVAL = JIFFIES_PER_SEC;
const TSC_REFINE_DELAY = JIFFIES_PER_SEC + JIFFIES_PER_SEC / 10n;
/** WATCHDOG_INTERVAL (HZ >> 1): the clocksource watchdog's period. */
const WATCHDOG_INTERVAL = JIFFIES_PER_SEC / 2n;
/** Device interrupts until the CRNG is seeded (crng init done). */
const CRNG_INIT_IRQS = 16;
/** virtio-net receive interrupts: one every 200 us .. 2 ms (a lightly loaded link). */
const RX_IRQ_MIN_NS = 200_000;
const RX_IRQ_MAX_NS = 2_000_000;

interface Timer {
  addr: bigint;
  fn: string;
  expires: bigint;
  cpu: number;
}

interface CpuIrq {
  nextTick: bigint;
  ticks: number;
  /** Pending softirqs (bit per vec). */
  pending: number;
  /** Interrupt nesting: > 0 in hard IRQ or softirq handling. */
  inIrq: number;
  inSoftirq: boolean;
  tickSched: bigint;
  sched_timer: bigint;
  cpuBase: bigint;
  clockBase: bigint;
  clockDev: bigint;
  timerBase: bigint;
  /** Timers armed on this CPU, soonest first is not kept: the list is short. */
  timers: Timer[];
  /** Work queued on this CPU's pool and not run yet. */
  worklist: bigint[];
  pool: bigint;
  pwq: bigint;
  pwqEvents: bigint;
  worker: bigint;
  kworker: Task | undefined;
  ksoftirqd: Task | undefined;
  /** ksoftirqd was woken (softirqs left for it). */
  ksoftirqdWoken: boolean;
  vmstatWork: bigint;
  armed: boolean;
  /** The ktime_t __hrtimer_run_queues passes by pointer (made on first use). */
  nowSlot: bigint;
}

export interface IrqState {
  readonly actionNames: Map<bigint, string>;
  readonly cpus: CpuIrq[];
  /** Simulated time of the next virtio-net receive interrupt. */
  nextRx: bigint;
  /** The two virtio devices' irq_desc and irqaction. */
  readonly net: { desc: bigint; action: bigint; irq: number; vector: bigint; vq: bigint };
  readonly blk: { desc: bigint; action: bigint; irq: number; vector: bigint; vq: bigint };
  readonly mmPercpuWq: bigint;
  readonly systemWq: bigint;
  readonly jiffiesLock: bigint;
  readonly rcuNodeLock: bigint;
  /** Work item -> function name (its work_func_t), for process_one_work. */
  readonly workFn: Map<bigint, string>;
  /** Messages printk wrote (the kernel log), bounded. */
  readonly log: string[];
  tscRefined: boolean;
  tscWork: bigint;
  /** The clocksource watchdog's timer (armed at boot on CPU 0). */
  watchdog: bigint;
  /** The exception/IRQ entry's saved registers (one frame, reused). */
  regs: bigint;
  /** The per-CPU kernel threads were started (the first interruptStep). */
  started: boolean;
}

const states = new WeakMap<Kernel, IrqState>();

/** The interrupt state of `k` (made by installIrqPaths). */
export function irqState(k: Kernel): IrqState {
  const s = states.get(k);
  if (!s) throw new RangeError("irq paths not installed on this kernel");
  return s;
}

/** Pending softirqs of a CPU as a bit mask (local_softirq_pending). */
export function softirqPending(k: Kernel, cpu = k.cpu): number {
  return states.get(k)?.cpus[cpu]?.pending ?? 0;
}

/** A kmalloc'd C string (an irqaction's name, a printk format). */
function cString(k: Kernel, s: string): bigint {
  const bytes = new TextEncoder().encode(s + "\0");
  const p = k.memory.kmalloc(bytes.length);
  k.memory.writeKernel(p, bytes);
  return p;
}

export function installIrqPaths(k: Kernel, w: World): void {
  installAllocPaths(k);
  installLockingPaths(k);
  const { set, call } = pathFunctions(k);
  const has = (name: string) => k.functions.named(name).length > 0;
  const fnAddr = (name: string) => k.functions.named(name)[0]?.address ?? 0n;
  const tp = (cat: string, name: string): TracepointDef => k.tracepoints.get(cat, name)!;
  const T = {
    handlerEntry: tp("irq", "irq_handler_entry"),
    handlerExit: tp("irq", "irq_handler_exit"),
    softirqEntry: tp("irq", "softirq_entry"),
    softirqExit: tp("irq", "softirq_exit"),
    softirqRaise: tp("irq", "softirq_raise"),
    localTimerEntry: tp("irq_vectors", "local_timer_entry"),
    localTimerExit: tp("irq_vectors", "local_timer_exit"),
    timerInit: tp("timer", "timer_init"),
    timerStart: tp("timer", "timer_start"),
    timerExpireEntry: tp("timer", "timer_expire_entry"),
    timerExpireExit: tp("timer", "timer_expire_exit"),
    timerCancel: tp("timer", "timer_cancel"),
    hrInit: tp("timer", "hrtimer_init"),
    hrStart: tp("timer", "hrtimer_start"),
    hrExpireEntry: tp("timer", "hrtimer_expire_entry"),
    hrExpireExit: tp("timer", "hrtimer_expire_exit"),
    hrCancel: tp("timer", "hrtimer_cancel"),
    queueWork: tp("workqueue", "workqueue_queue_work"),
    activateWork: tp("workqueue", "workqueue_activate_work"),
    executeStart: tp("workqueue", "workqueue_execute_start"),
    executeEnd: tp("workqueue", "workqueue_execute_end"),
    console: tp("printk", "console"),
  };

  // ---- objects: per-CPU tick, hrtimer and timer bases; the virtio interrupts; the workqueues ----
  const wq = (name: string): bigint => {
    const q = alloc(k, "workqueue_struct");
    setString(k, q, "workqueue_struct", "name", name);
    setField(k, q, "workqueue_struct", "max_active", 256n);
    return q;
  };
  const mmPercpuWq = wq("mm_percpu_wq");
  const systemWq = wq("events");
  const cpus: CpuIrq[] = k.tasks.cpus.map((c) => {
    const tickSched = alloc(k, "tick_sched");
    const sched_timer = tickSched + BigInt(k.memory.objects.field("tick_sched", "sched_timer").byteOffset);
    const cpuBase = alloc(k, "hrtimer_cpu_base");
    setField(k, cpuBase, "hrtimer_cpu_base", "cpu", BigInt(c.id));
    setField(k, cpuBase, "hrtimer_cpu_base", "active_bases", 1n);
    setField(k, cpuBase, "hrtimer_cpu_base", "hres_active", 1n);
    setField(k, cpuBase, "hrtimer_cpu_base", "online", 1n);
    const clockBase = alloc(k, "hrtimer_clock_base");
    setField(k, clockBase, "hrtimer_clock_base", "cpu_base", cpuBase);
    setField(k, clockBase, "hrtimer_clock_base", "clockid", CLOCK_MONOTONIC);
    setField(k, sched_timer, "hrtimer", "function", fnAddr("tick_nohz_handler"));
    setField(k, sched_timer, "hrtimer", "base", clockBase);
    setField(k, sched_timer, "hrtimer", "is_hard", 1n);
    const clockDev = alloc(k, "clock_event_device");
    setField(k, clockDev, "clock_event_device", "event_handler", fnAddr("hrtimer_interrupt"));
    const timerBase = alloc(k, "timer_base");
    setField(k, timerBase, "timer_base", "cpu", BigInt(c.id));
    const pool = alloc(k, "worker_pool");
    setField(k, pool, "worker_pool", "cpu", BigInt(c.id));
    setField(k, pool, "worker_pool", "id", BigInt(c.id * 2));
    setField(k, pool, "worker_pool", "nr_workers", 1n);
    const pwqOf = (q: bigint) => {
      const p = alloc(k, "pool_workqueue");
      setField(k, p, "pool_workqueue", "pool", pool);
      setField(k, p, "pool_workqueue", "wq", q);
      setField(k, p, "pool_workqueue", "refcnt", 1n);
      return p;
    };
    const worker = alloc(k, "worker");
    setField(k, worker, "worker", "pool", pool);
    setField(k, worker, "worker", "id", 1n);
    const vmstatWork = alloc(k, "delayed_work");
    setField(k, vmstatWork, "delayed_work", "work.func", fnAddr("vmstat_update"));
    setField(k, vmstatWork, "delayed_work", "timer.function", fnAddr("delayed_work_timer_fn"));
    setField(k, vmstatWork, "delayed_work", "wq", mmPercpuWq);
    setField(k, vmstatWork, "delayed_work", "cpu", BigInt(c.id));
    return {
      nextTick: -1n,
      ticks: 0,
      pending: 0,
      inIrq: 0,
      inSoftirq: false,
      tickSched,
      sched_timer,
      cpuBase,
      clockBase,
      clockDev,
      timerBase,
      timers: [],
      worklist: [],
      pool,
      pwq: pwqOf(mmPercpuWq),
      pwqEvents: pwqOf(systemWq),
      worker,
      kworker: undefined,
      ksoftirqd: undefined,
      ksoftirqdWoken: false,
      vmstatWork,
      armed: false,
      nowSlot: 0n,
    };
  });
  const device = (name: string, irq: number, vector: number, handler: string) => {
    const action = alloc(k, "irqaction");
    actionNames.set(action, name);
    const vq = k.memory.kmalloc(64, true);
    setField(k, action, "irqaction", "handler", fnAddr(handler));
    setField(k, action, "irqaction", "dev_id", vq);
    setField(k, action, "irqaction", "irq", BigInt(irq));
    setField(k, action, "irqaction", "name", cString(k, name));
    const desc = alloc(k, "irq_desc");
    setField(k, desc, "irq_desc", "irq_data.irq", BigInt(irq));
    setField(k, desc, "irq_desc", "irq_data.hwirq", BigInt(irq));
    setField(k, desc, "irq_desc", "handle_irq", fnAddr("handle_edge_irq"));
    setField(k, desc, "irq_desc", "action", action);
    return { desc, action, irq, vector: BigInt(vector), vq };
  };
  /** Each irqaction's name (irq_handler_entry's name field: the string action->name points to). */
  const actionNames = new Map<bigint, string>();
  const st: IrqState = {
    actionNames,
    cpus,
    nextRx: -1n,
    net: device("virtio0-input.0", 25, 0x22, "vring_interrupt"),
    blk: device("virtio2-req.0", 30, 0x23, "vring_interrupt"),
    mmPercpuWq,
    systemWq,
    jiffiesLock: k.memory.kmalloc(8, true),
    rcuNodeLock: k.memory.kmalloc(8, true),
    workFn: new Map(),
    log: [],
    tscRefined: false,
    tscWork: 0n,
    watchdog: 0n,
    started: false,
    regs: alloc(k, "pt_regs"),
  };
  states.set(k, st);
  for (const c of cpus) st.workFn.set(c.vmstatWork, "vmstat_update");
  const cpuOf = () => cpus[k.cpu]!;
  const curCtx = () => k.tasks.cpus[k.cpu]!;

  // Offsets of the fields the tick writes on every interrupt (typed stores instead of by-name field writes).
  const mem = k.memory.kernel;
  const off = (type: string, path: string) => BigInt(k.memory.objects.field(type, path).byteOffset);
  const OFF = {
    nrEvents: off("hrtimer_cpu_base", "nr_events"),
    expiresNext: off("hrtimer_cpu_base", "expires_next"),
    running: off("hrtimer_clock_base", "running"),
    hrFunction: off("hrtimer", "function"),
    hrExpires: off("hrtimer", "node.expires"),
    hrSoftexpires: off("hrtimer", "_softexpires"),
    lastTick: off("tick_sched", "last_tick"),
    lastTickJiffies: off("tick_sched", "last_tick_jiffies"),
  };
  const tickHandler = fnAddr("tick_nohz_handler");
  const hasSchedTick = has("sched_tick");
  /** The softirq handlers the kernel has, by vector. */
  const handlers = SOFTIRQ_HANDLERS.map((h) => (h !== undefined && has(h) ? h : undefined));

  // ---- softirqs ----
  set("__raise_softirq_irqoff", ([nr]) => {
    k.fire(T.softirqRaise, { vec: nr! }, [nr!]);
    cpuOf().pending |= 1 << Number(nr);
    return 0n;
  });
  // Raised outside interrupt context, the softirq is left to ksoftirqd.
  set("raise_softirq_irqoff", ([nr]) => {
    call("__raise_softirq_irqoff", nr!);
    const c = cpuOf();
    if (c.inIrq === 0 && !c.inSoftirq) c.ksoftirqdWoken = true;
    return 0n;
  });
  set("raise_softirq", ([nr]) => call("raise_softirq_irqoff", nr!));
  set("irq_enter_rcu", () => {
    cpuOf().inIrq++;
    return 0n;
  });
  set("irq_exit_rcu", () => call("__irq_exit_rcu"));
  // invoke_softirq: on the way out of the last interrupt level, pending softirqs run now (not from ksoftirqd).
  set("__irq_exit_rcu", () => {
    const c = cpuOf();
    c.inIrq--;
    if (c.inIrq === 0 && !c.inSoftirq && c.pending !== 0) call("handle_softirqs", 0n);
    return 0n;
  });
  set("handle_softirqs", ([ksirqd]) => {
    const c = cpuOf();
    const cpu = curCtx();
    const prevCtx = cpu.context;
    c.inSoftirq = true;
    cpu.context = "softirq";
    try {
      for (let restart = 0; c.pending !== 0; restart++) {
        if (restart === MAX_SOFTIRQ_RESTART) {
          // Still pending after MAX_SOFTIRQ_RESTART rounds: wakeup_softirqd.
          if (ksirqd === 0n) c.ksoftirqdWoken = true;
          break;
        }
        let pending = c.pending;
        c.pending = 0;
        for (let vec = 0; pending !== 0; vec++, pending >>= 1) {
          if ((pending & 1) === 0) continue;
          const v = BigInt(vec);
          k.fire(T.softirqEntry, { vec: v }, [v]);
          const h = handlers[vec];
          if (h !== undefined) call(h);
          k.fire(T.softirqExit, { vec: v }, [v]);
        }
      }
    } finally {
      c.inSoftirq = false;
      cpu.context = prevCtx;
    }
    return 0n;
  });
  set("ksoftirqd_should_run", ([cpu]) => (cpus[Number(cpu)]!.pending !== 0 ? 1n : 0n));
  set("run_ksoftirqd", ([cpu]) => {
    if (cpus[Number(cpu)]!.pending !== 0) call("handle_softirqs", 1n);
    return 0n;
  });
  set("rcu_core_si", () => call("rcu_core"));
  // The grace-period bookkeeping under the (one, on this small machine) rcu_node's lock.
  set("rcu_core", () => {
    const flags = spinLock(k, st.rcuNodeLock, "irqsave");
    spinUnlock(k, st.rcuNodeLock, "irqsave", flags);
    return 0n;
  });
  set("sched_balance_softirq", () => 0n);

  // ---- the tick ----
  set("sysvec_apic_timer_interrupt", ([regs]) => {
    const v = LOCAL_TIMER_VECTOR;
    call("irq_enter_rcu");
    k.fire(T.localTimerEntry, { vector: v }, [v]);
    call("hrtimer_interrupt", cpuOf().clockDev);
    k.fire(T.localTimerExit, { vector: v }, [v]);
    call("irq_exit_rcu");
    void regs;
    return 0n;
  });
  set("hrtimer_interrupt", () => {
    const c = cpuOf();
    const lock = c.cpuBase; // hrtimer_cpu_base.lock is its first member
    const flags = spinLock(k, lock, "irqsave");
    mem.storeU32(c.cpuBase + OFF.nrEvents, (mem.loadU32(c.cpuBase + OFF.nrEvents) + 1) >>> 0);
    call("__hrtimer_run_queues", c.cpuBase, k.clock.now(), flags, 1n);
    mem.storeU64(c.cpuBase + OFF.expiresNext, c.nextTick + TICK_NSEC);
    spinUnlock(k, lock, "irqsave", flags);
    return 0n;
  });
  set("__hrtimer_run_queues", ([cpuBase, now, flags]) => {
    const c = cpuOf();
    // The expiry time is a ktime_t on the interrupted stack: one slot per CPU here.
    const nowp = (c.nowSlot ||= k.memory.kmalloc(8, true));
    mem.storeU64(nowp, now!);
    call("__run_hrtimer", cpuBase!, c.clockBase, c.sched_timer, nowp, flags!);
    return 0n;
  });
  set("__run_hrtimer", ([cpuBase, base, timer, nowp, flags]) => {
    const now = mem.loadU64(nowp!) ?? k.clock.now();
    const fn = mem.loadU64(timer! + OFF.hrFunction) ?? 0n;
    mem.storeU64(base! + OFF.running, timer!);
    k.fire(T.hrExpireEntry, { hrtimer: timer!, now, function: fn }, [timer!, nowp!]);
    // The base's lock is dropped while the callback runs.
    spinUnlock(k, cpuBase!, "irqsave", flags!);
    call(fn === tickHandler ? "tick_nohz_handler" : (k.functions.at(fn)?.name ?? "tick_nohz_handler"), timer!);
    spinLock(k, cpuBase!, "irqsave");
    k.fire(T.hrExpireExit, { hrtimer: timer! }, [timer!]);
    mem.storeU64(base! + OFF.running, 0n);
    return 0n;
  });
  set("tick_nohz_handler", ([timer]) => {
    const c = cpuOf();
    const now = k.clock.now();
    call("tick_sched_do_timer", c.tickSched, now);
    call("tick_sched_handle", c.tickSched, st.regs);
    call("hrtimer_forward", timer!, now, TICK_NSEC);
    return HRTIMER_RESTART;
  });
  // CPU 0 is the timekeeping CPU (tick_do_timer_cpu): it advances jiffies and the wall clock.
  set("tick_sched_do_timer", ([ts, now]) => {
    if (k.cpu === 0) call("tick_do_update_jiffies64", now!);
    mem.storeU64(ts! + OFF.lastTick, now!);
    mem.storeU64(ts! + OFF.lastTickJiffies, k.jiffies());
    return 0n;
  });
  set("tick_do_update_jiffies64", () => {
    spinLock(k, st.jiffiesLock, "plain");
    call("update_wall_time");
    spinUnlock(k, st.jiffiesLock, "plain");
    return 0n;
  });
  set("update_wall_time", () => 0n);
  set("tick_sched_handle", () => {
    const user = curCtx().current.pid !== 0 && !curCtx().current.kthread ? 1n : 0n;
    return call("update_process_times", user);
  });
  set("update_process_times", ([user]) => {
    const c = cpuOf();
    const p = curCtx().current;
    call("account_process_tick", p.taskAddress, user!);
    call("run_local_timers");
    // rcu_sched_clock_irq: this CPU has RCU work every few ticks (its grace-period duties rotate).
    if ((c.ticks * 7 + k.cpu * 3) % 8 < 2) call("raise_softirq", BigInt(RCU_SOFTIRQ));
    if (hasSchedTick) call("sched_tick");
    // sched_balance_trigger: the periodic load balance is due every 4 ticks on a busy CPU.
    if ((c.ticks + k.cpu) % 4 === 0) call("raise_softirq", BigInt(SCHED_SOFTIRQ));
    return 0n;
  });
  set("account_process_tick", () => 0n);
  set("run_local_timers", () => {
    const c = cpuOf();
    const j = k.jiffies();
    if (c.timers.some((t) => t.expires <= j)) call("raise_softirq", BigInt(TIMER_SOFTIRQ));
    return 0n;
  });
  set("hrtimer_forward", ([timer, now, interval]) => {
    const exp = BigInt.asIntN(64, mem.loadU64(timer! + OFF.hrExpires) ?? 0n);
    let e = exp === 0n ? now! : exp;
    let n = 0n;
    if (e <= now!) {
      n = (now! - e) / interval! + 1n;
      e += n * interval!;
    }
    mem.storeU64(timer! + OFF.hrExpires, e);
    mem.storeU64(timer! + OFF.hrSoftexpires, e);
    return n;
  });
  set("hrtimer_init", ([timer, clockid, mode]) => {
    k.fire(T.hrInit, { hrtimer: timer!, clockid: clockid!, mode: mode! }, [timer!, clockid!, mode!]);
    setField(k, timer!, "hrtimer", "state", 0n);
    return 0n;
  });
  // Relative modes (odd) count from now; the hrtimer is enqueued (state HRTIMER_STATE_ENQUEUED).
  set("hrtimer_start_range_ns", ([timer, tim, delta, mode]) => {
    const expires = (mode! & 1n) !== 0n ? k.clock.now() + tim! : tim!;
    setField(k, timer!, "hrtimer", "node.expires", expires + delta!);
    setField(k, timer!, "hrtimer", "_softexpires", expires);
    setField(k, timer!, "hrtimer", "state", 1n);
    const fn = k.memory.readField(timer!, "hrtimer", "function");
    k.fire(T.hrStart, { hrtimer: timer!, function: fn, expires: expires + delta!, softexpires: expires, mode: mode! }, [timer!, mode!]);
    return 0n;
  });
  set("hrtimer_try_to_cancel", ([timer]) => {
    if (k.memory.readField(timer!, "hrtimer", "state") === 0n) return 0n;
    k.fire(T.hrCancel, { hrtimer: timer! }, [timer!]);
    setField(k, timer!, "hrtimer", "state", 0n);
    return 1n;
  });
  set("hrtimer_cancel", ([timer]) => call("hrtimer_try_to_cancel", timer!));

  // ---- timers ----
  /** timer->flags: its CPU (TIMER_CPUMASK) and the flags init_timer_key gave it. */
  const timerFlags = (addr: bigint) => (k.memory.readField(addr, "timer_list", "flags") & ~0x3ffffn) | BigInt(k.cpu);
  /** detach_if_pending: a pending timer leaves its base (timer_cancel). */
  const detach = (addr: bigint): boolean => {
    for (const c of cpus) {
      const i = c.timers.findIndex((t) => t.addr === addr);
      if (i >= 0) {
        k.fire(T.timerCancel, { timer: addr }, [addr]);
        c.timers.splice(i, 1);
        return true;
      }
    }
    return false;
  };
  set("add_timer", ([timer]) => call("__mod_timer", timer!, k.memory.readField(timer!, "timer_list", "expires"), 0n));
  set("mod_timer", ([timer, expires]) => call("__mod_timer", timer!, expires!, 0n));
  set("__mod_timer", ([timer, expires]) => {
    const c = cpuOf();
    const base = c.timerBase;
    const flags = spinLock(k, base, "irqsave");
    const pending = detach(timer!) ? 1n : 0n;
    const fnPtr = k.memory.readField(timer!, "timer_list", "function");
    const fn = k.functions.at(fnPtr)?.name ?? "delayed_work_timer_fn";
    const t: Timer = { addr: timer!, fn, expires: expires!, cpu: k.cpu };
    c.timers.push(t);
    setField(k, timer!, "timer_list", "expires", expires!);
    const tflags = timerFlags(timer!);
    setField(k, timer!, "timer_list", "flags", tflags);
    setField(k, timer!, "timer_list", "entry.pprev", base);
    // The wheel's bucket expiry: expires rounded up to the level's granularity (level 0: exact; 8 jiffies per level-1 slot).
    const delta = expires! - k.jiffies();
    const gran = delta < 64n ? 1n : delta < 512n ? 8n : 64n;
    const bucket = ((expires! + gran - 1n) / gran) * gran;
    k.fire(T.timerStart, { timer: timer!, function: fnPtr, expires: expires!, bucket_expiry: bucket, now: k.jiffies(), flags: tflags }, [timer!, bucket]);
    spinUnlock(k, base, "irqsave", flags);
    return pending;
  });
  set("timer_delete", ([timer]) => {
    const c = cpuOf();
    const flags = spinLock(k, c.timerBase, "irqsave");
    const r = detach(timer!) ? 1n : 0n;
    spinUnlock(k, c.timerBase, "irqsave", flags);
    return r;
  });
  // init_timer_key: the timer is set up, not armed (timer_init).
  set("init_timer_key", ([timer, fn, flags]) => {
    k.fire(T.timerInit, { timer: timer! }, [timer!]);
    setField(k, timer!, "timer_list", "function", fn!);
    setField(k, timer!, "timer_list", "flags", flags!);
    setField(k, timer!, "timer_list", "entry.pprev", 0n);
    return 0n;
  });
  // The clocksource watchdog checks the TSC against the HPET every half second until the TSC is known good.
  set("clocksource_watchdog", ([timer]) => {
    call("mod_timer", timer!, k.jiffies() + WATCHDOG_INTERVAL);
    return 0n;
  });
  set("run_timer_softirq", () => call("__run_timers", cpuOf().timerBase));
  set("__run_timers", ([base]) => {
    const c = cpuOf();
    const j = k.jiffies();
    const flags = spinLock(k, base!, "irq");
    setField(k, base!, "timer_base", "clk", j);
    const due = c.timers.filter((t) => t.expires <= j);
    c.timers = c.timers.filter((t) => t.expires > j);
    for (const t of due) {
      setField(k, base!, "timer_base", "running_timer", t.addr);
      const fnPtr = fnAddr(t.fn);
      // The lock is dropped around the callback (expire_timers).
      spinUnlock(k, base!, "irq");
      call("call_timer_fn", t.addr, fnPtr, j);
      spinLock(k, base!, "irq");
    }
    setField(k, base!, "timer_base", "running_timer", 0n);
    spinUnlock(k, base!, "irq");
    void flags;
    return 0n;
  });
  set("call_timer_fn", ([timer, fn, baseclk]) => {
    k.fire(T.timerExpireEntry, { timer: timer!, now: k.jiffies(), function: fn!, baseclk: baseclk! }, [timer!, baseclk!]);
    const name = k.functions.at(fn!)?.name;
    if (name !== undefined) call(name, timer!);
    k.fire(T.timerExpireExit, { timer: timer! }, [timer!]);
    return 0n;
  });

  // ---- workqueues ----
  const cpuByPool = (pool: bigint) => cpus.find((c) => c.pool === pool) ?? cpuOf();
  set("queue_work_on", ([cpu, q, work]) => {
    const data = k.memory.readField(work!, "work_struct", "data.counter");
    if ((data & WORK_STRUCT_PENDING) !== 0n) return 0n; // already queued
    setField(k, work!, "work_struct", "data.counter", data | WORK_STRUCT_PENDING);
    call("__queue_work", cpu!, q!, work!);
    return 1n;
  });
  set("__queue_work", ([cpu, q, work]) => {
    const req = BigInt.asIntN(32, cpu!);
    const target = req < 0n || req >= BigInt(cpus.length) ? cpuOf() : cpus[Number(req)]!;
    const pwq = q === st.systemWq ? target.pwqEvents : target.pwq;
    const name = q === st.systemWq ? "events" : "mm_percpu_wq";
    const fn = k.memory.readField(work!, "work_struct", "func");
    k.fire(T.queueWork, { work: work!, function: fn, workqueue: name, req_cpu: req, cpu: BigInt(cpus.indexOf(target)) }, [cpu!, pwq, work!]);
    const flags = spinLock(k, target.pool, "plain");
    const head = target.pool + BigInt(k.memory.objects.field("worker_pool", "worklist").byteOffset);
    call("insert_work", pwq, work!, head, 0n);
    spinUnlock(k, target.pool, "plain");
    void flags;
    return 0n;
  });
  set("insert_work", ([pwq, work]) => {
    const fn = k.memory.readField(work!, "work_struct", "func");
    k.fire(T.activateWork, { work: work!, function: fn }, [work!]);
    setField(k, work!, "work_struct", "data.counter", pwq! | WORK_STRUCT_PENDING | WORK_STRUCT_PWQ);
    const pool = k.memory.readField(pwq!, "pool_workqueue", "pool");
    cpuByPool(pool).worklist.push(work!);
    call("kick_pool", pool);
    return 0n;
  });
  set("kick_pool", ([pool]) => (cpuByPool(pool!).worklist.length > 0 ? 1n : 0n));
  set("queue_delayed_work_on", ([cpu, q, dwork, delay]) => {
    const data = k.memory.readField(dwork!, "work_struct", "data.counter");
    if ((data & WORK_STRUCT_PENDING) !== 0n) return 0n;
    setField(k, dwork!, "work_struct", "data.counter", data | WORK_STRUCT_PENDING);
    call("__queue_delayed_work", cpu!, q!, dwork!, delay!);
    return 1n;
  });
  set("__queue_delayed_work", ([cpu, q, dwork, delay]) => {
    setField(k, dwork!, "delayed_work", "wq", q!);
    setField(k, dwork!, "delayed_work", "cpu", cpu!);
    if (delay === 0n) {
      call("__queue_work", cpu!, q!, dwork!);
      return 0n;
    }
    const timer = dwork! + BigInt(k.memory.objects.field("delayed_work", "timer").byteOffset);
    setField(k, timer, "timer_list", "expires", k.jiffies() + delay!);
    call("add_timer", timer);
    return 0n;
  });
  set("delayed_work_timer_fn", ([timer]) => {
    const dwork = timer! - BigInt(k.memory.objects.field("delayed_work", "timer").byteOffset);
    call("__queue_work", k.memory.readField(dwork, "delayed_work", "cpu"), k.memory.readField(dwork, "delayed_work", "wq"), dwork);
    return 0n;
  });
  set("worker_thread", ([worker]) => {
    const c = cpus.find((x) => x.worker === worker) ?? cpuOf();
    for (let work = c.worklist.shift(); work !== undefined; work = c.worklist.shift()) call("process_one_work", worker!, work);
    return 0n;
  });
  set("process_one_work", ([worker, work]) => {
    const fn = k.memory.readField(work!, "work_struct", "func");
    setField(k, worker!, "worker", "current_work", work!);
    setField(k, worker!, "worker", "current_func", fn);
    setField(k, worker!, "worker", "current_at", k.clock.now());
    // The work is no longer pending once it starts: it may queue itself again.
    setField(k, work!, "work_struct", "data.counter", 0n);
    k.fire(T.executeStart, { work: work!, function: fn }, [work!]);
    const name = st.workFn.get(work!) ?? k.functions.at(fn)?.name;
    if (name !== undefined) call(name, work!);
    k.fire(T.executeEnd, { work: work!, function: fn }, [work!, fn]);
    setField(k, worker!, "worker", "current_work", 0n);
    setField(k, worker!, "worker", "last_func", fn);
    return 0n;
  });
  // vmstat_update: folds this CPU's counters and drains some of its cached page frames, then comes back in a second.
  set("vmstat_update", ([work]) => {
    call("drain_zone_pages", 0n, 0n);
    call("queue_delayed_work_on", BigInt(k.cpu), st.mmPercpuWq, work!, VMSTAT_INTERVAL);
    return 0n;
  });
  // The refined TSC is the clocksource now: the watchdog stops (clocksource_stop_watchdog).
  set("tsc_refine_calibration_work", () => {
    kprintf(k, "tsc: Refined TSC clocksource calibration: 2803.199 MHz\n");
    kprintf(k, "clocksource: Switched to clocksource tsc\n");
    if (st.watchdog !== 0n) call("timer_delete", st.watchdog);
    return 0n;
  });

  // ---- printk ----
  set("_printk", ([fmt]) => call("vprintk", fmt!, 0n));
  set("vprintk", ([fmt, args]) => call("vprintk_default", fmt!, args!));
  set("vprintk_default", ([fmt, args]) => call("vprintk_emit", 0n, BigInt.asUintN(64, -1n), 0n, fmt!, args!));
  set("vprintk_emit", ([, , , fmt]) => {
    const text = pendingText ?? "";
    pendingText = undefined;
    st.log.push(text);
    if (st.log.length > 256) st.log.shift();
    void fmt;
    // console_trylock succeeded: this task prints the new records to the consoles.
    printing.push(text);
    call("console_unlock");
    return BigInt(new TextEncoder().encode(text).length);
  });
  set("console_unlock", () => {
    for (let text = printing.shift(); text !== undefined; text = printing.shift()) {
      const line = `[${fmtTime(k.clock.boot())}] ${text.replace(/\n$/, "")}`;
      k.fire(T.console, { msg: line }, [0n, BigInt(line.length)]);
    }
    return 0n;
  });
  let pendingText: string | undefined;
  const printing: string[] = [];
  printkText.set(k, (text: string) => {
    pendingText = text;
  });

  allocState(k).systemWq = systemWq;
  installDevicePaths(k, w);
}

/** printk's timestamp: seconds.microseconds since boot, 5.6 wide. */
function fmtTime(ns: bigint): string {
  const s = ns / 1_000_000_000n;
  const us = (ns / 1000n) % 1_000_000n;
  return `${s.toString().padStart(5, " ")}.${us.toString().padStart(6, "0")}`;
}

const printkText = new WeakMap<Kernel, (text: string) => void>();
const formats = new WeakMap<Kernel, Map<string, bigint>>();
/** _printk(text) from a kernel path: the format string is kmalloc'd once per distinct message (it is .rodata in Linux). */
export function kprintf(k: Kernel, text: string): void {
  let m = formats.get(k);
  if (!m) formats.set(k, (m = new Map()));
  let fmt = m.get(text);
  if (fmt === undefined) {
    if (m.size >= 64) m.clear();
    m.set(text, (fmt = cString(k, text)));
  }
  printkText.get(k)?.(text);
  k.callByName("_printk", [fmt]);
}

/** The kernel log (what printk wrote), oldest first; at most 256 lines. */
export function kernelLog(k: Kernel): readonly string[] {
  return states.get(k)?.log ?? [];
}

/** The task `comm` on CPU `cpu`: an existing kernel thread of that name, or one started now. */
function kthread(k: Kernel, comm: string, cpu: number): Task {
  let kthreadd = 0;
  for (const t of k.tasks.all()) {
    if (t.comm === comm && t.kthread) return t;
    if (t.comm === "kthreadd" && t.kthread) kthreadd = t.pid;
  }
  // kthreadd starts every kernel thread (pid 2 on Linux).
  return k.spawn(comm, kthreadd, { cpu, kthread: true });
}

/** Runs `fn` on `cpu` as task `t` (the CPU's current task is put back after). */
function runAs(k: Kernel, cpu: number, t: Task, fn: () => void): void {
  const c = k.tasks.cpus[cpu]!;
  const prev = c.current;
  const prevCpu = t.cpu;
  c.current = t;
  try {
    fn();
  } finally {
    c.current = prev;
    t.cpu = prevCpu;
  }
}

/**
 * What interrupts do between two workload steps: every CPU whose tick is
 * due takes it (and catches up ticks it missed); the virtio-blk interrupt
 * when the device has finished requests, the virtio-net one when a packet
 * is due; then the kworker runs queued work and ksoftirqd what was left to
 * it. The current CPU is put back after.
 */
export function interruptStep(k: Kernel, _w: World): void {
  const st = states.get(k);
  if (!st) return;
  const now = k.clock.now();
  const home = k.cpu;
  if (!st.started) start(k, st);
  // Softirqs the step raised in process context: ksoftirqd runs them as soon as the step is done.
  if (st.cpus[home]!.ksoftirqdWoken) runKsoftirqd(k, st.cpus[home]!);
  for (let cpu = 0; cpu < st.cpus.length; cpu++) {
    const c = st.cpus[cpu]!;
    if (c.nextTick < 0n) {
      c.nextTick = (now / TICK_NSEC + 1n) * TICK_NSEC;
      continue;
    }
    if (now < c.nextTick) continue;
    k.cpu = cpu;
    try {
      if (!c.armed) armCpu(k, st, c);
      for (let n = 0; now >= c.nextTick; n++) {
        if (n === MAX_CATCH_UP) {
          c.nextTick = (now / TICK_NSEC + 1n) * TICK_NSEC;
          break;
        }
        tick(k, st, c);
        c.nextTick += TICK_NSEC;
      }
      runDeferred(k, st, c);
    } finally {
      k.cpu = home;
    }
  }
  const c = st.cpus[home]!;
  if (st.nextRx < 0n) st.nextRx = now + BigInt(k.rng.int(RX_IRQ_MIN_NS, RX_IRQ_MAX_NS));
  else if (now >= st.nextRx) {
    st.nextRx = now + BigInt(k.rng.int(RX_IRQ_MIN_NS, RX_IRQ_MAX_NS));
    deviceIrq(k, st, st.net);
    runDeferred(k, st, c);
  }
  const due = nextCompletionNs(k);
  if (due !== undefined && due <= now) {
    deviceIrq(k, st, st.blk);
    runDeferred(k, st, c);
  }
}

/** The first interrupt: each CPU's kworker and ksoftirqd threads exist from then on (Linux starts them at boot). */
function start(k: Kernel, st: IrqState): void {
  st.started = true;
  st.cpus.forEach((c, cpu) => {
    c.kworker = kthread(k, `kworker/${cpu}:1`, cpu);
    c.ksoftirqd = kthread(k, `ksoftirqd/${cpu}`, cpu);
  });
}

/** First tick on a CPU: its vmstat work is armed (and, on CPU 0, the TSC refinement at boot). */
function armCpu(k: Kernel, st: IrqState, c: CpuIrq): void {
  c.armed = true;
  const fn = (name: string) => k.functions.named(name)[0]?.address ?? 0n;
  const timerOf = (dwork: bigint) => dwork + BigInt(k.memory.objects.field("delayed_work", "timer").byteOffset);
  // INIT_DEFERRABLE_WORK (vmstat's work is deferrable: it does not wake an idle CPU).
  k.callByName("init_timer_key", [timerOf(c.vmstatWork), fn("delayed_work_timer_fn"), TIMER_DEFERRABLE | BigInt(k.cpu), 0n, 0n]);
  k.callByName("queue_delayed_work_on", [BigInt(k.cpu), st.mmPercpuWq, c.vmstatWork, VMSTAT_INTERVAL]);
  if (k.cpu === 0 && st.tscWork === 0n) {
    st.watchdog = alloc(k, "timer_list");
    k.callByName("init_timer_key", [st.watchdog, fn("clocksource_watchdog"), 0n, 0n, 0n]);
    setField(k, st.watchdog, "timer_list", "expires", k.jiffies() + WATCHDOG_INTERVAL);
    k.callByName("add_timer", [st.watchdog]);
    const w = alloc(k, "delayed_work");
    setField(k, w, "delayed_work", "work.func", k.functions.named("tsc_refine_calibration_work")[0]?.address ?? 0n);
    setField(k, w, "delayed_work", "timer.function", k.functions.named("delayed_work_timer_fn")[0]?.address ?? 0n);
    st.tscWork = w;
    st.workFn.set(w, "tsc_refine_calibration_work");
    k.callByName("init_timer_key", [timerOf(w), fn("delayed_work_timer_fn"), 0n, 0n, 0n]);
    k.callByName("queue_delayed_work_on", [0n, st.systemWq, w, TSC_REFINE_DELAY]);
  }
}

/** One tick on the current CPU: the local timer interrupt in hard IRQ context. */
function tick(k: Kernel, st: IrqState, c: CpuIrq): void {
  const cpu = k.tasks.cpus[k.cpu]!;
  const prev = cpu.context;
  cpu.context = "hardirq";
  try {
    k.callByName("sysvec_apic_timer_interrupt", [st.regs]);
  } finally {
    cpu.context = prev;
  }
  c.ticks++;
}

/** A device interrupt on the current CPU (common_interrupt with the device's vector). */
function deviceIrq(k: Kernel, st: IrqState, dev: IrqState["net"]): void {
  const cpu = k.tasks.cpus[k.cpu]!;
  const prev = cpu.context;
  cpu.context = "hardirq";
  try {
    irqDevice.set(k, dev);
    k.callByName("common_interrupt", [st.regs, dev.vector]);
  } finally {
    cpu.context = prev;
  }
}
const irqDevice = new WeakMap<Kernel, IrqState["net"]>();

/** After interrupts: the kworker runs the CPU's queued work; ksoftirqd runs softirqs left to it. */
function runDeferred(k: Kernel, st: IrqState, c: CpuIrq): void {
  if (c.worklist.length > 0) {
    c.kworker ??= kthread(k, `kworker/${k.cpu}:1`, k.cpu);
    setField(k, c.worker, "worker", "task", c.kworker.taskAddress);
    runAs(k, k.cpu, c.kworker, () => k.callByName("worker_thread", [c.worker]));
  }
  if (c.ksoftirqdWoken) {
    runKsoftirqd(k, c);
    // Work the softirqs queued runs too.
    if (c.worklist.length > 0) runDeferred(k, st, c);
  }
}

/** ksoftirqd/N, woken, runs the softirqs pending on its CPU. */
function runKsoftirqd(k: Kernel, c: CpuIrq): void {
  c.ksoftirqdWoken = false;
  c.ksoftirqd ??= kthread(k, `ksoftirqd/${k.cpu}`, k.cpu);
  runAs(k, k.cpu, c.ksoftirqd, () => {
    if (k.callByName("ksoftirqd_should_run", [BigInt(k.cpu)]) !== 0n) k.callByName("run_ksoftirqd", [BigInt(k.cpu)]);
  });
}

/** Installs the device interrupt paths: common_interrupt down to the virtio queues' callbacks. */
function installDevicePaths(k: Kernel, w: World): void {
  const st = irqState(k);
  const { set, call } = pathFunctions(k);
  const tpEntry = k.tracepoints.get("irq", "irq_handler_entry")!;
  const tpExit = k.tracepoints.get("irq", "irq_handler_exit")!;
  const actionNames = st.actionNames;
  set("common_interrupt", () => {
    const dev = irqDevice.get(k) ?? st.net;
    call("irq_enter_rcu");
    const handle = k.functions.at(k.memory.readField(dev.desc, "irq_desc", "handle_irq"))?.name ?? "handle_edge_irq";
    call(handle, dev.desc);
    call("irq_exit_rcu");
    return 0n;
  });
  set("handle_edge_irq", ([desc]) => {
    const lock = desc! + BigInt(k.memory.objects.field("irq_desc", "lock").byteOffset);
    spinLock(k, lock, "plain");
    setField(k, desc!, "irq_desc", "tot_count", k.memory.readField(desc!, "irq_desc", "tot_count") + 1n);
    call("handle_irq_event", desc!);
    spinUnlock(k, lock, "plain");
    return 0n;
  });
  // The descriptor's lock is dropped while the handlers run.
  set("handle_irq_event", ([desc]) => {
    const lock = desc! + BigInt(k.memory.objects.field("irq_desc", "lock").byteOffset);
    spinUnlock(k, lock, "plain");
    const r = call("handle_irq_event_percpu", desc!);
    spinLock(k, lock, "plain");
    return r;
  });
  // The handlers, then the interrupt's timing feeds the entropy pool (add_interrupt_randomness).
  set("handle_irq_event_percpu", ([desc]) => {
    const r = call("__handle_irq_event_percpu", desc!);
    call("add_interrupt_randomness", k.memory.readField(desc!, "irq_desc", "irq_data.irq"));
    return r;
  });
  // Device interrupts are the early entropy: the 16th makes enough to seed the CRNG, which a worker does (crng_reseed: "crng init done", once).
  let randomIrqs = 0;
  let reseedWork = 0n;
  set("add_interrupt_randomness", () => {
    if (++randomIrqs === CRNG_INIT_IRQS) {
      reseedWork = alloc(k, "work_struct");
      setField(k, reseedWork, "work_struct", "func", k.functions.named("crng_reseed")[0]?.address ?? 0n);
      call("queue_work_on", BigInt(k.tasks.cpus.length), st.systemWq, reseedWork);
    }
    return 0n;
  });
  set("crng_reseed", () => {
    kprintf(k, "random: crng init done\n");
    return 0n;
  });
  set("__handle_irq_event_percpu", ([desc]) => {
    let ret = 0n;
    for (let action = k.memory.readField(desc!, "irq_desc", "action"); action !== 0n; action = k.memory.readField(action, "irqaction", "next")) {
      const irq = k.memory.readField(action, "irqaction", "irq");
      const text = actionNames.get(action) ?? "";
      k.fire(tpEntry, { irq, name: text }, [irq, action]);
      const handler = k.functions.at(k.memory.readField(action, "irqaction", "handler"))?.name ?? "vring_interrupt";
      const r = call(handler, irq, k.memory.readField(action, "irqaction", "dev_id"));
      k.fire(tpExit, { irq, ret: r }, [irq, action, r]);
      ret |= r;
    }
    return ret;
  });
  // vring_interrupt: the virtqueue's callback (virtio-net rx: skb_recv_done; virtio-blk: virtblk_done).
  set("vring_interrupt", ([, vq]) => {
    call(vq === st.blk.vq ? "virtblk_done" : "skb_recv_done", vq!);
    return IRQ_HANDLED;
  });
  // virtqueue_napi_schedule: NAPI polls the queue in the NET_RX softirq.
  set("skb_recv_done", () => call("__raise_softirq_irqoff", BigInt(NET_RX_SOFTIRQ)));
  // virtblk_done: under the queue's lock, the requests the device finished complete here, in hard IRQ context.
  set("virtblk_done", ([vq]) => {
    const flags = spinLock(k, vq!, "irqsave");
    completeDueRequests(k, w);
    spinUnlock(k, vq!, "irqsave", flags);
    return 0n;
  });
}

