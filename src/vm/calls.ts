// The interpreter's calls out of a program: helpers by id (through the
// BigInt helper ABI, or a helper's BigInt-free form when it has one; one
// reused HelperRuntime per call depth), bpf_tail_call
// (the VM's own: the target program replaces the running one), and the
// bpf_loop callbacks helpers make back into the program.
import { fromBig, toBigU } from "./alu64.js";
import type { KernelEnv } from "./env.js";
import { FaultKind, VmFault } from "./errors.js";
import { invokeFastHelper, invokeHelper, MapsByAddress, readsRegisters, type FastHelperRuntime, type HelperImpl } from "./helpers/abi.js";
import { HELPER_TAIL_CALL, MAX_TAIL_CALL_CNT } from "./limits.js";
import { REG_FILE_SIZE, type LoadedProgram, type TailCallTable } from "./loaded-program.js";
import type { AddressSpace, Region } from "./memory.js";

/** Helper calls and tail calls, as the interpreter loop (exec-loop.ts) makes them: returns the tail call's target program, if it jumped. */
export interface CallHandler {
  helper(lp: LoadedProgram, pc: number, depth: number, id: number, lo: Int32Array, hi: Int32Array): LoadedProgram | undefined;
}

/** What calls need of the loop's machine (exec-loop.ts's Machine). */
export interface CallerMachine {
  /** Tail calls taken in the current run. */
  tailCalls: number;
  /** The current run's context region. */
  readonly ctxRegion: Region | undefined;
  /** A bpf-to-bpf call (bpf_loop's callbacks). */
  callLocal(lp: LoadedProgram, pc: number, target: number, depth: number, lo: Int32Array, hi: Int32Array): void;
}

/** -ENOENT as a u64's halves: r0 after a tail call that did not jump. */
const ENOENT_LO = -2;
const ENOENT_HI = -1;

export class Calls implements CallHandler {
  private readonly runtimes: CallRuntime[] = [];
  private readonly tmp = new Int32Array(2);
  /** Maps by address halves, for helpers' fast forms (CallRuntime.mapAtHalves). */
  readonly maps = new MapsByAddress((addr) => this.mapAt(addr));

  constructor(
    private readonly m: CallerMachine,
    readonly mem: AddressSpace,
    readonly env: KernelEnv,
    private readonly impl: (id: number) => HelperImpl | undefined,
    readonly mapAt: (addr: bigint) => unknown,
  ) {}

  /** Helper `id` called at `pc`; r0 in lo[0]/hi[0]. Returns the program a successful tail call continues in. */
  helper(lp: LoadedProgram, pc: number, depth: number, id: number, lo: Int32Array, hi: Int32Array): LoadedProgram | undefined {
    if (id === HELPER_TAIL_CALL) {
      const map = this.mapAt(toBigU(lo[2]!, hi[2]!)) as Partial<TailCallTable> | undefined;
      const target = map?.progAt?.(lo[3]! >>> 0);
      if (target && this.m.tailCalls < MAX_TAIL_CALL_CNT) {
        this.m.tailCalls++;
        for (let i = 2; i < 10; i++) lo[i] = hi[i] = 0;
        lo[0] = hi[0] = 0;
        return target;
      }
      // A failed tail call falls through to the next instruction (r0 is not defined by the kernel; we set -ENOENT).
      lo[0] = ENOENT_LO;
      hi[0] = ENOENT_HI;
      return undefined;
    }
    const impl = this.impl(id);
    if (!impl) throw new VmFault(FaultKind.CALL, pc, `call to unknown helper #${id}`, "EINVAL");
    // One runtime object per call depth, reused (no allocation per helper call).
    let rt = this.runtimes[depth];
    if (!rt) this.runtimes[depth] = rt = new CallRuntime(this);
    rt.pc = pc;
    rt.ctx = this.m.ctxRegion;
    rt.lp = lp;
    rt.depth = depth;
    const fast = impl.fast;
    if (fast !== undefined) {
      lo[0] = invokeFastHelper(fast, rt, id, pc, lo[1]!, hi[1]!, lo[2]!, hi[2]!, lo[3]!, hi[3]!, lo[4]!, hi[4]!, lo[5]!, hi[5]!);
      hi[0] = rt.rh;
      return undefined;
    }
    // Only the registers the helper's function declares are converted (the JIT's rule, readsRegisters);
    // the others are passed as 0n, which it cannot see.
    if (impl !== this.lastImpl) {
      this.lastImpl = impl;
      this.lastArity = readsRegisters(impl);
    }
    const n = this.lastArity;
    const r0 = invokeHelper(
      impl, rt, id, pc,
      n >= 1 ? this.arg(1, lo, hi) : 0n,
      n >= 2 ? this.arg(2, lo, hi) : 0n,
      n >= 3 ? this.arg(3, lo, hi) : 0n,
      n >= 4 ? this.arg(4, lo, hi) : 0n,
      n >= 5 ? this.arg(5, lo, hi) : 0n,
    );
    fromBig(this.tmp, r0);
    lo[0] = this.tmp[0]!;
    hi[0] = this.tmp[1]!;
    return undefined;
  }

