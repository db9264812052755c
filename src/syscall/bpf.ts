// The syscall surface (bpf(2)): one object per process, methods named after
// the commands. Every command returns its value or a negative errno and
// never throws for bad input; the detail of a failure is in `lastError`
// (and a program load's verifier log in `lastLog`). Objects live in the fd
// table (fd-table.ts) with reference counts; closeAll() is process exit.
//
// Program load follows bpf_prog_load: attributes, decode, the kernel's
// resolve_pseudo_ldimm64 (lddw map fds -> map descriptors for the verifier,
// map addresses for the interpreter; the program takes a reference on each
// map), the GPL check of helper calls, the verifier, then the interpreter's
// load. Link creation is delegated to attach handlers registered per attach
// type (the trampoline layer); without one, -EOPNOTSUPP.
import { Errno, type ErrnoName } from "../internal/errno.js";
import { BtfsnoopError } from "../internal/errors.js";
import { helperProto } from "../vm/helpers/protos.js";
import { vmHelperTable } from "../vm/helpers/table.js";
import { Interpreter, type LoadedProgram, type RunOptions } from "../vm/interpreter.js";
import { DecodeError, decodeForLoad } from "../vm/isa/decode.js";
import type { Program } from "../vm/isa/instruction.js";
import { Class, JmpOp, LDDW, PseudoCall, PseudoLd } from "../vm/isa/opcodes.js";
import {
  type BatchCount,
  type BatchOptions,
  type BatchResult,
  BPF_MAP_TYPE_ARRAY,
  BPF_OBJ_NAME_LEN,
  createMap,
  type MapAttr,
  type MapInfo,
  MapRegistry,
  PerfEventArrayMap,
  PERF_RECORD_SAMPLE,
  ProgArrayMap,
  RingbufMap,
  type RingbufStats,
} from "../vm/maps/index.js";
import { RegionKind, regionAddress, type Region } from "../vm/memory.js";
import { iterBtf } from "../vm/verifier/iter-prog-types.js";
import { checkInfo, progTypeOf } from "./prog-attr.js";
import type { MapDesc } from "../vm/verifier/types.js";
import { verify } from "../vm/verifier/verifier.js";
import { FdTable, type KernelObject } from "./fd-table.js";
import { SocketCalls, type NetDeviceInfo, type PacketRecord, type PacketSocketLayer, type SockaddrLl, type SocketStats } from "./sockets.js";
import { BtfObject, IterObject, LinkObject, MapObject, ProgObject, VERIFIED_RUN_BUDGET } from "./objects.js";
import type {
  AttachFailure,
  AttachHandler,
  AttachTarget,
  BpfProg,
  IterObjects,
  IterReader,
  BtfInfo,
  KallsymsEntry,
  KernelServices,
  LinkInfo,
  ObjectCounts,
  PerfBufferRecord,
  TracePipeLine,
  ProgInfo,
  ProgLoadAttr,
  ProgLoadResult,
  TestRunOptions,
  TestRunResult,
  TracepointInfo,
} from "./types.js";
import { PROG_TYPES, VMLINUX_BTF_ID } from "./types.js";

/** Licenses license_is_gpl_compatible accepts. */
const GPL_LICENSES = new Set(["GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL"]);
/** BPF_MAXINSNS (unprivileged) and BPF_COMPLEXITY_LIMIT_INSNS (privileged). */
const MAX_INSNS_UNPRIV = 4096;
const MAX_INSNS_PRIV = 1_000_000;
/** The id of the kernel's own BTF object. */

const OBJ_NAME_RE = /^[A-Za-z0-9_.]*$/;

function err(name: ErrnoName): number {
  return -Errno[name];
}

/** strerror-like name of a negative errno, e.g. -2 -> "ENOENT". */
export function errnoString(code: number): string {
  const n = Math.abs(code);
  for (const [name, v] of Object.entries(Errno)) if (v === n) return name;
  return `errno ${n}`;
}

export class Bpf {
  /** Detail of the last failed command ("" after a success). */
  lastError = "";
  /** The verifier log of the last program load (accepted or not). */
  lastLog: string[] = [];
  /** The kernel's map table (ids, lookup by address). */
  readonly registry = new MapRegistry();

  private readonly services: KernelServices;
  private readonly fds = new FdTable();
  private readonly interpreter: Interpreter;
  private readonly live = new Set<KernelObject>();
  private readonly progById = new Map<number, ProgObject>();
  private readonly progByLoaded = new WeakMap<LoadedProgram, ProgObject>();
  private readonly handlers = new Map<string, AttachHandler>();
  private iterOpener: ((prog: BpfProg, target: string) => IterReader | AttachFailure) | undefined;
  private vmlinuxBtf: BtfObject | undefined;
  private lastProgId = 0;
  private lastLinkId = 0;
  private readonly onFree = (obj: KernelObject): void => this.freed(obj);

  private readonly helpers = vmHelperTable();
  private socketLayer: PacketSocketLayer | undefined;
  private readonly sock = new SocketCalls(
    this.fds,
    (code, message) => this.fail(code, message),
    (o) => this.install(o),
    this.onFree,
    () => this.socketLayer,
  );

  constructor(services: KernelServices) {
    this.services = services;
    const helpers = this.helpers;
    this.interpreter = new Interpreter({
      mem: services.mem,
      env: services.env,
      helper: (id) => helpers.impl(id),
      mapAt: this.registry.mapAt,
    });
  }

