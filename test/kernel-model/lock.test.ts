// Locking (paths/locking.ts): mutexes, rw_semaphores and raw spinlocks with
// the lock:contention_begin/contention_end events when another CPU released
// the lock within its contention window, and the futex syscall.
import { describe, expect, it } from "vitest";
import { SyntheticKernel } from "../../src/kernel-model/synthetic.js";
import {
  LCB_F_MUTEX,
  LCB_F_READ,
  LCB_F_SPIN,
  LCB_F_WRITE,
  SLEEPING_CONTENTION_WINDOW_NS,
  SPIN_CONTENTION_WINDOW_NS,
  downRead,
  downWrite,
  futexWaiters,
  lockMutex,
  spinLock,
  spinUnlock,
  tryLockMutex,
  unlockMutex,
  upRead,
  upWrite,
} from "../../src/kernel-model/paths/locking.js";
import { syscall } from "../../src/kernel-model/paths/syscalls.js";
import { runCli } from "../helpers/cli.js";

const calls = (k: SyntheticKernel, name: string) => k.functions.countsOf(k.functions.named(name)[0]!).calls;

/** The contention events (name, lock address, flags or ret) while `fn` runs. */
function contention(k: SyntheticKernel, fn: () => void): [string, bigint, bigint][] {
  const got: [string, bigint, bigint][] = [];
  const d = ["contention_begin", "contention_end"].map((n) =>
    k.tracepoints.attach(k.tracepoints.get("lock", n)!, (hit) => {
      const v = new DataView(hit.record.buffer, hit.record.byteOffset);
      got.push([n, v.getBigUint64(8, true), BigInt(n === "contention_end" ? v.getInt32(16, true) : v.getUint32(16, true))]);
    }),
  );
  try {
    fn();
  } finally {
    for (const x of d) x();
  }
  return got;
}

describe("mutex", () => {
  it("uncontended on one CPU; taken on another CPU right after its release: the slow path with contention_begin (spin, then sleep for a long wait) and contention_end", () => {
    const k = new SyntheticKernel({ seed: 1 });
    const m = k.memory.alloc("mutex");
    k.cpu = 0;
    const quiet = contention(k, () => {
      lockMutex(k, m);
      // The owner word holds the task_struct of the holder.
      expect(k.memory.readField(m, "mutex", "owner.counter")).toBe(BigInt.asIntN(64, k.current().taskAddress));
      unlockMutex(k, m);
      lockMutex(k, m);
      unlockMutex(k, m);
    });
    expect(quiet).toEqual([]);
    expect(k.memory.readField(m, "mutex", "owner.counter")).toBe(0n);
    k.cpu = 1;
    const t0 = k.clock.now();
    const ev = contention(k, () => lockMutex(k, m));
    const waited = k.clock.now() - t0;
    // The holder's remaining critical section: 0.2 .. 6 us; past 2 us the waiter stops spinning and sleeps (a second begin, LCB_F_MUTEX alone).
    const long = ev.length === 3;
    expect(ev).toEqual([["contention_begin", m, LCB_F_MUTEX | LCB_F_SPIN], ...(long ? [["contention_begin", m, LCB_F_MUTEX]] : []), ["contention_end", m, 0n]]);
    expect(waited > 200n).toBe(true);
    expect(k.memory.readField(m, "mutex", "owner.counter")).toBe(BigInt.asIntN(64, k.current().taskAddress));
    // The unlock wakes the waiter it had: the unlock slow path.
    unlockMutex(k, m);
    expect([calls(k, "mutex_lock"), calls(k, "__mutex_lock_slowpath"), calls(k, "mutex_unlock"), calls(k, "__mutex_unlock_slowpath")]).toEqual([3, 1, 3, 1]);
  });

  it("a release older than the sleeping-lock window is no contention; a trylock fails instead of waiting", () => {
    const k = new SyntheticKernel({ seed: 1 });
    const m = k.memory.alloc("mutex");
    lockMutex(k, m);
    unlockMutex(k, m);
    k.cpu = 2;
    expect(tryLockMutex(k, m)).toBe(false);
    k.clock.advance(SLEEPING_CONTENTION_WINDOW_NS);
    expect(contention(k, () => lockMutex(k, m))).toEqual([]);
    unlockMutex(k, m);
    expect(calls(k, "__mutex_unlock_slowpath")).toBe(0);
  });
});

describe("rw_semaphore", () => {
  it("readers count in units of 256, a writer sets bit 0 and the owner; contended down_read/down_write take the slow paths with LCB_F_READ/LCB_F_WRITE", () => {
    const k = new SyntheticKernel({ seed: 5 });
    const sem = k.memory.alloc("rw_semaphore");
    downRead(k, sem);
    downRead(k, sem);
    expect(k.memory.readField(sem, "rw_semaphore", "count.counter")).toBe(512n);
    upRead(k, sem);
    upRead(k, sem);
    downWrite(k, sem);
    expect([k.memory.readField(sem, "rw_semaphore", "count.counter"), k.memory.readField(sem, "rw_semaphore", "owner.counter")]).toEqual([1n, BigInt.asIntN(64, k.current().taskAddress)]);
    upWrite(k, sem);
    expect([k.memory.readField(sem, "rw_semaphore", "count.counter"), k.memory.readField(sem, "rw_semaphore", "owner.counter")]).toEqual([0n, 0n]);
    k.cpu = 3;
    const ev = contention(k, () => {
      downRead(k, sem);
      upRead(k, sem);
      k.cpu = 0;
      downWrite(k, sem);
      upWrite(k, sem);
    });
    expect(ev).toEqual([
      ["contention_begin", sem, LCB_F_READ],
      ["contention_end", sem, 0n],
      ["contention_begin", sem, LCB_F_WRITE],
      ["contention_end", sem, 0n],
    ]);
    expect(["rwsem_down_read_slowpath", "rwsem_down_write_slowpath", "rwsem_wake"].map((n) => calls(k, n))).toEqual([1, 1, 2]);
  });
});

