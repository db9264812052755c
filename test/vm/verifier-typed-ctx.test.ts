// Typed contexts of BTF-attached tracing programs (issue #17): fentry,
// fexit, fmod_ret and tp_btf arguments load as PTR_TO_BTF_ID of their
// struct (checked kernel reads through them), scalars stay scalars, and
// accesses past the attach target's arguments are refused in the kernel's
// words (btf_ctx_access). Without an attach target the context stays the
// untyped u64 array the tracer's own programs use.
import { describe, expect, it } from "vitest";
import { BtfBuilder } from "../../src/btf/builder.js";
import type { Btf } from "../../src/btf/btf.js";
import { ProgramBuilder } from "../../src/vm/isa/builder.js";
import { programFromInsns } from "../../src/vm/isa/encode.js";
import { Size } from "../../src/vm/isa/opcodes.js";
import { tracingProgType, type ProgType } from "../../src/vm/verifier/prog-types.js";
import { tracingCtxFromProto, tracingCtxTypes, typedTracingProgType, type TracingAttach } from "../../src/vm/verifier/tracing-ctx.js";
import { verify, type VerifyResult } from "../../src/vm/verifier/verifier.js";

/** A tiny kernel BTF: struct task_struct { int pid; ... }, long do_it(struct task_struct *p, int n), btf_trace_ev(void *, struct task_struct *, unsigned int). */
function kernelBtf(): { btf: Btf; doIt: number; traceEv: number; task: number; notTrace: number; getTask: number } {
  const b = new BtfBuilder();
  const int = b.int("int", 4, 1);
  const long = b.int("long", 8, 1);
  const uint = b.int("unsigned int", 4);
  const task = b.struct("task_struct", 16);
  b.field(task, "pid", int, 0).field(task, "tgid", int, 32).field(task, "flags", long, 64);
  const taskPtr = b.ptr(task);
  const proto = b.funcProto(long, [["p", taskPtr], ["n", int]]);
  const doIt = b.func("do_it", proto);
  const voidPtr = b.ptr(0);
  const tpProto = b.funcProto(0, [["__data", voidPtr], ["prev", taskPtr], ["state", uint]]);
  const traceEv = b.typedef("btf_trace_ev", b.ptr(tpProto));
  const notTrace = b.typedef("u32_alias", uint);
  const getTask = b.func("get_task", b.funcProto(taskPtr, [["pid", int]]));
  return { btf: b.finish(), doIt, traceEv, task, notTrace, getTask };
}

const K = kernelBtf();
const typed = (attach: TracingAttach, id = attach === "tp_btf" ? K.traceEv : K.doIt): ProgType => {
  const t = tracingCtxTypes(K.btf, id, attach);
  if (typeof t === "string") throw new Error(t);
  return typedTracingProgType(t);
};
const check = (b: ProgramBuilder, progType: ProgType): VerifyResult => verify(programFromInsns(b.link()), { progType, btf: K.btf, logLevel: 1 });
const B = () => new ProgramBuilder();
/** The failure's last two log lines: the explanation (or the instruction) and the verdict. */
const lastTwo = (r: VerifyResult): string[] => {
  const log = r.error!.log;
  const i = log.lastIndexOf(r.error!.reason);
  return log.slice(i - 1, i + 1);
};

