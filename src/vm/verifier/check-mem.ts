// Memory access checks (the kernel's check_mem_access and
// check_helper_mem_access): loads and stores through each pointer type
// against its object's bounds, stack initialization and register
// spill/fill, context rules from the program type, and BTF-typed kernel
// pointers whose loads become checked kernel reads, member by member.
import { BtfKind } from "../../btf/kinds.js";
import { resolveType, sizeOf, skipModsAndTypedefs } from "../../btf/layout.js";
import type { VerifierContext } from "./context.js";
import { scalarTruncate, scalarSignExtendLoad } from "./scalar-alu.js";
import { constValue, isConst, scalarConst, scalarUnknown } from "./scalar.js";
import type { ErrnoName } from "../../internal/errno.js";
import { refuse } from "./errors.js";
import { regName } from "./log.js";
import { linkSpill } from "./scalar-ids.js";
import { isPointer, scalarReg } from "./state.js";
import { tnumAdd, tnumConst, tnumToString, type Tnum } from "./tnum.js";
import { RegType, STACK_SIZE, StackByte, type FrameState, type RegState, type VerifierState } from "./types.js";

/** Map flags that make values read-only / write-only for programs (BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG). */
const BPF_F_RDONLY_PROG = 1 << 7;
const BPF_F_WRONLY_PROG = 1 << 8;
/** Largest size or offset range the verifier reasons about (BPF_MAX_VAR_SIZ). */
export const MAX_VAR_SIZE = 1 << 29;

export interface Access {
  regno: number;
  /** The instruction's offset. */
  off: number;
  size: number;
  write: boolean;
  /** For stores: the value written (a register, or a constant scalar for ST). */
  value?: RegState;
  /** For STX: the register stored. */
  valueRegno?: number;
  /** Sign-extending load (LDX MEMSX). */
  signExtend?: boolean;
  /** Atomic operations: the address must be aligned to the size whatever the pointer (check_ptr_alignment's strict mode). */
  strictAlign?: boolean;
  pc: number;
}

/** Constants the kernel's log prints in decimal (UNUM_MAX_DECIMAL, U16_MAX); larger ones in hex. */
const UNUM_MAX_DECIMAL = 0xffffn;

/**
 * A tnum as the kernel's log prints it (tnum_strn, since 6.8): a known
 * value as a number, otherwise "(value; mask)" in hex.
 */
export function tnumLogString(t: Tnum): string {
  if (t.mask !== 0n) return tnumToString(t);
  return t.value <= UNUM_MAX_DECIMAL ? t.value.toString() : `0x${t.value.toString(16)}`;
}

/** The pointer types a helper's memory argument accepts, as the kernel lists them when it refuses one (mem_types). */
export const HELPER_MEM_TYPES = "fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_";

/** The unknown value a load of `size` bytes yields. */
function loaded(size: number, signExtend: boolean | undefined): RegState {
  return scalarReg(signExtend ? scalarSignExtendLoad(size as 1 | 2 | 4) : scalarTruncate(scalarUnknown(), size as 1 | 2 | 4 | 8));
}

/**
 * Checks a load or store through register `a.regno`. Returns the register a
 * load produces (undefined for stores). Fails with the kernel's message.
 */
