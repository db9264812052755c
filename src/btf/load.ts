// Format sniffing: turns the bytes of a file into a Btf whatever it is — a
// raw blob (/sys/kernel/btf/vmlinux), an ELF object with a .BTF section, or
// either of them gzip-compressed.
import { gunzipSync } from "node:zlib";
import type { Btf } from "./btf.js";
import { findBtfSection, isElf } from "./elf.js";
import { BtfError } from "./errors.js";
import { parseBtf } from "./parse.js";

export type BtfSourceFormat = "raw" | "elf";

export interface LoadedBtf {
  btf: Btf;
  format: BtfSourceFormat;
  gzip: boolean;
}

/** Largest decompressed input accepted (a vmlinux BTF is ~6 MB): bounds memory against gzip bombs. */
export const MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024;

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Parses BTF from file contents of any supported format. Throws BtfError. */
export function loadBtf(bytes: Uint8Array, options: { base?: Btf } = {}): LoadedBtf {
  let gzip = false;
  if (isGzip(bytes)) {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: MAX_DECOMPRESSED_BYTES });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === "ERR_BUFFER_TOO_LARGE") {
        throw new BtfError(`gzip data decompresses to more than ${MAX_DECOMPRESSED_BYTES} bytes`, { offset: 0 }, { errno: "E2BIG", cause: e });
      }
      throw new BtfError(`gzip data is corrupt: ${err.message}`, { offset: 0 }, { cause: e });
    }
    gzip = true;
  }
  if (isElf(bytes)) {
    const sec = findBtfSection(bytes);
    return { btf: parseBtf(sec.bytes, { base: options.base, fileOffset: sec.offset }), format: "elf", gzip };
  }
  return { btf: parseBtf(bytes, { base: options.base }), format: "raw", gzip };
}
