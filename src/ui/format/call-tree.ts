// Call trees as text (retsnoop-like): one header line per tree, then one
// line per call indented by depth, with its captured arguments, duration and
// return value (errno names for failures, marked with `!`).
import { errnoName } from "../../internal/errno.js";
import type { CallNode, CallTree } from "../../tracer/call-tree.js";
import type { TraceValue } from "../../tracer/event.js";

/** 1.234ms, 56.7us, 890ns. */
export function formatDuration(ns: bigint): string {
  const n = Number(ns);
  if (n >= 1e6) return `${(n / 1e6).toFixed(3)}ms`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(3)}us`;
  return `${n}ns`;
}

function valueText(v: TraceValue): string {
  if (v.error !== undefined) return `?`;
  if (v.ptr !== undefined) return `0x${v.ptr.toString(16)}`;
  if (v.string !== undefined) return JSON.stringify(v.string);
  return String(v.raw);
}

/** ` = value` as a signed register, with the errno name for -4095..-1. */
function retText(v: TraceValue | undefined): string {
  if (!v) return "";
  const s = BigInt.asIntN(64, v.raw);
  if (s < 0n && s >= -4095n) return ` = ${s} (${errnoName(Number(s))})`;
  return ` = ${s}`;
}

function lines(n: CallNode, depth: number, out: string[]): void {
  const args = n.args.map((a) => `${a.name}=${valueText(a)}`).join(", ");
  const call = `${"  ".repeat(depth)}${n.failed ? "!" : " "} ${n.func}(${args})`;
  out.push(`${call.padEnd(60)} ${formatDuration(n.end - n.start).padStart(11)}${retText(n.ret)}`);
  for (const c of n.children) lines(c, depth + 1, out);
}

export function formatCallTree(t: CallTree): string {
  const out = [`${t.root.start} ns  cpu ${t.cpu}  ${t.comm} ${t.pid}/${t.tid}  ${formatDuration(t.root.end - t.root.start)}`];
  lines(t.root, 1, out);
  return out.join("\n") + "\n\n";
}
