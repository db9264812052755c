// The synthetic kernel's /proc/kallsyms lists its variables as well as its
// functions: init_task (swapper/0's task_struct, D), the other idle tasks'
// task_structs, jiffies and nr_cpu_ids (D), linux_banner (R), init_net (D),
// each readable in kernel memory; the function list the tracer uses
// (Bpf.kallsyms) stays functions only, Bpf.ksyms has everything.
import { describe, expect, it } from "vitest";
import { DATA_SECTION_START } from "../../src/kernel-model/kernel-data.js";
import { HZ, INITIAL_JIFFIES, Kernel, KERNEL_RELEASE, LINUX_BANNER } from "../../src/kernel-model/kernel.js";
import { SyntheticKernel } from "../../src/kernel-model/synthetic.js";
import { syntheticVmlinux } from "../../src/kernel-model/vmlinux.js";
import { bootSyntheticKernel } from "../../src/syscall/boot.js";
import { KERNEL_RELEASE as KCONFIG_RELEASE } from "../../src/syscall/kconfig.js";
import { HelperId } from "../../src/vm/helpers/protos.js";
import { ProgramBuilder } from "../../src/vm/isa/builder.js";
import { encodeProgram } from "../../src/vm/isa/encode.js";

const read = (k: Kernel, addr: bigint, size: number): Uint8Array => {
  const b = new Uint8Array(size);
  expect(k.env().readKernel(b, addr)).toBe(0);
  return b;
};
const u64 = (b: Uint8Array) => new DataView(b.buffer).getBigUint64(0, true);

describe("kallsyms data symbols", () => {
  const k = new SyntheticKernel({ seed: 1, nrCpus: 4 });
  const sym = (name: string) => k.ksyms().find((s) => s.name === name);

  it("init_task is D at swapper/0's task_struct, first in .data, with pid 0 and comm swapper/0", () => {
    const init = sym("init_task")!;
    expect(init).toEqual({ name: "init_task", type: "D", address: DATA_SECTION_START.data, btfId: undefined });
    expect(init.address).toBe(0xffffffff83800000n);
    expect(k.tasks.idle[0]!.taskAddress).toBe(init.address);
    expect(k.memory.readField(init.address, "task_struct", "pid")).toBe(0n);
    expect(k.memory.readField(init.address, "task_struct", "tgid")).toBe(0n);
    expect(k.memory.readString(init.address, "task_struct", "comm")).toBe("swapper/0");
  });

  it("every CPU's idle task has its own task_struct (pid 0, swapper/N), not in the pid table (iter/task skips pid 0 as Linux's)", () => {
    const addrs = k.tasks.idle.map((t) => t.taskAddress);
    expect(new Set(addrs).size).toBe(4);
    k.tasks.idle.forEach((t, cpu) => {
      expect(t.taskAddress).not.toBe(0n);
      expect(k.memory.readString(t.taskAddress, "task_struct", "comm")).toBe(`swapper/${cpu}`);
      expect(k.memory.readField(t.taskAddress, "task_struct", "pid")).toBe(0n);
    });
    expect(k.tasks.all().some((t) => t.pid === 0)).toBe(false);
    expect(k.tasks.all().every((t) => !addrs.includes(t.taskAddress))).toBe(true);
  });

  it("bpf_get_current_task on an idle CPU is init_task's address (the value helper 35 returns)", () => {
    const bare = new Kernel({ btf: syntheticVmlinux(), nrCpus: 2 });
    const init = bare.ksyms().find((s) => s.name === "init_task")!;
    expect(bare.env().currentTask()).toMatchObject({ pid: 0, comm: "swapper/0", taskAddress: init.address });
    bare.cpu = 1;
    expect(bare.env().currentTask()).toMatchObject({ pid: 0, comm: "swapper/1", taskAddress: bare.tasks.idle[1]!.taskAddress });
  });

  it("jiffies (D) reads INITIAL_JIFFIES plus the boot clock in 1/HZ ticks, kept current", () => {
    const j = sym("jiffies")!;
    expect(j.type).toBe("D");
    // 2^32 - 300 s * HZ (250, x86 distribution kernels' CONFIG_HZ)
    expect([HZ, INITIAL_JIFFIES]).toEqual([250n, 4294892296n]);
    expect(u64(read(k, j.address, 8))).toBe(INITIAL_JIFFIES + (k.clock.boot() * HZ) / 1_000_000_000n);
    const before = u64(read(k, j.address, 8));
    k.clock.advance(8_000_000n);
    expect(u64(read(k, j.address, 8))).toBe(before + 2n);
  });

  it("nr_cpu_ids (D) is the CPU count, linux_banner (R) the release kconfig names, init_net (D) the namespace the world's devices are in", () => {
    const n = sym("nr_cpu_ids")!;
    expect(n.type).toBe("D");
    expect(new DataView(read(k, n.address, 4).buffer).getUint32(0, true)).toBe(4);
    const b = sym("linux_banner")!;
    expect(b.type).toBe("R");
    expect(b.address).toBe(DATA_SECTION_START.rodata);
    expect(KERNEL_RELEASE).toBe(KCONFIG_RELEASE);
    const bytes = read(k, b.address, LINUX_BANNER.length + 1);
    expect(new TextDecoder().decode(bytes)).toBe(LINUX_BANNER + "\0");
    expect(LINUX_BANNER.startsWith("Linux version 6.6.0-btfsnoop ")).toBe(true);
    expect(sym("init_net")).toEqual({ name: "init_net", type: "D", address: k.world.net, btfId: undefined });
  });

  it("variables lie past the text (no function at or above .rodata) and ksyms is in address order", () => {
    const all = k.ksyms();
    const fns = k.kallsyms();
    expect(fns.every((f) => f.type === "T" || f.type === "t")).toBe(true);
    expect(fns.every((f) => f.address < DATA_SECTION_START.rodata)).toBe(true);
    expect(all.length).toBe(fns.length + 5);
    for (let i = 1; i < all.length; i++) expect(all[i - 1]!.address <= all[i]!.address).toBe(true);
  });
});

