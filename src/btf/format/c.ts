// The `c` BTF dump: compilable C declarations of BTF types, byte-identical to
// `bpftool btf dump file F format c` (bpftool v7.1.0 with libbpf v1.1).
//
// This module owns the emission half of the BTF-to-C conversion: CDumper
// (the analogue of libbpf's `struct btf_dump` with btf_dump__dump_type() and
// btf_dump__emit_type_decl()) and dumpC(), which wraps it with the
// `__VMLINUX_H__` header and footer bpftool prints. Ordering, naming and
// layout rules live in format/c-order.ts (CTypeGraph).
//
// The algorithm follows libbpf's btf_dump.c (LGPL-2.1 OR BSD-2-Clause,
// Copyright (c) 2019 Facebook); this is an independent TypeScript
// implementation of the same behaviour. For each root id the dependent types
// are first put in a topological order in which every definition that C
// needs to be complete ("strong" links: embedded structs, typedef targets,
// anonymous types) precedes its users, while links through pointers to named
// types are "weak" and satisfied by forward declarations. Then the queued
// definitions are emitted, writing forward declarations where a type is
// needed while it is itself being emitted. Struct/union/enum names that
// repeat get `___N` suffixes (typedef names and enumerators share a second
// namespace), struct layouts are reproduced with explicit bitfield padding
// and `__attribute__((packed))`, and declarators (pointers, arrays, function
// prototypes, qualifiers, type tags) are built inside-out from a stack of the
// type chain.
//
// Output quirks follow the libbpf built into bpftool v7.1.0 (Linux 6.1.y
// tools/lib/bpf), checked against that binary: `__builtin_va_list` typedefs
// are skipped, `__gnuc_va_list` of void becomes `__builtin_va_list`, `__PolyN_t`
// INTs get aliases, prototypes without parameters print `(void)`, enums get no
// `mode(byte)`/`mode(word)` attribute and structs no `aligned(N)` (later libbpf
// releases add those).
import type { Btf } from "../btf.js";
import { BtfError } from "../errors.js";
import { BtfKind } from "../kinds.js";
import { CTypeGraph } from "./c-order.js";
import type { TypeId } from "../types.js";
import { enum64Text } from "./raw.js";
import { collect, type TextSink } from "./sink.js";

/** Local alias of BtfKind: one plain object, so hot switches do not go through a module binding. */
const K = BtfKind;

/** The lines bpftool prints before the first type. */
export const C_DUMP_HEADER =
  "#ifndef __VMLINUX_H__\n" +
  "#define __VMLINUX_H__\n" +
  "\n" +
  "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n" +
  "#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n" +
  "#endif\n\n";

/** The lines bpftool prints after the last type. */
export const C_DUMP_FOOTER =
  "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n" +
  "#pragma clang attribute pop\n" +
  "#endif\n" +
  "\n" +
  "#endif /* __VMLINUX_H__ */\n";

// Emission state per type.
const NOT_EMITTED = 0;
const EMITTING = 1;
const EMITTED = 2;

/** Indentation is capped at this many tabs (libbpf's PREFIXES string). */
const MAX_INDENT = 13;
const TABS: readonly string[] = Array.from({ length: MAX_INDENT + 1 }, (_, i) => "\t".repeat(i));

function indent(lvl: number): string {
  return TABS[lvl >= MAX_INDENT ? MAX_INDENT : lvl]!;
}

/** GCC's internal Arm SIMD polynomial types, aliased to standard types when an INT with that name is met. */
const MISSING_BASE_TYPES: ReadonlyMap<string, string> = new Map([
  ["__Poly8_t", "unsigned char"],
  ["__Poly16_t", "unsigned short"],
  ["__Poly64_t", "unsigned long long"],
  ["__Poly128_t", "unsigned __int128"],
]);

/**
 * C's `roundup(x, y)` macro, `((x + y - 1) / y) * y`, in 32-bit `int`
 * arithmetic as libbpf computes it (wrapping, division towards zero).
 */
