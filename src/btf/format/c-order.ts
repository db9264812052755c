// Ordering, naming and layout for the `c` BTF dump (format/c.ts does the
// emission). This module owns CTypeGraph: the per-type state of libbpf's
// btf_dump.c that is not about text — which types are referenced, the
// topological order of definitions with strong/weak links, the `___N`
// deduplicated names of structs, unions, enums, typedefs and enumerators,
// and the alignment/size rules (btf__align_of, btf__resolve_size,
// btf__pointer_size) the struct layout code relies on.
//
// The algorithm follows libbpf's btf_dump.c and btf.c (LGPL-2.1 OR
// BSD-2-Clause, Copyright (c) 2019 Facebook); see format/c.ts.
import type { Btf } from "../btf.js";
import { BtfError } from "../errors.js";
import { BtfKind } from "../kinds.js";
import type { AnyType, TypeId } from "../types.js";

/** Local alias of BtfKind: one plain object, so hot switches do not go through a module binding. */
const K = BtfKind;

// Topological ordering state per type.
// 0: not ordered yet
const ORDERING = 1;
const ORDERED = 2;
/** 1 for the kinds orderType settles without looking at their state (leaves of the ordering). */
const ORDER_LEAF = (() => {
  const s = new Uint8Array(32);
  for (const k of [BtfKind.FUNC, BtfKind.VAR, BtfKind.DATASEC, BtfKind.DECL_TAG, BtfKind.INT, BtfKind.FLOAT]) s[k] = 1;
  return s;
})();

/** Integer names that tell the pointer size (libbpf determine_ptr_size()). */
const LONG_NAMES = new Set([
  "long",
  "long int",
  "int long",
  "unsigned long",
  "long unsigned",
  "unsigned long int",
  "unsigned int long",
  "long unsigned int",
  "long int unsigned",
  "int unsigned long",
  "int long unsigned",
]);

/**
 * `name___N`, cut to `max` characters. Kept out of the name lookups, which
 * run for every name: the first duplicate met (late in vmlinux) would
 * otherwise deoptimize them.
 */
function dupName(name: string, n: number, max: number): string {
  const s = `${name}___${n}`;
  return s.length > max ? s.slice(0, max) : s;
}

/** Bound on modifier/typedef/array chains when resolving sizes (libbpf MAX_RESOLVE_DEPTH). */
const MAX_RESOLVE_DEPTH = 32;

/**
 * The non-textual state of one C dump, shared by every root dumped with it:
 * types by id, ordering state, resolved names and cached alignments.
 */
export class CTypeGraph {
  readonly btf: Btf;
  /** Pointer size in bytes the layout code assumes (from `long`'s size, else 8). */
  readonly ptrSize: number;
  /** Diagnostics libbpf would print with pr_warn (bpftool shows them on stderr). */
  readonly warnings: string[];
  /** Names by id, read on first use (without decoding the type). */
  private readonly names: (string | undefined)[] = stringSlots();
  /** The words of the record wireAt() found last. */
  private wr: Uint32Array = new Uint32Array(0);
  /** Kind of every id below `count` (read without decoding). */
  kinds: Uint8Array = new Uint8Array(0);
  /** Ids covered so far (the Btf's typeCount at the last resize()). */
  count = 0;

  private orderState: Uint8Array = new Uint8Array(0);
  private nameResolved: Uint8Array = new Uint8Array(0);
  private referenced: Uint8Array = new Uint8Array(0);
  /** Alignment cache for alignOf(): -1 = not computed yet. */
  private alignCache: Int32Array = new Int32Array(0);
  /** Names given a `___N` suffix, by id. */
  private readonly cachedNames: (string | undefined)[] = stringSlots();
  /** Occurrence counts of struct/union/enum (and int) names. */
  private readonly typeNames = new Map<string, number>();
  /** Occurrence counts of typedef names and enumerators. */
  private readonly identNames = new Map<string, number>();
  private queue: TypeId[] = [];

  constructor(btf: Btf, warnings: string[] = []) {
    this.btf = btf;
    this.warnings = warnings;
    this.ptrSize = determinePtrSize(btf);
    this.resize();
  }

