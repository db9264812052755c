// IPv6 as Linux 6.12 sends and receives it: the route (ip6_dst_lookup_flow
// -> ip6_route_output_flags -> fib6_lookup), TCP's transmit (inet6_csk_xmit
// -> ip6_xmit -> ip6_output), UDP's (ip6_send_skb -> ip6_local_out ->
// ip6_output), then ip6_finish_output -> ip6_finish_output2 (the Ethernet
// header, ethertype 0x86dd) -> __dev_queue_xmit; and the receive side
// (ipv6_rcv -> ip6_rcv_finish -> ip6_input -> ip6_input_finish ->
// ip6_protocol_deliver_rcu -> tcp_v6_rcv / udpv6_rcv).
import { ETH_P_IPV6, IP6_HLEN, IPPROTO_TCP, pushEthHeader, pushIp6Header, skbData, skbPull } from "../packets.js";
import { setField } from "./fields.js";
import { flowsOf } from "./inet.js";
import type { NetEnv } from "./net-env.js";

const ZERO_MAC = new Uint8Array(6);
const ETH0_MAC = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);
/** The IPv6 router's MAC behind eth0 (QEMU user networking's gateway). */
const ROUTER_MAC = Uint8Array.of(0x52, 0x55, 0x0a, 0x00, 0x02, 0x02);

export function installIpv6Paths(env: NetEnv): void {
  const { k, w, set, call } = env;
  /** Sockets whose route is cached (the dst in sk_dst_cache after the first lookup). */
  const routed = new WeakSet<object>();

  set("ip6_dst_lookup_flow", ([net, sk, fl6]) => {
    // The socket keeps the route (ip6_dst_store): its transmits do not look it up again.
    const s = env.sockOf(sk!);
    if (s) routed.add(s);
    return call("ip6_route_output_flags", net!, sk!, fl6!, 0n);
  });
  set("ip6_route_output_flags", ([net, , fl6]) => {
    const res = k.memory.alloc("fib6_result");
    call("fib6_lookup", net!, 0n, fl6!, res, 0n);
    k.memory.free(res);
    return 0n;
  });
  set("fib6_lookup", () => 0n);

  set("inet6_csk_xmit", ([sk, skb]) => {
    const s = env.sockOf(sk!);
    if (!s) return call("kfree_skb_reason", skb!, env.dropReason("SKB_DROP_REASON_NOT_SPECIFIED"));
    const fl6 = k.memory.alloc("flowi6");
    if (!routed.has(s)) call("ip6_dst_lookup_flow", w.net, sk!, fl6, 0n);
    pushIp6Header(k, skb!, flowsOf(k, s).out);
    setField(k, skb!, "sk_buff", "dev", s.dev.addr);
    const ret = call("ip6_xmit", sk!, skb!, fl6, 0n, 0n, 0n, 0n);
    k.memory.free(fl6);
    return ret;
  });
  set("ip6_xmit", ([sk, skb]) => call("ip6_output", w.net, sk!, skb!));
  set("ip6_send_skb", ([skb]) => {
    const sk = k.memory.readField(skb!, "sk_buff", "sk");
    return call("ip6_local_out", w.net, sk, skb!);
  });
  set("ip6_local_out", ([net, sk, skb]) => call("ip6_output", net!, sk!, skb!));
  set("ip6_output", ([net, sk, skb]) => {
    setField(k, skb!, "sk_buff", "protocol", 0xdd86n);
    return call("ip6_finish_output", net!, sk!, skb!);
  });
  set("ip6_finish_output", ([net, sk, skb]) => call("ip6_finish_output2", net!, sk!, skb!));
  set("ip6_finish_output2", ([, , skb]) => {
    const dev = k.memory.readField(skb!, "sk_buff", "dev");
    const lo = dev === w.lo.addr;
    pushEthHeader(k, skb!, lo ? ZERO_MAC : ROUTER_MAC, lo ? ZERO_MAC : ETH0_MAC, ETH_P_IPV6);
    return call("__dev_queue_xmit", skb!, 0n);
  });

  // Receive.
  set("ipv6_rcv", ([skb]) => call("ip6_rcv_finish", w.net, 0n, skb!));
  set("ip6_rcv_finish", ([, , skb]) => call("ip6_input", skb!));
  set("ip6_input", ([skb]) => call("ip6_input_finish", w.net, 0n, skb!));
  set("ip6_input_finish", ([net, , skb]) => {
    const nh = new Uint8Array(8);
    k.memory.readKernel(nh, skbData(k, skb!).data);
    call("ip6_protocol_deliver_rcu", net!, skb!, BigInt(nh[6]!), 0n);
    return 0n;
  });
  set("ip6_protocol_deliver_rcu", ([, skb, nexthdr]) => {
    // The IPv6 header is pulled; the transport header is where data now points.
    skbPull(k, skb!, IP6_HLEN);
    const d = skbData(k, skb!);
    setField(k, skb!, "sk_buff", "transport_header", d.data - d.head);
    call(Number(nexthdr!) === IPPROTO_TCP ? "tcp_v6_rcv" : "udpv6_rcv", skb!);
    return 0n;
  });
}
