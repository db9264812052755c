// The synthetic kernel's BTF: its C headers (headers/*.h, Linux-shaped)
// compiled by the C-declaration compiler with gcc's x86-64 layouts and
// encoded like /sys/kernel/btf/vmlinux. Built once per process.
//
// Compiling the headers (an ohm grammar over ~80 KB of C) costs hundreds of
// milliseconds, so the build (scripts/gen-vmlinux.mjs) precompiles the blob
// into `vmlinux.btf` next to this module. The blob records a key (a hash of
// the headers and of the compiler's own sources as shipped beside it); it is
// used only when that key matches, else the headers are compiled as before.
// When the cache is used the compiler (and ohm-js) is never even imported.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import type { Btf } from "../btf/btf.js";
import { encodeBtf } from "../btf/encode.js";
import { parseBtf } from "../btf/parse.js";
import type { compileHeaders as CompileHeaders } from "./ctypes/index.js";

/** Header files in compile order: types.h first (the others use its typedefs). */
export const KERNEL_HEADERS = ["types.h", "net.h", "fs.h", "sched.h", "block.h", "bpf.h", "trace.h", "uapi.h", "syscalls.h", "mm.h", "irq.h"] as const;

/** The precompiled blob's file name, in the directory of this module. */
export const VMLINUX_CACHE_FILE = "vmlinux.btf";
const CACHE_MAGIC = "btfsnoop-vmlinux-cache 1 ";
/** Set (non-empty) to ignore the precompiled blob and always compile the headers. */
const NO_CACHE_ENV = "BTFSNOOP_NO_VMLINUX_CACHE";

const HERE = new URL("./", import.meta.url);
// .ts when run from src (vitest, tsx), .js when run from dist
const SOURCE_EXT = import.meta.url.endsWith(".ts") ? ".ts" : ".js";

let cached: { bytes: Uint8Array; btf: Btf } | undefined;
const headerTexts = new Map<string, string>();

function headerText(name: string, dir: URL = HERE): string {
  if (dir !== HERE) return readFileSync(new URL(`headers/${name}`, dir), "utf8");
  let t = headerTexts.get(name);
  if (t === undefined) headerTexts.set(name, (t = readFileSync(new URL(`headers/${name}`, dir), "utf8")));
  return t;
}

/**
 * Static functions declared in more than one header (one compilation unit
 * each, as in Linux): name -> the headers declaring it. BTF keeps one FUNC per
 * name; kallsyms lists every copy.
 */