function roundup(x: number, y: number): number {
  if (y === 0) return 0; // libbpf would divide by zero (a member of a type without alignment)
  return Math.imul(((x + y - 1) | 0) / y | 0, y);
}

/**
 * At most this many padding lines (`long: 64;`) for one gap. libbpf writes
 * one line per 8 bytes however large the gap in the input is (a 2 GiB hole is
 * 33 million lines); past this bound the dump fails with E2BIG instead, so
 * the work and memory of a dump do not follow sizes written in the input.
 */
export const MAX_PAD_LINES = 1 << 16;

/** A frame of the shared declaration stack: ids at `stack[base .. base+cnt)`, top is the last. */
interface DeclFrame {
  readonly base: number;
  cnt: number;
}

/**
 * Emits C declarations for BTF types, remembering across calls what was
 * already emitted (like one libbpf `struct btf_dump`): dumping root after
 * root produces each dependent definition once, with the same names.
 */
export class CDumper {
  readonly btf: Btf;
  /** Ordering, names and layout, shared by every root dumped with this dumper. */
  readonly graph: CTypeGraph;
  /** Pointer size in bytes the layout code assumes (from `long`'s size, else 8). */
  readonly ptrSize: number;
  /** Diagnostics libbpf would print with pr_warn (bpftool shows them on stderr). */
  readonly warnings: string[] = [];

  private emitState: Uint8Array = new Uint8Array(0);
  private fwdEmitted: Uint8Array = new Uint8Array(0);
  private readonly declStack: TypeId[] = [];
  private declCnt = 0;
  private out = "";

  constructor(btf: Btf) {
    this.btf = btf;
    this.graph = new CTypeGraph(btf, this.warnings);
    this.ptrSize = this.graph.ptrSize;
    this.resize();
  }

  /**
   * Emits `id` with every type it needs that earlier calls did not emit yet
   * (libbpf btf_dump__dump_type()) and returns that text. FUNC, VAR, DATASEC,
   * DECL_TAG and pointer roots emit nothing by themselves. Throws a BtfError
   * (ELOOP) for type cycles C cannot express.
   */
  dumpType(id: TypeId): string {
    if (!Number.isInteger(id) || id < 0 || id >= this.btf.typeCount) {
      throw new BtfError(`type id ${id} out of range (have ${this.btf.typeCount - 1} types)`, { typeId: id }, { errno: "EINVAL" });
    }
    this.resize();
    this.out = "";
    const queue = this.graph.order(id);
    for (let i = 0; i < queue.length; i++) this.emitType(queue[i]!, 0);
    const s = this.out;
    this.out = "";
    return s;
  }

  /**
   * The declaration of a field or variable `fieldName` of type `id`, e.g.
   * `const char *name` or `int (*cb)(void *)` (libbpf
   * btf_dump__emit_type_decl()); anonymous structs, unions and enums are
   * written inline at indentation `indentLevel`. No trailing `;`.
   */
  typeDecl(id: TypeId, fieldName = "", indentLevel = 0): string {
    if (!Number.isInteger(id) || id < 0 || id >= this.btf.typeCount) {
      throw new BtfError(`type id ${id} out of range (have ${this.btf.typeCount - 1} types)`, { typeId: id }, { errno: "EINVAL" });
    }
    this.resize();
    this.out = "";
    this.emitTypeDecl(id, fieldName, indentLevel);
    const s = this.out;
    this.out = "";
    return s;
  }

  /** Grows the emission state along with the graph's. */
  private resize(): void {
    this.graph.resize();
    const n = this.graph.count;
    const old = this.emitState.length;
    if (n <= old) return;
    const es = new Uint8Array(n);
    es.set(this.emitState);
    const fe = new Uint8Array(n);
    fe.set(this.fwdEmitted);
    if (old === 0) es[0] = EMITTED; // void
    this.emitState = es;
    this.fwdEmitted = fe;
  }

  // ---------------------------------------------------------------------------
  // Emission of definitions
  // ---------------------------------------------------------------------------

