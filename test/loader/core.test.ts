// CO-RE relocation end to end (src/loader/core.ts): a local BTF (what the
// program was compiled against) and a target BTF (the kernel) built with
// BtfBuilder at offsets chosen so that every field moves, every relocation
// kind applied to real instructions, with the exact patched values and
// libbpf's debug lines; flavors, anonymous members, arrays (flexible ones
// too), bitfields (little- and big-endian shifts), signedness, enums, type
// matches, ambiguity, poisoning (and the verifier's verdict on a poisoned
// instruction, reached or not), and each refusal with its message.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BtfBuilder } from "../../src/btf/builder.js";
import { encodeBtf } from "../../src/btf/encode.js";
import { BtfKind, IntEncoding } from "../../src/btf/kinds.js";
import { sizeOf, skipModsAndTypedefs } from "../../src/btf/layout.js";
import { findMember } from "../../src/btf/members.js";
import type { Member } from "../../src/btf/types.js";
import { parseBtf } from "../../src/btf/parse.js";
import type { Btf } from "../../src/btf/btf.js";
import { BtfsnoopError } from "../../src/internal/errors.js";
import { CORE_POISON_HELPER, CoreCandidateCache, fixupCoreLog, relocateCore, type CoreResult } from "../../src/loader/core.js";
import { CoreReloKind, type CoreRelo } from "../../src/loader/spec.js";
import { programFromInsns } from "../../src/vm/isa/encode.js";
import { lddwValue, type Instruction } from "../../src/vm/isa/instruction.js";
import { syntheticVmlinux } from "../../src/kernel-model/vmlinux.js";
import { openObject } from "../../src/loader/open.js";
import { FIXTURES, vmlinuxBtf } from "../helpers/fixtures.js";
import { AluOp, Class, JmpOp, LDDW, Mode, Size, Source } from "../../src/vm/isa/opcodes.js";
import { tracingProgType } from "../../src/vm/verifier/prog-types.js";
import { verify } from "../../src/vm/verifier/verifier.js";

const S = IntEncoding.SIGNED;

/** The program's view (local BTF). Offsets in bytes in the comments. */
function buildLocal() {
  const b = new BtfBuilder();
  const int = b.int("int", 4, S);
  const uint = b.int("unsigned int", 4);
  const long = b.int("long", 8, S);
  const ulong = b.int("unsigned long", 8);
  const inner = b.struct("inner", 8);
  b.field(inner, "x", int, 0).field(inner, "y", int, 32);
  const anon = b.struct("", 16);
  b.field(anon, "b", int, 0).field(anon, "c", long, 64);
  const arr4 = b.array(int, int, 4);
  const pinner = b.ptr(inner);
  const sample = b.struct("sample", 72);
  b.field(sample, "a", int, 0) // 0
    .field(sample, "", anon, 64) // 8: b @8, c @16
    .field(sample, "arr", arr4, 192) // 24
    .field(sample, "in", inner, 320) // 40
    .field(sample, "bf1", uint, 384, 3) // bits 384..386
    .field(sample, "bf2", uint, 387, 10) // bits 387..396
    .field(sample, "sbf", int, 397, 5) // bits 397..401
    .field(sample, "u", uint, 416) // 52
    .field(sample, "s", int, 448) // 56
    .field(sample, "gone", int, 480) // 60
    .field(sample, "p", pinner, 512); // 64
  const state = b.enum("state", 4, [["RUNNING", 0], ["SLEEPING", 1], ["DEAD", 2]]);
  const big = b.enum64("big", 8, [["HUGE", 0x1_0000_0000n]]);
  const pid = b.typedef("pid_t", int);
  const v2 = b.struct("sample___v2", 4);
  b.field(v2, "a", int, 0);
  const onlyLocal = b.struct("only_local", 4);
  b.field(onlyLocal, "q", int, 0);
  const dup = b.struct("dup", 8);
  b.field(dup, "f", int, 32);
  const anonRoot = b.struct("", 4);
  b.field(anonRoot, "z", int, 0);
  const matchMe = b.struct("match_me", 16);
  b.field(matchMe, "a", int, 0).field(matchMe, "p", pinner, 64);
  const noMatch = b.struct("nomatch", 16);
  b.field(noMatch, "a", int, 0).field(noMatch, "b", long, 64);
  const arr0 = b.array(int, int, 0);
  const flex = b.struct("flex", 4);
  b.field(flex, "n", int, 0).field(flex, "data", arr0, 32);
  const bigs = b.struct("bigs", 8);
  b.field(bigs, "f", int, 0);
  const wide = b.struct("wide", 8);
  b.field(wide, "w", ulong, 0, 10);
  return { btf: b.finish(), int, inner, anon, sample, state, big, pid, v2, onlyLocal, dup, anonRoot, matchMe, noMatch, flex, bigs, wide };
}

/** The kernel's view (target BTF): every field elsewhere. */
function buildTarget() {
  const b = new BtfBuilder();
  const int = b.int("int", 4, S);
  const uint = b.int("unsigned int", 4);
  const long = b.int("long", 8, S);
  const ulong = b.int("unsigned long", 8);
  const inner = b.struct("inner", 8);
  b.field(inner, "y", int, 0).field(inner, "x", int, 32);
  const anon = b.struct("", 24);
  b.field(anon, "z", long, 0).field(anon, "b", int, 64).field(anon, "c", long, 128);
  const arr8 = b.array(int, int, 8);
  const pinner = b.ptr(inner);
  const sample = b.struct("sample", 128);
  b.field(sample, "pad", long, 0) // 0
    .field(sample, "a", int, 64) // 8
    .field(sample, "", anon, 128) // 16: z @16, b @24, c @32
    .field(sample, "arr", arr8, 320) // 40
    .field(sample, "in", inner, 576) // 72: y @72, x @76
    .field(sample, "bf0", uint, 640, 7) // bits 640..646
    .field(sample, "bf1", uint, 647, 3) // bits 647..649
    .field(sample, "bf2", uint, 670, 10) // bits 670..679: crosses the u32 at byte 84
    .field(sample, "sbf", int, 680, 5) // bits 680..684
    .field(sample, "u", ulong, 704) // 88
    .field(sample, "s", long, 768) // 96
    .field(sample, "p", pinner, 832); // 104
  const old = b.struct("sample___old", 8);
  b.field(old, "a", inner, 0);
  const state = b.enum("state", 4, [["RUNNING", 7], ["DEAD", 9], ["ZOMBIE", 3]]);
  const big = b.enum64("big", 8, [["HUGE", 0x2_0000_0005n]]);
  const pid = b.typedef("pid_t", int);
  const dup1 = b.struct("dup", 8);
  b.field(dup1, "f", int, 0);
  const dup2 = b.struct("dup", 8);
  b.field(dup2, "f", int, 32);
  const matchMe = b.struct("match_me", 16);
  b.field(matchMe, "a", int, 0).field(matchMe, "p", pinner, 64);
  const noMatch = b.struct("nomatch", 8);
  b.field(noMatch, "a", int, 0).field(noMatch, "b", int, 32);
  const arr0 = b.array(int, int, 0);
  const flex = b.struct("flex", 8);
  b.field(flex, "n", long, 0).field(flex, "data", arr0, 64);
  const bigs = b.struct("bigs", 40008);
  b.field(bigs, "f", int, 40000 * 8);
  const wide = b.struct("wide", 16);
  b.field(wide, "w", ulong, 60, 10);
  return { btf: b.finish(), inner, sample, old, state, big, pid, dup1, dup2, matchMe, noMatch };
}

