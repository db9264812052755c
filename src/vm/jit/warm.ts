// Warm-up of freshly compiled code for V8's tiering: each entry function is
// called a few times with a budget of 0 against a runtime of its own (no
// program instruction runs: the first block's charge fails and the
// interpreter fallback of that runtime refuses at once). This gives V8 a
// feedback vector for the function and type feedback for its prologue
// before the first real run. Without it, a program whose first run is one
// long loop has its prologue run once without feedback; V8 could then
// compile the function with a deoptimization at its start and leave every
// later run in slower code (measured: alu_xorshift ~1000 M insns/s in some
// processes instead of ~1900).
import { nullKernelEnv } from "../env.js";
import { MAX_CALL_FRAMES, STACK_SIZE } from "../limits.js";
import { AddressSpace, RegionKind } from "../memory.js";
import { JitRuntime, type JitFn, type JitHost } from "./runtime.js";

/**
 * V8 allocates a function's feedback vector once it has run 8 times its own
 * bytecode size (--interrupt-budget-factor-for-feedback-allocation); a warm
 * call runs only the prologue and the first charge, a few dozen bytes.
 */
const WARM_CALLS = 400;

class Refused extends Error {}

let warmRuntime: JitRuntime | undefined;

function runtime(): JitRuntime {
  if (warmRuntime) return warmRuntime;
  const mem = new AddressSpace();
  const frames = Array.from({ length: MAX_CALL_FRAMES }, (_, i) => mem.map(RegionKind.STACK, new Uint8Array(STACK_SIZE), { label: `stack frame ${i}` }));
  const host: JitHost = {
    mem,
    env: nullKernelEnv(),
    helper: () => undefined,
    mapAt: () => undefined,
    frames,
    // The fallback a warm call ends in: it returns (no exception per call) where a real host throws.
    execLimited(): never {
      return 0 as never;
    },
    execInterpreted(): void {
      throw new Refused();
    },
    compile(): never {
      throw new Refused();
    },
  };
  return (warmRuntime = new JitRuntime(host));
}

/** Calls `fn` at each of `entries` WARM_CALLS times with no budget (nothing runs; see the top comment). */
export function warm(fn: JitFn, entries: Iterable<number>): void {
  const rt = runtime();
  const f = rt.host.frames[0]!;
  const l10 = (f.lo + STACK_SIZE) | 0;
  const h10 = f.hi | 0;
  for (const e of entries) {
    for (let i = 0; i < WARM_CALLS; i++) {
      rt.b = 0;
      try {
        fn(rt, e, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, l10, h10);
      } catch (err) {
        if (!(err instanceof Refused)) throw err;
      }
    }
  }
}
