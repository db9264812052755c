// Program types as the verifier sees them: what r1..r5 hold at entry, which
// context offsets may be read or written, which helpers may be called, and
// what r0 may hold at exit. "conformance" is the bpf_conformance contract
// (r1 = the test memory, r2 = its length, helper 5 = unwind); "tracing" is a
// fentry-like type (BPF_PROG_TYPE_TRACING) with a read-only u64 argument
// array as context; "raw_tracepoint" is BPF_PROG_TYPE_RAW_TRACEPOINT (the
// same kind of context, raw_tp's helper set);
// "socket_filter" is BPF_PROG_TYPE_SOCKET_FILTER, whose context is the
// kernel's sk_buff seen as struct __sk_buff (sk-buff-ctx.ts).
import { ArgType, RetType, type HelperProto } from "../helpers/abi.js";
import { DYNAMIC_CAST_ID, FENTRY_HELPER_IDS, helperProto, helperProtoIn, KPROBE_HELPER_IDS, RAW_TP_HELPER_IDS } from "../helpers/protos.js";
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
  /**
   * Why a call to helper `id` (which has a prototype here) is refused once
   * its arguments are checked, as check_helper_call's per-helper checks do
   * (check_get_func_ip: "func bpf_get_func_ip#173 not supported for program
   * type 17").
   */
  helperRefused?(id: number): string | undefined;
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

/** The helpers of BPF_PROG_TYPE_TRACING (fentry, fexit, fmod_ret, tp_btf, iter: tracing_prog_func_proto). */
export function tracingHelperProto(id: number): HelperProto | undefined {
  return helperProtoIn(FENTRY_HELPER_IDS, id);
}

/** `set`'s helpers and btfsnoop's bpf_dynamic_cast (the tracer checks struct-pointer values with it in every program it generates). */
function withDynamicCast(set: ReadonlySet<number>): (id: number) => HelperProto | undefined {
  return (id) => helperProtoIn(set, id) ?? (id === DYNAMIC_CAST_ID ? helperProto(id) : undefined);
}

/** tp_prog_func_proto: raw_tp's helpers and the attach cookie. */
const TRACEPOINT_HELPER_IDS: ReadonlySet<number> = new Set([...RAW_TP_HELPER_IDS, 174]);

/** bpf_get_func_ip: bpf_tracing_func_proto gives every tracing type its prototype, check_get_func_ip allows it only for fentry-class and kprobe programs. */
const GET_FUNC_IP = 173;

/** check_get_func_ip's refusal for a program type other than tracing and kprobe (`uapiType`: enum bpf_prog_type). */
function funcIpRefused(uapiType: number): (id: number) => string | undefined {
  return (id) => (id === GET_FUNC_IP ? `func bpf_get_func_ip#${GET_FUNC_IP} not supported for program type ${uapiType}` : undefined);
}

/** enum bpf_prog_type values the kernel's messages print. */
const BPF_PROG_TYPE_TRACEPOINT = 5;
const BPF_PROG_TYPE_RAW_TRACEPOINT = 17;

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

/** The kernel's MAX_BPF_FUNC_ARGS: a u64 argument context has at most 12 slots. */
const MAX_BPF_FUNC_ARGS = 12;

/**
 * bpf_tracing_ctx_access over a context of `ctxSize` bytes of u64 slots:
 * reads only, inside the context (at most MAX_BPF_FUNC_ARGS slots), aligned
 * to their size (a narrow load reads part of a slot; the slots are little
 * endian, so offset 0 size 4 is the low half of the first argument).
 */
export function u64ArgsCtxAccess(ctxSize: number): ProgType["ctxAccess"] {
  const limit = Math.min(ctxSize, 8 * MAX_BPF_FUNC_ARGS);
  return (off, size, write) => {
    if (write || off < 0 || off + size > limit || off % size !== 0) return `invalid bpf_context access off=${off} size=${size}`;
    return undefined;
  };
}

