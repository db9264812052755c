// The synthetic kernel's BTF: built deterministically from its headers,
// read by bpftool exactly as we read it, laid out exactly as gcc + pahole lay
// out the same headers, with the Linux shapes tracing relies on.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BtfKind, cTypeName, dumpRaw, findMember, loadBtf, sizeOf, type Btf } from "../../src/btf/index.js";
import { dumpC } from "../../src/btf/format/c.js";
import { syntheticVmlinux, syntheticVmlinuxBytes } from "../../src/kernel-model/vmlinux.js";
import { FIXTURES, textDiff } from "../helpers/fixtures.js";

const DIR = join(FIXTURES, "synthetic-vmlinux");
const btf = syntheticVmlinux();

describe("synthetic vmlinux BTF", () => {
  it("is the committed blob, byte for byte (deterministic build)", () => {
    expect(Buffer.compare(Buffer.from(syntheticVmlinuxBytes()), readFileSync(join(DIR, "vmlinux.btf")))).toBe(0);
  });

  it("is read by bpftool exactly as we read it (raw and C dumps)", () => {
    expect(textDiff(dumpRaw(btf), readFileSync(join(DIR, "vmlinux.btf.raw.txt"), "utf8"))).toBeUndefined();
    expect(textDiff(dumpC(btf), readFileSync(join(DIR, "vmlinux.btf.c.h"), "utf8"))).toBeUndefined();
  });

  it("is deduplicated as pahole's btf__dedup leaves a kernel: no two types share kind, name and body; no ___N copies in a C dump", () => {
    const seen = new Map<string, number>();
    const dups: string[] = [];
    for (let id = 1; id < btf.typeCount; id++) {
      const body = JSON.stringify(btf.typeById(id), (_, v) => (typeof v === "bigint" ? `${v}n` : v));
      const first = seen.get(body);
      if (first !== undefined) dups.push(`[${first}] = [${id}] ${body.slice(0, 80)}`);
      else seen.set(body, id);
    }
    expect(dups).toEqual([]);
    expect(btf.typeCount - 1).toBe(3191);
    const c = dumpC(btf);
    expect(c.match(/\b\w+___\d+\b/g)).toBeNull();
    // possible_net_t was emitted twice (reached again while its struct's members were emitted): one typedef, used by both.
    expect(c.match(/\bpossible_net_t;/g)).toHaveLength(1);
    expect(c).toContain("\tpossible_net_t nd_net;\n");
    // struct_group(headers, ...) in sk_buff writes one anonymous struct twice (unnamed and as
    // `headers`): one type, which both members of the group's union use.
    const skb = btf.findByNameKind("sk_buff", BtfKind.STRUCT)!;
    const group = btf.typeById(findMember(btf, skb, "headers")!.path[0]!.type);
    expect(group.kind).toBe(BtfKind.UNION);
    const members = group.kind === BtfKind.UNION ? group.members : [];
    expect(members.map((m) => m.name)).toEqual(["", "headers"]);
    expect(members[0]!.type).toBe(members[1]!.type);
  });

  it("has gcc's layout for every struct and union (same headers through gcc + pahole)", () => {
    const gcc = loadBtf(readFileSync(join(FIXTURES, "kernel-headers", "kernel-headers.gcc.o"))).btf;
    const composites = (b: Btf) => {
      const out = new Map<string, string>();
      for (let id = 1; id < b.typeCount; id++) {
        const t = b.typeById(id);
        if ((t.kind === BtfKind.STRUCT || t.kind === BtfKind.UNION) && t.name) {
          out.set(`${t.kind === BtfKind.STRUCT ? "struct" : "union"} ${t.name}`, `${t.size}:${t.members.map((m) => `${m.name}@${m.bitsOffset}/${m.bitfieldSize}`).join(",")}`);
        }
      }
      return out;
    };
    const ours = composites(btf);
    const theirs = composites(gcc);
    expect(ours.size).toBeGreaterThan(90);
    for (const [name, layout] of theirs) expect(`${name} ${ours.get(name)}`).toBe(`${name} ${layout}`);
    expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
  });

  it("has the Linux shapes tracing relies on", () => {
    const skb = btf.findByNameKind("sk_buff", BtfKind.STRUCT)!;
    expect(sizeOf(btf, skb)).toBe(232);
    expect(cTypeName(btf, findMember(btf, skb, "dev")!.member.type, "dev")).toBe("struct net_device *dev");
    expect(cTypeName(btf, findMember(btf, skb, "sk")!.member.type, "sk")).toBe("struct sock *sk");
    expect(cTypeName(btf, findMember(btf, skb, "cb")!.member.type, "cb")).toBe("char cb[48]");
    expect(findMember(btf, skb, "pkt_type")!.member.bitfieldSize).toBe(3);
    expect(findMember(btf, skb, "len")).toBeDefined();
    expect(findMember(btf, skb, "data_len")).toBeDefined();
    const dev = btf.findByNameKind("net_device", BtfKind.STRUCT)!;
    expect(cTypeName(btf, findMember(btf, dev, "name")!.member.type, "name")).toBe("char name[16]");
    const task = btf.findByNameKind("task_struct", BtfKind.STRUCT)!;
    for (const f of ["pid", "tgid", "comm", "files", "mm"]) expect(findMember(btf, task, f), f).toBeDefined();
    const reason = btf.typeById(btf.findByNameKind("skb_drop_reason", BtfKind.ENUM)!);
    expect(reason.kind === BtfKind.ENUM && reason.values.slice(0, 2).map((v) => `${v.name}=${v.value}`)).toEqual(["SKB_NOT_DROPPED_YET=0", "SKB_DROP_REASON_NOT_SPECIFIED=1"]);
    for (const t of ["u32", "gfp_t", "refcount_t", "atomic_t"]) expect(btf.findByNameKind(t, BtfKind.TYPEDEF), t).toBeDefined();
    const send = btf.findByNameKind("ip_send_skb", BtfKind.FUNC)!;
    expect(cTypeName(btf, send)).toBe("int ip_send_skb(struct net *, struct sk_buff *)");
    expect(btf.idsOfKind(BtfKind.FUNC).length).toBeGreaterThanOrEqual(60);
  });
});
