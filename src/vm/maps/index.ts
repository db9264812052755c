// Public surface of the BPF map layer: constants and the result convention
// (types.ts), the map classes, the registry, the createMap factory and the
// map helper implementations.
export * from "./types.js";
export { BpfMap, MAP_OBJECT_SIZE, type MapInfo, type MapInit } from "./map.js";
export { HashMap, HashMapBase } from "./hash.js";
export { HashTable, htabHash } from "./hash-table.js";
export { LruHashMap } from "./lru-hash.js";
export { ArrayMap } from "./array.js";
export { PercpuArrayMap, PercpuHashMap } from "./percpu.js";
export {
  RingbufMap,
  ringbufRecordAt,
  RINGBUF_DATA_PGOFF,
  RINGBUF_MAX_DATA_SZ,
  RINGBUF_MAX_RECORD_SZ,
  type RingbufSample,
  type RingbufStats,
} from "./ringbuf.js";
export {
  PerfEventArrayMap,
  PerfRing,
  PERF_LOST_RECORD_SIZE,
  PERF_MAX_RECORD_SIZE,
  PERF_RECORD_LOST,
  PERF_RECORD_MISC_KERNEL,
  PERF_RECORD_SAMPLE,
  type PerfLostRecord,
  type PerfPolledRecord,
  type PerfRecord,
  type PerfSampleRecord,
} from "./perf-event-array.js";
export { StackTraceMap, BPF_STACK_BUILD_ID_IP, BPF_STACK_BUILD_ID_SIZE } from "./stack-trace.js";
export { ProgArrayMap, type ProgArrayHooks } from "./prog-array.js";
export { CgroupArrayMap, ROOT_CGROUP_ID, type CgroupArrayHooks } from "./cgroup-array.js";
export { MapRegistry } from "./registry.js";
export { createMap, MAX_MAP_BYTES } from "./create.js";
export { jhash, jhash2 } from "./jhash.js";
export {
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
