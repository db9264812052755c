// The JIT's runtime: what compiled programs (compile.ts) call off their hot
// path — region lookups with the interpreter's checks and fault messages,
// BPF_PROBE_MEM loads, atomics, helper calls (a helper's BigInt-free form
// when it has one, with the registers' halves; bpf_loop callbacks and
// tail calls), bpf-to-bpf calls that do not call an entry function directly
// — and the state one run shares between its frames: the instruction budget
// left, the tail-call count, the ctx region, the frames' r10 values.
//
// Budget protocol: `b` is the budget left whenever control is outside
// compiled code. A compiled frame keeps it in a local, charges a whole block
// on entry, writes it back before every call into the runtime and before
// every throw, and on a fault of its own refunds the instructions of the
// block after the faulting one, so `executed` is exactly the interpreter's.
// Entry functions of one program call each other directly with the budget
// as an argument and get what is left as their return value (r0 in rl/rh);
// the JitFn a program exports reads and writes `b`. A block that the budget
// cannot cover is run by the interpreter itself (JitHost.execLimited), which
// faults at exactly the interpreter's instruction.
import { atomicRmw } from "../atomic.js";
import { KernelStoreWriter, ProbeMemReader } from "../probe-mem.js";
import { fromBig, toBigU } from "../alu64.js";
import { HELPER_TAIL_CALL, MAX_CALL_FRAMES, MAX_TAIL_CALL_CNT, STACK_SIZE } from "../limits.js";
import type { KernelEnv } from "../env.js";
import { FaultKind, VmFault } from "../errors.js";
import { invokeFastHelper, invokeHelper, MapsByAddress, readsRegisters, type FastHelperRuntime, type HelperImpl, type HelperRuntime } from "../helpers/abi.js";
import type { AddressSpace, Region } from "../memory.js";
import { REG_FILE_SIZE, type CompiledCode, type LoadedProgram, type TailCallTable } from "../loaded-program.js";

const TWO32 = 4294967296;

/**
 * A compiled entry: runs `lp` from slot `entry` in frame `depth` with r1..r5
 * and r10 given as (lo, hi) halves; leaves r0 in rt.rl/rt.rh.
 */
export type JitFn = (
  rt: JitRuntime,
  entry: number,
  depth: number,
  l1: number, h1: number, l2: number, h2: number, l3: number, h3: number, l4: number, h4: number, l5: number, h5: number,
  l10: number, h10: number,
) => void;

/** A compiled program (LoadedProgram.jitted). */
export interface JitProgram extends CompiledCode {
  /** The generated JavaScript (body of the factory; `prog dump --jited`). */
  readonly source: string;
  /** The compiled function; it can enter at any slot in `entries`. */
  readonly fn: JitFn;
  /** Slots `fn` can be entered at (block leaders). */
  readonly entries: ReadonlySet<number>;
  /** Functions compiled for other entry slots (callbacks whose slot no lddw named), by slot. */
  readonly variants: Map<number, JitFn>;
}

/** The code the JIT attached to `lp` (only compileProgram ever sets LoadedProgram.jitted). */
export function jitOf(lp: LoadedProgram): JitProgram | undefined {
  return lp.jitted as JitProgram | undefined;
}

/** What the interpreter gives the JIT's runtime. */
export interface JitHost {
  readonly mem: AddressSpace;
  readonly env: KernelEnv;
  helper(id: number): HelperImpl | undefined;
  mapAt(addr: bigint): unknown;
  /** The 8 stack frames, shared with the interpreter (same addresses). */
  readonly frames: readonly Region[];
  /**
   * Runs `lp` from `pc` in the interpreter with registers lo/hi (r10 as given)
   * and `budget` instructions; always ends by throwing a VmFault (the
   * straight-line block cannot finish within the budget). Stores the budget
   * left in rt.b before rethrowing.
   */
  execLimited(rt: JitRuntime, lp: LoadedProgram, pc: number, depth: number, lo: Int32Array, hi: Int32Array, budget: number): never;
  /**
   * Runs `lp` from slot 0 in the interpreter with registers lo/hi (r10 as
   * given), sharing the run's budget (rt.b) and tail-call count; r0 in lo[0]/hi[0].
   */
  execInterpreted(rt: JitRuntime, lp: LoadedProgram, depth: number, lo: Int32Array, hi: Int32Array): void;
  /**
   * Compiles `lp` with extra entry slots, or (none given) for a tail call into
   * a program loaded without the JIT (cached by the host, not stored on lp).
   */
  compile(lp: LoadedProgram, extraEntries?: readonly number[]): JitProgram;
}

