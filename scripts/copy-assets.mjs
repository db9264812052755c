// Copies the non-TypeScript assets that src/ loads at run time (*.ohm
// grammars, *.h headers) to the same relative paths under dist/src/.
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "src");
const out = join(root, "dist", "src");
let n = 0;
function walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.isFile() && (e.name.endsWith(".ohm") || e.name.endsWith(".h"))) {
      const dest = join(out, relative(src, p));
      mkdirSync(dirname(dest), { recursive: true });
      copyFileSync(p, dest);
      n++;
    }
  }
}
walk(src);
console.log(`copy-assets: ${n} file(s) copied to dist/src`);
