// The interpreter's fast loop and the machine state of its runs: one
// `switch` over the full 8-bit opcode of each slot (LoadedProgram.xw, the
// slot's fields packed in one word),
// registers as (lo, hi) int32 halves in Int32Arrays reused per frame, the
// instruction budget in a local, loads and stores checked inline against
// the current stack frame and a one-entry cache of the last other region
// (dropped at every call, since only helpers change the address space).
// Encodings it does not special-case (atomics, BPF_PROBE_MEM loads, kernel
// stores, undefined ops) go to GenericStep (exec-generic.ts), the
// field-by-field reference; calls to helpers and tail calls go to the
// CallHandler (calls.ts). Faults are VmFaults with the instruction's slot;
// the budget left is in `budgetLeft` whenever control leaves the loop.
import { bswap16, bswap32, mulhu32, sdiv32, smod32 } from "./alu64.js";
import { sdivmod64, udivmod64 } from "./div64.js";
import type { CallHandler } from "./calls.js";
import type { KernelEnv } from "./env.js";
import { FaultKind, VmFault } from "./errors.js";
import { GenericStep } from "./exec-generic.js";
import { MAX_CALL_FRAMES, STACK_SIZE } from "./limits.js";
import { REG_FILE_SIZE, type LoadedProgram } from "./loaded-program.js";
import { checkedRegion, type AddressSpace, type Region } from "./memory.js";

const NO_VIEW = new DataView(new ArrayBuffer(0));

/** Unsigned a > b on (lo, hi) halves. */
function gtu64(al: number, ah: number, bl: number, bh: number): boolean {
  return ah >>> 0 > bh >>> 0 || (ah === bh && al >>> 0 > bl >>> 0);
}
function geu64(al: number, ah: number, bl: number, bh: number): boolean {
  return ah >>> 0 > bh >>> 0 || (ah === bh && al >>> 0 >= bl >>> 0);
}
/** Signed a > b on (lo, hi) halves. */
function gts64(al: number, ah: number, bl: number, bh: number): boolean {
  return ah > bh || (ah === bh && al >>> 0 > bl >>> 0);
}
function ges64(al: number, ah: number, bl: number, bh: number): boolean {
  return ah > bh || (ah === bh && al >>> 0 >= bl >>> 0);
}

export class Machine {
  /** Instructions left in the current run (exact whenever control is outside exec's loop). */
  budgetLeft = 0;
  /** Tail calls taken in the current run. */
  tailCalls = 0;
  /** The current run's context region (what helpers see as ctx). */
  ctxRegion: Region | undefined = undefined;
  /** Runs in progress (a helper may run another program): register files are per level. */
  runLevel = 0;
  /** Helper and tail calls; set by the interpreter right after construction. */
  calls: CallHandler | undefined;
  /** Scratch pair for alu64.ts results. */
  readonly tmp = new Int32Array(2);
  /** The last non-stack region an access used: hi (int32), [cLo, cEnd) of lo, writable, view. */
  private cHi = 0;
  private cLo = 1;
  private cEnd = 0;
  private cW = false;
  private cView: DataView = NO_VIEW;
  /** Offset of the access view() resolved. */
  private o = 0;
  /**
   * The register files of depth 0 in run level 1 (the only ones of a run no
   * helper nested): lo0 and hi0 share one buffer, so clear0() zeroes both
   * with REG_FILE_SIZE 8-byte stores.
   */
  private readonly file0 = new Float64Array(REG_FILE_SIZE);
  readonly lo0 = new Int32Array(this.file0.buffer, 0, REG_FILE_SIZE);
  readonly hi0 = new Int32Array(this.file0.buffer, 4 * REG_FILE_SIZE, REG_FILE_SIZE);

  /** Zeroes lo0 and hi0. */
  clear0(): void {
    const f = this.file0;
    f[0] = 0; f[1] = 0; f[2] = 0; f[3] = 0; f[4] = 0; f[5] = 0; f[6] = 0; f[7] = 0; f[8] = 0; f[9] = 0; f[10] = 0; f[11] = 0;
  }
  /** Register files by run level and depth ((level - 1) * MAX_CALL_FRAMES + depth), made on first use. */
  private readonly poolLo: Int32Array[] = [this.lo0];
  private readonly poolHi: Int32Array[] = [this.hi0];
  private readonly generic: GenericStep;

  constructor(
    readonly mem: AddressSpace,
    env: KernelEnv,
    /** The MAX_CALL_FRAMES stack frames (frame i at call depth i). */
    readonly frames: readonly Region[],
  ) {
    this.generic = new GenericStep(mem, env);
    for (const f of frames) {
      if (f.size !== STACK_SIZE) throw new RangeError(`stack frame of ${f.size} bytes (expected ${STACK_SIZE})`);
      this.frameHi.push(f.hi | 0);
      this.frameLo.push(f.lo);
      this.frameView.push(f.view);
    }
  }


  /** Each frame's hi (int32), lo and view, as exec's prologue wants them. */
  private readonly frameHi: number[] = [];
  private readonly frameLo: number[] = [];
  private readonly frameView: DataView[] = [];

