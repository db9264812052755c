// Tracepoints: named events with a record format (the kernel's
// /sys/kernel/tracing/events/<cat>/<name>/format: common fields, then the
// event's own), a raw argument list (what raw_tp programs see), hooks, and
// ground-truth counts.

export interface TracepointField {
  /** C declaration as the format file shows it, e.g. "char prev_comm[16]". */
  readonly decl: string;
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly signed: boolean;
}

export interface TracepointDef {
  readonly category: string;
  readonly name: string;
  /** Event id (as in the format file's "ID:"). */
  readonly id: number;
  /** Fields after the common ones, with offsets in the record. */
  readonly fields: readonly TracepointField[];
  /** Record size in bytes. */
  readonly size: number;
  /** The raw_tp argument names and C types (TP_PROTO). */
  readonly proto: readonly { name: string; type: string }[];
  /**
   * The event class (DECLARE_EVENT_CLASS) whose record is `struct
   * trace_event_raw_<class>` in the kernel BTF; the event's own name when
   * it is a TRACE_EVENT of its own. The syscalls' per-syscall events use
   * syscall_trace_enter/exit instead.
   */
  readonly class?: string;
}

export interface TracepointHit {
  readonly tp: TracepointDef;
  /**
   * The record as a tracepoint program's context sees it: the fixed part
   * (`tp.size` bytes), then the data of any `__data_loc` fields.
   */
  readonly record: Uint8Array;
  /** The TP_PROTO arguments as u64 (raw_tp's ctx). */
  readonly args: readonly bigint[];
  readonly cpu: number;
  readonly pid: number;
}

/** A field's value: a number, a string (char arrays, __data_loc), or the bytes of a __u8 array (addresses). */
export type TracepointValue = bigint | string | Uint8Array;

export type TracepointHook = (hit: TracepointHit) => void;

/** Whether a field is a `__data_loc` one (a u32: length << 16 | offset of data after the fixed part). */
export function isDataLoc(f: { readonly decl: string }): boolean {
  return f.decl.startsWith("__data_loc");
}

/** The fields every event record starts with. */
export const COMMON_FIELDS: readonly TracepointField[] = [
  { decl: "unsigned short common_type", name: "common_type", offset: 0, size: 2, signed: false },
  { decl: "unsigned char common_flags", name: "common_flags", offset: 2, size: 1, signed: false },
  { decl: "unsigned char common_preempt_count", name: "common_preempt_count", offset: 3, size: 1, signed: false },
  { decl: "int common_pid", name: "common_pid", offset: 4, size: 4, signed: true },
];

/** Lays out a field list after the common fields with natural alignment (as the kernel's TP_STRUCT__entry). */
export function layoutFields(fields: readonly { decl: string; name: string; size: number; align?: number; signed?: boolean }[]): { fields: TracepointField[]; size: number } {
  let off = 8;
  const out: TracepointField[] = [];
  for (const f of fields) {
    const align = f.align ?? Math.min(f.size, 8);
    off = Math.ceil(off / align) * align;
    out.push({ decl: f.decl, name: f.name, offset: off, size: f.size, signed: f.signed ?? false });
    off += f.size;
  }
  return { fields: out, size: Math.ceil(off / 8) * 8 };
}

/** The text of the event's format file. */
export function formatFile(tp: TracepointDef): string {
  const line = (f: TracepointField) => `\tfield:${f.decl};\toffset:${f.offset};\tsize:${f.size};\tsigned:${f.signed ? 1 : 0};`;
  return [`name: ${tp.name}`, `ID: ${tp.id}`, "format:", ...COMMON_FIELDS.map(line), "", ...tp.fields.map(line), ""].join("\n");
}

/** One event's state in a table: its hit count and attached hooks. */
interface TracepointSlot {
  readonly key: string;
  count: number;
  readonly hooks: TracepointHook[];
}

export class TracepointTable {
  private readonly defs = new Map<string, TracepointDef>();
  /** By key ("category:name"), and by the registered def object (fire's lookup: no key string per event). */
  private readonly slots = new Map<string, TracepointSlot>();
  private readonly slotOfDef = new Map<TracepointDef, TracepointSlot>();
  /** Defs by category, then name (get(): no "category:name" key string built per lookup). */
  private readonly byCategory = new Map<string, Map<string, TracepointDef>>();

