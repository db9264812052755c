// The eBPF interpreter: runs a loaded program with exact RFC 9669 (v4)
// semantics on (hi, lo) register halves. It is safe on its own: every load
// and store is checked against the AddressSpace, calls are bounded to 8
// frames of 512-byte stacks, and a budget caps executed instructions. A fault
// stops only that run: it is counted and returned, never thrown to the caller.
import { AtomicOp, Class, CLASS_MASK, JmpOp, LDDW, Mode, OP_MASK, PseudoCall, PseudoLd, SIZE_BYTES, Source } from "./isa/opcodes.js";
import type { Program } from "./isa/instruction.js";
import { bswap16, bswap32, fromBig, mul64, sar64, sdiv32, sdiv64, shl64, shr64, smod32, smod64, toBigU, udiv64, umod64 } from "./alu64.js";
import type { KernelEnv } from "./env.js";
import { atomicRmw } from "./atomic.js";
import { KernelStoreWriter, ProbeMemReader } from "./probe-mem.js";
import { FaultKind, InsnError, VmFault } from "./errors.js";
import { invokeHelper, type HelperImpl, type HelperRuntime } from "./helpers/abi.js";
import { RegionKind, type AddressSpace, type Region } from "./memory.js";
import { compileProgram } from "./jit/compile.js";
import { HELPER_TAIL_CALL, MAX_CALL_FRAMES, MAX_TAIL_CALL_CNT, STACK_SIZE } from "./limits.js";
import { jitOf, JitRuntime, type JitHost, type JitProgram } from "./jit/runtime.js";
import { REG_FILE_SIZE, type LoadedProgram, type PseudoResolver, type TailCallTable } from "./loaded-program.js";

export { HELPER_TAIL_CALL, MAX_CALL_FRAMES, MAX_TAIL_CALL_CNT, STACK_SIZE };
/** Default budget of executed instructions per run. */
export const DEFAULT_BUDGET = 1_000_000;
/** `hi` of the addresses lddw gives subprograms (src 4, for bpf_loop callbacks); `lo` is the slot. */
export const CODE_ADDRESS_HI = 0xffffffa0 | 0;

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

const TWO32 = 4294967296;