  /** The VM address space programs run in (attach layers map their contexts here). */
  get mem(): KernelServices["mem"] {
    return this.services.mem;
  }

  /** Adds helper implementations that a kernel-side layer provides (the trampoline's get_func_* helpers). */
  registerHelpers(impls: Readonly<Record<number, import("../vm/helpers/abi.js").HelperImpl>>): void {
    for (const [id, impl] of Object.entries(impls)) this.helpers.register(Number(id), impl);
  }

  // ---- result plumbing --------------------------------------------------------------

  private fail(code: number, message?: string): number {
    this.lastError = message ?? errnoString(code);
    return code;
  }

  private begin(): void {
    this.lastError = "";
  }

  private mapOf(fd: number): MapObject | number {
    const o = this.fds.getKind<MapObject>(fd, "map");
    if (typeof o === "number") this.fail(o, o === err("EBADF") ? `fd ${fd} is not open` : `fd ${fd} is not a map`);
    return o;
  }

  private progOf(fd: number): ProgObject | number {
    const o = this.fds.getKind<ProgObject>(fd, "prog");
    if (typeof o === "number") this.fail(o, o === err("EBADF") ? `fd ${fd} is not open` : `fd ${fd} is not a program`);
    return o;
  }

  private linkOf(fd: number): LinkObject | number {
    const o = this.fds.getKind<LinkObject>(fd, "link");
    if (typeof o === "number") this.fail(o, o === err("EBADF") ? `fd ${fd} is not open` : `fd ${fd} is not a link`);
    return o;
  }

  private install(obj: KernelObject): number {
    this.live.add(obj);
    return this.fds.install(obj);
  }

  private freed(obj: KernelObject): void {
    this.live.delete(obj);
    if (obj instanceof ProgObject) {
      this.progById.delete(obj.id);
      // Prog arrays hold programs by value here: drop the freed one so no tail call reaches it.
      for (const m of this.registry.all()) {
        if (!(m instanceof ProgArrayMap)) continue;
        for (let i = 0; i < m.maxEntries; i++) if (m.progAt(i) === obj.loaded) m.clearProg(i);
      }
    }
    if (obj === this.vmlinuxBtf) this.vmlinuxBtf = undefined;
  }

  // ---- BTF and symbols ------------------------------------------------------------

  /** BPF_BTF_GET_FD_BY_ID for the kernel's BTF (vmlinux): a new fd to it. */
  btfGetFd(): number {
    this.begin();
    this.vmlinuxBtf ??= new BtfObject(VMLINUX_BTF_ID, this.services.btf, () => this.services.btfBytes(), this.onFree);
    return this.install(this.vmlinuxBtf);
  }

  /** BPF_OBJ_GET_INFO_BY_FD on a BTF fd: its id and raw bytes. */
  btfGetInfo(fd: number): BtfInfo | number {
    this.begin();
    const o = this.fds.getKind<BtfObject>(fd, "btf");
    if (typeof o === "number") return this.fail(o, o === err("EBADF") ? `fd ${fd} is not open` : `fd ${fd} is not BTF`);
    return { id: o.id, name: "vmlinux", kernelBtf: true, btf: o.bytes() };
  }

  /** The kernel's BTF bytes (/sys/kernel/btf/vmlinux). */
  btfBytes(): Uint8Array {
    this.begin();
    return this.services.btfBytes();
  }

  /** The tracepoints (what the tracefs format files describe), by category and name. */
  tracepoints(): TracepointInfo[] {
    return this.services.tracepoints?.() ?? [];
  }

  /** The kernel's functions: /proc/kallsyms' text (T/t) lines, what probes attach to and stacks symbolize with. */
  kallsyms(): KallsymsEntry[] {
    this.begin();
    return this.services.kallsyms();
  }

  /** All of /proc/kallsyms: functions and variables (D/d, B/b, R/r), each with its type letter, in address order (what .ksyms externs resolve against). */
  ksyms(): KallsymsEntry[] {
    this.begin();
    return this.services.ksyms?.() ?? this.services.kallsyms();
  }

  /** The program types progLoad accepts (libbpf probes the kernel for these; here the layer says). */
  progTypes(): readonly string[] {
    return PROG_TYPES;
  }

  /** /proc/config.gz as CONFIG_X -> value, plus LINUX_KERNEL_VERSION (empty when the kernel publishes none). */
  kconfig(): ReadonlyMap<string, string> {
    this.begin();
    return this.services.kconfig?.() ?? new Map();
  }

  /** read(2) on /sys/kernel/tracing/trace_pipe: the bpf_trace_printk lines written since the last read (consumed). */
  readTracePipe(): TracePipeLine[] {
    this.begin();
    return this.services.readTracePipe?.() ?? [];
  }

  // ---- maps ------------------------------------------------------------------------

  /** BPF_MAP_CREATE: a new map fd, or -EINVAL/-E2BIG/-ENOMEM/... from the map layer. */
  mapCreate(attr: MapAttr): number {
    this.begin();
    if (typeof attr !== "object" || attr === null) return this.fail(err("EINVAL"), "missing map attributes");
    if (attr.name !== undefined && (typeof attr.name !== "string" || attr.name.length >= BPF_OBJ_NAME_LEN || !OBJ_NAME_RE.test(attr.name))) {
      return this.fail(err("EINVAL"), `invalid map name '${String(attr.name)}': up to 15 characters of [A-Za-z0-9_.]`);
    }
    const m = createMap(attr, { mem: this.services.mem, nrCpus: this.services.nrCpus, registry: this.registry });
    if (typeof m === "number") return this.fail(m, `map create: ${errnoString(m)}`);
    if (m instanceof ProgArrayMap) this.hookProgArray(m as ProgArrayMap<LoadedProgram>);
    return this.install(new MapObject(m, this.registry, this.onFree));
  }

