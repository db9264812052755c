// Disassembly in the text form of `bpftool prog dump xlated` / the kernel
// verifier log (kernel/bpf/disasm.c print_bpf_insn, bpftool's print_imm):
// "N: (op) text", one line per instruction, N the slot index (an lddw
// takes two slots, so the following index is N+2).
import {
  ALU_OP_SYMBOL,
  AluOp,
  AtomicOp,
  Class,
  CLASS_MASK,
  hex2,
  JMP_OP_SYMBOL,
  JmpOp,
  LDDW,
  Mode,
  MODE_MASK,
  OP_MASK,
  PseudoCall,
  PseudoLd,
  Size,
  SIZE_MASK,
  Source,
  SOURCE_MASK,
} from "./opcodes.js";
import { lddwValue, type Instruction, type Program } from "./instruction.js";

export interface DisasmOptions {
  /** Name of helper `id` (e.g. "bpf_map_lookup_elem"); undefined → "unknown", as the kernel prints. */
  helperName?: (id: number) => string | undefined;
  /** Name of the kfunc with BTF id `id`; undefined → "kernel-function", as the kernel prints. */
  kfuncName?: (btfId: number) => string | undefined;
  /**
   * Map id of an lddw map reference (src 1 map_by_fd / src 2 map_value, the
   * imm is the fd): printed as bpftool does, `map[id:N]` / `map[id:N][0]+off`.
   * Without it (or when it returns undefined) the imm itself is printed as the id.
   */
  mapId?: (fd: number) => number | undefined;
  /** Width the index is right-aligned to: 0 (default) → "5: ", 4 → "   5: " as `bpftool` prints. */
  indexWidth?: number;
}

/** `%+d` */
function signed(n: number): string {
  return n < 0 ? String(n) : `+${n}`;
}

const LDST: Readonly<Record<number, string>> = { [Size.W]: "u32", [Size.H]: "u16", [Size.B]: "u8", [Size.DW]: "u64" };
const LDSX: Readonly<Record<number, string>> = { [Size.W]: "s32", [Size.H]: "s16", [Size.B]: "s8" };
const ATOMIC_ALU: Readonly<Record<number, string>> = {
  [AluOp.ADD]: "add",
  [AluOp.AND]: "and",
  [AluOp.OR]: "or",
  [AluOp.XOR]: "xor",
};
const MOVSX: Readonly<Record<number, string>> = { 8: "(s8)", 16: "(s16)", 32: "(s32)" };