  /** `__builtin_va_list` is a compiler built-in: its typedef is never written. */
  private isBlacklisted(id: TypeId): boolean {
    return this.graph.name(id) === "__builtin_va_list";
  }

  /**
   * Emits the definition of `id` and, first, whatever it needs that is not
   * emitted yet. `contId` is the struct/union being defined around this
   * reference (0 at top level), so a struct referring to itself needs no
   * forward declaration.
   */
  private emitType(id: TypeId, contId: TypeId): void {
    const st = this.emitState[id];
    if (st === EMITTED) return;
    if (st === EMITTING) {
      this.emitWhileEmitting(id, contId);
      return;
    }
    // One small function per kind, called through a table: the recursion stays small and
    // optimized, and a kind first met late does not deoptimize it.
    const emit = CDumper.EMIT[this.graph.kinds[id]!];
    if (emit !== undefined) emit(this, id, contId);
  }

  /** `id` referenced while being emitted: a forward declaration may be needed. */
  private emitWhileEmitting(id: TypeId, contId: TypeId): void {
    if (this.fwdEmitted[id]) return;
    const g = this.graph;
    const k = g.kinds[id]!;
    if (k === K.STRUCT || k === K.UNION) {
      if (id === contId) return;
      if (g.name(id) === "") {
        this.warnings.push(`anonymous struct/union loop, id:[${id}]`);
        return;
      }
      this.emitStructFwd(id);
      this.out += ";\n\n";
      this.fwdEmitted[id] = 1;
    } else if (k === K.TYPEDEF) {
      // the typedef serves as its own forward declaration (pointer uses only)
      if (!this.isBlacklisted(id)) {
        this.emitTypedefDef(id, 0);
        this.out += ";\n\n";
      }
      this.fwdEmitted[id] = 1;
    }
  }

  /** emitType's step for each kind that has one (FUNC, VAR, DATASEC, DECL_TAG, FLOAT emit nothing). */
  private static readonly EMIT: (((d: CDumper, id: TypeId, contId: TypeId) => void) | undefined)[] = (() => {
    type Step = (d: CDumper, id: TypeId, contId: TypeId) => void;
    const t: (Step | undefined)[] = new Array<Step | undefined>(32).fill(undefined);
    t[K.INT] = (d, id) => {
      const g = d.graph;
      const alias = MISSING_BASE_TYPES.get(g.typeName(id));
      if (alias !== undefined) d.out += `typedef ${alias} ${g.typeName(id)};\n\n`;
      d.emitState[id] = EMITTED;
    };
    t[K.ENUM] = t[K.ENUM64] = (d, id, contId) => {
      if (contId === 0) {
        d.emitEnumDef(id, 0);
        d.out += ";\n\n";
      }
      d.emitState[id] = EMITTED;
    };
    t[K.PTR] = t[K.VOLATILE] = t[K.CONST] = t[K.RESTRICT] = t[K.TYPE_TAG] = t[K.ARRAY] = (d, id, contId) => d.emitType(d.graph.ref(id), contId);
    t[K.FWD] = (d, id) => {
      const g = d.graph;
      d.out += `${g.fwdIsUnion(id) ? "union" : "struct"} ${g.typeName(id)};\n\n`;
      d.emitState[id] = EMITTED;
    };
    t[K.TYPEDEF] = (d, id) => {
      d.emitState[id] = EMITTING;
      d.emitType(d.graph.ref(id), id);
      // someone may have needed the typedef as a forward declaration meanwhile
      if (!d.fwdEmitted[id] && !d.isBlacklisted(id)) {
        d.emitTypedefDef(id, 0);
        d.out += ";\n\n";
      }
      d.emitState[id] = EMITTED;
    };
    t[K.STRUCT] = t[K.UNION] = (d, id, contId) => {
      const g = d.graph;
      const es = d.emitState;
      es[id] = EMITTING;
      const topLevel = contId === 0;
      const anon = g.name(id) === "";
      if (topLevel || anon) {
        // all members will be written out: their types must be declared
        const w = g.record(id);
        const words = g.rw;
        const cont = anon ? contId : id;
        const vlen = words[w + 1]! & 0xffff;
        for (let i = 0, p = w + 4; i < vlen; i++, p += 3) d.emitType(words[p]!, cont);
        if (topLevel) {
          d.emitStructDef(id, 0);
          d.out += ";\n\n";
          es[id] = EMITTED;
        } else {
          es[id] = NOT_EMITTED;
        }
        return;
      }
      if (!d.fwdEmitted[id] && id !== contId) {
        d.emitStructFwd(id);
        d.out += ";\n\n";
        d.fwdEmitted[id] = 1;
      }
      es[id] = NOT_EMITTED;
    };
    t[K.FUNC_PROTO] = (d, id, contId) => {
      const g = d.graph;
      const w = g.record(id);
      const words = g.rw;
      d.emitType(words[w + 2]!, contId);
      const vlen = words[w + 1]! & 0xffff;
      for (let i = 0, p = w + 4; i < vlen; i++, p += 2) d.emitType(words[p]!, contId);
    };
    return t;
  })();

