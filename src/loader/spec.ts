// The object spec: what opening a BPF ELF object yields (libbpf's struct
// bpf_object before load, cilium/ebpf's CollectionSpec). Pure data, nothing
// loaded: programs with their raw instructions and the references the
// relocation phase resolves, map definitions, global data, externs, the
// object's BTF and .BTF.ext records. open.ts produces it, relocate.ts and
// core.ts consume it, load.ts turns it into kernel objects through the
// syscall layer.
import type { Btf } from "../btf/btf.js";
import type { Instruction } from "../vm/isa/instruction.js";

/** Where something is in the object file, for error messages ("section 'kprobe/x', symbol 'f', insn 12"). */
export interface ObjectLocation {
  section?: string;
  symbol?: string;
  /** Instruction index within the function (not the slot). */
  insn?: number;
}

/** A reference from an instruction to a symbol, resolved by the relocation phase. */
export type Relocation =
  /** lddw of a map (BTF-defined or legacy): becomes src=BPF_PSEUDO_MAP_FD with the map's fd. */
  | { kind: "map"; insn: number; map: string }
  /** lddw of global data (.data, .rodata, .rodata.*, .bss, .kconfig): src=BPF_PSEUDO_MAP_VALUE, imm2 = offset into the data map. */
  | { kind: "data"; insn: number; map: string; offset: number }
  /** call of a bpf-to-bpf function (static or global, in .text or the same section). */
  | { kind: "call"; insn: number; target: string }
  /** lddw of a function's address (bpf_loop and friends' callbacks): src=BPF_PSEUDO_FUNC. */
  | { kind: "func"; insn: number; target: string }
  /** A .ksyms extern: a kernel variable's address (lddw) or a kfunc call. */
  | { kind: "ksym"; insn: number; name: string; call: boolean };

/** A .BTF.ext func_info record, by instruction index within the function. */
export interface FuncInfo {
  insn: number;
  /** BTF id of the FUNC in the object's BTF. */
  typeId: number;
}

/** A .BTF.ext line_info record. */
export interface LineInfo {
  insn: number;
  fileName: string;
  /** The source line's text as the compiler recorded it. */
  line: string;
  lineNum: number;
  column: number;
}

/** enum bpf_core_relo_kind (libbpf's relo_core.h numbering). */
export const CoreReloKind = {
  FIELD_BYTE_OFFSET: 0,
  FIELD_BYTE_SIZE: 1,
  FIELD_EXISTS: 2,
  FIELD_SIGNED: 3,
  FIELD_LSHIFT_U64: 4,
  FIELD_RSHIFT_U64: 5,
  TYPE_ID_LOCAL: 6,
  TYPE_ID_TARGET: 7,
  TYPE_EXISTS: 8,
  TYPE_SIZE: 9,
  ENUMVAL_EXISTS: 10,
  ENUMVAL_VALUE: 11,
  TYPE_MATCHES: 12,
} as const;
export type CoreReloKind = (typeof CoreReloKind)[keyof typeof CoreReloKind];

/** A .BTF.ext CO-RE relocation (struct bpf_core_relo), by instruction index within the function. */
export interface CoreRelo {
  insn: number;
  /** Root type id in the object's (local) BTF. */
  typeId: number;
  /** Access string, e.g. "0:1:2" (libbpf's access spec). */
  access: string;
  kind: CoreReloKind;
}

/** One BPF function of the object: a program entry point or a subprogram. */
export interface FunctionSpec {
  /** Symbol name. */
  name: string;
  /** ELF section holding it ("kprobe/tcp_sendmsg", ".text"). */
  section: string;
  /** Byte offset of its first instruction in the section. */
  sectionOffset: number;
  /** Global (STB_GLOBAL) or static (STB_LOCAL). */
  global: boolean;
  insns: Instruction[];
  relocations: Relocation[];
  funcInfo: FuncInfo[];
  lineInfo: LineInfo[];
  coreRelos: CoreRelo[];
}

/** A program: an entry point in a non-.text executable section. */
export interface ProgramSpec extends FunctionSpec {
  /** The SEC() name without a leading '?'. */
  secName: string;
  /** false for SEC("?...") programs (libbpf: not loaded unless asked). */
  autoload: boolean;
}

/** How a map was defined. */
export type MapOrigin =
  /** struct { __uint(type, ...); ... } name SEC(".maps"). */
  | "btf"
  /** struct bpf_map_def in SEC("maps") (seed 003's era). */
  | "legacy"
  /** a global data section turned into a one-entry array (.data, .rodata, .rodata.*, .bss, .kconfig). */
  | "data";

/** A variable of a global data section (from its DATASEC; offsets from the symbol table). */
export interface DataVar {
  name: string;
  offset: number;
  size: number;
  /** The VAR's type in the object's BTF. */
  typeId: number;
  /** STB_GLOBAL (a skeleton's --set reaches it) or static. */
  global: boolean;
}

export interface MapSpec {
  /** The map's name ("counts", ".rodata", ".bss"); the kernel sees at most 15 characters. */
  name: string;
  origin: MapOrigin;
  /** ELF section it came from. */
  section: string;
  /** enum bpf_map_type. */
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** LIBBPF_PIN_BY_NAME is 1; noted, not acted on. */
  pinning: number;
  /** Key and value types in the object's BTF, when known (BTF-defined maps, data maps' DATASEC). */
  keyTypeId?: number;
  valueTypeId?: number;
  /** Data maps: the section's initial bytes (zeros for .bss) and its variables. */
  data?: Uint8Array;
  vars?: DataVar[];
  /** .rodata and .rodata.*: frozen after its contents are written (BPF_F_RDONLY_PROG). */
  readOnly?: boolean;
  /** Map-in-map (ARRAY_OF_MAPS, HASH_OF_MAPS): the inner map's definition (`__array(values, struct {...})`), named "OUTER.inner". */
  innerMap?: MapSpec;
  /** Initial slots from `.values = { [i] = &x }` (.rel.maps): a map's name (map-in-map) or a program's (PROG_ARRAY). */
  initSlots?: { index: number; target: string }[];
}

/** An extern variable or function (.kconfig or .ksyms). */
export interface ExternSpec {
  name: string;
  kind: "kconfig" | "ksym";
  /** Functions (kfuncs) are .ksyms externs of FUNC type. */
  isFunc: boolean;
  /** __weak: a missing symbol is 0 instead of an error. */
  weak: boolean;
  /** The extern's type in the object's BTF. */
  typeId: number;
  /** kconfig: offset of its slot in the .kconfig data map. */
  offset?: number;
  size?: number;
}

export interface ObjectSpec {
  /** File name as opened (for messages and the object's name). */
  name: string;
  /** SEC("license"). */
  license: string;
  /** SEC("version"), or 0. */
  kernelVersion: number;
  /** The object's BTF (.BTF), when present. */
  btf: Btf | undefined;
  /** Entry points, in section then offset order. */
  programs: ProgramSpec[];
  /** Subprograms in .text (static and global), by name; also static functions of program sections (libbpf refuses those; here they are callable from their own section). */
  subprograms: FunctionSpec[];
  maps: MapSpec[];
  externs: ExternSpec[];
}
