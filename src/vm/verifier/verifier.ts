// The verifier: structural checks (cfg.ts), then path exploration of every
// reachable state (the kernel's do_check). Each instruction's checks live in
// check-*.ts; this file owns the worklist, state pruning at prune points,
// infinite-loop detection against the current path's checkpoints, the
// processed-instruction budget, the log and the statistics.
import { formatInsn } from "../isa/disasm.js";
import type { Program } from "../isa/instruction.js";
import { AtomicOp, Class, CLASS_MASK, JmpOp, LDDW, Mode, OP_MASK, PseudoCall, PseudoLd, SIZE_BYTES } from "../isa/opcodes.js";
import { helperName } from "../helpers/protos.js";
import { checkCfg, type CfgInfo } from "./cfg.js";
import { checkAlu } from "./check-alu.js";
import { checkHelperCall, enterCallback, enterSubprog, finishCallbackHelper, leaveFrame } from "./check-call.js";
import { checkCondJmp } from "./check-jmp.js";
import { checkMaxStackDepth } from "./stack-depth.js";
import { computeLiveness, liveAfterCall, type LiveIn } from "./liveness.js";
import { FRAME_CHANGE, histEntry, markAllPrecise, markPrecise, stackKey, type Checkpoint, type PathHistory } from "./precision.js";
import { checkMemAccess } from "./check-mem.js";
import { checkLdAbs } from "./check-ld-abs.js";
import { refuseLdImm64 } from "./check-ld-imm.js";
import { convertProgram, noteMemAccess } from "./convert-ctx.js";
import { cur, makeContext, type VerifierContext, type VerifyOptions } from "./context.js";
import { refuse, VerifierError } from "./errors.js";
import { scalarTruncate } from "./scalar-alu.js";
import { constValue, isConst, scalarConst, scalarUnknown } from "./scalar.js";
import { formatReg, regTypeName } from "./log.js";
import { copyMarks, emptyMarks, InsnLog, type LogMark, type WriteMarks } from "./insn-log.js";
import { addSlot, emptySlots, markAllRead, markSlotsRead, propagateReads, type SlotMask } from "./stack-liveness.js";
import { cloneState, isPointer, newFrame, scalarReg, stateMatches, widenScalars } from "./state.js";
import { RegType, STACK_SIZE, type FrameState, type RegState, type VerifierState } from "./types.js";

export type { VerifyOptions } from "./context.js";

/** BPF_MAP_TYPE_ARRAY. */
const ARRAY_MAP = 2;

/** Pending branches the verifier keeps at once (BPF_COMPLEXITY_LIMIT_JMP_SEQ). */
export const MAX_PENDING = 8192;
/** Stored states per instruction kept for pruning. */
const MAX_STATES_PER_INSN = 64;

export interface VerifyStats {
  /** Instructions processed over all paths. */
  processed: number;
  /** States stored at prune points. */
  totalStates: number;
  /** Most states stored at once. */
  peakStates: number;
  /** Most states stored for one instruction. */
  maxStatesPerInsn: number;
  timeMs: number;
}

export interface VerifyResult {
  accepted: boolean;
  /** Why it was rejected. */
  error?: VerifierError;
  log: string[];
  stats: VerifyStats;
  /** Accepted programs: slots of loads through typed kernel pointers, to run as BPF_PROBE_MEM loads. */
  probeMem?: number[];
  /** Accepted programs whose context accesses or LD_ABS were converted (convert-ctx.ts): the program to run, and its stores to kernel memory. */
  program?: Program;
  kernelStores?: number[];
}

/** Verifies `program`. Never throws for a bad program: the result says why. */
export function verify(program: Program, options: VerifyOptions): VerifyResult {
  const t0 = performance.now();
  const lines: string[] = [];
  const stats: VerifyStats = { processed: 0, totalStates: 0, peakStates: 0, maxStatesPerInsn: 0, timeMs: 0 };
  const privileged = options.privileged ?? true;
  try {
    const cfg = checkCfg(program, { privileged, maxInsns: privileged ? 1_000_000 : 4096, allowCallx: options.progType.allowCallx });
    const ctx = makeContext(program, cfg, options, lines);
    explore(ctx, cfg, stats, lines);
    const deep = checkMaxStackDepth(program, cfg, (start) => ctx.stackDepth.get(start) ?? 0);
    if (deep) {
      lines.push(deep.reason);
      throw new VerifierError(deep.reason, deep.insn, lines.slice(), deep.errno);
    }
    const conv = convertProgram(ctx, [...ctx.probeMem].sort((a, b) => a - b));
    if (typeof conv === "string") {
      lines.push(conv);
      throw new VerifierError(conv, undefined, lines.slice(), "EINVAL");
    }
    stats.timeMs = performance.now() - t0;
    // At level 1 an accepted program's log is the summary alone (the kernel keeps level 1's trail for errors).
    if (options.logLevel === 1) lines.length = 0;
    lines.push(summary(stats));
    const converted = conv.program === program ? {} : { program: conv.program, kernelStores: conv.kernelStores };
    return { accepted: true, log: lines, stats, probeMem: conv.probeMem, ...converted };
  } catch (e) {
    if (!(e instanceof VerifierError)) throw e;
    stats.timeMs = performance.now() - t0;
    const log = e.log.length ? [...e.log] : [...lines, e.reason];
    log.push(summary(stats));
    return { accepted: false, error: new VerifierError(e.reason, e.insn, log, e.errno), log, stats };
  }
}

