// AST of the C declaration subset accepted by c-decl.ohm. Types are written
// as trees built from the declaration specifiers outward through the
// declarator (pointer / array / function derivations).

export interface Loc {
  path: string;
  line: number;
  column: number;
}

export type Expr =
  | { k: "num"; v: bigint; loc: Loc }
  | { k: "ref"; name: string; loc: Loc }
  | { k: "un"; op: "-" | "~" | "+"; a: Expr }
  | { k: "bin"; op: "|" | "^" | "&" | "<<" | ">>" | "+" | "-" | "*" | "/" | "%"; a: Expr; b: Expr };

export interface Attrs {
  packed: boolean;
  /** Largest aligned(N) seen, in bytes (0 = none). */
  aligned: number;
}

export interface RecordDef {
  kind: "struct" | "union";
  name: string | undefined;
  /** Undefined for a reference / forward declaration. */
  members: MemberDecl[] | undefined;
  attrs: Attrs;
  loc: Loc;
}

export interface MemberDecl {
  /** Undefined for anonymous struct/union members and unnamed bitfields. */
  name: string | undefined;
  type: TypeExpr;
  bits: Expr | undefined;
  attrs: Attrs;
  loc: Loc;
}

export interface EnumDef {
  name: string | undefined;
  values: { name: string; value: Expr | undefined; loc: Loc }[] | undefined;
  attrs: Attrs;
  loc: Loc;
}

export interface ParamDeclAst {
  name: string | undefined;
  type: TypeExpr;
}

export type TypeExpr =
  | { k: "builtin"; words: string[]; loc: Loc }
  | { k: "name"; name: string; loc: Loc }
  | { k: "record"; def: RecordDef }
  | { k: "enum"; def: EnumDef }
  | { k: "ptr"; to: TypeExpr }
  | { k: "array"; of: TypeExpr; len: Expr | undefined }
  | { k: "func"; ret: TypeExpr; params: ParamDeclAst[]; variadic: boolean }
  | { k: "qual"; q: "const" | "volatile"; of: TypeExpr };

export interface Declaration {
  k: "decl";
  storage: string[];
  /** The specifier type alone (for tag definitions such as `struct foo {...};`). */
  base: TypeExpr;
  declarators: { name: string | undefined; type: TypeExpr; attrs: Attrs; loc: Loc }[];
  attrs: Attrs;
  loc: Loc;
}

export interface Define {
  k: "define";
  name: string;
  value: Expr;
  loc: Loc;
}

export type TopItem = Declaration | Define;

export function noAttrs(): Attrs {
  return { packed: false, aligned: 0 };
}
