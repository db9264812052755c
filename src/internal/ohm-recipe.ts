// Loads an ohm grammar (*.ohm) from a precompiled recipe when one is current.
// Compiling a grammar's source costs ~60 ms per grammar at every start;
// rebuilding it from the recipe that ohm's Grammar#toRecipe() produces costs
// ~1 ms. The build (scripts/gen-vmlinux.mjs) writes `<file>.ohm.recipe.json`
// next to each .ohm in dist, recording a hash of the source it came from; a
// recipe whose hash does not match (or any read/parse failure) falls back to
// compiling the source, so running from src (vitest) just compiles.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import * as ohm from "ohm-js";

/** Suffix appended to a grammar file's name for its recipe. */
export const OHM_RECIPE_SUFFIX = ".recipe.json";

interface RecipeFile {
  sha256: string;
  recipe: unknown;
}

// makeRecipe / Grammar#toRecipe exist in ohm-js at run time but are not declared in its typings.
const makeRecipe = (ohm as unknown as { makeRecipe(recipe: unknown): ohm.Grammar }).makeRecipe;

/** The grammar's recipe (ohm's JSON serialization of the compiled grammar). */
export function grammarRecipe(g: ohm.Grammar): string {
  return (g as unknown as { toRecipe(): string }).toRecipe();
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The contents of the recipe file for grammar `source` (what the build writes). */
export function ohmRecipeFile(source: string): string {
  const file: RecipeFile = { sha256: sha256(source), recipe: JSON.parse(grammarRecipe(ohm.grammar(source))) };
  return JSON.stringify(file);
}

/** The grammar built from recipe file contents if it was made from `source`, else undefined. */
export function grammarFromRecipeFile(contents: string, source: string): ohm.Grammar | undefined {
  try {
    const file = JSON.parse(contents) as Partial<RecipeFile>;
    if (file.sha256 !== sha256(source) || file.recipe === undefined) return undefined;
    return makeRecipe(file.recipe);
  } catch {
    return undefined;
  }
}

/** The grammar in the .ohm file at `url`: from its current recipe if there is one, else compiled. */
export function loadOhmGrammar(url: URL): ohm.Grammar {
  const source = readFileSync(url, "utf8");
  const recipeUrl = new URL(url.href + OHM_RECIPE_SUFFIX);
  if (existsSync(recipeUrl)) {
    const g = grammarFromRecipeFile(readFileSync(recipeUrl, "utf8"), source);
    if (g) return g;
  }
  return ohm.grammar(source);
}
