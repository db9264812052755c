// The tracer session (user space, library API): probe specs in, events
// out. It resolves the specs against the kernel's BTF and kallsyms (both
// read through bpf(2)), creates the maps, loads the generic entry and
// return programs, writes the per-target table in one batch, attaches one
// fentry.multi and one fexit.multi link, then turns ring-buffer records
// into TraceEvents. close() detaches and closes everything it opened,
// whatever state it is in. Only the syscall-like Bpf API is used.
import { alwaysEmits, wantsPhase, type PhaseMode } from "./phases.js";
import type { Btf } from "../btf/btf.js";
import { parseBtf } from "../btf/index.js";
import { castTargetsOf, encodeEntry, postfix, usesDataLoc } from "../codegen/target-table.js";
import { AggKey, BUF_SIZE, Counter, ENTRY_SIZE, Rec } from "../codegen/layout.js";
import { generateProgram, type AggregateKeys, type ProgramMaps } from "../codegen/program.js";
import { cellKeys, readKernelStack, type CellKeys } from "./aggregate-key.js";
import { BtfsnoopError } from "../internal/errors.js";
import type { Bpf } from "../syscall/bpf.js";
import { parseSpec } from "../probe-spec/parse.js";
import type { ProbePlan, TargetPlan } from "../probe-spec/plan.js";
import { resolveSpec, type TracepointEntry } from "../probe-spec/resolve.js";
import type { Mechanism } from "../probe-spec/ast.js";
import { encodeProgram } from "../vm/isa/encode.js";
import type { Instruction } from "../vm/isa/instruction.js";
import { decodeRecord } from "./decode.js";
import type { TraceEvent } from "./event.js";

const BPF_MAP_TYPE_HASH = 1;
const BPF_MAP_TYPE_ARRAY = 2;
const BPF_MAP_TYPE_PERCPU_ARRAY = 6;
const BPF_MAP_TYPE_STACK_TRACE = 7;
const BPF_MAP_TYPE_LRU_HASH = 9;
const BPF_MAP_TYPE_RINGBUF = 27;
const PAGE_SIZE = 4096;
/** Calls (task, function) whose entry can be stashed at once (ksnoop has MAX_TASKS tasks). */
const MAX_STASHED_CALLS = 2048;
/** Cells of the aggregation maps. */
const AGG_ENTRIES = 16384;
/** Frames kept per kernel stack (the kernel's perf_event_max_stack default). */
const STACK_DEPTH = 127;

export interface SessionOptions {
  /** Probe specs, as typed. */
  specs: readonly string[];
  /** Render values in the program with bpf_snprintf_btf ("kernel") or copy raw bytes ("user", default). */
  render?: "kernel" | "user";
  /** Only events of this thread id. */
  pid?: number;
  /** Ring buffer size in pages (a power of two; default 16). */
  pages?: number;
  /** A BTF to resolve against instead of the kernel's (must describe the same kernel). */
  btf?: Btf;
  /** Stack mode (ksnoop -s): the specs, in order, are a call chain; one function each. */
  stack?: boolean;
  /** Mechanism for specs without a `kprobe:`/`fentry:` prefix (default fentry). */
  attach?: "fentry" | "kprobe";
  /** Record every entry and every return of every target, values or not (call trees need both ends). */
  everyCall?: boolean;
  /**
   * Run the programs JIT-compiled (true) or interpreted (false). Default: the
   * kernel's (JIT on unless BTFSNOOP_JIT=0), as for any program load.
   * Programs over the JIT's size limit run interpreted either way.
   */
  jit?: boolean;
  /**
   * Aggregate the first value of each event in kernel maps instead of
   * emitting records (count, hist, lhist; latency: spec 1 starts, spec 2 ends).
   */
  aggregate?: { kind: "count" | "log2" | "linear" | "latency"; byValue?: boolean; min?: bigint; step?: bigint; buckets?: number; slotNs?: bigint; keys?: AggregateKeyOptions };
}

/** count --by keys beyond the first value: as the program's AggregateKeys, the stack map made by the session. */
export type AggregateKeyOptions = Omit<AggregateKeys, "stackMap" | "locationMap"> & { kstack?: boolean; location?: boolean };

