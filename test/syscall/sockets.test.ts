// The socket calls of the syscall surface (src/syscall/sockets.ts) on the
// booted synthetic kernel: socket/bind/setsockopt/getsockopt/recv with
// Linux's errnos (sk_setsockopt, sk_attach_bpf, sk_detach_filter,
// packet_create, packet_bind), and the fd/refcount lifecycle.
import { describe, expect, it } from "vitest";
import { Errno } from "../../src/internal/errno.js";
import { bootSyntheticKernel, machineOf } from "../../src/syscall/boot.js";
import {
  AF_PACKET,
  ETH_P_ALL,
  PACKET_STATISTICS,
  SO_ATTACH_BPF,
  SO_DETACH_BPF,
  SO_LOCK_FILTER,
  SO_RCVBUF,
  SOCK_DGRAM,
  SOCK_RAW,
  SOL_PACKET,
  SOL_SOCKET,
} from "../../src/syscall/sockets.js";
import { ProgramBuilder } from "../../src/vm/isa/builder.js";
import { encodeProgram } from "../../src/vm/isa/encode.js";

const E = (n: keyof typeof Errno) => -Errno[n];
const AF_INET = 2;

function boot(seed = 1) {
  const booted = bootSyntheticKernel({ seed });
  return { bpf: booted.bpf, machine: machineOf(booted) };
}

describe("socket(2), bind(2)", () => {
  it("opens AF_PACKET sockets as fds; other families, types and protocols fail as packet_create does", () => {
    const { bpf } = boot();
    expect(bpf.socket(AF_INET, SOCK_RAW, ETH_P_ALL)).toBe(E("EAFNOSUPPORT"));
    expect(bpf.socket(AF_PACKET, 5 /* SOCK_SEQPACKET */, ETH_P_ALL)).toBe(E("ESOCKTNOSUPPORT"));
    expect(bpf.socket(AF_PACKET, SOCK_RAW, 0x10000)).toBe(E("EINVAL"));
    const fd = bpf.socket(AF_PACKET, SOCK_RAW, ETH_P_ALL);
    expect(fd).toBe(3);
    expect(bpf.objects()).toEqual({ map: 0, prog: 0, btf: 0, link: 0, iter: 0, socket: 1, fds: 1 });
    expect(bpf.openFds()).toEqual([{ fd: 3, kind: "socket" }]);
    expect(bpf.ifNameToIndex("lo")).toBe(1);
    expect(bpf.ifNameToIndex("eth0")).toBe(2);
    expect(bpf.ifNameToIndex("wlan0")).toBe(E("ENODEV"));
    expect(bpf.lastError).toBe("no network device 'wlan0' (have lo, eth0)");
    expect(bpf.bind(fd, { family: AF_PACKET, ifindex: 1 })).toBe(0);
    expect(bpf.bind(fd, { family: AF_INET, ifindex: 1 })).toBe(E("EINVAL"));
    expect(bpf.bind(fd, { family: AF_PACKET, ifindex: 9 })).toBe(E("ENODEV"));
    expect(bpf.bind(42, { family: AF_PACKET, ifindex: 1 })).toBe(E("EBADF"));
    expect(bpf.close(fd)).toBe(0);
    expect(bpf.objects()).toEqual({ map: 0, prog: 0, btf: 0, link: 0, iter: 0, fds: 0 });
  });

  it("recv gives queued frames and -EAGAIN when none; a closed socket stops receiving", () => {
    const { bpf, machine } = boot(2);
    const fd = bpf.socket(AF_PACKET, SOCK_RAW, ETH_P_ALL);
    expect(bpf.bind(fd, { family: AF_PACKET, ifindex: 1 })).toBe(0);
    expect(bpf.recv(fd)).toBe(E("EAGAIN"));
    machine.run("net", 100);
    const lo = bpf.netDevices().find((d) => d.name === "lo")!;
    const sum = (r: Record<number, number>) => Object.values(r).reduce((a, b) => a + b, 0);
    const st = bpf.socketStats(fd);
    expect(st).toEqual({ received: sum(lo.tx) + sum(lo.rx), filtered: 0, queueDrops: 0, trimmed: 0, queued: sum(lo.tx) + sum(lo.rx), rmemAlloc: expect.any(Number), rcvbuf: 212992, progId: 0 });
    const first = bpf.recv(fd);
    expect(typeof first).toBe("object");
    expect(first).toMatchObject({ pktType: 4, ifindex: 1, protocol: 0x0800 });
    expect(bpf.getsockopt(fd, SOL_PACKET, PACKET_STATISTICS)).toEqual({ packets: sum(lo.tx) + sum(lo.rx), drops: 0 });
    // read(2) gives the next packet's bytes, cut to the buffer.
    const second = bpf.recv(fd) as { data: Uint8Array };
    const third = bpf.read(fd, 20);
    expect(third).toBeInstanceOf(Uint8Array);
    expect((third as Uint8Array).length).toBe(20);
    expect(second.data.length).toBeGreaterThan(20);
    while (typeof bpf.recv(fd) !== "number");
    expect(bpf.read(fd, 100)).toBe(E("EAGAIN"));
    expect(bpf.close(fd)).toBe(0);
    expect(bpf.recv(fd)).toBe(E("EBADF"));
  });

  it("SOCK_DGRAM sockets are accepted too", () => {
    const { bpf } = boot();
    expect(bpf.socket(AF_PACKET, SOCK_DGRAM, 0x0800)).toBe(3);
  });
});

