// Owns turning yargs's complaints about a command line into btfsnoop's usage
// errors, for every command: unknown options and subcommands with a "did you
// mean", a missing argument or required option with the command's usage line,
// a value outside an option's choices, and a number option given text that
// is not a number (yargs turns it into NaN; the error echoes what was typed)
// or no value at all. The raw argv is the source of what was typed.
import type { Argv, MiddlewareFunction } from "yargs";
import { didYouMean } from "../probe-spec/suggest.js";
import { UsageError } from "./errors.js";

/** What the command being parsed accepts, seen by the middleware (yargs's fail handler does not get it). */
interface CommandOptions {
  /** Option keys, aliases included (yargs also adds camelCase twins of kebab names). */
  keys: string[];
  aliases: Record<string, string[]>;
  demanded: string[];
}

/** What yargs's getOptions() holds (the parts used here). */
interface ParserOptions {
  key: Record<string, unknown>;
  alias: Record<string, string[]>;
  number: string[];
  demandedOptions: Record<string, unknown>;
}

/** The usage instance yargs passes to a fail handler (not in its typings). */
interface UsageInstance {
  getUsage(): [string, string][];
  getCommands(): [string, ...unknown[]][];
}

/**
 * Watches one parse of `argv` (without node and script): `middleware` is
 * installed on the root parser and sees each command's options before
 * validation (it also checks number options), and `translate` turns the
 * message yargs's fail handler gets into a UsageError.
 */
export class YargsErrors {
  private current: CommandOptions | undefined;
  private readonly words: string[];

  constructor(argv: readonly string[]) {
    const dashes = argv.indexOf("--");
    this.words = [...(dashes < 0 ? argv : argv.slice(0, dashes))];
  }

  /** Installs the middleware (before validation, global). */
  install<T>(parser: Argv<T>): Argv<T> {
    // yargs passes the parser as a second argument (its typings show only the first).
    const check = (args: Record<string, unknown>, y: { getOptions(): ParserOptions; getInternalMethods(): { getContext(): { commands: string[] } } }): void => {
      const o = y.getOptions();
      this.current = { keys: Object.keys(o.key), aliases: o.alias, demanded: Object.keys(o.demandedOptions) };
      this.checkNumbers(args, [...new Set(o.number)], o.alias, ["btfsnoop", ...y.getInternalMethods().getContext().commands].join(" "));
    };
    return parser.middleware(check as unknown as MiddlewareFunction<T>, true);
  }

  /** The flag spellings of option `key` (`--count`, `-c`), and the one to show: its longest kebab-case name. */
  private spellings(key: string, aliases: Record<string, string[]>): { flags: string[]; shown: string } {
    const names = [key, ...(aliases[key] ?? [])];
    const flags = names.map((n) => (n.length === 1 ? `-${n}` : `--${n}`));
    const shown = names.filter((n) => !/[A-Z]/.test(n)).sort((a, b) => b.length - a.length)[0] ?? key;
    return { flags, shown: shown.length === 1 ? `-${shown}` : `--${shown}` };
  }

  /** Number options: NaN becomes "invalid value 'TEXT'"; a flag with nothing after it, "missing value". */
  private checkNumbers(args: Record<string, unknown>, keys: string[], aliases: Record<string, string[]>, cmd: string): void {
    const seen = new Set<string>();
    for (const key of keys) {
      if (seen.has(key)) continue;
      for (const a of aliases[key] ?? []) seen.add(a);
      seen.add(key);
      const { flags, shown } = this.spellings(key, aliases);
      const typed = this.typedValues(flags);
      const value = args[key];
      const values = Array.isArray(value) ? value : [value];
      if (values.some((v) => typeof v === "number" && Number.isNaN(v))) {
        const bad = typed.find((t) => t !== undefined && (t.trim() === "" || Number.isNaN(Number(t))));
        throw new UsageError(bad !== undefined ? `invalid value '${bad}' for ${shown}: expected a number` : `${shown}: expected a number`, undefined, cmd);
      }
      if (typed.includes(undefined)) throw new UsageError(`missing value for ${shown}: expected a number`, undefined, cmd);
    }
  }

