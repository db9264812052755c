// Durations on the command line (`--duration 500ms`, `2s`, `1.5s`, `100us`,
// `1m`): parsed to nanoseconds of simulated time.
import { UsageError } from "./errors.js";

const UNITS: Readonly<Record<string, bigint>> = { ns: 1n, us: 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n };

/** `text` as nanoseconds; UsageError for anything else. */
export function parseDuration(text: string): bigint {
  const m = /^\s*(\d+)(?:\.(\d{1,9}))?\s*(ns|us|ms|s|m)?\s*$/.exec(text);
  if (!m) throw new UsageError(`--duration '${text}': expected a number and a unit (ns, us, ms, s, m), e.g. 500ms`);
  const unit = UNITS[m[3] ?? "s"]!;
  const frac = m[2] ?? "";
  const ns = BigInt(m[1]!) * unit + (BigInt(frac || "0") * unit) / 10n ** BigInt(frac.length);
  if (ns === 0n) throw new UsageError(`--duration '${text}': must be more than 0`);
  return ns;
}