function summary(s: VerifyStats): string {
  return `processed ${s.processed} insns (limit 1000000) max_states_per_insn ${s.maxStatesPerInsn} total_states ${s.totalStates} peak_states ${s.peakStates} mark_read 0`;
}

interface Path extends PathHistory {
  state: VerifierState;
  pc: number;
  /** Where this path branched off, for the log's "from X to Y" line. */
  from: number;
  /** Stack slots written whole since the path's newest checkpoint (stack-liveness.ts). */
  written: SlotMask;
  /** With a log: the state's write marks since its last checkpoint, and where the log stood at the branch. */
  marks?: WriteMarks;
  logAt?: LogMark;
}

/** A new path that branches off `path` (its checkpoints gain a branch to finish). */
function fork(path: Path, state: VerifierState, pc: number, from: number): Path {
  if (path.chain) path.chain.branches++;
  return { state, pc, chain: path.chain, hist: path.hist.slice(), from, written: path.written.slice() };
}

/**
 * A path ended (exit, or pruned): checkpoints whose every path has ended are
 * complete. Returns how many of them had been dropped from their lists.
 */
function finish(path: Path): number {
  let freed = 0;
  for (let c = path.chain; c; c = c.parent) {
    if (--c.branches > 0) break;
    if (c.evicted) freed++;
  }
  return freed;
}

/** The stack slot a load or store at `pc` touches, when it goes through a stack pointer. */
function stackSlotOf(ctx: VerifierContext, state: VerifierState, pc: number): number | undefined {
  const insn = ctx.program.insns[ctx.cfg.insnAt[pc]!]!;
  const cls = insn.opcode & CLASS_MASK;
  if (cls !== Class.LDX && cls !== Class.ST && cls !== Class.STX) return undefined;
  const base = cur(state).regs[cls === Class.LDX ? insn.src : insn.dst]!;
  // A variable offset touches no one slot (the kernel records no stack access for it in the jump history).
  if (base.type !== RegType.PTR_TO_STACK || (base.scalar && !isConst(base.scalar))) return undefined;
  const off = (base.off ?? 0) + Number(base.scalar ? BigInt.asIntN(64, constValue(base.scalar)) : 0n) + insn.off;
  return off >= -STACK_SIZE && off < 0 ? stackKey(base.frameno!, off) : undefined;
}