  /**
   * The text typed after each occurrence of one of `flags` (`--count 5`,
   * `--count=5`, `-c 5`, `-c5`), undefined where nothing follows the flag
   * (the end, or another option).
   */
  private typedValues(flags: string[]): (string | undefined)[] {
    const out: (string | undefined)[] = [];
    const w = this.words;
    for (let i = 0; i < w.length; i++) {
      const t = w[i]!;
      for (const f of flags) {
        if (t === f) {
          const next = w[i + 1];
          out.push(next === undefined || (next.startsWith("-") && next.length > 1 && Number.isNaN(Number(next))) ? undefined : next);
        } else if (f.startsWith("--") && t.startsWith(`${f}=`)) out.push(t.slice(f.length + 1));
        else if (f.length === 2 && !t.startsWith("--") && t.startsWith(f) && t.length > 2) out.push(t.slice(2));
      }
    }
    return out;
  }

  /** The UsageError for a message of yargs's (its wording is English: the parser is not localized). */
  translate(msg: string, usage?: UsageInstance): UsageError {
    const pos = new Set(positionals(usage).map((p) => p.name));
    const line = usageLine(usage, (this.current?.demanded ?? []).filter((d) => !pos.has(d)));
    const cmd = commandPath(usage);
    const text = msg.replace(/\s*\n\s*/g, " ").trim();
    let m: RegExpExecArray | null;
    if ((m = /^Not enough non-option arguments: got (\d+), need at least (\d+)$/.exec(text)) && line) {
      const demanded = positionals(usage).filter((p) => p.required);
      const missing = demanded.slice(Number(m[1])).map((p) => p.shown);
      if (missing.length === 0 && subcommands(usage).length) return new UsageError(`choose a subcommand: ${subcommands(usage).join(", ")}`, line, cmd);
      return new UsageError(`missing ${missing.map((p) => p.replace(/\.\.\.$/, "")).join(" and ") || "an argument"}`, line, cmd);
    }
    if ((m = /^Missing required arguments?: (.*)$/.exec(text))) {
      const names = m[1]!.split(", ").map((n) => this.spellings(n, this.current?.aliases ?? {}).shown);
      return new UsageError(`missing option${names.length > 1 ? "s" : ""} ${names.join(", ")}`, line, cmd);
    }
    if ((m = /^Unknown arguments?: (.*)$/.exec(text))) return this.unknown(m[1]!.split(", "), usage, line, cmd);
    if ((m = /^Did you mean (.*)\?$/.exec(text))) {
      const word = this.unknownSubcommand(usage);
      if (word !== undefined) return new UsageError(`unknown command '${word}'; did you mean '${m[1]}'?`, undefined, cmd);
    }
    if ((m = /^Invalid values: Argument: (.*?), Given: (.*), Choices: (.*)$/.exec(text))) {
      const given = unquote(m[2]!);
      const { shown } = this.spellings(m[1]!, this.current?.aliases ?? {});
      return new UsageError(`invalid value '${given}' for ${shown}: expected one of ${m[3]!.split(", ").map(unquote).join(", ")}`, undefined, cmd);
    }
    return new UsageError(text, undefined, cmd);
  }

  /** Unknown options (with the closest known one) and unexpected words (an unknown subcommand where there are some). */
  private unknown(names: string[], usage: UsageInstance | undefined, line: string | undefined, cmd: string): UsageError {
    const parts: string[] = [];
    const known = this.knownFlags(usage);
    for (const name of names) {
      const flag = name.length === 1 ? `-${name}` : `--${name}`;
      // Letters may be grouped (`-xv`).
      const typed = this.words.find((t) => t === flag || t.startsWith(`${flag}=`) || (flag.length === 2 && /^-[A-Za-z]+$/.test(t) && t.includes(name)));
      // A letter is one keystroke from every other: no suggestion for it.
      if (typed !== undefined) parts.push(`unknown option '${flag}'${flag.length > 2 ? didYouMean(flag, known) : ""}`);
      else if (subcommands(usage).length) parts.push(`unknown command '${name}' (expected ${subcommands(usage).join(", ")})`);
      else parts.push(`unexpected argument '${name}'`);
    }
    return new UsageError(parts.join("; "), parts.some((p) => p.startsWith("unexpected")) ? line : undefined, cmd);
  }

