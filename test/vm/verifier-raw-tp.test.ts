// BPF_PROG_TYPE_RAW_TRACEPOINT next to fentry-class tracing, kprobe and
// tracepoint programs: the u64 argument contexts allow narrow aligned reads
// (bpf_tracing_ctx_access) that read the little-endian bytes of the slots
// in both engines, and each type has its own helper set (raw_tp has no
// get_func_arg/get_func_arg_cnt; get_func_ip is refused by
// check_get_func_ip with "not supported for program type 17").
import { describe, expect, it } from "vitest";
import { BtfBuilder } from "../../src/btf/builder.js";
import { bootSyntheticKernel } from "../../src/syscall/boot.js";
import { HelperId } from "../../src/vm/helpers/protos.js";
import { ProgramBuilder } from "../../src/vm/isa/builder.js";
import { encodeProgram, programFromInsns } from "../../src/vm/isa/encode.js";
import { JmpOp, Size } from "../../src/vm/isa/opcodes.js";
import { kprobeProgType, rawTracepointProgType, tracepointProgType, tracingProgType, type ProgType } from "../../src/vm/verifier/prog-types.js";
import { tracingCtxTypes, typedTracingProgType } from "../../src/vm/verifier/tracing-ctx.js";
import { verify } from "../../src/vm/verifier/verifier.js";

const B = () => new ProgramBuilder();
const check = (b: ProgramBuilder, progType: ProgType) => {
  const r = verify(programFromInsns(b.link()), { progType, privileged: true });
  return r.accepted ? "accepted" : r.error!.reason;
};

describe("u64 argument contexts (bpf_tracing_ctx_access)", () => {
  const loads: [string, (b: ProgramBuilder) => ProgramBuilder][] = [
    ["u32 at 0", (b) => b.ldx(Size.W, 0, 1, 0)],
    ["u32 at 4 (high half of arg 0)", (b) => b.ldx(Size.W, 0, 1, 4)],
    ["u16 at 10", (b) => b.ldx(Size.H, 0, 1, 10)],
    ["u8 at 95 (last byte of arg 11)", (b) => b.ldx(Size.B, 0, 1, 95)],
    ["s32 at 8", (b) => b.ldxs(Size.W, 0, 1, 8)],
    ["s8 at 3", (b) => b.ldxs(Size.B, 0, 1, 3)],
  ];
  for (const [name, load] of loads) {
    it(`raw_tp and tracing accept a narrow aligned load: ${name}`, () => {
      expect(check(load(B()).exit(), rawTracepointProgType(12))).toBe("accepted");
      expect(check(load(B()).exit(), tracingProgType(12))).toBe("accepted");
    });
  }

  const refused: [string, (b: ProgramBuilder) => ProgramBuilder, string][] = [
    ["u32 at 2 (misaligned)", (b) => b.ldx(Size.W, 0, 1, 2), "invalid bpf_context access off=2 size=4"],
    ["u16 at 5 (misaligned)", (b) => b.ldx(Size.H, 0, 1, 5), "invalid bpf_context access off=5 size=2"],
    ["u8 at 96 (past MAX_BPF_FUNC_ARGS)", (b) => b.ldx(Size.B, 0, 1, 96), "invalid bpf_context access off=96 size=1"],
    ["u32 store", (b) => b.st(Size.W, 1, 0, 1), "invalid bpf_context access off=0 size=4"],
  ];
  for (const [name, insn, reason] of refused) {
    it(`raw_tp refuses ${name}`, () => {
      expect(check(insn(B()).mov64Imm(0, 0).exit(), rawTracepointProgType(12))).toBe(reason);
    });
  }

  it("a narrow load is bounded by its size: a u8 compared against 255 has no other branch", () => {
    // r0 = *(u8 *)(ctx + 0); if r0 > 255 the program would read past the context.
    const b = B().ldx(Size.B, 0, 1, 0).jmpImm(JmpOp.JGT, 0, 255, "bad").mov64Imm(0, 0).exit().label("bad").ldx(Size.DW, 0, 1, 200).exit();
    expect(check(b, rawTracepointProgType(12))).toBe("accepted");
  });
});

