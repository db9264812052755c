import { describe, expect, it } from "vitest";
import { Rec, Val } from "../codegen/layout.js";
import type { TargetPlan, ValuePlan } from "../probe-spec/plan.js";
import { decodeRecord, RecordError } from "./decode.js";

function value(over: Partial<ValuePlan>): ValuePlan {
  return { name: "x", when: "entry", source: "arg", argIndex: 0, hops: [], final: { kind: "register" }, size: 8, typeId: 7, signed: false, show: true, ...over };
}

const target: TargetPlan = {
  name: "ip_send_skb",
  ip: 0xffffffff81000000n,
  btfId: 721,
  nargs: 2,
  params: [],
  retTypeId: 9,
  values: [
    value({ name: "skb->sk", argIndex: 1, final: { kind: "memory", offset: 24 }, typeId: 452, pointee: { typeId: 432, size: 720, string: false } }),
    value({ name: "return", when: "return", source: "ret", size: 4, typeId: 9, signed: true }),
    value({ name: "name", pointee: { typeId: 3, size: 64, string: true } }),
    value({ name: "skb->pkt_type", final: { kind: "memory", offset: 128 }, size: 1, typeId: 4, bitfield: { bitOffset: 0, bitSize: 3 } }),
    value({ name: "p", typeId: 20, pointee: { typeId: 0, size: 0, string: false } }),
  ],
  predicate: undefined,
  stash: false,
  onEntry: true,
  onReturn: true,
};
const other: TargetPlan = { ...target, name: "tcp_sendmsg", values: [value({ name: "size", typeId: 61 })] };

interface V {
  raw: bigint;
  data?: number[];
  err?: number;
  slot: number;
  flags?: number;
}

function record(o: { values: V[]; index?: number; flags?: number; version?: number; comm?: string; totalDelta?: number; lenOverride?: number }): Uint8Array {
  let size = Rec.SIZEOF;
  for (const v of o.values) size += Val.SIZEOF + (((v.data?.length ?? 0) + 7) & ~7);
  const out = new Uint8Array(size);
  const d = new DataView(out.buffer);
  d.setUint16(Rec.VERSION, o.version ?? 1, true);
  d.setUint16(Rec.HEADER_LEN, Rec.SIZEOF, true);
  d.setUint32(Rec.TOTAL_LEN, size + (o.totalDelta ?? 0), true);
  d.setBigUint64(Rec.TIME, 5_000_200_000n, true);
  d.setUint32(Rec.CPU, 2, true);
  d.setUint32(Rec.TID, 1234, true);
  d.setUint32(Rec.PID, 1200, true);
  d.setUint32(Rec.FUNC_INDEX, o.index ?? 0, true);
  d.setUint32(Rec.FLAGS, o.flags ?? 0, true);
  d.setUint32(Rec.NVALUES, o.values.length, true);
  out.set(Buffer.from(o.comm ?? "curl", "latin1"), Rec.COMM);
  let off = Rec.SIZEOF;
  for (const v of o.values) {
    d.setBigUint64(off + Val.RAW, v.raw, true);
    d.setUint32(off + Val.DATA_LEN, o.lenOverride ?? v.data?.length ?? 0, true);
    d.setInt32(off + Val.ERR, v.err ?? 0, true);
    d.setUint16(off + Val.SLOT, v.slot, true);
    d.setUint16(off + Val.FLAGS, v.flags ?? 0, true);
    out.set(v.data ?? [], off + Val.SIZEOF);
    off += Val.SIZEOF + (((v.data?.length ?? 0) + 7) & ~7);
  }
  return out;
}

