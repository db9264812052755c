// UDP, IPv6, netlink and the device/skb events of the synthetic kernel's
// network stack (src/kernel-model/paths/udp.ts, ipv6.ts, netlink.ts,
// net.ts): datagrams sent and read through the socket syscalls, receive
// memory refused (udp:udp_fail_queue_rcv_skb), a TCP connection over IPv6,
// a route query over netlink, the NAPI and device events, and memory that
// stays bounded over a long run.
import { describe, expect, it } from "vitest";
import { SyntheticKernel } from "../../src/kernel-model/synthetic.js";
import { netStateOf } from "../../src/kernel-model/paths/net.js";
import { closeSocketFd, routeQuery, sockaddr } from "../../src/kernel-model/paths/remote.js";
import { TCP_STATE_NAMES } from "../../src/kernel-model/paths/tcp.js";
import { syscall, userBuffer } from "../../src/kernel-model/paths/syscalls.js";
import { TCPF } from "../../src/kernel-model/packets.js";
import type { Sock } from "../../src/kernel-model/paths/world.js";
import { runCli } from "../helpers/cli.js";

const AF_INET = 2;
const AF_INET6 = 10;
const AF_NETLINK = 16;
const SOCK_STREAM = 1n;
const SOCK_DGRAM = 2n;
const SOCK_RAW = 3n;
const E = (n: number) => BigInt.asUintN(64, BigInt(-n));

function boot(seed: number) {
  const k = new SyntheticKernel({ seed });
  k.rng.chance = () => false; // no random loss or failure: the exchange is exactly the test's
  const st = netStateOf(k)!;
  const hits = (cat: string, name: string) => k.tracepoints.hits(k.tracepoints.get(cat, name)!);
  const calls = (name: string) => k.functions.named(name).reduce((n, f) => n + k.functions.countsOf(f).calls, 0);
  const sockOfFd = (fd: bigint): Sock => {
    const f = k.world.files.get(Number(fd) + k.current().tgid * 1000)!;
    return k.world.bySocket.get(k.memory.readField(f.file, "file", "private_data"))!;
  };
  const record = (cat: string, name: string) => {
    const tp = k.tracepoints.get(cat, name)!;
    const out: Record<string, bigint | string>[] = [];
    k.tracepoints.attach(tp, (h) => {
      const v = new DataView(h.record.buffer);
      const r: Record<string, bigint | string> = {};
      for (const f of tp.fields) {
        if (f.decl.startsWith("__data_loc")) {
          const loc = v.getUint32(f.offset, true);
          r[f.name] = Buffer.from(h.record.subarray(loc & 0xffff, (loc & 0xffff) + (loc >>> 16) - 1)).toString();
        } else if (f.size === 8) r[f.name] = v.getBigUint64(f.offset, true);
        else if (f.size === 4) r[f.name] = BigInt(f.signed ? v.getInt32(f.offset, true) : v.getUint32(f.offset, true));
        else if (f.size === 2) r[f.name] = BigInt(v.getUint16(f.offset, true));
        else if (f.size === 1) r[f.name] = BigInt(v.getUint8(f.offset));
        else r[f.name] = Buffer.from(h.record.subarray(f.offset, f.offset + f.size)).toString("hex");
      }
      out.push(r);
    });
    return out;
  };
  return { k, st, hits, calls, sockOfFd, record };
}

