// Kernel functions: each has a kallsyms address, its BTF FUNC id (when the
// kernel BTF has one), an implementation, and a list of attached hooks (the
// trampoline layer plugs fentry/fexit/fmod_ret in here). Every call is
// counted: the ground truth a tracer's output is checked against. The call
// path is every simulated kernel call's, so it allocates at most the call's
// frame (none when its hooks keep no frame) and compares return values as
// int64s rather than BigInts of unknown width. A function's hooks are
// published as an image (the hooks of each phase in a list of its own), and
// a call runs the image it entered with to its end, as a kernel call keeps
// running the trampoline image it jumped into while a new one is installed.

/** What a hook sees of one call. */
export interface CallFrame {
  readonly fn: KernelFunction;
  /** Arguments as u64 (pointers are kernel addresses). */
  readonly args: readonly bigint[];
  readonly cpu: number;
  readonly pid: number;
  /** Unique per call (for pairing entry and exit). */
  readonly seq: number;
}

/**
 * Attached code: the trampoline layer's programs. Which phases a hook has
 * is read when it is attached (a hook that changes must be replaced:
 * FunctionTable.replaceBatch).
 */
export interface FunctionHook {
  /** Before the body (fentry). */
  entry?(call: CallFrame): void;
  /** May replace the return value instead of running the body (fmod_ret); undefined lets the body run. */
  modifyReturn?(call: CallFrame): bigint | undefined;
  /** After the body, with its return value (fexit). */
  exit?(call: CallFrame, ret: bigint): void;
  /**
   * false: the hook reads the frame only while it is called and keeps no
   * reference to it (the trampolines and kprobes), so a call whose hooks
   * all say so may be given a frame reused by later calls. Unset: the hook
   * may keep it, and every call gets a frame of its own.
   */
  readonly keepsFrame?: boolean;
}

export type FunctionImpl = (call: CallFrame) => bigint;

export interface KernelFunction {
  readonly name: string;
  /** kallsyms address of the first instruction. */
  readonly address: bigint;
  /** FUNC type id in the kernel BTF, if described there. */
  readonly btfId: number | undefined;
  readonly nargs: number;
  /** `static`: several functions may share the name (kallsyms shows them all). */
  readonly isStatic: boolean;
  /** Whether fmod_ret may change its return value (ALLOW_ERROR_INJECTION). */
  readonly errorInjectable: boolean;
  impl: FunctionImpl;
}

export interface FunctionCounts {
  calls: number;
  /** Calls that returned a negative errno. */
  errors: number;
}

/**
 * Per-function state of one table: its call counts and the hooks of the
 * current snapshot. The table keeps them by function object; the function
 * also carries its latest table's slot under a private, non-enumerable
 * symbol (spreading a function into a new one does not copy it), so a call
 * reaches its state with one property load instead of map lookups (the
 * dispatch path runs tens of millions of times per second).
 */
interface FunctionSlot {
  readonly table: FunctionTable;
  readonly counts: FunctionCounts;
  /** The hooks attached now, by phase; undefined when none. */
  image: HookImage | undefined;
  /** The body's simulated time (ns) once asked of bodyTime.cost; -1n before. */
  bodyNs: bigint;
}

/**
 * One function's hooks as published by one update: every hook in attach
 * order, and per phase the hooks having it (a call checks one list per
 * phase). Never changed once published: an update publishes a new image,
 * and a call in progress keeps the one it read at its start.
 */
interface HookImage {
  readonly hooks: readonly FunctionHook[];
  readonly entry: readonly FunctionHook[];
  /** Empty unless the function is an error-injection target (the others never have their result replaced). */
  readonly modifyReturn: readonly FunctionHook[];
  readonly exit: readonly FunctionHook[];
  /** Whether every hook has keepsFrame false. */
  readonly reuseFrame: boolean;
}

/** What a hook update does to one function: removes `remove` (when given), then adds `add` (when given) at the end. */
export interface HookChange {
  readonly fn: KernelFunction;
  readonly remove?: FunctionHook;
  readonly add?: FunctionHook;
}

/** A function body's simulated duration: its cost (asked once per function) and how it is spent (per call). */
export interface BodyTime {
  /** The body's duration in ns (a function's own constant: cached per function after the first call). */
  cost(fn: KernelFunction): bigint;
  /** Spends `ns` of simulated time (advances the clock). */
  spend(ns: bigint): void;
}
const SLOT = Symbol("function-table slot");
type Slotted = KernelFunction & { [SLOT]?: FunctionSlot };

