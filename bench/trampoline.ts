// Trampoline benchmark: dispatch rate of calls (untraced, fentry and fexit
// with an empty program) and attach+detach time of one multi link over 1k,
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
import { AddressSpace } from "../src/vm/memory.js";
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
  const rate = (n: number) => {
    let best = Infinity;
    for (let i = 0; i <= RUNS; i++) {
      const t0 = performance.now();
      for (let j = 0; j < n; j++) k.functions.call(target, args, 0, 1);
      const dt = performance.now() - t0;
      if (i > 0) best = Math.min(best, dt);
    }
    return (n / best) * 1000;
  };
  const fmt = (x: number) => Math.round(x).toLocaleString("en-US");
  const untraced = rate(1_000_000);
  const rows: string[][] = [["untraced call", fmt(untraced)]];
  let detach = mgr.attach(prog(), "fentry", [target]);
  if (typeof detach !== "function") throw new Error(detach.message);
  const fentry = rate(300_000);
  rows.push(["fentry, empty program (JIT)", fmt(fentry)]);
  detach();
  // The same with the program interpreted.
  const ivm = new Interpreter({ mem, env: nullKernelEnv(), helper: (id) => helpers.impl(id), jit: false });
  const ilp = ivm.load(programFromInsns(new ProgramBuilder().mov64Imm(0, 0).exit().link()));
  detach = mgr.attach(progOf(ivm, ilp), "fentry", [target]);
  if (typeof detach !== "function") throw new Error(detach.message);
  rows.push(["fentry, empty program (interpreter)", fmt(rate(300_000))]);
  detach();
  detach = mgr.attach(prog(), "fexit", [target]);
  if (typeof detach !== "function") throw new Error(detach.message);
  rows.push(["fexit, empty program", fmt(rate(300_000))]);
  detach();
  const kp = new KprobeManager(k.functions, mem);
  let kdetach = kp.attach(prog(), "kprobe", [target]);
  const kprobe = rate(300_000);
  rows.push(["kprobe, empty program", fmt(kprobe)]);
  kdetach();
  kdetach = kp.attach(prog(), "kretprobe", [target]);
  rows.push(["kretprobe, empty program", fmt(rate(300_000))]);
  kdetach();
  rows.push(["fentry / kprobe (kernel: ~3.3x)", (fentry / kprobe).toFixed(2) + "x"]);
  // What the trampoline and the program add to one call, net of the function's own body.
  rows.push(["fentry overhead per call, ns (empty program, JIT)", ((1e9 / fentry - 1e9 / untraced) || 0).toFixed(1)]);
  rows.push(["fentry, snprintf_btf(struct sk_buff) into 256 bytes", fmt(snprintfRate())]);
  printTable(`trampoline: dispatch rate on one core (events/s), best of ${RUNS} runs`, ["path", "events/s"], rows);

  const fns = k.functions.all().filter((f) => TrampolineManager.whyNotTraceable(f) === undefined);
  const seen = new Set<string>();
  const unique = fns.filter((f) => (seen.has(f.name) ? false : (seen.add(f.name), true)));
  const attachRows: string[][] = [];
  for (const n of [1000, 10000, 50000]) {
    const targets = unique.slice(0, n);
    const p = prog();
    const u0 = k.functions.updates;
    const t0 = performance.now();
    const d = mgr.attach(p, "fentry", targets);
    if (typeof d !== "function") throw new Error(d.message);
    d();
    const batched = performance.now() - t0;
    const batchedUpdates = k.functions.updates - u0;
    // One link per function publishes one snapshot per attach and per detach: quadratic, so 50k is left out.
    if (n > 10000) {
      attachRows.push([String(targets.length), batched.toFixed(1), String(batchedUpdates), "(not run)", "-", "-"]);
      continue;
    }
    const u1 = k.functions.updates;
    const t1 = performance.now();
    const ds: (() => void)[] = [];
    for (const f of targets) {
      const one = mgr.attach(p, "fentry", [f]);
      if (typeof one !== "function") throw new Error(one.message);
      ds.push(one);
    }
    for (const one of ds) one();
    const single = performance.now() - t1;
    attachRows.push([String(targets.length), batched.toFixed(1), String(batchedUpdates), single.toFixed(1), String(k.functions.updates - u1), (single / batched).toFixed(1) + "x"]);
  }
  printTable(
    "trampoline: attach + detach of one program (scale mode, vmlinux 6.18), ms",
    ["functions", "multi link", "updates", "one by one", "updates", "one-by-one / multi"],
    attachRows,
  );
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
    const t0 = performance.now();
    for (let j = 0; j < n; j++) kernel.functions.call(fn, args, 0, 1);
    const dt = performance.now() - t0;
    if (i > 0) best = Math.min(best, dt);
  }
  return (n / best) * 1000;
}
