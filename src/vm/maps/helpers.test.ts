// The map helper implementations, called as the interpreter would: r1..r5
// as u64 BigInts with keys and values in a program's stack region of a real
// AddressSpace, maps resolved through a MapRegistry's mapAt, results as r0
// (addresses, 0/NULL, or errRet(errno)).
import { describe, expect, it } from "vitest";
import { errRet, type HelperRuntime } from "../helpers/abi.js";
import { nullKernelEnv, type KernelEnv } from "../env.js";
import { AddressSpace, type Region, RegionKind, regionAddress } from "../memory.js";
import { createMap } from "./create.js";
import {
  MAP_HELPERS,
  MapHelperId,
  getStackid,
  mapDeleteElem,
  mapLookupElem,
  mapUpdateElem,
  perfEventOutput,
  ringbufDiscard,
  ringbufOutput,
  ringbufQuery,
  ringbufReserve,
  ringbufSubmit,
} from "./helpers.js";
import type { BpfMap } from "./map.js";
import { PERF_RECORD_SAMPLE, type PerfEventArrayMap } from "./perf-event-array.js";
import { MapRegistry } from "./registry.js";
import type { RingbufMap } from "./ringbuf.js";
import type { StackTraceMap } from "./stack-trace.js";
import {
  BPF_ANY,
  BPF_F_CURRENT_CPU,
  BPF_F_REUSE_STACKID,
  BPF_MAP_TYPE_ARRAY,
  BPF_MAP_TYPE_HASH,
  BPF_MAP_TYPE_PERCPU_ARRAY,
  BPF_MAP_TYPE_PERF_EVENT_ARRAY,
  BPF_MAP_TYPE_RINGBUF,
  BPF_MAP_TYPE_STACK_TRACE,
  BPF_NOEXIST,
  BPF_RB_AVAIL_DATA,
  BPF_RB_NO_WAKEUP,
  BPF_RB_PROD_POS,
  BPF_RB_RING_SIZE,
  type MapAttr,
} from "./types.js";
import { readU32, u32Bytes } from "./util.js";

const EFAULT = errRet(14);
const EINVAL = errRet(22);
const ENOENT = errRet(2);
const EEXIST = errRet(17);
const E2BIG = errRet(7);
const EAGAIN = errRet(11);
const EOPNOTSUPP = errRet(95);

interface Fixture {
  mem: AddressSpace;
  reg: MapRegistry;
  /** A 512-byte program stack. */
  stack: Region;
  rt: HelperRuntime;
  env: { cpu: number; kstack: bigint[] | undefined };
  map(attr: MapAttr): BpfMap;
  /** Writes bytes at stack offset `off` and returns their VM address. */
  put(off: number, bytes: Uint8Array): bigint;
  /** Reads `len` bytes at a VM address. */
  read(addr: bigint, len: number): Uint8Array;
  call(id: number, ...args: bigint[]): bigint;
}

function fixture(nrCpus = 2): Fixture {
  const mem = new AddressSpace();
  const reg = new MapRegistry();
  const stack = mem.map(RegionKind.STACK, new Uint8Array(512));
  const state = { cpu: 0, kstack: undefined as bigint[] | undefined };
  const env: KernelEnv = nullKernelEnv({ cpu: () => state.cpu, nrCpus: () => nrCpus, kernelStack: () => state.kstack as bigint[] });
  const rt: HelperRuntime = { mem, env, pc: 7, ctx: undefined, mapAt: reg.mapAt };
  return {
    mem,
    reg,
    stack,
    rt,
    env: state,
    map(attr) {
      const m = createMap(attr, { mem, nrCpus, registry: reg });
      if (typeof m === "number") throw new Error(`createMap: ${m}`);
      return m;
    },
    put(off, bytes) {
      stack.bytes.set(bytes, off);
      return regionAddress(stack, off);
    },
    read(addr, len) {
      const r = mem.findAddress(addr, len);
      if (!r) throw new Error(`unmapped ${addr.toString(16)}`);
      const off = Number(addr - regionAddress(r));
      return r.bytes.slice(off, off + len);
    },
    call(id, ...args) {
      const [a = 0n, b = 0n, c = 0n, d = 0n, e = 0n] = args;
      return MAP_HELPERS[id]!(rt, a, b, c, d, e);
    },
  };
}

const HASH: MapAttr = { type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 4, name: "counts" };

