// The layering of docs/architecture.md, checked on the source: no import
// cycles between modules (type-only imports included), and each folder of
// src/ imports only the folders below it. User space (probe-spec, codegen,
// tracer, ui, loader, cli) reaches the kernel side only through the syscall layer
// (src/syscall) and the VM's user-visible vocabulary (the ISA, helper ids,
// iterator target names); it never imports the kernel model or the
// trampolines. Tests are exempt: they may look anywhere.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(__dirname, "../src");

/** Folder -> folders it may import (its own is always allowed). */
const ALLOWED: Record<string, readonly string[]> = {
  internal: [],
  btf: ["internal"],
  "probe-spec": ["internal", "btf"],
  vm: ["internal", "btf"],
  "kernel-model": ["internal", "btf", "vm"],
  trampoline: ["internal", "btf", "vm", "kernel-model"],
  syscall: ["internal", "btf", "vm", "kernel-model", "trampoline"],
  codegen: ["internal", "btf", "probe-spec", "vm"],
  tracer: ["internal", "btf", "probe-spec", "codegen", "vm", "syscall"],
  ui: ["internal", "btf", "probe-spec", "tracer", "syscall"],
  loader: ["internal", "btf", "vm", "syscall"],
  cli: ["internal", "btf", "probe-spec", "codegen", "vm", "syscall", "tracer", "ui", "loader"],
};

/** What user space may import from the VM: the instruction set, helper ids, iterator target names, and the developer tools the cli's `vm` command runs. */
const USER_VM: Record<string, RegExp> = {
  codegen: /^vm\/(isa\/|helpers\/protos\.ts$|verifier\/iter-prog-types\.ts$)/,
  tracer: /^vm\/isa\//,
  loader: /^vm\/(isa\/|helpers\/protos\.ts$|maps\/types\.ts$)/,
  cli: /^vm\/(isa\/|helpers\/protos\.ts$|verifier\/(iter-prog-types|prog-types|verifier)\.ts$|conformance(-data)?\.ts$)/,
};

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name)) out.push(p);
  }
  return out;
}

/** Module -> the modules it imports (relative specifiers resolved to files). */
function importGraph(): Map<string, string[]> {
  const files = sources(SRC);
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const deps: string[] = [];
    const text = readFileSync(f, "utf8");
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+"(\.[^"]+)"|import\(\s*"(\.[^"]+)"\s*\)/g)) {
      const base = resolve(dirname(f), (m[1] ?? m[2])!).replace(/\.js$/, "");
      const hit = [`${base}.ts`, `${base}.tsx`, join(base, "index.ts")].find((c) => known.has(c));
      if (hit) deps.push(hit);
    }
    graph.set(f, deps);
  }
  return graph;
}

const rel = (f: string): string => relative(SRC, f);
const folder = (f: string): string => rel(f).split("/")[0]!;

describe("architecture", () => {
  const graph = importGraph();

  it("every folder of src/ has its layer", () => {
    const folders = new Set([...graph.keys()].map(folder).filter((f) => !f.includes(".")));
    expect([...folders].sort()).toEqual(Object.keys(ALLOWED).sort());
  });

  it("imports point down: each folder imports only the folders below it", () => {
    const bad: string[] = [];
    for (const [f, deps] of graph) {
      const from = folder(f);
      for (const d of deps) {
        const to = folder(d);
        if (to === from) continue;
        if (!(ALLOWED[from] ?? []).includes(to)) bad.push(`${rel(f)} -> ${rel(d)}`);
        else if (to === "vm" && USER_VM[from] && !USER_VM[from]!.test(rel(d))) bad.push(`${rel(f)} -> ${rel(d)} (user space uses only the VM's uapi)`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("no import cycles between modules", () => {
    // Tarjan's strongly connected components, iteratively.
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const onStack = new Set<string>();
    const stack: string[] = [];
    const cycles: string[][] = [];
    let next = 0;
    for (const root of graph.keys()) {
      if (index.has(root)) continue;
      const work: [string, number][] = [[root, 0]];
      index.set(root, next);
      low.set(root, next++);
      stack.push(root);
      onStack.add(root);
      while (work.length) {
        const top = work[work.length - 1]!;
        const [v, i] = top;
        const deps = graph.get(v)!;
        if (i < deps.length) {
          top[1]++;
          const w = deps[i]!;
          if (!index.has(w)) {
            index.set(w, next);
            low.set(w, next++);
            stack.push(w);
            onStack.add(w);
            work.push([w, 0]);
          } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
          continue;
        }
        work.pop();
        if (work.length) {
          const parent = work[work.length - 1]![0];
          low.set(parent, Math.min(low.get(parent)!, low.get(v)!));
        }
        if (low.get(v) === index.get(v)) {
          const scc: string[] = [];
          let w: string;
          do {
            w = stack.pop()!;
            onStack.delete(w);
            scc.push(rel(w));
          } while (w !== v);
          if (scc.length > 1) cycles.push(scc.sort());
        }
      }
    }
    expect(cycles).toEqual([]);
  });
});
