// Member lookup in structs and unions the way C finds names: members of
// anonymous struct/union members are visible in their parent, at the parent
// offset plus their own. Each composite gets a name index on first use.
import type { Btf } from "./btf.js";
import { BtfError } from "./errors.js";
import { BtfKind, kindName } from "./kinds.js";
import { skipModsAndTypedefs } from "./layout.js";
import type { Member, TypeId } from "./types.js";

/** A member found by name, possibly inside anonymous members. */
export interface FoundMember {
  member: Member;
  /** Offset from the start of the outer struct, in bits (offsets of anonymous parents added). */
  bitsOffset: number;
  /** The anonymous members descended through, outermost first, ending with `member`. */
  path: Member[];
}

const indexes = new WeakMap<Btf, Map<TypeId, Map<string, FoundMember>>>();

function memberIndex(btf: Btf, id: TypeId): Map<string, FoundMember> {
  let perBtf = indexes.get(btf);
  if (!perBtf) indexes.set(btf, (perBtf = new Map()));
  let idx = perBtf.get(id);
  if (idx) return idx;
  idx = new Map();
  const t = btf.typeById(id);
  if (t.kind !== BtfKind.STRUCT && t.kind !== BtfKind.UNION) throw new BtfError(`${kindName(t.kind)} has no members`, { typeId: id });
  for (const m of t.members) {
    if (m.name !== "") {
      if (!idx.has(m.name)) idx.set(m.name, { member: m, bitsOffset: m.bitsOffset, path: [m] });
      continue;
    }
    const inner = skipModsAndTypedefs(btf, m.type);
    const it = btf.typeById(inner);
    if (it.kind !== BtfKind.STRUCT && it.kind !== BtfKind.UNION) continue;
    for (const [name, found] of memberIndex(btf, inner)) {
      if (!idx.has(name)) idx.set(name, { member: found.member, bitsOffset: m.bitsOffset + found.bitsOffset, path: [m, ...found.path] });
    }
  }
  perBtf.set(id, idx);
  return idx;
}

/** Finds member `name` of the struct/union `id` (after typedefs/modifiers), descending into anonymous members. */
export function findMember(btf: Btf, id: TypeId, name: string): FoundMember | undefined {
  return memberIndex(btf, skipModsAndTypedefs(btf, id)).get(name);
}

/** All member names visible in struct/union `id`, including those of anonymous members, in declaration order. */
export function memberNames(btf: Btf, id: TypeId): string[] {
  return [...memberIndex(btf, skipModsAndTypedefs(btf, id)).keys()];
}

/** One step of a resolved member path. */
export interface MemberPathStep {
  name: string;
  /** The member's type id. */
  type: TypeId;
  bitsOffset: number;
  bitfieldSize: number;
}

/**
 * Resolves a dotted path (`"__sk_common.skc_daddr"`) inside struct/union `id`:
 * the accumulated bit offset and the final member. Throws BtfError (ENOENT) naming the step that failed.
 */
export function resolveMemberPath(btf: Btf, id: TypeId, path: string): { bitsOffset: number; member: Member; steps: MemberPathStep[] } {
  let cur = id;
  let bits = 0;
  let last: Member | undefined;
  const steps: MemberPathStep[] = [];
  for (const name of path.split(".")) {
    const t = btf.typeById(skipModsAndTypedefs(btf, cur));
    if (t.kind !== BtfKind.STRUCT && t.kind !== BtfKind.UNION) {
      throw new BtfError(`'${name}': ${kindName(t.kind)} has no members`, { typeId: cur }, { errno: "EINVAL" });
    }
    const found = findMember(btf, cur, name);
    if (!found) throw new BtfError(`no member '${name}' in ${t.kind === BtfKind.STRUCT ? "struct" : "union"} ${t.name || "(anon)"}`, { typeId: cur }, { errno: "ENOENT" });
    bits += found.bitsOffset;
    last = found.member;
    steps.push({ name, type: found.member.type, bitsOffset: bits, bitfieldSize: found.member.bitfieldSize });
    cur = found.member.type;
  }
  if (!last) throw new BtfError("empty member path", { typeId: id });
  return { bitsOffset: bits, member: last, steps };
}
