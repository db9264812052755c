// Tests of spec resolution (resolve.ts) against the synthetic kernel, the
// real Linux 6.18 BTF and a hand-built BTF: access paths, types, predicates,
// stash mode, globs and every error message.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { Btf } from "../btf/btf.js";
import { BtfKind, IntEncoding } from "../btf/kinds.js";
import { parseBtf } from "../btf/parse.js";
import type { BtfType, TypeId } from "../btf/types.js";
import { bootSyntheticKernel } from "../syscall/boot.js";
import { parseSpec } from "./parse.js";
import { MAX_DATA, MAX_HOPS, MAX_PRED, MAX_PRED_STR, MAX_VALUES, type ProbePlan, type TargetPlan } from "./plan.js";
import { MAX_PRED as CODEGEN_MAX_PRED, MAX_PRED_STR as CODEGEN_MAX_PRED_STR } from "../codegen/layout.js";
import { MAX_STRING, resolveSpec, resolveSpecs, type ResolveContext } from "./resolve.js";
import { SpecResolveError } from "./resolve-error.js";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "test", "fixtures");

function synthetic(): ResolveContext {
  const { kernel, bpf } = bootSyntheticKernel({ seed: 1 });
  return { btf: kernel.btf, functions: bpf.kallsyms() };
}

function linux618(): ResolveContext {
  const btf = parseBtf(gunzipSync(readFileSync(join(FIXTURES, "vmlinux-6.18", "vmlinux.btf.gz"))));
  const functions = btf.idsOfKind(BtfKind.FUNC).map((id, i) => ({ name: btf.nameOf(id), address: 0xffffffff81000000n + BigInt(i) * 16n }));
  return { btf, functions };
}

function resolve(ctx: ResolveContext, text: string): ProbePlan {
  return resolveSpec(parseSpec(text), ctx);
}

function target(ctx: ResolveContext, text: string): TargetPlan {
  const plan = resolve(ctx, text);
  expect(plan.targets).toHaveLength(1);
  return plan.targets[0]!;
}

function resolveError(ctx: ResolveContext, text: string): SpecResolveError {
  try {
    resolve(ctx, text);
  } catch (e) {
    if (e instanceof SpecResolveError) return e;
    throw e;
  }
  throw new Error(`'${text}' resolved`);
}

// Independent layout helpers: walk the BTF records directly.
function id(btf: Btf, name: string, kind: number): TypeId {
  const found = btf.findByNameKind(name, kind);
  if (found === undefined) throw new Error(`no ${name}`);
  return found;
}

function strip(btf: Btf, tid: TypeId): TypeId {
  for (;;) {
    const t = btf.typeById(tid);
    if (t.kind === BtfKind.TYPEDEF || t.kind === BtfKind.CONST || t.kind === BtfKind.VOLATILE || t.kind === BtfKind.RESTRICT || t.kind === BtfKind.TYPE_TAG) tid = t.type;
    else return tid;
  }
}

/** Bit offset, type and bitfield size of member `name` of struct/union `sid`, looking inside anonymous members. */
function member(btf: Btf, sid: TypeId, name: string): { bits: number; type: TypeId; bitfieldSize: number } {
  const walk = (tid: TypeId, base: number): { bits: number; type: TypeId; bitfieldSize: number } | undefined => {
    const t = btf.typeById(strip(btf, tid));
    if (t.kind !== BtfKind.STRUCT && t.kind !== BtfKind.UNION) return undefined;
    for (const m of t.members) {
      if (m.name === name) return { bits: base + m.bitsOffset, type: m.type, bitfieldSize: m.bitfieldSize };
      if (m.name === "") {
        const inner = walk(m.type, base + m.bitsOffset);
        if (inner) return inner;
      }
    }
    return undefined;
  };
  const found = walk(sid, 0);
  if (!found) throw new Error(`no member ${name}`);
  return found;
}

