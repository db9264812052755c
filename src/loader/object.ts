// The library's object (libbpf's struct bpf_object with its skeleton
// conveniences, cilium/ebpf's Collection): open -> set variables -> load
// into a booted kernel (through its bpf(2)-like API only) -> attach ->
// read maps with BTF-typed values, the ring/perf buffers, the trace pipe
// and iterators -> close. The object owns its maps, programs and links:
// close() (and any failure during load or attach) leaves nothing behind.
import type { Btf } from "../btf/btf.js";
import { BtfKind } from "../btf/kinds.js";
import { parseBtf } from "../btf/parse.js";
import { toJsonValue, type JsonValue } from "../btf/format/value-json.js";
import { resolveSize, skipModsAndTypedefs } from "../btf/layout.js";
import { BtfsnoopError } from "../internal/errors.js";
import type { Bpf } from "../syscall/bpf.js";
import type { TracePipeLine } from "../syscall/types.js";
import { BPF_MAP_TYPE_PERF_EVENT_ARRAY, BPF_MAP_TYPE_RINGBUF } from "../vm/maps/types.js";
import type { SocketStats } from "../syscall/sockets.js";
import { attachBySection, attachSocket, DEFAULT_SOCKET_IFACE, syscallSymbol, type SectionDef } from "./attach.js";
import { createMaps, initialData, kernelFacts, loadPrograms, type LoadedMap, type LoadKernel, type LoadOptions, type ProgramState } from "./load.js";
import { alternativeReason, alternativesBeforeLoad, alternativesToSkip } from "./standalone.js";
import { openObject } from "./open.js";
import { coreApplierFor, type CoreApplier } from "./relocate.js";
import type { MapSpec, ObjectSpec } from "./spec.js";

/** Something with the syscall surface: a Machine or a bare Bpf. */
export type BpfHost = { readonly bpf: Bpf } | Bpf;

/** One program's outcome after attach (the summary's row). */
export interface ProgramStatus {
  name: string;
  section: string;
  loaded: boolean;
  attached: boolean;
  /** Why it is not attached, when it is not. */
  error?: string;
}

/** A ring or perf buffer record, BTF-decoded when its type is known. */
export interface EventRecord {
  map: string;
  /** perf buffers: the CPU's ring it came from; ring buffers: undefined. */
  cpu?: number;
  bytes: Uint8Array;
  /** The decoded record, when the record's type is known. */
  data?: JsonValue;
  /** perf buffers: samples lost before this point (a PERF_RECORD_LOST). */
  lost?: number;
}

/** An entry of a map, raw and typed. */
export interface MapEntry {
  key: Uint8Array;
  value: Uint8Array;
  /** The key and value decoded with the map's BTF types (or arrays of byte values when untyped); per-CPU maps: [{cpu, value}, ...]. */
  keyData: JsonValue;
  valueData: JsonValue;
}

/** SEC kinds whose target setAttachTarget may change. */
const RETARGETABLE: ReadonlySet<string> = new Set(["kprobe", "kretprobe", "fentry", "fexit", "fmod_ret", "tp_btf", "raw_tp", "raw_tracepoint", "tracepoint", "tp", "ksyscall", "kretsyscall"]);

/** BPF_MAP_TYPE_PERCPU_HASH, PERCPU_ARRAY, LRU_PERCPU_HASH: values per CPU. */
export const PERCPU_TYPES: ReadonlySet<number> = new Set([5, 6, 10]);

/** The kernel's BTF parsed once per syscall surface (a kernel's BTF does not change while it runs). */
const kernelBtfs = new WeakMap<Bpf, Btf>();

interface Link {
  fd: number;
  program: string;
  iter: boolean;
}

/** What attach() takes. */
export interface AttachOptions {
  /** The interface socket filters (SEC("socket")) watch: their packet socket is bound to it. Default lo. */
  iface?: string;
  /**
   * Record a program that fails to attach (a kprobe on a function the
   * kernel lacks) in status() and go on, instead of detaching everything
   * and throwing (libbpf's behaviour, the default).
   */
  keepGoing?: boolean;
  /**
   * Attach only one of alternative programs on the same event (fentry over
   * kprobe, fexit over kretprobe, tp_btf over raw_tp over tracepoint), as a
   * tool's user space does with bpf_program__set_autoload (standalone.ts).
   */
  alternatives?: boolean;
}

