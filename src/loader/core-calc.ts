// CO-RE relocation values (libbpf relo_core.c bpf_core_calc_relo): from the
// local spec and a target spec (or none: nothing matched), the value the
// compiler put in the instruction (orig), the value it must become (new),
// whether the instruction must be poisoned, whether the instruction's
// current value is checked against orig, and the memory access sizes for
// the load/store size adjustment.
import { BtfKind } from "../btf/kinds.js";
import type { AnyType, StructType, UnionType } from "../btf/types.js";
import { CoreReloKind, type CoreRelo } from "./spec.js";
import { CoreFail, skipCore } from "./core-compat.js";
import { coreReloKindStr, coreSizeOf, isEnumvalKind, isFieldKind, isTypeKind, type CoreSpec } from "./core-spec.js";

/** What one relocation resolves to (libbpf struct bpf_core_relo_res). */
export interface CoreReloRes {
  /** Value the compiler emitted (from the local spec), as a u64. */
  origVal: bigint;
  /** Value for the target, as a u64. */
  newVal: bigint;
  /** Nothing to relocate to: the instruction becomes an invalid helper call. */
  poison: boolean;
  /** Check that the instruction holds origVal before patching (off for bitfields and type ids). */
  validate: boolean;
  /** Field sizes differ in a way a load/store cannot be resized for (signed integers, structs...). */
  failMemszAdjust: boolean;
  /** Field sizes for a plain (non-bitfield) byte-offset access; 0 otherwise. */
  origSz: number;
  newSz: number;
}

interface FieldValue {
  val: bigint;
  fieldSz: number;
  typeId: number;
  validate: boolean;
}

/** Poisoning request (libbpf's -EUCLEAN). */
const POISON = Symbol("poison");

function fieldValue(relo: CoreRelo, insnIdx: number, spec: CoreSpec | undefined): FieldValue | typeof POISON {
  const out: FieldValue = { val: 0n, fieldSz: 0, typeId: 0, validate: true };
  if (relo.kind === CoreReloKind.FIELD_EXISTS) {
    out.val = spec ? 1n : 0n;
    return out;
  }
  if (!spec) return POISON;
  const acc = spec.accessors[spec.accessors.length - 1]!;
  if (acc.name === undefined) {
    // The access ends with an array element: only its offset and size make sense.
    const sz = coreSizeOf(spec.btf, acc.typeId);
    if (relo.kind === CoreReloKind.FIELD_BYTE_OFFSET) {
      out.val = BigInt(spec.bitOffset / 8);
      out.fieldSz = sz;
      out.typeId = acc.typeId;
    } else if (relo.kind === CoreReloKind.FIELD_BYTE_SIZE) {
      out.val = BigInt(sz);
    } else {
      throw new CoreFail("EINVAL", `<${coreReloKindStr(relo.kind)}> relocation at insn #${insnIdx} can't be applied to array access`);
    }
    return out;
  }
  const parent = spec.btf.typeById(acc.typeId) as StructType | UnionType;
  const member = parent.members[acc.idx]!;
  const mt = skipCore(spec.btf, member.type);
  const bitOff = spec.bitOffset;
  let bitSz = member.bitfieldSize;
  const bitfield = bitSz > 0;
  let byteSz: number;
  let byteOff: number;
  if (bitfield) {
    // The smallest naturally aligned load, starting from the member type's size, that covers the bits.
    byteSz = (mt.t as { size: number }).size;
    byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
    while (bitOff + bitSz - byteOff * 8 > byteSz * 8) {
      if (byteSz >= 8) {
        throw new CoreFail("E2BIG", `<${coreReloKindStr(relo.kind)}> relocation at insn #${insnIdx} can't be satisfied for bitfield: it cannot be read with one 64-bit load`);
      }
      byteSz *= 2;
      byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
    }
  } else {
    byteSz = coreSizeOf(spec.btf, mt.id);
    byteOff = Math.floor(bitOff / 8);
    bitSz = byteSz * 8;
  }
  // Bitfield offsets and sizes are the loader's choice and may differ from the compiler's: not validated.
  out.validate = !bitfield;
  switch (relo.kind) {
    case CoreReloKind.FIELD_BYTE_OFFSET:
      out.val = BigInt(byteOff);
      if (!bitfield) {
        out.fieldSz = byteSz;
        out.typeId = mt.id;
      }
      break;
    case CoreReloKind.FIELD_BYTE_SIZE:
      out.val = BigInt(byteSz);
      break;
    case CoreReloKind.FIELD_SIGNED:
      out.val = isSigned(mt.t) ? 1n : 0n;
      out.validate = true;
      break;
    case CoreReloKind.FIELD_LSHIFT_U64:
      // After a load of byteSz bytes into a u64, shift the field's top bit to bit 63.
      out.val = BigInt(spec.btf.littleEndian ? 64 - (bitOff + bitSz - byteOff * 8) : (8 - byteSz) * 8 + (bitOff - byteOff * 8));
      break;
    case CoreReloKind.FIELD_RSHIFT_U64:
      out.val = BigInt(64 - bitSz);
      out.validate = true;
      break;
    default:
      throw new CoreFail("EOPNOTSUPP", `unrecognized CO-RE relocation ${coreReloKindStr(relo.kind)} (${relo.kind})`);
  }
  return out;
}

