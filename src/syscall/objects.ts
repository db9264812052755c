// The kernel objects fds point to: a map (freed by unregistering it, which
// unmaps its regions), a program (holds its maps; freed by unloading it), the
// kernel BTF, and a link (holds its program; freed by detaching it). Each
// frees what it owns when its last reference goes (fd-table.ts).
import type { Btf } from "../btf/btf.js";
import type { Interpreter, LoadedProgram, RunOptions, RunResult } from "../vm/interpreter.js";
import type { BpfMap, MapRegistry } from "../vm/maps/index.js";
import type { Region } from "../vm/memory.js";
import type { ProgType } from "../vm/verifier/prog-types.js";
import type { VerifyStats } from "../vm/verifier/verifier.js";
import { KernelObject } from "./fd-table.js";
import type { AttachTarget, BpfProg, DetachFn, IterReader } from "./types.js";

/**
 * Instructions a verified program may execute per run (its load sets it as
 * the program's default budget). A loaded program was verified, so it ends;
 * the kernel has no instruction budget at run time, and a legal program may
 * run far past the VM's default (bpf_loop's 8M iterations, BPF_MAX_LOOPS).
 * This only keeps a verifier bug from hanging the model.
 */
export const VERIFIED_RUN_BUDGET = 1 << 30;

/** Called when an object is freed (the Bpf instance keeps its live set with it). */
export type OnFree = (obj: KernelObject) => void;

export class MapObject extends KernelObject {
  readonly kind = "map" as const;
  constructor(
    readonly map: BpfMap,
    private readonly registry: MapRegistry,
    private readonly onFree: OnFree,
  ) {
    super();
  }

  protected free(): void {
    this.registry.remove(this.map);
    this.onFree(this);
  }
}

export interface ProgInit {
  id: number;
  name: string;
  type: string;
  verifierType: ProgType;
  loaded: LoadedProgram;
  ctxSize: number;
  maps: MapObject[];
  stats: VerifyStats;
  license: string;
  interpreter: Interpreter;
  onFree: OnFree;
}

export class ProgObject extends KernelObject implements BpfProg {
  readonly kind = "prog" as const;
  readonly id: number;
  readonly name: string;
  readonly type: string;
  readonly verifierType: ProgType;
  readonly loaded: LoadedProgram;
  readonly ctxSize: number;
  readonly maps: readonly MapObject[];
  readonly stats: VerifyStats;
  readonly license: string;
  runCnt = 0;
  runTimeNs = 0;
  private readonly interpreter: Interpreter;
  private readonly onFree: OnFree;

  constructor(init: ProgInit) {
    super();
    this.id = init.id;
    this.name = init.name;
    this.type = init.type;
    this.verifierType = init.verifierType;
    this.loaded = init.loaded;
    this.ctxSize = init.ctxSize;
    this.maps = init.maps;
    this.stats = init.stats;
    this.license = init.license;
    this.interpreter = init.interpreter;
    this.onFree = init.onFree;
    for (const m of this.maps) m.hold();
  }

  /**
   * Runs the program (never throws for program misbehaviour), counts the run
   * and adds its time to runTimeNs; the budget defaults to VERIFIED_RUN_BUDGET.
   */
  run(options: RunOptions = {}): RunResult {
    if (this.freed) throw new Error(`program ${this.id} '${this.name}' was unloaded`);
    const t0 = performance.now();
    const r = this.interpreter.run(this.loaded, options);
    this.runTimeNs += Math.round((performance.now() - t0) * 1e6);
    this.runCnt++;
    return r;
  }

  /**
   * The per-event entry attach points use (TracingProgram.runCtx): runs on
   * `ctx` with no allocation and no BigInt, true when the run completed (r0
   * then in r0lo/r0hi). Counted in runCnt but not timed: two clock reads
   * would cost more than an empty program's run, and the kernel too times
   * event runs only while bpf_stats_enabled is on; run() (test runs,
   * iterators) keeps its timing.
   */
  runCtx(ctx: Region): boolean {
    if (this.freed) throw new Error(`program ${this.id} '${this.name}' was unloaded`);
    const ok = this.interpreter.runCtx(this.loaded, ctx);
    this.runCnt++;
    return ok;
  }

  /** r0 of the last completed runCtx(), low and high halves (int32). */
  get r0lo(): number {
    return this.interpreter.r0lo;
  }

  get r0hi(): number {
    return this.interpreter.r0hi;
  }

  protected free(): void {
    this.onFree(this);
    for (const m of this.maps) m.put();
  }
}

export class BtfObject extends KernelObject {
  readonly kind = "btf" as const;
  constructor(
    readonly id: number,
    readonly btf: Btf,
    readonly bytes: () => Uint8Array,
    private readonly onFree: OnFree,
  ) {
    super();
  }

  protected free(): void {
    this.onFree(this);
  }
}

export class LinkObject extends KernelObject {
  readonly kind = "link" as const;
  private detachFn: DetachFn | undefined;

  constructor(
    readonly id: number,
    readonly prog: ProgObject,
    readonly attachType: string,
    readonly target: AttachTarget,
    detach: DetachFn,
    private readonly onFree: OnFree,
  ) {
    super();
    this.detachFn = detach;
    prog.hold();
  }

  get detached(): boolean {
    return this.detachFn === undefined;
  }

  /** BPF_LINK_DETACH: undoes the attachment once; the link object stays until its last fd closes. */
  detach(): void {
    const fn = this.detachFn;
    this.detachFn = undefined;
    fn?.();
  }

  protected free(): void {
    this.detach();
    this.onFree(this);
    this.prog.put();
  }
}

/**
 * What BPF_ITER_CREATE opens: one walk over an iterator link's target, read
 * with read(2) in chunks of any size ("" at the end). It holds its link (and
 * so the program) until its last fd closes, as the kernel's iterator file does.
 */
export class IterObject extends KernelObject {
  readonly kind = "iter" as const;
  private pending: Uint8Array = new Uint8Array(0);
  private error = 0;
  private ended = false;
  private readonly encoder = new TextEncoder();

  constructor(
    private readonly reader: IterReader,
    readonly link: LinkObject,
    private readonly onFree: OnFree,
  ) {
    super();
    link.hold();
  }

  /** read(2): up to `count` bytes, an empty array at the end, or a negative errno (after the bytes before it). */
  read(count: number): Uint8Array | number {
    while (this.pending.length < count && !this.ended && this.error === 0) {
      const r = this.reader.read();
      if (typeof r === "number") this.error = r;
      else if (r === "") this.ended = true;
      else {
        const more = this.encoder.encode(r);
        const both = new Uint8Array(this.pending.length + more.length);
        both.set(this.pending);
        both.set(more, this.pending.length);
        this.pending = both;
      }
    }
    if (this.pending.length === 0 && this.error !== 0) {
      const e = this.error;
      this.error = 0;
      return e;
    }
    const out = this.pending.slice(0, count);
    this.pending = this.pending.subarray(out.length);
    return out;
  }

  protected free(): void {
    this.link.put();
    this.onFree(this);
  }
}
