// The networking core and the net workload's steps: the skb's life
// (__alloc_skb / napi_alloc_skb, skb_put, skb_clone, consume_skb with
// skb:consume_skb, __kfree_skb, kfree_skb_reason with its drop reasons and
// call-site locations; the socket memory charges undone by sock_rfree /
// sock_wfree), IPv4 output (ip_queue_xmit -> __ip_queue_xmit and
// ip_send_skb -> ip_local_out -> ip_output -> ip_finish_output ->
// ip_finish_output2) and input (ip_rcv -> ip_rcv_core -> ip_rcv_finish ->
// ip_rcv_finish_core -> ip_local_deliver -> ip_local_deliver_finish ->
// ip_protocol_deliver_rcu -> tcp_v4_rcv / udp_rcv), and the devices:
// __dev_queue_xmit (net:net_dev_queue) -> validate_xmit_skb ->
// dev_hard_start_xmit (the taps, net:net_dev_start_xmit, the driver,
// net:net_dev_xmit). lo's driver (loopback_xmit) hands the skb to netif_rx
// (the CPU's backlog), and the NET_RX softirq that __dev_queue_xmit runs
// when it re-enables bottom halves receives it: net_rx_action ->
// __napi_poll (napi:napi_poll) -> process_backlog -> netif_receive_skb.
// eth0 (virtio_net) sends to the gateway and frees the skb; frames from
// the wire arrive through its NAPI poll: virtnet_poll -> napi_gro_receive
// -> netif_receive_skb. (Linux's process_backlog calls
// __netif_receive_skb and GRO hands packets on in lists; the model goes
// through netif_receive_skb both ways so that it sees every receive.)
// Then __netif_receive_skb -> __netif_receive_skb_one_core ->
// __netif_receive_skb_core (net:netif_receive_skb, the packet taps) ->
// ip_rcv / ipv6_rcv. Every skb carries its frame's bytes (packets.ts).
// TCP, UDP, IPv6, the socket layer, netlink and the remote hosts are in
// tcp.ts, udp.ts, ipv6.ts, socket.ts, netlink.ts and remote.ts.
import { BtfKind } from "../../btf/kinds.js";
import type { KernelFunction } from "../functions.js";
import type { Kernel } from "../kernel.js";
import {
  ethTypeTrans,
  FlowCounters,
  IP_HLEN,
  IPPROTO_TCP,
  IPPROTO_UDP,
  ipProtocolOf,
  pushEthHeader,
  pushIpHeader,
  pushTcpHeader,
  pushUdpHeader,
  skbAllocHead,
  skbData,
  skbFreeHead,
  skbPull,
  skbSetData,
  TCP_HLEN,
  TCPF,
  UDP_HLEN,
  writePayload,
  type Flow,
} from "../packets.js";
import { packetSocketsOf } from "../sockets.js";
import { alloc, setField } from "./fields.js";
import { flowsOf, TCP_ESTABLISHED } from "./inet.js";
import { installIpv6Paths } from "./ipv6.js";
import { fireLazy, type NetEnv, type Seg } from "./net-env.js";
import { installNetlinkPaths } from "./netlink.js";
import { installRemote, installTimerPaths, netSession, type Remote } from "./remote.js";
import { installSocketPaths } from "./socket.js";
import { installTcpPaths, type TcpPaths } from "./tcp.js";
import { installUdpPaths } from "./udp.js";
import type { Sock, World } from "./world.js";

/** lo's MAC address (all zeros) and eth0's, and the gateway's behind it (QEMU user networking's). */
const ZERO_MAC = new Uint8Array(6);
const ETH0_MAC = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);
const GATEWAY_MAC = Uint8Array.of(0x52, 0x55, 0x0a, 0x00, 0x02, 0x02);
const ETH_P_IP_BE = 0x0008n;
const ETH_P_IPV6_BE = 0xdd86n;
const GFP_ATOMIC = 0x820n;
const NUMA_NO_NODE = BigInt.asUintN(64, -1n);
/** SKB_ALLOC_RX (__alloc_skb's flags for a receive buffer). */
const SKB_ALLOC_RX = 2n;
/** The NAPI budget per poll (netdev_budget's per-instance weight, NAPI_POLL_WEIGHT). */
const NAPI_WEIGHT = 64;
/** NET_RX_SUCCESS, GRO_NORMAL. */
const NET_RX_SUCCESS = 0n;
const GRO_NORMAL = 3n;
const MSG_DONTWAIT = 0x40n;

