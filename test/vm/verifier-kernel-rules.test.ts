// Rules of the kernel's verifier that a program must not get past (issue
// #17, "accepted here, rejected by Linux"): each program below was accepted
// before its rule was added, and the kernel refuses it with the message
// given. Privileged loads (CAP_BPF + CAP_PERFMON), tracing programs with 6
// arguments.
import { describe, expect, it } from "vitest";
import { HelperId } from "../../src/vm/helpers/protos.js";
import { ProgramBuilder } from "../../src/vm/isa/builder.js";
import { programFromInsns } from "../../src/vm/isa/encode.js";
import { JmpOp, Size } from "../../src/vm/isa/opcodes.js";
import { conformanceProgType, kprobeProgType, tracepointProgType, tracingProgType } from "../../src/vm/verifier/prog-types.js";
import type { MapDesc } from "../../src/vm/verifier/types.js";
import { verify, type VerifyResult } from "../../src/vm/verifier/verifier.js";

const B = () => new ProgramBuilder();
const check = (b: ProgramBuilder, privileged = true): VerifyResult => verify(programFromInsns(b.link()), { progType: tracingProgType(6), privileged });

/** Zeroes `bytes` of stack below r10 (8 at a time), so the frame's stack depth is `bytes`. */
function useStack(b: ProgramBuilder, bytes: number): ProgramBuilder {
  for (let off = 8; off <= bytes; off += 8) b.st(Size.DW, 10, -off, 0);
  return b;
}

describe("calls: the combined stack of every call chain (check_max_stack_depth)", () => {
  it("recursion bounded by its argument: refused, the static walk passes 8 frames", () => {
    // main: call f(2). f: if r1 == 0 return; r1 -= 1; f(r1).
    const b = B().mov64Imm(1, 2).callLocal("f").mov64Imm(0, 0).exit();
    b.label("f").mov64Imm(0, 0).jmpImm(JmpOp.JEQ, 1, 0, "out").sub64Imm(1, 1).callLocal("f").label("out").exit();
    const r = check(b);
    expect(r.accepted).toBe(false);
    expect(r.error!.reason).toBe("the call stack of 8 frames is too deep !");
    expect(r.error!.errno).toBe("E2BIG");
  });

  it("recursion only in dead code is refused too", () => {
    // r0 = 0 never equals 1: the call to f is never verified, but the walk follows it.
    const b = B().mov64Imm(0, 0).jmpImm(JmpOp.JEQ, 0, 1, "dead").exit().label("dead").callLocal("f").exit();
    b.label("f").callLocal("f").exit();
    const r = check(b);
    expect(r.accepted).toBe(false);
    expect(r.error!.reason).toBe("the call stack of 8 frames is too deep !");
  });

  it("256 + 264 bytes over two frames (rounded to 32: 256 + 288): too large", () => {
    const b = useStack(B(), 256).callLocal("f").mov64Imm(0, 0).exit();
    useStack(b.label("f"), 264).mov64Imm(0, 0).exit();
    const r = check(b);
    expect(r.accepted).toBe(false);
    expect(r.error!.reason).toBe("combined stack size of 2 calls is 544. Too large");
    expect(r.error!.errno).toBe("EACCES");
  });

  it("256 + 256 bytes fit exactly", () => {
    const b = useStack(B(), 256).callLocal("f").mov64Imm(0, 0).exit();
    useStack(b.label("f"), 256).mov64Imm(0, 0).exit();
    expect(check(b).accepted).toBe(true);
  });

  it("each frame counts at least 32 bytes: 8 nested calls of 0 bytes under a 288-byte main are 512, one byte more is too large", () => {
    const chain = (mainBytes: number): ProgramBuilder => {
      const b = useStack(B(), mainBytes).callLocal("f1").mov64Imm(0, 0).exit();
      for (let k = 1; k <= 6; k++) b.label(`f${k}`).callLocal(`f${k + 1}`).exit();
      return b.label("f7").mov64Imm(0, 0).exit();
    };
    expect(check(chain(288)).accepted).toBe(true); // 288 + 7 * 32 = 512
    const r = check(chain(296)); // rounds to 320: 320 + 7 * 32 = 544
    expect(r.accepted).toBe(false);
    expect(r.error!.reason).toBe("combined stack size of 8 calls is 544. Too large");
  });
});

