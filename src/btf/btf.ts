// Btf: a set of types indexed by id (own types after an optional base for
// split BTF), with name indexes built on first use. This is the object every
// other module queries; parse.ts makes one from bytes, encode.ts writes one.
import { BtfError } from "./errors.js";
import { BtfKind } from "./kinds.js";
import type { StringTable } from "./strings.js";
import { VOID, type AnyType, type BtfType, type TypeId } from "./types.js";

export interface BtfOptions {
  /** The base BTF this one is split from (module BTF on top of vmlinux). */
  base?: Btf;
  /** The string section this BTF was parsed from; re-encoding starts from it so offsets are kept. */
  strings?: StringTable;
  /** Byte order of the blob this was parsed from; encoding uses it too. */
  littleEndian?: boolean;
}

export class Btf {
  readonly base: Btf | undefined;
  /** First id owned by this Btf (1, or the base's type count for split BTF). */
  readonly startId: number;
  /** Own types; `types[i]` has id `startId + i`. */
  readonly types: BtfType[];
  readonly strings: StringTable | undefined;
  readonly littleEndian: boolean;
  private byName: Map<string, TypeId[]> | undefined;

  constructor(types: BtfType[] = [], options: BtfOptions = {}) {
    this.base = options.base;
    this.startId = options.base ? options.base.typeCount : 1;
    this.types = types;
    this.strings = options.strings;
    this.littleEndian = options.littleEndian ?? true;
  }

  /** Number of ids in use including void and the base's (libbpf btf__type_cnt): valid ids are < typeCount. */
  get typeCount(): number {
    return this.startId + this.types.length;
  }

  /** Whether `id` names a type of this Btf or its base (0 = void counts). */
  hasId(id: TypeId): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.typeCount;
  }

  /** The type with this id; id 0 is void. Throws BtfError (ENOENT) for unknown ids. */
  typeById(id: TypeId): AnyType {
    if (id >= this.startId) {
      const t = this.types[id - this.startId];
      if (t !== undefined) return t;
    } else if (id === 0) {
      return VOID;
    } else if (this.base && id > 0) {
      return this.base.typeById(id);
    }
    throw new BtfError(`type id ${id} out of range (have ${this.typeCount - 1} types)`, { typeId: id }, { errno: "ENOENT" });
  }

  /** Adds a type; returns its id. Name indexes are updated. */
  add(t: BtfType): TypeId {
    const id = this.typeCount;
    this.types.push(t);
    if (this.byName && t.name) {
      const list = this.byName.get(t.name);
      if (list) list.push(id);
      else this.byName.set(t.name, [id]);
    }
    return id;
  }

  /** All ids (own and base) of named types with this name, in id order. */
  idsByName(name: string): readonly TypeId[] {
    const own = this.nameIndex().get(name) ?? [];
    if (!this.base) return own;
    const inBase = this.base.idsByName(name);
    return inBase.length ? [...inBase, ...own] : own;
  }

  /** The first type with this name and kind (libbpf btf__find_by_name_kind), or undefined. */
  findByNameKind(name: string, kind: number): TypeId | undefined {
    for (const id of this.idsByName(name)) {
      if (this.typeById(id).kind === kind) return id;
    }
    return undefined;
  }

  /** The first type with this name of any kind (libbpf btf__find_by_name), or undefined. */
  findByName(name: string): TypeId | undefined {
    return this.idsByName(name)[0];
  }

  /** Ids of all own types of one kind, in id order. */
  idsOfKind(kind: number): TypeId[] {
    const out: TypeId[] = [];
    for (let i = 0; i < this.types.length; i++) if (this.types[i]!.kind === kind) out.push(this.startId + i);
    return out;
  }

  private nameIndex(): Map<string, TypeId[]> {
    if (this.byName) return this.byName;
    const m = new Map<string, TypeId[]>();
    for (let i = 0; i < this.types.length; i++) {
      const name = this.types[i]!.name;
      if (!name) continue;
      const id = this.startId + i;
      const list = m.get(name);
      if (list) list.push(id);
      else m.set(name, [id]);
    }
    this.byName = m;
    return m;
  }
}

/** Whether a kind carries a name that must be a non-empty identifier. */
export function kindRequiresName(kind: number): boolean {
  return (
    kind === BtfKind.TYPEDEF ||
    kind === BtfKind.FWD ||
    kind === BtfKind.FUNC ||
    kind === BtfKind.VAR ||
    kind === BtfKind.DATASEC ||
    kind === BtfKind.FLOAT ||
    kind === BtfKind.DECL_TAG ||
    kind === BtfKind.TYPE_TAG
  );
}
