// The socket filter's context, `struct __sk_buff` (include/uapi/linux/bpf.h,
// 192 bytes in Linux 6.12): its field table, which accesses a
// BPF_PROG_TYPE_SOCKET_FILTER program may make (net/core/filter.c's
// sk_filter_is_valid_access over bpf_skb_is_valid_access), the layout of the
// real `struct sk_buff` taken from the kernel's BTF (SkbLayout), and the
// conversion of one __sk_buff access into loads and stores of that sk_buff
// (the kernel's bpf_convert_ctx_access, including its narrow-load rules).
import type { Btf } from "../../btf/btf.js";
import { BtfKind } from "../../btf/kinds.js";
import { sizeOf, skipModsAndTypedefs } from "../../btf/layout.js";
import { findMember } from "../../btf/members.js";
import type { Instruction } from "../isa/instruction.js";
import { BPF_REG_AX } from "../loaded-program.js";
import { AluOp, Class, JmpOp, Mode, Size, Source } from "../isa/opcodes.js";

/** sizeof(struct __sk_buff) in Linux 6.12. */
export const SK_BUFF_CTX_SIZE = 192;

/** The __sk_buff fields: name, offset and size (arrays as one field). */
export const SK_BUFF_FIELDS: readonly { readonly name: string; readonly off: number; readonly size: number }[] = [
  { name: "len", off: 0, size: 4 },
  { name: "pkt_type", off: 4, size: 4 },
  { name: "mark", off: 8, size: 4 },
  { name: "queue_mapping", off: 12, size: 4 },
  { name: "protocol", off: 16, size: 4 },
  { name: "vlan_present", off: 20, size: 4 },
  { name: "vlan_tci", off: 24, size: 4 },
  { name: "vlan_proto", off: 28, size: 4 },
  { name: "priority", off: 32, size: 4 },
  { name: "ingress_ifindex", off: 36, size: 4 },
  { name: "ifindex", off: 40, size: 4 },
  { name: "tc_index", off: 44, size: 4 },
  { name: "cb", off: 48, size: 20 },
  { name: "hash", off: 68, size: 4 },
  { name: "tc_classid", off: 72, size: 4 },
  { name: "data", off: 76, size: 4 },
  { name: "data_end", off: 80, size: 4 },
  { name: "napi_id", off: 84, size: 4 },
  { name: "family", off: 88, size: 4 },
  { name: "remote_ip4", off: 92, size: 4 },
  { name: "local_ip4", off: 96, size: 4 },
  { name: "remote_ip6", off: 100, size: 16 },
  { name: "local_ip6", off: 116, size: 16 },
  { name: "remote_port", off: 132, size: 4 },
  { name: "local_port", off: 136, size: 4 },
  { name: "data_meta", off: 140, size: 4 },
  { name: "flow_keys", off: 144, size: 8 },
  { name: "tstamp", off: 152, size: 8 },
  { name: "wire_len", off: 160, size: 4 },
  { name: "gso_segs", off: 164, size: 4 },
  { name: "sk", off: 168, size: 8 },
  { name: "gso_size", off: 176, size: 4 },
  { name: "tstamp_type", off: 180, size: 1 },
  { name: "hwtstamp", off: 184, size: 8 },
];

const CB = 48;
const CB_END = 68;
const SK = 168;

/** The __sk_buff field covering byte `off`, if any (padding has none). */
export function skBuffField(off: number): (typeof SK_BUFF_FIELDS)[number] | undefined {
  return SK_BUFF_FIELDS.find((f) => off >= f.off && off < f.off + f.size);
}

const inRange = (off: number, name: string): boolean => {
  const f = skBuffField(off);
  return f !== undefined && f.name === name;
};

/**
 * Why a socket filter's access of `size` bytes at `off` of its __sk_buff is
 * refused, or undefined when it is allowed. The verdict line is the
 * kernel's "invalid bpf_context access off=%d size=%d"; a line before it
 * explains what btfsnoop does not model (reading `sk`).
 */