/** A socket filter's packet socket and its counters (what the program kept, dropped, trimmed). */
export interface SocketFilterStatus {
  program: string;
  iface: string;
  fd: number;
  stats: SocketStats;
}

export class BpfObject {
  readonly spec: ObjectSpec;
  private readonly sets = new Map<string, string>();
  private bpfRef: Bpf | undefined;
  private maps: LoadedMap[] = [];
  private progs: ProgramState[] = [];
  private links: Link[] = [];
  private sockets: { fd: number; program: string; iface: string }[] = [];
  private attachErrors = new Map<string, string>();
  private perfOpened = new Set<number>();
  private eventCands = new Map<string, number[]>();
  private facts: LoadKernel | undefined;
  private readonly switchedOff = new Set<string>();

  constructor(spec: ObjectSpec) {
    this.spec = spec;
  }

  /** Opens an object file's bytes (bpf_object__open_mem); `name` names it in messages. */
  static open(bytes: Uint8Array, name = "object.bpf.o"): BpfObject {
    return new BpfObject(openObject(bytes, { name }));
  }

  /** The object's BTF. */
  get btf(): Btf | undefined {
    return this.spec.btf;
  }

  /** Program names, in object order. */
  get programNames(): string[] {
    return this.spec.programs.map((p) => p.name);
  }

  /** Map names as the object has them (".rodata", "counts"). */
  get mapNames(): string[] {
    return this.spec.maps.map((m) => m.name);
  }

  /** Sets a global variable before load (skel->rodata->NAME = value): integers, bools, enum names, strings for char arrays. */
  set(name: string, value: string | number | bigint | boolean): this {
    if (this.bpfRef) throw new BtfsnoopError("EBUSY", `'${this.spec.name}': set ${name}: the object is already loaded`);
    this.sets.set(name, String(value));
    initialData(this.spec, new Map([[name, String(value)]])); // checks name and type now, as a skeleton's typed field would
    return this;
  }

  /** bpf_map__set_value_size / bpf_map__set_max_entries before load: -EBUSY after, ENOENT for an unknown map. */
  setMapSize(name: string, field: "value_size" | "max_entries", value: number): this {
    if (this.bpfRef) throw new BtfsnoopError("EBUSY", `'${this.spec.name}': map '${name}': set ${field}: the object is already loaded`);
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new BtfsnoopError("EINVAL", `'${this.spec.name}': map '${name}': ${field} ${value} is not a u32`);
    const m = this.mapSpec(name);
    if (field === "value_size") m.valueSize = value;
    else m.maxEntries = value;
    return this;
  }

  /** bpf_program__set_autoload before load: a program switched off is not loaded (status: "not autoloaded"). */
  setAutoload(name: string, on: boolean): this {
    if (this.bpfRef) throw new BtfsnoopError("EBUSY", `'${this.spec.name}': program '${name}': set autoload: the object is already loaded`);
    const p = this.spec.programs.find((x) => x.name === name);
    if (!p) throw new BtfsnoopError("ENOENT", `'${this.spec.name}': no program '${name}' (have ${this.programNames.join(", ") || "none"})`);
    p.autoload = on;
    if (on) this.switchedOff.delete(name);
    else this.switchedOff.add(name);
    return this;
  }

