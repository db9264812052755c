// ohm semantics for c-decl.ohm: a parse tree -> the AST of ast.ts.
import { readFileSync } from "node:fs";
import * as ohm from "ohm-js";
import type { Attrs, Declaration, Define, EnumDef, Expr, Loc, MemberDecl, ParamDeclAst, RecordDef, TopItem, TypeExpr } from "./ast.js";
import { noAttrs } from "./ast.js";
import { CDeclError } from "./errors.js";

export const grammar: ohm.Grammar = ohm.grammar(readFileSync(new URL("./c-decl.ohm", import.meta.url), "utf8"));

type Wrap = (t: TypeExpr) => TypeExpr;
interface DeclaratorResult {
  name: string | undefined;
  wrap: Wrap;
  empty: boolean;
  loc: Loc;
}
interface Specifiers {
  type: TypeExpr;
  attrs: Attrs;
}
type AttrItem = { name: string; args: Expr[] };

let currentPath = "<input>";

function locOf(node: ohm.Node): Loc {
  const lc = node.source.getLineAndColumn();
  return { path: currentPath, line: lc.lineNum, column: lc.colNum };
}

/** Evaluates an attribute argument (literals and arithmetic only). */
function attrValue(e: Expr, loc: Loc): number {
  const ev = (x: Expr): bigint => {
    switch (x.k) {
      case "num": return x.v;
      case "un": return x.op === "-" ? -ev(x.a) : x.op === "~" ? ~ev(x.a) : ev(x.a);
      case "bin": {
        const a = ev(x.a), b = ev(x.b);
        switch (x.op) {
          case "+": return a + b; case "-": return a - b; case "*": return a * b;
          case "/": return a / b; case "%": return a % b; case "<<": return a << b; case ">>": return a >> b;
          case "|": return a | b; case "&": return a & b; case "^": return a ^ b;
        }
        break;
      }
      case "ref": break;
    }
    throw new CDeclError(loc, "attribute argument must be an integer constant expression");
  };
  return Number(ev(e));
}

function mergeAttrs(into: Attrs, items: AttrItem[], loc: Loc): Attrs {
  for (const it of items) {
    const n = it.name.replace(/^__(.*)__$/, "$1");
    if (n === "packed") into.packed = true;
    else if (n === "aligned") {
      const v = it.args.length ? attrValue(it.args[0]!, loc) : 16;
      if (v <= 0 || (v & (v - 1)) !== 0) throw new CDeclError(loc, `requested alignment ${v} is not a positive power of 2`);
      into.aligned = Math.max(into.aligned, v);
    }
  }
  return into;
}

function attrsOf(iter: ohm.Node, loc: Loc): Attrs {
  return mergeAttrs(noAttrs(), iter.children.flatMap((c) => c["attrs"]() as AttrItem[]), loc);
}

const semantics = grammar.createSemantics();

