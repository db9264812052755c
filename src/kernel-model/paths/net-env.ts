// What the network paths (net.ts, tcp.ts, udp.ts, ipv6.ts, socket.ts,
// remote.ts) share once installed: the kernel, the world, helpers to set a
// function's implementation and call one through the function table, their
// tracepoints and enum values, and the sequence state of the skbs in flight.
import type { Kernel } from "../kernel.js";
import type { FlowCounters } from "../packets.js";
import type { TracepointDef, TracepointValue } from "../tracepoints.js";
import type { Sock, World } from "./world.js";

/** A TCP segment's sequence space, kept per skb (what TCP_SKB_CB(skb) holds): seq, end_seq, flags, payload length. */
export interface Seg {
  seq: number;
  end: number;
  flags: number;
  len: number;
}

export interface NetEnv {
  readonly k: Kernel;
  readonly w: World;
  set(name: string, impl: (args: readonly bigint[]) => bigint): void;
  call(name: string, ...args: bigint[]): bigint;
  tp(category: string, name: string): TracepointDef;
  /** enum skb_drop_reason / sk_rst_reason values by name. */
  dropReason(name: string): bigint;
  rstReason(name: string): bigint;
  readonly flows: FlowCounters;
  sockOf(sk: bigint): Sock | undefined;
  /** dev->name ("" for none). */
  devName(dev: bigint): string;
  /** TCP_SKB_CB of the skbs TCP built or received. */
  readonly segs: Map<bigint, Seg>;
  /** The NAPI instance of a device (eth0's virtio queue; lo's is the CPU backlog's). */
  napiOf(dev: { addr: bigint }): bigint;
  /** Runs the NET_RX softirq now if packets are queued and it is not running already (bottom halves re-enabled). */
  netRx(): void;
  /** Receives a frame from the wire on eth0 through its NAPI poll (virtnet_poll -> napi_gro_receive), in softirq. */
  wireRx(skb: bigint): void;
  /** A socket got its destination (connect): the other end, if a host behind eth0, starts answering for it (remote.ts). */
  connecting(s: Sock): void;
  /** A blocking connect waits: the other end's answer arrives (remote.ts; nothing for local connections). */
  awaitConnect(s: Sock): void;
  /** A blocking accept waits on an empty queue: a client connects (remote.ts). */
  awaitAccept(s: Sock): void;
  /** The destination a sendto/sendmsg gave (msg_name), by kernel msghdr. */
  msgDest(msg: bigint): { family: number; addr: Uint8Array; port: number } | undefined;
  /** skb_set_owner_r: the skb's truesize charged to the socket's receive memory until it is freed (sock_rfree). */
  chargeR(skb: bigint, s: Sock, truesize: bigint): void;
  /** The user buffer a kernel msghdr's data comes from or goes to (0 if none). */
  userBufOf(msg: bigint): bigint;
}

/** No values: what a tracepoint nobody listens to is fired with (it is only counted). */
const NO_VALUES: Readonly<Record<string, bigint>> = Object.freeze({});

/** Fires `tp`, computing its record's values only if something is attached (the hit is counted either way). */
export function fireLazy(k: Kernel, tp: TracepointDef, values: () => Readonly<Record<string, TracepointValue>>, args: readonly bigint[]): void {
  k.fire(tp, k.tracepoints.enabled(tp) ? values() : NO_VALUES, args);
}

export const err = (n: number): bigint => BigInt.asUintN(64, BigInt(-n));
/** IS_ERR_VALUE: -4095..-1 (an int's errno or an ERR_PTR); kernel addresses are not errors. */
export const isErr = (v: bigint): boolean => BigInt.asUintN(64, v) >= 0xfffffffffffff001n;
export const EPERM = 1;
export const EBADF = 9;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EFAULT = 14;
export const EINVAL = 22;
export const EPIPE = 32;
export const ENOTSOCK = 88;
export const EPROTONOSUPPORT = 93;
export const EOPNOTSUPP = 95;
export const EAFNOSUPPORT = 97;
export const EADDRINUSE = 98;
export const ENOTCONN = 107;
export const ECONNREFUSED = 111;
export const EINPROGRESS = 115;
export const ECONNRESET = 104;
export const EISCONN = 106;
