// The `(type)` text libbpf's typed dump prints before each value
// (btf_dump_emit_type_decl with strip_mods and skip_anon_defs):
// `struct list_head *`, `char[16]`, `(union)`, function pointers.
import type { Btf } from "../btf.js";
import { BtfKind } from "../kinds.js";
import type { AnyType, TypeId } from "../types.js";

/** Longest modifier/pointer chain walked (the dumper's own guard). */
const MAX_WALK_DEPTH = 512;

/**
 * The `(type)` text libbpf prints: btf_dump_emit_type_decl() with strip_mods
 * and skip_anon_defs (`struct list_head *`, `char[16]`, `(union)`,
 * `loff_t (*)(struct file *, loff_t, int)`), declaring `fname` if given.
 */
export function libbpfTypeName(btf: Btf, id: TypeId, fname = ""): string {
  const stack: TypeId[] = [];
  for (let guard = 0; guard < MAX_WALK_DEPTH; guard++) {
    const t = btf.typeById(id);
    if (!isMod(t)) stack.push(id);
    if (id === 0) break;
    if (t.kind === BtfKind.PTR || t.kind === BtfKind.ARRAY) id = t.type;
    else if (t.kind === BtfKind.CONST || t.kind === BtfKind.VOLATILE || t.kind === BtfKind.RESTRICT || t.kind === BtfKind.TYPE_TAG) id = t.type;
    else if (t.kind === BtfKind.FUNC_PROTO) id = t.returnType;
    else break;
  }
  return emitTypeChain(btf, stack, fname);
}

function isMod(t: AnyType): boolean {
  return t.kind === BtfKind.CONST || t.kind === BtfKind.VOLATILE || t.kind === BtfKind.RESTRICT || t.kind === BtfKind.TYPE_TAG;
}

function emitName(fname: string, lastWasPtr: boolean): string {
  return (fname && !lastWasPtr ? " " : "") + fname;
}

/** btf_dump_emit_type_chain(): pops `decls` (innermost type on top). */
function emitTypeChain(btf: Btf, decls: TypeId[], fname: string): string {
  let lastWasPtr = true;
  let out = "";
  while (decls.length) {
    const id = decls.pop()!;
    if (id === 0) {
      out += "void";
      lastWasPtr = false;
      continue;
    }
    const t = btf.typeById(id);
    switch (t.kind) {
      case BtfKind.INT:
      case BtfKind.FLOAT:
      case BtfKind.TYPEDEF:
        out += t.name;
        break;
      case BtfKind.STRUCT:
      case BtfKind.UNION:
        out += (t.kind === BtfKind.STRUCT ? "struct" : "union") + (t.name ? " " : "") + t.name;
        break;
      case BtfKind.ENUM:
      case BtfKind.ENUM64:
        out += "enum " + t.name;
        break;
      case BtfKind.FWD:
        out += (t.union ? "union " : "struct ") + t.name;
        break;
      case BtfKind.PTR:
        out += lastWasPtr ? "*" : " *";
        break;
      case BtfKind.ARRAY: {
        if (decls.length === 0) return out + emitName(fname, lastWasPtr) + `[${t.nelems}]`;
        const next = btf.typeById(decls[decls.length - 1]!);
        const multidim = next.kind === BtfKind.ARRAY;
        if (fname && !lastWasPtr) out += " ";
        const inner = emitTypeChain(btf, decls, fname);
        out += multidim ? inner : `(${inner})`;
        return out + `[${t.nelems}]`;
      }
      case BtfKind.FUNC_PROTO: {
        if (decls.length) out += " (" + emitTypeChain(btf, decls, fname) + ")";
        else out += emitName(fname, lastWasPtr);
        const ps = t.params;
        if (ps.length === 1 && ps[0]!.type === 0) return out + "()";
        const parts: string[] = [];
        for (let i = 0; i < ps.length; i++) {
          const p = ps[i]!;
          if (i === ps.length - 1 && p.type === 0) {
            parts.push("...");
            break;
          }
          parts.push(libbpfTypeName(btf, p.type, p.name));
        }
        return out + "(" + parts.join(", ") + ")";
      }
      default:
        return out;
    }
    lastWasPtr = t.kind === BtfKind.PTR;
  }
  return out + emitName(fname, lastWasPtr);
}
