// README.md's "### From your tests" example is a real vitest test: its ```ts
// block is written next to this file (only `btfsnoop/loader` and
// `btfsnoop/kernel` are pointed at the source, src/loader/index.ts and
// src/syscall/index.ts, as the package's exports map points them at the
// build) and imported here, so its `it` runs as part of this file; if the
// README's example stops compiling, loading or passing, this file fails.
// The "## Run your own BPF objects" sample is the real output of its command.
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { blocks, readme, shellWords } from "../cli/readme-commands.js";

const text = readme();

/** The first fenced block after the heading `heading` (and before the next ## heading), with its README line. */
function blockAfter(heading: string, pick: (b: ReturnType<typeof blocks>[number]) => boolean): ReturnType<typeof blocks>[number] | undefined {
  const at = text.indexOf(`\n${heading}\n`);
  if (at < 0) return undefined;
  const line = text.slice(0, at).split("\n").length;
  const next = text.slice(at + heading.length + 2).search(/^## /m);
  const endLine = next < 0 ? Infinity : text.slice(0, at + heading.length + 2 + next).split("\n").length;
  return blocks(text).find((b) => b.line > line && b.line < endLine && pick(b));
}

const example = blockAfter("### From your tests", (b) => b.lang === "ts");
if (!example) throw new Error("README.md: no ```ts block under '### From your tests'");
const code = example.lines.join("\n") + "\n";
if (!code.includes('from "btfsnoop/loader"')) throw new Error("README.md's example does not import from btfsnoop/loader");

// Written in this folder (a name vitest does not collect) so the example's relative imports resolve as they do for a reader of the repository.
const file = join(__dirname, `.readme-example-${process.pid}.ts`);
writeFileSync(file, code.replaceAll('"btfsnoop/loader"', '"../../src/loader/index.js"').replaceAll('"btfsnoop/kernel"', '"../../src/syscall/index.js"'));
afterAll(() => rmSync(file, { force: true }));

describe("README ### From your tests (the example's own test, run as written)", async () => {
  await import(file);
});

describe("README ## Run your own BPF objects sample", () => {
  it("is what the command prints", async () => {
    const block = blockAfter("## Run your own BPF objects", (b) => b.lines[0]?.startsWith("$ btfsnoop run ") ?? false);
    expect(block, "a ``` block starting with '$ btfsnoop run ...'").toBeDefined();
    const { words } = shellWords(block!.lines[0]!.slice(2));
    const r = await runCli(...words.slice(1));
    expect(r.code).toBe(0);
    expect([block!.lines[0]!, ...(r.out + r.err).replace(/\n$/, "").split("\n")].join("\n")).toBe(block!.lines.join("\n"));
  });
});
