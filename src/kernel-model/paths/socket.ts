// The socket layer (net/socket.c, af_inet.c, af_inet6.c, af_netlink.c) and
// the socket syscalls' kernel side: socket (__sys_socket -> sock_create ->
// __sock_create -> sock_alloc, inet_create/inet6_create/netlink_create ->
// sk_alloc, sock_init_data, the protocol's init; sock_alloc_file and a
// descriptor in the task's fdtable), bind, listen, connect, accept4,
// sendto/recvfrom, sendmsg/recvmsg (user_msghdr read from user memory),
// shutdown, and the release of a socket file (sock_close ->
// __sock_release -> inet_release -> the protocol's close) that close(2)
// reaches through closeSocketFile. Addresses are real struct
// sockaddr_in/sockaddr_in6/sockaddr_nl bytes in the task's user memory.
import type { Kernel } from "../kernel.js";
import { alloc, setField } from "./fields.js";
import {
  addrsOf,
  addSock,
  AF_INET,
  AF_INET6,
  AF_NETLINK,
  connKey,
  dropSock,
  newSock,
  setAddrs,
  TCP_CLOSE,
  TCP_ESTABLISHED,
  TCP_LISTEN,
  TCP_SYN_SENT,
} from "./inet.js";
import {
  EADDRINUSE,
  EAFNOSUPPORT,
  EAGAIN,
  EBADF,
  ECONNREFUSED,
  EFAULT,
  EINPROGRESS,
  EINVAL,
  EISCONN,
  ENOTCONN,
  ENOTSOCK,
  EOPNOTSUPP,
  EPROTONOSUPPORT,
  err,
  isErr,
  type NetEnv, fireLazy } from "./net-env.js";
import { filesOf, installFd } from "./process.js";
import { defineSyscall } from "./syscalls.js";
import { HOST_V4, HOST_V6 } from "./tcp.js";
import type { Sock } from "./world.js";

const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
const SOCK_RAW = 3;
const SOCK_TYPE_MASK = 0xf;
export const SOCK_NONBLOCK = 0o4000;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const NETLINK_ROUTE = 0;
/** socket.state values (SS_*). */
const SS_UNCONNECTED = 1n;
const SS_CONNECTING = 2n;
const SS_CONNECTED = 3n;
/** O_NONBLOCK / O_RDWR in file->f_flags; FMODE_READ | FMODE_WRITE. */
const O_NONBLOCK = 0o4000n;
const O_RDWR = 2n;
const FMODE_RW = 3n;
const MSG_DONTWAIT = 0x40n;
/** The fds the socket layer hands out start where the fs ones do (0-2 are the terminal). */
const FIRST_FD = 3;
/** Ephemeral ports (net.ipv4.ip_local_port_range). */
const PORT_LO = 32768;
const PORT_HI = 60999;

/** What a socket file is, per kernel: the Sock behind each struct file the socket layer made. */
const socketFiles = new WeakMap<Kernel, Map<bigint, Sock>>();
function filesMap(k: Kernel): Map<bigint, Sock> {
  let m = socketFiles.get(k);
  if (!m) socketFiles.set(k, (m = new Map()));
  return m;
}

/** Whether `file` is a socket (the socket layer made it). */
export function isSocketFile(k: Kernel, file: bigint): boolean {
  return filesMap(k).has(file);
}

/**
 * The release of a socket file when its last descriptor is closed (what
 * __fput does through file->f_op->release for a socket): sock_close. The fs
 * close path calls this for socket files after taking the descriptor out of
 * the table; returns false for a file that is not a socket.
 */
export function closeSocketFile(k: Kernel, file: bigint): boolean {
  if (!filesMap(k).has(file)) return false;
  k.callByName("sock_close", [k.memory.readField(file, "file", "f_inode"), file]);
  return true;
}

/** A socket's state, read anew (calls in between change it). */
const stateOf = (s: Sock): number => s.state;

/** The user-visible struct of a socket address. */
export interface SockAddr {
  family: number;
  addr: Uint8Array;
  port: number;
  /** The length the caller gave. */
  bytes?: number;
}