function sizeOfStruct(btf: Btf, sid: TypeId): number {
  const t = btf.typeById(sid);
  if (t.kind !== BtfKind.STRUCT && t.kind !== BtfKind.UNION) throw new Error("not a struct");
  return t.size;
}

function param(btf: Btf, func: string, i: number): TypeId {
  const f = btf.typeById(id(btf, func, BtfKind.FUNC));
  if (f.kind !== BtfKind.FUNC) throw new Error("not a func");
  const p = btf.typeById(f.type);
  if (p.kind !== BtfKind.FUNC_PROTO) throw new Error("not a proto");
  return p.params[i]!.type;
}

function pointee(btf: Btf, ptr: TypeId): TypeId {
  const t = btf.typeById(strip(btf, ptr));
  if (t.kind !== BtfKind.PTR) throw new Error("not a pointer");
  return t.type;
}

/** Per kernel: a void function with an `enum skb_drop_reason reason` argument, and its arguments. */
const KERNELS = [
  { label: "synthetic kernel", make: synthetic, drop: "kfree_skb_reason", dropParams: ["skb", "reason"] },
  { label: "Linux 6.18 BTF", make: linux618, drop: "sk_skb_reason_drop", dropParams: ["sk", "skb", "reason"] },
];

describe.each(KERNELS)("resolveSpec against the $label", ({ make, drop, dropParams }) => {
  let ctx: ResolveContext;
  let btf: Btf;
  let skb: TypeId;
  let sock: TypeId;
  beforeAll(() => {
    ctx = make();
    btf = ctx.btf;
    skb = id(btf, "sk_buff", BtfKind.STRUCT);
    sock = id(btf, "sock", BtfKind.STRUCT);
  });

  it("fills the target from BTF and kallsyms", () => {
    const t = target(ctx, "ip_send_skb(skb)");
    const func = id(btf, "ip_send_skb", BtfKind.FUNC);
    expect(t.name).toBe("ip_send_skb");
    expect(t.btfId).toBe(func);
    expect(t.ip).toBe(ctx.functions.find((f) => f.name === "ip_send_skb")!.address);
    expect(t.nargs).toBe(2);
    expect(t.params).toEqual([
      { name: "net", typeId: param(btf, "ip_send_skb", 0) },
      { name: "skb", typeId: param(btf, "ip_send_skb", 1) },
    ]);
    expect(btf.typeById(t.retTypeId).name).toBe("int");
    expect(resolve(ctx, "ip_send_skb").mechanism).toBe("fentry");
    expect(resolve(ctx, "kprobe:ip_send_skb").mechanism).toBe("kprobe");
  });

  it("ip_send_skb(skb->sk): a pointer member read through the argument register", () => {
    const t = target(ctx, "ip_send_skb(skb->sk)");
    const m = member(btf, skb, "sk");
    expect(t.values).toEqual([
      {
        name: "skb->sk",
        when: "entry",
        source: "arg",
        argIndex: 1,
        hops: [],
        final: { kind: "memory", offset: m.bits / 8 },
        size: 8,
        typeId: m.type,
        signed: false,
        castTarget: skb,
        pointee: { typeId: sock, size: Math.min(sizeOfStruct(btf, sock), MAX_DATA), string: false },
        show: true,
      },
    ]);
    expect(m.bits / 8).toBe(24);
    expect(t.predicate).toBeUndefined();
    expect(t.stash).toBe(false);
    expect(t.onEntry).toBe(true);
    expect(t.onReturn).toBe(false);
  });

  it("tcp_sendmsg(sk->__sk_common.skc_dport): nested and anonymous members", () => {
    const t = target(ctx, "tcp_sendmsg(sk->__sk_common.skc_dport)");
    const common = member(btf, sock, "__sk_common");
    const dport = member(btf, strip(btf, common.type), "skc_dport");
    const v = t.values[0]!;
    expect(v.final).toEqual({ kind: "memory", offset: (common.bits + dport.bits) / 8 });
    expect(v.final).toEqual({ kind: "memory", offset: 12 });
    expect(v.hops).toEqual([]);
    expect(v.argIndex).toBe(0);
    expect(v.typeId).toBe(dport.type);
    expect(v.size).toBe(2);
    expect(v.castTarget).toBe(sock);
    expect(v.signed).toBe(false);
    expect(v.pointee).toBeUndefined();
  });

  it("ip_send_skb(skb->len > 128, skb): predicate values shown, no stash", () => {
    const t = target(ctx, "ip_send_skb(skb->len > 128, skb)");
    expect(t.values.map((v) => v.name)).toEqual(["skb->len", "skb"]);
    expect(t.values[0]!.final).toEqual({ kind: "memory", offset: member(btf, skb, "len").bits / 8 });
    expect(t.values[0]!.size).toBe(4);
    expect(t.values[0]!.show).toBe(true);
    expect(t.values[1]).toMatchObject({ final: { kind: "register" }, size: 8, pointee: { typeId: skb, string: false } });
    expect(t.values[1]!.castTarget).toBeUndefined();
    expect(t.predicate).toEqual({ kind: "cmp", value: 0, op: ">", constant: 128n, signed: false });
    expect(t.stash).toBe(false);
    expect(t.onEntry).toBe(true);
    expect(t.onReturn).toBe(false);
  });

  it("sock_sendmsg(sock, return != 0): stash mode", () => {
    const t = target(ctx, "sock_sendmsg(sock, return != 0)");
    expect(t.values.map((v) => [v.name, v.when, v.source])).toEqual([
      ["sock", "entry", "arg"],
      ["return", "return", "ret"],
    ]);
    expect(t.predicate).toEqual({ kind: "cmp", value: 1, op: "!=", constant: 0n, signed: true });
    expect(t.stash).toBe(true);
    expect(t.onEntry).toBe(true);
    expect(t.onReturn).toBe(true);
  });

  it("skb->dev->name == \"lo\": a string predicate through a pointer hop", () => {
    const t = target(ctx, 'ip_send_skb(skb->dev->name == "lo")');
    const dev = member(btf, skb, "dev");
    const netdev = id(btf, "net_device", BtfKind.STRUCT);
    const name = member(btf, netdev, "name");
    const v = t.values[0]!;
    // skb is a register (the base); skb->dev is loaded (hop 1); name is read at dev + offset.
    expect(v.hops).toEqual([dev.bits / 8]);
    expect(v.final).toEqual({ kind: "memory", offset: name.bits / 8 });
    expect(v.size).toBe(16);
    expect(v.castTarget).toBe(skb);
    expect(t.predicate).toEqual({ kind: "str", value: 0, op: "==", text: "lo" });
  });

  it("three levels of pointers: skb->sk->sk_socket->file", () => {
    const t = target(ctx, "ip_send_skb(skb->sk->sk_socket->file)");
    const socket = id(btf, "socket", BtfKind.STRUCT);
    expect(t.values[0]!.hops).toEqual([member(btf, skb, "sk").bits / 8, member(btf, sock, "sk_socket").bits / 8]);
    expect(t.values[0]!.final).toEqual({ kind: "memory", offset: member(btf, socket, "file").bits / 8 });
  });

  it("return < 0 compares signed", () => {
    const t = target(ctx, "ip_send_skb(return < 0)");
    expect(t.values).toEqual([
      { name: "return", when: "return", source: "ret", argIndex: 0, hops: [], final: { kind: "register" }, size: 4, typeId: t.retTypeId, signed: true, show: true },
    ]);
    expect(t.predicate).toEqual({ kind: "cmp", value: 0, op: "<", constant: 0n, signed: true });
    expect(t.stash).toBe(false);
    expect(t.onEntry).toBe(false);
    expect(t.onReturn).toBe(true);
    // A negative literal is its u64 bit pattern.
    expect(target(ctx, "ip_send_skb(return == -22)").predicate).toMatchObject({ constant: 0xffffffffffffffean });
  });

  it("compares char literals and NULL", () => {
    const t = target(ctx, "ip_send_skb(skb->cb[0] == 'a' && !(skb->sk == NULL))");
    // char is signed in the synthetic kernel, unsigned in 6.18 (-funsigned-char since 6.2): as its BTF says.
    const char = btf.typeById(strip(btf, t.values[0]!.typeId));
    const charSigned = char.kind === BtfKind.INT && (char.encoding & IntEncoding.SIGNED) !== 0;
    expect(t.values.map((v) => [v.name, v.signed])).toEqual([
      ["skb->cb[0]", charSigned],
      ["skb->sk", false],
    ]);
    expect(t.predicate).toEqual({
      kind: "and",
      left: { kind: "cmp", value: 0, op: "==", constant: 97n, signed: charSigned },
      right: { kind: "not", operand: { kind: "cmp", value: 1, op: "==", constant: 0n, signed: false } },
    });
  });

  it("compares enums by enumerator name", () => {
    const t = target(ctx, `${drop}(reason == SKB_DROP_REASON_NO_SOCKET)`);
    const e = btf.typeById(id(btf, "skb_drop_reason", BtfKind.ENUM));
    if (e.kind !== BtfKind.ENUM) throw new Error("not an enum");
    const value = e.values.find((v) => v.name === "SKB_DROP_REASON_NO_SOCKET")!.value;
    expect(t.predicate).toEqual({ kind: "cmp", value: 0, op: "==", constant: BigInt(value), signed: false });
    expect(t.values[0]!.final).toEqual({ kind: "register" });
  });

  it("extracts bitfields", () => {
    const t = target(ctx, "ip_send_skb(skb->pkt_type == 1)");
    const m = member(btf, skb, "pkt_type");
    const v = t.values[0]!;
    expect(v.final).toEqual({ kind: "memory", offset: Math.floor(m.bits / 8) });
    expect(v.bitfield).toEqual({ bitOffset: m.bits % 8, bitSize: 3 });
    expect(v.size).toBe(1);
    expect(v.signed).toBe(false);
  });

  it("a bare name captures every argument and the return value", () => {
    const t = target(ctx, "tcp_sendmsg");
    expect(t.values.map((v) => [v.name, v.when, v.argIndex, v.final.kind])).toEqual([
      ["sk", "entry", 0, "register"],
      ["msg", "entry", 1, "register"],
      ["size", "entry", 2, "register"],
      ["return", "return", 0, "register"],
    ]);
    expect(t.values.every((v) => v.show)).toBe(true);
    expect(t.onEntry && t.onReturn).toBe(true);
    expect(t.stash).toBe(false);
    // void functions have no return value, but still trace their return.
    const k = target(ctx, drop);
    expect(k.values.map((v) => v.name)).toEqual(dropParams);
    expect(k.retTypeId).toBe(0);
    expect(k.onReturn).toBe(true);
  });

  it("expands globs to sorted, unique traceable functions", () => {
    const plan = resolve(ctx, "{ip,ip6}_send_skb");
    expect(plan.targets.map((t) => t.name)).toEqual(["ip6_send_skb", "ip_send_skb"]);
    expect(plan.targets[1]!.values.map((v) => v.name)).toEqual(["net", "skb", "return"]);
  });

  it("explains unknown names with suggestions", () => {
    expect(resolveError(ctx, "ip_sendskb").message).toBe("no function 'ip_sendskb' in the kernel; did you mean 'ip_send_skb'?");
    expect(resolveError(ctx, "ip_sendskb").errno).toBe("ENOENT");
    expect(resolveError(ctx, "ip_send_skb(skbb)").message).toBe("no argument 'skbb' in ip_send_skb(struct net *net, struct sk_buff *skb); did you mean 'skb'?");
    expect(resolveError(ctx, "ip_send_skb(skb->lenn)").message).toBe("no member 'lenn' in struct sk_buff; did you mean 'len'?");
    const e = resolveError(ctx, `${drop}(reason == SKB_DROP_REASON_NO_SOCKT)`);
    expect(e.message).toBe("no enumerator 'SKB_DROP_REASON_NO_SOCKT' in the BTF (enum skb_drop_reason); did you mean 'SKB_DROP_REASON_NO_SOCKET'?");
    expect(e.errno).toBe("ENOENT");
    expect(resolveError(ctx, "zzqx_*").message).toBe("no traceable function matches 'zzqx_*'");
  });

  it("type-checks every step", () => {
    const cases: [string, string][] = [
      ["tcp_sendmsg(sk->__sk_common->skc_dport)", "'sk->__sk_common' is a struct sock_common, not a pointer: use '.'"],
      ["ip_send_skb(skb.len)", "'skb' is a pointer (struct sk_buff *): use '->'"],
      ["ip_send_skb(skb->len->x)", "'skb->len' is an unsigned int, not a pointer to a struct or union"],
      ["ip_send_skb(skb->cb[48])", "index 48 is past the end of 'skb->cb' (char[48])"],
      ["ip_send_skb(skb->len[1])", "'skb->len' is an unsigned int, not an array or pointer"],
      ["ip_send_skb(*skb->len)", "'skb->len' is an unsigned int, not a pointer: cannot dereference it"],
      ["ip_send_skb(*skb->destructor)", "'skb->destructor' is a function pointer: it cannot be dereferenced"],
      [`${drop}(return)`, `'${drop}' returns void`],
      ["ip_send_skb(skb == \"lo\")", "cannot compare struct sk_buff * with a string"],
      ["ip_send_skb(*skb == 1)", "cannot compare a struct sk_buff (use a member)"],
      ["ip_send_skb(skb->dev->name < \"lo\")", "cannot use '<' on strings: only '==' and '!='"],
    ];
    for (const [spec, message] of cases) {
      const e = resolveError(ctx, spec);
      expect(e.message, spec).toBe(message);
      expect(e.errno, spec).toBe("EINVAL");
    }
  });

  it("limits values and hops", () => {
    const many = Array.from({ length: MAX_VALUES + 1 }, (_, i) => `skb->cb[${i}]`).join(", ");
    const e = resolveError(ctx, `ip_send_skb(${many})`);
    expect(e.errno).toBe("E2BIG");
    expect(e.message).toBe(`too many values for ip_send_skb: at most ${MAX_VALUES}`);
    expect(e.span).toEqual(parseSpec(`ip_send_skb(${many})`).items![MAX_VALUES]!.span);
    expect(target(ctx, "ip_send_skb(skb->next->next->next->next->next)").values[0]!.hops).toHaveLength(MAX_HOPS);
    const hops = resolveError(ctx, "ip_send_skb(skb->next->next->next->next->next->len)");
    expect(hops.errno).toBe("E2BIG");
    expect(hops.message).toBe(`too many pointer hops: at most ${MAX_HOPS} per value`);
    // Predicate values that repeat a shown value share it.
    expect(target(ctx, "ip_send_skb(skb->len, skb->len > 1, skb->len < 9)").values).toHaveLength(1);
  });

  it("says which tracepoints exist when the kernel has none to offer", () => {
    const e = resolveError(ctx, "tracepoint:sched:sched_switch");
    expect(e.message).toBe("no tracepoint 'sched:sched_switch'");
    expect(e.hint).toBe("btfsnoop list --tracepoints shows them");
  });

  it("resolveSpecs resolves each spec", () => {
    const plans = resolveSpecs([parseSpec("ip_send_skb"), parseSpec("tcp_sendmsg(size)")], ctx);
    expect(plans.map((p) => p.targets[0]!.name)).toEqual(["ip_send_skb", "tcp_sendmsg"]);
  });
});

