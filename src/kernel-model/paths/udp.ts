// UDP over IPv4 and IPv6 as Linux 6.12 runs it: sending (udp_sendmsg ->
// ip_make_skb's payload and headers -> udp_send_skb -> ip_send_skb;
// udpv6_sendmsg -> ip6_dst_lookup_flow -> udp_v6_send_skb -> ip6_send_skb),
// receiving (udp_rcv -> __udp4_lib_rcv -> udp_unicast_rcv_skb ->
// udp_queue_rcv_skb -> udp_queue_rcv_one_skb -> __udp_queue_rcv_skb ->
// __udp_enqueue_schedule_skb, which charges the socket's receive memory or
// refuses: udp:udp_fail_queue_rcv_skb and a drop; udpv6_rcv ->
// __udp6_lib_rcv the same way), and reading (udp_recvmsg / udpv6_recvmsg
// -> __skb_recv_udp -> skb_copy_datagram_iter -> skb_consume_udp).
import { IP6_HLEN, IP_HLEN, IPPROTO_UDP, pushIp6Header, pushIpHeader, pushUdpHeader, skbData, skbPull, skbSetData, UDP_HLEN, writePayload, type Flow } from "../packets.js";
import { setField } from "./fields.js";
import { addrsOf, AF_INET6, connKey, flowsOf, sockaddrBytes, TCP_ESTABLISHED } from "./inet.js";
import { EAGAIN, EINVAL, err, isErr, type NetEnv, fireLazy } from "./net-env.js";
import { HOST_V4, HOST_V6 } from "./tcp.js";
import type { Sock } from "./world.js";

const GFP_KERNEL = 0xcc0n;
const NUMA_NO_NODE = BigInt.asUintN(64, -1n);
const ENOBUFS = 105;
const ENOMEM = 12;
const EDESTADDRREQ = 89;
/** SK_MEM_RECV. */
const SK_MEM_RECV = 1n;
/** net.ipv4.udp_mem's pages (what sock_exceed_buf_limit reports as sysctl_mem). */
const UDP_MEM = [18432n, 24576n, 36864n];