const L = buildLocal();
const T = buildTarget();

// Instructions as clang emits them for CO-RE accesses.
const ldx = (size: number, off: number): Instruction => ({ opcode: Class.LDX | Mode.MEM | size, dst: 0, src: 1, off, imm: 0 });
const stx = (size: number, off: number): Instruction => ({ opcode: Class.STX | Mode.MEM | size, dst: 1, src: 2, off, imm: 0 });
const st = (size: number, off: number, imm: number): Instruction => ({ opcode: Class.ST | Mode.MEM | size, dst: 1, src: 0, off, imm });
const mov64 = (imm: number): Instruction => ({ opcode: Class.ALU64 | AluOp.MOV | Source.K, dst: 0, src: 0, off: 0, imm });
const mov32 = (imm: number): Instruction => ({ opcode: Class.ALU | AluOp.MOV | Source.K, dst: 0, src: 0, off: 0, imm });
const add64 = (imm: number): Instruction => ({ opcode: Class.ALU64 | AluOp.ADD | Source.K, dst: 1, src: 0, off: 0, imm });
const lddw = (v: bigint): Instruction => ({ opcode: LDDW, dst: 0, src: 0, off: 0, imm: Number(BigInt.asIntN(32, v)), imm2: Number(BigInt.asIntN(32, v >> 32n)) });
const exit: Instruction = { opcode: Class.JMP | JmpOp.EXIT, dst: 0, src: 0, off: 0, imm: 0 };
const K = CoreReloKind;

/** Relocates one instruction with one relocation; returns the result. */
function one(insn: Instruction, typeId: number, access: string, kind: CoreReloKind, target: Btf = T.btf): CoreResult {
  const [r] = relocateCore(L.btf, target, [{ insn: 0, typeId, access, kind }], [insn], { program: "p" });
  return r!;
}

function failure(f: () => unknown): BtfsnoopError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(BtfsnoopError);
    return e as BtfsnoopError;
  }
  throw new Error("expected a failure");
}

