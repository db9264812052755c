// The generic tracing program: one BPF program per phase (entry for
// fentry.multi, return for fexit.multi) serves every traced function. It
// finds the function's entry in the per-target table by its address
// (bpf_get_func_ip), then for each value descriptor reads the argument
// (bpf_get_func_arg) or the return value (bpf_get_func_ret), checks
// struct-pointer arguments with bpf_dynamic_cast, follows the pointer hops
// with checked kernel reads (bpf_probe_read_kernel), copies the value's
// bytes (or renders them with bpf_snprintf_btf), evaluates the predicate
// steps, and writes the record to the ring buffer (bpf_ringbuf_output).
// Loops over values, hops and predicate steps are unrolled, so the
// verifier sees straight-line code with constant table offsets. Pure:
// the same options give the same instructions.
import { HelperId, DYNAMIC_CAST_ID } from "../vm/helpers/protos.js";
import { ProgramBuilder } from "../vm/isa/builder.js";
import type { Instruction } from "../vm/isa/instruction.js";
import { AtomicOp, JmpOp, Size } from "../vm/isa/opcodes.js";
import {
  BUF_BITS,
  BUF_CTX,
  BUF_CURSOR,
  BUF_DATAOFF,
  BUF_RAWS,
  BUF_RECORD,
  BUF_SIZE,
  Counter,
  Desc,
  DescFlag,
  AggKey,
  Entry,
  EntryFlag,
  MAX_DATA,
  MAX_HOPS,
  MAX_PRED,
  MAX_VALUES,
  Pred,
  PredOp,
  PT_REGS_ARGS,
  PT_REGS_AX,
  Rec,
  RECORD_VERSION,
  RecFlag,
  Val,
  VALUE_MAX,
  ValFlag,
} from "./layout.js";

/** The maps a generated program refers to (fds in the loading process). */
export interface ProgramMaps {
  /** HASH u64 ip -> table entry. */
  targets: number;
  /** PERCPU_ARRAY[1] of BUF_SIZE: the working buffer. */
  scratch: number;
  /** LRU_HASH {u32 tid, u32 func_index} -> BUF_SIZE: entry records kept for their return (stash mode). */
  stash: number;
  /** RINGBUF: the records. */
  events: number;
  /** ARRAY u32 -> u64 counters (layout.ts Counter). */
  counters: number;
  /** Aggregation: HASH AggKey -> u64, and latency starts HASH u64 -> u64. */
  agg?: number;
  starts?: number;
  /** count --by kstack: STACK_TRACE u32 id -> the ips. */
  stacks?: number;
  /** count --by location: STACK_TRACE u32 id -> one ip (the return address). */
  locations?: number;
}

export interface ProgramOptions {
  phase: "entry" | "return";
  /**
   * fentry/fexit (tracing program, u64 args[] context), kprobe/kretprobe
   * (pt_regs context), or a tracepoint / raw_tp program (context = the
   * record / the u64 args; one program per event, its table key a constant).
   */
  mechanism?: "fentry" | "kprobe" | "tracepoint" | "raw_tp";
  /** tracepoint / raw_tp: the event's key in the per-target table. */
  tableKey?: bigint;
  maps: ProgramMaps;
  /** Struct ids bpf_dynamic_cast may be asked for (descriptor CAST = 1 + index). */
  castTargets: readonly number[];
  /** Generate the bpf_snprintf_btf rendering path. */
  renderKernel: boolean;
  /** Generate the path that reads tracepoint `__data_loc` strings (DescFlag.DATALOC; usesDataLoc over the targets). */
  dataLoc?: boolean;
  /** Only this thread id (ksnoop -p); undefined = all. */
  pid?: number;
  /** Aggregate in maps instead of emitting records (count, hist, lhist, latency). */
  aggregate?: AggregateOptions;
  /**
   * How much of the table the program must handle: the most values, pointer
   * hops and predicate steps any of its targets' entries use (default: the
   * layout's maxima). Fewer unrolled steps make a smaller program that
   * verifies faster and that the JIT compiles; entries must stay within it.
   */
  shape?: ProgramShape;
}

export interface ProgramShape {
  values: number;
  hops: number;
  predSteps: number;
}

/**
 * In-kernel aggregation of the first value of each event (after the
 * predicate): counts per (target, value), log2 or linear histograms, or
 * latencies between a start and an end target keyed by the value.
 */
export interface AggregateOptions {
  kind: "count" | "log2" | "linear" | "latency";
  /** count: key by the first value (count --by); otherwise one count per target. */
  byValue?: boolean;
  /** HASH AggKey -> u64 count. */
  aggMap: number;
  /** latency: HASH u64 key -> u64 start time. */
  startsMap?: number;
  /** linear: lowest value, bucket width, number of buckets. */
  min?: bigint;
  step?: bigint;
  buckets?: number;
  /** latency: heatmap time slot (ns); 0 or absent: no time dimension. */
  slotNs?: bigint;
  /** count: more key fields (count --by comm,pid,...); absent: none. */
  keys?: AggregateKeys;
}

/** The count --by keys beyond the first value, each a field of AggKey. */
export interface AggregateKeys {
  /** The second value (retval after an expression). */
  value2?: boolean;
  tgid?: boolean;
  tid?: boolean;
  cpu?: boolean;
  comm?: boolean;
  /** The kernel stack: bpf_get_stackid into this STACK_TRACE map. */
  stackMap?: number;
  /** The call site (return address): bpf_get_stackid skipping the traced function, into this one-frame STACK_TRACE map. */
  locationMap?: number;
}

const EINVAL = 22;
// Stack slots.
const CUR = -8;
const ERR = -16;
const RAW = -24;
const DLEN = -32;
const BITS = -40;
const TMP = -48;
const VFLAGS = -56;
const KEY = -64;
const CKEY = -72;
const BTF_PTR = -96;
/** 1 while fp[CUR] holds the context pointer itself (event programs): it must not reach arithmetic. */
const CTXF = -104;
/** The highest record offset a value may start at and still fit. */
const VALUE_LIMIT = BUF_SIZE - VALUE_MAX - 8;