function explore(ctx: VerifierContext, cfg: CfgInfo, stats: VerifyStats, lines: string[]): void {
  const { program } = ctx;
  const level = ctx.options.logLevel;
  const visited = new Map<number, Checkpoint[]>();
  const exact = ctx.options.exactPruning === true;
  const liveIn = exact ? new Uint16Array(cfg.insnAt.length).fill(0x7ff) : computeLiveness(program, cfg, (id) => ctx.options.progType.helper(id)?.args.length);
  // Unprivileged programs get no imprecise pruning (the kernel marks every scalar precise for them).
  const tracksPrecision = ctx.options.privileged && !exact;
  const entry: VerifierState = { frames: [newFrame(-1, 0, 0)], refs: new Map() };
  ctx.options.progType.entryRegs().forEach((r, i) => (entry.frames[0]!.regs[i + 1] = r));
  const work: Path[] = [{ state: entry, pc: 0, chain: undefined, hist: [], from: -1, written: emptySlots(), ...(level >= 1 ? { marks: emptyMarks(1) } : {}) }];
  const insnText = (pc: number) => `${pc}: ${formatInsn(program.insns[cfg.insnAt[pc]!]!, { helperName })}`;
  const btf = ctx.options.btf;
  const log = level >= 1 ? new InsnLog(lines, (line) => ctx.log(line), ctx.options.lineInfo, btf ? (id) => btf.nameOf(id) : undefined) : undefined;
  // The kernel's jmps_processed/insn_processed at the last stored state: in a
  // loop, a state is stored only every 20 jumps or 100 instructions.
  let jmps = 0;
  let prevJmps = 0;
  let prevInsns = 0;
  /** States in the lists, and dropped ones still being explored (peak_states: the most at once). */
  let liveStates = 0;

  while (work.length) {
    const path: Path = work.pop()!;
    // pop_stack: at level 1 the log goes back to the branch point, so it ends with the failing path only.
    if (log && level === 1 && path.logAt) log.rewind(path.logAt);
    // do_print_state: the first instruction of a popped path, or after a return from a subprogram.
    let printFrom: number | undefined = path.from >= 0 ? path.from : undefined;
    ctx.markPrecise = (regno) => {
      if (tracksPrecision) markPrecise(program, cfg.insnAt, path, path.state.frames.length - 1, 1 << regno, [], true);
    };
    for (;;) {
      const { state } = path;
      let pc: number = path.pc;
      if (++stats.processed > ctx.options.maxProcessed) ctx.fail(`BPF program is too large. Processed ${stats.processed} insn`, pc, "E2BIG");
      if (cfg.prunePoints[pc]) {
        const list = visited.get(pc) ?? [];
        let pruned = false;
        const f = cur(state);
        const callbackEntry = f.callbackOf >= 0 && pc === f.subprog;
        // As is_state_visited: store a state only after 2 jumps and 8 instructions since the last stored one,
        // and in a loop (below) only every 20 jumps or 100 instructions: iterations differ and rarely prune each other.
        let addState = callbackEntry || (jmps - prevJmps >= 2 && stats.processed - prevInsns >= 8);
        const compared = list.length;
        for (let k = 0; k < list.length; k++) {
          const v = list[k]!;
          if (v.branches > 0) {
            // Still being explored: its marks are not final, so it prunes nothing (kernel: sl->state.branches).
            // Paths are explored depth first and forked only from the current one, so every such state is an
            // ancestor of the current path: the loop checks below apply.
            if (stateMatches(v.state, state, false, { liveIn, pc })) {
              // Callback iterations are bounded by the helper: a repeated state at the callback's entry has converged.
              if (callbackEntry) {
                markAllPrecise(path.chain); // pruned by full containment: every value here mattered
                markAllRead(path.chain); // and every slot, the ancestor's reads not being known yet
                v.hits++;
                pruned = true;
                break;
              }
              if (stateMatches(v.state, state, true)) ctx.fail(`infinite loop detected at insn ${pc}`, pc, "EINVAL");
              // The same loop head with a narrower state: keep going (the budget bounds it).
            }
            if (!callbackEntry && jmps - prevJmps < 20 && stats.processed - prevInsns < 100) addState = false;
          } else if (stateMatches(v.state, state, false, { liveIn, pc, ...(exact ? {} : { readSlots: v.read }) }, tracksPrecision ? v : undefined)) {
            if (tracksPrecision) propagatePrecision(ctx, path, v, liveIn, pc);
            propagateReads(v, path.chain, path.written);
            v.hits++;
            pruned = true;
            break;
          }
          // A miss. A state that misses far more often than it prunes is dropped from the list (it stays
          // in its paths' chains); misses count only when a state is to be stored here (is_state_visited).
          if (addState) v.misses++;
          const n = callbackEntry && v.branches > 0 ? 64 : 3;
          if (v.misses > v.hits * n + n) {
            list.splice(k--, 1);
            // Still being explored, it stays counted (the kernel's free list) until complete.
            if (v.branches > 0) v.evicted = true;
            else liveStates--;
          }
        }
        if (pruned) {
          if (log) {
            log.safe(pc, printFrom);
            log.scratchAll(); // process_bpf_exit
          }
          liveStates -= finish(path);
          break;
        }
        // As is_state_visited: the states this visit was compared with, before one is added.
        stats.maxStatesPerInsn = Math.max(stats.maxStatesPerInsn, compared);
        // A callback entered again: widen what changed since the previous iteration so they converge.
        if (callbackEntry) {
          // Only against an earlier iteration of the same helper call, never an earlier call's.
          for (let c = path.chain; c; c = c.parent) {
            if (c.pc === pc && c.state.frames.length === state.frames.length && cur(c.state).invocation === f.invocation) {
              widenScalars(c.state, state);
              break;
            }
          }
        }
        if (addState) {
          const cp: Checkpoint = { state: cloneState(state), parent: path.chain, pc, branches: 1, hist: path.hist, marks: [], allPrecise: false, read: emptySlots(), written: path.written, hits: 0, misses: 0 };
          if (list.length >= MAX_STATES_PER_INSN) {
            const dropped = list.shift()!;
            if (dropped.branches > 0) dropped.evicted = true;
            else liveStates--;
          }
          list.push(cp);
          visited.set(pc, list);
          path.chain = cp;
          path.hist = [];
          path.written = emptySlots();
          // The writes so far are the stored state's, not this one's (is_state_visited clears REG_LIVE_WRITTEN).
          if (path.marks) path.marks = emptyMarks(state.frames.length);
          prevJmps = jmps;
          prevInsns = stats.processed;
          stats.totalStates++;
          stats.peakStates = Math.max(stats.peakStates, ++liveStates);
        }
      }
      if (log && !log.full) {
        if (level >= 2 && printFrom !== undefined) log.from(printFrom, pc, state, path.marks!);
        log.insnState(pc, state, path.marks!);
        log.insn(pc, insnText(pc));
      }
      printFrom = undefined;
      const depth = state.frames.length;
      const cls = program.insns[cfg.insnAt[pc]!]!.opcode & CLASS_MASK;
      const before = log ? { frames: state.frames.slice(), refs: state.refs, access: stackAccessOf(ctx, state, pc) } : undefined;
      if (cls === Class.JMP || cls === Class.JMP32) jmps++;
      const at = path.hist.length;
      const pending = work.length;
      path.hist.push(histEntry(pc, stackSlotOf(ctx, state, pc), false));
      const wholeWrite = exact ? undefined : noteStackReads(ctx, state, pc, path);
      const next = step(ctx, state, pc, work, path);
      if (wholeWrite) addSlot(path.written, wholeWrite.frame, wholeWrite.slot);
      // Calls into and exits from a frame: walks stop there (each continuation, forks included).
      const exitsFrame = depth > 1 && (program.insns[cfg.insnAt[pc]!]!.opcode & OP_MASK) === JmpOp.EXIT && cls === Class.JMP;
      if (exitsFrame || path.state.frames.length !== depth) path.hist[at]! |= FRAME_CHANGE;
      for (let w = pending; w < work.length; w++) {
        const p = work[w]!;
        if (exitsFrame || p.state.frames.length !== depth) p.hist[at]! |= FRAME_CHANGE;
      }
      if (log) {
        const returned = logInsn(ctx, log, path, pc, before!, work.slice(pending), next);
        if (returned) printFrom = pc;
      }
      if (work.length > MAX_PENDING) ctx.fail(`The sequence of ${MAX_PENDING} jumps is too complex.`, pc);
      if (next === undefined) {
        log?.scratchAll(); // process_bpf_exit
        liveStates -= finish(path); // program exit on this path
        break;
      }
      pc = next;
      path.pc = pc;
    }
  }
}

