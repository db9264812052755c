// Verifier benchmark: time and states explored for the whole conformance
// suite, for large generated programs (a long straight line, nested
// bounded loops, a chain of branch diamonds that only pruning keeps small),
// the tracer's largest program, and a ksnoop-class loop over arguments
// compiled from C (test/fixtures/verifier-oracle/ksnoop), next to what
// Linux's verifier reported for its raw_tp variant.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseConformanceData } from "../src/vm/conformance-data.js";
import { assemble } from "../src/vm/isa/asm.js";
import { ProgramBuilder } from "../src/vm/isa/builder.js";
import { decodeProgram } from "../src/vm/isa/decode.js";
import { encodeProgram, programFromInsns } from "../src/vm/isa/encode.js";
import type { Program } from "../src/vm/isa/instruction.js";
import { JmpOp, Size, type Register } from "../src/vm/isa/opcodes.js";
import { conformanceProgType } from "../src/vm/verifier/prog-types.js";
import { verify } from "../src/vm/verifier/verifier.js";
import { printTable, repoRoot } from "./table.js";
import { parseBtf } from "../src/btf/index.js";
import { BtfKind } from "../src/btf/kinds.js";
import { BUF_SIZE, Counter, ENTRY_SIZE } from "../src/codegen/layout.js";
import { generateProgram } from "../src/codegen/program.js";
import { bootSyntheticKernel } from "../src/syscall/boot.js";
import { tracingProgType } from "../src/vm/verifier/prog-types.js";
import { loadArgloop } from "../test/fixtures/verifier-oracle/ksnoop/argloop.js";

const ROOT = repoRoot();
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

function straightLine(n: number): Program {
  const b = new ProgramBuilder().mov64Imm(0, 0);
  for (let i = 0; i < n; i++) {
    b.add64Imm(0, i & 7).stx(Size.DW, 10, -8 * ((i % 64) + 1), 0).ldx(Size.DW, 2, 10, -8 * ((i % 64) + 1)).xor64(0, 2);
  }
  return programFromInsns(b.exit().link());
}

function nestedLoops(depth: number, trips: number): Program {
  const b = new ProgramBuilder().mov64Imm(0, 0);
  const r = (d: number) => (6 + d) as Register;
  for (let d = 0; d < depth; d++) b.mov64Imm(r(d), 0).label(`l${d}`);
  b.add64Imm(0, 1);
  for (let d = depth - 1; d >= 0; d--) b.add64Imm(r(d), 1).jmpImm(JmpOp.JLT, r(d), trips, `l${d}`);
  return programFromInsns(b.exit().link());
}

/**
 * r6 = mem[0]; n times: if (r6 & bit) {...} else {...}: 2^n paths. When both
 * sides leave the same state (`rejoin`) pruning makes it linear; when they
 * add different amounts to r7, r7 takes O(n) values per point, but r7 is
 * never used in a check, so precision tracking leaves it imprecise and the
 * joins prune as in the rejoining case.
 */
function diamonds(n: number, rejoin: boolean): Program {
  const b = new ProgramBuilder().ldx(Size.DW, 6, 1, 0).mov64Imm(7, 0);
  for (let i = 0; i < n; i++) {
    b.mov64(3, 6).and64Imm(3, 1 << i % 30).jmpImm(JmpOp.JEQ, 3, 0, `e${i}`);
    b.add64Imm(7, 1).ja(`j${i}`).label(`e${i}`).add64Imm(7, rejoin ? 1 : 2).label(`j${i}`);
  }
  return programFromInsns(b.mov64(0, 7).exit().link());
}

