// The `tui` command: it refuses without a terminal (exit 2, hint: trace),
// `-i` means `tui`, NO_COLOR turns colors off; and a smoke test of the real
// binary in a pseudo-terminal (script(1)): start, pause, filter, quit, then
// the summary says nothing is left attached, with CI set (as CI sets it). The smoke test needs the build.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { frameHeight, runTuiCommand, tuiCommand, useColor, withoutCiEnv, type TuiTerminal } from "../../src/cli/commands/tui.js";
import type { CliIo } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";

const BIN = join(__dirname, "../../dist/src/cli/bin.js");

function bufferIo(): CliIo & { errText: () => string } {
  let err = "";
  return {
    out: async () => {},
    err: (t) => void (err += t),
    stream: async () => {},
    readStdin: async () => "",
    errText: () => err,
  };
}

const fakeTerm = (isTTY: boolean, env: NodeJS.ProcessEnv = {}): TuiTerminal =>
  ({ stdin: { isTTY }, stdout: { isTTY, hasColors: () => true }, env }) as unknown as TuiTerminal;

describe("btfsnoop tui", () => {
  it("refuses without a terminal, with a hint to use trace (exit 2)", async () => {
    const io = bufferIo();
    const code = await main(["tui", "tcp_*"], io);
    if (process.stdout.isTTY && process.stdin.isTTY) return; // run by hand in a terminal: nothing to check
    expect(code).toBe(2);
    expect(io.errText()).toMatch(/tui needs a terminal.*hint: use 'btfsnoop trace SPEC\.\.\.'/);
  });

  it("-i means tui", async () => {
    const argv = ["-i", "tcp_*", "--workload", "net"];
    tuiCommand(bufferIo(), argv);
    expect(argv).toEqual(["tui", "tcp_*", "--workload", "net"]);
    const io = bufferIo();
    const code = await main(["-i"], io);
    if (process.stdout.isTTY && process.stdin.isTTY) return;
    expect(code).toBe(2);
    expect(io.errText()).toContain("tui needs a terminal");
  });

  it("respects NO_COLOR", () => {
    expect(useColor(fakeTerm(true))).toBe(true);
    expect(useColor(fakeTerm(true, { NO_COLOR: "1" }))).toBe(false);
    expect(useColor(fakeTerm(false))).toBe(false);
  });

  it("loads ink with CI hidden (ink draws nothing in CI) and puts the variables back", async () => {
    const env: NodeJS.ProcessEnv = { CI: "true", CONTINUOUS_INTEGRATION: "1", OTHER: "x" };
    const seen = await withoutCiEnv(async () => ({ ...env }), env);
    expect(seen).toEqual({ OTHER: "x" });
    expect(env).toEqual({ CI: "true", CONTINUOUS_INTEGRATION: "1", OTHER: "x" });
    await expect(withoutCiEnv(async () => Promise.reject(new Error("boom")), env)).rejects.toThrow("boom");
    expect(env.CI).toBe("true");
  });

  it("draws frames one row short of the terminal, rewriting changed lines only (no full-screen clear); ends when the terminal goes away", async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin, ref: () => stdin, unref: () => stdin }) as unknown as NodeJS.ReadStream;
    const stdout = Object.assign(new PassThrough(), { isTTY: true, columns: 80, rows: 24, hasColors: () => false }) as unknown as NodeJS.WriteStream;
    let out = "";
    stdout.on("data", (d: Buffer) => (out += d.toString()));
    const io = bufferIo();
    const done = runTuiCommand({ specs: ["tcp_sendmsg"], workload: "net", seed: 1, cpus: 2, pages: 16 }, io, { stdin, stdout, env: { NO_COLOR: "1" } });
    for (let i = 0; i < 1500 && !out.includes("tcp_sendmsg"); i++) await new Promise((r) => setTimeout(r, 20));
    const first = out.length;
    // Tracing for a while: events arrive, counters and rows change, frames are redrawn.
    for (let i = 0; i < 100 && out.length - first < 2000; i++) await new Promise((r) => setTimeout(r, 20));
    stdin.end();
    await done;
    expect(out.length - first).toBeGreaterThan(0);
    // ink clears the whole terminal (ESC[2J) for each frame as tall as the terminal, and erases every
    // line of the last frame (ESC[2K per line) before each frame unless it renders incrementally.
    expect(out.split("\x1b[2J").length - 1).toBe(0);
    expect(out.split("\x1b[2K").length - 1).toBeLessThanOrEqual(frameHeight(24));
    expect(frameHeight(24)).toBe(23);
    expect(io.errText()).toMatch(/^btfsnoop: \d+ events in [\d.]+ ms of simulated time; 0 filtered, 0 lost\nbtfsnoop: detached; 0 links and 0 fds left open\n$/);
  }, 60_000);

  const haveScript = spawnSync("sh", ["-c", "command -v script"]).status === 0;
  it.runIf(existsSync(BIN) && haveScript)(
    "smoke: the real binary in a pty starts, pauses, filters and quits with nothing attached",
    async () => {
      // -P 256: tcp_* on the net workload now emits more per 16-step poll than the default 16 pages hold (trace loses events there too); 256 pages lose none in 2 s of it, so "0 lost" still checks the drain.
      const cmd = `node ${BIN} tui 'tcp_*' --workload net -P 256`;
      // Its own process group: whatever happens here, nothing is left running (finally below).
      const child = spawn("script", ["-qfec", cmd, "/dev/null"], { detached: true, stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1", COLUMNS: "80", LINES: "24", CI: "true" } });
      const closed = new Promise<number | null>((r) => child.on("close", r));
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (out += d.toString()));
      const waitFor = async (text: string | RegExp, ms = 30_000): Promise<void> => {
        const t0 = Date.now();
        while (!(typeof text === "string" ? out.includes(text) : text.test(out))) {
          if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${String(text)}; got:\n${out.slice(-2000)}`);
          await new Promise((r) => setTimeout(r, 25));
        }
      };
      const send = async (keys: string): Promise<void> => {
        child.stdin.write(keys);
        await new Promise((r) => setTimeout(r, 150));
      };
      try {
        await waitFor("tcp_sendmsg");
        await send(" ");
        await waitFor("[PAUSED]");
        await send(" ");
        await send("/");
        await send("rcv");
        await waitFor("/rcv");
        await send("\r");
        await waitFor("filter: rcv");
        await send("q");
        const code = await closed;
        expect(code).toBe(0);
        expect(out).toMatch(/btfsnoop: \d+ events in [\d.]+ ms of simulated time; 0 filtered, 0 lost/);
        expect(out).toContain("btfsnoop: detached; 0 links and 0 fds left open");
      } finally {
        // The whole group, even when script(1) itself has exited: its child may not have.
        if (child.pid !== undefined) {
          try {
            process.kill(-child.pid, "SIGKILL");
          } catch {
            // already gone
          }
        }
      }
    },
    90_000,
  );
});
