// ByteOut and the wire-word dump paths: numbers and names as bytes, chunks
// handed on only at record boundaries, and raw/JSON dumps written from wire
// words equal to the same dumps of the decoded types (formatRawType /
// formatJsonType), including names that need the string path.
import { describe, expect, it } from "vitest";
import { BtfBuilder } from "../builder.js";
import { encodeBtf } from "../encode.js";
import { parseBtf } from "../parse.js";
import { StringTable } from "../strings.js";
import { IntEncoding } from "../kinds.js";
import type { IntType } from "../types.js";
import { ByteOut } from "./byte-out.js";
import { dumpC } from "./c.js";
import { dumpJson, formatJsonType } from "./json.js";
import { dumpRaw, formatRawType } from "./raw.js";
import { OutputSink, type TextSink } from "./sink.js";

/** A sink that keeps every write separately. */
function recorder(): TextSink & { writes: string[] } {
  const writes: string[] = [];
  return { writes, write: (t: string) => void writes.push(t) };
}

describe("ByteOut", () => {
  it("writes integers in decimal", () => {
    const sink = recorder();
    const out = new ByteOut(sink);
    for (const v of [0, 7, 10, 99, 100, 65535, 2147483647, 2147483648, 4294967295, 2 ** 53 - 1]) {
      out.uint(v);
      out.byte(32);
    }
    for (const v of [-1, -10, -2147483648, 5]) {
      out.int(v);
      out.byte(32);
    }
    out.flush();
    expect(sink.writes.join("")).toBe("0 7 10 99 100 65535 2147483647 2147483648 4294967295 9007199254740991 -1 -10 -2147483648 5 ");
  });

  it("copies plain ASCII names and refuses the others", () => {
    const table = new StringTable(Buffer.from('\0plain_name\0a"b\0back\\slash\0tab\there\0caf\xc3\xa9\0', "latin1"));
    const sink = recorder();
    const out = new ByteOut(sink);
    expect([1, 12, 16, 27, 36].map((off) => out.plainName(table, off))).toEqual([true, false, false, false, false]);
    out.text("|é|");
    out.flush();
    expect(sink.writes).toEqual(["plain_name|é|"]);
  });

  it("hands chunks on at record boundaries only, as bytes to an OutputSink and as text to other sinks", () => {
    const record = (i: number) => `record ${i} ${"x".repeat(i % 97)}\n`;
    const fill = (out: ByteOut) => {
      for (let i = 0; i < 5000; i++) {
        out.ascii(record(i));
        out.endRecord();
      }
      out.flush();
    };
    const expected = Array.from({ length: 5000 }, (_, i) => record(i)).join("");

    const plain = recorder();
    fill(new ByteOut(plain));
    expect(plain.writes.join("")).toBe(expected);
    expect(plain.writes.length).toBe(Math.ceil(Buffer.byteLength(expected) / 65536));
    for (const w of plain.writes) expect(w.endsWith("\n")).toBe(true);

    const chunks: Buffer[] = [];
    const sink = new OutputSink((c) => chunks.push(c));
    sink.write("head\n");
    fill(new ByteOut(sink));
    sink.flush();
    expect(Buffer.concat(chunks).toString("latin1")).toBe("head\n" + expected);
    expect(chunks[0]!.toString()).toBe("head\n");
  });

  it("refills one buffer while the consumer hands chunks back, and never touches a chunk it kept", () => {
    const record = (i: number) => `[${i}] STRUCT 'name_${i}' size=${i * 8} vlen=0\n`;
    const expected = Array.from({ length: 5000 }, (_, i) => record(i)).join("");
    const copies: string[] = [];
    const kept: Buffer[] = [];
    const arrays = new Set<ArrayBufferLike>();
    let n = 0;
    // every third chunk is kept (not handed back): its bytes must stay as they were
    const sink = new OutputSink((c) => {
      arrays.add(c.buffer);
      copies.push(c.toString("latin1"));
      if (n++ % 3 === 2) {
        kept.push(c);
        return false;
      }
      return true;
    });
    const out = new ByteOut(sink);
    for (let i = 0; i < 5000; i++) {
      out.ascii(record(i));
      out.endRecord();
    }
    out.flush();
    expect(copies.join("")).toBe(expected);
    expect(copies.length).toBe(Math.ceil(Buffer.byteLength(expected) / 65536));
    // each kept chunk still holds exactly what it held when it was handed over
    expect(kept.map((c) => c.toString("latin1"))).toEqual(copies.filter((_, i) => i % 3 === 2));
    // one buffer, plus a new one after each chunk that was kept
    expect(arrays.size).toBe(1 + kept.length);
  });

  it("OutputSink encodes text into one reused buffer for a consumer that hands chunks back", () => {
    const texts: string[] = [];
    const arrays = new Set<ArrayBufferLike>();
    const sink = new OutputSink((c) => {
      arrays.add(c.buffer);
      texts.push(c.toString("utf8"));
      return true;
    });
    const line = "struct s { int \u00e9t\u00e9; };\n"; // non-ASCII: 2 UTF-8 bytes per char
    for (let i = 0; i < 10000; i++) sink.write(line);
    sink.flush();
    expect(texts.join("")).toBe(line.repeat(10000));
    expect(texts.length).toBe(Math.ceil((line.length * 10000) / 65536));
    expect(arrays.size).toBe(1);
  });

  it("grows its buffer for a record longer than a chunk", () => {
    const sink = recorder();
    const out = new ByteOut(sink);
    const long = "y".repeat(300_000);
    out.ascii(long);
    out.text(long);
    out.endRecord();
    out.flush();
    expect(sink.writes).toEqual([long + long]);
  });
});

