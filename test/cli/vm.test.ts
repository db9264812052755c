// `btfsnoop vm conformance-plugin`: the bpf_conformance runner's plugin
// protocol through the real CLI.
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
