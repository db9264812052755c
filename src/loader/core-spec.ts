// CO-RE access specs (libbpf relo_core.c bpf_core_parse_spec,
// bpf_core_spec_match, bpf_core_format_spec): the access string of a
// relocation ("0:1:2:3") turned into a walk through the local type, and the
// same walk found again in a target candidate type by member names (through
// anonymous struct/union members) and array indices (bounds checked, flexible
// arrays allowed). A spec records the low-level walk (every index, `raw`), the
// high-level one (named fields and array indices, `accessors`) and the bit
// offset it reaches.
import type { Btf } from "../btf/btf.js";
import { BtfKind } from "../btf/kinds.js";
import { resolveSize } from "../btf/layout.js";
import type { AnyType, ArrayType, StructType, TypeId, UnionType } from "../btf/types.js";
import { CoreReloKind, type CoreRelo } from "./spec.js";
import { CoreFail, essentialNameLength, fieldsAreCompat, kindStr, skipCore, typesAreCompat, typesMatch } from "./core-compat.js";

/** Longest access string (BPF_CORE_SPEC_MAX_LEN). */
export const CORE_SPEC_MAX_LEN = 64;

/** One high-level step: a named member of a composite, or an array index (name undefined). */
export interface CoreAccessor {
  /** The composite (named member) or the element type (array index), modifiers and typedefs stripped. */
  typeId: TypeId;
  /** Member index in the composite, or the array index. */
  idx: number;
  /** Member (or, for enum value relocations, enumerator) name; undefined for array indices. */
  name: string | undefined;
}

export interface CoreSpec {
  btf: Btf;
  rootTypeId: TypeId;
  kind: CoreReloKind;
  /** Every index of the walk, anonymous members included (the access string as numbers). */
  raw: number[];
  /** Named members and array indices only. */
  accessors: CoreAccessor[];
  /** Bit offset of the accessed field from the start of the root object. */
  bitOffset: number;
}

/** libbpf's core_relo_kind_str. */
export function coreReloKindStr(kind: number): string {
  switch (kind) {
    case CoreReloKind.FIELD_BYTE_OFFSET:
      return "byte_off";
    case CoreReloKind.FIELD_BYTE_SIZE:
      return "byte_sz";
    case CoreReloKind.FIELD_EXISTS:
      return "field_exists";
    case CoreReloKind.FIELD_SIGNED:
      return "signed";
    case CoreReloKind.FIELD_LSHIFT_U64:
      return "lshift_u64";
    case CoreReloKind.FIELD_RSHIFT_U64:
      return "rshift_u64";
    case CoreReloKind.TYPE_ID_LOCAL:
      return "local_type_id";
    case CoreReloKind.TYPE_ID_TARGET:
      return "target_type_id";
    case CoreReloKind.TYPE_EXISTS:
      return "type_exists";
    case CoreReloKind.TYPE_MATCHES:
      return "type_matches";
    case CoreReloKind.TYPE_SIZE:
      return "type_size";
    case CoreReloKind.ENUMVAL_EXISTS:
      return "enumval_exists";
    case CoreReloKind.ENUMVAL_VALUE:
      return "enumval_value";
    default:
      return "unknown";
  }
}

export function isFieldKind(kind: number): boolean {
  return kind >= CoreReloKind.FIELD_BYTE_OFFSET && kind <= CoreReloKind.FIELD_RSHIFT_U64;
}
export function isTypeKind(kind: number): boolean {
  return (kind >= CoreReloKind.TYPE_ID_LOCAL && kind <= CoreReloKind.TYPE_SIZE) || kind === CoreReloKind.TYPE_MATCHES;
}
export function isEnumvalKind(kind: number): boolean {
  return kind === CoreReloKind.ENUMVAL_EXISTS || kind === CoreReloKind.ENUMVAL_VALUE;
}

/** Size of a type, libbpf btf__resolve_size (32 hops at most); CoreFail EINVAL for types without one. */
export function coreSizeOf(btf: Btf, id: TypeId): number {
  let size: number;
  try {
    size = resolveSize(btf, id, undefined, 32);
  } catch (e) {
    throw new CoreFail("EINVAL", `cannot resolve type [${id}]: ${(e as Error).message}`);
  }
  if (size < 0) throw new CoreFail("EINVAL", `type [${id}] ${kindStr(btf.kindOf(id))} has no size`);
  return size;
}

/** A flexible array: an array of 0 elements that is the last member of the composite named by `prev` (libbpf is_flex_arr). */
function isFlexArray(btf: Btf, prev: CoreAccessor | undefined, arr: ArrayType): boolean {
  if (!prev || prev.name === undefined || arr.nelems > 0) return false;
  const t = btf.typeById(prev.typeId) as StructType | UnionType;
  return prev.idx === t.members.length - 1;
}

