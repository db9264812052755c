// The JIT against the reference interpreter loop on the paths the
// conformance suite does not reach: bpf-to-bpf calls (r10 restored, frame
// limit), bpf_loop callbacks (also at slots no lddw names), tail calls
// (into compiled and uncompiled programs), helper failures, probe loads,
// and budgets that run out at every possible instruction, inside calls and
// around memory faults, which must stop both at the same instruction with
// the same executed count.
import { describe, expect, it } from "vitest";
import { nullKernelEnv } from "../env.js";
import { coreHelperTable, type HelperTable } from "../helpers/table.js";
import type { Instruction, Program } from "../isa/instruction.js";
import { LDDW, PseudoLd } from "../isa/opcodes.js";
import { Interpreter, type LoadedProgram, type RunResult } from "../interpreter.js";
import { AddressSpace, RegionKind, regionAddress, type Region } from "../memory.js";
import { INLINE_MAX_INSNS, JIT_MAX_EMITTED, JIT_MAX_SLOTS, SEGMENT_MAX, SEGMENT_TARGET } from "./compile.js";
import { jitOf } from "./runtime.js";
import { readsRegisters } from "../helpers/abi.js";

const I = (opcode: number, dst = 0, src = 0, off = 0, imm = 0, imm2?: number): Instruction =>
  imm2 === undefined ? { opcode, dst, src, off, imm } : { opcode, dst, src, off, imm, imm2 };

function program(insns: Instruction[]): Program {
  const slotOf: number[] = [];
  let s = 0;
  for (const i of insns) {
    slotOf.push(s);
    s += i.opcode === LDDW ? 2 : 1;
  }
  slotOf.push(s);
  return { insns, slotOf };
}

const MOV64_IMM = 0xb7;
const MOV64_REG = 0xbf;
const ADD64_IMM = 0x07;
const ADD64_REG = 0x0f;
const CALL = 0x85;
const EXIT = I(0x95);
const JA = 0x05;
const lddw = (dst: number, v: bigint, src = 0) => I(LDDW, dst, src, 0, Number(BigInt.asIntN(32, v & 0xffffffffn)), Number(BigInt.asIntN(32, v >> 32n)));
const TAIL_MAP = 0xffffc9b000001000n;

interface World {
  mem: AddressSpace;
  vm: Interpreter;
  helpers: HelperTable;
  buf: Region;
  progs: (LoadedProgram | undefined)[];
}

/** A VM with core helpers, a 64-byte buffer, and a prog array at TAIL_MAP over `progs`. */
function world(jit: boolean): World {
  const mem = new AddressSpace();
  const helpers = coreHelperTable();
  const progs: (LoadedProgram | undefined)[] = [];
  const table = { progAt: (i: number) => progs[i] };
  const vm = new Interpreter({ mem, env: nullKernelEnv(), helper: (id) => helpers.impl(id), mapAt: (a) => (a === TAIL_MAP ? table : undefined), jit });
  const buf = mem.map(RegionKind.MEM, new Uint8Array(64), { label: "buf" });
  return { mem, vm, helpers, buf, progs };
}

function summary(w: World, r: RunResult) {
  return {
    r0: r.r0,
    executed: r.executed,
    fault: r.fault && { kind: r.fault.kind, pc: r.fault.pc, message: r.fault.message, errno: r.fault.errno },
    buf: [...w.buf.bytes],
    stats: structuredClone(w.vm.stats),
  };
}

/**
 * Runs `main` (with `tails` in the prog array) in both modes with every
 * budget from 0 to the full run's count, expecting identical results; returns the full run.
 */
function same(main: Instruction[], options: { tails?: Instruction[][]; setup?: (w: World) => void; args?: (w: World) => bigint[] } = {}) {
  const run = (jit: boolean, budget?: number) => {
    const w = world(jit);
    options.setup?.(w);
    for (const t of options.tails ?? []) w.progs.push(w.vm.load(program(t), "tail"));
    const lp = w.vm.load(program(main), "main");
    expect(lp.jitted !== undefined).toBe(jit);
    const r = w.vm.run(lp, { args: options.args?.(w) ?? [regionAddress(w.buf)], ...(budget === undefined ? {} : { budget }) });
    return summary(w, r);
  };
  const full = run(false);
  expect(run(true)).toEqual(full);
  for (let b = 0; b < full.executed + 2; b++) expect(run(true, b), `budget ${b}`).toEqual(run(false, b));
  return full;
}

describe("JIT: compiled code and source", () => {
  it("keeps the generated source on the loaded program, and compiles nothing with jit: false", () => {
    const on = world(true).vm.load(program([I(MOV64_IMM, 0, 0, 0, 7), EXIT]), "seven");
    expect(on.jitted?.source).toContain("function jit_seven(");
    expect(jitOf(on)?.entries.has(0)).toBe(true);
    const off = world(false).vm.load(program([I(MOV64_IMM, 0, 0, 0, 7), EXIT]));
    expect(off.jitted).toBeUndefined();
    // Per load: opt out on a JIT interpreter, opt in on an interpreter without it.
    expect(world(true).vm.load(program([EXIT]), "x", undefined, [], { jit: false }).jitted).toBeUndefined();
    expect(world(false).vm.load(program([EXIT]), "x", undefined, [], { jit: true }).jitted).toBeDefined();
  });

  it("switching jit off at run time runs the interpreter loop on a compiled program", () => {
    const w = world(true);
    const lp = w.vm.load(program([I(MOV64_IMM, 0, 0, 0, 7), EXIT]));
    w.vm.jit = false;
    expect(w.vm.run(lp)).toEqual({ r0: 7n, executed: 2 });
  });
});

describe("JIT: stack accesses at r10 + constant", () => {
  const STX_DW = 0x7b;
  const LDX_DW = 0x79;
  const ST_W = 0x62;
  const LDX_B = 0x71;

  it("read and write the frame directly, at both ends of the 512-byte stack", () => {
    const out = same([
      I(MOV64_IMM, 2, 0, 0, 41),
      I(STX_DW, 10, 2, -512, 0),
      I(ST_W, 10, 0, -4, 0x01020304),
      I(LDX_DW, 0, 10, -512, 0),
      I(LDX_B, 3, 10, -1, 0),
      I(ADD64_REG, 0, 3),
      EXIT,
    ]);
    expect(out.r0).toBe(42n);
  });

  it("past either end fault as in the interpreter (same kind, pc and message)", () => {
    for (const off of [-520, -513, 0, -4]) {
      const out = same([I(MOV64_IMM, 2, 0, 0, 1), I(STX_DW, 10, 2, off, 0), I(MOV64_IMM, 0, 0, 0, 0), EXIT]);
      expect(out.fault?.kind, `off ${off}`).toBe("memory");
      expect(out.fault?.pc).toBe(1);
    }
  });

  it("a tail call from a program that moved r10 keeps that r10 in the target, as the interpreter does", () => {
    const out = same(
      [
        I(ADD64_IMM, 10, 0, 0, -8), // move r10 (only an unverified program can)
        I(MOV64_IMM, 2, 0, 0, 7),
        I(STX_DW, 10, 2, -8, 0), // at fp - 16
        lddw(2, TAIL_MAP),
        I(MOV64_IMM, 3, 0, 0, 0),
        I(CALL, 0, 0, 0, 12),
        EXIT,
      ],
      { tails: [[I(LDX_DW, 0, 10, -8, 0), EXIT]] },
    );
    expect(out.r0).toBe(7n);
  });

  it("take the checked path in a program that moves r10 (only an unverified one can)", () => {
    const out = same([
      I(ADD64_IMM, 10, 0, 0, -504), // r10 = fp - 504: r10 - 8 is still inside, r10 - 16 is not
      I(MOV64_IMM, 2, 0, 0, 9),
      I(STX_DW, 10, 2, -8, 0),
      I(LDX_DW, 0, 10, -8, 0),
      I(STX_DW, 10, 2, -16, 0),
      EXIT,
    ]);
    expect(out.fault?.kind).toBe("memory");
    expect(out.fault?.pc).toBe(4);
  });
});

