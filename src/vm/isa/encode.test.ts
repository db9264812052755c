import { describe, expect, it } from "vitest";
import { encodeProgram, programFromInsns } from "./encode.js";
import { decodeProgram } from "./decode.js";
import { InsnError } from "../errors.js";
import type { Instruction } from "./instruction.js";

const I = (opcode: number, f: Partial<Instruction> = {}): Instruction => ({ opcode, dst: 0, src: 0, off: 0, imm: 0, ...f });

const SAMPLE: Instruction[] = [
  I(0xbf, { dst: 6, src: 1 }),
  I(0x07, { dst: 1, imm: -8 }),
  I(0x79, { dst: 3, src: 6, off: 16 }),
  I(0x7b, { dst: 10, src: 1, off: -8 }),
  I(0x18, { dst: 1, imm: 0x55667788, imm2: 0x11223344 }),
  I(0x18, { dst: 2, imm: -1, imm2: -2147483648 }),
  I(0x18, { dst: 1, src: 1, imm: 5, imm2: 0 }),
  I(0x15, { dst: 0, off: 3, imm: 0 }),
  I(0x3f, { dst: 1, src: 2, off: 1 }),
  I(0xbf, { dst: 1, src: 2, off: 32 }),
  I(0xdb, { dst: 10, src: 1, off: -8, imm: 0xf1 }),
  I(0xd7, { dst: 1, imm: 64 }),
  I(0x06, { imm: -70000 }),
  I(0x05, { off: -32768 }),
  I(0x85, { src: 1, imm: 2 }),
  I(0x8d, { dst: 3 }),
  I(0x85, { imm: 0x7fffffff }),
  I(0x50, { src: 7, imm: 14 }),
  I(0x95),
];

describe("encodeProgram", () => {
  it("writes opcode, regs (src high nibble), off and imm little-endian", () => {
    expect([...encodeProgram([I(0x79, { dst: 1, src: 6, off: -8, imm: -2 })])]).toEqual([
      0x79, 0x61, 0xf8, 0xff, 0xfe, 0xff, 0xff, 0xff,
    ]);
  });

  it("writes lddw as two slots with imm2 in the second", () => {
    expect([...encodeProgram([I(0x18, { dst: 0, imm: 0x55667788, imm2: 0x11223344 })])]).toEqual([
      0x18, 0x00, 0x00, 0x00, 0x88, 0x77, 0x66, 0x55, 0x00, 0x00, 0x00, 0x00, 0x44, 0x33, 0x22, 0x11,
    ]);
  });

  it("accepts the unsigned reading of off and imm", () => {
    const a = encodeProgram([I(0x05, { off: 0xfffe }), I(0xb7, { imm: 0xfffffffc })]);
    const b = encodeProgram([I(0x05, { off: -2 }), I(0xb7, { imm: -4 })]);
    expect(a).toEqual(b);
  });

  it("rejects values that do not fit the encoding", () => {
    expect(() => encodeProgram([I(0x100)])).toThrow(InsnError);
    expect(() => encodeProgram([I(0x07, { dst: 16 })])).toThrow("insn 0: dst=16 does not fit its encoding (0..15)");
    expect(() => encodeProgram([I(0x95), I(0x05, { off: 0x10000 })])).toThrow(/^insn 1: off=65536/);
    expect(() => encodeProgram([I(0xb7, { imm: 2 ** 32 })])).toThrow(/imm=4294967296/);
    expect(() => encodeProgram([I(0xb7, { imm: 1.5 })])).toThrow(/imm=1.5/);
    expect(() => encodeProgram([I(0x18, { imm2: -(2 ** 31) - 1 })])).toThrow(/^insn 1: imm=/);
  });

  it("round-trips through decodeProgram", () => {
    const bytes = encodeProgram(SAMPLE);
    const prog = decodeProgram(bytes);
    expect(prog.insns).toEqual(SAMPLE);
    expect(prog).toEqual(programFromInsns(SAMPLE));
    expect(encodeProgram(prog.insns)).toEqual(bytes);
  });

  it("re-encodes every accepted random slot to the same bytes", () => {
    // Deterministic xorshift fuzz: whatever decodeProgram accepts must encode back byte-for-byte.
    let x = 0x9e3779b9;
    const rnd = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
    const opcodes = [0x07, 0x0f, 0x34, 0x3c, 0x84, 0xbc, 0xbf, 0xd4, 0xd7, 0x05, 0x06, 0x15, 0x1e, 0x85, 0x8d,
      0x95, 0x18, 0x20, 0x40, 0x61, 0x91, 0x62, 0x7b, 0xc3, 0xdb];
    let accepted = 0;
    for (let i = 0; i < 20000; i++) {
      const b = new Uint8Array(16);
      const v = new DataView(b.buffer);
      v.setUint32(0, rnd());
      v.setUint32(4, rnd());
      b[0] = opcodes[rnd() % opcodes.length]!;
      // Make small field values likely so that some instructions validate.
      if (rnd() % 2 === 0) b[1] = b[1]! & 0x33;
      if (rnd() % 2 === 0) v.setUint16(2, rnd() % 3 === 0 ? 1 : 0);
      if (rnd() % 2 === 0) v.setUint32(4, [0, 1, 16, 32, 64, 0xe1, 0xf1][rnd() % 7]!, true);
      v.setUint32(8, 0);
      v.setUint32(12, rnd());
      const bytes = b[0] === 0x18 ? b : b.subarray(0, 8);
      let insns: readonly Instruction[];
      try {
        insns = decodeProgram(bytes).insns;
      } catch (e) {
        expect(e).toBeInstanceOf(InsnError);
        continue;
      }
      accepted++;
      expect(encodeProgram(insns)).toEqual(bytes);
    }
    expect(accepted).toBeGreaterThan(500);
  });
});

describe("programFromInsns", () => {
  it("computes slotOf with a trailing total", () => {
    const p = programFromInsns([I(0xb7), I(0x18, { imm2: 0 }), I(0x18, { imm2: 0 }), I(0x95)]);
    expect(p.slotOf).toEqual([0, 1, 3, 5, 6]);
  });
  it("handles the empty list", () => {
    expect(programFromInsns([]).slotOf).toEqual([0]);
  });
});
