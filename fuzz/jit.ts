// The JIT's differential campaign: generated programs (program-gen.ts), as
// generated and with random instruction mutations (so unverified programs
// with faults, wild jumps, odd opcodes and exhausted budgets are covered),
// each run on random inputs through two identical VMs — one with the
// reference interpreter loop (jit: false), one with the JIT — comparing r0,
// the executed count, the fault (kind, pc, message), stats, the memory, the
// map contents and leaked ring buffer records after every run.
//
// Used by test/vm/jit-differential.test.ts and `npm run fuzz -- jit`.
import { VmFault } from "../src/vm/errors.js";
import type { Instruction, Program } from "../src/vm/isa/instruction.js";
import { programFromInsns } from "../src/vm/isa/encode.js";
import { LDDW } from "../src/vm/isa/opcodes.js";
import type { LoadedProgram } from "../src/vm/interpreter.js";
import { BPF_F_RDONLY_PROG, FUZZ_MAPS, Harness, listing, programSeed, randomInput, type RunInput } from "./verifier.js";
import { generateProgram, Rng, type GeneratedProgram } from "./program-gen.js";

export interface JitMismatch {
  seed: number;
  index?: number;
  /** What differed, with both sides. */
  what: string;
  /** Whether the program was mutated after generation (and not verified). */
  raw: boolean;
  input: RunInput;
  listing: string;
}

export interface JitCheck {
  /** The verifier accepted the program (raw programs are not verified). */
  accepted: boolean;
  raw: boolean;
  runs: number;
  /** Runs that faulted (the same way in both VMs). */
  faults: number;
  /** Instructions executed over all runs (per VM). */
  executed: number;
  mismatch?: JitMismatch;
}

export interface JitCheckOptions {
  /** Runs per program. Default 4. */
  runs?: number;
  /** Probability that a program is mutated at random before it runs (unverified). Default 0.4. */
  rawRate?: number;
  /** Verify the programs that are not mutated (counts accepted ones). Default true. */
  verify?: boolean;
}

const OPCODES: readonly number[] = [
  // alu64 / alu32 (K and X), including the v4 sdiv/smod/movsx encodings (they use off)
  ...[0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0, 0xe0].flatMap((op) => [op | 0x07, op | 0x0f, op | 0x04, op | 0x0c]),
  // jumps
  ...[0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0].flatMap((op) => [op | 0x05, op | 0x0d, op | 0x06, op | 0x0e]),
  // loads and stores
  0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91, 0x62, 0x6a, 0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xdb, 0x20, 0x28, 0x30, 0x40,
];
const IMMS = [0, 1, -1, 2, 7, 8, 16, 31, 32, 63, 64, 0x7fffffff, -0x80000000, 0xe1, 0xf1, 0x01, 0x41, 0x51, 0xa1, 0x00, 0x40, 0x42];

/** A copy of `insns` with 1..3 random changes (opcode, a register, off, imm). */
function mutate(insns: readonly Instruction[], rng: Rng): Instruction[] {
  const out = insns.map((i) => ({ ...i }));
  const n = rng.range(1, 3);
  for (let k = 0; k < n && out.length > 0; k++) {
    const i = rng.int(out.length);
    const insn = out[i]!;
    if (insn.opcode === LDDW) continue; // keep map references resolvable
    switch (rng.int(5)) {
      case 0:
        insn.opcode = rng.pick(OPCODES);
        break;
      case 1:
        insn.dst = rng.int(11);
        break;
      case 2:
        insn.src = rng.int(11);
        break;
      case 3:
        insn.off = rng.chance(0.5) ? rng.range(-4, 4) : rng.pick([0, 1, 8, 16, 32, -8, -512, 512, -32768, 32767]);
        break;
      default:
        insn.imm = rng.chance(0.5) ? rng.range(-8, 8) : rng.pick(IMMS);
    }
  }
  return out;
}

function fillMaps(h: Harness, rng: Rng): void {
  for (const m of h.maps) {
    if (m.type === 1) {
      const key = new Uint8Array(4);
      for (let k = 0; k < 2; k++) {
        key[0] = k;
        m.delete(key);
      }
      if (rng.chance(0.7)) {
        key[0] = rng.int(2);
        const v = new Uint8Array(m.valueSize);
        for (let i = 0; i < v.length; i++) v[i] = rng.int(40);
        m.update(key, v, 0);
      }
    } else if (m.type === 2 && (m.flags & BPF_F_RDONLY_PROG) === 0) {
      const v = new Uint8Array(m.valueSize);
      for (let i = 0; i < v.length; i++) v[i] = rng.chance(0.5) ? rng.int(40) : rng.int(256);
      m.update(new Uint8Array(4), v, 0);
    }
  }
}