export function checkMemAccess(ctx: VerifierContext, state: VerifierState, a: Access): RegState | undefined {
  const frame = state.frames[state.frames.length - 1]!;
  const r = frame.regs[a.regno]!;
  const R = `R${a.regno}`;
  if (a.strictAlign && a.size > 1 && (r.type === RegType.PTR_TO_MAP_VALUE || r.type === RegType.PTR_TO_MEM)) {
    // check_generic_ptr_alignment: var_off + fixed offset + insn offset must be a multiple of the size.
    const at = tnumAdd(r.scalar?.var ?? tnumConst(0n), tnumConst(BigInt.asUintN(64, BigInt((r.off ?? 0) + a.off))));
    if (((at.value | at.mask) & BigInt(a.size - 1)) !== 0n) {
      const desc = r.type === RegType.PTR_TO_MAP_VALUE ? "value " : "";
      ctx.fail(`misaligned ${desc}access off ${tnumLogString(r.scalar?.var ?? tnumConst(0n))}+${r.off ?? 0}+${a.off} size ${a.size}`, a.pc);
    }
  }
  switch (r.type) {
    case RegType.NOT_INIT:
      return ctx.fail(`${R} !read_ok`, a.pc);
    case RegType.SCALAR:
      return ctx.fail(`${R} invalid mem access 'scalar'`, a.pc);
    case RegType.PTR_TO_STACK:
      return stackAccess(ctx, state, r, a);
    case RegType.PTR_TO_MAP_VALUE: {
      const vs = r.map!.valueSize;
      if (a.write && r.map!.flags & BPF_F_RDONLY_PROG) ctx.fail(`write into map forbidden, value_size=${vs} off=${(r.off ?? 0) + a.off} size=${a.size}`, a.pc);
      if (!a.write && r.map!.flags & BPF_F_WRONLY_PROG) ctx.fail(`read from map forbidden, value_size=${vs} off=${(r.off ?? 0) + a.off} size=${a.size}`, a.pc);
      checkRange(ctx, r, a, vs, (off) => `invalid access to map value, value_size=${vs} off=${off} size=${a.size}`);
      if (a.write && a.value && isPointer(a.value) && !ctx.options.privileged) ctx.fail(`R${a.valueRegno} leaks addr into map`, a.pc);
      if (a.write) return undefined;
      // A frozen read-only map's bytes are constants (bpf_map_direct_read): branches on them are decided.
      const ro = r.map!.readOnlyValue;
      if (ro && isConst(r.scalar!)) {
        const at = (r.off ?? 0) + a.off + Number(constValue(r.scalar!));
        if (at >= 0 && at + a.size <= ro.length) {
          let v = 0n;
          for (let i = a.size - 1; i >= 0; i--) v = (v << 8n) | BigInt(ro[at + i]!);
          if (a.signExtend) v = BigInt.asUintN(64, BigInt.asIntN(a.size * 8, v));
          return scalarReg(scalarConst(v));
        }
      }
      return loaded(a.size, a.signExtend);
    }
    case RegType.PTR_TO_MEM: {
      const sz = r.memSize!;
      if (a.write && !r.memWritable) ctx.fail(`${R} cannot write into mem`, a.pc);
      checkRange(ctx, r, a, sz, (off) => `invalid access to memory, mem_size=${sz} off=${off} size=${a.size}`);
      if (a.write && a.value && isPointer(a.value) && !ctx.options.privileged) ctx.fail(`R${a.valueRegno} leaks addr into mem`, a.pc);
      return a.write ? undefined : loaded(a.size, a.signExtend);
    }
    case RegType.PTR_TO_CTX: {
      const off = (r.off ?? 0) + a.off;
      checkPtrOffReg(ctx, r, a.regno, false, a.pc);
      const why = ctx.options.progType.ctxAccess(off, a.size, a.write);
      if (why) {
        // A program type may explain first (btf_ctx_access's line), then give the verdict.
        const lines = why.split("\n");
        for (const l of lines.slice(0, -1)) ctx.log(l);
        ctx.fail(lines[lines.length - 1]!, a.pc);
      }
      if (a.write) return undefined;
      const typed = a.signExtend ? undefined : ctx.options.progType.ctxLoad?.(off, ctx.nextId, a.size);
      return typed ?? loaded(a.size, a.signExtend);
    }
    case RegType.PTR_TO_BTF_ID:
      ctx.probeMem.add(a.pc);
      return btfAccess(ctx, r, a);
    default:
      return ctx.fail(`${R} invalid mem access '${regName(r)}'`, a.pc);
  }
}

