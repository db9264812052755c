// BTF wire constants: kind numbers, the info-word bit layout and ONE layout
// table saying how many bytes follow the 12-byte `struct btf_type` header for
// each kind (fixed part + vlen * element size), like libbpf's btf_type_size().
// See https://docs.kernel.org/bpf/btf.html

/** BTF kind numbers as encoded in bits 24..28 of `btf_type.info`. */
export const BtfKind = {
  UNKN: 0,
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  // Added 5.0
  FUNC: 12,
  FUNC_PROTO: 13,
  // Added 5.2
  VAR: 14,
  DATASEC: 15,
  // Added 5.13
  FLOAT: 16,
  // Added 5.16
  DECL_TAG: 17,
  // Added 5.17
  TYPE_TAG: 18,
  // Added 6.0
  ENUM64: 19,
} as const;

export type BtfKindNumber = (typeof BtfKind)[keyof typeof BtfKind];

/** Highest kind number this library knows (BTF_KIND_MAX). */
export const BTF_KIND_MAX = 19;

/** Kind names as bpftool prints them, indexed by kind number. */
export const BTF_KIND_NAMES: readonly string[] = Object.freeze(
  Object.entries(BtfKind)
    .sort((a, b) => a[1] - b[1])
    .map(([name]) => (name === "UNKN" ? "UNKNOWN" : name)),
);

/** Name of a kind for messages and dumps; out-of-range kinds print as UNKNOWN. */
export function kindName(kind: number): string {
  return BTF_KIND_NAMES[kind] ?? "UNKNOWN";
}

/** `btf_header.magic`. */
export const BTF_MAGIC = 0xeb9f;
/** `btf_header.version` this library reads and writes. */
export const BTF_VERSION = 1;
/** sizeof(struct btf_header). */
export const BTF_HEADER_SIZE = 24;
/** sizeof(struct btf_type): name_off, info, size/type. */
export const BTF_TYPE_HEADER_SIZE = 12;
/** Largest string offset a type may use (BTF_MAX_NAME_OFFSET). */
export const BTF_MAX_NAME_OFFSET = 0xffffff;
/** Largest type id (BTF_MAX_TYPE). */
export const BTF_MAX_TYPE = 0xfffff;
/** Largest vlen (BTF_MAX_VLEN). */
export const BTF_MAX_VLEN = 0xffff;

/** `btf_type.info` bits that may be set: vlen (0..15), kind (24..28), kind_flag (31). */
export const BTF_INFO_MASK = 0x9f00ffff;

/** INT encoding bits (BTF_INT_SIGNED, BTF_INT_CHAR, BTF_INT_BOOL). */
export const IntEncoding = { NONE: 0, SIGNED: 1, CHAR: 2, BOOL: 4 } as const;

/** FUNC linkage, stored in vlen. */
export const FuncLinkage = { STATIC: 0, GLOBAL: 1, EXTERN: 2 } as const;
/** VAR linkage, stored in btf_var.linkage. */
export const VarLinkage = { STATIC: 0, GLOBAL_ALLOCATED: 1, GLOBAL_EXTERN: 2 } as const;

/** Bytes that follow the 12-byte type header: fixed part and per-vlen element. */
export interface KindLayout {
  readonly fixed: number;
  readonly perVlen: number;
}

/** The layout table, indexed by kind number (libbpf btf_type_size()). */
export const KIND_LAYOUT: readonly (KindLayout | undefined)[] = [
  undefined, // UNKN
  { fixed: 4, perVlen: 0 }, // INT: u32 encoding/offset/bits
  { fixed: 0, perVlen: 0 }, // PTR
  { fixed: 12, perVlen: 0 }, // ARRAY: btf_array
  { fixed: 0, perVlen: 12 }, // STRUCT: btf_member[]
  { fixed: 0, perVlen: 12 }, // UNION: btf_member[]
  { fixed: 0, perVlen: 8 }, // ENUM: btf_enum[]
  { fixed: 0, perVlen: 0 }, // FWD
  { fixed: 0, perVlen: 0 }, // TYPEDEF
  { fixed: 0, perVlen: 0 }, // VOLATILE
  { fixed: 0, perVlen: 0 }, // CONST
  { fixed: 0, perVlen: 0 }, // RESTRICT
  { fixed: 0, perVlen: 0 }, // FUNC
  { fixed: 0, perVlen: 8 }, // FUNC_PROTO: btf_param[]
  { fixed: 4, perVlen: 0 }, // VAR: btf_var
  { fixed: 0, perVlen: 12 }, // DATASEC: btf_var_secinfo[]
  { fixed: 0, perVlen: 0 }, // FLOAT
  { fixed: 4, perVlen: 0 }, // DECL_TAG: btf_decl_tag
  { fixed: 0, perVlen: 0 }, // TYPE_TAG
  { fixed: 0, perVlen: 12 }, // ENUM64: btf_enum64[]
];

/** Size in bytes of one encoded type record of this kind with this vlen. */
export function encodedTypeSize(kind: number, vlen: number): number {
  const layout = KIND_LAYOUT[kind];
  if (!layout) return -1;
  return BTF_TYPE_HEADER_SIZE + layout.fixed + vlen * layout.perVlen;
}
