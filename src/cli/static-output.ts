// The top-level `--help` and `--version` texts captured from yargs at build
// time, and when printing them is exactly what yargs would print. A bare
// `btfsnoop --help` otherwise loads yargs, every command module and the
// string-width tables behind yargs's layout (~0.1 s of a 0.2 s start) to
// produce text that only changes when the CLI's definitions do.
// scripts/bundle-cli.mjs captures the texts with captureStaticOutputs() from
// the modules it bundles and compiles them into the executable (see bin.ts);
// an unbundled bin.js has none and always runs yargs.
import type { CliIo } from "./io.js";

/** Which captured text an invocation prints. */
export type StaticOutputKind = "help" | "version";

/** The captured texts, as main() writes them (with the final newline). */
export interface StaticOutputs {
  help: string;
  version: string;
}

/** The terminal width the help is captured at: main() wraps at min(100, columns), 100 on a pipe. */
export const STATIC_HELP_COLUMNS = 100;

/**
 * The locale yargs would pick from `env` (its order: LC_ALL, LC_MESSAGES,
 * LANG, LANGUAGE, else en_US; encoding and modifier dropped).
 */
export function yargsLocale(env: NodeJS.ProcessEnv): string {
  const locale = env.LC_ALL || env.LC_MESSAGES || env.LANG || env.LANGUAGE || "en_US";
  return locale.replace(/[.:].*/, "");
}

/**
 * Whether yargs prints its English messages under `env`: the locale's
 * language is English, or C/POSIX (yargs has no translation for them).
 * Any other locale goes through yargs, which may have a translation.
 */
export function englishLocale(env: NodeJS.ProcessEnv): boolean {
  const lang = yargsLocale(env).split("_")[0];
  return lang === "en" || lang === "C" || lang === "POSIX";
}

/**
 * The captured text that `argv` prints, or undefined when yargs must run:
 * only a lone `--help`/`-h` (in an English locale, on a pipe or a terminal
 * at least STATIC_HELP_COLUMNS wide) or a lone `--version`/`-V`.
 */
export function staticOutputKind(argv: readonly string[], env: NodeJS.ProcessEnv, columns: number | undefined): StaticOutputKind | undefined {
  if (argv.length !== 1) return undefined;
  const a = argv[0];
  if (a === "--version" || a === "-V") return "version";
  if (a !== "--help" && a !== "-h") return undefined;
  if (Math.min(STATIC_HELP_COLUMNS, columns || STATIC_HELP_COLUMNS) !== STATIC_HELP_COLUMNS) return undefined;
  return englishLocale(env) ? "help" : undefined;
}

/**
 * Writes a captured text to standard output as main() would: a closed pipe
 * is quiet, any other failed write is one error line on stderr and exit 2.
 * Returns the exit code.
 */
export async function printStaticOutput(text: string, io: CliIo): Promise<number> {
  try {
    await io.out(text);
    return 0;
  } catch (err) {
    const { exitCodeFor, formatCliError } = await import("./errors.js");
    io.err(formatCliError(err) + "\n");
    return exitCodeFor(err);
  }
}

/**
 * Runs main() on `--help` and `--version` with an English locale and a
 * STATIC_HELP_COLUMNS-wide terminal and returns what it printed (the
 * environment is restored afterwards).
 */
export async function captureStaticOutputs(): Promise<StaticOutputs> {
  const { main } = await import("./main.js");
  const run = async (arg: string): Promise<string> => {
    let out = "";
    let err = "";
    const io: CliIo = {
      out: async (t) => void (out += t),
      err: (t) => void (err += t),
      stream: async () => {
        throw new Error("captureStaticOutputs: unexpected streamed output");
      },
      readStdin: async () => "",
      columns: () => STATIC_HELP_COLUMNS,
    };
    const saved = process.env.LC_ALL;
    process.env.LC_ALL = "C";
    try {
      const code = await main([arg], io);
      if (code !== 0 || err !== "") throw new Error(`captureStaticOutputs: btfsnoop ${arg} exited ${code}: ${err}`);
    } finally {
      if (saved === undefined) delete process.env.LC_ALL;
      else process.env.LC_ALL = saved;
    }
    return out;
  };
  return { help: await run("--help"), version: await run("--version") };
}