export class JitRuntime {
  /** Budget left (authoritative outside compiled frames). */
  b = 0;
  tailCalls = 0;
  ctx: Region | undefined;
  /** r0 of the last returning frame / helper. */
  rl = 0;
  rh = 0;
  /** A second result: the offset of the last access, or a loaded/old value's halves. */
  o = 0;
  tl = 0;
  th = 0;
  /**
   * The region of the last checked access (compiled code tries it inline
   * before calling acc): hi (int32), [cl, ce) of lo, its view, writable.
   * Only helpers change the address space while a program runs, so the
   * cache is dropped at the start of every run and around every helper call.
   */
  ch = 0;
  cl = 1;
  ce = 0;
  cw = 0;
  cv: DataView | null = null;
  private readonly tmp = new Int32Array(2);

  /** r10 (the frame's top, lo and hi) of each call depth: what a bpf-to-bpf call passes its callee. */
  readonly fpl: Int32Array;
  readonly fph: Int32Array;

  constructor(readonly host: JitHost) {
    this.maps = new MapsByAddress((addr) => host.mapAt(addr));
    this.fpl = Int32Array.from(host.frames, (f) => f.lo + STACK_SIZE);
    this.fph = Int32Array.from(host.frames, (f) => f.hi);
  }

  /** The region for an access of `size` bytes at base + off: returns its view, sets `o`. Faults like the interpreter. */
  acc(pc: number, baseLo: number, baseHi: number, off: number, size: number, write: number): DataView {
    let l = (baseLo >>> 0) + off;
    let h = baseHi;
    if (l >= TWO32) {
      l -= TWO32;
      h = (h + 1) | 0;
    } else if (l < 0) {
      l += TWO32;
      h = (h - 1) | 0;
    }
    const r = this.host.mem.find(h >>> 0, l, size);
    if (r === undefined || (write && !r.writable)) {
      const addr = ((BigInt(h >>> 0) << 32n) | BigInt(l)).toString(16);
      const what = r === undefined ? "not inside any mapped region" : `${r.label} is read-only`;
      throw new VmFault(FaultKind.MEMORY, pc, `invalid ${write ? "write" : "read"} of ${size} bytes at 0x${addr}: ${what}`);
    }
    this.o = l - r.lo;
    this.ch = r.hi | 0;
    this.cl = r.lo;
    this.ce = r.lo + r.size;
    this.cw = r.writable ? 1 : 0;
    this.cv = r.view;
    return r.view;
  }

  /**
   * Forgets the cached region and helper: the interpreter calls this at the
   * start and end of every run (so a helper table changed between runs is
   * seen), compiled code's helper calls forget the region after each call.
   */
  drop(): void {
    this.forgetRegion();
    this.helperId = -1;
    this.helperImpl = undefined;
  }

  private forgetRegion(): void {
    this.cl = 1;
    this.ce = 0;
    this.cv = null;
  }

  /** The helper the last call in this run resolved (a loop calls the same one again). */
  private helperId = -1;
  private helperImpl: HelperImpl | undefined;

  /** A BPF_PROBE_MEM load (see probe-mem.ts). Sets tl/th. */
  probe(baseLo: number, baseHi: number, off: number, size: number, signed: number): void {
    (this.probeMem ??= new ProbeMemReader(this.host.mem, this.host.env)).load(baseLo, baseHi, off, size, signed !== 0, this.probeOut);
    this.tl = this.probeOut[0]!;
    this.th = this.probeOut[1]!;
  }
  private probeMem: ProbeMemReader | undefined;
  /** A store into kernel memory (a converted context store, see probe-mem.ts). */
  kstore(pc: number, baseLo: number, baseHi: number, off: number, size: number, vl: number, vh: number): void {
    (this.kstoreWriter ??= new KernelStoreWriter(this.host.mem, this.host.env)).store(pc, baseLo, baseHi, off, size, vl, vh);
  }
  private kstoreWriter: KernelStoreWriter | undefined;
  private readonly probeOut = new Int32Array(2);

  /**
   * An atomic operation on v at offset o (after the access check); x = the
   * src register, r0 for cmpxchg. Sets tl/th to the old value (what fetch
   * variants and cmpxchg write back).
   */
  atomic(pc: number, v: DataView, o: number, size: number, aop: number, xl: number, xh: number, r0l: number, r0h: number): void {
    atomicRmw(pc, v, o, size, aop, xl, xh, r0l, r0h, this.atomicOld);
    this.tl = this.atomicOld[0]!;
    this.th = this.atomicOld[1]!;
  }
  private readonly atomicOld = new Int32Array(2);


