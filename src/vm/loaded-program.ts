// A program as loaded into the VM: what the interpreter and the JIT share
// (decoded slots in typed arrays, resolved lddw values, BPF_PROBE_MEM
// slots, the compiled code attached by the JIT), below both of them so that
// neither imports the other for it.
import type { Program } from "./isa/instruction.js";

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
