// Recursion protection shared by every attach point (trampolines, kprobes,
// tracepoints): while a BPF program runs, a traced function or tracepoint
// its helpers reach does not start another program; the skipped run is
// counted as a miss of the program that would have run. This is the
// kernel's per-CPU bpf_prog_active for kprobes and tracepoints; trampolines
// in the kernel only refuse re-entry of the same program, but btfsnoop
// runs one program at a time on its one interpreter, so any nesting counts.
export class RunGuard {
  /** Programs running right now (0 or 1). */
  depth = 0;

  /** Runs `body` as a program run, or returns false when another is already running. */
  enter(body: () => void): boolean {
    if (this.depth > 0) return false;
    this.depth++;
    try {
      body();
    } finally {
      this.depth--;
    }
    return true;
  }
}
