// BPF_MAP_TYPE_PERF_EVENT_ARRAY: per-CPU rings and the perf record format
// (PERF_RECORD_SAMPLE with padded raw data, PERF_RECORD_LOST with the count
// of dropped samples written before the next sample that fits), ring space
// (size - 1 bytes), wrapping records, the output errnos and the fd array
// syscall semantics.
import { describe, expect, it } from "vitest";
import { AddressSpace } from "../memory.js";
import { createMap } from "./create.js";
import { PERF_RECORD_LOST, PERF_RECORD_SAMPLE, PerfEventArrayMap, type PerfRing } from "./perf-event-array.js";
import { BPF_F_CURRENT_CPU, BPF_MAP_TYPE_PERF_EVENT_ARRAY, BPF_NOEXIST, E } from "./types.js";
import { readU32, u32Bytes } from "./util.js";

const k = u32Bytes;

function setup(maxEntries = 0, nrCpus = 2): PerfEventArrayMap {
  const m = createMap({ type: BPF_MAP_TYPE_PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries }, { mem: new AddressSpace(), nrCpus });
  if (!(m instanceof PerfEventArrayMap)) throw new Error(`createMap failed: ${String(m)}`);
  return m;
}

function open(m: PerfEventArrayMap, pages = 1): PerfRing[] {
  const rings = m.openBuffers(pages);
  if (typeof rings === "number") throw new Error(`openBuffers: ${rings}`);
  return rings;
}

const sample = (...bytes: number[]) => ({ type: PERF_RECORD_SAMPLE, misc: 1, data: Uint8Array.from(bytes) });

