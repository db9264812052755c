// Encoder: Btf -> raw BTF bytes (header, type section, string section, in
// the layout pahole and the kernel use). A Btf parsed from bytes keeps its
// string table, so re-encoding it reproduces the input byte for byte; new
// strings are appended and deduplicated.
import type { Btf } from "./btf.js";
import { BtfError } from "./errors.js";
import { BTF_HEADER_SIZE, BTF_MAGIC, BTF_VERSION, BtfKind, encodedTypeSize, kindName } from "./kinds.js";
import { StringTableBuilder } from "./strings.js";
import type { BtfType } from "./types.js";

export interface EncodeOptions {
  /** Byte order; defaults to the order the Btf was parsed in (little-endian for built ones). */
  littleEndian?: boolean;
}

/** Builds the string table builder for a Btf, starting from its parsed table (and its base's). */
function stringsFor(btf: Btf): StringTableBuilder {
  const base = btf.base ? stringsFor(btf.base) : undefined;
  return new StringTableBuilder(btf.strings, base);
}

/** Encodes `btf`'s own types (not its base's) as a raw BTF blob. */
export function encodeBtf(btf: Btf, options: EncodeOptions = {}): Uint8Array {
  const le = options.littleEndian ?? btf.littleEndian;
  const strs = stringsFor(btf);
  // Records parsed and never decoded are copied verbatim (their string offsets stay valid:
  // the builder starts from the parsed string table); everything else is encoded from its object.
  const copyRaw = le === btf.littleEndian;
  const n = btf.length;
  let typeLen = 0;
  for (let i = 0; i < n; ) {
    const run = copyRaw ? btf.rawRun(i) : undefined;
    if (run) {
      typeLen += run.length;
      i += btf.rawRunLength(i, run);
    } else {
      const t = btf.decodeType(btf.startId + i) as BtfType;
      typeLen += encodedTypeSize(t.kind, vlenOf(t));
      i++;
    }
  }
  const types = new Uint8Array(typeLen);
  const view = new DataView(types.buffer);
  let pos = 0;
  let curId = 0;
  /** Writes a u32 field (negative int32 values are written as their two's complement, as in component_idx). */
  const u32 = (v: number): void => {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) {
      throw new BtfError(`cannot encode: field value ${v} is not a 32-bit integer`, { typeId: curId }, { errno: "ERANGE" });
    }
    view.setUint32(pos, v >>> 0, le);
    pos += 4;
  };
  for (let i = 0; i < n; i++) {
    const id = btf.startId + i;
    const run = copyRaw ? btf.rawRun(i) : undefined;
    if (run) {
      types.set(run, pos);
      pos += run.length;
      i += btf.rawRunLength(i, run) - 1;
      continue;
    }
    const t = btf.decodeType(id) as BtfType;
    curId = id;
    const vlen = vlenOf(t);
    if (vlen > 0xffff) throw new BtfError(`${kindName(t.kind)} has ${vlen} entries, more than 65535`, { typeId: id });
    checkFields(t, id);
    const kflag = kflagOf(t);
    u32(strs.add(t.name));
    u32(((kflag ? 1 : 0) << 31) | (t.kind << 24) | vlen);
    switch (t.kind) {
      case BtfKind.INT:
        u32(t.size);
        u32((t.encoding << 24) | (t.bitsOffset << 16) | t.nrBits);
        break;
      case BtfKind.PTR:
      case BtfKind.TYPEDEF:
      case BtfKind.VOLATILE:
      case BtfKind.CONST:
      case BtfKind.RESTRICT:
      case BtfKind.TYPE_TAG:
      case BtfKind.FUNC:
        u32(t.type);
        break;
      case BtfKind.ARRAY:
        u32(0);
        u32(t.type);
        u32(t.indexType);
        u32(t.nelems);
        break;
      case BtfKind.STRUCT:
      case BtfKind.UNION:
        u32(t.size);
        for (const m of t.members) {
          u32(strs.add(m.name));
          u32(m.type);
          u32(t.kflag ? (m.bitfieldSize << 24) | m.bitsOffset : m.bitsOffset);
        }
        break;
      case BtfKind.ENUM:
        u32(t.size);
        for (const v of t.values) {
          u32(strs.add(v.name));
          u32(v.value);
        }
        break;
      case BtfKind.ENUM64:
        u32(t.size);
        for (const v of t.values) {
          const u = BigInt.asUintN(64, v.value);
          u32(strs.add(v.name));
          u32(Number(u & 0xffffffffn));
          u32(Number(u >> 32n));
        }
        break;
      case BtfKind.FWD:
        u32(0);
        break;
      case BtfKind.FUNC_PROTO:
        u32(t.returnType);
        for (const p of t.params) {
          u32(strs.add(p.name));
          u32(p.type);
        }
        break;
      case BtfKind.VAR:
        u32(t.type);
        u32(t.linkage);
        break;
      case BtfKind.DATASEC:
        u32(t.size);
        for (const v of t.vars) {
          u32(v.type);
          u32(v.offset);
          u32(v.size);
        }
        break;
      case BtfKind.FLOAT:
        u32(t.size);
        break;
      case BtfKind.DECL_TAG:
        u32(t.type);
        u32(t.componentIdx);
        break;
    }
  }
  const strBytes = strs.finish();
  const out = new Uint8Array(BTF_HEADER_SIZE + typeLen + strBytes.length);
  const hv = new DataView(out.buffer);
  hv.setUint16(0, BTF_MAGIC, le);
  out[2] = BTF_VERSION;
  out[3] = 0;
  hv.setUint32(4, BTF_HEADER_SIZE, le);
  hv.setUint32(8, 0, le);
  hv.setUint32(12, typeLen, le);
  hv.setUint32(16, typeLen, le);
  hv.setUint32(20, strBytes.length, le);
  out.set(types, BTF_HEADER_SIZE);
  out.set(strBytes, BTF_HEADER_SIZE + typeLen);
  return out;
}

