// Record decoding: one already-validated wire record -> one model type. The
// parser indexes records without decoding them; Btf decodes on demand
// through this function (and caches), dumps decode transiently.
import { BtfKind } from "./kinds.js";
import type { StringTable } from "./strings.js";
import type { BtfType, Enum64Value, EnumValue, Member, Param, VarSecinfo } from "./types.js";

/** Where a parsed Btf's records live, and how to read names. */
export interface RawTypeSource {
  /** The whole blob, for verbatim copies of records (the encoder). */
  readonly view: DataView;
  readonly littleEndian: boolean;
  /** The type section as u32 words in host byte order. */
  readonly words: Uint32Array;
  /** Byte offset of the type section (word 0) in `view`. */
  readonly typeStart: number;
  /** Word index (in `words`) of each own type's record, index = id - startId; one extra entry marks the end. */
  readonly starts: Uint32Array;
  /** Kind of each own type, index = id - startId. */
  readonly kinds: Uint8Array;
  /** Resolves a name offset (own or base string table). */
  readonly name: (off: number) => string;
  readonly strings: StringTable;
}

/** Decodes own type number `index` (id - startId) of `src`. The record was validated by parseBtf. */
export function decodeRecord(src: RawTypeSource, index: number): BtfType {
  const words = src.words;
  const w = src.starts[index]!;
  const nm = src.name(words[w]!);
  const info = words[w + 1]!;
  const sizeOrType = words[w + 2]!;
  const kind = (info >>> 24) & 0x1f;
  const vlen = info & 0xffff;
  const kflag = info >>> 31 === 1;
  const body = w + 3;
  switch (kind) {
    case BtfKind.INT: {
      const data = words[body]!;
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
      return { kind, name: nm, type: words[body]!, indexType: words[body + 1]!, nelems: words[body + 2]! };
    case BtfKind.STRUCT:
    case BtfKind.UNION: {
      const members: Member[] = new Array(vlen);
      for (let i = 0, p = body; i < vlen; i++, p += 3) {
        const off = words[p + 2]!;
        members[i] = {
          name: src.name(words[p]!),
          type: words[p + 1]!,
          bitsOffset: kflag ? off & 0xffffff : off,
          bitfieldSize: kflag ? off >>> 24 : 0,
        };
      }
      return { kind, name: nm, size: sizeOrType, kflag, members };
    }
    case BtfKind.ENUM: {
      const values: EnumValue[] = new Array(vlen);
      for (let i = 0, p = body; i < vlen; i++, p += 2) {
        values[i] = { name: src.name(words[p]!), value: kflag ? words[p + 1]! | 0 : words[p + 1]! };
      }
      return { kind, name: nm, size: sizeOrType, signed: kflag, values };
    }
    case BtfKind.ENUM64: {
      const values: Enum64Value[] = new Array(vlen);
      for (let i = 0, p = body; i < vlen; i++, p += 3) {
        const u = (BigInt(words[p + 2]!) << 32n) | BigInt(words[p + 1]!);
        values[i] = { name: src.name(words[p]!), value: kflag ? BigInt.asIntN(64, u) : u };
      }
      return { kind, name: nm, size: sizeOrType, signed: kflag, values };
    }
    case BtfKind.FWD:
      return { kind, name: nm, union: kflag };
    case BtfKind.FUNC:
      return { kind, name: nm, type: sizeOrType, linkage: vlen };
    case BtfKind.FUNC_PROTO: {
      const params: Param[] = new Array(vlen);
      for (let i = 0, p = body; i < vlen; i++, p += 2) params[i] = { name: src.name(words[p]!), type: words[p + 1]! };
      return { kind, name: nm, returnType: sizeOrType, params };
    }
    case BtfKind.VAR:
      return { kind, name: nm, type: sizeOrType, linkage: words[body]! };
    case BtfKind.DATASEC: {
      const vars: VarSecinfo[] = new Array(vlen);
      for (let i = 0, p = body; i < vlen; i++, p += 3) {
        vars[i] = { type: words[p]!, offset: words[p + 1]!, size: words[p + 2]! };
      }
      return { kind, name: nm, size: sizeOrType, vars };
    }
    case BtfKind.FLOAT:
      return { kind, name: nm, size: sizeOrType };
    case BtfKind.DECL_TAG:
      return { kind, name: nm, type: sizeOrType, componentIdx: words[body]! | 0, kflag };
    default:
      throw new Error(`decodeRecord: kind ${kind} at word ${w} was not validated`);
  }
}
