// BTF breadth (issue #18): the synthetic kernel's BTF carries what real BPF
// programs built against a kernel's vmlinux.h need. The UAPI enums are
// compared with the real Linux 6.18 BTF (test/fixtures/vmlinux-6.18) value by
// value; the structs meant to have Linux's shape are compared member offset
// by member offset; tracepoint records against the model's own format files.
// Then three programs written for these tests in libbpf-tools style
// (test/fixtures/btf-breadth, built by its build.sh against the synthetic
// header) load, relocate and run on the synthetic kernel.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Btf } from "../../src/btf/btf.js";
import { BtfKind } from "../../src/btf/kinds.js";
import { cTypeName } from "../../src/btf/index.js";
import { sizeOf, skipModsAndTypedefs } from "../../src/btf/layout.js";
import { findMember, memberNames } from "../../src/btf/members.js";
import { relocateCore } from "../../src/loader/core.js";
import { BpfObject } from "../../src/loader/object.js";
import { openObject } from "../../src/loader/open.js";
import { syntheticVmlinux } from "../../src/kernel-model/vmlinux.js";
import { standardTracepoints } from "../../src/kernel-model/tracepoint-defs/index.js";
import { bootSyntheticKernel, machineOf } from "../../src/syscall/boot.js";
import { vmlinuxBtf } from "../helpers/fixtures.js";

const syn = syntheticVmlinux();
const OBJ = "test/fixtures/btf-breadth/obj/";

type EnumShape = { kind: string; name: string; size: number; signed: boolean; values: string[] };

/** The enum (ENUM or ENUM64) that has an enumerator `value`, as kind/name/size/signedness/values. */
function enumWith(btf: Btf, value: string): EnumShape[] {
  const found: EnumShape[] = [];
  for (let id = 1; id < btf.typeCount; id++) {
    const t = btf.typeById(id);
    if ((t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64) && t.values.some((v) => v.name === value)) {
      found.push({
        kind: t.kind === BtfKind.ENUM ? "enum" : "enum64",
        name: t.name,
        size: t.size,
        signed: t.signed,
        values: t.values.map((v) => `${v.name}=${v.value}`),
      });
    }
  }
  return found;
}

function structId(btf: Btf, name: string): number {
  const id = btf.findByNameKind(name, BtfKind.STRUCT);
  if (id === undefined) throw new Error(`no struct ${name}`);
  return id;
}

/** name -> "bitOffset/bitfieldSize/byteSize" for the named members (all visible ones by default). */
function layoutOf(btf: Btf, struct: string, fields?: readonly string[]): Record<string, string> {
  const id = structId(btf, struct);
  const out: Record<string, string> = {};
  for (const f of fields ?? memberNames(btf, id)) {
    const m = findMember(btf, id, f);
    if (!m) throw new Error(`struct ${struct} has no member ${f}`);
    out[f] = `${m.bitsOffset}/${m.member.bitfieldSize}/${sizeOf(btf, m.member.type)}`;
  }
  return out;
}

describe("synthetic BTF breadth: UAPI enums as Linux 6.18's BTF has them", () => {
  const real = vmlinuxBtf();
  // one enumerator per enum: the enum holding it must be the same type (kind, name, size, signedness, every value)
  const groups = [
    "false", // anonymous: false, true
    "BPF_ANY", // anonymous: BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK
    "BPF_F_CURRENT_CPU", // anonymous ENUM64: BPF_F_INDEX_MASK, BPF_F_CURRENT_CPU, BPF_F_CTXLEN_MASK
    "BPF_F_USER_STACK", // anonymous: BPF_F_SKIP_FIELD_MASK .. BPF_F_USER_BUILD_ID
    "BPF_F_NO_PREALLOC",
    "BPF_RB_NO_WAKEUP",
    "BPF_RB_AVAIL_DATA",
    "TCP_ESTABLISHED",
    "IPPROTO_TCP",
    "NR_SOFTIRQS",
    "BPF_FUNC_get_func_ip", // enum bpf_func_id
    "NR_FREE_PAGES", // enum zone_stat_item
    "BPF_MAP_TYPE_RINGBUF",
    "BPF_PROG_TYPE_TRACING",
    "BPF_TRACE_ITER", // enum bpf_attach_type
  ];
  for (const g of groups) {
    it(`the enum holding ${g}`, () => {
      const want = enumWith(real, g);
      expect(want).toHaveLength(1);
      expect(enumWith(syn, g)).toEqual(want);
    });
  }

  it("has the anonymous ones as anonymous types and the helper ids up to __BPF_FUNC_MAX_ID", () => {
    for (const g of ["false", "BPF_ANY", "BPF_F_CURRENT_CPU", "TCP_ESTABLISHED", "IPPROTO_TCP", "NR_SOFTIRQS"]) expect(enumWith(syn, g)[0]!.name, g).toBe("");
    const ids = enumWith(syn, "__BPF_FUNC_MAX_ID")[0]!;
    expect(ids.name).toBe("bpf_func_id");
    // every helper id 0..max-1, in order, then the max
    expect(ids.values.map((v) => Number(v.split("=")[1]))).toEqual([...Array(ids.values.length).keys()]);
  });

  it("has no socket-family enum, as no Linux BTF has (AF_* are #defines)", () => {
    expect(enumWith(real, "AF_INET")).toEqual([]);
    expect(enumWith(syn, "AF_INET")).toEqual([]);
  });
});

