import { describe, expect, it } from "vitest";
import { disassemble, formatInsn } from "./disasm.js";
import { programFromInsns } from "./encode.js";
import type { Instruction } from "./instruction.js";

const I = (opcode: number, f: Partial<Instruction> = {}): Instruction => ({ opcode, dst: 0, src: 0, off: 0, imm: 0, ...f });
const fmt = (opcode: number, f: Partial<Instruction> = {}) => formatInsn(I(opcode, f));

describe("disassemble", () => {
  it("numbers lines by slot, lddw taking two", () => {
    const prog = programFromInsns([
      I(0xbf, { dst: 6, src: 1 }),
      I(0x85, { imm: 113 }),
      I(0x07, { dst: 1, imm: -8 }),
      I(0x79, { dst: 3, src: 6, off: 16 }),
      I(0x7b, { dst: 10, src: 1, off: -8 }),
      I(0x15, { dst: 0, off: 3 }),
      I(0x18, { dst: 1, imm: 0x55667788, imm2: 0x11223344 }),
      I(0x18, { dst: 1, src: 1, imm: 3, imm2: 0 }),
      I(0x95),
    ]);
    const names: Record<number, string> = { 113: "bpf_probe_read_kernel" };
    expect(disassemble(prog, { helperName: (id) => names[id], mapId: (fd) => (fd === 3 ? 5 : undefined) })).toEqual([
      "0: (bf) r6 = r1",
      "1: (85) call bpf_probe_read_kernel#113",
      "2: (07) r1 += -8",
      "3: (79) r3 = *(u64 *)(r6 +16)",
      "4: (7b) *(u64 *)(r10 -8) = r1",
      "5: (15) if r0 == 0x0 goto pc+3",
      "6: (18) r1 = 0x1122334455667788",
      "8: (18) r1 = map[id:5]",
      "10: (95) exit",
    ]);
  });

  it("right-aligns the index like bpftool with indexWidth 4", () => {
    expect(disassemble(programFromInsns([I(0xb7), I(0x95)]), { indexWidth: 4 })).toEqual([
      "   0: (b7) r0 = 0",
      "   1: (95) exit",
    ]);
  });
});

