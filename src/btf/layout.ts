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

/**
 * Size in bytes of a value of type `id` (libbpf btf__resolve_size): follows
 * typedefs, modifiers, VAR and DECL_TAG, multiplies arrays out. Returns -1 for
 * types without a size (void, FWD, FUNC, FUNC_PROTO), sizes beyond u32, or
 * chains longer than `maxDepth` (libbpf gives up after 32).
 */
export function resolveSize(btf: Btf, id: TypeId, pointerSize = POINTER_SIZE, maxDepth = MAX_RESOLVE_DEPTH): number {
  let nelems = 1;
  for (let depth = 0; depth < maxDepth; depth++) {
    const t = btf.typeById(id);
    switch (t.kind) {
      case BtfKind.INT:
      case BtfKind.STRUCT:
      case BtfKind.UNION:
      case BtfKind.ENUM:
      case BtfKind.ENUM64:
      case BtfKind.DATASEC:
      case BtfKind.FLOAT:
        return nelems * t.size > 0xffffffff ? -1 : nelems * t.size;
      case BtfKind.PTR:
        return nelems * pointerSize > 0xffffffff ? -1 : nelems * pointerSize;
      case BtfKind.TYPEDEF:
      case BtfKind.VOLATILE:
      case BtfKind.CONST:
      case BtfKind.RESTRICT:
      case BtfKind.TYPE_TAG:
      case BtfKind.VAR:
      case BtfKind.DECL_TAG:
        id = t.type;
        break;
      case BtfKind.ARRAY:
        nelems *= t.nelems;
        if (nelems > 0xffffffff) return -1;
        id = t.type;
        break;
      default:
        return -1;
    }
  }
  return -1;
}

/** Size in bytes of a value of type `id`. Throws BtfError: EINVAL for types without a size, E2BIG past u32. */
export function sizeOf(btf: Btf, id: TypeId): number {
  const size = resolveSize(btf, id);
  if (size >= 0) return size;
  const t = btf.typeById(skipModsAndTypedefs(btf, id));
  if (t.kind === BtfKind.ARRAY || t.kind === BtfKind.INT || t.kind === BtfKind.STRUCT || t.kind === BtfKind.UNION || t.kind === BtfKind.PTR) {
    throw new BtfError(`size of type ${id} overflows u32`, { typeId: id }, { errno: "E2BIG" });
  }
  throw new BtfError(`${t.kind === BtfKind.UNKN ? "void" : kindName(t.kind)} has no size`, { typeId: skipModsAndTypedefs(btf, id) });
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
