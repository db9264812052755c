// The scheduler, task, signal and oom events (ids 300-399).
import { comm, def } from "./common.js";
import type { TracepointDef } from "../tracepoints.js";

export function schedTracepoints(): TracepointDef[] {
  return [
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
  ];
}
