// ELF64 relocatable object reading for the loader: the file header, section
// headers (name, type, flags, link, info), the symbol table and REL/RELA
// entries, in either byte order. It knows nothing about BPF beyond the
// machine number: open.ts gives the sections meaning. Every malformed case is
// an ElfError naming the byte offset in the file where the problem is.
import { BtfsnoopError } from "../internal/errors.js";
import type { ErrnoName } from "../internal/errno.js";

export const ET_REL = 1;
export const EM_NONE = 0;
export const EM_BPF = 247;

export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;

export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;

export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
export const SHN_XINDEX = 0xffff;

export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;

export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;
export const STT_FILE = 4;

export const STV_DEFAULT = 0;
export const STV_HIDDEN = 2;

/** R_BPF_64_64: lddw of a symbol's address (maps, data, function pointers, externs). */
export const R_BPF_64_64 = 1;
/** R_BPF_64_32: a call's imm (bpf-to-bpf calls, kfuncs). */
export const R_BPF_64_32 = 10;

const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const REL_SIZE = 16;
const RELA_SIZE = 24;

/** A malformed ELF file: the reason and the byte offset in the file. */
export class ElfError extends BtfsnoopError {
  readonly offset: number;
  readonly reason: string;
  constructor(reason: string, offset: number, options?: { hint?: string; errno?: ErrnoName }) {
    super(options?.errno ?? "EINVAL", `invalid ELF at offset ${offset} (0x${offset.toString(16)}): ${reason}`, { hint: options?.hint });
    this.name = "ElfError";
    this.offset = offset;
    this.reason = reason;
  }
}

export interface ElfSectionHeader {
  /** Index in the section header table. */
  index: number;
  name: string;
  type: number;
  flags: number;
  /** File offset of the section's bytes (meaningless for SHT_NOBITS). */
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
  /** File offset of this section's header (for error messages). */
  headerOffset: number;
}

export interface ElfSymbol {
  /** Index in the symbol table. */
  index: number;
  name: string;
  value: number;
  size: number;
  /** STT_* */
  type: number;
  /** STB_* */
  binding: number;
  /** STV_* */
  visibility: number;
  /** Section index (SHN_UNDEF for externs, SHN_ABS, ...). */
  shndx: number;
  /** File offset of the symbol's entry. */
  entryOffset: number;
}

export interface ElfRelocation {
  /** Byte offset in the section the relocation applies to. */
  offset: number;
  /** Index in the symbol table. */
  symbol: number;
  /** R_BPF_* type. */
  type: number;
  /** RELA only. */
  addend?: bigint;
  /** File offset of this entry. */
  entryOffset: number;
}

export interface ElfFile {
  littleEndian: boolean;
  /** e_type (ET_REL for objects). */
  type: number;
  /** e_machine (EM_BPF). */
  machine: number;
  sections: ElfSectionHeader[];
  /** The section's bytes (zeros for SHT_NOBITS). */
  data(section: ElfSectionHeader): Uint8Array;
  /** The symbol table (empty when there is none). */
  symbols: ElfSymbol[];
  /** The symbol table section, if any. */
  symtab: ElfSectionHeader | undefined;
  /** Entries of a SHT_REL or SHT_RELA section; symbol indexes are checked against the symbol table. */
  relocations(section: ElfSectionHeader): ElfRelocation[];
  sectionByName(name: string): ElfSectionHeader | undefined;
}

/** Whether the bytes start with the ELF magic. */
export function hasElfMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