describe("JIT: calls", () => {
  it("bpf-to-bpf calls keep r6..r9, restore r10 (even after the caller moved it), pass r1..r5", () => {
    const out = same([
      I(MOV64_IMM, 6, 0, 0, 100),
      I(ADD64_IMM, 10, 0, 0, -16), // move r10 (only an unverified program can)
      I(MOV64_IMM, 2, 0, 0, 5),
      I(CALL, 0, 1, 0, 4), // call slot 8
      I(ADD64_REG, 0, 6), // r0 += r6
      I(MOV64_REG, 3, 10),
      I(0x7b, 3, 0, -8, 0), // *(u64 *)(r3 - 8) = r0: r10 is the frame's top again
      EXIT,
      // subprogram at slot 8: r0 = r2 * 2 + r6 (r6 is 0 in a new frame)
      I(MOV64_REG, 0, 2),
      I(ADD64_REG, 0, 2),
      I(ADD64_REG, 0, 6),
      EXIT,
    ]);
    expect(out.r0).toBe(110n);
    expect(out.fault).toBeUndefined();
  });

  it("recursion deeper than 8 frames faults the same way", () => {
    const out = same([I(ADD64_IMM, 1, 0, 0, 1), I(CALL, 0, 1, 0, -2), EXIT]);
    expect(out.fault?.kind).toBe("stack");
  });

  it("bpf_loop callbacks, at an lddw'd slot and at one only arithmetic reaches (a separately compiled entry)", () => {
    const main = (extra: number) => [
      I(MOV64_IMM, 1, 0, 0, 5), // nr
      lddw(2, BigInt(9), PseudoLd.FUNC), // slot 1: callback at 1 + 9 + 1 = 11
      I(ADD64_IMM, 2, 0, 0, extra), // 3
      I(MOV64_IMM, 3, 0, 0, 0), // 4
      I(MOV64_IMM, 4, 0, 0, 0), // 5
      I(CALL, 0, 0, 0, 181), // 6: bpf_loop
      I(MOV64_REG, 6, 0), // 7
      I(0x79, 0, 10, -8, 0), // 8: r0 = *(u64 *)(r10 - 8)
      I(ADD64_REG, 0, 6), // 9
      EXIT, // 10
      // 11: callback(i, ctx): frame 0's fp-8 += i + 1 through... its own stack (new frame), so count via r0
      I(MOV64_IMM, 0, 0, 0, 7), // 11 (skipped when extra = 1)
      I(MOV64_REG, 0, 1), // 12: r0 = i
      I(0x55, 0, 0, 1, 3), // 13: if r0 != 3 goto 15
      I(MOV64_IMM, 0, 0, 0, 1), // 14: stop at i = 3
      EXIT, // 15
    ];
    const a = same(main(0));
    const b = same(main(1));
    expect(a.fault?.message).toBeUndefined();
    expect(b.fault?.message).toBeUndefined();
    const w = world(true);
    const lp = w.vm.load(program(main(1)));
    w.vm.run(lp);
    expect(jitOf(lp)!.variants.has(12)).toBe(true);
  });

  it("tail calls replace the program (r1 and r10 kept), count against the limit, and fall through when the slot is empty", () => {
    const out = same(
      [
        I(MOV64_IMM, 6, 0, 0, 1),
        lddw(2, TAIL_MAP),
        I(MOV64_IMM, 3, 0, 0, 0),
        I(CALL, 0, 0, 0, 12),
        I(MOV64_IMM, 0, 0, 0, 99), // reached only if the tail call fails
        EXIT,
      ],
      {
        tails: [
          // prog 0: r0 = r6 (0: registers cleared) + *(u8 *)r1 ... then tail-calls prog 1
          [I(0x71, 7, 1, 0, 0), I(ADD64_IMM, 7, 0, 0, 1), I(0x73, 1, 7, 0, 0), lddw(2, TAIL_MAP), I(MOV64_IMM, 3, 0, 0, 1), I(CALL, 0, 0, 0, 12), I(MOV64_REG, 0, 6), EXIT],
          // prog 1: tail-calls prog 1 again until the limit, then returns the byte count
          [I(0x71, 7, 1, 0, 0), I(ADD64_IMM, 7, 0, 0, 1), I(0x73, 1, 7, 0, 0), lddw(2, TAIL_MAP), I(MOV64_IMM, 3, 0, 0, 1), I(CALL, 0, 0, 0, 12), I(0x71, 0, 1, 0, 0), EXIT],
        ],
      },
    );
    expect(out.fault).toBeUndefined();
    expect(out.r0).toBe(33n); // prog 0 once, prog 1 until the 33rd tail call; the 34th falls through
  });

  it("tail calls into a program loaded without the JIT run it compiled (without compiling it for later runs)", () => {
    const w = world(true);
    const other = new Interpreter({ mem: w.mem, env: nullKernelEnv(), helper: () => undefined, jit: false });
    w.progs.push(other.load(program([I(MOV64_IMM, 0, 0, 0, 42), EXIT])));
    expect(w.progs[0]!.jitted).toBeUndefined();
    const lp = w.vm.load(program([lddw(2, TAIL_MAP), I(MOV64_IMM, 3, 0, 0, 0), I(CALL, 0, 0, 0, 12), EXIT]));
    expect(w.vm.run(lp)).toEqual({ r0: 42n, executed: 5 });
    expect(w.vm.run(lp)).toEqual({ r0: 42n, executed: 5 });
    expect(w.progs[0]!.jitted).toBeUndefined();
  });

  it("tail calls into a program too large for the JIT run it in the interpreter, sharing budget and count", () => {
    const big = [...Array.from({ length: JIT_MAX_SLOTS }, () => I(ADD64_IMM, 0, 0, 0, 1)), I(ADD64_REG, 0, 1), EXIT];
    const main = [I(MOV64_IMM, 1, 0, 0, 1000), lddw(2, TAIL_MAP), I(MOV64_IMM, 3, 0, 0, 0), I(CALL, 0, 0, 0, 12), EXIT];
    const run = (jit: boolean, budget?: number) => {
      const w = world(jit);
      w.progs.push(w.vm.load(program(big), "big"));
      expect(w.progs[0]!.jitError ?? "").toContain(jit ? "over the JIT's limit" : "");
      const r = w.vm.run(w.vm.load(program(main)), { args: [1000n], ...(budget === undefined ? {} : { budget }) });
      return summary(w, r);
    };
    expect(run(true)).toEqual(run(false));
    expect(run(true).r0).toBe(BigInt(JIT_MAX_SLOTS + 1000));
    expect(run(true, 1000)).toEqual(run(false, 1000));
  });

  it("helper failures, unknown helpers and kfuncs fault the same way", () => {
    const setup = (w: World) => {
      w.helpers.register(200, () => {
        throw new RangeError("boom");
      });
    };
    expect(same([I(MOV64_IMM, 0, 0, 0, 1), I(CALL, 0, 0, 0, 200), EXIT], { setup }).fault?.kind).toBe("helper");
    expect(same([I(MOV64_IMM, 0, 0, 0, 1), I(CALL, 0, 0, 0, 9999), EXIT]).fault?.kind).toBe("call");
    expect(same([I(MOV64_IMM, 0, 0, 0, 1), I(CALL, 0, 2, 0, 5), EXIT]).fault?.kind).toBe("call");
    // callx: the helper id from a register
    expect(same([I(MOV64_IMM, 5, 0, 0, 8), I(0x8d, 5), EXIT]).fault).toBeUndefined();
  });
});

