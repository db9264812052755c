// The bytes of the synthetic kernel's packets: each sk_buff gets a linear
// data buffer (head, data, tail, end as in Linux, tail and end being offsets
// from head: NET_SKBUFF_DATA_USES_OFFSET), and the protocol layers push
// their headers into it as Linux's do: TCP/UDP, then IPv4, then Ethernet
// at the device (lo's all-zero MACs); receive pulls them again
// (eth_type_trans, ip_local_deliver). Nothing here draws from the kernel's
// random generator: sequence numbers, IP ids and payload bytes come from
// counters, so the workload's other values do not move and the same seed
// gives the same packets.
import type { SkbAccess } from "../vm/packet.js";
import type { Kernel } from "./kernel.js";
import { DIRECT_MAP_BASE, PAGE_SIZE } from "./memory/address-space.js";
import { setField } from "./paths/fields.js";

/** Size of an skb's head buffer (a kmalloc-2k object: frames up to 1514 bytes plus headroom). */
export const SKB_HEAD_SIZE = 2048;
/** sizeof(struct skb_shared_info) at the end of the head buffer (skb->end is where it starts). */
const SHINFO_SIZE = 320;
/** Headroom reserved before the first byte of data (room for TCP + IP + Ethernet headers). */
export const SKB_HEADROOM = 128;
export const ETH_HLEN = 14;
export const IP_HLEN = 20;
export const TCP_HLEN = 20;
export const UDP_HLEN = 8;
export const ETH_P_IP = 0x0800;
export const ETH_P_IPV6 = 0x86dd;
export const IP6_HLEN = 40;
/** skb->pkt_type values (include/uapi/linux/if_packet.h). */
export const PACKET_HOST = 0;
export const PACKET_OUTGOING = 4;
/** ip_summed: CHECKSUM_PARTIAL (lo leaves the transport checksum to be completed). */
const CHECKSUM_PARTIAL = 3n;

export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

/** The addresses and ports of a flow, as they appear on the wire (addresses as 4 network-order bytes). */
export interface Flow {
  protocol: number;
  /** 4 bytes (IPv4) or 16 (IPv6). */
  saddr: Uint8Array;
  daddr: Uint8Array;
  sport: number;
  dport: number;
}

/** The linear data of an skb: where it starts and how long it is. */
export interface SkbData {
  head: bigint;
  data: bigint;
  len: number;
}

/** Reads skb->head, skb->data and skb->len. */
export function skbData(k: Kernel, skb: bigint): SkbData {
  const sh = shadows(k).get(skb);
  if (sh) return { head: sh.head, data: sh.data, len: sh.len };
  const o = offs(k);
  return { head: rd(k, skb + o.head, 8), data: rd(k, skb + o.data, 8), len: Number(rd(k, skb + o.len, 4)) };
}

/**
 * What the data path knows of the skbs it made (head, data, len), so that
 * moving data does not read the fields back from kernel memory on every
 * push and pull; the fields in memory are written on every change and stay
 * what tracers and programs read. Only this module moves data and len.
 */
const shadowsByKernel = new WeakMap<Kernel, Map<bigint, SkbData>>();
function shadows(k: Kernel): Map<bigint, SkbData> {
  let m = shadowsByKernel.get(k);
  if (!m) shadowsByKernel.set(k, (m = new Map()));
  return m;
}

/** Sets skb->data and skb->len. */
export function skbSetData(k: Kernel, skb: bigint, data: bigint, len: number): void {
  const o = offs(k);
  wr(k, skb + o.data, 8, data);
  wrN(k, skb + o.len, 4, len);
  const sh = shadows(k).get(skb);
  if (sh) {
    sh.data = data;
    sh.len = len;
  }
}

/** The bytes of the skb's linear data (len bytes from data). */
export function skbBytes(k: Kernel, skb: bigint, max = Infinity): Uint8Array {
  const d = skbData(k, skb);
  const out = new Uint8Array(Math.min(d.len, max));
  k.memory.readKernel(out, d.data);
  return out;
}

/**
 * Where head buffers come from: 2 KiB fragments of pages of their own (as
 * netdev_alloc_frag's page fragments), in a part of the direct map below
 * the slab area, so that packet data leaves the slab caches' page layout
 * (and every address the workload printed before) as it was. Pages stay
 * mapped; a freed fragment is reused first (LIFO) and keeps its old bytes,
 * as page fragments do.
 */
