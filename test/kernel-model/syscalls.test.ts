// The x86-64 syscall entry (paths/syscalls.ts): the calls and events of one
// syscall in Linux 6.12's order, the saved registers and the records the
// events carry, the -ENOSYS paths, syscalls that do not return, the scratch
// user memory, and a BPF program on syscalls:sys_enter_openat reading the
// filename from user memory. Most tests run on a bare kernel (the synthetic
// BTF's functions with only the entry's bodies installed), so no other
// area's syscall implementations move the expected values.
import { describe, expect, it } from "vitest";
import { Kernel } from "../../src/kernel-model/kernel.js";
import { registerBtfFunctions } from "../../src/kernel-model/scale.js";
import { syntheticVmlinux } from "../../src/kernel-model/vmlinux.js";
import { defineSyscall, releaseSyscallRegs, syscall, syscallNr, syscallRegsOf, userBuffer, userString } from "../../src/kernel-model/paths/syscalls.js";
import type { TracepointHit } from "../../src/kernel-model/tracepoints.js";
import { bootSyntheticKernel } from "../../src/syscall/boot.js";
import { HelperId } from "../../src/vm/helpers/protos.js";
import { ProgramBuilder } from "../../src/vm/isa/builder.js";
import { encodeProgram } from "../../src/vm/isa/encode.js";
import { JmpOp, Size } from "../../src/vm/isa/opcodes.js";

const hex = (v: bigint) => `0x${v.toString(16)}`;
const ENOSYS_U64 = 0xffffffffffffffdan;

/** A kernel with the synthetic BTF's functions (default bodies), one CPU running task "app". */
function bare() {
  const k = new Kernel({ btf: syntheticVmlinux(), seed: 1, nrCpus: 1 });
  registerBtfFunctions(k, k.btf);
  const t = k.spawn("app", 1);
  k.tasks.switchTo(0, t);
  return { k, t };
}

const ENTRY_FNS = ["do_syscall_64", "syscall_trace_enter", "x64_sys_call", "syscall_exit_to_user_mode", "syscall_exit_work", "sys_ni_syscall", "__x64_sys_ni_syscall"];
const RAW = [
  ["raw_syscalls", "sys_enter"],
  ["raw_syscalls", "sys_exit"],
] as const;

/** Logs fentry/fexit of the entry's functions (and `extra`) and the syscall events, naming the task's pt_regs "regs". */
function logEntry(k: Kernel, extra: string[], events: [string, string][]) {
  const log: string[] = [];
  let regs = -1n;
  const show = (v: bigint) => (v === regs ? "regs" : hex(v));
  for (const name of [...ENTRY_FNS, ...extra]) {
    k.functions.attach(k.functions.named(name)[0]!, {
      entry: (c) => {
        if (name === "do_syscall_64") regs = c.args[0]!;
        log.push(`fentry ${name}(${c.args.map(show).join(", ")})`);
      },
      exit: (_c, ret) => log.push(`fexit ${name} = ${hex(ret)}`),
    });
  }
  for (const [cat, name] of [...RAW, ...events]) {
    k.tracepoints.attach(k.tracepoints.get(cat, name)!, (hit) => log.push(`tp ${cat}:${name}(${hit.args.map((a) => (a === regs ? "regs" : a.toString())).join(", ")})`));
  }
  return log;
}

