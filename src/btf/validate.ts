// Whole-graph checks run after the record scan (the kernel's
// btf_check_all_types / btf_resolve step), read straight from the wire
// records: every referenced id exists and has a kind that makes sense where
// it is used, decl tags point at real components, and no type contains
// itself except through a pointer (loops through modifiers, typedefs, arrays
// or by-value members are rejected).
import type { Btf } from "./btf.js";
import type { RawTypeSource } from "./decode.js";
import { BtfError } from "./errors.js";
import { BTF_TYPE_HEADER_SIZE, BtfKind, kindName } from "./kinds.js";

/** Graph checks over the records the parser indexed. Throws BtfError for the first problem. */
export function validateRaw(btf: Btf, raw: RawTypeSource): void {
  const { view, littleEndian: le, offsets, kinds } = raw;
  const n = kinds.length;
  const start = btf.startId;
  const count = btf.typeCount;
  const u32 = (p: number) => view.getUint32(p, le);
  const memberName = (p: number) => raw.name(u32(p));
  const outOfRange = (id: number, ref: number, what: string): BtfError =>
    new BtfError(`${what} refers to type id ${ref}, but the last type id is ${count - 1}`, { typeId: id });
  // Size-resolution edges (everything but what a pointer points to), as a CSR graph over own types.
  // There are fewer edges than u32 words in the type section.
  const edgeStart = new Uint32Array(n + 1);
  const edges = new Uint32Array(n ? (offsets[n]! - offsets[0]!) >>> 2 : 0);
  let ne = 0;
  const declTags: number[] = [];
  const notAType = (id: number, what: string, ref: number): BtfError =>
    new BtfError(`${what} refers to type ${ref} of kind ${kindName(btf.kindOf(ref))}, which is not a data type`, { typeId: id });

  for (let i = 0; i < n; i++) {
    const id = start + i;
    const pos = offsets[i]!;
    const kind = kinds[i]!;
    const info = u32(pos + 4);
    const vlen = info & 0xffff;
    const kflag = info >>> 31 === 1;
    const sizeOrType = u32(pos + 8);
    const body = pos + BTF_TYPE_HEADER_SIZE;
    edgeStart[i] = ne;
    switch (kind) {
      case BtfKind.PTR:
      case BtfKind.TYPEDEF:
      case BtfKind.VOLATILE:
      case BtfKind.CONST:
      case BtfKind.RESTRICT:
      case BtfKind.TYPE_TAG:
        if (sizeOrType >= count) throw outOfRange(id, sizeOrType, kindName(kind));
        if (sizeOrType === id) throw new BtfError(`${kindName(kind)} refers to itself`, { typeId: id });
        if (NOT_A_TYPE[btf.kindOf(sizeOrType)]) throw notAType(id, kindName(kind), sizeOrType);
        if (kind !== BtfKind.PTR) edges[ne++] = sizeOrType;
        break;
      case BtfKind.ARRAY: {
        const elem = u32(body);
        if (elem >= count) throw outOfRange(id, elem, "ARRAY element type");
        if (u32(body + 4) >= count) throw outOfRange(id, u32(body + 4), "ARRAY index type");
        if (elem === 0) throw new BtfError("ARRAY element type is void", { typeId: id });
        edges[ne++] = elem;
        break;
      }
      case BtfKind.STRUCT:
      case BtfKind.UNION: {
        let last = 0;
        for (let m = 0, p = body; m < vlen; m++, p += 12) {
          const type = u32(p + 4);
          const off = u32(p + 8);
          const bitsOffset = kflag ? off & 0xffffff : off;
          if (kind === BtfKind.UNION && bitsOffset !== 0) {
            throw new BtfError(`member ${m} ('${memberName(p)}') of a UNION must be at bit offset 0, is at ${bitsOffset}`, { typeId: id });
          }
          if (bitsOffset < last) {
            throw new BtfError(`member ${m} ('${memberName(p)}') at bit offset ${bitsOffset} comes before the previous member (bit ${last})`, { typeId: id });
          }
          if (Math.ceil(bitsOffset / 8) > sizeOrType) {
            throw new BtfError(`member ${m} ('${memberName(p)}') bit offset ${bitsOffset} is past the end of the ${sizeOrType}-byte ${kindName(kind)}`, { typeId: id });
          }
          last = bitsOffset;
          if (type >= count) throw outOfRange(id, type, `member ${m} ('${memberName(p)}')`);
          if (type === 0) throw new BtfError(`member ${m} ('${memberName(p)}') has type void`, { typeId: id });
          if (kflag) {
            const bits = off & 0xffffff;
            const bitfield = off >>> 24;
            if (bitfield === 0 && bits % 8 !== 0) {
              throw new BtfError(`member ${m} ('${memberName(p)}') is not a bitfield but its bit offset ${bits} is not byte-aligned`, { typeId: id });
            }
            if (bitfield > 0 && bits + bitfield > sizeOrType * 8) {
              throw new BtfError(`bitfield member ${m} ('${memberName(p)}') ends at bit ${bits + bitfield}, past the ${sizeOrType * 8}-bit ${kindName(kind)}`, { typeId: id });
            }
          }
          edges[ne++] = type;
        }
        break;
      }
      case BtfKind.FUNC: {
        if (sizeOrType >= count) throw outOfRange(id, sizeOrType, "FUNC prototype");
        const k = btf.kindOf(sizeOrType);
        if (k !== BtfKind.FUNC_PROTO) {
          throw new BtfError(`FUNC '${raw.name(u32(pos))}' refers to type ${sizeOrType} of kind ${kindName(k)}, expected FUNC_PROTO`, { typeId: id });
        }
        edges[ne++] = sizeOrType;
        break;
      }
      case BtfKind.FUNC_PROTO:
        if (sizeOrType >= count) throw outOfRange(id, sizeOrType, "FUNC_PROTO return type");
        if (NOT_A_TYPE[btf.kindOf(sizeOrType)]) throw notAType(id, "FUNC_PROTO return type", sizeOrType);
        edges[ne++] = sizeOrType;
        for (let p = 0, q = body; p < vlen; p++, q += 8) {
          const type = u32(q + 4);
          if (type >= count) throw outOfRange(id, type, `FUNC_PROTO parameter ${p}`);
          if (NOT_A_TYPE[btf.kindOf(type)]) throw notAType(id, `FUNC_PROTO parameter ${p}`, type);
          edges[ne++] = type;
        }
        break;
      case BtfKind.VAR:
        if (sizeOrType >= count) throw outOfRange(id, sizeOrType, `VAR '${raw.name(u32(pos))}'`);
        if (sizeOrType === 0) throw new BtfError(`VAR '${raw.name(u32(pos))}' has type void`, { typeId: id });
        if (NOT_A_TYPE[btf.kindOf(sizeOrType)] || btf.kindOf(sizeOrType) === BtfKind.FUNC_PROTO) {
          throw notAType(id, `VAR '${raw.name(u32(pos))}'`, sizeOrType);
        }
        edges[ne++] = sizeOrType;
        break;
      case BtfKind.DATASEC:
        for (let v = 0, p = body; v < vlen; v++, p += 12) {
          const ref = u32(p);
          const secName = () => raw.name(u32(pos));
          if (ref >= count) throw outOfRange(id, ref, `DATASEC '${secName()}' entry ${v}`);
          const k = btf.kindOf(ref);
          if (k !== BtfKind.VAR && k !== BtfKind.FUNC) {
            throw new BtfError(`DATASEC '${secName()}' entry ${v} refers to type ${ref} of kind ${kindName(k)}, expected VAR or FUNC`, { typeId: id });
          }
          edges[ne++] = ref;
        }
        break;
      case BtfKind.DECL_TAG: {
        const tag = raw.name(u32(pos));
        if (sizeOrType >= count) throw outOfRange(id, sizeOrType, `DECL_TAG '${tag}'`);
        declTags.push(i);
        break;
      }
      default:
        break;
    }
  }
  edgeStart[n] = ne;
  checkCycles(btf, raw, edgeStart, edges);
  // With loops ruled out, chains can be followed: check what needs resolved types.
  checkResolved(btf, raw);
  for (const i of declTags) {
    const pos = offsets[i]!;
    checkDeclTag(btf, start + i, raw.name(u32(pos)), u32(pos + 8), view.getInt32(pos + BTF_TYPE_HEADER_SIZE, le));
  }
}

