// The relocation phase (libbpf's bpf_object__relocate, cilium/ebpf's
// linker): turns one program of an ObjectSpec into the instruction stream
// the kernel loads. The program's own code comes first, then every
// subprogram it can reach (through calls and callback pointers, transitively;
// unreachable ones are left out), each appended once in the order it is
// first reached, as libbpf's bpf_object__reloc_code appends them. Then each
// function's references are patched at its new place:
//   map   lddw -> src BPF_PSEUDO_MAP_FD (1), imm = the map's fd
//   data  lddw -> src BPF_PSEUDO_MAP_VALUE (2), imm = fd, imm2 = offset
//   call       -> src BPF_PSEUDO_CALL (1), imm = slots from the next one to the callee
//   func  lddw -> src BPF_PSEUDO_FUNC (4), imm = slots from the next one to the callee
//   ksym       -> a typeless variable: its kallsyms address (plain lddw);
//                 a typed one: src BPF_PSEUDO_BTF_ID (3), imm = its BTF id;
//                 a kfunc call: src BPF_PSEUDO_KFUNC_CALL (2), imm = its BTF id
// and func_info / line_info move with their functions (insn_off in slots
// of the final program, as bpf_prog_load takes them). CO-RE relocations are
// applied to each function's copy by the engine the caller passes in.
//
// Also here: the .kconfig extern values (bpf_object__resolve_externs'
// kconfig half), written into the .kconfig map's initial bytes.
import type { Btf } from "../btf/btf.js";
import { BtfKind, IntEncoding } from "../btf/kinds.js";
import { skipModifiers, skipModsAndTypedefs } from "../btf/layout.js";
import { BtfsnoopError } from "../internal/errors.js";
import type { Instruction } from "../vm/isa/instruction.js";
import { slotCount } from "../vm/isa/instruction.js";
import { Class, JmpOp, LDDW, PseudoCall, PseudoLd } from "../vm/isa/opcodes.js";
import { CoreCandidateCache, relocateCore } from "./core.js";
import type { ExternSpec, FunctionSpec, MapSpec, ObjectSpec, ProgramSpec, Relocation } from "./spec.js";
import { appendAll } from "../internal/arrays.js";

const CALL = Class.JMP | JmpOp.CALL;

/** A func_info record of a loaded program (bpf_func_info: insn_off in slots). */
export interface ProgFuncInfo {
  insnOff: number;
  typeId: number;
}

/** A line_info record of a loaded program (bpf_line_info with its strings resolved). */
export interface ProgLineInfo {
  insnOff: number;
  fileName: string;
  line: string;
  lineNum: number;
  column: number;
}

/** Where a function landed in the relocated program. */
export interface PlacedFunction {
  fn: FunctionSpec;
  /** First instruction index / slot in the program. */
  insn: number;
  slot: number;
}

/** One program ready for BPF_PROG_LOAD. */
export interface RelocatedProgram {
  spec: ProgramSpec;
  insns: Instruction[];
  /** The program first, then the appended subprograms. */
  functions: PlacedFunction[];
  funcInfo: ProgFuncInfo[];
  lineInfo: ProgLineInfo[];
  /** CO-RE relocations applied, in function then relocation order. */
  core: AppliedCoreRelo[];
}

/** One applied CO-RE relocation, for -v and for the verifier log of a reached poisoned one. */
export interface AppliedCoreRelo {
  /** Its instruction (slot) in the relocated program. */
  slot: number;
  /** The function it is in. */
  function: string;
  /** The relocation's spec as libbpf prints it. */
  spec: string;
  poisoned: boolean;
  /** libbpf's debug lines. */
  log: string[];
}

/** What a CO-RE engine did to a function: replacements by instruction index (a poisoned lddw becomes two calls) and per-relocation reports (slot within the function). */
export interface CoreApplied {
  replace: Map<number, Instruction[]>;
  results: { localSlot: number; spec: string; poisoned: boolean; log: string[] }[];
}

/** A CO-RE engine: patches `insns` (a copy of `fn`'s) for fn.coreRelos in place, or returns replacements; throws a BtfsnoopError naming what failed. */
export type CoreApplier = (fn: FunctionSpec, insns: Instruction[], where: string) => void | CoreApplied;

