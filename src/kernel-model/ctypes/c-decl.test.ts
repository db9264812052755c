import { describe, expect, it } from "vitest";
import { BtfKind, FuncLinkage, cTypeName, type AnyType, type Btf } from "../../btf/index.js";
import { BtfsnoopError } from "../../internal/errors.js";
import { CDeclError, compileHeaders } from "./index.js";

const compile = (text: string) => compileHeaders([{ path: "t.h", text }]);

function byName(btf: Btf, name: string, kind?: number): AnyType {
  for (let id = 1; id < btf.typeCount; id++) {
    const t = btf.typeById(id);
    if (t.name === name && (kind === undefined || t.kind === kind)) return t;
  }
  throw new Error(`no type ${name}`);
}

function layout(btf: Btf, name: string): { size: number; members: [string, number, number][] } {
  const t = byName(btf, name);
  if (t.kind !== BtfKind.STRUCT && t.kind !== BtfKind.UNION) throw new Error(`${name} is not a composite`);
  return { size: t.size, members: t.members.map((m) => [m.name, m.bitsOffset, m.bitfieldSize]) };
}

function error(text: string): CDeclError {
  try {
    compile(text);
  } catch (e) {
    expect(e).toBeInstanceOf(CDeclError);
    return e as CDeclError;
  }
  throw new Error("no error");
}

describe("grammar errors", () => {
  it("reports a missing semicolon with file:line:column, ohm's expectation and a caret", () => {
    const e = error("struct s {\n  int a\n};\n");
    expect(e.message).toBe('t.h:3:1: expected ";", "__attribute", "__attribute__", ",", "(", "[", or ":"\n};\n^');
    expect(e.loc).toEqual({ path: "t.h", line: 3, column: 1 });
    expect(e).toBeInstanceOf(BtfsnoopError);
    expect(e.errno).toBe("EINVAL");
  });

  it("reports an unclosed struct at the end of input", () => {
    const e = error("struct s { int a;");
    expect(e.message).toMatch(/^t\.h:1:18: expected /);
    expect(e.message.split("\n")).toEqual([expect.any(String), "struct s { int a;", " ".repeat(17) + "^"]);
  });

  it("reports a stray token in the middle of a file", () => {
    expect(error("int a;\nint b c;\n").message).toBe('t.h:2:7: expected ";", "__attribute", "__attribute__", ",", "(", or "["\nint b c;\n      ^');
  });

  it("names the file of a multi-file compile", () => {
    try {
      compileHeaders([
        { path: "a.h", text: "typedef int s32;" },
        { path: "b.h", text: "s32 x;\nstruct { s32 y }" },
      ]);
      expect.unreachable();
    } catch (e) {
      expect((e as CDeclError).message.split("\n")[0]).toBe('b.h:2:16: expected ";", "__attribute", "__attribute__", ",", "(", "[", or ":"');
    }
  });

  it("reports semantic errors with position and caret", () => {
    expect(error("struct t { foo_t x; };").message).toBe("t.h:1:12: unknown type name 'foo_t'\nstruct t { foo_t x; };\n           ^");
    expect(error("enum e { A = B };").message).toBe("t.h:1:14: 'B' is not an integer constant\nenum e { A = B };\n             ^");
    expect(error("struct s { int a : 40; };").message.split("\n")[0]).toBe("t.h:1:16: width of 'a' exceeds its type");
    expect(error("struct s { struct nope n; };").message.split("\n")[0]).toBe("t.h:1:24: struct nope has incomplete type");
    expect(error("struct s { int a; };\nstruct s { int b; };").message.split("\n")[0]).toBe("t.h:2:1: redefinition of 'struct s'");
    expect(error("struct s { long unsigned short x; };").message.split("\n")[0]).toBe("t.h:1:12: invalid type specifier 'long unsigned short'");
    expect(error("struct s { int a __attribute__((aligned(3))); };").message.split("\n")[0]).toMatch(/not a positive power of 2/);
  });
});