const FRAG_AREA_START = DIRECT_MAP_BASE + 0xc0000000n;
class FragPool {
  private next = FRAG_AREA_START;
  private readonly free: bigint[] = [];
  constructor(private readonly k: Kernel) {}
  alloc(): bigint {
    const f = this.free.pop();
    if (f !== undefined) return f;
    const pages = BigInt(4 * PAGE_SIZE);
    this.k.memory.kernel.map(this.next, Number(pages));
    for (let a = this.next + pages - BigInt(SKB_HEAD_SIZE); a > this.next; a -= BigInt(SKB_HEAD_SIZE)) this.free.push(a);
    const first = this.next;
    this.next += pages;
    return first;
  }
  release(addr: bigint): void {
    this.free.push(addr);
  }
}
const fragPools = new WeakMap<Kernel, FragPool>();
function fragPool(k: Kernel): FragPool {
  let c = fragPools.get(k);
  if (!c) fragPools.set(k, (c = new FragPool(k)));
  return c;
}

/** Byte offsets of the sk_buff fields the data path moves on every packet, resolved once per kernel BTF. */
interface SkbOffsets {
  head: bigint;
  data: bigint;
  len: bigint;
  hash: bigint;
  protocol: bigint;
  macLen: bigint;
  dev: bigint;
  tail: bigint;
  end: bigint;
  mac: bigint;
  net: bigint;
  trans: bigint;
}
const offsetsByKernel = new WeakMap<Kernel, SkbOffsets>();
function offs(k: Kernel): SkbOffsets {
  let o = offsetsByKernel.get(k);
  if (!o) {
    const at = (f: string) => BigInt(k.memory.field("sk_buff", f).byteOffset);
    o = { head: at("head"), data: at("data"), len: at("len"), hash: at("hash"), protocol: at("protocol"), macLen: at("mac_len"), dev: at("dev"), tail: at("tail"), end: at("end"), mac: at("mac_header"), net: at("network_header"), trans: at("transport_header") };
    offsetsByKernel.set(k, o);
  }
  return o;
}
/** Reads a u16/u32/u64 sk_buff field in one typed load of the page. */
function rd(k: Kernel, addr: bigint, size: 2 | 4 | 8): bigint {
  const space = k.memory.kernel;
  if (size === 8) {
    const v = space.loadU64(addr);
    if (v !== undefined) return v;
  } else {
    const v = size === 4 ? space.loadU32(addr) : space.loadU16(addr);
    if (v >= 0) return BigInt(v);
  }
  k.memory.slab.noteFaultingRead(addr, size);
  throw new Error(`sk_buff field at 0x${addr.toString(16)} is not readable`);
}
/** Writes a u16/u32/u64 sk_buff field (v modulo 2^bits) in one typed store of the page. */
function wr(k: Kernel, addr: bigint, size: 2 | 4 | 8, v: bigint): void {
  const space = k.memory.kernel;
  const ok = size === 8 ? space.storeU64(addr, v) : size === 4 ? space.storeU32(addr, Number(BigInt.asUintN(32, v))) : space.storeU16(addr, Number(BigInt.asUintN(16, v)));
  if (!ok) {
    const b = new Uint8Array(size);
    if (size === 8) new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
    k.memory.writeKernel(addr, b); // notes the faulting write and throws with the first bad address
  }
}
/** A number-valued u16/u32 store (no BigInt on the way). */
function wrN(k: Kernel, addr: bigint, size: 2 | 4, v: number): void {
  if (!(size === 4 ? k.memory.kernel.storeU32(addr, v) : k.memory.kernel.storeU16(addr, v))) k.memory.writeKernel(addr, new Uint8Array(size));
}

/** Gives a fresh skb a head buffer with `len` bytes of (not yet written) data after the headroom (alloc_skb + skb_reserve + skb_put). */
export function skbAllocHead(k: Kernel, skb: bigint, len: number): void {
  const head = fragPool(k).alloc();
  const o = offs(k);
  wr(k, skb + o.head, 8, head);
  wr(k, skb + o.data, 8, head + BigInt(SKB_HEADROOM));
  wrN(k, skb + o.tail, 4, SKB_HEADROOM + len);
  wrN(k, skb + o.end, 4, SKB_HEAD_SIZE - SHINFO_SIZE);
  wrN(k, skb + o.len, 4, len);
  shadows(k).set(skb, { head, data: head + BigInt(SKB_HEADROOM), len });
  // __alloc_skb: no link-layer or transport header yet.
  wrN(k, skb + o.mac, 2, HEADER_UNSET);
  wrN(k, skb + o.trans, 2, HEADER_UNSET);
}

