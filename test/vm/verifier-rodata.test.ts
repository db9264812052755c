// A frozen read-only map's bytes are constants to the verifier (the
// kernel's bpf_map_is_rdonly + bpf_map_direct_read): a branch on a
// `.rodata` knob is decided and the dead side is not verified, as
// libbpf-tools rely on (issue #17). Only a one-element array that programs
// cannot write (BPF_F_RDONLY_PROG) and user space froze qualifies.
import { describe, expect, it } from "vitest";
import { bootSyntheticKernel } from "../../src/syscall/boot.js";
import { ProgramBuilder } from "../../src/vm/isa/builder.js";
import { encodeProgram } from "../../src/vm/isa/encode.js";
import { JmpOp, Size } from "../../src/vm/isa/opcodes.js";

const RDONLY_PROG = 1 << 7;

/** A map holding the u32 knob `value`, frozen or not, and a program that dereferences a scalar when the knob is not 0. */
function load(knob: number, opts: { flags?: number; freeze?: boolean; signed?: boolean } = {}) {
  const { bpf } = bootSyntheticKernel({ seed: 1 });
  const fd = bpf.mapCreate({ type: 2, keySize: 4, valueSize: 8, maxEntries: 1, flags: opts.flags ?? RDONLY_PROG, name: "rodata" });
  if (fd < 0) throw new Error(bpf.lastError);
  const v = new Uint8Array(8);
  new DataView(v.buffer).setInt32(4, knob, true);
  expect(bpf.mapUpdateElem(fd, new Uint8Array(4), v)).toBe(0);
  if (opts.freeze ?? true) expect(bpf.mapFreeze(fd)).toBe(0);
  const b = new ProgramBuilder().ldMapValue(1, fd, 0);
  if (opts.signed) b.ldxs(Size.W, 2, 1, 4).jmpImm(JmpOp.JSGE, 2, 0, "ok");
  else b.ldx(Size.W, 2, 1, 4).jmpImm(JmpOp.JEQ, 2, 0, "ok");
  b.ldx(Size.DW, 0, 2, 0).exit().label("ok").mov64Imm(0, 0).exit();
  const r = bpf.progLoad({ progType: "tracing", insns: encodeProgram(b.link()), license: "GPL", name: "knob" });
  return { accepted: typeof r !== "number", error: bpf.lastError };
}

describe(".rodata knobs decide branches", () => {
  it("knob 0 in a frozen read-only map: the dereference of a scalar is dead code, accepted", () => {
    expect(load(0).accepted).toBe(true);
  });

  it("knob 1: the dereference is reached and refused", () => {
    const r = load(1);
    expect(r.accepted).toBe(false);
    expect(r.error).toContain("R2 invalid mem access 'scalar'");
  });

  it("not frozen, or writable by programs: the knob is unknown and both sides are verified", () => {
    expect(load(0, { freeze: false }).error).toContain("R2 invalid mem access 'scalar'");
    expect(load(0, { flags: 0 }).error).toContain("R2 invalid mem access 'scalar'");
  });

  it("a sign-extending load reads the bytes as signed (-5 < 0 takes the dereference)", () => {
    expect(load(7, { signed: true }).accepted).toBe(true);
    expect(load(-5, { signed: true }).accepted).toBe(false);
  });
});
