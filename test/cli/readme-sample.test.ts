// README.md's sample trace under "## Tracing" is the real output of its
// command (stdout, then the stderr summary), byte for byte: a golden kept in
// the README. UPDATE_GOLDEN=1 rewrites the block from the command's output.
import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { blocks, README, readme, shellWords } from "./readme-commands.js";

describe("README ## Tracing sample", () => {
  it("is what the command prints", async () => {
    const text = readme();
    const section = text.indexOf("\n## Tracing\n");
    expect(section).toBeGreaterThan(0);
    const sectionLine = text.slice(0, section).split("\n").length;
    const block = blocks(text).find((b) => b.line > sectionLine && b.lines[0]?.startsWith("$ btfsnoop "))!;
    expect(block, "a ``` block starting with '$ btfsnoop ...' under ## Tracing").toBeDefined();
    const { words } = shellWords(block.lines[0]!.slice(2));
    expect(words[0]).toBe("btfsnoop");
    const r = await runCli(...words.slice(1));
    expect(r.code).toBe(0);
    const actual = [block.lines[0]!, ...(r.out + r.err).replace(/\n$/, "").split("\n")];
    if (process.env.UPDATE_GOLDEN && actual.join("\n") !== block.lines.join("\n")) {
      const lines = text.split("\n");
      lines.splice(block.line + 1, block.lines.length, ...actual);
      writeFileSync(README, lines.join("\n"));
      return;
    }
    expect(actual.join("\n")).toBe(block.lines.join("\n"));
  });
});
