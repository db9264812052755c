// The networking call paths: TCP/UDP send down to the device
// (sock_sendmsg -> inet_sendmsg -> tcp_sendmsg/udp_sendmsg -> ... ->
// __dev_queue_xmit -> dev_hard_start_xmit), receive in softirq
// (netif_receive_skb -> ip_rcv -> ip_local_deliver -> tcp_v4_rcv/udp_rcv),
// drops through kfree_skb_reason with reasons and call-site locations.
// Traffic between two sockets of this host goes out through lo and comes
// back in through it, as in Linux: lo's xmit hands the skb to netif_rx,
// which queues it on the CPU's backlog, and the NET_RX softirq that
// __dev_queue_xmit runs when it re-enables bottom halves receives it
// (netif_receive_skb with skb->dev = lo; Linux enters through
// process_backlog -> __netif_receive_skb, which the model does not have).
// Traffic to other hosts leaves through eth0 and is consumed there;
// packets from them arrive on eth0 (receiveOnce).
// Every skb carries its frame's bytes (packets.ts): the layers push their
// headers as they go down and the receive path pulls them; packet sockets
// (sockets.ts) see what each device sends and receives.
import { BtfKind } from "../../btf/kinds.js";
import { leBytes } from "../memory/objects.js";
import type { Kernel } from "../kernel.js";
import {
  ethTypeTrans,
  FlowCounters,
  IP_HLEN,
  IPPROTO_TCP,
  IPPROTO_UDP,
  ipProtocolOf,
  skbAllocHead,
  skbData,
  skbFreeHead,
  skbPull,
  pushEthHeader,
  pushIpHeader,
  pushTcpHeader,
  pushUdpHeader,
  TCP_HLEN,
  UDP_HLEN,
  writePayload,
  type Flow,
} from "../packets.js";
import { packetSocketsOf } from "../sockets.js";
import { alloc, setField } from "./fields.js";
import type { Sock, World } from "./world.js";

const err = (n: number) => BigInt.asUintN(64, BigInt(-n));
const EAGAIN = 11;
const ETH_P_IP_BE = 0x0008n;
/** lo's MAC address (all zeros) and eth0's, and the gateway's behind it (QEMU user networking's). */
const ZERO_MAC = new Uint8Array(6);
const ETH0_MAC = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);
const GATEWAY_MAC = Uint8Array.of(0x52, 0x55, 0x0a, 0x00, 0x02, 0x02);
const macOf = (w: World, dev: bigint) => (dev === w.lo.addr ? ZERO_MAC : ETH0_MAC);
const ntohs = (v: bigint) => Number(((v & 0xffn) << 8n) | ((v >> 8n) & 0xffn));

/** Per kernel: the flow counters standing in for sequence numbers, IP ids and payloads. */
const flowCounters = new WeakMap<Kernel, FlowCounters>();
function countersOf(k: Kernel): FlowCounters {
  let c = flowCounters.get(k);
  if (!c) flowCounters.set(k, (c = new FlowCounters()));
  return c;
}

/** The 4-tuple a socket sends with, read from its sock_common (once per socket: connections do not move). */
const flowsOf = new WeakMap<Sock, Flow>();
function flowOf(k: Kernel, s: Sock): Flow {
  let f = flowsOf.get(s);
  if (!f) flowsOf.set(s, (f = readFlow(k, s)));
  return f;
}
function readFlow(k: Kernel, s: Sock): Flow {
  const f = (path: string) => k.memory.readField(s.sk, "sock", `__sk_common.${path}`);
  return {
    protocol: s.protocol === "tcp" ? IPPROTO_TCP : IPPROTO_UDP,
    saddr: leBytes(f("skc_rcv_saddr"), 4),
    daddr: leBytes(f("skc_daddr"), 4),
    sport: Number(f("skc_num")),
    dport: ntohs(f("skc_dport")),
  };
}

/** The flow of a socket's connection seen from the other end (what arrives for it). */
const reversedFlows = new WeakMap<Sock, Flow>();
function reversedFlow(k: Kernel, s: Sock): Flow {
  let r = reversedFlows.get(s);
  if (!r) {
    const f = flowOf(k, s);
    reversedFlows.set(s, (r = { protocol: f.protocol, saddr: f.daddr, daddr: f.saddr, sport: f.dport, dport: f.sport }));
  }
  return r;
}