describe("syscall entry: the path of one syscall", () => {
  it("write: do_syscall_64 -> syscall_trace_enter (sys_enter events) -> x64_sys_call -> __x64_sys_write -> impl, then syscall_exit_to_user_mode -> syscall_exit_work (sys_exit events)", () => {
    const { k } = bare();
    const log = logEntry(k, ["__x64_sys_write"], [
      ["syscalls", "sys_enter_write"],
      ["syscalls", "sys_exit_write"],
    ]);
    defineSyscall(k, "write", ([fd, buf, count]) => {
      log.push(`impl write(${fd}, ${buf === 0x1000n ? "buf" : hex(buf!)}, ${count})`);
      return count!;
    });
    expect(syscall(k, "write", [3n, 0x1000n, 5n])).toBe(5n);
    expect(log).toEqual([
      "fentry do_syscall_64(regs, 0x1)",
      "fentry syscall_trace_enter(regs, 0x1, 0x2)",
      "tp raw_syscalls:sys_enter(regs, 1)",
      "tp syscalls:sys_enter_write(regs, 1)",
      "fexit syscall_trace_enter = 0x1",
      "fentry x64_sys_call(regs, 0x1)",
      "fentry __x64_sys_write(regs)",
      "impl write(3, buf, 5)",
      "fexit __x64_sys_write = 0x5",
      "fexit x64_sys_call = 0x5",
      "fentry syscall_exit_to_user_mode(regs)",
      "fentry syscall_exit_work(regs, 0x2)",
      "tp raw_syscalls:sys_exit(regs, 5)",
      "tp syscalls:sys_exit_write(regs, 5)",
      "fexit syscall_exit_work = 0x0",
      "fexit syscall_exit_to_user_mode = 0x0",
      "fexit do_syscall_64 = 0x1",
    ]);
  });

  it("saves the user registers as entry_SYSCALL_64 does; the records carry the number and the arguments from them", () => {
    const { k, t } = bare();
    const seen: { regs: Record<string, string>; hit: TracepointHit }[] = [];
    const REGS = ["r15", "r14", "r13", "r12", "bp", "bx", "r11", "r10", "r9", "r8", "ax", "cx", "dx", "si", "di", "orig_ax", "ip", "cs", "flags", "sp", "ss"];
    const snap = (hit: TracepointHit) => {
      const regs = Object.fromEntries(REGS.map((r) => [r, hex(k.memory.readField(hit.args[0]!, "pt_regs", r))]));
      seen.push({ regs, hit });
    };
    for (const [cat, name] of [...RAW, ["syscalls", "sys_enter_futex"], ["syscalls", "sys_exit_futex"]] as const) k.tracepoints.attach(k.tracepoints.get(cat, name)!, snap);
    // futex has six arguments; nothing implements it on this kernel: -ENOSYS.
    expect(syscall(k, "futex", [0x1111n, 0x2222n, 0x33n, 0x44n, 0x55n, 0x66n])).toBe(ENOSYS_U64);
    const atEnter = {
      r15: "0x0", r14: "0x0", r13: "0x0", r12: "0x0", bp: "0x0", bx: "0x0",
      r11: "0x246", r10: "0x44", r9: "0x66", r8: "0x55", ax: "0xffffffffffffffda", cx: "0x7ffff7e9acad",
      dx: "0x33", si: "0x2222", di: "0x1111", orig_ax: "0xca", ip: "0x7ffff7e9acad", cs: "0x33", flags: "0x246", sp: "0x7ffccffffdf8", ss: "0x2b",
    };
    expect(seen.map((s) => `${s.hit.tp.category}:${s.hit.tp.name}`)).toEqual(["raw_syscalls:sys_enter", "syscalls:sys_enter_futex", "raw_syscalls:sys_exit", "syscalls:sys_exit_futex"]);
    expect(seen[0]!.regs).toEqual(atEnter);
    expect(seen[3]!.regs).toEqual(atEnter); // ax already held -ENOSYS: the return value is the same
    const u64s = (h: TracepointHit, from: number, n: number) => Array.from({ length: n }, (_, i) => new DataView(h.record.buffer).getBigUint64(from + 8 * i, true));
    const head = (h: TracepointHit) => {
      const v = new DataView(h.record.buffer);
      return [v.getUint16(0, true), v.getInt32(4, true), h.record.length];
    };
    // raw_syscalls:sys_enter { long id; unsigned long args[6]; }
    expect(head(seen[0]!.hit)).toEqual([600, t.pid, 64]);
    expect(u64s(seen[0]!.hit, 8, 7)).toEqual([202n, 0x1111n, 0x2222n, 0x33n, 0x44n, 0x55n, 0x66n]);
    // syscalls:sys_enter_futex { int __syscall_nr; u32 * uaddr; int op; u32 val; const struct __kernel_timespec * utime; u32 * uaddr2; u32 val3; }
    const enter = seen[1]!.hit;
    expect(head(enter)).toEqual([enter.tp.id, t.pid, 64]);
    expect(new DataView(enter.record.buffer).getInt32(8, true)).toBe(202);
    expect(u64s(enter, 16, 6)).toEqual([0x1111n, 0x2222n, 0x33n, 0x44n, 0x55n, 0x66n]);
    // raw_syscalls:sys_exit { long id; long ret; } and syscalls:sys_exit_futex { int __syscall_nr; long ret; }
    expect(head(seen[2]!.hit)).toEqual([601, t.pid, 24]);
    expect(u64s(seen[2]!.hit, 8, 2)).toEqual([202n, ENOSYS_U64]);
    expect(seen[2]!.hit.args).toEqual([seen[2]!.hit.args[0], -38n]);
    const exit = seen[3]!.hit;
    expect([new DataView(exit.record.buffer).getInt32(8, true), new DataView(exit.record.buffer).getBigInt64(16, true), exit.record.length]).toEqual([202, -38n, 24]);
  });

  it("one pt_regs per task, reused by its later syscalls and freed by releaseSyscallRegs", () => {
    const { k, t } = bare();
    expect(syscallRegsOf(k, t.pid)).toBeUndefined();
    syscall(k, "getpid", []);
    const regs = syscallRegsOf(k, t.pid)!;
    let live = k.memory.usage().liveObjects;
    syscall(k, "getpid", []);
    expect([syscallRegsOf(k, t.pid), k.memory.usage().liveObjects]).toEqual([regs, live]);
    const other = k.spawn("other", 1);
    k.tasks.switchTo(0, other);
    live = k.memory.usage().liveObjects; // with the new task's task_struct
    syscall(k, "getpid", []);
    expect(syscallRegsOf(k, other.pid)).not.toBe(regs);
    expect(k.memory.usage().liveObjects).toBe(live + 1);
    releaseSyscallRegs(k, other.pid);
    releaseSyscallRegs(k, other.pid); // twice: nothing left to free
    expect([syscallRegsOf(k, other.pid), k.memory.usage().liveObjects]).toEqual([undefined, live]);
  });
});

