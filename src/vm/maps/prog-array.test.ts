// BPF_MAP_TYPE_PROG_ARRAY: programs stored by fd through the hooks, the fd
// array errnos, program ids on lookup, compatibility, and the direct
// setProg/clearProg/progAt API tail calls use.
import { describe, expect, it } from "vitest";
import { AddressSpace } from "../memory.js";
import { createMap } from "./create.js";
import { ProgArrayMap } from "./prog-array.js";
import { BPF_ANY, BPF_EXIST, BPF_MAP_TYPE_PROG_ARRAY, E } from "./types.js";
import { readU32, u32Bytes } from "./util.js";

const k = u32Bytes;

interface Prog {
  id: number;
  type: string;
}
const PROGS = new Map<number, Prog>([
  [10, { id: 101, type: "kprobe" }],
  [11, { id: 102, type: "kprobe" }],
  [12, { id: 103, type: "xdp" }],
]);

function setup(withHooks = true): ProgArrayMap<Prog> {
  const m = createMap({ type: BPF_MAP_TYPE_PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 }, { mem: new AddressSpace(), nrCpus: 1 });
  if (!(m instanceof ProgArrayMap)) throw new Error(`createMap failed: ${String(m)}`);
  const pa = m as ProgArrayMap<Prog>;
  if (withHooks) {
    pa.hooks = {
      fromFd: (fd) => (fd === 5 ? E.EINVAL : PROGS.has(fd) ? { prog: PROGS.get(fd)! } : E.EBADF),
      idOf: (p) => p.id,
      compatible: (p, current) => current.every((c) => c.type === p.type),
    };
  }
  return pa;
}

describe("prog_array", () => {
  it.each([
    ["a program fd", 1, 10, BPF_ANY, 0],
    ["flags other than BPF_ANY", 1, 10, BPF_EXIST, E.EINVAL],
    ["an index past the end", 4, 10, BPF_ANY, E.E2BIG],
    ["an fd that is not open", 1, 99, BPF_ANY, E.EBADF],
    ["an fd that is not a program", 1, 5, BPF_ANY, E.EINVAL],
    ["a program of another type than the stored ones", 1, 12, BPF_ANY, E.EINVAL],
  ] as const)("update with %s", (_d, index, fd, flags, expected) => {
    const m = setup();
    expect(m.update(k(0), k(10))).toBe(0);
    expect(m.update(k(index), k(fd), flags)).toBe(expected);
  });

  it("lookup returns the program id; delete empties the slot", () => {
    const m = setup();
    expect(m.update(k(2), k(11))).toBe(0);
    expect(readU32(m.lookup(k(2)) as Uint8Array)).toBe(102);
    expect(m.lookup(k(1))).toBe(E.ENOENT);
    expect(m.lookup(k(4))).toBe(E.ENOENT);
    expect(m.progAt(2)).toEqual({ id: 102, type: "kprobe" });
    expect(m.delete(k(2))).toBe(0);
    expect(m.delete(k(2))).toBe(E.ENOENT);
    expect(m.delete(k(4))).toBe(E.E2BIG);
    expect(m.progAt(2)).toBeUndefined();
    expect(m.userValueSize).toBe(4);
  });

  it("setProg/clearProg install programs directly with the same errnos", () => {
    const m = setup();
    const p = { id: 7, type: "xdp" };
    expect(m.setProg(3, p)).toBe(0);
    expect(m.setProg(3, p, BPF_EXIST)).toBe(E.EINVAL);
    expect(m.setProg(4, p)).toBe(E.E2BIG);
    expect(m.setProg(0, { id: 8, type: "kprobe" })).toBe(E.EINVAL); // incompatible with the xdp program
    expect(m.progAt(3)).toBe(p);
    expect(m.progAt(-1)).toBeUndefined();
    expect(m.progAt(9)).toBeUndefined();
    expect(m.clearProg(3)).toBe(0);
    expect(m.clearProg(3)).toBe(E.ENOENT);
    expect(m.clearProg(7)).toBe(E.E2BIG);
  });

  it("without hooks, fds cannot be resolved and ids read as 0", () => {
    const m = setup(false);
    expect(m.update(k(0), k(10))).toBe(E.EBADF);
    expect(m.setProg(0, { id: 1, type: "x" })).toBe(0);
    expect(m.lookup(k(0))).toEqual(k(0));
  });

  it("iterates indexes like an array; programs cannot use it as a data map", () => {
    const m = setup();
    expect(m.getNextKey(null)).toEqual(k(0));
    expect(m.getNextKey(k(2))).toEqual(k(3));
    expect(m.getNextKey(k(3))).toBe(E.ENOENT);
    expect(m.progLookup(k(0), 0)).toBe(0n);
    expect(m.progUpdate(k(0), k(10), BPF_ANY, 0)).toBe(E.EOPNOTSUPP);
    expect(m.progDelete(k(0), 0)).toBe(E.EOPNOTSUPP);
    expect(m.lookupBatch(null, 2).err).toBe(E.ENOTSUPP);
  });
});