/**
 * The stack slots instruction `pc` may read, marked read along the path
 * (stack-liveness.ts): a load's bytes (the whole frame at a variable
 * offset), an atomic's slot, and for a helper call every slot from each
 * stack pointer argument up to its frame's top. Returns the slot an
 * 8-byte store at a fixed offset writes whole.
 */
function noteStackReads(ctx: VerifierContext, state: VerifierState, pc: number, path: Path): { frame: number; slot: number } | undefined {
  const insn = ctx.program.insns[ctx.cfg.insnAt[pc]!]!;
  const code = insn.opcode;
  const cls = code & CLASS_MASK;
  const regs = cur(state).regs;
  const mark = (r: RegState, off: number, size: number) => {
    const frame = r.frameno ?? 0;
    if (r.scalar && !isConst(r.scalar)) return markSlotsRead(path.chain, path.written, frame, 0, 63);
    const at = STACK_SIZE + (r.off ?? 0) + Number(r.scalar ? BigInt.asIntN(64, constValue(r.scalar)) : 0) + off;
    markSlotsRead(path.chain, path.written, frame, Math.floor(at / 8), Math.floor((at + size - 1) / 8));
  };
  if (cls === Class.LDX || cls === Class.ST || cls === Class.STX) {
    const base = regs[cls === Class.LDX ? insn.src : insn.dst]!;
    if (base.type !== RegType.PTR_TO_STACK) return undefined;
    const size = SIZE_BYTES[(code & 0x18) >> 3]!;
    const mode = code & 0xe0;
    if (cls === Class.LDX || mode === Mode.ATOMIC) {
      mark(base, insn.off, size);
      return undefined;
    }
    if (size !== 8 || (base.scalar && !isConst(base.scalar))) return undefined;
    const off = (base.off ?? 0) + Number(base.scalar ? BigInt.asIntN(64, constValue(base.scalar)) : 0) + insn.off;
    if (off % 8 !== 0 || off < -STACK_SIZE || off >= 0) return undefined;
    return { frame: base.frameno ?? 0, slot: (STACK_SIZE + off) >> 3 };
  }
  if (cls === Class.JMP && (code & OP_MASK) === JmpOp.CALL && insn.src !== PseudoCall.LOCAL) {
    for (let i = 1; i <= 5; i++) {
      const r = regs[i]!;
      if (r.type === RegType.PTR_TO_STACK) mark(r, 0, Math.max(1, -((r.off ?? 0) + Number(r.scalar && isConst(r.scalar) ? BigInt.asIntN(64, constValue(r.scalar)) : 0))));
    }
  }
  return undefined;
}

