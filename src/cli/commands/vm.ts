// `btfsnoop vm ...`: direct access to the eBPF VM. `conformance-plugin` speaks
// the bpf_conformance runner's plugin protocol: program bytes as base-16 on
// stdin, the test memory as base-16 in the first argument, r0 printed in hex.
// `verify FILE` reads assembly, hex bytes, or a suite `.data` file (its
// `-- asm` or `-- raw` section is the program, `-- mem` the memory).
import type { Argv } from "yargs";
import { runConformanceBytes, parseHexBytes } from "../../vm/conformance.js";
import { parseConformanceData } from "../../vm/conformance-data.js";
import { BtfsnoopError } from "../../internal/errors.js";
import { assemble } from "../../vm/isa/asm.js";
import { decodeProgram } from "../../vm/isa/decode.js";
import { encodeProgram } from "../../vm/isa/encode.js";
import type { Program } from "../../vm/isa/instruction.js";
import { conformanceProgType } from "../../vm/verifier/prog-types.js";
import { verify } from "../../vm/verifier/verifier.js";
import { ExitStatus } from "../errors.js";
import { readInputFile, type CliIo } from "../io.js";

/** Runs one conformance program; returns the line to print. Errors are BtfsnoopErrors (exit 2). */
export function conformancePlugin(programHex: string, memHex: string, elf: boolean, verifyFirst = false): string {
  if (elf) throw new BtfsnoopError("EOPNOTSUPP", "--elf programs are not supported by this plugin", { hint: "run the suite without --elf true" });
  let program: Uint8Array;
  let mem: Uint8Array;
  try {
    program = parseHexBytes(programHex);
    mem = parseHexBytes(memHex);
  } catch (e) {
    throw new BtfsnoopError("EINVAL", (e as Error).message, { hint: "the runner passes bytes as two hex digits each" });
  }
  if (verifyFirst) {
    const v = verify(decodeProgram(program), { progType: conformanceProgType(mem.length) });
    if (!v.accepted) throw new BtfsnoopError("EACCES", `verifier rejected the program: ${v.error!.message}`);
  }
  const run = runConformanceBytes(program, mem);
  if (run.fault) throw new BtfsnoopError(run.fault.errno, run.fault.message);
  return `0x${run.r0.toString(16)}\n`;
}

export function registerVm(y: Argv, io: CliIo): Argv {
  return y.command(
    "conformance-plugin [memory] [options..]",
    "bpf_conformance plugin: program as hex on stdin, memory as hex argument, prints r0",
    (c) =>
      c
        .positional("memory", { type: "string", default: "", describe: "test memory as base-16 bytes" })
        .positional("options", { type: "string", array: true, describe: "plugin options (ignored)" })
        .option("elf", { type: "boolean", default: false, describe: "program is an ELF file (not supported)" })
        .option("verify", { type: "boolean", default: false, describe: "verify the program before running it" }),
    async (argv) => {
      const text = await io.readStdin();
      await io.out(conformancePlugin(text, (argv.memory as string) ?? "", argv.elf as boolean, argv.verify as boolean));
    },
  ).command(
    "verify <file>",
    "verify a program (conformance assembly text, instruction bytes in hex, or a bpf_conformance .data file) as the conformance program type",
    (c) =>
      c
        .positional("file", { type: "string", demandOption: true, describe: "program file: assembly text, hex bytes, or a suite .data file (-- asm/-- raw, -- mem)" })
        .option("mem-size", { type: "number", describe: "bytes of memory behind r1 (r2 holds the size); default: a .data file's -- mem section, else 0" })
        .option("unprivileged", { type: "boolean", default: false, describe: "verify as an unprivileged load" })
        .option("log-level", { choices: [0, 1, 2] as const, default: 1 as 0 | 1 | 2, describe: "0: verdict only, 1: the failing path with register states (only the summary when accepted), 2: every path" }),
    async (argv) => {
      const given = argv["mem-size"] as number | undefined;
      if (given !== undefined && (!Number.isInteger(given) || given < 0)) throw new BtfsnoopError("EINVAL", `--mem-size must be a non-negative integer, got ${given}`);
      const { program, mem } = readProgram(argv.file as string);
      const memSize = given ?? mem?.length ?? 0;
      const v = verify(program, { progType: conformanceProgType(memSize), privileged: !argv.unprivileged, logLevel: argv["log-level"] as 0 | 1 | 2 });
      let out = "";
      if ((argv["log-level"] as number) >= 1) out += v.log.join("\n") + "\n";
      else out += v.log[v.log.length - 1] + "\n";
      out += v.accepted ? "verification passed\n" : `verification failed: ${v.error!.message}\n`;
      await io.out(out);
      if (!v.accepted) throw new ExitStatus(1);
    },
  );
}