describe("synthetic BTF breadth: the structs issue #18 lists for tracing programs", () => {
  // Each defined (complete, by that name) in the kernel BTF, so `btf dump --kernel --format c` prints its body.
  const listed = [
    "task_struct", "mm_struct", "signal_struct", "cred", "pid", "upid", "pid_namespace", "nsproxy", "css_set", "cgroup", "kernfs_node",
    "rq", "cfs_rq", "sched_entity", "files_struct", "fdtable", "file", "path", "dentry", "qstr", "inode", "super_block", "vfsmount",
    "mount", "fs_struct", "address_space", "folio", "page", "sock", "sock_common", "inet_sock", "inet_connection_sock", "tcp_sock",
    "udp_sock", "ipv6_pinfo", "sk_buff", "skb_shared_info", "iphdr", "ipv6hdr", "tcphdr", "udphdr", "ethhdr", "net_device", "net",
    "request", "request_queue", "gendisk", "block_device", "bio", "kmem_cache", "irqaction", "oom_control", "bpf_iter_meta",
  ];
  it(`defines all ${listed.length}`, () => {
    expect(listed.filter((s) => syn.findByNameKind(s, BtfKind.STRUCT) === undefined || sizeOf(syn, structId(syn, s)) === 0)).toEqual([]);
  });
});

