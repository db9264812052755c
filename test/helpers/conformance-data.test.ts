import { describe, expect, it } from "vitest";
import { join } from "node:path";
import {
  CONFORMANCE_NEGATIVE_DIR,
  CONFORMANCE_TESTS_DIR,
  listDataFiles,
  parseConformanceData,
  readConformanceData,
} from "./conformance-data.js";
import { assemble } from "../../src/vm/isa/asm.js";
import { decodeProgram } from "../../src/vm/isa/decode.js";
import { encodeProgram } from "../../src/vm/isa/encode.js";
import { disassemble } from "../../src/vm/isa/disasm.js";

describe("parseConformanceData", () => {
  it("parses sections, comments, result, mem and raw words", () => {
    const d = parseConformanceData(
      [
        "# Copyright",
        "-- asm",
        "mov %r0, 1 # one",
        "",
        "exit",
        "-- mem",
        "00 ff 0x12",
        "7f",
        "-- raw",
        "0x5566778800000018 0x1122334400000000",
        "149",
        "-- result",
        "0x1",
        "0xFFFFFFFFFFFFFF80",
      ].join("\r\n"),
    );
    expect(d.asm).toBe("mov %r0, 1 \nexit");
    expect([...d.mem]).toEqual([0x00, 0xff, 0x12, 0x7f]);
    expect(d.rawForm).toBe("words");
    expect([...d.raw!]).toEqual([
      0x18, 0, 0, 0, 0x88, 0x77, 0x66, 0x55, 0, 0, 0, 0, 0x44, 0x33, 0x22, 0x11, 0x95, 0, 0, 0, 0, 0, 0, 0,
    ]);
    expect(d.result).toBe(0xffffffffffffff80n);
    expect(d.error).toBeUndefined();
    expect(d.skip).toBeUndefined();
  });

  it("reads decimal results as unsigned 64-bit", () => {
    expect(parseConformanceData("-- asm\nexit\n-- result\n42").result).toBe(42n);
    expect(parseConformanceData("-- asm\nexit\n-- result\n-1").result).toBe(0xffffffffffffffffn);
  });

  it("ignores `-- c` and `-- no register offset` sections", () => {
    const d = parseConformanceData("-- c\nint x;\n-- asm\nexit\n-- no register offset\nwhatever\n-- result\n0x0");
    expect(d.asm).toBe("exit");
    expect(d.result).toBe(0n);
  });

  it("reports an unknown directive as a skip", () => {
    expect(parseConformanceData("-- asm\nexit\n-- Unknown directive\n-- error\nx").skip).toBe(
      "Unknown directive -- Unknown directive",
    );
  });

  it("keeps an empty -- error as \"\" and marks the file skipped like the runner", () => {
    const d = parseConformanceData("-- raw\n95 00 00 00 00 00 00 00\n-- error\n");
    expect(d.error).toBe("");
    expect(d.rawForm).toBe("bytes");
    expect([...d.raw!]).toEqual([0x95, 0, 0, 0, 0, 0, 0, 0]);
    expect(d.skip).toBe("No result or error in test file");
  });

  it("marks a file without instructions", () => {
    expect(parseConformanceData("-- result\n0x0").skip).toBe("Test file has no BPF instructions.");
  });
});

describe("bpf_conformance tests/*.data", () => {
  const files = listDataFiles(CONFORMANCE_TESTS_DIR);
  const parsed = files.map((f) => [f, readConformanceData(join(CONFORMANCE_TESTS_DIR, f))] as const);

  it("has 313 files, each with instructions and a result", () => {
    expect(files).toHaveLength(313);
    for (const [file, d] of parsed) {
      expect(d.asm !== undefined || d.raw !== undefined, file).toBe(true);
      expect(d.result, file).toBeTypeOf("bigint");
      expect(d.error, file).toBeUndefined();
      expect(d.skip, file).toBeUndefined();
    }
    expect(parsed.filter(([, d]) => d.mem.length > 0)).toHaveLength(40);
    expect(parsed.filter(([, d]) => d.raw !== undefined).map(([f]) => f)).toEqual(["lddw.data"]);
  });

  it.each(parsed)("%s assembles/decodes and round-trips", (file, d) => {
    const bytes = d.raw ?? encodeProgram(assemble(d.asm!));
    expect(bytes.length).toBeGreaterThan(0);
    const prog = decodeProgram(bytes);
    expect(encodeProgram(prog.insns)).toEqual(bytes);
    expect(decodeProgram(encodeProgram(prog.insns))).toEqual(prog);
    const lines = disassemble(prog);
    expect(lines).toHaveLength(prog.insns.length);
    for (const line of lines) expect(line, file).not.toMatch(/BUG/);
  });

  it("lddw.data's asm and raw sections agree", () => {
    const d = readConformanceData(join(CONFORMANCE_TESTS_DIR, "lddw.data"));
    expect(encodeProgram(assemble(d.asm!))).toEqual(d.raw);
  });
});

describe("bpf_conformance negative/*.data", () => {
  const files = listDataFiles(CONFORMANCE_NEGATIVE_DIR);

  it("parses all 60 files without throwing", () => {
    expect(files).toHaveLength(60);
    for (const f of files) expect(() => readConformanceData(join(CONFORMANCE_NEGATIVE_DIR, f)), f).not.toThrow();
  });

  it("reads the 45 unused-* files as byte rows with an empty expected error", () => {
    const unused = files.filter((f) => f.startsWith("unused-"));
    expect(unused).toHaveLength(45);
    for (const f of unused) {
      const d = readConformanceData(join(CONFORMANCE_NEGATIVE_DIR, f));
      expect(d.rawForm, f).toBe("bytes");
      expect(d.raw?.length, f).toBe(16);
      expect(d.error, f).toBe("");
    }
  });

  it("classifies the hand-written files like the runner", () => {
    const get = (f: string) => readConformanceData(join(CONFORMANCE_NEGATIVE_DIR, f));
    expect(get("empty.data").skip).toBe("No result or error in test file");
    expect(get("empty_instructions.data").skip).toBe("Test file has no BPF instructions.");
    expect(get("invalid_unknown_directive.data").skip).toBe("Unknown directive -- Unknown directive");
    expect(get("invalid_register.data").error).toBe("Invalid register");
    expect(get("error.data").error).toBe("Invalid");
    const high = get("incorrect_return_value_high_bits.data");
    expect(high.result).toBe(0x8977665544332211n);
    expect([...high.mem]).toEqual([0xaa, 0xbb, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0xcc, 0xdd]);
  });
});
