// `run` and `prog load` with --btf FILE: the object is relocated and
// verified against a kernel made from that BTF (scale mode, as trace
// --btf), so CO-RE gives that kernel's offsets (issue #16: "relocate
// against the synthetic kernel's BTF or any --btf kernel").
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findMember } from "../../src/btf/members.js";
import { runCli } from "../helpers/cli.js";
import { vmlinuxBtf, VMLINUX_DIR } from "../helpers/fixtures.js";

const VMLINUX = join(VMLINUX_DIR, "vmlinux.btf.gz");
const OBJ = join(__dirname, "../fixtures/loader/obj/core_field.synthetic.bpf.o");

describe("--btf FILE for the loader's commands", () => {
  it("prog load -v relocates the synthetic build's task_struct.pid to vmlinux 6.18's offset", async () => {
    const btf = vmlinuxBtf();
    const pid = findMember(btf, btf.findByNameKind("task_struct", 4)!, "pid")!;
    const r = await runCli("prog", "load", OBJ, "--btf", VMLINUX, "-v");
    expect(r.code).toBe(0);
    const patched = r.out.split("\n").find((l) => l.startsWith("libbpf: prog 'fields': relo #0: patched"));
    expect(patched).toBe(`libbpf: prog 'fields': relo #0: patched insn #2 (ALU/ALU64) imm 592 -> ${pid.bitsOffset / 8}`);
    expect(r.out).toContain("kprobe/vfs_write/fields: accepted\n");
  }, 120_000);

  it("run --btf loads, attaches and runs on the scale kernel (workload random)", async () => {
    const r = await runCli("run", join(__dirname, "../fixtures/loader/obj/sec_kprobe.vmlinux-6.18.bpf.o"), "--btf", VMLINUX, "-d", "5ms");
    expect(r.code).toBe(0);
    expect(r.err).toContain("btfsnoop: 4 of 6 programs attached; 5 ms of simulated time (duration)");
  }, 120_000);

  it("a missing BTF file is an input error, exit 2", async () => {
    const r = await runCli("prog", "load", OBJ, "--btf", "/nonexistent/vmlinux");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^btfsnoop: error: .*\/nonexistent\/vmlinux/);
  });
});