/** What relocation needs from the loaded object and the kernel. */
export interface RelocateEnv {
  /** The fd of a created map, by the map's name in the object. */
  mapFd(name: string): number | undefined;
  /** Kernel symbols (kallsyms), for .ksyms variables. */
  kallsyms?: ReadonlyMap<string, bigint>;
  /** The kernel's BTF, for typed .ksyms and kfuncs. */
  kernelBtf?: Btf;
  /** CO-RE, when the object has relocations. */
  core?: CoreApplier;
}

/**
 * The CO-RE engine (core.ts) as a CoreApplier for one object against one
 * target BTF, with one candidate cache for all its functions (libbpf's
 * cand_cache per object load).
 */
export function coreApplierFor(obj: ObjectSpec, targetBtf: Btf, targetName = "vmlinux"): CoreApplier | undefined {
  const local = obj.btf;
  if (!local) return undefined;
  const cache = new CoreCandidateCache(local, targetBtf, targetName);
  return (fn, insns) => {
    const results = relocateCore(local, targetBtf, fn.coreRelos, insns, { program: fn.name, section: fn.section, object: obj.name, cache, targetName });
    const slots = slotIndex(insns);
    const replace = new Map<number, Instruction[]>();
    for (const r of results) {
      if (r.insns.length === 1) insns[r.relo.insn] = r.insns[0]!;
      else replace.set(r.relo.insn, r.insns);
    }
    return { replace, results: results.map((r) => ({ localSlot: slots[r.relo.insn]!, spec: r.spec, poisoned: r.poisoned, log: r.log })) };
  };
}

/** "'x.bpf.o': section 'kprobe/foo', program 'handle'" — the prefix of every message about a program. */
export function programWhere(obj: ObjectSpec, prog: ProgramSpec): string {
  return `'${obj.name}': section '${prog.section}', program '${prog.name}'`;
}

function functionWhere(obj: ObjectSpec, prog: ProgramSpec, fn: FunctionSpec): string {
  if (fn === prog) return programWhere(obj, prog);
  return `${programWhere(obj, prog)}, function '${fn.name}' (section '${fn.section}')`;
}

/** Slot index of each instruction of `insns` (and the total at the end). */
export function slotIndex(insns: readonly Instruction[]): number[] {
  const out = new Array<number>(insns.length + 1);
  let s = 0;
  for (let i = 0; i < insns.length; i++) {
    out[i] = s;
    s += slotCount(insns[i]!);
  }
  out[insns.length] = s;
  return out;
}

function fail(where: string, slot: number | undefined, message: string, hint?: string, errno: "EINVAL" | "ENOENT" = "EINVAL"): never {
  throw new BtfsnoopError(errno, `${where}${slot !== undefined ? `, insn ${slot}` : ""}: ${message}`, hint ? { hint } : undefined);
}

/** The function a call/func relocation names, seen from `from`: a static function of the same section first, then .text. */
function findFunction(obj: ObjectSpec, from: FunctionSpec, name: string): FunctionSpec | undefined {
  const same = obj.subprograms.find((f) => f.name === name && f.section === from.section);
  if (same) return same;
  const text = obj.subprograms.find((f) => f.name === name && f.section === ".text");
  if (text) return text;
  return obj.subprograms.find((f) => f.name === name);
}

/** Subprograms reachable from `prog`, in the order libbpf appends them (first reached first, depth-first through each function's relocations in instruction order). */
export function reachableFunctions(obj: ObjectSpec, prog: ProgramSpec): FunctionSpec[] {
  const order: FunctionSpec[] = [prog];
  const seen = new Set<FunctionSpec>([prog]);
  for (let i = 0; i < order.length; i++) {
    const fn = order[i]!;
    const relos = [...fn.relocations].sort((a, b) => a.insn - b.insn);
    for (const r of relos) {
      if (r.kind !== "call" && r.kind !== "func") continue;
      if (r.target === prog.name && fn.section === prog.section) continue;
      const t = findFunction(obj, fn, r.target);
      if (t && !seen.has(t)) {
        seen.add(t);
        order.push(t);
      }
    }
  }
  return order;
}

