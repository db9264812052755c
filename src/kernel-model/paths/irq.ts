// Interrupts: hardware IRQs, softirqs, timers and workqueues, which run
// between the workloads' steps (interruptStep).
import type { Kernel } from "../kernel.js";
import type { World } from "./world.js";

export function installIrqPaths(_k: Kernel, _w: World): void {}

/** What interrupts do between two workload steps on the current CPU. */
export function interruptStep(_k: Kernel, _w: World): void {}
