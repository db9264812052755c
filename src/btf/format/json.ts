// The `json` BTF dump: the document `bpftool -j btf dump file F` prints
// (compact, one trailing newline). Numbers follow bpftool's C types, e.g. an
// unsigned ENUM value is the s32 field widened to u64 as bpftool does.
// Strings are escaped as valid JSON (bpftool's writer mis-escapes '\\' and
// '\'' ; names made of identifier characters come out byte-identical).
import type { Btf } from "../btf.js";
import { BtfKind, kindName } from "../kinds.js";
import type { AnyType, TypeId } from "../types.js";
import { intEncodingName, linkageName, rawName } from "./raw.js";
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
  sink.write('{"types":[');
  let sep = "";
  if (rootIds) {
    for (const id of rootIds) {
      sink.write(sep + formatJsonType(btf, id, btf.typeById(id)));
      sep = ",";
    }
  } else {
    for (let id = btf.startId; id < btf.typeCount; id++) {
      sink.write(sep + formatJsonType(btf, id, btf.decodeType(id)));
      sep = ",";
    }
  }
  sink.write("]}\n");
}
