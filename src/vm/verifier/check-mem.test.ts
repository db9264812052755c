// check-mem's accesses through stack pointers with a variable offset (fp +
// a bounded scalar), as Linux's check_stack_{read,write}_var_off and
// check_stack_range_initialized see them. Pointer arithmetic does not make
// such pointers yet (check-alu refuses fp + variable scalar), so the
// registers are made here; the messages are the ones Linux 6.18 printed for
// the oracle corpus's jmp_bounds_off_by_one and jmp_w_load_bound_over.
import { describe, expect, it } from "vitest";
import { ProgramBuilder } from "../isa/builder.js";
import { programFromInsns } from "../isa/encode.js";
import { checkCfg } from "./cfg.js";
import { checkHelperMem, checkMemAccess } from "./check-mem.js";
import { makeContext } from "./context.js";
import { VerifierError } from "./errors.js";
import { tracingProgType } from "./prog-types.js";
import { constValue, isConst, scalarFromRange, scalarFromSignedRange } from "./scalar.js";
import { constReg, newFrame } from "./state.js";
import { RegType, StackByte, STACK_SIZE, type RegState, type VerifierState } from "./types.js";

function setup(privileged = true) {
  const program = programFromInsns(new ProgramBuilder().mov64Imm(0, 0).exit().link());
  const ctx = makeContext(program, checkCfg(program, { privileged, maxInsns: 4096, allowCallx: false }), { progType: tracingProgType(6), privileged }, []);
  const state: VerifierState = { frames: [newFrame(-1, 0, 0)], refs: new Map() };
  return { ctx, state, frame: state.frames[0]! };
}

/** fp + `off` + a scalar in [lo, hi]. */
const fpVar = (off: number, lo: bigint, hi: bigint): RegState => ({ type: RegType.PTR_TO_STACK, frameno: 0, off, scalar: lo < 0n ? scalarFromSignedRange(lo, hi) : scalarFromRange(lo, hi) });

function fails(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof VerifierError) return e.reason;
    throw e;
  }
  return "accepted";
}

