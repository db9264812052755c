// BPF_MAP_CREATE: validates attributes the way the kernel does (map_create
// in kernel/bpf/syscall.c, then the type's alloc_check/alloc: hashtab.c
// htab_map_alloc_check/htab_map_alloc, arraymap.c array_map_alloc_check and
// fd_array_map_alloc_check (prog, perf event and cgroup arrays), ringbuf.c ringbuf_map_alloc, stackmap.c
// stack_map_alloc), in the kernel's order so the first failing rule decides
// the errno, then builds the map and registers it. The caller is assumed
// privileged (CAP_BPF/CAP_SYS_ADMIN). One libbpf rule is applied too: a
// perf_event_array with max_entries 0 gets one entry per possible CPU.
import { ArrayMap } from "./array.js";
import { CgroupArrayMap } from "./cgroup-array.js";
import { HashMap } from "./hash.js";
import { LruHashMap } from "./lru-hash.js";
import type { BpfMap, MapInit } from "./map.js";
import { PercpuArrayMap, PercpuHashMap } from "./percpu.js";
import { PerfEventArrayMap } from "./perf-event-array.js";
import { ProgArrayMap } from "./prog-array.js";
import { QueueStackMap } from "./queue-stack.js";
import { RINGBUF_MAX_DATA_SZ, RingbufMap } from "./ringbuf.js";
import { StackTraceMap } from "./stack-trace.js";
import {
  BPF_F_ACCESS_MASK,
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
  BPF_MAP_TYPE_CGROUP_ARRAY,
  BPF_MAP_TYPE_HASH,
  BPF_MAP_TYPE_LRU_HASH,
  BPF_MAP_TYPE_PERCPU_ARRAY,
  BPF_MAP_TYPE_PERCPU_HASH,
  BPF_MAP_TYPE_PERF_EVENT_ARRAY,
  BPF_MAP_TYPE_PROG_ARRAY,
  BPF_MAP_TYPE_QUEUE,
  BPF_MAP_TYPE_RINGBUF,
  BPF_MAP_TYPE_STACK,
  BPF_MAP_TYPE_STACK_TRACE,
  BPF_OBJ_NAME_LEN,
  E,
  type MapAttr,
  type MapContext,
  PAGE_SIZE,
  PERF_EVENT_MAX_STACK,
} from "./types.js";
import { isPowerOf2, isU32, roundUp8, roundupPowOfTwo } from "./util.js";
import { BPF_STACK_BUILD_ID_SIZE } from "./stack-trace.js";

/** Creation flags each type accepts (HTAB_CREATE_FLAG_MASK, ARRAY_CREATE_FLAG_MASK, ...). */
const HTAB_CREATE_FLAG_MASK = BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK | BPF_F_ZERO_SEED;
const ARRAY_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_MMAPABLE | BPF_F_ACCESS_MASK | BPF_F_PRESERVE_ELEMS | BPF_F_INNER_MAP;
const STACK_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_STACK_BUILD_ID;
const RINGBUF_CREATE_FLAG_MASK = BPF_F_NUMA_NODE;
const QUEUE_STACK_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK;

/** KMALLOC_MAX_SIZE of x86-64 (4 MiB) and sizeof(struct htab_elem). */
const KMALLOC_MAX_SIZE = 1 << 22;
const HTAB_ELEM_SIZE = 48;
/** PCPU_MIN_UNIT_SIZE: bound of a per-CPU value. */
const PCPU_MIN_UNIT_SIZE = 32 << 10;
/** sizeof(struct bucket): n_buckets above U32_MAX / 16 is -E2BIG. */
const HTAB_BUCKET_SIZE = 16;
const INT_MAX = 0x7fffffff;
/** Memory this model lets one map take before failing with -ENOMEM. */
export const MAX_MAP_BYTES = 256 << 20;

/** bpf_map_flags_access_ok: a map cannot be both read-only and write-only for programs. */
function accessOk(flags: number): boolean {
  return (flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) !== (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG);
}

