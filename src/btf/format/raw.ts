// The `raw` BTF dump: one record per type exactly as `bpftool btf dump file F
// format raw` prints it (bpftool v7.x dump_btf_type()). formatRawType formats
// a decoded type; the whole-BTF dump writes parsed records straight from
// their wire words as bytes (writeRawRecord) and decodes only types that
// were changed or built.
import type { Btf } from "../btf.js";
import { BtfKind, kindName } from "../kinds.js";
import type { AnyType, TypeId } from "../types.js";
import { ByteOut } from "./byte-out.js";
import { collect, type TextSink } from "./sink.js";

const INT_ENC = ["(none)", "SIGNED", "CHAR", "UNKN", "BOOL"];
const LINKAGE = ["static", "global", "extern"];

/** How bpftool names a type: '(anon)' for no name. */
export function rawName(name: string): string {
  return name === "" ? "(anon)" : name;
}

export function intEncodingName(encoding: number): string {
  return INT_ENC[encoding] ?? "UNKN";
}

export function linkageName(linkage: number): string {
  return LINKAGE[linkage] ?? "(unknown)";
}

/** One type in raw format, without the trailing newline. */
export function formatRawType(btf: Btf, id: TypeId, t: AnyType): string {
  let s = `[${id}] ${kindName(t.kind)} '${rawName(t.name)}'`;
  switch (t.kind) {
    case BtfKind.INT:
      s += ` size=${t.size} bits_offset=${t.bitsOffset} nr_bits=${t.nrBits} encoding=${intEncodingName(t.encoding)}`;
      break;
    case BtfKind.PTR:
    case BtfKind.CONST:
    case BtfKind.VOLATILE:
    case BtfKind.RESTRICT:
    case BtfKind.TYPEDEF:
    case BtfKind.TYPE_TAG:
      s += ` type_id=${t.type}`;
      break;
    case BtfKind.ARRAY:
      s += ` type_id=${t.type} index_type_id=${t.indexType} nr_elems=${t.nelems}`;
      break;
    case BtfKind.STRUCT:
    case BtfKind.UNION:
      s += ` size=${t.size} vlen=${t.members.length}`;
      for (const m of t.members) {
        s += `\n\t'${rawName(m.name)}' type_id=${m.type} bits_offset=${m.bitsOffset}`;
        if (m.bitfieldSize) s += ` bitfield_size=${m.bitfieldSize}`;
      }
      break;
    case BtfKind.ENUM:
      s += ` encoding=${t.signed ? "SIGNED" : "UNSIGNED"} size=${t.size} vlen=${t.values.length}`;
      for (const v of t.values) s += `\n\t'${rawName(v.name)}' val=${v.value}`;
      break;
    case BtfKind.ENUM64:
      s += ` encoding=${t.signed ? "SIGNED" : "UNSIGNED"} size=${t.size} vlen=${t.values.length}`;
      for (const v of t.values) s += `\n\t'${rawName(v.name)}' val=${v.value}${t.signed ? "LL" : "ULL"}`;
      break;
    case BtfKind.FWD:
      s += ` fwd_kind=${t.union ? "union" : "struct"}`;
      break;
    case BtfKind.FUNC:
      s += ` type_id=${t.type} linkage=${linkageName(t.linkage)}`;
      break;
    case BtfKind.FUNC_PROTO:
      s += ` ret_type_id=${t.returnType} vlen=${t.params.length}`;
      for (const p of t.params) s += `\n\t'${rawName(p.name)}' type_id=${p.type}`;
      break;
    case BtfKind.VAR:
      s += ` type_id=${t.type}, linkage=${linkageName(t.linkage)}`;
      break;
    case BtfKind.DATASEC:
      s += ` size=${t.size} vlen=${t.vars.length}`;
      for (const v of t.vars) {
        s += `\n\ttype_id=${v.type} offset=${v.offset} size=${v.size}`;
        if (btf.hasId(v.type)) s += ` (${kindName(btf.kindOf(v.type))} '${rawName(btf.nameOf(v.type))}')`;
      }
      break;
    case BtfKind.FLOAT:
      s += ` size=${t.size}`;
      break;
    case BtfKind.DECL_TAG:
      s += ` type_id=${t.type} component_idx=${t.componentIdx}`;
      break;
    default:
      break;
  }
  return s;
}

/**
 * The whole raw dump: every own type (a split BTF starts after its base), or
 * only `rootIds` when given, one record per line.
 */
export function dumpRaw(btf: Btf, rootIds?: readonly TypeId[]): string {
  return collect((sink) => writeRaw(btf, sink, rootIds));
}

/** Streams the raw dump into `sink`. */
export function writeRaw(btf: Btf, sink: TextSink, rootIds?: readonly TypeId[]): void {
  const out = new ByteOut(sink);
  if (rootIds) {
    for (const id of rootIds) writeRawType(btf, out, id, true);
  } else {
    for (let id = btf.startId; id < btf.typeCount; id++) writeRawType(btf, out, id, false);
  }
  out.flush();
}

