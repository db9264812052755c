// Probe-spec errors through the CLI: limits (predicate steps, string
// lengths) point at the spec with a caret like every other spec error, and a
// spec typed over several lines shows the line holding the error with the
// caret at its column.
import { describe, expect, it } from "vitest";
import { runCli as run } from "../helpers/cli.js";

describe("spec errors carry a caret", () => {
  it("a predicate over the table's 16 steps", async () => {
    const cond = Array.from({ length: 9 }, (_, i) => `skb->len > ${i}`).join(" && ");
    const r = await run(`ip_send_skb(${cond})`, "-c", "1");
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toBe(
      [
        "btfsnoop: error: the predicate has 17 terms (9 comparisons and 8 of &&, ||, !), at most 16",
        `    ip_send_skb(${cond})`,
        `                ^${"~".repeat(cond.length - 1)}`,
        "hint: use fewer conditions, or filter the output instead (--json | jq)",
        "",
      ].join("\n"),
    );
  });

  it("a string literal over 31 bytes", async () => {
    const str = `"${"a".repeat(32)}"`;
    const r = await run(`netif_receive_skb(skb->dev->name == ${str})`, "-c", "1");
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      [`btfsnoop: error: string ${str} is 32 bytes, at most 31 in a predicate`, `    netif_receive_skb(skb->dev->name == ${str})`, `    ${" ".repeat(36)}^${"~".repeat(33)}`, ""].join("\n"),
    );
  });

  it("a spec over several lines: the caret goes under the error in its own line", async () => {
    const r = await run("ip_send_skb(skb->len > 1,\n  skb->lenn)", "-c", "1");
    expect(r.code).toBe(2);
    expect(r.err).toBe(["btfsnoop: error: no member 'lenn' in struct sk_buff; did you mean 'len'?", "      skb->lenn)", "           ^~~~", ""].join("\n"));
    const syntax = await run("ip_send_skb(skb->len > 1,\n  skb->len >)", "-c", "1");
    expect(syntax.code).toBe(2);
    expect(syntax.err).toBe(["btfsnoop: error: invalid probe spec at line 2, column 13: expected a literal", "      skb->len >)", "                ^", ""].join("\n"));
  });
});
