// State pruning: static register liveness and precision tracking (the
// kernel's compute_live_registers, mark_chain_precision and
// propagate_precision). Each must-reject program has a safe path explored
// first and an unsafe one that a careless pruner would cut at the join:
// the value that differs is imprecise when the safe path's state is stored
// and only becomes precise later on that path (pointer arithmetic, a
// decided branch, a spill and fill, a size argument). Each must-accept
// program shows a join that is pruned ("N: safe"), with its exact count.
import { describe, expect, it } from "vitest";
import { HelperId } from "../../src/vm/helpers/protos.js";
import { ProgramBuilder } from "../../src/vm/isa/builder.js";
import { programFromInsns } from "../../src/vm/isa/encode.js";
import type { Program } from "../../src/vm/isa/instruction.js";
import { JmpOp, Size } from "../../src/vm/isa/opcodes.js";
import { conformanceProgType, tracingProgType } from "../../src/vm/verifier/prog-types.js";
import type { MapDesc } from "../../src/vm/verifier/types.js";
import { verify, type VerifyResult } from "../../src/vm/verifier/verifier.js";
import { generateProgram } from "../../fuzz/program-gen.js";
import { FUZZ_MAPS, Harness, listing, programSeed, TEST_MAPS } from "../../fuzz/verifier.js";

const ARR = 1; // array, key 4, value 16
const MAPS = new Map<number, MapDesc>(
  TEST_MAPS.map((m, i) => [i + 1, { type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags ?? 0, name: m.name }]),
);
const LOOKUP = HelperId["map_lookup_elem"]!;
const READ_KERNEL = HelperId["probe_read_kernel"]!;

function check(p: Program, privileged = true): VerifyResult {
  // Level 2: an accepted program keeps its log there (level 1 keeps only the summary, as the kernel).
  return verify(p, { progType: tracingProgType(6), mapByFd: (fd) => MAPS.get(fd), privileged, logLevel: 2 });
}

/** r6 = arg0; r8 = `alt` on the fall-through (first explored) path, 8 on the taken one; both reach label "join". */
function twoValues(alt: number): ProgramBuilder {
  return new ProgramBuilder()
    .ldx(Size.DW, 6, 1, 0)
    .mov64Imm(8, 8)
    .jmpImm(JmpOp.JNE, 6, 0, "join")
    .mov64Imm(8, alt)
    .label("join");
}

/** r0 = &arr[0] or exit. */
function lookupOrExit(b: ProgramBuilder): ProgramBuilder {
  return b
    .st(Size.W, 10, -4, 0)
    .ldMapFd(1, ARR)
    .mov64(2, 10)
    .add64Imm(2, -4)
    .call(LOOKUP)
    .jmpImm(JmpOp.JNE, 0, 0, "ok")
    .exit()
    .label("ok");
}

const processed = (r: VerifyResult): number => Number(/^processed (\d+) insns/.exec(r.log[r.log.length - 1]!)![1]);

