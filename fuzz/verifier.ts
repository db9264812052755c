// Verifier soundness harness and campaign: a Harness builds a fresh VM
// (address space, real maps from createMap, helper table, interpreter) and
// gives the verifier exactly what the runtime has (maps by fd = map id, a
// ctx of nargs u64 for the tracing type, a memory region for the
// conformance type). runCampaign() generates programs (program-gen.ts),
// verifies each, and runs every accepted one on a few random inputs: any
// runtime fault of an accepted program is a soundness escape.
//
// Used by test/vm/verifier-*.test.ts (the harness) and fuzz/main.ts (the
// campaign).
import { nullKernelEnv, type KernelEnv } from "../src/vm/env.js";
import { FaultKind, VmFault } from "../src/vm/errors.js";
import type { HelperImpl } from "../src/vm/helpers/abi.js";
import { helperName } from "../src/vm/helpers/protos.js";
import { HelperTable, vmHelperTable } from "../src/vm/helpers/table.js";
import { disassemble } from "../src/vm/isa/disasm.js";
import type { Program } from "../src/vm/isa/instruction.js";
import { PseudoLd } from "../src/vm/isa/opcodes.js";
import { Interpreter, type LoadedProgram, type RunResult } from "../src/vm/interpreter.js";
import { ArrayMap, createMap, MapRegistry, RingbufMap, type BpfMap } from "../src/vm/maps/index.js";
import { AddressSpace, RegionKind, regionAddress, type Region } from "../src/vm/memory.js";
import type { VerifyOptions } from "../src/vm/verifier/context.js";
import { conformanceProgType, tracingProgType, type ProgType } from "../src/vm/verifier/prog-types.js";
import type { MapDesc } from "../src/vm/verifier/types.js";
import { verify, type VerifyResult } from "../src/vm/verifier/verifier.js";
import { generateProgram, Rng, type GeneratedProgram, type GenOptions } from "./program-gen.js";

/** BPF_F_RDONLY_PROG: the map's values are read-only for programs. */
export const BPF_F_RDONLY_PROG = 1 << 7;

/** A map to create; maps get ids (= the fds programs use) 1, 2, ... in this order. */
export interface MapSpec {
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags?: number;
}

/** The program type a harness runs: a tracing ctx of `nargs` u64, or conformance memory of `memSize` bytes. */
export type ProgKind = { readonly kind: "tracing"; readonly nargs: number } | { readonly kind: "conformance"; readonly memSize: number };

/**
 * Maps of the unit tests (fd = id):
 *  1 arr   array  key 4 value 16 max 4
 *  2 hash  hash   key 4 value 8  max 16
 *  3 rb    ringbuf 4096
 *  4 ro    array  key 4 value 8  max 1, BPF_F_RDONLY_PROG
 *  5 one   array  key 4 value 24 max 1 (direct value access)
 *  6 prog  prog_array key 4 value 4 max 2
 */
export const TEST_MAPS: readonly MapSpec[] = [
  { name: "arr", type: 2, keySize: 4, valueSize: 16, maxEntries: 4 },
  { name: "hash", type: 1, keySize: 4, valueSize: 8, maxEntries: 16 },
  { name: "rb", type: 27, keySize: 0, valueSize: 0, maxEntries: 4096 },
  { name: "ro", type: 2, keySize: 4, valueSize: 8, maxEntries: 1, flags: BPF_F_RDONLY_PROG },
  { name: "one", type: 2, keySize: 4, valueSize: 24, maxEntries: 1 },
  { name: "prog", type: 3, keySize: 4, valueSize: 4, maxEntries: 2 },
];

/**
 * Maps of the fuzzer (fd = id). Every value region is exactly one value of
 * a multiple of 8 bytes, so any access past a value leaves its region and
 * faults (regions are separated by unmapped guard pages).
 *  1 one   array key 4 value 24 max 1
 *  2 arr8  array key 4 value 8  max 1
 *  3 hash  hash  key 4 value 16 max 1
 *  4 rb    ringbuf 4096 (records are exact regions in strict mode)
 *  5 ro    array key 4 value 8 max 1, BPF_F_RDONLY_PROG
 */
export const FUZZ_MAPS: readonly MapSpec[] = [
  { name: "one", type: 2, keySize: 4, valueSize: 24, maxEntries: 1 },
  { name: "arr8", type: 2, keySize: 4, valueSize: 8, maxEntries: 1 },
  { name: "hash", type: 1, keySize: 4, valueSize: 16, maxEntries: 1 },
  { name: "rb", type: 27, keySize: 0, valueSize: 0, maxEntries: 4096 },
  { name: "ro", type: 2, keySize: 4, valueSize: 8, maxEntries: 1, flags: BPF_F_RDONLY_PROG },
];

