// createMap: the kernel's attribute validation and errnos per map type
// (table-driven), the order of the checks, name rules, attribute
// adjustments (per-CPU LRU rounding, libbpf's perf_event_array default),
// the memory cap, and the class built for each type.
import { describe, expect, it } from "vitest";
import { AddressSpace } from "../memory.js";
import { ArrayMap } from "./array.js";
import { createMap } from "./create.js";
import { HashMap } from "./hash.js";
import { LruHashMap } from "./lru-hash.js";
import { BpfMap } from "./map.js";
import { PercpuArrayMap, PercpuHashMap } from "./percpu.js";
import { PerfEventArrayMap } from "./perf-event-array.js";
import { ProgArrayMap } from "./prog-array.js";
import { RingbufMap } from "./ringbuf.js";
import { StackTraceMap } from "./stack-trace.js";
import {
  BPF_F_INNER_MAP,
  BPF_F_MMAPABLE,
  BPF_F_NO_COMMON_LRU,
  BPF_F_NO_PREALLOC,
  BPF_F_NUMA_NODE,
  BPF_F_PRESERVE_ELEMS,
  BPF_F_RDONLY,
  BPF_F_RDONLY_PROG,
  BPF_F_STACK_BUILD_ID,
  BPF_F_WRONLY,
  BPF_F_WRONLY_PROG,
  BPF_F_ZERO_SEED,
  BPF_MAP_TYPE_ARRAY,
  BPF_MAP_TYPE_HASH,
  BPF_MAP_TYPE_LRU_HASH,
  BPF_MAP_TYPE_PERCPU_ARRAY,
  BPF_MAP_TYPE_PERCPU_HASH,
  BPF_MAP_TYPE_PERF_EVENT_ARRAY,
  BPF_MAP_TYPE_PROG_ARRAY,
  BPF_MAP_TYPE_RINGBUF,
  BPF_MAP_TYPE_STACK_TRACE,
  E,
  type MapAttr,
} from "./types.js";

const DEFAULTS: Record<number, Omit<MapAttr, "type">> = {
  [BPF_MAP_TYPE_HASH]: { keySize: 4, valueSize: 8, maxEntries: 16 },
  [BPF_MAP_TYPE_PERCPU_HASH]: { keySize: 4, valueSize: 8, maxEntries: 16 },
  [BPF_MAP_TYPE_LRU_HASH]: { keySize: 4, valueSize: 8, maxEntries: 16 },
  [BPF_MAP_TYPE_ARRAY]: { keySize: 4, valueSize: 8, maxEntries: 16 },
  [BPF_MAP_TYPE_PERCPU_ARRAY]: { keySize: 4, valueSize: 8, maxEntries: 16 },
  [BPF_MAP_TYPE_PROG_ARRAY]: { keySize: 4, valueSize: 4, maxEntries: 16 },
  [BPF_MAP_TYPE_PERF_EVENT_ARRAY]: { keySize: 4, valueSize: 4, maxEntries: 16 },
  [BPF_MAP_TYPE_STACK_TRACE]: { keySize: 4, valueSize: 8 * 16, maxEntries: 16 },
  [BPF_MAP_TYPE_RINGBUF]: { keySize: 0, valueSize: 0, maxEntries: 4096 },
};

function create(type: number, over: Partial<MapAttr> = {}, nrCpus = 4): BpfMap | number {
  return createMap({ type, ...DEFAULTS[type]!, ...over } as MapAttr, { mem: new AddressSpace(), nrCpus });
}
const result = (r: BpfMap | number): number => (typeof r === "number" ? r : 0);

const H = BPF_MAP_TYPE_HASH;
const PH = BPF_MAP_TYPE_PERCPU_HASH;
const LRU = BPF_MAP_TYPE_LRU_HASH;
const A = BPF_MAP_TYPE_ARRAY;
const PA = BPF_MAP_TYPE_PERCPU_ARRAY;
const PROG = BPF_MAP_TYPE_PROG_ARRAY;
const PERF = BPF_MAP_TYPE_PERF_EVENT_ARRAY;
const ST = BPF_MAP_TYPE_STACK_TRACE;
const RB = BPF_MAP_TYPE_RINGBUF;

