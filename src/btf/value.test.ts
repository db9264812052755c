// Base-value readers of the value-formatter seam: bitfields, sign extension,
// 128-bit ints, enums, and reads past the buffer.
import { describe, expect, it } from "vitest";
import { BtfError } from "./errors.js";
import { BtfKind, IntEncoding } from "./kinds.js";
import type { EnumType, Enum64Type, IntType } from "./types.js";
import { enumeratorName, readEnum, readIntBits, readUnsigned } from "./value.js";

const u8: IntType = { kind: BtfKind.INT, name: "unsigned char", size: 1, encoding: 0, bitsOffset: 0, nrBits: 8 };
const s32: IntType = { kind: BtfKind.INT, name: "int", size: 4, encoding: IntEncoding.SIGNED, bitsOffset: 0, nrBits: 32 };
const u128: IntType = { kind: BtfKind.INT, name: "unsigned __int128", size: 16, encoding: 0, bitsOffset: 0, nrBits: 128 };

describe("readIntBits", () => {
  it("reads little-endian ints with sign extension", () => {
    expect(readIntBits(s32, Uint8Array.of(0xff, 0xff, 0xff, 0xff), 0)).toBe(-1n);
    expect(readIntBits(s32, Uint8Array.of(0xd2, 0x04, 0, 0), 0)).toBe(1234n);
  });

  it("extracts bitfields like struct bpf_insn's dst_reg:4/src_reg:4", () => {
    // code=1, regs byte 0x32: dst_reg (bits 8..11) = 2, src_reg (bits 12..15) = 3
    const insn = Uint8Array.of(0x01, 0x32, 0x04, 0x00);
    expect(readIntBits(u8, insn, 8, 4)).toBe(2n);
    expect(readIntBits(u8, insn, 12, 4)).toBe(3n);
    expect(readIntBits({ ...s32, size: 4 }, insn, 9, 3)).toBe(1n); // signed 3-bit 001
    expect(readIntBits({ ...s32 }, Uint8Array.of(0x0e), 0, 4)).toBe(-2n); // 1110 as signed 4-bit
  });

  it("reads bitfields that straddle bytes", () => {
    expect(readIntBits(u8, Uint8Array.of(0b11000000, 0b00000001), 6, 3)).toBe(0b111n);
  });

  it("reads 128-bit values", () => {
    const bytes = new Uint8Array(16).fill(0xff);
    bytes[0] = 0xfe;
    expect(readIntBits(u128, bytes, 0)).toBe((1n << 128n) - 2n);
  });

  it("refuses to read past the buffer with E2BIG", () => {
    expect(() => readIntBits(s32, Uint8Array.of(1, 2, 3), 0)).toThrow(BtfError);
    try {
      readIntBits(s32, Uint8Array.of(1, 2, 3), 0);
    } catch (e) {
      expect((e as BtfError).errno).toBe("E2BIG");
    }
    expect(() => readUnsigned(Uint8Array.of(1), 0, 8)).toThrow("8-byte value at byte 0 runs past the 1-byte buffer");
  });
});

describe("enums", () => {
  const e: EnumType = { kind: BtfKind.ENUM, name: "delta", size: 4, signed: true, values: [{ name: "DOWN", value: -1 }, { name: "UP", value: 1 }] };
  const e64: Enum64Type = { kind: BtfKind.ENUM64, name: "big", size: 8, signed: false, values: [{ name: "HUGE", value: 0xffffffffffffffffn }] };

  it("reads signed and 64-bit enums and names their values", () => {
    const v = readEnum(e, Uint8Array.of(0xff, 0xff, 0xff, 0xff), 0);
    expect(v).toBe(-1n);
    expect(enumeratorName(e, v)).toBe("DOWN");
    expect(enumeratorName(e, 7n)).toBeUndefined();
    const h = readEnum(e64, new Uint8Array(8).fill(0xff), 0);
    expect(enumeratorName(e64, h)).toBe("HUGE");
  });
});