/** The generic program for one phase. */
export function generateProgram(o: ProgramOptions): Instruction[] {
  const b = new ProgramBuilder();
  const phaseBit = o.phase === "entry" ? 1 : 2;
  b.mov64(6, 1);
  for (const slot of [CUR, ERR, RAW, DLEN, BITS, TMP, VFLAGS, KEY, CKEY, BTF_PTR, BTF_PTR + 8, CTXF]) b.st(Size.DW, 10, slot, 0);
  // The table entry of this function (or event).
  const isEvent = o.mechanism === "tracepoint" || o.mechanism === "raw_tp";
  if (isEvent) b.lddw(1, o.tableKey ?? 0n).stx(Size.DW, 10, KEY, 1);
  else b.mov64(1, 6).call(HelperId.get_func_ip!).stx(Size.DW, 10, KEY, 0);
  b.ldMapFd(1, o.maps.targets).mov64(2, 10).add64Imm(2, KEY).call(HelperId.map_lookup_elem!);
  b.jmpImm(JmpOp.JNE, 0, 0, "have_entry");
  count(b, o, Counter.NO_ENTRY, "noentry", false);
  b.mov64Imm(0, 0).exit().label("have_entry").mov64(7, 0);
  if (o.pid !== undefined) {
    b.call(HelperId.get_current_pid_tgid!).mov32(0, 0).jmpImm(JmpOp.JEQ, 0, o.pid, "pid_ok");
    count(b, o, Counter.FILTERED, "pid");
    b.mov64Imm(0, 0).exit().label("pid_ok");
  }

  if (o.phase === "return") {
    // Stash mode: continue the record the entry kept for this task.
    b.ldx(Size.W, 1, 7, Entry.FLAGS).and64Imm(1, EntryFlag.STASH).jmpImm(JmpOp.JEQ, 1, 0, "fresh");
    stashKey(b);
    b.ldMapFd(1, o.maps.stash).mov64(2, 10).add64Imm(2, KEY).call(HelperId.map_lookup_elem!);
    b.jmpImm(JmpOp.JNE, 0, 0, "have_stash");
    count(b, o, Counter.STASH_MISS, "smiss");
    b.mov64Imm(0, 0).exit().label("have_stash").mov64(8, 0);
    b.ldx(Size.W, 9, 8, BUF_RECORD + Rec.TOTAL_LEN).add64Imm(9, BUF_RECORD);
    b.jmpImm(JmpOp.JGT, 9, VALUE_LIMIT, "drop_stash").jmpImm(JmpOp.JLT, 9, BUF_RECORD + Rec.SIZEOF, "drop_stash");
    b.ja("values");
  }
  b.label("fresh").st(Size.W, 10, CKEY, 0);
  b.ldMapFd(1, o.maps.scratch).mov64(2, 10).add64Imm(2, CKEY).call(HelperId.map_lookup_elem!);
  b.jmpImm(JmpOp.JNE, 0, 0, "have_buf").mov64Imm(0, 0).exit().label("have_buf");
  b.mov64(8, 0).mov64Imm(9, BUF_RECORD + Rec.SIZEOF).st(Size.W, 8, BUF_RECORD + Rec.NVALUES, 0);

  b.label("values");
  const shape = o.shape ?? { values: MAX_VALUES, hops: MAX_HOPS, predSteps: MAX_PRED };
  for (let i = 0; i < Math.min(shape.values, MAX_VALUES); i++) captureValue(b, o, i, phaseBit, Math.min(shape.hops, MAX_HOPS));
  b.label("values_done");
  b.stx(Size.DW, 8, BUF_CURSOR, 9).ldx(Size.DW, 9, 8, BUF_CURSOR);
  b.jmpImm(JmpOp.JGT, 9, BUF_SIZE - 8, "quiet").jmpImm(JmpOp.JLT, 9, BUF_RECORD + Rec.SIZEOF, "quiet");

  if (o.phase === "entry") {
    // Stash mode: keep the entry values for the return; nothing is emitted now.
    b.ldx(Size.W, 1, 7, Entry.FLAGS).and64Imm(1, EntryFlag.STASH).jmpImm(JmpOp.JEQ, 1, 0, "no_stash");
    writeHeader(b, o.phase, false);
    stashKey(b);
    b.ldMapFd(1, o.maps.stash).mov64(2, 10).add64Imm(2, KEY).mov64(3, 8).mov64Imm(4, 0).call(HelperId.map_update_elem!);
    b.jmpImm(JmpOp.JEQ, 0, 0, "stashed");
    count(b, o, Counter.STASH_FULL, "sfull");
    b.mov64Imm(0, 0).exit().label("stashed");
    count(b, o, Counter.STASHED, "scount");
    b.mov64Imm(0, 0).exit().label("no_stash");
  }
  // Nothing captured in this phase: no event (ksnoop sends none either).
  // Nothing captured and the entry wants every event (stack mode, trees): emit it, no predicate (it has no values to test).
  b.ldx(Size.W, 1, 8, BUF_RECORD + Rec.NVALUES).jmpImm(JmpOp.JNE, 1, 0, "some");
  b.ldx(Size.W, 1, 7, Entry.FLAGS).and64Imm(1, EntryFlag.ALWAYS).jmpImm(JmpOp.JEQ, 1, 0, "quiet");
  b.ja("pass");
  b.label("some");

  predicate(b, Math.min(shape.predSteps, MAX_PRED));
  b.ldx(Size.DW, 1, 10, BITS).and64Imm(1, 1).jmpImm(JmpOp.JNE, 1, 0, "pass");
  count(b, o, Counter.FILTERED, "filt");
  if (o.phase === "return") deleteStash(b, o, "fdel");
  b.mov64Imm(0, 0).exit();

  b.label("pass");
  if (o.aggregate) {
    aggregateTail(b, o, o.aggregate);
    b.label("agg_exit");
    if (o.phase === "return") deleteStash(b, o, "adel");
    b.label("quiet").mov64Imm(0, 0).exit();
    if (o.phase === "return") {
      b.label("drop_stash");
      deleteStash(b, o, "ddel");
      count(b, o, Counter.STASH_MISS, "dmiss");
      b.mov64Imm(0, 0).exit();
    }
    return b.link();
  }
  writeHeader(b, o.phase, o.phase === "return");
  b.ldMapFd(1, o.maps.events).mov64(2, 8).add64Imm(2, BUF_RECORD).mov64(3, 9).add64Imm(3, -BUF_RECORD).mov64Imm(4, 0);
  b.call(HelperId.ringbuf_output!).jmpImm(JmpOp.JEQ, 0, 0, "sent");
  count(b, o, Counter.LOST, "lost");
  b.ja("out").label("sent");
  count(b, o, Counter.EMITTED, "emit");
  b.label("out");
  if (o.phase === "return") deleteStash(b, o, "odel");
  b.label("quiet").mov64Imm(0, 0).exit();
  if (o.phase === "return") {
    b.label("drop_stash");
    deleteStash(b, o, "ddel");
    count(b, o, Counter.STASH_MISS, "dmiss");
    b.mov64Imm(0, 0).exit();
  }
  return b.link();
}

