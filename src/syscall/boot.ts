// Boots the embedded synthetic kernel behind the syscall layer: the one
// place that joins the kernel model to the bpf(2)-like surface, so user
// space gets a Bpf and never the model's internals.
import { encodeBtf } from "../btf/encode.js";
import { SyntheticKernel, WORKLOADS, type SyntheticKernelOptions, type WorkloadName } from "../kernel-model/synthetic.js";
import { syntheticVmlinux, syntheticVmlinuxBytes } from "../kernel-model/vmlinux.js";
import type { Machine } from "./machine.js";
import { AddressSpace } from "../vm/memory.js";
import { installTracingAttach } from "../trampoline/attach.js";
import { installPerfEventAttach } from "./perf-event.js";
import type { TrampolineManager } from "../trampoline/trampoline.js";
import { Bpf } from "./bpf.js";
import { installMapOps } from "./map-ops.js";
import { installIter } from "./iter.js";
import { packetSocketLayer } from "./socket-layer.js";
import { skbAccessOf } from "../kernel-model/packets.js";
import { LazyIterObjects } from "../kernel-model/iter-objects.js";
import { VMLINUX_BTF_ID, type KernelServices, type TracePipeLine } from "./types.js";
import { syntheticKconfig } from "./kconfig.js";

/** Unread trace_pipe lines kept (the trace buffer's capacity, in lines). */
export const TRACE_PIPE_MAX = 65536;
import type { Btf } from "../btf/btf.js";
import type { Kernel } from "../kernel-model/kernel.js";
import { buildScaleKernel, runRandomCalls } from "../kernel-model/scale.js";

export interface BootedKernel {
  /** The running model (drive workloads through it; user space should only hold `bpf`). */
  kernel: SyntheticKernel;
  bpf: Bpf;
  /** The trampolines behind fentry/fexit/fmod_ret links (for statistics). */
  trampolines: TrampolineManager;
  /** The objects only iterators walk (netlink sockets, IPv6 routes, standard files), made on first use. */
  iterObjects: LazyIterObjects;
}

/**
 * The encoded BTF of `kernel` (/sys/kernel/btf/vmlinux). The synthetic
 * kernel's is the blob its BTF was parsed from (what encoding it again
 * gives, byte for byte, without the ~20 ms of encoding at every start),
 * copied so that no reader can change the shared one.
 */
export function vmlinuxBytesOf(kernel: Kernel): Uint8Array {
  if (kernel instanceof SyntheticKernel && kernel.btf === syntheticVmlinux()) return syntheticVmlinuxBytes().slice();
  return encodeBtf(kernel.btf);
}

/** The services a syscall layer needs, from a model kernel. */
export function servicesOf(kernel: Kernel): KernelServices {
  let bytes: Uint8Array | undefined;
  // trace_pipe: each bpf_trace_printk line with the task, CPU and time it was written at (the kernel's
  // trace buffer keeps the newest lines: past TRACE_PIPE_MAX unread lines the oldest are overwritten).
  let pipe: TracePipeLine[] = [];
  const env = kernel.env();
  // Socket filters: their packets, and the converted stores to __sk_buff->cb[] in the sk_buff.
  env.skb = skbAccessOf(kernel);
  env.writeKernel = (addr, src) => {
    try {
      kernel.memory.writeKernel(addr, src);
      return 0;
    } catch {
      return -14;
    }
  };
  const tracePrintk = env.tracePrintk;
  env.tracePrintk = (text) => {
    tracePrintk(text);
    const t = env.currentTask();
    pipe.push({ timeNs: env.ktimeNs(), cpu: env.cpu(), pid: t.pid, comm: t.comm, text });
    if (pipe.length > TRACE_PIPE_MAX) pipe.splice(0, pipe.length - TRACE_PIPE_MAX);
  };
  return {
    readTracePipe: () => {
      const out = pipe;
      pipe = [];
      return out;
    },
    kconfig: syntheticKconfig,
    btf: kernel.btf,
    btfBytes: () => (bytes ??= vmlinuxBytesOf(kernel)),
    kallsyms: () => kernel.kallsyms().map((s) => ({ name: s.name, address: s.address, ...(s.btfId !== undefined ? { btfId: s.btfId } : {}) })),
    ksyms: () => kernel.ksyms().map((s) => ({ name: s.name, address: s.address, type: s.type, ...(s.btfId !== undefined ? { btfId: s.btfId } : {}) })),
    tracepoints: () =>
      kernel.tracepoints
        .all()
        .map((t) => ({ category: t.category, name: t.name, id: t.id, fields: t.fields, size: t.size, proto: t.proto }))
        .sort((a, b) => (a.category === b.category ? (a.name < b.name ? -1 : 1) : a.category < b.category ? -1 : 1)),
    mem: new AddressSpace(),
    env,
    nrCpus: kernel.tasks.cpus.length,
  };
}

