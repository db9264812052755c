// The embedded synthetic kernel: its own BTF (headers/*.h), every FUNC
// callable at a kallsyms address, the modelled call paths (net, fs, block,
// sched) over objects in memory, tasks on CPUs, and seeded workloads. Same
// seed and options: the same sequence of calls, values and events.
import { Kernel } from "./kernel.js";
import { registerBtfFunctions } from "./scale.js";
import { staticDuplicates, syntheticVmlinux } from "./vmlinux.js";
import { installNetPaths, receiveOnce, sendOnce } from "./paths/net.js";
import { fileSession, installFsPaths } from "./paths/fs.js";
import { blockStep, installBlockPaths } from "./paths/block.js";
import { installSchedPaths, PROCESS_STEPS, schedStep } from "./paths/sched.js";
import { installProcessPaths, processStep } from "./paths/process.js";
import { installIrqPaths, interruptStep } from "./paths/irq.js";
import { installMmPaths, mmStep, type MmState } from "./paths/mm.js";
import { bpfStep, installBpfPaths } from "./paths/bpf.js";
import { buildWorld, type World } from "./paths/world.js";
import { forkObjects } from "./paths/process.js";
import type { SpawnOptions, Task } from "./tasks.js";

import { BtfKind } from "../btf/kinds.js";
import { sizeOf } from "../btf/layout.js";
import { WORKLOADS, type WorkloadName } from "./workload-names.js";

export { WORKLOADS, type WorkloadName };

export interface SyntheticKernelOptions {
  seed?: number;
  nrCpus?: number;
}

export interface WorkloadOptions {
  /** Stop after this many workload steps. */
  count?: number;
  /** Stop when simulated time has advanced this much (ns). */
  durationNs?: bigint;
  /** Steps per simulated second (spacing of the clock between steps). Default 10,000. */
  rate?: number;
}

const COMMS = ["systemd", "kthreadd", "sshd", "curl", "nginx", "postgres", "kworker/0:1", "bash", "iperf3"];

export class SyntheticKernel extends Kernel {
  readonly world: World;
  private readonly msgSizes = new Map<bigint, number>();
  private readonly bpfObject: (fd: bigint) => bigint | undefined;
  private readonly mm: MmState;

  constructor(options: SyntheticKernelOptions = {}) {
    super({ btf: syntheticVmlinux(), seed: options.seed ?? 1, nrCpus: options.nrCpus ?? 4 });
    registerBtfFunctions(this, this.btf);
    // Each function's body takes a fixed, name-derived time (40..399 ns), so durations are real (the table keeps it per function).
    this.functions.bodyTime = { cost: (fn) => bodyCost(fn.name), spend: (ns) => this.clock.advance(ns) };
    // The other copies of static functions defined in several units: same name and BTF id, own addresses.
    let extra = 0xffffffff82000000n;
    for (const [name, headers] of staticDuplicates()) {
      const first = this.functions.named(name)[0];
      if (!first) continue;
      for (let i = 1; i < headers.length; i++, extra += 0x40n) {
        this.functions.register({ ...first, address: extra, isStatic: true, impl: () => 0n });
      }
    }
    this.world = buildWorld(this);
    // The namespace every modelled socket and device is in is the kernel's init_net (a slab object here, .data in Linux).
    const net = this.btf.findByNameKind("net", BtfKind.STRUCT);
    if (net !== undefined) this.data.name("init_net", this.world.net, sizeOf(this.btf, net));
    installNetPaths(this, this.world, this.msgSizes);
    installFsPaths(this, this.world);
    installBlockPaths(this, this.world);
    installSchedPaths(this);
    installProcessPaths(this);
    this.mm = installMmPaths(this);
    this.bpfObject = installBpfPaths(this);
    installIrqPaths(this, this.world);
    // systemd (pid 1) and kthreadd (pid 2) are the idle task's children; services are systemd's, kernel threads kthreadd's.
    // User tasks go round the CPUs (so each has one to run), kernel threads likewise.
    const placed = { user: 0, kthread: 0 };
    COMMS.forEach((comm, i) => {
      const kthread = comm === "kthreadd" || comm.startsWith("kworker/");
      const parent = i < 2 ? 0 : kthread ? 2 : 1;
      const cpu = (kthread ? placed.kthread++ : placed.user++) % this.tasks.cpus.length;
      const t = this.spawn(comm, parent, { cpu, kthread });
      // Each CPU starts out running a user task (kernel threads sleep until woken).
      if (!kthread && this.tasks.cpus[t.cpu]!.current.pid === 0) this.tasks.switchTo(t.cpu, t);
    });
  }

  /** Starts a task as Kernel.spawn does, then gives it what fork gives (mm, files, fs, cred, pid: paths/process.ts). */
  override spawn(comm: string, parent = 0, options: SpawnOptions = {}): Task {
    const t = super.spawn(comm, parent, options);
    // The constructor's own spawns come after the world is built.
    if (this.world) forkObjects(this, t, this.world.vfs, this.world.net);
    return t;
  }

  /** Runs a workload; returns the number of steps taken. */
  run(workload: WorkloadName, options: WorkloadOptions = {}): number {
    const stepNs = BigInt(Math.max(1, Math.round(1e9 / (options.rate ?? 10_000))));
    const end = options.durationNs === undefined ? undefined : this.clock.now() + options.durationNs;
    const max = options.count ?? (end === undefined ? 1000 : Infinity);
    let steps = 0;
    while (steps < max && (end === undefined || this.clock.now() < end)) {
      this.cpu = this.rng.int(0, this.tasks.cpus.length - 1);
      if (workload === "mixed" && this.rng.chance(0.02)) bpfStep(this, this.bpfObject);
      else this.step(workload === "mixed" ? this.rng.pick(["net", "net", "fs", "block", "sched"] as const) : workload);
      interruptStep(this, this.world);
      this.clock.advance(stepNs);
      steps++;
    }
    return steps;
  }

  private step(w: Exclude<WorkloadName, "mixed">): void {
    switch (w) {
      case "net":
        if (this.rng.chance(0.5)) sendOnce(this, this.world, this.msgSizes);
        else receiveOnce(this, this.world);
        break;
      case "fs":
        if (this.rng.chance(0.8)) fileSession(this);
        else mmStep(this, this.mm);
        break;
      case "block":
        blockStep(this, this.world);
        break;
      case "sched": {
        const r = this.rng.int(0, 99);
        if (r < PROCESS_STEPS) processStep(this);
        else schedStep(this, r);
        break;
      }
    }
  }
}

/** A function's simulated body time: 40 + (FNV-1a of its name mod 360) ns. */
export function bodyCost(name: string): bigint {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return BigInt(40 + (h % 360));
}