/** Kinds that are not data types: nothing may point to, contain, pass or return them. */
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
 * The kernel's resolve-phase checks (btf_array_resolve, btf_struct_resolve):
 * array elements sized and indexes integers, array sizes within u32, and
 * every by-value member sized and inside its struct.
 */
function checkResolved(btf: Btf, raw: RawTypeSource): void {
  const { view, littleEndian: le, offsets, kinds } = raw;
  const start = btf.startId;
  const u32 = (p: number) => view.getUint32(p, le);
  /** The id a type refers to (size_type field); for own types read from the record. */
  const refOf = (id: number): number => {
    const i = id - start;
    return i >= 0 ? u32(offsets[i]! + 8) : (btf.decodeType(id) as { type: number }).type;
  };
  const resolve = (id: number): number => {
    for (;;) {
      const k = btf.kindOf(id);
      if (k === BtfKind.TYPEDEF || k === BtfKind.CONST || k === BtfKind.VOLATILE || k === BtfKind.RESTRICT || k === BtfKind.TYPE_TAG) id = refOf(id);
      else return id;
    }
  };
  /** Size in bytes of a (sized) type, arrays multiplied out iteratively; may exceed u32 (caller checks). -1 if unsized. */
  const sizeOfId = (id: number): number => {
    let mult = 1;
    for (;;) {
      id = resolve(id);
      const k = btf.kindOf(id);
      if (k === BtfKind.PTR) return 8 * mult;
      if (k === BtfKind.ARRAY) {
        const i = id - start;
        if (i >= 0) {
          mult *= u32(offsets[i]! + BTF_TYPE_HEADER_SIZE + 8);
          id = u32(offsets[i]! + BTF_TYPE_HEADER_SIZE);
        } else {
          const a = btf.decodeType(id) as { type: number; nelems: number };
          mult *= a.nelems;
          id = a.type;
        }
        continue;
      }
      if (!SIZED[k]) return -1;
      const i = id - start;
      return mult * (i >= 0 ? u32(offsets[i]! + 8) : (btf.decodeType(id) as { size: number }).size);
    }
  };

  for (let i = 0; i < kinds.length; i++) {
    const id = start + i;
    const kind = kinds[i]!;
    const pos = offsets[i]!;
    const body = pos + BTF_TYPE_HEADER_SIZE;
    if (kind === BtfKind.ARRAY) {
      const elem = u32(body);
      const index = resolve(u32(body + 4));
      if (btf.kindOf(index) !== BtfKind.INT) {
        throw new BtfError(`ARRAY index type ${u32(body + 4)} is ${index === 0 ? "void" : `a ${kindName(btf.kindOf(index))}`}, not an integer`, { typeId: id });
      }
      const elemSize = sizeOfId(elem);
      if (elemSize < 0) {
        throw new BtfError(`ARRAY element type ${elem} is a ${kindName(btf.kindOf(resolve(elem)))}, which has no size`, { typeId: id });
      }
      const nelems = u32(body + 8);
      if (elemSize * nelems > U32_MAX) {
        throw new BtfError(`ARRAY of ${nelems} elements of ${elemSize} bytes overflows the u32 size limit`, { typeId: id });
      }
    } else if (kind === BtfKind.STRUCT || kind === BtfKind.UNION) {
      const info = u32(pos + 4);
      const vlen = info & 0xffff;
      const kflag = info >>> 31 === 1;
      const size = u32(pos + 8);
      for (let m = 0, p = body; m < vlen; m++, p += 12) {
        const type = u32(p + 4);
        const msize = sizeOfId(type);
        const mname = () => raw.name(u32(p));
        if (msize < 0) {
          throw new BtfError(`member ${m} ('${mname()}') has type ${type} of kind ${kindName(btf.kindOf(resolve(type)))}, which has no size`, { typeId: id });
        }
        const off = u32(p + 8);
        if (kflag && off >>> 24 !== 0) continue; // bitfield: checked against the struct size by bits
        const byte = Math.floor((kflag ? off & 0xffffff : off) / 8);
        if (byte + msize > size) {
          throw new BtfError(`member ${m} ('${mname()}') at byte ${byte} with size ${msize} extends past the ${size}-byte ${kindName(kind)}`, { typeId: id });
        }
      }
    }
  }
}

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

/** Iterative three-colour DFS over own types; a back edge is a loop the kernel would reject. */
function checkCycles(btf: Btf, raw: RawTypeSource, edgeStart: Uint32Array, edges: Uint32Array): void {
  const start = btf.startId;
  const n = raw.kinds.length;
  const state = new Uint8Array(n); // 0 new, 1 on stack, 2 done
  const stack = new Int32Array(n);
  const cursor = new Uint32Array(n);
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
