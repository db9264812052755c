// toJsonValue(): typed bytes as JSON data — structs, flattened anonymous
// members, arrays, char strings, exact 64-bit numbers, enums, pointers,
// bitfields, bools, floats, truncation and bad ids.
import { describe, expect, it } from "vitest";
import { BtfBuilder } from "../builder.js";
import { IntEncoding } from "../kinds.js";
import { jsonInteger, toJsonText, toJsonValue } from "./value-json.js";

function le(...fields: [number, number | bigint][]): Uint8Array {
  const out: number[] = [];
  for (const [size, value] of fields) {
    let v = BigInt.asUintN(size * 8, BigInt(value));
    for (let i = 0; i < size; i++) {
      out.push(Number(v & 0xffn));
      v >>= 8n;
    }
  }
  return Uint8Array.from(out);
}

const b = new BtfBuilder();
const int = b.int("int", 4, IntEncoding.SIGNED);
const char = b.int("char", 1, IntEncoding.SIGNED);
const uchar = b.int("unsigned char", 1);
const ull = b.int("long long unsigned int", 8);
const ll = b.int("long long int", 8, IntEncoding.SIGNED);
const bool = b.int("_Bool", 1, IntEncoding.BOOL);
const double = b.float("double", 8);
const u8 = b.typedef("__u8", uchar);
const u32 = b.typedef("u32", b.int("unsigned int", 4));
const u64 = b.typedef("u64", ull);
const pidType = b.enum("pid_type", 4, [
  ["PIDTYPE_PID", 0],
  ["PIDTYPE_TGID", 1],
]);

// struct qstr { union { struct { u32 hash; u32 len; }; u64 hash_len; }; const unsigned char *name; }
const hashS = b.struct("", 8);
b.field(hashS, "hash", u32, 0).field(hashS, "len", u32, 32);
const hashU = b.union("", 8);
b.field(hashU, "", hashS, 0).field(hashU, "hash_len", u64, 0);
const qstr = b.struct("qstr", 16);
b.field(qstr, "", hashU, 0).field(qstr, "name", b.ptr(b.const(uchar)), 64);

// struct task { char comm[8]; __u8 tag[4]; int v[2]; long long s; unsigned long long u; _Bool on; int f:3; unsigned int g:5; enum pid_type t; double d; }
const task = b.struct("task", 56);
b.field(task, "comm", b.array(char, int, 8), 0)
  .field(task, "tag", b.array(u8, int, 4), 64)
  .field(task, "v", b.array(int, int, 2), 96)
  .field(task, "s", ll, 160)
  .field(task, "u", ull, 224)
  .field(task, "on", bool, 288)
  .field(task, "f", int, 296, 3)
  .field(task, "g", u32, 299, 5)
  .field(task, "", int, 304, 4) // unnamed padding bitfield
  .field(task, "t", pidType, 320)
  .field(task, "d", double, 384);
const btf = b.finish();

describe("toJsonValue", () => {
  it("flattens anonymous members and renders pointers as hex", () => {
    const data = le([4, 4660], [4, 3], [8, 0xffff888012345678n]);
    expect(toJsonValue(btf, qstr, data)).toEqual({ hash: 4660, len: 3, hash_len: 12884906548, name: "0xffff888012345678" });
  });

  it("decodes every kind of member", () => {
    const data = new Uint8Array(56);
    data.set([0x66, 0x6f, 0x6f, 0, 0x62, 0x61, 0x72, 0], 0); // "foo\0bar\0"
    data.set([1, 2, 3, 4], 8);
    data.set(le([4, -1], [4, 7]), 12);
    data.set(le([8, -(2n ** 60n)]), 20);
    data.set(le([8, 2n ** 64n - 1n]), 28);
    data[36] = 1;
    data[37] = 0b10101_101; // f = -3 (3 bits: 101), g = 0b10101 = 21
    data.set(le([4, 1]), 40);
    new DataView(data.buffer).setFloat64(48, 1.5, true);
    const v = toJsonValue(btf, task, data);
    expect(v).toEqual({
      comm: "foo",
      tag: [1, 2, 3, 4],
      v: [-1, 7],
      s: "-1152921504606846976",
      u: "18446744073709551615",
      on: true,
      f: -3,
      g: 21,
      t: "PIDTYPE_TGID",
      d: 1.5,
    });
    expect(JSON.stringify(v)).toBe(
      '{"comm":"foo","tag":[1,2,3,4],"v":[-1,7],"s":"-1152921504606846976","u":"18446744073709551615","on":true,"f":-3,"g":21,"t":"PIDTYPE_TGID","d":1.5}',
    );
  });

  it("enums fall back to numbers; top-level scalars", () => {
    expect(toJsonValue(btf, pidType, le([4, 9]))).toBe(9);
    expect(toJsonValue(btf, int, le([4, -22]))).toBe(-22);
    expect(toJsonValue(btf, u64, le([8, 2n ** 53n]))).toBe("9007199254740992");
  });

  it("truncated data: missing base values are null, arrays stop", () => {
    const data = le([4, 4660], [4, 3]);
    expect(toJsonValue(btf, qstr, data)).toEqual({ hash: 4660, len: 3, hash_len: 12884906548, name: null });
    const t = new Uint8Array(16);
    t.set([0x61, 0x62], 0);
    t.set([9, 9, 9, 9], 8);
    t.set(le([4, 5]), 12);
    expect(toJsonValue(btf, task, t)).toEqual({ comm: "ab", tag: [9, 9, 9, 9], v: [5], s: null, u: null, on: null, f: null, g: null, t: null, d: null });
  });

  it("bad ids and void are null", () => {
    expect(toJsonValue(btf, 9999, new Uint8Array(4))).toBeNull();
    expect(toJsonValue(btf, 0, new Uint8Array(4))).toBeNull();
  });

  it("long double: invalid x87 encodings (integer bit clear, exponent not 0) are nan, as glibc prints them", () => {
    const lb = new BtfBuilder();
    const ld = lb.float("long double", 16);
    const lbtf = lb.finish();
    const v = (m: bigint, se: number): Uint8Array => le([8, m], [2, se], [6, 0]);
    const rows: [bigint, number, string | number][] = [
      [0x8000000000000000n, 0x3fff, 1],
      [0x4000000000000000n, 0x3fff, "nan"], // unnormal
      [0n, 0x7fff, "nan"], // pseudo-infinity
      [0x4000000000000000n, 0x7fff, "nan"], // pseudo-NaN
      [0x8000000000000000n, 0xffff, "-inf"],
      [0x8000000000000000n, 0x0000, 0], // pseudo-denormal 2^-16382: below the double range
      [0xc000000000000000n, 0x4000, 3],
    ];
    for (const [m, se, expected] of rows) {
      expect(toJsonValue(lbtf, ld, v(m, se))).toBe(expected);
      expect(toJsonText(lbtf, ld, v(m, se))).toBe(JSON.stringify(expected));
    }
  });

  it("jsonInteger", () => {
    expect(jsonInteger(2n ** 53n - 1n)).toBe(9007199254740991);
    expect(jsonInteger(-(2n ** 53n))).toBe("-9007199254740992");
  });
});
