// Btf: a set of types indexed by id (own types after an optional base for
// split BTF). A parsed Btf keeps the validated wire records and decodes a
// type only when asked (typeById caches; decodeType does not, for one-pass
// dumps), the way cilium/ebpf's decoder works; name indexes are built on
// first use from the names alone. Builder-made types are plain objects.
import { decodeRecord, type RawTypeSource } from "./decode.js";
import { BtfError } from "./errors.js";
import type { StringTable } from "./strings.js";
import { VOID, type AnyType, type BtfType, type TypeId } from "./types.js";

/** How many idsByName lookups scan the records before the name index is built. */
const NAME_SCANS = 8;
const HIGH_CHARS = /[^\x00-\x7f]/;

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
  readonly strings: StringTable | undefined;
  readonly littleEndian: boolean;
  /** Validated wire records of a parsed Btf (undefined for built ones). */
  private readonly raw: RawTypeSource | undefined;
  /** Own types: decoded (or added) objects; holes are raw records not decoded yet. */
  private readonly own: (BtfType | undefined)[];
  private byName: Map<string, TypeId[]> | undefined;

  constructor(types: BtfType[] = [], options: BtfOptions = {}, raw?: RawTypeSource) {
    this.base = options.base;
    this.startId = options.base ? options.base.typeCount : 1;
    this.strings = options.strings ?? raw?.strings;
    this.littleEndian = options.littleEndian ?? raw?.littleEndian ?? true;
    this.raw = raw;
    this.own = raw ? new Array<BtfType | undefined>(raw.kinds.length) : types;
  }

  /** Number of own types. */
  get length(): number {
    return this.own.length;
  }

  /** Number of ids in use including void and the base's (libbpf btf__type_cnt): valid ids are < typeCount. */
  get typeCount(): number {
    return this.startId + this.own.length;
  }

  /**
   * All own types, decoded and cached, as a new array (`types[i]` has id
   * `startId + i`; add types with add()). This decodes everything: prefer
   * typeById/decodeType/kindOf/nameOf on large BTF.
   */
  get types(): readonly BtfType[] {
    for (let i = 0; i < this.own.length; i++) if (this.own[i] === undefined) this.own[i] = decodeRecord(this.raw!, i);
    return (this.own as BtfType[]).slice();
  }

  /** Whether `id` names a type of this Btf or its base (0 = void counts). */
  hasId(id: TypeId): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.typeCount;
  }

  /**
   * The type with this id (decoded once, then cached: edits to it are kept and
   * encoded; after renaming call reindex()); id 0 is void. Throws BtfError
   * (ENOENT) for unknown or non-integer ids.
   */
  typeById(id: TypeId): AnyType {
    if (!Number.isInteger(id)) return this.noSuchId(id);
    const i = id - this.startId;
    if (i >= 0) {
      if (i < this.own.length) return (this.own[i] ??= decodeRecord(this.raw!, i));
    } else if (id === 0) {
      return VOID;
    } else if (this.base && id > 0) {
      return this.base.typeById(id);
    }
    return this.noSuchId(id);
  }

  /**
   * Like typeById, but a type not decoded yet is decoded into a fresh object
   * that is not kept (for one-pass dumps): treat the result as read-only,
   * since edits to it are lost.
   */
  decodeType(id: TypeId): AnyType {
    if (!Number.isInteger(id)) return this.noSuchId(id);
    const i = id - this.startId;
    if (i >= 0 && i < this.own.length) return this.own[i] ?? decodeRecord(this.raw!, i);
    return this.typeById(id);
  }

  /** The parsed wire records, for dumpers that read words directly (undefined for built Btfs). */
  get wire(): RawTypeSource | undefined {
    return this.raw;
  }

  /** Whether own type `id` is still exactly its parsed wire record (never decoded, so never edited). */
  isWire(id: TypeId): boolean {
    const i = id - this.startId;
    return this.raw !== undefined && i >= 0 && i < this.own.length && this.own[i] === undefined;
  }

  /** The string table (own or a base's) holding name offset `off`, or undefined. */
  stringTableFor(off: number): StringTable | undefined {
    for (let b: Btf | undefined = this; b; b = b.base) if (b.strings && off >= b.strings.startOffset) return b.strings.contains(off) ? b.strings : undefined;
    return undefined;
  }

  /** Forgets the name index (call after renaming types obtained from typeById). */
  reindex(): void {
    this.byName = undefined;
  }

  /** The kind of type `id` without decoding it. */
  kindOf(id: TypeId): number {
    const i = id - this.startId;
    if (i >= 0 && i < this.own.length) return this.raw && this.own[i] === undefined ? this.raw.kinds[i]! : this.own[i]!.kind;
    return this.typeById(id).kind;
  }

  /** The name of type `id` ("" if anonymous) without decoding the rest of it. */
  nameOf(id: TypeId): string {
    const i = id - this.startId;
    if (i >= 0 && i < this.own.length && this.raw && this.own[i] === undefined) {
      return this.raw.name(this.raw.words[this.raw.starts[i]!]!);
    }
    return this.typeById(id).name;
  }

  /**
   * The verbatim wire records of own types `i`, `i+1`, ... (index = id -
   * startId) that were parsed and never decoded (so cannot have been
   * changed), as one byte range; undefined if type `i` is not such a record.
   * For the encoder.
   */
  rawRun(i: number): Uint8Array | undefined {
    const raw = this.raw;
    if (!raw || i >= raw.kinds.length || this.own[i] !== undefined) return undefined;
    let j = i + 1;
    while (j < raw.kinds.length && this.own[j] === undefined) j++;
    const v = raw.view;
    return new Uint8Array(v.buffer, v.byteOffset + raw.typeStart + 4 * raw.starts[i]!, 4 * (raw.starts[j]! - raw.starts[i]!));
  }

  /** Number of own types covered by a rawRun starting at `i`. */
  rawRunLength(i: number, run: Uint8Array): number {
    const raw = this.raw!;
    const end = raw.starts[i]! + run.length / 4;
    let j = i;
    while (raw.starts[j]! < end) j++;
    return j - i;
  }

  /** Adds a type; returns its id. Name indexes are updated. */
  add(t: BtfType): TypeId {
    const id = this.typeCount;
    this.own.push(t);
    if (this.byName && t.name) {
      const list = this.byName.get(t.name);
      if (list) list.push(id);
      else this.byName.set(t.name, [id]);
    }
    return id;
  }

  /** All ids (own and base) of named types with this name, in id order. */
  idsByName(name: string): readonly TypeId[] {
    // The first few lookups of a parsed Btf scan the records' name offsets instead of
    // decoding every name into an index (a command that looks up one function stays cheap).
    const own = !this.byName && this.raw && name !== "" && ++this.nameScans <= NAME_SCANS ? this.scanName(name) : (this.nameIndex().get(name) ?? []);
    if (!this.base) return own;
    const inBase = this.base.idsByName(name);
    return inBase.length ? [...inBase, ...own] : own;
  }

  /** The first type with this name and kind (libbpf btf__find_by_name_kind), or undefined. */
  findByNameKind(name: string, kind: number): TypeId | undefined {
    for (const id of this.idsByName(name)) {
      if (this.kindOf(id) === kind) return id;
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
    for (let i = 0; i < this.own.length; i++) if (this.kindOf(this.startId + i) === kind) out.push(this.startId + i);
    return out;
  }

  /** Lookups answered by scanning the records so far (see idsByName). */
  private nameScans = 0;

  /** Own ids named `name` (non-empty): records compared by the string bytes at their name offset, decoded or added types by name. */
  private scanName(name: string): TypeId[] {
    const raw = this.raw!;
    const needle = (HIGH_CHARS.test(name) ? Buffer.from(name, "utf8").toString("latin1") : name) + "\0";
    const first = needle.charCodeAt(0);
    const { words, starts } = raw;
    const out: TypeId[] = [];
    const own = this.own;
    for (let i = 0; i < own.length; i++) {
      const t = own[i];
      if (t !== undefined) {
        if (t.name === name) out.push(this.startId + i); // decoded (maybe renamed) or added
        continue;
      }
      const off = words[starts[i]!]!;
      const table = this.stringTableFor(off);
      if (!table) continue;
      const local = off - table.startOffset;
      if (table.bytes[local] === first && table.latin1Text().startsWith(needle, local)) out.push(this.startId + i);
    }
    return out;
  }

  private noSuchId(id: TypeId): never {
    throw new BtfError(`type id ${id} out of range (have ${this.typeCount - 1} types)`, { typeId: id }, { errno: "ENOENT" });
  }

  private nameIndex(): Map<string, TypeId[]> {
    if (this.byName) return this.byName;
    const m = new Map<string, TypeId[]>();
    for (let i = 0; i < this.own.length; i++) {
      const id = this.startId + i;
      const name = this.nameOf(id);
      if (!name) continue;
      const list = m.get(name);
      if (list) list.push(id);
      else m.set(name, [id]);
    }
    this.byName = m;
    return m;
  }
}
