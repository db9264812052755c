// The syscall events: raw_syscalls and per-syscall syscalls:sys_enter_*/sys_exit_* (ids 600-1099).
import { arg, def } from "./common.js";
import type { TracepointDef } from "../tracepoints.js";

export function syscallsTracepoints(): TracepointDef[] {
  return [
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