function writeRawType(btf: Btf, out: ByteOut, id: TypeId, keep: boolean): void {
  if (btf.isWire(id)) writeRawRecord(btf, out, id);
  else out.text(formatRawType(btf, id, keep ? btf.typeById(id) : btf.decodeType(id)));
  out.byte(10);
  out.endRecord();
}

/** A type's name as bpftool prints it in raw dumps: `'name'` or `'(anon)'`. */
function quotedName(btf: Btf, out: ByteOut, off: number): void {
  out.byte(39);
  if (off === 0) out.ascii("(anon)");
  else {
    const table = btf.stringTableFor(off)!;
    const local = off - table.startOffset;
    if (table.bytes[local] === 0) out.ascii("(anon)");
    else if (!out.plainName(table, local)) out.text(table.get(off));
  }
  out.byte(39);
}

/** formatRawType of an own, never-decoded type, read from its wire words. */
function writeRawRecord(btf: Btf, out: ByteOut, id: TypeId): void {
  const raw = btf.wire!;
  const words = raw.words;
  const w = raw.starts[id - btf.startId]!;
  const info = words[w + 1]!;
  const kind = (info >>> 24) & 0x1f;
  const vlen = info & 0xffff;
  const kflag = info >>> 31 === 1;
  const sizeOrType = words[w + 2]!;
  const body = w + 3;
  out.byte(91);
  out.uint(id);
  out.ascii("] ");
  out.ascii(KIND_NAMES[kind]!);
  out.byte(32);
  quotedName(btf, out, words[w]!);
  const bodyOf = RAW_BODIES[kind];
  if (bodyOf) bodyOf(btf, out, words, body, vlen, kflag, sizeOrType);
}

/** Writes the kind-specific part of a record (one small function per kind: each is optimized on its own). */
type BodyWriter = (btf: Btf, out: ByteOut, words: Uint32Array, body: number, vlen: number, kflag: boolean, sizeOrType: number) => void;

function rawInt(btf: Btf, out: ByteOut, words: Uint32Array, body: number, vlen: number, kflag: boolean, sizeOrType: number): void {
  const data = words[body]!;
  out.ascii(" size=");
  out.uint(sizeOrType);
  out.ascii(" bits_offset=");
  out.uint((data >>> 16) & 0xff);
  out.ascii(" nr_bits=");
  out.uint(data & 0xff);
  out.ascii(" encoding=");
  out.ascii(intEncodingName((data >>> 24) & 0x0f));
}

function rawRef(btf: Btf, out: ByteOut, words: Uint32Array, body: number, vlen: number, kflag: boolean, sizeOrType: number): void {
  out.ascii(" type_id=");
  out.uint(sizeOrType);
}

function rawArray(btf: Btf, out: ByteOut, words: Uint32Array, body: number, vlen: number, kflag: boolean, sizeOrType: number): void {
  out.ascii(" type_id=");
  out.uint(words[body]!);
  out.ascii(" index_type_id=");
  out.uint(words[body + 1]!);
  out.ascii(" nr_elems=");
  out.uint(words[body + 2]!);
}

function rawMembers(btf: Btf, out: ByteOut, words: Uint32Array, body: number, vlen: number, kflag: boolean, sizeOrType: number): void {
  out.ascii(" size=");
  out.uint(sizeOrType);
  out.ascii(" vlen=");
  out.uint(vlen);
  for (let i = 0, p = body; i < vlen; i++, p += 3) {
    const off = words[p + 2]!;
    out.ascii("\n\t");
    quotedName(btf, out, words[p]!);
    out.ascii(" type_id=");
    out.uint(words[p + 1]!);
    out.ascii(" bits_offset=");
    out.uint(kflag ? off & 0xffffff : off);
    if (kflag && off >>> 24 !== 0) {
      out.ascii(" bitfield_size=");
      out.uint(off >>> 24);
    }
  }
}

function rawEnum(btf: Btf, out: ByteOut, words: Uint32Array, body: number, vlen: number, kflag: boolean, sizeOrType: number): void {
  out.ascii(kflag ? " encoding=SIGNED size=" : " encoding=UNSIGNED size=");
  out.uint(sizeOrType);
  out.ascii(" vlen=");
  out.uint(vlen);
  for (let i = 0, p = body; i < vlen; i++, p += 2) {
    out.ascii("\n\t");
    quotedName(btf, out, words[p]!);
    out.ascii(" val=");
    if (kflag) out.int(words[p + 1]! | 0);
    else out.uint(words[p + 1]!);
  }
}

