// The BTF type model: one plain record per type, a discriminated union on
// `kind` (the wire kind number). Types refer to each other by TypeId, as the
// kernel and libbpf do; id 0 is `void`. Names are decoded strings ("" = anon).
// Nothing here knows about byte offsets: that is parse.ts/decode.ts/encode.ts.
import { BtfKind } from "./kinds.js";

/** Index of a type in a Btf: 0 is void, 1.. are encoded types (split BTF continues the base's ids). */
export type TypeId = number;

/** `void` (id 0). Not encoded; returned by lookups of id 0. */
export interface VoidType {
  readonly kind: typeof BtfKind.UNKN;
  readonly name: "";
}

/** INT: an integer of `size` bytes, of which `nrBits` bits at `bitsOffset` are used. */
export interface IntType {
  readonly kind: typeof BtfKind.INT;
  name: string;
  /** Size in bytes (1, 2, 4, 8 or 16). */
  size: number;
  /** IntEncoding bits: SIGNED=1, CHAR=2, BOOL=4 (at most one set). */
  encoding: number;
  /** Offset of the value inside the storage, in bits. */
  bitsOffset: number;
  /** Number of value bits. */
  nrBits: number;
}

/** PTR, TYPEDEF, VOLATILE, CONST, RESTRICT and TYPE_TAG: a name (or none) and one referenced type. */
export interface RefType<K extends number> {
  readonly kind: K;
  name: string;
  type: TypeId;
}
export type PtrType = RefType<typeof BtfKind.PTR>;
export type TypedefType = RefType<typeof BtfKind.TYPEDEF>;
export type VolatileType = RefType<typeof BtfKind.VOLATILE>;
export type ConstType = RefType<typeof BtfKind.CONST>;
export type RestrictType = RefType<typeof BtfKind.RESTRICT>;
/** TYPE_TAG: `name` is the tag string; `kflag` set means an `__attribute__` tag (newer kernels). */
export interface TypeTagType extends RefType<typeof BtfKind.TYPE_TAG> {
  kflag: boolean;
}

/** ARRAY: `nelems` elements of `type`, indexed by `indexType`. */
export interface ArrayType {
  readonly kind: typeof BtfKind.ARRAY;
  name: string;
  type: TypeId;
  indexType: TypeId;
  nelems: number;
}

/** A member of a struct or union. */
export interface Member {
  name: string;
  type: TypeId;
  /** Offset from the start of the struct, in bits. */
  bitsOffset: number;
  /** Bitfield width in bits; 0 when not a bitfield (or when the parent's kflag is clear). */
  bitfieldSize: number;
}

/**
 * STRUCT / UNION. With `kflag` set the wire member offset packs
 * `bitfieldSize << 24 | bitsOffset`; without it the offset is plain bits and
 * bitfield sizes come from the member's INT type.
 */
export interface CompositeType<K extends number> {
  readonly kind: K;
  name: string;
  /** Size in bytes. */
  size: number;
  kflag: boolean;
  members: Member[];
}
export type StructType = CompositeType<typeof BtfKind.STRUCT>;
export type UnionType = CompositeType<typeof BtfKind.UNION>;

/** An enumerator of a 32-bit ENUM: `value` is the u32 read as signed when the enum is signed. */
export interface EnumValue {
  name: string;
  value: number;
}
/** ENUM: `signed` is the kind_flag. */
export interface EnumType {
  readonly kind: typeof BtfKind.ENUM;
  name: string;
  /** Size in bytes (1, 2, 4 or 8). */
  size: number;
  signed: boolean;
  values: EnumValue[];
}

/** An enumerator of an ENUM64. */
export interface Enum64Value {
  name: string;
  /** The value: a u64, or an s64 when the enum is signed. */
  value: bigint;
}
/** ENUM64: `signed` is the kind_flag. */
export interface Enum64Type {
  readonly kind: typeof BtfKind.ENUM64;
  name: string;
  size: number;
  signed: boolean;
  values: Enum64Value[];
}

/** FWD: a forward declaration of a struct, or of a union when `union` (kind_flag) is set. */
export interface FwdType {
  readonly kind: typeof BtfKind.FWD;
  name: string;
  union: boolean;
}

