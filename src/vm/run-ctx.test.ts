// Interpreter.runCtx (the trampolines' BigInt-free entry) against run() on
// both engines: same r0, executed count, fault and stats.
import { describe, expect, it } from "vitest";
import { nullKernelEnv } from "./env.js";
import { coreHelperTable } from "./helpers/table.js";
import type { Instruction, Program } from "./isa/instruction.js";
import { LDDW } from "./isa/opcodes.js";
import { Interpreter, type LoadedProgram } from "./interpreter.js";
import { AddressSpace, RegionKind, type Region } from "./memory.js";

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

const EXIT = I(0x95);
const PROGRAMS: Record<string, Instruction[]> = {
  // r0 = 0; exit
  empty: [I(0xb7, 0, 0, 0, 0), EXIT],
  // r0 = *(u64 *)(r1 + 0) + 1 (the context's first word)
  ctxLoad: [I(0x79, 0, 1, 0), I(0x07, 0, 0, 0, 1), EXIT],
  // r0 = r1 (the context address itself, 0 without one)
  ctxAddr: [I(0xbf, 0, 1), EXIT],
  // r0 = -2 (all 64 bits: the high half matters)
  negative: [I(0xb7, 0, 0, 0, -2), EXIT],
  // loops 3 times then r0 = helper ktime_get_ns()
  loopHelper: [I(0xb7, 6, 0, 0, 3), I(0x07, 6, 0, 0, -1), I(0x55, 6, 0, -2, 0), I(0x85, 0, 0, 0, 5), EXIT],
  // reads *(u32 *)(r1 + 0): faults without a context
  nullRead: [I(0xb7, 0, 0, 0, 9), I(0x61, 0, 1, 0), EXIT],
  // endless loop: budget fault
  endless: [I(0x05, 0, 0, -1)],
};

function setup(jit: boolean) {
  const mem = new AddressSpace();
  const helpers = coreHelperTable();
  const vm = new Interpreter({ mem, env: nullKernelEnv({ ktimeNs: () => 0x123456789an }), helper: (id) => helpers.impl(id), jit });
  const ctx = mem.map(RegionKind.CTX, new Uint8Array(8), { label: "ctx" });
  new DataView(ctx.bytes.buffer).setBigUint64(0, 0x7fffffff00000041n, true);
  return { vm, ctx };
}

const u64 = (lo: number, hi: number) => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

