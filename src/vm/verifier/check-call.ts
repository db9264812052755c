// Calls and returns (the kernel's check_helper_call, check_func_call,
// prepare_func_exit): helper arguments against the program type's
// prototypes, r0 typed from the return type, r1-r5 clobbered; bpf-to-bpf
// calls push a frame (at most 8), bpf_loop callbacks run as a frame whose
// exit returns to the helper call; references must be released.
import { ArgType, RetType, type HelperProto } from "../helpers/abi.js";
import { helperFuncName, helperName } from "../helpers/protos.js";
import type { VerifierContext } from "./context.js";
import { cur } from "./context.js";
import { BtfKind } from "../../btf/kinds.js";
import { skipModsAndTypedefs } from "../../btf/layout.js";
import { checkHelperMem, checkMemAccess, checkPtrOffReg, HELPER_MEM_TYPES, MAX_VAR_SIZE } from "./check-mem.js";
import { constValue, isConst, scalarFromRange, scalarFromSignedRange, scalarUnknown } from "./scalar.js";
import { refuse } from "./errors.js";
import { regName } from "./log.js";
import { isPointer, newFrame, NOT_INIT, scalarReg } from "./state.js";
import { RegType, type MapDesc, type RegState, type VerifierState } from "./types.js";

/** The struct a helper's ARG_PTR_TO_BTF_ID argument points to (its arg_btf_id), by helper id. */
const BTF_ARG_STRUCT: Record<number, string> = { 126: "seq_file", 127: "seq_file", 141: "task_struct" };
/** Most nested frames (MAX_CALL_FRAMES). */
export const MAX_CALL_FRAMES = 8;

const MapType = { HASH: 1, ARRAY: 2, PROG_ARRAY: 3, PERF_EVENT_ARRAY: 4, PERCPU_HASH: 5, PERCPU_ARRAY: 6, STACK_TRACE: 7, CGROUP_ARRAY: 8, LRU_HASH: 9, QUEUE: 22, STACK: 23, RINGBUF: 27 };
/** Which map types each map-taking helper accepts (the kernel's check_map_func_compatibility). */
const HELPER_MAPS: Record<number, number[]> = {
  1: [MapType.HASH, MapType.ARRAY, MapType.PERCPU_HASH, MapType.PERCPU_ARRAY, MapType.LRU_HASH],
  2: [MapType.HASH, MapType.ARRAY, MapType.PERCPU_HASH, MapType.PERCPU_ARRAY, MapType.LRU_HASH],
  // Deleting from an array is legal to verify; the helper returns -EINVAL at run time, as in the kernel.
  3: [MapType.HASH, MapType.ARRAY, MapType.PERCPU_HASH, MapType.PERCPU_ARRAY, MapType.LRU_HASH],
  12: [MapType.PROG_ARRAY],
  87: [MapType.QUEUE, MapType.STACK],
  88: [MapType.QUEUE, MapType.STACK],
  89: [MapType.QUEUE, MapType.STACK],
  25: [MapType.PERF_EVENT_ARRAY],
  27: [MapType.STACK_TRACE],
  37: [MapType.CGROUP_ARRAY],
  130: [MapType.RINGBUF],
  131: [MapType.RINGBUF],
  134: [MapType.RINGBUF],
};

/**
 * Memory arguments that may be NULL (with a size of 0): the kernel's
 * ARG_PTR_TO_MEM | PTR_MAYBE_NULL, by helper id and argument number. Every
 * other memory argument must point somewhere, whatever its size.
 */
const MAYBE_NULL_MEM: Record<number, number[]> = {
  126: [4], // seq_printf's data
  165: [1, 4], // snprintf's str and data
  177: [3], // trace_vprintk's data
};

/** The most CPUs a kernel may have (CONFIG_NR_CPUS's upper limit): get_smp_processor_id's bound when the load does not say. */
const NR_CPUS_MAX = 8192;
/** Largest errno (MAX_ERRNO): helpers that return a length or -errno return at least -MAX_ERRNO. */
const MAX_ERRNO = 4095n;
/** Helpers whose r0 is a length of at most the size argument, or -errno (do_refine_retval_range). */
const RET_LEN_OR_ERRNO = new Set([45, 67, 114, 115, 141]);
/** Map helpers that write the value argument (ARG_PTR_TO_MAP_VALUE | MEM_UNINIT): pop and peek. */
const WRITES_MAP_VALUE = new Set([88, 89]);
/** BPF_F_RDONLY_PROG. */
const RDONLY_PROG = 1 << 7;

