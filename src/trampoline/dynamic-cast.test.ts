// bpf_dynamic_cast (helper 212, seed 001): the prototype walk (hit, miss,
// type mismatch, typedef and modifier skipping, bad ids), the verifier's
// typing of its result (PTR_TO_BTF_ID_OR_NULL of the constant target,
// null check required, reads allowed, writes not), probe-mem reads that
// give 0 instead of faulting, and one fentry.multi program casting the
// argument of several functions against the kernel's ground truth.
import { describe, expect, it } from "vitest";
import { BtfBuilder } from "../btf/builder.js";
import { BtfKind } from "../btf/kinds.js";
import { bootSyntheticKernel } from "../syscall/boot.js";
import type { CallFrame } from "../kernel-model/functions.js";
import { DYNAMIC_CAST_ID, HelperId } from "../vm/helpers/protos.js";
import { ProgramBuilder } from "../vm/isa/builder.js";
import type { Register } from "../vm/isa/opcodes.js";
import { encodeProgram } from "../vm/isa/encode.js";
import { AtomicOp, JmpOp, Size } from "../vm/isa/opcodes.js";
import { findMember } from "../btf/members.js";
import { argPointsTo } from "./helpers.js";

const booted = bootSyntheticKernel({ seed: 7 });
const btf = booted.kernel.btf;
const funcId = (name: string) => btf.findByNameKind(name, BtfKind.FUNC)!;
const structId = (name: string) => btf.findByNameKind(name, BtfKind.STRUCT)!;
const SKB = structId("sk_buff");
const SOCK = structId("sock");

describe("the prototype walk", () => {
  it("hits when the argument is a pointer to the target", () => {
    expect(argPointsTo(btf, funcId("ip_send_skb"), 2, SKB)).toBe(true);
    expect(argPointsTo(btf, funcId("tcp_sendmsg"), 1, SOCK)).toBe(true);
    expect(argPointsTo(btf, funcId("__dev_queue_xmit"), 1, SKB)).toBe(true);
  });
  it("misses on another type, another argument, or a bad id", () => {
    expect(argPointsTo(btf, funcId("ip_send_skb"), 1, SKB)).toBe(false); // struct net *
    expect(argPointsTo(btf, funcId("tcp_sendmsg"), 1, SKB)).toBe(false);
    expect(argPointsTo(btf, funcId("tcp_sendmsg"), 3, SKB)).toBe(false); // size_t
    expect(argPointsTo(btf, funcId("ip_send_skb"), 3, SKB)).toBe(false); // only 2 args
    expect(argPointsTo(btf, funcId("ip_send_skb"), 0, SKB)).toBe(false); // 1-based
    expect(argPointsTo(btf, SKB, 1, SKB)).toBe(false); // not a function
    expect(argPointsTo(btf, btf.typeCount, 1, SKB)).toBe(false);
    expect(argPointsTo(btf, funcId("ip_send_skb"), 2, 0)).toBe(false);
  });
  it("accepts the FUNC_PROTO id and a typedef of the target", () => {
    const fn = btf.typeById(funcId("ip_send_skb"));
    expect(fn.kind).toBe(BtfKind.FUNC);
    expect(argPointsTo(btf, (fn as { type: number }).type, 2, SKB)).toBe(true);
    // typedef struct s s_t; int f(const s_t *p, int x): arg 1 points to struct s, asked as s or as s_t; arg 2 does not.
    const b = new BtfBuilder();
    const int = b.int("int", 4, 1);
    const s = b.struct("s", 4);
    b.field(s, "x", int, 0);
    const sT = b.typedef("s_t", s);
    const f = b.func("f", b.funcProto(int, [["p", b.ptr(b.const(sT))], ["x", int]]));
    const small = b.finish();
    expect(argPointsTo(small, f, 1, s)).toBe(true);
    expect(argPointsTo(small, f, 1, sT)).toBe(true);
    expect(argPointsTo(small, f, 2, s)).toBe(false);
  });
});

function load(b: ProgramBuilder) {
  const { bpf } = booted;
  const r = bpf.progLoad({ progType: "tracing", insns: encodeProgram(b.link()), license: "GPL", name: "cast", nargs: 2, logLevel: 2 });
  return typeof r === "number" ? { errno: r, error: bpf.lastError, log: bpf.lastLog } : { fd: r.fd, log: bpf.lastLog };
}