  /** The register files (lo, hi) of call depth `depth` in the current run level; not cleared. */
  regsLo(depth: number): Int32Array {
    const i = (this.runLevel - 1) * MAX_CALL_FRAMES + depth;
    let r = this.poolLo[i];
    if (r === undefined) {
      for (let k = this.poolLo.length; k <= i; k++) {
        this.poolLo.push(new Int32Array(REG_FILE_SIZE));
        this.poolHi.push(new Int32Array(REG_FILE_SIZE));
      }
      r = this.poolLo[i]!;
    }
    return r;
  }
  regsHi(depth: number): Int32Array {
    return this.poolHi[(this.runLevel - 1) * MAX_CALL_FRAMES + depth]!;
  }

  /** Forgets the cached region (the address space may have changed). */
  drop(): void {
    this.cLo = 1;
    this.cEnd = 0;
  }

  /** The view of a non-stack access (cached region, else checked); its offset in `o`. Throws the access's fault. */
  private view(pc: number, baseLo: number, baseHi: number, off: number, size: number, write: boolean): DataView {
    const lu = (baseLo >>> 0) + off;
    if (baseHi === this.cHi && lu >= this.cLo && lu + size <= this.cEnd && (this.cW || !write)) {
      this.o = lu - this.cLo;
      return this.cView;
    }
    const r = checkedRegion(this.mem, pc, baseLo, baseHi, off, size, write);
    this.cHi = r.hi | 0;
    this.cLo = r.lo;
    this.cEnd = r.lo + r.size;
    this.cW = r.writable;
    this.cView = r.view;
    this.o = ((baseLo + off) >>> 0) - r.lo;
    return r.view;
  }

  /** A bpf-to-bpf call from `pc` (frame `depth`) to slot `target`: r1..r5 passed, r0 returned, r6..r9 and the frame kept. */
  callLocal(lp: LoadedProgram, pc: number, target: number, depth: number, lo: Int32Array, hi: Int32Array): void {
    if (depth + 1 >= MAX_CALL_FRAMES) throw new VmFault(FaultKind.STACK, pc, `call nesting deeper than ${MAX_CALL_FRAMES} frames`, "E2BIG");
    if (target < 0 || target >= lp.slots) throw new VmFault(FaultKind.CALL, pc, `call to slot ${target}, outside the program`, "EINVAL");
    const clo = this.regsLo(depth + 1);
    const chi = this.regsHi(depth + 1);
    // Unrolled (r0 and r6..r11 zero, r1..r5 the arguments): loops cost more than the copy.
    clo[0] = 0; clo[1] = lo[1]!; clo[2] = lo[2]!; clo[3] = lo[3]!; clo[4] = lo[4]!; clo[5] = lo[5]!;
    clo[6] = 0; clo[7] = 0; clo[8] = 0; clo[9] = 0; clo[10] = 0; clo[11] = 0;
    chi[0] = 0; chi[1] = hi[1]!; chi[2] = hi[2]!; chi[3] = hi[3]!; chi[4] = hi[4]!; chi[5] = hi[5]!;
    chi[6] = 0; chi[7] = 0; chi[8] = 0; chi[9] = 0; chi[10] = 0; chi[11] = 0;
    this.exec(lp, target, depth + 1, clo, chi, false);
    lo[0] = clo[0]!;
    hi[0] = chi[0]!;
    // Restore this frame's r10 (exec of the callee set its own).
    lo[10] = (this.frameLo[depth]! + STACK_SIZE) | 0;
    hi[10] = this.frameHi[depth]!;
  }

