// Trampolines end to end on the synthetic kernel: programs loaded through
// bpf(), attached with fentry / fexit / fmod_ret / fentry.multi links,
// counted against the kernel's ground truth; batched attach is all or
// nothing; closing the link detaches.
import { describe, expect, it } from "vitest";
import { bootSyntheticKernel } from "../syscall/boot.js";
import { HelperId } from "../vm/helpers/protos.js";
import { ProgramBuilder } from "../vm/isa/builder.js";
import { encodeProgram } from "../vm/isa/encode.js";
import { AtomicOp, JmpOp, Size } from "../vm/isa/opcodes.js";

function setup(seed = 1) {
  const booted = bootSyntheticKernel({ seed });
  const { bpf } = booted;
  const map = (keySize: number, maxEntries: number, type = 1) => {
    const fd = bpf.mapCreate({ type, keySize, valueSize: 8, maxEntries, name: "counts" });
    if (fd < 0) throw new Error(`mapCreate ${fd} ${bpf.lastError}`);
    return fd;
  };
  const load = (b: ProgramBuilder, nargs: number) => {
    const r = bpf.progLoad({ progType: "tracing", insns: encodeProgram(b.link()), license: "GPL", name: "t", nargs });
    if (typeof r === "number") throw new Error(`progLoad ${r}: ${bpf.lastError}`);
    return r.fd;
  };
  const value = (fd: number, key: Uint8Array) => {
    const v = bpf.mapLookupElem(fd, key);
    return typeof v === "number" ? undefined : new DataView(v.buffer, v.byteOffset).getBigUint64(0, true);
  };
  return { ...booted, map, load, value };
}

/** count[key] += 1 where key (8 bytes) comes from `keyInsns` into r6. */
function counter(mapFd: number, keyInsns: (b: ProgramBuilder) => ProgramBuilder): ProgramBuilder {
  return keyInsns(new ProgramBuilder().mov64(9, 1))
    .stx(Size.DW, 10, -8, 6)
    .ldMapFd(1, mapFd)
    .mov64(2, 10)
    .add64Imm(2, -8)
    .call(HelperId.map_lookup_elem!)
    .jmpImm(JmpOp.JEQ, 0, 0, "new")
    .mov64Imm(1, 1)
    .atomic(Size.DW, AtomicOp.ADD, 0, 0, 1)
    .ja("out")
    .label("new")
    .st(Size.DW, 10, -16, 1)
    .ldMapFd(1, mapFd)
    .mov64(2, 10)
    .add64Imm(2, -8)
    .mov64(3, 10)
    .add64Imm(3, -16)
    .mov64Imm(4, 0)
    .call(HelperId.map_update_elem!)
    .label("out")
    .mov64Imm(0, 0)
    .exit();
}
const key = (v: bigint) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  return b;
};

