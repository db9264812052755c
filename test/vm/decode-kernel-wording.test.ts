// decode.ts's kernel wording (issue #17): a bpf(2) load refuses a malformed
// instruction with the words and in the order of Linux's verifier
// (decodeForLoad, DecodeError.kernelReason): its first pass over the whole
// program (resolve_pseudo_ldimm64: "unknown opcode ff", "unrecognized
// bpf_ld_imm64 insn") before any instruction's registers and reserved
// fields ("R11 is invalid", "BPF_MOV uses reserved fields", ...), and an
// LD_ABS/LD_IND's fields after its program type check (check_ld_abs). Every
// expected message below is what Linux 6.18 said for the same instructions
// (raw_tp, or socket_filter where marked), errno EINVAL. decodeProgram
// keeps the RFC wording (the conformance suite, assembler, disassembler).
import { describe, expect, it } from "vitest";
import { bootSyntheticKernel } from "../../src/syscall/boot.js";
import { DecodeError, decodeForLoad, decodeProgram } from "../../src/vm/isa/decode.js";
import { encodeProgram } from "../../src/vm/isa/encode.js";
import type { Instruction } from "../../src/vm/isa/instruction.js";
import { rawTracepointProgType, socketFilterProgType } from "../../src/vm/verifier/prog-types.js";
import { skbLayoutFromBtf } from "../../src/vm/verifier/sk-buff-ctx.js";
import { verify } from "../../src/vm/verifier/verifier.js";
import { vmlinuxBtf } from "../helpers/fixtures.js";

const I = (opcode: number, dst = 0, src = 0, off = 0, imm = 0, imm2?: number): Instruction => ({ opcode, dst, src, off, imm, ...(imm2 !== undefined ? { imm2 } : {}) });
const EXIT0 = [I(0xb7), I(0x95)];
const layout = skbLayoutFromBtf(vmlinuxBtf());
const SKB = typeof layout === "string" ? undefined : layout;

/** What a load of `insns` says, as the oracle loads it: the decoder's kernel words, else the verifier's. */
function refusal(insns: Instruction[], sf = false): string {
  const bytes = encodeProgram(insns);
  try {
    const r = verify(decodeForLoad(bytes), { progType: sf ? socketFilterProgType(SKB) : rawTracepointProgType(12), privileged: true });
    return r.accepted ? "ACCEPT" : `${r.error!.errno} ${r.error!.reason}`;
  } catch (e) {
    if (e instanceof DecodeError) return `${e.errno} ${e.kernelReason}`;
    throw e;
  }
}

