// jhash/jhash2 against Bob Jenkins' lookup3 reference values (hashlittle),
// and jhash2 agreeing with jhash on word-aligned input (the kernel picks
// jhash2 for keys whose size is a multiple of 4).
import { describe, expect, it } from "vitest";
import { jhash, jhash2, wordsOf } from "./jhash.js";

const enc = new TextEncoder();

describe("jhash", () => {
  it.each([
    ["", 0, 0xdeadbeef],
    ["", 0xdeadbeef, 0xbd5b7dde],
    ["Four score and seven years ago", 0, 0x17770551],
    ["Four score and seven years ago", 1, 0xcd628161],
  ] as const)("jhash(%j, %d) = %d", (s, init, expected) => {
    expect(jhash(enc.encode(s), init)).toBe(expected);
  });

  it("jhash2 over words equals jhash over their bytes", () => {
    for (const n of [4, 8, 12, 16, 20, 24, 28]) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff);
      expect(jhash2(wordsOf(b), 0)).toBe(jhash(b, 0));
      expect(jhash2(wordsOf(b), 7)).toBe(jhash(b, 7));
    }
    expect(jhash2([], 0)).toBe(0xdeadbeef);
  });
});