describe("through bpf(2)", () => {
  const { bpf, kernel } = bootSyntheticKernel({ seed: 1, nrCpus: 2 });

  it("Bpf.kallsyms() stays the functions; Bpf.ksyms() is all of /proc/kallsyms with type letters", () => {
    const fns = bpf.kallsyms();
    expect(fns.find((s) => s.name === "init_task")).toBeUndefined();
    expect(fns.length).toBe(kernel.kallsyms().length);
    const all = bpf.ksyms();
    expect(all.find((s) => s.name === "init_task")).toEqual({ name: "init_task", address: kernel.tasks.idle[0]!.taskAddress, type: "D" });
    expect(all.filter((s) => s.type !== "T" && s.type !== "t").map((s) => `${s.type} ${s.name}`).sort()).toEqual(["D init_net", "D init_task", "D jiffies", "D nr_cpu_ids", "R linux_banner"]);
    const vfsWrite = kernel.functions.named("vfs_write")[0]!;
    expect(all.find((s) => s.name === "vfs_write")).toMatchObject({ address: vfsWrite.address, type: "T" });
  });

  it("a program running while swapper/0 is current gets init_task from bpf_get_current_task", () => {
    const prog = new ProgramBuilder().call(HelperId.get_current_task!).exit();
    const r = bpf.progLoad({ progType: "tracing", insns: encodeProgram(prog.link()), license: "GPL", name: "cur" });
    if (typeof r === "number") throw new Error(`progLoad: ${r} ${bpf.lastError}`);
    kernel.cpu = 0;
    kernel.tasks.switchTo(0, kernel.tasks.idle[0]!);
    const run = bpf.progTestRun(r.fd, { ctxIn: new Uint8Array(48) });
    if (typeof run === "number") throw new Error(`progTestRun: ${run} ${bpf.lastError}`);
    expect(run.r0).toBe(bpf.ksyms().find((s) => s.name === "init_task")!.address);
  });
});
