// AF_PACKET sockets of the synthetic kernel and the delivery of packets to
// them, after net/packet/af_packet.c and net/core/dev.c:
// - a packet socket with protocol ETH_P_ALL is a tap (ptype_all): it sees
//   every frame a device sends (dev_queue_xmit_nit hands it a clone with
//   pkt_type PACKET_OUTGOING) and every frame it receives
//   (__netif_receive_skb_core, pkt_type as eth_type_trans set it, PACKET_HOST
//   on lo); one with a specific protocol (ETH_P_IP) sees received frames of
//   that ethertype only. Bound to an ifindex it sees that device, unbound
//   every device. On lo every packet is therefore seen twice: going out and
//   coming back in;
// - packet_rcv: a SOCK_RAW socket sees the frame from its MAC header (the
//   receive path pushes the pulled Ethernet header back for it), a
//   SOCK_DGRAM one from the network header; the attached filter runs on the
//   skb (its return value is the snap length: 0 drops the packet, counted
//   per socket; less than the length trims the copy); then, if the receive
//   queue's charged bytes reached sk_rcvbuf, the packet is dropped and
//   counted (tp_drops); else a copy of the kept bytes is queued.
// The filter itself is a callback: the syscall layer runs the attached
// program there (r1 = the skb's address).
import type { Kernel } from "./kernel.js";
import { ETH_HLEN, ETH_P_IP, htons, PACKET_OUTGOING, skbData, skbSetData } from "./packets.js";
import { setField } from "./paths/fields.js";

export const ETH_P_ALL = 0x0003;
/** SOCK_RAW and SOCK_DGRAM (include/linux/net.h). */
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
/** net.core.rmem_default: a new socket's sk_rcvbuf. */
export const RMEM_DEFAULT = 212992;
/** SOCK_MIN_RCVBUF: 2 * (2048 + sizeof(struct sk_buff)) in Linux. */
export const SOCK_MIN_RCVBUF = 2 * (2048 + 232);

/** Where struct qdisc_skb_cb keeps its data[] in skb->cb (after pkt_len, slave_dev_queue_mapping, tc_classid), and its size. */
const QDISC_CB_DATA_OFFSET = 8;
const QDISC_CB_PRIV_LEN = 20;

/** Runs a socket's filter on an skb: the snap length (0 drops). */
export type SkbFilter = (skb: bigint) => number;

/** A queued packet, as recvfrom(2) with a sockaddr_ll gives it. */
export interface PacketRecord {
  /** The bytes kept (from the MAC header for SOCK_RAW, the network header for SOCK_DGRAM). */
  data: Uint8Array;
  /** The length before the filter's trim (what MSG_TRUNC returns). */
  origLen: number;
  /** sll_pkttype: PACKET_HOST (0), PACKET_OUTGOING (4), ... */
  pktType: number;
  /** sll_ifindex. */
  ifindex: number;
  /** sll_protocol, host order (0x0800 for IPv4). */
  protocol: number;
}

/** Counters of one packet socket. */
export interface PacketSocketStats {
  /** Packets queued (the socket's tp_packets without drops). */
  received: number;
  /** Packets the filter dropped (returned 0). */
  filtered: number;
  /** Packets dropped because the receive queue was full (tp_drops). */
  queueDrops: number;
  /** Packets the filter trimmed (returned less than the length). */
  trimmed: number;
}

/** Per device, per IP protocol: packets transmitted (reached the driver) and received (entered netif_receive_skb). */
export interface NetDevCounts {
  ifindex: number;
  name: string;
  tx: Record<number, number>;
  rx: Record<number, number>;
}

export class PacketSocket {
  /** The ifindex bound to (0: every device). */
  ifindex = 0;
  /** The protocol, host order (0: none registered yet; ETH_P_ALL: a tap). */
  protocol: number;
  rcvbuf = RMEM_DEFAULT;
  filter: SkbFilter | undefined;
  readonly stats: PacketSocketStats = { received: 0, filtered: 0, queueDrops: 0, trimmed: 0 };
  private readonly queue: { rec: PacketRecord; charge: number }[] = [];
  private rmem = 0;
  /** tp_packets/tp_drops since the last PACKET_STATISTICS read. */
  private sinceRead = { packets: 0, drops: 0 };

