// The eBPF interpreter: runs a loaded program with exact RFC 9669 (v4)
// semantics on (hi, lo) register halves. It is safe on its own: every load
// and store is checked against the AddressSpace, calls are bounded to 8
// frames of 512-byte stacks, and a budget caps executed instructions. A fault
// stops only that run: it is counted and returned, never thrown to the caller.
// This module is the entry: loading (loaded-program.ts decodes), run() and
// runCtx(), and the glue to the JIT (src/vm/jit); the loop itself is
// exec-loop.ts (with exec-generic.ts for rare encodings), calls out of a
// program are calls.ts.
import type { Program } from "./isa/instruction.js";
import { fromBig, toBigU } from "./alu64.js";
import type { KernelEnv } from "./env.js";
import { VmFault, type FaultKind } from "./errors.js";
import type { HelperImpl } from "./helpers/abi.js";
import { RegionKind, type AddressSpace, type Region } from "./memory.js";
import { compileProgram } from "./jit/compile.js";
import { CODE_ADDRESS_HI, HELPER_TAIL_CALL, MAX_CALL_FRAMES, MAX_TAIL_CALL_CNT, STACK_SIZE } from "./limits.js";
import { jitOf, JitRuntime, type JitHost, type JitProgram } from "./jit/runtime.js";
import { loadProgram, type LoadedProgram, type PseudoResolver } from "./loaded-program.js";
import { Machine } from "./exec-loop.js";
import { primeExecLoop } from "./exec-warmup.js";
import { Calls } from "./calls.js";

export { HELPER_TAIL_CALL, MAX_CALL_FRAMES, MAX_TAIL_CALL_CNT, STACK_SIZE };
/** Default budget of executed instructions per run. */
export const DEFAULT_BUDGET = 1_000_000;
export { CODE_ADDRESS_HI };

export type { LoadedProgram, PseudoResolver, TailCallTable } from "./loaded-program.js";

export interface InterpreterOptions {
  mem: AddressSpace;
  env: KernelEnv;
  /** The helper implementation for an id, if any. */
  helper: (id: number) => HelperImpl | undefined;
  /** Finds a map object by address (for helpers and tail calls). */
  mapAt?: (addr: bigint) => unknown;
  /** Compile loaded programs to JavaScript and run them compiled (default true); false runs the reference interpreter loop. */
  jit?: boolean;
}

export interface LoadOptions {
  /** Compile this program (default: the interpreter's `jit`). run() uses the compiled code while `jit` is on. */
  jit?: boolean;
  /** Budget of a run that names none (default DEFAULT_BUDGET): verified programs get a far larger one. */
  budget?: number;
  /** Slots of stores into kernel memory (a socket filter's converted __sk_buff->cb[] stores): written through KernelEnv.writeKernel. */
  kernelStores?: readonly number[];
}

export interface RunOptions {
  /** Region of the context; r1 points at its start unless `args` says otherwise. */
  ctx?: Region;
  /** Initial r1..r5 (u64). */
  args?: readonly bigint[];
  /** Executed-instruction budget for this run. */
  budget?: number;
}

export interface RunResult {
  /** r0 at exit (u64), 0 after a fault. */
  r0: bigint;
  /** Instructions executed. */
  executed: number;
  /** Why the run stopped early, if it did. */
  fault?: VmFault;
}

export interface InterpreterStats {
  runs: number;
  executed: number;
  faults: Record<FaultKind, number>;
}

export class Interpreter {
  readonly stats: InterpreterStats = { runs: 0, executed: 0, faults: { memory: 0, budget: 0, call: 0, stack: 0, helper: 0 } };
  private readonly mem: AddressSpace;
  private readonly env: KernelEnv;
  private readonly helper: (id: number) => HelperImpl | undefined;
  private readonly mapAt: (addr: bigint) => unknown;
  private readonly frames: Region[] = [];
  /** The loop's state (budget, tail calls, ctx, register files) and the calls out of programs. */
  private readonly m: Machine;
  private readonly tmp = new Int32Array(2);
  /**
   * Whether load() compiles programs and run() runs them compiled (InterpreterOptions.jit).
   * May be changed at any time: false makes run() use the reference interpreter loop.
   */
  jit: boolean;
  private jitRuntime: JitRuntime | undefined;

  constructor(options: InterpreterOptions) {
    this.mem = options.mem;
    this.env = options.env;
    this.helper = options.helper;
    this.mapAt = options.mapAt ?? (() => undefined);
    // BTFSNOOP_JIT=0 makes the interpreter the default everywhere (npm test runs the program-running suites both ways).
    this.jit = options.jit ?? (typeof process === "undefined" || process.env.BTFSNOOP_JIT !== "0");
    for (let i = 0; i < MAX_CALL_FRAMES; i++) {
      this.frames.push(this.mem.map(RegionKind.STACK, new Uint8Array(STACK_SIZE), { label: `stack frame ${i}` }));
    }
    this.m = new Machine(this.mem, this.env, this.frames);
    this.m.calls = new Calls(this.m, this.mem, this.env, (id) => this.helper(id), (addr) => this.mapAt(addr));
  }