describe("formatInsn", () => {
  const cases: [string, string][] = [
    // ALU64 / ALU, K and X
    [fmt(0x07, { dst: 1, imm: 8 }), "(07) r1 += 8"],
    [fmt(0x0c, { dst: 1, src: 2 }), "(0c) w1 += w2"],
    [fmt(0xb4, { dst: 0, imm: 1 }), "(b4) w0 = 1"],
    [fmt(0xb7, { dst: 0, imm: -1 }), "(b7) r0 = -1"],
    [fmt(0x1f, { dst: 3, src: 4 }), "(1f) r3 -= r4"],
    [fmt(0x27, { dst: 3, imm: 3 }), "(27) r3 *= 3"],
    [fmt(0x37, { dst: 3, imm: 3 }), "(37) r3 /= 3"],
    [fmt(0x47, { dst: 3, imm: 3 }), "(47) r3 |= 3"],
    [fmt(0x57, { dst: 3, imm: 255 }), "(57) r3 &= 255"],
    [fmt(0x67, { dst: 3, imm: 32 }), "(67) r3 <<= 32"],
    [fmt(0x77, { dst: 3, imm: 32 }), "(77) r3 >>= 32"],
    [fmt(0x97, { dst: 3, imm: 10 }), "(97) r3 %= 10"],
    [fmt(0xa4, { dst: 3, imm: -1 }), "(a4) w3 ^= -1"],
    [fmt(0xc7, { dst: 3, imm: 63 }), "(c7) r3 s>>= 63"],
    [fmt(0xcc, { dst: 3, src: 4 }), "(cc) w3 s>>= w4"],
    [fmt(0x87, { dst: 2 }), "(87) r2 = -r2"],
    [fmt(0x84, { dst: 2 }), "(84) w2 = -w2"],
    // signed division / modulo
    [fmt(0x3f, { dst: 1, src: 2, off: 1 }), "(3f) r1 s/= r2"],
    [fmt(0x3c, { dst: 1, src: 2, off: 1 }), "(3c) w1 s/= w2"],
    [fmt(0x97, { dst: 1, off: 1, imm: -3 }), "(97) r1 s%= -3"],
    [fmt(0x94, { dst: 1, off: 1, imm: 3 }), "(94) w1 s%= 3"],
    // movsx
    [fmt(0xbc, { dst: 1, src: 2, off: 8 }), "(bc) w1 = (s8)w2"],
    [fmt(0xbc, { dst: 1, src: 2, off: 16 }), "(bc) w1 = (s16)w2"],
    [fmt(0xbf, { dst: 1, src: 2, off: 32 }), "(bf) r1 = (s32)r2"],
    // byte swaps: le/be always print r registers, bswap is ALU64
    [fmt(0xdc, { dst: 1, imm: 16 }), "(dc) r1 = be16 r1"],
    [fmt(0xd4, { dst: 1, imm: 64 }), "(d4) r1 = le64 r1"],
    [fmt(0xd7, { dst: 1, imm: 16 }), "(d7) r1 = bswap16 r1"],
    // loads and stores
    [fmt(0x61, { dst: 0, src: 1, off: 0 }), "(61) r0 = *(u32 *)(r1 +0)"],
    [fmt(0x69, { dst: 0, src: 1, off: 2 }), "(69) r0 = *(u16 *)(r1 +2)"],
    [fmt(0x71, { dst: 0, src: 1, off: -1 }), "(71) r0 = *(u8 *)(r1 -1)"],
    [fmt(0x91, { dst: 1, src: 2 }), "(91) r1 = *(s8 *)(r2 +0)"],
    [fmt(0x89, { dst: 1, src: 2, off: 4 }), "(89) r1 = *(s16 *)(r2 +4)"],
    [fmt(0x81, { dst: 1, src: 2, off: 4 }), "(81) r1 = *(s32 *)(r2 +4)"],
    [fmt(0x62, { dst: 10, off: -4, imm: -1 }), "(62) *(u32 *)(r10 -4) = -1"],
    [fmt(0x7a, { dst: 10, off: -8, imm: 0 }), "(7a) *(u64 *)(r10 -8) = 0"],
    [fmt(0x73, { dst: 10, src: 1, off: -1 }), "(73) *(u8 *)(r10 -1) = r1"],
    // atomics
    [fmt(0xdb, { dst: 10, src: 1, off: -8, imm: 0x00 }), "(db) lock *(u64 *)(r10 -8) += r1"],
    [fmt(0xc3, { dst: 10, src: 1, off: -8, imm: 0x40 }), "(c3) lock *(u32 *)(r10 -8) |= r1"],
    [fmt(0xdb, { dst: 10, src: 1, off: -8, imm: 0x50 }), "(db) lock *(u64 *)(r10 -8) &= r1"],
    [fmt(0xdb, { dst: 10, src: 1, off: -8, imm: 0xa0 }), "(db) lock *(u64 *)(r10 -8) ^= r1"],
    [fmt(0xdb, { dst: 10, src: 1, off: -8, imm: 0x01 }), "(db) r1 = atomic64_fetch_add((u64 *)(r10 -8), r1)"],
    [fmt(0xc3, { dst: 10, src: 2, off: -4, imm: 0x51 }), "(c3) r2 = atomic_fetch_and((u32 *)(r10 -4), r2)"],
    [fmt(0xdb, { dst: 10, src: 1, off: -8, imm: 0x41 }), "(db) r1 = atomic64_fetch_or((u64 *)(r10 -8), r1)"],
    [fmt(0xdb, { dst: 10, src: 1, off: -8, imm: 0xa1 }), "(db) r1 = atomic64_fetch_xor((u64 *)(r10 -8), r1)"],
    [fmt(0xdb, { dst: 10, src: 1, off: -8, imm: 0xe1 }), "(db) r1 = atomic64_xchg((u64 *)(r10 -8), r1)"],
    [fmt(0xdb, { dst: 10, src: 1, off: -8, imm: 0xf1 }), "(db) r0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r1)"],
    [fmt(0xc3, { dst: 10, src: 1, off: -8, imm: 0xf1 }), "(c3) r0 = atomic_cmpxchg((u32 *)(r10 -8), r0, r1)"],
    // legacy packet loads
    [fmt(0x30, { imm: 12 }), "(30) r0 = *(u8 *)skb[12]"],
    [fmt(0x28, { imm: 12 }), "(28) r0 = *(u16 *)skb[12]"],
    [fmt(0x40, { src: 7, imm: 14 }), "(40) r0 = *(u32 *)skb[r7 + 14]"],
    // lddw forms (bpftool's print_imm)
    [fmt(0x18, { dst: 2, imm: -1, imm2: -1 }), "(18) r2 = 0xffffffffffffffff"],
    [fmt(0x18, { dst: 2, imm: 1, imm2: 0 }), "(18) r2 = 0x1"],
    [fmt(0x18, { dst: 1, src: 1, imm: 7, imm2: 0 }), "(18) r1 = map[id:7]"],
    [fmt(0x18, { dst: 1, src: 2, imm: 7, imm2: 16 }), "(18) r1 = map[id:7][0]+16"],
    [fmt(0x18, { dst: 1, src: 6, imm: 0, imm2: 4 }), "(18) r1 = map[idx:0]+4"],
    [fmt(0x18, { dst: 2, src: 4, imm: -47, imm2: 0 }), "(18) r2 = subprog[-47]"],
    [fmt(0x18, { dst: 2, src: 3, imm: 1234, imm2: 0 }), "(18) r2 = 0x4d2"],
    // jumps
    [fmt(0x05, { off: -1 }), "(05) goto pc-1"],
    [fmt(0x05, { off: 0 }), "(05) goto pc+0"],
    [fmt(0x06, { imm: 70000 }), "(06) gotol pc+70000"],
    [fmt(0x1d, { dst: 1, src: 2, off: 4 }), "(1d) if r1 == r2 goto pc+4"],
    [fmt(0x16, { dst: 1, imm: 5, off: -2 }), "(16) if w1 == 0x5 goto pc-2"],
    [fmt(0x55, { dst: 1, imm: -1, off: 1 }), "(55) if r1 != 0xffffffff goto pc+1"],
    [fmt(0x25, { dst: 1, imm: 10, off: 1 }), "(25) if r1 > 0xa goto pc+1"],
    [fmt(0x35, { dst: 1, imm: 10, off: 1 }), "(35) if r1 >= 0xa goto pc+1"],
    [fmt(0xa5, { dst: 1, imm: 10, off: 1 }), "(a5) if r1 < 0xa goto pc+1"],
    [fmt(0xb5, { dst: 1, imm: 10, off: 1 }), "(b5) if r1 <= 0xa goto pc+1"],
    [fmt(0x45, { dst: 1, imm: 1, off: 1 }), "(45) if r1 & 0x1 goto pc+1"],
    [fmt(0x6d, { dst: 1, src: 2, off: 1 }), "(6d) if r1 s> r2 goto pc+1"],
    [fmt(0x7e, { dst: 1, src: 2, off: 1 }), "(7e) if w1 s>= w2 goto pc+1"],
    [fmt(0xcd, { dst: 1, src: 2, off: 1 }), "(cd) if r1 s< r2 goto pc+1"],
    [fmt(0xde, { dst: 1, src: 2, off: 1 }), "(de) if w1 s<= w2 goto pc+1"],
    // calls and exit
    [fmt(0x85, { imm: 5 }), "(85) call unknown#5"],
    [fmt(0x85, { src: 1, imm: 10 }), "(85) call pc+10"],
    [fmt(0x85, { src: 1, imm: -3 }), "(85) call pc-3"],
    [fmt(0x85, { src: 2, imm: 4242 }), "(85) call kernel-function#4242"],
    [fmt(0x8d, { dst: 2 }), "(8d) callx r2"],
    [fmt(0x95), "(95) exit"],
    // not in the ISA: the kernel's BUG lines
    [fmt(0xa1), "BUG_ldx_a1"],
    [fmt(0x82), "BUG_st_82"],
    [fmt(0xa3), "BUG_a3"],
    [fmt(0x00), "BUG_ld_00"],
  ];
  it.each(cases.map(([actual, expected]) => [expected, actual]))("%s", (expected, actual) => {
    expect(actual).toBe(expected);
  });

  it("uses the helper and kfunc name callbacks", () => {
    expect(formatInsn(I(0x85, { imm: 1 }), { helperName: () => "bpf_map_lookup_elem" })).toBe(
      "(85) call bpf_map_lookup_elem#1",
    );
    expect(formatInsn(I(0x85, { src: 2, imm: 9 }), { kfuncName: () => "bpf_rcu_read_lock" })).toBe(
      "(85) call bpf_rcu_read_lock#9",
    );
    expect(formatInsn(I(0x85, { imm: 1 }), { helperName: () => undefined })).toBe("(85) call unknown#1");
  });
});