/** Largest u64. */
const U64_MAX = 0xffffffffffffffffn;


export class FunctionTable {
  private readonly slots = new Map<KernelFunction, FunctionSlot>();
  private readonly byAddr = new Map<bigint, KernelFunction>();
  private readonly byName = new Map<string, KernelFunction[]>();
  /**
   * Updates published so far. Attached hooks are published RCU-style, one
   * immutable image per function (its slot's `image`): calls read it without
   * locking, an update builds new images for the functions it changes only
   * (as Linux rebuilds only the changed functions' trampolines), and a call in
   * progress keeps the image it started with.
   */
  updates = 0;
  private seq = 0;
  /** Called after every call with its frame and return value (call logs, determinism checks). */
  onCall: ((call: CallFrame, ret: bigint) => void) | undefined;
  /**
   * Simulated time a function's own body takes (ns), spent between its
   * entry and exit hooks, so durations and latencies (fexit - fentry) are
   * real numbers; nested calls add theirs. Unset: calls take no time.
   */
  bodyTime: BodyTime | undefined;

  register(fn: KernelFunction): KernelFunction {
    if (this.byAddr.has(fn.address)) throw new RangeError(`two functions at 0x${fn.address.toString(16)}`);
    const same = this.byName.get(fn.name) ?? [];
    if (same.length && (!fn.isStatic || same.some((f) => !f.isStatic))) {
      throw new RangeError(`function '${fn.name}' defined twice (only static functions may share a name)`);
    }
    same.push(fn);
    this.byName.set(fn.name, same);
    this.byAddr.set(fn.address, fn);
    const slot: FunctionSlot = { table: this, counts: { calls: 0, errors: 0 }, image: undefined, bodyNs: -1n };
    this.slots.set(fn, slot);
    Object.defineProperty(fn, SLOT, { value: slot, writable: true, enumerable: false, configurable: true });
    return fn;
  }

  /** All functions with this name (several for static duplicates), in address order. */
  named(name: string): readonly KernelFunction[] {
    return this.byName.get(name) ?? [];
  }

  /** The function whose symbol is at `addr`. */
  at(addr: bigint): KernelFunction | undefined {
    return this.byAddr.get(addr);
  }

  /** Every function in address order. */
  all(): KernelFunction[] {
    return [...this.byAddr.values()].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  }

  /** Attaches a hook to a function (one update); returns a function that detaches it (one update). */
  attach(fn: KernelFunction, hook: FunctionHook): () => void {
    return this.attachBatch([[fn, hook]]);
  }