/** FNV-1a 32 of some bytes (compact enough to compare ring buffer areas). */
function digest(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return (h >>> 0).toString(16);
}

/** The maps' contents as text: values of keys 0 and 1, ring buffer data and positions. */
function mapSnapshot(h: Harness): string {
  const parts: string[] = [];
  for (const m of h.maps) {
    if (m.type === 27) {
      const rb = m as unknown as { data: { bytes: Uint8Array }; stats(): unknown };
      parts.push(`${m.name}: ${digest(rb.data.bytes)} ${JSON.stringify(rb.stats(), (_k, v) => (typeof v === "bigint" ? v.toString() : v))}`);
      continue;
    }
    for (let k = 0; k < 2; k++) {
      const v = m.lookup(Uint8Array.of(k, 0, 0, 0));
      parts.push(`${m.name}[${k}]: ${typeof v === "number" ? v : Buffer.from(v).toString("hex")}`);
    }
  }
  return parts.join("\n");
}

/** A VM for the campaign: fuzz maps, strict ring buffer, a deterministic prandom (reset before each run). */
function harness(gen: GeneratedProgram, jit: boolean): { h: Harness; reset: () => void } {
  const h = new Harness({ prog: gen.kind, maps: FUZZ_MAPS, strictRingbuf: true });
  h.vm.jit = jit;
  let state = 1;
  h.helpers.register(7, () => {
    state = Math.imul(state ^ (state << 13), 1) >>> 0;
    state ^= state >>> 17;
    state = (state ^ (state << 5)) >>> 0;
    return BigInt(state);
  });
  return { h, reset: () => (state = 0x2545f491) };
}

function outcome(h: Harness, lp: LoadedProgram | undefined, input: RunInput, loadError: string | undefined): { text: string; faulted: boolean; executed: number } {
  if (lp === undefined) return { text: `load error: ${loadError}`, faulted: false, executed: 0 };
  let text: string;
  let faulted = false;
  let executed = 0;
  try {
    const out = h.run(lp, input);
    faulted = out.fault !== undefined;
    executed = out.executed;
    text = [
      `r0 ${out.r0} executed ${out.executed} leaked ${out.leakedRecords}`,
      out.fault ? `fault ${out.fault.kind} at ${out.fault.pc} (${out.fault.errno}): ${out.fault.message}` : "no fault",
      out.memAfter ? `mem ${Buffer.from(out.memAfter).toString("hex")}` : "",
    ].join("\n");
  } catch (e) {
    text = `threw ${e instanceof VmFault ? "VmFault" : (e as Error).name}: ${(e as Error).message}`;
  }
  return { text: `${text}\nstats ${JSON.stringify(h.vm.stats)}\n${mapSnapshot(h)}`, faulted, executed };
}

/** Runs one generated program (maybe mutated) through the interpreter and the JIT and compares. */
export function checkJitProgram(seed: number, options: JitCheckOptions = {}): JitCheck {
  const gen = generateProgram(seed, { mutationRate: 0.05 });
  const rng = new Rng(seed ^ 0x1b873593);
  const raw = rng.chance(options.rawRate ?? 0.4);
  let program: Program = gen.program;
  if (raw) program = programFromInsns(mutate(gen.insns, rng));
  const ref = harness(gen, false);
  const jit = harness(gen, true);
  let accepted = false;
  if (!raw && options.verify !== false) {
    try {
      accepted = ref.h.verify(program, { privileged: gen.privileged, maxProcessed: 20_000 }).accepted;
    } catch {
      accepted = false;
    }
  }
  const load = (h: Harness): { lp?: LoadedProgram; error?: string } => {
    try {
      return { lp: h.load(program) };
    } catch (e) {
      return { error: (e as Error).message };
    }
  };
  const a = load(ref.h);
  const b = load(jit.h);
  const result: JitCheck = { accepted, raw, runs: 0, faults: 0, executed: 0 };
  if (b.lp && !b.lp.jitted) {
    result.mismatch = { seed, raw, what: `not compiled: ${b.lp.jitError}`, input: {}, listing: listing(program) };
    return result;
  }
  const runs = options.runs ?? 4;
  for (let i = 0; i < runs; i++) {
    const fillSeed = rng.next();
    fillMaps(ref.h, new Rng(fillSeed));
    fillMaps(jit.h, new Rng(fillSeed));
    const input = randomInput(rng, gen.kind);
    // Unverified programs may loop: a small budget; now and then one that cuts a run short.
    const budget = rng.chance(0.25) ? rng.int(60) : raw || !accepted ? 20_000 : 1_000_000;
    input.budget = budget;
    ref.reset();
    jit.reset();
    const x = outcome(ref.h, a.lp, input, a.error);
    const y = outcome(jit.h, b.lp, input, b.error);
    result.runs++;
    if (x.faulted) result.faults++;
    result.executed += x.executed;
    if (x.text !== y.text) {
      result.mismatch = { seed, raw, what: `interpreter:\n${x.text}\njit:\n${y.text}`, input, listing: listing(program) };
      break;
    }
  }
  return result;
}

