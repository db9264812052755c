// The objects the synthetic kernel's call paths work on: network devices,
// sockets (the background connections, and every live socket by its sock
// and socket, the listening and established hashes), open files, a block device (allocated and filled by field name
// through fields.ts).
import type { Kernel } from "../kernel.js";
import { alloc, setField, setString } from "./fields.js";
import { Vfs } from "./vfs.js";

export interface NetDevice {
  addr: bigint;
  name: string;
  ifindex: number;
}

/** The far end of a connection to a host behind eth0 (remote.ts answers for it). */
export interface RemoteEnd {
  /** Its next sequence number (TCP). */
  sndNxt: number;
  open: boolean;
  /** Round-trip time to it. */
  rttNs: bigint;
}

export interface Sock {
  /** struct sock */
  sk: bigint;
  /** struct socket (0 for a connection not accepted yet) */
  sock: bigint;
  protocol: "tcp" | "udp" | "netlink";
  /** AF_INET or AF_INET6 (AF_NETLINK for netlink sockets). */
  family: number;
  /** The device its packets leave by: lo for a peer on 127.0.0.0/8, else eth0. */
  dev: NetDevice;
  /** The other end of a local connection (its packets come back in through lo to it). */
  peer?: Sock;
  /** TCP: the connection state (sk->sk_state's value, kept here too to avoid reading it back). */
  state: number;
  /** sk_receive_queue: skbs with unread data, and how much of the first was read already. */
  rxq: bigint[];
  rxOff: number;
  /** TCP: sent and unacknowledged segments (the retransmit queue), oldest first. */
  rtx: { skb: bigint; seq: number; end: number; sentNs: bigint; flags: number }[];
  /** A listener's accept queue: children that completed the handshake. */
  acceptq: Sock[];
  /** A listener's half-open connections (request socks) by the client's port. */
  reqs: Map<number, { req: bigint; isn: number; peerIsn: number }>;
  /** Orphaned (sock_orphan: its file was closed); destroyed when it reaches TCP_CLOSE. */
  dead?: boolean;
  /** References a running path holds (sock_hold); destruction waits for the last sock_put. */
  holds?: number;
  destroyPending?: boolean;
  /** A host behind eth0 at the other end (paths/remote.ts answers for it). */
  remote?: RemoteEnd;
}

export interface OpenFile {
  fd: number;
  file: bigint;
  path: string;
}

/** Everything the paths share. */
export interface World {
  net: bigint;
  lo: NetDevice;
  eth0: NetDevice;
  /** Connections to remote hosts (through eth0), then the two ends of each local one (through lo). */
  socks: Sock[];
  /** Skbs netif_rx queued for the NET_RX softirq (the per-CPU backlog; drained when the softirq runs). */
  backlog: bigint[];
  /** Every live socket by its struct sock and by its struct socket. */
  bySk: Map<bigint, Sock>;
  bySocket: Map<bigint, Sock>;
  /** TCP listeners by local port, connections by 4-tuple key (inet_hashinfo's listening and established hashes). */
  listeners: Map<number, Sock>;
  established: Map<string, Sock>;
  /** The next ephemeral port (net.ipv4.ip_local_port_range 32768-60999). */
  nextPort: number;
  /** Open files by tgid * 1000 + fd. */
  files: Map<number, OpenFile>;
  /** The block device: its gendisk ("vda"), request_queue and whole-disk block_device (part0). */
  disk: bigint;
  queue: bigint;
  part0: bigint;
  /** Mounts, directories and opened files' dentries and inodes. */
  vfs: Vfs;
  /** Requests issued and not completed yet. */
  inflight: { rq: bigint; issuedNs: bigint; bytes: number; sector: bigint }[];
}

/** dev_t of vda (virtio-blk major 253, minor 0; MKDEV is major << 20 | minor). */
export const VDA_DEV = 253n << 20n;
const AF_INET = 2n;
/** sk_state of a connected socket (TCP_ESTABLISHED; connected UDP sockets use it too). */
const TCP_ESTABLISHED = 1n;
/** socket.state of a connected socket. */
const SS_CONNECTED = 3n;
const SOCK_STREAM = 1n;
const SOCK_DGRAM = 2n;
/** An IPv4 address as the kernel stores it (__be32: network order in memory, so a little-endian load reverses it). */
const ipv4 = (a: number, b: number, c: number, d: number) => BigInt((a | (b << 8) | (c << 16) | (d << 24)) >>> 0);
/** A port as __be16 (network order). */
const be16 = (port: number) => BigInt(((port & 0xff) << 8) | (port >> 8));
/** The host's address on eth0. */
const HOST = ipv4(10, 0, 2, 15);

