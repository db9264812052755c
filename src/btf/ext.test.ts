import { describe, expect, it } from "vitest";
import { BtfError } from "./errors.js";
import { parseBtfExt } from "./ext.js";
import { StringTable } from "./strings.js";

// Strings: 0 "", 1 "kprobe/x", 10 "a.c", 14 "int x = 1;", 25 "0:1", 29 ".text"
const STR = Buffer.from(["", "kprobe/x", "a.c", "int x = 1;", "0:1", ".text", ""].join("\0"), "latin1");
const strings = new StringTable(Uint8Array.from(STR));

/** Builds a .BTF.ext: header (24 or 32 bytes), then func_info, line_info, core_relo tables of u32 words. */
function ext(tables: { func?: number[]; line?: number[]; core?: number[] }, le = true, hdrLen = 32): Uint8Array {
  const parts = [tables.func ?? [], tables.line ?? [], tables.core ?? []];
  const words: number[] = [];
  const offs: [number, number][] = [];
  for (const p of parts) {
    offs.push([words.length * 4, p.length * 4]);
    words.push(...p);
  }
  const out = new Uint8Array(hdrLen + words.length * 4);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xeb9f, le);
  out[2] = 1;
  v.setUint32(4, hdrLen, le);
  offs.forEach(([o, l], i) => {
    if (i === 2 && hdrLen < 32) return;
    v.setUint32(8 + i * 8, o, le);
    v.setUint32(12 + i * 8, l, le);
  });
  words.forEach((w, i) => v.setUint32(hdrLen + i * 4, w, le));
  return out;
}

const FUNC = [8, 1, 2, 0, 5, 16, 7, 29, 1, 0, 3];
const LINE = [16, 1, 1, 8, 10, 14, (12 << 10) | 5];
const CORE = [16, 1, 1, 24, 9, 25, 0];

describe("parseBtfExt", () => {
  for (const le of [true, false]) {
    it(`reads func_info, line_info and core_relo per section (${le ? "little" : "big"}-endian)`, () => {
      const x = parseBtfExt(ext({ func: FUNC, line: LINE, core: CORE }, le), strings);
      expect(x.littleEndian).toBe(le);
      expect(x.funcInfo).toEqual([
        { section: "kprobe/x", records: [{ insnOff: 0, typeId: 5 }, { insnOff: 16, typeId: 7 }] },
        { section: ".text", records: [{ insnOff: 0, typeId: 3 }] },
      ]);
      expect(x.lineInfo).toEqual([{ section: "kprobe/x", records: [{ insnOff: 8, fileName: "a.c", line: "int x = 1;", lineNum: 12, column: 5 }] }]);
      expect(x.coreRelos).toEqual([{ section: "kprobe/x", records: [{ insnOff: 24, typeId: 9, access: "0:1", kind: 0 }] }]);
    });
  }

  it("reads a 24-byte header (no CO-RE relocations) and larger records (newer fields skipped)", () => {
    const x = parseBtfExt(ext({ func: [12, 1, 1, 0, 5, 99] }, true, 24), strings);
    expect(x.funcInfo).toEqual([{ section: "kprobe/x", records: [{ insnOff: 0, typeId: 5 }] }]);
    expect(x.coreRelos).toEqual([]);
  });

  const err = (bytes: Uint8Array, fileOffset = 0): string => {
    try {
      parseBtfExt(bytes, strings, { fileOffset });
    } catch (e) {
      expect(e).toBeInstanceOf(BtfError);
      return (e as Error).message;
    }
    throw new Error("accepted");
  };

  it("refuses a malformed header, naming the file offset", () => {
    expect(err(new Uint8Array(4), 100)).toBe("invalid BTF at offset 100 (0x64): .BTF.ext is 4 bytes, too short for its header (24 bytes)");
    const good = ext({ func: FUNC });
    const magic = good.slice();
    magic[0] = 0x12;
    expect(err(magic, 100)).toBe("invalid BTF at offset 100 (0x64): .BTF.ext has bad magic 0xeb12 (expected 0xeb9f)");
    const ver = good.slice();
    ver[2] = 2;
    expect(err(ver)).toBe("invalid BTF at offset 2 (0x2): .BTF.ext version 2 is not supported (only version 1 exists)");
    const hdr = good.slice();
    hdr[4] = 16;
    expect(err(hdr)).toBe("invalid BTF at offset 4 (0x4): .BTF.ext header length 16 is smaller than 24");
    expect(err(good.subarray(0, 30))).toBe("invalid BTF at offset 4 (0x4): .BTF.ext header length 32 exceeds the section size 30");
  });

  it("refuses bad tables: out of bounds, bad record size, no or too many records, bad strings, unknown kinds", () => {
    expect(err(ext({ func: FUNC }).subarray(0, 60))).toBe("invalid BTF at offset 8 (0x8): .BTF.ext func_info [32, 76) is not within the section (60 bytes)");
    expect(err(ext({ func: [6, 1, 1, 0, 5] }))).toBe("invalid BTF at offset 32 (0x20): .BTF.ext func_info record size 6 is invalid (at least 8, a multiple of 4)");
    expect(err(ext({ line: [12, 1, 1, 0, 1, 1, 1] }))).toBe("invalid BTF at offset 32 (0x20): .BTF.ext line_info record size 12 is invalid (at least 16, a multiple of 4)");
    expect(err(ext({ func: [8, 1, 0] }))).toBe("invalid BTF at offset 40 (0x28): .BTF.ext func_info for section 'kprobe/x' has no records");
    expect(err(ext({ func: [8, 1, 3, 0, 5] }))).toBe("invalid BTF at offset 40 (0x28): .BTF.ext func_info for section 'kprobe/x' claims 3 records of 8 bytes, only 8 bytes are left");
    expect(err(ext({ func: [8, 1000, 1, 0, 5] }))).toBe("invalid BTF at offset 36 (0x24): .BTF.ext func_info section name offset 1000 is outside the .BTF string table (35 bytes)");
    expect(err(ext({ func: [8] }))).toBe("invalid BTF at offset 36 (0x24): .BTF.ext func_info has a record size but no sections");
    expect(err(ext({ line: [16, 1, 1, 8, 10, 500, 0] }))).toBe("invalid BTF at offset 52 (0x34): .BTF.ext line_info line offset 500 is outside the .BTF string table (35 bytes)");
    expect(err(ext({ core: [16, 1, 1, 24, 9, 25, 13] }))).toBe("invalid BTF at offset 56 (0x38): .BTF.ext core_relo kind 13 is unknown (0..12)");
    expect(err(ext({ core: [16, 1, 1, 24, 9, 10, 0] }))).toBe("invalid BTF at offset 52 (0x34): .BTF.ext core_relo access string 'a.c' is malformed (expected \"0:1:2\")");
  });
});