describe("synthetic BTF breadth: structs in Linux 6.18's shape", () => {
  const real = vmlinuxBtf();
  // every member, every offset, and the size as in 6.18
  const whole = [
    "tcphdr",
    "nlmsghdr",
    "netlink_callback",
    "in6_pktinfo",
    "inet6_cork",
    "ipv6_pinfo",
    "fs_struct",
    "nsproxy",
    "upid",
    "pid",
    "mount",
    "cfs_rq",
    "irqaction",
    "oom_control",
    "bpf_pidns_info",
    "bpf_perf_event_data",
    "syscall_trace_enter",
    "syscall_trace_exit",
    "trace_event_raw_sys_enter",
    "trace_event_raw_sys_exit",
    "trace_event_raw_inet_sock_set_state",
    "trace_event_raw_tcp_event_sk",
    "trace_event_raw_kmalloc",
    "trace_event_raw_kfree",
    "trace_event_raw_kmem_cache_alloc",
    "trace_event_raw_kmem_cache_free",
    "trace_event_raw_mm_page_alloc",
    "trace_event_raw_mm_page_free",
    "trace_event_raw_percpu_alloc_percpu",
    "trace_event_raw_percpu_free_percpu",
    "trace_event_raw_signal_generate",
    "trace_event_raw_sched_switch",
    "trace_event_raw_net_dev_template",
    "trace_event_raw_net_dev_xmit",
    "bpf_iter_meta",
    "bpf_iter__task",
    "bpf_iter__task_file",
    "bpf_iter__bpf_map",
    "bpf_iter__bpf_prog",
    "bpf_iter__netlink",
    "bpf_iter__ipv6_route",
    "bpf_ringbuf",
    "irq_work",
    "rcuwait",
    "skb_shared_info",
    "skb_frag",
    "iphdr",
    "ipv6hdr",
    "udphdr",
    "ethhdr",
  ];
  for (const s of whole) {
    it(`struct ${s}: members, offsets, bitfields and size`, () => {
      expect(layoutOf(syn, s)).toEqual(layoutOf(real, s));
      expect(sizeOf(syn, structId(syn, s))).toBe(sizeOf(real, structId(real, s)));
    });
  }

  // trimmed or 6.12-shaped structs: the members tracing tools read, at Linux's offsets
  const partial: [string, string[]][] = [
    ["rq", ["__lock", "nr_running", "nr_numa_running", "nr_preferred_running", "numa_migrate_on", "last_blocked_load_update_tick", "has_blocked_load", "nohz_csd", "nohz_tick_stopped", "nohz_flags", "ttwu_pending", "nr_switches", "cfs"]],
    ["page", ["flags", "lru", "mapping", "private", "pp", "dma_addr", "compound_head", "callback_head", "_mapcount", "page_type", "_refcount", "memcg_data"]],
    ["folio", ["flags", "lru", "mapping", "private", "swap", "_mapcount", "_refcount", "memcg_data", "page"]],
    ["pid_namespace", ["idr", "rcu", "pid_allocated", "child_reaper", "pid_cachep", "level", "pid_max", "parent", "bacct", "user_ns", "ucounts", "reboot"]],
  ];
  for (const [s, fields] of partial) {
    it(`struct ${s}: ${fields.length} members at Linux's offsets`, () => {
      expect(layoutOf(syn, s, fields)).toEqual(layoutOf(real, s, fields));
    });
  }
  it("struct page is Linux's 64 bytes", () => {
    expect(sizeOf(syn, structId(syn, "page"))).toBe(sizeOf(real, structId(real, "page")));
  });

  it("the 6.12-shaped ones have the members tools read", () => {
    // pid_namespace.ns at Linux's offset (its ns_common is 6.12's, smaller than 6.18's)
    const ns = (b: Btf) => findMember(b, structId(b, "pid_namespace"), "ns")!.bitsOffset;
    expect(ns(syn)).toBe(ns(real));
    expect(Object.keys(layoutOf(syn, "mnt_namespace"))).toEqual(Object.keys(layoutOf(real, "mnt_namespace")));
    expect(Object.keys(layoutOf(syn, "kmem_cache", ["name", "size", "object_size", "cpu_slab", "list"]))).toHaveLength(5);
    // netlink_sock.cb: klockstat reads cb.nlh
    const cb = findMember(syn, structId(syn, "netlink_sock"), "cb")!;
    expect(syn.typeById(skipModsAndTypedefs(syn, cb.member.type)).name).toBe("netlink_callback");
  });

  it("has the typedefs programs name", () => {
    const td = (name: string) => {
      const id = syn.findByNameKind(name, BtfKind.TYPEDEF);
      expect(id, name).toBeDefined();
      const t = syn.typeById(id!);
      return t.kind === BtfKind.TYPEDEF ? syn.typeById(t.type) : undefined;
    };
    expect(td("kprobe_opcode_t")).toMatchObject({ kind: BtfKind.INT, name: "int", size: 4 });
    expect(td("uint32_t")).toMatchObject({ kind: BtfKind.TYPEDEF, name: "u32" });
    expect(td("bpf_user_pt_regs_t")).toMatchObject({ kind: BtfKind.STRUCT, name: "pt_regs" });
  });
});