export interface JitCampaignStats {
  programs: number;
  accepted: number;
  rejected: number;
  raw: number;
  runs: number;
  faults: number;
  executed: number;
  mismatches: JitMismatch[];
  timeMs: number;
}

export interface JitCampaignOptions extends JitCheckOptions {
  seed: number;
  count: number;
  start?: number;
  onMismatch?: (m: JitMismatch) => void;
}

/** Checks `count` programs (program i is seeded by programSeed(seed, i)). */
export function runJitCampaign(options: JitCampaignOptions): JitCampaignStats {
  const t0 = performance.now();
  const stats: JitCampaignStats = { programs: 0, accepted: 0, rejected: 0, raw: 0, runs: 0, faults: 0, executed: 0, mismatches: [], timeMs: 0 };
  const start = options.start ?? 0;
  for (let i = start; i < start + options.count; i++) {
    const r = checkJitProgram(programSeed(options.seed, i), options);
    stats.programs++;
    if (r.raw) stats.raw++;
    else if (r.accepted) stats.accepted++;
    else stats.rejected++;
    stats.runs += r.runs;
    stats.faults += r.faults;
    stats.executed += r.executed;
    if (r.mismatch) {
      r.mismatch.index = i;
      stats.mismatches.push(r.mismatch);
      options.onMismatch?.(r.mismatch);
    }
  }
  stats.timeMs = performance.now() - t0;
  return stats;
}

/** A human-readable report of one mismatch. */
export function formatMismatch(m: JitMismatch): string {
  return [
    `jit mismatch: program ${m.index ?? "?"}, seed ${m.seed}${m.raw ? " (mutated, unverified)" : ""}`,
    ...m.what.split("\n").map((l) => `  ${l}`),
    ...m.listing.split("\n").map((l) => `    ${l}`),
  ].join("\n");
}

/** `npm run fuzz -- jit`: checks programs in batches, prints progress, counts and every mismatch; 1 if any. */
export function jitCampaignMain(args: { seed: number; count: number; start: number; runs: number; quiet: boolean }): number {
  console.log(`jit campaign: seed ${args.seed}, programs ${args.start}..${args.start + args.count - 1}, ${args.runs} runs per program`);
  const totals: JitCampaignStats = { programs: 0, accepted: 0, rejected: 0, raw: 0, runs: 0, faults: 0, executed: 0, mismatches: [], timeMs: 0 };
  const batch = 500;
  for (let done = 0; done < args.count; ) {
    const n = Math.min(batch, args.count - done);
    const s = runJitCampaign({
      seed: args.seed,
      start: args.start + done,
      count: n,
      runs: args.runs,
      onMismatch: (m) => console.log(`\n${formatMismatch(m)}\n  reproduce: npm run fuzz -- jit --seed ${args.seed} --start ${m.index ?? "?"} --count 1\n`),
    });
    for (const k of ["programs", "accepted", "rejected", "raw", "runs", "faults", "executed", "timeMs"] as const) totals[k] += s[k];
    totals.mismatches.push(...s.mismatches);
    done += n;
    if (!args.quiet && args.count > batch) console.log(`  ... ${done}/${args.count}: ${totals.mismatches.length} mismatches`);
  }
  console.log("");
  console.log(`programs:            ${totals.programs}`);
  console.log(`  verified, accepted: ${totals.accepted}`);
  console.log(`  verified, rejected: ${totals.rejected} (run unverified)`);
  console.log(`  mutated:            ${totals.raw} (run unverified)`);
  console.log(`runs:                ${totals.runs} (${totals.faults} faulted, identically)`);
  console.log(`instructions:        ${totals.executed} per VM`);
  console.log(`mismatches:          ${totals.mismatches.length}`);
  console.log(`time:                ${(totals.timeMs / 1000).toFixed(1)} s`);
  return totals.mismatches.length ? 1 : 0;
}