/** FUNC: a function named `name` with prototype `type` (a FUNC_PROTO) and a FuncLinkage. */
export interface FuncType {
  readonly kind: typeof BtfKind.FUNC;
  name: string;
  type: TypeId;
  linkage: number;
}

/** A FUNC_PROTO parameter. A last parameter with name "" and type 0 marks a variadic prototype. */
export interface Param {
  name: string;
  type: TypeId;
}
/** FUNC_PROTO: return type (0 = void) and parameters. */
export interface FuncProtoType {
  readonly kind: typeof BtfKind.FUNC_PROTO;
  name: string;
  returnType: TypeId;
  params: Param[];
}

/** VAR: a variable of type `type` with a VarLinkage. */
export interface VarType {
  readonly kind: typeof BtfKind.VAR;
  name: string;
  type: TypeId;
  linkage: number;
}

/** One variable placed in a DATASEC. */
export interface VarSecinfo {
  type: TypeId;
  /** Offset in the section, in bytes. */
  offset: number;
  /** Size in bytes. */
  size: number;
}
/** DATASEC: an ELF data section and the variables in it. */
export interface DatasecType {
  readonly kind: typeof BtfKind.DATASEC;
  name: string;
  /** Section size in bytes (0 in unlinked objects). */
  size: number;
  vars: VarSecinfo[];
}

/** FLOAT: a floating point type of `size` bytes. */
export interface FloatType {
  readonly kind: typeof BtfKind.FLOAT;
  name: string;
  size: number;
}

/** DECL_TAG: tag `name` on `type`, or on its member/parameter `componentIdx` (-1 = the type itself). */
export interface DeclTagType {
  readonly kind: typeof BtfKind.DECL_TAG;
  name: string;
  type: TypeId;
  componentIdx: number;
  kflag: boolean;
}

/** Every encodable BTF type. */
export type BtfType =
  | IntType
  | PtrType
  | ArrayType
  | StructType
  | UnionType
  | EnumType
  | FwdType
  | TypedefType
  | VolatileType
  | ConstType
  | RestrictType
  | FuncType
  | FuncProtoType
  | VarType
  | DatasecType
  | FloatType
  | DeclTagType
  | TypeTagType
  | Enum64Type;

/** What a lookup by id returns: an encoded type or void. */
export type AnyType = BtfType | VoidType;

/** The single void type. */
export const VOID: VoidType = Object.freeze({ kind: BtfKind.UNKN, name: "" });

/** Kinds that wrap one other type without changing its layout (modifiers, typedef, type tag). */
export type ModifierType = TypedefType | VolatileType | ConstType | RestrictType | TypeTagType;

export function isComposite(t: AnyType): t is StructType | UnionType {
  return t.kind === BtfKind.STRUCT || t.kind === BtfKind.UNION;
}

export function isModifier(t: AnyType): t is VolatileType | ConstType | RestrictType | TypeTagType {
  return (
    t.kind === BtfKind.VOLATILE ||
    t.kind === BtfKind.CONST ||
    t.kind === BtfKind.RESTRICT ||
    t.kind === BtfKind.TYPE_TAG
  );
}

export function isEnum(t: AnyType): t is EnumType | Enum64Type {
  return t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64;
}

/** Whether the last parameter marks the prototype as variadic (`...`). */
export function isVariadic(proto: FuncProtoType): boolean {
  const last = proto.params[proto.params.length - 1];
  return last !== undefined && last.type === 0 && last.name === "";
}

/** The type ids a type refers to directly, in wire order (for traversal and validation). */
export function referencedIds(t: AnyType): TypeId[] {
  switch (t.kind) {
    case BtfKind.PTR:
    case BtfKind.TYPEDEF:
    case BtfKind.VOLATILE:
    case BtfKind.CONST:
    case BtfKind.RESTRICT:
    case BtfKind.TYPE_TAG:
    case BtfKind.FUNC:
    case BtfKind.VAR:
    case BtfKind.DECL_TAG:
      return [t.type];
    case BtfKind.ARRAY:
      return [t.type, t.indexType];
    case BtfKind.STRUCT:
    case BtfKind.UNION:
      return t.members.map((m) => m.type);
    case BtfKind.FUNC_PROTO:
      return [t.returnType, ...t.params.map((p) => p.type)];
    case BtfKind.DATASEC:
      return t.vars.map((v) => v.type);
    default:
      return [];
  }
}
