// eBPF opcode fields (RFC 9669): instruction classes, ALU/JMP operation
// codes, source bit, load/store sizes and modes, atomic operations, and the
// names the disassembler and assembler use. Values are the wire encodings.
//
//   ALU/JMP opcode          LD/LDX/ST/STX opcode
//   +------+---+-----+      +------+------+-----+
//   | code | s |class|      | mode | size|class|
//   +------+---+-----+      +------+------+-----+
//    7..4   3   2..0          7..5   4..3  2..0

/** Instruction class (opcode & 0x07). */
export const Class = { LD: 0x00, LDX: 0x01, ST: 0x02, STX: 0x03, ALU: 0x04, JMP: 0x05, JMP32: 0x06, ALU64: 0x07 } as const;
export const CLASS_MASK = 0x07;

/** Source operand (opcode & 0x08): K = 32-bit immediate, X = src register. */
export const Source = { K: 0x00, X: 0x08 } as const;
export const SOURCE_MASK = 0x08;

/** ALU operation codes (opcode & 0xf0) for classes ALU and ALU64. */
export const AluOp = {
  ADD: 0x00,
  SUB: 0x10,
  MUL: 0x20,
  DIV: 0x30,
  OR: 0x40,
  AND: 0x50,
  LSH: 0x60,
  RSH: 0x70,
  NEG: 0x80,
  MOD: 0x90,
  XOR: 0xa0,
  MOV: 0xb0,
  ARSH: 0xc0,
  END: 0xd0,
} as const;

/** Jump operation codes (opcode & 0xf0) for classes JMP and JMP32. */
export const JmpOp = {
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  JNE: 0x50,
  JSGT: 0x60,
  JSGE: 0x70,
  CALL: 0x80,
  EXIT: 0x90,
  JLT: 0xa0,
  JLE: 0xb0,
  JSLT: 0xc0,
  JSLE: 0xd0,
} as const;
export const OP_MASK = 0xf0;

/** Load/store size (opcode & 0x18). */
export const Size = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;
export const SIZE_MASK = 0x18;
/** Bytes per Size value, indexed by (size >> 3). */
export const SIZE_BYTES: readonly number[] = [4, 2, 1, 8];

/** Load/store mode (opcode & 0xe0). */
export const Mode = { IMM: 0x00, ABS: 0x20, IND: 0x40, MEM: 0x60, MEMSX: 0x80, ATOMIC: 0xc0 } as const;
export const MODE_MASK = 0xe0;

/** Atomic operations (imm of an ATOMIC store). FETCH may be or-ed into ADD/OR/AND/XOR. */
export const AtomicOp = {
  ADD: 0x00,
  OR: 0x40,
  AND: 0x50,
  XOR: 0xa0,
  FETCH: 0x01,
  XCHG: 0xe0 | 0x01,
  CMPXCHG: 0xf0 | 0x01,
} as const;

/** Byte-swap direction (END source bit): TO_LE for class ALU with K, TO_BE for ALU with X; ALU64 = bswap. */
export const EndSource = { TO_LE: 0x00, TO_BE: 0x08 } as const;

/** `src` values of a CALL: helper by id, bpf-to-bpf call, kfunc by BTF id. */
export const PseudoCall = { HELPER: 0, LOCAL: 1, KFUNC: 2 } as const;

/** `src` values of an lddw (BPF_LD | BPF_IMM | BPF_DW). */
export const PseudoLd = {
  IMM64: 0,
  MAP_FD: 1,
  MAP_VALUE: 2,
  BTF_ID: 3,
  FUNC: 4,
  MAP_IDX: 5,
  MAP_IDX_VALUE: 6,
} as const;

/** Opcode of lddw. */
export const LDDW = Class.LD | Mode.IMM | Size.DW; // 0x18

/** Registers. R10 is the read-only frame pointer. */
export const Reg = { R0: 0, R1: 1, R2: 2, R3: 3, R4: 4, R5: 5, R6: 6, R7: 7, R8: 8, R9: 9, R10: 10 } as const;
export type Register = (typeof Reg)[keyof typeof Reg];
export const FP = Reg.R10;
export const MAX_REG = 10;

/** C-like operator of each ALU op as bpftool prints it. */
export const ALU_OP_SYMBOL: Readonly<Record<number, string>> = {
  [AluOp.ADD]: "+=",
  [AluOp.SUB]: "-=",
  [AluOp.MUL]: "*=",
  [AluOp.DIV]: "/=",
  [AluOp.OR]: "|=",
  [AluOp.AND]: "&=",
  [AluOp.LSH]: "<<=",
  [AluOp.RSH]: ">>=",
  [AluOp.MOD]: "%=",
  [AluOp.XOR]: "^=",
  [AluOp.MOV]: "=",
  [AluOp.ARSH]: "s>>=",
};