describe("setsockopt(2), getsockopt(2)", () => {
  it("SO_ATTACH_BPF refuses what sk_attach_bpf refuses, with its errnos", () => {
    const { bpf } = boot();
    const s = bpf.socket(AF_PACKET, SOCK_RAW, ETH_P_ALL);
    const map = bpf.mapCreate({ type: 2, keySize: 4, valueSize: 8, maxEntries: 4 });
    const prog = bpf.progLoad({ progType: "conformance", insns: encodeProgram(new ProgramBuilder().mov64Imm(0, 0).exit().link()), license: "GPL" });
    expect(typeof prog).toBe("object");
    const pfd = (prog as { fd: number }).fd;
    expect(bpf.setsockopt(s, SOL_SOCKET, SO_ATTACH_BPF, 99)).toBe(E("EBADF")); // no such fd
    expect(bpf.setsockopt(s, SOL_SOCKET, SO_ATTACH_BPF, -1)).toBe(E("EBADF"));
    expect(bpf.setsockopt(s, SOL_SOCKET, SO_ATTACH_BPF, map)).toBe(E("EINVAL")); // not a program
    expect(bpf.setsockopt(s, SOL_SOCKET, SO_ATTACH_BPF, pfd)).toBe(E("EINVAL")); // not a socket filter
    expect(bpf.lastError).toMatch(/is of type conformance, not socket_filter$/);
    expect(bpf.setsockopt(s, SOL_SOCKET, SO_ATTACH_BPF, Uint8Array.of(pfd, 0))).toBe(E("EINVAL")); // optlen < sizeof(int)
    expect(bpf.setsockopt(s, SOL_SOCKET, SO_ATTACH_BPF, new Uint8Array(8))).toBe(E("EINVAL")); // optlen != sizeof(u32)
    expect(bpf.setsockopt(map, SOL_SOCKET, SO_ATTACH_BPF, pfd)).toBe(E("ENOTSOCK"));
    expect(bpf.setsockopt(77, SOL_SOCKET, SO_ATTACH_BPF, pfd)).toBe(E("EBADF"));
    expect(bpf.setsockopt(s, SOL_PACKET, SO_ATTACH_BPF, pfd)).toBe(E("ENOPROTOOPT"));
    expect(bpf.setsockopt(s, SOL_SOCKET, 12345, 1)).toBe(E("ENOPROTOOPT"));
    expect(bpf.setsockopt(s, SOL_SOCKET, SO_DETACH_BPF, 0)).toBe(E("ENOENT")); // nothing attached
    expect(bpf.setsockopt(s, SOL_SOCKET, SO_LOCK_FILTER, 1)).toBe(0);
    expect(bpf.setsockopt(s, SOL_SOCKET, SO_DETACH_BPF, 0)).toBe(E("EPERM"));
    expect(bpf.setsockopt(s, SOL_SOCKET, SO_ATTACH_BPF, pfd)).toBe(E("EPERM"));
    expect(bpf.setsockopt(s, SOL_SOCKET, SO_LOCK_FILTER, 0)).toBe(E("EPERM"));
    expect(bpf.getsockopt(s, SOL_SOCKET, 12345)).toBe(E("ENOPROTOOPT"));
  });

  it("SO_RCVBUF doubles the value, with SOCK_MIN_RCVBUF as the floor; a small queue drops and counts", () => {
    const { bpf, machine } = boot(3);
    const s = bpf.socket(AF_PACKET, SOCK_RAW, ETH_P_ALL);
    expect(bpf.getsockopt(s, SOL_SOCKET, SO_RCVBUF)).toBe(212992);
    expect(bpf.setsockopt(s, SOL_SOCKET, SO_RCVBUF, 10)).toBe(0);
    expect(bpf.getsockopt(s, SOL_SOCKET, SO_RCVBUF)).toBe(4560);
    expect(bpf.setsockopt(s, SOL_SOCKET, SO_RCVBUF, 3000)).toBe(0);
    expect(bpf.getsockopt(s, SOL_SOCKET, SO_RCVBUF)).toBe(6000);
    machine.run("net", 200);
    const st = bpf.socketStats(s) as Exclude<ReturnType<typeof bpf.socketStats>, number>;
    const devs = bpf.netDevices();
    const all = devs.reduce((n, d) => n + Object.values(d.tx).reduce((a, b) => a + b, 0) + Object.values(d.rx).reduce((a, b) => a + b, 0), 0);
    expect(st.received + st.queueDrops).toBe(all); // unbound: every device
    expect(st.queueDrops).toBeGreaterThan(0);
    expect(bpf.getsockopt(s, SOL_PACKET, PACKET_STATISTICS)).toEqual({ packets: all, drops: st.queueDrops });
  });
});
