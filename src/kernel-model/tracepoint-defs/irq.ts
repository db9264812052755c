// The irq, softirq, timer and workqueue events (ids 1700-1799).
import type { TracepointDef } from "../tracepoints.js";

export function irqTracepoints(): TracepointDef[] {
  return [
  ];
}