/**
 * counters[row * Counter.COUNT + idx] += 1 (clobbers r0-r5): row 0 before
 * the table entry is known, else 1 + the target's index.
 */
function count(b: ProgramBuilder, o: ProgramOptions, idx: number, tag: string, perTarget = true): void {
  if (perTarget) b.ldx(Size.W, 1, 7, Entry.FUNC_INDEX).add64Imm(1, 1).mul64Imm(1, Counter.COUNT).add64Imm(1, idx).stx(Size.W, 10, CKEY, 1);
  else b.st(Size.W, 10, CKEY, idx);
  b.ldMapFd(1, o.maps.counters).mov64(2, 10).add64Imm(2, CKEY).call(HelperId.map_lookup_elem!);
  b.jmpImm(JmpOp.JEQ, 0, 0, `c_${tag}`).mov64Imm(1, 1).atomic(Size.DW, AtomicOp.ADD, 0, 0, 1).label(`c_${tag}`);
}

/**
 * fp[KEY] = the stash key: { u32 tid; u32 func_index; }. Per task and
 * function, so a stashed call that calls another stashed function (a glob's
 * tcp_sendmsg -> tcp_push ...) keeps its own entry values. A function that
 * recurses into itself pairs its innermost call; the outer return is then a
 * counted stash miss.
 */
function stashKey(b: ProgramBuilder): void {
  b.call(HelperId.get_current_pid_tgid!).stx(Size.W, 10, KEY, 0);
  b.ldx(Size.W, 1, 7, Entry.FUNC_INDEX).stx(Size.W, 10, KEY + 4, 1);
}

function deleteStash(b: ProgramBuilder, o: ProgramOptions, tag: string): void {
  b.ldx(Size.W, 1, 7, Entry.FLAGS).and64Imm(1, EntryFlag.STASH).jmpImm(JmpOp.JEQ, 1, 0, `${tag}_skip`);
  stashKey(b);
  b.ldMapFd(1, o.maps.stash).mov64(2, 10).add64Imm(2, KEY).call(HelperId.map_delete_elem!).label(`${tag}_skip`);
}

/** The record header: version, lengths, time, cpu, ids, target index, flags, comm. */
function writeHeader(b: ProgramBuilder, phase: "entry" | "return", stashed: boolean): void {
  const H = BUF_RECORD;
  b.st(Size.H, 8, H + Rec.VERSION, RECORD_VERSION).st(Size.H, 8, H + Rec.HEADER_LEN, Rec.SIZEOF);
  b.mov64(1, 9).add64Imm(1, -BUF_RECORD).stx(Size.W, 8, H + Rec.TOTAL_LEN, 1);
  b.call(HelperId.ktime_get_ns!).stx(Size.DW, 8, H + Rec.TIME, 0);
  b.call(HelperId.get_smp_processor_id!).stx(Size.W, 8, H + Rec.CPU, 0);
  b.call(HelperId.get_current_pid_tgid!).stx(Size.W, 8, H + Rec.TID, 0).rsh64Imm(0, 32).stx(Size.W, 8, H + Rec.PID, 0);
  b.ldx(Size.W, 1, 7, Entry.FUNC_INDEX).stx(Size.W, 8, H + Rec.FUNC_INDEX, 1);
  const flags = phase === "return" ? RecFlag.RETURN : 0;
  if (stashed) {
    // STASHED only when the entry said so (the record carries entry values).
    b.ldx(Size.W, 1, 7, Entry.FLAGS).and64Imm(1, EntryFlag.STASH).lsh64Imm(1, 1).or64Imm(1, flags).stx(Size.W, 8, H + Rec.FLAGS, 1);
  } else {
    b.st(Size.W, 8, H + Rec.FLAGS, flags);
  }
  b.mov64(1, 8).add64Imm(1, H + Rec.COMM).mov64Imm(2, 16).call(HelperId.get_current_comm!);
}

