// The toolchain-made fixtures in test/fixtures/btf (gcc+pahole and clang
// -target bpf objects, raw blobs, split BTF): our raw and JSON dumps against
// bpftool's goldens byte for byte, and parse -> encode giving back the exact
// .BTF bytes.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BtfKind, dumpJson, dumpRaw, encodeBtf, findBtfSection, isElf, loadBtf, parseBtf, type Btf } from "../../src/btf/index.js";
import { FIXTURES, textDiff } from "../helpers/fixtures.js";

const DIR = join(FIXTURES, "btf");
const inputs = readdirSync(DIR).filter((f) => /\.(o|btf)$/.test(f)).sort();

/** Split-BTF fixtures and the base they were dumped against (bpftool -B split_base.btf). */
function baseFor(name: string): Btf | undefined {
  return name.startsWith("split_mod.") ? parseBtf(readFileSync(join(DIR, "split_base.btf"))) : undefined;
}

function load(name: string): Btf {
  const base = baseFor(name);
  return loadBtf(readFileSync(join(DIR, name)), base ? { base } : {}).btf;
}

describe("toolchain fixtures", () => {
  it("has the expected corpus", () => {
    expect(inputs.length).toBe(26);
    expect(inputs.filter((f) => f.endsWith(".gcc.o")).length).toBe(10);
    expect(inputs.filter((f) => f.endsWith(".bpf.o")).length).toBe(9);
  });

  it("takes clang 14's forward-declared enum (ENUM size=0 vlen=0), as libbpf and bpftool do", () => {
    const btf = load("fwd_enum.bpf.o");
    const id = btf.findByNameKind("fwd_state", BtfKind.ENUM)!;
    expect(btf.typeById(id)).toEqual({ kind: BtfKind.ENUM, name: "fwd_state", size: 0, signed: false, values: [] });
  });

  describe.each(inputs)("%s", (name) => {
    it("raw dump matches bpftool", () => {
      const expected = readFileSync(join(DIR, `${name}.raw.txt`), "utf8");
      expect(textDiff(dumpRaw(load(name)), expected)).toBeUndefined();
    });

    it("JSON dump matches bpftool -j", () => {
      const expected = readFileSync(join(DIR, `${name}.json`), "utf8");
      const actual = dumpJson(load(name));
      expect(JSON.parse(actual)).toEqual(JSON.parse(expected));
      expect(actual).toBe(expected);
    });

    it("re-encodes to the same bytes, from untouched records and from decoded objects", () => {
      const file = readFileSync(join(DIR, name));
      const original = Buffer.from(isElf(file) ? findBtfSection(file).bytes : file);
      expect(Buffer.compare(Buffer.from(encodeBtf(load(name))), original)).toBe(0);
      const decoded = load(name);
      expect(decoded.types.length).toBe(decoded.length); // decode everything
      expect(Buffer.compare(Buffer.from(encodeBtf(decoded)), original)).toBe(0);
    });
  });

  it("an edited parsed type is re-encoded from its object, the rest copied verbatim", () => {
    const bytes = readFileSync(join(DIR, "structs.bpf.btf"));
    const btf = parseBtf(bytes);
    const before = dumpRaw(btf).split("\n");
    const id = btf.findByNameKind("packed", BtfKind.STRUCT)!;
    const t = btf.typeById(id);
    if (t.kind !== BtfKind.STRUCT) throw new Error("fixture changed");
    t.name = "packed_renamed";
    t.members[0]!.name = "first";
    const again = parseBtf(encodeBtf(btf));
    const after = dumpRaw(again).split("\n");
    const changed = after.map((l, i) => (l === before[i] ? -1 : i)).filter((i) => i >= 0);
    expect(changed.map((i) => after[i])).toEqual([
      before[changed[0]!]!.replace("'packed'", "'packed_renamed'"),
      before[changed[1]!]!.replace(/^\t'[a-z_0-9]+'/, "\t'first'"),
    ]);
    // New strings are appended; every old string keeps its offset.
    expect(encodeBtf(again).length).toBe(bytes.length + "packed_renamed".length + 1 + "first".length + 1);
  });

  it("split BTF continues the base's ids and strings", () => {
    const base = parseBtf(readFileSync(join(DIR, "split_base.btf")));
    const mod = parseBtf(readFileSync(join(DIR, "split_mod.btf")), { base });
    expect(mod.startId).toBe(base.typeCount);
    expect(mod.startId).toBe(18);
    // A base type is reachable by id and by name from the split BTF.
    const first = base.types[0]!;
    expect(mod.typeById(1)).toBe(first);
    expect(mod.idsByName(first.name)[0]).toBe(1);
  });

  it("split BTF without its base is rejected with the offending id", () => {
    expect(() => parseBtf(readFileSync(join(DIR, "split_mod.btf")))).toThrow(/invalid BTF/);
  });

  it("every golden has an input", () => {
    const goldens = readdirSync(DIR).filter((f) => /\.(raw\.txt|json|c\.h)$/.test(f));
    for (const g of goldens) expect(existsSync(join(DIR, g.replace(/\.(raw\.txt|json|c\.h)$/, "")))).toBe(true);
  });
});
