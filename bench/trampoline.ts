// Trampoline benchmark: dispatch rate of calls (untraced, on the scale and
// on the synthetic kernel, whose bodies take simulated time; fentry and fexit
// with an empty program, kprobes), by CPU time, next to issue 19's goals
// (fentry >= 50 M events/s, untraced >= 100 M/s), with the empty program's
// run alone as the floor; and attach+detach time of one multi link over 1k,
// 10k and 50k functions of vmlinux 6.18 (scale mode) against attaching the
// same functions one link at a time.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { parseBtf } from "../src/btf/index.js";
import { buildScaleKernel } from "../src/kernel-model/scale.js";
import { nullKernelEnv } from "../src/vm/env.js";
import { coreHelperTable } from "../src/vm/helpers/table.js";
import { ProgramBuilder } from "../src/vm/isa/builder.js";
import { programFromInsns } from "../src/vm/isa/encode.js";
import { Interpreter } from "../src/vm/interpreter.js";
import { AddressSpace, RegionKind } from "../src/vm/memory.js";
import { KprobeManager } from "../src/trampoline/kprobe.js";
import { TrampolineManager, type TracingProgram } from "../src/trampoline/trampoline.js";
import { BtfKind } from "../src/btf/kinds.js";
import { sizeOf } from "../src/btf/layout.js";
import { bootSyntheticKernel } from "../src/syscall/boot.js";
import { HelperId } from "../src/vm/helpers/protos.js";
import { encodeProgram } from "../src/vm/isa/encode.js";
import { Size } from "../src/vm/isa/opcodes.js";
import { printTable, repoRoot } from "./table.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