/** Value descriptor `i`: capture it into the record if it belongs to this phase. */
function captureValue(b: ProgramBuilder, o: ProgramOptions, i: number, phaseBit: number, hops: number): void {
  const D = Entry.VALUES + i * Desc.SIZEOF;
  const L = (s: string) => `v${i}_${s}`;
  // Every path arrives with the same state: scratch registers and slots
  // zeroed, and the offset reloaded from memory (bounds forgotten, then
  // re-checked), so the verifier prunes instead of exploring 3^i paths.
  b.stx(Size.DW, 8, BUF_CURSOR, 9).ldx(Size.DW, 9, 8, BUF_CURSOR);
  for (let r = 0; r <= 5; r++) b.mov64Imm(r as 0, 0);
  b.st(Size.DW, 10, TMP, 0).st(Size.DW, 10, BTF_PTR, 0).st(Size.DW, 10, BTF_PTR + 8, 0).st(Size.DW, 10, CTXF, 0);
  b.jmpImm(JmpOp.JGT, 9, VALUE_LIMIT, "values_done").jmpImm(JmpOp.JLT, 9, BUF_RECORD + Rec.SIZEOF, "values_done");
  b.ldx(Size.W, 1, 7, Entry.NVALUES).jmpImm(JmpOp.JLE, 1, i, "values_done");
  b.ldx(Size.B, 1, 7, D + Desc.WHEN).and64Imm(1, phaseBit).jmpImm(JmpOp.JEQ, 1, 0, L("next"));
  b.st(Size.DW, 10, ERR, 0).st(Size.DW, 10, RAW, 0).st(Size.DW, 10, DLEN, 0).st(Size.DW, 10, VFLAGS, 0).st(Size.DW, 10, CUR, 0);

  // The source: an argument or the return value.
  if (o.mechanism === "tracepoint" || o.mechanism === "raw_tp") {
    // The context's address: fields and arguments are memory values at offsets in it.
    // As a number (round-tripped through the buffer): offsets from it are read with
    // bpf_probe_read_kernel, since the verifier allows only constant offsets on ctx.
    b.stx(Size.DW, 8, BUF_CTX, 6).ldx(Size.DW, 2, 8, BUF_CTX).stx(Size.DW, 10, CUR, 2).st(Size.DW, 10, CTXF, 1).mov64Imm(0, 0);
  } else {
    sourceRead(b, o, D, L);
  }
  b.label(L("src")).jmpImm(JmpOp.JSLT, 0, 0, L("err"));
  captureRest(b, o, i, D, L, hops);
}

/** fp[CUR] = the argument (arg_index) or the return value; r0 < 0 on failure. */
function sourceRead(b: ProgramBuilder, o: ProgramOptions, D: number, L: (s: string) => string): void {
  b.ldx(Size.B, 1, 7, D + Desc.SOURCE).jmpImm(JmpOp.JNE, 1, 0, L("ret"));
  if (o.mechanism === "kprobe") {
    // pt_regs: argument registers by constant offsets, the return value in ax.
    b.ldx(Size.B, 2, 7, D + Desc.ARG).mov64Imm(0, -EINVAL);
    PT_REGS_ARGS.forEach((off, a) => {
      b.jmpImm(JmpOp.JNE, 2, a, L(`a${a}`)).ldx(Size.DW, 3, 6, off).stx(Size.DW, 10, CUR, 3).mov64Imm(0, 0).ja(L("src"));
      b.label(L(`a${a}`));
    });
    b.ja(L("src"));
    b.label(L("ret")).ldx(Size.DW, 3, 6, PT_REGS_AX).stx(Size.DW, 10, CUR, 3).mov64Imm(0, 0);
  } else {
    b.ldx(Size.B, 2, 7, D + Desc.ARG).mov64(1, 6).mov64(3, 10).add64Imm(3, CUR).call(HelperId.get_func_arg!);
    b.ja(L("src"));
    b.label(L("ret")).mov64(1, 6).mov64(2, 10).add64Imm(2, CUR).call(HelperId.get_func_ret!);
  }
}

