// Bundles the CLI executable (dist/src/cli/bin.js, as tsc emitted it) with
// esbuild into one entry file plus shared chunks (dist/src/cli/bin-chunk-*.js),
// so a cold start reads and compiles a few files instead of resolving and
// loading hundreds of ES modules one by one. The command modules that
// main.ts imports dynamically stay separate chunks, so `info` still does not
// load the tracer nor `trace` the TUI. Only bin.js is replaced: every other
// module under dist/src stays as tsc emitted it, for the package's library
// exports.
//
// Modules that locate files through import.meta.url keep seeing their own
// location: each `import.meta.url` in a bundled module is rewritten to the URL
// of the module it came from (ours stay under dist/src, where their grammars,
// headers and precompiled BTF are), relative to the bundle's directory.
// Dependencies' modules are mapped to dist/src/cli/vendor/<package path>,
// where the files they read are copied (yargs's message translations; ink's
// package.json, read in its DEV mode), so an installed package works however
// npm lays out node_modules.
//
// Every import of string-width gets a stand-in that measures printable ASCII
// itself and loads string-width's Unicode tables only for other text
// (text-width.ts; widths unchanged).
//
// A lone --help or --version is answered from text captured here from the
// same modules (static-output.ts's captureStaticOutputs) and compiled into
// the bundle as BTFSNOOP_STATIC_HELP / BTFSNOOP_STATIC_VERSION (see bin.ts),
// so the executable never prints text older than its own command tree.
//
// Runs after tsc (`npm run build`); refuses to run on an already bundled
// bin.js (its relative URLs would be rewritten twice).
import { build } from "esbuild";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cliDir = join(root, "dist", "src", "cli");
const entry = join(cliDir, "bin.js");
const vendorDir = join(cliDir, "vendor");
/** A dependency's module path contains this (the tree's node_modules may be a symlink, so not a fixed prefix). */
const NODE_MODULES = `${sep}node_modules${sep}`;
/** The first line of every file this script writes: marks bin.js as bundled. */
const MARK = "// bundled by scripts/bundle-cli.mjs from tsc's dist/src/cli/bin.js";
const CHUNK_PREFIX = "bin-chunk-";
/** Files that bundled dependencies read at run time beside their modules: copied under vendor/. */
const VENDOR_FILES = ["yargs/locales", "ink/package.json"];

if (!existsSync(entry)) {
  console.error(`bundle-cli: ${relative(root, entry)} missing: run tsc first`);
  process.exit(1);
}
if (readFileSync(entry, "utf8").includes(MARK)) {
  console.error(`bundle-cli: ${relative(root, entry)} is already a bundle: run tsc first`);
  process.exit(1);
}

/** The URL text (relative to the bundle's directory) standing for module `path`'s own URL. */
function ownUrl(path) {
  const nm = path.indexOf(NODE_MODULES);
  const rel = nm >= 0 ? join("vendor", path.slice(nm + NODE_MODULES.length)) : relative(cliDir, path);
  return rel.split(sep).join("/");
}

const importMetaUrl = {
  name: "import-meta-url",
  setup(b) {
    b.onLoad({ filter: /\.[cm]?js$/ }, (args) => {
      const text = readFileSync(args.path, "utf8");
      if (!text.includes("import.meta.url")) return undefined;
      const url = `new URL(${JSON.stringify(ownUrl(args.path))}, import.meta.url).href`;
      return { contents: text.replaceAll("import.meta.url", url), loader: "js", resolveDir: dirname(args.path) };
    });
  },
};

// string-width (yargs's help layout, cliui, wrap-ansi, ink) builds a grapheme segmenter and large
// Unicode regular expressions as it loads. Each import of it gets a stand-in that answers printable
// ASCII itself (text-width.ts) and loads the real module, once, for anything else: same widths.
const LAZY_STRING_WIDTH = "lazy-string-width";
const textWidthModule = join(cliDir, "text-width.js");
const lazyStringWidth = {
  name: LAZY_STRING_WIDTH,
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, async (args) => {
      if (args.namespace === LAZY_STRING_WIDTH) return undefined;
      const real = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, namespace: LAZY_STRING_WIDTH });
      if (real.errors.length) return { errors: real.errors };
      return { path: real.path, namespace: LAZY_STRING_WIDTH };
    });
    b.onLoad({ filter: /.*/, namespace: LAZY_STRING_WIDTH }, (args) => ({
      resolveDir: dirname(args.path),
      loader: "js",
      contents: [
        `import { plainWidth } from ${JSON.stringify(textWidthModule)};`,
        "let real;",
        "export default function stringWidth(text, options) {",
        "  const w = plainWidth(text);",
        `  return w >= 0 ? w : (real ??= require(${JSON.stringify(args.path)}).default)(text, options);`,
        "}",
      ].join("\n"),
    }));
  },
};

const { captureStaticOutputs } = await import(pathToFileURL(join(cliDir, "static-output.js")).href);
const captured = await captureStaticOutputs();

const result = await build({
  entryPoints: { bin: entry },
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  outdir: cliDir,
  chunkNames: `${CHUNK_PREFIX}[hash]`,
  allowOverwrite: true,
  write: false,
  sourcemap: "linked",
  // ink imports it only in its DEV mode, and it is not installed: left an import, as in ink.
  external: ["react-devtools-core"],
  plugins: [lazyStringWidth, importMetaUrl],
  define: { BTFSNOOP_STATIC_HELP: JSON.stringify(captured.help), BTFSNOOP_STATIC_VERSION: JSON.stringify(captured.version) },
  // CommonJS dependencies (react, ws...) call require(); an ES module has none of its own.
  banner: { js: `${MARK}\nimport { createRequire as __btfsnoopCreateRequire } from "node:module";\nconst require = __btfsnoopCreateRequire(import.meta.url);` },
  logLevel: "warning",
});

// Chunks first (named by content hash), then bin.js by rename, then the chunks no longer used:
// a CLI started meanwhile runs either the old bundle or the new one, never a mix.
const isEntry = (path) => path === entry || path === `${entry}.map`;
let bytes = 0;
for (const out of [...result.outputFiles.filter((o) => !isEntry(o.path)), ...result.outputFiles.filter((o) => isEntry(o.path))]) {
  writeFileSync(`${out.path}.tmp`, out.contents);
  renameSync(`${out.path}.tmp`, out.path);
  if (out.path.endsWith(".js")) bytes += out.contents.length;
}
const written = new Set(result.outputFiles.map((o) => o.path));
for (const f of readdirSync(cliDir)) if (f.startsWith(CHUNK_PREFIX) && !written.has(join(cliDir, f))) rmSync(join(cliDir, f));
for (const f of VENDOR_FILES) {
  mkdirSync(dirname(join(vendorDir, f)), { recursive: true });
  cpSync(join(root, "node_modules", f), join(vendorDir, f), { recursive: true });
}
const files = result.outputFiles.filter((o) => o.path.endsWith(".js")).length;
console.log(`bundle-cli: ${relative(root, entry)} + ${files - 1} chunk(s), ${(bytes / 1024).toFixed(0)} KiB; static --help ${captured.help.length} chars, --version ${JSON.stringify(captured.version.trim())}`);
