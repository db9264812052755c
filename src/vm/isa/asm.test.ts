import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { assemble } from "./asm.js";
import { disassemble } from "./disasm.js";
import { programFromInsns } from "./encode.js";
import { InsnError } from "../errors.js";
import type { Instruction } from "./instruction.js";
import {
  CONFORMANCE_NEGATIVE_DIR,
  listDataFiles,
  readConformanceData,
} from "../../../test/helpers/conformance-data.js";

const I = (opcode: number, f: Partial<Instruction> = {}): Instruction => ({ opcode, dst: 0, src: 0, off: 0, imm: 0, ...f });
const dis = (src: string) => disassemble(programFromInsns(assemble(src)));

function asmError(src: string): InsnError {
  try {
    assemble(src);
  } catch (e) {
    expect(e).toBeInstanceOf(InsnError);
    return e as InsnError;
  }
  throw new Error(`expected ${JSON.stringify(src)} to fail`);
}

describe("assemble: encodings", () => {
  const cases: [string, Instruction][] = [
    ["add %r1, %r2", I(0x0f, { dst: 1, src: 2 })],
    ["add64 %r1, 3", I(0x07, { dst: 1, imm: 3 })],
    ["add32 %r1, -3", I(0x04, { dst: 1, imm: -3 })],
    ["mov32 %r0, 0xfffffffc", I(0xb4, { imm: -4 })],
    ["mov %r0, -2147483648", I(0xb7, { imm: -2147483648 })],
    ["neg %r2", I(0x87, { dst: 2 })],
    ["neg32 %r2", I(0x84, { dst: 2 })],
    ["sdiv %r1, %r2", I(0x3f, { dst: 1, src: 2, off: 1 })],
    ["sdiv32 %r1, 7", I(0x34, { dst: 1, off: 1, imm: 7 })],
    ["smod %r1, -7", I(0x97, { dst: 1, off: 1, imm: -7 })],
    ["smod32 %r1, %r2", I(0x9c, { dst: 1, src: 2, off: 1 })],
    ["movsx864 %r1, %r2", I(0xbf, { dst: 1, src: 2, off: 8 })],
    ["movsx1664 %r1, %r2", I(0xbf, { dst: 1, src: 2, off: 16 })],
    ["movsx3264 %r1, %r2", I(0xbf, { dst: 1, src: 2, off: 32 })],
    ["movsx832 %r1, %r2", I(0xbc, { dst: 1, src: 2, off: 8 })],
    ["movsx1632 %r1, %r2", I(0xbc, { dst: 1, src: 2, off: 16 })],
    ["arsh32 %r1, 5", I(0xc4, { dst: 1, imm: 5 })],
    ["le16 %r1", I(0xd4, { dst: 1, imm: 16 })],
    ["be64 %r1", I(0xdc, { dst: 1, imm: 64 })],
    ["swap32 %r1", I(0xd7, { dst: 1, imm: 32 })],
    ["bswap16 %r1", I(0xd7, { dst: 1, imm: 16 })],
    ["ldxb %r0, [%r1+2]", I(0x71, { src: 1, off: 2 })],
    ["ldxh %r0, [%r1]", I(0x69, { src: 1 })],
    ["ldxw %r0, [%r10-4]", I(0x61, { src: 10, off: -4 })],
    ["ldxdw %r0, [%r1+0xffff]", I(0x79, { src: 1, off: -1 })],
    ["ldxsb %r0, [%r1+1]", I(0x91, { src: 1, off: 1 })],
    ["ldxsh %r0, [%r1+1]", I(0x89, { src: 1, off: 1 })],
    ["ldxsw %r0, [%r1+1]", I(0x81, { src: 1, off: 1 })],
    ["stb [%r1+2], 0x11", I(0x72, { dst: 1, off: 2, imm: 0x11 })],
    ["sth [%r1+2], -1", I(0x6a, { dst: 1, off: 2, imm: -1 })],
    ["stw [%r1+2], 1", I(0x62, { dst: 1, off: 2, imm: 1 })],
    ["stdw [%r10-8], 1", I(0x7a, { dst: 10, off: -8, imm: 1 })],
    ["stxb [%r1+2], %r3", I(0x73, { dst: 1, src: 3, off: 2 })],
    ["stxdw [%r10-8], %r3", I(0x7b, { dst: 10, src: 3, off: -8 })],
    ["lock add [%r10-8], %r1", I(0xdb, { dst: 10, src: 1, off: -8, imm: 0x00 })],
    ["lock add32 [%r10-8], %r1", I(0xc3, { dst: 10, src: 1, off: -8, imm: 0x00 })],
    ["lock fetch add [%r10-8], %r1", I(0xdb, { dst: 10, src: 1, off: -8, imm: 0x01 })],
    ["lock fetch or32 [%r10-8], %r1", I(0xc3, { dst: 10, src: 1, off: -8, imm: 0x41 })],
    ["lock and [%r10-8], %r1", I(0xdb, { dst: 10, src: 1, off: -8, imm: 0x50 })],
    ["lock fetch xor [%r10-8], %r1", I(0xdb, { dst: 10, src: 1, off: -8, imm: 0xa1 })],
    ["lock xchg [%r10-8], %r1", I(0xdb, { dst: 10, src: 1, off: -8, imm: 0xe1 })],
    ["lock cmpxchg32 [%r10-8], %r1", I(0xc3, { dst: 10, src: 1, off: -8, imm: 0xf1 })],
    ["ja +3", I(0x05, { off: 3 })],
    ["ja32 -3", I(0x06, { imm: -3 })],
    ["jeq %r1, 0x11, +4", I(0x15, { dst: 1, imm: 0x11, off: 4 })],
    ["jne32 %r1, %r2, -1", I(0x5e, { dst: 1, src: 2, off: -1 })],
    ["jsle %r1, -5, +0", I(0xd5, { dst: 1, imm: -5 })],
    ["call 5", I(0x85, { imm: 5 })],
    ["call helper 5", I(0x85, { imm: 5 })],
    ["call runtime 77", I(0x85, { src: 2, imm: 77 })],
    ["call local +2", I(0x85, { src: 1, imm: 2 })],
    ["call %r2", I(0x8d, { dst: 2 })],
    ["exit", I(0x95)],
    ["lddw %r0, 0x1122334455667788", I(0x18, { imm: 0x55667788, imm2: 0x11223344 })],
    ["lddw %r0, 2147483648", I(0x18, { imm: -2147483648, imm2: 0 })],
    ["lddw %r0, -1", I(0x18, { imm: -1, imm2: -1 })],
    ["lddw %r3, 0xffffffffffffffff", I(0x18, { dst: 3, imm: -1, imm2: -1 })],
    ["add %r15, %r11", I(0x0f, { dst: 15, src: 11 })], // fake registers kept for negative tests
  ];
  it.each(cases)("%s", (src, expected) => {
    expect(assemble(src)).toEqual([expected]);
  });
});

