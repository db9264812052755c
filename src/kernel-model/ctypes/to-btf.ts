// AST + layout -> BTF. Phase 1 resolves declarations in source order
// (typedef names, tags, constants); phase 2 emits BTF through BtfBuilder, so
// a struct defined after a pointer to it was declared is still a STRUCT, and
// only tags never defined become FWD.
import { BtfBuilder } from "../../btf/builder.js";
import type { Btf } from "../../btf/btf.js";
import { FuncLinkage, VarLinkage } from "../../btf/kinds.js";
import type { TypeId } from "../../btf/types.js";
import type { Declaration, EnumDef, Expr, Loc, RecordDef, TopItem, TypeExpr } from "./ast.js";
import { CDeclError } from "./errors.js";
import { builtinType, recordLayout, type CType, type EnumInfo, type RecordInfo, type TypedefInfo } from "./layout.js";

export interface CompiledFunction {
  name: string;
  id: TypeId;
  static: boolean;
}

type Entity =
  | { k: "typedef"; td: TypedefInfo }
  | { k: "record"; rec: RecordInfo }
  | { k: "enum"; en: EnumInfo }
  | { k: "func"; name: string; type: Extract<CType, { k: "func" }>; isStatic: boolean; loc: Loc }
  | { k: "var"; name: string; type: CType; isExtern: boolean; isStatic: boolean };

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);

export class Compiler {
  /** #define constants. */
  readonly constants = new Map<string, bigint>();
  /** Enumerators (ordinary identifiers usable in constant expressions). */
  private readonly enumerators = new Map<string, bigint>();
  private readonly typedefs = new Map<string, TypedefInfo>();
  private readonly tags = new Map<string, RecordInfo | EnumInfo>();
  private readonly entities: Entity[] = [];
  private readonly functionNames = new Set<string>();

  add(items: TopItem[]): void {
    for (const it of items) {
      if (it.k === "define") this.constants.set(it.name, this.evaluate(it.value));
      else this.declaration(it);
    }
  }

  evaluate(e: Expr): bigint {
    switch (e.k) {
      case "num": return e.v;
      case "ref": {
        const v = this.enumerators.get(e.name) ?? this.constants.get(e.name);
        if (v === undefined) throw new CDeclError(e.loc, `'${e.name}' is not an integer constant`);
        return v;
      }
      case "un": {
        const a = this.evaluate(e.a);
        return e.op === "-" ? -a : e.op === "~" ? ~a : a;
      }
      case "bin": {
        const a = this.evaluate(e.a), b = this.evaluate(e.b);
        switch (e.op) {
          case "|": return a | b; case "^": return a ^ b; case "&": return a & b;
          case "<<": return a << b; case ">>": return a >> b;
          case "+": return a + b; case "-": return a - b; case "*": return a * b;
          case "/": case "%": {
            if (b === 0n) throw new CDeclError(exprLoc(e), "division by zero in constant expression");
            return e.op === "/" ? a / b : a % b;
          }
        }
      }
    }
  }

  private declaration(d: Declaration): void {
    const isTypedef = d.storage.includes("typedef");
    const isStatic = d.storage.includes("static");
    const isExtern = d.storage.includes("extern");
    // the specifier type is resolved once (it may define a tag)
    const base = this.resolve(d.base);
    // `enum { A, B };`: an anonymous enum declared only for its constants is a
    // type of its own, as in a kernel's BTF (uapi's BPF_ANY, TCP states...)
    if (d.declarators.length === 0 && base.k === "enum" && base.en.name === "" && !isTypedef) this.entities.push({ k: "enum", en: base.en });
    for (const decl of d.declarators) {
      const type = this.resolve(decl.type, base, d.base);
      const name = decl.name;
      if (name === undefined) throw new CDeclError(decl.loc, "declaration does not declare anything");
      if (isTypedef) {
        const prev = this.typedefs.get(name);
        if (prev) throw new CDeclError(decl.loc, `redefinition of typedef '${name}'`);
        const td: TypedefInfo = { name, of: type };
        this.typedefs.set(name, td);
        this.entities.push({ k: "typedef", td });
      } else if (type.k === "func") {
        if (this.functionNames.has(name)) continue; // a repeated prototype
        this.functionNames.add(name);
        this.entities.push({ k: "func", name, type, isStatic, loc: decl.loc });
      } else {
        this.entities.push({ k: "var", name, type, isExtern, isStatic });
      }
    }
  }

