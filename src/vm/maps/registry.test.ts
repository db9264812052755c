// MapRegistry: cyclic id allocation from 1, lookup by id and by object
// address (the helper runtime's mapAt), BPF_MAP_GET_NEXT_ID, and freeing a
// map (its regions are unmapped).
import { describe, expect, it } from "vitest";
import { AddressSpace } from "../memory.js";
import { createMap } from "./create.js";
import type { BpfMap } from "./map.js";
import { MapRegistry } from "./registry.js";
import { BPF_MAP_TYPE_ARRAY, E } from "./types.js";

function mk(mem: AddressSpace, registry: MapRegistry, name: string): BpfMap {
  const m = createMap({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 2, name }, { mem, nrCpus: 1, registry });
  if (typeof m === "number") throw new Error(`createMap: ${m}`);
  return m;
}

describe("MapRegistry", () => {
  it("assigns ids from 1 and finds maps by id and object address", () => {
    const mem = new AddressSpace();
    const reg = new MapRegistry();
    const a = mk(mem, reg, "a");
    const b = mk(mem, reg, "b");
    expect([a.id, b.id, reg.size]).toEqual([1, 2, 2]);
    expect(reg.byId(2)).toBe(b);
    expect(a.address).toBe(0xffffc9b000001000n);
    expect(b.address).toBe(0xffffc9b000001000n + 4096n + 64n);
    expect(reg.byAddress(a.address)).toBe(a);
    expect(reg.mapAt(b.address)).toBe(b);
    expect(reg.mapAt(b.address + 8n)).toBeUndefined();
    expect(a.object.label).toBe("map 1 'a'");
    expect(a.object.writable).toBe(false);
    // The object's bytes: type, key size, value size, max entries, flags, id, name.
    expect(Array.from(a.object.bytes.subarray(0, 26))).toEqual([2, 0, 0, 0, 4, 0, 0, 0, 8, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 97, 0]);
  });

  it("does not reuse a freed id at once and unmaps the freed map", () => {
    const mem = new AddressSpace();
    const reg = new MapRegistry();
    const [a, b, c] = [mk(mem, reg, "a"), mk(mem, reg, "b"), mk(mem, reg, "c")];
    expect(reg.remove(b)).toBe(true);
    expect(reg.remove(b)).toBe(false);
    expect(b.destroyed).toBe(true);
    expect(mem.findAddress(b.address, 1)).toBeUndefined();
    expect(reg.byId(2)).toBeUndefined();
    expect(reg.mapAt(b.address)).toBeUndefined();
    expect(mk(mem, reg, "d").id).toBe(4);
    expect(reg.all().map((m) => m.id)).toEqual([1, 3, 4]);
    expect([reg.getNextId(0), reg.getNextId(1), reg.getNextId(3), reg.getNextId(4)]).toEqual([1, 3, 4, E.ENOENT]);
    expect([a.destroyed, c.destroyed]).toEqual([false, false]);
  });

  it("wraps ids below INT_MAX back to the lowest free id", () => {
    const mem = new AddressSpace();
    const reg = new MapRegistry();
    mk(mem, reg, "one");
    (reg as unknown as { lastId: number }).lastId = 0x7ffffffd;
    expect(mk(mem, reg, "top").id).toBe(0x7ffffffe);
    expect(mk(mem, reg, "wrapped").id).toBe(2);
  });
});