/**
 * check_ptr_off_reg: a ctx pointer (or a typed kernel pointer passed to a
 * helper) is used only as it was given, in the kernel's order: no negative
 * fixed offset, no fixed offset unless `fixedOffOk`, no variable part.
 */
export function checkPtrOffReg(ctx: VerifierContext, r: RegState, regno: number, fixedOffOk: boolean, pc: number): void {
  const off = r.off ?? 0;
  const type = regName(r);
  if (off < 0) ctx.fail(`negative offset ${type} ptr R${regno} off=${off} disallowed`, pc);
  if (!fixedOffOk && off !== 0) ctx.fail(`dereference of modified ${type} ptr R${regno} off=${off} disallowed`, pc);
  if (r.scalar && !(isConst(r.scalar) && constValue(r.scalar) === 0n)) ctx.fail(`variable ${type} access var_off=${tnumToString(r.scalar.var)} disallowed`, pc);
}

/** Bounds of a map value / mem access with the pointer's fixed and variable offsets. */
function checkRange(ctx: VerifierContext, r: RegState, a: Access, objSize: number, msg: (off: number) => string): void {
  const R = `R${a.regno}`;
  const v = r.scalar!;
  const fixed = BigInt((r.off ?? 0) + a.off);
  // check_mem_region_access: the lowest offset first (a negative one only if it could wrap or go below 0)...
  const low = fixed + v.smin;
  if (v.smin < 0n && (v.smin === S64_MIN || low !== BigInt.asIntN(32, low) || low < 0n)) {
    ctx.fail(`${R} min value is negative, either use unsigned index or do a if (index >=0) check.`, a.pc);
  }
  // ...each bound through __check_mem_access, whose line comes before the verdict.
  const outside = (off: bigint) => off < 0n || a.size > objSize || off > BigInt(objSize - a.size);
  if (outside(low)) {
    ctx.log(msg(Number(low)));
    ctx.fail(`${R} min value is outside of the allowed memory range`, a.pc);
  }
  if (v.umax >= BigInt(MAX_VAR_SIZE)) ctx.fail(`${R} unbounded memory access, make sure to bounds check any such access`, a.pc);
  const high = fixed + v.umax;
  if (outside(high)) {
    ctx.log(msg(Number(high)));
    ctx.fail(`${R} max value is outside of the allowed memory range`, a.pc);
  }
}

const S64_MIN = -(1n << 63n);

