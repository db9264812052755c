// Assembler for the bpf_conformance suite's assembly dialect
// (Alan-Jowett/bpf_conformance lib/src/bpf_assembler.cc): `mnemonic op, op`
// lines, %r0..%r10 registers (%r11..%r15 accepted for negative tests),
// `name:` labels, an implicit `exit` label at the first exit, `[%rN+off]`
// memory operands, `lock [fetch] op` atomics. Error messages are the suite's
// own, thrown as InsnError without an index (the source line is in `hint`).
import { InsnError } from "../errors.js";
import {
  AluOp,
  AtomicOp,
  Class,
  JmpOp,
  LDDW,
  Mode,
  PseudoCall,
  Size,
  Source,
  type SizeCode,
} from "./opcodes.js";
import type { Instruction } from "./instruction.js";

/** A syntax/operand error; `message` is exactly the bpf_conformance assembler's text. */
class AsmError extends InsnError {
  constructor(message: string) {
    super(message);
  }
}

const REGISTERS: ReadonlyMap<string, number> = new Map(
  Array.from({ length: 16 }, (_, i) => [`%r${i}`, i] as const),
);

const ALU_OPS: Readonly<Record<string, number>> = {
  add: AluOp.ADD,
  sub: AluOp.SUB,
  mul: AluOp.MUL,
  div: AluOp.DIV,
  sdiv: AluOp.DIV,
  or: AluOp.OR,
  and: AluOp.AND,
  lsh: AluOp.LSH,
  rsh: AluOp.RSH,
  neg: AluOp.NEG,
  mod: AluOp.MOD,
  smod: AluOp.MOD,
  xor: AluOp.XOR,
  mov: AluOp.MOV,
  arsh: AluOp.ARSH,
};

const JMP_OPS: Readonly<Record<string, number>> = {
  jeq: JmpOp.JEQ,
  jgt: JmpOp.JGT,
  jge: JmpOp.JGE,
  jset: JmpOp.JSET,
  jne: JmpOp.JNE,
  jsgt: JmpOp.JSGT,
  jsge: JmpOp.JSGE,
  jlt: JmpOp.JLT,
  jle: JmpOp.JLE,
  jslt: JmpOp.JSLT,
  jsle: JmpOp.JSLE,
};

const SIZES: Readonly<Record<string, SizeCode>> = { b: Size.B, h: Size.H, w: Size.W, dw: Size.DW };

const ATOMIC_OPS: Readonly<Record<string, number>> = {
  add: AtomicOp.ADD,
  or: AtomicOp.OR,
  and: AtomicOp.AND,
  xor: AtomicOp.XOR,
  xchg: AtomicOp.XCHG,
  cmpxchg: AtomicOp.CMPXCHG,
};

type Kind = "alu" | "swap" | "jmp" | "ja" | "exit" | "call" | "lddw" | "ldx" | "st" | "stx";

/** Mnemonic → (kind, operand count). */
const MNEMONICS = new Map<string, [Kind, number]>();
for (const op of Object.keys(ALU_OPS)) {
  const n = op === "neg" ? 1 : 2;
  for (const sfx of ["", "32", "64"]) MNEMONICS.set(op + sfx, ["alu", n]);
}
for (const m of ["movsx864", "movsx832", "movsx1664", "movsx1632", "movsx3264"]) MNEMONICS.set(m, ["alu", 2]);
for (const p of ["le", "be", "swap", "bswap"]) for (const w of ["16", "32", "64"]) MNEMONICS.set(p + w, ["swap", 1]);
for (const op of Object.keys(JMP_OPS)) {
  MNEMONICS.set(op, ["jmp", 3]);
  MNEMONICS.set(`${op}32`, ["jmp", 3]);
}
MNEMONICS.set("ja", ["ja", 1]);
MNEMONICS.set("ja32", ["ja", 1]);
MNEMONICS.set("exit", ["exit", 0]);
MNEMONICS.set("call", ["call", 2]);
MNEMONICS.set("lddw", ["lddw", 2]);
for (const s of Object.keys(SIZES)) {
  MNEMONICS.set(`ldx${s}`, ["ldx", 2]);
  if (s !== "dw") MNEMONICS.set(`ldxs${s}`, ["ldx", 2]);
  MNEMONICS.set(`st${s}`, ["st", 2]);
  MNEMONICS.set(`stx${s}`, ["stx", 2]);
}