describe("helper table", () => {
  it("exports the map helpers under the kernel's helper ids", () => {
    expect(Object.keys(MAP_HELPERS).map(Number)).toEqual([1, 2, 3, 25, 27, 37, 87, 88, 89, 130, 131, 132, 133, 134]);
    expect(MAP_HELPERS[MapHelperId.map_lookup_elem]).toBe(mapLookupElem);
    expect(MAP_HELPERS[MapHelperId.map_update_elem]).toBe(mapUpdateElem);
    expect(MAP_HELPERS[MapHelperId.map_delete_elem]).toBe(mapDeleteElem);
    expect(MAP_HELPERS[MapHelperId.perf_event_output]).toBe(perfEventOutput);
    expect(MAP_HELPERS[MapHelperId.get_stackid]).toBe(getStackid);
    expect(MAP_HELPERS[MapHelperId.ringbuf_output]).toBe(ringbufOutput);
    expect(MAP_HELPERS[MapHelperId.ringbuf_reserve]).toBe(ringbufReserve);
    expect(MAP_HELPERS[MapHelperId.ringbuf_submit]).toBe(ringbufSubmit);
    expect(MAP_HELPERS[MapHelperId.ringbuf_discard]).toBe(ringbufDiscard);
    expect(MAP_HELPERS[MapHelperId.ringbuf_query]).toBe(ringbufQuery);
  });
});

