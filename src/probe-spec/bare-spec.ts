// The spec of a bare function name or simple glob (`ip_send_skb`, `tcp_*`,
// `foo.isra.0`), built without the grammar: `info` and `list` take nothing
// else, and loading the ohm parser is a good part of their cold start. Any
// other text returns undefined and goes to parse.ts; for the texts accepted
// here both give the same ProbeSpec (bare-spec.test.ts).
import type { ProbeSpec } from "./ast.js";

const BARE = /^[A-Za-z_*][A-Za-z0-9_.*]*$/;

/** The ProbeSpec parseSpec() gives for a bare name or `*` glob, or undefined for anything else. */
export function bareSpec(text: string): ProbeSpec | undefined {
  if (!BARE.test(text)) return undefined;
  return { text, mechanism: undefined, target: text, targetSpan: { start: 0, end: text.length }, items: undefined };
}
