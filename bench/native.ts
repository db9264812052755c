// The VM benchmark's native anchor (bench/vm.ts): one of the benchmark's C
// programs compiled with gcc -O2 together with our harness
// bench/programs/native.c into a temporary folder, and run on the same input.
import { spawnSync } from "node:child_process";
import { join } from "node:path";

/** Builds program `name` (bench/programs/<name>.c) natively into `tmp`; the binary's path. Throws with the compiler's message. */
export function buildNative(programsDir: string, name: string, tmp: string, cc = "gcc"): string {
  const out = join(tmp, `native-${name}`);
  const r = spawnSync(cc, ["-O2", `-DBENCH_FN=${name}`, `-I${programsDir}`, join(programsDir, "native.c"), join(programsDir, `${name}.c`), "-o", out], { encoding: "utf8" });
  if (r.error) throw new Error(`${cc}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cc} (${name}): ${r.stderr.trim()}`);
  return out;
}

/** Runs a native build `runs` times on `input` (after a warm-up): r0 and the best thread CPU time in ns. */
export function runNative(binary: string, input: string, runs: number): { r0: bigint; ns: number } {
  const r = spawnSync(binary, [input, String(runs)], { encoding: "utf8" });
  if (r.error) throw new Error(`${binary}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${binary}: exit ${r.status ?? r.signal}: ${r.stderr.trim()}`);
  const m = /^(\d+) (\d+)\s*$/.exec(r.stdout);
  if (!m) throw new Error(`${binary}: unexpected output '${r.stdout.trim()}'`);
  return { r0: BigInt(m[1]!), ns: Number(m[2]) };
}