  /** The function that enters `lp` at `slot` (compiling `lp`, or a variant of it, when needed). */
  entry(lp: LoadedProgram, slot: number): JitFn {
    const j = jitOf(lp) ?? this.host.compile(lp);
    if (j.entries.has(slot)) return j.fn;
    let fn = j.variants.get(slot);
    if (fn === undefined) {
      fn = this.host.compile(lp, [slot]).fn;
      j.variants.set(slot, fn);
    }
    return fn;
  }

  private readonly helperRts: JitHelperRuntime[] = [];
  /** Maps by address halves, for helpers' fast forms (JitHelperRuntime.mapAtHalves). */
  readonly maps: MapsByAddress;

  /**
   * The last BigInt each helper argument register converted to, with its
   * halves: a loop calling helpers mostly passes the same pointers (ctx, a
   * map, a buffer) again, and BigInts are immutable, so one is reused.
   */
  private readonly argLo = new Int32Array(5);
  private readonly argHi = new Int32Array(5);
  private readonly argBig: bigint[] = [0n, 0n, 0n, 0n, 0n];
  /** The last helper called and how many of r1..r5 it reads (readsRegisters). */
  private lastImpl: HelperImpl | undefined;
  private lastArity = 5;

  /** r(i+1) = hi:lo as the u64 BigInt helpers take. */
  private arg(i: number, lo: number, hi: number): bigint {
    if (this.argLo[i] === lo && this.argHi[i] === hi) return this.argBig[i]!;
    const v = toBigU(lo, hi);
    this.argLo[i] = lo;
    this.argHi[i] = hi;
    this.argBig[i] = v;
    return v;
  }

  /** bpf_loop's callback call from a helper (see JitHelperRuntime): returns the callee's r0. */
  callSubprogFrom(lp: LoadedProgram, pc: number, depth: number, target: number, cargs: readonly bigint[]): bigint {
    this.forgetRegion();
    const a = new Int32Array(10);
    const t = this.tmp;
    for (let i = 0; i < 5 && i < cargs.length; i++) {
      fromBig(t, cargs[i]!);
      a[2 * i] = t[0]!;
      a[2 * i + 1] = t[1]!;
    }
    this.callLocal(lp, pc, target, depth, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!);
    return toBigU(this.rl, this.rh);
  }

  /** A bpf-to-bpf call from `pc` (frame `depth`) to `target`; leaves r0 in rl/rh. */
  callLocal(
    lp: LoadedProgram, pc: number, target: number, depth: number,
    l1: number, h1: number, l2: number, h2: number, l3: number, h3: number, l4: number, h4: number, l5: number, h5: number,
  ): void {
    if (depth + 1 >= MAX_CALL_FRAMES) throw new VmFault(FaultKind.STACK, pc, `call nesting deeper than ${MAX_CALL_FRAMES} frames`, "E2BIG");
    if (target < 0 || target >= lp.slots) throw new VmFault(FaultKind.CALL, pc, `call to slot ${target}, outside the program`, "EINVAL");
    const f = this.host.frames[depth + 1]!;
    this.entry(lp, target)(this, target, depth + 1, l1, h1, l2, h2, l3, h3, l4, h4, l5, h5, (f.lo + STACK_SIZE) | 0, f.hi | 0);
  }

  /**
   * The interpreter's fallback for a block the budget does not cover (always
   * throws): registers as (lo, hi) pairs r0..r11, so that compiled code
   * passes them without building arrays (small functions: V8 inlines them).
   */
  limited(
    lp: LoadedProgram, pc: number, depth: number, budget: number,
    l0: number, h0: number, l1: number, h1: number, l2: number, h2: number, l3: number, h3: number,
    l4: number, h4: number, l5: number, h5: number, l6: number, h6: number, l7: number, h7: number,
    l8: number, h8: number, l9: number, h9: number, l10: number, h10: number, l11: number, h11: number,
  ): never {
    const lo = Int32Array.of(l0, l1, l2, l3, l4, l5, l6, l7, l8, l9, l10, l11);
    const hi = Int32Array.of(h0, h1, h2, h3, h4, h5, h6, h7, h8, h9, h10, h11);
    return this.host.execLimited(this, lp, pc, depth, lo, hi, budget);
  }

