// Local traffic goes through lo, as in Linux (issue #15: every received skb
// was on eth0, so the README's netif_receive_skb(skb->dev->name == "lo")
// showed nothing): a socket whose peer is on this host sends through lo's
// xmit, netif_rx queues the skb, and the NET_RX softirq receives it with
// skb->dev = lo for the other end; traffic with other hosts stays on eth0.
import { describe, expect, it } from "vitest";
import { SyntheticKernel } from "../../src/kernel-model/synthetic.js";
import { runCli } from "../helpers/cli.js";

/** The `skb->dev->name` values of a JSON trace, and its --check line. */
async function names(predicate: string): Promise<{ values: string[]; calls: number; code: number }> {
  const r = await runCli(`netif_receive_skb(skb->dev->name == "${predicate}")`, "--workload", "net", "-d", "20ms", "--format", "json", "--check");
  const values = r.out.trim().split("\n").filter(Boolean).map((l) => (JSON.parse(l) as { values: { value: string }[] }).values[0]!.value);
  const m = /ok netif_receive_skb: (\d+) calls/.exec(r.err);
  return { values, calls: m ? Number(m[1]) : -1, code: r.code };
}

describe("loopback traffic", () => {
  it('netif_receive_skb(skb->dev->name == "lo") shows lo packets, "eth0" the others, and together they are every receive', async () => {
    const lo = await names("lo");
    const eth0 = await names("eth0");
    expect(lo.values.length).toBeGreaterThan(10);
    expect(eth0.values.length).toBeGreaterThan(10);
    expect(new Set(lo.values)).toEqual(new Set(["lo"]));
    expect(new Set(eth0.values)).toEqual(new Set(["eth0"]));
    // Same seed, same run: both traces saw the same calls, each one on lo or on eth0.
    expect([lo.code, eth0.code, lo.calls]).toEqual([0, 0, eth0.calls]);
    expect(lo.values.length + eth0.values.length).toBe(lo.calls);
  });

  it("an skb sent on lo is received on lo, in softirq, by the other end of its connection, before the send returns", () => {
    const k = new SyntheticKernel({ seed: 9 });
    const w = k.world;
    const peerOf = new Map(w.socks.filter((s) => s.peer).map((s) => [s.sk, s.peer!.sk]));
    const devOf = (skb: bigint) => k.memory.readField(skb, "sk_buff", "dev");
    const sent = new Map<bigint, bigint>(); // skb -> the sender's sock, while in flight on lo
    const log: string[] = [];
    let depth = 0;
    const xmit = k.functions.named("dev_hard_start_xmit")[0]!;
    const rcv = k.functions.named("netif_receive_skb")[0]!;
    const send = k.functions.named("sock_sendmsg")[0]!;
    k.functions.attach(send, { entry: () => void depth++, exit: () => void depth-- });
    k.functions.attach(xmit, {
      entry: (c) => {
        const [skb, dev] = c.args as [bigint, bigint];
        if (dev === w.lo.addr) sent.set(skb, k.memory.readField(skb, "sk_buff", "sk"));
        else expect(dev).toBe(w.eth0.addr);
      },
    });
    k.functions.attach(rcv, {
      entry: (c) => {
        const skb = c.args[0]!;
        const ctx = k.tasks.cpus[k.cpu]!.context;
        if (devOf(skb) === w.lo.addr) {
          const from = sent.get(skb);
          expect(from).toBeDefined();
          expect(k.memory.readField(skb, "sk_buff", "sk")).toBe(peerOf.get(from!));
          expect([ctx, depth]).toEqual(["softirq", 1]);
          sent.delete(skb);
          log.push("lo");
        } else {
          expect(devOf(skb)).toBe(w.eth0.addr);
          expect([ctx, depth]).toEqual(["softirq", 0]);
          log.push("eth0");
        }
      },
    });
    k.run("net", { count: 600 });
    expect(log.filter((d) => d === "lo").length).toBeGreaterThan(50);
    expect(log.filter((d) => d === "eth0").length).toBeGreaterThan(50);
    // Every skb put on lo came back in (or was dropped at the queue, never left in flight).
    expect([sent.size, w.backlog.length]).toEqual([0, 0]);
  });

  it("the sockets: remote ones through eth0, local pairs on 127.0.0.1:5432 and 127.0.0.53:53 through lo, each the other's peer", () => {
    const k = new SyntheticKernel({ seed: 1 });
    const w = k.world;
    const ip = (v: bigint) => [0, 8, 16, 24].map((s) => Number((v >> BigInt(s)) & 0xffn)).join(".");
    const port = (be: bigint) => Number(((be & 0xffn) << 8n) | (be >> 8n));
    const f = (sk: bigint, path: string) => k.memory.readField(sk, "sock", `__sk_common.${path}`);
    const desc = w.socks.map((s) => `${s.protocol} ${ip(f(s.sk, "skc_rcv_saddr"))}:${f(s.sk, "skc_num")} -> ${ip(f(s.sk, "skc_daddr"))}:${port(f(s.sk, "skc_dport"))} via ${s.dev.name}`);
    expect(desc).toEqual([
      "tcp 10.0.2.15:50000 -> 203.0.113.10:8080 via eth0",
      "udp 10.0.2.15:50001 -> 203.0.113.11:8081 via eth0",
      "tcp 10.0.2.15:50002 -> 203.0.113.12:8082 via eth0",
      "udp 10.0.2.15:50003 -> 203.0.113.13:8083 via eth0",
      "tcp 127.0.0.1:41000 -> 127.0.0.1:5432 via lo",
      "tcp 127.0.0.1:5432 -> 127.0.0.1:41000 via lo",
      "udp 127.0.0.1:45000 -> 127.0.0.53:53 via lo",
      "udp 127.0.0.53:53 -> 127.0.0.1:45000 via lo",
    ]);
    expect(w.socks.slice(4).map((s) => w.socks.indexOf(s.peer!))).toEqual([5, 4, 7, 6]);
    expect(k.memory.readField(w.net, "net", "loopback_dev")).toBe(w.lo.addr);
  });
});
