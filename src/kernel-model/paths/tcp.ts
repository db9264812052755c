// TCP as Linux 6.12 runs it, over the model's sockets: the connection
// states (every change through tcp_set_state / inet_sk_set_state and the
// sock:inet_sock_set_state event), the three-way handshake on both sides
// (tcp_v4_connect -> tcp_connect sends the SYN; a listener answers a SYN
// with a request sock and a SYN-ACK, and the handshake's ACK makes the child
// in tcp_check_req -> tcp_v4_syn_recv_sock -> tcp_create_openreq_child ->
// inet_csk_clone_lock), sending (tcp_sendmsg -> tcp_sendmsg_locked ->
// tcp_push -> tcp_write_xmit -> __tcp_transmit_skb -> ip_queue_xmit or
// inet6_csk_xmit; a clone goes out, the original waits on the retransmit
// queue), receiving (tcp_v4_rcv -> tcp_v4_do_rcv -> tcp_rcv_established /
// tcp_rcv_state_process -> tcp_ack, tcp_data_queue -> sk_data_ready),
// reading (tcp_recvmsg -> skb_copy_datagram_iter), ACKs with RTT samples
// (tcp_rtt_estimator: srtt_us as Linux scales it, <<3), retransmission from
// the write timer, resets sent and received, and closing (tcp_close ->
// FIN_WAIT1/2 and TCP_CLOSE, or LAST_ACK for the passive side; an orphaned
// socket is destroyed when it reaches TCP_CLOSE). The tcp_sock counters
// (snd_nxt, snd_una, rcv_nxt, copied_seq, write_seq, packets_out,
// retrans_out, total_retrans, bytes_sent/acked/received, segs_in/out,
// snd_cwnd...) are kept where Linux keeps them.
import { IP6_HLEN, IP_HLEN, pushIp6Header, pushIpHeader, pushTcpHeader, readTcpHeader, skbData, sockCookie, TCP_HLEN, TCPF, writePayload } from "../packets.js";
import { alloc, setField } from "./fields.js";
import {
  addrsOf,
  AF_INET6,
  be32,
  setAddrs,
  connKey,
  flowsOf,
  sockaddrBytes,
  TCP_CLOSE,
  TCP_CLOSE_WAIT,
  TCP_CLOSING,
  TCP_ESTABLISHED,
  TCP_FIN_WAIT1,
  TCP_FIN_WAIT2,
  TCP_LAST_ACK,
  TCP_LISTEN,
  TCP_SYN_RECV,
  TCP_SYN_SENT,
  TCP_TIME_WAIT,
  tpAddrs,
} from "./inet.js";
import { EAGAIN, EPIPE, err, isErr, type NetEnv, fireLazy } from "./net-env.js";
import type { Sock } from "./world.js";

const GFP_KERNEL = 0xcc0n;
const GFP_ATOMIC = 0x820n;
const NUMA_NO_NODE = BigInt.asUintN(64, -1n);
/** TCP_INIT_CWND, TCP_INFINITE_SSTHRESH, the RTO bounds (jiffies at HZ=1000) and net.ipv4.tcp_rmem's default. */
const TCP_INIT_CWND = 10;
const TCP_INFINITE_SSTHRESH = 0x7fffffff;
const TCP_RTO_MIN_US = 200_000;
const TCP_TIMEOUT_INIT = 1000;
const TCP_RTO_MAX = 120_000;
const SND_CWND_CLAMP = 10_000;
/** sk_shutdown bits. */
const RCV_SHUTDOWN = 1;
const SEND_SHUTDOWN = 2;
/** BPF_SOCK_OPS_ACTIVE/PASSIVE_ESTABLISHED_CB (tcp_init_transfer's bpf_op). */
const BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB = 4n;
const BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB = 5n;
/** SK_MEM_RECV. */
const SK_MEM_RECV = 1n;