describe("resolveSpec on the synthetic kernel only", () => {
  let ctx: ResolveContext;
  beforeAll(() => {
    ctx = synthetic();
  });

  it("shows errors with a caret under the offending text", () => {
    expect(resolveError(ctx, "ip_send_skb(skbb)").display).toBe(
      ["no argument 'skbb' in ip_send_skb(struct net *net, struct sk_buff *skb); did you mean 'skb'?", "ip_send_skb(skbb)", "            ^~~~"].join("\n"),
    );
    expect(resolveError(ctx, "ip_send_skb(skb->lenn)").display).toBe(
      ["no member 'lenn' in struct sk_buff; did you mean 'len'?", "ip_send_skb(skb->lenn)", "                 ^~~~"].join("\n"),
    );
  });

  it("limits the code generator enforces are resolution errors with a caret (issue #15: they had none)", () => {
    const nine = Array.from({ length: 9 }, (_, i) => `skb->len > ${i}`).join(" && ");
    const long = resolveError(ctx, `ip_send_skb(${nine})`);
    expect(long.errno).toBe("E2BIG");
    expect(long.display).toBe(
      [
        `the predicate has 17 terms (9 comparisons and 8 of &&, ||, !), at most ${MAX_PRED}`,
        `ip_send_skb(${nine})`,
        `            ^${"~".repeat(nine.length - 1)}`,
        "hint: use fewer conditions, or filter the output instead (--json | jq)",
      ].join("\n"),
    );
    // Separate conditions are joined by &&: 5 + 4 comparisons, 3 + 3 && inside and 2 between them.
    expect(resolveError(ctx, "ip_send_skb(skb->len > 1 && skb->len > 2, skb->len > 3 && skb->len > 4 && skb->len > 5 && skb->len > 6, skb->len > 7 && skb->len > 8 && skb->len > 9)").message).toBe(
      `the predicate has 17 terms (9 comparisons and 8 of &&, ||, !), at most ${MAX_PRED}`,
    );
    // Exactly MAX_PRED steps resolve: 8 comparisons, 7 &&, one !.
    const sixteen = `ip_send_skb(!(${Array.from({ length: 8 }, (_, i) => `skb->len > ${i}`).join(" && ")}))`;
    expect(target(ctx, sixteen).predicate?.kind).toBe("not");

    const str = `"${"x".repeat(MAX_PRED_STR + 1)}"`;
    expect(resolveError(ctx, `netif_receive_skb(skb->dev->name == ${str})`).display).toBe(
      [`string ${str} is ${MAX_PRED_STR + 1} bytes, at most ${MAX_PRED_STR} in a predicate`, `netif_receive_skb(skb->dev->name == ${str})`, `${" ".repeat(36)}^${"~".repeat(str.length - 1)}`].join("\n"),
    );
    const name = '"abcdefghijklmnopq"';
    expect(resolveError(ctx, `netif_receive_skb(skb->dev->name == ${name})`).display).toBe(
      [
        "string \"abcdefghijklmnopq\" is 17 bytes, longer than 'skb->dev->name' (16)",
        `netif_receive_skb(skb->dev->name == ${name})`,
        `${" ".repeat(18)}^${"~".repeat(`skb->dev->name == ${name}`.length - 1)}`,
        "hint: such a comparison could only be false",
      ].join("\n"),
    );
    // Resolution's limits are the table's.
    expect([MAX_PRED, MAX_PRED_STR]).toEqual([CODEGEN_MAX_PRED, CODEGEN_MAX_PRED_STR]);
  });

  it("a spec of several lines shows the line of the error under which the caret goes", () => {
    expect(resolveError(ctx, "ip_send_skb(skb->len > 1,\n  skb->lenn)").display).toBe(["no member 'lenn' in struct sk_buff; did you mean 'len'?", "  skb->lenn)", "       ^~~~"].join("\n"));
  });

  it("keeps one target per static name, at its first address", () => {
    const copies = ctx.functions.filter((f) => f.name === "do_open");
    expect(copies.length).toBeGreaterThan(1);
    const t = target(ctx, "do_open");
    expect(t.ip).toBe(copies[0]!.address);
    expect(resolve(ctx, "do_ope?").targets.map((x) => x.name)).toEqual(["do_open"]);
  });

  it("a char * argument is a string", () => {
    const t = target(ctx, "do_sys_open(filename)");
    expect(t.values[0]!.pointee).toMatchObject({ size: MAX_STRING, string: true });
    expect(target(ctx, 'do_sys_open(filename == "/etc/passwd")').predicate).toEqual({ kind: "str", value: 0, op: "==", text: "/etc/passwd" });
  });

  it("variadic functions are not traceable", () => {
    expect(resolveError(ctx, "netdev_printk").message).toBe("'netdev_printk' has variable arguments");
  });

  it("errors for a cast to a pointer type the BTF lacks", () => {
    const e = resolveError(ctx, "tcp_sendmsg(((struct tcp_sock *)sk)->snd_cwnd)");
    expect(e.message).toBe("no 'struct tcp_sock *' type in the BTF");
  });
});