function rawEnum64(btf: Btf, out: ByteOut, words: Uint32Array, body: number, vlen: number, kflag: boolean, sizeOrType: number): void {
  out.ascii(kflag ? " encoding=SIGNED size=" : " encoding=UNSIGNED size=");
  out.uint(sizeOrType);
  out.ascii(" vlen=");
  out.uint(vlen);
  for (let i = 0, p = body; i < vlen; i++, p += 3) {
    out.ascii("\n\t");
    quotedName(btf, out, words[p]!);
    out.ascii(" val=");
    out.ascii(enum64Text(words[p + 1]!, words[p + 2]!, kflag));
    out.ascii(kflag ? "LL" : "ULL");
  }
}

function rawFwd(btf: Btf, out: ByteOut, words: Uint32Array, body: number, vlen: number, kflag: boolean, sizeOrType: number): void {
  out.ascii(kflag ? " fwd_kind=union" : " fwd_kind=struct");
}

function rawFunc(btf: Btf, out: ByteOut, words: Uint32Array, body: number, vlen: number, kflag: boolean, sizeOrType: number): void {
  out.ascii(" type_id=");
  out.uint(sizeOrType);
  out.ascii(" linkage=");
  out.ascii(linkageName(vlen));
}

function rawProto(btf: Btf, out: ByteOut, words: Uint32Array, body: number, vlen: number, kflag: boolean, sizeOrType: number): void {
  out.ascii(" ret_type_id=");
  out.uint(sizeOrType);
  out.ascii(" vlen=");
  out.uint(vlen);
  for (let i = 0, p = body; i < vlen; i++, p += 2) {
    out.ascii("\n\t");
    quotedName(btf, out, words[p]!);
    out.ascii(" type_id=");
    out.uint(words[p + 1]!);
  }
}

function rawVar(btf: Btf, out: ByteOut, words: Uint32Array, body: number, vlen: number, kflag: boolean, sizeOrType: number): void {
  out.ascii(" type_id=");
  out.uint(sizeOrType);
  out.ascii(", linkage=");
  out.ascii(linkageName(words[body]!));
}

function rawDatasec(btf: Btf, out: ByteOut, words: Uint32Array, body: number, vlen: number, kflag: boolean, sizeOrType: number): void {
  out.ascii(" size=");
  out.uint(sizeOrType);
  out.ascii(" vlen=");
  out.uint(vlen);
  for (let i = 0, p = body; i < vlen; i++, p += 3) {
    const type = words[p]!;
    out.ascii("\n\ttype_id=");
    out.uint(type);
    out.ascii(" offset=");
    out.uint(words[p + 1]!);
    out.ascii(" size=");
    out.uint(words[p + 2]!);
    if (btf.hasId(type)) out.text(` (${kindName(btf.kindOf(type))} '${rawName(btf.nameOf(type))}')`);
  }
}

function rawFloat(btf: Btf, out: ByteOut, words: Uint32Array, body: number, vlen: number, kflag: boolean, sizeOrType: number): void {
  out.ascii(" size=");
  out.uint(sizeOrType);
}

function rawDecltag(btf: Btf, out: ByteOut, words: Uint32Array, body: number, vlen: number, kflag: boolean, sizeOrType: number): void {
  out.ascii(" type_id=");
  out.uint(sizeOrType);
  out.ascii(" component_idx=");
  out.int(words[body]! | 0);
}

const RAW_BODIES: (BodyWriter | undefined)[] = [];
RAW_BODIES[BtfKind.INT] = rawInt;
RAW_BODIES[BtfKind.PTR] = rawRef;
RAW_BODIES[BtfKind.CONST] = rawRef;
RAW_BODIES[BtfKind.VOLATILE] = rawRef;
RAW_BODIES[BtfKind.RESTRICT] = rawRef;
RAW_BODIES[BtfKind.TYPEDEF] = rawRef;
RAW_BODIES[BtfKind.TYPE_TAG] = rawRef;
RAW_BODIES[BtfKind.ARRAY] = rawArray;
RAW_BODIES[BtfKind.STRUCT] = rawMembers;
RAW_BODIES[BtfKind.UNION] = rawMembers;
RAW_BODIES[BtfKind.ENUM] = rawEnum;
RAW_BODIES[BtfKind.ENUM64] = rawEnum64;
RAW_BODIES[BtfKind.FWD] = rawFwd;
RAW_BODIES[BtfKind.FUNC] = rawFunc;
RAW_BODIES[BtfKind.FUNC_PROTO] = rawProto;
RAW_BODIES[BtfKind.VAR] = rawVar;
RAW_BODIES[BtfKind.DATASEC] = rawDatasec;
RAW_BODIES[BtfKind.FLOAT] = rawFloat;
RAW_BODIES[BtfKind.DECL_TAG] = rawDecltag;

const KIND_NAMES: readonly string[] = Array.from({ length: 32 }, (_, k) => kindName(k));

/** An ENUM64 value from its two u32 halves, as a decimal (signed when the enum is). */
export function enum64Text(lo: number, hi: number, signed: boolean): string {
  if (hi === 0) return String(lo);
  const u = (BigInt(hi) << 32n) | BigInt(lo);
  return String(signed ? BigInt.asIntN(64, u) : u);
}