/** Everything after the source read: cast check, hops, the value's bytes, raw, rendering, the value header. */
function captureRest(b: ProgramBuilder, o: ProgramOptions, i: number, D: number, L: (s: string) => string, hops: number): void {

  // A struct-pointer argument is checked with bpf_dynamic_cast before reading through it.
  if (o.castTargets.length) {
    b.ldx(Size.W, 1, 7, D + Desc.CAST).jmpImm(JmpOp.JEQ, 1, 0, L("hops"));
    b.ldx(Size.DW, 4, 10, CUR).jmpImm(JmpOp.JEQ, 4, 0, L("hops"));
    o.castTargets.forEach((target, k) => {
      b.jmpImm(JmpOp.JNE, 1, k + 1, L(`cast${k}`));
      b.mov64Imm(1, 0).ldx(Size.W, 2, 7, Entry.FUNC_BTF_ID).ldx(Size.B, 3, 7, D + Desc.ARG).add64Imm(3, 1).ldx(Size.DW, 4, 10, CUR).mov64Imm(5, target);
      b.call(DYNAMIC_CAST_ID).jmpImm(JmpOp.JNE, 0, 0, L("hops"));
      b.st(Size.DW, 10, ERR, -EINVAL).ja(L("store"));
      b.label(L(`cast${k}`));
    });
  }

  // Pointer hops: cur = *(u64 *)(cur + off), checked reads.
  b.label(L("hops"));
  for (let h = 0; h < hops; h++) {
    b.ldx(Size.B, 1, 7, D + Desc.NHOPS).jmpImm(JmpOp.JLE, 1, h, L("final"));
    b.ldx(Size.DW, 3, 10, CUR).ldxs(Size.W, 1, 7, D + Desc.HOPS + 4 * h).add64(3, 1);
    b.mov64(1, 10).add64Imm(1, CUR).mov64Imm(2, 8).call(HelperId.probe_read_kernel!).jmpImm(JmpOp.JSLT, 0, 0, L("err"));
    b.st(Size.DW, 10, CTXF, 0);
  }

  // The value: bytes in memory at cur + off, or the register itself.
  b.label(L("final")).ldx(Size.B, 1, 7, D + Desc.FINAL).jmpImm(JmpOp.JEQ, 1, 0, L("reg"));
  b.ldx(Size.DW, 3, 10, CUR).ldxs(Size.W, 1, 7, D + Desc.FINAL_OFF).add64(3, 1);
  if (o.dataLoc) {
    // A __data_loc string: the u32 at cur + off is (length << 16 | offset in the record).
    b.ldx(Size.B, 1, 7, D + Desc.FLAGS).and64Imm(1, DescFlag.DATALOC).jmpImm(JmpOp.JEQ, 1, 0, L("nodl"));
    b.st(Size.DW, 10, TMP, 0).mov64(1, 10).add64Imm(1, TMP).mov64Imm(2, 4).call(HelperId.probe_read_kernel!).jmpImm(JmpOp.JSLT, 0, 0, L("err"));
    // r2 = min(length, SIZE, MAX_DATA), r4 = the data's offset.
    b.ldx(Size.W, 4, 10, TMP).mov64(2, 4).rsh64Imm(2, 16).and64Imm(4, 0xffff);
    b.ldx(Size.W, 5, 7, D + Desc.SIZE).jmpReg(JmpOp.JLE, 2, 5, L("dl1")).mov64(2, 5).label(L("dl1"));
    b.jmpImm(JmpOp.JLE, 2, MAX_DATA, L("dl2")).mov64Imm(2, MAX_DATA).label(L("dl2"));
    // An empty (zero-length) one reads as "".
    b.mov64(1, 8).add64(1, 9).add64Imm(1, Val.SIZEOF).st(Size.B, 1, 0, 0).st(Size.DW, 10, DLEN, 0).jmpImm(JmpOp.JEQ, 2, 0, L("post"));
    b.ldx(Size.DW, 3, 10, CUR).add64(3, 4).call(HelperId.probe_read_kernel_str!).jmpImm(JmpOp.JSLT, 0, 0, L("err"));
    b.stx(Size.DW, 10, DLEN, 0).ja(L("raw"));
    b.label(L("nodl"));
  }
  b.ldx(Size.B, 1, 7, D + Desc.FLAGS).and64Imm(1, DescFlag.PTR).jmpImm(JmpOp.JEQ, 1, 0, L("mem"));
  // A pointer member: load the pointer, then treat it as a register value.
  b.mov64(1, 10).add64Imm(1, CUR).mov64Imm(2, 8).call(HelperId.probe_read_kernel!).jmpImm(JmpOp.JSLT, 0, 0, L("err"));
  b.st(Size.DW, 10, CTXF, 0).ja(L("reg"));
  b.label(L("mem")).stx(Size.DW, 10, TMP, 3);
  b.ldx(Size.W, 2, 7, D + Desc.SIZE).jmpImm(JmpOp.JLE, 2, MAX_DATA, L("msz")).mov64Imm(2, MAX_DATA).label(L("msz"));
  b.stx(Size.DW, 10, DLEN, 2);
  b.mov64(1, 8).add64(1, 9).add64Imm(1, Val.SIZEOF).ldx(Size.DW, 3, 10, TMP).call(HelperId.probe_read_kernel!);
  b.jmpImm(JmpOp.JSLT, 0, 0, L("err"));
  // raw = the first (up to 8) bytes.
  b.label(L("raw")).mov64(1, 8).add64(1, 9).ldx(Size.DW, 2, 1, Val.SIZEOF).ldx(Size.DW, 3, 10, DLEN).jmpImm(JmpOp.JGE, 3, 8, L("rawok"));
  b.lsh64Imm(3, 3).mov64Imm(4, 1).lsh64(4, 3).add64Imm(4, -1).and64(2, 4);
  b.label(L("rawok")).stx(Size.DW, 10, RAW, 2).ja(L("post"));

  b.label(L("reg"));
  if (o.mechanism === "tracepoint" || o.mechanism === "raw_tp") {
    // The context itself is not a value (fields are memory values in it).
    b.ldx(Size.DW, 1, 10, CTXF).jmpImm(JmpOp.JEQ, 1, 0, L("notctx")).st(Size.DW, 10, ERR, -EINVAL).ja(L("store"));
    b.label(L("notctx"));
  }
  b.ldx(Size.DW, 2, 10, CUR).stx(Size.DW, 10, RAW, 2);
  b.ldx(Size.B, 1, 7, D + Desc.FLAGS).and64Imm(1, DescFlag.PTR).jmpImm(JmpOp.JEQ, 1, 0, L("scalar"));
  // A pointer: the data is the pointee (or a string).
  b.ldx(Size.W, 2, 7, D + Desc.DATA_SIZE).jmpImm(JmpOp.JLE, 2, MAX_DATA, L("psz")).mov64Imm(2, MAX_DATA).label(L("psz"));
  b.stx(Size.DW, 10, DLEN, 2).jmpImm(JmpOp.JEQ, 2, 0, L("post"));
  b.ldx(Size.DW, 3, 10, RAW).mov64(1, 8).add64(1, 9).add64Imm(1, Val.SIZEOF);
  b.ldx(Size.B, 4, 7, D + Desc.FLAGS).and64Imm(4, DescFlag.STRING).jmpImm(JmpOp.JNE, 4, 0, L("str"));
  b.call(HelperId.probe_read_kernel!).jmpImm(JmpOp.JSLT, 0, 0, L("err")).ja(L("post"));
  b.label(L("str")).call(HelperId.probe_read_kernel_str!).jmpImm(JmpOp.JSLT, 0, 0, L("err"));
  b.stx(Size.DW, 10, DLEN, 0).ja(L("post"));
  // A scalar register: its bytes.
  b.label(L("scalar")).mov64(1, 8).add64(1, 9).stx(Size.DW, 1, Val.SIZEOF, 2);
  b.ldx(Size.W, 2, 7, D + Desc.SIZE).jmpImm(JmpOp.JLE, 2, 8, L("ssz")).mov64Imm(2, 8).label(L("ssz")).stx(Size.DW, 10, DLEN, 2);

  // raw as C compares it: bitfield bits extracted, values narrower than 8
  // bytes sign-extended or zero-extended (a register's upper bits are not
  // part of a narrower argument: the ABI leaves them undefined).
  b.label(L("post")).ldx(Size.B, 1, 7, D + Desc.FLAGS).ldx(Size.DW, 3, 10, RAW);
  b.mov64(2, 1).and64Imm(2, DescFlag.BITFIELD).jmpImm(JmpOp.JEQ, 2, 0, L("sext"));
  b.ldx(Size.B, 4, 7, D + Desc.BIT_OFF).and64Imm(4, 63).rsh64(3, 4);
  b.ldx(Size.B, 5, 7, D + Desc.BIT_SIZE).mov64Imm(4, 64).sub64(4, 5).and64Imm(4, 63).lsh64(3, 4);
  b.mov64(2, 1).and64Imm(2, DescFlag.SIGNED).jmpImm(JmpOp.JNE, 2, 0, L("bfs")).rsh64(3, 4).ja(L("rawset"));
  b.label(L("bfs")).arsh64(3, 4).ja(L("rawset"));
  b.label(L("sext")).ldx(Size.W, 5, 7, D + Desc.SIZE).jmpImm(JmpOp.JGE, 5, 8, L("render"));
  b.mov64Imm(4, 8).sub64(4, 5).lsh64Imm(4, 3).and64Imm(4, 63).lsh64(3, 4);
  b.mov64(2, 1).and64Imm(2, DescFlag.SIGNED).jmpImm(JmpOp.JNE, 2, 0, L("sx")).rsh64(3, 4).ja(L("rawset"));
  b.label(L("sx")).arsh64(3, 4);
  b.label(L("rawset")).stx(Size.DW, 10, RAW, 3);

  b.label(L("render"));
  if (o.renderKernel) {
    // bpf_snprintf_btf over the object: the kernel's copy for pointers, the captured bytes otherwise.
    b.ldx(Size.B, 1, 7, D + Desc.FLAGS).mov64(2, 1).and64Imm(2, DescFlag.RENDER).jmpImm(JmpOp.JEQ, 2, 0, L("store"));
    b.mov64(2, 8).add64(2, 9).add64Imm(2, Val.SIZEOF).stx(Size.DW, 10, BTF_PTR, 2);
    b.and64Imm(1, DescFlag.PTR).jmpImm(JmpOp.JEQ, 1, 0, L("rptr")).ldx(Size.DW, 2, 10, RAW).stx(Size.DW, 10, BTF_PTR, 2);
    b.label(L("rptr")).ldx(Size.W, 2, 7, D + Desc.TYPE_ID).stx(Size.W, 10, BTF_PTR + 8, 2).st(Size.W, 10, BTF_PTR + 12, 0);
    b.mov64(1, 8).add64(1, 9).add64Imm(1, Val.SIZEOF).mov64Imm(2, MAX_DATA).mov64(3, 10).add64Imm(3, BTF_PTR).mov64Imm(4, 16).mov64Imm(5, 0);
    b.call(HelperId.snprintf_btf!).jmpImm(JmpOp.JSLT, 0, 0, L("err"));
    b.add64Imm(0, 1).jmpImm(JmpOp.JLE, 0, MAX_DATA, L("tlen")).mov64Imm(0, MAX_DATA).label(L("tlen"));
    b.stx(Size.DW, 10, DLEN, 0).st(Size.DW, 10, VFLAGS, ValFlag.TEXT);
  }
  b.ja(L("store"));

  // Errors: no data; raw keeps the pointer reached so far.
  b.label(L("err")).stx(Size.DW, 10, ERR, 0).ldx(Size.DW, 2, 10, CUR).stx(Size.DW, 10, RAW, 2).st(Size.DW, 10, DLEN, 0);

  // The value header, the raw value and data offset for predicates, the next offset.
  b.label(L("store")).mov64(1, 8).add64(1, 9);
  b.ldx(Size.DW, 2, 10, RAW).stx(Size.DW, 1, Val.RAW, 2).stx(Size.DW, 8, BUF_RAWS + 8 * i, 2);
  b.ldx(Size.DW, 2, 10, DLEN).jmpImm(JmpOp.JLE, 2, MAX_DATA, L("dok")).mov64Imm(2, MAX_DATA).label(L("dok"));
  b.stx(Size.W, 1, Val.DATA_LEN, 2);
  b.ldx(Size.DW, 3, 10, ERR).stx(Size.W, 1, Val.ERR, 3);
  b.st(Size.H, 1, Val.SLOT, i).ldx(Size.DW, 3, 10, VFLAGS).stx(Size.H, 1, Val.FLAGS, 3);
  // dataoff = where the data is, or all ones when the value could not be read (predicates on it are false).
  b.mov64(3, 9).add64Imm(3, Val.SIZEOF).ldx(Size.DW, 4, 10, ERR).jmpImm(JmpOp.JEQ, 4, 0, L("readok")).mov64Imm(3, -1);
  b.label(L("readok")).stx(Size.DW, 8, BUF_DATAOFF + 8 * i, 3);
  b.add64Imm(2, 7).and64Imm(2, ~7).add64Imm(2, Val.SIZEOF).add64(9, 2);
  b.ldx(Size.W, 1, 8, BUF_RECORD + Rec.NVALUES).add64Imm(1, 1).stx(Size.W, 8, BUF_RECORD + Rec.NVALUES, 1);
  b.label(L("next"));
}

