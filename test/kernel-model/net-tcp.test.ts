// TCP in the synthetic kernel (src/kernel-model/paths/tcp.ts, socket.ts,
// remote.ts): connections through their states as sock:inet_sock_set_state
// records show them, the socket syscalls' returns, tcp_sock counters after
// transfers, the RTT estimator, retransmission, resets, and a trace of the
// net workload through the CLI.
import { describe, expect, it } from "vitest";
import { SyntheticKernel } from "../../src/kernel-model/synthetic.js";
import { netStateOf } from "../../src/kernel-model/paths/net.js";
import { closeSocketFd, sockaddr } from "../../src/kernel-model/paths/remote.js";
import { TCP_STATE_NAMES } from "../../src/kernel-model/paths/tcp.js";
import { syscall, userBuffer } from "../../src/kernel-model/paths/syscalls.js";
import { TCPF } from "../../src/kernel-model/packets.js";
import type { TracepointHit } from "../../src/kernel-model/tracepoints.js";
import type { Sock } from "../../src/kernel-model/paths/world.js";
import { runCli } from "../helpers/cli.js";

const AF_INET = 2;
const SOCK_STREAM = 1n;
const SOCK_NONBLOCK = 0o4000n;
const MSG_DONTWAIT = 0x40n;
const E = (n: number) => BigInt.asUintN(64, BigInt(-n));

/**
 * A fresh kernel, its net paths, and the inet_sock_set_state records as
 * "OLD>NEW" per socket address. `lossless`: no random event (no checksum
 * failure, lost segment or busy device), so the exchange is exactly the
 * test's.
 */
function boot(seed: number, lossless = true) {
  const k = new SyntheticKernel({ seed });
  if (lossless) k.rng.chance = () => false;
  const st = netStateOf(k)!;
  const states: { sk: bigint; change: string; sport: number; dport: number; family: number; protocol: number; saddr: string; daddr: string; daddr6: string }[] = [];
  const tp = k.tracepoints.get("sock", "inet_sock_set_state")!;
  const off = (n: string) => tp.fields.find((f) => f.name === n)!.offset;
  k.tracepoints.attach(tp, (h: TracepointHit) => {
    const v = new DataView(h.record.buffer);
    states.push({
      sk: v.getBigUint64(off("skaddr"), true),
      change: `${TCP_STATE_NAMES[v.getInt32(off("oldstate"), true)]}>${TCP_STATE_NAMES[v.getInt32(off("newstate"), true)]}`,
      sport: v.getUint16(off("sport"), true),
      dport: v.getUint16(off("dport"), true),
      family: v.getUint16(off("family"), true),
      protocol: v.getUint16(off("protocol"), true),
      saddr: [...h.record.subarray(off("saddr"), off("saddr") + 4)].join("."),
      daddr: [...h.record.subarray(off("daddr"), off("daddr") + 4)].join("."),
      daddr6: Buffer.from(h.record.subarray(off("daddr_v6"), off("daddr_v6") + 16)).toString("hex"),
    });
  });
  const hits = (cat: string, name: string) => k.tracepoints.hits(k.tracepoints.get(cat, name)!);
  const calls = (name: string) => k.functions.named(name).reduce((n, f) => n + k.functions.countsOf(f).calls, 0);
  const sockOfFd = (fd: bigint): Sock => {
    const f = k.world.files.get(Number(fd) + k.current().tgid * 1000)!;
    return k.world.bySocket.get(k.memory.readField(f.file, "file", "private_data"))!;
  };
  const T = (s: Sock, f: string) => k.memory.readField(s.sk, "tcp_sock", f);
  const connect = (fd: bigint, host: number, port: number) => {
    const a = sockaddr(AF_INET, Uint8Array.of(203, 0, 113, host), port);
    return syscall(k, "connect", [fd, userBuffer(k, 16, a), 16n]);
  };
  return { k, st, states, hits, calls, sockOfFd, T, connect };
}

