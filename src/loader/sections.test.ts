import { describe, expect, it } from "vitest";
import { BtfsnoopError } from "../internal/errors.js";
import { findProgramSection, programSection, SECTION_HINT } from "./sections.js";

const short = (name: string) => {
  const s = programSection(name);
  return [s.secName, s.prefix, s.progType, s.attachType, s.target, s.autoload, s.sleepable, s.attachBtf];
};

describe("programSection (libbpf's section_defs)", () => {
  it("maps each tracing prefix to program type, attach type and target", () => {
    expect(short("kprobe/tcp_sendmsg")).toEqual(["kprobe/tcp_sendmsg", "kprobe", "kprobe", "kprobe", "tcp_sendmsg", true, false, false]);
    expect(short("kretprobe/tcp_sendmsg")).toEqual(["kretprobe/tcp_sendmsg", "kretprobe", "kprobe", "kretprobe", "tcp_sendmsg", true, false, false]);
    expect(short("kprobe.multi/vfs_*")).toEqual(["kprobe.multi/vfs_*", "kprobe.multi", "kprobe", "kprobe.multi", "vfs_*", true, false, false]);
    expect(short("kretprobe.multi/vfs_*")).toEqual(["kretprobe.multi/vfs_*", "kretprobe.multi", "kprobe", "kretprobe.multi", "vfs_*", true, false, false]);
    expect(short("ksyscall/openat")).toEqual(["ksyscall/openat", "ksyscall", "kprobe", "kprobe", "openat", true, false, false]);
    expect(short("kretsyscall/openat")).toEqual(["kretsyscall/openat", "kretsyscall", "kprobe", "kretprobe", "openat", true, false, false]);
    expect(short("tracepoint/sched/sched_switch")).toEqual(["tracepoint/sched/sched_switch", "tracepoint", "tracepoint", "tracepoint", "sched/sched_switch", true, false, false]);
    expect(short("tp/syscalls/sys_enter_openat")).toEqual(["tp/syscalls/sys_enter_openat", "tp", "tracepoint", "tracepoint", "syscalls/sys_enter_openat", true, false, false]);
    expect(short("raw_tracepoint/sched_switch")).toEqual(["raw_tracepoint/sched_switch", "raw_tracepoint", "raw_tracepoint", "raw_tp", "sched_switch", true, false, false]);
    expect(short("raw_tp/sched_switch")).toEqual(["raw_tp/sched_switch", "raw_tp", "raw_tracepoint", "raw_tp", "sched_switch", true, false, false]);
    expect(short("tp_btf/sched_switch")).toEqual(["tp_btf/sched_switch", "tp_btf", "tracing", "raw_tp", "sched_switch", true, false, true]);
    expect(short("fentry/do_unlinkat")).toEqual(["fentry/do_unlinkat", "fentry", "tracing", "fentry", "do_unlinkat", true, false, true]);
    expect(short("fexit/do_unlinkat")).toEqual(["fexit/do_unlinkat", "fexit", "tracing", "fexit", "do_unlinkat", true, false, true]);
    expect(short("fmod_ret/do_unlinkat")).toEqual(["fmod_ret/do_unlinkat", "fmod_ret", "tracing", "fmod_ret", "do_unlinkat", true, false, true]);
    expect(short("fentry.s/do_unlinkat")).toEqual(["fentry.s/do_unlinkat", "fentry.s", "tracing", "fentry", "do_unlinkat", true, true, true]);
    expect(short("iter/task")).toEqual(["iter/task", "iter", "iter", "iter", "task", true, false, true]);
    expect(short("socket")).toEqual(["socket", "socket", "socket_filter", undefined, "", true, false, false]);
    expect(short("xdp")).toEqual(["xdp", "xdp", "xdp", undefined, "", true, false, false]);
    expect(short("cgroup/connect4")).toEqual(["cgroup/connect4", "cgroup/connect4", "cgroup_sock_addr", undefined, "", true, false, false]);
  });

  it("takes the bare prefix (no target) and a leading '?' (not autoloaded)", () => {
    expect(short("kprobe")).toEqual(["kprobe", "kprobe", "kprobe", "kprobe", "", true, false, false]);
    expect(short("?kprobe/tcp_close")).toEqual(["kprobe/tcp_close", "kprobe", "kprobe", "kprobe", "tcp_close", false, false, false]);
    expect(short("?tp/sched/sched_switch")).toEqual(["tp/sched/sched_switch", "tp", "tracepoint", "tracepoint", "sched/sched_switch", false, false, false]);
  });

  it("refuses names that match no entry, as libbpf does (exact names stay exact, '+' names need a '/')", () => {
    for (const name of ["kprobex/foo", "socket/1", "kprobe_foo", "fentryx", "foo", "", "?bogus/x"]) {
      expect(findProgramSection(name)).toBeUndefined();
    }
    let err: unknown;
    try {
      programSection("?kprobes/tcp_sendmsg", "handle");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BtfsnoopError);
    expect((err as BtfsnoopError).errno).toBe("EINVAL");
    expect((err as BtfsnoopError).message).toBe("prog 'handle': missing BPF prog type, check ELF section name 'kprobes/tcp_sendmsg'");
    expect((err as BtfsnoopError).hint).toBe(SECTION_HINT);
    expect(() => programSection("bogus")).toThrow(/^missing BPF prog type, check ELF section name 'bogus'$/);
  });
});
