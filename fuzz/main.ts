// Fuzzing campaigns:
//
//   npm run fuzz -- verifier [--count N] [--seed S] [--start I] [--runs R]
//                            [--max-processed P] [--mutation-rate PERCENT] [--quiet]
//
// generates N programs (program i is seeded by (S, i), so any program can
// be regenerated with --seed S --start i --count 1), verifies each, runs the
// accepted ones on R random inputs and prints the counts, the most frequent
// rejection reasons, and every runtime escape (a fault in an accepted
// program) or verifier crash with its seed and disassembly. --quiet only
// drops the progress lines. Exits 1 when an escape or a crash was found.
//
//   npm run fuzz -- jit [--count N] [--seed S] [--start I] [--runs R] [--quiet]
//
// runs generated programs (verified, rejected, and randomly mutated ones)
// through the interpreter and the JIT and compares every run (fuzz/jit.ts).
// Exits 1 when they differ.
import { jitCampaignMain } from "./jit.js";
import { formatEscape, runCampaign, type Escape } from "./verifier.js";

interface Args {
  command: string | undefined;
  count: number;
  seed: number;
  start: number;
  runs: number;
  maxProcessed: number;
  mutationRate: number;
  quiet: boolean;
}

const USAGE =
  "usage: fuzz verifier [--count N] [--seed S] [--start I] [--runs R] [--max-processed P] [--mutation-rate PERCENT] [--quiet]\n       fuzz jit [--count N] [--seed S] [--start I] [--runs R] [--quiet]";

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    command: undefined,
    count: 10_000,
    seed: (Date.now() ^ (process.pid << 16)) >>> 0,
    start: 0,
    runs: 4,
    maxProcessed: 20_000,
    mutationRate: 5,
    quiet: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): number => {
      const v = argv[++i];
      const n = v === undefined ? NaN : Number(v);
      if (!Number.isInteger(n) || n < 0) throw new Error(`${a} needs a non-negative integer\n${USAGE}`);
      return n;
    };
    if (a === "--count") args.count = value();
    else if (a === "--seed") args.seed = value() >>> 0;
    else if (a === "--start") args.start = value();
    else if (a === "--runs") args.runs = value();
    else if (a === "--max-processed") args.maxProcessed = value();
    else if (a === "--mutation-rate") args.mutationRate = value();
    else if (a === "--quiet") args.quiet = true;
    else if (a === "--help" || a === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else if (!a.startsWith("-") && args.command === undefined) args.command = a;
    else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  return args;
}

function main(): number {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  if (args.command === "jit") return jitCampaignMain(args);
  if (args.command !== "verifier") {
    console.error(args.command === undefined ? USAGE : `unknown campaign "${args.command}"\n${USAGE}`);
    return 2;
  }
  console.log(
    `verifier campaign: seed ${args.seed}, programs ${args.start}..${args.start + args.count - 1}, ${args.runs} runs per accepted program, mutation rate ${args.mutationRate}%`,
  );
  const report = (e: Escape) => {
    console.log(`\n${formatEscape(e)}\n  reproduce: npm run fuzz -- verifier --seed ${args.seed} --start ${e.index ?? "?"} --count 1 --mutation-rate ${args.mutationRate}\n`);
  };
  let done = 0;
  const batch = 500;
  const totals = { generated: 0, accepted: 0, rejected: 0, runs: 0, escapes: 0, crashes: 0, acceptedMutated: 0, timeMs: 0 };
  const reasons = new Map<string, number>();
  while (done < args.count) {
    const n = Math.min(batch, args.count - done);
    const s = runCampaign({
      seed: args.seed,
      count: n,
      start: args.start + done,
      runsPerProgram: args.runs,
      maxProcessed: args.maxProcessed,
      gen: { mutationRate: args.mutationRate / 100 },
      onEscape: report,
    });
    totals.generated += s.generated;
    totals.accepted += s.accepted;
    totals.rejected += s.rejected;
    totals.runs += s.runs;
    totals.escapes += s.escapes.length;
    totals.crashes += s.crashes.length;
    totals.acceptedMutated += s.acceptedMutated;
    totals.timeMs += s.timeMs;
    for (const [k, v] of s.reasons) reasons.set(k, (reasons.get(k) ?? 0) + v);
    done += n;
    if (!args.quiet && args.count > batch) console.log(`  ... ${done}/${args.count}: ${totals.accepted} accepted, ${totals.rejected} rejected, ${totals.escapes} escapes, ${totals.crashes} crashes`);
  }
  const pct = (x: number) => (totals.generated ? ((100 * x) / totals.generated).toFixed(1) : "0.0");
  console.log("");
  console.log(`programs generated: ${totals.generated}`);
  console.log(`accepted:           ${totals.accepted} (${pct(totals.accepted)}%; ${totals.acceptedMutated} of them had a mutation)`);
  console.log(`rejected:           ${totals.rejected} (${pct(totals.rejected)}%)`);
  console.log(`runs:               ${totals.runs}`);
  console.log(`runtime escapes:    ${totals.escapes}`);
  console.log(`verifier crashes:   ${totals.crashes}`);
  console.log(`time:               ${(totals.timeMs / 1000).toFixed(1)} s`);
  console.log("top rejection reasons:");
  for (const [k, v] of [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${String(v).padStart(6)}  ${k}`);
  return totals.escapes || totals.crashes ? 1 : 0;
}

process.exitCode = main();