/** The value of an enumerator of the kernel's BTF (0 if missing). */
export function enumValue(k: Kernel, type: string, name: string): bigint {
  const id = k.btf.findByNameKind(type, BtfKind.ENUM);
  const t = id === undefined ? undefined : k.btf.typeById(id);
  return t?.kind === BtfKind.ENUM ? BigInt(t.values.find((v) => v.name === name)?.value ?? 0) : 0n;
}

/** Per kernel: the installed network paths (the steps use them). */
export interface NetState {
  env: NetEnv;
  msgSizes: Map<bigint, number>;
  tcp: TcpPaths;
  remote: Remote;
}
const states = new WeakMap<Kernel, NetState>();
/** The network paths installed in `k` (tests drive the sessions with them). */
export function netStateOf(k: Kernel): NetState | undefined {
  return states.get(k);
}

export function installNetPaths(k: Kernel, w: World, msgSizes: Map<bigint, number>): void {
  const set = (name: string, impl: (args: readonly bigint[]) => bigint) => {
    for (const fn of k.functions.named(name)) fn.impl = (c) => impl(c.args);
  };
  /** Calls through the function table (fentry/fexit see them), the function found once per name. */
  const fns = new Map<string, KernelFunction>();
  const call = (name: string, ...args: bigint[]) => {
    let fn = fns.get(name);
    if (!fn) {
      fn = k.functions.named(name)[0];
      if (!fn) throw new RangeError(`no kernel function '${name}'`);
      fns.set(name, fn);
    }
    return k.call(fn, args);
  };
  const rng = k.rng;
  const tp = (cat: string, name: string) => {
    const t = k.tracepoints.get(cat, name);
    if (!t) throw new RangeError(`no tracepoint ${cat}:${name}`);
    return t;
  };
  const dropReasons = new Map<string, bigint>();
  const dropReason = (n: string) => {
    let v = dropReasons.get(n);
    if (v === undefined) dropReasons.set(n, (v = enumValue(k, "skb_drop_reason", n)));
    return v;
  };
  const rstReason = (n: string) => enumValue(k, "sk_rst_reason", n);
  /** dev->name, the events' __data_loc name (__assign_str(name, skb->dev->name)). */
  const devName = (dev: bigint) => (dev === w.lo.addr ? "lo" : dev === w.eth0.addr ? "eth0" : dev === 0n ? "" : k.memory.readString(dev, "net_device", "name"));
  const flows = countersOf(k);
  const taps = packetSocketsOf(k);
  const ifindexOf = (dev: bigint): number => (dev === w.lo.addr ? w.lo.ifindex : dev === w.eth0.addr ? w.eth0.ifindex : 0);
  const segs = new Map<bigint, Seg>();
  /** Skbs charged to a socket's receive memory (skb_set_owner_r) or send memory (skb_set_owner_w), with the charge. */
  const rcharged = new Map<bigint, { sk: bigint; truesize: bigint }>();
  const wcharged = new Map<bigint, { sk: bigint; truesize: bigint }>();

  // NAPI instances: the CPUs' backlog (lo) and eth0's receive queue.
  const napi = (dev: bigint, id: number) => {
    const n = alloc(k, "napi_struct");
    setField(k, n, "napi_struct", "dev", dev);
    setField(k, n, "napi_struct", "weight", BigInt(NAPI_WEIGHT));
    setField(k, n, "napi_struct", "napi_id", BigInt(id));
    return n;
  };
  const backlogNapi = napi(0n, 0);
  const eth0Napi = napi(w.eth0.addr, 0x2001);

  const env: NetEnv = {
    k,
    w,
    set,
    call,
    tp,
    dropReason,
    rstReason,
    flows,
    sockOf: (sk) => w.bySk.get(sk),
    devName,
    segs,
    napiOf: (dev) => (dev.addr === w.eth0.addr ? eth0Napi : backlogNapi),
    netRx: () => netRxSoftirq(),
    wireRx: (skb) => wireRx(skb),
    connecting: () => {},
    awaitConnect: () => {},
    awaitAccept: () => {},
    msgDest: () => undefined,
    userBufOf: () => 0n,
    chargeR: (skb, s, truesize) => {
      rcharged.set(skb, { sk: s.sk, truesize });
      setField(k, skb, "sk_buff", "sk", s.sk);
      const S = (f: string) => k.memory.readField(s.sk, "sock", f);
      setField(k, s.sk, "sock", "sk_backlog.rmem_alloc.counter", BigInt.asUintN(32, S("sk_backlog.rmem_alloc.counter") + truesize));
      setField(k, s.sk, "sock", "sk_forward_alloc", BigInt.asUintN(32, S("sk_forward_alloc") - truesize));
    },
  };

  // The skb's life.
  set("__alloc_skb", ([size]) => {
    const skb = alloc(k, "sk_buff");
    skbAllocHead(k, skb, Number(size!));
    setField(k, skb, "sk_buff", "truesize", size! + 512n);
    setField(k, skb, "sk_buff", "protocol", ETH_P_IP_BE);
    return skb;
  });
  set("napi_alloc_skb", ([, len]) => call("__alloc_skb", len!, GFP_ATOMIC, SKB_ALLOC_RX, NUMA_NO_NODE));
  set("skb_put", ([skb, len]) => {
    const d = skbData(k, skb!);
    const tail = d.data + BigInt(d.len);
    skbSetData(k, skb!, d.data, d.len + Number(len!));
    setField(k, skb!, "sk_buff", "tail", k.memory.readField(skb!, "sk_buff", "tail") + len!);
    return tail;
  });
  /** skb_clone: a second sk_buff for the same data (the model copies the bytes; the clone is marked cloned as in Linux). */
  set("skb_clone", ([skb]) => {
    const n = alloc(k, "sk_buff");
    const d = skbData(k, skb!);
    const off = Number(d.data - d.head);
    skbAllocHead(k, n, d.len);
    const bytes = new Uint8Array(d.len);
    k.memory.readKernel(bytes, d.data);
    k.memory.writeKernel(skbData(k, n).data, bytes);
    void off;
    for (const f of ["sk", "dev", "truesize", "protocol", "priority", "mark", "hash"]) setField(k, n, "sk_buff", f, k.memory.readField(skb!, "sk_buff", f));
    setField(k, n, "sk_buff", "cloned", 1n);
    setField(k, skb!, "sk_buff", "cloned", 1n);
    return n;
  });
  /** skb_release_head_state's destructor (sock_rfree / sock_wfree), then the data and the sk_buff. */
  const release = (skb: bigint) => {
    if (rcharged.has(skb)) call("sock_rfree", skb);
    if (wcharged.has(skb)) call("sock_wfree", skb);
    segs.delete(skb);
    skbFreeHead(k, skb);
    call("kfree_skbmem", skb);
  };
  const tpConsume = tp("skb", "consume_skb");
  set("consume_skb", ([skb]) => {
    fireLazy(k, tpConsume, () => ({ skbaddr: skb!, location: k.functions.returnAddress() }), [skb!, k.functions.returnAddress()]);
    release(skb!);
    return 0n;
  });
  set("__kfree_skb", ([skb]) => (release(skb!), 0n));
  set("kfree_skbmem", ([skb]) => (k.memory.free(skb!), 0n));
  const tpKfree = tp("skb", "kfree_skb");
  set("kfree_skb_reason", ([skb, reason]) => {
    // location: the return address inside the caller, as __builtin_return_address(0) gives it
    // (the same address kernel stacks show; it used to run past the caller's 0x40 bytes into the next function).
    const location = k.functions.returnAddress();
    // rx_sk: the socket a received packet was for (skb->sk on the receive path), NULL on transmit.
    const sk = k.memory.readField(skb!, "sk_buff", "sk");
    const rxSk = k.memory.readField(skb!, "sk_buff", "skb_iif") !== 0n ? sk : 0n;
    fireLazy(k, tpKfree, () => ({ skbaddr: skb!, location, rx_sk: rxSk, protocol: k.memory.readField(skb!, "sk_buff", "protocol"), reason: reason! }), [skb!, location, reason!, rxSk]);
    release(skb!);
    return 0n;
  });
  set("sock_rfree", ([skb]) => {
    const c = rcharged.get(skb!);
    rcharged.delete(skb!);
    if (c && w.bySk.has(c.sk)) {
      const S = (f: string) => k.memory.readField(c.sk, "sock", f);
      setField(k, c.sk, "sock", "sk_backlog.rmem_alloc.counter", BigInt.asUintN(32, S("sk_backlog.rmem_alloc.counter") - c.truesize));
      setField(k, c.sk, "sock", "sk_forward_alloc", BigInt.asUintN(32, S("sk_forward_alloc") + c.truesize));
    }
    return 0n;
  });
  set("skb_set_owner_w", ([skb, sk]) => {
    const truesize = k.memory.readField(skb!, "sk_buff", "truesize");
    wcharged.set(skb!, { sk: sk!, truesize });
    setField(k, skb!, "sk_buff", "sk", sk!);
    setField(k, sk!, "sock", "sk_wmem_alloc.refs.counter", BigInt.asUintN(32, k.memory.readField(sk!, "sock", "sk_wmem_alloc.refs.counter") + truesize));
    return 0n;
  });
  set("sock_wfree", ([skb]) => {
    const c = wcharged.get(skb!);
    wcharged.delete(skb!);
    if (c && w.bySk.has(c.sk)) setField(k, c.sk, "sock", "sk_wmem_alloc.refs.counter", BigInt.asUintN(32, k.memory.readField(c.sk, "sock", "sk_wmem_alloc.refs.counter") - c.truesize));
    return 0n;
  });
  /** sk_data_ready's default: the readers are woken (sock:sk_data_ready). */
  const tpReady = tp("sock", "sk_data_ready");
  set("sock_def_readable", ([sk]) => {
    const s = w.bySk.get(sk!);
    fireLazy(k, tpReady, () => ({ skaddr: sk!, family: BigInt(s?.family ?? 2), protocol: k.memory.readField(sk!, "sock", "sk_protocol"), ip: k.functions.returnAddress() }), [sk!]);
    return 0n;
  });

  // IPv4 output.
  /** Sockets whose route is cached (sk_dst_cache after the first ip_route_output_flow). */
  const routed = new WeakSet<object>();
  set("ip_queue_xmit", ([sk, skb, fl]) => call("__ip_queue_xmit", sk!, skb!, fl!, 0n));
  set("__ip_queue_xmit", ([sk, skb, fl]) => {
    const s = w.bySk.get(sk!);
    if (s) {
      if (!routed.has(s)) {
        call("ip_route_output_flow", w.net, fl!, sk!);
        routed.add(s);
      }
      pushIpHeader(k, skb!, flowsOf(k, s).out, flows.nextIpId());
      setField(k, skb!, "sk_buff", "dev", s.dev.addr);
    }
    return call("ip_local_out", w.net, sk!, skb!);
  });
  set("ip_send_skb", ([net, skb]) => {
    const s = w.bySk.get(k.memory.readField(skb!, "sk_buff", "sk"));
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
    pushEthHeader(k, skb!, dev === w.lo.addr ? ZERO_MAC : GATEWAY_MAC, dev === w.lo.addr ? ZERO_MAC : ETH0_MAC);
    return call("__dev_queue_xmit", skb!, 0n);
  });

  // Devices: transmit.
  const tpQueue = tp("net", "net_dev_queue");
  set("__dev_queue_xmit", ([skb]) => {
    const dev = k.memory.readField(skb!, "sk_buff", "dev");
    fireLazy(k, tpQueue, () => ({ skbaddr: skb!, len: k.memory.readField(skb!, "sk_buff", "len"), name: devName(dev) }), [skb!]);
    // eth0's queue drops now and then; lo has no queue (noqueue) and never does.
    if (dev !== w.lo.addr && rng.chance(0.01)) {
      call("kfree_skb_reason", skb!, dropReason("SKB_DROP_REASON_NOT_SPECIFIED"));
      return 1n; // NET_XMIT_DROP
    }
    const again = xmitScratch();
    const v = call("validate_xmit_skb", skb!, dev, again);
    call("dev_hard_start_xmit", v, dev, 0n, again);
    // rcu_read_unlock_bh(): bottom halves back on, the pending NET_RX softirq runs now.
    netRxSoftirq();
    return 0n;
  });
  /** A scratch kernel word for the out-parameters (bool *again, int *ret) the xmit functions take. */
  let scratch = 0n;
  const xmitScratch = () => (scratch === 0n ? (scratch = k.memory.kmalloc(8, true)) : scratch);
  set("validate_xmit_skb", ([skb]) => skb!);
  const tpStart = tp("net", "net_dev_start_xmit");
  const tpXmit = tp("net", "net_dev_xmit");
  set("dev_hard_start_xmit", ([skb, dev]) => {
    // xmit_one: the taps first (dev_queue_xmit_nit), the event, then the driver, then net_dev_xmit.
    taps.xmit(skb!, ifindexOf(dev!), ipProtocolOf(k, skb!));
    const F = (f: string) => k.memory.readField(skb!, "sk_buff", f);
    const len = F("len");
    const d = skbData(k, skb!);
    const th = F("transport_header");
    k.fire(
      tpStart,
      {
        name: devName(dev!),
        queue_mapping: F("queue_mapping"),
        skbaddr: skb!,
        protocol: F("protocol"),
        ip_summed: F("ip_summed"),
        len,
        data_len: F("data_len"),
        network_offset: F("network_header") - (d.data - d.head),
        transport_offset_valid: th === 0xffffn ? 0n : 1n,
        transport_offset: th === 0xffffn ? 0n : th - (d.data - d.head),
      },
      [skb!, dev!],
    );
    const rc = call(dev === w.lo.addr ? "loopback_xmit" : "start_xmit", skb!, dev!);
    fireLazy(k, tpXmit, () => ({ skbaddr: skb!, len, rc, name: devName(dev!) }), [skb!, rc, dev!, len]);
    return 0n;
  });
  set("loopback_xmit", ([skb, dev]) => {
    // The skb leaves its sender (skb_orphan: sock_wfree) and is received on lo;
    // a background connection's other end is the hint (early demux finds the others).
    if (wcharged.has(skb!)) call("sock_wfree", skb!);
    const from = w.bySk.get(k.memory.readField(skb!, "sk_buff", "sk"));
    setField(k, skb!, "sk_buff", "sk", from?.peer?.sk ?? 0n);
    ethTypeTrans(k, skb!, dev!);
    call("netif_rx", skb!);
    return 0n; // NETDEV_TX_OK
  });
  set("start_xmit", ([skb]) => {
    // virtio_net: the frame is on the wire; its buffer is freed on the TX completion.
    call("consume_skb", skb!);
    return 0n;
  });

  // Devices: receive.
  const tpNetifRx = tp("net", "netif_rx");
  const tpNetifRxExit = tp("net", "netif_rx_exit");
  set("netif_rx", ([skb]) => {
    fireLazy(k, tpNetifRx, () => ({ skbaddr: skb!, len: k.memory.readField(skb!, "sk_buff", "len"), name: devName(k.memory.readField(skb!, "sk_buff", "dev")) }), [skb!]);
    const ret = call("netif_rx_internal", skb!);
    fireLazy(k, tpNetifRxExit, () => ({ ret }), [ret]);
    return ret;
  });
  set("netif_rx_internal", ([skb]) => call("enqueue_to_backlog", skb!, BigInt(k.cpu), 0n));
  set("enqueue_to_backlog", ([skb]) => {
    w.backlog.push(skb!);
    return NET_RX_SUCCESS;
  });
  /** Whether net_rx_action is running on this CPU (the softirq does not nest: what it raises meanwhile it processes itself). */
  let inRx = false;
  /** net_rx_action: receives what netif_rx queued, in softirq context on this CPU. */
  const netRxSoftirq = (): void => {
    if (!w.backlog.length || inRx) return;
    softirq(() => call("net_rx_action"));
  };
  const softirq = (fn: () => void) => {
    const cpu = k.tasks.cpus[k.cpu]!;
    const prev = cpu.context;
    const prevRx = inRx;
    cpu.context = "softirq";
    inRx = true;
    try {
      fn();
    } finally {
      cpu.context = prev;
      inRx = prevRx;
    }
  };
  set("net_rx_action", () => {
    const repoll = xmitScratch();
    while (w.backlog.length) call("__napi_poll", backlogNapi, repoll);
    return 0n;
  });
  const tpPoll = tp("napi", "napi_poll");
  set("__napi_poll", ([n]) => {
    const work = n === eth0Napi ? call("virtnet_poll", n!, BigInt(NAPI_WEIGHT)) : call("process_backlog", n!, BigInt(NAPI_WEIGHT));
    const dev = k.memory.readField(n!, "napi_struct", "dev");
    fireLazy(k, tpPoll, () => ({ napi: n!, dev_name: dev === 0n ? "(no_device)" : devName(dev), work, budget: BigInt(NAPI_WEIGHT) }), [n!, work, BigInt(NAPI_WEIGHT)]);
    return work;
  });
  set("process_backlog", ([, quota]) => {
    let work = 0;
    for (let skb = w.backlog.shift(); skb !== undefined; skb = work < Number(quota!) ? w.backlog.shift() : undefined) {
      call("netif_receive_skb", skb);
      work++;
    }
    return BigInt(work);
  });
  /** Frames from the wire waiting for eth0's poll. */
  const rxRing: bigint[] = [];
  /** A frame arrives on eth0: its interrupt schedules the NAPI poll, which runs in the NET_RX softirq. */
  const wireRx = (skb: bigint) => {
    rxRing.push(skb);
    softirq(() => {
      call("__napi_poll", eth0Napi, xmitScratch());
      // What the receive sent through lo meanwhile.
      while (w.backlog.length) call("__napi_poll", backlogNapi, xmitScratch());
    });
  };
  set("virtnet_poll", ([n, budget]) => {
    let work = 0;
    for (let skb = rxRing.shift(); skb !== undefined; skb = work < Number(budget!) ? rxRing.shift() : undefined) {
      call("napi_gro_receive", n!, skb);
      work++;
    }
    return BigInt(work);
  });
  const tpGroEntry = tp("net", "napi_gro_receive_entry");
  const tpGroExit = tp("net", "napi_gro_receive_exit");
  const tpRxEntry = tp("net", "netif_receive_skb_entry");
  const tpRxExit = tp("net", "netif_receive_skb_exit");
  const rxVerbose = (skb: bigint, napiId: bigint): Record<string, bigint | string> => {
    const F = (f: string) => k.memory.readField(skb, "sk_buff", f);
    const mac = F("mac_header");
    return {
      name: devName(F("dev")),
      napi_id: napiId,
      queue_mapping: F("queue_mapping"),
      skbaddr: skb,
      protocol: F("protocol"),
      ip_summed: F("ip_summed"),
      hash: F("hash"),
      l4_hash: F("l4_hash"),
      len: F("len"),
      data_len: F("data_len"),
      truesize: F("truesize"),
      mac_header_valid: mac === 0xffffn ? 0n : 1n,
      mac_header: mac === 0xffffn ? 0n : mac - (skbData(k, skb).data - F("head")),
    };
  };
  set("napi_gro_receive", ([n, skb]) => {
    fireLazy(k, tpGroEntry, () => (rxVerbose(skb!, k.memory.readField(n!, "napi_struct", "napi_id"))), [skb!]);
    call("netif_receive_skb", skb!);
    fireLazy(k, tpGroExit, () => ({ ret: GRO_NORMAL }), [GRO_NORMAL]);
    return GRO_NORMAL;
  });
  set("netif_receive_skb", ([skb]) => {
    fireLazy(k, tpRxEntry, () => (rxVerbose(skb!, 0n)), [skb!]);
    const ret = call("__netif_receive_skb", skb!);
    fireLazy(k, tpRxExit, () => ({ ret }), [ret]);
    return ret;
  });
  set("__netif_receive_skb", ([skb]) => call("__netif_receive_skb_one_core", skb!, 0n));
  /** The struct sk_buff * that __netif_receive_skb_core's pskb points to (a stack slot in Linux). */
  let pskbSlot = 0n;
  set("__netif_receive_skb_one_core", ([skb, pfmemalloc]) => {
    if (pskbSlot === 0n) pskbSlot = k.memory.kmalloc(16, true);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, skb!, true);
    k.memory.writeKernel(pskbSlot, b);
    return call("__netif_receive_skb_core", pskbSlot, pfmemalloc!, pskbSlot + 8n);
  });
  const tpNetifReceive = tp("net", "netif_receive_skb");
  set("__netif_receive_skb_core", ([pskb]) => {
    const b = new Uint8Array(8);
    k.memory.readKernel(b, pskb!);
    const skb = new DataView(b.buffer).getBigUint64(0, true);
    const dev = k.memory.readField(skb, "sk_buff", "dev");
    const ifindex = ifindexOf(dev);
    setField(k, skb, "sk_buff", "skb_iif", BigInt(ifindex));
    setField(k, skb, "sk_buff", "tstamp", k.clock.now());
    fireLazy(k, tpNetifReceive, () => ({ skbaddr: skb, len: k.memory.readField(skb, "sk_buff", "len"), name: devName(dev) }), [skb]);
    // The taps of the device (ptype_all) and sockets of the ethertype (ptype_base) before the IP layer.
    taps.receive(skb, ifindex, ipProtocolOf(k, skb));
    const v6 = k.memory.readField(skb, "sk_buff", "protocol") === ETH_P_IPV6_BE;
    return call(v6 ? "ipv6_rcv" : "ip_rcv", skb, dev, 0n, 0n);
  });

  // IPv4 input.
  set("ip_rcv", ([skb]) => {
    const s = call("ip_rcv_core", skb!, w.net);
    return s === 0n ? 0n : call("ip_rcv_finish", w.net, 0n, skb!);
  });
  set("ip_rcv_core", ([skb]) => skb!);
  set("ip_rcv_finish", ([net, , skb]) => {
    call("ip_rcv_finish_core", net!, skb!, k.memory.readField(skb!, "sk_buff", "dev"), 0n);
    return call("ip_local_deliver", skb!);
  });
  set("ip_rcv_finish_core", () => 0n);
  set("ip_local_deliver", ([skb]) => call("ip_local_deliver_finish", w.net, 0n, skb!));
  set("ip_local_deliver_finish", ([net, , skb]) => {
    const protocol = ipProtocolOf(k, skb!);
    // The IP header is pulled before the transport protocol gets the packet.
    skbPull(k, skb!, IP_HLEN);
    const d = skbData(k, skb!);
    setField(k, skb!, "sk_buff", "transport_header", d.data - d.head);
    call("ip_protocol_deliver_rcu", net!, skb!, BigInt(protocol));
    return 0n;
  });
  set("ip_protocol_deliver_rcu", ([, skb, protocol]) => {
    call(Number(protocol!) === IPPROTO_UDP ? "udp_rcv" : "tcp_v4_rcv", skb!);
    return 0n;
  });
  set("netdev_printk", () => 0n);

  const tcp = installTcpPaths(env);
  installUdpPaths(env);
  installIpv6Paths(env);
  installSocketPaths(env, msgSizes);
  installNetlinkPaths(env);
  installTimerPaths(env);
  const remote = installRemote(env);
  // The background connections: established, their sequence numbers where the flow counters start them.
  for (const s of w.socks) {
    if (s.protocol !== "tcp") continue;
    const f = flowsOf(k, s);
    const isn = flows.nextSeq(f.out, 0);
    const peerIsn = flows.nextSeq(f.in, 0);
    tcp.initEstablished(s, isn, peerIsn);
  }
  states.set(k, { env, msgSizes, tcp, remote });
}