describe("precision: a value the safe path used is compared at the join", () => {
  it("pointer arithmetic: map_value += r8 (8 is in bounds, 1000 is not)", () => {
    const r = check(programFromInsns(lookupOrExit(twoValues(1000)).add64(0, 8).ldx(Size.DW, 0, 0, 0).exit().link()));
    expect(r.accepted).toBe(false);
    expect(r.error!.reason).toBe("R0 min value is outside of the allowed memory range");
  });

  it("a branch decided by r8's value", () => {
    // r8 == 8: the jump to the bad load is never taken; r8 == 1 takes it.
    const b = twoValues(1).jmpImm(JmpOp.JEQ, 8, 1, "bad").mov64Imm(0, 0).exit().label("bad").ldx(Size.DW, 0, 8, 0).exit();
    const r = check(programFromInsns(b.link()));
    expect(r.accepted).toBe(false);
    expect(r.error!.reason).toBe("R8 invalid mem access 'scalar'");
  });

  it("through a spill and fill: the stack slot is precise", () => {
    const b = lookupOrExit(twoValues(1000).stx(Size.DW, 10, -16, 8).mov64Imm(8, 0)).ldx(Size.DW, 7, 10, -16).add64(0, 7).ldx(Size.DW, 0, 0, 0).exit();
    const r = check(programFromInsns(b.link()));
    expect(r.accepted).toBe(false);
    expect(r.error!.reason).toBe("R0 min value is outside of the allowed memory range");
  });

  it("through a copy and an ALU operand: r7 = r8; r7 += r9", () => {
    const b = lookupOrExit(twoValues(1000).mov64(7, 8).mov64Imm(9, 0).add64(7, 9)).add64(0, 7).ldx(Size.DW, 0, 0, 0).exit();
    const r = check(programFromInsns(b.link()));
    expect(r.accepted).toBe(false);
    expect(r.error!.reason).toBe("R0 min value is outside of the allowed memory range");
  });

  it("a helper's size argument (16 bytes of stack fit, 100 do not)", () => {
    const b = new ProgramBuilder()
      .ldx(Size.DW, 6, 1, 0)
      .mov64Imm(8, 16)
      .jmpImm(JmpOp.JNE, 6, 0, "join")
      .mov64Imm(8, 100)
      .label("join")
      .mov64(1, 10)
      .add64Imm(1, -16)
      .mov64(2, 8)
      .mov64Imm(3, 0)
      .call(READ_KERNEL)
      .mov64Imm(0, 0)
      .exit();
    const r = check(programFromInsns(b.link()));
    expect(r.accepted).toBe(false);
    expect(r.error!.reason).toBe("invalid indirect access to stack R1 off=-16 size=100");
  });
});

describe("pruning what does not matter", () => {
  it("an imprecise scalar (stored, never used in a check) prunes the join", () => {
    const b = lookupOrExit(twoValues(1000)).stx(Size.DW, 0, 0, 8).mov64Imm(0, 0).exit();
    const r = check(programFromInsns(b.link()));
    expect(r.accepted).toBe(true);
    // The fall-through (r8 = 1000) goes first; the join is stored after the lookup (2 jumps, 8 insns: is_state_visited's rule).
    expect(r.log).toContain("10: safe");
    expect(processed(r)).toBe(20);
  });

  it("a dead register (overwritten before any read) prunes the join", () => {
    // The fall-through goes first; two jumps and eight instructions on it store a state at the join (is_state_visited's rule).
    const b = new ProgramBuilder().ldx(Size.DW, 6, 1, 0).mov64Imm(8, 8).jmpImm(JmpOp.JNE, 6, 0, "join").mov64Imm(8, 1000);
    b.ja("pad").label("pad").mov64Imm(7, 0).mov64Imm(2, 0).mov64Imm(3, 0);
    b.label("join").mov64Imm(8, 0).add64(6, 8).mov64Imm(0, 0).exit();
    const r = check(programFromInsns(b.link()));
    expect(r.accepted).toBe(true);
    expect(r.log).toContain("from 2 to 8: safe");
  });

  // r3 is the ctx pointer on the taken path and a scalar on the fall-through (only liveness can prune
  // the join at 8, where the fall-through stores a state); r1 and r2 are the same on both.
  const r3BeforeCall = (helper: number) =>
    new ProgramBuilder()
      .ldx(Size.DW, 6, 1, 0)
      .mov64(3, 1)
      .mov64(1, 10)
      .add64Imm(1, -8)
      .mov64Imm(2, 8)
      .jmpImm(JmpOp.JNE, 6, 0, "join")
      .mov64Imm(3, 0)
      .ja("join")
      .label("join")
      .call(helper)
      .mov64Imm(0, 0)
      .exit()
      .link();

  it("a register the next helper call does not take is dead: r3 before bpf_ktime_get_ns (no arguments) prunes the join", () => {
    const r = check(programFromInsns(r3BeforeCall(HelperId["ktime_get_ns"]!)));
    expect(r.accepted).toBe(true);
    expect(r.log).toContain("from 5 to 8: safe");
  });

  it("a register the next helper call takes is live: r3 before bpf_probe_read_kernel (its source) is compared", () => {
    const r = check(programFromInsns(r3BeforeCall(READ_KERNEL)));
    expect(r.accepted).toBe(true);
    expect(r.log).toContain("from 5 to 8: R1_w=fp-8 R2_w=8 R3_w=ctx() R6_w=scalar(umin=1) R10=fp0");
    expect(r.log.some((l) => /safe$/.test(l))).toBe(false);
  });

  it("a stored state that misses more than 3 + 3 x its hits is dropped from its slot's list (peak_states counts what is kept)", () => {
    // r8 = 0..6 on seven paths to "join", where r0 += r8 makes r8 precise: every visit misses every stored
    // state, and each path stores its own (2 jumps and 8 instructions since the last); the first ones go after 4 misses.
    const b = lookupOrExit(new ProgramBuilder().ldx(Size.DW, 6, 1, 0)).mov64Imm(8, 0);
    for (let i = 1; i <= 6; i++) b.jmpImm(JmpOp.JEQ, 6, i, `l${i}`);
    b.ja("join");
    for (let i = 1; i <= 6; i++) {
      b.label(`l${i}`).mov64Imm(8, i);
      for (let k = 0; k < 8; k++) b.mov64Imm(7, k);
      b.jmpImm(JmpOp.JNE, 6, i, "join").ja("join");
    }
    const r = check(programFromInsns(b.label("join").add64(0, 8).ldx(Size.B, 0, 0, 0).exit().link()));
    expect(r.accepted).toBe(true);
    expect(r.log[r.log.length - 1]).toBe("processed 103 insns (limit 1000000) max_states_per_insn 4 total_states 8 peak_states 5 mark_read 0");
  });

  it("unprivileged loads compare every scalar (no imprecise pruning)", () => {
    const b = lookupOrExit(twoValues(1000)).stx(Size.DW, 0, 0, 8).mov64Imm(0, 0).exit();
    const r = check(programFromInsns(b.link()), false);
    expect(r.accepted).toBe(true);
    expect(r.log).not.toContain("10: safe");
  });

  it("a counting loop to 1M stores a state per 20 jumps or 100 insns, not per iteration", () => {
    // b7030000 00000000 / 07030000 01000000 / a503feff 40420f00 / bf300000 00000000 / 95000000 00000000
    // (kept 999,999 states and 2.2 GB before this rule). A 200k budget keeps the test short; the
    // full 1M run is the same loop five times longer.
    const p = programFromInsns(new ProgramBuilder().mov64Imm(3, 0).add64Imm(3, 1).jmpImm(JmpOp.JLT, 3, 1_000_000, -2).mov64(0, 3).exit().link());
    const r = verify(p, { progType: conformanceProgType(8), privileged: true, maxProcessed: 200_000 });
    expect(r.accepted).toBe(false);
    expect(r.error!.reason).toBe("BPF program is too large. Processed 200001 insn");
    expect(r.stats.peakStates).toBeLessThanOrEqual(200_000 / 20);
    expect(r.stats.peakStates).toBeGreaterThanOrEqual(200_000 / 100 / 2);
  }, 60_000);
});