export async function runTrampolineBench(): Promise<void> {
  const btf = parseBtf(gunzipSync(readFileSync(join(repoRoot(), "test/fixtures/vmlinux-6.18/vmlinux.btf.gz"))));
  const k = buildScaleKernel(btf, { seed: 1 });
  const mem = new AddressSpace();
  const helpers = coreHelperTable();
  const vm = new Interpreter({ mem, env: nullKernelEnv(), helper: (id) => helpers.impl(id) });
  const lp = vm.load(programFromInsns(new ProgramBuilder().mov64Imm(0, 0).exit().link()));
  let nextId = 1;
  // As ProgObject: run() for test runs, runCtx() with r0 in the interpreter's halves per event.
  const progOf = (v: Interpreter, l: typeof lp): TracingProgram => ({
    id: nextId++,
    run: (o) => v.run(l, o),
    runCtx: (ctx) => v.runCtx(l, ctx),
    get r0lo() {
      return v.r0lo;
    },
    get r0hi() {
      return v.r0hi;
    },
  });
  const prog = (): TracingProgram => progOf(vm, lp);
  const mgr = new TrampolineManager(k.functions, mem);
  const target = k.functions.named("ip_send_skb")[0]!;
  const args = [0xffff888000100000n, 0xffff888000200000n];
  // Events per second of `body` run n times: CPU time (user + system), best of RUNS after one warm-up (the box is shared).
  const cpuRate = (n: number, body: () => void) => {
    let best = Infinity;
    for (let i = 0; i <= RUNS; i++) {
      const c0 = process.cpuUsage();
      body();
      const c = process.cpuUsage(c0);
      if (i > 0) best = Math.min(best, (c.user + c.system) / 1000);
    }
    return (n / Math.max(best, 0.001)) * 1000;
  };
  const rate = (n: number) =>
    cpuRate(n, () => {
      for (let j = 0; j < n; j++) k.functions.call(target, args, 0, 1);
    });
  const fmt = (x: number) => Math.round(x).toLocaleString("en-US");
  // Issue 19's goals, on one core: fentry with an empty program >= 50 M events/s, an untraced call >= 100 M/s.
  const row = (path: string, r: number, goal?: number) => [path, fmt(r), goal ? fmt(goal) : "-", goal ? (r / goal).toFixed(2) + "x" : "-"];
  const untraced = rate(1_000_000);
  const rows: string[][] = [row("untraced call", untraced, 100e6)];
  let detach = mgr.attach(prog(), "fentry", [target]);
  if (typeof detach !== "function") throw new Error(detach.message);
  const fentry = rate(1_000_000);
  rows.push(row("fentry, empty program (JIT)", fentry, 50e6));
  detach();
  // The same with the program interpreted.
  const ivm = new Interpreter({ mem, env: nullKernelEnv(), helper: (id) => helpers.impl(id), jit: false });
  const ilp = ivm.load(programFromInsns(new ProgramBuilder().mov64Imm(0, 0).exit().link()));
  detach = mgr.attach(progOf(ivm, ilp), "fentry", [target]);
  if (typeof detach !== "function") throw new Error(detach.message);
  rows.push(row("fentry, empty program (interpreter)", rate(1_000_000)));
  detach();
  detach = mgr.attach(prog(), "fexit", [target]);
  if (typeof detach !== "function") throw new Error(detach.message);
  rows.push(row("fexit, empty program", rate(1_000_000)));
  detach();
  const kp = new KprobeManager(k.functions, mem);
  let kdetach = kp.attach(prog(), "kprobe", [target]);
  const kprobe = rate(300_000);
  rows.push(row("kprobe, empty program", kprobe));
  kdetach();
  kdetach = kp.attach(prog(), "kretprobe", [target]);
  rows.push(row("kretprobe, empty program", rate(300_000)));
  kdetach();
  // The floor under fentry: the empty program's run alone (the interpreter's runCtx, JIT) and the call's own body.
  const ctx = mem.map(RegionKind.CTX, new Uint8Array(8 * 13), { writable: false, label: "bench ctx" });
  const runOnly = cpuRate(1_000_000, () => {
    for (let j = 0; j < 1_000_000; j++) vm.runCtx(lp, ctx);
  });
  rows.push(row("runCtx of the empty program alone (JIT)", runOnly));
  rows.push(["fentry / kprobe (kernel: ~3.3x)", (fentry / kprobe).toFixed(2) + "x", "-", "-"]);
  // What the trampoline and the program add to one call, net of the function's own body; and net of the run too.
  const overhead = 1e9 / fentry - 1e9 / untraced;
  rows.push(["fentry overhead per call, ns (empty program, JIT)", (overhead || 0).toFixed(1), "-", "-"]);
  rows.push(["  of which the trampoline's own, ns (net of runCtx)", (overhead - 1e9 / runOnly || 0).toFixed(1), "-", "-"]);
  // Measured after every scale-kernel row (another kernel's functions make the call path polymorphic), shown under the untraced one.
  rows.splice(1, 0, row("untraced call, synthetic kernel (body time on the clock)", syntheticUntracedRate()));
  rows.push(row("fentry, snprintf_btf(struct sk_buff) into 256 bytes", snprintfRate()));
  printTable(`trampoline: dispatch rate on one core (events/s, CPU time), best of ${RUNS} runs`, ["path", "events/s", "goal", "of goal"], rows);

  const fns = k.functions.all().filter((f) => TrampolineManager.whyNotTraceable(f) === undefined);
  const seen = new Set<string>();
  const unique = fns.filter((f) => (seen.has(f.name) ? false : (seen.add(f.name), true)));
  const attachRows: string[][] = [];
  for (const n of [1000, 10000, 50000]) {
    const targets = unique.slice(0, n);
    const p = prog();
    // Best of RUNS: one attach+detach of a multi link, then of one link per function.
    let batched = Infinity;
    let single = Infinity;
    let batchedUpdates = 0;
    let singleUpdates = 0;
    for (let r = 0; r < RUNS; r++) {
      const u0 = k.functions.updates;
      const t0 = performance.now();
      const d = mgr.attach(p, "fentry", targets);
      if (typeof d !== "function") throw new Error(d.message);
      d();
      batched = Math.min(batched, performance.now() - t0);
      batchedUpdates = k.functions.updates - u0;
      // One link per function: one update per attach and per detach, each rebuilding one function's image.
      const u1 = k.functions.updates;
      const t1 = performance.now();
      const ds: (() => void)[] = [];
      for (const f of targets) {
        const one = mgr.attach(p, "fentry", [f]);
        if (typeof one !== "function") throw new Error(one.message);
        ds.push(one);
      }
      for (const one of ds) one();
      single = Math.min(single, performance.now() - t1);
      singleUpdates = k.functions.updates - u1;
    }
    attachRows.push([String(targets.length), batched.toFixed(1), String(batchedUpdates), single.toFixed(1), String(singleUpdates), (single / batched).toFixed(1) + "x"]);
  }
  printTable(
    `trampoline: attach + detach of one program (scale mode, vmlinux 6.18), ms, best of ${RUNS}`,
    ["functions", "multi link", "updates", "one by one", "updates", "one-by-one / multi"],
    attachRows,
  );
}