describe("UDP", () => {
  it("a DNS query: socket, connect to 10.0.2.3:53, send, the answer queued and read; receive memory charged then given back", () => {
    const { k, st, calls, sockOfFd, record } = boot(21);
    const copies = record("skb", "skb_copy_datagram_iovec");
    const recvLen = record("sock", "sock_recv_length");
    const fd = syscall(k, "socket", [BigInt(AF_INET), SOCK_DGRAM, 0n]);
    expect(fd).toBe(3n);
    const resolver = sockaddr(AF_INET, Uint8Array.of(10, 0, 2, 3), 53);
    expect(syscall(k, "connect", [fd, userBuffer(k, 16, resolver), 16n])).toBe(0n);
    const s = sockOfFd(fd);
    expect(k.memory.readField(s.sk, "sock", "__sk_common.skc_state")).toBe(1n); // TCP_ESTABLISHED: a connected datagram socket
    expect(syscall(k, "sendto", [fd, userBuffer(k, 40), 40n, 0n, 0n, 0n])).toBe(40n);
    expect([calls("udp_sendmsg"), calls("udp_send_skb"), calls("ip_send_skb"), calls("skb_put"), calls("skb_set_owner_w")]).toEqual([1, 1, 1, 1, 1]);
    st.remote.datagram(s, 100);
    expect(s.rxq.length).toBe(1);
    const rmem = () => k.memory.readField(s.sk, "sock", "sk_backlog.rmem_alloc.counter");
    expect(rmem()).toBe(100n + 8n + 20n + 14n + 512n); // the frame's truesize (napi_alloc_skb of the whole frame)
    const buf = k.memory.userSpace(k.current().tgid).heapAlloc(512);
    expect(syscall(k, "recvfrom", [fd, buf, 512n, 0n, 0n, 0n])).toBe(100n);
    expect([rmem(), BigInt(s.rxq.length)]).toEqual([0n, 0n]);
    expect(copies.map((c) => c.len)).toEqual([100n]);
    expect(recvLen.map((r) => [r.family, r.protocol, r.ret])).toEqual([[2n, 17n, 100n]]);
    expect(syscall(k, "recvfrom", [fd, buf, 512n, 0x40n, 0n, 0n])).toBe(E(11)); // MSG_DONTWAIT, empty: -EAGAIN
    expect([calls("__udp4_lib_rcv"), calls("udp_unicast_rcv_skb"), calls("udp_queue_rcv_one_skb"), calls("__udp_enqueue_schedule_skb"), calls("__skb_recv_udp"), calls("skb_consume_udp")]).toEqual([1, 1, 1, 1, 2, 1]);
    k.memory.userSpace(k.current().tgid).heapFree(buf);
    closeSocketFd(st.env, fd);
    expect(k.world.bySk.has(s.sk)).toBe(false);
  });

  it("a datagram that does not fit sk_rcvbuf: udp:udp_fail_queue_rcv_skb (-ENOMEM, the socket's addresses), sk_drops, a SOCKET_RCVBUFF drop", () => {
    const { k, st, sockOfFd, record } = boot(22);
    const fails = record("udp", "udp_fail_queue_rcv_skb");
    const drops = record("skb", "kfree_skb");
    const fd = syscall(k, "socket", [BigInt(AF_INET), SOCK_DGRAM, 0n]);
    const resolver = sockaddr(AF_INET, Uint8Array.of(10, 0, 2, 3), 53);
    syscall(k, "connect", [fd, userBuffer(k, 16, resolver), 16n]);
    const s = sockOfFd(fd);
    k.memory.writeField(s.sk, "sock", "sk_rcvbuf", 1000n);
    st.remote.datagram(s, 300); // truesize 854: fits
    st.remote.datagram(s, 300); // 854 more: over 1000
    expect(s.rxq.length).toBe(1);
    const port = Number(k.memory.readField(s.sk, "sock", "__sk_common.skc_num"));
    expect(fails.map((f) => [f.rc, f.sport, f.dport, f.family])).toEqual([[-12n, BigInt(port), 53n, 2n]]);
    // saddr/daddr are sockaddr_in: family, port (network order), the address.
    expect(fails[0]!.daddr).toBe("0200" + "0035" + "0a000203" + "00".repeat(20));
    expect(k.memory.readField(s.sk, "sock", "sk_drops.counter")).toBe(1n);
    expect(drops.map((d) => [d.reason, d.rx_sk])).toEqual([[15n, s.sk]]); // SKB_DROP_REASON_SOCKET_RCVBUFF, on the receive path of this socket
    closeSocketFd(st.env, fd);
  });
});

