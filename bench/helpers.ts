// Helper-call benchmark: ns per call of the hottest helpers in both engines
// (a loop making the call minus the same loop without it, CPU time, best of
// BENCH_RUNS), over array, per-CPU array, hash, perf event array and ring
// buffer maps. Helpers with a BigInt-free `fast` form (helpers/abi.ts) and a
// pair of helpers without one (get_current_comm + get_current_cgroup_id).
import { nullKernelEnv } from "../src/vm/env.js";
import { vmHelperTable } from "../src/vm/helpers/table.js";
import { ProgramBuilder } from "../src/vm/isa/builder.js";
import { programFromInsns } from "../src/vm/isa/encode.js";
import { JmpOp, PseudoLd, Size } from "../src/vm/isa/opcodes.js";
import type { Program } from "../src/vm/isa/instruction.js";
import { Interpreter, type LoadedProgram } from "../src/vm/interpreter.js";
import { AddressSpace } from "../src/vm/memory.js";
import { createMap, MapRegistry, type BpfMap, type MapAttr } from "../src/vm/maps/index.js";
import { cpuMs, envNumber, printTable } from "./table.js";

export async function runHelpersBench(): Promise<void> {
  const RUNS = envNumber("BENCH_RUNS", 5, 1);
  const N = 100_000;
  const mem = new AddressSpace();
  const registry = new MapRegistry();
  const helpers = vmHelperTable();
  let t = 0n;
  const env = nullKernelEnv({
    currentTask: () => ({ pid: 7, tgid: 7, uid: 1000, gid: 1000, comm: "x", taskAddress: 0xffff888000100000n }),
    ktimeNs: () => (t += 1000n),
    bootNs: () => (t += 1000n),
    readKernel: (dst) => {
      dst.fill(1);
      return 0;
    },
  });
  const mk = (a: MapAttr): BpfMap => {
    const m = createMap(a, { mem, nrCpus: 2, registry });
    if (typeof m === "number") throw new Error(`createMap ${a.name}: ${m}`);
    return m;
  };
  const arr = mk({ type: 2, keySize: 4, valueSize: 8, maxEntries: 64, name: "arr" } as MapAttr);
  const pca = mk({ type: 6, keySize: 4, valueSize: 8, maxEntries: 64, name: "pca" } as MapAttr);
  const hash = mk({ type: 1, keySize: 4, valueSize: 8, maxEntries: 64, name: "hash" } as MapAttr);
  const perf = mk({ type: 4, keySize: 4, valueSize: 4, maxEntries: 2, name: "perf" } as MapAttr) as BpfMap & { openBuffers(p: number): unknown; poll(): unknown };
  perf.openBuffers(1024);
  const rb = mk({ type: 27, keySize: 0, valueSize: 0, maxEntries: 1 << 23, name: "rb" } as MapAttr) as BpfMap & { consume(): unknown };

  // r6 = N; loop: body; r6--; if r6 != 0 goto loop; r0 = 0; exit (key 3 at fp-8, value 5 at fp-16).
  const prog = (body?: (b: ProgramBuilder) => ProgramBuilder): Program => {
    let b = new ProgramBuilder().st(Size.DW, 10, -8, 3).st(Size.DW, 10, -16, 5).mov64Imm(6, N).label("loop");
    if (body) b = body(b);
    return programFromInsns(b.sub64Imm(6, 1).jmpImm(JmpOp.JNE, 6, 0, "loop").mov64Imm(0, 0).exit().link());
  };
  const key = (b: ProgramBuilder, fd: number) => b.ldMapFd(1, fd).mov64(2, 10).add64Imm(2, -8);
  const cases: [string, (b: ProgramBuilder) => ProgramBuilder][] = [
    ["get_smp_processor_id", (b) => b.call(8)],
    ["ktime_get_ns", (b) => b.call(5)],
    ["get_current_pid_tgid", (b) => b.call(14)],
    ["get_prandom_u32", (b) => b.call(7)],
    ["map_lookup_elem, array", (b) => key(b, arr.id).call(1)],
    ["map_update_elem, array", (b) => key(b, arr.id).mov64(3, 10).add64Imm(3, -16).mov64Imm(4, 0).call(2)],
    ["map_lookup_elem, per-CPU array", (b) => key(b, pca.id).call(1)],
    ["map_lookup_elem, hash", (b) => key(b, hash.id).call(1)],
    ["map_update_elem, hash", (b) => key(b, hash.id).mov64(3, 10).add64Imm(3, -16).mov64Imm(4, 0).call(2)],
    ["probe_read_kernel, 8 bytes", (b) => b.mov64(1, 10).add64Imm(1, -24).mov64Imm(2, 8).lddw(3, 0xffff888000001000n).call(113)],
    ["ringbuf_reserve + ringbuf_submit", (b) => b.ldMapFd(1, rb.id).mov64Imm(2, 16).mov64Imm(3, 0).call(131).jmpImm(JmpOp.JEQ, 0, 0, "skip").mov64(1, 0).mov64Imm(2, 0).call(132).label("skip")],
    ["ringbuf_output, 16 bytes", (b) => b.ldMapFd(1, rb.id).mov64(2, 10).add64Imm(2, -16).mov64Imm(3, 16).mov64Imm(4, 0).call(130)],
    ["perf_event_output, 16 bytes", (b) => b.mov64(1, 10).ldMapFd(2, perf.id).lddw(3, 0xffffffffn).mov64(4, 10).add64Imm(4, -16).mov64Imm(5, 16).call(25)],
    ["get_current_comm, 16 bytes", (b) => b.mov64(1, 10).add64Imm(1, -32).mov64Imm(2, 16).call(16)],
    ["comm + get_current_cgroup_id (no fast form)", (b) => b.mov64(1, 10).add64Imm(1, -32).mov64Imm(2, 16).call(16).call(80)],
  ];
  const perEngine = (jit: boolean): number[] => {
    const vm = new Interpreter({ mem, env, helper: (id) => helpers.impl(id), mapAt: registry.mapAt, jit });
    const resolve = (src: number, imm: number): bigint => {
      if (src !== PseudoLd.MAP_FD) throw new Error(`lddw src ${src}`);
      return registry.byId(imm)!.address;
    };
    const load = (p: Program) => vm.load(p, "helpers", resolve, [], { budget: 1e12 });
    const time = (lp: LoadedProgram): number => {
      let best = Infinity;
      for (let i = 0; i <= RUNS; i++) {
        // The rings are drained between runs, outside the timing, so they never fill.
        rb.consume();
        perf.poll();
        const t0 = process.cpuUsage();
        const r = vm.run(lp, { budget: 1e12 });
        const ms = cpuMs(t0);
        if (r.fault) throw new Error(r.fault.message);
        if (i > 0) best = Math.min(best, ms); // run 0 warms up
      }
      return (best * 1e6) / N;
    };
    const base = load(prog());
    time(base);
    const empty = time(base);
    return cases.map(([, body]) => time(load(prog(body))) - empty);
  };
  const jit = perEngine(true);
  const interp = perEngine(false);
  printTable(
    `helpers: ns per helper call (loop with the call minus the empty loop, ${N.toLocaleString("en-US")} calls, CPU time, best of ${RUNS})`,
    ["helper", "JIT ns", "interpreter ns"],
    cases.map(([name], i) => [name, jit[i]!.toFixed(1), interp[i]!.toFixed(1)]),
  );
}
