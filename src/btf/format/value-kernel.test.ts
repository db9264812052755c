// The kernel bpf_snprintf_btf() style: every string of the kernel selftest
// progs/netif_receive_skb.c (all with BTF_F_COMPACT, as TEST_BTF adds it),
// the non-compact layout of the helper's commit message, and error statuses.
import { describe, expect, it } from "vitest";
import { BtfBuilder } from "../builder.js";
import { IntEncoding } from "../kinds.js";
import {
  BTF_F_COMPACT,
  BTF_F_NONAME,
  BTF_F_PTR_RAW,
  BTF_F_ZERO,
  hashPointer,
  kernelIsprint,
  kernelValueFormatter,
  snprintfBtf,
} from "./value-kernel.js";

function types() {
  const b = new BtfBuilder();
  const int = b.int("int", 4, IntEncoding.SIGNED);
  const char = b.int("char", 1, IntEncoding.SIGNED);
  const uchar = b.int("unsigned char", 1);
  const ushort = b.int("short unsigned int", 2);
  const short = b.int("short int", 2, IntEncoding.SIGNED);
  const uint = b.int("unsigned int", 4);
  const ull = b.int("long long unsigned int", 8);
  const u8 = b.typedef("__u8", uchar);
  const s16 = b.typedef("__s16", short);
  const u16 = b.typedef("__u16", ushort);
  const u32 = b.typedef("__u32", uint);
  const s32 = b.typedef("__s32", int);
  const __u64 = b.typedef("__u64", ull);
  const u64 = b.typedef("u64", __u64);
  const uint64_t = b.typedef("uint64_t", u64);

  const atomicS = b.struct("", 4);
  b.field(atomicS, "counter", int, 0);
  const atomic_t = b.typedef("atomic_t", atomicS);

  const bpfCmd = b.enum("bpf_cmd", 4, [
    ["BPF_MAP_CREATE", 0],
    ["BPF_MAP_LOOKUP_ELEM", 1],
    ["BPF_MAP_UPDATE_ELEM", 2],
    ["BPF_MAP_DELETE_ELEM", 3],
    ["BPF_MAP_GET_NEXT_KEY", 4],
    ["BPF_PROG_LOAD", 5],
  ]);

  const btfEnum = b.struct("btf_enum", 8);
  b.field(btfEnum, "name_off", u32, 0).field(btfEnum, "val", s32, 32);

  const listHead = b.struct("list_head", 16);
  const lhPtr = b.ptr(listHead);
  b.field(listHead, "next", lhPtr, 0).field(listHead, "prev", lhPtr, 64);

  // A cut-down struct bpf_prog_info: the selftest sets only name[].
  const char16 = b.array(char, int, 16);
  const progInfo = b.struct("bpf_prog_info", 32);
  b.field(progInfo, "type", u32, 0).field(progInfo, "id", u32, 32).field(progInfo, "tag", b.array(u8, int, 8), 64).field(progInfo, "name", char16, 128);

  // A cut-down struct __sk_buff: len, cb[5], hash.
  const skb = b.struct("__sk_buff", 28);
  b.field(skb, "len", u32, 0).field(skb, "cb", b.array(u32, int, 5), 32).field(skb, "hash", u32, 192);

  // struct bpf_insn { __u8 code; __u8 dst_reg:4; __u8 src_reg:4; __s16 off; __s32 imm; }
  const insn = b.struct("bpf_insn", 8);
  b.field(insn, "code", u8, 0).field(insn, "dst_reg", u8, 8, 4).field(insn, "src_reg", u8, 12, 4).field(insn, "off", s16, 16).field(insn, "imm", s32, 32);

  // The commit message's sk_buff shape: refcount_t { atomic_t refs; }.
  const refS = b.struct("refcount_struct", 4);
  b.field(refS, "refs", atomic_t, 0);
  const refcount_t = b.typedef("refcount_t", refS);
  const sk_buff_data_t = b.typedef("sk_buff_data_t", uint);
  const sk = b.struct("sk_buff", 32);
  b.field(sk, "transport_header", u16, 0)
    .field(sk, "mac_header", u16, 16)
    .field(sk, "end", sk_buff_data_t, 32)
    .field(sk, "head", b.ptr(uchar), 64)
    .field(sk, "data", b.ptr(uchar), 128)
    .field(sk, "truesize", uint, 192)
    .field(sk, "users", refcount_t, 224);

  const un = b.union("u", 4);
  b.field(un, "a", int, 0).field(un, "b", uint, 0);
  const int128 = b.int("__int128 unsigned", 16);
  const bits = b.struct("bits", 16);
  b.field(bits, "wide", int128, 0);
  const btf = b.finish();
  return { btf, int, char, u64, uint64_t, atomic_t, bpfCmd, btfEnum, listHead, progInfo, skb, insn, sk, un, int128, bits };
}