/**
 * An untraced call of the synthetic kernel, whose every body spends its
 * simulated time on the clock (FunctionTable.bodyTime): tcp_sendmsg with an
 * empty body, so the row is the call path plus the body time.
 */
function syntheticUntracedRate(): number {
  const { kernel } = bootSyntheticKernel({ seed: 1 });
  const fn = kernel.functions.named("tcp_sendmsg")[0]!;
  fn.impl = () => 0n;
  const args = [0xffff888000100000n, 0xffff888000200000n, 64n];
  const n = 1_000_000;
  let best = Infinity;
  for (let i = 0; i <= RUNS; i++) {
    const c0 = process.cpuUsage();
    for (let j = 0; j < n; j++) kernel.functions.call(fn, args, 0, 1);
    const c = process.cpuUsage(c0);
    if (i > 0) best = Math.min(best, (c.user + c.system) / 1000);
  }
  return (n / Math.max(best, 0.001)) * 1000;
}

/**
 * fentry on ip_send_skb of the synthetic kernel with a program that renders
 * its sk_buff argument with bpf_snprintf_btf (the whole object is walked,
 * the text truncated to the buffer), through bpf(): verifier, link, helper.
 */
function snprintfRate(): number {
  const { kernel, bpf } = bootSyntheticKernel({ seed: 1 });
  const skbId = kernel.btf.findByNameKind("sk_buff", BtfKind.STRUCT)!;
  const fn = kernel.functions.named("ip_send_skb")[0]!;
  // A copy of a live sk_buff the workload sent, in memory nothing frees.
  const size = sizeOf(kernel.btf, skbId);
  let bytes: Uint8Array | undefined;
  const off = kernel.functions.attach(fn, { entry: (c) => void (bytes ??= kernel.memory.kernel.readOrThrow(c.args[1]!, size).slice()) });
  kernel.run("net", { count: 200 });
  off();
  if (!bytes) throw new Error("no ip_send_skb call to take a sk_buff from");
  const skb = kernel.memory.objects.alloc("sk_buff");
  kernel.memory.kernel.write(skb, bytes);
  const args = [0n, skb];
  fn.impl = () => 0n;
  const insns = new ProgramBuilder()
    .ldx(Size.DW, 2, 1, 8)
    .stx(Size.DW, 10, -16, 2)
    .st(Size.W, 10, -8, skbId)
    .st(Size.W, 10, -4, 0)
    .mov64(1, 10)
    .add64Imm(1, -272)
    .mov64Imm(2, 256)
    .mov64(3, 10)
    .add64Imm(3, -16)
    .mov64Imm(4, 16)
    .mov64Imm(5, 0)
    .call(HelperId.snprintf_btf!)
    .exit()
    .link();
  const loaded = bpf.progLoad({ progType: "tracing", insns: encodeProgram(insns), license: "GPL", name: "snprintf_skb", nargs: 2 });
  if (typeof loaded === "number") throw new Error(`snprintf_btf program: ${bpf.lastError}`);
  // The rendered length (r0) must be positive, or this would time an -EFAULT.
  const check = new Uint8Array(16);
  new DataView(check.buffer).setBigUint64(8, skb, true);
  const run = bpf.progTestRun(loaded.fd, { ctxIn: check });
  if (typeof run === "number" || BigInt.asIntN(64, run.r0) <= 256n) throw new Error(`snprintf_btf returned ${typeof run === "number" ? run : BigInt.asIntN(64, run.r0)}`);
  if (bpf.linkCreate(loaded.fd, "fentry", { name: "ip_send_skb" }) < 0) throw new Error(bpf.lastError);
  const n = 20_000;
  let best = Infinity;
  for (let i = 0; i <= RUNS; i++) {
    const c0 = process.cpuUsage();
    for (let j = 0; j < n; j++) kernel.functions.call(fn, args, 0, 1);
    const c = process.cpuUsage(c0);
    if (i > 0) best = Math.min(best, (c.user + c.system) / 1000);
  }
  return (n / Math.max(best, 0.001)) * 1000;
}
