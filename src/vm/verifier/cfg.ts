// The verifier's structural pass, after the kernel's first checks of a
// program (kernel/bpf/verifier.c add_subprog_and_kfunc(), check_subprogs(),
// the opcode check of resolve_pseudo_ldimm64(), and check_cfg() — in the
// newest kernels kernel/bpf/cfg.c bpf_check_cfg(), push_insn(), visit_insn()),
// in the kernel's order and with its messages:
//
//   0. size on load (bpf_prog_load): empty or longer than the limit → E2BIG
//   1. subprograms: every `call local` / lddw-func target starts one
//      ("call to invalid destination", "too many subprograms"); kfuncs and,
//      unprivileged, every bpf-to-bpf call or function pointer are refused
//   2. every jump stays inside its subprogram ("jump out of range from insn
//      %d to %d"), every subprogram ends in exit or ja ("last insn is not an
//      exit or jmp")
//   3. opcodes the kernel does not know: callx ("unknown opcode 8d")
//   4. a depth-first walk from slot 0 along fall-through, jump and call
//      edges (a call's fall-through edge models the return): back-edges are
//      loops, refused unprivileged ("back-edge from insn %d to %d"); then
//      every slot must have been reached ("unreachable insn %d") and no jump
//      may land on the second slot of an lddw ("jump into the middle of
//      ldimm64 insn %d")
//
// The kernel works on raw 8-byte slots, where an lddw's second slot is an
// instruction with opcode 0. This pass does the same (see `Slots`), so odd
// programs — a jump or call into the second half of an lddw, an lddw as a
// subprogram's last slot — fail exactly where and how the kernel's do.
import { hex2, Class, CLASS_MASK, JmpOp, LDDW, OP_MASK, PseudoCall, PseudoLd, Source, SOURCE_MASK } from "../isa/opcodes.js";
import type { Program } from "../isa/instruction.js";
import type { ErrnoName } from "../../internal/errno.js";
import { VerifierError } from "./errors.js";

/** Max instructions of an unprivileged program (uapi BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;
/** Max instructions of a privileged (CAP_BPF) program (BPF_COMPLEXITY_LIMIT_INSNS). */
export const BPF_COMPLEXITY_LIMIT_INSNS = 1_000_000;
/** Max subprograms, the main program included (BPF_MAX_SUBPROGS). */
export const BPF_MAX_SUBPROGS = 256;

export interface CfgOptions {
  /** Privileged loads may contain loops (bounded ones are proven later by exploration); unprivileged may not. */
  privileged: boolean;
  /** Max instructions (slots): 4096 unprivileged (BPF_MAXINSNS), 1_000_000 privileged. */
  maxInsns?: number;
  /** Whether callx (0x8d) is allowed (the conformance program type allows it; kernel programs do not). */
  allowCallx?: boolean;
}

export interface Subprog {
  start: number;
  /** Exclusive slot. */
  end: number;
}

export interface CfgInfo {
  /**
   * Subprogram 0 starts at slot 0; the others at every `call local` target
   * and every lddw src=4 (function pointer) target, sorted by start.
   */
  subprogs: Subprog[];
  /**
   * Slots where the main verifier should try state pruning (kernel:
   * mark_prune_point), length = slot count, 1 = prune point:
   *  - every jump target (conditional or ja / ja32);
   *  - every conditional jump itself (the kernel checkpoints before the
   *    branch; its fall-through is not one unless it is a target too);
   *  - the slot after every call (helper, callx, kfunc, local) and after an
   *    lddw src=4;
   *  - a local call and an lddw src=4 themselves, and their target (the
   *    callee's first slot).
   */
  prunePoints: Uint8Array;
  /**
   * Loop heads: targets of back-edges of the depth-first walk (only
   * non-empty when privileged; unprivileged back-edges are rejected). A
   * recursive call is a back-edge too: its callee's first slot is marked.
   */
  loopHeads: Uint8Array;
  /** For each slot: index into program.insns of the instruction starting there, or -1 for the second slot of an lddw. */
  insnAt: Int32Array;
}

