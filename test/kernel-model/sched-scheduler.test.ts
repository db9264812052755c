// The scheduler of the synthetic kernel: run queues whose counts BPF
// programs read (rq->nr_running, cfs_rq->nr_queued, se.cfs_rq), CFS
// accounting on the tick (sum_exec_runtime, vruntime, sched_stat_runtime),
// sleeping and waking (nanosleep: sched_switch with prev_state S,
// sched_waking/sched_wakeup, the preempting switch back), sched_yield, load
// balancing (sched_migrate_task), sched_setscheduler's errors, kill(2).
import { describe, expect, it } from "vitest";
import { SyntheticKernel } from "../../src/kernel-model/synthetic.js";
import type { Task } from "../../src/kernel-model/tasks.js";
import { infoOf, runNow, schedState, setschedulerSyscall } from "../../src/kernel-model/paths/sched.js";
import { syscall } from "../../src/kernel-model/paths/syscalls.js";
import { runCli } from "../helpers/cli.js";

const rf = (k: SyntheticKernel, addr: bigint, type: string, path: string) => k.memory.readField(addr, type, path);
const ts = (k: SyntheticKernel, t: Task, path: string) => rf(k, t.taskAddress, "task_struct", path);
const u = (v: bigint) => BigInt.asUintN(64, v);

/** The events of `names`, as [name, pid of the firing task, a few fields]. */
function record(k: SyntheticKernel, names: string[]) {
  const out: [string, number, ...unknown[]][] = [];
  for (const tp of k.tracepoints.all()) {
    if (!names.includes(tp.name)) continue;
    k.tracepoints.attach(tp, (h) => {
      const dv = new DataView(h.record.buffer, h.record.byteOffset);
      const s = (name: string) => {
        const f = tp.fields.find((x) => x.name === name)!;
        return Buffer.from(h.record.subarray(f.offset, f.offset + f.size)).toString("latin1").replace(/\0.*$/s, "");
      };
      const i = (name: string) => {
        const f = tp.fields.find((x) => x.name === name)!;
        return f.size === 8 ? dv.getBigInt64(f.offset, true) : dv.getInt32(f.offset, true);
      };
      if (tp.name === "sched_switch") out.push([tp.name, h.pid, s("prev_comm"), i("prev_state"), s("next_comm"), h.args[0]]);
      else if (tp.name === "sched_migrate_task") out.push([tp.name, h.pid, s("comm"), i("orig_cpu"), i("dest_cpu")]);
      else if (tp.name === "sched_stat_runtime") out.push([tp.name, h.pid, s("comm"), i("runtime")]);
      else if (tp.name === "signal_generate") out.push([tp.name, h.pid, i("sig"), s("comm"), i("result")]);
      else out.push([tp.name, h.pid, s("comm"), i("pid"), i("target_cpu")]);
    });
  }
  return out;
}

