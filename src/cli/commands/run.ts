// `btfsnoop run OBJ.bpf.o [--workload W] [--duration D] [--seed N] [--cpus N]
// [--set NAME=VALUE]... [--iface IF] [--json] [-v]` and `btfsnoop prog load OBJ.bpf.o [-v]`
// (issue #16): a user's BPF object through the loader (src/loader) on the
// synthetic kernel. `run` stands in for the tool's user space
// (loader/standalone.ts): map sizes left to user space get defaults,
// --skip switches programs off, --attach retargets one (the user space's
// bpf_program__set_attach_target), and of the loaded programs every one whose
// target exists is attached, only one of alternatives on the same event
// (fentry over kprobe, tp_btf over raw_tp over tracepoint); the others are
// reported on stderr and in the summary. It runs
// the workload on the same Machine `trace` drives (same seed, CPUs,
// duration and poll step: the same kernel history), prints printk lines as
// trace_pipe shows them and ring/perf buffer records as they come, then
// iterator output and every map as `bpftool map dump` prints it, then the
// counters of the packet sockets socket filters are attached to (on lo, or
// --iface), and detaches (also on SIGINT/SIGTERM). `--json` is NDJSON (docs/json.md,
// "btfsnoop run"). `prog load` opens, relocates and verifies only, prints
// the verifier log and exits 1 if a program is rejected, as bpftool does.
import { basename } from "node:path";
import type { Argv } from "yargs";
import type { JsonValue } from "../../btf/format/value-json.js";
import { jsonInteger } from "../../btf/format/value-json.js";
import type { BpfObject, EventRecord, SocketFilterStatus } from "../../loader/object.js";
import type { TracePipeLine } from "../../syscall/types.js";
import { parseDuration } from "../duration.js";
import { ExitStatus, UsageError } from "../errors.js";
import { loadBtfFile } from "../btf-file.js";
import { readInputFile, type CliIo } from "../io.js";

export interface RunArgs {
  object: string;
  workload: string;
  duration?: string | undefined;
  seed: number;
  cpus: number;
  set?: string[] | undefined;
  json?: boolean | undefined;
  verbose?: boolean | undefined;
  /** A kernel made from this BTF file in scale mode (as trace --btf): CO-RE relocates against it. */
  btf?: string | undefined;
  /** The interface socket filters' packet sockets are bound to (default lo). */
  iface?: string | undefined;
  /** Programs not to load (bpf_program__set_autoload(prog, false), as the tool's user space would). */
  skip?: string[] | undefined;
  /** PROG=TARGET: attach PROG to TARGET instead of its section's (bpf_program__set_attach_target). */
  attach?: string[] | undefined;
}

/** The kernel to load into: the synthetic one, or one made from a BTF file (scale mode, workload `random`). */
async function kernelFor(btf: string | undefined, seed: number, cpus: number) {
  const { bootScaleMachine, bootSyntheticKernel, machineOf } = await import("../../syscall/boot.js");
  return btf !== undefined ? bootScaleMachine(loadBtfFile(btf), seed) : machineOf(bootSyntheticKernel({ seed, nrCpus: cpus }));
}

/** Workload steps between two drains: the tracer's STEPS_PER_POLL, so `run` and `trace` see one history. */
const STEPS_PER_POLL = 16;

/** bpftool's map type names. */
const MAP_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: "hash",
  2: "array",
  3: "prog_array",
  4: "perf_event_array",
  5: "percpu_hash",
  6: "percpu_array",
  7: "stack_trace",
  8: "cgroup_array",
  9: "lru_hash",
  10: "lru_percpu_hash",
  11: "lpm_trie",
  12: "array_of_maps",
  13: "hash_of_maps",
  27: "ringbuf",
};

/** `comm-pid [cpu] ..... secs.usecs: bpf_trace_printk: text` as the kernel's trace_pipe prints it (one line; the text's own trailing newline is the line's). */
export function formatTracePipe(l: TracePipeLine): string {
  const us = l.timeNs / 1000n;
  const secs = (us / 1_000_000n).toString().padStart(5);
  const frac = (us % 1_000_000n).toString().padStart(6, "0");
  const text = l.text.endsWith("\n") ? l.text.slice(0, -1) : l.text;
  return `${l.comm.padStart(16)}-${String(l.pid).padEnd(7)} [${String(l.cpu).padStart(3, "0")}] ..... ${secs}.${frac}: bpf_trace_printk: ${text}\n`;
}

