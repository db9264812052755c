// Parser: raw BTF bytes -> Btf. One pass over the type section indexes every
// record (offset and kind) and checks it against the kernel's per-kind rules
// (info bits, vlen, sizes, names, string offsets) without building objects;
// validate.ts then checks the graph (ids in range, target kinds, loops).
// Types are decoded later, on demand (decode.ts).
import { Btf } from "./btf.js";
import type { RawTypeSource } from "./decode.js";
import { BtfError } from "./errors.js";
import { parseHeader } from "./header.js";
import { BTF_INFO_MASK, BTF_KIND_MAX, BTF_MAX_TYPE, BTF_TYPE_HEADER_SIZE, BtfKind, KIND_LAYOUT, kindName } from "./kinds.js";
import { StringTable } from "./strings.js";
import { validateRaw } from "./validate.js";

export interface ParseOptions {
  /** Base BTF for split BTF (e.g. a kernel module's BTF on top of vmlinux). */
  base?: Btf | undefined;
  /** Where the blob starts in the input file (for ELF sections), so error offsets are file offsets. */
  fileOffset?: number;
}

// Per-kind rules, indexed by kind number.
const NEEDS_NAME = kindSet(BtfKind.TYPEDEF, BtfKind.FWD, BtfKind.FUNC, BtfKind.VAR, BtfKind.DATASEC, BtfKind.FLOAT, BtfKind.DECL_TAG, BtfKind.TYPE_TAG);
const MUST_BE_ANON = kindSet(BtfKind.PTR, BtfKind.ARRAY, BtfKind.VOLATILE, BtfKind.CONST, BtfKind.RESTRICT, BtfKind.FUNC_PROTO);
const KFLAG_OK = kindSet(BtfKind.STRUCT, BtfKind.UNION, BtfKind.ENUM, BtfKind.ENUM64, BtfKind.FWD, BtfKind.DECL_TAG, BtfKind.TYPE_TAG);
/** Kinds whose (non-empty) name must be a C identifier, as the kernel's btf_name_valid_identifier() demands. */
const IDENT_NAME = kindSet(BtfKind.STRUCT, BtfKind.UNION, BtfKind.ENUM, BtfKind.ENUM64, BtfKind.FWD, BtfKind.TYPEDEF, BtfKind.FUNC);
/** KSYM_NAME_LEN: identifiers must be shorter. */
const KSYM_NAME_LEN = 512;
const INT_SIZES = new Set([1, 2, 4, 8, 16]);
const ENUM_SIZES = new Set([1, 2, 4, 8]);
const FLOAT_SIZES = new Set([2, 4, 8, 12, 16]);