const T = types();
const le = (n: number, bytes: number): number[] => Array.from({ length: bytes }, (_, i) => Number((BigInt.asUintN(bytes * 8, BigInt(n)) >> BigInt(8 * i)) & 0xffn));
const bytes = (...parts: number[][]): Uint8Array => Uint8Array.from(parts.flat());
const C = BTF_F_COMPACT;
const N = BTF_F_NONAME;
const Z = BTF_F_ZERO;
const R = BTF_F_PTR_RAW;

function progInfo(name: number[]): Uint8Array {
  const d = new Uint8Array(32);
  d.set(name, 16);
  return d;
}
function skb(cb: number[]): Uint8Array {
  return bytes(le(0, 4), ...cb.map((v) => le(v, 4)), le(0, 4));
}
const insn = bytes([1, 0x32], le(4, 2), le(5, 4));

// [label, type, data, flags (COMPACT added), expected] — progs/netif_receive_skb.c
const selftests: [string, number, Uint8Array, number, string][] = [
  ["int", T.int, bytes(le(1234, 4)), 0, "(int)1234"],
  ["int NONAME", T.int, bytes(le(1234, 4)), N, "1234"],
  ["int 0", T.int, bytes(le(0, 4)), 0, "(int)0"],
  ["int 0 NONAME", T.int, bytes(le(0, 4)), N, "0"],
  ["char", T.char, bytes([100]), 0, "(char)100"],
  ["u64 0", T.u64, bytes(le(0, 8)), 0, "(u64)0"],
  ["uint64_t", T.uint64_t, bytes(le(100, 8)), 0, "(uint64_t)100"],
  ["atomic_t", T.atomic_t, bytes(le(1, 4)), 0, "(atomic_t){.counter = (int)1,}"],
  ["atomic_t zero", T.atomic_t, bytes(le(0, 4)), 0, "(atomic_t){}"],
  ["atomic_t ZERO", T.atomic_t, bytes(le(0, 4)), Z, "(atomic_t){.counter = (int)0,}"],
  ["atomic_t NONAME", T.atomic_t, bytes(le(1, 4)), N, "{1,}"],
  ["atomic_t NONAME|ZERO", T.atomic_t, bytes(le(0, 4)), N | Z, "{0,}"],
  ["enum", T.bpfCmd, bytes(le(0, 4)), 0, "(enum bpf_cmd)BPF_MAP_CREATE"],
  ["enum unknown", T.bpfCmd, bytes(le(2000, 4)), 0, "(enum bpf_cmd)2000"],
  ["enum NONAME", T.bpfCmd, bytes(le(0, 4)), N, "BPF_MAP_CREATE"],
  ["struct", T.btfEnum, bytes(le(3, 4), le(-1, 4)), 0, "(struct btf_enum){.name_off = (__u32)3,.val = (__s32)-1,}"],
  ["struct NONAME", T.btfEnum, bytes(le(3, 4), le(-1, 4)), N, "{3,-1,}"],
  ["struct NONAME name_off 0", T.btfEnum, bytes(le(0, 4), le(-1, 4)), N, "{-1,}"],
  ["struct empty", T.btfEnum, bytes(le(0, 4), le(0, 4)), 0, "(struct btf_enum){}"],
  ["struct ZERO", T.btfEnum, bytes(le(0, 4), le(0, 4)), Z, "(struct btf_enum){.name_off = (__u32)0,.val = (__s32)0,}"],
  ["pointer PTR_RAW", T.listHead, bytes(le(1, 8), le(0, 8)), R, "(struct list_head){.next = (struct list_head *)0x0000000000000001,}"],
  ["pointer NULL", T.listHead, bytes(le(0, 8), le(0, 8)), R, "(struct list_head){}"],
  ["char array", T.progInfo, progInfo([0x66, 0x6f, 0x6f]), 0, "(struct bpf_prog_info){.name = (char[])['f','o','o',],}"],
  ["char array NONAME", T.progInfo, progInfo([0x66, 0x6f, 0x6f]), N, "{['f','o','o',],}"],
  ["char array leading NUL", T.progInfo, progInfo([0, 0x6f, 0x6f]), 0, "(struct bpf_prog_info){}"],
  ["char array non-printable", T.progInfo, progInfo([1, 2, 3]), 0, "(struct bpf_prog_info){.name = (char[])[1,2,3,],}"],
  ["int array", T.skb, skb([1, 2, 3, 4, 5]), 0, "(struct __sk_buff){.cb = (__u32[])[1,2,3,4,5,],}"],
  ["int array zeroes", T.skb, skb([0, 0, 1, 0, 0]), 0, "(struct __sk_buff){.cb = (__u32[])[1,],}"],
  ["bitfields", T.insn, insn, 0, "(struct bpf_insn){.code = (__u8)1,.dst_reg = (__u8)0x2,.src_reg = (__u8)0x3,.off = (__s16)4,.imm = (__s32)5,}"],
  ["bitfields NONAME", T.insn, insn, N, "{1,0x2,0x3,4,5,}"],
];

