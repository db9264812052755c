// `npm run bench [-- SUITE...]`: runs the benchmark suites and prints a table
// per suite. Suites: btf, vm, verifier, kernel, trampoline, trace, tui, loader, startup, helpers.
// A suite that fails prints why (BENCH_DEBUG=1: with its stack) and the rest still run; exit status 1.
import { runBtfBench } from "./btf.js";
import { runKernelBench } from "./kernel.js";
import { runTrampolineBench } from "./trampoline.js";
import { runVerifierBench } from "./verifier.js";
import { runVmBench } from "./vm.js";
import { runTraceBench } from "./trace.js";
import { runTuiBench } from "./tui.js";
import { runLoaderBench } from "./loader.js";
import { runStartupBench } from "./startup.js";
import { runHelpersBench } from "./helpers.js";

const SUITES: Record<string, () => Promise<void>> = { btf: runBtfBench, vm: runVmBench, verifier: runVerifierBench, kernel: runKernelBench, trampoline: runTrampolineBench, trace: runTraceBench, tui: runTuiBench, loader: runLoaderBench, startup: runStartupBench, helpers: runHelpersBench };

const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const unknown = wanted.filter((name) => !SUITES[name]);
if (unknown.length) {
  process.stderr.write(`bench: unknown suite${unknown.length > 1 ? "s" : ""} ${unknown.map((n) => `'${n}'`).join(", ")} (have: ${Object.keys(SUITES).join(", ")})\n`);
  process.exit(2);
}
// A failing suite (a wrong answer, a bad BENCH_* setting, a missing tool) is reported and the others still run; exit status 1.
for (const name of wanted.length ? wanted : Object.keys(SUITES)) {
  try {
    await SUITES[name]!();
  } catch (e) {
    process.stderr.write(`bench: suite '${name}' failed: ${e instanceof Error ? e.message : String(e)}\n`);
    if (process.env.BENCH_DEBUG) process.stderr.write(`${(e as Error).stack ?? ""}\n`);
    process.exitCode = 1;
  }
}
