// The seam for typed-value formatters (the kernel's bpf_snprintf_btf()
// btf_show and libbpf's btf_dump__dump_type_data(), coming with the tracer):
// the options both styles share, the formatter interface, and the readers
// of base values out of raw bytes that both need (ints incl. bitfields and
// 128-bit, enums by value, pointers) so neither re-implements them.
import type { Btf } from "./btf.js";
import { BtfError } from "./errors.js";
import { BtfKind, IntEncoding } from "./kinds.js";
import type { Enum64Type, EnumType, IntType, TypeId } from "./types.js";

/** Options shared by both value styles (BTF_F_* flags / btf_dump_type_data_opts). */
export interface ValueFormatOptions {
  /** BTF_F_COMPACT / opts.compact: no indentation or newlines. */
  compact?: boolean;
  /** BTF_F_NONAME / opts.skip_names: no member names or type names. */
  skipNames?: boolean;
  /** BTF_F_ZERO / opts.emit_zeroes: show zero-valued members. */
  emitZeroes?: boolean;
  /** BTF_F_PTR_RAW: pointers as 16 hex digits rather than hashed (kernel style only). */
  ptrRaw?: boolean;
}

/** Result of formatting: the text and a status (0, or a negative errno such as -EFAULT / -E2BIG, text kept up to the failure). */
export interface FormattedValue {
  text: string;
  status: number;
}

/** A typed-value formatter: renders `data` (the bytes of a value) as BTF type `id`. */
export interface ValueFormatter {
  readonly style: "kernel" | "libbpf";
  format(btf: Btf, id: TypeId, data: Uint8Array, options?: ValueFormatOptions): FormattedValue;
}

/**
 * Reads an integer of BTF INT type `t` from `data` at `bitOffset` (bits from
 * the start of `data`), `bitSize` bits wide (0 = the type's nr_bits), as the
 * little-endian target stores it; sign-extended when the INT is signed.
 * Throws BtfError (E2BIG) if the bits run past `data`.
 */
export function readIntBits(t: IntType, data: Uint8Array, bitOffset: number, bitSize = 0): bigint {
  const bits = bitSize || t.nrBits;
  const start = bitOffset + t.bitsOffset;
  const firstByte = start >> 3;
  const lastByte = (start + bits - 1) >> 3;
  if (bits === 0) return 0n;
  if (lastByte >= data.length || start < 0) {
    throw new BtfError(`value of ${bits} bits at bit ${start} runs past the ${data.length}-byte buffer`, {}, { errno: "E2BIG" });
  }
  let v = 0n;
  for (let i = lastByte; i >= firstByte; i--) v = (v << 8n) | BigInt(data[i]!);
  v = (v >> BigInt(start & 7)) & ((1n << BigInt(bits)) - 1n);
  return t.encoding & IntEncoding.SIGNED ? BigInt.asIntN(bits, v) : v;
}

/** Reads a `size`-byte little-endian unsigned value at byte `offset` (pointers, enums). */
export function readUnsigned(data: Uint8Array, offset: number, size: number): bigint {
  if (offset < 0 || offset + size > data.length) {
    throw new BtfError(`${size}-byte value at byte ${offset} runs past the ${data.length}-byte buffer`, {}, { errno: "E2BIG" });
  }
  let v = 0n;
  for (let i = offset + size - 1; i >= offset; i--) v = (v << 8n) | BigInt(data[i]!);
  return v;
}

/** Reads an enum's value at byte `offset` (signed per the enum's kind_flag). */
export function readEnum(t: EnumType | Enum64Type, data: Uint8Array, offset: number): bigint {
  const u = readUnsigned(data, offset, t.size);
  return t.signed ? BigInt.asIntN(t.size * 8, u) : u;
}

/** The enumerator named for `value`, if any (first match, as the kernel and libbpf print). */
export function enumeratorName(t: EnumType | Enum64Type, value: bigint): string | undefined {
  if (t.kind === BtfKind.ENUM64) return t.values.find((e) => e.value === value)?.name;
  const v32 = t.signed ? Number(BigInt.asIntN(32, value)) : Number(BigInt.asUintN(32, value));
  return t.values.find((e) => e.value === v32)?.name;
}
