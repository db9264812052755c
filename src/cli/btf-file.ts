// Reading a BTF file named on the command line (raw BTF, an ELF .BTF
// section, gzip of either), with the file name in any error. Shared by
// `btf dump`, `info`/`list`/`prog dump --btf` and `trace --btf`, and kept
// apart from the dump formats so those commands do not load them (nor the
// rest of the BTF library: only the loader is imported, not the barrel).
import type { Btf } from "../btf/btf.js";
import { loadBtf } from "../btf/load.js";
import { BtfsnoopError } from "../internal/errors.js";
import { readInputFile } from "./io.js";

/** Loads FILE (with its base for split BTF), wrapping errors with the file name. */
export function loadBtfFile(path: string, base?: Btf): Btf {
  const bytes = readInputFile(path);
  try {
    return loadBtf(bytes, base ? { base } : {}).btf;
  } catch (e) {
    if (e instanceof BtfsnoopError) throw new BtfsnoopError(e.errno, `'${path}': ${e.message}`, { hint: e.hint, cause: e });
    throw e;
  }
}
