// Static register liveness (the kernel's compute_live_registers(), Linux
// 6.15+): for every slot, the registers some path from that slot reads
// before writing. State pruning compares only live registers: a dead one's
// value can never matter, whatever the old state held there.
//
// The analysis is per subprogram: a call defines r0-r5 and falls through
// to the next slot; a helper call reads the registers of its prototype's
// arguments (get_call_summary's num_params), any other call r1-r5; exit
// reads r0.
// Frames below the current one are compared with the registers live after
// their call returns (r6-r9 live there; r0-r5 are the call's results).
import type { Program } from "../isa/instruction.js";
import { AtomicOp, Class, CLASS_MASK, JmpOp, LDDW, Mode, OP_MASK, PseudoCall, Source, SOURCE_MASK } from "../isa/opcodes.js";
import type { CfgInfo } from "./cfg.js";

/** Bit r of a mask: register r. */
const R = (r: number): number => 1 << r;
/** r1-r5: the call arguments (and what a call clobbers, with r0). */
const ARGS = 0b111110;
const CALLER_SAVED = 0b111111;

/** Per slot: bitmask of registers live before the slot's instruction runs. */
export type LiveIn = Uint16Array;

interface UseDef {
  use: number;
  def: number;
  /** Successor slots inside the subprogram (none for exit). */
  succ: number[];
}

/** The number of arguments helper `id` takes (its prototype's), undefined when unknown. */
export type HelperArgCount = (id: number) => number | undefined;

function useDef(program: Program, cfg: CfgInfo, pc: number, helperArgs: HelperArgCount | undefined): UseDef {
  const insn = program.insns[cfg.insnAt[pc]!]!;
  const code = insn.opcode;
  const cls = code & CLASS_MASK;
  const x = (code & SOURCE_MASK) === Source.X;
  const next = [pc + 1];
  switch (cls) {
    case Class.ALU:
    case Class.ALU64: {
      const op = code & 0xf0;
      if (op === 0xb0 /* MOV */) return { use: x ? R(insn.src) : 0, def: R(insn.dst), succ: next };
      if (op === 0x80 /* NEG */ || op === 0xd0 /* END */) return { use: R(insn.dst), def: R(insn.dst), succ: next };
      return { use: R(insn.dst) | (x ? R(insn.src) : 0), def: R(insn.dst), succ: next };
    }
    case Class.LDX:
      return { use: R(insn.src), def: R(insn.dst), succ: next };
    case Class.ST:
      return { use: R(insn.dst), def: 0, succ: next };
    case Class.STX: {
      if ((code & 0xe0) !== Mode.ATOMIC) return { use: R(insn.dst) | R(insn.src), def: 0, succ: next };
      if (insn.imm === AtomicOp.CMPXCHG) return { use: R(insn.dst) | R(insn.src) | R(0), def: R(0), succ: next };
      return { use: R(insn.dst) | R(insn.src), def: insn.imm & AtomicOp.FETCH ? R(insn.src) : 0, succ: next };
    }
    case Class.LD:
      if (code === LDDW) return { use: 0, def: R(insn.dst), succ: [pc + 2] };
      // LD_ABS/LD_IND: read the skb in r6 (and src for IND), result in r0, r1-r5 clobbered.
      return { use: R(6) | ((code & 0xe0) === Mode.IND ? R(insn.src) : 0), def: CALLER_SAVED, succ: next };
    default:
      break;
  }
  const op = code & OP_MASK;
  if (op === JmpOp.EXIT) return { use: R(0), def: 0, succ: [] };
  if (op === JmpOp.CALL) {
    const callx = x && insn.src !== PseudoCall.LOCAL;
    // A helper reads r1..rN for its N arguments and nothing more (a call it cannot make fails anyway).
    const n = !x && insn.src === 0 ? helperArgs?.(insn.imm) : undefined;
    const use = n === undefined ? ARGS : ARGS & ((1 << (n + 1)) - 1);
    return { use: use | (callx ? R(insn.dst) : 0), def: CALLER_SAVED, succ: next };
  }
  const rel = cls === Class.JMP32 && op === JmpOp.JA ? insn.imm : insn.off;
  const target = pc + 1 + rel;
  if (op === JmpOp.JA) return { use: 0, def: 0, succ: [target] };
  return { use: R(insn.dst) | (x ? R(insn.src) : 0), def: 0, succ: [pc + 1, target] };
}

/** Live-in masks for every slot of a program that passed the CFG checks (iterates to a fixpoint, loops included). */
export function computeLiveness(program: Program, cfg: CfgInfo, helperArgs?: HelperArgCount): LiveIn {
  const n = cfg.insnAt.length;
  const live = new Uint16Array(n);
  const info: (UseDef | undefined)[] = new Array(n);
  for (let pc = 0; pc < n; pc++) if (cfg.insnAt[pc]! >= 0) info[pc] = useDef(program, cfg, pc, helperArgs);
  // Backward passes until nothing changes; reverse slot order converges in a
  // pass or two for forward code, one more per nested loop.
  for (let changed = true; changed; ) {
    changed = false;
    for (let pc = n - 1; pc >= 0; pc--) {
      const u = info[pc];
      if (!u) continue;
      let out = 0;
      for (const s of u.succ) if (s >= 0 && s < n) out |= live[s]!;
      const inn = (u.use | (out & ~u.def)) & 0x7ff;
      if (inn !== live[pc]) {
        live[pc] = inn;
        changed = true;
      }
    }
  }
  return live;
}

/** Registers of a caller frame that matter while a callee runs: those live after the call returns, less its results r0-r5. */
export function liveAfterCall(live: LiveIn, callsite: number): number {
  return (live[callsite + 1] ?? 0) & ~CALLER_SAVED;
}
