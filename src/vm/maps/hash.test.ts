// BPF_MAP_TYPE_HASH: element semantics and errnos, the kernel's bucket
// iteration order (jhash, zero seed), replace-at-head and the per-CPU extra
// element, stable value addresses and slot reuse, batch cursors, and the
// fd access mode / freeze checks of the syscall layer.
import { describe, expect, it } from "vitest";
import { AddressSpace } from "../memory.js";
import { createMap } from "./create.js";
import { HashMap } from "./hash.js";
import { MapRegistry } from "./registry.js";
import { BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_F_RDONLY, BPF_F_WRONLY, BPF_MAP_TYPE_HASH, BPF_NOEXIST, E, type MapAttr } from "./types.js";
import { readU32, u32Bytes } from "./util.js";

const k = u32Bytes;
function v64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
}
const num = (b: Uint8Array | number): number => (typeof b === "number" ? b : Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true)));
const keyNums = (keys: Uint8Array[]): number[] => keys.map((x) => readU32(x));

function setup(attr: Partial<MapAttr> = {}, nrCpus = 1): { mem: AddressSpace; map: HashMap } {
  const mem = new AddressSpace();
  const m = createMap({ type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 8, name: "h", ...attr }, { mem, nrCpus, registry: new MapRegistry() });
  if (!(m instanceof HashMap)) throw new Error(`createMap failed: ${String(m)}`);
  return { mem, map: m };
}

/** Keys 1..n inserted in order with value 100 + key. */
function fill(map: HashMap, n: number): void {
  for (let i = 1; i <= n; i++) expect(map.update(k(i), v64(100 + i))).toBe(0);
}

describe("hash map elements", () => {
  it.each([
    // [description, preinsert key 1?, key, flags, expected]
    ["BPF_ANY inserts a new key", false, 1, BPF_ANY, 0],
    ["BPF_ANY replaces an existing key", true, 1, BPF_ANY, 0],
    ["BPF_NOEXIST inserts a new key", false, 1, BPF_NOEXIST, 0],
    ["BPF_NOEXIST on an existing key", true, 1, BPF_NOEXIST, E.EEXIST],
    ["BPF_EXIST replaces an existing key", true, 1, BPF_EXIST, 0],
    ["BPF_EXIST on a missing key", false, 1, BPF_EXIST, E.ENOENT],
    ["unknown flag value 3", false, 1, 3, E.EINVAL],
    ["BPF_F_LOCK without a spin lock in the value", true, 1, BPF_F_LOCK, E.EINVAL],
    ["flags beyond 32 bits", false, 1, 2 ** 32, E.EINVAL],
  ] as const)("update: %s", (_d, pre, key, flags, expected) => {
    const { map } = setup();
    if (pre) expect(map.update(k(1), v64(7))).toBe(0);
    expect(map.update(k(key), v64(9), flags)).toBe(expected);
    expect(num(map.lookup(k(1)))).toBe(expected === 0 ? 9 : pre ? 7 : E.ENOENT);
  });

  it.each([
    ["lookup of a missing key", (m: HashMap) => m.lookup(k(5)), E.ENOENT],
    ["delete of a missing key", (m: HashMap) => m.delete(k(5)), E.ENOENT],
    ["lookup with a short key buffer", (m: HashMap) => m.lookup(new Uint8Array(3)), E.EFAULT],
    ["update with a short value buffer", (m: HashMap) => m.update(k(1), new Uint8Array(7)), E.EFAULT],
    ["lookup with unknown flags", (m: HashMap) => m.lookup(k(1), 1), E.EINVAL],
    ["lookup with BPF_F_LOCK", (m: HashMap) => m.lookup(k(1), BPF_F_LOCK), E.EINVAL],
    ["lookupAndDelete of a missing key", (m: HashMap) => m.lookupAndDelete(k(5)), E.ENOENT],
  ] as const)("%s", (_d, op, expected) => {
    const { map } = setup();
    expect(map.update(k(1), v64(1))).toBe(0);
    expect(op(map)).toBe(expected);
  });

  it("looks up, replaces and deletes", () => {
    const { map } = setup();
    expect(map.update(k(1), v64(10))).toBe(0);
    expect(map.lookup(k(1))).toEqual(v64(10));
    expect(map.update(k(1), v64(11))).toBe(0);
    expect(map.lookup(k(1))).toEqual(v64(11));
    expect(map.count).toBe(1);
    expect(map.delete(k(1))).toBe(0);
    expect(map.lookup(k(1))).toBe(E.ENOENT);
    expect(map.count).toBe(0);
  });

  it("lookupAndDelete returns the value and removes the key", () => {
    const { map } = setup();
    fill(map, 2);
    expect(map.lookupAndDelete(k(2))).toEqual(v64(102));
    expect(map.lookup(k(2))).toBe(E.ENOENT);
    expect(map.count).toBe(1);
  });

  it("refuses a new key when full (-E2BIG) but still replaces existing ones", () => {
    const { map } = setup();
    fill(map, 8);
    expect(map.update(k(9), v64(0))).toBe(E.E2BIG);
    expect(map.update(k(9), v64(0), BPF_NOEXIST)).toBe(E.E2BIG);
    expect(map.update(k(3), v64(33))).toBe(0);
    expect(map.update(k(3), v64(34), BPF_EXIST)).toBe(0);
    expect(num(map.lookup(k(3)))).toBe(34);
    expect(map.count).toBe(8);
    expect(map.delete(k(5))).toBe(0);
    expect(map.update(k(9), v64(99))).toBe(0);
    expect(num(map.lookup(k(9)))).toBe(99);
  });

  it("keeps the key size: keys differing only in their last byte are distinct", () => {
    const { map } = setup({ keySize: 3 });
    expect(map.update(new Uint8Array([1, 2, 3]), v64(1))).toBe(0);
    expect(map.update(new Uint8Array([1, 2, 4]), v64(2))).toBe(0);
    expect(num(map.lookup(new Uint8Array([1, 2, 3])))).toBe(1);
    expect(num(map.lookup(new Uint8Array([1, 2, 4])))).toBe(2);
    expect(map.count).toBe(2);
  });
});

