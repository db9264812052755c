// `btfsnoop iter TARGET`: goldens per target on seed 1, JSON lines, and a
// pinned dumper read back with `iter cat` through a temporary state dir.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import type { CliIo } from "../../src/cli/io.js";
import { collect } from "../../src/btf/format/sink.js";
import { FIXTURES, checkGolden } from "../helpers/fixtures.js";

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: CliIo = {
    out: async (s) => void (out += s),
    err: (s) => void (err += s),
    stream: async (fill) => void (out += collect(fill)),
    readStdin: async () => "",
  };
  const code = await main(argv, io);
  return { code, out, err };
}

const GOLDEN = join(FIXTURES, "..", "golden", "iter");

describe("btfsnoop iter", () => {
  for (const [target, file, extra] of [
    ["task", "task.txt", []],
    ["task/file", "task_file.txt", ["--steps", "300", "--workload", "fs"]],
    ["bpf_map", "bpf_map.txt", []],
    ["bpf_prog", "bpf_prog.txt", []],
    ["netlink", "netlink.txt", []],
    ["ipv6_route", "ipv6_route.txt", []],
    ["task", "task.json", ["--format", "json"]],
    ["ipv6_route", "ipv6_route.json", ["--format", "json"]],
  ] as const) {
    it(`iter ${target} ${extra.join(" ")} matches ${file}`, async () => {
      const r = await run("iter", target, ...extra);
      expect(r.err).toBe("");
      expect(r.code).toBe(0);
      expect(checkGolden(join(GOLDEN, file), r.out)).toBeUndefined();
    });
  }

  it("json lines parse", async () => {
    const r = await run("iter", "netlink", "--format", "json");
    const rows = r.out.trimEnd().split("\n").map((l) => JSON.parse(l) as { eth: number; pid: number });
    expect(rows.length).toBe(10);
    expect(rows[2]).toMatchObject({ eth: 0, pid: 523 });
  });

  it("unknown targets are usage errors", async () => {
    const r = await run("iter", "tcp6");
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown iterator target 'tcp6'");
  });

  describe("pinned dumpers", () => {
    let dir = "";
    const saved = process.env.BTFSNOOP_STATE_DIR;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "btfsnoop-iter-test-"));
      process.env.BTFSNOOP_STATE_DIR = dir;
    });
    afterAll(() => {
      if (saved === undefined) delete process.env.BTFSNOOP_STATE_DIR;
      else process.env.BTFSNOOP_STATE_DIR = saved;
      rmSync(dir, { recursive: true, force: true });
    });

    it("--pin records the spec; iter cat re-creates the dumper and prints the same output; rm removes it", async () => {
      const direct = await run("iter", "task", "--seed", "7", "--steps", "50");
      const pin = await run("iter", "task", "--seed", "7", "--steps", "50", "--pin", "tasks");
      expect(pin.code).toBe(0);
      expect(pin.out).toBe("");
      expect(JSON.parse(readFileSync(join(dir, "iter", "tasks.json"), "utf8"))).toEqual({ target: "task", format: "text", seed: 7, steps: 50, workload: "mixed" });
      const cat = await run("iter", "cat", "tasks");
      expect(cat.code).toBe(0);
      expect(cat.out).toBe(direct.out);
      expect((await run("iter", "ls")).out).toBe("tasks: target task format text seed 7 steps 50 (mixed)\n");
      expect((await run("iter", "rm", "tasks")).code).toBe(0);
      const gone = await run("iter", "cat", "tasks");
      expect(gone.code).not.toBe(0);
      expect(gone.err).toContain("no pinned dumper 'tasks'");
    });

    it("refuses pin names that could escape the state dir", async () => {
      const r = await run("iter", "task", "--pin", "../x");
      expect(r.code).toBe(2);
      expect(r.err).toContain("invalid pin name '../x'");
    });
  });
});