  private emitStructFwd(id: TypeId): void {
    const kw = this.graph.kinds[id] === K.STRUCT ? "struct" : "union";
    this.out += this.graph.name(id) !== "" ? `${kw} ${this.graph.typeName(id)}` : kw;
  }

  /** `struct name { members }` (no `;`), members at `lvl + 1`. */
  private emitStructDef(id: TypeId, lvl: number): void {
    const g = this.graph;
    const w = g.record(id);
    const words = g.rw;
    const names = g.rn;
    const info = words[w + 1]!;
    const vlen = info & 0xffff;
    const kflag = info >>> 31 === 1;
    const size = words[w + 2]!;
    const isStruct = g.kinds[id] === K.STRUCT;
    const align = g.alignOf(id);
    const packed = isStruct && this.isStructPacked(words, w);
    const kw = isStruct ? "struct" : "union";
    this.out += g.name(id) !== "" ? `${kw} ${g.typeName(id)} {` : `${kw} {`;

    // Offsets are C `int`s in bits, as in libbpf: a member offset (u32) or a
    // size (u32) times 8 wraps, so a struct of size 0xffffffff ends at bit -8
    // and gets no tail padding.
    const mpfx = indent(lvl + 1);
    let off = 0;
    let prevBitfield = false;
    for (let i = 0, p = w + 3; i < vlen; i++, p += 3) {
      const type = words[p + 1]!;
      const wireOff = words[p + 2]!;
      const bitSize = kflag ? wireOff >>> 24 : 0;
      const mOff = (kflag ? wireOff & 0xffffff : wireOff) | 0;
      const mAlign = packed ? 1 : g.alignOf(type);
      const inBitfield = prevBitfield && bitSize !== 0;

      this.emitBitPadding(id, off, mOff, mAlign, inBitfield, lvl + 1);
      this.out += "\n" + mpfx;
      this.emitTypeDecl(type, g.nameWord(words[p]!, names), lvl + 1);

      if (bitSize) {
        this.out += `: ${bitSize}`;
        off = (mOff + bitSize) | 0;
        prevBitfield = true;
      } else {
        const sz = g.resolveSize(type);
        off = (mOff + Math.imul(sz > 0 ? sz | 0 : 0, 8)) | 0;
        prevBitfield = false;
      }
      this.out += ";";
    }

    // padding at the end
    if (isStruct) this.emitBitPadding(id, off, (size * 8) | 0, align, false, lvl + 1);

    // `struct empty {}` stays on one line
    if (vlen || size) this.out += "\n" + indent(lvl) + "}";
    else this.out += "}";
    if (packed) this.out += " __attribute__((packed))";
  }

