// Runs the TUI's trace: the machine's workload in small steps on a timer
// (each tick a time slice of them, so keys never wait long), the session
// polled after each chunk and its events fed to the model, and
// redraws requested through a throttle (30/s at most) so a busy trace never
// floods the terminal. Keys go to the model's reducer; the driver carries
// out the effects: pause, change workload, validate the prompt as typed,
// attach the prompt's specs in addition to the attached ones (or instead,
// after `=`) by re-attaching (close the old session, open a new one with
// all of them: TraceSession.open writes the table in one batch), quit
// (detach, return the summary). The clock is injected, so tests step it by
// hand and frames are deterministic.
import type { Btf } from "../../btf/btf.js";
import { parseBtf } from "../../btf/index.js";
import type { Machine } from "../../syscall/machine.js";
import { parseSpec } from "../../probe-spec/parse.js";
import { resolveSpec, type KernelFunctionEntry } from "../../probe-spec/resolve.js";
import { STEPS_PER_POLL } from "../../tracer/run.js";
import { TraceSession } from "../../tracer/session.js";
import { StackFilter } from "../../tracer/stack-filter.js";
import { RATE_WINDOW_MS, RedrawThrottle, TuiModel, promptSpecs, realClock, type Effect, type KeyInfo, type PromptStatus, type TuiClock } from "./model.js";

export interface TuiDriverOptions {
  machine: Machine;
  /** Specs to attach at start (may be empty: the prompt is focused). */
  specs: readonly string[];
  workload: string;
  /** Ring buffer pages. */
  pages?: number;
  /** The header's kernel description. */
  kernelLabel?: string;
  /** The kernel's BTF when the caller has it parsed (--btf); else it is parsed from the machine's. */
  btf?: Btf;
  clock?: TuiClock;
  /** Workload steps per tick (default STEPS_PER_POLL). */
  stepsPerTick?: number;
  /** Wall-clock ms between ticks (default 10). */
  tickMs?: number;
  /**
   * Wall-clock ms of tracing per tick (default 6): a tick runs chunks of
   * `stepsPerTick` steps until this much time has passed, then yields to
   * keys and redraws. So a busy trace takes most of the CPU, and a key
   * waits at most about one slice plus a redraw.
   */
  sliceMs?: number;
  /** Minimum ms between redraws (default 33: at most 30 redraws/s). */
  redrawMs?: number;
  /** Stack mode (trace -s): only calls inside the chain of the specs, in order. */
  stack?: boolean;
  /** Where values are rendered (trace --render): user space (default) or the program (bpf_snprintf_btf). */
  render?: "kernel" | "user";
}

/** What quitting reports. */
export interface TuiSummary {
  lines: string[];
  delivered: number;
  filtered: number;
  lost: number;
  linksLeft: number;
  fdsLeft: number;
}

export class TuiDriver {
  readonly model = new TuiModel();
  /** Bumped on every redraw (what the React tree subscribes to). */
  version = 0;
  private session: TraceSession | undefined;
  private stackFilter: StackFilter | undefined;
  /** The last closed session (its links must be 0 after close). */
  private last: TraceSession | undefined;
  private btfCache: Btf | undefined;
  private functions: readonly KernelFunctionEntry[] | undefined;
  private baseline = new Map<string, number>();
  private readonly listeners = new Set<() => void>();
  private readonly quitListeners = new Set<() => void>();
  private readonly throttle: RedrawThrottle;
  private readonly clock: TuiClock;
  private interval: unknown;
  private closed = false;
  private summaryCache: TuiSummary | undefined;
  /** Totals of sessions already closed (re-attach), for the summary. */
  private done = { delivered: 0, filtered: 0, lost: 0 };
  private readonly startNs: bigint;
  /** Wall-clock ms of the last pause. */
  private pausedAtMs = 0;
  steps = 0;

  constructor(private readonly o: TuiDriverOptions) {
    this.clock = o.clock ?? realClock;
    this.throttle = new RedrawThrottle(this.clock, o.redrawMs ?? 33, () => this.redraw());
    const m = this.model;
    m.kernel = o.kernelLabel ?? "synthetic";
    m.workload = o.workload;
    this.startNs = o.machine.nowNs();
    m.startNs = this.startNs;
    m.reset([], [], this.startNs, this.clock.now());
    if (!o.specs.length) m.pane = "prompt";
  }

  /** Attaches the initial specs; throws the session's error (the CLI reports it before the UI starts). */
  open(): void {
    if (!this.o.specs.length) return;
    this.openSession(this.o.specs);
    const line = this.o.specs.join("; ");
    this.model.remember(line);
  }

  /** The kernel's BTF (parsed once; sessions reuse it, the detail pane renders with it). */
  get btf(): Btf {
    return this.kernelBtf();
  }

