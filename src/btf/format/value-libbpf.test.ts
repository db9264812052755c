// The libbpf btf_dump__dump_type_data() style: every string of the reference's
// §4.4 (libbpf selftests) and its Appendix (observed libbpf 1.1.2 output),
// the typed-data part of ksnoop's §2.2 (d), and the 1.1.2 quirk switches.
import { describe, expect, it } from "vitest";
import { BtfBuilder } from "../builder.js";
import { IntEncoding, VarLinkage } from "../kinds.js";
import { formatDouble, formatLibbpf, LIBBPF_1_1_2_QUIRKS, libbpfTypeName, libbpfValueFormatter, type LibbpfFormatOptions } from "./value-libbpf.js";

function types() {
  const b = new BtfBuilder();
  const int = b.int("int", 4, IntEncoding.SIGNED);
  const char = b.int("char", 1, IntEncoding.SIGNED);
  const uchar = b.int("unsigned char", 1);
  const short = b.int("short int", 2, IntEncoding.SIGNED);
  const uint = b.int("unsigned int", 4);
  const ll = b.int("long long int", 8, IntEncoding.SIGNED);
  const ull = b.int("long long unsigned int", 8);
  const u128 = b.int("unsigned __int128", 16);
  const float = b.float("float", 4);
  const double = b.float("double", 8);
  const longDouble = b.float("long double", 16);
  const u8 = b.typedef("__u8", uchar);
  const s16 = b.typedef("__s16", short);
  const __u32 = b.typedef("__u32", uint);
  const s32 = b.typedef("__s32", int);
  const __u64 = b.typedef("__u64", ull);
  const u32 = b.typedef("u32", __u32);
  const u64 = b.typedef("u64", __u64);
  const loff_t = b.typedef("loff_t", ll);
  const testFloat = b.typedef("test_float", float);

  const atomicS = b.struct("", 4);
  b.field(atomicS, "counter", int, 0);
  const atomic_t = b.typedef("atomic_t", atomicS);

  const bpfCmd = b.enum("bpf_cmd", 4, [
    ["BPF_MAP_CREATE", 0],
    ["BPF_MAP_LOOKUP_ELEM", 1],
  ]);
  const pidType = b.enum("pid_type", 4, [
    ["PIDTYPE_PID", 0],
    ["PIDTYPE_TGID", 1],
    ["PIDTYPE_PGID", 2],
    ["PIDTYPE_SID", 3],
    ["PIDTYPE_MAX", 4],
  ]);
  const bigEnum = b.enum("big", 4, [["BIG_HI", 0x80000000]], false);
  const e64 = b.enum64("e64", 8, [["E64_X", 0x123456789n]], false);

  const btfEnum = b.struct("btf_enum", 8);
  b.field(btfEnum, "name_off", __u32, 0).field(btfEnum, "val", s32, 32);

  const listHead = b.struct("list_head", 16);
  const lhPtr = b.ptr(listHead);
  b.field(listHead, "next", lhPtr, 0).field(listHead, "prev", lhPtr, 64);

  const insn = b.struct("bpf_insn", 8);
  b.field(insn, "code", u8, 0).field(insn, "dst_reg", u8, 8, 4).field(insn, "src_reg", u8, 12, 4).field(insn, "off", s16, 16).field(insn, "imm", s32, 32);

  const inner = b.struct("inner", 8);
  b.field(inner, "a", int, 0).field(inner, "b", int, 32);
  const outer = b.struct("outer", 12);
  b.field(outer, "x", int, 0).field(outer, "in", inner, 32);

  const sArr = b.struct("s_arr", 8);
  b.field(sArr, "name", b.array(char, int, 8), 0);
  const sIarr = b.struct("s_iarr", 16);
  b.field(sIarr, "v", b.array(int, int, 4), 0);

  const progInfo = b.struct("bpf_prog_info", 32);
  b.field(progInfo, "type", __u32, 0).field(progInfo, "id", __u32, 32).field(progInfo, "tag", b.array(u8, int, 8), 64).field(progInfo, "name", b.array(char, int, 16), 128);

  const skb = b.struct("__sk_buff", 28);
  b.field(skb, "len", __u32, 0).field(skb, "cb", b.array(__u32, int, 5), 32).field(skb, "hash", __u32, 192);

  // struct bpf_sock_ops { __u32 op; union { __u32 args[4]; __u32 reply; __u32 replylong[4]; }; __u32 family; }
  const u32x4 = b.array(__u32, int, 4);
  const sockOpsU = b.union("", 16);
  b.field(sockOpsU, "args", u32x4, 0).field(sockOpsU, "reply", __u32, 0).field(sockOpsU, "replylong", u32x4, 0);
  const sockOps = b.struct("bpf_sock_ops", 24);
  b.field(sockOps, "op", __u32, 0).field(sockOps, "", sockOpsU, 32).field(sockOps, "family", __u32, 160);

  // union bpf_iter_link_info { struct { __u32 map_fd; } map; }
  const mapS = b.struct("", 4);
  b.field(mapS, "map_fd", __u32, 0);
  const iterInfo = b.union("bpf_iter_link_info", 4);
  b.field(iterInfo, "map", mapS, 0);

  // struct file_operations { struct module *owner; loff_t (*llseek)(struct file *, loff_t, int); }
  const file = b.struct("file", 8);
  b.field(file, "f_count", long(b), 0);
  const module = b.fwd("module");
  const llseekProto = b.funcProto(loff_t, [
    ["", b.ptr(file)],
    ["", loff_t],
    ["", int],
  ]);
  const fops = b.struct("file_operations", 16);
  b.field(fops, "owner", b.ptr(module), 0).field(fops, "llseek", b.ptr(llseekProto), 64);

  // struct qstr { union { struct { u32 hash; u32 len; }; u64 hash_len; }; const unsigned char *name; }
  const hashS = b.struct("", 8);
  b.field(hashS, "hash", u32, 0).field(hashS, "len", u32, 32);
  const hashU = b.union("", 8);
  b.field(hashU, "", hashS, 0).field(hashU, "hash_len", u64, 0);
  const qstr = b.struct("qstr", 16);
  b.field(qstr, "", hashU, 0).field(qstr, "name", b.ptr(b.const(uchar)), 64);

  const cpuNumber = b.var("cpu_number", int);
  const cpuFlip = b.var("cpu_profile_flip", int, VarLinkage.STATIC);
  const char4 = b.array(char, int, 4);
  const license = b.var("_license", char4);
  const licenseSec = b.datasec("license", 4, [{ type: license, offset: 0, size: 4 }]);

  // Mixed struct for the sticky-state quirk: a char array, then an int array and a u8.
  const mixed = b.struct("mixed", 16);
  b.field(mixed, "s", b.array(char, int, 4), 0).field(mixed, "v", b.array(int, int, 2), 32).field(mixed, "c", u8, 96);
  const big = b.struct("has_big", 4);
  b.field(big, "e", bigEnum, 0);

  const btf = b.finish();
  return {
    btf, int, char, u128, double, longDouble, testFloat, atomic_t, bpfCmd, pidType, e64, btfEnum, listHead, insn, outer, sArr, sIarr,
    progInfo, skb, sockOps, iterInfo, fops, qstr, cpuNumber, cpuFlip, licenseSec, mixed, big, llseekProto,
  };
}

