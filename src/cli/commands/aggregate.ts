// The aggregation tools of seed 000 (bpftrace-style): `count SPEC [--by
// EXPR]`, `hist SPEC VALUE`, `lhist SPEC VALUE --min --max --step` and
// `latency START END --key EXPR [--heatmap]`. The programs aggregate in
// kernel maps (no record per event); user space reads the maps at
// --interval (reporting what each interval added, as bpftrace's
// `interval:s:N { print(@); clear(@); }`) and at the end (the whole run),
// and prints bpftrace's text, or one JSON object per report (time_ns: the
// kernel's clock, ns since boot, as trace's events and bpf_ktime_get_ns).
import type { Argv } from "yargs";
import type { Machine } from "../../syscall/machine.js";
import { parseSpec } from "../../probe-spec/parse.js";
import { TraceSession, type AggregateCell, type SessionOptions } from "../../tracer/session.js";
import { parseBy, partText, type Symbolizer } from "./count-by.js";
import { formatCounts, formatHeatmap, formatLinear, formatLog2, log2Label } from "../../ui/format/histogram.js";
import { jsonInteger } from "../../btf/format/value-json.js";
import { loadBtfFile } from "../btf-file.js";
import { parseDuration } from "../duration.js";
import { UsageError } from "../errors.js";
import type { CliIo } from "../io.js";

const MECHANISMS = new Set(["kprobe", "fentry", "tracepoint", "raw_tp"]);
const STEPS = 16;

/** `SPEC` with `expr` (one or several) as its first items (`f(a > 1)` + `b` -> `f(b, a > 1)`); `cat:name` alone means a tracepoint. */
export function withFirstItem(specText: string, expr: string | readonly string[] | undefined): string {
  let text = specText.trim();
  const m = /^([A-Za-z_][A-Za-z0-9_]*):/.exec(text);
  if (m && !MECHANISMS.has(m[1]!)) text = `tracepoint:${text}`;
  const spec = parseSpec(text);
  const head = text.slice(0, spec.targetSpan.end);
  const rest = text.slice(spec.targetSpan.end).trim();
  const items = rest.startsWith("(") && rest.endsWith(")") ? rest.slice(1, -1).trim() : "";
  const all = [expr ?? [], items].flat().filter((x) => x !== "");
  return `${head}(${all.join(", ")})`;
}

interface CommonArgs {
  workload: string;
  seed: number;
  cpus: number;
  duration?: string | undefined;
  interval?: string | undefined;
  json?: boolean | undefined;
  pages: number;
  btf?: string | undefined;
}

function common<T>(y: Argv<T>) {
  return y
    .option("workload", { type: "string", default: "mixed", describe: "synthetic kernel workload: net, fs, block, sched, mixed (random with --btf)" })
    .option("btf", { type: "string", describe: "aggregate on a kernel made from this BTF file in scale mode (every FUNC callable, random calls), as trace --btf" })
    .option("seed", { type: "number", default: 1 })
    .option("cpus", { type: "number", default: 4 })
    .option("duration", { alias: "d", type: "string", describe: "simulated time to run (default 1s)" })
    .option("interval", { alias: "i", type: "string", describe: "also report each INTERVAL of simulated time (e.g. 100ms): its own counts, under a timestamp; the end reports the whole run" })
    .option("json", { type: "boolean", describe: "one JSON object per interval (and one at the end)" })
    .option("pages", { alias: "P", type: "number", default: 16 });
}

/** Symbolizes kernel text addresses as name+off from kallsyms (hex offsets as dropmon, decimal as bpftrace's stacks). */
function symbolizer(m: Machine): Symbolizer {
  const syms = m.bpf.kallsyms().slice().sort((a, b) => (a.address < b.address ? -1 : 1));
  return (addr, decimal = false) => {
    let lo = 0;
    let hi = syms.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (syms[mid]!.address <= addr) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (best < 0) return undefined;
    const off = addr - syms[best]!.address;
    if (off >= 0x10000n) return undefined;
    return `${syms[best]!.name}+${decimal ? off.toString() : `0x${off.toString(16)}`}`;
  };
}

