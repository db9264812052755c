// docs/json-schema.json against real output: every JSON line of trace
// --json (with --summary), trace --tree --json and count/hist/lhist/latency
// --json validates, each against the definition of its kind, and all of
// them tell time on one base (ns since boot). The validator is a small one
// for the JSON Schema subset the schema file uses; it refuses keywords it
// does not know, so the schema cannot silently rely on more.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { FIXTURES } from "../helpers/fixtures.js";

type Schema = boolean | { [k: string]: unknown };

const ROOT = JSON.parse(readFileSync(join(FIXTURES, "..", "..", "docs", "json-schema.json"), "utf8")) as { [k: string]: unknown; $defs: Record<string, Schema> };

const ANNOTATIONS = new Set(["$schema", "$id", "title", "description", "$comment"]);
const KEYWORDS = new Set(["type", "const", "enum", "properties", "required", "additionalProperties", "items", "minimum", "pattern", "anyOf", "oneOf", "$ref", "$defs"]);

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

/** Errors of `v` against `s` (empty: valid), each with the JSON path where it is. */
export function validate(s: Schema, v: unknown, path = "$"): string[] {
  if (s === true) return [];
  if (s === false) return [`${path}: not allowed`];
  for (const k of Object.keys(s)) if (!KEYWORDS.has(k) && !ANNOTATIONS.has(k)) throw new Error(`schema keyword '${k}' at ${path} is not supported by this validator`);
  const errs: string[] = [];
  if (typeof s.$ref === "string") {
    const m = /^#\/\$defs\/(\w+)$/.exec(s.$ref);
    if (!m || ROOT.$defs[m[1]!] === undefined) throw new Error(`unresolvable $ref ${s.$ref}`);
    errs.push(...validate(ROOT.$defs[m[1]!]!, v, path));
  }
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    const t = typeOf(v);
    if (!types.includes(t) && !(t === "integer" && types.includes("number"))) errs.push(`${path}: ${t}, expected ${types.join(" or ")}`);
  }
  if ("const" in s && JSON.stringify(v) !== JSON.stringify(s.const)) errs.push(`${path}: ${JSON.stringify(v)}, expected ${JSON.stringify(s.const)}`);
  if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) errs.push(`${path}: ${JSON.stringify(v)} not one of ${JSON.stringify(s.enum)}`);
  if (typeof s.minimum === "number" && typeof v === "number" && v < s.minimum) errs.push(`${path}: ${v} < ${s.minimum}`);
  if (typeof s.pattern === "string" && typeof v === "string" && !new RegExp(s.pattern, "u").test(v)) errs.push(`${path}: '${v}' does not match ${s.pattern}`);
  if (typeOf(v) === "object") {
    const o = v as Record<string, unknown>;
    const props = (s.properties ?? {}) as Record<string, Schema>;
    for (const r of (s.required ?? []) as string[]) if (!(r in o)) errs.push(`${path}: missing '${r}'`);
    for (const [k, x] of Object.entries(o)) {
      if (k in props) errs.push(...validate(props[k]!, x, `${path}.${k}`));
      else if (s.additionalProperties !== undefined) errs.push(...validate(s.additionalProperties as Schema, x, `${path}.${k}`));
    }
  }
  if (Array.isArray(v) && s.items !== undefined) v.forEach((x, i) => errs.push(...validate(s.items as Schema, x, `${path}[${i}]`)));
  if (Array.isArray(s.anyOf) && !(s.anyOf as Schema[]).some((x) => validate(x, v, path).length === 0)) errs.push(`${path}: matches none of anyOf`);
  if (Array.isArray(s.oneOf)) {
    const n = (s.oneOf as Schema[]).filter((x) => validate(x, v, path).length === 0).length;
    if (n !== 1) errs.push(`${path}: matches ${n} of oneOf, expected exactly 1`);
  }
  return errs;
}

/** The definition a line matches (exactly one), checked against the root schema too. */
function kindOf(line: unknown): string {
  expect(validate(ROOT as Schema, line)).toEqual([]);
  const kinds = Object.keys(ROOT.$defs).filter((d) => (ROOT.oneOf as { $ref: string }[]).some((r) => r.$ref === `#/$defs/${d}`) && validate(ROOT.$defs[d]!, line).length === 0);
  expect(kinds).toHaveLength(1);
  return kinds[0]!;
}

