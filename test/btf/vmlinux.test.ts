// The vmlinux 6.18 fixture against bpftool v7.1.0's own dumps: raw text and
// JSON byte for byte, and parse -> encode giving back the same bytes.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { kindName, dumpJson, dumpRaw, encodeBtf } from "../../src/btf/index.js";
import { readFixture, textDiff, VMLINUX_DIR, vmlinuxBtf, vmlinuxBytes } from "../helpers/fixtures.js";

describe("vmlinux 6.18 BTF", () => {
  it("parses all 126,610 types", () => {
    const btf = vmlinuxBtf();
    expect(btf.types.length).toBe(126610);
    expect(btf.typeCount).toBe(126611);
    expect(btf.startId).toBe(1);
  });

  it("raw dump is byte-identical to bpftool's", () => {
    const expected = readFixture(join(VMLINUX_DIR, "bpftool-raw.txt.gz")).toString("utf8");
    const diff = textDiff(dumpRaw(vmlinuxBtf()), expected);
    expect(diff).toBeUndefined();
  });

  it("JSON dump is byte-identical to bpftool -j and parses to the same document", () => {
    const expected = readFixture(join(VMLINUX_DIR, "bpftool.json.gz")).toString("utf8");
    const actual = dumpJson(vmlinuxBtf());
    expect(actual.length).toBe(expected.length);
    expect(actual === expected).toBe(true);
    const doc = JSON.parse(actual) as { types: { id: number; kind: string }[] };
    expect(doc.types).toHaveLength(126610);
    expect(doc.types[872]).toEqual(JSON.parse(expected).types[872]);
  });

  it("re-encoding reproduces the blob byte for byte", () => {
    const bytes = vmlinuxBytes();
    const out = encodeBtf(vmlinuxBtf());
    expect(out.length).toBe(bytes.length);
    expect(Buffer.compare(Buffer.from(out), bytes)).toBe(0);
  });

  it("has exactly the kind counts bpftool's raw dump shows", () => {
    // Counted from bpftool-raw.txt.gz with: grep -oE '^\[[0-9]+\] [A-Z_0-9]+' | sort | uniq -c
    const expected: Record<string, number> = {
      ARRAY: 3398, CONST: 3505, DATASEC: 1, DECL_TAG: 205, ENUM: 2407, ENUM64: 9, FLOAT: 1, FUNC: 56277,
      FUNC_PROTO: 28808, FWD: 58, INT: 15, PTR: 15137, RESTRICT: 12, STRUCT: 10682, TYPEDEF: 3149,
      TYPE_TAG: 1, UNION: 2574, VAR: 352, VOLATILE: 19,
    };
    const counts: Record<string, number> = {};
    for (const t of vmlinuxBtf().types) counts[kindName(t.kind)] = (counts[kindName(t.kind)] ?? 0) + 1;
    expect(counts).toEqual(expected);
  });
});
