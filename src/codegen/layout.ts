// Byte layouts shared by the code generator (which writes them from BPF)
// and the tracer (which writes the per-target table and decodes the
// records): the per-target table entry, the working buffer the program
// fills, and the event record it emits to the ring buffer. Versioned:
// RECORD_VERSION changes whenever a record field moves. docs/architecture.md
// ("Trace records") documents the same layout for readers of the code.
import { MAX_DATA, MAX_HOPS, MAX_VALUES } from "../probe-spec/plan.js";

export { MAX_DATA, MAX_HOPS, MAX_VALUES };

/** Version in every record header. */
export const RECORD_VERSION = 1;

// ---- per-target table (hash map: u64 function ip -> entry) ----------------

/** Entry header: func_index u32, flags u32, func_btf_id u32, nvalues u32, npred u32, pad u32. */
export const Entry = {
  FUNC_INDEX: 0,
  FLAGS: 4,
  FUNC_BTF_ID: 8,
  NVALUES: 12,
  NPRED: 16,
  VALUES: 24,
} as const;
/** Entry flags. */
export const EntryFlag = {
  STASH: 1,
  /** Emit an event even when no value is captured in this phase (stack mode needs every entry and return). */
  ALWAYS: 2,
  /** latency: this target starts an interval (its first value is the key). */
  LAT_START: 4,
  /** latency: this target ends an interval. */
  LAT_END: 8,
} as const;

/**
 * Aggregation map key (56 bytes): a (value, bucket), the target's index, b
 * (heatmap time slot), then the count --by keys, zero when not asked for:
 * a2 (the second value: retval after an expression), tgid, tid, cpu, the
 * kernel stack id (bpf_get_stackid; negative: its error), comm, and the
 * call site's id (bpf_get_stackid of the stack past the traced function,
 * one frame deep: its return address).
 */
export const AggKey = { A: 0, FUNC: 8, B: 12, A2: 16, TGID: 24, TID: 28, CPU: 32, STACK: 36, COMM: 40, LOC: 56, SIZEOF: 64 } as const;
/** The bucket of values below a linear histogram's minimum (and of negative values in log2 histograms). */
export const BUCKET_UNDER = 0xffffffffffffffffn;

/** One value descriptor (48 bytes) in the entry. */
export const Desc = {
  /** u8: 1 = capture at entry, 2 = at return. */
  WHEN: 0,
  /** u8: 0 = argument, 1 = return value, 2 = the context's address (tracepoint record, raw_tp args). */
  SOURCE: 1,
  /** u8: argument index (0-based). */
  ARG: 2,
  /** u8: number of pointer hops. */
  NHOPS: 3,
  /** u8: 0 = the register itself, 1 = bytes in memory at cur + FINAL_OFF (or the __data_loc there: DescFlag.DATALOC). */
  FINAL: 4,
  /** u8: DescFlag bits. */
  FLAGS: 5,
  /** u8, u8: bitfield bit offset and size. */
  BIT_OFF: 6,
  BIT_SIZE: 7,
  /** s32[MAX_HOPS]: hop offsets. */
  HOPS: 8,
  /** s32: offset of a memory value from the last pointer. */
  FINAL_OFF: 24,
  /** u32: bytes of the value (memory values: bytes copied, <= MAX_DATA; __data_loc strings: most bytes copied). */
  SIZE: 28,
  /** u32: bytes of the pointee (pointers), string capacity (char *). */
  DATA_SIZE: 32,
  /** u32: 1 + index into the program's cast-target list (0 = no dynamic cast). */
  CAST: 36,
  /** u32: BTF id of what the data shows (kernel rendering). */
  TYPE_ID: 40,
  SIZEOF: 48,
} as const;
export const DescFlag = {
  /** The value is a pointer: the data is its pointee. */
  PTR: 1,
  /** The pointee is a NUL-terminated string (bpf_probe_read_kernel_str). */
  STRING: 2,
  SIGNED: 4,
  BITFIELD: 8,
  /** Render the data with bpf_snprintf_btf. */
  RENDER: 16,
  /**
   * A tracepoint `__data_loc` string (FINAL = 1): the u32 at cur + FINAL_OFF
   * is (length << 16 | offset from the record's start); the data is the
   * NUL-terminated string at cur + offset, at most min(length, SIZE) bytes;
   * raw is its first (up to 8) bytes, as for a char array.
   */
  DATALOC: 32,
} as const;