function isSigned(t: AnyType): boolean {
  if (t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64) return t.signed;
  return t.kind === BtfKind.INT && (t.encoding & 1) !== 0;
}

function typeValue(relo: CoreRelo, spec: CoreSpec | undefined): bigint {
  if (!spec) return 0n; // type-based relocations give 0 when the type is not found
  switch (relo.kind) {
    case CoreReloKind.TYPE_ID_TARGET:
      return BigInt(spec.rootTypeId);
    case CoreReloKind.TYPE_EXISTS:
    case CoreReloKind.TYPE_MATCHES:
      return 1n;
    case CoreReloKind.TYPE_SIZE:
      return BigInt(coreSizeOf(spec.btf, spec.rootTypeId));
    default:
      throw new CoreFail("EOPNOTSUPP", `unrecognized CO-RE relocation ${coreReloKindStr(relo.kind)} (${relo.kind})`);
  }
}

function enumValue(relo: CoreRelo, spec: CoreSpec | undefined): bigint | typeof POISON {
  if (relo.kind === CoreReloKind.ENUMVAL_EXISTS) return spec ? 1n : 0n;
  if (!spec) return POISON;
  const acc = spec.accessors[0]!;
  const t = spec.btf.typeById(acc.typeId);
  // libbpf reads a 32-bit enumerator as s32 and widens it to u64 (sign-extended), an ENUM64's as u64.
  if (t.kind === BtfKind.ENUM) return BigInt.asUintN(64, BigInt(t.values[acc.idx]!.value | 0));
  if (t.kind === BtfKind.ENUM64) return BigInt.asUintN(64, t.values[acc.idx]!.value);
  throw new CoreFail("EINVAL", `enum value relocation resolved to [${acc.typeId}], not an enum`);
}

/**
 * orig and new values of a relocation for one target spec (undefined: no
 * candidate matched). Throws CoreFail for relocations that cannot be
 * computed (bitfields wider than a u64 load, array accesses for kinds other
 * than offset and size, unknown kinds).
 */
export function calcCoreRelo(relo: CoreRelo, insnIdx: number, local: CoreSpec, targ: CoreSpec | undefined): CoreReloRes {
  const res: CoreReloRes = { origVal: 0n, newVal: 0n, poison: false, validate: true, failMemszAdjust: false, origSz: 0, newSz: 0 };
  if (isFieldKind(relo.kind)) {
    const o = fieldValue(relo, insnIdx, local);
    if (o === POISON) throw new CoreFail("EINVAL", "local field spec missing"); // cannot happen: the local spec exists
    res.origVal = o.val;
    res.origSz = o.fieldSz;
    res.validate = o.validate;
    const n = fieldValue(relo, insnIdx, targ);
    if (n === POISON) {
      res.poison = true;
      return res;
    }
    res.newVal = n.val;
    res.newSz = n.fieldSz;
    if (res.origSz !== res.newSz) {
      // A load/store may change size only for pointers (a 32-bit kernel pointer read zero-extended)
      // and unsigned integers (zero extension keeps the value); anything else would read garbage.
      const ot = local.btf.typeById(o.typeId);
      const nt = targ!.btf.typeById(n.typeId);
      const bothPtr = ot.kind === BtfKind.PTR && nt.kind === BtfKind.PTR;
      const bothUnsigned = ot.kind === BtfKind.INT && nt.kind === BtfKind.INT && ot.encoding !== 1 && nt.encoding !== 1;
      res.failMemszAdjust = !bothPtr && !bothUnsigned;
    }
    return res;
  }
  if (isTypeKind(relo.kind)) {
    res.validate = relo.kind !== CoreReloKind.TYPE_ID_TARGET; // type ids may change at link time
    res.origVal = typeValue(relo, local);
    res.newVal = typeValue(relo, targ);
    return res;
  }
  if (isEnumvalKind(relo.kind)) {
    const o = enumValue(relo, local);
    const n = enumValue(relo, targ);
    if (o === POISON) throw new CoreFail("EINVAL", "local enum spec missing");
    res.origVal = o;
    if (n === POISON) res.poison = true;
    else res.newVal = n;
    return res;
  }
  throw new CoreFail("EOPNOTSUPP", `unrecognized CO-RE relocation ${coreReloKindStr(relo.kind)} (${relo.kind})`);
}