  /**
   * bpf_program__set_attach_target before load (and what a tool's
   * bpf_program__attach_kprobe(prog, retprobe, func) does for kprobes):
   * the program attaches to `target` instead of its section's (a function
   * for kprobe/kretprobe/fentry/fexit/fmod_ret, an event for
   * tp_btf/raw_tp, CATEGORY/NAME for tracepoint). -EINVAL for kinds
   * without a target (socket, perf_event, iter, ...).
   */
  setAttachTarget(name: string, target: string): this {
    if (this.bpfRef) throw new BtfsnoopError("EBUSY", `'${this.spec.name}': program '${name}': set attach target: the object is already loaded`);
    const p = this.spec.programs.find((x) => x.name === name);
    if (!p) throw new BtfsnoopError("ENOENT", `'${this.spec.name}': no program '${name}' (have ${this.programNames.join(", ") || "none"})`);
    const slash = p.secName.indexOf("/");
    const kind = slash < 0 ? p.secName : p.secName.slice(0, slash);
    if (!RETARGETABLE.has(kind)) throw new BtfsnoopError("EINVAL", `'${this.spec.name}': program '${name}' (SEC("${p.secName}")) has no attach target to set`);
    const tp = kind === "tracepoint" || kind === "tp";
    if (!target || (tp ? !/^[^/]+\/[^/]+$/.test(target) : target.includes("/"))) {
      throw new BtfsnoopError("EINVAL", `'${this.spec.name}': program '${name}': attach target '${target}' is not ${tp ? "CATEGORY/NAME" : "a function or event name"}`);
    }
    p.secName = `${kind}/${target}`;
    return this;
  }

  /** Whether a loaded program's attach target exists: kprobes need the function in kallsyms (other kinds were checked at load). */
  private targetExists(def: SectionDef): boolean {
    if (!def.target || !this.facts) return true;
    if (def.kind === "kprobe" || def.kind === "kretprobe") return this.facts.kallsyms.has(def.target);
    if (def.kind === "ksyscall" || def.kind === "kretsyscall") return this.facts.kallsyms.has(syscallSymbol(def.target));
    return true;
  }

  private get bpf(): Bpf {
    if (!this.bpfRef) throw new BtfsnoopError("EINVAL", `'${this.spec.name}': not loaded`);
    return this.bpfRef;
  }

  /**
   * Creates the maps, writes global data, relocates and loads every
   * autoloaded program. Any failure closes what was made and throws (the
   * message names section, program and insn). `core` applies CO-RE
   * relocations against the kernel's BTF.
   */
  /**
   * `alternatives`: load only one of alternative programs on the same event,
   * as a tool's user space switches the others off before load
   * (standalone.ts); the others' state says which program they yield to.
   */
  load(host: BpfHost, opts: LoadOptions & { coreFor?: (targetBtf: Btf) => CoreApplier; alternatives?: boolean } = {}): this {
    if (this.bpfRef) throw new BtfsnoopError("EBUSY", `'${this.spec.name}': already loaded`);
    const bpf = "bpf" in host ? host.bpf : host;
    let kernelBtf = kernelBtfs.get(bpf);
    if (!kernelBtf) kernelBtfs.set(bpf, (kernelBtf = parseBtf(bpf.btfBytes())));
    const facts = kernelFacts(bpf, kernelBtf);
    this.facts = facts;
    const data = initialData(this.spec, this.sets);
    const maps = createMaps(bpf, this.spec, data);
    try {
      const core = opts.core ?? (opts.coreFor ?? ((t: Btf) => coreApplierFor(this.spec, t)))(kernelBtf);
      const notLoaded = opts.alternatives ? alternativesBeforeLoad(this.spec, facts) : undefined;
      this.progs = loadPrograms(bpf, this.spec, maps, facts, {
        ...opts,
        ...(core ? { core } : {}),
        ...(this.switchedOff.size ? { switchedOff: this.switchedOff } : {}),
        ...(notLoaded?.size ? { notLoaded } : {}),
      });
    } catch (e) {
      for (const m of maps) bpf.close(m.fd);
      throw e;
    }
    this.maps = maps;
    this.bpfRef = bpf;
    return this;
  }

  /** Loaded programs' states (fd, verifier log, why skipped). */
  get programs(): readonly ProgramState[] {
    return this.progs;
  }

