// kprobes, the older path (seed 000): a breakpoint on the function entry
// traps, the handler saves every register into an x86-64 `struct pt_regs`
// (arguments in di, si, dx, cx, r8, r9; ip one past the breakpoint) and runs
// the program on it. kretprobes replace the return address: on return, ax
// holds the result and ip is the kretprobe trampoline's address, as in
// Linux. The full register save on every hit is the mechanism's real cost.
import type { FunctionHook, FunctionTable, KernelFunction } from "../kernel-model/functions.js";
import { RunGuard } from "./run-guard.js";
import { RegionKind, type AddressSpace, type Region } from "../vm/memory.js";
import { PT_REGS_SIZE } from "../vm/verifier/prog-types.js";
import { bindCallInfo, ctxRunner, NO_CALL_INFO, type CallInfo, type CallInfoCell, type TracingProgram } from "./trampoline.js";

/** struct pt_regs field offsets (x86-64, arch/x86/include/asm/ptrace.h). */
export const PtRegs = {
  r15: 0, r14: 8, r13: 16, r12: 24, bp: 32, bx: 40, r11: 48, r10: 56, r9: 64, r8: 72,
  ax: 80, cx: 88, dx: 96, si: 104, di: 112, orig_ax: 120, ip: 128, cs: 136, flags: 144, sp: 152, ss: 160,
} as const;
/** Argument registers of the x86-64 SysV calling convention, as u64 slot indexes of pt_regs. */
const ARG_SLOTS = [PtRegs.di, PtRegs.si, PtRegs.dx, PtRegs.cx, PtRegs.r8, PtRegs.r9].map((off) => off / 8);
/** Kernel stack pointer recorded in the saved registers. */
const KERNEL_SP = 0xffffc9000001ff00n;
/** Where kretprobes send returns (the __kretprobe_trampoline symbol). */
export const KRETPROBE_TRAMPOLINE = 0xffffffff81e00000n;
const KERNEL_CS = 0x10n;
const EFLAGS_IF = 0x246n;

export class KprobeManager {
  private readonly regs: Region;
  private readonly slots: BigUint64Array;
  /** The registers of a hit before its arguments, ip and ax: zeros but orig_ax, cs, flags, sp, ss. */
  private readonly saved: BigUint64Array;
  /** Hits skipped because the program was already running on this path (kprobe "nmissed"). */
  missed = 0;
  private readonly info: CallInfoCell = { current: NO_CALL_INFO };

  constructor(
    private readonly functions: Pick<FunctionTable, "attachBatch" | "detachBatch">,
    mem: AddressSpace,
    private readonly guard = new RunGuard(),
  ) {
    const bytes = new Uint8Array(PT_REGS_SIZE);
    this.regs = mem.map(RegionKind.CTX, bytes, { writable: false, label: "kprobe pt_regs" });
    // u64 slots (little-endian host: the kernel's byte order); registers the trap sets the same way on every hit.
    this.slots = new BigUint64Array(bytes.buffer);
    this.saved = new BigUint64Array(PT_REGS_SIZE / 8);
    this.saved[PtRegs.orig_ax / 8] = BigInt.asUintN(64, -1n);
    this.saved[PtRegs.cs / 8] = KERNEL_CS;
    this.saved[PtRegs.flags / 8] = EFLAGS_IF;
    this.saved[PtRegs.sp / 8] = KERNEL_SP;
    this.saved[PtRegs.ss / 8] = 0x18n;
    // bpf_get_func_ip works in kprobe programs: the probed function's address (kretprobes too: they sit on a kprobe at entry).
    bindCallInfo(this.regs, this.info);
  }

  /** Attaches `prog` as a kprobe (entry) or kretprobe (return) on every target in one update. */
  attach(prog: TracingProgram, kind: "kprobe" | "kretprobe", targets: readonly KernelFunction[]): () => void {
    const hooks = targets.map((fn) => [fn, this.hook(prog, kind, fn)] as const);
    this.functions.attachBatch(hooks);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.functions.detachBatch(hooks);
    };
  }

  private hook(prog: TracingProgram, kind: "kprobe" | "kretprobe", fn: KernelFunction): FunctionHook {
    const guard = this.guard;
    const info = this.info;
    const regs = this.regs;
    const slots = this.slots;
    const saved = this.saved;
    const runner = ctxRunner(prog);
    const ip = fn.address + 1n;
    // What bpf_get_func_ip and the other call helpers see on this hook's hits.
    const hookInfo: CallInfo = { ...NO_CALL_INFO, ip: fn.address };
    const run = (args: readonly bigint[], ret: bigint | undefined) => {
      // The recursion guard, inline (this runs per hit).
      if (guard.depth > 0) {
        this.missed++;
        return;
      }
      guard.depth++;
      try {
        info.current = hookInfo;
        // Trap: save every register, as the int3 handler does (the constant ones from a template).
        slots.set(saved);
        for (let i = 0; i < ARG_SLOTS.length; i++) slots[ARG_SLOTS[i]!] = args[i] ?? 0n;
        if (ret === undefined) slots[PtRegs.ip / 8] = ip;
        else {
          slots[PtRegs.ax / 8] = ret;
          slots[PtRegs.ip / 8] = KRETPROBE_TRAMPOLINE;
        }
        runner.runCtx(regs);
      } finally {
        guard.depth--;
      }
    };
    // The registers are copied out of the frame, which the hook does not keep.
    return kind === "kprobe" ? { entry: (c) => run(c.args, undefined), keepsFrame: false } : { exit: (c, ret) => run(c.args, ret), keepsFrame: false };
  }
}