describe("JIT: memory and budget", () => {
  it("a memory fault in the middle of a block counts the instructions before it", () => {
    const out = same([
      I(MOV64_IMM, 0, 0, 0, 1),
      I(0x7b, 1, 0, 0, 0), // *(u64 *)(r1 + 0) = r0
      I(0x79, 2, 1, 60, 0), // read past the buffer
      I(ADD64_IMM, 0, 0, 0, 1),
      EXIT,
    ]);
    expect(out.fault?.kind).toBe("memory");
    expect(out.executed).toBe(3);
  });

  it("writes to read-only regions, jumps out of the program, into an lddw, legacy loads", () => {
    expect(same([I(0x7a, 1, 0, 0, 1), EXIT], { setup: (w) => w.mem.map(RegionKind.CTX, new Uint8Array(8), { writable: false }), args: (w) => [regionAddress(w.mem.find(0xffffc980, 4096, 1)!)] }).fault?.message).toContain("read-only");
    expect(same([I(MOV64_IMM, 0, 0, 0, 1), I(JA, 0, 0, 5), EXIT]).fault?.kind).toBe("call");
    expect(same([I(MOV64_IMM, 0, 0, 0, 1), I(0x15, 0, 0, 1, 1), lddw(3, 5n), EXIT]).fault?.message).toContain("legacy packet load");
    expect(same([I(MOV64_IMM, 0, 0, 0, 1)]).fault?.message).toContain("jump out of the program");
  });

  it("loops stop on the budget at the same instruction", () => {
    const out = same([I(MOV64_IMM, 0, 0, 0, 0), I(ADD64_IMM, 0, 0, 0, 1), I(0x7b, 1, 0, 0, 0), I(0xa5, 0, 0, -3, 40), EXIT]);
    expect(out.r0).toBe(40n);
  });

  it("atomics on the stack and in a buffer, with fetch and cmpxchg", () => {
    const out = same([
      I(MOV64_IMM, 2, 0, 0, 5),
      I(0x7b, 10, 2, -8, 0),
      I(MOV64_IMM, 3, 0, 0, 7),
      I(0xdb, 10, 3, -8, 0x01), // fetch add
      I(0x79, 4, 10, -8, 0),
      I(MOV64_IMM, 0, 0, 0, 12),
      I(MOV64_IMM, 5, 0, 0, 77),
      I(0xdb, 10, 5, -8, 0xf1), // cmpxchg: 12 == 12 -> 77
      I(0xc3, 1, 4, 4, 0xe1), // xchg32 in buf
      I(0xc3, 1, 2, 4, 0xa1), // fetch xor32
      I(ADD64_REG, 0, 2),
      I(ADD64_REG, 0, 3),
      I(ADD64_REG, 0, 4),
      EXIT,
    ]);
    expect(out.fault).toBeUndefined();
  });

  it("probe loads read 0 outside the VM's regions instead of faulting", () => {
    const insns = [lddw(1, 0xffff888000001000n), I(0x79, 0, 1, 0, 0), I(0x61, 2, 1, 8, 0), I(ADD64_REG, 0, 2), EXIT];
    for (const jit of [false, true]) {
      const w = world(jit);
      const lp = w.vm.load(program(insns), "probe", undefined, [2, 3]);
      expect(w.vm.run(lp)).toEqual({ r0: 0n, executed: 5 });
    }
  });
});

