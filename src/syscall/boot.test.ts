// The synthetic kernel behind the syscall layer: BTF and kallsyms come from
// the model, a program loaded through bpf() reads the model's memory through
// its helpers, and closing everything leaves nothing behind.
import { describe, expect, it } from "vitest";
import { parseBtf } from "../btf/parse.js";
import { BtfKind } from "../btf/kinds.js";
import { HelperId } from "../vm/helpers/protos.js";
import { ProgramBuilder } from "../vm/isa/builder.js";
import { encodeProgram } from "../vm/isa/encode.js";
import { Size } from "../vm/isa/opcodes.js";
import { encodeBtf } from "../btf/encode.js";
import { syntheticVmlinuxBytes } from "../kernel-model/vmlinux.js";
import { bootSyntheticKernel, servicesOf, vmlinuxBytesOf } from "./boot.js";

describe("booted synthetic kernel", () => {
  it("serves its BTF and kallsyms through the syscall surface", () => {
    const { kernel, bpf } = bootSyntheticKernel({ seed: 1 });
    const fd = bpf.btfGetFd();
    expect(fd).toBe(3);
    const info = bpf.btfGetInfo(fd);
    if (typeof info === "number") throw new Error(`btfGetInfo: ${info}`);
    const btf = parseBtf(info.btf);
    expect(btf.findByNameKind("sk_buff", BtfKind.STRUCT)).toBe(kernel.btf.findByNameKind("sk_buff", BtfKind.STRUCT));
    const syms = bpf.kallsyms();
    expect(syms.find((s) => s.name === "ip_send_skb")!.btfId).toBe(kernel.btf.findByNameKind("ip_send_skb", BtfKind.FUNC));
    bpf.closeAll();
    expect(bpf.objects()).toEqual({ map: 0, prog: 0, btf: 0, link: 0, iter: 0, fds: 0 });
  });

  it("runs a tracing program that reads the current task's comm through the model", () => {
    const { kernel, bpf } = bootSyntheticKernel({ seed: 1 });
    kernel.cpu = 2;
    // r0 = first 8 bytes of get_current_comm()
    const prog = new ProgramBuilder()
      .mov64(1, 10)
      .add64Imm(1, -16)
      .mov64Imm(2, 16)
      .call(HelperId.get_current_comm!)
      .ldx(Size.DW, 0, 10, -16)
      .exit();
    const r = bpf.progLoad({ progType: "tracing", insns: encodeProgram(prog.link()), license: "GPL", name: "comm" });
    if (typeof r === "number") throw new Error(`progLoad: ${r} ${bpf.lastError}`);
    const run = bpf.progTestRun(r.fd, { ctxIn: new Uint8Array(48) });
    if (typeof run === "number") throw new Error(`progTestRun: ${run} ${bpf.lastError}`);
    const comm = Buffer.alloc(8);
    comm.writeBigUInt64LE(run.r0);
    expect(comm.toString("latin1").replace(/\0+$/, "")).toBe(kernel.current().comm.slice(0, 8));
    expect(kernel.current().comm).toBe("curl"); // the third task started runs on CPU 2
    bpf.closeAll();
  });

  it("serves the synthetic BTF blob it was built from, equal to encoding it again, as a private copy", () => {
    const { kernel } = bootSyntheticKernel({ seed: 1 });
    const bytes = vmlinuxBytesOf(kernel);
    expect(Buffer.compare(Buffer.from(bytes), Buffer.from(encodeBtf(kernel.btf)))).toBe(0);
    expect(bytes.length).toBe(syntheticVmlinuxBytes().length);
    expect(bytes).not.toBe(syntheticVmlinuxBytes());
    // a reader scribbling on its copy changes neither the shared blob nor the next boot's copy
    const first = syntheticVmlinuxBytes()[0];
    bytes[0] = first! ^ 0xff;
    expect(syntheticVmlinuxBytes()[0]).toBe(first);
    expect(vmlinuxBytesOf(bootSyntheticKernel({ seed: 2 }).kernel)[0]).toBe(first);
    // one blob per kernel: bpf's BTF object and btfBytes() see the same bytes each time
    const services = servicesOf(kernel);
    expect(services.btfBytes()).toBe(services.btfBytes());
  });
});