describe("resolveSpec on the 6.18 BTF only", () => {
  let ctx: ResolveContext;
  beforeAll(() => {
    ctx = linux618();
  });

  it("casts change the type for the next steps", () => {
    const btf = ctx.btf;
    const tcp = id(btf, "tcp_sock", BtfKind.STRUCT);
    const t = target(ctx, "tcp_sendmsg(((struct tcp_sock *)sk)->snd_cwnd)");
    const v = t.values[0]!;
    expect(v.name).toBe("((struct tcp_sock *)sk)->snd_cwnd");
    expect(v.final).toEqual({ kind: "memory", offset: member(btf, tcp, "snd_cwnd").bits / 8 });
    expect(v.castTarget).toBe(tcp);
    expect(btf.typeById(strip(btf, v.typeId)).name).toBe("unsigned int");
  });

  it("expands tcp_v4_* to its 28 functions", () => {
    expect(resolve(ctx, "tcp_v4_*").targets).toHaveLength(28);
  });

  it("keeps typedefs in pointee types", () => {
    const t = target(ctx, "tcp_sendmsg(msg)");
    expect(t.values[0]!.pointee!.typeId).toBe(pointee(ctx.btf, param(ctx.btf, "tcp_sendmsg", 1)));
  });
});

describe("resolveSpec on untraceable functions", () => {
  const int = (name: string, size: number, encoding: number): BtfType => ({ kind: BtfKind.INT, name, size, encoding, bitsOffset: 0, nrBits: size * 8 });
  const btf = new Btf([
    int("int", 4, IntEncoding.SIGNED), // 1
    { kind: BtfKind.FUNC_PROTO, name: "", returnType: 1, params: Array.from({ length: 13 }, (_, i) => ({ name: `a${i}`, type: 1 })) }, // 2
    { kind: BtfKind.FUNC, name: "many", type: 2, linkage: 1 }, // 3
    { kind: BtfKind.FUNC_PROTO, name: "", returnType: 1, params: [{ name: "x", type: 1 }, { name: "", type: 0 }] }, // 4
    { kind: BtfKind.FUNC, name: "vararg", type: 4, linkage: 1 }, // 5
  ]);
  const ctx: ResolveContext = {
    btf,
    functions: [
      { name: "many", address: 0x1000n },
      { name: "vararg", address: 0x2000n },
      { name: "nobtf", address: 0x3000n },
    ],
  };

  it("explains why", () => {
    expect(resolveError(ctx, "nobtf").message).toBe("'nobtf' has no BTF");
    expect(resolveError(ctx, "many").message).toBe("'many' has 13 arguments, more than 12");
    expect(resolveError(ctx, "many").errno).toBe("E2BIG");
    expect(resolveError(ctx, "vararg").message).toBe("'vararg' has variable arguments");
    expect(resolveError(ctx, "*").message).toBe("no traceable function matches '*'");
  });
});