export async function runVerifierBench(): Promise<void> {
  const dir = join(ROOT, "test/fixtures/bpf_conformance/tests");
  const suite = readdirSync(dir)
    .filter((f) => f.endsWith(".data"))
    .map((f) => {
      const d = parseConformanceData(readFileSync(join(dir, f), "utf8"));
      return { program: decodeProgram(d.raw ?? encodeProgram(assemble(d.asm ?? ""))), mem: d.mem.length };
    });
  const rows: string[][] = [];
  const measure = (name: string, progs: { program: Program; mem: number }[]) => {
    let best = Infinity;
    let processed = 0;
    let states = 0;
    let peak = 0;
    for (let i = 0; i <= RUNS; i++) {
      processed = 0;
      states = 0;
      peak = 0;
      const t0 = performance.now();
      for (const p of progs) {
        const v = verify(p.program, { progType: conformanceProgType(p.mem) });
        if (!v.accepted) throw new Error(`${name}: rejected: ${v.error?.message}`);
        processed += v.stats.processed;
        states += v.stats.totalStates;
        peak = Math.max(peak, v.stats.peakStates);
      }
      const dt = performance.now() - t0;
      if (i > 0) best = Math.min(best, dt);
    }
    const insns = progs.reduce((n, p) => n + p.program.insns.length, 0);
    rows.push([name, String(insns), String(processed), String(peak), String(states), best.toFixed(1)]);
  };
  measure(`conformance suite (${suite.length} programs)`, suite);
  measure("straight line, 8,000 insns", [{ program: straightLine(2000), mem: 0 }]);
  measure("3 nested loops x 10 trips", [{ program: nestedLoops(3, 10), mem: 0 }]);
  measure("500 rejoining branch diamonds (2^500 paths)", [{ program: diamonds(500, true), mem: 8 }]);
  measure("60 diverging branch diamonds (2^60 paths)", [{ program: diamonds(60, false), mem: 8 }]);
  measure("500 diverging branch diamonds (2^500 paths)", [{ program: diamonds(500, false), mem: 8 }]);
  // The worst case: a 5-instruction loop to 1M runs into the 1M processed-instruction limit.
  const loop = programFromInsns(new ProgramBuilder().mov64Imm(3, 0).add64Imm(3, 1).jmpImm(JmpOp.JLT, 3, 1_000_000, -2).mov64(0, 3).exit().link());
  const t0 = performance.now();
  const v = verify(loop, { progType: conformanceProgType(8) });
  const dt = performance.now() - t0;
  rows.push(["5-insn loop to 1M (rejected: too large)", "5", String(v.stats.processed), String(v.stats.peakStates), String(v.stats.totalStates), dt.toFixed(1)]);
  // The tracer's largest generic program (fexit, every value/hop/predicate step unrolled, kernel rendering, casts),
  // loaded through bpf(2) as a session loads it: 166k processed insns and 6.5 s before precision tracking.
  {
    const { bpf } = bootSyntheticKernel({ seed: 3 });
    const kbtf = parseBtf(bpf.btfBytes());
    const mk = (type: number, keySize: number, valueSize: number, maxEntries: number, name: string): number => bpf.mapCreate({ type, keySize, valueSize, maxEntries, name });
    const maps = { targets: mk(1, 8, ENTRY_SIZE, 2, "t"), scratch: mk(6, 4, BUF_SIZE, 1, "b"), stash: mk(1, 4, BUF_SIZE, 2048, "s"), events: mk(27, 0, 0, 16 * 4096, "e"), counters: mk(2, 4, 8, 3 * Counter.COUNT, "c") };
    const casts = ["sock", "sk_buff"].map((n) => kbtf.findByNameKind(n, BtfKind.STRUCT)!);
    const insns = generateProgram({ phase: "return", maps, castTargets: casts, renderKernel: true, pid: 7 });
    let best = Infinity;
    let stats = "";
    for (let i = 0; i <= RUNS; i++) {
      const t0 = performance.now();
      const r = bpf.progLoad({ progType: "tracing", insns: encodeProgram(insns), license: "GPL", name: "btfsnoop_exit", nargs: 12 });
      const dt = performance.now() - t0;
      if (typeof r === "number") throw new Error(`tracer program rejected: ${bpf.lastError}`);
      stats = r.log[r.log.length - 1]!;
      bpf.close(r.fd);
      if (i > 0) best = Math.min(best, dt);
    }
    const m = /^processed (\d+) insns .* total_states (\d+) peak_states (\d+)/.exec(stats)!;
    rows.push(["tracer's largest generic program (fexit, all steps)", String(insns.length), m[1]!, m[3]!, m[2]!, best.toFixed(1)]);
  }
  // A ksnoop-class loop over up to 6 arguments (clang -O2), fentry and raw_tp; Linux's figures for the raw_tp one.
  {
    const a = loadArgloop();
    for (const p of a.programs) {
      const program = programFromInsns(p.insns);
      const progType = tracingProgType(p.section.startsWith("raw_tp/") ? 12 : 6);
      let best = Infinity;
      let v = verify(program, { progType, mapByFd: (fd) => a.maps[fd] });
      for (let i = 0; i <= RUNS; i++) {
        const t0 = performance.now();
        v = verify(program, { progType, mapByFd: (fd) => a.maps[fd] });
        if (i > 0) best = Math.min(best, performance.now() - t0);
      }
      if (!v.accepted) throw new Error(`${p.name}: rejected: ${v.error?.message}`);
      const slots = String(program.slotOf.at(-1));
      rows.push([`ksnoop-class argument loop (${p.section.split("/")[0]})`, slots, String(v.stats.processed), String(v.stats.peakStates), String(v.stats.totalStates), best.toFixed(1)]);
    }
    const k = JSON.parse(readFileSync(join(ROOT, "test/fixtures/verifier-oracle/ksnoop/kernel.json"), "utf8")) as { kernel: string; slots: number; processed: number; peakStates: number; totalStates: number };
    rows.push([`  the same raw_tp program on ${k.kernel} (recorded)`, String(k.slots), String(k.processed), String(k.peakStates), String(k.totalStates), "-"]);
  }
  printTable(`verifier: best of ${RUNS} runs`, ["programs", "insns", "processed", "peak states", "states", "ms"], rows);
}