  /** `--name` for each option of the current command (kebab-case spellings; positionals left out), `-x` for letters. */
  private knownFlags(usage: UsageInstance | undefined): string[] {
    const pos = new Set(positionals(usage).map((p) => p.name));
    return (this.current?.keys ?? []).filter((k) => !pos.has(k) && !/[A-Z]/.test(k)).map((k) => (k.length === 1 ? `-${k}` : `--${k}`));
  }

  /** The word typed after the command path of `usage` ("dmp" in `btf dmp`). */
  private unknownSubcommand(usage: UsageInstance | undefined): string | undefined {
    const path = (usage?.getUsage()[0]?.[0] ?? "").split(/\s+/).slice(1).filter((w) => !/^[<[]/.test(w));
    const rest = this.words.filter((w) => !w.startsWith("-"));
    return rest.slice(0, path.length).join(" ") === path.join(" ") ? rest[path.length] : undefined;
  }
}

function unquote(s: string): string {
  return s.replace(/^"(.*)"$/, "$1");
}

/** Positionals of the command in `usage` ("$0 hist <spec> <value>"): name, required, and how the usage line shows them. */
function positionals(usage: UsageInstance | undefined): { name: string; required: boolean; shown: string }[] {
  const words = (usage?.getUsage()[0]?.[0] ?? "").split(/\s+/);
  const out: { name: string; required: boolean; shown: string }[] = [];
  for (const w of words) {
    const m = /^([<[])([^|\].>]+)(?:\|[^\].>]*)?(\.\.)?[\]>]$/.exec(w);
    if (!m) continue;
    const variadic = m[3] !== undefined;
    // A variadic name is plural (funcs, specs): the usage line shows one of them, repeated (FUNC...).
    const base = (variadic ? m[2]!.replace(/s$/, "") : m[2]!).toUpperCase().replace(/-/g, "_");
    out.push({ name: m[2]!, required: m[1] === "<", shown: base + (variadic ? "..." : "") });
  }
  return out;
}

/** `btfsnoop btf dump`: the command the usage is about (`btfsnoop` at the top level and for the default command). */
function commandPath(usage: UsageInstance | undefined): string {
  const u = usage?.getUsage()[0]?.[0];
  if (u === undefined || !u.startsWith("$0 ")) return "btfsnoop";
  const words = u.split(/\s+/).slice(1);
  const path = words.slice(0, words.findIndex((w) => !/^[a-z][a-z-]*$/.test(w)) >>> 0);
  return ["btfsnoop", ...path].join(" ");
}

/** Subcommand names of the command in `usage` (`dump` under `btf`). */
function subcommands(usage: UsageInstance | undefined): string[] {
  return (usage?.getCommands() ?? []).map((c) => String(c[0]).split(/\s+/)[0]!).filter((c) => c !== "$0");
}

/** `btfsnoop hist SPEC VALUE` (with required options: `--key KEY`), or undefined for the top level. */
function usageLine(usage: UsageInstance | undefined, demanded: string[]): string | undefined {
  const u = usage?.getUsage()[0]?.[0];
  if (u === undefined || !u.startsWith("$0 ") || /\bSPEC\.\.\. \[options\]/.test(u)) return undefined;
  const pos = positionals(usage);
  let i = 0;
  const words = u
    .split(/\s+/)
    .slice(1)
    .map((w) => (/^[<[]/.test(w) ? (pos[i]!.required ? pos[i++]!.shown : `[${pos[i++]!.shown}]`) : w));
  if (subcommands(usage).length && !pos.length) words.push("COMMAND");
  for (const d of demanded) words.push(`--${d} ${d.toUpperCase().replace(/-/g, "_")}`);
  return `btfsnoop ${words.join(" ")}`;
}
