// `btfsnoop tui [SPEC...]` (and `btfsnoop -i [SPEC...]`): the interactive
// view of the synthetic kernel, or with --btf FILE of a scale-mode kernel
// made from that BTF (src/ui/tui). Boots the kernel, attaches the specs
// (errors are reported like `trace` does, before the screen starts),
// renders the ink App on the alternate screen (one row short of the
// terminal, redrawing only changed lines) and, on q or Ctrl-C, detaches
// and prints the summary on stderr; also when the terminal goes away
// (SIGHUP, stdin closed, stdout failing). Refuses (exit 2) when stdout or stdin is not a
// terminal, with a hint to use `trace`. NO_COLOR turns colors off.
import { basename } from "node:path";
import type { Argv, CommandModule } from "yargs";
import { BtfsnoopError } from "../../internal/errors.js";
import { loadBtfFile } from "../btf-file.js";
import type { TuiDriver as TuiDriverT } from "../../ui/tui/driver.js";
import { UsageError } from "../errors.js";
import type { CliIo } from "../io.js";

export interface TuiArgs {
  specs?: string[] | undefined;
  workload: string;
  seed: number;
  cpus: number;
  pages: number;
  stack?: boolean | undefined;
  render?: "kernel" | "user" | undefined;
  btf?: string | undefined;
}

/** The terminal the TUI runs on (the process's, or a fake in tests). */
export interface TuiTerminal {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
}

const processTerminal = (): TuiTerminal => ({ stdin: process.stdin, stdout: process.stdout, env: process.env });

/** Whether to use colors: not with NO_COLOR (any non-empty value), nor on a terminal without them. */
export function useColor(term: TuiTerminal): boolean {
  if (term.env.NO_COLOR !== undefined && term.env.NO_COLOR !== "") return false;
  return term.stdout.isTTY === true && (typeof term.stdout.hasColors !== "function" || term.stdout.hasColors());
}

/** Options of `tui`. */
export function tuiOptions<T>(y: Argv<T>) {
  return y
    .positional("specs", { type: "string", array: true, describe: "probe specs to attach at start (the spec prompt adds more; a line starting with = replaces them)" })
    .option("workload", { type: "string", default: "mixed", describe: "synthetic kernel workload: net, fs, block, sched, mixed (random with --btf)" })
    .option("btf", { type: "string", describe: "trace a kernel made from this BTF file in scale mode (every FUNC callable, random calls), as trace --btf" })
    .option("seed", { type: "number", default: 1, describe: "workload seed" })
    .option("cpus", { type: "number", default: 4, describe: "CPUs of the synthetic kernel" })
    .option("pages", { alias: "P", type: "number", default: 16, describe: "ring buffer size in 4 KiB pages (a power of two)" })
    .option("stack", { alias: "s", type: "boolean", describe: "stack mode: only calls inside the chain SPEC1 -> SPEC2 -> ... (as trace -s)" })
    .option("render", { choices: ["kernel", "user"] as const, default: "user" as const, describe: "render values in the program (bpf_snprintf_btf) or in user space" });
}

/**
 * The `tui` command for main.ts's yargs tree. `-i`/`--interactive` anywhere
 * in `argv` means `tui`: the flag is rewritten in place (yargs parses the
 * array it was given when parseAsync runs), so `btfsnoop -i "tcp_*"` is
 * `btfsnoop tui "tcp_*"`.
 */
export function tuiCommand(io: CliIo, argv: string[], term: () => TuiTerminal = processTerminal): CommandModule {
  const at = argv.findIndex((a) => a === "-i" || a === "--interactive");
  if (at >= 0 && !argv.slice(0, at).includes("--")) {
    argv.splice(at, 1);
    if (argv[0] !== "tui") argv.unshift("tui");
  }
  return {
    command: "tui [specs..]",
    describe: "interactive view: live function table, events, histograms and a spec prompt (also -i)",
    builder: (y) => tuiOptions(y).example('$0 tui "tcp_*" --workload net', "watch the TCP functions of the net workload"),
    handler: async (a) => {
      await runTuiCommand(a as unknown as TuiArgs, io, term());
    },
  };
}

/**
 * Runs `load` with CI and CONTINUOUS_INTEGRATION hidden from the environment.
 * ink decides once, when its module is first evaluated (is-in-ci), whether it
 * runs in CI; there it draws nothing until it unmounts. The TUI only starts on
 * a terminal, so a CI variable inherited by an interactive shell must not
 * leave the screen blank: ink is loaded with them hidden, then they are put back.
 */
export async function withoutCiEnv<T>(load: () => Promise<T>, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  const saved = (["CI", "CONTINUOUS_INTEGRATION"] as const).map((k) => [k, env[k]] as const);
  for (const [k] of saved) delete env[k];
  try {
    return await load();
  } finally {
    for (const [k, v] of saved) if (v !== undefined) env[k] = v;
  }
}

