// Decoder: raw BTF bytes -> Btf. Walks the type section record by record,
// checks every record against the kernel's per-kind rules (info bits, vlen,
// sizes, names, string offsets) and then hands the result to validate.ts for
// the checks that need the whole graph (ids in range, kinds of targets, cycles).
import { Btf } from "./btf.js";
import { BtfError } from "./errors.js";
import { parseHeader } from "./header.js";
import {
  BTF_INFO_MASK,
  BTF_KIND_MAX,
  BTF_MAX_TYPE,
  BTF_TYPE_HEADER_SIZE,
  BtfKind,
  KIND_LAYOUT,
  kindName,
} from "./kinds.js";
import { StringTable } from "./strings.js";
import type { BtfType, Enum64Value, EnumValue, Member, Param, VarSecinfo } from "./types.js";
import { validateBtf } from "./validate.js";

export interface ParseOptions {
  /** Base BTF for split BTF (e.g. a kernel module's BTF on top of vmlinux). */
  base?: Btf;
  /** Where the blob starts in the input file (for ELF sections), so error offsets are file offsets. */
  fileOffset?: number;
}

const INT_SIZES = new Set([1, 2, 4, 8, 16]);
const ENUM_SIZES = new Set([1, 2, 4, 8]);
const FLOAT_SIZES = new Set([2, 4, 8, 12, 16]);

