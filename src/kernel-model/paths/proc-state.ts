// Per-kernel process bookkeeping beyond the task_structs: each task's Proc
// (RCU users, the program a forked child runs, children, resident pages) and
// the lifecycle state process.ts keeps. Its own module so the paths that read
// it (oom.ts) need not import process.ts, which installs them.
import type { Kernel } from "../kernel.js";
import type { Task } from "../tasks.js";
import type { Vfs } from "./vfs.js";

/** What a process's life needs beyond its task_struct, per task. */
export interface Proc {
  /** rcu_users: the task's own reference (dropped when it is switched out dead) and release_task's. */
  rcuUsers: number;
  /** The user-space code it runs when first scheduled (what a forked child does). */
  program: ((k: Kernel, t: Task) => void) | undefined;
  /** Its children (forked by it and not reaped yet). */
  readonly children: Set<Task>;
  /** Resident pages (the OOM killer's measure). */
  rssPages: bigint;
}

export interface ProcessState {
  vfs: Vfs | undefined;
  net: bigint;
  readonly procs: Map<Task, Proc>;
  /** The child copy_process is making (dup_task_struct made it). */
  forking: Task | undefined;
  /** dup_task_struct is spawning: forkObjects leaves the child's objects to the copy_* functions. */
  forkingNext: boolean;
  /** Processes forked and reaped (lifecycle counts, for tests and the step). */
  forks: number;
  reaped: number;
}
const processStates = new WeakMap<Kernel, ProcessState>();
export function pstate(k: Kernel): ProcessState {
  let s = processStates.get(k);
  if (!s) processStates.set(k, (s = { vfs: undefined, net: 0n, procs: new Map(), forking: undefined, forkingNext: false, forks: 0, reaped: 0 }));
  return s;
}

/** The process bookkeeping of `t` (made on first use). */
export function procOf(k: Kernel, t: Task): Proc {
  const s = pstate(k);
  let p = s.procs.get(t);
  if (!p) s.procs.set(t, (p = { rcuUsers: 2, program: undefined, children: new Set(), rssPages: 0n }));
  return p;
}

