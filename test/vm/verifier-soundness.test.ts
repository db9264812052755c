// Soundness: every program the verifier accepts must run without a fault.
//
// 1. A seeded fuzzing campaign (fuzz/program-gen.ts generates mostly
//    valid-looking programs with random unsafe mutations; fuzz/verifier.ts
//    verifies each and runs the accepted ones on random inputs in a fresh
//    VM whose maps, ctx and memory are exactly what the verifier was told
//    about). Any runtime fault of an accepted program, a ring buffer record
//    left reserved at exit, or a verifier exception is an escape.
//    Seed: VERIFIER_FUZZ_SEED (default below); count: VERIFIER_FUZZ_COUNT.
// 2. Hand-written reproductions of escapes found while writing these tests:
//    each must be rejected, or run without a fault on the given input.
import { describe, expect, it } from "vitest";
import { HelperId } from "../../src/vm/helpers/protos.js";
import { ProgramBuilder } from "../../src/vm/isa/builder.js";
import { programFromInsns } from "../../src/vm/isa/encode.js";
import type { Program } from "../../src/vm/isa/instruction.js";
import { JmpOp, Size } from "../../src/vm/isa/opcodes.js";
import { formatEscape, Harness, listing, runCampaign, type RunInput } from "../../fuzz/verifier.js";

const SEED = Number(process.env.VERIFIER_FUZZ_SEED ?? 0x5eed1);
const COUNT = Number(process.env.VERIFIER_FUZZ_COUNT ?? 4000);

describe("verifier soundness fuzzing", () => {
  it(`accepted programs never fault (seed ${SEED}, ${COUNT} programs)`, () => {
    console.log(`verifier fuzz: seed ${SEED} (set VERIFIER_FUZZ_SEED to change), ${COUNT} programs`);
    const stats = runCampaign({ seed: SEED, count: COUNT, runsPerProgram: 4, maxProcessed: 5_000 });
    const top = [...stats.reasons].sort((a, b) => b[1] - a[1]).slice(0, 8);
    console.log(
      `generated ${stats.generated}, accepted ${stats.accepted} (${stats.acceptedMutated} with a mutation), rejected ${stats.rejected}, ` +
        `runs ${stats.runs}, escapes ${stats.escapes.length}, crashes ${stats.crashes.length}, ${(stats.timeMs / 1000).toFixed(1)} s\n` +
        top.map(([k, v]) => `  ${v}  ${k}`).join("\n"),
    );
    expect(stats.generated).toBe(COUNT);
    // Both verdicts occur in meaningful numbers.
    expect(stats.accepted / stats.generated).toBeGreaterThan(0.1);
    expect(stats.rejected / stats.generated).toBeGreaterThan(0.1);
    const report = [...stats.crashes, ...stats.escapes].slice(0, 5).map(formatEscape).join("\n\n");
    expect(stats.crashes.length, report).toBe(0);
    expect(stats.escapes.length, report).toBe(0);
  });
});

// ---------------------------------------------------------------------------
// Reproductions (tracing type, nargs 6, the TEST_MAPS of fuzz/verifier.ts:
// fd 1 arr = array of 4 values of 16 bytes, fd 5 one = array of 1 value of 24 bytes).

const ARR = 1;
const ONE = 5;
const LOOKUP = HelperId.map_lookup_elem!;
const LOOP = HelperId.loop!;
const B = () => new ProgramBuilder();
const P = (b: ProgramBuilder): Program => programFromInsns(b.link());

interface Repro {
  name: string;
  prog: () => Program;
  input: RunInput;
}