/** Reads an ELF64 file's structure. Throws ElfError for anything malformed. */
export function readElf(bytes: Uint8Array): ElfFile {
  if (bytes.length < 4 || !hasElfMagic(bytes)) {
    throw new ElfError(bytes.length < 4 ? `file is ${bytes.length} bytes, too short for the ELF magic` : "not an ELF file (bad magic)", 0, {
      hint: "pass an object compiled with `clang -target bpf -c`",
    });
  }
  if (bytes.length < EHDR_SIZE) throw new ElfError(`file is ${bytes.length} bytes, too short for the ELF64 header (64 bytes)`, 0, { hint: "the file is truncated" });
  const cls = bytes[4]!;
  if (cls === 1) throw new ElfError("32-bit ELF objects are not supported (BPF objects are ELF64)", 4);
  if (cls !== 2) throw new ElfError(`unknown ELF class ${cls}`, 4);
  const encoding = bytes[5]!;
  if (encoding !== 1 && encoding !== 2) throw new ElfError(`unknown ELF data encoding ${encoding} (1 = little-endian, 2 = big-endian)`, 5);
  if (bytes[6] !== 1) throw new ElfError(`unknown ELF version ${bytes[6]!}`, 6);
  const le = encoding === 1;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (off: number) => view.getUint16(off, le);
  const u32 = (off: number) => view.getUint32(off, le);
  const u64 = (off: number, what: string): number => {
    const v = view.getBigUint64(off, le);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError(`${what} ${v} is out of range`, off);
    return Number(v);
  };

  const type = u16(0x10);
  const machine = u16(0x12);
  const shoff = u64(0x28, "section header table offset");
  const shentsize = u16(0x3a);
  let shnum = u16(0x3c);
  let shstrndx = u16(0x3e);
  if (shoff === 0) throw new ElfError("the file has no section header table (e_shoff is 0)", 0x28);
  if (shentsize !== SHDR_SIZE) throw new ElfError(`section header size ${shentsize}, expected ${SHDR_SIZE}`, 0x3a);
  const headerAt = (i: number): number => {
    const at = shoff + i * SHDR_SIZE;
    if (at + SHDR_SIZE > bytes.length) {
      throw new ElfError(`section header ${i} [${at}, ${at + SHDR_SIZE}) runs past the end of the file (${bytes.length} bytes)`, at, { hint: "the file is truncated" });
    }
    return at;
  };
  if (shnum === 0 || shstrndx === SHN_XINDEX) {
    // Extended numbering: the real values are in section header 0.
    const h0 = headerAt(0);
    if (shnum === 0) shnum = u64(h0 + 32, "extended section count");
    if (shstrndx === SHN_XINDEX) shstrndx = u32(h0 + 40);
  }
  if (shnum === 0) throw new ElfError("the section header table is empty", 0x3c);
  if (shnum > Math.floor((bytes.length - Math.min(shoff, bytes.length)) / SHDR_SIZE)) {
    throw new ElfError(`${shnum} section headers at offset ${shoff} run past the end of the file (${bytes.length} bytes)`, 0x3c, { hint: "the file is truncated" });
  }

  const raw: (Omit<ElfSectionHeader, "name"> & { nameOff: number })[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = headerAt(i);
    const secType = u32(at + 4);
    const offset = u64(at + 24, "section offset");
    const size = u64(at + 32, "section size");
    if (i > 0 && secType !== SHT_NOBITS && secType !== SHT_NULL && (offset > bytes.length || size > bytes.length - offset)) {
      throw new ElfError(`section ${i}'s bytes [${offset}, ${offset + size}) run past the end of the file (${bytes.length} bytes)`, at + 24, {
        hint: "the file is truncated",
      });
    }
    raw.push({
      index: i,
      nameOff: u32(at),
      type: secType,
      flags: u64(at + 8, "section flags"),
      offset,
      size,
      link: u32(at + 40),
      info: u32(at + 44),
      addralign: u64(at + 48, "section alignment"),
      entsize: u64(at + 56, "section entry size"),
      headerOffset: at,
    });
  }
  const strtab = raw[shstrndx];
  if (!strtab || shstrndx === 0) throw new ElfError(`section name table index ${shstrndx} is out of range (${shnum} sections)`, 0x3e);
  if (strtab.type !== SHT_STRTAB) throw new ElfError(`section name table (section ${shstrndx}) has type ${strtab.type}, not SHT_STRTAB`, strtab.headerOffset + 4);
  const shstr = bytes.subarray(strtab.offset, strtab.offset + strtab.size);
  const sections: ElfSectionHeader[] = raw.map(({ nameOff, ...s }) => ({
    ...s,
    name: cString(shstr, nameOff, strtab.offset, s.headerOffset, "section name"),
  }));

  const data = (s: ElfSectionHeader): Uint8Array => (s.type === SHT_NOBITS ? new Uint8Array(s.size) : bytes.subarray(s.offset, s.offset + s.size));

  // The symbol table.
  const symtabs = sections.filter((s) => s.type === SHT_SYMTAB);
  if (symtabs.length > 1) throw new ElfError(`more than one symbol table (sections ${symtabs.map((s) => s.index).join(", ")})`, symtabs[1]!.headerOffset + 4);
  const symtab = symtabs[0];
  const symbols: ElfSymbol[] = [];
  if (symtab) {
    if (symtab.entsize !== SYM_SIZE) throw new ElfError(`symbol table entry size ${symtab.entsize}, expected ${SYM_SIZE}`, symtab.headerOffset + 56);
    if (symtab.size % SYM_SIZE !== 0) throw new ElfError(`symbol table size ${symtab.size} is not a multiple of ${SYM_SIZE}`, symtab.headerOffset + 32);
    const strs = sections[symtab.link];
    if (!strs || symtab.link === 0 || strs.type !== SHT_STRTAB) {
      throw new ElfError(`symbol table's string table (section ${symtab.link}) is missing or not SHT_STRTAB`, symtab.headerOffset + 40);
    }
    const names = data(strs);
    const count = symtab.size / SYM_SIZE;
    for (let i = 0; i < count; i++) {
      const at = symtab.offset + i * SYM_SIZE;
      const info = bytes[at + 4]!;
      const shndx = u16(at + 6);
      if (shndx !== SHN_UNDEF && shndx < SHN_LORESERVE && shndx >= shnum) {
        throw new ElfError(`symbol ${i} names section ${shndx}, but there are ${shnum} sections`, at + 6);
      }
      symbols.push({
        index: i,
        name: cString(names, u32(at), strs.offset, at, "symbol name"),
        type: info & 0xf,
        binding: info >> 4,
        visibility: bytes[at + 5]! & 0x3,
        shndx,
        value: u64(at + 8, "symbol value"),
        size: u64(at + 16, "symbol size"),
        entryOffset: at,
      });
    }
  }

  const relocations = (s: ElfSectionHeader): ElfRelocation[] => {
    const rela = s.type === SHT_RELA;
    if (!rela && s.type !== SHT_REL) throw new ElfError(`section '${s.name}' is not a relocation section (type ${s.type})`, s.headerOffset + 4);
    const entSize = rela ? RELA_SIZE : REL_SIZE;
    if (s.size % entSize !== 0) throw new ElfError(`relocation section '${s.name}' size ${s.size} is not a multiple of ${entSize}`, s.headerOffset + 32);
    if (!symtab || s.link !== symtab.index) {
      throw new ElfError(`relocation section '${s.name}' links section ${s.link}, which is not the symbol table`, s.headerOffset + 40);
    }
    const out: ElfRelocation[] = [];
    for (let at = s.offset; at < s.offset + s.size; at += entSize) {
      const offset = u64(at, "relocation offset");
      const info = view.getBigUint64(at + 8, le);
      const symbol = Number(info >> 32n);
      if (symbol >= symbols.length) {
        throw new ElfError(`relocation in '${s.name}' names symbol ${symbol}, but the symbol table has ${symbols.length}`, at + 8);
      }
      const r: ElfRelocation = { offset, symbol, type: Number(info & 0xffffffffn), entryOffset: at };
      if (rela) r.addend = view.getBigInt64(at + 16, le);
      out.push(r);
    }
    return out;
  };

  const byName = new Map<string, ElfSectionHeader>();
  for (const s of sections) if (!byName.has(s.name)) byName.set(s.name, s);
  return {
    littleEndian: le,
    type,
    machine,
    sections,
    data,
    symbols,
    symtab,
    relocations,
    sectionByName: (name) => byName.get(name),
  };
}

/** A NUL-terminated string at `off` in a string table. `tableAt` is the table's file offset, `refAt` where the reference is. */
function cString(table: Uint8Array, off: number, tableAt: number, refAt: number, what: string): string {
  if (off >= table.length) {
    throw new ElfError(`${what} offset ${off} is outside its string table (${table.length} bytes at offset ${tableAt})`, refAt);
  }
  let end = off;
  while (end < table.length && table[end] !== 0) end++;
  if (end === table.length) throw new ElfError(`${what} at string table offset ${off} is not NUL-terminated`, tableAt + off);
  return Buffer.from(table.buffer, table.byteOffset + off, end - off).toString("latin1");
}
