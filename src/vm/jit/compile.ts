// The JIT: compiles a loaded program once into one JavaScript function (via
// `new Function`) with exactly the interpreter's semantics.
//
// Representation: every register is a pair of int32 locals (l0/h0 ..
// l10/h10: low and high halves), so 64-bit arithmetic stays BigInt-free
// except 64-bit division (alu64.ts). The program becomes a `switch (pc)`
// inside a loop: one case per basic block (leaders: slot 0, jump targets,
// call and callback targets, the slot after every jump/call/exit), with
// straight-line code inside a block and `pc = target; continue` for taken
// jumps. Each block charges its instruction count against the budget on
// entry; a block the budget cannot cover is handed to the interpreter, which
// faults at the exact instruction (see runtime.ts for the protocol), so
// `executed` and every fault (kind, pc, message) are the interpreter's.
// Memory accesses, helpers and calls go through the JitRuntime.
import { bswap16, bswap32, mul64, sar64, sdiv32, sdiv64, shl64, shr64, smod32, smod64, udiv64, umod64 } from "../alu64.js";
import { VmFault } from "../errors.js";
import { STACK_SIZE } from "../limits.js";
import { AtomicOp, Class, CLASS_MASK, JmpOp, LDDW, Mode, OP_MASK, PseudoCall, PseudoLd, SIZE_BYTES, Source } from "../isa/opcodes.js";
import { REG_FILE_SIZE, type LoadedProgram } from "../loaded-program.js";
import type { JitFn, JitProgram } from "./runtime.js";


/** A JavaScript literal for an int32/number (negative ones parenthesized). */
function lit(n: number): string {
  return n < 0 ? `(${n})` : `${n}`;
}

const L = (r: number) => `l${r}`;
const H = (r: number) => `h${r}`;

/** Regs arrays for the interpreter fallback. */
const ALL_LO = `[${Array.from({ length: REG_FILE_SIZE }, (_, i) => L(i)).join(",")}]`;
const ALL_HI = `[${Array.from({ length: REG_FILE_SIZE }, (_, i) => H(i)).join(",")}]`;
const ARGS = [1, 2, 3, 4, 5].map((i) => `${L(i)},${H(i)}`).join(",");

/** Code for a static fault: the frame syncs the budget itself (refunding the rest of the block). */
function staticFault(kind: string, pc: number, message: string, errno: string, refund: number): string {
  return `rt.b = B + ${refund}; ic = 1; throw new VmFault(${JSON.stringify(kind)}, ${pc}, ${JSON.stringify(message)}, ${JSON.stringify(errno)});`;
}

