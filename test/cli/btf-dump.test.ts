// `btfsnoop btf dump`: outputs match bpftool's goldens through the real CLI,
// and every kind of bad input gives one stderr line and exit code 2.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES, readFixture, textDiff } from "../helpers/fixtures.js";
import { runCli } from "../helpers/cli.js";

const run = runCli;

const BTF = join(FIXTURES, "btf");
const VMLINUX = join(FIXTURES, "vmlinux-6.18", "vmlinux.btf.gz");

describe("btf dump", () => {
  it("dumps raw by default, reading gzip-compressed input", async () => {
    const r = await run("btf", "dump", VMLINUX);
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    expect(textDiff(r.out, readFixture(join(FIXTURES, "vmlinux-6.18", "bpftool-raw.txt.gz")).toString())).toBeUndefined();
  });

  it.each([
    ["raw", "raw.txt"],
    ["c", "c.h"],
    ["json", "json"],
  ])("--format %s of an ELF object matches bpftool", async (format, ext) => {
    const r = await run("btf", "dump", join(BTF, "structs.bpf.o"), "--format", format);
    expect(r.code).toBe(0);
    expect(r.out).toBe(readFileSync(join(BTF, `structs.bpf.o.${ext}`), "utf8"));
  });

  it("--kernel dumps the synthetic kernel's BTF as bpftool reads it", async () => {
    const r = await run("btf", "dump", "--kernel", "--format", "c");
    expect(r.code).toBe(0);
    expect(r.out).toBe(readFileSync(join(FIXTURES, "synthetic-vmlinux", "vmlinux.btf.c.h"), "utf8"));
    const both = await run("btf", "dump", VMLINUX, "--kernel");
    expect(both.code).toBe(2);
    expect(both.err).toBe("btfsnoop: usage error: give either a FILE or --kernel, not both (run 'btfsnoop --help' for usage)\n");
    const none = await run("btf", "dump");
    expect(none.err).toBe("btfsnoop: usage error: btf dump needs a FILE (or --kernel for the synthetic kernel's BTF) (run 'btfsnoop --help' for usage)\n");
  });

  it("reads split BTF with --base-btf", async () => {
    const r = await run("btf", "dump", join(BTF, "split_mod.btf"), "--base-btf", join(BTF, "split_base.btf"));
    expect(r.code).toBe(0);
    expect(r.out).toBe(readFileSync(join(BTF, "split_mod.btf.raw.txt"), "utf8"));
  });

  it("dumps only the ids asked for", async () => {
    const r = await run("btf", "dump", join(BTF, "funcs.bpf.btf"), "--id", "2", "--id", "1");
    const lines = readFileSync(join(BTF, "funcs.bpf.btf.raw.txt"), "utf8").split(/\n(?=\[)/);
    expect(r.out).toBe(`${lines[1]}\n${lines[0]}\n`.replace(/\n\n$/, "\n"));
  });

  it.each([
    [["btf", "dump", "/no/such/file"], "btfsnoop: error: cannot read '/no/such/file': no such file or directory\n"],
    [
      ["btf", "dump", join(BTF, "quals.c")],
      `btfsnoop: error: '${join(BTF, "quals.c")}': invalid BTF at offset 0 (0x0): bad magic 0x2f2f (expected 0xeb9f) (hint: not a raw BTF blob: pass /sys/kernel/btf/vmlinux, a .btf file, or an ELF object with a .BTF section)\n`,
    ],
    [
      ["btf", "dump", join(BTF, "split_mod.btf")],
      `btfsnoop: error: '${join(BTF, "split_mod.btf")}': invalid BTF at offset 508 (0x1fc): string section must start with an empty string (NUL byte) (hint: split BTF (a kernel module's) must be read on top of its base BTF (--base-btf vmlinux))\n`,
    ],
    [["btf", "dump", VMLINUX, "--format", "yaml"], "btfsnoop: usage error: invalid value 'yaml' for --format: expected one of raw, c, json (run 'btfsnoop btf dump --help' for usage)\n"],
    [["btf", "dump", join(BTF, "funcs.bpf.btf"), "--id", "999"], `btfsnoop: error: type id 999 not found in '${join(BTF, "funcs.bpf.btf")}' (valid ids: 1..${readFileSync(join(BTF, "funcs.bpf.btf.raw.txt"), "utf8").match(/^\[(\d+)\]/gm)!.length})\n`],
    [["btf", "frobnicate"], "btfsnoop: usage error: unknown command 'frobnicate' (expected dump) (run 'btfsnoop btf --help' for usage)\n"],
    [["btf", "dump", VMLINUX, "--id", "abc"], "btfsnoop: usage error: --id takes positive type ids, got 'abc' (run 'btfsnoop btf dump --help' for usage)\n"],
    [["btf", "dump", VMLINUX, "--id"], "btfsnoop: usage error: --id needs at least one type id (run 'btfsnoop btf dump --help' for usage)\n"],
    [["btf", "dump", VMLINUX, "--id", "0"], "btfsnoop: usage error: --id takes positive type ids, got '0' (run 'btfsnoop btf dump --help' for usage)\n"],
  ])("%j fails with exit 2 and one line", async (argv, expected) => {
    const r = await run(...argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toBe(expected);
  });

  it("reports a full disk in one line with exit 2", () => {
    const bin = join(FIXTURES, "..", "..", "dist", "src", "cli", "bin.js");
    const full = spawnSync("sh", ["-c", `"${process.execPath}" "${bin}" btf dump "${VMLINUX}" > /dev/full`], { encoding: "utf8" });
    expect(full.status).toBe(2);
    expect(full.stderr).toBe("btfsnoop: error: cannot write to standard output: ENOSPC: no space left on device, write\n");
  });

  it("the built executable exits 2 on bad input and survives a closed pipe", () => {
    const bin = join(FIXTURES, "..", "..", "dist", "src", "cli", "bin.js");
    if (!existsSync(bin)) throw new Error(`${bin} missing: npm test builds it before running vitest`);
    const bad = spawnSync(process.execPath, [bin, "btf", "dump", "/no/such/file"], { encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe("btfsnoop: error: cannot read '/no/such/file': no such file or directory\n");
    const piped = spawnSync("sh", ["-c", `"${process.execPath}" "${bin}" btf dump "${VMLINUX}" | head -n 1`], { encoding: "utf8" });
    expect(piped.stdout).toBe("[1] INT 'long unsigned int' size=8 bits_offset=0 nr_bits=64 encoding=(none)\n");
    expect(piped.stderr).toBe("");
  });
});
