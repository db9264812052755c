// The kernel objects BPF iterators walk that the call paths do not need:
// netlink sockets, IPv6 FIB routes, and each process's standard open files.
// They are created LAZILY, on the first iterator over their target, so the
// slab addresses every other object gets (and the golden traces that show
// them) do not change. Namespaces: everything lives in the world's network
// namespace (init_net) except a second "container" namespace with its own
// netlink socket and route, which the iterators skip — as the kernel's
// netlink and ipv6_route iterators only walk the reader's net namespace.
// The model has one pid namespace, so the task iterators see every task.
import { BtfKind } from "../btf/kinds.js";
import { resolveMemberPath } from "../btf/members.js";
import { filesOf, installFd } from "./paths/process.js";
import type { SyntheticKernel } from "./synthetic.js";

/** One netlink socket as /proc/net/netlink describes it. */
export interface NetlinkSpec {
  protocol: number;
  portid: number;
  groups: number;
  rmem: number;
  drops: number;
  inode: number;
  cbRunning: boolean;
}

/** One IPv6 route as /proc/net/ipv6_route describes it. */
export interface RouteSpec {
  dst: string;
  dstLen: number;
  gw?: string;
  metric: number;
  refcnt: number;
  flags: number;
  dev: "lo" | "eth0";
}

/** NETLINK_ROUTE 0, NETLINK_SOCK_DIAG 4, NETLINK_AUDIT 9, NETLINK_KOBJECT_UEVENT 15, NETLINK_GENERIC 16. */
export const NETLINK_SOCKS: readonly NetlinkSpec[] = [
  { protocol: 0, portid: 0, groups: 0, rmem: 0, drops: 0, inode: 1001, cbRunning: false },
  { protocol: 0, portid: 1, groups: 0x00000551, rmem: 0, drops: 0, inode: 17042, cbRunning: false },
  { protocol: 0, portid: 523, groups: 0x00000001, rmem: 2304, drops: 0, inode: 18311, cbRunning: false },
  { protocol: 4, portid: 0, groups: 0, rmem: 0, drops: 0, inode: 1002, cbRunning: false },
  { protocol: 9, portid: 0, groups: 0, rmem: 0, drops: 0, inode: 1003, cbRunning: false },
  { protocol: 9, portid: 1, groups: 0x00000001, rmem: 0, drops: 3, inode: 16890, cbRunning: false },
  { protocol: 15, portid: 0, groups: 0, rmem: 0, drops: 0, inode: 1004, cbRunning: false },
  { protocol: 15, portid: 411, groups: 0x00000002, rmem: 0, drops: 0, inode: 17511, cbRunning: false },
  { protocol: 16, portid: 0, groups: 0, rmem: 0, drops: 0, inode: 1005, cbRunning: false },
  { protocol: 16, portid: 2971, groups: 0, rmem: 0, drops: 0, inode: 21977, cbRunning: true },
];
/** In the container's namespace: not listed by an iterator in init_net. */
const OTHER_NS_NETLINK: NetlinkSpec = { protocol: 0, portid: 77, groups: 1, rmem: 0, drops: 0, inode: 30001, cbRunning: false };

const RTF_UP = 0x1;
/** Added by the reader (ipv6_route_native_seq_show) when the next hop has a gateway. */
export const RTF_GATEWAY = 0x2;
const RTF_ADDRCONF = 0x40000;
const RTF_NONEXTHOP = 0x200000;
const RTF_EXPIRES = 0x400000;
const RTF_LOCAL = 0x80000000;

/** In FIB walk order (the tree's in-order: ::/0 first, host routes by address). */
export const IPV6_ROUTES: readonly RouteSpec[] = [
  { dst: "::", dstLen: 0, gw: "fe80::1", metric: 1024, refcnt: 2, flags: RTF_UP | RTF_ADDRCONF | RTF_EXPIRES, dev: "eth0" },
  { dst: "::1", dstLen: 128, metric: 0, refcnt: 3, flags: RTF_UP | RTF_NONEXTHOP | RTF_LOCAL, dev: "lo" },
  { dst: "2001:db8:1::", dstLen: 64, metric: 256, refcnt: 1, flags: RTF_UP | RTF_ADDRCONF | RTF_EXPIRES, dev: "eth0" },
  { dst: "2001:db8:1::42", dstLen: 128, metric: 0, refcnt: 3, flags: RTF_UP | RTF_NONEXTHOP | RTF_LOCAL, dev: "eth0" },
  { dst: "fe80::", dstLen: 64, metric: 256, refcnt: 1, flags: RTF_UP, dev: "eth0" },
  { dst: "fe80::5054:ff:fe12:3456", dstLen: 128, metric: 0, refcnt: 2, flags: RTF_UP | RTF_NONEXTHOP | RTF_LOCAL, dev: "eth0" },
  { dst: "ff00::", dstLen: 8, metric: 256, refcnt: 3, flags: RTF_UP, dev: "eth0" },
];
const OTHER_NS_ROUTE: RouteSpec = { dst: "fd00::", dstLen: 8, metric: 256, refcnt: 1, flags: RTF_UP, dev: "eth0" };

