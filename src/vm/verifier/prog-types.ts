// Program types as the verifier sees them: what r1..r5 hold at entry, which
// context offsets may be read or written, which helpers may be called, and
// what r0 may hold at exit. "conformance" is the bpf_conformance contract
// (r1 = the test memory, r2 = its length, helper 5 = unwind); "tracing" is a
// kprobe/fentry-like type with a read-only u64 argument array as context;
// "socket_filter" is BPF_PROG_TYPE_SOCKET_FILTER, whose context is the
// kernel's sk_buff seen as struct __sk_buff (sk-buff-ctx.ts).
import { ArgType, RetType, type HelperProto } from "../helpers/abi.js";
import { helperProto } from "../helpers/protos.js";
import type { Instruction } from "../isa/instruction.js";
import { convertSkbAccess, skFilterCtxAccess, SK_BUFF_CTX_SIZE, type ConvertedInsn, type CtxAccess, type SkbLayout } from "./sk-buff-ctx.js";
import { constReg, NOT_INIT } from "./state.js";
import { RegType, type RegState } from "./types.js";

export interface ProgType {
  readonly name: string;
  /** r1..r5 at entry (index 0 = r1). */
  entryRegs(): RegState[];
  /** Context size in bytes (0: no context). */
  readonly ctxSize: number;
  /** Why a context access is refused, or undefined if allowed. */
  ctxAccess(off: number, size: number, write: boolean): string | undefined;
  /** The register an allowed context load at `off` yields when it is not a plain scalar (iterator contexts' typed pointers). */
  ctxLoad?(off: number, nextId: () => number, size: number): RegState | undefined;
  /** The prototype of helper `id` for this type, or undefined if it may not be called. */
  helper(id: number): HelperProto | undefined;
  /** Signed range r0 must be in at exit, if restricted. */
  readonly retRange?: { min: bigint; max: bigint };
  /** Whether r0 may hold a pointer at exit (privileged conformance programs return anything). */
  readonly pointerReturnOk: boolean;
  /** Whether callx (call by register) is allowed: only in the conformance suite's dialect. */
  readonly allowCallx: boolean;
  /**
   * Whether division by an immediate 0 and shifts by an immediate outside
   * the width are allowed (RFC 9669 defines their results; the conformance
   * suite tests them). Kernel program types refuse them ("div by zero",
   * "invalid shift N").
   */
  readonly rfcImmediates?: boolean;
  /** Whether LD_ABS/LD_IND may be used (the kernel's may_access_skb: socket filters, tc classifiers and actions). */
  readonly mayAccessSkb?: boolean;
  /**
   * After verification: the instructions a verified context access becomes
   * when the context is a kernel object (convert_ctx_accesses), or why it
   * cannot be converted. Absent: the context is VM memory, accessed as is.
   */
  convertCtxAccess?(access: CtxAccess, insn: Instruction): ConvertedInsn[] | string;
}

/** Helpers only programs with an skb context may call (sk_filter_func_proto and kin): skb_load_bytes, get_socket_cookie, get_socket_uid, skb_load_bytes_relative. */
export const SKB_HELPER_IDS: ReadonlySet<number> = new Set([26, 46, 47, 68]);

/** The helpers of tracing program types (kprobe, tracepoint, fentry...): every known helper but the skb ones. */
export function tracingHelperProto(id: number): HelperProto | undefined {
  return SKB_HELPER_IDS.has(id) ? undefined : helperProto(id);
}

/**
 * Helper ids a privileged socket filter may call (sk_filter_func_proto over
 * bpf_sk_base_func_proto and bpf_base_func_proto with CAP_BPF and
 * CAP_PERFMON), as Linux 6.18 answers for ids 1..211; those btfsnoop has a
 * prototype for are callable.
 */
const SOCKET_FILTER_HELPERS: ReadonlySet<number> = new Set([
  1, 2, 3, 5, 6, 7, 8, 12, 14, 15, 16, 17, 22, 25, 26, 35, 37, 42, 46, 47, 55, 68, 80, 87, 88, 89, 93, 94, 105, 106, 109, 112, 113, 114, 115, 117,
  118, 120, 122, 123, 125, 130, 131, 132, 133, 134, 136, 137, 138, 139, 140, 141, 148, 149, 153, 154, 156, 157, 158, 160, 164, 165, 169, 170, 171,
  172, 175, 176, 177, 178, 180, 181, 182, 191, 194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 208, 209, 210, 211,
]);