function alu64(op: number, d: number, s: number, isX: boolean, off: number, imm: number, refund: number): string {
  const ld = L(d);
  const hd = H(d);
  const bl = isX ? L(s) : lit(imm);
  const bh = isX ? H(s) : lit(imm >> 31);
  const viaT = (call: string) => `${call}; ${ld} = T[0]; ${hd} = T[1];`;
  switch (op) {
    case 0x00:
      return `t = (${ld} >>> 0) + (${bl} >>> 0); ${ld} = t | 0; ${hd} = (${hd} + ${bh} + (t >= 4294967296 ? 1 : 0)) | 0;`;
    case 0x10:
      return `t = (${ld} >>> 0) - (${bl} >>> 0); ${ld} = t | 0; ${hd} = (${hd} - ${bh} - (t < 0 ? 1 : 0)) | 0;`;
    case 0x20:
      // Low 64 bits of the product: imul for the low half, 16-bit limbs for the carry into the high half.
      return (
        `{ const a = ${ld} >>> 0, b = ${bl} >>> 0, a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;` +
        ` const m1 = a1 * b0 + ((a0 * b0) >>> 16), m2 = a0 * b1 + (m1 & 0xffff);` +
        ` ${hd} = (a1 * b1 + (m1 >>> 16) + (m2 >>> 16) + Math.imul(${hd}, b) + Math.imul(a, ${bh})) | 0; ${ld} = Math.imul(a, b); }`
      );
    case 0x30:
      return viaT(`${off === 1 ? "sdiv64" : "udiv64"}(T, ${ld}, ${hd}, ${bl}, ${bh})`);
    case 0x90:
      return viaT(`${off === 1 ? "smod64" : "umod64"}(T, ${ld}, ${hd}, ${bl}, ${bh})`);
    case 0x40:
      return `${ld} |= ${bl}; ${hd} |= ${bh};`;
    case 0x50:
      return `${ld} &= ${bl}; ${hd} &= ${bh};`;
    case 0xa0:
      return `${ld} ^= ${bl}; ${hd} ^= ${bh};`;
    case 0x60:
    case 0x70:
    case 0xc0: {
      if (isX) return viaT(`${op === 0x60 ? "shl64" : op === 0x70 ? "shr64" : "sar64"}(T, ${ld}, ${hd}, ${bl} & 63)`);
      const n = imm & 63;
      if (n === 0) return "";
      if (op === 0x60) {
        if (n < 32) return `${hd} = (${hd} << ${n}) | (${ld} >>> ${32 - n}); ${ld} = ${ld} << ${n};`;
        return `${hd} = ${ld} << ${n - 32}; ${ld} = 0;`;
      }
      if (op === 0x70) {
        if (n < 32) return `${ld} = (${ld} >>> ${n}) | (${hd} << ${32 - n}); ${hd} = ${hd} >>> ${n} | 0;`;
        return `${ld} = ${hd} >>> ${n - 32} | 0; ${hd} = 0;`;
      }
      if (n < 32) return `${ld} = (${ld} >>> ${n}) | (${hd} << ${32 - n}); ${hd} = ${hd} >> ${n};`;
      return `${ld} = ${hd} >> ${n - 32}; ${hd} = ${hd} >> 31;`;
    }
    case 0x80:
      return `t = 0 - (${ld} >>> 0); ${ld} = t | 0; ${hd} = (0 - ${hd} - (t < 0 ? 1 : 0)) | 0;`;
    case 0xb0:
      if (isX && off === 8) return `${ld} = (${bl} << 24) >> 24; ${hd} = ${ld} >> 31;`;
      if (isX && off === 16) return `${ld} = (${bl} << 16) >> 16; ${hd} = ${ld} >> 31;`;
      if (isX && off === 32) return `${ld} = ${bl}; ${hd} = ${ld} >> 31;`;
      return `${ld} = ${bl}; ${hd} = ${bh};`;
    case 0xd0:
      if (imm === 16) return `${ld} = bswap16(${ld}); ${hd} = 0;`;
      if (imm === 32) return `${ld} = bswap32(${ld}); ${hd} = 0;`;
      return `t = ${ld}; ${ld} = bswap32(${hd}); ${hd} = bswap32(t);`;
    default:
      return staticFault("call", -1, `unknown ALU64 op 0x${op.toString(16)}`, "EINVAL", refund);
  }
}