  /** Prog arrays store loaded programs; user space names them by prog fd and reads back their ids. */
  private hookProgArray(m: ProgArrayMap<LoadedProgram>): void {
    m.hooks = {
      fromFd: (fd) => {
        const p = this.fds.getKind<ProgObject>(fd, "prog");
        return typeof p === "number" ? p : { prog: p.loaded };
      },
      idOf: (lp) => this.progByLoaded.get(lp)?.id ?? 0,
      compatible: (lp, current) => {
        const first = current[0];
        return first === undefined || this.progByLoaded.get(first)?.type === this.progByLoaded.get(lp)?.type;
      },
    };
  }

  private mapResult<T>(r: T | number, what: string): T | number {
    if (typeof r === "number" && r < 0) return this.fail(r, `${what}: ${errnoString(r)}`);
    return r;
  }

  private keyOk(key: unknown): boolean {
    return key instanceof Uint8Array;
  }

  /** BPF_MAP_LOOKUP_ELEM: a copy of the value, or -ENOENT/-EFAULT/... */
  mapLookupElem(fd: number, key: Uint8Array, flags = 0): Uint8Array | number {
    this.begin();
    const o = this.mapOf(fd);
    if (typeof o === "number") return o;
    if (!this.keyOk(key)) return this.fail(err("EFAULT"), "key is not a byte buffer");
    return this.mapResult(o.map.lookup(key, flags), "lookup");
  }

  /**
   * The user-space side of a BPF_MAP_TYPE_RINGBUF (what libbpf's
   * ring_buffer__consume does over the mmap'd pages): up to `max` committed
   * records in order, advancing the consumer position; -EINVAL for other maps.
   */
  ringbufConsume(fd: number, max = Infinity): Uint8Array[] | number {
    this.begin();
    const o = this.mapOf(fd);
    if (typeof o === "number") return o;
    if (!(o.map instanceof RingbufMap)) return this.fail(err("EINVAL"), `map ${fd} is not a ring buffer`);
    return o.map.consume(max).map((s) => s.data);
  }

  /**
   * perf_buffer__new on a BPF_MAP_TYPE_PERF_EVENT_ARRAY: opens a BPF output
   * perf event with a ring of `pageCount` pages (a power of two) for each CPU
   * and stores it at the CPU's index. 0, or -EINVAL.
   */
  perfBufferOpen(fd: number, pageCount = 8): number {
    this.begin();
    const o = this.mapOf(fd);
    if (typeof o === "number") return o;
    if (!(o.map instanceof PerfEventArrayMap)) return this.fail(err("EINVAL"), `map ${fd} is not a perf event array`);
    const r = o.map.openBuffers(pageCount);
    return typeof r === "number" ? this.fail(r, `perf buffer: ${errnoString(r)}`) : 0;
  }

  /** perf_buffer__consume: every sample (and lost-sample count) in the rings, CPU by CPU; -EINVAL for other maps. */
  perfBufferPoll(fd: number): PerfBufferRecord[] | number {
    this.begin();
    const o = this.mapOf(fd);
    if (typeof o === "number") return o;
    if (!(o.map instanceof PerfEventArrayMap)) return this.fail(err("EINVAL"), `map ${fd} is not a perf event array`);
    return o.map.poll().map((r) => (r.type === PERF_RECORD_SAMPLE ? { cpu: r.cpu, data: (r as { data: Uint8Array }).data } : { cpu: r.cpu, lost: (r as { lost: number }).lost }));
  }

  /** Ring buffer statistics (records written, dropped for lack of space, ...), or -EINVAL for other maps. */
  ringbufStats(fd: number): RingbufStats | number {
    this.begin();
    const o = this.mapOf(fd);
    if (typeof o === "number") return o;
    if (!(o.map instanceof RingbufMap)) return this.fail(err("EINVAL"), `map ${fd} is not a ring buffer`);
    return o.map.stats();
  }

  /** BPF_MAP_UPDATE_ELEM: 0, or -EEXIST/-ENOENT/-E2BIG/... */
  mapUpdateElem(fd: number, key: Uint8Array, value: Uint8Array, flags = 0): number {
    this.begin();
    const o = this.mapOf(fd);
    if (typeof o === "number") return o;
    if (!this.keyOk(key) || !this.keyOk(value)) return this.fail(err("EFAULT"), "key or value is not a byte buffer");
    return this.mapResult(o.map.update(key, value, flags), "update");
  }

  /** BPF_MAP_DELETE_ELEM: 0 or -ENOENT/-EINVAL/... */
  mapDeleteElem(fd: number, key: Uint8Array): number {
    this.begin();
    const o = this.mapOf(fd);
    if (typeof o === "number") return o;
    if (!this.keyOk(key)) return this.fail(err("EFAULT"), "key is not a byte buffer");
    return this.mapResult(o.map.delete(key), "delete");
  }

