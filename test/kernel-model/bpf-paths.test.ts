// The kernel model's bpf(2) paths (src/kernel-model/paths/bpf.ts), driven
// through the syscall entry on a fresh synthetic kernel: union bpf_attr in
// the task's user memory, the kernel's functions in Linux 6.12's order,
// objects filled as Linux fills them, errnos as Linux returns them, hash
// elements and programs freed only when the RCU grace period ends, and the
// mixed workload's bpfStep reaching every bpf.h function without leaking.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { findMember } from "../../src/btf/members.js";
import { BtfKind } from "../../src/btf/kinds.js";
import type { Kernel } from "../../src/kernel-model/kernel.js";
import {
  ATTR,
  attrSize,
  BPF_MAP_CREATE,
  BPF_MAP_DELETE_ELEM,
  BPF_MAP_GET_NEXT_KEY,
  BPF_MAP_LOOKUP_ELEM,
  BPF_MAP_TYPE_ARRAY,
  BPF_MAP_TYPE_HASH,
  BPF_MAP_UPDATE_ELEM,
  BPF_OBJ_GET_INFO_BY_FD,
  BPF_PROG_LOAD,
  BPF_PROG_TEST_RUN,
  BPF_PROG_TYPE_RAW_TRACEPOINT,
  BPF_PROG_TYPE_SOCKET_FILTER,
  BPF_PROG_TYPE_SYSCALL,
  bpfClose,
  bpfModel,
  bpfRcuGracePeriod,
  bpfStep,
  userAttr,
} from "../../src/kernel-model/paths/bpf.js";
import { syscall } from "../../src/kernel-model/paths/syscalls.js";
import { SyntheticKernel } from "../../src/kernel-model/synthetic.js";
import { BpfObject } from "../../src/loader/object.js";
import { bootSyntheticKernel, machineOf } from "../../src/syscall/boot.js";

const neg = (e: number) => BigInt.asUintN(64, BigInt(-e));
const calls = (k: Kernel, name: string, which = 0) => k.functions.countsOf(k.functions.named(name).at(which)!).calls;

/** A kernel and the current task's user memory helpers. */
function setup(seed = 11) {
  const k = new SyntheticKernel({ seed });
  const size = attrSize(k);
  const user = k.memory.userSpace(k.current().tgid);
  const bpf = (cmd: bigint, u32: Record<number, number>, u64: Record<number, bigint> = {}, name?: [number, string]) => {
    const attr = userAttr(k, size, u32, u64, name);
    const r = syscall(k, "bpf", [cmd, attr, BigInt(size)]);
    user.heapFree(attr);
    return r;
  };
  const u64buf = (v = 0n) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v, true);
    return user.heapAlloc(8, b);
  };
  const readU64 = (addr: bigint) => {
    const b = new Uint8Array(8);
    user.read(b, addr);
    return new DataView(b.buffer).getBigUint64(0, true);
  };
  return { k, size, user, bpf, u64buf, readU64 };
}

