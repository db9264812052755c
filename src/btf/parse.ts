// Parser: raw BTF bytes -> Btf. One pass over the type section (read as
// host-order u32 words, see typeWords) indexes every record (word index and
// kind) and checks it against the kernel's per-kind rules (info bits, vlen,
// sizes, names, string offsets) without allocating per type; validate.ts
// then checks the graph (ids in range, target kinds, loops). Types are
// decoded later, on demand (decode.ts). Error messages are built only on the
// failing path, so the scan loop stays small and is optimized early.
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
/** Bit n set: n is an allowed size (INT 1, 2, 4, 8, 16; ENUM 1, 2, 4, 8; FLOAT 2, 4, 8, 12, 16). */
const INT_SIZES = (1 << 1) | (1 << 2) | (1 << 4) | (1 << 8) | (1 << 16);
const ENUM_SIZES = (1 << 1) | (1 << 2) | (1 << 4) | (1 << 8);
const FLOAT_SIZES = (1 << 2) | (1 << 4) | (1 << 8) | (1 << 12) | (1 << 16);
const sizeIn = (set: number, size: number): boolean => size <= 16 && ((set >>> size) & 1) === 1;
/** Words after the 12-byte header: fixed part and per-vlen element, by kind (KIND_LAYOUT in words; 0 for unknown kinds). */
const FIXED_WORDS = new Uint8Array(32);
const PER_VLEN_WORDS = new Uint8Array(32);
for (let k = 1; k <= BTF_KIND_MAX; k++) {
  FIXED_WORDS[k] = KIND_LAYOUT[k]!.fixed >>> 2;
  PER_VLEN_WORDS[k] = KIND_LAYOUT[k]!.perVlen >>> 2;
}
/** A string that is empty or a C identifier shorter than KSYM_NAME_LEN, then its NUL (sticky: matched at lastIndex). */
const IDENT_OR_EMPTY = new RegExp(`(?:[A-Za-z_][A-Za-z0-9_]{0,${KSYM_NAME_LEN - 2}})?\\0`, "y");
const HOST_LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * The type section `[start, start + len)` of `bytes` as u32 words in host
 * order: a view of the input when it is aligned and in host order, else a
 * (byte-swapped) copy. `len` is a multiple of 4.
 */
export function typeWords(bytes: Uint8Array, start: number, len: number, littleEndian: boolean): Uint32Array {
  const at = bytes.byteOffset + start;
  if (littleEndian === HOST_LE && at % 4 === 0) return new Uint32Array(bytes.buffer, at, len >>> 2);
  const copy = new Uint32Array(new Uint8Array(bytes.subarray(start, start + len)).buffer);
  if (littleEndian !== HOST_LE) {
    for (let i = 0; i < copy.length; i++) {
      const w = copy[i]!;
      copy[i] = ((w & 0xff) << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | (w >>> 24);
    }
  }
  return copy;
}

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
  const names = new NameReader(strings, base, baseStrLen);

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const startId = base ? base.typeCount : 1;
  const typeStart = dataStart + hdr.typeOff;
  const words = typeWords(bytes, typeStart, hdr.typeLen, le);
  const scan = scanTypes(words, names, startId, fileOffset + typeStart);
  names.endScan();

  const raw: RawTypeSource = {
    view,
    littleEndian: le,
    words,
    typeStart,
    starts: scan.starts,
    kinds: scan.kinds,
    name: (off: number) => names.get(off),
    strings,
  };
  const btf = new Btf([], { base, strings, littleEndian: le }, raw);
  validateRaw(btf, raw);
  return btf;
}

/** Name lookups and checks for the scan: the own string table, or the base's (split BTF can stack). */
class NameReader {
  /** Own string bytes, and their offset numbering start (the base's total length). */
  readonly bytes: Uint8Array;
  readonly baseLen: number;
  /** Total string length (base + own): valid offsets are below it. */
  readonly end: number;
  /** Own string section as latin1 text, for the identifier regex. */
  private readonly text: string;
  /** 1 at an own offset whose string was checked to be an identifier (names repeat a lot). */
  private identOk: Uint8Array;

  constructor(
    readonly strings: StringTable,
    private readonly base: Btf | undefined,
    baseStrLen: number,
  ) {
    this.bytes = strings.bytes;
    this.baseLen = baseStrLen;
    this.end = baseStrLen + strings.length;
    this.text = strings.latin1Text();
    this.identOk = new Uint8Array(strings.length);
  }

  /** Drops the scan's per-offset memo (one byte per string byte): later name reads do not need it. */
  endScan(): void {
    this.identOk = new Uint8Array(0);
  }

