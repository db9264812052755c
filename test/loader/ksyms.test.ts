// .ksyms externs naming kernel variables resolve against all of
// /proc/kallsyms (Bpf.ksyms: functions and data symbols), not only the
// function list: global_data's `extern const void init_task __ksym` loads,
// and its .bss init_task_addr holds init_task's kallsyms address exactly.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BpfObject } from "../../src/loader/object.js";
import { bootSyntheticKernel, machineOf } from "../../src/syscall/boot.js";
import { runCli } from "../helpers/cli.js";

const OBJ = "test/fixtures/loader/obj/";
const open = (name: string) => BpfObject.open(readFileSync(OBJ + name), name);
const initTask = (): bigint => bootSyntheticKernel({ seed: 1 }).bpf.ksyms().find((s) => s.name === "init_task")!.address;

describe(".ksyms variables", () => {
  it("btfsnoop run global_data --set target_pid=4 --json exits 0 and .bss init_task_addr is init_task's kallsyms address", async () => {
    const r = await runCli("run", OBJ + "global_data.synthetic.bpf.o", "--set", "target_pid=4", "--json", "-d", "100ms");
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    const bss = lines.find((l) => l.type === "map" && l.name === ".bss") as { entries: { value: Record<string, unknown> }[] };
    const v = bss.entries[0]!.value;
    expect(BigInt(v.init_task_addr as string)).toBe(initTask());
    expect(BigInt(v.init_task_addr as string)).toBe(0xffffffff83800000n);
    expect(v.weak_ksym_addr).toBe(0);
  }, 60_000);

  it("the library loads it too, for each flavour of the object: vfs_read stores &init_task", () => {
    for (const flavor of ["synthetic", "vmlinux-6.18"]) {
      const m = machineOf(bootSyntheticKernel({ seed: 1, nrCpus: 2 }));
      const obj = open(`global_data.${flavor}.bpf.o`).load(m).attach();
      expect(BigInt(String(obj.variables(".bss").init_task_addr))).toBe(0n);
      m.run("fs", 200);
      expect(m.callCount("vfs_read")).toBeGreaterThan(0);
      expect(BigInt(String(obj.variables(".bss").init_task_addr))).toBe(initTask());
      obj.close();
      expect(m.bpf.objects()).toMatchObject({ map: 0, prog: 0, link: 0 });
    }
  });

  it("a non-weak ksym the kernel lacks still names the symbol, and nothing is left loaded", () => {
    const m = machineOf(bootSyntheticKernel({ seed: 1, nrCpus: 2 }));
    const all = m.bpf.ksyms.bind(m.bpf);
    m.bpf.ksyms = () => all().filter((s) => s.name !== "init_task");
    expect(() => open("global_data.synthetic.bpf.o").load(m)).toThrow("section 'kprobe/vfs_read', program 'on_read', insn 7: kernel symbol 'init_task' is not in kallsyms");
    expect(m.bpf.objects()).toMatchObject({ map: 0, prog: 0, fds: 0 });
  });
});
