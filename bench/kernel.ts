// Kernel model benchmark: untraced function calls per second of the
// workloads (scale mode on vmlinux 6.18: random calls over ~56k functions).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { parseBtf } from "../src/btf/index.js";
import { buildScaleKernel, runRandomCalls } from "../src/kernel-model/scale.js";
import { SyntheticKernel, WORKLOADS } from "../src/kernel-model/synthetic.js";
import { printTable, repoRoot } from "./table.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

export async function runKernelBench(): Promise<void> {
  const btf = parseBtf(gunzipSync(readFileSync(join(repoRoot(), "test/fixtures/vmlinux-6.18/vmlinux.btf.gz"))));
  const t0 = performance.now();
  const k = buildScaleKernel(btf, { seed: 1 });
  const buildMs = performance.now() - t0;
  const calls = 500_000;
  let best = Infinity;
  for (let i = 0; i <= RUNS; i++) {
    const s = performance.now();
    runRandomCalls(k, calls);
    const dt = performance.now() - s;
    if (i > 0) best = Math.min(best, dt);
  }
  const rows: string[][] = [
    ["scale mode build (vmlinux 6.18)", String(k.functions.all().length), "-", buildMs.toFixed(1), "-"],
    ["random-calls (scale mode)", String(k.functions.all().length), String(calls), best.toFixed(1), Math.round((calls / best) * 1000).toLocaleString("en-US")],
  ];
  for (const w of WORKLOADS) {
    let bestW = Infinity;
    let made = 0;
    for (let i = 0; i <= RUNS; i++) {
      const sk = new SyntheticKernel({ seed: 1 });
      let n = 0;
      sk.functions.onCall = () => void n++;
      const s0 = performance.now();
      sk.run(w, { count: 5000 });
      const dt = performance.now() - s0;
      if (i > 0 && dt < bestW) {
        bestW = dt;
        made = n;
      }
    }
    rows.push([`${w} workload (synthetic kernel, 5,000 steps)`, String(new SyntheticKernel().functions.all().length), String(made), bestW.toFixed(1), Math.round((made / bestW) * 1000).toLocaleString("en-US")]);
  }
  printTable(`kernel: untraced calls, best of ${RUNS} runs`, ["workload", "functions", "calls", "ms", "calls/s"], rows);
}
