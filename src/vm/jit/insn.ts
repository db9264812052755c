// The JIT's code for single instructions: JavaScript statements (as
// strings) for ALU operations, conditions of conditional jumps and memory
// accesses on the (lo, hi) int32 register locals l0/h0 .. l11/h11 that
// compile.ts declares. Control flow is compile.ts's and structure.ts's.
import { AtomicOp, Class, CLASS_MASK, JmpOp, Mode, SIZE_BYTES } from "../isa/opcodes.js";
import { STACK_SIZE } from "../limits.js";
import type { LoadedProgram } from "../loaded-program.js";

/** A JavaScript literal for an int32/number (negative ones parenthesized). */
export function lit(n: number): string {
  return n < 0 ? `(${n})` : `${n}`;
}

export const L = (r: number) => `l${r}`;
export const H = (r: number) => `h${r}`;

/** Code for a static fault: the frame syncs the budget itself (refunding the rest of the block). */
export function staticFault(kind: string, pc: number, message: string, errno: string, refund: number): string {
  return `rt.b = B + ${refund}; ic = 1; throw new VmFault(${JSON.stringify(kind)}, ${pc}, ${JSON.stringify(message)}, ${JSON.stringify(errno)});`;
}

/** `a + b` for a high half, with a literal b folded. */
function plus(a: string, b: string): string {
  return b === "0" ? a : b === "(-1)" ? `${a} - 1` : `${a} + ${b}`;
}

/** `a - b` for a high half, with a literal b folded. */
function minus(a: string, b: string): string {
  return b === "0" ? a : b === "(-1)" ? `${a} + 1` : `${a} - ${b}`;
}