function long(b: BtfBuilder): number {
  return b.int("long int", 8, IntEncoding.SIGNED);
}

/** Little-endian bytes from a list of [size, value] fields. */
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
const bytes = (s: string, size: number): Uint8Array => {
  const a = new Uint8Array(size);
  for (let i = 0; i < s.length; i++) a[i] = s.charCodeAt(i);
  return a;
};

const T = types();
const C: LibbpfFormatOptions = { compact: true };
const fmt = (id: number, data: Uint8Array, o: LibbpfFormatOptions = {}) => formatLibbpf(T.btf, id, data, o);

describe("libbpf typed data: reference §4.4 and Appendix strings", () => {
  const btfEnum = le([4, 3], [4, -1]);
  const cases: [string, number, Uint8Array, LibbpfFormatOptions, string, number][] = [
    ["btf_enum compact", T.btfEnum, btfEnum, C, "(struct btf_enum){.name_off = (__u32)3,.val = (__s32)-1,}", 0],
    ["btf_enum skip_names", T.btfEnum, btfEnum, { ...C, skipNames: true }, "{3,-1,}", 0],
    ["btf_enum non-compact", T.btfEnum, btfEnum, {}, "(struct btf_enum){\n\t.name_off = (__u32)3,\n\t.val = (__s32)-1,\n}", 0],
    ["btf_enum zero", T.btfEnum, new Uint8Array(8), C, "(struct btf_enum){}", 0],
    ["btf_enum emit_zeroes", T.btfEnum, new Uint8Array(8), { ...C, emitZeroes: true }, "(struct btf_enum){.name_off = (__u32)0,.val = (__s32)0,}", 0],
    ["btf_enum data_sz 7", T.btfEnum, btfEnum.subarray(0, 7), {}, "(struct btf_enum){\n\t.name_off = (__u32)3,\n", -7],
    ["list_head", T.listHead, le([8, 1], [8, 0]), C, "(struct list_head){.next = (struct list_head *)0x1,}", 0],
    ["list_head NULL", T.listHead, new Uint8Array(16), { ...C, emitZeroes: true }, "(struct list_head){.next = (struct list_head *)(nil),.prev = (struct list_head *)(nil),}", 0],
    [
      "bpf_insn bitfields",
      T.insn,
      le([1, 1], [1, 0x32], [2, 4], [4, 5]),
      C,
      "(struct bpf_insn){.code = (__u8)1,.dst_reg = (__u8)0x2,.src_reg = (__u8)0x3,.off = (__s16)4,.imm = (__s32)5,}",
      0,
    ],
    ["bpf_insn skip_names", T.insn, le([1, 1], [1, 0x32], [2, 4], [4, 5]), { ...C, skipNames: true }, "{1,0x2,0x3,4,5,}", 0],
    ["enum", T.bpfCmd, le([4, 0]), C, "(enum bpf_cmd)BPF_MAP_CREATE", 0],
    ["enum unknown", T.bpfCmd, le([4, 2000]), C, "(enum bpf_cmd)2000", 0],
    ["outer a=7", T.outer, le([4, 1], [4, 7], [4, 0]), C, "(struct outer){.x = (int)1,.in = (struct inner){.a = (int)7,},}", 0],
    ["s_arr emit_zeroes", T.sArr, bytes("foo\0bar", 8), { ...C, emitZeroes: true }, "(struct s_arr){.name = (char[8])['f','o','o',],}", 0],
    ["s_iarr", T.sIarr, le([4, 0], [4, 0], [4, 1], [4, 0]), C, "(struct s_iarr){.v = (int[4])[0,0,1,0,],}", 0],
    ["int", T.int, le([4, 1234]), C, "(int)1234", 0],
    ["int zero (top level)", T.int, le([4, 0]), C, "(int)0", 0],
    ["int skip_names", T.int, le([4, 1234]), { ...C, skipNames: true }, "1234", 0],
    ["char", T.char, le([1, 100]), C, "(char)100", 0],
    ["atomic_t", T.atomic_t, le([4, 1]), C, "(atomic_t){.counter = (int)1,}", 0],
    ["atomic_t zero", T.atomic_t, le([4, 0]), {}, "(atomic_t){\n}", 0],
    ["atomic_t emit_zeroes", T.atomic_t, le([4, 0]), { emitZeroes: true }, "(atomic_t){\n\t.counter = (int)0,\n}", 0],
    ["atomic_t overflow", T.atomic_t, le([4, 1]).subarray(0, 3), {}, "(atomic_t){\n", -7],
    ["int overflow", T.int, le([4, 1]).subarray(0, 3), {}, "", -7],
    ["prog_info name", T.progInfo, concat(new Uint8Array(16), bytes("foo", 16)), C, "(struct bpf_prog_info){.name = (char[16])['f','o','o',],}", 0],
    [
      "prog_info name non-compact",
      T.progInfo,
      concat(new Uint8Array(16), bytes("foo", 16)),
      {},
      "(struct bpf_prog_info){\n\t.name = (char[16])[\n\t\t'f',\n\t\t'o',\n\t\t'o',\n\t],\n}",
      0,
    ],
    ["prog_info leading NUL", T.progInfo, concat(new Uint8Array(16), bytes("\0foo", 16)), C, "(struct bpf_prog_info){}", 0],
    ["__sk_buff cb", T.skb, le([4, 0], [4, 1], [4, 2], [4, 3], [4, 4], [4, 5], [4, 0]), C, "(struct __sk_buff){.cb = (__u32[5])[1,2,3,4,5,],}", 0],
    ["__sk_buff cb zeroes", T.skb, le([4, 0], [4, 0], [4, 0], [4, 1], [4, 0], [4, 0], [4, 0]), C, "(struct __sk_buff){.cb = (__u32[5])[0,0,1,0,0,],}", 0],
    [
      "bpf_sock_ops anon union",
      T.sockOps,
      le([4, 1], [4, 1], [4, 2], [4, 3], [4, 4], [4, 0]),
      C,
      "(struct bpf_sock_ops){.op = (__u32)1,(union){.args = (__u32[4])[1,2,3,4,],.reply = (__u32)1,.replylong = (__u32[4])[1,2,3,4,],},}",
      0,
    ],
    ["bpf_sock_ops overflow", T.sockOps, le([4, 1], [4, 0], [4, 0], [4, 0], [4, 0], [4, 0]).subarray(0, 23), {}, "(struct bpf_sock_ops){\n\t.op = (__u32)1,\n", -7],
    ["union with nested struct", T.iterInfo, le([4, 1]), C, "(union bpf_iter_link_info){.map = (struct){.map_fd = (__u32)1,},}", 0],
    [
      "function pointer",
      T.fops,
      le([8, 0], [8, -1]),
      C,
      "(struct file_operations){.llseek = (loff_t (*)(struct file *, loff_t, int))0xffffffffffffffff,}",
      0,
    ],
    ["var", T.cpuNumber, le([4, 100]), C, "int cpu_number = (int)100", 0],
    ["static var", T.cpuFlip, le([4, 2]), C, "static int cpu_profile_flip = (int)2", 0],
    ["datasec", T.licenseSec, bytes("GPL", 4), C, "SEC(\"license\") char[4] _license = (char[4])['G','P','L',];", 0],
    ["int128", T.u128, le([8, -2], [8, -1]), C, "(unsigned __int128)0xfffffffffffffffffffffffffffffffe", 0],
    ["float", T.testFloat, new Uint8Array(new Float32Array([1.234567]).buffer), C, "(test_float)1.234567", 0],
  ];
  it.each(cases)("%s", (_name, id, data, o, text, status) => {
    expect(fmt(id, data, o)).toEqual({ text, status });
  });
});

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe("libbpf 1.1.2 quirks", () => {
  const outer = le([4, 1], [4, 0], [4, 5]);
  it("quirk 1: nested struct zero check looks at the first member only", () => {
    expect(fmt(T.outer, outer, { ...C, quirkFirstMemberZero: true }).text).toBe("(struct outer){.x = (int)1,}");
    expect(fmt(T.outer, outer, { ...C, ...LIBBPF_1_1_2_QUIRKS }).text).toBe("(struct outer){.x = (int)1,}");
    // Default: the correct value.
    expect(fmt(T.outer, outer, C).text).toBe("(struct outer){.x = (int)1,.in = (struct inner){.b = (int)5,},}");
    expect(fmt(T.outer, le([4, 1], [4, 7], [4, 0]), { ...C, quirkFirstMemberZero: true }).text).toBe(
      "(struct outer){.x = (int)1,.in = (struct inner){.a = (int)7,},}",
    );
  });

  it("quirk 2: embedded NUL in char arrays", () => {
    const foobar = bytes("foo\0bar", 8);
    expect(fmt(T.sArr, foobar, { ...C, quirkCharArrayNul: true })).toEqual({ text: "(struct s_arr){.name = (char[8])['f','o','o','b','a','r',],}", status: 0 });
    expect(fmt(T.sArr, foobar, C).text).toBe("(struct s_arr){.name = (char[8])['f','o','o',],}");
    expect(fmt(T.sArr, foobar, { ...C, emitZeroes: true, quirkCharArrayNul: true }).text).toBe("(struct s_arr){.name = (char[8])['f','o','o',],}");
    // Non-compact emit_zeroes: 1.1.2 prints the NUL's indent and nothing else (the misaligned bracket 2c6f445a fixed).
    expect(fmt(T.sArr, foobar, { emitZeroes: true, ...LIBBPF_1_1_2_QUIRKS }).text).toBe(
      "(struct s_arr){\n\t.name = (char[8])[\n\t\t'f',\n\t\t'o',\n\t\t'o',\n\t\t\t],\n}",
    );
    expect(fmt(T.sArr, foobar, { emitZeroes: true }).text).toBe("(struct s_arr){\n\t.name = (char[8])[\n\t\t'f',\n\t\t'o',\n\t\t'o',\n\t],\n}");
  });

  it("sticky array state: later int arrays hide zeroes, later u8 print as chars", () => {
    const data = concat(bytes("ab", 4), le([4, 0], [4, 3], [1, 0x41], [3, 0]));
    expect(fmt(T.mixed, data, C).text).toBe("(struct mixed){.s = (char[4])['a','b',],.v = (int[2])[0,3,],.c = (__u8)65,}");
    expect(fmt(T.mixed, data, { ...C, ...LIBBPF_1_1_2_QUIRKS }).text).toBe("(struct mixed){.s = (char[4])['a','b',],.v = (int[2])[3,],.c = (__u8)'A',}");
    // With a terminated char array (emit_zeroes), 1.1.2 prints later arrays empty and the u8 as nothing at all.
    expect(fmt(T.mixed, data, { ...C, emitZeroes: true, ...LIBBPF_1_1_2_QUIRKS }).text).toBe(
      "(struct mixed){.s = (char[4])['a','b',],.v = (int[2])[],.c = (__u8)}",
    );
  });

  it("unsigned enumerators >= 2^31", () => {
    const data = le([4, 0x80000000]);
    expect(fmt(T.big, data, C).text).toBe("(struct has_big){.e = (enum big)BIG_HI,}");
    expect(fmt(T.big, data, { ...C, quirkEnumSignedMatch: true }).text).toBe("(struct has_big){.e = (enum big)2147483648,}");
  });
});

