// What socket-filter programs need from the kernel's packets: the bytes of
// the packet an sk_buff holds and its socket's identity. The VM defines this
// interface (KernelEnv.skb); the kernel model implements it for its raw
// sockets. Also the kernel's packet-load rules built on it: LD_ABS/LD_IND's
// offsets (negative ones relative to the link-layer or network header,
// SKF_LL_OFF / SKF_NET_OFF) and big-endian results, as bpf_skb_load_helper_*.

/** Where an offset into the packet counts from. */
export const SkbBase = {
  /** skb->data: the packet as the socket sees it (what skb->len covers). */
  DATA: 0,
  /** The link-layer (MAC) header; unset on some packets. */
  MAC: 1,
  /** The network header. */
  NETWORK: 2,
} as const;
export type SkbBase = (typeof SkbBase)[keyof typeof SkbBase];

/** The kernel's packets, by the address of their struct sk_buff. Never throws for bad input. */
export interface SkbAccess {
  /**
   * Copies `dst.length` bytes starting `off` (>= 0) bytes after `base` of
   * the packet of the sk_buff at `skb`: 0, or -14 (EFAULT) when any byte is
   * past the packet's end (skb_header_pointer / skb_tail_pointer), when the
   * MAC header is not set for SkbBase.MAC, or when `skb` is unknown.
   */
  loadBytes(skb: bigint, base: SkbBase, off: number, dst: Uint8Array): number;
  /** __sock_gen_cookie(skb->sk): the socket's cookie, 0 when the packet has no socket. */
  socketCookie(skb: bigint): bigint;
  /** The uid owning skb->sk (a full socket), or undefined when there is none (the helper then returns overflowuid). */
  socketUid(skb: bigint): number | undefined;
  /** __sock_gen_cookie(sk) for a struct sock pointer (bpf_get_socket_cookie of tracing programs), 0 for NULL or an unreadable one. */
  sockCookie?(sk: bigint): bigint;
}

/** SKF_NET_OFF and SKF_LL_OFF (include/uapi/linux/filter.h): negative LD_ABS offsets relative to a header. */
export const SKF_NET_OFF = -0x100000;
export const SKF_LL_OFF = -0x200000;
/** The kernel's overflowuid (get_socket_uid without a full socket). */
export const OVERFLOW_UID = 65534;
/** -EFAULT as a helper's u64 result. */
const EFAULT_U64 = BigInt.asUintN(64, -14n);

/**
 * bpf_skb_load_helper_{8,16,32}: `size` bytes at the 32-bit signed offset
 * `offset` as a big-endian value, or -EFAULT (as a u64) when out of the
 * packet. LD_ABS/LD_IND programs return 0 on that error.
 */
export function skbLoadBigEndian(skb: SkbAccess | undefined, addr: bigint, offset: number, size: 1 | 2 | 4, buf: Uint8Array): bigint {
  if (!skb) return EFAULT_U64;
  const dst = buf.subarray(0, size);
  let base: SkbBase = SkbBase.DATA;
  let off = offset | 0;
  if (off < 0) {
    if (off >= SKF_NET_OFF) {
      base = SkbBase.NETWORK;
      off -= SKF_NET_OFF;
    } else if (off >= SKF_LL_OFF) {
      base = SkbBase.MAC;
      off -= SKF_LL_OFF;
    } else return EFAULT_U64;
  }
  if (skb.loadBytes(addr, base, off, dst) < 0) return EFAULT_U64;
  let v = 0;
  for (let i = 0; i < size; i++) v = v * 256 + dst[i]!;
  return BigInt(v);
}
