// The combined stack size of every call chain (the kernel's
// check_max_stack_depth, run after the main pass): a static walk of the
// call graph from the main program, through every bpf-to-bpf call and
// callback reference (lddw of a function) in the code, reachable in
// verification or not, each frame counting its subprogram's deepest stack
// access rounded up to 32 bytes (at least 32). A chain over 512 bytes is
// refused, and so is recursion: a cycle in the call graph runs the walk
// past 8 frames. A subprogram that tail-calls may not be entered with 256
// bytes or more of stack below it.
import type { Program } from "../isa/instruction.js";
import { Class, CLASS_MASK, JmpOp, LDDW, OP_MASK, PseudoCall, PseudoLd, Source, SOURCE_MASK } from "../isa/opcodes.js";
import { HELPER_TAIL_CALL, MAX_CALL_FRAMES } from "../limits.js";
import type { CfgInfo } from "./cfg.js";
import { STACK_SIZE } from "./types.js";

export interface StackDepthError {
  reason: string;
  errno: "EACCES" | "E2BIG";
  insn: number;
}

/** The kernel's round_up_stack_depth: at least 1 byte, in 32-byte units. */
function frameSize(depth: number): number {
  return Math.ceil(Math.max(depth, 1) / 32) * 32;
}

/**
 * Walks the call graph from slot 0. `depthOf(start)` is the deepest stack
 * access (bytes below the frame top) seen in the subprogram starting at
 * `start` (0 when it was never verified). Returns the first violation.
 */
export function checkMaxStackDepth(program: Program, cfg: CfgInfo, depthOf: (start: number) => number): StackDepthError | undefined {
  const insnAt = cfg.insnAt;
  const subs = cfg.subprogs;
  const indexOf = (slot: number): number => subs.findIndex((s) => s.start === slot);
  const isCall = (i: number): number | undefined => {
    if (insnAt[i]! < 0) return undefined;
    const insn = program.insns[insnAt[i]!]!;
    const code = insn.opcode;
    const jmp = (code & CLASS_MASK) === Class.JMP;
    if (jmp && (code & OP_MASK) === JmpOp.CALL && (code & SOURCE_MASK) === Source.K && insn.src === PseudoCall.LOCAL) return i + insn.imm + 1;
    if (code === LDDW && insn.src === PseudoLd.FUNC) return i + insn.imm + 1;
    return undefined;
  };
  const hasTailCall = subs.map((s) => {
    for (let i = s.start; i < s.end; i++) {
      if (insnAt[i]! < 0) continue;
      const insn = program.insns[insnAt[i]!]!;
      if (insn.opcode === (Class.JMP | JmpOp.CALL) && insn.src === 0 && insn.imm === HELPER_TAIL_CALL) return true;
    }
    return false;
  });
  const retInsn: number[] = [];
  const retProg: number[] = [];
  let depth = 0;
  let frame = 0;
  let idx = 0;
  let i = 0;
  // The kernel's process_func / continue_func loop, as a state machine.
  for (let enter = true; ; ) {
    if (enter) {
      if (idx > 0 && hasTailCall[idx] && depth >= 256) {
        return { reason: `tail_calls are not allowed when call stack of previous frames is ${depth} bytes. Too large`, errno: "EACCES", insn: subs[idx]!.start };
      }
      depth += frameSize(depthOf(subs[idx]!.start));
      if (depth > STACK_SIZE) return { reason: `combined stack size of ${frame + 1} calls is ${depth}. Too large`, errno: "EACCES", insn: subs[idx]!.start };
      enter = false;
    }
    const end = subs[idx]!.end;
    let called = false;
    for (; i < end; i++) {
      const target = isCall(i);
      if (target === undefined) continue;
      retInsn[frame] = i + (program.insns[insnAt[i]!]!.opcode === LDDW ? 2 : 1);
      retProg[frame] = idx;
      const callee = indexOf(target);
      if (callee < 0) return { reason: `verifier bug. No program starts at insn ${target}`, errno: "EACCES", insn: i };
      i = target;
      idx = callee;
      frame++;
      if (frame >= MAX_CALL_FRAMES) return { reason: `the call stack of ${frame} frames is too deep !`, errno: "E2BIG", insn: retInsn[frame - 1]! - 1 };
      called = true;
      break;
    }
    if (called) {
      enter = true;
      continue;
    }
    if (frame === 0) return undefined;
    depth -= frameSize(depthOf(subs[idx]!.start));
    frame--;
    i = retInsn[frame]!;
    idx = retProg[frame]!;
  }
}
