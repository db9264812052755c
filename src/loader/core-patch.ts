// Patching one instruction with a CO-RE result (libbpf relo_core.c
// bpf_core_patch_insn, bpf_core_poison_insn): the immediate of an ALU/ALU64
// instruction, the offset of a load/store (resizing the access when the
// field's size changed and that is safe), the 64-bit immediate of an lddw;
// or, when the relocation could not be resolved, the instruction replaced by
// a call of helper 0xbad2310 that the verifier rejects only if it is
// reachable ("invalid func unknown#195896080").
import { Class, CLASS_MASK, JmpOp, LDDW, MODE_MASK, SIZE_MASK, Size, Source, SOURCE_MASK } from "../vm/isa/opcodes.js";
import type { Instruction } from "../vm/isa/instruction.js";
import type { CoreReloRes } from "./core-calc.js";
import { CoreFail } from "./core-compat.js";

/** The helper id of a poisoned instruction: 0xbad2310, "bad relo". */
export const CORE_POISON_HELPER = 195896080;

/** The invalid call a poisoned slot becomes. */
export function poisonedCall(): Instruction {
  return { opcode: Class.JMP | JmpOp.CALL, dst: 0, src: 0, off: 0, imm: CORE_POISON_HELPER };
}

const SIZE_OF: Record<number, number> = { [Size.B]: 1, [Size.H]: 2, [Size.W]: 4, [Size.DW]: 8 };
const SIZE_CODE: Record<number, number> = { 1: Size.B, 2: Size.H, 4: Size.W, 8: Size.DW };

export interface PatchOutcome {
  /** Replacement: one instruction, or for a poisoned lddw two calls (an lddw occupies two slots). */
  insns: Instruction[];
  poisoned: boolean;
  /** libbpf's debug lines (without the "prog 'x': relo #N: " prefix). */
  log: string[];
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

function poison(insn: Instruction, insnIdx: number, log: string[]): PatchOutcome {
  const insns = [poisonedCall()];
  if (insn.opcode === LDDW) {
    // Both slots of an lddw become calls, so the verifier does not stop at "unknown opcode 00" first.
    log.push(`substituting insn #${insnIdx + 1} w/ invalid insn`);
    insns.push(poisonedCall());
  }
  log.push(`substituting insn #${insnIdx} w/ invalid insn`);
  return { insns, poisoned: true, log };
}

/**
 * Applies `res` to `insn` (slot index `insnIdx` in its function, for
 * messages). Throws CoreFail when the instruction cannot take the relocation:
 * its current value is not what the compiler computed from the local type
 * (validated kinds), it is not of a relocatable form, or the value does not
 * fit (a load/store offset beyond 32767; an ALU immediate beyond 32 bits,
 * which libbpf would truncate silently and cilium/ebpf refuses).
 */
export function patchCoreInsn(insn: Instruction, insnIdx: number, res: CoreReloRes): PatchOutcome {
  const log: string[] = [];
  if (res.poison) return poison(insn, insnIdx, log);
  const cls = insn.opcode & CLASS_MASK;
  const { origVal, newVal } = res;
  const out: Instruction = { ...insn };
  switch (cls) {
    case Class.ALU:
    case Class.ALU64: {
      if ((insn.opcode & SOURCE_MASK) !== Source.K) {
        throw new CoreFail("EINVAL", `insn #${insnIdx} (ALU/ALU64) has a register operand, not an immediate to relocate`);
      }
      if (res.validate && BigInt.asUintN(64, BigInt(insn.imm)) !== origVal) {
        throw new CoreFail("EINVAL", `unexpected insn #${insnIdx} (ALU/ALU64) value: got ${insn.imm >>> 0}, exp ${origVal} -> ${newVal}`);
      }
      const signed = BigInt.asIntN(64, newVal);
      if (newVal > 0xffffffffn && signed < -0x80000000n) {
        throw new CoreFail("ERANGE", `insn #${insnIdx} (ALU/ALU64) value too big: ${newVal}`, "a 32-bit immediate cannot hold it; the value needs a 64-bit load (ld_imm64)");
      }
      out.imm = Number(BigInt.asIntN(32, newVal));
      log.push(`patched insn #${insnIdx} (ALU/ALU64) imm ${insn.imm >>> 0} -> ${newVal}`);
      return { insns: [out], poisoned: false, log };
    }
    case Class.LDX:
    case Class.ST:
    case Class.STX: {
      if (res.validate && BigInt(insn.off) !== origVal) {
        throw new CoreFail("EINVAL", `unexpected insn #${insnIdx} (LDX/ST/STX) value: got ${insn.off}, exp ${origVal} -> ${newVal}`);
      }
      if (newVal > 0x7fffn) throw new CoreFail("ERANGE", `insn #${insnIdx} (LDX/ST/STX) value too big: ${newVal}`, "a load/store offset is a signed 16-bit number");
      if (res.failMemszAdjust) {
        log.push(
          `insn #${insnIdx} (LDX/ST/STX) accesses field incorrectly. Make sure you are accessing pointers, unsigned integers, or fields of matching type and size.`,
        );
        return poison(insn, insnIdx, log);
      }
      out.off = Number(newVal);
      log.push(`patched insn #${insnIdx} (LDX/ST/STX) off ${insn.off} -> ${newVal}`);
      if (res.newSz !== res.origSz) {
        const have = SIZE_OF[insn.opcode & SIZE_MASK]!;
        if (have !== res.origSz) throw new CoreFail("EINVAL", `insn #${insnIdx} (LDX/ST/STX) unexpected mem size: got ${have}, exp ${res.origSz}`);
        const code = SIZE_CODE[res.newSz];
        if (code === undefined) throw new CoreFail("EINVAL", `insn #${insnIdx} (LDX/ST/STX) invalid new mem size: ${res.newSz}`);
        out.opcode = (insn.opcode & MODE_MASK) | code | cls;
        log.push(`patched insn #${insnIdx} (LDX/ST/STX) mem_sz ${res.origSz} -> ${res.newSz}`);
      }
      return { insns: [out], poisoned: false, log };
    }
    case Class.LD: {
      if (insn.opcode !== LDDW || insn.src !== 0 || insn.off !== 0) throw new CoreFail("EINVAL", `insn #${insnIdx} (LDIMM64) has unexpected form`);
      const imm = (BigInt((insn.imm2 ?? 0) >>> 0) << 32n) | BigInt(insn.imm >>> 0);
      if (res.validate && imm !== origVal) {
        throw new CoreFail("EINVAL", `unexpected insn #${insnIdx} (LDIMM64) value: got ${imm}, exp ${origVal} -> ${newVal}`);
      }
      out.imm = Number(BigInt.asIntN(32, newVal));
      out.imm2 = Number(BigInt.asIntN(32, newVal >> 32n));
      log.push(`patched insn #${insnIdx} (LDIMM64) imm64 ${imm} -> ${newVal}`);
      return { insns: [out], poisoned: false, log };
    }
    default:
      throw new CoreFail(
        "EINVAL",
        `trying to relocate unrecognized insn #${insnIdx}, code:${hex(insn.opcode)}, src:${hex(insn.src)}, dst:${hex(insn.dst)}, off:${hex(insn.off & 0xffff)}, imm:${hex(insn.imm)}`,
      );
  }
}