describe("createMap validation", () => {
  it.each<[string, number, Partial<MapAttr>, number]>([
    // map_create
    ["unknown type 0", 0, {}, E.EINVAL],
    ["unmodelled type 11 (lpm_trie)", 11, { keySize: 8, valueSize: 4, maxEntries: 1, flags: 1 }, E.EINVAL],
    ["cgroup_array (type 8)", 8, { keySize: 4, valueSize: 4, maxEntries: 1 }, 0],
    ["unknown type 1000", 1000, { keySize: 4, valueSize: 4, maxEntries: 1 }, E.EINVAL],
    ["BPF_F_RDONLY|BPF_F_WRONLY", H, { flags: BPF_F_RDONLY | BPF_F_WRONLY }, E.EINVAL],
    ["NUMA node 1 of a one-node machine", H, { flags: BPF_F_NUMA_NODE, numaNode: 1 }, E.EINVAL],
    ["non-integer key size", H, { keySize: 1.5 }, E.EINVAL],
    ["negative max_entries", H, { maxEntries: -1 }, E.EINVAL],
    // hash
    ["hash", H, {}, 0],
    ["hash, BPF_F_NO_PREALLOC", H, { flags: BPF_F_NO_PREALLOC }, 0],
    ["hash, BPF_F_ZERO_SEED", H, { flags: BPF_F_ZERO_SEED }, 0],
    ["hash on NUMA node 0", H, { flags: BPF_F_NUMA_NODE, numaNode: 0 }, 0],
    ["hash, key size 0", H, { keySize: 0 }, E.EINVAL],
    ["hash, value size 0", H, { valueSize: 0 }, E.EINVAL],
    ["hash, max_entries 0", H, { maxEntries: 0 }, E.EINVAL],
    ["hash, unknown flag", H, { flags: 1 << 20 }, E.EINVAL],
    ["hash, BPF_F_MMAPABLE", H, { flags: BPF_F_MMAPABLE }, E.EINVAL],
    ["hash, BPF_F_NO_COMMON_LRU", H, { flags: BPF_F_NO_COMMON_LRU }, E.EINVAL],
    ["hash, RDONLY_PROG|WRONLY_PROG", H, { flags: BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG }, E.EINVAL],
    ["hash, key + value reaching KMALLOC_MAX_SIZE - 48", H, { keySize: 4, valueSize: (1 << 22) - 48 - 4 }, E.E2BIG],
    ["hash, max_entries 2^31 + 1", H, { maxEntries: 2 ** 31 + 1 }, E.E2BIG],
    ["hash, 2^28 buckets", H, { maxEntries: 2 ** 27 + 1 }, E.E2BIG],
    ["hash, more memory than the model allows", H, { maxEntries: 2 ** 27 }, E.ENOMEM],
    // percpu_hash
    ["percpu_hash", PH, {}, 0],
    ["percpu_hash with a NUMA node", PH, { flags: BPF_F_NUMA_NODE }, E.EINVAL],
    ["percpu_hash, value over PCPU_MIN_UNIT_SIZE", PH, { valueSize: 32769 }, E.E2BIG],
    ["percpu_hash, value of PCPU_MIN_UNIT_SIZE", PH, { valueSize: 32768, maxEntries: 2 }, 0],
    // lru_hash
    ["lru_hash", LRU, {}, 0],
    ["lru_hash, BPF_F_NO_PREALLOC", LRU, { flags: BPF_F_NO_PREALLOC }, E.ENOTSUPP],
    ["lru_hash, BPF_F_NO_COMMON_LRU", LRU, { flags: BPF_F_NO_COMMON_LRU }, 0],
    ["lru_hash, per-CPU LRU with a NUMA node", LRU, { flags: BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE }, E.EINVAL],
    ["lru_hash, key size 0", LRU, { keySize: 0 }, E.EINVAL],
    // array
    ["array", A, {}, 0],
    ["array, BPF_F_MMAPABLE", A, { flags: BPF_F_MMAPABLE }, 0],
    ["array, BPF_F_INNER_MAP", A, { flags: BPF_F_INNER_MAP }, 0],
    ["array, key size 8", A, { keySize: 8 }, E.EINVAL],
    ["array, value size 0", A, { valueSize: 0 }, E.EINVAL],
    ["array, max_entries 0", A, { maxEntries: 0 }, E.EINVAL],
    ["array, BPF_F_NO_PREALLOC", A, { flags: BPF_F_NO_PREALLOC }, E.EINVAL],
    ["array, BPF_F_PRESERVE_ELEMS", A, { flags: BPF_F_PRESERVE_ELEMS }, E.EINVAL],
    ["array, value size above INT_MAX", A, { valueSize: 2 ** 31 }, E.E2BIG],
    ["array, more memory than the model allows", A, { maxEntries: 2 ** 32 - 1 }, E.ENOMEM],
    // percpu_array
    ["percpu_array", PA, {}, 0],
    ["percpu_array, BPF_F_MMAPABLE", PA, { flags: BPF_F_MMAPABLE }, E.EINVAL],
    ["percpu_array with a NUMA node", PA, { flags: BPF_F_NUMA_NODE }, E.EINVAL],
    ["percpu_array, value over PCPU_MIN_UNIT_SIZE", PA, { valueSize: 32769 }, E.E2BIG],
    ["percpu_array, value rounding up to PCPU_MIN_UNIT_SIZE", PA, { valueSize: 32761, maxEntries: 2 }, 0],
    // prog_array
    ["prog_array", PROG, {}, 0],
    ["prog_array, value size 8", PROG, { valueSize: 8 }, E.EINVAL],
    ["prog_array, BPF_F_RDONLY_PROG", PROG, { flags: BPF_F_RDONLY_PROG }, E.EINVAL],
    ["prog_array, BPF_F_WRONLY_PROG", PROG, { flags: BPF_F_WRONLY_PROG }, E.EINVAL],
    ["prog_array, BPF_F_PRESERVE_ELEMS", PROG, { flags: BPF_F_PRESERVE_ELEMS }, E.EINVAL],
    ["prog_array, max_entries 0", PROG, { maxEntries: 0 }, E.EINVAL],
    ["prog_array, key size 2", PROG, { keySize: 2 }, E.EINVAL],
    // perf_event_array
    ["perf_event_array", PERF, {}, 0],
    ["perf_event_array, max_entries 0 (libbpf: one per CPU)", PERF, { maxEntries: 0 }, 0],
    ["perf_event_array, BPF_F_PRESERVE_ELEMS", PERF, { flags: BPF_F_PRESERVE_ELEMS }, 0],
    ["perf_event_array, value size 8", PERF, { valueSize: 8 }, E.EINVAL],
    ["perf_event_array, BPF_F_MMAPABLE", PERF, { flags: BPF_F_MMAPABLE }, E.EINVAL],
    // stack_trace
    ["stack_trace", ST, {}, 0],
    ["stack_trace, BPF_F_RDONLY", ST, { flags: BPF_F_RDONLY }, 0],
    ["stack_trace, 127 frames", ST, { valueSize: 8 * 127 }, 0],
    ["stack_trace, 128 frames", ST, { valueSize: 8 * 128 }, E.EINVAL],
    ["stack_trace, value size 12", ST, { valueSize: 12 }, E.EINVAL],
    ["stack_trace, value size 0", ST, { valueSize: 0 }, E.EINVAL],
    ["stack_trace, key size 8", ST, { keySize: 8 }, E.EINVAL],
    ["stack_trace, max_entries 0", ST, { maxEntries: 0 }, E.EINVAL],
    ["stack_trace, BPF_F_NO_PREALLOC", ST, { flags: BPF_F_NO_PREALLOC }, E.EINVAL],
    ["stack_trace, build ids of 32 bytes", ST, { valueSize: 64, flags: BPF_F_STACK_BUILD_ID }, 0],
    ["stack_trace, build ids, value size 40", ST, { valueSize: 40, flags: BPF_F_STACK_BUILD_ID }, E.EINVAL],
    ["stack_trace, build ids, 128 frames", ST, { valueSize: 32 * 128, flags: BPF_F_STACK_BUILD_ID }, E.EINVAL],
    ["stack_trace, max_entries 2^31 + 1", ST, { maxEntries: 2 ** 31 + 1 }, E.E2BIG],
    // ringbuf
    ["ringbuf of one page", RB, {}, 0],
    ["ringbuf of two pages", RB, { maxEntries: 8192 }, 0],
    ["ringbuf on NUMA node 0", RB, { flags: BPF_F_NUMA_NODE }, 0],
    ["ringbuf, not a power of two", RB, { maxEntries: 3 * 4096 }, E.EINVAL],
    ["ringbuf, not page aligned", RB, { maxEntries: 2048 }, E.EINVAL],
    ["ringbuf, max_entries 0", RB, { maxEntries: 0 }, E.EINVAL],
    ["ringbuf, key size 4", RB, { keySize: 4 }, E.EINVAL],
    ["ringbuf, value size 4", RB, { valueSize: 4 }, E.EINVAL],
    ["ringbuf, BPF_F_RDONLY_PROG", RB, { flags: BPF_F_RDONLY_PROG }, E.EINVAL],
    ["ringbuf, more memory than the model allows", RB, { maxEntries: 2 ** 31 }, E.ENOMEM],
    // names
    ["a 15-character name", A, { name: "abcdefghijklmno" }, 0],
    ["a 16-character name", A, { name: "abcdefghijklmnop" }, E.EINVAL],
    ["a name with '.' and '_'", A, { name: "my_map.bss" }, 0],
    ["a name with '-'", A, { name: "bad-name" }, E.EINVAL],
    ["a non-ASCII name", A, { name: "caf\u00e9" }, E.EINVAL],
    ["the name is checked after the type's rules", H, { maxEntries: 2 ** 31 + 1, name: "bad-name" }, E.E2BIG],
  ])("%s", (_d, type, over, expected) => {
    expect(result(create(type, over))).toBe(expected);
  });
});

