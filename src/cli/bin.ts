#!/usr/bin/env node
// The `btfsnoop` executable: runs the CLI on this process's arguments. In the
// bundled build a lone --help or --version prints the text yargs produced at
// build time (static-output.ts) without loading yargs or any command; the
// bundler (scripts/bundle-cli.mjs) defines BTFSNOOP_STATIC_HELP and
// BTFSNOOP_STATIC_VERSION, which an unbundled bin.js leaves undefined.
// Commands on the synthetic kernel start with V8's optimizer held back
// (short-run.ts).
import { processIo } from "./io.js";
import { printStaticOutput, staticOutputKind } from "./static-output.js";

declare const BTFSNOOP_STATIC_HELP: string | undefined;
declare const BTFSNOOP_STATIC_VERSION: string | undefined;

/** The captured text for `argv` if this build has it and it is what yargs would print, else undefined. */
function staticText(argv: readonly string[]): string | undefined {
  const help = typeof BTFSNOOP_STATIC_HELP === "string" ? BTFSNOOP_STATIC_HELP : undefined;
  const version = typeof BTFSNOOP_STATIC_VERSION === "string" ? BTFSNOOP_STATIC_VERSION : undefined;
  if (help === undefined || version === undefined) return undefined;
  const kind = staticOutputKind(argv, process.env, processIo.columns?.());
  return kind === "help" ? help : kind === "version" ? version : undefined;
}

/** Runs the CLI proper; the usually short commands on the synthetic kernel run with the optimizer held (short-run.ts). */
async function runMain(argv: string[]): Promise<number> {
  const [{ commandGroup, main }, { holdOptimizer, shortRunCommand }] = await Promise.all([import("./main.js"), import("./short-run.js")]);
  if (shortRunCommand(commandGroup(argv), argv)) holdOptimizer();
  return main(argv);
}

// node's argv minus node and the script (what yargs's hideBin returns outside Electron).
const argv = process.argv.slice(2);
const text = staticText(argv);
process.exitCode = text !== undefined ? await printStaticOutput(text, processIo) : await runMain(argv);