  /** Attaches many hooks in one update; the returned function detaches them all in one update. */
  attachBatch(entries: readonly (readonly [KernelFunction, FunctionHook])[]): () => void {
    this.publish(entries.map(([fn, add]) => ({ fn, add })));
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.publish(entries.map(([fn, remove]) => ({ fn, remove })));
    };
  }

  /** Removes hooks attached earlier (by any batch) in one update. */
  detachBatch(entries: readonly (readonly [KernelFunction, FunctionHook])[]): void {
    if (entries.length) this.publish(entries.map(([fn, remove]) => ({ fn, remove })));
  }

  /**
   * Applies hook changes (removals, additions, replacements: remove and add
   * together) in one update. A replacement takes the old hook's place in
   * the function's list (an absent old hook: the new one goes last). Calls in progress finish with the image
   * they started with; calls made after this returns see the new one.
   */
  replaceBatch(changes: readonly HookChange[]): void {
    if (changes.length) this.publish(changes);
  }

  private publish(changes: readonly HookChange[]): void {
    // Each function's slot takes its new image as it is built: JavaScript runs
    // no call before this returns, so calls see the whole update at once.
    for (const { fn, remove, add } of changes) {
      const slot = this.slot(fn);
      let list: readonly FunctionHook[] = slot.image?.hooks ?? [];
      const at = remove === undefined ? -1 : list.indexOf(remove);
      if (at >= 0 && add !== undefined) list = list.map((h, i) => (i === at ? add : h));
      else {
        if (at >= 0) list = list.filter((h) => h !== remove);
        if (add !== undefined) list = [...list, add];
      }
      slot.image = list.length ? imageOf(fn, list) : undefined;
    }
    this.updates++;
  }

  private slot(fn: KernelFunction): FunctionSlot {
    const slot = (fn as Slotted)[SLOT]?.table === this ? (fn as Slotted)[SLOT] : this.slots.get(fn);
    if (!slot) throw new RangeError(`function '${fn.name}' is not in this table`);
    return slot;
  }

  /** Number of hooks attached to a function. */
  hookCount(fn: KernelFunction): number {
    return this.slot(fn).image?.hooks.length ?? 0;
  }

  /**
   * Calls in progress: slots 0..depth-1, innermost last, each from before its
   * entry hooks to after its exit hooks (kernel stacks). Slots past `depth`
   * are stale; a call writes its slot instead of pushing and popping.
   */
  private readonly active: KernelFunction[] = [];
  /** Per slot of `active`: 1 while that call's body runs (between its entry and exit hooks). */
  private inBody = new Uint8Array(64);
  /** Number of calls in progress. */
  private depth = 0;
  /** Per depth: the frame reused by calls whose hooks keep none (callHooked). */
  private readonly framePool: { -readonly [K in keyof CallFrame]: CallFrame[K] }[] = [];
  /** Calls in progress, innermost last, each from before its entry hooks to after its exit hooks (a copy). */
  get calls(): KernelFunction[] {
    return this.active.slice(0, this.depth);
  }

  /** Functions whose bodies are executing, innermost last (a call's entry and exit hooks see its callers only; a copy). */
  get stack(): KernelFunction[] {
    const out: KernelFunction[] = [];
    for (let i = 0; i < this.depth; i++) if (this.inBody[i]) out.push(this.active[i]!);
    return out;
  }

  /**
   * The kernel stack a probe on the innermost call in progress sees
   * (bpf_get_stackid), innermost first: that function's address, then the
   * return address into each caller (callSite).
   */
  kernelStack(): bigint[] {
    const c = this.active;
    const n = this.depth;
    const out: bigint[] = [];
    for (let i = n - 1; i >= 0; i--) out.push(i === n - 1 ? c[i]!.address : callSite(c[i]!, c[i + 1]!));
    return out;
  }

  /** Where the innermost call in progress returns to (__builtin_return_address(0)); 0 for an outermost call. */
  returnAddress(): bigint {
    const c = this.active;
    const n = this.depth;
    return n >= 2 ? callSite(c[n - 2]!, c[n - 1]!) : 0n;
  }

  /**
   * Calls `fn`: counted, hooks run around the body, the return value is a
   * u64 (a negative result is wrapped: -14n returns 2^64 - 14). Every
   * simulated kernel call comes through here, so it is written for V8: the
   * return value compared as an int64 (BigInt.asIntN) rather than as a
   * BigInt of unknown width, stacks as slots and a depth, one try/finally.
   */
  call(fn: KernelFunction, args: readonly bigint[], cpu: number, pid: number): bigint {
    let slot = (fn as Slotted)[SLOT];
    if (slot?.table !== this) slot = this.slot(fn);
    slot.counts.calls++;
    const seq = ++this.seq;
    const d = this.depth;
    if (d >= this.inBody.length) this.grow();
    this.active[d] = fn;
    this.depth = d + 1;
    try {
      const image = slot.image;
      if (image !== undefined) return this.callHooked(fn, slot, image, args, cpu, pid, seq, d);
      const frame: CallFrame = { fn, args, cpu, pid, seq };
      this.inBody[d] = 1;
      if (this.bodyTime !== undefined) this.spendBody(fn, slot);
      const ret = u64Counted(slot.counts, fn.impl(frame));
      const onCall = this.onCall;
      if (onCall !== undefined) {
        this.inBody[d] = 0;
        onCall(frame, ret);
      }
      return ret;
    } finally {
      this.depth = d;
    }
  }

  /**
   * The part of call() for a function with hooks (kept apart so the
   * untraced path stays small). When every hook says it keeps no frame and
   * no onCall observes calls, the frame is this depth's reused one.
   */
  private callHooked(fn: KernelFunction, slot: FunctionSlot, image: HookImage, args: readonly bigint[], cpu: number, pid: number, seq: number, d: number): bigint {
    let frame: CallFrame;
    if (image.reuseFrame && this.onCall === undefined) {
      const f = this.framePool[d];
      if (f === undefined) frame = this.framePool[d] = { fn, args, cpu, pid, seq };
      else {
        f.fn = fn;
        f.args = args;
        f.cpu = cpu;
        f.pid = pid;
        f.seq = seq;
        frame = f;
      }
    } else frame = { fn, args, cpu, pid, seq };
    this.inBody[d] = 0;
    // Each phase runs the hooks having it in the image read at the call's start (see HookImage).
    const entry = image.entry;
    for (let i = 0; i < entry.length; i++) entry[i]!.entry!(frame);
    let ret: bigint | undefined;
    // The first hook replacing the return value wins; the later ones are not asked.
    const mod = image.modifyReturn;
    if (mod.length !== 0) for (let i = 0; i < mod.length && ret === undefined; i++) ret = mod[i]!.modifyReturn!(frame);
    if (ret === undefined) {
      this.inBody[d] = 1;
      if (this.bodyTime !== undefined) this.spendBody(fn, slot);
      ret = fn.impl(frame);
      this.inBody[d] = 0;
    }
    ret = u64Counted(slot.counts, ret);
    const exit = image.exit;
    for (let i = 0; i < exit.length; i++) exit[i]!.exit!(frame, ret);
    const onCall = this.onCall;
    // A reused frame is copied for an onCall set during the call: the next call at this depth rewrites it.
    if (onCall !== undefined) onCall(frame === this.framePool[d] ? { ...frame } : frame, ret);
    return ret;
  }

  /** Spends the body's simulated time, its cost asked once per function and kept in its slot. */
  private spendBody(fn: KernelFunction, slot: FunctionSlot): void {
    const bt = this.bodyTime!;
    let ns = slot.bodyNs;
    if (ns < 0n) ns = slot.bodyNs = bt.cost(fn);
    bt.spend(ns);
  }

  private grow(): void {
    const next = new Uint8Array(this.inBody.length * 2);
    next.set(this.inBody);
    this.inBody = next;
  }

  /** Ground truth for one function. */
  countsOf(fn: KernelFunction): FunctionCounts {
    return { ...this.slot(fn).counts };
  }

  /** Ground truth by function name (static duplicates summed). */
  callsByName(): Map<string, number> {
    const out = new Map<string, number>();
    for (const fn of this.byAddr.values()) out.set(fn.name, (out.get(fn.name) ?? 0) + this.slot(fn).counts.calls);
    return out;
  }
}