/** A leading integer in C `strtoull`/`strtoll` style: optional sign, optional 0x when hex, digits; rest ignored. */
function leadingInt(str: string, hex: boolean): bigint | undefined {
  const m = hex ? /^\s*([+-]?)(?:0[xX])?([0-9a-fA-F]+)/.exec(str) : /^\s*([+-]?)([0-9]+)/.exec(str);
  if (m === null) return undefined;
  const mag = BigInt((hex ? "0x" : "") + m[2]);
  return m[1] === "-" ? -mag : mag;
}

function decodeImm32(str: string): number {
  const hex = str.includes("0x");
  const v = leadingInt(str, hex);
  if (v === undefined) throw new AsmError(`Invalid immediate: ${str}`);
  const ok = hex ? v >= -0x80000000n && v <= 0xffffffffn : v >= -0x80000000n && v <= 0x7fffffffn;
  if (!ok) throw new AsmError(`Immediate out of 32-bit range: ${str}`);
  return Number(BigInt.asIntN(32, v));
}

function decodeImm64(str: string): bigint {
  const hex = str.includes("0x");
  const v = leadingInt(str, hex);
  if (v === undefined) throw new AsmError(`Invalid immediate: ${str}`);
  const ok = v < 0n ? v >= -(1n << 63n) : v < 1n << 64n;
  if (!ok) throw new AsmError(`Immediate out of 64-bit range: ${str}`);
  return BigInt.asUintN(64, v);
}

function decodeOffset(str: string): number {
  const hex = str.includes("0x");
  const v = leadingInt(str, hex);
  if (v === undefined) throw new AsmError(`Invalid offset: ${str}`);
  const ok = hex ? v >= -0x8000n && v <= 0xffffn : v >= -0x8000n && v <= 0x7fffn;
  if (!ok) throw new AsmError(`Offset out of 16-bit range: ${str.replace(/\]$/, "")}`);
  return Number(BigInt.asIntN(16, v));
}

function decodeRegister(name: string): number {
  const r = REGISTERS.get(name);
  if (r === undefined) throw new AsmError(`Invalid register: ${name}`);
  return r;
}

/** `[%rN]`, `[%rN+off]`, `[%rN-off]` → [reg, off]. */
function decodeRegisterAndOffset(operand: string): [number, number] {
  const start = operand.indexOf("[");
  let end = operand.indexOf("+");
  if (end < 0) end = operand.indexOf("-");
  if (end < 0) end = operand.indexOf("]");
  if (start < 0 || end < 0 || end < start) throw new AsmError(`Failed to decode register and offset: ${operand}`);
  const reg = decodeRegister(operand.slice(start + 1, end));
  const rest = operand.slice(end);
  return [reg, rest.startsWith("]") ? 0 : decodeOffset(rest)];
}

interface Pending {
  insn: Instruction;
  slot: number;
  /** Source line (1-based) and text, for error hints. */
  line?: string;
  /** Label to resolve into `field`, or undefined. */
  label?: string;
  field?: "off" | "imm";
}

