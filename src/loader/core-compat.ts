// CO-RE type comparison rules (libbpf relo_core.c): the "essential" name of
// a type (its name without a `___flavor` suffix), and the three relations
// CO-RE relocations are judged by: field compatibility (a field access may be
// relocated from one type to the other), type compatibility (TYPE_EXISTS,
// TYPE_SIZE, TYPE_ID_TARGET) and type matching (TYPE_MATCHES, stricter:
// sizes, signedness, member names and enumerator names must agree). Pure
// functions over two Btf objects; CoreFail reports malformed BTF (libbpf's
// negative returns).
import type { Btf } from "../btf/btf.js";
import { BtfKind, kindName } from "../btf/kinds.js";
import { skipModsAndTypedefs } from "../btf/layout.js";
import type { AnyType, TypeId } from "../btf/types.js";
import type { ErrnoName } from "../internal/errno.js";

/** Recursion bound of the type walks (libbpf: 32 levels, 32 pointer/array hops). */
export const CORE_MAX_DEPTH = 32;

/** A failure inside CO-RE resolution (libbpf's negative errno returns); core.ts adds the relocation it belongs to. */
export class CoreFail extends Error {
  constructor(
    readonly errno: ErrnoName,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "CoreFail";
  }
}

/** libbpf's btf_kind_str: the kind in lower case, "void" for id 0. */
export function kindStr(kind: number): string {
  return kind === BtfKind.UNKN ? "void" : kindName(kind).toLowerCase();
}

/**
 * Length of the essential part of a name: everything before the last
 * `X___Y` separator, where X and Y are not underscores (libbpf
 * bpf_core_essential_name_len). "task_struct___old" -> 11; "a____b" and
 * "___x" have no flavor.
 */
export function essentialNameLength(name: string): number {
  for (let i = name.length - 5; i >= 0; i--) {
    if (name[i] !== "_" && name[i + 1] === "_" && name[i + 2] === "_" && name[i + 3] === "_" && name[i + 4] !== "_") return i + 1;
  }
  return name.length;
}

/** The name without its `___flavor` suffix. */
export function essentialName(name: string): string {
  return name.slice(0, essentialNameLength(name));
}

function isAnyEnum(kind: number): boolean {
  return kind === BtfKind.ENUM || kind === BtfKind.ENUM64;
}

function isComposite(kind: number): boolean {
  return kind === BtfKind.STRUCT || kind === BtfKind.UNION;
}

/** Same kind, or both enums of either width (libbpf btf_kind_core_compat). */
export function kindsCoreCompat(a: number, b: number): boolean {
  return a === b || (isAnyEnum(a) && isAnyEnum(b));
}

/** Both names empty-or-equal modulo flavor, as enum/fwd field compatibility wants: an anonymous side matches anything. */
function essentialNamesCompat(a: string, b: string): boolean {
  const la = essentialNameLength(a);
  const lb = essentialNameLength(b);
  return la === 0 || lb === 0 || (la === lb && a.slice(0, la) === b.slice(0, lb));
}

/** Strips modifiers and typedefs; malformed chains are CoreFail EINVAL. */
export function skipCore(btf: Btf, id: TypeId): { id: TypeId; t: AnyType } {
  try {
    const sid = skipModsAndTypedefs(btf, id);
    return { id: sid, t: btf.typeById(sid) };
  } catch (e) {
    throw new CoreFail("EINVAL", `cannot resolve type [${id}]: ${(e as Error).message}`);
  }
}

function intBitsOffset(t: AnyType): number {
  return t.kind === BtfKind.INT ? t.bitsOffset : 0;
}

/**
 * Whether a field of local type `localId` may be relocated to a target field
 * of type `targId` (libbpf bpf_core_fields_are_compat): any two composites;
 * pointers and floats of the same kind; enums and forward declarations whose
 * essential names agree (or one is anonymous); integers that are not
 * old-style bitfield integers (bit offset 0); arrays whose element types are
 * compatible, whatever their lengths.
 */
