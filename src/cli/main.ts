// btfsnoop's command-line entry point: builds the yargs command tree and maps
// failures to a single stderr line and an exit code (2 = usage/input error).
import yargs from "yargs";
import { registerBtfDump } from "./commands/btf-dump.js";
import { registerVm } from "./commands/vm.js";
import { ExitStatus, exitCodeFor, formatCliError, UsageError } from "./errors.js";
import { processIo, type CliIo } from "./io.js";

/** Runs the CLI on `argv` (without node and script); returns the exit code. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const parser = yargs(argv)
    .scriptName("btfsnoop")
    .usage("$0 <command> [options]")
    .command("btf", "inspect BTF type information", (y) => registerBtfDump(y, io).demandCommand(1, "btf: choose a subcommand (dump)").strict())
    .command("vm", "run programs on the eBPF VM", (y) => registerVm(y, io).demandCommand(1, "vm: choose a subcommand (verify, conformance-plugin)").strict())
    .demandCommand(1, "choose a command")
    .strict()
    .recommendCommands()
    .help()
    .alias("h", "help")
    .exitProcess(false)
    .version("0.1.0")
    .wrap(Math.min(100, process.stdout.columns || 100))
    .fail((msg, err) => {
      // yargs reports its own complaints (and errors thrown by option coercion) as YError.
      if (err && err.name !== "YError") throw err;
      throw new UsageError(msg ?? err?.message ?? "invalid command line");
    });
  try {
    await parser.parseAsync();
  } catch (err) {
    if (err instanceof ExitStatus) return err.code;
    io.err(formatCliError(err) + "\n");
    return exitCodeFor(err);
  }
  return 0;
}
