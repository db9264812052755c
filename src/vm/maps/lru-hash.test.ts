// BPF_MAP_TYPE_LRU_HASH: eviction of the least recently used element when a
// new key arrives in a full map, what counts as a use (inserts, replaces,
// program lookups; not user-space lookups), and the errnos.
import { describe, expect, it } from "vitest";
import { AddressSpace } from "../memory.js";
import { createMap } from "./create.js";
import { LruHashMap } from "./lru-hash.js";
import { BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_MAP_TYPE_LRU_HASH, BPF_NOEXIST, E } from "./types.js";
import { readU32, u32Bytes } from "./util.js";

const k = u32Bytes;
const nums = (keys: Uint8Array[]): number[] => keys.map((x) => readU32(x));

function setup(maxEntries = 4): LruHashMap {
  const m = createMap({ type: BPF_MAP_TYPE_LRU_HASH, keySize: 4, valueSize: 4, maxEntries }, { mem: new AddressSpace(), nrCpus: 2 });
  if (!(m instanceof LruHashMap)) throw new Error(`createMap failed: ${String(m)}`);
  for (let i = 1; i <= maxEntries; i++) expect(m.update(k(i), k(10 * i))).toBe(0);
  return m;
}

describe("lru_hash eviction", () => {
  it("evicts in least-recently-used order", () => {
    const m = setup();
    expect(nums(m.lruOrder())).toEqual([1, 2, 3, 4]);
    expect(m.update(k(5), k(50))).toBe(0);
    expect(m.lookup(k(1))).toBe(E.ENOENT);
    expect(m.evictions).toBe(1);
    expect(m.count).toBe(4);
    expect(nums(m.lruOrder())).toEqual([2, 3, 4, 5]);
    expect(m.update(k(6), k(60))).toBe(0);
    expect(m.update(k(7), k(70))).toBe(0);
    expect(nums(m.lruOrder())).toEqual([4, 5, 6, 7]);
    expect(nums(m.keys()).sort((a, b) => a - b)).toEqual([4, 5, 6, 7]);
    expect(m.evictions).toBe(3);
  });

  it("a program lookup makes an element most recently used; a user-space lookup does not", () => {
    const m = setup();
    expect(m.progLookup(k(1), 0)).not.toBe(0n);
    expect(m.lookup(k(2))).toEqual(k(20));
    expect(nums(m.lruOrder())).toEqual([2, 3, 4, 1]);
    expect(m.update(k(5), k(50))).toBe(0);
    expect(m.lookup(k(2))).toBe(E.ENOENT);
    expect(m.lookup(k(1))).toEqual(k(10));
  });

  it("replacing a key refreshes it without evicting anything", () => {
    const m = setup();
    expect(m.update(k(1), k(11))).toBe(0);
    expect(m.progUpdate(k(2), k(22), BPF_EXIST, 1)).toBe(0);
    expect(m.evictions).toBe(0);
    expect(m.count).toBe(4);
    expect(nums(m.lruOrder())).toEqual([3, 4, 1, 2]);
    expect(m.lookup(k(1))).toEqual(k(11));
    expect(m.update(k(5), k(50))).toBe(0);
    expect(m.lookup(k(3))).toBe(E.ENOENT);
  });

  it("a failed update neither evicts nor refreshes", () => {
    const m = setup();
    expect(m.update(k(1), k(0), BPF_NOEXIST)).toBe(E.EEXIST);
    expect(m.update(k(9), k(0), BPF_EXIST)).toBe(E.ENOENT);
    expect(m.evictions).toBe(0);
    expect(nums(m.lruOrder())).toEqual([1, 2, 3, 4]);
  });

  it("a deleted element frees room: no eviction for the next insert", () => {
    const m = setup();
    expect(m.delete(k(3))).toBe(0);
    expect(nums(m.lruOrder())).toEqual([1, 2, 4]);
    expect(m.update(k(5), k(50))).toBe(0);
    expect(m.evictions).toBe(0);
    expect(nums(m.lruOrder())).toEqual([1, 2, 4, 5]);
    expect(m.lookupAndDelete(k(1))).toEqual(k(10));
    expect(nums(m.lruOrder())).toEqual([2, 4, 5]);
  });

  it("batch deletion removes elements from the recency list", () => {
    const m = setup();
    const r = m.lookupAndDeleteBatch(null, 2);
    // 4 buckets: key 4 -> bucket 1, key 2 -> bucket 2, key 1 -> 3, key 3 -> 3.
    expect([r.err, nums(r.keys), nums(r.values)]).toEqual([0, [4, 2], [40, 20]]);
    expect(nums(m.lruOrder())).toEqual([1, 3]);
    expect(m.update(k(8), k(80))).toBe(0);
    expect(m.update(k(9), k(90))).toBe(0);
    expect(m.evictions).toBe(0);
    expect(m.update(k(10), k(100))).toBe(0);
    expect(m.evictions).toBe(1);
    expect(nums(m.lruOrder())).toEqual([3, 8, 9, 10]);
  });
});

describe("lru_hash errnos", () => {
  it.each([
    ["flags 3", (m: LruHashMap) => m.update(k(1), k(0), 3), E.EINVAL],
    ["BPF_F_LOCK from user space", (m: LruHashMap) => m.update(k(1), k(0), BPF_F_LOCK), E.EINVAL],
    ["BPF_F_LOCK from a program", (m: LruHashMap) => m.progUpdate(k(1), k(0), BPF_F_LOCK, 0), E.EINVAL],
    ["delete of a missing key", (m: LruHashMap) => m.delete(k(9)), E.ENOENT],
    ["lookup of an evicted key", (m: LruHashMap) => (m.update(k(9), k(0), BPF_ANY), m.lookup(k(1))), E.ENOENT],
  ] as const)("%s", (_d, op, expected) => {
    expect(op(setup())).toBe(expected);
  });
});