export function fieldsAreCompat(localBtf: Btf, localId: TypeId, targBtf: Btf, targId: TypeId): boolean {
  for (let depth = 0; depth < 1024; depth++) {
    const l = skipCore(localBtf, localId);
    const r = skipCore(targBtf, targId);
    if (isComposite(l.t.kind) && isComposite(r.t.kind)) return true;
    if (!kindsCoreCompat(l.t.kind, r.t.kind)) return false;
    switch (l.t.kind) {
      case BtfKind.PTR:
      case BtfKind.FLOAT:
        return true;
      case BtfKind.FWD:
      case BtfKind.ENUM:
      case BtfKind.ENUM64:
        return essentialNamesCompat(l.t.name, r.t.name);
      case BtfKind.INT:
        return intBitsOffset(l.t) === 0 && intBitsOffset(r.t) === 0;
      case BtfKind.ARRAY:
        localId = l.t.type;
        targId = (r.t as typeof l.t).type;
        continue;
      default:
        return false;
    }
  }
  throw new CoreFail("EINVAL", `array type chain of [${localId}] is too long or loops`);
}

/**
 * Type compatibility for TYPE_EXISTS, TYPE_SIZE and TYPE_ID_TARGET (libbpf
 * bpf_core_types_are_compat). Root names were matched by the candidate
 * search; below the root names are ignored. Kinds must agree (any two enums
 * do); structs, unions, enums, forward declarations and void are then
 * compatible; integers unless one is an old-style bitfield integer; pointers
 * and arrays by their target/element type (lengths ignored); function
 * prototypes by arity, each parameter and the return type.
 */
export function typesAreCompat(localBtf: Btf, localId: TypeId, targBtf: Btf, targId: TypeId, level = CORE_MAX_DEPTH): boolean {
  if (!kindsCoreCompat(localBtf.kindOf(localId), targBtf.kindOf(targId))) return false;
  const start = localId;
  for (let depth = CORE_MAX_DEPTH; ; ) {
    if (--depth < 0) throw new CoreFail("EINVAL", `type [${start}] nests deeper than ${CORE_MAX_DEPTH} levels`);
    const l = skipCore(localBtf, localId);
    const r = skipCore(targBtf, targId);
    localId = l.id;
    targId = r.id;
    if (!kindsCoreCompat(l.t.kind, r.t.kind)) return false;
    switch (l.t.kind) {
      case BtfKind.UNKN:
      case BtfKind.STRUCT:
      case BtfKind.UNION:
      case BtfKind.ENUM:
      case BtfKind.ENUM64:
      case BtfKind.FWD:
        return true;
      case BtfKind.INT:
        return intBitsOffset(l.t) === 0 && intBitsOffset(r.t) === 0;
      case BtfKind.PTR:
      case BtfKind.ARRAY:
        localId = l.t.type;
        targId = (r.t as typeof l.t).type;
        continue;
      case BtfKind.FUNC_PROTO: {
        const rt = r.t as typeof l.t;
        if (l.t.params.length !== rt.params.length) return false;
        for (let i = 0; i < l.t.params.length; i++) {
          if (level <= 0) throw new CoreFail("EINVAL", `function prototype [${localId}] nests deeper than ${CORE_MAX_DEPTH} levels`);
          const lp = skipCore(localBtf, l.t.params[i]!.type).id;
          const tp = skipCore(targBtf, rt.params[i]!.type).id;
          if (!typesAreCompat(localBtf, lp, targBtf, tp, level - 1)) return false;
        }
        localId = skipCore(localBtf, l.t.returnType).id;
        targId = skipCore(targBtf, rt.returnType).id;
        continue;
      }
      default:
        // libbpf warns "unexpected kind %s relocated" and answers no match.
        return false;
    }
  }
}

/** Names match for TYPE_MATCHES: an anonymous target matches only an anonymous local; otherwise essential names are equal. */
function namesMatch(local: string, targ: string): boolean {
  if (targ === "") return local === "";
  const ll = essentialNameLength(local);
  const tl = essentialNameLength(targ);
  return ll === tl && local.slice(0, ll) === targ.slice(0, tl);
}

