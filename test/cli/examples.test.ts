// Every example command the user is shown works: the `btfsnoop ...` lines
// of README.md's ```sh blocks and its `$ btfsnoop ...` samples, and the
// Examples section of each command's --help. Each runs in-process on the
// synthetic kernel (a duration is added where it has no -c or --duration, so
// it ends fast; /sys/kernel/btf/vmlinux is replaced by the vmlinux 6.18
// fixture) and must exit 0 with output; a README sample that shows an error
// must print exactly that error (exit 2). README lines that are synopses
// (SPEC..., [--seed N], a|b) are not run: their command must exist and
// every option they name must be one of its options. The TUI (tui, -i) needs
// a terminal and is left to test/ui. Needs the build (help comes from
// dist/src/cli/bin.js). EXAMPLES_DEBUG=1 lists what ran and the synopses checked.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { blocks, readme, shellWords } from "./readme-commands.js";

const ROOT = join(__dirname, "../..");
const BIN = join(ROOT, "dist/src/cli/bin.js");
const VMLINUX = join(ROOT, "test/fixtures/vmlinux-6.18/vmlinux.btf.gz");

/**
 * Examples that fail today, with why; each is still run and must still fail
 * (remove it here once it works, or the test says it is fixed).
 */
const KNOWN_FAILING: Readonly<Record<string, string>> = {};

/** What `prog.bpf.o` in an example stands for: a fixture object built by test/fixtures/loader/build.sh. */
const LOADER_OBJ = (name: string): string => join(ROOT, `test/fixtures/loader/obj/${name}.synthetic.bpf.o`);

interface Example {
  /** Where it was found: `README.md:LINE` or `btfsnoop CMD --help`. */
  from: string;
  /** As shown (one command: pipes and what follows cut off). */
  text: string;
  argv: string[];
  /** The error a README sample shows under it (stdout is then empty, exit 2). */
  error?: string;
  /** Not the last command of `a && b` (`iter task --pin tasks`): exit 0 is enough, the last one prints. */
  quiet?: boolean;
}

function help(...cmd: string[]): string {
  return execFileSync(process.execPath, [BIN, ...cmd, "--help"], { encoding: "utf8", env: { ...process.env, COLUMNS: "100" } });
}

/** Command names of a --help's Commands section (`btfsnoop info <funcs..>` -> info). */
function subcommands(text: string, prefix: string[]): string[] {
  const out: string[] = [];
  const lines = text.split("\n");
  const at = lines.indexOf("Commands:");
  if (at < 0) return out;
  for (const l of lines.slice(at + 1)) {
    if (l.trim() === "") break;
    const words = l.trim().split(/\s+/);
    if (words[0] !== "btfsnoop") continue;
    const name = words[prefix.length + 1];
    if (name && /^[a-z][a-z-]*$/.test(name) && words.slice(1, prefix.length + 1).join(" ") === prefix.join(" ")) out.push(name);
  }
  return out;
}

/**
 * The commands of a --help's Examples section. yargs wraps both columns:
 * a line starting `  btfsnoop` opens an example, a line indented by exactly
 * two spaces continues its command, a deeper one its description.
 */
function helpExamples(text: string): string[] {
  const lines = text.split("\n");
  const at = lines.indexOf("Examples:");
  if (at < 0) return [];
  const out: string[] = [];
  for (const l of lines.slice(at + 1)) {
    if (l.trim() === "") break;
    const m = /^ {2}(\S.*?)(?: {2,}.*)?$/.exec(l);
    if (!m) continue;
    if (m[1]!.startsWith("btfsnoop ")) out.push(m[1]!);
    else if (out.length) out[out.length - 1] += ` ${m[1]!}`;
  }
  return out;
}

/** Splits `a && b` into its commands; each btfsnoop command's words. */
function commandsOf(text: string): string[][] {
  return text
    .split(/\s+&&\s+/)
    .map((part) => shellWords(part).words)
    .filter((w) => w[0] === "btfsnoop");
}

/** A synopsis rather than a command: placeholders (SPEC, N...), optional parts or alternatives (`a|b`, which sh would take for a pipe). */
function isSynopsis(line: string): boolean {
  const { words, end } = shellWords(line);
  if (line[end] === "|" && /\S/.test(line[end - 1] ?? " ") && /\S/.test(line[end + 1] ?? " ")) return true;
  return words.some((w) => /^\[|\]$|\.\.\.|^[A-Z][A-Z_]*$|\|/.test(w));
}

