// The bpf(2) syscall's kernel side as Linux 6.12 runs it, and the workload
// step that uses it (a tool loading its objects the way a libbpf light
// skeleton does). Installed as the "bpf" syscall (__x64_sys_bpf ->
// __sys_bpf, which copies the union bpf_attr from user memory into a kernel
// copy and dispatches on the command):
//   BPF_MAP_CREATE      map_create -> htab_map_alloc_check/htab_map_alloc or
//                       array_map_alloc_check/array_map_alloc (->
//                       bpf_map_init_from_attr, bpf_obj_name_cpy),
//                       bpf_map_alloc_id, bpf_map_new_fd
//   BPF_MAP_LOOKUP_ELEM map_lookup_elem -> bpf_map_get, bpf_map_copy_value
//                       -> htab_/array_map_lookup_elem, bpf_map_put
//   BPF_MAP_UPDATE_ELEM map_update_elem -> bpf_map_update_value ->
//                       htab_map_update_elem (alloc_htab_elem ->
//                       bpf_mem_cache_alloc; a replaced element ->
//                       free_htab_elem) or array_map_update_elem
//   BPF_MAP_DELETE_ELEM map_delete_elem -> htab_map_delete_elem (->
//                       free_htab_elem) or array_map_delete_elem (-EINVAL)
//   BPF_MAP_GET_NEXT_KEY map_get_next_key -> htab_/array_map_get_next_key
//   BPF_PROG_LOAD       bpf_prog_load -> bpf_prog_alloc, bpf_check (->
//                       bpf_prog_calc_tag, bpf_verifier_log_write into the
//                       caller's log buffer), bpf_prog_select_runtime ->
//                       bpf_int_jit_compile, bpf_prog_alloc_id,
//                       bpf_prog_kallsyms_add, bpf_prog_new_fd
//   BPF_PROG_TEST_RUN   bpf_prog_test_run -> bpf_prog_get ->
//                       bpf_prog_test_run_syscall (-> bpf_prog_run_pin_on_cpu)
//                       or bpf_prog_test_run_raw_tp, bpf_prog_put
//   BPF_OBJ_GET_INFO_BY_FD bpf_obj_get_info_by_fd -> bpf_map_get_info_by_fd
//                       or bpf_prog_get_info_by_fd (struct bpf_map_info /
//                       bpf_prog_info written to user memory)
// Closing an fd releases its file (bpf_map_release -> bpf_map_put_with_uref
// -> bpf_map_put -> bpf_map_free_id, bpf_map_free_deferred -> htab_map_free
// / array_map_free; bpf_prog_release -> bpf_prog_put -> bpf_prog_free_id,
// __bpf_prog_put_noref -> bpf_prog_kallsyms_del). Freed hash elements
// (bpf_mem_cache_free) and programs wait for an RCU grace period, which
// ends with the step: free_item frees each element, __bpf_prog_put_rcu ->
// bpf_prog_free each program. BPF fds are this model's own table (each a
// struct file whose private_data is the map or program; not installed in
// the task's fdtable), closed by bpfClose.
import { findMember } from "../../btf/members.js";
import { BtfKind } from "../../btf/kinds.js";
import { resolveSize } from "../../btf/layout.js";
import type { KernelFunction } from "../functions.js";
import type { Kernel } from "../kernel.js";
import { alloc, setField } from "./fields.js";
import { defineSyscall, syscall } from "./syscalls.js";
import { pathFunctions } from "./bind.js";

/** enum bpf_cmd values the model serves. */
export const BPF_MAP_CREATE = 0n;
export const BPF_MAP_LOOKUP_ELEM = 1n;
export const BPF_MAP_UPDATE_ELEM = 2n;
export const BPF_MAP_DELETE_ELEM = 3n;
export const BPF_MAP_GET_NEXT_KEY = 4n;
export const BPF_PROG_LOAD = 5n;
export const BPF_PROG_TEST_RUN = 10n;
export const BPF_OBJ_GET_INFO_BY_FD = 15n;
export const BPF_MAP_TYPE_HASH = 1;
export const BPF_MAP_TYPE_ARRAY = 2;
export const BPF_PROG_TYPE_SOCKET_FILTER = 1;
export const BPF_PROG_TYPE_RAW_TRACEPOINT = 17;
export const BPF_PROG_TYPE_SYSCALL = 31;
const BPF_NOEXIST = 1n;
const BPF_EXIST = 2n;
/** Hash map flags htab_map_alloc_check accepts (BPF_F_NO_PREALLOC, NO_COMMON_LRU, NUMA_NODE, RDONLY, WRONLY, ZERO_SEED, RDONLY_PROG, WRONLY_PROG); arrays: NUMA_NODE, RDONLY/WRONLY(_PROG), MMAPABLE, PRESERVE_ELEMS, INNER_MAP. */
const HTAB_FLAGS = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x40 | 0x80 | 0x100;
const ARRAY_FLAGS = 0x4 | 0x8 | 0x10 | 0x80 | 0x100 | 0x400 | 0x800 | 0x1000;
/** BPF_MAXINSNS for privileged loads (BPF_COMPLEXITY_LIMIT_INSNS is the verifier's, not the size's). */
const MAX_INSNS = 1_000_000;

/**
 * Offsets in union bpf_attr (include/uapi/linux/bpf.h): the command structs
 * overlay each other from offset 0 (bpf-paths test checks them against the
 * kernel BTF).
 */
export const ATTR = {
  map_type: 0,
  key_size: 4,
  value_size: 8,
  max_entries: 12,
  map_flags: 16,
  map_name: 28,
  map_fd: 0,
  key: 8,
  value: 16,
  flags: 24,
  prog_type: 0,
  insn_cnt: 4,
  insns: 8,
  license: 16,
  log_level: 24,
  log_size: 28,
  log_buf: 32,
  prog_name: 48,
  test_prog_fd: 0,
  test_retval: 4,
  test_repeat: 32,
  test_duration: 36,
  test_ctx_size_in: 40,
  test_ctx_in: 48,
  info_bpf_fd: 0,
  info_info_len: 4,
  info_info: 8,
} as const;

const ENOENT = 2;
const E2BIG = 7;
const EBADF = 9;
const ENOMEM = 12;
const EACCES = 13;
const EFAULT = 14;
const EEXIST = 17;
const EINVAL = 22;
const ENOTSUPP = 524;
const U64 = (v: bigint) => BigInt.asUintN(64, v);
const neg = (e: number) => U64(BigInt(-e));
/** IS_ERR_VALUE: the top 4095 values of a u64 are negative errnos. */
export const isErr = (v: bigint) => v >= 0xfffffffffffff001n;
const round8 = (n: number) => (n + 7) & ~7;
const pow2 = (n: number) => {
  let p = 1;
  while (p < n) p *= 2;
  return p;
};

