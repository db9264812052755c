// Socket filter programs (BPF_PROG_TYPE_SOCKET_FILTER) loaded through
// bpf(2) and attached with SO_ATTACH_BPF to packet sockets of the booted
// synthetic kernel: the program runs on each frame the socket sees, with
// r1 = the kernel's struct sk_buff read through __sk_buff; its return
// value is the snap length. Expected values come from a second socket
// without a filter that sees the same frames.
import { describe, expect, it } from "vitest";
import { bootSyntheticKernel, machineOf } from "../../src/syscall/boot.js";
import { AF_PACKET, ETH_P_ALL, type PacketRecord, SO_ATTACH_BPF, SO_DETACH_BPF, SOCK_RAW, SOL_SOCKET } from "../../src/syscall/sockets.js";
import { ProgramBuilder } from "../../src/vm/isa/builder.js";
import { encodeProgram } from "../../src/vm/isa/encode.js";
import { JmpOp, Size } from "../../src/vm/isa/opcodes.js";

function boot(seed = 1) {
  const booted = bootSyntheticKernel({ seed, nrCpus: 2 });
  return { bpf: booted.bpf, machine: machineOf(booted) };
}
type Bpf = ReturnType<typeof boot>["bpf"];

function load(bpf: Bpf, b: ProgramBuilder, jit?: boolean): number {
  const r = bpf.progLoad({ progType: "socket_filter", insns: encodeProgram(b.link()), license: "GPL", name: "filter", ...(jit === undefined ? {} : { jit }) });
  if (typeof r === "number") throw new Error(`load failed: ${bpf.lastError}\n${bpf.lastLog.join("\n")}`);
  return r.fd;
}

/** A socket on lo with `prog` attached, and a plain tap on lo that sees the same frames. */
function pair(bpf: Bpf, progFd?: number) {
  const s = bpf.socket(AF_PACKET, SOCK_RAW, ETH_P_ALL);
  expect(bpf.bind(s, { family: AF_PACKET, ifindex: 1 })).toBe(0);
  if (progFd !== undefined) expect(bpf.setsockopt(s, SOL_SOCKET, SO_ATTACH_BPF, progFd)).toBe(0);
  const tap = bpf.socket(AF_PACKET, SOCK_RAW, ETH_P_ALL);
  expect(bpf.bind(tap, { family: AF_PACKET, ifindex: 1 })).toBe(0);
  return { s, tap };
}

function drain(bpf: Bpf, fd: number): PacketRecord[] {
  const out: PacketRecord[] = [];
  for (let r = bpf.recv(fd); typeof r !== "number"; r = bpf.recv(fd)) out.push(r);
  return out;
}

const ret = (n: number) => new ProgramBuilder().mov64Imm(0, n).exit();

/**
 * Per packet: count PACKET_OUTGOING / other packets (u32 at 0 / 4), add len
 * (u64 at 8), keep the last ifindex (16), ingress_ifindex of an outgoing
 * packet (20) and of an incoming one (28), protocol (24); then the IP
 * protocol byte by LD_ABS as the return value's low bits: keep len bytes.
 */
function fieldsProgram(mapFd: number): ProgramBuilder {
  return new ProgramBuilder()
    .mov64(6, 1)
    .st(Size.W, 10, -4, 0)
    .mov64(2, 10)
    .add64Imm(2, -4)
    .ldMapFd(1, mapFd)
    .call(1)
    .jmpImm(JmpOp.JEQ, 0, 0, "out")
    .mov64Imm(1, 1)
    .ldx(Size.W, 7, 6, 4) // pkt_type
    .ldx(Size.W, 8, 6, 36) // ingress_ifindex
    .jmpImm(JmpOp.JNE, 7, 4, "host")
    .atomicAdd(Size.W, 0, 0, 1)
    .stx(Size.W, 0, 20, 8)
    .ja("common")
    .label("host")
    .atomicAdd(Size.W, 0, 4, 1)
    .stx(Size.W, 0, 28, 8)
    .label("common")
    .ldx(Size.W, 1, 6, 0) // len
    .atomicAdd(Size.DW, 0, 8, 1)
    .ldx(Size.W, 1, 6, 40) // ifindex
    .stx(Size.W, 0, 16, 1)
    .ldx(Size.W, 1, 6, 16) // protocol
    .stx(Size.W, 0, 24, 1)
    .label("out")
    .ldx(Size.W, 0, 6, 0)
    .exit();
}