describe("fentry / fexit / fmod_ret", () => {
  it("fentry sees every call of its target", () => {
    const { kernel, bpf, map, load, value } = setup();
    const m = map(8, 4);
    const prog = load(counter(m, (b) => b.mov64Imm(6, 0)), 2);
    const link = bpf.linkCreate(prog, "fentry", { name: "ip_send_skb" });
    expect(link).toBeGreaterThan(0);
    kernel.run("net", { count: 600 });
    expect(value(m, key(0n))).toBe(BigInt(kernel.functions.countsOf(kernel.functions.named("ip_send_skb")[0]!).calls));
    expect(value(m, key(0n))! > 50n).toBe(true);
  });

  it("event runs go through the program's runCtx: counted in run_cnt, not timed (run_time_ns is for test runs); fmod_ret gets the whole u64 r0", () => {
    const { kernel, bpf, load } = setup();
    const prog = load(new ProgramBuilder().lddw(0, 0x8000000100000002n).exit(), 4);
    expect(bpf.linkCreate(prog, "fmod_ret", { name: "tcp_sendmsg" })).toBeGreaterThan(0);
    const fn = kernel.functions.named("tcp_sendmsg")[0]!;
    for (let i = 0; i < 5; i++) expect(kernel.call(fn, [0n, 0n, 0n])).toBe(0x8000000100000002n);
    expect(bpf.progGetInfoByFd(prog)).toMatchObject({ runCnt: 5, runTimeNs: 0 });
    const run = bpf.progTestRun(prog, { ctxIn: new Uint8Array(32) });
    if (typeof run === "number") throw new Error(`test run ${run}`);
    expect(run.r0).toBe(0x8000000100000002n);
    expect(bpf.progGetInfoByFd(prog)).toMatchObject({ runCnt: 6 });
  });

  it("fexit reads the return value: counts errors exactly as the ground truth", () => {
    const { kernel, bpf, map, load, value } = setup(3);
    const m = map(8, 4);
    // key = (ret s< 0) ? 1 : 0, ret is ctx[3] for tcp_sendmsg(sk, msg, size)
    const prog = load(
      counter(m, (b) => b.ldx(Size.DW, 2, 9, 24).mov64Imm(6, 0).jmpImm(JmpOp.JSGE, 2, 0, "ok").mov64Imm(6, 1).label("ok")),
      4,
    );
    expect(bpf.linkCreate(prog, "fexit", { name: "tcp_sendmsg" })).toBeGreaterThan(0);
    kernel.run("net", { count: 3000 });
    const truth = kernel.functions.countsOf(kernel.functions.named("tcp_sendmsg")[0]!);
    expect(value(m, key(1n))).toBe(BigInt(truth.errors));
    expect((value(m, key(0n)) ?? 0n) + (value(m, key(1n)) ?? 0n)).toBe(BigInt(truth.calls));
    expect(truth.errors).toBeGreaterThan(0);
  });

  it("fmod_ret replaces the return value and skips the body; detaching restores it", () => {
    const { kernel, bpf, load } = setup(5);
    const prog = load(new ProgramBuilder().mov64Imm(0, -12).exit(), 4); // -ENOMEM
    const link = bpf.linkCreate(prog, "fmod_ret", { name: "tcp_sendmsg" });
    expect(link).toBeGreaterThan(0);
    const tcp = kernel.functions.named("tcp_sendmsg")[0]!;
    // tcp_sendmsg's body is its only caller of tcp_sendmsg_locked (the handshake and ACKs transmit without it).
    const before = kernel.functions.countsOf(kernel.functions.named("tcp_sendmsg_locked")[0]!).calls;
    kernel.run("net", { count: 500 });
    const c = kernel.functions.countsOf(tcp);
    expect(c.errors).toBe(c.calls);
    expect(kernel.functions.countsOf(kernel.functions.named("tcp_sendmsg_locked")[0]!).calls).toBe(before);
    bpf.close(link);
    expect(kernel.functions.hookCount(tcp)).toBe(0);
    kernel.run("net", { count: 500 });
    expect(kernel.functions.countsOf(kernel.functions.named("__tcp_transmit_skb")[0]!).calls).toBeGreaterThan(before);
  });

  it("refuses fmod_ret on a function that cannot inject errors", () => {
    const { bpf, load } = setup();
    const prog = load(new ProgramBuilder().mov64Imm(0, 0).exit(), 2);
    expect(bpf.linkCreate(prog, "fmod_ret", { name: "consume_skb" })).toBe(-22);
    expect(bpf.lastError).toBe("cannot attach fmod_ret to 1 of 1 targets: consume_skb: not an error-injection target (fmod_ret)");
  });
});

