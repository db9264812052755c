// Objects written like bcc's libbpf-tools (test/fixtures/libbpf-style, built
// by its build.sh against the synthetic header) run without their user-space
// part: map sizes left to user space get run's defaults (standalone.ts),
// cgroup arrays and stack maps are created, bpf_current_task_under_cgroup
// answers, alternative programs on one event attach once (fentry over
// kprobe, fexit over kretprobe, tp_btf over raw_tp over tracepoint), and
// programs this kernel cannot serve (a kprobe on a missing function, uprobe,
// usdt) are reported while the rest run. Counts are checked against the
// kernel's own call and tracepoint counters.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import type { CliIo } from "../../src/cli/io.js";
import { BpfObject } from "../../src/loader/object.js";
import { standaloneMapSizes } from "../../src/loader/standalone.js";
import { syscall } from "../../src/kernel-model/paths/syscalls.js";
import { syscallRegsOf } from "../../src/kernel-model/paths/syscalls.js";
import { bootSyntheticKernel, machineOf } from "../../src/syscall/boot.js";

const OBJ = "test/fixtures/libbpf-style/obj/";
const open = (name: string) => BpfObject.open(readFileSync(OBJ + name), name);
const boot = () => machineOf(bootSyntheticKernel({ seed: 3, nrCpus: 2 }));
const sized = (obj: BpfObject) => {
  for (const c of standaloneMapSizes(obj.spec)) obj.setMapSize(c.map, c.field, c.value);
  return obj;
};
const USER = "probe user-space code (a binary's function or USDT note): the synthetic kernel's tasks run no user binaries";