/** Frees the skb's head buffer (skb_release_data), if it has one and owns it. */
export function skbFreeHead(k: Kernel, skb: bigint): void {
  const sh = shadows(k).get(skb);
  const head = sh ? sh.head : rd(k, skb + offs(k).head, 8);
  shadows(k).delete(skb);
  if (head !== 0n) fragPool(k).release(head);
}

/** skb_push: `n` more bytes at the front; returns the new data pointer. */
export function skbPush(k: Kernel, skb: bigint, n: number): bigint {
  const d = skbData(k, skb);
  const data = d.data - BigInt(n);
  skbSetData(k, skb, data, d.len + n);
  return data;
}

/** skb_pull: drops `n` bytes at the front; returns the new data pointer. */
export function skbPull(k: Kernel, skb: bigint, n: number): bigint {
  const d = skbData(k, skb);
  const data = d.data + BigInt(n);
  skbSetData(k, skb, data, d.len - n);
  return data;
}

/** The offset of the current data pointer from head (what skb_reset_*_header stores). */
function dataOffset(k: Kernel, skb: bigint): bigint {
  const d = skbData(k, skb);
  return d.data - d.head;
}

/** Internet checksum of `b` (RFC 1071). */
function inetChecksum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (b.length % 2) sum += b[b.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

const put16 = (b: Uint8Array, off: number, v: number) => {
  b[off] = (v >>> 8) & 0xff;
  b[off + 1] = v & 0xff;
};
const put32 = (b: Uint8Array, off: number, v: number) => {
  put16(b, off, (v >>> 16) & 0xffff);
  put16(b, off + 2, v & 0xffff);
};

/** Per-flow counters that stand in for TCP sequence numbers and IP ids (no randomness drawn). */
export class FlowCounters {
  private readonly seqs = new Map<string, number>();
  private ipId = 0;
  private payloads = 0;

  /** The next sequence number of the flow's sender, advanced by `len`. */
  nextSeq(flow: Flow, len: number): number {
    const key = flowKey(flow);
    const seq = this.seqs.get(key) ?? (fnv(key) & 0x7fffffff);
    this.seqs.set(key, (seq + len) >>> 0);
    return seq;
  }

  /** The next IPv4 identification. */
  nextIpId(): number {
    this.ipId = (this.ipId + 1) & 0xffff;
    return this.ipId;
  }

  /** A payload of `len` bytes: a counter-seeded byte pattern (byte i is (n * 31 + i) mod 256 for the n-th payload). */
  payload(len: number): Uint8Array {
    const start = (this.payloads++ * 31) & 0xff;
    if (start + len > PATTERN.length) return Uint8Array.from({ length: len }, (_, i) => (start + i) & 0xff);
    return PATTERN.subarray(start, start + len);
  }
}

/** Bytes 0, 1, ..., 255, 0, 1, ...: payloads are windows into it. */
const PATTERN = Uint8Array.from({ length: 256 + SKB_HEAD_SIZE }, (_, i) => i & 0xff);

const flowKeys = new WeakMap<Flow, string>();
function flowKey(f: Flow): string {
  let key = flowKeys.get(f);
  if (key === undefined) flowKeys.set(f, (key = flowKeyOf(f)));
  return key;
}
function flowKeyOf(f: Flow): string {
  return `${f.protocol}/${f.saddr.join(".")}:${f.sport}>${f.daddr.join(".")}:${f.dport}`;
}

function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** The flow hash the stack stores in skb->hash (sk_txhash on send, the RX hash on receive): a function of the 4-tuple. */
export function flowHash(f: Flow): number {
  return fnv(flowKey(f)) || 1;
}

/** Writes `payload` as the skb's data (the data area must hold it: skbAllocHead(len)). */
export function writePayload(k: Kernel, skb: bigint, payload: Uint8Array): void {
  k.memory.writeKernel(skbData(k, skb).data, payload);
}

/** TCP header flags (the 13th byte). */
export const TCPF = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

/** tcp_transmit_skb's header: pushes a 20-byte TCP header (by default ACK|PSH) and resets the transport header. */
export function pushTcpHeader(k: Kernel, skb: bigint, f: Flow, seq: number, ack = 1, flags: number = TCPF.PSH | TCPF.ACK, window = 65483): void {
  const data = skbPush(k, skb, TCP_HLEN);
  const h = new Uint8Array(TCP_HLEN);
  put16(h, 0, f.sport);
  put16(h, 2, f.dport);
  put32(h, 4, seq >>> 0);
  put32(h, 8, ack >>> 0);
  h[12] = (TCP_HLEN / 4) << 4;
  h[13] = flags;
  put16(h, 14, window);
  k.memory.writeKernel(data, h);
  wr(k, skb + offs(k).trans, 2, dataOffset(k, skb));
  setField(k, skb, "sk_buff", "ip_summed", CHECKSUM_PARTIAL);
  wrN(k, skb + offs(k).hash, 4, flowHash(f));
  setField(k, skb, "sk_buff", "l4_hash", 1n);
}

/** A TCP header as the receive path reads it at skb->data (after the IP header was pulled). */
export interface TcpHeader {
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
}

export function readTcpHeader(k: Kernel, skb: bigint): TcpHeader {
  const h = new Uint8Array(TCP_HLEN);
  k.memory.readKernel(h, skbData(k, skb).data);
  const g16 = (o: number) => (h[o]! << 8) | h[o + 1]!;
  const g32 = (o: number) => ((g16(o) << 16) | g16(o + 2)) >>> 0;
  return { sport: g16(0), dport: g16(2), seq: g32(4), ack: g32(8), flags: h[13]!, window: g16(14) };
}

/** udp_send_skb's header over `payloadLen` bytes of payload. */
export function pushUdpHeader(k: Kernel, skb: bigint, f: Flow, payloadLen: number): void {
  const data = skbPush(k, skb, UDP_HLEN);
  const h = new Uint8Array(UDP_HLEN);
  put16(h, 0, f.sport);
  put16(h, 2, f.dport);
  put16(h, 4, UDP_HLEN + payloadLen);
  k.memory.writeKernel(data, h);
  wr(k, skb + offs(k).trans, 2, dataOffset(k, skb));
  wrN(k, skb + offs(k).hash, 4, flowHash(f));
}

/** The IPv4 header (__ip_queue_xmit / ip_make_skb): pushed over the transport header, with its checksum. */
export function pushIpHeader(k: Kernel, skb: bigint, f: Flow, id: number): void {
  const data = skbPush(k, skb, IP_HLEN);
  const total = skbData(k, skb).len;
  const h = new Uint8Array(IP_HLEN);
  h[0] = 0x45;
  put16(h, 2, total);
  put16(h, 4, id);
  put16(h, 6, 0x4000); // DF
  h[8] = 64;
  h[9] = f.protocol;
  h.set(f.saddr, 12);
  h.set(f.daddr, 16);
  put16(h, 10, inetChecksum(h));
  k.memory.writeKernel(data, h);
  wr(k, skb + offs(k).net, 2, dataOffset(k, skb));
  wrN(k, skb + offs(k).protocol, 2, htons(ETH_P_IP));
}

/** The IPv6 header (ip6_xmit / ip6_make_skb): version 6, flow label 0, hop limit 64, over the transport header. */
export function pushIp6Header(k: Kernel, skb: bigint, f: Flow): void {
  const data = skbPush(k, skb, IP6_HLEN);
  const h = new Uint8Array(IP6_HLEN);
  h[0] = 0x60;
  put16(h, 4, skbData(k, skb).len - IP6_HLEN);
  h[6] = f.protocol;
  h[7] = 64;
  h.set(f.saddr, 8);
  h.set(f.daddr, 24);
  k.memory.writeKernel(data, h);
  wr(k, skb + offs(k).net, 2, dataOffset(k, skb));
  wrN(k, skb + offs(k).protocol, 2, htons(ETH_P_IPV6));
}

/** neigh_hh_output's Ethernet header: destination, source, ethertype (lo: both MACs zero). */
export function pushEthHeader(k: Kernel, skb: bigint, dst: Uint8Array, src: Uint8Array, ethertype = ETH_P_IP): void {
  const data = skbPush(k, skb, ETH_HLEN);
  const h = new Uint8Array(ETH_HLEN);
  h.set(dst, 0);
  h.set(src, 6);
  put16(h, 12, ethertype);
  k.memory.writeKernel(data, h);
  wr(k, skb + offs(k).mac, 2, dataOffset(k, skb));
  wrN(k, skb + offs(k).macLen, 2, ETH_HLEN);
}

/** eth_type_trans: the frame's pkt_type (to this host), protocol from the ethertype, the Ethernet header pulled. */
export function ethTypeTrans(k: Kernel, skb: bigint, dev: bigint): void {
  wr(k, skb + offs(k).mac, 2, dataOffset(k, skb));
  wr(k, skb + offs(k).dev, 8, dev);
  setField(k, skb, "sk_buff", "pkt_type", BigInt(PACKET_HOST));
  const t = new Uint8Array(2);
  k.memory.readKernel(t, skbData(k, skb).data + 12n);
  skbPull(k, skb, ETH_HLEN);
  wr(k, skb + offs(k).net, 2, dataOffset(k, skb));
  wrN(k, skb + offs(k).protocol, 2, htons((t[0]! << 8) | t[1]!));
}

/**
 * The IP protocol of the IPv4 packet at skb->network_header (0 if none): the
 * byte 9 bytes into it, which is also what a socket filter reading that
 * offset sees of an IPv6 packet (the device counts compare with such filters).
 */
export function ipProtocolOf(k: Kernel, skb: bigint): number {
  const head = skbData(k, skb).head;
  if (head === 0n) return 0;
  const nh = rd(k, skb + offs(k).net, 2);
  const b = new Uint8Array(1);
  k.memory.readKernel(b, head + nh + 9n);
  return b[0]!;
}

/** The socket's cookie (__sock_gen_cookie): sk->sk_cookie, given on first use from a per-kernel counter starting at 1. */
export function sockCookie(k: Kernel, sk: bigint): bigint {
  const c = k.memory.readField(sk, "sock", "__sk_common.skc_cookie.counter");
  if (c !== 0n) return c;
  const st = socketCookies.get(k) ?? { next: 1n };
  socketCookies.set(k, st);
  const next = st.next++;
  k.memory.writeField(sk, "sock", "__sk_common.skc_cookie.counter", next);
  return next;
}

/** htons for a 16-bit value (what a little-endian load of the __be16 field gives). */
export function htons(v: number): number {
  return ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
}

/** skb->mac_header / transport_header when not set (the kernel's (u16)~0U). */
export const HEADER_UNSET = 0xffff;

const socketCookies = new WeakMap<Kernel, { next: bigint }>();

/**
 * The VM's packet interface (src/vm/packet.ts) over this kernel's
 * sk_buffs: bytes from skb->data (within skb->len, skb_header_pointer) or
 * from the MAC or network header (within head..tail, as the negative
 * LD_ABS offsets and skb_load_bytes_relative check), the socket's cookie
 * (__sock_gen_cookie: given on first use, from 1) and its owner's uid.
 */
export function skbAccessOf(k: Kernel): SkbAccess {
  const field = (skb: bigint, p: string) => k.memory.readField(skb, "sk_buff", p);
  const sockOf = (skb: bigint): bigint | undefined => {
    try {
      const sk = field(skb, "sk");
      return sk === 0n ? undefined : sk;
    } catch {
      return undefined;
    }
  };
  return {
    loadBytes: (skb, base, off, dst) => {
      try {
        const head = field(skb, "head");
        if (head === 0n || off < 0) return -14;
        let start: bigint;
        let end: bigint;
        if (base === 0) {
          start = field(skb, "data");
          end = start + field(skb, "len");
        } else {
          const h = field(skb, base === 1 ? "mac_header" : "network_header");
          if (base === 1 && h === BigInt(HEADER_UNSET)) return -14;
          start = head + h;
          end = head + field(skb, "tail");
        }
        const from = start + BigInt(off);
        if (from < head || from + BigInt(dst.length) > end) return -14;
        return k.memory.readKernel(dst, from) === 0 ? 0 : -14;
      } catch {
        return -14;
      }
    },
    socketCookie: (skb) => {
      const sk = sockOf(skb);
      if (sk === undefined) return 0n;
      try {
        return sockCookie(k, sk);
      } catch {
        return 0n;
      }
    },
    sockCookie: (sk) => {
      if (sk === 0n) return 0n;
      try {
        return sockCookie(k, sk);
      } catch {
        return 0n;
      }
    },
    socketUid: (skb) => {
      const sk = sockOf(skb);
      if (sk === undefined) return undefined;
      try {
        return Number(k.memory.readField(sk, "sock", "sk_uid.val"));
      } catch {
        return undefined;
      }
    },
  };
}

/** An skb made for BPF_PROG_TEST_RUN from data_in (bpf_prog_test_run_skb), and what the run leaves in it. */
export interface TestRunSkb {
  /** The struct sk_buff's address (the program's r1). */
  skb: bigint;
  /** data_out: the packet after the run, with the link-layer header put back and zeroed, as the kernel copies it out for non-L2 programs. */
  dataOut(): Uint8Array;
  /** Frees the skb and its head. */
  free(): void;
}

/**
 * eth_type_trans's pkt_type for a frame arriving on a device with address
 * `devAddr` and broadcast address `devBroadcast`: this host, the device's
 * broadcast, another multicast, or another host. (lo has all-zero
 * addresses, so ff:ff:ff:ff:ff:ff is multicast there, as Linux says.)
 */
export function pktTypeOf(frame: Uint8Array, devAddr: Uint8Array, devBroadcast: Uint8Array): number {
  const dst = frame.subarray(0, 6);
  const is = (a: Uint8Array) => dst.every((b, i) => b === a[i]);
  if (is(devAddr)) return PACKET_HOST;
  if (dst[0]! & 1) return is(devBroadcast) ? 1 /* PACKET_BROADCAST */ : 2 /* PACKET_MULTICAST */;
  return 3 /* PACKET_OTHERHOST */;
}

/** bpf_prog_test_run_skb's headroom (NET_SKB_PAD + NET_IP_ALIGN on x86-64) and the most data_in one page holds with it and the shared info. */
const TEST_RUN_HEADROOM = 64;
const TEST_RUN_HEAD_SIZE = 4096;
export const TEST_RUN_MAX_DATA = TEST_RUN_HEAD_SIZE - TEST_RUN_HEADROOM - SHINFO_SIZE;

/**
 * The skb bpf_prog_test_run_skb builds for a socket filter: `frame` (an
 * Ethernet frame, at least ETH_HLEN bytes) copied after the headroom of a
 * page-sized head, received on `dev`, the namespace's loopback device
 * (eth_type_trans against lo's all-zero address: protocol from the
 * ethertype, pkt_type, the Ethernet header pulled so data is at the network
 * header; skb_iif stays 0: nothing received it). A string says why not
 * (-EINVAL in Linux).
 */
export function testRunSkb(k: Kernel, frame: Uint8Array, dev: bigint): TestRunSkb | string {
  if (frame.length < ETH_HLEN) return `data_in of ${frame.length} bytes is shorter than an Ethernet header (${ETH_HLEN})`;
  if (frame.length > TEST_RUN_MAX_DATA) return `data_in of ${frame.length} bytes does not fit a page with headroom and shared info (at most ${TEST_RUN_MAX_DATA})`;
  const skb = k.memory.alloc("sk_buff");
  const head = k.memory.kmalloc(TEST_RUN_HEAD_SIZE, true);
  const o = offs(k);
  const data = head + BigInt(TEST_RUN_HEADROOM);
  wr(k, skb + o.head, 8, head);
  wr(k, skb + o.data, 8, data);
  wrN(k, skb + o.tail, 4, TEST_RUN_HEADROOM + frame.length);
  wrN(k, skb + o.end, 4, TEST_RUN_HEAD_SIZE - SHINFO_SIZE);
  wrN(k, skb + o.len, 4, frame.length);
  wrN(k, skb + o.trans, 2, HEADER_UNSET);
  setField(k, skb, "sk_buff", "truesize", BigInt(TEST_RUN_HEAD_SIZE));
  setField(k, skb, "sk_buff", "users.refs.counter", 1n);
  k.memory.writeKernel(data, frame);
  // eth_type_trans: the MAC header here, the ethertype as protocol, pulled; then skb_reset_network_header.
  wrN(k, skb + o.mac, 2, TEST_RUN_HEADROOM);
  wr(k, skb + o.dev, 8, dev);
  setField(k, skb, "sk_buff", "pkt_type", BigInt(pktTypeOf(frame, new Uint8Array(6), new Uint8Array(6))));
  wrN(k, skb + o.protocol, 2, frame[12]! | (frame[13]! << 8));
  wr(k, skb + o.data, 8, data + BigInt(ETH_HLEN));
  wrN(k, skb + o.len, 4, frame.length - ETH_HLEN);
  wrN(k, skb + o.net, 2, TEST_RUN_HEADROOM + ETH_HLEN);
  let freed = false;
  return {
    skb,
    dataOut: () => {
      const d = skbData(k, skb);
      const out = new Uint8Array(ETH_HLEN + d.len);
      const body = out.subarray(ETH_HLEN);
      k.memory.readKernel(body, d.data);
      return out;
    },
    free: () => {
      if (freed) return;
      freed = true;
      k.memory.free(head);
      k.memory.free(skb);
    },
  };
}
