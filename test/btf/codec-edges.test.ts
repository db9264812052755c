// Codec edge cases found in review: split BTF stacked two deep, values the
// wire cannot hold, non-integer ids, gzip bombs, and re-encoding both from
// untouched records and from fully decoded objects.
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { BtfBuilder, BtfError, IntEncoding, dumpRaw, encodeBtf, loadBtf, parseBtf } from "../../src/btf/index.js";
import { MAX_DECOMPRESSED_BYTES } from "../../src/btf/load.js";
import { vmlinuxBytes } from "../helpers/fixtures.js";

describe("split BTF on split BTF", () => {
  it("resolves names from the base of the base", () => {
    const vm = new BtfBuilder();
    vm.int("u32", 4);
    const base = parseBtf(vm.encode());
    const mid = new BtfBuilder(base);
    mid.typedef("mid_t", 1);
    const modBase = parseBtf(mid.encode(), { base });
    const top = new BtfBuilder(modBase);
    top.typedef("u32", 1); // "u32" lives in the first base's strings
    const topBtf = parseBtf(top.encode(), { base: modBase });
    expect(topBtf.startId).toBe(3);
    expect(dumpRaw(topBtf)).toBe("[3] TYPEDEF 'u32' type_id=1\n");
  });
});

describe("encoder range checks", () => {
  it.each([
    ["a type id past u32", (b: BtfBuilder) => b.typedef("t", 2 ** 32 + 1)],
    ["a fractional type id", (b: BtfBuilder) => b.ptr(1.5)],
    ["a DATASEC offset of 2^32", (b: BtfBuilder) => b.datasec(".data", 0, [{ type: b.var("v", 1), offset: 2 ** 32, size: 4 }])],
  ])("refuses %s with ERANGE", (_what, add) => {
    const b = new BtfBuilder();
    b.int("int", 4, IntEncoding.SIGNED);
    add(b);
    let err: unknown;
    try {
      b.encode();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BtfError);
    expect((err as BtfError).errno).toBe("ERANGE");
    expect((err as BtfError).reason).toMatch(/^cannot encode: field value .* is not a 32-bit integer$/);
  });
});

describe("ids", () => {
  it("treats non-integer ids as unknown (ENOENT)", () => {
    const b = new BtfBuilder();
    b.int("int", 4, IntEncoding.SIGNED);
    const btf = parseBtf(b.encode());
    for (const id of [1.5, Number.NaN, -1]) {
      expect(() => btf.typeById(id)).toThrow(expect.objectContaining({ errno: "ENOENT" }));
    }
    expect(btf.typeById(1).name).toBe("int");
  });
});

describe("gzip input", () => {
  it("refuses to inflate past the limit", () => {
    const bomb = gzipSync(Buffer.alloc(MAX_DECOMPRESSED_BYTES + 1));
    expect(() => loadBtf(bomb)).toThrow(expect.objectContaining({ errno: "E2BIG", reason: `gzip data decompresses to more than ${MAX_DECOMPRESSED_BYTES} bytes` }));
  });

  it("reports corrupt gzip as invalid BTF at offset 0", () => {
    expect(() => loadBtf(Uint8Array.of(0x1f, 0x8b, 8, 0, 1, 2, 3))).toThrow(/^invalid BTF at offset 0 \(0x0\): gzip data is corrupt: /);
  });
});

describe("re-encoding vmlinux", () => {
  it("from untouched records (fresh parse) gives the same bytes", () => {
    const bytes = vmlinuxBytes();
    expect(Buffer.compare(Buffer.from(encodeBtf(parseBtf(bytes))), bytes)).toBe(0);
  });

  it("from fully decoded objects gives the same bytes", () => {
    const bytes = vmlinuxBytes();
    const btf = parseBtf(bytes);
    expect(btf.types.length).toBe(126610); // decodes and caches every type
    expect(btf.rawRun(0)).toBeUndefined();
    expect(Buffer.compare(Buffer.from(encodeBtf(btf)), bytes)).toBe(0);
  });
});
