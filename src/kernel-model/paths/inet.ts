// What the TCP, UDP and IPv6 paths share about an inet socket: the TCP
// states, its addresses as sock_common/inet_sock hold them (and as the wire,
// the flow counters and the tracepoints want them), and the socket lookup
// tables (every live socket by sock and socket, listeners, connections).
import type { Kernel } from "../kernel.js";
import { IPPROTO_TCP, IPPROTO_UDP, type Flow } from "../packets.js";
import { setField } from "./fields.js";
import type { Sock, World } from "./world.js";

/** include/net/tcp_states.h */
export const TCP_ESTABLISHED = 1;
export const TCP_SYN_SENT = 2;
export const TCP_SYN_RECV = 3;
export const TCP_FIN_WAIT1 = 4;
export const TCP_FIN_WAIT2 = 5;
export const TCP_TIME_WAIT = 6;
export const TCP_CLOSE = 7;
export const TCP_CLOSE_WAIT = 8;
export const TCP_LAST_ACK = 9;
export const TCP_LISTEN = 10;
export const TCP_CLOSING = 11;

export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_NETLINK = 16;

/** A socket's addresses and ports (ports in host order; addresses as network-order bytes, 4 or 16). */
export interface Addrs {
  family: number;
  saddr: Uint8Array;
  daddr: Uint8Array;
  sport: number;
  dport: number;
}

