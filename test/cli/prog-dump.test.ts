// `btfsnoop prog dump SPEC...`: the per-target table, the generated
// programs' listings and the verifier's statistics (loaded into the
// synthetic kernel), or `verifier: not run` with --btf.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { VMLINUX_DIR } from "../helpers/fixtures.js";
import { runCli } from "../helpers/cli.js";

const run = runCli;

const VMLINUX = join(VMLINUX_DIR, "vmlinux.btf.gz");
/** The documented command line (see the header of src/cli/commands/prog-dump.ts). */
const PROG_DUMP = ["prog", "dump"];

/** The program listings in a dump: name -> instruction lines, and the verifier line after each. */
function listings(out: string): Map<string, { insns: string[]; verifier: string }> {
  const res = new Map<string, { insns: string[]; verifier: string }>();
  const lines = out.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^(btfsnoop_\w+):$/.exec(lines[i]!);
    if (!m) continue;
    const insns: string[] = [];
    let j = i + 1;
    while (j < lines.length && /^ *\d+: \(/.test(lines[j]!)) insns.push(lines[j++]!);
    res.set(m[1]!, { insns, verifier: lines[j] ?? "" });
  }
  return res;
}

const VERIFIED = /^verifier: processed (\d+) insns \(limit 1000000\)/;

describe("prog dump", () => {
  it("ip_send_skb(skb->len > 128): table line, predicate, one verified entry program", async () => {
    const r = await run(...PROG_DUMP, "ip_send_skb(skb->len > 128)");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const lines = r.out.split("\n");
    expect(lines[0]).toBe("per-target table: 1 entry (key: function address)");
    expect(lines[1]).toMatch(/^ {2}\[0\] ip_send_skb ip 0xffffffff[0-9a-f]+ func_btf_id \d+ entry$/);
    expect(lines).toContain("    predicate: skb->len > 128");
    const progs = listings(r.out);
    expect([...progs.keys()]).toEqual(["btfsnoop_entry"]);
    const entry = progs.get("btfsnoop_entry")!;
    expect(entry.insns.length).toBeGreaterThan(10);
    expect(entry.insns[entry.insns.length - 1]).toMatch(/: \(95\) exit$/);
    expect(entry.verifier).toMatch(VERIFIED);
    expect(Number(VERIFIED.exec(entry.verifier)![1])).toBeGreaterThan(0);
    expect(r.out.endsWith("\n")).toBe(true);
  });

  it("tcp_sendmsg(size, return): entry and return programs, each verified", async () => {
    const r = await run(...PROG_DUMP, "tcp_sendmsg(size, return)");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const lines = r.out.split("\n");
    expect(lines.slice(0, 4)).toEqual([
      "per-target table: 1 entry (key: function address)",
      expect.stringMatching(/^ {2}\[0\] tcp_sendmsg ip 0xffffffff[0-9a-f]+ func_btf_id \d+ entry return$/),
      "    entry  size (size_t) = arg2",
      "    return return (int) = ret; signed",
    ]);
    const progs = listings(r.out);
    expect([...progs.keys()]).toEqual(["btfsnoop_entry", "btfsnoop_exit"]);
    for (const p of progs.values()) {
      expect(p.insns.length).toBeGreaterThan(10);
      expect(p.insns[0]).toMatch(/^ {4}0: \(/);
      expect(p.verifier).toMatch(VERIFIED);
    }
    expect(r.out.match(/^verifier: /gm)).toHaveLength(2);
  });

  it("--btf <vmlinux fixture>: programs generated, verifier not run", async () => {
    const r = await run(...PROG_DUMP, "tcp_sendmsg(size, return)", "--btf", VMLINUX);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const lines = r.out.split("\n");
    expect(lines[0]).toBe("per-target table: 1 entry (key: function address)");
    expect(lines[1]).toMatch(/^ {2}\[0\] tcp_sendmsg ip 0x0 func_btf_id \d+ entry return$/);
    const progs = listings(r.out);
    expect([...progs.keys()]).toEqual(["btfsnoop_entry", "btfsnoop_exit"]);
    for (const p of progs.values()) {
      expect(p.insns.length).toBeGreaterThan(10);
      expect(p.verifier).toBe("verifier: not run (--btf: no kernel to load into)");
    }
    expect(r.out).not.toMatch(/processed \d+ insns/);
  });

  it("a bad spec exits 2 with the caret message and no output", async () => {
    const r = await run(...PROG_DUMP, "ip_send_skb(skb->lenn)");
    expect(r.err).toBe("btfsnoop: error: no member 'lenn' in struct sk_buff; did you mean 'len'?\n    ip_send_skb(skb->lenn)\n                     ^~~~\n");
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
  });

  it("--jited prints the generated JavaScript, large programs as segments", async () => {
    const small = await run(...PROG_DUMP, "--jited", "ip_send_skb(skb->sk)");
    expect(small.code).toBe(0);
    expect(small.out).toMatch(/^btfsnoop_entry: JIT-compiled in \d+\.\d ms$/m);
    expect(small.out).toContain("return function jit_btfsnoop_entry(rt, entry, depth,");
    // tcp_*'s programs (over 800 slots) compile as segments: one function per run of blocks, called in turn.
    const big = await run(...PROG_DUMP, "--jited", "tcp_*");
    expect(big.code).toBe(0);
    expect(big.out).toMatch(/^btfsnoop_entry: JIT-compiled in \d+\.\d ms$/m);
    expect(big.out).toMatch(/^btfsnoop_exit: JIT-compiled in \d+\.\d ms$/m);
    expect(big.out.match(/function s\d+\(/g)?.length).toBeGreaterThan(2);
  });
});
