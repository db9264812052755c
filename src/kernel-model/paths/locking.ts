// Locking as Linux 6.12 does it: mutexes (mutex_lock/_interruptible/
// _trylock/_unlock, the __mutex_*_slowpath functions when contended),
// rw_semaphores (down_read/up_read/down_write/up_write, trylocks,
// rwsem_down_*_slowpath, rwsem_wake), raw spinlocks (_raw_spin_lock and its
// _irqsave/_irq forms, native_queued_spin_lock_slowpath) with the
// lock:contention_begin/contention_end tracepoints, and the futex syscall
// (do_futex -> futex_wait/futex_wake). A lock's word in memory says who
// holds it (mutex owner, rwsem count and owner, the spinlock's locked byte).
// The model runs one CPU at a time, so contention is decided by time: a lock
// last released by another CPU less than a window ago (SPIN_/SLEEPING_
// CONTENTION_WINDOW_NS) was still held when this CPU came for it, and the
// taker waits a few hundred ns to a few us. Other areas take locks through
// the exported helpers.
import type { Kernel } from "../kernel.js";
import type { TracepointDef } from "../tracepoints.js";
import { defineSyscall } from "./syscalls.js";
import { pathFunctions } from "./bind.js";

/**
 * A lock released by another CPU this recently (ns) is contended: for a
 * spinlock, the other CPU's critical section was still running (the model
 * runs CPUs one after the other; the CPUs' ticks at one instant ran side by
 * side); a sleeping lock's holder may have slept or been preempted inside
 * its critical section, so its window is longer.
 */
export const SPIN_CONTENTION_WINDOW_NS = 20_000n;
export const SLEEPING_CONTENTION_WINDOW_NS = 200_000n;
/** LCB_F_* (include/trace/events/lock.h): contention_begin's flags. */
export const LCB_F_SPIN = 1n;
export const LCB_F_READ = 2n;
export const LCB_F_WRITE = 4n;
export const LCB_F_MUTEX = 32n;
/** RWSEM_WRITER_LOCKED and RWSEM_READER_BIAS (kernel/locking/rwsem.c). */
const RWSEM_WRITER_LOCKED = 1n;
const RWSEM_READER_BIAS = 256n;
/** TASK_UNINTERRUPTIBLE, TASK_INTERRUPTIBLE: the rwsem/mutex slow paths' sleep states. */
const TASK_UNINTERRUPTIBLE = 2n;
/** Saved RFLAGS of _raw_spin_lock_irqsave (IF set, as in process context). */
const IRQ_FLAGS = 0x246n;
/** Lock states kept at most (forgotten all at once past it: bounded memory). */
const MAX_LOCKS = 4096;
/** FUTEX_* (include/uapi/linux/futex.h). */
const FUTEX_WAIT = 0n;
const FUTEX_WAKE = 1n;
const FUTEX_PRIVATE_FLAG = 128n;
const FUTEX_CLOCK_REALTIME = 256n;
const FUTEX_BITSET_MATCH_ANY = 0xffffffffn;
/** FLAGS_SHARED / FLAGS_SIZE_32 (kernel/futex/futex.h, 6.12): the futex_wait/futex_wake flags for a u32 futex. */
const FLAGS_SIZE_32 = 2n;
const FLAGS_SHARED = 0x10n;
const EAGAIN = 11n;
const FUTEX_BUCKETS = 16;
/** CLOCK_MONOTONIC, HRTIMER_MODE_REL, and the default timer slack of a timed futex wait (50 us). */
const CLOCK_MONOTONIC = 1n;
const HRTIMER_MODE_REL = 1n;
const FUTEX_SLACK_NS = 50_000n;
const ENOSYS = 38n;
const EFAULT = 14n;
const err = (n: bigint) => BigInt.asUintN(64, -n);

interface LockState {
  /** CPU that last released it, and when (simulated ns). */
  cpu: number;
  releasedAt: bigint;
  /** Whether someone waited for the current hold (the unlock wakes them: the unlock slow path). */
  waiter: boolean;
  /** rwsem: readers holding it now. */
  readers: number;
}

