// Scale mode: a kernel built from any BTF (e.g. the bundled vmlinux 6.18 with
// ~56k functions): every FUNC becomes a callable function at a kallsyms
// address, returning values synthesized from its return type, so attach and
// dispatch can be measured at kernel scale. Its tasks (SCALE_TASKS) are real
// tasks of the model, and random calls pass arguments made by ScaleObjects
// (typed zero-filled objects, tasks, strings; scale-objects.ts).
import type { Btf } from "../btf/btf.js";
import { BtfKind } from "../btf/kinds.js";
import { resolveType } from "../btf/layout.js";
import { Kernel } from "./kernel.js";
import type { CallFrame, KernelFunction } from "./functions.js";
import { type ArgPlan, ScaleObjects } from "./scale-objects.js";

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

/**
 * The tasks a scale kernel starts with, in spawn order (pids 1..): [comm,
 * parent pid, kernel thread]. CPU n starts running the (n+1)-th user task.
 */
export const SCALE_TASKS: readonly (readonly [string, number, boolean])[] = [
  ["systemd", 0, false],
  ["kthreadd", 0, true],
  ["ksoftirqd/0", 2, true],
  ["kworker/0:1", 2, true],
  ["sshd", 1, false],
  ["bash", 5, false],
  ["curl", 6, false],
  ["nginx", 1, false],
  ["postgres", 1, false],
];

/** Per scale kernel: its argument objects and each function's argument plan. */
const scaleState = new WeakMap<Kernel, { objects: ScaleObjects; plans: Map<KernelFunction, ArgPlan[]>; byList: WeakMap<readonly KernelFunction[], ArgPlan[][]> }>();

/** The argument objects of a kernel made by buildScaleKernel (undefined for other kernels). */
export function scaleObjectsOf(k: Kernel): ScaleObjects | undefined {
  return scaleState.get(k)?.objects;
}

/** A kernel whose functions are every FUNC of `btf`, in BTF order, with SCALE_TASKS running. */
export function buildScaleKernel(btf: Btf, options: ScaleOptions = {}): Kernel {
  const k = new Kernel({ btf, seed: options.seed ?? 1, nrCpus: options.nrCpus ?? 4 });
  registerBtfFunctions(k, btf);
  for (const [comm, parent, kthread] of SCALE_TASKS) k.spawn(comm, parent, { kthread });
  const user = k.tasks.all().filter((t) => !t.kthread);
  k.tasks.cpus.forEach((c) => k.tasks.switchTo(c.id, user[c.id % user.length]!));
  const objects = new ScaleObjects(k);
  scaleState.set(k, { objects, plans: new Map(), byList: new WeakMap() });
  // Functions returning object, task or string pointers return one (NULL at the error rate), so fexit chains read too.
  const rng = k.rng;
  for (const fn of k.functions.all()) {
    const f = fn.btfId === undefined ? undefined : btf.typeById(fn.btfId);
    const proto = f?.kind === BtfKind.FUNC ? btf.typeById(f.type) : undefined;
    const plan = proto?.kind === BtfKind.FUNC_PROTO ? objects.returnPlan(proto.returnType) : undefined;
    if (plan) fn.impl = () => (rng.chance(ERROR_RATE) ? 0n : objects.value(plan));
  }
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

/** One call in SWITCH_EVERY (on average) switches its CPU to another task first. */
const SWITCH_EVERY = 16;

/**
 * Calls `count` random functions with arguments made from their BTF
 * parameter types (scale-objects.ts: objects, tasks, strings, small
 * integers), on the CPUs in turn, now and then switching a CPU to another
 * task; stops early once the clock reaches `untilNs`. Returns calls made.
 * On a kernel not made by buildScaleKernel every argument is a small integer.
 */
export function runRandomCalls(k: Kernel, count: number, untilNs?: bigint, fns: readonly KernelFunction[] = k.functions.all()): number {
  if (!fns.length) return 0;
  const rng = k.rng;
  const state = scaleState.get(k);
  const args: bigint[] = [];
  // Plans by index in `fns` (one array load per call instead of a map lookup), kept per list.
  let plans: ArgPlan[][] | undefined;
  if (state) {
    plans = state.byList.get(fns);
    if (!plans) state.byList.set(fns, (plans = []));
  }
  for (let i = 0; i < count; i++) {
    if (untilNs !== undefined && k.clock.now() >= untilNs) return i;
    const index = rng.u32() % fns.length;
    const fn = fns[index]!;
    k.cpu = i % k.tasks.cpus.length;
    if (rng.u32() % SWITCH_EVERY === 0) {
      const tasks = state ? state.objects.liveTasks() : k.tasks.all();
      const j = rng.u32() % (tasks.length + 1);
      k.tasks.switchTo(k.cpu, j < tasks.length ? tasks[j]! : k.tasks.idle[k.cpu]!);
    }
    args.length = fn.nargs;
    if (state) {
      let plan = plans![index];
      if (!plan) {
        plan = state.plans.get(fn);
        if (!plan) state.plans.set(fn, (plan = planOf(k, state.objects, fn)));
        plans![index] = plan;
      }
      for (let a = 0; a < fn.nargs; a++) args[a] = plan[a] ? state.objects.value(plan[a]!) : BigInt(rng.int(0, 4096));
    } else for (let a = 0; a < fn.nargs; a++) args[a] = BigInt(rng.int(0, 4096));
    k.call(fn, args);
    k.clock.advance(100 + rng.int(0, 900));
  }
  return count;
}

/** How `fn`'s arguments are made, from its FUNC's prototype (all scalars without BTF). */
function planOf(k: Kernel, objects: ScaleObjects, fn: KernelFunction): ArgPlan[] {
  if (fn.btfId === undefined) return [];
  const f = k.btf.typeById(fn.btfId);
  return f.kind === BtfKind.FUNC ? objects.planFor(f.type) : [];
}
