// C type names as C prints them: `long unsigned int (*)(struct file *, loff_t, int)`,
// `char[16]`, `const volatile int *`, optionally declaring a name
// (`char comm[16]`). Used for prototypes, error messages and value dumps.
import type { Btf } from "./btf.js";
import { BtfError } from "./errors.js";
import { BtfKind } from "./kinds.js";
import type { TypeId } from "./types.js";

const MAX_DEPTH = 1024;

/**
 * The C spelling of type `id`, declaring `declName` if given (`int *p`,
 * `char comm[16]`). Throws BtfError (ELOOP) for chains too deep to spell.
 */
export function cTypeName(btf: Btf, id: TypeId, declName = ""): string {
  try {
    return spell(btf, id, declName);
  } catch (e) {
    if (e instanceof RangeError) throw tooDeep(id, e);
    throw e;
  }
}

function tooDeep(id: TypeId, cause: unknown): BtfError {
  return new BtfError("type nests too deeply to spell in C", { typeId: id }, { errno: "ELOOP", cause });
}

function spell(btf: Btf, id: TypeId, declName: string): string {
  const start = id;
  let inner = declName;
  let quals: string[] = [];
  const withQuals = (s: string): string => (quals.length ? quals.reverse().join(" ") + " " + s : s);
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const t = btf.typeById(id);
    switch (t.kind) {
      case BtfKind.CONST:
        quals.push("const");
        id = t.type;
        continue;
      case BtfKind.VOLATILE:
        quals.push("volatile");
        id = t.type;
        continue;
      case BtfKind.RESTRICT:
        quals.push("restrict");
        id = t.type;
        continue;
      case BtfKind.TYPE_TAG:
        id = t.type;
        continue;
      case BtfKind.PTR: {
        const q = quals.length ? " " + quals.reverse().join(" ") : "";
        inner = "*" + q + (q && inner ? " " : "") + inner;
        quals = [];
        id = t.type;
        continue;
      }
      case BtfKind.ARRAY:
        if (inner.startsWith("*")) inner = `(${inner})`;
        inner += `[${t.nelems}]`;
        id = t.type;
        continue;
      case BtfKind.FUNC:
        if (!inner) inner = t.name;
        id = t.type;
        continue;
      case BtfKind.FUNC_PROTO: {
        if (inner.startsWith("*")) inner = `(${inner})`;
        const params = t.params.map((p) => (p.type === 0 ? "..." : spell(btf, p.type, "")));
        inner += `(${params.length ? params.join(", ") : "void"})`;
        quals = [];
        id = t.returnType;
        continue;
      }
      default: {
        let base: string;
        switch (t.kind) {
          case BtfKind.UNKN:
            base = "void";
            break;
          case BtfKind.STRUCT:
            base = `struct ${t.name || "{...}"}`;
            break;
          case BtfKind.UNION:
            base = `union ${t.name || "{...}"}`;
            break;
          case BtfKind.ENUM:
          case BtfKind.ENUM64:
            base = `enum ${t.name || "{...}"}`;
            break;
          case BtfKind.FWD:
            base = `${t.union ? "union" : "struct"} ${t.name}`;
            break;
          default:
            base = t.name;
        }
        base = withQuals(base);
        if (!inner) return base;
        return inner.startsWith("[") ? base + inner : `${base} ${inner}`;
      }
    }
  }
  throw tooDeep(start, undefined);
}