function alu32(op: number, d: number, s: number, isX: boolean, off: number, imm: number, refund: number): string {
  const a = L(d);
  const b = isX ? L(s) : lit(imm);
  const set = (expr: string) => `${a} = ${expr}; ${H(d)} = 0;`;
  switch (op) {
    case 0x00:
      return set(`(${a} + ${b}) | 0`);
    case 0x10:
      return set(`(${a} - ${b}) | 0`);
    case 0x20:
      return set(`Math.imul(${a}, ${b})`);
    case 0x30:
      return set(off === 1 ? `sdiv32(${a}, ${b})` : `((${b} >>> 0) === 0 ? 0 : Math.floor((${a} >>> 0) / (${b} >>> 0)) | 0)`);
    case 0x90:
      return set(off === 1 ? `smod32(${a}, ${b})` : `((${b} >>> 0) === 0 ? ${a} : (${a} >>> 0) % (${b} >>> 0) | 0)`);
    case 0x40:
      return set(`${a} | ${b}`);
    case 0x50:
      return set(`${a} & ${b}`);
    case 0xa0:
      return set(`${a} ^ ${b}`);
    case 0x60:
      return set(`${a} << (${b} & 31)`);
    case 0x70:
      return set(`(${a} >>> (${b} & 31)) | 0`);
    case 0xc0:
      return set(`${a} >> (${b} & 31)`);
    case 0x80:
      return set(`-${a} | 0`);
    case 0xb0:
      return set(isX && off === 8 ? `(${b} << 24) >> 24` : isX && off === 16 ? `(${b} << 16) >> 16` : b);
    case 0xd0:
      if (imm === 16) return set(isX ? `bswap16(${a})` : `${a} & 0xffff`);
      if (imm === 32) return set(isX ? `bswap32(${a})` : a);
      return isX ? `t = ${H(d)}; ${H(d)} = bswap32(${a}); ${a} = bswap32(t);` : "";
    default:
      return staticFault("call", -1, `unknown ALU op 0x${op.toString(16)}`, "EINVAL", refund);
  }
}

function cmp64(jop: number, d: number, s: number, isX: boolean, imm: number): string | undefined {
  const al = `(${L(d)} >>> 0)`;
  const ah = H(d);
  const bl = isX ? `(${L(s)} >>> 0)` : lit(imm >>> 0);
  const bh = isX ? H(s) : lit(imm >> 31);
  switch (jop) {
    case JmpOp.JEQ:
      return `${ah} === ${bh} && ${al} === ${bl}`;
    case JmpOp.JNE:
      return `${ah} !== ${bh} || ${al} !== ${bl}`;
    case JmpOp.JSET:
      return `(${al} & ${bl}) !== 0 || (${ah} & ${bh}) !== 0`;
    case JmpOp.JGT:
      return `${ah} >>> 0 > ${bh} >>> 0 || (${ah} === ${bh} && ${al} > ${bl})`;
    case JmpOp.JGE:
      return `${ah} >>> 0 > ${bh} >>> 0 || (${ah} === ${bh} && ${al} >= ${bl})`;
    case JmpOp.JLT:
      return `${ah} >>> 0 < ${bh} >>> 0 || (${ah} === ${bh} && ${al} < ${bl})`;
    case JmpOp.JLE:
      return `${ah} >>> 0 < ${bh} >>> 0 || (${ah} === ${bh} && ${al} <= ${bl})`;
    case JmpOp.JSGT:
      return `${ah} > ${bh} || (${ah} === ${bh} && ${al} > ${bl})`;
    case JmpOp.JSGE:
      return `${ah} > ${bh} || (${ah} === ${bh} && ${al} >= ${bl})`;
    case JmpOp.JSLT:
      return `${ah} < ${bh} || (${ah} === ${bh} && ${al} < ${bl})`;
    case JmpOp.JSLE:
      return `${ah} < ${bh} || (${ah} === ${bh} && ${al} <= ${bl})`;
    default:
      return undefined;
  }
}

function cmp32(jop: number, d: number, s: number, isX: boolean, imm: number): string | undefined {
  const a = L(d);
  const b = isX ? L(s) : lit(imm);
  switch (jop) {
    case JmpOp.JEQ:
      return `${a} === ${b}`;
    case JmpOp.JNE:
      return `${a} !== ${b}`;
    case JmpOp.JSET:
      return `(${a} & ${b}) !== 0`;
    case JmpOp.JGT:
      return `${a} >>> 0 > ${b} >>> 0`;
    case JmpOp.JGE:
      return `${a} >>> 0 >= ${b} >>> 0`;
    case JmpOp.JLT:
      return `${a} >>> 0 < ${b} >>> 0`;
    case JmpOp.JLE:
      return `${a} >>> 0 <= ${b} >>> 0`;
    case JmpOp.JSGT:
      return `${a} > ${b}`;
    case JmpOp.JSGE:
      return `${a} >= ${b}`;
    case JmpOp.JSLT:
      return `${a} < ${b}`;
    case JmpOp.JSLE:
      return `${a} <= ${b}`;
    default:
      return undefined;
  }
}

