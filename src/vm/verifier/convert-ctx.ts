// After verification, the program as it will run (the kernel's
// convert_ctx_accesses and the LD_ABS part of do_misc_fixups): context
// accesses of program types whose context is a kernel object (socket
// filters' __sk_buff) become loads and stores of that object, LD_ABS/LD_IND
// become internal skb load calls, and every jump, bpf-to-bpf call and
// function address is re-targeted across the inserted instructions
// (bpf_patch_insn_data). During verification it records which pointer type
// each load and store went through, refusing an instruction used with a
// context pointer on one path and another pointer on another (the kernel's
// "same insn cannot be used with different pointers").
import type { Instruction, Program } from "../isa/instruction.js";
import { Class, CLASS_MASK, JmpOp, LDDW, Mode, OP_MASK, PseudoCall, PseudoLd } from "../isa/opcodes.js";
import { genLdAbs } from "./check-ld-abs.js";
import type { VerifierContext } from "./context.js";
import { VerifierError } from "./errors.js";
import type { ConvertedInsn, CtxAccess } from "./sk-buff-ctx.js";
import { RegType, type RegState } from "./types.js";

/** What a load or store went through: the context (with the access), a typed kernel pointer, or other memory. */
type Seen = { readonly kind: "ctx"; readonly access: CtxAccess } | { readonly kind: "btf" | "other" };

const seenByRun = new WeakMap<VerifierContext, Map<number, Seen>>();

/** Records the load/store at slot `pc` through base register `r` (its state before the access), once its memory check passed. */
export function noteMemAccess(ctx: VerifierContext, pc: number, r: RegState, off: number, size: number, write: boolean, signExtend: boolean): void {
  const kind = r.type === RegType.PTR_TO_CTX ? "ctx" : r.type === RegType.PTR_TO_BTF_ID ? "btf" : "other";
  let seen = seenByRun.get(ctx);
  if (!seen) seenByRun.set(ctx, (seen = new Map()));
  const prev = seen.get(pc);
  if (prev) {
    // Only context and typed kernel pointers are converted: they may not share an instruction with anything else.
    if (prev.kind !== kind && (prev.kind !== "other" || kind !== "other")) throw new VerifierError(`same insn cannot be used with different pointers`, pc, [], "EINVAL");
    return;
  }
  seen.set(pc, kind === "ctx" ? { kind, access: { off: (r.off ?? 0) + off, size, write, signExtend } } : { kind });
}

/** The program to run, its BPF_PROBE_MEM-like load slots and its kernel-store slots. */
export interface ConvertedProgram {
  readonly program: Program;
  readonly probeMem: number[];
  readonly kernelStores: number[];
}

const isLdAbs = (i: Instruction): boolean => (i.opcode & CLASS_MASK) === Class.LD && ((i.opcode & 0xe0) === Mode.ABS || (i.opcode & 0xe0) === Mode.IND);

/**
 * Rewrites the verified `program` (ctx.program) for running; `probeMem` are
 * the slots of typed-pointer loads found by the verifier. The same program
 * comes back when nothing needs converting; a string says why a context
 * access cannot be converted on this kernel.
 */
export function convertProgram(ctx: VerifierContext, probeMem: readonly number[]): ConvertedProgram | string {
  const { program } = ctx;
  const convert = ctx.options.progType.convertCtxAccess;
  const seen = seenByRun.get(ctx);
  const patches = new Map<number, ConvertedInsn[]>();
  for (let i = 0; i < program.insns.length; i++) {
    const insn = program.insns[i]!;
    const slot = program.slotOf[i]!;
    if (isLdAbs(insn)) {
      patches.set(i, genLdAbs(insn).map((x) => ({ insn: x })));
      continue;
    }
    const s = seen?.get(slot);
    if (!convert || s?.kind !== "ctx") continue;
    const out = convert(s.access, insn);
    if (typeof out === "string") return `${slot}: ${out}`;
    patches.set(i, out);
  }
  if (patches.size === 0) return { program, probeMem: [...probeMem], kernelStores: [] };

  // New instructions; for each old one the new index of its first replacement.
  const insns: Instruction[] = [];
  const origin: number[] = []; // old index for unpatched instructions, -1 inside patches
  const firstNew: number[] = [];
  const probe = new Set(probeMem);
  const newProbe: number[] = [];
  const stores: number[] = [];
  for (let i = 0; i < program.insns.length; i++) {
    firstNew.push(insns.length);
    const p = patches.get(i);
    if (!p) {
      if (probe.has(program.slotOf[i]!)) newProbe.push(insns.length);
      insns.push({ ...program.insns[i]! });
      origin.push(i);
      continue;
    }
    for (const c of p) {
      if (c.kernel === 1) newProbe.push(insns.length);
      if (c.kernel === 2) stores.push(insns.length);
      insns.push({ ...c.insn });
      origin.push(-1);
    }
  }
  firstNew.push(insns.length);
  const slotOf: number[] = [];
  let slots = 0;
  for (const x of insns) {
    slotOf.push(slots);
    slots += x.opcode === LDDW ? 2 : 1;
  }
  slotOf.push(slots);
  // Old slot -> old index, to follow relative targets.
  const indexOfSlot = new Map<number, number>();
  program.insns.forEach((_, i) => indexOfSlot.set(program.slotOf[i]!, i));
  indexOfSlot.set(program.slotOf[program.insns.length]!, program.insns.length);
  const retarget = (oldIndex: number, rel: number): number | undefined => {
    const to = indexOfSlot.get(program.slotOf[oldIndex]! + (program.insns[oldIndex]!.opcode === LDDW ? 2 : 1) + rel);
    if (to === undefined) return undefined;
    const fromNew = firstNew[oldIndex]!;
    return slotOf[firstNew[to]!]! - (slotOf[fromNew]! + (insns[fromNew]!.opcode === LDDW ? 2 : 1));
  };
  for (let n = 0; n < insns.length; n++) {
    const old = origin[n]!;
    if (old < 0) continue;
    const x = insns[n]!;
    const cls = x.opcode & CLASS_MASK;
    const op = x.opcode & OP_MASK;
    if (x.opcode === LDDW && x.src === PseudoLd.FUNC) {
      x.imm = retarget(old, x.imm) ?? x.imm;
      continue;
    }
    if (cls !== Class.JMP && cls !== Class.JMP32) continue;
    if (op === JmpOp.EXIT) continue;
    if (op === JmpOp.CALL) {
      if (x.src === PseudoCall.LOCAL) x.imm = retarget(old, x.imm) ?? x.imm;
      continue;
    }
    if (cls === Class.JMP32 && op === JmpOp.JA) {
      x.imm = retarget(old, x.imm) ?? x.imm;
      continue;
    }
    const off = retarget(old, x.off);
    if (off === undefined) continue;
    if (off < -0x8000 || off > 0x7fff) return `${program.slotOf[old]}: jump offset ${off} out of range after converting context accesses`;
    x.off = off;
  }
  return { program: { insns, slotOf }, probeMem: newProbe.map((n) => slotOf[n]!), kernelStores: stores.map((n) => slotOf[n]!) };
}
