// Trampolines: every traced function gets one, holding the fentry, fexit
// and fmod_ret programs attached to it (at most 38, as on x86) and one hook
// in the kernel's function table: its current image, replaced by a new one
// on every attach or detach (a call in progress keeps the image it entered
// with, as in the kernel). On each call the trampoline fills the program
// context (the kernel's `u64 ctx[]`: the arguments, then the return value
// for fexit and fmod_ret) and points the helpers' call info (ip, BTF id,
// argument count, cookie; built per attachment) at each program's. Programs do not
// nest: a call reached while a program runs is a recursion miss, counted
// per program (see run-guard.ts). Per event nothing is allocated: the
// context is filled through a BigUint64Array and programs run through
// their runCtx entry (r0 in int32 halves).
import type { CallFrame, FunctionHook, FunctionTable, HookChange, KernelFunction } from "../kernel-model/functions.js";
import type { RunOptions, RunResult } from "../vm/interpreter.js";
import { RegionKind, type AddressSpace, type Region } from "../vm/memory.js";
import { RunGuard } from "./run-guard.js";

/** Most programs on one trampoline (BPF_MAX_TRAMP_LINKS on x86-64). */
export const MAX_TRAMP_PROGS = 38;
/** Most arguments a traced function may have (MAX_BPF_FUNC_ARGS). */
export const MAX_FUNC_ARGS = 12;

export type TracingKind = "fentry" | "fexit" | "fmod_ret";

/** A loaded program as the trampoline runs it. */
export interface TracingProgram {
  readonly id: number;
  run(options?: RunOptions): RunResult;
  /**
   * The per-event entry, when the program has one (ProgObject does): runs on
   * `ctx` without allocating and returns true when the run completed (false:
   * it faulted); r0 of a completed run is then in r0lo/r0hi. Attach points
   * call it instead of run() when present.
   */
  runCtx?(ctx: Region): boolean;
  /** r0 of the last completed runCtx() as int32 halves (low, high). */
  readonly r0lo?: number;
  readonly r0hi?: number;
}

/** What an attach point calls per event: a TracingProgram's runCtx, r0lo and r0hi. */
export interface CtxRunner {
  runCtx(ctx: Region): boolean;
  readonly r0lo: number;
  readonly r0hi: number;
}

/**
 * `prog` as a CtxRunner: itself when it has runCtx, else an adapter over
 * run() (one options object and result per run: programs made outside the
 * syscall layer, e.g. by tests).
 */
export function ctxRunner(prog: TracingProgram): CtxRunner {
  if (prog.runCtx !== undefined) return prog as CtxRunner;
  const opts: { ctx?: Region } = {};
  const out = {
    r0lo: 0,
    r0hi: 0,
    runCtx(ctx: Region): boolean {
      opts.ctx = ctx;
      const r = prog.run(opts);
      opts.ctx = undefined;
      if (r.fault) return false;
      out.r0lo = Number(r.r0 & 0xffffffffn) | 0;
      out.r0hi = Number((r.r0 >> 32n) & 0xffffffffn) | 0;
      return true;
    },
  };
  return out;
}

/** What the get_func_* helpers know about the call whose context a program is running on. */
export interface CallInfo {
  readonly ip: bigint;
  readonly btfId: number;
  readonly nargs: number;
  readonly cookie: bigint;
  /** Whether the return value slot is valid (fexit, fmod_ret). */
  readonly hasRet: boolean;
}

/**
 * Where the call info of a context region is: the attach point points
 * `current` at the info of the attachment it runs (built once per
 * attachment, so a run costs one store, not one per field).
 */
export interface CallInfoCell {
  current: CallInfo;
}

/** The info of no call (before any run). */
export const NO_CALL_INFO: CallInfo = Object.freeze({ ip: 0n, btfId: 0, nargs: 0, cookie: 0n, hasRet: false });

const infoCells = new WeakMap<Region, CallInfoCell>();

/** The call info of the program running (or that last ran) on `ctx`, for the helpers; undefined for other contexts. */
export function callInfoOf(ctx: Region): CallInfo | undefined {
  return infoCells.get(ctx)?.current;
}

/** Makes `cell` where `ctx`'s call info is read from. */
export function bindCallInfo(ctx: Region, cell: CallInfoCell): void {
  infoCells.set(ctx, cell);
}

interface Attached {
  prog: TracingProgram;
  /** How the dispatch runs it (the program itself when it has runCtx). */
  runner: CtxRunner;
  kind: TracingKind;
  /** What the helpers see while it runs: the target, its cookie, whether the return slot is valid. */
  info: CallInfo;
  /** The program's stats entry (shared by all its attachments). */
  stats: ProgStats;
}

/** Per program: runs, recursion misses (the kernel's prog stats). */
export interface ProgStats {
  runs: number;
  recursionMisses: number;
  faults: number;
}

/**
 * A trampoline image: the hook a trampoline publishes for the programs
 * attached at one moment, as the kernel generates one image per change
 * (bpf_trampoline_update) and swaps it in atomically. Its program lists
 * never change: a call that entered with it runs its fexit phase with the
 * programs it had, whatever is attached or detached meanwhile. Only the
 * phases with programs are set (a function traced by fentry alone does not
 * pay for fexit and fmod_ret calls); they read the lists through `this`.
 */