describe("stack accesses at a variable offset", () => {
  it("a byte store at fp-8 + [0, 7] is in the frame; its bytes become MISC and a spill there is gone", () => {
    const { ctx, state, frame } = setup();
    frame.regs[1] = { type: RegType.PTR_TO_CTX, off: 0 };
    checkMemAccess(ctx, state, { regno: 10, off: -8, size: 8, write: true, value: frame.regs[1], valueRegno: 1, pc: 0 });
    expect(frame.spills[(STACK_SIZE - 8) >> 3]?.type).toBe(RegType.PTR_TO_CTX);
    frame.regs[3] = fpVar(-8, 0n, 7n);
    checkMemAccess(ctx, state, { regno: 3, off: 0, size: 1, write: true, value: constReg(1n), pc: 1 });
    expect(frame.spills[(STACK_SIZE - 8) >> 3]).toBeUndefined();
    expect([...frame.stack.subarray(STACK_SIZE - 8)]).toEqual(new Array(8).fill(StackByte.MISC));
    // The 8 bytes at fp-8 are now a scalar, not the spilled ctx.
    expect(checkMemAccess(ctx, state, { regno: 10, off: -8, size: 8, write: false, pc: 2 })!.type).toBe(RegType.SCALAR);
  });

  it("fp-8 + [0, 8]: one byte past the frame (Linux: jmp_bounds_off_by_one)", () => {
    const { ctx, state, frame } = setup();
    frame.regs[3] = fpVar(-8, 0n, 8n);
    expect(fails(() => checkMemAccess(ctx, state, { regno: 3, off: 0, size: 1, write: true, value: constReg(0n), pc: 0 }))).toBe(
      "invalid variable-offset write to stack R3 var_off=(0x0; 0xf) off=-8 size=1",
    );
  });

  it("fp-255 + [0, 255] (a loaded byte): Linux's jmp_w_load_bound_over", () => {
    const { ctx, state, frame } = setup();
    frame.regs[3] = fpVar(-255, 0n, 255n);
    expect(fails(() => checkMemAccess(ctx, state, { regno: 3, off: 0, size: 1, write: true, value: constReg(0n), pc: 0 }))).toBe(
      "invalid variable-offset write to stack R3 var_off=(0x0; 0xff) off=-255 size=1",
    );
    frame.regs[3] = fpVar(-256, 0n, 255n);
    expect(fails(() => checkMemAccess(ctx, state, { regno: 3, off: 0, size: 1, write: true, value: constReg(0n), pc: 0 }))).toBe("accepted");
  });

  it("below the frame, unbounded, misaligned, unprivileged", () => {
    const { ctx, state, frame } = setup();
    frame.regs[3] = fpVar(-512, -8n, 0n);
    expect(fails(() => checkMemAccess(ctx, state, { regno: 3, off: 0, size: 1, write: false, pc: 0 }))).toBe(
      "invalid variable-offset read from stack R3 var_off=(0x0; 0xffffffffffffffff) off=-512 size=1",
    );
    frame.regs[3] = fpVar(-8, 0n, 1n << 30n);
    expect(fails(() => checkMemAccess(ctx, state, { regno: 3, off: 0, size: 1, write: false, pc: 0 }))).toBe("invalid unbounded variable-offset read from stack R3");
    frame.regs[3] = fpVar(-16, 0n, 4n);
    expect(fails(() => checkMemAccess(ctx, state, { regno: 3, off: 0, size: 8, write: false, pc: 0 }))).toBe("misaligned stack access off (0x0; 0x7)+-16+0 size 8");
    const u = setup(false);
    u.frame.regs[3] = fpVar(-16, 0n, 8n);
    expect(fails(() => checkMemAccess(u.ctx, u.state, { regno: 3, off: 0, size: 1, write: false, pc: 0 }))).toBe(
      "R3 variable offset stack access prohibited for !root, var_off=(0x0; 0xf)",
    );
  });

  it("a load reads 0 only if every byte it may read is ZERO (a spilled 0 is not: pruning ignores an imprecise spill's value)", () => {
    const { ctx, state, frame } = setup();
    // Bytes fp-24..fp-9 ZERO (4-byte stores of 0), a spilled 0 at fp-8.
    for (let off = -24; off < -8; off += 4) checkMemAccess(ctx, state, { regno: 10, off, size: 4, write: true, value: constReg(0n), pc: 0 });
    checkMemAccess(ctx, state, { regno: 10, off: -8, size: 8, write: true, value: constReg(0n), pc: 0 });
    const read = (lo: bigint, hi: bigint): RegState => {
      frame.regs[3] = fpVar(-24, lo, hi);
      return checkMemAccess(ctx, state, { regno: 3, off: 0, size: 1, write: false, pc: 1 })!;
    };
    const isZero = (r: RegState): boolean => isConst(r.scalar!) && constValue(r.scalar!) === 0n;
    expect(isZero(read(0n, 8n))).toBe(true); // bytes -24..-16
    expect(isZero(read(0n, 16n))).toBe(false); // reaches the spill at fp-8
    checkMemAccess(ctx, state, { regno: 10, off: -8, size: 4, write: true, value: constReg(0n), pc: 2 });
    checkMemAccess(ctx, state, { regno: 10, off: -4, size: 4, write: true, value: constReg(0n), pc: 2 });
    expect(isZero(read(0n, 16n))).toBe(true);
    checkMemAccess(ctx, state, { regno: 10, off: -8, size: 1, write: true, value: constReg(7n), pc: 3 });
    expect(isZero(read(0n, 16n))).toBe(false);
    expect(ctx.stackDepth.get(0)).toBe(24);
  });

  it("helpers: the whole range a variable offset may cover, 'indirect access' as Linux 6.12 says", () => {
    const { ctx, state, frame } = setup();
    frame.regs[1] = fpVar(-32, 0n, 16n);
    expect(fails(() => checkHelperMem(ctx, state, 1, 16, true, 0))).toBe("accepted");
    expect([...frame.stack.subarray(STACK_SIZE - 32)]).toEqual(new Array(32).fill(StackByte.MISC));
    expect(fails(() => checkHelperMem(ctx, state, 1, 17, true, 0))).toBe("invalid variable-offset indirect access to stack R1 var_off=(0x0; 0x1f) off=-32 size=17");
    // A known variable part is a fixed offset.
    frame.regs[1] = { type: RegType.PTR_TO_STACK, frameno: 0, off: -32, scalar: scalarFromRange(24n, 24n) };
    expect(fails(() => checkHelperMem(ctx, state, 1, 9, false, 0))).toBe("invalid indirect access to stack R1 off=-8 size=9");
  });
});