/** The value of an enumerator of the kernel's BTF (0 if missing). */
export function enumValue(k: Kernel, type: string, name: string): bigint {
  const id = k.btf.findByNameKind(type, BtfKind.ENUM);
  const t = id === undefined ? undefined : k.btf.typeById(id);
  return t?.kind === BtfKind.ENUM ? BigInt(t.values.find((v) => v.name === name)?.value ?? 0) : 0n;
}

export function installNetPaths(k: Kernel, w: World, msgSizes: Map<bigint, number>): void {
  const set = (name: string, impl: (args: readonly bigint[]) => bigint) => {
    for (const fn of k.functions.named(name)) fn.impl = (c) => impl(c.args);
  };
  const call = (name: string, ...args: bigint[]) => k.callByName(name, args);
  const rng = k.rng;
  const sockOf = (sk: bigint): Sock | undefined => w.socks.find((s) => s.sk === sk);
  const dropReason = (n: string) => enumValue(k, "skb_drop_reason", n);
  const tp = (cat: string, name: string) => k.tracepoints.get(cat, name)!;
  /** dev->name, the events' __data_loc name (__assign_str(name, skb->dev->name)). */
  const devName = (dev: bigint) => (dev === 0n ? "" : k.memory.readString(dev, "net_device", "name"));

  const flows = countersOf(k);
  const taps = packetSocketsOf(k);
  const ifindexOf = (dev: bigint): number => (dev === w.lo.addr ? w.lo.ifindex : dev === w.eth0.addr ? w.eth0.ifindex : 0);

  set("__alloc_skb", ([size]) => {
    const skb = alloc(k, "sk_buff");
    skbAllocHead(k, skb, Number(size!));
    setField(k, skb, "sk_buff", "truesize", size! + 512n);
    setField(k, skb, "sk_buff", "protocol", ETH_P_IP_BE);
    return skb;
  });
  set("consume_skb", ([skb]) => {
    skbFreeHead(k, skb!);
    k.memory.free(skb!);
    return 0n;
  });
  set("kfree_skb_reason", ([skb, reason]) => {
    // location: the return address inside the caller, as __builtin_return_address(0) gives it
    // (the same address kernel stacks show; it used to run past the caller's 0x40 bytes into the next function).
    const location = k.functions.returnAddress();
    k.fire(tp("skb", "kfree_skb"), { skbaddr: skb!, location, protocol: ETH_P_IP_BE, reason: reason! }, [skb!, location, reason!, 0n]);
    skbFreeHead(k, skb!);
    k.memory.free(skb!);
    return 0n;
  });

  // Send.
  set("sock_sendmsg", ([sock, msg]) => call("inet_sendmsg", sock!, msg!, BigInt(msgSizes.get(msg!) ?? 0)));
  set("inet_sendmsg", ([sock, msg, size]) => {
    const s = w.socks.find((x) => x.sock === sock);
    if (!s) return err(22);
    return call(s.protocol === "tcp" ? "tcp_sendmsg" : "udp_sendmsg", s.sk, msg!, size!);
  });
  set("tcp_sendmsg", ([sk, , size]) => {
    if (rng.chance(0.03)) return err(EAGAIN);
    const skb = call("__alloc_skb", size!, 0xcc0n, 0n, BigInt.asUintN(64, -1n));
    writePayload(k, skb, flows.payload(Number(size!)));
    setField(k, skb, "sk_buff", "sk", sk!);
    setField(k, skb, "sk_buff", "dev", (sockOf(sk!)?.dev ?? w.eth0).addr);
    const ret = call("__tcp_transmit_skb", sk!, skb, 1n, 0xcc0n, 0n);
    return BigInt.asIntN(64, ret) < 0n ? ret : size!;
  });
  set("__tcp_transmit_skb", ([sk, skb]) => {
    // The TCP header, then __ip_queue_xmit's IP header.
    const s = sockOf(sk!);
    if (s) {
      const f = flowOf(k, s);
      pushTcpHeader(k, skb!, f, flows.nextSeq(f, skbData(k, skb!).len));
      pushIpHeader(k, skb!, f, flows.nextIpId());
    }
    return call("ip_local_out", w.net, sk!, skb!);
  });
  set("udp_sendmsg", ([sk, , len]) => {
    if (rng.chance(0.02)) return err(EAGAIN);
    const skb = call("__alloc_skb", len! + 28n, 0xcc0n, 0n, BigInt.asUintN(64, -1n));
    // ip_make_skb: the payload after room for the IP and UDP headers, which udp_send_skb and ip_make_skb fill.
    const s = sockOf(sk!);
    if (s) {
      const f = flowOf(k, s);
      skbPull(k, skb, IP_HLEN + UDP_HLEN);
      writePayload(k, skb, flows.payload(Number(len!)));
      pushUdpHeader(k, skb, f, Number(len!));
      pushIpHeader(k, skb, f, flows.nextIpId());
    }
    setField(k, skb, "sk_buff", "sk", sk!);
    setField(k, skb, "sk_buff", "dev", (sockOf(sk!)?.dev ?? w.eth0).addr);
    const ret = call("ip_send_skb", w.net, skb);
    return BigInt.asIntN(64, ret) < 0n ? ret : len!;
  });
  set("ip_send_skb", ([net, skb]) => {
    const s = sockOf(k.memory.readField(skb!, "sk_buff", "sk"));
    return call("ip_local_out", net!, s?.sk ?? 0n, skb!);
  });
  set("ip_local_out", ([net, sk, skb]) => {
    call("__ip_local_out", net!, sk!, skb!);
    return call("ip_output", net!, sk!, skb!);
  });
  set("__ip_local_out", () => 1n);
  set("ip_output", ([net, sk, skb]) => call("ip_finish_output", net!, sk!, skb!));
  set("ip_finish_output", ([net, sk, skb]) => call("ip_finish_output2", net!, sk!, skb!));
  set("ip_finish_output2", ([, , skb]) => {
    // neigh_output: the link-layer header (lo: zero MACs; eth0: to the gateway).
    const dev = k.memory.readField(skb!, "sk_buff", "dev");
    pushEthHeader(k, skb!, dev === w.lo.addr ? ZERO_MAC : GATEWAY_MAC, macOf(w, dev));
    return call("__dev_queue_xmit", skb!, 0n);
  });
  set("__dev_queue_xmit", ([skb]) => {
    if (rng.chance(0.01)) {
      call("kfree_skb_reason", skb!, dropReason("SKB_DROP_REASON_NOT_SPECIFIED"));
      return 1n; // NET_XMIT_DROP
    }
    const dev = k.memory.readField(skb!, "sk_buff", "dev");
    call("dev_hard_start_xmit", skb!, dev, 0n, 0n);
    // rcu_read_unlock_bh(): bottom halves back on, the pending NET_RX softirq runs now.
    netRxSoftirq();
    return 0n;
  });
  set("dev_hard_start_xmit", ([skb, dev]) => {
    // xmit_one: the taps first (dev_queue_xmit_nit), then the driver.
    taps.xmit(skb!, ifindexOf(dev!), ipProtocolOf(k, skb!));
    const len = k.memory.readField(skb!, "sk_buff", "len");
    k.fire(tp("net", "net_dev_xmit"), { skbaddr: skb!, len, rc: 0n, name: devName(dev!) }, [skb!, 0n, dev!, len]);
    if (dev === w.lo.addr) {
      // loopback_xmit: the skb leaves its sender (skb_orphan) and is received
      // on lo; the receive path finds the other end of the connection.
      const from = sockOf(k.memory.readField(skb!, "sk_buff", "sk"));
      setField(k, skb!, "sk_buff", "sk", from?.peer?.sk ?? 0n);
      ethTypeTrans(k, skb!, dev!);
      call("netif_rx", skb!);
    } else call("consume_skb", skb!);
    return 0n;
  });
  set("netif_rx", ([skb]) => {
    w.backlog.push(skb!);
    return 0n; // NET_RX_SUCCESS
  });
  /** net_rx_action: receives what netif_rx queued, in softirq context on this CPU. */
  const netRxSoftirq = (): void => {
    if (!w.backlog.length) return;
    const cpu = k.tasks.cpus[k.cpu]!;
    const prev = cpu.context;
    cpu.context = "softirq";
    try {
      for (let skb = w.backlog.shift(); skb !== undefined; skb = w.backlog.shift()) call("netif_receive_skb", skb);
    } finally {
      cpu.context = prev;
    }
  };

  // Receive (softirq).
  set("netif_receive_skb", ([skb]) => {
    const name = devName(k.memory.readField(skb!, "sk_buff", "dev"));
    k.fire(tp("net", "netif_receive_skb"), { skbaddr: skb!, len: k.memory.readField(skb!, "sk_buff", "len"), name }, [skb!]);
    return call("__netif_receive_skb_core", skb!, 0n, 0n);
  });
  set("__netif_receive_skb_core", ([skb]) => {
    const dev = k.memory.readField(skb!, "sk_buff", "dev");
    const ifindex = ifindexOf(dev);
    setField(k, skb!, "sk_buff", "skb_iif", BigInt(ifindex));
    setField(k, skb!, "sk_buff", "tstamp", k.clock.now());
    // The taps of the device (ptype_all) and sockets of the ethertype (ptype_base) before the IP layer.
    taps.receive(skb!, ifindex, ipProtocolOf(k, skb!));
    return call("ip_rcv", skb!, dev, 0n, 0n);
  });
  set("ip_rcv", ([skb]) => call("ip_rcv_finish", w.net, 0n, skb!));
  set("ip_rcv_finish", ([, , skb]) => call("ip_local_deliver", skb!));
  set("ip_local_deliver", ([skb]) => {
    // ip_local_deliver_finish: the IP header is pulled before the transport protocol gets the packet.
    skbPull(k, skb!, IP_HLEN);
    const d = skbData(k, skb!);
    setField(k, skb!, "sk_buff", "transport_header", d.data - d.head);
    const sk = k.memory.readField(skb!, "sk_buff", "sk");
    const s = sockOf(sk);
    return call(s?.protocol === "udp" ? "udp_rcv" : "tcp_v4_rcv", skb!);
  });
  set("tcp_v4_rcv", ([skb]) => {
    const sk = k.memory.readField(skb!, "sk_buff", "sk");
    if (sk === 0n || rng.chance(0.02)) {
      call("kfree_skb_reason", skb!, dropReason(sk === 0n ? "SKB_DROP_REASON_NO_SOCKET" : "SKB_DROP_REASON_TCP_CSUM"));
      return 0n;
    }
    call("tcp_rcv_established", sk, skb!);
    return 0n;
  });
  set("tcp_rcv_established", ([, skb]) => call("consume_skb", skb!));
  set("udp_rcv", ([skb]) => {
    if (rng.chance(0.03)) call("kfree_skb_reason", skb!, dropReason("SKB_DROP_REASON_UDP_CSUM"));
    else call("consume_skb", skb!);
    return 0n;
  });
}

