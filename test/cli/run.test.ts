// `btfsnoop run OBJ` and `btfsnoop prog load OBJ` on the fixture objects:
// the same seed/workload/duration drives the same kernel history as
// `trace` (a program's count equals trace's events), trace_pipe lines,
// NDJSON lines (docs/json.md), bpftool-style map dumps, --set, and the
// failures: exit 2 with one clear error and nothing attached, exit 1 from
// prog load for a rejected program.
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

const OBJ = "test/fixtures/loader/obj/";

describe("btfsnoop run", () => {
  it("counts vfs_write calls exactly as trace sees them for the same seed, workload and duration", async () => {
    const run = await runCli("run", OBJ + "sec_kprobe.synthetic.bpf.o", "--workload", "fs", "-d", "30ms", "--seed", "3", "--json");
    expect(run.code).toBe(0);
    const lines = run.out.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    const counts = lines.find((l) => l.type === "map" && l.name === "counts") as { entries: { key: number; value: number }[]; map_type: string };
    expect(counts.map_type).toBe("array");
    const trace = await runCli("vfs_write", "--workload", "fs", "-d", "30ms", "--seed", "3", "--json");
    expect(trace.code).toBe(0);
    const entries = trace.out.trimEnd().split("\n").filter((l) => JSON.parse(l).kind === "entry").length;
    expect(entries).toBeGreaterThan(10);
    expect(counts.entries[0]).toEqual({ key: 0, value: entries });
    const summary = lines[lines.length - 1] as { type: string; programs: { name: string; attached: boolean; error?: string }[]; reason: string };
    expect(summary.type).toBe("summary");
    expect(summary.reason).toBe("duration");
    expect(summary.programs.map((p) => [p.name, p.attached])).toEqual([
      ["count_write", true],
      ["sum_write", true],
      ["read_ret", true],
      ["multi_vfs", true],
      ["not_autoloaded", false],
      ["no_target", false],
    ]);
  }, 60_000);

  it("prints printk lines as trace_pipe does and NDJSON printk lines with the same text", async () => {
    const text = await runCli("run", OBJ + "printk.synthetic.bpf.o", "--workload", "fs", "-d", "2ms");
    expect(text.code).toBe(0);
    const first = text.out.split("\n")[0]!;
    expect(first).toMatch(/^ {12}curl-4 {7}\[\d{3}\] \.{5} +\d+\.\d{6}: bpf_trace_printk: hello from btfsnoop$/);
    expect(text.err).toMatch(/^btfsnoop: 1 of 1 programs attached; 2\.\d+ ms of simulated time \(duration\); \d+ printk lines, 0 events\n$/);
    const json = await runCli("run", OBJ + "printk.synthetic.bpf.o", "--workload", "fs", "-d", "2ms", "--json");
    const p = JSON.parse(json.out.split("\n")[1]!);
    expect(Object.keys(p)).toEqual(["type", "time_ns", "cpu", "pid", "comm", "text"]);
    expect(p.text).toBe(`pid=${p.pid} comm=${p.comm}`);
    expect(json.out.split("\n").filter((l) => l.startsWith('{"type":"printk"')).length).toBe(text.out.split("\n").filter((l) => l.includes("bpf_trace_printk:")).length);
  }, 60_000);

  it("dumps maps as bpftool map dump does (BTF-typed JSON; hex without BTF)", async () => {
    const r = await runCli("run", OBJ + "maps_btf.synthetic.bpf.o", "--workload", "fs", "-d", "5ms", "--cpus", "2");
    expect(r.code).toBe(0);
    expect(r.out).toContain('map slots (array):\nkey: 00 00 00 00  value: ');
    expect(r.out).toMatch(/map pcpu \(percpu_array\):\n\[\{\n {8}"key": 0,\n {8}"values": \[\{\n {16}"cpu": 0,\n {16}"value": \d+\n {12}\},\{\n {16}"cpu": 1,/);
  }, 60_000);

  it("ring buffer records are BTF-decoded events", async () => {
    const r = await runCli("run", OBJ + "output_ringbuf.synthetic.bpf.o", "--workload", "fs", "-d", "2ms", "--json");
    const ev = r.out.split("\n").map((l) => (l ? JSON.parse(l) : {})).filter((l) => l.type === "event");
    expect(ev.length).toBeGreaterThan(0);
    expect(Object.keys(ev[0].data)).toEqual(["pid", "kind", "bytes", "ts_ns", "comm"]);
  }, 60_000);

  it("iterator output is printed once at the end", async () => {
    const r = await runCli("run", OBJ + "iter_task.synthetic.bpf.o", "-d", "1ms", "--json");
    const it = r.out.split("\n").map((l) => (l ? JSON.parse(l) : {})).find((l) => l.type === "iter");
    expect(it.link).toBe("dump_task");
    expect(it.text.startsWith("pid comm\n")).toBe(true);
  }, 60_000);

  it.each([
    [["run", OBJ + "global_data.synthetic.bpf.o", "--set", "nope=1"], "btfsnoop: error: 'global_data.synthetic.bpf.o': --set nope=1: no global variable 'nope' in the object (hint: variables: target_pid, min_bytes, verbose, hits, total_bytes, last_comm, init_task_addr, weak_ksym_addr)"],
    [["run", OBJ + "global_data.synthetic.bpf.o", "--set", "target_pid"], "btfsnoop: usage error: --set 'target_pid': expected NAME=VALUE, e.g. --set target_pid=42 (run 'btfsnoop --help' for usage)"],
    [["run", OBJ + "global_data.synthetic.bpf.o", "--set", "target_pid=-1"], "btfsnoop: error: 'global_data.synthetic.bpf.o': --set target_pid=-1: -1 is out of range for 'unsigned int' (0..4294967295)"],
    [["run", OBJ + "core_unresolved_reachable.synthetic.bpf.o"], "btfsnoop: error: 'core_unresolved_reachable.synthetic.bpf.o': section 'kprobe/vfs_write', program 'unguarded', insn 3 at ./src/core_unresolved_reachable.bpf.c:23: program rejected by the verifier: failed to resolve CO-RE relocation <byte_off> [7] struct task_struct___old.state (0:0 @ offset 0) (hint: btfsnoop prog load OBJ -v prints the whole verifier log)"],
    [["run", OBJ + "no-such.bpf.o"], "btfsnoop: error: cannot read 'test/fixtures/loader/obj/no-such.bpf.o': no such file or directory"],
  ])("%j fails with exit 2 and one error", async (argv, first) => {
    const r = await runCli(...argv);
    expect(r.code).toBe(2);
    expect(r.err.split("\n")[0]).toBe(first);
    expect(r.out).toBe("");
  }, 60_000);
});

describe("btfsnoop prog load", () => {
  it("prints each program's verdict and the summary line; exit 0", async () => {
    const r = await runCli("prog", "load", OBJ + "subprogs.synthetic.bpf.o");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^kprobe\/vfs_write\/\w+: accepted\nprocessed \d+ insns/);
  }, 60_000);

  it("a rejected program: its log with source lines and the rewritten CO-RE line; exit 1", async () => {
    const r = await runCli("prog", "load", OBJ + "core_unresolved_reachable.synthetic.bpf.o");
    expect(r.code).toBe(1);
    expect(r.out).toContain("; last_state = CORE_READ(t, state); @ core_unresolved_reachable.bpf.c:23\n2: (7b) *(u64 *)(r10 -8) = r1         ; R1_w=0 R10=fp0 fp-8_w=0\n3: <invalid CO-RE relocation>\nfailed to resolve CO-RE relocation <byte_off> [7] struct task_struct___old.state (0:0 @ offset 0)\n");
  }, 60_000);
});
