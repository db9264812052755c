// The syscall surface end to end on real pieces (an AddressSpace, the null
// kernel env, a small BTF): map lifecycle and errnos through fds, program
// load accept/reject, a program using a map by fd, test runs, fd reuse,
// freeing on close, closeAll and links.
import { describe, expect, it } from "vitest";
import { BtfBuilder } from "../btf/builder.js";
import { encodeBtf } from "../btf/encode.js";
import { Errno } from "../internal/errno.js";
import { nullKernelEnv } from "../vm/env.js";
import { HelperId } from "../vm/helpers/protos.js";
import { ProgramBuilder } from "../vm/isa/builder.js";
import { encodeProgram } from "../vm/isa/encode.js";
import { JmpOp, Size } from "../vm/isa/opcodes.js";
import { BPF_ANY, BPF_EXIST, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_PROG_ARRAY, BPF_NOEXIST } from "../vm/maps/index.js";
import { AddressSpace } from "../vm/memory.js";
import { Bpf, type BpfProg, type KernelServices } from "./index.js";

const E = (n: keyof typeof Errno) => -Errno[n];

function services(): KernelServices {
  const b = new BtfBuilder();
  const int = b.int("int", 4, 1);
  const proto = b.funcProto(int, [["x", int]]);
  const fn = b.func("do_thing", proto);
  const btf = b.finish();
  const bytes = encodeBtf(btf);
  return {
    btf,
    btfBytes: () => bytes,
    kallsyms: () => [{ name: "do_thing", address: 0xffffffff81000000n, btfId: fn }],
    mem: new AddressSpace(),
    env: nullKernelEnv(),
    nrCpus: 2,
  };
}

const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const u64 = (n: bigint) => new Uint8Array(new BigUint64Array([n]).buffer);
const readU64 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset).getBigUint64(0, true);
const bytes = (b: ProgramBuilder) => encodeProgram(b.link());

function setup() {
  const s = services();
  return { s, bpf: new Bpf(s) };
}

describe("Bpf: BTF and symbols", () => {
  it("gives the kernel BTF through an fd and kallsyms", () => {
    const { s, bpf } = setup();
    const fd = bpf.btfGetFd();
    expect(fd).toBe(3);
    const info = bpf.btfGetInfo(fd);
    expect(typeof info).toBe("object");
    if (typeof info === "number") return;
    expect(info.btf).toEqual(s.btfBytes());
    expect(info.id).toBe(1);
    expect(bpf.kallsyms()[0]!.name).toBe("do_thing");
    expect(bpf.objects()).toMatchObject({ btf: 1, fds: 1 });
    expect(bpf.btfGetInfo(99)).toBe(E("EBADF"));
    expect(bpf.close(fd)).toBe(0);
    expect(bpf.objects()).toMatchObject({ btf: 0, fds: 0 });
  });
});