describe("long double (x87 80-bit) in every encoding class, as glibc %Lf prints it", () => {
  // Expected strings are glibc 2.36 printf("%Lf") and libbpf 1.1.2 btf_dump__dump_type_data()
  // output for the same 16 bytes (both agree on every row).
  const b = new BtfBuilder();
  const ld = b.float("long double", 16);
  const btf = b.finish();
  const value = (m: bigint, se: number): Uint8Array => le([8, m], [2, se], [6, 0]);
  const rows: [string, bigint, number, string][] = [
    ["1.0", 0x8000000000000000n, 0x3fff, "1.000000"],
    ["3.0", 0xc000000000000000n, 0x4000, "3.000000"],
    ["0.5", 0x8000000000000000n, 0x3ffe, "0.500000"],
    ["53248", 0xd000000000000000n, 0x400e, "53248.000000"],
    ["unnormal, zero mantissa", 0n, 0x3fff, "nan"],
    ["unnormal", 0x4000000000000000n, 0x3fff, "nan"],
    ["negative unnormal", 0x4000000000000000n, 0xbfff, "-nan"],
    ["unnormal with exponent 1", 1n, 0x0001, "nan"],
    ["largest unnormal", 0x7fffffffffffffffn, 0x7ffe, "nan"],
    ["pseudo-infinity", 0n, 0x7fff, "nan"],
    ["negative pseudo-infinity", 0n, 0xffff, "-nan"],
    ["pseudo-NaN", 0x4000000000000000n, 0x7fff, "nan"],
    ["infinity", 0x8000000000000000n, 0x7fff, "inf"],
    ["negative infinity", 0x8000000000000000n, 0xffff, "-inf"],
    ["quiet NaN", 0xc000000000000000n, 0x7fff, "nan"],
    ["negative quiet NaN", 0xc000000000000000n, 0xffff, "-nan"],
    ["signalling NaN", 0xa000000000000000n, 0x7fff, "nan"],
    ["pseudo-denormal (a valid 2^-16382)", 0x8000000000000000n, 0x0000, "0.000000"],
    ["negative pseudo-denormal", 0x8000000000000000n, 0x8000, "-0.000000"],
    ["denormal", 1n, 0x0000, "0.000000"],
    ["zero", 0n, 0x0000, "0.000000"],
    ["negative zero", 0n, 0x8000, "-0.000000"],
    ["smallest normal", 0x8000000000000001n, 0x0001, "0.000000"],
  ];
  it.each(rows)("%s", (_name, m, se, expected) => {
    expect(formatLibbpf(btf, ld, value(m, se))).toEqual({ text: `(long double)${expected}`, status: 0 });
  });
  it("the largest value: all 4933 integer digits", () => {
    const { text } = formatLibbpf(btf, ld, value(0xffffffffffffffffn, 0x7ffe));
    expect(text.length).toBe("(long double)".length + 4940);
    expect(text.startsWith("(long double)11897314953572317650")).toBe(true);
    expect(text.endsWith("6811989770240.000000")).toBe(true);
  });
});