export class Interpreter {
  readonly stats: InterpreterStats = { runs: 0, executed: 0, faults: { memory: 0, budget: 0, call: 0, stack: 0, helper: 0 } };
  private readonly mem: AddressSpace;
  private readonly env: KernelEnv;
  private readonly helper: (id: number) => HelperImpl | undefined;
  private readonly mapAt: (addr: bigint) => unknown;
  private readonly frames: Region[] = [];
  private budgetLeft = 0;
  private tailCalls = 0;
  private ctxRegion: Region | undefined;
  private readonly tmp = new Int32Array(2);
  /** Register files (lo, hi) per run nesting level, and the current level. */
  private readonly regPool: [Int32Array, Int32Array][] = [];
  private runLevel = 0;
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
  }

  /** Flattens a decoded program and resolves its lddw values. Throws InsnError for unresolvable pseudo loads. */
  load(program: Program, name = "prog", resolve?: PseudoResolver, probeMem: readonly number[] = [], options: LoadOptions = {}): LoadedProgram {
    const slots = program.slotOf[program.insns.length]!;
    const lp: LoadedProgram = {
      name,
      program,
      slots,
      op: new Uint8Array(slots),
      dst: new Uint8Array(slots),
      src: new Uint8Array(slots),
      off: new Int16Array(slots),
      imm: new Int32Array(slots),
      ldLo: new Int32Array(slots),
      ldHi: new Int32Array(slots),
      probe: new Uint8Array(slots),
    };
    for (const s of probeMem) if (s >= 0 && s < slots) lp.probe[s] = 1;
    for (const s of options.kernelStores ?? []) if (s >= 0 && s < slots) lp.probe[s] = 2;
    program.insns.forEach((insn, i) => {
      const s = program.slotOf[i]!;
      lp.op[s] = insn.opcode;
      lp.dst[s] = insn.dst;
      lp.src[s] = insn.src;
      lp.off[s] = insn.off;
      lp.imm[s] = insn.imm;
      if (insn.opcode !== LDDW) return;
      let value: bigint;
      if (insn.src === PseudoLd.IMM64) value = (BigInt((insn.imm2 ?? 0) >>> 0) << 32n) | BigInt(insn.imm >>> 0);
      else if (insn.src === PseudoLd.FUNC) value = (BigInt(CODE_ADDRESS_HI >>> 0) << 32n) | BigInt(s + insn.imm + 1);
      else if (resolve) value = resolve(insn.src, insn.imm, insn.imm2 ?? 0, s);
      else throw new InsnError(`lddw with src ${insn.src} needs a loader that knows maps`, s);
      const u = BigInt.asUintN(64, value);
      lp.ldLo[s] = Number(u & 0xffffffffn) | 0;
      lp.ldHi[s] = Number(u >> 32n) | 0;
    });
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
        self.budgetLeft = budget;
        try {
          self.exec(lp, pc, depth, lo, hi, true);
        } catch (e) {
          rt.b = self.budgetLeft;
          throw e;
        }
        throw new Error(`jit: block at slot ${pc} of ${lp.name} finished within a budget that could not cover it`);
      },
      execInterpreted(rt, lp, depth, lo, hi): void {
        self.budgetLeft = rt.b;
        self.tailCalls = rt.tailCalls;
        try {
          self.exec(lp, 0, depth, lo, hi, true);
        } finally {
          rt.b = self.budgetLeft;
          rt.tailCalls = self.tailCalls;
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
    this.budgetLeft = rt.b;
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
    this.budgetLeft = budget;
    this.tailCalls = 0;
    const outerCtx = this.ctxRegion;
    this.ctxRegion = ctx;
    this.stats.runs++;
    const jitted = this.jit ? jitOf(lp) : undefined;
    const rt = jitted ? this.jitHost() : undefined;
    // Registers for arguments or the interpreter, reused per nesting level
    // (a run is only ever nested by a helper that runs another program).
    const level = this.runLevel++;
    let ok = true;
    try {
      if (jitted && rt && !args) {
        // The common case (a context pointer in r1): no register file at all.
        this.callCompiled(jitted, rt, budget, ctx, ctx ? ctx.lo | 0 : 0, ctx ? ctx.hi | 0 : 0, 0, 0, 0, 0, 0, 0, 0, 0);
        this.r0lo = rt.rl;
        this.r0hi = rt.rh;
      } else {
        const regs = this.regPool[level] ?? (this.regPool[level] = [new Int32Array(REG_FILE_SIZE), new Int32Array(REG_FILE_SIZE)]);
        const lo = regs[0];
        const hi = regs[1];
        // Zeroed by hand: TypedArray.prototype.fill costs more than this on 12 slots.
        for (let i = 0; i < REG_FILE_SIZE; i++) {
          lo[i] = 0;
          hi[i] = 0;
        }
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
          this.exec(lp, 0, 0, lo, hi);
          this.r0lo = lo[0]!;
          this.r0hi = hi[0]!;
        }
      }
      this.lastFault = undefined;
    } catch (e) {
      if (rt) this.budgetLeft = rt.b;
      if (!(e instanceof VmFault)) {
        this.endRun(outerCtx, rt);
        throw e;
      }
      ok = false;
      this.r0lo = 0;
      this.r0hi = 0;
      this.lastFault = e;
      this.stats.faults[e.kind]++;
    }
    const executed = budget - this.budgetLeft;
    this.stats.executed += executed;
    this.lastExecuted = executed;
    this.endRun(outerCtx, rt);
    return ok;
  }

  private endRun(outerCtx: Region | undefined, rt: JitRuntime | undefined): void {
    this.ctxRegion = outerCtx;
    this.runLevel--;
    if (rt) {
      rt.ctx = outerCtx;
      rt.drop();
    }
  }

  /**
   * Executes from slot `pc` in call depth `depth` with registers lo/hi; leaves r0 in lo[0]/hi[0].
   * `keepFp`: r10 is given in lo/hi (the JIT's fallback) instead of set to the frame's top.
   */
  private exec(lp: LoadedProgram, pc: number, depth: number, lo: Int32Array, hi: Int32Array, keepFp = false): void {
    const frame = this.frames[depth]!;
    if (!keepFp) {
      lo[10] = (frame.lo + STACK_SIZE) | 0;
      hi[10] = frame.hi;
    }
    let { op, dst: dsts, src: srcs, off: offs, imm: imms, slots } = lp;
    for (;;) {
      if (pc < 0 || pc >= slots) throw new VmFault(FaultKind.CALL, pc, `jump out of the program (${slots} slots)`, "EINVAL");
      if (--this.budgetLeft < 0) {
        this.budgetLeft = 0;
        throw new VmFault(FaultKind.BUDGET, pc, "instruction budget exhausted", "E2BIG");
      }
      const code = op[pc]!;
      const d = dsts[pc]!;
      const cls = code & CLASS_MASK;
      if (cls === Class.ALU64 || cls === Class.ALU) {
        const s = srcs[pc]!;
        const isX = (code & Source.X) !== 0;
        const bl = isX ? lo[s]! : imms[pc]!;
        const bh = isX ? hi[s]! : imms[pc]! >> 31;
        const aluOp = code & OP_MASK;
        if (cls === Class.ALU64) this.alu64(aluOp, d, bl, bh, offs[pc]!, imms[pc]!, isX, lo, hi);
        else this.alu32(aluOp, d, bl, offs[pc]!, imms[pc]!, isX, lo, hi);
        pc++;
        continue;
      }
      if (cls === Class.JMP || cls === Class.JMP32) {
        const jop = code & OP_MASK;
        if (jop === JmpOp.JA) {
          pc += cls === Class.JMP ? offs[pc]! + 1 : imms[pc]! + 1;
          continue;
        }
        if (jop === JmpOp.EXIT) return;
        if (jop === JmpOp.CALL) {
          const next = this.call(lp, pc, depth, code, lo, hi);
          if (next) {
            // Tail call: the target replaces this program; r1 (ctx) stays, the frame is reused.
            lp = next;
            ({ op, dst: dsts, src: srcs, off: offs, imm: imms, slots } = lp);
            pc = 0;
            continue;
          }
          pc++;
          continue;
        }
        const s = srcs[pc]!;
        const isX = (code & Source.X) !== 0;
        let taken: boolean;
        if (cls === Class.JMP) {
          const al = lo[d]! >>> 0;
          const ah = hi[d]!;
          const bl = (isX ? lo[s]! : imms[pc]!) >>> 0;
          const bh = isX ? hi[s]! : imms[pc]! >> 31;
          taken = cmp64(jop, al, ah, bl, bh);
        } else {
          const a = lo[d]!;
          const b = isX ? lo[s]! : imms[pc]!;
          taken = cmp32(jop, a, b);
        }
        pc += taken ? offs[pc]! + 1 : 1;
        continue;
      }
      // Loads and stores.
      switch (cls) {
        case Class.LDX: {
          const size = SIZE_BYTES[(code & 0x18) >> 3]!;
          const s = srcs[pc]!;
          const signed = (code & 0xe0) === Mode.MEMSX;
          if (lp.probe[pc] === 1) {
            this.probeLoad(lo[s]!, hi[s]!, offs[pc]!, size, signed, d, lo, hi);
            pc++;
            continue;
          }
          const r = this.access(pc, lo[s]!, hi[s]!, offs[pc]!, size, false);
          const o = this.accessOffset;
          const v = r.view;
          switch (size) {
            case 1:
              lo[d] = signed ? v.getInt8(o) : v.getUint8(o);
              hi[d] = signed ? lo[d]! >> 31 : 0;
              break;
            case 2:
              lo[d] = signed ? v.getInt16(o, true) : v.getUint16(o, true);
              hi[d] = signed ? lo[d]! >> 31 : 0;
              break;
            case 4:
              lo[d] = v.getInt32(o, true);
              hi[d] = signed ? lo[d]! >> 31 : 0;
              break;
            default:
              lo[d] = v.getInt32(o, true);
              hi[d] = v.getInt32(o + 4, true);
          }
          pc++;
          continue;
        }
        case Class.ST:
        case Class.STX: {
          const size = SIZE_BYTES[(code & 0x18) >> 3]!;
          const mode = code & 0xe0;
          if (lp.probe[pc] === 2) {
            const s = srcs[pc]!;
            this.kstore.store(pc, lo[d]!, hi[d]!, offs[pc]!, size, cls === Class.STX ? lo[s]! : imms[pc]!, cls === Class.STX ? hi[s]! : imms[pc]! >> 31);
            pc++;
            continue;
          }
          const r = this.access(pc, lo[d]!, hi[d]!, offs[pc]!, size, true);
          const o = this.accessOffset;
          if (mode === Mode.ATOMIC) {
            this.atomic(pc, r, o, size, imms[pc]!, srcs[pc]!, lo, hi);
            pc++;
            continue;
          }
          const s = srcs[pc]!;
          const vl = cls === Class.STX ? lo[s]! : imms[pc]!;
          const vh = cls === Class.STX ? hi[s]! : imms[pc]! >> 31;
          const v = r.view;
          switch (size) {
            case 1:
              v.setUint8(o, vl & 0xff);
              break;
            case 2:
              v.setUint16(o, vl & 0xffff, true);
              break;
            case 4:
              v.setInt32(o, vl, true);
              break;
            default:
              v.setInt32(o, vl, true);
              v.setInt32(o + 4, vh, true);
          }
          pc++;
          continue;
        }
        case Class.LD:
          if (code === LDDW) {
            lo[d] = lp.ldLo[pc]!;
            hi[d] = lp.ldHi[pc]!;
            pc += 2;
            continue;
          }
          throw new VmFault(FaultKind.MEMORY, pc, `legacy packet load (opcode 0x${code.toString(16)}) is not supported`, "EINVAL");
        default:
          throw new VmFault(FaultKind.CALL, pc, `unknown opcode 0x${code.toString(16)}`, "EINVAL");
      }
    }
  }

  private accessOffset = 0;
  private kstoreWriter: KernelStoreWriter | undefined;
  private get kstore(): KernelStoreWriter {
    return (this.kstoreWriter ??= new KernelStoreWriter(this.mem, this.env));
  }
  private probeMem: ProbeMemReader | undefined;
  private readonly probeOut = new Int32Array(2);

  /** A BPF_PROBE_MEM load into register d. */
  private probeLoad(baseLo: number, baseHi: number, off: number, size: number, signed: boolean, d: number, lo: Int32Array, hi: Int32Array): void {
    (this.probeMem ??= new ProbeMemReader(this.mem, this.env)).load(baseLo, baseHi, off, size, signed, this.probeOut);
    lo[d] = this.probeOut[0]!;
    hi[d] = this.probeOut[1]!;
  }

  /** Finds the region for an access of `size` bytes at reg + off; sets accessOffset. Faults if there is none. */
  private access(pc: number, baseLo: number, baseHi: number, off: number, size: number, write: boolean): Region {
    let l = (baseLo >>> 0) + off;
    let h = baseHi;
    if (l >= TWO32) {
      l -= TWO32;
      h = (h + 1) | 0;
    } else if (l < 0) {
      l += TWO32;
      h = (h - 1) | 0;
    }
    const r = this.mem.find(h >>> 0, l, size);
    if (r === undefined || (write && !r.writable)) {
      const addr = ((BigInt(h >>> 0) << 32n) | BigInt(l)).toString(16);
      const what = r === undefined ? "not inside any mapped region" : `${r.label} is read-only`;
      throw new VmFault(FaultKind.MEMORY, pc, `invalid ${write ? "write" : "read"} of ${size} bytes at 0x${addr}: ${what}`);
    }
    this.accessOffset = l - r.lo;
    return r;
  }

  private alu64(op: number, d: number, bl: number, bh: number, off: number, imm: number, isX: boolean, lo: Int32Array, hi: Int32Array): void {
    const al = lo[d]!;
    const ah = hi[d]!;
    const tmp = this.tmp;
    switch (op) {
      case 0x00: {
        // ADD
        const l = (al >>> 0) + (bl >>> 0);
        lo[d] = l | 0;
        hi[d] = (ah + bh + (l >= TWO32 ? 1 : 0)) | 0;
        return;
      }
      case 0x10: {
        // SUB
        const l = (al >>> 0) - (bl >>> 0);
        lo[d] = l | 0;
        hi[d] = (ah - bh - (l < 0 ? 1 : 0)) | 0;
        return;
      }
      case 0x20:
        mul64(tmp, al, ah, bl, bh);
        break;
      case 0x30:
        if (off === 1) sdiv64(tmp, al, ah, bl, bh);
        else udiv64(tmp, al, ah, bl, bh);
        break;
      case 0x90:
        if (off === 1) smod64(tmp, al, ah, bl, bh);
        else umod64(tmp, al, ah, bl, bh);
        break;
      case 0x40:
        lo[d] = al | bl;
        hi[d] = ah | bh;
        return;
      case 0x50:
        lo[d] = al & bl;
        hi[d] = ah & bh;
        return;
      case 0xa0:
        lo[d] = al ^ bl;
        hi[d] = ah ^ bh;
        return;
      case 0x60:
        shl64(tmp, al, ah, bl & 63);
        break;
      case 0x70:
        shr64(tmp, al, ah, bl & 63);
        break;
      case 0xc0:
        sar64(tmp, al, ah, bl & 63);
        break;
      case 0x80: {
        // NEG
        const l = 0 - (al >>> 0);
        lo[d] = l | 0;
        hi[d] = (0 - ah - (l < 0 ? 1 : 0)) | 0;
        return;
      }
      case 0xb0:
        // MOV / MOVSX
        if (isX && off === 8) {
          lo[d] = (bl << 24) >> 24;
          hi[d] = lo[d]! >> 31;
        } else if (isX && off === 16) {
          lo[d] = (bl << 16) >> 16;
          hi[d] = lo[d]! >> 31;
        } else if (isX && off === 32) {
          lo[d] = bl;
          hi[d] = bl >> 31;
        } else {
          lo[d] = bl;
          hi[d] = bh;
        }
        return;
      case 0xd0:
        // BSWAP (ALU64 END): unconditional byte swap of the low imm bits.
        if (imm === 16) {
          lo[d] = bswap16(al);
          hi[d] = 0;
        } else if (imm === 32) {
          lo[d] = bswap32(al);
          hi[d] = 0;
        } else {
          lo[d] = bswap32(ah);
          hi[d] = bswap32(al);
        }
        return;
      default:
        throw new VmFault(FaultKind.CALL, -1, `unknown ALU64 op 0x${op.toString(16)}`, "EINVAL");
    }
    lo[d] = tmp[0]!;
    hi[d] = tmp[1]!;
  }

  private alu32(op: number, d: number, b: number, off: number, imm: number, isX: boolean, lo: Int32Array, hi: Int32Array): void {
    const a = lo[d]!;
    let r: number;
    switch (op) {
      case 0x00:
        r = (a + b) | 0;
        break;
      case 0x10:
        r = (a - b) | 0;
        break;
      case 0x20:
        r = Math.imul(a, b);
        break;
      case 0x30:
        r = off === 1 ? sdiv32(a, b) : (b >>> 0) === 0 ? 0 : Math.floor((a >>> 0) / (b >>> 0)) | 0;
        break;
      case 0x90:
        r = off === 1 ? smod32(a, b) : (b >>> 0) === 0 ? a : (a >>> 0) % (b >>> 0) | 0;
        break;
      case 0x40:
        r = a | b;
        break;
      case 0x50:
        r = a & b;
        break;
      case 0xa0:
        r = a ^ b;
        break;
      case 0x60:
        r = a << (b & 31);
        break;
      case 0x70:
        r = a >>> (b & 31);
        break;
      case 0xc0:
        r = a >> (b & 31);
        break;
      case 0x80:
        r = -a | 0;
        break;
      case 0xb0:
        r = isX && off === 8 ? (b << 24) >> 24 : isX && off === 16 ? (b << 16) >> 16 : b;
        break;
      case 0xd0: {
        // END: to little endian (K) truncates; to big endian (X) swaps. Host is little-endian.
        const toBe = isX;
        if (imm === 16) r = toBe ? bswap16(a) : a & 0xffff;
        else if (imm === 32) r = toBe ? bswap32(a) : a;
        else {
          // 64-bit width touches both halves.
          if (toBe) {
            const h = hi[d]!;
            hi[d] = bswap32(a);
            lo[d] = bswap32(h);
          }
          return;
        }
        break;
      }
      default:
        throw new VmFault(FaultKind.CALL, -1, `unknown ALU op 0x${op.toString(16)}`, "EINVAL");
    }
    lo[d] = r;
    hi[d] = 0;
  }

  private atomic(pc: number, r: Region, o: number, size: number, aop: number, s: number, lo: Int32Array, hi: Int32Array): void {
    const old = this.tmp;
    atomicRmw(pc, r.view, o, size, aop, lo[s]!, size === 4 ? 0 : hi[s]!, lo[0]!, size === 4 ? 0 : hi[0]!, old);
    if (aop === AtomicOp.CMPXCHG) {
      lo[0] = old[0]!;
      hi[0] = old[1]!;
    } else if (aop & AtomicOp.FETCH) {
      lo[s] = old[0]!;
      hi[s] = old[1]!;
    }
  }

  /** A CALL/CALLX at `pc`. Returns the program to continue in after a successful tail call. */
  private call(lp: LoadedProgram, pc: number, depth: number, code: number, lo: Int32Array, hi: Int32Array): LoadedProgram | undefined {
    const src = lp.src[pc]!;
    if (code === (Class.JMP | JmpOp.CALL) && src === PseudoCall.LOCAL) {
      this.callLocal(lp, pc, pc + lp.imm[pc]! + 1, depth, lo, hi);
      return undefined;
    }
    if (code === (Class.JMP | JmpOp.CALL) && src === PseudoCall.KFUNC) {
      throw new VmFault(FaultKind.CALL, pc, `kfunc calls (BTF id ${lp.imm[pc]}) are not supported`, "EINVAL");
    }
    // Helper by id; callx (0x8d) takes the id from the register in dst.
    const id = code === (Class.JMP | JmpOp.CALL) ? lp.imm[pc]! : lo[lp.dst[pc]!]!;
    if (id === HELPER_TAIL_CALL) {
      const map = this.mapAt(toBigU(lo[2]!, hi[2]!)) as Partial<TailCallTable> | undefined;
      const target = map?.progAt?.(lo[3]! >>> 0);
      if (target && this.tailCalls < MAX_TAIL_CALL_CNT) {
        this.tailCalls++;
        for (let i = 2; i < 10; i++) lo[i] = hi[i] = 0;
        lo[0] = hi[0] = 0;
        return target;
      }
      // A failed tail call falls through to the next instruction (r0 is not defined by the kernel; we set -ENOENT).
      fromBig(this.tmp, BigInt.asUintN(64, -2n));
      lo[0] = this.tmp[0]!;
      hi[0] = this.tmp[1]!;
      return undefined;
    }
    const impl = this.helper(id);
    if (!impl) throw new VmFault(FaultKind.CALL, pc, `call to unknown helper #${id}`, "EINVAL");
    // One runtime object per call depth, reused (no allocation per helper call).
    let rt = this.runtimes[depth];
    if (!rt) this.runtimes[depth] = rt = new CallRuntime(this);
    rt.pc = pc;
    rt.ctx = this.ctxRegion;
    rt.lp = lp;
    rt.depth = depth;
    const r0 = invokeHelper(impl, rt, id, pc, toBigU(lo[1]!, hi[1]!), toBigU(lo[2]!, hi[2]!), toBigU(lo[3]!, hi[3]!), toBigU(lo[4]!, hi[4]!), toBigU(lo[5]!, hi[5]!));
    fromBig(this.tmp, r0);
    lo[0] = this.tmp[0]!;
    hi[0] = this.tmp[1]!;
    return undefined;
  }

  private readonly runtimes: CallRuntime[] = [];

  /** The address space, environment and map lookup helpers see (for CallRuntime). */
  get runtimeParts(): { mem: AddressSpace; env: KernelEnv; mapAt: (addr: bigint) => unknown } {
    return { mem: this.mem, env: this.env, mapAt: this.mapAt };
  }

  /** bpf_loop's callback call from a helper: r1..r5 from `cargs`, returns the callee's r0. */
  callSubprogFrom(lp: LoadedProgram, pc: number, depth: number, target: number, cargs: readonly bigint[]): bigint {
    const clo = new Int32Array(REG_FILE_SIZE);
    const chi = new Int32Array(REG_FILE_SIZE);
    cargs.forEach((a, i) => {
      fromBig(this.tmp, a);
      clo[i + 1] = this.tmp[0]!;
      chi[i + 1] = this.tmp[1]!;
    });
    this.callLocal(lp, pc, target, depth, clo, chi);
    return toBigU(clo[0]!, chi[0]!);
  }

  /** A bpf-to-bpf call: a new frame with its own registers (r6..r9 of the caller are kept), r1..r5 passed. */
  private callLocal(lp: LoadedProgram, pc: number, target: number, depth: number, lo: Int32Array, hi: Int32Array): void {
    if (depth + 1 >= MAX_CALL_FRAMES) throw new VmFault(FaultKind.STACK, pc, `call nesting deeper than ${MAX_CALL_FRAMES} frames`, "E2BIG");
    if (target < 0 || target >= lp.slots) throw new VmFault(FaultKind.CALL, pc, `call to slot ${target}, outside the program`, "EINVAL");
    const clo = new Int32Array(REG_FILE_SIZE);
    const chi = new Int32Array(REG_FILE_SIZE);
    for (let i = 1; i <= 5; i++) {
      clo[i] = lo[i]!;
      chi[i] = hi[i]!;
    }
    this.exec(lp, target, depth + 1, clo, chi);
    lo[0] = clo[0]!;
    hi[0] = chi[0]!;
    // Restore this frame's r10 (exec of the callee set its own).
    const frame = this.frames[depth]!;
    lo[10] = (frame.lo + STACK_SIZE) | 0;
    hi[10] = frame.hi;
  }
}

