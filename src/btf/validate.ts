// Whole-graph checks run after the record scan (the kernel's
// btf_check_all_types / btf_resolve step), read straight from the wire
// records: every referenced id exists and has a kind that makes sense where
// it is used, decl tags point at real components, and no type contains
// itself except through a pointer (loops through modifiers, typedefs, arrays
// or by-value members are rejected).
import type { Btf } from "./btf.js";
import type { RawTypeSource } from "./decode.js";
import { BtfError } from "./errors.js";
import { BtfKind, kindName } from "./kinds.js";

/** Graph checks over the records the parser indexed. Throws BtfError for the first problem. */
export function validateRaw(btf: Btf, raw: RawTypeSource): void {
  const { words, starts, kinds } = raw;
  const n = kinds.length;
  const start = btf.startId;
  const g = new RefCheck(btf, raw);
  // Per-kind checks are small functions called through a table, so the loop is not
  // deoptimized by kinds first met late in the file (vmlinux lists its FUNCs last).
  for (let i = 0; i < n; i++) {
    g.edgeStart[i] = g.ne;
    const check = REF_CHECKS[kinds[i]!];
    if (check !== undefined) check(g, start + i, starts[i]!);
  }
  g.edgeStart[n] = g.ne;
  checkCycles(btf, raw, g.edgeStart, g.edges);
  checkPointerChains(btf, raw);
  // With loops ruled out, chains can be followed: check what needs resolved types.
  checkResolved(btf, raw, g.kindById);
  for (const i of g.declTags) {
    const w = starts[i]!;
    checkDeclTag(btf, start + i, raw.name(words[w]!), words[w + 2]!, words[w + 3]! | 0);
  }
}

/** State of validateRaw's pass: the size-resolution edges found so far and what the checks read. */
class RefCheck {
  readonly words: Uint32Array;
  readonly count: number;
  readonly start: number;
  readonly kindById: Uint8Array;
  /** Size-resolution edges (everything but what a pointer points to), as a CSR graph over own types. */
  readonly edgeStart: Uint32Array;
  readonly edges: Uint32Array;
  ne = 0;
  /** Own indexes of DECL_TAGs, checked once the graph is known to be sound. */
  readonly declTags: number[] = [];

  constructor(
    btf: Btf,
    readonly raw: RawTypeSource,
  ) {
    const n = raw.kinds.length;
    this.words = raw.words;
    this.count = btf.typeCount;
    this.start = btf.startId;
    this.kindById = kindsById(btf, raw);
    this.edgeStart = new Uint32Array(n + 1);
    // Every edge takes at least two words of its record (a FUNC_PROTO with p
    // parameters: p + 1 edges in 3 + 2p words; a member or DATASEC entry: 3
    // words each; any other kind: one edge in at least 3 words).
    this.edges = new Uint32Array(n ? (raw.starts[n]! - raw.starts[0]!) >>> 1 : 0);
  }

  outOfRange(id: number, ref: number, what: string): BtfError {
    return new BtfError(`${what} refers to type id ${ref}, but the last type id is ${this.count - 1}`, { typeId: id });
  }

  notAType(id: number, what: string, ref: number): BtfError {
    return new BtfError(`${what} refers to type ${ref} of kind ${kindName(this.kindById[ref]!)}, which is not a data type`, { typeId: id });
  }

  name(p: number): string {
    return this.raw.name(this.words[p]!);
  }
}

/** Checks the references of the record of `id` at word `w` and adds its size edges. */
type RefChecker = (g: RefCheck, id: number, w: number) => void;

const REF_CHECKS: (RefChecker | undefined)[] = [];

REF_CHECKS[BtfKind.PTR] =
  REF_CHECKS[BtfKind.TYPEDEF] =
  REF_CHECKS[BtfKind.VOLATILE] =
  REF_CHECKS[BtfKind.CONST] =
  REF_CHECKS[BtfKind.RESTRICT] =
  REF_CHECKS[BtfKind.TYPE_TAG] =
    (g, id, w) => {
      const kind = (g.words[w + 1]! >>> 24) & 0x1f;
      const ref = g.words[w + 2]!;
      if (ref >= g.count) throw g.outOfRange(id, ref, kindName(kind));
      if (ref === id) throw new BtfError(`${kindName(kind)} refers to itself`, { typeId: id });
      if (NOT_A_TYPE[g.kindById[ref]!]) throw g.notAType(id, kindName(kind), ref);
      if (kind !== BtfKind.PTR) g.edges[g.ne++] = ref;
    };