  /** BPF_MAP_GET_NEXT_KEY: the key after `key` (the first for null), or -ENOENT at the end. */
  mapGetNextKey(fd: number, key: Uint8Array | null): Uint8Array | number {
    this.begin();
    const o = this.mapOf(fd);
    if (typeof o === "number") return o;
    if (key !== null && !this.keyOk(key)) return this.fail(err("EFAULT"), "key is not a byte buffer");
    return this.mapResult(o.map.getNextKey(key), "get next key");
  }

  /** BPF_MAP_LOOKUP_AND_DELETE_ELEM. */
  mapLookupAndDeleteElem(fd: number, key: Uint8Array, flags = 0): Uint8Array | number {
    this.begin();
    const o = this.mapOf(fd);
    if (typeof o === "number") return o;
    if (!this.keyOk(key)) return this.fail(err("EFAULT"), "key is not a byte buffer");
    return this.mapResult(o.map.lookupAndDelete(key, flags), "lookup and delete");
  }

  /** BPF_MAP_FREEZE. */
  mapFreeze(fd: number): number {
    this.begin();
    const o = this.mapOf(fd);
    if (typeof o === "number") return o;
    return this.mapResult(o.map.freeze(), "freeze");
  }

  private batch<T extends { err: number }>(fd: number, what: string, op: (o: MapObject) => T, empty: (e: number) => T): T {
    this.begin();
    const o = this.mapOf(fd);
    if (typeof o === "number") return empty(o);
    const r = op(o);
    // -ENOENT from a lookup batch means "end of the map reached", not a failure of the call's data.
    if (r.err < 0) this.fail(r.err, `${what}: ${errnoString(r.err)}`);
    return r;
  }

  private static emptyBatch(e: number): BatchResult {
    return { err: e, count: 0, keys: [], values: [], outBatch: undefined };
  }

  /** BPF_MAP_LOOKUP_BATCH (err -ENOENT: the end of the map was reached). */
  mapLookupBatch(fd: number, inBatch: Uint8Array | null, count: number, opts: BatchOptions = {}): BatchResult {
    return this.batch(fd, "lookup batch", (o) => o.map.lookupBatch(inBatch, count, opts), Bpf.emptyBatch);
  }

  /** BPF_MAP_LOOKUP_AND_DELETE_BATCH. */
  mapLookupAndDeleteBatch(fd: number, inBatch: Uint8Array | null, count: number, opts: BatchOptions = {}): BatchResult {
    return this.batch(fd, "lookup and delete batch", (o) => o.map.lookupAndDeleteBatch(inBatch, count, opts), Bpf.emptyBatch);
  }

  /** BPF_MAP_UPDATE_BATCH. */
  mapUpdateBatch(fd: number, keys: readonly Uint8Array[], values: readonly Uint8Array[], opts: BatchOptions = {}): BatchCount {
    return this.batch(fd, "update batch", (o) => o.map.updateBatch(keys, values, opts), (e) => ({ err: e, count: 0 }));
  }

  /** BPF_MAP_DELETE_BATCH. */
  mapDeleteBatch(fd: number, keys: readonly Uint8Array[], opts: BatchOptions = {}): BatchCount {
    return this.batch(fd, "delete batch", (o) => o.map.deleteBatch(keys, opts), (e) => ({ err: e, count: 0 }));
  }

  /** BPF_OBJ_GET_INFO_BY_FD on a map fd. */
  mapGetInfoByFd(fd: number): MapInfo | number {
    this.begin();
    const o = this.mapOf(fd);
    if (typeof o === "number") return o;
    return o.map.info();
  }

  /** BPF_MAP_GET_NEXT_ID: the smallest map id above `startId`, or -ENOENT. */
  mapGetNextId(startId: number): number {
    this.begin();
    return this.mapResult(this.registry.getNextId(startId), "map get next id");
  }

  /** BPF_MAP_GET_FD_BY_ID: a new fd to the map, or -ENOENT. */
  mapGetFdById(id: number): number {
    this.begin();
    for (const o of this.live) if (o instanceof MapObject && o.map.id === id) return this.fds.install(o);
    return this.fail(err("ENOENT"), `no map with id ${id}`);
  }

  // ---- programs -----------------------------------------------------------------------

