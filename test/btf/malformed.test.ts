// Malformed-input table for parseBtf: every entry is one corrupted BTF blob
// and the exact BtfError it must raise (reason, byte offset and/or type id).
// Blobs are written byte by byte with the small writer below (header, type
// records and string table as little- or big-endian u32s), so every byte is
// under the test's control; a few entries corrupt the real vmlinux fixture.
// Positive controls prove the writer produces blobs the parser accepts.
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { Btf } from "../../src/btf/btf.js";
import { BtfError } from "../../src/btf/errors.js";
import { BtfKind as K, IntEncoding, encodedTypeSize } from "../../src/btf/kinds.js";
import { parseBtf } from "../../src/btf/parse.js";
import { isVariadic } from "../../src/btf/types.js";
import { C_DUMP_FOOTER, C_DUMP_HEADER, dumpC } from "../../src/btf/format/c.js";

// ---------------------------------------------------------------------------
// A tiny BTF writer.

const utf8 = new TextEncoder();

/** The info word of a type record: kind_flag, kind, vlen. */
function info(kind: number, vlen = 0, kflag = false): number {
  return ((kflag ? 0x80000000 : 0) | (kind << 24) | vlen) >>> 0;
}

interface BuildOptions {
  /** Byte order (default little-endian). */
  le?: boolean;
  /** The 16-bit magic, written in the chosen byte order (default 0xeb9f). */
  magic?: number;
  version?: number;
  flags?: number;
  /** Header bytes after the 24 standard ones (hdr_len grows by their count). */
  ext?: number[];
  /** Overrides of the header fields (default: the real values). */
  hdrLen?: number;
  typeOff?: number;
  typeLen?: number;
  strOff?: number;
  strLen?: number;
  /** Replace the type / string section bytes. */
  types?: Uint8Array;
  strings?: Uint8Array;
  /** Put the string section first (default: types, then strings). */
  stringsFirst?: boolean;
  /** Zero bytes between the two sections, and after the last one. */
  gap?: number;
  trailing?: number;
  /** Cut the finished blob to this many bytes. */
  truncate?: number;
}

class Writer {
  readonly startId: number;
  private readonly baseStrLen: number;
  private readonly words: number[] = [];
  /** Word index of each record, by id - startId. */
  private readonly starts: number[] = [];
  private readonly strs: number[];
  private readonly strOffsets = new Map<string, number>();

  /** @param split for split BTF: the base's type count and string section length */
  constructor(split?: { startId: number; baseStrLen: number }) {
    this.startId = split?.startId ?? 1;
    this.baseStrLen = split?.baseStrLen ?? 0;
    this.strs = split ? [] : [0];
    this.strOffsets.set("", 0);
  }

  /** Offset of a string in the string section (added if new). */
  s(name: string): number {
    let off = this.strOffsets.get(name);
    if (off === undefined) {
      off = this.baseStrLen + this.strs.length;
      this.strs.push(...utf8.encode(name), 0);
      this.strOffsets.set(name, off);
    }
    return off;
  }

  /** Appends one raw type record; a string name is interned, a number is used as the name offset. Returns its id. */
  rec(name: string | number, infoWord: number, sizeOrType: number, ...extra: number[]): number {
    const nameOff = typeof name === "string" ? this.s(name) : name;
    this.starts.push(this.words.length);
    this.words.push(nameOff, infoWord, sizeOrType, ...extra);
    return this.startId + this.starts.length - 1;
  }

  /** Appends raw words to the type section that are not a record of their own. */
  raw(...w: number[]): void {
    this.words.push(...w);
  }

  int(name: string, size = 4, encoding: number = IntEncoding.SIGNED, nrBits = size * 8, bitsOffset = 0): number {
    return this.rec(name, info(K.INT), size, ((encoding << 24) | (bitsOffset << 16) | nrBits) >>> 0);
  }
  ptr(type: number): number {
    return this.rec(0, info(K.PTR), type);
  }
  cnst(type: number): number {
    return this.rec(0, info(K.CONST), type);
  }
  vol(type: number): number {
    return this.rec(0, info(K.VOLATILE), type);
  }
  restrict(type: number): number {
    return this.rec(0, info(K.RESTRICT), type);
  }
  typedef(name: string, type: number): number {
    return this.rec(name, info(K.TYPEDEF), type);
  }
  typeTag(name: string, type: number): number {
    return this.rec(name, info(K.TYPE_TAG), type);
  }
  array(elem: number, index: number, nelems: number): number {
    return this.rec(0, info(K.ARRAY), 0, elem, index, nelems);
  }
  struct(name: string, size: number, members: [string, number, number][], kflag = false, kind: number = K.STRUCT): number {
    const m = members.flatMap(([n, type, off]) => [this.s(n), type, off >>> 0]);
    return this.rec(name, info(kind, members.length, kflag), size, ...m);
  }
  union(name: string, size: number, members: [string, number, number][]): number {
    return this.struct(name, size, members, false, K.UNION);
  }
  enum(name: string, size: number, values: [string, number][], signed = false): number {
    const v = values.flatMap(([n, val]) => [this.s(n), val >>> 0]);
    return this.rec(name, info(K.ENUM, values.length, signed), size, ...v);
  }
  enum64(name: string, size: number, values: [string, bigint][], signed = false): number {
    const v = values.flatMap(([n, val]) => {
      const u = BigInt.asUintN(64, val);
      return [this.s(n), Number(u & 0xffffffffn), Number(u >> 32n)];
    });
    return this.rec(name, info(K.ENUM64, values.length, signed), size, ...v);
  }
  fwd(name: string, union = false): number {
    return this.rec(name, info(K.FWD, 0, union), 0);
  }
  func(name: string, proto: number, linkage = 1): number {
    return this.rec(name, info(K.FUNC, linkage), proto);
  }
  proto(ret: number, params: [string, number][]): number {
    const p = params.flatMap(([n, type]) => [this.s(n), type]);
    return this.rec(0, info(K.FUNC_PROTO, params.length), ret, ...p);
  }
  var(name: string, type: number, linkage = 1): number {
    return this.rec(name, info(K.VAR), type, linkage);
  }
  datasec(name: string, size: number, vars: [number, number, number][]): number {
    return this.rec(name, info(K.DATASEC, vars.length), size, ...vars.flat().map((x) => x >>> 0));
  }
  float(name: string, size: number): number {
    return this.rec(name, info(K.FLOAT), size);
  }
  declTag(name: string, type: number, componentIdx = -1): number {
    return this.rec(name, info(K.DECL_TAG), type, componentIdx >>> 0);
  }

  /** Number of type ids in use after these records (valid ids are < typeCount). */
  get typeCount(): number {
    return this.startId + this.starts.length;
  }
  get typeLen(): number {
    return this.words.length * 4;
  }
  get strLen(): number {
    return this.strs.length;
  }

  typeBytes(le = true): Uint8Array {
    const out = new Uint8Array(this.words.length * 4);
    const v = new DataView(out.buffer);
    this.words.forEach((w, i) => v.setUint32(i * 4, w >>> 0, le));
    return out;
  }
  stringBytes(): Uint8Array {
    return Uint8Array.from(this.strs);
  }

  /** Blob offset of record `id` plus `plus` bytes, in the default layout (types first) with a `hdrLen`-byte header. */
  at(id: number, plus = 0, hdrLen = 24): number {
    const start = this.starts[id - this.startId];
    if (start === undefined) throw new Error(`writer has no type ${id}`);
    return hdrLen + start * 4 + plus;
  }
  /** Blob offset of the string section plus `plus` bytes, in the default layout. */
  strAt(plus = 0, hdrLen = 24): number {
    return hdrLen + this.typeLen + plus;
  }

