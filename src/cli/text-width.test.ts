// plainWidth(): the ASCII answer the CLI bundle gives in front of string-width
// must be string-width's own, for both versions the bundle wraps (8 for
// yargs, 7 for cliui and wrap-ansi), and must decline everything else.
import { describe, expect, it } from "vitest";
import stringWidth8 from "string-width";
import { plainWidth } from "./text-width.js";

// wrap-ansi's own string-width (7.x), nested in its node_modules
const stringWidth7 = (await import(new URL("../../node_modules/wrap-ansi/node_modules/string-width/index.js", import.meta.url).href)).default as (s: string) => number;

describe("plainWidth", () => {
  it("is string-width's width for every printable ASCII character and for ASCII text", () => {
    const texts: string[] = ["", " ", "  btfsnoop info <funcs..>", "[boolean] [default: false]", "#", "*", "0", "#*0123456789", "~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./"];
    for (let c = 0x20; c <= 0x7e; c++) texts.push(String.fromCharCode(c), String.fromCharCode(c).repeat(3));
    let seed = 7;
    for (let i = 0; i < 200; i++) {
      let s = "";
      for (let j = 0; j < i % 40; j++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        s += String.fromCharCode(0x20 + (seed % 95));
      }
      texts.push(s);
    }
    for (const t of texts) {
      expect(plainWidth(t)).toBe(t.length);
      expect(stringWidth8(t)).toBe(t.length);
      expect(stringWidth7(t)).toBe(t.length);
    }
  });

  it("declines text that needs the Unicode tables, escapes or control characters (-1)", () => {
    for (const t of ["é", "日本", "a\u0301", "👍", "\x1b[1mbold\x1b[22m", "tab\there", "line\n", "\x7f", "\u00a0", "…"]) {
      expect(plainWidth(t)).toBe(-1);
    }
    // and string-width measures those differently from their length, which is why they go to it
    expect(stringWidth8("日本")).toBe(4);
    expect(stringWidth7("\x1b[1mbold\x1b[22m")).toBe(4);
  });

  it("declines what is not a string (string-width gives 0 for it)", () => {
    for (const v of [undefined, null, 3, {}]) expect(plainWidth(v)).toBe(-1);
  });
});