/**
 * The predicate steps (postfix) on a stack of booleans kept as bits of
 * fp[BITS] (top = bit 0). No steps: true.
 */
function predicate(b: ProgramBuilder, steps: number): void {
  b.st(Size.DW, 10, BITS, 1).ldx(Size.W, 1, 7, Entry.NPRED).jmpImm(JmpOp.JEQ, 1, 0, "pred_done");
  b.st(Size.DW, 10, BITS, 0);
  const base = Entry.VALUES + MAX_VALUES * Desc.SIZEOF;
  for (let s = 0; s < steps; s++) {
    const P = base + s * Pred.SIZEOF;
    const L = (x: string) => `p${s}_${x}`;
    // Same state on every path into the step (see captureValue).
    b.ldx(Size.DW, 1, 10, BITS).stx(Size.DW, 8, BUF_BITS, 1).ldx(Size.DW, 1, 8, BUF_BITS).stx(Size.DW, 10, BITS, 1);
    for (let r = 0; r <= 5; r++) b.mov64Imm(r as 0, 0);
    b.ldx(Size.B, 1, 7, P + Pred.OP).jmpImm(JmpOp.JEQ, 1, PredOp.END, "pred_done");
    b.jmpImm(JmpOp.JNE, 1, PredOp.CMP, L("notcmp"));
    // CMP: outcome (0 less, 1 equal, 2 greater) selects a bit of the mask.
    // A value that could not be read satisfies no comparison.
    b.ldx(Size.B, 2, 7, P + Pred.VALUE).and64Imm(2, MAX_VALUES - 1).lsh64Imm(2, 3).mov64(3, 8).add64(3, 2).ldx(Size.DW, 4, 3, BUF_DATAOFF);
    b.ldx(Size.DW, 3, 3, BUF_RAWS).mov64Imm(2, 0).jmpImm(JmpOp.JGT, 4, BUF_SIZE - 64, L("push"));
    b.ldx(Size.DW, 4, 7, P + Pred.CONST);
    b.ldx(Size.B, 5, 7, P + Pred.FLAG).jmpImm(JmpOp.JEQ, 5, 0, L("uns"));
    b.lddw(5, 1n << 63n).xor64(3, 5).xor64(4, 5);
    b.label(L("uns")).mov64Imm(5, 0).jmpReg(JmpOp.JLT, 3, 4, L("cls")).mov64Imm(5, 1).jmpReg(JmpOp.JEQ, 3, 4, L("cls")).mov64Imm(5, 2);
    b.label(L("cls")).ldx(Size.B, 2, 7, P + Pred.ARG).rsh64(2, 5).and64Imm(2, 1).ja(L("push"));
    b.label(L("notcmp")).jmpImm(JmpOp.JNE, 1, PredOp.STR, L("notstr"));
    // STR: bpf_strncmp over the value's captured bytes.
    b.mov64Imm(2, 0).ldx(Size.B, 3, 7, P + Pred.VALUE).and64Imm(3, MAX_VALUES - 1).lsh64Imm(3, 3).mov64(4, 8).add64(4, 3).ldx(Size.DW, 1, 4, BUF_DATAOFF);
    b.jmpImm(JmpOp.JGT, 1, BUF_SIZE - 64, L("push")).mov64(4, 8).add64(4, 1).mov64(1, 4);
    b.ldx(Size.B, 2, 7, P + Pred.ARG).and64Imm(2, 63).jmpImm(JmpOp.JEQ, 2, 0, L("push"));
    b.mov64(3, 7).add64Imm(3, P + Pred.STR).call(HelperId.strncmp!);
    b.mov64Imm(2, 1).jmpImm(JmpOp.JEQ, 0, 0, L("streq")).mov64Imm(2, 0);
    b.label(L("streq")).ldx(Size.B, 3, 7, P + Pred.FLAG).xor64(2, 3).and64Imm(2, 1).ja(L("push"));
    b.label(L("notstr")).jmpImm(JmpOp.JNE, 1, PredOp.NOT, L("notnot"));
    b.ldx(Size.DW, 2, 10, BITS).xor64Imm(2, 1).stx(Size.DW, 10, BITS, 2).ja(L("next"));
    // AND / OR of the two top bits.
    b.label(L("notnot")).ldx(Size.DW, 2, 10, BITS).mov64(3, 2).and64Imm(3, 1).rsh64Imm(2, 1).mov64(4, 2).and64Imm(4, 1).rsh64Imm(2, 1);
    b.jmpImm(JmpOp.JEQ, 1, PredOp.AND, L("and")).or64(3, 4).ja(L("comb"));
    b.label(L("and")).and64(3, 4);
    b.label(L("comb")).lsh64Imm(2, 1).or64(2, 3).stx(Size.DW, 10, BITS, 2).ja(L("next"));
    b.label(L("push")).ldx(Size.DW, 3, 10, BITS).lsh64Imm(3, 1).or64(3, 2).stx(Size.DW, 10, BITS, 3);
    b.label(L("next"));
  }
  b.label("pred_done");
  b.ldx(Size.DW, 1, 10, BITS).stx(Size.DW, 8, BUF_BITS, 1).ldx(Size.DW, 1, 8, BUF_BITS).stx(Size.DW, 10, BITS, 1);
  for (let r = 0; r <= 5; r++) b.mov64Imm(r as 0, 0);
}