const CASES: [string, Instruction[], string, boolean?][] = [
  ["opcode 0xff", [I(0xff), ...EXIT0], "unknown opcode ff"],
  ["dst r11", [I(0xb7, 11), ...EXIT0], "R11 is invalid"],
  ["ldx src r12", [I(0x79, 0, 12), ...EXIT0], "R12 is invalid"],
  ["mov64 imm with off 3", [I(0xb7, 0, 0, 3), I(0x95)], "BPF_MOV uses reserved fields"],
  ["mov64 reg with off 3", [I(0xb7, 1), I(0xbf, 0, 1, 3), I(0x95)], "BPF_MOV uses reserved fields"],
  ["add imm with src 1", [I(0xb7), I(0x07, 0, 1), I(0x95)], "BPF_ALU uses reserved fields"],
  ["add imm with off 1", [I(0xb7), I(0x07, 0, 0, 1), I(0x95)], "BPF_ALU uses reserved fields"],
  ["div with off 2", [I(0xb7, 0, 0, 0, 1), I(0x37, 0, 0, 2, 1), I(0x95)], "BPF_ALU uses reserved fields"],
  ["neg with imm 1", [I(0xb7), I(0x87, 0, 0, 0, 1), I(0x95)], "BPF_NEG uses reserved fields"],
  ["le with imm 8", [I(0xb7), I(0xd4, 0, 0, 0, 8), I(0x95)], "BPF_END uses reserved fields"],
  ["ldx with imm 5", [I(0x79, 0, 1, 0, 5), ...EXIT0], "BPF_LDX uses reserved fields"],
  ["st with src 1", [I(0x7a, 10, 1, -8), ...EXIT0], "BPF_ST uses reserved fields"],
  ["stx with imm 3", [I(0x7b, 10, 1, -8, 3), ...EXIT0], "BPF_STX uses reserved fields"],
  ["atomic op 0x77", [I(0xdb, 10, 1, -8, 0x77), ...EXIT0], "BPF_ATOMIC uses invalid atomic opcode 77"],
  ["atomic op 0x1234", [I(0xdb, 10, 1, -8, 0x1234), ...EXIT0], "BPF_ATOMIC uses invalid atomic opcode 1234"],
  ["ja with imm 3", [I(0x05, 0, 0, 0, 3), ...EXIT0], "BPF_JA uses reserved fields"],
  ["call with dst 1", [I(0x85, 1, 0, 0, 7), ...EXIT0], "BPF_CALL uses reserved fields"],
  ["call with src 7", [I(0x85, 0, 7, 0, 7), ...EXIT0], "BPF_CALL uses reserved fields"],
  ["exit with imm 1", [I(0xb7), I(0x95, 0, 0, 0, 1)], "BPF_EXIT uses reserved fields"],
  ["jeq imm with src 1", [I(0xb7), I(0x15, 0, 1), I(0x95)], "BPF_JMP/JMP32 uses reserved fields"],
  ["lddw with off 1", [I(0x18, 0, 0, 1, 0, 0), ...EXIT0], "BPF_LD_IMM64 uses reserved fields"],
  ["lddw dst r11", [I(0x18, 11, 0, 0, 0, 0), ...EXIT0], "R11 is invalid"],
  ["lddw src 7", [I(0x18, 0, 7, 0, 0, 0), ...EXIT0], "unrecognized bpf_ld_imm64 insn"],
  ["lddw src 7 with off 1: the source first", [I(0x18, 0, 7, 1, 0, 0), ...EXIT0], "unrecognized bpf_ld_imm64 insn"],
  ["a reserved field, then an unknown opcode: the opcode first", [I(0xb7, 0, 0, 3), I(0xff), I(0x95)], "unknown opcode ff"],
  ["a reserved field, then lddw src 7: the lddw first", [I(0xb7, 0, 0, 3), I(0x18, 0, 7, 0, 0, 0), I(0x95)], "unrecognized bpf_ld_imm64 insn"],
  ["ld_abs with dst 1 in raw_tp: the program type first", [I(0xb7), I(0xbf, 6, 1), I(0x30, 1), I(0x95)], "BPF_LD_[ABS|IND] instructions not allowed for this program type"],
  ["ld_abs with dst 1 (socket_filter)", [I(0xb7), I(0xbf, 6, 1), I(0x30, 1), I(0x95)], "BPF_LD_[ABS|IND] uses reserved fields", true],
  ["ld_ind with src r12 (socket_filter)", [I(0xb7), I(0xbf, 6, 1), I(0x40, 0, 12), I(0x95)], "R12 is invalid", true],
];

describe("malformed instructions in a bpf(2) load: Linux's words and order", () => {
  for (const [name, insns, reason, sf] of CASES) {
    it(name, () => expect(refusal(insns, sf)).toBe(`EINVAL ${reason}`));
  }

  it("decodeProgram keeps the RFC wording", () => {
    expect(() => decodeProgram(encodeProgram([I(0xff), ...EXIT0]))).toThrow("insn 0: unknown opcode 0xff");
    expect(() => decodeProgram(encodeProgram([I(0x30, 1), ...EXIT0]))).toThrow("insn 0: non-zero reserved field dst=1 in ldabsb (0x30)");
  });

  it("BPF_PROG_LOAD refuses with the kernel's words, errno and the slot in its log", () => {
    const bpf = bootSyntheticKernel({ seed: 1, nrCpus: 2 }).bpf;
    const r = bpf.progLoad({ progType: "raw_tracepoint", insns: encodeProgram([I(0xb7), I(0xb7, 0, 0, 3), I(0x95)]), license: "GPL", name: "bad" });
    expect(r).toBe(-22);
    expect(bpf.lastError).toBe("BPF_MOV uses reserved fields");
    expect(bpf.lastLog).toEqual(["1: BPF_MOV uses reserved fields"]);
  });
});