function cmp64(jop: number, al: number, ah: number, bl: number, bh: number): boolean {
  switch (jop) {
    case JmpOp.JEQ:
      return ah === bh && al === bl;
    case JmpOp.JNE:
      return ah !== bh || al !== bl;
    case JmpOp.JSET:
      return (al & bl) !== 0 || (ah & bh) !== 0;
    case JmpOp.JGT:
      return ah >>> 0 > bh >>> 0 || (ah === bh && al > bl);
    case JmpOp.JGE:
      return ah >>> 0 > bh >>> 0 || (ah === bh && al >= bl);
    case JmpOp.JLT:
      return ah >>> 0 < bh >>> 0 || (ah === bh && al < bl);
    case JmpOp.JLE:
      return ah >>> 0 < bh >>> 0 || (ah === bh && al <= bl);
    case JmpOp.JSGT:
      return (ah | 0) > (bh | 0) || (ah === bh && al > bl);
    case JmpOp.JSGE:
      return (ah | 0) > (bh | 0) || (ah === bh && al >= bl);
    case JmpOp.JSLT:
      return (ah | 0) < (bh | 0) || (ah === bh && al < bl);
    case JmpOp.JSLE:
      return (ah | 0) < (bh | 0) || (ah === bh && al <= bl);
    default:
      return false;
  }
}