/** One predicate step (48 bytes), evaluated in order on a stack of booleans (postfix). */
export const Pred = {
  /** u8: PredOp. */
  OP: 0,
  /** u8: CMP: a mask of the outcomes that make it true (bit 0 less, bit 1 equal, bit 2 greater); STR: bytes to compare. */
  ARG: 1,
  /** u8: value index. */
  VALUE: 2,
  /** u8: CMP: signed comparison; STR: 1 when true means "differ" (!=). */
  FLAG: 3,
  /** u64: CMP constant. */
  CONST: 8,
  /** char[32]: STR literal, NUL-terminated. */
  STR: 16,
  SIZEOF: 48,
} as const;
export const PredOp = { END: 0, CMP: 1, STR: 2, AND: 3, OR: 4, NOT: 5 } as const;
/** Most predicate steps per target. */
export const MAX_PRED = 16;
/** Longest string literal in a predicate (plus its NUL). */
export const MAX_PRED_STR = 31;

export const ENTRY_SIZE = Entry.VALUES + MAX_VALUES * Desc.SIZEOF + MAX_PRED * Pred.SIZEOF;

// ---- the working buffer (per-CPU scratch, or the per-task stash) ----------

/** u64 raw[MAX_VALUES]: each value as predicates see it. */
export const BUF_RAWS = 0;
/** u64 dataoff[MAX_VALUES]: buffer offset of each value's data. */
export const BUF_DATAOFF = 64;
/** u64: the write offset, round-tripped through memory at each value so every path reaches it with the same verifier state. */
export const BUF_CURSOR = 128;
/** u64: the predicate's boolean stack, round-tripped the same way at each step. */
export const BUF_BITS = 136;
/** u64: the context's address as a number (event programs), round-tripped the same way. */
export const BUF_CTX = 144;
/** The record starts here; it is what goes to the ring buffer. */
export const BUF_RECORD = 152;

// ---- the record ----------------------------------------------------------

/** Record header (56 bytes). */
export const Rec = {
  VERSION: 0, // u16
  HEADER_LEN: 2, // u16
  TOTAL_LEN: 4, // u32: header + values
  TIME: 8, // u64 ktime ns
  CPU: 16, // u32
  TID: 20, // u32
  PID: 24, // u32 (tgid)
  FUNC_INDEX: 28, // u32: the target's index in the tracer's target list
  FLAGS: 32, // u32: RecFlag
  NVALUES: 36, // u32
  COMM: 40, // char[16]
  SIZEOF: 56,
} as const;
export const RecFlag = { RETURN: 1, STASHED: 2 } as const;

/** Value header (24 bytes), followed by data_len bytes of data padded to 8. */
export const Val = {
  RAW: 0, // u64
  DATA_LEN: 8, // u32
  ERR: 12, // s32: 0 or -errno
  SLOT: 16, // u16: index into the target's values
  FLAGS: 18, // u16: ValFlag
  SIZEOF: 24,
} as const;
export const ValFlag = { TEXT: 1 } as const;

/** Room one value may take in a record. */
export const VALUE_MAX = Val.SIZEOF + MAX_DATA;
/** The largest record. */
export const RECORD_MAX = Rec.SIZEOF + MAX_VALUES * VALUE_MAX;
/** The working buffer's size (map value size of the scratch and stash maps). */
export const BUF_SIZE = BUF_RECORD + RECORD_MAX + 8;

// ---- x86-64 struct pt_regs (the kprobe context; uapi asm/ptrace.h) --------

/** Offsets of the argument registers di, si, dx, cx, r8, r9 (libbpf's PT_REGS_PARM1..6). */
export const PT_REGS_ARGS: readonly number[] = [112, 104, 96, 88, 72, 64];
/** Offset of ax (PT_REGS_RC). */
export const PT_REGS_AX = 80;

// ---- counters (array map, u64 each) ----------------------------------------

export const Counter = {
  /** Records written to the ring buffer. */
  EMITTED: 0,
  /** Events a predicate (or the pid filter) dropped. */
  FILTERED: 1,
  /** Records the ring buffer had no room for. */
  LOST: 2,
  /** Returns whose entry was not stashed (entry missed or filtered). */
  STASH_MISS: 3,
  /** Entries stashed for their return. */
  STASHED: 4,
  /** Calls of functions without a table entry. */
  NO_ENTRY: 5,
  /** Stash entries that could not be stored (map full). */
  STASH_FULL: 6,
  COUNT: 8,
} as const;
