// BPF_MAP_TYPE_RINGBUF: record headers (BUSY/DISCARD bits, page offset),
// exact producer/consumer positions, a busy record blocking the consumer,
// discarded records skipped, wraparound of a record across the end of the
// ring, space accounting and counted drops, wakeup flags and queries.
import { describe, expect, it } from "vitest";
import { AddressSpace } from "../memory.js";
import { createMap } from "./create.js";
import { RINGBUF_MAX_RECORD_SZ, RingbufMap, ringbufRecordAt } from "./ringbuf.js";
import {
  BPF_MAP_TYPE_RINGBUF,
  BPF_RB_AVAIL_DATA,
  BPF_RB_CONS_POS,
  BPF_RB_FORCE_WAKEUP,
  BPF_RB_NO_WAKEUP,
  BPF_RB_PROD_POS,
  BPF_RB_RING_SIZE,
  E,
} from "./types.js";
import { readU32, u32Bytes } from "./util.js";

const BASE = 0xffffc9a000001000n; // first RINGBUF region of an address space

function setup(size = 4096): { mem: AddressSpace; rb: RingbufMap } {
  const mem = new AddressSpace();
  const rb = createMap({ type: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: size, name: "events" }, { mem, nrCpus: 1 });
  if (!(rb instanceof RingbufMap)) throw new Error(`createMap failed: ${String(rb)}`);
  return { mem, rb };
}

