// The record decoder: one ring-buffer record (layout.ts) plus the plans of
// the traced targets -> a TraceEvent with named, typed values. Malformed
// records (wrong version, lengths that do not add up, unknown target) are
// reported as errors, never thrown past the caller.
import { MAX_DATA, Rec, RECORD_VERSION, RecFlag, Val, ValFlag } from "../codegen/layout.js";
import type { TargetPlan } from "../probe-spec/plan.js";
import type { TraceEvent, TraceValue } from "./event.js";

/** The type shown for a tracepoint's `__data_loc char[]` string (no BTF type spells it). */
export const DATA_LOC_TYPE = "char[]";

/** A record that could not be decoded, and why. */
export class RecordError extends Error {}

/** Decodes one record; `targets[i]` is the plan of the record's FUNC_INDEX i. */
export function decodeRecord(rec: Uint8Array, targets: readonly TargetPlan[]): TraceEvent {
  if (rec.length < Rec.SIZEOF) throw new RecordError(`record of ${rec.length} bytes is shorter than its ${Rec.SIZEOF}-byte header`);
  const v = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
  const version = v.getUint16(Rec.VERSION, true);
  if (version !== RECORD_VERSION) throw new RecordError(`record version ${version}, expected ${RECORD_VERSION}`);
  const total = v.getUint32(Rec.TOTAL_LEN, true);
  if (total > rec.length || total < Rec.SIZEOF) throw new RecordError(`record says ${total} bytes, has ${rec.length}`);
  const index = v.getUint32(Rec.FUNC_INDEX, true);
  const target = targets[index];
  if (!target) throw new RecordError(`record for target ${index}, only ${targets.length} traced`);
  const flags = v.getUint32(Rec.FLAGS, true);
  const n = v.getUint32(Rec.NVALUES, true);
  const values: TraceValue[] = [];
  let off = Rec.SIZEOF;
  for (let i = 0; i < n; i++) {
    if (off + Val.SIZEOF > total) throw new RecordError(`value ${i} runs past the record (${off} of ${total})`);
    const raw = v.getBigUint64(off + Val.RAW, true);
    const len = v.getUint32(off + Val.DATA_LEN, true);
    const err = v.getInt32(off + Val.ERR, true);
    const slot = v.getUint16(off + Val.SLOT, true);
    const vflags = v.getUint16(off + Val.FLAGS, true);
    const dataAt = off + Val.SIZEOF;
    if (len > MAX_DATA || dataAt + len > total) throw new RecordError(`value ${i} data of ${len} bytes runs past the record`);
    const plan = target.values[slot];
    if (!plan) throw new RecordError(`value slot ${slot} of ${target.name}, which has ${target.values.length}`);
    const data = rec.slice(dataAt, dataAt + len);
    const pointee = plan.pointee;
    const value: {
      -readonly [K in keyof TraceValue]: TraceValue[K];
    } = {
      name: plan.name,
      typeId: plan.typeId,
      raw,
      dataTypeId: pointee ? pointee.typeId : plan.typeId,
      fullSize: pointee ? pointee.size : plan.size,
    };
    if (pointee) value.ptr = raw;
    if (plan.final.kind === "dataLoc") value.typeName = DATA_LOC_TYPE;
    if (err !== 0) value.error = err;
    else if (vflags & ValFlag.TEXT) value.text = cString(data);
    else if (pointee?.string || plan.final.kind === "dataLoc") value.string = cString(data);
    else if (pointee && pointee.size === 0) {
      // void * and the like: the pointer is all there is.
    } else value.data = plan.bitfield ? bitfieldBytes(raw, plan.size) : data;
    values.push(value);
    off = dataAt + ((len + 7) & ~7);
  }
  let comm = "";
  for (let i = 0; i < 16; i++) {
    const c = v.getUint8(Rec.COMM + i);
    if (c === 0) break;
    comm += String.fromCharCode(c);
  }
  return {
    timeNs: v.getBigUint64(Rec.TIME, true),
    cpu: v.getUint32(Rec.CPU, true),
    tid: v.getUint32(Rec.TID, true),
    pid: v.getUint32(Rec.PID, true),
    comm,
    func: target.name,
    kind: target.kind === "tracepoint" || target.kind === "raw_tp" ? "tracepoint" : flags & RecFlag.RETURN ? "return" : "entry",
    values,
  };
}

/** Bytes up to the first NUL, as latin1. */
function cString(data: Uint8Array): string {
  const end = data.indexOf(0);
  return Buffer.from(end < 0 ? data : data.subarray(0, end)).toString("latin1");
}

/** A bitfield's extracted value as the little-endian bytes of its storage size. */
function bitfieldBytes(raw: bigint, size: number): Uint8Array {
  const out = new Uint8Array(Math.max(1, Math.min(8, size)));
  let x = BigInt.asUintN(64, raw);
  for (let i = 0; i < out.length; i++, x >>= 8n) out[i] = Number(x & 0xffn);
  return out;
}