  /** The table holding (in-range) offset `off`. */
  private tableFor(off: number): StringTable {
    if (off >= this.baseLen) return this.strings;
    for (let b = this.base; b; b = b.base) if (b.strings && off >= b.strings.startOffset) return b.strings;
    throw new BtfError(`name offset ${off} is in no base string table`);
  }

  get(off: number): string {
    return off < this.baseLen ? this.tableFor(off).get(off) : this.strings.get(off);
  }

  /** Whether the string at an in-range offset is "". */
  isEmpty(off: number): boolean {
    if (off >= this.baseLen) return this.bytes[off - this.baseLen] === 0;
    const t = this.tableFor(off);
    return t.bytes[off - t.startOffset] === 0;
  }

  /** Whether the string at an in-range offset is empty or a C identifier shorter than KSYM_NAME_LEN. */
  isIdentOrEmpty(off: number): boolean {
    if (off < this.baseLen) return baseIsIdentOrEmpty(this.tableFor(off), off);
    const local = off - this.baseLen;
    if (this.identOk[local] === 1) return true;
    IDENT_OR_EMPTY.lastIndex = local;
    if (!IDENT_OR_EMPTY.test(this.text)) return false;
    this.identOk[local] = 1;
    return true;
  }
}

function baseIsIdentOrEmpty(t: StringTable, off: number): boolean {
  IDENT_OR_EMPTY.lastIndex = off - t.startOffset;
  return IDENT_OR_EMPTY.test(t.latin1Text());
}

/**
 * The record scan: checks every record's header and per-kind rules, and
 * returns the word index where each record starts (one extra entry: the end)
 * and its kind. `at` is the file offset of word 0, for error offsets.
 */
function scanTypes(words: Uint32Array, names: NameReader, startId: number, at: number): { starts: Uint32Array; kinds: Uint8Array } {
  const nw = words.length;
  // Every record is at least 3 words: size the index for the worst case, trim at the end.
  const maxTypes = Math.floor(nw / 3);
  const starts = new Uint32Array(maxTypes + 1);
  const kinds = new Uint8Array(maxTypes);
  const strEnd = names.end;
  let n = 0;
  let w = 0;
  while (w < nw) {
    const id = startId + n;
    if (id > BTF_MAX_TYPE) throw new BtfError(`more than ${BTF_MAX_TYPE} types`, { offset: at + 4 * w, typeId: id });
    if (nw - w < 3) {
      throw new BtfError(`truncated type record: ${4 * (nw - w)} bytes left, a type header needs ${BTF_TYPE_HEADER_SIZE}`, { offset: at + 4 * w, typeId: id });
    }
    const nameOff = words[w]!;
    const info = words[w + 1]!;
    const sizeOrType = words[w + 2]!;
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    if ((info & ~BTF_INFO_MASK) !== 0 || kind === 0 || kind > BTF_KIND_MAX) throw badInfo(info, kind, at + 4 * w, id);
    const perVlen = PER_VLEN_WORDS[kind]!;
    const recWords = 3 + FIXED_WORDS[kind]! + vlen * perVlen;
    if (recWords > nw - w || (perVlen === 0 && vlen !== 0 && kind !== BtfKind.FUNC) || (info >>> 31 === 1 && !KFLAG_OK[kind])) {
      throw badShape(info, kind, vlen, recWords, nw - w, at + 4 * w, id);
    }
    if (nameOff >= strEnd) throw nameOutside(nameOff, strEnd, at + 4 * w, id);
    if (NEEDS_NAME[kind] && names.isEmpty(nameOff)) throw new BtfError(`${kindName(kind)} must have a name`, { offset: at + 4 * w, typeId: id });
    if (MUST_BE_ANON[kind] && nameOff !== 0) {
      throw new BtfError(`${kindName(kind)} must not have a name, has '${names.get(nameOff)}'`, { offset: at + 4 * w, typeId: id });
    }
    if (IDENT_NAME[kind] && !names.isIdentOrEmpty(nameOff)) throw notIdent(names, `${kindName(kind)} name`, nameOff, at + 4 * w, id);

    // Per-kind checks are small functions called through a table: the loop stays stable
    // while optimized (kinds first met late in the file do not deoptimize it).
    const check = KIND_CHECKS[kind];
    if (check !== undefined) check(words, w, vlen, sizeOrType, names, at, id);
    starts[n] = w;
    kinds[n] = kind;
    n++;
    w += recWords;
  }
  starts[n] = w;
  // copies of the used part: the worst-case arrays are ~3.5 times larger (vmlinux: 2.3 MB)
  return { starts: starts.slice(0, n + 1), kinds: kinds.slice(0, n) };
}

// Per-kind record checks (`at` is the file offset of word 0; `where` of the record).

/** Checks the kind-specific part of the record at word `w` (its header was checked). */
type KindCheck = (words: Uint32Array, w: number, vlen: number, sizeOrType: number, names: NameReader, at: number, id: number) => void;

