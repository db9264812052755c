// BPF_MAP_TYPE_STACK_TRACE (kernel/bpf/stackmap.c): bpf_get_stackid hashes
// the current kernel stack (jhash2 of the u64 ips as u32 words, seed 0) to a
// stack id in [0, roundup_pow_of_two(max_entries)) and stores the stack in
// that bucket. A bucket holding a different stack gives -EEXIST unless
// BPF_F_REUSE_STACKID replaces it; BPF_F_FAST_STACK_CMP accepts a bucket
// whose hash matches without comparing the ips. max_entries preallocated
// buckets back the ids (-ENOMEM when none is free). Stacks come from
// KernelEnv.kernelStack() (innermost first); no stack, or BPF_F_USER_STACK
// (user stacks are not modelled), is -EFAULT. User space reads a stack as
// value_size bytes: the ips (or, with BPF_F_STACK_BUILD_ID, 32-byte
// struct bpf_stack_build_id entries in the kernel's IP fallback form)
// followed by zeros.
import { jhash } from "./jhash.js";
import { BpfMap, type MapInit } from "./map.js";
import { arrayIndex } from "./array.js";
import {
  BPF_F_FAST_STACK_CMP,
  BPF_F_REUSE_STACKID,
  BPF_F_SKIP_FIELD_MASK,
  BPF_F_STACK_BUILD_ID,
  BPF_F_USER_STACK,
  E,
  PERF_EVENT_MAX_STACK,
} from "./types.js";
import { bytesEqual, roundupPowOfTwo, u32Bytes, writeU32, writeU64 } from "./util.js";

/** sizeof(struct bpf_stack_build_id): s32 status, u8 build_id[20], u64 offset/ip. */
export const BPF_STACK_BUILD_ID_SIZE = 32;
/** bpf_stack_build_id.status when only the ip is known. */
export const BPF_STACK_BUILD_ID_IP = 2;

interface Bucket {
  hash: number;
  nr: number;
  /** nr entries of elemSize bytes. */
  data: Uint8Array;
}

export class StackTraceMap extends BpfMap {
  readonly nBuckets: number;
  /** Bytes per stack entry: 8, or 32 with BPF_F_STACK_BUILD_ID. */
  readonly elemSize: number;
  private readonly buckets: (Bucket | undefined)[];
  /** Preallocated buckets not in use. */
  private free: number;
  private readonly maxStack: number;

  constructor(init: MapInit, perfEventMaxStack = PERF_EVENT_MAX_STACK) {
    super(init);
    this.nBuckets = roundupPowOfTwo(init.maxEntries);
    this.elemSize = init.flags & BPF_F_STACK_BUILD_ID ? BPF_STACK_BUILD_ID_SIZE : 8;
    this.buckets = new Array<Bucket | undefined>(this.nBuckets).fill(undefined);
    this.free = init.maxEntries;
    this.maxStack = perfEventMaxStack;
  }

  /** Stack ids in use. */
  get count(): number {
    return this.maxEntries - this.free;
  }

  /**
   * bpf_get_stackid: the stack id of `stack` (innermost first), or -EINVAL
   * (unknown flags), -EFAULT (no stack, user stack, or nothing left after
   * the skip), -EEXIST (the bucket holds another stack), -ENOMEM.
   */
  getStackId(stack: readonly bigint[] | undefined, flags: bigint): number {
    const f = BigInt.asUintN(64, flags);
    const known = BigInt(BPF_F_SKIP_FIELD_MASK | BPF_F_USER_STACK | BPF_F_FAST_STACK_CMP | BPF_F_REUSE_STACKID);
    if ((f & ~known) !== 0n) return E.EINVAL;
    const fl = Number(f);
    const skip = fl & BPF_F_SKIP_FIELD_MASK;
    if (fl & BPF_F_USER_STACK || stack === undefined) return E.EFAULT;
    const maxDepth = Math.min(this.valueSize / this.elemSize + skip, this.maxStack);
    const nr = Math.min(stack.length, maxDepth);
    if (nr <= skip) return E.EFAULT;
    const ips = stack.slice(skip, nr);
    const raw = new Uint8Array(ips.length * 8);
    ips.forEach((ip, i) => writeU64(raw, i * 8, ip));
    const hash = jhash(raw, 0); // = jhash2 of the ips' u32 words
    const id = hash & (this.nBuckets - 1);
    const bucket = this.buckets[id];
    const hashMatches = bucket !== undefined && bucket.hash === hash;
    if (hashMatches && fl & BPF_F_FAST_STACK_CMP) return id;
    const data = this.elemSize === 8 ? raw : buildIdEntries(ips);
    if (hashMatches && bucket.nr === ips.length && bytesEqual(bucket.data, data)) return id;
    if (bucket !== undefined && !(fl & BPF_F_REUSE_STACKID)) return E.EEXIST;
    if (this.free === 0) return E.ENOMEM;
    this.free--;
    this.buckets[id] = { hash, nr: ips.length, data };
    if (bucket !== undefined) this.free++;
    return id;
  }

  /** The ips stored under `id`, innermost first (for symbolizing), if any. */
  stackAt(id: number): bigint[] | undefined {
    const b = this.buckets[id];
    if (b === undefined) return undefined;
    const view = new DataView(b.data.buffer, b.data.byteOffset, b.data.byteLength);
    const out: bigint[] = [];
    for (let i = 0; i < b.nr; i++) out.push(view.getBigUint64(i * this.elemSize + (this.elemSize === 8 ? 0 : 24), true));
    return out;
  }

  /** bpf_stackmap_copy. */
  protected override sysLookup(key: Uint8Array): Uint8Array | number {
    const id = arrayIndex(key);
    if (id >= this.nBuckets) return E.ENOENT;
    const b = this.buckets[id];
    if (b === undefined) return E.ENOENT;
    const out = new Uint8Array(this.valueSize);
    out.set(b.data);
    return out;
  }

  protected override sysUpdate(): number {
    return E.EINVAL;
  }

  protected override sysDelete(key: Uint8Array): number {
    const id = arrayIndex(key);
    if (id >= this.nBuckets) return E.E2BIG;
    if (this.buckets[id] === undefined) return E.ENOENT;
    this.buckets[id] = undefined;
    this.free++;
    return 0;
  }

  /** stack_map_get_next_key: the next used id after `key` (an unknown or unused id restarts at 0). */
  protected override sysGetNextKey(key: Uint8Array | null): Uint8Array | number {
    let id = 0;
    if (key !== null) {
      const k = arrayIndex(key);
      id = k >= this.nBuckets || this.buckets[k] === undefined ? 0 : k + 1;
    }
    while (id < this.nBuckets && this.buckets[id] === undefined) id++;
    return id >= this.nBuckets ? E.ENOENT : u32Bytes(id);
  }
}

/** Kernel-stack build-id entries: status BPF_STACK_BUILD_ID_IP, zero build id, the ip. */
function buildIdEntries(ips: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(ips.length * BPF_STACK_BUILD_ID_SIZE);
  ips.forEach((ip, i) => {
    writeU32(out, i * BPF_STACK_BUILD_ID_SIZE, BPF_STACK_BUILD_ID_IP);
    writeU64(out, i * BPF_STACK_BUILD_ID_SIZE + 24, ip);
  });
  return out;
}
