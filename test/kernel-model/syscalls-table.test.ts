// The syscall table (syscall-table.ts) and what is made from it: the
// __x64_sys_* prototypes of headers/syscalls.h (exactly the table's, each as
// Linux 6.18's BTF has it), the entry functions' prototypes, the argument
// names and types against 6.18's __do_sys_* where its BTF keeps them, and
// the syscall events: their ids, their format files, `btfsnoop list
// --tracepoints` and the raw tracepoints' prototypes against 6.18's
// btf_trace_sys_enter/exit.
import { describe, expect, it } from "vitest";
import type { Btf } from "../../src/btf/btf.js";
import { cTypeName } from "../../src/btf/c-name.js";
import { funcSignature } from "../../src/btf/funcs.js";
import { BtfKind } from "../../src/btf/kinds.js";
import { skipModsAndTypedefs } from "../../src/btf/layout.js";
import { main } from "../../src/cli/main.js";
import type { CliIo } from "../../src/cli/io.js";
import { collect } from "../../src/btf/format/sink.js";
import { formatPrototype } from "../../src/probe-spec/prototype.js";
import { NR_SYSCALLS, SYSCALL_TABLE, syscallNamed, syscallNumbered, wrapperName } from "../../src/kernel-model/syscall-table.js";
import { syscallsTracepoints } from "../../src/kernel-model/tracepoint-defs/syscalls.js";
import { formatFile } from "../../src/kernel-model/tracepoints.js";
import { syntheticVmlinux } from "../../src/kernel-model/vmlinux.js";
import { vmlinuxBtf } from "../helpers/fixtures.js";

const syn = syntheticVmlinux();
const v618 = vmlinuxBtf();

function funcId(btf: Btf, name: string): number | undefined {
  return btf.findByNameKind(name, BtfKind.FUNC);
}
const proto = (btf: Btf, name: string) => {
  const id = funcId(btf, name);
  return id === undefined ? undefined : formatPrototype(btf, id);
};

describe("the syscall table", () => {
  it("holds the 38 modelled syscalls with their x86-64 numbers, below NR_syscalls, names and numbers unique", () => {
    expect(SYSCALL_TABLE.map((s) => `${s.nr} ${s.name}`)).toEqual([
      "0 read", "1 write", "3 close", "8 lseek", "9 mmap", "10 mprotect", "11 munmap", "12 brk", "17 pread64", "18 pwrite64",
      "24 sched_yield", "35 nanosleep", "39 getpid", "41 socket", "42 connect", "44 sendto", "45 recvfrom", "46 sendmsg", "47 recvmsg",
      "48 shutdown", "49 bind", "50 listen", "56 clone", "59 execve", "61 wait4", "62 kill", "74 fsync", "75 fdatasync", "144 sched_setscheduler", "202 futex",
      "231 exit_group", "257 openat", "258 mkdirat", "262 newfstatat", "263 unlinkat", "288 accept4", "316 renameat2", "321 bpf",
    ]);
    expect(SYSCALL_TABLE.every((s) => s.nr < NR_SYSCALLS && s.args.length <= 6)).toBe(true);
    expect(new Set(SYSCALL_TABLE.map((s) => s.name)).size).toBe(SYSCALL_TABLE.length);
    expect([syscallNamed("openat")?.nr, syscallNumbered(59)?.name, syscallNamed("getppid"), syscallNumbered(182)]).toEqual([257, "execve", undefined, undefined]);
  });

  it("agrees with Linux 6.18's __do_sys_* where its BTF keeps them (names and types of the arguments)", () => {
    // the table writes types as SYSCALL_DEFINE does; BTF spells `unsigned long` as `long unsigned int`
    const norm = (t: string) => t.replace(/\bunsigned long\b/, "long unsigned int");
    const kept = ["brk", "clone", "newfstatat", "wait4"];
    for (const name of kept) {
      const sig = funcSignature(v618, funcId(v618, `__do_sys_${name}`)!);
      expect(sig.params.map((p) => [cTypeName(v618, p.type), p.name]), name).toEqual(syscallNamed(name)!.args.map(([t, n]) => [norm(t), n]));
    }
  });
});