export function buildWorld(k: Kernel): World {
  const net = alloc(k, "net");
  const dev = (name: string, ifindex: number): NetDevice => {
    const addr = alloc(k, "net_device");
    setString(k, addr, "net_device", "name", name);
    setField(k, addr, "net_device", "ifindex", BigInt(ifindex));
    setField(k, addr, "net_device", "mtu", name === "lo" ? 65536n : 1500n);
    return { addr, name, ifindex };
  };
  const lo = dev("lo", 1);
  const eth0 = dev("eth0", 2);
  setField(k, net, "net", "loopback_dev", lo.addr);
  /** A connected socket: local address and port, remote address and port (skc_num is host order, skc_dport network order). */
  const sock = (protocol: "tcp" | "udp", saddr: bigint, sport: number, daddr: bigint, dport: number, via: NetDevice): Sock => {
    const sk = alloc(k, protocol === "tcp" ? "tcp_sock" : "udp_sock");
    setField(k, sk, "sock", "__sk_common.skc_family", AF_INET);
    setField(k, sk, "sock", "__sk_common.skc_daddr", daddr);
    setField(k, sk, "sock", "__sk_common.skc_rcv_saddr", saddr);
    setField(k, sk, "sock", "__sk_common.skc_dport", be16(dport));
    setField(k, sk, "sock", "__sk_common.skc_num", BigInt(sport));
    setField(k, sk, "sock", "__sk_common.skc_net.net", net);
    setField(k, sk, "sock", "sk_protocol", protocol === "tcp" ? 6n : 17n);
    setField(k, sk, "sock", "__sk_common.skc_state", TCP_ESTABLISHED);
    setField(k, sk, "sock", "__sk_common.skc_refcnt.refs.counter", 1n);
    setField(k, sk, "sock", "sk_type", protocol === "tcp" ? SOCK_STREAM : SOCK_DGRAM);
    // The default buffer sizes (net.ipv4.tcp_rmem/tcp_wmem defaults, net.core.rmem/wmem_default for UDP).
    setField(k, sk, "sock", "sk_rcvbuf", protocol === "tcp" ? 131072n : 212992n);
    setField(k, sk, "sock", "sk_sndbuf", protocol === "tcp" ? 16384n : 212992n);
    const s = alloc(k, "socket");
    setField(k, s, "socket", "state", SS_CONNECTED);
    setField(k, s, "socket", "type", protocol === "tcp" ? SOCK_STREAM : SOCK_DGRAM);
    setField(k, s, "socket", "sk", sk);
    setField(k, sk, "sock", "sk_socket", s);
    return { sk, sock: s, protocol, family: 2, dev: via, state: Number(TCP_ESTABLISHED), rxq: [], rxOff: 0, rtx: [], acceptq: [], reqs: new Map() };
  };
  const socks: Sock[] = [];
  // Remote web servers (TEST-NET-3 addresses) through eth0.
  for (let i = 0; i < 4; i++) socks.push(sock(i % 2 === 0 ? "tcp" : "udp", HOST, 50000 + i, ipv4(203, 0, 113, 10 + i), 8080 + i, eth0));
  // Local connections, both ends on this host, through lo: a database client and
  // server on 127.0.0.1:5432, and a resolver client and the stub resolver on 127.0.0.53:53.
  const pair = (protocol: "tcp" | "udp", client: [bigint, number], server: [bigint, number]) => {
    const c = sock(protocol, client[0], client[1], server[0], server[1], lo);
    const s = sock(protocol, server[0], server[1], client[0], client[1], lo);
    c.peer = s;
    s.peer = c;
    socks.push(c, s);
  };
  pair("tcp", [ipv4(127, 0, 0, 1), 41000], [ipv4(127, 0, 0, 1), 5432]);
  pair("udp", [ipv4(127, 0, 0, 1), 45000], [ipv4(127, 0, 0, 53), 53]);
  const disk = alloc(k, "gendisk");
  setString(k, disk, "gendisk", "disk_name", "vda");
  setField(k, disk, "gendisk", "major", 253n);
  setField(k, disk, "gendisk", "first_minor", 0n);
  setField(k, disk, "gendisk", "minors", 16n);
  // A virtio disk's blk-mq queue: one hardware queue per CPU, 256 tags, 30 s timeout.
  const queue = alloc(k, "request_queue");
  setField(k, queue, "request_queue", "disk", disk);
  setField(k, queue, "request_queue", "queue_depth", 256n);
  setField(k, queue, "request_queue", "nr_hw_queues", BigInt(k.tasks.cpus.length));
  setField(k, queue, "request_queue", "rq_timeout", 30n * 1000n);
  setField(k, queue, "request_queue", "refs.refs.counter", 1n);
  setField(k, disk, "gendisk", "queue", queue);
  // The whole disk (partition 0): 8 GiB of 512-byte sectors.
  const part0 = alloc(k, "block_device");
  setField(k, part0, "block_device", "bd_disk", disk);
  setField(k, part0, "block_device", "bd_queue", queue);
  setField(k, part0, "block_device", "bd_dev", VDA_DEV);
  setField(k, part0, "block_device", "bd_nr_sectors", (8n << 30n) / 512n);
  setField(k, disk, "gendisk", "part0", part0);
  const bySk = new Map(socks.map((x) => [x.sk, x]));
  const bySocket = new Map(socks.map((x) => [x.sock, x]));
  return { net, lo, eth0, socks, backlog: [], bySk, bySocket, listeners: new Map(), established: new Map(), nextPort: 32768, files: new Map(), disk, queue, part0, vfs: new Vfs(k), inflight: [] };
}
