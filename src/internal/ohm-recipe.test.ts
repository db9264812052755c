// A grammar rebuilt from its recipe is the grammar compiled from source.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as ohm from "ohm-js";
import { describe, expect, it } from "vitest";
import { grammarFromRecipeFile, grammarRecipe, ohmRecipeFile } from "./ohm-recipe.js";

const srcRoot = fileURLToPath(new URL("../", import.meta.url));
function ohmFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? ohmFiles(join(dir, e.name)) : e.name.endsWith(".ohm") ? [join(dir, e.name)] : [],
  );
}

describe("ohm grammar recipes", () => {
  const files = ohmFiles(srcRoot);
  it("finds the project's grammars", () => expect(files.length).toBeGreaterThanOrEqual(2));
  for (const f of files) {
    it(`${f.slice(srcRoot.length)}: recipe round-trips to the same grammar`, () => {
      const source = readFileSync(f, "utf8");
      const compiled = ohm.grammar(source);
      const fromRecipe = grammarFromRecipeFile(ohmRecipeFile(source), source);
      expect(fromRecipe).toBeDefined();
      expect(grammarRecipe(fromRecipe!)).toBe(grammarRecipe(compiled));
      // a stale recipe (source edited) is refused
      expect(grammarFromRecipeFile(ohmRecipeFile(source), source + "\n")).toBeUndefined();
      expect(grammarFromRecipeFile("not json", source)).toBeUndefined();
    });
  }
});