const U32_MAX = 0xffffffff;

function requireEncodable(ok: boolean, id: number, what: string): void {
  if (!ok) throw new BtfError(`cannot encode: ${what}`, { typeId: id }, { errno: "ERANGE" });
}

const isU32 = (v: number) => Number.isInteger(v) && v >= 0 && v <= U32_MAX;

/** Refuses values the wire format cannot hold, instead of silently truncating them. */
function checkFields(t: BtfType, id: number): void {
  switch (t.kind) {
    case BtfKind.INT:
      requireEncodable(isU32(t.size) && t.encoding >= 0 && t.encoding <= 15 && t.bitsOffset >= 0 && t.bitsOffset <= 255 && t.nrBits >= 0 && t.nrBits <= 255, id, "INT size/encoding/bits out of range");
      break;
    case BtfKind.STRUCT:
    case BtfKind.UNION:
      requireEncodable(isU32(t.size), id, `${kindName(t.kind)} size ${t.size} is not a u32`);
      for (const m of t.members) {
        requireEncodable(isU32(m.type), id, `member '${m.name}' type id ${m.type} is not a u32`);
        if (t.kflag) requireEncodable(m.bitsOffset >= 0 && m.bitsOffset <= 0xffffff && m.bitfieldSize >= 0 && m.bitfieldSize <= 255, id, `member '${m.name}' offset ${m.bitsOffset} or bitfield size ${m.bitfieldSize} does not fit kind_flag encoding (24 + 8 bits)`);
        else requireEncodable(isU32(m.bitsOffset) && m.bitfieldSize === 0, id, `member '${m.name}' has a bitfield size but the ${kindName(t.kind)} has no kind_flag`);
      }
      break;
    case BtfKind.ENUM:
      for (const v of t.values) requireEncodable(Number.isInteger(v.value) && v.value >= -0x80000000 && v.value <= U32_MAX, id, `enumerator '${v.name}' value ${v.value} does not fit 32 bits`);
      break;
    case BtfKind.ENUM64:
      for (const v of t.values) requireEncodable(v.value >= -(1n << 63n) && v.value < 1n << 64n, id, `enumerator '${v.name}' value ${v.value} does not fit 64 bits`);
      break;
    case BtfKind.ARRAY:
      requireEncodable(isU32(t.type) && isU32(t.indexType) && isU32(t.nelems), id, "ARRAY field out of u32 range");
      break;
    case BtfKind.DECL_TAG:
      requireEncodable(Number.isInteger(t.componentIdx) && t.componentIdx >= -1 && t.componentIdx <= 0x7fffffff, id, `component_idx ${t.componentIdx} out of range`);
      break;
    default:
      break;
  }
}

/** The wire vlen of a type (entry count, or the linkage for FUNC). */
export function vlenOf(t: BtfType): number {
  switch (t.kind) {
    case BtfKind.STRUCT:
    case BtfKind.UNION:
      return t.members.length;
    case BtfKind.ENUM:
    case BtfKind.ENUM64:
      return t.values.length;
    case BtfKind.FUNC_PROTO:
      return t.params.length;
    case BtfKind.DATASEC:
      return t.vars.length;
    case BtfKind.FUNC:
      return t.linkage;
    default:
      return 0;
  }
}

/** The wire kind_flag of a type. */
export function kflagOf(t: BtfType): boolean {
  switch (t.kind) {
    case BtfKind.STRUCT:
    case BtfKind.UNION:
    case BtfKind.TYPE_TAG:
    case BtfKind.DECL_TAG:
      return t.kflag;
    case BtfKind.ENUM:
    case BtfKind.ENUM64:
      return t.signed;
    case BtfKind.FWD:
      return t.union;
    default:
      return false;
  }
}
