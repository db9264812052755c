// The precompiled synthetic vmlinux (dist/src/kernel-model/vmlinux.btf,
// written by scripts/gen-vmlinux.mjs) must be exactly what compiling the
// headers gives, and must be ignored as soon as a header or the compiler changes.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { encodeBtf } from "../btf/encode.js";
import { parseBtf } from "../btf/parse.js";
import { compileHeaders } from "./ctypes/index.js";
import {
  KERNEL_HEADERS,
  VMLINUX_CACHE_FILE,
  readVmlinuxCache,
  syntheticVmlinuxBytes,
  vmlinuxCacheBlob,
  vmlinuxCacheKey,
  vmlinuxFromCacheBlob,
  writeVmlinuxCache,
} from "./vmlinux.js";

const here = new URL("./", import.meta.url);
const srcRoot = fileURLToPath(new URL("../", here));

function compiledBytes(dir: URL = here): Uint8Array {
  const files = KERNEL_HEADERS.map((name) => ({ path: `headers/${name}`, text: readFileSync(new URL(`headers/${name}`, dir), "utf8") }));
  return encodeBtf(compileHeaders(files).btf);
}

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

/** A scratch copy of the kernel-model headers, the compiler and btf/encode, laid out as in src/. */
function scratchTree(): { root: string; dir: URL } {
  const root = mkdtempSync(join(tmpdir(), "btfsnoop-vmlinux-cache-"));
  cpSync(join(srcRoot, "kernel-model", "headers"), join(root, "kernel-model", "headers"), { recursive: true });
  cpSync(join(srcRoot, "kernel-model", "ctypes"), join(root, "kernel-model", "ctypes"), { recursive: true });
  cpSync(join(srcRoot, "btf", "encode.ts"), join(root, "btf", "encode.ts"));
  return { root, dir: pathToFileURL(join(root, "kernel-model") + "/") };
}

describe("precompiled synthetic vmlinux", () => {
  const expected = compiledBytes();
  const scratch: string[] = [];
  afterAll(() => {
    for (const r of scratch) rmSync(r, { recursive: true, force: true });
  });

  it("round-trips: cache blob -> bytes identical to encodeBtf(compiled), and they re-encode identically", () => {
    const key = vmlinuxCacheKey();
    const bytes = vmlinuxFromCacheBlob(vmlinuxCacheBlob(expected, key), key);
    expect(bytes).toBeDefined();
    expect(same(bytes!, expected)).toBe(true);
    expect(same(encodeBtf(parseBtf(bytes!)), expected)).toBe(true);
    // and that is what the module hands out, from the cache or compiled
    expect(same(syntheticVmlinuxBytes(), expected)).toBe(true);
  });

  it("rejects a blob recorded under another key, or without the header line", () => {
    const key = vmlinuxCacheKey();
    expect(vmlinuxFromCacheBlob(vmlinuxCacheBlob(expected, "0".repeat(64)), key)).toBeUndefined();
    expect(vmlinuxFromCacheBlob(expected, key)).toBeUndefined();
    expect(vmlinuxFromCacheBlob(new Uint8Array(0), key)).toBeUndefined();
  });

  it("writes a cache file that reads back identical, and is invalidated by a header or compiler edit", async () => {
    const { root, dir } = scratchTree();
    scratch.push(root);
    expect(readVmlinuxCache(dir, ".ts")).toBeUndefined(); // none yet
    const file = await writeVmlinuxCache(dir, ".ts");
    expect(fileURLToPath(file)).toBe(join(root, "kernel-model", VMLINUX_CACHE_FILE));
    const bytes = readVmlinuxCache(dir, ".ts");
    expect(bytes).toBeDefined();
    expect(same(bytes!, expected)).toBe(true);
    expect(same(encodeBtf(parseBtf(bytes!)), expected)).toBe(true);

    const sched = join(root, "kernel-model", "headers", "sched.h");
    const text = readFileSync(sched, "utf8");
    writeFileSync(sched, text + "\n/* edited */\n");
    expect(readVmlinuxCache(dir, ".ts")).toBeUndefined();
    writeFileSync(sched, text);
    expect(readVmlinuxCache(dir, ".ts")).toBeDefined();

    const layout = join(root, "kernel-model", "ctypes", "layout.ts");
    writeFileSync(layout, readFileSync(layout, "utf8") + "\n// edited\n");
    expect(readVmlinuxCache(dir, ".ts")).toBeUndefined();
  });

  // The blob the build shipped (if built, and from these headers) is the compiled BTF.
  const distDir = new URL("../../dist/src/kernel-model/", here);
  const distBlob = new URL(VMLINUX_CACHE_FILE, distDir);
  const distCurrent =
    existsSync(distBlob) &&
    KERNEL_HEADERS.every((h) => {
      const d = new URL(`headers/${h}`, distDir);
      return existsSync(d) && readFileSync(d, "utf8") === readFileSync(new URL(`headers/${h}`, here), "utf8");
    });
  it.skipIf(!distCurrent)("dist's vmlinux.btf is current and equals encodeBtf of the compiled BTF (else run npm run build)", () => {
    const bytes = readVmlinuxCache(distDir, ".js");
    expect(bytes).toBeDefined();
    expect(same(bytes!, expected)).toBe(true);
    expect(same(encodeBtf(parseBtf(bytes!)), expected)).toBe(true);
  });
});