describe("stack pointers into a caller's frame", () => {
  it("a callee may not spill a pointer to the caller's stack into the caller's frame", () => {
    // main: r1 = fp-8; f(r1). f: *(u64 *)(r1 + 0) = r1.
    const b = B().st(Size.DW, 10, -8, 0).mov64(1, 10).add64Imm(1, -8).callLocal("f").mov64Imm(0, 0).exit();
    b.label("f").stx(Size.DW, 1, 0, 1).mov64Imm(0, 0).exit();
    const r = check(b);
    expect(r.accepted).toBe(false);
    expect(r.error!.reason).toBe("cannot spill pointers to stack into stack frame of the caller");
  });

  it("a scalar written there is fine", () => {
    const b = B().st(Size.DW, 10, -8, 0).mov64(1, 10).add64Imm(1, -8).callLocal("f").ldx(Size.DW, 0, 10, -8).exit();
    b.label("f").mov64Imm(2, 7).stx(Size.DW, 1, 0, 2).mov64Imm(0, 0).exit();
    expect(check(b).accepted).toBe(true);
  });
});

describe("ALU immediates the kernel refuses at load (check_alu_op)", () => {
  const arg = () => B().ldx(Size.DW, 0, 1, 0);
  it.each([
    ["div64 by 0", arg().div64Imm(0, 0), "div by zero"],
    ["mod32 by 0", arg().mod32Imm(0, 0), "div by zero"],
    ["lsh64 by 64", arg().lsh64Imm(0, 64), "invalid shift 64"],
    ["rsh32 by 32", arg().rsh32Imm(0, 32), "invalid shift 32"],
    ["arsh64 by -1", arg().arsh64Imm(0, -1), "invalid shift -1"],
  ])("%s", (_name, b, reason) => {
    const r = check(b.exit());
    expect(r.accepted).toBe(false);
    expect(r.error!.reason).toBe(reason);
    expect(r.error!.insn).toBe(1);
  });

  it("the largest legal immediates load (lsh64 by 63, rsh32 by 31, div by 1)", () => {
    expect(check(arg().lsh64Imm(0, 63).rsh32Imm(0, 31).div64Imm(0, 1).exit()).accepted).toBe(true);
  });

  it("the conformance dialect keeps RFC 9669 semantics (division by 0 gives 0)", () => {
    const r = verify(programFromInsns(B().mov64Imm(0, 5).div64Imm(0, 0).lsh32Imm(0, 40).exit().link()), { progType: conformanceProgType(0) });
    expect(r.accepted).toBe(true);
  });
});

describe("unprivileged loads: no pointer where a helper takes any value", () => {
  // bpf_get_func_arg(ctx, n, &value): n is ARG_ANYTHING; a pointer there is an address handed to the kernel.
  const funcArg = (n: (b: ProgramBuilder) => ProgramBuilder) =>
    n(B().mov64(3, 10).add64Imm(3, -8)).call(HelperId["get_func_arg"]!).mov64Imm(0, 0).exit();

  it("get_func_arg(ctx, r10, &v): R2 leaks addr into helper function", () => {
    const r = check(funcArg((b) => b.mov64(2, 10)), false);
    expect(r.accepted).toBe(false);
    expect(r.error!.reason).toBe("R2 leaks addr into helper function");
  });

  it("the same with a scalar loads unprivileged, and with the pointer when privileged", () => {
    expect(check(funcArg((b) => b.mov64Imm(2, 0)), false).accepted).toBe(true);
    expect(check(funcArg((b) => b.mov64(2, 10)), true).accepted).toBe(true);
  });
});

