// The library end to end on the clang-built fixture objects
// (test/fixtures/loader/obj): open -> load (relocate with CO-RE against the
// synthetic kernel's BTF) -> attach -> run the workload -> read maps, ring
// and perf buffers, the trace pipe and iterators -> close. Results are
// checked against the kernel's ground truth; objects compiled against the
// synthetic kernel's header and against vmlinux 6.18 (other offsets: only
// correct CO-RE agrees) must give the same answers.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BpfObject } from "../../src/loader/object.js";
import { bootSyntheticKernel, machineOf } from "../../src/syscall/boot.js";

const OBJ = "test/fixtures/loader/obj/";
const open = (name: string) => BpfObject.open(readFileSync(OBJ + name), name);
const boot = () => machineOf(bootSyntheticKernel({ seed: 1, nrCpus: 2 }));

describe.each(["synthetic", "vmlinux-6.18"])("fixtures compiled against %s", (flavor) => {
  it("output_ringbuf: one BTF-decoded ring buffer record per vfs_write/vfs_read call", () => {
    const m = boot();
    const obj = open(`output_ringbuf.${flavor}.bpf.o`).load(m).attach();
    const before = m.callCount("vfs_write") + m.callCount("vfs_read");
    m.run("fs", 200);
    const calls = m.callCount("vfs_write") + m.callCount("vfs_read") - before;
    const events = obj.pollEvents();
    expect(events.length).toBe(calls);
    expect(events.every((e) => e.map === "events" && e.data !== undefined)).toBe(true);
    expect(Object.keys(events[0]!.data as object)).toEqual(["pid", "kind", "bytes", "ts_ns", "comm"]);
    obj.close();
    expect(m.bpf.objects()).toMatchObject({ map: 0, prog: 0, link: 0 });
  });

  it("output_perf: perf samples decoded through the `_sample_type` pointer's struct", () => {
    const m = boot();
    const obj = open(`output_perf.${flavor}.bpf.o`).load(m).attach();
    const before = m.callCount("vfs_write");
    m.run("fs", 200);
    const events = obj.pollEvents();
    expect(events.length).toBe(m.callCount("vfs_write") - before);
    expect(Object.keys(events[0]!.data as object)).toEqual(["pid", "stack_id", "bytes", "comm"]);
    expect(events.every((e) => e.cpu !== undefined && e.cpu < 2)).toBe(true);
    obj.close();
  });

  it("printk: five trace_pipe lines per vfs_write call with the expected text", () => {
    const m = boot();
    const obj = open(`printk.${flavor}.bpf.o`).load(m).attach();
    const before = m.callCount("vfs_write");
    m.run("fs", 100);
    const lines = obj.readTracePipe();
    const calls = m.callCount("vfs_write") - before;
    expect(lines.length).toBe(5 * calls);
    expect(lines[0]!.text).toBe("hello from btfsnoop");
    expect(lines[1]!.text).toBe(`pid=${lines[1]!.pid} comm=${lines[1]!.comm}`);
    expect(lines[3]!.text).toBe("neg=-5 u=4294967291");
    obj.close();
  });

  it("iter_task: the iterator prints a header and one line per task", () => {
    const m = boot();
    const obj = open(`iter_task.${flavor}.bpf.o`).load(m).attach();
    const [out] = obj.readIterators();
    expect(out!.program).toBe("dump_task");
    const lines = out!.text.trimEnd().split("\n");
    expect(lines[0]).toBe("pid comm");
    expect(lines.length).toBeGreaterThan(3);
    expect(lines[1]).toMatch(/^\d+ \S+$/);
    obj.close();
  });

  it("sec_kprobe: SEC kinds attach by name; '?' and target-less programs are reported", () => {
    const m = boot();
    const obj = open(`sec_kprobe.${flavor}.bpf.o`).load(m).attach();
    expect(obj.status().map((s) => [s.name, s.attached, s.error ?? ""])).toEqual([
      ["count_write", true, ""],
      ["sum_write", true, ""],
      ["read_ret", true, ""],
      ["multi_vfs", true, ""],
      ["not_autoloaded", false, 'not autoloaded (SEC("?kprobe/vfs_fsync"))'],
      ["no_target", false, 'SEC("kprobe") names no target: loaded, not attached'],
    ]);
    obj.close();
  });
});

describe("failures", () => {
  it("a reachable unresolvable CO-RE relocation is named in the verifier error, nothing is left", () => {
    const m = boot();
    expect(() => open("core_unresolved_reachable.synthetic.bpf.o").load(m)).toThrow(
      "'core_unresolved_reachable.synthetic.bpf.o': section 'kprobe/vfs_write', program 'unguarded', insn 3 at ./src/core_unresolved_reachable.bpf.c:23: program rejected by the verifier: failed to resolve CO-RE relocation <byte_off> [7] struct task_struct___old.state (0:0 @ offset 0)",
    );
    expect(m.bpf.objects()).toMatchObject({ map: 0, prog: 0, link: 0, fds: 0 });
  });
});
