// Seeded mutation test for parseBtf: thousands of corrupted variants of valid
// BTF blobs must each either parse or throw a BtfError (never another
// exception type, never hang). Inputs: small blobs built here, a closed subset
// of the vmlinux fixture re-encoded (a valid blob of ~1500 types), a raw
// vmlinux prefix (header + first 64 KiB of records + the full string table),
// the full vmlinux (truncations and header damage only, which fail fast), and
// any *.btf files under test/fixtures/btf/.
//
// Reproduce a failure with BTF_MUTATION_SEED=<seed>; every failure message
// names the seed, the input, the case index and the mutation.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { Btf } from "../../src/btf/btf.js";
import { BtfError } from "../../src/btf/errors.js";
import { BtfKind as K, encodedTypeSize } from "../../src/btf/kinds.js";
import { parseBtf } from "../../src/btf/parse.js";
import { referencedIds, type BtfType } from "../../src/btf/types.js";

const SEED = (process.env.BTF_MUTATION_SEED ? Number(process.env.BTF_MUTATION_SEED) : 0x5eedb7f) >>> 0;
const SEED_HEX = `0x${SEED.toString(16)}`;

// ---------------------------------------------------------------------------
// PRNG (mulberry32).

class Rng {
  private a: number;
  constructor(seed: number) {
    this.a = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Integer in [lo, hi). */
  range(lo: number, hi: number): number {
    return hi <= lo ? lo : lo + this.int(hi - lo);
  }
  u32(): number {
    return (this.int(0x10000) * 0x10000 + this.int(0x10000)) >>> 0;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The generator of one case: depends only on the seed, the input's name and the case index. */
function caseRng(input: string, index: number): Rng {
  return new Rng((SEED ^ hashString(input) ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
}

// ---------------------------------------------------------------------------
// An encoder of our own (model -> bytes), so the test does not depend on encode.ts.

const utf8 = new TextEncoder();

function encodeTypes(types: readonly BtfType[], le = true): Uint8Array {
  const words: number[] = [];
  const strs: number[] = [0];
  const offsets = new Map<string, number>([["", 0]]);
  const s = (name: string): number => {
    let off = offsets.get(name);
    if (off === undefined) {
      off = strs.length;
      strs.push(...utf8.encode(name), 0);
      offsets.set(name, off);
    }
    return off;
  };
  for (const t of types) {
    const head = (vlen: number, kflag: boolean, sizeOrType: number): void => {
      words.push(s(t.name), ((kflag ? 0x80000000 : 0) | (t.kind << 24) | vlen) >>> 0, sizeOrType);
    };
    switch (t.kind) {
      case K.INT:
        head(0, false, t.size);
        words.push((t.encoding << 24) | (t.bitsOffset << 16) | t.nrBits);
        break;
      case K.PTR:
      case K.TYPEDEF:
      case K.VOLATILE:
      case K.CONST:
      case K.RESTRICT:
        head(0, false, t.type);
        break;
      case K.TYPE_TAG:
        head(0, t.kflag, t.type);
        break;
      case K.ARRAY:
        head(0, false, 0);
        words.push(t.type, t.indexType, t.nelems);
        break;
      case K.STRUCT:
      case K.UNION:
        head(t.members.length, t.kflag, t.size);
        for (const m of t.members) words.push(s(m.name), m.type, t.kflag ? (m.bitfieldSize << 24) | m.bitsOffset : m.bitsOffset);
        break;
      case K.ENUM:
        head(t.values.length, t.signed, t.size);
        for (const v of t.values) words.push(s(v.name), v.value);
        break;
      case K.ENUM64:
        head(t.values.length, t.signed, t.size);
        for (const v of t.values) {
          const u = BigInt.asUintN(64, v.value);
          words.push(s(v.name), Number(u & 0xffffffffn), Number(u >> 32n));
        }
        break;
      case K.FWD:
        head(0, t.union, 0);
        break;
      case K.FUNC:
        head(t.linkage, false, t.type);
        break;
      case K.FUNC_PROTO:
        head(t.params.length, false, t.returnType);
        for (const p of t.params) words.push(s(p.name), p.type);
        break;
      case K.VAR:
        head(0, false, t.type);
        words.push(t.linkage);
        break;
      case K.DATASEC:
        head(t.vars.length, false, t.size);
        for (const v of t.vars) words.push(v.type, v.offset, v.size);
        break;
      case K.FLOAT:
        head(0, false, t.size);
        break;
      case K.DECL_TAG:
        head(0, t.kflag, t.type);
        words.push(t.componentIdx);
        break;
    }
  }
  const typeLen = words.length * 4;
  const out = new Uint8Array(24 + typeLen + strs.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xeb9f, le);
  out[2] = 1;
  v.setUint32(4, 24, le);
  v.setUint32(8, 0, le);
  v.setUint32(12, typeLen, le);
  v.setUint32(16, typeLen, le);
  v.setUint32(20, strs.length, le);
  words.forEach((w, i) => v.setUint32(24 + 4 * i, w >>> 0, le));
  out.set(strs, 24 + typeLen);
  return out;
}

// ---------------------------------------------------------------------------
// Small hand-made inputs.

const int = (name: string, size = 4, encoding = 1): BtfType => ({ kind: K.INT, name, size, encoding, bitsOffset: 0, nrBits: size * 8 });

function allKinds(): BtfType[] {
  return [
    int("int"), // 1
    { kind: K.PTR, name: "", type: 4 }, // 2
    { kind: K.ARRAY, name: "", type: 1, indexType: 1, nelems: 4 }, // 3
    {
      kind: K.STRUCT, name: "s", size: 24, kflag: true,
      members: [
        { name: "a", type: 1, bitsOffset: 0, bitfieldSize: 3 },
        { name: "b", type: 1, bitsOffset: 32, bitfieldSize: 0 },
        { name: "arr", type: 3, bitsOffset: 64, bitfieldSize: 0 },
      ],
    }, // 4
    { kind: K.UNION, name: "u", size: 4, kflag: false, members: [{ name: "x", type: 1, bitsOffset: 0, bitfieldSize: 0 }, { name: "y", type: 6, bitsOffset: 0, bitfieldSize: 0 }] }, // 5
    { kind: K.ENUM, name: "e", size: 4, signed: true, values: [{ name: "A", value: -1 }, { name: "B", value: 2 }] }, // 6
    { kind: K.FWD, name: "f", union: true }, // 7
    { kind: K.TYPEDEF, name: "t", type: 5 }, // 8
    { kind: K.VOLATILE, name: "", type: 1 }, // 9
    { kind: K.CONST, name: "", type: 9 }, // 10
    { kind: K.RESTRICT, name: "", type: 2 }, // 11
    { kind: K.FUNC_PROTO, name: "", returnType: 1, params: [{ name: "a", type: 1 }, { name: "", type: 0 }] }, // 12
    { kind: K.FUNC, name: "fn", type: 12, linkage: 1 }, // 13
    { kind: K.VAR, name: "v", type: 1, linkage: 1 }, // 14
    { kind: K.DATASEC, name: ".data", size: 8, vars: [{ type: 14, offset: 0, size: 4 }] }, // 15
    { kind: K.FLOAT, name: "double", size: 8 }, // 16
    { kind: K.DECL_TAG, name: "tag1", type: 4, componentIdx: 0, kflag: false }, // 17
    { kind: K.DECL_TAG, name: "tag2", type: 13, componentIdx: -1, kflag: false }, // 18
    { kind: K.TYPE_TAG, name: "user", type: 1, kflag: false }, // 19
    { kind: K.ENUM64, name: "e64", size: 8, signed: false, values: [{ name: "BIG", value: 1n << 40n }] }, // 20
    { kind: K.PTR, name: "", type: 19 }, // 21
  ];
}

/** Linked structures and modifier chains: mutated ids easily make loops. */
function linked(): BtfType[] {
  return [
    int("int"), // 1
    { kind: K.STRUCT, name: "node", size: 16, kflag: false, members: [{ name: "val", type: 1, bitsOffset: 0, bitfieldSize: 0 }, { name: "next", type: 3, bitsOffset: 64, bitfieldSize: 0 }] }, // 2
    { kind: K.PTR, name: "", type: 2 }, // 3
    { kind: K.STRUCT, name: "list", size: 32, kflag: false, members: [{ name: "head", type: 2, bitsOffset: 0, bitfieldSize: 0 }, { name: "tail", type: 3, bitsOffset: 128, bitfieldSize: 0 }] }, // 4
    { kind: K.TYPEDEF, name: "list_t", type: 4 }, // 5
    { kind: K.CONST, name: "", type: 5 }, // 6
    { kind: K.VOLATILE, name: "", type: 6 }, // 7
    { kind: K.TYPEDEF, name: "cv_list_t", type: 7 }, // 8
    { kind: K.ARRAY, name: "", type: 8, indexType: 1, nelems: 2 }, // 9
    { kind: K.UNION, name: "any", size: 64, kflag: false, members: [{ name: "lists", type: 9, bitsOffset: 0, bitfieldSize: 0 }, { name: "n", type: 2, bitsOffset: 0, bitfieldSize: 0 }] }, // 10
    { kind: K.FUNC_PROTO, name: "", returnType: 3, params: [{ name: "l", type: 5 }, { name: "u", type: 10 }] }, // 11
    { kind: K.FUNC, name: "walk", type: 11, linkage: 0 }, // 12
  ];
}

function variadic(): BtfType[] {
  return [
    int("int"),
    int("char", 1, 2),
    { kind: K.CONST, name: "", type: 2 },
    { kind: K.PTR, name: "", type: 3 },
    { kind: K.FUNC_PROTO, name: "", returnType: 1, params: [{ name: "fmt", type: 4 }, { name: "", type: 0 }] },
    { kind: K.FUNC, name: "printk", type: 5, linkage: 1 },
    { kind: K.DECL_TAG, name: "format", type: 6, componentIdx: 0, kflag: false },
  ];
}

// ---------------------------------------------------------------------------
// vmlinux inputs.

const VMLINUX_GZ = new URL("../fixtures/vmlinux-6.18/vmlinux.btf.gz", import.meta.url);
let vmlinuxCache: Uint8Array | undefined;
function vmlinux(): Uint8Array {
  vmlinuxCache ??= new Uint8Array(gunzipSync(readFileSync(VMLINUX_GZ)));
  return vmlinuxCache;
}

/**
 * A valid BTF made of a subset of vmlinux's types closed under references
 * (re-numbered, re-encoded): a mix of every kind, ~`budget` types.
 */
function vmlinuxSubset(full: Btf, budget: number, maxClosure: number): BtfType[] {
  const chosen = new Set<number>();
  const tryAdd = (root: number): boolean => {
    const seen = new Set<number>();
    const stack = [root];
    while (stack.length) {
      const id = stack.pop()!;
      if (id === 0 || chosen.has(id) || seen.has(id)) continue;
      const t = full.typeById(id);
      if (t.kind === K.DATASEC) return false;
      seen.add(id);
      if (seen.size > maxClosure) return false;
      for (const r of referencedIds(t)) stack.push(r);
    }
    if (chosen.size + seen.size > budget) return false;
    for (const id of seen) chosen.add(id);
    return true;
  };
  const rng = new Rng(0x0b7f5ec7); // fixed: the subset does not depend on the mutation seed
  const ids = rng.shuffle(Array.from({ length: full.typeCount - 1 }, (_, i) => i + 1));
  const byKind = new Map<number, number[]>();
  for (const id of ids) {
    const k = full.typeById(id).kind;
    let l = byKind.get(k);
    if (!l) byKind.set(k, (l = []));
    l.push(id);
  }
  // A few of every kind first, then fill the budget.
  for (const list of byKind.values()) {
    let added = 0;
    for (let i = 0; i < list.length && i < 200 && added < 3; i++) if (tryAdd(list[i]!)) added++;
  }
  for (let i = 0; i < ids.length && i < 30000 && chosen.size < budget * 0.95; i++) tryAdd(ids[i]!);

  const order = [...chosen].sort((a, b) => a - b);
  const newId = new Map<number, number>(order.map((id, i) => [id, i + 1]));
  const m = (id: number): number => (id === 0 ? 0 : newId.get(id)!);
  const out = order.map((id) => remap(full.typeById(id) as BtfType, m));
  // The DATASECs, trimmed to the chosen VARs.
  for (const id of full.idsOfKind(K.DATASEC)) {
    const ds = full.typeById(id);
    if (ds.kind !== K.DATASEC) continue;
    const vars = ds.vars.filter((v) => newId.has(v.type)).map((v) => ({ ...v, type: m(v.type) }));
    if (vars.length) out.push({ ...ds, vars });
  }
  return out;
}

function remap(t: BtfType, m: (id: number) => number): BtfType {
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
      return { ...t, type: m(t.type) };
    case K.ARRAY:
      return { ...t, type: m(t.type), indexType: m(t.indexType) };
    case K.STRUCT:
    case K.UNION:
      return { ...t, members: t.members.map((x) => ({ ...x, type: m(x.type) })) };
    case K.FUNC_PROTO:
      return { ...t, returnType: m(t.returnType), params: t.params.map((p) => ({ ...p, type: m(p.type) })) };
    case K.DATASEC:
      return { ...t, vars: t.vars.map((v) => ({ ...v, type: m(v.type) })) };
    default:
      return { ...t };
  }
}

/** vmlinux header + its first records up to `limit` bytes + the full string table (raw pahole bytes). */
function vmlinuxPrefix(raw: Uint8Array, limit: number): Uint8Array {
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const typeLen = v.getUint32(12, true);
  const strLen = v.getUint32(20, true);
  let pos = 24;
  while (pos - 24 < limit) {
    const inf = v.getUint32(pos + 4, true);
    pos += encodedTypeSize((inf >>> 24) & 0x1f, inf & 0xffff);
  }
  const len = pos - 24;
  const out = new Uint8Array(24 + len + strLen);
  out.set(raw.subarray(0, 24 + len));
  out.set(raw.subarray(24 + typeLen, 24 + typeLen + strLen), 24 + len);
  const ov = new DataView(out.buffer);
  ov.setUint32(12, len, true);
  ov.setUint32(16, len, true);
  return out;
}

// ---------------------------------------------------------------------------
// Inputs and their layout.

interface Input {
  name: string;
  bytes: Uint8Array;
  base?: Btf;
  le: boolean;
  hdrLen: number;
  typeStart: number;
  typeEnd: number;
  strStart: number;
  strEnd: number;
  /** Blob offsets of the type records. */
  records: number[];
  /** Ids in use (valid ids are < typeCount). */
  typeCount: number;
  /** Whether the unmutated input parses. */
  valid: boolean;
  /** Time to parse the unmutated input, ms. */
  baselineMs: number;
  /** Limit mutations of the type section to its first this-many bytes. */
  typeWindow: number;
}

function describeInput(name: string, bytes: Uint8Array, base?: Btf, typeWindow = Infinity): Input {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = v.getUint16(0, true) === 0xeb9f;
  const hdrLen = v.getUint32(4, le);
  const typeStart = hdrLen + v.getUint32(8, le);
  const typeEnd = typeStart + v.getUint32(12, le);
  const strStart = hdrLen + v.getUint32(16, le);
  const strEnd = strStart + v.getUint32(20, le);
  const records: number[] = [];
  for (let pos = typeStart; pos + 12 <= typeEnd; ) {
    records.push(pos);
    const inf = v.getUint32(pos + 4, le);
    const size = encodedTypeSize((inf >>> 24) & 0x1f, inf & 0xffff);
    if (size <= 0) break;
    pos += size;
  }
  const t0 = performance.now();
  let valid = true;
  try {
    parseBtf(bytes, base ? { base } : {});
  } catch {
    valid = false;
  }
  const baselineMs = performance.now() - t0;
  const typeCount = (base ? base.typeCount : 1) + records.length;
  return { name, bytes, base, le, hdrLen, typeStart, typeEnd, strStart, strEnd, records, typeCount, valid, baselineMs, typeWindow };
}

// ---------------------------------------------------------------------------
// Mutations.

interface Mutation {
  bytes: Uint8Array;
  desc: string;
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

function interesting(rng: Rng, inp: Input): number {
  const strLen = inp.strEnd - inp.strStart;
  const typeLen = inp.typeEnd - inp.typeStart;
  const dataLen = inp.bytes.length - inp.hdrLen;
  const values = [
    0, 1, 2, 3, 4, 7, 8, 12, 16, 24, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0xfffff, 0x100000, 0xffffff, 0x1000000,
    0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
    inp.typeCount - 1, inp.typeCount, inp.typeCount + 1,
    strLen - 1, strLen, strLen + 1, typeLen, typeLen + 4, dataLen, dataLen + 1,
  ];
  return rng.chance(0.1) ? rng.u32() : rng.pick(values) >>> 0;
}

/** A position to damage: mostly the header and the (first window of the) type section. */
function position(rng: Rng, inp: Input): number {
  const len = inp.bytes.length;
  const r = rng.next();
  if (r < 0.25) return rng.int(Math.min(inp.hdrLen, len));
  if (r < 0.8 && inp.typeEnd > inp.typeStart) return rng.range(inp.typeStart, Math.min(inp.typeEnd, inp.typeStart + inp.typeWindow, len));
  if (r < 0.92 && inp.strEnd > inp.strStart) return rng.range(inp.strStart, Math.min(inp.strEnd, len));
  return rng.int(len);
}

function copy(b: Uint8Array): Uint8Array {
  return b.slice();
}
function setU32(b: Uint8Array, off: number, value: number, le: boolean): void {
  if (off + 4 <= b.length) new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(off, value >>> 0, le);
}
function getU32(b: Uint8Array, off: number, le: boolean): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(off, le);
}
/** Records inside the mutation window. */
function windowRecords(inp: Input): number[] {
  const limit = inp.typeStart + inp.typeWindow;
  let n = inp.records.length;
  while (n > 1 && inp.records[n - 1]! >= limit) n--;
  return inp.records.slice(0, n);
}

type Mutator = (rng: Rng, inp: Input) => Mutation;

const flipBits: Mutator = (rng, inp) => {
  const b = copy(inp.bytes);
  const n = 1 + rng.int(4);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const at = position(rng, inp);
    const mask = 1 << rng.int(8);
    b[at] = b[at]! ^ mask;
    parts.push(`${at}^${hex(mask)}`);
  }
  return { bytes: b, desc: `flip bits ${parts.join(",")}` };
};

const randomBytes: Mutator = (rng, inp) => {
  const b = copy(inp.bytes);
  const at = position(rng, inp);
  const n = 1 + rng.int(8);
  for (let i = 0; i < n && at + i < b.length; i++) b[at + i] = rng.int(256);
  return { bytes: b, desc: `${n} random bytes at ${at}` };
};

const overwriteU32: Mutator = (rng, inp) => {
  const b = copy(inp.bytes);
  let at = position(rng, inp);
  if (rng.chance(0.9)) at -= at % 4;
  const value = interesting(rng, inp);
  setU32(b, at, value, inp.le);
  return { bytes: b, desc: `u32 at ${at} = ${hex(value)}` };
};

/** One word of one record (name, info, size/type, or an entry field) set to an interesting value. */
const recordField: Mutator = (rng, inp) => {
  const recs = windowRecords(inp);
  if (!recs.length) return overwriteU32(rng, inp);
  const i = rng.int(recs.length);
  const start = recs[i]!;
  const end = i + 1 < inp.records.length ? inp.records[i + 1]! : inp.typeEnd;
  const word = rng.int(Math.max(1, (end - start) / 4));
  const b = copy(inp.bytes);
  const value = interesting(rng, inp);
  setU32(b, start + 4 * word, value, inp.le);
  return { bytes: b, desc: `type #${i + 1} word ${word} (offset ${start + 4 * word}) = ${hex(value)}` };
};

/** A record's info word with a different kind, vlen or kind_flag. */
const recordInfo: Mutator = (rng, inp) => {
  const recs = windowRecords(inp);
  if (!recs.length) return flipBits(rng, inp);
  const i = rng.int(recs.length);
  const at = recs[i]! + 4;
  const b = copy(inp.bytes);
  const old = getU32(b, at, inp.le);
  let kind = (old >>> 24) & 0x1f;
  let vlen = old & 0xffff;
  let kflag = old >>> 31;
  const what = rng.int(3);
  if (what === 0) kind = rng.int(32);
  else if (what === 1) vlen = rng.pick([0, 1, 2, 3, vlen + 1, Math.max(0, vlen - 1), 0xff, 0xffff]) & 0xffff;
  else kflag ^= 1;
  const value = ((kflag << 31) | (kind << 24) | vlen) >>> 0;
  setU32(b, at, value, inp.le);
  return { bytes: b, desc: `type #${i + 1} info ${hex(old)} -> ${hex(value)}` };
};

const headerField: Mutator = (rng, inp) => {
  const b = copy(inp.bytes);
  const field = rng.pick([4, 8, 12, 16, 20]);
  const value = interesting(rng, inp);
  setU32(b, field, value, inp.le);
  return { bytes: b, desc: `header field at ${field} = ${hex(value)}` };
};

const truncate: Mutator = (rng, inp) => {
  const len = rng.chance(0.3) ? rng.int(Math.min(inp.hdrLen + 1, inp.bytes.length)) : rng.int(inp.bytes.length);
  return { bytes: inp.bytes.subarray(0, len), desc: `truncate to ${len} bytes` };
};

/** Cut the type section short at a 4-byte boundary and fix the header so the string section stays valid. */
const truncateTypes: Mutator = (rng, inp) => {
  if (inp.strStart !== inp.typeEnd || inp.typeEnd <= inp.typeStart) return truncate(rng, inp);
  const hi = Math.min(inp.typeEnd, inp.typeStart + inp.typeWindow);
  const cut = rng.range(inp.typeStart, hi) & ~3;
  const b = new Uint8Array(inp.bytes.length - (inp.typeEnd - cut));
  b.set(inp.bytes.subarray(0, cut));
  b.set(inp.bytes.subarray(inp.typeEnd), cut);
  setU32(b, 12, cut - inp.typeStart, inp.le);
  setU32(b, 16, getU32(b, 16, inp.le) - (inp.typeEnd - cut), inp.le);
  return { bytes: b, desc: `type section cut at ${cut} (header fixed)` };
};

/** Insert a copy of a chunk somewhere else; the header is left alone. */
const duplicateChunk: Mutator = (rng, inp) => {
  const from = position(rng, inp);
  const len = 1 + rng.int(Math.min(64, inp.bytes.length - from));
  const to = position(rng, inp);
  const b = new Uint8Array(inp.bytes.length + len);
  b.set(inp.bytes.subarray(0, to));
  b.set(inp.bytes.subarray(from, from + len), to);
  b.set(inp.bytes.subarray(to), to + len);
  return { bytes: b, desc: `duplicate [${from}, ${from + len}) at ${to}` };
};

/** Duplicate or delete a whole record and fix the header: every later id shifts by one. */
const shiftRecords: Mutator = (rng, inp) => {
  const recs = windowRecords(inp);
  if (!recs.length || inp.strStart !== inp.typeEnd) return duplicateChunk(rng, inp);
  const i = rng.int(recs.length);
  const start = recs[i]!;
  const end = i + 1 < inp.records.length ? inp.records[i + 1]! : inp.typeEnd;
  const len = end - start;
  const dup = rng.chance(0.5);
  const b = new Uint8Array(inp.bytes.length + (dup ? len : -len));
  if (dup) {
    b.set(inp.bytes.subarray(0, end));
    b.set(inp.bytes.subarray(start), end);
  } else {
    b.set(inp.bytes.subarray(0, start));
    b.set(inp.bytes.subarray(end), start);
  }
  const d = dup ? len : -len;
  setU32(b, 12, getU32(b, 12, inp.le) + d, inp.le);
  setU32(b, 16, getU32(b, 16, inp.le) + d, inp.le);
  return { bytes: b, desc: `${dup ? "duplicate" : "delete"} type #${i + 1} (header fixed)` };
};

/** Damage the string section: a NUL in a name, or a name's NUL replaced. */
const stringByte: Mutator = (rng, inp) => {
  if (inp.strEnd <= inp.strStart) return flipBits(rng, inp);
  const b = copy(inp.bytes);
  const at = rng.range(inp.strStart, Math.min(inp.strEnd, b.length));
  const value = b[at] === 0 ? rng.pick([0x41, 0x2e, 0x20, 0xff, 0xc3]) : rng.pick([0, 0x20, 0x2d, 0xff]);
  b[at] = value;
  return { bytes: b, desc: `string byte at ${at} = ${hex(value)}` };
};

const MUTATORS: [Mutator, number, string][] = [
  [flipBits, 20, "flip"],
  [randomBytes, 5, "random"],
  [overwriteU32, 15, "u32"],
  [recordField, 20, "field"],
  [recordInfo, 12, "info"],
  [headerField, 6, "header"],
  [truncate, 6, "truncate"],
  [truncateTypes, 4, "cut-types"],
  [duplicateChunk, 5, "dup-chunk"],
  [shiftRecords, 4, "shift"],
  [stringByte, 3, "string"],
];
const TOTAL_WEIGHT = MUTATORS.reduce((n, [, w]) => n + w, 0);

function pickMutator(rng: Rng): Mutator {
  let r = rng.int(TOTAL_WEIGHT);
  for (const [m, w] of MUTATORS) {
    if (r < w) return m;
    r -= w;
  }
  return flipBits;
}

// ---------------------------------------------------------------------------
// Running cases.

interface Tally {
  cases: number;
  parsed: number;
  rejected: number;
  failures: string[];
  maxMs: number;
  totalMs: number;
}
const overall: Tally = { cases: 0, parsed: 0, rejected: 0, failures: [], maxMs: 0, totalMs: 0 };

/** Problems with a BtfError thrown for `bytes` (empty when it is well-formed). */
function checkError(e: BtfError, bytes: Uint8Array, inp: Input): string[] {
  const bad: string[] = [];
  if (typeof e.reason !== "string" || e.reason.length === 0) bad.push("empty reason");
  if (e.offset === undefined && e.typeId === undefined) bad.push("neither offset nor typeId");
  if (e.offset !== undefined && !(Number.isInteger(e.offset) && e.offset >= 0 && e.offset < Math.max(1, bytes.length))) {
    bad.push(`offset ${e.offset} outside the ${bytes.length}-byte input`);
  }
  // The type an error names must exist: ids end before startId + (number of 12-byte records that fit).
  const maxId = (inp.base ? inp.base.typeCount : 1) + Math.floor(bytes.length / 12);
  if (e.typeId !== undefined && !(Number.isInteger(e.typeId) && e.typeId >= 0 && e.typeId <= maxId)) {
    bad.push(`typeId ${e.typeId} cannot name a type of this ${bytes.length}-byte input`);
  }
  return bad;
}

function runCase(inp: Input, index: number, mutate: (rng: Rng, inp: Input) => Mutation, tally: Tally): void {
  const rng = caseRng(inp.name, index);
  const { bytes, desc } = mutate(rng, inp);
  const where = `seed=${SEED_HEX} input=${inp.name} case=${index} mutation: ${desc}`;
  const t0 = performance.now();
  let thrown: unknown;
  let btf: Btf | undefined;
  try {
    btf = parseBtf(bytes, inp.base ? { base: inp.base } : {});
  } catch (e) {
    thrown = e;
  }
  // parseBtf may decode lazily: a blob it accepted must decode completely, without any exception.
  let decodeError: string | undefined;
  if (btf) {
    let id = 0;
    try {
      for (; id < btf.typeCount; id++) btf.typeById(id);
    } catch (e) {
      const err = e as Error;
      decodeError = `parsed, but typeById(${id}) threw ${err?.constructor?.name ?? typeof e}: ${err?.message ?? String(e)}`;
    }
  }
  const ms = performance.now() - t0;
  tally.cases++;
  tally.totalMs += ms;
  tally.maxMs = Math.max(tally.maxMs, ms);
  const fail = (msg: string): void => {
    if (tally.failures.length < 25) tally.failures.push(`${where}: ${msg}`);
  };
  // Generous: catches runaway (super-linear) work, not ordinary jitter.
  if (ms > 1000 + 50 * inp.baselineMs) fail(`took ${ms.toFixed(0)} ms (unmutated input: ${inp.baselineMs.toFixed(1)} ms)`);
  if (thrown === undefined) {
    tally.parsed++;
    if (decodeError) fail(decodeError);
  } else if (thrown instanceof BtfError) {
    tally.rejected++;
    for (const problem of checkError(thrown, bytes, inp)) fail(`BtfError "${thrown.message}": ${problem}`);
  } else {
    const e = thrown as Error;
    fail(`threw ${e?.constructor?.name ?? typeof thrown} instead of BtfError: ${e?.message ?? String(thrown)}\n${e?.stack?.split("\n").slice(1, 4).join("\n") ?? ""}`);
  }
}

function runInput(inp: Input, count: number, mutate: (rng: Rng, inp: Input) => Mutation = (rng, i) => pickMutator(rng)(rng, i)): Tally {
  const tally: Tally = { cases: 0, parsed: 0, rejected: 0, failures: [], maxMs: 0, totalMs: 0 };
  for (let i = 0; i < count; i++) runCase(inp, i, mutate, tally);
  overall.cases += tally.cases;
  overall.parsed += tally.parsed;
  overall.rejected += tally.rejected;
  overall.maxMs = Math.max(overall.maxMs, tally.maxMs);
  overall.totalMs += tally.totalMs;
  overall.failures.push(...tally.failures);
  console.log(
    `[mutation ${SEED_HEX}] ${inp.name}: ${tally.cases} cases, ${tally.parsed} parsed, ${tally.rejected} BtfError, ` +
      `${tally.failures.length} failures, ${tally.totalMs.toFixed(0)} ms parsing (max ${tally.maxMs.toFixed(1)} ms)`,
  );
  return tally;
}

function expectClean(tally: Tally, inp: Input, requireBoth: boolean): void {
  expect(tally.failures, `seed ${SEED_HEX}, input ${inp.name}:\n${tally.failures.join("\n\n")}`).toEqual([]);
  expect(tally.rejected, `seed ${SEED_HEX}: no mutation of ${inp.name} was rejected`).toBeGreaterThan(0);
  if (requireBoth) expect(tally.parsed, `seed ${SEED_HEX}: no mutation of ${inp.name} parsed`).toBeGreaterThan(0);
}

// ---------------------------------------------------------------------------
// The tests.

describe(`parseBtf under mutation (seed ${SEED_HEX}; set BTF_MUTATION_SEED to change)`, () => {
  const small: [string, () => Uint8Array, number][] = [
    ["all-kinds", () => encodeTypes(allKinds()), 2000],
    ["all-kinds-be", () => encodeTypes(allKinds(), false), 800],
    ["linked", () => encodeTypes(linked()), 1500],
    ["variadic", () => encodeTypes(variadic()), 700],
  ];
  for (const [name, make, count] of small) {
    it(`small blob '${name}': ${count} mutations`, () => {
      const inp = describeInput(name, make());
      expect(inp.valid, `the unmutated '${name}' blob must parse`).toBe(true);
      expectClean(runInput(inp, count), inp, true);
    });
  }

  let full: Btf | undefined;
  const fullBtf = (): Btf => (full ??= parseBtf(vmlinux()));

  it("vmlinux subset (closed under references, ~1500 types): 6000 mutations", () => {
    const types = vmlinuxSubset(fullBtf(), 1500, 150);
    const kinds = new Set(types.map((t) => t.kind));
    expect(kinds.size, "the subset should cover most kinds").toBeGreaterThanOrEqual(15);
    const inp = describeInput("vmlinux-subset", encodeTypes(types));
    expect(inp.valid, "the re-encoded vmlinux subset must parse").toBe(true);
    expectClean(runInput(inp, 6000), inp, true);
  });

  it("vmlinux prefix (header + first 64 KiB of records + full strings): 400 mutations", () => {
    const inp = describeInput("vmlinux-prefix", vmlinuxPrefix(vmlinux(), 64 * 1024));
    // The prefix refers to types it cut off, so it does not validate: only the record walk is exercised.
    expectClean(runInput(inp, 400), inp, false);
  });

  it("full vmlinux: 150 truncations and 30 header mutations", () => {
    const inp = describeInput("vmlinux-full", vmlinux());
    expect(inp.valid).toBe(true);
    const cuts = runInput(inp, 150, truncate);
    expect(cuts.failures, cuts.failures.join("\n\n")).toEqual([]);
    const headerOnly: Mutator = (rng, i) => {
      if (rng.chance(0.5)) return headerField(rng, i);
      const b = copy(i.bytes);
      const at = rng.int(i.hdrLen);
      const mask = 1 << rng.int(8);
      b[at] = b[at]! ^ mask;
      return { bytes: b, desc: `flip bits ${at}^${hex(mask)}` };
    };
    const hdr = runInput({ ...inp, name: "vmlinux-full-header" }, 30, headerOnly);
    expect(hdr.failures, hdr.failures.join("\n\n")).toEqual([]);
  });

  const fixtureDir = new URL("../fixtures/btf/", import.meta.url);
  const fixtureNames = existsSync(fixtureDir) ? readdirSync(fixtureDir).filter((f) => f.endsWith(".btf")).sort() : [];
  it.skipIf(fixtureNames.length === 0)(`fixtures test/fixtures/btf/*.btf (${fixtureNames.length} files): 500 mutations each`, () => {
    const blobs = fixtureNames.map((f) => [f, new Uint8Array(readFileSync(new URL(f, fixtureDir)))] as const);
    const alone = new Map<string, Btf>();
    for (const [f, b] of blobs) {
      try {
        alone.set(f, parseBtf(b));
      } catch {
        // split BTF (or broken): tried against a base below
      }
    }
    let ran = 0;
    for (const [f, b] of blobs) {
      let base: Btf | undefined;
      let baseName = "";
      if (!alone.has(f)) {
        // Prefer a base named like the split blob (split_mod.btf -> split_base.btf).
        const stem = f.split(/[_.]/)[0]!;
        const candidates = [...alone].sort(([a], [b]) => Number(b.startsWith(stem)) - Number(a.startsWith(stem)));
        for (const [other, btf] of candidates) {
          try {
            parseBtf(b, { base: btf });
            base = btf;
            baseName = other;
            break;
          } catch {
            // not this one
          }
        }
        if (!base) {
          console.warn(`[mutation] ${f} does not parse alone or on any other fixture as base; skipped`);
          continue;
        }
      }
      const inp = describeInput(base ? `fixture:${f} on ${baseName}` : `fixture:${f}`, b, base);
      expectClean(runInput(inp, 500), inp, true);
      ran++;
    }
    expect(ran).toBeGreaterThan(0);
  });

  it("overall: thousands of cases, both outcomes, no foreign exceptions", () => {
    console.log(
      `[mutation ${SEED_HEX}] total: ${overall.cases} cases, ${overall.parsed} parsed, ${overall.rejected} BtfError, ` +
        `${overall.failures.length} failures, ${overall.totalMs.toFixed(0)} ms parsing (max ${overall.maxMs.toFixed(1)} ms)`,
    );
    expect(overall.failures, overall.failures.join("\n\n")).toEqual([]);
    expect(overall.cases).toBeGreaterThanOrEqual(10000);
    expect(overall.parsed).toBeGreaterThan(0);
    expect(overall.rejected).toBeGreaterThan(0);
  });
});