describe("fentry.multi", () => {
  it("attaches one program to every ip_* function in one batch; get_func_ip tells them apart", () => {
    const { kernel, bpf, map, load, value, trampolines } = setup(2);
    const m = map(8, 64);
    const prog = load(counter(m, (b) => b.mov64(1, 9).call(HelperId.get_func_ip!).mov64(6, 0)), 4);
    const updatesBefore = trampolines.updates;
    const link = bpf.linkCreate(prog, "fentry.multi", { names: ["ip_*"] });
    expect(link).toBeGreaterThan(0);
    expect(trampolines.updates).toBe(updatesBefore + 1);
    const targets = kernel.functions.all().filter((f) => f.name.startsWith("ip_") && f.btfId !== undefined);
    expect(trampolines.attachedCount()).toBe(new Set(targets.map((f) => f.name)).size);
    kernel.run("net", { count: 800 });
    for (const f of targets) {
      const calls = kernel.functions.countsOf(f).calls;
      expect(value(m, key(f.address)) ?? 0n, f.name).toBe(BigInt(calls));
    }
    bpf.close(link);
    expect(trampolines.attachedCount()).toBe(0);
    expect(trampolines.updates).toBe(updatesBefore + 2);
  });

  it("keeps a trampoline shared by two links until the last one detaches", () => {
    const { kernel, bpf, load } = setup();
    const a = load(new ProgramBuilder().mov64Imm(0, 0).exit(), 2);
    const b = load(new ProgramBuilder().mov64Imm(0, 0).exit(), 2);
    const send = kernel.functions.named("ip_send_skb")[0]!;
    const l1 = bpf.linkCreate(a, "fentry.multi", { names: ["ip_send_skb", "ip_output"] });
    const l2 = bpf.linkCreate(b, "fentry", { name: "ip_send_skb" });
    expect(kernel.functions.hookCount(send)).toBe(1); // one trampoline, two programs
    bpf.close(l1);
    expect(kernel.functions.hookCount(send)).toBe(1);
    expect(kernel.functions.hookCount(kernel.functions.named("ip_output")[0]!)).toBe(0);
    bpf.close(l2);
    expect(kernel.functions.hookCount(send)).toBe(0);
  });

  it("gives every target of a 1,000-function batch its own context", () => {
    const { kernel, bpf, map, load, value } = setup();
    const m = map(8, 2048);
    // count[func_ip] += 1, and check nargs via get_func_arg_cnt folded into the key's top byte
    const prog = load(
      counter(m, (b) => b.mov64(1, 9).call(HelperId.get_func_ip!).mov64(6, 0).mov64(1, 9).call(HelperId.get_func_arg_cnt!).lsh64Imm(0, 56).xor64(6, 0)),
      12,
    );
    const targets = kernel.functions.all().filter((f) => f.btfId !== undefined).slice(0, 1000);
    const names = [...new Set(targets.map((f) => f.name))];
    expect(bpf.linkCreate(prog, "fentry.multi", { names })).toBeGreaterThan(0);
    const picked = names.map((n) => kernel.functions.named(n)[0]!);
    // Only the contexts matter here: bodies are stubbed so made-up arguments are harmless
    // (except the map_ops the program's own map_update_elem runs through).
    for (const f of picked) if (!f.name.endsWith("_map_update_elem")) f.impl = () => 0n;
    for (const f of picked) kernel.call(f, Array.from({ length: f.nargs }, (_, i) => BigInt(i)));
    for (const f of picked) expect(value(m, key(f.address ^ (BigInt(f.nargs) << 56n))), f.name).toBe(1n);
  });

  it("is all or nothing: one bad target fails the whole batch with its name and reason", () => {
    const { kernel, bpf, load, trampolines } = setup();
    const prog = load(new ProgramBuilder().mov64Imm(0, 0).exit(), 2);
    expect(bpf.linkCreate(prog, "fentry.multi", { names: ["ip_send_skb", "no_such_fn"] })).toBe(-2);
    expect(bpf.lastError).toBe("no function 'no_such_fn'");
    expect(trampolines.attachedCount()).toBe(0);
    expect(kernel.functions.hookCount(kernel.functions.named("ip_send_skb")[0]!)).toBe(0);
  });
});

