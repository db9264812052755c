// do_check's log as Linux 6.12 writes it (kernel/bpf/verifier.c do_check,
// kernel/bpf/log.c print_insn_state): which registers and stack slots the
// last instruction scratched (read or written), the write marks of a state
// since its last checkpoint (`_w`, REG_LIVE_WRITTEN), the state printed after
// an instruction at the alignment column or on its own `N:` line, the
// `from X to Y:` and `safe` lines, the call and return blocks, the source
// line before an instruction (verbose_linfo), and level 1's rewinding of the
// log to the branch point when a path is popped (pop_log).
import { LOG_CAP, type LineInfoRecord } from "./context.js";
import { alignmentPad, formatFrame } from "./log.js";
import type { VerifierState } from "./types.js";

/** Write marks of a state, per frame: registers (bit i: Ri) and stack slots (bit spi). */
export interface WriteMarks {
  regs: number[];
  slots: bigint[];
}

export function emptyMarks(frames: number): WriteMarks {
  return { regs: new Array<number>(frames).fill(0), slots: new Array<bigint>(frames).fill(0n) };
}

export function copyMarks(m: WriteMarks, frames: number): WriteMarks {
  const c = { regs: m.regs.slice(0, frames), slots: m.slots.slice(0, frames) };
  while (c.regs.length < frames) c.regs.push(0), c.slots.push(0n);
  return c;
}

/** Where the log stood when a branch was pushed (level 1 goes back there when it is popped). */
export interface LogMark {
  length: number;
  last: string | undefined;
}

const ALL_SLOTS = (1n << 64n) - 1n;

export class InsnLog {
  private scratchedRegs = 0x7ff;
  private scratchedSlots = ALL_SLOTS;
  /** The log's length right after the last instruction line (the kernel's prev_log_pos); -1 before any. */
  private insnEnd = -1;
  /** After a rewind over an annotated line: the kernel's log then goes on on that line (see rewind). */
  private joinNext = false;
  /** The source line printed last (the kernel's prev_linfo: a rewind does not forget it). */
  private prevLine: LineInfoRecord | undefined;

  private readonly push: (line: string) => void;

  constructor(
    private readonly lines: string[],
    push: (line: string) => void,
    private readonly lineInfo: readonly LineInfoRecord[] = [],
    private readonly btfName?: (id: number) => string | undefined,
  ) {
    this.push = (line) => {
      if (this.joinNext) {
        this.joinNext = false;
        lines[lines.length - 1] += line;
      } else push(line);
    };
  }

  /** The log is full: nothing more is kept, so nothing needs formatting. */
  get full(): boolean {
    return this.lines.length > LOG_CAP;
  }

  /** mark_verifier_state_scratched: everything is printed next time. */
  scratchAll(): void {
    this.scratchedRegs = 0x7ff;
    this.scratchedSlots = ALL_SLOTS;
  }

  scratchRegs(mask: number): void {
    this.scratchedRegs |= mask;
  }

  scratchSlot(spi: number): void {
    this.scratchedSlots |= 1n << BigInt(spi);
  }

  /** One frame of `state` in print_verifier_state's text (leading space per item, no newline). */
  frameText(state: VerifierState, marks: WriteMarks, fi: number, view: { regs: number | "all"; slots: bigint | "all" }): string {
    const f = state.frames[fi]!;
    return formatFrame(f, {
      ...view,
      writtenRegs: marks.regs[fi] ?? 0,
      writtenSlots: marks.slots[fi] ?? 0n,
      refs: [...state.refs.keys()],
      frameno: fi,
      callback: f.callbackOf >= 0,
      ...(this.btfName ? { btfName: this.btfName } : {}),
    });
  }

  /**
   * print_insn_state: the scratched part of the current frame, after the
   * last instruction's text when nothing was printed since, else on its own
   * line `N:`; then nothing is scratched.
   */
  insnState(pc: number, state: VerifierState, marks: WriteMarks): void {
    if (this.scratchedRegs === 0 && this.scratchedSlots === 0n) return;
    if (this.full) return;
    const text = this.frameText(state, marks, state.frames.length - 1, { regs: this.scratchedRegs, slots: this.scratchedSlots });
    const lines = this.lines;
    if (this.insnEnd > 0 && lines.length === this.insnEnd) {
      // (After a rewind to just after this line, the kernel backs over the blank that replaced its newline.)
      const insn = this.joinNext ? lines[lines.length - 1]!.slice(0, -1) : lines[lines.length - 1]!;
      this.joinNext = false;
      lines[lines.length - 1] = `${insn}${alignmentPad(insn)};${text}`;
    } else {
      this.push(`${pc}:${text}`);
    }
    this.scratchedRegs = 0;
    this.scratchedSlots = 0n;
  }

