// Simulated time: a monotonic nanosecond clock that only the simulation
// advances (ktime_get_ns), and a boot clock that also counts simulated
// suspend (ktime_get_boot_ns). Nothing here reads the host's clock.

export class Clock {
  private mono: bigint;
  private suspended = 0n;

  /** @param startNs where the monotonic clock starts (a booted machine is not at 0) */
  constructor(startNs = 5_000_000_000n) {
    this.mono = startNs;
  }

  /** ktime_get_ns(). */
  now(): bigint {
    return this.mono;
  }

  /** ktime_get_boot_ns(): monotonic plus time spent suspended. */
  boot(): bigint {
    return this.mono + this.suspended;
  }

  /** Advances simulated time. */
  advance(ns: bigint | number): void {
    const d = typeof ns === "bigint" ? ns : BigInt(ns);
    if (d < 0n) throw new RangeError("time only moves forward");
    this.mono += d;
  }

  /** Simulates a suspend of `ns` (boot clock only). */
  suspend(ns: bigint | number): void {
    this.suspended += BigInt(ns);
  }
}
