// Shared vocabulary of the BPF map layer: the kernel's numeric map type ids
// and flag bits (include/uapi/linux/bpf.h), the creation attributes and
// context, and the result convention every map operation follows.
//
// Result convention (the layer models the bpf(2) syscall, so it never throws
// for bad input):
//   - status operations (update, delete, ...) return 0 or a negative errno,
//     e.g. -ENOENT (-2);
//   - operations that produce data (lookup, getNextKey, createMap, ...)
//     return the data or, on failure, a negative errno number: test with
//     `typeof r === "number"` or isErrno(r);
//   - batch operations return a BatchResult/BatchCount whose `err` follows
//     the status convention and which still carries what was copied before
//     the error (e.g. -ENOENT at the end of the map with the last entries),
//     as the kernel does.
// errnoError() turns a negative errno into a BtfsnoopError for callers that
// prefer to throw.
import { Errno, type ErrnoName } from "../../internal/errno.js";
import { BtfsnoopError } from "../../internal/errors.js";
import type { AddressSpace } from "../memory.js";

// ---- map types (enum bpf_map_type) -----------------------------------------

export const BPF_MAP_TYPE_HASH = 1;
export const BPF_MAP_TYPE_ARRAY = 2;
export const BPF_MAP_TYPE_PROG_ARRAY = 3;
export const BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4;
export const BPF_MAP_TYPE_PERCPU_HASH = 5;
export const BPF_MAP_TYPE_PERCPU_ARRAY = 6;
export const BPF_MAP_TYPE_STACK_TRACE = 7;
export const BPF_MAP_TYPE_CGROUP_ARRAY = 8;
export const BPF_MAP_TYPE_LRU_HASH = 9;
export const BPF_MAP_TYPE_QUEUE = 22;
export const BPF_MAP_TYPE_STACK = 23;
export const BPF_MAP_TYPE_RINGBUF = 27;

/** bpftool's names of the supported map types. */
export const MAP_TYPE_NAMES: Readonly<Record<number, string>> = {
  [BPF_MAP_TYPE_HASH]: "hash",
  [BPF_MAP_TYPE_ARRAY]: "array",
  [BPF_MAP_TYPE_PROG_ARRAY]: "prog_array",
  [BPF_MAP_TYPE_PERF_EVENT_ARRAY]: "perf_event_array",
  [BPF_MAP_TYPE_PERCPU_HASH]: "percpu_hash",
  [BPF_MAP_TYPE_PERCPU_ARRAY]: "percpu_array",
  [BPF_MAP_TYPE_STACK_TRACE]: "stack_trace",
  [BPF_MAP_TYPE_CGROUP_ARRAY]: "cgroup_array",
  [BPF_MAP_TYPE_LRU_HASH]: "lru_hash",
  [BPF_MAP_TYPE_QUEUE]: "queue",
  [BPF_MAP_TYPE_STACK]: "stack",
  [BPF_MAP_TYPE_RINGBUF]: "ringbuf",
};

// ---- map creation flags (attr->map_flags) ------------------------------------

export const BPF_F_NO_PREALLOC = 1 << 0;
export const BPF_F_NO_COMMON_LRU = 1 << 1;
export const BPF_F_NUMA_NODE = 1 << 2;
export const BPF_F_RDONLY = 1 << 3;
export const BPF_F_WRONLY = 1 << 4;
export const BPF_F_STACK_BUILD_ID = 1 << 5;
export const BPF_F_ZERO_SEED = 1 << 6;
export const BPF_F_RDONLY_PROG = 1 << 7;
export const BPF_F_WRONLY_PROG = 1 << 8;
export const BPF_F_CLONE = 1 << 9;
export const BPF_F_MMAPABLE = 1 << 10;
export const BPF_F_PRESERVE_ELEMS = 1 << 11;
export const BPF_F_INNER_MAP = 1 << 12;
/** BPF_F_RDONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY | BPF_F_WRONLY_PROG. */
export const BPF_F_ACCESS_MASK = BPF_F_RDONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY | BPF_F_WRONLY_PROG;

// ---- element update flags (attr->flags, helper flags) ---------------------------

export const BPF_ANY = 0;
export const BPF_NOEXIST = 1;
export const BPF_EXIST = 2;
export const BPF_F_LOCK = 4;

// ---- get_stackid flags ----------------------------------------------------

export const BPF_F_SKIP_FIELD_MASK = 0xff;
export const BPF_F_USER_STACK = 1 << 8;
export const BPF_F_FAST_STACK_CMP = 1 << 9;
export const BPF_F_REUSE_STACKID = 1 << 10;

// ---- perf_event_output flags --------------------------------------------------

export const BPF_F_INDEX_MASK = 0xffffffffn;
export const BPF_F_CURRENT_CPU = BPF_F_INDEX_MASK;

