// Scale mode on the real vmlinux 6.18 BTF: every FUNC callable at a
// kallsyms address, deterministic random calls, ground truth.
import { describe, expect, it } from "vitest";
import { vmlinuxBtf } from "../../test/helpers/fixtures.js";
import { buildScaleKernel, runRandomCalls, TEXT_BASE } from "./scale.js";

describe("scale mode", () => {
  const btf = vmlinuxBtf();

  it("makes every vmlinux FUNC a kernel function in kallsyms", () => {
    const k = buildScaleKernel(btf);
    const syms = k.kallsyms();
    expect(syms.length).toBe(56277);
    expect(syms[0]!.address).toBe(TEXT_BASE);
    const send = k.functions.named("ip_send_skb")[0]!;
    expect(send.btfId).toBe(88320);
    expect(send.nargs).toBe(2);
    expect(syms.find((s) => s.name === "ip_send_skb")!.type).toBe("t"); // static in vmlinux BTF (linkage=static)
  });

  it("runs the same calls for the same seed, and counts them", () => {
    const a = buildScaleKernel(btf, { seed: 9 });
    const b = buildScaleKernel(btf, { seed: 9 });
    runRandomCalls(a, 5000);
    runRandomCalls(b, 5000);
    const ca = a.functions.callsByName();
    const total = [...ca.values()].reduce((x, y) => x + y, 0);
    expect(total).toBe(5000);
    expect([...b.functions.callsByName()]).toEqual([...ca]);
    expect(a.clock.now()).toBe(b.clock.now());
    const c = buildScaleKernel(btf, { seed: 10 });
    runRandomCalls(c, 5000);
    expect([...c.functions.callsByName()]).not.toEqual([...ca]);
  });
});