/** Relocates one program against the loaded maps and the kernel. Throws a BtfsnoopError naming section, program and insn on any failure. */
export function relocateProgram(obj: ObjectSpec, prog: ProgramSpec, env: RelocateEnv): RelocatedProgram {
  const fns = reachableFunctions(obj, prog);
  const placed: PlacedFunction[] = [];
  const insns: Instruction[] = [];
  let slot = 0;
  const copies: Instruction[][] = [];
  /** Per function: original instruction index -> index in its copy (CO-RE may split a poisoned lddw in two). */
  const remaps: number[][] = [];
  const coreOut: { k: number; r: CoreApplied["results"][number] }[] = [];
  for (const fn of fns) {
    let copy = fn.insns.map((i) => ({ ...i }));
    let remap = copy.map((_, i) => i);
    if (fn.coreRelos.length) {
      if (!env.core) fail(functionWhere(obj, prog, fn), undefined, `${fn.coreRelos.length} CO-RE relocations and no CO-RE engine to apply them`);
      const applied = env.core(fn, copy, functionWhere(obj, prog, fn));
      if (applied) {
        if (applied.replace.size) {
          const next: Instruction[] = [];
          remap = [];
          copy.forEach((insn, i) => {
            remap.push(next.length);
            appendAll(next, applied.replace.get(i) ?? [insn]);
          });
          copy = next;
        }
        for (const r of applied.results) coreOut.push({ k: copies.length, r });
      }
    }
    copies.push(copy);
    remaps.push(remap);
    placed.push({ fn, insn: insns.length, slot });
    for (const i of copy) {
      insns.push(i);
      slot += slotCount(i);
    }
  }
  const slots = slotIndex(insns);
  const byFn = new Map(placed.map((p) => [p.fn, p]));
  const funcInfo: ProgFuncInfo[] = [];
  const lineInfo: ProgLineInfo[] = [];
  const core: AppliedCoreRelo[] = coreOut.map(({ k, r }) => ({ slot: placed[k]!.slot + r.localSlot, function: placed[k]!.fn.name, spec: r.spec, poisoned: r.poisoned, log: r.log }));

  for (let k = 0; k < placed.length; k++) {
    const p = placed[k]!;
    const fn = p.fn;
    const where = functionWhere(obj, prog, fn);
    const localSlots = slotIndex(copies[k]!);
    const remap = remaps[k]!;
    for (const r of fn.relocations) {
      if (!Number.isInteger(r.insn) || r.insn < 0 || r.insn >= fn.insns.length) {
        fail(where, undefined, `relocation at instruction ${r.insn} is outside the function (${fn.insns.length} instructions)`);
      }
      const local = remap[r.insn]!;
      const at = p.insn + local;
      const insn = insns[at]!;
      const atSlot = slots[at]!;
      const localSlot = localSlots[local]!;
      applyRelocation(obj, prog, fn, r, insn, atSlot, localSlot, where, env, (target) => {
        const t = target === prog.name && fn.section === prog.section ? prog : findFunction(obj, fn, target);
        const tp = t && byFn.get(t);
        if (!tp) return undefined;
        return tp.slot;
      });
    }
    for (const fi of fn.funcInfo) {
      if (fi.insn < 0 || fi.insn >= fn.insns.length) fail(where, undefined, `func_info at instruction ${fi.insn} is outside the function`);
      funcInfo.push({ insnOff: p.slot + localSlots[remap[fi.insn]!]!, typeId: fi.typeId });
    }
    for (const li of fn.lineInfo) {
      if (li.insn < 0 || li.insn >= fn.insns.length) fail(where, undefined, `line_info at instruction ${li.insn} is outside the function`);
      lineInfo.push({ insnOff: p.slot + localSlots[remap[li.insn]!]!, fileName: li.fileName, line: li.line, lineNum: li.lineNum, column: li.column });
    }
  }
  return { spec: prog, insns, functions: placed, funcInfo, lineInfo, core };
}

