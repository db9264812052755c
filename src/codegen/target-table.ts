// The per-target table: each traced function's entry (which values to
// capture, through which hops, with which predicate) encoded as the bytes
// the generic program reads from its hash map (layout.ts), keyed by the
// function's address. Pure: plans in, bytes out.
import type { CmpOp } from "../probe-spec/ast.js";
import type { PredPlan, TargetPlan, ValuePlan } from "../probe-spec/plan.js";
import { BtfsnoopError } from "../internal/errors.js";
import { Desc, DescFlag, Entry, ENTRY_SIZE, EntryFlag, MAX_DATA, MAX_HOPS, MAX_PRED, MAX_PRED_STR, MAX_VALUES, Pred, PredOp } from "./layout.js";

/** Outcome masks (bit 0 less, bit 1 equal, bit 2 greater) of each comparison. */
export const CMP_MASK: Readonly<Record<CmpOp, number>> = { "<": 0b001, "==": 0b010, "<=": 0b011, ">": 0b100, "!=": 0b101, ">=": 0b110 };

/** The distinct dynamic-cast targets of some plans, in a stable order (the program has one call per target). */
export function castTargetsOf(targets: readonly TargetPlan[]): number[] {
  const ids = new Set<number>();
  for (const t of targets) for (const v of t.values) if (v.castTarget !== undefined) ids.add(v.castTarget);
  return [...ids].sort((a, b) => a - b);
}

/** Whether any value of some plans is a tracepoint `__data_loc` string (the program then has the path that reads them). */
export function usesDataLoc(targets: readonly TargetPlan[]): boolean {
  return targets.some((t) => t.values.some((v) => v.final.kind === "dataLoc"));
}

export interface EncodeOptions {
  /** The program's cast-target list (castTargetsOf over everything it serves). */
  castTargets: readonly number[];
  /** Render values with bpf_snprintf_btf in the program. */
  renderKernel: boolean;
  /** Emit every entry and return, even without values (stack mode). */
  always?: boolean;
  /** latency: whether this target starts or ends intervals. */
  role?: "start" | "end";
}

/** The table entry of `target` (index `index` in the tracer's target list). */
export function encodeEntry(target: TargetPlan, index: number, options: EncodeOptions): Uint8Array {
  if (target.values.length > MAX_VALUES) throw new BtfsnoopError("E2BIG", `${target.name}: ${target.values.length} values, at most ${MAX_VALUES}`);
  const out = new Uint8Array(ENTRY_SIZE);
  const v = new DataView(out.buffer);
  v.setUint32(Entry.FUNC_INDEX, index, true);
  const role = options.role === "start" ? EntryFlag.LAT_START : options.role === "end" ? EntryFlag.LAT_END : 0;
  v.setUint32(Entry.FLAGS, (target.stash ? EntryFlag.STASH : 0) | (options.always ? EntryFlag.ALWAYS : 0) | role, true);
  v.setUint32(Entry.FUNC_BTF_ID, target.btfId, true);
  v.setUint32(Entry.NVALUES, target.values.length, true);
  target.values.forEach((val, i) => encodeValue(v, Entry.VALUES + i * Desc.SIZEOF, val, options));
  const steps = target.predicate ? postfix(target.predicate) : [];
  if (steps.length > MAX_PRED) throw new BtfsnoopError("E2BIG", `${target.name}: the predicate has ${steps.length} terms, at most ${MAX_PRED}`);
  v.setUint32(Entry.NPRED, steps.length, true);
  const predBase = Entry.VALUES + MAX_VALUES * Desc.SIZEOF;
  steps.forEach((s, i) => encodeStep(out, v, predBase + i * Pred.SIZEOF, s, target.values));
  return out;
}

