// The hosts behind eth0, as the model's sockets see them: web servers on
// 203.0.113.0/24 and 2001:db8::/64 (ports 80 and 443 open; others answer a
// SYN with a RST), the resolver at 10.0.2.3 / fec0::3, and clients on
// 198.51.100.0/24 that connect to a local server. Their segments and
// datagrams arrive as frames on eth0 (through its NAPI poll), with the
// sequence numbers and ACKs the other end would send; a round trip takes
// 20-150 us of simulated time (QEMU's user network); now and then a segment is lost and the
// write timer retransmits. The net workload's sessions (netSession) are the
// tasks' use of them: an HTTP client (connect, request, response, close or
// shutdown, sometimes a reset), a server (bind, listen, accept4, request,
// response, the client's close), a DNS query over UDP, and a route query
// over netlink, each through the socket syscalls.
import type { Kernel } from "../kernel.js";
import {
  ETH_P_IP,
  ETH_P_IPV6,
  ethTypeTrans,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IP6_HLEN,
  IP_HLEN,
  pushEthHeader,
  pushIp6Header,
  pushIpHeader,
  pushTcpHeader,
  pushUdpHeader,
  skbPull,
  TCP_HLEN,
  TCPF,
  UDP_HLEN,
  writePayload,
  type Flow,
} from "../packets.js";
import { setField } from "./fields.js";
import { AF_INET, AF_INET6, AF_NETLINK, flowsOf, TCP_CLOSE, TCP_CLOSE_WAIT, TCP_ESTABLISHED, TCP_FIN_WAIT1, TCP_FIN_WAIT2, TCP_LAST_ACK, TCP_SYN_SENT } from "./inet.js";
import { isErr, type NetEnv } from "./net-env.js";
import { SOCK_NONBLOCK } from "./socket.js";
import { syscall, userBuffer } from "./syscalls.js";
import { HOST_V4 } from "./tcp.js";
import type { Sock } from "./world.js";

/** A host at the other end of a socket: what it sends next and whether the port it was reached on is open. */
const ETH0_MAC = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);
const GATEWAY_MAC = Uint8Array.of(0x52, 0x55, 0x0a, 0x00, 0x02, 0x02);
const OPEN_PORTS = new Set([53, 80, 443, 8080, 8081, 8082, 8083]);
const SOCK_STREAM = 1n;
const SOCK_DGRAM = 2n;
const SOCK_RAW = 3n;
const SHUT_WR = 1n;

export interface Remote {
  /** A TCP segment from the other end of `s` (seq = its next, ack = all of ours), received on eth0. */
  segment(s: Sock, flags: number, len: number): void;
  /** A datagram of `len` bytes from the other end of `s`, received on eth0. */
  datagram(s: Sock, len: number): void;
  /** A TCP segment of a flow no socket has yet (a client's SYN or handshake ACK), received on eth0. */
  raw(f: Flow, seq: number, ack: number, flags: number, len: number, family: number): void;
  /** A datagram of a flow (to an unconnected socket `hint`), received on eth0. */
  udp(f: Flow, family: number, len: number, hint: bigint): void;
  /** The write timer of `s` fires (the ACK it waits for was lost): tcp_write_timer in timer softirq. */
  timerFires(s: Sock): void;
}

