// The BPF iterator programs `btfsnoop iter` loads: one per target, built
// with ProgramBuilder like the tracing programs. Each one reads its context
// (struct bpf_iter__<target>), prints a header when meta->seq_num is 0,
// tests the object pointer for NULL (the epilogue) and prints one line per
// object with bpf_seq_printf (constant text with bpf_seq_write). Field
// offsets come from the kernel's BTF, so the verifier checks every load
// against the struct it reads.
//
// Text formats:
//   task        bpftool's bpf_iter_task example:  "    tgid      pid comm"
//   task/file   the selftests' bpf_iter_task_file plus the file's name:
//               "    tgid      pid       fd      inode name"
//   bpf_map     the selftests' bpf_iter_bpf_map ("id refcnt usercnt locked_vm")
//               plus type and name
//   bpf_prog    "      id     type  insns refcnt name"
//   netlink     /proc/net/netlink (net/netlink/af_netlink.c netlink_seq_show)
//   ipv6_route  /proc/net/ipv6_route (net/ipv6/route.c ipv6_route_native_seq_show)
// JSON: one object per line with the same values.
import type { Btf } from "../btf/btf.js";
import { BtfKind } from "../btf/kinds.js";
import { sizeOf } from "../btf/layout.js";
import { resolveMemberPath } from "../btf/members.js";
import { HelperId } from "../vm/helpers/protos.js";
import { ProgramBuilder } from "../vm/isa/builder.js";
import type { Instruction } from "../vm/isa/instruction.js";
import { JmpOp, Size, type Register } from "../vm/isa/opcodes.js";
import type { IterTargetName } from "../vm/verifier/iter-prog-types.js";

export type IterFormat = "text" | "json";

/** Stack layout: format strings at FMT, the u64 argument array at DATA, scratch at TMP. */
const FMT = -256;
const DATA = -352;
const TMP = -360;
const SIZES: Record<number, 1 | 2 | 4 | 8> = { 1: 1, 2: 2, 4: 4, 8: 8 };
const SIZE_CODE = { 1: Size.B, 2: Size.H, 4: Size.W, 8: Size.DW } as const;

/** Emits the value of one printf argument into r1. */
type Arg = (b: ProgramBuilder) => void;

class Gen {
  readonly b = new ProgramBuilder();
  private n = 0;
  constructor(readonly btf: Btf) {}

  field(type: string, path: string): { off: number; size: 1 | 2 | 4 | 8 } {
    const id = this.btf.findByNameKind(type, BtfKind.STRUCT);
    if (id === undefined) throw new Error(`no struct ${type}`);
    const r = resolveMemberPath(this.btf, id, path);
    const size = SIZES[sizeOf(this.btf, r.member.type)] ?? 8;
    return { off: r.bitsOffset / 8, size };
  }

  /** r1 = *(base + type.path) (a checked BTF load). */
  load(base: Register, type: string, path: string): Arg {
    const f = this.field(type, path);
    return (b) => b.ldx(SIZE_CODE[f.size], 1, base, f.off);
  }

  /** r1 = base + offset of type.path (an address for %s / %pi6). */
  addr(base: Register, type: string, path: string, extra = 0): Arg {
    const f = this.field(type, path);
    return (b) => b.mov64(1, base).add64Imm(1, f.off + extra);
  }

  /** Writes `s` + NUL to the stack at FMT; returns its size. */
  private str(s: string): number {
    const bytes = Buffer.from(s + "\0", "latin1");
    const len = Math.ceil(bytes.length / 8) * 8;
    if (len > -FMT - 104) throw new Error(`format too long: ${s}`);
    const padded = Buffer.alloc(len);
    bytes.copy(padded);
    for (let i = 0; i < len; i += 8) this.b.lddw(1, padded.readBigUInt64LE(i)).stx(Size.DW, 10, FMT + i, 1);
    return bytes.length;
  }

  /** bpf_seq_printf(seq (r7), fmt, args). */
  printf(fmt: string, args: readonly Arg[]): this {
    args.forEach((a, i) => {
      a(this.b);
      this.b.stx(Size.DW, 10, DATA + 8 * i, 1);
    });
    const len = this.str(fmt);
    this.b.mov64(1, 7).mov64(2, 10).add64Imm(2, FMT).mov64Imm(3, len);
    if (args.length) this.b.mov64(4, 10).add64Imm(4, DATA).mov64Imm(5, args.length * 8);
    else this.b.mov64Imm(4, 0).mov64Imm(5, 0);
    this.b.call(HelperId.seq_printf!);
    return this;
  }

  /** bpf_seq_write(seq (r7), text, len): constant text. */
  write(text: string): this {
    const len = this.str(text) - 1;
    this.b.mov64(1, 7).mov64(2, 10).add64Imm(2, FMT).mov64Imm(3, len).call(HelperId.seq_write!);
    return this;
  }

