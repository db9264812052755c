// `tui --btf FILE`: the TUI over a scale-mode kernel made from a real BTF
// (vmlinux 6.18), as `trace --btf`: the driver traces its random calls with
// the BTF it was given, and the command boots it, draws it and reports a
// missing file before the screen starts.
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { loadBtfFile } from "../../src/cli/btf-file.js";
import { runTuiCommand } from "../../src/cli/commands/tui.js";
import type { CliIo } from "../../src/cli/io.js";
import { bootScaleMachine } from "../../src/syscall/boot.js";
import { TuiDriver } from "../../src/ui/tui/driver.js";
import type { TuiClock } from "../../src/ui/tui/model.js";

const VMLINUX = "test/fixtures/vmlinux-6.18/vmlinux.btf.gz";
const T = 60_000;

/** A clock that never ticks by itself (tests step the driver by hand). */
const stoppedClock = (): TuiClock => ({ now: () => 0, setTimeout: () => 0, clearTimeout: () => undefined, setInterval: () => 0, clearInterval: () => undefined });

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

function fakeTerminal(): { term: { stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream; env: NodeJS.ProcessEnv }; output: () => string } {
  const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin, ref: () => stdin, unref: () => stdin }) as unknown as NodeJS.ReadStream;
  const stdout = Object.assign(new PassThrough(), { isTTY: true, columns: 80, rows: 24, hasColors: () => false }) as unknown as NodeJS.WriteStream;
  let out = "";
  stdout.on("data", (d: Buffer) => (out += d.toString()));
  return { term: { stdin, stdout, env: { NO_COLOR: "1" } }, output: () => out };
}

describe("tui --btf FILE", () => {
  it("the driver traces the scale kernel's random calls with the BTF it was given", () => {
    const btf = loadBtfFile(VMLINUX);
    const machine = bootScaleMachine(btf, 1);
    const d = new TuiDriver({ machine, specs: ["tcp_*"], workload: "random", clock: stoppedClock(), btf });
    d.open();
    expect(d.btf).toBe(btf);
    const targets = d.targets;
    expect(targets.length).toBeGreaterThan(100);
    expect(targets.every((t) => t.startsWith("tcp_"))).toBe(true);
    for (let i = 0; i < 2000 && d.model.visibleEvents().length < 5; i++) d.tick();
    d.redrawNow();
    const events = d.model.visibleEvents();
    expect(events.length).toBeGreaterThanOrEqual(5);
    expect(events.every((e) => e.func.startsWith("tcp_"))).toBe(true);
    // The function table counts what the kernel called.
    const rows = d.model.rows();
    let calls = 0;
    for (const r of rows) calls += r.calls;
    let kernelCalls = 0;
    for (const t of targets) kernelCalls += machine.callCount(t);
    expect(calls).toBe(kernelCalls);
    expect(calls).toBeGreaterThan(0);
    expect(d.quit().linksLeft).toBe(0);
    // The prompt resolves "*": every function of the BTF (tens of thousands of names, gathered without a spread).
    const all = new TuiDriver({ machine, specs: [], workload: "random", clock: stoppedClock(), btf });
    const st = all.validate("*");
    expect(st.kind).toBe("ok");
    expect(Number(/^adds (\d+) functions: /.exec(st.message)?.[1])).toBeGreaterThan(40_000);
  }, T);

  it("the command boots the kernel from the file, draws it and detaches on exit", async () => {
    const { term, output } = fakeTerminal();
    const io = bufferIo();
    const done = runTuiCommand({ specs: ["tcp_sendmsg"], workload: "mixed", seed: 1, cpus: 4, pages: 16, btf: VMLINUX }, io, term);
    for (let i = 0; i < 2500 && !output().includes("tcp_sendmsg"); i++) await new Promise((r) => setTimeout(r, 20));
    term.stdin.end();
    await done;
    expect(output()).toContain("│ workload random │ kernel vmlinux.btf.gz (scale mode, seed 1) │");
    expect(io.errText()).toMatch(/^btfsnoop: \d+ events in [\d.]+ ms of simulated time; 0 filtered, 0 lost\nbtfsnoop: detached; 0 links and 0 fds left open\n$/);
  }, T);

  it("a missing file is an error before the screen starts", async () => {
    const { term, output } = fakeTerminal();
    await expect(runTuiCommand({ specs: ["tcp_sendmsg"], workload: "mixed", seed: 1, cpus: 4, pages: 16, btf: "/nonexistent/vmlinux" }, bufferIo(), term)).rejects.toThrow(
      "cannot read '/nonexistent/vmlinux': no such file or directory",
    );
    expect(output()).toBe("");
  }, T);
});