export const be16 = (port: number): bigint => BigInt(((port & 0xff) << 8) | ((port >> 8) & 0xff));
export const ntohs = (v: bigint): number => Number(((v & 0xffn) << 8n) | ((v >> 8n) & 0xffn));
/** 4 network-order bytes as the little-endian __be32 load gives them. */
export const be32 = (b: Uint8Array): bigint => BigInt((b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0);
export const ipv4 = (a: number, b: number, c: number, d: number): Uint8Array => Uint8Array.of(a, b, c, d);
const leBytes4 = (v: bigint): Uint8Array => Uint8Array.of(Number(v & 0xffn), Number((v >> 8n) & 0xffn), Number((v >> 16n) & 0xffn), Number((v >> 24n) & 0xffn));

/** Writes the socket's addresses where Linux keeps them: sock_common (rcv_saddr, daddr, num, dport, v6 pair) and inet_sock (saddr, sport). */
export function setAddrs(k: Kernel, s: Sock, a: Addrs): void {
  const sc = (p: string, v: bigint) => setField(k, s.sk, "sock", `__sk_common.${p}`, v);
  if (a.family === AF_INET6) {
    for (let i = 0; i < 4; i++) {
      sc(`skc_v6_rcv_saddr.in6_u.u6_addr32[${i}]`, be32(a.saddr.subarray(4 * i, 4 * i + 4)));
      sc(`skc_v6_daddr.in6_u.u6_addr32[${i}]`, be32(a.daddr.subarray(4 * i, 4 * i + 4)));
    }
  } else {
    sc("skc_rcv_saddr", be32(a.saddr));
    sc("skc_daddr", be32(a.daddr));
    setField(k, s.sk, "inet_sock", "inet_saddr", be32(a.saddr));
  }
  sc("skc_num", BigInt(a.sport));
  sc("skc_dport", be16(a.dport));
  setField(k, s.sk, "inet_sock", "inet_sport", be16(a.sport));
  addrCache.set(s, a);
  flowCache.delete(s);
}

const addrCache = new WeakMap<Sock, Addrs>();
/** The socket's addresses (read from sock_common once, then remembered until setAddrs). */
export function addrsOf(k: Kernel, s: Sock): Addrs {
  let a = addrCache.get(s);
  if (a) return a;
  const f = (p: string) => k.memory.readField(s.sk, "sock", `__sk_common.${p}`);
  if (s.family === AF_INET6) {
    const rd = (which: string) => {
      const b = new Uint8Array(16);
      for (let i = 0; i < 4; i++) b.set(leBytes4(f(`${which}.in6_u.u6_addr32[${i}]`)), 4 * i);
      return b;
    };
    a = { family: AF_INET6, saddr: rd("skc_v6_rcv_saddr"), daddr: rd("skc_v6_daddr"), sport: Number(f("skc_num")), dport: ntohs(f("skc_dport")) };
  } else a = { family: AF_INET, saddr: leBytes4(f("skc_rcv_saddr")), daddr: leBytes4(f("skc_daddr")), sport: Number(f("skc_num")), dport: ntohs(f("skc_dport")) };
  addrCache.set(s, a);
  return a;
}

const flowCache = new WeakMap<Sock, { out: Flow; in: Flow }>();
/** The flow the socket sends with, and the one arriving for it (the other end's). */
export function flowsOf(k: Kernel, s: Sock): { out: Flow; in: Flow } {
  let f = flowCache.get(s);
  if (f) return f;
  const a = addrsOf(k, s);
  const protocol = s.protocol === "tcp" ? IPPROTO_TCP : IPPROTO_UDP;
  f = {
    out: { protocol, saddr: a.saddr, daddr: a.daddr, sport: a.sport, dport: a.dport },
    in: { protocol, saddr: a.daddr, daddr: a.saddr, sport: a.dport, dport: a.sport },
  };
  flowCache.set(s, f);
  return f;
}

/** An IPv4 address as an IPv4-mapped IPv6 one (::ffff:a.b.c.d), as the tracepoints' saddr_v6 show v4 sockets. */
export function v4mapped(a: Uint8Array): Uint8Array {
  const b = new Uint8Array(16);
  b[10] = 0xff;
  b[11] = 0xff;
  b.set(a, 12);
  return b;
}

/** A struct sockaddr_in (16 bytes) or sockaddr_in6 (28) of the address and port, in a 28-byte buffer (TP_STORE_ADDR_PORTS). */
export function sockaddrBytes(family: number, addr: Uint8Array, port: number): Uint8Array {
  const b = new Uint8Array(28);
  b[0] = family;
  b[2] = port >> 8;
  b[3] = port & 0xff;
  if (family === AF_INET6) b.set(addr, 8);
  else b.set(addr, 4);
  return b;
}

/** The tracepoints' address fields of a socket: saddr/daddr (v4, else zero), saddr_v6/daddr_v6 (v6, or v4-mapped). */
export function tpAddrs(k: Kernel, s: Sock): Record<string, bigint | Uint8Array> {
  const a = addrsOf(k, s);
  const v6 = a.family === AF_INET6;
  return {
    sport: BigInt(a.sport),
    dport: BigInt(a.dport),
    family: BigInt(a.family),
    saddr: v6 ? new Uint8Array(4) : a.saddr,
    daddr: v6 ? new Uint8Array(4) : a.daddr,
    saddr_v6: v6 ? a.saddr : v4mapped(a.saddr),
    daddr_v6: v6 ? a.daddr : v4mapped(a.daddr),
  };
}

/** The key of a connection in the established hash: local port, remote address and port. */
export function connKey(localPort: number, raddr: Uint8Array, rport: number): string {
  return `${localPort}|${raddr.join(".")}|${rport}`;
}

/** Registers a new socket (sock_alloc / sk_clone_lock) in the lookup tables. */
export function addSock(w: World, s: Sock): void {
  w.bySk.set(s.sk, s);
  if (s.sock !== 0n) w.bySocket.set(s.sock, s);
}

/** Forgets a socket (sk_free): it leaves every table. */
export function dropSock(k: Kernel, w: World, s: Sock): void {
  w.bySk.delete(s.sk);
  if (s.sock !== 0n) w.bySocket.delete(s.sock);
  const a = addrCache.get(s);
  if (a) {
    const key = connKey(a.sport, a.daddr, a.dport);
    if (w.established.get(key) === s) w.established.delete(key);
    if (w.listeners.get(a.sport) === s) w.listeners.delete(a.sport);
  }
  void k;
}

/** A fresh Sock record (the TS side of a new struct sock). */
export function newSock(sk: bigint, sock: bigint, protocol: Sock["protocol"], family: number, dev: Sock["dev"]): Sock {
  return { sk, sock, protocol, family, dev, state: TCP_CLOSE, rxq: [], rxOff: 0, rtx: [], acceptq: [], reqs: new Map() };
}