describe("snprintfBtf: kernel selftest strings (BTF_F_COMPACT added)", () => {
  it.each(selftests)("%s", (_label, id, data, flags, expected) => {
    expect(snprintfBtf(T.btf, id, data, flags | C)).toEqual({ text: expected, status: 0 });
  });
});

describe("snprintfBtf: char arrays print bytes as the kernel's Latin-1 isprint() sees them", () => {
  // lib/ctype.c: 0x20-0x7e and 0xa0-0xff are printable ('%c' writes the raw byte),
  // 0x7f-0x9f are control (the signed char prints as a number).
  it("every byte value from 0x01 to 0xff, compact", () => {
    const all = Array.from({ length: 255 }, (_, i) => i + 1);
    const arr = new BtfBuilder();
    const ch = arr.int("char", 1, IntEncoding.SIGNED);
    const a = arr.array(ch, ch, 256);
    const ab = arr.finish();
    const r = snprintfBtf(ab, a, Uint8Array.from([...all, 0]), C);
    const shown = all.map((b) => (kernelIsprint(b) ? `'${String.fromCharCode(b)}'` : String((b << 24) >> 24)));
    expect(r).toEqual({ text: `(char[])[${shown.map((x) => x + ",").join("")}]`, status: 0 });
    // the printable set, exactly
    expect(all.filter(kernelIsprint)).toEqual([...Array.from({ length: 0x5f }, (_, i) => 0x20 + i), ...Array.from({ length: 0x60 }, (_, i) => 0xa0 + i)]);
  });

  it("bytes 0xa0-0xff are quoted raw bytes, 0x80-0x9f and 0x7f numbers", () => {
    const r = snprintfBtf(T.btf, T.progInfo, progInfo([0x41, 0x7f, 0x80, 0x9f, 0xa0, 0xe9, 0xff]), C);
    expect(r.status).toBe(0);
    expect(r.text).toBe("(struct bpf_prog_info){.name = (char[])['A',127,-128,-97,'\u00a0','\u00e9','\u00ff',],}");
    // written as the kernel writes them: one raw byte each (0xe9, not UTF-8's c3 a9)
    const raw = (t: string): number[] => [...Buffer.from(t, "ascii")];
    expect([...Buffer.from(r.text, "latin1")]).toEqual([
      ...raw("(struct bpf_prog_info){.name = (char[])['A',127,-128,-97,'"),
      0xa0,
      ...raw("','"),
      0xe9,
      ...raw("','"),
      0xff,
      ...raw("',],}"),
    ]);
  });

  it("non-compact: one quoted byte per line", () => {
    const r = snprintfBtf(T.btf, T.progInfo, progInfo([0xe9, 0x20]), 0);
    expect(r).toEqual({ text: "(struct bpf_prog_info){\n .name = (char[])[\n  '\u00e9',\n  ' ',\n ],\n}\n", status: 0 });
  });

  it("non-ASCII BTF names come out as their UTF-8 bytes", () => {
    const nb = new BtfBuilder();
    const i = nb.int("int", 4, IntEncoding.SIGNED);
    const e = nb.enum("e", 4, [["V\u00e9", 1]]);
    const s = nb.struct("s", 8);
    nb.field(s, "a", i, 0).field(s, "b", e, 32);
    const nbtf = nb.btf; // (enumerator names are not checked as identifiers)
    const r = snprintfBtf(nbtf, s, Uint8Array.from([1, 0, 0, 0, 1, 0, 0, 0]), C);
    expect(r).toEqual({ text: "(struct s){.a = (int)1,.b = (enum e)V\u00c3\u00a9,}", status: 0 });
    expect(Buffer.from(r.text, "latin1").toString("utf8")).toBe("(struct s){.a = (int)1,.b = (enum e)V\u00e9,}");
  });
});

