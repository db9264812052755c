// The open phase (libbpf's bpf_object__open, cilium/ebpf's elf_reader.go):
// the bytes of a BPF ELF object -> an ObjectSpec. Programs are split out of
// their sections by FUNC symbols, `.text` functions become subprograms,
// maps come from `.maps` (BTF-defined, decoded from the map struct's BTF),
// `maps` (struct bpf_map_def) and the global data sections, externs from
// `.kconfig`/`.ksyms`, relocations from `.rel<section>` are classified
// (map, data, call, func, ksym) and .BTF.ext records are handed to the
// function they fall in. Nothing is loaded: relocate.ts and load.ts go on
// from here. Every error names the file, and the section, symbol and
// instruction when there is one (ObjectError).
import { Btf } from "../btf/btf.js";
import { parseBtfExt, type BtfExt, type BtfExtSection } from "../btf/ext.js";
import { BtfKind, kindName } from "../btf/kinds.js";
import { alignOf, sizeOf, skipModsAndTypedefs } from "../btf/layout.js";
import { parseBtf } from "../btf/parse.js";
import type { AnyType, ArrayType, DatasecType, FuncType, StructType, TypeId, VarType } from "../btf/types.js";
import { BtfsnoopError } from "../internal/errors.js";
import type { ErrnoName } from "../internal/errno.js";
import { decodeProgram, SLOT_SIZE } from "../vm/isa/decode.js";
import type { Instruction } from "../vm/isa/instruction.js";
import { Class, JmpOp, LDDW, PseudoCall } from "../vm/isa/opcodes.js";
import {
  EM_BPF,
  EM_NONE,
  ET_REL,
  readElf,
  SHF_EXECINSTR,
  SHN_UNDEF,
  SHT_NOBITS,
  SHT_PROGBITS,
  SHT_REL,
  SHT_RELA,
  STB_GLOBAL,
  STB_LOCAL,
  STB_WEAK,
  STT_FUNC,
  STT_SECTION,
  type ElfFile,
  type ElfSectionHeader,
  type ElfSymbol,
} from "./elf.js";
import { programSection } from "./sections.js";
import type { DataVar, ExternSpec, FunctionSpec, MapSpec, ObjectLocation, ObjectSpec, ProgramSpec, Relocation } from "./spec.js";
import { appendAll } from "../internal/arrays.js";

/** An error in an object, located the way libbpf's messages locate it. */
export class ObjectError extends BtfsnoopError {
  readonly file: string;
  readonly where: ObjectLocation;
  readonly reason: string;
  constructor(file: string, where: ObjectLocation, reason: string, options?: { errno?: ErrnoName; hint?: string; cause?: unknown }) {
    const parts: string[] = [];
    if (where.section !== undefined) parts.push(`section '${where.section}'`);
    if (where.symbol !== undefined) parts.push(`${where.section === undefined ? "symbol" : "program"} '${where.symbol}'`);
    if (where.insn !== undefined) parts.push(`insn ${where.insn}`);
    super(options?.errno ?? "EINVAL", `'${file}': ${parts.length ? parts.join(", ") + ": " : ""}${reason}`, { hint: options?.hint, cause: options?.cause });
    this.name = "ObjectError";
    this.file = file;
    this.where = where;
    this.reason = reason;
  }
}

export interface OpenOptions {
  /** The object's name for messages (default "object.bpf.o"). */
  name?: string;
}

const BPF_MAP_TYPE_ARRAY = 2;
const BPF_MAP_TYPE_PROG_ARRAY = 3;
const BPF_MAP_TYPE_ARRAY_OF_MAPS = 12;
const BPF_MAP_TYPE_HASH_OF_MAPS = 13;
/** BPF_F_RDONLY_PROG: the program may not write the map (.rodata, .kconfig). */
const BPF_F_RDONLY_PROG = 0x80;
const BTF_VAR_STATIC = 0;
const BTF_VAR_GLOBAL_ALLOCATED = 1;
const BTF_EXTERN = 2;
/** sizeof(struct bpf_map_def): type, key_size, value_size, max_entries, map_flags. */
const MAP_DEF_SIZE = 20;

const isData = (name: string): boolean => /^\.(data|rodata|bss)(\..*)?$/.test(name);
const isRodata = (name: string): boolean => name === ".rodata" || name.startsWith(".rodata.");

/** A function found in an executable section, before its records are attached. */
interface Func {
  spec: FunctionSpec;
  sym: ElfSymbol;
  sec: ElfSectionHeader;
  /** First and one-past-last slot in the section. */
  startSlot: number;
  endSlot: number;
  /** Section slot -> instruction index within the function (lddw second slots absent). */
  slotToInsn: Map<number, number>;
}

/** Opens an object: its bytes -> ObjectSpec. Throws ObjectError (or a wrapped ElfError/BtfError). */
export function openObject(bytes: Uint8Array, options: OpenOptions = {}): ObjectSpec {
  return new Opener(bytes, options.name ?? "object.bpf.o").open();
}

