// The kmem, page allocator, percpu and lock events (ids 1600-1699).
import type { TracepointDef } from "../tracepoints.js";

export function mmTracepoints(): TracepointDef[] {
  return [
  ];
}