export function installSocketPaths(env: NetEnv, msgSizes: Map<bigint, number>): void {
  const { k, w, set, call } = env;
  const files = filesMap(k);
  const userOf = () => k.memory.userSpace(k.current().tgid);
  const bySocket = (sock: bigint) => w.bySocket.get(sock);
  const S = (s: Sock, f: string) => k.memory.readField(s.sk, "sock", f);
  const setS = (s: Sock, f: string, v: bigint) => setField(k, s.sk, "sock", f, v);

  /** Reads a sockaddr from user memory (move_addr_to_kernel): -EFAULT if unmapped, -EINVAL if too short for its family. */
  const readSockaddr = (uaddr: bigint, len: number): SockAddr | bigint => {
    if (len < 2 || len > 128) return err(EINVAL);
    const b = new Uint8Array(len);
    if (k.memory.readUser(k.current().tgid, b, uaddr) !== 0) return err(EFAULT);
    const family = b[0]! | (b[1]! << 8);
    const port = len >= 4 ? (b[2]! << 8) | b[3]! : 0;
    const bytes = len;
    if (family === AF_INET) return { family, addr: len < 8 ? new Uint8Array(4) : b.slice(4, 8), port, bytes };
    if (family === AF_INET6) return { family, addr: len < 24 ? new Uint8Array(16) : b.slice(8, 24), port, bytes };
    if (family === AF_NETLINK) return len < 12 ? err(EINVAL) : { family, addr: b.slice(4, 8), port: 0 };
    return { family, addr: new Uint8Array(0), port };
  };
  /** Writes a peer's address to user memory (move_addr_to_user): the sockaddr, then its length at `ulen`. */
  const writeSockaddr = (uaddr: bigint, ulen: bigint, a: SockAddr) => {
    if (uaddr === 0n) return;
    const b = new Uint8Array(a.family === AF_INET6 ? 28 : 16);
    b[0] = a.family;
    b[2] = a.port >> 8;
    b[3] = a.port & 0xff;
    b.set(a.addr, a.family === AF_INET6 ? 8 : 4);
    userOf().write(uaddr, b);
    if (ulen !== 0n) userOf().write(ulen, Uint8Array.of(b.length, 0, 0, 0));
  };

  /** The socket behind a descriptor of the current task (sockfd_lookup_light). */
  const sockOfFd = (fd: bigint): Sock | bigint => {
    const f = w.files.get(Number(BigInt.asIntN(32, fd)) + k.current().tgid * 1000);
    if (!f) return err(EBADF);
    return files.get(f.file) ?? err(ENOTSOCK);
  };
  const fileOfSock = (s: Sock) => (s.sock === 0n ? 0n : k.memory.readField(s.sock, "socket", "file"));
  const nonblocking = (s: Sock) => {
    const f = fileOfSock(s);
    return f !== 0n && (k.memory.readField(f, "file", "f_flags") & O_NONBLOCK) !== 0n;
  };

  /** A free descriptor of the current task (get_unused_fd_flags) and fd_install of `file`. */
  const installFile = (file: bigint, s: Sock): bigint => {
    const tgid = k.current().tgid;
    let fd = FIRST_FD;
    while (w.files.has(tgid * 1000 + fd)) fd++;
    w.files.set(tgid * 1000 + fd, { fd, file, path: `socket:[${sockInode(s)}]` });
    installFd(k, filesOf(k, k.current()), fd, file);
    return BigInt(fd);
  };
  /** The socket's inode number (what /proc/<pid>/fd shows as socket:[N]): from 0x2000 up, as sockfs hands them out. */
  const inodes = new Map<bigint, number>();
  let nextIno = 0x2000;
  const sockInode = (s: Sock) => {
    let n = inodes.get(s.sock);
    if (n === undefined) inodes.set(s.sock, (n = nextIno++));
    return n;
  };

  // socket(2)
  defineSyscall(k, "socket", ([family, type, protocol]) => call("__sys_socket", family!, type!, protocol!));
  set("__sys_socket", ([family, type, protocol]) => {
    const fam = Number(BigInt.asIntN(32, family!));
    const t = Number(type!);
    const res = k.memory.kmalloc(8, true);
    const ret = call("sock_create", BigInt(fam), BigInt(t & SOCK_TYPE_MASK), protocol!, res);
    const sock = readPtr(res);
    k.memory.free(res);
    if (isErr(ret)) return ret;
    const file = call("sock_alloc_file", sock, BigInt(t & ~SOCK_TYPE_MASK), 0n);
    return installFile(file, bySocket(sock)!);
  });
  const readPtr = (addr: bigint) => {
    const b = new Uint8Array(8);
    k.memory.readKernel(b, addr);
    return new DataView(b.buffer).getBigUint64(0, true);
  };
  const writePtr = (addr: bigint, v: bigint) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v, true);
    k.memory.writeKernel(addr, b);
  };
  set("sock_create", ([family, type, protocol, res]) => call("__sock_create", w.net, family!, type!, protocol!, res!, 0n));
  set("__sock_create", ([net, family, type, protocol, res, kern]) => {
    const fam = Number(family!);
    if (fam !== AF_INET && fam !== AF_INET6 && fam !== AF_NETLINK) return err(EAFNOSUPPORT);
    const t = Number(type!);
    if (t !== SOCK_STREAM && t !== SOCK_DGRAM && t !== SOCK_RAW) return err(EINVAL);
    const sock = call("sock_alloc");
    setField(k, sock, "socket", "type", BigInt(t));
    const create = fam === AF_INET ? "inet_create" : fam === AF_INET6 ? "inet6_create" : "netlink_create";
    const ret = call(create, net!, sock, protocol!, kern!);
    if (isErr(ret)) {
      k.memory.free(sock);
      return ret;
    }
    writePtr(res!, sock);
    return 0n;
  });
  set("sock_alloc", () => {
    const sock = alloc(k, "socket");
    setField(k, sock, "socket", "state", SS_UNCONNECTED);
    return sock;
  });
  /** inet_create / inet6_create: the protocol from the type (IPPROTO_IP picks the default), sk_alloc, sock_init_data, the protocol's init. */
  const inetCreate = (family: number) => ([net, sock, protocol, kern]: readonly bigint[]): bigint => {
    const type = Number(k.memory.readField(sock!, "socket", "type"));
    let proto = Number(protocol!);
    if (type === SOCK_STREAM && (proto === 0 || proto === IPPROTO_TCP)) proto = IPPROTO_TCP;
    else if (type === SOCK_DGRAM && (proto === 0 || proto === IPPROTO_UDP)) proto = IPPROTO_UDP;
    else return err(EPROTONOSUPPORT);
    const sk = call("sk_alloc", net!, BigInt(family), 0xcc0n, BigInt(proto), kern!);
    const s = w.bySk.get(sk)!;
    s.sock = sock!;
    w.bySocket.set(sock!, s);
    call("sock_init_data", sock!, sk);
    setS(s, "sk_protocol", BigInt(proto));
    if (family === AF_INET6) {
      const np = alloc(k, "ipv6_pinfo");
      setField(k, np, "ipv6_pinfo", "hop_limit", BigInt.asUintN(16, -1n));
      setField(k, sk, "inet_sock", "pinet6", np);
    }
    const init = proto === IPPROTO_TCP ? (family === AF_INET6 ? "tcp_v6_init_sock" : "tcp_v4_init_sock") : family === AF_INET6 ? "udpv6_init_sock" : "udp_init_sock";
    call(init, sk);
    return 0n;
  };
  set("inet_create", inetCreate(AF_INET));
  set("inet6_create", inetCreate(AF_INET6));
  set("netlink_create", ([net, sock, protocol, kern]) => {
    if (Number(protocol!) !== NETLINK_ROUTE) return err(EPROTONOSUPPORT);
    const sk = call("sk_alloc", net!, BigInt(AF_NETLINK), 0xcc0n, protocol!, kern!);
    const s = w.bySk.get(sk)!;
    s.sock = sock!;
    w.bySocket.set(sock!, s);
    call("sock_init_data", sock!, sk);
    return 0n;
  });
  /** sk_alloc: the protocol's sock (tcp_sock, udp_sock, netlink_sock) from its slab, zeroed, with family, net and one reference. */
  set("sk_alloc", ([net, family, , prot]) => {
    const fam = Number(family!);
    const proto = Number(prot!);
    const type = fam === AF_NETLINK ? "netlink_sock" : proto === IPPROTO_TCP ? "tcp_sock" : "udp_sock";
    const sk = alloc(k, type);
    setField(k, sk, "sock", "__sk_common.skc_family", BigInt(fam));
    setField(k, sk, "sock", "__sk_common.skc_net.net", net!);
    setField(k, sk, "sock", "__sk_common.skc_refcnt.refs.counter", 1n);
    setField(k, sk, "sock", "__sk_common.skc_state", BigInt(TCP_CLOSE));
    const s = newSock(sk, 0n, fam === AF_NETLINK ? "netlink" : proto === IPPROTO_TCP ? "tcp" : "udp", fam, w.eth0);
    addSock(w, s);
    return sk;
  });
  /** sk_clone_lock: a new sock of the listener's kind (a copy of its settings, one reference, no socket yet). */
  set("sk_clone_lock", ([sk]) => {
    const p = w.bySk.get(sk!);
    if (!p) return 0n;
    const child = alloc(k, p.protocol === "tcp" ? "tcp_sock" : "udp_sock");
    for (const f of ["__sk_common.skc_family", "__sk_common.skc_net.net", "sk_protocol", "sk_type", "sk_rcvbuf", "sk_sndbuf", "sk_uid.val", "sk_rcvtimeo", "sk_sndtimeo"]) setField(k, child, "sock", f, k.memory.readField(sk!, "sock", f));
    setField(k, child, "sock", "__sk_common.skc_refcnt.refs.counter", 2n);
    if (p.family === AF_INET6) {
      const np = alloc(k, "ipv6_pinfo");
      setField(k, np, "ipv6_pinfo", "hop_limit", BigInt.asUintN(16, -1n));
      setField(k, child, "inet_sock", "pinet6", np);
    }
    const c = newSock(child, 0n, p.protocol, p.family, p.dev);
    addSock(w, c);
    // The copy of sock_common carries the listener's addresses and port until the request's are set.
    setAddrs(k, c, addrsOf(k, p));
    return child;
  });
  /** sock_init_data: the socket and sock joined, the default buffer sizes and timeouts, the callbacks' defaults. */
  set("sock_init_data", ([sock, sk]) => {
    const s = w.bySk.get(sk!)!;
    setS(s, "sk_rcvbuf", 212992n);
    setS(s, "sk_sndbuf", 212992n);
    setS(s, "sk_type", k.memory.readField(sock!, "socket", "type"));
    setS(s, "sk_socket", sock!);
    setS(s, "sk_rcvtimeo", 0x7fffffffffffffffn);
    setS(s, "sk_sndtimeo", 0x7fffffffffffffffn);
    setS(s, "sk_uid.val", BigInt(k.current().uid));
    setField(k, sock!, "socket", "sk", sk!);
    return 0n;
  });
  /** sock_alloc_file: a file on sockfs for the socket (f_flags O_RDWR plus O_NONBLOCK from the type's flags). */
  set("sock_alloc_file", ([sock, flags]) => {
    const file = alloc(k, "file");
    const s = bySocket(sock!)!;
    setField(k, file, "file", "f_flags", O_RDWR | (BigInt(flags!) & O_NONBLOCK));
    setField(k, file, "file", "f_mode", FMODE_RW);
    setField(k, file, "file", "private_data", sock!);
    setField(k, file, "file", "f_count.counter", 1n);
    setField(k, sock!, "socket", "file", file);
    files.set(file, s);
    return file;
  });

  // bind(2)
  defineSyscall(k, "bind", ([fd, uaddr, len]) => call("__sys_bind", fd!, uaddr!, len!));
  set("__sys_bind", ([fd, uaddr, len]) => {
    const s = sockOfFd(fd!);
    if (typeof s === "bigint") return s;
    const a = readSockaddr(uaddr!, Number(BigInt.asIntN(32, len!)));
    if (typeof a === "bigint") return a;
    const kaddr = kernelSockaddr(a);
    const ret = call(s.family === AF_INET6 ? "inet6_bind" : "inet_bind", s.sock, kaddr, len!);
    k.memory.free(kaddr);
    return ret;
  });
  /** A kernel copy of a sockaddr (move_addr_to_kernel's sockaddr_storage), the struct the protocol functions take. */
  const kaddrs = new Map<bigint, SockAddr>();
  const kernelSockaddr = (a: SockAddr): bigint => {
    const b = k.memory.kmalloc(128, true);
    const bytes = new Uint8Array(28);
    bytes[0] = a.family;
    bytes[2] = a.port >> 8;
    bytes[3] = a.port & 0xff;
    bytes.set(a.addr.subarray(0, 16), a.family === AF_INET6 ? 8 : 4);
    k.memory.writeKernel(b, bytes);
    kaddrs.set(b, a);
    return b;
  };
  const freeKaddr = (b: bigint) => {
    kaddrs.delete(b);
    k.memory.free(b);
  };
  const inetBind = ([sock, uaddr, len]: readonly bigint[]): bigint => {
    const s = bySocket(sock!);
    if (!s) return err(ENOTSOCK);
    return call("__inet_bind", s.sk, uaddr!, len!, 0n);
  };
  set("inet_bind", inetBind);
  set("inet6_bind", inetBind);
  set("__inet_bind", ([sk, uaddr]) => {
    const s = w.bySk.get(sk!)!;
    const a = kaddrs.get(uaddr!)!;
    if (a.family !== s.family) return err(EAFNOSUPPORT);
    if ((a.bytes ?? 28) < (s.family === AF_INET6 ? 24 : 16)) return err(EINVAL);
    if (addrsOf(k, s).sport !== 0) return err(EINVAL);
    const ret = call(s.protocol === "tcp" ? "inet_csk_get_port" : "udp_v4_get_port", sk!, BigInt(a.port));
    if (isErr(ret)) return ret;
    setAddrs(k, s, { family: s.family, saddr: a.addr, daddr: new Uint8Array(a.addr.length), sport: boundPort.get(s) ?? a.port, dport: 0 });
    boundPort.delete(s);
    return 0n;
  });
  /** The port get_port chose, until __inet_bind stores it. */
  const boundPort = new Map<Sock, number>();
  /** Ports in use, per protocol (the bind hash tables). */
  const portsInUse = { tcp: new Set<number>(), udp: new Set<number>() };
  for (const s of w.socks) if (s.protocol !== "netlink") portsInUse[s.protocol].add(addrsOf(k, s).sport);
  const getPort = (proto: "tcp" | "udp") => ([sk, snum]: readonly bigint[]): bigint => {
    const s = w.bySk.get(sk!)!;
    let port = Number(snum!);
    const used = portsInUse[proto];
    if (port === 0) {
      port = w.nextPort;
      while (used.has(port)) port = port >= PORT_HI ? PORT_LO : port + 1;
      w.nextPort = port >= PORT_HI ? PORT_LO : port + 1;
    } else if (used.has(port)) return err(EADDRINUSE);
    used.add(port);
    boundPort.set(s, port);
    setField(k, sk!, "sock", "__sk_common.skc_num", BigInt(port));
    return 0n;
  };
  set("inet_csk_get_port", getPort("tcp"));
  set("udp_v4_get_port", getPort("udp"));
  /** The port a socket holds goes back when it is freed. */
  const releasePort = (s: Sock) => {
    if (s.protocol === "netlink") return;
    const p = addrsOf(k, s).sport;
    if (p !== 0 && !w.socks.includes(s) && ![...w.bySk.values()].some((o) => o !== s && o.protocol === s.protocol && addrsOf(k, o).sport === p)) portsInUse[s.protocol].delete(p);
  };

  // listen(2)
  defineSyscall(k, "listen", ([fd, backlog]) => call("__sys_listen", fd!, backlog!));
  set("__sys_listen", ([fd, backlog]) => {
    const s = sockOfFd(fd!);
    if (typeof s === "bigint") return s;
    // net.core.somaxconn (4096) caps the backlog.
    const b = Math.min(Math.max(Number(BigInt.asIntN(32, backlog!)), 0), 4096);
    return call("inet_listen", s.sock, BigInt(b));
  });
  set("inet_listen", ([sock, backlog]) => {
    const s = bySocket(sock!)!;
    if (s.protocol !== "tcp") return err(EOPNOTSUPP);
    call("lock_sock_nested", s.sk, 0n);
    let ret = 0n;
    if (s.state !== TCP_CLOSE && s.state !== TCP_LISTEN) ret = err(EINVAL);
    else {
      setS(s, "sk_max_ack_backlog", backlog!);
      if (s.state !== TCP_LISTEN) ret = call("inet_csk_listen_start", s.sk);
    }
    call("release_sock", s.sk);
    return ret;
  });
  set("inet_csk_listen_start", ([sk]) => {
    const s = w.bySk.get(sk!)!;
    call("inet_sk_set_state", sk!, BigInt(TCP_LISTEN));
    const a = addrsOf(k, s);
    if (a.sport === 0) {
      const r = call("inet_csk_get_port", sk!, 0n);
      if (isErr(r)) {
        call("inet_sk_set_state", sk!, BigInt(TCP_CLOSE));
        return r;
      }
      setAddrs(k, s, { ...a, sport: boundPort.get(s)! });
      boundPort.delete(s);
    }
    return call("inet_hash", sk!);
  });
  set("inet_hash", ([sk]) => {
    const s = w.bySk.get(sk!)!;
    if (s.state === TCP_LISTEN) w.listeners.set(addrsOf(k, s).sport, s);
    return 0n;
  });
  set("inet_unhash", ([sk]) => {
    const s = w.bySk.get(sk!);
    if (s && w.listeners.get(addrsOf(k, s).sport) === s) w.listeners.delete(addrsOf(k, s).sport);
    return 0n;
  });
  set("inet_ehash_nolisten", ([sk]) => {
    const s = w.bySk.get(sk!)!;
    const a = addrsOf(k, s);
    w.established.set(connKey(a.sport, a.daddr, a.dport), s);
    return 1n;
  });

  // connect(2)
  defineSyscall(k, "connect", ([fd, uaddr, len]) => call("__sys_connect", fd!, uaddr!, len!));
  set("__sys_connect", ([fd, uaddr, len]) => {
    const s = sockOfFd(fd!);
    if (typeof s === "bigint") return s;
    const a = readSockaddr(uaddr!, Number(BigInt.asIntN(32, len!)));
    if (typeof a === "bigint") return a;
    const kaddr = kernelSockaddr(a);
    const flags = nonblocking(s) ? O_NONBLOCK : 0n;
    const ret = call(s.protocol === "tcp" ? "inet_stream_connect" : "inet_dgram_connect", s.sock, kaddr, len!, flags);
    freeKaddr(kaddr);
    return ret;
  });
  set("inet_stream_connect", ([sock, uaddr, len, flags]) => {
    const s = bySocket(sock!)!;
    call("lock_sock_nested", s.sk, 0n);
    const ret = call("__inet_stream_connect", sock!, uaddr!, len!, flags!, 0n);
    call("release_sock", s.sk);
    return ret;
  });
  set("__inet_stream_connect", ([sock, uaddr, len, flags]) => {
    const s = bySocket(sock!)!;
    const state = k.memory.readField(sock!, "socket", "state");
    if (state === SS_CONNECTED) return err(EISCONN);
    if (state === SS_CONNECTING) return err(114); // EALREADY
    if (s.state !== TCP_CLOSE) return err(EISCONN);
    const ret = call(s.family === AF_INET6 ? "tcp_v6_connect" : "tcp_v4_connect", s.sk, uaddr!, len!);
    if (isErr(ret)) return ret;
    setField(k, sock!, "socket", "state", SS_CONNECTING);
    if (stateOf(s) === TCP_SYN_SENT) {
      if (flags! & O_NONBLOCK) return err(EINPROGRESS);
      // inet_wait_for_connect: the task sleeps until the handshake ends (the other end answers now).
      env.awaitConnect(s);
    }
    if (stateOf(s) === TCP_CLOSE) {
      const e = Number(S(s, "sk_err"));
      setS(s, "sk_err", 0n);
      setField(k, sock!, "socket", "state", SS_UNCONNECTED);
      return err(e || ECONNREFUSED);
    }
    setField(k, sock!, "socket", "state", SS_CONNECTED);
    return 0n;
  });
  /** tcp_v4_connect / tcp_v6_connect: the route (lo for a loopback address, else eth0), SYN_SENT, a local port and the connection hashed, the ISN, tcp_connect. */
  const tcpConnect = (v6: boolean) => ([sk, uaddr, len]: readonly bigint[]): bigint => {
    const s = w.bySk.get(sk!)!;
    const a = kaddrs.get(uaddr!);
    if (!a || Number(len!) < (v6 ? 24 : 16)) return err(EINVAL);
    if (a.family !== (v6 ? AF_INET6 : AF_INET)) return err(EAFNOSUPPORT);
    const loopback = v6 ? a.addr.every((b, i) => b === (i === 15 ? 1 : 0)) : a.addr[0] === 127;
    if (!v6) {
      // ip_route_connect: the route (and with it the source address) for the destination.
      const fl4 = k.memory.kmalloc(64, true);
      call("ip_route_output_flow", w.net, fl4, sk!);
      k.memory.free(fl4);
    } else {
      const fl6 = alloc(k, "flowi6");
      call("ip6_dst_lookup_flow", w.net, sk!, fl6, 0n);
      k.memory.free(fl6);
    }
    s.dev = loopback ? w.lo : w.eth0;
    const local = addrsOf(k, s);
    const saddr = local.saddr.some((b) => b !== 0) ? local.saddr : loopback ? a.addr : v6 ? HOST_V6 : HOST_V4;
    // The destination and source address first; the local port comes after SYN_SENT (inet_hash_connect), as in tcp_v4_connect.
    setAddrs(k, s, { family: a.family, saddr, daddr: a.addr, sport: local.sport, dport: a.port });
    call("tcp_set_state", sk!, BigInt(TCP_SYN_SENT));
    const ret = call("inet_hash_connect", 0n, sk!);
    if (isErr(ret)) {
      call("tcp_set_state", sk!, BigInt(TCP_CLOSE));
      return ret;
    }
    // secure_tcp_seq: the initial sequence number.
    setField(k, sk!, "tcp_sock", "write_seq", BigInt(k.rng.int(0, 0x7fffffff)));
    env.connecting(s);
    return call("tcp_connect", sk!);
  };
  set("tcp_v4_connect", tcpConnect(false));
  set("tcp_v6_connect", tcpConnect(true));
  set("ip_route_output_flow", () => 0n);
  set("inet_hash_connect", ([, sk]) => {
    const s = w.bySk.get(sk!)!;
    const a = addrsOf(k, s);
    if (a.sport === 0) {
      const r = call("inet_csk_get_port", sk!, 0n);
      if (isErr(r)) return r;
      setAddrs(k, s, { ...a, sport: boundPort.get(s)! });
      boundPort.delete(s);
    }
    call("inet_ehash_nolisten", sk!, 0n, 0n);
    return 0n;
  });
  set("inet_dgram_connect", ([sock, uaddr, len]) => {
    const s = bySocket(sock!)!;
    return call("ip4_datagram_connect", s.sk, uaddr!, len!);
  });
  set("ip4_datagram_connect", ([sk, uaddr, len]) => {
    call("lock_sock_nested", sk!, 0n);
    const ret = call("__ip4_datagram_connect", sk!, uaddr!, len!);
    call("release_sock", sk!);
    return ret;
  });
  set("__ip4_datagram_connect", ([sk, uaddr]) => {
    const s = w.bySk.get(sk!)!;
    const a = kaddrs.get(uaddr!);
    if (!a || (a.bytes ?? 28) < (s.family === AF_INET6 ? 24 : 16)) return err(EINVAL);
    if (a.family !== s.family) return err(EAFNOSUPPORT);
    const loopback = s.family === AF_INET6 ? a.addr.every((b, i) => b === (i === 15 ? 1 : 0)) : a.addr[0] === 127;
    s.dev = loopback ? w.lo : w.eth0;
    const local = addrsOf(k, s);
    let sport = local.sport;
    if (sport === 0) {
      const r = call("udp_v4_get_port", sk!, 0n);
      if (isErr(r)) return r;
      sport = boundPort.get(s)!;
      boundPort.delete(s);
    }
    const saddr = local.saddr.some((b) => b !== 0) ? local.saddr : loopback ? a.addr : s.family === AF_INET6 ? HOST_V6 : HOST_V4;
    setAddrs(k, s, { family: s.family, saddr, daddr: a.addr, sport, dport: a.port });
    s.state = TCP_ESTABLISHED;
    setS(s, "__sk_common.skc_state", BigInt(TCP_ESTABLISHED));
    w.established.set(connKey(sport, a.addr, a.port), s);
    env.connecting(s);
    return 0n;
  });

  // accept4(2)
  defineSyscall(k, "accept4", ([fd, upeer, ulen, flags]) => call("__sys_accept4", fd!, upeer!, ulen!, flags!));
  set("__sys_accept4", ([fd, upeer, ulen, flags]) => {
    const s = sockOfFd(fd!);
    if (typeof s === "bigint") return s;
    const arg = alloc(k, "proto_accept_arg");
    setField(k, arg, "proto_accept_arg", "flags", nonblocking(s) ? O_NONBLOCK : 0n);
    const file = call("do_accept", fileOfSock(s), arg, upeer!, ulen!, flags!);
    k.memory.free(arg);
    if (isErr(file)) return file;
    const c = files.get(file)!;
    return installFile(file, c);
  });
  set("do_accept", ([file, arg, upeer, ulen, flags]) => {
    const s = files.get(file!)!;
    if (s.protocol !== "tcp") return err(EOPNOTSUPP);
    const newsock = call("sock_alloc");
    setField(k, newsock, "socket", "type", BigInt(SOCK_STREAM));
    const newfile = call("sock_alloc_file", newsock, flags! & O_NONBLOCK, 0n);
    const ret = call("inet_accept", s.sock, newsock, arg!);
    if (isErr(ret)) {
      files.delete(newfile);
      k.memory.free(newfile);
      k.memory.free(newsock);
      return ret;
    }
    const c = bySocket(newsock)!;
    files.set(newfile, c);
    const a = addrsOf(k, c);
    writeSockaddr(upeer!, ulen!, { family: a.family, addr: a.daddr, port: a.dport });
    return newfile;
  });
  set("inet_accept", ([sock, newsock, arg]) => {
    const s = bySocket(sock!)!;
    const sk2 = call("inet_csk_accept", s.sk, arg!);
    if (sk2 === 0n) return BigInt.asUintN(64, BigInt.asIntN(32, k.memory.readField(arg!, "proto_accept_arg", "err")));
    // sock_graft: the child joins the new socket.
    const c = w.bySk.get(sk2)!;
    c.sock = newsock!;
    w.bySocket.set(newsock!, c);
    setField(k, sk2, "sock", "sk_socket", newsock!);
    setField(k, newsock!, "socket", "sk", sk2);
    setField(k, newsock!, "socket", "state", SS_CONNECTED);
    return 0n;
  });
  set("inet_csk_accept", ([sk, arg]) => {
    const s = w.bySk.get(sk!)!;
    const fail = (e: number) => (setField(k, arg!, "proto_accept_arg", "err", BigInt.asUintN(32, BigInt(-e))), 0n);
    call("lock_sock_nested", sk!, 0n);
    try {
      if (s.state !== TCP_LISTEN) return fail(EINVAL);
      if (!s.acceptq.length) {
        if (k.memory.readField(arg!, "proto_accept_arg", "flags") & O_NONBLOCK) return fail(EAGAIN);
        // inet_csk_wait_for_connect: the task sleeps until a connection completes.
        env.awaitAccept(s);
        if (!s.acceptq.length) return fail(EAGAIN);
      }
      const c = s.acceptq.shift()!;
      setS(s, "sk_ack_backlog", BigInt(s.acceptq.length));
      return c.sk;
    } finally {
      call("release_sock", sk!);
    }
  });

  // Sending.
  /** A kernel struct msghdr for a send or receive of `len` bytes from/to user buffer `ubuf` (with the destination, if any). */
  const userBufs = new Map<bigint, { ubuf: bigint; pos: number }>();
  const msgDest = new Map<bigint, SockAddr>();
  const newMsg = (ubuf: bigint, len: number, dest?: SockAddr): bigint => {
    const msg = alloc(k, "msghdr");
    setField(k, msg, "msghdr", "msg_iter.count", BigInt(len));
    setField(k, msg, "msghdr", "msg_iter.iter_type", 0n);
    msgSizes.set(msg, len);
    userBufs.set(msg + BigInt(k.memory.objects.field("msghdr", "msg_iter").byteOffset), { ubuf, pos: 0 });
    if (dest) msgDest.set(msg, dest);
    return msg;
  };
  const freeMsg = (msg: bigint) => {
    msgSizes.delete(msg);
    userBufs.delete(msg + BigInt(k.memory.objects.field("msghdr", "msg_iter").byteOffset));
    msgDest.delete(msg);
    k.memory.free(msg);
  };
  env.msgDest = (msg) => msgDest.get(msg);
  env.userBufOf = (msg) => userBufs.get(msg + BigInt(k.memory.objects.field("msghdr", "msg_iter").byteOffset))?.ubuf ?? 0n;
  defineSyscall(k, "sendto", ([fd, buf, len, flags, addr, alen]) => call("__sys_sendto", fd!, buf!, len!, flags!, addr!, alen!));
  set("__sys_sendto", ([fd, buf, len, flags, addr, alen]) => {
    const s = sockOfFd(fd!);
    if (typeof s === "bigint") return s;
    let dest: SockAddr | undefined;
    if (addr !== 0n) {
      const a = readSockaddr(addr!, Number(BigInt.asIntN(32, alen!)));
      if (typeof a === "bigint") return a;
      dest = a;
    }
    const msg = newMsg(buf!, Number(len!), dest);
    setField(k, msg, "msghdr", "msg_flags", flags!);
    const ret = call("sock_sendmsg", s.sock, msg);
    freeMsg(msg);
    return ret;
  });
  defineSyscall(k, "sendmsg", ([fd, umsg, flags]) => call("__sys_sendmsg", fd!, umsg!, flags!, 1n));
  /** The user's struct user_msghdr: its name and first iovec (copy_msghdr_from_user). */
  const readUserMsg = (umsg: bigint): { name: bigint; namelen: number; base: bigint; len: number } | bigint => {
    const b = new Uint8Array(56);
    if (k.memory.readUser(k.current().tgid, b, umsg) !== 0) return err(EFAULT);
    const v = new DataView(b.buffer);
    const iov = v.getBigUint64(16, true);
    const iovlen = v.getBigUint64(24, true);
    let base = 0n;
    let len = 0;
    if (iovlen > 0n) {
      const io = new Uint8Array(16);
      if (k.memory.readUser(k.current().tgid, io, iov) !== 0) return err(EFAULT);
      const iv = new DataView(io.buffer);
      base = iv.getBigUint64(0, true);
      len = Number(iv.getBigUint64(8, true));
    }
    return { name: v.getBigUint64(0, true), namelen: v.getInt32(8, true), base, len };
  };
  set("__sys_sendmsg", ([fd, umsg, flags]) => {
    const s = sockOfFd(fd!);
    if (typeof s === "bigint") return s;
    const msgSys = alloc(k, "msghdr");
    const ret = call("___sys_sendmsg", s.sock, umsg!, msgSys, flags!, 0n, 0n);
    k.memory.free(msgSys);
    return ret;
  });
  set("___sys_sendmsg", ([sock, umsg, , flags]) => {
    const m = readUserMsg(umsg!);
    if (typeof m === "bigint") return m;
    let dest: SockAddr | undefined;
    if (m.name !== 0n) {
      const a = readSockaddr(m.name, m.namelen);
      if (typeof a === "bigint") return a;
      dest = a;
    }
    const msg = newMsg(m.base, m.len, dest);
    const ret = call("____sys_sendmsg", sock!, msg, flags!, 0n, 0n);
    freeMsg(msg);
    return ret;
  });
  set("____sys_sendmsg", ([sock, msg, flags]) => {
    setField(k, msg!, "msghdr", "msg_flags", flags!);
    return call("sock_sendmsg", sock!, msg!);
  });
  const tpSendLen = env.tp("sock", "sock_send_length");
  const tpRecvLen = env.tp("sock", "sock_recv_length");
  const lengthEvent = (tp: typeof tpSendLen, s: Sock, ret: bigint, flags: bigint) =>
    fireLazy(k, tp, () => ({ sk: s.sk, family: BigInt(s.family), protocol: S(s, "sk_protocol"), ret: BigInt.asIntN(32, ret), flags }), [s.sk, ret, flags]);
  set("sock_sendmsg", ([sock, msg]) => {
    const s = bySocket(sock!);
    if (!s) return err(ENOTSOCK);
    const size = BigInt(msgSizes.get(msg!) ?? 0);
    const send = s.protocol === "netlink" ? "netlink_sendmsg" : s.family === AF_INET6 ? "inet6_sendmsg" : "inet_sendmsg";
    const ret = call(send, sock!, msg!, size);
    lengthEvent(tpSendLen, s, ret, 0n);
    return ret;
  });
  set("inet_sendmsg", ([sock, msg, size]) => {
    const s = bySocket(sock!);
    if (!s) return err(EINVAL);
    return call(s.protocol === "tcp" ? "tcp_sendmsg" : "udp_sendmsg", s.sk, msg!, size!);
  });
  set("inet6_sendmsg", ([sock, msg, size]) => {
    const s = bySocket(sock!);
    if (!s) return err(EINVAL);
    return call(s.protocol === "tcp" ? "tcp_sendmsg" : "udpv6_sendmsg", s.sk, msg!, size!);
  });

  // Receiving.
  defineSyscall(k, "recvfrom", ([fd, buf, size, flags, addr, alen]) => call("__sys_recvfrom", fd!, buf!, size!, flags!, addr!, alen!));
  set("__sys_recvfrom", ([fd, buf, size, flags, addr, alen]) => {
    const s = sockOfFd(fd!);
    if (typeof s === "bigint") return s;
    const msg = newMsg(buf!, Number(size!));
    const f = flags! | (nonblocking(s) ? MSG_DONTWAIT : 0n);
    const ret = call("sock_recvmsg", s.sock, msg, f);
    freeMsg(msg);
    if (!isErr(ret) && addr !== 0n && s.protocol !== "netlink") {
      const a = addrsOf(k, s);
      writeSockaddr(addr!, alen!, { family: a.family, addr: a.daddr, port: a.dport });
    }
    return ret;
  });
  defineSyscall(k, "recvmsg", ([fd, umsg, flags]) => call("__sys_recvmsg", fd!, umsg!, flags!, 1n));
  set("__sys_recvmsg", ([fd, umsg, flags]) => {
    const s = sockOfFd(fd!);
    if (typeof s === "bigint") return s;
    const msgSys = alloc(k, "msghdr");
    const ret = call("___sys_recvmsg", s.sock, umsg!, msgSys, flags! | (nonblocking(s) ? MSG_DONTWAIT : 0n), 0n);
    k.memory.free(msgSys);
    return ret;
  });
  set("___sys_recvmsg", ([sock, umsg, , flags, nosec]) => {
    const m = readUserMsg(umsg!);
    if (typeof m === "bigint") return m;
    const msg = newMsg(m.base, m.len);
    const ret = call("____sys_recvmsg", sock!, msg, umsg!, m.name, flags!, nosec!);
    freeMsg(msg);
    return ret;
  });
  set("____sys_recvmsg", ([sock, msg, , uaddr, flags]) => {
    const ret = call("sock_recvmsg", sock!, msg!, flags!);
    const s = bySocket(sock!);
    if (!isErr(ret) && uaddr !== 0n && s && s.protocol !== "netlink") {
      const a = addrsOf(k, s);
      writeSockaddr(uaddr!, 0n, { family: a.family, addr: a.daddr, port: a.dport });
    }
    return ret;
  });
  set("sock_recvmsg", ([sock, msg, flags]) => {
    const s = bySocket(sock!);
    if (!s) return err(ENOTSOCK);
    const size = BigInt(msgSizes.get(msg!) ?? 0);
    const recv = s.protocol === "netlink" ? "netlink_recvmsg" : s.family === AF_INET6 ? "inet6_recvmsg" : "inet_recvmsg";
    const ret = call(recv, sock!, msg!, size, flags!);
    lengthEvent(tpRecvLen, s, ret, flags!);
    return ret;
  });
  const inetRecv = (v6: boolean) => ([sock, msg, size, flags]: readonly bigint[]): bigint => {
    const s = bySocket(sock!);
    if (!s) return err(EINVAL);
    const fn = s.protocol === "tcp" ? "tcp_recvmsg" : v6 ? "udpv6_recvmsg" : "udp_recvmsg";
    return call(fn, s.sk, msg!, size!, flags!, 0n);
  };
  set("inet_recvmsg", inetRecv(false));
  set("inet6_recvmsg", inetRecv(true));
  const tpCopy = env.tp("skb", "skb_copy_datagram_iovec");
  /** skb_copy_datagram_iter: `len` bytes of the skb from `offset` (of its data) to the user buffer behind the iov_iter. */
  set("skb_copy_datagram_iter", ([skb, offset, to, len]) => {
    fireLazy(k, tpCopy, () => ({ skbaddr: skb!, len: len! }), [skb!, len!]);
    const u = userBufs.get(to!);
    const n = Number(len!);
    if (u && u.ubuf !== 0n && n > 0) {
      const bytes = new Uint8Array(n);
      k.memory.readKernel(bytes, k.memory.readField(skb!, "sk_buff", "data") + offset!);
      if (userOf().write(u.ubuf + BigInt(u.pos), bytes) !== n) return err(EFAULT);
      u.pos += n;
    }
    const left = k.memory.readField(to!, "iov_iter", "count");
    setField(k, to!, "iov_iter", "count", left > BigInt(n) ? left - BigInt(n) : 0n);
    return 0n;
  });

  // shutdown(2)
  defineSyscall(k, "shutdown", ([fd, how]) => call("__sys_shutdown", fd!, how!));
  set("__sys_shutdown", ([fd, how]) => {
    const s = sockOfFd(fd!);
    if (typeof s === "bigint") return s;
    return call("inet_shutdown", s.sock, how!);
  });
  set("inet_shutdown", ([sock, how]) => {
    const s = bySocket(sock!)!;
    const h = Number(BigInt.asIntN(32, how!));
    if (h < 0 || h > 2) return err(EINVAL);
    call("lock_sock_nested", s.sk, 0n);
    let ret = 0n;
    if (s.protocol === "tcp" && (s.state === TCP_CLOSE || s.state === TCP_SYN_SENT || s.state === TCP_LISTEN)) ret = err(ENOTCONN);
    else {
      setS(s, "sk_shutdown", S(s, "sk_shutdown") | BigInt(h + 1));
      if (s.protocol === "tcp") call("tcp_shutdown", s.sk, BigInt(h));
    }
    call("release_sock", s.sk);
    return ret;
  });

  // Release (close of the last descriptor).
  /** file->f_op->release of a socket file (__fput frees the file afterwards). */
  set("sock_close", ([inode, file]) => {
    const s = files.get(file!);
    if (!s) return 0n;
    files.delete(file!);
    call("__sock_release", s.sock, inode!);
    return 0n;
  });
  set("__sock_release", ([sock]) => {
    const s = bySocket(sock!);
    if (s) {
      const release = s.protocol === "netlink" ? "netlink_release" : s.family === AF_INET6 ? "inet6_release" : "inet_release";
      call(release, sock!);
      w.bySocket.delete(sock!);
      inodes.delete(sock!);
    }
    k.memory.free(sock!);
    return 0n;
  });
  const inetRelease = ([sock]: readonly bigint[]): bigint => {
    const s = bySocket(sock!);
    if (!s) return 0n;
    setS(s, "sk_socket", 0n);
    if (s.protocol === "tcp") call("tcp_close", s.sk, 0n);
    else {
      s.dead = true;
      call("sk_common_release", s.sk);
    }
    return 0n;
  };
  set("inet_release", inetRelease);
  set("inet6_release", inetRelease);
  set("sk_common_release", ([sk]) => {
    const s = w.bySk.get(sk!);
    if (!s) return 0n;
    s.state = TCP_CLOSE;
    setS(s, "__sk_common.skc_state", BigInt(TCP_CLOSE));
    call("udp_destroy_sock", sk!);
    call("sk_free", sk!);
    return 0n;
  });
  set("sk_free", ([sk]) => call("__sk_free", sk!));
  set("__sk_free", ([sk]) => call("sk_destruct", sk!));
  /** sk_destruct: the socket's queued skbs and memory go; the sock leaves every table and its slab object is freed. */
  set("sk_destruct", ([sk]) => {
    const s = w.bySk.get(sk!);
    if (!s || w.socks.includes(s)) return 0n;
    for (const skb of s.rxq.splice(0)) {
      env.segs.delete(skb);
      call("__kfree_skb", skb);
    }
    releasePort(s);
    dropSock(k, w, s);
    const np = s.family === AF_INET6 ? k.memory.readField(sk!, "inet_sock", "pinet6") : 0n;
    if (np !== 0n) k.memory.free(np);
    k.memory.free(sk!);
    return 0n;
  });
  set("lock_sock_nested", ([sk]) => (setField(k, sk!, "sock", "sk_lock.owned", 1n), 0n));
  set("release_sock", ([sk]) => (setField(k, sk!, "sock", "sk_lock.owned", 0n), 0n));
  set("sk_reset_timer", ([sk, timer, expires]) => (setField(k, timer!, "timer_list", "expires", expires!), void sk, 0n));
  set("sk_stop_timer", ([, timer]) => (setField(k, timer!, "timer_list", "expires", 0n), 0n));

}