const hex = (b: Uint8Array, sep = " "): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(sep);

/**
 * JSON text the way bpftool's json_writer writes it in pretty mode: members
 * on their own lines indented 4 spaces per level, array elements after a
 * bare comma (`},{`), scalars of arrays on one line.
 */
export function jsonwPretty(v: JsonValue, depth = 0): string {
  const ind = (d: number) => "\n" + " ".repeat(4 * d);
  if (Array.isArray(v)) {
    if (!v.length) return "[]";
    const parts = v.map((x) => jsonwPretty(x, depth + 1));
    const nested = v.some((x) => x !== null && typeof x === "object");
    return "[" + parts.join(",") + (nested ? ind(depth) : "") + "]";
  }
  if (v !== null && typeof v === "object") {
    const keys = Object.keys(v);
    if (!keys.length) return "{}";
    return "{" + keys.map((k) => `${ind(depth + 1)}${JSON.stringify(k)}: ${jsonwPretty(v[k]!, depth + 1)}`).join(",") + ind(depth) + "}";
  }
  return JSON.stringify(v);
}

/** One map as `bpftool map dump` prints it: BTF-typed JSON when the map has types, else hex lines and a count. */
export function formatMapDump(obj: BpfObject, name: string): string {
  const spec = obj.mapSpec(name);
  const entries = obj.entries(name);
  if (spec.origin === "data") {
    const vars = obj.variables(name);
    const value = { [spec.section]: Object.entries(vars).map(([k, v]) => ({ [k]: v })) };
    return jsonwPretty([{ value }]) + "\n";
  }
  const perCpu = [5, 6, 10].includes(spec.type);
  if (spec.keyTypeId !== undefined && spec.valueTypeId !== undefined) {
    return jsonwPretty(entries.map((e): JsonValue => (perCpu ? { key: e.keyData, values: e.valueData } : { key: e.keyData, value: e.valueData }))) + "\n";
  }
  let s = "";
  for (const e of entries) {
    if (spec.keySize + spec.valueSize > 24) s += `key:\n${hex(e.key)}\nvalue:\n${hex(e.value)}\n`;
    else s += `key: ${hex(e.key)}  value: ${hex(e.value)}\n`;
  }
  return s + `Found ${entries.length} element${entries.length === 1 ? "" : "s"}\n`;
}

/** The `map` NDJSON line's entries: {key, value} formatted as bpftool -j's `formatted`; global data maps: one entry, value {VAR: value}. */
function mapJson(obj: BpfObject, name: string): Record<string, unknown> {
  const spec = obj.mapSpec(name);
  const type = MAP_TYPE_NAMES[spec.type] ?? `type ${spec.type}`;
  if (spec.origin === "data") return { type: "map", name, map_type: type, entries: [{ key: 0, value: obj.variables(name) }] };
  const perCpu = [5, 6, 10].includes(spec.type);
  const entries = obj.entries(name).map((e) => {
    const key = spec.keyTypeId !== undefined ? e.keyData : hex(e.key, "");
    if (perCpu) return { key, values: e.valueData };
    return { key, value: spec.valueTypeId !== undefined ? e.valueData : hex(e.value, "") };
  });
  return { type: "map", name, map_type: type, entries };
}

function eventText(e: EventRecord): string {
  if (e.lost !== undefined) return `${e.map}: lost ${e.lost} samples on CPU ${e.cpu}\n`;
  const where = e.cpu !== undefined ? ` [${String(e.cpu).padStart(3, "0")}]` : "";
  return `${e.map}${where}: ${e.data !== undefined ? JSON.stringify(e.data) : hex(e.bytes)}\n`;
}

