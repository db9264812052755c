// The OOM killer: out_of_memory (struct oom_control) -> select_bad_process
// -> oom_evaluate_task -> oom_badness for every user process, then
// oom_kill_process -> dump_header, __oom_kill_process (SIGKILL through
// do_send_sig_info, mark_oom_victim: oom:mark_victim) -> queue_oom_reaper
// -> wake_oom_reaper (oom:wake_reaper) -> oom_reap_task ->
// __oom_reap_task_mm (oom:start_task_reaping, oom:finish_task_reaping).
// A process touching more memory than the machine has (touchMemory) gets
// there.
import type { Kernel } from "../kernel.js";
import type { Task } from "../tasks.js";
import { alloc, setField } from "./fields.js";
import { get, taskAt } from "./sched.js";
import { exitToUser, SEND_SIG_PRIV, SIGKILL } from "./signal.js";
import { procOf } from "./proc-state.js";
import { OOM_SCORE_ADJ_MIN } from "./process-objects.js";
import { pathFunctions } from "./bind.js";

/** The machine's memory in pages (4 GiB) and what a process takes before its allocations fail. */
export const TOTAL_PAGES = 1n << 20n;
/** LONG_MIN: oom_badness's "never kill this one". */
const LONG_MIN = -(1n << 63n);
const PIDTYPE_TGID = 1n;
const GFP_HIGHUSER_MOVABLE = 0x100ccan;

/** `t` (current) faults in memory 1 GiB at a time until the allocation fails and the OOM killer runs; then it takes its SIGKILL. */
export function touchMemory(k: Kernel, t: Task): void {
  const p = procOf(k, t);
  for (let i = 0; i < 8 && !t.exited; i++) {
    // Touching a GiB takes the program a millisecond of its own time, during which the tick charges it.
    k.clock.advance(1_000_000n);
    k.callByName("sched_tick", []);
    p.rssPages += 1n << 18n;
    const mm = k.memory.readField(t.taskAddress, "task_struct", "mm");
    if (mm !== 0n) setField(k, mm, "mm_struct", "total_vm", k.memory.readField(mm, "mm_struct", "total_vm") + (1n << 18n));
    if (p.rssPages >= TOTAL_PAGES - (1n << 17n)) {
      // __alloc_pages_may_oom: the page allocator gives up and asks the OOM killer.
      const oc = alloc(k, "oom_control");
      setField(k, oc, "oom_control", "totalpages", TOTAL_PAGES);
      setField(k, oc, "oom_control", "chosen_points", LONG_MIN);
      k.memory.writeField(oc, "oom_control", "gfp_mask", GFP_HIGHUSER_MOVABLE);
      k.callByName("out_of_memory", [oc]);
      k.memory.free(oc);
      exitToUser(k, t);
    }
  }
}

