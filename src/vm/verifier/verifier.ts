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
import { checkMemAccess } from "./check-mem.js";
import { cur, makeContext, type VerifierContext, type VerifyOptions } from "./context.js";
import { VerifierError } from "./errors.js";
import { constValue, isConst, scalarConst, scalarTruncate, scalarUnknown } from "./scalar.js";
import { cloneState, formatReg, formatRegs, isPointer, newFrame, scalarReg, stateMatches, widenScalars } from "./state.js";
import { RegType, type RegState, type VerifierState } from "./types.js";

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
}

/** A stored state at a prune point and the checkpoint it was reached from on its path. */
interface Checkpoint {
  state: VerifierState;
  parent: Checkpoint | undefined;
  pc: number;
}

interface Path {
  state: VerifierState;
  pc: number;
  chain: Checkpoint | undefined;
  /** Where this path branched off, for the log's "from X to Y" line. */
  from: number;
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
    explore(ctx, cfg, stats);
    stats.timeMs = performance.now() - t0;
    lines.push(summary(stats));
    return { accepted: true, log: lines, stats, probeMem: [...ctx.probeMem].sort((a, b) => a - b) };
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

function explore(ctx: VerifierContext, cfg: CfgInfo, stats: VerifyStats): void {
  const { program } = ctx;
  const level = ctx.options.logLevel;
  const visited = new Map<number, Checkpoint[]>();
  const entry: VerifierState = { frames: [newFrame(-1, 0, 0)], refs: new Map() };
  ctx.options.progType.entryRegs().forEach((r, i) => (entry.frames[0]!.regs[i + 1] = r));
  const work: Path[] = [{ state: entry, pc: 0, chain: undefined, from: -1 }];
  const insnText = (pc: number) => `${pc}: ${formatInsn(program.insns[cfg.insnAt[pc]!]!, { helperName })}`;
  if (level >= 2) ctx.log(`0: ${formatRegs(entry.frames[0]!)}`);

  while (work.length) {
    let path: Path | undefined = work.pop()!;
    if (level >= 1 && path.from >= 0) ctx.log(`from ${path.from} to ${path.pc}: ${formatRegs(cur(path.state))}`);
    while (path) {
      const { state } = path;
      let pc: number = path.pc;
      if (++stats.processed > ctx.options.maxProcessed) ctx.fail(`BPF program is too large. Processed ${stats.processed} insn`, pc);
      if (cfg.prunePoints[pc]) {
        const list = visited.get(pc) ?? [];
        let pruned = false;
        for (const v of list) {
          if (!stateMatches(v.state, state)) continue;
          if (isAncestor(v, path.chain)) {
            // Callback iterations are bounded by the helper: a repeated state at the callback's entry has converged.
            const f = cur(state);
            if (f.callbackOf >= 0 && pc === f.subprog) {
              pruned = true;
              break;
            }
            if (stateMatches(v.state, state, true)) ctx.fail(`infinite loop detected at insn ${pc}`, pc);
            continue; // the same loop head with a narrower state: keep going (the budget bounds it)
          }
          pruned = true;
          break;
        }
        if (pruned) {
          if (level >= 1) ctx.log(`${pc}: safe`);
          break;
        }
        // A callback entered again: widen what changed since the previous iteration so they converge.
        const f = cur(state);
        if (f.callbackOf >= 0 && pc === f.subprog) {
          // Only against an earlier iteration of the same helper call, never an earlier call's.
          for (let c = path.chain; c; c = c.parent) {
            if (c.pc === pc && c.state.frames.length === state.frames.length && cur(c.state).invocation === f.invocation) {
              widenScalars(c.state, state);
              break;
            }
          }
        }
        const cp: Checkpoint = { state: cloneState(state), parent: path.chain, pc };
        if (list.length >= MAX_STATES_PER_INSN) list.shift();
        list.push(cp);
        visited.set(pc, list);
        path.chain = cp;
        stats.totalStates++;
        stats.peakStates = Math.max(stats.peakStates, stats.totalStates);
        stats.maxStatesPerInsn = Math.max(stats.maxStatesPerInsn, list.length);
      }
      if (level >= 1) ctx.log(level >= 2 ? `${insnText(pc)}\t; ${formatRegs(cur(state))}` : insnText(pc));
      const next = step(ctx, state, pc, work, path);
      if (work.length > MAX_PENDING) ctx.fail(`The sequence of ${MAX_PENDING} jumps is too complex.`, pc);
      if (next === undefined) break; // program exit on this path
      pc = next;
      path.pc = pc;
    }
    path = undefined;
  }
}

function isAncestor(v: Checkpoint, chain: Checkpoint | undefined): boolean {
  for (let c = chain; c; c = c.parent) if (c === v) return true;
  return false;
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
      const v = checkMemAccess(ctx, state, { regno: insn.src, off: insn.off, size, write: false, signExtend: (code & 0xe0) === Mode.MEMSX, pc });
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
      checkMemAccess(ctx, state, { regno: insn.dst, off: insn.off, size, write: true, value, valueRegno: insn.src, pc });
      return pc + 1;
    }
    case Class.LD:
      if (code !== LDDW) return ctx.fail(`BPF_LD_[ABS|IND] instructions not allowed for this program type`, pc);
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
    work.push({ state: again, pc: f.subprog, chain: path.chain, from: pc });
    return next;
  }
  if (jop === JmpOp.CALL) {
    if (code === 0x8d) {
      // callx: the conformance dialect's call by register; the id must be known.
      const r = regs()[insn.dst]!;
      if (r.type !== RegType.SCALAR || !isConst(r.scalar!)) ctx.fail(`R${insn.dst} callx target is not a known helper id`, pc);
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
    work.push({ state: br.fallthrough, pc: pc + 1, chain: path.chain, from: pc });
    path.state = br.taken;
    return target;
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
    // The callback may run zero times: that path continues after the call.
    const none = cloneState(state);
    finishCallbackHelper(none);
    work.push({ state: none, pc: pc + 1, chain: path.chain, from: pc });
    enterCallback(state, pc, cb.entry, cb.ctxArg, ctx.nextId());
    return cb.entry;
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
      if (!map) return ctx.fail(`fd ${imm} is not pointing to valid bpf_map`, pc);
      if (src === PseudoLd.MAP_FD) return { type: RegType.CONST_PTR_TO_MAP, map };
      // Direct value access: only arrays of one element have a fixed value address (array_map_direct_value_addr).
      if (map.type !== ARRAY_MAP) return ctx.fail(`no direct value access support for this map type`, pc);
      if (map.maxEntries !== 1 || imm2 < 0 || imm2 >= map.valueSize) return ctx.fail(`invalid access to map value pointer, value_size=${map.valueSize} off=${imm2 >>> 0}`, pc);
      return { type: RegType.PTR_TO_MAP_VALUE, map, off: imm2, scalar: scalarConst(0n) };
    }
    case PseudoLd.FUNC:
      return { type: RegType.PTR_TO_FUNC, subprog: pc + imm + 1 };
    default:
      return ctx.fail(`invalid bpf_ld_imm64 insn`, pc);
  }
}