describe("hash map iteration (kernel bucket order)", () => {
  // With 8 buckets and a zero seed, keys 1..8 hash to buckets
  // 1->3, 2->2, 3->7, 4->1, 5->6, 6->6, 7->2, 8->4; within a bucket the newest is first.
  const ORDER = [4, 7, 2, 1, 8, 6, 5, 3];

  it("walks buckets in order, newest first within a bucket", () => {
    const { map } = setup();
    fill(map, 8);
    const seen: number[] = [];
    let cur: Uint8Array | null = null;
    for (;;) {
      const next: Uint8Array | number = map.getNextKey(cur);
      if (typeof next === "number") {
        expect(next).toBe(E.ENOENT);
        break;
      }
      seen.push(readU32(next));
      cur = next;
    }
    expect(seen).toEqual(ORDER);
    expect(keyNums(map.keys())).toEqual(ORDER);
  });

  it("restarts at the first key for an unknown key, -ENOENT after the last", () => {
    const { map } = setup();
    fill(map, 8);
    expect(map.getNextKey(k(42))).toEqual(k(4));
    expect(map.getNextKey(k(3))).toBe(E.ENOENT);
    expect(map.getNextKey(k(7))).toEqual(k(2)); // same bucket
    expect(map.getNextKey(k(2))).toEqual(k(1)); // next bucket
  });

  it("getNextKey on an empty map is -ENOENT", () => {
    const { map } = setup();
    expect(map.getNextKey(null)).toBe(E.ENOENT);
    expect(map.getNextKey(k(1))).toBe(E.ENOENT);
  });

  it("deleting during iteration: next-then-delete visits every key; delete-then-next restarts", () => {
    const { map } = setup();
    fill(map, 8);
    // Safe pattern: fetch the next key before deleting the current one.
    const visited: number[] = [];
    let cur = map.getNextKey(null);
    while (typeof cur !== "number") {
      const next = map.getNextKey(cur);
      visited.push(readU32(cur));
      expect(map.delete(cur)).toBe(0);
      cur = next;
    }
    expect(visited).toEqual(ORDER);
    expect(map.count).toBe(0);

    // Deleting first: the deleted key is unknown, so iteration restarts at the first remaining key.
    fill(map, 8);
    expect(map.delete(k(7))).toBe(0);
    expect(map.getNextKey(k(7))).toEqual(k(4));
    expect(map.delete(k(4))).toBe(0);
    expect(map.getNextKey(k(4))).toEqual(k(2));
  });

  it("a replaced key moves to the head of its bucket", () => {
    const { map } = setup();
    fill(map, 8);
    expect(map.update(k(2), v64(0))).toBe(0);
    expect(keyNums(map.keys())).toEqual([4, 2, 7, 1, 8, 6, 5, 3]);
  });
});