REF_CHECKS[BtfKind.ARRAY] = (g, id, w) => {
  const elem = g.words[w + 3]!;
  if (elem >= g.count) throw g.outOfRange(id, elem, "ARRAY element type");
  if (g.words[w + 4]! >= g.count) throw g.outOfRange(id, g.words[w + 4]!, "ARRAY index type");
  if (elem === 0) throw new BtfError("ARRAY element type is void", { typeId: id });
  g.edges[g.ne++] = elem;
};

REF_CHECKS[BtfKind.STRUCT] = REF_CHECKS[BtfKind.UNION] = (g, id, w) => {
  const { words, edges, count } = g;
  const info = words[w + 1]!;
  const kind = (info >>> 24) & 0x1f;
  const vlen = info & 0xffff;
  const kflag = info >>> 31 === 1;
  const size = words[w + 2]!;
  let ne = g.ne;
  let last = 0;
  for (let m = 0, p = w + 3; m < vlen; m++, p += 3) {
    const type = words[p + 1]!;
    const off = words[p + 2]!;
    const bitsOffset = kflag ? off & 0xffffff : off;
    if ((kind === BtfKind.UNION && bitsOffset !== 0) || bitsOffset < last || Math.ceil(bitsOffset / 8) > size || type >= count || type === 0) {
      throw badMember(kind, m, g.name(p), bitsOffset, last, size, type, count, id);
    }
    last = bitsOffset;
    if (kflag) checkKflagMember(g, kind, m, p, off, size, id);
    edges[ne++] = type;
  }
  g.ne = ne;
};

REF_CHECKS[BtfKind.FUNC] = (g, id, w) => {
  const proto = g.words[w + 2]!;
  if (proto >= g.count) throw g.outOfRange(id, proto, "FUNC prototype");
  const k = g.kindById[proto]!;
  if (k !== BtfKind.FUNC_PROTO) {
    throw new BtfError(`FUNC '${g.name(w)}' refers to type ${proto} of kind ${kindName(k)}, expected FUNC_PROTO`, { typeId: id });
  }
  g.edges[g.ne++] = proto;
};

REF_CHECKS[BtfKind.FUNC_PROTO] = (g, id, w) => {
  const { words, edges, count, kindById } = g;
  const vlen = words[w + 1]! & 0xffff;
  const ret = words[w + 2]!;
  if (ret >= count) throw g.outOfRange(id, ret, "FUNC_PROTO return type");
  if (NOT_A_TYPE[kindById[ret]!]) throw g.notAType(id, "FUNC_PROTO return type", ret);
  let ne = g.ne;
  edges[ne++] = ret;
  for (let p = 0, q = w + 3; p < vlen; p++, q += 2) {
    const type = words[q + 1]!;
    if (type >= count) throw g.outOfRange(id, type, `FUNC_PROTO parameter ${p}`);
    if (NOT_A_TYPE[kindById[type]!]) throw g.notAType(id, `FUNC_PROTO parameter ${p}`, type);
    edges[ne++] = type;
  }
  g.ne = ne;
};

REF_CHECKS[BtfKind.VAR] = (g, id, w) => {
  const type = g.words[w + 2]!;
  if (type >= g.count) throw g.outOfRange(id, type, `VAR '${g.name(w)}'`);
  if (type === 0) throw new BtfError(`VAR '${g.name(w)}' has type void`, { typeId: id });
  if (NOT_A_TYPE[g.kindById[type]!] || g.kindById[type] === BtfKind.FUNC_PROTO) throw g.notAType(id, `VAR '${g.name(w)}'`, type);
  g.edges[g.ne++] = type;
};

REF_CHECKS[BtfKind.DATASEC] = (g, id, w) => {
  const vlen = g.words[w + 1]! & 0xffff;
  for (let v = 0, p = w + 3; v < vlen; v++, p += 3) {
    const ref = g.words[p]!;
    if (ref >= g.count) throw g.outOfRange(id, ref, `DATASEC '${g.name(w)}' entry ${v}`);
    const k = g.kindById[ref]!;
    if (k !== BtfKind.VAR && k !== BtfKind.FUNC) {
      throw new BtfError(`DATASEC '${g.name(w)}' entry ${v} refers to type ${ref} of kind ${kindName(k)}, expected VAR or FUNC`, { typeId: id });
    }
    g.edges[g.ne++] = ref;
  }
};

