// Precompiles the synthetic kernel's BTF (src/kernel-model/headers/*.h) into
// dist/src/kernel-model/vmlinux.btf, so that btfsnoop does not compile the
// headers on every start. Runs after tsc and copy-assets (it imports the built
// modules and hashes the headers and compiler shipped in dist). At run time
// the blob is used only if its recorded key still matches; see vmlinux.ts.
import { existsSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const moduleFile = join(root, "dist", "src", "kernel-model", "vmlinux.js");
if (!existsSync(moduleFile)) {
  console.error(`gen-vmlinux: ${relative(root, moduleFile)} missing: run tsc first`);
  process.exit(1);
}
// The cache must not be read while generating it: force a compile.
process.env.BTFSNOOP_NO_VMLINUX_CACHE = "1";
const m = await import(pathToFileURL(moduleFile).href);
const file = await m.writeVmlinuxCache();
const path = fileURLToPath(file);
// Self-check: the runtime reader accepts what was written.
if (!m.readVmlinuxCache()) {
  console.error(`gen-vmlinux: ${relative(root, path)} was written but does not validate`);
  process.exit(1);
}
console.log(`gen-vmlinux: ${relative(root, path)} (${statSync(path).size} bytes)`);
