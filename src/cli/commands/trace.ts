// `btfsnoop [trace] SPEC...`: boot the synthetic kernel, open a tracer
// session for the specs, run the workload, print events as ksnoop text,
// NDJSON or Perfetto JSON (or call trees with --tree), and a summary on
// stderr. Stops on --count (records printed; trees with --tree),
// --duration (simulated time), SIGINT/SIGTERM or a closed output; a failed
// write is an error (exit 2). Always detaches. Options follow ksnoop (-p, -s, -P, -v) plus btfsnoop's own.
import type { Argv } from "yargs";
import { BtfsnoopError } from "../../internal/errors.js";
import { loadBtfFile } from "../btf-file.js";
import { conservation, runTrace, type RunResult } from "../../tracer/run.js";
import { checkpoint } from "../short-run.js";
import { TraceSession } from "../../tracer/session.js";
import { wantsPhase } from "../../tracer/phases.js";
import type { TraceEvent } from "../../tracer/event.js";
import { formatKsnoopEvent, formatKsnoopHeader, ksnoopShows } from "../../ui/format/ksnoop-text.js";
import { formatCallTree, formatCallTreeJson, returnErrno } from "../../ui/format/call-tree.js";
import { CallTreeBuilder } from "../../tracer/call-tree.js";
import { parseBtf } from "../../btf/index.js";
import type { Btf } from "../../btf/btf.js";
import { parseSpec } from "../../probe-spec/parse.js";
import { resolveSpec, type TracepointEntry } from "../../probe-spec/resolve.js";
import { BtfKind } from "../../btf/kinds.js";
import { funcSignature } from "../../btf/funcs.js";
import { skipModsAndTypedefs } from "../../btf/layout.js";
import { formatJsonEvent } from "../../ui/format/ndjson.js";
import { jsonInteger } from "../../btf/format/value-json.js";
import { PerfettoWriter } from "../../ui/format/perfetto.js";
import { UsageError } from "../errors.js";
import { OutputFile, type CliIo } from "../io.js";
import { parseDuration } from "../duration.js";

export const TRACE_FORMATS = ["text", "json", "perfetto"] as const;

export interface TraceArgs {
  specs: string[];
  pid?: number | undefined;
  stack?: boolean | undefined;
  pages: number;
  workload: string;
  seed: number;
  cpus: number;
  duration?: string | undefined;
  count?: number | undefined;
  /** undefined: text. */
  format?: (typeof TRACE_FORMATS)[number] | undefined;
  output?: string | undefined;
  attach: "fentry" | "kprobe";
  render: "kernel" | "user";
  verbose?: boolean | undefined;
  check?: boolean | undefined;
  summary?: boolean | undefined;
  tree?: boolean | undefined;
  errors?: boolean | undefined;
  followSkb?: boolean | undefined;
  btf?: string | undefined;
  jit?: boolean | undefined;
}

