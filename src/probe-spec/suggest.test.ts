// Tests of "did you mean" suggestions (suggest.ts).
import { describe, expect, it } from "vitest";
import { closest, didYouMean, editDistance, rankClosest } from "./suggest.js";

describe("editDistance", () => {
  it("is the case-insensitive Levenshtein distance", () => {
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("Len", "len")).toBe(0);
    expect(editDistance("ip_sendskb", "ip_send_skb")).toBe(1);
  });

  it("gives up past the limit", () => {
    expect(editDistance("abcdef", "uvwxyz", 2)).toBe(3);
    expect(editDistance("a", "abcdef", 2)).toBe(3);
  });
});

describe("closest", () => {
  it("orders by distance, then by name", () => {
    expect(closest("lenn", ["len", "end", "data_len", "lent", "zzz"])).toEqual(["len", "lent", "end"]);
  });

  it("keeps at most max names", () => {
    expect(closest("ab", ["aa", "ac", "ad", "ae"], 2)).toEqual(["aa", "ac"]);
  });

  it("is case-insensitive", () => {
    expect(closest("SKB", ["skb", "sk"])).toEqual(["skb", "sk"]);
  });

  it("uses max(2, floor(len/3)) as the threshold", () => {
    expect(closest("abc", ["xyz"])).toEqual([]);
    expect(closest("abc", ["xbz"])).toEqual(["xbz"]);
    // 12 characters: distance up to 4 is close.
    expect(closest("abcdefghijkl", ["abcdefghwxyz", "abcdevwxyzkl"])).toEqual(["abcdefghwxyz"]);
  });

  it("counts prefix matches as close", () => {
    expect(closest("tcp_send", ["tcp_sendmsg_locked_long_name", "udp_recv"])).toEqual(["tcp_sendmsg_locked_long_name"]);
    expect(closest("skb_clone_extra", ["skb"])).toEqual(["skb"]);
  });

  it("skips the name itself and duplicates", () => {
    expect(closest("skb", ["skb", "skbb", "skbb"])).toEqual(["skbb"]);
    expect(rankClosest("skb", ["skbb", "sk"])).toEqual([
      ["sk", 1],
      ["skbb", 1],
    ]);
  });
});

describe("didYouMean", () => {
  it("names only the best matches", () => {
    expect(didYouMean("ip_sendskb", ["ip_send_skb", "ip6_send_skb", "tcp_sendmsg"])).toBe("; did you mean 'ip_send_skb'?");
    expect(didYouMean("ab", ["aa", "ac", "ad", "ae"])).toBe("; did you mean 'aa', 'ac' or 'ad'?");
    expect(didYouMean("ab", ["aa", "ac"])).toBe("; did you mean 'aa' or 'ac'?");
  });

  it("is empty when nothing is close", () => {
    expect(didYouMean("qqqq", ["len", "data"])).toBe("");
  });
});
