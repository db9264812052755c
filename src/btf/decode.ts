// Record decoding: one already-validated wire record -> one model type. The
// parser indexes records without decoding them; Btf decodes on demand
// through this function (and caches), dumps decode transiently.
import { BTF_TYPE_HEADER_SIZE, BtfKind } from "./kinds.js";
import type { StringTable } from "./strings.js";
import type { BtfType, Enum64Value, EnumValue, Member, Param, VarSecinfo } from "./types.js";

/** Where a parsed Btf's records live, and how to read names. */
export interface RawTypeSource {
  readonly view: DataView;
  readonly littleEndian: boolean;
  /** Byte offset (in `view`) of each own type's record, index = id - startId; one extra entry marks the end. */
  readonly offsets: Uint32Array;
  /** Kind of each own type, index = id - startId. */
  readonly kinds: Uint8Array;
  /** Resolves a name offset (own or base string table). */
  readonly name: (off: number) => string;
  readonly strings: StringTable;
}

/** Decodes own type number `index` (id - startId) of `src`. The record was validated by parseBtf. */
export function decodeRecord(src: RawTypeSource, index: number): BtfType {
  const view = src.view;
  const le = src.littleEndian;
  const pos = src.offsets[index]!;
  const nm = src.name(view.getUint32(pos, le));
  const info = view.getUint32(pos + 4, le);
  const sizeOrType = view.getUint32(pos + 8, le);
  const kind = (info >>> 24) & 0x1f;
  const vlen = info & 0xffff;
  const kflag = info >>> 31 === 1;
  const body = pos + BTF_TYPE_HEADER_SIZE;
  switch (kind) {
    case BtfKind.INT: {
      const data = view.getUint32(body, le);
      return { kind, name: nm, size: sizeOrType, encoding: (data >>> 24) & 0x0f, bitsOffset: (data >>> 16) & 0xff, nrBits: data & 0xff };
    }
    case BtfKind.PTR:
    case BtfKind.TYPEDEF:
    case BtfKind.VOLATILE:
    case BtfKind.CONST:
    case BtfKind.RESTRICT:
      return { kind, name: nm, type: sizeOrType };
    case BtfKind.TYPE_TAG:
      return { kind, name: nm, type: sizeOrType, kflag };
    case BtfKind.ARRAY:
      return { kind, name: nm, type: view.getUint32(body, le), indexType: view.getUint32(body + 4, le), nelems: view.getUint32(body + 8, le) };
    case BtfKind.STRUCT:
    case BtfKind.UNION: {
      const members: Member[] = new Array(vlen);
      for (let i = 0, p = body; i < vlen; i++, p += 12) {
        const off = view.getUint32(p + 8, le);
        members[i] = {
          name: src.name(view.getUint32(p, le)),
          type: view.getUint32(p + 4, le),
          bitsOffset: kflag ? off & 0xffffff : off,
          bitfieldSize: kflag ? off >>> 24 : 0,
        };
      }
      return { kind, name: nm, size: sizeOrType, kflag, members };
    }
    case BtfKind.ENUM: {
      const values: EnumValue[] = new Array(vlen);
      for (let i = 0, p = body; i < vlen; i++, p += 8) {
        values[i] = { name: src.name(view.getUint32(p, le)), value: kflag ? view.getInt32(p + 4, le) : view.getUint32(p + 4, le) };
      }
      return { kind, name: nm, size: sizeOrType, signed: kflag, values };
    }
    case BtfKind.ENUM64: {
      const values: Enum64Value[] = new Array(vlen);
      for (let i = 0, p = body; i < vlen; i++, p += 12) {
        const u = (BigInt(view.getUint32(p + 8, le)) << 32n) | BigInt(view.getUint32(p + 4, le));
        values[i] = { name: src.name(view.getUint32(p, le)), value: kflag ? BigInt.asIntN(64, u) : u };
      }
      return { kind, name: nm, size: sizeOrType, signed: kflag, values };
    }
    case BtfKind.FWD:
      return { kind, name: nm, union: kflag };
    case BtfKind.FUNC:
      return { kind, name: nm, type: sizeOrType, linkage: vlen };
    case BtfKind.FUNC_PROTO: {
      const params: Param[] = new Array(vlen);
      for (let i = 0, p = body; i < vlen; i++, p += 8) params[i] = { name: src.name(view.getUint32(p, le)), type: view.getUint32(p + 4, le) };
      return { kind, name: nm, returnType: sizeOrType, params };
    }
    case BtfKind.VAR:
      return { kind, name: nm, type: sizeOrType, linkage: view.getUint32(body, le) };
    case BtfKind.DATASEC: {
      const vars: VarSecinfo[] = new Array(vlen);
      for (let i = 0, p = body; i < vlen; i++, p += 12) {
        vars[i] = { type: view.getUint32(p, le), offset: view.getUint32(p + 4, le), size: view.getUint32(p + 8, le) };
      }
      return { kind, name: nm, size: sizeOrType, vars };
    }
    case BtfKind.FLOAT:
      return { kind, name: nm, size: sizeOrType };
    case BtfKind.DECL_TAG:
      return { kind, name: nm, type: sizeOrType, componentIdx: view.getInt32(body, le), kflag };
    default:
      throw new Error(`decodeRecord: kind ${kind} at ${pos} was not validated`);
  }
}