describe("libbpf 1.1.2 quirk: unmatched signed enum values lose their delimiter", () => {
  // Checked against libbpf 1.1.2 (Debian libbpf-dev 1:1.1.2) btf_dump__dump_type_data()
  // on the same types: struct s { enum es a; enum eu b; enum e64s c; enum e64u d; int z; }
  // (packed, 28 bytes) and struct bf { enum es x: 4; int y: 4; }.
  const b = new BtfBuilder();
  const int = b.int("int", 4, IntEncoding.SIGNED);
  const es = b.enum("es", 4, [["NEG", -1], ["ONE", 1]]);
  const eu = b.enum("eu", 4, [["A", 1]]);
  const e64s = b.enum64("e64s", 8, [["X", -5n]]);
  const e64u = b.enum64("e64u", 8, [["Y", 5n]], false);
  const st = b.struct("s", 28);
  b.field(st, "a", es, 0).field(st, "b", eu, 32).field(st, "c", e64s, 64).field(st, "d", e64u, 128).field(st, "z", int, 192);
  const bf = b.struct("bf", 4);
  b.field(bf, "x", es, 0, 4).field(bf, "y", int, 4, 4);
  const btf = b.finish();
  const q = LIBBPF_1_1_2_QUIRKS;
  const unmatched = le([4, -7], [4, 0xfffffff0], [8, -11n], [8, -13n], [4, 3]);

  it("with the quirks: no `,` and no newline after a signed number, the next member's indent follows", () => {
    expect(formatLibbpf(btf, st, unmatched, q)).toEqual({
      text: "(struct s){\n\t.a = (enum es)-7\t.b = (enum eu)4294967280,\n\t.c = (enum e64s)-11LL\t.d = (enum e64u)18446744073709551603ULL,\n\t.z = (int)3,\n}",
      status: 0,
    });
    expect(formatLibbpf(btf, st, le([4, 7], [4, 9], [8, 11n], [8, 13n], [4, 3]), { compact: true, ...q })).toEqual({
      text: "(struct s){.a = (enum es)7.b = (enum eu)9,.c = (enum e64s)11LL.d = (enum e64u)13ULL,.z = (int)3,}",
      status: 0,
    });
    // bitfield enums go through the same path
    expect(formatLibbpf(btf, bf, Uint8Array.of(0x37, 0, 0, 0), q).text).toBe("(struct bf){\n\t.x = (enum es)7\t.y = (int)0x3,\n}");
    expect(formatLibbpf(btf, bf, Uint8Array.of(0x3f, 0, 0, 0), q).text).toBe("(struct bf){\n\t.x = (enum es)15\t.y = (int)0x3,\n}");
    // matched enumerators, and the top level (no delimiter there anyway), are unaffected
    expect(formatLibbpf(btf, st, le([4, -1], [4, 1], [8, -5n], [8, 5n], [4, 3]), q).text).toBe(
      "(struct s){\n\t.a = (enum es)NEG,\n\t.b = (enum eu)A,\n\t.c = (enum e64s)X,\n\t.d = (enum e64u)Y,\n\t.z = (int)3,\n}",
    );
    expect(formatLibbpf(btf, es, le([4, 7]), q)).toEqual({ text: "(enum es)7", status: 0 });
    expect(formatLibbpf(btf, e64s, le([8, -9n]), q)).toEqual({ text: "(enum e64s)-9LL", status: 0 });
  });

  it("the switch alone, and the default (correct) output", () => {
    expect(formatLibbpf(btf, st, unmatched, { compact: true, quirkEnumSignedNoDelim: true }).text).toBe(
      "(struct s){.a = (enum es)-7.b = (enum eu)4294967280,.c = (enum e64s)-11LL.d = (enum e64u)18446744073709551603ULL,.z = (int)3,}",
    );
    expect(formatLibbpf(btf, st, unmatched)).toEqual({
      text: "(struct s){\n\t.a = (enum es)-7,\n\t.b = (enum eu)4294967280,\n\t.c = (enum e64s)-11LL,\n\t.d = (enum e64u)18446744073709551603ULL,\n\t.z = (int)3,\n}",
      status: 0,
    });
    // correct bitfield enums are sign-extended: 0xf of a signed enum is -1, NEG
    expect(formatLibbpf(btf, bf, Uint8Array.of(0x3f, 0, 0, 0)).text).toBe("(struct bf){\n\t.x = (enum es)NEG,\n\t.y = (int)0x3,\n}");
  });
});

