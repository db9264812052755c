// End to end on the VM: programs built with the ProgramBuilder use real maps
// through helpers (hash counts, ring buffer events) and user space reads the
// results through the map API, as a tracer will.
import { describe, expect, it } from "vitest";
import { nullKernelEnv } from "../../src/vm/env.js";
import { vmHelperTable } from "../../src/vm/helpers/table.js";
import { HelperId } from "../../src/vm/helpers/protos.js";
import { ProgramBuilder } from "../../src/vm/isa/builder.js";
import { programFromInsns } from "../../src/vm/isa/encode.js";
import { JmpOp, PseudoLd, Size } from "../../src/vm/isa/opcodes.js";
import { Interpreter } from "../../src/vm/interpreter.js";
import { AddressSpace } from "../../src/vm/memory.js";
import { createMap, MapRegistry, type BpfMap, type RingbufMap } from "../../src/vm/maps/index.js";

function setup() {
  const mem = new AddressSpace();
  const registry = new MapRegistry();
  const helpers = vmHelperTable();
  let pid = 100;
  const env = nullKernelEnv({
    currentTask: () => ({ pid, tgid: pid, uid: 0, gid: 0, comm: `task${pid}`, taskAddress: 0xffff888000100000n + BigInt(pid) }),
    ktimeNs: () => 5000n + BigInt(pid),
  });
  const vm = new Interpreter({ mem, env, helper: (id) => helpers.impl(id), mapAt: registry.mapAt });
  const make = (attr: Parameters<typeof createMap>[0]): BpfMap => {
    const m = createMap(attr, { mem, nrCpus: 1, registry });
    if (typeof m === "number") throw new Error(`createMap: ${m}`);
    return m;
  };
  // lddw src=MAP_FD resolves through the registry: the fd is the map id here.
  const load = (b: ProgramBuilder) =>
    vm.load(programFromInsns(b.link()), "prog", (src, imm) => {
      if (src !== PseudoLd.MAP_FD) throw new Error(`unexpected lddw src ${src}`);
      return registry.byId(imm)!.address;
    });
  return { mem, vm, make, load, setPid: (p: number) => (pid = p) };
}

describe("programs with maps", () => {
  it("counts calls per pid in a hash map", () => {
    const { vm, make, load, setPid } = setup();
    const counts = make({ type: 1, keySize: 4, valueSize: 8, maxEntries: 16, name: "counts" });
    // key = pid; v = lookup(key); if (!v) update(key, 1) else *v += 1
    const prog = load(
      new ProgramBuilder()
        .call(HelperId.get_current_pid_tgid!)
        .stx(Size.W, 10, -4, 0)
        .ldMapFd(1, counts.id)
        .mov64(2, 10)
        .add64Imm(2, -4)
        .call(HelperId.map_lookup_elem!)
        .jmpImm(JmpOp.JEQ, 0, 0, "new")
        .mov64Imm(1, 1)
        .atomicAdd(Size.DW, 0, 0, 1)
        .ja("out")
        .label("new")
        .st(Size.DW, 10, -16, 1)
        .ldMapFd(1, counts.id)
        .mov64(2, 10)
        .add64Imm(2, -4)
        .mov64(3, 10)
        .add64Imm(3, -16)
        .mov64Imm(4, 0)
        .call(HelperId.map_update_elem!)
        .label("out")
        .mov64Imm(0, 0)
        .exit(),
    );
    for (const p of [100, 100, 200, 100, 300, 200]) {
      setPid(p);
      const r = vm.run(prog);
      expect(r.fault).toBeUndefined();
    }
    const key = (p: number) => Uint8Array.of(p & 0xff, p >> 8, 0, 0);
    const val = (p: number) => {
      const v = counts.lookup(key(p));
      if (typeof v === "number") throw new Error(`lookup ${p}: ${v}`);
      return new DataView(v.buffer, v.byteOffset).getBigUint64(0, true);
    };
    expect([val(100), val(200), val(300)]).toEqual([3n, 2n, 1n]);
    expect(counts.lookup(key(400))).toBe(-2);
  });

  it("emits events through a ring buffer and user space consumes them in order", () => {
    const { vm, make, load, setPid } = setup();
    const rb = make({ type: 27, keySize: 0, valueSize: 0, maxEntries: 4096, name: "events" }) as RingbufMap;
    // e = reserve(16); if (!e) return 1; e->pid = pid; e->ts = ktime; submit(e)
    const prog = load(
      new ProgramBuilder()
        .ldMapFd(1, rb.id)
        .mov64Imm(2, 16)
        .mov64Imm(3, 0)
        .call(HelperId.ringbuf_reserve!)
        .jmpImm(JmpOp.JNE, 0, 0, "got")
        .mov64Imm(0, 1)
        .exit()
        .label("got")
        .mov64(6, 0)
        .call(HelperId.get_current_pid_tgid!)
        .stx(Size.DW, 6, 0, 0)
        .call(HelperId.ktime_get_ns!)
        .stx(Size.DW, 6, 8, 0)
        .mov64(1, 6)
        .mov64Imm(2, 0)
        .call(HelperId.ringbuf_submit!)
        .mov64Imm(0, 0)
        .exit(),
    );
    for (const p of [7, 8, 9]) {
      setPid(p);
      expect(vm.run(prog).r0).toBe(0n);
    }
    const events = rb.consume().map((s) => {
      const v = new DataView(s.data.buffer, s.data.byteOffset, s.data.byteLength);
      return [Number(v.getBigUint64(0, true) & 0xffffffffn), v.getBigUint64(8, true)];
    });
    expect(events).toEqual([
      [7, 5007n],
      [8, 5008n],
      [9, 5009n],
    ]);
    expect(rb.consume()).toEqual([]);
  });

  it("a program that overruns a map value faults without touching the neighbour", () => {
    const { vm, make, load, mem } = setup();
    const arr = make({ type: 2, keySize: 4, valueSize: 8, maxEntries: 2, name: "arr" });
    const prog = load(
      new ProgramBuilder()
        .st(Size.W, 10, -4, 0)
        .ldMapFd(1, arr.id)
        .mov64(2, 10)
        .add64Imm(2, -4)
        .call(HelperId.map_lookup_elem!)
        .jmpImm(JmpOp.JEQ, 0, 0, "out")
        .st(Size.DW, 0, 4096 * 2, 7) // far past the value array
        .label("out")
        .mov64Imm(0, 0)
        .exit(),
    );
    const r = vm.run(prog);
    expect(r.fault?.kind).toBe("memory");
    expect(r.fault?.pc).toBe(7);
    expect(mem.find(0, 0, 1)).toBeUndefined();
    expect(arr.lookup(Uint8Array.of(1, 0, 0, 0))).toEqual(new Uint8Array(8));
  });
});