/**
 * BPF_PROG_TYPE_SOCKET_FILTER: r1 is the packet's sk_buff, accessed as
 * struct __sk_buff with the kernel's rules; after verification the
 * accesses are converted onto `layout` (the kernel's sk_buff from its BTF).
 * Any return value is allowed (the bytes kept; 0 drops the packet).
 */
export function socketFilterProgType(layout: SkbLayout | undefined): ProgType {
  return {
    name: "socket_filter",
    entryRegs: () => [{ type: RegType.PTR_TO_CTX, off: 0 }, NOT_INIT, NOT_INIT, NOT_INIT, NOT_INIT],
    ctxSize: SK_BUFF_CTX_SIZE,
    ctxAccess: skFilterCtxAccess,
    helper: (id) => (SOCKET_FILTER_HELPERS.has(id) ? helperProto(id) : undefined),
    pointerReturnOk: false,
    allowCallx: false,
    mayAccessSkb: true,
    convertCtxAccess: (access, insn) => (layout ? convertSkbAccess(layout, access, insn) : "no sk_buff layout to convert __sk_buff accesses onto"),
  };
}

const UNWIND: HelperProto = { id: 5, name: "unwind", ret: RetType.INTEGER, args: [ArgType.ANYTHING], gplOnly: false };

/** The conformance suite's program type with `memSize` bytes of test memory behind r1. */
export function conformanceProgType(memSize: number): ProgType {
  return {
    name: "conformance",
    rfcImmediates: true,
    entryRegs: () => [
      // The runtime passes NULL when there is no memory: a scalar 0, exactly.
      memSize > 0 ? { type: RegType.PTR_TO_MEM, off: 0, memSize, memWritable: true, scalar: constReg(0n).scalar } : constReg(0n),
      constReg(BigInt(memSize)),
      NOT_INIT,
      NOT_INIT,
      NOT_INIT,
    ],
    ctxSize: 0,
    ctxAccess: () => "the conformance program type has no context",
    helper: (id) => (id === UNWIND.id ? UNWIND : undefined),
    pointerReturnOk: true,
    allowCallx: true,
  };
}

/** A tracing program type whose context is `nargs` read-only u64 arguments (like fentry's `u64 ctx[]`). */
export function tracingProgType(nargs = 6): ProgType {
  const ctxSize = nargs * 8;
  return {
    name: "tracing",
    entryRegs: () => [{ type: RegType.PTR_TO_CTX, off: 0 }, NOT_INIT, NOT_INIT, NOT_INIT, NOT_INIT],
    ctxSize,
    ctxAccess: (off, size, write) => {
      if (write) return `invalid bpf_context access off=${off} size=${size}`;
      if (off < 0 || off + size > ctxSize || size !== 8 || off % 8 !== 0) return `invalid bpf_context access off=${off} size=${size}`;
      return undefined;
    },
    helper: tracingHelperProto,
    pointerReturnOk: false,
    allowCallx: false,
  };
}

/** A tracepoint program: its context is the event's record (read-only, `recordSize` bytes, as the format file lays it out). */
export function tracepointProgType(recordSize: number): ProgType {
  return {
    name: "tracepoint",
    entryRegs: () => [{ type: RegType.PTR_TO_CTX, off: 0 }, NOT_INIT, NOT_INIT, NOT_INIT, NOT_INIT],
    ctxSize: recordSize,
    ctxAccess: (off, size, write) => {
      if (write || off < 0 || off + size > recordSize || off % size !== 0) return `invalid bpf_context access off=${off} size=${size}`;
      return undefined;
    },
    helper: tracingHelperProto,
    pointerReturnOk: false,
    allowCallx: false,
  };
}

/** sizeof(struct pt_regs) on x86-64: 21 u64 registers. */
export const PT_REGS_SIZE = 21 * 8;

/** A kprobe program: its context is a read-only x86-64 `struct pt_regs`. */
export function kprobeProgType(): ProgType {
  return {
    name: "kprobe",
    entryRegs: () => [{ type: RegType.PTR_TO_CTX, off: 0 }, NOT_INIT, NOT_INIT, NOT_INIT, NOT_INIT],
    ctxSize: PT_REGS_SIZE,
    ctxAccess: (off, size, write) => {
      if (write || off < 0 || off + size > PT_REGS_SIZE || off % size !== 0) return `invalid bpf_context access off=${off} size=${size}`;
      return undefined;
    },
    helper: tracingHelperProto,
    pointerReturnOk: false,
    allowCallx: false,
  };
}