/** The kernel's numa_node for these attributes: -1 (NUMA_NO_NODE) unless BPF_F_NUMA_NODE. */
function numaNodeOf(attr: MapAttr): number {
  return (attr.flags ?? 0) & BPF_F_NUMA_NODE ? (attr.numaNode ?? 0) : -1;
}

/** htab_map_alloc_check + htab_map_alloc's size checks. */
function checkHash(a: Required<MapAttr>, numa: number): number {
  const percpu = a.type === BPF_MAP_TYPE_PERCPU_HASH;
  const lru = a.type === BPF_MAP_TYPE_LRU_HASH;
  const percpuLru = (a.flags & BPF_F_NO_COMMON_LRU) !== 0;
  const prealloc = (a.flags & BPF_F_NO_PREALLOC) === 0;
  if (a.flags & ~HTAB_CREATE_FLAG_MASK || !accessOk(a.flags)) return E.EINVAL;
  if (!lru && percpuLru) return E.EINVAL;
  if (lru && !prealloc) return E.ENOTSUPP;
  if (numa !== -1 && (percpu || percpuLru)) return E.EINVAL;
  if (a.maxEntries === 0 || a.keySize === 0 || a.valueSize === 0) return E.EINVAL;
  if (a.keySize + a.valueSize >= KMALLOC_MAX_SIZE - HTAB_ELEM_SIZE) return E.E2BIG;
  if (percpu && roundUp8(a.valueSize) > PCPU_MIN_UNIT_SIZE) return E.E2BIG;
  return 0;
}

/** array_map_alloc_check. */
function checkArray(a: Required<MapAttr>, numa: number): number {
  const percpu = a.type === BPF_MAP_TYPE_PERCPU_ARRAY;
  if (a.maxEntries === 0 || a.keySize !== 4 || a.valueSize === 0 || a.flags & ~ARRAY_CREATE_FLAG_MASK || !accessOk(a.flags) || (percpu && numa !== -1)) {
    return E.EINVAL;
  }
  if (a.type !== BPF_MAP_TYPE_ARRAY && a.flags & (BPF_F_MMAPABLE | BPF_F_INNER_MAP)) return E.EINVAL;
  if (a.type !== BPF_MAP_TYPE_PERF_EVENT_ARRAY && a.flags & BPF_F_PRESERVE_ELEMS) return E.EINVAL;
  if (a.valueSize > INT_MAX) return E.E2BIG;
  if (percpu && roundUp8(a.valueSize) > PCPU_MIN_UNIT_SIZE) return E.E2BIG;
  return 0;
}

/** fd_array_map_alloc_check (prog_array, perf_event_array, cgroup_array). */
function checkFdArray(a: Required<MapAttr>, numa: number): number {
  if (a.valueSize !== 4) return E.EINVAL;
  if (a.flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) return E.EINVAL;
  return checkArray(a, numa);
}

/** stack_map_alloc's checks. */
function checkStack(a: Required<MapAttr>, maxStack: number): number {
  if (a.flags & ~STACK_CREATE_FLAG_MASK) return E.EINVAL;
  if (a.maxEntries === 0 || a.keySize !== 4 || a.valueSize < 8 || a.valueSize % 8) return E.EINVAL;
  if (a.flags & BPF_F_STACK_BUILD_ID) {
    if (a.valueSize % BPF_STACK_BUILD_ID_SIZE || a.valueSize / BPF_STACK_BUILD_ID_SIZE > maxStack) return E.EINVAL;
  } else if (a.valueSize / 8 > maxStack) {
    return E.EINVAL;
  }
  if (a.maxEntries > 2 ** 31) return E.E2BIG;
  return 0;
}

