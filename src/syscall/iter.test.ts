// BPF iterators end to end on the synthetic kernel: the generated program
// per target, linked with attach type "iter", read through iterCreate; the
// output checked against the model's objects.
import { describe, expect, it } from "vitest";
import { generateIterProgram, type IterFormat } from "../codegen/iter-programs.js";
import { IPV6_ROUTES, NETLINK_SOCKS, in6Bytes } from "../kernel-model/iter-objects.js";
import { encodeProgram } from "../vm/isa/encode.js";
import { ProgramBuilder } from "../vm/isa/builder.js";
import { HelperId } from "../vm/helpers/protos.js";
import { Size } from "../vm/isa/opcodes.js";
import { ITER_TARGETS, type IterTargetName } from "../vm/verifier/iter-prog-types.js";
import { bootSyntheticKernel, type BootedKernel } from "./boot.js";
import type { Bpf } from "./bpf.js";

/** read(2) on an iterator fd until its end, `chunk` bytes at a time: the text, or the failing read's errno. */
function readToEnd(bpf: Bpf, fd: number, chunk = 1000): string | number {
  const parts: Uint8Array[] = [];
  for (;;) {
    const r = bpf.read(fd, chunk);
    if (typeof r === "number") return r;
    if (r.length === 0) return Buffer.concat(parts).toString("utf8");
    expect(r.length).toBeLessThanOrEqual(chunk);
    parts.push(r);
  }
}

function dump(k: BootedKernel, target: IterTargetName, format: IterFormat = "text"): string {
  const insns = generateIterProgram(target, k.kernel.btf, format);
  const p = k.bpf.progLoad({ progType: "iter", iterTarget: target, insns: encodeProgram(insns), license: "GPL", name: "it" });
  if (typeof p === "number") throw new Error(`${target}: ${k.bpf.lastError}\n${k.bpf.lastLog.slice(-8).join("\n")}`);
  const l = k.bpf.linkCreate(p.fd, "iter", { name: target });
  expect(l, k.bpf.lastError).toBeGreaterThan(0);
  const fd = k.bpf.iterCreate(l);
  if (fd < 0) throw new Error(k.bpf.lastError);
  const out = readToEnd(k.bpf, fd);
  if (typeof out === "number") throw new Error(`read: ${out} ${k.bpf.lastError}`);
  return out;
}