const repros: Repro[] = [
  {
    // regContains() ignores the ids of map_value_or_null registers: the
    // taken path reaches L with r7 a copy of r6 (one id), the fall-through
    // path with r7 from a second lookup (another id, NULL at run time for
    // key 7). Pruning the second against the first skips the null check r7
    // never had.
    name: "state pruning merges map_value_or_null registers with different ids",
    prog: () => {
      const b = B().ldx(Size.DW, 8, 1, 0);
      b.st(Size.W, 10, -4, 0).ldMapFd(1, ARR).mov64(2, 10).add64Imm(2, -4).call(LOOKUP).mov64(6, 0);
      b.st(Size.W, 10, -4, 7).ldMapFd(1, ARR).mov64(2, 10).add64Imm(2, -4).call(LOOKUP).mov64(7, 0);
      b.jmpImm(JmpOp.JNE, 8, 0, "same").mov64Imm(8, 0).ja("L");
      b.label("same").mov64(7, 6).mov64Imm(8, 0);
      b.label("L").jmpImm(JmpOp.JEQ, 6, 0, "out").st(Size.DW, 7, 0, 1);
      return P(b.label("out").mov64Imm(0, 0).exit());
    },
    input: { args: [0n] },
  },
  {
    // bpf_loop returns -E2BIG (and -EINVAL for flags) without calling the
    // callback; the verifier assumed r0 in [0, 2^23] and skipped the branch.
    name: "bpf_loop's result can be negative",
    prog: () =>
      P(
        B()
          .mov64Imm(1, 1 << 24)
          .ldFunc(2, "cb")
          .mov64Imm(3, 0)
          .mov64Imm(4, 0)
          .call(LOOP)
          .jmpImm(JmpOp.JSLT, 0, 0, "bad")
          .mov64Imm(0, 0)
          .exit()
          .label("bad")
          .mov64Imm(1, 0)
          .st(Size.B, 1, 0, 1)
          .mov64Imm(0, 0)
          .exit()
          .label("cb")
          .mov64Imm(0, 0)
          .exit(),
      ),
    input: {},
  },
  {
    // The callback stores a map value pointer in the caller's stack; with
    // nr = 0 it never runs and the caller dereferences the 0 still there.
    name: "bpf_loop may run its callback zero times",
    prog: () =>
      P(
        B()
          .st(Size.DW, 10, -8, 0)
          .ldx(Size.DW, 1, 1, 0)
          .ldFunc(2, "cb")
          .mov64(3, 10)
          .add64Imm(3, -8)
          .mov64Imm(4, 0)
          .call(LOOP)
          .ldx(Size.DW, 1, 10, -8)
          .ldx(Size.DW, 0, 1, 0)
          .mov64Imm(0, 0)
          .exit()
          .label("cb")
          .ldMapValue(3, ONE, 0)
          .stx(Size.DW, 2, 0, 3)
          .mov64Imm(0, 0)
          .exit(),
      ),
    input: { args: [0n] },
  },
  {
    // The callback was verified for its first call only: the offset it
    // keeps in the caller's stack grows by 8 per call (0, 8, 16, 24) and the
    // fourth store lands past the 24-byte value.
    name: "bpf_loop callback state carried between iterations",
    prog: () =>
      P(
        B()
          .st(Size.DW, 10, -8, 0)
          .mov64Imm(1, 4)
          .ldFunc(2, "cb")
          .mov64(3, 10)
          .add64Imm(3, -8)
          .mov64Imm(4, 0)
          .call(LOOP)
          .mov64Imm(0, 0)
          .exit()
          .label("cb")
          .ldx(Size.DW, 3, 2, 0)
          .ldMapValue(4, ONE, 0)
          .add64(4, 3)
          .stx(Size.DW, 4, 0, 1)
          .add64Imm(3, 8)
          .stx(Size.DW, 2, 0, 3)
          .mov64Imm(0, 0)
          .exit(),
      ),
    input: {},
  },
  {
    // After a callee returns, a pointer to its (dead) stack frame read back
    // from the caller's stack made the verifier throw a TypeError.
    name: "a pointer into a returned callee's stack",
    prog: () =>
      P(
        B()
          .mov64(1, 10)
          .add64Imm(1, -8)
          .callLocal("f")
          .ldx(Size.DW, 2, 10, -8)
          .st(Size.DW, 2, 0, 1)
          .mov64Imm(0, 0)
          .exit()
          .label("f")
          .mov64(2, 10)
          .add64Imm(2, -8)
          .stx(Size.DW, 1, 0, 2)
          .mov64Imm(0, 0)
          .exit(),
      ),
    input: {},
  },
];

describe("verifier soundness: reproductions", () => {
  it.each(repros.map((r) => [r.name, r] as const))("%s", (_name, r) => {
    const h = new Harness({ prog: { kind: "tracing", nargs: 6 } });
    const program = r.prog();
    let accepted: boolean;
    try {
      accepted = h.verify(program).accepted;
    } catch (e) {
      throw new Error(`verifier threw: ${(e as Error).message}\n${listing(program)}`);
    }
    if (!accepted) return;
    const out = h.run(h.load(program), r.input);
    expect(out.fault?.message, `accepted, then faulted:\n${listing(program)}`).toBeUndefined();
  });
});
