// `btfsnoop trace '*' --btf vmlinux` (issue #18): a glob over every FUNC of
// the real vmlinux 6.18 BTF attaches (all but the functions whose return
// does not fit a register) and its events come from many functions.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { collect } from "../../src/btf/format/sink.js";
import type { CliIo } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";
import { VMLINUX_DIR } from "../helpers/fixtures.js";

describe("trace '*' --btf vmlinux 6.18", () => {
  it("attaches 56074 functions (46 skipped) and prints 300 events from many of them, only NULL pointers unreadable", async () => {
    let out = "";
    let err = "";
    const io: CliIo = {
      out: async (s) => void (out += s),
      err: (s) => void (err += s),
      stream: async (fill) => void (out += collect(fill)),
      readStdin: async () => "",
      outputClosed: () => false,
    };
    const code = await main(["trace", "*", "--btf", join(VMLINUX_DIR, "vmlinux.btf.gz"), "-c", "300", "--json", "-v"], io);
    expect(code).toBe(0);
    expect(err).toContain("btfsnoop: *: 56074 functions, 46 skipped\n");
    expect(err).toMatch(/^btfsnoop: 300 events shown in [0-9.]+ ms of simulated time \(count\); 0 filtered, 0 lost/m);
    const events = out.trim().split("\n").map((l) => JSON.parse(l) as { func: string; values: { ptr?: string; error?: string }[] });
    expect(events).toHaveLength(300);
    expect(new Set(events.map((e) => e.func)).size).toBeGreaterThan(100);
    // Only NULL pointers fault (functions returning pointers return NULL 2% of the time).
    expect(events.flatMap((e) => e.values).filter((v) => v.error !== undefined && v.ptr !== "0x0")).toEqual([]);
  }, 120_000);
});