describe("JIT: structured control flow", () => {
  const JGE_IMM = 0x35;
  const JGE_REG = 0x3d;
  const JEQ_IMM = 0x15;
  const JGT_IMM = 0x25;
  const JLT_IMM = 0xa5;
  const AND64_IMM = 0x57;

  it("nested loops with an if/else merge become for (;;) loops and labeled blocks, not a switch", () => {
    // r0 = sum over i < 10, j < i of (j odd ? j : 2 * j)
    const insns = [
      I(MOV64_IMM, 0, 0, 0, 0), // 0
      I(MOV64_IMM, 1, 0, 0, 0), // 1: i
      I(JGE_IMM, 1, 0, 13, 10), // 2: outer loop: if i >= 10 goto 16
      I(MOV64_IMM, 2, 0, 0, 0), // 3: j
      I(JGE_REG, 2, 1, 9, 0), // 4: inner loop: if j >= i goto 14
      I(MOV64_REG, 3, 2), // 5
      I(AND64_IMM, 3, 0, 0, 1), // 6
      I(JEQ_IMM, 3, 0, 2, 0), // 7: if even goto 10
      I(ADD64_REG, 0, 2), // 8
      I(JA, 0, 0, 2), // 9: goto 12
      I(ADD64_REG, 0, 2), // 10
      I(ADD64_REG, 0, 2), // 11
      I(ADD64_IMM, 2, 0, 0, 1), // 12: join
      I(JA, 0, 0, -10), // 13: goto 4
      I(ADD64_IMM, 1, 0, 0, 1), // 14
      I(JA, 0, 0, -14), // 15: goto 2
      EXIT, // 16
    ];
    const source = world(true).vm.load(program(insns), "nested").jitted!.source;
    expect(source).toContain("L2: for (;;) {");
    expect(source).toContain("L4: for (;;) {");
    expect(source).toContain("break B12;");
    expect(source).not.toContain("switch (pc)");
    const out = same(insns);
    expect(out.r0).toBe(180n);
    expect(out.fault).toBeUndefined();
  });

  it("an irreducible loop (entered at two blocks) keeps the switch and behaves the same", () => {
    const insns = [
      I(MOV64_IMM, 0, 0, 0, 0), // 0
      I(MOV64_IMM, 1, 0, 0, 6), // 1
      I(JGT_IMM, 1, 0, 3, 3), // 2: if r1 > 3 goto 6 (into B)
      I(ADD64_IMM, 0, 0, 0, 1), // 3: A
      I(ADD64_IMM, 1, 0, 0, -1), // 4
      I(JEQ_IMM, 1, 0, 4, 0), // 5: if r1 == 0 goto 10
      I(ADD64_IMM, 0, 0, 0, 10), // 6: B
      I(ADD64_IMM, 1, 0, 0, -1), // 7
      I(JEQ_IMM, 1, 0, 1, 0), // 8: if r1 == 0 goto 10
      I(JA, 0, 0, -7), // 9: goto 3 (A)
      EXIT, // 10
    ];
    const source = world(true).vm.load(program(insns), "irreducible").jitted!.source;
    expect(source).toContain("switch (pc)");
    expect(source).not.toMatch(/L\d+: for \(;;\)/);
    expect(same(insns).r0).toBe(33n);
  });

  it("a conditional jump to the next slot (two edges to one block) and a jump out of a loop", () => {
    expect(same([I(MOV64_IMM, 0, 0, 0, 4), I(JEQ_IMM, 1, 0, 0, 0), I(ADD64_IMM, 0, 0, 0, 1), EXIT]).r0).toBe(5n);
    const out = same([I(ADD64_IMM, 0, 0, 0, 1), I(JLT_IMM, 0, 0, -2, 5), I(JA, 0, 0, 5), EXIT]);
    expect(out.fault).toMatchObject({ kind: "call", pc: 8, message: "insn 8: jump out of the program (4 slots)" });
    expect(out.executed).toBe(11);
  });

  it("bpf-to-bpf calls to a subprogram call its function directly; a fault inside it counts as in the interpreter", () => {
    const insns = [
      I(MOV64_IMM, 6, 0, 0, 3), // 0
      I(MOV64_REG, 1, 6), // 1
      I(CALL, 0, 1, 0, 4), // 2: call 7
      I(ADD64_IMM, 6, 0, 0, -1), // 3
      I(ADD64_REG, 7, 0), // 4
      I(JGT_IMM, 6, 0, -5, 0), // 5: while r6 > 0 goto 1
      EXIT, // 6 (r0 = last callee's r0)
      I(MOV64_REG, 0, 1), // 7: r0 = r1 * 2, then a load 8 bytes past the buffer when r1 == 1
      I(ADD64_REG, 0, 1), // 8
      I(JGT_IMM, 1, 0, 2, 1), // 9: if r1 > 1 goto 12
      I(0x79, 2, 10, 8, 0), // 10: r2 = *(u64 *)(r10 + 8), above the callee's frame: a memory fault at the third call
      EXIT, // 11
      EXIT, // 12
    ];
    const source = world(true).vm.load(program(insns), "calls").jitted!.source;
    expect(source).toContain("f7(rt, depth + 1,");
    const out = same(insns);
    expect(out.fault).toMatchObject({ kind: "memory", pc: 10 });
    // 3 + 4 + 3 (r6 = 3), 2 + 4 + 3 (r6 = 2), 2 + 4 (r6 = 1: the callee faults at its fourth instruction)
    expect(out.executed).toBe(25);
  });
});

