// `btfsnoop [trace] SPEC...` through main(): golden traces for fixed seeds in
// every output format, determinism, the stderr summary, --check and
// --summary accounting, loss under an overloaded ring buffer, a closed
// output, -o FILE, and the usage/input errors (exit 2, one message, no stdout).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/main.js";
import type { CliIo } from "../../src/cli/io.js";
import { collect } from "../../src/btf/format/sink.js";
import { TraceSession } from "../../src/tracer/session.js";
import { FIXTURES, checkGolden } from "../helpers/fixtures.js";

interface Run {
  code: number;
  out: string;
  err: string;
  writes: number;
}

/** Runs the CLI with buffered streams; with `closeAfter`, output reports closed after that many writes. */
async function run(argv: string[], closeAfter?: number): Promise<Run> {
  let out = "";
  let err = "";
  let writes = 0;
  const io: CliIo = {
    out: async (s) => {
      writes++;
      out += s;
    },
    err: (s) => {
      err += s;
    },
    stream: async (fill) => {
      writes++;
      out += collect(fill);
    },
    readStdin: async () => "",
    outputClosed: () => closeAfter !== undefined && writes >= closeAfter,
  };
  const code = await main(argv, io);
  return { code, out, err, writes };
}

/** Runs once, on first use; tests share the result. */
function once(argv: string[]): () => Promise<Run> {
  let p: Promise<Run> | undefined;
  return () => (p ??= run(argv));
}

const GOLDEN = join(FIXTURES, "..", "golden", "trace");
/** The built executable (npm test builds it before running vitest), for what needs a real process: rlimits, /dev/full as stdout. */
const BIN = join(FIXTURES, "..", "..", "dist", "src", "cli", "bin.js");
if (!existsSync(BIN)) throw new Error(`${BIN} missing: run npm run build first`);

const SK_ARGV = ["ip_send_skb(skb->sk)", "--seed", "1", "-c", "5"];
const sk = once(SK_ARGV);
const ndjson = once(["tcp_sendmsg(size, return)", "--seed", "2", "-c", "8", "--json"]);
const perfetto = once(["tcp_sendmsg(size, return)", "-c", "6", "--format", "perfetto"]);
const stash = once(["tcp_sendmsg(size > 1000, return)", "-c", "4", "--check"]);
const summary = once(["tcp_sendmsg(size, return)", "-c", "3", "--json", "--summary"]);

function expectGolden(name: string, actual: string): void {
  expect(checkGolden(join(GOLDEN, name), actual)).toBeUndefined();
}

