// The trampoline's per-call dispatch without the VM: programs are plain
// TracingProgram objects that record what they see in the context region.
// Covers both entries (runCtx with r0 in halves, and run() through the
// adapter), the context filled once per phase for every program of it
// (arguments wrapped to u64, missing ones 0, the return value after them),
// per-program cookies, fmod_ret's u64 result, recursion misses, the image
// a call entered with kept to its end (attach and detach mid-call); and
// the kprobe's pt_regs as saved per hit.
import { describe, expect, it } from "vitest";
import { FunctionTable, type KernelFunction } from "../kernel-model/functions.js";
import { AddressSpace, type Region } from "../vm/memory.js";
import { PT_REGS_SIZE } from "../vm/verifier/prog-types.js";
import { KprobeManager, KRETPROBE_TRAMPOLINE, PtRegs } from "./kprobe.js";
import { callInfoOf, TrampolineManager, type TracingProgram } from "./trampoline.js";

function fn(name: string, nargs: number, impl: KernelFunction["impl"], errorInjectable = false): KernelFunction {
  return { name, address: 0xffffffff81000000n + BigInt(name.length) * 0x40n, btfId: 100 + name.length, nargs, isStatic: false, errorInjectable, impl };
}

/** What a program saw on one run: the first `n` u64 slots of its context, and the call info. */
interface Seen {
  slots: bigint[];
  ip: bigint;
  cookie: bigint;
  nargs: number;
  hasRet: boolean;
}

function look(ctx: Region, n: number): Seen {
  const info = callInfoOf(ctx)!;
  const slots: bigint[] = [];
  for (let i = 0; i < n; i++) slots.push(ctx.view.getBigUint64(i * 8, true));
  return { slots, ip: info.ip, cookie: info.cookie, nargs: info.nargs, hasRet: info.hasRet };
}

/** A program with the per-event entry: runCtx, r0 in halves. */
function fastProg(id: number, n: number, r0: bigint, seen: Seen[], body?: () => void): TracingProgram & { runs: number } {
  const p = {
    id,
    runs: 0,
    r0lo: 0,
    r0hi: 0,
    run: () => {
      throw new Error("run() called on a program with runCtx");
    },
    runCtx(ctx: Region): boolean {
      p.runs++;
      seen.push(look(ctx, n));
      body?.();
      p.r0lo = Number(r0 & 0xffffffffn) | 0;
      p.r0hi = Number(r0 >> 32n) | 0;
      return true;
    },
  };
  return p;
}

/** A program with run() only (the adapter's path). */
function plainProg(id: number, n: number, r0: bigint, seen: Seen[], fault = false): TracingProgram {
  return {
    id,
    run: (o) => {
      seen.push(look(o!.ctx!, n));
      return fault ? { r0: 0n, executed: 1, fault: new Error("x") as never } : { r0, executed: 2 };
    },
  };
}