/** Rows of the TUI's frame on a terminal of `rows` rows: at most rows - 1 (see runTuiCommand), at least 12 (the layout's minimum). */
export function frameHeight(rows: number): number {
  return Math.max(12, rows - 1);
}

/** Swallows a terminal's errors once the TUI is ending (see runTuiCommand). */
const ignoreError = (): void => undefined;

/** Runs the TUI until the user quits; prints the summary on stderr. */
export async function runTuiCommand(a: TuiArgs, io: CliIo, term: TuiTerminal): Promise<void> {
  if (!term.stdout.isTTY || !term.stdin.isTTY) {
    throw new BtfsnoopError("EINVAL", "the tui needs a terminal (stdin and stdout are not both a TTY)", {
      hint: `use 'btfsnoop trace SPEC...' to print events to a pipe or file`,
    });
  }
  if (!Number.isInteger(a.cpus) || a.cpus < 1 || a.cpus > 64) throw new UsageError(`--cpus ${a.cpus}: expected 1..64`);
  if (!Number.isInteger(a.seed)) throw new UsageError(`--seed ${a.seed}: expected an integer`);
  // --btf: a kernel made from that BTF in scale mode (every FUNC callable, random calls), as trace --btf.
  const { bootScaleMachine, bootSyntheticKernel, machineOf } = await import("../../syscall/boot.js");
  const btf = a.btf !== undefined ? loadBtfFile(a.btf) : undefined;
  const machine = btf ? bootScaleMachine(btf, a.seed) : machineOf(bootSyntheticKernel({ seed: a.seed, nrCpus: a.cpus }));
  if (btf && a.workload === "mixed") a.workload = "random";
  if (!machine.workloads.includes(a.workload)) throw new UsageError(`--workload ${a.workload}: expected one of ${machine.workloads.join(", ")}`);
  // ink and React load only when the TUI runs (not for every CLI command). React is CommonJS: its
  // exports are taken from the default export, the one form both node and the CLI bundle (esbuild gives a
  // split-off CommonJS module only a default export) provide.
  const [{ default: react }, { render }, { App }, { TuiDriver }] = await withoutCiEnv(() =>
    Promise.all([import("react"), import("ink"), import("../../ui/tui/App.js"), import("../../ui/tui/driver.js")]),
  );
  const { createElement } = react;
  const driver: TuiDriverT = new TuiDriver({
    machine,
    specs: a.specs ?? [],
    workload: a.workload,
    pages: a.pages,
    kernelLabel: `${a.btf !== undefined ? `${basename(a.btf)} (scale mode, seed ${a.seed})` : `synthetic (seed ${a.seed}, ${a.cpus} cpus)`}${a.stack ? ", stack mode" : ""}`,
    ...(btf ? { btf } : {}),
    ...(a.stack ? { stack: true } : {}),
    ...(a.render !== undefined ? { render: a.render } : {}),
  });
  driver.open();
  // One row less than the terminal: ink clears the whole screen and redraws every frame whose output fills
  // the terminal; shorter, it rewrites only the lines that changed (incrementalRendering).
  const size = () => ({ width: Math.max(80, term.stdout.columns || 80), height: frameHeight(term.stdout.rows || 24) });
  const color = useColor(term);
  const app = () => createElement(App, { driver, btf: driver.btf, ...size(), color });
  // The alternate screen: the shell's scrollback is left as it was; the summary prints after.
  term.stdout.write("\x1b[?1049h\x1b[H");
  const instance = render(app(), { stdin: term.stdin, stdout: term.stdout, exitOnCtrlC: false, patchConsole: false, incrementalRendering: true });
  const onResize = () => instance.rerender(app());
  term.stdout.on("resize", onResize);
  const onSignal = () => quit();
  let quit: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    quit = resolve;
  });
  const offQuit = driver.onQuit(() => quit());
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  // The terminal going away (hangup, a closed pty: reads end, writes fail)
  // ends the TUI too; else it would trace on, queueing frames nobody reads.
  process.once("SIGHUP", onSignal);
  term.stdin.once("end", onSignal);
  term.stdin.once("close", onSignal);
  term.stdout.once("error", onSignal);
  driver.start();
  try {
    await done;
  } finally {
    const summary = driver.quit();
    offQuit();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    process.off("SIGHUP", onSignal);
    term.stdin.off("end", onSignal);
    term.stdin.off("close", onSignal);
    term.stdout.off("error", onSignal);
    // A terminal that failed once fails again: its errors must not crash the exit (one listener per stream).
    if (!term.stdout.listeners("error").includes(ignoreError)) term.stdout.on("error", ignoreError);
    term.stdout.off("resize", onResize);
    instance.unmount();
    await instance.waitUntilExit().catch(() => undefined);
    term.stdout.write("\x1b[?1049l");
    io.err(summary.lines.join("\n") + "\n");
  }
}
