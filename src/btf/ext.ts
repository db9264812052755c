// .BTF.ext: the per-instruction side tables clang emits beside .BTF in a BPF
// object (libbpf's btf_ext): func_info (which BTF FUNC starts at an insn),
// line_info (source file, line text, line and column of an insn) and CO-RE
// relocations (struct bpf_core_relo), each grouped by ELF section name. The
// header and every section are checked the way libbpf's btf_ext parsing does
// (alignment, bounds, record sizes, record counts); string offsets are checked
// against the .BTF string table. Instruction offsets stay as stored: byte
// offsets within the ELF section.
import { BtfError } from "./errors.js";
import { BTF_MAGIC } from "./kinds.js";
import type { StringTable } from "./strings.js";

/** struct bpf_func_info as stored in an object. */
export interface BtfExtFuncInfo {
  /** Byte offset of the instruction in its ELF section. */
  insnOff: number;
  typeId: number;
}

/** struct bpf_line_info as stored in an object, with its strings. */
export interface BtfExtLineInfo {
  insnOff: number;
  fileName: string;
  /** The source line's text. */
  line: string;
  lineNum: number;
  column: number;
}

/** struct bpf_core_relo as stored in an object, with its access string. */
export interface BtfExtCoreRelo {
  insnOff: number;
  typeId: number;
  /** Access string, "0:1:2". */
  access: string;
  /** enum bpf_core_relo_kind (0..12). */
  kind: number;
}

/** One ELF section's records. */
export interface BtfExtSection<T> {
  /** The ELF section the records are for ("kprobe/tcp_sendmsg", ".text"). */
  section: string;
  records: T[];
}

export interface BtfExt {
  littleEndian: boolean;
  funcInfo: BtfExtSection<BtfExtFuncInfo>[];
  lineInfo: BtfExtSection<BtfExtLineInfo>[];
  coreRelos: BtfExtSection<BtfExtCoreRelo>[];
}

export interface BtfExtParseOptions {
  /** Where the .BTF.ext section starts in the file, so error offsets are file offsets. */
  fileOffset?: number;
}

/** Header sizes: without and with the CO-RE relocation fields. */
const HDR_MIN = 24;
const HDR_CORE = 32;
/** Highest enum bpf_core_relo_kind (BPF_CORE_TYPE_MATCHES). */
const MAX_CORE_KIND = 12;

interface Table {
  what: string;
  /** Smallest record size this version of the format has. */
  minRecSize: number;
}
const FUNC: Table = { what: "func_info", minRecSize: 8 };
const LINE: Table = { what: "line_info", minRecSize: 16 };
const CORE: Table = { what: "core_relo", minRecSize: 16 };

/**
 * Parses a .BTF.ext section. `strings` is the string table of the object's
 * .BTF (section names, file names, source lines and access strings are
 * offsets into it). Throws BtfError naming the file offset.
 */
export function parseBtfExt(bytes: Uint8Array, strings: StringTable, options: BtfExtParseOptions = {}): BtfExt {
  const base = options.fileOffset ?? 0;
  const fail = (reason: string, off: number, hint?: string): never => {
    throw new BtfError(`.BTF.ext ${reason}`, { offset: base + off }, hint ? { hint } : undefined);
  };
  if (bytes.length < 8) fail(`is ${bytes.length} bytes, too short for its header (${HDR_MIN} bytes)`, 0, "the object is truncated");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le: boolean;
  if (view.getUint16(0, true) === BTF_MAGIC) le = true;
  else if (view.getUint16(0, false) === BTF_MAGIC) le = false;
  else return fail(`has bad magic 0x${view.getUint16(0, true).toString(16).padStart(4, "0")} (expected 0xeb9f)`, 0);
  if (bytes[2] !== 1) fail(`version ${bytes[2]!} is not supported (only version 1 exists)`, 2);
  if (bytes[3] !== 0) fail(`flags 0x${bytes[3]!.toString(16)} are not supported (must be 0)`, 3);
  const u32 = (off: number) => view.getUint32(off, le);
  const hdrLen = u32(4);
  if (hdrLen < HDR_MIN) fail(`header length ${hdrLen} is smaller than ${HDR_MIN}`, 4);
  if (hdrLen > bytes.length) fail(`header length ${hdrLen} exceeds the section size ${bytes.length}`, 4, "the object is truncated");

  const str = (off: number, at: number, what: string): string => {
    if (!strings.contains(off)) fail(`${what} offset ${off} is outside the .BTF string table (${strings.length} bytes)`, at);
    return strings.get(off);
  };

  /** Walks one table: record size, then per section { name_off, num_info, records }. */
  const walk = <T>(t: Table, offAt: number, read: (at: number) => T): BtfExtSection<T>[] => {
    const off = u32(offAt);
    const len = u32(offAt + 4);
    if (len === 0) return [];
    if (off % 4 !== 0) fail(`${t.what} offset ${off} is not 4-byte aligned`, offAt);
    const start = hdrLen + off;
    if (start > bytes.length || len > bytes.length - start) {
      fail(`${t.what} [${start}, ${start + len}) is not within the section (${bytes.length} bytes)`, offAt, "the object is truncated");
    }
    if (len < 4) fail(`${t.what} is ${len} bytes, too short for its record size`, offAt + 4);
    const recSize = u32(start);
    if (recSize < t.minRecSize || recSize % 4 !== 0) {
      fail(`${t.what} record size ${recSize} is invalid (at least ${t.minRecSize}, a multiple of 4)`, start);
    }
    const end = start + len;
    let at = start + 4;
    if (at === end) fail(`${t.what} has a record size but no sections`, at);
    const out: BtfExtSection<T>[] = [];
    while (at < end) {
      if (end - at < 8) fail(`${t.what} section header at ${at} is cut off (${end - at} bytes left, 8 needed)`, at);
      const section = str(u32(at), at, `${t.what} section name`);
      const count = u32(at + 4);
      if (count === 0) fail(`${t.what} for section '${section}' has no records`, at + 4);
      if (count > (end - at - 8) / recSize) {
        fail(`${t.what} for section '${section}' claims ${count} records of ${recSize} bytes, only ${end - at - 8} bytes are left`, at + 4);
      }
      at += 8;
      const records: T[] = [];
      for (let i = 0; i < count; i++, at += recSize) records.push(read(at));
      out.push({ section, records });
    }
    return out;
  };

  const funcInfo = walk(FUNC, 8, (at) => ({ insnOff: u32(at), typeId: u32(at + 4) }));
  const lineInfo = walk(LINE, 16, (at) => {
    const lineCol = u32(at + 12);
    return {
      insnOff: u32(at),
      fileName: str(u32(at + 4), at + 4, "line_info file name"),
      line: str(u32(at + 8), at + 8, "line_info line"),
      lineNum: lineCol >>> 10,
      column: lineCol & 0x3ff,
    };
  });
  let coreRelos: BtfExtSection<BtfExtCoreRelo>[] = [];
  if (hdrLen >= HDR_CORE) {
    coreRelos = walk(CORE, 24, (at) => {
      const kind = u32(at + 12);
      if (kind > MAX_CORE_KIND) fail(`core_relo kind ${kind} is unknown (0..${MAX_CORE_KIND})`, at + 12);
      const access = str(u32(at + 8), at + 8, "core_relo access string");
      if (!/^\d+(:\d+)*$/.test(access)) fail(`core_relo access string '${access}' is malformed (expected "0:1:2")`, at + 8);
      return { insnOff: u32(at), typeId: u32(at + 4), access, kind };
    });
  }
  return { littleEndian: le, funcInfo, lineInfo, coreRelos };
}
