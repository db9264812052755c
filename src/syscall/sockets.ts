// The socket calls of the syscall surface, for AF_PACKET sockets:
// socket(2), bind(2) to a sockaddr_ll, setsockopt(2) (SO_ATTACH_BPF,
// SO_DETACH_BPF, SO_LOCK_FILTER, SO_RCVBUF), getsockopt(2) (SO_RCVBUF,
// PACKET_STATISTICS), recvfrom(2) (non-blocking), with Linux's errnos
// (sock_setsockopt, sk_attach_bpf, sk_detach_filter, packet_create,
// packet_bind). A socket is an fd of the process's table (kind "socket");
// an attached program is held by the socket and runs, through the filter
// callback, on every packet the kernel delivers to it (r1 = the sk_buff).
// The kernel model provides the sockets and the delivery (PacketSocketLayer,
// socket-layer.ts); this module imports only its types.
import { Errno } from "../internal/errno.js";
import type { PacketRecord, PacketSocketStats } from "../kernel-model/sockets.js";
import { KernelObject, type FdTable } from "./fd-table.js";
import type { ProgObject } from "./objects.js";

export type { PacketRecord, PacketSocketStats } from "../kernel-model/sockets.js";

export const AF_PACKET = 17;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const ETH_P_ALL = 0x0003;
export const ETH_P_IP = 0x0800;
export const SOL_SOCKET = 1;
export const SOL_PACKET = 263;
export const SO_RCVBUF = 8;
export const SO_ATTACH_BPF = 50;
/** SO_DETACH_BPF is SO_DETACH_FILTER (27). */
export const SO_DETACH_BPF = 27;
export const SO_LOCK_FILTER = 44;
export const PACKET_STATISTICS = 6;
/** The program type SO_ATTACH_BPF takes (BPF_PROG_TYPE_SOCKET_FILTER). */
export const SOCKET_FILTER_TYPE = "socket_filter";

/** A packet socket of the kernel (PacketSocket in the model). */
export interface PacketEndpoint {
  readonly type: number;
  ifindex: number;
  protocol: number;
  rcvbuf: number;
  filter: ((skb: bigint) => number) | undefined;
  readonly stats: PacketSocketStats;
  readonly rmemAlloc: number;
  readonly queued: number;
  recv(): PacketRecord | undefined;
  readStatistics(): { packets: number; drops: number };
  close(): void;
}

/** A network device and what crossed it, per IP protocol number (the ground truth a packet socket's counts are checked against). */
export interface NetDeviceInfo {
  ifindex: number;
  name: string;
  /** Packets the device sent, by IP protocol (6 TCP, 17 UDP). */
  tx: Record<number, number>;
  /** Packets it received. */
  rx: Record<number, number>;
}

/** What the kernel provides for packet sockets. */
export interface PacketSocketLayer {
  open(type: number, protocol: number): PacketEndpoint;
  devices(): NetDeviceInfo[];
  /**
   * BPF_PROG_TEST_RUN's skb for a socket filter (bpf_prog_test_run_skb):
   * data_in received on lo, data at the network header; or why not (-EINVAL).
   */
  testRunSkb(dataIn: Uint8Array): TestRunSkb | string;
}

/** An skb made from data_in for a test run: r1 for the program, data_out after it, free. */
export interface TestRunSkb {
  skb: bigint;
  dataOut(): Uint8Array;
  free(): void;
}

/** sockaddr_ll as bind(2) takes it (sll_protocol in host order; 0 keeps the socket's). */
export interface SockaddrLl {
  family: number;
  protocol?: number;
  ifindex: number;
}

/** Counters of a packet socket plus its queue's state. */
export interface SocketStats extends PacketSocketStats {
  /** Packets waiting in the receive queue. */
  queued: number;
  /** Bytes charged to the queue (sk_rmem_alloc) and its limit (sk_rcvbuf). */
  rmemAlloc: number;
  rcvbuf: number;
  /** The id of the attached program, 0 if none. */
  progId: number;
}

export class SocketObject extends KernelObject {
  readonly kind = "socket" as const;
  prog: ProgObject | undefined;
  locked = false;
  constructor(
    readonly endpoint: PacketEndpoint,
    private readonly onFree: (o: KernelObject) => void,
  ) {
    super();
  }

  /** Replaces the attached program (undefined detaches), moving the reference. */
  setProg(p: ProgObject | undefined): void {
    const old = this.prog;
    this.prog = p?.hold();
    this.endpoint.filter = p ? (skb) => runFilter(p, skb) : undefined;
    old?.put();
  }

  protected free(): void {
    this.endpoint.close();
    this.setProg(undefined);
    this.onFree(this);
  }
}

/** bpf_prog_run on the skb: r0's low 32 bits are the bytes kept. A run that faults keeps nothing. */
function runFilter(p: ProgObject, skb: bigint): number {
  const r = p.run({ args: [skb] });
  return r.fault ? 0 : Number(r.r0 & 0xffffffffn);
}

type Fail = (code: number, message: string) => number;

/** The calls, given the process's fd table, the program lookup and the failure plumbing of Bpf. */
export class SocketCalls {
  constructor(
    private readonly fds: FdTable,
    private readonly fail: Fail,
    private readonly install: (o: KernelObject) => number,
    private readonly onFree: (o: KernelObject) => void,
    private readonly layer: () => PacketSocketLayer | undefined,
  ) {}

  private sockOf(fd: number): SocketObject | number {
    const o = this.fds.get(fd);
    if (!o) return this.fail(-Errno.EBADF, `fd ${fd} is not open`);
    if (o.kind !== "socket") return this.fail(-Errno.ENOTSOCK, `fd ${fd} is not a socket`);
    return o as SocketObject;
  }

