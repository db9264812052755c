// The objects the synthetic kernel's call paths work on: network devices,
// sockets, open files, a block device, and helpers to allocate and fill
// them through the memory model by field name.
import { findMember } from "../../btf/members.js";
import { BtfKind } from "../../btf/kinds.js";
import type { Kernel } from "../kernel.js";

/** Whether `type` has the member `path` starts with, per kernel BTF (asked on every setField, so remembered). */
const hasFieldCache = new WeakMap<object, Map<string, number | undefined>>();
function structWith(k: Kernel, type: string, path: string): number | undefined {
  let m = hasFieldCache.get(k.btf);
  if (!m) hasFieldCache.set(k.btf, (m = new Map()));
  const key = `${type}\0${path}`;
  if (m.has(key)) return m.get(key);
  const id = k.btf.findByNameKind(type, BtfKind.STRUCT);
  const found = id !== undefined && findMember(k.btf, id, path.split(".")[0]!) ? id : undefined;
  m.set(key, found);
  return found;
}

/** Sets a field if the type has it (the headers are trimmed Linux: not every field exists). */
export function setField(k: Kernel, addr: bigint, type: string, path: string, value: bigint): void {
  const id = structWith(k, type, path);
  if (id !== undefined) k.memory.writeField(addr, id, path, value);
}

export function setString(k: Kernel, addr: bigint, type: string, path: string, value: string): void {
  const id = k.btf.findByNameKind(type, BtfKind.STRUCT);
  if (id === undefined || !findMember(k.btf, id, path)) return;
  k.memory.writeString(addr, id, path, value);
}

export function alloc(k: Kernel, type: string): bigint {
  return k.memory.alloc(type);
}

export interface NetDevice {
  addr: bigint;
  name: string;
  ifindex: number;
}

export interface Sock {
  /** struct sock */
  sk: bigint;
  /** struct socket */
  sock: bigint;
  protocol: "tcp" | "udp";
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
  socks: Sock[];
  /** Open files by tgid * 1000 + fd. */
  files: Map<number, OpenFile>;
  disk: bigint;
  /** Requests issued and not completed yet. */
  inflight: { rq: bigint; issuedNs: bigint; bytes: number; sector: bigint }[];
}

const AF_INET = 2n;

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
  const socks: Sock[] = [];
  for (let i = 0; i < 4; i++) {
    const protocol = i % 2 === 0 ? "tcp" : "udp";
    const sk = alloc(k, protocol === "tcp" ? "tcp_sock" : "udp_sock");
    setField(k, sk, "sock", "__sk_common.skc_family", AF_INET);
    setField(k, sk, "sock", "__sk_common.skc_daddr", BigInt(0x0100007f + (i << 24)));
    setField(k, sk, "sock", "__sk_common.skc_dport", BigInt(((8080 + i) & 0xff) << 8 | ((8080 + i) >> 8)));
    setField(k, sk, "sock", "__sk_common.skc_net.net", net);
    setField(k, sk, "sock", "sk_protocol", protocol === "tcp" ? 6n : 17n);
    const sock = alloc(k, "socket");
    setField(k, sock, "socket", "sk", sk);
    setField(k, sk, "sock", "sk_socket", sock);
    socks.push({ sk, sock, protocol });
  }
  const disk = alloc(k, "gendisk");
  setString(k, disk, "gendisk", "disk_name", "vda");
  setField(k, disk, "gendisk", "major", 253n);
  return { net, lo, eth0, socks, files: new Map(), disk, inflight: [] };
}
