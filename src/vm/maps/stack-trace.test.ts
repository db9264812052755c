// BPF_MAP_TYPE_STACK_TRACE: get_stackid ids (jhash2 of the ips & (buckets - 1)),
// collisions (-EEXIST) and BPF_F_REUSE_STACKID, BPF_F_FAST_STACK_CMP, skip
// and depth limits, -EFAULT/-EINVAL/-ENOMEM, and the syscall side (lookup
// copies the ips and zero-fills, delete, get_next_key over used ids).
import { describe, expect, it } from "vitest";
import { AddressSpace } from "../memory.js";
import { createMap } from "./create.js";
import { StackTraceMap } from "./stack-trace.js";
import {
  BPF_F_FAST_STACK_CMP,
  BPF_F_REUSE_STACKID,
  BPF_F_STACK_BUILD_ID,
  BPF_F_USER_STACK,
  BPF_MAP_TYPE_STACK_TRACE,
  E,
  type MapAttr,
} from "./types.js";
import { readU32, readU64, u32Bytes } from "./util.js";

const k = u32Bytes;
const B = 0xffffffff81000000n;
/** Stack i: a distinct innermost frame over two shared callers. */
const S = (i: number): bigint[] => [B + BigInt(i * 16), B + 0x100n, B + 0x200n];
// With 4 buckets: S(1) -> id 1, S(2) -> 2, S(3) -> 0, S(4) -> 0, S(5) -> 1, S(8) -> 3.

function setup(attr: Partial<MapAttr> = {}): StackTraceMap {
  const m = createMap({ type: BPF_MAP_TYPE_STACK_TRACE, keySize: 4, valueSize: 40, maxEntries: 4, ...attr }, { mem: new AddressSpace(), nrCpus: 1 });
  if (!(m instanceof StackTraceMap)) throw new Error(`createMap failed: ${String(m)}`);
  return m;
}

/** The ips a user-space lookup returns, up to the first zero entry; the zero tail length too. */
function ips(v: Uint8Array | number): [bigint[], number] | number {
  if (typeof v === "number") return v;
  const out: bigint[] = [];
  let i = 0;
  for (; i < v.length / 8 && readU64(v, i * 8) !== 0n; i++) out.push(readU64(v, i * 8));
  return [out, v.length / 8 - i];
}

