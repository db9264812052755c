// BTF queries on the real vmlinux 6.18 BTF: lookups by name and kind, sizes
// and alignment, members through anonymous structs/unions, member paths,
// function signatures and C type names. Expected values were read off
// bpftool's raw and C dumps of the same file.
import { describe, expect, it } from "vitest";
import {
  alignOf,
  BtfError,
  BtfKind,
  cTypeName,
  findFunc,
  findMember,
  memberNames,
  resolveMemberPath,
  sizeOf,
  skipModsAndTypedefs,
} from "../../src/btf/index.js";
import { vmlinuxBtf } from "../helpers/fixtures.js";

const btf = vmlinuxBtf();
const skb = btf.findByNameKind("sk_buff", BtfKind.STRUCT)!;

describe("lookups", () => {
  it("finds types by name and kind", () => {
    expect(skb).toBe(873);
    expect(btf.findByNameKind("task_struct", BtfKind.STRUCT)).toBe(114);
    expect(btf.findByNameKind("file_operations", BtfKind.STRUCT)).toBe(150);
    expect(btf.findByNameKind("ip_send_skb", BtfKind.FUNC)).toBe(88320);
    expect(btf.findByNameKind("sk_buff", BtfKind.UNION)).toBeUndefined();
    expect(btf.findByNameKind("no_such_type_anywhere", BtfKind.STRUCT)).toBeUndefined();
  });

  it("rejects unknown ids with ENOENT", () => {
    expect(() => btf.typeById(126611)).toThrow(BtfError);
    expect(() => btf.typeById(200000)).toThrow(expect.objectContaining({ errno: "ENOENT", typeId: 200000, reason: "type id 200000 out of range (have 126610 types)" }));
  });
});

describe("layout", () => {
  it("sizes and aligns structs, arrays and pointers", () => {
    expect(sizeOf(btf, skb)).toBe(224);
    expect(alignOf(btf, skb)).toBe(8);
    expect(sizeOf(btf, 114)).toBe(3264);
    expect(sizeOf(btf, 4)).toBe(16); // long unsigned int[2]
    expect(sizeOf(btf, 5)).toBe(8); // const char *
    expect(alignOf(btf, 7)).toBe(1); // char
  });

  it("refuses to size void and functions", () => {
    expect(() => sizeOf(btf, 0)).toThrow(/void has no size/);
    expect(() => sizeOf(btf, 88320)).toThrow(/FUNC has no size/);
  });

  it("strips typedefs and modifiers", () => {
    expect(skipModsAndTypedefs(btf, 3)).toBe(1); // volatile const long unsigned int
    expect(skipModsAndTypedefs(btf, 38)).toBe(27); // u64 -> __u64 -> long long unsigned int
  });
});

describe("members", () => {
  it.each([
    ["dev", 128, 0, 4, "struct net_device *dev"],
    ["sk", 192, 0, 1, "struct sock *sk"],
    ["cb", 320, 0, 1, "char cb[48]"],
    ["destructor", 768, 0, 3, "void (*destructor)(struct sk_buff *)"],
    ["len", 896, 0, 1, "unsigned int len"],
    ["pkt_type", 1024, 3, 3, "__u8 pkt_type"],
    ["csum_offset", 1104, 0, 5, "__u16 csum_offset"],
  ])("sk_buff.%s is at bit %i (bitfield %i, depth %i): %s", (name, bits, bitfield, depth, decl) => {
    const f = findMember(btf, skb, name)!;
    expect(f.bitsOffset).toBe(bits);
    expect(f.member.bitfieldSize).toBe(bitfield);
    expect(f.path).toHaveLength(depth);
    expect(cTypeName(btf, f.member.type, name)).toBe(decl);
  });

  it("lists names visible through anonymous members in C order", () => {
    expect(memberNames(btf, skb).slice(0, 8)).toEqual(["next", "prev", "dev", "dev_scratch", "rbnode", "list", "ll_node", "sk"]);
  });

  it("resolves dotted member paths", () => {
    const sock = btf.findByNameKind("sock", BtfKind.STRUCT)!;
    expect(resolveMemberPath(btf, sock, "__sk_common.skc_daddr").bitsOffset).toBe(0);
    expect(resolveMemberPath(btf, sock, "__sk_common.skc_family").bitsOffset).toBe(128);
    expect(() => resolveMemberPath(btf, sock, "__sk_common.nope")).toThrow("no member 'nope' in struct sock_common");
    expect(() => resolveMemberPath(btf, sock, "sk_rcvbuf.x")).toThrow("'x': INT has no members");
  });

  it("returns undefined for missing members", () => {
    expect(findMember(btf, skb, "no_such_member")).toBeUndefined();
  });
});

describe("functions and C names", () => {
  it("gives a function's named parameters", () => {
    const f = findFunc(btf, "ip_send_skb")!;
    expect(f.params).toEqual([
      { name: "net", type: 1768 },
      { name: "skb", type: 872 },
    ]);
    expect(f.returnType).toBe(21);
    expect(f.variadic).toBe(false);
    expect(cTypeName(btf, f.id)).toBe("int ip_send_skb(struct net *, struct sk_buff *)");
  });

  it.each([
    [4, "", "long unsigned int[2]"],
    [3, "", "const volatile long unsigned int"],
    [6, "", "const char * const"],
    [6, "p", "const char * const p"],
    [56, "", "char *"],
  ])("type %i as '%s' is %s", (id, name, expected) => {
    expect(cTypeName(btf, id, name)).toBe(expected);
  });

  it("prints function pointer members as C does", () => {
    const fo = btf.findByNameKind("file_operations", BtfKind.STRUCT)!;
    expect(cTypeName(btf, findMember(btf, fo, "llseek")!.member.type)).toBe("loff_t (*)(struct file *, loff_t, int)");
    expect(cTypeName(btf, findMember(btf, fo, "read")!.member.type)).toBe("ssize_t (*)(struct file *, char *, size_t, loff_t *)");
  });
});