  /**
   * Attaches every loaded program by its section (libbpf's auto-attach).
   * Programs whose kind the kernel cannot serve, or that name no target, are
   * reported in status(); a failure to attach one that should attach
   * detaches everything and throws.
   */
  attach(opts: AttachOptions = {}): this {
    const bpf = this.bpf;
    const yieldTo = opts.alternatives
      ? alternativesToSkip(this.progs.filter((p) => p.fd !== undefined && p.def && this.targetExists(p.def)).map((p) => ({ name: p.spec.name, def: p.def! })))
      : new Map<string, string>();
    for (const p of this.progs) {
      if (p.fd === undefined || !p.def) continue;
      const winner = yieldTo.get(p.spec.name);
      if (winner !== undefined) {
        this.attachErrors.set(p.spec.name, alternativeReason(winner));
        continue;
      }
      if (this.links.some((l) => l.program === p.spec.name) || this.sockets.some((s) => s.program === p.spec.name)) continue;
      const def: SectionDef = p.def;
      if (def.attachType === "socket") {
        // A socket filter: its own packet socket on the interface, SO_ATTACH_BPF.
        const iface = opts.iface ?? DEFAULT_SOCKET_IFACE;
        const r = attachSocket(bpf, p.fd, iface);
        if (typeof r === "string") {
          this.detach();
          throw new BtfsnoopError("ENOENT", `'${this.spec.name}': section '${p.spec.section}', program '${p.spec.name}': attach to a packet socket on ${iface} failed: ${r}`);
        }
        this.sockets.push({ fd: r, program: p.spec.name, iface });
        continue;
      }
      if (!def.target) {
        this.attachErrors.set(p.spec.name, `SEC("${p.spec.secName}") names no target: loaded, not attached`);
        continue;
      }
      const r = attachBySection(bpf, p.fd, def);
      if (typeof r === "string" && opts.keepGoing) {
        this.attachErrors.set(p.spec.name, `attach ${def.attachType} '${def.target}' failed: ${r}`);
        continue;
      }
      if (typeof r === "string") {
        this.detach();
        throw new BtfsnoopError("ENOENT", `'${this.spec.name}': section '${p.spec.section}', program '${p.spec.name}': attach ${def.attachType} '${def.target}' failed: ${r}`);
      }
      this.links.push({ fd: r, program: p.spec.name, iter: def.attachType === "iter" });
    }
    // Perf buffers: open the per-CPU rings, as perf_buffer__new does, so programs have somewhere to write.
    for (const m of this.maps) {
      if (m.spec.type !== BPF_MAP_TYPE_PERF_EVENT_ARRAY || this.perfOpened.has(m.fd)) continue;
      if (bpf.perfBufferOpen(m.fd, 8) < 0) {
        const why = bpf.lastError;
        this.detach(); // as a failed attach: nothing left attached
        throw new BtfsnoopError("EINVAL", `'${this.spec.name}': map '${m.spec.name}': perf buffer: ${why}`);
      }
      this.perfOpened.add(m.fd);
    }
    return this;
  }

  /** Detaches every link (the programs and maps stay loaded). */
  detach(): void {
    if (!this.bpfRef) return;
    for (const l of this.links) this.bpfRef.close(l.fd);
    this.links = [];
    for (const s of this.sockets) this.bpfRef.close(s.fd);
    this.sockets = [];
  }

  /** The packet sockets socket filters are attached to, with their counters (received, filtered, trimmed, queue drops). */
  socketFilters(): SocketFilterStatus[] {
    const bpf = this.bpf;
    return this.sockets.map((s) => {
      const stats = bpf.socketStats(s.fd);
      if (typeof stats === "number") throw new BtfsnoopError("EBADF", `'${this.spec.name}': program '${s.program}': socket ${s.fd}: ${bpf.lastError}`);
      return { program: s.program, iface: s.iface, fd: s.fd, stats };
    });
  }

  /** Number of live links. */
  get linkCount(): number {
    return this.links.length;
  }

  /** Per program: loaded, attached, and why not. */
  status(): ProgramStatus[] {
    return this.spec.programs.map((spec) => {
      const p = this.progs.find((s) => s.spec === spec);
      const attached = this.links.some((l) => l.program === spec.name) || this.sockets.some((s) => s.program === spec.name);
      const error = p?.skipped ?? this.attachErrors.get(spec.name);
      return { name: spec.name, section: spec.section, loaded: p?.fd !== undefined, attached, ...(attached || error === undefined ? {} : { error }) };
    });
  }