function applyRelocation(
  obj: ObjectSpec,
  prog: ProgramSpec,
  fn: FunctionSpec,
  r: Relocation,
  insn: Instruction,
  slot: number,
  localSlot: number,
  where: string,
  env: RelocateEnv,
  calleeSlot: (target: string) => number | undefined,
): void {
  const needLddw = (what: string): void => {
    if (insn.opcode !== LDDW) fail(where, localSlot, `${what} relocation on an instruction that is not lddw (code 0x${insn.opcode.toString(16).padStart(2, "0")})`);
  };
  switch (r.kind) {
    case "map":
    case "data": {
      needLddw(r.kind === "map" ? "map" : "global data");
      const fd = env.mapFd(r.map);
      if (fd === undefined) {
        const known = obj.maps.map((m) => m.name);
        fail(where, localSlot, `relocation against unknown map '${r.map}'`, known.length ? `the object defines ${known.map((n) => `'${n}'`).join(", ")}` : "the object defines no maps", "ENOENT");
      }
      insn.src = r.kind === "map" ? PseudoLd.MAP_FD : PseudoLd.MAP_VALUE;
      insn.imm = fd;
      insn.imm2 = r.kind === "map" ? 0 : r.offset;
      if (r.kind === "data") {
        const m = obj.maps.find((x) => x.name === r.map)!;
        if (!(r.offset >= 0 && r.offset < Math.max(m.valueSize, 1))) fail(where, localSlot, `global data relocation at offset ${r.offset} past the end of '${r.map}' (${m.valueSize} bytes)`);
      }
      return;
    }
    case "call":
    case "func": {
      if (r.kind === "call" && (insn.opcode !== CALL || insn.src !== PseudoCall.LOCAL)) {
        fail(where, localSlot, `call relocation against '${r.target}' on an instruction that is not a bpf-to-bpf call (code 0x${insn.opcode.toString(16)}, src ${insn.src})`);
      }
      if (r.kind === "func") needLddw("function pointer");
      const target = calleeSlot(r.target);
      if (target === undefined) {
        fail(where, localSlot, `${r.kind === "call" ? "call to" : "address of"} unknown function '${r.target}'`, "static and global functions must be defined in the object (.text or the program's section)", "ENOENT");
      }
      insn.src = r.kind === "call" ? PseudoCall.LOCAL : PseudoLd.FUNC;
      insn.imm = target - slot - 1;
      if (r.kind === "func") insn.imm2 = 0;
      return;
    }
    case "ksym": {
      const ext = obj.externs.find((e) => e.name === r.name && e.kind === "ksym");
      const weak = ext?.weak ?? false;
      if (r.call) {
        if (insn.opcode !== CALL) fail(where, localSlot, `kfunc relocation against '${r.name}' on an instruction that is not a call`);
        const id = env.kernelBtf?.findByNameKind(r.name, BtfKind.FUNC);
        if (id === undefined) {
          if (weak) {
            // libbpf: an unresolved weak kfunc becomes a call the verifier refuses only if reached (imm 0, off 0).
            insn.src = PseudoCall.KFUNC;
            insn.imm = 0;
            return;
          }
          fail(where, localSlot, `kfunc '${r.name}' is not in the kernel's BTF`, "declare it __weak and check bpf_ksym_exists() to run without it", "ENOENT");
        }
        insn.src = PseudoCall.KFUNC;
        insn.imm = id;
        insn.off = 0;
        return;
      }
      needLddw("ksym");
      const typed = ext !== undefined && obj.btf !== undefined && !isTypeless(obj.btf, ext);
      if (typed) {
        const id = env.kernelBtf?.findByNameKind(r.name, BtfKind.VAR);
        if (id === undefined) {
          if (weak) return zeroLddw(insn);
          fail(where, localSlot, `kernel variable '${r.name}' is not in the kernel's BTF`, "declare it __weak to run without it", "ENOENT");
        }
        insn.src = PseudoLd.BTF_ID;
        insn.imm = id;
        insn.imm2 = 0;
        return;
      }
      const addr = env.kallsyms?.get(r.name);
      if (addr === undefined) {
        if (weak) return zeroLddw(insn);
        fail(where, localSlot, `kernel symbol '${r.name}' is not in kallsyms`, "declare it __weak to run without it", "ENOENT");
      }
      insn.src = PseudoLd.IMM64;
      insn.imm = Number(BigInt.asIntN(32, addr & 0xffffffffn));
      insn.imm2 = Number(BigInt.asIntN(32, addr >> 32n));
      return;
    }
  }
}

function zeroLddw(insn: Instruction): void {
  insn.src = PseudoLd.IMM64;
  insn.imm = 0;
  insn.imm2 = 0;
}

/** The extern's declared type (through its VAR, if typeId names one). */
function externType(btf: Btf, ext: ExternSpec): number {
  let id = ext.typeId;
  const t = btf.typeById(id);
  if (t.kind === BtfKind.VAR) id = t.type;
  return skipModifiers(btf, id);
}

/** `extern const void sym __ksym;`: no type, resolved to its address. */
function isTypeless(btf: Btf, ext: ExternSpec): boolean {
  try {
    return externType(btf, ext) === 0;
  } catch {
    return true;
  }
}

// ---- .kconfig ------------------------------------------------------------------------

/** enum libbpf_tristate. */
const TRI = { n: 0n, y: 1n, m: 2n } as const;