  /**
   * Whether a struct (its record at `w` in `words`) cannot have its layout
   * with natural alignment: a non-bitfield member off its type's alignment,
   * or a size that is not a multiple of the largest member alignment.
   */
  private isStructPacked(words: Uint32Array, w: number): boolean {
    const info = words[w + 1]!;
    const vlen = info & 0xffff;
    const kflag = info >>> 31 === 1;
    let maxAlign = 1;
    for (let i = 0, p = w + 3; i < vlen; i++, p += 3) {
      const align = this.graph.alignOf(words[p + 1]!);
      const wireOff = words[p + 2]!;
      const bitSize = kflag ? wireOff >>> 24 : 0;
      const bitsOffset = kflag ? wireOff & 0xffffff : wireOff;
      if (align && bitSize === 0 && bitsOffset % (8 * align) !== 0) return true;
      if (align > maxAlign) maxAlign = align;
    }
    return words[w + 2]! % maxAlign !== 0;
  }

  /**
   * Writes anonymous bitfields (`long: 64;`, `int: 0;`, ...) that move the
   * layout from bit `curOff` to bit `nextOff`, where the next member with
   * alignment `nextAlign` (bytes) starts. It first reaches an offset aligned
   * for the largest fitting pad type (with an explicit `type: 0` marker when
   * the compiler would not align there by itself), then fills with whole pad
   * units and a smallest-type remainder. Offsets are 32-bit ints as in
   * libbpf; the number of lines is worked out before any is written, and a
   * gap needing more than MAX_PAD_LINES fails (BtfError E2BIG, type `id`).
   */
  private emitBitPadding(id: TypeId, curOff: number, nextOff: number, nextAlign: number, inBitfield: boolean, lvl: number): void {
    if (curOff >= nextOff) return; // no gap
    const padNames = ["long", "int", "short", "char"];
    const padSizes = [this.ptrSize * 8, 32, 16, 8];
    const pfx = indent(lvl);

    let padBits = 0;
    let padType = "";
    let newOff = 0;
    for (let i = 0; i < 4; i++) {
      padBits = padSizes[i]!;
      padType = padNames[i]!;
      newOff = roundup(curOff, padBits);
      if (newOff <= nextOff) break;
    }

    if (newOff > curOff && newOff <= nextOff) {
      if (
        inBitfield ||
        (newOff === nextOff && roundup(curOff, nextAlign * 8) !== newOff) ||
        (newOff !== nextOff && ((nextOff - newOff) | 0) <= ((newOff - curOff) | 0))
      ) {
        this.out += `\n${pfx}${padType}: ${inBitfield ? (newOff - curOff) | 0 : 0};`;
      }
      curOff = newOff;
    }

    // whole pad units, then the remainder in the smallest type that holds it
    const gap = nextOff - curOff; // exact: both are int32
    const full = Math.floor(gap / padBits);
    const rest = gap - full * padBits;
    if (full + (rest ? 1 : 0) > MAX_PAD_LINES) {
      const t = this.graph.type(id);
      const what = `${t.kind === K.UNION ? "union" : "struct"} ${t.name === "" ? "(anon)" : `'${t.name}'`}`;
      throw new BtfError(
        `${what}: a gap of ${gap} bits (${Math.floor(gap / 8)} bytes) from bit ${curOff} to bit ${nextOff} would need ${full + (rest ? 1 : 0)} padding lines in C`,
        { typeId: id },
        { errno: "E2BIG", hint: `the C dump writes at most ${MAX_PAD_LINES} padding lines per gap (bpftool writes one per ${padBits / 8} bytes); check the struct's size and member offsets, or use --format raw` },
      );
    }
    if (full) this.out += `\n${pfx}${padType}: ${padBits};`.repeat(full);
    if (rest) {
      for (let i = 3; i >= 0; i--) {
        if (padSizes[i]! < rest) continue;
        this.out += `\n${pfx}${padNames[i]!}: ${rest};`;
        break;
      }
    }
  }

