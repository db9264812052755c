// `npm run bench [-- SUITE...]`: runs the benchmark suites and prints a table
// per suite. Suites: btf, vm, verifier, kernel, trampoline, trace, tui, loader, startup.
import { runBtfBench } from "./btf.js";
import { runKernelBench } from "./kernel.js";
import { runTrampolineBench } from "./trampoline.js";
import { runVerifierBench } from "./verifier.js";
import { runVmBench } from "./vm.js";
import { runTraceBench } from "./trace.js";
import { runTuiBench } from "./tui.js";
import { runLoaderBench } from "./loader.js";
import { runStartupBench } from "./startup.js";

const SUITES: Record<string, () => Promise<void>> = { btf: runBtfBench, vm: runVmBench, verifier: runVerifierBench, kernel: runKernelBench, trampoline: runTrampolineBench, trace: runTraceBench, tui: runTuiBench, loader: runLoaderBench, startup: runStartupBench };

const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
for (const name of wanted.length ? wanted : Object.keys(SUITES)) {
  const suite = SUITES[name];
  if (!suite) {
    process.stderr.write(`bench: unknown suite '${name}' (have: ${Object.keys(SUITES).join(", ")})\n`);
    process.exit(2);
  }
  await suite();
}