/** The TCP state of a socket's sk_state, and the names tests print. */
export const TCP_STATE_NAMES = ["", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV"];

/** Sequence arithmetic modulo 2^32: a after b. */
const after = (a: number, b: number) => ((a - b) | 0) > 0;

export interface TcpPaths {
  /** Initializes the tcp_sock of an already-connected background socket (world.ts's) as tcp_finish_connect leaves it. */
  initEstablished(s: Sock, isn: number, peerIsn: number): void;
  /** The maximum segment size of a connection over its device. */
  mss(s: Sock): number;
}

export function installTcpPaths(env: NetEnv): TcpPaths {
  const { k, w, set, call, segs } = env;
  const rng = k.rng;
  const T = (s: Sock, f: string): number => Number(k.memory.readField(s.sk, "tcp_sock", f));
  const setT = (s: Sock, f: string, v: number | bigint) => setField(k, s.sk, "tcp_sock", f, typeof v === "bigint" ? v : BigInt(Math.trunc(v) >>> 0));
  const addT = (s: Sock, f: string, d: number) => setField(k, s.sk, "tcp_sock", f, BigInt.asUintN(f.startsWith("bytes_") ? 64 : 32, k.memory.readField(s.sk, "tcp_sock", f) + BigInt(d)));
  const S = (s: Sock, f: string) => k.memory.readField(s.sk, "sock", f);
  const setS = (s: Sock, f: string, v: bigint) => setField(k, s.sk, "sock", f, v);
  const sockOf = (sk: bigint) => env.sockOf(sk);
  const tpSetState = env.tp("sock", "inet_sock_set_state");
  const tcpTimeU32 = () => BigInt.asUintN(32, k.clock.now() / 1000n);
  const mss = (s: Sock) => (s.dev === w.lo ? 65483 : 1448);
  const rxTimer = (s: Sock) => s.sk + BigInt(k.memory.objects.field("inet_connection_sock", "icsk_retransmit_timer").byteOffset);
  /**
   * The control socket a RST without a socket of its own is sent from (net->ipv4.tcp_sk,
   * made by inet_ctl_sock_create: a raw IPPROTO_TCP socket): ip_send_unicast_reply's skb->sk,
   * so ip_send_skb never sees a NULL sk. One per namespace (Linux has one per CPU), made on first use.
   */
  let ctlSk = 0n;
  const ctlSock = (): bigint => {
    if (ctlSk === 0n) {
      ctlSk = alloc(k, "sock");
      setField(k, ctlSk, "sock", "__sk_common.skc_family", 2n);
      setField(k, ctlSk, "sock", "__sk_common.skc_net.net", w.net);
      setField(k, ctlSk, "sock", "__sk_common.skc_state", BigInt(TCP_CLOSE));
      setField(k, ctlSk, "sock", "sk_protocol", 6n);
      setField(k, ctlSk, "sock", "sk_type", 3n);
    }
    return ctlSk;
  };

  /** The one place a TCP socket changes state (tcp_set_state / inet_sk_set_state): sk_state and the tracepoint. */
  const changeState = (s: Sock, state: number) => {
    const old = s.state;
    fireLazy(k, tpSetState, () => ({ skaddr: s.sk, oldstate: BigInt(old), newstate: BigInt(state), protocol: 6n, ...tpAddrs(k, s) }), [s.sk, BigInt(old), BigInt(state)]);
    s.state = state;
    setS(s, "__sk_common.skc_state", BigInt(state));
  };
  set("tcp_set_state", ([sk, state]) => {
    const s = sockOf(sk!);
    if (s) changeState(s, Number(state));
    return 0n;
  });
  set("inet_sk_set_state", ([sk, state]) => {
    const s = sockOf(sk!);
    if (s) changeState(s, Number(state));
    return 0n;
  });

  /** tcp_init_sock: a new socket's tcp_sock as Linux initializes it. */
  set("tcp_init_sock", ([sk]) => {
    const s = sockOf(sk!);
    if (!s) return 0n;
    setT(s, "inet_conn.icsk_rto", TCP_TIMEOUT_INIT);
    setT(s, "inet_conn.icsk_rto_min", TCP_RTO_MIN_US / 1000);
    setT(s, "mdev_us", 1_000_000);
    setT(s, "snd_cwnd", TCP_INIT_CWND);
    setT(s, "snd_ssthresh", TCP_INFINITE_SSTHRESH);
    setT(s, "snd_cwnd_clamp", ~0 >>> 0);
    setT(s, "mss_cache", 536);
    setT(s, "reordering", 3);
    setT(s, "app_limited", ~0 >>> 0);
    setS(s, "sk_sndbuf", 16384n);
    setS(s, "sk_rcvbuf", 131072n);
    return 0n;
  });
  set("tcp_v4_init_sock", ([sk]) => call("tcp_init_sock", sk!));
  set("tcp_v6_init_sock", ([sk]) => call("tcp_init_sock", sk!));

  const initEstablished = (s: Sock, isn: number, peerIsn: number) => {
    s.state = TCP_ESTABLISHED;
    for (const f of ["write_seq", "snd_nxt", "snd_una", "snd_sml", "pushed_seq", "snd_up", "rtt_seq"]) setT(s, f, isn);
    for (const f of ["rcv_nxt", "copied_seq", "rcv_wup"]) setT(s, f, peerIsn);
    setT(s, "snd_cwnd", TCP_INIT_CWND);
    setT(s, "snd_ssthresh", TCP_INFINITE_SSTHRESH);
    setT(s, "mss_cache", mss(s));
    setT(s, "advmss", mss(s));
    setT(s, "snd_wnd", 65483);
    setT(s, "max_window", 65483);
    setT(s, "rcv_wnd", 65483);
    setT(s, "window_clamp", 65483);
    setT(s, "rcv_ssthresh", 65483);
    setT(s, "tcp_header_len", TCP_HLEN);
    setT(s, "inet_conn.icsk_rto", TCP_TIMEOUT_INIT);
  };

  // Sending.
  /** Segments tcp_sendmsg_locked / tcp_connect / tcp_send_fin queued and tcp_write_xmit has not sent yet. */
  const unsent = new Map<Sock, bigint[]>();
  /** The payload size tcp_stream_alloc_skb is making room for (its caller's size_goal; Linux allocates then copies). */
  let allocSize = 0;
  set("tcp_sendmsg", ([sk, msg, size]) => {
    call("lock_sock_nested", sk!, 0n);
    const ret = call("tcp_sendmsg_locked", sk!, msg!, size!);
    call("release_sock", sk!);
    return ret;
  });
  set("tcp_current_mss", ([sk]) => {
    const s = sockOf(sk!);
    return BigInt(s ? T(s, "mss_cache") : 536);
  });
  set("tcp_send_mss", ([sk]) => call("tcp_current_mss", sk!));
  set("tcp_sendmsg_locked", ([sk, , size]) => {
    const s = sockOf(sk!);
    if (!s) return err(EPIPE);
    if (s.state !== TCP_ESTABLISHED && s.state !== TCP_CLOSE_WAIT) return err(s.state === TCP_SYN_SENT ? EAGAIN : EPIPE);
    if (Number(S(s, "sk_shutdown")) & SEND_SHUTDOWN) return err(EPIPE);
    // sk_stream_wait_memory with MSG_DONTWAIT now and then: the send buffer is full.
    if (rng.chance(0.03)) return err(EAGAIN);
    const mssNow = Number(call("tcp_send_mss", sk!, 0n, 0n));
    let left = Number(size!);
    const q = unsent.get(s) ?? [];
    while (left > 0) {
      const n = Math.min(left, mssNow);
      allocSize = n;
      const skb = call("tcp_stream_alloc_skb", sk!, GFP_KERNEL, 0n);
      writePayload(k, skb, env.flows.payload(n));
      const seq = T(s, "write_seq");
      segs.set(skb, { seq, end: (seq + n) >>> 0, flags: TCPF.ACK, len: n });
      setT(s, "write_seq", seq + n);
      setS(s, "sk_wmem_queued", S(s, "sk_wmem_queued") + k.memory.readField(skb, "sk_buff", "truesize"));
      q.push(skb);
      left -= n;
    }
    unsent.set(s, q);
    const last = segs.get(q[q.length - 1]!);
    if (last) last.flags |= TCPF.PSH;
    call("tcp_push", sk!, 0n, BigInt(mssNow), 0n, BigInt(mssNow));
    return size!;
  });
  set("tcp_stream_alloc_skb", ([sk, gfp]) => {
    const skb = call("__alloc_skb", BigInt(allocSize), gfp!, 0n, NUMA_NO_NODE);
    setField(k, skb, "sk_buff", "sk", sk!);
    const s = sockOf(sk!);
    setField(k, skb, "sk_buff", "dev", (s?.dev ?? w.eth0).addr);
    return skb;
  });
  set("tcp_push", ([sk, , mssNow, nonagle]) => {
    const s = sockOf(sk!);
    if (s) setT(s, "pushed_seq", T(s, "write_seq"));
    call("__tcp_push_pending_frames", sk!, mssNow!, nonagle!);
    return 0n;
  });
  set("__tcp_push_pending_frames", ([sk, mssNow, nonagle]) => (call("tcp_write_xmit", sk!, mssNow!, nonagle!, 0n, GFP_ATOMIC), 0n));
  set("tcp_write_xmit", ([sk]) => {
    const s = sockOf(sk!);
    const q = s && unsent.get(s);
    if (!s || !q?.length) return 0n;
    unsent.delete(s);
    for (const skb of q) {
      const seg = segs.get(skb)!;
      const ret = call("__tcp_transmit_skb", sk!, skb, 1n, GFP_ATOMIC, BigInt(T(s, "rcv_nxt")));
      if (isErr(ret)) {
        // Not sent (the device dropped it): it stays queued for the retransmit timer as Linux leaves it.
      }
      void seg;
      call("tcp_event_new_data_sent", sk!, skb);
    }
    return 0n;
  });
  set("tcp_event_new_data_sent", ([sk, skb]) => {
    const s = sockOf(sk!);
    const seg = segs.get(skb!);
    if (!s || !seg) return 0n;
    const wasEmpty = s.rtx.length === 0;
    s.rtx.push({ skb: skb!, seq: seg.seq, end: seg.end, sentNs: k.clock.now(), flags: seg.flags });
    setT(s, "snd_nxt", seg.end);
    addT(s, "packets_out", 1);
    setT(s, "lsndtime", Number(k.jiffies() & 0xffffffffn));
    if (wasEmpty) call("tcp_rearm_rto", sk!);
    return 0n;
  });
  set("tcp_rearm_rto", ([sk]) => {
    const s = sockOf(sk!);
    if (!s) return 0n;
    if (s.rtx.length === 0) call("sk_stop_timer", sk!, rxTimer(s));
    else call("sk_reset_timer", sk!, rxTimer(s), k.jiffies() + BigInt(T(s, "inet_conn.icsk_rto")));
    return 0n;
  });
  set("__tcp_transmit_skb", ([sk, skb0, cloneIt, gfp, rcvNxt]) => {
    const s = sockOf(sk!);
    let skb = skb0!;
    const seg = segs.get(skb0!);
    if (cloneIt !== 0n) {
      skb = call("skb_clone", skb0!, gfp!);
      if (skb === 0n) return err(12);
    }
    if (s) {
      const f = flowsOf(k, s).out;
      const flags = seg?.flags ?? TCPF.ACK;
      pushTcpHeader(k, skb, f, seg?.seq ?? T(s, "snd_nxt"), flags & TCPF.ACK ? Number(rcvNxt!) : 0, flags);
      call(s.family === AF_INET6 ? "tcp_v6_send_check" : "tcp_v4_send_check", sk!, skb);
      addT(s, "segs_out", 1);
      if (seg && seg.len > 0) {
        addT(s, "data_segs_out", 1);
        addT(s, "bytes_sent", seg.len);
      }
      if (flags & TCPF.ACK) setT(s, "rcv_wup", Number(rcvNxt!));
      setT(s, "tcp_mstamp", tcpTimeU32());
    }
    const fl = sk! + BigInt(k.memory.objects.field("inet_sock", "cork").byteOffset);
    return s?.family === AF_INET6 ? call("inet6_csk_xmit", sk!, skb, fl) : call("ip_queue_xmit", sk!, skb, fl);
  });
  set("tcp_v4_send_check", () => 0n);
  set("tcp_v6_send_check", () => 0n);

  /** A control segment (SYN, ACK, FIN, RST) of `flags` at `seq`, length 0 (tcp_stream_alloc_skb / alloc_skb(MAX_TCP_HEADER)). */
  const ctlSkb = (s: Sock, seq: number, flags: number, gfp = GFP_ATOMIC): bigint => {
    allocSize = 0;
    const skb = call("tcp_stream_alloc_skb", s.sk, gfp, 1n);
    const syn = flags & TCPF.SYN ? 1 : 0;
    const fin = flags & TCPF.FIN ? 1 : 0;
    segs.set(skb, { seq, end: (seq + syn + fin) >>> 0, flags, len: 0 });
    return skb;
  };

  // Connecting.
  set("tcp_connect", ([sk]) => {
    const s = sockOf(sk!);
    if (!s) return err(22);
    // tcp_connect_init: the MSS and windows of the route, then the SYN takes one sequence number.
    setT(s, "mss_cache", mss(s));
    setT(s, "advmss", mss(s));
    setT(s, "rcv_wnd", 65535);
    setT(s, "window_clamp", 65535);
    setT(s, "rcv_ssthresh", 65535);
    setT(s, "tcp_header_len", TCP_HLEN);
    const isn = T(s, "write_seq");
    for (const f of ["snd_una", "snd_sml", "snd_up", "rtt_seq", "pushed_seq"]) setT(s, f, isn);
    setT(s, "snd_nxt", isn);
    setT(s, "rcv_nxt", 0);
    setT(s, "copied_seq", 0);
    setT(s, "write_seq", isn + 1);
    const skb = ctlSkb(s, isn, TCPF.SYN, GFP_KERNEL);
    call("__tcp_transmit_skb", sk!, skb, 1n, GFP_KERNEL, 0n);
    call("tcp_event_new_data_sent", sk!, skb);
    return 0n;
  });

  // Receiving.
  set("tcp_v4_rcv", ([skb]) => tcpRcv(skb!, false));
  set("tcp_v6_rcv", ([skb]) => tcpRcv(skb!, true));
  /** tcp_v4_rcv / tcp_v6_rcv: the checksum, the socket (early demux hint, established hash, listener), then the socket's receive. */
  const tcpRcv = (skb: bigint, v6: boolean): bigint => {
    let sk = k.memory.readField(skb, "sk_buff", "sk");
    // A bad checksum now and then on what comes off the wire (lo's packets are CHECKSUM_UNNECESSARY).
    if (sk !== 0n && k.memory.readField(skb, "sk_buff", "dev") !== w.lo.addr && rng.chance(0.02)) {
      call("kfree_skb_reason", skb, env.dropReason("SKB_DROP_REASON_TCP_CSUM"));
      return 0n;
    }
    const th = readTcpHeader(k, skb);
    const payload = skbData(k, skb).len - TCP_HLEN;
    segs.set(skb, { seq: th.seq, end: (th.seq + payload + (th.flags & TCPF.SYN ? 1 : 0) + (th.flags & TCPF.FIN ? 1 : 0)) >>> 0, flags: th.flags, len: payload });
    const nh = readAddrs(skb, v6);
    if (sk === 0n) {
      sk = call("__inet_lookup_established", w.net, 0n, 0n, BigInt(th.sport), 0n, BigInt(th.dport), BigInt(w.eth0.ifindex), 0n);
      if (sk === 0n) {
        const s = w.established.get(connKey(th.dport, nh.saddr, th.sport));
        sk = s?.sk ?? call("__inet_lookup_listener", w.net, 0n, skb, 0n, 0n, BigInt(th.sport), 0n, BigInt(th.dport), BigInt(w.eth0.ifindex), 0n);
      }
      setField(k, skb, "sk_buff", "sk", sk);
    }
    const s = sockOf(sk);
    if (!s) {
      // No socket: a RST answers anything but a RST (tcp_v4_send_reset), then the segment is dropped.
      if (!(th.flags & TCPF.RST)) call("tcp_v4_send_reset", 0n, skb, env.rstReason("SK_RST_REASON_NO_SOCKET"));
      call("kfree_skb_reason", skb, env.dropReason("SKB_DROP_REASON_NO_SOCKET"));
      return 0n;
    }
    if (s.state === TCP_LISTEN && !(th.flags & TCPF.SYN)) {
      const r = s.reqs.get(th.sport);
      if (r) {
        // The handshake's last ACK for a request sock of this listener.
        const child = call("tcp_check_req", s.sk, skb, r.req, 0n, 0n);
        if (child === 0n) {
          call("kfree_skb_reason", skb, env.dropReason("SKB_DROP_REASON_TCP_FLAGS"));
          return 0n;
        }
        call("tcp_child_process", s.sk, child, skb);
        return 0n;
      }
    }
    // tcp_segs_in: every segment a full socket receives, and those carrying data.
    if (s.state !== TCP_LISTEN) {
      addT(s, "segs_in", 1);
      if (payload > 0) addT(s, "data_segs_in", 1);
    }
    hold(s);
    const ret = v6 ? call("tcp_v6_do_rcv", s.sk, skb) : call("tcp_v4_do_rcv", s.sk, skb);
    put(s);
    return ret;
  };
  /** sock_hold / sock_put around a path that may end the socket (the receive path, tcp_close). */
  const hold = (s: Sock) => void (s.holds = (s.holds ?? 0) + 1);
  const put = (s: Sock) => {
    s.holds = (s.holds ?? 1) - 1;
    if (s.holds === 0 && s.destroyPending) {
      s.destroyPending = false;
      call("inet_csk_destroy_sock", s.sk);
    }
  };
  /** The source and destination addresses of the packet (the network header, before the transport one at skb->data). */
  const readAddrs = (skb: bigint, v6: boolean): { saddr: Uint8Array; daddr: Uint8Array } => {
    const d = skbData(k, skb);
    const b = new Uint8Array(v6 ? IP6_HLEN : IP_HLEN);
    k.memory.readKernel(b, d.data - BigInt(b.length));
    return v6 ? { saddr: b.slice(8, 24), daddr: b.slice(24, 40) } : { saddr: b.slice(12, 16), daddr: b.slice(16, 20) };
  };
  set("__inet_lookup_established", () => 0n);
  set("__inet_lookup_listener", ([, , , , , , , hnum]) => w.listeners.get(Number(hnum))?.sk ?? 0n);
  const doRcv = ([sk, skb]: readonly bigint[]) => {
    const s = sockOf(sk!);
    if (!s) return 0n;
    if (s.state === TCP_ESTABLISHED) {
      call("tcp_rcv_established", sk!, skb!);
      return 0n;
    }
    const reason = call("tcp_rcv_state_process", sk!, skb!);
    if (reason !== 0n) {
      call("tcp_v4_send_reset", sk!, skb!, env.rstReason("SK_RST_REASON_NOT_SPECIFIED"));
      call("kfree_skb_reason", skb!, reason);
    }
    return 0n;
  };
  set("tcp_v4_do_rcv", doRcv);
  set("tcp_v6_do_rcv", doRcv);

  set("tcp_rcv_established", ([sk, skb]) => {
    const s = sockOf(sk!)!;
    const seg = segs.get(skb!)!;
    probe(s, skb!);
    setT(s, "rcv_tstamp", Number(k.jiffies() & 0xffffffffn));
    if (seg.flags & TCPF.ACK) call("tcp_ack", sk!, skb!, 0n);
    if (seg.len > 0 || seg.flags & TCPF.FIN) {
      call("tcp_data_queue", sk!, skb!);
      // __tcp_ack_snd_check: quick ACK (every segment of a new connection is acknowledged at once).
      if (s.state !== TCP_CLOSE) call("tcp_send_ack", sk!);
    } else call("__kfree_skb", skb!);
    return 0n;
  });
  const tpProbe = env.tp("tcp", "tcp_probe");
  const probe = (s: Sock, skb: bigint) => {
    const a = addrsOf(k, s);
    k.fire(
      tpProbe,
      {
        saddr: sockaddrBytes(a.family, a.saddr, a.sport),
        daddr: sockaddrBytes(a.family, a.daddr, a.dport),
        sport: BigInt(a.sport),
        dport: BigInt(a.dport),
        family: BigInt(a.family),
        mark: k.memory.readField(skb, "sk_buff", "mark"),
        data_len: BigInt(segs.get(skb)?.len ?? 0),
        snd_nxt: BigInt(T(s, "snd_nxt")),
        snd_una: BigInt(T(s, "snd_una")),
        snd_cwnd: BigInt(T(s, "snd_cwnd")),
        ssthresh: BigInt(T(s, "snd_ssthresh")),
        snd_wnd: BigInt(T(s, "snd_wnd")),
        srtt: BigInt(T(s, "srtt_us") >>> 3),
        rcv_wnd: BigInt(T(s, "rcv_wnd")),
        sock_cookie: sockCookie(k, s.sk),
        skbaddr: skb,
        skaddr: s.sk,
      },
      [s.sk, skb],
    );
  };

  set("tcp_ack", ([sk, skb]) => {
    const s = sockOf(sk!);
    const seg = segs.get(skb!);
    if (!s || !seg) return 0n;
    const th = readTcpHeader(k, skb!);
    setT(s, "snd_wnd", th.window);
    const una = T(s, "snd_una");
    if (!after(th.ack, una) || after(th.ack, T(s, "snd_nxt"))) return 0n;
    setT(s, "snd_una", th.ack);
    addT(s, "bytes_acked", (th.ack - una) >>> 0);
    // The retransmit queue up to the ACK: freed, counted, and the newest never-retransmitted one timed.
    let acked = 0;
    let rttSentNs: bigint | undefined;
    let ourFinAcked = false;
    while (s.rtx.length && !after(s.rtx[0]!.end, th.ack)) {
      const r = s.rtx.shift()!;
      acked++;
      if (r.flags & TCPF.FIN) ourFinAcked = true;
      if (retransmitted.delete(r.skb)) addT(s, "retrans_out", -1);
      else rttSentNs = r.sentNs;
      segs.delete(r.skb);
      if (r.skb !== 0n) call("__kfree_skb", r.skb);
    }
    if (acked) {
      addT(s, "packets_out", -acked);
      addT(s, "delivered", acked);
      const cwnd = T(s, "snd_cwnd");
      if (cwnd < T(s, "snd_ssthresh")) setT(s, "snd_cwnd", Math.min(cwnd + acked, SND_CWND_CLAMP));
      setT(s, "inet_conn.icsk_retransmits", 0);
      setT(s, "inet_conn.icsk_backoff", 0);
    }
    if (rttSentNs !== undefined) call("tcp_rtt_estimator", sk!, BigInt(Math.max(1, Number((k.clock.now() - rttSentNs) / 1000n))));
    call("tcp_rearm_rto", sk!);
    if (ourFinAcked) {
      if (s.state === TCP_FIN_WAIT1) changeState(s, TCP_FIN_WAIT2);
      else if (s.state === TCP_CLOSING) call("tcp_time_wait", sk!, BigInt(TCP_TIME_WAIT), 0n);
      else if (s.state === TCP_LAST_ACK) call("tcp_done", sk!);
    }
    return 1n;
  });
  /** RFC 6298's estimator in Linux's fixed point: srtt_us holds 8 x SRTT, mdev_us/rttvar_us 4 x RTTVAR; RTO = SRTT + 4 x RTTVAR (at least 200 ms). */
  set("tcp_rtt_estimator", ([sk, mrtt]) => {
    const s = sockOf(sk!);
    if (!s) return 0n;
    const m = Number(BigInt.asIntN(64, mrtt!));
    const srtt8 = T(s, "srtt_us");
    let srtt: number;
    let rttvar4: number;
    if (srtt8 === 0) {
      srtt = m;
      rttvar4 = 2 * m; // RTTVAR = R/2, times 4
      setT(s, "rtt_seq", T(s, "snd_nxt"));
    } else {
      const prev = srtt8 / 8;
      const dev = Math.abs(prev - m);
      rttvar4 = Math.round((3 * T(s, "mdev_us")) / 4 + dev);
      srtt = prev + (m - prev) / 8;
    }
    setT(s, "srtt_us", Math.max(1, Math.round(srtt * 8)));
    setT(s, "mdev_us", rttvar4);
    const rttvar = Math.max(rttvar4, TCP_RTO_MIN_US);
    setT(s, "rttvar_us", rttvar);
    if (rttvar4 > T(s, "mdev_max_us")) setT(s, "mdev_max_us", rttvar4);
    setT(s, "inet_conn.icsk_rto", Math.min(TCP_RTO_MAX, Math.ceil((srtt + rttvar) / 1000)));
    return 0n;
  });

  set("tcp_data_queue", ([sk, skb]) => {
    const s = sockOf(sk!)!;
    const seg = segs.get(skb!)!;
    if (seg.len > 0) {
      const truesize = Number(k.memory.readField(skb!, "sk_buff", "truesize"));
      if (call("tcp_try_rmem_schedule", sk!, skb!, BigInt(truesize)) !== 0n) {
        setS(s, "sk_drops.counter", S(s, "sk_drops.counter") + 1n);
        segs.delete(skb!);
        call("kfree_skb_reason", skb!, env.dropReason("SKB_DROP_REASON_PROTO_MEM"));
        return 0n;
      }
      call("tcp_queue_rcv", sk!, skb!, 0n);
      call("tcp_event_data_recv", sk!, skb!);
    } else setT(s, "rcv_nxt", seg.end);
    if (seg.flags & TCPF.FIN) {
      if (seg.len > 0) setT(s, "rcv_nxt", T(s, "rcv_nxt") + 1);
      call("tcp_fin", sk!);
    }
    if (seg.len === 0) {
      segs.delete(skb!);
      call("__kfree_skb", skb!);
    }
    // sk->sk_data_ready: the reader is woken.
    if (s.state !== TCP_CLOSE) call("sock_def_readable", sk!);
    return 0n;
  });
  set("tcp_try_rmem_schedule", ([sk, , size]) => {
    const s = sockOf(sk!)!;
    const fwd = Number(BigInt.asIntN(32, S(s, "sk_forward_alloc")));
    if (fwd >= Number(size!)) return 0n;
    return call("__sk_mem_schedule", sk!, size!, SK_MEM_RECV) === 0n ? BigInt.asUintN(64, -1n) : 0n;
  });
  set("tcp_queue_rcv", ([sk, skb]) => {
    const s = sockOf(sk!)!;
    const seg = segs.get(skb!)!;
    // The payload stays: the TCP header is pulled as tcp_queue_rcv's __skb_pull(skb, th->doff * 4) does.
    const d = skbData(k, skb!);
    if (d.len > seg.len) k.memory.writeField(skb!, "sk_buff", "data", d.data);
    s.rxq.push(skb!);
    setS(s, "sk_receive_queue.qlen", BigInt(s.rxq.length));
    env.chargeR(skb!, s, k.memory.readField(skb!, "sk_buff", "truesize"));
    setT(s, "rcv_nxt", seg.end);
    addT(s, "bytes_received", seg.len);
    return 0n;
  });
  set("tcp_event_data_recv", ([sk, skb]) => {
    const s = sockOf(sk!)!;
    setT(s, "inet_conn.icsk_ack.lrcvtime", Number(k.jiffies() & 0xffffffffn));
    setField(k, s.sk, "tcp_sock", "inet_conn.icsk_ack.rcv_mss", BigInt(Math.min(segs.get(skb!)?.len ?? 536, 65535)));
    return 0n;
  });

  set("tcp_send_ack", ([sk]) => {
    const s = sockOf(sk!);
    return s ? call("__tcp_send_ack", sk!, BigInt(T(s, "rcv_nxt"))) : 0n;
  });
  set("__tcp_send_ack", ([sk, rcvNxt]) => {
    const s = sockOf(sk!);
    if (!s || s.state === TCP_CLOSE) return 0n;
    const skb = call("__alloc_skb", 0n, GFP_ATOMIC, 0n, NUMA_NO_NODE);
    setField(k, skb, "sk_buff", "sk", sk!);
    setField(k, skb, "sk_buff", "dev", s.dev.addr);
    segs.set(skb, { seq: T(s, "snd_nxt"), end: T(s, "snd_nxt"), flags: TCPF.ACK, len: 0 });
    call("__tcp_transmit_skb", sk!, skb, 0n, GFP_ATOMIC, rcvNxt!);
    segs.delete(skb);
    return 0n;
  });

  // The state machine beyond ESTABLISHED.
  set("tcp_rcv_state_process", ([sk, skb]) => {
    const s = sockOf(sk!)!;
    const seg = segs.get(skb!)!;
    const th = readTcpHeader(k, skb!);
    switch (s.state) {
      case TCP_CLOSE:
        call("kfree_skb_reason", skb!, env.dropReason("SKB_DROP_REASON_TCP_CLOSE"));
        return 0n;
      case TCP_LISTEN:
        if (seg.flags & TCPF.ACK) return env.dropReason("SKB_DROP_REASON_TCP_FLAGS");
        if (seg.flags & TCPF.RST) {
          call("kfree_skb_reason", skb!, env.dropReason("SKB_DROP_REASON_TCP_RESET"));
          return 0n;
        }
        call("tcp_v4_conn_request", sk!, skb!);
        call("consume_skb", skb!);
        return 0n;
      case TCP_SYN_SENT:
        call("tcp_rcv_synsent_state_process", sk!, skb!, 0n);
        call("__kfree_skb", skb!);
        return 0n;
    }
    if (seg.flags & TCPF.RST) {
      call("tcp_reset", sk!, skb!);
      call("kfree_skb_reason", skb!, env.dropReason("SKB_DROP_REASON_TCP_RESET"));
      return 0n;
    }
    if (seg.flags & TCPF.ACK) {
      if (s.state === TCP_SYN_RECV) {
        if (th.ack !== T(s, "snd_nxt")) return env.dropReason("SKB_DROP_REASON_TCP_INVALID_SEQUENCE");
        call("tcp_ack", sk!, skb!, 0n);
        changeState(s, TCP_ESTABLISHED);
        call("tcp_init_transfer", sk!, BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB, skb!);
      } else call("tcp_ack", sk!, skb!, 0n);
    }
    if (s.state !== TCP_CLOSE && (seg.len > 0 || seg.flags & TCPF.FIN) && s.state !== TCP_LAST_ACK && s.state !== TCP_CLOSING) {
      call("tcp_data_queue", sk!, skb!);
      if (s.state !== TCP_CLOSE) call("tcp_send_ack", sk!);
      return 0n;
    }
    call("__kfree_skb", skb!);
    return 0n;
  });
  set("tcp_rcv_synsent_state_process", ([sk, skb]) => {
    const s = sockOf(sk!)!;
    const th = readTcpHeader(k, skb!);
    if (th.flags & TCPF.ACK && th.ack !== T(s, "snd_nxt")) {
      call("tcp_v4_send_reset", sk!, skb!, env.rstReason("SK_RST_REASON_TCP_INVALID_ACK_SEQUENCE"));
      return 1n;
    }
    if (th.flags & TCPF.RST) {
      // Connection refused.
      if (th.flags & TCPF.ACK) call("tcp_reset", sk!, skb!);
      return 0n;
    }
    if (th.flags & TCPF.SYN && th.flags & TCPF.ACK) {
      call("tcp_ack", sk!, skb!, 0n);
      setT(s, "rcv_nxt", th.seq + 1);
      setT(s, "copied_seq", th.seq + 1);
      setT(s, "rcv_wup", th.seq + 1);
      setT(s, "snd_wnd", th.window);
      setT(s, "max_window", th.window);
      setT(s, "snd_wl1", th.seq);
      call("tcp_finish_connect", sk!, skb!);
      call("tcp_send_ack", sk!);
    }
    return 0n;
  });
  set("tcp_finish_connect", ([sk, skb]) => {
    const s = sockOf(sk!)!;
    changeState(s, TCP_ESTABLISHED);
    setT(s, "inet_conn.icsk_ack.lrcvtime", Number(k.jiffies() & 0xffffffffn));
    call("tcp_init_transfer", sk!, BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB, skb!);
    return 0n;
  });
  set("tcp_init_transfer", ([sk]) => {
    const s = sockOf(sk!)!;
    // tcp_init_congestion_control / the initial window: IW10 unless a loss already cut it.
    if (T(s, "total_retrans") === 0) setT(s, "snd_cwnd", TCP_INIT_CWND);
    setT(s, "snd_cwnd_stamp", Number(k.jiffies() & 0xffffffffn));
    return 0n;
  });

  // Passive open.
  set("tcp_v4_conn_request", ([sk, skb]) => call("tcp_conn_request", 0n, 0n, sk!, skb!));
  set("tcp_conn_request", ([, , sk, skb]) => {
    const s = sockOf(sk!)!;
    const th = readTcpHeader(k, skb!);
    if (s.acceptq.length + s.reqs.size >= Number(S(s, "sk_max_ack_backlog"))) {
      // Accept queue full: the SYN is dropped (LINUX_MIB_LISTENOVERFLOWS).
      return 0n;
    }
    const req = call("inet_reqsk_alloc", 0n, sk!, 1n);
    const isn = rng.int(0, 0x7fffffff);
    s.reqs.set(th.sport, { req, isn, peerIsn: th.seq });
    reqPeers.set(req, { sport: th.sport, saddr: readAddrs(skb!, s.family === AF_INET6).saddr });
    call("tcp_v4_send_synack", sk!, 0n, 0n, req, 0n, 0n, skb!);
    return 0n;
  });
  /** The address a listener answers from: its bound one, or eth0's for a wildcard bind. */
  const localAddr = (a: { family: number; saddr: Uint8Array }) => (a.saddr.some((b) => b !== 0) ? a.saddr : a.family === AF_INET6 ? HOST_V6 : HOST_V4);
  /** Who each request sock is for: the client's port and address. */
  const reqPeers = new Map<bigint, { sport: number; saddr: Uint8Array }>();
  set("inet_reqsk_alloc", () => k.memory.kmalloc(256, true));
  set("tcp_v4_send_synack", ([sk, dst, , req, foc, type, synSkb]) => {
    const skb = call("tcp_make_synack", sk!, dst!, req!, foc!, type!, synSkb!);
    const f = synackFlows.get(skb)!;
    return call("ip_build_and_send_pkt", skb, sk!, be32(f.saddr), be32(f.daddr), 0n, 0n);
  });
  set("ip_build_and_send_pkt", ([skb, sk]) => {
    const f = synackFlows.get(skb!);
    synackFlows.delete(skb!);
    if (f) pushIpHeader(k, skb!, f, env.flows.nextIpId());
    return call("ip_local_out", w.net, sk!, skb!);
  });
  set("tcp_make_synack", ([sk, , req]) => {
    const s = sockOf(sk!)!;
    const r = [...s.reqs.values()].find((x) => x.req === req)!;
    const peer = reqPeers.get(req!)!;
    const a = addrsOf(k, s);
    const skb = call("__alloc_skb", 0n, GFP_ATOMIC, 0n, NUMA_NO_NODE);
    setField(k, skb, "sk_buff", "sk", sk!);
    setField(k, skb, "sk_buff", "dev", w.eth0.addr);
    const f = { protocol: 6, saddr: localAddr(a), daddr: peer.saddr, sport: a.sport, dport: peer.sport };
    pushTcpHeader(k, skb, f, r.isn, (r.peerIsn + 1) >>> 0, TCPF.SYN | TCPF.ACK);
    synackFlows.set(skb, f);
    return skb;
  });
  /** The flow of each SYN-ACK (a request sock has no full socket to take it from). */
  const synackFlows = new Map<bigint, { protocol: number; saddr: Uint8Array; daddr: Uint8Array; sport: number; dport: number }>();
  set("tcp_check_req", ([sk, skb, req]) => {
    const s = sockOf(sk!)!;
    const th = readTcpHeader(k, skb!);
    const r = s.reqs.get(th.sport);
    if (!r || r.req !== req || th.ack !== ((r.isn + 1) >>> 0)) return 0n;
    const child = call("tcp_v4_syn_recv_sock", sk!, skb!, req!, 0n, 0n, 0n);
    if (child === 0n) return 0n;
    return call("inet_csk_complete_hashdance", sk!, child, req!, 1n);
  });
  set("tcp_v4_syn_recv_sock", ([sk, skb, req]) => {
    const s = sockOf(sk!)!;
    if (s.acceptq.length >= Number(S(s, "sk_max_ack_backlog"))) return 0n;
    const child = call("tcp_create_openreq_child", sk!, req!, skb!);
    const c = sockOf(child)!;
    const peer = reqPeers.get(req!)!;
    const a = addrsOf(k, s);
    setAddrs(k, c, { family: a.family, saddr: localAddr(a), daddr: peer.saddr, sport: a.sport, dport: peer.sport });
    call("inet_ehash_nolisten", child, 0n, 0n);
    return child;
  });
  set("tcp_create_openreq_child", ([sk, req]) => {
    const child = call("inet_csk_clone_lock", sk!, req!, GFP_ATOMIC);
    const s = sockOf(sk!)!;
    const c = sockOf(child)!;
    const r = [...s.reqs.values()].find((x) => x.req === req)!;
    initEstablished(c, (r.isn + 1) >>> 0, (r.peerIsn + 1) >>> 0);
    c.state = TCP_SYN_RECV;
    setT(c, "snd_una", r.isn);
    setT(c, "snd_nxt", (r.isn + 1) >>> 0);
    setT(c, "segs_in", 1);
    setT(c, "segs_out", 1);
    c.rtx.push({ skb: 0n, seq: r.isn, end: (r.isn + 1) >>> 0, sentNs: k.clock.now(), flags: TCPF.SYN | TCPF.ACK });
    setT(c, "packets_out", 1);
    return child;
  });
  set("inet_csk_clone_lock", ([sk, , prio]) => {
    const child = call("sk_clone_lock", sk!, prio!);
    const c = sockOf(child);
    if (c) {
      c.state = TCP_CLOSE;
      changeState(c, TCP_SYN_RECV);
    }
    return child;
  });
  set("inet_csk_complete_hashdance", ([sk, child, req]) => {
    const s = sockOf(sk!)!;
    const th = [...s.reqs.entries()].find(([, r]) => r.req === req);
    if (th) s.reqs.delete(th[0]);
    reqPeers.delete(req!);
    call("inet_csk_reqsk_queue_add", sk!, req!, child!);
    k.memory.free(req!);
    return child!;
  });
  set("inet_csk_reqsk_queue_add", ([sk, , child]) => {
    const s = sockOf(sk!)!;
    const c = sockOf(child!)!;
    s.acceptq.push(c);
    setS(s, "sk_ack_backlog", BigInt(s.acceptq.length));
    return child!;
  });
  set("tcp_child_process", ([parent, child, skb]) => {
    const reason = call("tcp_rcv_state_process", child!, skb!);
    // The listener's reader (accept) is woken.
    call("sock_def_readable", parent!);
    if (reason !== 0n) call("kfree_skb_reason", skb!, reason);
    return reason;
  });

  // Resets.
  const tpSendReset = env.tp("tcp", "tcp_send_reset");
  const tpRecvReset = env.tp("tcp", "tcp_receive_reset");
  const resetFields = (sk: bigint, skb: bigint, reason: bigint, state: number, a: { family: number; saddr: Uint8Array; daddr: Uint8Array; sport: number; dport: number }) => ({
    skbaddr: skb,
    skaddr: sk,
    state: BigInt(state),
    reason,
    saddr: sockaddrBytes(a.family, a.saddr, a.sport),
    daddr: sockaddrBytes(a.family, a.daddr, a.dport),
  });
  set("tcp_send_active_reset", ([sk, gfp, reason]) => {
    const s = sockOf(sk!);
    if (!s) return 0n;
    fireLazy(k, tpSendReset, () => (resetFields(s.sk, 0n, reason!, s.state, addrsOf(k, s))), [s.sk, 0n, reason!]);
    const skb = ctlSkb(s, T(s, "snd_nxt"), TCPF.RST | TCPF.ACK, gfp!);
    call("__tcp_transmit_skb", sk!, skb, 0n, gfp!, BigInt(T(s, "rcv_nxt")));
    segs.delete(skb);
    return 0n;
  });
  set("tcp_v4_send_reset", ([sk, skb, reason]) => {
    // The reply to a segment: its addresses and ports swapped; SEQ is its ACK (or 0 with an ACK of its end).
    const th = readTcpHeader(k, skb!);
    const v6 = (k.memory.readField(skb!, "sk_buff", "protocol") & 0xffffn) === 0xdd86n;
    const nh = readAddrs(skb!, v6);
    const family = v6 ? AF_INET6 : 2;
    const s = sockOf(sk!);
    fireLazy(k, tpSendReset, () => (resetFields(sk!, skb!, reason!, s?.state ?? TCP_CLOSE, { family, saddr: nh.daddr, daddr: nh.saddr, sport: th.dport, dport: th.sport })), [sk!, skb!, reason!]);
    const seg = segs.get(skb!);
    const rst = call("__alloc_skb", 0n, GFP_ATOMIC, 0n, NUMA_NO_NODE);
    setField(k, rst, "sk_buff", "dev", w.eth0.addr);
    const f = { protocol: 6, saddr: nh.daddr, daddr: nh.saddr, sport: th.dport, dport: th.sport };
    const hasAck = (th.flags & TCPF.ACK) !== 0;
    pushTcpHeader(k, rst, f, hasAck ? th.ack : 0, hasAck ? 0 : (seg?.end ?? th.seq + 1), hasAck ? TCPF.RST : TCPF.RST | TCPF.ACK);
    if (v6) {
      pushIp6Header(k, rst, f);
      return call("ip6_local_out", w.net, 0n, rst);
    }
    pushIpHeader(k, rst, f, env.flows.nextIpId());
    setField(k, rst, "sk_buff", "sk", ctlSock());
    return call("ip_send_skb", w.net, rst);
  });
  set("tcp_reset", ([sk]) => {
    const s = sockOf(sk!);
    if (!s) return 0n;
    fireLazy(k, tpRecvReset, () => ({ ...tpAddrs(k, s), skaddr: s.sk, sock_cookie: sockCookie(k, s.sk) }), [s.sk]);
    // sk_err: ECONNREFUSED in SYN_SENT, EPIPE in CLOSE_WAIT, ECONNRESET otherwise.
    const e = s.state === TCP_SYN_SENT ? 111 : s.state === TCP_CLOSE_WAIT ? 32 : 104;
    setS(s, "sk_err", BigInt(e));
    call("tcp_done", sk!);
    return 0n;
  });
  set("tcp_done", ([sk]) => {
    const s = sockOf(sk!);
    if (!s) return 0n;
    changeState(s, TCP_CLOSE);
    // tcp_clear_xmit_timers, the queues of unacknowledged data dropped.
    call("sk_stop_timer", sk!, rxTimer(s));
    for (const r of s.rtx.splice(0)) {
      retransmitted.delete(r.skb);
      segs.delete(r.skb);
      if (r.skb !== 0n) call("__kfree_skb", r.skb);
    }
    setT(s, "packets_out", 0);
    setT(s, "retrans_out", 0);
    setS(s, "sk_shutdown", 3n);
    w.established.delete(connKey(addrsOf(k, s).sport, addrsOf(k, s).daddr, addrsOf(k, s).dport));
    if (s.dead) call("inet_csk_destroy_sock", sk!);
    return 0n;
  });
  set("tcp_fin", ([sk]) => {
    const s = sockOf(sk!)!;
    setS(s, "sk_shutdown", S(s, "sk_shutdown") | BigInt(RCV_SHUTDOWN));
    if (s.state === TCP_ESTABLISHED || s.state === TCP_SYN_RECV) changeState(s, TCP_CLOSE_WAIT);
    else if (s.state === TCP_FIN_WAIT1) changeState(s, TCP_CLOSING);
    else if (s.state === TCP_FIN_WAIT2) {
      call("tcp_send_ack", sk!);
      call("tcp_time_wait", sk!, BigInt(TCP_TIME_WAIT), 0n);
    }
    return 0n;
  });
  set("tcp_time_wait", ([sk]) => {
    // The connection's TIME_WAIT lives on in a timewait sock (not modelled); the socket itself is done.
    call("tcp_done", sk!);
    return 0n;
  });

  // Retransmission (the write timer).
  /** Segments retransmitted and not acknowledged yet (retrans_out counts them). */
  const retransmitted = new Set<bigint>();
  set("tcp_write_timer_handler", ([sk]) => {
    const s = sockOf(sk!);
    if (s && s.rtx.length) call("tcp_retransmit_timer", sk!);
    return 0n;
  });
  set("tcp_retransmit_timer", ([sk]) => {
    const s = sockOf(sk!)!;
    // tcp_enter_loss: the window collapses to one segment, ssthresh to half the flight; the RTO backs off.
    setT(s, "snd_ssthresh", Math.max(T(s, "snd_cwnd") >> 1, 2));
    setT(s, "snd_cwnd", 1);
    const head = s.rtx[0];
    if (head && head.skb !== 0n) call("tcp_retransmit_skb", sk!, head.skb, 1n);
    setT(s, "inet_conn.icsk_backoff", T(s, "inet_conn.icsk_backoff") + 1);
    setT(s, "inet_conn.icsk_retransmits", T(s, "inet_conn.icsk_retransmits") + 1);
    setT(s, "inet_conn.icsk_rto", Math.min(T(s, "inet_conn.icsk_rto") * 2, TCP_RTO_MAX));
    call("tcp_rearm_rto", sk!);
    return 0n;
  });
  set("tcp_retransmit_skb", ([sk, skb, segsN]) => {
    const s = sockOf(sk!)!;
    const ret = call("__tcp_retransmit_skb", sk!, skb!, segsN!);
    if (!isErr(ret)) {
      if (!retransmitted.has(skb!)) {
        retransmitted.add(skb!);
        addT(s, "retrans_out", 1);
      }
      const r = s.rtx.find((x) => x.skb === skb);
      if (r) r.sentNs = k.clock.now();
    }
    return ret;
  });
  const tpRetrans = env.tp("tcp", "tcp_retransmit_skb");
  set("__tcp_retransmit_skb", ([sk, skb]) => {
    const s = sockOf(sk!)!;
    addT(s, "total_retrans", 1);
    const ret = call("__tcp_transmit_skb", sk!, skb!, 1n, GFP_ATOMIC, BigInt(T(s, "rcv_nxt")));
    if (!isErr(ret)) {
      const a = tpAddrs(k, s);
      fireLazy(k, tpRetrans, () => ({ skbaddr: skb!, skaddr: sk!, state: BigInt(s.state), ...a }), [sk!, skb!]);
    }
    return ret;
  });

  // Reading.
  set("tcp_recvmsg", ([sk, msg, len, flags, addrLen]) => {
    call("lock_sock_nested", sk!, 0n);
    const ret = call("tcp_recvmsg_locked", sk!, msg!, len!, flags!, 0n, 0n);
    call("release_sock", sk!);
    void addrLen;
    return ret;
  });
  set("tcp_recvmsg_locked", ([sk, msg, len, flags]) => {
    const s = sockOf(sk!)!;
    if (s.state === TCP_LISTEN) return err(107);
    let copied = 0;
    const want = Number(len!);
    const iter = msg! + BigInt(k.memory.objects.field("msghdr", "msg_iter").byteOffset);
    while (copied < want && s.rxq.length) {
      const skb = s.rxq[0]!;
      const seg = segs.get(skb)!;
      const avail = seg.len - s.rxOff;
      const n = Math.min(avail, want - copied);
      call("skb_copy_datagram_iter", skb, BigInt(skbData(k, skb).len - seg.len + s.rxOff), iter, BigInt(n));
      copied += n;
      s.rxOff += n;
      if (s.rxOff >= seg.len) {
        s.rxq.shift();
        s.rxOff = 0;
        setS(s, "sk_receive_queue.qlen", BigInt(s.rxq.length));
        segs.delete(skb);
        // tcp_eat_recv_skb: the skb leaves the receive queue and is freed (sock_rfree uncharges it).
        call("__kfree_skb", skb);
      }
    }
    setT(s, "copied_seq", T(s, "copied_seq") + copied);
    if (copied > 0) {
      call("tcp_rcv_space_adjust", sk!);
      call("tcp_cleanup_rbuf", sk!, BigInt(copied));
      return BigInt(copied);
    }
    if (Number(S(s, "sk_shutdown")) & RCV_SHUTDOWN || s.state === TCP_CLOSE) {
      const e = Number(S(s, "sk_err"));
      return e ? err(e) : 0n;
    }
    // Nothing queued: -EAGAIN (a blocking reader would sleep until data came; the model's readers read what arrived).
    void flags;
    return err(EAGAIN);
  });
  set("tcp_cleanup_rbuf", () => 0n);
  const tpSpace = env.tp("tcp", "tcp_rcv_space_adjust");
  set("tcp_rcv_space_adjust", ([sk]) => {
    const s = sockOf(sk!)!;
    fireLazy(k, tpSpace, () => ({ ...tpAddrs(k, s), skaddr: s.sk, sock_cookie: sockCookie(k, s.sk) }), [s.sk]);
    return 0n;
  });

  // Closing.
  set("tcp_close", ([sk, timeout]) => {
    const s = sockOf(sk!);
    if (s) hold(s);
    call("lock_sock_nested", sk!, 0n);
    call("__tcp_close", sk!, timeout!);
    call("release_sock", sk!);
    if (s) put(s);
    return 0n;
  });
  set("__tcp_close", ([sk]) => {
    const s = sockOf(sk!);
    if (!s) return 0n;
    setS(s, "sk_shutdown", 3n);
    // sock_orphan: the socket has no file any more; it is destroyed when it reaches TCP_CLOSE.
    s.dead = true;
    if (s.state === TCP_LISTEN) {
      changeState(s, TCP_CLOSE);
      // inet_csk_listen_stop: connections never accepted are reset and destroyed.
      for (const c of s.acceptq.splice(0)) {
        c.dead = true;
        call("tcp_send_active_reset", c.sk, GFP_ATOMIC, env.rstReason("SK_RST_REASON_TCP_ABORT_ON_CLOSE"));
        call("tcp_done", c.sk);
      }
      for (const r of s.reqs.values()) {
        reqPeers.delete(r.req);
        k.memory.free(r.req);
      }
      s.reqs.clear();
      w.listeners.delete(addrsOf(k, s).sport);
      call("inet_unhash", sk!);
      call("inet_csk_destroy_sock", sk!);
      return 0n;
    }
    const unread = s.rxq.length > 0;
    for (const skb of s.rxq.splice(0)) {
      segs.delete(skb);
      call("__kfree_skb", skb);
    }
    s.rxOff = 0;
    if (unread && (s.state === TCP_ESTABLISHED || s.state === TCP_CLOSE_WAIT)) {
      // Data the application never read: the connection is aborted with a RST (RFC 2525), then destroyed.
      changeState(s, TCP_CLOSE);
      call("tcp_send_active_reset", sk!, GFP_KERNEL, env.rstReason("SK_RST_REASON_TCP_ABORT_ON_CLOSE"));
      call("inet_csk_destroy_sock", sk!);
      return 0n;
    }
    if (s.state === TCP_ESTABLISHED) {
      changeState(s, TCP_FIN_WAIT1);
      call("tcp_send_fin", sk!);
    } else if (s.state === TCP_CLOSE_WAIT) {
      changeState(s, TCP_LAST_ACK);
      call("tcp_send_fin", sk!);
    } else if (s.state === TCP_SYN_SENT) {
      call("tcp_done", sk!);
    } else if (s.state === TCP_CLOSE) {
      call("inet_csk_destroy_sock", sk!);
    }
    return 0n;
  });
  set("tcp_shutdown", ([sk, how]) => {
    const s = sockOf(sk!);
    // SEND_SHUTDOWN (how + 1 has bit 1): a FIN after what was queued.
    if (!s || !((Number(how!) + 1) & SEND_SHUTDOWN)) return 0n;
    if (s.state === TCP_ESTABLISHED) {
      changeState(s, TCP_FIN_WAIT1);
      call("tcp_send_fin", sk!);
    } else if (s.state === TCP_CLOSE_WAIT) {
      changeState(s, TCP_LAST_ACK);
      call("tcp_send_fin", sk!);
    }
    return 0n;
  });
  set("tcp_send_fin", ([sk]) => {
    const s = sockOf(sk!)!;
    const seq = T(s, "write_seq");
    const skb = ctlSkb(s, seq, TCPF.FIN | TCPF.ACK, GFP_KERNEL);
    setT(s, "write_seq", seq + 1);
    unsent.set(s, [...(unsent.get(s) ?? []), skb]);
    call("__tcp_push_pending_frames", sk!, BigInt(T(s, "mss_cache")), 0n);
    return 0n;
  });
  set("inet_csk_destroy_sock", ([sk]) => {
    const s = sockOf(sk!);
    if (!s) return 0n;
    if (s.holds) {
      // Someone still holds a reference: the last sock_put destroys it.
      s.destroyPending = true;
      return 0n;
    }
    call(s.protocol === "tcp" ? "tcp_v4_destroy_sock" : "udp_destroy_sock", sk!);
    // sock_put: the last reference.
    call("sk_free", sk!);
    return 0n;
  });
  const tpDestroy = env.tp("tcp", "tcp_destroy_sock");
  set("tcp_v4_destroy_sock", ([sk]) => {
    const s = sockOf(sk!);
    if (!s) return 0n;
    fireLazy(k, tpDestroy, () => ({ ...tpAddrs(k, s), skaddr: s.sk, sock_cookie: sockCookie(k, s.sk) }), [s.sk]);
    // tcp_write_queue_purge: what was never acknowledged or sent goes with the socket.
    call("sk_stop_timer", sk!, rxTimer(s));
    for (const r of s.rtx.splice(0)) {
      retransmitted.delete(r.skb);
      segs.delete(r.skb);
      if (r.skb !== 0n) call("__kfree_skb", r.skb);
    }
    const q = unsent.get(s);
    unsent.delete(s);
    for (const skb of q ?? []) {
      segs.delete(skb);
      call("__kfree_skb", skb);
    }
    return 0n;
  });

  return { initEstablished, mss };
}

/** A v4 address of eth0 as bytes, for the listener's replies (TEST-NET addresses use it). */
export const HOST_V4 = Uint8Array.of(10, 0, 2, 15);
/** The model's IPv6 address on eth0 (QEMU user networking's fec0::/64 SLAAC address for MAC 52:54:00:12:34:56). */
export const HOST_V6 = Uint8Array.of(0xfe, 0xc0, 0, 0, 0, 0, 0, 0, 0x50, 0x54, 0, 0xff, 0xfe, 0x12, 0x34, 0x56);
