// ksnoop text output: the reference's §2.2 (d) run of trace_handler()
// (libbpf 1.1.2, fake_fn(struct qstr *name, enum pid_type type)) byte for byte,
// plus the header, string values and kernel-rendered text.
import { describe, expect, it } from "vitest";
import { BtfBuilder } from "../../btf/builder.js";
import { IntEncoding } from "../../btf/kinds.js";
import type { TraceEvent, TraceValue } from "../../tracer/event.js";
import { cStringLiteral, formatKsnoopEvent, formatKsnoopHeader, ksnoopShows, typeIdToStr } from "./ksnoop-text.js";

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
const u32 = b.typedef("u32", b.typedef("__u32", b.int("unsigned int", 4)));
const u64 = b.typedef("u64", b.typedef("__u64", b.int("long long unsigned int", 8)));
const hashS = b.struct("", 8);
b.field(hashS, "hash", u32, 0).field(hashS, "len", u32, 32);
const hashU = b.union("", 8);
b.field(hashU, "", hashS, 0).field(hashU, "hash_len", u64, 0);
const qstr = b.struct("qstr", 16);
b.field(qstr, "", hashU, 0).field(qstr, "name", b.ptr(b.const(uchar)), 64);
const qstrPtr = b.ptr(qstr);
const pidType = b.enum("pid_type", 4, [
  ["PIDTYPE_PID", 0],
  ["PIDTYPE_TGID", 1],
  ["PIDTYPE_PGID", 2],
  ["PIDTYPE_SID", 3],
  ["PIDTYPE_MAX", 4],
]);
const charPtr = b.ptr(char);
b.func("fake_fn", b.funcProto(int, [["name", qstrPtr], ["type", pidType]]));
const voidPtr = b.ptr(0);
const btf = b.finish();

const qstrBytes = le([4, 4660], [4, 3], [8, 0xffff888012345678n]);
const nameValue = (data: Uint8Array): TraceValue => ({
  name: "name",
  typeId: qstrPtr,
  ptr: 0xffff888000001000n,
  raw: 0xffff888000001000n,
  dataTypeId: qstr,
  data,
  fullSize: 16,
});
const ret = (v: number): TraceValue => ({ name: "return", typeId: int, raw: BigInt.asUintN(64, BigInt(v)), dataTypeId: int, data: le([4, v]), fullSize: 4 });
const event = (timeNs: bigint, kind: TraceEvent["kind"], values: TraceValue[]): TraceEvent => ({
  timeNs,
  cpu: 1,
  pid: 2813,
  tid: 2813,
  comm: "fake",
  func: "fake_fn",
  kind,
  values,
});

const EXPECTED_1 = [
  "            TIME  CPU      PID FUNCTION/ARGS",
  "  78101668506811    1     2813 fake_fn(",
  "                                   name = *(0xffff888000001000)",
  "                                    (struct qstr){",
  "                                     (union){",
  "                                      (struct){",
  "                                       .hash = (u32)4660,",
  "                                       .len = (u32)3,",
  "                                      },",
  "                                      .hash_len = (u64)12884906548,",
  "                                     },",
  "                                     .name = (unsigned char *)0xffff888012345678,",
  "                                    },",
  "                                   type = ",
  "                                    (enum pid_type)PIDTYPE_TGID",
  "                               );",
  "",
  "  78101668506999    1     2813 fake_fn(",
  "                                   return = ",
  "                                    (int)0",
  "                               );",
  "",
  "  78101668507000    1     2813 fake_fn(",
  "                                   return = ",
  "                                    (int)-22",
  "                               );",
  "",
].join("\n") + "\n";
const EXPECTED_TRUNCATED = [
  "  78101668507001    1     2813 fake_fn(",
  "                                   name = *(0xffff888000001000)",
  "                                    (struct qstr){",
  "                                     (union){",
  "                                      (struct){",
  "                                       .hash = (u32)4660,",
  "                                       .len = (u32)3,",
  "                                      },",
  "                                      .hash_len = (u64)12884906548,",
  "                                     },",
  "                                    ... /* 8 bytes of 16 */",
  "                               );",
  "",
].join("\n") + "\n";
const EXPECTED_UNREADABLE = [
  "  78101668507002    1     2813 fake_fn(",
  "                                   buf = *(0x7ffd1234)",
  "                                     /* Cannot show 'buf' as 'char  *'; invalid/userspace ptr? */",
  "",
  "                               );",
  "",
].join("\n") + "\n";

