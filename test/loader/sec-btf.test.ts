// BTF-attached sections end to end (issue #17): sec_btf's tp_btf program
// dereferences its typed `struct task_struct *next` argument directly, so it
// loads only when the loader passes the attach target and the verifier types
// the context by it. Both builds (the synthetic kernel's header, and vmlinux
// 6.18 relocated with CO-RE against the synthetic BTF) load, attach and run.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BtfKind } from "../../src/btf/kinds.js";
import { BpfObject } from "../../src/loader/object.js";
import { bootSyntheticKernel, machineOf } from "../../src/syscall/boot.js";
import { encodeProgram } from "../../src/vm/isa/encode.js";
import { ProgramBuilder } from "../../src/vm/isa/builder.js";
import { Size } from "../../src/vm/isa/opcodes.js";
import { runCli } from "../helpers/cli.js";

const OBJ = "test/fixtures/loader/obj/";
const open = (name: string) => BpfObject.open(readFileSync(OBJ + name), name);
const boot = () => machineOf(bootSyntheticKernel({ seed: 1, nrCpus: 2 }));

/** stats[0..7] as numbers. */
function stats(obj: BpfObject): number[] {
  return obj.entries("stats").map((e) => Number(e.valueData));
}

describe("sec_btf: typed tp_btf/fentry/fexit contexts", () => {
  it("both builds load, attach and count the same events; fentry/fexit agree with the kernel's call count", () => {
    const seen: number[][] = [];
    for (const flavor of ["synthetic", "vmlinux-6.18"]) {
      const m = boot();
      const obj = open(`sec_btf.${flavor}.bpf.o`).load(m).attach();
      expect(obj.status().map((s) => [s.name, s.loaded, s.attached])).toEqual([
        ["btf_switch", true, true],
        ["write_entry", true, true],
        ["write_exit", true, true],
      ]);
      const writes = m.callCount("vfs_write");
      const switches = m.callCount("sched_switch", "raw_tp");
      m.run("mixed", 400);
      const s = stats(obj);
      const calls = m.callCount("vfs_write") - writes;
      expect(calls).toBeGreaterThan(0);
      expect(s[1]).toBe(calls); // fentry calls
      expect(s[4]).toBe(calls); // fexit calls
      expect(s[3]).toBe(4); // bpf_get_func_arg_cnt: vfs_write has 4 arguments
      expect(s[6]).toBe(1); // bpf_get_func_ip != 0
      expect(s[7]).toBe(1); // bpf_get_func_ret == ctx[4]
      // tp_btf: switches to a task whose pid (read through the typed pointer) is not 0. The
      // model's __schedule only switches to tasks from the task table (pid >= 1, never an
      // idle task), so that is every switch; a NULL or wrong pointer would read 0.
      const sw = m.callCount("sched_switch", "raw_tp") - switches;
      expect(sw).toBeGreaterThan(0);
      expect(s[0]).toBe(sw);
      seen.push(s);
      obj.close();
      expect(m.bpf.objects()).toMatchObject({ map: 0, prog: 0, link: 0 });
    }
    expect(seen[1]).toEqual(seen[0]);
  });

  it("btfsnoop run exits 0 with every program attached, for both builds", async () => {
    for (const flavor of ["synthetic", "vmlinux-6.18"]) {
      const r = await runCli("run", `${OBJ}sec_btf.${flavor}.bpf.o`, "--json", "-d", "100ms");
      expect(r.err).toBe("");
      expect(r.code).toBe(0);
      const lines = r.out.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
      const summary = lines.find((l) => l.type === "summary") as { programs: { name: string; attached: boolean }[] };
      expect(summary.programs.map((p) => [p.name, p.attached])).toEqual([
        ["btf_switch", true],
        ["write_entry", true],
        ["write_exit", true],
      ]);
    }
  }, 60_000);

  it("progLoad: attachBtfId / attachTracepoint type the context; bad ones are EINVAL with the reason; without one it is untyped", () => {
    const k = bootSyntheticKernel({ seed: 1 });
    const bpf = k.bpf;
    const vfsWrite = k.kernel.btf.findByNameKind("vfs_write", BtfKind.FUNC)!;
    // r2 = ctx[i]; r0 = *(u32 *)(r2 + 0); exit
    const deref = (slot: number) => encodeProgram(new ProgramBuilder().ldx(Size.DW, 2, 1, slot * 8).ldx(Size.W, 0, 2, 0).exit().link());
    const load = (slot: number, extra: Record<string, unknown>) => bpf.progLoad({ progType: "tracing", insns: deref(slot), license: "GPL", nargs: 4, ...extra });
    // vfs_write(struct file *file, const char *buf, ...): file dereferences, buf is a scalar.
    expect(load(0, {})).toBe(-13);
    expect(bpf.lastError).toContain("R2 invalid mem access 'scalar'");
    expect(typeof load(0, { attachBtfId: vfsWrite, expectedAttachType: "fentry" })).toBe("object");
    expect(load(1, { attachBtfId: vfsWrite, expectedAttachType: "fentry" })).toBe(-13);
    expect(bpf.lastError).toContain("R2 invalid mem access 'scalar'");
    // sched_switch(bool preempt, struct task_struct *prev, struct task_struct *next, unsigned int prev_state)
    expect(load(0, { attachTracepoint: "sched_switch" })).toBe(-13);
    expect(typeof load(2, { attachTracepoint: "sched_switch" })).toBe("object");
    expect(load(0, { attachTracepoint: "no_such_event" })).toBe(-22);
    expect(bpf.lastError).toContain("no raw tracepoint 'no_such_event' in the kernel");
    expect(load(0, { attachBtfId: vfsWrite, expectedAttachType: "bogus" })).toBe(-22);
    expect(bpf.lastError).toContain("invalid expected attach type 'bogus' for a BTF-attached tracing program (fentry, fexit, fmod_ret, tp_btf)");
    expect(load(0, { attachBtfId: 0x7fffffff, expectedAttachType: "fexit" })).toBe(-22);
    expect(bpf.lastError).toContain("attach_btf_id 2147483647 is not a type of the kernel's BTF");
  });
});