describe("run queues", () => {
  it("each CPU's rq counts its runnable tasks; every task's se.cfs_rq is its CPU's, whose rq is that CPU", () => {
    const k = new SyntheticKernel({ seed: 2 });
    k.callByName("schedule", []); // the scheduler adopts the boot tasks on its first pass
    const s = schedState(k);
    const perCpu = s.rqs.map((rq) => [rf(k, rq.addr, "rq", "nr_running"), rf(k, rq.cfs, "cfs_rq", "nr_queued"), rf(k, rq.addr, "rq", "cpu")]);
    // The 7 user tasks round-robin on 4 CPUs; the kernel threads (kthreadd on 0, kworker/0:1 on 1) sleep, off the queues.
    expect(perCpu).toEqual([
      [2n, 2n, 0n],
      [2n, 2n, 1n],
      [2n, 2n, 2n],
      [1n, 1n, 3n],
    ]);
    for (const t of k.tasks.all()) {
      const cfs = ts(k, t, "se.cfs_rq");
      expect(cfs).toBe(s.rqs[t.cpu]!.cfs);
      expect(rf(k, rf(k, cfs, "cfs_rq", "rq"), "rq", "cpu")).toBe(BigInt(t.cpu));
      expect(ts(k, t, "se.load.weight")).toBe(1n << 20n);
    }
  });

  it("the tick charges the running task: sum_exec_runtime and vruntime grow by the time since it was last charged (sched_stat_runtime)", () => {
    const k = new SyntheticKernel({ seed: 2 });
    k.cpu = 1;
    const cur = k.current();
    k.callByName("sched_tick", []);
    const ev = record(k, ["sched_stat_runtime"]);
    const sum0 = ts(k, cur, "se.sum_exec_runtime");
    const vr0 = ts(k, cur, "se.vruntime");
    const start = ts(k, cur, "se.exec_start");
    k.clock.advance(1_000_000n);
    k.callByName("sched_tick", []);
    // The time since exec_start: the 1 ms plus the tick's own functions' body time up to update_curr.
    const delta = ts(k, cur, "se.exec_start") - start;
    expect(delta).toBeGreaterThan(1_000_000n);
    expect(delta).toBeLessThan(1_002_000n);
    expect(ts(k, cur, "se.sum_exec_runtime") - sum0).toBe(delta);
    expect(ts(k, cur, "se.vruntime") - vr0).toBe(delta); // nice 0: vruntime advances at wall rate
    expect(ev).toEqual([["sched_stat_runtime", cur.pid, cur.comm, delta]]);
  });
});

describe("sleeping and waking", () => {
  it("nanosleep: switched out as S, woken by its timer (waking, wakeup), switched back in by preemption; the syscall returns 0 after the time", () => {
    const k = new SyntheticKernel({ seed: 2 });
    const sshd = k.tasks.get(3)!;
    expect(sshd.comm).toBe("sshd");
    runNow(k, sshd);
    const ev = record(k, ["sched_switch", "sched_waking", "sched_wakeup"]);
    const user = k.memory.userSpace(sshd.tgid);
    const req = user.heapAlloc(16, new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x0d, 0x03, 0, 0, 0, 0, 0])); // 200,000 ns
    const t0 = k.clock.now();
    expect(syscall(k, "nanosleep", [req, 0n])).toBe(0n);
    expect(k.clock.now() - t0).toBeGreaterThan(200_000n);
    user.heapFree(req);
    // sshd shares CPU 1 with bash (pid 8): bash runs while sshd sleeps, its timer interrupts bash to wake sshd, which preempts bash.
    expect(ev).toEqual([
      ["sched_switch", 3, "sshd", 1n, "bash", 0n],
      ["sched_waking", 8, "sshd", 3, 1],
      ["sched_wakeup", 8, "sshd", 3, 1],
      ["sched_switch", 8, "bash", 0x100n, "sshd", 1n],
    ]);
    expect(k.current()).toBe(sshd);
    expect([ts(k, sshd, "__state"), ts(k, sshd, "nvcsw"), ts(k, sshd, "on_rq")]).toEqual([0n, 1n, 1n]);
  });

  it("a bad timespec: -EINVAL (nsec out of range), -EFAULT (unmapped)", () => {
    const k = new SyntheticKernel({ seed: 2 });
    const t = k.current();
    const user = k.memory.userSpace(t.tgid);
    const bad = user.heapAlloc(16, new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0xca, 0x9a, 0x3b, 0, 0, 0, 0])); // 1e9 ns
    expect(syscall(k, "nanosleep", [bad, 0n])).toBe(u(-22n));
    user.heapFree(bad);
    expect(syscall(k, "nanosleep", [0x1000n, 0n])).toBe(u(-14n));
  });

  it("sched_yield: the caller's vruntime goes past every other queued task's and another runs before it resumes", () => {
    const k = new SyntheticKernel({ seed: 2 });
    const curl = k.tasks.get(4)!;
    expect(curl.comm).toBe("curl");
    runNow(k, curl);
    const rq = schedState(k).rqs[curl.cpu]!;
    const ev = record(k, ["sched_switch"]);
    expect(syscall(k, "sched_yield", [])).toBe(0n);
    const others = rq.tasks.filter((t) => t !== curl);
    expect(others.length).toBeGreaterThan(0);
    for (const o of others) expect(infoOf(k, curl).vruntime).toBeGreaterThan(infoOf(k, o).vruntime - 1_000_000n);
    expect(ev.map((e) => [e[2], e[4]])).toEqual([
      ["curl", ev[0]![4]],
      [ev[0]![4], "curl"],
    ]);
    expect(k.current()).toBe(curl);
  });
});