/** Starts a synthetic kernel and opens its syscall surface. */
export function bootSyntheticKernel(options: SyntheticKernelOptions = {}): BootedKernel {
  const kernel = new SyntheticKernel(options);
  const services = servicesOf(kernel);
  const bpf = new Bpf(services);
  const trampolines = installTracingAttach(bpf, kernel.functions, kernel.btf, VMLINUX_BTF_ID, kernel.tracepoints);
  installPerfEventAttach(bpf, kernel, services.env);
  installMapOps(bpf, kernel);
  bpf.registerSocketLayer(packetSocketLayer(kernel, kernel.world));
  // BPF iterators: their netlink/ipv6_route/file objects are made on first use (slab addresses elsewhere stay put).
  const iterObjects = new LazyIterObjects(kernel);
  installIter(
    bpf,
    {
      tasks: () => kernel.tasks.all().map((t) => t.taskAddress),
      taskFiles: () => iterObjects.files(),
      netlink: () => iterObjects.netlink().map((o) => o.addr),
      ipv6Routes: () => iterObjects.routes().map((o) => o.addr),
    },
    kernel.btf,
  );
  return { kernel, bpf, trampolines, iterObjects };
}

/** The booted synthetic kernel as a Machine (what the tracer drives). */
export function machineOf(booted: BootedKernel): Machine {
  const { kernel, bpf } = booted;
  return {
    bpf,
    workloads: WORKLOADS,
    nrCpus: kernel.tasks.cpus.length,
    run: (workload, steps, untilNs) => {
      if (!(WORKLOADS as readonly string[]).includes(workload)) throw new RangeError(`no workload '${workload}' (have ${WORKLOADS.join(", ")})`);
      const durationNs = untilNs === undefined ? undefined : untilNs - kernel.clock.now();
      if (durationNs !== undefined && durationNs <= 0n) return 0;
      return kernel.run(workload as WorkloadName, { count: steps, ...(durationNs !== undefined ? { durationNs } : {}) });
    },
    nowNs: () => kernel.clock.now(),
    callCount: (name, kind) => kernel.groundTruth(name, kind),
  };
}

/**
 * A kernel made from any BTF (a real vmlinux, `--btf FILE`) in scale mode:
 * every FUNC callable at a made-up kallsyms address with a default body,
 * and one workload, `random`: calls to random functions with arguments
 * made from their BTF types (zero-filled typed objects, the kernel's tasks,
 * strings; kernel-model/scale-objects.ts).
 */
export function bootScaleMachine(btf: Btf, seed = 1): Machine {
  const kernel = buildScaleKernel(btf, { seed });
  const bpf = new Bpf(servicesOf(kernel));
  installTracingAttach(bpf, kernel.functions, kernel.btf, VMLINUX_BTF_ID, kernel.tracepoints);
  const fns = kernel.functions.all();
  return {
    bpf,
    workloads: ["random"],
    nrCpus: kernel.tasks.cpus.length,
    run: (workload, steps, untilNs) => {
      if (workload !== "random") throw new RangeError(`no workload '${workload}' in scale mode (have random)`);
      return runRandomCalls(kernel, steps, untilNs, fns);
    },
    nowNs: () => kernel.clock.now(),
    callCount: (name, kind) => kernel.groundTruth(name, kind),
  };
}
