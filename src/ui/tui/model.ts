// The TUI's state, fed by the tracer (no React here): per-function
// statistics (calls/s over the last second of wall time, events, errors,
// avg and p99 latency from entry/return pairs, log2 histograms of latency
// and of each captured integer value), the latest events (held still while
// their pane has the focus), and the view state (pane, selection, sort
// column, text filter, pause, help overlay, spec prompt with history).
// Keys go through handleKey(), a reducer that changes the view state and
// returns the effect the driver must carry out (pause, attach, change
// workload, quit). RedrawThrottle bounds redraws (30/s by default) on an
// injected clock.
import type { TraceEvent } from "../../tracer/event.js";
import type { SessionStats } from "../../tracer/session.js";
import { compactEvent, log2Bucket, signedValue } from "./text.js";

export const SORT_KEYS = ["name", "rate", "events", "errors", "avg", "p99"] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export const PANES = ["functions", "events", "detail", "prompt"] as const;
export type PaneId = (typeof PANES)[number];

/** Events kept for the event pane. */
export const MAX_EVENTS = 500;
/**
 * Rates (calls/s, ev/s) count what happened in the last second of wall
 * time (the TuiClock), so they follow a workload change or a pause within a
 * second instead of averaging over the whole session.
 */
export const RATE_WINDOW_MS = 1000;
/** Counts are sampled at most this often for the rate window (bounded memory with many targets). */
const RATE_SAMPLE_MS = 100;

/** The counts at one wall-clock time: delivered events and each target's calls (in targets order). */
interface RateSample {
  ms: number;
  delivered: number;
  calls: Float64Array;
}
/** Latency samples kept per function for the p99. */
const MAX_SAMPLES = 4096;
const BUCKETS = 64;

/** A log2 histogram: buckets (see log2Bucket) and a count of negative values. */
export interface Log2Hist {
  buckets: number[];
  negatives: number;
  total: number;
}

const newHist = (): Log2Hist => ({ buckets: new Array<number>(BUCKETS).fill(0), negatives: 0, total: 0 });

function addToHist(h: Log2Hist, n: number): void {
  h.total++;
  if (n < 0) h.negatives++;
  else h.buckets[log2Bucket(n)]!++;
}

class FunctionAcc {
  events = 0;
  errors = 0;
  latCount = 0;
  latSum = 0;
  readonly samples: number[] = [];
  private next = 0;
  readonly latency = newHist();
  readonly values = new Map<string, Log2Hist>();
  /** Entry times by thread, innermost last (recursion). */
  readonly open = new Map<number, bigint[]>();

  constructor(readonly name: string) {}

  sample(ns: number): void {
    this.latCount++;
    this.latSum += ns;
    addToHist(this.latency, ns);
    if (this.samples.length < MAX_SAMPLES) this.samples.push(ns);
    else {
      this.samples[this.next] = ns;
      this.next = (this.next + 1) % MAX_SAMPLES;
    }
  }

  p99(): number | undefined {
    if (!this.samples.length) return undefined;
    const s = [...this.samples].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.ceil(s.length * 0.99) - 1)];
  }
}

/** One row of the function table. */
export interface FunctionRow {
  name: string;
  /** Calls the kernel made since attach (ground truth). */
  calls: number;
  /** Calls per second over the last RATE_WINDOW_MS of wall time. */
  rate: number;
  events: number;
  /** Returns with a negative value. */
  errors: number;
  /** undefined when no entry/return pair was seen. */
  avgNs: number | undefined;
  p99Ns: number | undefined;
}

export interface PromptStatus {
  kind: "empty" | "ok" | "error";
  /** ok: what it resolves to; error: the error message. */
  message: string;
  /** error: the offending part of the input (offsets into the prompt text). */
  span?: { start: number; end: number };
  hint?: string;
}

/** A key as ink reports it (the fields handleKey reads). */
export interface KeyInfo {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  return?: boolean;
  escape?: boolean;
  ctrl?: boolean;
  meta?: boolean;
  shift?: boolean;
  tab?: boolean;
  backspace?: boolean;
  delete?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
}

/** What the driver must do after a key. */
export type Effect =
  | { type: "none" }
  | { type: "quit" }
  | { type: "pause"; paused: boolean }
  | { type: "workload" }
  | { type: "validate"; text: string }
  | { type: "attach"; text: string };

