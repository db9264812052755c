// Work and memory of the dumps and value formatters must not follow sizes or
// counts written in the input (issue #15): a 73-byte BTF whose struct claims
// 4 GiB, arrays of 2^32 zero-size elements, struct arrays running far past
// the captured bytes, unions of unions multiplying their members. Each case
// must finish quickly with the exact output the bounded rules give.
import { describe, expect, it } from "vitest";
import { Btf } from "../../src/btf/btf.js";
import { BtfKind, IntEncoding } from "../../src/btf/kinds.js";
import { parseBtf } from "../../src/btf/parse.js";
import type { BtfType, Member } from "../../src/btf/types.js";
import { C_DUMP_FOOTER, C_DUMP_HEADER, dumpC } from "../../src/btf/format/c.js";
import { dumpJson } from "../../src/btf/format/json.js";
import { dumpRaw } from "../../src/btf/format/raw.js";
import { formatLibbpf, LIBBPF_1_1_2_QUIRKS, LIBBPF_MAX_STEPS } from "../../src/btf/format/value-libbpf.js";
import { KERNEL_MAX_STEPS, snprintfBtf } from "../../src/btf/format/value-kernel.js";
import { MAX_JSON_STEPS, toJsonText, toJsonValue } from "../../src/btf/format/value-json.js";

const int = (name: string, size: number): BtfType => ({ kind: BtfKind.INT, name, size, encoding: IntEncoding.SIGNED, bitsOffset: 0, nrBits: size * 8 });
const member = (name: string, type: number, bitsOffset: number): Member => ({ name, type, bitsOffset, bitfieldSize: 0 });
const struct = (name: string, size: number, members: Member[]): BtfType => ({ kind: BtfKind.STRUCT, name, size, kflag: false, members });
const union = (name: string, size: number, members: Member[]): BtfType => ({ kind: BtfKind.UNION, name, size, kflag: false, members });
const array = (type: number, nelems: number): BtfType => ({ kind: BtfKind.ARRAY, name: "", type, indexType: 1, nelems });

/** Runs `fn`, failing if it takes longer than `ms` (generous: a loaded 2-core box). */
function quick<T>(fn: () => T, ms = 3000): T {
  const t0 = performance.now();
  const r = fn();
  expect(performance.now() - t0).toBeLessThan(ms);
  return r;
}

const E2BIG = -7;

describe("BTF dumps of a struct of size 0xffffffff (issue #15)", () => {
  // [1] INT 't' size 4, [2] STRUCT 's' size 0xffffffff { t x; }
  const blob = Buffer.from(
    "9feb01001800000000000000280000002800000009000000070000000000000104000000200000010100000001000004ffffffff0300000001000000000000000073007800696e7400",
    "hex",
  );

  it("is 73 bytes and parses", () => {
    expect(blob.length).toBe(73);
    expect(parseBtf(blob).typeCount).toBe(3);
  });

  it("C: what bpftool v7.1.0 prints, at once", () => {
    const text = quick(() => dumpC(parseBtf(blob)));
    expect(text).toBe(C_DUMP_HEADER + "struct s {\n\tt x;\n} __attribute__((packed));\n\n" + C_DUMP_FOOTER);
  });

  it("raw and JSON: the size as written", () => {
    const btf = parseBtf(blob);
    expect(quick(() => dumpRaw(btf))).toBe(
      "[1] INT 't' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED\n[2] STRUCT 's' size=4294967295 vlen=1\n\t'x' type_id=1 bits_offset=0\n",
    );
    expect(quick(() => dumpJson(btf))).toBe(
      '{"types":[{"id":1,"kind":"INT","name":"t","size":4,"bits_offset":0,"nr_bits":32,"encoding":"SIGNED"},' +
        '{"id":2,"kind":"STRUCT","name":"s","size":4294967295,"vlen":1,"members":[{"name":"x","type_id":1,"bits_offset":0}]}]}\n',
    );
  });

  it("values: the one member, whatever the struct claims", () => {
    const btf = parseBtf(blob);
    const data = Uint8Array.of(1, 0, 0, 0);
    // libbpf refuses a type of INT_MAX bytes or more (check_overflow: "unexpected size")
    expect(quick(() => formatLibbpf(btf, 2, data))).toEqual({ text: "", status: -22 });
    expect(quick(() => snprintfBtf(btf, 2, data, 0))).toEqual({ text: "(struct s){\n .x = (t)1,\n}\n", status: 0 });
    expect(quick(() => toJsonText(btf, 2, data))).toBe('{"x":1}');
  });
});