export function installRemote(env: NetEnv): Remote {
  const { k, w } = env;
  const rng = k.rng;
  const T = (s: Sock, f: string) => Number(k.memory.readField(s.sk, "tcp_sock", f));

  /** A frame from the wire for `f` with `len` payload bytes and the transport header `th`, handed to eth0's receive. */
  const frame = (f: Flow, family: number, len: number, th: (skb: bigint) => void, hint: bigint) => {
    const l3 = family === AF_INET6 ? IP6_HLEN : IP_HLEN;
    const l4 = f.protocol === IPPROTO_TCP ? TCP_HLEN : UDP_HLEN;
    const napi = env.napiOf(w.eth0);
    const skb = env.call("napi_alloc_skb", napi, BigInt(14 + l3 + l4 + len));
    skbPull(k, skb, 14 + l3 + l4);
    writePayload(k, skb, env.flows.payload(len));
    th(skb);
    if (family === AF_INET6) pushIp6Header(k, skb, f);
    else pushIpHeader(k, skb, f, env.flows.nextIpId());
    pushEthHeader(k, skb, ETH0_MAC, GATEWAY_MAC, family === AF_INET6 ? ETH_P_IPV6 : ETH_P_IP);
    ethTypeTrans(k, skb, w.eth0.addr);
    setField(k, skb, "sk_buff", "sk", hint);
    env.wireRx(skb);
  };
  const segment = (s: Sock, flags: number, len: number) => {
    const r = s.remote!;
    const f = flowsOf(k, s).in;
    const seq = r.sndNxt;
    r.sndNxt = (r.sndNxt + len + (flags & TCPF.SYN ? 1 : 0) + (flags & TCPF.FIN ? 1 : 0)) >>> 0;
    const ack = T(s, "snd_nxt");
    frame(f, s.family, len, (skb) => pushTcpHeader(k, skb, f, seq, ack, flags), s.state === TCP_SYN_SENT || s.state === TCP_CLOSE ? 0n : s.sk);
  };
  const datagram = (s: Sock, len: number) => {
    const f = flowsOf(k, s).in;
    frame(f, s.family, len, (skb) => pushUdpHeader(k, skb, f, len), s.sk);
  };
  const udp = (f: Flow, family: number, len: number, hint: bigint) => frame(f, family, len, (skb) => pushUdpHeader(k, skb, f, len), hint);
  const raw = (f: Flow, seq: number, ack: number, flags: number, len: number, family: number) => frame(f, family, len, (skb) => pushTcpHeader(k, skb, f, seq, ack, flags), 0n);
  const timerFires = (s: Sock) => {
    const cpu = k.tasks.cpus[k.cpu]!;
    const prev = cpu.context;
    cpu.context = "softirq";
    try {
      env.call("tcp_write_timer", s.sk + BigInt(k.memory.objects.field("inet_connection_sock", "icsk_retransmit_timer").byteOffset));
    } finally {
      cpu.context = prev;
    }
  };
  const rtt = () => BigInt(k.rng.int(20, 150)) * 1000n;

  env.connecting = (s: Sock) => {
    if (s.dev !== w.eth0) return;
    const port = flowsOf(k, s).out.dport;
    s.remote = { sndNxt: rng.int(0, 0x7fffffff), open: OPEN_PORTS.has(port), rttNs: rtt() };
  };
  env.awaitConnect = (s: Sock) => {
    const r = s.remote;
    if (!r) return;
    k.clock.advance(r.rttNs);
    // The SYN was lost now and then: the write timer sends it again a timeout later.
    if (rng.chance(0.03)) {
      timerFires(s);
      k.clock.advance(r.rttNs);
    }
    if (r.open) segment(s, TCPF.SYN | TCPF.ACK, 0);
    else segment(s, TCPF.RST | TCPF.ACK, 0);
  };
  env.awaitAccept = () => {};
  return { segment, datagram, raw, udp, timerFires };
}

/** The write timer's handler: the timer is the socket's icsk_retransmit_timer. */
export function installTimerPaths(env: NetEnv): void {
  env.set("tcp_write_timer", ([t]) => {
    const sk = t! - BigInt(env.k.memory.objects.field("inet_connection_sock", "icsk_retransmit_timer").byteOffset);
    return env.call("tcp_write_timer_handler", sk);
  });
}

/** Per kernel: the sessions' state (the message sequence, whether the link message was printed). */
const sessionState = new WeakMap<Kernel, { seq: number; linkUp: boolean }>();

/** One session of the current task with a host behind eth0 or the kernel (the net workload's third kind of step). */
export function netSession(env: NetEnv, remote: Remote): void {
  const k = env.k;
  let st = sessionState.get(k);
  if (!st) sessionState.set(k, (st = { seq: 1, linkUp: false }));
  if (!st.linkUp) {
    // virtio_net's carrier message when the link first carries traffic (netdev_info -> netdev_printk).
    st.linkUp = true;
    const level = kstr(k, "\x016");
    const fmt = kstr(k, "Link is Up - 10Gbps/Full - flow control off\n");
    env.call("netdev_printk", level, env.w.eth0.addr, fmt);
  }
  const r = k.rng.int(0, 99);
  if (r < 45) tcpClient(env, remote, k.rng.chance(0.25) ? AF_INET6 : AF_INET);
  else if (r < 65) tcpServer(env, remote);
  else if (r < 90) udpQuery(env, remote, k.rng.chance(0.3) ? AF_INET6 : AF_INET);
  else routeQuery(env, st);
}