function eventJson(e: EventRecord): string {
  if (e.lost !== undefined) return JSON.stringify({ type: "lost", map: e.map, cpu: e.cpu, count: e.lost }) + "\n";
  return JSON.stringify({ type: "event", map: e.map, ...(e.cpu !== undefined ? { cpu: e.cpu } : {}), ...(e.data !== undefined ? { data: e.data } : { hex: hex(e.bytes, "") }) }) + "\n";
}

/** A socket filter's packet socket, one line: what its program saw, kept, trimmed and dropped, and what the full queue dropped. */
export function socketText(s: SocketFilterStatus): string {
  const st = s.stats;
  const seen = st.received + st.filtered + st.queueDrops;
  return `socket ${s.program} (${s.iface}): ${seen} packets seen, ${st.received} kept (${st.trimmed} trimmed), ${st.filtered} dropped by filter, ${st.queueDrops} dropped by kernel (receive queue full), ${st.queued} queued\n`;
}

function socketJson(s: SocketFilterStatus): string {
  const st = s.stats;
  return JSON.stringify({ type: "socket", program: s.program, iface: s.iface, received: st.received, filtered: st.filtered, trimmed: st.trimmed, queue_drops: st.queueDrops, queued: st.queued }) + "\n";
}

function printkJson(l: TracePipeLine): string {
  return JSON.stringify({ type: "printk", time_ns: jsonInteger(l.timeNs), cpu: l.cpu, pid: l.pid, comm: l.comm, text: l.text.endsWith("\n") ? l.text.slice(0, -1) : l.text }) + "\n";
}

/** `--set NAME=VALUE` list -> pairs (UsageError for a missing '='). */
function parseSets(sets: readonly string[]): [string, string][] {
  return parsePairs(sets, "--set", "NAME=VALUE, e.g. --set target_pid=42");
}

/** `OPT A=B` values -> pairs (UsageError for a missing '='). */
function parsePairs(values: readonly string[], opt: string, expected: string): [string, string][] {
  return values.map((s) => {
    const eq = s.indexOf("=");
    if (eq <= 0) throw new UsageError(`${opt} '${s}': expected ${expected}`);
    return [s.slice(0, eq), s.slice(eq + 1)];
  });
}

async function openFile(path: string): Promise<BpfObject> {
  const { BpfObject } = await import("../../loader/object.js");
  const bytes = readInputFile(path);
  return BpfObject.open(bytes, basename(path));
}

