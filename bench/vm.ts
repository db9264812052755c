// VM benchmark (issue 19): speed of btfsnoop's interpreter and JIT on the ten
// clang-compiled programs of bench/programs (two per class: ALU, memory,
// branches, calls, 64-bit div/mod), next to uBPF's interpreter and JIT
// (when BENCH_UBPF names a uBPF build) and the same C compiled natively with
// gcc -O2 (when gcc is on PATH), all on the same input and checked against
// the TypeScript model's r0 on every run; then the fixed cost of one run
// (`r0 = 0; exit`, through Interpreter.runCtx, or run() in a tree without
// it), and the issue's goals as ratios measured in this run.
//
// Rates are executed BPF instructions (btfsnoop's count; uBPF runs the same
// bytecode) per second of CPU time: process CPU time for btfsnoop, thread
// CPU time in the C harnesses; best of BENCH_RUNS runs after a warm-up.
// Environment: BENCH_RUNS (default 3), BENCH_VM_SCALE (iterations factor,
// default 1: ~18-26 M instructions per run), BENCH_VM_PROGRAMS (comma list
// of program names), BENCH_VM_FIXED (runs for the fixed cost, default 10 M),
// BENCH_VM_ENGINES (comma list of interp, jit, ubpf, native, fixed: the
// columns to measure and the fixed-cost table; default all), BENCH_UBPF (a uBPF cmake build folder or install
// prefix), CC (default gcc).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nullKernelEnv } from "../src/vm/env.js";
import { coreHelperTable } from "../src/vm/helpers/table.js";
import { decodeProgram } from "../src/vm/isa/decode.js";
import { Interpreter, type LoadedProgram } from "../src/vm/interpreter.js";
import { AddressSpace, RegionKind, type Region } from "../src/vm/memory.js";
import { buildNative, runNative } from "./native.js";
import { cpuMs, envNumber, geomean, onPath, printTable, repoRoot } from "./table.js";
import { buildUbpf, type Ubpf } from "./ubpf.js";
import { BENCH_PROGRAMS, benchInput, expectedR0, loadBenchProgram, programsDir, type BenchProgram, type ProgramClass } from "./vm-programs.js";

const BUDGET = 2_000_000_000;
/** Settings from the environment, read when the suite starts (bad values fail it with the variable's name). */
let RUNS = 3;
let SCALE = 1;
let FIXED_RUNS = 10_000_000;
const CLASSES: readonly ProgramClass[] = ["ALU", "memory", "branches", "calls", "div/mod"];