/** Options shared by `trace` and the default command. */
export function traceOptions<T>(y: Argv<T>) {
  return y
    .positional("specs", { type: "string", array: true, describe: "probe specs: FUNC, FUNC(ARG, ...), GLOB, ...", default: [] as string[] })
    .option("pid", { alias: "p", type: "number", describe: "only this thread id" })
    .option("stack", { alias: "s", type: "boolean", describe: "stack mode: only calls inside the chain SPEC1 -> SPEC2 -> ..." })
    .option("pages", { alias: "P", type: "number", default: 16, describe: "ring buffer size in 4 KiB pages (a power of two)" })
    .option("workload", { type: "string", default: "mixed", describe: "synthetic kernel workload: net, fs, block, sched, mixed (random with --btf)" })
    .option("btf", { type: "string", describe: "trace a kernel made from this BTF file in scale mode (every FUNC callable, random calls)" })
    .option("seed", { type: "number", default: 1, describe: "workload seed (same seed, same trace)" })
    .option("cpus", { type: "number", default: 4, describe: "CPUs of the synthetic kernel" })
    .option("duration", { alias: "d", type: "string", describe: "simulated time to trace, e.g. 500ms, 2s (default 1s; 10s with --count)" })
    .option("count", { alias: "c", type: "number", describe: "stop after this many events" })
    .option("format", { alias: "f", choices: TRACE_FORMATS, defaultDescription: "text", describe: "output format" })
    .option("json", { type: "boolean", describe: "short for --format json" })
    .option("output", { alias: "o", type: "string", describe: "write events to FILE instead of stdout" })
    .option("attach", { choices: ["fentry", "kprobe"] as const, default: "fentry" as const, describe: "attach mechanism" })
    .option("render", { choices: ["kernel", "user"] as const, default: "user" as const, describe: "render values in the program (bpf_snprintf_btf) or in user space" })
    .option("verbose", { alias: "v", type: "boolean", describe: "print what is attached and the verifier's statistics" })
    .option("check", { type: "boolean", describe: "check calls = delivered + filtered + lost against the kernel's ground truth" })
    .option("summary", { type: "boolean", describe: "with --format json: end with a summary object" })
    .option("jit", { type: "boolean", describe: "run the tracing programs JIT-compiled to JavaScript (the default; --no-jit interprets them)" })
    .option("tree", { type: "boolean", describe: "retsnoop-style call trees per task, with durations and return values" })
    .option("errors", { type: "boolean", describe: "with --tree: only trees in which a call returned a negative errno" })
    .option("follow-skb", { type: "boolean", describe: "pwru-style: trace every function taking a struct sk_buff * and print each skb's path" })
    .check((argv) => {
      // --json is short for --format json: with another --format the two ask for different outputs.
      if (argv.json && argv.format !== undefined && argv.format !== "json") throw new UsageError(`--json and --format ${argv.format} ask for different outputs: choose one`);
      return true;
    });
}

function validate(a: TraceArgs): void {
  if (a.pid !== undefined && (!Number.isInteger(a.pid) || a.pid < 0 || a.pid > 0x7fffffff)) throw new UsageError(`--pid ${a.pid}: expected a thread id (0..2147483647)`);
  if (a.count !== undefined && (!Number.isInteger(a.count) || a.count < 1)) throw new UsageError(`--count ${a.count}: expected a positive integer`);
  if (!Number.isInteger(a.cpus) || a.cpus < 1 || a.cpus > 64) throw new UsageError(`--cpus ${a.cpus}: expected 1..64`);
  if (!Number.isInteger(a.seed)) throw new UsageError(`--seed ${a.seed}: expected an integer`);
  const format = a.format ?? "text";
  if (a.summary && format !== "json") throw new UsageError(`--summary goes with --json (the summary is a JSON object; ${format} output has its summary on stderr)`);
  if (a.tree && format === "perfetto") throw new UsageError("--tree prints call trees as text or JSON, not Perfetto: drop --format perfetto (without --tree, Perfetto shows the calls as nested slices)");
}