/**
 * One aggregation cell: the target, the key value or bucket (`a`), the
 * heatmap slot (`b`), the count; then the count --by keys (aggregate-key.ts;
 * zero when not asked for): the second value, tgid, tid, cpu, the kernel
 * stack id (negative: bpf_get_stackid's error), comm, the call site's id.
 */
export interface AggregateCell extends CellKeys {
  target: string;
  a: bigint;
  b: number;
  count: number;
}

/** x86-64 passes six arguments in registers: what a kprobe's pt_regs holds. */
const KPROBE_MAX_ARGS = 6;

/** Per-target counters, as the programs counted them. */
export interface TargetCounts {
  emitted: number;
  filtered: number;
  lost: number;
  stashMiss: number;
  stashed: number;
  stashFull: number;
}

export interface SessionStats {
  /** Events decoded so far (delivered to the caller). */
  delivered: number;
  /** Records that could not be decoded (never expected; counted, not hidden). */
  malformed: number;
  perTarget: Map<string, TargetCounts & { delivered: number }>;
  /** Calls of functions with no table entry (should be 0). */
  noEntry: number;
  /** Records the ring buffer had no room for (its own drop count). */
  ringDrops: number;
}

/** A loaded program: name, instructions, verifier log stats, the JIT's output. */
export interface SessionProgram {
  name: string;
  insns: Instruction[];
  verifierStats: string;
  fd: number;
  /** The generated JavaScript when the JIT compiled it (prog dump --jited), and how long that took. */
  jitSource?: string;
  jitTimeMs?: number;
  /** Why the JIT left the program to the interpreter (e.g. over its size limit), when it did. */
  jitError?: string;
}

/** The plans, programs and table a session would use, without attaching (prog dump). */
export interface SessionBuild {
  plans: ProbePlan[];
  targets: TargetPlan[];
  castTargets: number[];
  render: "kernel" | "user";
  /** Stack mode: the chain's function names, outermost first. */
  stackChain: string[] | undefined;
  aggregate: SessionOptions["aggregate"];
  everyCall: boolean;
  /** What decides the phases attached, the records per call and the ALWAYS flag (phases.ts). */
  phaseMode: PhaseMode;
  /** undefined: the kernel's default. */
  jit: boolean | undefined;
  /** The mechanism of each target (same order as targets). */
  mechanisms: Mechanism[];
  program(phase: "entry" | "return", maps: ProgramMaps, mechanism?: Mechanism, tableKey?: bigint): Instruction[];
  entries: Uint8Array[];
}