  private emitEnumDef(id: TypeId, lvl: number): void {
    const g = this.graph;
    const w = g.record(id);
    const words = g.rw;
    const names = g.rn;
    const info = words[w + 1]!;
    const vlen = info & 0xffff;
    const signed = info >>> 31 === 1;
    this.out += g.name(id) !== "" ? `enum ${g.typeName(id)}` : "enum";
    if (vlen === 0) return;

    this.out += " {";
    const vpfx = indent(lvl + 1);
    if (g.kinds[id] === K.ENUM) {
      for (let i = 0, p = w + 3; i < vlen; i++, p += 2) {
        const val = signed ? words[p + 1]! | 0 : words[p + 1]!;
        this.out += `\n${vpfx}${g.enumeratorName(g.nameWord(words[p]!, names))} = ${val},`;
      }
    } else {
      const suffix = signed ? "LL," : "ULL,";
      for (let i = 0, p = w + 3; i < vlen; i++, p += 3) {
        this.out += `\n${vpfx}${g.enumeratorName(g.nameWord(words[p]!, names))} = ${enum64Text(words[p + 1]!, words[p + 2]!, signed)}${suffix}`;
      }
    }
    this.out += "\n" + indent(lvl) + "}";
    // (newer libbpf adds mode(byte)/mode(word) for 1- and 8-byte enums; bpftool 7.1.0 does not)
  }

  private emitTypedefDef(id: TypeId, lvl: number): void {
    const name = this.graph.identName(id);
    const target = this.graph.ref(id);
    // old GCC emits __gnuc_va_list as a typedef of void
    if (target === 0 && name === "__gnuc_va_list") {
      this.out += "typedef __builtin_va_list __gnuc_va_list";
      return;
    }
    this.out += "typedef ";
    this.emitTypeDecl(target, name, lvl);
  }

  // ---------------------------------------------------------------------------
  // Declarators
  // ---------------------------------------------------------------------------

  /**
   * Writes the declaration of `fname` with type `id`. The chain of types from
   * `id` down to a terminal type (int, float, struct, union, enum, fwd,
   * typedef or void) is pushed on a stack shared with nested declarations
   * (function parameters, inline anonymous structs), then written from the
   * terminal outwards.
   */
  private emitTypeDecl(id: TypeId, fname: string, lvl: number): void {
    const stack = this.declStack;
    const start = this.declCnt;
    const graph = this.graph;
    let cnt = start;
    for (;;) {
      stack[cnt++] = id;
      if (id === 0) break;
      const k = graph.kinds[id]!;
      let next = -1;
      switch (k) {
        case K.PTR:
        case K.VOLATILE:
        case K.CONST:
        case K.RESTRICT:
        case K.TYPE_TAG:
        case K.ARRAY:
        case K.FUNC_PROTO:
          next = graph.ref(id);
          break;
        case K.INT:
        case K.ENUM:
        case K.ENUM64:
        case K.FWD:
        case K.STRUCT:
        case K.UNION:
        case K.TYPEDEF:
        case K.FLOAT:
          break;
        default:
          this.warnings.push(`unexpected type in decl chain, kind:${k}, id:[${id}]`);
          break;
      }
      if (next < 0) break;
      id = next;
    }
    this.declCnt = cnt;
    this.emitTypeChain({ base: start, cnt: cnt - start }, fname, lvl);
    this.declCnt = start;
  }

  /** Writes `const `/`volatile `/`restrict ` for the qualifiers on top of the frame, popping them. */
  private emitMods(frame: DeclFrame): void {
    const stack = this.declStack;
    while (frame.cnt) {
      const k = this.graph.kinds[stack[frame.base + frame.cnt - 1]!]!;
      if (k === K.VOLATILE) this.out += "volatile ";
      else if (k === K.CONST) this.out += "const ";
      else if (k === K.RESTRICT) this.out += "restrict ";
      else return;
      frame.cnt--;
    }
  }