describe("field byte offsets", () => {
  it("moves a load's offset and prints libbpf's debug lines", () => {
    const r = one(ldx(Size.W, 0), L.sample, "0:0", K.FIELD_BYTE_OFFSET);
    expect(r.insns).toEqual([ldx(Size.W, 8)]);
    expect(r.poisoned).toBe(false);
    expect(r.origValue).toBe(0n);
    expect(r.newValue).toBe(8n);
    expect(r.spec).toBe(`<byte_off> [${L.sample}] struct sample.a (0:0 @ offset 0)`);
    expect(r.target).toBe(`[${T.sample}] struct sample.a (0:1 @ offset 8)`);
    expect(r.targetTypeId).toBe(T.sample);
    expect(r.log).toEqual([
      `prog 'p': relo #0: kind <byte_off> (0), spec is [${L.sample}] struct sample.a (0:0 @ offset 0)`,
      `CO-RE relocating [${L.sample}] struct sample: found target candidate [${T.sample}] struct sample in [vmlinux]`,
      `CO-RE relocating [${L.sample}] struct sample: found target candidate [${T.old}] struct sample___old in [vmlinux]`,
      `prog 'p': relo #0: matching candidate #0 [${T.sample}] struct sample.a (0:1 @ offset 8)`,
      // sample___old has an 'a', but a struct, not an int: its walk stops there.
      `prog 'p': relo #0: non-matching candidate #1 [${T.old}] struct sample___old (0:0 @ offset 0)`,
      `prog 'p': relo #0: patched insn #0 (LDX/ST/STX) off 0 -> 8`,
    ]);
  });

  it("walks through anonymous members, arrays and nested structs", () => {
    const b = one(ldx(Size.W, 8), L.sample, "0:1:0", K.FIELD_BYTE_OFFSET);
    expect(b.spec).toBe(`<byte_off> [${L.sample}] struct sample.b (0:1:0 @ offset 8)`);
    expect(b.target).toBe(`[${T.sample}] struct sample.b (0:2:1 @ offset 24)`);
    expect(b.insns).toEqual([ldx(Size.W, 24)]);
    const c = one(ldx(Size.DW, 16), L.sample, "0:1:1", K.FIELD_BYTE_OFFSET);
    expect(c.insns).toEqual([ldx(Size.DW, 32)]);
    const el = one(ldx(Size.W, 36), L.sample, "0:2:3", K.FIELD_BYTE_OFFSET);
    expect(el.spec).toBe(`<byte_off> [${L.sample}] struct sample.arr[3] (0:2:3 @ offset 36)`);
    expect(el.target).toBe(`[${T.sample}] struct sample.arr[3] (0:3:3 @ offset 52)`);
    expect(el.insns).toEqual([ldx(Size.W, 52)]);
    const x = one(ldx(Size.W, 40), L.sample, "0:3:0", K.FIELD_BYTE_OFFSET);
    expect(x.target).toBe(`[${T.sample}] struct sample.in.x (0:4:1 @ offset 76)`);
    expect(x.insns).toEqual([ldx(Size.W, 76)]);
    const p = one(ldx(Size.DW, 64), L.sample, "0:10", K.FIELD_BYTE_OFFSET);
    expect(p.insns).toEqual([ldx(Size.DW, 104)]);
  });

  it("relocates stores, immediate stores and address arithmetic", () => {
    expect(one(stx(Size.W, 0), L.sample, "0:0", K.FIELD_BYTE_OFFSET).insns).toEqual([stx(Size.W, 8)]);
    expect(one(st(Size.W, 0, 7), L.sample, "0:0", K.FIELD_BYTE_OFFSET).insns).toEqual([st(Size.W, 8, 7)]);
    const r = one(add64(40), L.sample, "0:3", K.FIELD_BYTE_OFFSET);
    expect(r.insns).toEqual([add64(72)]);
    expect(r.log[r.log.length - 1]).toBe("prog 'p': relo #0: patched insn #0 (ALU/ALU64) imm 40 -> 72");
  });

  it("scales the root index (p[2].a) by the target's size", () => {
    const r = one(add64(2 * 72), L.sample, "2:0", K.FIELD_BYTE_OFFSET);
    expect(r.spec).toBe(`<byte_off> [${L.sample}] struct sample[2].a (2:0 @ offset 144)`);
    expect(r.insns).toEqual([add64(2 * 128 + 8)]);
  });

  it("indexes flexible arrays past their zero length", () => {
    const r = one(ldx(Size.W, 24), L.flex, "0:1:5", K.FIELD_BYTE_OFFSET);
    expect(r.spec).toBe(`<byte_off> [${L.flex}] struct flex.data[5] (0:1:5 @ offset 24)`);
    expect(r.insns).toEqual([ldx(Size.W, 28)]);
  });

  it("grows a load of an unsigned field that grew (4 -> 8 bytes)", () => {
    const r = one(ldx(Size.W, 52), L.sample, "0:7", K.FIELD_BYTE_OFFSET);
    expect(r.insns).toEqual([ldx(Size.DW, 88)]);
    expect(r.log.slice(-2)).toEqual(["prog 'p': relo #0: patched insn #0 (LDX/ST/STX) off 52 -> 88", "prog 'p': relo #0: patched insn #0 (LDX/ST/STX) mem_sz 4 -> 8"]);
  });

  it("poisons a load of a signed field whose size changed (zero extension would be wrong)", () => {
    const r = one(ldx(Size.W, 56), L.sample, "0:8", K.FIELD_BYTE_OFFSET);
    expect(r.poisoned).toBe(true);
    expect(r.insns).toEqual([{ opcode: 0x85, dst: 0, src: 0, off: 0, imm: 195896080 }]);
    expect(r.log.slice(-2)).toEqual([
      "prog 'p': relo #0: insn #0 (LDX/ST/STX) accesses field incorrectly. Make sure you are accessing pointers, unsigned integers, or fields of matching type and size.",
      "prog 'p': relo #0: substituting insn #0 w/ invalid insn",
    ]);
  });

  it("poisons the access of a field the target lacks", () => {
    const r = one(ldx(Size.W, 60), L.sample, "0:9", K.FIELD_BYTE_OFFSET);
    expect(r.poisoned).toBe(true);
    expect(r.insns).toEqual([{ opcode: Class.JMP | JmpOp.CALL, dst: 0, src: 0, off: 0, imm: CORE_POISON_HELPER }]);
    expect(r.target).toBeUndefined();
    expect(r.log.slice(-4)).toEqual([
      `prog 'p': relo #0: non-matching candidate #0 [${T.sample}] struct sample (0 @ offset 0)`,
      `prog 'p': relo #0: non-matching candidate #1 [${T.old}] struct sample___old (0 @ offset 0)`,
      "prog 'p': relo #0: no matching targets found",
      "prog 'p': relo #0: substituting insn #0 w/ invalid insn",
    ]);
  });
});

describe("field sizes, existence, signedness", () => {
  it("byte size of a field, an array and an array element", () => {
    expect(one(mov64(4), L.sample, "0:0", K.FIELD_BYTE_SIZE).insns).toEqual([mov64(4)]);
    expect(one(mov64(16), L.sample, "0:2", K.FIELD_BYTE_SIZE).insns).toEqual([mov64(32)]);
    expect(one(mov64(4), L.sample, "0:2:1", K.FIELD_BYTE_SIZE).insns).toEqual([mov64(4)]);
    expect(one(mov64(4), L.sample, "0:7", K.FIELD_BYTE_SIZE).insns).toEqual([mov64(8)]);
  });

  it("field existence: 1 when found, 0 (not poisoned) when missing", () => {
    expect(one(mov64(1), L.sample, "0:1:1", K.FIELD_EXISTS).insns).toEqual([mov64(1)]);
    const r = one(mov64(1), L.sample, "0:9", K.FIELD_EXISTS);
    expect(r.insns).toEqual([mov64(0)]);
    expect(r.poisoned).toBe(false);
  });

  it("signedness of ints and bitfields", () => {
    expect(one(mov64(1), L.sample, "0:0", K.FIELD_SIGNED).newValue).toBe(1n);
    expect(one(mov64(0), L.sample, "0:7", K.FIELD_SIGNED).newValue).toBe(0n);
    expect(one(mov64(0), L.sample, "0:4", K.FIELD_SIGNED).newValue).toBe(0n);
    expect(one(mov64(1), L.sample, "0:6", K.FIELD_SIGNED).newValue).toBe(1n);
    // The compiler's value is checked for signedness even on bitfields.
    const e = failure(() => one(mov64(0), L.sample, "0:6", K.FIELD_SIGNED));
    expect(e.message).toBe(
      `program 'p', insn 0: CO-RE relo #0 <signed> [${L.sample}] struct sample.sbf (0:6 @ offset 49.5): unexpected insn #0 (ALU/ALU64) value: got 0, exp 1 -> 1`,
    );
  });
});