describe("ksnoop text (reference §2.2 (d), verbatim)", () => {
  it("header, entry and two returns", () => {
    const out =
      formatKsnoopHeader() +
      formatKsnoopEvent(
        btf,
        event(78101668506811n, "entry", [
          nameValue(qstrBytes),
          { name: "type", typeId: pidType, raw: 1n, dataTypeId: pidType, data: le([4, 1]), fullSize: 4 },
        ]),
      ) +
      formatKsnoopEvent(btf, event(78101668506999n, "return", [ret(0)])) +
      formatKsnoopEvent(btf, event(78101668507000n, "return", [ret(-22)]));
    expect(out).toBe(EXPECTED_1);
  });

  it("truncated value (-E2BIG)", () => {
    expect(formatKsnoopEvent(btf, event(78101668507001n, "entry", [nameValue(qstrBytes.subarray(0, 8))]))).toBe(EXPECTED_TRUNCATED);
  });

  it("unreadable pointer", () => {
    const buf: TraceValue = { name: "buf", typeId: charPtr, ptr: 0x7ffd1234n, raw: 0x7ffd1234n, dataTypeId: char, fullSize: 1, error: -14 };
    expect(formatKsnoopEvent(btf, event(78101668507002n, "entry", [buf]))).toBe(EXPECTED_UNREADABLE);
  });

  it("the same with libbpf 1.1.2 quirks on", () => {
    const ev = event(78101668507001n, "entry", [nameValue(qstrBytes.subarray(0, 8))]);
    expect(formatKsnoopEvent(btf, ev, { libbpfQuirks: true })).toBe(EXPECTED_TRUNCATED);
  });
});

describe("ksnoop text: details and extensions", () => {
  const sp = (n: number) => " ".repeat(n);
  it("skips void values; PID column is the tid", () => {
    const ev: TraceEvent = {
      ...event(5n, "entry", [
        { name: "p", typeId: voidPtr, ptr: 0x10n, raw: 0x10n, dataTypeId: 0, fullSize: 0 },
        { name: "s", typeId: charPtr, ptr: 0xffff000000000010n, raw: 0n, dataTypeId: char, fullSize: 1, string: 'a"b\\\n\u00e9' },
      ]),
      pid: 100,
      tid: 101,
    };
    expect(formatKsnoopEvent(btf, ev)).toBe(
      `${sp(15)}5 ${sp(3)}1 ${sp(5)}101 fake_fn(\n${sp(35)}s = *(0xffff000000000010)\n${sp(36)}"a\\"b\\\\\\n\\303\\251"\n${sp(31)});\n\n`,
    );
  });
  it("ksnoopShows: a record prints only when some non-void value was captured, as ksnoop's program sends it", () => {
    const voidP = { name: "p", typeId: voidPtr, ptr: 0x10n, raw: 0x10n, dataTypeId: 0, fullSize: 0 };
    const failed = { ...nameValue(new Uint8Array(0)), data: undefined, error: -14 };
    expect(ksnoopShows(event(1n, "entry", []))).toBe(false); // schedule(): no arguments, void return
    expect(ksnoopShows(event(1n, "entry", [voidP]))).toBe(false);
    expect(ksnoopShows(event(1n, "entry", [failed]))).toBe(false);
    expect(ksnoopShows(event(1n, "entry", [failed, ret(0)]))).toBe(true);
    expect(ksnoopShows(event(1n, "return", [{ name: "return", typeId: int, raw: 0n, dataTypeId: int, text: "(int)0\n", fullSize: 4 }]))).toBe(true);
  });
  it("kernel-rendered text is indented 36", () => {
    const ev = event(7n, "return", [{ name: "return", typeId: int, raw: 0n, dataTypeId: int, text: "(int)0\n", fullSize: 4 }]);
    expect(formatKsnoopEvent(btf, ev)).toBe(`${sp(15)}7 ${sp(3)}1 ${sp(4)}2813 fake_fn(\n${sp(35)}return = \n${sp(36)}(int)0\n${sp(31)});\n\n`);
  });
  it("type_id_to_str", () => {
    expect(typeIdToStr(btf, char)).toBe("char ");
    expect(typeIdToStr(btf, qstr)).toBe("struct qstr ");
    expect(typeIdToStr(btf, charPtr)).toBe("char * ");
    expect(typeIdToStr(btf, 0)).toBe("void ");
    expect(typeIdToStr(btf, u32)).toBe("u32 ");
  });
  it("C string literals", () => {
    expect(cStringLiteral("hi\tthere\0")).toBe('"hi\\tthere\\000"');
  });
});