REF_CHECKS[BtfKind.DECL_TAG] = (g, id, w) => {
  const target = g.words[w + 2]!;
  if (target >= g.count) throw g.outOfRange(id, target, `DECL_TAG '${g.name(w)}'`);
  g.declTags.push(id - g.start);
};

/** The kind_flag member checks: a non-bitfield byte-aligned, a bitfield inside the struct. */
function checkKflagMember(g: RefCheck, kind: number, m: number, p: number, off: number, size: number, id: number): void {
  const bits = off & 0xffffff;
  const bitfield = off >>> 24;
  if (bitfield === 0 && bits % 8 !== 0) {
    throw new BtfError(`member ${m} ('${g.name(p)}') is not a bitfield but its bit offset ${bits} is not byte-aligned`, { typeId: id });
  }
  if (bitfield > 0 && bits + bitfield > size * 8) {
    throw new BtfError(`bitfield member ${m} ('${g.name(p)}') ends at bit ${bits + bitfield}, past the ${size * 8}-bit ${kindName(kind)}`, { typeId: id });
  }
}

/** Kind of every id below typeCount (void, the base's and own types), as one byte array. */
function kindsById(btf: Btf, raw: RawTypeSource): Uint8Array {
  const start = btf.startId;
  const out = new Uint8Array(start + raw.kinds.length);
  for (let id = 1; id < start; id++) out[id] = btf.kindOf(id);
  out.set(raw.kinds, start);
  return out;
}

/** The error for a struct/union member that breaks one of validateRaw's member checks, in the order they are made. */
function badMember(kind: number, m: number, name: string, bitsOffset: number, last: number, size: number, type: number, count: number, id: number): BtfError {
  if (kind === BtfKind.UNION && bitsOffset !== 0) {
    return new BtfError(`member ${m} ('${name}') of a UNION must be at bit offset 0, is at ${bitsOffset}`, { typeId: id });
  }
  if (bitsOffset < last) return new BtfError(`member ${m} ('${name}') at bit offset ${bitsOffset} comes before the previous member (bit ${last})`, { typeId: id });
  if (Math.ceil(bitsOffset / 8) > size) {
    return new BtfError(`member ${m} ('${name}') bit offset ${bitsOffset} is past the end of the ${size}-byte ${kindName(kind)}`, { typeId: id });
  }
  if (type >= count) return new BtfError(`member ${m} ('${name}') refers to type id ${type}, but the last type id is ${count - 1}`, { typeId: id });
  return new BtfError(`member ${m} ('${name}') has type void`, { typeId: id });
}

/**
 * Deepest nesting btfsnoop accepts: chains of modifiers, typedefs, arrays and
 * by-value members, and chains of pointers. The kernel bounds its resolver
 * with MAX_RESOLVE_DEPTH (32) unresolved types; real kernels' longest chains
 * are a few dozen. The bound keeps every walker's recursion far from the JS stack limit.
 */
export const MAX_TYPE_DEPTH = 512;

/** Kinds that are not data types: nothing may point to, contain, pass or return them. */
/** Modifier kinds resolution strips (typedef, const, volatile, restrict, type tag). */
const MODIFIER = (() => {
  const s = new Uint8Array(32);
  for (const k of [BtfKind.TYPEDEF, BtfKind.CONST, BtfKind.VOLATILE, BtfKind.RESTRICT, BtfKind.TYPE_TAG]) s[k] = 1;
  return s;
})();

const NOT_A_TYPE = (() => {
  const s = new Uint8Array(32);
  for (const k of [BtfKind.VAR, BtfKind.DATASEC, BtfKind.DECL_TAG, BtfKind.FUNC]) s[k] = 1;
  return s;
})();

/** Kinds with a size once typedefs and modifiers are stripped (arrays: if their element has one). */
const SIZED = (() => {
  const s = new Uint8Array(32);
  for (const k of [BtfKind.INT, BtfKind.PTR, BtfKind.ARRAY, BtfKind.STRUCT, BtfKind.UNION, BtfKind.ENUM, BtfKind.ENUM64, BtfKind.FLOAT]) s[k] = 1;
  return s;
})();

