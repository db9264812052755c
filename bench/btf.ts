// BTF benchmark: load the vmlinux 6.18 BTF (126,610 types) and dump it as
// raw, C and JSON, in process (per phase) and as whole processes against
// bpftool on the same file in the same run (issue 19's goals: raw <= 1.0x,
// C and JSON <= 1.5x bpftool's time, peak RSS <= 3x). The two tools' runs
// alternate so both see the same load; each process is measured by
// /usr/bin/time (wall, user+sys CPU, peak RSS). Also `info FUNC --btf` (goal
// < 0.3 s) as a whole process.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { dumpJson, dumpRaw, encodeBtf, parseBtf } from "../src/btf/index.js";
import { dumpC } from "../src/btf/format/c.js";
import { median, onPath, printTable, repoRoot, timeIt } from "./table.js";

const ROOT = repoRoot();
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const TIME = "/usr/bin/time";

/** One process run: wall and CPU seconds, peak RSS in MB. */
interface ProcRun {
  wall: number;
  cpu: number;
  rssMb: number;
}

/** Runs a process (stdout discarded) under /usr/bin/time; undefined if it fails. */
function runTimed(cmd: string, args: string[]): ProcRun | undefined {
  const r = spawnSync(TIME, ["-f", "%e %U %S %M", cmd, ...args], { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  if (r.status !== 0) return undefined;
  const last = r.stderr.trim().split("\n").pop() ?? "";
  const [wall, user, sys, kb] = last.split(" ").map(Number);
  if ([wall, user, sys, kb].some((x) => x === undefined || !Number.isFinite(x))) return undefined;
  return { wall: wall!, cpu: user! + sys!, rssMb: kb! / 1024 };
}

/** Summary of several runs: median wall, best CPU, median peak RSS. */
interface ProcStats {
  wall: number;
  cpu: number;
  rssMb: number;
}

function summarize(runs: ProcRun[]): ProcStats {
  return { wall: median(runs.map((r) => r.wall)), cpu: Math.min(...runs.map((r) => r.cpu)), rssMb: median(runs.map((r) => r.rssMb)) };
}

/** Runs each command `runs` times, alternating between them (after one warm-up each); undefined for a command that fails. */
function alternate(runs: number, cmds: ([string, string[]] | undefined)[]): (ProcStats | undefined)[] {
  const results: (ProcRun[] | undefined)[] = cmds.map((c) => (c ? [] : undefined));
  for (let i = 0; i <= runs; i++) {
    cmds.forEach((c, k) => {
      if (!c || !results[k]) return;
      const r = runTimed(c[0], c[1]);
      if (!r) results[k] = undefined;
      else if (i > 0) results[k]!.push(r); // the first run warms the page cache
    });
  }
  return results.map((r) => (r && r.length ? summarize(r) : undefined));
}

const f3 = (x: number | undefined) => (x === undefined ? "n/a" : x.toFixed(3));
const f0 = (x: number | undefined) => (x === undefined ? "n/a" : x.toFixed(0));
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? "n/a" : (a / b).toFixed(2) + "x");

export async function runBtfBench(): Promise<void> {
  const bytes = gunzipSync(readFileSync(join(ROOT, "test/fixtures/vmlinux-6.18/vmlinux.btf.gz")));
  const btf = parseBtf(bytes);
  const fmt = (ms: number | undefined) => (ms === undefined ? "n/a" : ms.toFixed(1));
  printTable(`btf: in-process phases on vmlinux 6.18 (${btf.length} types, ${bytes.length} bytes), median of ${RUNS} warm runs, ms`, ["phase", "ms"], [
    ["parse + validate", fmt(timeIt(RUNS, () => parseBtf(bytes)))],
    ["dump raw", fmt(timeIt(RUNS, () => dumpRaw(btf)))],
    ["dump c", fmt(timeIt(RUNS, () => dumpC(btf)))],
    ["dump json", fmt(timeIt(RUNS, () => dumpJson(btf)))],
    ["parse + encode (round trip)", fmt(timeIt(RUNS, () => encodeBtf(parseBtf(bytes))))],
  ]);

  const cli = join(ROOT, "dist/src/cli/bin.js");
  if (!existsSync(TIME)) {
    process.stdout.write(`\nbtf: ${TIME} not found: whole-process times and peak RSS not measured\n`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "btfsnoop-bench-"));
  try {
    const file = join(dir, "vmlinux.btf");
    writeFileSync(file, bytes);
    const haveBpftool = onPath("bpftool");
    const rows: string[][] = [];
    const goals: Record<string, string> = { raw: "<= 1.0x", c: "<= 1.5x", json: "<= 1.5x" };
    for (const format of ["raw", "c", "json"] as const) {
      const bpftoolArgs = format === "json" ? ["-j", "btf", "dump", "file", file] : ["btf", "dump", "file", file, "format", format];
      const [ours, theirs] = alternate(RUNS, [[process.execPath, [cli, "btf", "dump", file, "--format", format]], haveBpftool ? ["bpftool", bpftoolArgs] : undefined]);
      rows.push([
        `btf dump ${format}`,
        f3(ours?.wall),
        f3(theirs?.wall),
        ratio(ours?.wall, theirs?.wall),
        f3(ours?.cpu),
        f3(theirs?.cpu),
        ratio(ours?.cpu, theirs?.cpu),
        goals[format]!,
        f0(ours?.rssMb),
        f0(theirs?.rssMb),
        ratio(ours?.rssMb, theirs?.rssMb),
      ]);
    }
    printTable(
      `btf: whole processes, ${RUNS} alternating runs each: wall s (median), CPU s (best user+sys), peak RSS MB (median); ratio = btfsnoop / bpftool, goal time ratio as shown, RSS <= 3x` +
        (haveBpftool ? "" : " — bpftool not on PATH: no ratios"),
      ["command", "wall", "bpftool", "ratio", "cpu", "bpftool", "ratio", "goal", "RSS", "bpftool", "ratio"],
      rows,
    );

    // The fixed cost of a dump (start-up, argument parsing, module loading) on a 63-type BTF (1.7 KB).
    const tiny = join(ROOT, "test/fixtures/btf/funcs.bpf.btf");
    const [info, tinyDump, baseline] = alternate(RUNS, [
      [process.execPath, [cli, "info", "ip_send_skb", "--btf", file]],
      existsSync(tiny) ? [process.execPath, [cli, "btf", "dump", tiny]] : undefined,
      [process.execPath, ["-e", "0"]],
    ]);
    printTable(`btf: cold start of 'info ip_send_skb --btf vmlinux' (goal < 0.3 s wall) and of a dump of a tiny BTF, ${RUNS} alternating runs`, ["command", "wall s", "cpu s", "RSS MB"], [
      ["btfsnoop info ip_send_skb --btf", f3(info?.wall), f3(info?.cpu), f0(info?.rssMb)],
      ["btfsnoop btf dump (tiny BTF)", f3(tinyDump?.wall), f3(tinyDump?.cpu), f0(tinyDump?.rssMb)],
      ["node -e 0 (floor)", f3(baseline?.wall), f3(baseline?.cpu), f0(baseline?.rssMb)],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