  build(o: BuildOptions = {}): Uint8Array {
    const le = o.le ?? true;
    const types = o.types ?? this.typeBytes(le);
    const strings = o.strings ?? this.stringBytes();
    const ext = o.ext ?? [];
    const hdrLen = 24 + ext.length;
    const gap = o.gap ?? 0;
    const [first, second] = o.stringsFirst ? [strings, types] : [types, strings];
    const dataLen = first.length + gap + second.length + (o.trailing ?? 0);
    const out = new Uint8Array(hdrLen + dataLen);
    const v = new DataView(out.buffer);
    v.setUint16(0, o.magic ?? 0xeb9f, le);
    out[2] = o.version ?? 1;
    out[3] = o.flags ?? 0;
    out.set(ext, 24);
    out.set(first, hdrLen);
    out.set(second, hdrLen + first.length + gap);
    const typeOff = o.stringsFirst ? strings.length + gap : 0;
    const strOff = o.stringsFirst ? 0 : types.length + gap;
    v.setUint32(4, (o.hdrLen ?? hdrLen) >>> 0, le);
    v.setUint32(8, (o.typeOff ?? typeOff) >>> 0, le);
    v.setUint32(12, (o.typeLen ?? types.length) >>> 0, le);
    v.setUint32(16, (o.strOff ?? strOff) >>> 0, le);
    v.setUint32(20, (o.strLen ?? strings.length) >>> 0, le);
    return o.truncate === undefined ? out : out.slice(0, o.truncate);
  }
}

/** A writer holding `[1] INT 'int' size 4 signed`. */
function withInt(): Writer {
  const w = new Writer();
  w.int("int");
  return w;
}

function setU32(bytes: Uint8Array, off: number, value: number, le = true): Uint8Array {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(off, value >>> 0, le);
  return bytes;
}
function getU32(bytes: Uint8Array, off: number, le = true): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(off, le);
}

// ---------------------------------------------------------------------------
// The vmlinux fixture (decompressed once, copied before every corruption).

const VMLINUX_GZ = new URL("../fixtures/vmlinux-6.18/vmlinux.btf.gz", import.meta.url);
let vmlinuxBytes: Uint8Array | undefined;
/** A fresh copy of the raw vmlinux BTF. */
function vmlinux(): Uint8Array {
  vmlinuxBytes ??= new Uint8Array(gunzipSync(readFileSync(VMLINUX_GZ)));
  return vmlinuxBytes.slice();
}
/** Blob offsets of every type record of a little-endian, well-formed blob, indexed by type id (index 0 unused). */
function recordOffsets(bytes: Uint8Array): number[] {
  const hdrLen = getU32(bytes, 4);
  let pos = hdrLen + getU32(bytes, 8);
  const end = pos + getU32(bytes, 12);
  const offs = [0];
  while (pos < end) {
    offs.push(pos);
    const inf = getU32(bytes, pos + 4);
    pos += encodedTypeSize((inf >>> 24) & 0x1f, inf & 0xffff);
  }
  return offs;
}
/** The NUL-terminated string at `off` in a blob's string section. */
function stringAt(bytes: Uint8Array, off: number): string {
  const start = getU32(bytes, 4) + getU32(bytes, 16) + off;
  const end = bytes.indexOf(0, start);
  return Buffer.from(bytes.subarray(start, end)).toString("latin1");
}

// ---------------------------------------------------------------------------
// The table.

interface Expected {
  bytes: Uint8Array;
  base?: Btf;
  reason: string | RegExp;
  offset?: number;
  typeId?: number;
}
interface Case {
  name: string;
  make: () => Expected;
}

function expectBtfError(e: Expected): void {
  let thrown: unknown;
  let result: Btf | undefined;
  try {
    result = parseBtf(e.bytes, e.base ? { base: e.base } : {});
  } catch (err) {
    thrown = err;
  }
  expect(result === undefined, `parseBtf accepted the corrupted blob (${result?.typeCount} type ids) instead of throwing`).toBe(true);
  expect(thrown).toBeInstanceOf(BtfError);
  const err = thrown as BtfError;
  if (typeof e.reason === "string") expect(err.reason).toBe(e.reason);
  else expect(err.reason).toMatch(e.reason);
  expect({ offset: err.offset, typeId: err.typeId }).toEqual({ offset: e.offset, typeId: e.typeId });
}

const headerCases: Case[] = [
  {
    name: "empty input",
    make: () => ({ bytes: new Uint8Array(0), reason: "blob is 0 bytes, too short for a BTF header (24 bytes)", offset: 0 }),
  },
  {
    name: "3 bytes",
    make: () => ({ bytes: Uint8Array.of(0x9f, 0xeb, 1), reason: "blob is 3 bytes, too short for a BTF header (24 bytes)", offset: 0 }),
  },
  {
    name: "7 bytes of a valid header",
    make: () => ({ bytes: withInt().build({ truncate: 7 }), reason: "blob is 7 bytes, too short for a BTF header (24 bytes)", offset: 0 }),
  },
  {
    name: "23 bytes of a valid header (hdr_len 24 does not fit)",
    make: () => ({ bytes: withInt().build({ truncate: 23 }), reason: "header length 24 exceeds the blob size 23", offset: 4 }),
  },
  {
    name: "bad magic 0x0000",
    make: () => ({ bytes: withInt().build({ magic: 0 }), reason: "bad magic 0x0000 (expected 0xeb9f)", offset: 0 }),
  },
  {
    name: "ELF file instead of raw BTF",
    make: () => ({
      bytes: Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, ...new Uint8Array(56)),
      reason: "bad magic 0x457f (expected 0xeb9f)",
      offset: 0,
    }),
  },
  {
    name: "big-endian magic with a little-endian header (hdr_len reads as 0x18000000)",
    make: () => {
      const b = withInt().build();
      b[0] = 0xeb;
      b[1] = 0x9f;
      return { bytes: b, reason: `header length 402653184 exceeds the blob size ${b.length}`, offset: 4 };
    },
  },
  {
    name: "big-endian blob with an unaligned type_off",
    make: () => ({ bytes: withInt().build({ le: false, typeOff: 2 }), reason: "type section offset 2 is not 4-byte aligned", offset: 8 }),
  },
  {
    name: "big-endian blob with an INT of size 3",
    make: () => {
      const w = new Writer();
      w.rec("x", info(K.INT), 3, 8);
      return { bytes: w.build({ le: false }), reason: "INT size 3 is not 1, 2, 4, 8 or 16", offset: w.at(1, 8), typeId: 1 };
    },
  },
  {
    name: "version 0",
    make: () => ({ bytes: withInt().build({ version: 0 }), reason: "unsupported version 0 (only version 1 exists)", offset: 2 }),
  },
  {
    name: "version 2",
    make: () => ({ bytes: withInt().build({ version: 2 }), reason: "unsupported version 2 (only version 1 exists)", offset: 2 }),
  },
  {
    name: "flags 0x1",
    make: () => ({ bytes: withInt().build({ flags: 1 }), reason: "unsupported flags 0x1 (must be 0)", offset: 3 }),
  },
  {
    name: "flags 0x80",
    make: () => ({ bytes: withInt().build({ flags: 0x80 }), reason: "unsupported flags 0x80 (must be 0)", offset: 3 }),
  },
  {
    name: "hdr_len 16 (< 24)",
    make: () => ({ bytes: withInt().build({ hdrLen: 16 }), reason: "header length 16 is smaller than 24", offset: 4 }),
  },
  {
    name: "hdr_len 0",
    make: () => ({ bytes: withInt().build({ hdrLen: 0 }), reason: "header length 0 is smaller than 24", offset: 4 }),
  },
  {
    name: "hdr_len one past the blob size",
    make: () => {
      const size = withInt().build().length;
      return { bytes: withInt().build({ hdrLen: size + 1 }), reason: `header length ${size + 1} exceeds the blob size ${size}`, offset: 4 };
    },
  },
  {
    name: "hdr_len 0xffffffff",
    make: () => {
      const b = withInt().build({ hdrLen: 0xffffffff });
      return { bytes: b, reason: `header length 4294967295 exceeds the blob size ${b.length}`, offset: 4 };
    },
  },
  {
    name: "non-zero byte in an extended header (hdr_len 32)",
    make: () => ({
      bytes: withInt().build({ ext: [0, 0, 0, 0, 0, 1, 0, 0] }),
      reason: "unsupported header extension: non-zero byte in bytes 24..31 of the header",
      offset: 29,
    }),
  },
  {
    name: "unaligned type_off",
    make: () => ({ bytes: withInt().build({ typeOff: 1 }), reason: "type section offset 1 is not 4-byte aligned", offset: 8 }),
  },
  {
    name: "type_len not a multiple of 4",
    make: () => ({ bytes: withInt().build({ typeLen: 14 }), reason: "type section length 14 is not a multiple of 4", offset: 12 }),
  },
  {
    name: "type section runs past the data",
    make: () => {
      const w = withInt(); // 16 bytes of types + 5 of strings = 21 bytes of data
      return {
        bytes: w.build({ typeLen: 24 }),
        reason: "type section [0, 24) runs past the end of the data (21 bytes after the header)",
        offset: 8,
      };
    },
  },
  {
    name: "type_off 0xfffffffc + type_len 8 overflows u32",
    make: () => ({
      bytes: withInt().build({ typeOff: 0xfffffffc, typeLen: 8 }),
      reason: "type section [4294967292, 4294967300) runs past the end of the data (21 bytes after the header)",
      offset: 8,
    }),
  },
  {
    name: "type_len 0xfffffffc",
    make: () => ({
      bytes: withInt().build({ typeLen: 0xfffffffc }),
      reason: "type section [0, 4294967292) runs past the end of the data (21 bytes after the header)",
      offset: 8,
    }),
  },
  {
    name: "string section runs one byte past the data",
    make: () => ({
      bytes: withInt().build({ strOff: 21, strLen: 1 }),
      reason: "string section [21, 22) runs past the end of the data (21 bytes after the header)",
      offset: 16,
    }),
  },
  {
    name: "str_off 0xffffffff",
    make: () => ({
      bytes: withInt().build({ strOff: 0xffffffff }),
      reason: "string section [4294967295, 4294967300) runs past the end of the data (21 bytes after the header)",
      offset: 16,
    }),
  },
  {
    name: "str_len 0xffffffff (str_off + str_len wraps u32)",
    make: () => ({
      bytes: withInt().build({ strLen: 0xffffffff }),
      reason: "string section [16, 4294967311) runs past the end of the data (21 bytes after the header)",
      offset: 16,
    }),
  },
  {
    name: "type and string sections overlap",
    make: () => {
      // 16 bytes of types at [0, 16), strings at [12, 17): the blob has exactly 17 bytes of data.
      const w = withInt();
      const b = w.build({ strOff: 12, truncate: 24 + 17 });
      return { bytes: b, reason: "type section [0, 16) overlaps string section [12, 17)", offset: 8 };
    },
  },
  {
    name: "string section larger than name offsets can address (16 MiB + 1)",
    make: () => {
      const strings = new Uint8Array(0x1000001);
      return {
        bytes: new Writer().build({ strings }),
        reason: "string section is 16777217 bytes, more than the 16777216 that name offsets can address",
        offset: 20,
      };
    },
  },
];