// ---- ring buffer -------------------------------------------------------------

export const BPF_RB_NO_WAKEUP = 1;
export const BPF_RB_FORCE_WAKEUP = 2;
export const BPF_RB_AVAIL_DATA = 0;
export const BPF_RB_RING_SIZE = 1;
export const BPF_RB_CONS_POS = 2;
export const BPF_RB_PROD_POS = 3;
export const BPF_RINGBUF_BUSY_BIT = 0x80000000;
export const BPF_RINGBUF_DISCARD_BIT = 0x40000000;
export const BPF_RINGBUF_HDR_SZ = 8;

export const PAGE_SIZE = 4096;
/** Map names hold at most 15 characters plus the NUL. */
export const BPF_OBJ_NAME_LEN = 16;
/** Default of the perf_event_max_stack sysctl. */
export const PERF_EVENT_MAX_STACK = 127;

// ---- attributes and context --------------------------------------------------------------

/** BPF_MAP_CREATE attributes (the fields of union bpf_attr this layer models). */
export interface MapAttr {
  /** enum bpf_map_type. */
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** BPF_F_* creation flags; 0 if absent. */
  flags?: number;
  /** Up to 15 characters of [A-Za-z0-9_.]; "" if absent. */
  name?: string;
  /** NUMA node, used only with BPF_F_NUMA_NODE; the modelled machine has node 0 only. */
  numaNode?: number;
}

/** What a map needs from the kernel it is created in. */
/** Where map ids come from (MapRegistry implements it); kept structural so this file imports no map code. */
export interface MapIdSource {
  /** A fresh id, or a negative errno when none is left. */
  allocId(): number;
  /** Registers the map built with an id from allocId() (method syntax: implementations take their own map type). */
  add(map: object): void;
}

export interface MapContext {
  /** Address space the map's object and value regions are mapped into. */
  mem: AddressSpace;
  /** Possible CPUs: sizes per-CPU values and perf buffers. */
  nrCpus: number;
  /** Assigns the map id and makes the map findable by id and object address. */
  registry?: MapIdSource;
  /** The perf_event_max_stack sysctl (stack_trace maps); 127 if absent. */
  perfEventMaxStack?: number;
}

/** Result of lookupBatch/lookupAndDeleteBatch (BPF_MAP_*_BATCH). */
export interface BatchResult {
  /** 0, or a negative errno; -ENOENT means the end of the map was reached (entries may still have been copied). */
  err: number;
  /** Entries copied (attr->batch.count on return). */
  count: number;
  keys: Uint8Array[];
  /** Values as user space sees them (per-CPU values are nrCpus * round_up(value_size, 8) bytes). */
  values: Uint8Array[];
  /** Cursor to pass as `inBatch` of the next call; undefined when the kernel does not write it. */
  outBatch: Uint8Array | undefined;
}

/** Result of updateBatch/deleteBatch: elements processed before the first error. */
export interface BatchCount {
  err: number;
  count: number;
}

export interface BatchOptions {
  /** attr->batch.elem_flags (BPF_F_LOCK is the only bit the kernel knows). */
  elemFlags?: number;
  /** attr->batch.flags (must be 0). */
  flags?: number;
}

// ---- errno helpers -----------------------------------------------------------

/** Negative errno values used by the map layer. */
export const E = {
  EPERM: -Errno.EPERM,
  ENOENT: -Errno.ENOENT,
  E2BIG: -Errno.E2BIG,
  EBADF: -Errno.EBADF,
  EAGAIN: -Errno.EAGAIN,
  ENOMEM: -Errno.ENOMEM,
  EACCES: -Errno.EACCES,
  EFAULT: -Errno.EFAULT,
  EBUSY: -Errno.EBUSY,
  EEXIST: -Errno.EEXIST,
  EINVAL: -Errno.EINVAL,
  ENOSPC: -Errno.ENOSPC,
  EOPNOTSUPP: -Errno.EOPNOTSUPP,
  ENOTSUPP: -Errno.ENOTSUPP,
} as const;

/** Whether a data-or-errno result is an errno. */
export function isErrno(r: unknown): r is number {
  return typeof r === "number";
}

/** The errno name of a negative (or positive) errno value, e.g. -2 -> "ENOENT". */
export function errnoName(code: number): ErrnoName | undefined {
  const n = Math.abs(code);
  for (const [name, v] of Object.entries(Errno)) if (v === n) return name as ErrnoName;
  return undefined;
}

/** A BtfsnoopError for a negative errno returned by a map operation. */
export function errnoError(code: number, what: string): BtfsnoopError {
  const name = errnoName(code) ?? "EINVAL";
  return new BtfsnoopError(name, `${what}: ${name} (${code})`);
}
