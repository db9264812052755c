// Btf name lookups: the first lookups of a parsed Btf scan the records' name
// offsets (no index built); later ones use the name index. Both must give
// the same ids, including for decoded-and-renamed and added types.
import { describe, expect, it } from "vitest";
import { BtfBuilder } from "./builder.js";
import { BtfKind, IntEncoding } from "./kinds.js";
import { parseBtf } from "./parse.js";
import type { TypedefType } from "./types.js";

function sample(): Uint8Array {
  const b = new BtfBuilder();
  const int = b.int("int", 4, IntEncoding.SIGNED); // 1
  b.typedef("skb", int); // 2
  b.typedef("send_skb", int); // 3 (ends in "skb": a lookup of "skb" must not match it)
  const proto = b.funcProto(int, [["skb", int]]); // 4
  b.func("send_skb", proto); // 5
  b.func("send_skb", proto, 0); // 6 (a static twin)
  b.float("ünï", 8); // 7 (FLOAT names need not be identifiers)
  b.struct("s", 4); // 8
  return b.encode();
}

describe("Btf.idsByName", () => {
  const names = ["int", "skb", "send_skb", "ünï", "s", "nope", "sk", "send_skb\0"];

  it("finds the same ids by scanning as by the index", () => {
    const scanned = parseBtf(sample());
    const viaScan = names.map((n) => scanned.idsByName(n)); // 8 lookups: all scans
    const indexed = parseBtf(sample());
    for (let i = 0; i < 8; i++) indexed.idsByName("warm-up"); // use up the scans
    const viaIndex = names.map((n) => indexed.idsByName(n));
    expect(viaScan).toEqual([[1], [2], [3, 5, 6], [7], [8], [], [], []]);
    expect(viaIndex).toEqual(viaScan);
    expect(scanned.findByNameKind("send_skb", BtfKind.FUNC)).toBe(5);
  });

  it("sees renamed and added types while scanning", () => {
    const btf = parseBtf(sample());
    (btf.typeById(2) as TypedefType).name = "renamed";
    const added = btf.add({ kind: BtfKind.TYPEDEF, name: "skb", type: 1 });
    expect(added).toBe(9);
    expect(btf.idsByName("renamed")).toEqual([2]);
    expect(btf.idsByName("skb")).toEqual([9]);
  });
});
