// Reads the bpf_conformance suite's `.data` files from test/fixtures (the
// parser itself is src/vm/conformance-data.ts).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseConformanceData, type ConformanceData } from "../../src/vm/conformance-data.js";
import { FIXTURES } from "./fixtures.js";

export { parseConformanceData, type ConformanceData } from "../../src/vm/conformance-data.js";

export const CONFORMANCE_DIR = join(FIXTURES, "bpf_conformance");
export const CONFORMANCE_TESTS_DIR = join(CONFORMANCE_DIR, "tests");
export const CONFORMANCE_NEGATIVE_DIR = join(CONFORMANCE_DIR, "negative");

export function readConformanceData(path: string): ConformanceData {
  return parseConformanceData(readFileSync(path, "utf8"));
}

/** Sorted `.data` file names of a directory. */
export function listDataFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".data"))
    .sort();
}