/** Parses and validates a raw BTF blob (the format of /sys/kernel/btf/vmlinux). Throws BtfError. */
export function parseBtf(bytes: Uint8Array, options: ParseOptions = {}): Btf {
  const fileOffset = options.fileOffset ?? 0;
  const base = options.base;
  const hdr = parseHeader(bytes, fileOffset);
  const le = hdr.littleEndian;
  const dataStart = hdr.hdrLen;

  let baseStrLen = 0;
  if (base) {
    if (!base.strings) throw new BtfError("base BTF has no string table to resolve split BTF names against");
    baseStrLen = base.strings.startOffset + base.strings.length;
  } else if (hdr.strLen === 0) {
    throw new BtfError("string section is empty (it must at least hold the empty string)", { offset: fileOffset + 20 });
  }
  const strStart = dataStart + hdr.strOff;
  const strings = new StringTable(bytes.subarray(strStart, strStart + hdr.strLen), baseStrLen, fileOffset + strStart);
  const baseStrings = base?.strings;
  const strEnd = baseStrLen + hdr.strLen;

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const types: BtfType[] = [];
  const startId = base ? base.typeCount : 1;
  let pos = dataStart + hdr.typeOff;
  const end = pos + hdr.typeLen;

  const name = (off: number, where: number, id: number): string => {
    if (off < baseStrLen) return baseStrings!.get(off);
    if (off >= strEnd) {
      throw new BtfError(`name offset ${off} is outside the string section (${strEnd} bytes)`, { offset: fileOffset + where, typeId: id });
    }
    return strings.get(off);
  };

  while (pos < end) {
    const id = startId + types.length;
    if (id > BTF_MAX_TYPE) throw new BtfError(`more than ${BTF_MAX_TYPE} types`, { offset: fileOffset + pos, typeId: id });
    const at = fileOffset + pos;
    if (end - pos < BTF_TYPE_HEADER_SIZE) {
      throw new BtfError(`truncated type record: ${end - pos} bytes left, a type header needs ${BTF_TYPE_HEADER_SIZE}`, { offset: at, typeId: id });
    }
    const nameOff = view.getUint32(pos, le);
    const info = view.getUint32(pos + 4, le);
    const sizeOrType = view.getUint32(pos + 8, le);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const kflag = info >>> 31 === 1;
    if ((info & ~BTF_INFO_MASK) !== 0) {
      throw new BtfError(`reserved bits set in info word 0x${(info >>> 0).toString(16).padStart(8, "0")}`, { offset: at + 4, typeId: id });
    }
    if (kind === 0 || kind > BTF_KIND_MAX) {
      const hint = kind > BTF_KIND_MAX ? "this BTF may come from a newer kernel than btfsnoop knows" : "kind 0 is reserved for void and is never encoded";
      throw new BtfError(`unknown kind ${kind}`, { offset: at + 4, typeId: id }, { hint });
    }
    const layout = KIND_LAYOUT[kind]!;
    const recSize = BTF_TYPE_HEADER_SIZE + layout.fixed + vlen * layout.perVlen;
    if (recSize > end - pos) {
      throw new BtfError(
        `truncated ${kindName(kind)} record: vlen ${vlen} needs ${recSize} bytes, only ${end - pos} left in the type section`,
        { offset: at, typeId: id },
      );
    }
    if (layout.perVlen === 0 && vlen !== 0 && kind !== BtfKind.FUNC) {
      throw new BtfError(`${kindName(kind)} must have vlen 0, has ${vlen}`, { offset: at + 4, typeId: id });
    }
    const kflagAllowed =
      kind === BtfKind.STRUCT ||
      kind === BtfKind.UNION ||
      kind === BtfKind.ENUM ||
      kind === BtfKind.ENUM64 ||
      kind === BtfKind.FWD ||
      kind === BtfKind.DECL_TAG ||
      kind === BtfKind.TYPE_TAG;
    if (kflag && !kflagAllowed) {
      throw new BtfError(`kind_flag is not allowed on ${kindName(kind)}`, { offset: at + 4, typeId: id });
    }
    const nm = name(nameOff, pos, id);
    const needsName =
      kind === BtfKind.TYPEDEF ||
      kind === BtfKind.FWD ||
      kind === BtfKind.FUNC ||
      kind === BtfKind.VAR ||
      kind === BtfKind.DATASEC ||
      kind === BtfKind.FLOAT ||
      kind === BtfKind.DECL_TAG ||
      kind === BtfKind.TYPE_TAG;
    const mustBeAnon =
      kind === BtfKind.PTR ||
      kind === BtfKind.ARRAY ||
      kind === BtfKind.VOLATILE ||
      kind === BtfKind.CONST ||
      kind === BtfKind.RESTRICT ||
      kind === BtfKind.FUNC_PROTO;
    if (needsName && nm === "") throw new BtfError(`${kindName(kind)} must have a name`, { offset: at, typeId: id });
    if (mustBeAnon && nameOff !== 0) throw new BtfError(`${kindName(kind)} must not have a name, has '${nm}'`, { offset: at, typeId: id });

    const body = pos + BTF_TYPE_HEADER_SIZE;
    let t: BtfType;
    switch (kind) {
      case BtfKind.INT: {
        const data = view.getUint32(body, le);
        const encoding = (data >>> 24) & 0x0f;
        const bitsOffset = (data >>> 16) & 0xff;
        const nrBits = data & 0xff;
        if ((data & 0xf000ff00) !== 0) throw new BtfError(`reserved bits set in INT data 0x${data.toString(16)}`, { offset: fileOffset + body, typeId: id });
        if (!INT_SIZES.has(sizeOrType)) throw new BtfError(`INT size ${sizeOrType} is not 1, 2, 4, 8 or 16`, { offset: at + 8, typeId: id });
        if (encoding !== 0 && encoding !== 1 && encoding !== 2 && encoding !== 4) {
          throw new BtfError(`INT encoding ${encoding} is not one of none, SIGNED, CHAR, BOOL`, { offset: fileOffset + body, typeId: id });
        }
        if (nrBits > 128 || bitsOffset + nrBits > sizeOrType * 8) {
          throw new BtfError(`INT bits_offset ${bitsOffset} + nr_bits ${nrBits} exceed its ${sizeOrType * 8} bits`, { offset: fileOffset + body, typeId: id });
        }
        t = { kind, name: nm, size: sizeOrType, encoding, bitsOffset, nrBits };
        break;
      }
      case BtfKind.PTR:
      case BtfKind.TYPEDEF:
      case BtfKind.VOLATILE:
      case BtfKind.CONST:
      case BtfKind.RESTRICT:
        t = { kind, name: nm, type: sizeOrType };
        break;
      case BtfKind.TYPE_TAG:
        t = { kind, name: nm, type: sizeOrType, kflag };
        break;
      case BtfKind.ARRAY: {
        if (sizeOrType !== 0) throw new BtfError(`ARRAY size field must be 0, is ${sizeOrType}`, { offset: at + 8, typeId: id });
        t = {
          kind,
          name: nm,
          type: view.getUint32(body, le),
          indexType: view.getUint32(body + 4, le),
          nelems: view.getUint32(body + 8, le),
        };
        break;
      }
      case BtfKind.STRUCT:
      case BtfKind.UNION: {
        const members: Member[] = new Array(vlen);
        for (let i = 0, p = body; i < vlen; i++, p += 12) {
          const off = view.getUint32(p + 8, le);
          members[i] = {
            name: name(view.getUint32(p, le), p, id),
            type: view.getUint32(p + 4, le),
            bitsOffset: kflag ? off & 0xffffff : off,
            bitfieldSize: kflag ? off >>> 24 : 0,
          };
        }
        t = { kind, name: nm, size: sizeOrType, kflag, members };
        break;
      }
      case BtfKind.ENUM: {
        if (!ENUM_SIZES.has(sizeOrType)) throw new BtfError(`ENUM size ${sizeOrType} is not 1, 2, 4 or 8`, { offset: at + 8, typeId: id });
        const values: EnumValue[] = new Array(vlen);
        for (let i = 0, p = body; i < vlen; i++, p += 8) {
          const n = name(view.getUint32(p, le), p, id);
          if (n === "") throw new BtfError(`ENUM value ${i} has no name`, { offset: fileOffset + p, typeId: id });
          values[i] = { name: n, value: kflag ? view.getInt32(p + 4, le) : view.getUint32(p + 4, le) };
        }
        t = { kind, name: nm, size: sizeOrType, signed: kflag, values };
        break;
      }
      case BtfKind.ENUM64: {
        if (!ENUM_SIZES.has(sizeOrType)) throw new BtfError(`ENUM64 size ${sizeOrType} is not 1, 2, 4 or 8`, { offset: at + 8, typeId: id });
        const values: Enum64Value[] = new Array(vlen);
        for (let i = 0, p = body; i < vlen; i++, p += 12) {
          const n = name(view.getUint32(p, le), p, id);
          if (n === "") throw new BtfError(`ENUM64 value ${i} has no name`, { offset: fileOffset + p, typeId: id });
          const u = (BigInt(view.getUint32(p + 8, le)) << 32n) | BigInt(view.getUint32(p + 4, le));
          values[i] = { name: n, value: kflag ? BigInt.asIntN(64, u) : u };
        }
        t = { kind, name: nm, size: sizeOrType, signed: kflag, values };
        break;
      }
      case BtfKind.FWD:
        if (sizeOrType !== 0) throw new BtfError(`FWD size/type field must be 0, is ${sizeOrType}`, { offset: at + 8, typeId: id });
        t = { kind, name: nm, union: kflag };
        break;
      case BtfKind.FUNC:
        if (vlen > 2) throw new BtfError(`FUNC linkage ${vlen} is not static (0), global (1) or extern (2)`, { offset: at + 4, typeId: id });
        t = { kind, name: nm, type: sizeOrType, linkage: vlen };
        break;
      case BtfKind.FUNC_PROTO: {
        const params: Param[] = new Array(vlen);
        for (let i = 0, p = body; i < vlen; i++, p += 8) {
          params[i] = { name: name(view.getUint32(p, le), p, id), type: view.getUint32(p + 4, le) };
          if (params[i]!.type === 0 && i !== vlen - 1) {
            throw new BtfError(`FUNC_PROTO parameter ${i} has type void; only the last parameter may (variadic '...')`, { offset: fileOffset + p, typeId: id });
          }
        }
        const last = params[vlen - 1];
        if (last && last.type === 0 && last.name !== "") {
          throw new BtfError(`FUNC_PROTO variadic marker (last parameter, type void) must have no name, has '${last.name}'`, { offset: at, typeId: id });
        }
        t = { kind, name: nm, returnType: sizeOrType, params };
        break;
      }
      case BtfKind.VAR: {
        const linkage = view.getUint32(body, le);
        if (linkage > 2) throw new BtfError(`VAR linkage ${linkage} is not static (0), global (1) or extern (2)`, { offset: fileOffset + body, typeId: id });
        t = { kind, name: nm, type: sizeOrType, linkage };
        break;
      }
      case BtfKind.DATASEC: {
        const vars: VarSecinfo[] = new Array(vlen);
        for (let i = 0, p = body; i < vlen; i++, p += 12) {
          const v = { type: view.getUint32(p, le), offset: view.getUint32(p + 4, le), size: view.getUint32(p + 8, le) };
          if (sizeOrType !== 0 && (v.offset > sizeOrType || v.size > sizeOrType - v.offset)) {
            throw new BtfError(`DATASEC variable ${i} [${v.offset}, ${v.offset + v.size}) runs past the section size ${sizeOrType}`, { offset: fileOffset + p, typeId: id });
          }
          vars[i] = v;
        }
        t = { kind, name: nm, size: sizeOrType, vars };
        break;
      }
      case BtfKind.FLOAT:
        if (!FLOAT_SIZES.has(sizeOrType)) throw new BtfError(`FLOAT size ${sizeOrType} is not 2, 4, 8, 12 or 16`, { offset: at + 8, typeId: id });
        t = { kind, name: nm, size: sizeOrType };
        break;
      case BtfKind.DECL_TAG: {
        const componentIdx = view.getInt32(body, le);
        if (componentIdx < -1) throw new BtfError(`DECL_TAG component_idx ${componentIdx} is below -1`, { offset: fileOffset + body, typeId: id });
        t = { kind, name: nm, type: sizeOrType, componentIdx, kflag };
        break;
      }
      default:
        throw new BtfError(`unknown kind ${kind}`, { offset: at + 4, typeId: id });
    }
    types.push(t);
    pos += recSize;
  }

  const btf = new Btf(types, { base, strings, littleEndian: le });
  validateBtf(btf);
  return btf;
}