describe("snprintfBtf: non-compact layout", () => {
  const head = 0xffff888012345678n;
  const data = bytes(le(65535, 2), le(65535, 2), le(192, 4), le(0, 8), le(0, 8), le(768, 4), le(1, 4));
  const dv = new DataView(data.buffer);
  dv.setBigUint64(8, head, true);
  dv.setBigUint64(16, head, true);

  it("prints the commit message's sk_buff shape: one-space indent, newline after every line", () => {
    const hashed = "0x" + hashPointer(head).toString(16).padStart(16, "0");
    expect(hashed).toMatch(/^0x00000000[0-9a-f]{8}$/);
    expect(snprintfBtf(T.btf, T.sk, data, 0)).toEqual({
      status: 0,
      text: [
        "(struct sk_buff){",
        " .transport_header = (__u16)65535,",
        " .mac_header = (__u16)65535,",
        " .end = (sk_buff_data_t)192,",
        ` .head = (unsigned char *)${hashed},`,
        ` .data = (unsigned char *)${hashed},`,
        " .truesize = (unsigned int)768,",
        " .users = (refcount_t){",
        "  .refs = (atomic_t){",
        "   .counter = (int)1,",
        "  },",
        " },",
        "}",
        "",
      ].join("\n"),
    });
  });

  it("prints raw pointers with BTF_F_PTR_RAW and omits nested all-zero structs", () => {
    const d = Uint8Array.from(data);
    d.fill(0, 28, 32); // users.refs.counter = 0
    const r = snprintfBtf(T.btf, T.sk, d, R);
    expect(r.text).toContain(" .head = (unsigned char *)0xffff888012345678,\n");
    expect(r.text).not.toContain("users");
    expect(r.text.endsWith(" .truesize = (unsigned int)768,\n}\n")).toBe(true);
  });

  it("ends a top-level scalar with a newline and no delimiter", () => {
    expect(snprintfBtf(T.btf, T.int, bytes(le(-5, 4)), 0).text).toBe("(int)-5\n");
    expect(snprintfBtf(T.btf, T.int, bytes(le(-5, 4)), N).text).toBe("-5\n");
  });

  it("shows every member with BTF_F_ZERO, nested zero structs included", () => {
    const r = snprintfBtf(T.btf, T.atomic_t, bytes(le(0, 4)), Z);
    expect(r.text).toBe("(atomic_t){\n .counter = (int)0,\n}\n");
  });
});

