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
import { callInfoOf, type CallInfo, type TracingProgram } from "./trampoline.js";

/** struct pt_regs field offsets (x86-64, arch/x86/include/asm/ptrace.h). */
export const PtRegs = {
  r15: 0, r14: 8, r13: 16, r12: 24, bp: 32, bx: 40, r11: 48, r10: 56, r9: 64, r8: 72,
  ax: 80, cx: 88, dx: 96, si: 104, di: 112, orig_ax: 120, ip: 128, cs: 136, flags: 144, sp: 152, ss: 160,
} as const;
/** Argument registers of the x86-64 SysV calling convention. */
const ARG_REGS = [PtRegs.di, PtRegs.si, PtRegs.dx, PtRegs.cx, PtRegs.r8, PtRegs.r9];
/** Kernel stack pointer recorded in the saved registers. */
const KERNEL_SP = 0xffffc9000001ff00n;
/** Where kretprobes send returns (the __kretprobe_trampoline symbol). */
export const KRETPROBE_TRAMPOLINE = 0xffffffff81e00000n;
const KERNEL_CS = 0x10n;
const EFLAGS_IF = 0x246n;

export class KprobeManager {
  private readonly regs: Region;
  /** Hits skipped because the program was already running on this path (kprobe "nmissed"). */
  missed = 0;
  private readonly info: CallInfo = { ip: 0n, btfId: 0, nargs: 0, cookie: 0n, hasRet: false };

  constructor(
    private readonly functions: Pick<FunctionTable, "attachBatch" | "detachBatch">,
    mem: AddressSpace,
    private readonly guard = new RunGuard(),
  ) {
    this.regs = mem.map(RegionKind.CTX, new Uint8Array(PT_REGS_SIZE), { writable: false, label: "kprobe pt_regs" });
    // bpf_get_func_ip works in kprobe programs: the probed function's address (kretprobes too: they sit on a kprobe at entry).
    callInfoOf.set(this.regs, this.info);
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
    const run = (args: readonly bigint[], ret: bigint | undefined) => {
      if (!this.guard.enter(() => fillAndRun(args, ret))) this.missed++;
    };
    const fillAndRun = (args: readonly bigint[], ret: bigint | undefined) => {
      this.info.ip = fn.address;
      // Trap: save every register, as the int3 handler does.
      const v = this.regs.view;
      for (let off = 0; off < PT_REGS_SIZE; off += 8) v.setBigUint64(off, 0n, true);
      ARG_REGS.forEach((off, i) => v.setBigUint64(off, BigInt.asUintN(64, args[i] ?? 0n), true));
      v.setBigUint64(PtRegs.orig_ax, BigInt.asUintN(64, -1n), true);
      v.setBigUint64(PtRegs.cs, KERNEL_CS, true);
      v.setBigUint64(PtRegs.flags, EFLAGS_IF, true);
      v.setBigUint64(PtRegs.sp, KERNEL_SP, true);
      v.setBigUint64(PtRegs.ss, 0x18n, true);
      if (ret === undefined) v.setBigUint64(PtRegs.ip, fn.address + 1n, true);
      else {
        v.setBigUint64(PtRegs.ax, ret, true);
        v.setBigUint64(PtRegs.ip, KRETPROBE_TRAMPOLINE, true);
      }
      prog.run({ ctx: this.regs });
    };
    return kind === "kprobe" ? { entry: (c) => run(c.args, undefined) } : { exit: (c, ret) => run(c.args, ret) };
  }
}