/** Runs a trace; returns the exit code. */
export async function runTraceCommand(args: TraceArgs, io: CliIo): Promise<number> {
  const a: TraceArgs & { format: (typeof TRACE_FORMATS)[number] } = { ...args, format: args.format ?? "text" };
  validate(a);
  // Simulated time is cheap but not free: without --duration a trace covers 1 s, or up to 10 s to reach --count.
  const durationNs = a.duration !== undefined ? parseDuration(a.duration) : a.count !== undefined ? 10_000_000_000n : 1_000_000_000n;
  // --btf: a kernel made from that BTF, in scale mode (every FUNC callable, random calls).
  const { bootScaleMachine, bootSyntheticKernel, machineOf } = await import("../../syscall/boot.js");
  const machine = a.btf !== undefined ? bootScaleMachine(loadBtfFile(a.btf), a.seed) : machineOf(bootSyntheticKernel({ seed: a.seed, nrCpus: a.cpus }));
  if (a.btf !== undefined && a.workload === "mixed") a.workload = "random";
  if (!machine.workloads.includes(a.workload)) throw new UsageError(`--workload ${a.workload}: expected one of ${machine.workloads.join(", ")}`);
  if (a.errors && !a.tree) throw new UsageError("--errors goes with --tree");
  if (!a.specs.length && !a.followSkb) throw new UsageError('give a probe spec, e.g. btfsnoop "ip_send_skb(skb->sk)"');
  if (a.followSkb && (a.tree || a.stack)) throw new UsageError("--follow-skb cannot be combined with --tree or --stack");
  const specs = a.followSkb ? followSkbSpecs(machine, a.specs) : a.specs;
  const session = TraceSession.open(machine.bpf, {
    specs,
    render: a.render,
    pages: a.pages,
    stack: a.stack ?? false,
    attach: a.attach,
    everyCall: a.tree === true,
    ...(a.jit !== undefined ? { jit: a.jit } : {}),
    ...(a.pid !== undefined ? { pid: a.pid } : {}),
  });
  const btf = session.btf;
  if (a.verbose) {
    for (const p of session.plans) {
      io.err(`btfsnoop: ${p.spec.text}: ${p.targets.length} function${p.targets.length === 1 ? "" : "s"}${p.skipped.length ? `, ${p.skipped.length} skipped` : ""}\n`);
      for (const s of p.skipped) io.err(`btfsnoop:   skipped ${s.name}: ${s.reason}\n`);
    }
    for (const p of session.programs) {
      const jit = p.jitSource !== undefined ? `JIT-compiled in ${p.jitTimeMs?.toFixed(1)} ms (${p.jitSource.length} bytes of JavaScript)` : `interpreted${p.jitError !== undefined ? ` (${p.jitError})` : ""}`;
      io.err(`btfsnoop: ${p.name}: ${p.insns.length} insns; ${p.verifierStats}; ${jit}\n`);
    }
  }

  // Output: stdout or a file (-o), text written per batch. A failed write throws (exit 2); a closed pipe stops quietly.
  let file: OutputFile | undefined;
  let closed = false;
  const write = async (text: string): Promise<boolean> => {
    if (!text) return !closed;
    if (file) return file.write(text);
    await io.out(text);
    closed = io.outputClosed?.() ?? false;
    return !closed;
  };
  if (a.output !== undefined) {
    try {
      file = OutputFile.open(a.output);
    } catch (e) {
      session.close();
      throw e;
    }
  }
  let perfetto: PerfettoWriter | undefined;
  let pending = "";
  if (a.format === "perfetto") {
    // B/E slices for functions traced at both ends; calls seen at one end only are instants.
    const both = new Set(session.targets.filter((t) => !t.stash && wantsPhase(t, "entry", session.phaseMode) && wantsPhase(t, "return", session.phaseMode)).map((t) => t.name));
    perfetto = new PerfettoWriter((s) => void (pending += s), btf, { slices: (func) => both.has(func) });
  }
  // What -c counts, counted here rather than by runTrace: trees with --tree (complete top-level
  // calls, not the events they are made of), else the records printed; ksnoop text skips records
  // with no value to show, as ksnoop does (its BPF program sends a record only when it captured bytes).
  const trees = a.tree ? new CallTreeBuilder(a.errors === true, (ret) => returnErrno(btf, ret) !== 0) : undefined;
  const ksnoopText = a.format === "text" && !trees && !a.followSkb;
  let shown = 0;
  let cut = 0;
  let empty = 0;
  const countReached = (): boolean => a.count !== undefined && shown >= a.count;
  const render = (evs: TraceEvent[]): string => {
    if (trees) {
      let done = trees.process(evs);
      if (a.count !== undefined) done = done.slice(0, a.count - shown);
      shown += done.length;
      return done.map((t) => (a.format === "json" ? formatCallTreeJson(btf, t) : formatCallTree(btf, t))).join("");
    }
    let s = "";
    for (const e of evs) {
      if (countReached()) {
        cut++;
        continue;
      }
      if (ksnoopText && !ksnoopShows(e)) {
        empty++;
        continue;
      }
      shown++;
      if (perfetto) perfetto.event(e);
      else if (a.followSkb && a.format === "text") s += skbLine(e);
      else s += a.format === "json" ? formatJsonEvent(btf, e) : formatKsnoopEvent(btf, e);
    }
    if (perfetto) {
      s = pending;
      pending = "";
    }
    return s;
  };

  let stop = false;
  const onSignal = (): void => void (stop = true);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let result: RunResult;
  let finished = false;
  try {
    const header = a.tree ? "" : a.followSkb ? SKB_HEADER : formatKsnoopHeader();
    if (a.format === "text" && !(await write(header))) {
      session.close();
      return 0;
    }
    result = await runTrace(machine, session, {
      workload: a.workload,
      ...(durationNs !== undefined ? { durationNs } : {}),
      onEvents: (evs) => write(render(evs)),
      stopRequested: () => {
        checkpoint(); // the loop does not yield to timers between polls: give the optimizer back here once due
        return stop || countReached();
      },
    });
    if (countReached() && (result.reason === "stopped" || result.reason === "duration")) result = { ...result, reason: "count" };
    if (perfetto) {
      perfetto.end();
      await write(pending);
    }
    if (a.format === "json" && a.summary) await write(JSON.stringify(summaryJson(result, { shown, cut, trees: trees !== undefined }, machine.nowNs())) + "\n");
    finished = true;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    session.close();
    if (finished) file?.close();
    else closeQuietly(file); // the error in flight is the one to report
  }
  if (result.reason === "output-closed") return 0;
  const lines = summaryLines(result, { shown, cut, empty, trees: trees !== undefined });
  if (a.verbose) lines.push(`btfsnoop: detached; ${session.attachedLinks} links and ${machine.bpf.openFds().length} fds left open`);
  let code = 0;
  if (a.check) {
    const rows = conservation(session, result);
    for (const r of rows) lines.push(`  ${r.ok ? "ok" : "MISMATCH"} ${r.name}: ${r.calls} calls -> ${r.expected} records expected, ${r.accounted} accounted (${r.delivered} delivered, ${r.filtered} filtered, ${r.lost} lost)`);
    if (rows.some((r) => !r.ok)) code = 1;
  }
  io.err(lines.join("\n") + "\n");
  return code;
}