describe("headers/syscalls.h", () => {
  it("declares __x64_sys_<name> for exactly the table's syscalls with arguments (and ni_syscall), __do_sys_<name> for those without, as Linux 6.18's BTF has them", () => {
    const names: string[] = [];
    for (let id = syn.startId; id < syn.typeCount; id++) {
      const t = syn.typeById(id);
      if (t.kind === BtfKind.FUNC && t.name.startsWith("__x64_sys_")) names.push(t.name.slice("__x64_sys_".length));
    }
    expect(names.sort()).toEqual([...SYSCALL_TABLE.filter((s) => s.args.length).map((s) => s.name), "ni_syscall"].sort());
    expect(SYSCALL_TABLE.filter((s) => !s.args.length).map(wrapperName)).toEqual(["__do_sys_sched_yield", "__do_sys_getpid"]);
    for (const s of SYSCALL_TABLE) {
      const w = wrapperName(s);
      expect(proto(syn, w)).toBe(s.args.length ? `long int ${w}(const struct pt_regs *regs);` : `long int ${w}(const struct pt_regs *__unused);`);
      // 6.18 names the parameter of some wrappers __unused (a COND_SYSCALL stub's prototype); the types agree
      expect(proto(v618, w)?.replace("__unused", s.args.length ? "regs" : "__unused"), w).toBe(proto(syn, w));
    }
  });

  it("declares the entry functions with Linux's prototypes", () => {
    for (const name of ["do_syscall_64", "x64_sys_call", "syscall_trace_enter", "syscall_exit_work", "sys_ni_syscall"]) {
      expect(proto(syn, name), name).toBe(proto(v618, name));
    }
    expect(proto(syn, "do_syscall_64")).toBe("bool do_syscall_64(struct pt_regs *regs, int nr);");
    // 6.18 inlines these two; 6.12 has them
    expect(proto(syn, "syscall_exit_to_user_mode")).toBe("void syscall_exit_to_user_mode(struct pt_regs *regs);");
    expect(proto(syn, "__x64_sys_ni_syscall")).toBe("long int __x64_sys_ni_syscall(const struct pt_regs *regs);");
  });
});