describe("TCP connections", () => {
  it("a client's connection goes CLOSE>SYN_SENT>ESTABLISHED>FIN_WAIT1>FIN_WAIT2>CLOSE with its addresses in every record, and is destroyed", () => {
    const { k, st, states, hits, sockOfFd, connect } = boot(11);
    const fd = syscall(k, "socket", [BigInt(AF_INET), SOCK_STREAM, 0n]);
    expect(fd).toBe(3n);
    expect(connect(fd, 20, 80)).toBe(0n);
    const s = sockOfFd(fd);
    const sk = s.sk;
    const sport = Number(k.memory.readField(sk, "sock", "__sk_common.skc_num"));
    expect(sport).toBe(32768); // the first ephemeral port
    expect(syscall(k, "sendto", [fd, userBuffer(k, 500), 500n, 0n, 0n, 0n])).toBe(500n);
    st.remote.segment(s, TCPF.ACK, 0);
    closeSocketFd(st.env, fd);
    st.remote.segment(s, TCPF.ACK, 0);
    st.remote.segment(s, TCPF.FIN | TCPF.ACK, 0);
    expect(states.map((x) => x.change)).toEqual(["CLOSE>SYN_SENT", "SYN_SENT>ESTABLISHED", "ESTABLISHED>FIN_WAIT1", "FIN_WAIT1>FIN_WAIT2", "FIN_WAIT2>CLOSE"]);
    // The local port is chosen after SYN_SENT (inet_hash_connect), as tcp_v4_connect does: the first record has none.
    states.forEach((x, i) => {
      expect(x).toMatchObject({ sk, sport: i === 0 ? 0 : sport, dport: 80, family: AF_INET, protocol: 6, saddr: "10.0.2.15", daddr: "203.0.113.20" });
      expect(x.daddr6).toBe("00000000000000000000ffffcb007114"); // ::ffff:203.0.113.20
    });
    // Orphaned at close, destroyed when it reached TCP_CLOSE: gone from the tables, its descriptor free.
    expect(hits("tcp", "tcp_destroy_sock")).toBe(1);
    expect(k.world.bySk.has(sk)).toBe(false);
    expect(k.world.files.has(k.current().tgid * 1000 + 3)).toBe(false);
    expect(syscall(k, "socket", [BigInt(AF_INET), SOCK_STREAM, 0n])).toBe(3n);
  });

  it("tcp_sock counters after a handshake and 5 transfers of 300 bytes, each acknowledged, and a 1448-byte response read back", () => {
    const { k, st, sockOfFd, T, connect } = boot(12);
    const fd = syscall(k, "socket", [BigInt(AF_INET), SOCK_STREAM, 0n]);
    expect(connect(fd, 21, 443)).toBe(0n);
    const s = sockOfFd(fd);
    const isn = Number(T(s, "snd_una")) - 1; // the SYN took one sequence number and was acknowledged
    const peerIsn = Number(T(s, "rcv_nxt")) - 1;
    for (let i = 0; i < 5; i++) {
      expect(syscall(k, "sendto", [fd, userBuffer(k, 300), 300n, 0n, 0n, 0n])).toBe(300n);
      expect(T(s, "packets_out")).toBe(1n);
      st.remote.segment(s, TCPF.ACK, 0);
    }
    st.remote.segment(s, TCPF.ACK | TCPF.PSH, 1000);
    st.remote.segment(s, TCPF.ACK | TCPF.PSH, 448);
    const buf = k.memory.userSpace(k.current().tgid).heapAlloc(4096);
    expect(syscall(k, "recvfrom", [fd, buf, 4096n, 0n, 0n, 0n])).toBe(1448n);
    expect(syscall(k, "recvfrom", [fd, buf, 4096n, MSG_DONTWAIT, 0n, 0n])).toBe(E(11)); // -EAGAIN: nothing more
    const u32 = (n: number) => BigInt(n >>> 0);
    expect({
      write_seq: T(s, "write_seq"),
      snd_nxt: T(s, "snd_nxt"),
      snd_una: T(s, "snd_una"),
      rcv_nxt: T(s, "rcv_nxt"),
      copied_seq: T(s, "copied_seq"),
      bytes_sent: T(s, "bytes_sent"),
      bytes_acked: T(s, "bytes_acked"),
      bytes_received: T(s, "bytes_received"),
      segs_out: T(s, "segs_out"),
      data_segs_out: T(s, "data_segs_out"),
      segs_in: T(s, "segs_in"),
      data_segs_in: T(s, "data_segs_in"),
      packets_out: T(s, "packets_out"),
      snd_cwnd: T(s, "snd_cwnd"),
      total_retrans: T(s, "total_retrans"),
    }).toEqual({
      write_seq: u32(isn + 1 + 1500),
      snd_nxt: u32(isn + 1 + 1500),
      snd_una: u32(isn + 1 + 1500),
      rcv_nxt: u32(peerIsn + 1 + 1448),
      copied_seq: u32(peerIsn + 1 + 1448),
      bytes_sent: 1500n,
      bytes_acked: 1501n, // the SYN's sequence number counts, as ss -i shows bytes_acked:1 on a fresh connection
      bytes_received: 1448n,
      segs_out: 9n, // SYN, the handshake's ACK, 5 data segments, 2 ACKs of the response
      data_segs_out: 5n,
      segs_in: 8n, // 5 ACKs and 2 data segments in ESTABLISHED, plus the SYN-ACK
      data_segs_in: 2n,
      packets_out: 0n,
      snd_cwnd: 15n, // IW10, then slow start: one more per acknowledged segment
      total_retrans: 0n,
    });
    expect(T(s, "srtt_us")).toBeGreaterThan(0n);
    k.memory.userSpace(k.current().tgid).heapFree(buf);
  });

  it("tcp_rtt_estimator keeps srtt_us as 8 x SRTT and mdev_us as 4 x RTTVAR (RFC 6298), RTO at least 200 ms", () => {
    const { k, sockOfFd, T } = boot(13);
    const fd = syscall(k, "socket", [BigInt(AF_INET), SOCK_STREAM, 0n]);
    const s = sockOfFd(fd);
    k.callByName("tcp_rtt_estimator", [s.sk, 1000n]);
    expect([T(s, "srtt_us"), T(s, "mdev_us"), T(s, "rttvar_us"), T(s, "inet_conn.icsk_rto")]).toEqual([8000n, 2000n, 200000n, 201n]);
    // SRTT 1000 + (2000 - 1000) / 8 = 1125 us; RTTVAR 3/4 x 500 + |1000 - 2000| / 4 = 625 us (x 4 = 2500).
    k.callByName("tcp_rtt_estimator", [s.sk, 2000n]);
    expect([T(s, "srtt_us"), T(s, "mdev_us"), T(s, "rttvar_us"), T(s, "inet_conn.icsk_rto")]).toEqual([9000n, 2500n, 200000n, 202n]);
  });

  it("connect to a closed port: the RST makes it -ECONNREFUSED (CLOSE>SYN_SENT>CLOSE, tcp:tcp_receive_reset); close destroys the socket", () => {
    const { k, states, hits, sockOfFd, connect } = boot(14);
    const fd = syscall(k, "socket", [BigInt(AF_INET), SOCK_STREAM, 0n]);
    const sk = sockOfFd(fd).sk;
    expect(connect(fd, 22, 81)).toBe(E(111));
    expect(states.map((x) => x.change)).toEqual(["CLOSE>SYN_SENT", "SYN_SENT>CLOSE"]);
    expect(hits("tcp", "tcp_receive_reset")).toBe(1);
    closeSocketFd(netStateOf(k)!.env, fd);
    expect(k.world.bySk.has(sk)).toBe(false);
    expect(syscall(k, "connect", [fd, 0n, 16n])).toBe(E(9)); // -EBADF: the descriptor is closed
  });

  it("the socket syscalls' errors: EAFNOSUPPORT, EPROTONOSUPPORT, ENOTSOCK, EFAULT, EINVAL, EADDRINUSE, ENOTCONN", () => {
    const { k, connect } = boot(15);
    expect(syscall(k, "socket", [99n, SOCK_STREAM, 0n])).toBe(E(97));
    expect(syscall(k, "socket", [BigInt(AF_INET), SOCK_STREAM, 17n])).toBe(E(93)); // UDP over a stream socket
    expect(syscall(k, "connect", [0n, 0n, 16n])).toBe(E(9)); // fd 0 is not open in the model's tasks
    const fd = syscall(k, "socket", [BigInt(AF_INET), SOCK_STREAM, 0n]);
    expect(syscall(k, "connect", [fd, 0x1000n, 16n])).toBe(E(14)); // unmapped address
    expect(syscall(k, "connect", [fd, userBuffer(k, 8, Uint8Array.of(AF_INET, 0, 0, 80)), 8n])).toBe(E(22)); // shorter than a sockaddr_in
    expect(syscall(k, "connect", [fd, userBuffer(k, 16, Uint8Array.of(10, 0, 0, 80)), 16n])).toBe(E(97)); // AF_INET6 address on an AF_INET socket
    expect(syscall(k, "shutdown", [fd, 1n])).toBe(E(107)); // not connected
    const a = sockaddr(AF_INET, new Uint8Array(4), 8000);
    expect(syscall(k, "bind", [fd, userBuffer(k, 16, a), 16n])).toBe(0n);
    const fd2 = syscall(k, "socket", [BigInt(AF_INET), SOCK_STREAM, 0n]);
    expect(syscall(k, "bind", [fd2, userBuffer(k, 16, a), 16n])).toBe(E(98));
    expect(syscall(k, "bind", [fd, userBuffer(k, 16, sockaddr(AF_INET, new Uint8Array(4), 8001)), 16n])).toBe(E(22)); // already bound
    void connect;
  });

  it("a server: listen, an empty non-blocking accept4 (-EAGAIN), a client's handshake (SYN_RECV>ESTABLISHED), accept4 with its address, its close (CLOSE_WAIT, LAST_ACK, CLOSE)", () => {
    const { k, st, states, sockOfFd, T } = boot(16);
    const lfd = syscall(k, "socket", [BigInt(AF_INET), SOCK_STREAM | SOCK_NONBLOCK, 0n]);
    expect(syscall(k, "bind", [lfd, userBuffer(k, 16, sockaddr(AF_INET, new Uint8Array(4), 8000)), 16n])).toBe(0n);
    expect(syscall(k, "listen", [lfd, 16n])).toBe(0n);
    expect(syscall(k, "accept4", [lfd, 0n, 0n, 0n])).toBe(E(11));
    const listener = sockOfFd(lfd);
    expect(k.memory.readField(listener.sk, "sock", "sk_max_ack_backlog")).toBe(16n);
    const client = { protocol: 6, saddr: Uint8Array.of(198, 51, 100, 9), daddr: Uint8Array.of(10, 0, 2, 15), sport: 45678, dport: 8000 };
    st.remote.raw(client, 1000, 0, TCPF.SYN, 0, AF_INET);
    const req = listener.reqs.get(45678)!;
    expect(req.peerIsn).toBe(1000);
    st.remote.raw(client, 1001, req.isn + 1, TCPF.ACK, 0, AF_INET);
    expect(listener.acceptq.length).toBe(1);
    expect(k.memory.readField(listener.sk, "sock", "sk_ack_backlog")).toBe(1n);
    const user = k.memory.userSpace(k.current().tgid);
    const peer = user.heapAlloc(16);
    const plen = user.heapAlloc(4, Uint8Array.of(16, 0, 0, 0));
    const fd = syscall(k, "accept4", [lfd, peer, plen, SOCK_NONBLOCK]);
    expect(fd).toBe(4n);
    expect([...user.readOrThrow(peer, 8)]).toEqual([2, 0, 0xb2, 0x6e, 198, 51, 100, 9]); // AF_INET, port 45678, 198.51.100.9
    const c = sockOfFd(fd);
    expect([T(c, "snd_una"), T(c, "snd_nxt"), T(c, "rcv_nxt")]).toEqual([BigInt(req.isn + 1), BigInt(req.isn + 1), 1001n]);
    c.remote = { sndNxt: 1001, open: true, rttNs: 50_000n };
    st.remote.segment(c, TCPF.FIN | TCPF.ACK, 0);
    expect(syscall(k, "recvfrom", [fd, peer, 16n, 0n, 0n, 0n])).toBe(0n); // EOF
    closeSocketFd(st.env, fd);
    st.remote.segment(c, TCPF.ACK, 0);
    closeSocketFd(st.env, lfd);
    const by = (sk: bigint) => states.filter((x) => x.sk === sk).map((x) => x.change);
    expect(by(listener.sk)).toEqual(["CLOSE>LISTEN", "LISTEN>CLOSE"]);
    expect(by(c.sk)).toEqual(["CLOSE>SYN_RECV", "SYN_RECV>ESTABLISHED", "ESTABLISHED>CLOSE_WAIT", "CLOSE_WAIT>LAST_ACK", "LAST_ACK>CLOSE"]);
    // SYN_RECV is set on the clone of the listener (its port, no peer yet); the peer's address and port come right after.
    expect(states.filter((x) => x.sk === c.sk).map((x) => `${x.saddr}:${x.sport}>${x.daddr}:${x.dport}`)).toEqual([
      "0.0.0.0:8000>0.0.0.0:0",
      ...Array(4).fill("10.0.2.15:8000>198.51.100.9:45678"),
    ]);
    expect([k.world.bySk.has(c.sk), k.world.bySk.has(listener.sk), k.world.listeners.size]).toEqual([false, false, 0]);
    user.heapFree(peer);
    user.heapFree(plen);
  });

  it("a lost ACK: the write timer retransmits (tcp:tcp_retransmit_skb), the window collapses to 1, the late ACK clears retrans_out", () => {
    const { k, st, hits, sockOfFd, T, connect } = boot(17);
    const fd = syscall(k, "socket", [BigInt(AF_INET), SOCK_STREAM, 0n]);
    expect(connect(fd, 20, 80)).toBe(0n);
    const s = sockOfFd(fd);
    expect(syscall(k, "sendto", [fd, userBuffer(k, 700), 700n, 0n, 0n, 0n])).toBe(700n);
    const before = hits("tcp", "tcp_retransmit_skb");
    st.remote.timerFires(s);
    expect(hits("tcp", "tcp_retransmit_skb")).toBe(before + 1);
    expect([T(s, "total_retrans"), T(s, "retrans_out"), T(s, "packets_out"), T(s, "snd_cwnd"), T(s, "snd_ssthresh"), T(s, "bytes_sent")]).toEqual([1n, 1n, 1n, 1n, 5n, 1400n]);
    st.remote.segment(s, TCPF.ACK, 0);
    expect([T(s, "retrans_out"), T(s, "packets_out"), T(s, "snd_una")]).toEqual([0n, 0n, T(s, "snd_nxt")]);
  });

  it("close with unread data resets the connection (tcp:tcp_send_reset, SK_RST_REASON_TCP_ABORT_ON_CLOSE); a segment to a port nobody listens on is answered with a RST and dropped (NO_SOCKET)", () => {
    const { k, st, states, hits, sockOfFd, connect } = boot(18);
    const reasons: bigint[] = [];
    const rst = k.tracepoints.get("tcp", "tcp_send_reset")!;
    const ro = rst.fields.find((f) => f.name === "reason")!.offset;
    k.tracepoints.attach(rst, (h) => reasons.push(BigInt(new DataView(h.record.buffer).getUint32(ro, true))));
    const drops: bigint[] = [];
    const kfree = k.tracepoints.get("skb", "kfree_skb")!;
    const dro = kfree.fields.find((f) => f.name === "reason")!.offset;
    k.tracepoints.attach(kfree, (h) => drops.push(BigInt(new DataView(h.record.buffer).getUint32(dro, true))));
    const fd = syscall(k, "socket", [BigInt(AF_INET), SOCK_STREAM, 0n]);
    expect(connect(fd, 23, 80)).toBe(0n);
    const s = sockOfFd(fd);
    st.remote.segment(s, TCPF.ACK | TCPF.PSH, 600);
    closeSocketFd(st.env, fd);
    expect(states.map((x) => x.change)).toEqual(["CLOSE>SYN_SENT", "SYN_SENT>ESTABLISHED", "ESTABLISHED>CLOSE"]);
    expect(reasons).toEqual([11n]);
    expect(hits("tcp", "tcp_destroy_sock")).toBe(1);
    const nobody = { protocol: 6, saddr: Uint8Array.of(198, 51, 100, 7), daddr: Uint8Array.of(10, 0, 2, 15), sport: 40000, dport: 9 };
    drops.length = 0;
    st.remote.raw(nobody, 5, 0, TCPF.SYN, 0, AF_INET);
    expect(reasons).toEqual([11n, 1n]); // SK_RST_REASON_NO_SOCKET
    expect(drops).toEqual([2n]); // SKB_DROP_REASON_NO_SOCKET
  });
});