  /** Grows the per-type state to the Btf's current type count (types may be added between dumps). */
  resize(): void {
    const n = this.btf.typeCount;
    const old = this.count;
    if (n <= old) return;
    const grow8 = (a: Uint8Array): Uint8Array => {
      const b = new Uint8Array(n);
      b.set(a);
      return b;
    };
    this.orderState = grow8(this.orderState);
    this.nameResolved = grow8(this.nameResolved);
    this.referenced = grow8(this.referenced);
    this.kinds = grow8(this.kinds);
    const ac = new Int32Array(n).fill(-1);
    ac.set(this.alignCache);
    this.alignCache = ac;
    const btf = this.btf;
    for (let id = old === 0 ? 1 : old; id < n; id++) this.kinds[id] = btf.kindOf(id);
    this.names.length = n;
    this.cachedNames.length = n;
    this.count = n;
    if (old === 0) this.orderState[0] = ORDERED; // void is always "defined"
    this.markReferenced(old === 0 ? 1 : old, n);
  }

  // ---------------------------------------------------------------------------
  // Type access. Parsed records are read from their wire words; a decoded
  // object is made only where members, parameters or values are needed, and
  // not kept (keeping 126k decoded types alive was most of the C dump's GC).
  // ---------------------------------------------------------------------------

  /** The type with this id, decoded (a fresh object for parsed records: read-only, not kept). */
  type(id: TypeId): AnyType {
    return this.btf.decodeType(id);
  }

  /** The name of `id` ("" if anonymous). */
  name(id: TypeId): string {
    return this.names[id] ?? (this.names[id] = this.btf.nameOf(id));
  }

  /**
   * Word index of `id`'s parsed record, with its words in `this.wr`, or -1
   * when `id` is not an untouched parsed record (built, edited, void).
   */
  private wireAt(id: TypeId): number {
    let b: Btf = this.btf;
    while (b.base && id < b.startId) b = b.base;
    if (!b.isWire(id)) return -1;
    const raw = b.wire!;
    this.wr = raw.words;
    return raw.starts[id - b.startId]!;
  }

  /** The words of the record record() found last (capture them before the next call). */
  rw: Uint32Array = new Uint32Array(0);
  /**
   * Names of the record record() found last when it was encoded from an
   * object (its name words are SCRATCH_NAME | index; never empty: the type's
   * own name is first); NO_NAMES for parsed records. Always an array, so the
   * field keeps one representation (a change would deoptimize every reader).
   */
  rn: readonly string[] = NO_NAMES;

  /**
   * Word index in `this.rw` of `id`'s record in the wire layout: its parsed
   * record, or for a built or edited type a fresh encoding of its object
   * (names in `this.rn`). Read members, values and parameters through it.
   */
  record(id: TypeId): number {
    const w = this.wireAt(id);
    if (w >= 0) {
      this.rw = this.wr;
      this.rn = NO_NAMES;
      return w;
    }
    const names: string[] = [];
    this.rw = encodeRecord(this.type(id), names);
    this.rn = names;
    return 0;
  }

  /** The string a name word of a record refers to (`names`: the record's rn). */
  nameWord(word: number, names: readonly string[]): string {
    if (names.length !== 0) return names[word & ~SCRATCH_NAME]!;
    if (word === 0) return "";
    let s = this.strs.get(word);
    if (s === undefined) {
      s = this.btf.stringTableFor(word)!.get(word);
      this.strs.set(word, s);
    }
    return s;
  }

  /** Decoded strings by name offset (member names repeat: next, prev, list...). */
  private readonly strs = new Map<number, string>();

  /** The one type `id` refers to: target of a pointer, modifier, typedef, type tag, var, func or decl tag; an array's element; a prototype's return type. */
  ref(id: TypeId): TypeId {
    const w = this.record(id);
    return this.kinds[id] === K.ARRAY ? this.rw[w + 3]! : this.rw[w + 2]!;
  }

  /** The size field of an INT, STRUCT, UNION, ENUM, ENUM64, DATASEC or FLOAT. */
  sizeField(id: TypeId): number {
    const w = this.record(id);
    return this.rw[w + 2]!;
  }

  /** Element count of an ARRAY. */
  nelems(id: TypeId): number {
    const w = this.record(id);
    return this.rw[w + 5]!;
  }