const KIND_CHECKS: (KindCheck | undefined)[] = [];
KIND_CHECKS[BtfKind.INT] = (words, w, _vlen, size, _names, at, id) => checkInt(words[w + 3]!, size, at + 4 * w, id);
KIND_CHECKS[BtfKind.ARRAY] = (_words, w, _vlen, size, _names, at, id) => {
  if (size !== 0) throw new BtfError(`ARRAY size field must be 0, is ${size}`, { offset: at + 4 * w + 8, typeId: id });
};
KIND_CHECKS[BtfKind.STRUCT] = KIND_CHECKS[BtfKind.UNION] = (words, w, vlen, _size, names, at, id) => {
  if (vlen) checkMemberNames(words, w + 3, vlen, names, at, id);
};
KIND_CHECKS[BtfKind.ENUM] = KIND_CHECKS[BtfKind.ENUM64] = (words, w, vlen, size, names, at, id) =>
  checkEnum(words, w + 3, (words[w + 1]! >>> 24) & 0x1f, vlen, size, names, at + 4 * w, at, id);
KIND_CHECKS[BtfKind.FWD] = (_words, w, _vlen, size, _names, at, id) => {
  if (size !== 0) throw new BtfError(`FWD size/type field must be 0, is ${size}`, { offset: at + 4 * w + 8, typeId: id });
};
KIND_CHECKS[BtfKind.FUNC] = (_words, w, vlen, _size, _names, at, id) => {
  if (vlen > 2) throw new BtfError(`FUNC linkage ${vlen} is not static (0), global (1) or extern (2)`, { offset: at + 4 * w + 4, typeId: id });
};
KIND_CHECKS[BtfKind.FUNC_PROTO] = (words, w, vlen, _size, names, at, id) => {
  if (vlen) checkParams(words, w + 3, vlen, names, at, id);
};
KIND_CHECKS[BtfKind.VAR] = (words, w, _vlen, _size, _names, at, id) => {
  const linkage = words[w + 3]!;
  if (linkage > 2) throw new BtfError(`VAR linkage ${linkage} is not static (0), global (1) or extern (2)`, { offset: at + 4 * (w + 3), typeId: id });
};
KIND_CHECKS[BtfKind.DATASEC] = (words, w, vlen, size, _names, at, id) => {
  if (size !== 0) checkDatasec(words, w + 3, vlen, size, at, id);
};
KIND_CHECKS[BtfKind.FLOAT] = (_words, w, _vlen, size, _names, at, id) => {
  if (!sizeIn(FLOAT_SIZES, size)) throw new BtfError(`FLOAT size ${size} is not 2, 4, 8, 12 or 16`, { offset: at + 4 * w + 8, typeId: id });
};
KIND_CHECKS[BtfKind.DECL_TAG] = (words, w, _vlen, _size, _names, at, id) => {
  const componentIdx = words[w + 3]! | 0;
  if (componentIdx < -1) throw new BtfError(`DECL_TAG component_idx ${componentIdx} is below -1`, { offset: at + 4 * (w + 3), typeId: id });
};

function checkInt(data: number, size: number, where: number, id: number): void {
  const encoding = (data >>> 24) & 0x0f;
  const bitsOffset = (data >>> 16) & 0xff;
  const nrBits = data & 0xff;
  if ((data & 0xf000ff00) !== 0 || !sizeIn(INT_SIZES, size) || (encoding !== 0 && encoding !== 1 && encoding !== 2 && encoding !== 4) || nrBits > 128 || bitsOffset + nrBits > size * 8) {
    throw badInt(data, size, where, id);
  }
}

function checkMemberNames(words: Uint32Array, body: number, vlen: number, names: NameReader, at: number, id: number): void {
  const strEnd = names.end;
  for (let i = 0, p = body; i < vlen; i++, p += 3) {
    const off = words[p]!;
    if (off >= strEnd) throw nameOutside(off, strEnd, at + 4 * p, id);
    if (!names.isIdentOrEmpty(off)) throw notIdent(names, `member ${i} name`, off, at + 4 * p, id);
  }
}

function checkEnum(words: Uint32Array, body: number, kind: number, vlen: number, size: number, names: NameReader, where: number, at: number, id: number): void {
  // clang before 15 writes a forward-declared enum (`enum e;`) as size 0 and no
  // values: libbpf and bpftool take it (the kernel's btf_enum_check_meta does not)
  if (!sizeIn(ENUM_SIZES, size) && !(size === 0 && vlen === 0)) {
    throw new BtfError(`${kindName(kind)} size ${size} is not 1, 2, 4 or 8`, { offset: where + 8, typeId: id });
  }
  const strEnd = names.end;
  const step = PER_VLEN_WORDS[kind]!;
  for (let i = 0, p = body; i < vlen; i++, p += step) {
    const off = words[p]!;
    if (off >= strEnd) throw nameOutside(off, strEnd, at + 4 * p, id);
    if (names.isEmpty(off)) throw new BtfError(`${kindName(kind)} value ${i} has no name`, { offset: at + 4 * p, typeId: id });
    if (!names.isIdentOrEmpty(off)) throw notIdent(names, `${kindName(kind)} value ${i} name`, off, at + 4 * p, id);
  }
}