  private kernelBtf(): Btf {
    return (this.btfCache ??= this.o.btf ?? parseBtf(this.o.machine.bpf.btfBytes()));
  }

  private kallsyms(): readonly KernelFunctionEntry[] {
    return (this.functions ??= this.o.machine.bpf.kallsyms());
  }

  private openSession(specs: readonly string[]): void {
    const m = this.o.machine;
    const s = TraceSession.open(m.bpf, {
      specs,
      btf: this.kernelBtf(),
      ...(this.o.pages !== undefined ? { pages: this.o.pages } : {}),
      ...(this.o.stack ? { stack: true } : {}),
      ...(this.o.render !== undefined ? { render: this.o.render } : {}),
    });
    this.session = s;
    // Stack mode: the same per-task chain filter as `trace -s`, fresh for each set of specs.
    this.stackFilter = s.stackChain ? new StackFilter(s.stackChain) : undefined;
    this.baseline = new Map(s.targets.map((t) => [t.name, m.callCount(t.name)]));
    this.model.reset(specs, s.targets.map((t) => t.name), m.nowNs(), this.clock.now());
    this.model.links = s.attachedLinks;
    this.model.message = `attached ${s.targets.length} function${s.targets.length === 1 ? "" : "s"} (${s.attachedLinks} links)`;
  }

  private closeSession(): void {
    const s = this.session;
    if (!s) return;
    this.refreshStats();
    const c = this.model.counters;
    this.done.delivered += c.delivered;
    this.done.filtered += c.filtered;
    this.done.lost += c.lost;
    s.close();
    this.last = s;
    this.session = undefined;
  }

  /**
   * Parses and resolves the prompt's specs; the status the prompt shows.
   * They are added to the attached specs (a function may be traced by one
   * spec only: one already traced is an error with a hint), or with a
   * leading `=` replace them.
   */
  validate(text: string): PromptStatus {
    const { replace, specs: parts } = promptSpecs(text);
    if (!parts.length) return { kind: replace ? "error" : "empty", message: replace ? "= needs specs to attach instead of the attached ones" : "" };
    const names: string[] = [];
    const traced = new Set(replace ? [] : this.model.targets);
    for (const p of parts) {
      try {
        const plan = resolveSpec(parseSpec(p.text), { btf: this.kernelBtf(), functions: this.kallsyms() });
        for (const t of plan.targets) {
          if (traced.has(t.name)) {
            return {
              kind: "error",
              message: `${t.name} is already traced (attached: ${this.model.specs.join("; ")})`,
              span: { start: p.offset, end: p.offset + p.text.length },
              hint: "start the line with = to replace the attached specs, or merge them into one spec",
            };
          }
          names.push(t.name);
        }
      } catch (e) {
        const err = e as Error & { span?: { start: number; end: number }; hint?: string };
        return {
          kind: "error",
          message: err.message,
          ...(err.span ? { span: { start: err.span.start + p.offset, end: err.span.end + p.offset } } : {}),
          ...(err.hint !== undefined ? { hint: err.hint } : {}),
        };
      }
    }
    const shown = names.slice(0, 4).join(", ") + (names.length > 4 ? ", …" : "");
    const what = `${names.length} function${names.length === 1 ? "" : "s"}: ${shown}`;
    return { kind: "ok", message: replace ? `instead: ${what} (enter attaches)` : `adds ${what} (enter attaches)` };
  }

  /** Attaches the prompt's specs (added to the attached ones, or replacing them after `=`) without restarting; false (and the error in the prompt) when they do not resolve. */
  attach(text: string): boolean {
    const status = this.validate(text);
    this.model.promptStatus = status;
    if (status.kind !== "ok") return false;
    const { replace, specs: parts } = promptSpecs(text);
    const previous = this.session ? [...this.model.specs] : [];
    const specs = [...(replace ? [] : previous), ...parts.map((p) => p.text)];
    this.closeSession();
    try {
      this.openSession(specs);
    } catch (e) {
      const err = e as Error & { hint?: string };
      this.model.promptStatus = { kind: "error", message: err.message, ...(err.hint !== undefined ? { hint: err.hint } : {}) };
      if (previous.length) this.openSession(previous);
      return false;
    }
    this.model.remember(text);
    this.model.prompt = "";
    this.model.promptStatus = { kind: "empty", message: "" };
    this.model.pane = "functions";
    return true;
  }

  /** The session's targets (tests: re-attach changes them). */
  get targets(): readonly string[] {
    return this.session?.targets.map((t) => t.name) ?? [];
  }

