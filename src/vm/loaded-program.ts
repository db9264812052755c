// A program as loaded into the VM: what the interpreter and the JIT share
// (decoded slots in typed arrays, resolved lddw values, BPF_PROBE_MEM
// slots, the compiled code attached by the JIT), below both of them so that
// neither imports the other for it; and loadProgram(), which decodes once
// into that form.
import { InsnError } from "./errors.js";
import type { Program } from "./isa/instruction.js";
import { LDDW, PseudoLd } from "./isa/opcodes.js";
import { CODE_ADDRESS_HI } from "./limits.js";

/**
 * The kernel's BPF_REG_AX: an eleventh general register, r11, that only
 * instructions the verifier generates use (a socket filter's converted
 * skb_shinfo() reads); programs cannot name it. Register files have
 * REG_FILE_SIZE entries, r0..r11.
 */
export const BPF_REG_AX = 11;
export const REG_FILE_SIZE = 12;

/** What the JIT attached to a loaded program; src/vm/jit/runtime.ts's JitProgram extends it. */
export interface CompiledCode {
  /** The generated JavaScript (`prog dump --jited`). */
  readonly source: string;
}

/** A program ready to run: decoded slots flattened into typed arrays, lddw values resolved. */
export interface LoadedProgram {
  readonly name: string;
  readonly program: Program;
  readonly slots: number;
  readonly op: Uint8Array;
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  readonly off: Int16Array;
  readonly imm: Int32Array;
  /** For an lddw at slot i: its resolved 64-bit value's halves. */
  readonly ldLo: Int32Array;
  readonly ldHi: Int32Array;
  /**
   * 1 at the slots of BPF_PROBE_MEM loads (through typed kernel pointers):
   * outside the VM's regions they read kernel memory, and a fault reads 0
   * instead of stopping the program, as the kernel's exception tables do.
   * 2 at the slots of stores into kernel memory (a socket filter's
   * converted __sk_buff->cb[] stores), written through KernelEnv.writeKernel.
   */
  readonly probe: Uint8Array;
  /**
   * The interpreter's word per slot: opcode | dst << 8 | src << 12 | off << 16
   * (one load instead of four), with opcode 0 at the loads and stores
   * `probe` marks (they take the interpreter's generic path), so the fast
   * path never looks at `probe`; one more 0 after the last slot, where a
   * fall off the end lands.
   */
  readonly xw: Int32Array;
  /**
   * The program compiled to JavaScript (src/vm/jit, whose jitOf() gives its
   * full type), when the interpreter that loaded it has the JIT on;
   * `jitted.source` is the generated code. run() uses it transparently, with
   * identical results, faults and counts.
   */
  jitted?: CompiledCode;
  /** Why compiling failed (the program then runs in the interpreter). */
  jitError?: string;
  /** Budget of a run that names none (LoadOptions.budget); absent: the interpreter's default. */
  budget?: number;
  /** Time the JIT took at load (ms). */
  jitTimeMs?: number;
}

/** Resolves the value of an lddw whose src is not 0 (map fd, map value, ...): the loader knows the maps. */
export type PseudoResolver = (src: number, imm: number, imm2: number, slot: number) => bigint;

/** A map that tail calls can jump through (a prog_array). */
export interface TailCallTable {
  progAt(index: number): LoadedProgram | undefined;
}

export interface LoadProgramOptions {
  /** Slots of BPF_PROBE_MEM loads. */
  probeMem?: readonly number[];
  /** Slots of stores into kernel memory. */
  kernelStores?: readonly number[];
}

/**
 * Flattens a decoded program into a LoadedProgram and resolves its lddw
 * values (src 0: the immediate; src 4: a subprogram's code address; others
 * through `resolve`). Throws InsnError for a pseudo load nothing resolves.
 * Every field is present from the start (one hidden class for all loaded
 * programs keeps the run paths monomorphic).
 */
export function loadProgram(program: Program, name: string, resolve: PseudoResolver | undefined, options: LoadProgramOptions = {}): LoadedProgram {
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
    xw: new Int32Array(slots + 1),
    jitted: undefined,
    jitError: undefined,
    budget: undefined,
    jitTimeMs: undefined,
  };
  for (const s of options.probeMem ?? []) if (s >= 0 && s < slots) lp.probe[s] = 1;
  for (const s of options.kernelStores ?? []) if (s >= 0 && s < slots) lp.probe[s] = 2;
  program.insns.forEach((insn, i) => {
    const s = program.slotOf[i]!;
    lp.op[s] = insn.opcode;
    // Classes LDX (1), ST (2), STX (3): the only ones `probe` changes.
    const cls = insn.opcode & 7;
    const code = lp.probe[s] !== 0 && cls >= 1 && cls <= 3 ? 0 : insn.opcode;
    lp.xw[s] = code | ((insn.dst & 15) << 8) | ((insn.src & 15) << 12) | (insn.off << 16);
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
  return lp;
}