  /**
   * verbose_linfo: the source line of instruction `pc` (the last record at or
   * before it), unless it is the record printed last or the same line of the
   * same file: `; <text without leading blanks> @ <file's base name>:<line>`.
   */
  sourceLine(pc: number): void {
    const li = this.lineInfo;
    let lo = 0;
    let hi = li.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (li[mid]!.insnOff <= pc) (found = mid), (lo = mid + 1);
      else hi = mid - 1;
    }
    // (The kernel requires a record at 0; without one, nothing is printed before the first record.)
    const rec = found >= 0 ? li[found] : undefined;
    const prev = this.prevLine;
    if (!rec || rec === prev || (prev && rec.fileName === prev.fileName && rec.lineNum === prev.lineNum)) return;
    this.push(`; ${rec.line.replace(/^[ \t\n\v\f\r]+/, "")} @ ${rec.fileName.slice(rec.fileName.lastIndexOf("/") + 1)}:${rec.lineNum}`);
    this.prevLine = rec;
  }

  /** An instruction's line `N: (op) text`, after its source line. */
  insn(pc: number, line: string): void {
    this.sourceLine(pc);
    this.push(line);
    this.insnEnd = this.lines.length;
  }

  /** `from X to Y:` and the whole current frame, after a blank line (level 2, the first instruction of a popped path). */
  from(from: number, to: number, state: VerifierState, marks: WriteMarks): void {
    if (this.full) return;
    this.push("");
    this.push(`from ${from} to ${to}:${this.frameText(state, marks, state.frames.length - 1, { regs: "all", slots: "all" })}`);
  }

  /** A pruned path: `from X to Y: safe` on the first instruction of a popped path, else `Y: safe`. */
  safe(pc: number, from: number | undefined): void {
    if (from === undefined) this.push(`${pc}: safe`);
    else {
      this.push("");
      this.push(`from ${from} to ${pc}: safe`);
    }
  }

  /** check_func_call's block: the caller (its r0-r5 cleared by the call) and the callee, whole. */
  call(state: VerifierState, marks: WriteMarks): void {
    if (this.full) return;
    const n = state.frames.length;
    this.push("caller:");
    this.push(this.frameText(state, marks, n - 2, { regs: 0x7c0, slots: "all" }));
    this.push("callee:");
    this.push(this.frameText(state, marks, n - 1, { regs: "all", slots: "all" }));
  }

  /** prepare_func_exit's block: the callee as it returned, then the caller at the return slot. */
  ret(callee: VerifierState, calleeMarks: WriteMarks, caller: VerifierState, callerMarks: WriteMarks, to: number): void {
    if (this.full) return;
    this.push("returning from callee:");
    this.push(this.frameText(callee, calleeMarks, callee.frames.length - 1, { regs: "all", slots: "all" }));
    this.push(`to caller at ${to}:`);
    this.push(this.frameText(caller, callerMarks, caller.frames.length - 1, { regs: "all", slots: "all" }));
  }

  /** Where the log stands, to come back to (push_stack's log_pos). */
  mark(): LogMark {
    return { length: this.lines.length, last: this.lines[this.lines.length - 1] };
  }

  /**
   * pop_stack at level 1: the log goes back to where the branch was pushed,
   * just after the jump's line and its newline. The state printed after the
   * jump had replaced that newline with the first blank of its padding, so
   * the jump's line keeps a blank and the log goes on on the same line, as
   * the kernel's does (`2: (25) if r6 > 0xa goto pc+1 4: R0=0 ...`).
   */
  rewind(m: LogMark): void {
    const lines = this.lines;
    lines.length = Math.min(lines.length, m.length);
    if (m.last === undefined || lines.length !== m.length) return;
    if (lines[m.length - 1] !== m.last) {
      lines[m.length - 1] = `${m.last} `;
      this.joinNext = true;
    }
  }
}