export interface HarnessOptions {
  prog: ProgKind;
  maps?: readonly MapSpec[];
  env?: Partial<KernelEnv>;
  /**
   * Strict ring buffer: ringbuf_reserve maps a fresh region of exactly the
   * reserved size, submit/discard unmap it (so a write past the record or
   * a use after submit faults), releasing an unknown record is a helper
   * fault, and a run that ends with a record still reserved is reported.
   */
  strictRingbuf?: boolean;
}

export interface RunInput {
  /** Tracing: the ctx's u64 arguments (missing ones are 0). */
  args?: readonly bigint[];
  /** Conformance: the memory's initial bytes (zero-padded/truncated to memSize). */
  mem?: Uint8Array;
  budget?: number;
}

export interface RunOutcome extends RunResult {
  /** Strict ringbuf: records reserved and never submitted or discarded in this run. */
  leakedRecords: number;
  /** Conformance: the memory after the run. */
  memAfter?: Uint8Array;
}

/** A fresh VM with real maps, and the verifier options that describe it. */
export class Harness {
  readonly mem = new AddressSpace();
  readonly registry = new MapRegistry();
  readonly maps: BpfMap[] = [];
  readonly progType: ProgType;
  readonly vm: Interpreter;
  readonly helpers: HelperTable;
  readonly kind: ProgKind;
  private readonly records = new Map<bigint, Region>();

  constructor(options: HarnessOptions) {
    this.kind = options.prog;
    for (const spec of options.maps ?? TEST_MAPS) {
      const m = createMap(
        { type: spec.type, keySize: spec.keySize, valueSize: spec.valueSize, maxEntries: spec.maxEntries, flags: spec.flags ?? 0, name: spec.name },
        { mem: this.mem, nrCpus: 1, registry: this.registry },
      );
      if (typeof m === "number") throw new Error(`createMap ${spec.name}: ${m}`);
      this.maps.push(m);
    }
    if (this.kind.kind === "tracing") {
      this.progType = tracingProgType(this.kind.nargs);
      this.helpers = vmHelperTable();
      if (options.strictRingbuf) this.installStrictRingbuf();
    } else {
      this.progType = conformanceProgType(this.kind.memSize);
      this.helpers = new HelperTable({ 5: (_rt, r1) => r1 });
    }
    const env = nullKernelEnv(options.env);
    this.vm = new Interpreter({ mem: this.mem, env, helper: (id) => this.helpers.impl(id), mapAt: this.registry.mapAt });
  }

  /** The map with this name. */
  map<T extends BpfMap = BpfMap>(name: string): T {
    const m = this.maps.find((x) => x.name === name);
    if (!m) throw new Error(`no map ${name}`);
    return m as T;
  }

  /** The fd (= id) of the map with this name. */
  fd(name: string): number {
    return this.map(name).id;
  }

  /** VerifyOptions.mapByFd: the map object itself (it has every MapDesc field). */
  readonly mapByFd = (fd: number): MapDesc | undefined => this.registry.byId(fd);

  verifyOptions(extra: Partial<VerifyOptions> = {}): VerifyOptions {
    return { progType: this.progType, mapByFd: this.mapByFd, ...extra };
  }

  verify(program: Program, extra: Partial<VerifyOptions> = {}): VerifyResult {
    return verify(program, this.verifyOptions(extra));
  }

  /** Loads for the interpreter: lddw map fd → the map object's address; map value → the array's value 0 + off. */
  load(program: Program): LoadedProgram {
    return this.vm.load(program, "prog", (src, imm, imm2) => {
      const map = this.registry.byId(imm);
      if (!map) throw new Error(`lddw: no map with fd ${imm}`);
      if (src === PseudoLd.MAP_FD) return map.address;
      if (src === PseudoLd.MAP_VALUE) {
        if (!(map instanceof ArrayMap)) throw new Error(`lddw map_value: map ${imm} is not an array`);
        return map.progLookup(new Uint8Array(4), 0) + BigInt(imm2);
      }
      throw new Error(`unexpected lddw src ${src}`);
    });
  }