/**
 * A tracing program type (BPF_PROG_TYPE_TRACING: fentry, fexit, the
 * tracer's multi-attached programs) whose context is `nargs` read-only u64
 * arguments (fentry's `u64 ctx[]`), with tracing_prog_func_proto's helpers.
 */
export function tracingProgType(nargs = 6): ProgType {
  const ctxSize = nargs * 8;
  return {
    name: "tracing",
    entryRegs: () => [{ type: RegType.PTR_TO_CTX, off: 0 }, NOT_INIT, NOT_INIT, NOT_INIT, NOT_INIT],
    ctxSize,
    ctxAccess: u64ArgsCtxAccess(ctxSize),
    helper: (id) => helperProtoIn(FENTRY_HELPER_IDS, id),
    pointerReturnOk: false,
    allowCallx: false,
  };
}

/**
 * BPF_PROG_TYPE_RAW_TRACEPOINT (raw_tp/NAME): the context is the
 * tracepoint's `nargs` TP_PROTO arguments as read-only u64 slots
 * (bpf_tracing_ctx_access), and raw_tp_prog_func_proto's helpers: no
 * get_func_arg/get_func_ret/get_func_arg_cnt/get_func_ip (a raw tracepoint
 * is not a function entry). btfsnoop's bpf_dynamic_cast is allowed, as the
 * tracer checks tracepoint arguments with it.
 */
export function rawTracepointProgType(nargs = MAX_BPF_FUNC_ARGS): ProgType {
  const ctxSize = nargs * 8;
  return {
    name: "raw_tracepoint",
    entryRegs: () => [{ type: RegType.PTR_TO_CTX, off: 0 }, NOT_INIT, NOT_INIT, NOT_INIT, NOT_INIT],
    ctxSize,
    ctxAccess: u64ArgsCtxAccess(ctxSize),
    helper: withDynamicCast(new Set([...RAW_TP_HELPER_IDS, GET_FUNC_IP])),
    helperRefused: funcIpRefused(BPF_PROG_TYPE_RAW_TRACEPOINT),
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
    helper: withDynamicCast(new Set([...TRACEPOINT_HELPER_IDS, GET_FUNC_IP])),
    helperRefused: funcIpRefused(BPF_PROG_TYPE_TRACEPOINT),
    pointerReturnOk: false,
    allowCallx: false,
  };
}

/** sizeof(struct pt_regs) on x86-64: 21 u64 registers. */
export const PT_REGS_SIZE = 21 * 8;

/** sizeof(struct bpf_perf_event_data): the interrupted code's pt_regs, then u64 sample_period and u64 addr. */
export const PERF_EVENT_DATA_SIZE = PT_REGS_SIZE + 16;

/**
 * A perf_event program (BPF_PROG_TYPE_PERF_EVENT): its context is a
 * read-only struct bpf_perf_event_data, read with aligned loads
 * (pe_prog_is_valid_access); its helpers are perf_event_prog_func_proto's
 * as far as btfsnoop has them (the tracing set with perf_event_output,
 * get_stackid and get_stack).
 */
export function perfEventProgType(): ProgType {
  return {
    name: "perf_event",
    entryRegs: () => [{ type: RegType.PTR_TO_CTX, off: 0 }, NOT_INIT, NOT_INIT, NOT_INIT, NOT_INIT],
    ctxSize: PERF_EVENT_DATA_SIZE,
    ctxAccess: (off, size, write) => {
      if (write || off < 0 || off + size > PERF_EVENT_DATA_SIZE || off % size !== 0) return `invalid bpf_context access off=${off} size=${size}`;
      return undefined;
    },
    helper: withDynamicCast(RAW_TP_HELPER_IDS),
    pointerReturnOk: false,
    allowCallx: false,
  };
}

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
    helper: withDynamicCast(KPROBE_HELPER_IDS),
    pointerReturnOk: false,
    allowCallx: false,
  };
}
