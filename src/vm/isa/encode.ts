// Encoding: Instruction records → 8-byte little-endian slots (lddw → two
// slots), and building a Program (instructions + slot index table) from a
// list of records. Only the wire ranges are checked here (opcode u8,
// registers 4 bits, off 16 bits, imm 32 bits); ISA validity is decode's job.
import { InsnError } from "../errors.js";
import { LDDW } from "./opcodes.js";
import { slotCount, type Instruction, type Program } from "./instruction.js";
import { SLOT_SIZE } from "./decode.js";

function field(value: number, lo: number, hi: number, name: string, index: number): number {
  if (!Number.isInteger(value) || value < lo || value > hi) {
    throw new InsnError(`${name}=${value} does not fit its encoding (${lo}..${hi})`, index);
  }
  return value;
}

function writeSlot(view: DataView, slot: number, insn: Instruction, imm: number): void {
  const p = slot * SLOT_SIZE;
  view.setUint8(p, field(insn.opcode, 0, 0xff, "opcode", slot));
  const dst = field(insn.dst, 0, 15, "dst", slot);
  const src = field(insn.src, 0, 15, "src", slot);
  view.setUint8(p + 1, (src << 4) | dst);
  // off and imm accept both their signed and unsigned readings.
  view.setUint16(p + 2, field(insn.off, -0x8000, 0xffff, "off", slot) & 0xffff, true);
  view.setUint32(p + 4, field(imm, -0x80000000, 0xffffffff, "imm", slot) >>> 0, true);
}

/** Encodes instructions to bytes; an lddw's second slot carries `imm2` (default 0). */
export function encodeProgram(insns: readonly Instruction[]): Uint8Array {
  let nslots = 0;
  for (const insn of insns) nslots += slotCount(insn);
  const out = new Uint8Array(nslots * SLOT_SIZE);
  const view = new DataView(out.buffer);
  let slot = 0;
  for (const insn of insns) {
    writeSlot(view, slot, insn, insn.imm);
    if (insn.opcode === LDDW) {
      writeSlot(view, slot + 1, { opcode: 0, dst: 0, src: 0, off: 0, imm: 0 }, insn.imm2 ?? 0);
      slot += 2;
    } else {
      slot += 1;
    }
  }
  return out;
}

/** Wraps instruction records as a Program, computing each one's slot index. No validation. */
export function programFromInsns(insns: readonly Instruction[]): Program {
  const slotOf: number[] = [];
  let slot = 0;
  for (const insn of insns) {
    slotOf.push(slot);
    slot += slotCount(insn);
  }
  slotOf.push(slot);
  return { insns, slotOf };
}