/** A NUL-terminated kernel string (rodata: made once per text). */
const kstrs = new WeakMap<Kernel, Map<string, bigint>>();
function kstr(k: Kernel, s: string): bigint {
  let m = kstrs.get(k);
  if (!m) kstrs.set(k, (m = new Map()));
  let a = m.get(s);
  if (a === undefined) {
    const b = new TextEncoder().encode(s + "\0");
    a = k.memory.kmalloc(b.length);
    k.memory.writeKernel(a, b);
    m.set(s, a);
  }
  return a;
}

/** struct sockaddr_in / sockaddr_in6 bytes. */
export function sockaddr(family: number, addr: Uint8Array, port: number): Uint8Array {
  const b = new Uint8Array(family === AF_INET6 ? 28 : 16);
  b[0] = family;
  b[2] = port >> 8;
  b[3] = port & 0xff;
  b.set(addr, family === AF_INET6 ? 8 : 4);
  return b;
}
const v6 = (last: number) => Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last);

/** A socket's state, read anew (calls in between change it). */
const stateOf = (s: Sock): number => s.state;

/** The other end sends a control segment until `s` leaves `state` (it resends what a drop lost: same sequence number), at most 4 times. */
function until(remote: Remote, s: Sock, state: number, flags: number): void {
  const seq = s.remote!.sndNxt;
  for (let i = 0; i < 4 && stateOf(s) === state; i++) {
    s.remote!.sndNxt = seq;
    remote.segment(s, flags, 0);
  }
}

/** The Sock behind a descriptor of the current task. */
function sockOfFd(env: NetEnv, fd: bigint): Sock | undefined {
  const f = env.w.files.get(Number(fd) + env.k.current().tgid * 1000);
  return f ? env.w.bySocket.get(env.k.memory.readField(f.file, "file", "private_data")) : undefined;
}

/** close(2) of a socket descriptor: the fs close path's __fput releases the socket (sock_close). */
export function closeSocketFd(env: NetEnv, fd: bigint): void {
  syscall(env.k, "close", [fd]);
}

/** send(2) as sendto or sendmsg (a user_msghdr with one iovec), `n` bytes. */
function send(env: NetEnv, fd: bigint, n: number): bigint {
  const k = env.k;
  if (k.rng.chance(0.5)) return syscall(k, "sendto", [fd, userBuffer(k, n), BigInt(n), 0n, 0n, 0n]);
  return syscall(k, "sendmsg", [fd, userMsghdr(k, userBuffer(k, n), n), 0n]);
}
/** recv(2) as recvfrom or recvmsg into a buffer of `n` bytes. */
function recv(env: NetEnv, fd: bigint, n: number): bigint {
  const k = env.k;
  if (k.rng.chance(0.5)) return syscall(k, "recvfrom", [fd, userBuffer(k, n), BigInt(n), 0n, 0n, 0n]);
  return syscall(k, "recvmsg", [fd, userMsghdr(k, userBuffer(k, n), n), 0n]);
}
/** A struct user_msghdr with one struct iovec, in user memory (freed after the syscall). */
function userMsghdr(k: Kernel, base: bigint, len: number): bigint {
  const iov = new Uint8Array(16);
  const v = new DataView(iov.buffer);
  v.setBigUint64(0, base, true);
  v.setBigUint64(8, BigInt(len), true);
  const iovAddr = userBuffer(k, 16, iov);
  const m = new Uint8Array(56);
  const mv = new DataView(m.buffer);
  mv.setBigUint64(16, iovAddr, true);
  mv.setBigUint64(24, 1n, true);
  return userBuffer(k, 56, m);
}