  /** Pops qualifiers and type tags on top of the frame without writing them. */
  private dropMods(frame: DeclFrame): void {
    const stack = this.declStack;
    while (frame.cnt) {
      const k = this.graph.kinds[stack[frame.base + frame.cnt - 1]!]!;
      if (k !== K.VOLATILE && k !== K.CONST && k !== K.RESTRICT && k !== K.TYPE_TAG) return;
      frame.cnt--;
    }
  }

  private emitName(name: string, lastWasPtr: boolean): void {
    if (name !== "" && !lastWasPtr) this.out += " ";
    this.out += name;
  }

  private emitTypeChain(frame: DeclFrame, fname: string, lvl: number): void {
    const stack = this.declStack;
    // no space before `*` after another `*` (`int ***`); true at the start
    // so that a lone pointer inside `(...)` comes out as `(*fname)`
    let lastWasPtr = true;
    while (frame.cnt) {
      const id = stack[frame.base + --frame.cnt]!;
      const k = id === 0 ? 0 : this.graph.kinds[id]!;
      // One small function per kind, called through a table: each is optimized on its own
      // (one big function here was recompiled at 30-60 ms a time as kinds first came up).
      const step = CDumper.CHAIN[k];
      if (step === undefined) {
        this.warnings.push(`unexpected type in decl chain, kind:${k}, id:[${id}]`);
        return;
      }
      if (step(this, id, frame, fname, lvl, lastWasPtr) === CHAIN_DONE) return;
      lastWasPtr = k === K.PTR;
    }
    this.emitName(fname, lastWasPtr);
  }

  /** emitTypeChain's step for each kind (index 0: void); CHAIN_DONE when the step wrote the rest of the chain and the name. */
  private static readonly CHAIN: (ChainStep | undefined)[] = (() => {
    const t: (ChainStep | undefined)[] = new Array<ChainStep | undefined>(32).fill(undefined);
    t[0] = (d, _id, frame) => {
      d.emitMods(frame);
      d.out += "void";
      return CHAIN_GO_ON;
    };
    t[K.INT] = t[K.FLOAT] = (d, id, frame) => {
      d.emitMods(frame);
      d.out += d.graph.name(id);
      return CHAIN_GO_ON;
    };
    t[K.STRUCT] = t[K.UNION] = (d, id, frame, _fname, lvl) => {
      d.emitMods(frame);
      if (d.graph.name(id) === "") d.emitStructDef(id, lvl);
      else d.emitStructFwd(id);
      return CHAIN_GO_ON;
    };
    t[K.ENUM] = t[K.ENUM64] = (d, id, frame, _fname, lvl) => {
      d.emitMods(frame);
      if (d.graph.name(id) === "") d.emitEnumDef(id, lvl);
      else d.out += `enum ${d.graph.typeName(id)}`;
      return CHAIN_GO_ON;
    };
    t[K.FWD] = (d, id, frame) => {
      d.emitMods(frame);
      d.out += `${d.graph.fwdIsUnion(id) ? "union" : "struct"} ${d.graph.typeName(id)}`;
      return CHAIN_GO_ON;
    };
    t[K.TYPEDEF] = (d, id, frame) => {
      d.emitMods(frame);
      d.out += d.graph.identName(id);
      return CHAIN_GO_ON;
    };
    t[K.PTR] = (d, _id, _frame, _fname, _lvl, lastWasPtr) => {
      d.out += lastWasPtr ? "*" : " *";
      return CHAIN_GO_ON;
    };
    t[K.VOLATILE] = (d) => {
      d.out += " volatile";
      return CHAIN_GO_ON;
    };
    t[K.CONST] = (d) => {
      d.out += " const";
      return CHAIN_GO_ON;
    };
    t[K.RESTRICT] = (d) => {
      d.out += " restrict";
      return CHAIN_GO_ON;
    };
    t[K.TYPE_TAG] = (d, id, frame) => {
      d.emitMods(frame);
      d.out += ` __attribute__((btf_type_tag("${d.graph.name(id)}")))`;
      return CHAIN_GO_ON;
    };
    t[K.ARRAY] = (d, id, frame, fname, lvl, lastWasPtr) => {
      const g = d.graph;
      // qualifiers on arrays (a GCC quirk) mean nothing in C: dropped
      d.dropMods(frame);
      if (frame.cnt === 0) {
        d.emitName(fname, lastWasPtr);
        d.out += `[${g.nelems(id) >>> 0}]`;
        return CHAIN_DONE;
      }
      const multidim = g.kinds[d.declStack[frame.base + frame.cnt - 1]!] === K.ARRAY;
      if (fname !== "" && !lastWasPtr) d.out += " ";
      if (!multidim) d.out += "(";
      d.emitTypeChain(frame, fname, lvl);
      if (!multidim) d.out += ")";
      d.out += `[${g.nelems(id) >>> 0}]`;
      return CHAIN_DONE;
    };
    t[K.FUNC_PROTO] = (d, id, frame, fname, lvl, lastWasPtr) => {
      // GCC marks noreturn function pointers volatile: dropped too
      d.dropMods(frame);
      if (frame.cnt) {
        d.out += " (";
        d.emitTypeChain(frame, fname, lvl);
        d.out += ")";
      } else {
        d.emitName(fname, lastWasPtr);
      }
      d.out += "(";
      d.emitParams(id, lvl);
      return CHAIN_DONE;
    };
    return t;
  })();

