// The build-time --help/--version texts (src/cli/static-output.ts): when a
// lone --help or --version may be answered without yargs, and that the built
// executable's answer is byte for byte what yargs itself prints for the
// current sources, in the locales and widths where it is used; elsewhere
// (another locale, a narrow terminal, anything after --help) yargs runs.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { transformSync } from "esbuild";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import type { CliIo } from "../../src/cli/io.js";
import { captureStaticOutputs, englishLocale, printStaticOutput, staticOutputKind, yargsLocale } from "../../src/cli/static-output.js";

const BIN = join(dirname(fileURLToPath(import.meta.url)), "../../dist/src/cli/bin.js");
if (!existsSync(BIN)) throw new Error(`${BIN} missing: run npm run build first`);

/** The environment without any locale variable, plus `extra`. */
function envWith(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ["LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"]) delete env[k];
  return { ...env, ...extra };
}

/** The built executable's stdout/stderr/status for `args` under `env` (stdout a pipe). */
function runBin(args: string[], env: NodeJS.ProcessEnv) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** main() in this process (yargs always runs) with the locale variables of `env` and a `columns`-wide terminal. */
async function yargsOutput(args: string[], localeEnv: Record<string, string>, columns?: number) {
  let out = "";
  let err = "";
  const io: CliIo = {
    out: async (t) => void (out += t),
    err: (t) => void (err += t),
    stream: async () => {},
    readStdin: async () => "",
    columns: () => columns,
  };
  const saved = { ...process.env };
  for (const k of ["LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"]) delete process.env[k];
  Object.assign(process.env, localeEnv);
  try {
    const code = await main(args, io);
    return { code, out, err };
  } finally {
    for (const k of ["LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"]) delete process.env[k];
    for (const k of ["LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"]) if (saved[k] !== undefined) process.env[k] = saved[k];
  }
}

describe("staticOutputKind", () => {
  it.each([
    [["--help"], {}, undefined, "help"],
    [["-h"], {}, undefined, "help"],
    [["--help"], {}, 100, "help"],
    [["--help"], {}, 200, "help"],
    [["--help"], {}, 99, undefined],
    [["--help"], {}, 0, "help"], // a terminal reporting no width: yargs gets 100 too
    [["--help"], { LANG: "de_DE.UTF-8" }, undefined, undefined],
    [["--help"], { LANG: "en_GB.UTF-8" }, undefined, "help"],
    [["--help"], { LANG: "de_DE.UTF-8", LC_ALL: "C" }, undefined, "help"],
    [["--help"], { LC_MESSAGES: "fr_FR", LANG: "en_US.UTF-8" }, undefined, undefined],
    [["--help"], { LANGUAGE: "pirate" }, undefined, undefined],
    [["--help"], { LANG: "POSIX" }, undefined, "help"],
    [["--version"], { LANG: "de_DE.UTF-8" }, 40, "version"],
    [["-V"], {}, undefined, "version"],
    [["--help", "info"], {}, undefined, undefined],
    [["info", "--help"], {}, undefined, undefined],
    [["--version", "-c", "1"], {}, undefined, undefined],
    [["--helpx"], {}, undefined, undefined],
    [[], {}, undefined, undefined],
  ] as [string[], Record<string, string>, number | undefined, string | undefined][])("%j %j columns=%s -> %s", (argv, env, columns, kind) => {
    expect(staticOutputKind(argv, env, columns)).toBe(kind);
  });

  it("reads the locale in yargs's order and drops encoding and modifier", () => {
    expect(yargsLocale({})).toBe("en_US");
    expect(yargsLocale({ LANGUAGE: "ja", LANG: "pt_BR.UTF-8" })).toBe("pt_BR");
    expect(yargsLocale({ LC_MESSAGES: "zh_CN.GB2312:x", LANG: "de_DE" })).toBe("zh_CN");
    expect(yargsLocale({ LC_ALL: "C.UTF-8", LC_MESSAGES: "fr_FR" })).toBe("C");
    expect(englishLocale({ LC_ALL: "C.UTF-8" })).toBe(true);
    expect(englishLocale({ LANG: "nb_NO.UTF-8" })).toBe(false);
  });
});