  /** BPF_PROG_LOAD: { fd, log }, or a negative errno with the detail in lastError and the log in lastLog. */
  progLoad(attr: ProgLoadAttr): ProgLoadResult | number {
    this.begin();
    this.lastLog = [];
    if (typeof attr !== "object" || attr === null) return this.fail(err("EINVAL"), "missing program attributes");
    const privileged = attr.privileged ?? true;
    const name = attr.name ?? "";
    if (typeof name !== "string" || name.length >= BPF_OBJ_NAME_LEN || !OBJ_NAME_RE.test(name)) {
      return this.fail(err("EINVAL"), `invalid program name '${String(name)}': up to 15 characters of [A-Za-z0-9_.]`);
    }
    const logLevel = attr.logLevel ?? 0;
    if (logLevel !== 0 && logLevel !== 1 && logLevel !== 2) return this.fail(err("EINVAL"), `invalid log level ${String(logLevel)}`);
    const license = attr.license ?? "";
    if (typeof license !== "string") return this.fail(err("EINVAL"), "license is not a string");

    // Program type.
    const typed = progTypeOf(attr, this.services.btf, () => this.tracepoints());
    if (typeof typed === "string") return this.fail(err("EINVAL"), typed);
    const { progType, ctxSize } = typed;

    // Instructions: count limits as bpf_prog_load, then the strict decoder.
    if (!(attr.insns instanceof Uint8Array)) return this.fail(err("EINVAL"), "insns is not a byte buffer");
    if (attr.insns.length % 8 !== 0) return this.fail(err("EINVAL"), `insns length ${attr.insns.length} is not a multiple of 8`);
    const cnt = attr.insns.length / 8;
    const maxInsns = privileged ? MAX_INSNS_PRIV : MAX_INSNS_UNPRIV;
    if (cnt === 0 || cnt > maxInsns) return this.fail(err("E2BIG"), `insn_cnt ${cnt} is not in 1..${maxInsns}`);
    let program: Program;
    try {
      program = decodeForLoad(attr.insns);
    } catch (e) {
      // A malformed instruction is refused in the verifier's words, at its slot.
      if (e instanceof DecodeError) return this.loadFail(e.code, e.kernelReason, e.index!);
      if (e instanceof BtfsnoopError) return this.fail(e.code, e.message);
      throw e;
    }

    // resolve_pseudo_ldimm64: map fds -> map objects (the program will hold them).
    const used = new Map<number, MapObject>();
    for (let i = 0; i < program.insns.length; i++) {
      const insn = program.insns[i]!;
      const slot = program.slotOf[i]!;
      if (insn.opcode !== LDDW) continue;
      if (insn.src !== PseudoLd.MAP_FD && insn.src !== PseudoLd.MAP_VALUE) continue;
      if (insn.src === PseudoLd.MAP_FD && (insn.imm2 ?? 0) !== 0) return this.loadFail(err("EINVAL"), "unrecognized bpf_ld_imm64 insn", slot);
      const o = this.fds.getKind<MapObject>(insn.imm, "map");
      if (typeof o === "number") return this.loadFail(o, `fd ${insn.imm} is not pointing to valid bpf_map`, slot);
      used.set(insn.imm, o);
      if (insn.src === PseudoLd.MAP_VALUE && o.map.type === BPF_MAP_TYPE_ARRAY && o.map.maxEntries === 1) {
        const off = (insn.imm2 ?? 0) >>> 0;
        if (off >= o.map.valueSize) return this.loadFail(err("EINVAL"), `invalid access to map value pointer, value_size=${o.map.valueSize} off=${off}`, slot);
      }
    }

    // GPL-only helpers need a GPL-compatible license (check_helper_call).
    const gpl = GPL_LICENSES.has(license);
    if (!gpl) {
      for (let i = 0; i < program.insns.length; i++) {
        const insn = program.insns[i]!;
        if (insn.opcode !== (Class.JMP | JmpOp.CALL) || insn.src !== PseudoCall.HELPER) continue;
        if (progType.helper(insn.imm)?.gplOnly ?? helperProto(insn.imm)?.gplOnly) {
          return this.loadFail(err("EINVAL"), "cannot call GPL-restricted function from non-GPL compatible program", program.slotOf[i]!);
        }
      }
    }

    // bpf_func_info / bpf_line_info (check_btf_func, check_btf_line): in range and ascending.
    const lineErr = checkInfo(attr, program.slotOf[program.insns.length]!);
    if (lineErr) return this.loadFail(err("EINVAL"), lineErr, 0);

    // The verifier.
    // One descriptor per map for the whole verification (lddw is met on every path).
    const descs = new Map<number, MapDesc | undefined>();
    const mapByFd = (fd: number): MapDesc | undefined => {
      if (!descs.has(fd)) descs.set(fd, describeMap(fd));
      return descs.get(fd);
    };
    const describeMap = (fd: number): MapDesc | undefined => {
      const m = used.get(fd)?.map;
      if (!m) return undefined;
      const desc: MapDesc = { type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, name: m.name };
      // bpf_map_is_rdonly: programs cannot write it and user space can no longer either; its bytes are constants.
      if (m.type === 2 && m.maxEntries === 1 && m.flags & (1 << 7) && m.frozen) {
        const v = m.lookup(new Uint8Array(4));
        if (v instanceof Uint8Array) return { ...desc, readOnlyValue: v.slice() };
      }
      return desc;
    };
    const btf = progType.name === "iter" ? iterBtf(this.services.btf) : this.services.btf;
    const res = verify(program, { progType, privileged, logLevel, mapByFd, btf, ...(attr.lineInfo?.length ? { lineInfo: attr.lineInfo } : {}) });
    this.lastLog = res.log;
    if (!res.accepted) {
      const e = res.error!;
      return this.fail(e.code, e.reason);
    }

    // The interpreter's load: lddw values become map addresses.
    let loaded: LoadedProgram;
    try {
      // A socket filter runs as converted after verification (its __sk_buff accesses and LD_ABS rewritten).
      loaded = this.interpreter.load(res.program ?? program, name || "prog", (src, imm, imm2) => {
        const m = used.get(imm)!.map;
        if (src === PseudoLd.MAP_FD) return m.address;
        const zero = new Uint8Array(4);
        return m.progLookup(zero, 0) + BigInt(imm2 >>> 0);
      }, res.probeMem, { budget: VERIFIED_RUN_BUDGET, ...(res.kernelStores ? { kernelStores: res.kernelStores } : {}), ...(attr.jit === undefined ? {} : { jit: attr.jit }) });
    } catch (e) {
      if (e instanceof BtfsnoopError) return this.fail(e.code, e.message);
      throw e;
    }
    const id = this.allocProgId();
    const prog = new ProgObject({
      id,
      name,
      type: progType.name,
      verifierType: progType,
      loaded,
      ctxSize,
      maps: [...new Set(used.values())],
      stats: res.stats,
      license,
      interpreter: this.interpreter,
      onFree: this.onFree,
    });
    this.progById.set(id, prog);
    this.progByLoaded.set(loaded, prog);
    return { fd: this.install(prog), log: res.log };
  }