  /** The fd of a map by its name in the object. */
  mapFd(name: string): number {
    const m = this.maps.find((x) => x.spec.name === name);
    if (!m) throw new BtfsnoopError("ENOENT", `'${this.spec.name}': no map '${name}' (have ${this.mapNames.join(", ") || "none"})`);
    return m.fd;
  }

  /** The spec of a map by name. */
  mapSpec(name: string): MapSpec {
    const m = this.spec.maps.find((x) => x.name === name);
    if (!m) throw new BtfsnoopError("ENOENT", `'${this.spec.name}': no map '${name}'`);
    return m;
  }

  private decode(typeId: number | undefined, bytes: Uint8Array): JsonValue {
    if (typeId !== undefined && this.spec.btf) return toJsonValue(this.spec.btf, typeId, bytes);
    return Array.from(bytes);
  }

  /** Every entry of a map (keys in the map's iteration order), decoded with its BTF key/value types. Ring buffers and perf arrays have none. */
  entries(name: string): MapEntry[] {
    const bpf = this.bpf;
    const fd = this.mapFd(name);
    const m = this.mapSpec(name);
    if (m.type === BPF_MAP_TYPE_RINGBUF || m.type === BPF_MAP_TYPE_PERF_EVENT_ARRAY) return [];
    const out: MapEntry[] = [];
    let key: Uint8Array | null = null;
    for (let i = 0; i < 1 << 20; i++) {
      const next = bpf.mapGetNextKey(fd, key);
      if (typeof next === "number") break;
      const value = bpf.mapLookupElem(fd, next);
      key = next;
      if (typeof value === "number") continue;
      let valueData: JsonValue;
      if (PERCPU_TYPES.has(m.type)) {
        // Per-CPU values come back as one round_up(value_size, 8) slot per possible CPU.
        const stride = Math.ceil(m.valueSize / 8) * 8;
        const per: JsonValue[] = [];
        for (let cpu = 0; stride > 0 && (cpu + 1) * stride <= value.length; cpu++) per.push({ cpu, value: this.decode(m.valueTypeId, value.subarray(cpu * stride, cpu * stride + m.valueSize)) });
        valueData = per;
      } else valueData = this.decode(m.valueTypeId, value);
      out.push({ key: next, value, keyData: this.decode(m.keyTypeId, next), valueData });
    }
    return out;
  }

  /** The value of one key (raw bytes), or undefined. */
  lookup(name: string, key: Uint8Array): Uint8Array | undefined {
    const r = this.bpf.mapLookupElem(this.mapFd(name), key);
    return typeof r === "number" ? undefined : r;
  }

  /** A global data map's variables by name, BTF-decoded (the skeleton's skel->bss->x). */
  variables(mapName: string): Record<string, JsonValue> {
    const m = this.mapSpec(mapName);
    const bytes = this.lookup(mapName, new Uint8Array(4)) ?? new Uint8Array(m.valueSize);
    const out: Record<string, JsonValue> = {};
    const btf = this.spec.btf;
    for (const v of m.vars ?? []) {
      const slice = bytes.subarray(v.offset, v.offset + v.size);
      if (!btf) {
        out[v.name] = Array.from(slice);
        continue;
      }
      const t = btf.typeById(v.typeId);
      out[v.name] = toJsonValue(btf, t.kind === BtfKind.VAR ? t.type : v.typeId, slice);
    }
    return out;
  }

  /**
   * Types a ring/perf record of `map` may be decoded with, in order: the
   * map's value type (ring buffers declared with __type(value, ...)), a
   * struct named `event`, then the structs global variables point to (the
   * libbpf-tools idiom `const struct event *unused;` that keeps a record
   * type in BTF). A record is decoded with the first whose size fits it.
   */
  eventTypes(map: MapSpec): number[] {
    const cached = this.eventCands.get(map.name);
    if (cached) return cached;
    const btf = this.spec.btf;
    const out: number[] = [];
    if (btf) {
      if (map.type === BPF_MAP_TYPE_RINGBUF && map.valueTypeId !== undefined) out.push(map.valueTypeId);
      const ev = btf.findByNameKind("event", BtfKind.STRUCT);
      if (ev !== undefined) out.push(ev);
      for (const m of this.spec.maps) {
        for (const v of m.vars ?? []) {
          try {
            const vt = btf.typeById(v.typeId);
            const ptr = btf.typeById(skipModsAndTypedefs(btf, vt.kind === BtfKind.VAR ? vt.type : v.typeId));
            if (ptr.kind !== BtfKind.PTR) continue;
            const target = skipModsAndTypedefs(btf, ptr.type);
            if (btf.kindOf(target) === BtfKind.STRUCT && !out.includes(target)) out.push(target);
          } catch {
            // malformed type ids: not a candidate
          }
        }
      }
    }
    this.eventCands.set(map.name, out);
    return out;
  }