function stackAccess(ctx: VerifierContext, state: VerifierState, r: RegState, a: Access): RegState | undefined {
  const frame = state.frames[r.frameno!];
  if (!frame) return ctx.fail(`R${a.regno} points to the stack of a frame that has returned`, a.pc);
  // A stack pointer with a variable part (fp + bounded scalar): check_stack_{read,write}_var_off.
  if (r.scalar && !isConst(r.scalar)) return stackAccessVarOff(ctx, frame, r, a);
  // A known variable part is just more fixed offset.
  if (r.scalar && constValue(r.scalar) !== 0n) return stackAccess(ctx, state, { ...r, scalar: undefined, off: (r.off ?? 0) + Number(BigInt.asIntN(64, constValue(r.scalar))) }, a);
  const off = (r.off ?? 0) + a.off;
  // check_ptr_alignment (always strict on the stack) comes before the bounds.
  if (off % a.size !== 0) ctx.fail(`misaligned stack access off ${tnumLogString(r.scalar?.var ?? tnumConst(0n))}+${r.off ?? 0}+${a.off} size ${a.size}`, a.pc);
  if (off < -STACK_SIZE || off + a.size > 0) refuse(`invalid ${a.write ? "write to" : "read from"} stack R${a.regno} off=${off} size=${a.size}`, a.pc, stackBoundsErrno(off));
  const at = STACK_SIZE + off; // byte index
  const slot = at >> 3;
  ctx.noteStackDepth(frame, -off);
  if (a.write) {
    if (-off > frame.depth) frame.depth = -off;
    const v = a.value;
    const ptr = v !== undefined && isPointer(v);
    if (ptr && a.size !== 8) ctx.fail(`invalid size of register spill`, a.pc);
    // Any stack pointer, into any frame but the current one (the kernel's check_stack_write_fixed_off: state != cur).
    if (v && v.type === RegType.PTR_TO_STACK && r.frameno !== state.frames.length - 1) refuse(`cannot spill pointers to stack into stack frame of the caller`, a.pc, "EINVAL");
    // A store over part of a spilled pointer corrupts it.
    const old = frame.spills[slot];
    if (old && isPointer(old) && !(a.size === 8) && !ctx.options.privileged) ctx.fail(`attempt to corrupt spilled pointer on stack`, a.pc);
    if (a.size === 8 && v) {
      // A spilled unknown scalar stays linked with its register (scalar-ids.ts).
      frame.spills[slot] = v.type === RegType.SCALAR && a.valueRegno !== undefined && ctx.options.privileged ? linkSpill(state, a.valueRegno, v, ctx.nextId) : v;
      frame.stack.fill(StackByte.SPILL, at, at + 8);
      return undefined;
    }
    // Partial store: the slot's spill (if any) becomes plain bytes.
    if (old) {
      frame.spills[slot] = undefined;
      frame.stack.fill(StackByte.MISC, slot * 8, slot * 8 + 8);
    }
    const zero = v !== undefined && v.type === RegType.SCALAR && v.scalar!.umax === 0n;
    if (zero && a.valueRegno !== undefined) ctx.markPrecise(a.valueRegno); // the bytes are ZERO only because the register is 0
    frame.stack.fill(zero ? StackByte.ZERO : StackByte.MISC, at, at + a.size);
    return undefined;
  }
  // Privileged loads (allow_uninit_stack, CAP_PERFMON) may read stack never written: an unknown value.
  if (!ctx.options.privileged) {
    for (let b = at; b < at + a.size; b++) {
      if (frame.stack[b] === StackByte.INVALID) ctx.fail(`invalid read from stack off ${off}+${b - at} size ${a.size}`, a.pc);
    }
  }
  const spilled = frame.spills[slot];
  if (spilled) {
    if (a.size === 8 && !a.signExtend) return spilled;
    if (isPointer(spilled)) ctx.fail(`invalid size of register fill`, a.pc);
    return loaded(a.size, a.signExtend);
  }
  let allZero = true;
  for (let b = at; b < at + a.size; b++) if (frame.stack[b] !== StackByte.ZERO) allZero = false;
  return allZero ? scalarReg(scalarConst(0n)) : loaded(a.size, a.signExtend);
}

/**
 * The errno of a stack access out of the frame (check_stack_access_within_bounds):
 * EACCES when its lowest byte `minOff` is outside the frame
 * (check_stack_slot_within_bounds), EINVAL when only its end runs past fp.
 */
function stackBoundsErrno(minOff: number): ErrnoName {
  return minOff < -STACK_SIZE || minOff > -1 ? "EACCES" : "EINVAL";
}

/** BPF_MAX_VAR_OFF: a stack pointer's variable part must stay within ±2^29. */
const MAX_VAR_OFF = 1n << 29n;

/**
 * The bytes [min, max) of the frame an access through a stack pointer with a
 * variable offset may touch (check_stack_access_within_bounds), or a failure
 * with the kernel's words. `what` is " read from" / " write to" (direct) or
 * " indirect access to" (helpers, Linux 6.12).
 */
