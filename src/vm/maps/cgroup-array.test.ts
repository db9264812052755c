// BPF_MAP_TYPE_CGROUP_ARRAY: the fd array creation rules, cgroups stored by
// directory fd through the hooks (-EBADF without one), -ENOTSUPP lookups,
// the fd array delete/next-key errnos, and bpf_current_task_under_cgroup's
// answers (in the hierarchy, not, empty slot, past the end).
import { describe, expect, it } from "vitest";
import { AddressSpace } from "../memory.js";
import { CgroupArrayMap, ROOT_CGROUP_ID } from "./cgroup-array.js";
import { createMap } from "./create.js";
import { BPF_ANY, BPF_F_RDONLY_PROG, BPF_MAP_TYPE_CGROUP_ARRAY, BPF_NOEXIST, E } from "./types.js";
import { readU32, u32Bytes } from "./util.js";

const ctx = () => ({ mem: new AddressSpace(), nrCpus: 2 });
const CG = BPF_MAP_TYPE_CGROUP_ARRAY;

function setup(hooks = true): CgroupArrayMap {
  const m = createMap({ type: CG, keySize: 4, valueSize: 4, maxEntries: 2 }, ctx());
  if (!(m instanceof CgroupArrayMap)) throw new Error(`createMap failed: ${String(m)}`);
  if (hooks) m.hooks = { fromFd: (fd) => (fd === 7 ? 4242n : E.EBADF) };
  return m;
}

describe("cgroup_array", () => {
  it.each([
    ["key 4, value 4 (libbpf-tools' cgroup_map)", { keySize: 4, valueSize: 4, maxEntries: 1 }, 0],
    ["value 8", { keySize: 4, valueSize: 8, maxEntries: 1 }, E.EINVAL],
    ["key 8", { keySize: 8, valueSize: 4, maxEntries: 1 }, E.EINVAL],
    ["no entries", { keySize: 4, valueSize: 4, maxEntries: 0 }, E.EINVAL],
    ["BPF_F_RDONLY_PROG", { keySize: 4, valueSize: 4, maxEntries: 1, flags: BPF_F_RDONLY_PROG }, E.EINVAL],
  ])("create: %s -> %d", (_what, attr, want) => {
    const m = createMap({ type: CG, ...attr }, ctx());
    expect(typeof m === "number" ? m : 0).toBe(want);
    if (typeof m !== "number") expect([m.typeName, m.userValueSize]).toEqual(["cgroup_array", 4]);
  });

  it("stores a cgroup by directory fd; other fds, flags and indexes fail with the kernel's errnos", () => {
    const m = setup();
    expect(m.update(u32Bytes(0), u32Bytes(7), BPF_ANY)).toBe(0);
    expect(m.cgroupAt(0)).toBe(4242n);
    expect(m.update(u32Bytes(1), u32Bytes(3), BPF_ANY)).toBe(E.EBADF);
    expect(m.update(u32Bytes(1), u32Bytes(7), BPF_NOEXIST)).toBe(E.EINVAL);
    expect(m.update(u32Bytes(2), u32Bytes(7), BPF_ANY)).toBe(E.E2BIG);
    expect(setup(false).update(u32Bytes(0), u32Bytes(7), BPF_ANY)).toBe(E.EBADF);
  });

  it("lookups are -ENOTSUPP; delete and get_next_key follow the fd array", () => {
    const m = setup();
    m.update(u32Bytes(0), u32Bytes(7), BPF_ANY);
    expect(m.lookup(u32Bytes(0))).toBe(E.ENOTSUPP);
    const next = m.getNextKey(null);
    expect(typeof next === "number" ? next : readU32(next)).toBe(0);
    const last = m.getNextKey(u32Bytes(1));
    expect(last).toBe(E.ENOENT);
    expect(m.delete(u32Bytes(1))).toBe(E.ENOENT);
    expect(m.delete(u32Bytes(5))).toBe(E.E2BIG);
    expect(m.delete(u32Bytes(0))).toBe(0);
    expect(m.cgroupAt(0)).toBeUndefined();
  });

  it("current_task_under_cgroup: 1 in the cgroup or under the root, 0 elsewhere, -EAGAIN empty, -E2BIG past the end", () => {
    const m = setup();
    expect(m.underCgroup(0, 4242n)).toBe(E.EAGAIN);
    m.setCgroup(0, 4242n);
    m.setCgroup(1, ROOT_CGROUP_ID);
    expect([m.underCgroup(0, 4242n), m.underCgroup(0, 17n), m.underCgroup(1, 17n), m.underCgroup(2, 4242n)]).toEqual([1, 0, 1, E.E2BIG]);
    expect(m.setCgroup(0, 5n, BPF_NOEXIST)).toBe(E.EINVAL);
  });
});
