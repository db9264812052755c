// perf_event programs (SEC("perf_event"): profile, runqlen, llcstat in
// libbpf-tools) on the synthetic kernel: a "perf_event" link stands for
// perf_event_open(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK) on every CPU
// plus PERF_EVENT_IOC_SET_BPF. The CPU clock's sample fires from each CPU's
// local timer interrupt (the program runs at hrtimer_interrupt's entry, as
// perf_swevent_hrtimer does from the hrtimer queue), once per tick, with a
// struct bpf_perf_event_data: the pt_regs of the code the interrupt stopped
// (a user task's registers as its last syscall saved them; a kernel or idle
// context's: kernel cs and ip in the interrupt entry), sample_period (the
// tick's length in ns: the cpu-clock event counts nanoseconds) and addr 0.
// A sample of user-mode code has no kernel callchain: while its program
// runs the kernel stack is empty (bpf_get_stackid/bpf_get_stack without
// BPF_F_USER_STACK give -EFAULT, as get_perf_callchain skips the kernel
// part for user-mode regs); a kernel-mode sample's stack is the interrupt's.
// Other perf event kinds (hardware counters, tracepoint events) are refused.
import type { Kernel } from "../kernel-model/kernel.js";
import { syscallRegsOf } from "../kernel-model/paths/syscalls.js";
import { RunGuard } from "../trampoline/run-guard.js";
import { ctxRunner } from "../trampoline/trampoline.js";
import { RegionKind } from "../vm/memory.js";
import { PERF_EVENT_DATA_SIZE, PT_REGS_SIZE } from "../vm/verifier/prog-types.js";
import type { KernelEnv } from "../vm/env.js";
import type { Bpf } from "./bpf.js";

/** The event a perf_event link samples on (the only one modelled). */
export const CPU_CLOCK = "cpu-clock";
/** The tick's length (HZ=1000): what the cpu-clock event counts between two samples. */
export const TICK_NS = 1_000_000n;
/** The function whose entry is each CPU's timer interrupt. */
export const TIMER_INTERRUPT = "hrtimer_interrupt";
/** __KERNEL_CS: regs of interrupted kernel code. */
const KERNEL_CS = 0x10n;
/** Offsets in struct pt_regs (x86-64): ip, cs, flags, sp. */
const REG_IP = 16 * 8;
const REG_CS = 17 * 8;

/** Registers the "perf_event" attach type on `bpf`, sampling `kernel`'s CPUs; `env` is the helpers' environment of `bpf`. */
export function installPerfEventAttach(bpf: Bpf, kernel: Kernel, env: KernelEnv): void {
  const guard = new RunGuard();
  // While a user-mode sample's program runs, the kernel has no callchain for it.
  let userMode = false;
  const kernelStack = env.kernelStack;
  if (kernelStack) env.kernelStack = () => (userMode ? [] : kernelStack());
  bpf.registerAttachHandler("perf_event", (prog, target) => {
    if (prog.type !== "perf_event") return { errno: -22, message: `attach type perf_event needs a perf_event program, not ${prog.type}` };
    const event = target.name ?? CPU_CLOCK;
    if (event !== CPU_CLOCK) return { errno: -95, message: `perf event '${event}' is not modelled (the synthetic CPUs have the software ${CPU_CLOCK} event only)` };
    const timer = kernel.functions.named(TIMER_INTERRUPT)[0];
    if (!timer) return { errno: -2, message: `no ${TIMER_INTERRUPT} in the kernel to sample from` };
    const bytes = new Uint8Array(PERF_EVENT_DATA_SIZE);
    const ctx = bpf.mem.map(RegionKind.CTX, bytes, { writable: false, label: `perf_event ${CPU_CLOCK} sample` });
    // The sample's u64 slots (little-endian host: the kernel's byte order): pt_regs, sample_period, addr.
    const slots = new BigUint64Array(bytes.buffer, 0, PERF_EVENT_DATA_SIZE / 8);
    const regs = bytes.subarray(0, PT_REGS_SIZE);
    const runner = ctxRunner(prog);
    const off = kernel.functions.attach(timer, {
      entry: () => {
        // The recursion guard, inline; the program runs through runCtx (no options or result object per sample).
        if (guard.depth > 0) return;
        guard.depth++;
        try {
          const task = kernel.current();
          const user = task.pid !== 0 ? syscallRegsOf(kernel, task.pid) : undefined;
          if (user !== undefined) kernel.memory.readKernel(regs, user);
          else {
            regs.fill(0);
            slots[REG_IP / 8] = timer.address;
            slots[REG_CS / 8] = KERNEL_CS;
          }
          slots[PT_REGS_SIZE / 8] = TICK_NS;
          slots[PT_REGS_SIZE / 8 + 1] = 0n;
          userMode = user !== undefined;
          runner.runCtx(ctx);
        } finally {
          userMode = false;
          guard.depth--;
        }
      },
      keepsFrame: false,
    });
    return () => {
      off();
      bpf.mem.unmap(ctx);
    };
  });
}
