// Per-CPU maps: the user-space value layout (nrCpus * round_up(value_size, 8)
// bytes, CPU 0 first), per-CPU program addresses, program updates touching
// only their CPU (and zeroing the others on insert), and the errnos.
import { describe, expect, it } from "vitest";
import { AddressSpace } from "../memory.js";
import { createMap } from "./create.js";
import { PercpuArrayMap, PercpuHashMap } from "./percpu.js";
import { BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PERCPU_HASH, BPF_NOEXIST, E, type MapAttr } from "./types.js";
import { readU32, u32Bytes } from "./util.js";

const k = u32Bytes;
const CPUS = 3;

/** A user-space per-CPU value for value_size 4: each CPU's u32 then 4 padding bytes. */
function pcpu(...vals: number[]): Uint8Array {
  const b = new Uint8Array(8 * vals.length);
  vals.forEach((v, c) => b.set(u32Bytes(v), 8 * c));
  return b;
}
const cpus = (b: Uint8Array | number): number[] | number =>
  typeof b === "number" ? b : Array.from({ length: b.length / 8 }, (_, c) => readU32(b, 8 * c));

function arr(attr: Partial<MapAttr> = {}): PercpuArrayMap {
  const m = createMap({ type: BPF_MAP_TYPE_PERCPU_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4, ...attr }, { mem: new AddressSpace(), nrCpus: CPUS });
  if (!(m instanceof PercpuArrayMap)) throw new Error(`createMap failed: ${String(m)}`);
  return m;
}
function hash(attr: Partial<MapAttr> = {}): PercpuHashMap {
  const m = createMap({ type: BPF_MAP_TYPE_PERCPU_HASH, keySize: 4, valueSize: 4, maxEntries: 4, ...attr }, { mem: new AddressSpace(), nrCpus: CPUS });
  if (!(m instanceof PercpuHashMap)) throw new Error(`createMap failed: ${String(m)}`);
  return m;
}

describe("percpu_array", () => {
  it("user space sees nrCpus * round_up(value_size, 8) bytes, CPU 0 first", () => {
    const m = arr();
    expect(m.userValueSize).toBe(24);
    expect(m.lookup(k(1))).toEqual(new Uint8Array(24));
    const v = pcpu(1, 2, 3);
    v[4] = 0xaa; // padding is copied too (copy_map_value_long)
    expect(m.update(k(1), v)).toBe(0);
    expect(m.lookup(k(1))).toEqual(v);
    expect(m.values.size).toBe(CPUS * 4 * 8);
  });

  it("programs get their CPU's copy and update only it", () => {
    const m = arr();
    const base = 0xffffc9c000001000n;
    expect(m.progLookup(k(1), 0)).toBe(base + 8n);
    expect(m.progLookup(k(1), 2)).toBe(base + BigInt((2 * 4 + 1) * 8));
    expect(m.progLookup(k(4), 0)).toBe(0n);
    expect(m.update(k(1), pcpu(1, 2, 3))).toBe(0);
    expect(m.progUpdate(k(1), u32Bytes(20), BPF_ANY, 1)).toBe(0);
    expect(cpus(m.lookup(k(1)))).toEqual([1, 20, 3]);
    expect(m.values.bytes.subarray(5 * 8, 5 * 8 + 4)).toEqual(u32Bytes(20));
  });

  it.each([
    ["user update BPF_NOEXIST", (m: PercpuArrayMap) => m.update(k(0), pcpu(1, 1, 1), BPF_NOEXIST), E.EEXIST],
    ["user update BPF_EXIST", (m: PercpuArrayMap) => m.update(k(0), pcpu(1, 1, 1), BPF_EXIST), 0],
    ["user update past the end", (m: PercpuArrayMap) => m.update(k(4), pcpu(1, 1, 1)), E.E2BIG],
    ["user update with flags 3", (m: PercpuArrayMap) => m.update(k(0), pcpu(1, 1, 1), 3), E.EINVAL],
    ["user update with BPF_F_LOCK", (m: PercpuArrayMap) => m.update(k(0), pcpu(1, 1, 1), BPF_F_LOCK), E.EINVAL],
    ["user update with one CPU's value only", (m: PercpuArrayMap) => m.update(k(0), u32Bytes(1)), E.EFAULT],
    ["user lookup past the end", (m: PercpuArrayMap) => m.lookup(k(4)), E.ENOENT],
    ["delete", (m: PercpuArrayMap) => m.delete(k(0)), E.EINVAL],
    ["program update BPF_NOEXIST", (m: PercpuArrayMap) => m.progUpdate(k(0), k(1), BPF_NOEXIST, 0), E.EEXIST],
    ["program update past the end", (m: PercpuArrayMap) => m.progUpdate(k(4), k(1), BPF_ANY, 0), E.E2BIG],
  ] as const)("%s", (_d, op, expected) => {
    expect(op(arr())).toBe(expected);
  });

  it("lookupBatch returns per-CPU values", () => {
    const m = arr();
    expect(m.updateBatch([k(0), k(3)], [pcpu(1, 2, 3), pcpu(4, 5, 6)])).toEqual({ err: 0, count: 2 });
    const r = m.lookupBatch(null, 10);
    expect(r.err).toBe(E.ENOENT);
    expect(r.values.map(cpus)).toEqual([[1, 2, 3], [0, 0, 0], [0, 0, 0], [4, 5, 6]]);
  });
});