async function jsonLines(...argv: string[]): Promise<Record<string, unknown>[]> {
  const r = await runCli(...argv);
  expect(r.code).toBe(0);
  return r.out
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("the validator", () => {
  it("rejects what the schema forbids", () => {
    const ev = { time_ns: 1, cpu: 0, pid: 1, tid: 1, comm: "x", func: "f", kind: "entry", values: [] };
    expect(validate({ $ref: "#/$defs/traceEvent" }, ev)).toEqual([]);
    expect(validate({ $ref: "#/$defs/traceEvent" }, { ...ev, kind: "exit" })).toEqual(['$.kind: "exit" not one of ["entry","return","tracepoint"]']);
    expect(validate({ $ref: "#/$defs/traceEvent" }, { ...ev, extra: 1 })).toEqual(["$.extra: not allowed"]);
    expect(validate({ $ref: "#/$defs/traceEvent" }, { ...ev, time_ns: -1 })).toEqual(["$.time_ns: matches none of anyOf"]);
    expect(validate({ $ref: "#/$defs/traceEvent" }, { ...ev, values: [{ name: "p", type: "void *", ptr: "0XAB" }] })).toEqual(["$.values[0].ptr: '0XAB' does not match ^0x[0-9a-f]+$"]);
    expect(validate({ $ref: "#/$defs/u64" }, "18446744073709551615")).toEqual([]);
    expect(() => validate({ format: "date" }, 1)).toThrow("schema keyword 'format' at $ is not supported by this validator");
  });
});

describe("real output validates against docs/json-schema.json", () => {
  it("trace --json --summary: events, then the summary", async () => {
    const lines = await jsonLines("tcp_sendmsg(sk, size, return)", "ip_send_skb(skb->len)", "--json", "--summary", "-c", "12");
    expect(lines.map(kindOf)).toEqual([...Array<string>(12).fill("traceEvent"), "traceSummary"]);
  });

  it("trace --json: read errors, tracepoint strings", async () => {
    const lines = [
      ...(await jsonLines("do_sys_openat2", "--workload", "fs", "--json", "-c", "4")),
      ...(await jsonLines("tracepoint:net:netif_receive_skb(name, len)", "--workload", "net", "--json", "-c", "2")),
    ];
    for (const l of lines) expect(kindOf(l)).toBe("traceEvent");
    const values = lines.flatMap((l) => l.values as Record<string, unknown>[]);
    expect(values.some((v) => v.error === "EFAULT")).toBe(true);
    expect(values.some((v) => typeof v.value === "string" && v.type === "char[]")).toBe(true);
  });

  it("trace --tree --json (and --summary): call trees", async () => {
    const lines = await jsonLines("--tree", "sock_sendmsg", "tcp_sendmsg", "--workload", "net", "--json", "--summary", "-c", "3");
    expect(lines.map(kindOf)).toEqual(["callTree", "callTree", "callTree", "traceSummary"]);
    expect((lines[3] as { trees: number }).trees).toBe(3);
    const errs = await jsonLines("--tree", "--errors", "sock_sendmsg", "tcp_sendmsg", "--workload", "net", "--json", "-c", "1");
    expect(errs.map(kindOf)).toEqual(["callTree"]);
    expect(JSON.stringify(errs[0])).toContain('"errno":"EAGAIN"');
  });

  it.each([
    ["count", ["count", "vfs_write", "-d", "100ms"]],
    ["count --by comm,pid with intervals", ["count", "vfs_write", "--by", "comm,pid", "-d", "100ms", "-i", "50ms"]],
    ["count --by kstack", ["count", "vfs_*", "--by", "kstack", "-d", "20ms"]],
    ["count --by retval", ["count", "tcp_sendmsg", "--by", "retval", "-d", "50ms"]],
    ["hist", ["hist", "vfs_write", "count", "-d", "100ms"]],
    ["lhist", ["lhist", "vfs_write", "count", "--min", "500", "--max", "4000", "--step", "500", "-d", "100ms"]],
    ["latency --heatmap", ["latency", "raw_tp:block_rq_issue", "raw_tp:block_rq_complete", "--key", "rq", "--workload", "block", "--heatmap", "-d", "100ms"]],
  ])("%s --json", async (_what, argv) => {
    const lines = await jsonLines(...argv, "--json");
    expect(lines.length).toBeGreaterThan(0);
    const kinds = lines.map(kindOf);
    expect(new Set(kinds).size).toBe(1);
    expect(kinds[0]).toMatch(/^aggregate/);
    expect(lines.map((l) => l.final)).toEqual([...Array<boolean>(lines.length - 1).fill(false), true]);
  });
});

describe("one time base: ns since boot", () => {
  it("trace events, tree lines, the summary and aggregate reports of the same run agree", async () => {
    const trace = await jsonLines("tcp_sendmsg", "--json", "--summary", "-d", "100ms");
    const summary = trace.pop() as { time_ns: number; elapsed_ns: number };
    const start = summary.time_ns - summary.elapsed_ns;
    // The synthetic kernel's workload starts 5 s after boot: times since the start of the run would be < 1e9.
    expect(start).toBeGreaterThanOrEqual(5e9);
    for (const e of trace) {
      expect(e.time_ns as number).toBeGreaterThanOrEqual(start);
      expect(e.time_ns as number).toBeLessThanOrEqual(summary.time_ns);
    }
    const trees = await jsonLines("--tree", "tcp_sendmsg", "--json", "-d", "100ms");
    expect(trees.length).toBeGreaterThan(0);
    for (const t of trees) {
      expect(t.time_ns).toBe((t.tree as { start_ns: number }).start_ns);
      expect(t.time_ns as number).toBeGreaterThanOrEqual(start);
    }
    const [count] = await jsonLines("count", "tcp_sendmsg", "--json", "-d", "100ms");
    // Same seed, same simulated duration: the aggregation's final report is taken at the trace's end, within a poll step.
    expect(Math.abs((count!.time_ns as number) - summary.time_ns)).toBeLessThan(1e6);
  });
});