/** The image of `fn`'s hook list (see HookImage); modifyReturn hooks count only on an error-injection target. */
function imageOf(fn: KernelFunction, hooks: readonly FunctionHook[]): HookImage {
  return {
    hooks,
    entry: hooks.filter((h) => h.entry !== undefined),
    modifyReturn: fn.errorInjectable ? hooks.filter((h) => h.modifyReturn !== undefined) : [],
    exit: hooks.filter((h) => h.exit !== undefined),
    reuseFrame: hooks.every((h) => h.keepsFrame === false),
  };
}

/**
 * A call's return value as a u64 (a negative one wrapped, a wider one cut to
 * its low 64 bits), counting a negative errno (-MAX_ERRNO..-1) in `counts`.
 * Compared as an s64 (BigInt.asIntN), which V8 keeps on int64: a value of
 * unknown width is compared only when it is negative as an s64.
 */
function u64Counted(counts: FunctionCounts, ret: bigint): bigint {
  const s = BigInt.asIntN(64, ret);
  if (s >= 0n) {
    // Wider than 64 bits: its low 64 bits (an int64 check for a value that fits).
    return ret === s ? ret : s;
  }
  if (s >= -4095n) counts.errors++;
  return ret < 0n || ret > U64_MAX ? BigInt.asUintN(64, ret) : ret;
}

/**
 * The return address of a call of `callee` made by `caller`: one call site
 * per (caller, callee) pair, inside the caller's first 0x40 bytes of text
 * (functions are 0x40 apart), so it symbolizes as caller+0x10..0x2c.
 */
export function callSite(caller: KernelFunction, callee: KernelFunction): bigint {
  return caller.address + 0x10n + ((callee.address >> 6n) & 7n) * 4n;
}