/** Parses, resolves and prepares (pure: no kernel objects are created). */
export function buildSession(
  btf: Btf,
  functions: readonly { name: string; address: bigint; btfId?: number }[],
  options: SessionOptions,
  tracepoints: readonly TracepointEntry[] = [],
): SessionBuild {
  if (!options.specs.length) throw new BtfsnoopError("EINVAL", "no probe spec given", { hint: 'try: btfsnoop "ip_send_skb(skb->sk)"' });
  const plans = options.specs.map((s) => resolveSpec(parseSpec(s), { btf, functions, tracepoints }));
  const targets: TargetPlan[] = [];
  const mechanisms: Mechanism[] = [];
  const seen = new Map<string, string>();
  for (const p of plans) {
    const mech: Mechanism = p.spec.mechanism ?? options.attach ?? "fentry";
    if (options.stack && (mech === "tracepoint" || mech === "raw_tp")) throw new BtfsnoopError("EINVAL", `stack mode: '${p.spec.text}' is a tracepoint; a chain is made of functions`);
    for (const t of p.targets) {
      if (mech === "kprobe") {
        const far = t.values.find((v) => v.source === "arg" && v.argIndex >= KPROBE_MAX_ARGS);
        if (far) throw new BtfsnoopError("EINVAL", `${p.spec.text}: '${far.name}' is argument ${far.argIndex + 1} of ${t.name}; a kprobe sees only the ${KPROBE_MAX_ARGS} passed in registers`, { hint: "use fentry, which sees all 12" });
      }
      mechanisms.push(mech);
      const other = seen.get(t.name);
      if (other !== undefined) throw new BtfsnoopError("EINVAL", `${t.name} is traced by two specs ('${other}' and '${p.spec.text}')`, { hint: "merge them into one spec" });
      seen.set(t.name, p.spec.text);
      targets.push(t);
    }
  }
  // An aggregation keyed by values of both phases (count --by size,retval) stashes the entry's for the return.
  if (options.aggregate) {
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i]!;
      if (!t.stash && t.values.some((v) => v.when === "entry") && t.values.some((v) => v.when === "return")) targets[i] = { ...t, stash: true };
    }
  }
  if ((options.stack || options.everyCall) && targets.some((t) => t.stash)) {
    const t = targets.find((x) => x.stash)!;
    throw new BtfsnoopError("EINVAL", `${t.name}: a predicate over entry values and return (stash mode) cannot be combined with ${options.stack ? "stack mode" : "--tree"}`, {
      hint: "filter on entry values only, or on return only",
    });
  }
  let stackChain: string[] | undefined;
  if (options.stack) {
    if (plans.length < 2) throw new BtfsnoopError("EINVAL", "stack mode needs a chain of at least two functions", { hint: "btfsnoop -s udp_sendmsg ip_send_skb" });
    for (const p of plans) {
      if (p.targets.length !== 1) throw new BtfsnoopError("EINVAL", `stack mode: '${p.spec.text}' names ${p.targets.length} functions; each spec of the chain must name one`);
    }
    stackChain = targets.map((t) => t.name);
  }
  const castTargets = castTargetsOf(targets);
  const dataLoc = usesDataLoc(targets);
  // The programs unroll only as far as the targets need.
  // A loop, not Math.max(...list): a glob over a real vmlinux has ~56k targets,
  // more arguments than a call can take.
  const shape = { values: 0, hops: 0, predSteps: 0 };
  for (const t of targets) {
    if (t.values.length > shape.values) shape.values = t.values.length;
    for (const v of t.values) if (v.hops.length > shape.hops) shape.hops = v.hops.length;
    const steps = t.predicate ? postfix(t.predicate).length : 0;
    if (steps > shape.predSteps) shape.predSteps = steps;
  }
  const render = options.render ?? "user";
  let roles: ("start" | "end" | undefined)[] = targets.map(() => undefined);
  if (options.aggregate?.kind === "latency") {
    if (plans.length !== 2) throw new BtfsnoopError("EINVAL", `latency needs a START and an END spec, got ${plans.length}`);
    roles = plans.flatMap((p, i) => p.targets.map((): "start" | "end" => (i === 0 ? "start" : "end")));
  }
  const phaseMode: PhaseMode = { everyPhase: stackChain !== undefined || options.everyCall === true, aggregate: options.aggregate !== undefined };
  const entries = targets.map((t, i) =>
    encodeEntry(t, i, { castTargets, renderKernel: render === "kernel", always: alwaysEmits(t, phaseMode), ...(roles[i] ? { role: roles[i] } : {}) }),
  );
  return {
    plans,
    targets,
    castTargets,
    render,
    stackChain,
    aggregate: options.aggregate,
    everyCall: options.everyCall === true,
    phaseMode,
    jit: options.jit,
    mechanisms,
    entries,
    program: (phase, maps, mechanism = "fentry", tableKey) =>
      generateProgram({
        phase,
        mechanism,
        maps,
        castTargets,
        shape,
        ...(dataLoc ? { dataLoc } : {}),
        ...(tableKey !== undefined ? { tableKey } : {}),
        ...(options.aggregate && maps.agg !== undefined ? { aggregate: { ...options.aggregate, aggMap: maps.agg, ...(maps.starts !== undefined ? { startsMap: maps.starts } : {}), ...(options.aggregate.keys ? { keys: { ...options.aggregate.keys, ...(maps.stacks !== undefined ? { stackMap: maps.stacks } : {}), ...(maps.locations !== undefined ? { locationMap: maps.locations } : {}) } } : {}) } } : {}), renderKernel: render === "kernel", ...(options.pid !== undefined ? { pid: options.pid } : {}) }),
  };
}

export class TraceSession {
  readonly plans: readonly ProbePlan[];
  /** Every traced target; a record's FUNC_INDEX indexes this list. */
  readonly targets: readonly TargetPlan[];
  readonly btf: Btf;
  readonly programs: SessionProgram[] = [];
  /** Stack mode: the chain (the driver filters events with a StackFilter). */
  readonly stackChain: readonly string[] | undefined;
  /** Every entry and return is recorded (call trees). */
  readonly everyCall: boolean;
  /** What decides the phases attached per target and the records per call (phases.ts). */
  readonly phaseMode: PhaseMode;
  private readonly fds: number[] = [];
  private readonly links: number[] = [];
  private maps!: ProgramMaps;
  private closed = false;
  private readonly delivered: number[];
  private malformed = 0;