describe("pruning never changes a verdict", () => {
  // Generated programs (fuzz/program-gen.ts, unsafe mutations included),
  // verified with the kernel's pruning and with exact pruning (every
  // register and scalar compared): the first error on the shared
  // depth-first order is the same, unless exact pruning ran out of budget.
  const SEED = 0x9a7e5;
  const COUNT = 1500;
  it(`${COUNT} generated programs, seed ${SEED}`, () => {
    let compared = 0;
    let rejected = 0;
    const differ: string[] = [];
    for (let i = 0; i < COUNT; i++) {
      const gen = generateProgram(programSeed(SEED, i));
      const h = new Harness({ prog: gen.kind, maps: FUZZ_MAPS, strictRingbuf: true });
      const opts = { privileged: gen.privileged, maxProcessed: 20_000 };
      const exact = h.verify(gen.program, { ...opts, exactPruning: true });
      if (!exact.accepted && /too large|too complex/.test(exact.error!.reason)) continue;
      const kernel = h.verify(gen.program, opts);
      compared++;
      if (!exact.accepted) rejected++;
      // Reference ids come from a counter and a loop is reported at the first stored state that matches
      // it, so those two messages may name other numbers when fewer paths are explored; their kind may not change.
      const norm = (r: string | undefined) => (r && /^(infinite loop detected|Unreleased reference)/.test(r) ? r.replace(/\d+/g, "N") : r);
      if (kernel.accepted !== exact.accepted || norm(kernel.error?.reason) !== norm(exact.error?.reason)) {
        differ.push(`seed ${gen.seed}: exact ${exact.error?.reason ?? "accepted"}, kernel ${kernel.error?.reason ?? "accepted"}\n${listing(gen.program)}`);
      }
    }
    expect(compared).toBeGreaterThan(COUNT * 0.9);
    expect(rejected).toBeGreaterThan(COUNT * 0.1);
    expect(differ.slice(0, 3)).toEqual([]);
  }, 300_000);
});