export class TuiModel {
  kernel = "synthetic";
  workload = "mixed";
  specs: string[] = [];
  targets: string[] = [];
  /**
   * The TUI's clock: simulated time of its start (t=0 of the header, the
   * event rows and the detail, in ms, whatever was attached since), of the
   * last attach, and now.
   */
  startNs = 0n;
  attachNs = 0n;
  nowNs = 0n;
  paused = false;
  /** The help overlay (?) is shown; any key closes it. */
  help = false;
  filter = "";
  filterEditing = false;
  sort: SortKey = "events";
  pane: PaneId = "functions";
  /** Selected row of the function table. */
  fnIndex = 0;
  /** Selected event, 0 = newest (of the filtered list). */
  eventIndex = 0;
  /** The event shown in the detail pane. */
  expanded: TraceEvent | undefined;
  detailScroll = 0;
  /** Histogram source: "latency" or a value name. */
  histSource = "latency";
  prompt = "";
  promptStatus: PromptStatus = { kind: "empty", message: "" };
  history: string[] = [];
  private historyPos: number | undefined;
  /** One-line status (attach results, workload changes). */
  message = "";
  counters = { delivered: 0, filtered: 0, lost: 0, ringDrops: 0, malformed: 0 };
  calls = new Map<string, number>();
  /** Links attached by the session (shown in the header). */
  links = 0;
  private events: TraceEvent[] = [];
  /**
   * While the event pane has the focus its list holds still: the events as
   * they were when it got the focus (new ones are counted, not shown), so
   * the cursor and the detail stay on the row the user is looking at.
   */
  private held: TraceEvent[] | undefined;
  /** Events (passing the filter) that arrived while the list was held. */
  heldNew = 0;
  private fns = new Map<string, FunctionAcc>();
  /** Count samples for the rates, oldest first; the first is the base (at or before the window's start). */
  private samples: RateSample[] = [];
  /** Wall-clock ms of the latest counts (setStats). */
  private wallMs = 0;

  /** Starts over for a new session (re-attach) at simulated `nowNs`, wall-clock `wallMs`: statistics and events are per session. */
  reset(specs: readonly string[], targets: readonly string[], nowNs: bigint, wallMs = 0): void {
    this.specs = [...specs];
    this.targets = [...targets];
    this.attachNs = nowNs;
    this.nowNs = nowNs;
    this.wallMs = wallMs;
    this.samples = [{ ms: wallMs, delivered: 0, calls: new Float64Array(targets.length) }];
    this.events = [];
    this.fns = new Map(targets.map((t) => [t, new FunctionAcc(t)]));
    this.calls = new Map();
    this.counters = { delivered: 0, filtered: 0, lost: 0, ringDrops: 0, malformed: 0 };
    this.fnIndex = 0;
    this.eventIndex = 0;
    this.expanded = undefined;
    this.histSource = "latency";
    this.held = undefined;
    this.syncHold();
  }

  /** Whether the event list is held (its pane has the focus). */
  get holding(): boolean {
    return this.held !== undefined;
  }

  /** Holds the event list when its pane gets the focus (the detail shows the row under the cursor), lets it go live when it loses it. */
  private syncHold(): void {
    if (this.pane === "events" && !this.held) {
      this.held = this.events.slice();
      this.heldNew = 0;
      this.eventIndex = 0;
      this.expanded = this.visibleEvents()[0];
      this.detailScroll = 0;
    } else if (this.pane !== "events" && this.held) {
      this.held = undefined;
      this.heldNew = 0;
      this.eventIndex = 0;
    }
  }

  private acc(name: string): FunctionAcc {
    let a = this.fns.get(name);
    if (!a) this.fns.set(name, (a = new FunctionAcc(name)));
    return a;
  }