const stringCases: Case[] = [
  {
    name: "empty string section",
    make: () => ({
      bytes: withInt().build({ strings: new Uint8Array(0) }),
      reason: "string section is empty (it must at least hold the empty string)",
      offset: 20,
    }),
  },
  {
    name: "string section does not start with NUL",
    make: () => {
      const w = withInt();
      return {
        bytes: w.build({ strings: utf8.encode("xint\0") }),
        reason: "string section must start with an empty string (NUL byte)",
        offset: w.strAt(),
      };
    },
  },
  {
    name: "string section not NUL-terminated",
    make: () => {
      const w = withInt(); // "\0int\0" -> "\0int"
      return {
        bytes: w.build({ strings: utf8.encode("\0int") }),
        reason: "string section is not NUL-terminated",
        offset: w.strAt(3),
      };
    },
  },
  {
    name: "type name offset equal to the string section length",
    make: () => {
      const w = new Writer();
      w.int("int");
      w.rec(w.strLen + 0, info(K.TYPEDEF), 1); // strLen is 5 after "int"
      return { bytes: w.build(), reason: "name offset 5 is outside the string section (5 bytes)", offset: w.at(2), typeId: 2 };
    },
  },
  {
    name: "type name offset 0xffffffff",
    make: () => {
      const w = new Writer();
      w.rec(0xffffffff, info(K.INT), 4, 32);
      return { bytes: w.build(), reason: "name offset 4294967295 is outside the string section (1 bytes)", offset: w.at(1), typeId: 1 };
    },
  },
  {
    name: "member name offset out of range",
    make: () => {
      const w = withInt();
      const id = w.rec("s", info(K.STRUCT, 2), 8, w.s("a"), 1, 0, 0x7fffffff, 1, 32);
      return {
        bytes: w.build(),
        reason: `name offset 2147483647 is outside the string section (${w.strLen} bytes)`,
        offset: w.at(id, 12 + 12),
        typeId: id,
      };
    },
  },
  {
    name: "FUNC_PROTO parameter name offset out of range",
    make: () => {
      const w = withInt();
      const id = w.rec(0, info(K.FUNC_PROTO, 1), 1, 1000, 1);
      return { bytes: w.build(), reason: `name offset 1000 is outside the string section (${w.strLen} bytes)`, offset: w.at(id, 12), typeId: id };
    },
  },
];

