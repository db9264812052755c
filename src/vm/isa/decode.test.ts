import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { decodeInsn, decodeProgram, validateInsn } from "./decode.js";
import { encodeProgram } from "./encode.js";
import { InsnError } from "../errors.js";
import type { Instruction } from "./instruction.js";
import {
  CONFORMANCE_NEGATIVE_DIR,
  listDataFiles,
  readConformanceData,
} from "../../../test/helpers/conformance-data.js";

/** Builds one 8-byte slot. */
function slot(opcode: number, dst = 0, src = 0, off = 0, imm = 0): number[] {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint8(0, opcode);
  v.setUint8(1, (src << 4) | dst);
  v.setInt16(2, off, true);
  v.setInt32(4, imm, true);
  return [...b];
}
const EXIT = slot(0x95);
const prog = (...slots: number[][]) => Uint8Array.from(slots.flat());

function decodeError(bytes: Uint8Array): InsnError {
  try {
    decodeProgram(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(InsnError);
    return e as InsnError;
  }
  throw new Error("expected decodeProgram to throw");
}

function insnError(insn: Instruction): string {
  try {
    validateInsn(insn, 0);
  } catch (e) {
    expect(e).toBeInstanceOf(InsnError);
    return (e as InsnError).message;
  }
  throw new Error(`expected ${JSON.stringify(insn)} to be rejected`);
}
const I = (opcode: number, f: Partial<Instruction> = {}): Instruction => ({ opcode, dst: 0, src: 0, off: 0, imm: 0, ...f });

describe("decodeInsn", () => {
  it("reads opcode, regs nibbles, signed off and imm little-endian", () => {
    const b = Uint8Array.from([0x79, 0x61, 0xf8, 0xff, 0xfe, 0xff, 0xff, 0xff]);
    expect(decodeInsn(b, 0)).toEqual({ opcode: 0x79, dst: 1, src: 6, off: -8, imm: -2 });
  });
  it("reads a slot at an offset of a subarray", () => {
    const whole = prog(slot(0xb7, 0, 0, 0, 7), slot(0x07, 3, 0, 0, 0x12345678));
    const sub = whole.subarray(8);
    expect(decodeInsn(sub, 0)).toEqual({ opcode: 0x07, dst: 3, src: 0, off: 0, imm: 0x12345678 });
  });
});

describe("decodeProgram", () => {
  it("decodes a program and computes slotOf, lddw taking two slots", () => {
    const p = decodeProgram(prog(slot(0xbf, 6, 1), slot(0x18, 1, 0, 0, 0x55667788), slot(0, 0, 0, 0, 0x11223344), EXIT));
    expect(p.insns).toEqual([
      { opcode: 0xbf, dst: 6, src: 1, off: 0, imm: 0 },
      { opcode: 0x18, dst: 1, src: 0, off: 0, imm: 0x55667788, imm2: 0x11223344 },
      { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
    ]);
    expect(p.slotOf).toEqual([0, 1, 3, 4]);
  });

  it("rejects an empty program and a length that is not a multiple of 8", () => {
    expect(decodeError(new Uint8Array(0)).message).toBe("empty program");
    const e = decodeError(Uint8Array.from([...EXIT, 1, 2, 3]));
    expect(e.message).toBe("insn 1: program length 11 is not a multiple of 8");
    expect(e.index).toBe(1);
  });

  it("rejects an lddw truncated at the end", () => {
    expect(decodeError(prog(EXIT, slot(0x18, 1))).message).toBe(
      "insn 1: lddw truncated: its second slot is missing at end of program",
    );
  });

  it("rejects non-zero opcode/regs/off in the second slot of lddw", () => {
    expect(decodeError(prog(slot(0x18, 1), slot(0x95), EXIT)).message).toBe(
      "insn 0: non-zero reserved field opcode=0x95 in second slot of lddw (0x18)",
    );
    expect(decodeError(prog(slot(0x18, 1), slot(0, 1), EXIT)).message).toMatch(/^insn 0: non-zero reserved field dst=1/);
    expect(decodeError(prog(slot(0x18, 1), slot(0, 0, 2), EXIT)).message).toMatch(/src=2/);
    expect(decodeError(prog(slot(0x18, 1), slot(0, 0, 0, 3), EXIT)).message).toMatch(/off=3/);
  });

  it("names the slot index of the bad instruction", () => {
    expect(decodeError(prog(slot(0xb7), slot(0x18), slot(0), slot(0x8f), EXIT)).message).toBe("insn 3: unknown opcode 0x8f");
  });

  it("formats reserved-field errors", () => {
    expect(decodeError(prog(slot(0x07, 0, 0, 1, 1), EXIT)).message).toBe(
      "insn 0: non-zero reserved field off=1 in add64 (0x07)",
    );
  });
});

describe("validateInsn: opcode set", () => {
  const accepted: [string, Instruction][] = [
    ["add32 K", I(0x04, { dst: 1, imm: -1 })],
    ["add64 X", I(0x0f, { dst: 1, src: 10 })],
    ["sdiv32 K", I(0x34, { dst: 1, off: 1, imm: 3 })],
    ["smod64 X", I(0x9f, { dst: 1, src: 2, off: 1 })],
    ["div64 K by 0 (defined by RFC)", I(0x37, { dst: 1, imm: 0 })],
    ["movsx64 s32", I(0xbf, { dst: 1, src: 2, off: 32 })],
    ["movsx32 s8", I(0xbc, { dst: 1, src: 2, off: 8 })],
    ["neg32", I(0x84, { dst: 3 })],
    ["le16", I(0xd4, { dst: 1, imm: 16 })],
    ["be64", I(0xdc, { dst: 1, imm: 64 })],
    ["bswap32", I(0xd7, { dst: 1, imm: 32 })],
    ["ja", I(0x05, { off: -3 })],
    ["ja32", I(0x06, { imm: 100000 })],
    ["jeq K", I(0x15, { dst: 1, off: 2, imm: 5 })],
    ["jsle32 X", I(0xde, { dst: 1, src: 2, off: -1 })],
    ["call helper", I(0x85, { imm: 113 })],
    ["call local", I(0x85, { src: 1, imm: -5 })],
    ["call kfunc", I(0x85, { src: 2, imm: 12345 })],
    ["callx", I(0x8d, { dst: 2 })],
    ["exit", I(0x95)],
    ["lddw imm64", I(0x18, { dst: 1, imm: 1, imm2: 2 })],
    ["lddw map_value", I(0x18, { dst: 1, src: 2, imm: 3, imm2: 8 })],
    ["lddw map_idx_value", I(0x18, { dst: 1, src: 6, imm: 0, imm2: 8 })],
    ["ldabsw", I(0x20, { imm: 12 })],
    ["ldindb", I(0x50, { src: 3, imm: 1 })],
    ["ldxdw", I(0x79, { dst: 0, src: 1, off: 16 })],
    ["ldxsb", I(0x91, { dst: 0, src: 1, off: -1 })],
    ["stw", I(0x62, { dst: 10, off: -4, imm: 7 })],
    ["stxb", I(0x73, { dst: 10, src: 1, off: -1 })],
    ["atomic64 fetch add", I(0xdb, { dst: 10, src: 1, off: -8, imm: 0x01 })],
    ["atomic32 cmpxchg", I(0xc3, { dst: 10, src: 1, off: -8, imm: 0xf1 })],
    ["atomic64 xchg", I(0xdb, { dst: 10, src: 1, off: -8, imm: 0xe1 })],
  ];
  it.each(accepted)("accepts %s", (_name, insn) => {
    expect(() => validateInsn(insn, 0)).not.toThrow();
  });

  const unknownOpcodes = [
    0x8c, 0x8f, // neg X
    0xdf, // END|X|ALU64
    0xe4, 0xf7, // ALU op 0xe/0xf
    0x0d, 0x0e, // JA X
    0x86, 0x8e, 0x96, // call/exit in JMP32
    0x9d, // exit X
    0xe5, 0xf5, // JMP op 0xe/0xf (may_goto is not ISA)
    0x00, 0x08, 0x10, // LD IMM non-DW
    0x38, 0x58, // LD ABS/IND DW
    0x60, 0x78, // LD MEM
    0x99, // LDXSDW
    0xa1, 0xc1, // LDX other modes
    0x82, 0xc2, // ST other modes
    0xd3, 0xcb, // atomic B/H
    0x83, 0xa3, // STX other modes
  ];
  it.each(unknownOpcodes)("rejects opcode %i", (op) => {
    expect(insnError(I(op, { dst: 1 }))).toBe(`insn 0: unknown opcode 0x${op.toString(16).padStart(2, "0")}`);
  });
});

describe("validateInsn: fields", () => {
  const cases: [string, Instruction, string][] = [
    ["ALU K src", I(0x07, { dst: 1, src: 2, imm: 1 }), "non-zero reserved field src=2 in add64 (0x07)"],
    ["ALU X imm", I(0x0c, { dst: 1, src: 2, imm: 1 }), "non-zero reserved field imm=1 in add32 (0x0c)"],
    ["ALU off", I(0x04, { dst: 1, off: 1 }), "non-zero reserved field off=1 in add32 (0x04)"],
    ["div off 2", I(0x3f, { dst: 1, src: 2, off: 2 }), "invalid off=2 in div64 (0x3f) (must be 0 (div) or 1 (sdiv))"],
    ["mod off 2", I(0x94, { dst: 1, off: 2 }), "invalid off=2 in mod32 (0x94) (must be 0 (mod) or 1 (smod))"],
    ["mov K off 8", I(0xb7, { dst: 1, off: 8 }), "non-zero reserved field off=8 in mov64 (0xb7)"],
    ["movsx32 s32", I(0xbc, { dst: 1, src: 2, off: 32 }), "invalid off=32 in mov32 (0xbc) (must be 0, 8 or 16)"],
    ["addr_space_cast", I(0xbf, { dst: 1, src: 2, off: 1 }), "invalid off=1 in mov64 (0xbf) (must be 0, 8, 16 or 32)"],
    ["neg imm", I(0x87, { dst: 1, imm: 1 }), "non-zero reserved field imm=1 in neg64 (0x87)"],
    ["end imm 8", I(0xd4, { dst: 1, imm: 8 }), "invalid imm=8 in le (0xd4) (must be 16, 32 or 64)"],
    ["end src", I(0xdc, { dst: 1, src: 1, imm: 16 }), "non-zero reserved field src=1 in be (0xdc)"],
    ["bswap off", I(0xd7, { dst: 1, off: 1, imm: 16 }), "non-zero reserved field off=1 in bswap (0xd7)"],
    ["dst r11", I(0x07, { dst: 11 }), "invalid dst register r11 in add64 (0x07)"],
    ["src r15", I(0x0f, { dst: 1, src: 15 }), "invalid src register r15 in add64 (0x0f)"],
    ["ja dst", I(0x05, { dst: 1 }), "non-zero reserved field dst=1 in ja (0x05)"],
    ["ja imm", I(0x05, { imm: 1 }), "non-zero reserved field imm=1 in ja (0x05)"],
    ["ja32 off", I(0x06, { off: 1, imm: 1 }), "non-zero reserved field off=1 in ja32 (0x06)"],
    ["jeq K src", I(0x15, { dst: 1, src: 1 }), "non-zero reserved field src=1 in jeq (0x15)"],
    ["jgt32 X imm", I(0x2e, { dst: 1, src: 1, imm: 1 }), "non-zero reserved field imm=1 in jgt32 (0x2e)"],
    ["call dst", I(0x85, { dst: 1 }), "non-zero reserved field dst=1 in call (0x85)"],
    ["call off", I(0x85, { off: 1 }), "non-zero reserved field off=1 in call (0x85)"],
    ["call src 3", I(0x85, { src: 3 }), "invalid src=3 in call (0x85) (must be 0 (helper), 1 (local call) or 2 (kfunc))"],
    ["callx imm", I(0x8d, { dst: 1, imm: 1 }), "non-zero reserved field imm=1 in callx (0x8d)"],
    ["callx r11", I(0x8d, { dst: 11 }), "invalid dst register r11 in callx (0x8d)"],
    ["exit src", I(0x95, { src: 1 }), "non-zero reserved field src=1 in exit (0x95)"],
    ["lddw src 7", I(0x18, { dst: 1, src: 7, imm2: 0 }), "invalid src=7 in lddw (0x18) (must be 0..6)"],
    ["lddw off", I(0x18, { dst: 1, off: 1, imm2: 0 }), "non-zero reserved field off=1 in lddw (0x18)"],
    ["lddw map_fd imm2", I(0x18, { dst: 1, src: 1, imm: 3, imm2: 1 }), "non-zero reserved field imm=1 in second slot of lddw (0x18) with src=1"],
    ["ldabs dst", I(0x20, { dst: 1 }), "non-zero reserved field dst=1 in ldabsw (0x20)"],
    ["ldabs src", I(0x28, { src: 1 }), "non-zero reserved field src=1 in ldabsh (0x28)"],
    ["ldind off", I(0x40, { src: 1, off: 1 }), "non-zero reserved field off=1 in ldindw (0x40)"],
    ["ldx imm", I(0x61, { dst: 1, src: 10, imm: 1 }), "non-zero reserved field imm=1 in ldxw (0x61)"],
    ["st src", I(0x7a, { dst: 10, src: 1 }), "non-zero reserved field src=1 in stdw (0x7a)"],
    ["stx imm", I(0x63, { dst: 10, src: 1, imm: 1 }), "non-zero reserved field imm=1 in stxw (0x63)"],
    ["atomic imm", I(0xdb, { dst: 10, src: 1, imm: 0x02 }), "invalid atomic operation imm=0x2 in atomic64 (0xdb)"],
    ["atomic xchg w/o fetch", I(0xc3, { dst: 10, src: 1, imm: 0xe0 }), "invalid atomic operation imm=0xe0 in atomic32 (0xc3)"],
  ];
  it.each(cases)("%s", (_name, insn, message) => {
    expect(insnError(insn)).toBe(`insn 0: ${message}`);
  });

  it("rejects through decodeProgram too (encode → decode)", () => {
    for (const [, insn, message] of cases) {
      if (insn.dst > 15 || insn.src > 15) continue;
      const bytes = encodeProgram([insn, I(0x95)]);
      const e = decodeError(bytes);
      expect(e.message).toBe(`insn 0: ${message}`);
    }
  });
});

describe("bpf_conformance negative/unused-*.data", () => {
  const files = listDataFiles(CONFORMANCE_NEGATIVE_DIR).filter((f) => f.startsWith("unused-"));
  it("has the 45 generated unused-field cases", () => {
    expect(files).toHaveLength(45);
  });
  it.each(files)("%s is rejected", (file) => {
    const data = readConformanceData(join(CONFORMANCE_NEGATIVE_DIR, file));
    expect(data.rawForm).toBe("bytes");
    expect(data.raw?.length).toBe(16);
    const e = decodeError(data.raw!);
    // unused-<insn>-<field>.data: the offending field is named in the message.
    const field = /-(dst|src|offset|imm)\.data$/.exec(file)![1]!;
    expect(e.index).toBe(0);
    expect(e.message).toContain(`${field === "offset" ? "off" : field}=`);
  });
});