export function skFilterCtxAccess(off: number, size: number, write: boolean): string | undefined {
  const bad = `invalid bpf_context access off=${off} size=${size}`;
  // sk_filter_is_valid_access: fields this type never sees, then writes only to cb[].
  for (const name of ["tc_classid", "data", "data_meta", "data_end", "family", "remote_ip4", "local_ip4", "remote_ip6", "local_ip6", "remote_port", "local_port", "tstamp", "wire_len", "hwtstamp"]) {
    if (inRange(off, name)) return bad;
  }
  if (write && !(off >= CB && off < CB_END)) return bad;
  // bpf_skb_is_valid_access.
  if (off < 0 || off >= SK_BUFF_CTX_SIZE || off % size !== 0) return bad;
  if (off >= CB && off < CB_END) return off + size > CB_END ? bad : undefined;
  if (inRange(off, "flow_keys")) return bad;
  if (inRange(off, "sk")) {
    if (off !== SK || write || size !== 8) return bad;
    // The kernel gives PTR_TO_SOCK_COMMON_OR_NULL here (bpf_sock's rules, converted onto struct sock_common).
    return `btfsnoop: reading __sk_buff->sk (PTR_TO_SOCK_COMMON_OR_NULL) is not supported\n${bad}`;
  }
  if (off === 180) return bad; // tstamp_type
  if (off > 180 && off < 184) return bad; // padding
  // The u32 fields: writes whole, reads whole or narrow (1, 2 or 4 bytes, aligned).
  if (write) return size === 4 ? undefined : bad;
  return size <= 4 ? undefined : bad;
}

/** A bitfield of the sk_buff: the byte holding it, the shift and the mask of its bits there. */
export interface SkbBits {
  readonly byteOff: number;
  readonly shift: number;
  readonly mask: number;
}

/**
 * Where the kernel keeps what __sk_buff shows, in its `struct sk_buff`
 * (byte offsets from the kernel's BTF; absent when the BTF lacks the member).
 */
export interface SkbLayout {
  readonly len?: number;
  readonly pktType?: SkbBits;
  readonly mark?: number;
  readonly queueMapping?: number;
  readonly protocol?: number;
  /** vlan_all (Linux >= 6.2: vlan_present is vlan_all != 0). */
  readonly vlanAll?: number;
  readonly vlanTci?: number;
  readonly vlanProto?: number;
  readonly priority?: number;
  readonly skbIif?: number;
  /** skb->dev, and net_device's ifindex. */
  readonly dev?: number;
  readonly devIfindex?: number;
  readonly hash?: number;
  /** Absent without CONFIG_NET_SCHED: __sk_buff->tc_index reads 0. */
  readonly tcIndex?: number;
  /** Absent without CONFIG_NET_RX_BUSY_POLL: __sk_buff->napi_id reads 0. */
  readonly napiId?: number;
  /** MIN_NAPI_ID (NR_CPUS + 1): smaller napi_id values are sender CPUs and read 0. */
  readonly minNapiId: number;
  /** skb->cb plus qdisc_skb_cb's data: where __sk_buff->cb[0] lives. */
  readonly cbData?: number;
  /** Why cbData is absent. */
  readonly cbMissing?: string;
  /** skb->head, skb->end (its size: 4 when it is an offset from head, NET_SKBUFF_DATA_USES_OFFSET on 64-bit). */
  readonly head?: number;
  readonly end?: { readonly off: number; readonly size: 4 | 8 };
  /** skb_shared_info's gso_segs and gso_size (skb_shinfo(skb) = head + end). */
  readonly shinfoGsoSegs?: number;
  readonly shinfoGsoSize?: number;
}

/** NR_CPUS + 1 for a kernel built with NR_CPUS=8192 (x86-64 distribution configs). */
export const DEFAULT_MIN_NAPI_ID = 8193;