/** The aggregation key (AggKey.SIZEOF bytes, below everything else). */
const AKEY = -200;
const AONE = -136;

/** r0 = bpftrace's log2 bucket of r1 (0 -> 0, 1 -> 1, [2,4) -> 2, ...); clobbers r1, r2. */
function log2Bucket(b: ProgramBuilder, tag: string): void {
  b.mov64Imm(0, 0).jmpImm(JmpOp.JEQ, 1, 0, `${tag}_l2done`).mov64Imm(0, 1);
  for (const shift of [32, 16, 8, 4, 2, 1]) {
    if (shift === 32) b.lddw(2, 1n << 32n).jmpReg(JmpOp.JLT, 1, 2, `${tag}_s${shift}`);
    else b.jmpImm(JmpOp.JLT, 1, 1 << shift, `${tag}_s${shift}`);
    b.rsh64Imm(1, shift).add64Imm(0, shift).label(`${tag}_s${shift}`);
  }
  b.label(`${tag}_l2done`);
}

/** The count --by key fields beyond the first value (clobbers r0-r5; r6 is still the context). */
function countKeys(b: ProgramBuilder, k: AggregateKeys): void {
  if (k.value2) b.ldx(Size.DW, 1, 8, BUF_RAWS + 8).stx(Size.DW, 10, AKEY + AggKey.A2, 1);
  if (k.tgid || k.tid) {
    b.call(HelperId.get_current_pid_tgid!);
    if (k.tid) b.stx(Size.W, 10, AKEY + AggKey.TID, 0);
    if (k.tgid) b.rsh64Imm(0, 32).stx(Size.W, 10, AKEY + AggKey.TGID, 0);
  }
  if (k.cpu) b.call(HelperId.get_smp_processor_id!).stx(Size.W, 10, AKEY + AggKey.CPU, 0);
  if (k.comm) b.mov64(1, 10).add64Imm(1, AKEY + AggKey.COMM).mov64Imm(2, 16).call(HelperId.get_current_comm!);
  if (k.stackMap !== undefined) b.mov64(1, 6).ldMapFd(2, k.stackMap).mov64Imm(3, 0).call(HelperId.get_stackid!).stx(Size.W, 10, AKEY + AggKey.STACK, 0);
  // Skip 1 (the flags' low byte): the traced function's own frame.
  if (k.locationMap !== undefined) b.mov64(1, 6).ldMapFd(2, k.locationMap).mov64Imm(3, 1).call(HelperId.get_stackid!).stx(Size.W, 10, AKEY + AggKey.LOC, 0);
}