export function installOomPaths(k: Kernel): void {
  const { set, call } = pathFunctions(k);
  const tp = (name: string) => k.tracepoints.get("oom", name)!;
  const tpVictim = tp("mark_victim");
  const tpWake = tp("wake_reaper");
  const tpStart = tp("start_task_reaping");
  const tpFinish = tp("finish_task_reaping");
  const tf = (t: Task, field: string) => get(k, t.taskAddress, "task_struct", field);
  const adjOf = (t: Task) => (tf(t, "signal") === 0n ? 0n : BigInt.asIntN(16, k.memory.readField(tf(t, "signal"), "signal_struct", "oom_score_adj")));
  /** oom_reaper's queue (the victims queue_oom_reaper handed it). */
  const reaperQueue: Task[] = [];

  set("out_of_memory", ([oc]) => {
    call("select_bad_process", oc!);
    const chosen = k.memory.readField(oc!, "oom_control", "chosen");
    if (chosen === 0n) return 0n;
    const msg = k.memory.kmalloc(16, true);
    k.memory.writeKernel(msg, new TextEncoder().encode("Out of memory\0"));
    call("oom_kill_process", oc!, msg);
    k.memory.free(msg);
    return 1n;
  });
  set("select_bad_process", ([oc]) => {
    for (const t of k.tasks.all()) {
      if (t.kthread || t.taskAddress === 0n) continue;
      if (call("oom_evaluate_task", t.taskAddress, oc!) !== 0n) break;
    }
    return 0n;
  });
  set("oom_evaluate_task", ([p, oc]) => {
    const t = taskAt(k, p!);
    if (!t || t.pid === 1) return 0n;
    const points = BigInt.asIntN(64, call("oom_badness", p!, k.memory.readField(oc!, "oom_control", "totalpages")));
    const best = BigInt.asIntN(64, k.memory.readField(oc!, "oom_control", "chosen_points"));
    if (points === LONG_MIN || points <= best) return 0n;
    setField(k, oc!, "oom_control", "chosen", p!);
    setField(k, oc!, "oom_control", "chosen_points", points);
    return 0n;
  });
  set("oom_badness", ([p, totalpages]) => {
    const t = taskAt(k, p!);
    if (!t || t.kthread || tf(t, "mm") === 0n) return LONG_MIN;
    const adj = adjOf(t);
    if (adj === OOM_SCORE_ADJ_MIN) return LONG_MIN;
    // rss + swap + page tables (one page of tables per 512 pages), then oom_score_adj in thousandths of the machine.
    const rss = procOf(k, t).rssPages + 512n;
    return rss + rss / 512n + (adj * totalpages!) / 1000n;
  });
  set("oom_kill_process", ([oc, message]) => {
    const victim = k.memory.readField(oc!, "oom_control", "chosen");
    call("dump_header", oc!);
    call("__oom_kill_process", victim, message!);
    return 0n;
  });
  set("dump_header", () => 0n);
  set("__oom_kill_process", ([p]) => {
    const t = taskAt(k, p!);
    if (!t) return 0n;
    call("do_send_sig_info", BigInt(SIGKILL), SEND_SIG_PRIV, p!, PIDTYPE_TGID);
    call("mark_oom_victim", p!);
    call("queue_oom_reaper", p!);
    return 0n;
  });
  set("mark_oom_victim", ([p]) => {
    const t = taskAt(k, p!);
    if (!t) return 0n;
    const mm = tf(t, "mm");
    if (tf(t, "signal") !== 0n) {
      setField(k, tf(t, "signal"), "signal_struct", "oom_mm", mm);
      setField(k, tf(t, "signal"), "signal_struct", "oom_flag_origin", 0n);
    }
    const rss = procOf(k, t).rssPages;
    k.fire(
      tpVictim,
      {
        pid: BigInt(t.pid),
        comm: t.comm,
        total_vm: mm === 0n ? 0n : k.memory.readField(mm, "mm_struct", "total_vm"),
        anon_rss: (rss * 4096n) >> 10n,
        file_rss: 0n,
        shmem_rss: 0n,
        uid: BigInt(t.uid),
        pgtables: ((rss / 512n) * 4096n) >> 10n,
        oom_score_adj: adjOf(t),
      },
      [p!, BigInt(t.uid)],
    );
    return 0n;
  });
  set("queue_oom_reaper", ([p]) => {
    const t = taskAt(k, p!);
    if (!t) return 0n;
    reaperQueue.push(t);
    // The reaper's timer (2 s later in Linux) fires: the model runs it at once.
    const timer = alloc(k, "timer_list");
    call("wake_oom_reaper", timer);
    k.memory.free(timer);
    return 0n;
  });
  set("wake_oom_reaper", () => {
    const t = reaperQueue.shift();
    if (!t) return 0n;
    k.fire(tpWake, { pid: BigInt(t.pid) }, [BigInt(t.pid)]);
    call("oom_reap_task", t.taskAddress);
    return 0n;
  });
  set("oom_reap_task", ([p]) => {
    const t = taskAt(k, p!);
    if (!t) return 0n;
    k.fire(tpStart, { pid: BigInt(t.pid) }, [BigInt(t.pid)]);
    const mm = tf(t, "mm");
    if (mm !== 0n) call("__oom_reap_task_mm", mm);
    procOf(k, t).rssPages = 0n;
    k.fire(tpFinish, { pid: BigInt(t.pid) }, [BigInt(t.pid)]);
    return 0n;
  });
  // The victim's anonymous memory is unmapped ahead of its exit.
  set("__oom_reap_task_mm", () => 1n);
}