describe("map values: program access flags and atomic alignment", () => {
  // fd 1: array, value 16; fd 2: the same with BPF_F_WRONLY_PROG; fd 3: with BPF_F_RDONLY_PROG.
  const maps = new Map<number, MapDesc>([
    [1, { type: 2, keySize: 4, valueSize: 16, maxEntries: 4, flags: 0, name: "arr" }],
    [2, { type: 2, keySize: 4, valueSize: 16, maxEntries: 4, flags: 1 << 8, name: "wronly" }],
    [3, { type: 2, keySize: 4, valueSize: 16, maxEntries: 4, flags: 1 << 7, name: "rdonly" }],
  ]);
  /** r0 = &map[0] (or exit). */
  const lookup = (fd: number) =>
    B().st(Size.W, 10, -4, 0).ldMapFd(1, fd).mov64(2, 10).add64Imm(2, -4).call(HelperId["map_lookup_elem"]!).jmpImm(JmpOp.JNE, 0, 0, "ok").exit().label("ok");
  const run = (b: ProgramBuilder) => verify(programFromInsns(b.link()), { progType: tracingProgType(6), mapByFd: (fd) => maps.get(fd) });

  it("BPF_F_WRONLY_PROG: a load is refused", () => {
    const r = run(lookup(2).ldx(Size.DW, 0, 0, 8).exit());
    expect(r.error?.reason).toBe("read from map forbidden, value_size=16 off=8 size=8");
  });

  it("BPF_F_WRONLY_PROG: a store is fine; BPF_F_RDONLY_PROG: a store is refused", () => {
    expect(run(lookup(2).st(Size.DW, 0, 8, 1).mov64Imm(0, 0).exit()).accepted).toBe(true);
    expect(run(lookup(3).st(Size.DW, 0, 8, 1).mov64Imm(0, 0).exit()).error?.reason).toBe("write into map forbidden, value_size=16 off=8 size=8");
  });

  it("an atomic add at value + 4 of 8 bytes is misaligned; at + 8 it is fine; a plain load at + 4 is fine", () => {
    const r = run(lookup(1).mov64Imm(1, 1).atomicAdd(Size.DW, 0, 4, 1).mov64Imm(0, 0).exit());
    expect(r.error?.reason).toBe("misaligned value access off 0+0+4 size 8");
    expect(run(lookup(1).mov64Imm(1, 1).atomicAdd(Size.DW, 0, 8, 1).mov64Imm(0, 0).exit()).accepted).toBe(true);
    expect(run(lookup(1).ldx(Size.DW, 0, 0, 4).exit()).accepted).toBe(true);
  });
});

describe("accepted by Linux (precision)", () => {
  it("a static subprogram that returns without setting r0; reading the caller's r0 after it is the error", () => {
    const ok = B().callLocal("f").mov64Imm(0, 0).exit();
    ok.label("f").mov64Imm(1, 1).exit();
    expect(check(ok).accepted).toBe(true);
    const bad = B().callLocal("f").exit();
    bad.label("f").mov64Imm(1, 1).exit();
    const r = check(bad);
    expect(r.accepted).toBe(false);
    expect(r.error!.reason).toBe("R0 !read_ok");
    expect(r.error!.insn).toBe(1);
  });

  it("map_delete_elem on an array verifies (the helper says -EINVAL at run time)", () => {
    const arr = new Map<number, MapDesc>([[1, { type: 2, keySize: 4, valueSize: 16, maxEntries: 4, flags: 0, name: "arr" }]]);
    const b = B().st(Size.W, 10, -4, 0).ldMapFd(1, 1).mov64(2, 10).add64Imm(2, -4).call(HelperId["map_delete_elem"]!).exit();
    expect(verify(programFromInsns(b.link()), { progType: tracingProgType(6), mapByFd: (fd) => arr.get(fd) }).accepted).toBe(true);
  });
});

describe("privileged semantics (allow_ptr_leaks), accepted by Linux", () => {
  it("any two pointers subtract to an unknown scalar (ctx - fp)", () => {
    const r = check(B().sub64(1, 10).mov64Imm(0, 0).exit());
    expect(r.accepted).toBe(true);
  });

  it("xchg and cmpxchg may store pointers; atomic add of a pointer too", () => {
    expect(check(B().st(Size.DW, 10, -8, 0).atomicXchg(Size.DW, 10, -8, 1).mov64Imm(0, 0).exit()).accepted).toBe(true);
    expect(check(B().st(Size.DW, 10, -8, 0).mov64(0, 10).mov64(1, 10).atomicCmpxchg(Size.DW, 10, -8, 1).mov64Imm(0, 0).exit()).accepted).toBe(true);
    expect(check(B().st(Size.DW, 10, -8, 0).atomicAdd(Size.DW, 10, -8, 1).mov64Imm(0, 0).exit()).accepted).toBe(true);
  });

  it("map_ptr + 0 stays a map pointer; map_ptr + 8 is refused", () => {
    const arr = new Map<number, MapDesc>([[1, { type: 2, keySize: 4, valueSize: 16, maxEntries: 4, flags: 0, name: "arr" }]]);
    const prog = (k: number) =>
      verify(programFromInsns(B().st(Size.W, 10, -4, 0).ldMapFd(1, 1).add64Imm(1, k).mov64(2, 10).add64Imm(2, -4).call(HelperId["map_lookup_elem"]!).mov64Imm(0, 0).exit().link()), {
        progType: tracingProgType(6),
        mapByFd: (fd) => arr.get(fd),
      });
    expect(prog(0).accepted).toBe(true);
    expect(prog(8).error?.reason).toBe("R1 pointer arithmetic on map_ptr prohibited");
  });
});