export function installUdpPaths(env: NetEnv): void {
  const { k, w, set, call, segs } = env;
  const rng = k.rng;
  const sockOf = (sk: bigint) => env.sockOf(sk);
  const S = (s: Sock, f: string) => k.memory.readField(s.sk, "sock", f);
  const setS = (s: Sock, f: string, v: bigint) => setField(k, s.sk, "sock", f, v);

  set("udp_init_sock", () => 0n);
  set("udpv6_init_sock", ([sk]) => call("udp_init_sock", sk!));
  set("udp_destroy_sock", () => 0n);

  /** The flow a datagram goes out with: the connected one, or to msg_name's address (the socket bound on first use). */
  const sendFlow = (s: Sock, msg: bigint): Flow | bigint => {
    const dest = env.msgDest(msg);
    if (!dest) return s.state === TCP_ESTABLISHED ? flowsOf(k, s).out : err(EDESTADDRREQ);
    if (dest.family !== s.family) return err(EINVAL);
    const a = addrsOf(k, s);
    let sport = a.sport;
    if (sport === 0) {
      const r = call("udp_v4_get_port", s.sk, 0n);
      if (isErr(r)) return r;
      sport = Number(k.memory.readField(s.sk, "sock", "__sk_common.skc_num"));
    }
    const v6 = s.family === AF_INET6;
    const loopback = v6 ? dest.addr.every((b, i) => b === (i === 15 ? 1 : 0)) : dest.addr[0] === 127;
    s.dev = loopback ? w.lo : w.eth0;
    const saddr = a.saddr.some((b) => b !== 0) ? a.saddr : loopback ? dest.addr : v6 ? HOST_V6 : HOST_V4;
    return { protocol: IPPROTO_UDP, saddr, daddr: dest.addr, sport, dport: dest.port };
  };
  /** ip_make_skb / ip6_make_skb: an skb with room for the headers, the payload put after it (skb_put), then UDP and IP headers. */
  const makeSkb = (s: Sock, f: Flow, len: number, v6: boolean): bigint => {
    const hl = (v6 ? IP6_HLEN : IP_HLEN) + UDP_HLEN;
    const skb = call("__alloc_skb", 0n, GFP_KERNEL, 0n, NUMA_NO_NODE);
    // skb_reserve: the headers' room.
    const d = skbData(k, skb);
    skbSetData(k, skb, d.data + BigInt(hl), 0);
    setField(k, skb, "sk_buff", "tail", k.memory.readField(skb, "sk_buff", "tail") + BigInt(hl));
    call("skb_put", skb, BigInt(len));
    writePayload(k, skb, env.flows.payload(len));
    pushUdpHeader(k, skb, f, len);
    if (v6) pushIp6Header(k, skb, f);
    else pushIpHeader(k, skb, f, env.flows.nextIpId());
    call("skb_set_owner_w", skb, s.sk);
    setField(k, skb, "sk_buff", "dev", s.dev.addr);
    return skb;
  };

  set("udp_sendmsg", ([sk, msg, len]) => {
    if (rng.chance(0.02)) return err(EAGAIN);
    const s = sockOf(sk!);
    if (!s) return err(EINVAL);
    const f = sendFlow(s, msg!);
    if (typeof f === "bigint") return f;
    const fl4 = sk! + BigInt(k.memory.objects.field("inet_sock", "cork").byteOffset);
    if (s.state !== TCP_ESTABLISHED) call("ip_route_output_flow", w.net, fl4, sk!);
    const skb = makeSkb(s, f, Number(len!), false);
    const ret = call("udp_send_skb", skb, fl4, 0n);
    return isErr(ret) ? ret : len!;
  });
  set("udp_send_skb", ([skb]) => call("ip_send_skb", w.net, skb!));
  set("udpv6_sendmsg", ([sk, msg, len]) => {
    const s = sockOf(sk!);
    if (!s) return err(EINVAL);
    const f = sendFlow(s, msg!);
    if (typeof f === "bigint") return f;
    const fl6 = k.memory.alloc("flowi6");
    call("ip6_dst_lookup_flow", w.net, sk!, fl6, 0n);
    const skb = makeSkb(s, f, Number(len!), true);
    const ret = call("udp_v6_send_skb", skb, fl6, 0n);
    k.memory.free(fl6);
    return isErr(ret) ? ret : len!;
  });
  set("udp_v6_send_skb", ([skb]) => call("ip6_send_skb", skb!));

  // Receive.
  set("udp_rcv", ([skb]) => call("__udp4_lib_rcv", skb!, 0n, BigInt(IPPROTO_UDP)));
  set("udpv6_rcv", ([skb]) => call("__udp6_lib_rcv", skb!, 0n, BigInt(IPPROTO_UDP)));
  const libRcv = (v6: boolean) => ([skb]: readonly bigint[]): bigint => {
    if (k.memory.readField(skb!, "sk_buff", "dev") !== w.lo.addr && rng.chance(0.03)) {
      call("kfree_skb_reason", skb!, env.dropReason("SKB_DROP_REASON_UDP_CSUM"));
      return 0n;
    }
    let sk = k.memory.readField(skb!, "sk_buff", "sk");
    if (sk === 0n) {
      const h = new Uint8Array(UDP_HLEN);
      k.memory.readKernel(h, skbData(k, skb!).data);
      const sport = (h[0]! << 8) | h[1]!;
      const dport = (h[2]! << 8) | h[3]!;
      const nh = new Uint8Array(v6 ? IP6_HLEN : IP_HLEN);
      k.memory.readKernel(nh, skbData(k, skb!).data - BigInt(nh.length));
      const saddr = v6 ? nh.slice(8, 24) : nh.slice(12, 16);
      sk = w.established.get(connKey(dport, saddr, sport))?.sk ?? 0n;
      if (sk === 0n && !v6) sk = call("__udp4_lib_lookup", w.net, 0n, BigInt(sport), 0n, BigInt(dport), 0n, 0n, 0n, skb!);
      setField(k, skb!, "sk_buff", "sk", sk);
    }
    if (sk === 0n || !sockOf(sk)) {
      call("kfree_skb_reason", skb!, env.dropReason("SKB_DROP_REASON_NO_SOCKET"));
      return 0n;
    }
    if (v6) {
      const rc = call("__udp_enqueue_schedule_skb", sk, skb!);
      if (rc !== 0n) failed(sockOf(sk)!, skb!, rc);
      return 0n;
    }
    return call("udp_unicast_rcv_skb", sk, skb!, skbData(k, skb!).data);
  };
  set("__udp4_lib_rcv", libRcv(false));
  set("__udp6_lib_rcv", libRcv(true));
  /** The connected socket of the 4-tuple, else the one bound to the port (the hash of bound ports). */
  set("__udp4_lib_lookup", ([, , sport, , dport]) => {
    for (const s of w.bySk.values()) if (s.protocol === "udp" && s.state !== TCP_ESTABLISHED && addrsOf(k, s).sport === Number(dport!)) return s.sk;
    void sport;
    return 0n;
  });
  set("udp_unicast_rcv_skb", ([sk, skb]) => {
    call("udp_queue_rcv_skb", sk!, skb!);
    return 0n;
  });
  set("udp_queue_rcv_skb", ([sk, skb]) => call("udp_queue_rcv_one_skb", sk!, skb!));
  set("udp_queue_rcv_one_skb", ([sk, skb]) => call("__udp_queue_rcv_skb", sk!, skb!));
  const tpFail = env.tp("udp", "udp_fail_queue_rcv_skb");
  /** A datagram the socket could not take: the event, the socket's drop count, and the drop. */
  const failed = (s: Sock, skb: bigint, rc = BigInt.asUintN(64, BigInt(-ENOMEM))): boolean => {
    const a = addrsOf(k, s);
    fireLazy(k, tpFail, () => ({ rc, sport: BigInt(a.sport), dport: BigInt(a.dport), family: BigInt(a.family), saddr: sockaddrBytes(a.family, a.saddr, a.sport), daddr: sockaddrBytes(a.family, a.daddr, a.dport) }), [rc, s.sk, skb]);
    setS(s, "sk_drops.counter", S(s, "sk_drops.counter") + 1n);
    call("kfree_skb_reason", skb, env.dropReason(rc === BigInt.asUintN(64, BigInt(-ENOBUFS)) ? "SKB_DROP_REASON_PROTO_MEM" : "SKB_DROP_REASON_SOCKET_RCVBUFF"));
    return false;
  };
  set("__udp_queue_rcv_skb", ([sk, skb]) => {
    const rc = call("__udp_enqueue_schedule_skb", sk!, skb!);
    if (rc !== 0n) {
      failed(sockOf(sk!)!, skb!, rc);
      return BigInt.asUintN(64, -1n);
    }
    return 0n;
  });
  /** Charges the datagram to the socket's receive memory (or refuses: over sk_rcvbuf, or the protocol's memory limit), queues it, wakes the reader. */
  set("__udp_enqueue_schedule_skb", ([sk, skb]) => {
    const s = sockOf(sk!)!;
    const truesize = k.memory.readField(skb!, "sk_buff", "truesize");
    const rmem = S(s, "sk_backlog.rmem_alloc.counter");
    if (rmem + truesize > S(s, "sk_rcvbuf")) return BigInt.asUintN(64, BigInt(-ENOMEM));
    if (BigInt.asIntN(32, S(s, "sk_forward_alloc")) < truesize && call("__sk_mem_schedule", sk!, truesize, SK_MEM_RECV) === 0n) return BigInt.asUintN(64, BigInt(-ENOBUFS));
    // The UDP header is pulled; the payload waits on the receive queue.
    skbPull(k, skb!, UDP_HLEN);
    const len = skbData(k, skb!).len;
    segs.set(skb!, { seq: 0, end: 0, flags: 0, len });
    env.chargeR(skb!, s, truesize);
    s.rxq.push(skb!);
    setS(s, "sk_receive_queue.qlen", BigInt(s.rxq.length));
    call("sock_def_readable", sk!);
    return 0n;
  });
  /** __sk_mem_schedule / __sk_mem_raise_allocated: whole pages of forward allocation, refused now and then under the protocol's global memory pressure. */
  set("__sk_mem_schedule", ([sk, size, kind]) => {
    const pages = (Number(size!) + 4095) >> 12;
    return call("__sk_mem_raise_allocated", sk!, size!, BigInt(pages), kind!);
  });
  const tpExceed = env.tp("sock", "sock_exceed_buf_limit");
  set("__sk_mem_raise_allocated", ([sk, size, amt, kind]) => {
    const s = sockOf(sk!)!;
    const over = s.protocol === "udp" ? rng.chance(0.03) : S(s, "sk_backlog.rmem_alloc.counter") + size! > S(s, "sk_rcvbuf");
    if (over) {
      k.fire(
        tpExceed,
        {
          name: s.protocol === "udp" ? (s.family === AF_INET6 ? "UDPv6" : "UDP") : s.family === AF_INET6 ? "TCPv6" : "TCP",
          sysctl_mem: new Uint8Array(new BigInt64Array(UDP_MEM).buffer),
          allocated: UDP_MEM[2]! + amt!,
          sysctl_rmem: S(s, "sk_rcvbuf"),
          rmem_alloc: S(s, "sk_backlog.rmem_alloc.counter"),
          sysctl_wmem: S(s, "sk_sndbuf"),
          wmem_alloc: S(s, "sk_wmem_alloc.refs.counter"),
          wmem_queued: S(s, "sk_wmem_queued"),
          kind: kind!,
        },
        [sk!, 0n, UDP_MEM[2]! + amt!, kind!],
      );
      return 0n;
    }
    setS(s, "sk_forward_alloc", BigInt.asUintN(32, S(s, "sk_forward_alloc") + amt! * 4096n));
    return 1n;
  });

  // Reading.
  const recv = ([sk, msg, len, flags]: readonly bigint[]): bigint => {
    const s = sockOf(sk!);
    if (!s) return err(EINVAL);
    const errp = k.memory.kmalloc(8, true);
    const skb = call("__skb_recv_udp", sk!, flags!, 0n, errp);
    k.memory.free(errp);
    if (skb === 0n) return err(EAGAIN);
    const n = Math.min(segs.get(skb)?.len ?? 0, Number(len!));
    const iter = msg! + BigInt(k.memory.objects.field("msghdr", "msg_iter").byteOffset);
    call("skb_copy_datagram_iter", skb, 0n, iter, BigInt(n));
    call("skb_consume_udp", sk!, skb, BigInt(n));
    return BigInt(n);
  };
  set("udp_recvmsg", recv);
  set("udpv6_recvmsg", recv);
  set("__skb_recv_udp", ([sk]) => {
    const s = sockOf(sk!);
    const skb = s?.rxq.shift();
    if (!s || skb === undefined) return 0n;
    setS(s, "sk_receive_queue.qlen", BigInt(s.rxq.length));
    return skb;
  });
  set("skb_consume_udp", ([sk, skb]) => {
    segs.delete(skb!);
    call("__kfree_skb", skb!);
    // udp_rmem_release: with the queue empty, the forward allocation goes back but for a partial page.
    const s = sockOf(sk!);
    if (s && !s.rxq.length) setS(s, "sk_forward_alloc", S(s, "sk_forward_alloc") & 0xfffn);
    return 0n;
  });
}