/** The program as the kernel sees it: one entry per 8-byte slot, an lddw's second slot being opcode 0 with imm = imm2. */
interface Slots {
  readonly n: number;
  readonly code: Uint8Array;
  readonly src: Uint8Array;
  readonly off: Int32Array;
  readonly imm: Int32Array;
  readonly insnAt: Int32Array;
}

function fail(reason: string, insn: number | undefined, errno: ErrnoName = "EINVAL"): never {
  throw new VerifierError(reason, insn, [reason], errno);
}

function toSlots(program: Program): Slots {
  const n = program.slotOf[program.insns.length] ?? 0;
  const code = new Uint8Array(n);
  const src = new Uint8Array(n);
  const off = new Int32Array(n);
  const imm = new Int32Array(n);
  const insnAt = new Int32Array(n).fill(-1);
  program.insns.forEach((insn, i) => {
    const s = program.slotOf[i]!;
    code[s] = insn.opcode;
    src[s] = insn.src;
    off[s] = insn.off;
    imm[s] = insn.imm;
    insnAt[s] = i;
    if (insn.opcode === LDDW && s + 1 < n) imm[s + 1] = insn.imm2 ?? 0;
  });
  return { n, code, src, off, imm, insnAt };
}

const JMP_CALL = Class.JMP | JmpOp.CALL;
const JMP_EXIT = Class.JMP | JmpOp.EXIT;
const JMP_JA = Class.JMP | JmpOp.JA;
const JMP32_JA = Class.JMP32 | JmpOp.JA;
const CALLX = JMP_CALL | Source.X;

/** bpf_pseudo_call(): `call local` (src=1). */
function isPseudoCall(s: Slots, i: number): boolean {
  return s.code[i] === JMP_CALL && s.src[i] === PseudoCall.LOCAL;
}
/** bpf_pseudo_func(): lddw src=4, the address of a subprogram. */
function isPseudoFunc(s: Slots, i: number): boolean {
  return s.code[i] === LDDW && s.src[i] === PseudoLd.FUNC;
}
/** bpf_pseudo_kfunc_call(): call src=2. */
function isKfuncCall(s: Slots, i: number): boolean {
  return s.code[i] === JMP_CALL && s.src[i] === PseudoCall.KFUNC;
}
function isJmpClass(code: number): boolean {
  const c = code & CLASS_MASK;
  return c === Class.JMP || c === Class.JMP32;
}
/** Target slot of a jump (not a call) at slot i: ja32 carries its offset in imm. */
function jumpTarget(s: Slots, i: number): number {
  return s.code[i] === JMP32_JA ? i + s.imm[i]! + 1 : i + s.off[i]! + 1;
}

/** add_subprog_and_kfunc(): the sorted subprogram starts. */
function addSubprogs(s: Slots, privileged: boolean): number[] {
  const starts = new Set<number>([0]);
  for (let i = 0; i < s.n; i++) {
    const local = isPseudoCall(s, i) || isPseudoFunc(s, i);
    const kfunc = isKfuncCall(s, i);
    if (!local && !kfunc) continue;
    if (!privileged) {
      fail("loading/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN", i, "EPERM");
    }
    if (kfunc) {
      // add_kfunc_call(): the first check that fails in an interpreter-only
      // setup (the kernel has BTF here, but no JIT). The VM has no kfuncs.
      fail("JIT is required for calling kernel function", i, "ENOTSUPP");
    }
    const target = i + s.imm[i]! + 1;
    if (target < 0 || target >= s.n) fail("call to invalid destination", i);
    if (starts.has(target)) continue;
    if (starts.size >= BPF_MAX_SUBPROGS) fail("too many subprograms", i, "E2BIG");
    starts.add(target);
  }
  return [...starts].sort((a, b) => a - b);
}

