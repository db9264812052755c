// Vocabulary of the syscall-like API: what the kernel model provides to this
// layer (KernelServices, so src/syscall never imports src/kernel-model), the
// attributes and results of the commands, and the attach-handler seam the
// trampoline layer plugs into.
//
// Result convention (as bpf(2)): every command returns its value or a
// negative errno number, never throws for bad input; the detail of the last
// failure (verifier reason, decoder message, strerror-like text) is kept in
// Bpf.lastError, and a program load's verifier log in Bpf.lastLog.
import type { AttachFailure, AttachTarget, DetachFn } from "../trampoline/attach.js";
import type { Btf } from "../btf/btf.js";
import type { KernelEnv } from "../vm/env.js";
import type { LoadedProgram, RunOptions, RunResult } from "../vm/interpreter.js";
import type { AddressSpace } from "../vm/memory.js";
import type { VerifyStats } from "../vm/verifier/verifier.js";

/** The BTF object id of vmlinux (`bpftool btf list` shows it as 1). */
export const VMLINUX_BTF_ID = 1;

/** One kernel symbol (/proc/kallsyms line), with its BTF id when BTF describes it. */
export interface KallsymsEntry {
  name: string;
  address: bigint;
  btfId?: number;
  /** The /proc/kallsyms type letter: T/t text, D/d data, B/b bss, R/r read-only data (lower case: static); absent means text. */
  type?: "T" | "t" | "D" | "d" | "B" | "b" | "R" | "r";
  /** Module name ("" or absent for vmlinux). */
  module?: string;
}

/** What the kernel model gives the syscall layer. */
export interface KernelServices {
  /** The kernel's BTF (vmlinux). */
  btf: Btf;
  /** The kernel's BTF as raw bytes (/sys/kernel/btf/vmlinux). */
  btfBytes(): Uint8Array;
  /** The kernel's functions (/proc/kallsyms' T and t lines). */
  kallsyms(): KallsymsEntry[];
  /** Every kernel symbol, functions and variables, in address order (all of /proc/kallsyms); absent: the functions are all. */
  ksyms?(): KallsymsEntry[];
  /** The tracepoints (tracefs events/<category>/<name>/format and their TP_PROTO); none if the kernel has none. */
  tracepoints?(): TracepointInfo[];
  /** The kernel address space maps, contexts and stacks are mapped into. */
  mem: AddressSpace;
  env: KernelEnv;
  nrCpus: number;
  /** Lines bpf_trace_printk wrote since the last call, with who wrote them (the trace_pipe reader's view); none if the kernel keeps no trace pipe. */
  readTracePipe?(): TracePipeLine[];
  /** The kernel's build configuration (/proc/config.gz: CONFIG_X -> y, m, n, a number or a quoted string) and LINUX_KERNEL_VERSION. */
  kconfig?(): ReadonlyMap<string, string>;
}

/** One bpf_trace_printk line as /sys/kernel/tracing/trace_pipe shows it, before formatting. */
export interface TracePipeLine {
  /** ns since boot. */
  timeNs: bigint;
  cpu: number;
  pid: number;
  comm: string;
  /** What the helper wrote (a trailing newline included if the format had one). */
  text: string;
}

/** A tracepoint as tracefs describes it (format file) plus its raw_tp prototype. */
export interface TracepointInfo {
  readonly category: string;
  readonly name: string;
  readonly id: number;
  /** The event's own fields (after the common ones): C declaration, name, offset and size in the record, signedness. */
  readonly fields: readonly { readonly decl: string; readonly name: string; readonly offset: number; readonly size: number; readonly signed: boolean }[];
  /** Record size. */
  readonly size: number;
  /** TP_PROTO: the raw_tp arguments' C types and names. */
  readonly proto: readonly { readonly type: string; readonly name: string }[];
}