describe("bpf(2) in the kernel model", () => {
  it("union bpf_attr's offsets are the kernel BTF's", () => {
    const k = new SyntheticKernel({ seed: 1 });
    const attr = k.btf.findByNameKind("bpf_attr", BtfKind.UNION)!;
    const off = (name: string) => findMember(k.btf, attr, name)!.bitsOffset / 8;
    expect([off("map_type"), off("key_size"), off("value_size"), off("max_entries"), off("map_flags"), off("map_name")]).toEqual([
      ATTR.map_type,
      ATTR.key_size,
      ATTR.value_size,
      ATTR.max_entries,
      ATTR.map_flags,
      ATTR.map_name,
    ]);
    expect([off("map_fd"), off("key"), off("value"), off("next_key"), off("flags")]).toEqual([ATTR.map_fd, ATTR.key, ATTR.value, ATTR.value, ATTR.flags]);
    expect([off("prog_type"), off("insn_cnt"), off("insns"), off("license"), off("log_level"), off("log_size"), off("log_buf"), off("prog_name")]).toEqual([
      ATTR.prog_type,
      ATTR.insn_cnt,
      ATTR.insns,
      ATTR.license,
      ATTR.log_level,
      ATTR.log_size,
      ATTR.log_buf,
      ATTR.prog_name,
    ]);
    const test = k.btf.typeById(findMember(k.btf, attr, "test")!.member.type);
    const info = k.btf.typeById(findMember(k.btf, attr, "info")!.member.type);
    const inner = (t: typeof test, name: string) => (t.kind === BtfKind.STRUCT ? t.members.find((m) => m.name === name)!.bitsOffset / 8 : -1);
    expect(["prog_fd", "retval", "repeat", "duration", "ctx_size_in", "ctx_in"].map((n) => inner(test, n))).toEqual([
      ATTR.test_prog_fd,
      ATTR.test_retval,
      ATTR.test_repeat,
      ATTR.test_duration,
      ATTR.test_ctx_size_in,
      ATTR.test_ctx_in,
    ]);
    expect(["bpf_fd", "info_len", "info"].map((n) => inner(info, n))).toEqual([ATTR.info_bpf_fd, ATTR.info_info_len, ATTR.info_info]);
  });

  it("a hash map: create, update (BPF_ANY/NOEXIST/EXIST), lookup, get_next_key walk, delete, info, close; elements freed after the grace period", () => {
    const { k, bpf, u64buf, readU64, user } = setup();
    const fd = bpf(BPF_MAP_CREATE, { [ATTR.map_type]: BPF_MAP_TYPE_HASH, [ATTR.key_size]: 8, [ATTR.value_size]: 8, [ATTR.max_entries]: 3 }, {}, [ATTR.map_name, "counts"]);
    expect(fd).toBe(3n);
    const model = bpfModel(k);
    const map = [...model.maps.keys()][0]!;
    const field = (f: string) => k.memory.readField(map, "bpf_map", f);
    expect(["map_type", "key_size", "value_size", "max_entries", "id", "refcnt.counter"].map(field)).toEqual([1n, 8n, 8n, 3n, 1n, 1n]);
    expect(k.memory.readField(map, "bpf_htab", "n_buckets")).toBe(4n);
    const key = u64buf();
    const val = u64buf();
    const upd = (kk: bigint, v: bigint, flags = 0n) => {
      user.write(key, new Uint8Array(new BigUint64Array([kk]).buffer));
      user.write(val, new Uint8Array(new BigUint64Array([v]).buffer));
      return bpf(BPF_MAP_UPDATE_ELEM, { [ATTR.map_fd]: 3 }, { [ATTR.key]: key, [ATTR.value]: val, [ATTR.flags]: flags });
    };
    expect([upd(10n, 100n), upd(20n, 200n), upd(30n, 300n), upd(40n, 400n)]).toEqual([0n, 0n, 0n, neg(7)]); // the fourth: -E2BIG (max_entries 3)
    expect([upd(10n, 111n, 1n), upd(50n, 1n, 2n), upd(10n, 101n, 2n), upd(10n, 1n, 4n)]).toEqual([neg(17), neg(2), 0n, neg(22)]);
    expect(k.memory.readField(map, "bpf_htab", "count.counter")).toBe(3n);
    // The replaced element of key 10 waits for the grace period.
    expect(calls(k, "free_htab_elem")).toBe(1);
    expect(calls(k, "free_item", -1)).toBe(0);
    user.write(key, new Uint8Array(new BigUint64Array([10n]).buffer));
    expect(bpf(BPF_MAP_LOOKUP_ELEM, { [ATTR.map_fd]: 3 }, { [ATTR.key]: key, [ATTR.value]: val })).toBe(0n);
    expect(readU64(val)).toBe(101n);
    user.write(key, new Uint8Array(new BigUint64Array([99n]).buffer));
    expect(bpf(BPF_MAP_LOOKUP_ELEM, { [ATTR.map_fd]: 3 }, { [ATTR.key]: key, [ATTR.value]: val })).toBe(neg(2));
    // get_next_key: NULL key -> the first key; a key not in the map -> the first key; the last -> -ENOENT.
    const seen: bigint[] = [];
    let cur = 0n;
    const next = u64buf();
    for (;;) {
      const r = bpf(BPF_MAP_GET_NEXT_KEY, { [ATTR.map_fd]: 3 }, { [ATTR.key]: cur, [ATTR.value]: next });
      if (r !== 0n) {
        expect(r).toBe(neg(2));
        break;
      }
      seen.push(readU64(next));
      cur = key;
      user.write(key, new Uint8Array(new BigUint64Array([readU64(next)]).buffer));
    }
    expect(seen).toEqual([10n, 20n, 30n]);
    user.write(key, new Uint8Array(new BigUint64Array([20n]).buffer));
    expect([bpf(BPF_MAP_DELETE_ELEM, { [ATTR.map_fd]: 3 }, { [ATTR.key]: key }), bpf(BPF_MAP_DELETE_ELEM, { [ATTR.map_fd]: 3 }, { [ATTR.key]: key })]).toEqual([0n, neg(2)]);
    // struct bpf_map_info: type, id, key/value size, max_entries, flags, name; info_len written back.
    const info = user.heapAlloc(64);
    const attr = userAttr(k, attrSize(k), { [ATTR.info_bpf_fd]: 3, [ATTR.info_info_len]: 64 }, { [ATTR.info_info]: info });
    expect(syscall(k, "bpf", [BPF_OBJ_GET_INFO_BY_FD, attr, BigInt(attrSize(k))])).toBe(0n);
    const ib = new Uint8Array(40);
    user.read(ib, info);
    const iv = new DataView(ib.buffer);
    expect([0, 4, 8, 12, 16, 20].map((o) => iv.getUint32(o, true))).toEqual([1, 1, 8, 8, 3, 0]);
    expect(new TextDecoder().decode(ib.subarray(24, 30))).toBe("counts");
    const lb = new Uint8Array(4);
    user.read(lb, attr + BigInt(ATTR.info_info_len));
    expect(new DataView(lb.buffer).getUint32(0, true)).toBe(40);
    // The map's refcount is back to 1 after every command (bpf_map_get/bpf_map_put pairs).
    expect(field("refcnt.counter")).toBe(1n);
    expect(calls(k, "bpf_map_get")).toBe(calls(k, "bpf_map_put"));
    expect(bpfClose(k, 3n)).toBe(0n);
    expect(model.maps.size).toBe(0);
    expect([calls(k, "bpf_map_release"), calls(k, "bpf_map_free_id"), calls(k, "bpf_map_free_deferred"), calls(k, "htab_map_free")]).toEqual([1, 1, 1, 1]);
    // Freed: the replaced 10 and deleted 20 elements, then 10 and 30 with the map; the slab gets them at the grace period.
    expect(calls(k, "bpf_mem_cache_free")).toBe(4);
    expect(calls(k, "free_item", -1)).toBe(0);
    expect(bpfRcuGracePeriod(k)).toBe(4);
    expect(calls(k, "free_item", -1)).toBe(4);
    expect(calls(k, "free_item", 0)).toBe(0); // sched.h's static free_item is another function
    expect(bpfClose(k, 3n)).toBe(neg(9));
  });

  it("an array map: fixed keys, -E2BIG past the end, NOEXIST refused, delete -EINVAL, get_next_key from any index", () => {
    const { k, bpf, u64buf, readU64, user } = setup();
    const fd = bpf(BPF_MAP_CREATE, { [ATTR.map_type]: BPF_MAP_TYPE_ARRAY, [ATTR.key_size]: 4, [ATTR.value_size]: 8, [ATTR.max_entries]: 4 }, {}, [ATTR.map_name, "config"]);
    expect(fd).toBe(3n);
    const key = u64buf();
    const val = u64buf(77n);
    const at = (i: number) => user.write(key, new Uint8Array(new Uint32Array([i]).buffer));
    at(2);
    expect(bpf(BPF_MAP_UPDATE_ELEM, { [ATTR.map_fd]: 3 }, { [ATTR.key]: key, [ATTR.value]: val })).toBe(0n);
    expect(bpf(BPF_MAP_UPDATE_ELEM, { [ATTR.map_fd]: 3 }, { [ATTR.key]: key, [ATTR.value]: val, [ATTR.flags]: 1n })).toBe(neg(17));
    at(4);
    expect(bpf(BPF_MAP_UPDATE_ELEM, { [ATTR.map_fd]: 3 }, { [ATTR.key]: key, [ATTR.value]: val })).toBe(neg(7));
    at(2);
    user.write(val, new Uint8Array(8));
    expect(bpf(BPF_MAP_LOOKUP_ELEM, { [ATTR.map_fd]: 3 }, { [ATTR.key]: key, [ATTR.value]: val })).toBe(0n);
    expect(readU64(val)).toBe(77n);
    at(1);
    expect(bpf(BPF_MAP_LOOKUP_ELEM, { [ATTR.map_fd]: 3 }, { [ATTR.key]: key, [ATTR.value]: val })).toBe(0n);
    expect(readU64(val)).toBe(0n);
    expect(bpf(BPF_MAP_DELETE_ELEM, { [ATTR.map_fd]: 3 }, { [ATTR.key]: key })).toBe(neg(22));
    const next = u64buf();
    const nextOf = (cur: bigint) => {
      const r = bpf(BPF_MAP_GET_NEXT_KEY, { [ATTR.map_fd]: 3 }, { [ATTR.key]: cur, [ATTR.value]: next });
      return r === 0n ? Number(readU64(next) & 0xffffffffn) : r;
    };
    at(3);
    const last = nextOf(key);
    at(9);
    expect([nextOf(0n), last, nextOf(key)]).toEqual([0, neg(2), 0]);
    expect(k.memory.readField([...bpfModel(k).maps.keys()][0]!, "bpf_array", "index_mask")).toBe(3n);
    expect(bpfClose(k, 3n)).toBe(0n);
    expect(calls(k, "array_map_free")).toBe(1);
  });

  it.each([
    ["an unknown command", 99n, {}, neg(22)],
    ["a map type the model lacks (stack_trace)", BPF_MAP_CREATE, { [ATTR.map_type]: 7, [ATTR.key_size]: 4, [ATTR.value_size]: 8, [ATTR.max_entries]: 4 }, neg(22)],
    ["an array with an 8-byte key", BPF_MAP_CREATE, { [ATTR.map_type]: BPF_MAP_TYPE_ARRAY, [ATTR.key_size]: 8, [ATTR.value_size]: 8, [ATTR.max_entries]: 4 }, neg(22)],
    ["a hash without entries", BPF_MAP_CREATE, { [ATTR.map_type]: BPF_MAP_TYPE_HASH, [ATTR.key_size]: 4, [ATTR.value_size]: 8, [ATTR.max_entries]: 0 }, neg(22)],
    ["a hash with an unknown flag", BPF_MAP_CREATE, { [ATTR.map_type]: BPF_MAP_TYPE_HASH, [ATTR.key_size]: 4, [ATTR.value_size]: 8, [ATTR.max_entries]: 4, [ATTR.map_flags]: 0x400 }, neg(22)],
    ["an element command on a closed fd", BPF_MAP_LOOKUP_ELEM, { [ATTR.map_fd]: 42 }, neg(9)],
    ["a test run of no program", BPF_PROG_TEST_RUN, { [ATTR.test_prog_fd]: 42 }, neg(9)],
    ["info of no fd", BPF_OBJ_GET_INFO_BY_FD, { [ATTR.info_bpf_fd]: 42 }, neg(9)],
    ["a program without instructions", BPF_PROG_LOAD, { [ATTR.prog_type]: BPF_PROG_TYPE_SYSCALL, [ATTR.insn_cnt]: 0 }, neg(22)],
    ["a program type the model lacks (xdp)", BPF_PROG_LOAD, { [ATTR.prog_type]: 6, [ATTR.insn_cnt]: 2 }, neg(22)],
  ])("%s", (_what, cmd, u32, want) => {
    const { bpf } = setup();
    expect(bpf(cmd, u32)).toBe(want);
  });

  it("attr size, tail and fault checks; a bad object name is -EINVAL and leaves nothing", () => {
    const { k, size, user, bpf } = setup();
    const big = user.heapAlloc(size + 8);
    expect(syscall(k, "bpf", [BPF_MAP_CREATE, big, BigInt(size + 8)])).toBe(neg(22)); // zero tail: map_type 0 is refused later
    user.write(big + BigInt(size + 4), new Uint8Array([1]));
    expect(syscall(k, "bpf", [BPF_MAP_CREATE, big, BigInt(size + 8)])).toBe(neg(7));
    expect(syscall(k, "bpf", [BPF_MAP_CREATE, big, 8192n])).toBe(neg(7));
    expect(syscall(k, "bpf", [BPF_MAP_CREATE, 0x10n, BigInt(size)])).toBe(neg(14));
    expect(bpf(BPF_MAP_CREATE, { [ATTR.map_type]: BPF_MAP_TYPE_HASH, [ATTR.key_size]: 4, [ATTR.value_size]: 8, [ATTR.max_entries]: 4 }, {}, [ATTR.map_name, "bad-name"])).toBe(neg(22));
    expect(bpfModel(k).maps.size).toBe(0);
    expect(calls(k, "htab_map_free")).toBe(1);
  });

  it("programs: load with a verifier log, JIT, id and name; test runs (syscall: pinned, raw_tp, socket filter -ENOTSUPP); info; close frees after the grace period", () => {
    const { k, user, bpf } = setup();
    const insns = user.heapAlloc(8 * 5);
    const license = user.allocString("GPL");
    const log = user.heapAlloc(256);
    const load = (type: number, name: string, withLog: boolean) =>
      bpf(BPF_PROG_LOAD, { [ATTR.prog_type]: type, [ATTR.insn_cnt]: 5, [ATTR.log_level]: withLog ? 1 : 0, [ATTR.log_size]: withLog ? 256 : 0 }, { [ATTR.insns]: insns, [ATTR.license]: license, [ATTR.log_buf]: withLog ? log : 0n }, [ATTR.prog_name, name]);
    const fd = load(BPF_PROG_TYPE_SYSCALL, "loader", true);
    expect(fd).toBe(3n);
    const lb = new Uint8Array(256);
    user.read(lb, log);
    expect(new TextDecoder().decode(lb.subarray(0, lb.indexOf(0)))).toBe("processed 5 insns (limit 1000000) max_states_per_insn 0 total_states 2 peak_states 2 mark_read 0\n");
    const prog = [...bpfModel(k).progs.keys()][0]!;
    const aux = k.memory.readField(prog, "bpf_prog", "aux");
    expect([k.memory.readField(prog, "bpf_prog", "type"), k.memory.readField(prog, "bpf_prog", "len"), k.memory.readField(prog, "bpf_prog", "jited_len")]).toEqual([31n, 5n, 62n]);
    expect([k.memory.readField(aux, "bpf_prog_aux", "id"), k.memory.readField(aux, "bpf_prog_aux", "verified_insns"), k.memory.readField(aux, "bpf_prog_aux", "prog")]).toEqual([1n, 5n, prog]);
    expect(k.memory.readField(prog, "bpf_prog", "bpf_func")).toBe(0xffffffffa0001000n); // the JIT image's slot for the first program
    expect([calls(k, "bpf_check"), calls(k, "bpf_verifier_log_write"), calls(k, "bpf_prog_select_runtime"), calls(k, "bpf_int_jit_compile"), calls(k, "bpf_prog_kallsyms_add")]).toEqual([1, 1, 1, 1, 1]);
    // Test runs: the program returns its context's first u32.
    const ctx = user.heapAlloc(16, new Uint8Array([7, 0, 0, 0]));
    const run = (progFd: number, ctxSize: number) => {
      const attr = userAttr(k, attrSize(k), { [ATTR.test_prog_fd]: progFd, [ATTR.test_ctx_size_in]: ctxSize }, { [ATTR.test_ctx_in]: ctx });
      const r = syscall(k, "bpf", [BPF_PROG_TEST_RUN, attr, BigInt(attrSize(k))]);
      const b = new Uint8Array(4);
      user.read(b, attr + BigInt(ATTR.test_retval));
      return [r, new DataView(b.buffer).getUint32(0, true)];
    };
    expect(run(3, 16)).toEqual([0n, 7]);
    expect(calls(k, "bpf_prog_run_pin_on_cpu")).toBe(1);
    expect(load(BPF_PROG_TYPE_RAW_TRACEPOINT, "handle_exec", false)).toBe(4n);
    expect(run(4, 12)).toEqual([neg(22), 0]);
    expect(run(4, 16)).toEqual([0n, 7]);
    expect(load(BPF_PROG_TYPE_SOCKET_FILTER, "filter", false)).toBe(5n);
    expect(run(5, 16)).toEqual([neg(524), 0]);
    expect(bpf(BPF_PROG_LOAD, { [ATTR.prog_type]: BPF_PROG_TYPE_SYSCALL, [ATTR.insn_cnt]: 5 }, { [ATTR.insns]: insns }, [ATTR.prog_name, "no spaces"])).toBe(neg(22));
    // struct bpf_prog_info: type, id, tag, jited and xlated lengths, load time, name.
    const info = user.heapAlloc(96);
    expect(bpf(BPF_OBJ_GET_INFO_BY_FD, { [ATTR.info_bpf_fd]: 3, [ATTR.info_info_len]: 96 }, { [ATTR.info_info]: info })).toBe(0n);
    const ib = new Uint8Array(80);
    user.read(ib, info);
    const iv = new DataView(ib.buffer);
    expect([iv.getUint32(0, true), iv.getUint32(4, true), iv.getUint32(16, true), iv.getUint32(20, true)]).toEqual([31, 1, 62, 40]);
    expect(ib.subarray(8, 16)).toEqual(k.memory.readFieldBytes(prog, "bpf_prog", "tag"));
    expect(iv.getBigUint64(40, true)).toBe(k.memory.readField(aux, "bpf_prog_aux", "load_time"));
    expect(new TextDecoder().decode(ib.subarray(64, 70))).toBe("loader");
    for (const fd of [3n, 4n, 5n]) expect(bpfClose(k, fd)).toBe(0n);
    expect([calls(k, "bpf_prog_release"), calls(k, "bpf_prog_put_deferred"), calls(k, "bpf_prog_kallsyms_del"), calls(k, "bpf_prog_free")]).toEqual([3, 3, 3, 1]); // one freed at load (bad name)
    expect(bpfRcuGracePeriod(k)).toBe(3);
    expect([calls(k, "__bpf_prog_put_rcu"), calls(k, "bpf_prog_free")]).toEqual([3, 4]);
    expect(bpfModel(k).progs.size).toBe(0);
  });

  it("the verifier's rejections are -EACCES with their log line, and the program is freed", () => {
    const { k, user, bpf } = setup();
    const insns = user.heapAlloc(8 * 4);
    const log = user.heapAlloc(128);
    const load = () => bpf(BPF_PROG_LOAD, { [ATTR.prog_type]: BPF_PROG_TYPE_SYSCALL, [ATTR.insn_cnt]: 4, [ATTR.log_level]: 1, [ATTR.log_size]: 128 }, { [ATTR.insns]: insns, [ATTR.log_buf]: log });
    // r0 = *(u64 *)(r1 +0) first: refused.
    user.write(insns, new Uint8Array([0x79, 0x10, 0, 0, 0, 0, 0, 0]));
    expect(load()).toBe(neg(13));
    const lb = new Uint8Array(128);
    user.read(lb, log);
    expect(new TextDecoder().decode(lb.subarray(0, lb.indexOf(0)))).toBe("0: (79) r0 = *(u64 *)(r1 +0)\ninvalid bpf_context access off=0 size=8\n");
    expect(k.functions.countsOf(k.functions.named("bpf_check")[0]!).errors).toBe(1);
    expect([calls(k, "bpf_prog_free"), calls(k, "bpf_prog_alloc_id"), bpfModel(k).progs.size]).toEqual([1, 0, 0]);
    // r0 = *(u64 *)(r1 +8) is no fault of the model's: accepted.
    user.write(insns, new Uint8Array([0x79, 0x10, 8, 0, 0, 0, 0, 0]));
    expect(load()).toBe(3n);
  });

  it("bpfStep reaches every function bpf.h declares and leaves no objects behind", () => {
    const header = readFileSync("src/kernel-model/headers/bpf.h", "utf8");
    const decls = header.slice(header.indexOf("The bpf(2) syscall's kernel side, Linux 6.12"));
    const names = [...decls.matchAll(/^[a-z][^;(]*?\b(\w+)\(/gm)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThanOrEqual(60);
    const k = new SyntheticKernel({ seed: 7 });
    bpfStep(k);
    const objects = k.memory.usage().liveObjects;
    for (let i = 0; i < 20; i++) bpfStep(k);
    const unreached = names.filter((n) => k.functions.named(n).every((f) => k.functions.countsOf(f).calls === 0));
    expect(unreached).toEqual([]);
    expect(calls(k, "free_item", -1)).toBeGreaterThan(0);
    expect(calls(k, "__x64_sys_bpf")).toBe(calls(k, "__sys_bpf"));
    expect(k.memory.usage().liveObjects).toBe(objects);
    const model = bpfModel(k);
    expect([model.files.size, model.maps.size, model.progs.size, model.rcu.length]).toEqual([0, 0, 0, 0]);
  });

  it("a libbpf-style tool sees the paths: syscalls:sys_enter_bpf by command and fentry on bpf_map_update_value with the map's name, key and flags", () => {
    const booted = bootSyntheticKernel({ seed: 9, nrCpus: 2 });
    const k = booted.kernel;
    const obj = BpfObject.open(readFileSync("test/fixtures/libbpf-style/obj/bpfwatch.bpf.o"), "bpfwatch.bpf.o").load(machineOf(booted)).attach();
    bpfStep(k);
    const byCmd = new Map(obj.entries("cmds").map((e) => [Number(e.keyData), Number(e.valueData)]));
    const truth: [number, string][] = [[0, "map_create"], [1, "map_lookup_elem"], [2, "map_update_elem"], [3, "map_delete_elem"], [4, "map_get_next_key"], [5, "bpf_prog_load"], [10, "bpf_prog_test_run"], [15, "bpf_obj_get_info_by_fd"]];
    expect([...byCmd].sort((a, b) => a[0] - b[0])).toEqual(truth.map(([cmd, fn]) => [cmd, calls(k, fn)]));
    const updates = obj.pollEvents().map((e) => e.data as { name: string; map_type: number; key_size: number; key: number; flags: number });
    expect(updates.length).toBe(calls(k, "bpf_map_update_value"));
    // Per map: keys 0..n-1 with BPF_ANY, then key 0 with BPF_EXIST and key 1 with BPF_NOEXIST.
    for (const [name, type, keySize] of [["counts", 1, 8], ["config", 2, 4]] as const) {
      const mine = updates.filter((u) => u.name === name);
      expect(mine.every((u) => u.map_type === type && u.key_size === keySize)).toBe(true);
      const n = mine.length - 2;
      expect(mine.map((u) => [u.key, u.flags])).toEqual([...Array.from({ length: n }, (_, i) => [i, 0]), [0, 2], [1, 1]]);
    }
    obj.close();
  });
});