/** check_subprogs(): jumps stay in their subprogram, which ends in exit or ja. */
function checkSubprogs(s: Slots, starts: readonly number[]): void {
  let cur = 0;
  let start = starts[0]!;
  let end = starts[1] ?? s.n;
  for (let i = 0; i < s.n; i++) {
    const code = s.code[i]!;
    const op = code & OP_MASK;
    if (isJmpClass(code) && op !== JmpOp.EXIT && op !== JmpOp.CALL) {
      const to = jumpTarget(s, i);
      if (to < start || to >= end) fail(`jump out of range from insn ${i} to ${to}`, i);
    }
    if (i === end - 1) {
      // No fall-through from one subprogram into the next.
      if (code !== JMP_EXIT && code !== JMP32_JA && code !== JMP_JA) {
        // The kernel looks at the slot; a cut lddw is reported at its first slot.
        fail("last insn is not an exit or jmp", s.insnAt[i]! < 0 ? i - 1 : i);
      }
      cur++;
      start = end;
      end = starts[cur + 1] ?? s.n;
    }
  }
}

/** The opcode check of resolve_pseudo_ldimm64() (bpf_opcode_in_insntable), for what our ISA has beyond the kernel's. */
function checkOpcodes(s: Slots, allowCallx: boolean): void {
  if (allowCallx) return;
  for (let i = 0; i < s.n; i++) {
    if (s.insnAt[i]! < 0) continue;
    if (s.code[i] === CALLX) fail(`unknown opcode ${hex2(CALLX)}`, i);
  }
}

// check_cfg() states: a slot is DISCOVERED when pushed on the DFS stack (so
// the DISCOVERED slots are exactly the current path), the low bits record
// which of its edges have been labelled, EXPLORED once popped.
const DISCOVERED = 0x10;
const EXPLORED = 0x20;
const FALLTHROUGH = 1;
const BRANCH = 2;
const DONE_EXPLORING = 0;
const KEEP_EXPLORING = 1;

/** check_cfg(): the depth-first walk, then reachability and lddw integrity. Returns the loop heads. */
function walkCfg(s: Slots, privileged: boolean): Uint8Array {
  const { n } = s;
  const state = new Uint8Array(n);
  const stack = new Int32Array(n);
  const loopHeads = new Uint8Array(n);
  let sp = 0;

  // push_insn(): label edge t→w of kind e; KEEP_EXPLORING when w was new.
  const push = (t: number, w: number, e: number): number => {
    if (e === FALLTHROUGH && state[t]! >= (DISCOVERED | FALLTHROUGH)) return DONE_EXPLORING;
    if (e === BRANCH && state[t]! >= (DISCOVERED | BRANCH)) return DONE_EXPLORING;
    if (w < 0 || w >= n) fail(`jump out of range from insn ${t} to ${w}`, t);
    const sw = state[w]!;
    if (sw === 0) {
      // tree edge
      state[t] = DISCOVERED | e;
      state[w] = DISCOVERED;
      stack[sp++] = w;
      return KEEP_EXPLORING;
    }
    if ((sw & 0xf0) === DISCOVERED) {
      // back-edge: w is on the current path
      if (!privileged) fail(`back-edge from insn ${t} to ${w}`, t);
      loopHeads[w] = 1;
      return DONE_EXPLORING;
    }
    // forward or cross edge (w EXPLORED)
    state[t] = DISCOVERED | e;
    return DONE_EXPLORING;
  };

  // visit_func_call_insn(): the fall-through edge (the return), then the callee.
  const visitCall = (t: number, visitCallee: boolean): number => {
    const size = s.code[t] === LDDW ? 2 : 1;
    const ret = push(t, t + size, FALLTHROUGH);
    if (ret !== DONE_EXPLORING || !visitCallee) return ret;
    return push(t, t + s.imm[t]! + 1, BRANCH);
  };

  // visit_insn(): one edge per call, so the stack always holds the DFS path.
  const visit = (t: number): number => {
    const code = s.code[t]!;
    if (isPseudoFunc(s, t)) return visitCall(t, true);
    if (!isJmpClass(code)) return push(t, t + (code === LDDW ? 2 : 1), FALLTHROUGH);
    switch (code & OP_MASK) {
      case JmpOp.EXIT:
        return DONE_EXPLORING;
      case JmpOp.CALL:
        return visitCall(t, s.src[t] === PseudoCall.LOCAL && (code & SOURCE_MASK) === Source.K);
      case JmpOp.JA:
        return push(t, jumpTarget(s, t), FALLTHROUGH);
      default: {
        const ret = push(t, t + 1, FALLTHROUGH);
        if (ret !== DONE_EXPLORING) return ret;
        return push(t, jumpTarget(s, t), BRANCH);
      }
    }
  };

  state[0] = DISCOVERED;
  stack[sp++] = 0;
  while (sp > 0) {
    const t = stack[sp - 1]!;
    if (visit(t) === DONE_EXPLORING) {
      state[t] = EXPLORED;
      sp--;
    }
  }

  for (let i = 0; i < n; i++) {
    if (state[i] !== EXPLORED) fail(`unreachable insn ${i}`, i);
    if (s.code[i] === LDDW && s.insnAt[i]! >= 0) {
      if (i + 1 < n && state[i + 1] !== 0) fail(`jump into the middle of ldimm64 insn ${i}`, i);
      i++; // skip the second half
    }
  }
  return loopHeads;
}

