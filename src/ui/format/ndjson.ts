// The NDJSON output: one JSON object per event, one line each.
//
//   {"time_ns":…,"cpu":…,"pid":…,"tid":…,"comm":"…","func":"…","kind":"entry",
//    "values":[{"name":"skb","type":"struct sk_buff *","ptr":"0x…","value":{…}}]}
//
// Per value: "type" is the C spelling of the value's type (cTypeName);
// "ptr" for pointers; "value" is the decoded data (toJsonValue), the string
// for `char *` captured as a string, or — extension — the kernel-rendered
// text when only that was captured; "truncated": true when fewer bytes than
// the object's size were captured; "error": the errno name ("EFAULT") when
// reading failed (then there is no "value"). time_ns (and any 64-bit
// integer) is a number up to 2^53 and a decimal string beyond.
import type { Btf } from "../../btf/btf.js";
import { cTypeName } from "../../btf/c-name.js";
import { jsonInteger, toJsonText, toJsonValue, type JsonValue } from "../../btf/format/value-json.js";
import { errnoName } from "../../internal/errno.js";
import type { TraceEvent, TraceValue } from "../../tracer/event.js";

export { errnoName };

/** The C type name, or "?" when the id does not spell. */
export function safeTypeName(btf: Btf, id: number): string {
  try {
    return cTypeName(btf, id);
  } catch {
    return "?";
  }
}

/** safeTypeName() as a JSON string, cached per Btf (dropped when types are added). */
const typeNameCache = new WeakMap<Btf, { typeCount: number; names: Map<number, string> }>();
function typeNameJson(btf: Btf, id: number): string {
  let c = typeNameCache.get(btf);
  if (c === undefined || c.typeCount !== btf.typeCount) {
    c = { typeCount: btf.typeCount, names: new Map() };
    typeNameCache.set(btf, c);
  }
  let s = c.names.get(id);
  if (s === undefined) {
    s = JSON.stringify(safeTypeName(btf, id));
    c.names.set(id, s);
  }
  return s;
}

/** A pointer as "0x…" (unsigned 64-bit). */
export function hexPointer(p: bigint): string {
  return "0x" + BigInt.asUintN(64, p).toString(16);
}

/** The JSON value of a TraceValue (undefined when it has none, i.e. on error). */
export function traceValueJson(btf: Btf, v: TraceValue): JsonValue | undefined {
  if (v.error !== undefined) return undefined;
  if (v.string !== undefined) return v.string;
  if (v.data !== undefined) return toJsonValue(btf, v.dataTypeId, v.data);
  if (v.text !== undefined) return v.text;
  return v.ptr !== undefined ? hexPointer(v.ptr) : jsonInteger(v.raw);
}

/** Whether fewer bytes than the object's size were captured. */
export function isTruncated(v: TraceValue): boolean {
  return v.data !== undefined && v.data.length < v.fullSize;
}

/** traceValueJson() as JSON text (undefined when it has none, i.e. on error). */
export function traceValueJsonText(btf: Btf, v: TraceValue): string | undefined {
  if (v.error !== undefined) return undefined;
  if (v.string !== undefined) return JSON.stringify(v.string);
  if (v.data !== undefined) return toJsonText(btf, v.dataTypeId, v.data);
  if (v.text !== undefined) return JSON.stringify(v.text);
  return v.ptr !== undefined ? '"' + hexPointer(v.ptr) + '"' : JSON.stringify(jsonInteger(v.raw));
}

/** A number as JSON.stringify writes it. */
function num(n: number): string {
  return Number.isFinite(n) ? String(n) : "null";
}

/** One event as a JSON line (with the trailing "\n"). */
export function formatJsonEvent(btf: Btf, ev: TraceEvent): string {
  // Built as text: the same bytes JSON.stringify gives for the object
  // {time_ns, cpu, pid, tid, comm, func, kind, values: [{name, type, ptr?, value?, truncated?, error?}]}.
  let s =
    '{"time_ns":' +
    JSON.stringify(jsonInteger(ev.timeNs)) +
    ',"cpu":' +
    num(ev.cpu) +
    ',"pid":' +
    num(ev.pid) +
    ',"tid":' +
    num(ev.tid) +
    ',"comm":' +
    JSON.stringify(ev.comm) +
    ',"func":' +
    JSON.stringify(ev.func) +
    ',"kind":' +
    JSON.stringify(ev.kind) +
    ',"values":[';
  const values = ev.values;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (i > 0) s += ",";
    s += '{"name":' + JSON.stringify(v.name) + ',"type":' + (v.typeName !== undefined ? JSON.stringify(v.typeName) : typeNameJson(btf, v.typeId));
    if (v.ptr !== undefined) s += ',"ptr":"' + hexPointer(v.ptr) + '"';
    const value = traceValueJsonText(btf, v);
    if (value !== undefined) s += ',"value":' + value;
    if (isTruncated(v)) s += ',"truncated":true';
    if (v.error !== undefined) s += ',"error":' + JSON.stringify(errnoName(v.error));
    s += "}";
  }
  return s + "]}\n";
}