/** Comparison of each conditional jump as bpftool prints it. */
export const JMP_OP_SYMBOL: Readonly<Record<number, string>> = {
  [JmpOp.JEQ]: "==",
  [JmpOp.JGT]: ">",
  [JmpOp.JGE]: ">=",
  [JmpOp.JSET]: "&",
  [JmpOp.JNE]: "!=",
  [JmpOp.JSGT]: "s>",
  [JmpOp.JSGE]: "s>=",
  [JmpOp.JLT]: "<",
  [JmpOp.JLE]: "<=",
  [JmpOp.JSLT]: "s<",
  [JmpOp.JSLE]: "s<=",
};

/** One of the Size values (W, H, B, DW). */
export type SizeCode = (typeof Size)[keyof typeof Size];
/** One of the AluOp values. */
export type AluOpCode = (typeof AluOp)[keyof typeof AluOp];
/** One of the JmpOp values. */
export type JmpOpCode = (typeof JmpOp)[keyof typeof JmpOp];

const ALU_OP_NAME: Readonly<Record<number, string>> = {
  [AluOp.ADD]: "add",
  [AluOp.SUB]: "sub",
  [AluOp.MUL]: "mul",
  [AluOp.DIV]: "div",
  [AluOp.OR]: "or",
  [AluOp.AND]: "and",
  [AluOp.LSH]: "lsh",
  [AluOp.RSH]: "rsh",
  [AluOp.NEG]: "neg",
  [AluOp.MOD]: "mod",
  [AluOp.XOR]: "xor",
  [AluOp.MOV]: "mov",
  [AluOp.ARSH]: "arsh",
};

const JMP_OP_NAME: Readonly<Record<number, string>> = {
  [JmpOp.JA]: "ja",
  [JmpOp.JEQ]: "jeq",
  [JmpOp.JGT]: "jgt",
  [JmpOp.JGE]: "jge",
  [JmpOp.JSET]: "jset",
  [JmpOp.JNE]: "jne",
  [JmpOp.JSGT]: "jsgt",
  [JmpOp.JSGE]: "jsge",
  [JmpOp.CALL]: "call",
  [JmpOp.EXIT]: "exit",
  [JmpOp.JLT]: "jlt",
  [JmpOp.JLE]: "jle",
  [JmpOp.JSLT]: "jslt",
  [JmpOp.JSLE]: "jsle",
};

const SIZE_SUFFIX = ["w", "h", "b", "dw"] as const;

/**
 * A short mnemonic naming an opcode byte for error messages: "add64",
 * "mov32", "le", "bswap", "jeq32", "ja32", "callx", "lddw", "ldxsw",
 * "atomic64", "ldabsw"… Opcodes outside the ISA get a structural name
 * ("alu64 op 0xe0", "ld mode 0x60 size dw").
 */
export function opcodeName(opcode: number): string {
  const cls = opcode & CLASS_MASK;
  const op = opcode & OP_MASK;
  const x = (opcode & SOURCE_MASK) !== 0;
  const size = SIZE_SUFFIX[(opcode & SIZE_MASK) >> 3] ?? "?";
  const mode = opcode & MODE_MASK;
  switch (cls) {
    case Class.ALU:
    case Class.ALU64: {
      const bits = cls === Class.ALU64 ? "64" : "32";
      if (op === AluOp.END) return cls === Class.ALU64 ? "bswap" : x ? "be" : "le";
      const n = ALU_OP_NAME[op];
      return n === undefined ? `alu${cls === Class.ALU64 ? "64" : ""} op 0x${hex2(op)}` : n + bits;
    }
    case Class.JMP:
    case Class.JMP32: {
      const n = JMP_OP_NAME[op] ?? `op 0x${hex2(op)}`;
      if (cls === Class.JMP && op === JmpOp.CALL && x) return "callx";
      return cls === Class.JMP32 ? `${n}32` : n;
    }
    case Class.LD:
      if (opcode === LDDW) return "lddw";
      if (mode === Mode.ABS) return `ldabs${size}`;
      if (mode === Mode.IND) return `ldind${size}`;
      return `ld mode 0x${hex2(mode)} size ${size}`;
    case Class.LDX:
      if (mode === Mode.MEM) return `ldx${size}`;
      if (mode === Mode.MEMSX) return `ldxs${size}`;
      return `ldx mode 0x${hex2(mode)} size ${size}`;
    case Class.ST:
      if (mode === Mode.MEM) return `st${size}`;
      return `st mode 0x${hex2(mode)} size ${size}`;
    default: // Class.STX
      if (mode === Mode.MEM) return `stx${size}`;
      if (mode === Mode.ATOMIC) return size === "dw" ? "atomic64" : size === "w" ? "atomic32" : `atomic ${size}`;
      return `stx mode 0x${hex2(mode)} size ${size}`;
  }
}

/** Two lower-case hex digits. */
export function hex2(n: number): string {
  return (n & 0xff).toString(16).padStart(2, "0");
}