describe("trampoline dispatch", () => {
  it("fills arguments as u64 (negative ones wrapped, missing ones 0) once per phase for every program, each with its cookie", () => {
    const t = new FunctionTable();
    const f = t.register(fn("three", 3, () => 0n));
    const mgr = new TrampolineManager(t, new AddressSpace());
    const seen: Seen[] = [];
    const a = fastProg(1, 4, 0n, seen);
    const b = plainProg(2, 4, 0n, seen);
    if (typeof mgr.attach(a, "fentry", [f], [0xaan]) !== "function") throw new Error("attach a");
    if (typeof mgr.attach(b, "fentry", [f], [0xbbn]) !== "function") throw new Error("attach b");
    t.call(f, [0xffff888000100000n, -2n], 0, 1);
    // The third argument is missing (0); slot 3 is past the arguments (never written: 0).
    const want = { slots: [0xffff888000100000n, 0xfffffffffffffffen, 0n, 0n], ip: f.address, nargs: 3, hasRet: false };
    expect(seen).toEqual([
      { ...want, cookie: 0xaan },
      { ...want, cookie: 0xbbn },
    ]);
    expect(mgr.stats.get(1)).toEqual({ runs: 1, recursionMisses: 0, faults: 0 });
    expect(mgr.stats.get(2)).toEqual({ runs: 1, recursionMisses: 0, faults: 0 });
  });

  it("a call keeps the trampoline image it entered with: programs attached or detached during its body count from the next call", () => {
    const t = new FunctionTable();
    let during: (() => void) | undefined;
    const f = t.register(
      fn("two", 2, () => {
        during?.();
        during = undefined;
        return 3n;
      }),
    );
    const mgr = new TrampolineManager(t, new AddressSpace());
    const seen: Seen[] = [];
    const a = fastProg(1, 3, 0n, seen);
    const b = fastProg(2, 3, 0n, seen);
    const c = fastProg(3, 3, 0n, seen);
    const offA = mgr.attach(a, "fentry", [f]);
    if (typeof offA !== "function") throw new Error("attach a");
    let offB: (() => void) | undefined;
    let offC: (() => void) | undefined;
    // Call 1 entered with a (fentry) only: b (fexit) and c (fentry) attached in its body run from call 2 on.
    during = () => {
      const x = mgr.attach(b, "fexit", [f]);
      const y = mgr.attach(c, "fentry", [f]);
      if (typeof x !== "function" || typeof y !== "function") throw new Error("attach b, c");
      offB = x;
      offC = y;
    };
    t.call(f, [1n, 2n], 0, 1);
    expect([a.runs, b.runs, c.runs]).toEqual([1, 0, 0]);
    // Call 2 entered with a, c and b: detaching b and a in its body still runs b's fexit for it.
    during = () => {
      offB!();
      offA();
    };
    t.call(f, [4n, 5n], 0, 1);
    expect([a.runs, b.runs, c.runs]).toEqual([2, 1, 1]);
    expect(seen.at(-1)).toEqual({ slots: [4n, 5n, 3n], ip: f.address, cookie: 0n, nargs: 2, hasRet: true });
    // Call 3: c alone; detaching the last program unhooks the function.
    t.call(f, [6n, 7n], 0, 1);
    expect([a.runs, b.runs, c.runs]).toEqual([2, 1, 2]);
    offC!();
    t.call(f, [8n, 9n], 0, 1);
    expect([a.runs, b.runs, c.runs, t.hookCount(f), mgr.attachedCount()]).toEqual([2, 1, 2, 0, 0]);
    expect(mgr.stats.get(2)).toEqual({ runs: 1, recursionMisses: 0, faults: 0 });
  });

  it("fexit sees the arguments and then the u64 return value in slot nargs", () => {
    const t = new FunctionTable();
    const f = t.register(fn("two", 2, (c) => c.args[0]! - 100n));
    const mgr = new TrampolineManager(t, new AddressSpace());
    const seen: Seen[] = [];
    if (typeof mgr.attach(fastProg(1, 3, 0n, seen), "fexit", [f]) !== "function") throw new Error("attach");
    t.call(f, [7n, 8n], 0, 1);
    t.call(f, [200n, 9n], 0, 1);
    expect(seen.map((s) => [s.slots, s.hasRet, s.nargs])).toEqual([
      [[7n, 8n, 0xffffffffffffffa3n], true, 2],
      [[200n, 9n, 100n], true, 2],
    ]);
  });

  it("fmod_ret: a non-zero r0 (both halves) replaces the result and skips the body, through runCtx and through run()", () => {
    for (const make of [fastProg, plainProg]) {
      const t = new FunctionTable();
      let bodies = 0;
      const f = t.register(fn("inj", 1, () => (bodies++, 5n), true));
      const mgr = new TrampolineManager(t, new AddressSpace());
      const seen: Seen[] = [];
      const detach = mgr.attach(make(1, 2, 0x80000001fffffff4n, seen), "fmod_ret", [f]);
      if (typeof detach !== "function") throw new Error("attach");
      expect(t.call(f, [1n], 0, 1)).toBe(0x80000001fffffff4n);
      expect(bodies).toBe(0);
      // fmod_ret sees a return slot of 0 after the arguments.
      expect(seen.map((s) => [s.slots, s.hasRet])).toEqual([[[1n, 0n], true]]);
      detach();
      expect(t.call(f, [1n], 0, 1)).toBe(5n);
      expect(bodies).toBe(1);
    }
  });

  it("fmod_ret returning 0 lets the body run; a fault counts and changes nothing", () => {
    const t = new FunctionTable();
    const f = t.register(fn("inj", 1, () => 5n, true));
    const mgr = new TrampolineManager(t, new AddressSpace());
    const seen: Seen[] = [];
    if (typeof mgr.attach(fastProg(1, 1, 0n, seen), "fmod_ret", [f]) !== "function") throw new Error("attach");
    if (typeof mgr.attach(plainProg(2, 1, 9n, seen, true), "fmod_ret", [f]) !== "function") throw new Error("attach");
    expect(t.call(f, [1n], 0, 1)).toBe(5n);
    expect(mgr.stats.get(1)).toEqual({ runs: 1, recursionMisses: 0, faults: 0 });
    expect(mgr.stats.get(2)).toEqual({ runs: 1, recursionMisses: 0, faults: 1 });
  });

  it("fmod_ret: the first non-zero r0 wins and the later fmod_ret programs do not run (x86 jumps to the fexit phase)", () => {
    const t = new FunctionTable();
    let bodies = 0;
    const f = t.register(fn("inj", 1, () => (bodies++, 5n), true));
    const mgr = new TrampolineManager(t, new AddressSpace());
    const seen: Seen[] = [];
    for (const [id, r0] of [[1, 0n], [2, 0xfffffff2n], [3, 0xfffffff4n]] as const) {
      if (typeof mgr.attach(fastProg(id, 2, r0, seen), "fmod_ret", [f]) !== "function") throw new Error("attach");
    }
    expect(t.call(f, [1n], 0, 1)).toBe(0xfffffff2n);
    expect(bodies).toBe(0);
    // Both programs that ran saw 0 in the return slot.
    expect(seen.map((s) => s.slots)).toEqual([[1n, 0n], [1n, 0n]]);
    expect([1, 2, 3].map((id) => mgr.stats.get(id)?.runs)).toEqual([1, 1, 0]);
  });

  it("a call reached while a program runs is a miss for every program of its phase, and fills nothing", () => {
    const t = new FunctionTable();
    const inner = t.register(fn("inner", 1, () => 0n));
    const outer = t.register(fn("outer_fn", 2, () => 0n));
    const mgr = new TrampolineManager(t, new AddressSpace());
    const seen: Seen[] = [];
    // The outer program's "helper" calls inner: both of inner's programs are skipped.
    const o = fastProg(1, 2, 0n, seen, () => void t.call(inner, [0xdeadn], 0, 1));
    const i1 = fastProg(2, 2, 0n, seen);
    const i2 = plainProg(3, 2, 0n, seen);
    for (const [p, target] of [[o, outer], [i1, inner], [i2, inner]] as const) if (typeof mgr.attach(p, "fentry", [target]) !== "function") throw new Error("attach");
    t.call(outer, [1n, 2n], 0, 1);
    t.call(outer, [3n, 4n], 0, 1);
    // Only the outer program ran, and its context was not overwritten by the nested call.
    expect(seen.map((s) => s.slots)).toEqual([
      [1n, 2n],
      [3n, 4n],
    ]);
    expect([mgr.stats.get(1), mgr.stats.get(2), mgr.stats.get(3)]).toEqual([
      { runs: 2, recursionMisses: 0, faults: 0 },
      { runs: 0, recursionMisses: 2, faults: 0 },
      { runs: 0, recursionMisses: 2, faults: 0 },
    ]);
    // Outside a program, inner's programs run.
    t.call(inner, [5n], 0, 1);
    expect(seen.slice(2).map((s) => [s.slots[0], s.ip])).toEqual([
      [5n, inner.address],
      [5n, inner.address],
    ]);
  });
});