/** The sk_buff layout of `btf`, or why it has none (no struct sk_buff). */
export function skbLayoutFromBtf(btf: Btf, minNapiId = DEFAULT_MIN_NAPI_ID): SkbLayout | string {
  const skb = btf.findByNameKind("sk_buff", BtfKind.STRUCT);
  if (skb === undefined) return "the kernel's BTF has no struct sk_buff";
  const at = (id: number, name: string): number | undefined => {
    const m = findMember(btf, id, name);
    return m && !m.member.bitfieldSize && m.bitsOffset % 8 === 0 ? m.bitsOffset / 8 : undefined;
  };
  const bits = (name: string): SkbBits | undefined => {
    const m = findMember(btf, skb, name);
    if (!m || !m.member.bitfieldSize) return undefined;
    const shift = m.bitsOffset % 8;
    if (shift + m.member.bitfieldSize > 8) return undefined;
    return { byteOff: Math.floor(m.bitsOffset / 8), shift, mask: (1 << m.member.bitfieldSize) - 1 };
  };
  let devIfindex: number | undefined;
  const dev = findMember(btf, skb, "dev");
  if (dev) {
    const ptr = btf.typeById(skipModsAndTypedefs(btf, dev.member.type));
    if (ptr.kind === BtfKind.PTR) devIfindex = at(skipModsAndTypedefs(btf, ptr.type), "ifindex");
  }
  let cbData: number | undefined;
  let cbMissing: string | undefined;
  const cb = at(skb, "cb");
  const qdisc = btf.findByNameKind("qdisc_skb_cb", BtfKind.STRUCT);
  if (cb === undefined) cbMissing = "struct sk_buff has no cb";
  else if (qdisc === undefined) cbMissing = "the kernel's BTF has no struct qdisc_skb_cb";
  else {
    const data = at(qdisc, "data");
    if (data === undefined) cbMissing = "struct qdisc_skb_cb has no data";
    else cbData = cb + data;
  }
  let end: { off: number; size: 4 | 8 } | undefined;
  const endM = findMember(btf, skb, "end");
  if (endM && !endM.member.bitfieldSize && endM.bitsOffset % 8 === 0) {
    const size = sizeOf(btf, endM.member.type);
    if (size === 4 || size === 8) end = { off: endM.bitsOffset / 8, size };
  }
  const shinfo = btf.findByNameKind("skb_shared_info", BtfKind.STRUCT);
  const opt = <K extends string>(k: K, v: number | SkbBits | undefined): Partial<Record<K, number | SkbBits>> => (v === undefined ? {} : ({ [k]: v } as Record<K, number | SkbBits>));
  return {
    minNapiId,
    ...opt("len", at(skb, "len")),
    ...opt("pktType", bits("pkt_type")),
    ...opt("mark", at(skb, "mark")),
    ...opt("queueMapping", at(skb, "queue_mapping")),
    ...opt("protocol", at(skb, "protocol")),
    ...opt("vlanAll", at(skb, "vlan_all")),
    ...opt("vlanTci", at(skb, "vlan_tci")),
    ...opt("vlanProto", at(skb, "vlan_proto")),
    ...opt("priority", at(skb, "priority")),
    ...opt("skbIif", at(skb, "skb_iif")),
    ...opt("dev", dev && !dev.member.bitfieldSize ? dev.bitsOffset / 8 : undefined),
    ...opt("devIfindex", devIfindex),
    ...opt("hash", at(skb, "hash")),
    ...opt("tcIndex", at(skb, "tc_index")),
    ...opt("napiId", at(skb, "napi_id")),
    ...(cbData === undefined ? { cbMissing: cbMissing! } : { cbData }),
    ...opt("head", at(skb, "head")),
    ...(end ? { end } : {}),
    ...opt("shinfoGsoSegs", shinfo === undefined ? undefined : at(shinfo, "gso_segs")),
    ...opt("shinfoGsoSize", shinfo === undefined ? undefined : at(shinfo, "gso_size")),
  } as SkbLayout;
}

