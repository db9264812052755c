// VM benchmark: million instructions per second of the interpreter and of
// the JIT (src/vm/jit) on three CPU-bound programs (prime counting by trial
// division, an FNV-1a 64-bit hash loop, a sieve of Eratosthenes walking a
// 64 KiB buffer), each executing millions of instructions, and the JIT's
// speedup. Both must give the same r0 and executed count.
import { nullKernelEnv } from "../src/vm/env.js";
import { HelperTable } from "../src/vm/helpers/table.js";
import type { ProgramBuilder } from "../src/vm/isa/builder.js";
import { programFromInsns } from "../src/vm/isa/encode.js";
import { fnv, primes, sieve } from "../src/vm/samples.js";
import { Interpreter, type LoadedProgram } from "../src/vm/interpreter.js";
import { AddressSpace, RegionKind, regionAddress } from "../src/vm/memory.js";
import { printTable } from "./table.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

/** The same hash computed with BigInt, to check the VM's answer. */
function fnvReference(n: number): bigint {
  let h = 0xcbf29ce484222325n;
  for (let i = 0n; i < BigInt(n); i++) h = BigInt.asUintN(64, (h ^ i) * 0x100000001b3n);
  return h;
}

/** Best time of RUNS runs (after one warm-up run) of a case; checks r0. */
function measure(vm: Interpreter, lp: LoadedProgram, c: { name: string; args: () => bigint[]; expect: bigint }): { ms: number; executed: number } {
  let best = Infinity;
  let executed = 0;
  for (let i = 0; i <= RUNS; i++) {
    const args = c.args();
    const t0 = performance.now();
    const r = vm.run(lp, { args, budget: 1e9 });
    const dt = performance.now() - t0;
    if (r.fault) throw r.fault;
    if (r.r0 !== c.expect) throw new Error(`${c.name}: r0 = ${r.r0}, expected ${c.expect}`);
    executed = r.executed;
    if (i > 0) best = Math.min(best, dt); // run 0 warms up V8's JIT
  }
  return { ms: best, executed };
}

export async function runVmBench(): Promise<void> {
  const mem = new AddressSpace();
  const helper = (id: number) => new HelperTable().impl(id);
  const interp = new Interpreter({ mem, env: nullKernelEnv(), helper, jit: false });
  const jit = new Interpreter({ mem, env: nullKernelEnv(), helper, jit: true });
  const buf = mem.map(RegionKind.MEM, new Uint8Array(65536), { label: "sieve buffer" });
  const cases: { name: string; builder: ProgramBuilder; args: () => bigint[]; expect: bigint }[] = [
    { name: "primes below 20,000 (trial division)", builder: primes(), args: () => [20000n], expect: 2262n },
    { name: "FNV-1a 64 over 500,000 words", builder: fnv(), args: () => [500000n], expect: fnvReference(500000) },
    { name: "sieve over 64 KiB", builder: sieve(), args: () => (buf.bytes.fill(0), [regionAddress(buf), 65536n]), expect: 6542n },
  ];
  const rows: string[][] = [];
  for (const c of cases) {
    const program = programFromInsns(c.builder.link());
    const a = measure(interp, interp.load(program, c.name), c);
    const lp = jit.load(program, c.name);
    if (!lp.jitted) throw new Error(`${c.name}: not compiled: ${lp.jitError}`);
    const b = measure(jit, lp, c);
    if (a.executed !== b.executed) throw new Error(`${c.name}: executed ${a.executed} (interpreter) vs ${b.executed} (jit)`);
    const ia = a.executed / a.ms / 1e3;
    const ib = b.executed / b.ms / 1e3;
    rows.push([c.name, (a.executed / 1e6).toFixed(2), a.ms.toFixed(1), ia.toFixed(1), b.ms.toFixed(1), ib.toFixed(1), `${(ib / ia).toFixed(1)}x`]);
  }
  printTable(`vm: interpreter vs JIT speed, best of ${RUNS} runs`, ["program", "M insns", "interp ms", "interp M insns/s", "jit ms", "jit M insns/s", "speedup"], rows);
}