function readmeExamples(): { run: Example[]; synopses: { from: string; words: string[]; text: string }[] } {
  const run: Example[] = [];
  const synopses: { from: string; words: string[]; text: string }[] = [];
  for (const b of blocks(readme())) {
    b.lines.forEach((line, i) => {
      const from = `README.md:${b.line + 2 + i}`;
      let text: string | undefined;
      let error: string | undefined;
      if (line.startsWith("$ btfsnoop ")) {
        text = line.slice(2);
        // A sample's output: the lines up to the next `$` line or the block's end.
        const shown: string[] = [];
        for (const o of b.lines.slice(i + 1)) {
          if (o.startsWith("$ ")) break;
          shown.push(o);
        }
        if (shown[0]?.startsWith("btfsnoop: error:")) error = shown.join("\n") + "\n";
      } else if (b.lang === "sh" && line.startsWith("btfsnoop ")) {
        text = line;
        // A synopsis may go on over indented lines.
        for (const next of b.lines.slice(i + 1)) {
          if (!/^\s+\S/.test(next)) break;
          text += ` ${next.trim()}`;
        }
      }
      if (text === undefined) return;
      const { words } = shellWords(text);
      if (isSynopsis(text)) synopses.push({ from, words, text });
      else run.push({ from, text, argv: words.slice(1), ...(error !== undefined ? { error } : {}) });
    });
  }
  return { run, synopses };
}

/** Every command's --help examples (the root's, and each subcommand's, recursively). */
function helpExampleList(): Example[] {
  const out: Example[] = [];
  const visit = (cmd: string[]): void => {
    const text = help(...cmd);
    for (const e of helpExamples(text)) {
      const chain = commandsOf(e);
      chain.forEach((words, i) => out.push({ from: `btfsnoop ${[...cmd, "--help"].join(" ")}`, text: e, argv: words.slice(1), ...(i < chain.length - 1 ? { quiet: true } : {}) }));
    }
    for (const sub of subcommands(text, cmd)) visit([...cmd, sub]);
  };
  visit([]);
  return out;
}

const AGGREGATIONS = new Set(["count", "hist", "lhist", "latency"]);
const OTHER_COMMANDS = new Set(["info", "list", "iter", "btf", "prog", "vm", "tui", "run"]);

/** The TUI needs a terminal. */
function isTui(argv: string[]): boolean {
  return argv[0] === "tui" || (!AGGREGATIONS.has(argv[0]!) && argv.some((a) => a === "-i" || a === "--interactive"));
}

/** argv made to end fast on the synthetic kernel, and to read the fixture instead of /sys/kernel/btf/vmlinux. */
function runnable(argv: string[]): string[] {
  const object = argv.includes("--set") ? LOADER_OBJ("global_data") : LOADER_OBJ("sec_kprobe");
  const out = argv.map((a) => (a === "/sys/kernel/btf/vmlinux" ? VMLINUX : a === "prog.bpf.o" ? object : a));
  const traces = !OTHER_COMMANDS.has(out[0]!) && !AGGREGATIONS.has(out[0]!);
  const limited = out.some((a) => /^(-c|--count|-d|--duration)(=|$)/.test(a));
  if ((traces || AGGREGATIONS.has(out[0]!)) && !limited) out.push("--duration", "300ms");
  return out;
}

/** Whether stdout has something beyond column headers (a trace that caught nothing prints only its header). */
function shows(out: string): boolean {
  return out.split("\n").some((l) => l.trim() !== "" && !/^\s*TIME\s+(CPU|SKB)\b/.test(l));
}

/** One key per example: its words, so a command shown in several places runs once. */
function key(e: Example): string {
  return JSON.stringify(e.argv);
}

const all = readmeExamples();
const examples: Example[] = [];
let stateDir: string;
const savedStateDir = process.env.BTFSNOOP_STATE_DIR;

beforeAll(() => {
  expect(existsSync(BIN), "dist/ is missing: run npm run build first").toBe(true);
  const seen = new Set<string>();
  for (const e of [...all.run, ...helpExampleList()]) {
    if (isTui(e.argv) || seen.has(key(e))) continue;
    seen.add(key(e));
    examples.push(e);
  }
  stateDir = mkdtempSync(join(tmpdir(), "btfsnoop-examples-"));
  process.env.BTFSNOOP_STATE_DIR = stateDir; // iter --pin in examples
}, 60_000); // one `node bin.js --help` process per command: seconds on a loaded machine

