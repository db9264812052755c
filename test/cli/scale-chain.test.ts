// `btfsnoop trace --btf vmlinux` (scale mode, issue #18) traces member chains
// through pointer arguments: skb->sk->... reads a zero-filled struct sock
// instead of failing, and task_struct arguments are the scale kernel's
// tasks (their pid and comm read through the pointer).
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { collect } from "../../src/btf/format/sink.js";
import type { CliIo } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";
import { SCALE_TASKS } from "../../src/kernel-model/scale.js";
import { checkGolden, FIXTURES, VMLINUX_DIR } from "../helpers/fixtures.js";

const VMLINUX = join(VMLINUX_DIR, "vmlinux.btf.gz");
const GOLDEN = join(FIXTURES, "..", "golden", "trace");

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: CliIo = {
    out: async (s) => void (out += s),
    err: (s) => void (err += s),
    stream: async (fill) => void (out += collect(fill)),
    readStdin: async () => "",
    outputClosed: () => false,
  };
  const code = await main(argv, io);
  return { code, out, err };
}

const SPECS = ["ip_send_skb(skb->sk->sk_rcvbuf, skb->len)", "wake_up_process(p->pid, p->comm)"];

describe("trace --btf vmlinux 6.18: member chains in scale mode", () => {
  it("prints skb->sk->sk_rcvbuf and the woken task's pid and comm, as golden", async () => {
    const r = await run(["trace", ...SPECS, "--btf", VMLINUX, "--seed", "1", "-c", "6"]);
    expect([r.code, r.err]).toEqual([0, "btfsnoop: 6 events shown in 84.706 ms of simulated time (count); 0 filtered, 0 lost\n"]);
    expect(checkGolden(join(GOLDEN, "scale-member-chain.txt"), r.out)).toBeUndefined();
  }, 60_000);

  it("every value reads (no EFAULT); a woken task's comm is the scale kernel's task of that pid", async () => {
    const r = await run(["trace", ...SPECS, "--btf", VMLINUX, "--seed", "2", "-c", "20", "--json"]);
    expect(r.code).toBe(0);
    const events = r.out.trim().split("\n").map((l) => JSON.parse(l) as { func: string; comm: string; pid: number; values: { name: string; value?: unknown; ptr?: string; error?: string }[] });
    expect(events).toHaveLength(20);
    const commOf = (pid: number) => (pid === 0 ? undefined : SCALE_TASKS[pid - 1]![0]);
    let woken = 0;
    for (const e of events) {
      for (const v of e.values) expect(v.error).toBeUndefined();
      if (e.pid !== 0) expect(e.comm).toBe(commOf(e.pid));
      if (e.func === "ip_send_skb") expect(e.values.map((v) => [v.name, v.value])).toEqual([["skb->sk->sk_rcvbuf", 0], ["skb->len", 0]]);
      if (e.func === "wake_up_process") {
        const [pid, comm] = e.values.map((v) => v.value) as [number, string];
        if (pid === 0) expect(comm).toMatch(/^swapper\/[0-3]$/);
        else expect(comm).toBe(commOf(pid));
        woken++;
      }
    }
    expect(woken).toBeGreaterThan(5);
  }, 60_000);
});