describe("perf_event_array output", () => {
  it("gets one ring per CPU and writes padded raw samples to the current CPU's ring", () => {
    const m = setup();
    expect(m.maxEntries).toBe(2); // libbpf: 0 means one per possible CPU
    const [r0, r1] = open(m);
    expect([r0!.fd, r0!.cpu, r1!.fd, r1!.cpu, r0!.dataSize]).toEqual([3, 0, 4, 1, 4096]);
    expect(m.output(1, BPF_F_CURRENT_CPU, Uint8Array.from([1, 2, 3, 4, 5]))).toBe(0);
    expect(r1!.dataHead).toBe(24); // header 8 + u32 size + 5 bytes padded to 16
    // The record as perf writes it.
    expect(Array.from(r1!.bytes.subarray(0, 24))).toEqual([9, 0, 0, 0, 1, 0, 24, 0, 12, 0, 0, 0, 1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0, 0]);
    expect(r1!.read()).toEqual([sample(1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0, 0)]);
    expect([r1!.dataTail, r0!.dataHead]).toEqual([24, 0]);
  });

  it("records written over old ones (in place, and across the end of the ring) have zero padding and exact headers", () => {
    const m = setup();
    const [r0] = open(m);
    const dirty = Uint8Array.from({ length: 13 }, (_, i) => 0xa0 + i);
    // 13-byte samples: 32-byte records; 4096 / 32 = 128 fill the ring exactly, so the 5-byte ones after them overwrite old bytes.
    for (let i = 0; i < 127; i++) expect(m.output(0, BPF_F_CURRENT_CPU, dirty)).toBe(0);
    expect(r0!.read()).toHaveLength(127);
    // 5-byte samples: 24-byte records, the second one crossing the ring's end (head 4064 + 24 > 4096).
    for (let i = 0; i < 200; i++) {
      expect(m.output(0, BPF_F_CURRENT_CPU, Uint8Array.from([i, 2, 3, 4, 5]))).toBe(0);
      expect(r0!.read()).toEqual([sample(i, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0, 0)]);
    }
    expect([r0!.dataHead, r0!.samples, r0!.lost]).toEqual([127 * 32 + 200 * 24, 327, 0]);
    // The last record (written in place over old bytes), byte for byte.
    const at = (127 * 32 + 199 * 24) % 4096;
    expect(Array.from(r0!.bytes.subarray(at, at + 24))).toEqual([9, 0, 0, 0, 1, 0, 24, 0, 12, 0, 0, 0, 199, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("an explicit index writes to that entry; a 4-byte sample needs no padding", () => {
    const m = setup();
    const [r0] = open(m);
    expect(m.output(0, 0n, u32Bytes(0xdeadbeef))).toBe(0);
    expect(r0!.read()).toEqual([sample(0xef, 0xbe, 0xad, 0xde)]);
  });

  it.each([
    ["flags above the index mask", 0, 1n << 32n, E.EINVAL],
    ["an index past max_entries", 0, 2n, E.E2BIG],
    ["an index past max_entries (large)", 0, 0xfffffffen, E.E2BIG],
    ["an index with no event", 0, 1n, E.ENOENT],
    ["another CPU's event", 0, 1n, E.EOPNOTSUPP],
  ] as const)("output to %s", (d, cpu, flags, expected) => {
    const m = setup();
    open(m);
    if (d === "an index with no event") expect(m.delete(k(1))).toBe(0);
    expect(m.output(cpu, flags, new Uint8Array(8))).toBe(expected);
  });

  it("a record must fit perf_event_header's u16 size: larger samples are -E2BIG", () => {
    const m = setup(1, 1);
    const [r] = open(m, 32);
    expect(m.output(0, BPF_F_CURRENT_CPU, new Uint8Array(65516))).toBe(0); // 8 + 4 + 65516 = 65528 bytes
    expect(m.output(0, BPF_F_CURRENT_CPU, new Uint8Array(65517))).toBe(E.E2BIG); // would be 65536
    const recs = r!.read();
    expect(recs.length).toBe(1);
    expect((recs[0] as { data: Uint8Array }).data.length).toBe(65516);
    expect(r!.lost).toBe(0);
  });
});

describe("perf_event_array lost samples", () => {
  it("counts samples that do not fit and reports them in a PERF_RECORD_LOST before the next sample", () => {
    const m = setup(1, 1);
    const [r] = open(m);
    const data = new Uint8Array(100); // record: 8 + 104 = 112 bytes
    const results: number[] = [];
    for (let i = 0; i < 40; i++) results.push(m.output(0, BPF_F_CURRENT_CPU, data));
    // 36 * 112 = 4032 bytes fit in 4095; the other 4 are lost.
    expect(results.filter((x) => x === 0).length).toBe(36);
    expect(results.slice(36)).toEqual([E.ENOSPC, E.ENOSPC, E.ENOSPC, E.ENOSPC]);
    expect([r!.lost, m.lost, r!.samples, r!.dataHead]).toEqual([4, 4, 36, 4032]);
    const first = r!.read();
    expect(first.length).toBe(36);
    expect(first.every((x) => x.type === PERF_RECORD_SAMPLE)).toBe(true);
    // The next sample is preceded by the lost record (24 bytes) and wraps past the end of the ring.
    expect(m.output(0, BPF_F_CURRENT_CPU, Uint8Array.from({ length: 100 }, (_, i) => i))).toBe(0);
    expect(r!.dataHead).toBe(4032 + 24 + 112);
    const next = r!.read();
    expect(next[0]).toEqual({ type: PERF_RECORD_LOST, misc: 0, id: 1, lost: 4 });
    expect(next[1]!.type).toBe(PERF_RECORD_SAMPLE);
    expect(Array.from((next[1] as { data: Uint8Array }).data.subarray(0, 100))).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(next.length).toBe(2);
    expect(r!.lost).toBe(4); // the total stays
  });

  it("the lost record is only written together with a sample that fits after it", () => {
    const m = setup(1, 1);
    const [r] = open(m);
    expect(m.output(0, BPF_F_CURRENT_CPU, new Uint8Array(4072))).toBe(0); // 8 + 4080 = 4088 bytes
    expect(m.output(0, BPF_F_CURRENT_CPU, new Uint8Array(0))).toBe(E.ENOSPC); // 16 > 7 free
    r!.read();
    // 4095 free now: a sample of 4072 (4088) plus the lost record (24) does not fit.
    expect(m.output(0, BPF_F_CURRENT_CPU, new Uint8Array(4072))).toBe(E.ENOSPC);
    expect(m.output(0, BPF_F_CURRENT_CPU, new Uint8Array(4))).toBe(0);
    expect(r!.read()).toEqual([{ type: PERF_RECORD_LOST, misc: 0, id: 1, lost: 2 }, sample(0, 0, 0, 0)]);
  });
});

describe("perf_event_array syscalls", () => {
  it("stores perf event fds by index with the fd array errnos", () => {
    const m = setup(4, 2);
    const ring = m.openRing(1, 2);
    if (typeof ring === "number") throw new Error(String(ring));
    expect([ring.fd, ring.dataSize]).toEqual([3, 8192]);
    expect(m.update(k(2), k(ring.fd), BPF_NOEXIST)).toBe(E.EINVAL);
    expect(m.update(k(4), k(ring.fd))).toBe(E.E2BIG);
    expect(m.update(k(2), k(99))).toBe(E.EBADF);
    expect(m.update(k(2), k(ring.fd))).toBe(0);
    expect(m.ringAt(2)).toBe(ring);
    expect(m.lookup(k(2))).toBe(E.ENOTSUPP);
    expect(m.getNextKey(k(2))).toEqual(k(3));
    expect(m.getNextKey(k(3))).toBe(E.ENOENT);
    expect(m.delete(k(4))).toBe(E.E2BIG);
    expect(m.delete(k(2))).toBe(0);
    expect(m.delete(k(2))).toBe(E.ENOENT);
    expect(m.lookupBatch(null, 4).err).toBe(E.ENOTSUPP);
  });

  it("rejects rings of a non-power-of-two page count or an impossible CPU", () => {
    const m = setup();
    expect(m.openRing(0, 3)).toBe(E.EINVAL);
    expect(m.openRing(0, 0)).toBe(E.EINVAL);
    expect(m.openRing(2, 1)).toBe(E.EINVAL);
    expect(m.openBuffers(6)).toBe(E.EINVAL);
  });

  it("openBuffers stops at max_entries; poll reads every ring in index order", () => {
    const m = setup(1, 4);
    expect(open(m).length).toBe(1);
    const m2 = setup(0, 3);
    open(m2);
    expect(m2.output(2, BPF_F_CURRENT_CPU, u32Bytes(2))).toBe(0);
    expect(m2.output(0, BPF_F_CURRENT_CPU, u32Bytes(0))).toBe(0);
    expect(m2.output(2, BPF_F_CURRENT_CPU, u32Bytes(22))).toBe(0);
    expect(m2.poll().map((r) => [r.index, r.cpu, r.type === PERF_RECORD_SAMPLE ? readU32(r.data) : -1])).toEqual([
      [0, 0, 0],
      [2, 2, 2],
      [2, 2, 22],
    ]);
    expect(m2.poll()).toEqual([]);
  });
});