/** The raw access indices of an access string: decimal numbers separated by ':' (CoreFail EINVAL / E2BIG). */
export function parseAccessString(access: string): number[] {
  if (access === "" || access.startsWith(":")) throw new CoreFail("EINVAL", `access string '${access}' is empty or starts with ':'`);
  const raw: number[] = [];
  for (const part of access.split(":")) {
    if (!/^\d+$/.test(part) || Number(part) > 0x7fffffff) throw new CoreFail("EINVAL", `access string '${access}': '${part}' is not an index`);
    if (raw.length === CORE_SPEC_MAX_LEN) throw new CoreFail("E2BIG", `access string '${access}' is longer than ${CORE_SPEC_MAX_LEN} steps`);
    raw.push(Number(part));
  }
  return raw;
}

/**
 * The local spec of a relocation (bpf_core_parse_spec). Type-based
 * relocations have access string "0" and no accessors; enum value ones one
 * accessor naming the enumerator; field ones walk the root type: the first
 * index is an array index over the root (`p[n]`), then member indices of
 * composites and element indices of arrays. CoreFail on anything malformed.
 */
export function parseCoreSpec(btf: Btf, relo: CoreRelo): CoreSpec {
  const spec: CoreSpec = { btf, rootTypeId: relo.typeId, kind: relo.kind, raw: [], accessors: [], bitOffset: 0 };
  if (isTypeKind(relo.kind)) {
    if (relo.access !== "0") throw new CoreFail("EINVAL", `type-based relocation has access string '${relo.access}' (expected '0')`);
    return spec;
  }
  spec.raw = parseAccessString(relo.access);
  const root = skipCore(btf, relo.typeId);
  let id = root.id;
  const first = spec.raw[0]!;
  spec.accessors.push({ typeId: id, idx: first, name: undefined });
  if (isEnumvalKind(relo.kind)) {
    const t = root.t;
    if (t.kind !== BtfKind.ENUM && t.kind !== BtfKind.ENUM64) throw new CoreFail("EINVAL", `enum value relocation against [${id}] ${kindStr(t.kind)}, not an enum`);
    if (spec.raw.length > 1) throw new CoreFail("EINVAL", `enum value relocation has access string '${relo.access}' (expected one index)`);
    if (first >= t.values.length) throw new CoreFail("EINVAL", `enumerator #${first} out of range (enum ${t.name || "<anon>"} has ${t.values.length})`);
    spec.accessors[0]!.name = t.values[first]!.name;
    return spec;
  }
  if (!isFieldKind(relo.kind)) throw new CoreFail("EINVAL", `unknown relocation kind ${relo.kind}`);
  spec.bitOffset = first * coreSizeOf(btf, id) * 8;
  for (let i = 1; i < spec.raw.length; i++) {
    const s = skipCore(btf, id);
    id = s.id;
    const t = s.t;
    const idx = spec.raw[i]!;
    if (t.kind === BtfKind.STRUCT || t.kind === BtfKind.UNION) {
      const m = t.members[idx];
      if (!m) throw new CoreFail("EINVAL", `member #${idx} out of range (${kindStr(t.kind)} ${t.name || "<anon>"} [${id}] has ${t.members.length})`);
      spec.bitOffset += m.bitsOffset;
      if (m.name !== "") spec.accessors.push({ typeId: id, idx, name: m.name });
      id = m.type;
    } else if (t.kind === BtfKind.ARRAY) {
      const elem = skipCore(btf, t.type);
      const prev = spec.accessors[spec.accessors.length - 1];
      if (!isFlexArray(btf, prev, t) && idx >= t.nelems) throw new CoreFail("EINVAL", `array index ${idx} out of range (array [${id}] has ${t.nelems} elements)`);
      id = elem.id;
      spec.accessors.push({ typeId: id, idx, name: undefined });
      spec.bitOffset += idx * coreSizeOf(btf, id) * 8;
    } else {
      throw new CoreFail("EINVAL", `relo for [${relo.typeId}] ${relo.access} (at idx ${i}) captures type [${id}] of unexpected kind ${kindStr(t.kind)}`);
    }
  }
  return spec;
}

/**
 * Finds the local named member `localAcc` in target composite `targId`,
 * descending into anonymous members (bpf_core_match_member). Appends to
 * `targ` (raw indices, bit offset, the accessor) on success. Returns the
 * member's type id, or undefined when there is no compatible member.
 */
function matchMember(local: CoreSpec, localAcc: CoreAccessor, targ: CoreSpec, targId: TypeId): TypeId | undefined {
  const s = skipCore(targ.btf, targId);
  if (s.t.kind !== BtfKind.STRUCT && s.t.kind !== BtfKind.UNION) return undefined;
  const localMember = (local.btf.typeById(localAcc.typeId) as StructType | UnionType).members[localAcc.idx]!;
  const members = s.t.members;
  for (let i = 0; i < members.length; i++) {
    const m = members[i]!;
    if (targ.raw.length === CORE_SPEC_MAX_LEN) throw new CoreFail("E2BIG", `target access path is longer than ${CORE_SPEC_MAX_LEN} steps`);
    targ.bitOffset += m.bitsOffset;
    targ.raw.push(i);
    if (m.name === "") {
      const found = matchMember(local, localAcc, targ, m.type);
      if (found !== undefined) return found;
    } else if (m.name === localMember.name) {
      targ.accessors.push({ typeId: s.id, idx: i, name: m.name });
      if (fieldsAreCompat(local.btf, localMember.type, targ.btf, m.type)) return m.type;
      targ.accessors.pop();
      return undefined;
    }
    targ.bitOffset -= m.bitsOffset;
    targ.raw.pop();
  }
  return undefined;
}