function kindSet(...kinds: number[]): Uint8Array {
  const s = new Uint8Array(32);
  for (const k of kinds) s[k] = 1;
  return s;
}

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
  const strEnd = baseStrLen + hdr.strLen;
  /** The table holding offset `off`: ours, or the base's, or its base's (split BTF can stack). */
  const tableFor = (off: number): StringTable => {
    if (off >= baseStrLen) return strings;
    for (let b = base; b; b = b.base) if (b.strings && off >= b.strings.startOffset) return b.strings;
    throw new BtfError(`name offset ${off} is in no base string table`);
  };
  const name = (off: number): string => (off < baseStrLen ? tableFor(off).get(off) : strings.get(off));
  /** Whether the string at a (range-checked) offset is "". */
  const isEmpty = (off: number): boolean => {
    const t = off < baseStrLen ? tableFor(off) : strings;
    return t.bytes[off - t.startOffset] === 0;
  };

  /** Whether the string at a (range-checked) offset is empty or a C identifier: [A-Za-z_][A-Za-z0-9_]*. */
  const isIdentOrEmpty = (off: number): boolean => {
    const t = off < baseStrLen ? tableFor(off) : strings;
    const b = t.bytes;
    const startAt = off - t.startOffset;
    for (let i = startAt; ; i++) {
      const c = b[i]!;
      if (c === 0) return true;
      if (i - startAt >= KSYM_NAME_LEN - 1) return false;
      const alpha = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
      if (!alpha && (i === startAt || c < 0x30 || c > 0x39)) return false;
    }
  };
  const notIdent = (what: string, off: number, where: number, id: number): BtfError =>
    new BtfError(`${what} '${name(off)}' is not a valid C identifier`, { offset: fileOffset + where, typeId: id });

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const startId = base ? base.typeCount : 1;
  const typeStart = dataStart + hdr.typeOff;
  const end = typeStart + hdr.typeLen;
  // Every record is at least 12 bytes: size the index for the worst case, trim at the end.
  const maxTypes = Math.floor(hdr.typeLen / BTF_TYPE_HEADER_SIZE);
  const offsets = new Uint32Array(maxTypes + 1);
  const kinds = new Uint8Array(maxTypes);
  let n = 0;
  let pos = typeStart;

  const checkName = (off: number, where: number, id: number): void => {
    if (off >= strEnd) {
      throw new BtfError(`name offset ${off} is outside the string section (${strEnd} bytes)`, { offset: fileOffset + where, typeId: id });
    }
  };

  while (pos < end) {
    const id = startId + n;
    const at = fileOffset + pos;
    if (id > BTF_MAX_TYPE) throw new BtfError(`more than ${BTF_MAX_TYPE} types`, { offset: at, typeId: id });
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
      throw new BtfError(`truncated ${kindName(kind)} record: vlen ${vlen} needs ${recSize} bytes, only ${end - pos} left in the type section`, {
        offset: at,
        typeId: id,
      });
    }
    if (layout.perVlen === 0 && vlen !== 0 && kind !== BtfKind.FUNC) {
      throw new BtfError(`${kindName(kind)} must have vlen 0, has ${vlen}`, { offset: at + 4, typeId: id });
    }
    if (kflag && !KFLAG_OK[kind]) throw new BtfError(`kind_flag is not allowed on ${kindName(kind)}`, { offset: at + 4, typeId: id });
    checkName(nameOff, pos, id);
    if (NEEDS_NAME[kind] && isEmpty(nameOff)) throw new BtfError(`${kindName(kind)} must have a name`, { offset: at, typeId: id });
    if (MUST_BE_ANON[kind] && nameOff !== 0) {
      throw new BtfError(`${kindName(kind)} must not have a name, has '${name(nameOff)}'`, { offset: at, typeId: id });
    }
    if (IDENT_NAME[kind] && !isIdentOrEmpty(nameOff)) throw notIdent(`${kindName(kind)} name`, nameOff, pos, id);

    const body = pos + BTF_TYPE_HEADER_SIZE;
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
        break;
      }
      case BtfKind.ARRAY:
        if (sizeOrType !== 0) throw new BtfError(`ARRAY size field must be 0, is ${sizeOrType}`, { offset: at + 8, typeId: id });
        break;
      case BtfKind.STRUCT:
      case BtfKind.UNION:
        for (let i = 0, p = body; i < vlen; i++, p += 12) {
          const off = view.getUint32(p, le);
          checkName(off, p, id);
          if (!isIdentOrEmpty(off)) throw notIdent(`member ${i} name`, off, p, id);
        }
        break;
      case BtfKind.ENUM:
      case BtfKind.ENUM64: {
        // clang before 15 writes a forward-declared enum (`enum e;`) as size 0 and no
        // values: libbpf and bpftool take it (the kernel's btf_enum_check_meta does not)
        if (!ENUM_SIZES.has(sizeOrType) && !(sizeOrType === 0 && vlen === 0)) {
          throw new BtfError(`${kindName(kind)} size ${sizeOrType} is not 1, 2, 4 or 8`, { offset: at + 8, typeId: id });
        }
        const step = layout.perVlen;
        for (let i = 0, p = body; i < vlen; i++, p += step) {
          const off = view.getUint32(p, le);
          checkName(off, p, id);
          if (isEmpty(off)) throw new BtfError(`${kindName(kind)} value ${i} has no name`, { offset: fileOffset + p, typeId: id });
          if (!isIdentOrEmpty(off)) throw notIdent(`${kindName(kind)} value ${i} name`, off, p, id);
        }
        break;
      }
      case BtfKind.FWD:
        if (sizeOrType !== 0) throw new BtfError(`FWD size/type field must be 0, is ${sizeOrType}`, { offset: at + 8, typeId: id });
        break;
      case BtfKind.FUNC:
        if (vlen > 2) throw new BtfError(`FUNC linkage ${vlen} is not static (0), global (1) or extern (2)`, { offset: at + 4, typeId: id });
        break;
      case BtfKind.FUNC_PROTO:
        for (let i = 0, p = body; i < vlen; i++, p += 8) {
          const off = view.getUint32(p, le);
          checkName(off, p, id);
          if (!isIdentOrEmpty(off)) throw notIdent(`parameter ${i} name`, off, p, id);
          if (view.getUint32(p + 4, le) !== 0) continue;
          if (i !== vlen - 1) {
            throw new BtfError(`FUNC_PROTO parameter ${i} has type void; only the last parameter may (variadic '...')`, { offset: fileOffset + p, typeId: id });
          }
          if (!isEmpty(off)) {
            throw new BtfError(`FUNC_PROTO variadic marker (last parameter, type void) must have no name, has '${name(off)}'`, { offset: fileOffset + p, typeId: id });
          }
        }
        break;
      case BtfKind.VAR: {
        const linkage = view.getUint32(body, le);
        if (linkage > 2) throw new BtfError(`VAR linkage ${linkage} is not static (0), global (1) or extern (2)`, { offset: fileOffset + body, typeId: id });
        break;
      }
      case BtfKind.DATASEC:
        if (sizeOrType !== 0) {
          for (let i = 0, p = body; i < vlen; i++, p += 12) {
            const off = view.getUint32(p + 4, le);
            const size = view.getUint32(p + 8, le);
            if (off > sizeOrType || size > sizeOrType - off) {
              throw new BtfError(`DATASEC variable ${i} [${off}, ${off + size}) runs past the section size ${sizeOrType}`, { offset: fileOffset + p, typeId: id });
            }
          }
        }
        break;
      case BtfKind.FLOAT:
        if (!FLOAT_SIZES.has(sizeOrType)) throw new BtfError(`FLOAT size ${sizeOrType} is not 2, 4, 8, 12 or 16`, { offset: at + 8, typeId: id });
        break;
      case BtfKind.DECL_TAG: {
        const componentIdx = view.getInt32(body, le);
        if (componentIdx < -1) throw new BtfError(`DECL_TAG component_idx ${componentIdx} is below -1`, { offset: fileOffset + body, typeId: id });
        break;
      }
      default:
        break;
    }
    offsets[n] = pos;
    kinds[n] = kind;
    n++;
    pos += recSize;
  }
  offsets[n] = pos;

  const raw: RawTypeSource = {
    view,
    littleEndian: le,
    offsets: offsets.subarray(0, n + 1),
    kinds: kinds.subarray(0, n),
    name,
    strings,
  };
  const btf = new Btf([], { base, strings, littleEndian: le }, raw);
  validateRaw(btf, raw);
  return btf;
}

