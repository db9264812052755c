// The skb, net, sock, tcp and udp events (ids 1400-1499).
import { dataLoc, def } from "./common.js";
import type { TracepointDef } from "../tracepoints.js";

export function netTracepoints(): TracepointDef[] {
  return [
    def(
      1420,
      "skb",
      "kfree_skb",
      [
        { decl: "void * skbaddr", name: "skbaddr", size: 8 },
        { decl: "void * location", name: "location", size: 8 },
        { decl: "unsigned short protocol", name: "protocol", size: 2 },
        { decl: "enum skb_drop_reason reason", name: "reason", size: 4 },
      ],
      [["struct sk_buff *", "skb"], ["void *", "location"], ["enum skb_drop_reason", "reason"], ["struct sock *", "rx_sk"]],
    ),
    def(
      1430,
      "net",
      "netif_receive_skb",
      [{ decl: "void * skbaddr", name: "skbaddr", size: 8 }, { decl: "unsigned int len", name: "len", size: 4 }, dataLoc("name")],
      [["struct sk_buff *", "skb"]],
      "net_dev_template",
    ),
    def(
      1431,
      "net",
      "net_dev_xmit",
      [
        { decl: "void * skbaddr", name: "skbaddr", size: 8 },
        { decl: "unsigned int len", name: "len", size: 4 },
        { decl: "int rc", name: "rc", size: 4, signed: true },
        dataLoc("name"),
      ],
      [["struct sk_buff *", "skb"], ["int", "rc"], ["struct net_device *", "dev"], ["unsigned int", "skb_len"]],
    ),
  ];
}
