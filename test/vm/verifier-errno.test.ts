// The errno of each refusal, as Linux's (issue #17): every program Linux
// refused in the verifier oracle (test/fixtures/verifier-oracle/results.json,
// recorded on Linux 6.18) must be refused by btfsnoop with the same errno,
// but for the listed ones (the list must stay exact); and the stack bounds
// rule of check_stack_access_within_bounds in both directions (EACCES when
// the access starts outside the frame, EINVAL when only its end runs past
// fp), each checked on that kernel as a privileged raw_tp program.
import { describe, expect, it } from "vitest";
import { Errno, type ErrnoName } from "../../src/internal/errno.js";
import { HelperId } from "../../src/vm/helpers/protos.js";
import { ProgramBuilder } from "../../src/vm/isa/builder.js";
import { decodeForLoad } from "../../src/vm/isa/decode.js";
import { programFromInsns } from "../../src/vm/isa/encode.js";
import { JmpOp, Size } from "../../src/vm/isa/opcodes.js";
import { rawTracepointProgType } from "../../src/vm/verifier/prog-types.js";
import { verify } from "../../src/vm/verifier/verifier.js";
import { ORACLE as FIXTURE, verifyRecorded, type Recorded } from "../fixtures/verifier-oracle/recorded.js";

/** btfsnoop's errno for a recorded program, or undefined when it accepts it (as the oracle test loads it). */
const ourErrno = (p: Recorded): string | undefined => verifyRecorded(p).errno;

const name = (n: number) => Object.entries(Errno).find(([, v]) => v === n)?.[0] ?? String(n);

/** Refusals whose errno still differs from Linux's, with the reason. */
const KNOWN_ERRNO: Record<string, string> = {
  call_kfunc_bad: "kfunc calls are refused by cfg.ts before the kernel's BTF lookup (EINVAL)",
};

describe("refusals carry Linux's errno", () => {
  it("agrees with every refusal of the verifier oracle but the listed ones", () => {
    const found: Record<string, string> = {};
    for (const p of FIXTURE.programs) {
      // The 1M-instruction program costs seconds; the oracle test checks its verdict (its E2BIG is verifier.ts's).
      if (p.kernel.accepted || p.kernel.message.startsWith("BPF program is too large")) continue;
      const ours = ourErrno(p);
      if (ours !== undefined && ours !== name(p.kernel.errno)) found[p.name] = `kernel ${name(p.kernel.errno)}, btfsnoop ${ours}`;
    }
    expect(Object.keys(found).sort()).toEqual(Object.keys(KNOWN_ERRNO).sort());
  });

  const B = () => new ProgramBuilder();
  /** r2 = fp + base + (a random u32 & 8). */
  const varFp = (base: number) => B().call(HelperId.get_prandom_u32!).and64Imm(0, 8).mov64(2, 10).add64Imm(2, base).add64(2, 0);
  const CASES: { name: string; prog: () => ProgramBuilder; reason: string; errno: ErrnoName }[] = [
    { name: "variable-offset store below the frame", prog: () => varFp(-520).st(Size.DW, 2, 0, 0), reason: "invalid variable-offset write to stack R2 var_off=(0x0; 0x8) off=-520 size=8", errno: "EACCES" },
    { name: "variable-offset store past fp", prog: () => varFp(-8).st(Size.DW, 2, 0, 0), reason: "invalid variable-offset write to stack R2 var_off=(0x0; 0x8) off=-8 size=8", errno: "EINVAL" },
    { name: "variable-offset load past fp", prog: () => B().st(Size.DW, 10, -16, 0).st(Size.DW, 10, -8, 0).call(HelperId.get_prandom_u32!).and64Imm(0, 8).mov64(2, 10).add64Imm(2, -8).add64(2, 0).ldx(Size.DW, 3, 2, 0), reason: "invalid variable-offset read from stack R2 var_off=(0x0; 0x8) off=-8 size=8", errno: "EINVAL" },
    { name: "helper buffer below the frame", prog: () => B().mov64(1, 10).add64Imm(1, -520).mov64Imm(2, 16).call(HelperId.get_current_comm!), reason: "invalid indirect access to stack R1 off=-520 size=16", errno: "EACCES" },
    { name: "helper buffer past fp", prog: () => B().mov64(1, 10).add64Imm(1, -8).mov64Imm(2, 16).call(HelperId.get_current_comm!), reason: "invalid indirect access to stack R1 off=-8 size=16", errno: "EINVAL" },
    { name: "store at fp+0", prog: () => B().st(Size.DW, 10, 0, 0), reason: "invalid write to stack R10 off=0 size=8", errno: "EACCES" },
  ];
  for (const c of CASES) {
    it(`${c.name}: ${c.errno}`, () => {
      const r = verify(programFromInsns(c.prog().mov64Imm(0, 0).exit().link()), { progType: rawTracepointProgType(12), privileged: true });
      expect(r.accepted).toBe(false);
      expect(r.error!.reason).toBe(c.reason);
      expect(r.error!.errno).toBe(c.errno);
    });
  }
});

describe("do_check's own refusals carry Linux's errno", () => {
  it("the processed-instruction budget: 'BPF program is too large' is E2BIG", () => {
    // A bounded loop of 200 iterations explores ~600 instructions; a budget of 100 stops it.
    const b = new ProgramBuilder().mov64Imm(1, 0).label("top").add64Imm(1, 1).jmpImm(JmpOp.JLT, 1, 200, "top").mov64Imm(0, 0).exit();
    const r = verify(programFromInsns(b.link()), { progType: rawTracepointProgType(12), privileged: true, maxProcessed: 100 });
    expect(r.accepted).toBe(false);
    expect(r.error!.reason).toBe("BPF program is too large. Processed 101 insn");
    expect(r.error!.errno).toBe("E2BIG");
  });

  it("the fuzzer's 5-instruction loop of a million iterations: refused as Linux 6.18 refuses it, with its figures", () => {
    // r3 = 0; r3 += 1; if r3 < 1000000 goto -2; r0 = r3; exit. Recorded with tools/verifier-oracle on 6.18 (raw_tp):
    // E2BIG, processed 1000001, total_states 25001, peak_states 25001, max_states_per_insn 4.
    const r = verify(decodeForLoad(Buffer.from("b7030000000000000703000001000000a503feff40420f00bf300000000000009500000000000000", "hex")), {
      progType: rawTracepointProgType(12),
      privileged: true,
    });
    expect(r.accepted).toBe(false);
    expect(r.error!.reason).toBe("BPF program is too large. Processed 1000001 insn");
    expect(r.error!.errno).toBe("E2BIG");
    expect([r.stats.processed, r.stats.totalStates, r.stats.peakStates, r.stats.maxStatesPerInsn]).toEqual([1000001, 25001, 25001, 4]);
  });
});
