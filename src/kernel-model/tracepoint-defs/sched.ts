// The scheduler, task, signal and oom events (ids 300-399), as Linux 6.12's
// format files lay them out (include/trace/events/sched.h, task.h,
// signal.h, oom.h).
import { comm, dataLoc, def, type FieldSpec } from "./common.js";
import type { TracepointDef } from "../tracepoints.js";

const i32 = (decl: string, name: string): FieldSpec => ({ decl, name, size: 4, signed: true });
const pid = (name: string) => i32(`pid_t ${name}`, name);
const ulong = (name: string): FieldSpec => ({ decl: `unsigned long ${name}`, name, size: 8 });
const oomScoreAdj: FieldSpec = { decl: "short oom_score_adj", name: "oom_score_adj", size: 2, signed: true };
const task: [string, string] = ["struct task_struct *", "p"];

/** comm, pid, prio: the sched_process_template class (exit, free) and sched_process_wait. */
const commPidPrio = () => [comm("comm"), pid("pid"), i32("int prio", "prio")];

export function schedTracepoints(): TracepointDef[] {
  return [
    def(300, "task", "task_newtask", [pid("pid"), comm("comm"), ulong("clone_flags"), oomScoreAdj], [["struct task_struct *", "task"], ["unsigned long", "clone_flags"]]),
    def(301, "task", "task_rename", [pid("pid"), comm("oldcomm"), comm("newcomm"), oomScoreAdj], [["struct task_struct *", "task"], ["const char *", "comm"]]),
    def(
      310,
      "signal",
      "signal_generate",
      [i32("int sig", "sig"), i32("int errno", "errno"), i32("int code", "code"), comm("comm"), pid("pid"), i32("int group", "group"), i32("int result", "result")],
      [["int", "sig"], ["struct kernel_siginfo *", "info"], ["struct task_struct *", "task"], ["int", "group"], ["int", "result"]],
    ),
    def(
      311,
      "signal",
      "signal_deliver",
      [i32("int sig", "sig"), i32("int errno", "errno"), i32("int code", "code"), ulong("sa_handler"), ulong("sa_flags")],
      [["int", "sig"], ["struct kernel_siginfo *", "info"], ["struct k_sigaction *", "ka"]],
    ),
    def(
      320,
      "sched",
      "sched_switch",
      [
        comm("prev_comm"),
        { decl: "pid_t prev_pid", name: "prev_pid", size: 4, signed: true },
        { decl: "int prev_prio", name: "prev_prio", size: 4, signed: true },
        { decl: "long prev_state", name: "prev_state", size: 8, signed: true },
        comm("next_comm"),
        { decl: "pid_t next_pid", name: "next_pid", size: 4, signed: true },
        { decl: "int next_prio", name: "next_prio", size: 4, signed: true },
      ],
      [["bool", "preempt"], ["struct task_struct *", "prev"], ["struct task_struct *", "next"], ["unsigned int", "prev_state"]],
    ),
    def(
      321,
      "sched",
      "sched_migrate_task",
      [
        comm("comm"),
        { decl: "pid_t pid", name: "pid", size: 4, signed: true },
        { decl: "int prio", name: "prio", size: 4, signed: true },
        { decl: "int orig_cpu", name: "orig_cpu", size: 4, signed: true },
        { decl: "int dest_cpu", name: "dest_cpu", size: 4, signed: true },
      ],
      [["struct task_struct *", "p"], ["int", "dest_cpu"]],
    ),
    ...["sched_waking", "sched_wakeup", "sched_wakeup_new"].map((name, i) =>
      def(322 + i, "sched", name, [comm("comm"), pid("pid"), i32("int prio", "prio"), i32("int target_cpu", "target_cpu")], [task], "sched_wakeup_template"),
    ),
    def(
      325,
      "sched",
      "sched_process_fork",
      [comm("parent_comm"), pid("parent_pid"), comm("child_comm"), pid("child_pid")],
      [["struct task_struct *", "parent"], ["struct task_struct *", "child"]],
    ),
    def(326, "sched", "sched_process_exec", [dataLoc("filename"), pid("pid"), pid("old_pid")], [task, ["pid_t", "old_pid"], ["struct linux_binprm *", "bprm"]]),
    def(327, "sched", "sched_process_exit", commPidPrio(), [task], "sched_process_template"),
    def(328, "sched", "sched_process_free", commPidPrio(), [task], "sched_process_template"),
    def(329, "sched", "sched_process_wait", commPidPrio(), [["struct pid *", "pid"]]),
    def(330, "sched", "sched_stat_runtime", [comm("comm"), pid("pid"), { decl: "u64 runtime", name: "runtime", size: 8 }], [["struct task_struct *", "tsk"], ["u64", "runtime"]]),
    def(
      390,
      "oom",
      "mark_victim",
      [
        i32("int pid", "pid"),
        dataLoc("comm"),
        ulong("total_vm"),
        ulong("anon_rss"),
        ulong("file_rss"),
        ulong("shmem_rss"),
        { decl: "uid_t uid", name: "uid", size: 4 },
        ulong("pgtables"),
        oomScoreAdj,
      ],
      [["struct task_struct *", "task"], ["uid_t", "uid"]],
    ),
    ...["wake_reaper", "start_task_reaping", "finish_task_reaping"].map((name, i) => def(391 + i, "oom", name, [i32("int pid", "pid")], [["int", "pid"]])),
  ];
}
