// BPF_MAP_TYPE_CGROUP_ARRAY: cgroup references by index, what
// bpf_current_task_under_cgroup (and bpf_skb_under_cgroup) test against
// (kernel/bpf/arraymap.c cgroup_array_map_ops). User space stores a cgroup
// by the fd of its cgroup2 directory (update, value = u32 fd), resolved
// through CgroupArrayHooks.fromFd (-EBADF when the fd is not a cgroup
// directory, as cgroup_get_from_fd); the kernel side can store a cgroup by
// id directly (setCgroup). User-space lookups are -ENOTSUPP (the map has no
// map_fd_sys_lookup_elem), programs cannot look it up at all (the verifier
// refuses map_lookup_elem on it). A cgroup is a v2 cgroup id here; the root
// cgroup (id 1) contains every task.
import { arrayIndex, arrayNextKey } from "./array.js";
import { BpfMap, type MapInit } from "./map.js";
import { BPF_ANY, E } from "./types.js";
import { readU32 } from "./util.js";

/** The cgroup v2 id of the root cgroup: an ancestor of every task's cgroup. */
export const ROOT_CGROUP_ID = 1n;

export interface CgroupArrayHooks {
  /** The cgroup id behind a cgroup directory fd, or a negative errno (-EBADF: not a cgroup directory). */
  fromFd?(fd: number): bigint | number;
}

export class CgroupArrayMap extends BpfMap {
  hooks: CgroupArrayHooks;
  private readonly cgroups: (bigint | undefined)[];

  constructor(init: MapInit, hooks: CgroupArrayHooks = {}) {
    super(init);
    this.hooks = hooks;
    this.cgroups = new Array<bigint | undefined>(init.maxEntries).fill(undefined);
  }

  /** The cgroup id at `index`, if one is stored. */
  cgroupAt(index: number): bigint | undefined {
    return index >= 0 && index < this.maxEntries ? this.cgroups[index] : undefined;
  }

  /** Stores cgroup `id` at `index`: 0, -EINVAL (flags other than BPF_ANY), -E2BIG (index past the end). */
  setCgroup(index: number, id: bigint, flags = BPF_ANY): number {
    if (flags !== BPF_ANY) return E.EINVAL;
    if (!(Number.isInteger(index) && index >= 0 && index < this.maxEntries)) return E.E2BIG;
    this.cgroups[index] = id;
    return 0;
  }

  /**
   * bpf_current_task_under_cgroup(map, index) for a task in cgroup
   * `taskCgroup`: 1 if it is in the stored cgroup's hierarchy, 0 if not,
   * -E2BIG past the end, -EAGAIN for an empty slot.
   */
  underCgroup(index: number, taskCgroup: bigint): number {
    if (!(Number.isInteger(index) && index >= 0 && index < this.maxEntries)) return E.E2BIG;
    const cg = this.cgroups[index];
    if (cg === undefined) return E.EAGAIN;
    return cg === ROOT_CGROUP_ID || cg === taskCgroup ? 1 : 0;
  }

  /** bpf_fd_array_map_lookup_elem without map_fd_sys_lookup_elem: -ENOTSUPP. */
  protected override sysLookup(): Uint8Array | number {
    return E.ENOTSUPP;
  }

  /** bpf_fd_array_map_update_elem: the value is a cgroup directory fd. */
  protected override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags !== BPF_ANY) return E.EINVAL;
    const i = arrayIndex(key);
    if (i >= this.maxEntries) return E.E2BIG;
    const got = this.hooks.fromFd ? this.hooks.fromFd(readU32(value)) : E.EBADF;
    if (typeof got === "number") return got;
    this.cgroups[i] = got;
    return 0;
  }

  /** fd_array_map_delete_elem: -E2BIG past the end, -ENOENT for an empty slot. */
  protected override sysDelete(key: Uint8Array): number {
    const i = arrayIndex(key);
    if (i >= this.maxEntries) return E.E2BIG;
    if (this.cgroups[i] === undefined) return E.ENOENT;
    this.cgroups[i] = undefined;
    return 0;
  }

  protected override sysGetNextKey(key: Uint8Array | null): Uint8Array | number {
    return arrayNextKey(key, this.maxEntries);
  }
}