  /** A load failure found before the verifier ran: the log holds the kernel's message. */
  private loadFail(code: number, reason: string, slot: number): number {
    this.lastLog = [`${slot}: ${reason}`];
    return this.fail(code, reason);
  }

  private allocProgId(): number {
    do this.lastProgId = this.lastProgId + 1 >= 0x7fffffff ? 1 : this.lastProgId + 1;
    while (this.progById.has(this.lastProgId));
    return this.lastProgId;
  }

  /** BPF_OBJ_GET_INFO_BY_FD on a program fd. */
  progGetInfoByFd(fd: number): ProgInfo | number {
    this.begin();
    const p = this.progOf(fd);
    if (typeof p === "number") return p;
    return {
      id: p.id,
      name: p.name,
      type: p.type,
      insnCnt: p.loaded.slots,
      verifiedInsns: p.stats.processed,
      jited: p.loaded.jitted !== undefined,
      ...(p.loaded.jitted ? { jitedSource: p.loaded.jitted.source } : {}),
      ...(p.loaded.jitError !== undefined ? { jitError: p.loaded.jitError } : {}),
      ...(p.loaded.jitTimeMs !== undefined ? { jitTimeMs: p.loaded.jitTimeMs } : {}),
      verifierStats: { ...p.stats },
      mapIds: p.maps.map((m) => m.map.id),
      license: p.license,
      gplCompatible: GPL_LICENSES.has(p.license),
      runCnt: p.runCnt,
      runTimeNs: p.runTimeNs,
    };
  }

  /** BPF_PROG_GET_FD_BY_ID: a new fd to the program, or -ENOENT. */
  progGetFdById(id: number): number {
    this.begin();
    const p = this.progById.get(id);
    if (!p) return this.fail(err("ENOENT"), `no program with id ${id}`);
    return this.fds.install(p);
  }

  /**
   * BPF_PROG_TEST_RUN: maps the context (tracing: ctxIn as the u64
   * arguments; conformance: dataIn as the memory behind r1, r2 = its size),
   * runs the program `repeat` times and unmaps the context.
   */
  progTestRun(fd: number, opts: TestRunOptions = {}): TestRunResult | number {
    this.begin();
    const p = this.progOf(fd);
    if (typeof p === "number") return p;
    const repeat = opts.repeat ?? 1;
    if (!Number.isInteger(repeat) || repeat < 0) return this.fail(err("EINVAL"), `invalid repeat ${repeat}`);
    const budget = opts.budget;
    if (budget !== undefined && !(Number.isInteger(budget) && budget > 0)) return this.fail(err("EINVAL"), `invalid budget ${budget}`);
    for (const [k, v] of [["ctxIn", opts.ctxIn], ["dataIn", opts.dataIn]] as const) {
      if (v !== undefined && !(v instanceof Uint8Array)) return this.fail(err("EINVAL"), `${k} is not a byte buffer`);
    }
    if (p.type === "socket_filter") return this.testRunSkb(p, repeat, budget, opts);
    const mem = this.services.mem;
    let region: Region | undefined;
    let run: RunOptions;
    if (p.type === "tracing" || p.type === "raw_tracepoint") {
      if (opts.dataIn?.length) return this.fail(err("EINVAL"), `${p.type} programs take no data_in`);
      const ctxIn = opts.ctxIn ?? new Uint8Array(0);
      if (ctxIn.length > p.ctxSize) return this.fail(err("EINVAL"), `ctx_size_in ${ctxIn.length} is larger than the context (${p.ctxSize} bytes)`);
      const bytes = new Uint8Array(p.ctxSize);
      bytes.set(ctxIn);
      region = mem.map(RegionKind.CTX, bytes, { writable: false, label: `ctx of prog ${p.id} '${p.name}'` });
      run = { ctx: region, budget };
    } else {
      if (opts.ctxIn?.length) return this.fail(err("EINVAL"), "conformance programs take no ctx_in");
      const dataIn = opts.dataIn ?? new Uint8Array(0);
      if (dataIn.length > p.ctxSize) return this.fail(err("EINVAL"), `data_size_in ${dataIn.length} is larger than the program's memory (${p.ctxSize} bytes)`);
      if (p.ctxSize > 0) {
        const bytes = new Uint8Array(p.ctxSize);
        bytes.set(dataIn);
        region = mem.map(RegionKind.MEM, bytes, { label: `data of prog ${p.id} '${p.name}'` });
      }
      run = { args: [region ? regionAddress(region) : 0n, BigInt(p.ctxSize)], budget };
    }
    try {
      const out = runRepeated(p, run, repeat);
      if (p.type === "conformance") out.dataOut = region ? region.bytes.slice() : new Uint8Array(0);
      return out;
    } finally {
      if (region) mem.unmap(region);
    }
  }

