// The BTF header (struct btf_header): magic, version, flags, hdr_len and the
// offsets/lengths of the type and string sections, checked the way the
// kernel's btf_parse_hdr()/btf_check_sec_info() check them.
import { BtfError } from "./errors.js";
import { BTF_HEADER_SIZE, BTF_MAGIC, BTF_MAX_NAME_OFFSET, BTF_VERSION } from "./kinds.js";

export interface BtfHeader {
  littleEndian: boolean;
  version: number;
  flags: number;
  /** Header length in bytes; type and string offsets count from its end. */
  hdrLen: number;
  typeOff: number;
  typeLen: number;
  strOff: number;
  strLen: number;
}

/**
 * Reads and checks the header of a BTF blob.
 * @param fileOffset where `bytes` starts in the input, for error offsets
 */
export function parseHeader(bytes: Uint8Array, fileOffset = 0): BtfHeader {
  const at = (off: number) => ({ offset: fileOffset + off });
  if (bytes.length < 4) {
    throw new BtfError(`blob is ${bytes.length} bytes, too short for a BTF header (${BTF_HEADER_SIZE} bytes)`, at(0), {
      hint: "the input is truncated or not BTF",
    });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicLE = view.getUint16(0, true);
  let littleEndian: boolean;
  if (magicLE === BTF_MAGIC) littleEndian = true;
  else if (view.getUint16(0, false) === BTF_MAGIC) littleEndian = false;
  else {
    throw new BtfError(`bad magic 0x${magicLE.toString(16).padStart(4, "0")} (expected 0xeb9f)`, at(0), {
      hint: "not a raw BTF blob: pass /sys/kernel/btf/vmlinux, a .btf file, or an ELF object with a .BTF section",
    });
  }
  const version = bytes[2]!;
  const flags = bytes[3]!;
  if (version !== BTF_VERSION) throw new BtfError(`unsupported version ${version} (only version ${BTF_VERSION} exists)`, at(2));
  if (flags !== 0) throw new BtfError(`unsupported flags 0x${flags.toString(16)} (must be 0)`, at(3));
  if (bytes.length < 8) throw new BtfError(`blob is ${bytes.length} bytes, too short for a BTF header (${BTF_HEADER_SIZE} bytes)`, at(0));
  const hdrLen = view.getUint32(4, littleEndian);
  if (hdrLen < BTF_HEADER_SIZE) throw new BtfError(`header length ${hdrLen} is smaller than ${BTF_HEADER_SIZE}`, at(4));
  if (hdrLen > bytes.length) {
    throw new BtfError(`header length ${hdrLen} exceeds the blob size ${bytes.length}`, at(4), { hint: "the input is truncated" });
  }
  for (let i = BTF_HEADER_SIZE; i < hdrLen; i++) {
    if (bytes[i] !== 0) throw new BtfError(`unsupported header extension: non-zero byte in bytes ${BTF_HEADER_SIZE}..${hdrLen - 1} of the header`, at(i));
  }
  const typeOff = view.getUint32(8, littleEndian);
  const typeLen = view.getUint32(12, littleEndian);
  const strOff = view.getUint32(16, littleEndian);
  const strLen = view.getUint32(20, littleEndian);
  const dataLen = bytes.length - hdrLen;

  if (typeOff % 4 !== 0) throw new BtfError(`type section offset ${typeOff} is not 4-byte aligned`, at(8));
  if (typeLen % 4 !== 0) throw new BtfError(`type section length ${typeLen} is not a multiple of 4`, at(12));
  if (typeOff > dataLen || typeLen > dataLen - typeOff) {
    throw new BtfError(`type section [${typeOff}, ${typeOff + typeLen}) runs past the end of the data (${dataLen} bytes after the header)`, at(8), {
      hint: "the input is truncated or its header is corrupt",
    });
  }
  if (strOff > dataLen || strLen > dataLen - strOff) {
    throw new BtfError(`string section [${strOff}, ${strOff + strLen}) runs past the end of the data (${dataLen} bytes after the header)`, at(16), {
      hint: "the input is truncated or its header is corrupt",
    });
  }
  if (typeLen > 0 && strLen > 0 && typeOff < strOff + strLen && strOff < typeOff + typeLen) {
    throw new BtfError(`type section [${typeOff}, ${typeOff + typeLen}) overlaps string section [${strOff}, ${strOff + strLen})`, at(8));
  }
  // Like the kernel (btf_check_sec_info), the sections must tile the data exactly: types, then strings.
  if (typeLen > 0 && strOff < typeOff) {
    throw new BtfError(`string section (at ${strOff}) comes before the type section (at ${typeOff}); it must be last`, at(16));
  }
  if (typeLen > 0 && typeOff !== 0) {
    throw new BtfError(`${typeOff} unused bytes between the header and the type section`, at(hdrLen), { hint: "the header or the blob is corrupt" });
  }
  if (typeLen > 0 && strOff !== typeOff + typeLen) {
    throw new BtfError(`gap of ${strOff - typeOff - typeLen} unused bytes between the type and string sections`, at(hdrLen + typeOff + typeLen));
  }
  if (strOff + strLen !== dataLen) {
    throw new BtfError(`${dataLen - strOff - strLen} trailing bytes after the string section`, at(hdrLen + strOff + strLen), {
      hint: "the blob has data no section covers; it may be two blobs concatenated or corrupt",
    });
  }
  if (strLen > BTF_MAX_NAME_OFFSET + 1) {
    throw new BtfError(`string section is ${strLen} bytes, more than the ${BTF_MAX_NAME_OFFSET + 1} that name offsets can address`, at(20));
  }
  return { littleEndian, version, flags, hdrLen, typeOff, typeLen, strOff, strLen };
}