  /**
   * TypeExpr -> CType. `specBase`/`specAst` short-circuit the specifier part of
   * a declarator's type to the already-resolved one (tags are defined once).
   */
  private resolve(t: TypeExpr, specBase?: CType, specAst?: TypeExpr): CType {
    if (specBase && t === specAst) return specBase;
    switch (t.k) {
      case "builtin": return builtinType(t.words, t.loc);
      case "name": {
        const td = this.typedefs.get(t.name);
        if (!td) throw new CDeclError(t.loc, `unknown type name '${t.name}'`);
        return { k: "typedef", td };
      }
      case "record": return { k: "record", rec: this.record(t.def) };
      case "enum": return { k: "enum", en: this.enumDef(t.def) };
      case "ptr": return { k: "ptr", to: this.resolve(t.to, specBase, specAst) };
      case "qual": return { k: "qual", q: t.q, of: this.resolve(t.of, specBase, specAst) };
      case "array": {
        const of = this.resolve(t.of, specBase, specAst);
        if (t.len === undefined) return { k: "array", of, n: 0, flexible: true };
        const n = this.evaluate(t.len);
        if (n < 0n || n > 0xffffffffn) throw new CDeclError(exprLoc(t.len), `size of array is ${n < 0n ? "negative" : "too large"}`);
        return { k: "array", of, n: Number(n), flexible: false };
      }
      case "func": return {
        k: "func",
        ret: this.resolve(t.ret, specBase, specAst),
        params: t.params.map((p) => ({ name: p.name, type: this.resolve(p.type) })),
        variadic: t.variadic,
      };
    }
  }

  private record(def: RecordDef): RecordInfo {
    let rec: RecordInfo;
    if (def.name !== undefined) {
      const key = `${def.kind} ${def.name}`;
      const prev = this.tags.get(key) as RecordInfo | undefined;
      if (prev && def.members && prev.members) throw new CDeclError(def.loc, `redefinition of '${key}'`);
      if (prev && !def.members) return prev;
      if (prev) rec = prev;
      else {
        rec = { kind: def.kind, name: def.name, members: undefined, attrs: def.attrs, loc: def.loc };
        this.tags.set(key, rec);
        this.entities.push({ k: "record", rec });
      }
    } else {
      rec = { kind: def.kind, name: "", members: undefined, attrs: def.attrs, loc: def.loc };
    }
    if (def.members) {
      rec.attrs = def.attrs;
      rec.loc = def.loc;
      rec.members = def.members.map((m) => {
        const type = this.resolve(m.type);
        const bits = m.bits === undefined ? undefined : this.evaluate(m.bits);
        if (m.name === undefined && bits === undefined && type.k !== "record") throw new CDeclError(m.loc, "declaration does not declare anything");
        return { name: m.name, type, bits: bits === undefined ? undefined : Number(bits), attrs: m.attrs, loc: m.loc };
      });
    }
    return rec;
  }

  private enumDef(def: EnumDef): EnumInfo {
    const key = `enum ${def.name}`;
    const prev = def.name !== undefined ? (this.tags.get(key) as EnumInfo | undefined) : undefined;
    if (prev && !def.values) return prev;
    if (prev && prev.values && def.values) throw new CDeclError(def.loc, `redefinition of '${key}'`);
    const en: EnumInfo = prev ?? { name: def.name ?? "", values: undefined, size: 4, signed: false, attrs: def.attrs };
    if (!prev && def.name !== undefined) {
      this.tags.set(key, en);
      this.entities.push({ k: "enum", en });
    }
    if (def.values) {
      let next = 0n;
      const values: { name: string; value: bigint }[] = [];
      for (const v of def.values) {
        const value = v.value === undefined ? next : this.evaluate(v.value);
        if (value < I64_MIN || value > U64_MAX) throw new CDeclError(v.loc, `enumerator value for '${v.name}' is out of range`);
        if (this.enumerators.has(v.name)) throw new CDeclError(v.loc, `redeclaration of enumerator '${v.name}'`);
        this.enumerators.set(v.name, value);
        values.push({ name: v.name, value });
        next = value + 1n;
      }
      const signed = values.some((v) => v.value < 0n);
      const min = values.reduce((m, v) => (v.value < m ? v.value : m), 0n);
      const max = values.reduce((m, v) => (v.value > m ? v.value : m), 0n);
      const fits32 = signed ? min >= -(1n << 31n) && max < 1n << 31n : max <= 0xffffffffn;
      if (signed && max >= 1n << 63n) throw new CDeclError(def.loc, "enumerator values do not fit in a 64-bit type");
      en.values = values;
      en.signed = signed;
      en.size = fits32 ? 4 : 8;
      if (def.attrs.packed) {
        // gcc packs an enum into the smallest integer holding its values
        const fits = (bits: bigint) => (signed ? min >= -(1n << (bits - 1n)) && max < 1n << (bits - 1n) : max < 1n << bits);
        en.size = fits(8n) ? 1 : fits(16n) ? 2 : en.size;
      }
    }
    return en;
  }