  /** The last helper called and how many of r1..r5 it reads. */
  private lastImpl: HelperImpl | undefined;
  private lastArity = 5;
  /** The last BigInt made for each argument register r1..r5, and the halves it was made from. */
  private readonly argBig: bigint[] = [0n, 0n, 0n, 0n, 0n, 0n];
  private readonly argLo = new Int32Array(6);
  private readonly argHi = new Int32Array(6);

  /**
   * r`i` as the u64 BigInt the helper ABI takes, reusing the previous call's
   * BigInt when the register holds the same value (map pointers, stack
   * addresses and untouched registers repeat from call to call; making a
   * BigInt of a 64-bit address costs more than the rest of a helper call).
   */
  private arg(i: number, lo: Int32Array, hi: Int32Array): bigint {
    const l = lo[i]!;
    const h = hi[i]!;
    if (l === this.argLo[i] && h === this.argHi[i]) return this.argBig[i]!;
    const v = toBigU(l, h);
    this.argLo[i] = l;
    this.argHi[i] = h;
    this.argBig[i] = v;
    return v;
  }

  /** bpf_loop's callback call from a helper: r1..r5 from `cargs`, returns the callee's r0. */
  callSubprog(lp: LoadedProgram, pc: number, depth: number, target: number, cargs: readonly bigint[]): bigint {
    const clo = new Int32Array(REG_FILE_SIZE);
    const chi = new Int32Array(REG_FILE_SIZE);
    cargs.forEach((a, i) => {
      fromBig(this.tmp, a);
      clo[i + 1] = this.tmp[0]!;
      chi[i + 1] = this.tmp[1]!;
    });
    this.m.callLocal(lp, pc, target, depth, clo, chi);
    return toBigU(clo[0]!, chi[0]!);
  }
}

/** The HelperRuntime of one call depth, refilled for every helper call made at that depth. */
class CallRuntime implements FastHelperRuntime {
  readonly mem: AddressSpace;
  readonly env: KernelEnv;
  readonly mapAt: (addr: bigint) => unknown;
  pc = 0;
  ctx: Region | undefined;
  lp: LoadedProgram | undefined;
  depth = 0;
  rh = 0;

  constructor(private readonly calls: Calls) {
    this.mem = calls.mem;
    this.env = calls.env;
    this.mapAt = calls.mapAt;
  }

  mapAtHalves(lo: number, hi: number): unknown {
    return this.calls.maps.at(lo, hi);
  }

  callSubprog(target: number, cargs: readonly bigint[]): bigint {
    return this.calls.callSubprog(this.lp!, this.pc, this.depth, target, cargs);
  }
}