describe("value formatters: element counts and member products are bounded", () => {
  it("kernel: an array of 0xffffffff zero-size structs stops with -E2BIG after KERNEL_MAX_STEPS", () => {
    // [1] int, [2] struct z {} (size 0), [3] struct z[0xffffffff], [4] struct o { int x; struct z zs[...]; }
    const btf = new Btf([int("int", 4), struct("z", 0, []), array(2, 0xffffffff), struct("o", 4, [member("x", 1, 0), member("zs", 3, 32)])]);
    const r = quick(() => snprintfBtf(btf, 4, new Uint8Array(8).fill(1), 0));
    // zs is nested: its first (depth-check) pass runs out of steps before anything of it is shown
    expect(r).toEqual({ text: "(struct o){\n .x = (int)16843009,\n", status: E2BIG });
    expect(KERNEL_MAX_STEPS).toBe(1 << 18);
  });

  it("kernel: zero-size elements within the budget are all shown", () => {
    const btf = new Btf([int("int", 4), struct("z", 0, []), array(2, 3), struct("o", 4, [member("x", 1, 0), member("zs", 3, 32)])]);
    expect(snprintfBtf(btf, 4, new Uint8Array(8).fill(1), 8 /* BTF_F_ZERO */)).toEqual({
      // array members show no type name, and with it no `{` (the kernel's btf_show_name)
      text: "(struct o){\n .x = (int)16843009,\n .zs = (struct z[])[\n  \n  },\n  \n  },\n  \n  },\n ],\n}\n",
      status: 0,
    });
  });

  it("libbpf: a struct array running 2^29 elements past 64 bytes of data stops, compact or not", () => {
    // [1] int, [2] struct e { int a; }, [3] struct e[0x1fffffff], [4] struct o { struct e arr[...]; }
    const btf = new Btf([int("int", 4), struct("e", 4, [member("a", 1, 0)]), array(2, 0x1fffffff), struct("o", 0x7ffffffc, [member("arr", 3, 0)])]);
    const data = new Uint8Array(64).fill(1);
    const head = "(struct o){.arr = (struct e[536870911])[" + "{.a = 16843009,},".repeat(16);
    for (const opts of [{ compact: true }, { compact: true, ...LIBBPF_1_1_2_QUIRKS }]) {
      const r = quick(() => formatLibbpf(btf, 4, data, opts));
      expect(r.status).toBe(E2BIG);
      expect(r.text.startsWith(head)).toBe(true);
      // past the data each element prints its `{` and stops at its first member (-E2BIG, ignored by the array)
      const rest = r.text.slice(head.length);
      expect(rest).toBe("{".repeat(rest.length));
      expect(rest.length).toBeLessThan(LIBBPF_MAX_STEPS);
      expect(rest.length).toBeGreaterThan(LIBBPF_MAX_STEPS / 4);
    }
    // indented: the unclosed braces indent ever deeper; the 16 MiB output cap ends it
    const r = quick(() => formatLibbpf(btf, 4, data));
    expect(r.status).toBe(E2BIG);
    expect(r.text.length).toBeLessThanOrEqual(16 * 1024 * 1024 + 64 * 1024);
    expect(r.text.startsWith("(struct o){\n\t.arr = (struct e[536870911])[\n\t\t{\n\t\t\t.a = 16843009,\n\t\t},\n")).toBe(true);
  });

  // Five levels of unions of 40 members each: 40^5 (10^8) ints on 4 bytes of data.
  const unions = (): { btf: Btf; top: number } => {
    const types: BtfType[] = [int("int", 4)];
    let prev = 1;
    for (let l = 0; l < 5; l++) {
      types.push(union(`u${l}`, 4, Array.from({ length: 40 }, (_, i) => member(`m${i}`, prev, 0))));
      prev = types.length;
    }
    return { btf: new Btf(types), top: prev };
  };

  it("libbpf and kernel: nested unions stop with -E2BIG, text so far kept", () => {
    const { btf, top } = unions();
    const data = new Uint8Array(4).fill(1);
    const lib = quick(() => formatLibbpf(btf, top, data, { compact: true }));
    expect(lib.status).toBe(E2BIG);
    expect(lib.text.startsWith("(union u4){.m0 = (union u3){.m0 = (union u2){.m0 = (union u1){.m0 = (union u0){.m0 = (int)16843009,.m1 = (int)16843009,")).toBe(true);
    // one value per step, each `.mN = (int)16843009,` or a union's own line
    expect(lib.text.length).toBeLessThan(LIBBPF_MAX_STEPS * 40);
    const kern = quick(() => snprintfBtf(btf, top, data, 1 /* BTF_F_COMPACT */));
    expect(kern).toEqual({ text: "(union u4){", status: E2BIG });
    // all zero: libbpf's zero check answers at once, the kernel walks (and stops)
    expect(quick(() => formatLibbpf(btf, top, new Uint8Array(4)))).toEqual({ text: "(union u4){\n}", status: 0 });
    expect(quick(() => snprintfBtf(btf, top, new Uint8Array(4), 0))).toEqual({ text: "(union u4){\n", status: E2BIG });
  });

  it("JSON: nested unions are cut after MAX_JSON_STEPS values, the same with and without a compiled plan", () => {
    const { btf, top } = unions();
    const data = new Uint8Array(4).fill(1);
    const text = quick(() => toJsonText(btf, top, data));
    const value = quick(() => toJsonValue(btf, top, data));
    expect(text).toBe(JSON.stringify(value));
    const v = value as Record<string, Record<string, Record<string, Record<string, Record<string, number>>>>>;
    // the first u3 alone holds 2.6 million values: the cut falls inside it, later members are left out
    expect(Object.keys(v)).toEqual(["m0"]);
    expect(v.m0!.m0!.m0!.m0!.m0).toBe(16843009);
    expect(v.m0!.m0!.m0!.m0!.m39).toBe(16843009);
    let count = 0;
    const walk = (x: unknown): void => {
      count++;
      if (x && typeof x === "object") for (const y of Object.values(x)) walk(y);
    };
    walk(value);
    expect(count).toBe(MAX_JSON_STEPS);
  });

  it("JSON: a plannable value keeps its compiled plan", () => {
    const btf = new Btf([int("int", 4), array(1, 1000), struct("s", 4000, [member("a", 2, 0)])]);
    const data = new Uint8Array(4000).fill(1);
    expect(toJsonText(btf, 3, data)).toBe(JSON.stringify({ a: Array(1000).fill(16843009) }));
  });
});
