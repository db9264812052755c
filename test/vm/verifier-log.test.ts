// The verifier log in Linux 6.12's format (kernel/bpf/log.c, verifier.c
// do_check, verbose_linfo): goldens of whole level-2 logs, level 1's trail,
// the register notation, the alignment column and the source-line rule.
//
// How the format was checked: the programs of verifier-log.programs.ts were
// loaded as raw instructions into the machine's Linux 6.18 (a raw_tp program,
// log_level 1 and 2; test/golden/verifier-log/linux-6.18/*.log are those logs
// as the kernel wrote them). Our level-2 logs equal them byte for byte once
// the differences below are set aside; the test "agrees with Linux 6.18"
// checks that, line by line.
//
// Differences seen between Linux 6.18 and 6.12 (we follow 6.12):
//  - 6.18 prints no liveness marks: 6.12 writes `R0_w=` / `fp-8_w=` for a
//    register or slot written since the state was last stored (REG_LIVE_WRITTEN,
//    cleared when is_state_visited stores a state); 6.18 reworked liveness and
//    dropped them, so the comparison removes `_w`.
//  - 6.18 adds a "Live regs before insn:" table, `func#0 @0`, and stack
//    liveness lines `(0) frame 0 insn 3 +written -8` that 6.12 does not print.
// Differences between our log and the kernel's that remain:
//  - `mark_precise: frame0: ...` lines (precision backtracking, printed at
//    level 2 by both kernels) are not printed: our precision tracking walks
//    differently (precision.ts) and a precise scalar is not shown as `P5`.
//  - an lddw of a map prints `r1 = map[id:1]` (the kernel prints the map's
//    kernel address, `r1 = 0xffff88812713d800`); an lddw of a function prints
//    `r2 = subprog[+7]` (the kernel: `r2 = 0x7`).
//  - bpf_loop callbacks: as the kernel, the path goes on after the call and
//    the callback is verified from a pushed state (`from 7 to 10: frame1: ...
//    cb`); but the kernel returns from the callback to the call instruction
//    itself (`to caller at 10:`, then `10: (85) call bpf_loop#181` again,
//    pruned there once the states converge), where we return after the call
//    and enter the callback again from there (`to caller at 8:`, `from 14 to
//    10:`), so later lines and the counts differ (bpf-loop.txt).
//  - infinite loops: the kernel adds `cur state:` / `old state:` lines after
//    "infinite loop detected at insn N"; we print the message alone.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BpfObject } from "../../src/loader/object.js";
import { bootSyntheticKernel, machineOf } from "../../src/syscall/boot.js";
import { ProgramBuilder } from "../../src/vm/isa/builder.js";
import { programFromInsns } from "../../src/vm/isa/encode.js";
import { scalarConst, scalarFromRange, scalarUnknown } from "../../src/vm/verifier/scalar.js";
import { alignmentPad, formatFrame, formatReg } from "../../src/vm/verifier/log.js";
import { kprobeProgType } from "../../src/vm/verifier/prog-types.js";
import { tracingCtxTypes, typedTracingProgType } from "../../src/vm/verifier/tracing-ctx.js";
import { BtfBuilder } from "../../src/btf/builder.js";
import { Size } from "../../src/vm/isa/opcodes.js";
import { newFrame } from "../../src/vm/verifier/state.js";
import { RegType, StackByte } from "../../src/vm/verifier/types.js";
import { verify } from "../../src/vm/verifier/verifier.js";
import { checkGolden } from "../helpers/fixtures.js";
import { ARR, LOG_PROGRAMS } from "./verifier-log.programs.js";

const GOLDEN = join(__dirname, "../golden/verifier-log");
const OBJ = join(__dirname, "../fixtures/loader/obj");

function logOf(insns: Parameters<typeof programFromInsns>[0], level: 1 | 2): string[] {
  return verify(programFromInsns(insns), { progType: kprobeProgType(), mapByFd: (fd) => (fd === 1 ? ARR : undefined), logLevel: level }).log;
}

describe("level-2 logs (goldens)", () => {
  for (const p of LOG_PROGRAMS) {
    it(`${p.name}: ${p.what}`, () => {
      const diff = checkGolden(join(GOLDEN, `${p.name}.txt`), logOf(p.insns, 2).join("\n") + "\n");
      expect(diff).toBeUndefined();
    });
  }

  it("an object's programs with their source lines (subprogs.synthetic.bpf.o through the loader, as prog load -v)", () => {
    const obj = BpfObject.open(readFileSync(join(OBJ, "subprogs.synthetic.bpf.o")), "subprogs.synthetic.bpf.o");
    try {
      obj.load(machineOf(bootSyntheticKernel({ seed: 1 })), { keepGoing: true, logLevel: 2 });
      const text = obj.programs.map((p) => `# ${p.spec.section}/${p.spec.name}\n${p.log.join("\n")}\n`).join("");
      expect(checkGolden(join(GOLDEN, "object-subprogs.txt"), text)).toBeUndefined();
    } finally {
      obj.close();
    }
  });
});

