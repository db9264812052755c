// Every model kernel's tracepoints, one table per area.
import type { TracepointDef } from "../tracepoints.js";
import { blockTracepoints } from "./block.js";
import { irqTracepoints } from "./irq.js";
import { mmTracepoints } from "./mm.js";
import { netTracepoints } from "./net.js";
import { schedTracepoints } from "./sched.js";
import { syscallsTracepoints } from "./syscalls.js";

/** The tracepoints every model kernel has. */
export function standardTracepoints(): TracepointDef[] {
  return [...schedTracepoints(), ...netTracepoints(), ...blockTracepoints(), ...syscallsTracepoints(), ...mmTracepoints(), ...irqTracepoints()];
}