/**
 * TYPE_MATCHES (libbpf bpf_core_types_match): modifiers and typedefs
 * stripped, names matched at every level; kinds must be equal except that a
 * struct/union behind a pointer may match a forward declaration of the same
 * flavor and enum may match enum64. Integers match by size and signedness;
 * pointers and arrays (same length) by what they refer to; structs and
 * unions when every local member has a same-named target member whose type
 * matches (behind a pointer only names and kinds are compared); enums when
 * sizes agree and every local enumerator name exists in the target;
 * prototypes by arity, parameters and return type.
 */
export function typesMatch(localBtf: Btf, localId: TypeId, targBtf: Btf, targId: TypeId, behindPtr = false, level = CORE_MAX_DEPTH): boolean {
  if (level <= 0) throw new CoreFail("EINVAL", `type [${localId}] nests deeper than ${CORE_MAX_DEPTH} levels`);
  const start = localId;
  for (let depth = CORE_MAX_DEPTH; ; ) {
    if (--depth < 0) throw new CoreFail("EINVAL", `type [${start}] nests deeper than ${CORE_MAX_DEPTH} levels`);
    const l = skipCore(localBtf, localId);
    const r = skipCore(targBtf, targId);
    localId = l.id;
    targId = r.id;
    const lt = l.t;
    const rt = r.t;
    if (!namesMatch(lt.name, rt.name)) return false;
    switch (lt.kind) {
      case BtfKind.UNKN:
        return rt.kind === BtfKind.UNKN;
      case BtfKind.FWD: {
        if (behindPtr) {
          if (rt.kind === BtfKind.FWD) return lt.union === rt.union;
          return (rt.kind === BtfKind.STRUCT && !lt.union) || (rt.kind === BtfKind.UNION && lt.union);
        }
        return rt.kind === BtfKind.FWD && lt.union === rt.union;
      }
      case BtfKind.ENUM:
      case BtfKind.ENUM64: {
        if (rt.kind !== BtfKind.ENUM && rt.kind !== BtfKind.ENUM64) return false;
        if (lt.size !== rt.size || lt.values.length > rt.values.length) return false;
        return lt.values.every((lv) => rt.values.some((tv) => namesMatch(lv.name, tv.name)));
      }
      case BtfKind.STRUCT:
      case BtfKind.UNION: {
        if (behindPtr) {
          if (lt.kind === rt.kind) return true;
          if (rt.kind !== BtfKind.FWD) return false;
          return (lt.kind === BtfKind.UNION) === rt.union;
        }
        if (lt.kind !== rt.kind) return false;
        const rm = (rt as typeof lt).members;
        if (lt.members.length > rm.length) return false;
        for (const m of lt.members) {
          let matched = false;
          for (const tm of rm) {
            if (!namesMatch(m.name, tm.name)) continue;
            if (typesMatch(localBtf, m.type, targBtf, tm.type, behindPtr, level - 1)) {
              matched = true;
              break;
            }
          }
          if (!matched) return false;
        }
        return true;
      }
      case BtfKind.INT: {
        if (rt.kind !== BtfKind.INT) return false;
        return lt.size === rt.size && (lt.encoding & 1) === (rt.encoding & 1);
      }
      case BtfKind.PTR:
        if (rt.kind !== BtfKind.PTR) return false;
        behindPtr = true;
        localId = lt.type;
        targId = rt.type;
        continue;
      case BtfKind.ARRAY:
        if (rt.kind !== BtfKind.ARRAY || lt.nelems !== rt.nelems) return false;
        localId = lt.type;
        targId = rt.type;
        continue;
      case BtfKind.FUNC_PROTO: {
        if (rt.kind !== BtfKind.FUNC_PROTO || lt.params.length !== rt.params.length) return false;
        for (let i = 0; i < lt.params.length; i++) {
          if (!typesMatch(localBtf, lt.params[i]!.type, targBtf, rt.params[i]!.type, behindPtr, level - 1)) return false;
        }
        localId = lt.returnType;
        targId = rt.returnType;
        continue;
      }
      default:
        return false;
    }
  }
}
