// The verifier log's text of abstract state, in the notation of Linux 6.12's
// kernel/bpf/log.c (print_reg_state / print_verifier_state): one register as
// `ctx()`, `fp-8`, `fp[0]-8` (another frame's stack), `map_value(map=m,ks=4,vs=8)`,
// `scalar(id=1,smin=...)` or a constant; one frame's registers and stack
// slots as ` frame1: R1_w=ctx() fp-8_w=mmmmmmmm refs=2 cb`; the alignment
// column of the state printed after an instruction; and the type names used
// in messages.
import { formatScalar } from "./scalar.js";
import { tnumIsConst } from "./tnum.js";
import { RegType, STACK_SIZE, StackByte, type FrameState, type RegState } from "./types.js";

/** The kernel's verbose_snum: decimal within s16, else hex of the 64-bit pattern. */
function snum(n: bigint): string {
  const v = BigInt.asIntN(64, n);
  return v >= -32768n && v <= 32767n ? v.toString() : `0x${BigInt.asUintN(64, n).toString(16)}`;
}

/** The kernel's verbose_unum: decimal up to u16, else hex. */
function unum(n: bigint): string {
  return n <= 65535n ? n.toString() : `0x${n.toString(16)}`;
}

/** The attributes formatScalar prints inside `scalar(...)`, without the parentheses ("" when unbounded). */
function scalarAttrs(r: RegState): string {
  const text = formatScalar(r.scalar!);
  return text.startsWith("scalar(") ? text.slice(7, -1) : "";
}

/** A pointer's variable part: `imm=` for a known nonzero constant, else its bounds (print_reg_state's tail). */
function varAttrs(r: RegState, out: string[]): void {
  const v = r.scalar;
  if (!v) return;
  if (tnumIsConst(v.var)) {
    if (v.var.value !== 0n) out.push(`imm=${snum(v.var.value)}`);
    return;
  }
  const attrs = scalarAttrs(r);
  if (attrs) out.push(attrs);
}

function mapAttrs(r: RegState, out: string[]): void {
  if (!r.map) return;
  if (r.map.name) out.push(`map=${r.map.name}`);
  out.push(`ks=${r.map.keySize},vs=${r.map.valueSize}`);
}

/** print_reg_state's type name of a register (reg_type_str with its modifiers). */
function typeText(r: RegState): string {
  switch (r.type) {
    case RegType.SCALAR:
      return "scalar";
    case RegType.PTR_TO_CTX:
      return "ctx";
    case RegType.PTR_TO_STACK:
      return "fp";
    case RegType.CONST_PTR_TO_MAP:
      return "map_ptr";
    case RegType.PTR_TO_MAP_VALUE:
      return "map_value";
    case RegType.PTR_TO_MAP_VALUE_OR_NULL:
      return "map_value_or_null";
    // Records of bpf_ringbuf_reserve are the only references to memory here (MEM_RINGBUF).
    case RegType.PTR_TO_MEM:
      return r.refObjId ? "ringbuf_mem" : "mem";
    case RegType.PTR_TO_MEM_OR_NULL:
      return r.refObjId ? "ringbuf_mem_or_null" : "mem_or_null";
    case RegType.PTR_TO_BTF_ID:
      return r.trusted ? "trusted_ptr_" : "ptr_";
    case RegType.PTR_TO_BTF_ID_OR_NULL:
      return "ptr_or_null_";
    case RegType.PTR_TO_FUNC:
      return "func";
    default:
      return "?";
  }
}

/**
 * One register as print_reg_state prints it. `frameno` is the frame whose
 * state is printed: a stack pointer into another frame shows it, `fp[0]-8`.
 * `btfName` names a PTR_TO_BTF_ID's type (`ptr_task_struct(...)`) when known.
 */
export function formatReg(r: RegState, frameno = r.frameno ?? 0, btfName?: (id: number) => string | undefined): string {
  if (r.type === RegType.NOT_INIT) return "?";
  if (r.type === RegType.SCALAR && tnumIsConst(r.scalar!.var)) return snum(r.scalar!.var.value);
  let head = typeText(r);
  const off = r.off ?? 0;
  if (r.type === RegType.PTR_TO_STACK) {
    if ((r.frameno ?? 0) !== frameno) head += `[${r.frameno ?? 0}]`;
    if (!r.scalar || tnumIsConst(r.scalar.var)) return `${head}${snum(BigInt(off) + (r.scalar?.var.value ?? 0n))}`;
  }
  if ((r.type === RegType.PTR_TO_BTF_ID || r.type === RegType.PTR_TO_BTF_ID_OR_NULL) && r.btfId !== undefined) head += btfName?.(r.btfId) ?? "";
  const attrs: string[] = [];
  // A linked scalar with a delta (the kernel's BPF_ADD_CONST id) prints it signed: `id=1+8`.
  if (r.id) attrs.push(r.type === RegType.SCALAR && r.off !== undefined ? `id=${r.id}${r.off >= 0 ? "+" : ""}${r.off}` : `id=${r.id}`);
  if (r.refObjId) attrs.push(`ref_obj_id=${r.refObjId}`);
  if (r.type === RegType.SCALAR) {
    const s = scalarAttrs(r);
    if (s) attrs.push(s);
    return `${head}(${attrs.join(",")})`;
  }
  mapAttrs(r, attrs);
  if (off) attrs.push(`off=${snum(BigInt(off))}`);
  if (r.type === RegType.PTR_TO_MEM || r.type === RegType.PTR_TO_MEM_OR_NULL) attrs.push(`sz=${unum(BigInt(r.memSize ?? 0))}`);
  varAttrs(r, attrs);
  return `${head}(${attrs.join(",")})`;
}