/** Per kernel: the flow counters standing in for IP ids and payloads (and the background connections' first sequence numbers). */
const flowCounters = new WeakMap<Kernel, FlowCounters>();
function countersOf(k: Kernel): FlowCounters {
  let c = flowCounters.get(k);
  if (!c) flowCounters.set(k, (c = new FlowCounters()));
  return c;
}

/**
 * A task sends `size` bytes on a random background connection; or, one step
 * in six, a whole session with a host behind eth0 or the kernel (remote.ts's
 * netSession). What it sent is acknowledged before the step ends (a lost
 * segment or ACK: the write timer retransmits first), and the background applications, woken by
 * sk_data_ready, read what arrived for them before the step ends.
 */
export function sendOnce(k: Kernel, w: World, msgSizes: Map<bigint, number>): void {
  const st = states.get(k)!;
  if (k.rng.chance(1 / 6)) {
    netSession(st.env, st.remote);
    return;
  }
  const s = k.rng.pick(w.socks);
  const msg = alloc(k, "msghdr");
  const size = k.rng.int(64, 1448);
  msgSizes.set(msg, size);
  k.callByName("sock_sendmsg", [s.sock, msg]);
  msgSizes.delete(msg);
  k.memory.free(msg);
  // Until what was sent is acknowledged: the remote host's ACK (over lo the other end's came back already,
  // lo losing nothing); one lost now and then (a dropped segment or ACK), and the write timer retransmits first.
  for (let i = 0; i < 4 && s.protocol === "tcp" && s.dev === w.eth0 && s.rtx.length; i++) {
    if (i > 0 || k.rng.chance(0.05)) st.remote.timerFires(s);
    ackFromRemote(k, st, s);
  }
  readBackground(k, w, msgSizes);
}