describe("Bpf: maps", () => {
  it("creates, updates, looks up, iterates and deletes through an fd", () => {
    const { bpf } = setup();
    const fd = bpf.mapCreate({ type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 2, name: "h" });
    expect(fd).toBe(3);
    expect(bpf.mapLookupElem(fd, u32(1))).toBe(E("ENOENT"));
    expect(bpf.lastError).toMatch(/ENOENT/);
    expect(bpf.mapUpdateElem(fd, u32(1), u64(10n), BPF_NOEXIST)).toBe(0);
    expect(bpf.lastError).toBe("");
    expect(bpf.mapUpdateElem(fd, u32(1), u64(11n), BPF_NOEXIST)).toBe(E("EEXIST"));
    expect(bpf.mapUpdateElem(fd, u32(2), u64(20n), BPF_EXIST)).toBe(E("ENOENT"));
    expect(bpf.mapUpdateElem(fd, u32(2), u64(20n), BPF_ANY)).toBe(0);
    expect(bpf.mapUpdateElem(fd, u32(3), u64(30n), BPF_ANY)).toBe(E("E2BIG"));
    expect(readU64(bpf.mapLookupElem(fd, u32(1)) as Uint8Array)).toBe(10n);
    const first = bpf.mapGetNextKey(fd, null) as Uint8Array;
    const second = bpf.mapGetNextKey(fd, first) as Uint8Array;
    expect(new Set([first[0], second[0]])).toEqual(new Set([1, 2]));
    expect(bpf.mapGetNextKey(fd, second)).toBe(E("ENOENT"));
    const batch = bpf.mapLookupBatch(fd, null, 10);
    expect(batch.count).toBe(2);
    expect(batch.err).toBe(E("ENOENT"));
    expect(bpf.mapDeleteElem(fd, u32(1))).toBe(0);
    expect(bpf.mapDeleteElem(fd, u32(1))).toBe(E("ENOENT"));
    expect(bpf.mapGetInfoByFd(fd)).toMatchObject({ type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 2, name: "h" });
  });

  it("returns the map layer's errno for bad attributes and -EBADF/-EINVAL for bad fds", () => {
    const { bpf } = setup();
    expect(bpf.mapCreate({ type: BPF_MAP_TYPE_HASH, keySize: 0, valueSize: 8, maxEntries: 2 })).toBe(E("EINVAL"));
    expect(bpf.mapCreate({ type: 999, keySize: 4, valueSize: 8, maxEntries: 2 })).toBe(E("EINVAL"));
    expect(bpf.mapCreate({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, name: "bad name!" })).toBe(E("EINVAL"));
    expect(bpf.lastError).toMatch(/invalid map name/);
    expect(bpf.objects()).toMatchObject({ map: 0, fds: 0 });
    expect(bpf.mapLookupElem(3, u32(0))).toBe(E("EBADF"));
    expect(bpf.mapUpdateElem(42, u32(0), u64(0n))).toBe(E("EBADF"));
    expect(bpf.mapGetInfoByFd(-1)).toBe(E("EBADF"));
    const btf = bpf.btfGetFd();
    expect(bpf.mapLookupElem(btf, u32(0))).toBe(E("EINVAL"));
    expect(bpf.lastError).toBe(`fd ${btf} is not a map`);
    expect(bpf.mapLookupBatch(99, null, 1).err).toBe(E("EBADF"));
    expect(bpf.close(99)).toBe(E("EBADF"));
  });

  it("reuses the lowest free fd", () => {
    const { bpf } = setup();
    const a = () => bpf.mapCreate({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
    expect([a(), a(), a()]).toEqual([3, 4, 5]);
    expect(bpf.close(4)).toBe(0);
    expect(bpf.close(3)).toBe(0);
    expect(a()).toBe(3);
    expect(a()).toBe(4);
    expect(a()).toBe(6);
    expect(bpf.openFds().map((f) => f.fd)).toEqual([3, 4, 5, 6]);
  });

  it("frees a map with its last fd: regions unmapped, registry entry gone", () => {
    const { s, bpf } = setup();
    const fd = bpf.mapCreate({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, name: "arr" });
    const id = (bpf.mapGetInfoByFd(fd) as { id: number }).id;
    const map = bpf.registry.byId(id)!;
    const valueAddr = map.progLookup(u32(0), 0);
    expect(s.mem.findAddress(valueAddr, 8)).toBeDefined();
    expect(s.mem.findAddress(map.address, 8)).toBeDefined();
    const dup = bpf.mapGetFdById(id);
    expect(dup).toBe(fd + 1);
    expect(bpf.close(fd)).toBe(0);
    expect(bpf.registry.byId(id)).toBe(map); // still referenced by dup
    expect(bpf.close(dup)).toBe(0);
    expect(bpf.registry.byId(id)).toBeUndefined();
    expect(bpf.registry.size).toBe(0);
    expect(s.mem.findAddress(valueAddr, 8)).toBeUndefined();
    expect(s.mem.findAddress(map.address, 8)).toBeUndefined();
    expect(bpf.mapGetFdById(id)).toBe(E("ENOENT"));
    expect(bpf.objects().map).toBe(0);
  });
});

describe("Bpf: programs", () => {
  it("loads and test-runs an accepted program", () => {
    const { bpf } = setup();
    const r = bpf.progLoad({ progType: "conformance", insns: bytes(new ProgramBuilder().mov64Imm(0, 42).exit()), license: "GPL", name: "answer" });
    expect(typeof r).toBe("object");
    if (typeof r === "number") return;
    expect(r.fd).toBe(3);
    expect(r.log.at(-1)).toMatch(/^processed 2 insns/);
    const run = bpf.progTestRun(r.fd, { repeat: 5 });
    expect(run).toMatchObject({ retval: 42, r0: 42n });
    const info = bpf.progGetInfoByFd(r.fd);
    expect(info).toMatchObject({ name: "answer", type: "conformance", insnCnt: 2, verifiedInsns: 2, runCnt: 5, gplCompatible: true, mapIds: [] });
  });

  it("rejects with -EACCES and the verifier's message ending the log", () => {
    const { bpf } = setup();
    const r = bpf.progLoad({ progType: "conformance", insns: bytes(new ProgramBuilder().exit()), license: "GPL", logLevel: 1 });
    expect(r).toBe(E("EACCES"));
    expect(bpf.lastError).toBe("R0 !read_ok");
    expect(bpf.lastLog.at(-2)).toBe("R0 !read_ok");
    expect(bpf.lastLog.at(-1)).toMatch(/^processed 1 insns/);
    expect(bpf.objects().prog).toBe(0);
    expect(bpf.openFds()).toEqual([]);
  });

  it("lets the verifier refuse unprivileged subprogram calls with -EPERM", () => {
    const { bpf } = setup();
    const prog = new ProgramBuilder().callLocal("f").exit().label("f").mov64Imm(0, 0).exit();
    expect(bpf.progLoad({ progType: "conformance", insns: bytes(prog), privileged: false })).toBe(E("EPERM"));
    expect(bpf.lastError).toMatch(/CAP_BPF/);
    expect(typeof bpf.progLoad({ progType: "conformance", insns: bytes(prog), privileged: true })).toBe("object");
  });

  it("refuses bad attributes and undecodable instructions with -EINVAL/-E2BIG", () => {
    const { bpf } = setup();
    const ok = bytes(new ProgramBuilder().mov64Imm(0, 0).exit());
    expect(bpf.progLoad({ progType: "xdp", insns: ok })).toBe(E("EINVAL"));
    expect(bpf.lastError).toMatch(/unknown program type/);
    expect(bpf.progLoad({ progType: "tracing", insns: ok, name: "much_too_long_name" })).toBe(E("EINVAL"));
    expect(bpf.progLoad({ progType: "tracing", insns: ok.subarray(0, 12) })).toBe(E("EINVAL"));
    expect(bpf.progLoad({ progType: "tracing", insns: new Uint8Array(0) })).toBe(E("E2BIG"));
    const bad = new Uint8Array(ok);
    bad[0] = 0xff; // unknown opcode
    expect(bpf.progLoad({ progType: "tracing", insns: bad })).toBe(E("EINVAL"));
    expect(bpf.lastError).toBe("unknown opcode ff");
  });

  it("refuses GPL-only helpers without a GPL-compatible license", () => {
    const { bpf } = setup();
    const prog = new ProgramBuilder().mov64(1, 10).add64Imm(1, -8).st(Size.DW, 10, -8, 0).mov64Imm(2, 8).call(HelperId.trace_printk!).mov64Imm(0, 0).exit();
    expect(bpf.progLoad({ progType: "tracing", insns: bytes(prog), license: "Proprietary" })).toBe(E("EINVAL"));
    expect(bpf.lastError).toBe("cannot call GPL-restricted function from non-GPL compatible program");
  });

  it("resolves lddw map fds: the program updates the map; lookups see it", () => {
    const { bpf } = setup();
    const map = bpf.mapCreate({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, name: "counts" });
    // key 1: *lookup(&key) += ctx[0]
    const prog = new ProgramBuilder()
      .ldx(Size.DW, 6, 1, 0)
      .st(Size.W, 10, -4, 1)
      .ldMapFd(1, map)
      .mov64(2, 10)
      .add64Imm(2, -4)
      .call(HelperId.map_lookup_elem!)
      .jmpImm(JmpOp.JEQ, 0, 0, "out")
      .atomicAdd(Size.DW, 0, 0, 6)
      .label("out")
      .mov64Imm(0, 0)
      .exit();
    const r = bpf.progLoad({ progType: "tracing", insns: bytes(prog), license: "GPL", name: "adder", nargs: 2 });
    if (typeof r === "number") throw new Error(`${r} ${bpf.lastError}\n${bpf.lastLog.join("\n")}`);
    const run = bpf.progTestRun(r.fd, { ctxIn: u64(5n), repeat: 3 });
    expect(run).toMatchObject({ retval: 0 });
    expect((run as { fault?: unknown }).fault).toBeUndefined();
    expect(readU64(bpf.mapLookupElem(map, u32(1)) as Uint8Array)).toBe(15n);
    expect(readU64(bpf.mapLookupElem(map, u32(0)) as Uint8Array)).toBe(0n);
    const info = bpf.progGetInfoByFd(r.fd);
    expect(info).toMatchObject({ runCnt: 3, mapIds: [(bpf.mapGetInfoByFd(map) as { id: number }).id] });
    // ctx too large, data_in on tracing: -EINVAL
    expect(bpf.progTestRun(r.fd, { ctxIn: new Uint8Array(24) })).toBe(E("EINVAL"));
    expect(bpf.progTestRun(r.fd, { dataIn: new Uint8Array(8) })).toBe(E("EINVAL"));
  });

  it("a raw_tracepoint program is listed as raw_tracepoint and test-runs on its u64 arguments", () => {
    const { bpf } = setup();
    // r0 = ctx[1] (the second TP_PROTO argument), read narrow as bpf_tracing_ctx_access allows.
    const r = bpf.progLoad({ progType: "raw_tracepoint", insns: bytes(new ProgramBuilder().ldx(Size.W, 0, 1, 8).exit()), license: "GPL", name: "second" });
    if (typeof r === "number") throw new Error(`${r} ${bpf.lastError}`);
    expect(bpf.progGetInfoByFd(r.fd)).toMatchObject({ type: "raw_tracepoint", name: "second" });
    const ctx = new Uint8Array(16);
    ctx.set(u64(0x1_0000_002an), 8);
    expect(bpf.progTestRun(r.fd, { ctxIn: ctx })).toMatchObject({ retval: 42 });
    expect(bpf.progTestRun(r.fd, { dataIn: new Uint8Array(8) })).toBe(E("EINVAL"));
    expect(bpf.lastError).toBe("raw_tracepoint programs take no data_in");
  });

  it("resolves lddw map values (src 2) to the array's value", () => {
    const { bpf } = setup();
    const map = bpf.mapCreate({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 16, maxEntries: 1, name: "cfg" });
    bpf.mapUpdateElem(map, u32(0), new Uint8Array([...u64(7n), ...u64(0n)]));
    const prog = new ProgramBuilder().ldMapValue(1, map, 0).ldx(Size.DW, 0, 1, 0).st(Size.DW, 1, 8, 99).exit();
    const r = bpf.progLoad({ progType: "conformance", insns: bytes(prog) });
    if (typeof r === "number") throw new Error(bpf.lastError);
    expect(bpf.progTestRun(r.fd)).toMatchObject({ retval: 7 });
    expect(readU64((bpf.mapLookupElem(map, u32(0)) as Uint8Array).subarray(8))).toBe(99n);
  });

  it("refuses lddw of an fd that is not a map, like resolve_pseudo_ldimm64", () => {
    const { bpf } = setup();
    const prog = (fd: number) => bytes(new ProgramBuilder().ldMapFd(1, fd).mov64Imm(0, 0).exit());
    expect(bpf.progLoad({ progType: "tracing", insns: prog(7) })).toBe(E("EBADF"));
    expect(bpf.lastError).toBe("fd 7 is not pointing to valid bpf_map");
    const btf = bpf.btfGetFd();
    expect(bpf.progLoad({ progType: "tracing", insns: prog(btf) })).toBe(E("EINVAL"));
    expect(bpf.lastLog.at(-1)).toMatch(/fd 3 is not pointing to valid bpf_map$/);
  });

  it("conformance test runs get data_in as memory and return data_out", () => {
    const { s, bpf } = setup();
    // r0 = mem[0] + r2; mem[1] = 0x55
    const prog = new ProgramBuilder().ldx(Size.B, 0, 1, 0).add64(0, 2).st(Size.B, 1, 1, 0x55).exit();
    const r = bpf.progLoad({ progType: "conformance", insns: bytes(prog), memSize: 4 });
    if (typeof r === "number") throw new Error(bpf.lastError + bpf.lastLog.join("\n"));
    const run = bpf.progTestRun(r.fd, { dataIn: new Uint8Array([10]) });
    expect(run).toMatchObject({ retval: 14, dataOut: new Uint8Array([10, 0x55, 0, 0]) });
    expect(bpf.progTestRun(r.fd, { dataIn: new Uint8Array(5) })).toBe(E("EINVAL"));
    expect(bpf.progTestRun(3 + 100)).toBe(E("EBADF"));
    expect(s.mem.findAddress(0xffffc9d000001000n, 1)).toBeUndefined(); // the data region was unmapped
  });

  it("reports faults of a test run", () => {
    const { bpf } = setup();
    const loop = new ProgramBuilder().mov64Imm(0, 0).label("l").add64Imm(0, 1).jmpImm(JmpOp.JLT, 0, 2000, "l").exit();
    const r = bpf.progLoad({ progType: "conformance", insns: bytes(loop) });
    if (typeof r === "number") throw new Error(bpf.lastError);
    const run = bpf.progTestRun(r.fd, { budget: 1000 });
    expect(run).toMatchObject({ retval: 0, fault: { kind: "budget" } });
  });

  it("a program keeps its maps alive after their fds close", () => {
    const { s, bpf } = setup();
    const map = bpf.mapCreate({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
    const id = (bpf.mapGetInfoByFd(map) as { id: number }).id;
    const addr = bpf.registry.byId(id)!.address;
    const r = bpf.progLoad({ progType: "conformance", insns: bytes(new ProgramBuilder().ldMapValue(1, map).ldx(Size.DW, 0, 1, 0).exit()) });
    if (typeof r === "number") throw new Error(bpf.lastError);
    expect(bpf.close(map)).toBe(0);
    expect(bpf.objects()).toMatchObject({ map: 1, prog: 1, fds: 1 });
    expect(bpf.progTestRun(r.fd)).toMatchObject({ retval: 0 });
    expect(bpf.close(r.fd)).toBe(0);
    expect(bpf.objects()).toMatchObject({ map: 0, prog: 0, fds: 0 });
    expect(bpf.registry.byId(id)).toBeUndefined();
    expect(s.mem.findAddress(addr, 8)).toBeUndefined();
  });

  it("prog arrays take program fds and tail calls reach them", () => {
    const { bpf } = setup();
    const pa = bpf.mapCreate({ type: BPF_MAP_TYPE_PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 });
    const target = bpf.progLoad({ progType: "tracing", insns: bytes(new ProgramBuilder().mov64Imm(0, 77).exit()), name: "target" });
    if (typeof target === "number") throw new Error(bpf.lastError);
    expect(bpf.mapUpdateElem(pa, u32(0), u32(target.fd))).toBe(0);
    expect(bpf.mapUpdateElem(pa, u32(1), u32(99))).toBe(E("EBADF"));
    const tid = (bpf.progGetInfoByFd(target.fd) as { id: number }).id;
    expect(bpf.mapLookupElem(pa, u32(0))).toEqual(u32(tid));
    const caller = new ProgramBuilder().ldMapFd(2, pa).mov64Imm(3, 0).call(HelperId.tail_call!).mov64Imm(0, 1).exit();
    const c = bpf.progLoad({ progType: "tracing", insns: bytes(caller), name: "caller" });
    if (typeof c === "number") throw new Error(bpf.lastError + bpf.lastLog.join("\n"));
    expect(bpf.progTestRun(c.fd)).toMatchObject({ retval: 77 });
    expect(bpf.close(target.fd)).toBe(0); // the array drops the freed program
    expect(bpf.progTestRun(c.fd)).toMatchObject({ retval: 1 });
  });
});

describe("Bpf: links and process exit", () => {
  const tracing = (bpf: Bpf) => {
    const r = bpf.progLoad({ progType: "tracing", insns: bytes(new ProgramBuilder().mov64Imm(0, 0).exit()), name: "probe" });
    if (typeof r === "number") throw new Error(bpf.lastError);
    return r.fd;
  };

  it("linkCreate is -EOPNOTSUPP until the trampoline layer registers the attach type", () => {
    const { bpf } = setup();
    const fd = tracing(bpf);
    expect(bpf.linkCreate(fd, "fentry", { name: "do_thing" })).toBe(E("EOPNOTSUPP"));
    expect(bpf.lastError).toBe("attach type fentry is provided by the trampoline layer");
    expect(bpf.linkCreate(99, "fentry")).toBe(E("EBADF"));
    const map = bpf.mapCreate({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
    expect(bpf.linkCreate(map, "fentry")).toBe(E("EINVAL"));
  });

  it("calls a registered handler, detaches on linkDetach or close, keeps the program alive", () => {
    const { bpf } = setup();
    const calls: string[] = [];
    let attached: BpfProg | undefined;
    bpf.registerAttachHandler("fentry", (prog, target, type) => {
      if (target.name !== "do_thing") return { errno: E("ENOENT"), message: `no function ${target.name}` };
      attached = prog;
      calls.push(`attach ${type} ${prog.name} ${target.name}`);
      return () => calls.push(`detach ${prog.name}`);
    });
    const prog = tracing(bpf);
    expect(bpf.linkCreate(prog, "fentry", { name: "nope" })).toBe(E("ENOENT"));
    expect(bpf.lastError).toBe("no function nope");
    const link = bpf.linkCreate(prog, "fentry", { name: "do_thing" });
    expect(link).toBe(prog + 1);
    expect(calls).toEqual(["attach fentry probe do_thing"]);
    // The handler runs the program as the trampoline will.
    expect(attached!.run({ args: [0n] }).r0).toBe(0n);
    expect(bpf.progGetInfoByFd(prog)).toMatchObject({ runCnt: 1 });
    expect(bpf.linkGetInfoByFd(link)).toMatchObject({ attachType: "fentry", target: { name: "do_thing" }, detached: false });
    // The link holds the program: closing the prog fd does not free it.
    expect(bpf.close(prog)).toBe(0);
    expect(bpf.objects()).toMatchObject({ prog: 1, link: 1, fds: 1 });
    expect(bpf.linkDetach(link)).toBe(0);
    expect(calls.at(-1)).toBe("detach probe");
    expect(bpf.linkGetInfoByFd(link)).toMatchObject({ detached: true });
    expect(bpf.close(link)).toBe(0);
    expect(calls).toHaveLength(2); // detached once
    expect(bpf.objects()).toEqual({ map: 0, prog: 0, btf: 0, link: 0, iter: 0, fds: 0 });
    expect(bpf.linkDetach(link)).toBe(E("EBADF"));
  });

  it("closeAll frees everything and detaches every link", () => {
    const { s, bpf } = setup();
    const detached: number[] = [];
    let n = 0;
    bpf.registerAttachHandler("fexit", () => {
      const me = ++n;
      return () => detached.push(me);
    });
    const map = bpf.mapCreate({ type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 8 });
    const addr = bpf.registry.byId((bpf.mapGetInfoByFd(map) as { id: number }).id)!.address;
    bpf.btfGetFd();
    const p = tracing(bpf);
    bpf.linkCreate(p, "fexit", { name: "a" });
    bpf.linkCreate(p, "fexit", { name: "b" });
    expect(bpf.objects()).toEqual({ map: 1, prog: 1, btf: 1, link: 2, iter: 0, fds: 5 });
    bpf.closeAll();
    expect(detached.sort()).toEqual([1, 2]);
    expect(bpf.objects()).toEqual({ map: 0, prog: 0, btf: 0, link: 0, iter: 0, fds: 0 });
    expect(bpf.registry.size).toBe(0);
    expect(s.mem.findAddress(addr, 8)).toBeUndefined();
    expect(bpf.mapCreate({ type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 8 })).toBe(3);
  });
});
