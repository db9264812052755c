// Precompiles every ohm grammar shipped in dist/src (*.ohm, copied there by
// copy-assets.mjs) into `<file>.ohm.recipe.json`, which loadOhmGrammar()
// (src/internal/ohm-recipe.ts) loads in ~1 ms instead of compiling the
// grammar source (~60 ms each). A recipe records the hash of its source and
// is ignored if the source changes.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "src");
const { ohmRecipeFile, OHM_RECIPE_SUFFIX } = await import(pathToFileURL(join(out, "internal", "ohm-recipe.js")).href);
let n = 0;
function walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.isFile() && e.name.endsWith(".ohm")) {
      writeFileSync(p + OHM_RECIPE_SUFFIX, ohmRecipeFile(readFileSync(p, "utf8")));
      n++;
    }
  }
}
walk(out);
console.log(`gen-ohm-recipes: ${n} grammar recipe(s) written under ${relative(root, out)}`);
