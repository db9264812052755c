// Command-line mistakes in every command get one clear usage error (exit 2,
// nothing on stdout): a number option echoes the text typed (yargs made it
// NaN), unknown options and commands get a "did you mean", a missing argument
// or required option gets the command's usage line, choices are listed.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli as run } from "../helpers/cli.js";

async function expectUsageError(argv: string[], expected: string): Promise<void> {
  const r = await run(...argv);
  expect(r.err).toBe(expected);
  expect(r.code).toBe(2);
  expect(r.out).toBe("");
}

const help = (cmd: string) => ` (run '${cmd} --help' for usage)\n`;

describe("number options echo what was typed", () => {
  it.each([
    [["ip_send_skb", "--count", "abc"], "invalid value 'abc' for --count: expected a number", "btfsnoop"],
    [["ip_send_skb", "-c", "abc"], "invalid value 'abc' for --count: expected a number", "btfsnoop"],
    [["ip_send_skb", "--count=x1"], "invalid value 'x1' for --count: expected a number", "btfsnoop"],
    [["trace", "ip_send_skb", "-p", "1x"], "invalid value '1x' for --pid: expected a number", "btfsnoop trace"],
    [["--cpus", "2x", "ip_send_skb"], "invalid value '2x' for --cpus: expected a number", "btfsnoop"],
    [["ip_send_skb", "--seed", "s"], "invalid value 's' for --seed: expected a number", "btfsnoop"],
    [["ip_send_skb", "-P", "p"], "invalid value 'p' for --pages: expected a number", "btfsnoop"],
    [["ip_send_skb", "-c"], "missing value for --count: expected a number", "btfsnoop"],
    [["ip_send_skb", "-c", "--json"], "missing value for --count: expected a number", "btfsnoop"],
    [["count", "vfs_write", "--seed", "x"], "invalid value 'x' for --seed: expected a number", "btfsnoop count"],
    [["hist", "vfs_write", "count", "--cpus", "four"], "invalid value 'four' for --cpus: expected a number", "btfsnoop hist"],
    [["lhist", "vfs_write", "count", "--min", "a", "--max", "10", "--step", "1"], "invalid value 'a' for --min: expected a number", "btfsnoop lhist"],
    [["latency", "a", "b", "--key", "rq", "-P", "many"], "invalid value 'many' for --pages: expected a number", "btfsnoop latency"],
    [["iter", "task", "--steps", "x"], "invalid value 'x' for --steps: expected a number", "btfsnoop iter"],
    [["tui", "-P", "x"], "invalid value 'x' for --pages: expected a number", "btfsnoop tui"],
    [["vm", "verify", "x.s", "--mem-size", "z"], "invalid value 'z' for --mem-size: expected a number", "btfsnoop vm verify"],
  ])("%j", async (argv, message, cmd) => {
    await expectUsageError(argv, `btfsnoop: usage error: ${message}${help(cmd)}`);
  });
});

describe("unknown options and commands get a did-you-mean", () => {
  it.each([
    [["ip_send_skb", "--jsn"], "unknown option '--jsn'; did you mean '--json'?", "btfsnoop"],
    [["info", "ip_send_skb", "--btff", "x"], "unknown option '--btff'; did you mean '--btf'?", "btfsnoop info"],
    [["count", "vfs_write", "--bye", "x"], "unknown option '--bye'; did you mean '--by'?", "btfsnoop count"],
    [["info", "ip_send_skb", "--seed", "3"], "unknown option '--seed'", "btfsnoop info"],
    [["ip_send_skb", "-xc", "1"], "unknown option '-x'", "btfsnoop"],
    [["btf", "dmp", "x"], "unknown command 'dmp'; did you mean 'dump'?", "btfsnoop btf"],
    [["btf", "frobnicate"], "unknown command 'frobnicate' (expected dump)", "btfsnoop btf"],
    [["btf"], "btf: choose a subcommand (dump)", "btfsnoop btf"],
    [["vm"], "vm: choose a subcommand (verify, conformance-plugin)", "btfsnoop vm"],
    [["ip_send_skb", "--format", "yaml"], "invalid value 'yaml' for --format: expected one of text, json, perfetto", "btfsnoop"],
  ])("%j", async (argv, message, cmd) => {
    await expectUsageError(argv, `btfsnoop: usage error: ${message}${help(cmd)}`);
  });

  it.each([
    [["infor", "ip_send_skb"], "no command or kernel function 'infor'; did you mean 'info'?"],
    [["lsit"], "no command or kernel function 'lsit'; did you mean 'lhist' or 'list'?"],
  ])("a first word that is no function but close to a command: %j", async (argv, message) => {
    await expectUsageError(argv, `btfsnoop: usage error: ${message}${help("btfsnoop")}`);
  });

  it("a misspelt function far from any command keeps its spec error", async () => {
    await expectUsageError(["ip_send_skbb"], "btfsnoop: error: no function 'ip_send_skbb' in the kernel; did you mean 'ip_send_skb'?\n    ip_send_skbb\n    ^~~~~~~~~~~~\n");
  });
});

describe("missing arguments get the command's usage line", () => {
  it.each([
    [["info"], "missing FUNC", "btfsnoop info FUNC...", "btfsnoop info"],
    [["count"], "missing SPEC", "btfsnoop count SPEC", "btfsnoop count"],
    [["hist", "vfs_write"], "missing VALUE", "btfsnoop hist SPEC VALUE", "btfsnoop hist"],
    [["lhist", "vfs_write", "count", "--max", "10"], "missing options --min, --step", "btfsnoop lhist SPEC VALUE --min MIN --max MAX --step STEP", "btfsnoop lhist"],
    [["latency", "a", "b"], "missing option --key", "btfsnoop latency START END --key KEY", "btfsnoop latency"],
    [["prog", "dump"], "missing SPEC", "btfsnoop prog dump SPEC...", "btfsnoop prog dump"],
    [["vm", "verify"], "missing FILE", "btfsnoop vm verify FILE", "btfsnoop vm verify"],
    [["vm", "verify", "a.s", "b.s"], "unexpected argument 'b.s'", "btfsnoop vm verify FILE", "btfsnoop vm verify"],
    [["iter"], "missing TARGET", "btfsnoop iter TARGET [NAME]", "btfsnoop iter"],
  ])("%j", async (argv, message, usage, cmd) => {
    await expectUsageError(argv, `btfsnoop: usage error: ${message}\nusage: ${usage} (run '${cmd} --help' for the options)\n`);
  });
});

describe("help and version go through the CLI's output", () => {
  it("--help and --version are written with io.out (captured in-process)", async () => {
    const help = await run("--help");
    expect(help.code).toBe(0);
    expect(help.out.split("\n", 1)[0]).toBe("btfsnoop [trace] SPEC... [options]");
    expect(help.out.endsWith("\n")).toBe(true);
    const version = await run("--version");
    expect(version).toEqual({ code: 0, out: "0.1.0\n", err: "" });
  });

  it.each([["--help"], ["info", "--help"], ["--version"]])("%s into a full stdout is an error, exit 2", (...args) => {
    const bin = join(__dirname, "../../dist/src/cli/bin.js");
    const r = spawnSync("sh", ["-c", `exec "${process.execPath}" "${bin}" "$@" > /dev/full`, "sh", ...args], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("btfsnoop: error: cannot write to standard output: ENOSPC: no space left on device, write\n");
  });
});
