// BTF dedup of the compiled headers: equal types merge (through pointer
// cycles too), different ones stay apart, survivors keep their order.
import { describe, expect, it } from "vitest";
import { BtfBuilder } from "../../btf/builder.js";
import { dumpRaw } from "../../btf/format/raw.js";
import { compileHeaders } from "./index.js";
import { dedupBtf } from "./dedup.js";

describe("dedupBtf", () => {
  it("merges two copies of a self-referencing struct, and what refers to them", () => {
    const b = new BtfBuilder();
    const int = b.int("int", 4, 1); // 1
    const a1 = b.struct("node", 16); // 2
    const p1 = b.ptr(a1); // 3
    b.field(a1, "next", p1, 0).field(a1, "v", int, 64);
    const a2 = b.struct("node", 16); // 4
    const p2 = b.ptr(a2); // 5
    b.field(a2, "next", p2, 0).field(a2, "v", int, 64);
    const f1 = b.funcProto(int, [["n", p1]]); // 6
    const f2 = b.funcProto(int, [["n", p2]]); // 7
    b.func("first", f1); // 8
    b.func("second", f2); // 9
    const { btf, remap } = dedupBtf(b.finish());
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map(remap)).toEqual([1, 2, 3, 2, 3, 4, 4, 5, 6]);
    expect(dumpRaw(btf)).toBe(
      [
        "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
        "[2] STRUCT 'node' size=16 vlen=2",
        "\t'next' type_id=3 bits_offset=0",
        "\t'v' type_id=1 bits_offset=64",
        "[3] PTR '(anon)' type_id=2",
        "[4] FUNC_PROTO '(anon)' ret_type_id=1 vlen=1",
        "\t'n' type_id=3",
        "[5] FUNC 'first' type_id=4 linkage=global",
        "[6] FUNC 'second' type_id=4 linkage=global",
        "",
      ].join("\n"),
    );
  });

  it("keeps apart types that differ in name, size, member, referenced type or parameter name", () => {
    const b = new BtfBuilder();
    const int = b.int("int", 4, 1); // 1
    const long = b.int("long", 8, 1); // 2
    const s = (name: string, size: number, member: string, type: number) => b.field(b.struct(name, size), member, type, 0);
    s("a", 4, "x", int); // 3
    s("b", 4, "x", int); // 4: another name
    s("a", 8, "x", int); // 5: another size
    s("a", 4, "y", int); // 6: another member name
    s("a", 8, "x", long); // 7: another member type
    b.funcProto(int, [["p", int]]); // 8
    b.funcProto(int, [["q", int]]); // 9: another parameter name
    b.funcProto(int, [["p", int]]); // 10: the same as 8
    const { btf, remap } = dedupBtf(b.finish());
    expect(btf.typeCount - 1).toBe(9);
    expect(remap(10)).toBe(remap(8));
    expect(new Set([3, 4, 5, 6, 7, 8, 9].map(remap)).size).toBe(7);
  });

  it("leaves one typedef and one prototype per C type when headers repeat them", () => {
    const { btf, functions } = compileHeaders([
      {
        path: "t.h",
        text: [
          "struct net;",
          "typedef struct { struct net *net; } possible_net_t;",
          "struct net { possible_net_t self; int id; };",
          "struct sock { possible_net_t skc_net; };",
          "int f(struct sock *sk);",
          "int g(struct sock *sk);",
          "",
        ].join("\n"),
      },
    ]);
    const names = (kind: number) => btf.idsOfKind(kind).map((id) => btf.nameOf(id));
    expect(names(8)).toEqual(["possible_net_t"]); // TYPEDEF
    expect(btf.idsOfKind(13)).toHaveLength(1); // FUNC_PROTO: f and g share int (struct sock *sk)
    expect(functions.map((f) => [f.name, btf.nameOf(f.id)])).toEqual([["f", "f"], ["g", "g"]]);
  });
});
