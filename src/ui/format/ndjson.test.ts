// NDJSON output: exact lines for entry/return/tracepoint events, pointers,
// strings, truncation, errors and 64-bit times.
import { describe, expect, it } from "vitest";
import { BtfBuilder } from "../../btf/builder.js";
import { IntEncoding } from "../../btf/kinds.js";
import type { TraceEvent } from "../../tracer/event.js";
import { errnoName, formatJsonEvent } from "./ndjson.js";

const b = new BtfBuilder();
const int = b.int("int", 4, IntEncoding.SIGNED);
const char = b.int("char", 1, IntEncoding.SIGNED);
const uint = b.int("unsigned int", 4);
const qstr = b.struct("qstr", 16);
const uchar = b.int("unsigned char", 1);
b.field(qstr, "hash", uint, 0).field(qstr, "len", uint, 32).field(qstr, "name", b.ptr(b.const(uchar)), 64);
const qstrPtr = b.ptr(qstr);
const charPtr = b.ptr(b.const(char));
const btf = b.finish();

const base = { cpu: 1, pid: 2800, tid: 2813, comm: "cat", func: "fake_fn" } as const;
const qdata = Uint8Array.from([0x34, 0x12, 0, 0, 3, 0, 0, 0, 0x78, 0x56, 0x34, 0x12, 0x80, 0x88, 0xff, 0xff]);

describe("formatJsonEvent", () => {
  it("entry with a pointer to a struct and a string", () => {
    const ev: TraceEvent = {
      ...base,
      timeNs: 78101668506811n,
      kind: "entry",
      values: [
        { name: "name", typeId: qstrPtr, ptr: 0xffff888000001000n, raw: 0xffff888000001000n, dataTypeId: qstr, data: qdata, fullSize: 16 },
        { name: "path", typeId: charPtr, ptr: 0xffff888000002000n, raw: 0xffff888000002000n, dataTypeId: char, fullSize: 1, string: 'a "b"' },
      ],
    };
    expect(formatJsonEvent(btf, ev)).toBe(
      '{"time_ns":78101668506811,"cpu":1,"pid":2800,"tid":2813,"comm":"cat","func":"fake_fn","kind":"entry","values":[' +
        '{"name":"name","type":"struct qstr *","ptr":"0xffff888000001000","value":{"hash":4660,"len":3,"name":"0xffff888012345678"}},' +
        '{"name":"path","type":"const char *","ptr":"0xffff888000002000","value":"a \\"b\\""}]}\n',
    );
  });

  it("return value, truncation, errors, huge time", () => {
    const ev: TraceEvent = {
      ...base,
      timeNs: 2n ** 63n - 1n,
      kind: "return",
      values: [
        { name: "return", typeId: int, raw: 2n ** 64n - 22n, dataTypeId: int, data: Uint8Array.from([0xea, 0xff, 0xff, 0xff]), fullSize: 4 },
        { name: "name", typeId: qstrPtr, ptr: 0x10n, raw: 0x10n, dataTypeId: qstr, data: qdata.subarray(0, 8), fullSize: 16 },
        { name: "buf", typeId: charPtr, ptr: 0x7ffd1234n, raw: 0x7ffd1234n, dataTypeId: char, fullSize: 1, error: -14 },
      ],
    };
    expect(formatJsonEvent(btf, ev)).toBe(
      '{"time_ns":"9223372036854775807","cpu":1,"pid":2800,"tid":2813,"comm":"cat","func":"fake_fn","kind":"return","values":[' +
        '{"name":"return","type":"int","value":-22},' +
        '{"name":"name","type":"struct qstr *","ptr":"0x10","value":{"hash":4660,"len":3,"name":null},"truncated":true},' +
        '{"name":"buf","type":"const char *","ptr":"0x7ffd1234","error":"EFAULT"}]}\n',
    );
  });

  it("tracepoint with no values; output parses", () => {
    const ev: TraceEvent = { ...base, timeNs: 5n, func: "sched:sched_switch", kind: "tracepoint", values: [] };
    const line = formatJsonEvent(btf, ev);
    expect(line).toBe('{"time_ns":5,"cpu":1,"pid":2800,"tid":2813,"comm":"cat","func":"sched:sched_switch","kind":"tracepoint","values":[]}\n');
    expect(JSON.parse(line)).toMatchObject({ kind: "tracepoint" });
  });

  it("errno names", () => {
    expect(errnoName(-14)).toBe("EFAULT");
    expect(errnoName(-7)).toBe("E2BIG");
    expect(errnoName(-999)).toBe("E999");
  });
});
