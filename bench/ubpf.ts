// uBPF as the VM benchmark's anchor (bench/vm.ts): finds the uBPF build that
// BENCH_UBPF names (a cmake build folder or an install prefix; uBPF is never
// part of this repository), builds our own harness bench/programs/ubpf-harness.c
// against its library into a temporary folder, and runs it: uBPF's
// interpreter (ubpf_exec) or JIT (ubpf_compile) timed in-process on the
// same bytecode btfsnoop runs.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

export type UbpfEngine = "interp" | "jit";

export interface Ubpf {
  /** The harness binary. */
  harness: string;
  /** Best thread CPU time in ns of `runs` runs on `input` (after a warm-up), and r0. */
  run(engine: UbpfEngine, bin: string, input: string, runs: number): { r0: bigint; ns: number };
  /** ns per run of `count` runs with no input (the best of 5 batches), and r0. */
  fixed(engine: UbpfEngine, bin: string, count: number): { r0: bigint; ns: number };
}

/** The source folder of a cmake build folder (CMakeCache.txt's CMAKE_HOME_DIRECTORY), if it is one. */
function cmakeSource(build: string): string | undefined {
  const cache = join(build, "CMakeCache.txt");
  if (!existsSync(cache)) return undefined;
  const m = /^CMAKE_HOME_DIRECTORY:INTERNAL=(.*)$/m.exec(readFileSync(cache, "utf8"));
  return m?.[1]?.trim();
}

/** Where ubpf.h, ubpf_config.h and libubpf.a are under a uBPF build or install prefix; a reason when not found. */
export function locateUbpf(root: string): { include: string[]; lib: string } | { error: string } {
  const dir = resolve(root);
  const src = cmakeSource(dir);
  const first = (paths: string[]) => paths.find((p) => existsSync(p));
  const header = first([join(dir, "include/ubpf.h"), join(dir, "vm/inc/ubpf.h"), ...(src ? [join(src, "vm/inc/ubpf.h")] : []), join(dir, "../vm/inc/ubpf.h")]);
  const config = first([join(dir, "include/ubpf_config.h"), join(dir, "vm/ubpf_config.h"), join(dir, "build/vm/ubpf_config.h")]);
  const lib = first([join(dir, "lib/libubpf.a"), join(dir, "lib64/libubpf.a"), join(dir, "libubpf.a"), join(dir, "vm/libubpf.a"), join(dir, "build/lib/libubpf.a")]);
  if (!header) return { error: `no ubpf.h under ${dir} (include/, vm/inc/ or the cmake source folder)` };
  if (!config) return { error: `no ubpf_config.h under ${dir} (include/ or vm/ of a cmake build)` };
  if (!lib) return { error: `no libubpf.a under ${dir} (lib/, lib64/ or the build folder)` };
  return { include: [...new Set([dirname(header), dirname(config)])], lib };
}

function parseLine(out: string, what: string): { r0: bigint; ns: number } {
  const m = /^(\d+) ([\d.]+)\s*$/.exec(out);
  if (!m) throw new Error(`${what}: unexpected output '${out.trim()}'`);
  return { r0: BigInt(m[1]!), ns: Number(m[2]) };
}

function exec(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 20 });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: exit ${r.status ?? r.signal}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Builds the harness from `harnessSource` against the uBPF build at `ubpfDir` into `tmp` with `cc`. Throws with the compiler's message. */
export function buildUbpf(ubpfDir: string, harnessSource: string, tmp: string, cc = "gcc"): Ubpf {
  const where = locateUbpf(ubpfDir);
  if ("error" in where) throw new Error(`BENCH_UBPF: ${where.error}`);
  const harness = join(tmp, "ubpf-harness");
  exec(cc, ["-O2", ...where.include.map((i) => `-I${i}`), harnessSource, where.lib, "-lm", "-o", harness]);
  return {
    harness,
    run: (engine, bin, input, runs) => parseLine(exec(harness, ["run", engine, bin, input, String(runs)]), `uBPF ${engine}`),
    fixed: (engine, bin, count) => parseLine(exec(harness, ["fixed", engine, bin, String(count)]), `uBPF ${engine}`),
  };
}