describe("synthetic BTF breadth: tracepoint records and btf_trace typedefs match the model's events", () => {
  const tps = standardTracepoints();
  for (const tp of tps) {
    it(`${tp.category}:${tp.name}: every format field at its offset in the BTF record`, () => {
      if (tp.category === "syscalls") {
        // struct syscall_trace_enter/exit: nr is __syscall_nr, args[i] / ret the 8-byte slots after it
        const s = tp.name.startsWith("sys_enter_") ? "syscall_trace_enter" : "syscall_trace_exit";
        const id = structId(syn, s);
        const nr = tp.fields.find((f) => f.name === "__syscall_nr")!;
        expect(findMember(syn, id, "nr")!.bitsOffset / 8).toBe(nr.offset);
        const rest = tp.fields.filter((f) => f !== nr);
        const base = findMember(syn, id, s === "syscall_trace_enter" ? "args" : "ret")!.bitsOffset / 8;
        expect(rest.map((f) => f.offset)).toEqual(rest.map((_, i) => base + 8 * i));
        return;
      }
      // struct trace_event_raw_<class>: `ent`, then exactly the format's fields in order (a __data_loc
      // field is `u32 __data_loc_<name>`), then the `__data` flexible array, as TRACE_EVENT() declares it.
      const id = structId(syn, `trace_event_raw_${tp.class ?? tp.name}`);
      const got = memberNames(syn, id).map((n) => {
        const m = findMember(syn, id, n)!;
        return [n, m.bitsOffset / 8, sizeOf(syn, m.member.type)];
      });
      const dataAt = tp.fields.length ? Math.max(...tp.fields.map((f) => f.offset + f.size)) : 8;
      expect(got).toEqual([
        ["ent", 0, 8],
        ...tp.fields.map((f) => [f.decl.startsWith("__data_loc") ? `__data_loc_${f.name}` : f.name, f.offset, f.size]),
        ["__data", dataAt, 0],
      ]);
    });
    if (tp.category !== "syscalls") {
      it(`btf_trace_${tp.name}: the raw tracepoint's prototype`, () => {
        const id = syn.findByNameKind(`btf_trace_${tp.name}`, BtfKind.TYPEDEF)!;
        expect(id).toBeDefined();
        const ptr = syn.typeById(skipModsAndTypedefs(syn, id));
        const proto = ptr.kind === BtfKind.PTR ? syn.typeById(ptr.type) : undefined;
        expect(proto?.kind).toBe(BtfKind.FUNC_PROTO);
        // unnamed parameters, as in Linux's BTF: `void *` (the probe's data), then TP_PROTO's types
        const params = proto?.kind === BtfKind.FUNC_PROTO ? proto.params.map((p) => cTypeName(syn, p.type).replace(/\s+\*/g, " *")) : [];
        const norm = (c: string) => c.replace(/^unsigned long$/, "long unsigned int").replace(/^long$/, "long int").replace(/\s+\*/g, " *");
        expect(params).toEqual(["void *", ...tp.proto.map((p) => norm(p.type))]);
      });
    }
  }
});