/** Every kind, with names that take the string path (quotes, backslashes, UTF-8) and values past 2^31. */
function sampleBtf(): Uint8Array {
  const b = new BtfBuilder();
  const int = b.int("int", 4, IntEncoding.SIGNED); // 1
  const odd = b.int('a"b\\c', 4); // 2
  b.int("ünï", 2); // 3
  const ptr = b.ptr(int); // 4
  b.array(odd, int, 0x3fffffff); // 5
  const s = b.struct("s", 8); // 6
  b.field(s, "x", int, 0).field(s, "bits", int, 32, 3).field(s, "more", int, 35, 29);
  b.union("", 4); // 7
  b.enum("e_signed", 4, [["NEG", -2147483648], ["ONE", 1]]); // 8
  b.enum("e_unsigned", 4, [["BIG", 0xfffffffe], ["ZERO", 0]], false); // 9
  b.enum64("e64", 8, [["HUGE", 0xfffffffffffffffen], ["SMALL", 3n]], false); // 10
  b.enum64("e64s", 8, [["MIN", -(2n ** 63n)], ["M1", -1n]], true); // 11
  b.fwd("fu", true); // 12
  const proto = b.funcProto(int, [["a", ptr], ["", int]], true); // 13
  const f = b.func("f", proto, 0); // 14
  b.func("g", proto, 2); // 15
  const v = b.var("tag\\var", int, 2); // 16
  b.datasec('.data"x', 16, [{ type: v, offset: 4, size: 4 }]); // 17
  b.float("double", 8); // 18
  b.declTag('tag"1', f, -1); // 19
  b.declTag("tag2", s, 1); // 20
  b.typeTag("ütag", ptr); // 21
  b.const(b.volatile(b.restrict(int))); // 22..24
  b.typedef("td", odd); // 25
  return b.encode();
}