/** An HTTP client: connect (refused on a closed port), a request, the response in segments, then close (active or passive), shutdown, or an abort. */
export function tcpClient(env: NetEnv, remote: Remote, family: number): void {
  const k = env.k;
  const rng = k.rng;
  const fd = syscall(k, "socket", [BigInt(family), SOCK_STREAM, 0n]);
  if (isErr(fd)) return;
  const port = rng.chance(0.08) ? 81 : rng.pick([80, 443]);
  const host = rng.int(20, 23);
  const addr = family === AF_INET6 ? sockaddr(family, v6(host), port) : sockaddr(family, Uint8Array.of(203, 0, 113, host), port);
  const rc = syscall(k, "connect", [fd, userBuffer(k, addr.length, addr), BigInt(addr.length)]);
  const s = sockOfFd(env, fd);
  if (isErr(rc) || !s || !s.remote) {
    closeSocketFd(env, fd);
    return;
  }
  const r = s.remote;
  send(env, fd, rng.int(60, 700));
  k.clock.advance(r.rttNs);
  if (rng.chance(0.03)) {
    // The request's ACK was lost: the write timer retransmits it.
    remote.timerFires(s);
    k.clock.advance(r.rttNs);
  }
  remote.segment(s, TCPF.ACK, 0);
  // The response; the server closes after it 40% of the time (FIN on its last segment).
  let left = rng.int(200, 6000);
  const serverCloses = rng.chance(0.4);
  while (left > 0) {
    const n = Math.min(left, 1448);
    left -= n;
    remote.segment(s, TCPF.ACK | TCPF.PSH | (left === 0 && serverCloses ? TCPF.FIN : 0), n);
  }
  if (rng.chance(0.1)) {
    // The application closes without reading the response: the connection is reset.
    closeSocketFd(env, fd);
    return;
  }
  for (let i = 0; i < 8; i++) {
    const n = recv(env, fd, 4096);
    if (isErr(n) || n === 0n) break;
  }
  if (s.state === TCP_CLOSE_WAIT) {
    // Passive close: our FIN, the server's ACK.
    closeSocketFd(env, fd);
    k.clock.advance(r.rttNs);
    until(remote, s, TCP_LAST_ACK, TCPF.ACK);
    return;
  }
  if (rng.chance(0.2)) {
    // Half close: our FIN, the server's ACK and FIN, then TIME_WAIT; close finds the socket closed.
    syscall(k, "shutdown", [fd, SHUT_WR]);
    k.clock.advance(r.rttNs);
    until(remote, s, TCP_FIN_WAIT1, TCPF.ACK);
    until(remote, s, TCP_FIN_WAIT2, TCPF.FIN | TCPF.ACK);
    recv(env, fd, 512);
    closeSocketFd(env, fd);
    return;
  }
  // Active close: FIN_WAIT1, the server's ACK (FIN_WAIT2), its FIN (TIME_WAIT, then the socket is gone).
  closeSocketFd(env, fd);
  k.clock.advance(r.rttNs);
  until(remote, s, TCP_FIN_WAIT1, TCPF.ACK);
  until(remote, s, TCP_FIN_WAIT2, TCPF.FIN | TCPF.ACK);
}

/** A server: a listener on :8000, a client's handshake, accept4, its request, the response, the client's close, then the listener's. */
export function tcpServer(env: NetEnv, remote: Remote): void {
  const k = env.k;
  const rng = k.rng;
  const lfd = syscall(k, "socket", [BigInt(AF_INET), SOCK_STREAM | BigInt(SOCK_NONBLOCK), 0n]);
  if (isErr(lfd)) return;
  const any = sockaddr(AF_INET, new Uint8Array(4), 8000);
  if (isErr(syscall(k, "bind", [lfd, userBuffer(k, 16, any), 16n])) || isErr(syscall(k, "listen", [lfd, 128n]))) {
    closeSocketFd(env, lfd);
    return;
  }
  // Nobody yet: a non-blocking accept4 fails with EAGAIN.
  syscall(k, "accept4", [lfd, 0n, 0n, 0n]);
  const client: Flow = { protocol: IPPROTO_TCP, saddr: Uint8Array.of(198, 51, 100, rng.int(1, 50)), daddr: HOST_V4, sport: rng.int(40000, 60000), dport: 8000 };
  const cisn = rng.int(0, 0x7fffffff);
  const rttNs = BigInt(rng.int(20, 150)) * 1000n;
  remote.raw(client, cisn, 0, TCPF.SYN, 0, AF_INET);
  const listener = sockOfFd(env, lfd);
  const req = listener?.reqs.get(client.sport);
  k.clock.advance(rttNs);
  if (req) remote.raw(client, (cisn + 1) >>> 0, (req.isn + 1) >>> 0, TCPF.ACK, 0, AF_INET);
  const peer = userBuffer(k, 16);
  const fd = syscall(k, "accept4", [lfd, peer, userBuffer(k, 4, Uint8Array.of(16, 0, 0, 0)), BigInt(SOCK_NONBLOCK)]);
  const s = isErr(fd) ? undefined : sockOfFd(env, fd);
  if (s && s.state === TCP_ESTABLISHED) {
    s.remote = { sndNxt: (cisn + 1) >>> 0, open: true, rttNs };
    remote.segment(s, TCPF.ACK | TCPF.PSH, rng.int(80, 900));
    recv(env, fd, 4096);
    send(env, fd, rng.int(100, 1448));
    k.clock.advance(rttNs);
    remote.segment(s, TCPF.ACK, 0);
    // The client closes: CLOSE_WAIT, EOF, our close (LAST_ACK), its ACK.
    until(remote, s, TCP_ESTABLISHED, TCPF.FIN | TCPF.ACK);
    recv(env, fd, 4096);
    closeSocketFd(env, fd);
    k.clock.advance(rttNs);
    until(remote, s, TCP_LAST_ACK, TCPF.ACK);
  } else if (!isErr(fd)) closeSocketFd(env, fd);
  closeSocketFd(env, lfd);
}