describe("kprobe dispatch", () => {
  it("every hit saves the whole pt_regs: arguments, constants, zeros elsewhere; a kretprobe's ax does not leak into the next kprobe hit", () => {
    const t = new FunctionTable();
    const f = t.register(fn("probed", 7, () => -5n));
    const mem = new AddressSpace();
    const kp = new KprobeManager(t, mem);
    const hits: bigint[][] = [];
    const prog = (id: number): TracingProgram => ({
      id,
      run: (o) => {
        const regs: bigint[] = [];
        for (let off = 0; off < PT_REGS_SIZE; off += 8) regs.push(o!.ctx!.view.getBigUint64(off, true));
        hits.push(regs);
        return { r0: 0n, executed: 1 };
      },
    });
    kp.attach(prog(1), "kretprobe", [f]);
    kp.attach(prog(2), "kprobe", [f]);
    t.call(f, [1n, -2n, 3n, 4n, 5n, 6n, 7n], 0, 1);
    t.call(f, [9n], 0, 1);
    const regs = (set: Record<string, bigint>) => {
      const out: bigint[] = new Array(PT_REGS_SIZE / 8).fill(0n);
      const base = { orig_ax: 0xffffffffffffffffn, cs: 0x10n, flags: 0x246n, sp: 0xffffc9000001ff00n, ss: 0x18n, ...set };
      for (const [name, v] of Object.entries(base)) out[PtRegs[name as keyof typeof PtRegs] / 8] = v;
      return out;
    };
    const args1 = { di: 1n, si: 0xfffffffffffffffen, dx: 3n, cx: 4n, r8: 5n, r9: 6n };
    // Entry (kprobe) then return (kretprobe) per call; the 7th argument is on the stack, not in pt_regs.
    expect(hits).toEqual([
      regs({ ...args1, ip: f.address + 1n }),
      regs({ ...args1, ax: 0xfffffffffffffffbn, ip: KRETPROBE_TRAMPOLINE }),
      regs({ di: 9n, ip: f.address + 1n }),
      regs({ di: 9n, ax: 0xfffffffffffffffbn, ip: KRETPROBE_TRAMPOLINE }),
    ]);
    expect(kp.missed).toBe(0);
  });
});