describe("raw spinlocks", () => {
  it("the locked byte while held; another CPU within the spin window goes through native_queued_spin_lock_slowpath", () => {
    const k = new SyntheticKernel({ seed: 1 });
    const lock = k.memory.kmalloc(8, true);
    const flags = spinLock(k, lock, "irqsave");
    expect(flags).toBe(0x246n);
    expect(k.memory.readField(lock, "raw_spinlock", "raw_lock.locked")).toBe(1n);
    spinUnlock(k, lock, "irqsave", flags);
    expect(k.memory.readField(lock, "raw_spinlock", "raw_lock.locked")).toBe(0n);
    k.cpu = 1;
    expect(contention(k, () => (spinLock(k, lock), spinUnlock(k, lock)))).toEqual([
      ["contention_begin", lock, LCB_F_SPIN],
      ["contention_end", lock, 0n],
    ]);
    k.clock.advance(SPIN_CONTENTION_WINDOW_NS);
    k.cpu = 2;
    expect(contention(k, () => (spinLock(k, lock, "irq"), spinUnlock(k, lock, "irq")))).toEqual([]);
    expect(["_raw_spin_lock_irqsave", "_raw_spin_unlock_irqrestore", "_raw_spin_lock", "_raw_spin_lock_irq", "native_queued_spin_lock_slowpath"].map((n) => calls(k, n))).toEqual([1, 1, 1, 1, 1]);
  });

  it("the workloads contend now and then: every wait ends, and the begins past the ends are long mutex waits' second begin", () => {
    const k = new SyntheticKernel({ seed: 1 });
    const begin = k.tracepoints.get("lock", "contention_begin")!;
    const end = k.tracepoints.get("lock", "contention_end")!;
    let sleeping = 0;
    k.tracepoints.attach(begin, (hit) => void (new DataView(hit.record.buffer, hit.record.byteOffset).getUint32(16, true) === Number(LCB_F_MUTEX) && sleeping++));
    k.run("mixed", { count: 3000 });
    const e = k.tracepoints.hits(end);
    expect(e).toBeGreaterThan(5);
    expect(k.tracepoints.hits(begin) - e).toBe(sleeping);
  }, 60_000);
});

describe("futex", () => {
  it("FUTEX_WAIT_PRIVATE sleeps when the word holds the value (-EAGAIN when not), FUTEX_WAKE_PRIVATE wakes the waiter; a timed wait arms and cancels an hrtimer", () => {
    const k = new SyntheticKernel({ seed: 1 });
    const user = k.memory.userSpace(k.current().tgid);
    const word = user.heapAlloc(4, Uint8Array.of(7, 0, 0, 0));
    const sys = (...args: bigint[]) => BigInt.asIntN(64, syscall(k, "futex", args));
    expect(sys(word, 128n, 7n, 0n, 0n, 0n)).toBe(0n);
    expect(futexWaiters(k, word)).toBe(1);
    expect(sys(word, 128n, 8n, 0n, 0n, 0n)).toBe(-11n);
    const hr = ["hrtimer_init", "hrtimer_start", "hrtimer_cancel"].map((n) => k.tracepoints.get("timer", n)!);
    const ts = user.heapAlloc(16);
    user.write(ts, new Uint8Array(new BigInt64Array([0n, 5_000_000n]).buffer));
    expect(sys(word, 128n, 7n, ts, 0n, 0n)).toBe(0n);
    expect(hr.map((t) => k.tracepoints.hits(t))).toEqual([1, 1, 1]);
    expect(futexWaiters(k, word)).toBe(2);
    expect(sys(word, 129n, 1n, 0n, 0n, 0n)).toBe(1n);
    expect(sys(word, 129n, 5n, 0n, 0n, 0n)).toBe(1n);
    expect(sys(word, 129n, 1n, 0n, 0n, 0n)).toBe(0n);
    // A misaligned futex is -EINVAL (before hashing); an unmapped one -EFAULT (hashed, then the word cannot be read).
    expect(sys(word + 1n, 128n, 7n, 0n, 0n, 0n)).toBe(-22n);
    expect(sys(0x1000n, 128n, 7n, 0n, 0n, 0n)).toBe(-14n);
    expect(["do_futex", "futex_wait", "__futex_wait", "futex_wait_setup", "futex_wake", "futex_wake_mark", "get_futex_key", "futex_hash"].map((n) => calls(k, n))).toEqual([8, 5, 5, 5, 3, 2, 8, 7]);
  });
});

describe("through the tracer", () => {
  it("btfsnoop trace tracepoint:lock:contention_end on the fs workload: each wait's lock address and ret 0, as many records as waits", async () => {
    const r = await runCli("tracepoint:lock:contention_end", "--workload", "fs", "-d", "30ms", "--format", "json", "--check");
    expect(r.code).toBe(0);
    type Ev = { func: string; values: { name: string; value: number | string }[] };
    const events = r.out.trim().split("\n").map((l) => JSON.parse(l) as Ev);
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) {
      const v = Object.fromEntries(e.values.map((x) => [x.name, x.value]));
      expect([e.func, String(v.lock_addr).startsWith("0xffff8881"), v.ret]).toEqual(["lock:contention_end", true, 0]);
    }
    expect(r.err).toMatch(new RegExp(`ok lock:contention_end: ${events.length} calls -> ${events.length} records expected`));
  }, 60_000);
});
