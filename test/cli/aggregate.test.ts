// count/hist/lhist/latency through main(): -i/--interval reports (not the
// TUI's -i), checked against the synthetic kernel's ground truth.
import { describe, expect, it } from "vitest";
import { commandGroup, interactiveShortcut } from "../../src/cli/main.js";
import { bootSyntheticKernel, machineOf } from "../../src/syscall/boot.js";
import { TraceSession } from "../../src/tracer/session.js";
import { runCli } from "../helpers/cli.js";

const T = 60_000;

/** The JSON lines of a run. */
function lines(out: string): Record<string, unknown>[] {
  return out
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("-i is --interval for the aggregations, the TUI's shortcut only for trace", () => {
  it.each([
    [["count", "tcp_sendmsg", "-i", "1s"], "aggregate"],
    [["hist", "vfs_write", "count", "-i", "100ms"], "aggregate"],
    [["lhist", "vfs_write", "count", "--min", "0", "--max", "10", "--step", "1", "-i", "1s"], "aggregate"],
    [["latency", "a", "b", "--key", "rq", "-i", "1s"], "aggregate"],
    [["--seed", "2", "count", "tcp_sendmsg", "-i", "1s"], undefined],
    [["trace", "tcp_*", "-i"], "tui"],
    [["tcp_*", "-i"], "tui"],
    [["-i"], "tui"],
  ] as [string[], string | undefined][])("%j -> %s", (argv, group) => {
    expect(commandGroup(argv)).toBe(group);
    expect(interactiveShortcut(argv)).toBe(group === "tui");
  });

  it("count -i 250ms --json: one object per interval with the calls of that interval, then the whole run", async () => {
    const r = await runCli("count", "tcp_sendmsg", "--workload", "net", "-d", "1s", "-i", "250ms", "--json");
    expect(r.code).toBe(0);
    // Ground truth: the same kernel and program, stepped to the same boundaries.
    const m = machineOf(bootSyntheticKernel({ seed: 1, nrCpus: 4 }));
    const s = TraceSession.open(m.bpf, { specs: ["tcp_sendmsg()"], aggregate: { kind: "count" } });
    const start = m.nowNs();
    const truth: { calls: number; time: number }[] = [];
    let before = 0;
    for (let k = 1; k <= 4; k++) {
      while (m.run("net", 16, start + BigInt(k) * 250_000_000n) === 16);
      const calls = m.callCount("tcp_sendmsg");
      // time_ns counts from boot, as trace's events do (the kernel's clock, bpf_ktime_get_ns).
      truth.push({ calls: calls - before, time: Number(m.nowNs()) });
      before = calls;
    }
    s.close();
    const objs = lines(r.out);
    expect(objs).toEqual([
      ...truth.map((t, i) => ({ type: "count", interval: i, final: false, time_ns: t.time, data: { tcp_sendmsg: t.calls } })),
      { type: "count", interval: 4, final: true, time_ns: truth[3]!.time, data: { tcp_sendmsg: before } },
    ]);
    expect(truth.every((t) => t.calls > 100)).toBe(true);
  }, T);

  it("time_ns is on trace's clock, ns since boot: a 100 ms count of the same seed ends after trace's first event, 100 ms past boot at 5 s", async () => {
    const tr = await runCli("trace", "tcp_sendmsg(size)", "--workload", "net", "-c", "1", "--json");
    const ev = lines(tr.out)[0]!;
    const agg = lines((await runCli("count", "tcp_sendmsg", "--workload", "net", "-d", "100ms", "--json")).out)[0]!;
    expect(ev.time_ns as number).toBeGreaterThan(5_000_000_000);
    expect(agg.time_ns as number).toBeGreaterThan(ev.time_ns as number);
    expect(agg.time_ns as number).toBeLessThan(5_000_000_000 + 100_000_000 + 1_000_000);
  }, T);

  it("count -i in text: a timestamped header per interval, then the totals; the same totals as without -i", async () => {
    const r = await runCli("count", "tcp_sendmsg", "--workload", "net", "-d", "600ms", "-i", "200ms");
    const plain = await runCli("count", "tcp_sendmsg", "--workload", "net", "-d", "600ms");
    expect(r.code).toBe(0);
    const headers = r.out.split("\n").filter((l) => l.startsWith("["));
    expect(headers).toHaveLength(4);
    expect(headers[0]).toMatch(/^\[5\.2\d{8} s\] interval 1 \(\d+\.?\d* ms\)$/);
    expect(headers[3]).toMatch(/^\[5\.6\d{8} s\] end: whole run \(600\.\d+ ms\)$/);
    const counts = r.out.split("\n").filter((l) => l.startsWith("@[")).map((l) => Number(l.split(": ")[1]));
    expect(counts).toHaveLength(4);
    expect(counts[0]! + counts[1]! + counts[2]!).toBe(counts[3]);
    expect(plain.out).toBe(`@[tcp_sendmsg]: ${counts[3]}\n\n`);
  }, T);

  it("-i goes with --by (was: Unknown argument: by) and with hist", async () => {
    const by = await runCli("count", "tcp_sendmsg", "--by", "size", "--workload", "net", "-d", "200ms", "-i", "100ms", "--json");
    expect(by.err).not.toContain("Unknown argument");
    expect(by.code).toBe(0);
    expect(lines(by.out).map((o) => o.final)).toEqual([false, false, true]);
    const hist = await runCli("hist", "vfs_write", "count", "--workload", "fs", "-d", "200ms", "-i", "100ms");
    expect(hist.code).toBe(0);
    expect(hist.out.match(/^@\[vfs_write\]:$/gm)).toHaveLength(3);
  }, T);

  it("a bad --interval is a usage error naming --interval", async () => {
    const r = await runCli("count", "tcp_sendmsg", "-i", "soon");
    expect(r.code).toBe(2);
    expect(r.err).toContain("--interval 'soon': expected a number and a unit");
    expect(r.out).toBe("");
  });
});

describe("count --by comm|pid|tid|cpu|kstack|retval, bpftrace's map keys", () => {
  /** `@[key]: N` entries of a text count map, in printed order. */
  function entries(out: string): [string, number][] {
    return [...out.matchAll(/^@\[([^]*?)\]: (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]);
  }

  it("comm,pid: one line per task, ascending by count; the same calls as the plain count", async () => {
    const r = await runCli("count", "tcp_sendmsg", "--by", "comm,pid", "--workload", "net", "-d", "200ms");
    expect(r.code).toBe(0);
    const e = entries(r.out);
    expect(e.length).toBeGreaterThan(2);
    for (const [key] of e) expect(key).toMatch(/^[a-z]+, \d+$/);
    const counts = e.map(([, n]) => n);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    // Summed per comm, the same counts as `--by comm`.
    const byComm = entries((await runCli("count", "tcp_sendmsg", "--by", "comm", "--workload", "net", "-d", "200ms")).out);
    const summed = new Map<string, number>();
    for (const [k, n] of e) summed.set(k.split(", ")[0]!, (summed.get(k.split(", ")[0]!) ?? 0) + n);
    expect(summed).toEqual(new Map(byComm));
  }, T);

  it("kstack: the stack as bpftrace prints it (one frame a line, func+decimal offset), callers' return addresses", async () => {
    const r = await runCli("count", "tcp_sendmsg", "--by", "kstack", "--workload", "net", "-d", "100ms");
    expect(r.code).toBe(0);
    const m = machineOf(bootSyntheticKernel({ seed: 1 }));
    const at = (name: string) => m.bpf.kallsyms().find((s) => s.name === name)!.address;
    // One call site per caller and callee: caller + 0x10 + ((callee >> 6) & 7) * 4.
    const site = (callee: string) => 0x10n + ((at(callee) >> 6n) & 7n) * 4n;
    // Each frame after the first is its caller at the return address of its call to the frame before it.
    const chained = (frames: string[]) =>
      frames[0] === "tcp_sendmsg+0" && frames.every((f, i) => i === 0 || f === `${f.split("+")[0]}+${site(frames[i - 1]!.split("+")[0]!)}`);
    const blocks = [...r.out.matchAll(/@\[\n((?: {4}\S+\n)+)\]: (\d+)\n/g)];
    expect(blocks.map((b) => b[0]).join("") + "\n").toBe(r.out);
    const stacks = blocks.map((b) => ({ frames: b[1]!.trimEnd().split("\n").map((l) => l.trim()), count: Number(b[2]) }));
    for (const { frames } of stacks) expect(chained(frames)).toBe(true);
    const counts = stacks.map((st) => st.count);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    // The net workload's background sends (sock_sendmsg from the step) and its sessions' send(2)s through the syscall entry.
    const ipv4 = ["tcp_sendmsg+0", `inet_sendmsg+${site("tcp_sendmsg")}`, `sock_sendmsg+${site("inet_sendmsg")}`];
    expect(stacks.some((st) => st.frames.join() === ipv4.join())).toBe(true);
    expect(
      stacks.some(
        (st) =>
          st.frames.join() ===
          [...ipv4, `__sys_sendto+${site("sock_sendmsg")}`, `__x64_sys_sendto+${site("__sys_sendto")}`, `x64_sys_call+${site("__x64_sys_sendto")}`, `do_syscall_64+${site("x64_sys_call")}`].join(),
      ),
    ).toBe(true);
    const json = await runCli("count", "tcp_sendmsg", "--by", "comm,kstack", "--workload", "net", "-d", "100ms", "--json");
    const data = lines(json.out)[0]!.data as Record<string, number>;
    expect(Object.keys(data).length).toBeGreaterThan(1);
    for (const key of Object.keys(data)) {
      const [comm, stack] = key.split(", ");
      expect(comm).toMatch(/^[a-z-]+$/);
      expect(chained(stack!.split(";"))).toBe(true);
    }
  }, T);

  it("retval as the C type shows it (-11 = -EAGAIN), and size,retval keyed by both", async () => {
    const r = await runCli("count", "tcp_sendmsg", "--by", "size,retval", "--workload", "net", "-d", "300ms", "--json");
    expect(r.code).toBe(0);
    const data = lines(r.out)[0]!.data as Record<string, number>;
    const keys = Object.keys(data).map((k) => k.split(", ").map(Number));
    // tcp_sendmsg returns its size, or -EAGAIN.
    expect(keys.every(([size, ret]) => ret === size || ret === -11)).toBe(true);
    expect(keys.some(([, ret]) => ret === -11)).toBe(true);
    const rv = await runCli("count", "tcp_sendmsg", "--by", "retval", "--workload", "net", "-d", "300ms");
    expect(entries(rv.out).some(([k]) => k === "-11")).toBe(true);
  }, T);

  it("refuses bad key lists and retval on a tracepoint (exit 2, nothing on stdout)", async () => {
    for (const [by, msg] of [
      ["a,b,c", "--by: at most two of the keys can be values or retval"],
      ["comm,", "an empty key"],
      ["pid,pid", "'pid' given twice"],
    ]) {
      const r = await runCli("count", "tcp_sendmsg", "--by", by!);
      expect([r.code, r.out]).toEqual([2, ""]);
      expect(r.err).toContain(msg);
    }
    const tp = await runCli("count", "skb:kfree_skb", "--by", "retval");
    expect([tp.code, tp.out]).toEqual([2, ""]);
    expect(tp.err).toContain("'skb:kfree_skb' is a tracepoint: it has no return value");
  }, T);
});

describe("--btf FILE: aggregations on a scale-mode kernel made from a real BTF, as trace --btf", () => {
  const VMLINUX = "test/fixtures/vmlinux-6.18/vmlinux.btf.gz";

  it("count over vmlinux 6.18 equals the calls the scale kernel made", async () => {
    // 200 ms: ~360k random calls over 56k functions, so tcp_sendmsg is called a few times (9 for seed 1).
    const r = await runCli("count", "tcp_sendmsg", "--btf", VMLINUX, "-d", "200ms", "--json");
    expect(r.code).toBe(0);
    const { bootScaleMachine } = await import("../../src/syscall/boot.js");
    const { loadBtfFile } = await import("../../src/cli/btf-file.js");
    const m = bootScaleMachine(loadBtfFile(VMLINUX), 1);
    const s = TraceSession.open(m.bpf, { specs: ["tcp_sendmsg()"], aggregate: { kind: "count" } });
    const end = m.nowNs() + 200_000_000n;
    while (m.run("random", 16, end) === 16);
    s.close();
    const calls = m.callCount("tcp_sendmsg");
    expect(calls).toBeGreaterThan(0);
    expect(lines(r.out)[0]!.data).toEqual({ tcp_sendmsg: calls });
  }, T);

  it("hist and a missing file", async () => {
    const h = await runCli("hist", "tcp_sendmsg", "size", "--btf", VMLINUX, "-d", "200ms");
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/^@\[tcp_sendmsg\]:\n(\[[^\n]+\|\n)+\n$/);
    const missing = await runCli("count", "tcp_sendmsg", "--btf", "/nonexistent/vmlinux");
    expect([missing.code, missing.out]).toEqual([2, ""]);
    expect(missing.err).toContain("cannot read '/nonexistent/vmlinux': no such file or directory");
  }, T);
});

describe("count kfree_skb_reason --by location (dropmon), and every --help example", () => {
  it("per call site, symbolized as caller+0xoff; the same sites as the skb:kfree_skb tracepoint's location field", async () => {
    const fn = await runCli("count", "kfree_skb_reason", "--by", "location", "--workload", "net", "-d", "300ms");
    const tp = await runCli("count", "skb:kfree_skb", "--by", "location", "--workload", "net", "-d", "300ms");
    expect([fn.code, tp.code]).toEqual([0, 0]);
    const m = machineOf(bootSyntheticKernel({ seed: 1 }));
    const at = (name: string) => m.bpf.kallsyms().find((s) => s.name === name)!.address;
    const off = (0x10n + ((at("kfree_skb_reason") >> 6n) & 7n) * 4n).toString(16);
    const sites = (out: string) => [...out.matchAll(/^@\[(.+)\]: \d+$/gm)].map((x) => x[1]!).sort();
    // The net workload drops in several callers (its receive paths and the device queue); each is one site.
    expect(sites(fn.out).length).toBeGreaterThan(1);
    for (const site of sites(fn.out)) expect(site).toMatch(new RegExp(`^[a-z_0-9]+\\+0x${off}$`));
    expect(sites(fn.out)).toContain(`tcp_v4_rcv+0x${off}`);
    expect(sites(tp.out)).toEqual(sites(fn.out));
  }, T);

  /** Shell words of an example (single quotes only, as the examples use). */
  function words(cmd: string): string[] {
    return [...cmd.matchAll(/'([^']*)'|(\S+)/g)].map((x) => x[1] ?? x[2]!);
  }

  for (const command of ["count", "hist", "lhist", "latency"] as const) {
    it(`${command} --help shows its examples, and each prints a non-empty map`, async () => {
      const { AGGREGATE_EXAMPLES } = await import("../../src/cli/commands/aggregate.js");
      // Help is written through the CLI's output, like any other text.
      const help = await runCli(command, "--help");
      const text = help.out;
      expect(help.code).toBe(0);
      const examples = AGGREGATE_EXAMPLES[command];
      expect(examples.length).toBeGreaterThan(0);
      for (const [cmd] of examples) {
        // Long examples wrap over two columns: every word of the example is in the Examples section.
        const shown = new Set(text.slice(text.indexOf("Examples:")).split(/\s+/));
        for (const w of cmd.replace("$0", "btfsnoop").split(" ")) expect([cmd, shown.has(w)]).toEqual([cmd, true]);
        // As typed, but over 200 ms of simulated time instead of the default 1 s (the same output, fewer events).
        const argv = [...words(cmd).slice(1), "-d", "200ms"];
        const r = await runCli(...argv);
        expect([cmd, r.code, r.err.includes("error")]).toEqual([cmd, 0, false]);
        // A map (after the interval header, if any) with a non-zero count: `@[key]: N` or a histogram row.
        expect(r.out).toMatch(/^(\[[^\n]+\n)?@\[/);
        expect(r.out).toMatch(/(\]: [1-9]\d*$)|( [1-9]\d* \|@*\s*\|$)/m);
      }
    }, 4 * T);
  }
});
