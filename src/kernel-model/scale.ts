// Scale mode: a kernel built from any BTF (e.g. the bundled vmlinux 6.18 with
// ~56k functions): every FUNC becomes a callable function at a kallsyms
// address, returning values synthesized from its return type, so attach and
// dispatch can be measured at kernel scale.
import type { Btf } from "../btf/btf.js";
import { BtfKind } from "../btf/kinds.js";
import { resolveType } from "../btf/layout.js";
import { Kernel } from "./kernel.js";
import type { CallFrame, KernelFunction } from "./functions.js";

/** Start of kernel text (_stext on x86-64 without KASLR). */
export const TEXT_BASE = 0xffffffff81000000n;
/** Bytes of text given to each function (addresses are 16-byte aligned, as with -falign-functions=16). */
const FUNC_STRIDE = 0x40n;
/** Rate at which functions returning int fail with an errno. */
const ERROR_RATE = 0.02;
const ERRNOS = [-11n, -12n, -22n, -2n, -1n, -5n];

export interface ScaleOptions {
  seed?: number;
  nrCpus?: number;
}

/** A kernel whose functions are every FUNC of `btf`, in BTF order. */
export function buildScaleKernel(btf: Btf, options: ScaleOptions = {}): Kernel {
  const k = new Kernel({ btf, seed: options.seed ?? 1, nrCpus: options.nrCpus ?? 4 });
  registerBtfFunctions(k, btf);
  return k;
}

/** Registers every FUNC of `btf` at consecutive kallsyms addresses with default bodies synthesized from the return type. */
export function registerBtfFunctions(k: Kernel, btf: Btf): void {
  let addr = TEXT_BASE;
  const seen = new Set<string>();
  for (let id = btf.startId; id < btf.typeCount; id++) {
    if (btf.kindOf(id) !== BtfKind.FUNC) continue;
    const fn = btf.typeById(id);
    if (fn.kind !== BtfKind.FUNC) continue;
    const proto = btf.typeById(fn.type);
    if (proto.kind !== BtfKind.FUNC_PROTO) continue;
    // BTF has one FUNC per name; a repeated name (possible in module BTF) becomes a static duplicate.
    const isStatic = fn.linkage === 0 || seen.has(fn.name);
    seen.add(fn.name);
    const ret = proto.returnType === 0 ? undefined : resolveType(btf, proto.returnType);
    const returnsInt = ret?.kind === BtfKind.INT && ret.size === 4 && (ret.encoding & 1) === 1;
    const returnsPtr = ret?.kind === BtfKind.PTR;
    const rng = k.rng;
    const impl = (c: CallFrame): bigint => {
      if (returnsInt) return rng.chance(ERROR_RATE) ? BigInt.asUintN(64, rng.pick(ERRNOS)) : 0n;
      if (returnsPtr) return c.args[0] ?? 0xffff888000000000n;
      return 0n;
    };
    k.functions.register({ name: fn.name, address: addr, btfId: id, nargs: proto.params.length, isStatic, errorInjectable: returnsInt, impl });
    addr += FUNC_STRIDE;
  }
}

/**
 * Calls `count` random functions with plausible arguments (kernel pointers,
 * small integers), stopping early once the clock reaches `untilNs`. Returns calls made.
 */
export function runRandomCalls(k: Kernel, count: number, untilNs?: bigint, fns: readonly KernelFunction[] = k.functions.all()): number {
  if (!fns.length) return 0;
  const rng = k.rng;
  const args: bigint[] = [];
  for (let i = 0; i < count; i++) {
    if (untilNs !== undefined && k.clock.now() >= untilNs) return i;
    const fn = fns[rng.u32() % fns.length]!;
    args.length = fn.nargs;
    for (let a = 0; a < fn.nargs; a++) args[a] = rng.chance(0.5) ? 0xffff888000000000n + BigInt(rng.u32() & ~7) : BigInt(rng.int(0, 4096));
    k.cpu = i % k.tasks.cpus.length;
    k.call(fn, args);
    k.clock.advance(100 + rng.int(0, 900));
  }
  return count;
}