describe("trace: golden output for fixed seeds", () => {
  it("ksnoop text: ip_send_skb(skb->sk) --seed 1 -c 5", async () => {
    const r = await sk();
    expect(r.code).toBe(0);
    expect(r.out.startsWith("            TIME  CPU      PID FUNCTION/ARGS\n")).toBe(true);
    expect(r.out.match(/^ +\d+ +\d+ +\d+ ip_send_skb\($/gm)).toHaveLength(5);
    expectGolden("ip_send_skb-sk.txt", r.out);
  });

  it("NDJSON: tcp_sendmsg(size, return) --seed 2 -c 8 --json", async () => {
    const r = await ndjson();
    expect(r.code).toBe(0);
    expectGolden("tcp_sendmsg-size-return.ndjson", r.out);
    const events = r.out.trimEnd().split("\n").map((l) => JSON.parse(l) as { func: string; kind: string; values: { name: string }[] });
    expect(events).toHaveLength(8);
    for (const e of events) {
      expect(e.func).toBe("tcp_sendmsg");
      expect(e.values.map((v) => v.name)).toEqual([e.kind === "entry" ? "size" : "return"]);
    }
    // Entry and return alternate (each call is one entry record and one return record).
    expect(events.map((e) => e.kind)).toEqual(["entry", "return", "entry", "return", "entry", "return", "entry", "return"]);
  });

  it("Perfetto JSON: tcp_sendmsg(size, return) -c 6 --format perfetto", async () => {
    const r = await perfetto();
    expect(r.code).toBe(0);
    expectGolden("tcp_sendmsg-size-return.perfetto.json", r.out);
    const doc = JSON.parse(r.out) as { traceEvents: { name: string; ph: string; pid: number; tid: number; ts?: number; cat?: string; args?: Record<string, unknown> }[] };
    expect(Object.keys(doc)).toEqual(["traceEvents"]);
    const evs = doc.traceEvents;
    const begins = evs.filter((e) => e.ph === "B");
    const ends = evs.filter((e) => e.ph === "E");
    expect(begins).toHaveLength(3);
    expect(ends).toHaveLength(3);
    for (const b of begins) {
      expect(b.name).toBe("tcp_sendmsg");
      expect(b.cat).toBe("entry");
      expect(Object.keys(b.args ?? {})).toEqual(["size"]);
    }
    for (const e of ends) expect(Object.keys(e.args ?? {})).toEqual(["return"]);
    // Slices nest properly per thread, and every thread is named before its first slice.
    const named = new Set<number>();
    const depth = new Map<number, number>();
    for (const e of evs) {
      if (e.ph === "M") {
        if (e.name === "thread_name") named.add(e.tid);
        continue;
      }
      expect(named.has(e.tid)).toBe(true);
      if (e.ph === "B") depth.set(e.tid, (depth.get(e.tid) ?? 0) + 1);
      if (e.ph === "E") {
        expect(depth.get(e.tid) ?? 0).toBeGreaterThan(0);
        depth.set(e.tid, depth.get(e.tid)! - 1);
      }
      if (e.ph !== "M") expect(typeof e.ts).toBe("number");
    }
    expect([...depth.values()].every((d) => d === 0)).toBe(true);
  });

  it.each([
    ["-c cuts a call between its entry and return", ["tcp_sendmsg(size, return)", "-c", "5"], { B: 3, E: 3, i: 0, unfinished: 1 }],
    ["nested calls cut by -c", ["sock_sendmsg", "tcp_sendmsg", "--workload", "net", "-c", "3"], { B: 2, E: 2, i: 0, unfinished: 1 }],
    ["an entry-only spec: instants", ["ip_send_skb(skb->sk)", "-c", "3"], { B: 0, E: 0, i: 3, unfinished: 0 }],
    ["stash mode (records made at return): instants", ["tcp_sendmsg(size > 1000, return)", "-c", "2"], { B: 0, E: 0, i: 2, unfinished: 0 }],
  ])("Perfetto: every task track's B/E slices balance (%s)", async (_what, argv, counts) => {
    const r = await run([...argv, "--format", "perfetto"]);
    expect(r.code).toBe(0);
    const evs = (JSON.parse(r.out) as { traceEvents: { name: string; ph: string; cat?: string; pid: number; tid: number; ts?: number }[] }).traceEvents;
    const task = evs.filter((e) => e.ph !== "M" && e.cat !== "cpu");
    expect({ B: task.filter((e) => e.ph === "B").length, E: task.filter((e) => e.ph === "E").length, i: task.filter((e) => e.ph === "i").length, unfinished: task.filter((e) => e.cat === "unfinished").length }).toEqual(counts);
    const open = new Map<string, string[]>();
    for (const e of task) {
      const st = open.get(`${e.pid}/${e.tid}`) ?? [];
      open.set(`${e.pid}/${e.tid}`, st);
      if (e.ph === "B") st.push(e.name);
      if (e.ph === "E") expect(st.pop()).toBe(e.name);
    }
    for (const st of open.values()) expect(st).toEqual([]);
    const last = Math.max(...task.map((e) => e.ts!));
    for (const e of task.filter((x) => x.cat === "unfinished")) expect(e.ts).toBe(last);
  });

  it("stash mode: tcp_sendmsg(size > 1000, return) prints one combined record per call", async () => {
    const r = await stash();
    expect(r.code).toBe(0);
    expectGolden("tcp_sendmsg-size-gt-1000-return.txt", r.out);
    const sizes = [...r.out.matchAll(/\(size_t\)(\d+)/g)].map((m) => Number(m[1]));
    expect(sizes).toHaveLength(4);
    for (const s of sizes) expect(s).toBeGreaterThan(1000);
    expect(r.out.match(/^ {35}return = $/gm)).toHaveLength(4);
  });

  it("predicate: ip_send_skb(skb->len > 128, skb)", async () => {
    const r = await run(["ip_send_skb(skb->len > 128, skb)", "-c", "3"]);
    expect(r.code).toBe(0);
    expectGolden("ip_send_skb-len-gt-128-skb.txt", r.out);
    const lens = [...r.out.matchAll(/skb->len = \n +\(unsigned int\)(\d+),/g)].map((m) => Number(m[1]));
    expect(lens).toHaveLength(3);
    for (const l of lens) expect(l).toBeGreaterThan(128);
    // Short skbs are rare in this workload: over 200 ms some are filtered out in the program.
    const long = await run(["ip_send_skb(skb->len > 128)", "--json", "-d", "200ms", "--check"]);
    expect(long.code).toBe(0);
    const values = long.out.trimEnd().split("\n").map((l) => (JSON.parse(l) as { values: { name: string; value: number }[] }).values);
    for (const v of values) expect(v).toEqual([{ name: "skb->len", type: "unsigned int", value: expect.any(Number) }]);
    expect(values.every((v) => v[0]!.value > 128)).toBe(true);
    expect(long.err).toBe(
      `btfsnoop: ${values.length} events shown in 200.084 ms of simulated time (duration); 14 filtered, 0 lost\n` +
        `  ok ip_send_skb: ${values.length + 14} calls -> ${values.length + 14} records expected, ${values.length + 14} accounted (${values.length} delivered, 14 filtered, 0 lost)\n`,
    );
  });

  it("is deterministic: the same command gives the same bytes, another seed other bytes", async () => {
    const first = await sk();
    const again = await run(SK_ARGV);
    expect(again).toEqual(first);
    const other = await run(["ip_send_skb(skb->sk)", "--seed", "2", "-c", "5"]);
    expect(other.code).toBe(0);
    expect(other.out).not.toBe(first.out);
  });
});

describe("trace: summary and accounting", () => {
  it("prints one exact summary line on stderr", async () => {
    const r = await sk();
    expect(r.err).toBe("btfsnoop: 5 events shown in 8.906 ms of simulated time (count); 0 filtered, 0 lost\n");
  });

  it("--check prints an ok line per target and exits 0", async () => {
    const r = await stash();
    expect(r.err).toBe(
      "btfsnoop: 4 events shown in 20.059 ms of simulated time (count); 8 filtered, 0 lost\n" +
        "  ok tcp_sendmsg: 12 calls -> 12 records expected, 12 accounted (4 delivered, 8 filtered, 0 lost)\n",
    );
  });

  it("a function with no arguments and no return value: ksnoop text prints no record (as ksnoop), JSON each entry and return, --check adds up", async () => {
    const r = await run(["schedule", "--workload", "sched", "-d", "2ms", "--check"]);
    expect(r.code).toBe(0);
    const calls = /ok schedule: (\d+) calls -> (\d+) records expected, (\d+) accounted \((\d+) delivered/.exec(r.err);
    expect(calls).not.toBeNull();
    const [n, expected, accounted, delivered] = calls!.slice(1).map(Number);
    expect(n).toBeGreaterThan(0);
    expect([expected, accounted, delivered]).toEqual([2 * n!, 2 * n!, 2 * n!]);
    // ksnoop's program sends a record only when it captured a value: `ksnoop schedule` prints its header alone.
    expect(r.out).toBe("            TIME  CPU      PID FUNCTION/ARGS\n");
    expect(r.err.split("\n").slice(0, 2)).toEqual([
      `btfsnoop: 0 events shown in 2.088 ms of simulated time (duration); 0 filtered, 0 lost, ${2 * n!} without values skipped`,
      "btfsnoop: no record had a value to show: ksnoop text prints a record only when it captured a value (hint: --json or --format perfetto show every call)",
    ]);
    const json = await run(["schedule", "--workload", "sched", "-c", "2", "--json"]);
    expect(json.out.trimEnd().split("\n").map((l) => JSON.parse(l) as { func: string; kind: string; values: unknown[] }).map((e) => [e.func, e.kind, e.values])).toEqual([
      ["schedule", "entry", []],
      ["schedule", "return", []],
    ]);
  });

  it("ksnoop text skips records with no value captured (every read failed) and -c counts the records printed", async () => {
    // do_sys_openat2's filename and how are user pointers (EFAULT); with dfd, records print; without, none do.
    const both = await run(["do_sys_openat2(dfd, filename)", "--workload", "fs", "-c", "2"]);
    expect(both.out.match(/^ +\d+ +\d+ +\d+ do_sys_openat2\($/gm)).toHaveLength(2);
    expect(both.out).toContain("/* Cannot show 'filename' as 'char  *'; invalid/userspace ptr? */");
    const failed = await run(["do_sys_openat2(filename)", "--workload", "fs", "-d", "5ms"]);
    expect(failed.out).toBe("            TIME  CPU      PID FUNCTION/ARGS\n");
    expect(failed.err).toMatch(/^btfsnoop: 0 events shown in [0-9.]+ ms of simulated time \(duration\); 0 filtered, 0 lost, \d+ without values skipped\n/);
    // Mixed: schedule's empty records are skipped, -c 3 still prints three tcp_sendmsg records.
    const mixed = await run(["schedule", "tcp_sendmsg(size)", "-c", "3"]);
    expect([...mixed.out.matchAll(/^ +\d+ +\d+ +\d+ (\w+)\($/gm)].map((m) => m[1])).toEqual(["tcp_sendmsg", "tcp_sendmsg", "tcp_sendmsg"]);
    expect(mixed.err).toMatch(/^btfsnoop: 3 events shown in [0-9.]+ ms of simulated time \(count\); 0 filtered, 0 lost(, \d+ not shown)?, [1-9]\d* without values skipped\n$/);
  });

  it("a bare void function with arguments (kfree_skb_reason): entry records only, and --check adds up", async () => {
    const r = await run(["kfree_skb_reason", "--workload", "net", "-d", "20ms", "--check"]);
    expect(r.code).toBe(0);
    const m = /ok kfree_skb_reason: (\d+) calls -> (\d+) records expected, (\d+) accounted \((\d+) delivered/.exec(r.err);
    expect(m).not.toBeNull();
    const [n, expected, accounted, delivered] = m!.slice(1).map(Number);
    expect(n).toBeGreaterThan(0);
    expect([expected, accounted, delivered]).toEqual([n, n, n]);
  });

  it("--json --summary ends with a summary object whose counts add up", async () => {
    const r = await summary();
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    const last = lines[lines.length - 1] as {
      summary: boolean;
      reason: string;
      shown: number;
      not_shown: number;
      filtered: number;
      lost: number;
      elapsed_ns: number;
      functions: Record<string, { calls: number; delivered: number; filtered: number; lost: number }>;
    };
    expect(last.summary).toBe(true);
    expect(last.reason).toBe("count");
    expect(lines.slice(0, -1).every((l) => l.summary === undefined)).toBe(true);
    expect(lines.length - 1).toBe(last.shown);
    expect(last.shown).toBe(3);
    const fns = Object.entries(last.functions);
    expect(fns.map(([n]) => n)).toEqual(["tcp_sendmsg"]);
    for (const [, c] of fns) {
      // Entry + return without a predicate: two records per call, each delivered, filtered or lost.
      expect(c.delivered + c.filtered + c.lost).toBe(2 * c.calls);
    }
    expect(fns.reduce((s, [, c]) => s + c.filtered, 0)).toBe(last.filtered);
    expect(fns.reduce((s, [, c]) => s + c.lost, 0)).toBe(last.lost);
    expect(last.elapsed_ns).toBeGreaterThan(0);
    expect(r.err).toBe("btfsnoop: 3 events shown in 3.424 ms of simulated time (count); 0 filtered, 0 lost, 1 not shown\n");
  });

  // Records drained but cut off by --count are counted as not shown: shown + not_shown == delivered.
  it("--summary: shown + not_shown equals the records delivered", async () => {
    const r = await summary();
    const last = JSON.parse(r.out.trimEnd().split("\n").pop()!) as { shown: number; not_shown: number; functions: Record<string, { delivered: number }> };
    const delivered = Object.values(last.functions).reduce((s, c) => s + c.delivered, 0);
    expect(last.shown + last.not_shown).toBe(delivered);
  });

  it("an overloaded one-page ring buffer loses events, says so, and still conserves", async () => {
    const r = await run(["ip_send_skb(skb, skb->sk)", "-P", "1", "-d", "1s", "--check"]);
    expect(r.code).toBe(0);
    const lines = r.err.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    const head = /^btfsnoop: (\d+) events shown in 1000\.\d+ ms of simulated time \(duration\); 0 filtered, (\d+) lost$/.exec(lines[0]!);
    expect(head).not.toBeNull();
    const shown = Number(head![1]);
    const lost = Number(head![2]);
    expect(lost).toBeGreaterThan(0);
    expect(lines[1]).toBe(`btfsnoop: /* lost ${lost} events */ (hint: a bigger ring buffer, e.g. -P 64)`);
    const row = /^ {2}ok ip_send_skb: (\d+) calls -> (\d+) records expected, (\d+) accounted \((\d+) delivered, 0 filtered, (\d+) lost\)$/.exec(lines[2]!);
    expect(row).not.toBeNull();
    const [calls, expected, accounted, delivered, rowLost] = row!.slice(1).map(Number);
    expect(expected).toBe(calls);
    expect(accounted).toBe(expected);
    expect(delivered! + rowLost!).toBe(calls);
    expect(rowLost).toBe(lost);
    expect(delivered).toBe(shown);
    expect(r.out.match(/^ +\d+ +\d+ +\d+ ip_send_skb\($/gm)).toHaveLength(shown);
  });
});

describe("trace: output destinations", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it.each([
    ["text", ["ip_send_skb(skb->sk)"]],
    ["json", ["ip_send_skb(skb->sk)", "--json"]],
  ])("a closed output (%s) stops the trace quietly with exit 0 and closes the session", async (_fmt, argv) => {
    const open = vi.spyOn(TraceSession, "open");
    const r = await run(argv, 1);
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    expect(r.writes).toBe(1);
    expect(open).toHaveBeenCalledTimes(1);
    const session = open.mock.results[0]!.value as TraceSession;
    expect(session.attachedLinks).toBe(0);
    expect(session.poll()).toEqual([]);
  });

  it("-o FILE writes the bytes stdout would get", async () => {
    const dir = mkdtempSync(join(tmpdir(), "btfsnoop-trace-"));
    try {
      const file = join(dir, "trace.txt");
      const r = await run([...SK_ARGV, "-o", file]);
      expect(r.code).toBe(0);
      expect(r.out).toBe("");
      const ref = await sk();
      expect(readFileSync(file, "utf8")).toBe(ref.out);
      expect(r.err).toBe(ref.err);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([["text"], ["json"], ["perfetto"]])("-o /dev/full (%s) is an error naming the file and errno, exit 2", async (format) => {
    const r = await run([...SK_ARGV, "--format", format, "-o", "/dev/full"]);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toBe("btfsnoop: error: cannot write '/dev/full': ENOSPC: no space left on device, write (hint: 0 bytes were written before the failure)\n");
  });

  it("a write that fails midway (a 4 KiB file size limit) exits 2 and keeps every byte written before it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "btfsnoop-trace-"));
    try {
      const file = join(dir, "trace.txt");
      const argv = ["ip_send_skb(skb->sk)", "--seed", "1", "-c", "20"];
      const ref = await run(argv);
      expect(ref.out.length).toBeGreaterThan(8192);
      // bash's ulimit -f counts 1024-byte blocks: writes past 4096 bytes fail with EFBIG.
      const r = spawnSync("bash", ["-c", `ulimit -f 4 && exec "${process.execPath}" "${BIN}" "$@"`, "bash", ...argv, "-o", file], { encoding: "utf8" });
      expect(r.stderr).toBe(`btfsnoop: error: cannot write '${file}': EFBIG: file too large, write (hint: 4096 bytes were written before the failure)\n`);
      expect(r.status).toBe(2);
      expect(readFileSync(file, "utf8")).toBe(ref.out.slice(0, 4096));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("-o naming a pipe whose reader goes away stops quietly with exit 0, as stdout does", () => {
    const r = spawnSync("bash", ["-c", `set -o pipefail; "${process.execPath}" "${BIN}" "$@" -o /dev/stdout | head -n 1`, "bash", "ip_send_skb(skb->sk)", "-d", "1s"], { encoding: "utf8" });
    expect(r.stdout).toBe("            TIME  CPU      PID FUNCTION/ARGS\n");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it.each([
    ["text", []],
    ["json", ["--json"]],
    ["perfetto", ["--format", "perfetto"]],
    ["tree", ["--tree"]],
  ])("stdout on a full device (%s): one error line, exit 2", (_fmt, extra) => {
    const r = spawnSync("sh", ["-c", `exec "${process.execPath}" "${BIN}" "$@" > /dev/full`, "sh", "tcp_sendmsg", "-c", "4", ...extra], { encoding: "utf8" });
    expect(r.stderr).toBe("btfsnoop: error: cannot write to standard output: ENOSPC: no space left on device, write\n");
    expect(r.status).toBe(2);
  });
});

describe("trace: errors exit 2 with one message and no output", () => {
  it.each([
    [
      ["ip_send_skbb(skb)"],
      "btfsnoop: error: no function 'ip_send_skbb' in the kernel; did you mean 'ip_send_skb'?\n    ip_send_skbb(skb)\n    ^~~~~~~~~~~~\n",
    ],
    [
      ["ip_send_skb(skb->"],
      'btfsnoop: error: invalid probe spec at column 18: expected an identifier\n    ip_send_skb(skb->\n                     ^\nhint: unbalanced parentheses: 1 "(" not closed\n',
    ],
    [
      ["ip_send_skb(skb->lenn)"],
      "btfsnoop: error: no member 'lenn' in struct sk_buff; did you mean 'len'?\n    ip_send_skb(skb->lenn)\n                     ^~~~\n",
    ],
    [
      ["ip_send_skb", "--duration", "abc"],
      "btfsnoop: usage error: --duration 'abc': expected a number and a unit (ns, us, ms, s, m), e.g. 500ms (run 'btfsnoop --help' for usage)\n",
    ],
    [["ip_send_skb", "-d", "0ms"], "btfsnoop: usage error: --duration '0ms': must be more than 0 (run 'btfsnoop --help' for usage)\n"],
    [["ip_send_skb", "-P", "3"], "btfsnoop: error: ring buffer of 3 pages: must be a power of two (hint: try -P 16)\n"],
    [["ip_send_skb", "-c", "0"], "btfsnoop: usage error: --count 0: expected a positive integer (run 'btfsnoop --help' for usage)\n"],
    [
      ["ip_send_skb", "--workload", "nope"],
      "btfsnoop: usage error: --workload nope: expected one of net, fs, block, sched, mixed (run 'btfsnoop --help' for usage)\n",
    ],
    [["ip_send_skb", "-c", "1", "-o", "/no/such/dir/x"], "btfsnoop: error: cannot write '/no/such/dir/x': ENOENT: no such file or directory, open '/no/such/dir/x'\n"],
    [["ip_send_skb", "-c", "1", "-o", "/"], "btfsnoop: error: cannot write '/': EISDIR: illegal operation on a directory, open '/'\n"],
    [
      ["--follow-skb", "ip_send_skb(skb->len)", "-c", "1"],
      "btfsnoop: usage error: --follow-skb already traces every function taking a struct sk_buff *, so 'ip_send_skb(skb->len)' would trace ip_send_skb twice: drop it, or trace it without --follow-skb (run 'btfsnoop --help' for usage)\n",
    ],
    [
      ["--follow-skb", "ip_*", "-c", "1"],
      "btfsnoop: usage error: --follow-skb already traces every function taking a struct sk_buff *, so 'ip_*' would trace ip_build_and_send_pkt, ip_finish_output, ip_finish_output2 and 11 more twice: drop it, or trace it without --follow-skb (run 'btfsnoop --help' for usage)\n",
    ],
    [
      ["--follow-skb", "ip_send_skbb(skb)", "-c", "1"],
      "btfsnoop: error: no function 'ip_send_skbb' in the kernel; did you mean 'ip_send_skb'?\n    ip_send_skbb(skb)\n    ^~~~~~~~~~~~\n",
    ],
    [["ip_send_skb", "--json", "--format", "perfetto"], "btfsnoop: usage error: --json and --format perfetto ask for different outputs: choose one (run 'btfsnoop --help' for usage)\n"],
    [["ip_send_skb", "-f", "text", "--json"], "btfsnoop: usage error: --json and --format text ask for different outputs: choose one (run 'btfsnoop --help' for usage)\n"],
    [["ip_send_skb", "--summary"], "btfsnoop: usage error: --summary goes with --json (the summary is a JSON object; text output has its summary on stderr) (run 'btfsnoop --help' for usage)\n"],
    [
      ["--tree", "ip_send_skb", "-f", "perfetto"],
      "btfsnoop: usage error: --tree prints call trees as text or JSON, not Perfetto: drop --format perfetto (without --tree, Perfetto shows the calls as nested slices) (run 'btfsnoop --help' for usage)\n",
    ],
  ])("%j", async (argv, expected) => {
    const r = await run(argv);
    expect(r.err).toBe(expected);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
  });
});

describe("trace: --tree and --follow-skb", () => {
  it("--tree --errors prints only call trees with a failing call, as golden", async () => {
    const r = await run(["--tree", "--errors", "tcp_sendmsg", "sock_sendmsg", "--workload", "net", "-c", "3", "--seed", "1"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/= -11 \(EAGAIN\)/);
    expect(checkGolden(join(GOLDEN, "tree-errors-sock_sendmsg.txt"), r.out)).toBeUndefined();
  });

  it("--tree renders values by their C type: signed ints, pointers in hex, pointer returns in hex", async () => {
    const r = await run(["--tree", "do_sys_openat2", "--workload", "fs", "-c", "2", "--seed", "1"]);
    expect(r.code).toBe(0);
    const open = r.out.match(/^ {2}[ !] do_sys_openat2\(.*$/gm) ?? [];
    expect(open).toHaveLength(2);
    expect(open.map((l) => / = (.*)$/.exec(l)![1])).toEqual(["3", "-2 (ENOENT)"]);
    for (const l of open) expect(l).toMatch(/^ {2}[ !] do_sys_openat2\(dfd=-100, filename=0x[0-9a-f]+, how=0x[0-9a-f]+\) +[0-9.]+(ns|us) = (\d+|-\d+ \([A-Z]+\))$/);
    const skb = await run(["--tree", "__alloc_skb", "--workload", "net", "-c", "2", "--seed", "1"]);
    const alloc = skb.out.match(/^ {4}__alloc_skb\(.*$/gm) ?? [];
    expect(alloc).toHaveLength(2);
    for (const l of alloc) expect(l).toMatch(/^ {4}__alloc_skb\(size=\d+, gfp_mask=\d+, flags=2, node=-1\) +[0-9.]+(ns|us) = 0xffff888[0-9a-f]+$/);
    expect(r.out + skb.out).not.toMatch(/18446744073709551516|= -\d{10,}/);
  });

  it("--tree -c N counts trees, and --json prints them (-c 1 printed nothing: it counted one event)", async () => {
    const r = await run(["trace", "--tree", "tcp_*", "--json", "-c", "1", "-d", "100ms", "-P", "64"]);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    const t = JSON.parse(lines[0]!) as { pid: number; tree: { func: string; args: Record<string, unknown>; ret: unknown; calls: unknown[] } };
    expect(t.tree.func).toMatch(/^tcp_/);
    expect(r.err).toMatch(/^btfsnoop: 1 call trees shown \(\d+ events read\) in [0-9.]+ ms of simulated time \(count\); 0 filtered, 0 lost/);
    const text = await run(["--tree", "do_sys_openat2", "vfs_*", "--workload", "fs", "-c", "3"]);
    expect(text.out.match(/^\d+ ns {2}cpu/gm)).toHaveLength(3);
    const json = await run(["--tree", "do_sys_openat2", "vfs_*", "--workload", "fs", "-c", "3", "--json"]);
    const trees = json.out.trimEnd().split("\n").map((l) => JSON.parse(l) as { tree: { func: string; args: Record<string, unknown> } });
    expect(trees).toHaveLength(3);
    // The fs workload now starts with a mkdir and writes outside any open: each vfs_* call outside do_sys_openat2 is its own tree.
    expect(trees.map((t) => t.tree.func)).toEqual(["vfs_mkdir", "do_sys_openat2", "vfs_write"]);
    expect(trees[1]!.tree.args.dfd).toBe(-100);
    expect(trees[1]!.tree.args.filename).toMatch(/^0x[0-9a-f]+$/);
  });

  it("--json --format json agree, and --follow-skb takes specs of functions without an skb", async () => {
    const j = await run(["ip_send_skb(skb->len)", "--json", "-f", "json", "-c", "1"]);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.out)).toMatchObject({ func: "ip_send_skb", values: [{ name: "skb->len", type: "unsigned int" }] });
    const r = await run(["--follow-skb", "tcp_sendmsg", "--workload", "net", "-d", "5ms"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/ tcp_sendmsg\n/);
    expect(r.out).toMatch(/ ip_send_skb\n/);
  });

  it("--follow-skb prints each skb's path through every function that takes one", async () => {
    const r = await run(["--follow-skb", "-c", "12", "--workload", "net", "--seed", "1"]);
    expect(r.code).toBe(0);
    expect(checkGolden(join(GOLDEN, "follow-skb.txt"), r.out)).toBeUndefined();
    expect(r.out.split("\n")[1]).toMatch(/^ +\d+ 0xffff888\w+ +\d+ \[\w+\(\d+\)\] +napi_gro_receive$/);
  });
});

describe("trace --btf (scale mode)", () => {
  it("traces a kernel made from the vmlinux 6.18 BTF: random calls, pointer arguments shown as their zero-filled objects, calls conserved", async () => {
    const r = await run(["tcp_v4_connect", "--btf", join(FIXTURES, "vmlinux-6.18", "vmlinux.btf.gz"), "-d", "2s", "--check"]);
    expect(r.code).toBe(0);
    // Scale mode's arguments point to objects of their BTF type (src/kernel-model/scale-objects.ts): zero but for the pointer members.
    expect(r.out).toMatch(/^ {35}sk = \*\(0xffff888[0-9a-f]{9}\)\n {36}\(struct sock\)\{\n {37}\.sk_rx_dst = \(struct dst_entry \*\)0xffff888[0-9a-f]{9},$/m);
    expect(r.out).toMatch(/^ {35}uaddr = \*\(0xffff888[0-9a-f]{9}\)\n {36}\(struct sockaddr\)\{\n {36}\},$/m);
    expect(r.out).not.toContain("invalid/userspace ptr");
    expect(r.err).toMatch(/^ {2}ok tcp_v4_connect: (\d+) calls -> (\d+) records expected, \2 accounted/m);
  }, 30_000);
});

describe("trace: tracepoint __data_loc strings", () => {
  it('"tracepoint:net:netif_receive_skb(name)" --json prints the device name as a char[] string', async () => {
    const r = await run(["tracepoint:net:netif_receive_skb(name)", "--workload", "net", "-c", "1", "--json"]);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    const e = JSON.parse(lines[0]!) as { func: string; kind: string; values: unknown[] };
    expect([e.func, e.kind, e.values]).toEqual(["net:netif_receive_skb", "tracepoint", [{ name: "name", type: "char[]", value: "eth0" }]]);
  });

  it("text: the string on the line after the name; a filter on it; an empty cmd", async () => {
    const r = await run(['tracepoint:net:net_dev_xmit(name == "lo", len)', "--workload", "net", "-c", "2"]);
    expect(r.code).toBe(0);
    expect(r.out.match(/^ {35}name = \n {36}"lo",\n {35}len = \n {36}\(unsigned int\)\d+\n/gm)).toHaveLength(2);
    const blk = await run(["tracepoint:block:block_rq_issue(cmd)", "--workload", "block", "-c", "1", "--json"]);
    expect(blk.code).toBe(0);
    expect((JSON.parse(blk.out) as { values: unknown[] }).values).toEqual([{ name: "cmd", type: "char[]", value: "" }]);
  });
});