const recordCases: Case[] = [
  {
    name: "truncated type header (8 bytes left)",
    make: () => {
      const w = withInt();
      w.raw(0, info(K.PTR));
      return {
        bytes: w.build(),
        reason: "truncated type record: 8 bytes left, a type header needs 12",
        offset: w.at(1, 16),
        typeId: 2,
      };
    },
  },
  {
    name: "INT record without its data word",
    make: () => {
      const w = withInt();
      w.raw(w.s("short"), info(K.INT), 2);
      return { bytes: w.build(), reason: "truncated INT record: vlen 0 needs 16 bytes, only 12 left in the type section", offset: w.at(1, 16), typeId: 2 };
    },
  },
  {
    name: "STRUCT with vlen 0xffff and one member",
    make: () => {
      const w = withInt();
      const id = w.rec("s", info(K.STRUCT, 0xffff), 4, w.s("a"), 1, 0);
      return {
        bytes: w.build(),
        reason: "truncated STRUCT record: vlen 65535 needs 786432 bytes, only 24 left in the type section",
        offset: w.at(id),
        typeId: id,
      };
    },
  },
  {
    name: "FUNC_PROTO with vlen 0xffff and no parameters",
    make: () => {
      const w = withInt();
      const id = w.rec(0, info(K.FUNC_PROTO, 0xffff), 1);
      return {
        bytes: w.build(),
        reason: "truncated FUNC_PROTO record: vlen 65535 needs 524292 bytes, only 12 left in the type section",
        offset: w.at(id),
        typeId: id,
      };
    },
  },
  {
    name: "ENUM with vlen 3 and one value, followed by the string section",
    make: () => {
      const w = new Writer();
      const id = w.rec("e", info(K.ENUM, 3), 4, w.s("A"), 0);
      return {
        bytes: w.build(),
        reason: "truncated ENUM record: vlen 3 needs 36 bytes, only 20 left in the type section",
        offset: w.at(id),
        typeId: id,
      };
    },
  },
  {
    name: "reserved info bit 16 set",
    make: () => {
      const w = new Writer();
      w.rec("int", info(K.INT) | 0x10000, 4, 32);
      return { bytes: w.build(), reason: "reserved bits set in info word 0x01010000", offset: w.at(1, 4), typeId: 1 };
    },
  },
  {
    name: "reserved info bit 29 set",
    make: () => {
      const w = withInt();
      w.rec(0, (info(K.PTR) | 0x20000000) >>> 0, 1);
      return { bytes: w.build(), reason: "reserved bits set in info word 0x22000000", offset: w.at(2, 4), typeId: 2 };
    },
  },
  {
    name: "kind 0 (UNKN is never encoded)",
    make: () => {
      const w = withInt();
      w.rec(0, 0, 0);
      return { bytes: w.build(), reason: "unknown kind 0", offset: w.at(2, 4), typeId: 2 };
    },
  },
  {
    name: "kind 20",
    make: () => {
      const w = withInt();
      w.rec(0, info(20), 0);
      return { bytes: w.build(), reason: "unknown kind 20", offset: w.at(2, 4), typeId: 2 };
    },
  },
  {
    name: "kind 31",
    make: () => {
      const w = withInt();
      w.rec(0, info(31), 0);
      return { bytes: w.build(), reason: "unknown kind 31", offset: w.at(2, 4), typeId: 2 };
    },
  },
  ...(
    [
      ["INT", (w: Writer) => w.rec("i", info(K.INT, 0, true), 4, 32)],
      ["PTR", (w: Writer) => w.rec(0, info(K.PTR, 0, true), 1)],
      ["ARRAY", (w: Writer) => w.rec(0, info(K.ARRAY, 0, true), 0, 1, 1, 2)],
      ["FUNC", (w: Writer) => w.rec("f", info(K.FUNC, 0, true), 1)],
      ["VAR", (w: Writer) => w.rec("v", info(K.VAR, 0, true), 1, 1)],
      ["FLOAT", (w: Writer) => w.rec("float", info(K.FLOAT, 0, true), 4)],
    ] as const
  ).map(
    ([kind, add]): Case => ({
      name: `kind_flag on ${kind}`,
      make: () => {
        const w = withInt();
        const id = add(w);
        return { bytes: w.build(), reason: `kind_flag is not allowed on ${kind}`, offset: w.at(id, 4), typeId: id };
      },
    }),
  ),
  {
    name: "vlen 1 on PTR",
    make: () => {
      const w = withInt();
      w.rec(0, info(K.PTR, 1), 1);
      return { bytes: w.build(), reason: "PTR must have vlen 0, has 1", offset: w.at(2, 4), typeId: 2 };
    },
  },
  {
    name: "vlen 2 on TYPEDEF",
    make: () => {
      const w = withInt();
      w.rec("t", info(K.TYPEDEF, 2), 1);
      return { bytes: w.build(), reason: "TYPEDEF must have vlen 0, has 2", offset: w.at(2, 4), typeId: 2 };
    },
  },
  {
    name: "INT size 3",
    make: () => {
      const w = new Writer();
      w.int("i24", 3, 0, 24);
      return { bytes: w.build(), reason: "INT size 3 is not 1, 2, 4, 8 or 16", offset: w.at(1, 8), typeId: 1 };
    },
  },
  {
    name: "INT size 0",
    make: () => {
      const w = new Writer();
      w.int("i0", 0, 0, 0);
      return { bytes: w.build(), reason: "INT size 0 is not 1, 2, 4, 8 or 16", offset: w.at(1, 8), typeId: 1 };
    },
  },
  {
    name: "INT encoding 3 (SIGNED|CHAR)",
    make: () => {
      const w = new Writer();
      w.int("c", 1, 3, 8);
      return { bytes: w.build(), reason: "INT encoding 3 is not one of none, SIGNED, CHAR, BOOL", offset: w.at(1, 12), typeId: 1 };
    },
  },
  {
    name: "INT encoding 8",
    make: () => {
      const w = new Writer();
      w.int("c", 1, 8, 8);
      return { bytes: w.build(), reason: "INT encoding 8 is not one of none, SIGNED, CHAR, BOOL", offset: w.at(1, 12), typeId: 1 };
    },
  },
  {
    name: "INT nr_bits 33 in 4 bytes",
    make: () => {
      const w = new Writer();
      w.int("i", 4, 1, 33);
      return { bytes: w.build(), reason: "INT bits_offset 0 + nr_bits 33 exceed its 32 bits", offset: w.at(1, 12), typeId: 1 };
    },
  },
  {
    name: "INT bits_offset 30 + nr_bits 8 in 4 bytes",
    make: () => {
      const w = new Writer();
      w.int("i", 4, 0, 8, 30);
      return { bytes: w.build(), reason: "INT bits_offset 30 + nr_bits 8 exceed its 32 bits", offset: w.at(1, 12), typeId: 1 };
    },
  },
  {
    name: "INT nr_bits 129 in 16 bytes",
    make: () => {
      const w = new Writer();
      w.int("__int128", 16, 1, 129);
      return { bytes: w.build(), reason: "INT bits_offset 0 + nr_bits 129 exceed its 128 bits", offset: w.at(1, 12), typeId: 1 };
    },
  },
  {
    name: "INT reserved data bit 28",
    make: () => {
      const w = new Writer();
      w.rec("i", info(K.INT), 4, 0x10000020);
      return { bytes: w.build(), reason: "reserved bits set in INT data 0x10000020", offset: w.at(1, 12), typeId: 1 };
    },
  },
  {
    name: "INT reserved data bit 8",
    make: () => {
      const w = new Writer();
      w.rec("i", info(K.INT), 4, 0x120);
      return { bytes: w.build(), reason: "reserved bits set in INT data 0x120", offset: w.at(1, 12), typeId: 1 };
    },
  },
  {
    name: "ARRAY with a non-zero size field",
    make: () => {
      const w = withInt();
      w.rec(0, info(K.ARRAY), 16, 1, 1, 4);
      return { bytes: w.build(), reason: "ARRAY size field must be 0, is 16", offset: w.at(2, 8), typeId: 2 };
    },
  },
  {
    name: "FWD with a non-zero size/type field",
    make: () => {
      const w = new Writer();
      w.rec("task_struct", info(K.FWD), 1);
      return { bytes: w.build(), reason: "FWD size/type field must be 0, is 1", offset: w.at(1, 8), typeId: 1 };
    },
  },
  ...(
    [
      ["PTR", (w: Writer) => w.rec("p", info(K.PTR), 1)],
      ["CONST", (w: Writer) => w.rec("p", info(K.CONST), 1)],
      ["ARRAY", (w: Writer) => w.rec("p", info(K.ARRAY), 0, 1, 1, 1)],
      ["FUNC_PROTO", (w: Writer) => w.rec("p", info(K.FUNC_PROTO), 1)],
    ] as const
  ).map(
    ([kind, add]): Case => ({
      name: `${kind} with a name`,
      make: () => {
        const w = withInt();
        const id = add(w);
        return { bytes: w.build(), reason: `${kind} must not have a name, has 'p'`, offset: w.at(id), typeId: id };
      },
    }),
  ),
  ...(
    [
      ["TYPEDEF", (w: Writer) => w.rec(0, info(K.TYPEDEF), 1)],
      ["FUNC", (w: Writer) => w.rec(0, info(K.FUNC), w.proto(0, []))],
      ["VAR", (w: Writer) => w.rec(0, info(K.VAR), 1, 1)],
      ["FWD", (w: Writer) => w.rec(0, info(K.FWD), 0)],
      ["DATASEC", (w: Writer) => w.rec(0, info(K.DATASEC), 0)],
      ["FLOAT", (w: Writer) => w.rec(0, info(K.FLOAT), 8)],
      ["DECL_TAG", (w: Writer) => w.rec(0, info(K.DECL_TAG), w.var("v", 1), 0xffffffff)],
      ["TYPE_TAG", (w: Writer) => w.rec(0, info(K.TYPE_TAG), 1)],
    ] as const
  ).map(
    ([kind, add]): Case => ({
      name: `${kind} without a name`,
      make: () => {
        const w = withInt();
        const id = add(w);
        return { bytes: w.build(), reason: `${kind} must have a name`, offset: w.at(id), typeId: id };
      },
    }),
  ),
  {
    name: "FUNC linkage 3",
    make: () => {
      const w = withInt();
      const proto = w.proto(1, []);
      const id = w.func("f", proto, 3);
      return { bytes: w.build(), reason: "FUNC linkage 3 is not static (0), global (1) or extern (2)", offset: w.at(id, 4), typeId: id };
    },
  },
  {
    name: "VAR linkage 3",
    make: () => {
      const w = withInt();
      const id = w.var("v", 1, 3);
      return { bytes: w.build(), reason: "VAR linkage 3 is not static (0), global (1) or extern (2)", offset: w.at(id, 12), typeId: id };
    },
  },
  {
    name: "VAR linkage 0xffffffff",
    make: () => {
      const w = withInt();
      const id = w.var("v", 1, 0xffffffff);
      return { bytes: w.build(), reason: "VAR linkage 4294967295 is not static (0), global (1) or extern (2)", offset: w.at(id, 12), typeId: id };
    },
  },
  {
    name: "ENUM size 3",
    make: () => {
      const w = new Writer();
      w.enum("e", 3, [["A", 0]]);
      return { bytes: w.build(), reason: "ENUM size 3 is not 1, 2, 4 or 8", offset: w.at(1, 8), typeId: 1 };
    },
  },
  {
    name: "ENUM size 0 with values (only a forward declaration, vlen 0, may have size 0)",
    make: () => {
      const w = new Writer();
      w.enum("e", 0, [["A", 0]]);
      return { bytes: w.build(), reason: "ENUM size 0 is not 1, 2, 4 or 8", offset: w.at(1, 8), typeId: 1 };
    },
  },
  {
    name: "ENUM64 size 0",
    make: () => {
      const w = new Writer();
      w.enum64("e", 0, [["A", 1n]]);
      return { bytes: w.build(), reason: "ENUM64 size 0 is not 1, 2, 4 or 8", offset: w.at(1, 8), typeId: 1 };
    },
  },
  {
    name: "ENUM value with an empty name",
    make: () => {
      const w = new Writer();
      w.enum("e", 4, [["A", 0], ["", 1]]);
      return { bytes: w.build(), reason: "ENUM value 1 has no name", offset: w.at(1, 12 + 8), typeId: 1 };
    },
  },
  {
    name: "ENUM64 value with an empty name",
    make: () => {
      const w = new Writer();
      w.enum64("e", 8, [["", 1n << 40n]]);
      return { bytes: w.build(), reason: "ENUM64 value 0 has no name", offset: w.at(1, 12), typeId: 1 };
    },
  },
  {
    name: "FUNC_PROTO with a void parameter in the middle",
    make: () => {
      const w = withInt();
      const id = w.proto(1, [["a", 1], ["b", 0], ["c", 1]]);
      return {
        bytes: w.build(),
        reason: "FUNC_PROTO parameter 1 has type void; only the last parameter may (variadic '...')",
        offset: w.at(id, 12 + 8),
        typeId: id,
      };
    },
  },
  {
    name: "FUNC_PROTO with a named variadic marker",
    make: () => {
      const w = withInt();
      const id = w.proto(1, [["fmt", 1], ["rest", 0]]);
      return {
        bytes: w.build(),
        reason: "FUNC_PROTO variadic marker (last parameter, type void) must have no name, has 'rest'",
        offset: w.at(id) + 12 + 8, // the second btf_param, after the 12-byte type header and the first param
        typeId: id,
      };
    },
  },
  {
    name: "DATASEC variable past the section size",
    make: () => {
      const w = withInt();
      const v = w.var("v", 1);
      const id = w.datasec(".data", 8, [[v, 4, 8]]);
      return { bytes: w.build(), reason: "DATASEC variable 0 [4, 12) runs past the section size 8", offset: w.at(id, 12), typeId: id };
    },
  },
  {
    name: "DATASEC variable offset 0xffffffff",
    make: () => {
      const w = withInt();
      const v = w.var("v", 1);
      const id = w.datasec(".bss", 8, [[v, 0, 4], [v, 0xffffffff, 4]]);
      return {
        bytes: w.build(),
        reason: "DATASEC variable 1 [4294967295, 4294967299) runs past the section size 8",
        offset: w.at(id, 12 + 12),
        typeId: id,
      };
    },
  },
  {
    name: "DECL_TAG component_idx -2",
    make: () => {
      const w = withInt();
      const s = w.struct("s", 4, [["a", 1, 0]]);
      const id = w.declTag("tag", s, -2);
      return { bytes: w.build(), reason: "DECL_TAG component_idx -2 is below -1", offset: w.at(id, 12), typeId: id };
    },
  },
  {
    name: "FLOAT size 3",
    make: () => {
      const w = new Writer();
      w.float("f24", 3);
      return { bytes: w.build(), reason: "FLOAT size 3 is not 2, 4, 8, 12 or 16", offset: w.at(1, 8), typeId: 1 };
    },
  },
  {
    name: "more than 0xfffff types",
    make: () => {
      const n = 0x100000; // ids 1..0x100000: the last one is one too many
      const types = new Uint8Array(12 * n);
      const v = new DataView(types.buffer);
      for (let i = 0; i < n; i++) v.setUint32(12 * i + 4, info(K.PTR), true);
      return { bytes: new Writer().build({ types }), reason: "more than 1048575 types", offset: 24 + 12 * 0xfffff, typeId: 0x100000 };
    },
  },
];