/** A load or store through a stack pointer: the frame, the slot (spi) of its first byte, its size and direction. */
interface StackAccess {
  frame: number;
  spi: number;
  size: number;
  write: boolean;
}

/** What the log needs of the state before an instruction. */
interface Before {
  frames: FrameState[];
  refs: VerifierState["refs"];
  access: StackAccess | undefined;
}

/** The log's view of the stack access at `pc` (stackSlotOf's slot as frame and spi, with the size and direction). */
function stackAccessOf(ctx: VerifierContext, state: VerifierState, pc: number): StackAccess | undefined {
  const key = stackSlotOf(ctx, state, pc);
  if (key === undefined) return undefined;
  const insn = ctx.program.insns[ctx.cfg.insnAt[pc]!]!;
  // stackKey's encoding: frame * 64 + slot from the bottom of the frame (spi counts from the top).
  return { frame: key >> 6, spi: 63 - (key & 63), size: SIZE_BYTES[(insn.opcode & 0x18) >> 3]!, write: (insn.opcode & CLASS_MASK) !== Class.LDX };
}

const CALLER_SAVED = 0x3f; // r0-r5

/**
 * The log after an instruction ran: the registers and stack slot it
 * scratched (check_reg_arg, mark_stack_slot_scratched) and wrote
 * (REG_LIVE_WRITTEN), the call and return blocks, the state after a branch
 * that forked (check_cond_jmp_op prints it at once), and the write marks and
 * log position the forked paths start from. Returns whether a frame was left.
 */