describe("syscall entry: -ENOSYS", () => {
  const counts = (k: Kernel) => Object.fromEntries(["x64_sys_call", "__x64_sys_ni_syscall", "sys_ni_syscall", "__x64_sys_kill"].map((n) => [n, k.functions.countsOf(k.functions.named(n)[0]!).calls]));
  const perSyscallHits = (k: Kernel) => k.tracepoints.all().filter((tp) => tp.category === "syscalls").reduce((n, tp) => n + k.tracepoints.hits(tp), 0);

  it("a number the table has no syscall for (182, putpmsg) goes x64_sys_call -> __x64_sys_ni_syscall -> sys_ni_syscall; only the raw events fire", () => {
    const { k } = bare();
    const ids: bigint[] = [];
    for (const [cat, name] of RAW) k.tracepoints.attach(k.tracepoints.get(cat, name)!, (h) => ids.push(h.args[1]!));
    expect(syscallNr(k, 182, [1n, 2n])).toBe(ENOSYS_U64);
    expect(counts(k)).toEqual({ x64_sys_call: 1, __x64_sys_ni_syscall: 1, sys_ni_syscall: 1, __x64_sys_kill: 0 });
    expect(ids).toEqual([182n, -38n]);
    expect(perSyscallHits(k)).toBe(0);
  });

  it("a number past NR_syscalls (500) is not dispatched: do_syscall_64 calls __x64_sys_ni_syscall itself", () => {
    const { k } = bare();
    expect(syscallNr(k, 500, [])).toBe(ENOSYS_U64);
    expect(counts(k)).toEqual({ x64_sys_call: 0, __x64_sys_ni_syscall: 1, sys_ni_syscall: 1, __x64_sys_kill: 0 });
  });

  it("-1 (a syscall skipped by a tracer) runs nothing and returns the -ENOSYS the entry put in ax", () => {
    const { k } = bare();
    expect(syscallNr(k, -1, [])).toBe(ENOSYS_U64);
    expect(counts(k)).toEqual({ x64_sys_call: 0, __x64_sys_ni_syscall: 0, sys_ni_syscall: 0, __x64_sys_kill: 0 });
    expect(k.functions.countsOf(k.functions.named("syscall_exit_to_user_mode")[0]!).calls).toBe(1);
  });

  it("a modelled syscall no area implements is a COND_SYSCALL stub: __x64_sys_kill -> sys_ni_syscall, with its own events", () => {
    const { k } = bare();
    expect(syscall(k, "kill", [1234n, 9n])).toBe(ENOSYS_U64);
    expect(counts(k)).toEqual({ x64_sys_call: 1, __x64_sys_ni_syscall: 0, sys_ni_syscall: 1, __x64_sys_kill: 1 });
    expect([k.groundTruth("syscalls:sys_enter_kill"), k.groundTruth("syscalls:sys_exit_kill"), perSyscallHits(k)]).toEqual([1, 1, 2]);
  });

  it("refuses names outside the table and malformed calls with a clear error", () => {
    const { k } = bare();
    expect(() => defineSyscall(k, "getppid", () => 0n)).toThrow(new RangeError("syscall 'getppid' is not in the syscall table (src/kernel-model/syscall-table.ts)"));
    expect(() => syscall(k, "nosuch", [])).toThrow(new RangeError("syscall 'nosuch' is not in the syscall table (src/kernel-model/syscall-table.ts)"));
    expect(() => syscallNr(k, 1, [1n, 2n, 3n, 4n, 5n, 6n, 7n])).toThrow(new RangeError("a syscall takes at most 6 arguments, not 7"));
    expect(() => syscallNr(k, 1.5, [])).toThrow(new RangeError("syscall number 1.5 is not an int"));
  });
});

