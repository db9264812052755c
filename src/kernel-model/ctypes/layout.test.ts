import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BtfKind, FuncLinkage, dumpRaw, loadBtf, type Btf, type AnyType } from "../../btf/index.js";
import { compileHeaders } from "./index.js";

const fixture = (name: string) => new URL(`../../../test/fixtures/ctypes/${name}`, import.meta.url);

function composites(btf: Btf): Map<string, AnyType & { kind: 4 | 5 }> {
  const out = new Map<string, AnyType & { kind: 4 | 5 }>();
  for (let id = 1; id < btf.typeCount; id++) {
    const t = btf.typeById(id);
    if ((t.kind === BtfKind.STRUCT || t.kind === BtfKind.UNION) && t.name) out.set(`${t.kind}:${t.name}`, t as AnyType & { kind: 4 | 5 });
  }
  return out;
}

/** Size and members (name, bit offset, bitfield size), recursing into anonymous members by position. */
function shape(btf: Btf, id: number, depth = 0): unknown {
  const t = btf.typeById(id);
  if (t.kind !== BtfKind.STRUCT && t.kind !== BtfKind.UNION) return t.kind;
  return {
    kind: t.kind,
    size: t.size,
    members: t.members.map((m) => {
      let inner = m.type;
      let it = btf.typeById(inner);
      while ((it.kind === BtfKind.CONST || it.kind === BtfKind.VOLATILE || it.kind === BtfKind.ARRAY) && depth < 8) {
        inner = it.type;
        it = btf.typeById(inner);
      }
      const anon = (it.kind === BtfKind.STRUCT || it.kind === BtfKind.UNION) && !it.name;
      return { name: m.name, bitsOffset: m.bitsOffset, bitfieldSize: m.bitfieldSize, ...(anon ? { inner: shape(btf, inner, depth + 1) } : {}) };
    }),
  };
}

describe("compileHeaders vs gcc + pahole (test/fixtures/ctypes/layout.h)", () => {
  const gcc = loadBtf(readFileSync(fixture("layout.gcc.o"))).btf;
  const ours = compileHeaders([{ path: "layout.h", text: readFileSync(fixture("layout.h"), "utf8") }]);
  const gccTypes = composites(gcc);
  const ourTypes = composites(ours.btf);

  it("defines every struct and union gcc does", () => {
    expect(gccTypes.size).toBeGreaterThanOrEqual(24);
    expect([...ourTypes.keys()].sort()).toEqual([...gccTypes.keys()].sort());
  });

  for (const key of [...gccTypes.keys()].sort()) {
    it(`layout of ${key.startsWith("4:") ? "struct" : "union"} ${key.slice(2)}`, () => {
      const g = gccTypes.get(key)!;
      const o = ourTypes.get(key);
      expect(o, `${key} missing`).toBeDefined();
      expect(shape(ours.btf, idOf(ours.btf, o!))).toEqual(shape(gcc, idOf(gcc, g)));
    });
  }

  it("enums: sizes, kinds and signedness match gcc", () => {
    const enums = (btf: Btf) => {
      const out: Record<string, unknown> = {};
      for (let id = 1; id < btf.typeCount; id++) {
        const t = btf.typeById(id);
        if (t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64)
          out[t.name || t.values.map((v) => v.name).join(",")] = { kind: t.kind, size: t.size, signed: t.signed, values: t.values.map((v) => [v.name, BigInt(v.value)]) };
      }
      return out;
    };
    expect(enums(ours.btf)).toEqual(enums(gcc));
  });

  it("constants and functions", () => {
    expect(ours.constants.get("NAME_LEN")).toBe(16n);
    expect(ours.constants.get("NR_SLOTS")).toBe(33n);
    expect(ours.constants.get("BIG_FLAG")).toBe(1n << 40n);
    expect(ours.functions.map((f) => [f.name, f.static])).toEqual([
      ["tcp_sendmsg", false],
      ["helper", true],
      ["no_args", false],
    ]);
    const raw = dumpRaw(ours.btf);
    expect(raw).toContain("FUNC 'tcp_sendmsg'");
    const f = ours.btf.typeById(ours.functions[0]!.id);
    expect(f.kind).toBe(BtfKind.FUNC);
    if (f.kind !== BtfKind.FUNC) return;
    expect(f.linkage).toBe(FuncLinkage.GLOBAL);
    const proto = ours.btf.typeById(f.type);
    expect(proto.kind === BtfKind.FUNC_PROTO && proto.params.map((p) => p.name)).toEqual(["sk", "msg", "size"]);
    const helper = ours.btf.typeById(ours.functions[1]!.id);
    expect(helper.kind === BtfKind.FUNC && helper.linkage).toBe(FuncLinkage.STATIC);
    const hp = helper.kind === BtfKind.FUNC ? ours.btf.typeById(helper.type) : undefined;
    expect(hp?.kind === BtfKind.FUNC_PROTO && hp.params).toEqual([
      { name: "a", type: expect.any(Number) },
      { name: "", type: 0 },
    ]);
  });
});

function idOf(btf: Btf, t: AnyType): number {
  for (let id = 1; id < btf.typeCount; id++) if (btf.typeById(id) === t) return id;
  throw new Error("type not found");
}