  /** *(u64 *)(fp + TMP) = *(size *)(r1 + 0) via bpf_probe_read_kernel; then r1 = that value. */
  probe(addrOf: Arg, size: number): Arg {
    return (b) => {
      b.st(Size.DW, 10, TMP, 0);
      addrOf(b);
      b.mov64(3, 1).mov64(1, 10).add64Imm(1, TMP).mov64Imm(2, size).call(HelperId.probe_read_kernel!);
      b.ldx(Size.DW, 1, 10, TMP);
    };
  }

  label(): string {
    return `l${this.n++}`;
  }
}

/**
 * Generates the iterator program for `target`. Registers: r6 = ctx,
 * r7 = meta->seq, r8 = the object (after its NULL test), r9 = task/file's file.
 */
export function generateIterProgram(target: IterTargetName, btf: Btf, format: IterFormat = "text"): Instruction[] {
  const g = new Gen(btf);
  const b = g.b;
  const json = format === "json";
  b.mov64(6, 1).ldx(Size.DW, 2, 6, 0).ldx(Size.DW, 7, 2, 0); // r7 = ctx->meta->seq
  const header = (text: string, end?: string): void => {
    const skip = g.label();
    b.ldx(Size.DW, 1, 6, 0).ldx(Size.DW, 1, 1, 16).jmpImm(JmpOp.JNE, 1, 0, skip); // meta->seq_num
    if (!json && text) g.write(text);
    b.label(skip);
    b.ldx(Size.DW, 8, 6, 8).jmpImm(JmpOp.JNE, 8, 0, "have_obj");
    if (end !== undefined && !json) g.write(end);
    b.mov64Imm(0, 0).exit().label("have_obj");
  };
  switch (target) {
    case "task":
      header("    tgid      pid comm\n", "    === END ===\n");
      g.printf(json ? '{"tgid":%d,"pid":%d,"comm":"%s"}\n' : "%8d %8d %s\n", [
        g.load(8, "task_struct", "tgid"),
        g.load(8, "task_struct", "pid"),
        g.addr(8, "task_struct", "comm"),
      ]);
      break;
    case "task/file":
      header("    tgid      pid       fd      inode name\n");
      b.ldx(Size.DW, 9, 6, 24);
      b.jmpImm(JmpOp.JNE, 9, 0, "have_file").mov64Imm(0, 0).exit().label("have_file");
      b.ldx(Size.DW, 1, 9, g.field("file", "f_path.dentry").off).stx(Size.DW, 10, TMP - 8, 1);
      g.printf(json ? '{"tgid":%d,"pid":%d,"fd":%u,"inode":%lu,"name":"%s"}\n' : "%8d %8d %8u %10lu %s\n", [
        g.load(8, "task_struct", "tgid"),
        g.load(8, "task_struct", "pid"),
        (bb) => bb.ldx(Size.W, 1, 6, 16),
        (bb) => bb.ldx(Size.DW, 1, 9, g.field("file", "f_inode").off).ldx(Size.DW, 1, 1, g.field("inode", "i_ino").off),
        (bb) => bb.ldx(Size.DW, 1, 10, TMP - 8).ldx(Size.DW, 1, 1, g.field("dentry", "d_name.name").off),
      ]);
      break;
    case "bpf_map":
      header("      id   refcnt  usercnt  locked_vm type name\n", "      %%% END %%%\n");
      g.printf(json ? '{"id":%u,"refcnt":%ld,"usercnt":%ld,"locked_vm":%lu,"type":%u,"name":"%s"}\n' : "%8u %8ld %8ld %10lu %4u %s\n", [
        g.load(8, "bpf_map", "id"),
        g.load(8, "bpf_map", "refcnt.counter"),
        g.load(8, "bpf_map", "usercnt.counter"),
        (bb) => bb.mov64Imm(1, 0),
        g.load(8, "bpf_map", "map_type"),
        g.addr(8, "bpf_map", "name"),
      ]);
      break;
    case "bpf_prog":
      header("      id     type  insns   refcnt name\n");
      b.ldx(Size.DW, 9, 8, g.field("bpf_prog", "aux").off);
      g.printf(json ? '{"id":%u,"type":%u,"insns":%u,"refcnt":%ld,"name":"%s"}\n' : "%8u %8u %6u %8ld %s\n", [
        g.load(9, "bpf_prog_aux", "id"),
        g.load(8, "bpf_prog", "type"),
        g.load(8, "bpf_prog", "len"),
        g.load(9, "bpf_prog_aux", "refcnt.counter"),
        g.addr(9, "bpf_prog_aux", "name"),
      ]);
      break;
    case "netlink": {
      header("sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode\n");
      const nl = "netlink_sock";
      const groups: Arg = (bb) => {
        const none = g.label();
        bb.mov64Imm(1, 0).stx(Size.DW, 10, TMP - 16, 1);
        bb.ldx(Size.DW, 3, 8, g.field(nl, "groups").off).jmpImm(JmpOp.JEQ, 3, 0, none);
        bb.mov64(1, 10).add64Imm(1, TMP - 16).mov64Imm(2, 4).call(HelperId.probe_read_kernel!);
        bb.label(none).ldx(Size.W, 1, 10, TMP - 16);
      };
      const ino: Arg = (bb) =>
        bb
          .ldx(Size.DW, 1, 8, g.field(nl, "sk.sk_socket").off)
          .ldx(Size.DW, 1, 1, g.field("socket", "file").off)
          .ldx(Size.DW, 1, 1, g.field("file", "f_inode").off)
          .ldx(Size.DW, 1, 1, g.field("inode", "i_ino").off);
      const wmem: Arg = (bb) => bb.ldx(Size.W, 1, 8, g.field(nl, "sk.sk_wmem_alloc.refs.counter").off).sub32Imm(1, 1);
      g.printf(
        json
          ? '{"sk":"%pK","eth":%d,"pid":%u,"groups":"%08x","rmem":%d,"wmem":%d,"dump":%d,"locks":%d,"drops":%u,"inode":%lu}\n'
          : "%pK %-3d %-10u %08x %-8d %-8d %-5d %-8d %-8u %-8lu\n",
        [
          (bb) => bb.mov64(1, 8),
          g.load(8, nl, "sk.sk_protocol"),
          g.load(8, nl, "portid"),
          groups,
          g.load(8, nl, "sk.sk_backlog.rmem_alloc.counter"),
          wmem,
          g.load(8, nl, "cb_running"),
          g.load(8, nl, "sk.__sk_common.skc_refcnt.refs.counter"),
          g.load(8, nl, "sk.sk_drops.counter"),
          ino,
        ],
      );
      break;
    }
    case "ipv6_route": {
      header("");
      const rt = "fib6_info";
      const nh = g.field(rt, "fib6_nh").off;
      const nhc = (path: string) => nh + g.field("fib6_nh", `nh_common.${path}`).off;
      // fib6_nh[] is a flexible array: its fields are read with bpf_probe_read_kernel, as the selftest does.
      const gwFamily = g.probe((bb) => bb.mov64(1, 8).add64Imm(1, nhc("nhc_gw_family")), 1);
      const devName: Arg = (bb) => {
        g.probe((b2) => b2.mov64(1, 8).add64Imm(1, nhc("nhc_dev")), 8)(bb);
        bb.add64Imm(1, g.field("net_device", "name").off);
      };
      // flags |= RTF_GATEWAY when the next hop has a gateway.
      gwFamily(b);
      b.stx(Size.DW, 10, TMP - 24, 1);
      const flags: Arg = (bb) => {
        const noGw = g.label();
        g.load(8, rt, "fib6_flags")(bb);
        bb.ldx(Size.DW, 2, 10, TMP - 24).jmpImm(JmpOp.JEQ, 2, 0, noGw).or32Imm(1, 2).label(noGw);
      };
      if (json) {
        g.printf('{"dst":"%pi6","dst_len":%u,"src":"%pi6","src_len":%u,"gateway":"%pi6",', [
          g.addr(8, rt, "fib6_dst.addr"),
          g.load(8, rt, "fib6_dst.plen"),
          g.addr(8, rt, "fib6_src.addr"),
          g.load(8, rt, "fib6_src.plen"),
          (bb) => bb.mov64(1, 8).add64Imm(1, nhc("nhc_gw")),
        ]);
        g.printf('"metric":%u,"refcnt":%u,"use":%u,"flags":"%08x","dev":"%s"}\n', [
          g.load(8, rt, "fib6_metric"),
          g.load(8, rt, "fib6_ref.refs.counter"),
          (bb) => bb.mov64Imm(1, 0),
          flags,
          devName,
        ]);
        break;
      }
      g.printf("%pi6 %02x %pi6 %02x ", [g.addr(8, rt, "fib6_dst.addr"), g.load(8, rt, "fib6_dst.plen"), g.addr(8, rt, "fib6_src.addr"), g.load(8, rt, "fib6_src.plen")]);
      const noGw = g.label();
      const gwDone = g.label();
      b.ldx(Size.DW, 1, 10, TMP - 24).jmpImm(JmpOp.JEQ, 1, 0, noGw);
      g.printf("%pi6", [(bb) => bb.mov64(1, 8).add64Imm(1, nhc("nhc_gw"))]);
      b.ja(gwDone).label(noGw);
      g.write("00000000000000000000000000000000");
      b.label(gwDone);
      g.printf(" %08x %08x %08x %08x %8s\n", [g.load(8, rt, "fib6_metric"), g.load(8, rt, "fib6_ref.refs.counter"), (bb) => bb.mov64Imm(1, 0), flags, devName]);
      break;
    }
  }
  b.mov64Imm(0, 0).exit();
  return b.link();
}
