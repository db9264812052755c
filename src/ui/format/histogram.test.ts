// bpftrace's text for hist/lhist/count maps, exactly.
import { describe, expect, it } from "vitest";
import { formatCounts, formatHeatmap, formatLinear, formatLog2, log2Label, powerLabel } from "./histogram.js";

describe("bpftrace hist labels and rows", () => {
  it("labels powers with K/M/G suffixes", () => {
    expect([0, 1, 9, 10, 11, 20, 30, 40].map(powerLabel)).toEqual(["1", "2", "512", "1K", "2K", "1M", "1G", "1T"]);
    expect([0, 1, 2, 3, 4, 12, 13].map(log2Label)).toEqual(["(..., 0)", "[0]", "[1]", "[2, 4)", "[4, 8)", "[1K, 2K)", "[2K, 4K)"]);
  });

  it("prints the rows between the first and last non-empty bucket, bars scaled to 52", () => {
    // kernel buckets: 0 -> value 0, 1 -> value 1, k -> [2^(k-1), 2^k)
    const text = formatLog2([
      { bucket: 3n, count: 17 },
      { bucket: 1n, count: 2 },
      { bucket: 5n, count: 85 },
      { bucket: 4n, count: 2 },
    ]);
    expect(text).toBe(
      [
        "[1]                    2 |@                                                   |",
        "[2, 4)                 0 |                                                    |",
        "[4, 8)                17 |@@@@@@@@@@                                          |",
        "[8, 16)                2 |@                                                   |",
        "[16, 32)              85 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|",
        "",
      ].join("\n"),
    );
    expect(formatLog2([{ bucket: 0xffffffffffffffffn, count: 1 }, { bucket: 0n, count: 1 }])).toBe(
      "(..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n[0]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n",
    );
    expect(formatLog2([])).toBe("");
  });

  it("prints linear histograms with under- and overflow buckets", () => {
    const text = formatLinear(
      [
        { bucket: 0xffffffffffffffffn, count: 1 },
        { bucket: 0n, count: 4 },
        { bucket: 2n, count: 2 },
        { bucket: 10n, count: 3 },
      ],
      0n,
      100n,
      10n,
    );
    expect(text.split("\n")[0]).toBe("(..., 0)               1 |@@@@@@@@@@@@@                                       |");
    expect(text.split("\n")[1]).toBe("[0, 10)                4 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|");
    expect(text.split("\n")[3]).toBe("[20, 30)               2 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |");
    expect(text.split("\n")[11]).toBe("[100, ...)             3 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@             |");
    expect(text.split("\n")).toHaveLength(13);
    expect(formatLinear([{ bucket: 1n, count: 1 }], 0n, 4096n, 1024n)).toBe("[1K, 2K)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n");
  });

  it("prints count maps ascending by count", () => {
    expect(formatCounts([{ key: "b", count: 3 }, { key: "a", count: 10 }, { key: "c", count: 3 }])).toBe("@[b]: 3\n@[c]: 3\n@[a]: 10\n");
  });

  it("shades a heatmap by count", () => {
    const text = formatHeatmap(
      [
        { bucket: 17n, slot: 0, count: 4 },
        { bucket: 17n, slot: 2, count: 1 },
        { bucket: 18n, slot: 1, count: 2 },
      ],
      100_000_000n,
    );
    expect(text).toBe("[128K, 256K)    | ▒ |\n[64K, 128K)     |█ ░|\n                 3 columns of 100 ms (simulated time), shades by count (max 4)\n");
  });
});

describe("input-sized lists", () => {
  it("a heatmap of 300,000 cells (more than a call takes as arguments: Math.max(...counts) threw RangeError)", () => {
    const cells = Array.from({ length: 300_000 }, (_, i) => ({ bucket: 17n, slot: i, count: (i % 7) + 1 }));
    const text = formatHeatmap(cells, 1_000_000n);
    const [row, footer] = text.split("\n");
    expect(row!.length).toBe(16 + 1 + 300_000 + 1);
    // Shades by count / max in fifths: 1 ░, 2-3 ▒, 4-5 ▓, 6-7 █.
    expect(row!.slice(17, 24)).toBe("░▒▒▓▓██");
    expect(footer).toBe("                 300000 columns of 1 ms (simulated time), shades by count (max 7)");
  });
});
