// SIGINT mid-trace: the real binary stops at the next batch, prints its
// summary, detaches everything and exits 0 (needs the build: npm test builds first).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const BIN = join(__dirname, "../../dist/src/cli/bin.js");

describe.runIf(existsSync(BIN))("signals", () => {
  it("SIGINT mid-trace ends the trace cleanly with nothing left attached", async () => {
    const child = spawn(process.execPath, [BIN, "ip_send_skb(skb->len)", "--duration", "1000s", "-v"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    await new Promise<void>((resolve) => {
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes(");")) resolve();
      });
    });
    child.kill("SIGINT");
    const code = await new Promise<number | null>((r) => child.on("close", r));
    expect(code).toBe(0);
    expect(err).toMatch(/^btfsnoop: \d+ events shown in [\d.]+ ms of simulated time \(stopped\); 0 filtered, 0 lost/m);
    expect(err).toContain("btfsnoop: detached; 0 links and 0 fds left open");
    expect(out.startsWith("            TIME  CPU      PID FUNCTION/ARGS\n")).toBe(true);
  }, 30_000);
});