describe("socket filters on packet sockets", () => {
  it("the program reads the frame's sk_buff through __sk_buff: pkt_type, len, ifindex, ingress_ifindex, protocol", () => {
    for (const jit of [true, false]) {
      const { bpf, machine } = boot(2);
      const map = bpf.mapCreate({ type: 2, keySize: 4, valueSize: 32, maxEntries: 1 });
      const { s, tap } = pair(bpf, load(bpf, fieldsProgram(map), jit));
      machine.run("net", 150);
      const frames = drain(bpf, tap);
      expect(frames.length).toBeGreaterThan(20);
      const v = bpf.mapLookupElem(map, new Uint8Array(4)) as Uint8Array;
      const dv = new DataView(v.buffer, v.byteOffset);
      const outgoing = frames.filter((f) => f.pktType === 4).length;
      expect({
        outgoing: dv.getUint32(0, true),
        other: dv.getUint32(4, true),
        bytes: Number(dv.getBigUint64(8, true)),
        ifindex: dv.getUint32(16, true),
        outIif: dv.getUint32(20, true),
        protocol: dv.getUint32(24, true),
        inIif: dv.getUint32(28, true),
      }).toEqual({ outgoing, other: frames.length - outgoing, bytes: frames.reduce((a, f) => a + f.data.length, 0), ifindex: 1, outIif: 0, protocol: 0x0008, inIif: 1 });
      // It returned skb->len: every frame kept whole, the same bytes the tap got.
      const kept = drain(bpf, s);
      expect(kept.map((f) => Buffer.from(f.data).toString("hex"))).toEqual(frames.map((f) => Buffer.from(f.data).toString("hex")));
      expect(bpf.socketStats(s)).toMatchObject({ received: frames.length, filtered: 0, trimmed: 0, queueDrops: 0 });
    }
  });

  it("returning 0 drops every packet (counted); returning 20 keeps the first 20 bytes of each", () => {
    const { bpf, machine } = boot(3);
    const drop = pair(bpf, load(bpf, ret(0)));
    const trim = bpf.socket(AF_PACKET, SOCK_RAW, ETH_P_ALL);
    expect(bpf.bind(trim, { family: AF_PACKET, ifindex: 1 })).toBe(0);
    expect(bpf.setsockopt(trim, SOL_SOCKET, SO_ATTACH_BPF, load(bpf, ret(20)))).toBe(0);
    machine.run("net", 150);
    const frames = drain(bpf, drop.tap);
    expect(frames.length).toBeGreaterThan(20);
    expect(bpf.socketStats(drop.s)).toMatchObject({ received: 0, filtered: frames.length, trimmed: 0, queueDrops: 0, queued: 0 });
    expect(bpf.recv(drop.s)).toBe(-11);
    const trimmed = drain(bpf, trim);
    expect(trimmed.map((f) => Buffer.from(f.data).toString("hex"))).toEqual(frames.map((f) => Buffer.from(f.data.subarray(0, 20)).toString("hex")));
    expect(trimmed.map((f) => f.origLen)).toEqual(frames.map((f) => f.data.length));
    expect(bpf.socketStats(trim)).toMatchObject({ received: frames.length, filtered: 0, trimmed: frames.length });
  });

  it("packet loads: LD_ABS from skb->data, from the network header (SKF_NET_OFF) and the MAC header (SKF_LL_OFF); on SOCK_DGRAM data is the IP header", () => {
    const { bpf, machine } = boot(6);
    // Keep as many bytes as the IP protocol number: 6 for TCP, 17 for UDP.
    const byData = load(bpf, new ProgramBuilder().mov64(6, 1).ldAbs(Size.B, 14 + 9).exit());
    const byNet = load(bpf, new ProgramBuilder().mov64(6, 1).ldAbs(Size.B, -0x100000 + 9).exit());
    // The ethertype through the MAC header (0x0800 = 2048, more than any frame here: everything kept).
    const byLl = load(bpf, new ProgramBuilder().mov64(6, 1).ldAbs(Size.H, -0x200000 + 12).exit());
    // Past the end of the packet: the load aborts the program with 0 (dropped).
    const past = load(bpf, new ProgramBuilder().mov64(6, 1).ldAbs(Size.W, 0xffff).exit());
    const open = (prog: number, type = SOCK_RAW) => {
      const s = bpf.socket(AF_PACKET, type, ETH_P_ALL);
      expect(bpf.bind(s, { family: AF_PACKET, ifindex: 1 })).toBe(0);
      expect(bpf.setsockopt(s, SOL_SOCKET, SO_ATTACH_BPF, prog)).toBe(0);
      return s;
    };
    const [a, b, c, d] = [open(byData), open(byNet), open(byLl), open(past)];
    const dgram = open(load(bpf, new ProgramBuilder().mov64(6, 1).ldAbs(Size.B, 9).exit()), 2);
    const tap = bpf.socket(AF_PACKET, SOCK_RAW, ETH_P_ALL);
    expect(bpf.bind(tap, { family: AF_PACKET, ifindex: 1 })).toBe(0);
    machine.run("net", 100);
    const frames = drain(bpf, tap);
    expect(frames.length).toBeGreaterThan(10);
    const hex = (x: Uint8Array) => Buffer.from(x).toString("hex");
    const cut = frames.map((f) => hex(f.data.subarray(0, f.data[23]!)));
    expect(drain(bpf, a).map((f) => hex(f.data))).toEqual(cut);
    expect(drain(bpf, b).map((f) => hex(f.data))).toEqual(cut);
    expect(drain(bpf, c).map((f) => hex(f.data))).toEqual(frames.map((f) => hex(f.data)));
    expect(bpf.socketStats(d)).toMatchObject({ received: 0, filtered: frames.length });
    expect(drain(bpf, dgram).map((f) => hex(f.data))).toEqual(frames.map((f) => hex(f.data.subarray(14, 14 + f.data[23]!))));
  });

  it("the taps see skbs without a socket, as in Linux: bpf_get_socket_cookie is 0 (all dropped), bpf_get_socket_uid the overflow uid 65534 (all kept)", () => {
    const { bpf, machine } = boot(7);
    const cookie = pair(bpf, load(bpf, new ProgramBuilder().call(46).exit()));
    const uid = bpf.socket(AF_PACKET, SOCK_RAW, ETH_P_ALL);
    expect(bpf.bind(uid, { family: AF_PACKET, ifindex: 1 })).toBe(0);
    expect(bpf.setsockopt(uid, SOL_SOCKET, SO_ATTACH_BPF, load(bpf, new ProgramBuilder().call(47).exit()))).toBe(0);
    machine.run("net", 80);
    const n = drain(bpf, cookie.tap).length;
    expect(n).toBeGreaterThan(10);
    expect(bpf.socketStats(cookie.s)).toMatchObject({ received: 0, filtered: n });
    expect(bpf.socketStats(uid)).toMatchObject({ received: n, filtered: 0, trimmed: 0 });
  });

  it("the socket holds the program: closing the prog fd keeps it running; SO_DETACH_BPF or closing the socket frees it", () => {
    const { bpf, machine } = boot(4);
    const pfd = load(bpf, ret(0));
    const { s, tap } = pair(bpf, pfd);
    expect(bpf.close(pfd)).toBe(0);
    expect(bpf.objects().prog).toBe(1);
    machine.run("net", 60);
    const n = drain(bpf, tap).length;
    expect(bpf.socketStats(s)).toMatchObject({ filtered: n, received: 0 });
    expect(bpf.setsockopt(s, SOL_SOCKET, SO_DETACH_BPF, 0)).toBe(0);
    expect(bpf.objects().prog).toBe(0);
    machine.run("net", 60);
    const m = drain(bpf, tap).length;
    expect(bpf.socketStats(s)).toMatchObject({ filtered: n, received: m, progId: 0 });
    // Attach again, then close the socket: the program goes with it.
    const again = load(bpf, ret(0));
    expect(bpf.setsockopt(s, SOL_SOCKET, SO_ATTACH_BPF, again)).toBe(0);
    expect(bpf.close(again)).toBe(0);
    expect(bpf.close(s)).toBe(0);
    expect(bpf.close(tap)).toBe(0);
    expect(bpf.objects()).toEqual({ map: 0, prog: 0, btf: 0, link: 0, iter: 0, fds: 0 });
  });

  it("a second SO_ATTACH_BPF replaces the first program (its reference dropped)", () => {
    const { bpf, machine } = boot(5);
    const a = load(bpf, ret(0));
    const b = load(bpf, ret(0xffff));
    const { s, tap } = pair(bpf, a);
    expect(bpf.setsockopt(s, SOL_SOCKET, SO_ATTACH_BPF, b)).toBe(0);
    expect(bpf.close(a)).toBe(0);
    expect(bpf.objects().prog).toBe(1);
    machine.run("net", 60);
    const n = drain(bpf, tap).length;
    expect(bpf.socketStats(s)).toMatchObject({ received: n, filtered: 0 });
  });

  it("BPF_PROG_TEST_RUN builds an sk_buff around data_in as bpf_prog_test_run_skb (values Linux 6.18 gave for the same frame)", () => {
    const booted = bootSyntheticKernel({ seed: 1, nrCpus: 2 });
    const bpf = booted.bpf;
    const live = () => booted.kernel.memory.usage().liveObjects;
    const frame = Buffer.from("000000000000" + "020000000001" + "0800" + "4500002e00014000401100007f0000017f000001" + "afc80035001a0000" + "79".repeat(18), "hex");
    const field = (off: number) => {
      const fd = load(bpf, new ProgramBuilder().ldx(Size.W, 0, 1, off).exit());
      const r = bpf.progTestRun(fd, { dataIn: frame });
      if (typeof r === "number") throw new Error(bpf.lastError);
      return r.retval;
    };
    // len (the frame without its Ethernet header), pkt_type, protocol, ingress_ifindex, ifindex.
    expect([field(0), field(4), field(16), field(36), field(40)]).toEqual([46, 0, 0x0008, 0, 1]);
    const abs = load(bpf, new ProgramBuilder().mov64(6, 1).ldAbs(Size.B, 9).exit());
    const before = live();
    const r = bpf.progTestRun(abs, { dataIn: frame, repeat: 3 });
    expect(live()).toBe(before); // the skb and its head are freed after the run
    expect(r).toMatchObject({ retval: 17 });
    expect(Buffer.from((r as { dataOut: Uint8Array }).dataOut).toString("hex")).toBe("00".repeat(14) + frame.subarray(14).toString("hex"));
    expect(bpf.progTestRun(abs, { dataIn: frame.subarray(0, 13) })).toBe(-22);
    expect(bpf.lastError).toBe("data_in of 13 bytes is shorter than an Ethernet header (14)");
    expect(bpf.progTestRun(abs, { dataIn: frame, ctxIn: new Uint8Array(4) })).toBe(-22);
  });
});