describe("JIT: small leaf callees inlined at their call sites", () => {
  const src = (insns: Instruction[]) => world(true).vm.load(program(insns), "inl").jitted!.source;
  const JGT_IMM = 0x25;
  const MUL64_IMM = 0x27;
  const LSH64_IMM = 0x67;
  const SUB64_REG = 0x1f;

  it("a chain of leaves (one inlined into the other, then into the loop) runs as the calls do, at every budget", () => {
    const insns = [
      I(MOV64_IMM, 6, 0, 0, 4), // 0: r6 = 4 (loop count), r7 = 0 (sum)
      I(MOV64_IMM, 7, 0, 0, 0), // 1
      I(MOV64_REG, 1, 6), // 2: r1 = r6
      I(MOV64_IMM, 2, 0, 0, 10), // 3: r2 = 10
      I(CALL, 0, 1, 0, 5), // 4: call 10
      I(ADD64_REG, 7, 0), // 5: r7 += r0
      I(ADD64_IMM, 6, 0, 0, -1), // 6
      I(JGT_IMM, 6, 0, -6, 0), // 7: while r6 > 0 goto 2
      I(MOV64_REG, 0, 7), // 8
      EXIT, // 9
      // 10: f10(a, b) = f14(a + b, b) * 3, with r6 its own (0 in a new frame, then set)
      I(ADD64_REG, 1, 2), // 10
      I(CALL, 0, 1, 0, 2), // 11: call 14
      I(MUL64_IMM, 0, 0, 0, 3), // 12
      EXIT, // 13
      // 14: f14(a, b) = (a << 4) - b + r6 (r6 0)
      I(MOV64_REG, 0, 1), // 14
      I(LSH64_IMM, 0, 0, 0, 4), // 15
      I(SUB64_REG, 0, 2), // 16
      I(ADD64_REG, 0, 6), // 17
      EXIT, // 18
    ];
    const source = src(insns);
    expect(source).toContain("// inlined f14");
    expect(source).toContain("// inlined f10");
    // f0 calls nothing any more: both callees run inline
    const f0 = source.slice(source.indexOf("function f0("), source.indexOf("function f10("));
    expect(f0).not.toMatch(/\bf1[04]\(/);
    const out = same(insns);
    // sum over r6 = 4..1 of ((r6 + 10) * 16 - 10) * 3
    expect(out.r0).toBe(BigInt([4, 3, 2, 1].reduce((acc, a) => acc + ((a + 10) * 16 - 10) * 3, 0)));
    expect(out.executed).toBe(2 + 4 * (6 + 4 + 5) + 2);
  });

  it("a static fault inside an inlined callee: same kind, pc, message and count", () => {
    const insns = [
      I(MOV64_IMM, 1, 0, 0, 7), // 0
      I(CALL, 0, 1, 0, 2), // 1: call 4
      I(ADD64_IMM, 0, 0, 0, 1), // 2
      EXIT, // 3
      I(MOV64_REG, 0, 1), // 4
      I(0x20, 0, 0, 0, 0), // 5: legacy packet load: faults
      EXIT, // 6
    ];
    expect(src(insns)).toContain("// inlined f4");
    const out = same(insns);
    expect(out.fault).toMatchObject({ kind: "memory", pc: 5 });
    expect(out.executed).toBe(4);
  });

  it("nesting past 8 frames through inlined leaves faults at the same call", () => {
    // slot 0 calls 2, which calls 4, ... each callee `call next; r0 += 1; exit`; the last returns 1
    const insns: Instruction[] = [I(CALL, 0, 1, 0, 1), EXIT];
    for (let i = 0; i < 9; i++) insns.push(I(CALL, 0, 1, 0, 2), I(ADD64_IMM, 0, 0, 0, 1), EXIT);
    insns.push(I(MOV64_IMM, 0, 0, 0, 1), EXIT);
    expect(src(insns)).toContain("// inlined f");
    const out = same(insns);
    expect(out.fault).toMatchObject({ kind: "stack", pc: 20, message: "insn 20: call nesting deeper than 8 frames" });
    // the calls at slots 0, 2, 5, ..., 20 (the eighth, from frame 7, faults)
    expect(out.executed).toBe(8);
    // 6 levels below slot 0 fit: r0 = 1 + 6
    const ok = same([I(CALL, 0, 1, 0, 1), EXIT, ...insns.slice(2 + 3 * 3)]);
    expect(ok).toMatchObject({ r0: 7n, fault: undefined });
  });

  it("a leaf using its own stack at r10 + constant is inlined: its frame, not the caller's, at every budget", () => {
    const STX_DW = 0x7b;
    const LDX_DW = 0x79;
    const insns = [
      I(MOV64_IMM, 6, 0, 0, 0x1111), // 0
      I(STX_DW, 10, 6, -8, 0), // 1: caller's fp - 8 = 0x1111
      I(MOV64_IMM, 1, 0, 0, 5), // 2
      I(CALL, 0, 1, 0, 6), // 3: call 10
      I(MOV64_REG, 7, 0), // 4
      I(MOV64_IMM, 1, 0, 0, 7), // 5
      I(CALL, 0, 1, 0, 3), // 6: call 10 again
      I(LDX_DW, 2, 10, -8, 0), // 7: the caller's slot is untouched
      I(ADD64_REG, 0, 2), // 8
      EXIT, // 9
      // 10: callee: reads its fp - 8 (what the previous call left there: 0 in a fresh frame), stores r1 there, returns old + 2 * r1
      I(LDX_DW, 0, 10, -8, 0), // 10
      I(STX_DW, 10, 1, -8, 0), // 11
      I(ADD64_REG, 0, 1), // 12
      I(ADD64_REG, 0, 1), // 13
      EXIT, // 14
    ];
    const source = src(insns);
    expect(source).toContain("// inlined f10");
    expect(source).toMatch(/S_\d+ = rt\.host\.frames\[depth \+ 1\]\.view;/);
    const out = same(insns);
    // second call: the callee's frame still holds 5 from the first, so r0 = 5 + 2 * 7; then + 0x1111; 10 + 2 * 5 instructions
    expect(out).toMatchObject({ r0: 5n + 14n + 0x1111n, fault: undefined, executed: 20 });
  });

  it("a callee with memory accesses, helper calls or over the size limit is called, not inlined", () => {
    const load = [I(MOV64_IMM, 1, 0, 0, 0), I(CALL, 0, 1, 0, 1), EXIT, I(0x79, 0, 1, -8, 0), EXIT];
    expect(src(load)).not.toContain("// inlined");
    const helper = [I(CALL, 0, 1, 0, 1), EXIT, I(CALL, 0, 0, 0, 5), EXIT];
    expect(src(helper)).not.toContain("// inlined");
    // INLINE_MAX_INSNS instructions besides the exit are inlined, one more is not
    const long = [I(CALL, 0, 1, 0, 1), EXIT, ...Array.from({ length: INLINE_MAX_INSNS + 1 }, () => I(ADD64_IMM, 0, 0, 0, 1)), EXIT];
    expect(src(long)).not.toContain("// inlined");
    expect(same(long).r0).toBe(BigInt(INLINE_MAX_INSNS + 1));
    expect(src(long.slice(0, -2).concat(EXIT))).toContain("// inlined f2");
  });
});

describe("JIT: large entry regions split into segments", () => {
  const JEQ_IMM = 0x15;
  const JNE_IMM = 0x55;
  const AND64_IMM = 0x57;
  const XOR64_REG = 0xaf;
  const RSH64_IMM = 0x77;
  const STX_DW = 0x7b;
  const LDX_DW = 0x79;

  /** `groups` diamonds of 10 instructions, each storing r0 in the stack and adding back a slot an earlier group stored. */
  const groups = (count: number, salt: number): Instruction[] =>
    Array.from({ length: count }, (_, k) => [
      I(ADD64_IMM, 0, 0, 0, k + salt),
      I(MOV64_REG, 2, 0),
      I(AND64_IMM, 2, 0, 0, 3),
      I(JEQ_IMM, 2, 0, 2, 1), // skip the next two when r0 & 3 == 1
      I(XOR64_REG, 0, 7),
      I(RSH64_IMM, 0, 0, 0, 1),
      I(STX_DW, 10, 0, -8 * ((k % 8) + 1), 0),
      I(LDX_DW, 3, 10, -8 * (((k + 3) % 8) + 1), 0),
      I(ADD64_REG, 0, 3),
      I(MOV64_REG, 6, 0), // r6 (callee-saved) carries r0 across segments and calls
    ]).flat();

  /** Results of `insns` in the interpreter and the JIT at every budget up to the full run's count (each engine loads it once). */
  function sameEveryBudget(insns: Instruction[], args: bigint[] = [0n]) {
    const interp = world(false);
    const jit = world(true);
    const a = interp.vm.load(program(insns), "big");
    const b = jit.vm.load(program(insns), "big");
    const full = interp.vm.run(a, { args });
    expect(jit.vm.run(b, { args })).toEqual(full);
    for (let budget = 0; budget <= full.executed + 1; budget++) {
      expect(jit.vm.run(b, { args, budget }), `budget ${budget}`).toEqual(interp.vm.run(a, { args, budget }));
    }
    return { full, lp: b };
  }

  it("a region of 1,300 instructions with a loop and an early jump to its exit compiles as segments and runs as the interpreter at every budget", () => {
    const body = [...groups(60, 1), I(MOV64_IMM, 8, 0, 0, 50), I(ADD64_REG, 0, 8), I(ADD64_IMM, 8, 0, 0, -1), I(JNE_IMM, 8, 0, -3, 0), ...groups(70, 7)];
    const insns = [
      I(MOV64_IMM, 0, 0, 0, 0),
      I(MOV64_IMM, 7, 0, 0, 0x5a5),
      ...Array.from({ length: 8 }, (_, k) => I(0x7a, 10, 0, -8 * (k + 1), k)), // *(u64 *)(r10 - 8(k+1)) = k
      I(JEQ_IMM, 1, 0, body.length, 77), // r1 == 77: straight to the exit (a forward edge over every segment)
      ...body,
      I(ADD64_REG, 0, 7),
      EXIT,
    ];
    expect(insns.length).toBeGreaterThan(SEGMENT_MAX);
    const { full, lp } = sameEveryBudget(insns);
    const source = lp.jitted!.source;
    const segs = source.match(/^function s\d+\(/gm) ?? [];
    expect(segs.length).toBeGreaterThanOrEqual(3);
    // the exit block is a segment of its own: the early jump lands on it
    expect(source).toContain(`function s${insns.length - 2}(`);
    expect(full.fault).toBeUndefined();
    // 2 moves, 8 stores, the jump, the add and the exit
    expect(sameEveryBudget(insns, [77n]).full).toMatchObject({ r0: 0x5a5n, executed: 13 });
  });

  it("a split subprogram called twice from a split main: registers, stack and count as the interpreter's", () => {
    const sub = [...groups(90, 3), I(MOV64_REG, 0, 6), EXIT];
    const half = (salt: number) => groups(45, salt);
    const main = [
      I(MOV64_IMM, 0, 0, 0, 1),
      I(MOV64_IMM, 7, 0, 0, 0x33),
      ...Array.from({ length: 8 }, (_, k) => I(0x7a, 10, 0, -8 * (k + 1), 3 * k)),
      ...half(11),
      I(MOV64_REG, 9, 6), // r9 survives the calls
      I(CALL, 0, 1, 0, 0), // patched below: call sub
      I(ADD64_REG, 9, 0),
      ...half(13),
      I(CALL, 0, 1, 0, 0),
      I(ADD64_REG, 0, 9),
      EXIT,
    ];
    const subAt = main.length;
    main.forEach((insn, pc) => {
      if (insn.opcode === CALL) main[pc] = I(CALL, 0, 1, 0, subAt - pc - 1);
    });
    const insns = [...main, ...sub];
    const { full, lp } = sameEveryBudget(insns);
    const source = lp.jitted!.source;
    expect(source).toMatch(/^function s\d+\(/m);
    expect(source).toContain(`function s${subAt}(`);
    expect(full.fault).toBeUndefined();
  });

  it("an irreducible loop inside a segment: its switch leaves to the next segment as the interpreter runs on", () => {
    const JGT_IMM = 0x25;
    const loop = [
      I(MOV64_IMM, 1, 0, 0, 6), // r1 = 6
      I(JGT_IMM, 1, 0, 3, 3), // if r1 > 3 goto B
      I(ADD64_IMM, 0, 0, 0, 1), // A
      I(ADD64_IMM, 1, 0, 0, -1),
      I(JEQ_IMM, 1, 0, 4, 0), // if r1 == 0: out of the loop
      I(ADD64_IMM, 0, 0, 0, 10), // B
      I(ADD64_IMM, 1, 0, 0, -1),
      I(JEQ_IMM, 1, 0, 1, 0), // if r1 == 0: out of the loop
      I(JA, 0, 0, -7), // goto A
    ];
    const insns = [I(MOV64_IMM, 0, 0, 0, 0), I(MOV64_IMM, 7, 0, 0, 0x77), ...groups(45, 1), ...loop, ...groups(45, 2), EXIT];
    const { full, lp } = sameEveryBudget(insns);
    const source = lp.jitted!.source;
    expect(source).toContain("switch (pc)");
    expect(source.match(/^function s\d+\(/gm)?.length).toBeGreaterThanOrEqual(2);
    expect(full.fault).toBeUndefined();
  });

  it("a tail call from a segment ends the split program; a split program as the tail call's target", () => {
    // main: 40 groups, a tail call into prog 0 (when it fails: r0 = 99), then 60 more groups that must not run
    const main = [I(MOV64_IMM, 0, 0, 0, 0), I(MOV64_IMM, 7, 0, 0, 3), ...groups(40, 1), lddw(2, TAIL_MAP), I(MOV64_IMM, 3, 0, 0, 0), I(CALL, 0, 0, 0, 12), I(MOV64_IMM, 0, 0, 0, 99), ...groups(60, 2), EXIT];
    // prog 0, split too: 85 groups on r0 = r1's low byte (registers but r1 and r10 are 0 after a tail call)
    const target = [I(MOV64_IMM, 0, 0, 0, 0), I(MOV64_IMM, 7, 0, 0, 5), ...groups(85, 3), EXIT];
    const run = (jit: boolean, budget?: number) => {
      const w = world(jit);
      w.progs.push(w.vm.load(program(target), "tail"));
      const lp = w.vm.load(program(main), "main");
      if (jit) expect(lp.jitted?.source).toMatch(/^function s\d+\(/m);
      if (jit) expect(w.progs[0]!.jitted?.source).toMatch(/^function s\d+\(/m);
      return summary(w, w.vm.run(lp, { args: [0n], ...(budget === undefined ? {} : { budget }) }));
    };
    const full = run(false);
    expect(run(true)).toEqual(full);
    expect(full.fault).toBeUndefined();
    // main up to its tail call (2 + 40 groups + lddw, mov, call), then all of prog 0 (2 + 85 groups + exit); groups run 8 or 10 instructions
    expect(full.executed).toBeGreaterThan(5 + 125 * 8 + 3);
    for (let budget = 0; budget < full.executed; budget += 29) expect(run(true, budget), `budget ${budget}`).toEqual(run(false, budget));
  });

  it("a memory fault in a later segment: same pc, message and count", () => {
    const insns = [I(MOV64_IMM, 0, 0, 0, 0), I(MOV64_IMM, 7, 0, 0, 9), ...groups(100, 5), I(LDX_DW, 3, 10, 8, 0), EXIT];
    const { full, lp } = sameEveryBudget(insns);
    expect(lp.jitted!.source).toMatch(/^function s\d+\(/m);
    expect(full.fault).toMatchObject({ kind: "memory", pc: insns.length - 2 });
  });

  it("a loop over more than SEGMENT_MAX instructions has no cut: the program runs in the interpreter", () => {
    const insns = [I(MOV64_IMM, 0, 0, 0, 0), I(MOV64_IMM, 7, 0, 0, 9), I(MOV64_IMM, 8, 0, 0, 2), ...groups(90, 5), I(ADD64_IMM, 8, 0, 0, -1), I(JNE_IMM, 8, 0, -(90 * 10 + 2), 0), EXIT];
    const w = world(true);
    const lp = w.vm.load(program(insns), "loop");
    expect(lp.jitted).toBeUndefined();
    // (the exit after the loop may be cut off as a segment of its own: the rest is one region)
    expect(lp.jitError).toBe(`a region of ${insns.length - 1} instructions from slot 0 has no point to split it at (the JIT's limit for one function is ${SEGMENT_MAX})`);
    expect(SEGMENT_TARGET).toBeLessThan(SEGMENT_MAX);
  });
});

describe("JIT: 64-bit arithmetic without BigInt", () => {
  const values = [
    0n, 1n, 2n, 3n, 7n, 0xffffn, 0x10000n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x100000001n,
    0x123456789abcdefn, 0x7fffffffffffffffn, 0x8000000000000000n, 0xfffffffffffffffen, 0xffffffffffffffffn,
    BigInt.asUintN(64, -7n), BigInt.asUintN(64, -0x80000000n), 0xfedcba9876543210n, 1000003n, 0xdeadbeefn,
  ];
  const u = (v: bigint) => BigInt.asUintN(64, v);
  const s = (v: bigint) => BigInt.asIntN(64, v);
  // RFC 9669: by zero, DIV gives 0 and MOD the dividend; signed division truncates; INT64_MIN / -1 wraps.
  const ops: [string, number, number, (a: bigint, b: bigint) => bigint][] = [
    ["udiv", 0x3f, 0, (a, b) => (b === 0n ? 0n : a / b)],
    ["umod", 0x9f, 0, (a, b) => (b === 0n ? a : a % b)],
    ["sdiv", 0x3f, 1, (a, b) => (b === 0n ? 0n : u(s(a) / s(b)))],
    ["smod", 0x9f, 1, (a, b) => (b === 0n ? a : u(s(a) % s(b)))],
    ["add", 0x0f, 0, (a, b) => u(a + b)],
    ["sub", 0x1f, 0, (a, b) => u(a - b)],
    ["mul", 0x2f, 0, (a, b) => u(a * b)],
    ["lsh", 0x6f, 0, (a, b) => u(a << (b & 63n))],
    ["rsh", 0x7f, 0, (a, b) => a >> (b & 63n)],
    ["arsh", 0xcf, 0, (a, b) => u(s(a) >> (b & 63n))],
  ];
  for (const [name, opcode, off, ref] of ops) {
    it(`${name} (register operands) gives the exact 64-bit result on every pair of edge values`, () => {
      const w = world(true);
      const lp = w.vm.load(program([I(MOV64_REG, 0, 1), I(opcode, 0, 2, off, 0), EXIT]));
      for (const a of values) {
        for (const b of values) expect(w.vm.run(lp, { args: [a, b] }).r0, `${a} ${name} ${b}`).toBe(ref(a, b));
      }
    });
  }

  it("immediate operands: add/sub of negative constants, multiply by 16-bit and other constants, r += r, r -= r", () => {
    for (const a of values) {
      const cases: [Instruction[], bigint][] = [
        [[I(0x07, 0, 0, 0, -1)], u(a - 1n)],
        [[I(0x07, 0, 0, 0, 0x7fffffff)], u(a + 0x7fffffffn)],
        [[I(0x17, 0, 0, 0, -5)], u(a + 5n)],
        [[I(0x27, 0, 0, 0, 3)], u(a * 3n)],
        [[I(0x27, 0, 0, 0, 0xffff)], u(a * 0xffffn)],
        [[I(0x27, 0, 0, 0, 0x10000)], u(a * 0x10000n)],
        [[I(0x27, 0, 0, 0, -3)], u(a * u(-3n))],
        [[I(ADD64_REG, 0, 0)], u(a + a)],
        [[I(0x1f, 0, 0)], 0n],
        [[I(0x37, 0, 0, 0, 10)], a / 10n],
        [[I(0x97, 0, 0, 0, 10)], a % 10n],
        [[I(0x37, 0, 0, 1, -10)], u(s(a) / -10n)],
        [[I(0x97, 0, 0, 1, -10)], u(s(a) % -10n)],
      ];
      for (const [body, expected] of cases) {
        const w = world(true);
        const lp = w.vm.load(program([I(MOV64_REG, 0, 1), ...body, EXIT]));
        expect(w.vm.run(lp, { args: [a] }).r0, `${a}: op 0x${body[0]!.opcode.toString(16)} imm ${body[0]!.imm}`).toBe(expected);
      }
    }
  });
});

describe("JIT: helper arguments", () => {
  it("a helper sees every call's r1..r5, whether they repeat or change between calls", () => {
    const seen: bigint[][] = [];
    const setup = (w: World) => {
      seen.length = 0;
      w.helpers.register(200, (_rt, r1, r2, r3, r4, r5) => {
        seen.push([r1, r2, r3, r4, r5]);
        return r1 + r5;
      });
    };
    const insns = [
      lddw(1, 0xffff888000001000n),
      I(MOV64_IMM, 2, 0, 0, -1),
      I(MOV64_IMM, 3, 0, 0, 3),
      I(MOV64_IMM, 4, 0, 0, 4),
      I(MOV64_IMM, 5, 0, 0, 5),
      I(CALL, 0, 0, 0, 200), // all five new
      I(CALL, 0, 0, 0, 200), // the same again
      I(ADD64_IMM, 1, 0, 0, 1),
      I(MOV64_IMM, 5, 0, 0, 0x7fffffff),
      I(CALL, 0, 0, 0, 200), // r1 and r5 changed
      I(ADD64_IMM, 0, 0, 0, 0),
      EXIT,
    ];
    const out = same(insns, { setup });
    const w = world(true);
    setup(w);
    expect(w.vm.run(w.vm.load(program(insns))).r0).toBe(0xffff888000001001n + 0x7fffffffn);
    expect(seen).toEqual([
      [0xffff888000001000n, 0xffffffffffffffffn, 3n, 4n, 5n],
      [0xffff888000001000n, 0xffffffffffffffffn, 3n, 4n, 5n],
      [0xffff888000001001n, 0xffffffffffffffffn, 3n, 4n, 0x7fffffffn],
    ]);
    expect(out.fault).toBeUndefined();
  });
});

describe("JIT: accesses through registers (stack check, cached region)", () => {
  const LDX_DW = 0x79;
  const STX_DW = 0x7b;
  const LDX_B = 0x71;

  it("a pointer into the stack at a computed offset: inside, at both ends, and just past them", () => {
    for (const delta of [-512, -8, -513, -7, 0, 8, -1000]) {
      const out = same([
        I(MOV64_REG, 2, 10),
        I(MOV64_IMM, 3, 0, 0, delta),
        I(ADD64_REG, 2, 3), // r2 = fp + delta (a register, not r10: the checked path)
        I(MOV64_IMM, 4, 0, 0, 77),
        I(STX_DW, 2, 4, 0, 0),
        I(LDX_DW, 0, 2, 0, 0),
        EXIT,
      ]);
      if (delta >= -512 && delta <= -8) expect(out.r0, `delta ${delta}`).toBe(77n);
      else expect(out.fault, `delta ${delta}`).toMatchObject({ kind: "memory", pc: 4 });
    }
  });

  it("an address whose low half wraps past 2^32 is checked in full (it is not the stack's)", () => {
    const out = same([
      I(MOV64_REG, 2, 10),
      I(MOV64_IMM, 3, 0, 0, -1),
      I(0x67, 3, 0, 0, 32), // r3 = 0xffffffff00000000
      I(0x77, 3, 0, 0, 32), // r3 = 0x00000000ffffffff
      I(ADD64_REG, 2, 3), // r2 = fp + 2^32 - 1: same low half minus one, high half + 1
      I(LDX_B, 0, 2, 1, 0), // lo wraps back onto fp's low half, hi is fp's hi + 1
      EXIT,
    ]);
    expect(out.fault).toMatchObject({ kind: "memory", pc: 5 });
  });

  it("a helper that unmaps the region a loop reads: the next access faults (the cached region is dropped at the call)", () => {
    const setup = (w: World) => {
      w.helpers.register(201, () => {
        w.mem.unmap(w.buf);
        return 0n;
      });
    };
    const out = same(
      [
        I(MOV64_REG, 6, 1),
        I(LDX_B, 7, 6, 0, 0), // fills the cache with buf
        I(LDX_B, 7, 6, 1, 0),
        I(CALL, 0, 0, 0, 201),
        I(LDX_B, 0, 6, 2, 0), // buf is gone
        EXIT,
      ],
      { setup },
    );
    expect(out.fault).toMatchObject({ kind: "memory", pc: 4 });
    expect(out.executed).toBe(5);
  });

  it("reads through a region read-only for writes: the cached region of a read does not let a write through", () => {
    const setup = (w: World) => w.mem.map(RegionKind.CTX, new Uint8Array(16), { writable: false });
    const out = same([I(LDX_DW, 2, 1, 0, 0), I(LDX_DW, 3, 1, 8, 0), I(STX_DW, 1, 2, 0, 0), EXIT], {
      setup,
      args: (w) => [regionAddress(w.mem.find(0xffffc980, 4096, 1)!)],
    });
    expect(out.fault).toMatchObject({ kind: "memory", pc: 2 });
    expect(out.fault?.message).toContain("read-only");
  });
});

describe("JIT: registers a helper can read", () => {
  it("are its declared parameters after rt, or all five when its parameters are not plain", () => {
    const h = (f: unknown) => readsRegisters(f as Parameters<typeof readsRegisters>[0]);
    expect(h((rt: unknown) => rt)).toBe(0);
    expect(h(new Function("rt", "return 1n"))).toBe(0);
    expect(h((_rt: unknown, a: bigint, b: bigint) => a + b)).toBe(2);
    expect(h(function (_rt: unknown, a: bigint) { return a; })).toBe(1);
    expect(h({ m(_rt: unknown, a: bigint, b: bigint, c: bigint) { return [a, b, c].map((x) => x)[0]; } }.m)).toBe(3);
    expect(h((_rt: unknown, ...r: bigint[]) => r[0])).toBe(5);
    expect(h((_rt: unknown, a = 1n) => a)).toBe(5);
    expect(h(function (_rt: unknown) { return arguments[1]; })).toBe(5);
    expect(h(((_rt: unknown, a: bigint) => a).bind(null))).toBe(5);
    expect(h(new Function("rt", "a", "b", "c", "d", "e", "f", "return a"))).toBe(5);
  });

  it("a helper declaring fewer parameters runs the same; one reading arguments sees all five registers", () => {
    const setup = (w: World) => {
      w.helpers.register(200, (_rt, r1) => r1 * 2n);
      w.helpers.register(201, new Function("rt", "return arguments[1] + arguments[5]") as never);
    };
    const insns = [I(MOV64_IMM, 1, 0, 0, 20), I(MOV64_IMM, 5, 0, 0, 3), I(CALL, 0, 0, 0, 201), I(MOV64_REG, 1, 0), I(CALL, 0, 0, 0, 200), EXIT];
    expect(same(insns, { setup }).r0).toBe(46n);
  });
});

describe("JIT: helper lookup", () => {
  it("a helper replaced between runs is the one the next run calls", () => {
    const w = world(true);
    w.helpers.register(200, () => 1n);
    const lp = w.vm.load(program([I(CALL, 0, 0, 0, 200), I(MOV64_REG, 6, 0), I(CALL, 0, 0, 0, 200), I(ADD64_REG, 0, 6), EXIT]));
    expect(w.vm.run(lp).r0).toBe(2n);
    w.helpers.register(200, () => 20n);
    expect(w.vm.run(lp).r0).toBe(40n);
    w.helpers.register(200, undefined as never);
    expect(w.vm.run(lp).fault).toMatchObject({ kind: "call", pc: 0 });
  });
});

describe("JIT: code shared by entries", () => {
  it("a body reached from many call targets compiles once per entry, up to a limit past which the program runs in the interpreter", () => {
    // main's k-th call (at slot k) lands on the body's k-th add (slot calls + 1 + k): every call target is an entry.
    const build = (calls: number, len: number) => [
      ...Array.from({ length: calls }, () => I(CALL, 0, 1, 0, calls)),
      EXIT,
      ...Array.from({ length: len }, () => I(ADD64_IMM, 0, 0, 0, 1)),
      EXIT,
    ];
    const small = build(3, 10);
    const out = same(small);
    expect(out.fault).toBeUndefined();
    expect(out.r0).toBe(8n); // the last call runs the body's last 8 adds
    expect(world(true).vm.load(program(small)).jitted?.source).toContain("function f6(");
    const w = world(true);
    // 61 entries: 61 + (201 + 200 + ... + 142) = 10351 instructions compiled
    const big = w.vm.load(program(build(60, 200)), "big");
    expect(big.jitted).toBeUndefined();
    expect(big.jitError).toBe(`program needs 10351 instructions compiled for its 61 entries, over the JIT's limit of ${JIT_MAX_EMITTED}`);
    const w2 = world(false);
    const r = w.vm.run(big, { args: [regionAddress(w.buf)] });
    expect(r).toEqual(w2.vm.run(w2.vm.load(program(build(60, 200))), { args: [regionAddress(w2.buf)] }));
    expect(r.r0).toBe(141n);
  });
});

describe("JIT: conditional jumps and bitwise ops with immediates", () => {
  const values = [0n, 1n, 2n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0xffffffff00000000n, 0xffffffff80000000n, 0xfffffffffffffffen, 0xffffffffffffffffn, 0x8000000000000000n];
  const imms = [0, 1, 2, -1, -2, 0x7fffffff, -0x80000000];
  const u = (v: bigint) => BigInt.asUintN(64, v);
  const ops: [string, number, (a: bigint, b: bigint) => boolean][] = [
    ["jgt", 0x25, (a, b) => a > b],
    ["jge", 0x35, (a, b) => a >= b],
    ["jlt", 0xa5, (a, b) => a < b],
    ["jle", 0xb5, (a, b) => a <= b],
    ["jset", 0x45, (a, b) => (a & b) !== 0n],
  ];
  it("unsigned compares and jset against sign-extended immediates take the branch as BigInt says", () => {
    const w = world(true);
    for (const [name, opcode, ref] of ops) {
      for (const imm of imms) {
        // r0 = 1 when taken, 0 otherwise
        const lp = w.vm.load(program([I(MOV64_IMM, 0, 0, 0, 1), I(opcode, 1, 0, 1, imm), I(MOV64_IMM, 0, 0, 0, 0), EXIT]));
        for (const a of values) expect(w.vm.run(lp, { args: [a] }).r0, `${a} ${name} ${imm}`).toBe(ref(a, u(BigInt(imm))) ? 1n : 0n);
      }
    }
  });

  it("and/or/xor with immediates fold the high half (0 or all ones)", () => {
    const w = world(true);
    for (const [opcode, ref] of [
      [0x57, (a: bigint, b: bigint) => a & b],
      [0x47, (a: bigint, b: bigint) => a | b],
      [0xa7, (a: bigint, b: bigint) => a ^ b],
    ] as const) {
      for (const imm of imms) {
        const lp = w.vm.load(program([I(MOV64_REG, 0, 1), I(opcode, 0, 0, 0, imm), EXIT]));
        for (const a of values) expect(w.vm.run(lp, { args: [a] }).r0, `${a} op 0x${opcode.toString(16)} ${imm}`).toBe(ref(a, u(BigInt(imm))));
      }
    }
  });
});

describe("JIT: warm-up at load", () => {
  it("loading runs no instruction of the program: no helper call, no store, no run counted", () => {
    const w = world(true);
    let calls = 0;
    w.helpers.register(200, () => {
      calls++;
      return 0n;
    });
    const lp = w.vm.load(program([I(0x7a, 1, 0, 0, 0x55), I(CALL, 0, 0, 0, 200), I(CALL, 0, 1, 0, 1), EXIT, I(0x7a, 1, 0, 1, 0x66), EXIT]));
    expect(lp.jitted).toBeDefined();
    expect(calls).toBe(0);
    expect([...w.buf.bytes.subarray(0, 2)]).toEqual([0, 0]);
    expect(w.vm.stats.runs).toBe(0);
    expect(w.vm.run(lp, { args: [regionAddress(w.buf)] })).toEqual({ r0: 0n, executed: 6 });
    expect([calls, ...w.buf.bytes.subarray(0, 2)]).toEqual([1, 0x55, 0x66]);
  });
});