describe("libbpf typed data: ksnoop §2.2 (d) typed-data portion (indent ' ' x 36)", () => {
  const ks: LibbpfFormatOptions = { indentStr: " ", indentLevel: 36 };
  const sp = (n: number) => " ".repeat(n);
  const qstr = le([4, 4660], [4, 3], [8, 0xffff888012345678n]);
  it("struct qstr", () => {
    expect(fmt(T.qstr, qstr, ks)).toEqual({
      text: [
        `${sp(36)}(struct qstr){`,
        `${sp(37)}(union){`,
        `${sp(38)}(struct){`,
        `${sp(39)}.hash = (u32)4660,`,
        `${sp(39)}.len = (u32)3,`,
        `${sp(38)}},`,
        `${sp(38)}.hash_len = (u64)12884906548,`,
        `${sp(37)}},`,
        `${sp(37)}.name = (unsigned char *)0xffff888012345678,`,
        `${sp(36)}}`,
      ].join("\n"),
      status: 0,
    });
  });
  it("struct qstr truncated to 8 bytes", () => {
    expect(fmt(T.qstr, qstr.subarray(0, 8), ks)).toEqual({
      text: [
        `${sp(36)}(struct qstr){`,
        `${sp(37)}(union){`,
        `${sp(38)}(struct){`,
        `${sp(39)}.hash = (u32)4660,`,
        `${sp(39)}.len = (u32)3,`,
        `${sp(38)}},`,
        `${sp(38)}.hash_len = (u64)12884906548,`,
        `${sp(37)}},`,
        "",
      ].join("\n"),
      status: -7,
    });
  });
  it("enum pid_type", () => {
    expect(fmt(T.pidType, le([4, 1]), ks)).toEqual({ text: `${sp(36)}(enum pid_type)PIDTYPE_TGID`, status: 0 });
  });
});

