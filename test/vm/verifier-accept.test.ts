// Tricky but safe programs the verifier must accept; each is then run in
// the interpreter with the runtime the verifier was told about (real maps
// from createMap with fd = map id, a read-only ctx of u64 arguments for the
// tracing type, a memory region for the conformance type) and must finish
// without a fault with the exact r0 given.
//
// Maps (fuzz/verifier.ts TEST_MAPS, fd = id): 1 arr (array, value 16, 4
// entries), 2 hash (hash, key 4, value 8), 3 rb (ringbuf), 4 ro (read-only
// array), 5 one (array, value 24, 1 entry), 6 prog (prog_array).
import { describe, expect, it } from "vitest";
import { HelperId } from "../../src/vm/helpers/protos.js";
import { assemble } from "../../src/vm/isa/asm.js";
import { ProgramBuilder } from "../../src/vm/isa/builder.js";
import { programFromInsns } from "../../src/vm/isa/encode.js";
import type { Program } from "../../src/vm/isa/instruction.js";
import { JmpOp, Size } from "../../src/vm/isa/opcodes.js";
import type { RingbufMap } from "../../src/vm/maps/index.js";
import type { VerifyOptions } from "../../src/vm/verifier/context.js";
import { Harness, type ProgKind, type RunInput, type RunOutcome } from "../../fuzz/verifier.js";

const ARR = 1;
const HASH = 2;
const RB = 3;
const ONE = 5;

const h = (name: string): number => {
  const id = HelperId[name];
  if (id === undefined) throw new Error(`no helper ${name}`);
  return id;
};
const LOOKUP = h("map_lookup_elem");
const UPDATE = h("map_update_elem");
const READ_KERNEL = h("probe_read_kernel");
const RESERVE = h("ringbuf_reserve");
const SUBMIT = h("ringbuf_submit");
const DISCARD = h("ringbuf_discard");
const OUTPUT = h("ringbuf_output");
const LOOP = h("loop");

const B = () => new ProgramBuilder();
const P = (b: ProgramBuilder): Program => programFromInsns(b.link());
const A = (src: string): Program => programFromInsns(assemble(src));

/** key fp-4 = key, r1 = map, r2 = fp-4, call map_lookup_elem. */
function lookup(b: ProgramBuilder, fd: number, key = 0): ProgramBuilder {
  return b.st(Size.W, 10, -4, key).ldMapFd(1, fd).mov64(2, 10).add64Imm(2, -4).call(LOOKUP);
}
/** With r0 = a value of arr (16 bytes): byte i = i. Clobbers r1. */
function fillArr(b: ProgramBuilder): ProgramBuilder {
  return b.lddw(1, 0x0706050403020100n).stx(Size.DW, 0, 0, 1).lddw(1, 0x0f0e0d0c0b0a0908n).stx(Size.DW, 0, 8, 1);
}
/** lookup arr[0] (NULL → return 0), fill it with byte i = i, then `body` with r0 = the value. */
function withArr(body: (b: ProgramBuilder) => void, pre = B()): Program {
  lookup(pre, ARR).jmpImm(JmpOp.JEQ, 0, 0, "null");
  fillArr(pre);
  body(pre);
  return P(pre.label("null").mov64Imm(0, 0).exit());
}
/** r1 = rb, r2 = size, r3 = 0, call ringbuf_reserve. */
function reserve(b: ProgramBuilder, size: number): ProgramBuilder {
  return b.ldMapFd(1, RB).mov64Imm(2, size).mov64Imm(3, 0).call(RESERVE);
}
const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);

interface Run extends RunInput {
  r0: bigint;
  /** Extra checks after the run (map contents, ring buffer records). */
  check?: (h: Harness, out: RunOutcome) => void;
}

interface AcceptCase {
  name: string;
  prog: () => Program;
  kind?: ProgKind;
  verifyOptions?: Partial<VerifyOptions>;
  runs: Run[];
}

const TRACING: ProgKind = { kind: "tracing", nargs: 6 };
const MEM16: ProgKind = { kind: "conformance", memSize: 16 };

function events(hh: Harness): bigint[][] {
  return hh
    .map<RingbufMap>("rb")
    .consume()
    .map((s) => {
      const v = new DataView(s.data.buffer, s.data.byteOffset, s.data.byteLength);
      return Array.from({ length: s.data.byteLength / 8 }, (_, i) => v.getBigUint64(i * 8, true));
    });
}

