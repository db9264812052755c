// The JIT: compiles a loaded program once into JavaScript (via
// `new Function`) with exactly the interpreter's semantics.
//
// Representation: every register is a pair of int32 locals (l0/h0 ..
// l11/h11: low and high halves), so 64-bit arithmetic stays BigInt-free.
// Each entry slot (0, every bpf-to-bpf call target, every callback address
// an lddw names, extra entries asked for) becomes a function of its own over
// the blocks reachable from it (cfg.ts); a bpf-to-bpf call to an entry calls
// that function directly, or runs a copy of it inline when it is a small
// leaf (inlineCall). An entry region too large for V8 to optimize as one
// function is split into segments (segments.ts), each a function, run in
// turn by the entry's driver. A function's blocks become structured code
// (structure.ts: labeled blocks and `for (;;)` loops) when they form a
// reducible graph, else a `switch (pc)` inside a loop with
// `pc = target; continue` for taken jumps. Each block charges its
// instruction count against the budget on entry; a block the budget cannot
// cover is handed to the interpreter, which faults at the exact instruction
// (see runtime.ts for the protocol), so `executed` and every fault (kind,
// pc, message) are the interpreter's. Instructions are insn.ts's; memory
// accesses off the stack, helpers and calls outside the program go through
// the JitRuntime.
import { bswap16, bswap32, sdiv32, smod32 } from "../alu64.js";
import { sdivmod64, udivmod64 } from "../div64.js";
import { VmFault } from "../errors.js";
import { MAX_CALL_FRAMES } from "../limits.js";
import { AtomicOp, Class, CLASS_MASK, JmpOp, LDDW, Mode, OP_MASK, PseudoCall, Source } from "../isa/opcodes.js";
import { REG_FILE_SIZE, type LoadedProgram } from "../loaded-program.js";
import { buildCfg, End, type Block, type Cfg } from "./cfg.js";
import { ACCESS_FN, alu32, alu64, cmp32, cmp64, H, L, lit, loadInsn, staticFault, storeInsn } from "./insn.js";
import { segmentsOf, type Segment } from "./segments.js";
import { reversePostorder, structure } from "./structure.js";
import type { JitFn, JitProgram } from "./runtime.js";
import { warm } from "./warm.js";

const ARGS = [1, 2, 3, 4, 5].map((i) => `${L(i)},${H(i)}`).join(",");

/**
 * Whether any instruction of `lp` writes r10. The verifier refuses that, but
 * the JIT also compiles programs loaded without it; only when r10 stays the
 * frame pointer do stack accesses compile to direct reads of the frame.
 */
function writesR10(lp: LoadedProgram): boolean {
  for (let pc = 0; pc < lp.slots; pc++) {
    const code = lp.op[pc]!;
    const cls = code & CLASS_MASK;
    if ((cls === Class.ALU || cls === Class.ALU64 || cls === Class.LDX || code === LDDW) && lp.dst[pc] === 10) return true;
    if (cls === Class.STX && (code & 0xe0) === Mode.ATOMIC && lp.src[pc] === 10 && (lp.imm[pc]! & AtomicOp.FETCH) !== 0) return true;
  }
  return false;
}

/** The factory's constants (what generated code refers to besides `rt`). */
const SHARED = { VmFault, udivmod64, sdivmod64, sdiv32, smod32, bswap16, bswap32 };

const ALL_REGS: readonly string[] = Array.from({ length: REG_FILE_SIZE }, (_, r) => [L(r), H(r)]).flat();
/** The registers an entry function takes as parameters (r1..r5 and r10); the others start at 0. */
const PARAMS: ReadonlySet<string> = new Set(["l1", "h1", "l2", "h2", "l3", "h3", "l4", "h4", "l5", "h5", "l10", "h10"]);

/** A segment's EXIT: r0 out as an entry function's, and N = -1 tells the driver the function is done. */
const SEGMENT_EXIT = `rt.rl = l0; rt.rh = h0; N = -1; return B;`;
/** A segment's jump to a later segment's first slot (`pc`): every register through G, N = that slot. */
const segmentLeave = (pc: string) => `${ALL_REGS.map((id, k) => `G[${k}] = ${id};`).join(" ")} N = ${pc}; return B;`;