describe("bitfields", () => {
  // Local bf2: bits 387..396 -> u32 at byte 48, lshift 64-13 = 51. Target bf2: bits 670..679 cross the
  // u32 at byte 84, so a u64 at byte 80: lshift 64-(680-640) = 24, rshift 64-10 = 54.
  it("offset, size and shifts of a bitfield that needs a wider load in the target", () => {
    const off = one(add64(48), L.sample, "0:5", K.FIELD_BYTE_OFFSET);
    expect(off.spec).toBe(`<byte_off> [${L.sample}] struct sample.bf2 (0:5 @ offset 48.3)`);
    expect(off.target).toBe(`[${T.sample}] struct sample.bf2 (0:7 @ offset 83.6)`);
    expect(off.insns).toEqual([add64(80)]);
    expect(one(mov64(4), L.sample, "0:5", K.FIELD_BYTE_SIZE).insns).toEqual([mov64(8)]);
    expect(one(mov64(51), L.sample, "0:5", K.FIELD_LSHIFT_U64).insns).toEqual([mov64(24)]);
    expect(one(mov64(54), L.sample, "0:5", K.FIELD_RSHIFT_U64).insns).toEqual([mov64(54)]);
  });

  it("a bitfield that stays in a u32 (bf1: bits 647..649 -> u32 at byte 80)", () => {
    expect(one(add64(48), L.sample, "0:4", K.FIELD_BYTE_OFFSET).insns).toEqual([add64(80)]);
    expect(one(mov64(61), L.sample, "0:4", K.FIELD_LSHIFT_U64).insns).toEqual([mov64(64 - 10)]);
    expect(one(mov64(61), L.sample, "0:4", K.FIELD_RSHIFT_U64).insns).toEqual([mov64(61)]);
    // Signed bitfield sbf: target bits 680..684 -> u32 at byte 84, lshift 64-13, rshift 64-5.
    expect(one(mov64(46), L.sample, "0:6", K.FIELD_LSHIFT_U64).insns).toEqual([mov64(51)]);
    expect(one(mov64(59), L.sample, "0:6", K.FIELD_RSHIFT_U64).insns).toEqual([mov64(59)]);
  });

  it("big-endian targets shift from the other end", () => {
    const be = parseBtf(encodeBtf(T.btf, { littleEndian: false }));
    expect(be.littleEndian).toBe(false);
    // bf2: u64 at bit 640: (8-8)*8 + (670-640) = 30; bf1: u32 at bit 640: (8-4)*8 + 7 = 39.
    expect(one(mov64(51), L.sample, "0:5", K.FIELD_LSHIFT_U64, be).newValue).toBe(30n);
    expect(one(mov64(61), L.sample, "0:4", K.FIELD_LSHIFT_U64, be).newValue).toBe(39n);
    expect(one(mov64(54), L.sample, "0:5", K.FIELD_RSHIFT_U64, be).newValue).toBe(54n);
  });

  it("refuses a bitfield no 64-bit load can cover", () => {
    const e = failure(() => one(mov64(54), L.wide, "0:0", K.FIELD_RSHIFT_U64));
    expect(e.errno).toBe("E2BIG");
    expect(e.message).toBe(
      `program 'p', insn 0: CO-RE relo #0 <rshift_u64> [${L.wide}] struct wide.w (0:0 @ offset 0): <rshift_u64> relocation at insn #0 can't be satisfied for bitfield: it cannot be read with one 64-bit load`,
    );
  });
});

describe("type relocations", () => {
  it("local and target type ids", () => {
    const local = one(mov64(L.inner), L.inner, "0", K.TYPE_ID_LOCAL);
    expect(local.insns).toEqual([mov64(L.inner)]);
    expect(local.log).toEqual([
      `prog 'p': relo #0: kind <local_type_id> (6), spec is [${L.inner}] struct inner`,
      `prog 'p': relo #0: patched insn #0 (ALU/ALU64) imm ${L.inner} -> ${L.inner}`,
    ]);
    // The compiler's id is not checked (linking renumbers types).
    expect(one(lddw(999n), L.inner, "0", K.TYPE_ID_TARGET).insns).toEqual([lddw(BigInt(T.inner))]);
    expect(one(mov64(0), L.onlyLocal, "0", K.TYPE_ID_TARGET).insns).toEqual([mov64(0)]);
  });

  it("type exists and type size, typedefs included", () => {
    expect(one(mov64(1), L.inner, "0", K.TYPE_EXISTS).insns).toEqual([mov64(1)]);
    expect(one(mov64(1), L.onlyLocal, "0", K.TYPE_EXISTS).insns).toEqual([mov64(0)]);
    expect(one(mov64(1), L.pid, "0", K.TYPE_EXISTS).insns).toEqual([mov64(1)]);
    expect(one(mov64(4), L.pid, "0", K.TYPE_SIZE).insns).toEqual([mov64(4)]);
    expect(one(mov64(16), L.noMatch, "0", K.TYPE_SIZE).insns).toEqual([mov64(8)]);
    expect(one(mov64(4), L.onlyLocal, "0", K.TYPE_SIZE).newValue).toBe(0n);
  });

  it("type matches: member names, sizes and signedness must agree", () => {
    const yes = one(mov64(1), L.matchMe, "0", K.TYPE_MATCHES);
    expect(yes.insns).toEqual([mov64(1)]);
    expect(yes.log[0]).toBe(`prog 'p': relo #0: kind <type_matches> (12), spec is [${L.matchMe}] struct match_me`);
    // nomatch exists (compatible) but b is a long locally and an int in the target: no match.
    expect(one(mov64(1), L.noMatch, "0", K.TYPE_EXISTS).insns).toEqual([mov64(1)]);
    expect(one(mov64(1), L.noMatch, "0", K.TYPE_MATCHES).insns).toEqual([mov64(0)]);
  });
});

