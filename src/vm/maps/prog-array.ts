// BPF_MAP_TYPE_PROG_ARRAY: program references by index, the jump table of
// bpf_tail_call. The program type is opaque here (type parameter P). User
// space stores programs by fd (update, value = u32 fd), resolved through
// ProgArrayHooks.fromFd; the kernel side can install them directly
// (setProg/clearProg, same errnos). Lookups from user space return the
// program's id (hooks.idOf). The first program stored fixes what is
// compatible (hooks.compatible; the kernel's owner prog type/jited check).
import { BpfMap, type MapInit } from "./map.js";
import { arrayIndex, arrayNextKey } from "./array.js";
import { BPF_ANY, E } from "./types.js";
import { readU32, u32Bytes } from "./util.js";

export interface ProgArrayHooks<P> {
  /** The program an fd refers to, or a negative errno (-EBADF: not an fd, -EINVAL: not a program). */
  fromFd?(fd: number): { prog: P } | number;
  /** The program's id (what BPF_MAP_LOOKUP_ELEM returns). */
  idOf?(prog: P): number;
  /** Whether `prog` may join `current` (the programs already stored; empty for the first). */
  compatible?(prog: P, current: readonly P[]): boolean;
}

export class ProgArrayMap<P = unknown> extends BpfMap {
  hooks: ProgArrayHooks<P>;
  private readonly progs: (P | undefined)[];

  constructor(init: MapInit, hooks: ProgArrayHooks<P> = {}) {
    super(init);
    this.hooks = hooks;
    this.progs = new Array<P | undefined>(init.maxEntries).fill(undefined);
  }

  override get userValueSize(): number {
    return 4;
  }

  /** The program at `index` (what a tail call jumps to), if any. */
  progAt(index: number): P | undefined {
    return index >= 0 && index < this.maxEntries ? this.progs[index] : undefined;
  }

  /** Stores `prog` at `index`: 0, -EINVAL (flags other than BPF_ANY, incompatible program), -E2BIG (index past the end). */
  setProg(index: number, prog: P, flags = BPF_ANY): number {
    if (flags !== BPF_ANY) return E.EINVAL;
    if (!(Number.isInteger(index) && index >= 0 && index < this.maxEntries)) return E.E2BIG;
    return this.install(index, prog);
  }

  private install(index: number, prog: P): number {
    const current = this.progs.filter((p): p is P => p !== undefined);
    if (this.hooks.compatible && !this.hooks.compatible(prog, current)) return E.EINVAL;
    this.progs[index] = prog;
    return 0;
  }

  /** Removes the program at `index`: 0, -E2BIG, -ENOENT. */
  clearProg(index: number): number {
    if (!(Number.isInteger(index) && index >= 0 && index < this.maxEntries)) return E.E2BIG;
    if (this.progs[index] === undefined) return E.ENOENT;
    this.progs[index] = undefined;
    return 0;
  }

  /** prog_fd_array_sys_lookup_elem: the program's id as a u32. */
  protected override sysLookup(key: Uint8Array): Uint8Array | number {
    const i = arrayIndex(key);
    if (i >= this.maxEntries) return E.ENOENT;
    const p = this.progs[i];
    if (p === undefined) return E.ENOENT;
    return u32Bytes(this.hooks.idOf?.(p) ?? 0);
  }

  /** bpf_fd_array_map_update_elem: the value is a program fd. */
  protected override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags !== BPF_ANY) return E.EINVAL;
    const i = arrayIndex(key);
    if (i >= this.maxEntries) return E.E2BIG;
    const got = this.hooks.fromFd ? this.hooks.fromFd(readU32(value)) : E.EBADF;
    if (typeof got === "number") return got;
    return this.install(i, got.prog);
  }

  protected override sysDelete(key: Uint8Array): number {
    return this.clearProg(arrayIndex(key));
  }

  protected override sysGetNextKey(key: Uint8Array | null): Uint8Array | number {
    return arrayNextKey(key, this.maxEntries);
  }
}