  register(tp: TracepointDef): TracepointDef {
    const key = `${tp.category}:${tp.name}`;
    if (this.defs.has(key)) throw new RangeError(`tracepoint ${key} registered twice`);
    this.defs.set(key, tp);
    let names = this.byCategory.get(tp.category);
    if (!names) this.byCategory.set(tp.category, (names = new Map()));
    names.set(tp.name, tp);
    const slot: TracepointSlot = { key, count: 0, hooks: [] };
    this.slots.set(key, slot);
    this.slotOfDef.set(tp, slot);
    return tp;
  }

  get(category: string, name: string): TracepointDef | undefined {
    return this.byCategory.get(category)?.get(name);
  }

  /** The event with this bare name (raw tracepoints are named without their category), if any. */
  named(name: string): TracepointDef | undefined {
    for (const tp of this.defs.values()) if (tp.name === name) return tp;
    return undefined;
  }

  all(): TracepointDef[] {
    return [...this.defs.values()].sort((a, b) => a.id - b.id);
  }

  /** The state of `tp` (an equal def registered here under the same name counts as it). */
  private slot(tp: TracepointDef): TracepointSlot {
    let s = this.slotOfDef.get(tp) ?? this.slots.get(`${tp.category}:${tp.name}`);
    if (!s) {
      // An event this table never registered: counted on its own, as before registration existed.
      const key = `${tp.category}:${tp.name}`;
      this.slots.set(key, (s = { key, count: 0, hooks: [] }));
    }
    this.slotOfDef.set(tp, s);
    return s;
  }

  attach(tp: TracepointDef, hook: TracepointHook): () => void {
    const list = this.slot(tp).hooks;
    list.push(hook);
    return () => {
      const i = list.indexOf(hook);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /** Whether anything is attached to `tp` (a firing site may skip computing the record's values when not: fire only counts then). */
  enabled(tp: TracepointDef): boolean {
    return (this.slotOfDef.get(tp) ?? this.slot(tp)).hooks.length > 0;
  }

  /** Fires an event: counts it and, if anything is attached, builds the record. */
  fire(tp: TracepointDef, values: Readonly<Record<string, TracepointValue>>, args: readonly bigint[], cpu: number, pid: number): void {
    const slot = this.slotOfDef.get(tp) ?? this.slot(tp);
    slot.count++;
    const hooks = slot.hooks;
    if (!hooks.length) return;
    const key = slot.key;
    // __data_loc fields: the data follows the fixed part, each string
    // NUL-terminated; the field holds (length << 16 | offset).
    const tail: { field: TracepointField; bytes: Uint8Array; offset: number }[] = [];
    let size = tp.size;
    for (const f of tp.fields) {
      const v = values[f.name];
      if (typeof v !== "string" || !isDataLoc(f)) continue;
      const text = Buffer.from(v, "utf8");
      const bytes = new Uint8Array(text.length + 1);
      bytes.set(text);
      if (size + bytes.length > 0xffff) throw new RangeError(`tracepoint ${key}: ${f.name} does not fit a __data_loc`);
      tail.push({ field: f, bytes, offset: size });
      size += bytes.length;
    }
    const record = new Uint8Array(size);
    const view = new DataView(record.buffer);
    view.setUint16(0, tp.id, true);
    view.setInt32(4, pid, true);
    for (const t of tail) {
      record.set(t.bytes, t.offset);
      view.setUint32(t.field.offset, ((t.bytes.length << 16) | t.offset) >>> 0, true);
    }
    for (const f of tp.fields) {
      const v = values[f.name];
      if (v === undefined || (typeof v === "string" && isDataLoc(f))) continue;
      if (typeof v === "string") record.set(Buffer.from(v, "utf8").subarray(0, f.size - 1), f.offset);
      else if (v instanceof Uint8Array) record.set(v.subarray(0, f.size), f.offset);
      else if (f.size === 8) view.setBigUint64(f.offset, BigInt.asUintN(64, v), true);
      else if (f.size === 4) view.setUint32(f.offset, Number(BigInt.asUintN(32, v)), true);
      else if (f.size === 2) view.setUint16(f.offset, Number(BigInt.asUintN(16, v)), true);
      else if (f.size === 1) view.setUint8(f.offset, Number(BigInt.asUintN(8, v)));
    }
    const hit: TracepointHit = { tp, record, args, cpu, pid };
    for (const h of hooks) h(hit);
  }

  /** Ground truth: how many times `tp` fired. */
  hits(tp: TracepointDef): number {
    return this.slots.get(`${tp.category}:${tp.name}`)?.count ?? 0;
  }

  /** Ground truth: how many times each event fired. */
  countsByName(): Map<string, number> {
    return new Map([...this.slots.values()].map((s) => [s.key, s.count]));
  }
}
