// infoView: `info NAME --btf FILE` with plain names resolves against just
// the named FUNCs, and prints what the full function list prints; globs and
// unknown names use the full list (same errors and suggestions).
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { VMLINUX_DIR } from "../../../test/helpers/fixtures.js";
import { kernelView } from "../kernel-view.js";
import { infoView, prototypesOf } from "./info.js";

const VMLINUX = join(VMLINUX_DIR, "vmlinux.btf.gz");

describe("infoView with --btf", () => {
  it("lists only the named FUNCs, and prototypes come out as with the full list", async () => {
    const names = ["ip_send_skb", "_printk", "tcp_v4_rcv", "rtnl_fill_ifinfo"];
    const small = await infoView(VMLINUX, names);
    expect(small.functions.map((f) => f.name)).toEqual(names);
    expect(small.functions.every((f) => small.btf.nameOf(f.btfId!) === f.name)).toBe(true);
    const full = await kernelView(VMLINUX);
    expect(full.functions.length).toBeGreaterThan(50_000);
    for (const n of names) expect(await prototypesOf(small, n, true)).toEqual(await prototypesOf(full, n, true));
    expect(await prototypesOf(small, "ip_send_skb", true)).toEqual(["int ip_send_skb(struct net *net, struct sk_buff *skb);"]);
  }, 60_000);

  it("uses the full function list for globs and for names that are no FUNC", async () => {
    expect((await infoView(VMLINUX, ["ip_send_*"])).functions.length).toBeGreaterThan(50_000);
    expect((await infoView(VMLINUX, ["ip_send_skb", "ip_send_skbb"])).functions.length).toBeGreaterThan(50_000);
  }, 60_000);
});