/** The JavaScript of one program: its per-entry functions share the factory's scope. */
class ProgramWriter {
  readonly out: string[] = [];
  readonly directStack: boolean;

  constructor(
    readonly lp: LoadedProgram,
    readonly cfg: Cfg,
  ) {
    this.directStack = !writesR10(lp);
  }

  /** The budget charge at the top of block `b`: a block the budget cannot cover goes to the interpreter. */
  private charge(b: Block): string {
    const n = b.pcs.length;
    return `if ((B -= ${n}) < 0) { B += ${n}; pc = ${b.pcs[0]!}; break X; }`;
  }

  /** Code of one instruction that does not end its block's control flow (all but the final jump/exit). */
  private insn(pc: number): string {
    const lp = this.lp;
    const code = lp.op[pc]!;
    const d = lp.dst[pc]!;
    const s = lp.src[pc]!;
    const off = lp.off[pc]!;
    const imm = lp.imm[pc]!;
    const cls = code & CLASS_MASK;
    const isX = (code & Source.X) !== 0;
    const r = this.cfg.refund[pc]!;
    switch (cls) {
      case Class.ALU64:
        return alu64(code & OP_MASK, d, s, isX, off, imm, r);
      case Class.ALU:
        return alu32(code & OP_MASK, d, s, isX, off, imm, r);
      case Class.LDX:
        return loadInsn(lp, pc, this.directStack);
      case Class.ST:
      case Class.STX:
        return storeInsn(lp, pc, this.directStack);
      case Class.LD:
        if (code === LDDW) return `${L(d)} = ${lp.ldLo[pc]!}; ${H(d)} = ${lp.ldHi[pc]!};`;
        return staticFault("memory", pc, `legacy packet load (opcode 0x${code.toString(16)}) is not supported`, "EINVAL", r);
    }
    // JMP/JMP32: only calls reach here (jumps and exit are the block's end).
    if ((code & OP_MASK) !== JmpOp.CALL) return "";
    if (code === (Class.JMP | JmpOp.CALL) && s === PseudoCall.LOCAL) return this.localCall(pc, pc + imm + 1);
    if (code === (Class.JMP | JmpOp.CALL) && s === PseudoCall.KFUNC) {
      return staticFault("call", pc, `kfunc calls (BTF id ${imm}) are not supported`, "EINVAL", r);
    }
    const id = code === (Class.JMP | JmpOp.CALL) ? lit(imm) : L(d);
    return (
      `rt.b = B; ic = 1; n = rt.helperCall(lp, ${pc}, depth, ${id}, ${ARGS});\n` +
      `if (n !== undefined) { rt.tail(n, depth, l1, h1, l10, h10); N = -1; return rt.b; }\n` +
      `ic = 0; B = rt.b; l0 = rt.rl; h0 = rt.rh; R = rt;`
    );
  }

  /** A bpf-to-bpf call: inlined when the target is a small leaf (inlineCall), the target's function directly when it is an entry, else the runtime (which faults as the interpreter). */
  private localCall(pc: number, target: number): string {
    const restoreFp = this.directStack ? "" : ` l10 = rt.fpl[depth]; h10 = rt.fph[depth];`;
    if (!this.cfg.entries.has(target)) {
      return `rt.b = B; ic = 1; rt.callLocal(lp, ${pc}, ${target}, depth, ${ARGS}); ic = 0; B = rt.b; l0 = rt.rl; h0 = rt.rh; R = rt;${restoreFp}`;
    }
    const depthCheck = `if (depth >= ${MAX_CALL_FRAMES - 1}) { rt.b = B; throw new VmFault("stack", ${pc}, "call nesting deeper than ${MAX_CALL_FRAMES} frames", "E2BIG"); }`;
    const inlined = this.inlineCall(target);
    if (inlined !== undefined) return `ic = 1;\n${depthCheck}\n${inlined}\nic = 0;`;
    // The callee takes the budget as an argument and returns what is left (it sets rt.b itself before any throw).
    return (
      `ic = 1;\n` +
      `${depthCheck}\n` +
      `B = f${target}(rt, depth + 1, B, ${ARGS}, rt.fpl[depth + 1], rt.fph[depth + 1]);\n` +
      `ic = 0; l0 = rt.rl; h0 = rt.rh; R = rt;${restoreFp}`
    );
  }

