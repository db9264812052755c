// The load phase (libbpf's bpf_object__load: create maps, populate global
// data, resolve externs, relocate, load programs). Maps come first: each map
// of the spec through bpf.mapCreate; global data maps (.data, .rodata*,
// .bss, .kconfig) get their initial bytes — with the caller's `--set NAME=VALUE`
// values applied by variable name and typed by the variable's BTF, as a
// skeleton's `skel->rodata->x = v` before load — and .rodata*/.kconfig are
// created BPF_F_RDONLY_PROG and frozen after they are written (libbpf's
// bpf_object__populate_internal_map). Then each autoloaded program is
// relocated (relocate.ts) and loaded through bpf.progLoad with its SEC
// kind's program type, func_info and line_info; a kind the syscall layer
// cannot serve is kept with its reason instead of failing the object. On a
// verifier rejection libbpf retries with a log to show it; so does this.
import type { Btf } from "../btf/btf.js";
import { BtfKind, IntEncoding } from "../btf/kinds.js";
import { skipModsAndTypedefs } from "../btf/layout.js";
import { BtfsnoopError } from "../internal/errors.js";
import type { Bpf } from "../syscall/bpf.js";
import { encodeProgram } from "../vm/isa/encode.js";
import { BPF_F_RDONLY_PROG, BPF_MAP_TYPE_ARRAY } from "../vm/maps/types.js";
import { isSectionProblem, loadAttrsFor, sectionDef, type KernelFacts, type SectionDef } from "./attach.js";
import { fixupCoreLog } from "./core.js";
import { kconfigData, programWhere, relocateProgram, type CoreApplier, type RelocatedProgram } from "./relocate.js";
import type { DataVar, MapSpec, ObjectSpec, ProgramSpec } from "./spec.js";
import { Errno, errnoName, type ErrnoName } from "../internal/errno.js";

/** BPF_OBJ_NAME_LEN - 1. */
const OBJ_NAME_MAX = 15;

/** A map of the object, created in the kernel. */
export interface LoadedMap {
  spec: MapSpec;
  fd: number;
  /** The name the kernel has (at most 15 characters of [A-Za-z0-9_.]). */
  kernelName: string;
}

/** What became of one program of the object. */
export interface ProgramState {
  spec: ProgramSpec;
  /** Its SEC kind's definition (undefined when the kind is unknown). */
  def: SectionDef | undefined;
  /** Loaded: its fd. */
  fd?: number;
  /** Not loaded: why (not autoloaded, a kind the kernel cannot serve, or a verifier rejection with keepGoing). */
  skipped?: string;
  /** The verifier rejected it (keepGoing): the reason, also in `skipped`. */
  rejected?: boolean;
  relocated?: RelocatedProgram;
  /** The verifier log (kernel style) of its load. */
  log: string[];
}

/** A verifier rejection: the message names section, program and insn; `log` is the verifier's. */
export class ProgramLoadError extends BtfsnoopError {
  readonly log: string[];
  constructor(errno: ConstructorParameters<typeof BtfsnoopError>[0], message: string, log: string[], hint?: string) {
    super(errno, message, hint ? { hint } : undefined);
    this.name = "ProgramLoadError";
    this.log = log;
  }
}

// ---- --set ---------------------------------------------------------------------------

/** The variable `name` of the object's global data, with its map. */
function findVar(obj: ObjectSpec, name: string): { map: MapSpec; v: DataVar } | undefined {
  for (const map of obj.maps) {
    if (map.origin !== "data") continue;
    const v = map.vars?.find((x) => x.name === name);
    if (v) return { map, v };
  }
  return undefined;
}

/** The VAR's value type (DataVar.typeId may name the VAR or its type). */
function varType(btf: Btf, v: DataVar): number {
  const t = btf.typeById(v.typeId);
  return t.kind === BtfKind.VAR ? t.type : v.typeId;
}

/** Sections a skeleton lets user space write before load: .rodata*, .data*, .bss*. */
function settable(map: MapSpec): boolean {
  return /^\.(rodata|data|bss)(\.|$)/.test(map.section);
}

/**
 * Encodes `text` as a value of BTF type `id` of `size` bytes: integers
 * (decimal, 0x hex, negative for signed types, in range), bools (true,
 * false, 1, 0), chars (one character or a number), enums (an enumerator
 * name or a number) and char arrays (a string that fits with its NUL).
 * Throws a message saying what was expected.
 */