function closeQuietly(file: OutputFile | undefined): void {
  try {
    file?.close();
  } catch {
    // reported by the caller's error instead
  }
}

function totals(r: RunResult): { emitted: number; filtered: number; lost: number } {
  let emitted = 0;
  let filtered = 0;
  let lost = 0;
  for (const c of r.stats.perTarget.values()) {
    emitted += c.emitted;
    filtered += c.filtered;
    lost += c.lost;
  }
  return { emitted, filtered, lost };
}

/** What the command showed of the events runTrace handed it. */
interface Shown {
  /** Records printed, or trees with --tree (what -c counts). */
  shown: number;
  /** Events that came after -c was reached (not shown). */
  cut: number;
  /** ksnoop text: records with no value to show, skipped. */
  empty?: number;
  trees: boolean;
}

/** The stderr summary: what was delivered, filtered and lost (loss is never silent); with --tree, the trees shown. */
function summaryLines(r: RunResult, s: Shown): string[] {
  const t = totals(r);
  const ms = Number(r.elapsedNs / 1000n) / 1000;
  const shown = s.trees ? `${s.shown} call trees shown (${r.shown} events read)` : `${s.shown} events shown`;
  const notShown = s.trees ? r.notShown : r.notShown + s.cut;
  const out = [
    `btfsnoop: ${shown} in ${ms} ms of simulated time (${r.reason}); ${t.filtered} filtered, ${t.lost} lost${notShown ? `, ${notShown} not shown` : ""}${r.stackDropped ? `, ${r.stackDropped} outside the stack chain` : ""}${s.empty ? `, ${s.empty} without values skipped` : ""}`,
  ];
  if (s.empty && !s.shown) out.push("btfsnoop: no record had a value to show: ksnoop text prints a record only when it captured a value (hint: --json or --format perfetto show every call)");
  if (t.lost) out.push(`btfsnoop: /* lost ${t.lost} events */ (hint: a bigger ring buffer, e.g. -P ${64})`);
  if (r.stats.malformed) out.push(`btfsnoop: ${r.stats.malformed} malformed records`);
  return out;
}