interface MapState {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  refs: number;
  /** Hash maps: elements by key (hex), in insertion order; arrays: where the values start. */
  elems: Map<string, bigint>;
  values: bigint;
  buckets: bigint;
}

interface ProgState {
  type: number;
  aux: bigint;
  refs: number;
}

/** One kernel's bpf objects. */
export interface BpfModel {
  /** fd -> its struct file (private_data: the map or program). */
  readonly files: Map<number, bigint>;
  readonly maps: Map<bigint, MapState>;
  readonly progs: Map<bigint, ProgState>;
  /** RCU callbacks waiting for the grace period (function, argument). */
  readonly rcu: { fn: KernelFunction; arg: bigint }[];
}

const models = new WeakMap<Kernel, BpfModel>();

/** The bpf model of `k` (after installBpfPaths). */
export function bpfModel(k: Kernel): BpfModel {
  const m = models.get(k);
  if (!m) throw new RangeError("installBpfPaths has not run on this kernel");
  return m;
}

function sizeOf(k: Kernel, name: string, kind: number = BtfKind.STRUCT): number {
  const id = k.btf.findByNameKind(name, kind);
  if (id === undefined) throw new RangeError(`no ${name} in the kernel BTF`);
  return resolveSize(k.btf, id);
}

function offsetOf(k: Kernel, struct: string, member: string): bigint {
  const id = k.btf.findByNameKind(struct, BtfKind.STRUCT);
  const m = id === undefined ? undefined : findMember(k.btf, id, member);
  if (!m) throw new RangeError(`no ${struct}.${member} in the kernel BTF`);
  return BigInt(m.bitsOffset / 8);
}

