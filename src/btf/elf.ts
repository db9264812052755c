// ELF64 object reading, just enough to find sections by name: the `.BTF`
// section of a gcc+pahole or clang `-target bpf` object (and `.BTF.ext`).
// Both byte orders are read; ELF32 is refused with a clear error.
import { BtfError } from "./errors.js";

export interface ElfSection {
  name: string;
  type: number;
  /** File offset of the section's bytes. */
  offset: number;
  size: number;
}

const SHT_NOBITS = 8;
const SHN_XINDEX = 0xffff;

/** Whether the bytes start with the ELF magic. */
export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

function u64(view: DataView, off: number, le: boolean, what: string): number {
  const v = view.getBigUint64(off, le);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new BtfError(`ELF ${what} ${v} is out of range`, { offset: off });
  return Number(v);
}

/** Lists an ELF64 file's sections. Throws BtfError for anything malformed. */
export function readElfSections(bytes: Uint8Array): ElfSection[] {
  if (!isElf(bytes)) throw new BtfError("not an ELF file (bad magic)", { offset: 0 });
  if (bytes.length < 64) throw new BtfError(`ELF header truncated: file is ${bytes.length} bytes, the ELF64 header needs 64`, { offset: 0 });
  const cls = bytes[4];
  if (cls === 1) throw new BtfError("32-bit ELF objects are not supported (need ELF64)", { offset: 4 });
  if (cls !== 2) throw new BtfError(`unknown ELF class ${cls}`, { offset: 4 });
  const data = bytes[5];
  if (data !== 1 && data !== 2) throw new BtfError(`unknown ELF data encoding ${data}`, { offset: 5 });
  const le = data === 1;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shoff = u64(view, 0x28, le, "section header offset");
  const shentsize = view.getUint16(0x3a, le);
  let shnum = view.getUint16(0x3c, le);
  let shstrndx = view.getUint16(0x3e, le);
  if (shoff === 0) throw new BtfError("ELF file has no section header table", { offset: 0x28 });
  if (shentsize !== 64) throw new BtfError(`ELF section header size ${shentsize}, expected 64`, { offset: 0x3a });
  const header = (i: number): number => {
    const at = shoff + i * 64;
    if (at + 64 > bytes.length) throw new BtfError(`ELF section header ${i} at ${at} runs past the end of the file (${bytes.length} bytes)`, { offset: at });
    return at;
  };
  if (shnum === 0 || shstrndx === SHN_XINDEX) {
    const h0 = header(0);
    if (shnum === 0) shnum = u64(view, h0 + 32, le, "section count");
    if (shstrndx === SHN_XINDEX) shstrndx = view.getUint32(h0 + 40, le);
  }
  if (shnum * 64 > bytes.length) throw new BtfError(`ELF claims ${shnum} sections, more than the file can hold`, { offset: 0x3c });
  const raw: { nameOff: number; type: number; offset: number; size: number; at: number }[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = header(i);
    const type = view.getUint32(at + 4, le);
    const offset = u64(view, at + 24, le, "section offset");
    const size = u64(view, at + 32, le, "section size");
    if (type !== SHT_NOBITS && (offset > bytes.length || size > bytes.length - offset)) {
      throw new BtfError(`ELF section ${i} [${offset}, ${offset + size}) runs past the end of the file (${bytes.length} bytes)`, { offset: at + 24 });
    }
    raw.push({ nameOff: view.getUint32(at, le), type, offset, size, at });
  }
  const strtab = raw[shstrndx];
  if (!strtab) throw new BtfError(`ELF section name table index ${shstrndx} is out of range (${shnum} sections)`, { offset: 0x3e });
  const names = bytes.subarray(strtab.offset, strtab.offset + strtab.size);
  const nameAt = (off: number, at: number): string => {
    if (off >= names.length) throw new BtfError(`ELF section name offset ${off} is outside the name table (${names.length} bytes)`, { offset: at });
    let end = off;
    while (end < names.length && names[end] !== 0) end++;
    return Buffer.from(names.buffer, names.byteOffset + off, end - off).toString("latin1");
  };
  return raw.map((s) => ({ name: nameAt(s.nameOff, s.at), type: s.type, offset: s.offset, size: s.size }));
}

/** The `.BTF` section of an ELF object: its bytes and file offset. Throws BtfError (ENODATA) if absent. */
export function findBtfSection(bytes: Uint8Array, name = ".BTF"): { bytes: Uint8Array; offset: number } {
  const sec = readElfSections(bytes).find((s) => s.name === name);
  if (!sec || sec.type === SHT_NOBITS) {
    throw new BtfError(`ELF object has no ${name} section`, {}, {
      errno: "ENODATA",
      hint: "compile with -g and convert with `pahole -J`, or build with `clang -target bpf -g`",
    });
  }
  return { bytes: bytes.subarray(sec.offset, sec.offset + sec.size), offset: sec.offset };
}