describe("helper sets per program type", () => {
  const callWithCtx = (id: number) => B().mov64(6, 1).mov64(1, 6).call(id).mov64Imm(0, 0).exit();
  const funcArg = () => B().mov64Imm(2, 0).mov64(3, 10).add64Imm(3, -8).call(HelperId.get_func_arg!).mov64Imm(0, 0).exit();

  it("raw_tp: no get_func_arg / get_func_arg_cnt / get_func_ret; get_func_ip refused by check_get_func_ip", () => {
    const raw = rawTracepointProgType(12);
    expect(check(funcArg(), raw)).toBe("program of this type cannot use helper bpf_get_func_arg#183");
    expect(check(callWithCtx(HelperId.get_func_arg_cnt!), raw)).toBe("program of this type cannot use helper bpf_get_func_arg_cnt#185");
    expect(check(callWithCtx(HelperId.get_func_ip!), raw)).toBe("func bpf_get_func_ip#173 not supported for program type 17");
    expect(check(callWithCtx(HelperId.ktime_get_ns!), raw)).toBe("accepted");
  });

  it("tracepoint: get_func_ip refused for program type 5; the attach cookie allowed", () => {
    const tp = tracepointProgType(64);
    expect(check(callWithCtx(HelperId.get_func_ip!), tp)).toBe("func bpf_get_func_ip#173 not supported for program type 5");
    expect(check(callWithCtx(HelperId.get_attach_cookie!), tp)).toBe("accepted");
    expect(check(callWithCtx(HelperId.get_func_arg_cnt!), tp)).toBe("program of this type cannot use helper bpf_get_func_arg_cnt#185");
  });

  it("fentry-class tracing: the function's helpers", () => {
    const t = tracingProgType(6);
    expect(check(funcArg(), t)).toBe("accepted");
    expect(check(callWithCtx(HelperId.get_func_arg_cnt!), t)).toBe("accepted");
    expect(check(callWithCtx(HelperId.get_func_ip!), t)).toBe("accepted");
  });

  it("kprobe: get_func_ip and the attach cookie, not the fentry argument helpers", () => {
    const k = kprobeProgType();
    expect(check(callWithCtx(HelperId.get_func_ip!), k)).toBe("accepted");
    expect(check(callWithCtx(HelperId.get_attach_cookie!), k)).toBe("accepted");
    expect(check(funcArg(), k)).toBe("program of this type cannot use helper bpf_get_func_arg#183");
  });
});

describe("narrow context loads at run time read the slots' little-endian bytes", () => {
  // r0 = (u32)(ctx + 4) ^ ((u16)(ctx + 10) << 32) ^ ((s8)(ctx + 23) << 48): three narrow loads combined.
  const prog = () =>
    B()
      .ldx(Size.W, 0, 1, 4)
      .ldx(Size.H, 2, 1, 10)
      .lsh64Imm(2, 32)
      .xor64(0, 2)
      .ldxs(Size.B, 3, 1, 23)
      .lsh64Imm(3, 48)
      .xor64(0, 3)
      .exit();
  const args = [0x1122334455667788n, 0x99aabbccddeeff00n, 0xf0e0d0c0b0a09080n];
  const ctxIn = new Uint8Array(24);
  args.forEach((a, i) => new DataView(ctxIn.buffer).setBigUint64(i * 8, a, true));
  const dv = new DataView(ctxIn.buffer);
  const expected = BigInt.asUintN(64, BigInt(dv.getUint32(4, true)) ^ (BigInt(dv.getUint16(10, true)) << 32n) ^ (BigInt(dv.getInt8(23)) << 48n));

  for (const jit of [true, false]) {
    it(`BPF_PROG_TEST_RUN of a raw_tracepoint program (${jit ? "JIT" : "interpreter"})`, () => {
      const { bpf } = bootSyntheticKernel({ seed: 3 });
      const r = bpf.progLoad({ progType: "raw_tracepoint", insns: encodeProgram(prog().link()), license: "GPL", name: "narrow", nargs: 3, jit });
      if (typeof r === "number") throw new Error(`progLoad ${r}: ${bpf.lastError}`);
      const run = bpf.progTestRun(r.fd, { ctxIn });
      if (typeof run === "number") throw new Error(`progTestRun ${run}: ${bpf.lastError}`);
      expect(run.r0).toBe(expected);
      // The bytes as documented: 0x11223344 (high half of arg 0), 0xddee (bytes 10-11 of arg 1), (s8)0xf0 from arg 2's top byte.
      expect(expected).toBe(BigInt.asUintN(64, 0x11223344n ^ (0xddeen << 32n) ^ (-16n << 48n)));
    });
  }

  for (const jit of [true, false]) {
    it(`a raw_tp program attached to sched_switch reads the high half of its next task pointer (${jit ? "JIT" : "interpreter"})`, () => {
      const { bpf, kernel } = bootSyntheticKernel({ seed: 5 });
      const map = bpf.mapCreate({ type: 2, keySize: 4, valueSize: 8, maxEntries: 2, name: "last" });
      if (map < 0) throw new Error(`mapCreate ${map}: ${bpf.lastError}`);
      // value[0] = (u32)(ctx + 20) (high half of args[2], next); value[1] = (u16)(ctx + 16) (its low 16 bits).
      const b = B().mov64(9, 1);
      for (const [k, size, off] of [[0, Size.W, 20], [1, Size.H, 16]] as const) {
        b.st(Size.W, 10, -4, k).ldMapFd(1, map).mov64(2, 10).add64Imm(2, -4).call(HelperId.map_lookup_elem!);
        b.jmpImm(JmpOp.JEQ, 0, 0, `skip${k}`).ldx(size, 1, 9, off).stx(Size.DW, 0, 0, 1).label(`skip${k}`);
      }
      b.mov64Imm(0, 0).exit();
      const r = bpf.progLoad({ progType: "raw_tracepoint", insns: encodeProgram(b.link()), license: "GPL", name: "next_hi", nargs: 4, jit });
      if (typeof r === "number") throw new Error(`progLoad ${r}: ${bpf.lastError}`);
      expect(bpf.linkCreate(r.fd, "raw_tp", { name: "sched_switch" })).toBeGreaterThan(0);
      let last: bigint | undefined;
      kernel.tracepoints.attach(kernel.tracepoints.get("sched", "sched_switch")!, (hit) => void (last = hit.args[2]!));
      kernel.run("sched", { count: 300 });
      expect(last).toBeDefined();
      const val = (k: number) => {
        const key = new Uint8Array(4);
        new DataView(key.buffer).setUint32(0, k, true);
        const v = bpf.mapLookupElem(map, key);
        if (typeof v === "number") throw new Error(`lookup ${v}`);
        return new DataView(v.buffer, v.byteOffset).getBigUint64(0, true);
      };
      const next = BigInt.asUintN(64, last!);
      expect(val(0)).toBe(next >> 32n);
      expect(val(1)).toBe(next & 0xffffn);
    });
  }
});