function logInsn(ctx: VerifierContext, log: InsnLog, path: Path, pc: number, before: Before, forked: Path[], next: number | undefined): boolean {
  const insn = ctx.program.insns[ctx.cfg.insnAt[pc]!]!;
  const code = insn.opcode;
  const cls = code & CLASS_MASK;
  const state = path.state;
  const depth = before.frames.length;
  const fi = depth - 1;
  const marks = copyMarks(path.marks!, depth);
  // The caller's marks before the call: a subprogram's r1-r5 are copies of its registers, marks included.
  const argMarks = marks.regs[fi]! & 0x3e;
  let scratch = 0;
  let written = 0;
  let left = false;
  let called = false;
  switch (cls) {
    case Class.ALU:
    case Class.ALU64: {
      const op = code & OP_MASK;
      const x = (code & 0x08) !== 0 && op !== 0x80 && op !== 0xd0; // NEG and END read only dst
      scratch = (1 << insn.dst) | (x ? 1 << insn.src : 0);
      written = 1 << insn.dst;
      break;
    }
    case Class.LDX:
      scratch = (1 << insn.dst) | (1 << insn.src);
      written = 1 << insn.dst;
      break;
    case Class.ST:
      scratch = 1 << insn.dst;
      break;
    case Class.STX:
      scratch = (1 << insn.dst) | (1 << insn.src);
      if ((code & 0xe0) === Mode.ATOMIC) {
        if (insn.imm === AtomicOp.CMPXCHG) (scratch |= 1), (written = 1);
        else if (insn.imm & AtomicOp.FETCH) written = 1 << insn.src;
      }
      break;
    case Class.LD:
      if (code === LDDW) scratch = written = 1 << insn.dst;
      else (scratch = CALLER_SAVED | (1 << 6) | ((code & 0xe0) === Mode.IND ? 1 << insn.src : 0)), (written = CALLER_SAVED);
      break;
    default: {
      const op = code & OP_MASK;
      if (op === JmpOp.JA) break;
      if (op === JmpOp.CALL) {
        scratch = written = CALLER_SAVED;
        // A subprogram entered, or a callback pushed (setup_func_entry): the state is printed whole next.
        called = state.frames.length > depth || forked.some((p) => p.state.frames.length > depth);
        break;
      }
      if (op === JmpOp.EXIT) {
        left = depth > 1 && next !== undefined;
        break;
      }
      scratch = (1 << insn.dst) | ((code & 0x08) !== 0 ? 1 << insn.src : 0);
    }
  }
  log.scratchRegs(scratch);
  if (before.access) {
    log.scratchSlot(before.access.spi);
    // Only a write of all 8 bytes marks the slot written.
    if (before.access.write && before.access.size === 8 && marks.slots[before.access.frame] !== undefined) marks.slots[before.access.frame]! |= 1n << BigInt(before.access.spi);
  }
  marks.regs[fi]! |= written;
  if (left) {
    const calleeMarks = copyMarks(marks, depth);
    // The caller's r0 is the callee's (a callback's helper sets it); r1-r5 were cleared by the call.
    const r0 = before.frames[fi]!.callbackOf >= 0 ? 1 : marks.regs[fi]! & 1;
    marks.regs[fi - 1] = (marks.regs[fi - 1]! & ~CALLER_SAVED) | r0 | 0x3e;
    const after = copyMarks(marks, state.frames.length);
    log.ret({ frames: before.frames, refs: before.refs }, calleeMarks, state, after, next!);
  }
  const at = log.mark();
  for (const p of forked) {
    const n = p.state.frames.length;
    p.marks = copyMarks(marks, n);
    // A callback's frame, entered or entered again for its next iteration, starts with no write marks.
    if (n > depth || (cls === Class.JMP && (code & OP_MASK) === JmpOp.EXIT)) (p.marks.regs[n - 1] = 0), (p.marks.slots[n - 1] = 0n);
    p.logAt = at;
  }
  path.marks = copyMarks(marks, state.frames.length);
  if (called) {
    if (state.frames.length > depth) {
      const callee = state.frames.length - 1;
      path.marks.regs[callee] = argMarks;
      path.marks.regs[callee - 1]! |= CALLER_SAVED;
      log.call(state, path.marks);
    }
    log.scratchAll();
  }
  // check_cond_jmp_op prints the fall-through state at once when both branches are explored.
  const jop = code & OP_MASK;
  const cond = (cls === Class.JMP || cls === Class.JMP32) && jop !== JmpOp.JA && jop !== JmpOp.CALL && jop !== JmpOp.EXIT;
  if (cond && forked.length) log.insnState(pc, state, path.marks);
  return left;
}

/**
 * The current path was pruned by `old`: its safety rests on what old's
 * exploration needed, so old's precise registers and slots become precise
 * along the current path too (kernel: propagate_precision).
 */
function propagatePrecision(ctx: VerifierContext, path: Path, old: Checkpoint, liveIn: LiveIn, pc: number): void {
  if (old.allPrecise) return markAllPrecise(path.chain);
  const last = path.state.frames.length - 1;
  const slots: number[] = [];
  let regs = 0;
  for (let fi = 0; fi <= last; fi++) {
    const m = old.marks[fi];
    if (!m) continue;
    const live = fi === last ? liveIn[pc]! : liveAfterCall(liveIn, path.state.frames[fi + 1]!.callsite);
    if (fi !== last && (m.regs & live) !== 0) return markAllPrecise(path.chain);
    if (fi === last) regs = m.regs & live;
    for (const s of m.slots) slots.push(fi * 64 + s);
  }
  markPrecise(ctx.program, ctx.cfg.insnAt, path, last, regs, slots, false);
}

