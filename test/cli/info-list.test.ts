// `btfsnoop info FUNC...` and `btfsnoop list [GLOB]`: prototypes from the
// synthetic kernel and from the vmlinux 6.18 BTF fixture (--btf, gzip
// accepted), as goldens; bad names and missing files exit 2 with one message.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES, VMLINUX_DIR, checkGolden } from "../helpers/fixtures.js";
import { runCli } from "../helpers/cli.js";

const run = runCli;

const GOLDEN = join(FIXTURES, "..", "golden", "info");
const VMLINUX = join(VMLINUX_DIR, "vmlinux.btf.gz");

function expectGolden(name: string, actual: string): void {
  expect(checkGolden(join(GOLDEN, name), actual)).toBeUndefined();
}

describe("info and list on the synthetic kernel", () => {
  it("info ip_send_skb tcp_sendmsg prints both prototypes in order", async () => {
    const r = await run("info", "ip_send_skb", "tcp_sendmsg");
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    expect(r.out).toBe("int ip_send_skb(struct net *net, struct sk_buff *skb);\nint tcp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size);\n");
    expectGolden("synthetic-info-ip_send_skb-tcp_sendmsg.txt", r.out);
  });

  it("list 'ip_*' prints sorted prototypes", async () => {
    const r = await run("list", "ip_*");
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    expectGolden("synthetic-list-ip_.txt", r.out);
    const names = r.out.trimEnd().split("\n").map((l) => /(\w+)\(/.exec(l)![1]!);
    expect(names).toContain("ip_send_skb");
    expect(names.every((n) => n.startsWith("ip_"))).toBe(true);
    expect([...names].sort()).toEqual(names);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe("info and list with --btf (vmlinux 6.18)", () => {
  it("info ip_send_skb --btf <fixture>", async () => {
    const r = await run("info", "ip_send_skb", "--btf", VMLINUX);
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    expect(r.out).toBe("int ip_send_skb(struct net *net, struct sk_buff *skb);\n");
  });

  it("info of a variadic function prints its prototype with `...` and says it is not traceable", async () => {
    const r = await run("info", "_printk", "--btf", VMLINUX);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toBe("int _printk(const char *fmt, ...); /* not traceable: has variable arguments */\n");
  });

  it("untraceable functions (variadic, more than 12 arguments) do not abort a multi-function info", async () => {
    const r = await run("info", "ip_send_skb", "_printk", "rtnl_fill_ifinfo", "tcp_v4_rcv", "--btf", VMLINUX);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      "int ip_send_skb(struct net *net, struct sk_buff *skb);\n" +
        "int _printk(const char *fmt, ...); /* not traceable: has variable arguments */\n" +
        "int rtnl_fill_ifinfo(struct sk_buff *skb, struct net_device *dev, struct net *src_net, int type, u32 pid, u32 seq, u32 change, unsigned int flags, u32 ext_filter_mask, u32 event, int *new_nsid, int new_ifindex, int tgt_netnsid, gfp_t gfp); /* not traceable: has 14 arguments, more than 12 */\n" +
        "int tcp_v4_rcv(struct sk_buff *skb);\n",
    );
  });

  it("list skips variadic functions (only traceable ones are listed)", async () => {
    const r = await run("list", "_printk*", "--btf", VMLINUX);
    expect(r.code).toBe(2);
    expect(r.err).toBe("btfsnoop: error: no traceable function matches '_printk*'\n    _printk*\n    ^~~~~~~~\n");
  });

  it("list 'tcp_v4_*' --btf <fixture>", async () => {
    const r = await run("list", "tcp_v4_*", "--btf", VMLINUX);
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    expectGolden("vmlinux-6.18-list-tcp_v4_.txt", r.out);
    const lines = r.out.trimEnd().split("\n");
    expect(lines).toContain("int tcp_v4_rcv(struct sk_buff *skb);");
    expect(lines).toContain("void tcp_v4_init(void);");
    expect(lines.every((l) => l.endsWith(";"))).toBe(true);
  });
});

describe("info and list errors exit 2 with one message and no output", () => {
  it.each([
    [["info", "ip_send_skbb"], "btfsnoop: error: no function 'ip_send_skbb' in the kernel; did you mean 'ip_send_skb'?\n    ip_send_skbb\n    ^~~~~~~~~~~~\n"],
    [["info", "ip_send_skb", "--btf", "/no/such/file.btf"], "btfsnoop: error: cannot read '/no/such/file.btf': no such file or directory\n"],
    [["list", "ip_*", "--btf", "/no/such/file.btf"], "btfsnoop: error: cannot read '/no/such/file.btf': no such file or directory\n"],
    [["info", "ip_send_skb(skb)"], "btfsnoop: usage error: 'ip_send_skb(skb)': info takes function names or globs, not specs (run 'btfsnoop --help' for usage)\n"],
  ])("%j", async (argv, expected) => {
    const r = await run(...argv);
    expect(r.err).toBe(expected);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
  });
});
