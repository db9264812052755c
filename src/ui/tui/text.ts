// Plain-text helpers of the TUI (no React, no tracer state): fitting text
// to a column width, durations, compact one-line events, the dedented
// btf_dump view of the detail pane and log2 histogram bars. Components only
// lay these strings out, so every frame is a pure function of the model.
import type { Btf } from "../../btf/btf.js";
import type { TraceEvent, TraceValue } from "../../tracer/event.js";
import { formatKsnoopEvent } from "../format/ksnoop-text.js";
import { errnoName, hexPointer } from "../format/ndjson.js";

/** Exactly `width` columns: truncated with `…` or padded with spaces. */
export function fit(s: string, width: number): string {
  if (width <= 0) return "";
  if (s.length > width) return width === 1 ? "…" : s.slice(0, width - 1) + "…";
  return s.padEnd(width, " ");
}

/** Right-aligned in `width` columns (truncated from the left when too long). */
export function fitRight(s: string, width: number): string {
  if (width <= 0) return "";
  if (s.length > width) return s.slice(s.length - width);
  return s.padStart(width, " ");
}

/** A duration in ns, short: `0ns`, `850ns`, `12.3us`, `4.56ms`, `1.20s`. */
export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return "-";
  if (ns < 1_000) return `${Math.round(ns)}ns`;
  if (ns < 1_000_000) return `${(ns / 1_000).toFixed(ns < 10_000 ? 2 : 1)}us`;
  if (ns < 1_000_000_000) return `${(ns / 1_000_000).toFixed(ns < 10_000_000 ? 2 : 1)}ms`;
  return `${(ns / 1_000_000_000).toFixed(2)}s`;
}

/** A count exactly when it fits in `width` columns, else short (formatCount). */
export function formatCountIn(n: number, width: number): string {
  const exact = String(n);
  return exact.length <= width ? exact : formatCount(n);
}

/** A count or rate, short: `950`, `12.3k`, `4.5M`. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return "-";
  if (n < 10_000) return String(Math.round(n));
  if (n < 1_000_000) return `${(n / 1_000).toFixed(1)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/** Simulated ns as milliseconds with 3 decimals (`12.300`). */
export function formatMs(ns: bigint): string {
  const us = ns / 1000n;
  const neg = us < 0n;
  const a = neg ? -us : us;
  return `${neg ? "-" : ""}${a / 1000n}.${String(a % 1000n).padStart(3, "0")}`;
}

/**
 * The value as a signed integer when it is a plain integer (no pointer,
 * string or read error): the captured bytes (1, 2, 4 or 8) read signed, else
 * the raw u64 as a signed 64-bit number.
 */
export function signedValue(v: TraceValue): bigint | undefined {
  if (v.ptr !== undefined || v.string !== undefined || v.error !== undefined) return undefined;
  const d = v.data;
  if (d && [1, 2, 4, 8].includes(d.length)) {
    const dv = new DataView(d.buffer, d.byteOffset, d.length);
    if (d.length === 1) return BigInt(dv.getInt8(0));
    if (d.length === 2) return BigInt(dv.getInt16(0, true));
    if (d.length === 4) return BigInt(dv.getInt32(0, true));
    return dv.getBigInt64(0, true);
  }
  if (d && d.length > 8) return undefined;
  return BigInt.asIntN(64, v.raw);
}

/** One value, compact: `size=544`, `sk=0xffff…`, `name="lo"`, `skb=<EFAULT>`. */
export function compactValue(v: TraceValue): string {
  if (v.error !== undefined) return `<${errnoName(v.error)}>`;
  if (v.string !== undefined) return JSON.stringify(v.string);
  if (v.ptr !== undefined) return hexPointer(v.ptr);
  const n = signedValue(v);
  return n === undefined ? hexPointer(v.raw) : String(n);
}