  /** Takes a batch of events from the session. */
  ingest(events: readonly TraceEvent[]): void {
    this.syncHold();
    for (const ev of events) {
      const a = this.acc(ev.func);
      a.events++;
      for (const v of ev.values) {
        if (v.name === "return") continue;
        const n = signedValue(v);
        if (n === undefined) continue;
        let h = a.values.get(v.name);
        if (!h) a.values.set(v.name, (h = newHist()));
        addToHist(h, Number(n));
      }
      if (ev.kind === "entry") {
        let stack = a.open.get(ev.tid);
        if (!stack) a.open.set(ev.tid, (stack = []));
        if (stack.length < 64) stack.push(ev.timeNs);
      } else if (ev.kind === "return") {
        const ret = ev.values.find((v) => v.name === "return");
        const n = ret ? signedValue(ret) : undefined;
        if (n !== undefined && n < 0n) a.errors++;
        if (n !== undefined) {
          let h = a.values.get("return");
          if (!h) a.values.set("return", (h = newHist()));
          addToHist(h, Number(n));
        }
        const start = a.open.get(ev.tid)?.pop();
        if (start !== undefined && ev.timeNs >= start) a.sample(Number(ev.timeNs - start));
      }
    }
    // Only the last MAX_EVENTS are kept; a loop, as a poll may return any number (a spread of 130k overflows the stack).
    for (let i = Math.max(0, events.length - MAX_EVENTS); i < events.length; i++) this.events.push(events[i]!);
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
    if (this.held) this.heldNew += this.countVisible(events);
    else if (this.eventIndex > 0) this.eventIndex = Math.min(this.eventIndex + this.countVisible(events), MAX_EVENTS - 1);
  }

  private countVisible(events: readonly TraceEvent[]): number {
    if (!this.filter) return events.length;
    return events.filter((e) => this.matches(e)).length;
  }

  /** Counters from the session and the kernel's call counts since attach, at wall-clock `wallMs`. */
  setStats(stats: SessionStats, calls: Map<string, number>, links: number, wallMs = this.wallMs): void {
    let filtered = 0;
    let lost = 0;
    for (const c of stats.perTarget.values()) {
      filtered += c.filtered;
      lost += c.lost;
    }
    this.counters = { delivered: stats.delivered, filtered, lost, ringDrops: stats.ringDrops, malformed: stats.malformed };
    this.calls = calls;
    this.links = links;
    this.wallMs = wallMs;
    this.sampleRates();
  }

  /** Records the counts for the rate window (at most one sample per RATE_SAMPLE_MS) and drops samples before the base. */
  private sampleRates(): void {
    const last = this.samples[this.samples.length - 1];
    if (!last || this.wallMs - last.ms >= RATE_SAMPLE_MS) {
      const calls = new Float64Array(this.targets.length);
      for (let i = 0; i < this.targets.length; i++) calls[i] = this.calls.get(this.targets[i]!) ?? 0;
      this.samples.push({ ms: this.wallMs, delivered: this.counters.delivered, calls });
    }
    // The base: the newest sample at or before the window's start (so the window covers about RATE_WINDOW_MS).
    const start = this.wallMs - RATE_WINDOW_MS;
    let base = 0;
    while (base + 1 < this.samples.length && this.samples[base + 1]!.ms <= start) base++;
    if (base > 0) this.samples.splice(0, base);
  }

  /** The window's base sample and its length in seconds (0: no time has passed yet). */
  private window(): { base: RateSample | undefined; sec: number } {
    const base = this.samples[0];
    return { base, sec: base ? (this.wallMs - base.ms) / 1000 : 0 };
  }

  /** Delivered events per second over the last RATE_WINDOW_MS of wall time. */
  get eventRate(): number {
    const { base, sec } = this.window();
    return base && sec > 0 ? (this.counters.delivered - base.delivered) / sec : 0;
  }

  /** The function table, sorted by the sort column. */
  rows(): FunctionRow[] {
    const { base, sec } = this.window();
    const rows = this.targets.map((name, i): FunctionRow => {
      const a = this.fns.get(name);
      const calls = this.calls.get(name) ?? 0;
      return {
        name,
        calls,
        rate: base && sec > 0 ? (calls - (base.calls[i] ?? 0)) / sec : 0,
        events: a?.events ?? 0,
        errors: a?.errors ?? 0,
        avgNs: a && a.latCount ? a.latSum / a.latCount : undefined,
        p99Ns: a?.p99(),
      };
    });
    const key = this.sort;
    const num = (r: FunctionRow): number => {
      const v = key === "rate" ? r.rate : key === "events" ? r.events : key === "errors" ? r.errors : key === "avg" ? r.avgNs : r.p99Ns;
      return v ?? -1;
    };
    return rows.sort((a, b) => (key === "name" ? a.name.localeCompare(b.name) : num(b) - num(a) || a.name.localeCompare(b.name)));
  }