  private constructor(
    private readonly bpf: Bpf,
    build: SessionBuild,
    btf: Btf,
  ) {
    this.plans = build.plans;
    this.targets = build.targets;
    this.btf = btf;
    this.stackChain = build.stackChain;
    this.everyCall = build.everyCall;
    this.phaseMode = build.phaseMode;
    this.delivered = build.targets.map(() => 0);
  }

  /** Resolves, loads and attaches; on any failure everything opened so far is closed and the error thrown. */
  static open(bpf: Bpf, options: SessionOptions): TraceSession {
    const btf = options.btf ?? parseBtf(bpf.btfBytes());
    const functions = bpf.kallsyms();
    const build = buildSession(btf, functions, options, bpf.tracepoints());
    const s = new TraceSession(bpf, build, btf);
    try {
      s.load(build, options.pages ?? 16, bpf.tracepoints());
    } catch (e) {
      s.close();
      throw e;
    }
    return s;
  }

  private check(rc: number, what: string): number {
    if (rc < 0) throw new BtfsnoopError("EINVAL", `${what} failed (${rc}): ${this.bpf.lastError}`);
    return rc;
  }

  private map(type: number, keySize: number, valueSize: number, maxEntries: number, name: string): number {
    const fd = this.check(this.bpf.mapCreate({ type, keySize, valueSize, maxEntries, name }), `creating map ${name}`);
    this.fds.push(fd);
    return fd;
  }

