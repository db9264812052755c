// The Perfetto / chrome://tracing output: Chrome trace-event JSON written as
// a stream ({"traceEvents":[ … ]}), one event per line.
//
// * One track per task: pid = tgid, tid = tid, named by "M" metadata events
//   (process_name / thread_name = comm) the first time the task is seen
//   (process_name again when the group leader shows up after another thread).
// * Function entry -> "B", return -> "E" on the task's track, for functions
//   traced at both ends; every track balances: a return whose entry was not
//   seen (the trace began inside the call) is an instant, a return that
//   skips frames (their returns were lost) first ends them at its time, and
//   end() ends every slice still open (-c, -d, Ctrl-C cut calls short) at the
//   last timestamp written, with "cat":"unfinished". Functions traced at one
//   end only (entry-only specs, stash-mode records made at return) and
//   tracepoint hits are thread-scoped instants ("ph":"i","s":"t", "cat" the
//   event kind). Captured values go in
//   "args" (name -> compact JSON value, as the NDJSON output renders it;
//   errors as "<EFAULT>", truncation as name + " (truncated)": true).
// * A "CPU N" track per CPU (pid = tid = 1000000 + N) gets an instant for
//   every event (name: func, or "func (return)"; args comm/pid/tid), so the
//   per-CPU view survives migration between entry and return.
// * ts is in microseconds with nanosecond precision, written exactly
//   (ns / 1000 with three decimals).
import type { Btf } from "../../btf/btf.js";
import type { JsonValue } from "../../btf/format/value-json.js";
import type { TraceEvent } from "../../tracer/event.js";
import { errnoName, isTruncated, traceValueJson, traceValueJsonText } from "./ndjson.js";

/** Base of the per-CPU pid space. */
export const CPU_TRACK_PID_BASE = 1000000;

/** ns -> µs with three decimals, as a JSON number literal. */
export function microseconds(ns: bigint): string {
  const neg = ns < 0n;
  const a = neg ? -ns : ns;
  return `${neg ? "-" : ""}${a / 1000n}.${(a % 1000n).toString().padStart(3, "0")}`;
}

/** A number as JSON.stringify writes it. */
function num(n: number): string {
  return Number.isFinite(n) ? String(n) : "null";
}

export interface PerfettoOptions {
  /** Whether `func`'s calls show as B/E slices (it is traced at entry and return); default: every function. */
  slices?: (func: string) => boolean;
}

export class PerfettoWriter {
  private started = false;
  /** Open slices per task track ("pid/tid" -> function names, innermost last), in first-seen order. */
  private readonly open = new Map<string, { pid: number; tid: number; stack: string[] }>();
  /** The latest timestamp written (ns): where end() closes open slices. */
  private lastNs: bigint | undefined;
  private ended = false;
  private first = true;
  /** pid -> whether its process_name came from the group leader (tid == pid). */
  private readonly processes = new Map<number, boolean>();
  private readonly threads = new Set<string>();
  private readonly cpus = new Set<number>();

  private readonly slices: (func: string) => boolean;

  constructor(
    private readonly write: (s: string) => void,
    private readonly btf: Btf,
    options: PerfettoOptions = {},
  ) {
    this.slices = options.slices ?? (() => true);
  }

  /** Writes one trace event (plus any metadata its task or CPU needs first). */
  event(ev: TraceEvent): void {
    if (this.ended) return;
    this.start();
    this.taskMetadata(ev);
    this.cpuMetadata(ev.cpu);
    const args = this.argsJson(ev);
    const ts = microseconds(ev.timeNs);
    if (this.lastNs === undefined || ev.timeNs > this.lastNs) this.lastNs = ev.timeNs;
    const name = JSON.stringify(ev.func);
    const ph = this.phase(ev, ts);
    const scope = ph === "i" ? ',"s":"t"' : "";
    this.emit(`{"name":${name},"cat":"${ev.kind}","ph":"${ph}"${scope},"ts":${ts},"pid":${ev.pid},"tid":${ev.tid},"args":${args}}`);
    const cpuPid = CPU_TRACK_PID_BASE + ev.cpu;
    const cpuName = JSON.stringify(ev.kind === "return" ? `${ev.func} (return)` : ev.func);
    const cpuArgs = `{"comm":${JSON.stringify(ev.comm)},"pid":${num(ev.pid)},"tid":${num(ev.tid)}}`;
    this.emit(`{"name":${cpuName},"cat":"cpu","ph":"i","s":"t","ts":${ts},"pid":${cpuPid},"tid":${cpuPid},"args":${cpuArgs}}`);
  }