interface TrampolineImage extends FunctionHook {
  readonly fentry: readonly Attached[];
  readonly fexit: readonly Attached[];
  readonly fmodRet: readonly Attached[];
  /** The phases copy the arguments into the context and keep no frame. */
  readonly keepsFrame: false;
}

/** A trampoline's phase functions, called as methods of its current image. */
interface Phases {
  entry(this: TrampolineImage, c: CallFrame): void;
  modifyReturn(this: TrampolineImage, c: CallFrame): bigint | undefined;
  exit(this: TrampolineImage, c: CallFrame, ret: bigint): void;
}

/** The shared empty program list. */
const NONE: readonly Attached[] = Object.freeze([]);

class Trampoline {
  readonly progs: Attached[] = [];
  /** The image published now (undefined before the first). */
  image: TrampolineImage | undefined;
  private readonly phases: Phases;
  constructor(
    readonly fn: KernelFunction,
    makePhases: (t: Trampoline) => Phases,
  ) {
    this.phases = makePhases(this);
  }

  /** A new image of the programs in `progs` (one pass, no array for an absent kind: batches of 50k targets build one per target). */
  nextImage(): TrampolineImage {
    let fentry: Attached[] | undefined;
    let fexit: Attached[] | undefined;
    let fmodRet: Attached[] | undefined;
    for (const a of this.progs) {
      if (a.kind === "fentry") (fentry ??= []).push(a);
      else if (a.kind === "fexit") (fexit ??= []).push(a);
      else (fmodRet ??= []).push(a);
    }
    const p = this.phases;
    return {
      fentry: fentry ?? NONE,
      fexit: fexit ?? NONE,
      fmodRet: fmodRet ?? NONE,
      entry: fentry ? p.entry : undefined,
      modifyReturn: fmodRet ? p.modifyReturn : undefined,
      exit: fexit ? p.exit : undefined,
      keepsFrame: false,
    };
  }
}

export class TrampolineManager {
  private readonly tramps = new Map<bigint, Trampoline>();
  readonly stats = new Map<number, ProgStats>();
  /** Batched updates applied (one per attach or detach request, whatever its size). */
  updates = 0;
  /**
   * The program context (`u64 ctx[]`, read-only for programs) and the call
   * info the helpers read. One for all trampolines: programs run one at a
   * time and finish before the traced body continues, so it is refilled per run.
   */
  private readonly ctx: Region;
  /** The context's u64 slots (little-endian host: the kernel's byte order). */
  private readonly ctxSlots: BigUint64Array;
  private readonly info: CallInfoCell = { current: NO_CALL_INFO };

  constructor(
    private readonly functions: Pick<FunctionTable, "replaceBatch">,
    mem: AddressSpace,
    private readonly guard = new RunGuard(),
  ) {
    const bytes = new Uint8Array((MAX_FUNC_ARGS + 1) * 8);
    this.ctx = mem.map(RegionKind.CTX, bytes, { writable: false, label: "trampoline ctx" });
    this.ctxSlots = new BigUint64Array(bytes.buffer);
    bindCallInfo(this.ctx, this.info);
  }

  /** Why `fn` cannot be traced, or undefined. */
  static whyNotTraceable(fn: KernelFunction): string | undefined {
    if (fn.btfId === undefined) return "no BTF";
    if (fn.nargs > MAX_FUNC_ARGS) return `${fn.nargs} arguments, more than ${MAX_FUNC_ARGS}`;
    return undefined;
  }

  /**
   * Attaches `prog` to every target in one update (all or nothing). Returns a
   * detach function (one update too), or the reason per failing target.
   */
  attach(prog: TracingProgram, kind: TracingKind, targets: readonly KernelFunction[], cookies?: readonly bigint[]): (() => void) | { errno: number; message: string } {
    if (!targets.length) return { errno: -22, message: "no targets" };
    const problems: string[] = [];
    for (const fn of targets) {
      const why = TrampolineManager.whyNotTraceable(fn);
      if (why) problems.push(`${fn.name}: ${why}`);
      else if (kind === "fmod_ret" && !fn.errorInjectable) problems.push(`${fn.name}: not an error-injection target (fmod_ret)`);
      else if ((this.tramps.get(fn.address)?.progs.length ?? 0) >= MAX_TRAMP_PROGS) problems.push(`${fn.name}: ${MAX_TRAMP_PROGS} programs already attached`);
    }
    if (new Set(targets.map((t) => t.address)).size !== targets.length) problems.push("a function is listed twice");
    if (problems.length) return { errno: problems.some((p) => p.includes("already attached")) ? -7 : -22, message: `cannot attach ${kind} to ${problems.length} of ${targets.length} targets: ${problems.join("; ")}` };
    let stats = this.stats.get(prog.id);
    if (!stats) this.stats.set(prog.id, (stats = { runs: 0, recursionMisses: 0, faults: 0 }));
    const runner = ctxRunner(prog);
    const entries: [Trampoline, Attached][] = targets.map((fn, i) => {
      let t = this.tramps.get(fn.address);
      if (!t) {
        t = new Trampoline(fn, (tr) => this.phasesFor(tr));
        this.tramps.set(fn.address, t);
      }
      const info: CallInfo = { ip: fn.address, btfId: fn.btfId ?? 0, nargs: fn.nargs, cookie: cookies?.[i] ?? 0n, hasRet: kind !== "fentry" };
      return [t, { prog, runner, kind, info, stats }];
    });
    for (const [t, a] of entries) t.progs.push(a);
    // One update swaps in every target's new image (a new trampoline's is added): calls in progress keep theirs.
    this.functions.replaceBatch(entries.map(([t]) => this.swap(t)));
    this.updates++;
    let detached = false;
    return () => {
      if (detached) return;
      detached = true;
      const changes: HookChange[] = [];
      for (const [t, a] of entries) {
        const i = t.progs.indexOf(a);
        if (i >= 0) t.progs.splice(i, 1);
        if (t.progs.length) changes.push(this.swap(t));
        else {
          // Left without programs: unhooked (shared trampolines get a new image instead).
          if (this.tramps.get(t.fn.address) === t) this.tramps.delete(t.fn.address);
          changes.push({ fn: t.fn, remove: t.image });
          t.image = undefined;
        }
      }
      this.functions.replaceBatch(changes);
      this.updates++;
    };
  }