/** A task sends `size` bytes on a random socket. */
export function sendOnce(k: Kernel, w: World, msgSizes: Map<bigint, number>): void {
  const s = k.rng.pick(w.socks);
  const msg = alloc(k, "msghdr");
  const size = k.rng.int(64, 1448);
  msgSizes.set(msg, size);
  k.callByName("sock_sendmsg", [s.sock, msg]);
  msgSizes.delete(msg);
  k.memory.free(msg);
}

/** A packet from another host arrives on eth0 for a random remote connection (or none: dropped with NO_SOCKET). */
export function receiveOnce(k: Kernel, w: World): void {
  const cpu = k.tasks.cpus[k.cpu]!;
  const prevCtx = cpu.context;
  cpu.context = "softirq";
  const size = k.rng.int(60, 1500);
  const skb = k.callByName("__alloc_skb", [BigInt(size), 0x820n, 0n, BigInt.asUintN(64, -1n)]);
  setField(k, skb, "sk_buff", "dev", w.eth0.addr);
  const to = k.rng.chance(0.05) ? undefined : k.rng.pick(w.socks.filter((s) => s.dev === w.eth0));
  setField(k, skb, "sk_buff", "sk", to?.sk ?? 0n);
  // The frame as it came off the wire: an IPv4 packet of `size` bytes for the connection (or, with no
  // socket, a TCP segment to the discard port) behind the gateway's Ethernet header; the driver's eth_type_trans.
  const f: Flow = to ? reversedFlow(k, to) : { protocol: IPPROTO_TCP, saddr: Uint8Array.of(198, 51, 100, 7), daddr: Uint8Array.of(10, 0, 2, 15), sport: 40000, dport: 9 };
  const flows = countersOf(k);
  const th = f.protocol === IPPROTO_TCP ? TCP_HLEN : UDP_HLEN;
  skbPull(k, skb, IP_HLEN + th);
  writePayload(k, skb, flows.payload(size - IP_HLEN - th));
  if (f.protocol === IPPROTO_TCP) pushTcpHeader(k, skb, f, flows.nextSeq(f, size - IP_HLEN - th));
  else pushUdpHeader(k, skb, f, size - IP_HLEN - th);
  pushIpHeader(k, skb, f, flows.nextIpId());
  pushEthHeader(k, skb, ETH0_MAC, GATEWAY_MAC);
  ethTypeTrans(k, skb, w.eth0.addr);
  k.callByName("netif_receive_skb", [skb]);
  cpu.context = prevCtx;
}
