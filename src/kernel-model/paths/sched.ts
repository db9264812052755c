// Scheduling: schedule -> __schedule with sched_switch, finish_task_switch,
// migrations (set_task_cpu with sched_migrate_task).
import type { Kernel } from "../kernel.js";
import type { Task } from "../tasks.js";

export function installSchedPaths(k: Kernel): void {
  const set = (name: string, impl: (args: readonly bigint[]) => bigint) => {
    for (const fn of k.functions.named(name)) fn.impl = (c) => impl(c.args);
  };
  set("schedule", () => k.callByName("__schedule", [0n]));
  set("__schedule", () => {
    const cpu = k.tasks.cpus[k.cpu]!;
    const runnable = k.tasks.all().filter((t) => t.cpu === k.cpu || k.rng.chance(0.1));
    const next: Task = runnable.length ? k.rng.pick(runnable) : cpu.current;
    const prev = cpu.current;
    if (next === prev) return 0n;
    k.fire(
      k.tracepoints.get("sched", "sched_switch")!,
      { prev_comm: prev.comm, prev_pid: BigInt(prev.pid), prev_prio: 120n, prev_state: k.rng.chance(0.5) ? 1n : 0n, next_comm: next.comm, next_pid: BigInt(next.pid), next_prio: 120n },
      [0n, prev.taskAddress, next.taskAddress, 0n],
    );
    k.tasks.switchTo(k.cpu, next);
    k.callByName("finish_task_switch", [prev.taskAddress]);
    return 0n;
  });
  set("finish_task_switch", () => 0n);
  set("set_task_cpu", ([p, newCpu]) => {
    const t = k.tasks.all().find((x) => x.taskAddress === p);
    if (!t) return 0n;
    k.fire(k.tracepoints.get("sched", "sched_migrate_task")!, { comm: t.comm, pid: BigInt(t.pid), prio: 120n, orig_cpu: BigInt(t.cpu), dest_cpu: newCpu! }, [p!, newCpu!]);
    t.cpu = Number(newCpu);
    return 0n;
  });
}

/** The sched workload's step: sometimes a task migrates, then the current CPU schedules. */
export function schedStep(k: Kernel): void {
  if (k.rng.chance(0.2)) {
    const t = k.rng.pick(k.tasks.all());
    k.callByName("set_task_cpu", [t.taskAddress, BigInt(k.rng.int(0, k.tasks.cpus.length - 1))]);
  }
  k.callByName("schedule", []);
}