  /**
   * Executes from slot `pc` in call depth `depth` with registers lo/hi; leaves r0 in lo[0]/hi[0].
   * `keepFp`: r10 is given in lo/hi (the JIT's fallback) instead of set to the frame's top.
   */
  exec(lp: LoadedProgram, pc: number, depth: number, lo: Int32Array, hi: Int32Array, keepFp: boolean): void {
    // The frame's stack: accesses inside it need no lookup.
    const fHi = this.frameHi[depth]!;
    const fLo = this.frameLo[depth]!;
    const fEnd = fLo + STACK_SIZE;
    const fView = this.frameView[depth]!;
    if (!keepFp) {
      lo[10] = fEnd | 0;
      hi[10] = fHi;
    }
    let ws = lp.xw;
    let imms = lp.imm;
    let slots = lp.slots;
    let b = this.budgetLeft;
    for (;;) {
      // No bounds check here: a pc outside the program reads xw's 0 past the end (or
      // undefined before the start) and lands in `default`, which faults as the
      // check would have, before charging the budget.
      if (--b < 0) {
        this.budgetLeft = 0;
        if (pc >>> 0 >= slots) throw jumpOut(pc, slots);
        throw new VmFault(FaultKind.BUDGET, pc, "instruction budget exhausted", "E2BIG");
      }
      // One word per slot: opcode | dst << 8 | src << 12 | off << 16.
      const w = ws[pc]!;
      switch (w & 0xff) {
        // ---- ALU64, immediate -------------------------------------------
        case 0x07: {
          // add
          const d = (w >>> 8) & 15;
          const i = imms[pc]!;
          const a = lo[d]!;
          const r = (a + i) | 0;
          lo[d] = r;
          hi[d] = (hi[d]! + (i >> 31) + (r >>> 0 < a >>> 0 ? 1 : 0)) | 0;
          break;
        }
        case 0x17: {
          // sub
          const d = (w >>> 8) & 15;
          const i = imms[pc]!;
          const a = lo[d]!;
          lo[d] = (a - i) | 0;
          hi[d] = (hi[d]! - (i >> 31) - (a >>> 0 < i >>> 0 ? 1 : 0)) | 0;
          break;
        }
        case 0x27: {
          // mul
          const d = (w >>> 8) & 15;
          const i = imms[pc]!;
          const a = lo[d]!;
          lo[d] = Math.imul(a, i);
          hi[d] = (mulhu32(a, i) + Math.imul(hi[d]!, i) + Math.imul(a, i >> 31)) | 0;
          break;
        }
        case 0x37: {
          // div, sdiv (off 1)
          const d = (w >>> 8) & 15;
          const i = imms[pc]!;
          const t = this.tmp;
          if (w >> 16 === 1) sdivmod64(t, lo[d]!, hi[d]!, i, i >> 31, 0);
          else udivmod64(t, lo[d]!, hi[d]!, i, i >> 31, 0);
          lo[d] = t[0]!;
          hi[d] = t[1]!;
          break;
        }
        case 0x97: {
          // mod, smod (off 1)
          const d = (w >>> 8) & 15;
          const i = imms[pc]!;
          const t = this.tmp;
          if (w >> 16 === 1) sdivmod64(t, lo[d]!, hi[d]!, i, i >> 31, 1);
          else udivmod64(t, lo[d]!, hi[d]!, i, i >> 31, 1);
          lo[d] = t[0]!;
          hi[d] = t[1]!;
          break;
        }
        case 0x47: {
          const d = (w >>> 8) & 15;
          const i = imms[pc]!;
          lo[d] = lo[d]! | i;
          hi[d] = hi[d]! | (i >> 31);
          break;
        }
        case 0x57: {
          const d = (w >>> 8) & 15;
          const i = imms[pc]!;
          lo[d] = lo[d]! & i;
          hi[d] = hi[d]! & (i >> 31);
          break;
        }
        case 0xa7: {
          const d = (w >>> 8) & 15;
          const i = imms[pc]!;
          lo[d] = lo[d]! ^ i;
          hi[d] = hi[d]! ^ (i >> 31);
          break;
        }
        case 0x67:
          shl64(lo, hi, ((w >>> 8) & 15), imms[pc]! & 63);
          break;
        case 0x77:
          shr64(lo, hi, ((w >>> 8) & 15), imms[pc]! & 63);
          break;
        case 0xc7:
          sar64(lo, hi, ((w >>> 8) & 15), imms[pc]! & 63);
          break;
        case 0x87:
        case 0x8f: {
          // neg (the source bit is ignored)
          const d = (w >>> 8) & 15;
          const a = lo[d]!;
          lo[d] = -a | 0;
          hi[d] = (-hi[d]! - (a !== 0 ? 1 : 0)) | 0;
          break;
        }
        case 0xb7: {
          // mov (off ignored)
          const d = (w >>> 8) & 15;
          const i = imms[pc]!;
          lo[d] = i;
          hi[d] = i >> 31;
          break;
        }
        case 0xd7:
        case 0xdf:
          // bswap (ALU64 END): unconditional byte swap of the low imm bits
          bswap64(lo, hi, ((w >>> 8) & 15), imms[pc]!);
          break;
        // ---- ALU64, register --------------------------------------------
        case 0x0f: {
          const d = (w >>> 8) & 15;
          const s = (w >>> 12) & 15;
          const a = lo[d]!;
          const r = (a + lo[s]!) | 0;
          lo[d] = r;
          hi[d] = (hi[d]! + hi[s]! + (r >>> 0 < a >>> 0 ? 1 : 0)) | 0;
          break;
        }
        case 0x1f: {
          const d = (w >>> 8) & 15;
          const s = (w >>> 12) & 15;
          const a = lo[d]!;
          const x = lo[s]!;
          lo[d] = (a - x) | 0;
          hi[d] = (hi[d]! - hi[s]! - (a >>> 0 < x >>> 0 ? 1 : 0)) | 0;
          break;
        }
        case 0x2f: {
          const d = (w >>> 8) & 15;
          const s = (w >>> 12) & 15;
          const a = lo[d]!;
          const x = lo[s]!;
          hi[d] = (mulhu32(a, x) + Math.imul(hi[d]!, x) + Math.imul(a, hi[s]!)) | 0;
          lo[d] = Math.imul(a, x);
          break;
        }
        case 0x3f: {
          const d = (w >>> 8) & 15;
          const s = (w >>> 12) & 15;
          const t = this.tmp;
          if (w >> 16 === 1) sdivmod64(t, lo[d]!, hi[d]!, lo[s]!, hi[s]!, 0);
          else udivmod64(t, lo[d]!, hi[d]!, lo[s]!, hi[s]!, 0);
          lo[d] = t[0]!;
          hi[d] = t[1]!;
          break;
        }
        case 0x9f: {
          const d = (w >>> 8) & 15;
          const s = (w >>> 12) & 15;
          const t = this.tmp;
          if (w >> 16 === 1) sdivmod64(t, lo[d]!, hi[d]!, lo[s]!, hi[s]!, 1);
          else udivmod64(t, lo[d]!, hi[d]!, lo[s]!, hi[s]!, 1);
          lo[d] = t[0]!;
          hi[d] = t[1]!;
          break;
        }
        case 0x4f: {
          const d = (w >>> 8) & 15;
          const s = (w >>> 12) & 15;
          lo[d] = lo[d]! | lo[s]!;
          hi[d] = hi[d]! | hi[s]!;
          break;
        }
        case 0x5f: {
          const d = (w >>> 8) & 15;
          const s = (w >>> 12) & 15;
          lo[d] = lo[d]! & lo[s]!;
          hi[d] = hi[d]! & hi[s]!;
          break;
        }
        case 0xaf: {
          const d = (w >>> 8) & 15;
          const s = (w >>> 12) & 15;
          lo[d] = lo[d]! ^ lo[s]!;
          hi[d] = hi[d]! ^ hi[s]!;
          break;
        }
        case 0x6f:
          shl64(lo, hi, ((w >>> 8) & 15), lo[(w >>> 12) & 15]! & 63);
          break;
        case 0x7f:
          shr64(lo, hi, ((w >>> 8) & 15), lo[(w >>> 12) & 15]! & 63);
          break;
        case 0xcf:
          sar64(lo, hi, ((w >>> 8) & 15), lo[(w >>> 12) & 15]! & 63);
          break;
        case 0xbf: {
          // mov, movsx (off 8, 16, 32)
          const d = (w >>> 8) & 15;
          const s = (w >>> 12) & 15;
          const off = w >> 16;
          const x = lo[s]!;
          if (off === 0) {
            lo[d] = x;
            hi[d] = hi[s]!;
          } else if (off === 8) {
            lo[d] = (x << 24) >> 24;
            hi[d] = x << 24 >> 31;
          } else if (off === 16) {
            lo[d] = (x << 16) >> 16;
            hi[d] = x << 16 >> 31;
          } else if (off === 32) {
            lo[d] = x;
            hi[d] = x >> 31;
          } else {
            lo[d] = x;
            hi[d] = hi[s]!;
          }
          break;
        }
        // ---- ALU (32-bit): results zero-extended ------------------------
        case 0x04:
          lo[(w >>> 8) & 15] = (lo[(w >>> 8) & 15]! + imms[pc]!) | 0;
          hi[(w >>> 8) & 15] = 0;
          break;
        case 0x0c:
          lo[(w >>> 8) & 15] = (lo[(w >>> 8) & 15]! + lo[(w >>> 12) & 15]!) | 0;
          hi[(w >>> 8) & 15] = 0;
          break;
        case 0x14:
          lo[(w >>> 8) & 15] = (lo[(w >>> 8) & 15]! - imms[pc]!) | 0;
          hi[(w >>> 8) & 15] = 0;
          break;
        case 0x1c:
          lo[(w >>> 8) & 15] = (lo[(w >>> 8) & 15]! - lo[(w >>> 12) & 15]!) | 0;
          hi[(w >>> 8) & 15] = 0;
          break;
        case 0x24:
          lo[(w >>> 8) & 15] = Math.imul(lo[(w >>> 8) & 15]!, imms[pc]!);
          hi[(w >>> 8) & 15] = 0;
          break;
        case 0x2c:
          lo[(w >>> 8) & 15] = Math.imul(lo[(w >>> 8) & 15]!, lo[(w >>> 12) & 15]!);
          hi[(w >>> 8) & 15] = 0;
          break;
        case 0x34:
        case 0x3c: {
          const d = (w >>> 8) & 15;
          const a = lo[d]!;
          const x = (w & 0xff) === 0x34 ? imms[pc]! : lo[(w >>> 12) & 15]!;
          lo[d] = w >> 16 === 1 ? sdiv32(a, x) : x === 0 ? 0 : ((a >>> 0) / (x >>> 0)) | 0;
          hi[d] = 0;
          break;
        }
        case 0x94:
        case 0x9c: {
          const d = (w >>> 8) & 15;
          const a = lo[d]!;
          const x = (w & 0xff) === 0x94 ? imms[pc]! : lo[(w >>> 12) & 15]!;
          lo[d] = w >> 16 === 1 ? smod32(a, x) : x === 0 ? a : ((a >>> 0) % (x >>> 0)) | 0;
          hi[d] = 0;
          break;
        }
        case 0x44:
          lo[(w >>> 8) & 15] = lo[(w >>> 8) & 15]! | imms[pc]!;
          hi[(w >>> 8) & 15] = 0;
          break;
        case 0x4c:
          lo[(w >>> 8) & 15] = lo[(w >>> 8) & 15]! | lo[(w >>> 12) & 15]!;
          hi[(w >>> 8) & 15] = 0;
          break;
        case 0x54:
          lo[(w >>> 8) & 15] = lo[(w >>> 8) & 15]! & imms[pc]!;
          hi[(w >>> 8) & 15] = 0;
          break;
        case 0x5c:
          lo[(w >>> 8) & 15] = lo[(w >>> 8) & 15]! & lo[(w >>> 12) & 15]!;
          hi[(w >>> 8) & 15] = 0;
          break;
        case 0xa4:
          lo[(w >>> 8) & 15] = lo[(w >>> 8) & 15]! ^ imms[pc]!;
          hi[(w >>> 8) & 15] = 0;
          break;
        case 0xac:
          lo[(w >>> 8) & 15] = lo[(w >>> 8) & 15]! ^ lo[(w >>> 12) & 15]!;
          hi[(w >>> 8) & 15] = 0;
          break;
        case 0x64:
          lo[(w >>> 8) & 15] = lo[(w >>> 8) & 15]! << (imms[pc]! & 31);
          hi[(w >>> 8) & 15] = 0;
          break;
        case 0x6c:
          lo[(w >>> 8) & 15] = lo[(w >>> 8) & 15]! << (lo[(w >>> 12) & 15]! & 31);
          hi[(w >>> 8) & 15] = 0;
          break;
        case 0x74:
          lo[(w >>> 8) & 15] = lo[(w >>> 8) & 15]! >>> (imms[pc]! & 31);
          hi[(w >>> 8) & 15] = 0;
          break;
        case 0x7c:
          lo[(w >>> 8) & 15] = lo[(w >>> 8) & 15]! >>> (lo[(w >>> 12) & 15]! & 31);
          hi[(w >>> 8) & 15] = 0;
          break;
        case 0xc4:
          lo[(w >>> 8) & 15] = lo[(w >>> 8) & 15]! >> (imms[pc]! & 31);
          hi[(w >>> 8) & 15] = 0;
          break;
        case 0xcc:
          lo[(w >>> 8) & 15] = lo[(w >>> 8) & 15]! >> (lo[(w >>> 12) & 15]! & 31);
          hi[(w >>> 8) & 15] = 0;
          break;
        case 0x84:
        case 0x8c:
          lo[(w >>> 8) & 15] = -lo[(w >>> 8) & 15]! | 0;
          hi[(w >>> 8) & 15] = 0;
          break;
        case 0xb4:
          lo[(w >>> 8) & 15] = imms[pc]!;
          hi[(w >>> 8) & 15] = 0;
          break;
        case 0xbc: {
          // mov32, movsx32 (off 8, 16)
          const x = lo[(w >>> 12) & 15]!;
          const off = w >> 16;
          lo[(w >>> 8) & 15] = off === 8 ? (x << 24) >> 24 : off === 16 ? (x << 16) >> 16 : x;
          hi[(w >>> 8) & 15] = 0;
          break;
        }
        case 0xd4: {
          // le16/32 truncate, le64 is a no-op
          const d = (w >>> 8) & 15;
          const width = imms[pc]!;
          if (width === 16) {
            lo[d] = lo[d]! & 0xffff;
            hi[d] = 0;
          } else if (width === 32) hi[d] = 0;
          break;
        }
        case 0xdc: {
          // be16/32/64: byte swaps (the host is little-endian)
          const d = (w >>> 8) & 15;
          const width = imms[pc]!;
          if (width === 16) {
            lo[d] = bswap16(lo[d]!);
            hi[d] = 0;
          } else if (width === 32) {
            lo[d] = bswap32(lo[d]!);
            hi[d] = 0;
          } else {
            const h = hi[d]!;
            hi[d] = bswap32(lo[d]!);
            lo[d] = bswap32(h);
          }
          break;
        }
        // ---- jumps ------------------------------------------------------
        case 0x05:
        case 0x0d:
          pc += w >> 16;
          break;
        case 0x06:
        case 0x0e:
          pc += imms[pc]!;
          break;
        case 0x15: {
          // JEQ imm
          const d = (w >>> 8) & 15;
          const i = imms[pc]!;
          if (lo[d]! === i && hi[d]! === i >> 31) pc += w >> 16;
          break;
        }
        case 0x1d: {
          // JEQ reg
          const d = (w >>> 8) & 15;
          const s = (w >>> 12) & 15;
          if (lo[d]! === lo[s]! && hi[d]! === hi[s]!) pc += w >> 16;
          break;
        }
        case 0x25: {
          // JGT imm
          const d = (w >>> 8) & 15;
          const i = imms[pc]!;
          if (gtu64(lo[d]!, hi[d]!, i, i >> 31)) pc += w >> 16;
          break;
        }
        case 0x2d: {
          // JGT reg
          const d = (w >>> 8) & 15;
          const s = (w >>> 12) & 15;
          if (gtu64(lo[d]!, hi[d]!, lo[s]!, hi[s]!)) pc += w >> 16;
          break;
        }
        case 0x35: {
          // JGE imm
          const d = (w >>> 8) & 15;
          const i = imms[pc]!;
          if (geu64(lo[d]!, hi[d]!, i, i >> 31)) pc += w >> 16;
          break;
        }
        case 0x3d: {
          // JGE reg
          const d = (w >>> 8) & 15;
          const s = (w >>> 12) & 15;
          if (geu64(lo[d]!, hi[d]!, lo[s]!, hi[s]!)) pc += w >> 16;
          break;
        }
        case 0x45: {
          // JSET imm
          const d = (w >>> 8) & 15;
          const i = imms[pc]!;
          if ((lo[d]! & i) !== 0 || (hi[d]! & i >> 31) !== 0) pc += w >> 16;
          break;
        }
        case 0x4d: {
          // JSET reg
          const d = (w >>> 8) & 15;
          const s = (w >>> 12) & 15;
          if ((lo[d]! & lo[s]!) !== 0 || (hi[d]! & hi[s]!) !== 0) pc += w >> 16;
          break;
        }
        case 0x55: {
          // JNE imm
          const d = (w >>> 8) & 15;
          const i = imms[pc]!;
          if (lo[d]! !== i || hi[d]! !== i >> 31) pc += w >> 16;
          break;
        }
        case 0x5d: {
          // JNE reg
          const d = (w >>> 8) & 15;
          const s = (w >>> 12) & 15;
          if (lo[d]! !== lo[s]! || hi[d]! !== hi[s]!) pc += w >> 16;
          break;
        }
        case 0x65: {
          // JSGT imm
          const d = (w >>> 8) & 15;
          const i = imms[pc]!;
          if (gts64(lo[d]!, hi[d]!, i, i >> 31)) pc += w >> 16;
          break;
        }
        case 0x6d: {
          // JSGT reg
          const d = (w >>> 8) & 15;
          const s = (w >>> 12) & 15;
          if (gts64(lo[d]!, hi[d]!, lo[s]!, hi[s]!)) pc += w >> 16;
          break;
        }
        case 0x75: {
          // JSGE imm
          const d = (w >>> 8) & 15;
          const i = imms[pc]!;
          if (ges64(lo[d]!, hi[d]!, i, i >> 31)) pc += w >> 16;
          break;
        }
        case 0x7d: {
          // JSGE reg
          const d = (w >>> 8) & 15;
          const s = (w >>> 12) & 15;
          if (ges64(lo[d]!, hi[d]!, lo[s]!, hi[s]!)) pc += w >> 16;
          break;
        }
        case 0xa5: {
          // JLT imm
          const d = (w >>> 8) & 15;
          const i = imms[pc]!;
          if (gtu64(i, i >> 31, lo[d]!, hi[d]!)) pc += w >> 16;
          break;
        }
        case 0xad: {
          // JLT reg
          const d = (w >>> 8) & 15;
          const s = (w >>> 12) & 15;
          if (gtu64(lo[s]!, hi[s]!, lo[d]!, hi[d]!)) pc += w >> 16;
          break;
        }
        case 0xb5: {
          // JLE imm
          const d = (w >>> 8) & 15;
          const i = imms[pc]!;
          if (geu64(i, i >> 31, lo[d]!, hi[d]!)) pc += w >> 16;
          break;
        }
        case 0xbd: {
          // JLE reg
          const d = (w >>> 8) & 15;
          const s = (w >>> 12) & 15;
          if (geu64(lo[s]!, hi[s]!, lo[d]!, hi[d]!)) pc += w >> 16;
          break;
        }
        case 0xc5: {
          // JSLT imm
          const d = (w >>> 8) & 15;
          const i = imms[pc]!;
          if (gts64(i, i >> 31, lo[d]!, hi[d]!)) pc += w >> 16;
          break;
        }
        case 0xcd: {
          // JSLT reg
          const d = (w >>> 8) & 15;
          const s = (w >>> 12) & 15;
          if (gts64(lo[s]!, hi[s]!, lo[d]!, hi[d]!)) pc += w >> 16;
          break;
        }
        case 0xd5: {
          // JSLE imm
          const d = (w >>> 8) & 15;
          const i = imms[pc]!;
          if (ges64(i, i >> 31, lo[d]!, hi[d]!)) pc += w >> 16;
          break;
        }
        case 0xdd: {
          // JSLE reg
          const d = (w >>> 8) & 15;
          const s = (w >>> 12) & 15;
          if (ges64(lo[s]!, hi[s]!, lo[d]!, hi[d]!)) pc += w >> 16;
          break;
        }
        case 0x16:
          // JEQ32 imm
          if (lo[(w >>> 8) & 15]! === imms[pc]!) pc += w >> 16;
          break;
        case 0x1e:
          // JEQ32 reg
          if (lo[(w >>> 8) & 15]! === lo[(w >>> 12) & 15]!) pc += w >> 16;
          break;
        case 0x26:
          // JGT32 imm
          if (lo[(w >>> 8) & 15]! >>> 0 > imms[pc]! >>> 0) pc += w >> 16;
          break;
        case 0x2e:
          // JGT32 reg
          if (lo[(w >>> 8) & 15]! >>> 0 > lo[(w >>> 12) & 15]! >>> 0) pc += w >> 16;
          break;
        case 0x36:
          // JGE32 imm
          if (lo[(w >>> 8) & 15]! >>> 0 >= imms[pc]! >>> 0) pc += w >> 16;
          break;
        case 0x3e:
          // JGE32 reg
          if (lo[(w >>> 8) & 15]! >>> 0 >= lo[(w >>> 12) & 15]! >>> 0) pc += w >> 16;
          break;
        case 0x46:
          // JSET32 imm
          if ((lo[(w >>> 8) & 15]! & imms[pc]!) !== 0) pc += w >> 16;
          break;
        case 0x4e:
          // JSET32 reg
          if ((lo[(w >>> 8) & 15]! & lo[(w >>> 12) & 15]!) !== 0) pc += w >> 16;
          break;
        case 0x56:
          // JNE32 imm
          if (lo[(w >>> 8) & 15]! !== imms[pc]!) pc += w >> 16;
          break;
        case 0x5e:
          // JNE32 reg
          if (lo[(w >>> 8) & 15]! !== lo[(w >>> 12) & 15]!) pc += w >> 16;
          break;
        case 0x66:
          // JSGT32 imm
          if (lo[(w >>> 8) & 15]! > imms[pc]!) pc += w >> 16;
          break;
        case 0x6e:
          // JSGT32 reg
          if (lo[(w >>> 8) & 15]! > lo[(w >>> 12) & 15]!) pc += w >> 16;
          break;
        case 0x76:
          // JSGE32 imm
          if (lo[(w >>> 8) & 15]! >= imms[pc]!) pc += w >> 16;
          break;
        case 0x7e:
          // JSGE32 reg
          if (lo[(w >>> 8) & 15]! >= lo[(w >>> 12) & 15]!) pc += w >> 16;
          break;
        case 0xa6:
          // JLT32 imm
          if (lo[(w >>> 8) & 15]! >>> 0 < imms[pc]! >>> 0) pc += w >> 16;
          break;
        case 0xae:
          // JLT32 reg
          if (lo[(w >>> 8) & 15]! >>> 0 < lo[(w >>> 12) & 15]! >>> 0) pc += w >> 16;
          break;
        case 0xb6:
          // JLE32 imm
          if (lo[(w >>> 8) & 15]! >>> 0 <= imms[pc]! >>> 0) pc += w >> 16;
          break;
        case 0xbe:
          // JLE32 reg
          if (lo[(w >>> 8) & 15]! >>> 0 <= lo[(w >>> 12) & 15]! >>> 0) pc += w >> 16;
          break;
        case 0xc6:
          // JSLT32 imm
          if (lo[(w >>> 8) & 15]! < imms[pc]!) pc += w >> 16;
          break;
        case 0xce:
          // JSLT32 reg
          if (lo[(w >>> 8) & 15]! < lo[(w >>> 12) & 15]!) pc += w >> 16;
          break;
        case 0xd6:
          // JSLE32 imm
          if (lo[(w >>> 8) & 15]! <= imms[pc]!) pc += w >> 16;
          break;
        case 0xde:
          // JSLE32 reg
          if (lo[(w >>> 8) & 15]! <= lo[(w >>> 12) & 15]!) pc += w >> 16;
          break;
        // ---- calls and exit -----------------------------------------------
        case 0x85:
        case 0x8d:
        case 0x86:
        case 0x8e: {
          this.budgetLeft = b;
          const code = w & 0xff;
          const sr = (w >>> 12) & 15;
          if (code === 0x85 && sr === 2) throw new VmFault(FaultKind.CALL, pc, `kfunc calls (BTF id ${imms[pc]}) are not supported`, "EINVAL");
          if (code === 0x85 && sr === 1) {
            this.callLocal(lp, pc, pc + imms[pc]! + 1, depth, lo, hi);
            b = this.budgetLeft;
            this.drop();
            break;
          }
          // Helper by id; callx (0x8d) takes the id from the register in dst.
          const next = this.calls!.helper(lp, pc, depth, code === 0x85 ? imms[pc]! : lo[(w >>> 8) & 15]!, lo, hi);
          b = this.budgetLeft;
          this.drop();
          if (next !== undefined) {
            // Tail call: the target replaces this program; r1 (ctx) stays, the frame is reused.
            lp = next;
            ws = lp.xw;
            imms = lp.imm;
            slots = lp.slots;
            pc = 0;
            continue;
          }
          break;
        }
        case 0x95:
        case 0x9d:
        case 0x96:
        case 0x9e:
          this.budgetLeft = b;
          return;
        // ---- 64-bit immediate load ----------------------------------------
        case 0x18:
          lo[(w >>> 8) & 15] = lp.ldLo[pc]!;
          hi[(w >>> 8) & 15] = lp.ldHi[pc]!;
          pc++;
          break;
        // ---- loads ----------------------------------------------------------
        case 0x61:
        case 0x69:
        case 0x71:
        case 0x79:
        case 0x81:
        case 0x89:
        case 0x91: {
          const code = w & 0xff;
          const size = LOAD_SIZE[code]!;
          const base = lo[(w >>> 12) & 15]!;
          const h = hi[(w >>> 12) & 15]!;
          const lu = (base >>> 0) + (w >> 16);
          let v = fView;
          let o = lu - fLo;
          if (h !== fHi || lu < fLo || lu + size > fEnd) {
            this.budgetLeft = b;
            v = this.view(pc, base, h, w >> 16, size, false);
            o = this.o;
          }
          const d = (w >>> 8) & 15;
          switch (code) {
            case 0x61:
              lo[d] = v.getInt32(o, true);
              hi[d] = 0;
              break;
            case 0x69:
              lo[d] = v.getUint16(o, true);
              hi[d] = 0;
              break;
            case 0x71:
              lo[d] = v.getUint8(o);
              hi[d] = 0;
              break;
            case 0x79:
              lo[d] = v.getInt32(o, true);
              hi[d] = v.getInt32(o + 4, true);
              break;
            case 0x81:
              lo[d] = v.getInt32(o, true);
              hi[d] = lo[d]! >> 31;
              break;
            case 0x89:
              lo[d] = v.getInt16(o, true);
              hi[d] = lo[d]! >> 31;
              break;
            default:
              lo[d] = v.getInt8(o);
              hi[d] = lo[d]! >> 31;
          }
          break;
        }
        // ---- stores: ST (immediate) and STX (register) ----------------------
        case 0x62:
        case 0x6a:
        case 0x72:
        case 0x7a:
        case 0x63:
        case 0x6b:
        case 0x73:
        case 0x7b: {
          const code = w & 0xff;
          const size = STORE_SIZE[code]!;
          const d = (w >>> 8) & 15;
          const base = lo[d]!;
          const h = hi[d]!;
          const lu = (base >>> 0) + (w >> 16);
          let v = fView;
          let o = lu - fLo;
          if (h !== fHi || lu < fLo || lu + size > fEnd) {
            this.budgetLeft = b;
            v = this.view(pc, base, h, w >> 16, size, true);
            o = this.o;
          }
          const stx = (code & 1) !== 0;
          const vl = stx ? lo[(w >>> 12) & 15]! : imms[pc]!;
          switch (size) {
            case 4:
              v.setInt32(o, vl, true);
              break;
            case 8:
              v.setInt32(o, vl, true);
              v.setInt32(o + 4, stx ? hi[(w >>> 12) & 15]! : imms[pc]! >> 31, true);
              break;
            case 2:
              v.setUint16(o, vl & 0xffff, true);
              break;
            default:
              v.setUint8(o, vl & 0xff);
          }
          break;
        }
        default:
          if (pc >>> 0 >= slots) {
            this.budgetLeft = b + 1;
            throw jumpOut(pc, slots);
          }
          // Everything else (atomics, probe loads, kernel stores, unusual encodings): the reference step.
          this.budgetLeft = b;
          pc = this.generic.step(lp, pc, lo, hi);
          continue;
      }
      pc++;
    }
  }
}

