// toBigU / toBigS / fromBig: the conversions between BigInt and the (lo, hi)
// int32 halves, on every path toBigU takes (cached small values, one
// conversion below 2^53, two above it).
import { describe, expect, it } from "vitest";
import { fromBig, toBigS, toBigU } from "./alu64.js";

const halves = (v: bigint): [number, number] => {
  const out = new Int32Array(2);
  fromBig(out, v);
  return [out[0]!, out[1]!];
};

describe("64-bit halves", () => {
  const values = [0n, 1n, 1023n, 1024n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 1n << 32n, (1n << 53n) - 1n, 1n << 53n, 0xffff888000100000n, 0xfffffffffffffff2n, (1n << 64n) - 1n];
  it.each(values.map((v) => [v]))("round-trips 0x%s", (v) => {
    const [lo, hi] = halves(v);
    expect(toBigU(lo, hi)).toBe(v);
    expect(toBigS(lo, hi)).toBe(BigInt.asIntN(64, v));
  });

  it("reads lo as unsigned whatever its sign", () => {
    expect(toBigU(-1, 0)).toBe(0xffffffffn);
    expect(toBigU(-14, -1)).toBe(0xfffffffffffffff2n);
    expect(toBigU(5, 0x1fffff)).toBe((0x1fffffn << 32n) | 5n);
    expect(toBigU(5, 0x200000)).toBe((0x200000n << 32n) | 5n);
  });
});