describe("map_lookup_elem / map_update_elem / map_delete_elem", () => {
  it("update, lookup (value address), write through the pointer, delete", () => {
    const f = fixture();
    const m = f.map(HASH);
    const key = f.put(0, u32Bytes(42));
    const val = f.put(8, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
    expect(f.call(2, m.address, key, val, BigInt(BPF_ANY))).toBe(0n);
    const p = f.call(1, m.address, key);
    expect(p).toBe(0xffffc9c000001000n);
    expect(f.read(p, 8)).toEqual(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
    // A program store through the returned pointer is what user space reads.
    const r = f.mem.findAddress(p, 8)!;
    r.view.setUint32(Number(p - regionAddress(r)), 0xcafe, true);
    expect(m.lookup(u32Bytes(42))).toEqual(new Uint8Array([0xfe, 0xca, 0, 0, 5, 6, 7, 8]));
    expect(f.call(2, m.address, key, val, BigInt(BPF_NOEXIST))).toBe(EEXIST);
    expect(f.call(3, m.address, key)).toBe(0n);
    expect(f.call(3, m.address, key)).toBe(ENOENT);
    expect(f.call(1, m.address, key)).toBe(0n);
  });

  it.each([
    ["lookup with a key pointer outside any region", 1, "badkey", 0n],
    ["lookup through an unknown map pointer", 1, "badmap", 0n],
    ["update with an unreadable value", 2, "badvalue", EFAULT],
    ["update with an unreadable key", 2, "badkey", EFAULT],
    ["update through an unknown map pointer", 2, "badmap", EINVAL],
    ["update with flags beyond 32 bits", 2, "bigflags", EINVAL],
    ["delete with an unreadable key", 3, "badkey", EFAULT],
    ["delete through an unknown map pointer", 3, "badmap", EINVAL],
  ] as const)("%s", (_d, id, what, expected) => {
    const f = fixture();
    const m = f.map(HASH);
    const key = f.put(0, u32Bytes(1));
    const val = f.put(8, new Uint8Array(8));
    const mapPtr = what === "badmap" ? m.address + 8n : m.address;
    const keyPtr = what === "badkey" ? 0x10n : key;
    const valPtr = what === "badvalue" ? regionAddress(f.stack, 508) : val; // only 4 bytes left in the stack
    const flags = what === "bigflags" ? 1n << 40n : 0n;
    expect(f.call(id, mapPtr, keyPtr, valPtr, flags)).toBe(expected);
  });

  it("array lookups return element addresses; per-CPU lookups use the running CPU", () => {
    const f = fixture(2);
    const arr = f.map({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 });
    const pc = f.map({ type: BPF_MAP_TYPE_PERCPU_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 });
    const key = f.put(0, u32Bytes(3));
    expect(f.call(1, arr.address, key)).toBe(0xffffc9c000001000n + 24n);
    const pcBase = 0xffffc9c000001000n + BigInt(Math.ceil((32 + 4096) / 8) * 8);
    expect(f.call(1, pc.address, key)).toBe(pcBase + 24n);
    f.env.cpu = 1;
    expect(f.call(1, pc.address, key)).toBe(pcBase + BigInt((4 + 3) * 8));
    expect(f.call(2, pc.address, key, f.put(8, u32Bytes(77)), 0n)).toBe(0n);
    const v = pc.lookup(u32Bytes(3));
    expect(typeof v === "number" ? v : [readU32(v, 0), readU32(v, 8)]).toEqual([0, 77]);
    expect(f.call(3, arr.address, key)).toBe(EINVAL);
    expect(f.call(1, arr.address, f.put(0, u32Bytes(4)))).toBe(0n);
  });

  it("data-map helpers on a ring buffer give NULL or -EOPNOTSUPP", () => {
    const f = fixture();
    const rb = f.map({ type: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 });
    const key = f.put(0, new Uint8Array(0));
    expect(f.call(1, rb.address, key)).toBe(0n);
    expect(f.call(2, rb.address, key, key, 0n)).toBe(EOPNOTSUPP);
    expect(f.call(3, rb.address, key)).toBe(EOPNOTSUPP);
  });
});

describe("ringbuf helpers", () => {
  function rbFixture() {
    const f = fixture();
    const rb = f.map({ type: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 }) as RingbufMap;
    return { f, rb };
  }

  it("reserve, write, submit, then the consumer reads the record", () => {
    const { f, rb } = rbFixture();
    const rec = f.call(131, rb.address, 12n, 0n);
    expect(rec).toBe(0xffffc9a000001008n);
    const r = f.mem.findAddress(rec, 12)!;
    r.bytes.set([9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2], Number(rec - regionAddress(r)));
    expect(f.call(134, rb.address, BigInt(BPF_RB_AVAIL_DATA))).toBe(24n);
    expect(rb.consume()).toEqual([]);
    expect(f.call(132, rec, 0n)).toBe(0n);
    expect(rb.consume()).toEqual([{ pos: 0, data: new Uint8Array([9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2]) }]);
    expect(f.call(134, rb.address, BigInt(BPF_RB_RING_SIZE))).toBe(4096n);
  });

  it("discard skips the record; output copies program memory", () => {
    const { f, rb } = rbFixture();
    const rec = f.call(131, rb.address, 4n, 0n);
    expect(f.call(133, rec, BigInt(BPF_RB_NO_WAKEUP))).toBe(0n);
    const data = f.put(16, new Uint8Array([1, 2, 3]));
    expect(f.call(130, rb.address, data, 3n, 0n)).toBe(0n);
    expect(rb.consume()).toEqual([{ pos: 16, data: new Uint8Array([1, 2, 3]) }]);
    // No wakeups: the discard said BPF_RB_NO_WAKEUP and the consumer waits at 0, not at 16.
    expect(rb.stats()).toEqual({ drops: 0, commits: 2, discards: 1, wakeups: 0 });
    expect(f.call(134, rb.address, BigInt(BPF_RB_PROD_POS))).toBe(32n);
  });

  it.each([
    ["reserve with flags", 131, (rb: bigint) => [rb, 8n, 1n], 0n, 0],
    ["reserve larger than the ring", 131, (rb: bigint) => [rb, 4096n, 0n], 0n, 1],
    ["reserve of a u64-sized record", 131, (rb: bigint) => [rb, 1n << 40n, 0n], 0n, 1],
    ["output with unknown flags", 130, (rb: bigint, d: bigint) => [rb, d, 4n, 4n], EINVAL, 0],
    ["output of more bytes than the data's region holds", 130, (rb: bigint, d: bigint) => [rb, d, 4090n, 0n], EFAULT, 0],
    ["submit of a stack pointer", 132, (_rb: bigint, d: bigint) => [d, 0n], EINVAL, 0],
    ["reserve on a hash map", 131, (_rb: bigint, _d: bigint, h: bigint) => [h, 8n, 0n], 0n, 0],
    ["output on a hash map", 130, (_rb: bigint, d: bigint, h: bigint) => [h, d, 4n, 0n], EINVAL, 0],
    ["query on a hash map", 134, (_rb: bigint, _d: bigint, h: bigint) => [h, 0n], 0n, 0],
  ] as const)("%s", (_d, id, args, expected, drops) => {
    const { f, rb } = rbFixture();
    const h = f.map(HASH);
    const data = f.put(0, new Uint8Array(16));
    expect(f.call(id, ...args(rb.address, data, h.address))).toBe(expected);
    expect(rb.stats().drops).toBe(drops);
  });

  it("output into a full ring is -EAGAIN and counted as a drop", () => {
    const { f, rb } = rbFixture();
    expect(f.call(131, rb.address, 4080n, 0n)).not.toBe(0n);
    const data = f.put(0, new Uint8Array(4));
    expect(f.call(130, rb.address, data, 4n, 0n)).toBe(EAGAIN);
    expect(f.call(131, rb.address, 1n, 0n)).toBe(0n);
    expect(rb.stats().drops).toBe(2);
  });
});

describe("perf_event_output", () => {
  it("writes to the running CPU's ring with BPF_F_CURRENT_CPU", () => {
    const f = fixture(2);
    const m = f.map({ type: BPF_MAP_TYPE_PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 0 }) as PerfEventArrayMap;
    const rings = m.openBuffers(1);
    if (typeof rings === "number") throw new Error(String(rings));
    f.env.cpu = 1;
    const data = f.put(0, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
    expect(f.call(25, 0n, m.address, BPF_F_CURRENT_CPU, data, 8n)).toBe(0n);
    expect(rings[1]!.read()).toEqual([{ type: PERF_RECORD_SAMPLE, misc: 1, data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0]) }]);
    expect(rings[0]!.read()).toEqual([]);
  });

  it.each([
    ["flags above the index", (m: bigint, d: bigint) => [0n, m, 1n << 33n, d, 4n], EINVAL],
    ["an index past max_entries", (m: bigint, d: bigint) => [0n, m, 5n, d, 4n], E2BIG],
    ["an index without an event", (m: bigint, d: bigint) => [0n, m, 1n, d, 4n], ENOENT],
    ["another CPU's event", (m: bigint, d: bigint) => [0n, m, 0n, d, 4n], EOPNOTSUPP],
    ["unreadable data", (m: bigint) => [0n, m, BPF_F_CURRENT_CPU, 0x20n, 4n], EFAULT],
    ["a map that is not a perf event array", (_m: bigint, d: bigint, h: bigint) => [0n, h, BPF_F_CURRENT_CPU, d, 4n], EINVAL],
  ] as const)("%s", (_d, args, expected) => {
    const f = fixture(2);
    const m = f.map({ type: BPF_MAP_TYPE_PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 }) as PerfEventArrayMap;
    const ring = m.openRing(0, 1);
    if (typeof ring === "number") throw new Error(String(ring));
    expect(m.update(u32Bytes(0), u32Bytes(ring.fd))).toBe(0);
    const h = f.map(HASH);
    f.env.cpu = 1;
    const data = f.put(0, new Uint8Array(4));
    expect(f.call(25, ...args(m.address, data, h.address))).toBe(expected);
  });
});

describe("get_stackid", () => {
  const STACK = [0xffffffff81000010n, 0xffffffff81000100n, 0xffffffff81000200n];

  it("hashes KernelEnv.kernelStack() into a stack id", () => {
    const f = fixture();
    const m = f.map({ type: BPF_MAP_TYPE_STACK_TRACE, keySize: 4, valueSize: 40, maxEntries: 4 }) as StackTraceMap;
    f.env.kstack = STACK;
    expect(f.call(27, 0n, m.address, 0n)).toBe(1n); // see stack-trace.test.ts
    expect(m.stackAt(1)).toEqual(STACK);
    f.env.kstack = [0xffffffff81000050n, ...STACK.slice(1)]; // same bucket, different stack
    expect(f.call(27, 0n, m.address, 0n)).toBe(EEXIST);
    expect(f.call(27, 0n, m.address, BigInt(BPF_F_REUSE_STACKID))).toBe(1n);
    f.env.kstack = undefined;
    expect(f.call(27, 0n, m.address, 0n)).toBe(EFAULT);
    expect(f.call(27, 0n, f.map(HASH).address, 0n)).toBe(EINVAL);
  });

  it("is -EFAULT when the kernel model has no kernelStack()", () => {
    const f = fixture();
    const m = f.map({ type: BPF_MAP_TYPE_STACK_TRACE, keySize: 4, valueSize: 40, maxEntries: 4 });
    const rt: HelperRuntime = { ...f.rt, env: nullKernelEnv() };
    expect(getStackid(rt, 0n, m.address, 0n, 0n, 0n)).toBe(EFAULT);
  });
});