describe("bpf_snprintf_btf from a tracing program", () => {
  it("renders the traced sk_buff in the kernel's format into ring buffer records", () => {
    const { kernel, bpf, load } = setup(6);
    const rb = bpf.mapCreate({ type: 27, keySize: 0, valueSize: 0, maxEntries: 1 << 20, name: "events" }); // room for every record of 100 steps
    expect(rb).toBeGreaterThan(0);
    const skbId = kernel.btf.findByNameKind("sk_buff", 4)!;
    const prog = load(
      new ProgramBuilder()
        .mov64(6, 1)
        .ldMapFd(1, rb)
        .mov64Imm(2, 1024)
        .mov64Imm(3, 0)
        .call(HelperId.ringbuf_reserve!)
        .jmpImm(JmpOp.JNE, 0, 0, "got")
        .exit()
        .label("got")
        .mov64(7, 0)
        .ldx(Size.DW, 1, 6, 0)
        .stx(Size.DW, 10, -16, 1)
        .st(Size.W, 10, -8, skbId)
        .st(Size.W, 10, -4, 1) // BTF_F_COMPACT
        .mov64(1, 7)
        .mov64Imm(2, 1024)
        .mov64(3, 10)
        .add64Imm(3, -16)
        .mov64Imm(4, 16)
        .mov64Imm(5, 1)
        .call(HelperId.snprintf_btf!)
        .mov64(1, 7)
        .mov64Imm(2, 0)
        .call(HelperId.ringbuf_submit!)
        .mov64Imm(0, 0)
        .exit(),
      4,
    );
    expect(bpf.linkCreate(prog, "fentry", { name: "dev_hard_start_xmit" })).toBeGreaterThan(0);
    kernel.run("net", { count: 100 });
    const ring = bpf.registry.byId(1) as unknown as { consume(): { data: Uint8Array }[] };
    const texts = ring.consume().map((r) => Buffer.from(r.data).toString("utf8").replace(/\0.*$/s, ""));
    expect(texts.length).toBe(kernel.functions.countsOf(kernel.functions.named("dev_hard_start_xmit")[0]!).calls);
    expect(texts.length).toBeGreaterThan(10);
    for (const t of texts) {
      expect(t.startsWith("(struct sk_buff){")).toBe(true);
      expect(t).toMatch(/\.dev = \(struct net_device \*\)0x[0-9a-f]{16},/);
      expect(t).toMatch(/\.len = \(unsigned int\)\d+,/);
    }
  });
});

describe("tracepoint and raw_tp", () => {
  it("tracepoint programs read the event record: drops per reason equal the ground truth", () => {
    const { kernel, bpf, map, value } = setup(8);
    const m = map(8, 64);
    const tp = kernel.tracepoints.get("skb", "kfree_skb")!;
    const reasonField = tp.fields.find((f) => f.name === "reason")!;
    const insns = counter(m, (b) => b.ldx(Size.W, 6, 9, reasonField.offset)).link();
    const r = bpf.progLoad({ progType: "tracepoint", insns: encodeProgram(insns), license: "GPL", name: "drops", ctxSize: tp.size });
    if (typeof r === "number") throw new Error(`${r} ${bpf.lastError}`);
    expect(bpf.linkCreate(r.fd, "tracepoint", { name: "skb:kfree_skb" })).toBeGreaterThan(0);
    const reasons = new Map<bigint, number>();
    kernel.functions.attach(kernel.functions.named("kfree_skb_reason")[0]!, { entry: (c) => void reasons.set(c.args[1]!, (reasons.get(c.args[1]!) ?? 0) + 1) });
    kernel.run("net", { count: 4000 });
    expect(reasons.size).toBeGreaterThan(1);
    for (const [reason, n] of reasons) expect(value(m, key(reason))).toBe(BigInt(n));
    // A program that reads past the record is refused at attach.
    const big = bpf.progLoad({ progType: "tracepoint", insns: encodeProgram(insns), license: "GPL", name: "big", ctxSize: tp.size + 8 });
    if (typeof big === "number") throw new Error(`${big}`);
    expect(bpf.linkCreate(big.fd, "tracepoint", { name: "skb:kfree_skb" })).toBe(-13);
  });

  it("raw_tp programs see the TP_PROTO arguments: next task of every sched_switch", () => {
    const { kernel, bpf, map, load, value } = setup(9);
    const m = map(8, 64);
    // sched_switch(preempt, prev, next, prev_state): count by next task pointer (args[2])
    const prog = load(counter(m, (b) => b.ldx(Size.DW, 6, 9, 16)), 4);
    expect(bpf.linkCreate(prog, "raw_tp", { name: "sched_switch" })).toBeGreaterThan(0);
    const nexts = new Map<bigint, number>();
    kernel.tracepoints.attach(kernel.tracepoints.get("sched", "sched_switch")!, (hit) => void nexts.set(hit.args[2]!, (nexts.get(hit.args[2]!) ?? 0) + 1));
    kernel.run("sched", { count: 2000 });
    expect(nexts.size).toBeGreaterThan(3);
    for (const [task, n] of nexts) expect(value(m, key(task))).toBe(BigInt(n));
  });
});