interface LockingState {
  readonly locks: Map<bigint, LockState>;
  /** Futex waiters by tgid and user address. */
  readonly futexWaiters: Map<string, number>;
  /** The futex hash buckets (struct futex_hash_bucket: atomic_t waiters, then the bucket's spinlock at +4). */
  readonly buckets: bigint[];
  /** The user address the futex operation in progress hashes (futex_hash's key). */
  uaddr: bigint;
  /** The hrtimer of timed waits (the hrtimer_sleeper on the waiter's stack). */
  sleeper: bigint;
  /** The kernel copy of a timed wait's timeout (ktime_t). */
  timeout: bigint;
}

const states = new WeakMap<Kernel, LockingState>();

function lockState(st: LockingState, addr: bigint): LockState {
  let s = st.locks.get(addr);
  if (s === undefined) {
    if (st.locks.size >= MAX_LOCKS) st.locks.clear();
    st.locks.set(addr, (s = { cpu: -1, releasedAt: -1n << 62n, waiter: false, readers: 0 }));
  }
  return s;
}

/** Installs the locking functions' implementations and the futex syscall. */
export function installLockingPaths(k: Kernel): void {
  const st: LockingState = { locks: new Map(), futexWaiters: new Map(), buckets: [], uaddr: 0n, sleeper: 0n, timeout: 0n };
  states.set(k, st);
  const { set, call } = pathFunctions(k);
  const tp = (name: string): TracepointDef => k.tracepoints.get("lock", name)!;
  const begin = tp("contention_begin");
  const end = tp("contention_end");
  const mem = k.memory.kernel;

  /** Whether taking `addr` now, on this CPU, finds it contended; marks the hold's waiter. */
  const contended = (addr: bigint, window = SPIN_CONTENTION_WINDOW_NS): boolean => {
    const s = lockState(st, addr);
    const c = s.cpu !== k.cpu && s.cpu >= 0 && k.clock.now() - s.releasedAt < window;
    s.waiter = c;
    return c;
  };
  const released = (addr: bigint): boolean => {
    const s = lockState(st, addr);
    s.cpu = k.cpu;
    s.releasedAt = k.clock.now();
    const w = s.waiter;
    s.waiter = false;
    return w;
  };
  /** The wait itself: the holder's remaining critical section (0.2 .. 6 us). */
  const wait = (): bigint => {
    const ns = BigInt(k.rng.int(200, 6000));
    k.clock.advance(ns);
    return ns;
  };
  const owner = () => k.current().taskAddress;

  // ---- mutex ----
  const mutexAcquired = (lock: bigint) => void mem.storeU64(lock, owner());
  set("mutex_lock", ([lock]) => {
    if (contended(lock!, SLEEPING_CONTENTION_WINDOW_NS)) call("__mutex_lock_slowpath", lock!);
    mutexAcquired(lock!);
    return 0n;
  });
  set("mutex_lock_interruptible", ([lock]) => {
    if (contended(lock!, SLEEPING_CONTENTION_WINDOW_NS)) return call("__mutex_lock_interruptible_slowpath", lock!);
    mutexAcquired(lock!);
    return 0n;
  });
  // __mutex_lock_common: optimistic spinning first (LCB_F_MUTEX | LCB_F_SPIN); a long wait sleeps (LCB_F_MUTEX).
  const mutexSlow = (lock: bigint): bigint => {
    k.fire(begin, { lock_addr: lock, flags: LCB_F_MUTEX | LCB_F_SPIN }, [lock, LCB_F_MUTEX | LCB_F_SPIN]);
    if (wait() > 2000n) k.fire(begin, { lock_addr: lock, flags: LCB_F_MUTEX }, [lock, LCB_F_MUTEX]);
    mutexAcquired(lock);
    k.fire(end, { lock_addr: lock, ret: 0n }, [lock, 0n]);
    return 0n;
  };
  set("__mutex_lock_slowpath", ([lock]) => mutexSlow(lock!));
  set("__mutex_lock_interruptible_slowpath", ([lock]) => mutexSlow(lock!));
  set("mutex_trylock", ([lock]) => {
    if (contended(lock!, SLEEPING_CONTENTION_WINDOW_NS)) {
      lockState(st, lock!).waiter = false;
      return 0n;
    }
    mutexAcquired(lock!);
    return 1n;
  });
  set("mutex_unlock", ([lock]) => {
    mem.storeU64(lock!, 0n);
    if (released(lock!)) call("__mutex_unlock_slowpath", lock!, k.functions.returnAddress());
    return 0n;
  });
  set("__mutex_unlock_slowpath", () => 0n);

  // ---- rw_semaphore ----
  const countOf = (sem: bigint) => mem.loadU64(sem) ?? 0n;
  const rwsemSlow = (sem: bigint, flags: bigint): void => {
    k.fire(begin, { lock_addr: sem, flags }, [sem, flags]);
    wait();
    k.fire(end, { lock_addr: sem, ret: 0n }, [sem, 0n]);
  };
  set("down_read", ([sem]) => {
    if (contended(sem!, SLEEPING_CONTENTION_WINDOW_NS)) call("rwsem_down_read_slowpath", sem!, countOf(sem!), TASK_UNINTERRUPTIBLE);
    mem.storeU64(sem!, countOf(sem!) + RWSEM_READER_BIAS);
    lockState(st, sem!).readers++;
    return 0n;
  });
  set("down_read_trylock", ([sem]) => {
    if ((countOf(sem!) & RWSEM_WRITER_LOCKED) !== 0n) return 0n;
    if (contended(sem!, SLEEPING_CONTENTION_WINDOW_NS)) {
      lockState(st, sem!).waiter = false;
      return 0n;
    }
    mem.storeU64(sem!, countOf(sem!) + RWSEM_READER_BIAS);
    lockState(st, sem!).readers++;
    return 1n;
  });
  set("rwsem_down_read_slowpath", ([sem]) => (rwsemSlow(sem!, LCB_F_READ), sem!));
  set("up_read", ([sem]) => {
    const c = countOf(sem!);
    mem.storeU64(sem!, c >= RWSEM_READER_BIAS ? c - RWSEM_READER_BIAS : 0n);
    const s = lockState(st, sem!);
    if (s.readers > 0) s.readers--;
    if (released(sem!)) call("rwsem_wake", sem!);
    return 0n;
  });
  set("down_write", ([sem]) => {
    if (contended(sem!, SLEEPING_CONTENTION_WINDOW_NS)) call("rwsem_down_write_slowpath", sem!, TASK_UNINTERRUPTIBLE);
    mem.storeU64(sem!, countOf(sem!) | RWSEM_WRITER_LOCKED);
    mem.storeU64(sem! + 8n, owner());
    return 0n;
  });
  set("rwsem_down_write_slowpath", ([sem]) => (rwsemSlow(sem!, LCB_F_WRITE), sem!));
  set("up_write", ([sem]) => {
    mem.storeU64(sem!, countOf(sem!) & ~RWSEM_WRITER_LOCKED);
    mem.storeU64(sem! + 8n, 0n);
    if (released(sem!)) call("rwsem_wake", sem!);
    return 0n;
  });
  set("rwsem_wake", ([sem]) => sem!);

  // ---- raw spinlocks ----
  const spinAcquire = (lock: bigint): void => {
    if (contended(lock)) call("native_queued_spin_lock_slowpath", lock, 1n);
    mem.storeU8(lock, 1);
  };
  const spinRelease = (lock: bigint): void => {
    mem.storeU8(lock, 0);
    released(lock);
  };
  set("native_queued_spin_lock_slowpath", ([lock]) => {
    k.fire(begin, { lock_addr: lock!, flags: LCB_F_SPIN }, [lock!, LCB_F_SPIN]);
    wait();
    k.fire(end, { lock_addr: lock!, ret: 0n }, [lock!, 0n]);
    return 0n;
  });
  set("_raw_spin_lock", ([lock]) => (spinAcquire(lock!), 0n));
  set("_raw_spin_lock_irq", ([lock]) => (spinAcquire(lock!), 0n));
  set("_raw_spin_lock_irqsave", ([lock]) => (spinAcquire(lock!), IRQ_FLAGS));
  set("_raw_spin_trylock", ([lock]) => {
    if (contended(lock!)) {
      lockState(st, lock!).waiter = false;
      return 0n;
    }
    mem.storeU8(lock!, 1);
    return 1n;
  });
  set("_raw_spin_unlock", ([lock]) => (spinRelease(lock!), 0n));
  set("_raw_spin_unlock_irq", ([lock]) => (spinRelease(lock!), 0n));

  set("_raw_spin_unlock_irqrestore", ([lock]) => (spinRelease(lock!), 0n));

  // ---- futex ----
  // The hash buckets exist from boot (futex_init); the timed-wait hrtimer and timeout slot are made once.
  for (let i = 0; i < FUTEX_BUCKETS; i++) st.buckets.push(k.memory.kmalloc(64, true));
  st.sleeper = k.memory.alloc("hrtimer");
  st.timeout = k.memory.kmalloc(8, true);
  const keyOf = (uaddr: bigint) => `${k.current().tgid}:${uaddr}`;
  /** The hash bucket of a futex address (16 buckets). */
  const bucket = (uaddr: bigint): bigint => {
    return st.buckets[Number((uaddr >> 2n) % BigInt(FUTEX_BUCKETS))]!;
  };
  // get_futex_key: a u32 futex is 4-byte aligned (-EINVAL otherwise); the key is the address in this mm.
  set("get_futex_key", ([uaddr]) => {
    if ((uaddr! & 3n) !== 0n) return err(22n);
    st.uaddr = uaddr!;
    return 0n;
  });
  set("futex_hash", () => bucket(st.uaddr));
  /** The futex word at `uaddr` in the task's memory, or undefined (unmapped: -EFAULT). */
  const readWord = (uaddr: bigint): bigint | undefined => {
    const b = new Uint8Array(4);
    if (k.memory.readUser(k.current().tgid, b, uaddr) !== 0) return undefined;
    return BigInt(new DataView(b.buffer).getUint32(0, true));
  };
  // FUTEX_WAIT and FUTEX_WAKE (the commands the model's programs use); others are -ENOSYS, as an unknown cmd.
  set("do_futex", ([uaddr, op, val, timeout]) => {
    const cmd = op! & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    const flags = FLAGS_SIZE_32 | ((op! & FUTEX_PRIVATE_FLAG) !== 0n ? 0n : FLAGS_SHARED);
    if (cmd === FUTEX_WAIT) return call("futex_wait", uaddr!, flags, val!, timeout!, FUTEX_BITSET_MATCH_ANY);
    if (cmd === FUTEX_WAKE) return call("futex_wake", uaddr!, flags, val!, FUTEX_BITSET_MATCH_ANY);
    return err(ENOSYS);
  });
  // A timed wait arms an hrtimer sleeper (futex_setup_timer) and cancels it when woken first.
  set("futex_wait", ([uaddr, flags, val, absTime, bitset]) => {
    if (absTime === 0n) return call("__futex_wait", uaddr!, flags!, val!, 0n, bitset!);
    const t = st.sleeper;
    call("hrtimer_init", t, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
    call("hrtimer_start_range_ns", t, k.memory.kernel.loadU64(absTime!) ?? 0n, FUTEX_SLACK_NS, HRTIMER_MODE_REL);
    const r = call("__futex_wait", uaddr!, flags!, val!, t, bitset!);
    call("hrtimer_cancel", t);
    return r;
  });
  // futex_wait_setup under the bucket lock: a changed word is -EAGAIN; else the task queues and sleeps until a futex_wake.
  set("__futex_wait", ([uaddr, flags, val]) => {
    const ret = call("futex_wait_setup", uaddr!, val!, flags!, 0n, 0n, k.current().taskAddress);
    if (ret !== 0n) return ret;
    const key = keyOf(uaddr!);
    // Waiters of processes long gone are forgotten past a bound (the model does not track their exit).
    if (st.futexWaiters.size >= MAX_LOCKS && !st.futexWaiters.has(key)) st.futexWaiters.clear();
    st.futexWaiters.set(key, (st.futexWaiters.get(key) ?? 0) + 1);
    return 0n;
  });
  set("futex_wait_setup", ([uaddr, val, flags]) => {
    const r = call("get_futex_key", uaddr!, flags!, 0n, 0n);
    if (r !== 0n) return r;
    const hb = call("futex_hash", 0n) + 4n;
    call("_raw_spin_lock", hb);
    const word = readWord(uaddr!);
    call("_raw_spin_unlock", hb);
    if (word === undefined) return err(EFAULT);
    return word === (val! & 0xffffffffn) ? 0n : err(EAGAIN);
  });
  set("futex_wake", ([uaddr, flags, nr]) => {
    const r = call("get_futex_key", uaddr!, flags!, 0n, 1n);
    if (r !== 0n) return r;
    const hb = call("futex_hash", 0n) + 4n;
    const key = keyOf(uaddr!);
    const waiting = st.futexWaiters.get(key) ?? 0;
    if (waiting === 0) return 0n;
    call("_raw_spin_lock", hb);
    const woken = Math.min(waiting, Number(nr!));
    for (let i = 0; i < woken; i++) call("futex_wake_mark", 0n, 0n);
    if (waiting - woken > 0) st.futexWaiters.set(key, waiting - woken);
    else st.futexWaiters.delete(key);
    call("_raw_spin_unlock", hb);
    return BigInt(woken);
  });
  set("futex_wake_mark", () => 0n);
  // sys_futex: a wait's timeout (a user struct __kernel_timespec) becomes a kernel ktime_t (futex_init_timeout); waits here are woken before it expires.
  defineSyscall(k, "futex", ([uaddr, op, val, utime, uaddr2, val3]) => {
    let timeout = 0n;
    if (utime !== 0n && (op! & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)) === FUTEX_WAIT) {
      const ts = new Uint8Array(16);
      if (k.memory.readUser(k.current().tgid, ts, utime!) !== 0) return err(EFAULT);
      const v = new DataView(ts.buffer);
      k.memory.kernel.storeU64(st.timeout, BigInt.asUintN(64, v.getBigInt64(0, true) * 1_000_000_000n + v.getBigInt64(8, true)));
      timeout = st.timeout;
    }
    return call("do_futex", uaddr!, op!, val!, timeout, uaddr2!, 0n, val3!);
  });
}