  /** Ends the slices still open, at the last timestamp written, and closes the JSON document (idempotent). */
  end(): void {
    if (this.ended) return;
    this.start();
    const ts = this.lastNs === undefined ? "0.000" : microseconds(this.lastNs);
    for (const track of this.open.values()) {
      while (track.stack.length) this.endSlice(track.pid, track.tid, track.stack.pop()!, ts, "unfinished");
    }
    this.open.clear();
    this.ended = true;
    this.write("\n]}\n");
  }

  /**
   * The event's phase on its task's track ("B", "E" or "i"), keeping the
   * track's open slices: ends the frames a return skips first.
   */
  private phase(ev: TraceEvent, ts: string): "B" | "E" | "i" {
    if (ev.kind === "tracepoint" || !this.slices(ev.func)) return "i";
    const key = `${ev.pid}/${ev.tid}`;
    let track = this.open.get(key);
    if (ev.kind === "entry") {
      if (!track) this.open.set(key, (track = { pid: ev.pid, tid: ev.tid, stack: [] }));
      track.stack.push(ev.func);
      return "B";
    }
    const at = track ? track.stack.lastIndexOf(ev.func) : -1;
    if (!track || at < 0) return "i"; // its entry came before the trace began
    while (track.stack.length > at + 1) this.endSlice(ev.pid, ev.tid, track.stack.pop()!, ts, "return-lost");
    track.stack.pop();
    if (!track.stack.length) this.open.delete(key);
    return "E";
  }

  /** An "E" that ends a slice whose own return is not in the trace ("cat" says why). */
  private endSlice(pid: number, tid: number, func: string, ts: string, why: "unfinished" | "return-lost"): void {
    this.emit(`{"name":${JSON.stringify(func)},"cat":"${why}","ph":"E","ts":${ts},"pid":${pid},"tid":${tid},"args":{}}`);
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.write('{"traceEvents":[');
  }

  private emit(json: string): void {
    this.write((this.first ? "\n" : ",\n") + json);
    this.first = false;
  }

  private metadata(name: "process_name" | "thread_name", pid: number, tid: number, value: string): void {
    this.emit(`{"name":"${name}","ph":"M","pid":${pid},"tid":${tid},"args":{"name":${JSON.stringify(value)}}}`);
  }

  private taskMetadata(ev: TraceEvent): void {
    const leader = ev.tid === ev.pid;
    const named = this.processes.get(ev.pid);
    if (named === undefined || (leader && !named)) {
      this.processes.set(ev.pid, leader);
      this.metadata("process_name", ev.pid, ev.pid, ev.comm);
    }
    const key = `${ev.pid}/${ev.tid}`;
    if (!this.threads.has(key)) {
      this.threads.add(key);
      this.metadata("thread_name", ev.pid, ev.tid, ev.comm);
    }
  }

  private cpuMetadata(cpu: number): void {
    if (this.cpus.has(cpu)) return;
    this.cpus.add(cpu);
    const pid = CPU_TRACK_PID_BASE + cpu;
    this.metadata("process_name", pid, pid, `CPU ${cpu}`);
    this.metadata("thread_name", pid, pid, `CPU ${cpu}`);
  }

  /** JSON.stringify(this.args(ev)), built as text when the keys are plain and distinct. */
  private argsJson(ev: TraceEvent): string {
    const values = ev.values;
    const keys: string[] = [];
    for (const v of values) {
      keys.push(v.name);
      if (isTruncated(v)) keys.push(`${v.name} (truncated)`);
    }
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      // Array-index keys are reordered by JSON.stringify, __proto__ is not an own key, duplicates keep their first place.
      if (k === "__proto__" || /^[0-9]/.test(k) || keys.indexOf(k) !== i) return JSON.stringify(this.args(ev));
    }
    let s = "{";
    for (const v of values) {
      if (s.length > 1) s += ",";
      const value = traceValueJsonText(this.btf, v);
      s += JSON.stringify(v.name) + ":" + (value === undefined ? JSON.stringify(`<${errnoName(v.error ?? 0)}>`) : value);
      if (isTruncated(v)) s += "," + JSON.stringify(`${v.name} (truncated)`) + ":true";
    }
    return s + "}";
  }

  private args(ev: TraceEvent): { [key: string]: JsonValue } {
    const args: { [key: string]: JsonValue } = {};
    for (const v of ev.values) {
      const value = traceValueJson(this.btf, v);
      args[v.name] = value === undefined ? `<${errnoName(v.error ?? 0)}>` : value;
      if (isTruncated(v)) args[`${v.name} (truncated)`] = true;
    }
    return args;
  }
}