  /** The function selected in the table (the histogram's subject). */
  selectedFunction(): string | undefined {
    const rows = this.rows();
    return rows[Math.min(this.fnIndex, rows.length - 1)]?.name;
  }

  private matches(e: TraceEvent): boolean {
    return compactEvent(e, this.startNs).toLowerCase().includes(this.filter.toLowerCase()) || e.comm.toLowerCase().includes(this.filter.toLowerCase());
  }

  /** Events that pass the text filter, newest first (the held list while the event pane has the focus). */
  visibleEvents(limit = MAX_EVENTS): TraceEvent[] {
    const out: TraceEvent[] = [];
    const events = this.held ?? this.events;
    for (let i = events.length - 1; i >= 0 && out.length < limit; i--) {
      const e = events[i]!;
      if (!this.filter || this.matches(e)) out.push(e);
    }
    return out;
  }

  /** Histogram sources of the selected function: latency, then its integer values. */
  histSources(): string[] {
    const f = this.selectedFunction();
    const a = f === undefined ? undefined : this.fns.get(f);
    return ["latency", ...(a ? [...a.values.keys()] : [])];
  }

  /** The histogram of the selected function and source. */
  histogram(): { func: string | undefined; source: string; hist: Log2Hist | undefined } {
    const func = this.selectedFunction();
    const a = func === undefined ? undefined : this.fns.get(func);
    const source = this.histSource;
    return { func, source, hist: a ? (source === "latency" ? a.latency : a.values.get(source)) : undefined };
  }

  /** Applies a key; returns what the driver must do. */
  handleKey(input: string, key: KeyInfo): Effect {
    const effect = this.reduceKey(input, key);
    this.syncHold();
    return effect;
  }

  private reduceKey(input: string, key: KeyInfo): Effect {
    if (key.ctrl && input === "c") return { type: "quit" };
    if (this.help) {
      this.help = false;
      return { type: "none" };
    }
    if (this.filterEditing) return this.filterKey(input, key);
    if (this.pane === "prompt") return this.promptKey(input, key);
    if (key.tab) return this.cyclePane(key.shift ? -1 : 1);
    if (key.escape) {
      this.expanded = undefined;
      return { type: "none" };
    }
    if (key.upArrow || input === "k") return this.move(-1);
    if (key.downArrow || input === "j") return this.move(1);
    if (key.pageUp) return this.move(-10);
    if (key.pageDown) return this.move(10);
    if (key.return) return this.enter();
    switch (input) {
      case "q":
        return { type: "quit" };
      case "?":
        this.help = true;
        return { type: "none" };
      case " ":
        this.paused = !this.paused;
        return { type: "pause", paused: this.paused };
      case "/":
        this.filterEditing = true;
        return { type: "none" };
      case "s":
        this.sort = SORT_KEYS[(SORT_KEYS.indexOf(this.sort) + 1) % SORT_KEYS.length]!;
        return { type: "none" };
      case "v": {
        const sources = this.histSources();
        this.histSource = sources[(sources.indexOf(this.histSource) + 1) % sources.length] ?? "latency";
        return { type: "none" };
      }
      case "w":
        return { type: "workload" };
      case ":":
        this.pane = "prompt";
        return { type: "none" };
    }
    return { type: "none" };
  }

  private cyclePane(d: number): Effect {
    this.pane = PANES[(PANES.indexOf(this.pane) + d + PANES.length) % PANES.length]!;
    return { type: "none" };
  }

  private move(d: number): Effect {
    if (this.pane === "functions") this.fnIndex = Math.max(0, Math.min(this.targets.length - 1, this.fnIndex + d));
    else if (this.pane === "events") {
      const events = this.visibleEvents();
      this.eventIndex = Math.max(0, Math.min(events.length - 1, this.eventIndex + d));
      // The detail follows the cursor.
      this.expanded = events[this.eventIndex];
      this.detailScroll = 0;
    } else if (this.pane === "detail") this.detailScroll = Math.max(0, this.detailScroll + d);
    if (this.pane === "functions") this.histSource = "latency";
    return { type: "none" };
  }

  private enter(): Effect {
    if (this.pane === "events") {
      this.expanded = this.visibleEvents()[this.eventIndex];
      this.detailScroll = 0;
    } else if (this.pane === "functions") {
      this.pane = "detail";
      this.expanded = undefined;
    }
    return { type: "none" };
  }

