// Route netlink as a task like `ip route get` uses it: a NETLINK_ROUTE
// socket sends an RTM_GETROUTE request (netlink_sendmsg copies it into an
// skb with skb_put and hands it to the kernel's rtnetlink socket through
// netlink_unicast -> rtnetlink_rcv -> rtnetlink_rcv_msg -> inet_rtm_getroute),
// whose RTM_NEWROUTE answer comes back through netlink_unicast ->
// __netlink_sendskb onto the task's socket, where netlink_recvmsg reads it.
// The socket's port id is its task's tgid (netlink_autobind).
import { skbData } from "../packets.js";
import { alloc, setField } from "./fields.js";
import { addSock, AF_NETLINK, newSock } from "./inet.js";
import { EAGAIN, EINVAL, err, type NetEnv } from "./net-env.js";

const GFP_KERNEL = 0xcc0n;
const NUMA_NO_NODE = BigInt.asUintN(64, -1n);
const NLMSG_HDRLEN = 16;
/** RTM_NEWROUTE, and the answer's rtmsg + attributes (RTA_TABLE, RTA_DST, RTA_OIF, RTA_PREFSRC, RTA_GATEWAY) after the header. */
const RTM_NEWROUTE = 24;
const RTM_GETROUTE = 26;
const ROUTE_REPLY_LEN = 104;