  /** Flattens a decoded program and resolves its lddw values. Throws InsnError for unresolvable pseudo loads. */
  load(program: Program, name = "prog", resolve?: PseudoResolver, probeMem: readonly number[] = [], options: LoadOptions = {}): LoadedProgram {
    const lp = loadProgram(program, name, resolve, { probeMem, ...(options.kernelStores ? { kernelStores: options.kernelStores } : {}) });
    if (options.budget !== undefined) lp.budget = options.budget;
    if (options.jit ?? this.jit) {
      const t0 = performance.now();
      try {
        lp.jitted = compileProgram(lp);
      } catch (e) {
        lp.jitError = (e as Error).message;
      }
      lp.jitTimeMs = performance.now() - t0;
    }
    return lp;
  }

  /** The JIT's view of this interpreter (frames, memory, helpers, the interpreter fallback). */
  private jitHost(): JitRuntime {
    if (this.jitRuntime) return this.jitRuntime;
    const self = this;
    const uncompiled = new WeakMap<LoadedProgram, JitProgram>();
    const host: JitHost = {
      mem: this.mem,
      env: this.env,
      helper: (id) => self.helper(id),
      mapAt: (addr) => self.mapAt(addr),
      frames: this.frames,
      execLimited(rt, lp, pc, depth, lo, hi, budget): never {
        const m = self.m;
        primeExecLoop();
        // The loop's region cache may hold a region of an earlier run, since unmapped.
        m.drop();
        m.budgetLeft = budget;
        try {
          m.exec(lp, pc, depth, lo, hi, true);
        } catch (e) {
          rt.b = m.budgetLeft;
          throw e;
        }
        throw new Error(`jit: block at slot ${pc} of ${lp.name} finished within a budget that could not cover it`);
      },
      execInterpreted(rt, lp, depth, lo, hi): void {
        const m = self.m;
        primeExecLoop();
        m.drop();
        m.budgetLeft = rt.b;
        m.tailCalls = rt.tailCalls;
        try {
          m.exec(lp, 0, depth, lo, hi, true);
        } finally {
          rt.b = m.budgetLeft;
          rt.tailCalls = m.tailCalls;
        }
      },
      compile(lp, extraEntries) {
        if (extraEntries?.length) return compileProgram(lp, extraEntries);
        // A tail call into a program loaded without the JIT: compiled for this runtime only (lp stays uncompiled).
        let j = uncompiled.get(lp);
        if (!j) uncompiled.set(lp, (j = compileProgram(lp)));
        return j;
      },
    };
    return (this.jitRuntime = new JitRuntime(host));
  }

  /** Runs a compiled program from slot 0 in frame 0 with r1..r5; r0 in rt.rl/rt.rh, budgetLeft from rt.b (run() also takes it when this throws). */
  private callCompiled(
    jitted: JitProgram, rt: JitRuntime, budget: number, ctx: Region | undefined,
    l1: number, h1: number, l2: number, h2: number, l3: number, h3: number, l4: number, h4: number, l5: number, h5: number,
  ): void {
    rt.b = budget;
    rt.tailCalls = 0;
    rt.ctx = ctx;
    rt.drop();
    const f = this.frames[0]!;
    jitted.fn(rt, 0, 0, l1, h1, l2, h2, l3, h3, l4, h4, l5, h5, (f.lo + STACK_SIZE) | 0, f.hi | 0);
    this.m.budgetLeft = rt.b;
  }

  /** r0 of the last runCtx() as int32 halves (0 after a fault). */
  r0lo = 0;
  r0hi = 0;
  /** Instructions the last runCtx() executed. */
  lastExecuted = 0;
  /** Why the last runCtx() stopped early, if it did. */
  lastFault: VmFault | undefined = undefined;

  /**
   * Runs `lp` from its first instruction with r1 = the address of `ctx` (0 if
   * none) and r2..r5 = 0: the trampolines' path, allocation- and BigInt-free.
   * Returns true when the run completed, false when it faulted; the outcome is
   * in r0lo/r0hi, lastExecuted and lastFault. Counted in `stats` as run() is.
   */
  runCtx(lp: LoadedProgram, ctx: Region | undefined, budget?: number): boolean {
    return this.start(lp, ctx, budget ?? lp.budget ?? DEFAULT_BUDGET, undefined);
  }

  /**
   * Runs `lp` from its first instruction. Never throws for program misbehaviour: faults are returned and counted.
   * Built on the same entry as runCtx(); only `args` (BigInt r1..r5) and the result object cost more.
   */
  run(lp: LoadedProgram, options: RunOptions = {}): RunResult {
    const ok = this.start(lp, options.ctx, options.budget ?? lp.budget ?? DEFAULT_BUDGET, options.args);
    if (ok) return { r0: toBigU(this.r0lo, this.r0hi), executed: this.lastExecuted };
    return { r0: 0n, executed: this.lastExecuted, fault: this.lastFault! };
  }