  /**
   * bpf_prog_test_run_skb for a socket filter: the kernel builds an sk_buff
   * around data_in (an Ethernet frame received on lo, data at the network
   * header), the program runs on it, data_out is the packet with its
   * Ethernet header zeroed. ctx_in (a struct __sk_buff to start from) is
   * not supported here.
   */
  private testRunSkb(p: ProgObject, repeat: number, budget: number | undefined, opts: TestRunOptions): TestRunResult | number {
    if (!this.socketLayer) return this.fail(err("ENOTSUPP"), "BPF_PROG_TEST_RUN of a socket filter needs an sk_buff built from data_in, which this kernel (it has no packets) does not provide; attach it to a socket (SO_ATTACH_BPF) instead");
    if (opts.ctxIn?.length) return this.fail(err("EINVAL"), "ctx_in (a struct __sk_buff) is not supported for socket filter test runs here");
    const t = this.socketLayer.testRunSkb(opts.dataIn ?? new Uint8Array(0));
    if (typeof t === "string") return this.fail(err("EINVAL"), t);
    try {
      const out = runRepeated(p, { args: [t.skb], budget }, repeat);
      out.dataOut = t.dataOut();
      return out;
    } finally {
      t.free();
    }
  }

  // ---- links ------------------------------------------------------------------------

  /** Installs the handler that attaches programs for `attachType` (the trampoline layer registers fentry, fexit, ...). */
  registerAttachHandler(attachType: string, handler: AttachHandler): void {
    this.handlers.set(attachType, handler);
  }

  /** BPF_LINK_CREATE: a link fd; -EOPNOTSUPP when no handler serves `attachType`. */
  linkCreate(progFd: number, attachType: string, target: AttachTarget = {}): number {
    this.begin();
    const p = this.progOf(progFd);
    if (typeof p === "number") return p;
    const handler = this.handlers.get(attachType);
    if (!handler) return this.fail(err("EOPNOTSUPP"), `attach type ${attachType} is provided by the trampoline layer`);
    const r = handler(p, target, attachType);
    if (typeof r === "number") return this.fail(r < 0 ? r : err("EINVAL"), `attach ${attachType} of prog ${p.id} '${p.name}': ${errnoString(r)}`);
    if (typeof r !== "function") return this.fail(r.errno < 0 ? r.errno : err("EINVAL"), r.message);
    this.lastLinkId++;
    return this.install(new LinkObject(this.lastLinkId, p, attachType, target, r, this.onFree));
  }

  /** Installs what BPF_ITER_CREATE opens for an iterator link (src/syscall/iter.ts). */
  registerIterOpener(open: (prog: BpfProg, target: string) => IterReader | AttachFailure): void {
    this.iterOpener = open;
  }

  /**
   * BPF_ITER_CREATE on an iterator link: an fd to read the dump from
   * (read()), each one a walk over the target's objects. -EINVAL for other
   * links or a detached one.
   */
  iterCreate(linkFd: number): number {
    this.begin();
    const l = this.linkOf(linkFd);
    if (typeof l === "number") return l;
    if (l.attachType !== "iter") return this.fail(err("EINVAL"), `link ${l.id} is not an iterator link (attach type ${l.attachType})`);
    if (l.detached) return this.fail(err("EINVAL"), `link ${l.id} is detached`);
    if (!this.iterOpener) return this.fail(err("EOPNOTSUPP"), "no iterator targets are registered");
    const target = (l.prog.verifierType as { target?: string }).target ?? "";
    const r = this.iterOpener(l.prog, target);
    if ("errno" in r) return this.fail(r.errno, r.message);
    return this.install(new IterObject(r, l, this.onFree));
  }

  /**
   * read(2) on an iterator fd: up to `count` bytes of the dump, an empty
   * array at its end, or a negative errno (-E2BIG: one object's output
   * overflowed the seq_file buffer). On a packet socket: the next queued
   * packet's first `count` bytes, or -EAGAIN. -EINVAL for other fds.
   */
  read(fd: number, count = 4096): Uint8Array | number {
    this.begin();
    if (!Number.isInteger(count) || count < 0) return this.fail(err("EINVAL"), `read of ${count} bytes`);
    // read(2) on a packet socket: the next queued packet, cut to the buffer (the rest of it is lost, as for a datagram).
    if (this.fds.get(fd)?.kind === "socket") {
      const r = this.sock.recv(fd);
      return typeof r === "number" ? r : r.data.slice(0, count);
    }
    const o = this.fds.getKind<IterObject>(fd, "iter");
    if (typeof o === "number") return this.fail(o, o === err("EBADF") ? `fd ${fd} is not open` : `fd ${fd} is not an iterator (read(2) is for BPF_ITER_CREATE fds)`);
    const r = o.read(count);
    return typeof r === "number" ? this.fail(r, `iterator read failed (${r})`) : r;
  }

  /** The maps and programs that exist (what the bpf_map and bpf_prog iterators walk), by id. */
  iterObjects(): IterObjects {
    const userRefs = new Map<KernelObject, number>();
    for (const fd of this.fds.openFds()) {
      const o = this.fds.get(fd)!;
      userRefs.set(o, (userRefs.get(o) ?? 0) + 1);
    }
    const maps: IterObjects["maps"] = [];
    const progs: IterObjects["progs"] = [];
    for (const o of this.live) {
      if (o instanceof MapObject) {
        const m = o.map;
        maps.push({ id: m.id, type: m.type, name: m.name, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, refcnt: o.refCount, usercnt: userRefs.get(o) ?? 0 });
      } else if (o instanceof ProgObject) {
        progs.push({ id: o.id, type: o.type, name: o.name, insnCnt: o.loaded.slots, refcnt: o.refCount, gplCompatible: GPL_LICENSES.has(o.license), mapIds: o.maps.map((m) => m.map.id) });
      }
    }
    maps.sort((a, b) => a.id - b.id);
    progs.sort((a, b) => a.id - b.id);
    return { maps, progs };
  }

