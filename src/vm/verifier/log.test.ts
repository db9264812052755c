// log.ts: the kernel's notation of registers in the verifier log and in
// messages (Linux 6.12's print_reg_state / reg_type_str), checked against
// the machine's Linux 6.18 log of the same programs: a linked scalar with a
// delta prints `id=N+K` (BPF_ADD_CONST), a ring buffer record is
// `ringbuf_mem_or_null` until it is NULL-checked.
import { describe, expect, it } from "vitest";
import { HelperId } from "../helpers/protos.js";
import { ProgramBuilder } from "../isa/builder.js";
import { programFromInsns } from "../isa/encode.js";
import { Size } from "../isa/opcodes.js";
import { formatReg, regName } from "./log.js";
import { rawTracepointProgType } from "./prog-types.js";
import { scalarFromRange } from "./scalar.js";
import { RegType, type MapDesc } from "./types.js";
import { verify } from "./verifier.js";
import { vmlinuxBtf } from "../../../test/helpers/fixtures.js";

const RINGBUF: MapDesc = { type: 27, keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0, name: "rb" };

describe("verifier log notation", () => {
  it("prints a linked scalar with a delta as id=N+K", () => {
    const b = new ProgramBuilder().call(HelperId.get_prandom_u32!).and64Imm(0, 0xff).mov64(1, 0).add64Imm(1, 8).ldx(Size.DW, 0, 1, 0).exit();
    const r = verify(programFromInsns(b.link()), { progType: rawTracepointProgType(12), privileged: true, logLevel: 1 });
    expect(r.accepted).toBe(false);
    const line = r.log.find((l) => l.startsWith("3: "));
    expect(line).toBe("3: (07) r1 += 8                       ; R1_w=scalar(id=1+8,smin=umin=smin32=umin32=8,smax=umax=smax32=umax32=263,var_off=(0x0; 0x1ff))");
  });

  it("prints a delta of 0 as id=N+0 and a plain member of a group as id=N", () => {
    const s = scalarFromRange(0n, 255n);
    expect(formatReg({ type: RegType.SCALAR, scalar: s, id: 2, off: 0 })).toBe("scalar(id=2+0,smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))");
    expect(formatReg({ type: RegType.SCALAR, scalar: s, id: 2 })).toBe("scalar(id=2,smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))");
  });

  it("names get_current_task_btf's task trusted_ptr_ (PTR_TRUSTED), also after arithmetic", () => {
    const b = new ProgramBuilder().call(HelperId.get_current_task_btf!).ldx(Size.DW, 2, 0, 0).and64Imm(2, 8).add64(0, 2).ldx(Size.DW, 0, 0, 16).exit();
    const r = verify(programFromInsns(b.link()), { progType: rawTracepointProgType(12), privileged: true, logLevel: 1, btf: vmlinuxBtf() });
    expect(r.log.find((l) => l.startsWith("0: (85)"))).toBe("0: (85) call bpf_get_current_task_btf#158     ; R0_w=trusted_ptr_task_struct()");
    expect(r.log.find((l) => l.startsWith("3: (0f)"))).toBe(
      "3: (0f) r0 += r2                      ; R0_w=trusted_ptr_task_struct(smin=smin32=0,smax=umax=smax32=umax32=8,var_off=(0x0; 0x8)) R2_w=scalar(smin=smin32=0,smax=umax=smax32=umax32=8,var_off=(0x0; 0x8))",
    );
  });

  it("names a ring buffer record ringbuf_mem_or_null in messages", () => {
    expect(regName({ type: RegType.PTR_TO_MEM_OR_NULL, refObjId: 1, memSize: 8 })).toBe("ringbuf_mem_or_null");
    expect(regName({ type: RegType.PTR_TO_MEM_OR_NULL, memSize: 8 })).toBe("mem_or_null");
    const b = new ProgramBuilder().ldMapFd(1, 1).mov64Imm(2, 8).mov64Imm(3, 0).call(HelperId.ringbuf_reserve!).ldx(Size.DW, 0, 0, 0).exit();
    const r = verify(programFromInsns(b.link()), { progType: rawTracepointProgType(12), privileged: true, mapByFd: (fd) => (fd === 1 ? RINGBUF : undefined) });
    expect(r.accepted).toBe(false);
    expect(r.error!.reason).toBe("R0 invalid mem access 'ringbuf_mem_or_null'");
  });
});