  constructor(
    readonly type: number,
    protocol: number,
    private readonly owner: PacketSockets,
  ) {
    this.protocol = protocol;
  }

  /** Bytes charged to the receive queue (sk_rmem_alloc). */
  get rmemAlloc(): number {
    return this.rmem;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Takes the oldest queued packet (recvfrom), or undefined when the queue is empty. */
  recv(): PacketRecord | undefined {
    const q = this.queue.shift();
    if (!q) return undefined;
    this.rmem -= q.charge;
    return q.rec;
  }

  /** PACKET_STATISTICS: tp_packets (queued + dropped) and tp_drops since the last read; reading resets them. */
  readStatistics(): { packets: number; drops: number } {
    const s = { packets: this.sinceRead.packets + this.sinceRead.drops, drops: this.sinceRead.drops };
    this.sinceRead = { packets: 0, drops: 0 };
    return s;
  }

  close(): void {
    this.owner.remove(this);
    this.queue.length = 0;
    this.rmem = 0;
  }

  /** packet_rcv on `skb` (data at the MAC header for SOCK_RAW, at the network header for SOCK_DGRAM). */
  rcv(k: Kernel, skb: bigint, ifindex: number): void {
    const { data, len } = skbData(k, skb);
    let snap = len;
    if (this.filter) {
      // bpf_prog_run_clear_cb: the program's scratch area (qdisc_skb_cb's data[20], __sk_buff.cb[]) starts zeroed.
      k.memory.writeKernel(skb + BigInt(k.memory.field("sk_buff", "cb").byteOffset + QDISC_CB_DATA_OFFSET), new Uint8Array(QDISC_CB_PRIV_LEN));
      const res = this.filter(skb) >>> 0;
      if (res === 0) {
        this.stats.filtered++;
        return;
      }
      if (res < snap) {
        snap = res;
        this.stats.trimmed++;
      }
    }
    const truesize = Number(k.memory.readField(skb, "sk_buff", "truesize"));
    if (this.rmem >= this.rcvbuf) {
      this.stats.queueDrops++;
      this.sinceRead.drops++;
      return;
    }
    const bytes = new Uint8Array(snap);
    k.memory.readKernel(bytes, data);
    const pktType = Number(k.memory.readField(skb, "sk_buff", "pkt_type"));
    const protocol = htons(Number(k.memory.readField(skb, "sk_buff", "protocol")));
    this.queue.push({ rec: { data: bytes, origLen: len, pktType, ifindex, protocol }, charge: truesize });
    this.rmem += truesize;
    this.stats.received++;
    this.sinceRead.packets++;
  }
}

/** The packet sockets of a kernel and the per-device packet counts (the ground truth of what crossed each device). */
export class PacketSockets {
  private readonly socks: PacketSocket[] = [];
  private readonly counts = new Map<number, { tx: Record<number, number>; rx: Record<number, number> }>();

  constructor(private readonly k: Kernel) {}

  /** socket(AF_PACKET, type, protocol) with `protocol` in host order. */
  open(type: number, protocol: number): PacketSocket {
    const s = new PacketSocket(type, protocol, this);
    this.socks.push(s);
    return s;
  }

  remove(s: PacketSocket): void {
    const i = this.socks.indexOf(s);
    if (i >= 0) this.socks.splice(i, 1);
  }

  /** The sockets that see a frame of `ethertype` crossing device `ifindex` (outgoing: the taps only, as dev_queue_xmit_nit walks ptype_all). */
  private taps(ifindex: number, outgoing: boolean, ethertype: number): PacketSocket[] {
    return this.socks.filter(
      (s) => s.protocol !== 0 && (s.ifindex === 0 || s.ifindex === ifindex) && (s.protocol === ETH_P_ALL || (!outgoing && s.protocol === ethertype)),
    );
  }

  /** Packets per device and IP protocol so far. */
  devCounts(ifindex: number): { tx: Record<number, number>; rx: Record<number, number> } {
    let c = this.counts.get(ifindex);
    if (!c) this.counts.set(ifindex, (c = { tx: {}, rx: {} }));
    return c;
  }