describe("hash map value storage", () => {
  it("gives programs stable value addresses in the map's value region", () => {
    const { map } = setup();
    expect(map.address).toBe(0xffffc9b000001000n);
    expect(map.values.label).toBe("map_value of map 1 'h'");
    const base = 0xffffc9c000001000n;
    fill(map, 3);
    expect(map.progLookup(k(1), 0)).toBe(base); // slot 0
    expect(map.progLookup(k(3), 0)).toBe(base + 16n); // slot 2
    expect(map.progLookup(k(9), 0)).toBe(0n);
    expect(map.values.bytes.subarray(16, 24)).toEqual(v64(103));
  });

  it("replacing writes the CPU's extra element; the old copy becomes the spare", () => {
    const { map } = setup({}, 2);
    const base = 0xffffc9c000001000n;
    fill(map, 1);
    expect(map.progLookup(k(1), 0)).toBe(base);
    // Program on CPU 1 replaces key 1: extra element of CPU 1 is slot 8 + 1.
    expect(map.progUpdate(k(1), v64(500), BPF_ANY, 1)).toBe(0);
    expect(map.progLookup(k(1), 1)).toBe(base + 9n * 8n);
    expect(map.values.bytes.subarray(0, 8)).toEqual(v64(101)); // old copy untouched
    // User space (CPU 0) replaces it again: extra element of CPU 0 is slot 8.
    expect(map.update(k(1), v64(600))).toBe(0);
    expect(map.progLookup(k(1), 0)).toBe(base + 8n * 8n);
    // The old slot 9 is now CPU 0's spare; the next replace on CPU 0 uses it.
    expect(map.update(k(1), v64(700))).toBe(0);
    expect(map.progLookup(k(1), 0)).toBe(base + 9n * 8n);
    expect(num(map.lookup(k(1)))).toBe(700);
  });

  it("reuses the slot of the last deleted element first", () => {
    const { map } = setup();
    const base = 0xffffc9c000001000n;
    fill(map, 4);
    expect(map.delete(k(2))).toBe(0); // slot 1
    expect(map.delete(k(4))).toBe(0); // slot 3
    expect(map.update(k(20), v64(0))).toBe(0);
    expect(map.progLookup(k(20), 0)).toBe(base + 3n * 8n);
    expect(map.update(k(21), v64(0))).toBe(0);
    expect(map.progLookup(k(21), 0)).toBe(base + 1n * 8n);
    expect(map.update(k(22), v64(0))).toBe(0);
    expect(map.progLookup(k(22), 0)).toBe(base + 4n * 8n);
  });

  it("rounds value slots up to 8 bytes", () => {
    const { map } = setup({ valueSize: 5 });
    expect(map.elemSize).toBe(8);
    expect(map.values.size).toBe((8 + 1) * 8);
    expect(map.update(k(1), new Uint8Array([1, 2, 3, 4, 5]))).toBe(0);
    expect(map.update(k(2), new Uint8Array([6, 7, 8, 9, 10]))).toBe(0);
    expect(map.lookup(k(2))).toEqual(new Uint8Array([6, 7, 8, 9, 10]));
    expect(map.progLookup(k(2), 0)).toBe(0xffffc9c000001008n);
  });

  it("program updates and deletes follow the same rules; BPF_F_RDONLY_PROG forbids them", () => {
    const { map } = setup();
    expect(map.progUpdate(k(1), v64(1), BPF_NOEXIST, 0)).toBe(0);
    expect(map.progUpdate(k(1), v64(1), BPF_NOEXIST, 0)).toBe(E.EEXIST);
    expect(map.progDelete(k(1), 0)).toBe(0);
    expect(map.progDelete(k(1), 0)).toBe(E.ENOENT);
    const ro = setup({ flags: 1 << 7 }).map;
    expect(ro.values.writable).toBe(false);
    expect(ro.progUpdate(k(1), v64(1), BPF_ANY, 0)).toBe(E.EACCES);
    expect(ro.update(k(1), v64(1))).toBe(0); // user space still may
    expect(ro.progDelete(k(1), 0)).toBe(E.EACCES);
  });
});

