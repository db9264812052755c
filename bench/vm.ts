// VM benchmark: million instructions per second of the interpreter on three
// CPU-bound programs (prime counting by trial division, an FNV-1a 64-bit hash
// loop, a sieve of Eratosthenes walking a 64 KiB buffer), each executing
// millions of instructions. The JIT (a later issue) is measured against these.
import { nullKernelEnv } from "../src/vm/env.js";
import { HelperTable } from "../src/vm/helpers/table.js";
import type { ProgramBuilder } from "../src/vm/isa/builder.js";
import { programFromInsns } from "../src/vm/isa/encode.js";
import { fnv, primes, sieve } from "../src/vm/samples.js";
import { Interpreter } from "../src/vm/interpreter.js";
import { AddressSpace, RegionKind, regionAddress } from "../src/vm/memory.js";
import { printTable } from "./table.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

/** The same hash computed with BigInt, to check the VM's answer. */
function fnvReference(n: number): bigint {
  let h = 0xcbf29ce484222325n;
  for (let i = 0n; i < BigInt(n); i++) h = BigInt.asUintN(64, (h ^ i) * 0x100000001b3n);
  return h;
}

export async function runVmBench(): Promise<void> {
  const mem = new AddressSpace();
  const vm = new Interpreter({ mem, env: nullKernelEnv(), helper: (id) => new HelperTable().impl(id) });
  const buf = mem.map(RegionKind.MEM, new Uint8Array(65536), { label: "sieve buffer" });
  const cases: { name: string; builder: ProgramBuilder; args: () => bigint[]; expect: bigint }[] = [
    { name: "primes below 20,000 (trial division)", builder: primes(), args: () => [20000n], expect: 2262n },
    { name: "FNV-1a 64 over 500,000 words", builder: fnv(), args: () => [500000n], expect: fnvReference(500000) },
    { name: "sieve over 64 KiB", builder: sieve(), args: () => (buf.bytes.fill(0), [regionAddress(buf), 65536n]), expect: 6542n },
  ];
  const rows: string[][] = [];
  for (const c of cases) {
    const lp = vm.load(programFromInsns(c.builder.link()), c.name);
    let best = Infinity;
    let executed = 0;
    let r0 = 0n;
    for (let i = 0; i <= RUNS; i++) {
      const args = c.args();
      const t0 = performance.now();
      const r = vm.run(lp, { args, budget: 1e9 });
      const dt = performance.now() - t0;
      if (r.fault) throw r.fault;
      executed = r.executed;
      r0 = r.r0;
      if (i > 0) best = Math.min(best, dt); // run 0 warms the JIT of the interpreter itself
    }
    if (r0 !== c.expect) throw new Error(`${c.name}: r0 = ${r0}, expected ${c.expect}`);
    rows.push([c.name, (executed / 1e6).toFixed(2), best.toFixed(1), (executed / best / 1e3).toFixed(1)]);
  }
  printTable(`vm: interpreter speed, best of ${RUNS} runs`, ["program", "M insns", "ms", "M insns/s"], rows);
}