/** queue_stack_map_alloc_check: no key, a value, known flags. */
function checkQueueStack(a: Required<MapAttr>): number {
  if (a.maxEntries === 0 || a.keySize !== 0 || a.valueSize === 0 || a.flags & ~QUEUE_STACK_CREATE_FLAG_MASK || !accessOk(a.flags)) return E.EINVAL;
  if (a.valueSize > KMALLOC_MAX_SIZE) return E.E2BIG;
  return 0;
}

/** ringbuf_map_alloc's checks. */
function checkRingbuf(a: Required<MapAttr>): number {
  if (a.flags & ~RINGBUF_CREATE_FLAG_MASK) return E.EINVAL;
  if (a.keySize || a.valueSize || !isPowerOf2(a.maxEntries) || a.maxEntries % PAGE_SIZE) return E.EINVAL;
  if (a.maxEntries > RINGBUF_MAX_DATA_SZ) return E.E2BIG;
  return 0;
}

/** Bytes this model allocates for the map (checked against MAX_MAP_BYTES). */
function footprint(a: Required<MapAttr>, nrCpus: number): number {
  const elem = roundUp8(a.valueSize);
  switch (a.type) {
    case BPF_MAP_TYPE_HASH:
      return (a.maxEntries + nrCpus) * (elem + a.keySize + 12) + roundupPowOfTwo(a.maxEntries) * 4;
    case BPF_MAP_TYPE_LRU_HASH:
      return (a.maxEntries + 1) * (elem + a.keySize + 20) + roundupPowOfTwo(a.maxEntries) * 4;
    case BPF_MAP_TYPE_PERCPU_HASH:
      return a.maxEntries * (nrCpus * elem + a.keySize + 12) + roundupPowOfTwo(a.maxEntries) * 4;
    case BPF_MAP_TYPE_ARRAY:
      return a.maxEntries * elem;
    case BPF_MAP_TYPE_PERCPU_ARRAY:
      return a.maxEntries * elem * nrCpus;
    case BPF_MAP_TYPE_RINGBUF:
      return 2 * a.maxEntries;
    case BPF_MAP_TYPE_STACK_TRACE:
      return a.maxEntries * a.valueSize + roundupPowOfTwo(a.maxEntries) * 8;
    case BPF_MAP_TYPE_QUEUE:
    case BPF_MAP_TYPE_STACK:
      return (a.maxEntries + 1) * a.valueSize;
    default:
      return a.maxEntries * 8;
  }
}

/** bpf_obj_name_cpy: 0, or -EINVAL for a name too long or with characters other than [A-Za-z0-9_.]. */
function checkName(name: string): number {
  const nul = name.indexOf("\0");
  const n = nul >= 0 ? name.slice(0, nul) : name;
  if (n.length >= BPF_OBJ_NAME_LEN) return E.EINVAL;
  return /^[A-Za-z0-9_.]*$/.test(n) ? 0 : E.EINVAL;
}

/**
 * BPF_MAP_CREATE: the new map (registered in ctx.registry, which assigns its
 * id), or a negative errno.
 */