describe("syscall events", () => {
  const tps = syscallsTracepoints();
  const named = (n: string) => tps.find((t) => t.name === n)!;

  it("raw_syscalls:sys_enter/sys_exit and one sys_enter_/sys_exit_ pair per syscall, ids 600-601 and 700-775 (write 700/701, openat's enter 702)", () => {
    expect(tps.length).toBe(2 + 2 * SYSCALL_TABLE.length);
    expect(tps.slice(0, 2).map((t) => `${t.id} ${t.category}:${t.name}`)).toEqual(["600 raw_syscalls:sys_enter", "601 raw_syscalls:sys_exit"]);
    expect(tps.slice(2).map((t) => t.name)).toEqual(SYSCALL_TABLE.flatMap((s) => [`sys_enter_${s.name}`, `sys_exit_${s.name}`]));
    expect(tps.map((t) => t.id).sort((a, b) => a - b)).toEqual([600, 601, ...Array.from({ length: 76 }, (_, i) => 700 + i)]);
    expect([named("sys_enter_write").id, named("sys_exit_write").id, named("sys_enter_openat").id, named("sys_exit_openat").id, named("sys_enter_read").id]).toEqual([700, 701, 702, 763, 703]);
  });

  it("format files as Linux prints them: __syscall_nr, then 8-byte unsigned argument slots / a signed long ret", () => {
    const common =
      "format:\n\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n" +
      "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n";
    expect(formatFile(named("sys_enter_openat"))).toBe(
      "name: sys_enter_openat\nID: 702\n" +
        common +
        "\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n\tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;\n" +
        "\tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;\n\tfield:int flags;\toffset:32;\tsize:8;\tsigned:0;\n" +
        "\tfield:umode_t mode;\toffset:40;\tsize:8;\tsigned:0;\n",
    );
    expect(formatFile(named("sys_exit_write"))).toBe(
      "name: sys_exit_write\nID: 701\n" + common + "\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n\tfield:long ret;\toffset:16;\tsize:8;\tsigned:1;\n",
    );
    expect(formatFile(named("sys_enter"))).toBe(
      "name: sys_enter\nID: 600\n" + common + "\tfield:long id;\toffset:8;\tsize:8;\tsigned:1;\n\tfield:unsigned long args[6];\toffset:16;\tsize:48;\tsigned:0;\n",
    );
    expect(formatFile(named("sys_exit"))).toBe("name: sys_exit\nID: 601\n" + common + "\tfield:long id;\toffset:8;\tsize:8;\tsigned:1;\n\tfield:long ret;\toffset:16;\tsize:8;\tsigned:1;\n");
    expect(named("sys_enter_execve").fields.map((f) => `${f.decl}@${f.offset}`)).toEqual(["int __syscall_nr@8", "const char * filename@16", "const char *const * argv@24", "const char *const * envp@32"]);
    // a syscall without arguments: the record is struct syscall_trace_enter alone
    expect([named("sys_enter_getpid").fields.map((f) => f.name), named("sys_enter_getpid").size]).toEqual([["__syscall_nr"], 16]);
    expect(named("sys_enter_futex").size).toBe(64);
  });

  it("raw tracepoint prototypes: the per-syscall events hang off sys_enter(regs, id) / sys_exit(regs, ret), typed as Linux 6.18's btf_trace_sys_enter/exit", () => {
    const params = (btf: Btf, name: string) => {
      const ptr = btf.typeById(skipModsAndTypedefs(btf, btf.findByNameKind(name, BtfKind.TYPEDEF)!));
      const fp = ptr.kind === BtfKind.PTR ? btf.typeById(ptr.type) : undefined;
      return fp?.kind === BtfKind.FUNC_PROTO ? fp.params.map((p) => cTypeName(btf, p.type)) : [];
    };
    for (const name of ["btf_trace_sys_enter", "btf_trace_sys_exit"]) {
      expect(params(syn, name), name).toEqual(params(v618, name));
      expect(params(syn, name)).toEqual(["void *", "struct pt_regs *", "long int"]);
    }
    for (const t of tps) expect(t.proto.map((p) => `${p.type} ${p.name}`)).toEqual(["struct pt_regs * regs", t.name.includes("enter") ? "long id" : "long ret"]);
  });

  it("btfsnoop list --tracepoints shows them", async () => {
    let out = "";
    const io: CliIo = {
      out: async (s) => void (out += s),
      err: () => {},
      stream: async (fill) => void (out += collect(fill)),
      readStdin: async () => "",
      outputClosed: () => false,
    };
    expect(await main(["list", "--tracepoints", "raw_syscalls:*"], io)).toBe(0);
    expect(await main(["list", "--tracepoints", "syscalls:sys_*_connect"], io)).toBe(0);
    expect(out).toBe(
      "tracepoint:raw_syscalls:sys_enter { long id; unsigned long args[6]; }\nraw_tp:sys_enter(struct pt_regs *regs, long id)\n" +
        "tracepoint:raw_syscalls:sys_exit { long id; long ret; }\nraw_tp:sys_exit(struct pt_regs *regs, long ret)\n" +
        "tracepoint:syscalls:sys_enter_connect { int __syscall_nr; int fd; struct sockaddr * uservaddr; int addrlen; }\nraw_tp:sys_enter_connect(struct pt_regs *regs, long id)\n" +
        "tracepoint:syscalls:sys_exit_connect { int __syscall_nr; long ret; }\nraw_tp:sys_exit_connect(struct pt_regs *regs, long ret)\n",
    );
  });
});