/**
 * Matches a local spec against target candidate `targId`
 * (bpf_core_spec_match). Returns the target spec and whether it matched; an
 * unmatched spec holds what was found before the walk failed (for -v).
 */
export function matchCoreSpec(local: CoreSpec, targBtf: Btf, targId: TypeId): { matched: boolean; spec: CoreSpec } {
  const targ: CoreSpec = { btf: targBtf, rootTypeId: targId, kind: local.kind, raw: [], accessors: [], bitOffset: 0 };
  const no = { matched: false, spec: targ };
  if (isTypeKind(local.kind)) {
    const ok =
      local.kind === CoreReloKind.TYPE_MATCHES
        ? typesMatch(local.btf, local.rootTypeId, targBtf, targId)
        : typesAreCompat(local.btf, local.rootTypeId, targBtf, targId);
    return { matched: ok, spec: targ };
  }
  if (isEnumvalKind(local.kind)) {
    const s = skipCore(targBtf, targId);
    const t: AnyType = s.t;
    if (t.kind !== BtfKind.ENUM && t.kind !== BtfKind.ENUM64) return no;
    const want = local.accessors[0]!.name!;
    const wantLen = essentialNameLength(want);
    for (let i = 0; i < t.values.length; i++) {
      const name = t.values[i]!.name;
      if (essentialNameLength(name) === wantLen && name.slice(0, wantLen) === want.slice(0, wantLen)) {
        targ.accessors.push({ typeId: s.id, idx: i, name });
        targ.raw.push(i);
        return { matched: true, spec: targ };
      }
    }
    return no;
  }
  let id = targId;
  for (let i = 0; i < local.accessors.length; i++) {
    const localAcc = local.accessors[i]!;
    const s = skipCore(targBtf, id);
    id = s.id;
    if (localAcc.name !== undefined) {
      const next = matchMember(local, localAcc, targ, id);
      if (next === undefined) return no;
      id = next;
      continue;
    }
    if (i > 0) {
      const t = s.t;
      if (t.kind !== BtfKind.ARRAY) return no;
      const prev = targ.accessors[targ.accessors.length - 1];
      if (!isFlexArray(targBtf, prev, t) && localAcc.idx >= t.nelems) return no;
      id = skipCore(targBtf, t.type).id;
    }
    if (targ.raw.length === CORE_SPEC_MAX_LEN) throw new CoreFail("E2BIG", `target access path is longer than ${CORE_SPEC_MAX_LEN} steps`);
    targ.accessors.push({ typeId: id, idx: localAcc.idx, name: undefined });
    targ.raw.push(localAcc.idx);
    targ.bitOffset += localAcc.idx * coreSizeOf(targBtf, id) * 8;
  }
  return { matched: true, spec: targ };
}

function enumValueText(t: AnyType, idx: number): string {
  if (t.kind === BtfKind.ENUM) {
    const v = t.values[idx];
    return v ? `::${v.name} = ${v.value}` : "";
  }
  if (t.kind === BtfKind.ENUM64) {
    const v = t.values[idx];
    return v ? `::${v.name} = ${t.signed ? BigInt.asIntN(64, v.value) : BigInt.asUintN(64, v.value)}` : "";
  }
  return "";
}

/**
 * A spec as libbpf prints it, without the kind (bpf_core_format_spec's body):
 * `[12] struct task_struct.pid (0:57 @ offset 2360)`, `[7] enum e::B = 2`,
 * `[5] typedef pid_t`. Bit offsets not on a byte print as `offset 4.3`.
 */
export function formatCoreSpec(spec: CoreSpec): string {
  const id = spec.rootTypeId;
  let out: string;
  let root: AnyType;
  try {
    root = spec.btf.typeById(id);
  } catch {
    return `[${id}] <invalid>`;
  }
  out = `[${id}] ${kindStr(root.kind)} ${root.name || "<anon>"}`;
  if (isTypeKind(spec.kind)) return out;
  if (isEnumvalKind(spec.kind)) {
    if (spec.raw.length === 0) return out;
    let t: AnyType;
    try {
      t = skipCore(spec.btf, id).t;
    } catch {
      return out;
    }
    return out + enumValueText(t, spec.raw[0]!);
  }
  spec.accessors.forEach((a, i) => {
    if (a.name !== undefined) out += `.${a.name}`;
    else if (i > 0 || a.idx > 0) out += `[${a.idx}]`;
  });
  const bits = spec.bitOffset;
  const off = bits % 8 ? `${Math.floor(bits / 8)}.${bits % 8}` : `${bits / 8}`;
  return `${out} (${spec.raw.join(":")} @ offset ${off})`;
}