describe("stack slot liveness: only slots read after the join are compared", () => {
  // r6 = arg0; fp-8 holds the ctx pointer on the fall-through (first explored)
  // path and a scalar on the taken one; both reach "join" (slot 13) after
  // enough jumps and instructions that a state is stored there
  // (is_state_visited's 2 jumps and 8 instructions).
  function spillTwoTypes(): ProgramBuilder {
    return new ProgramBuilder()
      .ldx(Size.DW, 6, 1, 0)
      .mov64Imm(7, 0)
      .mov64Imm(8, 0)
      .jmpImm(JmpOp.JNE, 6, 0, "scalar")
      .stx(Size.DW, 10, -8, 1)
      .mov64Imm(7, 1)
      .mov64Imm(8, 1)
      .mov64Imm(9, 1)
      .ja("join")
      .label("scalar")
      .st(Size.DW, 10, -8, 5)
      .mov64Imm(7, 1)
      .mov64Imm(8, 1)
      .mov64Imm(9, 1)
      .label("join");
  }

  it("a slot written whole before any read: the taken path is pruned at the join despite a pointer vs a scalar there", () => {
    const p = programFromInsns(spillTwoTypes().st(Size.DW, 10, -8, 7).ldx(Size.DW, 0, 10, -8).exit().link());
    const pruned = check(p);
    const exact = verify(p, { progType: tracingProgType(6), mapByFd: (fd) => MAPS.get(fd), exactPruning: true });
    expect(pruned.accepted).toBe(true);
    expect(exact.accepted).toBe(true);
    expect(pruned.log).toContain("13: safe");
    // 0-8 and 13-15 on the fall-through; 9-12 and the pruned 13 on the taken path (exact pruning: 9-15).
    expect(processed(pruned)).toBe(17);
    expect(exact.stats.processed).toBe(19);
  });

  it("a slot read after the join is compared: the scalar path's dereference is still rejected", () => {
    const p = programFromInsns(spillTwoTypes().ldx(Size.DW, 1, 10, -8).ldx(Size.DW, 0, 1, 0).exit().link());
    const r = check(p);
    expect(r.accepted).toBe(false);
    expect(r.error!.reason).toBe("R1 invalid mem access 'scalar'");
    expect(r.log).not.toContain("13: safe");
  });
});

describe("references acquired on two paths: paired by order, not by id (refsafe)", () => {
  const RB = 3; // ring buffer
  // Each branch reserves its own record (reference ids differ), checks it and jumps to "join";
  // the fall-through's state is stored there, and the taken path is pruned by it.
  function reserve(b: ProgramBuilder): ProgramBuilder {
    b.ldMapFd(1, RB).mov64Imm(2, 8).mov64Imm(3, 0).call(HelperId["ringbuf_reserve"]!).jmpImm(JmpOp.JEQ, 0, 0, "none");
    // Enough instructions since the last stored state for one to be stored at the join.
    for (let i = 0; i < 8; i++) b.mov64Imm(([7, 8, 9] as const)[i % 3]!, i);
    return b.ja("join");
  }
  it("a ring buffer record reserved on either path: the second path is pruned at the join", () => {
    const b = new ProgramBuilder().ldx(Size.DW, 6, 1, 0).mov64Imm(9, 0).jmpImm(JmpOp.JNE, 6, 0, "other");
    reserve(b).label("other");
    reserve(b)
      .label("none")
      .mov64Imm(0, 0)
      .exit()
      .label("join")
      .mov64(1, 0)
      .mov64Imm(2, 0)
      .call(HelperId["ringbuf_submit"]!)
      .mov64Imm(0, 0)
      .exit();
    const r = check(programFromInsns(b.link()));
    expect(r.accepted).toBe(true);
    const join = r.log.findIndex((l) => /^\d+: safe$/.test(l));
    expect(r.log[join]).toBe("35: safe");
  });
});