const graphCases: Case[] = [
  {
    name: "PTR to a type id past the last one",
    make: () => {
      const w = withInt();
      w.ptr(3);
      return { bytes: w.build(), reason: "PTR refers to type id 3, but the last type id is 2", typeId: 2 };
    },
  },
  {
    name: "member type id out of range",
    make: () => {
      const w = withInt();
      w.struct("s", 8, [["a", 1, 0], ["b", 0xffffffff, 32]]);
      return { bytes: w.build(), reason: "member 1 ('b') refers to type id 4294967295, but the last type id is 2", typeId: 2 };
    },
  },
  {
    name: "FUNC_PROTO parameter type id out of range",
    make: () => {
      const w = withInt();
      w.proto(1, [["a", 1], ["b", 7]]);
      return { bytes: w.build(), reason: "FUNC_PROTO parameter 1 refers to type id 7, but the last type id is 2", typeId: 2 };
    },
  },
  {
    name: "FUNC_PROTO return type id out of range",
    make: () => {
      const w = withInt();
      w.proto(0x100000, []);
      return { bytes: w.build(), reason: "FUNC_PROTO return type refers to type id 1048576, but the last type id is 2", typeId: 2 };
    },
  },
  {
    name: "ARRAY element type id out of range",
    make: () => {
      const w = withInt();
      w.array(3, 1, 4);
      return { bytes: w.build(), reason: "ARRAY element type refers to type id 3, but the last type id is 2", typeId: 2 };
    },
  },
  {
    name: "ARRAY index type id out of range",
    make: () => {
      const w = withInt();
      w.array(1, 99, 4);
      return { bytes: w.build(), reason: "ARRAY index type refers to type id 99, but the last type id is 2", typeId: 2 };
    },
  },
  {
    name: "ARRAY of void",
    make: () => {
      const w = withInt();
      w.array(0, 1, 4);
      return { bytes: w.build(), reason: "ARRAY element type is void", typeId: 2 };
    },
  },
  {
    name: "struct member of type void",
    make: () => {
      const w = withInt();
      w.struct("s", 4, [["a", 0, 0]]);
      return { bytes: w.build(), reason: "member 0 ('a') has type void", typeId: 2 };
    },
  },
  {
    name: "kflag struct: bitfield past the end of the struct",
    make: () => {
      const w = withInt();
      w.struct("s", 4, [["a", 1, (8 << 24) | 28]], true);
      return { bytes: w.build(), reason: "bitfield member 0 ('a') ends at bit 36, past the 32-bit STRUCT", typeId: 2 };
    },
  },
  {
    name: "kflag struct: non-bitfield member at an unaligned bit offset",
    make: () => {
      const w = withInt();
      w.struct("s", 8, [["a", 1, 4]], true);
      return { bytes: w.build(), reason: "member 0 ('a') is not a bitfield but its bit offset 4 is not byte-aligned", typeId: 2 };
    },
  },
  {
    name: "FUNC pointing at an INT",
    make: () => {
      const w = withInt();
      w.func("f", 1);
      return { bytes: w.build(), reason: "FUNC 'f' refers to type 1 of kind INT, expected FUNC_PROTO", typeId: 2 };
    },
  },
  {
    name: "FUNC pointing at void",
    make: () => {
      const w = withInt();
      w.func("f", 0);
      return { bytes: w.build(), reason: "FUNC 'f' refers to type 0 of kind UNKNOWN, expected FUNC_PROTO", typeId: 2 };
    },
  },
  {
    name: "VAR of type void",
    make: () => {
      const w = withInt();
      w.var("v", 0);
      return { bytes: w.build(), reason: "VAR 'v' has type void", typeId: 2 };
    },
  },
  {
    name: "DATASEC entry pointing at an INT",
    make: () => {
      const w = withInt();
      w.datasec(".data", 4, [[1, 0, 4]]);
      return { bytes: w.build(), reason: "DATASEC '.data' entry 0 refers to type 1 of kind INT, expected VAR or FUNC", typeId: 2 };
    },
  },
  {
    name: "DECL_TAG on an INT",
    make: () => {
      const w = withInt();
      w.declTag("tag", 1);
      return {
        bytes: w.build(),
        reason: "DECL_TAG 'tag' is attached to a INT; it must tag a struct, union, func, var or typedef",
        typeId: 2,
      };
    },
  },
  {
    name: "DECL_TAG component_idx past the struct's members",
    make: () => {
      const w = withInt();
      const s = w.struct("s", 8, [["a", 1, 0], ["b", 1, 32]]);
      const id = w.declTag("tag", s, 2);
      return { bytes: w.build(), reason: "DECL_TAG 'tag' component_idx 2 is out of range (target has 2 components)", typeId: id };
    },
  },
  {
    name: "DECL_TAG component_idx past the function's parameters",
    make: () => {
      const w = withInt();
      const f = w.func("f", w.proto(1, [["x", 1]]));
      const id = w.declTag("tag", f, 1);
      return { bytes: w.build(), reason: "DECL_TAG 'tag' component_idx 1 is out of range (target has 1 components)", typeId: id };
    },
  },
  {
    name: "DECL_TAG component_idx 0 on a VAR",
    make: () => {
      const w = withInt();
      const id = w.declTag("tag", w.var("v", 1), 0);
      return { bytes: w.build(), reason: "DECL_TAG 'tag' component_idx 0 is out of range (target has 0 components)", typeId: id };
    },
  },
  {
    name: "self-referencing TYPEDEF",
    make: () => {
      const w = withInt();
      w.typedef("t", 2);
      return { bytes: w.build(), reason: "TYPEDEF refers to itself", typeId: 2 };
    },
  },
  {
    name: "self-referencing PTR",
    make: () => {
      const w = withInt();
      w.ptr(2);
      return { bytes: w.build(), reason: "PTR refers to itself", typeId: 2 };
    },
  },
  {
    name: "cycle CONST -> VOLATILE -> CONST",
    make: () => {
      const w = new Writer();
      w.cnst(2);
      w.vol(1);
      return { bytes: w.build(), reason: "type loop: [1] CONST -> [2] VOLATILE -> [1]", typeId: 1 };
    },
  },
  {
    name: "cycle TYPEDEF -> ARRAY -> TYPEDEF",
    make: () => {
      const w = withInt();
      w.typedef("t", 3);
      w.array(2, 1, 4);
      return { bytes: w.build(), reason: "type loop: [2] TYPEDEF -> [3] ARRAY -> [2]", typeId: 2 };
    },
  },
  {
    name: "struct containing itself by value",
    make: () => {
      const w = withInt();
      w.struct("s", 8, [["a", 1, 0], ["self", 2, 32]]);
      return { bytes: w.build(), reason: "type loop: [2] STRUCT -> [2]", typeId: 2 };
    },
  },
  {
    name: "structs A and B containing each other by value",
    make: () => {
      const w = withInt();
      w.struct("A", 8, [["b", 3, 0]]);
      w.struct("B", 8, [["a", 2, 0]]);
      return { bytes: w.build(), reason: "type loop: [2] STRUCT -> [3] STRUCT -> [2]", typeId: 2 };
    },
  },
];