/** Installs the bpf(2) paths on `k`; returns the object (map or program) behind a bpf fd. */
export function installBpfPaths(k: Kernel): (fd: bigint) => bigint | undefined {
  const model: BpfModel = { files: new Map(), maps: new Map(), progs: new Map(), rcu: [] };
  models.set(k, model);
  const { set, call } = pathFunctions(k);
  const ATTR_SIZE = sizeOf(k, "bpf_attr", BtfKind.UNION);
  const PROG_SIZE = sizeOf(k, "bpf_prog");
  const ARRAY_SIZE = sizeOf(k, "bpf_array");
  const ELEM_SIZE = sizeOf(k, "htab_elem");
  const MAP_INFO_SIZE = sizeOf(k, "bpf_map_info");
  const PROG_INFO_SIZE = sizeOf(k, "bpf_prog_info");
  const MAP_WORK = offsetOf(k, "bpf_map", "work");
  const AUX_WORK = offsetOf(k, "bpf_prog_aux", "work");
  const AUX_RCU = offsetOf(k, "bpf_prog_aux", "rcu");
  const ELEM_KEY = offsetOf(k, "htab_elem", "key");
  // free_item is static in sched.h and here: bpf.h comes later in KERNEL_HEADERS, so its free_item is the last one.
  const freeItem = k.functions.named("free_item").at(-1)!;
  const bpfPutRcu = k.functions.named("__bpf_prog_put_rcu")[0]!;
  let nextMapId = 1;
  let nextProgId = 1;

  const mem = k.memory;
  const u32At = (addr: bigint, off: number) => Number(readKernel(addr + BigInt(off), 4).getUint32(0, true));
  const u64At = (addr: bigint, off: number) => readKernel(addr + BigInt(off), 8).getBigUint64(0, true);
  function readKernel(addr: bigint, size: number): DataView {
    const b = new Uint8Array(size);
    mem.readKernel(b, addr);
    return new DataView(b.buffer);
  }
  const user = () => mem.userSpace(k.current().tgid);
  /** copy_from_user into a new kernel buffer: its address, or undefined on a fault. */
  function copyFromUser(uaddr: bigint, size: number): bigint | undefined {
    const b = new Uint8Array(size);
    if (size && mem.readUser(k.current().tgid, b, uaddr) < 0) return undefined;
    const kaddr = mem.kmalloc(Math.max(size, 8), true);
    if (size) mem.writeKernel(kaddr, b);
    return kaddr;
  }
  /** copy_to_user from kernel memory: 0 or -EFAULT. */
  function copyToUser(uaddr: bigint, kaddr: bigint, size: number): number {
    const b = new Uint8Array(size);
    mem.readKernel(b, kaddr);
    return user().write(uaddr, b) < 0 ? -EFAULT : 0;
  }
  const keyOf = (kaddr: bigint, size: number) => {
    const b = new Uint8Array(size);
    mem.readKernel(b, kaddr);
    let s = "";
    for (const x of b) s += x.toString(16).padStart(2, "0");
    return s;
  };
  const fileOf = (fd: bigint) => model.files.get(Number(BigInt.asIntN(32, fd)));
  const privateOf = (file: bigint) => mem.readField(file, "file", "private_data");
  function newFd(obj: bigint): bigint {
    const file = alloc(k, "file");
    setField(k, file, "file", "private_data", obj);
    setField(k, file, "file", "f_mode", 0x3n); // FMODE_READ | FMODE_WRITE
    let fd = 3;
    while (model.files.has(fd)) fd++;
    model.files.set(fd, file);
    return BigInt(fd);
  }
  const setRefcnt = (obj: bigint, type: string, path: string, n: number) => setField(k, obj, type, path, BigInt(n));

  // ---- the syscall --------------------------------------------------------------------
  defineSyscall(k, "bpf", ([cmd, uattr, size]) => call("__sys_bpf", cmd!, uattr!, size!));
  set("__sys_bpf", ([cmd, uattr, size]) => {
    const n = Number(size! & 0xffffffffn);
    // bpf_check_uarg_tail_zero: a larger attr than the kernel knows must end in zeros.
    if (n > 4096) return neg(E2BIG);
    if (n > ATTR_SIZE) {
      const tail = new Uint8Array(n - ATTR_SIZE);
      if (mem.readUser(k.current().tgid, tail, uattr! + BigInt(ATTR_SIZE)) < 0) return neg(EFAULT);
      if (tail.some((x) => x !== 0)) return neg(E2BIG);
    }
    const attr = copyFromUser(uattr!, Math.min(n, ATTR_SIZE));
    if (attr === undefined) return neg(EFAULT);
    // The copy is ATTR_SIZE bytes (a stack union in Linux): commands read zeros past what user space passed.
    let ret: bigint;
    switch (cmd) {
      case BPF_MAP_CREATE:
        ret = call("map_create", attr);
        break;
      case BPF_MAP_LOOKUP_ELEM:
        ret = call("map_lookup_elem", attr);
        break;
      case BPF_MAP_UPDATE_ELEM:
        ret = call("map_update_elem", attr, uattr!);
        break;
      case BPF_MAP_DELETE_ELEM:
        ret = call("map_delete_elem", attr, uattr!);
        break;
      case BPF_MAP_GET_NEXT_KEY:
        ret = call("map_get_next_key", attr);
        break;
      case BPF_PROG_LOAD:
        ret = call("bpf_prog_load", attr, uattr!, size!);
        break;
      case BPF_PROG_TEST_RUN:
        ret = call("bpf_prog_test_run", attr, uattr!);
        break;
      case BPF_OBJ_GET_INFO_BY_FD:
        ret = call("bpf_obj_get_info_by_fd", attr, uattr!);
        break;
      default:
        ret = neg(EINVAL);
    }
    mem.free(attr);
    return ret;
  });

  // ---- maps ---------------------------------------------------------------------------
  set("map_create", ([attr]) => {
    const type = u32At(attr!, ATTR.map_type);
    const [check, allocFn] = type === BPF_MAP_TYPE_HASH ? ["htab_map_alloc_check", "htab_map_alloc"] : type === BPF_MAP_TYPE_ARRAY ? ["array_map_alloc_check", "array_map_alloc"] : [];
    if (!check) return neg(EINVAL);
    const err = call(check, attr!);
    if (err !== 0n) return err;
    const map = call(allocFn!, attr!);
    if (isErr(map)) return map;
    const named = call("bpf_obj_name_cpy", map + offsetOf(k, "bpf_map", "name"), attr! + BigInt(ATTR.map_name), 16n);
    if (isErr(named)) {
      call(type === BPF_MAP_TYPE_HASH ? "htab_map_free" : "array_map_free", map);
      return named;
    }
    const id = call("bpf_map_alloc_id", map);
    if (isErr(id)) return id;
    return call("bpf_map_new_fd", map, 0x80000n /* O_CLOEXEC */);
  });
  const checkSizes = (attr: bigint, flagsMask: number, array: boolean): bigint => {
    const keySize = u32At(attr, ATTR.key_size);
    const valueSize = u32At(attr, ATTR.value_size);
    const maxEntries = u32At(attr, ATTR.max_entries);
    const flags = u32At(attr, ATTR.map_flags);
    if (maxEntries === 0 || valueSize === 0 || flags & ~flagsMask) return neg(EINVAL);
    if (array ? keySize !== 4 : keySize === 0) return neg(EINVAL);
    if (keySize > 512 || valueSize > 65536 || maxEntries > 65536) return neg(E2BIG); // the model's bound on map memory
    return 0n;
  };
  set("htab_map_alloc_check", ([attr]) => checkSizes(attr!, HTAB_FLAGS, false));
  set("array_map_alloc_check", ([attr]) => checkSizes(attr!, ARRAY_FLAGS, true));
  const initMap = (map: bigint, attr: bigint, type: number, values: bigint, buckets: bigint): void => {
    call("bpf_map_init_from_attr", map, attr);
    const st: MapState = {
      type,
      keySize: u32At(attr, ATTR.key_size),
      valueSize: u32At(attr, ATTR.value_size),
      maxEntries: u32At(attr, ATTR.max_entries),
      refs: 1,
      elems: new Map(),
      values,
      buckets,
    };
    model.maps.set(map, st);
  };
  set("bpf_map_init_from_attr", ([map, attr]) => {
    setField(k, map!, "bpf_map", "map_type", BigInt(u32At(attr!, ATTR.map_type)));
    setField(k, map!, "bpf_map", "key_size", BigInt(u32At(attr!, ATTR.key_size)));
    setField(k, map!, "bpf_map", "value_size", BigInt(u32At(attr!, ATTR.value_size)));
    setField(k, map!, "bpf_map", "max_entries", BigInt(u32At(attr!, ATTR.max_entries)));
    setField(k, map!, "bpf_map", "map_flags", BigInt(u32At(attr!, ATTR.map_flags)));
    setField(k, map!, "bpf_map", "numa_node", -1n); // NUMA_NO_NODE
    setRefcnt(map!, "bpf_map", "refcnt.counter", 1);
    setRefcnt(map!, "bpf_map", "usercnt.counter", 1);
    return 0n;
  });
  set("bpf_obj_name_cpy", ([dst, src, size]) => {
    const n = Number(size!);
    const b = new Uint8Array(n);
    mem.readKernel(b, src!);
    const end = b.indexOf(0);
    if (end < 0) return neg(EINVAL);
    for (let i = 0; i < end; i++) {
      const c = String.fromCharCode(b[i]!);
      if (!/[A-Za-z0-9_.]/.test(c)) return neg(EINVAL);
    }
    mem.writeKernel(dst!, b.subarray(0, end + 1));
    return BigInt(end);
  });
  set("htab_map_alloc", ([attr]) => {
    const htab = alloc(k, "bpf_htab");
    const maxEntries = u32At(attr!, ATTR.max_entries);
    const nBuckets = pow2(maxEntries);
    const buckets = mem.kmalloc(nBuckets * 16, true);
    initMap(htab, attr!, BPF_MAP_TYPE_HASH, 0n, buckets);
    setField(k, htab, "bpf_htab", "buckets", buckets);
    setField(k, htab, "bpf_htab", "n_buckets", BigInt(nBuckets));
    setField(k, htab, "bpf_htab", "elem_size", BigInt(ELEM_SIZE + round8(u32At(attr!, ATTR.key_size)) + round8(u32At(attr!, ATTR.value_size))));
    setField(k, htab, "bpf_htab", "hashrnd", BigInt(k.rng.u32()));
    return htab;
  });
  set("array_map_alloc", ([attr]) => {
    const elemSize = round8(u32At(attr!, ATTR.value_size));
    const maxEntries = u32At(attr!, ATTR.max_entries);
    const array = mem.kmalloc(ARRAY_SIZE + elemSize * maxEntries, true);
    initMap(array, attr!, BPF_MAP_TYPE_ARRAY, array + BigInt(ARRAY_SIZE), 0n);
    setField(k, array, "bpf_array", "elem_size", BigInt(elemSize));
    setField(k, array, "bpf_array", "index_mask", BigInt(pow2(maxEntries) - 1));
    return array;
  });
  set("bpf_map_alloc_id", ([map]) => {
    const id = nextMapId++;
    setField(k, map!, "bpf_map", "id", BigInt(id));
    return BigInt(id);
  });
  set("bpf_map_free_id", ([map]) => {
    setField(k, map!, "bpf_map", "id", 0n);
    return 0n;
  });
  set("bpf_map_new_fd", ([map]) => newFd(map!));
  set("bpf_map_get", ([ufd]) => {
    const file = fileOf(ufd!);
    if (file === undefined) return neg(EBADF);
    const map = privateOf(file);
    const st = model.maps.get(map);
    if (!st) return neg(EINVAL); // not a map's fd
    st.refs++;
    setRefcnt(map, "bpf_map", "refcnt.counter", st.refs);
    return map;
  });
  set("bpf_map_put", ([map]) => {
    const st = model.maps.get(map!);
    if (!st) return 0n;
    setRefcnt(map!, "bpf_map", "refcnt.counter", --st.refs);
    if (st.refs > 0) return 0n;
    call("bpf_map_free_id", map!);
    call("bpf_map_free_deferred", map! + MAP_WORK);
    return 0n;
  });
  set("bpf_map_put_with_uref", ([map]) => {
    setRefcnt(map!, "bpf_map", "usercnt.counter", 0);
    return call("bpf_map_put", map!);
  });
  set("bpf_map_free_deferred", ([work]) => {
    const map = work! - MAP_WORK;
    const st = model.maps.get(map);
    if (st) call(st.type === BPF_MAP_TYPE_HASH ? "htab_map_free" : "array_map_free", map);
    return 0n;
  });
  set("htab_map_free", ([map]) => {
    const st = model.maps.get(map!)!;
    for (const l of st.elems.values()) call("bpf_mem_cache_free", map!, l);
    st.elems.clear();
    mem.free(st.buckets);
    model.maps.delete(map!);
    mem.free(map!);
    return 0n;
  });
  set("array_map_free", ([map]) => {
    model.maps.delete(map!);
    mem.free(map!);
    return 0n;
  });
  set("bpf_map_release", ([, filp]) => call("bpf_map_put_with_uref", privateOf(filp!)));

  /** A syscall element command's map, key and (optional) value copied in; or the errno. */
  function elemArgs(attr: bigint, withValue: boolean): { map: bigint; st: MapState; key: bigint; value: bigint } | bigint {
    const map = call("bpf_map_get", BigInt(u32At(attr, ATTR.map_fd)));
    if (isErr(map)) return map;
    const st = model.maps.get(map)!;
    const key = copyFromUser(u64At(attr, ATTR.key), st.keySize);
    const value = withValue ? copyFromUser(u64At(attr, ATTR.value), st.valueSize) : mem.kmalloc(Math.max(st.valueSize, 8), true);
    if (key === undefined || value === undefined) {
      if (key !== undefined) mem.free(key);
      if (value !== undefined) mem.free(value);
      call("bpf_map_put", map);
      return neg(EFAULT);
    }
    return { map, st, key, value };
  }
  const done = (a: { map: bigint; key: bigint; value: bigint }, ret: bigint): bigint => {
    mem.free(a.key);
    mem.free(a.value);
    call("bpf_map_put", a.map);
    return ret;
  };
  set("map_lookup_elem", ([attr]) => {
    const a = elemArgs(attr!, false);
    if (typeof a === "bigint") return a;
    let ret = call("bpf_map_copy_value", a.map, a.key, a.value, u64At(attr!, ATTR.flags));
    if (ret === 0n && copyToUser(u64At(attr!, ATTR.value), a.value, a.st.valueSize) < 0) ret = neg(EFAULT);
    return done(a, ret);
  });
  set("bpf_map_copy_value", ([map, key, value, flags]) => {
    if (flags !== 0n) return neg(EINVAL); // BPF_F_LOCK: no value of the model has a spin lock
    const st = model.maps.get(map!)!;
    const ptr = call(st.type === BPF_MAP_TYPE_HASH ? "htab_map_lookup_elem" : "array_map_lookup_elem", map!, key!);
    if (ptr === 0n) return neg(ENOENT);
    const b = new Uint8Array(st.valueSize);
    mem.readKernel(b, ptr);
    mem.writeKernel(value!, b);
    return 0n;
  });
  const elemValue = (st: MapState, l: bigint) => l + ELEM_KEY + BigInt(round8(st.keySize));
  set("htab_map_lookup_elem", ([map, key]) => {
    const st = model.maps.get(map!)!;
    const l = st.elems.get(keyOf(key!, st.keySize));
    return l === undefined ? 0n : elemValue(st, l);
  });
  set("array_map_lookup_elem", ([map, key]) => {
    const st = model.maps.get(map!)!;
    const index = u32At(key!, 0);
    return index >= st.maxEntries ? 0n : st.values + BigInt(index * round8(st.valueSize));
  });
  set("map_update_elem", ([attr]) => {
    const a = elemArgs(attr!, true);
    if (typeof a === "bigint") return a;
    const file = fileOf(BigInt(u32At(attr!, ATTR.map_fd)))!;
    return done(a, call("bpf_map_update_value", a.map, file, a.key, a.value, u64At(attr!, ATTR.flags)));
  });
  set("bpf_map_update_value", ([map, , key, value, flags]) => {
    const st = model.maps.get(map!)!;
    return call(st.type === BPF_MAP_TYPE_HASH ? "htab_map_update_elem" : "array_map_update_elem", map!, key!, value!, flags!);
  });
  set("htab_map_update_elem", ([map, key, value, flags]) => {
    if (flags! > BPF_EXIST) return neg(EINVAL);
    const st = model.maps.get(map!)!;
    const k8 = keyOf(key!, st.keySize);
    const old = st.elems.get(k8);
    if (old !== undefined && flags === BPF_NOEXIST) return neg(EEXIST);
    if (old === undefined && flags === BPF_EXIST) return neg(ENOENT);
    if (old === undefined && st.elems.size >= st.maxEntries) return neg(E2BIG);
    let hash = 0x811c9dc5;
    for (let i = 0; i < k8.length; i += 2) hash = Math.imul(hash ^ parseInt(k8.slice(i, i + 2), 16), 0x01000193) >>> 0;
    const l = call("alloc_htab_elem", map!, key!, value!, BigInt(st.keySize), BigInt(hash), 0n, 0n, old ?? 0n);
    if (isErr(l)) return l;
    // Replace in place of the old element (the bucket's list order), or append.
    st.elems.set(k8, l);
    setField(k, map!, "bpf_htab", "count.counter", BigInt(st.elems.size));
    if (old !== undefined) call("free_htab_elem", map!, old);
    return 0n;
  });
  set("alloc_htab_elem", ([map, key, value, keySize, hash]) => {
    const st = model.maps.get(map!)!;
    const l = call("bpf_mem_cache_alloc", map!);
    if (l === 0n) return neg(ENOMEM);
    setField(k, l, "htab_elem", "hash", hash!);
    const kb = new Uint8Array(Number(keySize!));
    mem.readKernel(kb, key!);
    mem.writeKernel(l + ELEM_KEY, kb);
    const vb = new Uint8Array(st.valueSize);
    mem.readKernel(vb, value!);
    mem.writeKernel(elemValue(st, l), vb);
    return l;
  });
  // The map's bpf_mem_alloc hands out elem_size objects (the trimmed bpf_htab has no ma: the htab stands for it).
  set("bpf_mem_cache_alloc", ([ma]) => mem.kmalloc(Number(mem.readField(ma!, "bpf_htab", "elem_size")), true));
  set("bpf_mem_cache_free", ([, ptr]) => {
    // unit_free: the object waits for an RCU grace period (free_item) before the slab gets it back.
    model.rcu.push({ fn: freeItem, arg: ptr! });
    return 0n;
  });
  freeItem.impl = (c) => {
    mem.free(c.args[0]!);
    return 0n;
  };
  set("free_htab_elem", ([htab, l]) => call("bpf_mem_cache_free", htab!, l!));
  set("array_map_update_elem", ([map, key, value, flags]) => {
    if (flags! > BPF_EXIST) return neg(EINVAL);
    const st = model.maps.get(map!)!;
    const index = u32At(key!, 0);
    if (index >= st.maxEntries) return neg(E2BIG);
    if (flags === BPF_NOEXIST) return neg(EEXIST);
    const vb = new Uint8Array(st.valueSize);
    mem.readKernel(vb, value!);
    mem.writeKernel(st.values + BigInt(index * round8(st.valueSize)), vb);
    return 0n;
  });
  set("map_delete_elem", ([attr]) => {
    const a = elemArgs(attr!, false);
    if (typeof a === "bigint") return a;
    return done(a, call(a.st.type === BPF_MAP_TYPE_HASH ? "htab_map_delete_elem" : "array_map_delete_elem", a.map, a.key));
  });
  set("htab_map_delete_elem", ([map, key]) => {
    const st = model.maps.get(map!)!;
    const k8 = keyOf(key!, st.keySize);
    const l = st.elems.get(k8);
    if (l === undefined) return neg(ENOENT);
    st.elems.delete(k8);
    setField(k, map!, "bpf_htab", "count.counter", BigInt(st.elems.size));
    call("free_htab_elem", map!, l);
    return 0n;
  });
  set("array_map_delete_elem", () => neg(EINVAL));
  set("map_get_next_key", ([attr]) => {
    const map = call("bpf_map_get", BigInt(u32At(attr!, ATTR.map_fd)));
    if (isErr(map)) return map;
    const st = model.maps.get(map)!;
    const ukey = u64At(attr!, ATTR.key);
    const key = ukey === 0n ? 0n : copyFromUser(ukey, st.keySize);
    const next = mem.kmalloc(Math.max(st.keySize, 8), true);
    let ret = key === undefined ? neg(EFAULT) : call(st.type === BPF_MAP_TYPE_HASH ? "htab_map_get_next_key" : "array_map_get_next_key", map, key, next);
    if (ret === 0n && copyToUser(u64At(attr!, ATTR.value), next, st.keySize) < 0) ret = neg(EFAULT);
    if (key) mem.free(key);
    mem.free(next);
    call("bpf_map_put", map);
    return ret;
  });
  set("htab_map_get_next_key", ([map, key, next]) => {
    const st = model.maps.get(map!)!;
    const keys = [...st.elems.keys()];
    // A key not in the map (or none) gives the first key, as htab_map_get_next_key's find_first_elem.
    const at = key === 0n ? -1 : keys.indexOf(keyOf(key!, st.keySize));
    const want = keys[at + 1];
    if (want === undefined) return neg(ENOENT);
    const b = new Uint8Array(st.keySize);
    mem.readKernel(b, st.elems.get(want)! + ELEM_KEY);
    mem.writeKernel(next!, b);
    return 0n;
  });
  set("array_map_get_next_key", ([map, key, next]) => {
    const st = model.maps.get(map!)!;
    const index = key === 0n ? 0xffffffff : u32At(key!, 0);
    const n = index >= st.maxEntries ? 0 : index === st.maxEntries - 1 ? -1 : index + 1;
    if (n < 0) return neg(ENOENT);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n, true);
    mem.writeKernel(next!, b);
    return 0n;
  });

  // ---- programs -----------------------------------------------------------------------
  set("bpf_prog_load", ([attr]) => {
    const type = u32At(attr!, ATTR.prog_type);
    const insnCnt = u32At(attr!, ATTR.insn_cnt);
    if (![BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_PROG_TYPE_SYSCALL].includes(type)) return neg(EINVAL);
    if (insnCnt === 0) return neg(EINVAL);
    if (insnCnt > MAX_INSNS) return neg(E2BIG);
    const prog = call("bpf_prog_alloc", BigInt(PROG_SIZE + 8 * insnCnt), 0x100cc0n /* GFP_USER */);
    if (prog === 0n) return neg(ENOMEM);
    const aux = mem.readField(prog, "bpf_prog", "aux");
    setField(k, prog, "bpf_prog", "type", BigInt(type));
    setField(k, prog, "bpf_prog", "len", BigInt(insnCnt));
    const insns = new Uint8Array(8 * insnCnt);
    if (mem.readUser(k.current().tgid, insns, u64At(attr!, ATTR.insns)) < 0) {
      call("bpf_prog_free", prog);
      return neg(EFAULT);
    }
    mem.writeKernel(prog + offsetOf(k, "bpf_prog", "insnsi"), insns);
    const named = call("bpf_obj_name_cpy", aux + offsetOf(k, "bpf_prog_aux", "name"), attr! + BigInt(ATTR.prog_name), 16n);
    if (isErr(named)) {
      call("bpf_prog_free", prog);
      return named;
    }
    setField(k, aux, "bpf_prog_aux", "load_time", k.clock.now());
    const progp = mem.kmalloc(8, true);
    writeU64(progp, prog);
    const err = call("bpf_check", progp, attr!, 0n, 0n);
    mem.free(progp);
    if (err !== 0n) {
      call("bpf_prog_free", prog);
      return err;
    }
    const errp = mem.kmalloc(8, true);
    call("bpf_prog_select_runtime", prog, errp);
    mem.free(errp);
    call("bpf_prog_alloc_id", prog);
    call("bpf_prog_kallsyms_add", prog);
    return call("bpf_prog_new_fd", prog);
  });
  function writeU64(addr: bigint, v: bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v, true);
    mem.writeKernel(addr, b);
  }
  set("bpf_prog_alloc", ([size]) => {
    const prog = mem.kmalloc(Number(size!), true);
    const aux = alloc(k, "bpf_prog_aux");
    setField(k, prog, "bpf_prog", "pages", BigInt(Math.ceil(Number(size!) / 4096)));
    setField(k, prog, "bpf_prog", "aux", aux);
    setField(k, aux, "bpf_prog_aux", "prog", prog);
    setRefcnt(aux, "bpf_prog_aux", "refcnt.counter", 1);
    model.progs.set(prog, { type: 0, aux, refs: 1 });
    return prog;
  });
  set("bpf_check", ([progp, attr]) => {
    const prog = readKernel(progp!, 8).getBigUint64(0, true);
    const st = model.progs.get(prog)!;
    st.type = u32At(attr!, ATTR.prog_type);
    const env = mem.kmalloc(64, true);
    call("bpf_prog_calc_tag", prog);
    const insns = u32At(attr!, ATTR.insn_cnt);
    // The model's verifier knows one fault: a first instruction loading 8 bytes from the context (r0 = *(u64 *)(r1 +0)).
    const first = readKernel(prog + offsetOf(k, "bpf_prog", "insnsi"), 4);
    const rejected = first.getUint8(0) === 0x79 && first.getUint8(1) === 0x10 && first.getInt16(2, true) === 0;
    const line = rejected
      ? `0: (79) r0 = *(u64 *)(r1 +0)\ninvalid bpf_context access off=0 size=8\n`
      : `processed ${insns} insns (limit 1000000) max_states_per_insn 0 total_states ${Math.ceil(insns / 4)} peak_states ${Math.ceil(insns / 4)} mark_read 0\n`;
    const logLevel = u32At(attr!, ATTR.log_level);
    const logBuf = u64At(attr!, ATTR.log_buf);
    const logSize = u32At(attr!, ATTR.log_size);
    let ret = rejected ? neg(EACCES) : 0n;
    if (logLevel && logBuf && logSize) {
      // bpf_verifier_log_write(env, "%s", line): the log goes to the caller's buffer, NUL-terminated, truncated to log_size.
      const fmt = mem.kmalloc(line.length + 1, true);
      mem.writeKernel(fmt, new TextEncoder().encode(line));
      call("bpf_verifier_log_write", env, fmt);
      const bytes = new TextEncoder().encode(line.slice(0, logSize - 1) + "\0");
      if (user().write(logBuf, bytes) < 0) ret = neg(EFAULT);
      mem.free(fmt);
    }
    if (!rejected) setField(k, st.aux, "bpf_prog_aux", "verified_insns", BigInt(insns));
    mem.free(env);
    return ret;
  });
  set("bpf_verifier_log_write", () => 0n);
  set("bpf_prog_calc_tag", ([prog]) => {
    // The tag is a digest of the instructions (SHA-1 in Linux): here FNV-1a over them, 8 bytes.
    const len = Number(mem.readField(prog!, "bpf_prog", "len"));
    const b = new Uint8Array(8 * len);
    mem.readKernel(b, prog! + offsetOf(k, "bpf_prog", "insnsi"));
    let h = 0xcbf29ce484222325n;
    for (const x of b) h = BigInt.asUintN(64, (h ^ BigInt(x)) * 0x100000001b3n);
    writeU64(prog! + offsetOf(k, "bpf_prog", "tag"), h);
    return 0n;
  });
  set("bpf_prog_select_runtime", ([prog, errp]) => {
    const jited = call("bpf_int_jit_compile", prog!);
    writeU64(errp!, 0n);
    return jited;
  });
  set("bpf_int_jit_compile", ([prog]) => {
    const len = Number(mem.readField(prog!, "bpf_prog", "len"));
    setField(k, prog!, "bpf_prog", "jited_len", BigInt(len * 6 + 32));
    // The image's address in the module area (bpf_jit_alloc_exec), one 4 KiB slot per program id.
    setField(k, prog!, "bpf_prog", "bpf_func", 0xffffffffa0000000n + BigInt(nextProgId) * 0x1000n);
    return prog!;
  });
  set("bpf_prog_alloc_id", ([prog]) => {
    const aux = mem.readField(prog!, "bpf_prog", "aux");
    const id = nextProgId++;
    setField(k, aux, "bpf_prog_aux", "id", BigInt(id));
    return BigInt(id);
  });
  set("bpf_prog_free_id", ([prog]) => {
    setField(k, mem.readField(prog!, "bpf_prog", "aux"), "bpf_prog_aux", "id", 0n);
    return 0n;
  });
  set("bpf_prog_kallsyms_add", () => 0n);
  set("bpf_prog_kallsyms_del", () => 0n);
  set("bpf_prog_new_fd", ([prog]) => newFd(prog!));
  set("bpf_prog_get", ([ufd]) => {
    const file = fileOf(ufd!);
    if (file === undefined) return neg(EBADF);
    const prog = privateOf(file);
    const st = model.progs.get(prog);
    if (!st) return neg(EINVAL);
    setRefcnt(st.aux, "bpf_prog_aux", "refcnt.counter", ++st.refs);
    return prog;
  });
  set("bpf_prog_put", ([prog]) => {
    const st = model.progs.get(prog!);
    if (!st) return 0n;
    setRefcnt(st.aux, "bpf_prog_aux", "refcnt.counter", --st.refs);
    if (st.refs > 0) return 0n;
    call("bpf_prog_put_deferred", st.aux + AUX_WORK);
    return 0n;
  });
  set("bpf_prog_put_deferred", ([work]) => {
    const prog = mem.readField(work! - AUX_WORK, "bpf_prog_aux", "prog");
    call("bpf_prog_free_id", prog);
    call("__bpf_prog_put_noref", prog, 1n);
    return 0n;
  });
  set("__bpf_prog_put_noref", ([prog]) => {
    call("bpf_prog_kallsyms_del", prog!);
    // call_rcu(&aux->rcu, __bpf_prog_put_rcu)
    model.rcu.push({ fn: bpfPutRcu, arg: mem.readField(prog!, "bpf_prog", "aux") + AUX_RCU });
    return 0n;
  });
  set("__bpf_prog_put_rcu", ([rcu]) => call("bpf_prog_free", mem.readField(rcu! - AUX_RCU, "bpf_prog_aux", "prog")));
  set("bpf_prog_free", ([prog]) => {
    const st = model.progs.get(prog!);
    if (st) mem.free(st.aux);
    model.progs.delete(prog!);
    mem.free(prog!);
    return 0n;
  });
  set("bpf_prog_release", ([, filp]) => call("bpf_prog_put", privateOf(filp!)));
  set("bpf_prog_test_run", ([attr, uattr]) => {
    const prog = call("bpf_prog_get", BigInt(u32At(attr!, ATTR.test_prog_fd)));
    if (isErr(prog)) return prog;
    const st = model.progs.get(prog)!;
    const runner = st.type === BPF_PROG_TYPE_SYSCALL ? "bpf_prog_test_run_syscall" : st.type === BPF_PROG_TYPE_RAW_TRACEPOINT ? "bpf_prog_test_run_raw_tp" : undefined;
    const ret = runner ? call(runner, prog, attr!, uattr!) : neg(ENOTSUPP);
    call("bpf_prog_put", prog);
    return ret;
  });
  /** A test run's result: retval and duration written to uattr->test. */
  const putRetval = (uattr: bigint, retval: bigint, ns: number): number => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, Number(retval & 0xffffffffn), true);
    if (user().write(uattr + BigInt(ATTR.test_retval), b) < 0) return -EFAULT;
    new DataView(b.buffer).setUint32(0, ns, true);
    return user().write(uattr + BigInt(ATTR.test_duration), b) < 0 ? -EFAULT : 0;
  };
  set("bpf_prog_test_run_syscall", ([prog, kattr, uattr]) => {
    // A syscall program runs once on the caller's context (ctx_in), pinned to the CPU.
    if (u32At(kattr!, ATTR.test_repeat) > 1) return neg(EINVAL);
    const ctxSize = u32At(kattr!, ATTR.test_ctx_size_in);
    const ctx = copyFromUser(u64At(kattr!, ATTR.test_ctx_in), ctxSize);
    if (ctx === undefined) return neg(EFAULT);
    const retval = call("bpf_prog_run_pin_on_cpu", prog!, ctx);
    mem.free(ctx);
    return putRetval(uattr!, retval, 0) < 0 ? neg(EFAULT) : 0n;
  });
  set("bpf_prog_test_run_raw_tp", ([prog, kattr, uattr]) => {
    const ctxSize = u32At(kattr!, ATTR.test_ctx_size_in);
    if (ctxSize > 8 * 12 || ctxSize % 8) return neg(EINVAL); // at most MAX_BPF_FUNC_ARGS u64 arguments
    const ctx = copyFromUser(u64At(kattr!, ATTR.test_ctx_in), ctxSize);
    if (ctx === undefined) return neg(EFAULT);
    const retval = call("bpf_prog_run_pin_on_cpu", prog!, ctx);
    mem.free(ctx);
    return putRetval(uattr!, retval, 0) < 0 ? neg(EFAULT) : 0n;
  });
  // The programs the workload loads return their context's first u32 (0 without one), in the JIT image's time.
  set("bpf_prog_run_pin_on_cpu", ([, ctx]) => BigInt(u32At(ctx!, 0)));
  set("bpf_obj_get_info_by_fd", ([attr, uattr]) => {
    const file = fileOf(BigInt(u32At(attr!, ATTR.info_bpf_fd)));
    if (file === undefined) return neg(EBADF);
    const obj = privateOf(file);
    if (model.maps.has(obj)) return call("bpf_map_get_info_by_fd", file, obj, attr!, uattr!);
    if (model.progs.has(obj)) return call("bpf_prog_get_info_by_fd", file, obj, attr!, uattr!);
    return neg(EINVAL);
  });
  /** Writes min(info_len, size) bytes of the record to attr->info.info and the length to uattr->info.info_len. */
  function putInfo(attr: bigint, uattr: bigint, record: Uint8Array): bigint {
    const len = Math.min(u32At(attr, ATTR.info_info_len), record.length);
    if (user().write(u64At(attr, ATTR.info_info), record.subarray(0, len)) < 0) return neg(EFAULT);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, len, true);
    return user().write(uattr + BigInt(ATTR.info_info_len), b) < 0 ? neg(EFAULT) : 0n;
  }
  set("bpf_map_get_info_by_fd", ([, map, attr, uattr]) => {
    const info = new Uint8Array(MAP_INFO_SIZE);
    const v = new DataView(info.buffer);
    const f = (name: string) => Number(mem.readField(map!, "bpf_map", name));
    ["map_type", "id", "key_size", "value_size", "max_entries", "map_flags"].forEach((n, i) => v.setUint32(4 * i, f(n), true));
    info.set(mem.readFieldBytes(map!, "bpf_map", "name"), 24);
    return putInfo(attr!, uattr!, info);
  });
  set("bpf_prog_get_info_by_fd", ([, prog, attr, uattr]) => {
    const info = new Uint8Array(PROG_INFO_SIZE);
    const v = new DataView(info.buffer);
    const aux = mem.readField(prog!, "bpf_prog", "aux");
    v.setUint32(0, Number(mem.readField(prog!, "bpf_prog", "type")), true);
    v.setUint32(4, Number(mem.readField(aux, "bpf_prog_aux", "id")), true);
    info.set(mem.readFieldBytes(prog!, "bpf_prog", "tag"), 8);
    v.setUint32(16, Number(mem.readField(prog!, "bpf_prog", "jited_len")), true);
    v.setUint32(20, 8 * Number(mem.readField(prog!, "bpf_prog", "len")), true);
    v.setBigUint64(40, mem.readField(aux, "bpf_prog_aux", "load_time"), true);
    info.set(mem.readFieldBytes(aux, "bpf_prog_aux", "name"), 64);
    return putInfo(attr!, uattr!, info);
  });
  return (fd) => {
    const file = model.files.get(Number(fd));
    return file === undefined ? undefined : privateOf(file);
  };
}