  /** vlen: members, values or parameters of `id` (0 for kinds without). */
  vlen(id: TypeId): number {
    const w = this.record(id);
    return this.rw[w + 1]! & 0xffff;
  }

  /** A FWD's kind flag: true for a union. */
  fwdIsUnion(id: TypeId): boolean {
    const w = this.record(id);
    return this.rw[w + 1]! >>> 31 === 1;
  }

  /**
   * The named definitions `id` needs, dependencies first, that earlier calls
   * did not order yet (`id` itself last when it is a definition). Throws a
   * BtfError (ELOOP) for a cycle C cannot express.
   */
  order(id: TypeId): TypeId[] {
    this.queue = [];
    this.orderType(id, false);
    return this.queue;
  }

  /**
   * Marks every type some other type refers to. This tells a top-level
   * anonymous enum (a block of constants, emitted on its own) from one that
   * is written inline where it is used.
   */
  private markReferenced(from: number, to: number): void {
    const ref = this.referenced;
    const btf = this.btf;
    for (let id = from; id < to; id++) {
      if (btf.isWire(id)) {
        markWireRefs(btf, id, ref);
        continue;
      }
      const t = this.type(id);
      switch (t.kind) {
        case K.PTR:
        case K.TYPEDEF:
        case K.VOLATILE:
        case K.CONST:
        case K.RESTRICT:
        case K.TYPE_TAG:
        case K.FUNC:
        case K.VAR:
        case K.DECL_TAG:
          ref[t.type] = 1;
          break;
        case K.ARRAY:
          ref[t.indexType] = 1;
          ref[t.type] = 1;
          break;
        case K.STRUCT:
        case K.UNION:
          for (const m of t.members) ref[m.type] = 1;
          break;
        case K.FUNC_PROTO:
          for (const p of t.params) ref[p.type] = 1;
          break;
        case K.DATASEC:
          for (const v of t.vars) ref[v.type] = 1;
          break;
        default:
          break;
      }
    }
  }

  // ---------------------------------------------------------------------------
  // Ordering
  // ---------------------------------------------------------------------------

  /**
   * Depth-first topological ordering of the definitions `id` depends on,
   * appending named definitions to the emit queue. Returns 1 when `id` is a
   * strong link (its definition must come first) and 0 when a forward
   * declaration would do. Only kinds that can be definitions get an ordering
   * state; modifiers, arrays and prototypes are re-walked each time because
   * their strength depends on the path that reached them.
   */
  private orderType(id: TypeId, throughPtr: boolean): number {
    const state = this.orderState;
    const st = state[id]!;
    if (st === ORDERED) return 1;
    const k = this.kinds[id]!;
    if (st === ORDERING && ORDER_LEAF[k] === 0) return this.orderLoop(id, k, throughPtr);
    // One small function per kind, called through a table: the recursion stays small and
    // optimized, and a kind first met late does not deoptimize it.
    const order = CTypeGraph.ORDER[k];
    if (order === undefined) throw new BtfError(`cannot order type of kind ${k}`, { typeId: id }, { errno: "EINVAL" });
    return order(this, id, throughPtr);
  }

  /** `id` reached again while its members are being ordered. */
  private orderLoop(id: TypeId, k: number, throughPtr: boolean): number {
    // a loop is fine if it goes through a pointer to a named struct/union
    if ((k === K.STRUCT || k === K.UNION) && throughPtr && this.name(id) !== "") return 0;
    this.warnings.push(`unsatisfiable type cycle, id:[${id}]`);
    throw new BtfError("unsatisfiable type cycle", { typeId: id }, { errno: "ELOOP" });
  }

