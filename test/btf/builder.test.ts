// BtfBuilder: the sample blob (every kind) is rebuilt byte for byte, bpftool's
// dumps of it (made by test/fixtures/builder/make-goldens.sh) match ours, and
// builder misuse gets a BtfError.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BtfBuilder, BtfError, BtfKind, dumpJson, dumpRaw, parseBtf, encodeBtf, IntEncoding, kindName } from "../../src/btf/index.js";
import { buildSample } from "../fixtures/builder/sample.js";
import { FIXTURES, textDiff } from "../helpers/fixtures.js";

const DIR = join(FIXTURES, "builder");

describe("BtfBuilder", () => {
  it("writes the committed sample.btf byte for byte", () => {
    const expected = readFileSync(join(DIR, "sample.btf"));
    expect(Buffer.compare(Buffer.from(buildSample()), expected)).toBe(0);
  });

  it("uses every BTF kind", () => {
    const kinds = new Set(parseBtf(buildSample()).types.map((t) => kindName(t.kind)));
    expect([...kinds].sort()).toEqual([
      "ARRAY", "CONST", "DATASEC", "DECL_TAG", "ENUM", "ENUM64", "FLOAT", "FUNC", "FUNC_PROTO", "FWD", "INT",
      "PTR", "RESTRICT", "STRUCT", "TYPEDEF", "TYPE_TAG", "UNION", "VAR", "VOLATILE",
    ]);
  });

  it("is read by bpftool exactly as we read it (raw and JSON)", () => {
    const btf = parseBtf(readFileSync(join(DIR, "sample.btf")));
    expect(textDiff(dumpRaw(btf), readFileSync(join(DIR, "sample.btf.raw.txt"), "utf8"))).toBeUndefined();
    expect(dumpJson(btf)).toBe(readFileSync(join(DIR, "sample.btf.json"), "utf8"));
  });

  it("deduplicates strings", () => {
    const b = new BtfBuilder();
    const int = b.int("int", 4, IntEncoding.SIGNED);
    b.typedef("int_t", int);
    const s = b.struct("pair", 8);
    b.field(s, "int_t", int, 0).field(s, "int", int, 32);
    const bytes = b.encode();
    // "" + "int" + "int_t" + "pair" with NULs: 1 + 4 + 6 + 5
    const strLen = new DataView(bytes.buffer).getUint32(20, true);
    expect(strLen).toBe(16);
    expect(Buffer.from(encodeBtf(parseBtf(bytes))).equals(Buffer.from(bytes))).toBe(true);
  });

  it("sets kind_flag when a bitfield is added", () => {
    const b = new BtfBuilder();
    const int = b.int("unsigned int", 4);
    const s = b.struct("bits", 4);
    b.field(s, "a", int, 0, 3);
    const t = b.btf.typeById(s);
    expect(t.kind === BtfKind.STRUCT && t.kflag).toBe(true);
    expect(dumpRaw(parseBtf(b.encode()))).toContain("'a' type_id=1 bits_offset=0 bitfield_size=3");
  });

  it("refuses to finish invalid BTF", () => {
    const b = new BtfBuilder();
    b.ptr(7);
    expect(() => b.encode()).toThrow(BtfError);
    expect(() => b.encode()).toThrow("invalid BTF at type [1]: PTR refers to type id 7, but the last type id is 1");
    const c = new BtfBuilder();
    expect(() => c.field(c.int("int", 4), "x", 1, 0)).toThrow("field(): type 1 is not a struct or union");
  });
});