describe("load balancing and policies", () => {
  it("an idle-ish CPU pulls a queued task from the busiest: sched_migrate_task, nr_running 3 and 3", () => {
    const k = new SyntheticKernel({ seed: 2, nrCpus: 2 });
    k.callByName("schedule", []);
    const s = schedState(k);
    const [rq0, rq1] = s.rqs as [(typeof s.rqs)[0], (typeof s.rqs)[0]];
    // One of CPU 1's queued tasks goes to sleep (dequeued): 4 runnable on CPU 0 (systemd, curl, postgres, iperf3), 2 on CPU 1.
    expect([rq0.tasks.length, rq1.tasks.length]).toEqual([4, 3]);
    for (const t of rq1.tasks.filter((x) => x !== k.tasks.cpus[1]!.current).slice(0, 1)) {
      infoOf(k, t).state = 1;
      k.cpu = 1;
      k.callByName("deactivate_task", [rq1.addr, t.taskAddress, 1n]);
    }
    expect([rq0.tasks.length, rq1.tasks.length]).toEqual([4, 2]);
    const ev = record(k, ["sched_migrate_task"]);
    k.cpu = 1;
    k.callByName("sched_balance_domains", [rq1.addr, 0n]);
    const moved = rq0.tasks.length === 3 ? ev[0]! : undefined;
    expect(moved).toBeDefined();
    expect(ev).toEqual([["sched_migrate_task", k.tasks.cpus[1]!.current.pid, moved![2], 0, 1]]);
    expect([rf(k, rq0.addr, "rq", "nr_running"), rf(k, rq1.addr, "rq", "nr_running")]).toEqual([3n, 3n]);
    const t = k.tasks.all().find((x) => x.comm === moved![2])!;
    expect([t.cpu, ts(k, t, "se.cfs_rq"), ts(k, t, "se.nr_migrations")]).toEqual([1, rq1.cfs, 1n]);
  });

  it("sched_setscheduler: SCHED_BATCH is taken; SCHED_FIFO without CAP_SYS_NICE -EPERM, policy 7 or a priority for SCHED_NORMAL -EINVAL, a bad pointer -EFAULT, no such pid -ESRCH", () => {
    const k = new SyntheticKernel({ seed: 2 });
    const t = k.current();
    const user = k.memory.userSpace(t.tgid);
    const zero = user.heapAlloc(4, new Uint8Array(4));
    const ten = user.heapAlloc(4, new Uint8Array([10, 0, 0, 0]));
    expect(setschedulerSyscall(k, 0n, 3n, zero)).toBe(0n);
    expect(ts(k, t, "policy")).toBe(3n);
    expect(setschedulerSyscall(k, 0n, 1n, ten)).toBe(u(-1n));
    expect(setschedulerSyscall(k, 0n, 7n, zero)).toBe(u(-22n));
    expect(setschedulerSyscall(k, 0n, 0n, ten)).toBe(u(-22n));
    expect(setschedulerSyscall(k, 0n, 0n, 0x10n)).toBe(u(-14n));
    expect(setschedulerSyscall(k, 99999n, 0n, zero)).toBe(u(-3n));
    expect(ts(k, t, "policy")).toBe(3n);
    expect(k.groundTruth("__sched_setscheduler")).toBe(4);
  });

  it("kill(2): no such process -ESRCH, signal 0 checks only, SIGHUP to sshd is queued for its handler (signal_generate result 0), a second one is already pending (result 2)", () => {
    const k = new SyntheticKernel({ seed: 2 });
    const ev = record(k, ["signal_generate"]);
    expect(syscall(k, "kill", [99999n, 15n])).toBe(u(-3n));
    expect(syscall(k, "kill", [3n, 0n])).toBe(0n);
    expect(syscall(k, "kill", [3n, 65n])).toBe(u(-22n));
    expect(syscall(k, "kill", [3n, 1n])).toBe(0n);
    expect(syscall(k, "kill", [3n, 1n])).toBe(0n);
    expect(ev.map((e) => e.slice(2))).toEqual([
      [1, "sshd", 0],
      [1, "sshd", 2],
    ]);
    const sshd = k.tasks.get(3)!;
    const shared = ts(k, sshd, "signal") + BigInt(k.memory.objects.field("signal_struct", "shared_pending").byteOffset);
    expect(rf(k, shared, "sigpending", "signal.sig[0]")).toBe(1n); // SIGHUP's bit
    expect(k.memory.slab.cache("sigqueue")?.stats.active).toBe(1);
  });
});