/**
 * Another CPU (`cpu`) holds the lock at `addr` right now (a task the model
 * runs later or elsewhere is inside its critical section): the next taker
 * on a different CPU finds it contended.
 */
export function heldElsewhere(k: Kernel, addr: bigint, cpu: number): void {
  const st = states.get(k);
  if (!st) return;
  const s = lockState(st, addr);
  s.cpu = cpu;
  s.releasedAt = k.clock.now();
}

/** Futex waiters of the current process at `uaddr` (tests). */
export function futexWaiters(k: Kernel, uaddr: bigint): number {
  return states.get(k)?.futexWaiters.get(`${k.current().tgid}:${uaddr}`) ?? 0;
}

/** The futex wait queues' total (bounded memory checks). */
export function futexQueueCount(k: Kernel): number {
  return states.get(k)?.futexWaiters.size ?? 0;
}

/** mutex_lock(lock) as a kernel path takes it. */
export function lockMutex(k: Kernel, lock: bigint): void {
  k.callByName("mutex_lock", [lock]);
}
export function unlockMutex(k: Kernel, lock: bigint): void {
  k.callByName("mutex_unlock", [lock]);
}
/** mutex_trylock: whether it took the lock. */
export function tryLockMutex(k: Kernel, lock: bigint): boolean {
  return k.callByName("mutex_trylock", [lock]) === 1n;
}
export function lockMutexInterruptible(k: Kernel, lock: bigint): bigint {
  return k.callByName("mutex_lock_interruptible", [lock]);
}
export function downRead(k: Kernel, sem: bigint): void {
  k.callByName("down_read", [sem]);
}
export function upRead(k: Kernel, sem: bigint): void {
  k.callByName("up_read", [sem]);
}
export function downWrite(k: Kernel, sem: bigint): void {
  k.callByName("down_write", [sem]);
}
export function upWrite(k: Kernel, sem: bigint): void {
  k.callByName("up_write", [sem]);
}

/** How a spinlock is taken: plain, or with interrupts off (irq, irqsave). */
export type SpinMode = "plain" | "irq" | "irqsave";
const LOCK_FN: Record<SpinMode, string> = { plain: "_raw_spin_lock", irq: "_raw_spin_lock_irq", irqsave: "_raw_spin_lock_irqsave" };
const UNLOCK_FN: Record<SpinMode, string> = { plain: "_raw_spin_unlock", irq: "_raw_spin_unlock_irq", irqsave: "_raw_spin_unlock_irqrestore" };

/** Takes a raw spinlock; returns the saved flags (irqsave) or 0. */
export function spinLock(k: Kernel, lock: bigint, mode: SpinMode = "plain"): bigint {
  return k.callByName(LOCK_FN[mode], [lock]);
}
export function spinUnlock(k: Kernel, lock: bigint, mode: SpinMode = "plain", flags = 0n): void {
  k.callByName(UNLOCK_FN[mode], mode === "irqsave" ? [lock, flags] : [lock]);
}
/** _raw_spin_trylock: whether it took the lock. */
export function spinTryLock(k: Kernel, lock: bigint): boolean {
  return k.callByName("_raw_spin_trylock", [lock]) === 1n;
}