export function createMap(attr: MapAttr, ctx: MapContext): BpfMap | number {
  const a: Required<MapAttr> = {
    type: attr.type,
    keySize: attr.keySize,
    valueSize: attr.valueSize,
    maxEntries: attr.maxEntries,
    flags: attr.flags ?? 0,
    name: attr.name ?? "",
    numaNode: attr.numaNode ?? 0,
  };
  if (![a.type, a.keySize, a.valueSize, a.maxEntries, a.flags].every(isU32)) return E.EINVAL;
  if (!(Number.isInteger(ctx.nrCpus) && ctx.nrCpus >= 1)) return E.EINVAL;
  const maxStack = ctx.perfEventMaxStack ?? PERF_EVENT_MAX_STACK;

  // map_create: fd access mode, NUMA node, known type.
  if (a.flags & BPF_F_RDONLY && a.flags & BPF_F_WRONLY) return E.EINVAL;
  const numa = numaNodeOf(a);
  if (numa !== -1 && numa !== 0) return E.EINVAL; // one online node
  if (a.type === BPF_MAP_TYPE_PERF_EVENT_ARRAY && a.maxEntries === 0) a.maxEntries = ctx.nrCpus; // libbpf

  let err: number;
  switch (a.type) {
    case BPF_MAP_TYPE_HASH:
    case BPF_MAP_TYPE_PERCPU_HASH:
    case BPF_MAP_TYPE_LRU_HASH:
      err = checkHash(a, numa);
      if (err) return err;
      if (a.flags & BPF_F_NO_COMMON_LRU) {
        // Each CPU's LRU list gets the same number of elements (htab_map_alloc).
        const up = Math.ceil(a.maxEntries / ctx.nrCpus) * ctx.nrCpus;
        a.maxEntries = up <= 0xffffffff ? up : Math.floor(a.maxEntries / ctx.nrCpus) * ctx.nrCpus;
      }
      if (a.maxEntries > 2 ** 31) return E.E2BIG;
      if (roundupPowOfTwo(a.maxEntries) > Math.floor(0xffffffff / HTAB_BUCKET_SIZE)) return E.E2BIG;
      break;
    case BPF_MAP_TYPE_ARRAY:
    case BPF_MAP_TYPE_PERCPU_ARRAY:
      err = checkArray(a, numa);
      if (err) return err;
      break;
    case BPF_MAP_TYPE_PROG_ARRAY:
    case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
    case BPF_MAP_TYPE_CGROUP_ARRAY:
      err = checkFdArray(a, numa);
      if (err) return err;
      break;
    case BPF_MAP_TYPE_STACK_TRACE:
      err = checkStack(a, maxStack);
      if (err) return err;
      break;
    case BPF_MAP_TYPE_RINGBUF:
      err = checkRingbuf(a);
      if (err) return err;
      break;
    case BPF_MAP_TYPE_QUEUE:
    case BPF_MAP_TYPE_STACK:
      err = checkQueueStack(a);
      if (err) return err;
      break;
    default:
      return E.EINVAL;
  }
  if (footprint(a, ctx.nrCpus) > MAX_MAP_BYTES) return E.ENOMEM;
  err = checkName(a.name);
  if (err) return err;

  let id = 0;
  if (ctx.registry) {
    id = ctx.registry.allocId();
    if (id < 0) return id;
  }
  const nul = a.name.indexOf("\0");
  const init: MapInit = {
    mem: ctx.mem,
    nrCpus: ctx.nrCpus,
    id,
    type: a.type,
    keySize: a.keySize,
    valueSize: a.valueSize,
    maxEntries: a.maxEntries,
    flags: a.flags,
    name: nul >= 0 ? a.name.slice(0, nul) : a.name,
  };
  const map = build(init, maxStack);
  ctx.registry?.add(map);
  return map;
}

function build(init: MapInit, maxStack: number): BpfMap {
  switch (init.type) {
    case BPF_MAP_TYPE_HASH:
      return new HashMap(init);
    case BPF_MAP_TYPE_PERCPU_HASH:
      return new PercpuHashMap(init);
    case BPF_MAP_TYPE_LRU_HASH:
      return new LruHashMap(init);
    case BPF_MAP_TYPE_ARRAY:
      return new ArrayMap(init);
    case BPF_MAP_TYPE_PERCPU_ARRAY:
      return new PercpuArrayMap(init);
    case BPF_MAP_TYPE_PROG_ARRAY:
      return new ProgArrayMap(init);
    case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
      return new PerfEventArrayMap(init);
    case BPF_MAP_TYPE_CGROUP_ARRAY:
      return new CgroupArrayMap(init);
    case BPF_MAP_TYPE_STACK_TRACE:
      return new StackTraceMap(init, maxStack);
    case BPF_MAP_TYPE_QUEUE:
    case BPF_MAP_TYPE_STACK:
      return new QueueStackMap(init);
    default:
      return new RingbufMap(init);
  }
}
