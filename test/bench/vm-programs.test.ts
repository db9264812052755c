// The VM benchmark's programs (bench/programs/*.bpf.o, bench/vm-programs.ts)
// are correct and the engines agree on them: each committed object loads
// through btfsnoop's loader, runs with small iteration counts in the
// interpreter and in the JIT, and returns exactly the r0 of the TypeScript
// model, with the same executed count in both engines. A few answers are
// also checked against facts computed independently of the models.
import { crc32 } from "node:zlib";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { BENCH_BUF, BENCH_PROGRAMS, benchInput, inputBuffer, loadBenchProgram, type BenchProgram } from "../../bench/vm-programs.js";
import { nullKernelEnv } from "../../src/vm/env.js";
import { coreHelperTable } from "../../src/vm/helpers/table.js";
import { Interpreter, type LoadedProgram } from "../../src/vm/interpreter.js";
import { AddressSpace, RegionKind } from "../../src/vm/memory.js";

const ROOT = resolve(__dirname, "../..");

function engines() {
  const mem = new AddressSpace();
  const helpers = coreHelperTable();
  const make = (jit: boolean) => new Interpreter({ mem, env: nullKernelEnv(), helper: (id) => helpers.impl(id), jit });
  return { mem, interp: make(false), jit: make(true) };
}

/** Runs `lp` on a fresh input; r0 (u64) and the executed count. */
function runOn(vm: Interpreter, mem: AddressSpace, lp: LoadedProgram, input: Uint8Array): { r0: bigint; executed: number } {
  const region = mem.map(RegionKind.MEM, input.slice(), { label: "bench_in" });
  const ok = vm.runCtx(lp, region, 50_000_000);
  if (!ok) throw new Error(`${lp.name}: ${vm.lastFault?.message}`);
  return { r0: (BigInt(vm.r0hi >>> 0) << 32n) | BigInt(vm.r0lo >>> 0), executed: vm.lastExecuted };
}

const byName = (name: string): BenchProgram => BENCH_PROGRAMS.find((p) => p.name === name)!;

describe("VM benchmark programs", () => {
  it("are ten, two per class", () => {
    const classes = new Map<string, string[]>();
    for (const p of BENCH_PROGRAMS) classes.set(p.cls, [...(classes.get(p.cls) ?? []), p.name]);
    expect(Object.fromEntries(classes)).toEqual({
      ALU: ["alu_xorshift", "alu_crc32"],
      memory: ["mem_sort", "mem_checksum"],
      branches: ["br_collatz", "br_state"],
      calls: ["call_chain", "call_helper"],
      "div/mod": ["div_gcd", "div_digits"],
    });
  });

  describe.each(BENCH_PROGRAMS.map((p) => [p.name, p] as const))("%s", (_name, p) => {
    it("gives the model's r0 in both engines, with the same executed count", () => {
      const { mem, interp, jit } = engines();
      const { program, bytecode } = loadBenchProgram(ROOT, p);
      expect(bytecode.length).toBe(program.slotOf[program.insns.length]! * 8);
      const a = interp.load(program, p.name);
      const b = jit.load(program, p.name);
      expect(b.jitError).toBeUndefined();
      expect(b.jitted).toBeDefined();
      let previous = -1;
      for (const n of [0, 1, 2, 7, 33]) {
        const input = benchInput(p, n);
        const want = p.model(n, p.seed, p.arg);
        const ri = runOn(interp, mem, a, input);
        const rj = runOn(jit, mem, b, input);
        expect(ri.r0).toBe(want);
        expect(rj.r0).toBe(want);
        expect(rj.executed).toBe(ri.executed);
        expect(ri.executed).toBeGreaterThan(previous); // more iterations, more instructions: n is really the scale
        previous = ri.executed;
      }
    });
  });

  it("alu_crc32 is the CRC-32 of its byte stream (zlib's crc32)", () => {
    const { mem, interp } = engines();
    const p = byName("alu_crc32");
    const lp = interp.load(loadBenchProgram(ROOT, p).program, p.name);
    const n = 1000;
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 131 + 7) & 0xff);
    expect(runOn(interp, mem, lp, benchInput(p, n)).r0).toBe(BigInt(crc32(bytes)));
  });

  it("br_collatz counts 111 steps for 27 and 0 for 1", () => {
    const { mem, interp } = engines();
    const p = byName("br_collatz");
    const lp = interp.load(loadBenchProgram(ROOT, p).program, p.name);
    expect(runOn(interp, mem, lp, benchInput({ seed: 27n, arg: 0n }, 1)).r0).toBe(111n);
    // 1, 2, 3: 0 + 1 + 7 steps.
    expect(runOn(interp, mem, lp, benchInput({ seed: 1n, arg: 0n }, 3)).r0).toBe(8n);
  });

  it("div_digits sums digits in the input's base; a base below 2 returns 0", () => {
    const { mem, interp } = engines();
    const p = byName("div_digits");
    const lp = interp.load(loadBenchProgram(ROOT, p).program, p.name);
    // seed 1: the first xorshift64 value is 1 ^ 1<<13 = 8193, then ^= >>7 (64) = 8257, then ^= <<17 = 8257 + 8257*131072.
    const x = 8257n ^ (8257n << 17n);
    const digits = (v: bigint, base: bigint) => [...v.toString(Number(base))].reduce((s, d) => s + BigInt(parseInt(d, Number(base))), 0n);
    expect(runOn(interp, mem, lp, benchInput({ seed: 1n, arg: 10n }, 1)).r0).toBe(digits(x, 10n));
    expect(runOn(interp, mem, lp, benchInput({ seed: 1n, arg: 16n }, 1)).r0).toBe(digits(x, 16n));
    expect(runOn(interp, mem, lp, benchInput({ seed: 1n, arg: 1n }, 5)).r0).toBe(0n);
  });

  it("mem_checksum reads the input buffer (a Fletcher sum over buf)", () => {
    const { mem, interp } = engines();
    const p = byName("mem_checksum");
    const lp = interp.load(loadBenchProgram(ROOT, p).program, p.name);
    const buf = inputBuffer();
    let a = 0;
    let b = 0;
    for (let i = 0; i < BENCH_BUF; i++) {
      a = (a + buf[i]!) >>> 0;
      b = (b + a) >>> 0;
    }
    expect(runOn(interp, mem, lp, benchInput({ seed: 0n, arg: 0n }, 1)).r0).toBe((BigInt(b) << 32n) | BigInt(a));
    // Another buffer gives another sum: the program reads memory, not a constant.
    const other = benchInput({ seed: 0n, arg: 0n }, 1);
    other[32] = other[32]! ^ 0xff;
    expect(runOn(interp, mem, lp, other).r0).not.toBe((BigInt(b) << 32n) | BigInt(a));
  });
});