describe("libbpf-tools-style objects without their user space", () => {
  it("cgstack: sizes left to user space, a cgroup array and a stack map; every vfs_read counted under its stack id", () => {
    const obj = open("cgstack.bpf.o");
    expect(standaloneMapSizes(obj.spec)).toEqual([
      { map: "stackmap", field: "value_size", value: 1016 },
      { map: "stackmap", field: "max_entries", value: 1024 },
      { map: "counts", field: "max_entries", value: 10240 },
    ]);
    const m = boot();
    expect(() => open("cgstack.bpf.o").load(m)).toThrow("map 'stackmap' (section '.maps'): map create failed: map create: EINVAL");
    sized(obj).load(m).attach();
    const before = m.callCount("vfs_read");
    m.run("fs", 300);
    const calls = m.callCount("vfs_read") - before;
    expect(calls).toBeGreaterThan(10);
    const counted = obj.entries("counts").reduce((s, e) => s + Number(e.valueData), 0);
    const vars = obj.variables(".bss");
    expect(vars.stack_errors).toBe(0);
    expect(counted).toBe(calls);
    expect(vars.checks).toBe(0);
    expect(obj.variables(".data").under_cgroup).toBe(1);
    // Every stack id names a stored stack of kernel addresses.
    const stacks = obj.entries("stackmap");
    expect(stacks.length).toBe(obj.entries("counts").length);
    expect(stacks.every((s) => s.value.length === 1016 && Buffer.from(s.value).readBigUInt64LE(0) >= 0xffffffff81000000n)).toBe(true);
    expect(obj.entries("cgroup_map")).toEqual([]); // lookups are -ENOTSUPP
    obj.close();
  });

  it("cgstack with filter_cg: bpf_current_task_under_cgroup on the empty slot is -EAGAIN for every call", () => {
    const m = boot();
    const obj = sized(open("cgstack.bpf.o")).set("filter_cg", true).load(m).attach();
    const before = m.callCount("vfs_read");
    m.run("fs", 200);
    const vars = obj.variables(".bss");
    expect(obj.variables(".data").under_cgroup).toBe(-11);
    expect(vars.checks).toBe(m.callCount("vfs_read") - before);
    obj.close();
  });

  it("alternatives: one program per event attaches; a missing kprobe, uprobe and usdt are reported and the rest run", () => {
    const m = boot();
    const obj = open("alternatives.bpf.o").load(m).attach({ keepGoing: true, alternatives: true });
    const reads = m.callCount("vfs_read");
    const switches = m.callCount("sched:sched_switch", "tracepoint");
    m.run("mixed", 300);
    const v = obj.variables(".bss");
    const dReads = m.callCount("vfs_read") - reads;
    const dSwitches = m.callCount("sched:sched_switch", "tracepoint") - switches;
    expect(dReads).toBeGreaterThan(0);
    expect(dSwitches).toBeGreaterThan(0);
    expect(v).toEqual({
      fentry_hits: dReads,
      kprobe_hits: 0,
      fexit_hits: dReads,
      kretprobe_hits: 0,
      tp_btf_hits: dSwitches,
      raw_tp_hits: 0,
      tracepoint_hits: 0,
      missing_hits: 0,
      uprobe_hits: 0,
      usdt_hits: 0,
    });
    const status = Object.fromEntries(obj.status().map((s) => [s.name, s.error ?? (s.attached ? "attached" : "?")]));
    expect(status).toEqual({
      read_fentry: "attached",
      read_kprobe: "alternative of 'read_fentry' (same event; a tool switches it off with bpf_program__set_autoload)",
      read_fexit: "attached",
      read_kretprobe: "alternative of 'read_fexit' (same event; a tool switches it off with bpf_program__set_autoload)",
      switch_btf: "attached",
      switch_raw: "alternative of 'switch_btf' (same event; a tool switches it off with bpf_program__set_autoload)",
      switch_tp: "alternative of 'switch_btf' (same event; a tool switches it off with bpf_program__set_autoload)",
      missing: "attach kprobe 'btfsnoop_no_such_function' failed: no function 'btfsnoop_no_such_function'",
      user_func: `uprobe programs ${USER}, so uprobe is not supported; the object's other programs run`,
      user_note: `usdt programs ${USER}, so usdt is not supported; the object's other programs run`,
    });
    obj.close();
    expect(m.bpf.objects()).toMatchObject({ map: 0, prog: 0, link: 0 });
  });

  it("alternatives at load (as run does): the losers are never loaded, so a twin the verifier would refuse does no harm", () => {
    const m = boot();
    const obj = open("alternatives.bpf.o").load(m, { alternatives: true }).attach({ keepGoing: true });
    const byName = Object.fromEntries(obj.status().map((s) => [s.name, s]));
    expect(byName.read_kprobe).toEqual({ name: "read_kprobe", section: "kprobe/vfs_read", loaded: false, attached: false, error: "alternative of 'read_fentry' (same event; a tool switches it off with bpf_program__set_autoload)" });
    expect(byName.switch_tp).toEqual({ name: "switch_tp", section: "tracepoint/sched/sched_switch", loaded: false, attached: false, error: "alternative of 'switch_btf' (same event; a tool switches it off with bpf_program__set_autoload)" });
    expect([byName.read_fentry!.attached, byName.read_fexit!.attached, byName.switch_btf!.attached, byName.missing!.loaded, byName.missing!.attached]).toEqual([true, true, true, true, false]);
    expect(obj.programs.filter((p) => p.fd !== undefined).map((p) => p.spec.name)).toEqual(["read_fentry", "read_fexit", "switch_btf", "missing"]);
    obj.close();
  });

  it("alternatives: without the rule both kinds attach; libbpf's default attach fails on the missing function and leaves nothing attached", () => {
    const m = boot();
    const obj = open("alternatives.bpf.o").load(m).attach({ keepGoing: true });
    m.run("fs", 100);
    const v = obj.variables(".bss");
    expect(v.kprobe_hits).toBe(v.fentry_hits);
    expect(v.kretprobe_hits).toBe(v.fexit_hits);
    obj.close();
    const strict = open("alternatives.bpf.o").load(m);
    expect(() => strict.attach()).toThrow("section 'kprobe/btfsnoop_no_such_function', program 'missing': attach kprobe 'btfsnoop_no_such_function' failed: no function 'btfsnoop_no_such_function'");
    expect(strict.linkCount).toBe(0);
    strict.close();
  });

  it("setAutoload(false) keeps a program from loading, as bpf_program__set_autoload; sizes and autoload are fixed once loaded", () => {
    const m = boot();
    const obj = open("alternatives.bpf.o").setAutoload("read_fentry", false).setAutoload("read_fexit", false);
    obj.load(m).attach({ keepGoing: true, alternatives: true });
    m.run("fs", 100);
    const v = obj.variables(".bss");
    expect(v.fentry_hits).toBe(0);
    expect(v.kprobe_hits).toBeGreaterThan(0);
    expect(v.kretprobe_hits).toBe(v.kprobe_hits);
    expect(obj.status().find((s) => s.name === "read_fentry")?.error).toBe("not autoloaded (bpf_program__set_autoload(false))");
    expect(() => obj.setAutoload("read_fentry", true)).toThrow("program 'read_fentry': set autoload: the object is already loaded");
    expect(() => obj.setMapSize(".bss", "max_entries", 2)).toThrow("map '.bss': set max_entries: the object is already loaded");
    expect(() => open("alternatives.bpf.o").setAutoload("nope", false)).toThrow("no program 'nope'");
    obj.close();
  });

  it("cpusample: a perf_event program samples each CPU's timer interrupt with the interrupted code's regs", () => {
    const booted = bootSyntheticKernel({ seed: 3, nrCpus: 2 });
    const k = booted.kernel;
    const m = machineOf(booted);
    const obj = open("cpusample.bpf.o").load(m).attach();
    expect(obj.status()).toEqual([{ name: "do_sample", section: "perf_event", loaded: true, attached: true }]);
    const timer = k.functions.named("hrtimer_interrupt")[0]!;
    const ticks0 = k.functions.countsOf(timer).calls;
    // An idle CPU: kernel code was interrupted (kernel cs), its stack recorded.
    k.cpu = 1;
    k.tasks.switchTo(1, k.tasks.idle[1]!);
    k.callByName("hrtimer_interrupt", [0n]);
    let v = obj.variables(".bss");
    expect([v.kernel_samples, v.user_samples, v.last_period, BigInt(v.last_ip as string)]).toEqual([1, 0, 1000000, timer.address]);
    expect(v.last_stack).toBeGreaterThanOrEqual(0);
    // A user task after a syscall: its saved user registers.
    const task = k.tasks.all().find((t) => t.pid > 1 && !t.comm.startsWith("k"))!;
    k.tasks.switchTo(1, task);
    syscall(k, "getpid", []);
    const regs = syscallRegsOf(k, task.pid)!;
    k.callByName("hrtimer_interrupt", [0n]);
    v = obj.variables(".bss");
    expect([v.kernel_samples, v.user_samples, v.user_kernel_stack]).toEqual([1, 1, -14]);
    expect(BigInt(v.last_ip as string | number)).toBe(k.memory.readField(regs, "pt_regs", "ip"));
    // Every tick of the workload is one sample, counted under the pid it interrupted.
    m.run("mixed", 200);
    const ticks = k.functions.countsOf(timer).calls - ticks0;
    const bss = obj.variables(".bss");
    expect((bss.kernel_samples as number) + (bss.user_samples as number)).toBe(ticks);
    expect(obj.entries("samples").reduce((s, e) => s + Number(e.valueData), 0)).toBe(ticks);
    obj.close();
    expect(m.bpf.objects()).toMatchObject({ map: 0, prog: 0, link: 0 });
  });

  it("setAttachTarget retargets a program before load (bpf_program__set_attach_target): a kprobe on a missing function moved to vfs_write counts every call", () => {
    const m = boot();
    const obj = open("alternatives.bpf.o").setAttachTarget("missing", "vfs_write").setAttachTarget("switch_tp", "sched/sched_switch");
    obj.load(m).attach({ keepGoing: true, alternatives: true });
    const writes = m.callCount("vfs_write");
    m.run("fs", 150);
    const v = obj.variables(".bss");
    expect(v.missing_hits).toBe(m.callCount("vfs_write") - writes);
    expect(v.missing_hits).toBeGreaterThan(0);
    expect(obj.status().find((s) => s.name === "missing")).toEqual({ name: "missing", section: "kprobe/btfsnoop_no_such_function", loaded: true, attached: true });
    obj.close();
    const o = open("alternatives.bpf.o");
    expect(() => o.setAttachTarget("user_func", "readline")).toThrow(`program 'user_func' (SEC("uprobe")) has no attach target to set`);
    expect(() => o.setAttachTarget("switch_tp", "sched_switch")).toThrow("program 'switch_tp': attach target 'sched_switch' is not CATEGORY/NAME");
    expect(() => o.setAttachTarget("missing", "")).toThrow("program 'missing': attach target '' is not a function or event name");
    expect(() => o.setAttachTarget("nope", "vfs_read")).toThrow("no program 'nope'");
  });

  it("sockcookie: bpf_get_socket_cookie(sk) in a tracing program gives each socket its cookie (__sock_gen_cookie: the one stored in the socket, unique, non-zero)", () => {
    const booted = bootSyntheticKernel({ seed: 3, nrCpus: 2 });
    const k = booted.kernel;
    const m = machineOf(booted);
    const obj = open("sockcookie.bpf.o").load(m).attach();
    // The kernel's own view: each socket's stored cookie right after the send (the program ran at its entry).
    const truth = new Map<bigint, bigint>();
    const off = k.functions.attach(k.functions.named("tcp_sendmsg")[0]!, { exit: (c) => void truth.set(c.args[0]!, k.memory.readField(c.args[0]!, "sock", "__sk_common.skc_cookie.counter")) });
    const sends = m.callCount("tcp_sendmsg");
    m.run("net", 300);
    off();
    expect(obj.variables(".bss").sends).toBe(m.callCount("tcp_sendmsg") - sends);
    const entries = obj.entries("cookies").map((e) => [BigInt(e.keyData as number | string), BigInt(e.valueData as number | string)] as const);
    expect(entries.length).toBeGreaterThan(1);
    // Each socket's cookie is the one the kernel stored in it; no two sockets share one.
    expect(new Map(entries)).toEqual(truth);
    expect(entries.every(([, c]) => c > 0n)).toBe(true);
    expect(new Set(entries.map(([, c]) => c)).size).toBe(entries.length);
    obj.close();
  });

  it("btfsnoop run: --skip, the size notes and the summary's reasons", async () => {
    let out = "";
    let err = "";
    const io: CliIo = { out: async (t) => void (out += t), err: (t) => void (err += t), stream: async () => {}, readStdin: async () => "" };
    const code = await main(["run", OBJ + "cgstack.bpf.o", "--workload", "fs", "-d", "50ms", "--json"], io);
    expect(code).toBe(0);
    expect(err).toContain("btfsnoop: map 'stackmap': value_size 0 set to 1016 (left to the tool's user space)\n");
    const summary = JSON.parse(out.trim().split("\n").pop()!);
    expect(summary.programs).toEqual([{ name: "read_entry", section: "kprobe/vfs_read", attached: true }]);
    out = "";
    err = "";
    expect(await main(["run", OBJ + "alternatives.bpf.o", "--workload", "fs", "-d", "50ms", "--json", "--skip", "read_fentry"], io)).toBe(0);
    const s2 = JSON.parse(out.trim().split("\n").pop()!);
    const byName = Object.fromEntries(s2.programs.map((p: { name: string; attached: boolean; error?: string }) => [p.name, p.error ?? p.attached]));
    expect(byName.read_fentry).toBe("not autoloaded (bpf_program__set_autoload(false))");
    expect(byName.read_kprobe).toBe(true);
    expect(byName.missing).toBe("attach kprobe 'btfsnoop_no_such_function' failed: no function 'btfsnoop_no_such_function'");
    out = "";
    expect(await main(["run", OBJ + "alternatives.bpf.o", "--workload", "fs", "-d", "50ms", "--json", "--attach", "missing=vfs_write"], io)).toBe(0);
    const s3 = JSON.parse(out.trim().split("\n").pop()!);
    expect(s3.programs.find((p: { name: string }) => p.name === "missing")).toEqual({ name: "missing", section: "kprobe/btfsnoop_no_such_function", attached: true });
    err = "";
    expect(await main(["run", OBJ + "alternatives.bpf.o", "--attach", "missing"], io)).toBe(2);
    expect(err).toContain("--attach 'missing': expected PROG=FUNC, e.g. --attach dummy_kprobe=vfs_read");
  });
});