function nameOf(proto: HelperProto): string {
  return `${helperName(proto.id) ?? `bpf_${proto.name}`}#${proto.id}`;
}

/** A callback a helper will run (bpf_loop): its entry slot and the context argument it receives. */
export interface PendingCallback {
  entry: number;
  ctxArg: RegState;
}

/** A helper call at `pc` to helper `id`. Returns the callback to verify for bpf_loop, else undefined. */
export function checkHelperCall(ctx: VerifierContext, state: VerifierState, id: number, pc: number): PendingCallback | undefined {
  const proto = ctx.options.progType.helper(id);
  if (!proto) {
    // check_helper_call: ids the kernel defines are named, others are "unknown".
    const known = helperFuncName(id) ?? helperName(id);
    refuse(known ? `program of this type cannot use helper ${known}#${id}` : `invalid func unknown#${id}`, pc, "EINVAL");
  }
  const frame = cur(state);
  const regs = frame.regs;
  let map: MapDesc | undefined;
  let allocSize = 0;
  let callback: number | undefined;
  let released: number | undefined;
  let castTarget = 0;
  /** The size argument's largest value (meta->msize_max_value). */
  let msizeMax = 0n;
  for (let i = 0; i < proto.args.length; i++) {
    const at = proto.args[i]!;
    const regno = i + 1;
    const r = regs[regno]!;
    const R = `R${regno}`;
    if (at === ArgType.DONTCARE) continue;
    if (r.type === RegType.NOT_INIT) ctx.fail(`${R} !read_ok`, pc);
    switch (at) {
      case ArgType.ANYTHING:
        // Unprivileged programs may not pass a pointer where the helper takes any value (it could print or store it).
        if (!ctx.options.privileged && isPointer(r)) ctx.fail(`${R} leaks addr into helper function`, pc);
        break;
      case ArgType.CONST_MAP_PTR:
        if (r.type !== RegType.CONST_PTR_TO_MAP) ctx.fail(`${R} type=${regName(r)} expected=map_ptr`, pc);
        map = r.map!;
        // record_func_map: a tail call's map is checked before its other arguments.
        if (id === 12 && map.type !== MapType.PROG_ARRAY) refuse(`expected prog array map for tail call`, pc, "EINVAL");
        break;
      case ArgType.PTR_TO_MAP_KEY:
        if (!map) ctx.fail(`invalid map_ptr to access map->key`, pc);
        checkMemArgType(ctx, r, regno, pc);
        // Queue and stack maps have no key: a zero-sized read the key argument does not allow.
        if (map.keySize === 0) ctx.fail(`invalid zero-sized read`, pc);
        checkHelperMem(ctx, state, regno, map.keySize, false, pc);
        break;
      case ArgType.PTR_TO_MAP_VALUE:
        if (!map) ctx.fail(`invalid map_ptr to access map->value`, pc);
        checkMemArgType(ctx, r, regno, pc);
        checkHelperMem(ctx, state, regno, map.valueSize, WRITES_MAP_VALUE.has(id), pc);
        break;
      case ArgType.PTR_TO_MEM:
      case ArgType.PTR_TO_UNINIT_MEM:
      case ArgType.PTR_TO_CONST_STR:
        if (r.type === RegType.SCALAR && isConst(r.scalar!) && constValue(r.scalar!) === 0n && proto.args[i + 1] === ArgType.CONST_SIZE_OR_ZERO && MAYBE_NULL_MEM[id]?.includes(regno)) {
          ctx.markPrecise(regno);
          break;
        }
        if (at === ArgType.PTR_TO_CONST_STR) {
          checkConstStr(ctx, state, r, regno, pc);
          break;
        }
        checkMemArgType(ctx, r, regno, pc);
        break;
      case ArgType.CONST_SIZE:
      case ArgType.CONST_SIZE_OR_ZERO: {
        if (r.type !== RegType.SCALAR) ctx.fail(`${R} type=${regName(r)} expected=scalar`, pc);
        ctx.markPrecise(regno);
        const s = r.scalar!;
        if (s.smin < 0n) ctx.fail(`${R} min value is negative, either use unsigned or 'var &= const'`, pc);
        if (s.umax >= BigInt(MAX_VAR_SIZE)) ctx.fail(`${R} unbounded memory access, use 'var &= const' or 'if (var < const)'`, pc);
        if (s.umin === 0n && at === ArgType.CONST_SIZE) ctx.fail(`${R} invalid zero-sized read: u64=[${s.umin},${s.umax}]`, pc);
        msizeMax = s.umax;
        const memArg = proto.args[i - 1];
        const memReg = regs[regno - 1]!;
        const nullOk = memReg.type === RegType.SCALAR && s.umax === 0n;
        if (!nullOk) checkHelperMem(ctx, state, regno - 1, Number(s.umax), memArg === ArgType.PTR_TO_UNINIT_MEM, pc);
        break;
      }
      case ArgType.PTR_TO_CTX:
        if (r.type !== RegType.PTR_TO_CTX) ctx.fail(`${R} type=${regName(r)} expected=ctx`, pc);
        checkPtrOffReg(ctx, r, regno, false, pc);
        break;
      case ArgType.PTR_TO_RINGBUF_MEM:
        if (r.type !== RegType.PTR_TO_MEM || !r.refObjId) ctx.fail(`${R} type=${regName(r)} expected=ringbuf_mem`, pc);
        if (r.off || !isConst(r.scalar!) || constValue(r.scalar!) !== 0n) refuse(`${R} must have zero offset when passed to release func or trusted arg to kfunc`, pc, "EINVAL");
        released = r.refObjId;
        break;
      case ArgType.CONST_ALLOC_SIZE_OR_ZERO:
        if (r.type !== RegType.SCALAR || !isConst(r.scalar!)) ctx.fail(`${R} is not a known constant'`, pc);
        ctx.markPrecise(regno);
        allocSize = Number(constValue(r.scalar!));
        if (allocSize >= MAX_VAR_SIZE) ctx.fail(`${R} unbounded memory access`, pc);
        break;
      case ArgType.PTR_TO_BTF_ID:
        if (r.type !== RegType.PTR_TO_BTF_ID) ctx.fail(`${R} type=${regName(r)} expected=ptr_, trusted_ptr_, rcu_ptr_`, pc);
        if (r.off) {
          // check_reg_type: a pointer moved off its object is not the object the helper wants.
          const btf = ctx.options.btf;
          const have = btf && r.btfId !== undefined ? btf.typeById(skipModsAndTypedefs(btf, r.btfId)).name : "?";
          ctx.fail(`${R} is of type ${have} but ${BTF_ARG_STRUCT[proto.id] ?? have} is expected`, pc);
        }
        checkPtrOffReg(ctx, r, regno, true, pc);
        break;
      case ArgType.PTR_TO_FUNC:
        if (r.type !== RegType.PTR_TO_FUNC) ctx.fail(`${R} type=${regName(r)} expected=func`, pc);
        callback = r.subprog!;
        break;
      case ArgType.PTR_TO_LONG:
        checkHelperMem(ctx, state, regno, 8, true, pc);
        break;
      case ArgType.PTR_TO_BTF_PTR:
        checkHelperMem(ctx, state, regno, 16, false, pc);
        break;
      case ArgType.CONST_BTF_ID: {
        if (r.type !== RegType.SCALAR || !isConst(r.scalar!)) ctx.fail(`${R} is not a known constant'`, pc);
        ctx.markPrecise(regno);
        const btf = ctx.options.btf;
        const want = Number(constValue(r.scalar!));
        const target = btf && want > 0 && want < btf.typeCount ? btf.typeById(skipModsAndTypedefs(btf, want)) : undefined;
        if (!target || (target.kind !== BtfKind.STRUCT && target.kind !== BtfKind.UNION)) ctx.fail(`invalid btf_id ${want} for ${R}: not a struct or union of the kernel's BTF`, pc);
        castTarget = skipModsAndTypedefs(btf!, want);
        break;
      }
      default:
        break;
    }
  }
  // check_map_func_compatibility comes after every argument is checked.
  if (map && HELPER_MAPS[id] && !HELPER_MAPS[id]!.includes(map.type)) refuse(`cannot pass map_type ${map.type} into func ${nameOf(proto)}`, pc, "EINVAL");
  const refused = ctx.options.progType.helperRefused?.(id);
  // The program type's own refusal after the arguments (check_get_func_ip's, -ENOTSUPP).
  if (refused) refuse(refused, pc, "ENOTSUPP");
  if (released !== undefined) releaseReference(state, released, ctx.options.privileged);

  // r0 from the return type.
  let r0: RegState;
  switch (proto.ret) {
    case RetType.VOID:
      r0 = NOT_INIT;
      break;
    case RetType.PTR_TO_MAP_VALUE_OR_NULL:
      r0 = { type: RegType.PTR_TO_MAP_VALUE_OR_NULL, map: map!, id: ctx.nextId(), off: 0, scalar: scalarFromRange(0n, 0n) };
      break;
    case RetType.PTR_TO_ALLOC_MEM_OR_NULL: {
      const ref = ctx.nextId();
      state.refs.set(ref, pc);
      r0 = { type: RegType.PTR_TO_MEM_OR_NULL, memSize: allocSize, memWritable: true, id: ref, refObjId: ref, off: 0, scalar: scalarFromRange(0n, 0n) };
      break;
    }
    case RetType.PTR_TO_BTF_ID: {
      const task = ctx.options.btf?.findByNameKind("task_struct", 4);
      r0 = task !== undefined ? { type: RegType.PTR_TO_BTF_ID, btfId: task, off: 0, trusted: true } : scalarReg();
      break;
    }
    case RetType.PTR_TO_BTF_ID_OR_NULL:
      r0 = { type: RegType.PTR_TO_BTF_ID_OR_NULL, btfId: castTarget, id: ctx.nextId(), off: 0, scalar: scalarFromRange(0n, 0n) };
      break;
    default:
      r0 = scalarReg(retRange(ctx, id, msizeMax));
  }
  const loopCtx = regs[3]!;
  for (let i = 1; i <= 5; i++) regs[i] = NOT_INIT;
  regs[0] = r0;

  if (callback !== undefined) {
    // bpf_loop(nr, callback, ctx, flags): the callback runs in its own frame with r1 = index, r2 = ctx.
    if (state.frames.length >= MAX_CALL_FRAMES) refuse(`the call stack of ${state.frames.length + 1} frames is too deep`, pc, "E2BIG");
    return { entry: callback, ctxArg: loopCtx };
  }
  return undefined;
}