describe("hash map batch operations", () => {
  it("lookupBatch copies whole buckets and returns the next bucket as the cursor", () => {
    const { map } = setup();
    fill(map, 8);
    const r1 = map.lookupBatch(null, 3);
    expect([r1.err, r1.count, keyNums(r1.keys), r1.values.map(num)]).toEqual([0, 3, [4, 7, 2], [104, 107, 102]]);
    expect(r1.outBatch).toEqual(k(3));
    const r2 = map.lookupBatch(r1.outBatch!, 3);
    expect([r2.err, r2.count, keyNums(r2.keys)]).toEqual([0, 2, [1, 8]]);
    expect(r2.outBatch).toEqual(k(6));
    const r3 = map.lookupBatch(r2.outBatch!, 3);
    expect([r3.err, r3.count, keyNums(r3.keys)]).toEqual([E.ENOENT, 3, [6, 5, 3]]);
    expect(r3.outBatch).toEqual(k(8));
    const r4 = map.lookupBatch(r3.outBatch!, 3);
    expect([r4.err, r4.count, r4.outBatch]).toEqual([E.ENOENT, 0, undefined]);
    expect(map.count).toBe(8);
  });

  it("-ENOSPC when the first bucket does not fit; count 0 is a no-op", () => {
    const { map } = setup();
    fill(map, 8);
    const r = map.lookupBatch(k(6), 1);
    expect([r.err, r.count, r.outBatch]).toEqual([E.ENOSPC, 0, k(6)]);
    const z = map.lookupBatch(null, 0);
    expect([z.err, z.count, z.outBatch]).toEqual([0, 0, undefined]);
    expect(map.lookupBatch(null, 4, { elemFlags: BPF_F_LOCK }).err).toBe(E.EINVAL);
    expect(map.lookupBatch(null, 4, { flags: 1 }).err).toBe(E.EINVAL);
    expect(map.lookupBatch(new Uint8Array(2), 4).err).toBe(E.EFAULT);
  });

  it("lookupAndDeleteBatch drains the map in bucket order", () => {
    const { map } = setup();
    fill(map, 8);
    const got: number[] = [];
    let cursor: Uint8Array | null = null;
    for (;;) {
      const r = map.lookupAndDeleteBatch(cursor, 4);
      got.push(...keyNums(r.keys));
      if (r.err) {
        expect(r.err).toBe(E.ENOENT);
        break;
      }
      cursor = r.outBatch!;
    }
    expect(got).toEqual([4, 7, 2, 1, 8, 6, 5, 3]);
    expect(map.count).toBe(0);
    expect(map.getNextKey(null)).toBe(E.ENOENT);
  });

  it("deleting other keys between batches does not disturb the cursor", () => {
    const { map } = setup();
    fill(map, 8);
    const r1 = map.lookupBatch(null, 3); // buckets 1, 2
    expect(map.delete(k(8))).toBe(0); // bucket 4, not yet visited
    expect(map.delete(k(4))).toBe(0); // bucket 1, already visited
    const r2 = map.lookupBatch(r1.outBatch!, 8);
    expect([r2.err, keyNums(r2.keys)]).toEqual([E.ENOENT, [1, 6, 5, 3]]);
  });

  it("deleteBatch stops at the first missing key; updateBatch at the first error", () => {
    const { map } = setup();
    fill(map, 4);
    expect(map.deleteBatch([k(1), k(2), k(9), k(3)])).toEqual({ err: E.ENOENT, count: 2 });
    expect(keyNums(map.keys()).sort()).toEqual([3, 4]);
    // elem_flags may only be BPF_F_LOCK (generic_map_update_batch), so BPF_NOEXIST is -EINVAL.
    expect(map.updateBatch([k(10)], [v64(1)], { elemFlags: BPF_NOEXIST })).toEqual({ err: E.EINVAL, count: 0 });
    const keys = [10, 11, 12, 13, 14, 15, 16].map(k);
    expect(map.updateBatch(keys, keys.map((_, i) => v64(i)))).toEqual({ err: E.E2BIG, count: 6 });
    expect(num(map.lookup(k(15)))).toBe(5);
    expect(map.lookup(k(16))).toBe(E.ENOENT);
    expect(map.updateBatch([k(1)], [v64(1)], { elemFlags: 8 })).toEqual({ err: E.EINVAL, count: 0 });
  });
});