describe.each([false, true])("runCtx (jit %s)", (jit) => {
  for (const [name, insns] of Object.entries(PROGRAMS)) {
    for (const withCtx of [false, true]) {
      it(`${name} ${withCtx ? "with" : "without"} a context gives run()'s r0, executed, fault and stats`, () => {
        const a = setup(jit);
        const b = setup(jit);
        const lpA = a.vm.load(program(insns), name);
        const lpB = b.vm.load(program(insns), name);
        if (jit) expect(lpA.jitted).toBeDefined();
        const ctxA: Region | undefined = withCtx ? a.ctx : undefined;
        const ctxB: Region | undefined = withCtx ? b.ctx : undefined;
        const budget = name === "endless" ? 500 : undefined;
        const ok = a.vm.runCtx(lpA, ctxA, budget);
        const r = b.vm.run(lpB, { ...(ctxB ? { ctx: ctxB } : {}), ...(budget !== undefined ? { budget } : {}) });
        expect(ok).toBe(r.fault === undefined);
        expect(u64(a.vm.r0lo, a.vm.r0hi)).toBe(r.r0);
        expect(a.vm.lastExecuted).toBe(r.executed);
        expect(a.vm.lastFault?.message).toBe(r.fault?.message);
        expect(a.vm.lastFault?.kind).toBe(r.fault?.kind);
        expect(a.vm.stats).toEqual(b.vm.stats);
      });
    }
  }

  it("gives exact values: r0 halves, executed, faults and their counts", () => {
    const { vm, ctx } = setup(jit);
    const load = (name: string) => vm.load(program(PROGRAMS[name]!), name);
    expect(vm.runCtx(load("ctxLoad"), ctx)).toBe(true);
    expect([vm.r0lo, vm.r0hi, vm.lastExecuted, vm.lastFault]).toEqual([0x42, 0x7fffffff, 3, undefined]);
    expect(vm.runCtx(load("negative"), undefined)).toBe(true);
    expect([vm.r0lo, vm.r0hi, vm.lastExecuted]).toEqual([-2, -1, 2]);
    expect(vm.runCtx(load("ctxAddr"), ctx)).toBe(true);
    expect([vm.r0lo, vm.r0hi]).toEqual([ctx.lo | 0, ctx.hi | 0]);
    expect(vm.runCtx(load("loopHelper"), undefined)).toBe(true);
    expect([vm.r0lo, vm.r0hi, vm.lastExecuted]).toEqual([0x3456789a, 0x12, 1 + 3 * 2 + 2]);
    expect(vm.runCtx(load("nullRead"), undefined)).toBe(false);
    expect([vm.r0lo, vm.r0hi, vm.lastExecuted]).toEqual([0, 0, 2]);
    expect(vm.lastFault?.message).toBe("insn 1: invalid read of 4 bytes at 0x0: not inside any mapped region");
    expect(vm.runCtx(load("endless"), ctx, 1000)).toBe(false);
    expect(vm.lastFault?.kind).toBe("budget");
    expect(vm.lastExecuted).toBe(1000);
    // A completed run clears the previous fault.
    expect(vm.runCtx(load("empty"), ctx)).toBe(true);
    expect(vm.lastFault).toBeUndefined();
    expect(vm.stats.runs).toBe(7);
    expect(vm.stats.executed).toBe(3 + 2 + 2 + 9 + 2 + 1000 + 2);
    expect(vm.stats.faults).toEqual({ memory: 1, budget: 1, call: 0, stack: 0, helper: 0 });
  });

  it("keeps the outer run's budget, count and context when a helper runs another program", () => {
    const mem = new AddressSpace();
    let inner: LoadedProgram | undefined;
    let innerExecuted = -1;
    const vm: Interpreter = new Interpreter({
      mem,
      env: nullKernelEnv(),
      jit,
      helper: (id) =>
        id === 1001
          ? () => {
              const r = vm.run(inner!, { budget: 50 });
              innerExecuted = r.executed;
              return r.r0;
            }
          : undefined,
    });
    inner = vm.load(program([I(0xb7, 0, 0, 0, 1), I(0x07, 0, 0, 0, 1), EXIT]), "inner");
    const ctx = mem.map(RegionKind.CTX, Uint8Array.of(9, 0, 0, 0));
    // r6 = ctx; r0 = helper(); r0 += *(u32 *)ctx
    const outer = vm.load(program([I(0xbf, 6, 1), I(0x85, 0, 0, 0, 1001), I(0x61, 1, 6, 0), I(0x0f, 0, 1), EXIT]), "outer");
    if (jit) expect(outer.jitted).toBeDefined();
    expect(vm.runCtx(outer, ctx, 10)).toBe(true);
    expect([vm.r0lo, vm.r0hi, vm.lastExecuted, innerExecuted]).toEqual([11, 0, 5, 3]);
    expect([vm.stats.runs, vm.stats.executed]).toEqual([2, 8]);
    // The outer budget still binds after the nested run: 5 instructions do not fit in 4.
    expect(vm.runCtx(outer, ctx, 4)).toBe(false);
    expect([vm.lastFault?.kind, vm.lastFault?.pc, vm.lastExecuted]).toEqual(["budget", 4, 4]);
  });

  it("takes the program's load-time budget when none is given", () => {
    const { vm } = setup(jit);
    const lp = vm.load(program(PROGRAMS.endless!), "endless", undefined, [], { budget: 77 });
    expect(vm.runCtx(lp, undefined)).toBe(false);
    expect(vm.lastExecuted).toBe(77);
  });
});

describe("the JIT's fallback into the interpreter loop", () => {
  it("never uses a region an earlier interpreted run cached and that was unmapped since", () => {
    const mem = new AddressSpace();
    const vm = new Interpreter({ mem, env: nullKernelEnv(), helper: () => undefined, jit: true });
    const a = mem.map(RegionKind.CTX, Uint8Array.of(41, 0, 0, 0));
    // Interpreted (loaded without the JIT): its load caches region a in the loop.
    const interpreted = vm.load(program([I(0x61, 0, 1, 0), EXIT]), "interpreted", undefined, [], { jit: false });
    expect(vm.runCtx(interpreted, a)).toBe(true);
    expect(vm.r0lo).toBe(41);
    mem.unmap(a);
    // Compiled, with a budget too small for its block: the JIT hands the block to the interpreter loop.
    const compiled = vm.load(program([I(0xbf, 2, 1), I(0x61, 0, 2, 0), I(0x07, 0, 0, 0, 1), EXIT]), "compiled");
    expect(compiled.jitted).toBeDefined();
    expect(vm.runCtx(compiled, a, 2)).toBe(false);
    expect([vm.lastFault?.kind, vm.lastFault?.pc, vm.lastExecuted]).toEqual(["memory", 1, 2]);
    expect(vm.lastFault?.message).toMatch(/^insn 1: invalid read of 4 bytes at 0x[0-9a-f]+: not inside any mapped region$/);
  });
});