const cases: AcceptCase[] = [
  // ---- bounded loops ------------------------------------------------------------------
  {
    name: "loop summing 0..9",
    prog: () => A("mov %r0, 0\nmov %r1, 0\nl: add %r0, %r1\nadd %r1, 1\njlt %r1, 10, l\nexit"),
    runs: [{ r0: 45n }],
  },
  {
    name: "nested loops 4 x 5",
    prog: () =>
      A(`
        mov %r0, 0
        mov %r1, 0
      outer:
        mov %r2, 0
      inner:
        add %r0, 1
        add %r2, 1
        jlt %r2, 5, inner
        add %r1, 1
        jlt %r1, 4, outer
        exit`),
    runs: [{ r0: 20n }],
  },
  { name: "loop with a 32-bit counter and JMP32", prog: () => A("mov %r0, 0\nmov32 %r1, 0\nl: add32 %r0, 3\nadd32 %r1, 1\njlt32 %r1, 7, l\nexit"), runs: [{ r0: 21n }] },
  { name: "loop counting down with a signed compare", prog: () => A("mov %r0, 0\nmov %r1, 5\nl: add %r0, %r1\nsub %r1, 1\njsgt %r1, 0, l\nexit"), runs: [{ r0: 15n }] },
  { name: "loop bounded by !=", prog: () => A("mov %r0, 1\nmov %r1, 0\nl: lsh %r0, 1\nadd %r1, 1\njne %r1, 6, l\nexit"), runs: [{ r0: 64n }] },
  {
    name: "loop with a data-dependent break",
    prog: () =>
      A(`
        ldxdw %r6, [%r1]
        mov %r0, 0
        mov %r2, 0
      l:
        jeq %r2, %r6, out
        add %r0, 2
        add %r2, 1
        jlt %r2, 8, l
      out:
        exit`),
    runs: [
      { args: [3n], r0: 6n },
      { args: [100n], r0: 16n },
      { args: [0n], r0: 0n },
    ],
  },
  {
    name: "loop writing a map value byte by byte",
    prog: () =>
      P(
        lookup(B(), ONE)
          .jmpImm(JmpOp.JEQ, 0, 0, "null")
          .mov64(6, 0)
          .mov64Imm(1, 0)
          .label("l")
          .mov64(2, 6)
          .add64(2, 1)
          .stx(Size.B, 2, 0, 1)
          .add64Imm(1, 1)
          .jmpImm(JmpOp.JLT, 1, 24, "l")
          .ldx(Size.DW, 0, 6, 16)
          .exit()
          .label("null")
          .mov64Imm(0, 0)
          .exit(),
      ),
    runs: [{ r0: 0x1716151413121110n }],
  },

  // ---- spills and fills -----------------------------------------------------------------
  {
    name: "spill and fill of the ctx pointer",
    prog: () => P(B().stx(Size.DW, 10, -8, 1).mov64Imm(1, 0).ldx(Size.DW, 2, 10, -8).ldx(Size.DW, 0, 2, 8).exit()),
    runs: [{ args: [5n, 77n], r0: 77n }],
  },
  {
    name: "spilled constant used as a map value offset",
    prog: () =>
      withArr((b) => b.st(Size.DW, 10, -16, 8).ldx(Size.DW, 3, 10, -16).mov64(6, 0).add64(6, 3).st(Size.DW, 6, 0, 0x55).ldx(Size.DW, 0, 6, 0).exit()),
    runs: [{ r0: 0x55n }],
  },
  {
    name: "partial overwrite of a spilled scalar",
    prog: () => P(B().ldx(Size.DW, 6, 1, 0).stx(Size.DW, 10, -8, 6).st(Size.B, 10, -8, 0xff).ldx(Size.DW, 0, 10, -8).exit()),
    runs: [{ args: [0x1200n], r0: 0x12ffn }],
  },
  {
    name: "two 4-byte zero stores read back as a constant 0",
    // the verifier knows the slot is 0, so the variable offset below is 0
    prog: () => withArr((b) => b.st(Size.W, 10, -16, 0).st(Size.W, 10, -12, 0).ldx(Size.DW, 3, 10, -16).add64(0, 3).ldx(Size.DW, 0, 0, 8).exit()),
    runs: [{ r0: 0x0f0e0d0c0b0a0908n }],
  },

  // ---- map values and null checks ------------------------------------------------------------
  {
    name: "null check of the original, access through a copy",
    prog: () => P(lookup(B(), ARR).mov64(6, 0).jmpImm(JmpOp.JEQ, 0, 0, "null").st(Size.DW, 6, 0, 7).ldx(Size.DW, 0, 6, 0).exit().label("null").mov64Imm(0, 0).exit()),
    runs: [{ r0: 7n }],
  },
  {
    name: "null check of a copy, access through the original",
    prog: () => P(lookup(B(), ARR).mov64(7, 0).jmpImm(JmpOp.JEQ, 7, 0, "null").st(Size.W, 0, 4, 9).ldx(Size.W, 0, 0, 4).exit().label("null").mov64Imm(0, 0).exit()),
    runs: [{ r0: 9n }],
  },
  {
    name: "null check before the fill of a spilled copy",
    prog: () =>
      P(
        lookup(B(), ARR)
          .stx(Size.DW, 10, -16, 0)
          .jmpImm(JmpOp.JEQ, 0, 0, "null")
          .ldx(Size.DW, 1, 10, -16)
          .st(Size.DW, 1, 8, 5)
          .ldx(Size.DW, 0, 1, 8)
          .exit()
          .label("null")
          .mov64Imm(0, 0)
          .exit(),
      ),
    runs: [{ r0: 5n }],
  },
  {
    name: "null check with != and the value on the taken side",
    prog: () => P(lookup(B(), ARR).jmpImm(JmpOp.JNE, 0, 0, "ok").mov64Imm(0, 1).exit().label("ok").st(Size.DW, 0, 0, 3).ldx(Size.DW, 0, 0, 0).exit()),
    runs: [{ r0: 3n }],
  },
  {
    name: "lookup of a missing key returns NULL",
    prog: () => P(lookup(B(), ARR, 9).jmpImm(JmpOp.JEQ, 0, 0, "null").mov64Imm(0, 1).exit().label("null").mov64Imm(0, 2).exit()),
    runs: [{ r0: 2n }],
  },
  {
    name: "variable offset bounded by a mask",
    prog: () => withArr((b) => b.and64Imm(6, 7).add64(0, 6).ldx(Size.B, 0, 0, 8).exit(), B().ldx(Size.DW, 6, 1, 0)),
    runs: [
      { args: [3n], r0: 11n },
      { args: [0x1fn], r0: 15n },
    ],
  },
  {
    name: "variable offset bounded by an unsigned comparison",
    prog: () => withArr((b) => b.jmpImm(JmpOp.JGT, 6, 8, "null").add64(0, 6).ldx(Size.DW, 0, 0, 0).exit(), B().ldx(Size.DW, 6, 1, 0)),
    runs: [
      { args: [2n], r0: 0x0908070605040302n },
      { args: [9n], r0: 0n },
    ],
  },
  {
    name: "variable offset bounded by two signed comparisons",
    prog: () =>
      withArr((b) => b.jmpImm(JmpOp.JSLT, 6, 0, "null").jmpImm(JmpOp.JSGT, 6, 12, "null").add64(0, 6).ldx(Size.W, 0, 0, 0).exit(), B().ldx(Size.DW, 6, 1, 0)),
    runs: [
      { args: [12n], r0: 0x0f0e0d0cn },
      { args: [u64(-1n)], r0: 0n },
      { args: [13n], r0: 0n },
    ],
  },
  {
    name: "variable offset bounded by a shift of a 32-bit value",
    prog: () => withArr((b) => b.mov32(6, 6).rsh64Imm(6, 29).add64(0, 6).ldx(Size.B, 0, 0, 0).exit(), B().ldx(Size.DW, 6, 1, 0)),
    runs: [{ args: [0xffffffffe0000000n], r0: 7n }],
  },
  {
    // (as in the kernel, DIV and MOD give an unknown value: a modulo is not a bound)
    name: "variable offset bounded by a 64-bit right shift",
    prog: () => withArr((b) => b.rsh64Imm(6, 60).add64(0, 6).ldx(Size.B, 0, 0, 0).exit(), B().ldx(Size.DW, 6, 1, 0)),
    runs: [{ args: [0x5000000000000000n], r0: 5n }],
  },
  {
    name: "JMP32 bound of a zero-extended value",
    prog: () => withArr((b) => b.mov32(6, 6).jmp32Imm(JmpOp.JGT, 6, 7, "null").add64(0, 6).ldx(Size.B, 0, 0, 8).exit(), B().ldx(Size.DW, 6, 1, 0)),
    runs: [
      { args: [0x100000005n], r0: 13n },
      { args: [8n], r0: 0n },
    ],
  },
  {
    name: "JMP32 signed bounds of a zero-extended value",
    prog: () =>
      withArr(
        (b) => b.mov32(6, 6).jmp32Imm(JmpOp.JSLT, 6, 0, "null").jmp32Imm(JmpOp.JSGT, 6, 6, "null").add64(0, 6).ldx(Size.B, 0, 0, 0).exit(),
        B().ldx(Size.DW, 6, 1, 0),
      ),
    runs: [
      { args: [6n], r0: 6n },
      { args: [0x80000001n], r0: 0n },
    ],
  },
  {
    name: "JSET proves a masked value has clear low bits",
    // r1 = arg & 0xf0; `if r1 & 0xf` is never taken, so the scalar deref behind it is dead
    prog: () => P(B().ldx(Size.DW, 1, 1, 0).and64Imm(1, 0xf0).jmpImm(JmpOp.JSET, 1, 0x0f, "bad").mov64(0, 1).exit().label("bad").ldx(Size.DW, 0, 1, 0).exit()),
    runs: [{ args: [0x1234n], r0: 0x30n }],
  },
  {
    name: "dead code behind a known comparison",
    prog: () => P(B().mov64Imm(1, 5).jmpImm(JmpOp.JGT, 1, 3, "ok").ldx(Size.DW, 0, 1, 0).exit().label("ok").mov64Imm(0, 1).exit()),
    runs: [{ r0: 1n }],
  },
  {
    name: "dead code behind a known JMP32 comparison of a 64-bit constant",
    prog: () => P(B().lddw(1, 0x100000000n).jmp32Imm(JmpOp.JEQ, 1, 0, "ok").ldx(Size.DW, 0, 1, 0).exit().label("ok").mov64Imm(0, 2).exit()),
    runs: [{ r0: 2n }],
  },
  {
    name: "hash update then lookup",
    prog: () =>
      P(
        B()
          .st(Size.W, 10, -4, 3)
          .lddw(1, 0xabcn)
          .stx(Size.DW, 10, -16, 1)
          .ldMapFd(1, HASH)
          .mov64(2, 10)
          .add64Imm(2, -4)
          .mov64(3, 10)
          .add64Imm(3, -16)
          .mov64Imm(4, 0)
          .call(UPDATE)
          .mov64(6, 0)
          .ldMapFd(1, HASH)
          .mov64(2, 10)
          .add64Imm(2, -4)
          .call(LOOKUP)
          .jmpImm(JmpOp.JEQ, 0, 0, "null")
          .ldx(Size.DW, 0, 0, 0)
          .add64(0, 6)
          .exit()
          .label("null")
          .mov64Imm(0, 1)
          .exit(),
      ),
    runs: [{ r0: 0xabcn }],
  },
  {
    name: "direct value access on a one-element array",
    prog: () =>
      P(lookup(B().ldMapValue(1, ONE, 8).st(Size.DW, 1, 0, 9), ONE).jmpImm(JmpOp.JEQ, 0, 0, "null").ldx(Size.DW, 0, 0, 8).exit().label("null").mov64Imm(0, 0).exit()),
    runs: [{ r0: 9n }],
  },
  {
    name: "read from a read-only map",
    prog: () => P(lookup(B(), 4).jmpImm(JmpOp.JEQ, 0, 0, "null").ldx(Size.DW, 0, 0, 0).add64Imm(0, 1).exit().label("null").mov64Imm(0, 0).exit()),
    runs: [{ r0: 1n }],
  },

  // ---- ALU corners ---------------------------------------------------------------------------
  { name: "sign-extending byte load", prog: () => P(B().st(Size.B, 10, -1, -5).ldxs(Size.B, 0, 10, -1).exit()), runs: [{ r0: u64(-5n) }] },
  {
    name: "sign-extending 16- and 32-bit loads",
    prog: () => P(B().st(Size.H, 10, -4, -2).st(Size.W, 10, -8, -3).ldxs(Size.H, 1, 10, -4).ldxs(Size.W, 2, 10, -8).mov64(0, 1).mul64Imm(0, 10).add64(0, 2).exit()),
    runs: [{ r0: u64(-23n) }],
  },
  { name: "sign-extending moves", prog: () => P(B().mov64Imm(1, 0x80).movsx64(0, 1, 8).movsx32(2, 1, 8).add64(0, 2).exit()), runs: [{ r0: u64(-128n + 0xffffff80n) }] },
  {
    name: "division and modulo by zero",
    prog: () => P(B().mov64Imm(0, 7).mov64Imm(1, 0).div64(0, 1).mov64Imm(2, 9).mod64(2, 1).add64(0, 2).exit()),
    runs: [{ r0: 9n }],
  },
  { name: "pointer difference is a scalar", prog: () => P(B().mov64(0, 10).mov64(1, 10).add64Imm(1, -16).sub64(0, 1).exit()), runs: [{ r0: 16n }] },
  {
    name: "pointer comparison when privileged",
    prog: () => P(B().mov64(2, 10).add64Imm(2, -8).mov64Imm(0, 0).jmpReg(JmpOp.JLT, 2, 10, "lt").exit().label("lt").mov64Imm(0, 1).exit()),
    runs: [{ r0: 1n }],
  },
  {
    name: "byte swaps",
    prog: () => P(B().mov64Imm(0, 0x1122).be(0, 16).mov64Imm(1, 0x11223344).bswap(1, 32).add64(0, 1).exit()),
    runs: [{ r0: 0x44334422n }],
  },
  {
    name: "32-bit ALU wraps and zero-extends",
    prog: () => P(B().mov64Imm(0, -1).add32Imm(0, 2).lddw(1, 0xffffffff00000003n).mov32(1, 1).add64(0, 1).exit()),
    runs: [{ r0: 4n }],
  },

  // ---- atomics ----------------------------------------------------------------------------
  {
    name: "atomics on the stack",
    prog: () =>
      P(
        B()
          .st(Size.DW, 10, -8, 10)
          .mov64Imm(1, 5)
          .atomicAdd(Size.DW, 10, -8, 1)
          .mov64Imm(2, 3)
          .atomicAdd(Size.DW, 10, -8, 2, true)
          .mov64Imm(3, 100)
          .atomicXchg(Size.DW, 10, -8, 3)
          .mov64Imm(0, 100)
          .mov64Imm(4, 7)
          .atomicCmpxchg(Size.DW, 10, -8, 4)
          .ldx(Size.DW, 5, 10, -8)
          .add64(0, 2)
          .add64(0, 3)
          .add64(0, 5)
          .exit(),
      ),
    // fetch add returns 15, xchg returns 18, cmpxchg returns 100, the slot ends at 7
    runs: [{ r0: 140n }],
  },
  {
    name: "32-bit atomics on the stack",
    prog: () =>
      P(
        B()
          .st(Size.W, 10, -4, 0xff)
          .mov64Imm(1, 0x0f)
          .atomicAnd(Size.W, 10, -4, 1)
          .mov64Imm(2, 0xf0)
          .atomicOr(Size.W, 10, -4, 2, true)
          .mov64Imm(3, 1)
          .atomicXor(Size.W, 10, -4, 3)
          .ldx(Size.W, 0, 10, -4)
          .add64(0, 2)
          .exit(),
      ),
    runs: [{ r0: 0xfen + 0x0fn }],
  },
  {
    name: "atomic counter in a map value",
    prog: () => P(lookup(B(), ARR, 2).jmpImm(JmpOp.JEQ, 0, 0, "null").mov64Imm(1, 1).atomicAdd(Size.DW, 0, 0, 1).ldx(Size.DW, 0, 0, 0).exit().label("null").mov64Imm(0, 0).exit()),
    runs: [{ r0: 1n }, { r0: 2n }, { r0: 3n }],
  },
  {
    name: "32-bit fetch-add and cmpxchg in a map value",
    prog: () =>
      P(
        lookup(B(), ARR, 1)
          .jmpImm(JmpOp.JEQ, 0, 0, "null")
          .mov64(6, 0)
          .mov64Imm(1, 10)
          .atomicAdd(Size.W, 6, 12, 1, true)
          .mov64Imm(0, 10)
          .mov64Imm(2, 99)
          .atomicCmpxchg(Size.W, 6, 12, 2)
          .ldx(Size.W, 3, 6, 12)
          .add64(0, 1)
          .add64(0, 3)
          .exit()
          .label("null")
          .mov64Imm(0, 0)
          .exit(),
      ),
    // run 1: fetch-add returns 0 (slot 10), cmpxchg(10 -> 99) returns 10, slot 99: 10 + 0 + 99
    // run 2: fetch-add returns 99 (slot 109), cmpxchg fails and returns 109: 109 + 99 + 109
    runs: [{ r0: 109n }, { r0: 317n }],
  },

  // ---- bpf-to-bpf calls --------------------------------------------------------------------
  {
    name: "callee writes through the caller's stack pointer",
    prog: () => P(B().mov64(1, 10).add64Imm(1, -8).callLocal("f").ldx(Size.DW, 0, 10, -8).exit().label("f").st(Size.DW, 1, 0, 42).mov64Imm(0, 0).exit()),
    runs: [{ r0: 42n }],
  },
  {
    name: "stack pointer passed down three frames",
    prog: () =>
      P(
        B()
          .mov64(1, 10)
          .add64Imm(1, -16)
          .callLocal("a")
          .ldx(Size.DW, 0, 10, -16)
          .exit()
          .label("a")
          .callLocal("b")
          .exit()
          .label("b")
          .callLocal("c")
          .exit()
          .label("c")
          .st(Size.DW, 1, 0, 7)
          .mov64Imm(0, 0)
          .exit(),
      ),
    runs: [{ r0: 7n }],
  },
  {
    name: "callee reads the caller's stack",
    prog: () => P(B().st(Size.DW, 10, -8, 20).mov64(1, 10).add64Imm(1, -8).mov64Imm(2, 22).callLocal("f").exit().label("f").ldx(Size.DW, 0, 1, 0).add64(0, 2).exit()),
    runs: [{ r0: 42n }],
  },
  {
    name: "callee returns a map value pointer",
    prog: () =>
      P(
        lookup(
          B().callLocal("f").jmpImm(JmpOp.JEQ, 0, 0, "null").st(Size.DW, 0, 0, 3).ldx(Size.DW, 0, 0, 0).exit().label("null").mov64Imm(0, 0).exit().label("f"),
          ONE,
        ).exit(),
      ),
    runs: [{ r0: 3n }],
  },
  {
    name: "callee-saved registers survive a call",
    prog: () => P(B().mov64Imm(6, 10).mov64Imm(7, 20).callLocal("f").add64(0, 6).add64(0, 7).exit().label("f").mov64Imm(6, 1).mov64Imm(7, 2).mov64(0, 6).add64(0, 7).exit()),
    runs: [{ r0: 33n }],
  },
  {
    name: "each frame has its own stack",
    prog: () =>
      P(B().st(Size.DW, 10, -8, 1).callLocal("f").ldx(Size.DW, 1, 10, -8).add64(0, 1).exit().label("f").st(Size.DW, 10, -8, 100).ldx(Size.DW, 0, 10, -8).exit()),
    runs: [{ r0: 101n }],
  },
  {
    name: "callee fills a map value pointer spilled by the caller",
    prog: () =>
      P(
        lookup(B(), ONE)
          .jmpImm(JmpOp.JEQ, 0, 0, "null")
          .stx(Size.DW, 10, -16, 0)
          .mov64(1, 10)
          .add64Imm(1, -16)
          .callLocal("f")
          .exit()
          .label("null")
          .mov64Imm(0, 0)
          .exit()
          .label("f")
          .ldx(Size.DW, 2, 1, 0)
          .st(Size.DW, 2, 0, 11)
          .ldx(Size.DW, 0, 2, 0)
          .exit(),
      ),
    runs: [{ r0: 11n }],
  },
  {
    name: "eight frames deep",
    prog: () => {
      const b = B().callLocal("f1").exit();
      for (let i = 1; i < 7; i++) b.label(`f${i}`).callLocal(`f${i + 1}`).add64Imm(0, 1).exit();
      return P(b.label("f7").mov64Imm(0, 100).exit());
    },
    runs: [{ r0: 106n }],
  },

  // ---- ring buffer -----------------------------------------------------------------------
  {
    name: "ringbuf reserve, fill and submit",
    prog: () =>
      P(
        reserve(B().ldx(Size.DW, 6, 1, 0), 16)
          .jmpImm(JmpOp.JNE, 0, 0, "got")
          .mov64Imm(0, 1)
          .exit()
          .label("got")
          .stx(Size.DW, 0, 0, 6)
          .st(Size.DW, 0, 8, 0x77)
          .mov64(1, 0)
          .mov64Imm(2, 0)
          .call(SUBMIT)
          .mov64Imm(0, 0)
          .exit(),
      ),
    runs: [{ args: [1234n], r0: 0n, check: (hh) => expect(events(hh)).toEqual([[1234n, 0x77n]]) }],
  },
  {
    name: "ringbuf discard on one branch, submit on the other",
    prog: () =>
      P(
        reserve(B().ldx(Size.DW, 6, 1, 0), 8)
          .jmpImm(JmpOp.JEQ, 0, 0, "null")
          .stx(Size.DW, 0, 0, 6)
          .jmpImm(JmpOp.JGT, 6, 10, "sub")
          .mov64(1, 0)
          .mov64Imm(2, 0)
          .call(DISCARD)
          .mov64Imm(0, 2)
          .exit()
          .label("sub")
          .mov64(1, 0)
          .mov64Imm(2, 0)
          .call(SUBMIT)
          .mov64Imm(0, 1)
          .exit()
          .label("null")
          .mov64Imm(0, 0)
          .exit(),
      ),
    runs: [
      { args: [5n], r0: 2n, check: (hh) => expect(events(hh)).toEqual([]) },
      { args: [50n], r0: 1n, check: (hh) => expect(events(hh)).toEqual([[50n]]) },
    ],
  },
  {
    name: "ringbuf record null-checked through a copy",
    prog: () =>
      P(
        reserve(B(), 8)
          .mov64(7, 0)
          .jmpImm(JmpOp.JEQ, 7, 0, "null")
          .st(Size.DW, 0, 0, 5)
          .mov64(1, 7)
          .mov64Imm(2, 0)
          .call(SUBMIT)
          .mov64Imm(0, 1)
          .exit()
          .label("null")
          .mov64Imm(0, 0)
          .exit(),
      ),
    runs: [{ r0: 1n, check: (hh) => expect(events(hh)).toEqual([[5n]]) }],
  },
  {
    name: "ringbuf record spilled and filled before submit",
    prog: () =>
      P(
        reserve(B(), 8)
          .jmpImm(JmpOp.JEQ, 0, 0, "null")
          .stx(Size.DW, 10, -8, 0)
          .st(Size.DW, 0, 0, 6)
          .ldx(Size.DW, 1, 10, -8)
          .mov64Imm(2, 0)
          .call(SUBMIT)
          .mov64Imm(0, 1)
          .exit()
          .label("null")
          .mov64Imm(0, 0)
          .exit(),
      ),
    runs: [{ r0: 1n, check: (hh) => expect(events(hh)).toEqual([[6n]]) }],
  },
  {
    name: "ringbuf record written at a bounded variable offset",
    prog: () =>
      P(
        reserve(B().ldx(Size.DW, 6, 1, 0), 16)
          .jmpImm(JmpOp.JEQ, 0, 0, "null")
          .st(Size.DW, 0, 0, 0)
          .st(Size.DW, 0, 8, 0)
          .mov64(7, 0)
          .and64Imm(6, 8)
          .add64(7, 6)
          .st(Size.DW, 7, 0, 9)
          .mov64(1, 0)
          .mov64Imm(2, 0)
          .call(SUBMIT)
          .mov64Imm(0, 1)
          .exit()
          .label("null")
          .mov64Imm(0, 0)
          .exit(),
      ),
    runs: [
      { args: [8n], r0: 1n, check: (hh) => expect(events(hh)).toEqual([[0n, 9n]]) },
      { args: [7n], r0: 1n, check: (hh) => expect(events(hh)).toEqual([[9n, 0n]]) },
    ],
  },
  {
    name: "ringbuf reserve and submit in a subprogram",
    prog: () =>
      P(
        reserve(B().callLocal("f").exit().label("f"), 8)
          .jmpImm(JmpOp.JEQ, 0, 0, "null")
          .st(Size.DW, 0, 0, 1)
          .mov64(1, 0)
          .mov64Imm(2, 0)
          .call(SUBMIT)
          .mov64Imm(0, 1)
          .exit()
          .label("null")
          .mov64Imm(0, 0)
          .exit(),
      ),
    runs: [{ r0: 1n, check: (hh) => expect(events(hh)).toEqual([[1n]]) }],
  },
  {
    name: "ringbuf_output from the stack",
    prog: () => P(B().st(Size.DW, 10, -8, 0x1234).ldMapFd(1, RB).mov64(2, 10).add64Imm(2, -8).mov64Imm(3, 8).mov64Imm(4, 0).call(OUTPUT).exit()),
    runs: [{ r0: 0n, check: (hh) => expect(events(hh)).toEqual([[0x1234n]]) }],
  },

  // ---- bpf_loop ----------------------------------------------------------------------------
  {
    name: "bpf_loop callback sums into the caller's stack",
    prog: () =>
      P(
        B()
          .st(Size.DW, 10, -8, 0)
          .mov64Imm(1, 5)
          .ldFunc(2, "cb")
          .mov64(3, 10)
          .add64Imm(3, -8)
          .mov64Imm(4, 0)
          .call(LOOP)
          .mov64(6, 0)
          .ldx(Size.DW, 0, 10, -8)
          .add64(0, 6)
          .exit()
          .label("cb")
          .ldx(Size.DW, 3, 2, 0)
          .add64(3, 1)
          .stx(Size.DW, 2, 0, 3)
          .mov64Imm(0, 0)
          .exit(),
      ),
    // 0+1+2+3+4 = 10, plus 5 iterations
    runs: [{ r0: 15n }],
  },
  {
    name: "bpf_loop inside a bounded loop",
    prog: () =>
      P(
        B()
          .mov64Imm(6, 0)
          .mov64Imm(7, 0)
          .label("l")
          .st(Size.DW, 10, -8, 0)
          .mov64Imm(1, 3)
          .ldFunc(2, "cb")
          .mov64(3, 10)
          .add64Imm(3, -8)
          .mov64Imm(4, 0)
          .call(LOOP)
          .ldx(Size.DW, 1, 10, -8)
          .add64(6, 1)
          .add64Imm(7, 1)
          .jmpImm(JmpOp.JLT, 7, 3, "l")
          .mov64(0, 6)
          .exit()
          .label("cb")
          .ldx(Size.DW, 3, 2, 0)
          .add64(3, 1)
          .stx(Size.DW, 2, 0, 3)
          .mov64Imm(0, 0)
          .exit(),
      ),
    // 3 x (0 + 1 + 2)
    runs: [{ r0: 9n }],
  },
  ...[JmpOp.JSLT, JmpOp.JNE].map(
    (op): AcceptCase => ({
      name: `bpf_loop inside a loop bounded by ${op === JmpOp.JSLT ? "a signed compare" : "!="}`,
      // A correct verifier needs ~100 instructions; the budget keeps a failure fast.
      verifyOptions: { maxProcessed: 20_000 },
      prog: () =>
        P(
          B()
            .mov64Imm(6, 0)
            .mov64Imm(7, 0)
            .label("l")
            .st(Size.DW, 10, -8, 0)
            .mov64Imm(1, 3)
            .ldFunc(2, "cb")
            .mov64(3, 10)
            .add64Imm(3, -8)
            .mov64Imm(4, 0)
            .call(LOOP)
            .ldx(Size.DW, 1, 10, -8)
            .add64(6, 1)
            .add64Imm(7, 1)
            .jmpImm(op, 7, 3, "l")
            .mov64(0, 6)
            .exit()
            .label("cb")
            .ldx(Size.DW, 3, 2, 0)
            .add64(3, 1)
            .stx(Size.DW, 2, 0, 3)
            .mov64Imm(0, 0)
            .exit(),
        ),
      runs: [{ r0: 9n }],
    }),
  ),
  {
    name: "nested bpf_loop",
    prog: () =>
      P(
        B()
          .st(Size.DW, 10, -8, 0)
          .mov64Imm(1, 3)
          .ldFunc(2, "cb")
          .mov64(3, 10)
          .add64Imm(3, -8)
          .mov64Imm(4, 0)
          .call(LOOP)
          .ldx(Size.DW, 0, 10, -8)
          .exit()
          .label("cb")
          .mov64(3, 2)
          .mov64Imm(1, 2)
          .ldFunc(2, "cb2")
          .mov64Imm(4, 0)
          .call(LOOP)
          .mov64Imm(0, 0)
          .exit()
          .label("cb2")
          .ldx(Size.DW, 3, 2, 0)
          .add64Imm(3, 1)
          .stx(Size.DW, 2, 0, 3)
          .mov64Imm(0, 0)
          .exit(),
      ),
    runs: [{ r0: 6n }],
  },
  {
    name: "bounded loop inside a bpf_loop callback",
    prog: () =>
      P(
        B()
          .st(Size.DW, 10, -8, 0)
          .mov64Imm(1, 3)
          .ldFunc(2, "cb")
          .mov64(3, 10)
          .add64Imm(3, -8)
          .mov64Imm(4, 0)
          .call(LOOP)
          .ldx(Size.DW, 0, 10, -8)
          .exit()
          .label("cb")
          .mov64Imm(4, 0)
          .label("l")
          .ldx(Size.DW, 3, 2, 0)
          .add64Imm(3, 1)
          .stx(Size.DW, 2, 0, 3)
          .add64Imm(4, 1)
          .jmpImm(JmpOp.JLT, 4, 3, "l")
          .mov64Imm(0, 0)
          .exit(),
      ),
    runs: [{ r0: 9n }],
  },
  {
    name: "bpf_loop callback calls a subprogram with the ctx pointer",
    prog: () =>
      P(
        B()
          .st(Size.DW, 10, -8, 0)
          .mov64Imm(1, 4)
          .ldFunc(2, "cb")
          .mov64(3, 10)
          .add64Imm(3, -8)
          .mov64Imm(4, 0)
          .call(LOOP)
          .ldx(Size.DW, 0, 10, -8)
          .exit()
          .label("cb")
          .mov64(1, 2)
          .callLocal("inc")
          .mov64Imm(0, 0)
          .exit()
          .label("inc")
          .ldx(Size.DW, 3, 1, 0)
          .add64Imm(3, 2)
          .stx(Size.DW, 1, 0, 3)
          .mov64Imm(0, 0)
          .exit(),
      ),
    runs: [{ r0: 8n }],
  },
  {
    name: "bpf_loop in a subprogram called twice",
    prog: () =>
      P(
        B()
          .callLocal("f")
          .mov64(6, 0)
          .callLocal("f")
          .add64(0, 6)
          .exit()
          .label("f")
          .st(Size.DW, 10, -8, 0)
          .mov64Imm(1, 3)
          .ldFunc(2, "cb")
          .mov64(3, 10)
          .add64Imm(3, -8)
          .mov64Imm(4, 0)
          .call(LOOP)
          .ldx(Size.DW, 0, 10, -8)
          .exit()
          .label("cb")
          .ldx(Size.DW, 3, 2, 0)
          .add64Imm(3, 1)
          .stx(Size.DW, 2, 0, 3)
          .mov64Imm(0, 0)
          .exit(),
      ),
    runs: [{ r0: 6n }],
  },
  {
    name: "bpf_loop callback masks its index into a map value",
    prog: () =>
      P(
        B()
          .mov64Imm(1, 100)
          .ldFunc(2, "cb")
          .mov64Imm(3, 0)
          .mov64Imm(4, 0)
          .call(LOOP)
          .exit()
          .label("cb")
          .and64Imm(1, 15)
          .ldMapValue(4, ONE, 0)
          .add64(4, 1)
          .st(Size.DW, 4, 0, 1)
          .mov64Imm(0, 0)
          .exit(),
      ),
    runs: [{ r0: 100n }],
  },
  {
    name: "ringbuf reserve and submit in a bpf_loop callback",
    prog: () =>
      P(
        reserve(B().mov64Imm(1, 3).ldFunc(2, "cb").mov64Imm(3, 0).mov64Imm(4, 0).call(LOOP).exit().label("cb"), 8)
          .jmpImm(JmpOp.JEQ, 0, 0, "out")
          .st(Size.DW, 0, 0, 1)
          .mov64(1, 0)
          .mov64Imm(2, 0)
          .call(SUBMIT)
          .label("out")
          .mov64Imm(0, 0)
          .exit(),
      ),
    runs: [{ r0: 3n, check: (hh) => expect(events(hh)).toEqual([[1n], [1n], [1n]]) }],
  },
  {
    name: "bpf_loop stopped early by its callback",
    prog: () =>
      P(
        B()
          .mov64Imm(1, 10)
          .ldFunc(2, "cb")
          .mov64Imm(3, 0)
          .mov64Imm(4, 0)
          .call(LOOP)
          .exit()
          .label("cb")
          .mov64Imm(0, 0)
          .jmpImm(JmpOp.JLT, 1, 2, "ret")
          .mov64Imm(0, 1)
          .label("ret")
          .exit(),
      ),
    runs: [{ r0: 3n }],
  },
  {
    name: "bpf_loop callback increments a map value",
    prog: () => {
      const b = B().mov64Imm(1, 3).ldFunc(2, "cb").mov64Imm(3, 0).mov64Imm(4, 0).call(LOOP).mov64(6, 0);
      lookup(b, ARR, 3).jmpImm(JmpOp.JEQ, 0, 0, "null").ldx(Size.DW, 0, 0, 0).add64(0, 6).exit().label("null").mov64Imm(0, 0).exit();
      lookup(b.label("cb"), ARR, 3).jmpImm(JmpOp.JEQ, 0, 0, "out").mov64Imm(1, 1).atomicAdd(Size.DW, 0, 0, 1).label("out").mov64Imm(0, 0).exit();
      return P(b);
    },
    // 3 increments + 3 iterations
    runs: [{ r0: 6n }],
  },

  // ---- helpers writing into the stack ----------------------------------------------------------
  {
    name: "probe_read_kernel from a map value into the stack",
    prog: () =>
      withArr((b) => b.st(Size.DW, 0, 0, 0x4242).mov64(3, 0).mov64(1, 10).add64Imm(1, -8).mov64Imm(2, 8).call(READ_KERNEL).ldx(Size.DW, 0, 10, -8).exit()),
    runs: [{ r0: 0x4242n }],
  },
  {
    name: "get_current_comm into the stack",
    prog: () => P(B().mov64(1, 10).add64Imm(1, -16).mov64Imm(2, 16).call(h("get_current_comm")).ldx(Size.B, 0, 10, -16).exit()),
    runs: [{ r0: BigInt("s".charCodeAt(0)) }],
  },
  {
    name: "probe_read_kernel with a bounded variable size",
    prog: () =>
      P(
        B()
          .ldx(Size.DW, 2, 1, 0)
          .and64Imm(2, 15)
          .st(Size.DW, 10, -16, 0)
          .st(Size.DW, 10, -8, 0)
          .mov64(1, 10)
          .add64Imm(1, -16)
          .mov64Imm(3, 0)
          .call(READ_KERNEL)
          .mov64(6, 0)
          .ldx(Size.DW, 0, 10, -16)
          .add64(0, 6)
          .exit(),
      ),
    // reading address 0 fails with -EFAULT and zero-fills the buffer
    runs: [{ args: [4n], r0: u64(-14n) }],
  },

  // ---- conformance program type --------------------------------------------------------------
  {
    name: "sum of the test memory bytes",
    kind: MEM16,
    prog: () => A("mov %r0, 0\nmov %r2, 0\nl: mov %r3, %r1\nadd %r3, %r2\nldxb %r4, [%r3]\nadd %r0, %r4\nadd %r2, 1\njlt %r2, 16, l\nexit"),
    runs: [{ mem: Uint8Array.from({ length: 16 }, (_, i) => i + 1), r0: 136n }],
  },
  {
    name: "variable index into the test memory",
    kind: MEM16,
    prog: () => A("ldxb %r3, [%r1]\nand %r3, 7\nmov %r4, %r1\nadd %r4, %r3\nldxb %r0, [%r4+8]\nexit"),
    runs: [{ mem: Uint8Array.from({ length: 16 }, (_, i) => (i === 0 ? 5 : 0x10 + i)), r0: 0x1dn }],
  },
  {
    name: "index bounded against the memory length in r2",
    kind: MEM16,
    prog: () => A("ldxb %r3, [%r1]\njge %r3, %r2, out\nmov %r4, %r1\nadd %r4, %r3\nldxb %r0, [%r4]\nexit\nout: mov %r0, 0\nexit"),
    runs: [
      { mem: Uint8Array.from({ length: 16 }, (_, i) => (i === 0 ? 9 : i * 2)), r0: 18n },
      { mem: Uint8Array.from({ length: 16 }, (_, i) => (i === 0 ? 16 : i)), r0: 0n },
    ],
  },
  { name: "callx of the unwind helper", kind: MEM16, prog: () => A("mov %r1, 42\nmov %r6, 5\ncall %r6\nexit"), runs: [{ r0: 42n }] },
  { name: "no test memory: r1 is NULL", kind: { kind: "conformance", memSize: 0 }, prog: () => A("mov %r0, %r1\nadd %r0, %r2\nadd %r0, 7\nexit"), runs: [{ r0: 7n }] },
  {
    name: "stores into the test memory",
    kind: MEM16,
    prog: () => A("stdw [%r1+8], 0x1122\nstw [%r1], 3\nldxdw %r0, [%r1+8]\nldxw %r2, [%r1]\nadd %r0, %r2\nexit"),
    runs: [{ mem: new Uint8Array(16), r0: 0x1125n, check: (_h, out) => expect(out.memAfter?.[8]).toBe(0x22) }],
  },
];

describe("verifier accepts safe programs that also run safely", () => {
  it("has at least 40 cases with distinct names", () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const hh = new Harness({ prog: c.kind ?? TRACING });
    const program = c.prog();
    const result = hh.verify(program, c.verifyOptions);
    if (!result.accepted) {
      throw new Error(`rejected at insn ${result.error?.insn}: ${result.error?.reason}\n${result.log.slice(-12).join("\n")}`);
    }
    const lp = hh.load(program);
    for (const run of c.runs) {
      const out = hh.run(lp, run);
      expect(out.fault?.message).toBeUndefined();
      expect(out.r0).toBe(run.r0);
      run.check?.(hh, out);
    }
  });
});