/** Sets up the frame of one bpf_loop callback iteration (helper call at `pc`) of helper call `invocation`. */
export function enterCallback(state: VerifierState, pc: number, entry: number, ctxArg: RegState, invocation: number): void {
  const frame = newFrame(pc, entry, state.frames.length, pc);
  frame.invocation = invocation;
  // set_loop_callback_state: the index is an unknown scalar (the kernel does not bound it by nr_loops).
  frame.regs[1] = scalarReg(scalarUnknown());
  frame.regs[2] = ctxArg;
  frame.callbackArg = ctxArg;
  state.frames.push(frame);
}

/** The caller's view once the helper that runs callbacks returns: r0 unknown (bpf_loop returns long), r1-r5 clobbered. */
export function finishCallbackHelper(state: VerifierState): void {
  const regs = cur(state).regs;
  regs[0] = scalarReg(scalarUnknown());
  for (let i = 1; i <= 5; i++) regs[i] = NOT_INIT;
}

/**
 * A bpf-to-bpf call at `pc` to the subprogram at `target`. Too deep a chain
 * is check_func_call's error (no " !": that is the static walk's, stack-depth.ts).
 */
export function enterSubprog(ctx: VerifierContext, state: VerifierState, pc: number, target: number): void {
  if (state.frames.length >= MAX_CALL_FRAMES) refuse(`the call stack of ${state.frames.length + 1} frames is too deep`, pc, "E2BIG");
  const caller = cur(state);
  const frame = newFrame(pc, target, state.frames.length);
  for (let i = 1; i <= 5; i++) frame.regs[i] = caller.regs[i]!;
  state.frames.push(frame);
}

