// Every helper with a BigInt-free form (HelperImpl.fast) against its BigInt
// form: two identical worlds (same address space layout, maps, kernel
// environment) get the same calls, one through each form, and must give the
// same r0 (u64), the same faults and the same memory and map state after
// every call: valid calls, bad map pointers, unmapped and read-only
// buffers, every flag value, out-of-range indexes, full maps, ring buffer
// drops and double commits, kernel reads that fault, clocks past 2^64.
import { describe, expect, it } from "vitest";
import { toBigU } from "../alu64.js";
import { nullKernelEnv, type KernelEnv, type TaskInfo } from "../env.js";
import { VmFault } from "../errors.js";
import { AddressSpace, RegionKind, regionAddress, type Region } from "../memory.js";
import { createMap, MapRegistry, type BpfMap, type PerfEventArrayMap, type RingbufMap } from "../maps/index.js";
import { RINGBUF_MAX_RECORD_SZ } from "../maps/ringbuf.js";
import { ProgramBuilder } from "../isa/builder.js";
import { programFromInsns } from "../isa/encode.js";
import { Interpreter } from "../interpreter.js";
import { invokeFastHelper, invokeHelper, MapsByAddress, withFast, type FastHelperRuntime, type HelperImpl } from "./abi.js";
import { HelperTable, vmHelperTable } from "./table.js";

const U64 = (v: bigint) => BigInt.asUintN(64, v);
const KBASE = 0xffff888000001000n;
const UBASE = 0x7f0000001000n;

/** What the kernel environment answers; both worlds read the same one. */
interface EnvState {
  cpu: number;
  clock: bigint;
  jiffies: bigint;
  task: TaskInfo;
}

function world(state: EnvState) {
  const mem = new AddressSpace();
  const registry = new MapRegistry();
  const fill = (base: bigint) => (dst: Uint8Array, addr: bigint) => {
    const a = U64(addr);
    if (a < base || a + BigInt(dst.length) > base + 4096n) {
      dst.fill(0);
      return -14;
    }
    for (let i = 0; i < dst.length; i++) dst[i] = Number((a + BigInt(i)) & 0xffn) ^ 0x5a;
    return 0;
  };
  const env: KernelEnv = nullKernelEnv({
    cpu: () => state.cpu,
    nrCpus: () => 2,
    ktimeNs: () => state.clock,
    bootNs: () => state.clock * 3n,
    jiffies64: () => state.jiffies,
    currentTask: () => state.task,
    currentCgroupId: () => state.clock * 5n,
    readKernel: fill(KBASE),
    readUser: fill(UBASE),
  });
  const make = (type: number, keySize: number, valueSize: number, maxEntries: number, name: string): BpfMap => {
    const m = createMap({ type, keySize, valueSize, maxEntries, name }, { mem, nrCpus: 2, registry });
    if (typeof m === "number") throw new Error(`createMap ${name}: ${m}`);
    return m;
  };
  const maps = {
    array: make(2, 4, 8, 4, "array"),
    percpuArray: make(6, 4, 12, 3, "pcpu_array"),
    hash: make(1, 4, 8, 4, "hash"),
    lru: make(9, 4, 8, 3, "lru"),
    percpuHash: make(5, 4, 8, 3, "pcpu_hash"),
    ringbuf: make(27, 0, 0, 4096, "rb") as RingbufMap,
  };
  // Rings on CPU 0 and 1 (max_entries 3: index 2 is empty).
  const perf = make(4, 4, 4, 3, "perf") as PerfEventArrayMap;
  if (typeof perf.openBuffers(1) === "number") throw new Error("openBuffers");
  // A buffer of keys and values (4-byte keys 0..7 at multiples of 4, large ones at odd offsets and from byte 56 on), and a read-only one.
  const buf = mem.map(RegionKind.MEM, Uint8Array.from({ length: 64 }, (_, i) => (i % 4 === 0 ? (i / 4) % 8 : i >= 56 ? i : 0)), { label: "buf" });
  const ro = mem.map(RegionKind.MEM, Uint8Array.from({ length: 32 }, (_, i) => i), { writable: false, label: "ro" });
  // Keys 0..3 and a value 4 for the directed calls (no random call gets a pointer into it).
  const keys = mem.map(RegionKind.MEM, Uint8Array.from({ length: 24 }, (_, i) => (i % 4 === 0 ? i / 4 : 0)), { label: "keys" });
  const cache = new MapsByAddress(registry.mapAt);
  const rt: FastHelperRuntime = { mem, env, pc: 7, ctx: undefined, mapAt: registry.mapAt, rh: 0, mapAtHalves: (lo, hi) => cache.at(lo, hi) };
  const regions: Region[] = [buf, ro, keys, ...Object.values(maps).map((m) => ("values" in m ? (m as { values: Region }).values : (m as RingbufMap).data))];
  /** Everything a helper can change: region bytes, map contents in iteration order, ring positions and counters. */
  const snapshot = () => ({
    bytes: regions.map((r) => Buffer.from(r.bytes).toString("hex")),
    perf: perf.poll().map((r) => `${r.index}/${r.cpu}: ${JSON.stringify(r)}`),
    perfLost: perf.lost,
    maps: Object.values(maps).map((m) => {
      if (m === maps.ringbuf) return { prod: maps.ringbuf.producerPos, cons: maps.ringbuf.consumerPos, stats: maps.ringbuf.stats() };
      const keys: string[] = [];
      let k = m.getNextKey(null);
      while (typeof k !== "number" && keys.length < 16) {
        const v = m.lookup(k);
        keys.push(`${Buffer.from(k).toString("hex")}=${typeof v === "number" ? v : Buffer.from(v).toString("hex")}`);
        k = m.getNextKey(k);
      }
      return keys;
    }),
  });
  return { mem, registry, maps, perf, buf, ro, keys, rt, snapshot };
}

