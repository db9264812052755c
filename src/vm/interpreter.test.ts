// Interpreter semantics beyond the conformance suite: memory checks and
// faults, the budget, call frames and the stack limit, helper calls and
// their clobbers, atomics on stack and map-like regions, tail calls.
import { describe, expect, it } from "vitest";
import { nullKernelEnv } from "./env.js";
import { HelperTable, coreHelperTable } from "./helpers/table.js";
import type { Instruction, Program } from "./isa/instruction.js";
import { AtomicOp, LDDW } from "./isa/opcodes.js";
import { DEFAULT_BUDGET, Interpreter, MAX_CALL_FRAMES, type LoadedProgram } from "./interpreter.js";
import { AddressSpace, RegionKind, regionAddress } from "./memory.js";

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

function setup(helpers = coreHelperTable()) {
  const mem = new AddressSpace();
  const vm = new Interpreter({ mem, env: nullKernelEnv({ ktimeNs: () => 123456789n }), helper: (id) => helpers.impl(id) });
  return { mem, vm, load: (insns: Instruction[]): LoadedProgram => vm.load(program(insns)) };
}

const MOV64_IMM = 0xb7;
const MOV64_REG = 0xbf;
const ADD64_IMM = 0x07;
const EXIT = I(0x95);
const lddw = (dst: number, v: bigint) => I(LDDW, dst, 0, 0, Number(BigInt.asIntN(32, v & 0xffffffffn)), Number(BigInt.asIntN(32, v >> 32n)));

describe("memory safety", () => {
  it("stores and loads on the stack through r10", () => {
    const { vm, load } = setup();
    const r = vm.run(
      load([
        lddw(1, 0x1122334455667788n),
        I(0x7b, 10, 1, -8), // *(u64 *)(r10 -8) = r1
        I(0x61, 0, 10, -4), // w0 = *(u32 *)(r10 -4)
        EXIT,
      ]),
    );
    expect(r.fault).toBeUndefined();
    expect(r.r0).toBe(0x11223344n);
    expect(r.executed).toBe(4);
  });

  it("faults on a read below the 512-byte frame, naming the instruction and address", () => {
    const { vm, load } = setup();
    const r = vm.run(load([I(MOV64_IMM, 0, 0, 0, 7), I(0x79, 0, 10, -520), EXIT]));
    expect(r.r0).toBe(0n);
    expect(r.fault?.kind).toBe("memory");
    expect(r.fault?.pc).toBe(1);
    expect(r.fault?.message).toMatch(/^insn 1: invalid read of 8 bytes at 0xffffc900[0-9a-f]{8}: not inside any mapped region$/);
    expect(vm.stats.faults.memory).toBe(1);
  });

  it("faults on a null dereference and on a write to a read-only region", () => {
    const { vm, mem, load } = setup();
    expect(vm.run(load([I(MOV64_IMM, 1, 0, 0, 0), I(0x61, 0, 1, 0), EXIT])).fault?.message).toBe(
      "insn 1: invalid read of 4 bytes at 0x0: not inside any mapped region",
    );
    const ro = mem.map(RegionKind.CTX, new Uint8Array(16), { writable: false, label: "ctx" });
    const r = vm.run(load([I(0x62, 1, 0, 0, 1), EXIT]), { ctx: ro });
    expect(r.fault?.message).toMatch(/^insn 0: invalid write of 4 bytes at 0x[0-9a-f]+: ctx is read-only$/);
    // The run after a fault is unaffected.
    expect(vm.run(load([I(MOV64_IMM, 0, 0, 0, 5), EXIT])).r0).toBe(5n);
  });

  it("checks accesses that straddle the end of a region", () => {
    const { vm, mem, load } = setup();
    const ctx = mem.map(RegionKind.CTX, new Uint8Array(12));
    expect(vm.run(load([I(0x61, 0, 1, 8), EXIT]), { ctx }).fault).toBeUndefined();
    expect(vm.run(load([I(0x79, 0, 1, 8), EXIT]), { ctx }).fault?.kind).toBe("memory");
  });
});

describe("budget", () => {
  it("stops an endless loop after the budget and reports it", () => {
    const { vm, load } = setup();
    const loop = load([I(0x05, 0, 0, -1)]); // ja -1
    const r = vm.run(loop, { budget: 1000 });
    expect(r.fault?.kind).toBe("budget");
    expect(r.fault?.errno).toBe("E2BIG");
    expect(r.executed).toBe(1000);
    expect(vm.run(loop).executed).toBe(DEFAULT_BUDGET);
    expect(vm.stats.faults.budget).toBe(2);
  });
});