/**
 * An exit from a subprogram or callback frame: checks r0, pops the frame and
 * returns the slot to continue at in the caller.
 */
export function leaveFrame(ctx: VerifierContext, state: VerifierState, pc: number): number {
  const callee = state.frames.pop()!;
  const caller = cur(state);
  const r0 = callee.regs[0]!;
  // A static subprogram may return without setting r0 (a void function): the caller's r0 is then unreadable.
  if (r0.type === RegType.PTR_TO_STACK && r0.frameno === state.frames.length) refuse(`cannot return stack pointer to the caller`, pc, "EINVAL");
  if (callee.callbackOf >= 0) {
    state.frames.push(callee); // r0's precision is walked in the callee's frame
    if (r0.type === RegType.SCALAR) ctx.markPrecise(0);
    state.frames.pop();
    if (r0.type !== RegType.SCALAR) ctx.fail(`R0 not a scalar value`, pc);
    const v = r0.scalar!;
    if (v.smin < 0n || v.smax > 1n) {
      // verbose_invalid_scalar: the signed bounds the register has, or that it has none.
      const S64_MIN = -(1n << 63n);
      const S64_MAX = (1n << 63n) - 1n;
      let has = v.smin > S64_MIN ? ` smin=${v.smin}` : "";
      if (v.smax < S64_MAX) has += ` smax=${v.smax}`;
      refuse(`At callback return the register R0 has${has || " unknown scalar value"} should have been in [0, 1]`, pc, "EINVAL");
    }
    finishCallbackHelper(state);
    return callee.callsite + 1;
  }
  caller.regs[0] = r0;
  for (let i = 1; i <= 5; i++) caller.regs[i] = NOT_INIT;
  return callee.callsite + 1;
}