/** The fault of a jump (or a fall) out of the program. */
function jumpOut(pc: number, slots: number): VmFault {
  return new VmFault(FaultKind.CALL, pc, `jump out of the program (${slots} slots)`, "EINVAL");
}

/** Bytes of the loads (LDX MEM/MEMSX) and stores (ST/STX MEM) the loop handles, by opcode. */
const LOAD_SIZE = new Uint8Array(256);
const STORE_SIZE = new Uint8Array(256);
for (const [code, size] of [[0x61, 4], [0x69, 2], [0x71, 1], [0x79, 8], [0x81, 4], [0x89, 2], [0x91, 1]] as const) LOAD_SIZE[code] = size;
for (const [code, size] of [[0x62, 4], [0x6a, 2], [0x72, 1], [0x7a, 8], [0x63, 4], [0x6b, 2], [0x73, 1], [0x7b, 8]] as const) STORE_SIZE[code] = size;

/** r[d] <<= n (0 <= n < 64). */
function shl64(lo: Int32Array, hi: Int32Array, d: number, n: number): void {
  const l = lo[d]!;
  if (n === 0) return;
  if (n < 32) {
    hi[d] = (hi[d]! << n) | (l >>> (32 - n));
    lo[d] = l << n;
  } else {
    hi[d] = l << (n - 32);
    lo[d] = 0;
  }
}