describe("IPv6", () => {
  it("a TCP connection to [2001:db8::20]:443 goes through tcp_v6_connect, inet6_csk_xmit -> ip6_xmit -> ip6_output, ipv6_rcv -> tcp_v6_rcv; its records carry the v6 addresses", () => {
    const { k, st, calls, sockOfFd, record } = boot(23);
    const states = record("sock", "inet_sock_set_state");
    const fd = syscall(k, "socket", [BigInt(AF_INET6), SOCK_STREAM, 0n]);
    const dst = Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20);
    const a = sockaddr(AF_INET6, dst, 443);
    expect(syscall(k, "connect", [fd, userBuffer(k, 28, a), 28n])).toBe(0n);
    const s = sockOfFd(fd);
    expect(k.memory.readField(s.sk, "inet_sock", "pinet6")).not.toBe(0n);
    expect(syscall(k, "sendto", [fd, userBuffer(k, 200), 200n, 0n, 0n, 0n])).toBe(200n);
    st.remote.segment(s, TCPF.ACK | TCPF.PSH, 300);
    expect(s.rxq.length).toBe(1);
    expect(
      ["tcp_v6_connect", "ip6_dst_lookup_flow", "ip6_route_output_flags", "fib6_lookup", "inet6_csk_xmit", "ip6_xmit", "ip6_output", "ip6_finish_output2", "ipv6_rcv", "ip6_input_finish", "ip6_protocol_deliver_rcu", "tcp_v6_rcv", "tcp_v6_do_rcv"].map(calls),
    ).toEqual([1, 1, 1, 1, 4, 4, 4, 4, 2, 2, 2, 2, 2]); // the route once per socket; SYN, ACK, data, ACK out; SYN-ACK and data in
    expect(states.map((x) => `${TCP_STATE_NAMES[Number(x.oldstate)]}>${TCP_STATE_NAMES[Number(x.newstate)]}`)).toEqual(["CLOSE>SYN_SENT", "SYN_SENT>ESTABLISHED"]);
    // fec0::5054:ff:fe12:3456 (eth0's address) to 2001:db8::20; the v4 fields stay zero.
    expect(states[1]).toMatchObject({ family: 10n, dport: 443n, saddr: 0n, daddr: 0n, saddr_v6: "fec0000000000000505400fffe123456", daddr_v6: "20010db8000000000000000000000020" });
    closeSocketFd(st.env, fd);
  });

  it("UDP over IPv6: udpv6_sendmsg -> udp_v6_send_skb -> ip6_send_skb -> ip6_local_out; the answer through udpv6_rcv; bind to [::]:0 first", () => {
    const { k, st, calls, sockOfFd } = boot(24);
    const fd = syscall(k, "socket", [BigInt(AF_INET6), SOCK_DGRAM, 0n]);
    expect(syscall(k, "bind", [fd, userBuffer(k, 28, sockaddr(AF_INET6, new Uint8Array(16), 0)), 28n])).toBe(0n);
    const resolver = sockaddr(AF_INET6, Uint8Array.of(0xfe, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3), 53);
    expect(syscall(k, "connect", [fd, userBuffer(k, 28, resolver), 28n])).toBe(0n);
    expect(syscall(k, "sendto", [fd, userBuffer(k, 33), 33n, 0n, 0n, 0n])).toBe(33n);
    const s = sockOfFd(fd);
    st.remote.datagram(s, 77);
    expect(syscall(k, "recvfrom", [fd, userBuffer(k, 512), 512n, 0n, 0n, 0n])).toBe(77n);
    expect(["inet6_bind", "udpv6_sendmsg", "udp_v6_send_skb", "ip6_send_skb", "ip6_local_out", "udpv6_rcv", "__udp6_lib_rcv", "udpv6_recvmsg"].map(calls)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    closeSocketFd(st.env, fd);
    expect(calls("inet6_release")).toBe(1);
  });
});

describe("netlink", () => {
  it("ip route get: RTM_GETROUTE through netlink_sendmsg -> netlink_unicast -> rtnetlink_rcv -> inet_rtm_getroute, an RTM_NEWROUTE answer read with recvfrom", () => {
    const { k, calls, record } = boot(25);
    const fd = syscall(k, "socket", [BigInt(AF_NETLINK), SOCK_RAW, 0n]);
    expect(fd).toBe(3n);
    expect(syscall(k, "socket", [BigInt(AF_NETLINK), SOCK_RAW, 9n])).toBe(E(93)); // only NETLINK_ROUTE
    const req = new Uint8Array(36);
    const v = new DataView(req.buffer);
    v.setUint32(0, 36, true);
    v.setUint16(4, 26, true); // RTM_GETROUTE
    v.setUint16(6, 1, true);
    v.setUint32(8, 77, true);
    expect(syscall(k, "sendto", [fd, userBuffer(k, 36, req), 36n, 0n, 0n, 0n])).toBe(36n);
    const user = k.memory.userSpace(k.current().tgid);
    const buf = user.heapAlloc(8192);
    expect(syscall(k, "recvfrom", [fd, buf, 8192n, 0n, 0n, 0n])).toBe(104n);
    const ans = new DataView(user.readOrThrow(buf, 16).buffer);
    expect([ans.getUint32(0, true), ans.getUint16(4, true), ans.getUint32(8, true), ans.getUint32(12, true)]).toEqual([104, 24, 77, k.current().tgid]);
    // netlink_create twice (the refused protocol too); netlink_unicast for the request and for the answer.
    expect(["netlink_create", "netlink_sendmsg", "netlink_unicast", "rtnetlink_rcv", "rtnetlink_rcv_msg", "inet_rtm_getroute", "__netlink_sendskb", "netlink_recvmsg"].map(calls)).toEqual([2, 1, 2, 1, 1, 1, 1, 1]);
    user.heapFree(buf);
    const consumed = record("skb", "consume_skb");
    // A second socket of the task: its port id is the first free one from -4096 down; the answer reaches it, not the first.
    routeQuery(netStateOf(k)!.env, { seq: 1 });
    expect(consumed.length).toBe(2); // the request after the kernel took it, the answer after it was read
    closeSocketFd(netStateOf(k)!.env, fd);
    expect(calls("netlink_release")).toBe(2);
  });
});

