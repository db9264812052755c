// Scale mode on the real vmlinux 6.18 BTF: every FUNC callable at a
// kallsyms address, deterministic random calls, ground truth.
import { describe, expect, it } from "vitest";
import { vmlinuxBtf } from "../../test/helpers/fixtures.js";
import { buildScaleKernel, runRandomCalls, SCALE_TASKS, TEXT_BASE } from "./scale.js";

describe("scale mode", () => {
  const btf = vmlinuxBtf();

  it("makes every vmlinux FUNC a kernel function in kallsyms", () => {
    const k = buildScaleKernel(btf);
    const syms = k.kallsyms();
    expect(syms.length).toBe(56277);
    expect(syms[0]!.address).toBe(TEXT_BASE);
    const send = k.functions.named("ip_send_skb")[0]!;
    expect(send.btfId).toBe(88320);
    expect(send.nargs).toBe(2);
    expect(syms.find((s) => s.name === "ip_send_skb")!.type).toBe("t"); // static in vmlinux BTF (linkage=static)
  });

  it("runs the same calls for the same seed, and counts them", () => {
    const a = buildScaleKernel(btf, { seed: 9 });
    const b = buildScaleKernel(btf, { seed: 9 });
    runRandomCalls(a, 5000);
    runRandomCalls(b, 5000);
    const ca = a.functions.callsByName();
    const total = [...ca.values()].reduce((x, y) => x + y, 0);
    expect(total).toBe(5000);
    expect([...b.functions.callsByName()]).toEqual([...ca]);
    expect(a.clock.now()).toBe(b.clock.now());
    const c = buildScaleKernel(btf, { seed: 10 });
    runRandomCalls(c, 5000);
    expect([...c.functions.callsByName()]).not.toEqual([...ca]);
  });
});

describe("kernel tasks and memory", () => {
  it("gives a spawned task a task_struct that BPF reads see, with pid, tgid and comm", () => {
    const k = buildScaleKernel(vmlinuxBtf(), { seed: 1 });
    const t = k.spawn("curl", 1);
    k.tasks.switchTo(0, t);
    const env = k.env();
    const pidOf = SCALE_TASKS.length + 1; // after the tasks the scale kernel starts with
    expect(env.currentTask()).toEqual({ pid: pidOf, tgid: pidOf, uid: 0, gid: 0, comm: "curl", taskAddress: t.taskAddress });
    // In vmlinux 6.18 task_struct.pid is at bit 10112 (byte 1264) and comm at bit 14016 (byte 1752) (bpftool raw dump).
    const comm = new Uint8Array(16);
    expect(env.readKernel(comm, t.taskAddress + 1752n)).toBe(0);
    expect(Buffer.from(comm).toString("latin1").replace(/\0+$/, "")).toBe("curl");
    const pid = new Uint8Array(4);
    expect(env.readKernel(pid, t.taskAddress + 1264n)).toBe(0);
    expect(new DataView(pid.buffer).getInt32(0, true)).toBe(pidOf);
    expect(env.readKernel(new Uint8Array(8), 0xffff8881ffff0000n)).toBe(-14);
  });
});