describe("fentry/fexit/fmod_ret: arguments typed by the FUNC's prototype", () => {
  it("a struct pointer argument dereferences directly (PTR_TO_BTF_ID, the read is a checked kernel read)", () => {
    // r2 = ctx[0] (struct task_struct *p); r0 = p->pid; exit
    const r = check(B().ldx(Size.DW, 2, 1, 0).ldx(Size.W, 0, 2, 0).exit(), typed("fentry"));
    expect(r.error?.reason).toBeUndefined();
    expect(r.accepted).toBe(true);
    expect(r.probeMem).toEqual([1]);
  });

  it("a read past the struct's end is refused as for any typed kernel pointer", () => {
    const r = check(B().ldx(Size.DW, 2, 1, 0).ldx(Size.W, 0, 2, 16).exit(), typed("fentry"));
    expect(r.accepted).toBe(false);
    expect(r.error!.reason).toBe("access beyond struct task_struct at off 16 size 4");
  });

  it("a scalar argument stays a scalar: dereferencing it is refused", () => {
    const r = check(B().ldx(Size.DW, 2, 1, 8).ldx(Size.W, 0, 2, 0).exit(), typed("fentry"));
    expect(r.accepted).toBe(false);
    expect(r.error!.reason).toBe("R2 invalid mem access 'scalar'");
  });

  it("a narrow load of an integer argument's low bytes is allowed", () => {
    const r = check(B().ldx(Size.W, 0, 1, 8).exit(), typed("fentry"));
    expect(r.accepted).toBe(true);
  });

  it("a load inside a slot but not at its start is refused (btf_ctx_access: offset not multiple of 8)", () => {
    const r = check(B().ldx(Size.W, 0, 1, 12).exit(), typed("fentry"));
    expect(r.accepted).toBe(false);
    expect(lastTwo(r)).toEqual(["func 'do_it' offset 12 is not multiple of 8", "invalid bpf_context access off=12 size=4"]);
  });

  it("a narrow load of a pointer argument is refused (btf_ctx_access: pointers load whole)", () => {
    const r = check(B().ldx(Size.W, 2, 1, 0).ldx(Size.W, 0, 2, 0).exit(), typed("fentry"));
    expect(r.accepted).toBe(false);
    expect(lastTwo(r)).toEqual(["func 'do_it' size 4 must be 8", "invalid bpf_context access off=0 size=4"]);
  });

  it("fentry: the slot after the last argument is refused in the kernel's words", () => {
    const r = check(B().ldx(Size.DW, 0, 1, 16).exit(), typed("fentry"));
    expect(r.accepted).toBe(false);
    expect(lastTwo(r)).toEqual(["func 'do_it' doesn't have 3-th argument", "invalid bpf_context access off=16 size=8"]);
  });

  it("fexit and fmod_ret: that slot is the return value; the one after is refused", () => {
    for (const attach of ["fexit", "fmod_ret"] as const) {
      expect(check(B().ldx(Size.DW, 0, 1, 16).exit(), typed(attach)).accepted).toBe(true);
      const r = check(B().ldx(Size.DW, 0, 1, 24).exit(), typed(attach));
      expect(r.accepted).toBe(false);
      expect(lastTwo(r)).toEqual(["func 'do_it' doesn't have 4-th argument", "invalid bpf_context access off=24 size=8"]);
    }
  });

  it("fexit types the return slot from the return type (a task pointer dereferences); fmod_ret refuses a non-integer return", () => {
    expect(check(B().ldx(Size.DW, 2, 1, 8).ldx(Size.W, 0, 2, 0).exit(), typed("fexit", K.getTask)).accepted).toBe(true);
    expect(check(B().ldx(Size.DW, 0, 1, 0).exit(), typed("fmod_ret", K.getTask)).accepted).toBe(true);
    const r = check(B().ldx(Size.DW, 0, 1, 8).exit(), typed("fmod_ret", K.getTask));
    expect(r.accepted).toBe(false);
    expect(lastTwo(r)).toEqual(["ret type PTR not allowed for fmod_ret", "invalid bpf_context access off=8 size=8"]);
  });

  it("past MAX_BPF_FUNC_ARGS slots only the verdict is printed", () => {
    const r = check(B().ldx(Size.DW, 0, 1, 96).exit(), typed("fexit"));
    expect(lastTwo(r)).toEqual(["0: (79) r0 = *(u64 *)(r1 +96)", "invalid bpf_context access off=96 size=8"]);
  });

  it("writes to the context are refused as before", () => {
    const r = check(B().st(Size.DW, 1, 0, 0).mov64Imm(0, 0).exit(), typed("fentry"));
    expect(r.accepted).toBe(false);
    expect(r.error!.reason).toBe("invalid bpf_context access off=0 size=8");
  });

  it("an attach id that is not a FUNC is refused with what it is", () => {
    expect(tracingCtxTypes(K.btf, K.task, "fentry")).toBe(`attach_btf_id ${K.task} is not a function`);
    expect(tracingCtxTypes(K.btf, K.doIt, "tp_btf")).toBe(`attach_btf_id ${K.doIt} is not a typedef`);
    expect(tracingCtxTypes(K.btf, K.notTrace, "tp_btf")).toBe(`attach_btf_id ${K.notTrace} points to wrong type name u32_alias`);
  });
});

describe("tp_btf: the btf_trace_<event> typedef's arguments after `void *__data`", () => {
  it("ctx[0] is the first real argument (a task), ctx[1] the scalar, ctx[2] does not exist", () => {
    expect(check(B().ldx(Size.DW, 2, 1, 0).ldx(Size.W, 0, 2, 4).exit(), typed("tp_btf")).accepted).toBe(true);
    expect(check(B().ldx(Size.DW, 2, 1, 8).ldx(Size.W, 0, 2, 0).exit(), typed("tp_btf")).error!.reason).toBe("R2 invalid mem access 'scalar'");
    const r = check(B().ldx(Size.DW, 0, 1, 16).exit(), typed("tp_btf"));
    expect(lastTwo(r)).toEqual(["func 'ev' doesn't have 3-th argument", "invalid bpf_context access off=16 size=8"]);
  });

  it("without the typedef, TP_PROTO's C types type the context the same way", () => {
    const t = tracingCtxFromProto(K.btf, "ev", ["struct task_struct *", "unsigned int"]);
    expect(t.args).toEqual([{ kind: "struct-ptr", btfId: K.task }, { kind: "scalar" }]);
    expect(check(B().ldx(Size.DW, 2, 1, 0).ldx(Size.W, 0, 2, 4).exit(), typedTracingProgType(t)).accepted).toBe(true);
  });
});

describe("no attach target: the untyped u64 array of the tracer's own programs", () => {
  it("every slot loads as a scalar", () => {
    const r = check(B().ldx(Size.DW, 2, 1, 0).ldx(Size.W, 0, 2, 0).exit(), tracingProgType(2));
    expect(r.error!.reason).toBe("R2 invalid mem access 'scalar'");
    expect(check(B().ldx(Size.DW, 0, 1, 8).exit(), tracingProgType(2)).accepted).toBe(true);
  });
});