  /** orderType's step for each kind it can meet (undefined: an error). */
  private static readonly ORDER: (((g: CTypeGraph, id: TypeId, throughPtr: boolean) => number) | undefined)[] = (() => {
    type Step = (g: CTypeGraph, id: TypeId, throughPtr: boolean) => number;
    const t: (Step | undefined)[] = new Array<Step | undefined>(32).fill(undefined);
    // leaves of the ordering: no need to decode them
    const leaf: Step = (g, id) => {
      g.orderState[id] = ORDERED;
      return 0;
    };
    for (const k of [K.FUNC, K.VAR, K.DATASEC, K.DECL_TAG, K.INT, K.FLOAT]) t[k] = leaf;
    t[K.PTR] = (g, id) => {
      const r = g.orderType(g.ref(id), true);
      g.orderState[id] = ORDERED;
      return r;
    };
    t[K.ARRAY] = (g, id) => g.orderType(g.ref(id), false);
    // a named struct behind a pointer only needs a forward declaration;
    // embedded or anonymous ones need their members defined first
    t[K.STRUCT] = t[K.UNION] = (g, id, throughPtr) => {
      const named = g.name(id) !== "";
      if (throughPtr && named) return 0;
      g.orderState[id] = ORDERING;
      const w = g.record(id);
      const words = g.rw;
      const vlen = words[w + 1]! & 0xffff;
      for (let i = 0, p = w + 4; i < vlen; i++, p += 3) g.orderType(words[p]!, false);
      if (named) g.queue.push(id);
      g.orderState[id] = ORDERED;
      return 1;
    };
    // named or unreferenced (top-level anonymous) enums are definitions of their own
    t[K.ENUM] = t[K.ENUM64] = t[K.FWD] = (g, id) => {
      if (g.name(id) !== "" || !g.referenced[id]) g.queue.push(id);
      g.orderState[id] = ORDERED;
      return 1;
    };
    t[K.TYPEDEF] = (g, id, throughPtr) => {
      const strong = g.orderType(g.ref(id), throughPtr);
      // like a struct: behind a pointer a weak target makes a weak typedef
      if (throughPtr && !strong) return 0;
      g.queue.push(id);
      g.orderState[id] = ORDERED;
      return 1;
    };
    t[K.VOLATILE] = t[K.CONST] = t[K.RESTRICT] = t[K.TYPE_TAG] = (g, id, throughPtr) => g.orderType(g.ref(id), throughPtr);
    t[K.FUNC_PROTO] = (g, id, throughPtr) => {
      const w = g.record(id);
      const words = g.rw;
      let strong = g.orderType(words[w + 2]!, throughPtr) > 0;
      const vlen = words[w + 1]! & 0xffff;
      for (let i = 0, p = w + 4; i < vlen; i++, p += 2) {
        if (g.orderType(words[p]!, throughPtr) > 0) strong = true;
      }
      return strong ? 1 : 0;
    };
    return t;
  })();

  // ---------------------------------------------------------------------------
  // Names
  // ---------------------------------------------------------------------------

  /** Counts one more occurrence of `name` in `map` and returns the count. */
  private nameDups(map: Map<string, number>, name: string): number {
    const n = (map.get(name) ?? 0) + 1;
    map.set(name, n);
    return n;
  }

  /**
   * The name `id` is written with: its own name the first time a name is
   * seen in `map`'s namespace, `name___N` for the N-th type with that name.
   * Forward declarations and empty enums never get a suffix. Resolved once
   * per type.
   */
  private resolveName(id: TypeId, map: Map<string, number>): string {
    const orig = this.name(id);
    if (orig === "") return "";
    if (this.nameResolved[id]) return this.cachedNames[id] ?? orig;
    this.nameResolved[id] = 1;
    const k = this.kinds[id];
    if (k === K.FWD || (k === K.ENUM && this.vlen(id) === 0)) return orig;
    const dup = this.nameDups(map, orig);
    if (dup > 1) return (this.cachedNames[id] = dupName(orig, dup, 255)); // libbpf formats into a 256-byte buffer
    return orig;
  }

  /**
   * How an enumerator is written: enumerators share the namespace of typedef
   * names, and every occurrence counts (an enum emitted twice renames them).
   */
  enumeratorName(name: string): string {
    const dup = this.nameDups(this.identNames, name);
    return dup > 1 ? dupName(name, dup, Infinity) : name;
  }

  /** Name of a struct, union, enum, fwd or int (tag namespace). */
  typeName(id: TypeId): string {
    return this.resolveName(id, this.typeNames);
  }

  /** Name of a typedef (ordinary identifier namespace). */
  identName(id: TypeId): string {
    return this.resolveName(id, this.identNames);
  }

  // ---------------------------------------------------------------------------
  // Layout (libbpf btf__align_of / btf__resolve_size)
  // ---------------------------------------------------------------------------