describe("enum values", () => {
  it("exists and value by enumerator name", () => {
    expect(one(mov64(1), L.state, "0", K.ENUMVAL_EXISTS).insns).toEqual([mov64(1)]);
    expect(one(mov64(1), L.state, "1", K.ENUMVAL_EXISTS).insns).toEqual([mov64(0)]);
    const run = one(mov64(0), L.state, "0", K.ENUMVAL_VALUE);
    expect(run.insns).toEqual([mov64(7)]);
    expect(run.spec).toBe(`<enumval_value> [${L.state}] enum state::RUNNING = 0`);
    expect(run.target).toBe(`[${T.state}] enum state::RUNNING = 7`);
    expect(one(mov32(2), L.state, "2", K.ENUMVAL_VALUE).insns).toEqual([mov32(9)]);
  });

  it("32-bit enumerators are widened as s32, as libbpf reads them (negative and high values)", () => {
    const l = new BtfBuilder();
    const le = l.enum("sig", 4, [["NEG", -1], ["HIGH", 5]]);
    const t = new BtfBuilder();
    t.enum("sig", 4, [["NEG", -5]]);
    t.enum("sig___u", 4, [["HIGH", 0x80000000]], false);
    const L2 = l.finish();
    const T2 = t.finish();
    const neg = relocateCore(L2, T2, [{ insn: 0, typeId: le, access: "0", kind: K.ENUMVAL_VALUE }], [mov64(-1)], { program: "p" })[0]!;
    expect(neg.origValue).toBe(0xffff_ffff_ffff_ffffn);
    expect(neg.insns).toEqual([mov64(-5)]);
    const high = relocateCore(L2, T2, [{ insn: 0, typeId: le, access: "1", kind: K.ENUMVAL_VALUE }], [mov64(5)], { program: "p" })[0]!;
    expect(high.newValue).toBe(0xffff_ffff_8000_0000n);
    expect(high.insns).toEqual([mov64(-0x80000000)]);
  });

  it("a missing enumerator's value poisons; a 64-bit value in an lddw poisons both slots", () => {
    const r = one(mov64(1), L.state, "1", K.ENUMVAL_VALUE);
    expect(r.poisoned).toBe(true);
    const big = one(lddw(0x1_0000_0000n), L.big, "0", K.ENUMVAL_VALUE);
    expect(big.insns).toEqual([lddw(0x2_0000_0005n)]);
    expect(big.log[big.log.length - 1]).toBe("prog 'p': relo #0: patched insn #0 (LDIMM64) imm64 4294967296 -> 8589934597");
    const t2 = new BtfBuilder();
    t2.enum64("big", 8, [["OTHER", 1n]]);
    const gone = one(lddw(0x1_0000_0000n), L.big, "0", K.ENUMVAL_VALUE, t2.finish());
    expect(gone.insns).toEqual([
      { opcode: 0x85, dst: 0, src: 0, off: 0, imm: CORE_POISON_HELPER },
      { opcode: 0x85, dst: 0, src: 0, off: 0, imm: CORE_POISON_HELPER },
    ]);
    expect(gone.log.slice(-2)).toEqual(["prog 'p': relo #0: substituting insn #1 w/ invalid insn", "prog 'p': relo #0: substituting insn #0 w/ invalid insn"]);
  });
});

describe("candidates", () => {
  it("a local flavor (sample___v2) finds the plain target name and skips the incompatible flavor", () => {
    const r = one(ldx(Size.W, 0), L.v2, "0:0", K.FIELD_BYTE_OFFSET);
    expect(r.insns).toEqual([ldx(Size.W, 8)]);
    expect(r.spec).toBe(`<byte_off> [${L.v2}] struct sample___v2.a (0:0 @ offset 0)`);
    expect(r.targetTypeId).toBe(T.sample);
  });

  it("candidates that disagree on the offset are an ambiguity error naming the relocation", () => {
    const e = failure(() => relocateCore(L.btf, T.btf, [{ insn: 1, typeId: L.dup, access: "0:0", kind: K.FIELD_BYTE_OFFSET }], [mov64(0), ldx(Size.W, 4)], { program: "handle", section: "kprobe/x", object: "x.bpf.o" }));
    expect(e.errno).toBe("EINVAL");
    expect(e.message).toBe(
      `'x.bpf.o': section 'kprobe/x', program 'handle', insn 1: CO-RE relo #0 <byte_off> [${L.dup}] struct dup.f (0:0 @ offset 4): field offset ambiguity: 32 != 0 (bits; candidate [${T.dup2}] dup vs [${T.dup1}] dup)`,
    );
    expect(e.hint).toBe("the target BTF has several types of this essential name that place the field differently; libbpf refuses such a relocation too");
  });

  it("candidates that agree on the offset but not the value are a decision ambiguity", () => {
    // sample and sample___old are both structs, so compatible for TYPE_SIZE, with sizes 128 and 8.
    const e = failure(() => one(mov64(72), L.sample, "0", K.TYPE_SIZE));
    expect(e.message).toBe(
      `program 'p', insn 0: CO-RE relo #0 <type_size> [${L.sample}] struct sample: relocation decision ambiguity: success 8 != success 128 (candidate [${T.old}] sample___old vs [${T.sample}] sample)`,
    );
  });

  it("searches once per local type and narrows the list to the candidates that matched", () => {
    const cache = new CoreCandidateCache(L.btf, T.btf);
    const relos: CoreRelo[] = [
      { insn: 0, typeId: L.sample, access: "0:0", kind: K.FIELD_BYTE_OFFSET },
      { insn: 1, typeId: L.sample, access: "0:3:1", kind: K.FIELD_BYTE_OFFSET },
    ];
    const rs = relocateCore(L.btf, T.btf, relos, [ldx(Size.W, 0), ldx(Size.W, 44)], { program: "p", cache });
    expect(rs.map((r) => r.insns[0]!.off)).toEqual([8, 72]);
    expect(cache.searches).toBe(1);
    expect(cache.candidates(L.sample)).toEqual([T.sample]);
    // The second relocation no longer considers sample___old.
    expect(rs[1]!.log.filter((l) => l.includes("candidate"))).toEqual([`prog 'p': relo #1: matching candidate #0 [${T.sample}] struct sample.in.y (0:4:0 @ offset 72)`]);
    // Now TYPE_SIZE is unambiguous: sample___old was pruned.
    expect(relocateCore(L.btf, T.btf, [{ insn: 0, typeId: L.sample, access: "0", kind: K.TYPE_SIZE }], [mov64(72)], { program: "p", cache })[0]!.newValue).toBe(128n);
    expect(() => relocateCore(L.btf, L.btf, relos, [ldx(Size.W, 0), ldx(Size.W, 44)], { program: "p", cache })).toThrow(/candidate cache belongs to another pair of BTFs/);
  });

  it("an anonymous root type cannot have candidates", () => {
    const e = failure(() => one(ldx(Size.W, 0), L.anonRoot, "0:0", K.FIELD_BYTE_OFFSET));
    expect(e.message).toBe(
      `program 'p', insn 0: CO-RE relo #0 target candidate search failed for [${L.anonRoot}] struct <anon>: the type is anonymous: candidates are found by name`,
    );
  });
});