export function installNetlinkPaths(env: NetEnv): void {
  const { k, w, set, call, segs } = env;
  const sockOf = (sk: bigint) => env.sockOf(sk);
  /** The kernel's rtnetlink socket (net->rtnl), port 0. */
  const rtnl = alloc(k, "netlink_sock");
  setField(k, rtnl, "sock", "__sk_common.skc_family", BigInt(AF_NETLINK));
  setField(k, rtnl, "sock", "__sk_common.skc_net.net", w.net);
  setField(k, rtnl, "sock", "__sk_common.skc_refcnt.refs.counter", 1n);
  setField(k, rtnl, "sock", "sk_kern_sock", 1n);
  setField(k, w.net, "net", "rtnl", rtnl);
  addSock(w, newSock(rtnl, 0n, "netlink", AF_NETLINK, w.lo));
  /** The nlmsghdr of each request skb in flight. */
  const portOf = new Map<bigint, number>();

  set("netlink_sendmsg", ([sock, msg, len]) => {
    const s = w.bySocket.get(sock!);
    if (!s) return err(EINVAL);
    const n = Number(len!);
    if (n < NLMSG_HDRLEN) return err(EINVAL);
    // netlink_autobind: the task's tgid as the port id, or for its other sockets a number from -4096 down.
    if (k.memory.readField(s.sk, "netlink_sock", "portid") === 0n) {
      const taken = (p: bigint) => [...w.bySk.values()].some((x) => x.protocol === "netlink" && x.sk !== s.sk && k.memory.readField(x.sk, "netlink_sock", "portid") === p);
      let port = BigInt(k.current().tgid);
      for (let rover = -4096n; taken(port); rover--) port = BigInt.asUintN(32, rover);
      setField(k, s.sk, "netlink_sock", "portid", port);
      setField(k, s.sk, "netlink_sock", "bound", 1n);
    }
    const skb = call("__alloc_skb", 0n, GFP_KERNEL, 0n, NUMA_NO_NODE);
    const data = call("skb_put", skb, BigInt(n));
    // memcpy_from_msg: the request from the user's buffer.
    const ubuf = env.userBufOf(msg!);
    const bytes = new Uint8Array(n);
    if (ubuf !== 0n) k.memory.readUser(k.current().tgid, bytes, ubuf);
    k.memory.writeKernel(data, bytes);
    setField(k, skb, "sk_buff", "sk", s.sk);
    portOf.set(skb, Number(k.memory.readField(s.sk, "netlink_sock", "portid")));
    const ret = call("netlink_unicast", s.sk, skb, 0n, 0n);
    return BigInt.asIntN(64, ret) < 0n ? ret : len!;
  });
  set("netlink_unicast", ([ssk, skb, portid]) => {
    if (portid === 0n) {
      // netlink_unicast_kernel: the kernel socket's input runs in the sender's context, then the skb is consumed.
      call("rtnetlink_rcv", skb!);
      portOf.delete(skb!);
      call("consume_skb", skb!);
      return 0n;
    }
    const dst = [...w.bySk.values()].find((x) => x.protocol === "netlink" && x.sk !== rtnl && k.memory.readField(x.sk, "netlink_sock", "portid") === portid);
    void ssk;
    if (!dst) {
      call("kfree_skb_reason", skb!, env.dropReason("SKB_DROP_REASON_NO_SOCKET"));
      return BigInt.asUintN(64, -111n); // -ECONNREFUSED
    }
    return call("__netlink_sendskb", dst.sk, skb!);
  });
  set("rtnetlink_rcv", ([skb]) => {
    const nlh = skbData(k, skb!).data;
    call("rtnetlink_rcv_msg", skb!, nlh, 0n);
    return 0n;
  });
  set("rtnetlink_rcv_msg", ([skb, nlh, extack]) => {
    const h = new Uint8Array(NLMSG_HDRLEN);
    k.memory.readKernel(h, nlh!);
    const type = h[4]! | (h[5]! << 8);
    return type === RTM_GETROUTE ? call("inet_rtm_getroute", skb!, nlh!, extack!) : err(EOPNOTSUPP_);
  });
  set("inet_rtm_getroute", ([inSkb, nlh]) => {
    const h = new Uint8Array(NLMSG_HDRLEN);
    k.memory.readKernel(h, nlh!);
    // The answer: an RTM_NEWROUTE of the route (main table, via the gateway 10.0.2.2 out of eth0) for the requester.
    const reply = call("__alloc_skb", 0n, GFP_KERNEL, 0n, NUMA_NO_NODE);
    const data = call("skb_put", reply, BigInt(ROUTE_REPLY_LEN));
    const r = new Uint8Array(ROUTE_REPLY_LEN);
    const v = new DataView(r.buffer);
    v.setUint32(0, ROUTE_REPLY_LEN, true);
    v.setUint16(4, RTM_NEWROUTE, true);
    v.setUint32(8, new DataView(h.buffer).getUint32(8, true), true);
    const port = portOf.get(inSkb!) ?? 0;
    v.setUint32(12, port, true);
    r[16] = 2; // rtm_family AF_INET
    r[17] = 32; // rtm_dst_len
    r[20] = 254; // RT_TABLE_MAIN
    r[21] = 2; // RTPROT_KERNEL
    r[23] = 1; // RTN_UNICAST
    k.memory.writeKernel(data, r);
    return call("netlink_unicast", k.memory.readField(w.net, "net", "rtnl"), reply, BigInt(port), 0x40n);
  });
  set("__netlink_sendskb", ([sk, skb]) => {
    const s = sockOf(sk!)!;
    segs.set(skb!, { seq: 0, end: 0, flags: 0, len: skbData(k, skb!).len });
    env.chargeR(skb!, s, k.memory.readField(skb!, "sk_buff", "truesize"));
    s.rxq.push(skb!);
    setField(k, sk!, "sock", "sk_receive_queue.qlen", BigInt(s.rxq.length));
    call("sock_def_readable", sk!);
    return BigInt(skbData(k, skb!).len);
  });
  set("netlink_recvmsg", ([sock, msg, len]) => {
    const s = w.bySocket.get(sock!);
    if (!s) return err(EINVAL);
    const skb = s.rxq.shift();
    if (skb === undefined) return err(EAGAIN);
    setField(k, s.sk, "sock", "sk_receive_queue.qlen", BigInt(s.rxq.length));
    const n = Math.min(skbData(k, skb).len, Number(len!));
    call("skb_copy_datagram_iter", skb, 0n, msg! + BigInt(k.memory.objects.field("msghdr", "msg_iter").byteOffset), BigInt(n));
    segs.delete(skb);
    call("consume_skb", skb);
    return BigInt(n);
  });
  set("netlink_release", ([sock]) => {
    const s = w.bySocket.get(sock!);
    if (!s) return 0n;
    s.dead = true;
    call("sk_free", s.sk);
    return 0n;
  });
}

const EOPNOTSUPP_ = 95;