describe("kprobe / kretprobe", () => {
  const loadKprobe = (bpf: ReturnType<typeof setup>["bpf"], b: ProgramBuilder) => {
    const r = bpf.progLoad({ progType: "kprobe", insns: encodeProgram(b.link()), license: "GPL", name: "kp" });
    if (typeof r === "number") throw new Error(`${r} ${bpf.lastError}`);
    return r.fd;
  };

  it("kprobe sees the arguments in pt_regs (di, si, dx) and ip one past the breakpoint", () => {
    const { kernel, bpf, map, value } = setup(12);
    const m = map(8, 8);
    // count[dx] where dx = PT_REGS_PARM3 = size of tcp_sendmsg(sk, msg, size); also count[ip]
    // key = 1 if 64 <= dx <= 1448 (the sizes the workload sends), else 0
    const prog = loadKprobe(
      bpf,
      counter(m, (b) => b.ldx(Size.DW, 2, 9, 96).mov64Imm(6, 0).jmpImm(JmpOp.JLT, 2, 64, "ok").jmpImm(JmpOp.JGT, 2, 1448, "ok").mov64Imm(6, 1).label("ok")),
    );
    expect(bpf.linkCreate(prog, "kprobe", { name: "tcp_sendmsg" })).toBeGreaterThan(0);
    const ip = loadKprobe(bpf, counter(m, (b) => b.ldx(Size.DW, 6, 9, 128)));
    expect(bpf.linkCreate(ip, "kprobe", { name: "tcp_sendmsg" })).toBeGreaterThan(0);
    kernel.run("net", { count: 600 });
    const tcp = kernel.functions.named("tcp_sendmsg")[0]!;
    const calls = BigInt(kernel.functions.countsOf(tcp).calls);
    expect(value(m, key(1n))).toBe(calls); // every size is in [64, 1448]
    expect(value(m, key(0n))).toBeUndefined();
    expect(value(m, key(tcp.address + 1n))).toBe(calls);
  });

  it("kretprobe sees the return value in ax and the kretprobe trampoline as ip", () => {
    const { kernel, bpf, map, value } = setup(13);
    const m = map(8, 8);
    const errs = loadKprobe(bpf, counter(m, (b) => b.ldx(Size.DW, 2, 9, 80).mov64Imm(6, 0).jmpImm(JmpOp.JSGE, 2, 0, "ok").mov64Imm(6, 1).label("ok")));
    expect(bpf.linkCreate(errs, "kretprobe", { name: "tcp_sendmsg" })).toBeGreaterThan(0);
    const ip = loadKprobe(bpf, counter(m, (b) => b.ldx(Size.DW, 6, 9, 128)));
    expect(bpf.linkCreate(ip, "kretprobe.multi", { names: ["tcp_sendmsg"] })).toBeGreaterThan(0);
    kernel.run("net", { count: 3000 });
    const truth = kernel.functions.countsOf(kernel.functions.named("tcp_sendmsg")[0]!);
    expect(value(m, key(1n))).toBe(BigInt(truth.errors));
    expect(value(m, key(0xffffffff81e00000n))).toBe(BigInt(truth.calls));
  });

  it("kprobe programs cannot write pt_regs or read past it", () => {
    const { bpf } = setup();
    const w = bpf.progLoad({ progType: "kprobe", insns: encodeProgram(new ProgramBuilder().st(Size.DW, 1, 0, 0).mov64Imm(0, 0).exit().link()), license: "GPL", name: "w" });
    expect(w).toBe(-13);
    expect(bpf.lastError).toBe("invalid bpf_context access off=0 size=8");
    const r = bpf.progLoad({ progType: "kprobe", insns: encodeProgram(new ProgramBuilder().ldx(Size.DW, 0, 1, 168).exit().link()), license: "GPL", name: "r" });
    expect(r).toBe(-13);
  });
});

