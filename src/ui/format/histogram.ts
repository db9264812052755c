// Aggregation output in bpftrace's text format: `@[key]: N` count maps
// (sorted by count, ascending, as bpftrace prints them), log2 `hist` and
// linear `lhist` histograms (16-column label, 8-column count, 52-column
// bar of `@`, leading and trailing empty buckets trimmed), and a
// time-by-latency heatmap in gray shades (the seed's tracex3 picture),
// plus the JSON form of each (one object per interval).

/** bpftrace's power label: 2^p with K/M/G/T/P/E for multiples of 2^10. */
export function powerLabel(p: number): string {
  const decade = Math.min(6, Math.floor(p / 10));
  const suffix = ["", "K", "M", "G", "T", "P", "E"][decade]!;
  return `${2n ** BigInt(p - 10 * decade)}${suffix}`;
}

/** The label of log2 histogram index i (0: negative, 1: [0], 2: [1], then [2^(i-2), 2^(i-1))). */
export function log2Label(i: number): string {
  if (i === 0) return "(..., 0)";
  if (i === 1) return "[0]";
  if (i === 2) return "[1]";
  return `[${powerLabel(i - 2)}, ${powerLabel(i - 1)})`;
}

/** bpftrace's lhist number label: K/M suffixes only when the step is a multiple of 1024. */
function lhistNumber(n: bigint, step: bigint): string {
  if (step % 1024n !== 0n || n === 0n) return String(n);
  if (n % 1048576n === 0n) return `${n / 1048576n}M`;
  if (n % 1024n === 0n) return `${n / 1024n}K`;
  return String(n);
}

function row(label: string, count: number, max: number): string {
  const width = max > 0 ? Math.floor((count / max) * 52) : 0;
  return `${label.padEnd(16)}${String(count).padStart(8)} |${"@".repeat(width).padEnd(52)}|\n`;
}

/** Rows for `values` (index -> count), from the first to the last non-empty index. */
function rows(values: readonly number[], label: (i: number) => string): string {
  let first = -1;
  let last = -1;
  let max = 0;
  values.forEach((v, i) => {
    if (v > 0) {
      if (first < 0) first = i;
      last = i;
    }
    if (v > max) max = v;
  });
  if (last < 0) return "";
  let out = "";
  for (let i = first; i <= last; i++) out += row(label(i), values[i] ?? 0, max);
  return out;
}

/**
 * A log2 histogram from the kernel's buckets: `bucket` 0 for 0, 1 for 1,
 * 1 + floor(log2 v) above, and BUCKET_UNDER (all ones) for negative values.
 */
export function formatLog2(cells: readonly { bucket: bigint; count: number }[]): string {
  const values: number[] = [];
  for (const c of cells) {
    const i = c.bucket === 0xffffffffffffffffn ? 0 : Number(c.bucket) + 1;
    values[i] = (values[i] ?? 0) + c.count;
  }
  for (let i = 0; i < values.length; i++) values[i] ??= 0;
  return rows(values, log2Label);
}

/** A linear histogram: `bucket` k in [0, n) for [min + k*step, ...), n for >= max, BUCKET_UNDER below min. */
export function formatLinear(cells: readonly { bucket: bigint; count: number }[], min: bigint, max: bigint, step: bigint): string {
  const n = Number((max - min) / step);
  const values = new Array<number>(n + 2).fill(0);
  for (const c of cells) {
    const i = c.bucket === 0xffffffffffffffffn ? 0 : Math.min(Number(c.bucket), n) + 1;
    values[i]! += c.count;
  }
  return rows(values, (i) => {
    if (i === 0) return `(..., ${lhistNumber(min, step)})`;
    if (i === n + 1) return `[${lhistNumber(max, step)}, ...)`;
    return `[${lhistNumber(min + BigInt(i - 1) * step, step)}, ${lhistNumber(min + BigInt(i) * step, step)})`;
  });
}

/** `@[key]: N` lines, ascending by count (ties by key), as bpftrace prints count maps. */
export function formatCounts(entries: readonly { key: string; count: number }[]): string {
  return [...entries]
    .sort((a, b) => a.count - b.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((e) => `@[${e.key}]: ${e.count}\n`)
    .join("");
}

const SHADES = [" ", "░", "▒", "▓", "█"];

/**
 * A heatmap: one row per log2 latency bucket (highest first), one column
 * per time slot, each cell shaded by its count relative to the busiest
 * cell; 256-color gray blocks when `color` is set (ANSI 232..255).
 */
export function formatHeatmap(cells: readonly { bucket: bigint; slot: number; count: number }[], slotNs: bigint, color = false): string {
  if (!cells.length) return "";
  const slots = [...new Set(cells.map((c) => c.slot))].sort((a, b) => a - b);
  const first = slots[0]!;
  const last = slots[slots.length - 1]!;
  const buckets = [...new Set(cells.map((c) => Number(c.bucket)))].sort((a, b) => b - a);
  // A loop, not Math.max(...counts): a long run has more cells than a call takes arguments.
  let max = 0;
  for (const c of cells) if (c.count > max) max = c.count;
  const at = new Map(cells.map((c) => [`${Number(c.bucket)}:${c.slot}`, c.count]));
  let out = "";
  for (const b of buckets) {
    let line = `${log2Label(b + 1).padEnd(16)}|`;
    for (let s = first; s <= last; s++) {
      const n = at.get(`${b}:${s}`) ?? 0;
      if (color) {
        const level = n === 0 ? 232 : 232 + Math.max(1, Math.round((n / max) * 23));
        line += `\x1b[48;5;${level}m \x1b[0m`;
      } else line += SHADES[n === 0 ? 0 : Math.max(1, Math.ceil((n / max) * (SHADES.length - 1)))]!;
    }
    out += `${line}|\n`;
  }
  const span = Number(slotNs) / 1e6;
  out += `${"".padEnd(16)} ${last - first + 1} columns of ${span} ms (simulated time), shades by count (max ${max})\n`;
  return out;
}