describe("privileged loads may read stack never written (allow_uninit_stack)", () => {
  it("a load of an unwritten slot is an unknown scalar; unprivileged it is refused", () => {
    expect(check(B().ldx(Size.DW, 0, 10, -8).exit()).accepted).toBe(true);
    expect(check(B().ldx(Size.DW, 0, 10, -8).exit(), false).error?.reason).toBe("invalid read from stack off -8+0 size 8");
  });

  it("a callee reads its caller's unwritten stack", () => {
    const b = B().mov64(1, 10).add64Imm(1, -8).callLocal("f").exit();
    b.label("f").ldx(Size.DW, 0, 1, 0).exit();
    expect(check(b).accepted).toBe(true);
  });

  it("the value read is unknown: used as a pointer offset into a map value it is refused", () => {
    const arr = new Map<number, MapDesc>([[1, { type: 2, keySize: 4, valueSize: 16, maxEntries: 4, flags: 0, name: "arr" }]]);
    const b = B().st(Size.W, 10, -4, 0).ldMapFd(1, 1).mov64(2, 10).add64Imm(2, -4).call(HelperId["map_lookup_elem"]!).jmpImm(JmpOp.JNE, 0, 0, "ok").exit();
    b.label("ok").ldx(Size.DW, 3, 10, -16).add64(0, 3).ldx(Size.DW, 0, 0, 0).exit();
    const r = verify(programFromInsns(b.link()), { progType: tracingProgType(6), mapByFd: (fd) => arr.get(fd) });
    expect(r.error?.reason).toBe("math between map_value pointer and register with unbounded min value is not allowed");
  });
});

describe("returning a pointer (check_return_code)", () => {
  const retFp = () => programFromInsns(B().mov64(0, 10).exit().link());
  it("privileged kprobe and tracepoint programs may (no return range); unprivileged they leak", () => {
    expect(verify(retFp(), { progType: kprobeProgType() }).accepted).toBe(true);
    expect(verify(retFp(), { progType: tracepointProgType(16) }).accepted).toBe(true);
    expect(verify(retFp(), { progType: kprobeProgType(), privileged: false }).error?.reason).toBe("R0 leaks addr as return value");
  });

  it("where a range is checked, a pointer is not a known value", () => {
    const ranged = { ...tracingProgType(6), retRange: { min: 0n, max: 0n } };
    expect(verify(retFp(), { progType: ranged }).error?.reason).toBe("At program exit the register R0 is not a known value (fp)");
  });
});

describe("NULL memory arguments (PTR_MAYBE_NULL)", () => {
  it("probe_read_kernel(NULL, 0, src): the destination may not be NULL even with size 0", () => {
    const b = B().mov64Imm(1, 0).mov64Imm(2, 0).mov64Imm(3, 0).call(HelperId["probe_read_kernel"]!).mov64Imm(0, 0).exit();
    expect(check(b).error?.reason).toBe("R1 type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_");
  });

  it("snprintf(NULL, 0, fmt, NULL, 0) is legal: both are PTR_MAYBE_NULL", () => {
    // fmt = "x" in a frozen read-only map (the format must be a read-only map value, as .rodata is).
    const rodata: MapDesc = { type: 2, keySize: 4, valueSize: 8, maxEntries: 1, flags: 1 << 7, name: ".rodata", readOnlyValue: new Uint8Array([0x78, 0, 0, 0, 0, 0, 0, 0]) };
    const b = B().mov64Imm(1, 0).mov64Imm(2, 0).ldMapValue(3, 1, 0).mov64Imm(4, 0).mov64Imm(5, 0).call(HelperId["snprintf"]!).mov64Imm(0, 0).exit();
    expect(verify(programFromInsns(b.link()), { progType: tracingProgType(6), mapByFd: (fd) => (fd === 1 ? rodata : undefined) }).accepted).toBe(true);
  });
});