/** Split BTF on top of `[1] INT int, [2] STRUCT base_s { int x; }`. */
function splitSetup(): { base: Btf; w: Writer } {
  const b = withInt();
  b.struct("base_s", 4, [["x", 1, 0]]);
  const base = parseBtf(b.build());
  return { base, w: new Writer({ startId: base.typeCount, baseStrLen: b.strLen }) };
}

const splitCases: Case[] = [
  {
    name: "split BTF: PTR past the last id of base + split",
    make: () => {
      const { base, w } = splitSetup();
      w.ptr(2);
      const id = w.ptr(5);
      return { bytes: w.build(), base, reason: "PTR refers to type id 5, but the last type id is 4", typeId: id };
    },
  },
  {
    name: "split BTF: name offset past base + split strings",
    make: () => {
      const { base, w } = splitSetup();
      w.typedef("mod_t", 1);
      const end = base.strings!.length + w.strLen;
      const id = w.rec(end, info(K.TYPEDEF), 1);
      return { bytes: w.build(), base, reason: `name offset ${end} is outside the string section (${end} bytes)`, offset: w.at(id), typeId: id };
    },
  },
  {
    name: "split BTF: string section not NUL-terminated",
    make: () => {
      const { base, w } = splitSetup();
      w.typedef("mod_t", 1);
      return { bytes: w.build({ strings: utf8.encode("mod_t") }), base, reason: "string section is not NUL-terminated", offset: w.strAt(4) };
    },
  },
];

