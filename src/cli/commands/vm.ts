// `btfsnoop vm ...`: direct access to the eBPF VM. `conformance-plugin` speaks
// the bpf_conformance runner's plugin protocol: program bytes as base-16 on
// stdin, the test memory as base-16 in the first argument, r0 printed in hex.
import type { Argv } from "yargs";
import { runConformanceBytes, parseHexBytes } from "../../vm/conformance.js";
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
    "verify a program (conformance assembly text, or instruction bytes in hex) as the conformance program type",
    (c) =>
      c
        .positional("file", { type: "string", demandOption: true, describe: "program file: assembly text or hex bytes" })
        .option("mem-size", { type: "number", default: 0, describe: "bytes of memory behind r1 (r2 holds the size)" })
        .option("unprivileged", { type: "boolean", default: false, describe: "verify as an unprivileged load" })
        .option("log-level", { choices: [0, 1, 2] as const, default: 1 as 0 | 1 | 2, describe: "0: verdict only, 1: processed instructions, 2: with register states" }),
    async (argv) => {
      const memSize = argv["mem-size"] as number;
      if (!Number.isInteger(memSize) || memSize < 0) throw new BtfsnoopError("EINVAL", `--mem-size must be a non-negative integer, got ${memSize}`);
      const program = readProgram(argv.file as string);
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

/** Reads a program file: hex bytes if it is only hex and whitespace, else the conformance assembly dialect. */
export function readProgram(path: string): Program {
  const text = Buffer.from(readInputFile(path)).toString("utf8");
  const stripped = text.replace(/#.*$/gm, "");
  if (/^[\s0-9a-fA-Fx,]*$/.test(stripped) && stripped.trim() !== "") {
    let bytes: Uint8Array;
    try {
      bytes = parseHexBytes(stripped);
    } catch (e) {
      throw new BtfsnoopError("EINVAL", `'${path}': ${(e as Error).message}`);
    }
    return wrap(path, () => decodeProgram(bytes));
  }
  return wrap(path, () => decodeProgram(encodeProgram(assemble(text))));
}

function wrap<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof BtfsnoopError) throw new BtfsnoopError(e.errno, `'${path}': ${e.message}`, { hint: e.hint, cause: e });
    throw e;
  }
}