semantics.addOperation<TopItem[]>("items", {
  Program(items) {
    return items.children.flatMap((c) => c["items"]() as TopItem[]);
  },
  TopItem_pp(pp) {
    return pp["items"]();
  },
  TopItem_empty(_semi) {
    return [];
  },
  TopItem(item) {
    return item.ctorName === "Declaration" ? [item["decl"]()] : item["items"]();
  },
  ppLine_define(_hash, _sp, _define, _sp2, name, rest) {
    const text = rest.sourceString.replace(/\\\n/g, " ").replace(/\/\*.*?\*\//gs, " ").replace(/\/\/.*$/, "").trim();
    if (text === "") return [];
    const m = grammar.match(text, "Expr");
    if (m.failed()) return [];
    const d: Define = { k: "define", name: name.sourceString, value: semantics(m)["expr"]() as Expr, loc: locOf(name) };
    return [d];
  },
  ppLine_other(_hash, _rest) {
    return [];
  },
});

semantics.addOperation<unknown>("decl", {
  Declaration(storage, specs, decls, attrs, _semi) {
    const loc = locOf(this);
    const s = specs["specs"]() as Specifiers;
    const d: Declaration = {
      k: "decl",
      storage: storage.children.map((c) => c.sourceString),
      base: s.type,
      declarators: [],
      attrs: attrsOf(attrs, loc),
      loc,
    };
    for (const id of decls.asIteration().children) {
      const r = id.children[0]!["declarator"]() as DeclaratorResult;
      if (r.empty) continue;
      d.declarators.push({ name: r.name, type: r.wrap(s.type), attrs: attrsOf(id.children[1]!, loc), loc: r.loc });
    }
    return d;
  },
});

semantics.addOperation<Specifiers>("specs", {
  DeclSpecifiers(q1, core, q2) {
    const loc = locOf(this);
    let type = core["type"]() as TypeExpr;
    const attrs = noAttrs();
    for (const q of [...q1.children, ...q2.children]) {
      const w = q.sourceString;
      if (w === "const" || w === "volatile") type = { k: "qual", q: w, of: type };
      else if (w.startsWith("__attribute")) mergeAttrs(attrs, q["attrs"]() as AttrItem[], loc);
    }
    return { type, attrs };
  },
});

semantics.addOperation<TypeExpr>("type", {
  TypeCore_builtin(words) {
    return { k: "builtin", words: words.children.map((w) => w.sourceString), loc: locOf(this) };
  },
  TypeCore_typedefName(id) {
    return { k: "name", name: id.sourceString, loc: locOf(this) };
  },
  RecordSpec_def(kw, attrs1, name, _o, members, _c, attrs2) {
    const loc = locOf(this);
    const attrs = attrsOf(attrs1, loc);
    mergeAttrs(attrs, attrs2.children.flatMap((c) => c["attrs"]() as AttrItem[]), loc);
    const def: RecordDef = {
      kind: kw.sourceString as "struct" | "union",
      name: name.children[0]?.sourceString,
      members: members.children.flatMap((m) => m["members"]() as MemberDecl[]),
      attrs,
      loc,
    };
    return { k: "record", def };
  },
  RecordSpec_ref(kw, attrs1, name) {
    const loc = locOf(this);
    return { k: "record", def: { kind: kw.sourceString as "struct" | "union", name: name.sourceString, members: undefined, attrs: attrsOf(attrs1, loc), loc } };
  },
  EnumSpec_def(_kw, attrs1, name, _o, list, _comma, _c, attrs2) {
    const loc = locOf(this);
    const attrs = attrsOf(attrs1, loc);
    mergeAttrs(attrs, attrs2.children.flatMap((c) => c["attrs"]() as AttrItem[]), loc);
    const def: EnumDef = {
      name: name.children[0]?.sourceString,
      values: list.asIteration().children.map((e) => {
        const [id, _eq, val] = e.children as [ohm.Node, ohm.Node, ohm.Node];
        return { name: id.sourceString, value: val.children[0] ? (val.children[0]["expr"]() as Expr) : undefined, loc: locOf(id) };
      }),
      attrs,
      loc,
    };
    return { k: "enum", def };
  },
  EnumSpec_ref(_kw, attrs1, name) {
    const loc = locOf(this);
    return { k: "enum", def: { name: name.sourceString, values: undefined, attrs: attrsOf(attrs1, loc), loc } };
  },
});

semantics.addOperation<MemberDecl[]>("members", {
  Member(specs, decls, attrs, _semi) {
    const loc = locOf(this);
    const s = specs["specs"]() as Specifiers;
    const trailing = attrsOf(attrs, loc);
    const list = decls.asIteration().children;
    if (list.length === 0) {
      // anonymous struct/union member
      return [{ name: undefined, type: s.type, bits: undefined, attrs: trailing, loc }];
    }
    return list.map((md) => {
      const r = md["memberDecl"]() as { d: DeclaratorResult; bits: Expr | undefined; attrs: Attrs };
      const a = r.attrs;
      a.packed ||= trailing.packed || s.attrs.packed;
      a.aligned = Math.max(a.aligned, trailing.aligned, s.attrs.aligned);
      return { name: r.d.name, type: r.d.wrap(s.type), bits: r.bits, attrs: a, loc: r.d.loc };
    });
  },
});

semantics.addOperation<unknown>("memberDecl", {
  MemberDeclarator_bits(d, _colon, e, attrs) {
    return { d: d["declarator"](), bits: e["expr"](), attrs: attrsOf(attrs, locOf(this)) };
  },
  MemberDeclarator_plain(d, attrs) {
    return { d: d["declarator"](), bits: undefined, attrs: attrsOf(attrs, locOf(this)) };
  },
});

semantics.addOperation<DeclaratorResult>("declarator", {
  Declarator(ptrs, core, suffixes) {
    const loc = locOf(this);
    const c = core.children[0] ? (core.children[0]["declarator"]() as DeclaratorResult) : undefined;
    const ptrQuals = ptrs.children.map((p) => p.children[1]!.children.map((q) => q.sourceString));
    const sufs = suffixes.children.map((s) => s["suffix"]() as Wrap);
    const wrap: Wrap = (base) => {
      let t = base;
      for (const qs of ptrQuals) {
        t = { k: "ptr", to: t };
        for (const q of qs) if (q === "const" || q === "volatile") t = { k: "qual", q, of: t };
      }
      for (let i = sufs.length - 1; i >= 0; i--) t = sufs[i]!(t);
      return c ? c.wrap(t) : t;
    };
    return { name: c?.name, wrap, empty: !c && ptrQuals.length === 0 && sufs.length === 0, loc: c?.loc ?? loc };
  },
  DeclaratorCore_paren(_o, _la, d, _c) {
    return d["declarator"]();
  },
  DeclaratorCore_name(id) {
    return { name: id.sourceString, wrap: (t: TypeExpr) => t, empty: false, loc: locOf(id) };
  },
});

semantics.addOperation<Wrap>("suffix", {
  DeclSuffix_array(_o, e, _c) {
    const len = e.children[0] ? (e.children[0]["expr"]() as Expr) : undefined;
    return (t: TypeExpr) => ({ k: "array", of: t, len });
  },
  DeclSuffix_func(_o, plist, _c) {
    const { params, variadic } = plist["params"]() as { params: ParamDeclAst[]; variadic: boolean };
    return (t: TypeExpr) => ({ k: "func", ret: t, params, variadic });
  },
});

semantics.addOperation<unknown>("params", {
  ParamList_variadic(list, _comma, _dots) {
    return { params: list.asIteration().children.map((p) => p["param"]()), variadic: true };
  },
  ParamList_plain(list) {
    let params = list.asIteration().children.map((p) => p["param"]() as ParamDeclAst);
    const only = params[0];
    if (params.length === 1 && only && only.name === undefined && only.type.k === "builtin" && only.type.words.join(" ") === "void") params = [];
    return { params, variadic: false };
  },
});

semantics.addOperation<ParamDeclAst>("param", {
  ParamDecl(_storage, specs, d, _attrs) {
    const s = specs["specs"]() as Specifiers;
    const r = d["declarator"]() as DeclaratorResult;
    let type = r.wrap(s.type);
    // parameters of array / function type decay to pointers
    if (type.k === "array") type = { k: "ptr", to: type.of };
    else if (type.k === "func") type = { k: "ptr", to: type };
    return { name: r.name, type };
  },
});

semantics.addOperation<AttrItem[]>("attrs", {
  Attribute(_kw, _o1, _o2, list, _c1, _c2) {
    return list.asIteration().children.map((it) => it["attrs"]()[0] as AttrItem);
  },
  AttrItem(name, _o, args, _c) {
    const a = args.children[0];
    return [{ name: name.sourceString, args: a ? a.asIteration().children.map((x) => x["expr"]() as Expr) : [] }];
  },
  Qual(q) {
    return q.ctorName === "Attribute" ? q["attrs"]() : [];
  },
  _terminal() {
    return [];
  },
  _nonterminal(...children) {
    // kw<...> qualifiers carry no attributes
    return children.length === 1 && children[0]!.ctorName === "Attribute" ? children[0]!["attrs"]() : [];
  },
});

function bin(op: Extract<Expr, { k: "bin" }>["op"]) {
  return function (this: ohm.Node, a: ohm.Node, _op: ohm.Node, b: ohm.Node): Expr {
    return { k: "bin", op, a: a["expr"](), b: b["expr"]() };
  };
}

semantics.addOperation<Expr>("expr", {
  OrExpr_or: bin("|"),
  XorExpr_xor: bin("^"),
  AndExpr_and: bin("&"),
  ShiftExpr_shl: bin("<<"),
  ShiftExpr_shr: bin(">>"),
  AddExpr_add: bin("+"),
  AddExpr_sub: bin("-"),
  MulExpr_mul: bin("*"),
  MulExpr_div: bin("/"),
  MulExpr_mod: bin("%"),
  Unary_neg(_m, a) {
    return { k: "un", op: "-", a: a["expr"]() };
  },
  Unary_inv(_m, a) {
    return { k: "un", op: "~", a: a["expr"]() };
  },
  Unary_pos(_m, a) {
    return { k: "un", op: "+", a: a["expr"]() };
  },
  Primary_paren(_o, e, _c) {
    return e["expr"]();
  },
  Primary_ref(id) {
    return { k: "ref", name: id.sourceString, loc: locOf(id) };
  },
  number_hex(_0, _x, digits, _suffix) {
    return { k: "num", v: BigInt("0x" + digits.sourceString), loc: locOf(this) };
  },
  number_dec(digits, _suffix) {
    const s = digits.sourceString;
    // a leading 0 means octal in C
    return { k: "num", v: s.length > 1 && s.startsWith("0") ? BigInt("0o" + s.slice(1)) : BigInt(s), loc: locOf(this) };
  },
});

/** Parses one file to top-level items; throws CDeclError on a syntax error. */
export function parseFile(path: string, text: string): TopItem[] {
  const m = grammar.match(text);
  if (m.failed()) {
    const pos = m.getRightmostFailurePosition();
    const before = text.slice(0, pos);
    const line = before.split("\n").length;
    const column = pos - (before.lastIndexOf("\n") + 1) + 1;
    const srcLine = text.split("\n")[line - 1] ?? "";
    throw new CDeclError({ path, line, column }, `expected ${m.getExpectedText()}`, srcLine);
  }
  const saved = currentPath;
  currentPath = path;
  try {
    return semantics(m)["items"]() as TopItem[];
  } finally {
    currentPath = saved;
  }
}