/** Kinds of objects an fd can refer to. */
/** Kinds of what an fd can point to: bpf objects, and the file BPF_ITER_CREATE opens. */
export type ObjectKind = "map" | "prog" | "btf" | "link" | "iter" | "socket";

/** Program types this API loads. */
export type ProgTypeName = "conformance" | "tracing" | "raw_tracepoint" | "tracepoint" | "kprobe" | "iter" | "socket_filter" | "perf_event";
/** The program types progLoad accepts (what Bpf.progTypes() answers). */
export const PROG_TYPES: readonly ProgTypeName[] = ["conformance", "tracing", "raw_tracepoint", "tracepoint", "kprobe", "iter", "socket_filter", "perf_event"];

/** What user space reads from a perf event array's rings (perf_buffer__poll): samples and lost-sample counts, per CPU. */
export type PerfBufferRecord = { cpu: number; data: Uint8Array } | { cpu: number; lost: number };

/** BPF_PROG_LOAD attributes. */
export interface ProgLoadAttr {
  progType: ProgTypeName | string;
  /** Raw instruction bytes (8 per slot). */
  insns: Uint8Array;
  /** License string; "GPL"-compatible licenses allow gpl_only helpers. */
  license?: string;
  /** Up to 15 characters of [A-Za-z0-9_.]. */
  name?: string;
  /** Verifier log level: 0 errors only, 1 every processed instruction, 2 also register states. */
  logLevel?: 0 | 1 | 2;
  /** CAP_BPF/CAP_SYS_ADMIN; default true. */
  privileged?: boolean;
  /** Compile the program to JavaScript (src/vm/jit); default true. false runs it in the interpreter. */
  jit?: boolean;
  /** conformance: bytes of memory behind r1 (default 0). */
  memSize?: number;
  /** tracing: number of u64 arguments in the context (default 6). */
  nargs?: number;
  /**
   * tracing: the BTF attach target that types the context (attach_btf_id):
   * a FUNC of the kernel's BTF for fentry/fexit/fmod_ret, the
   * btf_trace_<event> TYPEDEF for tp_btf. Without it (and without
   * attachTracepoint) the context is `nargs` untyped u64 slots.
   */
  attachBtfId?: number;
  /** tracing: the expected attach type attachBtfId/attachTracepoint is for (fentry, fexit, fmod_ret, tp_btf). */
  expectedAttachType?: string;
  /** tracing, tp_btf: the raw tracepoint whose TP_PROTO types the context when the kernel's BTF has no btf_trace_<event> typedef. */
  attachTracepoint?: string;
  /** tracepoint programs: the size of the event record their context is. */
  ctxSize?: number;
  /** iter programs: the iterator target (task, task/file, bpf_map, bpf_prog, netlink, ipv6_route). */
  iterTarget?: string;
  /**
   * bpf_line_info, with the strings resolved (the kernel reads them from
   * the program's BTF): insn_off in slots, ascending. The verifier log then
   * shows `; <source line> @ <file>:<line>` before the first instruction of
   * each source line, as the kernel's verbose_linfo does.
   */
  lineInfo?: readonly { insnOff: number; fileName: string; line: string; lineNum: number; column?: number }[];
  /** bpf_func_info: insn_off in slots (the first must be 0, ascending) and the FUNC's id in the program's BTF. */
  funcInfo?: readonly { insnOff: number; typeId: number }[];
}

/** A successful BPF_PROG_LOAD. */
export interface ProgLoadResult {
  fd: number;
  /** The verifier log (kernel style, ending with the "processed N insns" summary). */
  log: string[];
}