  /**
   * Alignment of a type in bytes as the compiler would choose it; 1 for a
   * struct whose layout shows it is packed; 0 when it has none (void,
   * functions, forward declarations).
   */
  alignOf(id: TypeId): number {
    const cached = this.alignCache[id]!;
    if (cached >= 0) return cached;
    const k = this.kinds[id]!;
    let a: number;
    switch (k) {
      case K.INT:
      case K.ENUM:
      case K.ENUM64:
      case K.FLOAT:
        a = Math.min(this.ptrSize, this.sizeField(id));
        break;
      case K.PTR:
        a = this.ptrSize;
        break;
      case K.TYPEDEF:
      case K.VOLATILE:
      case K.CONST:
      case K.RESTRICT:
      case K.TYPE_TAG:
      case K.ARRAY:
        a = this.alignOf(this.ref(id));
        break;
      case K.STRUCT:
      case K.UNION: {
        const w = this.record(id);
        const words = this.rw;
        const info = words[w + 1]!;
        const vlen = info & 0xffff;
        const kflag = info >>> 31 === 1;
        let maxAlign = 1;
        a = -1;
        for (let i = 0, p = w + 3; i < vlen; i++, p += 3) {
          const ma = this.alignOf(words[p + 1]!);
          if (ma <= 0) {
            a = ma;
            break;
          }
          if (ma > maxAlign) maxAlign = ma;
          // a member off its natural alignment means the struct is packed
          const off = words[p + 2]!;
          const bitsOffset = kflag ? off & 0xffffff : off;
          if ((kflag ? off >>> 24 : 0) === 0 && bitsOffset % (8 * ma) !== 0) {
            a = 1;
            break;
          }
        }
        if (a < 0) a = words[w + 2]! % maxAlign !== 0 ? 1 : maxAlign;
        break;
      }
      default:
        this.warnings.push(`unsupported BTF_KIND:${k}`);
        a = 0;
        break;
    }
    this.alignCache[id] = a;
    return a;
  }

  /**
   * Size in bytes of a type through typedefs, qualifiers and arrays; negative
   * when it has none (libbpf btf__resolve_size, as layout.ts resolveSize, read
   * without decoding).
   */
  resolveSize(id: TypeId): number {
    let nelems = 1;
    for (let depth = 0; depth < MAX_RESOLVE_DEPTH; depth++) {
      switch (this.kinds[id]) {
        case K.INT:
        case K.STRUCT:
        case K.UNION:
        case K.ENUM:
        case K.ENUM64:
        case K.DATASEC:
        case K.FLOAT: {
          const size = nelems * this.sizeField(id);
          return size > 0xffffffff ? -1 : size;
        }
        case K.PTR:
          return nelems * this.ptrSize > 0xffffffff ? -1 : nelems * this.ptrSize;
        case K.TYPEDEF:
        case K.VOLATILE:
        case K.CONST:
        case K.RESTRICT:
        case K.TYPE_TAG:
        case K.VAR:
        case K.DECL_TAG:
          id = this.ref(id);
          break;
        case K.ARRAY:
          nelems *= this.nelems(id);
          if (nelems > 0xffffffff) return -1;
          id = this.ref(id);
          break;
        default:
          return -1;
      }
    }
    return -1;
  }

}

/**
 * An empty array already in the elements kind of string arrays, so filling
 * it later does not change its map (which would deoptimize the code reading it).
 */
function stringSlots(): (string | undefined)[] {
  const a: (string | undefined)[] = [""];
  a.length = 0;
  return a;
}

/** The names of a parsed record (see CTypeGraph.rn). */
const NO_NAMES: readonly string[] = Object.freeze([]);

/** High bit of a name word of an encoded (scratch) record: the rest indexes its names. */
const SCRATCH_NAME = 0x80000000;

/**
 * A decoded (built or edited) type in the wire layout of a record (header
 * words, then the kind's fixed part and vlen entries), so the C dumper reads
 * every type the same way; its name words are SCRATCH_NAME | index into `names`.
 */