describe("snprintfBtf: other values", () => {
  it("hashes pointers deterministically without BTF_F_PTR_RAW (NULL stays raw)", () => {
    const a = snprintfBtf(T.btf, T.listHead, bytes(le(1, 8), le(0, 8)), C);
    const b = snprintfBtf(T.btf, T.listHead, bytes(le(1, 8), le(0, 8)), C);
    expect(a).toEqual(b);
    expect(a.text).toBe(`(struct list_head){.next = (struct list_head *)0x${hashPointer(1n).toString(16).padStart(16, "0")},}`);
    expect(snprintfBtf(T.btf, T.listHead, new Uint8Array(16), C | Z).text).toBe(
      "(struct list_head){.next = (struct list_head *)0x0000000000000000,.prev = (struct list_head *)0x0000000000000000,}",
    );
  });

  it("prints 128-bit ints in hex", () => {
    const d = new Uint8Array(16);
    d[0] = 0xff;
    d[8] = 1;
    expect(snprintfBtf(T.btf, T.int128, d, C).text).toBe("(__int128 unsigned)0x100000000000000ff");
    expect(snprintfBtf(T.btf, T.int128, new Uint8Array(16), C).text).toBe("(__int128 unsigned)0x0");
  });

  it("delimits compact union members with ',' (the kernel's '|' needs state.type to still be the union)", () => {
    expect(snprintfBtf(T.btf, T.un, bytes(le(7, 4)), C).text).toBe("(union u){.a = (int)7,.b = (unsigned int)7,}");
  });

  it("is the kernel-style ValueFormatter", () => {
    expect(kernelValueFormatter.style).toBe("kernel");
    expect(kernelValueFormatter.format(T.btf, T.atomic_t, bytes(le(1, 4)), { compact: true, skipNames: true })).toEqual({ text: "{1,}", status: 0 });
    expect(kernelValueFormatter.format(T.btf, T.atomic_t, bytes(le(0, 4)), { compact: true, emitZeroes: true }).text).toBe(
      "(atomic_t){.counter = (int)0,}",
    );
    expect(kernelValueFormatter.format(T.btf, T.listHead, bytes(le(1, 8), le(0, 8)), { compact: true, ptrRaw: true }).text).toBe(
      "(struct list_head){.next = (struct list_head *)0x0000000000000001,}",
    );
    expect(kernelValueFormatter.format(T.btf, T.int, bytes(le(3, 4))).text).toBe("(int)3\n");
  });
});

describe("snprintfBtf: kernel quirks kept on purpose", () => {
  const b = new BtfBuilder();
  const int = b.int("int", 4, IntEncoding.SIGNED);
  const pt = b.struct("pt", 8);
  b.field(pt, "x", int, 0).field(pt, "y", int, 32);
  const pts = b.array(pt, int, 2);
  const outer = b.struct("outer", 16);
  b.field(outer, "pts", pts, 0);
  const btf = b.finish();
  const d = bytes(le(1, 4), le(2, 4), le(0, 4), le(4, 4));

  it("shows struct array elements without names or opening braces (array_member stays set, as in btf_show_name)", () => {
    expect(snprintfBtf(btf, outer, d, C).text).toBe("(struct outer){.pts = (struct pt[])[1,2,},4,},],}");
    expect(snprintfBtf(btf, pts, d, C).text).toBe("(struct pt[])[1,2,},4,},]");
  });
});

describe("snprintfBtf: errors", () => {
  it("rejects unknown flag bits and type id 0 with -EINVAL", () => {
    expect(snprintfBtf(T.btf, T.int, bytes(le(1, 4)), 16)).toEqual({ text: "", status: -22 });
    expect(snprintfBtf(T.btf, T.int, bytes(le(1, 4)), 0xff)).toEqual({ text: "", status: -22 });
    expect(snprintfBtf(T.btf, 0, bytes(le(1, 4)), C)).toEqual({ text: "", status: -22 });
  });

  it("rejects an unknown type id with -ENOENT", () => {
    expect(snprintfBtf(T.btf, 99999, bytes(le(1, 4)), C)).toEqual({ text: "", status: -2 });
  });

  it("returns -EFAULT with the text so far when the data is short", () => {
    expect(snprintfBtf(T.btf, T.int, bytes([1, 2]), C)).toEqual({ text: "", status: -14 });
    expect(snprintfBtf(T.btf, T.btfEnum, bytes(le(3, 4)), C)).toEqual({ text: "(struct btf_enum){.name_off = (__u32)3,", status: -14 });
    expect(snprintfBtf(T.btf, T.insn, bytes([1, 0x32]), 0)).toEqual({
      text: "(struct bpf_insn){\n .code = (__u8)1,\n .dst_reg = (__u8)0x2,\n .src_reg = (__u8)0x3,\n",
      status: -14,
    });
  });
});