  private record(map: MapSpec, bytes: Uint8Array, cpu?: number): EventRecord {
    const btf = this.spec.btf;
    const rec: EventRecord = { map: map.name, bytes, ...(cpu !== undefined ? { cpu } : {}) };
    if (!btf) return rec;
    for (const id of this.eventTypes(map)) {
      const size = resolveSize(btf, skipModsAndTypedefs(btf, id));
      // Perf samples are padded to 8 bytes; ring records are exact.
      if (size > 0 && bytes.length >= size && bytes.length < size + 8) {
        rec.data = toJsonValue(btf, id, bytes.subarray(0, size));
        break;
      }
    }
    return rec;
  }

  /** Drains every ring buffer and perf buffer of the object, in map order. */
  pollEvents(): EventRecord[] {
    const bpf = this.bpf;
    const out: EventRecord[] = [];
    for (const m of this.maps) {
      if (m.spec.type === BPF_MAP_TYPE_RINGBUF) {
        const recs = bpf.ringbufConsume(m.fd);
        if (typeof recs !== "number") for (const r of recs) out.push(this.record(m.spec, r));
      } else if (m.spec.type === BPF_MAP_TYPE_PERF_EVENT_ARRAY && this.perfOpened.has(m.fd)) {
        const recs = bpf.perfBufferPoll(m.fd);
        if (typeof recs === "number") continue;
        for (const r of recs) {
          if ("lost" in r) out.push({ map: m.spec.name, cpu: r.cpu, bytes: new Uint8Array(0), lost: r.lost });
          else out.push(this.record(m.spec, r.data, r.cpu));
        }
      }
    }
    return out;
  }

  /** The trace pipe lines written since the last read (bpf_trace_printk of any program on this kernel). */
  readTracePipe(): TracePipeLine[] {
    return this.bpf.readTracePipe();
  }

  /** Reads each iterator link once to its end (`cat` of the pinned iterator): program name and text. */
  readIterators(): { program: string; text: string }[] {
    const bpf = this.bpf;
    const out: { program: string; text: string }[] = [];
    for (const l of this.links) {
      if (!l.iter) continue;
      const fd = bpf.iterCreate(l.fd);
      if (fd < 0) throw new BtfsnoopError("EINVAL", `'${this.spec.name}': program '${l.program}': iter create: ${bpf.lastError}`);
      const chunks: Uint8Array[] = [];
      try {
        for (;;) {
          const r = bpf.read(fd, 65536);
          if (typeof r === "number") throw new BtfsnoopError("EINVAL", `'${this.spec.name}': program '${l.program}': iterator read: ${bpf.lastError}`);
          if (r.length === 0) break;
          chunks.push(r);
        }
      } finally {
        bpf.close(fd);
      }
      out.push({ program: l.program, text: Buffer.concat(chunks).toString("latin1") });
    }
    return out;
  }

  /** Detaches and closes everything the object made. Safe to call twice. */
  close(): void {
    if (!this.bpfRef) return;
    this.detach();
    for (const p of this.progs) if (p.fd !== undefined) this.bpfRef.close(p.fd);
    for (const m of this.maps) this.bpfRef.close(m.fd);
    this.progs = this.progs.map((p) => {
      const { fd: _fd, ...rest } = p;
      return rest;
    });
    this.maps = [];
    this.perfOpened.clear();
    this.bpfRef = undefined;
  }
}