/** Closes bpf fd `fd` (its file's release: bpf_map_release or bpf_prog_release); -EBADF if it is not one. */
export function bpfClose(k: Kernel, fd: bigint): bigint {
  const model = bpfModel(k);
  const n = Number(fd);
  const file = model.files.get(n);
  if (file === undefined) return neg(EBADF);
  model.files.delete(n);
  const obj = k.memory.readField(file, "file", "private_data");
  const ret = k.callByName(model.maps.has(obj) ? "bpf_map_release" : "bpf_prog_release", [0n, file]);
  k.memory.free(file);
  return ret;
}

/** The RCU grace period ends: every callback queued since the last one runs (free_item, __bpf_prog_put_rcu). */
export function bpfRcuGracePeriod(k: Kernel): number {
  const model = bpfModel(k);
  const n = model.rcu.length;
  for (const cb of model.rcu.splice(0, n)) k.call(cb.fn, [cb.arg]);
  return n;
}

/** A union bpf_attr image in user memory (size bytes of zeros with the given u32/u64 fields and name set). */
export function userAttr(k: Kernel, size: number, u32: Readonly<Record<number, number>>, u64: Readonly<Record<number, bigint>> = {}, name?: [number, string]): bigint {
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  for (const [off, x] of Object.entries(u32)) v.setUint32(Number(off), x, true);
  for (const [off, x] of Object.entries(u64)) v.setBigUint64(Number(off), x, true);
  if (name) b.set(new TextEncoder().encode(name[1]), name[0]);
  return k.memory.userSpace(k.current().tgid).heapAlloc(size, b);
}