const vmlinuxCases: Case[] = [
  {
    name: "vmlinux with flags 0x1",
    make: () => {
      const b = vmlinux();
      b[3] = 1;
      return { bytes: b, reason: "unsupported flags 0x1 (must be 0)", offset: 3 };
    },
  },
  {
    name: "vmlinux truncated by one byte",
    make: () => {
      const full = vmlinux();
      const b = full.subarray(0, full.length - 1);
      const strOff = getU32(b, 16);
      const strLen = getU32(b, 20);
      const dataLen = b.length - 24;
      return {
        bytes: b,
        reason: `string section [${strOff}, ${strOff + strLen}) runs past the end of the data (${dataLen} bytes after the header)`,
        offset: 16,
      };
    },
  },
  {
    name: "vmlinux with its last string byte overwritten",
    make: () => {
      const b = vmlinux();
      b[b.length - 1] = 0x41;
      return { bytes: b, reason: "string section is not NUL-terminated", offset: b.length - 1 };
    },
  },
  {
    name: "vmlinux type 1 with kind 0",
    make: () => {
      const b = setU32(vmlinux(), 24 + 4, 0);
      return { bytes: b, reason: "unknown kind 0", offset: 28, typeId: 1 };
    },
  },
  {
    name: "vmlinux type 1 with a name offset equal to the string section length",
    make: () => {
      const b = vmlinux();
      const strLen = getU32(b, 20);
      setU32(b, 24, strLen);
      return { bytes: b, reason: `name offset ${strLen} is outside the string section (${strLen} bytes)`, offset: 24, typeId: 1 };
    },
  },
  {
    name: "vmlinux type 2 (CONST) given a name",
    make: () => {
      const b = vmlinux();
      const at = recordOffsets(b)[2]!;
      expect(getU32(b, at + 4)).toBe(info(K.CONST));
      setU32(b, at, 1);
      return { bytes: b, reason: `CONST must not have a name, has '${stringAt(b, 1)}'`, offset: at, typeId: 2 };
    },
  },
  {
    name: "vmlinux type 1 (INT 'long unsigned int') with size 3",
    make: () => {
      const b = setU32(vmlinux(), 24 + 8, 3);
      return { bytes: b, reason: "INT size 3 is not 1, 2, 4, 8 or 16", offset: 32, typeId: 1 };
    },
  },
  {
    name: "vmlinux last type with vlen + 1 (runs into the string section)",
    make: () => {
      const b = vmlinux();
      const offs = recordOffsets(b);
      const id = offs.length - 1;
      const at = offs[id]!;
      const inf = getU32(b, at + 4);
      const kind = (inf >>> 24) & 0x1f;
      const vlen = inf & 0xffff;
      expect(kind).toBe(K.DATASEC);
      setU32(b, at + 4, inf + 1);
      return {
        bytes: b,
        reason: `truncated DATASEC record: vlen ${vlen + 1} needs ${encodedTypeSize(kind, vlen + 1)} bytes, only ${encodedTypeSize(kind, vlen)} left in the type section`,
        offset: at,
        typeId: id,
      };
    },
  },
  {
    name: "vmlinux type 4 (ARRAY) with index type 0xffffff",
    make: () => {
      const b = vmlinux();
      const offs = recordOffsets(b);
      expect(getU32(b, offs[4]! + 4)).toBe(info(K.ARRAY));
      setU32(b, offs[4]! + 16, 0xffffff);
      return { bytes: b, reason: `ARRAY index type refers to type id 16777215, but the last type id is ${offs.length - 1}`, typeId: 4 };
    },
  },
  {
    name: "vmlinux type 3 (VOLATILE) pointing at itself",
    make: () => {
      const b = vmlinux();
      const offs = recordOffsets(b);
      expect(getU32(b, offs[3]! + 4)).toBe(info(K.VOLATILE));
      setU32(b, offs[3]! + 8, 3);
      return { bytes: b, reason: "VOLATILE refers to itself", typeId: 3 };
    },
  },
  {
    name: "vmlinux type 2 (CONST) pointing at type 3 (VOLATILE -> 2): a loop",
    make: () => {
      const b = vmlinux();
      const offs = recordOffsets(b);
      expect(getU32(b, offs[3]! + 8)).toBe(2);
      setU32(b, offs[2]! + 8, 3);
      return { bytes: b, reason: "type loop: [2] CONST -> [3] VOLATILE -> [2]", typeId: 2 };
    },
  },
];

// Corruptions the kernel's BTF verifier (kernel/bpf/btf.c) rejects but
// parseBtf accepted when these tests were written. The reasons are regexes
// (the wording is the fixer's choice); the locations are exact.
const kernelParityCases: Case[] = [
  {
    name: "trailing bytes after the string section (kernel: 'Unsupported section found')",
    make: () => {
      const w = withInt();
      return { bytes: w.build({ trailing: 4 }), reason: /trailing|unused|not covered|not at the end/i, offset: w.strAt(w.strLen) };
    },
  },
  {
    name: "gap between the type and string sections (kernel: 'Unsupported section found')",
    make: () => {
      const w = withInt();
      return { bytes: w.build({ gap: 4 }), reason: /gap|unused|not covered/i, offset: w.strAt() };
    },
  },
  {
    name: "string section before the type section (kernel: 'String section is not at the end'; libbpf: 'Invalid BTF data sections layout')",
    make: () => {
      const w = new Writer();
      w.int("ints"); // strings "\0ints\0" are 6 bytes: pad to 8 so type_off stays aligned and nothing is left over
      w.s("x");
      expect(w.strLen).toBe(8);
      return { bytes: w.build({ stringsFirst: true }), reason: /string section/i, offset: 16 };
    },
  },
  {
    name: "ARRAY index type void (kernel: 'Invalid index')",
    make: () => {
      const w = withInt();
      const id = w.array(1, 0, 4);
      return { bytes: w.build(), reason: /ARRAY index type/, typeId: id };
    },
  },
  {
    name: "ARRAY index type is a STRUCT (kernel: 'Invalid index')",
    make: () => {
      const w = withInt();
      const s = w.struct("s", 4, [["a", 1, 0]]);
      const id = w.array(1, s, 4);
      return { bytes: w.build(), reason: /ARRAY index type/, typeId: id };
    },
  },
  {
    name: "ARRAY of FUNC_PROTO (kernel: 'Invalid elem')",
    make: () => {
      const w = withInt();
      const p = w.proto(1, []);
      const id = w.array(p, 1, 4);
      return { bytes: w.build(), reason: /ARRAY element type/, typeId: id };
    },
  },
  {
    name: "ARRAY of FWD (kernel: 'Invalid elem')",
    make: () => {
      const w = withInt();
      const f = w.fwd("opaque");
      const id = w.array(f, 1, 4);
      return { bytes: w.build(), reason: /ARRAY element type/, typeId: id };
    },
  },
  {
    name: "ARRAY size overflows u32: int[0x40000000] (kernel: 'Array size overflows U32_MAX')",
    make: () => {
      const w = withInt();
      const id = w.array(1, 1, 0x40000000);
      return { bytes: w.build(), reason: /overflow|too large|exceeds/i, typeId: id };
    },
  },
  {
    name: "UNION member at a non-zero bit offset (kernel: 'Invalid member bits_offset')",
    make: () => {
      const w = withInt();
      const id = w.union("u", 4, [["a", 1, 0], ["b", 1, 8]]);
      return { bytes: w.build(), reason: /member 1 .*offset/, typeId: id };
    },
  },
  {
    name: "STRUCT members out of offset order (kernel: 'Invalid member bits_offset')",
    make: () => {
      const w = withInt();
      const id = w.struct("s", 8, [["a", 1, 32], ["b", 1, 0]]);
      return { bytes: w.build(), reason: /member 1 .*offset/, typeId: id };
    },
  },
  {
    name: "STRUCT member offset past the struct size (kernel: 'Member bits_offset exceeds its struct size')",
    make: () => {
      const w = withInt();
      const id = w.struct("s", 8, [["a", 1, 0], ["b", 1, 0x10000]]);
      return { bytes: w.build(), reason: /member 1 .*(offset|size)/, typeId: id };
    },
  },
  {
    name: "STRUCT member extends past the struct size (kernel: 'Member exceeds struct_size')",
    make: () => {
      const w = withInt();
      const id = w.struct("s", 6, [["a", 1, 0], ["b", 1, 32]]);
      return { bytes: w.build(), reason: /member 1 /, typeId: id };
    },
  },
  {
    name: "STRUCT member of kind FUNC_PROTO (kernel: 'Invalid member')",
    make: () => {
      const w = withInt();
      const p = w.proto(1, []);
      const id = w.struct("s", 8, [["cb", p, 0]]);
      return { bytes: w.build(), reason: /member 0 /, typeId: id };
    },
  },
  {
    name: "PTR to a VAR (kernel: 'Invalid type_id')",
    make: () => {
      const w = withInt();
      const v = w.var("v", 1);
      const id = w.ptr(v);
      return { bytes: w.build(), reason: /PTR/, typeId: id };
    },
  },
  {
    name: "VAR of kind FUNC_PROTO (kernel: 'Invalid type_id')",
    make: () => {
      const w = withInt();
      const p = w.proto(1, []);
      const id = w.var("v", p);
      return { bytes: w.build(), reason: /VAR 'v'/, typeId: id };
    },
  },
  {
    name: "FUNC_PROTO parameter of kind VAR (kernel: 'Invalid arg#1')",
    make: () => {
      const w = withInt();
      const v = w.var("v", 1);
      const id = w.proto(1, [["x", v]]);
      return { bytes: w.build(), reason: /FUNC_PROTO parameter 0/, typeId: id };
    },
  },
  {
    name: "TYPEDEF name that is not a C identifier (kernel: 'Invalid name')",
    make: () => {
      const w = withInt();
      const id = w.typedef("1 bad-name", 1);
      return { bytes: w.build(), reason: /name/, offset: w.at(id), typeId: id };
    },
  },
];

