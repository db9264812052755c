// BPF_MAP_TYPE_ARRAY: errnos of every operation, index iteration, the
// generic batch cursor, value layout and program-side addresses.
import { describe, expect, it } from "vitest";
import { AddressSpace } from "../memory.js";
import { ArrayMap } from "./array.js";
import { createMap } from "./create.js";
import { BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_MAP_TYPE_ARRAY, BPF_NOEXIST, E, type MapAttr } from "./types.js";
import { readU32, u32Bytes } from "./util.js";

const k = u32Bytes;
const keyNums = (keys: Uint8Array[]): number[] => keys.map((x) => readU32(x));

function setup(attr: Partial<MapAttr> = {}): ArrayMap {
  const m = createMap({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 8, ...attr }, { mem: new AddressSpace(), nrCpus: 1 });
  if (!(m instanceof ArrayMap)) throw new Error(`createMap failed: ${String(m)}`);
  return m;
}

describe("array map errnos", () => {
  it.each([
    ["update BPF_ANY", (m: ArrayMap) => m.update(k(3), k(9), BPF_ANY), 0],
    ["update BPF_EXIST", (m: ArrayMap) => m.update(k(3), k(9), BPF_EXIST), 0],
    ["update BPF_NOEXIST (every element exists)", (m: ArrayMap) => m.update(k(3), k(9), BPF_NOEXIST), E.EEXIST],
    ["update past the end", (m: ArrayMap) => m.update(k(8), k(9)), E.E2BIG],
    ["update past the end with BPF_NOEXIST (index checked first)", (m: ArrayMap) => m.update(k(8), k(9), BPF_NOEXIST), E.E2BIG],
    ["update with unknown flags", (m: ArrayMap) => m.update(k(3), k(9), 3), E.EINVAL],
    ["update with BPF_F_LOCK", (m: ArrayMap) => m.update(k(3), k(9), BPF_F_LOCK), E.EINVAL],
    ["delete", (m: ArrayMap) => m.delete(k(3)), E.EINVAL],
    ["delete past the end", (m: ArrayMap) => m.delete(k(100)), E.EINVAL],
    ["lookup past the end", (m: ArrayMap) => m.lookup(k(8)), E.ENOENT],
    ["lookupAndDelete", (m: ArrayMap) => m.lookupAndDelete(k(1)), E.ENOTSUPP],
    ["lookupAndDeleteBatch", (m: ArrayMap) => m.lookupAndDeleteBatch(null, 2).err, E.ENOTSUPP],
    ["deleteBatch", (m: ArrayMap) => m.deleteBatch([k(1)]).err, E.ENOTSUPP],
    ["lookupBatch with BPF_F_LOCK", (m: ArrayMap) => m.lookupBatch(null, 2, { elemFlags: BPF_F_LOCK }).err, E.EINVAL],
    ["program update with BPF_NOEXIST|BPF_F_LOCK (-EEXIST before the lock check)", (m: ArrayMap) => m.progUpdate(k(1), k(1), BPF_NOEXIST | BPF_F_LOCK, 0), E.EEXIST],
    ["program update with BPF_F_LOCK", (m: ArrayMap) => m.progUpdate(k(1), k(1), BPF_F_LOCK, 0), E.EINVAL],
    ["program update past the end", (m: ArrayMap) => m.progUpdate(k(9), k(1), BPF_ANY, 0), E.E2BIG],
    ["program delete", (m: ArrayMap) => m.progDelete(k(1), 0), E.EINVAL],
  ] as const)("%s", (_d, op, expected) => {
    expect(op(setup())).toBe(expected);
  });
});

describe("array map values", () => {
  it("starts zeroed, stores value_size bytes, and lives in one value region", () => {
    const m = setup({ valueSize: 5 });
    expect(m.elemSize).toBe(8);
    expect(m.values.size).toBe(64);
    expect(m.lookup(k(7))).toEqual(new Uint8Array(5));
    expect(m.update(k(7), new Uint8Array([1, 2, 3, 4, 5]))).toBe(0);
    expect(m.lookup(k(7))).toEqual(new Uint8Array([1, 2, 3, 4, 5]));
    expect(m.values.bytes.subarray(56, 64)).toEqual(new Uint8Array([1, 2, 3, 4, 5, 0, 0, 0]));
  });

  it("gives programs the address of element i at base + i * round_up(value_size, 8)", () => {
    const m = setup({ valueSize: 12 });
    const base = 0xffffc9c000001000n;
    expect(m.progLookup(k(0), 0)).toBe(base);
    expect(m.progLookup(k(3), 0)).toBe(base + 48n);
    expect(m.progLookup(k(8), 0)).toBe(0n);
    expect(m.progUpdate(k(3), new Uint8Array(12).fill(7), BPF_ANY, 0)).toBe(0);
    expect(m.values.bytes.subarray(48, 60)).toEqual(new Uint8Array(12).fill(7));
  });
});

describe("array map iteration", () => {
  it.each([
    [null, 0],
    [3, 4],
    [6, 7],
    [7, E.ENOENT],
    [8, 0],
    [0xffffffff, 0],
  ] as const)("getNextKey(%s) -> %s", (key, expected) => {
    const r = setup().getNextKey(key === null ? null : k(key));
    expect(typeof r === "number" ? r : readU32(r)).toBe(expected);
  });

  it("lookupBatch walks indexes; the cursor is the last key copied", () => {
    const m = setup();
    for (let i = 0; i < 8; i++) expect(m.update(k(i), k(10 * i))).toBe(0);
    const r1 = m.lookupBatch(null, 3);
    expect([r1.err, r1.count, keyNums(r1.keys), keyNums(r1.values), r1.outBatch]).toEqual([0, 3, [0, 1, 2], [0, 10, 20], k(2)]);
    const r2 = m.lookupBatch(r1.outBatch!, 3);
    expect([r2.err, keyNums(r2.keys), r2.outBatch]).toEqual([0, [3, 4, 5], k(5)]);
    const r3 = m.lookupBatch(r2.outBatch!, 3);
    expect([r3.err, r3.count, keyNums(r3.keys), keyNums(r3.values), r3.outBatch]).toEqual([E.ENOENT, 2, [6, 7], [60, 70], k(7)]);
    const r4 = m.lookupBatch(r3.outBatch!, 3);
    expect([r4.err, r4.count, r4.outBatch]).toEqual([E.ENOENT, 0, undefined]);
    // An out-of-range cursor restarts at index 0, as get_next_key does.
    expect(keyNums(m.lookupBatch(k(99), 2).keys)).toEqual([0, 1]);
  });

  it("updateBatch writes in order and stops at the first error", () => {
    const m = setup();
    expect(m.updateBatch([k(1), k(2), k(8), k(3)], [k(11), k(12), k(13), k(14)])).toEqual({ err: E.E2BIG, count: 2 });
    expect(keyNums(m.lookupBatch(null, 4).values)).toEqual([0, 11, 12, 0]);
  });
});
