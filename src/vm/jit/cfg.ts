// The JIT's control-flow graph of a loaded program: its basic blocks (which
// slots start one, which instructions each holds, how each ends and where
// it can go next) and the entries compiled code can be called at. Pure
// analysis of the slots: no code generation here.
import { Class, CLASS_MASK, JmpOp, LDDW, OP_MASK, PseudoCall, PseudoLd } from "../isa/opcodes.js";
import type { LoadedProgram } from "../loaded-program.js";

/** How a block ends. */
export const End = {
  /** Runs on into the next slot (a plain instruction, or a call: they end blocks too). */
  FALL: 0,
  /** An unconditional jump (JA). */
  JUMP: 1,
  /** A conditional jump: `target` when taken, `next` otherwise. */
  COND: 2,
  /** EXIT. */
  EXIT: 3,
} as const;
export type End = (typeof End)[keyof typeof End];

export interface Block {
  /** Index in Cfg.blocks (blocks are in slot order). */
  readonly index: number;
  /** Slots of the block's instructions, in order (an lddw is one instruction of two slots). */
  readonly pcs: readonly number[];
  readonly end: End;
  /** Slot after the last instruction (FALL, COND): may lie outside the program. */
  readonly next: number;
  /** A jump's target slot (JUMP, COND): may lie outside the program. */
  readonly target: number;
}

export interface Cfg {
  readonly blocks: readonly Block[];
  /** The block starting at each slot (undefined where none starts). */
  readonly blockAt: readonly (Block | undefined)[];
  /** Slots compiled code can be entered at: 0, subprogram and callback targets, the extra entries. */
  readonly entries: ReadonlySet<number>;
  /** refund[pc]: instructions of pc's block after pc (what a fault at pc gives back to the budget). */
  readonly refund: Int32Array;
}

export function isJmpClass(code: number): boolean {
  const c = code & CLASS_MASK;
  return c === Class.JMP || c === Class.JMP32;
}

/** The static jump target of the jump at `pc`, if it has one (JA and conditional jumps). */
export function jumpTarget(lp: LoadedProgram, pc: number): number | undefined {
  const code = lp.op[pc]!;
  const cls = code & CLASS_MASK;
  const jop = code & OP_MASK;
  if (jop === JmpOp.CALL || jop === JmpOp.EXIT) return undefined;
  if (jop === JmpOp.JA) return pc + (cls === Class.JMP ? lp.off[pc]! : lp.imm[pc]!) + 1;
  return pc + lp.off[pc]! + 1;
}

/** The slot a bpf-to-bpf call or an lddw of a subprogram address names: where frames can start. */
export function callTarget(lp: LoadedProgram, pc: number): number | undefined {
  const code = lp.op[pc]!;
  if (code === (Class.JMP | JmpOp.CALL) && lp.src[pc] === PseudoCall.LOCAL) return pc + lp.imm[pc]! + 1;
  if (code === LDDW && lp.src[pc] === PseudoLd.FUNC) return pc + lp.imm[pc]! + 1;
  return undefined;
}

/** Whether the conditional-jump opcode `code` is one the VM knows (others never jump, as in the interpreter). */
function knownCond(jop: number): boolean {
  switch (jop) {
    case JmpOp.JEQ:
    case JmpOp.JNE:
    case JmpOp.JSET:
    case JmpOp.JGT:
    case JmpOp.JGE:
    case JmpOp.JLT:
    case JmpOp.JLE:
    case JmpOp.JSGT:
    case JmpOp.JSGE:
    case JmpOp.JSLT:
    case JmpOp.JSLE:
      return true;
    default:
      return false;
  }
}

/** The blocks of `lp`: every instruction reachable by sequential chains from slot 0 and from every target. */
export function buildCfg(lp: LoadedProgram, extraEntries: readonly number[] = []): Cfg {
  const slots = lp.slots;
  const width = (pc: number) => (lp.op[pc] === LDDW ? 2 : 1);
  const isInsn = new Uint8Array(slots);
  const leader = new Uint8Array(slots);
  const entries = new Set<number>();
  const work: number[] = [0, ...extraEntries];
  const addEntry = (pc: number) => {
    if (pc >= 0 && pc < slots) entries.add(pc);
  };
  addEntry(0);
  for (const e of extraEntries) addEntry(e);
  while (work.length > 0) {
    let pc = work.pop()!;
    if (pc < 0 || pc >= slots) continue;
    leader[pc] = 1;
    while (pc < slots) {
      if (isInsn[pc]) {
        // A chain from a target (e.g. the second slot of an lddw) runs into code already seen: a join.
        leader[pc] = 1;
        break;
      }
      isInsn[pc] = 1;
      const code = lp.op[pc]!;
      const ct = callTarget(lp, pc);
      if (ct !== undefined && ct >= 0 && ct < slots) {
        addEntry(ct);
        work.push(ct);
      }
      if (isJmpClass(code)) {
        const t = jumpTarget(lp, pc);
        if (t !== undefined) work.push(t);
        if (pc + 1 < slots) leader[pc + 1] = 1;
      }
      pc += width(pc);
    }
  }
  for (const e of entries) leader[e] = 1;
  const groups: number[][] = [];
  for (let pc = 0; pc < slots; pc++) {
    if (!isInsn[pc]) continue;
    const last = groups[groups.length - 1];
    const prev = last?.[last.length - 1];
    if (leader[pc] || last === undefined || prev === undefined || prev + width(prev) !== pc || isJmpClass(lp.op[prev]!)) groups.push([pc]);
    else last.push(pc);
  }
  const refund = new Int32Array(slots);
  const blockAt: (Block | undefined)[] = new Array(slots).fill(undefined);
  const blocks = groups.map((pcs, index): Block => {
    pcs.forEach((pc, i) => (refund[pc] = pcs.length - 1 - i));
    const last = pcs[pcs.length - 1]!;
    const code = lp.op[last]!;
    const next = last + width(last);
    let end: End = End.FALL;
    let target = -1;
    if (isJmpClass(code)) {
      const jop = code & OP_MASK;
      if (jop === JmpOp.EXIT) end = End.EXIT;
      else if (jop === JmpOp.JA) {
        end = End.JUMP;
        target = jumpTarget(lp, last)!;
      } else if (jop !== JmpOp.CALL && knownCond(jop)) {
        end = End.COND;
        target = jumpTarget(lp, last)!;
      }
    }
    const b: Block = { index, pcs, end, next, target };
    blockAt[pcs[0]!] = b;
    return b;
  });
  return { blocks, blockAt, entries, refund };
}

/** The slots control can go to after block `b` (in the order: taken target, then the next slot). */
export function successors(b: Block): number[] {
  switch (b.end) {
    case End.EXIT:
      return [];
    case End.JUMP:
      return [b.target];
    case End.COND:
      return [b.target, b.next];
    default:
      return [b.next];
  }
}