const pattern = (n: number, seed = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

/** Writes `data` at a reserved record's address, as a program would. */
function write(mem: AddressSpace, addr: bigint, data: Uint8Array): void {
  const r = mem.findAddress(addr, data.length)!;
  const off = Number(addr - ((BigInt(r.hi) << 32n) + BigInt(r.lo)));
  r.bytes.set(data, off);
}

describe("ringbuf records", () => {
  it("reserve writes a busy header; submit commits it; the consumer reads it", () => {
    const { mem, rb } = setup();
    const addr = rb.reserve(10);
    expect(addr).toBe(BASE + 8n);
    expect(readU32(rb.data.bytes, 0)).toBe(0x8000000a); // len 10 | BUSY
    expect(readU32(rb.data.bytes, 4)).toBe(3); // page offset of the header from struct bpf_ringbuf
    expect([rb.producerPos, rb.consumerPos, rb.availData]).toEqual([24, 0, 24]);
    expect(rb.consume()).toEqual([]);
    write(mem, addr, pattern(10));
    expect(rb.commitAddress(addr, 0, false)).toBe(0);
    expect(readU32(rb.data.bytes, 0)).toBe(10);
    expect(rb.consume()).toEqual([{ pos: 0, data: pattern(10) }]);
    expect([rb.consumerPos, rb.availData]).toEqual([24, 0]);
    expect(rb.stats()).toEqual({ drops: 0, commits: 1, discards: 0, wakeups: 1 });
    expect(rb.data.label).toBe("ringbuf of map 0 'events'");
  });

  it("a busy record stops the consumer even when later records are committed", () => {
    const { rb } = setup();
    const a = rb.reserve(8); // [0, 16)
    const b = rb.reserve(16); // [16, 40)
    expect([a, b]).toEqual([BASE + 8n, BASE + 24n]);
    expect(rb.commitAddress(b, 0, false)).toBe(0);
    expect(rb.stats().wakeups).toBe(0); // the consumer waits at 0, not at 16
    expect(rb.consume()).toEqual([]);
    expect(rb.consumerPos).toBe(0);
    expect(rb.commitAddress(a, 0, false)).toBe(0);
    expect(rb.stats().wakeups).toBe(1);
    expect(rb.consume().map((s) => [s.pos, s.data.length])).toEqual([
      [0, 8],
      [16, 16],
    ]);
    expect(rb.consumerPos).toBe(40);
  });

  it("discarded records are skipped but consume their space", () => {
    const { rb } = setup();
    const a = rb.reserve(4);
    const b = rb.reserve(4);
    const c = rb.reserve(4);
    expect(rb.commitAddress(b, 0, true)).toBe(0);
    expect(readU32(rb.data.bytes, 16)).toBe(0x40000004); // len 4 | DISCARD
    expect(rb.commitAddress(a, 0, false)).toBe(0);
    expect(rb.commitAddress(c, 0, false)).toBe(0);
    expect(rb.consume().map((s) => s.pos)).toEqual([0, 32]);
    expect(rb.consumerPos).toBe(48);
    expect(rb.stats()).toEqual({ drops: 0, commits: 3, discards: 1, wakeups: 1 });
  });

  it("consume(max) stops after max records", () => {
    const { rb } = setup();
    for (let i = 0; i < 3; i++) expect(rb.output(u32Bytes(i), 0)).toBe(0);
    expect(rb.consume(2).map((s) => readU32(s.data))).toEqual([0, 1]);
    expect(rb.consumerPos).toBe(32);
    expect(rb.consume().map((s) => readU32(s.data))).toEqual([2]);
  });

  it("committing something that is not a reserved record is -EINVAL", () => {
    const { rb } = setup();
    const a = rb.reserve(4);
    expect(rb.commitAddress(a + 8n, 0, false)).toBe(E.EINVAL);
    expect(rb.commitAddress(a, 0, false)).toBe(0);
    expect(rb.commitAddress(a, 0, false)).toBe(E.EINVAL); // already committed
  });

  it("finds the ring of a record address (what submit/discard get)", () => {
    const { mem, rb } = setup();
    const a = rb.reserve(4);
    expect(ringbufRecordAt(mem, a)).toEqual({ ring: rb, offset: 0 });
    expect(ringbufRecordAt(mem, 0x1000n)).toBeUndefined();
  });

  it("the header's page offset counts pages from struct bpf_ringbuf", () => {
    const { rb } = setup(8192);
    expect(rb.output(new Uint8Array(4100), 0)).toBe(0); // [0, 4112)
    expect(rb.reserve(1)).toBe(BASE + 4112n + 8n);
    expect(readU32(rb.data.bytes, 4112 + 4)).toBe(4);
  });
});

describe("ringbuf wraparound and space", () => {
  it("a record crossing the end is contiguous for the program and wraps for the consumer", () => {
    const { mem, rb } = setup();
    for (let i = 0; i < 3; i++) expect(rb.output(pattern(1000, i), 0)).toBe(0); // 1008 bytes each
    expect(rb.consume().map((s) => s.pos)).toEqual([0, 1008, 2016]);
    expect(rb.consumerPos).toBe(3024);
    const addr = rb.reserve(1500); // header at 3024, data 3032..4532 runs past 4096
    expect(addr).toBe(BASE + 3032n);
    expect(rb.producerPos).toBe(3024 + 1512);
    const data = pattern(1500, 9);
    write(mem, addr, data);
    expect(rb.commitAddress(addr, 0, false)).toBe(0);
    expect(rb.data.bytes.subarray(0, 436)).toEqual(data.subarray(1064)); // wrapped tail copied to the start
    expect(rb.consume()).toEqual([{ pos: 3024, data }]);
    expect(rb.consumerPos).toBe(4536);
    // The next record starts right after the wrapped bytes.
    expect(rb.reserve(8)).toBe(BASE + 440n + 8n);
    expect([rb.query(BigInt(BPF_RB_CONS_POS)), rb.query(BigInt(BPF_RB_PROD_POS))]).toEqual([4536n, 4552n]);
  });

  it("output of a record that wraps delivers the same bytes", () => {
    const { rb } = setup();
    expect(rb.output(new Uint8Array(4000), 0)).toBe(0);
    rb.consume();
    expect(rb.consumerPos).toBe(4008);
    const data = pattern(200, 3);
    expect(rb.output(data, 0)).toBe(0); // header at 4008, data 4016..4216
    expect(rb.consume()).toEqual([{ pos: 4008, data }]);
  });

  it("keeps at most size - 1 bytes in flight and counts every drop", () => {
    const { rb } = setup();
    expect(rb.reserve(4080)).toBe(BASE + 8n); // 4088 bytes
    expect(rb.reserve(0)).toBe(0n); // 4096 > 4095
    expect(rb.output(new Uint8Array(1), 0)).toBe(E.EAGAIN);
    expect(rb.stats().drops).toBe(2);
    expect(rb.query(BigInt(BPF_RB_AVAIL_DATA))).toBe(4088n);
    // Consuming does not free a busy record's space.
    expect(rb.consume()).toEqual([]);
    expect(rb.reserve(0)).toBe(0n);
    expect(rb.stats().drops).toBe(3);
  });

  it("space comes back once the consumer passes committed records", () => {
    const { rb } = setup();
    expect(rb.output(new Uint8Array(4000), 0)).toBe(0);
    expect(rb.output(new Uint8Array(100), 0)).toBe(E.EAGAIN);
    expect(rb.consume().length).toBe(1);
    expect(rb.output(new Uint8Array(100), 0)).toBe(0);
    expect(rb.stats().drops).toBe(1);
  });

  it.each([
    ["larger than the ring", 4096],
    ["larger than RINGBUF_MAX_RECORD_SZ", RINGBUF_MAX_RECORD_SZ + 1],
    ["negative", -1],
  ])("a reservation %s is dropped", (_d, size) => {
    const { rb } = setup();
    expect(rb.reserve(size)).toBe(0n);
    expect(rb.stats().drops).toBe(1);
    expect(rb.producerPos).toBe(0);
  });
});

describe("ringbuf wakeups, queries and syscalls", () => {
  it.each([
    ["no flags, consumer waiting at the record", 0, 1],
    ["BPF_RB_NO_WAKEUP", BPF_RB_NO_WAKEUP, 0],
    ["BPF_RB_FORCE_WAKEUP", BPF_RB_FORCE_WAKEUP, 1],
  ])("output with %s", (_d, flags, wakeups) => {
    const { rb } = setup();
    let calls = 0;
    rb.onWakeup = () => calls++;
    expect(rb.output(u32Bytes(1), flags)).toBe(0);
    expect([rb.stats().wakeups, calls]).toEqual([wakeups, wakeups]);
  });

  it("FORCE_WAKEUP wakes even when the consumer is behind another record", () => {
    const { rb } = setup();
    rb.reserve(4);
    const b = rb.reserve(4);
    expect(rb.commitAddress(b, BPF_RB_FORCE_WAKEUP, false)).toBe(0);
    expect(rb.stats().wakeups).toBe(1);
  });

  it("output rejects unknown flags", () => {
    const { rb } = setup();
    expect(rb.output(u32Bytes(1), 4)).toBe(E.EINVAL);
    expect(rb.producerPos).toBe(0);
  });

  it("answers BPF_RB_* queries and 0 for unknown ones", () => {
    const { rb } = setup();
    expect(rb.output(new Uint8Array(12), 0)).toBe(0);
    rb.reserve(1); // 24 + 16 bytes
    expect(rb.query(BigInt(BPF_RB_AVAIL_DATA))).toBe(40n);
    expect(rb.query(BigInt(BPF_RB_RING_SIZE))).toBe(4096n);
    expect(rb.query(BigInt(BPF_RB_CONS_POS))).toBe(0n);
    expect(rb.query(BigInt(BPF_RB_PROD_POS))).toBe(40n);
    expect(rb.query(4n)).toBe(0n);
  });

  it.each([
    ["lookup", (rb: RingbufMap) => rb.lookup(new Uint8Array(0))],
    ["update", (rb: RingbufMap) => rb.update(new Uint8Array(0), new Uint8Array(0))],
    ["delete", (rb: RingbufMap) => rb.delete(new Uint8Array(0))],
    ["getNextKey", (rb: RingbufMap) => rb.getNextKey(null)],
    ["lookupBatch", (rb: RingbufMap) => rb.lookupBatch(null, 1).err],
  ] as const)("%s is -ENOTSUPP", (_d, op) => {
    expect(op(setup().rb)).toBe(E.ENOTSUPP);
  });
});