describe("assemble: labels, comments and layout", () => {
  it("resolves labels in slots (lddw = 2) and the implicit exit label", () => {
    const src = `
      # comment line
      mov %r0, 0            # trailing comment
      jeq %r1, 0, exit
      lddw %r2, 1
      ja L1
      L1:
      jne %r0, %r2, exit
      call local fn
      exit
      fn:
      ja32 L1
      exit
    `;
    expect(dis(src)).toEqual([
      "0: (b7) r0 = 0",
      "1: (15) if r1 == 0x0 goto pc+5",
      "2: (18) r2 = 0x1",
      "4: (05) goto pc+0",
      "5: (5d) if r0 != r2 goto pc+1",
      "6: (85) call pc+1",
      "7: (95) exit",
      "8: (06) gotol pc-4",
      "9: (95) exit",
    ]);
  });

  it("accepts an instruction after a label on the same line, repeated blanks and trailing commas", () => {
    expect(assemble("L:   mov   %r0,   1\r\n  ja L")).toEqual([I(0xb7, { imm: 1 }), I(0x05, { off: -2 })]);
  });

  it("returns no instructions for empty input", () => {
    expect(assemble("")).toEqual([]);
    expect(assemble("# nothing\n\n")).toEqual([]);
  });
});

describe("assemble: errors (bpf_conformance's messages)", () => {
  const cases: [string, string][] = [
    ["or %r0, %r50", "Invalid register: %r50"],
    ["ldxq %r0, %r1", "Invalid mnemonic: ldxq"],
    ["ldxb %r0, %r1", "Failed to decode register and offset: %r1"],
    ["ldxb %r0, [%r1+0x10000]", "Offset out of 16-bit range: +0x10000"],
    ["ldxb %r0, [%r1-32769]", "Offset out of 16-bit range: -32769"],
    ["mov32 %r0, 0x100000000", "Immediate out of 32-bit range: 0x100000000"],
    ["mov32 %r0, 2147483648", "Immediate out of 32-bit range: 2147483648"],
    ["mov32 %r0, foo", "Invalid immediate: foo"],
    ["lddw %r0", "Invalid number of operands for mnemonic: lddw"],
    ["lddw %r0, 0x10000000000000000", "Immediate out of 64-bit range: 0x10000000000000000"],
    ["add %r0", "Invalid number of operands for mnemonic: add"],
    ["exit %r0", "Invalid number of operands for mnemonic: exit"],
    ["ja NOT_A_LABEL\nexit", "Invalid label: NOT_A_LABEL"],
    ["lock", "Invalid number of operands for lock"],
    ["lock or [%r10-8]", "Invalid number of operands for lock"],
    ["lock nand [%r10-8], %r1", "Invalid mnemonic: lock nand"],
    ["call foo 1", "Invalid call mode"],
    ["x:\nexit\nx:", "Duplicate label (x) detected at line 1 (previous declaration at line 0)"],
  ];
  it.each(cases)("%s", (src, message) => {
    const e = asmError(src);
    expect(e.message).toBe(message);
    expect(e.index).toBeUndefined();
  });

  it("checks the 16-bit range of label jumps", () => {
    const e = asmError(`ja far\n${"mov %r0, 0\n".repeat(40000)}far:\nexit`);
    expect(e.message).toBe("Jump offset out of 16-bit range: far");
    // ja32 and call local take a 32-bit imm.
    expect(assemble(`ja32 far\n${"mov %r0, 0\n".repeat(40000)}far:\nexit`)[0]!.imm).toBe(40000);
  });

  it("puts the source line in the hint", () => {
    expect(asmError("mov %r0, 1\n  or %r0, %r50  # bad").hint).toBe("line 2: or %r0, %r50");
    expect(asmError("exit\n\nja nowhere").hint).toBe("line 3: ja nowhere");
  });
});

