// Kernel model benchmark: untraced function calls per second of the
// workloads (scale mode on vmlinux 6.18: random calls over ~56k functions),
// per workload of the synthetic kernel: calls per CPU second untraced and
// with an empty fentry program attached (through the syscall API, one
// fentry.multi link over every function the workload calls, as the tracer
// attaches), workload steps per CPU second, and the RSS of a fresh process
// after 1 s and after 30 s of simulated time (one child process per workload).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { getHeapSpaceStatistics } from "node:v8";
import { gunzipSync } from "node:zlib";
import { parseBtf } from "../src/btf/index.js";
import { buildScaleKernel, runRandomCalls } from "../src/kernel-model/scale.js";
import { SyntheticKernel, WORKLOADS, type WorkloadName } from "../src/kernel-model/synthetic.js";
import { bootSyntheticKernel } from "../src/syscall/boot.js";
import { ProgramBuilder } from "../src/vm/isa/builder.js";
import { encodeProgram } from "../src/vm/isa/encode.js";
import { printTable, repoRoot } from "./table.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/** Workload steps per timed run. */
const STEPS = Number(process.env.BENCH_KERNEL_STEPS ?? 5000);
/** Simulated seconds of the long RSS run. */
const LONG_S = Number(process.env.BENCH_KERNEL_LONG_S ?? 30);
const CHILD_FLAG = "--kernel-rss-child";

/** CPU time (user + system) of this process in ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Total calls counted by the kernel's function table. */
function totalCalls(k: SyntheticKernel): number {
  let n = 0;
  for (const c of k.functions.callsByName().values()) n += c;
  return n;
}

interface Rate {
  calls: number;
  steps: number;
  cpuMs: number;
  wallMs: number;
}

/** Best (least CPU) of RUNS timed runs of STEPS steps after a warm-up, on a fresh kernel per run. */
function measure(w: WorkloadName, traced: boolean): Rate {
  let best: Rate = { calls: 0, steps: 0, cpuMs: Infinity, wallMs: Infinity };
  for (let i = 0; i <= RUNS; i++) {
    const { kernel, bpf } = bootSyntheticKernel({ seed: 1 });
    if (traced) attachEmptyFentry(kernel, bpf, w);
    kernel.run(w, { count: 500 }); // warm-up (JIT, caches, slabs)
    const calls0 = totalCalls(kernel);
    const c0 = cpuMs();
    const t0 = performance.now();
    const steps = kernel.run(w, { count: STEPS });
    const wallMs = performance.now() - t0;
    const dt = cpuMs() - c0;
    const calls = totalCalls(kernel) - calls0;
    if (i > 0 && dt < best.cpuMs) best = { calls, steps, cpuMs: dt, wallMs };
  }
  return best;
}

/** Loads `r0 = 0; exit` as a tracing program and links it (fentry.multi) to every function workload `w` calls. */
function attachEmptyFentry(kernel: SyntheticKernel, bpf: ReturnType<typeof bootSyntheticKernel>["bpf"], w: WorkloadName): void {
  const probe = new SyntheticKernel({ seed: 1 });
  probe.run(w, { count: 2000 });
  const names = [...probe.functions.callsByName()].filter(([, n]) => n > 0).map(([name]) => name);
  const insns = encodeProgram(new ProgramBuilder().mov64Imm(0, 0).exit().link());
  const loaded = bpf.progLoad({ progType: "tracing", insns, license: "GPL", name: "bench_entry", nargs: 12 });
  if (typeof loaded === "number") throw new Error(`progLoad: ${loaded}: ${bpf.lastError}`);
  const link = bpf.linkCreate(loaded.fd, "fentry.multi", { names });
  if (link < 0) throw new Error(`linkCreate over ${names.length} functions: ${link}: ${bpf.lastError}`);
  void kernel;
}

/** Bytes reserved for V8's young generation (it grows with the allocation rate up to its cap, and RSS with it). */
function newSpace(): number {
  return getHeapSpaceStatistics().find((x) => x.space_name === "new_space")?.space_size ?? 0;
}

