// BTF benchmark: load the vmlinux 6.18 BTF (126,610 types) and dump it as
// raw, C and JSON, in process (per phase) and as whole processes against
// bpftool on the same file in the same run, when bpftool is on PATH.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { dumpJson, dumpRaw, encodeBtf, parseBtf } from "../src/btf/index.js";
import { dumpC } from "../src/btf/format/c.js";
import { onPath, printTable, repoRoot, timeIt, timeProcess } from "./table.js";

const ROOT = repoRoot();
const RUNS = Number(process.env.BENCH_RUNS ?? 7);

export async function runBtfBench(): Promise<void> {
  const bytes = gunzipSync(readFileSync(join(ROOT, "test/fixtures/vmlinux-6.18/vmlinux.btf.gz")));
  const btf = parseBtf(bytes);
  const fmt = (ms: number | undefined) => (ms === undefined ? "n/a" : ms.toFixed(1));
  printTable(`btf: in-process phases on vmlinux 6.18 (${btf.length} types, ${bytes.length} bytes), median of ${RUNS} runs, ms`, ["phase", "ms"], [
    ["parse + validate", fmt(timeIt(RUNS, () => parseBtf(bytes)))],
    ["dump raw", fmt(timeIt(RUNS, () => dumpRaw(btf)))],
    ["dump c", fmt(timeIt(RUNS, () => dumpC(btf)))],
    ["dump json", fmt(timeIt(RUNS, () => dumpJson(btf)))],
    ["parse + encode (round trip)", fmt(timeIt(RUNS, () => encodeBtf(parseBtf(bytes))))],
  ]);

  const dir = mkdtempSync(join(tmpdir(), "btfsnoop-bench-"));
  try {
    const file = join(dir, "vmlinux.btf");
    writeFileSync(file, bytes);
    const cli = join(ROOT, "dist/src/cli/bin.js");
    const haveBpftool = onPath("bpftool");
    const rows: string[][] = [];
    for (const format of ["raw", "c", "json"] as const) {
      const ours = timeProcess(RUNS, process.execPath, [cli, "btf", "dump", file, "--format", format]);
      const bpftoolArgs = format === "json" ? ["-j", "btf", "dump", "file", file] : ["btf", "dump", "file", file, "format", format];
      const theirs = haveBpftool ? timeProcess(RUNS, "bpftool", bpftoolArgs) : undefined;
      const ratio = ours !== undefined && theirs !== undefined ? (ours / theirs).toFixed(2) + "x" : "n/a";
      rows.push([`btf dump ${format}`, fmt(ours), fmt(theirs), ratio]);
    }
    printTable(
      `btf: whole process wall time, median of ${RUNS} runs, ms (ratio = btfsnoop / bpftool; < 1 is faster)${haveBpftool ? "" : " — bpftool not on PATH"}`,
      ["command", "btfsnoop", "bpftool", "ratio"],
      rows,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
