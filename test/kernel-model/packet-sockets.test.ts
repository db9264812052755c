// Packet sockets of the synthetic kernel (src/kernel-model/sockets.ts) and
// the frames the net workload's skbs carry (src/kernel-model/packets.ts),
// with a filter callback standing in for a loaded program.
import { describe, expect, it } from "vitest";
import { SyntheticKernel } from "../../src/kernel-model/synthetic.js";
import { ETH_P_ALL, packetSocketsOf, SOCK_DGRAM, SOCK_RAW, type PacketRecord } from "../../src/kernel-model/sockets.js";
import { PACKET_HOST, PACKET_OUTGOING } from "../../src/kernel-model/packets.js";

const drain = (s: { recv(): PacketRecord | undefined }): PacketRecord[] => {
  const out: PacketRecord[] = [];
  for (let r = s.recv(); r; r = s.recv()) out.push(r);
  return out;
};
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
/** The IP protocol byte of an Ethernet frame. */
const protoOf = (frame: Uint8Array) => frame[14 + 9]!;

function tapOn(seed: number, ifindex: number, type = SOCK_RAW) {
  const k = new SyntheticKernel({ seed });
  const s = packetSocketsOf(k).open(type, ETH_P_ALL);
  s.ifindex = ifindex;
  return { k, s, socks: packetSocketsOf(k) };
}

