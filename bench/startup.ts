// Cold-start benchmark: runs each CLI command as a fresh `node` child process
// N times and prints the best wall time and the best CPU time (user+system of
// the child, from this process's reaped-children totals) next to the goal and
// to `node -e 0` measured in the same run, so the figures carry their own
// baseline on a loaded machine. Needs a built dist/ (npm run bench
// builds it). BENCH_STARTUP_RUNS sets N (default 7).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { printTable, repoRoot } from "./table.js";

const RUNS = Math.max(1, Number(process.env.BENCH_STARTUP_RUNS ?? 7));

interface Sample {
  wallMs: number;
  cpuMs: number;
}

/** One run of `node args...`: its wall time in ms; rejects on a non-zero exit. */
function runOnce(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    // 'exit' fires once the child is reaped, so its CPU time is in this process's children totals by then.
    child.on("exit", (code) => {
      const wallMs = performance.now() - t0;
      if (code !== 0) reject(new Error(`node ${args.join(" ")} exited ${code}: ${err.trim().split("\n").pop()}`));
      else resolve(wallMs);
    });
  });
}

/** CPU time (ms) all reaped children of this process have used so far. */
function childrenCpuMs(): number {
  // process.resourceUsage() reports this process only; /proc/self/stat fields 16-17 are cutime/cstime in clock ticks.
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[13]) + Number(fields[14]); // cutime, cstime (fields 16, 17 counted from 1)
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

/** Best-of-RUNS wall and CPU times of `node args...` (one warm-up run first, for the page cache). */
async function measure(args: string[]): Promise<Sample> {
  await runOnce(args);
  let wall = Infinity;
  let cpu = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const c0 = childrenCpuMs();
    const w = await runOnce(args);
    // Children are reaped one at a time here, so the difference is this child's CPU time (10 ms ticks).
    const c = childrenCpuMs() - c0;
    wall = Math.min(wall, w);
    cpu = Math.min(cpu, c);
  }
  return { wallMs: wall, cpuMs: cpu };
}

export async function runStartupBench(): Promise<void> {
  const root = repoRoot();
  const bin = join(root, "dist/src/cli/bin.js");
  const dir = mkdtempSync(join(tmpdir(), "btfsnoop-startup-"));
  try {
    const vmlinux = join(dir, "vmlinux");
    writeFileSync(vmlinux, gunzipSync(readFileSync(join(root, "test/fixtures/vmlinux-6.18/vmlinux.btf.gz"))));
    const cases: Array<{ name: string; args: string[]; goalMs?: number }> = [
      { name: "node -e 0 (baseline)", args: ["-e", "0"] },
      { name: "--help", args: [bin, "--help"], goalMs: 150 },
      { name: "--version", args: [bin, "--version"] },
      { name: "trace --help", args: [bin, "trace", "--help"] },
      { name: "info ip_send_skb --btf vmlinux", args: [bin, "info", "ip_send_skb", "--btf", vmlinux], goalMs: 300 },
      { name: "info ip_send_skb (synthetic)", args: [bin, "info", "ip_send_skb"] },
      { name: "trace ip_send_skb -c 1", args: [bin, "ip_send_skb", "-c", "1"], goalMs: 400 },
    ];
    const rows: string[][] = [];
    let base: Sample | undefined;
    for (const c of cases) {
      const s = await measure(c.args);
      base ??= s;
      const goal = c.goalMs === undefined ? "" : `< ${c.goalMs}`;
      const verdict = c.goalMs === undefined ? "" : s.wallMs < c.goalMs ? "met" : `${(s.wallMs / c.goalMs).toFixed(2)}x goal`;
      rows.push([c.name, s.wallMs.toFixed(0), s.cpuMs.toFixed(0), String(Math.round(s.wallMs - base.wallMs) || 0), goal, verdict]);
    }
    printTable(`Cold start (node ${process.version}, best of ${RUNS} runs; CPU = child user+sys, 10 ms ticks)`, ["command", "wall ms", "CPU ms", "wall - node -e 0", "goal ms (wall)", "vs goal"], rows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