describe("syscall entry: syscalls that do not return", () => {
  it("exit_group whose task exits (do_exit frees its pt_regs): no exit half, no sys_exit events, the regs freed", () => {
    const { k, t } = bare();
    syscall(k, "getpid", []);
    const regs = syscallRegsOf(k, t.pid)!;
    const live = k.memory.usage().liveObjects;
    defineSyscall(k, "exit_group", () => {
      releaseSyscallRegs(k, t.pid);
      return 0n;
    });
    const exits = () => k.functions.countsOf(k.functions.named("syscall_exit_to_user_mode")[0]!).calls;
    const before = [exits(), k.groundTruth("raw_syscalls:sys_exit")];
    expect(syscall(k, "exit_group", [0n])).toBe(0n);
    expect([exits(), k.groundTruth("raw_syscalls:sys_exit"), k.groundTruth("syscalls:sys_enter_exit_group"), k.groundTruth("syscalls:sys_exit_exit_group")]).toEqual([...before, 1, 0]);
    expect([syscallRegsOf(k, t.pid), k.memory.usage().liveObjects]).toEqual([undefined, live - 1]);
    expect(() => k.memory.readField(regs, "pt_regs", "ax")).toThrow();
  });

  it("exit_group never has an exit half, even when the model's task lives on", () => {
    const { k } = bare();
    defineSyscall(k, "exit_group", () => 0n);
    syscall(k, "exit_group", [1n]);
    expect([k.groundTruth("syscall_exit_to_user_mode"), k.groundTruth("syscalls:sys_exit_exit_group"), k.groundTruth("raw_syscalls:sys_exit")]).toEqual([0, 0, 0]);
  });
});

describe("syscall entry: user memory for pointer arguments", () => {
  it("userString/userBuffer are readable by the kernel side and freed when the syscall returns", () => {
    const { k, t } = bare();
    const space = k.memory.userSpace(t.tgid);
    const heapBefore = space.heapBytes;
    const read = (addr: bigint, n: number) => {
      const b = new Uint8Array(n);
      const rc = k.memory.readUser(t.tgid, b, addr);
      return rc === 0 ? Buffer.from(b).toString("latin1") : rc;
    };
    let inside: (string | number)[] = [];
    defineSyscall(k, "renameat2", ([, oldname, , newname]) => {
      inside = [read(oldname!, 11), read(newname!, 5)];
      return 0n;
    });
    const a = userString(k, "/etc/hosts");
    const b = userBuffer(k, 5, "abcd");
    expect(space.heapBytes - heapBefore).toBe(32);
    expect(syscall(k, "renameat2", [BigInt.asUintN(64, -100n), a, BigInt.asUintN(64, -100n), b, 0n])).toBe(0n);
    expect(inside).toEqual(["/etc/hosts\0", "abcd\0"]);
    expect([read(a, 1), read(b, 1), space.heapBytes]).toEqual([-14, -14, heapBefore]);
  });
});

