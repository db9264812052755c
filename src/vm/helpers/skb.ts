// Socket-filter helpers over the VM's packet interface (KernelEnv.skb,
// src/vm/packet.ts): bpf_skb_load_bytes, bpf_skb_load_bytes_relative,
// bpf_get_socket_cookie (also tracing programs' socket-pointer variant),
// bpf_get_socket_uid, and the internal
// bpf_skb_load_helper_{8,16,32}_no_cache calls that LD_ABS/LD_IND become
// after verification (bpf_gen_ld_abs). r1 is the program's context: the
// address of the kernel's struct sk_buff.
import { SkbBase, OVERFLOW_UID, skbLoadBigEndian } from "../packet.js";
import { errRet, vmBytes, type HelperImpl } from "./abi.js";

const EFAULT = 14;

/**
 * Ids of the internal packet-load calls LD_ABS/LD_IND are rewritten into
 * (by load size). They are not helper ids a program may name: the verifier
 * never sees them, only the rewritten program calls them.
 */
export const SKB_LOAD_HELPER_ID: Readonly<Record<1 | 2 | 4, number>> = { 1: 0x7f00_0001, 2: 0x7f00_0002, 4: 0x7f00_0004 };

/** skb_load_bytes(skb, offset, to, len): 0, or -EFAULT with `to` zeroed. */
const skbLoadBytes: HelperImpl = (rt, skb, offset, to, len) => {
  const dst = vmBytes(rt, to, Number(len), true);
  if (!dst) return errRet(EFAULT);
  // The offset is a u32; past INT_MAX it is refused before any copy.
  const off = Number(offset & 0xffffffffn);
  if (off > 0x7fffffff || !rt.env.skb || rt.env.skb.loadBytes(skb, SkbBase.DATA, off, dst) < 0) {
    dst.fill(0);
    return errRet(EFAULT);
  }
  return 0n;
};

/** skb_load_bytes_relative(skb, offset, to, len, start_header): relative to the MAC (0) or network (1) header. */
const skbLoadBytesRelative: HelperImpl = (rt, skb, offset, to, len, startHeader) => {
  const dst = vmBytes(rt, to, Number(len), true);
  if (!dst) return errRet(EFAULT);
  const off = Number(offset & 0xffffffffn);
  const base = startHeader === 0n ? SkbBase.MAC : startHeader === 1n ? SkbBase.NETWORK : undefined;
  if (off > 0xffff || base === undefined || !rt.env.skb || rt.env.skb.loadBytes(skb, base, off, dst) < 0) {
    dst.fill(0);
    return errRet(EFAULT);
  }
  return 0n;
};

const loadHelper =
  (size: 1 | 2 | 4): HelperImpl =>
  (rt, skb, offset) =>
    skbLoadBigEndian(rt.env.skb, skb, Number(BigInt.asIntN(32, offset)), size, new Uint8Array(4));

/** The socket-filter helpers by id. */
export const SKB_HELPERS: Readonly<Record<number, HelperImpl>> = {
  26: skbLoadBytes,
  // Socket filters run with r1 = the sk_buff and no context region; tracing programs (their bpf_get_socket_ptr_cookie) pass a struct sock *.
  46: (rt, r1) => (rt.ctx === undefined ? rt.env.skb?.socketCookie(r1) : rt.env.skb?.sockCookie?.(r1)) ?? 0n,
  47: (rt, skb) => BigInt(rt.env.skb?.socketUid(skb) ?? OVERFLOW_UID),
  68: skbLoadBytesRelative,
  [SKB_LOAD_HELPER_ID[1]]: loadHelper(1),
  [SKB_LOAD_HELPER_ID[2]]: loadHelper(2),
  [SKB_LOAD_HELPER_ID[4]]: loadHelper(4),
};