const U32_MAX = 0xffffffff;

/**
 * The kernel's resolve-phase checks (btf_array_resolve, btf_struct_resolve,
 * btf_func_proto_check, btf_datasec_resolve): array elements sized and
 * indexes integers, array sizes within u32, by-value members sized, aligned
 * and inside their struct (int bitfields by their bits), bitfields only on
 * integers and enums, parameters sized, DATASEC variables sorted. Resolved
 * ids and sizes are memoized per type, so this is linear in the input.
 * Per-kind checks are small functions called through a table (RESOLVE_CHECKS),
 * so each is optimized on its own, early, and the loop stays small.
 */
function checkResolved(btf: Btf, raw: RawTypeSource, kindById: Uint8Array): void {
  const { starts, kinds } = raw;
  const start = btf.startId;
  const n = kinds.length;
  const r = new Resolver(btf, raw, kindById);
  for (let i = 0; i < n; i++) {
    const check = RESOLVE_CHECKS[kinds[i]!];
    if (check !== undefined) check(r, start + i, starts[i]!);
  }
}

/** Chain resolution and sizes over the records, memoized per own type (chains are loop-free and bounded: checked before). */
class Resolver {
  readonly words: Uint32Array;
  readonly starts: Uint32Array;
  readonly start: number;
  /** Own index -> resolved id (-1 unknown). */
  private readonly resolvedMemo: Int32Array;
  /** Own index -> size in bytes (NaN unknown, -1 unsized). */
  private readonly sizeMemo: Float64Array;
  /** Own indexes along the chain being resolved (at most MAX_TYPE_DEPTH long: checkPointerChains ran first). */
  private readonly path = new Int32Array(MAX_TYPE_DEPTH + 2);

  constructor(
    private readonly btf: Btf,
    readonly raw: RawTypeSource,
    readonly kindById: Uint8Array,
  ) {
    const n = raw.kinds.length;
    this.words = raw.words;
    this.starts = raw.starts;
    this.start = btf.startId;
    this.resolvedMemo = new Int32Array(n).fill(-1);
    this.sizeMemo = new Float64Array(n).fill(NaN);
  }

  /** The id a type refers to (size_type field); for own types read from the record. */
  private refOf(id: number): number {
    const i = id - this.start;
    return i >= 0 ? this.words[this.starts[i]! + 2]! : (this.btf.decodeType(id) as { type: number }).type;
  }

  /** Strips modifiers and typedefs; memoized for own types along the whole chain. */
  resolve(id: number): number {
    let i = id - this.start;
    if (i >= 0 && this.resolvedMemo[i]! >= 0) return this.resolvedMemo[i]!;
    if (!MODIFIER[this.kindById[id]!]) return id;
    return this.resolveChain(id);
  }

  private resolveChain(id: number): number {
    const { resolvedMemo, kindById, path, start } = this;
    let np = 0;
    let cur = id;
    for (;;) {
      const i = cur - start;
      if (i >= 0 && resolvedMemo[i]! >= 0) {
        cur = resolvedMemo[i]!;
        break;
      }
      if (!MODIFIER[kindById[cur]!]) break;
      if (i >= 0) path[np++] = i;
      cur = this.refOf(cur);
    }
    for (let k = 0; k < np; k++) resolvedMemo[path[k]!] = cur;
    return cur;
  }

  /** Size in bytes of a sized type (arrays multiplied out; may exceed u32, the caller checks), -1 if unsized. */
  sizeOf(id0: number): number {
    const id = this.resolve(id0);
    const i = id - this.start;
    if (i >= 0) {
      const memo = this.sizeMemo[i]!;
      if (memo === memo) return memo; // not NaN
    }
    const k = this.kindById[id]!;
    let size: number;
    if (k === BtfKind.PTR) size = 8;
    else if (k === BtfKind.ARRAY) size = this.arraySize(id, i);
    else if (SIZED[k]) size = i >= 0 ? this.words[this.starts[i]! + 2]! : (this.btf.decodeType(id) as { size: number }).size;
    else size = -1;
    if (i >= 0) this.sizeMemo[i] = size;
    return size;
  }