  private filterKey(input: string, key: KeyInfo): Effect {
    if (key.return || key.escape || key.tab) {
      this.filterEditing = false;
      if (key.escape) this.filter = "";
    } else if (key.backspace || key.delete) this.filter = this.filter.slice(0, -1);
    else if (input && !key.ctrl && !key.upArrow && !key.downArrow) this.filter += input;
    this.eventIndex = 0;
    if (this.pane === "events") this.expanded = this.visibleEvents()[0];
    return { type: "none" };
  }

  private promptKey(input: string, key: KeyInfo): Effect {
    // Tab moves on only from an empty line: a half-typed spec keeps the focus.
    if (key.tab) return this.prompt ? { type: "none" } : this.cyclePane(key.shift ? -1 : 1);
    if (key.escape) {
      // Cancel: the typed text goes (the history keeps what was attached).
      this.clearPrompt();
      this.pane = "functions";
      return { type: "none" };
    }
    if (key.ctrl && input === "u") {
      this.clearPrompt();
      return { type: "none" };
    }
    if (key.return) {
      if (!this.prompt.trim()) return { type: "none" };
      return { type: "attach", text: this.prompt };
    }
    if (key.upArrow || key.downArrow) {
      if (!this.history.length) return { type: "none" };
      const last = this.history.length - 1;
      let pos = this.historyPos === undefined ? (key.upArrow ? last : undefined) : this.historyPos + (key.upArrow ? -1 : 1);
      if (pos !== undefined && pos < 0) pos = 0;
      if (pos !== undefined && pos > last) pos = undefined;
      this.historyPos = pos;
      this.prompt = pos === undefined ? "" : this.history[pos]!;
      return { type: "validate", text: this.prompt };
    }
    if (key.backspace || key.delete) this.prompt = this.prompt.slice(0, -1);
    else if (input && !key.ctrl && !key.meta && !/[\x00-\x1f\x7f]/.test(input)) this.prompt += input;
    else return { type: "none" };
    this.historyPos = undefined;
    return { type: "validate", text: this.prompt };
  }

  private clearPrompt(): void {
    this.prompt = "";
    this.promptStatus = { kind: "empty", message: "" };
    this.historyPos = undefined;
  }

  /** Records an attached spec line in the history (no duplicates in a row). */
  remember(text: string): void {
    if (this.history[this.history.length - 1] !== text) this.history.push(text);
    this.historyPos = undefined;
  }
}

/**
 * What a prompt line asks for: its specs (with offsets into the line) are
 * added to the attached ones, or, when the line starts with `=`, replace
 * them (a spec never starts with `=`).
 */
export function promptSpecs(text: string): { replace: boolean; specs: { text: string; offset: number }[] } {
  const lead = text.length - text.trimStart().length;
  if (text[lead] !== "=") return { replace: false, specs: splitSpecs(text) };
  const body = lead + 1;
  return { replace: true, specs: splitSpecs(text.slice(body)).map((p) => ({ text: p.text, offset: p.offset + body })) };
}

/** Splits the prompt into specs at `;` outside string literals, with each one's offset. */
export function splitSpecs(text: string): { text: string; offset: number }[] {
  const out: { text: string; offset: number }[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i <= text.length; i++) {
    const c = text[i];
    if (c === "\\" && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === undefined || (c === ";" && !quoted)) {
      const part = text.slice(start, i);
      const lead = part.length - part.trimStart().length;
      if (part.trim()) out.push({ text: part.trim(), offset: start + lead });
      start = i + 1;
    }
  }
  return out;
}

/** A wall clock in ms and one-shot timers (real ones in the CLI, fakes in tests). */
export interface TuiClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export const realClock: TuiClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
};

/** Calls `fire` at most once per `intervalMs`; a request inside the interval fires at its end. */
export class RedrawThrottle {
  private last = -Infinity;
  private timer: unknown;
  fired = 0;

  constructor(
    private readonly clock: TuiClock,
    private readonly intervalMs: number,
    private readonly fire: () => void,
  ) {}

  request(): void {
    if (this.timer !== undefined) return;
    const wait = this.last + this.intervalMs - this.clock.now();
    if (wait <= 0) this.now();
    else this.timer = this.clock.setTimeout(() => this.now(), wait);
  }

  /** Fires now (keys: input is never delayed). */
  now(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.last = this.clock.now();
    this.fired++;
    this.fire();
  }

  cancel(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