describe("the sched workload", () => {
  it("reaches every scheduler and process function and event of the area, and sched_switch's preempt flag is set for preemptions only", () => {
    const k = new SyntheticKernel({ seed: 1 });
    const preempts: [bigint, number][] = [];
    k.tracepoints.attach(k.tracepoints.get("sched", "sched_switch")!, (h) => {
      preempts.push([h.args[0]!, new DataView(h.record.buffer, h.record.byteOffset).getInt32(h.tp.fields.find((f) => f.name === "prev_state")!.offset, true)]);
    });
    k.run("sched", { count: 600 });
    for (const [preempt, state] of preempts) expect(preempt === 1n ? state === 0x100 : state !== 0x100).toBe(true);
    const names = [
      "wake_up_new_task", "try_to_wake_up", "wake_up_process", "sched_tick", "sched_setscheduler", "kernel_clone", "copy_process", "__put_task_struct", "__mmdrop", "do_exit", "do_group_exit", "exit_mmap",
      "sched_balance_rq", "detach_tasks", "attach_tasks", "do_nanosleep", "hrtimer_wakeup", "do_sched_yield", "get_signal", "handle_signal", "out_of_memory", "mark_oom_victim", "load_elf_binary", "release_task",
    ];
    expect(names.filter((n) => k.groundTruth(n, "function") === 0)).toEqual([]);
    const events = ["sched_waking", "sched_wakeup", "sched_wakeup_new", "sched_process_fork", "sched_process_exec", "sched_process_exit", "sched_process_free", "sched_process_wait", "sched_stat_runtime", "sched_migrate_task", "task_newtask", "task_rename", "signal_generate", "signal_deliver", "mark_victim", "wake_reaper", "start_task_reaping", "finish_task_reaping"];
    expect(events.filter((n) => (k.tracepoints.named(n) ? k.tracepoints.hits(k.tracepoints.named(n)!) : 0) === 0)).toEqual([]);
  });

  it("through the tracer: sched_switch's prev_state distinguishes sleeps (1), preemptions (256) and exits (32)", async () => {
    const r = await runCli("tracepoint:sched:sched_switch(prev_pid, prev_state, next_pid)", "--workload", "sched", "-c", "200", "--seed", "4", "--json");
    expect(r.code).toBe(0);
    const states = new Set(r.out.trim().split("\n").map((l) => (JSON.parse(l) as { values: { value: number }[] }).values[1]!.value));
    expect([...states].sort((a, b) => a - b)).toEqual([0, 1, 32, 256]);
  });
});