  /** Each entry's structured code (before the function's prologue), as inlining reads it; null while it is being made (a recursive call). */
  private readonly codes = new Map<number, { code: string; structured: boolean } | null>();
  /** Inlined copies made so far (their locals and labels are suffixed with the copy's number). */
  private copies = 0;

  /** The code of entry `entry`'s blocks (structured, else the switch), made once. */
  private entryCode(entry: number): { code: string; structured: boolean } {
    const known = this.codes.get(entry);
    if (known) return known;
    this.codes.set(entry, null);
    const structured = structure(this.cfg, entry, {
      body: (b) => this.body(b),
      cond: (b) => this.cond(b),
      exit: () => ProgramWriter.EXIT,
      outside: (pc) => this.outside(pc),
    });
    const made = { code: structured ?? this.switched(entry), structured: structured !== undefined };
    this.codes.set(entry, made);
    return made;
  }

  /**
   * The callee at `target` inlined at a call site (in the caller's names),
   * or undefined when it is not a small leaf. A leaf here is a structured
   * function of at most INLINE_MAX_INSNS instructions besides its jumps and
   * exits (counting what it inlined itself) with no helper or call left and
   * no memory access but at r10 + constant inside its stack: its code needs
   * nothing of its frame but registers, the budget and the stack's view
   * (S_k, taken after the depth check). Its registers
   * become the caller's locals suffixed _k (r1..r5 copied in, the others 0
   * as in a called function), its exit copies r0 out and leaves the copy's
   * block, and a block the budget cannot cover goes to the interpreter in
   * the callee's frame (depth + 1) with the callee's registers: the same
   * executed counts and faults as the call.
   */
  private inlineCall(target: number): string | undefined {
    if (this.codes.get(target) === null) return undefined; // recursion
    // Cheap refusal first: a region of many instructions is not made just to be measured.
    let own = 0;
    for (const b of reversePostorder(this.cfg, target)) own += b.pcs.length;
    if (own > 2 * INLINE_MAX_INSNS + 8) return undefined;
    const { code, structured } = this.entryCode(target);
    if (!structured) return undefined;
    if ((code.match(/^\/\/ \d+: op /gm)?.length ?? 0) > INLINE_MAX_INSNS) return undefined;
    if (/\bSL\b|\bac\(|\bf\d+\(|rt\.(?!b = B\b|rl = l0; |rh = h0; return B;|limited\(|fp[lh]\[|host\.frames\[)/.test(code)) return undefined;
    const k = ++this.copies;
    const named = (id: string) => new RegExp(`\\b${id}\\b`).test(code);
    const copy = code
      .replace(/\b([lh])(\d+)\b/g, `$1$2_${k}`)
      .replace(/\bbreak X;/g, `break X_${k};`)
      .replace(/\bdepth\b/g, "(depth + 1)")
      .replace(/\bS\b/g, `S_${k}`)
      .split(`rt.rl = l0_${k}; rt.rh = h0_${k}; return B;`)
      .join(`l0 = l0_${k}; h0 = h0_${k}; break I_${k};`);
    // Direct accesses to the callee's stack: its frame's view (taken after the depth check passed).
    const init: string[] = /\bS\b/.test(code) ? [`S_${k} = rt.host.frames[depth + 1].view;`] : [];
    const regs: string[] = [];
    for (let r = 0; r < REG_FILE_SIZE; r++) {
      const used = named(L(r)) || named(H(r));
      const [l, h] = [`${L(r)}_${k}`, `${H(r)}_${k}`];
      if (r === 10) {
        if (used) init.push(`${l} = rt.fpl[depth + 1]; ${h} = rt.fph[depth + 1];`);
        regs.push(used ? `${l},${h}` : `rt.fpl[depth + 1],rt.fph[depth + 1]`);
        continue;
      }
      if (used) init.push(r >= 1 && r <= 5 ? `${l} = ${L(r)}; ${h} = ${H(r)};` : `${l} = 0; ${h} = 0;`);
      regs.push(used ? `${l},${h}` : "0,0");
    }
    return [
      `// inlined f${target}`,
      init.join(" "),
      `I_${k}: {`,
      `X_${k}: {`,
      copy,
      `}`,
      `ic = 1; return rt.limited(lp, pc, depth + 1, B, ${regs.join(",")});`,
      `}`,
    ].join("\n");
  }

  /** Code of block `b` without its final jump or exit. */
  private body(b: Block): string {
    const lines = [this.charge(b)];
    const last = b.pcs.length - 1;
    b.pcs.forEach((pc, i) => {
      if (i === last && b.end !== End.FALL) return;
      lines.push(`// ${pc}: op 0x${this.lp.op[pc]!.toString(16)}`, this.insn(pc));
    });
    return lines.join("\n");
  }

  private cond(b: Block): string {
    const lp = this.lp;
    const pc = b.pcs[b.pcs.length - 1]!;
    const code = lp.op[pc]!;
    const isX = (code & Source.X) !== 0;
    const jop = code & OP_MASK;
    const c = (code & CLASS_MASK) === Class.JMP ? cmp64(jop, lp.dst[pc]!, lp.src[pc]!, isX, lp.imm[pc]!) : cmp32(jop, lp.dst[pc]!, lp.src[pc]!, isX, lp.imm[pc]!);
    return c!;
  }

  private static readonly EXIT = `rt.rl = l0; rt.rh = h0; return B;`;

  private outside(pc: number): string {
    return `rt.b = B; ic = 1; throw new VmFault("call", ${pc}, "jump out of the program (${this.lp.slots} slots)", "EINVAL");`;
  }

  /** The blocks reachable from `entry` (within `seg`, if given) as a `switch (pc)` in a loop (irreducible regions). */
  private switched(entry: number, seg?: Segment & { later: number[] }): string {
    const order = reversePostorder(this.cfg, entry, seg?.has).sort((a, b) => a.index - b.index);
    const lines = [`L: for (;;) {`, `switch (pc) {`];
    const exit = seg ? SEGMENT_EXIT : ProgramWriter.EXIT;
    const jump = (t: number) => `pc = ${t}; continue L;`;
    order.forEach((b, i) => {
      lines.push(`case ${b.pcs[0]!}: {`, this.body(b));
      const next = order[i + 1]?.pcs[0];
      if (b.end === End.EXIT) lines.push(exit);
      else if (b.end === End.JUMP) lines.push(jump(b.target));
      else {
        if (b.end === End.COND) lines.push(`if (${this.cond(b)}) { ${jump(b.target)} }`);
        if (b.next !== next) lines.push(jump(b.next));
      }
      lines.push(`}`);
    });
    for (const p of seg?.later ?? []) lines.push(`case ${p}:`);
    if (seg && seg.later.length > 0) lines.push(segmentLeave("pc"));
    lines.push(`default:`, this.outside(-1).replace("-1", "pc"), `}`, `}`);
    return lines.join("\n");
  }

  /**
   * Where entry `entry`'s region splits into segments (see segmentsOf), or
   * undefined when it is small enough for one function.
   */
  private split(entry: number): Segment[] | undefined {
    const order = reversePostorder(this.cfg, entry);
    let total = 0;
    for (const b of order) total += b.pcs.length;
    if (total <= SEGMENT_MAX) return undefined;
    const segs = segmentsOf(this.cfg, order, entry, SEGMENT_TARGET);
    let largest = 0;
    for (const g of segs) if (g.size > largest) largest = g.size;
    if (largest > SEGMENT_MAX) {
      throw new RangeError(`a region of ${largest} instructions from slot ${entry} has no point to split it at (the JIT's limit for one function is ${SEGMENT_MAX})`);
    }
    return segs;
  }

  /** The function for entry slot `entry`: its code, or a driver calling its segments in turn. */
  entryFunction(entry: number): void {
    const segs = this.split(entry);
    if (segs === undefined) {
      this.unit(`f${entry}`, entry, this.entryCode(entry).code, false);
      return;
    }
    for (const g of segs) {
      const later = segs.filter((x) => x.start > g.start).map((x) => x.start);
      const code = structure(this.cfg, g.start, {
        body: (b) => this.body(b),
        cond: (b) => this.cond(b),
        exit: () => SEGMENT_EXIT,
        outside: (pc) => (later.includes(pc) ? segmentLeave(`${pc}`) : this.outside(pc)),
      }, g.has) ?? this.switched(g.start, { ...g, later });
      this.unit(`s${g.start}`, g.start, code, true);
    }
    // The driver: r0..r11 as locals, handed on through G by each segment that
    // jumps to a later one (N its slot); segments run in slot order, control only goes forward.
    const nonParams = ALL_REGS.filter((id) => !PARAMS.has(id));
    const load = ALL_REGS.map((id, k) => `${id} = G[${k}];`).join(" ");
    const call = (g: Segment) => `B = s${g.start}(rt, depth, B, ${ALL_REGS.join(",")}); if (N < 0) return B; ${load}`;
    const emit = (x: string) => this.out.push(x);
    emit(`function f${entry}(rt, depth, B, ${ARGS}, l10, h10) {`);
    emit(`let ${nonParams.map((id) => `${id} = 0`).join(", ")};`);
    segs.forEach((g, i) => emit(i === 0 ? call(g) : `if (N === ${g.start}) { ${call(g)} }`));
    emit(`return B;`);
    emit(`}`);
  }

  /** One JavaScript function over `code` (an entry's, or a segment's when `segment`: then every register is a parameter). */
  private unit(name: string, entry: number, code: string, segment: boolean): void {
    // Only checked accesses (and atomics, probe loads, kernel stores) throw
    // with ic = 0, i.e. need the catch that refunds the rest of their block;
    // only direct stack accesses need S. Functions without them skip both
    // (calls into small leaf functions then cost little).
    const usesS = /\bv = S;/.test(code);
    const usesSL = /\bSL\b/.test(code);
    const mayFault = /\bac\(|rt\.(atomic|probe|kstore)\(/.test(code);
    // Without the catch, ic is never read: drop its writes. R (the runtime
    // ac() checks against) is set only where ac() is used.
    if (!mayFault) code = code.replace(/\bic = [01]; ?/g, "");
    if (!/\bac\(/.test(code)) code = code.replace(/ R = rt;/g, "");
    // A call can change the address space (helpers map and unmap): the cached region goes.
    else code = code.replace(/ R = rt;/g, " R = rt; CL = 1; CE = 0;");
    // Declare only the registers and temporaries the code names (smaller
    // functions: V8 inlines callees up to 460 bytes of bytecode); the
    // interpreter fallback gets 0 for registers never named (they are 0).
    const named = (id: string) => new RegExp(`\\b${id}\\b`).test(code);
    const regs = ALL_REGS;
    const params = segment ? new Set(ALL_REGS) : PARAMS;
    // Inlined callees' registers (l1_3 ...) are this function's locals too.
    const inlinedRegs = [...new Set(code.match(/\b[lh]\d+_\d+\b/g) ?? [])];
    const inlinedStacks = [...new Set(code.match(/\bS_\d+\b/g) ?? [])];
    const locals = [...regs.filter((id) => !params.has(id) && named(id)), ...inlinedRegs];
    const temps = ["t", "v", "f", "n"].filter(named);
    const emit = (s: string) => this.out.push(s);
    emit(segment ? `function ${name}(rt, depth, B, ${ALL_REGS.join(",")}) {` : `function ${name}(rt, depth, B, ${ARGS}, l10, h10) {`);
    const lets = [...locals.map((id) => `${id} = 0`), ...inlinedStacks.map((id) => `${id} = null`), `pc = ${entry}`, ...temps.map((id) => `${id} = ${id === "t" ? "0" : "null"}`)];
    if (mayFault) lets.push("ic = 0");
    emit(`let ${lets.join(", ")};`);
    // S: this frame's stack. r10 never changes here (fp), so r10 + constant is a fixed offset in it.
    if (usesS || usesSL) emit(`const S = rt.host.frames[depth].view;`);
    if (usesSL) emit(`const SL = rt.host.frames[depth].lo, SH = rt.host.frames[depth].hi | 0; let CH = 0, CL = 1, CE = 0, CW = 0, CV = null;`);
    if (/\bac\(/.test(code)) emit(`R = rt;`);
    if (mayFault) emit(`try {`);
    // Leaving X means a block the budget cannot cover starts at pc: the interpreter takes it from there.
    emit(`X: {`);
    emit(code);
    emit(`}`); // X
    const all = regs.map((id) => (params.has(id) || locals.includes(id) ? id : "0")).join(",");
    emit(`${mayFault ? "ic = 1; " : ""}return rt.limited(lp, pc, depth, B, ${all});`);
    if (mayFault) {
      emit(`} catch (e) {`);
      emit(`if (ic === 0 && e instanceof VmFault && e.pc >= 0 && e.pc < A.length) rt.b = B + A[e.pc];`);
      emit(`throw e;`);
      emit(`}`);
    }
    emit(`}`);
  }
}

/** Generates the JavaScript for `lp` (the body of a factory `(K) => JitFn`), and the slots it can be entered at. */
export function generate(lp: LoadedProgram, extraEntries: readonly number[] = []): { source: string; entries: Set<number>; refund: Int32Array } {
  const cfg = buildCfg(lp, extraEntries);
  const w = new ProgramWriter(lp, cfg);
  const emit = (s: string) => w.out.push(s);
  const entries = [...cfg.entries].sort((a, b) => a - b);
  emit(`"use strict";`);
  emit(`const { ${Object.keys(SHARED).join(", ")}, lp, A } = K;`);
  emit(`const T = new Int32Array(2), imul = Math.imul;`);
  // Segments of a split entry function hand registers to the driver in G (read back at once, so one G serves every frame).
  emit(`const G = new Int32Array(${2 * REG_FILE_SIZE}); let N = 0;`);
  for (const line of ACCESS_FN) emit(line);
  // Code reachable from several entries is compiled into each of their
  // functions: bound the total, so that a program whose calls land inside
  // one long body (only an unverified one can) does not compile for long.
  let total = 0;
  for (const e of entries) for (const b of reversePostorder(cfg, e)) total += b.pcs.length;
  if (total > JIT_MAX_EMITTED) throw new RangeError(`program needs ${total} instructions compiled for its ${entries.length} entries, over the JIT's limit of ${JIT_MAX_EMITTED}`);
  for (const e of entries) w.entryFunction(e);
  emit(`return function jit_${lp.name.replace(/[^A-Za-z0-9_]/g, "_").slice(0, 40)}(rt, entry, depth, ${ARGS}, l10, h10) {`);
  emit(`switch (entry) {`);
  for (const e of entries) emit(`case ${e}: rt.b = f${e}(rt, depth, rt.b, ${ARGS}, l10, h10); return;`);
  emit(`}`);
  emit(`throw new Error("jit: no entry at slot " + entry);`);
  emit(`};`);
  return { source: w.out.join("\n"), entries: new Set(entries), refund: cfg.refund };
}

/**
 * Largest program compiled (slots). V8 optimizes no function over 60 KiB of
 * bytecode (--max-optimized-bytecode-size), and a compiled program that stays
 * unoptimized runs slower than the interpreter: at about 70 bytes of bytecode
 * per slot, an entry function stays under it up to ~800 instructions. Larger
 * entry regions are split into segments (segments.ts), each a function of
 * its own; this bound only limits compile time.
 */
export const JIT_MAX_SLOTS = 8192;

/** An entry region over this many instructions is split into segments; no segment may be larger (the program is refused then). */
export const SEGMENT_MAX = 800;
/** The size a segment grows to before it is cut at the next point that allows a cut. */
export const SEGMENT_TARGET = 400;

/** Largest callee inlined at a call site (instructions besides jumps and exits, counting those it inlined itself). */
export const INLINE_MAX_INSNS = 40;

/** Most instructions compiled over all of a program's entry functions (shared code counts once per entry reaching it). */
export const JIT_MAX_EMITTED = JIT_MAX_SLOTS;

/** Compiles `lp` into a JitProgram (does not store it on lp). Throws for programs over JIT_MAX_SLOTS. */
export function compileProgram(lp: LoadedProgram, extraEntries: readonly number[] = []): JitProgram {
  if (lp.slots > JIT_MAX_SLOTS) throw new RangeError(`program of ${lp.slots} slots is over the JIT's limit of ${JIT_MAX_SLOTS}`);
  const { source, entries, refund } = generate(lp, extraEntries);
  const factory = new Function("K", source) as (k: unknown) => JitFn;
  const fn = factory({ ...SHARED, lp, A: refund });
  warm(fn, entries);
  return { source, fn, entries, variants: new Map() };
}