async function runAggregate(a: CommonArgs, io: CliIo, specs: string[], agg: NonNullable<SessionOptions["aggregate"]>, render: (s: TraceSession, m: Machine, cells: AggregateCell[]) => { text: string; json: unknown }): Promise<void> {
  const { bootScaleMachine, bootSyntheticKernel, machineOf } = await import("../../syscall/boot.js");
  // --btf: a kernel made from that BTF in scale mode (every FUNC callable, random calls), as trace --btf.
  const machine = a.btf !== undefined ? bootScaleMachine(loadBtfFile(a.btf), a.seed) : machineOf(bootSyntheticKernel({ seed: a.seed, nrCpus: a.cpus }));
  if (a.btf !== undefined && a.workload === "mixed") a.workload = "random";
  if (!machine.workloads.includes(a.workload)) throw new UsageError(`--workload ${a.workload}: expected one of ${machine.workloads.join(", ")}`);
  const duration = a.duration !== undefined ? parseDuration(a.duration) : 1_000_000_000n;
  const interval = a.interval !== undefined ? parseInterval(a.interval) : undefined;
  const session = TraceSession.open(machine.bpf, { specs, aggregate: agg, pages: a.pages });
  // The kernel keys cells by the first values' 8 raw bytes: wider values (structs, long strings) would collide.
  const keyed = agg.kind !== "count" ? 1 : agg.byValue === true ? (agg.keys?.value2 ? 2 : 1) : 0;
  const wide = session.targets.flatMap((t) => t.values.slice(0, keyed)).find((v) => v.size > 8 && v.pointee === undefined);
  if (wide) {
    session.close();
    throw new UsageError(`'${wide.name}' is ${wide.size} bytes: aggregations key by at most 8 (an integer, enum, pointer, or a char array of up to 8)`);
  }
  const start = machine.nowNs();
  const end = start + duration;
  let n = 0;
  // Interval reports hold the counts of their interval (bpftrace's `interval:s:N { print(@); clear(@); }`),
  // as differences from the previous snapshot; the final report holds the whole run.
  let previous = new Map<string, number>();
  let intervalStart = start;
  const emit = async (final: boolean) => {
    const now = machine.nowNs();
    const total = session.aggregates();
    let cells = total;
    if (!final) {
      const seen = new Map<string, number>();
      cells = [];
      for (const c of total) {
        const k = cellKey(c);
        seen.set(k, c.count);
        const d = c.count - (previous.get(k) ?? 0);
        if (d > 0) cells.push({ ...c, count: d });
      }
      previous = seen;
    }
    const r = render(session, machine, cells);
    if (a.json) await io.out(JSON.stringify({ type: agg.kind, interval: n, final, time_ns: jsonInteger(now), data: r.json }) + "\n");
    else {
      const span = final ? `end: whole run (${msText(now - start)})` : `interval ${n + 1} (${msText(now - intervalStart)})`;
      await io.out((interval !== undefined ? `[${secondsText(now)} s] ${span}\n` : "") + r.text);
    }
    intervalStart = now;
    n++;
  };
  let stop = false;
  const onSignal = (): void => void (stop = true);
  process.once("SIGINT", onSignal);
  try {
    let next = interval !== undefined ? start + interval : end;
    for (;;) {
      const until = next < end ? next : end;
      const ran = machine.run(a.workload, STEPS, until);
      if (stop) break;
      if (ran < STEPS) {
        if (until >= end) {
          // An interval ending with the run is reported too.
          if (interval !== undefined && next === end) await emit(false);
          break;
        }
        await emit(false);
        next += interval!;
      }
      await new Promise((r) => setImmediate(r));
    }
    await emit(true);
    const st = session.stats();
    let lost = 0;
    let unmatched = 0;
    for (const c of st.perTarget.values()) {
      lost += c.lost;
      unmatched += c.stashMiss;
    }
    io.err(`btfsnoop: ${Number((machine.nowNs() - start) / 1000n) / 1000} ms of simulated time${stop ? " (stopped)" : ""}; ${lost} lost${agg.kind === "latency" ? `, ${unmatched} ends without a start` : ""}\n`);
  } finally {
    process.off("SIGINT", onSignal);
    session.close();
  }
}

/** --interval, with parseDuration's checks and wording. */
function parseInterval(text: string): bigint {
  try {
    return parseDuration(text);
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(e.message.replace(/^--duration /, "--interval "));
    throw e;
  }
}

/** A cell's identity across snapshots (everything but its count). */
function cellKey(c: AggregateCell): string {
  return `${c.target}\0${c.a}\0${c.b}`;
}

/** ns as ms with 3 decimals ("1000.067 ms"). */
function msText(ns: bigint): string {
  return `${Number(ns / 1000n) / 1000} ms`;
}

