// Type layout queries: strip modifiers and typedefs, size and alignment of a
// type (libbpf btf__resolve_size / btf__align_of), pointer size.
import type { Btf } from "./btf.js";
import { BtfError } from "./errors.js";
import { BtfKind, kindName } from "./kinds.js";
import type { AnyType, TypeId } from "./types.js";

/** More hops than any sane chain of typedefs/modifiers/arrays; a guard against cyclic hand-built BTF. */
const MAX_RESOLVE_DEPTH = 1024;

/** Pointer size of the BTF's target: 8 (x86-64, arm64; BPF is 64-bit). */
export const POINTER_SIZE = 8;

function loop(id: TypeId): never {
  throw new BtfError("type chain is too long or loops", { typeId: id }, { errno: "ELOOP" });
}

/** Follows CONST/VOLATILE/RESTRICT/TYPE_TAG (not typedefs). */
export function skipModifiers(btf: Btf, id: TypeId): TypeId {
  for (let depth = 0; depth < MAX_RESOLVE_DEPTH; depth++) {
    const t = btf.typeById(id);
    if (t.kind === BtfKind.CONST || t.kind === BtfKind.VOLATILE || t.kind === BtfKind.RESTRICT || t.kind === BtfKind.TYPE_TAG) id = t.type;
    else return id;
  }
  return loop(id);
}

/** Follows modifiers and typedefs to the underlying type (libbpf btf__skip_mods_and_typedefs). */
export function skipModsAndTypedefs(btf: Btf, id: TypeId): TypeId {
  for (let depth = 0; depth < MAX_RESOLVE_DEPTH; depth++) {
    const t = btf.typeById(id);
    switch (t.kind) {
      case BtfKind.CONST:
      case BtfKind.VOLATILE:
      case BtfKind.RESTRICT:
      case BtfKind.TYPE_TAG:
      case BtfKind.TYPEDEF:
        id = t.type;
        break;
      default:
        return id;
    }
  }
  return loop(id);
}

/** The underlying type object (see skipModsAndTypedefs). */
export function resolveType(btf: Btf, id: TypeId): AnyType {
  return btf.typeById(skipModsAndTypedefs(btf, id));
}

/** Size in bytes of a value of type `id`. Throws BtfError (EINVAL) for void, FWD, FUNC and FUNC_PROTO. */
export function sizeOf(btf: Btf, id: TypeId): number {
  let nelems = 1;
  const start = id;
  for (let depth = 0; depth < MAX_RESOLVE_DEPTH; depth++) {
    const t = btf.typeById(id);
    switch (t.kind) {
      case BtfKind.INT:
      case BtfKind.STRUCT:
      case BtfKind.UNION:
      case BtfKind.ENUM:
      case BtfKind.ENUM64:
      case BtfKind.DATASEC:
      case BtfKind.FLOAT: {
        const size = nelems * t.size;
        if (size > 0xffffffff) throw new BtfError(`size of type ${start} overflows u32`, { typeId: start }, { errno: "E2BIG" });
        return size;
      }
      case BtfKind.PTR:
        return nelems * POINTER_SIZE;
      case BtfKind.TYPEDEF:
      case BtfKind.VOLATILE:
      case BtfKind.CONST:
      case BtfKind.RESTRICT:
      case BtfKind.TYPE_TAG:
      case BtfKind.VAR:
        id = t.type;
        break;
      case BtfKind.ARRAY:
        nelems *= t.nelems;
        if (nelems > 0xffffffff) throw new BtfError(`size of type ${start} overflows u32`, { typeId: start }, { errno: "E2BIG" });
        id = t.type;
        break;
      default:
        throw new BtfError(`${t.kind === BtfKind.UNKN ? "void" : kindName(t.kind)} has no size`, { typeId: id });
    }
  }
  return loop(start);
}

/** Alignment in bytes of type `id` (libbpf btf__align_of): 1 for packed structs. */
export function alignOf(btf: Btf, id: TypeId): number {
  const start = id;
  for (let depth = 0; depth < MAX_RESOLVE_DEPTH; depth++) {
    const t = btf.typeById(id);
    switch (t.kind) {
      case BtfKind.INT:
      case BtfKind.ENUM:
      case BtfKind.ENUM64:
      case BtfKind.FLOAT:
        return Math.min(POINTER_SIZE, t.size);
      case BtfKind.PTR:
        return POINTER_SIZE;
      case BtfKind.TYPEDEF:
      case BtfKind.VOLATILE:
      case BtfKind.CONST:
      case BtfKind.RESTRICT:
      case BtfKind.TYPE_TAG:
      case BtfKind.ARRAY:
        id = t.type;
        break;
      case BtfKind.STRUCT:
      case BtfKind.UNION: {
        let maxAlign = 1;
        for (const m of t.members) {
          const align = alignOf(btf, m.type);
          if (m.bitfieldSize === 0 && m.bitsOffset % (8 * align) !== 0) return 1; // packed
          maxAlign = Math.max(maxAlign, align);
        }
        if (t.size % maxAlign !== 0) return 1; // packed
        return maxAlign;
      }
      default:
        throw new BtfError(`${t.kind === BtfKind.UNKN ? "void" : kindName(t.kind)} has no alignment`, { typeId: id });
    }
  }
  return loop(start);
}