class Opener {
  private elf!: ElfFile;
  private btf: Btf | undefined;
  private ext: BtfExt | undefined;
  private readonly funcs: Func[] = [];
  private readonly maps: MapSpec[] = [];
  private readonly externs: ExternSpec[] = [];
  /** Map symbol (section index, offset) -> map name. */
  private readonly mapAt = new Map<string, string>();
  private textIndex = -1;
  /** .maps variables whose symbol is not defined in .maps. */
  private readonly undefinedMaps = new Set<string>();

  constructor(
    private readonly bytes: Uint8Array,
    private readonly file: string,
  ) {}

  private fail(where: ObjectLocation, reason: string, errno: ErrnoName = "EINVAL", hint?: string): never {
    throw new ObjectError(this.file, where, reason, { errno, hint });
  }

  /** Wraps ELF and BTF decoding errors with the file name. */
  private wrap<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof BtfsnoopError && !(e instanceof ObjectError)) {
        throw new BtfsnoopError(e.errno, `'${this.file}': ${e.message}`, { hint: e.hint, cause: e });
      }
      throw e;
    }
  }

  open(): ObjectSpec {
    const elf = (this.elf = this.wrap(() => readElf(this.bytes)));
    if (elf.type !== ET_REL || (elf.machine !== EM_BPF && elf.machine !== EM_NONE)) {
      this.fail({}, `not a valid eBPF object file (ELF type ${elf.type}, machine ${elf.machine}; a BPF object is type 1 (ET_REL), machine 247 (EM_BPF))`, "EINVAL", "compile with `clang -target bpf -c`");
    }
    if (!elf.littleEndian) {
      this.fail({}, "endianness mismatch: the object is big-endian (bpfeb), btfsnoop's BPF machine is little-endian", "EINVAL", "compile with `clang -target bpfel` (or `-target bpf` on a little-endian host)");
    }
    if (!elf.symtab) this.fail({}, "the object has no symbol table", "ENOENT", "was it stripped? compile with `clang -target bpf -c` and do not strip symbols");
    const text = elf.sectionByName(".text");
    this.textIndex = text?.index ?? -1;

    this.readBtf();
    const license = this.readLicense();
    const kernelVersion = this.readVersion();
    this.collectFunctions();
    this.readLegacyMaps();
    this.readBtfMaps();
    this.readDataMaps();
    this.readExterns();
    this.collectRelocations();
    this.distributeExt();

    const programs: ProgramSpec[] = [];
    const subprograms: FunctionSpec[] = [];
    for (const f of this.funcs) {
      // libbpf refuses static functions in program sections ("program is static
      // and not supported"); here they are subprograms callable from their section.
      if (f.sec.index === this.textIndex || !f.spec.global) {
        subprograms.push(f.spec);
        continue;
      }
      const sec = this.wrapLocated({ section: f.sec.name, symbol: f.spec.name }, () => programSection(f.sec.name));
      programs.push({ ...f.spec, secName: sec.secName, autoload: sec.autoload });
    }
    return { name: this.file, license, kernelVersion, btf: this.btf, programs, subprograms, maps: this.maps, externs: this.externs };
  }

  private wrapLocated<T>(where: ObjectLocation, f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof BtfsnoopError && !(e instanceof ObjectError)) {
        throw new ObjectError(this.file, where, e.message, { errno: e.errno, hint: e.hint, cause: e });
      }
      throw e;
    }
  }

  // ---- BTF, license, version ----------------------------------------------------------

  private readBtf(): void {
    const sec = this.elf.sectionByName(".BTF");
    if (!sec || sec.type === SHT_NOBITS) return;
    const btf = (this.btf = this.wrap(() => parseBtf(this.elf.data(sec), { fileOffset: sec.offset })));
    const extSec = this.elf.sectionByName(".BTF.ext");
    if (!extSec || extSec.type === SHT_NOBITS || !btf.strings) return;
    this.ext = this.wrap(() => parseBtfExt(this.elf.data(extSec), btf.strings!, { fileOffset: extSec.offset }));
  }

  private readLicense(): string {
    const sec = this.elf.sectionByName("license");
    if (!sec) return "";
    const data = this.elf.data(sec);
    const end = data.indexOf(0);
    if (end < 0) this.fail({ section: "license" }, `license is not NUL-terminated (${data.length} bytes)`);
    return Buffer.from(data.subarray(0, end)).toString("latin1");
  }

  private readVersion(): number {
    const sec = this.elf.sectionByName("version");
    if (!sec) return 0;
    if (sec.size !== 4) this.fail({ section: "version" }, `invalid kver section: ${sec.size} bytes, expected 4`);
    return new DataView(this.elf.data(sec).buffer, this.elf.data(sec).byteOffset, 4).getUint32(0, true);
  }

  // ---- functions ---------------------------------------------------------------------

  private collectFunctions(): void {
    const exec = this.elf.sections.filter((s) => s.type === SHT_PROGBITS && (s.flags & SHF_EXECINSTR) !== 0 && s.size > 0);
    for (const sec of exec) {
      const where = { section: sec.name };
      if (sec.size % SLOT_SIZE !== 0) this.fail(where, `section size ${sec.size} is not a multiple of ${SLOT_SIZE} (instruction size)`);
      const syms = this.elf.symbols.filter((s) => s.shndx === sec.index && s.type === STT_FUNC).sort((a, b) => a.value - b.value);
      if (syms.length === 0) {
        this.fail(where, `${sec.size / SLOT_SIZE} instructions but no FUNC symbol names a program in it`, "ENOENT", "compile with a clang that emits function symbols (clang -target bpf -c)");
      }
      const data = this.elf.data(sec);
      let prevEnd = 0;
      for (const sym of syms) {
        const fw = { section: sec.name, symbol: sym.name };
        if (sym.value % SLOT_SIZE !== 0 || sym.size % SLOT_SIZE !== 0 || sym.size === 0 || sym.value + sym.size > sec.size) {
          this.fail(fw, `corrupted program: offset ${sym.value}, size ${sym.size}, section size ${sec.size}`);
        }
        if (sym.value < prevEnd) this.fail(fw, `program at offset ${sym.value} overlaps the previous one (which ends at ${prevEnd})`);
        prevEnd = sym.value + sym.size;
        const code = data.subarray(sym.value, sym.value + sym.size);
        const prog = this.decode(fw, code);
        const startSlot = sym.value / SLOT_SIZE;
        const slotToInsn = new Map<number, number>();
        prog.slotOf.forEach((slot, i) => {
          if (i < prog.insns.length) slotToInsn.set(startSlot + slot, i);
        });
        this.funcs.push({
          spec: {
            name: sym.name,
            section: sec.name,
            sectionOffset: sym.value,
            global: sym.binding !== STB_LOCAL,
            insns: prog.insns.map((x) => ({ ...x })),
            relocations: [],
            funcInfo: [],
            lineInfo: [],
            coreRelos: [],
          },
          sym,
          sec,
          startSlot,
          endSlot: startSlot + sym.size / SLOT_SIZE,
          slotToInsn,
        });
      }
    }
  }

  /** Decodes a function's code; the decoder's errors name a slot, reported as an instruction index. */
  private decode(where: ObjectLocation, code: Uint8Array): ReturnType<typeof decodeProgram> {
    try {
      return decodeProgram(code);
    } catch (e) {
      // The decoder's InsnError ("insn SLOT: reason"; the loader may not import vm/errors).
      const slot = (e as { index?: unknown }).index;
      if (e instanceof BtfsnoopError && typeof slot === "number") {
        let insn = 0;
        for (let s = 0; s < slot; s += code[s * SLOT_SIZE] === LDDW ? 2 : 1) insn++;
        this.fail({ ...where, insn }, `invalid instruction: ${e.message.replace(/^insn \d+: /, "")}`);
      }
      throw e;
    }
  }

  /** The function of `sec` whose code holds section slot `slot`. */
  private funcAt(sec: number, slot: number): Func | undefined {
    return this.funcs.find((f) => f.sec.index === sec && slot >= f.startSlot && slot < f.endSlot);
  }

  // ---- maps --------------------------------------------------------------------------

  private addMap(m: MapSpec, sec: ElfSectionHeader, offset: number): void {
    if (this.maps.some((x) => x.name === m.name)) this.fail({ section: sec.name, symbol: m.name }, `map '${m.name}' is defined twice`, "EEXIST");
    this.maps.push(m);
    this.mapAt.set(`${sec.index}:${offset}`, m.name);
  }

  /** libbpf 0.x's SEC("maps"): one struct bpf_map_def per symbol, all of the same size. */
  private readLegacyMaps(): void {
    const sec = this.elf.sectionByName("maps");
    if (!sec || sec.size === 0) return;
    const syms = this.elf.symbols.filter((s) => s.shndx === sec.index && s.type !== STT_SECTION && s.name !== "").sort((a, b) => a.value - b.value);
    if (syms.length === 0) this.fail({ section: "maps" }, "no map symbols in the legacy maps section");
    if (sec.size % syms.length !== 0) {
      this.fail({ section: "maps" }, `unable to determine legacy map definition size: ${sec.size} bytes for ${syms.length} maps`);
    }
    const defSize = sec.size / syms.length;
    if (defSize < MAP_DEF_SIZE - 4) {
      this.fail({ section: "maps" }, `legacy map definitions of ${defSize} bytes are too small (struct bpf_map_def has ${MAP_DEF_SIZE})`);
    }
    const data = this.elf.data(sec);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (const sym of syms) {
      const w = { section: "maps", symbol: sym.name };
      if (sym.value % defSize !== 0 || sym.value + defSize > sec.size) this.fail(w, `map definition at offset ${sym.value} is not one of the ${defSize}-byte slots`);
      const field = (i: number) => (i * 4 + 4 <= defSize ? view.getUint32(sym.value + i * 4, true) : 0);
      for (let b = MAP_DEF_SIZE; b < defSize; b++) {
        if (data[sym.value + b] !== 0) this.fail(w, `map '${sym.name}' has unrecognized, non-zero options (byte ${b} of its ${defSize}-byte definition)`, "EINVAL");
      }
      this.addMap(
        {
          name: sym.name,
          origin: "legacy",
          section: "maps",
          type: field(0),
          keySize: field(1),
          valueSize: field(2),
          maxEntries: field(3),
          flags: field(4),
          pinning: 0,
        },
        sec,
        sym.value,
      );
    }
  }

  private datasec(name: string): { id: TypeId; t: DatasecType } | undefined {
    const id = this.btf?.findByNameKind(name, BtfKind.DATASEC);
    return id === undefined ? undefined : { id, t: this.btf!.typeById(id) as DatasecType };
  }

  /** The symbol of a DATASEC variable (clang leaves DATASEC offsets 0 in objects: the symbol has the offset). */
  private varSymbol(sec: ElfSectionHeader, name: string): ElfSymbol {
    const sym = this.elf.symbols.find((s) => s.shndx === sec.index && s.name === name && s.type !== STT_SECTION && s.type !== STT_FUNC);
    if (!sym) this.fail({ section: sec.name }, `failed to find ELF symbol for VAR '${name}'`, "ENOENT");
    return sym;
  }

  /** BTF-defined maps: each VAR of the .maps DATASEC is a struct whose members say what the map is. */
  private readBtfMaps(): void {
    const sec = this.elf.sectionByName(".maps");
    if (!sec) return;
    const ds = this.datasec(".maps");
    if (!this.btf || !ds) this.fail({ section: ".maps" }, "BTF is required for .maps, but the object has no .BTF (or no DATASEC '.maps')", "ENOENT", "compile with -g");
    const btf = this.btf;
    for (const vs of ds.t.vars) {
      const v = btf.typeById(vs.type);
      if (v.kind !== BtfKind.VAR) this.fail({ section: ".maps" }, `DATASEC entry [${vs.type}] is ${v.kind === BtfKind.FUNC ? "a FUNC" : "not a VAR"}`);
      const name = v.name;
      if (v.linkage !== BTF_VAR_GLOBAL_ALLOCATED && v.linkage !== BTF_VAR_STATIC) {
        this.fail({ section: ".maps", symbol: name }, `map '${name}': unsupported map linkage ${v.linkage === BTF_EXTERN ? "extern" : v.linkage}`);
      }
      const sym = this.elf.symbols.find((s) => s.shndx === sec.index && s.name === name && s.type !== STT_SECTION && s.type !== STT_FUNC);
      if (!sym) {
        // Its symbol is not defined here: relocations against it fail with "unknown map" below.
        this.undefinedMaps.add(name);
        continue;
      }
      const map = this.mapDef(name, v.type, false);
      this.addMap(map, sec, sym.value);
    }
  }

  /** Decodes a map definition struct (libbpf's parse_btf_map_def). */
  private mapDef(name: string, typeId: TypeId, inner: boolean): MapSpec {
    const btf = this.btf!;
    const w = { section: ".maps", symbol: name };
    const bad = (reason: string): never => this.fail(w, `map '${name}': ${reason}`);
    const defId = skipModsAndTypedefs(btf, typeId);
    const def = btf.typeById(defId);
    if (def.kind !== BtfKind.STRUCT) bad(`unexpected def kind ${kindLabel(def)}, expected a struct`);
    const m: MapSpec = { name, origin: "btf", section: ".maps", type: 0, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0, pinning: 0 };
    let keySize: number | undefined;
    let valueSize: number | undefined;
    /** __uint(name, N): a pointer to an array of N ints. */
    const uint = (member: string, t: TypeId): number => {
      const p = btf.typeById(skipModsAndTypedefs(btf, t));
      if (p.kind !== BtfKind.PTR) bad(`attr '${member}': expected PTR, got ${kindLabel(p)}`);
      const a = btf.typeById(skipModsAndTypedefs(btf, (p as { type: TypeId }).type));
      if (a.kind !== BtfKind.ARRAY) bad(`attr '${member}': expected ARRAY, got ${kindLabel(a)}`);
      return (a as ArrayType).nelems;
    };
    /** __type(name, T): a pointer to T. */
    const pointee = (member: string, t: TypeId): TypeId => {
      const p = btf.typeById(skipModsAndTypedefs(btf, t));
      if (p.kind !== BtfKind.PTR) bad(`${member} spec is not PTR: ${kindLabel(p)}`);
      return (p as { type: TypeId }).type;
    };
    const size = (member: string, t: TypeId): number => {
      try {
        return sizeOf(btf, t);
      } catch {
        return bad(`can't determine ${member} size for type [${t}]`);
      }
    };
    for (const mem of (def as StructType).members) {
      switch (mem.name) {
        case "type":
          m.type = uint(mem.name, mem.type);
          break;
        case "max_entries":
          m.maxEntries = uint(mem.name, mem.type);
          break;
        case "map_flags":
          m.flags = uint(mem.name, mem.type);
          break;
        case "numa_node":
        case "map_extra":
          uint(mem.name, mem.type);
          break;
        case "key_size": {
          const sz = uint(mem.name, mem.type);
          if (keySize !== undefined && keySize !== sz) bad(`conflicting key size ${keySize} != ${sz}`);
          keySize = sz;
          break;
        }
        case "value_size": {
          const sz = uint(mem.name, mem.type);
          if (valueSize !== undefined && valueSize !== sz) bad(`conflicting value size ${valueSize} != ${sz}`);
          valueSize = sz;
          break;
        }
        case "key": {
          const t = pointee(mem.name, mem.type);
          const sz = size("key", t);
          if (keySize !== undefined && keySize !== sz) bad(`conflicting key size ${keySize} != ${sz}`);
          keySize = sz;
          m.keyTypeId = t;
          break;
        }
        case "value": {
          const t = pointee(mem.name, mem.type);
          const sz = size("value", t);
          if (valueSize !== undefined && valueSize !== sz) bad(`conflicting value size ${valueSize} != ${sz}`);
          valueSize = sz;
          m.valueTypeId = t;
          break;
        }
        case "values": {
          // __array(values, struct inner_def) (map in map) or __array(values, int (void *)) (prog array).
          if (inner) bad("multi-level inner maps not supported");
          const a = btf.typeById(skipModsAndTypedefs(btf, mem.type));
          if (a.kind !== BtfKind.ARRAY || (a as ArrayType).nelems !== 0) bad(`'values' should be a zero-sized array, got ${kindLabel(a)}`);
          const p = btf.typeById(skipModsAndTypedefs(btf, (a as ArrayType).type));
          if (p.kind !== BtfKind.PTR) bad(`'values' elements should be PTR, got ${kindLabel(p)}`);
          const target = skipModsAndTypedefs(btf, (p as { type: TypeId }).type);
          const tt = btf.typeById(target);
          if (tt.kind === BtfKind.STRUCT) {
            m.innerMap = this.mapDef(`${name}.inner`, target, true);
          } else if (tt.kind !== BtfKind.FUNC_PROTO) {
            bad(`'values' elements should point to a map definition or a function prototype, got ${kindLabel(tt)}`);
          }
          if (valueSize !== undefined && valueSize !== 4) bad(`conflicting value size ${valueSize} != 4`);
          valueSize = 4;
          break;
        }
        case "pinning": {
          if (inner) bad("inner map definition can't be pinned");
          const v = uint(mem.name, mem.type);
          if (v !== 0 && v !== 1) bad(`invalid pinning value ${v}`);
          m.pinning = v;
          break;
        }
        default:
          bad(`unknown field '${mem.name}'`);
      }
    }
    if (m.innerMap && m.type !== BPF_MAP_TYPE_ARRAY_OF_MAPS && m.type !== BPF_MAP_TYPE_HASH_OF_MAPS) {
      bad(`map type ${m.type} can't have inner map definitions (only ARRAY_OF_MAPS and HASH_OF_MAPS)`);
    }
    m.keySize = keySize ?? 0;
    m.valueSize = valueSize ?? 0;
    return m;
  }

  /** .data, .data.*, .rodata, .rodata.*, .bss, .bss.*: one-entry array maps holding the whole section. */
  private readDataMaps(): void {
    for (const sec of this.elf.sections) {
      if (!isData(sec.name) || sec.size === 0 || (sec.type !== SHT_PROGBITS && sec.type !== SHT_NOBITS)) continue;
      const ro = isRodata(sec.name);
      const ds = this.datasec(sec.name);
      const vars: DataVar[] = [];
      for (const vs of ds?.t.vars ?? []) {
        const v = this.btf!.typeById(vs.type);
        if (v.kind !== BtfKind.VAR) continue;
        const sym = this.varSymbol(sec, v.name);
        if (sym.value + vs.size > sec.size) this.fail({ section: sec.name, symbol: v.name }, `variable at offset ${sym.value}, size ${vs.size} runs past the section (${sec.size} bytes)`);
        vars.push({ name: v.name, offset: sym.value, size: vs.size, typeId: (v as VarType).type, global: sym.binding === STB_GLOBAL || sym.binding === STB_WEAK });
      }
      vars.sort((a, b) => a.offset - b.offset || a.name.localeCompare(b.name));
      const m: MapSpec = {
        name: sec.name,
        origin: "data",
        section: sec.name,
        type: BPF_MAP_TYPE_ARRAY,
        keySize: 4,
        valueSize: sec.size,
        maxEntries: 1,
        flags: ro ? BPF_F_RDONLY_PROG : 0,
        pinning: 0,
        data: this.elf.data(sec).slice(),
        vars,
        readOnly: ro,
      };
      if (ds) m.valueTypeId = ds.id;
      this.addMap(m, sec, 0);
    }
  }

  // ---- externs -----------------------------------------------------------------------

  /** Undefined global symbols are externs; BTF says which (.kconfig or .ksyms) and of what type. */
  private readExterns(): void {
    const und = this.elf.symbols.filter(
      (s) => s.index > 0 && s.shndx === SHN_UNDEF && (s.binding === STB_GLOBAL || s.binding === STB_WEAK) && s.name !== "" && !this.undefinedMaps.has(s.name),
    );
    if (und.length === 0) return;
    const btf = this.btf;
    if (!btf) this.fail({ symbol: und[0]!.name }, `failed to find BTF for extern '${und[0]!.name}': the object has no .BTF`, "ESRCH", "compile with -g");
    const secOf = new Map<TypeId, string>();
    for (const name of [".kconfig", ".ksyms"]) for (const v of this.datasec(name)?.t.vars ?? []) secOf.set(v.type, name);
    const kconfig: ExternSpec[] = [];
    const ksyms: ExternSpec[] = [];
    for (const sym of und) {
      const ids = btf.idsByName(sym.name).filter((id) => {
        const t = btf.typeById(id);
        return (t.kind === BtfKind.VAR || t.kind === BtfKind.FUNC) && (t as VarType | FuncType).linkage === BTF_EXTERN;
      });
      const w = { symbol: sym.name };
      if (ids.length === 0) this.fail(w, `failed to find BTF for extern '${sym.name}'`, "ESRCH");
      const id = ids[0]!;
      const t = btf.typeById(id) as VarType | FuncType;
      const sec = secOf.get(id);
      if (sec === undefined) this.fail(w, `extern '${sym.name}' is in neither .kconfig nor .ksyms`, "ENOTSUPP", "declare it with __kconfig or __ksym");
      const weak = sym.binding === STB_WEAK;
      if (sec === ".kconfig") {
        if (t.kind !== BtfKind.VAR) this.fail(w, `extern (kcfg) '${sym.name}' is a function`, "ENOTSUPP");
        let size = 0;
        let align = 1;
        try {
          size = sizeOf(btf, t.type);
          align = alignOf(btf, t.type);
        } catch {
          this.fail(w, `extern (kcfg) '${sym.name}': type is unsupported`, "ENOTSUPP");
        }
        kconfig.push({ name: sym.name, kind: "kconfig", isFunc: false, weak, typeId: t.type, size, offset: align });
      } else {
        ksyms.push({ name: sym.name, kind: "ksym", isFunc: t.kind === BtfKind.FUNC, weak, typeId: t.type });
      }
    }
    // libbpf's layout of the .kconfig map: by alignment (largest first), then size, then name.
    kconfig.sort((a, b) => b.offset! - a.offset! || a.size! - b.size! || (a.name < b.name ? -1 : 1));
    let off = 0;
    for (const e of kconfig) {
      const align = e.offset!;
      off = Math.ceil(off / align) * align;
      e.offset = off;
      off += e.size!;
    }
    ksyms.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    appendAll(appendAll(this.externs, kconfig), ksyms);
    if (kconfig.length) {
      const size = Math.ceil(off / 8) * 8;
      const ds = this.datasec(".kconfig");
      const m: MapSpec = {
        name: ".kconfig",
        origin: "data",
        section: ".kconfig",
        type: BPF_MAP_TYPE_ARRAY,
        keySize: 4,
        valueSize: size,
        maxEntries: 1,
        flags: BPF_F_RDONLY_PROG,
        pinning: 0,
        data: new Uint8Array(size),
        vars: kconfig.map((e) => ({ name: e.name, offset: e.offset!, size: e.size!, typeId: e.typeId, global: true })),
        readOnly: true,
      };
      if (ds) m.valueTypeId = ds.id;
      this.maps.push(m);
    }
  }

  // ---- relocations -------------------------------------------------------------------

  private collectRelocations(): void {
    for (const rs of this.elf.sections) {
      if (rs.type !== SHT_REL && rs.type !== SHT_RELA) continue;
      const target = this.elf.sections[rs.info];
      if (!target || rs.info === 0) this.fail({ section: rs.name }, `relocation section targets section ${rs.info}, which does not exist`);
      const exec = target.type === SHT_PROGBITS && (target.flags & SHF_EXECINSTR) !== 0;
      if (target.name === ".maps") {
        this.mapRelocations(rs, target);
        continue;
      }
      if (!exec) continue; // .rel.BTF, .rel.BTF.ext, .rel.debug_*: nothing for a loader
      if (rs.type === SHT_RELA) this.fail({ section: rs.name }, "RELA relocations against code are not supported (BPF objects use REL)");
      const rels = this.wrap(() => this.elf.relocations(rs));
      rels.forEach((r, i) => this.progRelocation(target, r.offset, r.symbol, i));
    }
    for (const f of this.funcs) {
      this.pcRelativeCalls(f);
      f.spec.relocations.sort((a, b) => a.insn - b.insn);
    }
    for (const name of this.undefinedMaps) {
      this.fail({ section: ".maps", symbol: name }, `map '${name}' is declared in .maps but its symbol is undefined`, "ENOENT");
    }
  }

  private progRelocation(sec: ElfSectionHeader, offset: number, symIndex: number, relNo: number): void {
    if (offset % SLOT_SIZE !== 0 || offset >= sec.size) this.fail({ section: sec.name }, `invalid offset 0x${offset.toString(16)} for relo #${relNo}`);
    const slot = offset / SLOT_SIZE;
    const f = this.funcAt(sec.index, slot);
    if (!f) this.fail({ section: sec.name }, `relo #${relNo} at offset 0x${offset.toString(16)} is outside every function`);
    const idx = f.slotToInsn.get(slot);
    const where = { section: sec.name, symbol: f.spec.name, insn: idx ?? slot - f.startSlot };
    if (idx === undefined) this.fail(where, `relo #${relNo} points into the second slot of an lddw`);
    const insn = f.spec.insns[idx]!;
    const sym = this.elf.symbols[symIndex]!;
    const symName = sym.type === STT_SECTION ? this.elf.sections[sym.shndx]?.name ?? "" : sym.name;
    const symSec = sym.shndx === SHN_UNDEF || sym.shndx >= this.elf.sections.length ? undefined : this.elf.sections[sym.shndx];
    const add = (r: Relocation) => {
      if (f.spec.relocations.some((x) => x.insn === r.insn)) this.fail(where, `two relocations for one instruction (against '${symName}')`);
      f.spec.relocations.push(r);
    };

    if (isPseudoCall(insn)) {
      if (sym.shndx === SHN_UNDEF) return add({ kind: "ksym", insn: idx, name: this.ksym(where, sym, true), call: true });
      if (!symSec || symSec.index !== this.textIndex) {
        this.fail(where, `bad call relo against '${symName}' in section '${symSec?.name ?? sym.shndx}'`, "EINVAL", "bpf-to-bpf calls must go to functions in .text");
      }
      if (sym.value % SLOT_SIZE !== 0) this.fail(where, `bad call relo against '${symName}' at offset ${sym.value}`);
      const targetSlot = sym.value / SLOT_SIZE + insn.imm + 1;
      return add({ kind: "call", insn: idx, target: this.funcStartingAt(where, symSec, targetSlot).spec.name });
    }
    if (insn.opcode === (Class.JMP | JmpOp.CALL)) {
      this.fail(where, `incorrect bpf_call opcode: call with src ${insn.src} against '${symName}' (a bpf-to-bpf call has src 1)`);
    }
    if (insn.opcode !== LDDW) {
      this.fail(where, `invalid relo against '${symName}' for insns[${idx}].code 0x${insn.opcode.toString(16)}`, "EINVAL", "only lddw (0x18) and call (0x85) instructions take relocations");
    }
    if (sym.shndx === SHN_UNDEF && this.undefinedMaps.has(sym.name)) {
      this.fail(where, `relocation against unknown map '${sym.name}'`, "ENOENT", `'${sym.name}' is declared in .maps but its symbol is undefined in this object; define the map here with SEC(".maps")`);
    }
    if (sym.shndx === SHN_UNDEF) {
      const ext = this.externs.find((e) => e.name === sym.name);
      if (ext?.kind === "kconfig") return add({ kind: "data", insn: idx, map: ".kconfig", offset: ext.offset! });
      return add({ kind: "ksym", insn: idx, name: this.ksym(where, sym, false), call: false });
    }
    if (!symSec) this.fail(where, `relocation against '${symName}' in special section ${sym.shndx}`);
    if (symSec.type === SHT_PROGBITS && (symSec.flags & SHF_EXECINSTR) !== 0) {
      // A function's address: a callback for bpf_loop and friends.
      if (symSec.index !== this.textIndex) this.fail(where, `bad subprog addr relo against '${symName}' at offset ${sym.value}+${insn.imm}`, "EINVAL", "callbacks must be functions in .text");
      const byteOff = sym.value + insn.imm;
      if (byteOff % SLOT_SIZE !== 0) this.fail(where, `bad subprog addr relo against '${symName}' at offset ${sym.value}+${insn.imm}`);
      return add({ kind: "func", insn: idx, target: this.funcStartingAt(where, symSec, byteOff / SLOT_SIZE).spec.name });
    }
    if (symSec.name === "maps" || symSec.name === ".maps") {
      const map = this.mapAt.get(`${symSec.index}:${sym.value}`);
      if (map === undefined) this.fail(where, `map relo failed to find map for section '${symSec.name}', off ${sym.value} (symbol '${symName}')`, "ENOENT");
      return add({ kind: "map", insn: idx, map });
    }
    if (isData(symSec.name)) {
      if (!this.maps.some((m) => m.origin === "data" && m.section === symSec.name)) {
        this.fail(where, `data relo failed to find map for section '${symSec.name}'`, "ENOENT");
      }
      return add({ kind: "data", insn: idx, map: symSec.name, offset: sym.value + insn.imm });
    }
    this.fail(where, `bad data relo against '${symName}' in section '${symSec.name}'`, "EINVAL", "lddw may reference maps, global data (.data, .rodata, .bss), functions and externs");
  }

  private ksym(where: ObjectLocation, sym: ElfSymbol, call: boolean): string {
    const ext = this.externs.find((e) => e.name === sym.name);
    if (!ext) this.fail(where, `extern relo failed to find extern for '${sym.name}'`, "ENOENT");
    if (ext.kind !== "ksym") this.fail(where, `extern '${sym.name}' is a .kconfig variable, it cannot be ${call ? "called" : "used here"}`);
    if (call && !ext.isFunc) this.fail(where, `extern '${sym.name}' is a kernel variable, not a kfunc: it cannot be called`);
    return sym.name;
  }

  private funcStartingAt(where: ObjectLocation, sec: ElfSectionHeader, slot: number): Func {
    const f = this.funcAt(sec.index, slot);
    if (!f || f.startSlot !== slot) {
      this.fail(where, `call target: instruction ${slot} of section '${sec.name}' is not the start of a function`);
    }
    return f;
  }

  /** bpf-to-bpf calls with no relocation: pc-relative within the section (clang's same-section static calls). */
  private pcRelativeCalls(f: Func): void {
    const has = new Set(f.spec.relocations.map((r) => r.insn));
    for (const [slot, idx] of f.slotToInsn) {
      const insn = f.spec.insns[idx]!;
      if (!isPseudoCall(insn) || has.has(idx)) continue;
      const where = { section: f.sec.name, symbol: f.spec.name, insn: idx };
      const targetSlot = slot + insn.imm + 1;
      if (targetSlot < 0 || targetSlot >= f.sec.size / SLOT_SIZE) {
        this.fail(where, `call to insn ${targetSlot} of section '${f.sec.name}' is outside the section (${f.sec.size / SLOT_SIZE} insns)`);
      }
      f.spec.relocations.push({ kind: "call", insn: idx, target: this.funcStartingAt(where, f.sec, targetSlot).spec.name });
    }
  }

  /** .rel.maps: initial values of map-in-map and prog-array slots (`.values = { &inner, ... }`). */
  private mapRelocations(rs: ElfSectionHeader, sec: ElfSectionHeader): void {
    if (rs.type !== SHT_REL) this.fail({ section: rs.name }, "RELA relocations are not supported (BPF objects use REL)");
    const btf = this.btf;
    const ds = this.datasec(".maps");
    if (!btf || !ds) return;
    const rels = this.wrap(() => this.elf.relocations(rs));
    rels.forEach((r, i) => {
      const sym = this.elf.symbols[r.symbol]!;
      // The map whose definition holds this offset.
      const owner = this.maps
        .filter((m) => m.origin === "btf")
        .map((m) => ({ m, sym: this.varSymbol(sec, m.name) }))
        .find((x) => r.offset >= x.sym.value && r.offset < x.sym.value + x.sym.size);
      const where = { section: ".maps", symbol: owner?.m.name ?? sym.name };
      if (!owner) this.fail(where, `relo #${i} at offset ${r.offset} is outside every map definition`);
      const def = btf.typeById(skipModsAndTypedefs(btf, (btf.typeById(ds.t.vars.find((v) => btf.nameOf(v.type) === owner.m.name)!.type) as VarType).type)) as StructType;
      const values = def.members.find((m) => m.name === "values");
      if (!values) this.fail(where, `map '${owner.m.name}': relo #${i} at offset ${r.offset} but the map has no 'values' member`);
      const rel = r.offset - owner.sym.value - values.bitsOffset / 8;
      if (rel < 0 || rel % 8 !== 0) this.fail(where, `map '${owner.m.name}': relo #${i} at offset ${r.offset} is not a 'values' slot`);
      let target: string;
      if (owner.m.type === BPF_MAP_TYPE_PROG_ARRAY) {
        if (sym.type !== STT_FUNC) this.fail(where, `map '${owner.m.name}': slot ${rel / 8} must point to a program, '${sym.name}' is not a function`);
        target = sym.name;
      } else {
        const m = this.mapAt.get(`${sym.shndx}:${sym.value}`);
        if (m === undefined || sym.shndx !== sec.index) this.fail(where, `map '${owner.m.name}': slot ${rel / 8} must point to a map in .maps, '${sym.name}' is not one`);
        target = m;
      }
      (owner.m.initSlots ??= []).push({ index: rel / 8, target });
    });
  }

  // ---- .BTF.ext ----------------------------------------------------------------------

  /** Hands each .BTF.ext record to the function it falls in, with an instruction index relative to it. */
  private distributeExt(): void {
    const ext = this.ext;
    if (!ext) return;
    const each = <T extends { insnOff: number }>(tables: BtfExtSection<T>[], what: string, put: (f: Func, insn: number, r: T) => void) => {
      for (const t of tables) {
        const sec = this.elf.sectionByName(t.section);
        if (!sec) continue; // records for a section the object lacks: libbpf ignores them
        for (const r of t.records) {
          if (r.insnOff % SLOT_SIZE !== 0) this.fail({ section: t.section }, `.BTF.ext ${what} record at byte offset ${r.insnOff} is not on an instruction boundary`);
          const slot = r.insnOff / SLOT_SIZE;
          const f = this.funcAt(sec.index, slot);
          if (!f) continue;
          const idx = f.slotToInsn.get(slot);
          if (idx === undefined) this.fail({ section: t.section, symbol: f.spec.name, insn: slot - f.startSlot }, `.BTF.ext ${what} record points into the second slot of an lddw`);
          put(f, idx, r);
        }
      }
    };
    each(ext.funcInfo, "func_info", (f, insn, r) => f.spec.funcInfo.push({ insn, typeId: r.typeId }));
    each(ext.lineInfo, "line_info", (f, insn, r) => f.spec.lineInfo.push({ insn, fileName: r.fileName, line: r.line, lineNum: r.lineNum, column: r.column }));
    each(ext.coreRelos, "core_relo", (f, insn, r) => {
      if (this.btf && !this.btf.hasId(r.typeId)) this.fail({ section: f.sec.name, symbol: f.spec.name, insn }, `CO-RE relocation against type [${r.typeId}], which the object's BTF lacks`);
      f.spec.coreRelos.push({ insn, typeId: r.typeId, access: r.access, kind: r.kind as never });
    });
  }
}

function isPseudoCall(insn: Instruction): boolean {
  return insn.opcode === (Class.JMP | JmpOp.CALL) && insn.src === PseudoCall.LOCAL;
}

function kindLabel(t: AnyType): string {
  return kindName(t.kind);
}
