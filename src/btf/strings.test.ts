// The string section: reading (validation, UTF-8, split offsets), finding
// whole strings, and building on top of a parsed table without moving any
// existing offset, before and after the builder switches to an index.
import { describe, expect, it } from "vitest";
import { BtfError } from "./errors.js";
import { StringTable, StringTableBuilder } from "./strings.js";

const enc = (...strs: string[]) => Buffer.from(strs.map((s) => s + "\0").join(""), "utf8");

describe("StringTable", () => {
  const table = new StringTable(enc("", "int", "sk_buff", "buff", "café"));

  it("reads strings at offsets, including suffixes and UTF-8", () => {
    expect(table.get(1)).toBe("int");
    expect(table.get(5)).toBe("sk_buff");
    expect(table.get(8)).toBe("buff"); // suffix of sk_buff
    expect(table.get(18)).toBe("café");
  });

  it("finds whole strings only, first occurrence", () => {
    expect(table.find("")).toBe(0);
    expect(table.find("int")).toBe(1);
    expect(table.find("buff")).toBe(13); // the whole string, not the suffix at 8
    expect(table.find("café")).toBe(18);
    expect(table.find("sk_")).toBeUndefined();
  });

  it("rejects tables that do not start or end with NUL", () => {
    expect(() => new StringTable(Buffer.from("x\0"))).toThrow(BtfError);
    expect(() => new StringTable(Buffer.from("\0x"), 0, 100)).toThrow("invalid BTF at offset 101 (0x65): string section is not NUL-terminated");
  });
});

describe("StringTableBuilder", () => {
  it("starts empty with '' at 0 and deduplicates", () => {
    const b = new StringTableBuilder();
    expect(b.add("")).toBe(0);
    expect(b.add("a")).toBe(1);
    expect(b.add("bc")).toBe(3);
    expect(b.add("a")).toBe(1);
    expect(Buffer.from(b.finish()).toString("latin1")).toBe("\0a\0bc\0");
  });

  it("keeps a parsed table's offsets and appends new strings, searching then indexing", () => {
    const initial = new StringTable(enc("", "int", "sk_buff", "buff"));
    const b = new StringTableBuilder(initial);
    expect(b.add("buff")).toBe(13);
    expect(b.add("new")).toBe(18);
    expect(b.add("new")).toBe(18);
    // Past 64 lookups the builder indexes the table; answers must not change.
    for (let i = 0; i < 70; i++) b.add(`s${i % 5}`);
    expect(b.add("buff")).toBe(13);
    expect(b.add("int")).toBe(1);
    expect(b.add("new")).toBe(18);
    expect(b.lookup("s0")).toBe(22);
    expect(Buffer.from(b.finish()).toString("latin1")).toBe("\0int\0sk_buff\0buff\0new\0s0\0s1\0s2\0s3\0s4\0");
  });

  it("resolves split strings against the base first", () => {
    const base = new StringTableBuilder(new StringTable(enc("", "int")));
    const split = new StringTableBuilder(undefined, base);
    expect(split.add("int")).toBe(1);
    expect(split.add("")).toBe(0);
    expect(split.add("mod_t")).toBe(5);
    expect(Buffer.from(split.finish()).toString("latin1")).toBe("mod_t\0");
  });
});
