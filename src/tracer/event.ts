// A decoded trace event: what the record decoder produces from one ring
// buffer record and what every output format (ksnoop text, NDJSON,
// Perfetto, the TUI) consumes. Types are referred to by BTF id; the
// formats render them with the session's BTF.

/** One captured value of an event. */
export interface TraceValue {
  /** As written in the spec: `skb`, `skb->sk`, `return`. */
  readonly name: string;
  /** The value's BTF type id (typedefs kept); 0 = unknown/void. */
  readonly typeId: number;
  /** The type as shown when no BTF id spells it: `char[]` for a tracepoint's `__data_loc char[]` string (typeId is then `char`). */
  readonly typeName?: string;
  /** For pointer values: the pointer (shown as `name = *(0x...)`). */
  readonly ptr?: bigint;
  /** The raw u64 (register value, member value, or pointer), as predicates saw it. */
  readonly raw: bigint;
  /**
   * What the data shows: for pointers the pointee type, else `typeId`.
   * `data` holds its bytes (user-space rendering) — possibly fewer than
   * `fullSize` (truncated) — and `text` the kernel's bpf_snprintf_btf
   * rendering when the program rendered it (`--render kernel`).
   */
  readonly dataTypeId: number;
  readonly data?: Uint8Array;
  readonly text?: string;
  /** Size of the whole object of `dataTypeId` (for `... /* N bytes of M *\/`). */
  readonly fullSize: number;
  /** For `char *` values captured as a string, and tracepoint `__data_loc char[]` strings. */
  readonly string?: string;
  /** Reading failed (negative errno, e.g. -14 for an unreadable pointer): data is absent. */
  readonly error?: number;
}

/** One event: a function entry or return (or a tracepoint hit). */
export interface TraceEvent {
  /** bpf_ktime_get_ns() at the event (simulated ns since boot). */
  readonly timeNs: bigint;
  readonly cpu: number;
  /** Thread group id (user-visible PID) and thread id. */
  readonly pid: number;
  readonly tid: number;
  readonly comm: string;
  /** Function name, or `category:name` for tracepoints. */
  readonly func: string;
  readonly kind: "entry" | "return" | "tracepoint";
  readonly values: readonly TraceValue[];
}