describe("packet sockets on lo", () => {
  it("see every packet through lo twice, going out (PACKET_OUTGOING) then coming back in (PACKET_HOST), as the device counts say", () => {
    const { k, s, socks } = tapOn(3, 1);
    k.run("net", { count: 300 });
    const recs = drain(s);
    const c = socks.devCounts(1);
    const total = (r: Record<number, number>) => Object.values(r).reduce((a, b) => a + b, 0);
    expect(c.tx[6]! + c.tx[17]!).toBe(total(c.tx));
    expect(total(c.tx)).toBeGreaterThan(20);
    // Every packet lo sends it receives (lo's xmit is its receive), and nothing else crosses lo.
    expect(c.rx).toEqual(c.tx);
    expect(recs.length).toBe(total(c.tx) + total(c.rx));
    expect(s.stats).toEqual({ received: recs.length, filtered: 0, queueDrops: 0, trimmed: 0 });
    for (const p of [6, 17]) expect(recs.filter((r) => protoOf(r.data) === p).length).toBe(c.tx[p]! + c.rx[p]!);
    // Pairs: the outgoing copy, then the same frame received.
    for (let i = 0; i < recs.length; i += 2) {
      expect([recs[i]!.pktType, recs[i + 1]!.pktType]).toEqual([PACKET_OUTGOING, PACKET_HOST]);
      expect(hex(recs[i + 1]!.data)).toBe(hex(recs[i]!.data));
      expect(recs[i]!.ifindex).toBe(1);
      expect(recs[i]!.protocol).toBe(0x0800);
    }
  });

  it("frames are lo's Ethernet header (zero MACs, 0x0800), an IPv4 header with its checksum and the TCP/UDP header of the connection", () => {
    const { k, s } = tapOn(3, 1);
    k.run("net", { count: 200 });
    const recs = drain(s);
    for (const r of recs) {
      const f = r.data;
      expect(hex(f.subarray(0, 14))).toBe("000000000000000000000000" + "0800");
      expect(f[14]).toBe(0x45);
      expect((f[16]! << 8) | f[17]!).toBe(f.length - 14); // tot_len
      let sum = 0;
      for (let i = 14; i < 34; i += 2) sum += (f[i]! << 8) | f[i + 1]!;
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      expect(sum).toBe(0xffff);
      const src = [...f.subarray(26, 30)].join(".");
      const sport = (f[34]! << 8) | f[35]!;
      const dport = (f[36]! << 8) | f[37]!;
      // The model's two local connections: TCP 127.0.0.1:41000 <-> :5432, UDP 127.0.0.1:45000 <-> 127.0.0.53:53.
      if (protoOf(f) === 6) expect([`${src}:${sport}>${dport}`]).toContainEqual(expect.stringMatching(/^127\.0\.0\.1:(41000>5432|5432>41000)$/));
      else {
        expect(protoOf(f)).toBe(17);
        expect(`${src}:${sport}>${dport}`).toMatch(/^(127\.0\.0\.1:45000>53|127\.0\.0\.53:53>45000)$/);
        expect((f[38]! << 8) | f[39]!).toBe(f.length - 34); // UDP length
      }
    }
  });

  it("the filter runs on a real sk_buff: len, data -> the frame, protocol, pkt_type, dev (lo, ifindex 1), skb_iif on receive", () => {
    const { k, s } = tapOn(4, 1);
    const seen: { len: number; frame: string; protocol: bigint; pktType: bigint; ifindex: bigint; iif: bigint; cb: string }[] = [];
    s.filter = (skb) => {
      const f = (p: string) => k.memory.readField(skb, "sk_buff", p);
      const len = Number(f("len"));
      const frame = new Uint8Array(len);
      k.memory.readKernel(frame, f("data"));
      expect(f("data") + BigInt(len)).toBe(f("head") + f("tail"));
      const cb = k.memory.readFieldBytes(skb, "sk_buff", "cb").subarray(8, 28);
      seen.push({ len, frame: hex(frame), protocol: f("protocol"), pktType: f("pkt_type"), ifindex: k.memory.readField(f("dev"), "net_device", "ifindex"), iif: f("skb_iif"), cb: hex(cb) });
      k.memory.writeKernel(skb + BigInt(k.memory.field("sk_buff", "cb").byteOffset + 8), new Uint8Array(20).fill(7)); // scratch: cleared before the next run
      return 0xffffffff;
    };
    k.run("net", { count: 100 });
    const recs = drain(s);
    expect(seen.length).toBe(recs.length);
    expect(seen.length).toBeGreaterThan(10);
    seen.forEach((x, i) => {
      expect(x.frame).toBe(hex(recs[i]!.data));
      expect(x.len).toBe(recs[i]!.data.length);
      expect(x.protocol).toBe(0x0008n); // htons(ETH_P_IP)
      expect(x.pktType).toBe(BigInt(recs[i]!.pktType));
      expect(x.ifindex).toBe(1n);
      expect(x.iif).toBe(x.pktType === BigInt(PACKET_HOST) ? 1n : 0n);
      expect(x.cb).toBe("00".repeat(20));
    });
  });

  it("a filter returning 0 drops and counts; returning 20 keeps 20 bytes of each frame", () => {
    const a = tapOn(5, 1);
    a.s.filter = () => 0;
    a.k.run("net", { count: 150 });
    const ca = a.socks.devCounts(1);
    const n = Object.values(ca.tx).reduce((x, y) => x + y, 0) * 2;
    expect(n).toBeGreaterThan(10);
    expect(a.s.stats).toEqual({ received: 0, filtered: n, queueDrops: 0, trimmed: 0 });
    expect(drain(a.s)).toEqual([]);

    const b = tapOn(5, 1);
    b.s.filter = () => 20;
    b.k.run("net", { count: 150 });
    const recs = drain(b.s);
    expect(recs.length).toBe(n);
    expect(b.s.stats).toEqual({ received: n, filtered: 0, queueDrops: 0, trimmed: n });
    for (const r of recs) {
      expect(r.data.length).toBe(20);
      expect(r.origLen).toBeGreaterThan(20);
    }
  });

  it("a full receive queue drops and counts (tp_drops); PACKET_STATISTICS counts them in tp_packets and resets", () => {
    const { k, s } = tapOn(6, 1);
    s.rcvbuf = 4000; // about three packets' truesize
    k.run("net", { count: 200 });
    const queued = s.queued;
    const charged = s.rmemAlloc;
    expect(charged).toBeGreaterThanOrEqual(4000);
    expect(s.stats.received).toBe(queued);
    expect(s.stats.queueDrops).toBeGreaterThan(10);
    expect(s.readStatistics()).toEqual({ packets: queued + s.stats.queueDrops, drops: s.stats.queueDrops });
    expect(s.readStatistics()).toEqual({ packets: 0, drops: 0 });
    drain(s);
    expect(s.rmemAlloc).toBe(0);
  });

  it("SOCK_DGRAM sees packets from the IP header; a socket on eth0 sees only eth0; closed sockets see nothing", () => {
    const { k, s, socks } = tapOn(7, 1, SOCK_DGRAM);
    const eth = socks.open(SOCK_RAW, ETH_P_ALL);
    eth.ifindex = 2;
    const closed = socks.open(SOCK_RAW, ETH_P_ALL);
    closed.close();
    k.run("net", { count: 200 });
    for (const r of drain(s)) expect(r.data[0]).toBe(0x45);
    const e = drain(eth);
    const c = socks.devCounts(2);
    // Every eth0 frame either queued on the eth0 socket or dropped at its full queue (the net sessions make eth0 busy).
    expect(e.length + eth.stats.queueDrops).toBe(Object.values(c.tx).reduce((x, y) => x + y, 0) + Object.values(c.rx).reduce((x, y) => x + y, 0));
    for (const r of e) expect(r.ifindex).toBe(2);
    expect(closed.stats.received).toBe(0);
  });

  it("same seed, same packets; the workload's own values do not depend on a socket being open", () => {
    const frames = (seed: number) => {
      const { k, s } = tapOn(seed, 0);
      k.run("net", { count: 120 });
      return { frames: drain(s).map((r) => hex(r.data)), now: k.clock.now(), calls: k.groundTruth("tcp_sendmsg") };
    };
    const a = frames(9);
    expect(frames(9)).toEqual(a);
    expect(frames(10).frames).not.toEqual(a.frames);
    const bare = new SyntheticKernel({ seed: 9 });
    bare.run("net", { count: 120 });
    expect({ now: bare.clock.now(), calls: bare.groundTruth("tcp_sendmsg") }).toEqual({ now: a.now, calls: a.calls });
  });
});