/** r0 = bpf_dynamic_cast(0, funcBtfId, argNo, ctx[argNo-1], target) */
const cast = (target: number | ((b: ProgramBuilder) => ProgramBuilder), argNo = 2, fn = funcId("ip_send_skb")) => {
  let b = new ProgramBuilder()
    .mov64(6, 1)
    .ldx(Size.DW, 4, 6, (argNo - 1) * 8)
    .mov64Imm(1, 0)
    .mov64Imm(2, fn)
    .mov64Imm(3, argNo);
  b = typeof target === "number" ? b.mov64Imm(5, target) : target(b);
  return b.call(DYNAMIC_CAST_ID);
};

describe("the verifier's typing", () => {
  it("types r0 as a nullable typed pointer: a read needs the null check first", () => {
    const r = load(cast(SKB).ldx(Size.W, 0, 0, 0).exit());
    expect(r.errno).toBe(-13);
    expect(r.error).toBe("R0 invalid mem access 'ptr_or_null_'");
  });
  it("accepts member reads after the null check and keeps nested pointers typed", () => {
    const lenOff = memberOffset("sk_buff", "len");
    const skOff = memberOffset("sk_buff", "sk");
    const r = load(
      cast(SKB)
        .jmpImm(JmpOp.JEQ, 0, 0, "out")
        .ldx(Size.W, 7, 0, lenOff)
        .ldx(Size.DW, 8, 0, skOff)
        .label("out")
        .mov64Imm(0, 0)
        .exit(),
    );
    expect(r.error).toBeUndefined();
    // print_reg_state names a typed pointer by its struct: ptr_or_null_sk_buff(id=N), then ptr_sk_buff() after the check.
    expect(r.log.some((l) => l.includes("; R0_w=ptr_or_null_sk_buff(id="))).toBe(true);
    expect(r.log.some((l) => l.includes("R0_w=ptr_sk_buff()"))).toBe(true);
  });
  it("rejects a target that is not a known constant, or not a struct or union", () => {
    const notConst = load(cast((b) => b.ldx(Size.DW, 5, 6, 0)).mov64Imm(0, 0).exit());
    expect(notConst.error).toBe("R5 is not a known constant'");
    const intId = btf.findByNameKind("int", BtfKind.INT)!;
    const notStruct = load(cast(intId).mov64Imm(0, 0).exit());
    expect(notStruct.error).toBe(`invalid btf_id ${intId} for R5: not a struct or union of the kernel's BTF`);
  });
  it("rejects writes through the cast pointer and arithmetic before the null check", () => {
    const write = load(cast(SKB).jmpImm(JmpOp.JEQ, 0, 0, "out").st(Size.W, 0, 0, 1).label("out").mov64Imm(0, 0).exit());
    expect(write.error).toBe("only read is supported");
    const arith = load(cast(SKB).add64Imm(0, 8).mov64Imm(0, 0).exit());
    expect(arith.error).toBe("R0 pointer arithmetic on ptr_or_null_ prohibited, null-check it first");
  });
});

function memberOffset(struct: string, member: string): number {
  return findMember(btf, structId(struct), member)!.bitsOffset / 8;
}

