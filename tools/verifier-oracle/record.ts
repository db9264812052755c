// Records the verifier oracle (dev-only): builds the corpus, loads every
// program on this machine's Linux through the C loader (as root, raw_tp,
// privileged, log_level 1) and writes test/fixtures/verifier-oracle/results.json.
//   tools/verifier-oracle/build.sh && npx tsx tools/verifier-oracle/record.ts
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { release } from "node:os";
import { join } from "node:path";
import { encodeProgram } from "../../src/vm/isa/encode.js";
import { buildCorpus, type MapSpec } from "./corpus.js";

const ROOT = join(import.meta.dirname, "../..");
const LOADER = process.env.ORACLE_LOADER ?? "/tmp/verifier-oracle-load";
/** BPF_PROG_TYPE_RAW_TRACEPOINT. */
const RAW_TP = 17;

const mapArg = (maps: MapSpec[]) =>
  maps.length === 0 ? "-" : maps.map((m) => [m.type, m.key, m.value, m.max, m.flags ?? 0, m.freeze ? 1 : 0].join(":")).join(",");
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

const corpus = buildCorpus();
const input = corpus.map((p) => [p.name, RAW_TP, mapArg(p.maps), hex(encodeProgram(p.insns))].join("\t")).join("\n") + "\n";
const stdout = execFileSync(LOADER, { input, maxBuffer: 1 << 28 }).toString();
const kernel = new Map<string, Record<string, unknown>>();
for (const line of stdout.split("\n").filter(Boolean)) {
  const r = JSON.parse(line) as Record<string, unknown>;
  kernel.set(r.name as string, r);
}
const programs = corpus.map((p) => {
  const k = kernel.get(p.name);
  if (!k) throw new Error(`no kernel result for ${p.name}`);
  if (k.setupError) throw new Error(`${p.name}: ${String(k.setupError)}`);
  const { name: _n, ...verdict } = k;
  // A few kernel messages lack their newline: the summary line is glued on.
  const glued = /^(.*?)processed (\d+) insns \(limit \d+\) max_states_per_insn (\d+) total_states (\d+) peak_states (\d+)/.exec(String(verdict.message));
  // After "infinite loop detected at insn N" the kernel prints the two states it compared.
  const tail = verdict.logTail as string[];
  const loop = tail.findIndex((l) => l.startsWith("infinite loop detected"));
  if (loop >= 0) verdict.message = tail[loop];
  if (glued) {
    verdict.message = glued[1];
    verdict.processed = Number(glued[2]);
    verdict.maxStatesPerInsn = Number(glued[3]);
    verdict.totalStates = Number(glued[4]);
    verdict.peakStates = Number(glued[5]);
  }
  return { name: p.name, rule: p.rule, maps: p.maps, hex: hex(encodeProgram(p.insns)), kernel: verdict };
});
/** nr_cpu_ids: the possible CPUs ("0-1"), which bound get_smp_processor_id's result. */
const possible = readFileSync("/sys/devices/system/cpu/possible", "utf8").trim();
const nrCpus = Number(possible.split(/[-,]/).pop()) + 1;
const out = {
  kernel: `Linux ${release()}`,
  nrCpus,
  recorded: new Date().toISOString().slice(0, 10),
  progType: "BPF_PROG_TYPE_RAW_TRACEPOINT",
  privileged: true,
  logLevel: 1,
  programs,
};
writeFileSync(join(ROOT, "test/fixtures/verifier-oracle/results.json"), JSON.stringify(out, null, 1) + "\n");
const accepted = programs.filter((p) => p.kernel.accepted).length;
console.log(`${programs.length} programs: ${accepted} accepted, ${programs.length - accepted} rejected by ${out.kernel}`);