/** The --summary object (docs/json.md); time_ns: when the trace ended, in ns since boot like every JSON time. */
function summaryJson(r: RunResult, s: Shown, nowNs: bigint): Record<string, unknown> {
  const t = totals(r);
  return {
    summary: true,
    time_ns: jsonInteger(nowNs),
    reason: r.reason,
    shown: s.trees ? r.shown : s.shown,
    ...(s.trees ? { trees: s.shown } : {}),
    not_shown: s.trees ? r.notShown : r.notShown + s.cut,
    filtered: t.filtered,
    lost: t.lost,
    elapsed_ns: jsonInteger(r.elapsedNs),
    functions: Object.fromEntries([...r.stats.perTarget].map(([name, c]) => [name, { calls: r.calls.get(name) ?? 0, delivered: c.delivered, filtered: c.filtered, lost: c.lost }])),
  };
}

const SKB_HEADER = `${"TIME".padStart(16)} ${"SKB".padEnd(18)} ${"CPU".padStart(3)} ${"PROCESS".padEnd(20)} FUNC\n`;

/** pwru-style: one line per function an skb passes through. */
function skbLine(e: TraceEvent): string {
  const skb = e.values.find((v) => v.ptr !== undefined && v.ptr !== 0n);
  const addr = skb?.ptr !== undefined ? `0x${skb.ptr.toString(16)}` : "-";
  return `${String(e.timeNs).padStart(16)} ${addr.padEnd(18)} ${String(e.cpu).padStart(3)} ${`[${e.comm}(${e.tid})]`.padEnd(20)} ${e.func}\n`;
}

type SkbMachine = { bpf: { btfBytes(): Uint8Array; kallsyms(): { name: string; address: bigint; btfId?: number }[]; tracepoints(): TracepointEntry[] } };

/**
 * --follow-skb's specs: one per function taking a struct sk_buff *, then
 * the user's own. A user spec naming one of those functions would trace it
 * twice: a usage error about that spec (the generated ones are not the
 * user's to fix).
 */
function followSkbSpecs(machine: SkbMachine, userSpecs: readonly string[]): string[] {
  const btf = parseBtf(machine.bpf.btfBytes());
  const generated = skbFunctionSpecs(btf, machine);
  const context = { btf, functions: machine.bpf.kallsyms(), tracepoints: machine.bpf.tracepoints() };
  for (const text of userSpecs) {
    const taken = resolveSpec(parseSpec(text), context).targets.filter((t) => generated.has(t.name)).map((t) => t.name);
    if (!taken.length) continue;
    const names = taken.length > 3 ? `${taken.slice(0, 3).join(", ")} and ${taken.length - 3} more` : taken.join(", ");
    throw new UsageError(
      `--follow-skb already traces every function taking a struct sk_buff *, so '${text}' would trace ${names} twice: drop it, or trace it without --follow-skb`,
    );
  }
  return [...[...generated.values()].sort(), ...userSpecs];
}

/** Function name -> `name(param)` for every traceable function with a `struct sk_buff *` parameter (found through BTF). */
function skbFunctionSpecs(btf: Btf, machine: SkbMachine): Map<string, string> {
  const skb = btf.findByNameKind("sk_buff", BtfKind.STRUCT);
  if (skb === undefined) throw new BtfsnoopError("ENOENT", "the kernel's BTF has no struct sk_buff");
  const out = new Map<string, string>();
  for (const f of machine.bpf.kallsyms()) {
    if (f.btfId === undefined || out.has(f.name)) continue;
    const sig = funcSignature(btf, f.btfId);
    if (sig.variadic || sig.params.length > 12) continue;
    const p = sig.params.find((x) => {
      const t = btf.typeById(skipModsAndTypedefs(btf, x.type));
      return t.kind === BtfKind.PTR && skipModsAndTypedefs(btf, t.type) === skb;
    });
    if (p?.name) out.set(f.name, `${f.name}(${p.name})`);
  }
  if (!out.size) throw new BtfsnoopError("ENOENT", "no function takes a struct sk_buff *");
  return out;
}