describe("devices and the net workload", () => {
  it("a frame from the wire: napi_gro_receive_entry/exit, netif_receive_skb_entry/exit, napi:napi_poll (eth0, work 1 of 64)", () => {
    const { k, st, sockOfFd, record } = boot(26);
    const polls = record("napi", "napi_poll");
    const gro = record("net", "napi_gro_receive_entry");
    const entry = record("net", "netif_receive_skb_entry");
    const fd = syscall(k, "socket", [BigInt(AF_INET), SOCK_DGRAM, 0n]);
    syscall(k, "connect", [fd, userBuffer(k, 16, sockaddr(AF_INET, Uint8Array.of(10, 0, 2, 3), 53)), 16n]);
    polls.length = 0;
    st.remote.datagram(sockOfFd(fd), 64);
    expect(polls.map((p) => [p.dev_name, p.work, p.budget])).toEqual([["eth0", 1n, 64n]]);
    expect(gro.map((g) => [g.name, g.napi_id, g.len, g.protocol, g.mac_header_valid, g.mac_header])).toEqual([["eth0", 0x2001n, 64n + 8n + 20n, 0x0008n, 1n, -14n]]);
    expect(entry.map((e) => [e.name, e.len])).toEqual([["eth0", 92n]]);
  });

  it("the net workload reaches every declared net function and event, and its sockets and skbs do not pile up", () => {
    const k = new SyntheticKernel({ seed: 3 });
    k.run("net", { count: 2500 });
    const calls = k.functions.callsByName();
    const counts = k.tracepoints.countsByName();
    const net = ["tcp_v4_connect", "tcp_connect", "inet_csk_accept", "tcp_close", "sock_close", "tcp_recvmsg", "udp_recvmsg", "ip6_send_skb", "fib6_lookup", "skb_clone", "skb_put", "sk_free", "netlink_unicast", "netdev_printk", "__sys_socket", "__sys_sendto", "__sys_recvfrom", "sock_recvmsg", "inet_recvmsg"];
    expect(net.filter((n) => !calls.get(n))).toEqual([]);
    const events = k.tracepoints.all().filter((t) => t.id >= 1400 && t.id < 1500);
    expect(events.length).toBe(26);
    expect(events.filter((t) => !counts.get(`${t.category}:${t.name}`)).map((t) => t.name)).toEqual([]);
    // Sessions' sockets are gone when they end: what is left is the background connections and the kernel's rtnetlink socket.
    expect(k.world.bySk.size).toBe(k.world.socks.length + 1);
    expect(k.world.established.size).toBe(0);
    expect(k.world.listeners.size).toBe(0);
    // Skbs: each freed once, or still queued on a background socket.
    const queued = [...k.world.bySk.values()].reduce((n, s) => n + s.rxq.length + s.rtx.length, 0);
    const freed = (calls.get("consume_skb") ?? 0) + (calls.get("kfree_skb_reason") ?? 0) + (calls.get("__kfree_skb") ?? 0);
    expect(freed + queued).toBe((calls.get("__alloc_skb") ?? 0) + (calls.get("skb_clone") ?? 0));
  }, 60_000);
});

describe("IPv6 and UDP through the CLI", () => {
  it("btfsnoop trace on the net workload: tcp_v6_connect gets a 28-byte AF_INET6 sockaddr, and btfsnoop count sees __udp_enqueue_schedule_skb queue datagrams", async () => {
    const v6 = await runCli("tcp_v6_connect(uaddr->sa_family, addr_len)", "--workload", "net", "-d", "100ms", "--format", "json");
    expect(v6.code).toBe(0);
    const rows = v6.out.trim().split("\n").map((l) => (JSON.parse(l) as { values: { value: number }[] }).values.map((v) => v.value));
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.join(",")))).toEqual(new Set(["10,28"]));
    const udp = await runCli("count", "__udp_enqueue_schedule_skb", "--workload", "net", "-d", "30ms");
    expect(udp.code).toBe(0);
    expect(udp.out).toMatch(/^@\[__udp_enqueue_schedule_skb\]: [1-9]\d*$/m);
  }, 60_000);
});