/** The aggregation tail: key from the first value, agg[key] += 1. */
function aggregateTail(b: ProgramBuilder, o: ProgramOptions, a: AggregateOptions): void {
  const D0 = Entry.VALUES;
  for (let off = 0; off < AggKey.SIZEOF; off += 8) b.st(Size.DW, 10, AKEY + off, 0);
  b.st(Size.DW, 10, AONE, 1);
  b.ldx(Size.W, 1, 7, Entry.FUNC_INDEX).stx(Size.W, 10, AKEY + AggKey.FUNC, 1);
  // r1 = the first value (0 when the spec captures none).
  b.mov64Imm(1, 0).ldx(Size.W, 2, 7, Entry.NVALUES).jmpImm(JmpOp.JEQ, 2, 0, "agg_v").ldx(Size.DW, 1, 8, BUF_RAWS);
  b.label("agg_v");
  switch (a.kind) {
    case "count":
      if (a.byValue) b.stx(Size.DW, 10, AKEY + AggKey.A, 1);
      if (a.keys) countKeys(b, a.keys);
      break;
    case "log2":
      b.ldx(Size.B, 2, 7, D0 + Desc.FLAGS).and64Imm(2, DescFlag.SIGNED).jmpImm(JmpOp.JEQ, 2, 0, "agg_pos").jmpImm(JmpOp.JSGE, 1, 0, "agg_pos");
      b.st(Size.DW, 10, AKEY + AggKey.A, -1).ja("agg_update");
      b.label("agg_pos");
      log2Bucket(b, "agg");
      b.stx(Size.DW, 10, AKEY + AggKey.A, 0);
      break;
    case "linear": {
      const signed = "agg_lsigned";
      b.lddw(2, a.min ?? 0n);
      b.ldx(Size.B, 3, 7, D0 + Desc.FLAGS).and64Imm(3, DescFlag.SIGNED).jmpImm(JmpOp.JNE, 3, 0, signed);
      // Unsigned values are never below a negative minimum.
      if ((a.min ?? 0n) >= 0n) b.jmpReg(JmpOp.JLT, 1, 2, "agg_under");
      b.ja("agg_in");
      b.label(signed).jmpReg(JmpOp.JSLT, 1, 2, "agg_under");
      b.label("agg_in").sub64(1, 2).lddw(2, a.step ?? 1n).div64(1, 2);
      b.jmpImm(JmpOp.JLE, 1, a.buckets ?? 0, "agg_lin").mov64Imm(1, a.buckets ?? 0).label("agg_lin");
      b.stx(Size.DW, 10, AKEY + AggKey.A, 1).ja("agg_update");
      b.label("agg_under").st(Size.DW, 10, AKEY + AggKey.A, -1);
      break;
    }
    case "latency": {
      b.stx(Size.DW, 10, KEY, 1);
      b.ldx(Size.W, 2, 7, Entry.FLAGS).and64Imm(2, EntryFlag.LAT_START).jmpImm(JmpOp.JEQ, 2, 0, "lat_end");
      // Start: remember when.
      b.call(HelperId.ktime_get_ns!).stx(Size.DW, 10, TMP, 0);
      b.ldMapFd(1, a.startsMap!).mov64(2, 10).add64Imm(2, KEY).mov64(3, 10).add64Imm(3, TMP).mov64Imm(4, 0).call(HelperId.map_update_elem!);
      b.jmpImm(JmpOp.JEQ, 0, 0, "lat_started");
      count(b, o, Counter.LOST, "latfull");
      b.ja("agg_exit").label("lat_started");
      count(b, o, Counter.EMITTED, "latstart");
      b.ja("agg_exit");
      // End: delta since the start with the same key.
      b.label("lat_end").ldMapFd(1, a.startsMap!).mov64(2, 10).add64Imm(2, KEY).call(HelperId.map_lookup_elem!);
      b.jmpImm(JmpOp.JNE, 0, 0, "lat_have");
      count(b, o, Counter.STASH_MISS, "latmiss");
      b.ja("agg_exit");
      b.label("lat_have").ldx(Size.DW, 6, 0, 0);
      b.ldMapFd(1, a.startsMap!).mov64(2, 10).add64Imm(2, KEY).call(HelperId.map_delete_elem!);
      b.call(HelperId.ktime_get_ns!).mov64(9, 0).mov64(1, 0).sub64(1, 6);
      log2Bucket(b, "lat");
      b.stx(Size.DW, 10, AKEY + AggKey.A, 0);
      if (a.slotNs !== undefined && a.slotNs > 0n) b.mov64(1, 9).lddw(2, a.slotNs).div64(1, 2).stx(Size.W, 10, AKEY + AggKey.B, 1);
      break;
    }
  }
  b.label("agg_update");
  b.ldMapFd(1, a.aggMap).mov64(2, 10).add64Imm(2, AKEY).call(HelperId.map_lookup_elem!).jmpImm(JmpOp.JEQ, 0, 0, "agg_new");
  b.mov64Imm(1, 1).atomic(Size.DW, AtomicOp.ADD, 0, 0, 1).ja("agg_done");
  b.label("agg_new").ldMapFd(1, a.aggMap).mov64(2, 10).add64Imm(2, AKEY).mov64(3, 10).add64Imm(3, AONE).mov64Imm(4, 1).call(HelperId.map_update_elem!);
  b.jmpImm(JmpOp.JEQ, 0, 0, "agg_done");
  count(b, o, Counter.LOST, "aggfull");
  b.ja("agg_exit");
  b.label("agg_done");
  count(b, o, Counter.EMITTED, "aggok");
  b.ja("agg_exit");
}
