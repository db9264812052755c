// btfsnoop's command-line entry point: builds the yargs command tree and maps
// failures to a single stderr line and an exit code (2 = usage/input error).
import yargs, { type Argv } from "yargs";
import type { TraceArgs } from "./commands/trace.js";
import { ExitStatus, exitCodeFor, formatCliError, UsageError } from "./errors.js";
import { processIo, type CliIo } from "./io.js";
import { didYouMean } from "../probe-spec/suggest.js";
import { YargsErrors } from "./yargs-errors.js";

/** Command names (the first word) -> the group of commands that module registers. */
const GROUPS: Readonly<Record<string, string>> = {
  trace: "trace",
  info: "info",
  list: "info",
  count: "aggregate",
  hist: "aggregate",
  lhist: "aggregate",
  latency: "aggregate",
  iter: "iter",
  tui: "tui",
  btf: "btf",
  prog: "prog",
  run: "run",
  vm: "vm",
};

/**
 * A trace of a first word that is no kernel function but is close to a
 * command name (`infor`, `lsit`) was a mistyped command: the UsageError
 * saying so, else undefined (the spec error stands).
 */
export function mistypedCommand(err: unknown, argv: readonly string[]): UsageError | undefined {
  const e = err as { name?: string; errno?: string; spec?: string };
  const word = argv[0];
  if (word === undefined || e?.name !== "SpecResolveError" || e.errno !== "ENOENT" || e.spec !== word || !/^[a-z][a-z-]*$/.test(word)) return undefined;
  const hint = didYouMean(word, Object.keys(GROUPS));
  return hint ? new UsageError(`no command or kernel function '${word}'${hint}`) : undefined;
}

/**
 * The one command group `argv` can need, or undefined for all of them. Each
 * command's module (and what it imports: the tracer, the synthetic kernel,
 * the grammar...) loads only when that command runs, so `info` does not pay
 * for `trace`: ESM loading is most of a cold start. All groups load when the
 * command is not the first word (or is absent with --help or --version), so
 * help and yargs's own errors see the whole tree.
 */
export function commandGroup(argv: readonly string[]): string | undefined {
  if (interactiveShortcut(argv)) return "tui";
  const first = argv[0];
  if (first !== undefined && GROUPS[first] !== undefined) return GROUPS[first];
  if (argv.length === 0 || argv.some((a) => GROUPS[a] !== undefined || a === "--help" || a === "-h" || a === "--version" || a === "-V")) return undefined;
  return "trace";
}

/**
 * Whether `-i`/`--interactive` (before any `--`) is the TUI's shortcut: only
 * for the default command (trace) or tui itself; count, hist, lhist and
 * latency have their own `-i, --interval`.
 */
export function interactiveShortcut(argv: readonly string[]): boolean {
  const dashes = argv.indexOf("--");
  const options = dashes < 0 ? argv : argv.slice(0, dashes);
  if (!options.some((a) => a === "-i" || a === "--interactive")) return false;
  return !options.some((a) => GROUPS[a] !== undefined && GROUPS[a] !== "trace" && GROUPS[a] !== "tui");
}

/** Runs the CLI on `argv` (without node and script); returns the exit code. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const group = commandGroup(argv);
  const want = (g: string) => group === undefined || group === g;
  const yargsErrors = new YargsErrors(argv);
  let parser: Argv = yargsErrors.install(yargs(argv));
  if (want("info")) parser = (await import("./commands/info.js")).registerInfo(parser, io);
  if (want("aggregate")) parser = (await import("./commands/aggregate.js")).registerAggregate(parser, io);
  if (want("iter")) parser = (await import("./commands/iter.js")).registerIter(parser, io); // issue 10: `iter TARGET`, `iter cat NAME`
  parser = parser
    .scriptName("btfsnoop")
    .usage("$0 [trace] SPEC... [options]\n\nTrace kernel functions with BTF-typed arguments (ksnoop-style), on the embedded synthetic kernel.");
  if (want("trace")) {
    const { runTraceCommand, traceOptions } = await import("./commands/trace.js");
    parser = parser.command(
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
        const code = await runTraceCommand(args, io).catch((e: unknown) => {
          throw mistypedCommand(e, argv) ?? e;
        });
        if (code !== 0) throw new ExitStatus(code);
      },
    );
  }
  if (want("tui")) parser = parser.command((await import("./commands/tui.js")).tuiCommand(io, interactiveShortcut(argv) ? argv : [...argv])); // issue 9: `tui [specs..]`, and -i (rewritten to `tui`)
  if (want("btf")) {
    const { registerBtfDump } = await import("./commands/btf-dump.js");
    parser = parser.command("btf", "inspect BTF type information", (y) => registerBtfDump(y, io).demandCommand(1, "btf: choose a subcommand (dump)").strict());
  }
  if (want("prog")) {
    const { registerProgDump } = await import("./commands/prog-dump.js");
    const { registerProgLoad } = await import("./commands/run.js"); // issue 16: `prog load OBJ`
    parser = parser.command("prog", "show the generated programs; verify a BPF object", (y) => registerProgLoad(registerProgDump(y, io), io).demandCommand(1, "prog: choose a subcommand (dump, load)").strict());
  }
  if (want("run")) parser = (await import("./commands/run.js")).registerRun(parser, io); // issue 16: `run OBJ.bpf.o`
  if (want("vm")) {
    const { registerVm } = await import("./commands/vm.js");
    parser = parser.command("vm", "run programs on the eBPF VM", (y) => registerVm(y, io).demandCommand(1, "vm: choose a subcommand (verify, conformance-plugin)").strict());
  }
  parser = parser
    .demandCommand(1, 'give a probe spec, e.g. btfsnoop "ip_send_skb(skb->sk)", or a command')
    .strict()
    .recommendCommands()
    .help()
    .alias("h", "help")
    .exitProcess(false)
    .version("0.1.0")
    .alias("V", "version")
    .wrap(Math.min(100, (io.columns ? io.columns() : process.stdout.columns) || 100))
    .fail((msg, err, usage) => {
      // yargs reports its own complaints (and errors thrown by option coercion) as YError.
      if (err && err.name !== "YError") throw err;
      if (msg) throw yargsErrors.translate(msg, usage as unknown as Parameters<YargsErrors["translate"]>[1]);
      throw new UsageError(err?.message ?? "invalid command line");
    });
  try {
    // With a parse callback yargs hands over the text of --help and
    // --version instead of printing it, so it goes through io.out and a
    // failed write is an error like any other output's.
    let text = "";
    await parser.parseAsync(argv, {}, (_err, _args, output) => {
      text = output;
    });
    if (text) await io.out(text.endsWith("\n") ? text : `${text}\n`);
  } catch (err) {
    if (err instanceof ExitStatus) return err.code;
    io.err(formatCliError(err) + "\n");
    return exitCodeFor(err);
  }
  return 0;
}
