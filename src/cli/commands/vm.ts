// `btfsnoop vm ...`: direct access to the eBPF VM. `conformance-plugin` speaks
// the bpf_conformance runner's plugin protocol: program bytes as base-16 on
// stdin, the test memory as base-16 in the first argument, r0 printed in hex.
import type { Argv } from "yargs";
import { runConformanceBytes, parseHexBytes } from "../../vm/conformance.js";
import { BtfsnoopError } from "../../internal/errors.js";
import type { CliIo } from "../io.js";

/** Runs one conformance program; returns the line to print. Errors are BtfsnoopErrors (exit 2). */
export function conformancePlugin(programHex: string, memHex: string, elf: boolean): string {
  if (elf) throw new BtfsnoopError("EOPNOTSUPP", "--elf programs are not supported by this plugin", { hint: "run the suite without --elf true" });
  let program: Uint8Array;
  let mem: Uint8Array;
  try {
    program = parseHexBytes(programHex);
    mem = parseHexBytes(memHex);
  } catch (e) {
    throw new BtfsnoopError("EINVAL", (e as Error).message, { hint: "the runner passes bytes as two hex digits each" });
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
        .option("elf", { type: "boolean", default: false, describe: "program is an ELF file (not supported)" }),
    async (argv) => {
      const text = await io.readStdin();
      await io.out(conformancePlugin(text, (argv.memory as string) ?? "", argv.elf as boolean));
    },
  );
}