/**
 * Fills the .kconfig map's bytes with the values of its externs from the
 * kernel's configuration (`config`: CONFIG_X -> "y", "m", "n", a number or a
 * quoted string, as /proc/config.gz spells them; LINUX_KERNEL_VERSION ->
 * the version code). Unknown non-weak externs and values that do not fit
 * the extern's type are errors naming the extern; unknown weak ones stay 0.
 */
export function kconfigData(obj: ObjectSpec, map: MapSpec, config: ReadonlyMap<string, string>): Uint8Array {
  const bytes = new Uint8Array(map.valueSize);
  if (map.data) bytes.set(map.data.subarray(0, bytes.length));
  const where = `'${obj.name}': section '.kconfig'`;
  for (const ext of obj.externs) {
    if (ext.kind !== "kconfig") continue;
    const off = ext.offset ?? map.vars?.find((v) => v.name === ext.name)?.offset;
    if (off === undefined) fail(`${where}, extern '${ext.name}'`, undefined, "has no slot in .kconfig");
    const raw = config.get(ext.name);
    if (raw === undefined) {
      if (ext.weak) continue;
      fail(`${where}, extern '${ext.name}'`, undefined, "not set in the kernel's configuration", "declare it __weak to default to 0", "ENOENT");
    }
    if (!obj.btf) fail(`${where}, extern '${ext.name}'`, undefined, "the object has no BTF to type it");
    writeKconfig(obj.btf, ext, bytes, off, raw, `${where}, extern '${ext.name}'`);
  }
  return bytes;
}

function writeKconfig(btf: Btf, ext: ExternSpec, bytes: Uint8Array, off: number, raw: string, where: string): void {
  const id = skipModsAndTypedefs(btf, externType(btf, ext));
  const t = btf.typeById(id);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const put = (v: bigint, size: number): void => {
    if (off + size > bytes.length) fail(where, undefined, `slot at ${off} (+${size}) past the end of .kconfig`);
    for (let i = 0; i < size; i++) view.setUint8(off + i, Number((v >> BigInt(8 * i)) & 0xffn));
  };
  const tristate = raw === "y" || raw === "n" || raw === "m";
  if (t.kind === BtfKind.ENUM && t.name === "libbpf_tristate") {
    if (!tristate) fail(where, undefined, `value '${raw}' is not a tristate (y/n/m)`);
    return put(TRI[raw as "y" | "n" | "m"], t.size);
  }
  if (t.kind === BtfKind.INT && t.encoding & IntEncoding.BOOL) {
    if (raw === "m") fail(where, undefined, "value 'm' (a module) does not fit a bool; declare it enum libbpf_tristate");
    if (!tristate) fail(where, undefined, `value '${raw}' is not a bool (y/n)`);
    return put(raw === "y" ? 1n : 0n, t.size);
  }
  if (t.kind === BtfKind.INT && t.size === 1 && tristate) return put(BigInt(raw.charCodeAt(0)), 1);
  if (t.kind === BtfKind.ARRAY) {
    const el = btf.typeById(skipModifiers(btf, t.type));
    if (el.kind !== BtfKind.INT || el.size !== 1) fail(where, undefined, "arrays other than char[] are not kconfig values");
    if (!(raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"'))) fail(where, undefined, `value ${raw} is not a string`);
    const s = Buffer.from(raw.slice(1, -1), "latin1");
    const n = Math.min(s.length, t.nelems - 1);
    if (off + t.nelems > bytes.length) fail(where, undefined, "slot past the end of .kconfig");
    bytes.set(s.subarray(0, n), off);
    return;
  }
  if (t.kind === BtfKind.INT || t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64) {
    if (!/^-?(0x[0-9a-fA-F]+|\d+)$/.test(raw)) fail(where, undefined, `value '${raw}' is not a number`);
    const neg = raw.startsWith("-");
    let v = BigInt(neg ? raw.slice(1) : raw);
    if (neg) v = -v;
    const size = t.size;
    const signed = t.kind === BtfKind.INT ? (t.encoding & IntEncoding.SIGNED) !== 0 : v < 0n;
    const bits = BigInt(size * 8);
    const lo = signed ? -(1n << (bits - 1n)) : 0n;
    const hi = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
    if (v < lo || v > hi) fail(where, undefined, `value ${raw} does not fit its ${size}-byte ${signed ? "signed" : "unsigned"} type`);
    return put(BigInt.asUintN(size * 8, v), size);
  }
  fail(where, undefined, `type ${t.kind} is not a kconfig value type (int, bool, char, char[], enum libbpf_tristate)`);
}