/** A program read from a file, with the memory a suite `.data` file gives it. */
export interface ProgramFile {
  program: Program;
  /** The `-- mem` section of a `.data` file (empty when it has none); undefined for other files. */
  mem?: Uint8Array;
}

/** A section header of the suite's `.data` format (`-- asm`, `-- raw`, `-- mem`, `-- result`, `-- error`, `-- c`). */
const DATA_SECTION = /^\s*--\s*(asm|raw|mem|result|error|c)\s*$/m;

/**
 * Reads a program file: a bpf_conformance `.data` file (by its name or its
 * section headers), hex bytes if it is only hex and whitespace, else the
 * conformance assembly dialect.
 */
export function readProgram(path: string): ProgramFile {
  const text = Buffer.from(readInputFile(path)).toString("utf8");
  const stripped = text.replace(/#.*$/gm, "");
  if (path.endsWith(".data") || DATA_SECTION.test(stripped)) return readDataFile(path, text);
  if (/^[\s0-9a-fA-Fx,]*$/.test(stripped) && stripped.trim() !== "") {
    let bytes: Uint8Array;
    try {
      bytes = parseHexBytes(stripped);
    } catch (e) {
      throw new BtfsnoopError("EINVAL", `'${path}': ${(e as Error).message}`);
    }
    return { program: wrap(path, () => decodeProgram(bytes)) };
  }
  return { program: wrap(path, () => decodeProgram(encodeProgram(assemble(text)))) };
}

/** A suite `.data` file: the `-- raw` words, else the `-- asm` section (assembled in place, so errors name the file's line), and `-- mem`. */
function readDataFile(path: string, text: string): ProgramFile {
  const data = parseConformanceData(text);
  if (data.skip?.startsWith("Unknown directive")) {
    throw new BtfsnoopError("EINVAL", `'${path}': unknown section '${data.skip.slice("Unknown directive ".length).trim()}'`, { hint: "a .data file has -- asm or -- raw, -- mem, -- result and -- error sections" });
  }
  if (data.raw !== undefined && data.raw.length > 0) return { program: wrap(path, () => decodeProgram(data.raw!)), mem: data.mem };
  if (data.asm === undefined || data.asm.trim() === "") {
    throw new BtfsnoopError("EINVAL", `'${path}': no instructions`, { hint: "a .data file's program is its -- asm (or -- raw) section" });
  }
  // Every line outside the asm section blanked: the assembler's line numbers stay the file's.
  let inAsm = false;
  const lines = text.split("\n").map((line) => {
    const code = line.replace(/#.*$/, "");
    if (code.includes("--")) {
      inAsm = /\basm\b/.test(code);
      return "";
    }
    return inAsm ? line : "";
  });
  return { program: wrap(path, () => decodeProgram(encodeProgram(assemble(lines.join("\n"))))), mem: data.mem };
}

function wrap<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof BtfsnoopError) throw new BtfsnoopError(e.errno, `'${path}': ${e.message}`, { hint: e.hint, cause: e });
    throw e;
  }
}