describe("instructions that cannot take the relocation", () => {
  const cases: [string, Instruction, number, string, CoreReloKind, string][] = [
    ["load offset differs from the local type's", ldx(Size.W, 4), L.sample, "0:0", K.FIELD_BYTE_OFFSET, "unexpected insn #0 (LDX/ST/STX) value: got 4, exp 0 -> 8"],
    ["ALU immediate differs", mov64(5), L.sample, "0:0", K.FIELD_BYTE_SIZE, "unexpected insn #0 (ALU/ALU64) value: got 5, exp 4 -> 4"],
    ["lddw value differs", lddw(3n), L.sample, "0:0", K.FIELD_BYTE_OFFSET, "unexpected insn #0 (LDIMM64) value: got 3, exp 0 -> 8"],
    ["ALU with a register operand", { ...mov64(0), opcode: Class.ALU64 | AluOp.MOV | Source.X, src: 2 }, L.sample, "0:0", K.FIELD_BYTE_OFFSET, "insn #0 (ALU/ALU64) has a register operand, not an immediate to relocate"],
    ["a jump", { opcode: Class.JMP | JmpOp.JEQ, dst: 1, src: 0, off: 2, imm: 0 }, L.sample, "0:0", K.FIELD_BYTE_OFFSET, "trying to relocate unrecognized insn #0, code:0x15, src:0x0, dst:0x1, off:0x2, imm:0x0"],
    ["an lddw of a map", { ...lddw(0n), src: 1 }, L.sample, "0:0", K.FIELD_BYTE_OFFSET, "insn #0 (LDIMM64) has unexpected form"],
    ["a load of the wrong size", ldx(Size.B, 52), L.sample, "0:7", K.FIELD_BYTE_OFFSET, "insn #0 (LDX/ST/STX) unexpected mem size: got 1, exp 4"],
    ["an offset beyond s16", ldx(Size.W, 0), L.bigs, "0:0", K.FIELD_BYTE_OFFSET, "insn #0 (LDX/ST/STX) value too big: 40000"],
    ["an element access with a kind that needs a field", mov64(1), L.sample, "0:2:3", K.FIELD_SIGNED, "<signed> relocation at insn #0 can't be applied to array access"],
  ];
  for (const [what, insn, typeId, access, kind, msg] of cases) {
    it(what, () => {
      const e = failure(() => one(insn, typeId, access, kind));
      expect(e.message.endsWith(`: ${msg}`), e.message).toBe(true);
    });
  }

  it("an ALU immediate cannot hold a value beyond 32 bits", () => {
    const e = failure(() => one(mov64(0), L.big, "0", K.ENUMVAL_VALUE));
    // The compiler's value (0x100000000) did not fit either; checked first.
    expect(e.message).toMatch(/unexpected insn #0 \(ALU\/ALU64\) value: got 0, exp 4294967296 -> 8589934597$/);
  });
});

describe("malformed records", () => {
  const cases: [string, CoreRelo, string][] = [
    ["empty access string", { insn: 0, typeId: 0, access: "", kind: K.FIELD_BYTE_OFFSET }, "parsing [0] void <anon> +  failed: access string '' is empty or starts with ':'"],
    ["access string starting with ':'", { insn: 0, typeId: 0, access: ":0", kind: K.FIELD_BYTE_OFFSET }, "parsing [0] void <anon> + :0 failed: access string ':0' is empty or starts with ':'"],
    ["non-numeric index", { insn: 0, typeId: 0, access: "0:a", kind: K.FIELD_BYTE_OFFSET }, "parsing [0] void <anon> + 0:a failed: access string '0:a': 'a' is not an index"],
    ["member index out of range", { insn: 0, typeId: 0, access: "0:11", kind: K.FIELD_BYTE_OFFSET }, "failed: member #11 out of range (struct sample [SAMPLE] has 11)"],
    ["array index out of range", { insn: 0, typeId: 0, access: "0:2:4", kind: K.FIELD_BYTE_OFFSET }, "failed: array index 4 out of range (array [ARR] has 4 elements)"],
    ["type relocation with an access path", { insn: 0, typeId: 0, access: "0:1", kind: K.TYPE_EXISTS }, "failed: type-based relocation has access string '0:1' (expected '0')"],
    ["enum value relocation on a struct", { insn: 0, typeId: 0, access: "0", kind: K.ENUMVAL_VALUE }, "failed: enum value relocation against [SAMPLE] struct, not an enum"],
    ["unknown kind", { insn: 0, typeId: 0, access: "0", kind: 13 as CoreReloKind }, "failed: unknown relocation kind 13"],
  ];
  for (const [what, relo, msg] of cases) {
    it(what, () => {
      const typeId = relo.access === "" || relo.access.startsWith(":") || relo.access === "0:a" ? 0 : L.sample;
      const arr = L.sample - 2; // arr4 is built two types before sample (arr4, ptr, sample)
      const e = failure(() => relocateCore(L.btf, T.btf, [{ ...relo, typeId }], [ldx(Size.W, 0)], { program: "p" }));
      expect(e.errno).toBe("EINVAL");
      expect(e.message).toContain(msg.replace("SAMPLE", String(L.sample)).replace("ARR", String(arr)));
    });
  }

  it("instruction and type id out of range", () => {
    expect(failure(() => relocateCore(L.btf, T.btf, [{ insn: 3, typeId: L.sample, access: "0:0", kind: 0 }], [exit], { program: "p" })).message).toBe(
      "program 'p': CO-RE relo #0: instruction #3 out of range (the function has 1 instructions)",
    );
    expect(failure(() => relocateCore(L.btf, T.btf, [{ insn: 0, typeId: 9999, access: "0:0", kind: 0 }], [exit], { program: "p" })).message).toBe(
      `program 'p', insn 0: CO-RE relo #0: type id 9999 out of range (local BTF has ${L.btf.typeCount - 1} types)`,
    );
  });
});

describe("poisoned instructions and the verifier", () => {
  // r0 = field_exists(sample.gone); if r0 <op> 0 goto +1; r0 = sample->gone; exit.
  function program(jmpOp: number): { insns: Instruction[]; results: CoreResult[] } {
    const insns: Instruction[] = [mov64(1), { opcode: Class.JMP | jmpOp, dst: 0, src: 0, off: 1, imm: 0 }, ldx(Size.W, 60), exit];
    const relos: CoreRelo[] = [
      { insn: 0, typeId: L.sample, access: "0:9", kind: K.FIELD_EXISTS },
      { insn: 2, typeId: L.sample, access: "0:9", kind: K.FIELD_BYTE_OFFSET },
    ];
    const results = relocateCore(L.btf, T.btf, relos, insns, { program: "p" });
    const out = insns.slice();
    for (const r of results) out[r.relo.insn] = r.insns[0]!;
    return { insns: out, results };
  }

  it("an unreachable poisoned instruction (guarded by the field's existence) is accepted", () => {
    const { insns, results } = program(JmpOp.JEQ);
    expect(results[1]!.poisoned).toBe(true);
    const v = verify(programFromInsns(insns), { progType: tracingProgType() });
    expect(v.accepted).toBe(true);
  });

  it("a reached one is rejected as an unknown helper, and the log names the relocation", () => {
    const { insns, results } = program(JmpOp.JNE);
    // libbpf retries a failed load with log_level 1 to get the instruction lines it rewrites.
    const v = verify(programFromInsns(insns), { progType: tracingProgType(), logLevel: 1 });
    expect(v.accepted).toBe(false);
    expect(v.error!.reason).toBe("invalid func unknown#195896080");
    const log = v.log.join("\n") + "\n";
    expect(log).toContain("2: (85) call unknown#195896080\ninvalid func unknown#195896080\n");
    const fixed = fixupCoreLog(log, (insn) => results.find((r) => r.poisoned && r.relo.insn === insn)?.spec);
    expect(fixed).toContain(`2: <invalid CO-RE relocation>\nfailed to resolve CO-RE relocation <byte_off> [${L.sample}] struct sample.gone (0:9 @ offset 60)\n`);
    expect(fixed).not.toContain("unknown#195896080");
    // A log that does not end at a poisoned call is left alone.
    expect(fixupCoreLog(log, () => undefined)).toBe(log);
    expect(fixupCoreLog("0: (b7) r0 = 0\n", () => "x")).toBe("0: (b7) r0 = 0\n");
  });
});

// ---------------------------------------------------------------------------
// Clang-built objects (test/fixtures/loader/obj, see its README) relocated
// against both kernels: every patched value must equal what the target BTF
// says, computed here independently by names (findMember, sizeOf).

const OBJ_DIR = join(FIXTURES, "loader", "obj");
const TARGETS: [string, () => Btf][] = [
  ["vmlinux-6.18", vmlinuxBtf],
  ["synthetic", syntheticVmlinux],
];

/** The value a relocated instruction carries: ALU imm, load/store offset, or lddw's 64-bit immediate. */
function carried(insn: Instruction): bigint {
  const cls = insn.opcode & 7;
  if (insn.opcode === LDDW) return lddwValue(insn);
  if (cls === Class.LDX || cls === Class.ST || cls === Class.STX) return BigInt(insn.off);
  return BigInt(insn.imm);
}

type Step = { name: string } | { index: number };

/** The access string as C would write it: member names (anonymous members dropped) and array indices. */
function accessSteps(btf: Btf, root: number, access: string): { first: number; steps: Step[] } {
  const raw = access.split(":").map(Number);
  const steps: Step[] = [];
  let id = root;
  for (const idx of raw.slice(1)) {
    const t = btf.typeById(skipModsAndTypedefs(btf, id));
    if (t.kind === BtfKind.ARRAY) {
      steps.push({ index: idx });
      id = t.type;
    } else if (t.kind === BtfKind.STRUCT || t.kind === BtfKind.UNION) {
      const m = t.members[idx]!;
      if (m.name) steps.push({ name: m.name });
      id = m.type;
    } else throw new Error(`unexpected ${t.kind}`);
  }
  return { first: raw[0]!, steps };
}

interface Expected {
  bits: number;
  member: Member | undefined;
  type: number;
}

/** Walks the steps in the target from type `root`: bit offset, last member and its type; undefined if a name is missing. */
function walkTarget(btf: Btf, root: number, first: number, steps: Step[]): Expected | undefined {
  let id = root;
  let bits = first * sizeOf(btf, root) * 8;
  let member: Member | undefined;
  for (const s of steps) {
    if ("name" in s) {
      const t = btf.typeById(skipModsAndTypedefs(btf, id));
      if (t.kind !== BtfKind.STRUCT && t.kind !== BtfKind.UNION) return undefined;
      const f = findMember(btf, id, s.name);
      if (!f) return undefined;
      bits += f.bitsOffset;
      member = f.member;
      id = f.member.type;
    } else {
      const t = btf.typeById(skipModsAndTypedefs(btf, id));
      if (t.kind !== BtfKind.ARRAY) return undefined;
      bits += s.index * sizeOf(btf, t.type) * 8;
      member = undefined;
      id = t.type;
    }
  }
  return { bits, member, type: id };
}

/** Target types named like the local type (flavor stripped), of the same kind. */
function targetsNamed(local: Btf, id: number, target: Btf): number[] {
  const name = local.nameOf(id).replace(/___[^_].*$/, "");
  return target.idsByName(name).filter((t) => target.kindOf(t) === local.kindOf(id));
}

describe.each(TARGETS)("clang-built objects relocated against %s", (targetName, targetBtf) => {
  for (const build of ["vmlinux-6.18", "synthetic"]) {
    for (const name of ["core_field", "core_types", "core_unresolved_guarded", "core_unresolved_reachable"]) {
      const file = `${name}.${build}.bpf.o`;
      it(file, () => {
        const target = targetBtf();
        const obj = openObject(readFileSync(join(OBJ_DIR, file)), { name: file });
        const local = obj.btf!;
        const cache = new CoreCandidateCache(local, target, targetName);
        let checked = 0;
        for (const fn of [...obj.programs, ...obj.subprograms]) {
          const results = relocateCore(local, target, fn.coreRelos, fn.insns, { program: fn.name, cache });
          expect(results.length).toBe(fn.coreRelos.length);
          for (const r of results) {
            const what = `${fn.name} relo #${r.index} ${r.spec}`;
            const { relo } = r;
            const cands = targetsNamed(local, relo.typeId, target);
            const value = r.poisoned ? undefined : carried(r.insns[0]!);
            if (relo.kind <= K.FIELD_RSHIFT_U64) {
              const { first, steps } = accessSteps(local, relo.typeId, relo.access);
              const found = cands.map((c) => walkTarget(target, c, first, steps)).find((e) => e !== undefined);
              if (relo.kind === K.FIELD_EXISTS) {
                expect(value, what).toBe(found ? 1n : 0n);
              } else if (!found) {
                expect(r.poisoned, what).toBe(true);
                expect(r.insns[0], what).toEqual({ opcode: 0x85, dst: 0, src: 0, off: 0, imm: 195896080 });
              } else {
                const m = found.member;
                const bitfield = m !== undefined && m.bitfieldSize > 0;
                const size = bitfield ? m.bitfieldSize : sizeOf(target, found.type) * 8;
                const mt = target.typeById(skipModsAndTypedefs(target, found.type));
                if (relo.kind === K.FIELD_BYTE_OFFSET && !bitfield) expect(value, what).toBe(BigInt(found.bits / 8));
                if (relo.kind === K.FIELD_BYTE_SIZE && !bitfield) expect(value, what).toBe(BigInt(sizeOf(target, found.type)));
                if (relo.kind === K.FIELD_SIGNED) expect(value, what).toBe(mt.kind === BtfKind.INT && mt.encoding & 1 ? 1n : 0n);
                if (relo.kind === K.FIELD_RSHIFT_U64) expect(value, what).toBe(BigInt(64 - size));
                if (bitfield && (relo.kind === K.FIELD_BYTE_OFFSET || relo.kind === K.FIELD_LSHIFT_U64)) {
                  // A load of the relocated size at the relocated offset, shifted left then right, must isolate exactly the field's bits.
                  const all = relocateCore(local, target, [0, 1, 4].map((kind) => ({ ...relo, insn: 0, kind: kind as CoreReloKind })), [mov64(0)], { program: "check" });
                  const [off, sz, lsh] = all.map((x) => Number(x.newValue));
                  expect(off! * 8 <= found.bits && found.bits + size <= (off! + sz!) * 8, what).toBe(true);
                  expect(lsh, what).toBe(64 - (found.bits + size - off! * 8));
                }
              }
            } else if (relo.kind === K.TYPE_ID_LOCAL) {
              expect(value, what).toBe(BigInt(relo.typeId));
            } else if (relo.kind === K.TYPE_ID_TARGET || relo.kind === K.TYPE_EXISTS || relo.kind === K.TYPE_SIZE) {
              const want = relo.kind === K.TYPE_ID_TARGET ? (r.targetTypeId ?? 0) : relo.kind === K.TYPE_EXISTS ? 1 : 0;
              if (r.targetTypeId !== undefined) {
                expect(cands, what).toContain(r.targetTypeId);
                if (relo.kind === K.TYPE_SIZE) expect(value, what).toBe(BigInt(sizeOf(target, r.targetTypeId)));
                else expect(value, what).toBe(BigInt(want));
              } else {
                expect(value, what).toBe(0n);
              }
            } else if (relo.kind === K.ENUMVAL_EXISTS || relo.kind === K.ENUMVAL_VALUE) {
              const enumerator = (local.typeById(skipModsAndTypedefs(local, relo.typeId)) as { values: { name: string }[] }).values[Number(relo.access)]!.name.replace(/___[^_].*$/, "");
              const hit = cands
                .map((c) => target.typeById(c) as { kind: number; values: { name: string; value: number | bigint }[] })
                .flatMap((t) => t.values.filter((v) => v.name === enumerator))[0];
              if (relo.kind === K.ENUMVAL_EXISTS) expect(value, what).toBe(hit ? 1n : 0n);
              else if (hit) expect(value, what).toBe(BigInt.asUintN(64, BigInt(hit.value)));
              else expect(r.poisoned, what).toBe(true);
            }
            checked++;
          }
        }
        expect(checked).toBeGreaterThan(0);
      });
    }
  }
});

describe("clang-built objects: values the sources document", () => {
  // [object, relo index, 6.18 value, synthetic value] (see the sources' top comments; "P" = poisoned).
  const table: [string, number, bigint | "P", bigint | "P"][] = [
    ["core_field", 0, 1264n, 592n], // offsetof(task_struct, pid)
    ["core_field", 6, 60n, 62n], // lshift(in_execve): bit 3 of byte 1192 vs bit 1 of byte 576
    ["core_field", 10, 0n, 0n], // sock_common.skc_daddr through an anonymous union and struct
    ["core_field", 11, 1755n, 851n], // &t->comm[3]
    ["core_field", 12, 1392n, 688n], // &t->pid_links[1]
    ["core_types", 1, 114n, 216n], // TYPE_ID_TARGET task_struct
    ["core_types", 4, 3264n, 1088n], // TYPE_SIZE task_struct
    ["core_types", 7, 0n, 0n], // TYPE_MATCHES list_head___wrong
    ["core_types", 11, 3n, 2n], // ENUMVAL_VALUE SKB_DROP_REASON_NO_SOCKET
    ["core_types", 12, 1n, 0n], // ENUMVAL_EXISTS SKB_CONSUMED (via a flavored enum)
    ["core_types", 13, 1268n, 596n], // task_struct___flavored.tgid
    // libbpf's TYPE_ID_TARGET uses type compatibility, under which any two structs are compatible:
    // list_head___wrong resolves to the kernel's list_head (not 0).
    ["core_types", 15, 95n, 92n],
    ["core_unresolved_guarded", 0, 0n, 0n], // exists(task_struct___old.state)
    ["core_unresolved_guarded", 1, "P", "P"], // its read, poisoned
    ["core_unresolved_guarded", 2, 24n, 24n], // task_struct.__state
    ["core_unresolved_guarded", 4, "P", "P"],
  ];
  for (const [name, index, v618, vsyn] of table) {
    it(`${name} relo #${index}`, () => {
      const file = `${name}.vmlinux-6.18.bpf.o`;
      const obj = openObject(readFileSync(join(OBJ_DIR, file)), { name: file });
      const prog = obj.programs.find((p) => p.coreRelos.length > index)!;
      for (const [target, want] of [[vmlinuxBtf(), v618], [syntheticVmlinux(), vsyn]] as const) {
        const r = relocateCore(obj.btf!, target, prog.coreRelos, prog.insns, { program: prog.name })[index]!;
        if (want === "P") expect(r.poisoned).toBe(true);
        else expect([r.poisoned, r.newValue]).toEqual([false, want]);
      }
    });
  }
});

describe("candidate errors", () => {
  it("a target type nested too deeply to compare is an error naming the candidate", () => {
    // TYPE_EXISTS compares pointer chains: 40 levels exceed libbpf's 32.
    const mk = () => {
      const b = new BtfBuilder();
      let id = b.int("int", 4, S);
      for (let i = 0; i < 40; i++) id = b.ptr(id);
      return { b, id: b.typedef("deep_t", id) };
    };
    const l = mk();
    const t = mk();
    const e = failure(() => relocateCore(l.b.finish(), t.b.finish(), [{ insn: 0, typeId: l.id, access: "0", kind: K.TYPE_EXISTS }], [mov64(1)], { program: "p" }));
    expect(e.message).toBe(
      `program 'p', insn 0: CO-RE relo #0 <type_exists> [${l.id}] typedef deep_t: error matching candidate #0 [${t.id}] typedef deep_t: type [${l.id}] nests deeper than 32 levels`,
    );
  });
});