describe("agrees with Linux 6.18 (the kernel's own logs of the same instructions)", () => {
  /** The lines 6.12 would not print either (see the top comment), and the precision walk we do not print. */
  const kernelLines = (text: string): string[] =>
    text
      .split("\n")
      .filter((l) => !/^(func#\d+ @\d+|Live regs before insn:|\s+\d+: [.0-9]{10} .*|\(\d+(,\d+)*\) .*|mark_precise: .*)$/.test(l));
  /** The kernel prints a map's address where we print map[id:1]. */
  const mapAddress = (l: string): string => {
    const m = /^(\d+: \(18\) r\d = )0xffff[0-9a-f]{12} +;(.*)$/.exec(l);
    return m ? `${m[1]}map[id:1]${alignmentPad(`${m[1]}map[id:1]`)};${m[2]}` : l;
  };
  const cases: [string, 1 | 2][] = [
    ["straight", 2],
    ["branches", 2],
    ["subprog", 2],
    ["stack", 2],
    ["rejected", 2],
    ["rejected", 1],
  ];
  for (const [name, level] of cases) {
    it(`${name}, level ${level}: byte for byte without 6.12's _w marks`, () => {
      const p = LOG_PROGRAMS.find((q) => q.name === name)!;
      const ours = logOf(p.insns, level).map((l) => l.replace(/_w=/g, "="));
      const theirs = kernelLines(readFileSync(join(GOLDEN, "linux-6.18", `${name}${level === 1 ? ".level1" : ""}.log`), "utf8")).map(mapAddress);
      expect(ours.join("\n") + "\n").toBe(theirs.join("\n"));
    });
  }
});

describe("level 1", () => {
  it("an accepted program's log is the summary line alone", () => {
    const p = LOG_PROGRAMS.find((q) => q.name === "branches")!;
    expect(logOf(p.insns, 1)).toEqual(["processed 23 insns (limit 1000000) max_states_per_insn 0 total_states 2 peak_states 2 mark_read 0"]);
  });

  it("a rejected program's log is the failing path: explored paths are rewound to their branch point (pop_log)", () => {
    // r6 > 10 falls through to a safe exit first; the taken side loads through a scalar. The jump's line
    // keeps the blank that replaced its newline when its state was printed, and the trail goes on there.
    const insns = LOG_PROGRAMS.find((q) => q.name === "rejected")!.insns;
    expect(logOf(insns, 1)).toEqual([
      "0: R1=ctx() R10=fp0",
      "0: (79) r6 = *(u64 *)(r1 +0)          ; R1=ctx() R6_w=scalar()",
      "1: (b7) r0 = 0                        ; R0_w=0",
      "2: (25) if r6 > 0xa goto pc+1 4: R0_w=0 R1=ctx() R6_w=scalar(umin=11) R10=fp0",
      "4: (79) r0 = *(u64 *)(r6 +0)",
      "R6 invalid mem access 'scalar'",
      "processed 5 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0",
    ]);
    // Level 2 keeps the path explored first, its fall-through state after the jump, and the `from` line.
    expect(logOf(insns, 2).slice(3, 10)).toEqual([
      "2: (25) if r6 > 0xa goto pc+1         ; R6_w=scalar(smin=smin32=0,smax=umax=smax32=umax32=10,var_off=(0x0; 0xf))",
      "3: (95) exit",
      "",
      "from 2 to 4: R0_w=0 R1=ctx() R6_w=scalar(umin=11) R10=fp0",
      "4: R0_w=0 R1=ctx() R6_w=scalar(umin=11) R10=fp0",
      "4: (79) r0 = *(u64 *)(r6 +0)",
      "R6 invalid mem access 'scalar'",
    ]);
  });
});

describe("register and stack notation (print_reg_state, print_verifier_state)", () => {
  const map = { ...ARR, name: "counts" };
  it.each([
    ["a constant scalar", { type: RegType.SCALAR, scalar: scalarConst(42n) }, 0, "42"],
    ["a large constant in hex", { type: RegType.SCALAR, scalar: scalarConst(0x10000n) }, 0, "0x10000"],
    ["a linked unknown scalar", { type: RegType.SCALAR, scalar: scalarUnknown(), id: 3 }, 0, "scalar(id=3)"],
    ["a linked bounded scalar", { type: RegType.SCALAR, scalar: scalarFromRange(0n, 9n), id: 2 }, 0, "scalar(id=2,smin=smin32=0,smax=umax=smax32=umax32=9,var_off=(0x0; 0xf))"],
    ["the frame's own stack", { type: RegType.PTR_TO_STACK, off: -8, frameno: 1 }, 1, "fp-8"],
    ["the caller's stack from a callee", { type: RegType.PTR_TO_STACK, off: -8, frameno: 0 }, 1, "fp[0]-8"],
    ["a context pointer with an offset", { type: RegType.PTR_TO_CTX, off: 16 }, 0, "ctx(off=16)"],
    ["a map pointer", { type: RegType.CONST_PTR_TO_MAP, map }, 0, "map_ptr(map=counts,ks=4,vs=8)"],
    ["a map value with a fixed offset", { type: RegType.PTR_TO_MAP_VALUE, map, off: 4, scalar: scalarConst(0n) }, 0, "map_value(map=counts,ks=4,vs=8,off=4)"],
    ["a map value with a variable offset", { type: RegType.PTR_TO_MAP_VALUE, map, scalar: scalarFromRange(0n, 4n) }, 0, "map_value(map=counts,ks=4,vs=8,smin=smin32=0,smax=umax=smax32=umax32=4,var_off=(0x0; 0x7))"],
    ["a lookup's result", { type: RegType.PTR_TO_MAP_VALUE_OR_NULL, map, id: 1, scalar: scalarConst(0n) }, 0, "map_value_or_null(id=1,map=counts,ks=4,vs=8)"],
    ["a ring buffer record", { type: RegType.PTR_TO_MEM, memSize: 16, refObjId: 2, scalar: scalarConst(0n) }, 0, "ringbuf_mem(ref_obj_id=2,sz=16)"],
    ["a reserve's result", { type: RegType.PTR_TO_MEM_OR_NULL, memSize: 16, id: 2, refObjId: 2 }, 0, "ringbuf_mem_or_null(id=2,ref_obj_id=2,sz=16)"],
    ["a function pointer", { type: RegType.PTR_TO_FUNC, subprog: 7 }, 0, "func()"],
  ] as const)("%s", (_what, reg, frameno, text) => {
    expect(formatReg(reg, frameno)).toBe(text);
  });

  it("a frame: registers, then stack slots from fp-8 down, references and cb", () => {
    const f = newFrame(3, 9, 1, 3);
    f.regs[0] = { type: RegType.SCALAR, scalar: scalarConst(0n) };
    f.stack.fill(StackByte.ZERO, 508, 512); // fp-4..fp-1: the high half of slot fp-8
    f.stack.fill(StackByte.SPILL, 496, 504); // fp-16
    f.spills[62] = { type: RegType.PTR_TO_CTX };
    f.stack.fill(StackByte.MISC, 480, 488); // fp-32
    const all = { regs: "all" as const, slots: "all" as const, refs: [4], frameno: 1, callback: true };
    expect(formatFrame(f, { ...all, writtenRegs: 1, writtenSlots: 1n << 3n })).toBe(" frame1: R0_w=0 R10=fp0 fp-8=0000???? fp-16=ctx() fp-32_w=mmmmmmmm refs=4 cb");
    // Only what the instruction scratched.
    expect(formatFrame(f, { ...all, regs: 1 << 10, slots: 2n, writtenRegs: 0, writtenSlots: 0n })).toBe(" frame1: R10=fp0 fp-16=ctx() refs=4 cb");
  });

  it("the state after an instruction starts at column 38, or the next multiple of 8 minus 2 at least 3 columns on", () => {
    const col = (insn: string) => (insn + alignmentPad(insn)).length;
    expect(col("0: (b7) r0 = 0")).toBe(38);
    expect(col("0: (85) call bpf_get_prandom_u32#7")).toBe(38); // 4 spaces, as Linux prints it
    expect(col("0: (85) call bpf_get_current_task#35")).toBe(46);
    expect(col("12: (7b) *(u64 *)(r10 -8) = r1 xxxxxxxx")).toBe(46);
  });
});

describe("write marks (_w, REG_LIVE_WRITTEN)", () => {
  it("are cleared when a state is stored, and a callee's r1-r5 carry the caller's marks from before the call", () => {
    // r1, r3-r5 are written before the state stored at 7 (two jumps, eight insns), r7 and r2 after it.
    const b = new ProgramBuilder().ldx(Size.DW, 6, 1, 0).mov64(1, 6).ja("a").label("a").mov64Imm(3, 0).mov64Imm(4, 0).mov64Imm(5, 0);
    b.ja("b").label("b").mov64Imm(7, 0).mov64Imm(2, 9).callLocal("f").exit().label("f").mov64Imm(0, 0).exit();
    const log = logOf(b.link(), 2);
    const at = log.indexOf("caller:");
    expect(log.slice(at - 3, at + 5)).toEqual([
      "7: (b7) r7 = 0                        ; R7_w=0",
      "8: (b7) r2 = 9                        ; R2_w=9",
      "9: (85) call pc+1",
      "caller:",
      " R6=scalar(id=1) R7_w=0 R10=fp0",
      "callee:",
      " frame1: R1=scalar(id=1) R2_w=9 R3=0 R4=0 R5=0 R10=fp0",
      "11: frame1: R1=scalar(id=1) R2_w=9 R3=0 R4=0 R5=0 R10=fp0",
    ]);
    // Before the state was stored they were marked.
    expect(log[5]).toBe("4: (b7) r4 = 0                        ; R4_w=0");
  });
});

describe("typed kernel pointers", () => {
  it("a BTF-typed pointer is named by its type: ptr_task_struct() (an fentry argument, not PTR_TRUSTED)", () => {
    const b = new BtfBuilder();
    const int = b.int("int", 4, 1);
    const task = b.struct("task_struct", 8);
    b.field(task, "pid", int, 0);
    const doIt = b.func("do_it", b.funcProto(int, [["p", b.ptr(task)]]));
    const btf = b.finish();
    const types = tracingCtxTypes(btf, doIt, "fentry");
    if (typeof types === "string") throw new Error(types);
    const insns = new ProgramBuilder().ldx(Size.DW, 2, 1, 0).ldx(Size.W, 0, 2, 0).exit().link();
    expect(verify(programFromInsns(insns), { progType: typedTracingProgType(types), btf, logLevel: 2 }).log.slice(0, 3)).toEqual([
      "0: R1=ctx() R10=fp0",
      "0: (79) r2 = *(u64 *)(r1 +0)          ; R1=ctx() R2_w=ptr_task_struct()",
      "1: (61) r0 = *(u32 *)(r2 +0)          ; R0_w=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R2_w=ptr_task_struct()",
    ]);
  });
});

describe("source lines (verbose_linfo)", () => {
  const li = (insnOff: number, lineNum: number, line: string, fileName = "/src/dir/prog.bpf.c") => ({ insnOff, lineNum, line, fileName });
  const withLines = (insns: Parameters<typeof programFromInsns>[0], level: 1 | 2, lineInfo: ReturnType<typeof li>[]) =>
    verify(programFromInsns(insns), { progType: kprobeProgType(), logLevel: level, lineInfo }).log;

  it("once per line of a file, with the file's base name, again when the line changes back", () => {
    const insns = new ProgramBuilder().mov64Imm(0, 0).mov64Imm(1, 1).mov64Imm(2, 2).exit().link();
    // Records 0 and 1 are one source line at two columns; record 3 returns to line 12.
    const lines = [li(0, 12, "  return x;"), li(1, 12, "  return x;"), li(2, 13, "\ty = 1;"), li(3, 12, "  return x;")];
    expect(withLines(insns, 2, lines)).toEqual([
      "0: R1=ctx() R10=fp0",
      "; return x; @ prog.bpf.c:12",
      "0: (b7) r0 = 0                        ; R0_w=0",
      "1: (b7) r1 = 1                        ; R1_w=1",
      "; y = 1; @ prog.bpf.c:13",
      "2: (b7) r2 = 2                        ; R2_w=2",
      "; return x; @ prog.bpf.c:12",
      "3: (95) exit",
      "processed 4 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0",
    ]);
  });

  it("level 1: a rewind does not make the kernel forget the line it printed last (prev_linfo)", () => {
    // The fall-through (insn 3, line 20) is explored first and rewound; the failing target (insn 4) is line 20
    // too, and is not introduced again.
    const insns = LOG_PROGRAMS.find((q) => q.name === "rejected")!.insns;
    const lines = [li(0, 10, "x = ctx->a;"), li(3, 20, "return *p;")];
    expect(withLines(insns, 1, lines)).toEqual([
      "0: R1=ctx() R10=fp0",
      "; x = ctx->a; @ prog.bpf.c:10",
      "0: (79) r6 = *(u64 *)(r1 +0)          ; R1=ctx() R6_w=scalar()",
      "1: (b7) r0 = 0                        ; R0_w=0",
      "2: (25) if r6 > 0xa goto pc+1 4: R0_w=0 R1=ctx() R6_w=scalar(umin=11) R10=fp0",
      "4: (79) r0 = *(u64 *)(r6 +0)",
      "R6 invalid mem access 'scalar'",
      "processed 5 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0",
    ]);
  });
});