/** r[d] >>>= n (0 <= n < 64). */
function shr64(lo: Int32Array, hi: Int32Array, d: number, n: number): void {
  const h = hi[d]!;
  if (n === 0) return;
  if (n < 32) {
    lo[d] = (lo[d]! >>> n) | (h << (32 - n));
    hi[d] = h >>> n;
  } else {
    lo[d] = h >>> (n - 32);
    hi[d] = 0;
  }
}

/** r[d] >>= n, arithmetic (0 <= n < 64). */
function sar64(lo: Int32Array, hi: Int32Array, d: number, n: number): void {
  const h = hi[d]!;
  if (n === 0) return;
  if (n < 32) {
    lo[d] = (lo[d]! >>> n) | (h << (32 - n));
    hi[d] = h >> n;
  } else {
    lo[d] = h >> (n - 32);
    hi[d] = h >> 31;
  }
}

/** ALU64 END (bswap): swaps the low `width` bits of r[d], zero-extending 16 and 32. */
function bswap64(lo: Int32Array, hi: Int32Array, d: number, width: number): void {
  const l = lo[d]!;
  if (width === 16) {
    lo[d] = bswap16(l);
    hi[d] = 0;
  } else if (width === 32) {
    lo[d] = bswap32(l);
    hi[d] = 0;
  } else {
    lo[d] = bswap32(hi[d]!);
    hi[d] = bswap32(l);
  }
}