function varStackRange(ctx: VerifierContext, r: RegState, regno: number, insnOff: number, size: number, what: string, pc: number): { min: number; max: number } {
  const v = r.scalar!;
  if (!ctx.options.privileged) ctx.fail(`R${regno} variable offset stack access prohibited for !root, var_off=${tnumLogString(v.var)}`, pc);
  if (v.smax >= MAX_VAR_OFF || v.smin <= -MAX_VAR_OFF) ctx.fail(`invalid unbounded variable-offset${what} stack R${regno}`, pc);
  const off = (r.off ?? 0) + insnOff;
  const min = Number(v.smin) + off;
  const max = Number(v.smax) + off + size;
  if (min < -STACK_SIZE || max > 0) refuse(`invalid variable-offset${what} stack R${regno} var_off=${tnumLogString(v.var)} off=${off} size=${size}`, pc, stackBoundsErrno(min));
  return { min, max };
}

/**
 * Writes `bytes` [min, max) of a frame at a variable offset: any spill there
 * is gone (its slot becomes plain bytes), the bytes become MISC (ZERO stays
 * ZERO when zero is written).
 */
function clobberStack(frame: FrameState, min: number, max: number, zero: boolean): void {
  const from = STACK_SIZE + min;
  const to = STACK_SIZE + max;
  for (let slot = from >> 3; slot <= (to - 1) >> 3; slot++) {
    if (frame.spills[slot]) {
      frame.spills[slot] = undefined;
      frame.stack.fill(StackByte.MISC, slot * 8, slot * 8 + 8);
    }
  }
  for (let b = from; b < to; b++) if (!(zero && frame.stack[b] === StackByte.ZERO)) frame.stack[b] = StackByte.MISC;
  if (-min > frame.depth) frame.depth = -min;
}

/** A load or store at a variable stack offset (privileged only): the value read is unknown unless every byte it may read is zero. */
function stackAccessVarOff(ctx: VerifierContext, frame: FrameState, r: RegState, a: Access): RegState | undefined {
  const v = r.scalar!;
  const at = tnumAdd(v.var, tnumConst(BigInt.asUintN(64, BigInt((r.off ?? 0) + a.off))));
  if (((at.value | at.mask) & BigInt(a.size - 1)) !== 0n) ctx.fail(`misaligned stack access off ${tnumLogString(v.var)}+${r.off ?? 0}+${a.off} size ${a.size}`, a.pc);
  const { min, max } = varStackRange(ctx, r, a.regno, a.off, a.size, a.write ? " write to" : " read from", a.pc);
  ctx.noteStackDepth(frame, -min);
  if (a.write) {
    const zero = a.value !== undefined && a.value.type === RegType.SCALAR && a.value.scalar!.umax === 0n;
    clobberStack(frame, min, max, zero);
    return undefined;
  }
  // mark_reg_stack_read: 0 only if every byte is ZERO. Not a spilled 0: a
  // spill's value is compared at pruning points only where it is precise, and
  // a variable-offset read does not mark the slots it may read precise.
  for (let b = STACK_SIZE + min; b < STACK_SIZE + max; b++) if (frame.stack[b] !== StackByte.ZERO) return loaded(a.size, a.signExtend);
  return scalarReg(scalarConst(0n));
}