/**
 * Code that leaves in v/t the view and offset of an access of `size` bytes at
 * reg + off, through the factory's `ac`: the runtime's cached region, else
 * the full check (rt.acc). A call rather than the check inline: V8 inlines
 * it where it pays, and the function stays small enough for V8 to optimize
 * (it does not optimize functions over 60 KiB of bytecode, which the
 * tracer's generic programs reached with the checks inline).
 */
function access(pc: number, reg: number, off: number, size: number, write: boolean): string {
  return `v = ac(${pc}, ${L(reg)}, ${H(reg)}, ${lit(off)}, ${size}, ${write ? 1 : 0}); t = O;`;
}

/** The factory-scope `ac` of accesses: R is the runtime of the running frame, O the offset out. */
const ACCESS_FN = [
  `let R = null, O = 0;`,
  `function ac(pc, bl, bh, off, size, w) {`,
  `const t = (bl >>> 0) + off;`,
  `if (bh === R.ch && t >= R.cl && t <= R.ce - size && (w === 0 || R.cw === 1)) { O = t - R.cl; return R.cv; }`,
  `const v = R.acc(pc, bl, bh, off, size, w); O = R.o; return v;`,
  `}`,
];

/**
 * Whether any instruction of `lp` writes r10. The verifier refuses that, but
 * the JIT also compiles programs loaded without it; only when r10 stays the
 * frame pointer do stack accesses compile to direct reads of the frame.
 */
function writesR10(lp: LoadedProgram): boolean {
  for (let pc = 0; pc < lp.slots; pc++) {
    const code = lp.op[pc]!;
    const cls = code & CLASS_MASK;
    if ((cls === Class.ALU || cls === Class.ALU64 || cls === Class.LDX || code === LDDW) && lp.dst[pc] === 10) return true;
    if (cls === Class.STX && (code & 0xe0) === Mode.ATOMIC && lp.src[pc] === 10 && (lp.imm[pc]! & AtomicOp.FETCH) !== 0) return true;
  }
  return false;
}

/**
 * The offset in the frame's stack of an access of `size` bytes at r10 + off,
 * when it lies wholly inside the 512-byte stack (else undefined: the access
 * takes the checked path and faults there as the interpreter does).
 */
function stackOffset(off: number, size: number): number | undefined {
  return off >= -STACK_SIZE && off + size <= 0 ? STACK_SIZE + off : undefined;
}

function isJmpClass(code: number): boolean {
  const c = code & CLASS_MASK;
  return c === Class.JMP || c === Class.JMP32;
}

/** The static jump target of the jump at `pc`, if it has one (JA and conditional jumps). */
function jumpTarget(lp: LoadedProgram, pc: number): number | undefined {
  const code = lp.op[pc]!;
  const cls = code & CLASS_MASK;
  const jop = code & OP_MASK;
  if (jop === JmpOp.CALL || jop === JmpOp.EXIT) return undefined;
  if (jop === JmpOp.JA) return pc + (cls === Class.JMP ? lp.off[pc]! : lp.imm[pc]!) + 1;
  return pc + lp.off[pc]! + 1;
}

/** Slots a bpf-to-bpf call or an lddw of a subprogram address names: where frames can start. */
function callTargets(lp: LoadedProgram, pc: number): number | undefined {
  const code = lp.op[pc]!;
  if (code === (Class.JMP | JmpOp.CALL) && lp.src[pc] === PseudoCall.LOCAL) return pc + lp.imm[pc]! + 1;
  if (code === LDDW && lp.src[pc] === PseudoLd.FUNC) return pc + lp.imm[pc]! + 1;
  return undefined;
}