describe("hand-computed layouts", () => {
  it("pads members and the tail to natural alignment", () => {
    const { btf } = compile("struct s { char c; int i; char d; };\nstruct t { char c; long double ld; __int128 x; short s; };");
    expect(layout(btf, "s")).toEqual({ size: 12, members: [["c", 0, 0], ["i", 32, 0], ["d", 64, 0]] });
    expect(layout(btf, "t")).toEqual({ size: 64, members: [["c", 0, 0], ["ld", 128, 0], ["x", 256, 0], ["s", 384, 0]] });
  });

  it("packs bitfields into storage units of their type", () => {
    const { btf } = compile(`struct b {
      unsigned int a : 3, b : 30;     /* b does not fit the first int: next int */
      unsigned char c : 4, d : 5;     /* d starts a new byte */
      unsigned long long e : 33;       /* fits the 64-bit unit holding c and d */
      int : 0;                        /* aligns to the next int */
      short f : 2;
    };`);
    expect(layout(btf, "b")).toEqual({
      size: 24,
      members: [["a", 0, 3], ["b", 32, 30], ["c", 64, 4], ["d", 72, 5], ["e", 77, 33], ["f", 128, 2]],
    });
    const t = byName(btf, "b");
    expect(t.kind === BtfKind.STRUCT && t.kflag).toBe(true);
  });

  // expectations checked against gcc 12 + pahole
  it("honours packed and aligned", () => {
    const { btf } = compile(`
      struct p { char c; int i; short s; } __attribute__((packed));
      struct a { char c; int i __attribute__((aligned(8))); } __attribute__((__aligned__(64)));
      struct m { char c; struct p p; int x : 7 __attribute__((packed)); };`);
    expect(layout(btf, "p")).toEqual({ size: 7, members: [["c", 0, 0], ["i", 8, 0], ["s", 40, 0]] });
    expect(layout(btf, "a")).toEqual({ size: 64, members: [["c", 0, 0], ["i", 64, 0]] });
    expect(layout(btf, "m")).toEqual({ size: 9, members: [["c", 0, 0], ["p", 8, 0], ["x", 64, 7]] });
  });

  it("lays out unions, anonymous members and flexible arrays", () => {
    const { btf } = compile(`
      struct f { int n; struct { char a; long b; }; union { char x[9]; short y; } u; long tail[]; };
      union v { char c[5]; int i; };`);
    expect(layout(btf, "f")).toEqual({ size: 40, members: [["n", 0, 0], ["", 64, 0], ["u", 192, 0], ["tail", 320, 0]] });
    expect(layout(btf, "v")).toEqual({ size: 8, members: [["c", 0, 0], ["i", 0, 0]] });
  });

  it("uses #define constants in array sizes and enums, across files", () => {
    const r = compileHeaders([
      { path: "a.h", text: "#ifndef A_H\n#define A_H\n#define LEN (4 * 2) // eight\n#define FN(x) (x)\n#endif\n" },
      { path: "b.h", text: "enum e { A = LEN - 1, B, C = B << 2 | 1 };\nstruct s { char name[LEN][C]; int k[B]; };" },
    ]);
    expect([...r.constants]).toEqual([["LEN", 8n]]);
    expect(layout(r.btf, "s").size).toBe(8 * 33 + 4 * 8);
    const e = byName(r.btf, "e");
    expect(e.kind === BtfKind.ENUM && e.values).toEqual([
      { name: "A", value: 7 },
      { name: "B", value: 8 },
      { name: "C", value: 33 },
    ]);
  });

  it("sizes enums: signed, unsigned 32-bit, and 64-bit", () => {
    const { btf } = compile("enum n { N = -2 };\nenum u { U = 0xffffffff };\nenum w { W = 1ULL << 40, W2 = -1 };");
    const n = byName(btf, "n"), u = byName(btf, "u"), w = byName(btf, "w");
    expect([n.kind, n.kind === BtfKind.ENUM && n.signed, n.kind === BtfKind.ENUM && n.size]).toEqual([BtfKind.ENUM, true, 4]);
    expect(u.kind === BtfKind.ENUM && [u.signed, u.values[0]!.value]).toEqual([false, 0xffffffff]);
    expect(w.kind === BtfKind.ENUM64 && [w.size, w.signed, w.values.map((v) => v.value)]).toEqual([8, true, [1n << 40n, -1n]]);
  });

  it("emits an anonymous enum declared for its constants as a type of its own, as a kernel's BTF has it", () => {
    const { btf } = compile("enum { false = 0, true = 1 };\nenum { M = 0xffffffff, C = M, X = 0xfffff00000000 };\nstruct s { enum { IN_S } e; };");
    const anon = [];
    for (let id = 1; id < btf.typeCount; id++) {
      const t = btf.typeById(id);
      if ((t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64) && t.name === "") anon.push([t.kind, t.size, t.signed, t.values.map((v) => `${v.name}=${v.value}`)]);
    }
    expect(anon).toEqual([
      [BtfKind.ENUM, 4, false, ["false=0", "true=1"]],
      [BtfKind.ENUM64, 8, false, ["M=4294967295", "C=4294967295", "X=4503595332403200"]],
      [BtfKind.ENUM, 4, false, ["IN_S=0"]],
    ]);
  });

  it("emits typedefs, function pointers, forward declarations and qualifiers", () => {
    const { btf } = compile(`
      struct fwd;
      union ufwd;
      typedef void (*cb_t)(struct fwd *, int);
      typedef struct { const volatile unsigned long *p; char *const argv[2]; } anon_t;
      struct later;
      struct user { struct later *l; cb_t cb; int (*fns[3])(void); union ufwd *u; };
      struct later { int x; };`);
    expect(byName(btf, "fwd").kind).toBe(BtfKind.FWD);
    const u = byName(btf, "ufwd");
    expect(u.kind === BtfKind.FWD && u.union).toBe(true);
    expect(byName(btf, "later").kind).toBe(BtfKind.STRUCT);
    expect(byName(btf, "cb_t").kind).toBe(BtfKind.TYPEDEF);
    expect(layout(btf, "user")).toEqual({ size: 48, members: [["l", 0, 0], ["cb", 64, 0], ["fns", 128, 0], ["u", 320, 0]] });
    const user = byName(btf, "user");
    if (user.kind !== BtfKind.STRUCT) throw new Error();
    expect(user.members.map((m) => cTypeName(btf, m.type))).toEqual(["struct later *", "cb_t", "int (*[3])(void)", "union ufwd *"]);
  });

  it("accepts typedefs of function types and parenthesized names", () => {
    const { btf } = compile("struct bio;\ntypedef void (bio_end_io_t)(struct bio *);\nstruct bio { bio_end_io_t *end_io; int (cnt); };");
    expect(cTypeName(btf, byName(btf, "bio_end_io_t").kind === BtfKind.TYPEDEF ? (byName(btf, "bio_end_io_t") as { type: number }).type : 0)).toBe("void (struct bio *)");
    expect(layout(btf, "bio")).toEqual({ size: 16, members: [["end_io", 0, 0], ["cnt", 64, 0]] });
  });

  it("compiles function prototypes with names, static linkage and varargs", () => {
    const r = compile(`typedef unsigned long size_t;
      struct sock; struct msghdr;
      int tcp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size);
      static int vprintk(const char *fmt, ...);
      extern void do_exit(long code) __attribute__((__noreturn__));
      void schedule(void);`);
    expect(r.functions.map((f) => [f.name, f.static])).toEqual([["tcp_sendmsg", false], ["vprintk", true], ["do_exit", false], ["schedule", false]]);
    const f = r.btf.typeById(r.functions[0]!.id);
    if (f.kind !== BtfKind.FUNC) throw new Error();
    expect(f.linkage).toBe(FuncLinkage.GLOBAL);
    const proto = r.btf.typeById(f.type);
    if (proto.kind !== BtfKind.FUNC_PROTO) throw new Error();
    expect(proto.params.map((p) => [p.name, cTypeName(r.btf, p.type)])).toEqual([["sk", "struct sock *"], ["msg", "struct msghdr *"], ["size", "size_t"]]);
    const v = r.btf.typeById(r.functions[1]!.id);
    const vp = v.kind === BtfKind.FUNC ? r.btf.typeById(v.type) : undefined;
    expect(v.kind === BtfKind.FUNC && v.linkage).toBe(FuncLinkage.STATIC);
    expect(vp?.kind === BtfKind.FUNC_PROTO && vp.params.at(-1)).toEqual({ name: "", type: 0 });
    const s = r.btf.typeById(r.functions[3]!.id);
    expect(s.kind === BtfKind.FUNC && r.btf.typeById(s.type)).toMatchObject({ kind: BtfKind.FUNC_PROTO, returnType: 0, params: [] });
  });
});