/** `r0 = 0; exit`: the program of the fixed cost, as bytes so uBPF loads the same ones. */
const RET0 = Uint8Array.from([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);

/** What BENCH_VM_ENGINES may select. */
const ENGINE_SETTINGS = ["interp", "jit", "ubpf", "native", "fixed"] as const;

/** Engines' columns, in print order. */
type Engine = "interp" | "jit" | "ubpfInterp" | "ubpfJit" | "native";

interface Row {
  p: BenchProgram;
  executed: number;
  /** M insns/s per engine measured. */
  rate: Partial<Record<Engine, number>>;
}

/** Whether this tree's Interpreter has runCtx (the BigInt-free entry); without it (a tree before it, measured for a baseline) run() stands in. */
const HAS_RUN_CTX = typeof (Interpreter.prototype as { runCtx?: unknown }).runCtx === "function";

/** run() with runCtx's outcome fields, for a tree without runCtx. */
function runCompat(vm: Interpreter, lp: LoadedProgram, ctx: Region | undefined, budget?: number): boolean {
  const r = vm.run(lp, { ...(ctx ? { ctx } : {}), ...(budget !== undefined ? { budget } : {}) });
  const out = vm as { r0lo: number; r0hi: number; lastExecuted: number; lastFault: unknown };
  out.r0lo = Number(r.r0 & 0xffffffffn) | 0;
  out.r0hi = Number(r.r0 >> 32n) | 0;
  out.lastExecuted = r.executed;
  out.lastFault = r.fault;
  return !r.fault;
}

const u64 = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

/** Best CPU ms of RUNS runs (after a warm-up) of `lp` on `input`; checks r0 and that every run executes the same count. */
function measure(vm: Interpreter, lp: LoadedProgram, input: Region, expect: bigint, what: string): { ms: number; executed: number } {
  let best = Infinity;
  let executed = -1;
  for (let i = 0; i <= RUNS; i++) {
    const t0 = process.cpuUsage();
    const ok = HAS_RUN_CTX ? vm.runCtx(lp, input, BUDGET) : runCompat(vm, lp, input, BUDGET);
    const dt = cpuMs(t0);
    if (!ok) throw new Error(`${what}: fault after ${vm.lastExecuted} instructions: ${vm.lastFault?.message}`);
    const r0 = u64(vm.r0lo, vm.r0hi);
    if (r0 !== expect) throw new Error(`${what}: r0 = ${r0}, expected ${expect}`);
    if (executed >= 0 && vm.lastExecuted !== executed) throw new Error(`${what}: executed ${vm.lastExecuted}, then ${executed}`);
    executed = vm.lastExecuted;
    if (i > 0) best = Math.min(best, dt);
  }
  return { ms: best, executed };
}

/** ns per run of `r0 = 0; exit` with no context: the best of batches of 1 M runs, FIXED_RUNS in all, after a warm-up batch. */
function fixedCost(vm: Interpreter, lp: LoadedProgram): number {
  const batch = 1_000_000;
  let best = Infinity;
  for (let b = 0; b <= Math.max(1, Math.round(FIXED_RUNS / batch)); b++) {
    const t0 = process.cpuUsage();
    if (HAS_RUN_CTX) {
      for (let i = 0; i < batch; i++) if (!vm.runCtx(lp, undefined)) throw new Error(`fixed cost: fault: ${vm.lastFault?.message}`);
    } else {
      for (let i = 0; i < batch; i++) if (!runCompat(vm, lp, undefined)) throw new Error(`fixed cost: fault: ${vm.lastFault?.message}`);
    }
    const dt = cpuMs(t0);
    if (vm.r0lo !== 0 || vm.r0hi !== 0 || vm.lastExecuted !== 2) throw new Error(`fixed cost: r0 ${u64(vm.r0lo, vm.r0hi)} after ${vm.lastExecuted} instructions`);
    if (b > 0) best = Math.min(best, dt);
  }
  return (best * 1e6) / batch;
}

const rateFmt = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? "-" : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const ratioFmt = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? "-" : v >= 10 ? `${v.toFixed(1)}x` : `${v.toFixed(2)}x`);
const ratio = (r: Row, a: Engine, b: Engine): number | undefined => (r.rate[a] !== undefined && r.rate[b] !== undefined ? r.rate[a]! / r.rate[b]! : undefined);
const gm = (xs: (number | undefined)[]): number | undefined => {
  const ok = xs.filter((x): x is number => x !== undefined);
  return ok.length && ok.length === xs.length ? geomean(ok) : undefined;
};