export function alu64(op: number, d: number, s: number, isX: boolean, off: number, imm: number, refund: number): string {
  const ld = L(d);
  const hd = H(d);
  const bl = isX ? L(s) : lit(imm);
  const bh = isX ? H(s) : lit(imm >> 31);
  switch (op) {
    case 0x00:
      // int32 adds only: the carry out of the low halves is the unsigned sum being below an addend.
      if (isX && s === d) return `t = ${ld} << 1; ${hd} = ((${hd} << 1) | (${ld} >>> 31)); ${ld} = t;`;
      return `t = (${ld} + ${bl}) | 0; ${hd} = (${plus(hd, bh)} + ((t >>> 0) < (${ld} >>> 0) ? 1 : 0)) | 0; ${ld} = t;`;
    case 0x10:
      if (isX && s === d) return `${ld} = 0; ${hd} = 0;`;
      return `t = (${ld} - ${bl}) | 0; ${hd} = (${minus(hd, bh)} - ((${ld} >>> 0) < (${bl} >>> 0) ? 1 : 0)) | 0; ${ld} = t;`;
    case 0x20:
      // Low 64 bits of the product: imul for the low half, 16-bit limbs for the carry into the
      // high half, in int32 operations only (products as doubles made V8's code depend on the
      // first values it saw: the same program ran at half speed in some processes).
      if (!isX && imm >= 0 && imm < 0x10000) {
        // (a >>> 16) * imm + the carry out of (a & 0xffff) * imm stays below 2^32: exact mod 2^32.
        return (
          `{ const a = ${ld}, m = (imul(a >>> 16, ${imm}) + (imul(a & 0xffff, ${imm}) >>> 16)) | 0;` +
          ` ${hd} = ((m >>> 16) + imul(${hd}, ${imm})) | 0; ${ld} = imul(a, ${imm}); }`
        );
      }
      // Int32 operations only: each 16x16 partial product's bits by imul, the carries by shifts.
      return (
        `{ const a = ${ld}, b = ${bl}, a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;` +
        ` const p01 = imul(a0, b1), p10 = imul(a1, b0), m = (imul(a0, b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);` +
        ` ${hd} = (imul(a1, b1) + (p01 >>> 16) + (p10 >>> 16) + (m >>> 16) + imul(${hd}, b)${bh === "0" ? "" : ` + imul(a, ${bh})`}) | 0; ${ld} = imul(a, b); }`
      );
    case 0x30:
    case 0x90:
    {
      // div64.ts, BigInt-free; results through T. Unsigned operands that
      // both fit in 32 bits (a nonzero divisor) divide inline first.
      const call = `${off === 1 ? "sdivmod64" : "udivmod64"}(T, ${ld}, ${hd}, ${bl}, ${bh}, ${op === 0x90 ? 1 : 0}); ${ld} = T[0]; ${hd} = T[1];`;
      if (off === 1 || (!isX && imm <= 0)) return call;
      const fast = `${ld} = ((${ld} >>> 0) ${op === 0x90 ? "%" : "/"} (${bl} >>> 0)) | 0;`;
      const test = isX ? `${hd} === 0 && ${bh} === 0 && ${bl} !== 0` : `${hd} === 0`;
      return `if (${test}) { ${fast} } else { ${call} }`;
    }
    // With an immediate, the high half's operand is 0 or -1: folded.
    case 0x40:
      return `${ld} |= ${bl};` + (bh === "0" ? "" : bh === "(-1)" ? ` ${hd} = -1;` : ` ${hd} |= ${bh};`);
    case 0x50:
      return `${ld} &= ${bl};` + (bh === "0" ? ` ${hd} = 0;` : bh === "(-1)" ? "" : ` ${hd} &= ${bh};`);
    case 0xa0:
      return `${ld} ^= ${bl};` + (bh === "0" ? "" : bh === "(-1)" ? ` ${hd} = ~${hd};` : ` ${hd} ^= ${bh};`);
    case 0x60:
    case 0x70:
    case 0xc0: {
      if (isX) {
        // t = the count (src may be dst); shifts of 32..63 move one half into the other.
        const n = `t = ${bl} & 63; if (t >= 32) {`;
        if (op === 0x60) return `${n} ${hd} = ${ld} << (t - 32); ${ld} = 0; } else if (t !== 0) { ${hd} = (${hd} << t) | (${ld} >>> (32 - t)); ${ld} = ${ld} << t; }`;
        if (op === 0x70) return `${n} ${ld} = ${hd} >>> (t - 32) | 0; ${hd} = 0; } else if (t !== 0) { ${ld} = (${ld} >>> t) | (${hd} << (32 - t)); ${hd} = ${hd} >>> t | 0; }`;
        return `${n} ${ld} = ${hd} >> (t - 32); ${hd} = ${hd} >> 31; } else if (t !== 0) { ${ld} = (${ld} >>> t) | (${hd} << (32 - t)); ${hd} = ${hd} >> t; }`;
      }
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

export function alu32(op: number, d: number, s: number, isX: boolean, off: number, imm: number, refund: number): string {
  const a = L(d);
  const b = isX ? L(s) : lit(imm);
  const set = (expr: string) => `${a} = ${expr}; ${H(d)} = 0;`;
  switch (op) {
    case 0x00:
      return set(`(${a} + ${b}) | 0`);
    case 0x10:
      return set(`(${a} - ${b}) | 0`);
    case 0x20:
      return set(`imul(${a}, ${b})`);
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

export function cmp64(jop: number, d: number, s: number, isX: boolean, imm: number): string | undefined {
  const al = `(${L(d)} >>> 0)`;
  const ah = H(d);
  const bl = isX ? `(${L(s)} >>> 0)` : lit(imm >>> 0);
  const bh = isX ? H(s) : lit(imm >> 31);
  // An immediate's high half is 0 or -1: the unsigned high compare folds.
  if (!isX && (jop === JmpOp.JGT || jop === JmpOp.JGE || jop === JmpOp.JLT || jop === JmpOp.JLE)) {
    const op = jop === JmpOp.JGT ? ">" : jop === JmpOp.JGE ? ">=" : jop === JmpOp.JLT ? "<" : "<=";
    const above = jop === JmpOp.JGT || jop === JmpOp.JGE;
    // bh 0: a is above iff its high half is nonzero; bh -1 (all ones): a is never above in the high half.
    if (bh === "0") return above ? `${ah} !== 0 || ${al} ${op} ${bl}` : `${ah} === 0 && ${al} ${op} ${bl}`;
    return above ? `${ah} === -1 && ${al} ${op} ${bl}` : `${ah} !== -1 || ${al} ${op} ${bl}`;
  }
  switch (jop) {
    case JmpOp.JEQ:
      return `${ah} === ${bh} && ${al} === ${bl}`;
    case JmpOp.JNE:
      return `${ah} !== ${bh} || ${al} !== ${bl}`;
    case JmpOp.JSET:
      if (!isX) return bh === "0" ? `(${al} & ${bl}) !== 0` : `(${al} & ${bl}) !== 0 || ${ah} !== 0`;
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

export function cmp32(jop: number, d: number, s: number, isX: boolean, imm: number): string | undefined {
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
export function access(pc: number, reg: number, off: number, size: number, write: boolean): string {
  // This frame's stack first (SL/SH: its base), then the function's cached
  // region (CH, [CL, CE), CW writable, CV its view; refilled from the
  // runtime's after every miss, emptied after every call), then the full
  // check. The sum is not wrapped, so an address past 2^32 only ever
  // matches in the full check.
  const l = L(reg);
  const h = H(reg);
  return (
    `t = (${l} >>> 0) + ${lit(off)}; if (${h} === SH && t >= SL && t - SL <= ${STACK_SIZE - size}) { v = S; t -= SL; } ` +
    `else if (${h} === CH && t >= CL && t <= CE - ${size}${write ? " && CW === 1" : ""}) { v = CV; t -= CL; } ` +
    `else { v = ac(${pc}, ${l}, ${h}, ${lit(off)}, ${size}, ${write ? 1 : 0}); t = O; CH = R.ch; CL = R.cl; CE = R.ce; CW = R.cw; CV = v; }`
  );
}

/** The factory-scope `ac` of accesses: R is the runtime of the running frame, O the offset out. */
export const ACCESS_FN = [
  `let R = null, O = 0;`,
  `function ac(pc, bl, bh, off, size, w) {`,
  `const t = (bl >>> 0) + off;`,
  `if (bh === R.ch && t >= R.cl && t <= R.ce - size && (w === 0 || R.cw === 1)) { O = t - R.cl; return R.cv; }`,
  `const v = R.acc(pc, bl, bh, off, size, w); O = R.o; return v;`,
  `}`,
];


/**
 * The offset in the frame's stack of an access of `size` bytes at r10 + off,
 * when it lies wholly inside the 512-byte stack (else undefined: the access
 * takes the checked path and faults there as the interpreter does).
 */
export function stackOffset(off: number, size: number): number | undefined {
  return off >= -STACK_SIZE && off + size <= 0 ? STACK_SIZE + off : undefined;
}

/** An LDX at `pc` (`directStack`: r10 is the frame pointer throughout, so r10 + constant is a fixed offset in S). */
export function loadInsn(lp: LoadedProgram, pc: number, directStack: boolean): string {
  const code = lp.op[pc]!;
  const d = lp.dst[pc]!;
  const s = lp.src[pc]!;
  const off = lp.off[pc]!;
  const size = SIZE_BYTES[(code & 0x18) >> 3]!;
  const signed = (code & 0xe0) === Mode.MEMSX;
  const ld = L(d);
  const hd = H(d);
  if (lp.probe[pc] === 1) return `rt.probe(${L(s)}, ${H(s)}, ${off}, ${size}, ${signed ? 1 : 0}); ${ld} = rt.tl; ${hd} = rt.th;`;
  const so = directStack && s === 10 ? stackOffset(off, size) : undefined;
  const at = so !== undefined ? `v = S; t = ${so};` : access(pc, s, off, size, false);
  if (size === 1) return at + (signed ? ` ${ld} = v.getInt8(t); ${hd} = ${ld} >> 31;` : ` ${ld} = v.getUint8(t); ${hd} = 0;`);
  if (size === 2) return at + (signed ? ` ${ld} = v.getInt16(t, true); ${hd} = ${ld} >> 31;` : ` ${ld} = v.getUint16(t, true); ${hd} = 0;`);
  if (size === 4) return at + ` ${ld} = v.getInt32(t, true); ${hd} = ${signed ? `${ld} >> 31` : "0"};`;
  return at + ` ${ld} = v.getInt32(t, true); ${hd} = v.getInt32(t + 4, true);`;
}

/** An ST/STX (or atomic) at `pc`. */
export function storeInsn(lp: LoadedProgram, pc: number, directStack: boolean): string {
  const code = lp.op[pc]!;
  const cls = code & CLASS_MASK;
  const d = lp.dst[pc]!;
  const s = lp.src[pc]!;
  const off = lp.off[pc]!;
  const imm = lp.imm[pc]!;
  const size = SIZE_BYTES[(code & 0x18) >> 3]!;
  const mode = code & 0xe0;
  if (lp.probe[pc] === 2) {
    return `rt.kstore(${pc}, ${L(d)}, ${H(d)}, ${off}, ${size}, ${cls === Class.STX ? L(s) : lit(imm)}, ${cls === Class.STX ? H(s) : lit(imm >> 31)});`;
  }
  const so = directStack && d === 10 ? stackOffset(off, size) : undefined;
  const at = so !== undefined ? `v = S; t = ${so};` : access(pc, d, off, size, true);
  if (mode === Mode.ATOMIC) {
    let code = `${at} rt.atomic(${pc}, v, t, ${size}, ${imm}, ${L(s)}, ${H(s)}, l0, h0);`;
    if (imm === AtomicOp.CMPXCHG) code += ` l0 = rt.tl; h0 = rt.th;`;
    else if (imm & AtomicOp.FETCH) code += ` ${L(s)} = rt.tl; ${H(s)} = rt.th;`;
    return code;
  }
  const vl = cls === Class.STX ? L(s) : lit(imm);
  const vh = cls === Class.STX ? H(s) : lit(imm >> 31);
  if (size === 1) return `${at} v.setUint8(t, ${vl} & 0xff);`;
  if (size === 2) return `${at} v.setUint16(t, ${vl} & 0xffff, true);`;
  if (size === 4) return `${at} v.setInt32(t, ${vl}, true);`;
  return `${at} v.setInt32(t, ${vl}, true); v.setInt32(t + 4, ${vh}, true);`;
}