function encodeValue(v: DataView, at: number, val: ValuePlan, options: EncodeOptions): void {
  if (val.hops.length > MAX_HOPS) throw new BtfsnoopError("E2BIG", `${val.name}: ${val.hops.length} pointer hops, at most ${MAX_HOPS}`);
  v.setUint8(at + Desc.WHEN, val.when === "entry" ? 1 : 2);
  v.setUint8(at + Desc.SOURCE, val.source === "ret" ? 1 : val.source === "ctx" ? 2 : 0);
  v.setUint8(at + Desc.ARG, val.argIndex);
  v.setUint8(at + Desc.NHOPS, val.hops.length);
  v.setUint8(at + Desc.FINAL, val.final.kind === "register" ? 0 : 1);
  let flags = 0;
  if (val.pointee) flags |= DescFlag.PTR;
  if (val.pointee?.string) flags |= DescFlag.STRING;
  if (val.signed) flags |= DescFlag.SIGNED;
  if (val.bitfield) flags |= DescFlag.BITFIELD;
  const dataLoc = val.final.kind === "dataLoc";
  if (dataLoc) flags |= DescFlag.DATALOC;
  const shows = val.pointee ? val.pointee.typeId : val.typeId;
  if (options.renderKernel && shows !== 0 && !val.pointee?.string && !val.bitfield && !dataLoc) flags |= DescFlag.RENDER;
  v.setUint8(at + Desc.FLAGS, flags);
  v.setUint8(at + Desc.BIT_OFF, val.bitfield?.bitOffset ?? 0);
  v.setUint8(at + Desc.BIT_SIZE, val.bitfield?.bitSize ?? 0);
  val.hops.forEach((h, i) => v.setInt32(at + Desc.HOPS + i * 4, h, true));
  v.setInt32(at + Desc.FINAL_OFF, val.final.kind === "register" ? 0 : val.final.offset, true);
  // A memory value with a pointer type is loaded as the 8-byte pointer first.
  const size = val.pointee ? 8 : Math.min(val.size, MAX_DATA);
  v.setUint32(at + Desc.SIZE, size, true);
  v.setUint32(at + Desc.DATA_SIZE, val.pointee ? Math.min(val.pointee.size, MAX_DATA) : 0, true);
  const cast = val.castTarget === undefined ? 0 : options.castTargets.indexOf(val.castTarget) + 1;
  if (val.castTarget !== undefined && cast === 0) throw new BtfsnoopError("EINVAL", `${val.name}: cast target ${val.castTarget} is not in the program's list`);
  v.setUint32(at + Desc.CAST, cast, true);
  v.setUint32(at + Desc.TYPE_ID, shows, true);
}

type Step =
  | { op: "cmp"; value: number; mask: number; signed: boolean; constant: bigint }
  | { op: "str"; value: number; negate: boolean; text: string }
  | { op: "and" | "or" | "not" };

/** The predicate in postfix order. */
export function postfix(p: PredPlan): Step[] {
  switch (p.kind) {
    case "cmp":
      return [{ op: "cmp", value: p.value, mask: CMP_MASK[p.op], signed: p.signed, constant: p.constant }];
    case "str":
      return [{ op: "str", value: p.value, negate: p.op === "!=", text: p.text }];
    case "not":
      return [...postfix(p.operand), { op: "not" }];
    default:
      return [...postfix(p.left), ...postfix(p.right), { op: p.kind }];
  }
}

function encodeStep(out: Uint8Array, v: DataView, at: number, s: Step, values: readonly ValuePlan[]): void {
  switch (s.op) {
    case "cmp":
      v.setUint8(at + Pred.OP, PredOp.CMP);
      v.setUint8(at + Pred.ARG, s.mask);
      v.setUint8(at + Pred.VALUE, s.value);
      v.setUint8(at + Pred.FLAG, s.signed ? 1 : 0);
      v.setBigUint64(at + Pred.CONST, BigInt.asUintN(64, s.constant), true);
      return;
    case "str": {
      const bytes = Buffer.from(s.text, "latin1");
      if (bytes.length > MAX_PRED_STR) throw new BtfsnoopError("E2BIG", `string "${s.text}" is ${bytes.length} bytes, at most ${MAX_PRED_STR} in a predicate`);
      const val = values[s.value]!;
      // Compare the literal and its NUL, but never past a char array's end (a full array has no NUL).
      const room = val.pointee ? Math.min(val.pointee.size, MAX_DATA) : val.size;
      if (bytes.length > room) throw new BtfsnoopError("EINVAL", `string "${s.text}" is ${bytes.length} bytes, longer than '${val.name}' (${room})`, { hint: "such a comparison could only be false" });
      v.setUint8(at + Pred.OP, PredOp.STR);
      v.setUint8(at + Pred.ARG, Math.min(bytes.length + 1, room));
      v.setUint8(at + Pred.VALUE, s.value);
      v.setUint8(at + Pred.FLAG, s.negate ? 1 : 0);
      out.set(bytes, at + Pred.STR);
      return;
    }
    default:
      v.setUint8(at + Pred.OP, s.op === "and" ? PredOp.AND : s.op === "or" ? PredOp.OR : PredOp.NOT);
  }
}