afterAll(() => {
  if (savedStateDir === undefined) delete process.env.BTFSNOOP_STATE_DIR;
  else process.env.BTFSNOOP_STATE_DIR = savedStateDir;
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe("README and --help examples", () => {
  it("finds the examples (README samples and sh lines, every command's --help)", () => {
    const texts = examples.map((e) => `btfsnoop ${e.argv.map((a) => (/^[\w./:,-]+$/.test(a) ? a : JSON.stringify(a))).join(" ")}`);
    expect(texts).toContain('btfsnoop "ip_send_skb(skb->sk)" -c 1');
    expect(texts).toContain("btfsnoop btf dump package.json");
    expect(texts).toContain('btfsnoop trace "tcp_v4_*" --btf /sys/kernel/btf/vmlinux');
    expect(texts).toContain("btfsnoop info ip_send_skb");
    expect(texts).toContain("btfsnoop hist syscalls:sys_enter_write count");
    expect(texts).toContain("btfsnoop iter cat tasks");
    expect(examples.length).toBeGreaterThanOrEqual(25);
    for (const k of Object.keys(KNOWN_FAILING)) expect(examples.some((e) => e.text === k), k).toBe(true);
  });

  it("every one runs: exit 0 with output (or the error its README sample shows)", async () => {
    const failures: string[] = [];
    const fixed: string[] = [];
    for (const e of examples) {
      const argv = runnable(e.argv);
      const t0 = performance.now();
      const r = await runCli(...argv);
      if (process.env.EXAMPLES_DEBUG) console.log(`${e.from} :: ${JSON.stringify(argv)} -> ${r.code} ${r.out.split("\n").length} lines${e.error ? " [error sample]" : ""}${e.quiet ? " [quiet]" : ""} ${Math.round(performance.now() - t0)} ms`);
      const known = KNOWN_FAILING[e.text];
      let problem: string | undefined;
      if (e.error !== undefined) {
        if (r.code !== 2 || r.out !== "" || r.err !== e.error) problem = `expected exit 2 and ${JSON.stringify(e.error)}, got exit ${r.code}, stderr ${JSON.stringify(r.err)}`;
      } else if (r.code !== 0) problem = `exit ${r.code}: ${r.err.trim()}`;
      else if (!shows(r.out) && !e.quiet) problem = `no output beyond a header (stderr: ${r.err.trim()})`;
      if (problem !== undefined && known === undefined) failures.push(`${e.from}: ${e.text}\n    ran: btfsnoop ${argv.join(" ")}\n    ${problem}`);
      if (problem === undefined && known !== undefined) fixed.push(`${e.from}: ${e.text} (listed as failing: ${known})`);
    }
    expect(failures, failures.join("\n")).toEqual([]);
    expect(fixed, "now works: remove it from KNOWN_FAILING").toEqual([]);
  });

  it("README synopses name existing commands and options", () => {
    if (process.env.EXAMPLES_DEBUG) for (const s of all.synopses) console.log(`${s.from} :: synopsis ${s.text}`);
    expect(all.synopses.length).toBeGreaterThanOrEqual(10);
    const helps = new Map<string, string>();
    const problems: string[] = [];
    for (const s of all.synopses) {
      // The command path: the words after btfsnoop up to the first placeholder or option.
      const path: string[] = [];
      for (const w of s.words.slice(1)) {
        if (!/^[a-z][a-z-]*$/.test(w)) break;
        path.push(w);
      }
      const text = helps.get(path.join(" ")) ?? help(...path);
      helps.set(path.join(" "), text);
      // Every option the synopsis names, in its text (sh would cut the words at an `a|b`), up to a `# comment`.
      for (const m of s.text.replace(/\s#\s.*$/, "").matchAll(/(?:^|[\s[])(--?[a-zA-Z][\w-]*)/g)) {
        const flag = m[1]!;
        const listed = flag.startsWith("--") ? new RegExp(`(^|[\\s,])${flag}(\\s|,|$)`, "m") : new RegExp(`^\\s+${flag},`, "m");
        if (!listed.test(text)) problems.push(`${s.from}: ${flag} is not an option of 'btfsnoop ${path.join(" ")}'`);
      }
    }
    expect(problems, problems.join("\n")).toEqual([]);
  });
});
