// The display width of plain text without the Unicode tables: a string of
// printable ASCII (space to tilde) is as many columns wide as it has
// characters, which is what string-width answers for it. The CLI bundle
// (scripts/bundle-cli.mjs) puts this in front of string-width for yargs's
// help layout and ink, so the grapheme segmenter and the emoji and Unicode
// property regular expressions string-width builds when it loads (tens of
// milliseconds of a cold start) load only for text that needs them.

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** The width of `text` in terminal columns if it is printable ASCII (its length), else -1 (measure it fully). */
export function plainWidth(text: unknown): number {
  return typeof text === "string" && PRINTABLE_ASCII.test(text) ? text.length : -1;
}
