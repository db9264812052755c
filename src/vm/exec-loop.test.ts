// The interpreter loop's own machinery (exec-loop.ts), beyond the
// conformance suite: the stack-frame and last-region fast paths (never
// trusted across a helper call or for a write to a read-only region),
// address carries, per-frame register files reused across calls, the
// generic step for probe loads, and a run nested in a helper keeping the
// outer run's budget.
import { describe, expect, it } from "vitest";
import { nullKernelEnv } from "./env.js";
import type { HelperImpl } from "./helpers/abi.js";
import type { Instruction, Program } from "./isa/instruction.js";
import { LDDW } from "./isa/opcodes.js";
import { Interpreter, type LoadedProgram } from "./interpreter.js";
import { AddressSpace, RegionKind, type Region } from "./memory.js";

const I = (opcode: number, dst = 0, src = 0, off = 0, imm = 0, imm2?: number): Instruction =>
  imm2 === undefined ? { opcode, dst, src, off, imm } : { opcode, dst, src, off, imm, imm2 };
const EXIT = I(0x95);
const lddw = (dst: number, v: bigint) => I(LDDW, dst, 0, 0, Number(BigInt.asIntN(32, v & 0xffffffffn)), Number(BigInt.asIntN(32, v >> 32n)));

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

function setup(helpers: Record<number, HelperImpl> = {}) {
  const mem = new AddressSpace();
  const vm = new Interpreter({ mem, env: nullKernelEnv(), helper: (id) => helpers[id], jit: false });
  const load = (insns: Instruction[], probeMem: number[] = []): LoadedProgram => vm.load(program(insns), "t", undefined, probeMem);
  return { mem, vm, load };
}

