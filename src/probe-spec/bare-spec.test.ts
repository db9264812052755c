// bareSpec() agrees with the grammar on every text it accepts, and leaves
// everything else (arguments, prefixes, brace globs, bad names) to it.
import { describe, expect, it } from "vitest";
import { bareSpec } from "./bare-spec.js";
import { parseSpec } from "./parse.js";

describe("bareSpec", () => {
  it.each(["ip_send_skb", "tcp_*", "*", "*send*", "a*b*c", "foo.isra.0", "_x", "__x64_sys_write"])("%s: the parser's spec", (text) => {
    expect(bareSpec(text)).toEqual(parseSpec(text));
  });

  it.each(["ip_send_skb(skb)", "fentry:tcp_*", "{ip,ip6}_send_skb", "1abc", "tcp_?", "a b", "", "tracepoint:sched:sched_switch"])("%j: left to the parser", (text) => {
    expect(bareSpec(text)).toBeUndefined();
  });
});