  /** The change replacing `t`'s published image by one of its programs now. */
  private swap(t: Trampoline): HookChange {
    const prev = t.image;
    t.image = t.nextImage();
    return { fn: t.fn, remove: prev, add: t.image };
  }

  /** Functions with a trampoline right now. */
  attachedCount(): number {
    return this.tramps.size;
  }

  private phasesFor(t: Trampoline): Phases {
    const info = this.info;
    const ctx = this.ctx;
    const slots = this.ctxSlots;
    const guard = this.guard;
    const nargs = t.fn.nargs;
    /**
     * Sets the arguments once per phase (not per program:
     * programs cannot write the context, and a run nested in one is a
     * recursion miss that fills nothing), through a BigUint64Array, which
     * stores a BigInt without the DataView's conversion call and wraps a
     * negative one to its u64. False (nothing filled) while a program runs.
     */
    const enter = (progs: readonly Attached[], args: readonly bigint[]): boolean => {
      // The run guard, inline: this is the dispatch path of every traced call.
      if (guard.depth > 0) {
        for (let i = 0; i < progs.length; i++) progs[i]!.stats.recursionMisses++;
        return false;
      }
      for (let i = 0; i < nargs; i++) slots[i] = args[i] ?? 0n;
      return true;
    };
    // Written out per phase (no shared loop taking the kind) so each stays small for V8 to inline into the call path.
    // Methods of the image (its lists through `this`): the image a call entered with is the one it runs.
    const entry = function (this: TrampolineImage, c: CallFrame): void {
      const progs = this.fentry;
      if (!enter(progs, c.args)) return;
      guard.depth++;
      try {
        for (let i = 0; i < progs.length; i++) {
          const a = progs[i]!;
          info.current = a.info;
          const ok = a.runner.runCtx(ctx);
          a.stats.runs++;
          if (!ok) a.stats.faults++;
        }
      } finally {
        guard.depth--;
      }
    };
    const exit = function (this: TrampolineImage, c: CallFrame, ret: bigint): void {
      const progs = this.fexit;
      if (!enter(progs, c.args)) return;
      slots[nargs] = ret;
      guard.depth++;
      try {
        for (let i = 0; i < progs.length; i++) {
          const a = progs[i]!;
          info.current = a.info;
          const ok = a.runner.runCtx(ctx);
          a.stats.runs++;
          if (!ok) a.stats.faults++;
        }
      } finally {
        guard.depth--;
      }
    };
    // fmod_ret: the programs run in attach order, each seeing 0 in the return slot; the first non-zero r0
    // replaces the function's result, skips its body and the remaining fmod_ret programs (x86's
    // invoke_bpf_mod_ret: `if (*(u64 *)(rbp - 8) != 0) goto do_fexit;` after each program).
    const modifyReturn = function (this: TrampolineImage, c: CallFrame): bigint | undefined {
      const progs = this.fmodRet;
      if (!enter(progs, c.args)) return undefined;
      slots[nargs] = 0n;
      let out: bigint | undefined;
      guard.depth++;
      try {
        for (let i = 0; i < progs.length; i++) {
          const a = progs[i]!;
          info.current = a.info;
          const r = a.runner;
          const ok = r.runCtx(ctx);
          a.stats.runs++;
          if (!ok) a.stats.faults++;
          else if ((r.r0lo | r.r0hi) !== 0) {
            out = u64Of(r.r0lo, r.r0hi);
            break;
          }
        }
      } finally {
        guard.depth--;
      }
      return out;
    };
    // Set on an image only when their kind has programs (Trampoline.nextImage).
    return { entry, modifyReturn, exit };
  }
}

/** The u64 whose int32 halves are lo, hi. */
function u64Of(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}
