// Socket filters end to end (issue #17, seed 003): the clang-built
// sock_example object loaded as BPF_PROG_TYPE_SOCKET_FILTER programs,
// attached to packet sockets on an interface (SO_ATTACH_BPF), run on the net
// workload; the per-protocol counts are checked against what the kernel
// model says crossed the interface (its per-device counts), not against
// numbers written here.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BpfObject } from "../../src/loader/object.js";
import { bootSyntheticKernel, machineOf } from "../../src/syscall/boot.js";

const OBJ = "test/fixtures/loader/obj/";
const open = (flavor: string) => BpfObject.open(readFileSync(`${OBJ}sock_example.${flavor}.bpf.o`), `sock_example.${flavor}.bpf.o`);
const boot = (seed = 1) => machineOf(bootSyntheticKernel({ seed, nrCpus: 2 }));
const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const u64At = (b: Uint8Array | undefined) => (b ? Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true)) : 0);

/** Runs sock_example on `iface` for `steps` net steps: the maps' counts, the sockets' counters and the device's ground truth. */
function runExample(flavor: string, opts: { seed?: number; steps?: number; iface?: string; jit?: boolean } = {}) {
  const m = boot(opts.seed ?? 1);
  const obj = open(flavor).load(m, opts.jit === undefined ? {} : { jit: opts.jit }).attach(opts.iface ? { iface: opts.iface } : {});
  m.run("net", opts.steps ?? 300);
  const dev = m.bpf.netDevices().find((d) => d.name === (opts.iface ?? "lo"))!;
  const packets = (p: number) => u64At(obj.lookup("proto_packets", u32(p)));
  const bytes = (p: number) => u64At(obj.lookup("proto_bytes", u32(p)));
  const ports = obj.entries("udp_ports").map((e) => [e.keyData, e.valueData]);
  const sockets = obj.socketFilters();
  const status = obj.status();
  const result = { tcp: packets(6), udp: packets(17), icmp: packets(1), tcpBytes: bytes(6), udpBytes: bytes(17), ports, sockets, status, dev, objects: m.bpf.objects() };
  obj.close();
  return { ...result, after: m.bpf.objects() };
}

describe.each(["synthetic", "vmlinux-6.18"])("sock_example compiled against %s", (flavor) => {
  it("count_proto's per-protocol packet counts equal what crossed lo (each packet twice: out and back in)", () => {
    const r = runExample(flavor);
    expect(r.status.map((s) => [s.name, s.section, s.attached])).toEqual([
      ["count_proto", "socket", true],
      ["udp_snap", "socket", true],
    ]);
    expect(r.dev.tx[6]).toBeGreaterThan(10);
    expect(r.dev.tx[17]).toBeGreaterThan(10);
    expect(r.tcp).toBe(r.dev.tx[6]! + r.dev.rx[6]!);
    expect(r.udp).toBe(r.dev.tx[17]! + r.dev.rx[17]!);
    expect(r.icmp).toBe(0);
    // count_proto keeps nothing: every packet is a filter drop on its socket.
    const cp = r.sockets.find((s) => s.program === "count_proto")!;
    expect(cp).toMatchObject({ iface: "lo", stats: { received: 0, filtered: r.tcp + r.udp, queueDrops: 0, trimmed: 0, queued: 0 } });
    // udp_snap keeps UDP packets trimmed to 64 bytes, drops the rest; UDP to port 53 and back to 45000.
    const us = r.sockets.find((s) => s.program === "udp_snap")!;
    expect(us.stats.filtered).toBe(r.tcp);
    expect(us.stats.received + us.stats.queueDrops).toBe(r.udp);
    expect(us.stats.trimmed).toBe(r.udp);
    // Each datagram is seen going out and coming in: an even count per port; together, every UDP packet.
    expect(r.ports.map(([p]) => p).sort((x, y) => (x as number) - (y as number))).toEqual([53, 45000]);
    for (const [, n] of r.ports) expect((n as number) % 2).toBe(0);
    expect(r.ports.reduce((a, [, n]) => a + (n as number), 0)).toBe(r.udp);
    // Everything is released on close.
    expect(r.after).toEqual({ map: 0, prog: 0, btf: 0, link: 0, iter: 0, fds: 0 });
  });
});

describe("sock_example", () => {
  it("bytes per protocol are the frames' lengths (skb->len through __sk_buff)", () => {
    const m = boot(4);
    const obj = open("synthetic").load(m).attach();
    const fd = m.bpf.socket(17, 3, 3); // a plain tap on lo, to see the same frames
    m.bpf.bind(fd, { family: 17, ifindex: 1 });
    m.run("net", 200);
    const frames: Uint8Array[] = [];
    for (let r = m.bpf.recv(fd); typeof r !== "number"; r = m.bpf.recv(fd)) frames.push(r.data);
    const len = (p: number) => frames.filter((f) => f[23] === p).reduce((a, f) => a + f.length, 0);
    expect(frames.length).toBeGreaterThan(20);
    expect(u64At(obj.lookup("proto_bytes", u32(6)))).toBe(len(6));
    expect(u64At(obj.lookup("proto_bytes", u32(17)))).toBe(len(17));
    obj.close();
  });

  it("on eth0 it counts eth0's traffic; same seed, same counts; another seed, others", () => {
    const a = runExample("synthetic", { iface: "eth0", seed: 2, steps: 200 });
    expect(a.tcp).toBe(a.dev.tx[6]! + a.dev.rx[6]!);
    expect(a.udp).toBe((a.dev.tx[17] ?? 0) + (a.dev.rx[17] ?? 0));
    const b = runExample("synthetic", { iface: "eth0", seed: 2, steps: 200 });
    expect([b.tcp, b.udp, b.tcpBytes, b.udpBytes]).toEqual([a.tcp, a.udp, a.tcpBytes, a.udpBytes]);
    const c = runExample("synthetic", { iface: "eth0", seed: 3, steps: 200 });
    expect([c.tcp, c.udp, c.tcpBytes, c.udpBytes]).not.toEqual([a.tcp, a.udp, a.tcpBytes, a.udpBytes]);
  });

  it("the JIT and the interpreter agree", () => {
    const jit = runExample("synthetic", { seed: 5, steps: 200, jit: true });
    const interp = runExample("synthetic", { seed: 5, steps: 200, jit: false });
    const pick = (r: typeof jit) => ({ tcp: r.tcp, udp: r.udp, tcpBytes: r.tcpBytes, udpBytes: r.udpBytes, ports: r.ports, stats: r.sockets.map((s) => s.stats) });
    expect(pick(interp)).toEqual(pick(jit));
    expect(jit.tcp).toBeGreaterThan(0);
  });

  it("an unknown interface fails the attach and leaves nothing attached", () => {
    const m = boot();
    const obj = open("synthetic").load(m);
    expect(() => obj.attach({ iface: "wlan0" })).toThrow("'sock_example.synthetic.bpf.o': section 'socket', program 'count_proto': attach to a packet socket on wlan0 failed: no network device 'wlan0' (have lo, eth0)");
    expect(obj.status().filter((s) => s.attached)).toEqual([]);
    expect(m.bpf.objects()).toMatchObject({ link: 0, fds: 5 }); // 3 maps + 2 programs, no socket
    obj.close();
  });
});