/** ns since boot as seconds with 9 decimals, as kernel timestamps are printed. */
function secondsText(ns: bigint): string {
  return `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, "0")}`;
}

function byTarget(cells: AggregateCell[]): Map<string, AggregateCell[]> {
  const m = new Map<string, AggregateCell[]>();
  for (const c of cells) {
    let l = m.get(c.target);
    if (!l) m.set(c.target, (l = []));
    l.push(c);
  }
  return m;
}

function histJson(cells: AggregateCell[], label: (bucket: bigint) => string): { label: string; count: number }[] {
  return cells.map((c) => ({ label: label(c.a), count: c.count }));
}

/** Each command's --help examples (every one is run by test/cli/aggregate.test.ts). */
export const AGGREGATE_EXAMPLES: Readonly<Record<"count" | "hist" | "lhist" | "latency", readonly (readonly [string, string])[]>> = {
  count: [
    ["$0 count kfree_skb_reason --by location", "packet drops per call site, as dropmon shows them"],
    ["$0 count skb:kfree_skb --by reason", "drops per reason (a tracepoint field)"],
    ["$0 count 'tcp_*' --by comm", "calls of TCP functions per function and process name"],
    ["$0 count vfs_write --by kstack", "kernel stacks leading to vfs_write"],
    ["$0 count tcp_sendmsg --by pid,retval -i 250ms", "return values per process, every 250 ms"],
  ],
  hist: [
    ["$0 hist vfs_write count", "log2 histogram of write sizes"],
    ["$0 hist syscalls:sys_enter_write count", "the same from the syscall tracepoint"],
  ],
  lhist: [["$0 lhist vfs_write count --min 0 --max 4096 --step 512", "write sizes in 512-byte buckets"]],
  latency: [
    ["$0 latency raw_tp:block_rq_issue raw_tp:block_rq_complete --key rq", "block I/O latency per request"],
    ["$0 latency raw_tp:block_rq_issue raw_tp:block_rq_complete --key rq --heatmap --slot 100ms", "and by time, as a heatmap"],
  ],
};

function withExamples<T>(y: Argv<T>, command: keyof typeof AGGREGATE_EXAMPLES): Argv<T> {
  for (const [cmd, what] of AGGREGATE_EXAMPLES[command]) y = y.example(cmd, what);
  return y;
}