describe("syscall tracepoints through bpf(2)", () => {
  it("a tracepoint program on syscalls:sys_enter_openat reads the filename with bpf_probe_read_user_str", () => {
    const { kernel, bpf } = bootSyntheticKernel({ seed: 4, nrCpus: 2 });
    const tp = kernel.tracepoints.get("syscalls", "sys_enter_openat")!;
    const filenameAt = tp.fields.find((f) => f.name === "filename")!.offset;
    expect(filenameAt).toBe(24);
    // value: the string (64 bytes) and what probe_read_user_str returned (8 bytes)
    const map = bpf.mapCreate({ type: 2, keySize: 4, valueSize: 72, maxEntries: 1, name: "fname" });
    expect(map).toBeGreaterThan(0);
    const prog = new ProgramBuilder()
      .ldx(Size.DW, 6, 1, filenameAt)
      .st(Size.W, 10, -4, 0)
      .ldMapFd(1, map)
      .mov64(2, 10)
      .add64Imm(2, -4)
      .call(HelperId.map_lookup_elem!)
      .jmpImm(JmpOp.JEQ, 0, 0, "out")
      .mov64(7, 0)
      .mov64(1, 7)
      .mov64Imm(2, 64)
      .mov64(3, 6)
      .call(HelperId.probe_read_user_str!)
      .stx(Size.DW, 7, 64, 0)
      .label("out")
      .mov64Imm(0, 0)
      .exit();
    const r = bpf.progLoad({ progType: "tracepoint", insns: encodeProgram(prog.link()), license: "GPL", name: "openat", ctxSize: tp.size });
    if (typeof r === "number") throw new Error(`progLoad ${r}: ${bpf.lastError}`);
    expect(bpf.linkCreate(r.fd, "tracepoint", { name: "syscalls:sys_enter_openat" })).toBeGreaterThan(0);
    const value = () => {
      const v = bpf.mapLookupElem(map, new Uint8Array(4));
      if (typeof v === "number") throw new Error(`lookup ${v}`);
      const nul = v.indexOf(0);
      return [Buffer.from(v.subarray(0, nul)).toString("utf8"), new DataView(v.buffer, v.byteOffset).getBigInt64(64, true)];
    };
    // A syscall made here, by the task on CPU 0.
    kernel.cpu = 0;
    syscall(kernel, "openat", [BigInt.asUintN(64, -100n), userString(kernel, "/var/log/syslog.1"), 0n, 0n]);
    expect(value()).toEqual(["/var/log/syslog.1", 18n]);
    // The fs workload's opens: the program saw the path each one passed, read from user memory as the event fired.
    const paths: string[] = [];
    kernel.tracepoints.attach(tp, (hit) => {
      const addr = new DataView(hit.record.buffer).getBigUint64(filenameAt, true);
      // byte by byte: user mappings end where the string does
      const bytes: number[] = [];
      const b = new Uint8Array(1);
      while (kernel.memory.readUser(kernel.current().tgid, b, addr + BigInt(bytes.length)) === 0 && b[0] !== 0) bytes.push(b[0]!);
      paths.push(Buffer.from(bytes).toString("utf8"));
    });
    kernel.run("fs", { count: 20 });
    expect(paths.length).toBeGreaterThan(3);
    expect(value()).toEqual([paths.at(-1), BigInt(paths.at(-1)!.length + 1)]);
  });

  it("an fentry program on __x64_sys_openat reads regs->si, then the filename it points to", () => {
    const { kernel, bpf } = bootSyntheticKernel({ seed: 4, nrCpus: 2 });
    const siAt = kernel.memory.field("pt_regs", "si").byteOffset;
    expect(siAt).toBe(104);
    const map = bpf.mapCreate({ type: 2, keySize: 4, valueSize: 72, maxEntries: 1, name: "fname" });
    const prog = new ProgramBuilder()
      .ldx(Size.DW, 6, 1, 0) // ctx[0]: const struct pt_regs *regs
      .mov64(1, 10)
      .add64Imm(1, -16)
      .mov64Imm(2, 8)
      .mov64(3, 6)
      .add64Imm(3, siAt)
      .call(HelperId.probe_read_kernel!)
      .ldx(Size.DW, 8, 10, -16)
      .st(Size.W, 10, -4, 0)
      .ldMapFd(1, map)
      .mov64(2, 10)
      .add64Imm(2, -4)
      .call(HelperId.map_lookup_elem!)
      .jmpImm(JmpOp.JEQ, 0, 0, "out")
      .mov64(7, 0)
      .mov64(1, 7)
      .mov64Imm(2, 64)
      .mov64(3, 8)
      .call(HelperId.probe_read_user_str!)
      .stx(Size.DW, 7, 64, 0)
      .label("out")
      .mov64Imm(0, 0)
      .exit();
    const r = bpf.progLoad({ progType: "tracing", insns: encodeProgram(prog.link()), license: "GPL", name: "x64openat", nargs: 1 });
    if (typeof r === "number") throw new Error(`progLoad ${r}: ${bpf.lastError}`);
    expect(bpf.linkCreate(r.fd, "fentry", { name: "__x64_sys_openat" })).toBeGreaterThan(0);
    kernel.cpu = 1;
    syscall(kernel, "openat", [BigInt.asUintN(64, -100n), userString(kernel, "/proc/self/status"), 0n, 0n]);
    const v = bpf.mapLookupElem(map, new Uint8Array(4));
    if (typeof v === "number") throw new Error(`lookup ${v}`);
    expect([Buffer.from(v.subarray(0, v.indexOf(0))).toString("utf8"), new DataView(v.buffer, v.byteOffset).getBigInt64(64, true)]).toEqual(["/proc/self/status", 18n]);
  });
});
