// BTF type deduplication for the compiled headers, as pahole's btf_encoder
// runs libbpf's btf__dedup over what DWARF gives it: types that are the same
// C type are merged into one, so each struct body, typedef and prototype
// appears once. The compiler emits duplicates (a prototype per declaration,
// a typedef reached again while its own target is being emitted, identical
// anonymous structs written twice as struct_group does), and a C dump would
// show them as `name___2` copies.
//
// Two types are the same when they have the same kind, name and own data
// (sizes, member names and offsets, enumerators, linkage...) and refer to
// types that are the same, pairwise. That is the coarsest partition stable
// under "refers to": computed by refinement from the own-data partition, so
// cycles through pointers (struct a { struct a *next; }) need nothing
// special. Each class keeps its lowest id; the survivors keep their order
// and get consecutive ids.
import { Btf } from "../../btf/btf.js";
import { BtfKind } from "../../btf/kinds.js";
import { referencedIds, type BtfType, type TypeId } from "../../btf/types.js";

/** The deduplicated BTF and the new id of every old id (0 stays 0). */
export interface DedupResult {
  btf: Btf;
  remap: (id: TypeId) => TypeId;
}

/** Deduplicates a standalone (not split) BTF; the input is not changed. */
export function dedupBtf(input: Btf): DedupResult {
  if (input.base) throw new RangeError("dedupBtf: split BTF is not supported");
  const types = input.types;
  const n = types.length + 1; // ids 0..n-1, 0 = void
  const own: string[] = new Array<string>(n);
  const refs: TypeId[][] = new Array<TypeId[]>(n);
  own[0] = "void";
  refs[0] = [];
  for (let id = 1; id < n; id++) {
    const t = types[id - 1]!;
    own[id] = ownData(t);
    refs[id] = referencedIds(t);
  }
  // Refine: a class splits when its members refer to different classes.
  let cls = classify(own);
  let count = new Set(cls).size;
  for (;;) {
    const next = classify(own.map((_, id) => `${cls[id]}|${refs[id]!.map((r) => cls[r]).join(",")}`));
    const nextCount = new Set(next).size;
    cls = next;
    if (nextCount === count) break;
    count = nextCount;
  }
  // The lowest id of each class survives; survivors are renumbered in order.
  const keeper = new Map<number, TypeId>();
  const newId = new Int32Array(n);
  let last = 0;
  for (let id = 1; id < n; id++) {
    const k = keeper.get(cls[id]!);
    if (k === undefined) {
      keeper.set(cls[id]!, id);
      newId[id] = ++last;
    } else newId[id] = newId[k]!;
  }
  const remap = (id: TypeId): TypeId => (id === 0 ? 0 : newId[id]!);
  const out = new Btf([], { littleEndian: input.littleEndian });
  for (let id = 1; id < n; id++) if (keeper.get(cls[id]!) === id) out.add(withRefs(types[id - 1]!, remap));
  return { btf: out, remap };
}

/** Dense class numbers for equal keys. */
function classify(keys: readonly string[]): number[] {
  const ids = new Map<string, number>();
  return keys.map((k) => {
    let c = ids.get(k);
    if (c === undefined) ids.set(k, (c = ids.size));
    return c;
  });
}

/** Everything about a type except the ids it refers to. */
function ownData(t: BtfType): string {
  const head = `${t.kind}:${t.name}`;
  switch (t.kind) {
    case BtfKind.INT:
      return `${head}:${t.size}:${t.encoding}:${t.bitsOffset}:${t.nrBits}`;
    case BtfKind.PTR:
    case BtfKind.TYPEDEF:
    case BtfKind.VOLATILE:
    case BtfKind.CONST:
    case BtfKind.RESTRICT:
      return head;
    case BtfKind.TYPE_TAG:
      return `${head}:${t.kflag}`;
    case BtfKind.ARRAY:
      return `${head}:${t.nelems}`;
    case BtfKind.STRUCT:
    case BtfKind.UNION:
      return `${head}:${t.size}:${t.kflag}:${t.members.map((m) => `${m.name}@${m.bitsOffset}/${m.bitfieldSize}`).join(",")}`;
    case BtfKind.ENUM:
    case BtfKind.ENUM64:
      return `${head}:${t.size}:${t.signed}:${t.values.map((v) => `${v.name}=${v.value}`).join(",")}`;
    case BtfKind.FWD:
      return `${head}:${t.union}`;
    case BtfKind.FUNC:
    case BtfKind.VAR:
      return `${head}:${t.linkage}`;
    case BtfKind.FUNC_PROTO:
      return `${head}:${t.params.map((p) => p.name).join(",")}`;
    case BtfKind.DATASEC:
      return `${head}:${t.size}:${t.vars.map((v) => `${v.offset}+${v.size}`).join(",")}`;
    case BtfKind.FLOAT:
      return `${head}:${t.size}`;
    case BtfKind.DECL_TAG:
      return `${head}:${t.componentIdx}:${t.kflag}`;
  }
}

/** A copy of `t` with its references remapped. */
function withRefs(t: BtfType, remap: (id: TypeId) => TypeId): BtfType {
  switch (t.kind) {
    case BtfKind.PTR:
    case BtfKind.TYPEDEF:
    case BtfKind.VOLATILE:
    case BtfKind.CONST:
    case BtfKind.RESTRICT:
    case BtfKind.TYPE_TAG:
    case BtfKind.FUNC:
    case BtfKind.VAR:
    case BtfKind.DECL_TAG:
      return { ...t, type: remap(t.type) };
    case BtfKind.ARRAY:
      return { ...t, type: remap(t.type), indexType: remap(t.indexType) };
    case BtfKind.STRUCT:
    case BtfKind.UNION:
      return { ...t, members: t.members.map((m) => ({ ...m, type: remap(m.type) })) };
    case BtfKind.FUNC_PROTO:
      return { ...t, returnType: remap(t.returnType), params: t.params.map((p) => ({ ...p, type: remap(p.type) })) };
    case BtfKind.DATASEC:
      return { ...t, vars: t.vars.map((v) => ({ ...v, type: remap(v.type) })) };
    case BtfKind.ENUM:
      return { ...t, values: t.values.map((v) => ({ ...v })) };
    case BtfKind.ENUM64:
      return { ...t, values: t.values.map((v) => ({ ...v })) };
    default:
      return { ...t };
  }
}