/** One verified context access, as convert_ctx_accesses sees it. */
export interface CtxAccess {
  /** Offset into the context (the instruction's offset; the pointer has none). */
  readonly off: number;
  readonly size: number;
  readonly write: boolean;
  readonly signExtend: boolean;
}

const SIZE_CODE: Readonly<Record<number, number>> = { 1: Size.B, 2: Size.H, 4: Size.W, 8: Size.DW };
const ldx = (size: number, dst: number, src: number, off: number): Instruction => ({ opcode: Class.LDX | Mode.MEM | SIZE_CODE[size]!, dst, src, off, imm: 0 });
const alu32 = (op: number, dst: number, imm: number): Instruction => ({ opcode: Class.ALU | op | Source.K, dst, src: 0, off: 0, imm });
const mov64 = (dst: number, imm: number): Instruction => ({ opcode: Class.ALU64 | AluOp.MOV | Source.K, dst, src: 0, off: 0, imm });
const jmpImm = (op: number, dst: number, imm: number, off: number): Instruction => ({ opcode: Class.JMP | op | Source.K, dst, src: 0, off, imm });

/** An instruction of a converted access: whether it reads or writes the kernel's sk_buff memory. */
export interface ConvertedInsn {
  readonly insn: Instruction;
  /** 1: a load from kernel memory (BPF_PROBE_MEM-like); 2: a store to kernel memory. */
  readonly kernel?: 1 | 2;
}

/**
 * The instructions that replace `insn`, a verified access `a` of the
 * __sk_buff, on a kernel whose sk_buff is laid out as `layout`; or why it
 * cannot be converted (the BTF lacks what the field reads).
 */
