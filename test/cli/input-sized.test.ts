// Input-sized lists never become call arguments: a glob over a real
// vmlinux names ~56k functions, and a spread of that many values into
// Math.max or push overflows the stack ("Maximum call stack size exceeded").
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { appendAll } from "../../src/internal/arrays.js";
import { runCli } from "../helpers/cli.js";
import { VMLINUX_DIR } from "../helpers/fixtures.js";

const VMLINUX = join(VMLINUX_DIR, "vmlinux.btf.gz");

describe("globs over every function of a real kernel", () => {
  it("prog dump '*' --btf <vmlinux 6.18>: one table row per traceable function", async () => {
    const list = await runCli("list", "*", "--btf", VMLINUX);
    expect(list.code).toBe(0);
    const traceable = list.out.split("\n").filter((l) => l !== "").length;
    expect(traceable).toBe(56074);
    const r = await runCli("prog", "dump", "*", "--btf", VMLINUX);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out.split("\n", 1)[0]).toBe(`per-target table: ${traceable} entries (key: function address)`);
    expect(r.out.split("\n").filter((l) => /^ {2}\[\d+\] /.test(l)).length).toBe(traceable);
  }, 120_000);
});

describe("appendAll", () => {
  it("appends more elements than a call can take as arguments", () => {
    const big = Array.from({ length: 300_000 }, (_, i) => i);
    const dst = [-1];
    expect(appendAll(dst, big)).toBe(dst);
    expect(dst.length).toBe(300_001);
    expect(dst[0]).toBe(-1);
    expect(dst[300_000]).toBe(299_999);
  });
});

/** Every non-test source file under src/. */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) appendAll(out, sources(p));
    else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name)) out.push(p);
  }
  return out;
}

describe("source rule", () => {
  it("no spread into Math.max/min, push, unshift, splice, concat or String.fromCharCode (use a loop or appendAll)", () => {
    const spread = /(?:Math\.(?:max|min)|\.push|\.unshift|\.splice|\.concat|String\.fromCharCode)\([^)]*?(?<![.\w"'{]|\{ )\.\.\.(?![."'])/;
    const offenders: string[] = [];
    for (const file of sources(join(__dirname, "../../src"))) {
      readFileSync(file, "utf8")
        .split("\n")
        .forEach((line, i) => {
          if (!/^\s*(\/\/|\/\*|\*)/.test(line) && spread.test(line)) offenders.push(`${file.slice(file.indexOf("src/"))}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(offenders).toEqual([]);
  });
});