function checkParams(words: Uint32Array, body: number, vlen: number, names: NameReader, at: number, id: number): void {
  const strEnd = names.end;
  for (let i = 0, p = body; i < vlen; i++, p += 2) {
    const off = words[p]!;
    if (off >= strEnd) throw nameOutside(off, strEnd, at + 4 * p, id);
    if (!names.isIdentOrEmpty(off)) throw notIdent(names, `parameter ${i} name`, off, at + 4 * p, id);
    if (words[p + 1] !== 0) continue;
    if (i !== vlen - 1) {
      throw new BtfError(`FUNC_PROTO parameter ${i} has type void; only the last parameter may (variadic '...')`, { offset: at + 4 * p, typeId: id });
    }
    if (!names.isEmpty(off)) {
      throw new BtfError(`FUNC_PROTO variadic marker (last parameter, type void) must have no name, has '${names.get(off)}'`, { offset: at + 4 * p, typeId: id });
    }
  }
}

function checkDatasec(words: Uint32Array, body: number, vlen: number, secSize: number, at: number, id: number): void {
  for (let i = 0, p = body; i < vlen; i++, p += 3) {
    const off = words[p + 1]!;
    const size = words[p + 2]!;
    if (off > secSize || size > secSize - off) {
      throw new BtfError(`DATASEC variable ${i} [${off}, ${off + size}) runs past the section size ${secSize}`, { offset: at + 4 * p, typeId: id });
    }
  }
}

// Error builders for the scan (kept out of its loop).

function badInfo(info: number, kind: number, offset: number, id: number): BtfError {
  if ((info & ~BTF_INFO_MASK) !== 0) {
    return new BtfError(`reserved bits set in info word 0x${(info >>> 0).toString(16).padStart(8, "0")}`, { offset: offset + 4, typeId: id });
  }
  const hint = kind > BTF_KIND_MAX ? "this BTF may come from a newer kernel than btfsnoop knows" : "kind 0 is reserved for void and is never encoded";
  return new BtfError(`unknown kind ${kind}`, { offset: offset + 4, typeId: id }, { hint });
}

function badShape(info: number, kind: number, vlen: number, recWords: number, leftWords: number, offset: number, id: number): BtfError {
  if (recWords > leftWords) {
    return new BtfError(`truncated ${kindName(kind)} record: vlen ${vlen} needs ${4 * recWords} bytes, only ${4 * leftWords} left in the type section`, {
      offset,
      typeId: id,
    });
  }
  if (PER_VLEN_WORDS[kind] === 0 && vlen !== 0 && kind !== BtfKind.FUNC) {
    return new BtfError(`${kindName(kind)} must have vlen 0, has ${vlen}`, { offset: offset + 4, typeId: id });
  }
  void info;
  return new BtfError(`kind_flag is not allowed on ${kindName(kind)}`, { offset: offset + 4, typeId: id });
}

function badInt(data: number, size: number, offset: number, id: number): BtfError {
  const encoding = (data >>> 24) & 0x0f;
  const bitsOffset = (data >>> 16) & 0xff;
  const nrBits = data & 0xff;
  if ((data & 0xf000ff00) !== 0) return new BtfError(`reserved bits set in INT data 0x${data.toString(16)}`, { offset: offset + 12, typeId: id });
  if (!sizeIn(INT_SIZES, size)) return new BtfError(`INT size ${size} is not 1, 2, 4, 8 or 16`, { offset: offset + 8, typeId: id });
  if (encoding !== 0 && encoding !== 1 && encoding !== 2 && encoding !== 4) {
    return new BtfError(`INT encoding ${encoding} is not one of none, SIGNED, CHAR, BOOL`, { offset: offset + 12, typeId: id });
  }
  return new BtfError(`INT bits_offset ${bitsOffset} + nr_bits ${nrBits} exceed its ${size * 8} bits`, { offset: offset + 12, typeId: id });
}

function nameOutside(off: number, strEnd: number, offset: number, id: number): BtfError {
  return new BtfError(`name offset ${off} is outside the string section (${strEnd} bytes)`, { offset, typeId: id });
}

function notIdent(names: NameReader, what: string, off: number, offset: number, id: number): BtfError {
  return new BtfError(`${what} '${names.get(off)}' is not a valid C identifier`, { offset, typeId: id });
}
