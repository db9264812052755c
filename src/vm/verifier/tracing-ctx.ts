// Typed contexts of BTF-attached tracing programs (fentry, fexit, fmod_ret,
// tp_btf), after the kernel's btf_ctx_access: the context is one u64 slot
// per argument of the attach target's BTF prototype (a FUNC's FUNC_PROTO, or
// a btf_trace_<event> typedef's FUNC_PROTO minus its leading `void *__data`),
// fexit/fmod_ret have the return value in the slot after the last argument.
// A load of an argument whose type is a pointer to a struct or union yields
// PTR_TO_BTF_ID of that struct (its loads are checked kernel reads); any
// other pointer loads as a scalar. Pointers are loaded whole: a narrow load
// of one is refused ("func 'f' size 4 must be 8"), while integers, enums and
// structs passed by value may be read narrow (the low bytes of their slot);
// other types (floats, arrays...) cannot be read ("Only pointer access is
// allowed"). Loads must start at a slot; past the last argument is refused
// with the kernel's words.
import type { Btf } from "../../btf/btf.js";
import { BtfKind, kindName } from "../../btf/kinds.js";
import { skipModifiers, skipModsAndTypedefs } from "../../btf/layout.js";
import type { TypeId } from "../../btf/types.js";
import { tracingHelperProto, type ProgType } from "./prog-types.js";
import { NOT_INIT } from "./state.js";
import { RegType, type RegState } from "./types.js";

/**
 * What one context slot holds: a pointer to a struct, another pointer, a
 * scalar (small int, enum, struct by value), or a type the program may not
 * read (`refused`: btf_ctx_access's "arg%d '%s' has type %s" words).
 */
export type TracingArg =
  | { readonly kind: "struct-ptr"; readonly btfId: TypeId }
  | { readonly kind: "ptr" }
  | { readonly kind: "scalar" }
  | { readonly kind: "refused"; readonly typeName: string; readonly typeKind: string };

/** The typed context of one attach target. */
export interface TracingCtxTypes {
  /** The name the kernel's messages use: the function, or the event (btf_trace_<event> without its prefix). */
  readonly name: string;
  /** fentry/fexit/fmod_ret/tp_btf (the expected attach type). */
  readonly attach: TracingAttach;
  readonly args: readonly TracingArg[];
  /** fexit/fmod_ret: the return value's slot (after the arguments). */
  readonly ret?: TracingArg;
  /** fmod_ret on a function that does not return an integer: why reading the return slot is refused. */
  readonly retRefused?: string;
}

export type TracingAttach = "fentry" | "fexit" | "fmod_ret" | "tp_btf";
export const TRACING_ATTACH: readonly TracingAttach[] = ["fentry", "fexit", "fmod_ret", "tp_btf"];

/** The kernel's MAX_BPF_FUNC_ARGS: tracing contexts are at most 12 u64 slots. */
const MAX_BPF_FUNC_ARGS = 12;

/** How a value of BTF type `id` loads from its slot. */
export function argOfType(btf: Btf, id: TypeId): TracingArg {
  if (id === 0) return { kind: "scalar" };
  const t = btf.typeById(skipModsAndTypedefs(btf, id));
  if (t.kind !== BtfKind.PTR) {
    const small = t.kind === BtfKind.INT && t.size <= 8;
    if (small || t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64 || t.kind === BtfKind.STRUCT || t.kind === BtfKind.UNION) return { kind: "scalar" };
    return { kind: "refused", typeName: t.name, typeKind: kindName(t.kind) };
  }
  const targetId = skipModsAndTypedefs(btf, t.type);
  const target = btf.typeById(targetId);
  if (target.kind === BtfKind.STRUCT || target.kind === BtfKind.UNION) return { kind: "struct-ptr", btfId: targetId };
  return { kind: "ptr" };
}

/**
 * The context of a program attached to BTF type `attachBtfId` of `btf`: a
 * FUNC (fentry/fexit/fmod_ret) or a btf_trace_<event> TYPEDEF (tp_btf). A
 * string says why the id does not fit.
 */