/** sizeof(union bpf_attr) of this kernel's BTF. */
export function attrSize(k: Kernel): number {
  return sizeOf(k, "bpf_attr", BtfKind.UNION);
}

/**
 * A tool loads its BPF objects as a libbpf light skeleton does, then
 * unloads: a hash and an array map created, filled (one update replaces an
 * element, one insert past what the tool checks fails with -EEXIST), read
 * back, walked with get_next_key, one element deleted (and one array delete
 * refused); a syscall program and a raw_tp program loaded (with a verifier
 * log buffer for one) and test-run; the map's and a program's info read;
 * every fd closed; the RCU grace period ends with the step.
 */
export function bpfStep(k: Kernel, _objectOfFd?: (fd: bigint) => bigint | undefined): void {
  const user = k.memory.userSpace(k.current().tgid);
  const size = attrSize(k);
  const bufs: bigint[] = [];
  const buf = (n: number) => {
    const a = user.heapAlloc(n);
    bufs.push(a);
    return a;
  };
  const bpf = (cmd: bigint, attr: bigint) => {
    bufs.push(attr);
    return syscall(k, "bpf", [cmd, attr, BigInt(size)]);
  };
  const fds: bigint[] = [];
  const keyBuf = buf(8);
  const valBuf = buf(8);
  const put64 = (addr: bigint, v: bigint) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v, true);
    user.write(addr, b);
  };
  const rng = k.rng;
  const nKeys = rng.int(2, 6);
  for (const [type, name] of [
    [BPF_MAP_TYPE_HASH, "counts"],
    [BPF_MAP_TYPE_ARRAY, "config"],
  ] as const) {
    const fd = bpf(BPF_MAP_CREATE, userAttr(k, size, { [ATTR.map_type]: type, [ATTR.key_size]: type === BPF_MAP_TYPE_HASH ? 8 : 4, [ATTR.value_size]: 8, [ATTR.max_entries]: 16 }, {}, [ATTR.map_name, name]));
    if (isErr(fd)) continue;
    fds.push(fd);
    const elem = (cmd: bigint, key: bigint, value: bigint, flags = 0n) => {
      put64(keyBuf, key);
      put64(valBuf, value);
      return bpf(cmd, userAttr(k, size, { [ATTR.map_fd]: Number(fd) }, { [ATTR.key]: keyBuf, [ATTR.value]: valBuf, [ATTR.flags]: flags }));
    };
    for (let i = 0; i < nKeys; i++) elem(BPF_MAP_UPDATE_ELEM, BigInt(i), BigInt(rng.int(1, 1000)));
    elem(BPF_MAP_UPDATE_ELEM, 0n, 7n, BPF_EXIST); // replaces key 0 (a hash element freed after the grace period)
    elem(BPF_MAP_UPDATE_ELEM, 1n, 9n, BPF_NOEXIST); // -EEXIST
    elem(BPF_MAP_LOOKUP_ELEM, 0n, 0n);
    elem(BPF_MAP_LOOKUP_ELEM, 99n, 0n); // -ENOENT
    // Walk the keys as bpftool map dump does: NULL key first, then each key returned.
    let cur = 0n;
    for (let i = 0; i < 20; i++) {
      const r = bpf(BPF_MAP_GET_NEXT_KEY, userAttr(k, size, { [ATTR.map_fd]: Number(fd) }, { [ATTR.key]: cur, [ATTR.value]: keyBuf }));
      if (r !== 0n) break;
      cur = keyBuf;
    }
    elem(BPF_MAP_DELETE_ELEM, 1n, 0n);
    const info = buf(64);
    bpf(BPF_OBJ_GET_INFO_BY_FD, userAttr(k, size, { [ATTR.info_bpf_fd]: Number(fd), [ATTR.info_info_len]: 64 }, { [ATTR.info_info]: info }));
  }
  // Programs: a syscall program (the light skeleton's loader) and a raw_tp program, each test-run once.
  const license = user.allocString("GPL");
  bufs.push(license);
  for (const [type, name, withLog] of [
    [BPF_PROG_TYPE_SYSCALL, "loader", true],
    [BPF_PROG_TYPE_RAW_TRACEPOINT, "handle_exec", false],
  ] as const) {
    const n = rng.int(2, 64);
    const insns = buf(8 * n);
    // Now and then a program the verifier refuses (it reads 8 bytes of its context first: -EACCES).
    if (rng.chance(0.05)) user.write(insns, new Uint8Array([0x79, 0x10, 0, 0, 0, 0, 0, 0]));
    const log = withLog ? buf(256) : 0n;
    const fd = bpf(
      BPF_PROG_LOAD,
      userAttr(k, size, { [ATTR.prog_type]: type, [ATTR.insn_cnt]: n, [ATTR.log_level]: withLog ? 1 : 0, [ATTR.log_size]: withLog ? 256 : 0 }, { [ATTR.insns]: insns, [ATTR.license]: license, [ATTR.log_buf]: log }, [ATTR.prog_name, name]),
    );
    if (isErr(fd)) continue;
    fds.push(fd);
    const ctx = buf(16);
    put64(ctx, BigInt(rng.int(0, 3)));
    bpf(BPF_PROG_TEST_RUN, userAttr(k, size, { [ATTR.test_prog_fd]: Number(fd), [ATTR.test_ctx_size_in]: 16 }, { [ATTR.test_ctx_in]: ctx }));
    const info = buf(96);
    bpf(BPF_OBJ_GET_INFO_BY_FD, userAttr(k, size, { [ATTR.info_bpf_fd]: Number(fd), [ATTR.info_info_len]: 96 }, { [ATTR.info_info]: info }));
  }
  for (const fd of fds) bpfClose(k, fd);
  for (const a of bufs) user.heapFree(a);
  bpfRcuGracePeriod(k);
}
