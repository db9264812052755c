// BtfBuilder: creates types one call at a time (the libbpf btf__add_* API
// shape) and writes a valid blob with a deduplicated string table. Struct
// and union members are added after the composite so types can refer to
// themselves through pointers.
import { Btf } from "./btf.js";
import { encodeBtf } from "./encode.js";
import { BtfError } from "./errors.js";
import { BtfKind, FuncLinkage, VarLinkage } from "./kinds.js";
import type { StructType, TypeId, UnionType } from "./types.js";
import { parseBtf } from "./parse.js";

export class BtfBuilder {
  readonly btf: Btf;

  /** @param base build split BTF on top of this base */
  constructor(base?: Btf) {
    this.btf = new Btf([], base ? { base } : {});
  }

  int(name: string, size: number, encoding = 0): TypeId {
    return this.btf.add({ kind: BtfKind.INT, name, size, encoding, bitsOffset: 0, nrBits: size * 8 });
  }
  float(name: string, size: number): TypeId {
    return this.btf.add({ kind: BtfKind.FLOAT, name, size });
  }
  ptr(type: TypeId): TypeId {
    return this.btf.add({ kind: BtfKind.PTR, name: "", type });
  }
  const(type: TypeId): TypeId {
    return this.btf.add({ kind: BtfKind.CONST, name: "", type });
  }
  volatile(type: TypeId): TypeId {
    return this.btf.add({ kind: BtfKind.VOLATILE, name: "", type });
  }
  restrict(type: TypeId): TypeId {
    return this.btf.add({ kind: BtfKind.RESTRICT, name: "", type });
  }
  typedef(name: string, type: TypeId): TypeId {
    return this.btf.add({ kind: BtfKind.TYPEDEF, name, type });
  }
  typeTag(name: string, type: TypeId): TypeId {
    return this.btf.add({ kind: BtfKind.TYPE_TAG, name, type, kflag: false });
  }
  array(elemType: TypeId, indexType: TypeId, nelems: number): TypeId {
    return this.btf.add({ kind: BtfKind.ARRAY, name: "", type: elemType, indexType, nelems });
  }
  /** A struct with no members yet; add them with field(). */
  struct(name: string, size: number): TypeId {
    return this.btf.add({ kind: BtfKind.STRUCT, name, size, kflag: false, members: [] });
  }
  union(name: string, size: number): TypeId {
    return this.btf.add({ kind: BtfKind.UNION, name, size, kflag: false, members: [] });
  }
  /** Adds a member to struct/union `owner`; a non-zero bitfield size switches it to kind_flag encoding. */
  field(owner: TypeId, name: string, type: TypeId, bitsOffset: number, bitfieldSize = 0): this {
    const t = this.btf.typeById(owner) as StructType | UnionType;
    if (t.kind !== BtfKind.STRUCT && t.kind !== BtfKind.UNION) throw new BtfError(`field(): type ${owner} is not a struct or union`, { typeId: owner });
    if (bitfieldSize > 255 || bitsOffset > 0xffffff) throw new BtfError(`field '${name}': bitfield size or offset too large`, { typeId: owner }, { errno: "E2BIG" });
    if (bitfieldSize) t.kflag = true;
    t.members.push({ name, type, bitsOffset, bitfieldSize });
    return this;
  }
  enum(name: string, size: number, values: [string, number][], signed = values.some(([, v]) => v < 0)): TypeId {
    return this.btf.add({ kind: BtfKind.ENUM, name, size, signed, values: values.map(([n, v]) => ({ name: n, value: v })) });
  }
  enum64(name: string, size: number, values: [string, bigint][], signed = values.some(([, v]) => v < 0n)): TypeId {
    return this.btf.add({ kind: BtfKind.ENUM64, name, size, signed, values: values.map(([n, v]) => ({ name: n, value: v })) });
  }
  fwd(name: string, union = false): TypeId {
    return this.btf.add({ kind: BtfKind.FWD, name, union });
  }
  /** A prototype; `variadic` appends the `...` marker. */
  funcProto(returnType: TypeId, params: [string, TypeId][], variadic = false): TypeId {
    const ps = params.map(([n, t]) => ({ name: n, type: t }));
    if (variadic) ps.push({ name: "", type: 0 });
    return this.btf.add({ kind: BtfKind.FUNC_PROTO, name: "", returnType, params: ps });
  }
  func(name: string, proto: TypeId, linkage: number = FuncLinkage.GLOBAL): TypeId {
    return this.btf.add({ kind: BtfKind.FUNC, name, type: proto, linkage });
  }
  var(name: string, type: TypeId, linkage: number = VarLinkage.GLOBAL_ALLOCATED): TypeId {
    return this.btf.add({ kind: BtfKind.VAR, name, type, linkage });
  }
  datasec(name: string, size: number, vars: { type: TypeId; offset: number; size: number }[]): TypeId {
    return this.btf.add({ kind: BtfKind.DATASEC, name, size, vars });
  }
  declTag(name: string, type: TypeId, componentIdx = -1): TypeId {
    return this.btf.add({ kind: BtfKind.DECL_TAG, name, type, componentIdx, kflag: false });
  }

  /** Validates the types built so far (throws BtfError) and returns the Btf. */
  finish(): Btf {
    validateBtf(this.btf);
    return this.btf;
  }

  /** Validates and encodes as a raw BTF blob. */
  encode(): Uint8Array {
    return encodeBtf(this.finish());
  }
}

/**
 * Validates any Btf: a built one (objects, possibly edited) is checked by
 * encoding it and parsing the result, so built and parsed BTF pass the very
 * same checks. Throws BtfError naming the type id.
 */
export function validateBtf(btf: Btf): void {
  parseBtf(encodeBtf(btf), { base: btf.base });
}