  /** One tick: run the workload a little, drain the ring buffer, feed the model, request a redraw. */
  step(): void {
    if (this.closed) return;
    if (this.model.paused) {
      // Paused: the rates fall to 0 as the window passes, so redraw until it has.
      if (this.clock.now() - this.pausedAtMs <= RATE_WINDOW_MS + 200) this.throttle.request();
      return;
    }
    const m = this.o.machine;
    this.steps += m.run(this.model.workload, this.o.stepsPerTick ?? STEPS_PER_POLL);
    const polled = this.session?.poll() ?? [];
    this.model.ingest(this.stackFilter ? this.stackFilter.process(polled) : polled);
    this.model.nowNs = m.nowNs();
    this.throttle.request();
  }

  /** Runs `n` ticks (tests). */
  tick(n = 1): void {
    for (let i = 0; i < n; i++) this.step();
  }

  private refreshStats(): void {
    const s = this.session;
    if (!s) return;
    const m = this.o.machine;
    const calls = new Map(s.targets.map((t) => [t.name, m.callCount(t.name) - (this.baseline.get(t.name) ?? 0)]));
    this.model.setStats(s.stats(), calls, s.attachedLinks, this.clock.now());
  }

  private redraw(): void {
    this.refreshStats();
    this.version++;
    for (const l of this.listeners) l();
  }

  /** Redraws now (tests, and after keys). */
  redrawNow(): void {
    this.throttle.now();
  }

  /** How many redraws happened. */
  get redraws(): number {
    return this.throttle.fired;
  }

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  };

  getVersion = (): number => this.version;

  /** Called once when the user quits (q, Ctrl-C). */
  onQuit(fn: () => void): () => void {
    this.quitListeners.add(fn);
    return () => void this.quitListeners.delete(fn);
  }

  /** A key from the terminal: the model's reducer, then its effect. */
  key(input: string, key: KeyInfo): void {
    if (this.closed) return;
    // ink hands over a chunk of plain characters (fast typing, a paste, `\t\tv`) as one input: one key each.
    const chars = [...input];
    if (chars.length > 1 && !key.ctrl) {
      for (const c of chars) {
        if (this.closed) return;
        if (c === "\t") this.key("", { tab: true });
        else if (c === "\r" || c === "\n") this.key("", { return: true });
        else if (c === "\x7f" || c === "\b") this.key("", { backspace: true });
        else this.key(c, {});
      }
      return;
    }
    const effect: Effect = this.model.handleKey(input, key);
    switch (effect.type) {
      case "quit":
        for (const l of [...this.quitListeners]) l();
        return;
      case "workload": {
        const ws = this.o.machine.workloads;
        this.model.workload = ws[(ws.indexOf(this.model.workload) + 1) % ws.length] ?? this.model.workload;
        this.model.message = `workload: ${this.model.workload}`;
        break;
      }
      case "validate":
        this.model.promptStatus = this.validate(effect.text);
        break;
      case "attach":
        this.attach(effect.text);
        break;
      case "pause":
        this.model.message = effect.paused ? "paused" : "resumed";
        this.pausedAtMs = this.clock.now();
        break;
      case "none":
        break;
    }
    this.throttle.now();
  }

  /** Ticks on the clock until stop() or quit(). */
  start(): void {
    if (this.interval !== undefined || this.closed) return;
    this.interval = this.clock.setInterval(() => this.slice(), this.o.tickMs ?? 10);
  }

  /** One tick of the timer: steps until the slice is used up (at most 256 chunks, so a stopped clock cannot spin). */
  private slice(): void {
    const t0 = this.clock.now();
    const sliceMs = this.o.sliceMs ?? 6;
    for (let i = 0; i < 256; i++) {
      this.step();
      if (this.closed || this.model.paused || this.clock.now() - t0 >= sliceMs) return;
    }
  }

  stop(): void {
    if (this.interval !== undefined) this.clock.clearInterval(this.interval);
    this.interval = undefined;
    this.throttle.cancel();
  }

  /** Stops, drains, detaches everything; the summary (idempotent). */
  quit(): TuiSummary {
    if (this.summaryCache) return this.summaryCache;
    this.stop();
    this.closed = true;
    if (this.session) {
      const polled = this.session.poll();
      this.model.ingest(this.stackFilter ? this.stackFilter.process(polled) : polled);
    }
    this.closeSession();
    const linksLeft = this.last?.attachedLinks ?? 0;
    const fdsLeft = this.o.machine.bpf.openFds().length;
    const ms = Number((this.o.machine.nowNs() - this.startNs) / 1000n) / 1000;
    const d = this.done;
    const lines = [
      `btfsnoop: ${d.delivered} events in ${ms} ms of simulated time; ${d.filtered} filtered, ${d.lost} lost`,
      `btfsnoop: detached; ${linksLeft} links and ${fdsLeft} fds left open`,
    ];
    this.summaryCache = { lines, delivered: d.delivered, filtered: d.filtered, lost: d.lost, linksLeft, fdsLeft };
    return this.summaryCache;
  }
}