/** A register's type as the kernel's messages name it (reg_type_str, with MEM_RINGBUF: `ringbuf_mem_or_null`). */
export function regName(r: RegState): string {
  return typeText(r);
}

/** The kernel's name of a register type in messages like "R1 invalid mem access 'scalar'". */
export function regTypeName(t: number): string {
  return (
    ["?", "scalar", "ctx", "map_ptr", "map_value", "map_value_or_null", "fp", "mem", "mem_or_null", "ptr_", "func", "ptr_or_null_"][t] ?? "?"
  );
}

/** Which registers and stack slots of a frame to print, and which carry a write mark. */
export interface FrameView {
  /** Registers to print (bit i: Ri), or "all" (print_all). Uninitialized registers are never printed. */
  regs: number | "all";
  /** Stack slots to print by index spi (slot spi covers fp-8*(spi+1)..fp-8*spi-1), or "all". */
  slots: bigint | "all";
  /** Registers written in this state (the kernel's REG_LIVE_WRITTEN: `_w`). */
  writtenRegs: number;
  /** Stack slots written in this state, by spi. */
  writtenSlots: bigint;
  /** Acquired references, printed as ` refs=1,2`. */
  refs: readonly number[];
  /** The frame number (` frame1:` when not 0). */
  frameno: number;
  /** A callback frame (` cb`). */
  callback: boolean;
  btfName?: (id: number) => string | undefined;
}

const SLOT_CHAR = ["?", "m", "0", "r"];

/**
 * One frame as print_verifier_state prints it: each item with a leading
 * space, ` frame1:` first in a callee, then the registers, the stack slots
 * from fp-8 down, the references and ` cb`.
 */
export function formatFrame(f: FrameState, v: FrameView): string {
  let out = v.frameno ? ` frame${v.frameno}:` : "";
  const mark = (written: boolean) => (written ? "_w" : "");
  f.regs.forEach((r, i) => {
    if (r.type === RegType.NOT_INIT) return;
    if (v.regs !== "all" && !(v.regs & (1 << i))) return;
    out += ` R${i}${mark(((v.writtenRegs >> i) & 1) === 1)}=${formatReg(r, v.frameno, v.btfName)}`;
  });
  for (let spi = 0; spi < STACK_SIZE / 8; spi++) {
    if (v.slots !== "all" && !((v.slots >> BigInt(spi)) & 1n)) continue;
    // Byte j of slot spi is at fp-8*spi-j-1 (the kernel's slot_type[j]).
    const top = STACK_SIZE - spi * 8;
    let types = "";
    let valid = false;
    for (let j = 0; j < 8; j++) {
      const t = f.stack[top - j - 1]!;
      if (t !== StackByte.INVALID) valid = true;
      types += SLOT_CHAR[t] ?? "?";
    }
    if (!valid) continue;
    const name = ` fp${-(spi + 1) * 8}${mark(((v.writtenSlots >> BigInt(spi)) & 1n) === 1n)}=`;
    const spilled = f.spills[(top - 8) / 8];
    if (f.stack[top - 8] === StackByte.SPILL && spilled) {
      // A spilled register: the bytes above a narrower spill, then the register.
      const first = types.indexOf("r");
      out += name + types.slice(0, first < 0 ? 8 : first) + formatReg(spilled, v.frameno, v.btfName);
    } else {
      out += name + types;
    }
  }
  if (v.refs.length) out += ` refs=${v.refs.join(",")}`;
  if (v.callback) out += " cb";
  return out;
}

/**
 * The spaces print_insn_state puts between an instruction's text and the
 * `;` of the state printed after it (vlog_alignment: the `;` lands on a
 * multiple of 8, minus 2, at column 38 or later and at least 3 columns on).
 */
export function alignmentPad(insnText: string): string {
  const pos = insnText.length + 1; // the kernel counts the instruction's newline
  const col = Math.ceil(Math.max(pos + 4, 40) / 8) * 8;
  return " ".repeat(col - pos - 1);
}