  /** One run: sets r0lo/r0hi, lastExecuted, lastFault and the stats; true when it completed. Rethrows non-VmFault errors. */
  private start(lp: LoadedProgram, ctx: Region | undefined, budget: number, args: readonly bigint[] | undefined): boolean {
    return this.m.runLevel === 0 ? this.runOnce(lp, ctx, budget, args) : this.startNested(lp, ctx, budget, args);
  }

  /** start() without keeping an outer run's state (the outermost run has none). */
  private runOnce(lp: LoadedProgram, ctx: Region | undefined, budget: number, args: readonly bigint[] | undefined): boolean {
    const m = this.m;
    m.budgetLeft = budget;
    m.tailCalls = 0;
    m.ctxRegion = ctx;
    this.stats.runs++;
    const jitted = this.jit ? jitOf(lp) : undefined;
    const rt = jitted ? this.jitHost() : undefined;
    m.runLevel++;
    let ok = true;
    try {
      if (jitted && rt && !args) {
        // The common case (a context pointer in r1): no register file at all.
        this.callCompiled(jitted, rt, budget, ctx, ctx ? ctx.lo | 0 : 0, ctx ? ctx.hi | 0 : 0, 0, 0, 0, 0, 0, 0, 0, 0);
        this.r0lo = rt.rl;
        this.r0hi = rt.rh;
      } else {
        // Registers of frame 0 at this nesting level (a run is only ever nested by a helper that runs another program).
        const outermost = m.runLevel === 1;
        const lo = outermost ? m.lo0 : m.regsLo(0);
        const hi = outermost ? m.hi0 : m.regsHi(0);
        if (outermost) m.clear0();
        else clearRegs(lo, hi);
        if (ctx) {
          lo[1] = ctx.lo;
          hi[1] = ctx.hi;
        }
        if (args) {
          for (let i = 0; i < args.length; i++) {
            fromBig(this.tmp, args[i]!);
            lo[i + 1] = this.tmp[0]!;
            hi[i + 1] = this.tmp[1]!;
          }
        }
        if (jitted && rt) {
          this.callCompiled(jitted, rt, budget, ctx, lo[1]!, hi[1]!, lo[2]!, hi[2]!, lo[3]!, hi[3]!, lo[4]!, hi[4]!, lo[5]!, hi[5]!);
          this.r0lo = rt.rl;
          this.r0hi = rt.rh;
        } else {
          primeExecLoop();
          m.drop();
          m.exec(lp, 0, 0, lo, hi, false);
          this.r0lo = lo[0]!;
          this.r0hi = hi[0]!;
        }
      }
      this.lastFault = undefined;
    } catch (e) {
      if (rt) m.budgetLeft = rt.b;
      if (!(e instanceof VmFault)) {
        this.endRun(rt);
        throw e;
      }
      ok = false;
      this.r0lo = 0;
      this.r0hi = 0;
      this.lastFault = e;
      this.stats.faults[e.kind]++;
    }
    const executed = budget - m.budgetLeft;
    this.stats.executed += executed;
    this.lastExecuted = executed;
    this.endRun(rt);
    return ok;
  }

  private endRun(rt: JitRuntime | undefined): void {
    const m = this.m;
    m.ctxRegion = undefined;
    m.runLevel--;
    if (rt) {
      rt.ctx = undefined;
      rt.drop();
    }
  }

  /** A run a helper of another run started: the outer run's budget, tail-call count and context are kept around it. */
  private startNested(lp: LoadedProgram, ctx: Region | undefined, budget: number, args: readonly bigint[] | undefined): boolean {
    const m = this.m;
    const outerBudget = m.budgetLeft;
    const outerTailCalls = m.tailCalls;
    const outerCtx = m.ctxRegion;
    // A compiled outer run keeps its budget and tail calls in the JIT's runtime across the helper call.
    const rt = this.jitRuntime;
    const outerRtBudget = rt ? rt.b : 0;
    const outerRtTailCalls = rt ? rt.tailCalls : 0;
    let ok: boolean;
    try {
      ok = this.runOnce(lp, ctx, budget, args);
    } finally {
      m.budgetLeft = outerBudget;
      m.tailCalls = outerTailCalls;
      m.ctxRegion = outerCtx;
      if (rt) {
        rt.b = outerRtBudget;
        rt.tailCalls = outerRtTailCalls;
        rt.ctx = outerCtx;
      }
    }
    return ok;
  }
}

/** Zeroes a register file (REG_FILE_SIZE slots; unrolled: the loop cost ~16 ns, more than the 2-instruction run it started). */
function clearRegs(lo: Int32Array, hi: Int32Array): void {
  lo[0] = 0; lo[1] = 0; lo[2] = 0; lo[3] = 0; lo[4] = 0; lo[5] = 0; lo[6] = 0; lo[7] = 0; lo[8] = 0; lo[9] = 0; lo[10] = 0; lo[11] = 0;
  hi[0] = 0; hi[1] = 0; hi[2] = 0; hi[3] = 0; hi[4] = 0; hi[5] = 0; hi[6] = 0; hi[7] = 0; hi[8] = 0; hi[9] = 0; hi[10] = 0; hi[11] = 0;
}