type World = ReturnType<typeof world>;
type Outcome = { r0: bigint } | { fault: string };

function callGeneric(impl: HelperImpl, w: World, id: number, args: readonly bigint[]): Outcome {
  try {
    return { r0: U64(invokeHelper(impl, w.rt, id, w.rt.pc, args[0]!, args[1]!, args[2]!, args[3]!, args[4]!)) };
  } catch (e) {
    if (!(e instanceof VmFault)) throw e;
    return { fault: `${e.kind} ${e.pc} ${e.message}` };
  }
}

function callFast(impl: HelperImpl, w: World, id: number, args: readonly bigint[]): Outcome {
  const h = args.flatMap((a) => [Number(BigInt.asIntN(32, a)), Number(BigInt.asIntN(32, a >> 32n))]);
  try {
    const lo = invokeFastHelper(impl.fast!, w.rt, id, w.rt.pc, h[0]!, h[1]!, h[2]!, h[3]!, h[4]!, h[5]!, h[6]!, h[7]!, h[8]!, h[9]!);
    expect(Number.isInteger(lo) && lo === (lo | 0) && w.rt.rh === (w.rt.rh | 0)).toBe(true);
    return { r0: toBigU(lo, w.rt.rh) };
  } catch (e) {
    if (!(e instanceof VmFault)) throw e;
    return { fault: `${e.kind} ${e.pc} ${e.message}` };
  }
}

/** A small deterministic PRNG (xorshift32) for picking arguments. */
function picker(seed: number) {
  let x = seed;
  return <T>(xs: readonly T[]): T => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return xs[(x >>> 0) % xs.length]!;
  };
}

const FLAGS = [0n, 1n, 2n, 3n, 4n, 0x100000000n, U64(-1n), 0x80000000n];
const SIZES = [0n, 1n, 4n, 8n, 12n, 16n, 40n, 61n, 4096n, 0xffffffffn, 0x100000008n, U64(-1n), BigInt(RINGBUF_MAX_RECORD_SZ), BigInt(RINGBUF_MAX_RECORD_SZ + 1), 1n << 53n, (1n << 53n) + 1n];
const CPUS = [0, 1, 0, 1, 2, -1];
const CLOCKS = [0n, 123456789n, -5n, (1n << 64n) + 7n, 0xffffffff_00000001n, 1n << 63n];
const TASKS: TaskInfo[] = [
  { pid: 42, tgid: 40, uid: 1000, gid: 100, comm: "kworker/u16:3-events_unbound", taskAddress: 0xffff888000200000n },
  { pid: 0xffffffff, tgid: -1, uid: -2, gid: 0x80000000, comm: "b", taskAddress: -8n },
  { pid: 0, tgid: 0, uid: 0, gid: 0, comm: "c", taskAddress: 1n << 64n },
];