  socket(domain: number, type: number, protocol: number): number {
    const layer = this.layer();
    if (domain !== AF_PACKET || !layer) return this.fail(-Errno.EAFNOSUPPORT, `address family ${domain} is not supported (only AF_PACKET, ${AF_PACKET})`);
    if (type !== SOCK_RAW && type !== SOCK_DGRAM) return this.fail(-Errno.ESOCKTNOSUPPORT, `socket type ${type} is not supported by AF_PACKET (SOCK_RAW ${SOCK_RAW} or SOCK_DGRAM ${SOCK_DGRAM})`);
    if (!Number.isInteger(protocol) || protocol < 0 || protocol > 0xffff) return this.fail(-Errno.EINVAL, `protocol ${protocol} is not a 16-bit ethertype`);
    return this.install(new SocketObject(layer.open(type, protocol), this.onFree));
  }

  bind(fd: number, addr: SockaddrLl): number {
    const s = this.sockOf(fd);
    if (typeof s === "number") return s;
    if (typeof addr !== "object" || addr === null || addr.family !== AF_PACKET) return this.fail(-Errno.EINVAL, `sll_family must be AF_PACKET (${AF_PACKET})`);
    if (!Number.isInteger(addr.ifindex) || addr.ifindex < 0) return this.fail(-Errno.EINVAL, `invalid ifindex ${String(addr.ifindex)}`);
    if (addr.ifindex !== 0 && !this.layer()!.devices().some((d) => d.ifindex === addr.ifindex)) return this.fail(-Errno.ENODEV, `no device with ifindex ${addr.ifindex}`);
    s.endpoint.ifindex = addr.ifindex;
    if (addr.protocol) s.endpoint.protocol = addr.protocol;
    return 0;
  }

  /** setsockopt(2); `value` is the int option value (or its raw bytes: optlen = their length). */
  setsockopt(fd: number, level: number, optname: number, value: number | Uint8Array, progOf: (fd: number) => ProgObject | number): number {
    const s = this.sockOf(fd);
    if (typeof s === "number") return s;
    let optlen = 4;
    let v = 0;
    if (value instanceof Uint8Array) {
      optlen = value.length;
      if (optlen >= 4) v = new DataView(value.buffer, value.byteOffset, 4).getInt32(0, true);
    } else if (Number.isInteger(value)) v = value | 0;
    else return this.fail(-Errno.EFAULT, "option value is not an integer or a byte buffer");
    if (level !== SOL_SOCKET) return this.fail(-Errno.ENOPROTOOPT, `option ${optname} at level ${level} is not supported (SOL_SOCKET only)`);
    if (optlen < 4) return this.fail(-Errno.EINVAL, `optlen ${optlen} is less than sizeof(int)`);
    switch (optname) {
      case SO_ATTACH_BPF: {
        if (optlen !== 4) return this.fail(-Errno.EINVAL, `SO_ATTACH_BPF takes a u32 program fd (optlen ${optlen})`);
        if (s.locked) return this.fail(-Errno.EPERM, "the socket's filter is locked (SO_LOCK_FILTER)");
        const o = this.fds.get(v);
        if (!o) return this.fail(-Errno.EBADF, `fd ${v} is not open`);
        if (o.kind !== "prog") return this.fail(-Errno.EINVAL, `fd ${v} is not a BPF program`);
        const p = progOf(v) as ProgObject;
        if (p.type !== SOCKET_FILTER_TYPE) return this.fail(-Errno.EINVAL, `program ${p.id} '${p.name}' is of type ${p.type}, not socket_filter`);
        s.setProg(p);
        return 0;
      }
      case SO_DETACH_BPF:
        if (s.locked) return this.fail(-Errno.EPERM, "the socket's filter is locked (SO_LOCK_FILTER)");
        if (!s.prog) return this.fail(-Errno.ENOENT, "no filter is attached");
        s.setProg(undefined);
        return 0;
      case SO_LOCK_FILTER:
        if (s.locked && !v) return this.fail(-Errno.EPERM, "the socket's filter is locked (SO_LOCK_FILTER)");
        s.locked = v !== 0;
        return 0;
      case SO_RCVBUF: {
        // sock_setsockopt: the value is doubled (for the sk_buff overhead), at least SOCK_MIN_RCVBUF.
        const val = Math.min(Math.max(v, 0), 0x7fffffff >> 1);
        s.endpoint.rcvbuf = Math.max(val * 2, 2 * (2048 + 232));
        return 0;
      }
      default:
        return this.fail(-Errno.ENOPROTOOPT, `socket option ${optname} is not supported`);
    }
  }

  getsockopt(fd: number, level: number, optname: number): number | { packets: number; drops: number } {
    const s = this.sockOf(fd);
    if (typeof s === "number") return s;
    if (level === SOL_SOCKET && optname === SO_RCVBUF) return s.endpoint.rcvbuf;
    if (level === SOL_PACKET && optname === PACKET_STATISTICS) return s.endpoint.readStatistics();
    return this.fail(-Errno.ENOPROTOOPT, `option ${optname} at level ${level} is not supported`);
  }

  /** recvfrom(2) with MSG_DONTWAIT: the oldest queued packet, or -EAGAIN. */
  recv(fd: number): PacketRecord | number {
    const s = this.sockOf(fd);
    if (typeof s === "number") return s;
    return s.endpoint.recv() ?? this.fail(-Errno.EAGAIN, "no packet is queued");
  }

  stats(fd: number): SocketStats | number {
    const s = this.sockOf(fd);
    if (typeof s === "number") return s;
    const e = s.endpoint;
    return { ...e.stats, queued: e.queued, rmemAlloc: e.rmemAlloc, rcvbuf: e.rcvbuf, progId: s.prog?.id ?? 0 };
  }
}
