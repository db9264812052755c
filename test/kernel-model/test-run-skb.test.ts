// The skb the kernel model builds for BPF_PROG_TEST_RUN of a socket filter
// (bpf_prog_test_run_skb): data_in received on lo with the Ethernet header
// pulled, data_out with it put back zeroed. The expected values are what
// Linux 6.18 answered for the same frames (socket filters reading
// __sk_buff fields through BPF_PROG_TEST_RUN on this machine): len 46 for a
// 60-byte frame, pkt_type 0 to lo's zero address, 2 for ff:ff:ff:ff:ff:ff
// (lo's broadcast address is zero too), 3 for another unicast address,
// protocol htons(ETH_P_IP), ifindex 1, ingress_ifindex 0, -EINVAL under 14 bytes.
import { describe, expect, it } from "vitest";
import { SyntheticKernel } from "../../src/kernel-model/synthetic.js";
import { skbAccessOf } from "../../src/kernel-model/packets.js";
import { packetSocketLayer } from "../../src/syscall/socket-layer.js";
import type { TestRunSkb } from "../../src/syscall/sockets.js";

const FRAME = Buffer.from(
  "000000000000" + "020000000001" + "0800" + "4500002e00014000401100007f0000017f000001" + "afc80035001a0000" + "79".repeat(18),
  "hex",
);

describe("test-run skbs (bpf_prog_test_run_skb)", () => {
  const k = new SyntheticKernel({ seed: 1 });
  const layer = packetSocketLayer(k, k.world);
  const make = (frame: Uint8Array): TestRunSkb => {
    const r = layer.testRunSkb(frame);
    if (typeof r === "string") throw new Error(r);
    return r;
  };

  it("holds data_in received on lo: data at the network header, the fields a socket filter reads as Linux has them", () => {
    const t = make(FRAME);
    const f = (p: string) => k.memory.readField(t.skb, "sk_buff", p);
    expect(f("len")).toBe(46n);
    expect(f("pkt_type")).toBe(0n);
    expect(f("protocol")).toBe(0x0008n);
    expect(k.memory.readField(f("dev"), "net_device", "ifindex")).toBe(1n);
    expect(f("skb_iif")).toBe(0n);
    expect(f("data") - f("head")).toBe(f("network_header"));
    expect(f("mac_header") + 14n).toBe(f("network_header"));
    // Packet loads: from data (the IP header) and from the MAC header.
    const acc = skbAccessOf(k);
    const b = new Uint8Array(2);
    expect(acc.loadBytes(t.skb, 0, 9, b.subarray(0, 1))).toBe(0);
    expect(b[0]).toBe(17);
    expect(acc.loadBytes(t.skb, 1, 12, b)).toBe(0);
    expect([...b]).toEqual([0x08, 0x00]);
    expect(acc.loadBytes(t.skb, 0, 46, b.subarray(0, 1))).toBe(-14);
    // data_out: the link-layer header pushed back and zeroed.
    expect(Buffer.from(t.dataOut()).toString("hex")).toBe("00".repeat(14) + FRAME.subarray(14).toString("hex"));
    t.free();
    expect(k.memory.readKernel(new Uint8Array(8), t.skb)).toBe(-14);
  });

  it("pkt_type by destination as eth_type_trans on lo; too short a frame is refused", () => {
    const pktType = (dst: string) => {
      const t = make(Buffer.concat([Buffer.from(dst, "hex"), FRAME.subarray(6)]));
      const v = k.memory.readField(t.skb, "sk_buff", "pkt_type");
      t.free();
      return v;
    };
    expect([pktType("ffffffffffff"), pktType("020000000009"), pktType("01005e000001"), pktType("000000000000")]).toEqual([2n, 3n, 2n, 0n]);
    expect(layer.testRunSkb(FRAME.subarray(0, 13))).toBe("data_in of 13 bytes is shorter than an Ethernet header (14)");
    expect(layer.testRunSkb(new Uint8Array(3713))).toBe("data_in of 3713 bytes does not fit a page with headroom and shared info (at most 3712)");
  });
});