describe("iterator targets", () => {
  it("every target's program loads, links and reads", () => {
    const k = bootSyntheticKernel({ seed: 3 });
    for (const t of ITER_TARGETS) for (const f of ["text", "json"] as const) if (t !== "bpf_map" || f === "text") expect(dump(k, t, f).length).toBeGreaterThan(0);
  });

  it("task: every live task appears once, with its pid, tgid and comm, then the epilogue", () => {
    const k = bootSyntheticKernel({ seed: 1 });
    k.kernel.run("mixed", { count: 200 });
    const lines = dump(k, "task").trimEnd().split("\n");
    expect(lines[0]).toBe("    tgid      pid comm");
    expect(lines.at(-1)).toBe("    === END ===");
    const rows = lines.slice(1, -1).map((l) => l.trim().split(/\s+/));
    expect(rows.map(([tgid, pid, comm]) => ({ tgid: Number(tgid), pid: Number(pid), comm }))).toEqual(
      k.kernel.tasks.all().map((t) => ({ tgid: t.tgid, pid: t.pid, comm: t.comm })),
    );
  });

  it("task/file: fds 0-2 of every process plus the files the workload holds open", () => {
    const k = bootSyntheticKernel({ seed: 1 });
    const rows = dump(k, "task/file").trimEnd().split("\n").slice(1).map((l) => l.trim().split(/\s+/));
    const expected = k.iterObjects.files();
    expect(rows.length).toBe(expected.length);
    rows.forEach((r, i) => {
      expect(Number(r[1])).toBe(expected[i]!.pid);
      expect(Number(r[2])).toBe(expected[i]!.fd);
      expect(r[4]).toBe(expected[i]!.name);
    });
  });

  it("netlink: the /proc/net/netlink columns parse back to init_net's sockets (not the other namespace's)", () => {
    const k = bootSyntheticKernel({ seed: 1 });
    const text = dump(k, "netlink");
    const lines = text.trimEnd().split("\n");
    expect(lines[0]).toBe("sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode");
    const objs = k.iterObjects.netlink();
    expect(lines.length - 1).toBe(NETLINK_SOCKS.length);
    lines.slice(1).forEach((l, i) => {
      const [sk, eth, pid, groups, rmem, wmem, dump_, locks, drops, inode] = l.trim().split(/\s+/);
      const { addr, spec } = objs[i]!;
      expect(BigInt("0x" + sk)).toBe(addr);
      expect([Number(eth), Number(pid), parseInt(groups!, 16), Number(rmem), Number(wmem), Number(dump_), Number(locks), Number(drops), Number(inode)]).toEqual([
        spec.protocol, spec.portid, spec.groups, spec.rmem, 0, spec.cbRunning ? 1 : 0, 2, spec.drops, spec.inode,
      ]);
    });
    for (const other of k.iterObjects.otherNs) expect(text).not.toContain(other.toString(16));
    // The kernel's column format: "%pK %-3d %-10u %08x %-8d %-8d %-5d %-8d %-8u %-8lu\n".
    expect(lines[3]).toMatch(/^[0-9a-f]{16} 0   523        00000001 2304     0        0     2        0        18311   $/);
  });

  it("ipv6_route: the /proc/net/ipv6_route columns parse back to the routes", () => {
    const k = bootSyntheticKernel({ seed: 1 });
    const lines = dump(k, "ipv6_route").trimEnd().split("\n");
    expect(lines.length).toBe(IPV6_ROUTES.length);
    lines.forEach((l, i) => {
      const r = IPV6_ROUTES[i]!;
      const [dst, plen, src, splen, gw, metric, ref, use, flags, dev] = l.trim().split(/\s+/);
      expect(dst).toBe(Buffer.from(in6Bytes(r.dst)).toString("hex"));
      expect(parseInt(plen!, 16)).toBe(r.dstLen);
      expect([src, splen]).toEqual(["0".repeat(32), "00"]);
      expect(gw).toBe(r.gw ? Buffer.from(in6Bytes(r.gw)).toString("hex") : "0".repeat(32));
      expect([parseInt(metric!, 16), parseInt(ref!, 16), parseInt(use!, 16)]).toEqual([r.metric, r.refcnt, 0]);
      expect(parseInt(flags!, 16)).toBe((r.flags | (r.gw ? 2 : 0)) >>> 0);
      expect(dev).toBe(r.dev);
    });
    expect(lines[0]).toMatch(/^0{32} 00 0{32} 00 fe800{27}1 00000400 00000002 00000000 00440003     eth0$/);
  });

  it("bpf_map and bpf_prog walk the syscall layer's maps and programs by id", () => {
    const k = bootSyntheticKernel({ seed: 1 });
    const m = k.bpf.mapCreate({ type: 1, keySize: 4, valueSize: 8, maxEntries: 16, name: "counts" });
    expect(m).toBeGreaterThan(0);
    const maps = dump(k, "bpf_map").split("\n");
    expect(maps[0]).toBe("      id   refcnt  usercnt  locked_vm type name");
    expect(maps[1]!.trim().split(/\s+/)).toEqual(["1", "1", "1", "0", "1", "counts"]);
    expect(maps[2]).toBe("      %%% END %%%");
    const progs = dump(k, "bpf_prog").trimEnd().split("\n");
    // Both iterator programs so far (the bpf_map dumper and this one), each held by its fd and its link.
    expect(progs.slice(1).map((l) => l.trim().split(/\s+/)[0])).toEqual(["1", "2"]);
  });

  it("meta->seq_num counts the objects; the epilogue sees NULL with seq_num = the count", () => {
    const k = bootSyntheticKernel({ seed: 1 });
    // seq_printf("%llu\n", meta->seq_num) for every call, object or not.
    const b = new ProgramBuilder()
      .ldx(Size.DW, 2, 1, 0)
      .ldx(Size.DW, 3, 2, 16)
      .stx(Size.DW, 10, -16, 3)
      .ldx(Size.DW, 1, 2, 0)
      .lddw(3, Buffer.from("%llu\n\0\0\0").readBigUInt64LE(0))
      .stx(Size.DW, 10, -8, 3)
      .mov64(2, 10)
      .add64Imm(2, -8)
      .mov64Imm(3, 6)
      .mov64(4, 10)
      .add64Imm(4, -16)
      .mov64Imm(5, 8)
      .call(HelperId.seq_printf!)
      .mov64Imm(0, 0)
      .exit();
    const p = k.bpf.progLoad({ progType: "iter", iterTarget: "task", insns: encodeProgram(b.link()), license: "GPL" });
    if (typeof p === "number") throw new Error(k.bpf.lastError);
    const fd = k.bpf.iterCreate(k.bpf.linkCreate(p.fd, "iter", { name: "task" }));
    if (fd < 0) throw new Error(k.bpf.lastError);
    const n = k.kernel.tasks.all().length;
    expect(readToEnd(k.bpf, fd)).toBe(Array.from({ length: n + 1 }, (_, i) => `${i}\n`).join(""));
  });

  it("refuses mismatched targets, non-iterator links and unknown targets", () => {
    const k = bootSyntheticKernel({ seed: 1 });
    expect(k.bpf.progLoad({ progType: "iter", iterTarget: "tcp", insns: encodeProgram(new ProgramBuilder().mov64Imm(0, 0).exit().link()) })).toBe(-22);
    expect(k.bpf.lastError).toMatch(/^unknown iterator target 'tcp'/);
    const p = k.bpf.progLoad({ progType: "iter", iterTarget: "task", insns: encodeProgram(new ProgramBuilder().mov64Imm(0, 0).exit().link()) });
    if (typeof p === "number") throw new Error(k.bpf.lastError);
    expect(k.bpf.linkCreate(p.fd, "iter", { name: "netlink" })).toBe(-22);
    expect(k.bpf.iterCreate(p.fd)).toBe(-22);
  });

  it("BPF_ITER_CREATE gives an fd: read(2) in any chunk size gives the same dump, the fd holds its link, close frees it", () => {
    const k = bootSyntheticKernel({ seed: 2 });
    const insns = generateIterProgram("task", k.kernel.btf, "text");
    const p = k.bpf.progLoad({ progType: "iter", iterTarget: "task", insns: encodeProgram(insns), license: "GPL", name: "it" });
    if (typeof p === "number") throw new Error(k.bpf.lastError);
    const link = k.bpf.linkCreate(p.fd, "iter", { name: "task" });
    const whole = readToEnd(k.bpf, k.bpf.iterCreate(link), 1 << 20);
    expect(typeof whole).toBe("string");
    expect((whole as string).length).toBeGreaterThan(100);
    for (const chunk of [1, 7, 64]) expect(readToEnd(k.bpf, k.bpf.iterCreate(link), chunk)).toBe(whole);
    // An open iterator keeps its link and program when their fds close.
    const fd = k.bpf.iterCreate(link);
    expect(k.bpf.objects()).toMatchObject({ iter: 5, link: 1, prog: 1 });
    expect(k.bpf.close(link)).toBe(0);
    expect(k.bpf.close(p.fd)).toBe(0);
    expect(readToEnd(k.bpf, fd, 333)).toBe(whole);
    // At the end, reads keep returning an empty array.
    expect(k.bpf.read(fd, 10)).toEqual(new Uint8Array(0));
    k.bpf.closeAll();
    expect(k.bpf.objects()).toMatchObject({ iter: 0, link: 0, prog: 0, fds: 0 });
  });

  it("read(2) on an fd that is not an iterator is -EINVAL, on a closed one -EBADF", () => {
    const k = bootSyntheticKernel({ seed: 1 });
    const p = k.bpf.progLoad({ progType: "iter", iterTarget: "task", insns: encodeProgram(new ProgramBuilder().mov64Imm(0, 0).exit().link()) });
    if (typeof p === "number") throw new Error(k.bpf.lastError);
    expect(k.bpf.read(p.fd, 16)).toBe(-22);
    expect(k.bpf.lastError).toMatch(/is not an iterator/);
    expect(k.bpf.read(999, 16)).toBe(-9);
  });
});