describe("get_stackid", () => {
  it("returns the bucket of the stack's hash; the same stack gets the same id", () => {
    const m = setup();
    expect(m.getStackId(S(1), 0n)).toBe(1);
    expect(m.getStackId(S(1), 0n)).toBe(1);
    expect(m.getStackId(S(2), 0n)).toBe(2);
    expect(m.getStackId(S(3), 0n)).toBe(0);
    expect(m.getStackId(S(8), 0n)).toBe(3);
    expect(m.count).toBe(4);
    expect(ips(m.lookup(k(1)))).toEqual([S(1), 2]); // 3 ips and 2 zero entries of 5
    expect(m.stackAt(3)).toEqual(S(8));
  });

  it("a different stack in an occupied bucket is -EEXIST unless BPF_F_REUSE_STACKID", () => {
    const m = setup();
    expect(m.getStackId(S(1), 0n)).toBe(1);
    expect(m.getStackId(S(5), 0n)).toBe(E.EEXIST);
    expect(m.getStackId(S(5), BigInt(BPF_F_REUSE_STACKID))).toBe(1);
    expect(ips(m.lookup(k(1)))).toEqual([S(5), 2]);
    expect(m.getStackId(S(1), 0n)).toBe(E.EEXIST);
    expect(m.count).toBe(1);
  });

  it("BPF_F_FAST_STACK_CMP trusts a matching hash; a different hash still collides", () => {
    const m = setup();
    expect(m.getStackId(S(3), 0n)).toBe(0);
    expect(m.getStackId(S(3), BigInt(BPF_F_FAST_STACK_CMP))).toBe(0);
    expect(m.getStackId(S(4), BigInt(BPF_F_FAST_STACK_CMP))).toBe(E.EEXIST);
    expect(m.getStackId(S(4), BigInt(BPF_F_FAST_STACK_CMP | BPF_F_REUSE_STACKID))).toBe(0);
  });

  it("skips innermost frames and keeps at most value_size / 8 of the rest", () => {
    const m = setup();
    // Skipping one frame leaves [B+0x100, B+0x200], which hashes to bucket 1.
    expect(m.getStackId(S(1), 1n)).toBe(1);
    expect(ips(m.lookup(k(1)))).toEqual([S(1).slice(1), 3]);
    const shallow = setup({ valueSize: 16 });
    // Two frames kept: [B+0x10, B+0x100], bucket 0.
    expect(shallow.getStackId(S(1), 0n)).toBe(0);
    expect(ips(shallow.lookup(k(0)))).toEqual([S(1).slice(0, 2), 0]);
    // perf_event_max_stack bounds depth + skip.
    const m2 = createMap({ type: BPF_MAP_TYPE_STACK_TRACE, keySize: 4, valueSize: 16, maxEntries: 4 }, { mem: new AddressSpace(), nrCpus: 1, perfEventMaxStack: 2 });
    if (!(m2 instanceof StackTraceMap)) throw new Error("create");
    // min(2 + 1, 2) = 2 frames are fetched: skipping 1 keeps [B+0x100] (bucket 2), skipping 2 keeps nothing.
    expect(m2.getStackId(S(1), 1n)).toBe(2);
    expect(ips(m2.lookup(k(2)))).toEqual([[B + 0x100n], 1]);
    expect(m2.getStackId(S(1), 2n)).toBe(E.EFAULT);
  });

  it.each([
    ["no stack from the kernel", undefined, 0n, E.EFAULT],
    ["an empty stack", [], 0n, E.EFAULT],
    ["skipping every frame", S(1), 3n, E.EFAULT],
    ["a user stack (not modelled)", S(1), BigInt(BPF_F_USER_STACK), E.EFAULT],
    ["an unknown flag", S(1), 1n << 11n, E.EINVAL],
    ["flags above 32 bits", S(1), 1n << 40n, E.EINVAL],
  ] as const)("%s", (_d, stack, flags, expected) => {
    expect(setup().getStackId(stack as bigint[] | undefined, flags)).toBe(expected);
  });

  it("-ENOMEM when every preallocated bucket is in use, even to replace with REUSE", () => {
    const one = setup({ maxEntries: 1 });
    expect(one.getStackId(S(1), 0n)).toBe(0);
    expect(one.getStackId(S(2), BigInt(BPF_F_REUSE_STACKID))).toBe(E.ENOMEM);
    expect(one.getStackId(S(1), 0n)).toBe(0);
    const three = setup({ maxEntries: 3 }); // 4 buckets, 3 stacks
    expect([three.getStackId(S(3), 0n), three.getStackId(S(1), 0n), three.getStackId(S(2), 0n)]).toEqual([0, 1, 2]);
    expect(three.getStackId(S(8), 0n)).toBe(E.ENOMEM);
    expect(three.delete(k(1))).toBe(0);
    expect(three.getStackId(S(8), 0n)).toBe(3);
  });

  it("build-id maps store kernel frames in the IP fallback form", () => {
    const m = setup({ valueSize: 64, flags: BPF_F_STACK_BUILD_ID });
    expect(m.elemSize).toBe(32);
    expect(m.getStackId(S(1), 0n)).toBe(0); // 2 frames kept: same hash as the shallow map above
    const v = m.lookup(k(0));
    if (typeof v === "number") throw new Error(String(v));
    expect([readU32(v, 0), readU64(v, 24), readU32(v, 32), readU64(v, 56)]).toEqual([2, S(1)[0], 2, S(1)[1]]);
    expect(v.subarray(4, 24)).toEqual(new Uint8Array(20));
    expect(m.stackAt(0)).toEqual(S(1).slice(0, 2));
  });
});

describe("stack_trace syscalls", () => {
  it.each([
    ["lookup of an unused id", (m: StackTraceMap) => m.lookup(k(2)), E.ENOENT],
    ["lookup past the buckets", (m: StackTraceMap) => m.lookup(k(4)), E.ENOENT],
    ["update", (m: StackTraceMap) => m.update(k(1), new Uint8Array(40)), E.EINVAL],
    ["delete of a used id", (m: StackTraceMap) => m.delete(k(1)), 0],
    ["delete of an unused id", (m: StackTraceMap) => m.delete(k(2)), E.ENOENT],
    ["delete past the buckets", (m: StackTraceMap) => m.delete(k(4)), E.E2BIG],
    ["lookupBatch", (m: StackTraceMap) => m.lookupBatch(null, 2).err, E.ENOTSUPP],
  ] as const)("%s", (_d, op, expected) => {
    const m = setup();
    expect(m.getStackId(S(1), 0n)).toBe(1);
    expect(op(m)).toBe(expected);
  });

  it("getNextKey walks used ids; an unused or unknown id restarts at the first", () => {
    const m = setup();
    for (const i of [3, 1, 8]) m.getStackId(S(i), 0n); // ids 0, 1, 3
    const next = (key: number | null) => {
      const r = m.getNextKey(key === null ? null : k(key));
      return typeof r === "number" ? r : readU32(r);
    };
    expect([next(null), next(0), next(1), next(3), next(2), next(77)]).toEqual([0, 1, 3, E.ENOENT, 0, 0]);
    expect(m.delete(k(0))).toBe(0);
    expect(next(null)).toBe(1);
  });
});