describe("TCP through the CLI", () => {
  it("btfsnoop trace tracepoint:sock:inet_sock_set_state on the net workload: every change is one of TCP's transitions, connections get established", async () => {
    const r = await runCli("tracepoint:sock:inet_sock_set_state", "--workload", "net", "-d", "30ms", "--format", "json");
    expect(r.code).toBe(0);
    const changes = r.out
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { values: { name: string; value: number }[] }).values)
      .map((v) => `${TCP_STATE_NAMES[v.find((x) => x.name === "oldstate")!.value]}>${TCP_STATE_NAMES[v.find((x) => x.name === "newstate")!.value]}`);
    const legal = new Set([
      "CLOSE>SYN_SENT", "SYN_SENT>ESTABLISHED", "SYN_SENT>CLOSE", "CLOSE>LISTEN", "LISTEN>CLOSE", "CLOSE>SYN_RECV", "SYN_RECV>ESTABLISHED",
      "ESTABLISHED>FIN_WAIT1", "FIN_WAIT1>FIN_WAIT2", "FIN_WAIT2>CLOSE", "FIN_WAIT1>CLOSING", "CLOSING>CLOSE", "ESTABLISHED>CLOSE_WAIT",
      "CLOSE_WAIT>LAST_ACK", "LAST_ACK>CLOSE", "ESTABLISHED>CLOSE", "CLOSE_WAIT>CLOSE",
    ]);
    expect(changes.filter((c) => !legal.has(c))).toEqual([]);
    expect(changes).toContain("SYN_SENT>ESTABLISHED");
  }, 60_000);
});
