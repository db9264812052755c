// The helpers the per-area tracepoint tables share: a definition from a
// field list laid out as TP_STRUCT__entry does, and the field shapes the
// format files use (comm arrays, __data_loc strings, 8-byte syscall args).
import { layoutFields, type TracepointDef } from "../tracepoints.js";

export type FieldSpec = { decl: string; name: string; size: number; align?: number; signed?: boolean };

/** A tracepoint; `cls` names its event class when the record is another event's (struct trace_event_raw_<cls>). */
export function def(id: number, category: string, name: string, fields: FieldSpec[], proto: [string, string][], cls?: string): TracepointDef {
  const l = layoutFields(fields);
  const tp: TracepointDef = { id, category, name, fields: l.fields, size: l.size, proto: proto.map(([type, n]) => ({ type, name: n })) };
  return cls === undefined ? tp : { ...tp, class: cls };
}

export const comm = (name: string): FieldSpec => ({ decl: `char ${name}[16]`, name, size: 16, align: 1 });
export const dataLoc = (name: string): FieldSpec => ({ decl: `__data_loc char[] ${name}`, name, size: 4, align: 4 });
export const arg = (decl: string, name: string, signed = false): FieldSpec => ({ decl, name, size: 8, signed });