  /** BPF_LINK_DETACH: detaches now; the fd stays open (and the link defunct) until closed. */
  linkDetach(fd: number): number {
    this.begin();
    const l = this.linkOf(fd);
    if (typeof l === "number") return l;
    l.detach();
    return 0;
  }

  /** BPF_OBJ_GET_INFO_BY_FD on a link fd. */
  linkGetInfoByFd(fd: number): LinkInfo | number {
    this.begin();
    const l = this.linkOf(fd);
    if (typeof l === "number") return l;
    return { id: l.id, progId: l.prog.id, attachType: l.attachType, target: { ...l.target }, detached: l.detached };
  }

  // ---- fds and the process ------------------------------------------------------------

  /** close(2): 0 or -EBADF. The object is freed with its last reference. */
  close(fd: number): number {
    this.begin();
    const r = this.fds.close(fd);
    return r < 0 ? this.fail(r, `fd ${fd} is not open`) : r;
  }

  /** Process exit: closes every fd, so every object the process made is freed and every link detached. */
  closeAll(): void {
    this.begin();
    this.fds.closeAll();
  }

  /** Live objects by kind and open fds (`socket` only while there are sockets). */
  objects(): ObjectCounts {
    const c: ObjectCounts = { map: 0, prog: 0, btf: 0, link: 0, iter: 0, fds: this.fds.size };
    for (const o of this.live) c[o.kind] = (c[o.kind] ?? 0) + 1;
    return c;
  }

  // ---- packet sockets (socket(2) and friends; sockets.ts) ------------------------------

  /** Installs the kernel's packet sockets (the boot code does). */
  registerSocketLayer(layer: PacketSocketLayer): void {
    this.socketLayer = layer;
  }

  /** socket(2): AF_PACKET, SOCK_RAW or SOCK_DGRAM, an ethertype in host order (ETH_P_ALL: every frame). An fd, or -EAFNOSUPPORT/-ESOCKTNOSUPPORT/-EINVAL. */
  socket(domain: number, type: number, protocol: number): number {
    this.begin();
    return this.sock.socket(domain, type, protocol);
  }

  /** bind(2) to a sockaddr_ll: the device by ifindex (0: all), optionally another protocol. 0, or -EBADF/-ENOTSOCK/-EINVAL/-ENODEV. */
  bind(fd: number, addr: SockaddrLl): number {
    this.begin();
    return this.sock.bind(fd, addr);
  }

  /** setsockopt(2): SOL_SOCKET's SO_ATTACH_BPF (a socket_filter program fd), SO_DETACH_BPF, SO_LOCK_FILTER, SO_RCVBUF. 0 or a negative errno as Linux's. */
  setsockopt(fd: number, level: number, optname: number, value: number | Uint8Array): number {
    this.begin();
    return this.sock.setsockopt(fd, level, optname, value, (pfd) => this.progOf(pfd));
  }

  /** getsockopt(2): SO_RCVBUF, or PACKET_STATISTICS (tp_packets including drops, tp_drops; reset by reading). */
  getsockopt(fd: number, level: number, optname: number): number | { packets: number; drops: number } {
    this.begin();
    return this.sock.getsockopt(fd, level, optname);
  }

  /** recvfrom(2), non-blocking: the oldest queued packet with its sockaddr_ll fields, or -EAGAIN. */
  recv(fd: number): PacketRecord | number {
    this.begin();
    return this.sock.recv(fd);
  }

  /** A packet socket's counters: received, dropped by the filter, trimmed, dropped for a full queue; the queue's state. */
  socketStats(fd: number): SocketStats | number {
    this.begin();
    return this.sock.stats(fd);
  }

  /** The network devices and the packets each sent and received per IP protocol (/proc/net/dev by protocol). */
  netDevices(): NetDeviceInfo[] {
    return this.socketLayer?.devices() ?? [];
  }

  /** if_nametoindex(3): the ifindex of a device, or -ENODEV. */
  ifNameToIndex(name: string): number {
    this.begin();
    const d = this.netDevices().find((x) => x.name === name);
    return d ? d.ifindex : this.fail(-Errno.ENODEV, `no network device '${name}' (have ${this.netDevices().map((x) => x.name).join(", ") || "none"})`);
  }

  /** Open fds with their kinds, ascending. */
  openFds(): { fd: number; kind: string }[] {
    return this.fds.openFds().map((fd) => ({ fd, kind: this.fds.get(fd)!.kind }));
  }
}

/** BPF_PROG_TEST_RUN's loop: runs `p` `repeat` times (at least once), stopping at a fault; r0 of the last run, the mean time per run. */
function runRepeated(p: ProgObject, run: RunOptions, repeat: number): TestRunResult {
  let r0 = 0n;
  let fault: TestRunResult["fault"];
  const before = p.runTimeNs;
  let runs = 0;
  for (let i = 0; i < Math.max(repeat, 1); i++) {
    const r = p.run(run);
    runs++;
    r0 = r.r0;
    if (r.fault) {
      fault = { kind: r.fault.kind, pc: r.fault.pc, message: r.fault.message };
      break;
    }
  }
  const out: TestRunResult = { retval: Number(r0 & 0xffffffffn), r0, durationNs: Math.round((p.runTimeNs - before) / runs) };
  if (fault) out.fault = fault;
  return out;
}