export async function runVmBench(): Promise<void> {
  RUNS = Math.round(envNumber("BENCH_RUNS", 3, 1));
  SCALE = envNumber("BENCH_VM_SCALE", 1, 1e-6);
  FIXED_RUNS = envNumber("BENCH_VM_FIXED", 10_000_000, 1_000_000);
  const root = repoRoot();
  const dir = programsDir(root);
  const only = process.env.BENCH_VM_PROGRAMS?.split(",").map((s) => s.trim()).filter(Boolean);
  const programs = only ? BENCH_PROGRAMS.filter((p) => only.includes(p.name)) : BENCH_PROGRAMS;
  if (only && programs.length !== only.length) {
    throw new Error(`BENCH_VM_PROGRAMS: unknown program in '${only.join(",")}' (have: ${BENCH_PROGRAMS.map((p) => p.name).join(", ")})`);
  }
  const engineList = process.env.BENCH_VM_ENGINES?.split(",").map((e) => e.trim()).filter(Boolean) ?? [...ENGINE_SETTINGS];
  const bad = engineList.filter((e) => !(ENGINE_SETTINGS as readonly string[]).includes(e));
  if (bad.length) throw new Error(`BENCH_VM_ENGINES: unknown engine '${bad.join(",")}' (have: ${ENGINE_SETTINGS.join(", ")})`);
  const want = (e: (typeof ENGINE_SETTINGS)[number]) => engineList.includes(e);
  const notes: string[] = [];
  const tmp = mkdtempSync(join(tmpdir(), "btfsnoop-vm-bench-"));
  try {
    const cc = process.env.CC || "gcc";
    const haveCc = onPath(cc);
    if (!haveCc && (want("native") || want("ubpf"))) notes.push(`no ${cc} on PATH: no native column`);
    let ubpf: Ubpf | undefined;
    const ubpfDir = process.env.BENCH_UBPF;
    if (!want("ubpf")) ubpf = undefined;
    else if (!ubpfDir) notes.push("set BENCH_UBPF to a uBPF build (cmake build folder or install prefix) for the uBPF columns and the goal ratios");
    else if (!haveCc) notes.push(`BENCH_UBPF is set but ${cc} is not on PATH to build the harness`);
    else {
      try {
        ubpf = buildUbpf(ubpfDir, join(dir, "ubpf-harness.c"), tmp, cc);
      } catch (e) {
        notes.push(`uBPF: ${(e as Error).message}`);
      }
    }

    const mem = new AddressSpace();
    const helpers = coreHelperTable();
    const helper = (id: number) => helpers.impl(id);
    const interp = new Interpreter({ mem, env: nullKernelEnv(), helper, jit: false });
    const jit = new Interpreter({ mem, env: nullKernelEnv(), helper, jit: true });

    const rows: Row[] = [];
    for (const p of programs) {
      const n = Math.max(1, Math.round(p.n * SCALE));
      const expect = expectedR0(p, n);
      const { program, bytecode } = loadBenchProgram(root, p);
      const inputBytes = benchInput(p, n);
      const input = mem.map(RegionKind.MEM, inputBytes.slice(), { label: `bench_in ${p.name}` });
      const row: Row = { p, executed: 0, rate: {} };
      rows.push(row);
      let executed: number | undefined;
      if (want("interp")) {
        const a = measure(interp, interp.load(program, p.name), input, expect, `${p.name} (interpreter)`);
        executed = a.executed;
        row.rate.interp = a.executed / a.ms / 1e3;
      }
      const lp = jit.load(program, p.name);
      if (want("jit")) {
        if (!lp.jitted) notes.push(`${p.name}: the JIT did not compile it (${lp.jitError}); no JIT figure`);
        else {
          const b = measure(jit, lp, input, expect, `${p.name} (JIT)`);
          if (executed !== undefined && b.executed !== executed) throw new Error(`${p.name}: executed ${executed} (interpreter) vs ${b.executed} (JIT)`);
          executed = b.executed;
          row.rate.jit = b.executed / b.ms / 1e3;
        }
      }
      if (executed === undefined) {
        // Neither engine timed: one untimed run gives the count the other columns' rates need.
        if (!(HAS_RUN_CTX ? jit.runCtx(lp, input, BUDGET) : runCompat(jit, lp, input, BUDGET))) throw new Error(`${p.name}: fault: ${jit.lastFault?.message}`);
        if (u64(jit.r0lo, jit.r0hi) !== expect) throw new Error(`${p.name}: r0 = ${u64(jit.r0lo, jit.r0hi)}, expected ${expect}`);
        executed = jit.lastExecuted;
      }
      row.executed = executed;
      const bin = join(tmp, `${p.name}.bin`);
      const inFile = join(tmp, `${p.name}.in`);
      writeFileSync(bin, bytecode);
      writeFileSync(inFile, inputBytes);
      const external = (engine: Engine, what: string, go: () => { r0: bigint; ns: number }) => {
        try {
          const r = go();
          if (r.r0 !== expect) throw new Error(`r0 = ${r.r0}, expected ${expect}`);
          row.rate[engine] = (row.executed / r.ns) * 1e3;
        } catch (e) {
          notes.push(`${p.name} (${what}): ${(e as Error).message}`);
        }
      };
      if (ubpf) {
        external("ubpfInterp", "uBPF interpreter", () => ubpf.run("interp", bin, inFile, RUNS));
        external("ubpfJit", "uBPF JIT", () => ubpf.run("jit", bin, inFile, RUNS));
      }
      if (haveCc && want("native")) external("native", `${cc} -O2`, () => runNative(buildNative(dir, p.name, tmp, cc), inFile, RUNS));
    }

    const engines: [Engine, string][] = [["interp", "interp"], ["jit", "JIT"], ["ubpfInterp", "uBPF interp"], ["ubpfJit", "uBPF JIT"], ["native", `${cc} -O2`]];
    const cell = (r: Row, e: Engine) => rateFmt(r.rate[e]);
    const speedRows = rows.map((r) => [r.p.name, r.p.cls, (r.executed / 1e6).toFixed(1), ...engines.map(([e]) => cell(r, e))]);
    for (const c of CLASSES) {
      const rs = rows.filter((r) => r.p.cls === c);
      if (rs.length) speedRows.push([`geomean ${c}`, "", "", ...engines.map(([e]) => rateFmt(gm(rs.map((r) => r.rate[e]))))]);
    }
    speedRows.push(["geomean", "", "", ...engines.map(([e]) => rateFmt(gm(rows.map((r) => r.rate[e]))))]);
    printTable(
      `vm: M BPF insns/s (CPU time, best of ${RUNS} after a warm-up; native: the same C as BPF-instruction equivalents)`,
      ["program", "class", "M insns", ...engines.map(([, h]) => h)],
      speedRows,
    );

    const ratios: [string, (r: Row) => number | undefined][] = [
      ["interp/uBPF interp", (r) => ratio(r, "interp", "ubpfInterp")],
      ["JIT/uBPF interp", (r) => ratio(r, "jit", "ubpfInterp")],
      ["JIT/uBPF JIT", (r) => ratio(r, "jit", "ubpfJit")],
      ["JIT/interp", (r) => ratio(r, "jit", "interp")],
      ["JIT/native", (r) => ratio(r, "jit", "native")],
    ];
    const ratioRows = rows.map((r) => [r.p.name, ...ratios.map(([, f]) => ratioFmt(f(r)))]);
    for (const c of CLASSES) {
      const rs = rows.filter((r) => r.p.cls === c);
      if (rs.length) ratioRows.push([`geomean ${c}`, ...ratios.map(([, f]) => ratioFmt(gm(rs.map(f))))]);
    }
    ratioRows.push(["geomean", ...ratios.map(([, f]) => ratioFmt(gm(rows.map(f))))]);
    printTable("vm: speed ratios (same run; goals: interp/uBPF interp >= 0.5 per class, JIT/uBPF interp >= 10, JIT/uBPF JIT >= 0.25)", ["program", ...ratios.map(([h]) => h)], ratioRows);

    // Fixed cost of one run (BENCH_VM_ENGINES "fixed": both engines, and uBPF's when "ubpf" built it).
    const fixed: Partial<Record<Engine, number>> = {};
    const ret0 = decodeProgram(RET0);
    if (want("fixed")) {
      fixed.interp = fixedCost(interp, interp.load(ret0, "ret0"));
      const jret0 = jit.load(ret0, "ret0");
      if (jret0.jitted) fixed.jit = fixedCost(jit, jret0);
      else notes.push(`fixed cost: the JIT did not compile r0 = 0; exit (${jret0.jitError})`);
    }
    if (ubpf && want("fixed")) {
      const bin = join(tmp, "ret0.bin");
      writeFileSync(bin, RET0);
      for (const [engine, e] of [["interp", "ubpfInterp"], ["jit", "ubpfJit"]] as const) {
        try {
          const r = ubpf.fixed(engine, bin, 1_000_000);
          if (r.r0 !== 0n) throw new Error(`r0 = ${r.r0}`);
          fixed[e] = r.ns;
        } catch (err) {
          notes.push(`fixed cost (uBPF ${engine}): ${(err as Error).message}`);
        }
      }
    }
    const nsFmt = (v: number | undefined) => (v === undefined ? "-" : v.toFixed(1));
    if (want("fixed")) printTable(
      `vm: fixed cost of one run (r0 = 0; exit, no context), ns per run, CPU time, best 1 M-run batch of ${Math.max(1, Math.round(FIXED_RUNS / 1e6))} (uBPF: of 5); goal <= 30 ns`,
      ["engine", "ns/run", "uBPF ns/run", "ratio to uBPF"],
      [
        [`interpreter (${HAS_RUN_CTX ? "runCtx" : "run"})`, nsFmt(fixed.interp), nsFmt(fixed.ubpfInterp), ratioFmt(fixed.interp && fixed.ubpfInterp ? fixed.interp / fixed.ubpfInterp : undefined)],
        [`JIT (${HAS_RUN_CTX ? "runCtx" : "run"})`, nsFmt(fixed.jit), nsFmt(fixed.ubpfJit), ratioFmt(fixed.jit && fixed.ubpfJit ? fixed.jit / fixed.ubpfJit : undefined)],
      ],
    );

    // The goals, from the figures above.
    const perClass = CLASSES.map((c) => [c, gm(rows.filter((r) => r.p.cls === c).map((r) => ratio(r, "interp", "ubpfInterp")))] as const).filter(([, v]) => v !== undefined);
    const worst = perClass.length === CLASSES.length ? perClass.reduce((w, x) => (x[1]! < w[1]! ? x : w)) : undefined;
    /** The program with the lowest value of `f`, if every program has one. */
    const lowest = (f: (r: Row) => number | undefined): { name: string; v: number } | undefined => {
      let w: { name: string; v: number } | undefined;
      for (const r of rows) {
        const v = f(r);
        if (v === undefined) return undefined;
        if (!w || v < w.v) w = { name: r.p.name, v };
      }
      return w;
    };
    const aluRows = rows.filter((r) => r.p.cls === "ALU");
    const aluJit = aluRows.length && aluRows.every((r) => r.rate.jit !== undefined) ? aluRows.reduce((w, r) => (r.rate.jit! < w.rate.jit! ? r : w)) : undefined;
    const jitVsInterp = gm(rows.map((r) => ratio(r, "jit", "ubpfInterp")));
    const jitVsInterpLow = lowest((r) => ratio(r, "jit", "ubpfInterp"));
    const jitVsJit = gm(rows.map((r) => ratio(r, "jit", "ubpfJit")));
    const jitVsJitLow = lowest((r) => ratio(r, "jit", "ubpfJit"));
    const met = (v: number | undefined, ok: (v: number) => boolean) => (v === undefined ? "n/a" : ok(v) ? "yes" : "no");
    const low = (w: { name: string; v: number } | undefined) => (w ? ` (lowest: ${w.name} ${ratioFmt(w.v)})` : "");
    printTable("vm: issue 19 goals (this run)", ["goal", "measured", "met"], [
      ["interpreter >= 0.5x uBPF interpreter, every class (class geomeans)", worst ? `${ratioFmt(worst[1])} (worst: ${worst[0]})` : "-", met(worst?.[1], (v) => v >= 0.5)],
      ["JIT >= 10x uBPF interpreter (geomean)", `${ratioFmt(jitVsInterp)}${low(jitVsInterpLow)}`, met(jitVsInterp, (v) => v >= 10)],
      ["JIT >= 1300 M insns/s on ALU code (every ALU program)", aluJit ? `${rateFmt(aluJit.rate.jit)} (lowest: ${aluJit.p.name})` : "-", met(aluJit?.rate.jit, (v) => v >= 1300)],
      ["JIT within 4x of uBPF JIT (geomean >= 0.25x)", `${ratioFmt(jitVsJit)}${low(jitVsJitLow)}`, met(jitVsJit, (v) => v >= 0.25)],
      ["fixed cost <= 30 ns, interpreter", nsFmt(fixed.interp), met(fixed.interp, (v) => v <= 30)],
      ["fixed cost <= 30 ns, JIT", nsFmt(fixed.jit), met(fixed.jit, (v) => v <= 30)],
    ]);
    if (notes.length) process.stdout.write(`\n${notes.map((n) => `note: ${n}`).join("\n")}\n`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