describe("helpers' BigInt-free forms", () => {
  const ids = vmHelperTable()
    .ids()
    .filter((id) => vmHelperTable().impl(id)!.fast !== undefined);

  it("cover the per-event helpers", () => {
    expect(ids).toEqual([1, 2, 3, 4, 5, 7, 8, 14, 15, 16, 25, 35, 42, 80, 112, 113, 118, 125, 130, 131, 132, 133, 158]);
  });

  it("give the BigInt forms' r0, faults, memory and map state on the same calls", () => {
    const state: EnvState = { cpu: 0, clock: 0n, jiffies: 0n, task: TASKS[0]! };
    const a = world(state);
    const b = world(state);
    const ta = vmHelperTable();
    const tb = vmHelperTable();
    const pick = picker(0x1234567);
    const mapPtrs = [...Object.values(a.maps).map((m) => m.address), a.perf.address, 0n, a.maps.array.address + 8n, regionAddress(a.buf), 0xdeadbeefn];
    const ptrs = [0n, 4n, 8n, 12n, 16n, 20n, 1n, 60n, 62n].map((o) => regionAddress(a.buf, Number(o)));
    ptrs.push(regionAddress(a.ro), regionAddress(a.ro, 30), 0n, 0x1000n, KBASE, U64(-8n), regionAddress((a.maps.array as unknown as { values: Region }).values, 8));
    const srcs = [KBASE, KBASE + 4090n, UBASE, UBASE + 8n, 0n, U64(-4n), regionAddress(a.buf, 4), regionAddress(a.ro, 28)];
    const records: bigint[] = [regionAddress(a.maps.ringbuf.data, 8), regionAddress(a.maps.ringbuf.data), 0n, regionAddress(a.buf, 8)];
    const argsFor = (id: number): bigint[] => {
      switch (id) {
        case 1:
        case 3:
          return [pick(mapPtrs), pick(ptrs), 0n, 0n, 0n];
        case 2:
          return [pick(mapPtrs), pick(ptrs), pick(ptrs), pick(FLAGS), 0n];
        case 4:
        case 112:
        case 113:
          return [pick(ptrs), pick(SIZES.slice(0, 8)), pick(srcs), 0n, 0n];
        case 130:
          return [pick(mapPtrs), pick(ptrs), pick(SIZES), pick(FLAGS), 0n];
        case 16:
          return [pick(ptrs), pick(SIZES.slice(0, 8)), 0n, 0n, 0n];
        case 25:
          return [pick(ptrs), pick(mapPtrs), pick([...FLAGS, 0xffffffffn, 0xfffffffen, U64(-1n) >> 32n]), pick(ptrs), pick(SIZES.slice(0, 8))];
        case 131:
          return [pick(mapPtrs), pick(SIZES), pick([0n, 0n, 0n, 1n, 0x100000000n]), 0n, 0n];
        case 132:
        case 133:
          return [pick(records), pick(FLAGS), 0n, 0n, 0n];
        default:
          // Unused registers hold whatever the program left there.
          return [pick(ptrs), pick(FLAGS), pick(SIZES), 0n, U64(-1n)];
      }
    };
    const seen = new Map<number, Set<string>>();
    const rb = a.maps.ringbuf.address;
    // After the random calls: a ring buffer filled by reservations (the last ones and an output dropped), then committed and discarded.
    const directed: [number, bigint[]][] = [
      ...Array.from({ length: 175 }, (): [number, bigint[]] => [131, [rb, 16n, 0n, 0n, 0n]]),
      [130, [rb, regionAddress(a.buf), 16n, 0n, 0n]],
      [130, [rb, regionAddress(a.buf), 16n, 2n, 0n]],
      // LRU order: keys 0, 1, 2 in, 0 looked up, 3 in: 1 is the one evicted (the lookup made 0 recent).
      ...[0, 1, 2, 3].map((k): [number, bigint[]] => [3, [a.maps.lru.address, regionAddress(a.keys, 4 * k), 0n, 0n, 0n]]),
      ...[0, 1, 2].map((k): [number, bigint[]] => [2, [a.maps.lru.address, regionAddress(a.keys, 4 * k), regionAddress(a.keys, 16), 0n, 0n]]),
      [1, [a.maps.lru.address, regionAddress(a.keys), 0n, 0n, 0n]],
      [2, [a.maps.lru.address, regionAddress(a.keys, 12), regionAddress(a.keys, 16), 0n, 0n]],
    ];
    const total = 6000;
    for (let n = 0; n < total + directed.length + 60; n++) {
      let id: number;
      let args: bigint[];
      if (n < total) {
        id = pick(ids.filter((i) => i !== 7));
        args = argsFor(id);
      } else if (n < total + directed.length) {
        [id, args] = directed[n - total]!;
      } else {
        // Commit the reservations, newest first (each later one again: -EINVAL), alternating submit and discard.
        id = n % 2 ? 132 : 133;
        args = [records[records.length - 1 - ((n - total - directed.length) >> 1)]!, 0n, 0n, 0n, 0n];
      }
      state.cpu = pick(CPUS);
      state.clock = pick(CLOCKS);
      state.jiffies = pick(CLOCKS);
      state.task = pick(TASKS);
      if (n === total) {
        a.maps.ringbuf.consume();
        b.maps.ringbuf.consume();
        records.length = 4;
      }
      const ra = callGeneric(ta.impl(id)!, a, id, args);
      const rb = callFast(tb.impl(id)!, b, id, args);
      expect(rb, `call ${n}: helper #${id}(${args.map((x) => x.toString(16)).join(", ")}) cpu ${state.cpu}`).toEqual(ra);
      expect(b.snapshot(), `state after call ${n}: helper #${id}`).toEqual(a.snapshot());
      if (id === 131 && "r0" in ra && ra.r0 !== 0n) records.push(ra.r0, ra.r0 + 8n);
      if (records.length > 24 && n < total) records.splice(4, 2);
      if (n % 2000 === 1999) {
        a.maps.ringbuf.consume();
        b.maps.ringbuf.consume();
      }
      const s = seen.get(id) ?? new Set<string>();
      s.add("r0" in ra ? (ra.r0 === 0n ? "0" : ra.r0 > U64(-4096n) ? `-${U64(-ra.r0)}` : "value") : "fault");
      seen.set(id, s);
    }
    expect(a.snapshot().maps[3]).toEqual(["00000000=0400000005000000", "02000000=0400000005000000", "03000000=0400000005000000"]);
    // The sequence reached the error returns, not only the successes.
    expect([...seen.get(1)!].sort()).toEqual(["0", "value"]);
    expect([...seen.get(2)!].sort()).toEqual(["-14", "-17", "-2", "-22", "-7", "-95", "0"]);
    expect([...seen.get(3)!].sort()).toEqual(["-14", "-2", "-22", "-95", "0"]);
    expect([...seen.get(113)!].sort()).toEqual(["-14", "0"]);
    expect([...seen.get(130)!].sort()).toEqual(["-11", "-14", "-22", "0"]);
    expect([...seen.get(131)!].sort()).toEqual(["0", "value"]);
    expect([...seen.get(132)!].sort()).toEqual(["-22", "0"]);
    expect([...seen.get(8)!].sort()).toEqual(["-1", "0", "value"]);
    expect([...seen.get(25)!].sort()).toEqual(["-14", "-2", "-22", "-7", "-95", "0"]);
    expect([...seen.get(16)!].sort()).toEqual(["-14", "0"]);
  });

  it("get_prandom_u32: the fast form continues the same sequence", () => {
    const impl = vmHelperTable().impl(7)!;
    const w = world({ cpu: 0, clock: 0n, jiffies: 0n, task: TASKS[0]! });
    const next = (x: number) => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return BigInt(x >>> 0);
    };
    let prev = callGeneric(impl, w, 7, [0n, 0n, 0n, 0n, 0n]) as { r0: bigint };
    for (let i = 0; i < 20; i++) {
      const viaFast = i % 2 === 0;
      const r = (viaFast ? callFast : callGeneric)(impl, w, 7, [0n, 0n, 0n, 0n, 0n]) as { r0: bigint };
      expect(r.r0).toBe(next(Number(prev.r0)));
      prev = r;
    }
  });

  it("a helper whose environment throws faults the same way in both forms", () => {
    const state: EnvState = { cpu: 1.5, clock: 0n, jiffies: 0n, task: TASKS[0]! };
    const w = world(state);
    const impl = vmHelperTable().impl(8)!;
    const msg = "helper 7 insn 7: helper #8 failed: The number 1.5 cannot be converted to a BigInt because it is not an integer";
    expect(callGeneric(impl, w, 8, [0n, 0n, 0n, 0n, 0n])).toEqual({ fault: msg });
    expect(callFast(impl, w, 8, [0n, 0n, 0n, 0n, 0n])).toEqual({ fault: msg });
  });

  it("a freed map is NULL / -EINVAL to the fast forms, as to mapAt", () => {
    const state: EnvState = { cpu: 0, clock: 0n, jiffies: 0n, task: TASKS[0]! };
    const w = world(state);
    const t = vmHelperTable();
    const key = regionAddress(w.buf, 4);
    const args = [w.maps.array.address, key, key, 0n, 0n];
    const valueAddr = regionAddress((w.maps.array as unknown as { values: Region }).values, 8);
    expect(callFast(t.impl(1)!, w, 1, args)).toEqual({ r0: valueAddr });
    expect(callFast(t.impl(2)!, w, 2, args)).toEqual({ r0: 0n });
    w.registry.remove(w.maps.array);
    expect(callGeneric(t.impl(1)!, w, 1, args)).toEqual({ r0: 0n });
    expect(callFast(t.impl(1)!, w, 1, args)).toEqual({ r0: 0n });
    expect(callFast(t.impl(2)!, w, 2, args)).toEqual({ r0: U64(-22n) });
    expect(callFast(t.impl(3)!, w, 3, args)).toEqual({ r0: U64(-22n) });
  });
});

