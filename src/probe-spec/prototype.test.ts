// Tests of ksnoop-style prototypes (prototype.ts) on the synthetic kernel and hand-built BTF.
import { describe, expect, it } from "vitest";
import { Btf } from "../btf/btf.js";
import { BtfKind, IntEncoding } from "../btf/kinds.js";
import type { BtfType } from "../btf/types.js";
import { syntheticVmlinux } from "../kernel-model/vmlinux.js";
import { formatCall, formatPrototype } from "./prototype.js";

function funcId(btf: Btf, name: string): number {
  const id = btf.findByNameKind(name, BtfKind.FUNC);
  if (id === undefined) throw new Error(`no FUNC ${name}`);
  return id;
}

/** Hand-built BTF: 1 int, 2 char, 3 const char, 4 const char *, then functions. */
function handBuiltBtf(): Btf {
  const int = (name: string, size: number, encoding: number): BtfType => ({ kind: BtfKind.INT, name, size, encoding, bitsOffset: 0, nrBits: size * 8 });
  const types: BtfType[] = [
    int("int", 4, IntEncoding.SIGNED), // 1
    int("char", 1, IntEncoding.SIGNED), // 2
    { kind: BtfKind.CONST, name: "", type: 2 }, // 3
    { kind: BtfKind.PTR, name: "", type: 3 }, // 4
    // 5, 6: int many(int a0, ..., int a12) -- 13 arguments
    { kind: BtfKind.FUNC_PROTO, name: "", returnType: 1, params: Array.from({ length: 13 }, (_, i) => ({ name: `a${i}`, type: 1 })) },
    { kind: BtfKind.FUNC, name: "many", type: 5, linkage: 1 },
    // 7, 8: void noargs(void)
    { kind: BtfKind.FUNC_PROTO, name: "", returnType: 0, params: [] },
    { kind: BtfKind.FUNC, name: "noargs", type: 7, linkage: 1 },
    // 9, 10: int logf(const char *fmt, ...)
    { kind: BtfKind.FUNC_PROTO, name: "", returnType: 1, params: [{ name: "fmt", type: 4 }, { name: "", type: 0 }] },
    { kind: BtfKind.FUNC, name: "logf", type: 9, linkage: 1 },
    // 11..14: int (*getfn(int))(int)
    { kind: BtfKind.FUNC_PROTO, name: "", returnType: 1, params: [{ name: "", type: 1 }] },
    { kind: BtfKind.PTR, name: "", type: 11 },
    { kind: BtfKind.FUNC_PROTO, name: "", returnType: 12, params: [{ name: "", type: 1 }] },
    { kind: BtfKind.FUNC, name: "getfn", type: 13, linkage: 1 },
  ];
  return new Btf(types);
}

describe("formatPrototype", () => {
  const btf = syntheticVmlinux();

  it("prints the synthetic kernel's prototypes as their headers declare them", () => {
    expect(formatPrototype(btf, funcId(btf, "ip_send_skb"))).toBe("int ip_send_skb(struct net *net, struct sk_buff *skb);");
    expect(formatPrototype(btf, funcId(btf, "tcp_sendmsg"))).toBe("int tcp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size);");
    expect(formatPrototype(btf, funcId(btf, "kfree_skb_reason"))).toBe("void kfree_skb_reason(struct sk_buff *skb, enum skb_drop_reason reason);");
    expect(formatPrototype(btf, funcId(btf, "skb_clone"))).toBe("struct sk_buff *skb_clone(struct sk_buff *skb, gfp_t gfp_mask);");
    expect(formatPrototype(btf, funcId(btf, "__netif_receive_skb_core"))).toBe(
      "int __netif_receive_skb_core(struct sk_buff **pskb, bool pfmemalloc, struct packet_type **ppt_prev);",
    );
    expect(formatPrototype(btf, funcId(btf, "netdev_printk"))).toBe(
      "void netdev_printk(const char *level, const struct net_device *dev, const char *format, ...);",
    );
  });

  it("replaces arguments past maxArgs by a comment, as ksnoop does", () => {
    expect(formatPrototype(btf, funcId(btf, "ip_send_skb"), 1)).toBe("int ip_send_skb(struct net *net /* and 1 more args that are not traceable */);");
    const hb = handBuiltBtf();
    expect(formatPrototype(hb, 6)).toBe(
      "int many(int a0, int a1, int a2, int a3, int a4, int a5, int a6, int a7, int a8, int a9, int a10, int a11 /* and 1 more args that are not traceable */);",
    );
  });

  it("spells void, variadic and function-pointer-returning prototypes", () => {
    const hb = handBuiltBtf();
    expect(formatPrototype(hb, 8)).toBe("void noargs(void);");
    expect(formatPrototype(hb, 10)).toBe("int logf(const char *fmt, ...);");
    expect(formatPrototype(hb, 14)).toBe("int (*getfn(int))(int);");
  });

  it("formatCall leaves out the return type and the semicolon", () => {
    expect(formatCall(btf, funcId(btf, "ip_send_skb"))).toBe("ip_send_skb(struct net *net, struct sk_buff *skb)");
  });
});
