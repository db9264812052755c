// What the per-instruction checks share: the options, the program, id
// counters, and fail() which ends verification with a kernel-style message.
import type { Btf } from "../../btf/btf.js";
import type { ErrnoName } from "../../internal/errno.js";
import type { Program } from "../isa/instruction.js";
import type { CfgInfo } from "./cfg.js";
import { VerifierError } from "./errors.js";
import type { ProgType } from "./prog-types.js";
import type { FrameState, MapDesc, RegState, VerifierState } from "./types.js";

/** One bpf_line_info record with its strings resolved. */
export interface LineInfoRecord {
  insnOff: number;
  fileName: string;
  line: string;
  lineNum: number;
}

export interface VerifyOptions {
  progType: ProgType;
  /** Privileged (CAP_BPF/CAP_SYS_ADMIN) load: loops, pointer comparisons, pointer leaks allowed. Default true. */
  privileged?: boolean;
  /** 0: errors only; 1: the failing path's instructions and states (an accepted program: the summary line); 2: every path. */
  logLevel?: 0 | 1 | 2;
  /**
   * bpf_line_info records (ascending by insnOff): the log shows the source
   * line before the instructions it covers (the kernel's verbose_linfo).
   */
  lineInfo?: readonly LineInfoRecord[];
  /** Maps an lddw may reference, by fd. */
  mapByFd?: (fd: number) => MapDesc | undefined;
  /** Kernel BTF for PTR_TO_BTF_ID loads. */
  btf?: Btf;
  /** The kernel's nr_cpu_ids: get_smp_processor_id returns less (default: NR_CPUS's upper limit, 8192). */
  nrCpus?: number;
  /** Processed-instruction budget (BPF_COMPLEXITY_LIMIT_INSNS). */
  maxProcessed?: number;
  /**
   * Prune only on states that cover every register and scalar (no liveness,
   * no precision): slower, the same verdicts. A test oracle for pruning.
   */
  exactPruning?: boolean;
}

export interface VerifierContext {
  readonly program: Program;
  readonly cfg: CfgInfo;
  readonly options: Required<Pick<VerifyOptions, "privileged" | "logLevel" | "maxProcessed">> & VerifyOptions;
  /** Next id for *_OR_NULL pointers and references. */
  nextId(): number;
  /** Adds a log line (subject to the log level and cap). */
  log(line: string): void;
  /**
   * Slots of loads through typed kernel pointers (PTR_TO_BTF_ID): the
   * kernel rewrites them to BPF_PROBE_MEM, loads that read 0 instead of
   * faulting; the loader passes this set to the interpreter.
   */
  readonly probeMem: Set<number>;
  /** Stops verification: throws VerifierError with the log so far (EACCES unless the kernel returns another errno). */
  fail(reason: string, insn: number, errno?: ErrnoName): never;
  /**
   * A check depends on the value of register `regno` of the current frame
   * (a decided branch, a size argument, a constant pointer offset, the
   * return value): marks it precise back along the current path.
   */
  markPrecise(regno: number): void;
  /** Deepest stack access (bytes below the frame top) per subprogram, by its first slot (the kernel's subprog stack_depth). */
  readonly stackDepth: Map<number, number>;
  /** Notes an access `depth` bytes deep into `frame`'s stack. */
  noteStackDepth(frame: FrameState, depth: number): void;
}

/** Log lines kept; past them the log ends with "... log truncated". */
export const LOG_CAP = 200_000;

export function makeContext(program: Program, cfg: CfgInfo, options: VerifyOptions, lines: string[]): VerifierContext {
  let id = 0;
  const opts = { privileged: true, logLevel: 0 as const, maxProcessed: 1_000_000, ...options };
  return {
    program,
    cfg,
    options: opts,
    nextId: () => ++id,
    probeMem: new Set(),
    log(line) {
      if (lines.length < LOG_CAP) lines.push(line);
      else if (lines.length === LOG_CAP) lines.push("... log truncated");
    },
    markPrecise() {},
    stackDepth: new Map(),
    noteStackDepth(frame, depth) {
      if (depth > (this.stackDepth.get(frame.subprog) ?? 0)) this.stackDepth.set(frame.subprog, depth);
    },
    fail(reason, insn, errno) {
      lines.push(reason);
      throw new VerifierError(reason, insn, lines.slice(), errno);
    },
  };
}

/** The frame the current instruction runs in. */
export function cur(state: VerifierState): FrameState {
  return state.frames[state.frames.length - 1]!;
}

/** Register `r` of the current frame. */
export function reg(state: VerifierState, r: number): RegState {
  return cur(state).regs[r]!;
}