  /**
   * A tail call into `target`: same frame, r1 and r10 kept, other registers 0;
   * leaves r0 in rl/rh. A target the JIT cannot compile, or one reached with
   * an r10 that is not the frame's top, runs in the interpreter.
   */
  tail(target: LoadedProgram, depth: number, l1: number, h1: number, l10: number, h10: number): void {
    let fn: JitFn | undefined;
    // Compiled code reads the stack at fixed offsets of the frame, so an r10
    // an unverified caller moved must go on in the interpreter, which keeps it.
    const f = this.host.frames[depth]!;
    if (l10 === ((f.lo + STACK_SIZE) | 0) && h10 === (f.hi | 0)) {
      try {
        fn = this.entry(target, 0);
      } catch {
        fn = undefined;
      }
    }
    if (fn === undefined) {
      const lo = new Int32Array(REG_FILE_SIZE);
      const hi = new Int32Array(REG_FILE_SIZE);
      lo[1] = l1;
      hi[1] = h1;
      lo[10] = l10;
      hi[10] = h10;
      this.host.execInterpreted(this, target, depth, lo, hi);
      this.rl = lo[0]!;
      this.rh = hi[0]!;
      return;
    }
    fn(this, 0, depth, l1, h1, 0, 0, 0, 0, 0, 0, 0, 0, l10, h10);
  }

  /**
   * A helper call (by id) at `pc`. Returns the program to continue in after a
   * successful tail call; otherwise leaves r0 in rl/rh.
   */
  helperCall(
    lp: LoadedProgram, pc: number, depth: number, id: number,
    l1: number, h1: number, l2: number, h2: number, l3: number, h3: number, l4: number, h4: number, l5: number, h5: number,
  ): LoadedProgram | undefined {
    const host = this.host;
    if (id === HELPER_TAIL_CALL) {
      const map = host.mapAt(toBigU(l2, h2)) as Partial<TailCallTable> | undefined;
      const target = map?.progAt?.(l3 >>> 0);
      if (target && this.tailCalls < MAX_TAIL_CALL_CNT) {
        this.tailCalls++;
        return target;
      }
      this.rl = -2;
      this.rh = -1;
      return undefined;
    }
    let impl = id === this.helperId ? this.helperImpl : undefined;
    if (impl === undefined) {
      impl = host.helper(id);
      this.helperId = id;
      this.helperImpl = impl;
    }
    if (!impl) throw new VmFault(FaultKind.CALL, pc, `call to unknown helper #${id}`, "EINVAL");
    // One helper runtime per call depth, refilled per call (no allocation per helper call).
    let rt = this.helperRts[depth];
    if (!rt) this.helperRts[depth] = rt = new JitHelperRuntime(this);
    rt.pc = pc;
    rt.ctx = this.ctx;
    rt.lp = lp;
    rt.depth = depth;
    const fast = impl.fast;
    if (fast !== undefined) {
      // The helper's BigInt-free form: the halves as they are, r0 as halves.
      this.rl = invokeFastHelper(fast, rt, id, pc, l1, h1, l2, h2, l3, h3, l4, h4, l5, h5);
      this.rh = rt.rh;
      this.forgetRegion();
      return undefined;
    }
    // Registers the helper's function names (its declared parameters) are
    // converted to BigInt; the others are passed as 0n, which it cannot see.
    if (impl !== this.lastImpl) {
      this.lastImpl = impl;
      this.lastArity = readsRegisters(impl);
    }
    const n = this.lastArity;
    const r0 = invokeHelper(
      impl, rt, id, pc,
      n >= 1 ? this.arg(0, l1, h1) : 0n,
      n >= 2 ? this.arg(1, l2, h2) : 0n,
      n >= 3 ? this.arg(2, l3, h3) : 0n,
      n >= 4 ? this.arg(3, l4, h4) : 0n,
      n >= 5 ? this.arg(4, l5, h5) : 0n,
    );
    // The helper may have mapped or unmapped regions: forget the cached one.
    // (A fault ends the run, and every run starts with an empty cache.)
    this.forgetRegion();
    fromBig(this.tmp, r0);
    this.rl = this.tmp[0]!;
    this.rh = this.tmp[1]!;
    return undefined;
  }
}

/** The HelperRuntime a compiled program's helper calls at one depth see. */
class JitHelperRuntime implements FastHelperRuntime {
  readonly mem: HelperRuntime["mem"];
  readonly env: HelperRuntime["env"];
  pc = 0;
  ctx: HelperRuntime["ctx"];
  lp: LoadedProgram | undefined;
  depth = 0;
  rh = 0;

  constructor(private readonly owner: JitRuntime) {
    this.mem = owner.host.mem;
    this.env = owner.host.env;
  }

  mapAt(addr: bigint): unknown {
    return this.owner.host.mapAt(addr);
  }

  mapAtHalves(lo: number, hi: number): unknown {
    return this.owner.maps.at(lo, hi);
  }

  callSubprog(target: number, cargs: readonly bigint[]): bigint {
    return this.owner.callSubprogFrom(this.lp!, this.pc, this.depth, target, cargs);
  }
}