const S_IFCHR = 0o020000;
const S_IFSOCK = 0o140000;
/** /dev/null's dev_t: MKDEV(1, 3) (major << 20 | minor). */
const DEV_NULL = (1n << 20n) | 3n;

/** The standard files every process has open (fd 0-2: /dev/null, a character device), with inode numbers. */
const STD_FILES = [
  { fd: 0, name: "null", ino: 5 },
  { fd: 1, name: "null", ino: 5 },
  { fd: 2, name: "null", ino: 5 },
];

/** An IPv6 address in 16 bytes (full or :: forms). */
export function in6Bytes(s: string): Uint8Array {
  const [head, tail] = s.includes("::") ? s.split("::") : [s, undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g || "0", 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

export interface IterObjects {
  netlink: { addr: bigint; spec: NetlinkSpec }[];
  routes: { addr: bigint; spec: RouteSpec }[];
  /** netlink sockets and routes of the other namespace (present in memory, skipped by iterators). */
  otherNs: bigint[];
  files: { pid: number; task: bigint; fd: number; file: bigint; name: string }[];
}

/** The iterator-only objects of `k`, created on the first call (per kernel). */
export class LazyIterObjects {
  private netlinkObjs: IterObjects["netlink"] | undefined;
  private routeObjs: IterObjects["routes"] | undefined;
  private otherNet: bigint | undefined;
  readonly otherNs: bigint[] = [];
  private readonly stdFiles = new Map<number, { fd: number; file: bigint; name: string }[]>();

  constructor(private readonly k: SyntheticKernel) {}

  private put(addr: bigint, type: string, path: string, value: bigint | Uint8Array, size = 8): void {
    const id = this.k.btf.findByNameKind(type, BtfKind.STRUCT);
    if (id === undefined) return;
    let off: number;
    try {
      off = resolveMemberPath(this.k.btf, id, path).bitsOffset / 8;
    } catch {
      return;
    }
    const bytes = value instanceof Uint8Array ? value : new Uint8Array(size);
    if (!(value instanceof Uint8Array)) for (let i = 0; i < size; i++) bytes[i] = Number((BigInt.asUintN(64, value) >> BigInt(8 * i)) & 0xffn);
    this.k.memory.writeKernel(addr + BigInt(off), bytes);
  }

  private offsetOf(type: string, path: string): number {
    const id = this.k.btf.findByNameKind(type, BtfKind.STRUCT)!;
    return resolveMemberPath(this.k.btf, id, path).bitsOffset / 8;
  }

  private sizeOfStruct(type: string): number {
    const id = this.k.btf.findByNameKind(type, BtfKind.STRUCT)!;
    return (this.k.btf.typeById(id) as { size: number }).size;
  }

  private string(s: string): bigint {
    const a = this.k.memory.kmalloc(s.length + 1, true);
    this.k.memory.writeKernel(a, Buffer.from(s + "\0", "latin1"));
    return a;
  }

  /** A struct file (with inode and dentry) named `name`, of inode mode `mode` (and device number `rdev` for a device). */
  private file(name: string, ino: number, mode: number, rdev = 0n): bigint {
    const m = this.k.memory;
    const inode = m.alloc("inode");
    this.put(inode, "inode", "i_ino", BigInt(ino));
    this.put(inode, "inode", "i_mode", BigInt(mode), 2);
    this.put(inode, "inode", "i_rdev", rdev, 4);
    const dentry = m.alloc("dentry");
    this.put(dentry, "dentry", "d_name.name", this.string(name));
    this.put(dentry, "dentry", "d_name.len", BigInt(Buffer.byteLength(name)), 4);
    this.put(dentry, "dentry", "d_inode", inode);
    const file = m.alloc("file");
    this.put(file, "file", "f_inode", inode);
    this.put(file, "file", "f_path.dentry", dentry);
    return file;
  }

  private netlinkSock(spec: NetlinkSpec, net: bigint): bigint {
    const sk = this.k.memory.alloc("netlink_sock");
    const p = (path: string, v: bigint, size: number) => this.put(sk, "netlink_sock", path, v, size);
    p("sk.__sk_common.skc_family", 16n, 2);
    p("sk.__sk_common.skc_net.net", net, 8);
    p("sk.__sk_common.skc_refcnt.refs.counter", 2n, 4);
    p("sk.sk_protocol", BigInt(spec.protocol), 2);
    p("sk.sk_backlog.rmem_alloc.counter", BigInt(spec.rmem), 4);
    p("sk.sk_wmem_alloc.refs.counter", 1n, 4);
    p("sk.sk_drops.counter", BigInt(spec.drops), 4);
    p("portid", BigInt(spec.portid), 4);
    p("cb_running", spec.cbRunning ? 1n : 0n, 1);
    if (spec.groups) {
      const g = this.k.memory.kmalloc(8, true);
      const le = new Uint8Array(8);
      new DataView(le.buffer).setBigUint64(0, BigInt(spec.groups), true);
      this.k.memory.writeKernel(g, le);
      p("groups", g, 8);
      p("ngroups", 32n, 4);
    }
    const sock = this.k.memory.alloc("socket");
    this.put(sock, "socket", "sk", sk);
    this.put(sock, "socket", "file", this.file(`NETLINK:[${spec.inode}]`, spec.inode, S_IFSOCK | 0o777));
    p("sk.sk_socket", sock, 8);
    return sk;
  }

  private route(spec: RouteSpec, net: bigint): bigint {
    const k = this.k;
    const nhSize = this.sizeOfStruct("fib6_nh");
    const size = this.sizeOfStruct("fib6_info") + nhSize;
    const rt = k.memory.kmalloc(size, true);
    const p = (path: string, v: bigint | Uint8Array, n = 8) => this.put(rt, "fib6_info", path, v, n);
    p("fib6_dst.addr", in6Bytes(spec.dst));
    p("fib6_dst.plen", BigInt(spec.dstLen), 4);
    p("fib6_metric", BigInt(spec.metric), 4);
    p("fib6_ref.refs.counter", BigInt(spec.refcnt), 4);
    p("fib6_flags", BigInt(spec.flags), 4);
    p("fib6_table", net, 8); // the table stands for its namespace in this model
    const nh = rt + BigInt(this.offsetOf("fib6_info", "fib6_nh"));
    const dev = spec.dev === "lo" ? k.world.lo.addr : k.world.eth0.addr;
    this.put(nh, "fib6_nh", "nh_common.nhc_dev", dev);
    this.put(nh, "fib6_nh", "nh_common.nhc_family", 10n, 1);
    if (spec.gw) {
      this.put(nh, "fib6_nh", "nh_common.nhc_gw_family", 10n, 1);
      this.put(nh, "fib6_nh", "nh_common.nhc_gw.ipv6", in6Bytes(spec.gw));
    }
    return rt;
  }

  private other(): bigint {
    return (this.otherNet ??= this.k.memory.alloc("net"));
  }

  /** netlink sockets of init_net (created on first use). */
  netlink(): IterObjects["netlink"] {
    if (!this.netlinkObjs) {
      const net = this.k.world.net;
      this.netlinkObjs = NETLINK_SOCKS.map((spec) => ({ addr: this.netlinkSock(spec, net), spec }));
      this.otherNs.push(this.netlinkSock(OTHER_NS_NETLINK, this.other()));
    }
    return this.netlinkObjs;
  }

  /** IPv6 routes of init_net (created on first use). */
  routes(): IterObjects["routes"] {
    if (!this.routeObjs) {
      const net = this.k.world.net;
      this.routeObjs = IPV6_ROUTES.map((spec) => ({ addr: this.route(spec, net), spec }));
      this.otherNs.push(this.route(OTHER_NS_ROUTE, this.other()));
    }
    return this.routeObjs;
  }

  /** Every process's open files: fds 0-2 (created on first use) plus the files the fs workload has open, by pid then fd. */
  files(): IterObjects["files"] {
    const out: IterObjects["files"] = [];
    for (const t of this.k.tasks.all()) {
      if (t.pid !== t.tgid) continue; // threads share their leader's table
      let std = this.stdFiles.get(t.pid);
      if (!std) {
        this.stdFiles.set(t.pid, (std = STD_FILES.map((f) => ({ fd: f.fd, name: f.name, file: this.file(f.name, f.ino, S_IFCHR | 0o666, DEV_NULL) }))));
        // In the process's descriptor table too, as the files the workload opens are.
        const files = filesOf(this.k, t);
        for (const f of std) installFd(this.k, files, f.fd, f.file);
      }
      const open = [...this.k.world.files.entries()]
        .filter(([key]) => Math.floor(key / 1000) === t.tgid)
        .map(([, f]) => ({ fd: f.fd, file: f.file, name: f.path }));
      for (const f of [...std, ...open].sort((a, b) => a.fd - b.fd)) out.push({ pid: t.pid, task: t.taskAddress, fd: f.fd, file: f.file, name: f.name });
    }
    return out;
  }
}