/** Executes one instruction abstractly; returns the next slot, or undefined when the path ends. */
function step(ctx: VerifierContext, state: VerifierState, pc: number, work: Path[], path: Path): number | undefined {
  const insn = ctx.program.insns[ctx.cfg.insnAt[pc]!]!;
  const code = insn.opcode;
  const cls = code & CLASS_MASK;
  const regs = () => cur(state).regs;
  switch (cls) {
    case Class.ALU:
    case Class.ALU64:
      checkAlu(ctx, state, insn, pc);
      return pc + 1;
    case Class.LDX: {
      const size = SIZE_BYTES[(code & 0x18) >> 3]!;
      if (insn.dst === 10) ctx.fail(`frame pointer is read only`, pc);
      const base = regs()[insn.src]!;
      const v = checkMemAccess(ctx, state, { regno: insn.src, off: insn.off, size, write: false, signExtend: (code & 0xe0) === Mode.MEMSX, pc });
      noteMemAccess(ctx, pc, base, insn.off, size, false, (code & 0xe0) === Mode.MEMSX);
      regs()[insn.dst] = v!;
      return pc + 1;
    }
    case Class.ST:
    case Class.STX: {
      const size = SIZE_BYTES[(code & 0x18) >> 3]!;
      const mode = code & 0xe0;
      if (mode === Mode.ATOMIC) return atomic(ctx, state, pc, size);
      let value: RegState;
      if (cls === Class.STX) {
        value = regs()[insn.src]!;
        if (value.type === RegType.NOT_INIT) ctx.fail(`R${insn.src} !read_ok`, pc);
      } else value = scalarReg(scalarConst(BigInt.asUintN(64, BigInt(insn.imm))));
      checkMemAccess(ctx, state, { regno: insn.dst, off: insn.off, size, write: true, value, ...(cls === Class.STX ? { valueRegno: insn.src } : {}), pc });
      noteMemAccess(ctx, pc, regs()[insn.dst]!, insn.off, size, true, false);
      return pc + 1;
    }
    case Class.LD:
      if (code !== LDDW) return checkLdAbs(ctx, state, insn, pc);
      regs()[insn.dst] = lddw(ctx, insn.src, insn.imm, insn.imm2 ?? 0, pc);
      if (insn.dst === 10) ctx.fail(`frame pointer is read only`, pc);
      return pc + 2;
    default:
      break;
  }
  // JMP / JMP32
  const jop = code & OP_MASK;
  if (jop === JmpOp.JA) return pc + 1 + (cls === Class.JMP ? insn.off : insn.imm);
  if (jop === JmpOp.EXIT) {
    if (state.frames.length === 1) return programExit(ctx, state, pc);
    const f = cur(state);
    if (f.callbackOf < 0) return leaveFrame(ctx, state, pc);
    // A callback iteration ends: either the helper returns, or it runs the callback again.
    const again = cloneState(state);
    const next = leaveFrame(ctx, state, pc); // checks r0 and returns after the helper call
    again.frames.pop();
    enterCallback(again, f.callbackOf, f.subprog, f.callbackArg!, f.invocation!);
    work.push(fork(path, again, f.subprog, pc));
    return next;
  }
  if (jop === JmpOp.CALL) {
    if (code === 0x8d) {
      // callx: the conformance dialect's call by register; the id must be known.
      const r = regs()[insn.dst]!;
      if (r.type !== RegType.SCALAR || !isConst(r.scalar!)) ctx.fail(`R${insn.dst} callx target is not a known helper id`, pc);
      ctx.markPrecise(insn.dst);
      return helperCall(ctx, state, Number(constValue(r.scalar!)), pc, work, path);
    }
    if (insn.src === PseudoCall.LOCAL) {
      enterSubprog(ctx, state, pc, pc + insn.imm + 1);
      return pc + insn.imm + 1;
    }
    if (insn.src === PseudoCall.KFUNC) return ctx.fail(`calling kernel function is not supported`, pc);
    return helperCall(ctx, state, insn.imm, pc, work, path);
  }
  const br = checkCondJmp(ctx, state, insn, pc);
  const target = pc + 1 + insn.off;
  if (br.taken && br.fallthrough) {
    // As check_cond_jmp_op: the taken branch waits, the fall-through goes on.
    work.push(fork(path, br.taken, target, pc));
    path.state = br.fallthrough;
    return pc + 1;
  }
  if (br.taken) {
    path.state = br.taken;
    return target;
  }
  path.state = br.fallthrough!;
  return pc + 1;
}

function helperCall(ctx: VerifierContext, state: VerifierState, id: number, pc: number, work: Path[], path: Path): number {
  const cb = checkHelperCall(ctx, state, id, pc);
  if (cb) {
    // As push_callback_call: the callback is verified from a pushed state; this path goes on after the
    // call as if it never ran (it may run zero times).
    const inCallback = cloneState(state);
    enterCallback(inCallback, pc, cb.entry, cb.ctxArg, ctx.nextId());
    work.push(fork(path, inCallback, cb.entry, pc));
    finishCallbackHelper(state);
    return pc + 1;
  }
  return pc + 1;
}