describe("calls", () => {
  it("passes r1-r5, preserves r6-r9 and gives each frame its own stack", () => {
    const { vm, load } = setup();
    const r = vm.run(
      load([
        I(MOV64_IMM, 6, 0, 0, 6),
        I(MOV64_IMM, 1, 0, 0, 40),
        I(0x7b, 10, 6, -8), // caller stack[-8] = 6
        I(0x85, 0, 1, 0, 3), // call pc+3
        I(0x79, 2, 10, -8), // r2 = caller stack[-8], must still be 6
        I(0x0f, 0, 2), // r0 += r2
        EXIT,
        // callee: r0 = r1 + 2; clobber r6 and its own stack
        I(MOV64_REG, 0, 1),
        I(ADD64_IMM, 0, 0, 0, 2),
        I(MOV64_IMM, 6, 0, 0, 99),
        I(0x7b, 10, 6, -8),
        EXIT,
      ]),
    );
    expect(r.fault).toBeUndefined();
    expect(r.r0).toBe(48n);
  });

  it(`allows ${MAX_CALL_FRAMES} frames and faults on the ninth`, () => {
    const { vm, load } = setup();
    // Each frame calls the next until r1 reaches the depth; r1 counts frames.
    const prog = (depth: number) =>
      load([
        I(MOV64_IMM, 1, 0, 0, 1),
        I(0x85, 0, 1, 0, 1), // call pc+1 -> the function below
        EXIT,
        I(0x15, 1, 0, 2, depth), // if r1 == depth goto +2
        I(ADD64_IMM, 1, 0, 0, 1),
        I(0x85, 0, 1, 0, -3), // call the function again
        I(MOV64_REG, 0, 1),
        EXIT,
      ]);
    expect(vm.run(prog(MAX_CALL_FRAMES - 1)).fault).toBeUndefined();
    const r = vm.run(prog(MAX_CALL_FRAMES));
    expect(r.fault?.kind).toBe("stack");
    expect(r.fault?.message).toBe(`insn 5: call nesting deeper than ${MAX_CALL_FRAMES} frames`);
  });

  it("calls helpers with r1-r5 and sets r0", () => {
    const { vm, load } = setup();
    expect(vm.run(load([I(0x85, 0, 0, 0, 5), EXIT])).r0).toBe(123456789n);
    const r = vm.run(load([I(0x85, 0, 0, 0, 9999), EXIT]));
    expect(r.fault?.message).toBe("insn 0: call to unknown helper #9999");
  });

  it("runs bpf_loop callbacks as subprogram calls", () => {
    const { vm, load } = setup();
    // r6 = &stack counter; loop 10 times adding i to it via the callback.
    const r = vm.run(
      load([
        I(0x7a, 10, 0, -8, 0), // *(u64 *)(r10 -8) = 0
        I(MOV64_IMM, 1, 0, 0, 10), // nr_loops
        I(LDDW, 2, 4, 0, 7, 0), // r2 = &callback (slot 2 + 7 + 1 = 10; lddw takes slots 2-3)
        I(MOV64_REG, 3, 10),
        I(ADD64_IMM, 3, 0, 0, -8), // ctx = &counter
        I(MOV64_IMM, 4, 0, 0, 0),
        I(0x85, 0, 0, 0, 181), // bpf_loop
        I(0x79, 0, 10, -8), // r0 = counter
        EXIT,
        // callback(i, ctx): *ctx += i; return 0
        I(0xdb, 2, 1, 0, AtomicOp.ADD), // lock *(u64 *)(r2 +0) += r1
        I(MOV64_IMM, 0, 0, 0, 0),
        EXIT,
      ]),
    );
    expect(r.fault).toBeUndefined();
    expect(r.r0).toBe(45n);
  });
});

describe("atomics", () => {
  it("fetch-add, xchg and cmpxchg on a 32-bit and a 64-bit word", () => {
    const { vm, mem, load } = setup();
    const value = mem.map(RegionKind.MAP_VALUE, new Uint8Array(16));
    const view = new DataView(value.bytes.buffer);
    view.setUint32(0, 10, true);
    view.setBigUint64(8, 0xffffffffn, true);
    const r = vm.run(
      load([
        I(MOV64_IMM, 2, 0, 0, 5),
        I(0xc3, 1, 2, 0, AtomicOp.ADD | AtomicOp.FETCH), // r2 = atomic_fetch_add((u32 *)(r1 +0), r2) -> 10, mem 15
        I(MOV64_IMM, 3, 0, 0, 1),
        I(0xdb, 1, 3, 8, AtomicOp.ADD), // u64 at +8 += 1 -> 0x100000000 (carry into the high half)
        I(MOV64_IMM, 0, 0, 0, 15),
        I(MOV64_IMM, 4, 0, 0, 77),
        I(0xc3, 1, 4, 0, AtomicOp.CMPXCHG), // if *(u32*) == r0 (15) then = 77; r0 = old (15)
        I(0x0f, 0, 2), // r0 += r2 (10) -> 25
        EXIT,
      ]),
      { args: [regionAddress(value)] },
    );
    expect(r.fault).toBeUndefined();
    expect(r.r0).toBe(25n);
    expect(view.getUint32(0, true)).toBe(77);
    expect(view.getBigUint64(8, true)).toBe(0x100000000n);
  });
});

describe("tail calls", () => {
  it("jumps into another program through a prog array and keeps the context", () => {
    const mem = new AddressSpace();
    const helpers = new HelperTable();
    let target: LoadedProgram | undefined;
    const progArray = { progAt: (i: number) => (i === 1 ? target : undefined) };
    const mapAddr = 0xffffc9b000001000n;
    const vm = new Interpreter({ mem, env: nullKernelEnv(), helper: (id) => helpers.impl(id), mapAt: (a) => (a === mapAddr ? progArray : undefined) });
    target = vm.load(program([I(0x61, 0, 1, 0), I(ADD64_IMM, 0, 0, 0, 1000), EXIT]));
    const caller = vm.load(
      program([
        lddw(2, mapAddr),
        I(MOV64_IMM, 3, 0, 0, 1),
        I(0x85, 0, 0, 0, 12), // tail_call(ctx, map, 1)
        I(MOV64_IMM, 0, 0, 0, 1), // not reached
        EXIT,
      ]),
    );
    const ctx = mem.map(RegionKind.CTX, Uint8Array.of(7, 0, 0, 0));
    expect(vm.run(caller, { ctx }).r0).toBe(1007n);
    // An empty slot falls through.
    const miss = vm.load(program([lddw(2, mapAddr), I(MOV64_IMM, 3, 0, 0, 2), I(0x85, 0, 0, 0, 12), I(MOV64_IMM, 0, 0, 0, 1), EXIT]));
    expect(vm.run(miss, { ctx }).r0).toBe(1n);
  });
});