export function tracingCtxTypes(btf: Btf, attachBtfId: number, attach: TracingAttach): TracingCtxTypes | string {
  if (!Number.isInteger(attachBtfId) || attachBtfId <= 0 || !btf.hasId(attachBtfId)) return `attach_btf_id ${attachBtfId} is not a type of the kernel's BTF`;
  const t = btf.typeById(attachBtfId);
  if (attach === "tp_btf") {
    // bpf_check_attach_target's words; the messages then name the event without the prefix.
    if (t.kind !== BtfKind.TYPEDEF) return `attach_btf_id ${attachBtfId} is not a typedef`;
    if (!t.name.startsWith("btf_trace_")) return `attach_btf_id ${attachBtfId} points to wrong type name ${t.name}`;
    const ptr = btf.typeById(skipModifiers(btf, t.type));
    const proto = ptr.kind === BtfKind.PTR ? btf.typeById(skipModifiers(btf, ptr.type)) : undefined;
    if (!proto || proto.kind !== BtfKind.FUNC_PROTO || proto.params.length < 1) return `attach_btf_id ${attachBtfId}: ${t.name} is not a pointer to a function prototype`;
    // Skip the first `void *__data` argument of btf_trace_<event>.
    return { name: t.name.slice("btf_trace_".length), attach, args: proto.params.slice(1).map((p) => argOfType(btf, p.type)) };
  }
  if (t.kind !== BtfKind.FUNC) return `attach_btf_id ${attachBtfId} is not a function`;
  const proto = btf.typeById(t.type);
  if (proto.kind !== BtfKind.FUNC_PROTO) return `attach_btf_id ${attachBtfId}: ${t.name} has no prototype`;
  const args = proto.params.map((p) => argOfType(btf, p.type));
  const ret: TracingArg = proto.returnType === 0 ? { kind: "scalar" } : argOfType(btf, proto.returnType);
  if (attach === "fmod_ret") {
    // BPF_MODIFY_RETURN: only functions returning a (small) integer.
    const r = btf.typeById(skipModsAndTypedefs(btf, proto.returnType));
    if (r.kind !== BtfKind.INT || r.size > 8) return { name: t.name, attach, args, ret, retRefused: `ret type ${proto.returnType === 0 ? "UNKN" : kindName(r.kind)} not allowed for fmod_ret` };
  }
  return { name: t.name, attach, args, ...(attach === "fentry" ? {} : { ret }) };
}

/**
 * A tp_btf context from a TP_PROTO's C argument types (the synthetic
 * kernel's BTF has btf_trace_<event> typedefs for few events): `struct X *`
 * is a pointer to struct X when the BTF has it, anything else a scalar.
 */
export function tracingCtxFromProto(btf: Btf, event: string, cTypes: readonly string[]): TracingCtxTypes {
  const args = cTypes.map((c): TracingArg => {
    const m = /^(?:const\s+)?(struct|union)\s+([A-Za-z_][A-Za-z0-9_]*)\s*\*$/.exec(c.trim());
    if (!m) return c.trim().endsWith("*") ? { kind: "ptr" } : { kind: "scalar" };
    const id = btf.findByNameKind(m[2]!, m[1] === "struct" ? BtfKind.STRUCT : BtfKind.UNION);
    return id === undefined ? { kind: "ptr" } : { kind: "struct-ptr", btfId: id };
  });
  return { name: event, attach: "tp_btf", args };
}

/** The verifier's program type for a BTF-typed tracing context. */
export function typedTracingProgType(types: TracingCtxTypes): ProgType {
  const slots = types.args.length + (types.ret ? 1 : 0);
  const bad = (off: number, size: number): string => `invalid bpf_context access off=${off} size=${size}`;
  const slotType = (off: number): TracingArg | undefined => {
    const i = off / 8;
    return i < types.args.length ? types.args[i] : types.ret;
  };
  return {
    name: "tracing",
    entryRegs: () => [{ type: RegType.PTR_TO_CTX, off: 0 }, NOT_INIT, NOT_INIT, NOT_INIT, NOT_INIT],
    ctxSize: slots * 8,
    ctxAccess: (off, size, write) => {
      // tracing_prog_is_valid_access, then btf_ctx_access (its detail line first).
      if (off < 0 || off >= 8 * MAX_BPF_FUNC_ARGS || write || off % size !== 0) return bad(off, size);
      if (off % 8 !== 0) return `func '${types.name}' offset ${off} is not multiple of 8\n${bad(off, size)}`;
      const arg = off / 8;
      if (arg > types.args.length || (arg === types.args.length && !types.ret)) {
        return `func '${types.name}' doesn't have ${arg + 1}-th argument\n${bad(off, size)}`;
      }
      if (arg === types.args.length && types.retRefused) return `${types.retRefused}\n${bad(off, size)}`;
      const t = slotType(off);
      if (t?.kind === "refused") return `func '${types.name}' arg${arg} '${t.typeName}' has type ${t.typeKind}. Only pointer access is allowed\n${bad(off, size)}`;
      if ((t?.kind === "ptr" || t?.kind === "struct-ptr") && size !== 8) return `func '${types.name}' size ${size} must be 8\n${bad(off, size)}`;
      return undefined;
    },
    ctxLoad: (off, _nextId, size): RegState | undefined => {
      const t = slotType(off);
      if (t?.kind === "struct-ptr") return { type: RegType.PTR_TO_BTF_ID, btfId: t.btfId, off: 0 };
      return undefined;
    },
    helper: tracingHelperProto,
    pointerReturnOk: false,
    allowCallx: false,
  };
}
