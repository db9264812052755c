// Test fixtures: paths, gunzipped reads, the vmlinux BTF parsed once per
// worker, and a text comparison that reports the first differing line.
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { parseBtf, type Btf } from "../../src/btf/index.js";

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures");
export const VMLINUX_DIR = join(FIXTURES, "vmlinux-6.18");

/** Reads a fixture file, gunzipping `.gz` files. */
export function readFixture(path: string): Buffer {
  const data = readFileSync(path);
  return path.endsWith(".gz") ? gunzipSync(data) : data;
}

let vmlinuxBytesCache: Buffer | undefined;
let vmlinuxCache: Btf | undefined;

export function vmlinuxBytes(): Buffer {
  return (vmlinuxBytesCache ??= readFixture(join(VMLINUX_DIR, "vmlinux.btf.gz")));
}

/** The vmlinux 6.18 BTF, parsed once per test worker. Treat as read-only. */
export function vmlinuxBtf(): Btf {
  return (vmlinuxCache ??= parseBtf(vmlinuxBytes()));
}

/** undefined when equal, else a short report of the first differing line with context. */
export function textDiff(actual: string, expected: string, context = 3): string | undefined {
  if (actual === expected) return undefined;
  const a = actual.split("\n");
  const e = expected.split("\n");
  let i = 0;
  while (i < a.length && i < e.length && a[i] === e[i]) i++;
  const from = Math.max(0, i - context);
  const show = (lines: string[]) => lines.slice(from, i + context + 1).map((l, k) => `${from + k + 1}: ${l}`).join("\n");
  return `first difference at line ${i + 1} (actual has ${a.length} lines, expected ${e.length})\n--- expected\n${show(e)}\n--- actual\n${show(a)}`;
}

/**
 * Compares `actual` with the golden file at `path`. With UPDATE_GOLDEN=1 the
 * file is (re)written instead; otherwise a missing golden is a failure.
 */
export function checkGolden(path: string, actual: string): string | undefined {
  if (process.env.UPDATE_GOLDEN === "1") {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return undefined;
  }
  if (!existsSync(path)) return `golden file ${path} is missing (run with UPDATE_GOLDEN=1 to create it)`;
  return textDiff(actual, readFileSync(path, "utf8"));
}
