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
import { jsonInteger, toJsonValue, type JsonValue } from "../../btf/format/value-json.js";
import { Errno } from "../../internal/errno.js";
import type { TraceEvent, TraceValue } from "../../tracer/event.js";

const ERRNO_NAMES = new Map<number, string>(Object.entries(Errno).map(([name, n]) => [n, name]));

/** "EFAULT" for -14 (or 14); unknown numbers as "E<n>". */
export function errnoName(error: number): string {
  const n = Math.abs(error);
  return ERRNO_NAMES.get(n) ?? `E${n}`;
}

/** The C type name, or "?" when the id does not spell. */
export function safeTypeName(btf: Btf, id: number): string {
  try {
    return cTypeName(btf, id);
  } catch {
    return "?";
  }
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

/** One event as a JSON line (with the trailing "\n"). */
export function formatJsonEvent(btf: Btf, ev: TraceEvent): string {
  const values = ev.values.map((v) => {
    const o: { [key: string]: JsonValue } = { name: v.name, type: safeTypeName(btf, v.typeId) };
    if (v.ptr !== undefined) o.ptr = hexPointer(v.ptr);
    const value = traceValueJson(btf, v);
    if (value !== undefined) o.value = value;
    if (isTruncated(v)) o.truncated = true;
    if (v.error !== undefined) o.error = errnoName(v.error);
    return o;
  });
  const line: { [key: string]: JsonValue } = {
    time_ns: jsonInteger(ev.timeNs),
    cpu: ev.cpu,
    pid: ev.pid,
    tid: ev.tid,
    comm: ev.comm,
    func: ev.func,
    kind: ev.kind,
    values,
  };
  return JSON.stringify(line) + "\n";
}