export function encodeSetValue(btf: Btf, id: number, size: number, text: string): Uint8Array {
  const tid = skipModsAndTypedefs(btf, id);
  const t = btf.typeById(tid);
  const out = new Uint8Array(size);
  const putInt = (v: bigint, bytes: number, signed: boolean, what: string): Uint8Array => {
    const bits = BigInt(bytes * 8);
    const lo = signed ? -(1n << (bits - 1n)) : 0n;
    const hi = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
    if (v < lo || v > hi) throw new Error(`${text} is out of range for ${what} (${lo}..${hi})`);
    const u = BigInt.asUintN(bytes * 8, v);
    for (let i = 0; i < bytes; i++) out[i] = Number((u >> BigInt(8 * i)) & 0xffn);
    return out;
  };
  const parseInt = (what: string): bigint => {
    if (!/^-?(0[xX][0-9a-fA-F]+|\d+)$/.test(text)) throw new Error(`'${text}' is not an integer (expected ${what})`);
    const neg = text.startsWith("-");
    const v = BigInt(neg ? text.slice(1) : text);
    return neg ? -v : v;
  };
  if (t.kind === BtfKind.INT) {
    const signed = (t.encoding & IntEncoding.SIGNED) !== 0;
    if (t.encoding & IntEncoding.BOOL || t.name === "_Bool" || t.name === "bool") {
      const b = { true: 1n, false: 0n, "1": 1n, "0": 0n }[text];
      if (b === undefined) throw new Error(`'${text}' is not a bool (true, false, 1, 0)`);
      return putInt(b, t.size, false, "bool");
    }
    if (t.size === 1 && (t.encoding & IntEncoding.CHAR || t.name === "char") && text.length === 1 && !/\d/.test(text)) return putInt(BigInt(text.charCodeAt(0)), 1, false, "char");
    return putInt(parseInt(`a ${signed ? "signed" : "unsigned"} ${t.size * 8}-bit integer`), t.size, signed, `'${t.name}'`);
  }
  if (t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64) {
    const e = t.values.find((x) => x.name === text);
    if (e) return putInt(BigInt(e.value), t.size, t.signed || BigInt(e.value) < 0n, `enum ${t.name}`);
    if (!/^-?(0[xX][0-9a-fA-F]+|\d+)$/.test(text)) {
      throw new Error(`'${text}' is not an enumerator of enum ${t.name || "(anon)"} (${t.values.map((x) => x.name).join(", ")})`);
    }
    return putInt(parseInt("an enumerator or a number"), t.size, t.signed || text.startsWith("-"), `enum ${t.name}`);
  }
  if (t.kind === BtfKind.ARRAY) {
    const el = btf.typeById(skipModsAndTypedefs(btf, t.type));
    if (el.kind === BtfKind.INT && el.size === 1) {
      const bytes = Buffer.from(text, "utf8");
      if (bytes.length >= t.nelems) throw new Error(`"${text}" is ${bytes.length} bytes: char[${t.nelems}] holds at most ${t.nelems - 1} and the NUL`);
      out.set(bytes);
      return out;
    }
  }
  throw new Error(`variables of this type (${t.kind === BtfKind.STRUCT ? "struct" : t.kind === BtfKind.PTR ? "pointer" : "array or other"}) cannot be set from the command line (integers, bools, enums, char arrays)`);
}

/**
 * The global data maps' initial bytes with `sets` applied (NAME -> text),
 * by map name. Unknown names, static variables, externs and values of the
 * wrong type are BtfsnoopErrors (EINVAL/ENOENT) naming the variable.
 */