/** The prune points of a program that passed the checks (see CfgInfo.prunePoints). */
function prunePointsOf(s: Slots): Uint8Array {
  const { n } = s;
  const marks = new Uint8Array(n);
  const mark = (i: number): void => {
    if (i >= 0 && i < n) marks[i] = 1;
  };
  for (let t = 0; t < n; t++) {
    if (s.insnAt[t]! < 0) continue;
    const code = s.code[t]!;
    if (isPseudoFunc(s, t)) {
      mark(t);
      mark(t + 2);
      mark(t + s.imm[t]! + 1);
      continue;
    }
    if (!isJmpClass(code)) continue;
    switch (code & OP_MASK) {
      case JmpOp.EXIT:
        break;
      case JmpOp.CALL:
        mark(t + 1);
        if (isPseudoCall(s, t)) {
          mark(t);
          mark(t + s.imm[t]! + 1);
        }
        break;
      case JmpOp.JA:
        mark(jumpTarget(s, t));
        break;
      default:
        mark(t);
        mark(jumpTarget(s, t));
    }
  }
  return marks;
}

/**
 * The structural checks of a program, in the kernel's order; throws a
 * VerifierError (reason, insn slot, errno) with the kernel's wording for the
 * first problem found. Checks left to the main pass: writes to R10, helper
 * and kfunc ids, call depth ("the call stack of %d frames is too deep") and
 * recursion, stack depth, locks, program-type restrictions (LD_ABS, tail
 * calls), reserved fields (decode/validateInsn has done those).
 */
export function checkCfg(program: Program, options: CfgOptions): CfgInfo {
  const { privileged } = options;
  const s = toSlots(program);
  const max = options.maxInsns ?? (privileged ? BPF_COMPLEXITY_LIMIT_INSNS : BPF_MAXINSNS);
  // bpf_prog_load() refuses these with E2BIG before the verifier runs (no
  // log); the wording of the too-large one is libbpf's.
  if (s.n === 0) fail("empty program", undefined, "E2BIG");
  if (s.n > max) fail(`program too large (${s.n} insns), at most ${max} insns`, undefined, "E2BIG");

  const starts = addSubprogs(s, privileged);
  checkSubprogs(s, starts);
  checkOpcodes(s, options.allowCallx === true);
  const loopHeads = walkCfg(s, privileged);

  const subprogs = starts.map((start, k) => ({ start, end: starts[k + 1] ?? s.n }));
  return { subprogs, prunePoints: prunePointsOf(s), loopHeads, insnAt: s.insnAt };
}