/** The text of one instruction, without the index: "(bf) r6 = r1". */
export function formatInsn(insn: Instruction, opts: DisasmOptions = {}): string {
  const code = `(${hex2(insn.opcode)})`;
  const cls = insn.opcode & CLASS_MASK;
  const op = insn.opcode & OP_MASK;
  const x = (insn.opcode & SOURCE_MASK) === Source.X;
  const mode = insn.opcode & MODE_MASK;
  const size = insn.opcode & SIZE_MASK;
  const { dst, src, off, imm } = insn;

  if (cls === Class.ALU || cls === Class.ALU64) {
    const r = cls === Class.ALU ? "w" : "r";
    if (op === AluOp.END) {
      if (cls === Class.ALU64) return `${code} r${dst} = bswap${imm} r${dst}`;
      return `${code} r${dst} = ${x ? "be" : "le"}${imm} r${dst}`;
    }
    if (op === AluOp.NEG) return `${code} ${r}${dst} = -${r}${dst}`;
    const sdivSmod = (op === AluOp.DIV || op === AluOp.MOD) && off === 1;
    const sym = sdivSmod ? (op === AluOp.DIV ? "s/=" : "s%=") : (ALU_OP_SYMBOL[op] ?? "?");
    if (x) {
      const movsx = op === AluOp.MOV ? (MOVSX[off] ?? "") : "";
      return `${code} ${r}${dst} ${sym} ${movsx}${r}${src}`;
    }
    return `${code} ${r}${dst} ${sym} ${imm}`;
  }

  if (cls === Class.STX) {
    const ptr = `(${LDST[size]} *)(r${dst} ${signed(off)})`;
    if (mode === Mode.MEM) return `${code} *${ptr} = r${src}`;
    if (mode === Mode.ATOMIC) {
      const w = size === Size.DW ? "64" : "";
      if (imm === AtomicOp.ADD || imm === AtomicOp.AND || imm === AtomicOp.OR || imm === AtomicOp.XOR) {
        return `${code} lock *${ptr} ${ALU_OP_SYMBOL[imm]} r${src}`;
      }
      const base = imm & ~AtomicOp.FETCH;
      if ((imm & AtomicOp.FETCH) !== 0 && ATOMIC_ALU[base] !== undefined) {
        return `${code} r${src} = atomic${w}_fetch_${ATOMIC_ALU[base]}(${ptr}, r${src})`;
      }
      if (imm === AtomicOp.CMPXCHG) return `${code} r0 = atomic${w}_cmpxchg(${ptr}, r0, r${src})`;
      if (imm === AtomicOp.XCHG) return `${code} r${src} = atomic${w}_xchg(${ptr}, r${src})`;
    }
    return `BUG_${hex2(insn.opcode)}`;
  }

  if (cls === Class.ST) {
    if (mode === Mode.MEM) return `${code} *(${LDST[size]} *)(r${dst} ${signed(off)}) = ${imm}`;
    return `BUG_st_${hex2(insn.opcode)}`;
  }

  if (cls === Class.LDX) {
    if (mode === Mode.MEM) return `${code} r${dst} = *(${LDST[size]} *)(r${src} ${signed(off)})`;
    if (mode === Mode.MEMSX && size !== Size.DW) return `${code} r${dst} = *(${LDSX[size]} *)(r${src} ${signed(off)})`;
    return `BUG_ldx_${hex2(insn.opcode)}`;
  }

  if (cls === Class.LD) {
    if (mode === Mode.ABS) return `${code} r0 = *(${LDST[size]} *)skb[${imm}]`;
    if (mode === Mode.IND) return `${code} r0 = *(${LDST[size]} *)skb[r${src} + ${imm}]`;
    if (insn.opcode === LDDW) return `${code} r${dst} = ${lddwOperand(insn, opts)}`;
    return `BUG_ld_${hex2(insn.opcode)}`;
  }

  // JMP / JMP32
  const r = cls === Class.JMP32 ? "w" : "r";
  if (op === JmpOp.CALL) {
    if (cls === Class.JMP && x) return `${code} callx r${dst}`; // no kernel format; LLVM's spelling
    if (src === PseudoCall.LOCAL) return `${code} call pc${signed(imm)}`;
    const name =
      src === PseudoCall.KFUNC
        ? (opts.kfuncName?.(imm) ?? "kernel-function")
        : src === PseudoCall.HELPER
          ? (opts.helperName?.(imm) ?? "unknown")
          : "unknown";
    return `${code} call ${name}#${imm}`;
  }
  if (insn.opcode === (Class.JMP | JmpOp.JA)) return `${code} goto pc${signed(off)}`;
  if (insn.opcode === (Class.JMP32 | JmpOp.JA)) return `${code} gotol pc${signed(imm)}`;
  if (insn.opcode === (Class.JMP | JmpOp.EXIT)) return `${code} exit`;
  const cmp = JMP_OP_SYMBOL[op] ?? "?";
  if (x) return `${code} if ${r}${dst} ${cmp} ${r}${src} goto pc${signed(off)}`;
  return `${code} if ${r}${dst} ${cmp} 0x${(imm >>> 0).toString(16)} goto pc${signed(off)}`;
}

/** bpftool's print_imm. */
function lddwOperand(insn: Instruction, opts: DisasmOptions): string {
  const u32 = (n: number) => String(n >>> 0);
  const id = () => u32(opts.mapId?.(insn.imm) ?? insn.imm);
  switch (insn.src) {
    case PseudoLd.MAP_FD:
      return `map[id:${id()}]`;
    case PseudoLd.MAP_VALUE:
      return `map[id:${id()}][0]+${u32(insn.imm2 ?? 0)}`;
    case PseudoLd.MAP_IDX_VALUE:
      return `map[idx:${u32(insn.imm)}]+${u32(insn.imm2 ?? 0)}`;
    case PseudoLd.FUNC:
      return `subprog[${signed(insn.imm)}]`;
    default:
      return `0x${lddwValue(insn).toString(16)}`;
  }
}

/** One line per instruction: "<slot>: (<opcode>) <text>". */
export function disassemble(prog: Program, opts: DisasmOptions = {}): string[] {
  const width = opts.indexWidth ?? 0;
  return prog.insns.map((insn, i) => `${String(prog.slotOf[i] ?? i).padStart(width)}: ${formatInsn(insn, opts)}`);
}