/** A load through a typed kernel pointer: must land on one member; pointers to structs stay typed. */
function btfAccess(ctx: VerifierContext, r: RegState, a: Access): RegState {
  const btf = ctx.options.btf;
  if (!btf) return ctx.fail(`R${a.regno} invalid mem access 'ptr_' (no BTF to type it)`, a.pc);
  let id = skipModsAndTypedefs(btf, r.btfId!);
  let off = (r.off ?? 0) + a.off;
  const outer = btf.typeById(id);
  // check_ptr_to_btf_access: no negative offset, no variable part, before the direction.
  if (off < 0) ctx.fail(`R${a.regno} is ptr_${outer.name} invalid negative access: off=${off}`, a.pc);
  if (r.scalar && !(isConst(r.scalar) && constValue(r.scalar) === 0n)) ctx.fail(`R${a.regno} is ptr_${outer.name} invalid variable offset: off=${off}, var_off=${tnumToString(r.scalar.var)}`, a.pc);
  if (a.write) ctx.fail(`only read is supported`, a.pc);
  const structName = `${outer.kind === BtfKind.UNION ? "union" : "struct"} ${outer.name || "(anon)"}`;
  for (let depth = 0; depth < 64; depth++) {
    const t = btf.typeById(id);
    if (t.kind === BtfKind.STRUCT || t.kind === BtfKind.UNION) {
      let found = false;
      for (const m of t.members) {
        if (m.bitfieldSize) continue;
        const mOff = m.bitsOffset / 8;
        let mSize: number;
        try {
          mSize = sizeOf(btf, m.type);
        } catch {
          continue;
        }
        if (off >= mOff && off + a.size <= mOff + mSize) {
          id = skipModsAndTypedefs(btf, m.type);
          off -= mOff;
          found = true;
          break;
        }
      }
      if (!found) break;
      continue;
    }
    if (t.kind === BtfKind.ARRAY) {
      const elemSize = sizeOf(btf, t.type);
      if (elemSize === 0) break;
      off %= elemSize;
      id = skipModsAndTypedefs(btf, t.type);
      continue;
    }
    if (t.kind === BtfKind.PTR && off === 0 && a.size === 8) {
      const target = resolveType(btf, t.type);
      if (target.kind === BtfKind.STRUCT || target.kind === BtfKind.UNION) return { type: RegType.PTR_TO_BTF_ID, btfId: skipModsAndTypedefs(btf, t.type), off: 0 };
      return loaded(8, false);
    }
    if (t.kind === BtfKind.INT || t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64 || t.kind === BtfKind.PTR) return loaded(a.size, a.signExtend);
    break;
  }
  return ctx.fail(`access beyond ${structName} at off ${(r.off ?? 0) + a.off} size ${a.size}`, a.pc);
}

/**
 * A helper's memory argument: `size` bytes (`sizeReg`'s bounds when variable)
 * at register `regno`, read (initialized) or written (marks the stack initialized).
 */
export function checkHelperMem(ctx: VerifierContext, state: VerifierState, regno: number, size: number, write: boolean, pc: number): void {
  const frame = state.frames[state.frames.length - 1]!;
  const r = frame.regs[regno]!;
  if (size === 0) return;
  switch (r.type) {
    case RegType.PTR_TO_STACK: {
      const f = state.frames[r.frameno!];
      if (!f) return ctx.fail(`R${regno} points to the stack of a frame that has returned`, pc);
      if (r.scalar && !isConst(r.scalar)) {
        // check_stack_range_initialized at a variable offset: every byte the helper may touch.
        const { min, max } = varStackRange(ctx, r, regno, 0, size, " indirect access to", pc);
        ctx.noteStackDepth(f, -min);
        if (write) clobberStack(f, min, max, false);
        return;
      }
      const off = (r.off ?? 0) + (r.scalar ? Number(BigInt.asIntN(64, constValue(r.scalar))) : 0);
      if (off < -STACK_SIZE || off + size > 0) refuse(`invalid indirect access to stack R${regno} off=${off} size=${size}`, pc, stackBoundsErrno(off));
      ctx.noteStackDepth(f, -off);
      const at = STACK_SIZE + off;
      if (write) {
        if (-off > f.depth) f.depth = -off;
        f.stack.fill(StackByte.MISC, at, at + size);
        for (let s = at >> 3; s <= (at + size - 1) >> 3; s++) f.spills[s] = undefined;
        return;
      }
      if (!ctx.options.privileged) {
        for (let b = at; b < at + size; b++) {
          if (f.stack[b] === StackByte.INVALID) ctx.fail(`invalid indirect read from stack R${regno} off ${off}+${b - at} size ${size}`, pc);
        }
      }
      return;
    }
    case RegType.PTR_TO_MAP_VALUE:
    case RegType.PTR_TO_MEM:
      checkMemAccess(ctx, state, { regno, off: 0, size, write, pc });
      return;
    default:
      ctx.fail(`R${regno} type=${regName(r)} expected=${HELPER_MEM_TYPES}`, pc);
  }
}