function cmp32(jop: number, a: number, b: number): boolean {
  switch (jop) {
    case JmpOp.JEQ:
      return a === b;
    case JmpOp.JNE:
      return a !== b;
    case JmpOp.JSET:
      return (a & b) !== 0;
    case JmpOp.JGT:
      return a >>> 0 > b >>> 0;
    case JmpOp.JGE:
      return a >>> 0 >= b >>> 0;
    case JmpOp.JLT:
      return a >>> 0 < b >>> 0;
    case JmpOp.JLE:
      return a >>> 0 <= b >>> 0;
    case JmpOp.JSGT:
      return (a | 0) > (b | 0);
    case JmpOp.JSGE:
      return (a | 0) >= (b | 0);
    case JmpOp.JSLT:
      return (a | 0) < (b | 0);
    case JmpOp.JSLE:
      return (a | 0) <= (b | 0);
    default:
      return false;
  }
}

/** The HelperRuntime of one call depth, refilled for every helper call made at that depth. */
class CallRuntime implements HelperRuntime {
  readonly mem: AddressSpace;
  readonly env: KernelEnv;
  readonly mapAt: (addr: bigint) => unknown;
  pc = 0;
  ctx: Region | undefined;
  lp: LoadedProgram | undefined;
  depth = 0;

  constructor(private readonly vm: Interpreter) {
    const parts = vm.runtimeParts;
    this.mem = parts.mem;
    this.env = parts.env;
    this.mapAt = parts.mapAt;
  }

  callSubprog(target: number, cargs: readonly bigint[]): bigint {
    return this.vm.callSubprogFrom(this.lp!, this.pc, this.depth, target, cargs);
  }
}
