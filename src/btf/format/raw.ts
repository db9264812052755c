// The `raw` BTF dump: one record per type exactly as `bpftool btf dump file F
// format raw` prints it (bpftool v7.x dump_btf_type()).
import type { Btf } from "../btf.js";
import { BtfKind, kindName } from "../kinds.js";
import type { AnyType, TypeId } from "../types.js";
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
  if (rootIds) {
    for (const id of rootIds) sink.write(formatRawType(btf, id, btf.typeById(id)) + "\n");
    return;
  }
  for (let id = btf.startId; id < btf.typeCount; id++) sink.write(formatRawType(btf, id, btf.decodeType(id)) + "\n");
}