/** The factory's constants (what generated code refers to besides `rt`). */
const SHARED = { VmFault, mul64, udiv64, umod64, sdiv64, smod64, sdiv32, smod32, bswap16, bswap32, shl64, shr64, sar64 };

/** Generates the JavaScript for `lp` (the body of a factory `(K) => JitFn`), and the slots it can be entered at. */
export function generate(lp: LoadedProgram, extraEntries: readonly number[] = []): { source: string; entries: Set<number>; refund: Int32Array } {
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
  // Find every instruction start: sequential chains from 0 and from every target.
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
      const ct = callTargets(lp, pc);
      if (ct !== undefined && ct >= 0 && ct < slots) {
        addEntry(ct);
        work.push(ct);
      }
      if (isJmpClass(code)) {
        const t = jumpTarget(lp, pc);
        if (t !== undefined) work.push(t);
        if (pc + 1 < slots) {
          leader[pc + 1] = 1;
        }
      }
      pc += width(pc);
    }
  }
  for (const e of entries) leader[e] = 1;
  // Blocks, in slot order; refund[pc] = instructions of pc's block after pc.
  const refund = new Int32Array(slots);
  const starts: number[] = [];
  for (let pc = 0; pc < slots; pc++) if (isInsn[pc]) starts.push(pc);
  const blocks: number[][] = [];
  for (const pc of starts) {
    const last = blocks[blocks.length - 1];
    const prev = last?.[last.length - 1];
    if (leader[pc] || last === undefined || prev === undefined || prev + width(prev) !== pc || isJmpClass(lp.op[prev]!)) blocks.push([pc]);
    else last.push(pc);
  }
  for (const b of blocks) b.forEach((pc, i) => (refund[pc] = b.length - 1 - i));

  const out: string[] = [];
  const emit = (s: string) => out.push(s);
  emit(`"use strict";`);
  emit(`const { ${Object.keys(SHARED).join(", ")}, lp, A } = K;`);
  emit(`const T = new Int32Array(2);`);
  for (const line of ACCESS_FN) emit(line);
  emit(`return function jit_${lp.name.replace(/[^A-Za-z0-9_]/g, "_").slice(0, 40)}(rt, entry, depth, ${ARGS}, l10, h10) {`);
  emit(`let l0 = 0, h0 = 0, l6 = 0, h6 = 0, l7 = 0, h7 = 0, l8 = 0, h8 = 0, l9 = 0, h9 = 0, l11 = 0, h11 = 0;`);
  emit(`let B = rt.b, ic = 0, pc = entry, t = 0, v = null, f = null, n = null;`);
  // S: this frame's stack. r10 never changes here (fp), so r10 + constant is a fixed offset in it.
  const directStack = !writesR10(lp);
  if (directStack) emit(`const S = rt.host.frames[depth].view;`);
  emit(`R = rt;`);
  emit(`try {`);
  // Leaving X means a block the budget cannot cover starts at pc: the interpreter takes it from there.
  emit(`X: {`);
  emit(`L: for (;;) {`);
  emit(`switch (pc) {`);
  blocks.forEach((block, bi) => {
    const first = block[0]!;
    const nextLeader = blocks[bi + 1]?.[0];
    emit(`case ${first}: {`);
    emit(`if ((B -= ${block.length}) < 0) { B += ${block.length}; pc = ${first}; break X; }`);
    let fallsThrough = true;
    for (const pc of block) {
      const code = lp.op[pc]!;
      const d = lp.dst[pc]!;
      const s = lp.src[pc]!;
      const off = lp.off[pc]!;
      const imm = lp.imm[pc]!;
      const cls = code & CLASS_MASK;
      const isX = (code & Source.X) !== 0;
      const r = refund[pc]!;
      emit(`// ${pc}: op 0x${code.toString(16)} dst ${d} src ${s} off ${off} imm ${imm}`);
      if (cls === Class.ALU64) {
        emit(alu64(code & OP_MASK, d, s, isX, off, imm, r));
        continue;
      }
      if (cls === Class.ALU) {
        emit(alu32(code & OP_MASK, d, s, isX, off, imm, r));
        continue;
      }
      if (cls === Class.JMP || cls === Class.JMP32) {
        const jop = code & OP_MASK;
        if (jop === JmpOp.JA) {
          emit(`pc = ${jumpTarget(lp, pc)!}; continue L;`);
          fallsThrough = false;
          continue;
        }
        if (jop === JmpOp.EXIT) {
          emit(`rt.b = B; rt.rl = l0; rt.rh = h0; return;`);
          fallsThrough = false;
          continue;
        }
        if (jop === JmpOp.CALL) {
          if (code === (Class.JMP | JmpOp.CALL) && s === PseudoCall.LOCAL) {
            emit(`rt.b = B; ic = 1; rt.callLocal(lp, ${pc}, ${pc + imm + 1}, depth, ${ARGS}); ic = 0; B = rt.b; l0 = rt.rl; h0 = rt.rh;`);
            emit(`f = rt.host.frames[depth]; l10 = (f.lo + ${STACK_SIZE}) | 0; h10 = f.hi | 0;`);
            continue;
          }
          if (code === (Class.JMP | JmpOp.CALL) && s === PseudoCall.KFUNC) {
            emit(staticFault("call", pc, `kfunc calls (BTF id ${imm}) are not supported`, "EINVAL", r));
            continue;
          }
          const id = code === (Class.JMP | JmpOp.CALL) ? lit(imm) : L(d);
          emit(`rt.b = B; ic = 1; n = rt.helperCall(lp, ${pc}, depth, ${id}, ${ARGS});`);
          emit(`if (n !== undefined) { rt.tail(n, depth, l1, h1, l10, h10); return; }`);
          emit(`ic = 0; B = rt.b; l0 = rt.rl; h0 = rt.rh;`);
          continue;
        }
        const cond = cls === Class.JMP ? cmp64(jop, d, s, isX, imm) : cmp32(jop, d, s, isX, imm);
        if (cond !== undefined) emit(`if (${cond}) { pc = ${pc + off + 1}; continue L; }`);
        continue;
      }
      switch (cls) {
        case Class.LDX: {
          const size = SIZE_BYTES[(code & 0x18) >> 3]!;
          const signed = (code & 0xe0) === Mode.MEMSX;
          const ld = L(d);
          const hd = H(d);
          if (lp.probe[pc] === 1) {
            emit(`rt.probe(${L(s)}, ${H(s)}, ${off}, ${size}, ${signed ? 1 : 0}); ${ld} = rt.tl; ${hd} = rt.th;`);
            break;
          }
          const so = directStack && s === 10 ? stackOffset(off, size) : undefined;
          if (so !== undefined) emit(`v = S; t = ${so};`);
          else emit(access(pc, s, off, size, false));
          if (size === 1) emit(signed ? `${ld} = v.getInt8(t); ${hd} = ${ld} >> 31;` : `${ld} = v.getUint8(t); ${hd} = 0;`);
          else if (size === 2) emit(signed ? `${ld} = v.getInt16(t, true); ${hd} = ${ld} >> 31;` : `${ld} = v.getUint16(t, true); ${hd} = 0;`);
          else if (size === 4) emit(`${ld} = v.getInt32(t, true); ${hd} = ${signed ? `${ld} >> 31` : "0"};`);
          else emit(`${ld} = v.getInt32(t, true); ${hd} = v.getInt32(t + 4, true);`);
          break;
        }
        case Class.ST:
        case Class.STX: {
          const size = SIZE_BYTES[(code & 0x18) >> 3]!;
          const mode = code & 0xe0;
          if (lp.probe[pc] === 2) {
            emit(`rt.kstore(${pc}, ${L(d)}, ${H(d)}, ${off}, ${size}, ${cls === Class.STX ? L(s) : lit(imm)}, ${cls === Class.STX ? H(s) : lit(imm >> 31)});`);
            break;
          }
          const so = directStack && d === 10 ? stackOffset(off, size) : undefined;
          if (so !== undefined) emit(`v = S; t = ${so};`);
          else emit(access(pc, d, off, size, true));
          if (mode === Mode.ATOMIC) {
            emit(`rt.atomic(${pc}, v, t, ${size}, ${imm}, ${L(s)}, ${H(s)}, l0, h0);`);
            if (imm === AtomicOp.CMPXCHG) emit(`l0 = rt.tl; h0 = rt.th;`);
            else if (imm & AtomicOp.FETCH) emit(`${L(s)} = rt.tl; ${H(s)} = rt.th;`);
            break;
          }
          const vl = cls === Class.STX ? L(s) : lit(imm);
          const vh = cls === Class.STX ? H(s) : lit(imm >> 31);
          if (size === 1) emit(`v.setUint8(t, ${vl} & 0xff);`);
          else if (size === 2) emit(`v.setUint16(t, ${vl} & 0xffff, true);`);
          else if (size === 4) emit(`v.setInt32(t, ${vl}, true);`);
          else emit(`v.setInt32(t, ${vl}, true); v.setInt32(t + 4, ${vh}, true);`);
          break;
        }
        case Class.LD:
          if (code === LDDW) emit(`${L(d)} = ${lp.ldLo[pc]!}; ${H(d)} = ${lp.ldHi[pc]!};`);
          else emit(staticFault("memory", pc, `legacy packet load (opcode 0x${code.toString(16)}) is not supported`, "EINVAL", r));
          break;
      }
    }
    const last = block[block.length - 1]!;
    const next = last + width(last);
    if (fallsThrough && next !== nextLeader) emit(`pc = ${next}; continue L;`);
    emit(`}`);
  });
  emit(`default:`);
  emit(`if (pc >= 0 && pc < ${slots}) throw new Error("jit: no entry at slot " + pc);`);
  emit(`rt.b = B; ic = 1; throw new VmFault("call", pc, "jump out of the program (${slots} slots)", "EINVAL");`);
  emit(`}`); // switch
  emit(`}`); // for
  emit(`}`); // X
  emit(`ic = 1; rt.limited(lp, pc, depth, ${ALL_LO}, ${ALL_HI}, B);`);
  emit(`} catch (e) {`);
  emit(`if (ic === 0 && e instanceof VmFault && e.pc >= 0 && e.pc < A.length) rt.b = B + A[e.pc];`);
  emit(`throw e;`);
  emit(`}`);
  emit(`};`);
  return { source: out.join("\n"), entries, refund };
}

/**
 * Largest program compiled (slots). V8 optimizes no function over 60 KiB of
 * bytecode (--max-optimized-bytecode-size), and a compiled program that stays
 * unoptimized runs slower than the interpreter: the tracer's 381-slot program
 * did, at 71 KiB, before stack accesses went direct and the budget fallback
 * was shared. At about 70 bytes of bytecode per slot now, 800 slots stay
 * under the limit; larger programs run in the interpreter (jitError says so).
 */
export const JIT_MAX_SLOTS = 800;

/** Compiles `lp` into a JitProgram (does not store it on lp). Throws for programs over JIT_MAX_SLOTS. */
export function compileProgram(lp: LoadedProgram, extraEntries: readonly number[] = []): JitProgram {
  if (lp.slots > JIT_MAX_SLOTS) throw new RangeError(`program of ${lp.slots} slots is over the JIT's limit of ${JIT_MAX_SLOTS}`);
  const { source, entries, refund } = generate(lp, extraEntries);
  const factory = new Function("K", source) as (k: unknown) => JitFn;
  const fn = factory({ ...SHARED, lp, A: refund });
  return { source, fn, entries, variants: new Map() };
}