describe("createMap results", () => {
  it.each<[number, new (...args: never[]) => BpfMap]>([
    [H, HashMap],
    [PH, PercpuHashMap],
    [LRU, LruHashMap],
    [A, ArrayMap],
    [PA, PercpuArrayMap],
    [PROG, ProgArrayMap],
    [PERF, PerfEventArrayMap],
    [ST, StackTraceMap],
    [RB, RingbufMap],
  ])("type %d builds the matching class", (type, cls) => {
    const m = create(type);
    expect(m).toBeInstanceOf(cls);
    expect((m as BpfMap).type).toBe(type);
  });

  it("rounds per-CPU LRU max_entries up to a multiple of the CPU count", () => {
    expect((create(LRU, { maxEntries: 10, flags: BPF_F_NO_COMMON_LRU }, 4) as BpfMap).maxEntries).toBe(12);
    expect((create(LRU, { maxEntries: 10 }, 4) as BpfMap).maxEntries).toBe(10);
  });

  it("gives a perf_event_array of max_entries 0 one entry per CPU", () => {
    expect((create(PERF, { maxEntries: 0 }, 6) as BpfMap).maxEntries).toBe(6);
  });

  it("keeps the name up to a NUL and drops the fd-only access flags", () => {
    const m = create(H, { name: "abc\0def", flags: BPF_F_RDONLY | BPF_F_NO_PREALLOC }) as BpfMap;
    expect([m.name, m.flags, m.id]).toEqual(["abc", BPF_F_NO_PREALLOC, 0]);
    expect(m.typeName).toBe("hash");
  });

  it("rejects a context without CPUs", () => {
    expect(create(A, {}, 0)).toBe(E.EINVAL);
  });
});