describe("recursion protection", () => {
  /** map_update_elem(hash, key 0, value 1): the helper runs htab_map_update_elem, a traced kernel function. */
  const updater = (mapFd: number) =>
    new ProgramBuilder()
      .st(Size.DW, 10, -8, 0)
      .st(Size.DW, 10, -16, 1)
      .ldMapFd(1, mapFd)
      .mov64(2, 10)
      .add64Imm(2, -8)
      .mov64(3, 10)
      .add64Imm(3, -16)
      .mov64Imm(4, 0)
      .call(HelperId.map_update_elem!)
      .mov64Imm(0, 0)
      .exit();

  it("a program whose helper reaches the function it traces does not re-enter: one miss per run", () => {
    const { kernel, bpf, trampolines, map, load, value } = setup(5);
    const h = map(8, 4);
    const prog = load(updater(h), 4);
    expect(bpf.linkCreate(prog, "fentry", { name: "htab_map_update_elem" })).toBeGreaterThan(0);
    const id = (bpf.progGetInfoByFd(prog) as { id: number }).id;
    const fn = kernel.functions.named("htab_map_update_elem")[0]!;
    for (let i = 0; i < 7; i++) kernel.call(fn, [0n, 0n, 0n, 0n]);
    expect(trampolines.stats.get(id)).toEqual({ runs: 7, recursionMisses: 7, faults: 0 });
    // The helper's own update still happened, and went through the kernel function: 7 outer + 7 nested calls.
    expect(value(h, key(0n))).toBe(1n);
    expect(kernel.functions.countsOf(fn).calls).toBe(14);
  });

  it("a program reached from another program's helper is skipped and counted, the outer one runs", () => {
    const { kernel, bpf, trampolines, map, load, value } = setup(6);
    const h = map(8, 4);
    const counts = map(8, 4);
    const outer = load(updater(h), 2);
    expect(bpf.linkCreate(outer, "fentry", { name: "ip_send_skb" })).toBeGreaterThan(0);
    const inner = load(counter(counts, (b) => b.mov64Imm(6, 0)), 4);
    expect(bpf.linkCreate(inner, "fentry", { name: "htab_map_update_elem" })).toBeGreaterThan(0);
    kernel.run("net", { count: 400 });
    const sends = kernel.functions.countsOf(kernel.functions.named("ip_send_skb")[0]!).calls;
    expect(sends).toBeGreaterThan(20);
    const idOf = (fd: number) => (bpf.progGetInfoByFd(fd) as { id: number }).id;
    expect(trampolines.stats.get(idOf(outer))).toEqual({ runs: sends, recursionMisses: 0, faults: 0 });
    expect(trampolines.stats.get(idOf(inner))).toEqual({ runs: 0, recursionMisses: sends, faults: 0 });
    expect(value(counts, key(0n))).toBeUndefined();
  });
});