export function convertSkbAccess(layout: SkbLayout, a: CtxAccess, insn: Instruction): ConvertedInsn[] | string {
  const d = insn.dst;
  const s = insn.src;
  const out: ConvertedInsn[] = [];
  const k = (i: Instruction): void => void out.push({ insn: i, kernel: 1 });
  const p = (i: Instruction): void => void out.push({ insn: i });
  const missing = (field: string, what: string): string => `cannot convert __sk_buff->${field}: the kernel's BTF has no ${what}`;
  if (a.off >= CB && a.off < CB_END) {
    // cb[] is qdisc_skb_cb's data inside skb->cb, accessed with the program's own size.
    if (layout.cbData === undefined) return `cannot convert __sk_buff->cb: ${layout.cbMissing ?? "no cb layout"}`;
    const off = layout.cbData + (a.off - CB);
    if (a.write) {
      const code = (insn.opcode & ~0xe0 & ~0x18) | Mode.MEM | SIZE_CODE[a.size]!;
      out.push({ insn: { ...insn, opcode: code, off }, kernel: 2 });
    } else {
      k(ldx(a.size, d, s, off));
      if (a.signExtend && a.size < 8) p({ opcode: Class.ALU64 | AluOp.MOV | Source.X, dst: d, src: d, off: a.size * 8, imm: 0 });
    }
    return out;
  }
  const f = skBuffField(a.off);
  if (!f || a.write) return `cannot convert the __sk_buff access off=${a.off} size=${a.size}`;
  // The field is loaded whole; its value has `target` significant bytes.
  let target = 4;
  const plain = (v: number | undefined, size: number, what: string): string | undefined => {
    if (v === undefined) return missing(f.name, what);
    k(ldx(size, d, s, v));
    target = size;
    return undefined;
  };
  let err: string | undefined;
  switch (f.name) {
    case "len":
      err = plain(layout.len, 4, "sk_buff.len");
      break;
    case "protocol":
      err = plain(layout.protocol, 2, "sk_buff.protocol");
      break;
    case "vlan_proto":
      err = plain(layout.vlanProto, 2, "sk_buff.vlan_proto");
      break;
    case "vlan_tci":
      err = plain(layout.vlanTci, 2, "sk_buff.vlan_tci");
      break;
    case "queue_mapping":
      err = plain(layout.queueMapping, 2, "sk_buff.queue_mapping");
      break;
    case "priority":
      err = plain(layout.priority, 4, "sk_buff.priority");
      break;
    case "ingress_ifindex":
      err = plain(layout.skbIif, 4, "sk_buff.skb_iif");
      break;
    case "hash":
      err = plain(layout.hash, 4, "sk_buff.hash");
      break;
    case "mark":
      err = plain(layout.mark, 4, "sk_buff.mark");
      break;
    case "pkt_type": {
      const b = layout.pktType;
      if (!b) return missing(f.name, "sk_buff.pkt_type bitfield");
      k(ldx(1, d, s, b.byteOff));
      if (b.shift) p(alu32(AluOp.RSH, d, b.shift));
      p(alu32(AluOp.AND, d, b.mask));
      target = 1;
      break;
    }
    case "vlan_present":
      if (layout.vlanAll === undefined) return missing(f.name, "sk_buff.vlan_all");
      k(ldx(4, d, s, layout.vlanAll));
      p(jmpImm(JmpOp.JEQ, d, 0, 1));
      p(alu32(AluOp.MOV, d, 1));
      break;
    case "ifindex":
      // skb->dev->ifindex, 0 when the skb has no device.
      if (layout.dev === undefined || layout.devIfindex === undefined) return missing(f.name, "sk_buff.dev->ifindex");
      k(ldx(8, d, s, layout.dev));
      p(jmpImm(JmpOp.JEQ, d, 0, 1));
      k(ldx(4, d, d, layout.devIfindex));
      break;
    case "tc_index":
      // Without CONFIG_NET_SCHED the kernel reads 0.
      if (layout.tcIndex === undefined) p(mov64(d, 0));
      else k(ldx(2, d, s, layout.tcIndex));
      target = 2;
      break;
    case "napi_id":
      if (layout.napiId === undefined) p(mov64(d, 0));
      else {
        k(ldx(4, d, s, layout.napiId));
        p(jmpImm(JmpOp.JGE, d, layout.minNapiId, 1));
        p(mov64(d, 0));
      }
      break;
    case "gso_segs":
    case "gso_size": {
      // skb_shinfo(skb): skb->head + skb->end when end is an offset (the kernel's scratch register AX holds it), else skb->end.
      const field = f.name === "gso_segs" ? layout.shinfoGsoSegs : layout.shinfoGsoSize;
      if (field === undefined) return missing(f.name, `skb_shared_info.${f.name}`);
      if (layout.end === undefined || (layout.end.size === 4 && layout.head === undefined)) return missing(f.name, "sk_buff.head and sk_buff.end");
      if (layout.end.size === 4) {
        k(ldx(4, BPF_REG_AX, s, layout.end.off));
        k(ldx(8, d, s, layout.head!));
        p({ opcode: Class.ALU64 | AluOp.ADD | Source.X, dst: d, src: BPF_REG_AX, off: 0, imm: 0 });
      } else k(ldx(8, d, s, layout.end.off));
      k(ldx(2, d, d, field));
      target = 2;
      break;
    }
    default:
      return `cannot convert __sk_buff->${f.name}`;
  }
  if (err) return err;
  // Narrow loads (bpf_ctx_narrow_access_offset): shift the wanted bytes down and mask them.
  if (a.size < 4 && a.size < target) {
    const shift = (a.off & 3) * 8;
    if (shift) p(alu32(AluOp.RSH, d, shift));
    p(alu32(AluOp.AND, d, a.size === 1 ? 0xff : 0xffff));
  }
  if (a.signExtend && a.size < 8) p({ opcode: Class.ALU64 | AluOp.MOV | Source.X, dst: d, src: d, off: a.size * 8, imm: 0 });
  return out;
}