export function initialData(obj: ObjectSpec, sets: ReadonlyMap<string, string>): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const m of obj.maps) {
    if (m.origin !== "data") continue;
    const b = new Uint8Array(m.valueSize);
    if (m.data) b.set(m.data.subarray(0, b.length));
    out.set(m.name, b);
  }
  for (const [name, text] of sets) {
    const where = `'${obj.name}': --set ${name}=${text}`;
    const found = findVar(obj, name);
    if (!found) {
      const names = obj.maps.filter((m) => m.origin === "data" && settable(m)).flatMap((m) => (m.vars ?? []).filter((v) => v.global).map((v) => v.name));
      throw new BtfsnoopError("ENOENT", `${where}: no global variable '${name}' in the object`, { hint: names.length ? `variables: ${names.join(", ")}` : "the object has no global variables" });
    }
    const { map, v } = found;
    if (!settable(map)) throw new BtfsnoopError("EINVAL", `${where}: '${name}' is in ${map.section}, which is not set from user space`, { hint: "const volatile (.rodata), .data and .bss globals can be set" });
    if (!v.global) throw new BtfsnoopError("EINVAL", `${where}: '${name}' is static (a skeleton does not expose it)`, { hint: "make it a global variable" });
    if (!obj.btf) throw new BtfsnoopError("EINVAL", `${where}: the object has no BTF to type '${name}'`);
    let bytes: Uint8Array;
    try {
      bytes = encodeSetValue(obj.btf, varType(obj.btf, v), v.size, text);
    } catch (e) {
      throw new BtfsnoopError("EINVAL", `${where}: ${(e as Error).message}`);
    }
    out.get(map.name)!.set(bytes, v.offset);
  }
  return out;
}

// ---- maps -------------------------------------------------------------------------