  /** Runs a loaded program once with a fresh ctx / memory region. */
  run(lp: LoadedProgram, input: RunInput = {}): RunOutcome {
    let region: Region | undefined;
    let out: RunResult;
    let memAfter: Uint8Array | undefined;
    const budget = input.budget ?? 1_000_000;
    if (this.kind.kind === "tracing") {
      const bytes = new Uint8Array(this.kind.nargs * 8);
      const view = new DataView(bytes.buffer);
      (input.args ?? []).forEach((a, i) => {
        if (i * 8 + 8 <= bytes.length) view.setBigUint64(i * 8, BigInt.asUintN(64, a), true);
      });
      region = this.mem.map(RegionKind.CTX, bytes, { writable: false, label: "ctx" });
      out = this.vm.run(lp, { ctx: region, budget });
    } else {
      const size = this.kind.memSize;
      const bytes = new Uint8Array(size);
      if (input.mem) bytes.set(input.mem.subarray(0, size));
      if (size > 0) region = this.mem.map(RegionKind.MEM, bytes, { label: "test memory" });
      out = this.vm.run(lp, { args: [region ? regionAddress(region) : 0n, BigInt(size)], budget });
      memAfter = bytes;
    }
    if (region) this.mem.unmap(region);
    const leakedRecords = this.records.size;
    for (const r of this.records.values()) this.mem.unmap(r);
    this.records.clear();
    return memAfter ? { ...out, leakedRecords, memAfter } : { ...out, leakedRecords };
  }

  /** Verifies, and when accepted loads and runs once. */
  verifyAndRun(program: Program, input: RunInput = {}, extra: Partial<VerifyOptions> = {}): { result: VerifyResult; run?: RunOutcome } {
    const result = this.verify(program, extra);
    if (!result.accepted) return { result };
    return { result, run: this.run(this.load(program), input) };
  }

  private installStrictRingbuf(): void {
    const reserve: HelperImpl = (rt, r1, r2, r3) => {
      if (!(rt.mapAt(r1) instanceof RingbufMap)) return 0n;
      const size = BigInt.asUintN(64, r2);
      if (BigInt.asUintN(64, r3) !== 0n || size > 4096n) return 0n;
      const region = this.mem.map(RegionKind.MEM, new Uint8Array(Number(size)), { label: `ringbuf record of ${size} bytes` });
      const addr = regionAddress(region);
      this.records.set(addr, region);
      return addr;
    };
    const release: HelperImpl = (rt, r1) => {
      const addr = BigInt.asUintN(64, r1);
      const region = this.records.get(addr);
      if (!region) throw new VmFault(FaultKind.HELPER, rt.pc, `ringbuf submit/discard of 0x${addr.toString(16)}, which is not a reserved record`);
      this.records.delete(addr);
      this.mem.unmap(region);
      return 0n;
    };
    this.helpers.register(131, reserve).register(132, release).register(133, release);
  }
}

/** The disassembly of a program, one numbered line per instruction. */
export function listing(program: Program): string {
  return disassemble(program, { helperName }).join("\n");
}

// ---------------------------------------------------------------------------
// Campaign

export interface Escape {
  /** Seed of the program (generateProgram(seed) rebuilds it). */
  seed: number;
  /** Index of the program in its campaign (set by runCampaign). */
  index?: number;
  kind: ProgKind;
  privileged: boolean;
  /** What went wrong at run time (or "verifier crash: ..."). */
  what: string;
  input: RunInput;
  mutations: readonly string[];
  listing: string;
}

export interface CampaignStats {
  generated: number;
  accepted: number;
  rejected: number;
  runs: number;
  escapes: Escape[];
  /** Verifier exceptions that are not VerifierErrors (crashes). */
  crashes: Escape[];
  /** Rejection reasons with the message's numbers blanked, by count. */
  reasons: Map<string, number>;
  /** Accepted programs the generator had mutated (a mutation is not always unsafe). */
  acceptedMutated: number;
  timeMs: number;
}

export interface CampaignOptions {
  seed: number;
  count: number;
  /** Runs per accepted program (random inputs). Default 4. */
  runsPerProgram?: number;
  /** Verifier budget per program. Default 20000. */
  maxProcessed?: number;
  /** Index of the first program (programs are seeded by (seed, index)). Default 0. */
  start?: number;
  /** Generator options (mutation rate, program size). */
  gen?: GenOptions;
  /** Called for each escape as it is found. */
  onEscape?: (e: Escape) => void;
}

/** The seed of program `index` of a campaign seeded with `seed`. */
export function programSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

const INTERESTING: readonly bigint[] = [
  0n, 1n, 2n, 3n, 4n, 5n, 7n, 8n, 9n, 15n, 16n, 17n, 23n, 24n, 25n, 31n, 32n, 63n, 64n, 255n, 256n, 4095n, 4096n,
  0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn,
  0xfffffffffffffff8n, 0xfffffffffffffff0n, 0xffffffff00000000n, 0x0000000100000008n,
];

function randomValue(rng: Rng): bigint {
  const r = rng.int(10);
  if (r < 6) return rng.pick(INTERESTING);
  if (r < 8) return BigInt(rng.int(64));
  return rng.u64();
}

/** Random inputs for one run of a program of `kind`. */
export function randomInput(rng: Rng, kind: ProgKind): RunInput {
  if (kind.kind === "tracing") return { args: Array.from({ length: kind.nargs }, () => randomValue(rng)) };
  const mem = new Uint8Array(kind.memSize);
  for (let i = 0; i < mem.length; i++) mem[i] = rng.chance(0.5) ? rng.int(256) : rng.int(40);
  return { mem };
}

