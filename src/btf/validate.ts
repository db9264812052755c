// Whole-graph checks run after decoding (the kernel's btf_check_all_types /
// btf_resolve step): every referenced id exists and has a kind that makes
// sense where it is used, decl tags point at real components, and no type
// contains itself except through a pointer (cycles through modifiers,
// typedefs, arrays or by-value members are rejected).
import type { Btf } from "./btf.js";
import { BtfError } from "./errors.js";
import { BtfKind, kindName } from "./kinds.js";
import type { AnyType, BtfType, TypeId } from "./types.js";

/** Throws BtfError for the first problem found in `btf`'s own types. */
export function validateBtf(btf: Btf): void {
  const count = btf.typeCount;
  const start = btf.startId;
  const kindOf = (id: TypeId): number => btf.typeById(id).kind;
  const check = (id: TypeId, ref: TypeId, what: string): void => {
    if (ref >= count) {
      throw new BtfError(`${what} refers to type id ${ref}, but the last type id is ${count - 1}`, { typeId: id });
    }
  };

  for (let i = 0; i < btf.types.length; i++) {
    const id = start + i;
    const t = btf.types[i]!;
    switch (t.kind) {
      case BtfKind.PTR:
      case BtfKind.TYPEDEF:
      case BtfKind.VOLATILE:
      case BtfKind.CONST:
      case BtfKind.RESTRICT:
      case BtfKind.TYPE_TAG:
        check(id, t.type, kindName(t.kind));
        if (t.type === id) throw new BtfError(`${kindName(t.kind)} refers to itself`, { typeId: id });
        break;
      case BtfKind.ARRAY:
        check(id, t.type, "ARRAY element type");
        check(id, t.indexType, "ARRAY index type");
        if (t.type === 0) throw new BtfError("ARRAY element type is void", { typeId: id });
        break;
      case BtfKind.STRUCT:
      case BtfKind.UNION:
        for (let m = 0; m < t.members.length; m++) {
          const mem = t.members[m]!;
          check(id, mem.type, `member ${m} ('${mem.name}')`);
          if (mem.type === 0) throw new BtfError(`member ${m} ('${mem.name}') has type void`, { typeId: id });
          if (t.kflag && mem.bitfieldSize === 0 && mem.bitsOffset % 8 !== 0) {
            throw new BtfError(`member ${m} ('${mem.name}') is not a bitfield but its bit offset ${mem.bitsOffset} is not byte-aligned`, { typeId: id });
          }
          if (t.kflag && mem.bitfieldSize > 0 && mem.bitsOffset + mem.bitfieldSize > t.size * 8) {
            throw new BtfError(`bitfield member ${m} ('${mem.name}') ends at bit ${mem.bitsOffset + mem.bitfieldSize}, past the ${t.size * 8}-bit ${kindName(t.kind)}`, { typeId: id });
          }
        }
        break;
      case BtfKind.FUNC:
        check(id, t.type, "FUNC prototype");
        if (kindOf(t.type) !== BtfKind.FUNC_PROTO) {
          throw new BtfError(`FUNC '${t.name}' refers to type ${t.type} of kind ${kindName(kindOf(t.type))}, expected FUNC_PROTO`, { typeId: id });
        }
        break;
      case BtfKind.FUNC_PROTO:
        check(id, t.returnType, "FUNC_PROTO return type");
        for (let p = 0; p < t.params.length; p++) check(id, t.params[p]!.type, `FUNC_PROTO parameter ${p}`);
        break;
      case BtfKind.VAR:
        check(id, t.type, `VAR '${t.name}'`);
        if (t.type === 0) throw new BtfError(`VAR '${t.name}' has type void`, { typeId: id });
        break;
      case BtfKind.DATASEC:
        for (let v = 0; v < t.vars.length; v++) {
          const ref = t.vars[v]!.type;
          check(id, ref, `DATASEC '${t.name}' entry ${v}`);
          const k = kindOf(ref);
          if (k !== BtfKind.VAR && k !== BtfKind.FUNC) {
            throw new BtfError(`DATASEC '${t.name}' entry ${v} refers to type ${ref} of kind ${kindName(k)}, expected VAR or FUNC`, { typeId: id });
          }
        }
        break;
      case BtfKind.DECL_TAG:
        check(id, t.type, `DECL_TAG '${t.name}'`);
        checkDeclTag(btf, id, t);
        break;
      default:
        break;
    }
  }
  checkCycles(btf);
}