describe("raw and JSON dumps from wire words", () => {
  const btf = parseBtf(sampleBtf());
  const ids = Array.from({ length: btf.typeCount - 1 }, (_, i) => i + 1);

  it("raw: equals formatRawType of the decoded types", () => {
    const text = dumpRaw(btf);
    expect(text).toBe(ids.map((id) => formatRawType(btf, id, btf.decodeType(id)) + "\n").join(""));
    const lines = text.split("\n");
    expect(lines).toContain(`[2] INT 'a"b\\c' size=4 bits_offset=0 nr_bits=32 encoding=(none)`);
    expect(lines).toContain("[3] INT 'ünï' size=2 bits_offset=0 nr_bits=16 encoding=(none)");
    expect(lines).toContain("\t'NEG' val=-2147483648");
    expect(lines).toContain("\t'BIG' val=4294967294");
    expect(lines).toContain("\t'HUGE' val=18446744073709551614ULL");
    expect(lines).toContain("\t'MIN' val=-9223372036854775808LL");
    expect(lines).toContain("\t'bits' type_id=1 bits_offset=32 bitfield_size=3");
    expect(lines).toContain("[7] UNION '(anon)' size=4 vlen=0");
    expect(lines).toContain("\ttype_id=16 offset=4 size=4 (VAR 'tag\\var')");
    expect(lines).toContain(`[19] DECL_TAG 'tag"1' type_id=14 component_idx=-1`);
    expect(lines).toContain("[16] VAR 'tag\\var' type_id=1, linkage=extern");
  });

  it("JSON: equals formatJsonType of the decoded types and parses back", () => {
    const text = dumpJson(btf);
    expect(text).toBe(`{"types":[${ids.map((id) => formatJsonType(btf, id, btf.decodeType(id))).join(",")}]}\n`);
    const doc = JSON.parse(text) as { types: { id: number; name: string; values?: { val: number | string }[] }[] };
    expect(doc.types.map((t) => t.name).slice(0, 3)).toEqual(["int", 'a"b\\c', "ünï"]);
    // bpftool widens the __s32 field of an unsigned enum to u64
    expect(text).toContain('{"name":"BIG","val":18446744073709551614}');
    expect(text).toContain('{"name":"NEG","val":-2147483648}');
    expect(text).toContain('"name":"tag\\\\var","type_id":1,"linkage":"extern"');
    expect(text).toContain('{"name":"HUGE","val":18446744073709551614}');
  });

  it("reads big-endian and misaligned blobs to the same dumps, and re-encodes them byte for byte", () => {
    const le = sampleBtf();
    const be = encodeBtf(parseBtf(le), { littleEndian: false });
    const shifted = new Uint8Array(le.length + 1);
    shifted.set(le, 1);
    const misaligned = shifted.subarray(1); // the type section no longer starts on a 4-byte boundary
    for (const bytes of [be, misaligned]) {
      const other = parseBtf(bytes);
      expect(dumpRaw(other)).toBe(dumpRaw(btf));
      expect(dumpJson(other)).toBe(dumpJson(btf));
      expect(dumpC(other)).toBe(dumpC(btf));
      expect(encodeBtf(other)).toEqual(new Uint8Array(bytes));
    }
    expect(parseBtf(be).littleEndian).toBe(false);
  });

  it("dumps only the given roots, and an edited type from its object", () => {
    const copy = parseBtf(sampleBtf());
    (copy.typeById(1) as IntType).name = "renamed";
    expect(dumpRaw(copy, [6, 1])).toBe(
      "[6] STRUCT 's' size=8 vlen=3\n\t'x' type_id=1 bits_offset=0\n\t'bits' type_id=1 bits_offset=32 bitfield_size=3\n\t'more' type_id=1 bits_offset=35 bitfield_size=29\n" +
        "[1] INT 'renamed' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED\n",
    );
    expect(dumpJson(copy, [18, 1])).toBe(
      '{"types":[{"id":18,"kind":"FLOAT","name":"double","size":8},{"id":1,"kind":"INT","name":"renamed","size":4,"bits_offset":0,"nr_bits":32,"encoding":"SIGNED"}]}\n',
    );
  });
});
