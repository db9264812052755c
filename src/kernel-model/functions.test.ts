// FunctionTable.call's bookkeeping: the u64 return value, the errno count at
// MAX_ERRNO's edges, the call and body stacks at each phase of nested calls,
// and that a throwing body leaves no call in progress; hook images (a call
// runs the hooks it entered with; replacements keep their place) and the
// body time asked once per function.
import { describe, expect, it } from "vitest";
import { callSite, FunctionTable, type KernelFunction } from "./functions.js";

function fn(name: string, address: bigint, impl: KernelFunction["impl"], extra: Partial<KernelFunction> = {}): KernelFunction {
  return { name, address, btfId: undefined, nargs: 2, isStatic: false, errorInjectable: false, impl, ...extra };
}

describe("FunctionTable.call", () => {
  it("returns a u64: negative results wrap, wider ones keep their low 64 bits, u64 values are unchanged", () => {
    const t = new FunctionTable();
    let next = 0n;
    const f = t.register(fn("f", 0xffffffff81000000n, () => next));
    const cases: [bigint, bigint][] = [
      [0n, 0n],
      [7n, 7n],
      [-14n, 0xfffffffffffffff2n],
      [-(1n << 63n), 1n << 63n],
      [0xffff888000100000n, 0xffff888000100000n],
      [0xffffffffffffffffn, 0xffffffffffffffffn],
      [(1n << 64n) + 5n, 5n],
      [(1n << 70n) + 0xffff888000000000n, 0xffff888000000000n],
      [-(1n << 64n) - 3n, 0xfffffffffffffffdn],
    ];
    const seen: bigint[] = [];
    t.onCall = (_c, ret) => void seen.push(ret);
    for (const [value, want] of cases) {
      next = value;
      expect(t.call(f, [], 0, 1)).toBe(want);
    }
    expect(seen).toEqual(cases.map(([, want]) => want));
  });

  it("counts -4095..-1 as errors, not -4096, 0 or kernel pointers", () => {
    const t = new FunctionTable();
    let next = 0n;
    const f = t.register(fn("f", 0xffffffff81000000n, () => next));
    const values = [-1n, -4095n, 0xfffffffffffff001n, -4096n, 0xfffffffffffff000n, 0n, 1n, 0xffff888000100000n, 1n << 63n, (1n << 64n) - 2n];
    for (const v of values) {
      next = v;
      t.call(f, [], 0, 1);
    }
    // -1, -4095, 0xfffffffffffff001 and 2^64 - 2 (-2) are errnos.
    expect(t.countsOf(f)).toEqual({ calls: values.length, errors: 4 });
  });

  it("the fexit hook and onCall see the wrapped return value", () => {
    const t = new FunctionTable();
    const f = t.register(fn("f", 0xffffffff81000000n, () => -12n));
    const seen: string[] = [];
    t.attach(f, { exit: (_c, ret) => void seen.push(`exit ${ret.toString(16)}`) });
    t.onCall = (c, ret) => void seen.push(`onCall ${c.fn.name} ${ret.toString(16)}`);
    expect(t.call(f, [], 0, 1)).toBe(0xfffffffffffffff4n);
    expect(seen).toEqual(["exit fffffffffffffff4", "onCall f fffffffffffffff4"]);
  });

  it("calls and stack at each phase: hooks see their function on calls but not on stack", () => {
    const t = new FunctionTable();
    const names = (fs: KernelFunction[]) => fs.map((f) => f.name).join(",");
    const log: string[] = [];
    const snap = (where: string) => log.push(`${where}: calls=${names(t.calls)} stack=${names(t.stack)} ra=${t.returnAddress().toString(16)}`);
    const inner = t.register(fn("inner", 0xffffffff81000040n, () => (snap("inner body"), 0n)));
    const outer = t.register(fn("outer", 0xffffffff81000000n, () => (snap("outer body"), t.call(inner, [], 0, 1))));
    t.attach(inner, { entry: () => snap("inner entry"), exit: () => snap("inner exit") });
    t.attach(outer, { entry: () => snap("outer entry") });
    t.call(outer, [], 0, 1);
    snap("after");
    const ra = callSite(outer, inner).toString(16);
    expect(log).toEqual([
      "outer entry: calls=outer stack= ra=0",
      "outer body: calls=outer stack=outer ra=0",
      `inner entry: calls=outer,inner stack=outer ra=${ra}`,
      `inner body: calls=outer,inner stack=outer,inner ra=${ra}`,
      `inner exit: calls=outer,inner stack=outer ra=${ra}`,
      "after: calls= stack= ra=0",
    ]);
  });

  it("kernelStack lists the innermost function's address, then each caller's return address", () => {
    const t = new FunctionTable();
    let stack: bigint[] = [];
    const c = t.register(fn("c", 0xffffffff81000080n, () => ((stack = t.kernelStack()), 0n)));
    const b = t.register(fn("b", 0xffffffff81000040n, () => t.call(c, [], 0, 1)));
    const a = t.register(fn("a", 0xffffffff81000000n, () => t.call(b, [], 0, 1)));
    t.call(a, [], 0, 1);
    expect(stack).toEqual([c.address, callSite(b, c), callSite(a, b)]);
    expect(t.kernelStack()).toEqual([]);
  });

  it("a body that throws leaves no call in progress, and the next call starts at depth 0", () => {
    const t = new FunctionTable();
    const bad = t.register(fn("bad", 0xffffffff81000040n, () => {
      throw new Error("boom");
    }));
    const outer = t.register(fn("outer", 0xffffffff81000000n, () => t.call(bad, [], 0, 1)));
    expect(() => t.call(outer, [], 0, 1)).toThrow("boom");
    expect(t.calls).toEqual([]);
    expect(t.stack).toEqual([]);
    let depth = -1;
    const ok = t.register(fn("ok", 0xffffffff81000080n, () => ((depth = t.calls.length), 0n)));
    t.call(ok, [], 0, 1);
    expect(depth).toBe(1);
    expect(t.countsOf(bad)).toEqual({ calls: 1, errors: 0 });
  });

  it("keeps stacks deeper than its first slot array (recursion 200 deep)", () => {
    const t = new FunctionTable();
    let deepest: bigint[] = [];
    let n = 0;
    const r: KernelFunction = t.register(fn("r", 0xffffffff81000000n, () => (++n < 200 ? t.call(r, [], 0, 1) : ((deepest = t.kernelStack()), 0n))));
    t.call(r, [], 0, 1);
    expect(deepest.length).toBe(200);
    expect(deepest[0]).toBe(r.address);
    expect(new Set(deepest.slice(1))).toEqual(new Set([callSite(r, r)]));
    expect(t.calls.length).toBe(0);
  });

  it("gives each call a frame of its own: a frame kept by a hook keeps its values", () => {
    const t = new FunctionTable();
    const f = t.register(fn("f", 0xffffffff81000000n, (c) => c.args[0]!));
    const frames: { seq: number; a0: bigint; pid: number }[] = [];
    const kept: Parameters<NonNullable<typeof t.onCall>>[0][] = [];
    t.attach(f, { entry: (c) => void kept.push(c) });
    t.call(f, [1n], 0, 10);
    t.call(f, [2n], 1, 11);
    for (const c of kept) frames.push({ seq: c.seq, a0: c.args[0]!, pid: c.pid });
    expect(frames).toEqual([
      { seq: 1, a0: 1n, pid: 10 },
      { seq: 2, a0: 2n, pid: 11 },
    ]);
  });

  it("hooks that keep no frame may share one per depth: nested calls do not disturb the outer frame", () => {
    const t = new FunctionTable();
    const log: string[] = [];
    const show = (where: string, c: { fn: KernelFunction; args: readonly bigint[]; seq: number; pid: number }) => log.push(`${where} ${c.fn.name}(${c.args.join(",")}) seq ${c.seq} pid ${c.pid}`);
    const inner = t.register(fn("inner", 0xffffffff81000040n, () => 0n));
    const outer = t.register(fn("outer", 0xffffffff81000000n, (c) => t.call(inner, [c.args[0]! + 1n], 0, 7)));
    for (const f of [inner, outer]) t.attach(f, { entry: (c) => void show("entry", c), exit: (c) => void show("exit", c), keepsFrame: false });
    t.call(outer, [10n, 20n], 0, 5);
    t.call(outer, [30n, 40n], 1, 6);
    expect(log).toEqual([
      "entry outer(10,20) seq 1 pid 5",
      "entry inner(11) seq 2 pid 7",
      "exit inner(11) seq 2 pid 7",
      "exit outer(10,20) seq 1 pid 5",
      "entry outer(30,40) seq 3 pid 6",
      "entry inner(31) seq 4 pid 7",
      "exit inner(31) seq 4 pid 7",
      "exit outer(30,40) seq 3 pid 6",
    ]);
  });

  it("a call gets a frame of its own when any hook may keep it, or onCall watches", () => {
    for (const second of [{}, undefined]) {
      const t = new FunctionTable();
      const f = t.register(fn("f", 0xffffffff81000000n, () => 0n));
      const kept: { seq: number; args: readonly bigint[] }[] = [];
      t.attach(f, { entry: () => undefined, keepsFrame: false });
      if (second) t.attach(f, { entry: (c) => void kept.push(c) });
      else {
        t.attach(f, { entry: () => undefined, keepsFrame: false });
        t.onCall = (c) => void kept.push(c);
      }
      t.call(f, [1n], 0, 1);
      t.call(f, [2n], 0, 1);
      expect(kept.map((c) => [c.seq, c.args[0]])).toEqual([
        [1, 1n],
        [2, 2n],
      ]);
    }
  });

  it("a call in progress runs the hooks it entered with: hooks attached or detached meanwhile count from the next call", () => {
    const t = new FunctionTable();
    const log: string[] = [];
    let during: (() => void) | undefined;
    const f = t.register(
      fn("f", 0xffffffff81000000n, () => {
        during?.();
        during = undefined;
        return 0n;
      }),
    );
    const a = { exit: () => void log.push("a.exit") };
    const b = { entry: () => void log.push("b.entry"), exit: () => void log.push("b.exit") };
    const offA = t.attach(f, a);
    let offB: (() => void) | undefined;
    // Call 1: b attached inside the body; a detached too. Call 1 still runs a's exit and not b's.
    during = () => {
      offB = t.attach(f, b);
      offA();
    };
    t.call(f, [], 0, 1);
    log.push("|");
    // Call 2: b only; detaching b in the body still runs its exit for this call.
    during = () => offB!();
    t.call(f, [], 0, 1);
    log.push("|");
    t.call(f, [], 0, 1);
    expect(log).toEqual(["a.exit", "|", "b.entry", "b.exit", "|"]);
    expect(t.hookCount(f)).toBe(0);
  });

  it("replaceBatch swaps a hook in its place in one update; removes and adds in the same update", () => {
    const t = new FunctionTable();
    const f = t.register(fn("f", 0xffffffff81000000n, () => 0n));
    const g = t.register(fn("g", 0xffffffff81000040n, () => 0n));
    const log: string[] = [];
    const h = (name: string) => ({ entry: () => void log.push(name) });
    const [x, y, z, w] = [h("x"), h("y"), h("z"), h("w")];
    t.attachBatch([
      [f, x],
      [f, y],
      [g, w],
    ]);
    const before = t.updates;
    t.replaceBatch([
      { fn: f, remove: x, add: z },
      { fn: g, remove: w },
      { fn: g, add: x },
    ]);
    expect(t.updates).toBe(before + 1);
    t.call(f, [], 0, 1);
    t.call(g, [], 0, 1);
    expect(log).toEqual(["z", "y", "x"]);
    expect([t.hookCount(f), t.hookCount(g)]).toEqual([2, 1]);
  });

  it("bodyTime: the cost is asked once per function, the time spent on every call whose body runs", () => {
    const t = new FunctionTable();
    const f = t.register(fn("f", 0xffffffff81000000n, () => 0n));
    const g = t.register(fn("g", 0xffffffff81000040n, () => t.call(f, [], 0, 1), { errorInjectable: true }));
    const asked: string[] = [];
    let spent = 0n;
    t.bodyTime = {
      cost: (x) => (asked.push(x.name), x.name === "f" ? 40n : 300n),
      spend: (ns) => void (spent += ns),
    };
    for (let i = 0; i < 3; i++) t.call(g, [], 0, 1);
    expect(asked).toEqual(["g", "f"]);
    expect(spent).toBe(3n * 340n);
    // A hooked call spends it too; one whose return value a hook replaces runs no body and spends nothing.
    let replace: bigint | undefined;
    t.attach(g, { modifyReturn: () => replace });
    t.call(g, [], 0, 1);
    expect(spent).toBe(4n * 340n);
    replace = 5n;
    expect(t.call(g, [], 0, 1)).toBe(5n);
    expect(spent).toBe(4n * 340n);
    expect(asked).toEqual(["g", "f"]);
  });

  it("modifyReturn hooks replace the result of error-injection targets only; elsewhere they are not called and the body runs", () => {
    const t = new FunctionTable();
    let bodies = 0;
    const inj = t.register(fn("inj", 0xffffffff81000000n, () => (bodies++, 1n), { errorInjectable: true }));
    const plain = t.register(fn("plain", 0xffffffff81000040n, () => (bodies++, 2n)));
    let asked = 0;
    const hook = { modifyReturn: () => (asked++, -12n) };
    t.attachBatch([
      [inj, hook],
      [plain, hook],
    ]);
    expect(t.call(inj, [], 0, 1)).toBe(0xfffffffffffffff4n);
    expect(t.call(plain, [], 0, 1)).toBe(2n);
    expect([asked, bodies, t.countsOf(inj).errors, t.hookCount(plain)]).toEqual([1, 1, 1, 1]);
  });
});
