// Call trees as text (retsnoop-like) and as JSON. Text: one header line per
// tree, then one line per call indented by depth, with its captured
// arguments, duration and return value (errno names for failures, marked
// with `!`). JSON: one object per tree (docs/json.md).
//
// Values are rendered by their C type, as the plain trace renders them
// (the NDJSON "value"): signed and unsigned integers of the type's width
// (a register's upper bits do not leak in), bool as true/false, enums by
// enumerator name, chars as numbers, char arrays and `char *` strings as
// strings, pointers as 0x hex (the pointer itself, never the pointee), floats
// as numbers, aggregates passed by value as compact JSON. A value that could
// not be read shows as `?` (JSON null); a pointer's address is always known.
import type { Btf } from "../../btf/btf.js";
import { jsonInteger, toJsonValue, type JsonValue } from "../../btf/format/value-json.js";
import { BtfKind, IntEncoding } from "../../btf/kinds.js";
import { resolveSize, skipModsAndTypedefs } from "../../btf/layout.js";
import { errnoName } from "../../internal/errno.js";
import type { CallNode, CallTree } from "../../tracer/call-tree.js";
import type { TraceValue } from "../../tracer/event.js";
import { cStringLiteral } from "./ksnoop-text.js";

/** 1.234ms, 56.7us, 890ns. */
export function formatDuration(ns: bigint): string {
  const n = Number(ns);
  if (n >= 1e6) return `${(n / 1e6).toFixed(3)}ms`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(3)}us`;
  return `${n}ns`;
}

const MAX_ERRNO = 4095n;

/** The BTF type a value's type resolves to (typedefs and qualifiers skipped), or undefined when the BTF has no such id. */
function resolved(btf: Btf, id: number) {
  if (id === 0 || !btf.hasId(id)) return undefined;
  try {
    return btf.typeById(skipModsAndTypedefs(btf, id));
  } catch {
    return undefined;
  }
}

/** `raw` as the little-endian bytes of a `size`-byte object (a register holding a scalar). */
function rawBytes(raw: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let v = BigInt.asUintN(64, raw);
  for (let i = 0; i < size && i < 8; i++, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

/**
 * The value's JSON by its C type (the same as the NDJSON "value" for
 * everything but pointers, which are the pointer as "0x…", not the
 * pointee); null when it could not be read.
 */
export function treeValueJson(btf: Btf, v: TraceValue): JsonValue {
  if (v.string !== undefined) return v.string;
  if (v.ptr !== undefined) return "0x" + BigInt.asUintN(64, v.ptr).toString(16);
  if (v.error !== undefined) return null;
  const t = resolved(btf, v.typeId);
  if (t === undefined) return jsonInteger(BigInt.asIntN(64, v.raw));
  if (t.kind === BtfKind.PTR) return "0x" + BigInt.asUintN(64, v.raw).toString(16);
  if (v.data !== undefined) return toJsonValue(btf, v.typeId, v.data);
  // No bytes captured (kernel rendering): scalars come from the register.
  const size = resolveSize(btf, v.typeId);
  if (size <= 0 || size > 8) return null;
  return toJsonValue(btf, v.typeId, rawBytes(v.raw, size));
}

/** The value as text in a call-tree line: `-100`, `0xffff8881…`, `true`, `TCP_ESTABLISHED`, `"lo"`, `?`. */
export function treeValueText(btf: Btf, v: TraceValue): string {
  const j = treeValueJson(btf, v);
  if (j === null) return "?";
  if (typeof j === "string") {
    // Strings that are not pointers, enumerator names or float specials are C strings.
    if (v.string !== undefined) return cStringLiteral(j);
    const t = resolved(btf, v.typeId);
    if (t?.kind === BtfKind.ARRAY) return cStringLiteral(j);
    return j;
  }
  return typeof j === "object" ? JSON.stringify(j) : String(j);
}

/**
 * The errno a return value stands for, by its C type: a signed integer of
 * 4 or 8 bytes in -4095..-1, or an ERR_PTR pointer (IS_ERR_VALUE); 0 for
 * anything else. Without a type (unknown id) the register is read as a
 * signed 64-bit value.
 */
export function returnErrno(btf: Btf, v: TraceValue | undefined): number {
  if (!v || v.error !== undefined) return 0;
  const t = resolved(btf, v.typeId);
  let s: bigint;
  if (t === undefined || t.kind === BtfKind.PTR) s = BigInt.asIntN(64, v.raw);
  else if (t.kind === BtfKind.INT && (t.encoding & IntEncoding.SIGNED) !== 0 && t.size >= 4 && t.size <= 8) s = BigInt.asIntN(t.size * 8, v.raw);
  else return 0;
  return s < 0n && s >= -MAX_ERRNO ? Number(s) : 0;
}

/** ` = value`, with the errno name for failures. */
function retText(btf: Btf, v: TraceValue | undefined): string {
  if (!v) return "";
  const errno = returnErrno(btf, v);
  const t = resolved(btf, v.typeId);
  // A failing int shows as its errno value; an ERR_PTR as the pointer, then the errno.
  const text = treeValueText(btf, v);
  if (errno === 0) return ` = ${text}`;
  return t?.kind === BtfKind.PTR ? ` = ${text} (${errnoName(errno)})` : ` = ${errno} (${errnoName(errno)})`;
}

function lines(btf: Btf, n: CallNode, depth: number, out: string[]): void {
  const args = n.args.map((a) => `${a.name}=${treeValueText(btf, a)}`).join(", ");
  const call = `${"  ".repeat(depth)}${n.failed ? "!" : " "} ${n.func}(${args})`;
  out.push(`${call.padEnd(60)} ${formatDuration(n.end - n.start).padStart(11)}${retText(btf, n.ret)}`);
  for (const c of n.children) lines(btf, c, depth + 1, out);
}

/** One tree as text: the header line, a line per call, a blank line. */
export function formatCallTree(btf: Btf, t: CallTree): string {
  const out = [`${t.root.start} ns  cpu ${t.cpu}  ${t.comm} ${t.pid}/${t.tid}  ${formatDuration(t.root.end - t.root.start)}`];
  lines(btf, t.root, 1, out);
  return out.join("\n") + "\n\n";
}

/** One call as JSON: {func, start_ns, duration_ns, args, ret?, failed?, errno?, calls}. */
function nodeJson(btf: Btf, n: CallNode): Record<string, JsonValue> {
  const args: { [name: string]: JsonValue } = {};
  for (const a of n.args) args[a.name] = treeValueJson(btf, a);
  const errno = n.failed ? returnErrno(btf, n.ret) : 0;
  return {
    func: n.func,
    start_ns: jsonInteger(n.start),
    duration_ns: jsonInteger(n.end - n.start),
    args,
    ...(n.ret ? { ret: treeValueJson(btf, n.ret) } : {}),
    ...(n.failed ? { failed: true } : {}),
    ...(errno !== 0 ? { errno: errnoName(errno) } : {}),
    calls: n.children.map((c) => nodeJson(btf, c)),
  };
}

/** One tree as a JSON line: {time_ns (its outermost call's entry, ns since boot), pid, tid, comm, cpu, tree} (with the trailing "\n"). */
export function formatCallTreeJson(btf: Btf, t: CallTree): string {
  return JSON.stringify({ time_ns: jsonInteger(t.root.start), pid: t.pid, tid: t.tid, comm: t.comm, cpu: t.cpu, tree: nodeJson(btf, t.root) }) + "\n";
}