describe("libbpf-tools-style programs built against the synthetic header", () => {
  const boot = () => machineOf(bootSyntheticKernel({ seed: 1, nrCpus: 2 }));
  const open = (name: string) => BpfObject.open(readFileSync(OBJ + name), name);
  const stats = (obj: BpfObject, map: string) => obj.entries(map).map((e) => BigInt.asIntN(64, BigInt(e.valueData as number | string)));

  /** Every CO-RE relocation of `file` against the synthetic and the 6.18 BTF: [spec, synthetic value, 6.18 value]. */
  function relocations(file: string): [string, bigint, bigint][] {
    const obj = openObject(readFileSync(OBJ + file), { name: file });
    const out: [string, bigint, bigint][] = [];
    for (const p of obj.programs) {
      const a = relocateCore(obj.btf!, syn, p.coreRelos, p.insns, { program: p.name });
      const b = relocateCore(obj.btf!, vmlinuxBtf(), p.coreRelos, p.insns, { program: p.name });
      a.forEach((r, i) => {
        expect(r.poisoned, `${file} ${r.spec}`).toBe(false);
        out.push([r.spec.replace(/^\S+ \[\d+\] /, "").replace(/ \(.*$/, "").replace(/ = -?\d+$/, ""), r.newValue!, b[i]!.newValue!]);
      });
    }
    return out;
  }

  it("runqlen: cfs_rq.nr_queued and rq.nr_running relocate to Linux's offsets; one count per context switch", () => {
    const rel = relocations("runqlen.bpf.o");
    const linuxShaped = rel.filter(([spec]) => /^struct (cfs_rq|rq)\./.test(spec));
    expect(linuxShaped.map(([s]) => s).sort()).toEqual(["struct cfs_rq.nr_queued", "struct cfs_rq.nr_queued", "struct cfs_rq.rq", "struct rq.nr_running"]);
    for (const [spec, a, b] of linuxShaped) expect(a, spec).toBe(b);
    const m = boot();
    const obj = open("runqlen.bpf.o").load(m).attach();
    expect(obj.status().map((s) => [s.name, s.loaded, s.attached])).toEqual([["on_switch", true, true]]);
    const before = m.callCount("sched_switch", "raw_tp");
    m.run("mixed", 300);
    const switches = BigInt(m.callCount("sched_switch", "raw_tp") - before);
    expect(switches).toBeGreaterThan(0n);
    const s = stats(obj, "stats");
    expect(s[0]).toBe(switches);
    // the field-exists guard ran on every switch whose task had a cfs_rq
    expect(s[4]).toBe(s[1]);
    obj.close();
  });

  it("tcpstates: TCP states and IPPROTO_TCP from the kernel's enums; the inet_sock_set_state record relocates as on 6.18", () => {
    const rel = relocations("tcpstates.bpf.o");
    const record = rel.filter(([spec]) => spec.startsWith("struct trace_event_raw_inet_sock_set_state."));
    expect(record.length).toBeGreaterThanOrEqual(9);
    for (const [spec, a, b] of record) expect(a, spec).toBe(b);
    const m = boot();
    const obj = open("tcpstates.bpf.o").load(m).attach();
    expect(obj.status().map((s) => [s.name, s.loaded, s.attached])).toEqual([
      ["on_send", true, true],
      ["on_set_state", false, false],
    ]);
    const before = m.callCount("tcp_sendmsg");
    m.run("net", 400);
    const sends = BigInt(m.callCount("tcp_sendmsg") - before);
    expect(sends).toBeGreaterThan(0n);
    const h = stats(obj, "hist");
    expect(h).toHaveLength(15);
    expect(h[14]).toBe(1n); // TCP_MAX_STATES == 14, the value the program was built with
    // every send counted once: by its socket's state, or in [0]
    expect(h.slice(0, 14).reduce((a, b) => a + b, 0n)).toBe(sends);
    obj.close();
  });

  it("syscount: syscall_trace_enter/exit records, BPF_F_CURRENT_CPU and bpf_func_id existence", () => {
    const rel = relocations("syscount.bpf.o");
    const records = rel.filter(([spec]) => /^struct syscall_trace_(enter|exit)\./.test(spec));
    expect(records.length).toBeGreaterThanOrEqual(3);
    for (const [spec, a, b] of records) expect(a, spec).toBe(b);
    const enums = rel.filter(([spec]) => spec.startsWith("enum bpf_func_id::"));
    expect(enums.map(([s]) => s).sort()).toEqual(["enum bpf_func_id::BPF_FUNC_check_mtu", "enum bpf_func_id::BPF_FUNC_get_func_ip", "enum bpf_func_id::__BPF_FUNC_MAX_ID"]);
    for (const [spec, a, b] of enums) expect(a, spec).toBe(b);
    const m = boot();
    const obj = open("syscount.bpf.o").load(m).attach();
    expect(obj.status().map((s) => [s.name, s.loaded, s.attached])).toEqual([
      ["on_enter", true, true],
      ["on_exit", true, true],
    ]);
    const enter = m.callCount("syscalls:sys_enter_write", "tracepoint");
    const exit = m.callCount("syscalls:sys_exit_write", "tracepoint");
    m.run("fs", 300);
    const s = stats(obj, "stats");
    expect(s[0]).toBe(BigInt(m.callCount("syscalls:sys_enter_write", "tracepoint") - enter));
    expect(s[2]).toBe(BigInt(m.callCount("syscalls:sys_exit_write", "tracepoint") - exit));
    expect(s[2]).toBeGreaterThan(0n);
    // bpf_perf_event_output(BPF_F_CURRENT_CPU) succeeded (a bad flag would be -EINVAL, no ring -ENOENT) and
    // wrote one {pid, ret} sample per exit into the ring of the CPU it ran on
    expect(s[5]).toBe(0n);
    const recs = obj.pollEvents().filter((r) => r.map === "events");
    expect(recs.map((r) => r.bytes.length).every((n) => n >= 16)).toBe(true);
    expect(BigInt(recs.length)).toBe(s[2]);
    expect(recs.every((r) => r.cpu !== undefined && r.cpu >= 0 && r.cpu < 2)).toBe(true);
    const rets = recs.map((r) => new DataView(r.bytes.buffer, r.bytes.byteOffset).getBigInt64(8, true));
    expect(rets.filter((v) => v >= 0n).reduce((a, b) => a + b, 0n)).toBe(s[3]);
    expect(BigInt(rets.filter((v) => v < 0n).length)).toBe(s[4]);
    expect([s[6], s[7]]).toEqual([1n, 1n]);
    const max = enumWith(syn, "__BPF_FUNC_MAX_ID")[0]!.values.at(-1)!;
    expect(s[8]).toBe(BigInt(max.split("=")[1]!));
    obj.close();
  });
});
