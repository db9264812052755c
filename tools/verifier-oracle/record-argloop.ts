// Records Linux's verifier figures for the argloop benchmark's raw_tp program
// (dev-only): loads it through the oracle loader on this machine's kernel
// (root, privileged, log_level 1) and writes
// test/fixtures/verifier-oracle/ksnoop/kernel.json.
//   tools/verifier-oracle/build.sh && npx tsx tools/verifier-oracle/record-argloop.ts
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { release } from "node:os";
import { join } from "node:path";
import { encodeProgram } from "../../src/vm/isa/encode.js";
import { ARGLOOP_DIR, loadArgloop } from "../../test/fixtures/verifier-oracle/ksnoop/argloop.js";

const LOADER = process.env.ORACLE_LOADER ?? "/tmp/verifier-oracle-load";
/** BPF_PROG_TYPE_RAW_TRACEPOINT. */
const RAW_TP = 17;

const a = loadArgloop();
const prog = a.programs.find((p) => p.section.startsWith("raw_tp/"));
if (!prog) throw new Error("argloop.bpf.o has no raw_tp program");
const maps = a.maps.map((m) => [m.type, m.keySize, m.valueSize, m.maxEntries, m.flags, 0].join(":")).join(",");
const hex = Buffer.from(encodeProgram(prog.insns)).toString("hex");
const out = execFileSync(LOADER, { input: [prog.name, RAW_TP, maps, hex].join("\t") + "\n" }).toString();
const k = JSON.parse(out.trim()) as Record<string, unknown>;
if (k.setupError) throw new Error(String(k.setupError));
const record = {
  kernel: `Linux ${release()}`,
  recorded: new Date().toISOString().slice(0, 10),
  program: prog.name,
  section: prog.section,
  slots: encodeProgram(prog.insns).length / 8,
  accepted: k.accepted,
  message: k.message,
  processed: k.processed,
  totalStates: k.totalStates,
  peakStates: k.peakStates,
  maxStatesPerInsn: k.maxStatesPerInsn,
};
writeFileSync(join(ARGLOOP_DIR, "kernel.json"), JSON.stringify(record, null, 1) + "\n");
console.log(record);