describe("typed (BTF) contexts: narrow loads as btf_ctx_access", () => {
  // long f(struct task_struct *p, int n, char *s, double d, enum e x)
  const b = new BtfBuilder();
  const int = b.int("int", 4, 1);
  const long = b.int("long", 8, 1);
  const char = b.int("char", 1, 1);
  const task = b.struct("task_struct", 8);
  b.field(task, "pid", int, 0);
  const dbl = b.float("double", 8);
  const e = b.enum("e", 4, [["A", 0]]);
  const f = b.func("f", b.funcProto(long, [["p", b.ptr(task)], ["n", int], ["s", b.ptr(char)], ["d", dbl], ["x", e]]));
  const btf = b.finish();
  const types = tracingCtxTypes(btf, f, "fexit");
  if (typeof types === "string") throw new Error(types);
  const pt = typedTracingProgType(types);
  const run = (insns: ProgramBuilder) => {
    const r = verify(programFromInsns(insns.link()), { progType: pt, btf, privileged: true, logLevel: 1 });
    if (r.accepted) return "accepted";
    // The kernel's explanation line, then the verdict.
    const log = r.error!.log;
    const i = log.lastIndexOf(r.error!.reason);
    return `${log[i - 1]}\n${log[i]}`;
  };
  const cases: [string, ProgramBuilder, string][] = [
    ["u32 of an int argument", B().ldx(Size.W, 0, 1, 8).exit(), "accepted"],
    ["u8 of an int argument", B().ldx(Size.B, 0, 1, 8).exit(), "accepted"],
    ["u32 of an enum argument", B().ldx(Size.W, 0, 1, 32).exit(), "accepted"],
    ["u32 of the return value (long)", B().ldx(Size.W, 0, 1, 40).exit(), "accepted"],
    ["the whole char * argument (a scalar)", B().ldx(Size.DW, 0, 1, 16).exit(), "accepted"],
    ["u32 of a char * argument", B().ldx(Size.W, 0, 1, 16).exit(), "func 'f' size 4 must be 8\ninvalid bpf_context access off=16 size=4"],
    ["u16 of a struct pointer argument", B().ldx(Size.H, 0, 1, 0).exit(), "func 'f' size 2 must be 8\ninvalid bpf_context access off=0 size=2"],
    ["a double argument", B().ldx(Size.DW, 0, 1, 24).exit(), "func 'f' arg3 'double' has type FLOAT. Only pointer access is allowed\ninvalid bpf_context access off=24 size=8"],
    ["u32 at the middle of a slot", B().ldx(Size.W, 0, 1, 12).exit(), "func 'f' offset 12 is not multiple of 8\ninvalid bpf_context access off=12 size=4"],
  ];
  for (const [name, prog, want] of cases) {
    it(`${name}: ${want === "accepted" ? "accepted" : "refused"}`, () => {
      expect(run(prog)).toBe(want);
    });
  }
});
