// src/cli/io.ts: input files are read in chunks up to a cap (regular files
// over it refused before reading; /dev/zero and FIFOs stopped at it), with
// errors naming the file and the errno; output files report failed writes.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MAX_INPUT_BYTES, OutputFile, readInputFile } from "../../src/cli/io.js";
import { MAX_DECOMPRESSED_BYTES } from "../../src/btf/load.js";
import { FIXTURES } from "../helpers/fixtures.js";

const MiB = 1024 * 1024;
const BIN = join(FIXTURES, "..", "..", "dist", "src", "cli", "bin.js");
const HINT = " (hint: is this the file you meant? btfsnoop's inputs are BTF files (a vmlinux BTF is ~6 MB) and BPF programs)";

function errorOf(f: () => unknown): { errno: string; message: string; hint: string | undefined } {
  try {
    f();
  } catch (e) {
    const err = e as { errno: string; message: string; hint?: string };
    return { errno: err.errno, message: err.message, hint: err.hint };
  }
  throw new Error("expected an error");
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "btfsnoop-io-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("readInputFile", () => {
  it("has the gzip path's cap", () => {
    expect(MAX_INPUT_BYTES).toBe(MAX_DECOMPRESSED_BYTES);
  });

  it("reads files of any size up to the cap exactly, across chunk boundaries", () => {
    const file = join(dir, "f");
    const data = Buffer.alloc(2 * MiB + 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    writeFileSync(file, data);
    expect(Buffer.from(readInputFile(file, data.length)).equals(data)).toBe(true);
    writeFileSync(file, "");
    expect(readInputFile(file)).toHaveLength(0);
  });

  it("refuses a regular file over the cap before reading it (E2BIG, file named)", () => {
    const file = join(dir, "big.btf");
    writeFileSync(file, "");
    truncateSync(file, 3 * MiB + 1); // sparse: nothing to read, only the size says no
    expect(errorOf(() => readInputFile(file, 3 * MiB))).toEqual({
      errno: "E2BIG",
      message: `cannot read '${file}': file of ${3 * MiB + 1} bytes is larger than 3 MiB (${3 * MiB} bytes), the most btfsnoop reads from a file`,
      hint: "is this the file you meant? btfsnoop's inputs are BTF files (a vmlinux BTF is ~6 MB) and BPF programs",
    });
  });

  it("stops /dev/zero at the cap (E2BIG), without reading on", () => {
    const t0 = performance.now();
    const e = errorOf(() => readInputFile("/dev/zero", 2 * MiB + 5));
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect([e.errno, e.message]).toEqual(["E2BIG", `cannot read '/dev/zero': character device gives more than ${2 * MiB + 5} bytes, the most btfsnoop reads from a file`]);
  });

  it("reads a FIFO to its end, and stops one that gives more than the cap", async () => {
    const fifo = join(dir, "fifo");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    // A writer of exactly 1 MiB + 1 bytes: read whole under a 2 MiB cap.
    const small = spawn("sh", ["-c", `head -c ${MiB + 1} /dev/zero > "${fifo}"`], { stdio: "ignore" });
    expect(readInputFile(fifo, 2 * MiB)).toHaveLength(MiB + 1);
    await new Promise((r) => small.once("exit", r));
    // A writer that never stops: E2BIG at the cap.
    const endless = spawn("sh", ["-c", `exec cat /dev/zero > "${fifo}"`], { stdio: "ignore" });
    try {
      const e = errorOf(() => readInputFile(fifo, 2 * MiB));
      expect([e.errno, e.message]).toEqual(["E2BIG", `cannot read '${fifo}': FIFO gives more than 2 MiB (${2 * MiB} bytes), the most btfsnoop reads from a file`]);
    } finally {
      endless.kill();
    }
  });

  it("names the file and the errno for missing files and directories", () => {
    expect(errorOf(() => readInputFile(join(dir, "nope")))).toEqual({ errno: "ENOENT", message: `cannot read '${join(dir, "nope")}': no such file or directory`, hint: undefined });
    expect(errorOf(() => readInputFile(dir))).toEqual({ errno: "EISDIR", message: `cannot read '${dir}': is a directory`, hint: undefined });
  });

  it("btfsnoop btf dump /dev/zero exits 2 at the 256 MiB cap instead of reading forever", () => {
    if (!existsSync(BIN)) throw new Error(`${BIN} missing: run npm run build first`);
    const r = spawnSync(process.execPath, [BIN, "btf", "dump", "/dev/zero"], { encoding: "utf8", timeout: 60_000 });
    expect(r.signal).toBeNull();
    expect(r.stderr).toBe(`btfsnoop: error: cannot read '/dev/zero': character device gives more than 256 MiB (268435456 bytes), the most btfsnoop reads from a file${HINT}\n`);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
  }, 70_000);
});

describe("OutputFile", () => {
  it("a pipe whose reader has gone: write returns false (EPIPE), no error, and later writes are dropped", async () => {
    const fifo = join(dir, "fifo");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    const reader = spawn("sh", ["-c", `head -c 1 "${fifo}" > /dev/null`], { stdio: "ignore" });
    const f = OutputFile.open(fifo);
    expect(f.write("x")).toBe(true);
    await new Promise((r) => reader.once("exit", r));
    // The reader read one byte and exited: no reader is left, so every write gets EPIPE.
    expect([f.write(Buffer.alloc(128 * 1024)), f.write("y")]).toEqual([false, false]);
    expect(f.readerGone).toBe(true);
    f.close();
  });

  it("writes everything, and reports a failed write with the file, the errno and the bytes written", () => {
    const file = join(dir, "out");
    const f = OutputFile.open(file);
    f.write("abc");
    f.write(new Uint8Array([0x64]));
    f.close();
    f.close(); // idempotent
    expect(f.bytesWritten).toBe(4);
    const full = OutputFile.open("/dev/full");
    expect(errorOf(() => full.write("x"))).toEqual({
      errno: "ENOSPC",
      message: "cannot write '/dev/full': ENOSPC: no space left on device, write",
      hint: "0 bytes were written before the failure",
    });
    full.close();
    expect(errorOf(() => full.write("x")).errno).toBe("EBADF");
  });
});