function atomic(ctx: VerifierContext, state: VerifierState, pc: number, size: number): number {
  const insn = ctx.program.insns[ctx.cfg.insnAt[pc]!]!;
  const regs = cur(state).regs;
  const src = regs[insn.src]!;
  if (src.type === RegType.NOT_INIT) ctx.fail(`R${insn.src} !read_ok`, pc);
  if (isPointer(src)) ctx.fail(`R${insn.src} leaks addr into mem`, pc);
  const dst = regs[insn.dst]!;
  if (dst.type === RegType.PTR_TO_CTX || dst.type === RegType.PTR_TO_BTF_ID) {
    ctx.fail(`BPF_ATOMIC stores into R${insn.dst} ${dst.type === RegType.PTR_TO_CTX ? "ctx" : "ptr_"} is not allowed`, pc);
  }
  if (insn.imm === AtomicOp.CMPXCHG) {
    const r0 = regs[0]!;
    if (r0.type === RegType.NOT_INIT) ctx.fail(`R0 !read_ok`, pc);
    if (isPointer(r0)) ctx.fail(`R0 leaks addr into mem`, pc);
  }
  checkMemAccess(ctx, state, { regno: insn.dst, off: insn.off, size, write: false, pc });
  checkMemAccess(ctx, state, { regno: insn.dst, off: insn.off, size, write: true, value: scalarReg(), valueRegno: insn.src, pc });
  const old = scalarReg(size === 4 ? scalarTruncate(scalarUnknown(), 4) : scalarUnknown());
  if (insn.imm === AtomicOp.CMPXCHG) regs[0] = old;
  else if (insn.imm & AtomicOp.FETCH) regs[insn.src] = old;
  return pc + 1;
}

function programExit(ctx: VerifierContext, state: VerifierState, pc: number): undefined {
  // As the kernel: leaked references first, then the return value.
  for (const [ref, at] of state.refs) ctx.fail(`Unreleased reference id=${ref} alloc_insn=${at}`, pc);
  const r0 = cur(state).regs[0]!;
  if (r0.type === RegType.NOT_INIT) ctx.fail(`R0 !read_ok`, pc);
  const pt = ctx.options.progType;
  if (isPointer(r0) && !pt.pointerReturnOk) ctx.fail(`R0 leaks addr as return value`, pc);
  if (pt.retRange && r0.type === RegType.SCALAR) {
    const s = r0.scalar!;
    if (s.smin < pt.retRange.min || s.smax > pt.retRange.max) {
      ctx.fail(`At program exit the register R0 has ${formatReg(r0)} should have been in [${pt.retRange.min}, ${pt.retRange.max}]`, pc);
    }
  }
  return undefined;
}