describe("percpu_hash", () => {
  it("a program inserting a key sets its CPU's value and zeroes the others", () => {
    const m = hash();
    expect(m.progUpdate(k(7), u32Bytes(70), BPF_ANY, 2)).toBe(0);
    expect(cpus(m.lookup(k(7)))).toEqual([0, 0, 70]);
    expect(m.progUpdate(k(7), u32Bytes(71), BPF_ANY, 0)).toBe(0); // in place, CPU 0 only
    expect(cpus(m.lookup(k(7)))).toEqual([71, 0, 70]);
    expect(m.update(k(7), pcpu(1, 2, 3))).toBe(0);
    expect(cpus(m.lookup(k(7)))).toEqual([1, 2, 3]);
  });

  it("per-CPU addresses are stable across updates (values change in place)", () => {
    const m = hash();
    const base = 0xffffc9c000001000n;
    expect(m.update(k(1), pcpu(1, 1, 1))).toBe(0); // slot 0
    expect(m.update(k(2), pcpu(2, 2, 2))).toBe(0); // slot 1
    expect(m.progLookup(k(2), 0)).toBe(base + 8n);
    expect(m.progLookup(k(2), 1)).toBe(base + BigInt((4 + 1) * 8));
    expect(m.progLookup(k(2), 2)).toBe(base + BigInt((8 + 1) * 8));
    expect(m.update(k(2), pcpu(5, 6, 7))).toBe(0);
    expect(m.progLookup(k(2), 2)).toBe(base + BigInt((8 + 1) * 8));
    expect(m.progLookup(k(2), 3)).toBe(0n); // no such CPU
  });

  it.each([
    ["BPF_NOEXIST on an existing key", (m: PercpuHashMap) => m.update(k(1), pcpu(0, 0, 0), BPF_NOEXIST), E.EEXIST],
    ["BPF_EXIST on a missing key", (m: PercpuHashMap) => m.update(k(9), pcpu(0, 0, 0), BPF_EXIST), E.ENOENT],
    ["a new key in a full map", (m: PercpuHashMap) => m.update(k(9), pcpu(0, 0, 0)), E.E2BIG],
    ["flags 3", (m: PercpuHashMap) => m.update(k(1), pcpu(0, 0, 0), 3), E.EINVAL],
    ["program update with BPF_F_LOCK", (m: PercpuHashMap) => m.progUpdate(k(1), k(0), BPF_F_LOCK, 0), E.EINVAL],
    ["delete of a missing key", (m: PercpuHashMap) => m.delete(k(9)), E.ENOENT],
    ["short user value", (m: PercpuHashMap) => m.update(k(1), new Uint8Array(16)), E.EFAULT],
  ] as const)("%s", (_d, op, expected) => {
    const m = hash();
    for (let i = 1; i <= 4; i++) expect(m.update(k(i), pcpu(i, i, i))).toBe(0);
    expect(op(m)).toBe(expected);
  });

  it("batch and lookupAndDelete return per-CPU values", () => {
    const m = hash();
    for (let i = 1; i <= 4; i++) expect(m.update(k(i), pcpu(i, 10 * i, 100 * i))).toBe(0);
    expect(cpus(m.lookupAndDelete(k(3)))).toEqual([3, 30, 300]);
    const r = m.lookupAndDeleteBatch(null, 10);
    expect(r.err).toBe(E.ENOENT);
    // 4 buckets: keys 1->3, 2->2, 4->1 (see hash.test.ts).
    expect(r.keys.map((x) => readU32(x))).toEqual([4, 2, 1]);
    expect(r.values.map(cpus)).toEqual([[4, 40, 400], [2, 20, 200], [1, 10, 100]]);
    expect(m.count).toBe(0);
  });
});