function encodeRecord(t: AnyType, names: string[]): Uint32Array {
  const nameWord = (s: string): number => (SCRATCH_NAME | names.push(s)) - 1;
  const out: number[] = [nameWord(t.name), 0, 0];
  let vlen = 0;
  let kflag = false;
  switch (t.kind) {
    case K.INT:
      out[2] = t.size;
      out.push((t.encoding << 24) | (t.bitsOffset << 16) | t.nrBits);
      break;
    case K.PTR:
    case K.TYPEDEF:
    case K.VOLATILE:
    case K.CONST:
    case K.RESTRICT:
    case K.VAR:
      out[2] = t.type;
      if (t.kind === K.VAR) out.push(t.linkage);
      break;
    case K.TYPE_TAG:
      out[2] = t.type;
      kflag = t.kflag;
      break;
    case K.FUNC:
      out[2] = t.type;
      vlen = t.linkage;
      break;
    case K.DECL_TAG:
      out[2] = t.type;
      kflag = t.kflag;
      out.push(t.componentIdx);
      break;
    case K.ARRAY:
      out.push(t.type, t.indexType, t.nelems);
      break;
    case K.STRUCT:
    case K.UNION:
      out[2] = t.size;
      kflag = t.kflag;
      vlen = t.members.length;
      for (const m of t.members) out.push(nameWord(m.name), m.type, t.kflag ? (m.bitfieldSize << 24) | m.bitsOffset : m.bitsOffset);
      break;
    case K.ENUM:
      out[2] = t.size;
      kflag = t.signed;
      vlen = t.values.length;
      for (const v of t.values) out.push(nameWord(v.name), v.value);
      break;
    case K.ENUM64:
      out[2] = t.size;
      kflag = t.signed;
      vlen = t.values.length;
      for (const v of t.values) {
        const u = BigInt.asUintN(64, v.value);
        out.push(nameWord(v.name), Number(u & 0xffffffffn), Number(u >> 32n));
      }
      break;
    case K.FWD:
      kflag = t.union;
      break;
    case K.FUNC_PROTO:
      out[2] = t.returnType;
      vlen = t.params.length;
      for (const p of t.params) out.push(nameWord(p.name), p.type);
      break;
    case K.DATASEC:
      out[2] = t.size;
      vlen = t.vars.length;
      for (const v of t.vars) out.push(v.type, v.offset, v.size);
      break;
    case K.FLOAT:
      out[2] = t.size;
      break;
    default:
      break;
  }
  out[1] = ((kflag ? 1 : 0) << 31) | (t.kind << 24) | (vlen & 0xffff);
  return Uint32Array.from(out, (x) => x >>> 0);
}

/** Marks the ids the wire record of `id` refers to (markReferenced without decoding). */
function markWireRefs(btf: Btf, id: TypeId, ref: Uint8Array): void {
  const raw = btf.wire!;
  const words = raw.words;
  const w = raw.starts[id - btf.startId]!;
  const info = words[w + 1]!;
  const vlen = info & 0xffff;
  switch ((info >>> 24) & 0x1f) {
    case K.PTR:
    case K.TYPEDEF:
    case K.VOLATILE:
    case K.CONST:
    case K.RESTRICT:
    case K.TYPE_TAG:
    case K.FUNC:
    case K.VAR:
    case K.DECL_TAG:
      ref[words[w + 2]!] = 1;
      break;
    case K.ARRAY:
      ref[words[w + 4]!] = 1;
      ref[words[w + 3]!] = 1;
      break;
    case K.STRUCT:
    case K.UNION:
      for (let i = 0, p = w + 3; i < vlen; i++, p += 3) ref[words[p + 1]!] = 1;
      break;
    case K.FUNC_PROTO:
      for (let i = 0, p = w + 3; i < vlen; i++, p += 2) ref[words[p + 1]!] = 1;
      break;
    case K.DATASEC:
      for (let i = 0, p = w + 3; i < vlen; i++, p += 3) ref[words[p]!] = 1;
      break;
    default:
      break;
  }
}

/** Pointer size from the size of a `long` INT (libbpf btf__pointer_size()), 8 when none is found. */
function determinePtrSize(btf: Btf): number {
  const n = btf.typeCount;
  for (let id = 1; id < n; id++) {
    if (btf.kindOf(id) !== K.INT || !LONG_NAMES.has(btf.nameOf(id))) continue;
    const t = btf.decodeType(id);
    if (t.kind === K.INT && (t.size === 4 || t.size === 8)) return t.size;
  }
  return 8;
}
