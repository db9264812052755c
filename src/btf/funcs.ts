// Functions: FUNC -> FUNC_PROTO -> named parameters and return type, looked
// up by name through the Btf name index.
import type { Btf } from "./btf.js";
import { BtfError } from "./errors.js";
import { BtfKind } from "./kinds.js";
import { isVariadic, type FuncProtoType, type FuncType, type Param, type TypeId } from "./types.js";

export interface FuncSignature {
  id: TypeId;
  func: FuncType;
  protoId: TypeId;
  proto: FuncProtoType;
  /** Return type id (0 = void). */
  returnType: TypeId;
  /** Named parameters, without the variadic marker. */
  params: Param[];
  variadic: boolean;
}

/** The signature of FUNC `id`. */
export function funcSignature(btf: Btf, id: TypeId): FuncSignature {
  const func = btf.typeById(id);
  if (func.kind !== BtfKind.FUNC) throw new BtfError(`type ${id} is not a FUNC`, { typeId: id });
  const proto = btf.typeById(func.type);
  if (proto.kind !== BtfKind.FUNC_PROTO) throw new BtfError(`FUNC '${func.name}' has no FUNC_PROTO`, { typeId: id });
  const variadic = isVariadic(proto);
  return {
    id,
    func,
    protoId: func.type,
    proto,
    returnType: proto.returnType,
    params: variadic ? proto.params.slice(0, -1) : proto.params,
    variadic,
  };
}

/** The FUNC named `name`, or undefined. */
export function findFunc(btf: Btf, name: string): FuncSignature | undefined {
  const id = btf.findByNameKind(name, BtfKind.FUNC);
  return id === undefined ? undefined : funcSignature(btf, id);
}