/** Runs `btfsnoop run`; returns the exit code. */
export async function runObjectCommand(a: RunArgs, io: CliIo): Promise<number> {
  if (!Number.isInteger(a.cpus) || a.cpus < 1 || a.cpus > 64) throw new UsageError(`--cpus ${a.cpus}: expected 1..64`);
  if (!Number.isInteger(a.seed)) throw new UsageError(`--seed ${a.seed}: expected an integer`);
  const durationNs = a.duration !== undefined ? parseDuration(a.duration) : 1_000_000_000n;
  const sets = parseSets(a.set ?? []);
  if (a.btf !== undefined && a.workload === "mixed") a.workload = "random";
  const machine = await kernelFor(a.btf, a.seed, a.cpus);
  if (!machine.workloads.includes(a.workload)) throw new UsageError(`--workload ${a.workload}: expected one of ${machine.workloads.join(", ")}`);
  const obj = await openFile(a.object);
  for (const [k, v] of sets) obj.set(k, v);
  for (const p of a.skip ?? []) obj.setAutoload(p, false);
  for (const [p, target] of parsePairs(a.attach ?? [], "--attach", "PROG=FUNC, e.g. --attach dummy_kprobe=vfs_read")) obj.setAttachTarget(p, target);
  // Sizes the tool's user space would set before load (standalone.ts).
  const { standaloneMapSizes } = await import("../../loader/standalone.js");
  for (const c of standaloneMapSizes(obj.spec)) {
    obj.setMapSize(c.map, c.field, c.value);
    io.err(`btfsnoop: map '${c.map}': ${c.field} 0 set to ${c.value} (left to the tool's user space)\n`);
  }
  const json = a.json === true;
  try {
    obj.load(machine, { alternatives: true });
    if (a.verbose) {
      for (const p of obj.programs) {
        for (const c of p.relocated?.core ?? []) for (const line of c.log) io.err(`libbpf: ${line}\n`);
        if (p.relocated) io.err(`btfsnoop: ${p.spec.section}/${p.spec.name}: ${p.relocated.insns.length} insns (${p.relocated.functions.length} functions), ${p.log[p.log.length - 1] ?? ""}\n`);
      }
    }
    // Every program whose target exists, one of alternatives (standalone.ts); the others are reported.
    obj.attach({ keepGoing: true, alternatives: true, ...(a.iface !== undefined ? { iface: a.iface } : {}) });
    for (const s of obj.status()) if (!s.attached) io.err(`btfsnoop: ${s.section}/${s.name}: not attached: ${s.error ?? "not loaded"}\n`);

    let stop = false;
    const onSignal = (): void => void (stop = true);
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    let printks = 0;
    let events = 0;
    let lost = 0;
    let steps = 0;
    let reason: "duration" | "stopped" | "output-closed" = "duration";
    const start = machine.nowNs();
    const until = start + durationNs;
    const drain = async (): Promise<boolean> => {
      let s = "";
      for (const l of obj.readTracePipe()) {
        printks++;
        s += json ? printkJson(l) : formatTracePipe(l);
      }
      for (const e of obj.pollEvents()) {
        if (e.lost !== undefined) lost += e.lost;
        else events++;
        s += json ? eventJson(e) : eventText(e);
      }
      if (s) await io.out(s);
      return !(io.outputClosed?.() ?? false);
    };
    try {
      for (;;) {
        if (stop) {
          reason = "stopped";
          break;
        }
        const ran = machine.run(a.workload, STEPS_PER_POLL, until);
        steps += ran;
        if (!(await drain())) {
          reason = "output-closed";
          break;
        }
        if (ran < STEPS_PER_POLL) break;
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
    if (reason === "output-closed") return 0;
    // Iterators are read once at the end, like `cat` of a pinned iterator.
    let out = "";
    for (const it of obj.readIterators()) out += json ? JSON.stringify({ type: "iter", link: it.program, text: it.text }) + "\n" : it.text;
    for (const name of obj.mapNames) {
      const spec = obj.mapSpec(name);
      if (spec.type === 27 || spec.type === 4) continue; // buffers were drained as events
      out += json ? JSON.stringify(mapJson(obj, name)) + "\n" : `map ${name} (${MAP_TYPE_NAMES[spec.type] ?? spec.type}):\n${formatMapDump(obj, name)}`;
    }
    for (const sock of obj.socketFilters()) out += json ? socketJson(sock) : socketText(sock);
    const status = obj.status();
    const elapsed = machine.nowNs() - start;
    if (json) {
      const summary = {
        type: "summary",
        programs: status.map((s) => ({ name: s.name, section: s.section, attached: s.attached, ...(s.error !== undefined ? { error: s.error } : {}) })),
        reason,
        time_ns: jsonInteger(machine.nowNs()),
        elapsed_ns: jsonInteger(elapsed),
        steps,
        printk: printks,
        events,
        lost,
      };
      out += JSON.stringify(summary) + "\n";
    }
    await io.out(out);
    if (!json) {
      const attached = status.filter((s) => s.attached).length;
      io.err(`btfsnoop: ${attached} of ${status.length} programs attached; ${Number(elapsed / 1000n) / 1000} ms of simulated time (${reason}); ${printks} printk lines, ${events} events${lost ? `, ${lost} lost` : ""}\n`);
    }
    return 0;
  } finally {
    obj.close();
  }
}

/** `btfsnoop prog load OBJ`: open, relocate and verify; the verifier log; 1 if a program is rejected. */
export async function progLoadCommand(a: { object: string; verbose?: boolean | undefined; btf?: string | undefined }, io: CliIo): Promise<number> {
  const obj = await openFile(a.object);
  const machine = await kernelFor(a.btf, 1, 4);
  try {
    obj.load(machine, { keepGoing: true, logLevel: a.verbose ? 2 : 1, force: new Set(obj.programNames) });
    let rejected = 0;
    let s = "";
    for (const p of obj.programs) {
      if (p.rejected) rejected++;
      s += `${p.spec.section}/${p.spec.name}: ${p.fd !== undefined ? "accepted" : p.rejected ? "rejected" : `skipped: ${p.skipped}`}\n`;
      if (a.verbose) for (const c of p.relocated?.core ?? []) for (const line of c.log) s += `libbpf: ${line}\n`;
      if (p.log.length && (a.verbose || p.rejected)) s += p.log.join("\n") + "\n";
      else if (p.log.length) s += p.log[p.log.length - 1] + "\n";
      if (p.rejected) io.err(`btfsnoop: ${p.skipped}\n`);
    }
    await io.out(s);
    return rejected ? 1 : 0;
  } finally {
    obj.close();
  }
}

export function registerRun<T>(y: Argv<T>, io: CliIo): Argv<T> {
  return y.command(
    "run <object>",
    "load a BPF object (clang -target bpf, libbpf-style), attach its programs, run the workload and print what they output",
    (c) =>
      c
        .positional("object", { type: "string", demandOption: true, describe: "the BPF ELF object (.bpf.o)" })
        .option("workload", { type: "string", default: "mixed", describe: "synthetic kernel workload: net, fs, block, sched, mixed (random with --btf)" })
        .option("btf", { type: "string", describe: "load into a kernel made from this BTF file (scale mode, as trace --btf): CO-RE relocates against it" })
        .option("duration", { alias: "d", type: "string", describe: "simulated time to run, e.g. 500ms, 2s (default 1s)" })
        .option("seed", { type: "number", default: 1, describe: "workload seed (same seed, same kernel history as trace)" })
        .option("cpus", { type: "number", default: 4, describe: "CPUs of the synthetic kernel" })
        .option("set", { type: "string", array: true, describe: "NAME=VALUE: set a global variable (const volatile, .data, .bss) before load" })
        .option("json", { type: "boolean", describe: "NDJSON: printk, event, iter, map and summary lines (docs/json.md)" })
        .option("verbose", { alias: "v", type: "boolean", describe: "CO-RE relocations and program sizes on stderr" })
        .option("iface", { type: "string", describe: "interface the packet sockets of socket filters (SEC(\"socket\")) are bound to: lo (default) or eth0" })
        .option("skip", { type: "string", array: true, describe: "PROG: do not load this program (as a tool's bpf_program__set_autoload(prog, false))" })
        .option("attach", { type: "string", array: true, describe: "PROG=TARGET: attach PROG to TARGET instead of its section's (bpf_program__set_attach_target), e.g. funclatency's dummy_fentry=vfs_read" })
        .example("$0 run prog.bpf.o --workload fs -d 200ms", "printk lines, events and maps of prog.bpf.o on the fs workload")
        .example("$0 run prog.bpf.o --set target_pid=4 --json", "with a const volatile knob set, as NDJSON")
        .example("$0 run prog.bpf.o --workload net --iface eth0", "its socket filters (SEC(\"socket\")) on a packet socket on eth0: maps and drop counters"),
    async (a) => {
      const code = await runObjectCommand(a as unknown as RunArgs, io);
      if (code !== 0) throw new ExitStatus(code);
    },
  );
}

/** `prog load OBJ`, registered under `prog`. */
export function registerProgLoad<T>(y: Argv<T>, io: CliIo): Argv<T> {
  return y.command(
    "load <object>",
    "open, relocate and verify a BPF object's programs; print the verifier log (exit 1 if one is rejected)",
    (c) =>
      c
        .positional("object", { type: "string", demandOption: true, describe: "the BPF ELF object (.bpf.o)" })
        .option("verbose", { alias: "v", type: "boolean", describe: "every program's full log (level 2: register states) and CO-RE relocations" })
        .option("btf", { type: "string", describe: "relocate and verify against a kernel made from this BTF file (scale mode)" }),
    async (a) => {
      const code = await progLoadCommand(a as unknown as { object: string; verbose?: boolean; btf?: string }, io);
      if (code !== 0) throw new ExitStatus(code);
    },
  );
}
