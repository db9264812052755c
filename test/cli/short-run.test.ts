// short-run.ts: the optimizer is held until the process has used its CPU
// budget, given back by checkpoint() or by the timer, and what V8 does with
// a hot function follows (checked in a child node with natives syntax, on
// the built module).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { commandGroup } from "../../src/cli/main.js";
import { checkpoint, holdOptimizer, OPTIMIZER_FLAGS_KNOWN, optimizerHeld, releaseOptimizer, shortRunCommand } from "../../src/cli/short-run.js";

const BUILT = join(dirname(fileURLToPath(import.meta.url)), "../../dist/src/cli/short-run.js");
if (!existsSync(BUILT)) throw new Error(`${BUILT} missing: run npm run build first`);

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

afterEach(() => releaseOptimizer());

describe("shortRunCommand", () => {
  it.each([
    [["ip_send_skb", "-c", "1"], true],
    [["trace", "tcp_*"], true],
    [["count", "tcp_sendmsg", "-d", "100ms"], true],
    [["latency", "a", "b", "--key", "rq"], true],
    [["info", "ip_send_skb"], true],
    [["list", "tcp_*"], true],
    [["iter", "task"], true],
    [["prog", "dump", "ip_send_skb"], true],
    [["run", "x.bpf.o", "-d", "2ms"], true],
    [["info", "ip_send_skb", "--btf", "vmlinux"], false],
    [["ip_send_skb", "--btf=vmlinux", "-c", "1"], false],
    [["count", "f", "--", "--btf"], true], // after --: a positional, not the option
    [["tui", "tcp_*"], false],
    [["-i"], false],
    [["btf", "dump", "file", "vmlinux"], false],
    [["vm", "verify", "x.s"], false],
    [["--help"], false],
    [[], false],
  ] as [string[], boolean][])("%j -> %s", (argv, held) => {
    expect(shortRunCommand(commandGroup(argv), argv)).toBe(held);
  });
});

describe("OPTIMIZER_FLAGS_KNOWN", () => {
  it("is true on node 20's V8 11 only; elsewhere holdOptimizer() does nothing", () => {
    expect(OPTIMIZER_FLAGS_KNOWN).toBe(process.versions.v8.startsWith("11."));
    if (!OPTIMIZER_FLAGS_KNOWN) {
      holdOptimizer(1e9);
      expect(optimizerHeld()).toBe(false);
    }
  });
});

// The rest needs the flags (node 20, what this project runs on).
describe.runIf(OPTIMIZER_FLAGS_KNOWN)("holdOptimizer", () => {
  it("holds until released; release is idempotent", () => {
    expect(optimizerHeld()).toBe(false);
    holdOptimizer(cpuMs() + 60_000);
    expect(optimizerHeld()).toBe(true);
    checkpoint(); // budget far away: still held
    expect(optimizerHeld()).toBe(true);
    holdOptimizer(0); // already held: the first budget stands
    expect(optimizerHeld()).toBe(true);
    releaseOptimizer();
    expect(optimizerHeld()).toBe(false);
    releaseOptimizer();
    expect(optimizerHeld()).toBe(false);
  });

  it("a budget already spent is given back at once", () => {
    holdOptimizer(cpuMs() / 2);
    expect(optimizerHeld()).toBe(false);
  });

  it("checkpoint() gives it back once the process has used the budget, not before", () => {
    const budget = cpuMs() + 30;
    holdOptimizer(budget);
    let spins = 0;
    while (optimizerHeld()) {
      const before = cpuMs();
      checkpoint();
      if (!optimizerHeld()) {
        expect(before).toBeLessThanOrEqual(cpuMs());
        break;
      }
      expect(cpuMs()).toBeLessThan(budget + 10_000); // never spins forever
      for (let i = 0; i < 100_000; i++) spins += i & 1;
    }
    expect(cpuMs()).toBeGreaterThanOrEqual(budget);
    expect(spins).toBeGreaterThan(0);
  });

  it("the timer gives it back in a loop that yields to the event loop", async () => {
    const budget = cpuMs() + 30;
    holdOptimizer(budget);
    while (optimizerHeld()) {
      expect(cpuMs()).toBeLessThan(budget + 10_000);
      const t = performance.now();
      while (performance.now() - t < 5); // burn CPU, then let timers run
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(cpuMs()).toBeGreaterThanOrEqual(budget);
  });
});

describe.runIf(OPTIMIZER_FLAGS_KNOWN)("V8 follows the flag", () => {
  it("a hot function is not optimized while held and is once released", () => {
    // %GetOptimizationStatus bit 4 (16): optimized by TurboFan.
    const script = `
      const { holdOptimizer, releaseOptimizer } = await import(${JSON.stringify(pathToFileURL(BUILT).href)});
      const f = (n) => { let s = 0; for (let i = 0; i < n; i++) s = (s + i * 7) | 0; return s; };
      const hot = () => { for (let k = 0; k < 2000; k++) f(1000); };
      const turbo = () => (%GetOptimizationStatus(f) & 16) !== 0;
      holdOptimizer(1e9);
      hot();
      const held = turbo();
      releaseOptimizer();
      for (let k = 0; k < 50 && !turbo(); k++) { hot(); await new Promise((r) => setTimeout(r, 10)); }
      console.log(JSON.stringify({ held, released: turbo() }));
    `;
    const r = spawnSync(process.execPath, ["--allow-natives-syntax", "--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({ held: false, released: true });
  });
});