  private arraySize(id: number, i: number): number {
    let elem: number;
    let nelems: number;
    if (i >= 0) {
      elem = this.words[this.starts[i]! + 3]!;
      nelems = this.words[this.starts[i]! + 5]!;
    } else {
      const a = this.btf.decodeType(id) as { type: number; nelems: number };
      elem = a.type;
      nelems = a.nelems;
    }
    const e = this.sizeOf(elem); // depth bounded by MAX_TYPE_DEPTH (checked before)
    return e < 0 ? -1 : e * nelems;
  }

  /** nr_bits of an INT type. */
  intBits(id: number): number {
    const i = id - this.start;
    return i >= 0 ? this.words[this.starts[i]! + 3]! & 0xff : (this.btf.decodeType(id) as { nrBits: number }).nrBits;
  }

  /** bits_offset of an INT type. */
  intBitsOffset(id: number): number {
    const i = id - this.start;
    return i >= 0 ? (this.words[this.starts[i]! + 3]! >>> 16) & 0xff : (this.btf.decodeType(id) as { bitsOffset: number }).bitsOffset;
  }

  kindAt(id: number): string {
    return id === 0 ? "void" : `a ${kindName(this.kindById[id]!)}`;
  }

  name(p: number): string {
    return this.raw.name(this.words[p]!);
  }
}

/** Checks the resolved types the record of `id` at word `w` uses. */
type ResolveChecker = (r: Resolver, id: number, w: number) => void;

const RESOLVE_CHECKS: (ResolveChecker | undefined)[] = [];

RESOLVE_CHECKS[BtfKind.ARRAY] = (r, id, w) => {
  const words = r.words;
  const elem = words[w + 3]!;
  const index = r.resolve(words[w + 4]!);
  if (r.kindById[index] !== BtfKind.INT) {
    throw new BtfError(`ARRAY index type ${words[w + 4]!} is ${r.kindAt(index)}, not an integer`, { typeId: id });
  }
  const elemSize = r.sizeOf(elem);
  if (elemSize < 0) throw new BtfError(`ARRAY element type ${elem} is ${r.kindAt(r.resolve(elem))}, which has no size`, { typeId: id });
  const nelems = words[w + 5]!;
  if (elemSize * nelems > U32_MAX) throw new BtfError(`ARRAY of ${nelems} elements of ${elemSize} bytes overflows the u32 size limit`, { typeId: id });
};

RESOLVE_CHECKS[BtfKind.STRUCT] = RESOLVE_CHECKS[BtfKind.UNION] = (r, id, w) => {
  const words = r.words;
  const info = words[w + 1]!;
  const vlen = info & 0xffff;
  const kflag = info >>> 31 === 1;
  const size = words[w + 2]!;
  for (let m = 0, p = w + 3; m < vlen; m++, p += 3) {
    const type = words[p + 1]!;
    const msize = r.sizeOf(type);
    if (msize < 0) throw new BtfError(`member ${m} ('${r.name(p)}') has type ${type} of kind ${kindName(r.kindById[r.resolve(type)]!)}, which has no size`, { typeId: id });
    const off = words[p + 2]!;
    if (kflag) {
      if (off >>> 24 > 0) checkKflagBitfield(r, m, p, type, msize, off >>> 24, id);
      else checkByteMember(r, info, m, p, type, off & 0xffffff, msize, size, id);
    } else if (r.kindById[r.resolve(type)] === BtfKind.INT) checkIntMember(r, info, m, p, type, off, size, id);
    else checkByteMember(r, info, m, p, type, off, msize, size, id);
  }
};

/** A kind_flag bitfield: only on integers and enums, no wider than them (btf_*_check_kflag_member); its position was checked by bits in validateRaw. */
function checkKflagBitfield(r: Resolver, m: number, p: number, type: number, msize: number, bitfield: number, id: number): void {
  const rtype = r.resolve(type);
  const rkind = r.kindById[rtype]!;
  const isEnum = rkind === BtfKind.ENUM || rkind === BtfKind.ENUM64;
  const width = rkind === BtfKind.INT ? r.intBits(rtype) : isEnum ? msize * 8 : -1;
  if (width < 0) throw new BtfError(`member ${m} ('${r.name(p)}') is a ${bitfield}-bit bitfield of ${r.kindAt(rtype)}; only integers and enums can be bitfields`, { typeId: id });
  if (bitfield > width) throw new BtfError(`member ${m} ('${r.name(p)}') is a ${bitfield}-bit bitfield of a ${width}-bit type`, { typeId: id });
}