describe("the engines call a helper's fast form when it has one", () => {
  // A helper whose two forms answer differently (real helpers never do): r0 tells which one ran.
  const seenArgs: number[][] = [];
  const probe = withFast(
    (_rt, r1) => r1 + 1n,
    (rt, l1, h1, l2, h2, l3, h3, l4, h4, l5, h5) => {
      seenArgs.push([l1, h1, l2, h2, l3, h3, l4, h4, l5, h5]);
      rt.rh = h1 ^ -1;
      return (l1 + 2) | 0;
    },
  );
  const plain: HelperImpl = (_rt, r1, r2) => r1 * 3n + r2;
  for (const engine of ["jit", "interp"]) {
    it(`${engine}: the fast form with the registers' halves; the BigInt form for a helper without one`, () => {
      const helpers = new HelperTable().register(8, probe).register(7, plain);
      const vm = new Interpreter({ mem: new AddressSpace(), env: nullKernelEnv(), helper: (id) => helpers.impl(id), jit: engine === "jit" });
      const b = new ProgramBuilder()
        .lddw(1, 0x89abcdef_fffffffen)
        .lddw(2, -2n)
        .mov64Imm(3, 3)
        .lddw(4, 1n << 32n)
        .mov64Imm(5, -5)
        .call(8)
        .mov64(6, 0)
        .mov64Imm(1, 5)
        .mov64Imm(2, 1)
        .call(7)
        .add64(0, 6)
        .exit();
      seenArgs.length = 0;
      const r = vm.run(vm.load(programFromInsns(b.link()), "p"));
      expect(r.fault).toBeUndefined();
      // fast: lo = 0xfffffffe + 2 wraps to 0, hi = ~0x89abcdef; plus 5 * 3 + 1 from the BigInt form.
      expect(r.r0).toBe(U64((BigInt(~0x89abcdef >>> 0) << 32n) + 16n));
      expect(seenArgs).toEqual([[-2, 0x89abcdef | 0, -2, -1, 3, 0, 0, 1, -5, -1]]);
    });
  }
});