/** A DNS query: a UDP socket connected to the resolver (or unconnected, sendto with its address), the query, the answer, close. */
export function udpQuery(env: NetEnv, remote: Remote, family: number): void {
  const k = env.k;
  const rng = k.rng;
  const fd = syscall(k, "socket", [BigInt(family), SOCK_DGRAM, 0n]);
  if (isErr(fd)) return;
  if (family === AF_INET6 && rng.chance(0.3)) {
    // Bound first to the wildcard address and an ephemeral port.
    const any = sockaddr(AF_INET6, new Uint8Array(16), 0);
    syscall(k, "bind", [fd, userBuffer(k, 28, any), 28n]);
  }
  const resolver = family === AF_INET6 ? sockaddr(family, Uint8Array.of(0xfe, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3), 53) : sockaddr(family, Uint8Array.of(10, 0, 2, 3), 53);
  const q = rng.int(28, 60);
  if (family === AF_INET && rng.chance(0.3)) syscall(k, "sendto", [fd, userBuffer(k, q), BigInt(q), 0n, userBuffer(k, 16, resolver), 16n]);
  else {
    syscall(k, "connect", [fd, userBuffer(k, resolver.length, resolver), BigInt(resolver.length)]);
    send(env, fd, q);
  }
  const s = sockOfFd(env, fd);
  if (s && s.state === TCP_ESTABLISHED) {
    k.clock.advance(s.remote?.rttNs ?? 50_000n);
    remote.datagram(s, rng.int(40, 300));
    recv(env, fd, 512);
  } else if (s) {
    // Unconnected: the answer arrives from the resolver's address to the port sendto bound.
    const a = flowsOf(k, s).out;
    const f: Flow = { protocol: IPPROTO_UDP, saddr: Uint8Array.of(10, 0, 2, 3), daddr: HOST_V4, sport: 53, dport: a.sport };
    k.clock.advance(50_000n);
    remote.udp(f, AF_INET, rng.int(40, 300), 0n);
    recv(env, fd, 512);
  }
  closeSocketFd(env, fd);
}

/** `ip route get`: a NETLINK_ROUTE socket, an RTM_GETROUTE request to the kernel, its answer, close. */
export function routeQuery(env: NetEnv, st: { seq: number }): void {
  const k = env.k;
  const fd = syscall(k, "socket", [BigInt(AF_NETLINK), SOCK_RAW, 0n]);
  if (isErr(fd)) return;
  // nlmsghdr (len 36, RTM_GETROUTE, NLM_F_REQUEST, seq, pid 0), rtmsg (AF_INET, dst_len 32), RTA_DST 203.0.113.20.
  const m = new Uint8Array(36);
  const v = new DataView(m.buffer);
  v.setUint32(0, 36, true);
  v.setUint16(4, 26, true);
  v.setUint16(6, 1, true);
  v.setUint32(8, st.seq++, true);
  m[16] = AF_INET;
  m[17] = 32;
  v.setUint16(28, 8, true);
  v.setUint16(30, 1, true);
  m.set([203, 0, 113, 20], 32);
  const nl = new Uint8Array(12);
  nl[0] = AF_NETLINK;
  syscall(k, "sendto", [fd, userBuffer(k, 36, m), 36n, 0n, userBuffer(k, 12, nl), 12n]);
  syscall(k, "recvfrom", [fd, userBuffer(k, 8192), 8192n, 0n, 0n, 0n]);
  closeSocketFd(env, fd);
}
