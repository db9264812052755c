// The `json` BTF dump: the document `bpftool -j btf dump file F` prints
// (compact, one trailing newline). Numbers follow bpftool's C types, e.g. an
// unsigned ENUM value is the s32 field widened to u64 as bpftool does.
// Strings are escaped as valid JSON (bpftool's writer mis-escapes '\\' and
// '\'' ; names made of identifier characters come out byte-identical).
// The whole-BTF dump writes parsed records straight from their wire words as
// bytes (writeJsonRecord); formatJsonType formats decoded (changed or built) types.
import type { Btf } from "../btf.js";
import { BtfKind, kindName } from "../kinds.js";
import type { AnyType, TypeId } from "../types.js";
import { ByteOut } from "./byte-out.js";
import { enum64Text, intEncodingName, linkageName, rawName } from "./raw.js";
import { collect, type TextSink } from "./sink.js";

const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;

function str(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** One type as a JSON object (no separators). */
export function formatJsonType(btf: Btf, id: TypeId, t: AnyType): string {
  let s = `{"id":${id},"kind":"${kindName(t.kind)}","name":${str(rawName(t.name))}`;
  switch (t.kind) {
    case BtfKind.INT:
      s += `,"size":${t.size},"bits_offset":${t.bitsOffset},"nr_bits":${t.nrBits},"encoding":"${intEncodingName(t.encoding)}"`;
      break;
    case BtfKind.PTR:
    case BtfKind.CONST:
    case BtfKind.VOLATILE:
    case BtfKind.RESTRICT:
    case BtfKind.TYPEDEF:
    case BtfKind.TYPE_TAG:
      s += `,"type_id":${t.type}`;
      break;
    case BtfKind.ARRAY:
      s += `,"type_id":${t.type},"index_type_id":${t.indexType},"nr_elems":${t.nelems}`;
      break;
    case BtfKind.STRUCT:
    case BtfKind.UNION:
      s += `,"size":${t.size},"vlen":${t.members.length},"members":[`;
      s += t.members
        .map(
          (m) =>
            `{"name":${str(rawName(m.name))},"type_id":${m.type},"bits_offset":${m.bitsOffset}` +
            (m.bitfieldSize ? `,"bitfield_size":${m.bitfieldSize}}` : "}"),
        )
        .join(",");
      s += "]";
      break;
    case BtfKind.ENUM:
      s += `,"encoding":"${t.signed ? "SIGNED" : "UNSIGNED"}","size":${t.size},"vlen":${t.values.length},"values":[`;
      // bpftool passes the __s32 field to jsonw_uint_field (u64): negative bit patterns widen.
      s += t.values
        .map((v) => `{"name":${str(rawName(v.name))},"val":${t.signed ? v.value : BigInt.asUintN(64, BigInt(v.value | 0))}}`)
        .join(",");
      s += "]";
      break;
    case BtfKind.ENUM64:
      s += `,"encoding":"${t.signed ? "SIGNED" : "UNSIGNED"}","size":${t.size},"vlen":${t.values.length},"values":[`;
      s += t.values
        .map((v) => `{"name":${str(rawName(v.name))},"val":${t.signed ? BigInt.asIntN(64, v.value) : BigInt.asUintN(64, v.value)}}`)
        .join(",");
      s += "]";
      break;
    case BtfKind.FWD:
      s += `,"fwd_kind":"${t.union ? "union" : "struct"}"`;
      break;
    case BtfKind.FUNC:
      s += `,"type_id":${t.type},"linkage":"${linkageName(t.linkage)}"`;
      break;
    case BtfKind.FUNC_PROTO:
      s += `,"ret_type_id":${t.returnType},"vlen":${t.params.length},"params":[`;
      s += t.params.map((p) => `{"name":${str(rawName(p.name))},"type_id":${p.type}}`).join(",");
      s += "]";
      break;
    case BtfKind.VAR:
      s += `,"type_id":${t.type},"linkage":"${linkageName(t.linkage)}"`;
      break;
    case BtfKind.DATASEC:
      s += `,"size":${t.size},"vlen":${t.vars.length},"vars":[`;
      s += t.vars.map((v) => `{"type_id":${v.type},"offset":${v.offset},"size":${v.size}}`).join(",");
      s += "]";
      break;
    case BtfKind.FLOAT:
      s += `,"size":${t.size}`;
      break;
    case BtfKind.DECL_TAG:
      s += `,"type_id":${t.type},"component_idx":${t.componentIdx}`;
      break;
    default:
      break;
  }
  return s + "}";
}

/** The whole JSON document `{"types":[...]}` followed by a newline. */
export function dumpJson(btf: Btf, rootIds?: readonly TypeId[]): string {
  return collect((sink) => writeJson(btf, sink, rootIds));
}

/** Streams the JSON document into `sink`. */
export function writeJson(btf: Btf, sink: TextSink, rootIds?: readonly TypeId[]): void {
  const out = new ByteOut(sink);
  out.ascii('{"types":[');
  if (rootIds) {
    for (let i = 0; i < rootIds.length; i++) writeJsonType(btf, out, rootIds[i]!, true, i > 0);
  } else {
    for (let id = btf.startId; id < btf.typeCount; id++) writeJsonType(btf, out, id, false, id > btf.startId);
  }
  out.ascii("]}\n");
  out.flush();
}

function writeJsonType(btf: Btf, out: ByteOut, id: TypeId, keep: boolean, sep: boolean): void {
  if (sep) out.byte(44);
  if (btf.isWire(id)) writeJsonRecord(btf, out, id);
  else out.text(formatJsonType(btf, id, keep ? btf.typeById(id) : btf.decodeType(id)));
  out.endRecord();
}

/** `"name":"..."` value of the name at `off` ("(anon)" when empty). */
function jsonName(btf: Btf, out: ByteOut, off: number): void {
  if (off === 0) {
    out.ascii('"(anon)"');
    return;
  }
  const table = btf.stringTableFor(off)!;
  const local = off - table.startOffset;
  if (table.bytes[local] === 0) {
    out.ascii('"(anon)"');
    return;
  }
  out.byte(34);
  if (out.plainName(table, local)) out.byte(34);
  else {
    out.pos--;
    out.text(str(table.get(off)));
  }
}

/** formatJsonType of an own, never-decoded type, read from its wire words. */
function writeJsonRecord(btf: Btf, out: ByteOut, id: TypeId): void {
  const raw = btf.wire!;
  const words = raw.words;
  const w = raw.starts[id - btf.startId]!;
  const info = words[w + 1]!;
  const kind = (info >>> 24) & 0x1f;
  const vlen = info & 0xffff;
  const kflag = info >>> 31 === 1;
  const sizeOrType = words[w + 2]!;
  const body = w + 3;
  out.ascii('{"id":');
  out.uint(id);
  out.ascii(',"kind":"');
  out.ascii(KIND_NAMES[kind]!);
  out.ascii('","name":');
  jsonName(btf, out, words[w]!);
  const bodyOf = JSON_BODIES[kind];
  if (bodyOf) bodyOf(btf, out, words, body, vlen, kflag, sizeOrType);
  out.byte(125);
}

/** Writes the kind-specific part of a record (one small function per kind: each is optimized on its own). */
type BodyWriter = (btf: Btf, out: ByteOut, words: Uint32Array, body: number, vlen: number, kflag: boolean, sizeOrType: number) => void;

function jsonInt(btf: Btf, out: ByteOut, words: Uint32Array, body: number, vlen: number, kflag: boolean, sizeOrType: number): void {
  const data = words[body]!;
  out.ascii(',"size":');
  out.uint(sizeOrType);
  out.ascii(',"bits_offset":');
  out.uint((data >>> 16) & 0xff);
  out.ascii(',"nr_bits":');
  out.uint(data & 0xff);
  out.ascii(',"encoding":"');
  out.ascii(intEncodingName((data >>> 24) & 0x0f));
  out.byte(34);
}

function jsonRef(btf: Btf, out: ByteOut, words: Uint32Array, body: number, vlen: number, kflag: boolean, sizeOrType: number): void {
  out.ascii(',"type_id":');
  out.uint(sizeOrType);
}

function jsonArray(btf: Btf, out: ByteOut, words: Uint32Array, body: number, vlen: number, kflag: boolean, sizeOrType: number): void {
  out.ascii(',"type_id":');
  out.uint(words[body]!);
  out.ascii(',"index_type_id":');
  out.uint(words[body + 1]!);
  out.ascii(',"nr_elems":');
  out.uint(words[body + 2]!);
}

function jsonMembers(btf: Btf, out: ByteOut, words: Uint32Array, body: number, vlen: number, kflag: boolean, sizeOrType: number): void {
  out.ascii(',"size":');
  out.uint(sizeOrType);
  out.ascii(',"vlen":');
  out.uint(vlen);
  out.ascii(',"members":[');
  for (let i = 0, p = body; i < vlen; i++, p += 3) {
    const off = words[p + 2]!;
    out.ascii(i ? ',{"name":' : '{"name":');
    jsonName(btf, out, words[p]!);
    out.ascii(',"type_id":');
    out.uint(words[p + 1]!);
    out.ascii(',"bits_offset":');
    out.uint(kflag ? off & 0xffffff : off);
    if (kflag && off >>> 24 !== 0) {
      out.ascii(',"bitfield_size":');
      out.uint(off >>> 24);
    }
    out.byte(125);
  }
  out.byte(93);
}

function jsonEnum(btf: Btf, out: ByteOut, words: Uint32Array, body: number, vlen: number, kflag: boolean, sizeOrType: number): void {
  out.ascii(kflag ? ',"encoding":"SIGNED","size":' : ',"encoding":"UNSIGNED","size":');
  out.uint(sizeOrType);
  out.ascii(',"vlen":');
  out.uint(vlen);
  out.ascii(',"values":[');
  for (let i = 0, p = body; i < vlen; i++, p += 2) {
    const v = words[p + 1]!;
    out.ascii(i ? ',{"name":' : '{"name":');
    jsonName(btf, out, words[p]!);
    out.ascii(',"val":');
    // bpftool passes the __s32 field to jsonw_uint_field (u64): negative bit patterns widen.
    if (kflag) out.int(v | 0);
    else if (v < 0x80000000) out.uint(v);
    else out.ascii(String(BigInt.asUintN(64, BigInt(v | 0))));
    out.byte(125);
  }
  out.byte(93);
}

function jsonEnum64(btf: Btf, out: ByteOut, words: Uint32Array, body: number, vlen: number, kflag: boolean, sizeOrType: number): void {
  out.ascii(kflag ? ',"encoding":"SIGNED","size":' : ',"encoding":"UNSIGNED","size":');
  out.uint(sizeOrType);
  out.ascii(',"vlen":');
  out.uint(vlen);
  out.ascii(',"values":[');
  for (let i = 0, p = body; i < vlen; i++, p += 3) {
    out.ascii(i ? ',{"name":' : '{"name":');
    jsonName(btf, out, words[p]!);
    out.ascii(',"val":');
    out.ascii(enum64Text(words[p + 1]!, words[p + 2]!, kflag));
    out.byte(125);
  }
  out.byte(93);
}

function jsonFwd(btf: Btf, out: ByteOut, words: Uint32Array, body: number, vlen: number, kflag: boolean, sizeOrType: number): void {
  out.ascii(kflag ? ',"fwd_kind":"union"' : ',"fwd_kind":"struct"');
}

function jsonFunc(btf: Btf, out: ByteOut, words: Uint32Array, body: number, vlen: number, kflag: boolean, sizeOrType: number): void {
  out.ascii(',"type_id":');
  out.uint(sizeOrType);
  out.ascii(',"linkage":"');
  out.ascii(linkageName(vlen));
  out.byte(34);
}

function jsonProto(btf: Btf, out: ByteOut, words: Uint32Array, body: number, vlen: number, kflag: boolean, sizeOrType: number): void {
  out.ascii(',"ret_type_id":');
  out.uint(sizeOrType);
  out.ascii(',"vlen":');
  out.uint(vlen);
  out.ascii(',"params":[');
  for (let i = 0, p = body; i < vlen; i++, p += 2) {
    out.ascii(i ? ',{"name":' : '{"name":');
    jsonName(btf, out, words[p]!);
    out.ascii(',"type_id":');
    out.uint(words[p + 1]!);
    out.byte(125);
  }
  out.byte(93);
}

function jsonVar(btf: Btf, out: ByteOut, words: Uint32Array, body: number, vlen: number, kflag: boolean, sizeOrType: number): void {
  out.ascii(',"type_id":');
  out.uint(sizeOrType);
  out.ascii(',"linkage":"');
  out.ascii(linkageName(words[body]!));
  out.byte(34);
}

function jsonDatasec(btf: Btf, out: ByteOut, words: Uint32Array, body: number, vlen: number, kflag: boolean, sizeOrType: number): void {
  out.ascii(',"size":');
  out.uint(sizeOrType);
  out.ascii(',"vlen":');
  out.uint(vlen);
  out.ascii(',"vars":[');
  for (let i = 0, p = body; i < vlen; i++, p += 3) {
    out.ascii(i ? ',{"type_id":' : '{"type_id":');
    out.uint(words[p]!);
    out.ascii(',"offset":');
    out.uint(words[p + 1]!);
    out.ascii(',"size":');
    out.uint(words[p + 2]!);
    out.byte(125);
  }
  out.byte(93);
}

function jsonFloat(btf: Btf, out: ByteOut, words: Uint32Array, body: number, vlen: number, kflag: boolean, sizeOrType: number): void {
  out.ascii(',"size":');
  out.uint(sizeOrType);
}

function jsonDecltag(btf: Btf, out: ByteOut, words: Uint32Array, body: number, vlen: number, kflag: boolean, sizeOrType: number): void {
  out.ascii(',"type_id":');
  out.uint(sizeOrType);
  out.ascii(',"component_idx":');
  out.int(words[body]! | 0);
}

const JSON_BODIES: (BodyWriter | undefined)[] = [];
JSON_BODIES[BtfKind.INT] = jsonInt;
JSON_BODIES[BtfKind.PTR] = jsonRef;
JSON_BODIES[BtfKind.CONST] = jsonRef;
JSON_BODIES[BtfKind.VOLATILE] = jsonRef;
JSON_BODIES[BtfKind.RESTRICT] = jsonRef;
JSON_BODIES[BtfKind.TYPEDEF] = jsonRef;
JSON_BODIES[BtfKind.TYPE_TAG] = jsonRef;
JSON_BODIES[BtfKind.ARRAY] = jsonArray;
JSON_BODIES[BtfKind.STRUCT] = jsonMembers;
JSON_BODIES[BtfKind.UNION] = jsonMembers;
JSON_BODIES[BtfKind.ENUM] = jsonEnum;
JSON_BODIES[BtfKind.ENUM64] = jsonEnum64;
JSON_BODIES[BtfKind.FWD] = jsonFwd;
JSON_BODIES[BtfKind.FUNC] = jsonFunc;
JSON_BODIES[BtfKind.FUNC_PROTO] = jsonProto;
JSON_BODIES[BtfKind.VAR] = jsonVar;
JSON_BODIES[BtfKind.DATASEC] = jsonDatasec;
JSON_BODIES[BtfKind.FLOAT] = jsonFloat;
JSON_BODIES[BtfKind.DECL_TAG] = jsonDecltag;

const KIND_NAMES: readonly string[] = Array.from({ length: 32 }, (_, k) => kindName(k));
