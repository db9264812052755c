// The model's tracepoints with the record layouts of Linux 6.x format files
// (offsets follow the kernel's: the syscall events give every argument 8
// bytes) and their TP_PROTO arguments for raw tracepoints.
import { layoutFields, type TracepointDef } from "./tracepoints.js";

type FieldSpec = { decl: string; name: string; size: number; align?: number; signed?: boolean };

function def(id: number, category: string, name: string, fields: FieldSpec[], proto: [string, string][]): TracepointDef {
  const l = layoutFields(fields);
  return { id, category, name, fields: l.fields, size: l.size, proto: proto.map(([type, n]) => ({ type, name: n })) };
}

const comm = (name: string): FieldSpec => ({ decl: `char ${name}[16]`, name, size: 16, align: 1 });
const dataLoc = (name: string): FieldSpec => ({ decl: `__data_loc char[] ${name}`, name, size: 4, align: 4 });
const arg = (decl: string, name: string, signed = false): FieldSpec => ({ decl, name, size: 8, signed });

/** The tracepoints every model kernel has. */
export function standardTracepoints(): TracepointDef[] {
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
    def(
      1420,
      "skb",
      "kfree_skb",
      [
        { decl: "void * skbaddr", name: "skbaddr", size: 8 },
        { decl: "void * location", name: "location", size: 8 },
        { decl: "unsigned short protocol", name: "protocol", size: 2 },
        { decl: "enum skb_drop_reason reason", name: "reason", size: 4 },
      ],
      [["struct sk_buff *", "skb"], ["void *", "location"], ["enum skb_drop_reason", "reason"], ["struct sock *", "rx_sk"]],
    ),
    def(
      1430,
      "net",
      "netif_receive_skb",
      [{ decl: "void * skbaddr", name: "skbaddr", size: 8 }, { decl: "unsigned int len", name: "len", size: 4 }, dataLoc("name")],
      [["struct sk_buff *", "skb"]],
    ),
    def(
      1431,
      "net",
      "net_dev_xmit",
      [
        { decl: "void * skbaddr", name: "skbaddr", size: 8 },
        { decl: "unsigned int len", name: "len", size: 4 },
        { decl: "int rc", name: "rc", size: 4, signed: true },
        dataLoc("name"),
      ],
      [["struct sk_buff *", "skb"], ["int", "rc"], ["struct net_device *", "dev"], ["unsigned int", "skb_len"]],
    ),
    def(
      1500,
      "block",
      "block_rq_issue",
      [
        { decl: "dev_t dev", name: "dev", size: 4 },
        { decl: "sector_t sector", name: "sector", size: 8 },
        { decl: "unsigned int nr_sector", name: "nr_sector", size: 4 },
        { decl: "unsigned int bytes", name: "bytes", size: 4 },
        { decl: "unsigned short ioprio", name: "ioprio", size: 2 },
        { decl: "char rwbs[8]", name: "rwbs", size: 8, align: 1 },
        comm("comm"),
        dataLoc("cmd"),
      ],
      [["struct request *", "rq"]],
    ),
    def(
      1501,
      "block",
      "block_rq_complete",
      [
        { decl: "dev_t dev", name: "dev", size: 4 },
        { decl: "sector_t sector", name: "sector", size: 8 },
        { decl: "unsigned int nr_sector", name: "nr_sector", size: 4 },
        { decl: "int error", name: "error", size: 4, signed: true },
        { decl: "unsigned short ioprio", name: "ioprio", size: 2 },
        { decl: "char rwbs[8]", name: "rwbs", size: 8, align: 1 },
        dataLoc("cmd"),
      ],
      [["struct request *", "rq"], ["blk_status_t", "error"], ["unsigned int", "nr_bytes"]],
    ),
    def(
      700,
      "syscalls",
      "sys_enter_write",
      [{ decl: "int __syscall_nr", name: "__syscall_nr", size: 4, signed: true }, arg("unsigned int fd", "fd"), arg("const char * buf", "buf"), arg("size_t count", "count")],
      [["struct pt_regs *", "regs"], ["long", "id"]],
    ),
    def(
      701,
      "syscalls",
      "sys_exit_write",
      [{ decl: "int __syscall_nr", name: "__syscall_nr", size: 4, signed: true }, arg("long ret", "ret", true)],
      [["struct pt_regs *", "regs"], ["long", "ret"]],
    ),
    def(
      702,
      "syscalls",
      "sys_enter_openat",
      [
        { decl: "int __syscall_nr", name: "__syscall_nr", size: 4, signed: true },
        arg("int dfd", "dfd", true),
        arg("const char * filename", "filename"),
        arg("int flags", "flags", true),
        arg("umode_t mode", "mode"),
      ],
      [["struct pt_regs *", "regs"], ["long", "id"]],
    ),
  ];
}