function checkDeclTag(btf: Btf, id: TypeId, t: Extract<BtfType, { kind: typeof BtfKind.DECL_TAG }>): void {
  const target = btf.typeById(t.type);
  let components: number;
  switch (target.kind) {
    case BtfKind.STRUCT:
    case BtfKind.UNION:
      components = target.members.length;
      break;
    case BtfKind.FUNC: {
      const proto = btf.typeById(target.type);
      components = proto.kind === BtfKind.FUNC_PROTO ? proto.params.length : 0;
      break;
    }
    case BtfKind.VAR:
    case BtfKind.TYPEDEF:
      components = 0;
      break;
    default:
      throw new BtfError(`DECL_TAG '${t.name}' is attached to a ${kindName(target.kind)}; it must tag a struct, union, func, var or typedef`, { typeId: id });
  }
  if (t.componentIdx >= components) {
    throw new BtfError(`DECL_TAG '${t.name}' component_idx ${t.componentIdx} is out of range (target has ${components} components)`, { typeId: id });
  }
}

/** Targets a type needs resolved before it is complete: everything it refers to, except through a pointer. */
function sizeEdges(t: AnyType): readonly TypeId[] {
  switch (t.kind) {
    case BtfKind.TYPEDEF:
    case BtfKind.VOLATILE:
    case BtfKind.CONST:
    case BtfKind.RESTRICT:
    case BtfKind.TYPE_TAG:
    case BtfKind.VAR:
    case BtfKind.FUNC:
      return [t.type];
    case BtfKind.ARRAY:
      return [t.type];
    case BtfKind.STRUCT:
    case BtfKind.UNION:
      return t.members.map((m) => m.type);
    case BtfKind.FUNC_PROTO:
      return [t.returnType, ...t.params.map((p) => p.type)];
    case BtfKind.DATASEC:
      return t.vars.map((v) => v.type);
    default:
      return [];
  }
}

/** Iterative three-colour DFS over own types; a back edge is a loop the kernel would reject. */
function checkCycles(btf: Btf): void {
  const start = btf.startId;
  const n = btf.types.length;
  const state = new Uint8Array(n); // 0 new, 1 on stack, 2 done
  const stackIds: number[] = [];
  const stackEdges: (readonly TypeId[])[] = [];
  const stackPos: number[] = [];
  for (let root = 0; root < n; root++) {
    if (state[root] !== 0) continue;
    state[root] = 1;
    stackIds.push(root);
    stackEdges.push(sizeEdges(btf.types[root]!));
    stackPos.push(0);
    while (stackIds.length) {
      const top = stackIds.length - 1;
      const edges = stackEdges[top]!;
      const p = stackPos[top]!;
      if (p >= edges.length) {
        state[stackIds[top]!] = 2;
        stackIds.pop();
        stackEdges.pop();
        stackPos.pop();
        continue;
      }
      stackPos[top] = p + 1;
      const next = edges[p]! - start;
      if (next < 0) continue; // void or a base type (validated with the base)
      const s = state[next];
      if (s === 1) {
        const cycle = stackIds.slice(stackIds.indexOf(next)).map((i) => `[${i + start}] ${kindName(btf.types[i]!.kind)}`);
        throw new BtfError(`type loop: ${cycle.join(" -> ")} -> [${next + start}]`, { typeId: next + start }, {
          hint: "a type may only refer back to itself through a pointer",
        });
      }
      if (s === 0) {
        state[next] = 1;
        stackIds.push(next);
        stackEdges.push(sizeEdges(btf.types[next]!));
        stackPos.push(0);
      }
    }
  }
}