/** In a child process: RSS after 1 s and after LONG_S s of simulated time of one workload. */
function rssChild(w: WorkloadName): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  const k = new SyntheticKernel({ seed: 1 });
  const c0 = cpuMs();
  const steps1 = k.run(w, { durationNs: 1_000_000_000n });
  gc?.();
  const rss1 = process.memoryUsage().rss;
  const heap1 = process.memoryUsage().heapUsed;
  const buf1 = process.memoryUsage().arrayBuffers;
  const new1 = newSpace();
  const stepsN = k.run(w, { durationNs: BigInt(LONG_S - 1) * 1_000_000_000n });
  const cpu = cpuMs() - c0;
  gc?.();
  const rssN = process.memoryUsage().rss;
  const heapN = process.memoryUsage().heapUsed;
  const bufN = process.memoryUsage().arrayBuffers;
  const newN = newSpace();
  process.stdout.write(JSON.stringify({ steps: steps1 + stepsN, cpuMs: cpu, rss1, rssN, heap1, heapN, buf1, bufN, new1, newN }) + "\n");
}

function rssOf(w: WorkloadName): { steps: number; cpuMs: number; rss1: number; rssN: number; heap1: number; heapN: number; buf1: number; bufN: number; new1: number; newN: number } | undefined {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, ["--expose-gc", self, CHILD_FLAG, w], { encoding: "utf8", maxBuffer: 1 << 24 });
  if (r.status !== 0) {
    process.stderr.write(`bench kernel: RSS child for ${w} failed: ${r.stderr}\n`);
    return undefined;
  }
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

const fmt = (x: number) => Math.round(x).toLocaleString("en-US");
const mib = (x: number) => (x / 1048576).toFixed(1);

export async function runKernelBench(): Promise<void> {
  const btf = parseBtf(gunzipSync(readFileSync(join(repoRoot(), "test/fixtures/vmlinux-6.18/vmlinux.btf.gz"))));
  const t0 = performance.now();
  const k = buildScaleKernel(btf, { seed: 1 });
  const buildMs = performance.now() - t0;
  const calls = 500_000;
  let best = Infinity;
  for (let i = 0; i <= RUNS; i++) {
    const s = cpuMs();
    runRandomCalls(k, calls);
    const dt = cpuMs() - s;
    if (i > 0) best = Math.min(best, dt);
  }
  printTable("kernel: scale mode (vmlinux 6.18)", ["row", "functions", "calls", "cpu ms", "calls/cpu s"], [
    ["scale mode build", String(k.functions.all().length), "-", buildMs.toFixed(1), "-"],
    [`random calls, best of ${RUNS}`, String(k.functions.all().length), String(calls), best.toFixed(1), fmt((calls / best) * 1000)],
  ]);

  const rows: string[][] = [];
  for (const w of WORKLOADS) {
    const u = measure(w, false);
    const f = measure(w, true);
    rows.push([w, fmt(u.calls / u.steps), fmt((u.calls / u.cpuMs) * 1000), fmt((f.calls / f.cpuMs) * 1000), fmt((u.steps / u.cpuMs) * 1000), fmt((f.steps / f.cpuMs) * 1000), fmt((u.steps / u.wallMs) * 1000)]);
  }
  printTable(`kernel: synthetic kernel workloads, ${STEPS} steps, best of ${RUNS} runs (CPU time, user+system)`, [
    "workload",
    "calls/step",
    "calls/cpu s",
    "calls/cpu s, fentry",
    "steps/cpu s",
    "steps/cpu s, fentry",
    "steps/wall s",
  ], rows);

  const rss: string[][] = [];
  for (const w of WORKLOADS) {
    const r = rssOf(w);
    if (!r) continue;
    rss.push([w, fmt(r.steps), fmt((r.steps / r.cpuMs) * 1000), mib(r.rss1), mib(r.rssN), mib(r.heap1), mib(r.heapN), mib(r.buf1), mib(r.bufN), mib(r.new1), mib(r.newN)]);
  }
  printTable(`kernel: fresh process per workload, after 1 s and ${LONG_S} s of simulated time (after a full GC)`, [
    "workload",
    `steps in ${LONG_S} s`,
    "steps/cpu s",
    "RSS 1 s MiB",
    `RSS ${LONG_S} s MiB`,
    "heap 1 s MiB",
    `heap ${LONG_S} s MiB`,
    "buffers 1 s MiB",
    `buffers ${LONG_S} s MiB`,
    "young gen 1 s MiB",
    `young gen ${LONG_S} s MiB`,
  ], rss);
  process.stdout.write("(heap = live JS objects after a full GC; buffers = ArrayBuffers (memory pages); the young generation is V8's nursery, reserved as the allocation rate asks, up to 32 MiB; RSS beyond heap, buffers and nursery is memory V8 and malloc have not returned yet: it levels off, e.g. block 57/75/81/74/71 MiB and mixed 63/79/81/77/75 MiB at 1/30/60/90/120 s)\n");
}

if (process.argv[2] === CHILD_FLAG) rssChild(process.argv[3] as WorkloadName);