/** An INT member without kind_flag: an old-style bitfield in the INT encoding, checked in bits, not bytes (btf_int_check_member). */
function checkIntMember(r: Resolver, info: number, m: number, p: number, type: number, bitsOffset: number, size: number, id: number): void {
  const rtype = r.resolve(type);
  const nrBits = r.intBits(rtype);
  const bits = bitsOffset + r.intBitsOffset(rtype);
  const copyBits = nrBits + (bits % 8);
  if (Math.floor(bits / 8) + Math.ceil(copyBits / 8) > size) {
    throw new BtfError(`member ${m} ('${r.name(p)}') at bit ${bitsOffset} with ${nrBits} bits extends past the ${size}-byte ${kindName((info >>> 24) & 0x1f)}`, { typeId: id });
  }
}

/** A member that is not a bitfield: byte-aligned and inside its struct. */
function checkByteMember(r: Resolver, info: number, m: number, p: number, type: number, bitsOffset: number, msize: number, size: number, id: number): void {
  if (bitsOffset % 8 !== 0) throw new BtfError(`member ${m} ('${r.name(p)}') of ${r.kindAt(r.resolve(type))} is not byte-aligned (bit offset ${bitsOffset})`, { typeId: id });
  if (bitsOffset / 8 + msize > size) {
    throw new BtfError(`member ${m} ('${r.name(p)}') at byte ${bitsOffset / 8} with size ${msize} extends past the ${size}-byte ${kindName((info >>> 24) & 0x1f)}`, { typeId: id });
  }
}

RESOLVE_CHECKS[BtfKind.FUNC_PROTO] = (r, id, w) => {
  const words = r.words;
  const vlen = words[w + 1]! & 0xffff;
  const ret = words[w + 2]!;
  if (ret !== 0 && r.sizeOf(ret) < 0) throw new BtfError(`FUNC_PROTO return type ${ret} is ${r.kindAt(r.resolve(ret))}, which has no size`, { typeId: id });
  for (let a = 0, q = w + 3; a < vlen; a++, q += 2) {
    const type = words[q + 1]!;
    if (type === 0) continue; // the variadic marker (position checked by the parser)
    if (r.sizeOf(type) < 0) throw new BtfError(`FUNC_PROTO parameter ${a} has type ${type}, ${r.kindAt(r.resolve(type))}, which has no size`, { typeId: id });
  }
};

RESOLVE_CHECKS[BtfKind.DATASEC] = (r, id, w) => {
  const words = r.words;
  const vlen = words[w + 1]! & 0xffff;
  if (words[w + 2]! === 0) return; // unlinked objects: offsets and sizes are filled in by the loader
  let lastEnd = 0;
  for (let v = 0, p = w + 3; v < vlen; v++, p += 3) {
    const off = words[p + 1]!;
    const vsize = words[p + 2]!;
    if (vsize === 0) throw new BtfError(`DATASEC variable ${v} has size 0`, { typeId: id });
    if (off < lastEnd) throw new BtfError(`DATASEC variable ${v} at offset ${off} overlaps the previous one (ends at ${lastEnd}); variables must be sorted`, { typeId: id });
    lastEnd = off + vsize;
  }
};

function checkDeclTag(btf: Btf, id: number, tag: string, target: number, componentIdx: number): void {
  const t = btf.decodeType(target);
  let components: number;
  switch (t.kind) {
    case BtfKind.STRUCT:
    case BtfKind.UNION:
      components = t.members.length;
      break;
    case BtfKind.FUNC: {
      const proto = btf.decodeType(t.type);
      components = proto.kind === BtfKind.FUNC_PROTO ? proto.params.length : 0;
      break;
    }
    case BtfKind.VAR:
    case BtfKind.TYPEDEF:
      components = 0;
      break;
    default:
      throw new BtfError(`DECL_TAG '${tag}' is attached to a ${kindName(t.kind)}; it must tag a struct, union, func, var or typedef`, { typeId: id });
  }
  if (componentIdx >= components) {
    throw new BtfError(`DECL_TAG '${tag}' component_idx ${componentIdx} is out of range (target has ${components} components)`, { typeId: id });
  }
}

const PTR_OR_MODIFIER = (() => {
  const s = new Uint8Array(32);
  for (const k of [BtfKind.PTR, BtfKind.TYPEDEF, BtfKind.CONST, BtfKind.VOLATILE, BtfKind.RESTRICT, BtfKind.TYPE_TAG]) s[k] = 1;
  return s;
})();