/** Assembles source text in the conformance dialect. `#` starts a comment. */
export function assemble(source: string): Instruction[] {
  const out: Pending[] = [];
  const labels = new Map<string, number>(); // label → slot
  let slot = 0;
  let exitSeen = false;
  const lines = source.split("\n");
  for (let lineNo = 0; lineNo < lines.length; lineNo++) {
    const text = (lines[lineNo] ?? "").replace(/\r$/, "").replace(/#.*$/, "");
    let tokens = text.split(/\s+/).filter((t) => t !== "");
    // `name:` defines a label; an instruction may follow on the same line.
    while (tokens.length > 0 && tokens[0]!.endsWith(":")) {
      const label = tokens[0]!.slice(0, -1);
      const prev = labels.get(label);
      if (prev !== undefined) {
        throw new AsmError(`Duplicate label (${label}) detected at line ${slot} (previous declaration at line ${prev})`);
      }
      labels.set(label, slot);
      tokens = tokens.slice(1);
    }
    if (tokens.length === 0) continue;
    const mnemonic = tokens[0]!;
    const operands = tokens.slice(1).map((t) => (t.endsWith(",") ? t.slice(0, -1) : t));
    try {
      if (mnemonic === "exit" && !exitSeen) {
        labels.set("exit", slot);
        exitSeen = true;
      }
      const p = assembleLine(mnemonic, operands);
      p.slot = slot;
      p.line = `line ${lineNo + 1}: ${text.trim()}`;
      out.push(p);
      slot += p.insn.opcode === LDDW ? 2 : 1;
    } catch (e) {
      if (e instanceof AsmError) {
        throw new InsnError(e.message, undefined, { hint: `line ${lineNo + 1}: ${text.trim()}` });
      }
      throw e;
    }
  }
  for (const p of out) {
    if (p.label === undefined) continue;
    const target = labels.get(p.label);
    const hint = p.line === undefined ? undefined : { hint: p.line };
    if (target === undefined) throw new InsnError(`Invalid label: ${p.label}`, undefined, hint);
    const rel = target - p.slot - 1;
    if (p.field === "imm") {
      p.insn.imm = rel;
    } else {
      if (rel < -0x8000 || rel > 0x7fff) throw new InsnError(`Jump offset out of 16-bit range: ${p.label}`, undefined, hint);
      p.insn.off = rel;
    }
  }
  return out.map((p) => p.insn);
}

function insn(opcode: number, fields: Partial<Omit<Instruction, "opcode">> = {}): Instruction {
  return { opcode, dst: 0, src: 0, off: 0, imm: 0, ...fields };
}

/** A jump target: "+N"/"-N" literal, else a label to fix up later. */
function jumpTarget(p: Pending, field: "off" | "imm", operand: string): void {
  if (operand.startsWith("+") || operand.startsWith("-")) {
    p.insn[field] = field === "off" ? decodeOffset(operand) : decodeImm32(operand);
  } else {
    p.label = operand;
    p.field = field;
  }
}

function assembleLine(mnemonic: string, operands: string[]): Pending {
  if (mnemonic === "lock") return assembleLock(operands);
  if (mnemonic === "call" && operands.length === 1) operands = ["helper", ...operands];
  const entry = MNEMONICS.get(mnemonic);
  if (entry === undefined) throw new AsmError(`Invalid mnemonic: ${mnemonic}`);
  const [kind, count] = entry;
  if (operands.length !== count) throw new AsmError(`Invalid number of operands for mnemonic: ${mnemonic}`);
  const ops = operands as [string, string, string];
  switch (kind) {
    case "alu":
      return { insn: assembleAlu(mnemonic, ops), slot: 0 };
    case "swap": {
      const width = decodeImm32(mnemonic.replace(/^(le|be|bswap|swap)/, ""));
      const opcode = mnemonic.startsWith("le")
        ? Class.ALU | AluOp.END | Source.K
        : mnemonic.startsWith("be")
          ? Class.ALU | AluOp.END | Source.X
          : Class.ALU64 | AluOp.END;
      return { insn: insn(opcode, { dst: decodeRegister(ops[0]), imm: width }), slot: 0 };
    }
    case "jmp": {
      const is32 = mnemonic.endsWith("32");
      const op = JMP_OPS[is32 ? mnemonic.slice(0, -2) : mnemonic]!;
      const cls = is32 ? Class.JMP32 : Class.JMP;
      const p: Pending = { insn: insn(cls | op, { dst: decodeRegister(ops[0]) }), slot: 0 };
      if (ops[1].startsWith("%")) {
        p.insn.opcode |= Source.X;
        p.insn.src = decodeRegister(ops[1]);
      } else {
        p.insn.imm = decodeImm32(ops[1]);
      }
      jumpTarget(p, "off", ops[2]);
      return p;
    }
    case "ja": {
      const is32 = mnemonic === "ja32";
      const p: Pending = { insn: insn(is32 ? Class.JMP32 | JmpOp.JA : Class.JMP | JmpOp.JA), slot: 0 };
      jumpTarget(p, is32 ? "imm" : "off", ops[0]);
      return p;
    }
    case "exit":
      return { insn: insn(Class.JMP | JmpOp.EXIT), slot: 0 };
    case "call": {
      const [mode, target] = ops;
      const p: Pending = { insn: insn(Class.JMP | JmpOp.CALL), slot: 0 };
      if (mode === "helper") {
        if (target.startsWith("%")) {
          p.insn.opcode |= Source.X;
          p.insn.dst = decodeRegister(target);
        } else {
          p.insn.imm = decodeImm32(target);
        }
      } else if (mode === "local") {
        p.insn.src = PseudoCall.LOCAL;
        jumpTarget(p, "imm", target);
      } else if (mode === "runtime") {
        p.insn.src = PseudoCall.KFUNC;
        p.insn.imm = decodeImm32(target);
      } else {
        throw new AsmError("Invalid call mode");
      }
      return p;
    }
    case "lddw": {
      const v = decodeImm64(ops[1]);
      return {
        insn: insn(LDDW, {
          dst: decodeRegister(ops[0]),
          imm: Number(BigInt.asIntN(32, v)),
          imm2: Number(BigInt.asIntN(32, v >> 32n)),
        }),
        slot: 0,
      };
    }
    case "ldx": {
      const signed = mnemonic.startsWith("ldxs");
      const size = SIZES[mnemonic.slice(signed ? 4 : 3)]!;
      const dst = decodeRegister(ops[0]);
      const [src, off] = decodeRegisterAndOffset(ops[1]);
      return { insn: insn(Class.LDX | (signed ? Mode.MEMSX : Mode.MEM) | size, { dst, src, off }), slot: 0 };
    }
    case "st": {
      const [dst, off] = decodeRegisterAndOffset(ops[0]);
      const size = SIZES[mnemonic.slice(2)]!;
      return { insn: insn(Class.ST | Mode.MEM | size, { dst, off, imm: decodeImm32(ops[1]) }), slot: 0 };
    }
    case "stx": {
      const [dst, off] = decodeRegisterAndOffset(ops[0]);
      const size = SIZES[mnemonic.slice(3)]!;
      return { insn: insn(Class.STX | Mode.MEM | size, { dst, off, src: decodeRegister(ops[1]) }), slot: 0 };
    }
  }
}

function assembleAlu(mnemonic: string, ops: [string, string, string]): Instruction {
  let cls: number = Class.ALU64;
  let name = mnemonic;
  if (mnemonic.endsWith("32")) {
    cls = Class.ALU;
    name = mnemonic.slice(0, -2);
  } else if (mnemonic.endsWith("64")) {
    name = mnemonic.slice(0, -2);
  }
  let off = name === "sdiv" || name === "smod" ? 1 : 0;
  if (name.startsWith("movsx")) {
    off = decodeOffset(name.slice(5));
    name = "mov";
  }
  const out = insn(cls | ALU_OPS[name]!, { dst: decodeRegister(ops[0]), off });
  if (ops.length >= 2 && ops[1] !== undefined) {
    if (ops[1].startsWith("%")) {
      out.opcode |= Source.X;
      out.src = decodeRegister(ops[1]);
    } else {
      out.imm = decodeImm32(ops[1]);
    }
  }
  return out;
}

/** `lock [fetch] <op>[32] [%dst+off], %src` */
function assembleLock(operands: string[]): Pending {
  const fetch = operands[0] === "fetch";
  const rest = fetch ? operands.slice(1) : operands;
  if (rest.length !== 3) throw new AsmError("Invalid number of operands for lock");
  const [opName, mem, srcName] = rest as [string, string, string];
  const is32 = opName.endsWith("32");
  const base = is32 ? opName.slice(0, -2) : opName;
  const op = ATOMIC_OPS[base];
  if (op === undefined) throw new AsmError(`Invalid mnemonic: lock ${opName}`);
  const [dst, off] = decodeRegisterAndOffset(mem);
  const src = decodeRegister(srcName);
  // xchg and cmpxchg always carry the fetch bit; `fetch` adds it to add/or/and/xor.
  const imm = op | (fetch ? AtomicOp.FETCH : 0);
  const size = is32 ? Size.W : Size.DW;
  return { insn: insn(Class.STX | Mode.ATOMIC | size, { dst, off, src, imm }), slot: 0 };
}