// A wrong location rather than a missing check.
const locationBugCases: Case[] = [
  {
    name: "DECL_TAG on a FUNC whose prototype id is out of range: the error must name the FUNC, not the missing id",
    make: () => {
      const w = withInt();
      w.declTag("tag", 3); // [2]
      w.func("f", 99); // [3]
      return { bytes: w.build(), reason: "FUNC prototype refers to type id 99, but the last type id is 3", typeId: 3 };
    },
  },
];

const groups: [string, Case[]][] = [
  ["header", headerCases],
  ["string section", stringCases],
  ["type records", recordCases],
  ["type graph", graphCases],
  ["split BTF", splitCases],
  ["vmlinux corruptions", vmlinuxCases],
  ["kernel parity", kernelParityCases],
  ["error location", locationBugCases],
];

describe("parseBtf rejects malformed input with the exact BtfError", () => {
  for (const [group, cases] of groups) {
    describe(group, () => {
      for (const c of cases) it(c.name, () => expectBtfError(c.make()));
    });
  }

  it("has at least 40 corrupted blobs", () => {
    expect(groups.reduce((n, [, cases]) => n + cases.length, 0)).toBeGreaterThanOrEqual(40);
  });
});

// ---------------------------------------------------------------------------
// Positive controls: the same writer makes blobs the parser accepts.

describe("the writer's valid blobs parse (positive controls)", () => {
  it("a struct with a pointer to itself", () => {
    const w = withInt();
    w.struct("node", 16, [["val", 1, 0], ["next", 3, 64]]);
    w.ptr(2);
    const btf = parseBtf(w.build());
    expect(btf.typeCount).toBe(4);
    expect(btf.typeById(2)).toEqual({
      kind: K.STRUCT,
      name: "node",
      size: 16,
      kflag: false,
      members: [
        { name: "val", type: 1, bitsOffset: 0, bitfieldSize: 0 },
        { name: "next", type: 3, bitsOffset: 64, bitfieldSize: 0 },
      ],
    });
    expect(btf.typeById(3)).toEqual({ kind: K.PTR, name: "", type: 2 });
  });

  const variadic = (): Writer => {
    const w = withInt();
    const p = w.proto(1, [["fmt", 1], ["", 0]]);
    w.func("printf_like", p, 1);
    return w;
  };

  it("a variadic prototype and its FUNC", () => {
    const btf = parseBtf(variadic().build());
    const proto = btf.typeById(2);
    expect(proto.kind).toBe(K.FUNC_PROTO);
    if (proto.kind !== K.FUNC_PROTO) return;
    expect(isVariadic(proto)).toBe(true);
    expect(btf.typeById(3)).toEqual({ kind: K.FUNC, name: "printf_like", type: 2, linkage: 1 });
  });

  it("a forward-declared enum as clang 14 writes it: ENUM size 0, no values (libbpf/bpftool accept it)", () => {
    const w = new Writer();
    w.enum("e", 0, []);
    w.ptr(1);
    const btf = parseBtf(w.build());
    expect(btf.typeById(1)).toEqual({ kind: K.ENUM, name: "e", size: 0, signed: false, values: [] });
    expect(dumpC(btf)).toBe(C_DUMP_HEADER + "enum e;\n\n" + C_DUMP_FOOTER);
  });

  it("a prototype whose only parameter is the variadic marker", () => {
    const w = withInt();
    w.proto(1, [["", 0]]);
    expect(parseBtf(w.build()).typeCount).toBe(3);
  });

  it("the same blob big-endian", () => {
    const le = parseBtf(variadic().build());
    const be = parseBtf(variadic().build({ le: false }));
    expect(be.littleEndian).toBe(false);
    expect(be.types).toEqual(le.types);
  });

  it("an all-zero header extension (hdr_len 32)", () => {
    const w = variadic();
    const btf = parseBtf(w.build({ ext: new Array<number>(8).fill(0) }));
    expect(btf.types).toEqual(parseBtf(w.build()).types);
  });

  it("every kind", () => {
    const w = withInt(); // [1]
    w.ptr(4); // [2]
    w.array(1, 1, 4); // [3]
    w.struct("s", 24, [["a", 1, (3 << 24) | 0], ["b", 1, 32], ["arr", 3, 64]], true); // [4]
    w.union("u", 4, [["x", 1, 0], ["y", 6, 0]]); // [5]
    w.enum("e", 4, [["A", -1], ["B", 2]], true); // [6]
    w.fwd("f", true); // [7]
    w.typedef("t", 5); // [8]
    w.vol(1); // [9]
    w.cnst(9); // [10]
    w.restrict(2); // [11]
    w.proto(1, [["a", 1], ["", 0]]); // [12]
    w.func("fn", 12, 1); // [13]
    w.var("v", 1, 1); // [14]
    w.datasec(".data", 8, [[14, 0, 4]]); // [15]
    w.float("double", 8); // [16]
    w.declTag("tag1", 4, 0); // [17]
    w.declTag("tag2", 13, 0); // [18]
    w.typeTag("user", 1); // [19]
    w.enum64("e64", 8, [["BIG", 1n << 40n]], false); // [20]
    w.ptr(19); // [21]
    const btf = parseBtf(w.build());
    expect(btf.types.map((t) => t.kind)).toEqual([
      K.INT, K.PTR, K.ARRAY, K.STRUCT, K.UNION, K.ENUM, K.FWD, K.TYPEDEF, K.VOLATILE, K.CONST, K.RESTRICT,
      K.FUNC_PROTO, K.FUNC, K.VAR, K.DATASEC, K.FLOAT, K.DECL_TAG, K.DECL_TAG, K.TYPE_TAG, K.ENUM64, K.PTR,
    ]);
    expect(btf.typeById(4)).toMatchObject({ kflag: true, members: [{ name: "a", bitfieldSize: 3, bitsOffset: 0 }, { name: "b" }, { name: "arr" }] });
    expect(btf.typeById(6)).toMatchObject({ signed: true, values: [{ name: "A", value: -1 }, { name: "B", value: 2 }] });
    expect(btf.typeById(20)).toMatchObject({ values: [{ name: "BIG", value: 1n << 40n }] });
  });

  it("split BTF on a base", () => {
    const { base, w } = splitSetup();
    w.ptr(2);
    w.typedef("mod_t", 1);
    const btf = parseBtf(w.build(), { base });
    expect(btf.typeCount).toBe(5);
    expect(btf.typeById(3)).toEqual({ kind: K.PTR, name: "", type: 2 });
    expect(btf.typeById(4)).toEqual({ kind: K.TYPEDEF, name: "mod_t", type: 1 });
  });

  it("the unmodified vmlinux fixture", () => {
    const b = vmlinux();
    expect(parseBtf(b).typeCount).toBe(recordOffsets(b).length);
  });
});