/**
 * Chains made only of pointers and modifiers (each has one target): they must
 * end (the kernel rejects `typedef T *T`-style loops) and stay within
 * MAX_TYPE_DEPTH. A functional graph, so one pass with memoized lengths.
 */
function checkPointerChains(btf: Btf, raw: RawTypeSource): void {
  const { words, starts, kinds } = raw;
  const start = btf.startId;
  const n = kinds.length;
  const len = new Int32Array(n); // 0 unknown, -1 on the current walk, > 0 chain length
  const walk: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!PTR_OR_MODIFIER[kinds[i]!] || len[i] !== 0) continue;
    walk.length = 0;
    let j = i;
    let tail = 0;
    for (;;) {
      if (len[j]! > 0) {
        tail = len[j]!;
        break;
      }
      if (len[j] === -1) {
        const from = walk.indexOf(j);
        const loop = walk.slice(from).map((k) => `[${k + start}] ${kindName(kinds[k]!)}`);
        throw new BtfError(`type loop through pointers and modifiers: ${loop.join(" -> ")} -> [${j + start}]`, { typeId: j + start }, {
          hint: "a pointer or modifier chain must end in a type that is neither",
        });
      }
      len[j] = -1;
      walk.push(j);
      const next = words[starts[j]! + 2]! - start;
      if (next < 0 || !PTR_OR_MODIFIER[kinds[next]!]) break;
      j = next;
    }
    for (let k = walk.length - 1; k >= 0; k--) {
      tail++;
      len[walk[k]!] = tail;
      if (tail > MAX_TYPE_DEPTH) {
        throw new BtfError(`pointer/modifier chain longer than ${MAX_TYPE_DEPTH}`, { typeId: walk[k]! + start }, {
          errno: "E2BIG",
          hint: "no real kernel's BTF nests this deep; the input is likely generated or corrupt",
        });
      }
    }
  }
}

/** Iterative three-colour DFS over own types; a back edge is a loop the kernel would reject. */
function checkCycles(btf: Btf, raw: RawTypeSource, edgeStart: Uint32Array, edges: Uint32Array): void {
  const start = btf.startId;
  const n = raw.kinds.length;
  const state = new Uint8Array(n); // 0 new, 1 on stack, 2 done
  const stack = new Int32Array(n);
  const cursor = new Uint32Array(n);
  // Longest chain of size edges below each type (1 for a leaf), computed as the DFS finishes it.
  const height = new Uint16Array(n);
  for (let root = 0; root < n; root++) {
    if (state[root] !== 0) continue;
    let depth = 0;
    stack[0] = root;
    cursor[0] = edgeStart[root]!;
    state[root] = 1;
    while (depth >= 0) {
      const node = stack[depth]!;
      const e = cursor[depth]!;
      if (e >= edgeStart[node + 1]!) {
        state[node] = 2;
        let h = 0;
        for (let k = edgeStart[node]!; k < edgeStart[node + 1]!; k++) {
          const c = edges[k]! - start;
          if (c >= 0 && height[c]! > h) h = height[c]!;
        }
        height[node] = h + 1;
        if (h + 1 > MAX_TYPE_DEPTH) {
          throw new BtfError(`type nests more than ${MAX_TYPE_DEPTH} levels deep (typedefs, modifiers, arrays or by-value members)`, { typeId: node + start }, {
            errno: "E2BIG",
            hint: "no real kernel's BTF nests this deep; the input is likely generated or corrupt",
          });
        }
        depth--;
        continue;
      }
      cursor[depth] = e + 1;
      const next = edges[e]! - start;
      if (next < 0) continue; // void or a base type (validated with the base)
      const s = state[next];
      if (s === 1) {
        const onStack = Array.from(stack.subarray(0, depth + 1));
        const cycle = onStack.slice(onStack.indexOf(next)).map((i) => `[${i + start}] ${kindName(raw.kinds[i]!)}`);
        throw new BtfError(`type loop: ${cycle.join(" -> ")} -> [${next + start}]`, { typeId: next + start }, {
          hint: "a type may only refer back to itself through a pointer",
        });
      }
      if (s === 0) {
        state[next] = 1;
        depth++;
        stack[depth] = next;
        cursor[depth] = edgeStart[next]!;
      }
    }
  }
}