describe("bpf_conformance negative/*.data with -- asm and an -- error", () => {
  // The messages tools/tests.cmake asserts for these files (the files' own
  // `-- error` lines are sometimes only a prefix: "Invalid register").
  const CMAKE: Record<string, string> = {
    "invalid_register.data": "Invalid register: %r50",
    "invalid_lock.data": "Invalid number of operands for lock",
    "invalid_lock2.data": "Invalid number of operands for lock",
  };
  const files = listDataFiles(CONFORMANCE_NEGATIVE_DIR)
    .map((f) => [f, readConformanceData(join(CONFORMANCE_NEGATIVE_DIR, f))] as const)
    .filter(([, d]) => d.asm !== undefined && (d.error ?? "") !== "");

  it("finds the asm files with an expected error", () => {
    expect(files.map(([f]) => f)).toEqual(["error.data", "invalid_lock.data", "invalid_lock2.data", "invalid_register.data"]);
  });

  it.each(files)("%s", (file, data) => {
    if (file === "error.data") {
      // `or %r0, %r10` is well-formed; its "Invalid" is a load-time (verifier) rejection.
      expect(() => assemble(data.asm!)).not.toThrow();
      return;
    }
    const e = asmError(data.asm!);
    expect(e.message).toBe(CMAKE[file]);
    expect(e.message.startsWith(data.error!)).toBe(true);
  });

  it("the other assembler-error files (result-only) fail with tests.cmake's messages", () => {
    const expected: Record<string, string> = {
      "invalid_imm32_dec_range.data": "Immediate out of 32-bit range: 2147483648",
      "invalid_imm32_hex_range.data": "Immediate out of 32-bit range: 0x100000000",
      "invalid_label.data": "Invalid label: NOT_A_LABEL",
      "invalid_mnemonic.data": "Invalid mnemonic: ldxq",
      "invalid_offset.data": "Failed to decode register and offset: %r1",
      "invalid_offset_range.data": "Offset out of 16-bit range: +0x10000",
      "invalid_operand_count.data": "Invalid number of operands for mnemonic: lddw",
    };
    for (const [file, message] of Object.entries(expected)) {
      const data = readConformanceData(join(CONFORMANCE_NEGATIVE_DIR, file));
      expect(asmError(data.asm!).message, file).toBe(message);
    }
  });
});
