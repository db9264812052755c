// btfsnoop's command-line entry point: builds the yargs command tree and maps
// failures to a single stderr line and an exit code (2 = usage/input error).
import yargs from "yargs";
import { registerBtfDump } from "./commands/btf-dump.js";
import { registerVm } from "./commands/vm.js";
import { registerInfo } from "./commands/info.js";
import { registerAggregate } from "./commands/aggregate.js";
import { registerProgDump } from "./commands/prog-dump.js";
import { registerIter } from "./commands/iter.js";
import { runTraceCommand, traceOptions, type TraceArgs } from "./commands/trace.js";
import { ExitStatus, exitCodeFor, formatCliError, UsageError } from "./errors.js";
import { processIo, type CliIo } from "./io.js";

/** Runs the CLI on `argv` (without node and script); returns the exit code. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const parser = registerIter(registerAggregate(registerInfo(yargs(argv), io), io), io) // issue 10: `iter TARGET`, `iter cat NAME`
    .scriptName("btfsnoop")
    .usage("$0 [trace] SPEC... [options]\n\nTrace kernel functions with BTF-typed arguments (ksnoop-style), on the embedded synthetic kernel.")
    .command(
      ["trace [specs..]", "$0 [specs..]"],
      "trace functions: print their arguments on entry and return values on exit (the default command)",
      (y) =>
        traceOptions(y)
          .example('$0 "ip_send_skb(skb->sk)"', "the socket of every sent skb")
          .example('$0 "ip_send_skb(skb->len > 128, skb)"', "only skbs longer than 128 bytes")
          .example('$0 "tcp_sendmsg(size, return < 0)"', "sends that failed (signed compare)")
          .example("$0 'tcp_*' --json -c 10 | jq .func", "NDJSON for jq")
          .example('$0 "netif_receive_skb(skb->dev->name == \\"lo\\")"', "string filter on a pointer chain"),
      async (a) => {
        const args = a as unknown as TraceArgs & { json?: boolean };
        if (args.json) args.format = "json";
        const code = await runTraceCommand(args, io);
        if (code !== 0) throw new ExitStatus(code);
      },
    )
    .command((await import("./commands/tui.js")).tuiCommand(io, argv)) // issue 9: `tui [specs..]`, and -i (rewritten to `tui`)
    .command("btf", "inspect BTF type information", (y) => registerBtfDump(y, io).demandCommand(1, "btf: choose a subcommand (dump)").strict())
    .command("prog", "show the generated programs", (y) => registerProgDump(y, io).demandCommand(1, "prog: choose a subcommand (dump)").strict())
    .command("vm", "run programs on the eBPF VM", (y) => registerVm(y, io).demandCommand(1, "vm: choose a subcommand (verify, conformance-plugin)").strict())
    .demandCommand(1, 'give a probe spec, e.g. btfsnoop "ip_send_skb(skb->sk)", or a command')
    .strict()
    .recommendCommands()
    .help()
    .alias("h", "help")
    .exitProcess(false)
    .version("0.1.0")
    .alias("V", "version")
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