  private load(build: SessionBuild, pages: number, tracepoints: readonly TracepointEntry[]): void {
    if (!Number.isInteger(pages) || pages < 1 || (pages & (pages - 1)) !== 0) {
      throw new BtfsnoopError("EINVAL", `ring buffer of ${pages} pages: must be a power of two`, { hint: "try -P 16" });
    }
    const n = this.targets.length;
    this.maps = {
      targets: this.map(BPF_MAP_TYPE_HASH, 8, ENTRY_SIZE, n, "btfsnoop_funcs"),
      scratch: this.map(BPF_MAP_TYPE_PERCPU_ARRAY, 4, BUF_SIZE, 1, "btfsnoop_buf"),
      // LRU: the stash of a call whose return never comes (its task died) is evicted, not kept until the map fills.
      stash: this.map(BPF_MAP_TYPE_LRU_HASH, 8, BUF_SIZE, MAX_STASHED_CALLS, "btfsnoop_stash"),
      events: this.map(BPF_MAP_TYPE_RINGBUF, 0, 0, pages * PAGE_SIZE, "btfsnoop_events"),
      counters: this.map(BPF_MAP_TYPE_ARRAY, 4, 8, (n + 1) * Counter.COUNT, "btfsnoop_counts"),
    };
    if (build.aggregate) {
      this.maps.agg = this.map(BPF_MAP_TYPE_HASH, AggKey.SIZEOF, 8, AGG_ENTRIES, "btfsnoop_agg");
      // LRU, as for the stash: starts whose end never comes age out instead of filling the map.
      if (build.aggregate.kind === "latency") this.maps.starts = this.map(BPF_MAP_TYPE_LRU_HASH, 8, 8, AGG_ENTRIES, "btfsnoop_starts");
      if (build.aggregate.keys?.kstack) this.maps.stacks = this.map(BPF_MAP_TYPE_STACK_TRACE, 4, STACK_DEPTH * 8, AGG_ENTRIES, "btfsnoop_stacks");
      if (build.aggregate.keys?.location) this.maps.locations = this.map(BPF_MAP_TYPE_STACK_TRACE, 4, 8, AGG_ENTRIES, "btfsnoop_locs");
    }
    // The per-target table, in one batch.
    const keys = this.targets.map((t) => {
      const k = new Uint8Array(8);
      new DataView(k.buffer).setBigUint64(0, t.ip, true);
      return k;
    });
    const res = this.bpf.mapUpdateBatch(this.maps.targets, keys, build.entries);
    if (res.err < 0) throw new BtfsnoopError("EINVAL", `writing the target table failed (${res.err}): ${this.bpf.lastError}`);

    for (const [mech, phase] of [["fentry", "entry"], ["fentry", "return"], ["kprobe", "entry"], ["kprobe", "return"]] as const) {
      const targets = this.targets.filter((t, i) => build.mechanisms[i] === mech && wantsPhase(t, phase, this.phaseMode));
      if (!targets.length) continue;
      const insns = build.program(phase, this.maps, mech);
      const name = mech === "fentry" ? (phase === "entry" ? "btfsnoop_entry" : "btfsnoop_exit") : phase === "entry" ? "btfsnoop_kprobe" : "btfsnoop_kretp";
      const progType = mech === "fentry" ? "tracing" : "kprobe";
      const loaded = this.bpf.progLoad({ progType, insns: encodeProgram(insns), license: "GPL", name, nargs: 12, ...(build.jit !== undefined ? { jit: build.jit } : {}) });
      if (typeof loaded === "number") {
        throw new BtfsnoopError("EINVAL", `the generated ${phase} program was rejected by the verifier (${loaded}): ${this.bpf.lastError}`, {
          hint: "this is a btfsnoop bug; `btfsnoop prog dump` shows the program",
        });
      }
      this.fds.push(loaded.fd);
      this.programs.push(this.describe(name, insns, loaded.fd));
      const attachType = mech === "fentry" ? (phase === "entry" ? "fentry.multi" : "fexit.multi") : phase === "entry" ? "kprobe.multi" : "kretprobe.multi";
      const link = this.bpf.linkCreate(loaded.fd, attachType, { names: targets.map((t) => t.name) });
      this.links.push(this.check(link, `attaching ${name} to ${targets.length} functions`));
    }
    // Tracepoints and raw tracepoints: one program per event (its table key a constant), one link each.
    this.targets.forEach((t, i) => {
      const mech = build.mechanisms[i]!;
      if (mech !== "tracepoint" && mech !== "raw_tp") return;
      const insns = build.program("entry", this.maps, mech, t.ip);
      const name = mech === "tracepoint" ? "btfsnoop_tp" : "btfsnoop_raw_tp";
      const tp = tracepoints.find((x) => BigInt(x.id) === (t.ip & ~(1n << 62n)))!;
      const loaded =
        mech === "tracepoint"
          ? this.bpf.progLoad({ progType: "tracepoint", insns: encodeProgram(insns), license: "GPL", name, ctxSize: tp.size, ...(build.jit !== undefined ? { jit: build.jit } : {}) })
          : this.bpf.progLoad({ progType: "raw_tracepoint", insns: encodeProgram(insns), license: "GPL", name, nargs: Math.max(1, tp.proto.length), ...(build.jit !== undefined ? { jit: build.jit } : {}) });
      if (typeof loaded === "number") {
        throw new BtfsnoopError("EINVAL", `the generated ${mech} program for ${t.name} was rejected by the verifier (${loaded}): ${this.bpf.lastError}`, {
          hint: "this is a btfsnoop bug; `btfsnoop prog dump` shows the program",
        });
      }
      this.fds.push(loaded.fd);
      this.programs.push(this.describe(name, insns, loaded.fd));
      const link = this.bpf.linkCreate(loaded.fd, mech, { name: mech === "tracepoint" ? t.name : tp.name });
      this.links.push(this.check(link, `attaching ${name} to ${t.name}`));
    });
  }

  /** Aggregation cells so far (sorted by target, then a, then b); [] without aggregation. */
  aggregates(): AggregateCell[] {
    if (this.closed || this.maps.agg === undefined) return [];
    const out: AggregateCell[] = [];
    let key: Uint8Array | null = null;
    for (;;) {
      const next = this.bpf.mapGetNextKey(this.maps.agg, key);
      if (typeof next === "number") break;
      const v = this.bpf.mapLookupElem(this.maps.agg, next);
      key = next;
      if (typeof v === "number") continue;
      const k = new DataView(next.buffer, next.byteOffset);
      const target = this.targets[k.getUint32(AggKey.FUNC, true)];
      if (!target) continue;
      out.push({ target: target.name, a: k.getBigUint64(AggKey.A, true), b: k.getUint32(AggKey.B, true), count: Number(new DataView(v.buffer, v.byteOffset).getBigUint64(0, true)), ...cellKeys(next) });
    }
    const idx = new Map(this.targets.map((t, i) => [t.name, i]));
    return out.sort((x, y) => idx.get(x.target)! - idx.get(y.target)! || (x.a < y.a ? -1 : x.a > y.a ? 1 : x.b - y.b));
  }