  private count(ifindex: number, dir: "tx" | "rx", proto: number): void {
    const c = this.devCounts(ifindex)[dir];
    c[proto] = (c[proto] ?? 0) + 1;
  }

  /**
   * xmit_one: the frame (data at its MAC header) reaches the driver of the
   * device with `ifindex`; taps get a clone with pkt_type PACKET_OUTGOING
   * (dev_queue_xmit_nit).
   */
  xmit(skb: bigint, ifindex: number, ipProto: number): void {
    this.count(ifindex, "tx", ipProto);
    const taps = this.taps(ifindex, true, ETH_P_IP);
    if (!taps.length) return;
    const k = this.k;
    const clone = cloneSkb(k, skb);
    setField(k, clone, "sk_buff", "pkt_type", BigInt(PACKET_OUTGOING));
    try {
      for (const s of taps) {
        // SOCK_DGRAM sees the packet from its network header: pulled for it, restored after.
        const pull = s.type === SOCK_DGRAM ? ETH_HLEN : 0;
        this.shift(clone, pull);
        try {
          s.rcv(k, clone, ifindex);
        } finally {
          this.shift(clone, -pull);
        }
      }
    } finally {
      k.memory.free(clone);
    }
  }

  /**
   * __netif_receive_skb_core: the frame (data at its network header, the
   * Ethernet header pulled by eth_type_trans) is delivered to the taps of
   * its device and to sockets of its ethertype.
   */
  receive(skb: bigint, ifindex: number, ipProto: number): void {
    this.count(ifindex, "rx", ipProto);
    const taps = this.taps(ifindex, false, ETH_P_IP);
    if (!taps.length) return;
    const k = this.k;
    // In Linux a received skb has no socket yet when the taps see it (lo's xmit orphans it; early
    // demux in ip_rcv_finish finds the socket later). The model carries the destination in skb->sk
    // from the start, so it is hidden from the taps (bpf_get_socket_cookie gives 0, as in Linux).
    const sk = k.memory.readField(skb, "sk_buff", "sk");
    setField(k, skb, "sk_buff", "sk", 0n);
    try {
      this.deliver(taps, skb, ifindex);
    } finally {
      setField(k, skb, "sk_buff", "sk", sk);
    }
  }

  private deliver(taps: PacketSocket[], skb: bigint, ifindex: number): void {
    const k = this.k;
    for (const s of taps) {
      // packet_rcv on a device with a link-layer header: SOCK_RAW sees the frame from the MAC header.
      const push = s.type === SOCK_RAW ? ETH_HLEN : 0;
      this.shift(skb, -push);
      try {
        s.rcv(k, skb, ifindex);
      } finally {
        this.shift(skb, push);
      }
    }
  }

  /** Moves skb->data forward by n bytes (negative: back), adjusting len. */
  private shift(skb: bigint, n: number): void {
    if (n === 0) return;
    const d = skbData(this.k, skb);
    skbSetData(this.k, skb, d.data + BigInt(n), d.len - n);
  }
}

/** skb_clone: a new sk_buff sharing the data buffer (its fields copied). */
function cloneSkb(k: Kernel, skb: bigint): bigint {
  const clone = k.memory.alloc("sk_buff");
  const size = k.memory.field("sk_buff", "users").byteOffset + 4;
  const bytes = new Uint8Array(size);
  k.memory.readKernel(bytes, skb);
  k.memory.writeKernel(clone, bytes);
  setField(k, clone, "sk_buff", "next", 0n);
  setField(k, clone, "sk_buff", "prev", 0n);
  setField(k, clone, "sk_buff", "sk", 0n);
  setField(k, clone, "sk_buff", "cloned", 1n);
  setField(k, clone, "sk_buff", "users.refs.counter", 1n);
  return clone;
}

const registries = new WeakMap<Kernel, PacketSockets>();

/** The packet sockets of kernel `k` (made on first use). */
export function packetSocketsOf(k: Kernel): PacketSockets {
  let r = registries.get(k);
  if (!r) registries.set(k, (r = new PacketSockets(k)));
  return r;
}