/** The background connections' readers: each reads what waits on its socket (kernel-side: these sockets have no descriptor). */
function readBackground(k: Kernel, w: World, msgSizes: Map<bigint, number>): void {
  for (const s of w.socks) {
    if (!s.rxq.length) continue;
    const rmsg = alloc(k, "msghdr");
    msgSizes.set(rmsg, 65536);
    while (s.rxq.length && k.callByName("sock_recvmsg", [s.sock, rmsg, MSG_DONTWAIT]) < 0x8000000000000000n);
    msgSizes.delete(rmsg);
    k.memory.free(rmsg);
  }
}

/** A pure ACK of everything `s` sent, from the host behind eth0. */
function ackFromRemote(k: Kernel, st: NetState, s: Sock): void {
  const f = flowsOf(k, s).in;
  const T = (x: string) => Number(k.memory.readField(s.sk, "tcp_sock", x));
  const skb = k.callByName("napi_alloc_skb", [st.env.napiOf(st.env.w.eth0), BigInt(14 + IP_HLEN + TCP_HLEN)]);
  skbPull(k, skb, 14 + IP_HLEN + TCP_HLEN);
  pushTcpHeader(k, skb, f, T("rcv_nxt"), T("snd_nxt"), TCPF.ACK);
  pushIpHeader(k, skb, f, st.env.flows.nextIpId());
  pushEthHeader(k, skb, ETH0_MAC, GATEWAY_MAC);
  ethTypeTrans(k, skb, st.env.w.eth0.addr);
  setField(k, skb, "sk_buff", "sk", s.sk);
  st.env.wireRx(skb);
}

