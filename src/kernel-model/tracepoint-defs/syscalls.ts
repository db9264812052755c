// The syscall events (ids 600-1099): raw_syscalls:sys_enter/sys_exit (the
// raw tracepoints every syscall fires, records trace_event_raw_sys_enter/
// sys_exit) and, generated from the syscall table, one
// syscalls:sys_enter_<name> / sys_exit_<name> pair per modelled syscall, laid
// out as kernel/trace/trace_syscalls.c defines them: `int __syscall_nr`, then
// one 8-byte slot per argument (struct syscall_trace_enter's args[], signed:0
// whatever the C type), or `long ret` (struct syscall_trace_exit). Their raw
// arguments are those of the raw tracepoint they hang off (regs, id / regs,
// ret).
import { arg, def, type FieldSpec } from "./common.js";
import type { TracepointDef } from "../tracepoints.js";
import { SYSCALL_TABLE } from "../syscall-table.js";

const ENTER_PROTO: [string, string][] = [
  ["struct pt_regs *", "regs"],
  ["long", "id"],
];
const EXIT_PROTO: [string, string][] = [
  ["struct pt_regs *", "regs"],
  ["long", "ret"],
];
const SYSCALL_NR: FieldSpec = { decl: "int __syscall_nr", name: "__syscall_nr", size: 4, signed: true };

/** Ids kept from before the table existed (programs and docs name them). */
const FIXED_IDS: ReadonlyMap<string, number> = new Map([
  ["sys_enter_write", 700],
  ["sys_exit_write", 701],
  ["sys_enter_openat", 702],
]);
/** The raw_syscalls events' ids, and where the other per-syscall events' ids start. */
const RAW_SYS_ENTER_ID = 600;
const RAW_SYS_EXIT_ID = 601;
const FIRST_FREE_ID = 703;

export function syscallsTracepoints(): TracepointDef[] {
  const out: TracepointDef[] = [
    def(RAW_SYS_ENTER_ID, "raw_syscalls", "sys_enter", [{ decl: "long id", name: "id", size: 8, signed: true }, { decl: "unsigned long args[6]", name: "args", size: 48, align: 8 }], ENTER_PROTO),
    def(RAW_SYS_EXIT_ID, "raw_syscalls", "sys_exit", [{ decl: "long id", name: "id", size: 8, signed: true }, arg("long ret", "ret", true)], EXIT_PROTO),
  ];
  let next = FIRST_FREE_ID;
  const idOf = (name: string) => {
    const fixed = FIXED_IDS.get(name);
    if (fixed !== undefined) return fixed;
    while ([...FIXED_IDS.values()].includes(next)) next++;
    return next++;
  };
  for (const s of SYSCALL_TABLE) {
    const enter = `sys_enter_${s.name}`;
    const exit = `sys_exit_${s.name}`;
    out.push(def(idOf(enter), "syscalls", enter, [SYSCALL_NR, ...s.args.map(([type, name]) => arg(`${type} ${name}`, name))], ENTER_PROTO));
    out.push(def(idOf(exit), "syscalls", exit, [SYSCALL_NR, arg("long ret", "ret", true)], EXIT_PROTO));
  }
  return out;
}