describe("interpreter loop: memory fast paths", () => {
  it("faults on a write to a read-only region that a read just used", () => {
    const { vm, mem, load } = setup();
    const ro = mem.map(RegionKind.CTX, Uint8Array.of(5, 0, 0, 0), { writable: false, label: "ctx" });
    const r = vm.run(load([I(0x61, 0, 1, 0), I(0x62, 1, 0, 0, 9), EXIT]), { ctx: ro });
    expect(r.fault?.message).toBe(`insn 1: invalid write of 4 bytes at 0x${ro.hi.toString(16)}${ro.lo.toString(16).padStart(8, "0")}: ctx is read-only`);
    expect(r.executed).toBe(2);
    expect(ro.bytes[0]).toBe(5);
  });

  it("never reuses a region across a helper call that unmapped it", () => {
    let victim: Region | undefined;
    const { vm, mem, load } = setup({ 1000: () => (mem.unmap(victim!), 0n) });
    victim = mem.map(RegionKind.MAP_VALUE, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    const lp = load([
      I(0xbf, 6, 1), // r6 = r1
      I(0x61, 7, 6, 0), // r7 = *(u32 *)(r6 + 0): caches the region
      I(0x85, 0, 0, 0, 1000), // helper unmaps it
      I(0x61, 0, 6, 4), // faults now
      EXIT,
    ]);
    const r = vm.run(lp, { ctx: victim });
    expect(r.fault?.kind).toBe("memory");
    expect(r.fault?.pc).toBe(3);
    expect(r.fault?.message).toMatch(/^insn 3: invalid read of 4 bytes at 0xffffc9c0[0-9a-f]{8}: not inside any mapped region$/);
    expect(r.executed).toBe(4);
  });

  it("never reuses a region from an earlier run after it was unmapped", () => {
    const { vm, mem, load } = setup();
    const a = mem.map(RegionKind.CTX, Uint8Array.of(42, 0, 0, 0));
    const lp = load([I(0x61, 0, 1, 0), EXIT]);
    expect(vm.run(lp, { ctx: a }).r0).toBe(42n);
    mem.unmap(a);
    expect(vm.run(lp, { ctx: a }).fault?.message).toMatch(/^insn 0: invalid read of 4 bytes at 0x[0-9a-f]+: not inside any mapped region$/);
  });

  it("checks both ends of the stack frame and carries the address into the high half", () => {
    const { vm, load } = setup();
    expect(vm.run(load([I(0x7a, 10, 0, -512, 3), I(0x79, 0, 10, -512), EXIT])).r0).toBe(3n);
    expect(vm.run(load([I(0x79, 0, 10, -4), EXIT])).fault?.message).toMatch(/^insn 0: invalid read of 8 bytes at 0xffffc900[0-9a-f]{8}: not inside any mapped region$/);
    expect(vm.run(load([I(0x72, 10, 0, -513, 1), EXIT])).fault?.message).toMatch(/^insn 0: invalid write of 1 bytes at 0xffffc900[0-9a-f]{8}: not inside any mapped region$/);
    // 0x1_fffffffc + 8 = 0x2_00000004 (the low half's carry goes into the high half).
    const r = vm.run(load([lddw(1, 0x1fffffffcn), I(0x79, 0, 1, 8), EXIT]));
    expect(r.fault?.message).toBe("insn 2: invalid read of 8 bytes at 0x200000004: not inside any mapped region");
    // And a borrow: 0x2_00000004 - 8.
    expect(vm.run(load([lddw(1, 0x200000004n), I(0x79, 0, 1, -8), EXIT])).fault?.message).toBe(
      "insn 2: invalid read of 8 bytes at 0x1fffffffc: not inside any mapped region",
    );
  });

  it("lets a callee write its caller's stack through a pointer, and reads every width and sign", () => {
    const { vm, load } = setup();
    const r = vm.run(
      load([
        I(0x7a, 10, 0, -8, 0), // *(u64 *)(r10 - 8) = 0
        I(0xbf, 1, 10),
        I(0x07, 1, 0, 0, -8), // r1 = &caller's slot
        I(0x85, 0, 1, 0, 7), // call the subprogram at slot 11
        I(0x79, 2, 10, -8), // r2 = the u64 the callee stored
        I(0x91, 3, 10, -8), // r3 = *(s8 *)(r10 - 8) = 0x88 sign-extended
        I(0x69, 4, 10, -2), // r4 = *(u16 *)(r10 - 2) = 0x1122
        I(0x1f, 2, 3), // r2 -= r3
        I(0x0f, 2, 4), // r2 += r4
        I(0xbf, 0, 2), // r0 = r2
        EXIT,
        // subprogram at slot 11: *(u64 *)(r1 + 0) = 0x1122334455667788
        lddw(2, 0x1122334455667788n),
        I(0x7b, 1, 2, 0),
        I(0xb7, 0, 0, 0, 0),
        EXIT,
      ]),
    );
    expect(r.fault).toBeUndefined();
    // r2 - (s8)0x88 + 0x1122 = 0x1122334455667788 + 0x78 + 0x1122
    expect(r.r0).toBe(0x1122334455667788n + 0x78n + 0x1122n);
  });
});

describe("interpreter loop: frames and runs", () => {
  it("gives each call fresh zeroed registers even though register files are reused", () => {
    const { vm, load } = setup();
    const r = vm.run(
      load([
        I(0x85, 0, 1, 0, 4), // call f (slot 5)
        I(0xbf, 6, 0), // r6 = first result
        I(0x85, 0, 1, 0, 2), // call f again
        I(0x0f, 0, 6), // r0 += r6
        EXIT,
        // f: r0 = r7 (uninitialized: 0) + 10; r7 = 77
        I(0xbf, 0, 7),
        I(0x07, 0, 0, 0, 10),
        I(0xb7, 7, 0, 0, 77),
        EXIT,
      ]),
    );
    expect(r.fault).toBeUndefined();
    expect(r.r0).toBe(20n);
  });

  it("reads kernel memory through a probe load on the generic path (0 where unreadable, no fault)", () => {
    const { vm, load } = setup();
    const lp = load([I(0xb7, 1, 0, 0, 0x1000), I(0x79, 0, 1, 0), I(0x07, 0, 0, 0, 5), EXIT], [1]);
    expect(lp.xw[1]! & 0xff).toBe(0);
    expect(lp.op[1]).toBe(0x79);
    const r = vm.run(lp);
    expect(r.fault).toBeUndefined();
    expect(r.r0).toBe(5n);
    expect(r.executed).toBe(4);
  });

  it("keeps the outer run's budget and context when a helper runs another program", () => {
    let inner: LoadedProgram | undefined;
    let innerExecuted = -1;
    const env = setup({
      1001: () => {
        const r = env.vm.run(inner!, { budget: 50 });
        innerExecuted = r.executed;
        return r.r0;
      },
    });
    inner = env.load([I(0xb7, 0, 0, 0, 1), I(0x07, 0, 0, 0, 1), EXIT]);
    const ctx = env.mem.map(RegionKind.CTX, Uint8Array.of(9, 0, 0, 0));
    const outer = env.load([I(0xbf, 6, 1), I(0x85, 0, 0, 0, 1001), I(0x61, 1, 6, 0), I(0x0f, 0, 1), EXIT]);
    expect(env.vm.runCtx(outer, ctx, 10)).toBe(true);
    expect(innerExecuted).toBe(3);
    expect([env.vm.r0lo, env.vm.r0hi]).toEqual([11, 0]);
    expect(env.vm.lastExecuted).toBe(5);
    expect(env.vm.stats.runs).toBe(2);
    expect(env.vm.stats.executed).toBe(8);
    // The outer budget still binds after the nested run: 5 instructions do not fit in 4.
    expect(env.vm.runCtx(outer, ctx, 4)).toBe(false);
    expect(env.vm.lastFault?.kind).toBe("budget");
    expect(env.vm.lastFault?.pc).toBe(4);
  });
});

describe("interpreter loop: fast cases against the generic step", () => {
  // xorshift32 from a fixed seed: the same cases on every run.
  let seed = 0x2545f491;
  const rnd = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  const EDGE = [0n, 1n, 0xffffffffffffffffn, 0x8000000000000000n, 0x7fffffffffffffffn, 0xffffffffn, 0x80000000n, 0x100000000n, 63n, 64n, 32n];
  const value = (): bigint => (rnd() % 3 === 0 ? EDGE[rnd() % EDGE.length]! : (BigInt(rnd()) << 32n) | BigInt(rnd()));
  const OFFS = [0, 1, 8, 16, 32, -8, -16, -512, -520, 4, 3];
  const IMMS = [0, 1, -1, 16, 32, 64, 7, -0x80000000, 0x7fffffff, 31, 63];
  const CALLS = new Set([0x85, 0x8d, 0x86, 0x8e, LDDW]);

  /** r0..r9 from lddw, the instruction, a skippable r0 += 1, then r0 = a mix of r0..r9. */
  function caseProgram(insn: Instruction, regs: bigint[]): Instruction[] {
    const out: Instruction[] = regs.map((v, i) => lddw(i, v));
    out.push(I(0x7b, 10, 3, -16)); // something on the stack for loads
    out.push(insn, I(0x07, 0, 0, 0, 1));
    for (let i = 1; i <= 9; i++) out.push(I(0x27, 0, 0, 0, 0x3b9aca07), I(0x0f, 0, i));
    out.push(I(0x79, 1, 10, -16), I(0xaf, 0, 1), EXIT);
    return out;
  }

  it("every opcode but calls gives the same r0, executed count and fault both ways", () => {
    const { vm, load } = setup();
    let compared = 0;
    for (let code = 0; code < 256; code++) {
      if (CALLS.has(code)) continue;
      for (let k = 0; k < 24; k++) {
        const insn = I(code, rnd() % 11, rnd() % 11, OFFS[rnd() % OFFS.length]!, rnd() % 2 ? IMMS[rnd() % IMMS.length]! : rnd() | 0);
        const regs = Array.from({ length: 10 }, value);
        const fast = load(caseProgram(insn, regs));
        const slow = load(caseProgram(insn, regs));
        // Route every slot but exits through the generic step.
        for (let s = 0; s < slow.slots; s++) if ((slow.op[s]! & 0xf7) !== 0x95 && (slow.op[s]! & 0xf7) !== 0x96) slow.xw[s] = slow.xw[s]! & ~0xff;
        const a = vm.run(fast, { budget: 1000 });
        const b = vm.run(slow, { budget: 1000 });
        expect({ code, r0: a.r0, executed: a.executed, fault: a.fault?.message }).toEqual({ code, r0: b.r0, executed: b.executed, fault: b.fault?.message });
        compared++;
      }
    }
    expect(compared).toBe((256 - CALLS.size) * 24);
  });
});

describe("interpreter loop: helper arguments", () => {
  it("passes each call its own r1..r5 as u64 BigInts, whether they changed since the last call or not", () => {
    const seen: bigint[][] = [];
    const { vm, load } = setup({ 1002: (_rt, ...args) => (seen.push(args), BigInt(seen.length)) });
    const A = 0xffffc9b000001000n;
    const B = 0x00000000ffffffffn;
    const r = vm.run(
      load([
        lddw(1, A),
        lddw(2, B),
        lddw(3, 0x8000000000000000n),
        I(0xb7, 4, 0, 0, -1),
        I(0xb7, 5, 0, 0, 7),
        I(0x85, 0, 0, 0, 1002), // (A, B, 2^63, 2^64-1, 7)
        lddw(1, B), // the VM leaves r2..r5 as they were (only r0 is written by the call)
        I(0x85, 0, 0, 0, 1002), // (B, B, 2^63, 2^64-1, 7)
        lddw(1, A),
        I(0xb7, 5, 0, 0, 8),
        I(0x85, 0, 0, 0, 1002), // (A, B, 2^63, 2^64-1, 8)
        EXIT,
      ]),
    );
    expect(r.fault).toBeUndefined();
    expect(r.r0).toBe(3n);
    const M = 0xffffffffffffffffn;
    expect(seen).toEqual([
      [A, B, 0x8000000000000000n, M, 7n],
      [B, B, 0x8000000000000000n, M, 7n],
      [A, B, 0x8000000000000000n, M, 8n],
    ]);
  });
});

describe("interpreter loop: helpers see the registers they declare", () => {
  it("passes declared parameters exactly, and every register to helpers that read `arguments`", () => {
    const seen: bigint[][] = [];
    const { vm, load } = setup({
      1003: (_rt, a, b) => (seen.push([a, b]), (a + b) & 0xffffffffffffffffn),
      // A plain function reading arguments[] beyond its parameters still gets r1..r5.
      1004: function (this: unknown, _rt: unknown, a: bigint) {
        // eslint-disable-next-line prefer-rest-params
        const args = arguments as unknown as bigint[];
        seen.push([a, args[2]!, args[5]!]);
        return args[5]!;
      } as unknown as HelperImpl,
    });
    const r = vm.run(
      load([
        lddw(1, 0xffffc9b000001000n),
        I(0xb7, 2, 0, 0, 5),
        I(0xb7, 5, 0, 0, -3),
        I(0x85, 0, 0, 0, 1003),
        I(0xbf, 6, 0),
        I(0x85, 0, 0, 0, 1004),
        I(0x0f, 0, 6),
        EXIT,
      ]),
    );
    expect(r.fault).toBeUndefined();
    expect(seen).toEqual([
      [0xffffc9b000001000n, 5n],
      [0xffffc9b000001000n, 5n, 0xfffffffffffffffdn],
    ]);
    expect(r.r0).toBe((0xffffc9b000001005n + 0xfffffffffffffffdn) & 0xffffffffffffffffn);
  });
});

describe("interpreter loop: the type-feedback primer (exec-warmup.ts)", () => {
  it("reaches every case of exec's switch and exits cleanly, with the fast and generic paths agreeing", async () => {
    const { readFileSync } = await import("node:fs");
    const { primerProgram } = await import("./exec-warmup.js");
    const source = readFileSync(new URL("./exec-loop.ts", import.meta.url), "utf8");
    const cases = new Set([...source.matchAll(/^ {8}case (0x[0-9a-f]{2}):/gm)].map((m) => Number(m[1])));
    expect(cases.size).toBeGreaterThan(120);
    const { vm, mem, load } = setup({ 1: () => 0n });
    const region = mem.map(RegionKind.MAP_VALUE, new Uint8Array(64));
    const insns = primerProgram(region);
    // Labels that share their case's code with one the primer runs: ja with the X bit, callx and the JMP32 call/exit forms.
    const used = new Set([...insns.map((i) => i.opcode), 0x0d, 0x0e, 0x8d, 0x86, 0x8e, 0x9d, 0x96, 0x9e]);
    expect([...cases].filter((c) => !used.has(c)).map((c) => c.toString(16))).toEqual([]);
    const fast = vm.run(load(insns));
    expect(fast.fault).toBeUndefined();
    const slow = load(insns);
    for (let s = 0; s < slow.slots; s++) if (![0x85, 0x95].includes(slow.op[s]!)) slow.xw[s] = slow.xw[s]! & ~0xff;
    region.bytes.fill(0);
    const ref = vm.run(slow);
    expect([fast.r0, fast.executed]).toEqual([ref.r0, ref.executed]);
    expect(fast.executed).toBeGreaterThan(2000);
  });
});

describe("interpreter loop: leaving the program", () => {
  it("faults on a jump past the end, before the start, and a fall off the end, charging no instruction for it", () => {
    const { vm, load } = setup();
    const past = vm.run(load([I(0xb7, 0, 0, 0, 1), I(0x05, 0, 0, 5, 0), EXIT]));
    expect([past.fault?.kind, past.fault?.pc, past.fault?.message, past.fault?.errno, past.executed]).toEqual(["call", 7, "insn 7: jump out of the program (3 slots)", "EINVAL", 2]);
    const before = vm.run(load([I(0xb7, 0, 0, 0, 1), I(0x05, 0, 0, -4, 0), EXIT]));
    expect([before.fault?.pc, before.fault?.message, before.executed]).toEqual([-2, "insn -2: jump out of the program (3 slots)", 2]);
    const fall = vm.run(load([I(0xb7, 0, 0, 0, 1), I(0x07, 0, 0, 0, 1)]));
    expect([fall.fault?.pc, fall.fault?.message, fall.executed]).toEqual([2, "insn 2: jump out of the program (2 slots)", 2]);
    // The program check comes before the budget's: with the budget spent exactly, a jump out is still a jump out.
    const spent = vm.run(load([I(0x05, 0, 0, 5, 0), EXIT]), { budget: 1 });
    expect([spent.fault?.kind, spent.fault?.pc, spent.executed]).toEqual(["call", 6, 1]);
    const spentIn = vm.run(load([I(0x05, 0, 0, 0, 0), EXIT]), { budget: 1 });
    expect([spentIn.fault?.kind, spentIn.fault?.pc, spentIn.executed]).toEqual(["budget", 1, 1]);
    expect(vm.stats.faults).toEqual({ memory: 0, budget: 1, call: 4, stack: 0, helper: 0 });
  });
});
