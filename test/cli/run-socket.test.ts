// `btfsnoop run` on socket filters (issue #17, seed 003): sock_example's
// programs attached to packet sockets on lo (or --iface), the maps dumped
// and one counter line per socket, in text and NDJSON; the counters agree
// with the maps the programs filled; the NDJSON of a fixed seed is a golden.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { FIXTURES, checkGolden } from "../helpers/fixtures.js";

const OBJ = "test/fixtures/loader/obj/sock_example.synthetic.bpf.o";
const GOLDEN = join(FIXTURES, "..", "golden", "run");

interface SocketLine {
  type: "socket";
  program: string;
  iface: string;
  received: number;
  filtered: number;
  trimmed: number;
  queue_drops: number;
  queued: number;
}

const parse = (out: string) => out.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
const mapValue = (lines: Record<string, unknown>[], name: string, key: number) =>
  (lines.find((l) => l.type === "map" && l.name === name) as { entries: { key: number; value: number }[] }).entries.find((e) => e.key === key)?.value ?? 0;

describe("btfsnoop run: socket filters", () => {
  it("--json: map lines, one socket line per socket filter whose counts match the maps, then the summary (golden)", async () => {
    const r = await runCli("run", OBJ, "--workload", "net", "-d", "20ms", "--seed", "1", "--json");
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    const lines = parse(r.out);
    expect(lines.map((l) => (l.type === "map" || l.type === "socket" ? `${l.type as string} ${(l.name ?? l.program) as string}` : l.type))).toEqual([
      "map proto_packets",
      "map proto_bytes",
      "map udp_ports",
      "socket count_proto",
      "socket udp_snap",
      "summary",
    ]);
    const tcp = mapValue(lines, "proto_packets", 6);
    const udp = mapValue(lines, "proto_packets", 17);
    expect(tcp).toBeGreaterThan(10);
    expect(udp).toBeGreaterThan(10);
    const [cp, us] = lines.filter((l) => l.type === "socket") as unknown as SocketLine[];
    expect(cp).toEqual({ type: "socket", program: "count_proto", iface: "lo", received: 0, filtered: tcp + udp, trimmed: 0, queue_drops: 0, queued: 0 });
    expect(us).toEqual({ type: "socket", program: "udp_snap", iface: "lo", received: udp, filtered: tcp, trimmed: udp, queue_drops: 0, queued: udp });
    expect(mapValue(lines, "udp_ports", 53) + mapValue(lines, "udp_ports", 45000)).toBe(udp);
    expect(checkGolden(join(GOLDEN, "sock_example-net-seed1-20ms.ndjson"), r.out)).toBeUndefined();
  }, 60_000);

  it("BTFSNOOP_JIT=0 (the interpreter) prints the same NDJSON as the JIT (the golden)", async () => {
    const prev = process.env.BTFSNOOP_JIT;
    process.env.BTFSNOOP_JIT = "0";
    try {
      const r = await runCli("run", OBJ, "--workload", "net", "-d", "20ms", "--seed", "1", "--json");
      expect(r.code).toBe(0);
      expect(checkGolden(join(GOLDEN, "sock_example-net-seed1-20ms.ndjson"), r.out)).toBeUndefined();
    } finally {
      if (prev === undefined) delete process.env.BTFSNOOP_JIT;
      else process.env.BTFSNOOP_JIT = prev;
    }
  }, 60_000);

  it("text: the same counters as one line per socket after the map dumps; --iface eth0 watches eth0", async () => {
    const r = await runCli("run", OBJ, "--workload", "net", "-d", "20ms", "--seed", "1");
    expect(r.code).toBe(0);
    const j = parse((await runCli("run", OBJ, "--workload", "net", "-d", "20ms", "--seed", "1", "--json")).out);
    const [cp, us] = j.filter((l) => l.type === "socket") as unknown as SocketLine[];
    const text = (s: SocketLine) =>
      `socket ${s.program} (lo): ${s.received + s.filtered + s.queue_drops} packets seen, ${s.received} kept (${s.trimmed} trimmed), ${s.filtered} dropped by filter, ${s.queue_drops} dropped by kernel (receive queue full), ${s.queued} queued`;
    expect(r.out.trimEnd().split("\n").slice(-2)).toEqual([text(cp!), text(us!)]);
    expect(r.out).toMatch(/^map proto_packets \(array\):\n\[\{\n {8}"key": 0,\n {8}"value": 0\n {4}\},\{/);
    const elapsedNs = (j[j.length - 1] as { elapsed_ns: number }).elapsed_ns;
    expect(r.err).toBe(`btfsnoop: 2 of 2 programs attached; ${Math.floor(elapsedNs / 1000) / 1000} ms of simulated time (duration); 0 printk lines, 0 events\n`);

    const eth = parse((await runCli("run", OBJ, "--workload", "net", "-d", "20ms", "--seed", "1", "--json", "--iface", "eth0")).out);
    const ecp = eth.find((l) => l.type === "socket" && l.program === "count_proto") as unknown as SocketLine;
    expect(ecp.iface).toBe("eth0");
    // Every frame is counted under the byte where IPv4 keeps the protocol (6 or 17; an IPv6 frame's is a byte of its source address).
    const all = (eth.find((l) => l.type === "map" && l.name === "proto_packets") as { entries: { value: number }[] }).entries.reduce((n, e) => n + e.value, 0);
    expect(mapValue(eth, "proto_packets", 6) + mapValue(eth, "proto_packets", 17)).toBeGreaterThan(0);
    expect(ecp.filtered).toBe(all);
    expect(ecp.filtered).not.toBe(cp!.filtered);
  }, 60_000);

  it("an unknown --iface: exit 2, one error naming the program and the interfaces there are", async () => {
    const r = await runCli("run", OBJ, "--workload", "net", "-d", "1ms", "--iface", "wlan0");
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toBe("btfsnoop: error: 'sock_example.synthetic.bpf.o': section 'socket', program 'count_proto': attach to a packet socket on wlan0 failed: no network device 'wlan0' (have lo, eth0)\n");
  }, 60_000);
});