function lddw(ctx: VerifierContext, src: number, imm: number, imm2: number, pc: number): RegState {
  switch (src) {
    case PseudoLd.IMM64:
      return scalarReg(scalarConst((BigInt(imm2 >>> 0) << 32n) | BigInt(imm >>> 0)));
    case PseudoLd.MAP_FD:
    case PseudoLd.MAP_VALUE: {
      const map = ctx.options.mapByFd?.(imm);
      if (!map) return refuse(`fd ${imm} is not pointing to valid bpf_map`, pc, "EBADF");
      if (src === PseudoLd.MAP_FD) return { type: RegType.CONST_PTR_TO_MAP, map };
      // Direct value access: only arrays of one element have a fixed value address (array_map_direct_value_addr).
      if (map.type !== ARRAY_MAP) return refuse(`no direct value access support for this map type`, pc, "EINVAL");
      // array_map_direct_value_addr's errno: ENOTSUPP for more than one element, EINVAL past the value.
      if (map.maxEntries !== 1 || imm2 < 0 || imm2 >= map.valueSize) return refuse(`invalid access to map value pointer, value_size=${map.valueSize} off=${imm2 >>> 0}`, pc, map.maxEntries !== 1 ? "ENOTSUPP" : "EINVAL");
      return { type: RegType.PTR_TO_MAP_VALUE, map, off: imm2, scalar: scalarConst(0n) };
    }
    case PseudoLd.FUNC:
      return { type: RegType.PTR_TO_FUNC, subprog: pc + imm + 1 };
    default:
      return refuseLdImm64(ctx, src, imm, pc);
  }
}

function atomic(ctx: VerifierContext, state: VerifierState, pc: number, size: number): number {
  const insn = ctx.program.insns[ctx.cfg.insnAt[pc]!]!;
  const regs = cur(state).regs;
  const src = regs[insn.src]!;
  if (src.type === RegType.NOT_INIT) ctx.fail(`R${insn.src} !read_ok`, pc);
  // With allow_ptr_leaks (privileged) a pointer may be stored by an atomic too; the slot then holds unknown bytes.
  if (isPointer(src) && !ctx.options.privileged) ctx.fail(`R${insn.src} leaks addr into mem`, pc);
  const dst = regs[insn.dst]!;
  if (dst.type === RegType.PTR_TO_CTX || dst.type === RegType.PTR_TO_BTF_ID) {
    ctx.fail(`BPF_ATOMIC stores into R${insn.dst} ${dst.type === RegType.PTR_TO_CTX ? "ctx" : "ptr_"} is not allowed`, pc);
  }
  if (insn.imm === AtomicOp.CMPXCHG) {
    const r0 = regs[0]!;
    if (r0.type === RegType.NOT_INIT) ctx.fail(`R0 !read_ok`, pc);
    if (isPointer(r0) && !ctx.options.privileged) ctx.fail(`R0 leaks addr into mem`, pc);
  }
  checkMemAccess(ctx, state, { regno: insn.dst, off: insn.off, size, write: false, strictAlign: true, pc });
  checkMemAccess(ctx, state, { regno: insn.dst, off: insn.off, size, write: true, value: scalarReg(), valueRegno: insn.src, strictAlign: true, pc });
  const old = scalarReg(size === 4 ? scalarTruncate(scalarUnknown(), 4) : scalarUnknown());
  if (insn.imm === AtomicOp.CMPXCHG) regs[0] = old;
  else if (insn.imm & AtomicOp.FETCH) regs[insn.src] = old;
  return pc + 1;
}

function programExit(ctx: VerifierContext, state: VerifierState, pc: number): undefined {
  // As the kernel: leaked references first, then the return value.
  for (const [ref, at] of state.refs) ctx.fail(`Unreleased reference id=${ref} alloc_insn=${at}`, pc, "EINVAL");
  const r0 = cur(state).regs[0]!;
  if (r0.type === RegType.NOT_INIT) ctx.fail(`R0 !read_ok`, pc);
  const pt = ctx.options.progType;
  if (isPointer(r0) && !pt.pointerReturnOk) {
    // check_return_code: with allow_ptr_leaks a pointer may be returned where the type checks no range.
    if (!ctx.options.privileged) ctx.fail(`R0 leaks addr as return value`, pc);
    if (pt.retRange) ctx.fail(`At program exit the register R0 is not a known value (${regTypeName(r0.type)})`, pc);
  }
  if (pt.retRange && r0.type === RegType.SCALAR) {
    ctx.markPrecise(0);
    const s = r0.scalar!;
    if (s.smin < pt.retRange.min || s.smax > pt.retRange.max) {
      ctx.fail(`At program exit the register R0 has ${formatReg(r0)} should have been in [${pt.retRange.min}, ${pt.retRange.max}]`, pc);
    }
  }
  return undefined;
}