describe("libbpf typed data: other details", () => {
  it("type names strip modifiers and print prototypes", () => {
    expect(libbpfTypeName(T.btf, T.llseekProto)).toBe("loff_t(struct file *, loff_t, int)");
    expect(libbpfTypeName(T.btf, T.llseekProto, "f")).toBe("loff_t f(struct file *, loff_t, int)");
  });
  it("enum64 and unknown values", () => {
    expect(fmt(T.e64, le([8, 0x123456789n]), C).text).toBe("(enum e64)E64_X");
    expect(fmt(T.e64, le([8, 5]), C).text).toBe("(enum e64)5ULL");
  });
  it("doubles print as glibc %f", () => {
    expect(formatDouble(0.0078125)).toBe("0.007812");
    expect(formatDouble(-1.5)).toBe("-1.500000");
    expect(formatDouble(1e22)).toBe("10000000000000000000000.000000");
    expect(formatDouble(Number.NaN)).toBe("nan");
    expect(formatDouble(-Infinity)).toBe("-inf");
    expect(fmt(T.double, new Uint8Array(new Float64Array([2.5]).buffer), C).text).toBe("(double)2.500000");
    // 80-bit long double 3.0: mantissa 0xc000000000000000, exponent 16384.
    expect(fmt(T.longDouble, concat(le([8, 0xc000000000000000n], [2, 16384]), new Uint8Array(6)), C).text).toBe("(long double)3.000000");
  });
  it("errors are statuses, never throws", () => {
    expect(fmt(99999, new Uint8Array(4))).toEqual({ text: "", status: -2 });
    expect(fmt(0, new Uint8Array(4))).toEqual({ text: "", status: -22 });
  });
  it("the ValueFormatter", () => {
    expect(libbpfValueFormatter.style).toBe("libbpf");
    expect(libbpfValueFormatter.format(T.btf, T.int, le([4, 7]))).toEqual({ text: "(int)7", status: 0 });
  });
});