  /** The kernel stack (innermost first) of a cell's stack id; [] when unknown (a negative id, or none kept). */
  kernelStack(id: number): bigint[] {
    if (this.closed || this.maps.stacks === undefined || id < 0) return [];
    return readKernelStack(this.bpf, this.maps.stacks, id);
  }

  /** The call site (return address) of a cell's location id; undefined when unknown (a negative id, or none kept). */
  callSite(id: number): bigint | undefined {
    if (this.closed || this.maps.locations === undefined || id < 0) return undefined;
    return readKernelStack(this.bpf, this.maps.locations, id)[0];
  }

  /** Clears the aggregation map (per-interval output). */
  clearAggregates(): void {
    if (this.closed || this.maps.agg === undefined) return;
    for (;;) {
      const k = this.bpf.mapGetNextKey(this.maps.agg, null);
      if (typeof k === "number") return;
      this.bpf.mapDeleteElem(this.maps.agg, k);
    }
  }

  private describe(name: string, insns: Instruction[], fd: number): SessionProgram {
    const info = this.bpf.progGetInfoByFd(fd);
    const p: SessionProgram = { name, insns, fd, verifierStats: this.bpf.lastLog[this.bpf.lastLog.length - 1] ?? "" };
    if (typeof info !== "number" && info.jitedSource !== undefined) p.jitSource = info.jitedSource;
    if (typeof info !== "number" && info.jitTimeMs !== undefined) p.jitTimeMs = info.jitTimeMs;
    if (typeof info !== "number" && info.jitError !== undefined) p.jitError = info.jitError;
    return p;
  }

  /** Decodes up to `max` records waiting in the ring buffer. */
  poll(max = Infinity): TraceEvent[] {
    if (this.closed) return [];
    const recs = this.bpf.ringbufConsume(this.maps.events, max);
    if (typeof recs === "number") return [];
    const out: TraceEvent[] = [];
    for (const r of recs) {
      try {
        const ev = decodeRecord(r, this.targets);
        out.push(ev);
        const idx = new DataView(r.buffer, r.byteOffset).getUint32(Rec.FUNC_INDEX, true);
        this.delivered[idx]!++;
      } catch {
        this.malformed++;
      }
    }
    return out;
  }

  /** Counters so far. */
  stats(): SessionStats {
    const perTarget = new Map<string, TargetCounts & { delivered: number }>();
    const read = (row: number, idx: number): number => {
      if (this.closed) return 0;
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, row * Counter.COUNT + idx, true);
      const v = this.bpf.mapLookupElem(this.maps.counters, key);
      return typeof v === "number" ? 0 : Number(new DataView(v.buffer, v.byteOffset).getBigUint64(0, true));
    };
    this.targets.forEach((t, i) => {
      perTarget.set(t.name, {
        emitted: read(i + 1, Counter.EMITTED),
        filtered: read(i + 1, Counter.FILTERED),
        lost: read(i + 1, Counter.LOST),
        stashMiss: read(i + 1, Counter.STASH_MISS),
        stashed: read(i + 1, Counter.STASHED),
        stashFull: read(i + 1, Counter.STASH_FULL),
        delivered: this.delivered[i]!,
      });
    });
    const ring = this.closed ? undefined : this.bpf.ringbufStats(this.maps.events);
    return {
      delivered: this.delivered.reduce((a, b) => a + b, 0),
      malformed: this.malformed,
      perTarget,
      noEntry: read(0, Counter.NO_ENTRY),
      ringDrops: ring === undefined || typeof ring === "number" ? 0 : ring.drops,
    };
  }

  /** Links currently attached by this session. */
  get attachedLinks(): number {
    return this.closed ? 0 : this.links.length;
  }

  /** Detaches and closes everything (idempotent). */
  close(): void {
    if (this.closed) return;
    for (const l of this.links) this.bpf.close(l);
    for (const fd of this.fds) this.bpf.close(fd);
    this.closed = true;
  }
}
