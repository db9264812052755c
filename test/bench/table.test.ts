// bench/table.ts's helpers that the VM bench's figures rest on: geomean,
// median, and reading numeric BENCH_* settings with a clear error.
import { afterEach, describe, expect, it } from "vitest";
import { envNumber, geomean, median } from "../../bench/table.js";

describe("bench table helpers", () => {
  const saved = process.env.BENCH_TEST_SETTING;
  afterEach(() => {
    if (saved === undefined) delete process.env.BENCH_TEST_SETTING;
    else process.env.BENCH_TEST_SETTING = saved;
  });

  it("geomean and median", () => {
    expect(geomean([2, 8])).toBeCloseTo(4, 12);
    expect(geomean([0.5, 2, 1])).toBeCloseTo(1, 12);
    expect(geomean([])).toBeNaN();
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it("envNumber: the default when unset or empty, the value otherwise, an error naming the variable when bad", () => {
    delete process.env.BENCH_TEST_SETTING;
    expect(envNumber("BENCH_TEST_SETTING", 3, 1)).toBe(3);
    process.env.BENCH_TEST_SETTING = " ";
    expect(envNumber("BENCH_TEST_SETTING", 3, 1)).toBe(3);
    process.env.BENCH_TEST_SETTING = "0.25";
    expect(envNumber("BENCH_TEST_SETTING", 3, 0.1)).toBe(0.25);
    process.env.BENCH_TEST_SETTING = "abc";
    expect(() => envNumber("BENCH_TEST_SETTING", 3, 1)).toThrow("BENCH_TEST_SETTING must be a number >= 1, got 'abc'");
    process.env.BENCH_TEST_SETTING = "0";
    expect(() => envNumber("BENCH_TEST_SETTING", 3, 1)).toThrow("BENCH_TEST_SETTING must be a number >= 1, got '0'");
    process.env.BENCH_TEST_SETTING = "Infinity";
    expect(() => envNumber("BENCH_TEST_SETTING", 3, 1)).toThrow("got 'Infinity'");
  });
});