/** BPF_OBJ_GET_INFO_BY_FD for a program. */
export interface ProgInfo {
  id: number;
  name: string;
  type: string;
  /** Instruction slots (xlated_prog_len / 8). */
  insnCnt: number;
  /** Instructions the verifier processed. */
  verifiedInsns: number;
  /** Whether the program runs as compiled JavaScript (the JIT), and the source when it does (bpftool prog dump jited). */
  jited: boolean;
  jitedSource?: string;
  /** Why the JIT left the program to the interpreter, when it did. */
  jitError?: string;
  /** Load time spent compiling (ms). */
  jitTimeMs?: number;
  verifierStats: VerifyStats;
  /** Ids of the maps the program uses. */
  mapIds: number[];
  license: string;
  gplCompatible: boolean;
  /** Runs so far (test runs and attached runs) and their total time. */
  runCnt: number;
  runTimeNs: number;
}

/** BPF_PROG_TEST_RUN attributes. */
export interface TestRunOptions {
  /** tracing: the context (u64 arguments); at most nargs * 8 bytes, zero-padded. */
  ctxIn?: Uint8Array;
  /** conformance: the memory behind r1; at most memSize bytes, zero-padded. */
  dataIn?: Uint8Array;
  /** Runs (default 1); the result is the last run's, the duration the average. */
  repeat?: number;
  /** Instruction budget per run (default 1,000,000). */
  budget?: number;
}

export interface TestRunResult {
  /** r0 truncated to u32 (attr.test.retval). */
  retval: number;
  /** r0 as a u64. */
  r0: bigint;
  /** Average duration of one run. */
  durationNs: number;
  /** conformance: the memory after the run. */
  dataOut?: Uint8Array;
  /** Why the run stopped early, if it did. */
  fault?: { kind: string; pc: number; message: string };
}

/**
 * A loaded program as the kernel side sees it (what attach handlers get).
 * run() executes it through the kernel's interpreter and counts the run in
 * its statistics, as the kernel does with bpf_stats_enabled.
 */
export interface BpfProg {
  readonly id: number;
  readonly name: string;
  readonly type: string;
  readonly loaded: LoadedProgram;
  /** tracing: the context size in bytes; conformance: the memory size. */
  readonly ctxSize: number;
  run(options?: RunOptions): RunResult;
}

// Link targets and attach results are the trampoline's (below this layer,
// which implements its AttachHost; a BpfProg is its AttachProgram).
export type { AttachFailure, AttachTarget, DetachFn };

/**
 * Attaches `prog` to `target` for one attach type: returns a detach
 * function, a negative errno, or a negative errno with a message.
 */
export type AttachHandler = (prog: BpfProg, target: AttachTarget, attachType: string) => DetachFn | number | AttachFailure;

/** BPF_OBJ_GET_INFO_BY_FD for a link. */
export interface LinkInfo {
  id: number;
  progId: number;
  attachType: string;
  target: AttachTarget;
  detached: boolean;
}

/** BPF_OBJ_GET_INFO_BY_FD for BTF. */
export interface BtfInfo {
  id: number;
  name: string;
  kernelBtf: boolean;
  /** The raw BTF. */
  btf: Uint8Array;
}

/** Live kernel objects by kind (objects(), for introspection and leak checks). */
export interface ObjectCounts {
  map: number;
  prog: number;
  btf: number;
  link: number;
  /** Open iterator files (BPF_ITER_CREATE). */
  iter: number;
  /** Open sockets (socket(2)); present only while there are some. */
  socket?: number;
  fds: number;
}

/** What an iterator reader (BPF_ITER_CREATE's fd) gives: read() as read(2) on it. */
export interface IterReader {
  /** The next chunk of output ("" at the end), or a negative errno (-E2BIG: one object's output overflowed the seq_file buffer). */
  read(): string | number;
  /** Reads to the end: the whole output, or a negative errno. */
  readAll(): string | number;
}

/** The syscall layer's own maps and programs as the bpf_map / bpf_prog iterators see them. */
export interface IterObjects {
  maps: { id: number; type: number; name: string; keySize: number; valueSize: number; maxEntries: number; flags: number; refcnt: number; usercnt: number }[];
  progs: { id: number; type: string; name: string; insnCnt: number; refcnt: number; gplCompatible: boolean; mapIds: number[] }[];
}