/** One event on one line: `  12.300 1     6 tcp_sendmsg(sk=0x…, size=544)` or `… tcp_sendmsg = 544`. */
export function compactEvent(ev: TraceEvent, startNs: bigint): string {
  // Never cut: a time past 99999 ms (or a tid past 99999) widens its column.
  const head = `${formatMs(ev.timeNs - startNs).padStart(9)} ${ev.cpu} ${String(ev.tid >>> 0).padStart(5)} `;
  if (ev.kind === "return") {
    const ret = ev.values.find((v) => v.name === "return");
    const rest = ev.values.filter((v) => v.name !== "return").map((v) => `${v.name}=${compactValue(v)}`);
    return `${head}${ev.func}${rest.length ? `(${rest.join(", ")})` : ""} = ${ret ? compactValue(ret) : "?"}`;
  }
  return `${head}${ev.func}(${ev.values.map((v) => `${v.name}=${compactValue(v)}`).join(", ")})`;
}

/**
 * The full btf_dump view of an event (ksnoop text) with the common
 * indentation of its value lines removed. The time is the TUI's clock (ms
 * since `startNs`, as the header and the event rows show it), not ksnoop's
 * absolute ns: the first lines say when, where and who, then the function
 * line without ksnoop's time, cpu and pid columns.
 */
export function detailLines(btf: Btf, ev: TraceEvent, startNs: bigint): string[] {
  const lines = formatKsnoopEvent(btf, ev).replace(/\n+$/, "").split("\n");
  let cut = Infinity;
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.trim() !== "") cut = Math.min(cut, l.length - l.trimStart().length);
  }
  cut = cut === Infinity ? 0 : Math.max(0, cut - 1);
  const out = [`t=+${formatMs(ev.timeNs - startNs)}ms cpu ${ev.cpu} ${ev.kind}`, `${ev.comm} pid ${ev.pid} tid ${ev.tid}`, `${ev.func}(`];
  for (let i = 1; i < lines.length; i++) out.push(lines[i]!.slice(cut));
  return out;
}

/** log2 bucket of a non-negative number: 0 for 0, k+1 for [2^k, 2^(k+1)). */
export function log2Bucket(n: number): number {
  if (!(n > 0)) return 0;
  return Math.min(63, Math.floor(Math.log2(n)) + 1);
}

/** The range a log2 bucket covers, as bpftrace prints it: `[0]`, `[1]`, `[2, 4)`, `[4K, 8K)`. */
export function bucketLabel(b: number): string {
  if (b <= 0) return "[0]";
  if (b === 1) return "[1]";
  const unit = (k: number): string => {
    const units = ["", "K", "M", "G", "T", "P", "E"];
    const u = Math.floor(k / 10);
    return `${2 ** (k - u * 10)}${units[u] ?? "?"}`;
  };
  return `[${unit(b - 1)}, ${unit(b)})`;
}

/** Histogram rows `label count |@@@@   |`, trimmed to the non-empty range, at most `height` rows. */
export function histogramRows(buckets: readonly number[], negatives: number, width: number, height: number): string[] {
  const rows: { label: string; count: number }[] = [];
  if (negatives) rows.push({ label: "(<0)", count: negatives });
  let lo = buckets.findIndex((c) => c > 0);
  let hi = buckets.length - 1;
  while (hi >= 0 && !(buckets[hi]! > 0)) hi--;
  if (lo >= 0) for (let b = lo; b <= hi; b++) rows.push({ label: bucketLabel(b), count: buckets[b] ?? 0 });
  if (!rows.length) return [];
  // Too many rows: keep the top ones (the biggest values are the interesting tail).
  const shown = rows.length > height ? rows.slice(rows.length - height) : rows;
  lo = 0;
  let max = 0;
  let labelW = 0;
  let countW = 0;
  for (const r of shown) {
    max = Math.max(max, r.count);
    labelW = Math.max(labelW, r.label.length);
    countW = Math.max(countW, String(r.count).length);
  }
  const barW = Math.max(1, width - labelW - countW - 4);
  return shown.map((r) => {
    const n = max ? Math.round((r.count / max) * barW) : 0;
    return fit(`${r.label.padEnd(labelW)} ${String(r.count).padStart(countW)} |${"@".repeat(n).padEnd(barW)}|`, width);
  });
}