export function registerAggregate<T>(y: Argv<T>, io: CliIo): Argv<T> {
  return y
    .command(
      "count <spec>",
      "count events per function, or per key of --by (e.g. kfree_skb_reason --by location: drops per call site)",
      (c) =>
        withExamples(common(c.positional("spec", { type: "string", demandOption: true })), "count").option("by", {
          type: "string",
          describe: "keys to count by, comma-separated: comm, pid, tid, cpu, kstack, retval, location, or an expression over the arguments ((cpu) for an argument named like a key)",
        }),
      async (a) => {
        const by = parseBy(a.by, /^(tracepoint|raw_tp):/.test(withFirstItem(a.spec, [])));
        const spec = withFirstItem(a.spec, by?.values);
        const keys = by && Object.keys(by.keys).length ? { keys: by.keys } : {};
        await runAggregate(a, io, [spec], { kind: "count", byValue: (by?.values.length ?? 0) > 0, ...keys }, (s, m, cells) => {
          const sym = symbolizer(m);
          const many = s.targets.length > 1;
          const targets = new Map(s.targets.map((t) => [t.name, t]));
          const stack = (id: number) => s.kernelStack(id);
          const callSite = (id: number) => s.callSite(id);
          const key = (c: AggregateCell, json: boolean): string => {
            if (!by) return c.target;
            const k = { btf: s.btf, target: targets.get(c.target)!, sym, stack, callSite };
            const parts = by.parts.map((p) => partText(p, c, k, json));
            return (many ? [c.target, ...parts] : parts).join(", ");
          };
          const entries = cells.map((c) => ({ key: key(c, false), count: c.count }));
          const json: Record<string, number> = {};
          for (const c of cells) {
            const k = key(c, true);
            json[k] = (json[k] ?? 0) + c.count;
          }
          return { text: formatCounts(entries) + "\n", json };
        });
      },
    )
    .command(
      "hist <spec> <value>",
      "log2 histogram of a value (e.g. vfs_write count, syscalls:sys_enter_write count)",
      (c) => withExamples(common(c.positional("spec", { type: "string", demandOption: true }).positional("value", { type: "string", demandOption: true })), "hist"),
      async (a) => {
        await runAggregate(a, io, [withFirstItem(a.spec, a.value)], { kind: "log2" }, (_s, _m, cells) => {
          let text = "";
          const json: Record<string, unknown> = {};
          for (const [t, cs] of byTarget(cells)) {
            text += `@[${t}]:\n${formatLog2(cs.map((c) => ({ bucket: c.a, count: c.count })))}\n`;
            json[t] = histJson(cs, (b) => log2Label(b === 0xffffffffffffffffn ? 0 : Number(b) + 1));
          }
          return { text, json };
        });
      },
    )
    .command(
      "lhist <spec> <value>",
      "linear histogram of a value",
      (c) =>
        withExamples(common(c.positional("spec", { type: "string", demandOption: true }).positional("value", { type: "string", demandOption: true })), "lhist")
          .option("min", { type: "number", demandOption: true })
          .option("max", { type: "number", demandOption: true })
          .option("step", { type: "number", demandOption: true }),
      async (a) => {
        if (!Number.isInteger(a.min) || !Number.isInteger(a.max) || !Number.isInteger(a.step) || a.step <= 0 || a.max <= a.min || (a.max - a.min) % a.step !== 0) {
          throw new UsageError(`lhist: --min ${a.min} --max ${a.max} --step ${a.step}: need integers with step > 0 dividing max - min`);
        }
        if ((a.max - a.min) / a.step > 1000) throw new UsageError("lhist: at most 1000 buckets");
        const min = BigInt(a.min);
        const max = BigInt(a.max);
        const step = BigInt(a.step);
        const buckets = Number((max - min) / step);
        await runAggregate(a, io, [withFirstItem(a.spec, a.value)], { kind: "linear", min, step, buckets }, (_s, _m, cells) => {
          let text = "";
          const json: Record<string, unknown> = {};
          for (const [t, cs] of byTarget(cells)) {
            text += `@[${t}]:\n${formatLinear(cs.map((c) => ({ bucket: c.a, count: c.count })), min, max, step)}\n`;
            json[t] = cs.map((c) => ({ bucket: c.a === 0xffffffffffffffffn ? -1 : Number(c.a), count: c.count }));
          }
          return { text, json };
        });
      },
    )
    .command(
      "latency <start> <end>",
      "latency between two events correlated by a key (e.g. raw_tp:block_rq_issue raw_tp:block_rq_complete --key rq)",
      (c) =>
        withExamples(common(c.positional("start", { type: "string", demandOption: true }).positional("end", { type: "string", demandOption: true })), "latency")
          .option("key", { type: "string", demandOption: true, describe: "an expression both events have (the request, a pointer, an id)" })
          .option("heatmap", { type: "boolean", describe: "also show latency by time as a heatmap (gray shades; 256 colors on a color terminal)" })
          .option("slot", { type: "string", default: "10ms", describe: "heatmap column width (simulated time)" }),
      async (a) => {
        const slotNs = a.heatmap ? parseDuration(a.slot) : 0n;
        const specs = [withFirstItem(a.start, a.key), withFirstItem(a.end, a.key)];
        const color = a.heatmap === true && process.stdout.isTTY === true && !process.env.NO_COLOR;
        await runAggregate(a, io, specs, { kind: "latency", slotNs }, (s, _m, cells) => {
          const name = `${s.targets[0]?.name ?? a.start} -> ${s.targets[s.targets.length - 1]?.name ?? a.end} (ns)`;
          const merged = new Map<bigint, number>();
          for (const c of cells) merged.set(c.a, (merged.get(c.a) ?? 0) + c.count);
          let text = `@[${name}]:\n${formatLog2([...merged].map(([bucket, count]) => ({ bucket, count })))}\n`;
          if (a.heatmap) text += formatHeatmap(cells.map((c) => ({ bucket: c.a, slot: c.b, count: c.count })), slotNs, color) + "\n";
          const json = { latency: [...merged].sort((x, y) => (x[0] < y[0] ? -1 : 1)).map(([b, count]) => ({ label: log2Label(Number(b) + 1), count })), ...(a.heatmap ? { heatmap: cells.map((c) => ({ bucket: log2Label(Number(c.a) + 1), slot: c.b, count: c.count })) } : {}) };
          return { text, json };
        });
      },
    );
}