/**
 * Releases a reference: every register holding it becomes unusable as a
 * pointer (mark_reg_invalid: an unknown scalar for privileged loads, which
 * may read pointers' values; NOT_INIT otherwise).
 */
export function releaseReference(state: VerifierState, ref: number, privileged = true): void {
  state.refs.delete(ref);
  for (const f of state.frames) {
    for (let i = 0; i < f.regs.length; i++) if (f.regs[i]!.refObjId === ref) f.regs[i] = privileged ? scalarReg() : NOT_INIT;
    for (let i = 0; i < f.spills.length; i++) if (f.spills[i]?.refObjId === ref) f.spills[i] = scalarReg();
  }
}

/** A memory argument's register type (check_reg_type against mem_types). */
function checkMemArgType(ctx: VerifierContext, r: RegState, regno: number, pc: number): void {
  if (r.type !== RegType.PTR_TO_STACK && r.type !== RegType.PTR_TO_MAP_VALUE && r.type !== RegType.PTR_TO_MEM) {
    ctx.fail(`R${regno} type=${regName(r)} expected=${HELPER_MEM_TYPES}`, pc);
  }
}

/**
 * ARG_PTR_TO_CONST_STR (snprintf's format, strncmp's second string): a map
 * value at a constant offset, in bounds; in a frozen read-only map the string
 * must end within the value. Unlike the kernel, a writable map value is
 * accepted: the tracer's generated string predicates compare against their
 * (writable) configuration map (see the oracle test's known disagreements).
 */
function checkConstStr(ctx: VerifierContext, state: VerifierState, r: RegState, regno: number, pc: number): void {
  const R = `R${regno}`;
  if (r.type !== RegType.PTR_TO_MAP_VALUE) ctx.fail(`${R} type=${regName(r)} expected=map_value`, pc);
  const map = r.map!;
  if (!isConst(r.scalar!)) ctx.fail(`${R} is not a constant address'`, pc);
  const off = (r.off ?? 0) + Number(constValue(r.scalar!));
  checkMemAccess(ctx, state, { regno, off: 0, size: map.valueSize - (r.off ?? 0), write: false, pc });
  const ro = map.flags & RDONLY_PROG ? map.readOnlyValue : undefined;
  if (ro && !ro.subarray(off).includes(0)) ctx.fail(`string is not zero-terminated`, pc);
}

/** r0 of a helper returning an integer, refined as do_refine_retval_range does. */
function retRange(ctx: VerifierContext, id: number, msizeMax: bigint) {
  if (RET_LEN_OR_ERRNO.has(id)) return scalarFromSignedRange(-MAX_ERRNO, msizeMax);
  if (id === 8) return scalarFromRange(0n, BigInt((ctx.options.nrCpus ?? NR_CPUS_MAX) - 1));
  return scalarUnknown();
}