/** The kernel name of a map: BTF/legacy maps their own (first 15 chars), data maps libbpf's `<obj prefix>.<section>`. */
export function kernelMapName(obj: ObjectSpec, m: MapSpec): string {
  let name = m.name;
  if (m.origin === "data") {
    const base = obj.name.replace(/^.*\//, "").replace(/\.bpf\.o$|\.o$/, "");
    const prefix = base.slice(0, Math.max(0, Math.min(8, OBJ_NAME_MAX - m.section.length)));
    name = prefix + m.section;
  }
  return name.replace(/[^A-Za-z0-9_.]/g, "_").slice(0, OBJ_NAME_MAX);
}

/** Creates every map of the object and writes global data; on failure closes what it created and throws. */
export function createMaps(bpf: Bpf, obj: ObjectSpec, data: ReadonlyMap<string, Uint8Array>): LoadedMap[] {
  const made: LoadedMap[] = [];
  const failWith = (m: MapSpec, what: string, hint?: string): never => {
    for (const l of made) bpf.close(l.fd);
    throw new BtfsnoopError("EINVAL", `'${obj.name}': map '${m.name}' (section '${m.section}'): ${what}`, hint ? { hint } : undefined);
  };
  const kconfig = obj.maps.some((m) => m.section === ".kconfig") ? bpf.kconfig() : undefined;
  for (const m of obj.maps) {
    const isData = m.origin === "data";
    const readOnly = isData && (m.readOnly === true || m.section === ".kconfig");
    const kernelName = kernelMapName(obj, m);
    const fd = bpf.mapCreate({ type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags | (readOnly ? BPF_F_RDONLY_PROG : 0), name: kernelName });
    if (fd < 0) failWith(m, `map create failed: ${bpf.lastError}`, mapHint(m));
    made.push({ spec: m, fd, kernelName });
    if (!isData) continue;
    if (m.type !== BPF_MAP_TYPE_ARRAY || m.maxEntries !== 1) failWith(m, "a global data map must be a one-entry array");
    let bytes: Uint8Array;
    try {
      bytes = m.section === ".kconfig" ? kconfigData(obj, m, kconfig!) : data.get(m.name) ?? new Uint8Array(m.valueSize);
    } catch (e) {
      for (const l of made) bpf.close(l.fd);
      throw e;
    }
    if (m.valueSize > 0) {
      const r = bpf.mapUpdateElem(fd, new Uint8Array(4), bytes, 0);
      if (r < 0) failWith(m, `writing its initial data failed: ${bpf.lastError}`);
    }
    if (readOnly) {
      const r = bpf.mapFreeze(fd);
      if (r < 0) failWith(m, `freeze failed: ${bpf.lastError}`);
    }
  }
  return made;
}

function mapHint(m: MapSpec): string | undefined {
  if (m.type === 27) return "a ring buffer's max_entries is its size in bytes: a power of two, a multiple of the page size (4096)";
  return undefined;
}

// ---- programs -----------------------------------------------------------------------

export interface LoadOptions {
  /** Verifier log level (1: every instruction, 2: with states); the log is kept in ProgramState.log. */
  logLevel?: 0 | 1 | 2;
  /** Run programs in the interpreter instead of the JIT. */
  jit?: boolean;
  /** Record verifier rejections in the program's state instead of throwing (prog load). */
  keepGoing?: boolean;
  /** The CO-RE engine. */
  core?: CoreApplier;
  /** Load these programs even if not autoloaded (SEC("?...")). */
  force?: ReadonlySet<string>;
  /** Programs switched off with setAutoload(false) (named so in their state). */
  switchedOff?: ReadonlySet<string>;
  /** Programs not to load, with the reason their state gives (run's alternatives: standalone.ts). */
  notLoaded?: ReadonlyMap<string, string>;
}

/** Kernel facts for relocation and attach, read once through bpf(2). */
export interface LoadKernel extends KernelFacts {
  kallsymsAddr: ReadonlyMap<string, bigint>;
}

/** The instruction (slot) the verifier stopped at: the last `N: (..)` line of its log. */
export function failingInsn(log: readonly string[]): number | undefined {
  for (let i = log.length - 1; i >= 0; i--) {
    const m = /^(\d+): [(<]/.exec(log[i]!);
    if (m) return Number(m[1]);
  }
  return undefined;
}

/** Where an insn of a relocated program comes from: "insn 12" or "insn 3 of function 'helper'", with its source line. */
function describeInsn(r: RelocatedProgram, slot: number): string {
  let fn = r.functions[0]!;
  for (const f of r.functions) if (f.slot <= slot) fn = f;
  let s = fn.fn === r.spec ? `insn ${slot}` : `insn ${slot} (function '${fn.fn.name}', its insn ${slot - fn.slot})`;
  let li: RelocatedProgram["lineInfo"][number] | undefined;
  for (const l of r.lineInfo) if (l.insnOff <= slot) li = l;
  if (li) s += ` at ${li.fileName}:${li.lineNum}`;
  return s;
}

/** Relocates and loads the object's programs (maps already created). Throws on the first failure unless keepGoing (verifier rejections only). */
export function loadPrograms(bpf: Bpf, obj: ObjectSpec, maps: readonly LoadedMap[], kernel: LoadKernel, opts: LoadOptions = {}): ProgramState[] {
  const fdByName = new Map(maps.map((m) => [m.spec.name, m.fd]));
  const states: ProgramState[] = [];
  const supported = new Set(bpf.progTypes());
  try {
    for (const prog of obj.programs) {
      const where = programWhere(obj, prog);
      const d = sectionDef(prog.secName);
      if (isSectionProblem(d)) {
        if (d.fatal) throw new BtfsnoopError("EINVAL", `${where}: ${d.reason}`, { hint: "see libbpf's SEC() names: kprobe/, kretprobe/, tracepoint/, raw_tp/, tp_btf/, fentry/, fexit/, fmod_ret/, iter/, ..." });
        states.push({ spec: prog, def: undefined, skipped: d.reason, log: [] });
        continue;
      }
      const alternative = opts.notLoaded?.get(prog.name);
      if (alternative !== undefined && !opts.force?.has(prog.name)) {
        states.push({ spec: prog, def: d, skipped: alternative, log: [] });
        continue;
      }
      if (!prog.autoload && !opts.force?.has(prog.name)) {
        const why = opts.switchedOff?.has(prog.name) ? "bpf_program__set_autoload(false)" : `SEC("?${prog.secName}")`;
        states.push({ spec: prog, def: d, skipped: `not autoloaded (${why})`, log: [] });
        continue;
      }
      if (!supported.has(d.progType)) {
        states.push({ spec: prog, def: d, skipped: `the kernel cannot load ${d.progType} programs`, log: [] });
        continue;
      }
      const extra = loadAttrsFor(d, kernel);
      if (typeof extra === "string") {
        states.push({ spec: prog, def: d, skipped: extra, log: [] });
        continue;
      }
      const relocated = relocateProgram(obj, prog, {
        mapFd: (n) => fdByName.get(n),
        kallsyms: kernel.kallsymsAddr,
        kernelBtf: kernel.btf,
        ...(opts.core ? { core: opts.core } : {}),
      });
      const attr = {
        progType: d.progType,
        insns: encodeProgram(relocated.insns),
        license: obj.license,
        name: prog.name.replace(/[^A-Za-z0-9_.]/g, "_").slice(0, OBJ_NAME_MAX),
        logLevel: opts.logLevel ?? 0,
        ...extra,
        ...attachTargetAttrs(d, kernel.btf),
        ...(opts.jit !== undefined ? { jit: opts.jit } : {}),
        ...(relocated.funcInfo.length ? { funcInfo: relocated.funcInfo } : {}),
        ...(relocated.lineInfo.length ? { lineInfo: relocated.lineInfo } : {}),
      };
      let r = bpf.progLoad(attr);
      if (typeof r === "number" && (opts.logLevel ?? 0) === 0) {
        // libbpf: a failed load is retried with a log, so the reason can be shown with its context.
        const code = r;
        const reason = bpf.lastError;
        const again = bpf.progLoad({ ...attr, logLevel: 1 });
        if (typeof again !== "number") bpf.close(again.fd);
        r = code;
        bpf.lastError = reason;
      }
      let log = [...bpf.lastLog];
      if (typeof r === "number") {
        let reason = bpf.lastError;
        const poisoned = relocated.core.filter((c) => c.poisoned);
        if (poisoned.length) {
          // libbpf's fixup_log_failed_core_relo: a reached poisoned instruction is named by its relocation.
          log = fixupCoreLog(log.join("\n"), (slot) => poisoned.find((c) => c.slot === slot)?.spec).split("\n");
          const m = /^failed to resolve CO-RE relocation (.*)$/.exec(log[log.length - 2] ?? "") ?? /^failed to resolve CO-RE relocation (.*)$/.exec(log.find((l) => l.startsWith("failed to resolve CO-RE")) ?? "");
          if (m) reason = `failed to resolve CO-RE relocation ${m[1]}`;
        }
        const insn = failingInsn(log);
        const at = insn !== undefined ? `, ${describeInsn(relocated, insn)}` : "";
        const msg = `${where}${at}: program rejected by the verifier: ${reason}`;
        if (opts.keepGoing) {
          states.push({ spec: prog, def: d, skipped: msg, rejected: true, relocated, log });
          continue;
        }
        throw new ProgramLoadError(errnoOf(r), msg, log, "btfsnoop prog load OBJ -v prints the whole verifier log");
      }
      states.push({ spec: prog, def: d, fd: r.fd, relocated, log });
    }
  } catch (e) {
    for (const s of states) if (s.fd !== undefined) bpf.close(s.fd);
    throw e;
  }
  return states;
}

/** The errno name of a negative bpf(2) result (the shared table; EINVAL for one btfsnoop has no name for). */
function errnoOf(code: number): ErrnoName {
  const name = errnoName(code);
  return name in Errno ? (name as ErrnoName) : "EINVAL";
}

/** Reads the kernel facts once (BTF, tracepoints, kallsyms) through bpf(2). */
export function kernelFacts(bpf: Bpf, btf: Btf): LoadKernel {
  const syms = bpf.ksyms(); // all of /proc/kallsyms: .ksyms externs name variables (init_task) as well as functions
  const kallsymsAddr = new Map<string, bigint>();
  for (const s of syms) if (!kallsymsAddr.has(s.name)) kallsymsAddr.set(s.name, s.address);
  return { btf, tracepoints: bpf.tracepoints(), kallsyms: new Set(kallsymsAddr.keys()), kallsymsAddr };
}

/**
 * The BTF attach target of a fentry/fexit/fmod_ret/tp_btf program (libbpf's
 * attach_btf_id): the function's FUNC, or the event's btf_trace_<event>
 * typedef; a tp_btf event without the typedef is named for the kernel to
 * type from its TP_PROTO. The verifier types the context's arguments by it.
 */
function attachTargetAttrs(d: SectionDef, btf: Btf): { attachBtfId?: number; attachTracepoint?: string; expectedAttachType?: string } {
  if (!d.target) return {};
  switch (d.kind) {
    case "fentry":
    case "fexit":
    case "fmod_ret": {
      const id = btf.findByNameKind(d.target, BtfKind.FUNC);
      return id === undefined ? {} : { attachBtfId: id, expectedAttachType: d.kind };
    }
    case "tp_btf": {
      const id = btf.findByNameKind(`btf_trace_${d.target}`, BtfKind.TYPEDEF);
      return id === undefined ? { attachTracepoint: d.target, expectedAttachType: "tp_btf" } : { attachBtfId: id, expectedAttachType: "tp_btf" };
    }
    default:
      return {};
  }
}