/** A packet from another host arrives on eth0 for a random remote connection (or none: a RST answers it and it is dropped with NO_SOCKET). */
export function receiveOnce(k: Kernel, w: World): void {
  const st = states.get(k)!;
  const size = k.rng.int(60, 1500);
  const to = k.rng.chance(0.05) ? undefined : k.rng.pick(w.socks.filter((s) => s.dev === w.eth0));
  const skb = k.callByName("napi_alloc_skb", [st.env.napiOf(w.eth0), BigInt(size)]);
  setField(k, skb, "sk_buff", "dev", w.eth0.addr);
  // The frame as it came off the wire: an IPv4 packet of `size` bytes for the connection (or, with no
  // socket, a TCP segment to the discard port) behind the gateway's Ethernet header; the driver's eth_type_trans.
  const f: Flow = to ? flowsOf(k, to).in : { protocol: IPPROTO_TCP, saddr: Uint8Array.of(198, 51, 100, 7), daddr: Uint8Array.of(10, 0, 2, 15), sport: 40000, dport: 9 };
  const flows = st.env.flows;
  const th = f.protocol === IPPROTO_TCP ? TCP_HLEN : UDP_HLEN;
  skbPull(k, skb, IP_HLEN + th);
  writePayload(k, skb, flows.payload(size - IP_HLEN - th));
  if (f.protocol === IPPROTO_TCP) {
    // The remote sends in order (its next sequence number is what we expect) and acknowledges all we sent.
    const T = (x: string) => (to ? Number(k.memory.readField(to.sk, "tcp_sock", x)) : 0);
    const open = !to || to.state === TCP_ESTABLISHED;
    pushTcpHeader(k, skb, f, to ? T("rcv_nxt") : flows.nextSeq(f, size - IP_HLEN - th), to ? T("snd_nxt") : 0, to ? TCPF.PSH | TCPF.ACK : TCPF.SYN);
    void open;
  } else pushUdpHeader(k, skb, f, size - IP_HLEN - th);
  pushIpHeader(k, skb, f, flows.nextIpId());
  pushEthHeader(k, skb, ETH0_MAC, GATEWAY_MAC);
  ethTypeTrans(k, skb, w.eth0.addr);
  setField(k, skb, "sk_buff", "sk", to?.sk ?? 0n);
  st.env.wireRx(skb);
  readBackground(k, w, st.msgSizes);
}

