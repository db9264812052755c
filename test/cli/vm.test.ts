// `btfsnoop vm conformance-plugin`: the bpf_conformance runner's plugin
// protocol through the real CLI.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import type { CliIo } from "../../src/cli/io.js";
import { collect } from "../../src/btf/format/sink.js";

async function run(stdin: string, ...argv: string[]) {
  let out = "";
  let err = "";
  const io: CliIo = {
    out: async (s) => void (out += s),
    err: (s) => void (err += s),
    stream: async (fill) => void (out += collect(fill)),
    readStdin: async () => stdin,
  };
  return { code: await main(argv, io), out, err };
}

describe("vm conformance-plugin", () => {
  it("prints r0 in hex", async () => {
    expect(await run("b7 00 00 00 05 00 00 00 95 00 00 00 00 00 00 00", "vm", "conformance-plugin")).toEqual({ code: 0, out: "0x5\n", err: "" });
  });

  it("passes the memory as r1/r2 (ldxdw r0, [r1])", async () => {
    const r = await run("79 10 00 00 00 00 00 00 95 00 00 00 00 00 00 00", "vm", "conformance-plugin", "01 02 03 04 05 06 07 08");
    expect(r.out).toBe("0x807060504030201\n");
  });

  it.each([
    ["ff 00 00 00 00 00 00 00", [], "btfsnoop: error: insn 0: unknown opcode 0xff\n"],
    ["b7 0", [], "btfsnoop: error: not a base-16 byte string: 'b7 0' (hint: the runner passes bytes as two hex digits each)\n"],
    ["95 00 00 00 00 00 00 00", ["--elf"], "btfsnoop: error: --elf programs are not supported by this plugin (hint: run the suite without --elf true)\n"],
  ])("%s %j fails with exit 2", async (stdin, extra, message) => {
    const r = await run(stdin, "vm", "conformance-plugin", ...extra);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toBe(message);
  });

  it("reports a memory fault as an error naming the instruction", async () => {
    const r = await run("79 10 08 00 00 00 00 00 95 00 00 00 00 00 00 00", "vm", "conformance-plugin", "01 02");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^btfsnoop: error: insn 0: invalid read of 8 bytes at 0x[0-9a-f]+: not inside any mapped region\n$/);
  });
});

describe("vm verify", () => {
  const dir = mkdtempSync(join(tmpdir(), "btfsnoop-verify-"));
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const oob = file("oob.s", "mov %r0, 1\nldxdw %r1, [%r1+8]\nexit\n");

  it("rejects an out-of-bounds load with exit 1 and the kernel-style log", async () => {
    const r = await run("", "vm", "verify", oob, "--mem-size", "8");
    expect(r.code).toBe(1);
    expect(r.err).toBe("");
    expect(r.out).toBe(
      [
        "0: R1=mem(sz=8) R2=8 R10=fp0",
        "0: (b7) r0 = 1                        ; R0_w=1",
        "1: (79) r1 = *(u64 *)(r1 +8)",
        "invalid access to memory, mem_size=8 off=8 size=8",
        "R1 min value is outside of the allowed memory range",
        "processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0",
        "verification failed: insn 1: R1 min value is outside of the allowed memory range",
        "",
      ].join("\n"),
    );
  });

  it("accepts it with enough memory (exit 0), reading hex bytes too", async () => {
    expect((await run("", "vm", "verify", oob, "--mem-size", "16", "--log-level", "0")).out).toBe(
      "processed 3 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\nverification passed\n",
    );
    const hex = file("ok.hex", "b7 00 00 00 01 00 00 00\n95 00 00 00 00 00 00 00\n");
    expect((await run("", "vm", "verify", hex, "--log-level", "0")).code).toBe(0);
  });

  it("refuses loops when unprivileged", async () => {
    const loop = file("loop.s", "mov %r0, 0\nloop:\nadd %r0, 1\njlt %r0, 10, loop\nexit\n");
    expect((await run("", "vm", "verify", loop, "--log-level", "0")).code).toBe(0);
    const r = await run("", "vm", "verify", loop, "--unprivileged", "--log-level", "0");
    expect(r.code).toBe(1);
    expect(r.out).toContain("verification failed: insn 2: back-edge from insn 2 to 1");
  });

  it("bad input is exit 2 with one line", async () => {
    const bad = file("bad.s", "mov %r50, 1\nexit\n");
    const r = await run("", "vm", "verify", bad);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`btfsnoop: error: '${bad}': Invalid register: %r50 (hint: line 1: mov %r50, 1)\n`);
  });

  describe("bpf_conformance .data files", () => {
    const suite = join(__dirname, "../fixtures/bpf_conformance");

    it("takes the -- asm section as the program and -- mem as the memory (ldxb.data: 5 bytes)", async () => {
      const r = await run("", "vm", "verify", join(suite, "tests/ldxb.data"));
      expect(r).toEqual({
        code: 0,
        err: "",
        out: "processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\nverification passed\n",
      });
    });

    it("an explicit --mem-size wins over -- mem", async () => {
      const r = await run("", "vm", "verify", join(suite, "tests/ldxb.data"), "--mem-size", "2", "--log-level", "0");
      expect(r.code).toBe(1);
      expect(r.out).toBe(
        "processed 1 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\nverification failed: insn 0: R1 min value is outside of the allowed memory range\n",
      );
    });

    it("takes the -- raw section (lddw.data) and recognizes the format without the .data name", async () => {
      expect((await run("", "vm", "verify", join(suite, "tests/lddw.data"), "--log-level", "0")).code).toBe(0);
      const copy = file("prog.txt", "# a suite file under another name\n-- asm\nldxb %r0, [%r1+4]\nexit\n-- mem\n00 01 02 03 04\n-- result\n0x4\n");
      expect(await run("", "vm", "verify", copy, "--log-level", "0")).toEqual({
        code: 0,
        err: "",
        out: "processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\nverification passed\n",
      });
    });

    it.each([
      ["negative/invalid_mnemonic.data", "Invalid mnemonic: ldxq (hint: line 5: ldxq %r0, %r1)"],
      ["negative/unused-add_imm-src.data", "insn 0: non-zero reserved field src=1 in add32 (0x04)"],
      ["negative/empty.data", "no instructions (hint: a .data file's program is its -- asm (or -- raw) section)"],
    ])("%s: exit 2 naming the file (and the file's line)", async (name, message) => {
      const path = join(suite, name);
      const r = await run("", "vm", "verify", path);
      expect(r).toEqual({ code: 2, out: "", err: `btfsnoop: error: '${path}': ${message}\n` });
    });

    it("an unknown section is named", async () => {
      const bad = file("bad.data", "-- asm\nexit\n-- bogus\n");
      const r = await run("", "vm", "verify", bad);
      expect(r).toEqual({ code: 2, out: "", err: `btfsnoop: error: '${bad}': unknown section '-- bogus' (hint: a .data file has -- asm or -- raw, -- mem, -- result and -- error sections)\n` });
    });
  });

  it("conformance-plugin --verify refuses what the verifier rejects", async () => {
    // ldxdw r0, [r1+0] with no memory: r1 is NULL
    const r = await run("79 10 00 00 00 00 00 00 95 00 00 00 00 00 00 00", "vm", "conformance-plugin", "--verify");
    expect(r.code).toBe(2);
    expect(r.err).toBe("btfsnoop: error: verifier rejected the program: insn 0: R1 invalid mem access 'scalar'\n");
  });
});