describe("captured texts", () => {
  it("are yargs's own --help and --version output at 100 columns in English", async () => {
    const captured = await captureStaticOutputs();
    expect(captured.version).toBe("0.1.0\n");
    const help = await yargsOutput(["--help"], { LANG: "en_US.UTF-8" });
    expect(help.code).toBe(0);
    expect(captured.help).toBe(help.out);
    expect(captured.help.split("\n", 1)[0]).toBe("btfsnoop [trace] SPEC... [options]");
    // -h is yargs's alias of --help: the same text
    expect((await yargsOutput(["-h"], { LC_ALL: "C" })).out).toBe(captured.help);
  });

  it("the built executable carries them and prints them byte for byte, in English locales", async () => {
    const captured = await captureStaticOutputs();
    // The texts are compiled in as string literals, printed the way esbuild prints a literal (a template for the help).
    const bundle = readFileSync(BIN, "utf8");
    const literal = (text: string) => transformSync(`f(${JSON.stringify(text)});`).code.replace(/^f\(/, "").replace(/\);\n$/, "");
    expect(literal(captured.help).startsWith("`btfsnoop [trace] SPEC...")).toBe(true);
    expect(bundle.includes(literal(captured.help))).toBe(true);
    expect(bundle.includes(literal(captured.version))).toBe(true);
    for (const env of [{}, { LC_ALL: "C" }, { LANG: "en_GB.UTF-8" }] as Record<string, string>[]) {
      expect(runBin(["--help"], envWith(env))).toEqual({ code: 0, out: captured.help, err: "" });
      expect(runBin(["-h"], envWith(env))).toEqual({ code: 0, out: captured.help, err: "" });
    }
    expect(runBin(["--version"], envWith({ LANG: "de_DE.UTF-8" }))).toEqual({ code: 0, out: "0.1.0\n", err: "" });
    expect(runBin(["-V"], envWith({}))).toEqual({ code: 0, out: "0.1.0\n", err: "" });
  });

  it("another locale goes through yargs and its translation", async () => {
    const de = await yargsOutput(["--help"], { LANG: "de_DE.UTF-8" });
    expect(de.out).toContain("\nKommandos:\n");
    expect(runBin(["--help"], envWith({ LANG: "de_DE.UTF-8" }))).toEqual({ code: 0, out: de.out, err: "" });
  });

  it("a narrower terminal wraps as yargs does (no captured text)", async () => {
    const narrow = await yargsOutput(["--help"], { LC_ALL: "C" }, 60);
    const captured = await captureStaticOutputs();
    expect(narrow.out).not.toBe(captured.help);
    expect(Math.max(...narrow.out.split("\n").map((l) => l.length))).toBeLessThanOrEqual(60);
  });
});

describe("printStaticOutput", () => {
  it("writes the text and returns 0", async () => {
    let out = "";
    const io: CliIo = { out: async (t) => void (out += t), err: () => {}, stream: async () => {}, readStdin: async () => "" };
    expect(await printStaticOutput("0.1.0\n", io)).toBe(0);
    expect(out).toBe("0.1.0\n");
  });

  it("a failed write is one error line and exit 2, as main() reports it", async () => {
    let err = "";
    const { BtfsnoopError } = await import("../../src/internal/errors.js");
    const io: CliIo = {
      out: async () => {
        throw new BtfsnoopError("ENOSPC", "cannot write to standard output: ENOSPC: no space left on device, write");
      },
      err: (t) => void (err += t),
      stream: async () => {},
      readStdin: async () => "",
    };
    expect(await printStaticOutput("x\n", io)).toBe(2);
    expect(err).toBe("btfsnoop: error: cannot write to standard output: ENOSPC: no space left on device, write\n");
  });
});