describe("tracepoint __data_loc char[] fields", () => {
  let ctx: ResolveContext;
  let charId: TypeId;
  beforeAll(() => {
    const { kernel, bpf } = bootSyntheticKernel({ seed: 1 });
    ctx = { btf: kernel.btf, functions: bpf.kallsyms(), tracepoints: kernel.tracepoints.all() };
    charId = kernel.btf.findByNameKind("char", BtfKind.INT)!;
  });

  it("a __data_loc char[] field is a string value located by the u32 at its offset", () => {
    const t = target(ctx, "tracepoint:net:netif_receive_skb(name)");
    expect(t.values).toEqual([
      { name: "name", when: "entry", source: "ctx", argIndex: 0, hops: [], typeId: charId, show: true, final: { kind: "dataLoc", offset: 20 }, size: MAX_STRING, signed: false },
    ]);
    // Shown by default with the other fields.
    expect(target(ctx, "tracepoint:net:net_dev_xmit").values.map((v) => [v.name, v.final.kind])).toEqual([
      ["skbaddr", "memory"],
      ["len", "memory"],
      ["rc", "memory"],
      ["name", "dataLoc"],
    ]);
    expect(target(ctx, "tracepoint:block:block_rq_complete(cmd)").values[0]!.final).toEqual({ kind: "dataLoc", offset: 44 });
  });

  it("compares with strings, == and != only", () => {
    const t = target(ctx, 'tracepoint:net:netif_receive_skb(name == "eth0", len)');
    expect(t.predicate).toEqual({ kind: "str", value: 0, op: "==", text: "eth0" });
    expect(t.values.map((v) => v.name)).toEqual(["name", "len"]);
    expect(target(ctx, 'tracepoint:net:net_dev_xmit(name != "lo")').predicate).toEqual({ kind: "str", value: 0, op: "!=", text: "lo" });
    expect(resolveError(ctx, 'tracepoint:net:netif_receive_skb(name < "eth0")').message).toBe("cannot use '<' on strings: only '==' and '!='");
    const num = resolveError(ctx, "tracepoint:net:netif_receive_skb(name == 3)");
    expect([num.errno, num.message, num.hint]).toEqual(["EINVAL", "cannot compare a __data_loc string (char[]) with a number", 'compare it with a string: name == "..."']);
  });

  it("has no members, elements, dereference or casts", () => {
    const arrow = resolveError(ctx, "tracepoint:net:netif_receive_skb(name->x)");
    expect([arrow.errno, arrow.message, arrow.hint]).toEqual(["EINVAL", "'name' is a __data_loc string (char[]): it has no members", 'show it or compare it with a string: name == "..."']);
    expect(arrow.span).toEqual(parseSpec("tracepoint:net:netif_receive_skb(name->x)").items![0]!.span);
    expect(resolveError(ctx, "tracepoint:net:netif_receive_skb(name.x)").message).toBe("'name' is a __data_loc string (char[]): it has no members");
    expect(resolveError(ctx, "tracepoint:net:netif_receive_skb(name[0])").message).toBe("'name' is a __data_loc string (char[]): it cannot be indexed");
    expect(resolveError(ctx, "tracepoint:net:netif_receive_skb(*name)").message).toBe("'name' is a __data_loc string (char[]): it cannot be dereferenced");
    expect(resolveError(ctx, "tracepoint:net:netif_receive_skb((u32)name)").message).toBe("'name' is a __data_loc string (char[]): it cannot be cast");
  });
});