  /** A prototype's parameter list after its `(`, with the closing `)`. */
  private emitParams(id: TypeId, lvl: number): void {
    const g = this.graph;
    const w = g.record(id);
    const words = g.rw;
    const names = g.rn;
    const n = words[w + 1]! & 0xffff;
    // no parameters, or clang's single void parameter: `f(void)`
    // (the libbpf of bpftool 7.1.0 has this fix; libbpf v1.1.0 printed `f()`)
    if (n === 0 || (n === 1 && words[w + 4] === 0)) {
      this.out += "void)";
      return;
    }
    for (let i = 0, p = w + 3; i < n; i++, p += 2) {
      const type = words[p + 1]!;
      if (i > 0) this.out += ", ";
      if (i === n - 1 && type === 0) {
        this.out += "...";
        break;
      }
      this.emitTypeDecl(type, g.nameWord(words[p]!, names), lvl);
    }
    this.out += ")";
  }
}

/** One step of CDumper.emitTypeChain: writes the type `id` popped from `frame`. */
type ChainStep = (d: CDumper, id: TypeId, frame: DeclFrame, fname: string, lvl: number, lastWasPtr: boolean) => number;
const CHAIN_GO_ON = 0;
const CHAIN_DONE = 1;

/**
 * The full text of `bpftool btf dump file F format c`: the header, every
 * type (ids 1.., base types included for split BTF) or only `rootIds` with
 * their dependencies, and the footer.
 */
export function dumpC(btf: Btf, rootIds?: readonly TypeId[]): string {
  return collect((sink) => writeC(btf, sink, rootIds));
}

/**
 * Streams the C dump (header, every root's declarations, footer) into
 * `sink`. Shapes too deep for the dumper's recursion (validation bounds most;
 * function pointers nested through parameters are not) give BtfError ELOOP.
 */
export function writeC(btf: Btf, sink: TextSink, rootIds?: readonly TypeId[]): void {
  const d = new CDumper(btf);
  sink.write(C_DUMP_HEADER);
  let id = 0;
  try {
    if (rootIds && rootIds.length) {
      for (id of rootIds) sink.write(d.dumpType(id));
    } else {
      const n = btf.typeCount;
      for (id = 1; id < n; id++) sink.write(d.dumpType(id));
    }
  } catch (e) {
    // only a stack overflow means nesting; other RangeErrors (string length) are bugs to surface
    if (e instanceof RangeError && /call stack/i.test(e.message)) throw new BtfError("type nests too deeply for the C dumper", { typeId: id }, { errno: "ELOOP", cause: e });
    throw e;
  }
  sink.write(C_DUMP_FOOTER);
}