  /** Emits BTF for everything declared so far. */
  emit(): { btf: Btf; functions: CompiledFunction[] } {
    const e = new Emitter();
    const functions: CompiledFunction[] = [];
    for (const ent of this.entities) {
      switch (ent.k) {
        case "typedef": e.typeId({ k: "typedef", td: ent.td }); break;
        case "record": e.typeId({ k: "record", rec: ent.rec }); break;
        case "enum": e.typeId({ k: "enum", en: ent.en }); break;
        case "func": {
          const proto = e.proto(ent.type, true);
          const id = e.b.func(ent.name, proto, ent.isStatic ? FuncLinkage.STATIC : FuncLinkage.GLOBAL);
          functions.push({ name: ent.name, id, static: ent.isStatic });
          break;
        }
        case "var": {
          const t = e.typeId(ent.type);
          e.b.var(ent.name, t, ent.isExtern ? VarLinkage.GLOBAL_EXTERN : ent.isStatic ? VarLinkage.STATIC : VarLinkage.GLOBAL_ALLOCATED);
          break;
        }
      }
    }
    return { btf: e.b.finish(), functions };
  }
}

function exprLoc(e: Expr): Loc {
  switch (e.k) {
    case "ref": return e.loc;
    case "un": return exprLoc(e.a);
    case "bin": return exprLoc(e.a);
    case "num": return e.loc;
  }
}

class Emitter {
  readonly b = new BtfBuilder();
  private readonly ints = new Map<string, TypeId>();
  private readonly derived = new Map<string, TypeId>();
  private readonly objs = new Map<object, TypeId>();
  private indexType: TypeId | undefined;

  typeId(t: CType): TypeId {
    switch (t.k) {
      case "void": return 0;
      case "int": case "float": {
        let id = this.ints.get(t.name);
        if (id === undefined) {
          id = t.k === "int" ? this.b.int(t.name, t.size, t.encoding) : this.b.float(t.name, t.size);
          this.ints.set(t.name, id);
        }
        return id;
      }
      case "ptr": {
        const to = this.typeId(t.to);
        return this.memo(`p${to}`, () => this.b.ptr(to));
      }
      case "qual": {
        const of = this.typeId(t.of);
        return this.memo(`${t.q[0]}${of}`, () => (t.q === "const" ? this.b.const(of) : this.b.volatile(of)));
      }
      case "array": {
        const of = this.typeId(t.of);
        const key = `a${of}:${t.n}`;
        let id = this.derived.get(key);
        if (id === undefined) {
          this.indexType ??= this.b.int("__ARRAY_SIZE_TYPE__", 4, 0);
          id = this.b.array(of, this.indexType, t.n);
          this.derived.set(key, id);
        }
        return id;
      }
      case "typedef": {
        const have = this.objs.get(t.td);
        if (have !== undefined) return have;
        const of = this.typeId(t.td.of);
        const id = this.b.typedef(t.td.name, of);
        this.objs.set(t.td, id);
        return id;
      }
      case "enum": {
        const have = this.objs.get(t.en);
        if (have !== undefined) return have;
        const en = t.en;
        const values = en.values ?? [];
        let id: TypeId;
        if (en.size === 8) id = this.b.enum64(en.name, 8, values.map((v) => [v.name, v.value]), en.signed);
        else id = this.b.enum(en.name, en.size, values.map((v) => [v.name, Number(en.signed ? BigInt.asIntN(32, v.value) : BigInt.asUintN(32, v.value))]), en.signed);
        this.objs.set(en, id);
        return id;
      }
      case "record": {
        const have = this.objs.get(t.rec);
        if (have !== undefined) return have;
        const rec = t.rec;
        if (!rec.members) {
          const id = this.b.fwd(rec.name, rec.kind === "union");
          this.objs.set(rec, id);
          return id;
        }
        const layout = recordLayout(rec);
        const id = rec.kind === "struct" ? this.b.struct(rec.name, layout.size) : this.b.union(rec.name, layout.size);
        this.objs.set(rec, id);
        rec.members.forEach((m, i) => {
          const p = layout.members[i]!;
          // unnamed bitfields are padding: gcc's DWARF (and so pahole's BTF) omits them
          if (m.bits !== undefined && m.name === undefined) return;
          this.b.field(id, m.name ?? "", this.typeId(m.type), p.bitOffset, p.bitSize);
        });
        return id;
      }
      case "func": return this.proto(t, false);
    }
  }

  /** A FUNC_PROTO; parameter names are kept for prototypes of functions, dropped for function pointer types (as in DWARF). */
  proto(t: Extract<CType, { k: "func" }>, withNames: boolean): TypeId {
    const ret = this.typeId(t.ret);
    const params: [string, TypeId][] = t.params.map((p) => [withNames ? (p.name ?? "") : "", this.typeId(p.type)]);
    return this.b.funcProto(ret, params, t.variadic);
  }

  private memo(key: string, make: () => TypeId): TypeId {
    let id = this.derived.get(key);
    if (id === undefined) {
      id = make();
      this.derived.set(key, id);
    }
    return id;
  }
}