export function staticDuplicates(): Map<string, string[]> {
  const where = new Map<string, string[]>();
  for (const h of KERNEL_HEADERS) {
    for (const m of headerText(h).matchAll(/^static\s+[^;(]*?\b([A-Za-z_][A-Za-z0-9_]*)\s*\(/gm)) {
      const list = where.get(m[1]!) ?? [];
      if (!list.includes(h)) list.push(h);
      where.set(m[1]!, list);
    }
  }
  return new Map([...where].filter(([, hs]) => hs.length > 1));
}

/**
 * The cache key for the kernel-model directory `dir` (this module's by
 * default): sha256 over the headers in compile order and over the compiler's
 * sources (ctypes/*.{js|ts,ohm}, btf/encode) found there. A rebuilt compiler
 * or an edited header therefore invalidates the precompiled blob.
 */
export function vmlinuxCacheKey(dir: URL = HERE, ext: string = SOURCE_EXT): string {
  const h = createHash("sha256");
  const add = (label: string, text: string): void => {
    h.update(`${label}\0${text.length}\0`);
    h.update(text);
  };
  for (const name of KERNEL_HEADERS) add(`headers/${name}`, headerText(name, dir));
  const ctypes = new URL("ctypes/", dir);
  const compiler = readdirSync(ctypes)
    .filter((f) => (f.endsWith(ext) && !f.endsWith(`.test${ext}`) && !f.endsWith(".d.ts")) || f.endsWith(".ohm"))
    .sort();
  for (const f of compiler) add(`ctypes/${f}`, readFileSync(new URL(f, ctypes), "utf8"));
  add("btf/encode", readFileSync(new URL(`../btf/encode${ext}`, dir), "utf8"));
  return h.digest("hex");
}

/** The cache file's contents: a header line with the key, then the BTF blob. */
export function vmlinuxCacheBlob(bytes: Uint8Array, key: string): Uint8Array {
  const head = Buffer.from(`${CACHE_MAGIC}${key}\n`, "latin1");
  const out = new Uint8Array(head.length + bytes.length);
  out.set(head, 0);
  out.set(bytes, head.length);
  return out;
}

/** The BTF blob in a cache file's contents if its key is `key`, else undefined. */
export function vmlinuxFromCacheBlob(blob: Uint8Array, key: string): Uint8Array | undefined {
  const nl = blob.indexOf(0x0a);
  if (nl < 0 || nl > 256) return undefined;
  const head = Buffer.from(blob.buffer, blob.byteOffset, nl).toString("latin1");
  if (head !== CACHE_MAGIC + key) return undefined;
  // a copy: its own aligned ArrayBuffer, like encodeBtf's result
  const bytes = new Uint8Array(blob.length - nl - 1);
  bytes.set(blob.subarray(nl + 1));
  return bytes;
}

/** The precompiled blob in `dir` (default: beside this module) if present and current. */
export function readVmlinuxCache(dir: URL = HERE, ext: string = SOURCE_EXT): Uint8Array | undefined {
  const file = new URL(VMLINUX_CACHE_FILE, dir);
  if (!existsSync(file)) return undefined;
  try {
    return vmlinuxFromCacheBlob(readFileSync(file), vmlinuxCacheKey(dir, ext));
  } catch {
    return undefined; // unreadable or incomplete install: compile instead
  }
}

/** Compiles the headers in `dir` (default: beside this module) and encodes the BTF. */
export async function compileSyntheticVmlinuxBytes(dir: URL = HERE): Promise<Uint8Array> {
  const { compileHeaders } = await import("./ctypes/index.js");
  return compileBytes(compileHeaders, dir);
}

/** Writes the precompiled blob for `dir` (default: beside this module); returns its path. */
export async function writeVmlinuxCache(dir: URL = HERE, ext: string = SOURCE_EXT): Promise<URL> {
  const bytes = await compileSyntheticVmlinuxBytes(dir);
  const file = new URL(VMLINUX_CACHE_FILE, dir);
  writeFileSync(file, vmlinuxCacheBlob(bytes, vmlinuxCacheKey(dir, ext)));
  return file;
}

function compileBytes(compile: typeof CompileHeaders, dir: URL): Uint8Array {
  const files = KERNEL_HEADERS.map((name) => ({ path: `headers/${name}`, text: headerText(name, dir) }));
  return encodeBtf(compile(files).btf);
}

// Decided once, at load: with a current cache the compiler is not loaded at all.
const cacheBytes = process.env[NO_CACHE_ENV] ? undefined : readVmlinuxCache();
const compiler: typeof CompileHeaders | undefined = cacheBytes ? undefined : (await import("./ctypes/index.js")).compileHeaders;

function build(): { bytes: Uint8Array; btf: Btf } {
  const bytes = cacheBytes ?? compileBytes(compiler!, HERE);
  // Parsing the encoded blob validates it and gives the lazily decoded form every other BTF has.
  return { bytes, btf: parseBtf(bytes) };
}

/** Whether this process's synthetic BTF comes from the precompiled blob (for diagnostics and tests). */
export function syntheticVmlinuxIsPrecompiled(): boolean {
  return cacheBytes !== undefined;
}

/** The synthetic kernel's BTF blob (what /sys/kernel/btf/vmlinux would hold). */
export function syntheticVmlinuxBytes(): Uint8Array {
  return (cached ??= build()).bytes;
}

/** The synthetic kernel's BTF. Treat as read-only: it is shared. */
export function syntheticVmlinux(): Btf {
  return (cached ??= build()).btf;
}
