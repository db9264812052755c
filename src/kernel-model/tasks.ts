// Tasks and CPUs: every task has pid/tgid/comm/parent and the address of
// its task_struct; every CPU has a current task and an execution context
// (process, softirq, hardirq) — what get_current_* helpers and the
// sched_switch tracepoint see. Tasks come and go: a task that exits is a
// zombie (exited, out of all()) until its parent reaps it (remove); pids
// advance and wrap at pid_max, skipping the ones in use, as alloc_pid does.

export interface Task {
  readonly pid: number;
  readonly tgid: number;
  comm: string;
  readonly parent: number;
  uid: number;
  gid: number;
  /** Kernel address of its task_struct (0 until the model allocates it). */
  taskAddress: bigint;
  /** CPU it last ran on. */
  cpu: number;
  exited: boolean;
  /** A kernel thread (PF_KTHREAD): no mm of its own, as the idle tasks and kworkers. */
  readonly kthread: boolean;
}

export interface SpawnOptions {
  /** Make a thread of this process (default: a new process). */
  tgid?: number;
  uid?: number;
  gid?: number;
  cpu?: number;
  /** A kernel thread (no mm). */
  kthread?: boolean;
}

export type ExecContext = "process" | "softirq" | "hardirq";

export interface Cpu {
  readonly id: number;
  current: Task;
  context: ExecContext;
  /** Number of context switches on this CPU. */
  switches: number;
}

/** pid_max (PID_MAX_LIMIT on 64-bit) and RESERVED_PIDS: where pid allocation wraps to. */
export const PID_MAX = 4194304;
const RESERVED_PIDS = 300;

/** The task table. pids start at 1 (init) with the swapper tasks as pid 0 per CPU. */
export class TaskTable {
  private readonly tasks = new Map<number, Task>();
  private nextPid = 1;
  /** all()'s answer until a task is spawned, exits or is removed. */
  private live: Task[] | undefined;
  readonly cpus: Cpu[];
  /** The idle task of each CPU (pid 0, comm swapper/N; swapper/0 is init_task). Not in all(): no pid is allocated for them. */
  readonly idle: readonly Task[];

  constructor(nrCpus: number) {
    if (!Number.isInteger(nrCpus) || nrCpus < 1 || nrCpus > 256) throw new RangeError(`nrCpus must be 1..256, got ${nrCpus}`);
    this.idle = Array.from({ length: nrCpus }, (_, id) => ({ pid: 0, tgid: 0, comm: `swapper/${id}`, parent: 0, uid: 0, gid: 0, taskAddress: 0n, cpu: id, exited: false, kthread: true }));
    this.cpus = Array.from({ length: nrCpus }, (_, id) => ({
      id,
      current: this.idle[id]!,
      context: "process" as ExecContext,
      switches: 0,
    }));
  }

  /** Creates a task (a new process when `tgid` is omitted, else a thread of `tgid`). */
  spawn(comm: string, parent: number, options: SpawnOptions = {}): Task {
    const pid = this.allocPid();
    const t: Task = {
      pid,
      tgid: options.tgid ?? pid,
      comm: comm.slice(0, 15),
      parent,
      uid: options.uid ?? 0,
      gid: options.gid ?? 0,
      taskAddress: 0n,
      cpu: options.cpu ?? 0,
      exited: false,
      kthread: options.kthread ?? false,
    };
    this.tasks.set(pid, t);
    this.live = undefined;
    return t;
  }

  /** The next free pid: last + 1, wrapping from pid_max to RESERVED_PIDS. */
  private allocPid(): number {
    for (;;) {
      if (this.nextPid >= PID_MAX) this.nextPid = RESERVED_PIDS;
      const pid = this.nextPid++;
      if (!this.tasks.has(pid)) return pid;
    }
  }

  /** The task exits: a zombie, no longer among the live tasks (still found by get until removed). */
  exit(pid: number): void {
    const t = this.tasks.get(pid);
    if (!t || t.exited) return;
    t.exited = true;
    this.live = undefined;
  }

  /** Forgets a task (its parent reaped it, release_task): its pid is free again. */
  remove(pid: number): boolean {
    const t = this.tasks.get(pid);
    if (!t) return false;
    t.exited = true;
    this.tasks.delete(pid);
    this.live = undefined;
    return true;
  }

  /** Number of tasks in the table, zombies included. */
  get size(): number {
    return this.tasks.size;
  }

  get(pid: number): Task | undefined {
    return this.tasks.get(pid);
  }

  /** Live tasks in pid order (a fresh array; the sorted list is kept until the table changes). */
  all(): Task[] {
    this.live ??= [...this.tasks.values()].filter((t) => !t.exited).sort((a, b) => a.pid - b.pid);
    return this.live.slice();
  }

  /** Makes `task` current on `cpu`; returns the previous task. */
  switchTo(cpu: number, task: Task): Task {
    const c = this.cpus[cpu]!;
    const prev = c.current;
    c.current = task;
    task.cpu = cpu;
    c.switches++;
    return prev;
  }
}
