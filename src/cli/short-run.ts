// V8's optimizing compiler held back while a command on the synthetic
// kernel starts up. Such a command is usually short (trace -c 1,
// count -d 100ms): the kernel's boot, the verifier and the first workload
// steps each run hot for a few milliseconds, long enough for V8 to spend
// background CPU optimizing them and too short for the optimized code to
// repay it (measured: trace ip_send_skb -c 1 used 0.51 s of CPU with the
// optimizer on from the start and 0.33 s with it held; count tcp_sendmsg
// -d 100ms 0.81 s and 0.6 s). A long run needs the optimizer (tcp_* -d 2s is
// three times slower without it), so it comes back once the process has used
// OPTIMIZER_BUDGET_MS of CPU (runs of a few seconds cost the same either
// way): checked by checkpoint() from polling loops that do not yield to the
// event loop and by a timer for those that do. This changes how fast code
// runs, never what it computes.
import { setFlagsFromString } from "node:v8";

/** CPU time (user + system, all threads, ms since the process started) after which the optimizer is back. */
export const OPTIMIZER_BUDGET_MS = 500;
/** How often the timer looks at the CPU time (ms). */
const CHECK_INTERVAL_MS = 20;

let budgetUs: number | undefined;
let timer: ReturnType<typeof setInterval> | undefined;

/**
 * Command groups (main.ts's commandGroup) that run on the synthetic kernel and are usually short. Measured
 * CPU, best of 7, optimizer on / held: iter task 0.27 / 0.20 s, info ip_send_skb 0.25 / 0.18, prog dump
 * ip_send_skb 0.44 / 0.31, run vfs_writes.synthetic.bpf.o -d 2ms 0.29 / 0.22, list 'tcp_*' 0.25 / 0.18.
 */
const SHORT_RUN_GROUPS: ReadonlySet<string> = new Set(["trace", "aggregate", "info", "iter", "prog", "run"]);

/**
 * Whether a command starts with the optimizer held: one of SHORT_RUN_GROUPS
 * without --btf (a real vmlinux's BTF is parsed in loops the optimizer pays
 * for: info ip_send_skb --btf vmlinux 0.21 s of CPU with it, 0.25 s held).
 */
export function shortRunCommand(group: string | undefined, argv: readonly string[]): boolean {
  if (group === undefined || !SHORT_RUN_GROUPS.has(group)) return false;
  const dashes = argv.indexOf("--");
  const options = dashes < 0 ? argv : argv.slice(0, dashes);
  return !options.some((a) => a === "--btf" || a.startsWith("--btf="));
}

/** Whether the optimizer is currently held back by holdOptimizer(). */
export function optimizerHeld(): boolean {
  return budgetUs !== undefined;
}

/**
 * Whether this V8 is one the --opt/--no-opt flags were measured on (node 20's V8 11): another V8 may
 * name them differently and print "unrecognized flag" on stderr, so there the optimizer is left alone.
 */
export const OPTIMIZER_FLAGS_KNOWN = /^11\./.test(process.versions.v8);

/** Turns V8's optimizing compiler off until the process has used `budgetMs` of CPU (no-op if already held, or on another V8). */
export function holdOptimizer(budgetMs: number = OPTIMIZER_BUDGET_MS): void {
  if (budgetUs !== undefined || !OPTIMIZER_FLAGS_KNOWN) return;
  budgetUs = budgetMs * 1000;
  setFlagsFromString("--no-opt");
  timer = setInterval(checkpoint, CHECK_INTERVAL_MS);
  timer.unref();
  checkpoint();
}

/** Gives the optimizer back if the CPU budget is spent; cheap enough to call once per poll. */
export function checkpoint(): void {
  if (budgetUs === undefined) return;
  const u = process.cpuUsage();
  if (u.user + u.system >= budgetUs) releaseOptimizer();
}

/** Turns V8's optimizing compiler back on now (no-op unless held). */
export function releaseOptimizer(): void {
  if (budgetUs === undefined) return;
  budgetUs = undefined;
  if (timer !== undefined) clearInterval(timer);
  timer = undefined;
  setFlagsFromString("--opt");
}