describe("one fentry.multi program casting the second argument of every target", () => {
  it("hits on functions whose arg 2 is a struct sk_buff *, misses elsewhere, reads skb->len as the kernel holds it", () => {
    const { kernel, bpf } = bootSyntheticKernel({ seed: 11 });
    const kbtf = kernel.btf;
    const skb = kbtf.findByNameKind("sk_buff", BtfKind.STRUCT)!;
    const lenOff = memberOffset("sk_buff", "len");
    // map[0] = misses, map[1] = hits, map[2] = sum of skb->len
    const m = bpf.mapCreate({ type: 2, keySize: 4, valueSize: 8, maxEntries: 3, name: "cast" });
    const add = (b: ProgramBuilder, key: number, valueReg: Register) =>
      b
        .st(Size.W, 10, -4, key)
        .ldMapFd(1, m)
        .mov64(2, 10)
        .add64Imm(2, -4)
        .call(HelperId.map_lookup_elem!)
        .jmpImm(JmpOp.JEQ, 0, 0, `skip${key}`)
        .atomic(Size.DW, AtomicOp.ADD, 0, 0, valueReg)
        .label(`skip${key}`);
    let b = new ProgramBuilder()
      .mov64(6, 1)
      .mov64(1, 6)
      .call(HelperId.get_attach_cookie!) // the cookie is the target's FUNC id
      .mov64(2, 0)
      .ldx(Size.DW, 4, 6, 8) // arg 2
      .mov64Imm(1, 0)
      .mov64Imm(3, 2)
      .mov64Imm(5, skb)
      .call(DYNAMIC_CAST_ID)
      .mov64(7, 0)
      .mov64Imm(8, 1)
      .jmpImm(JmpOp.JNE, 7, 0, "hit");
    b = add(b, 0, 8).ja("out").label("hit");
    b = b.ldx(Size.W, 9, 7, lenOff);
    b = add(b, 1, 8);
    b = add(b, 2, 9);
    b = b.label("out").mov64Imm(0, 0).exit();
    const loaded = bpf.progLoad({ progType: "tracing", insns: encodeProgram(b.link()), license: "GPL", name: "cast_multi", nargs: 2 });
    if (typeof loaded === "number") throw new Error(`${loaded} ${bpf.lastError}`);
    const names = ["ip_send_skb", "__dev_queue_xmit", "tcp_sendmsg", "ip_finish_output2"];
    const cookies = names.map((name) => BigInt(kbtf.findByNameKind(name, BtfKind.FUNC)!));
    const link = bpf.linkCreate(loaded.fd, "fentry.multi", { names, cookies });
    expect(link).toBeGreaterThan(0);

    // Ground truth from the model: which calls pass a sk_buff * second, and its len at entry.
    let hits = 0;
    let misses = 0;
    let lenSum = 0n;
    const unhook = names.map((name) => {
      const fn = kernel.functions.named(name)[0]!;
      const isSkb = argPointsTo(kbtf, fn.btfId!, 2, skb);
      return kernel.functions.attach(fn, {
        entry(call: CallFrame) {
          if (!isSkb || call.args[1] === 0n) return void misses++;
          hits++;
          lenSum += BigInt(new DataView(kernel.memory.kernel.readOrThrow(call.args[1]! + BigInt(lenOff), 4).buffer).getUint32(0, true));
        },
      });
    });
    kernel.run("net", { count: 800 });
    unhook.forEach((u) => u());
    const get = (k: number) => {
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, k, true);
      const v = bpf.mapLookupElem(m, key);
      if (typeof v === "number") throw new Error(String(v));
      return new DataView(v.buffer, v.byteOffset).getBigUint64(0, true);
    };
    expect(hits).toBeGreaterThan(50);
    expect(misses).toBeGreaterThan(50);
    expect(get(1)).toBe(BigInt(hits));
    expect(get(0)).toBe(BigInt(misses));
    expect(get(2)).toBe(lenSum);
    expect(lenSum > 0n).toBe(true);
  });

  it("a cast pointer to unmapped memory reads 0 instead of faulting (probe-mem load)", () => {
    const { bpf } = bootSyntheticKernel({ seed: 1 });
    const skb = btf.findByNameKind("sk_buff", BtfKind.STRUCT)!;
    const prog = new ProgramBuilder()
      .mov64(6, 1)
      .mov64Imm(1, 0)
      .mov64Imm(2, funcId("ip_send_skb"))
      .mov64Imm(3, 2)
      .lddw(4, 0xdead000000000000n)
      .mov64Imm(5, skb)
      .call(DYNAMIC_CAST_ID)
      .jmpImm(JmpOp.JEQ, 0, 0, "null")
      .ldx(Size.W, 0, 0, memberOffset("sk_buff", "len"))
      .add64Imm(0, 1)
      .exit()
      .label("null")
      .mov64Imm(0, 99)
      .exit();
    const loaded = bpf.progLoad({ progType: "tracing", insns: encodeProgram(prog.link()), license: "GPL", name: "probe", nargs: 2 });
    if (typeof loaded === "number") throw new Error(`${loaded} ${bpf.lastError}`);
    const run = bpf.progTestRun(loaded.fd, { ctxIn: new Uint8Array(16) });
    expect(typeof run === "number" ? run : run.r0).toBe(1n);
  });
});