describe("decodeRecord", () => {
  it("decodes every kind of value", () => {
    const rec = record({
      index: 1 - 1,
      flags: 1,
      comm: "0123456789abcdef", // a full comm has no NUL
      values: [
        { raw: 0xffff88810000b000n, data: [1, 2, 3], slot: 0 },
        { raw: 0xfffffffffffffff5n, data: [0xf5, 0xff, 0xff, 0xff, 0, 0, 0, 0], slot: 1 },
        { raw: 0xffff888100001000n, data: [0x6c, 0x6f, 0, 0x41], slot: 2 },
        { raw: 5n, data: [0xa5], slot: 3 },
        { raw: 0x1234n, slot: 4 },
        { raw: 0n, err: -14, slot: 0 },
        { raw: 0n, data: [0x28, 0x69, 0x6e, 0x74, 0x29, 0x35, 0x0a, 0], slot: 1, flags: 1 },
      ],
    });
    expect(decodeRecord(rec, [target, other])).toEqual({
      timeNs: 5_000_200_000n,
      cpu: 2,
      tid: 1234,
      pid: 1200,
      comm: "0123456789abcdef",
      func: "ip_send_skb",
      kind: "return",
      values: [
        { name: "skb->sk", typeId: 452, raw: 0xffff88810000b000n, ptr: 0xffff88810000b000n, dataTypeId: 432, fullSize: 720, data: new Uint8Array([1, 2, 3]) },
        { name: "return", typeId: 9, raw: 0xfffffffffffffff5n, dataTypeId: 9, fullSize: 4, data: new Uint8Array([0xf5, 0xff, 0xff, 0xff, 0, 0, 0, 0]) },
        { name: "name", typeId: 7, raw: 0xffff888100001000n, ptr: 0xffff888100001000n, dataTypeId: 3, fullSize: 64, string: "lo" },
        // A bitfield's data is its extracted value in its storage size, not the loaded byte.
        { name: "skb->pkt_type", typeId: 4, raw: 5n, dataTypeId: 4, fullSize: 1, data: new Uint8Array([5]) },
        { name: "p", typeId: 20, raw: 0x1234n, ptr: 0x1234n, dataTypeId: 0, fullSize: 0 },
        { name: "skb->sk", typeId: 452, raw: 0n, ptr: 0n, dataTypeId: 432, fullSize: 720, error: -14 },
        { name: "return", typeId: 9, raw: 0n, dataTypeId: 9, fullSize: 4, text: "(int)5\n" },
      ],
    });
  });

  it("decodes an entry record of another target with no values and a short comm", () => {
    const ev = decodeRecord(record({ index: 1, values: [], comm: "sh" }), [target, other]);
    expect(ev).toEqual({ timeNs: 5_000_200_000n, cpu: 2, tid: 1234, pid: 1200, comm: "sh", func: "tcp_sendmsg", kind: "entry", values: [] });
  });

  it("accepts a record inside a larger buffer view (byteOffset != 0)", () => {
    const rec = record({ index: 1, values: [{ raw: 506n, data: [0xfa, 1, 0, 0, 0, 0, 0, 0], slot: 0 }] });
    const big = new Uint8Array(rec.length + 16);
    big.set(rec, 8);
    const ev = decodeRecord(big.subarray(8, 8 + rec.length), [target, other]);
    expect(ev.values).toEqual([{ name: "size", typeId: 61, raw: 506n, dataTypeId: 61, fullSize: 8, data: new Uint8Array([0xfa, 1, 0, 0, 0, 0, 0, 0]) }]);
  });

  const bad: [string, () => Uint8Array, string][] = [
    ["short", () => new Uint8Array(55), "record of 55 bytes is shorter than its 56-byte header"],
    ["wrong version", () => record({ version: 2, values: [] }), "record version 2, expected 1"],
    ["total longer than the bytes", () => record({ values: [], totalDelta: 8 }), "record says 64 bytes, has 56"],
    ["total shorter than a header", () => record({ values: [], totalDelta: -1 }), "record says 55 bytes, has 56"],
    ["unknown target", () => record({ index: 2, values: [] }), "record for target 2, only 2 traced"],
    ["value header past the end", () => {
      const r = record({ values: [{ raw: 1n, slot: 1 }] });
      new DataView(r.buffer).setUint32(Rec.NVALUES, 2, true);
      return r;
    }, "value 1 runs past the record (80 of 80)"],
    ["data past the end", () => record({ values: [{ raw: 1n, data: [1, 2, 3, 4], slot: 1 }], lenOverride: 9 }), "value 0 data of 9 bytes runs past the record"],
    ["data longer than MAX_DATA", () => record({ values: [{ raw: 1n, data: [1], slot: 1 }], lenOverride: 2049 }), "value 0 data of 2049 bytes runs past the record"],
    ["unknown slot", () => record({ values: [{ raw: 1n, slot: 5 }] }), "value slot 5 of ip_send_skb, which has 5"],
  ];
  it.each(bad)("rejects a malformed record: %s", (_what, make, message) => {
    const rec = make();
    expect(() => decodeRecord(rec, [target, other])).toThrow(RecordError);
    expect(() => decodeRecord(rec, [target, other])).toThrow(message);
    try {
      decodeRecord(rec, [target, other]);
    } catch (e) {
      expect((e as Error).message).toBe(message);
    }
  });
});
