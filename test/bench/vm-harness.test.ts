// The VM benchmark's external anchors (bench/native.ts, bench/ubpf.ts): the
// programs' C compiles natively with gcc and gives the model's r0 (skipped
// without gcc), a uBPF build is found in a cmake build folder or an install
// prefix, and, when BENCH_UBPF names a uBPF build, our harness runs every
// program in uBPF's interpreter and JIT with the model's r0.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildNative, runNative } from "../../bench/native.js";
import { buildUbpf, locateUbpf } from "../../bench/ubpf.js";
import { BENCH_PROGRAMS, benchInput, loadBenchProgram, programsDir } from "../../bench/vm-programs.js";

const ROOT = resolve(__dirname, "../..");
const DIR = programsDir(ROOT);
const tmp = mkdtempSync(join(tmpdir(), "btfsnoop-vm-harness-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const haveGcc = spawnSync("sh", ["-c", "command -v gcc"], { stdio: "ignore" }).status === 0;
const N = 33;

function touch(path: string): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, "");
}

describe("locateUbpf", () => {
  it("finds the header in the cmake source folder, the config header and the library in the build folder", () => {
    const src = join(tmp, "ubpf-src");
    const build = join(tmp, "ubpf-build");
    touch(join(src, "vm/inc/ubpf.h"));
    touch(join(build, "vm/ubpf_config.h"));
    touch(join(build, "lib/libubpf.a"));
    writeFileSync(join(build, "CMakeCache.txt"), `# cache\nCMAKE_HOME_DIRECTORY:INTERNAL=${src}\nOTHER:STRING=x\n`);
    expect(locateUbpf(build)).toEqual({ include: [join(src, "vm/inc"), join(build, "vm")], lib: join(build, "lib/libubpf.a") });
  });

  it("finds an install prefix's include/ and lib64/", () => {
    const prefix = join(tmp, "ubpf-prefix");
    touch(join(prefix, "include/ubpf.h"));
    touch(join(prefix, "include/ubpf_config.h"));
    touch(join(prefix, "lib64/libubpf.a"));
    expect(locateUbpf(prefix)).toEqual({ include: [join(prefix, "include")], lib: join(prefix, "lib64/libubpf.a") });
  });

  it("says which piece is missing", () => {
    const empty = join(tmp, "empty");
    mkdirSync(empty, { recursive: true });
    expect(locateUbpf(empty)).toEqual({ error: `no ubpf.h under ${empty} (include/, vm/inc/ or the cmake source folder)` });
    touch(join(empty, "include/ubpf.h"));
    expect(locateUbpf(empty)).toEqual({ error: `no ubpf_config.h under ${empty} (include/ or vm/ of a cmake build)` });
    touch(join(empty, "include/ubpf_config.h"));
    expect(locateUbpf(empty)).toEqual({ error: `no libubpf.a under ${empty} (lib/, lib64/ or the build folder)` });
    expect(() => buildUbpf(empty, join(DIR, "ubpf-harness.c"), tmp)).toThrow(`BENCH_UBPF: no libubpf.a under ${empty}`);
  });
});

describe.skipIf(!haveGcc)("native build (gcc -O2)", () => {
  it.each(BENCH_PROGRAMS.map((p) => [p.name, p] as const))("%s gives the model's r0", (_name, p) => {
    const input = join(tmp, `${p.name}.native.in`);
    writeFileSync(input, benchInput(p, N));
    const r = runNative(buildNative(DIR, p.name, tmp), input, 2);
    expect(r.r0).toBe(p.model(N, p.seed, p.arg));
    expect(r.ns).toBeGreaterThanOrEqual(0);
  });

  it("reports a program that does not compile with the compiler's message", () => {
    expect(() => buildNative(DIR, "no_such_program", tmp)).toThrow(/gcc \(no_such_program\): .*no_such_program\.c/);
  });
});

describe.skipIf(!process.env.BENCH_UBPF || !haveGcc)("uBPF harness (BENCH_UBPF)", () => {
  let built: ReturnType<typeof buildUbpf> | undefined;
  it.each(BENCH_PROGRAMS.map((p) => [p.name, p] as const))("%s gives the model's r0 in uBPF's interpreter and JIT", (_name, p) => {
    const ubpf = (built ??= buildUbpf(process.env.BENCH_UBPF!, join(DIR, "ubpf-harness.c"), tmp));
    const bin = join(tmp, `${p.name}.bin`);
    const input = join(tmp, `${p.name}.ubpf.in`);
    writeFileSync(bin, loadBenchProgram(ROOT, p).bytecode);
    writeFileSync(input, benchInput(p, N));
    const want = p.model(N, p.seed, p.arg);
    expect(ubpf.run("interp", bin, input, 1).r0).toBe(want);
    expect(ubpf.run("jit", bin, input, 1).r0).toBe(want);
  });
});