/** Random map contents before a run: the hash has its one key (0 or 1) or is empty; arrays get random bytes. */
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

function normaliseReason(reason: string): string {
  return reason.replace(/-?\b\d+\b/g, "N").replace(/0x[0-9a-f]+/g, "N");
}

function describeInput(input: RunInput): string {
  if (input.args) return `ctx args [${input.args.map((a) => `0x${a.toString(16)}`).join(", ")}]`;
  if (input.mem) return `mem [${[...input.mem].map((b) => b.toString(16).padStart(2, "0")).join(" ")}]`;
  return "no input";
}

/** Verifies and runs one generated program; returns its escapes (empty when sound) and the verdict. */
export function checkGenerated(
  gen: GeneratedProgram,
  rng: Rng,
  runs: number,
  maxProcessed: number,
): { accepted: boolean; reason?: string; escapes: Escape[]; crash?: Escape; runs: number } {
  const h = new Harness({ prog: gen.kind, maps: FUZZ_MAPS, strictRingbuf: true });
  const base = { seed: gen.seed, kind: gen.kind, privileged: gen.privileged, mutations: gen.mutations };
  let result: VerifyResult;
  try {
    // Now and then with the full log, so the log formatting is exercised too.
    const logLevel = (gen.seed & 31) === 0 ? 2 : 0;
    result = h.verify(gen.program, { privileged: gen.privileged, maxProcessed, logLevel });
  } catch (e) {
    return {
      accepted: false,
      escapes: [],
      runs: 0,
      crash: { ...base, what: `verifier crash: ${(e as Error).stack ?? String(e)}`, input: {}, listing: listing(gen.program) },
    };
  }
  if (!result.accepted) return { accepted: false, reason: result.error!.reason, escapes: [], runs: 0 };
  const lp = h.load(gen.program);
  const escapes: Escape[] = [];
  for (let i = 0; i < runs; i++) {
    fillMaps(h, rng);
    const input = randomInput(rng, gen.kind);
    const out = h.run(lp, input);
    let what: string | undefined;
    if (out.fault) what = `${out.fault.kind} fault: ${out.fault.message}`;
    else if (out.leakedRecords > 0) what = `${out.leakedRecords} ringbuf record(s) reserved and never submitted or discarded`;
    if (what) {
      escapes.push({ ...base, what: `${what} (${describeInput(input)})`, input, listing: listing(gen.program) });
      break;
    }
  }
  return { accepted: true, escapes, runs };
}

/** Generates, verifies and runs `count` programs. */
export function runCampaign(options: CampaignOptions): CampaignStats {
  const t0 = performance.now();
  const stats: CampaignStats = {
    generated: 0,
    accepted: 0,
    rejected: 0,
    runs: 0,
    escapes: [],
    crashes: [],
    reasons: new Map(),
    acceptedMutated: 0,
    timeMs: 0,
  };
  const runs = options.runsPerProgram ?? 4;
  const maxProcessed = options.maxProcessed ?? 20_000;
  const start = options.start ?? 0;
  for (let i = start; i < start + options.count; i++) {
    const seed = programSeed(options.seed, i);
    const gen = generateProgram(seed, options.gen);
    stats.generated++;
    const r = checkGenerated(gen, new Rng(seed ^ 0x5bd1e995), runs, maxProcessed);
    if (r.crash) {
      r.crash.index = i;
      stats.rejected++;
      stats.crashes.push(r.crash);
      options.onEscape?.(r.crash);
      continue;
    }
    if (r.accepted) {
      stats.accepted++;
      if (gen.mutations.length) stats.acceptedMutated++;
    } else {
      stats.rejected++;
      const key = normaliseReason(r.reason!);
      stats.reasons.set(key, (stats.reasons.get(key) ?? 0) + 1);
    }
    stats.runs += r.runs;
    for (const e of r.escapes) {
      e.index = i;
      stats.escapes.push(e);
      options.onEscape?.(e);
    }
  }
  stats.timeMs = performance.now() - t0;
  return stats;
}

/** A human-readable report of one escape. */
export function formatEscape(e: Escape): string {
  const kind = e.kind.kind === "tracing" ? `tracing(nargs=${e.kind.nargs})` : `conformance(memSize=${e.kind.memSize})`;
  return [
    `escape: program ${e.index ?? "?"}, seed ${e.seed} (${kind}, ${e.privileged ? "privileged" : "unprivileged"}; mutations: ${e.mutations.join(", ") || "none"})`,
    `  ${e.what}`,
    ...e.listing.split("\n").map((l) => `    ${l}`),
  ].join("\n");
}