describe("hash map access mode and freeze", () => {
  it.each([
    ["BPF_F_RDONLY forbids update", BPF_F_RDONLY, (m: HashMap) => m.update(k(1), v64(1)), E.EPERM],
    ["BPF_F_RDONLY forbids delete", BPF_F_RDONLY, (m: HashMap) => m.delete(k(1)), E.EPERM],
    ["BPF_F_RDONLY forbids deleteBatch", BPF_F_RDONLY, (m: HashMap) => m.deleteBatch([k(1)]).err, E.EPERM],
    ["BPF_F_RDONLY forbids lookupAndDeleteBatch", BPF_F_RDONLY, (m: HashMap) => m.lookupAndDeleteBatch(null, 1).err, E.EPERM],
    ["BPF_F_RDONLY allows lookup", BPF_F_RDONLY, (m: HashMap) => m.lookup(k(1)), E.ENOENT],
    ["BPF_F_WRONLY forbids lookup", BPF_F_WRONLY, (m: HashMap) => m.lookup(k(1)), E.EPERM],
    ["BPF_F_WRONLY forbids getNextKey", BPF_F_WRONLY, (m: HashMap) => m.getNextKey(null), E.EPERM],
    ["BPF_F_WRONLY forbids lookupBatch", BPF_F_WRONLY, (m: HashMap) => m.lookupBatch(null, 1).err, E.EPERM],
    ["BPF_F_WRONLY allows update", BPF_F_WRONLY, (m: HashMap) => m.update(k(1), v64(1)), 0],
  ] as const)("%s", (_d, flags, op, expected) => {
    const { map } = setup({ flags });
    expect(op(map)).toBe(expected);
    expect(map.flags).toBe(0); // fd flags are not kept on the map
  });

  it("a frozen map refuses user-space writes but not program writes", () => {
    const { map } = setup();
    expect(map.freeze()).toBe(0);
    expect(map.freeze()).toBe(E.EBUSY);
    expect(map.update(k(1), v64(1))).toBe(E.EPERM);
    expect(map.progUpdate(k(1), v64(1), BPF_ANY, 0)).toBe(0);
    expect(num(map.lookup(k(1)))).toBe(1);
    expect(map.info()).toEqual({ type: 1, id: 1, keySize: 4, valueSize: 8, maxEntries: 8, flags: 0, name: "h", frozen: true });
  });
});
