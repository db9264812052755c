// C declaration compiler: kernel-style header text -> BTF, with gcc's
// x86-64 System V layouts, deduplicated (dedup.ts). See c-decl.ohm for the
// accepted subset.
import type { Btf } from "../../btf/btf.js";
import { validateBtf } from "../../btf/builder.js";
import { dedupBtf } from "./dedup.js";
import { parseFile } from "./semantics.js";
import { Compiler, type CompiledFunction } from "./to-btf.js";

import { CDeclError } from "./errors.js";

export { CDeclError };
export type { CompiledFunction } from "./to-btf.js";

export interface CompiledHeaders {
  btf: Btf;
  functions: CompiledFunction[];
  /** `#define NAME <integer expression>` constants. */
  constants: Map<string, bigint>;
}

/** Compiles header files, in order, into one BTF. Throws CDeclError (EINVAL) naming file:line:column. */
export function compileHeaders(files: { path: string; text: string }[]): CompiledHeaders {
  const c = new Compiler();
  try {
    for (const f of files) c.add(parseFile(f.path, f.text));
    const emitted = c.emit();
    // One type per C type, as pahole's btf__dedup leaves a kernel's BTF.
    const { btf, remap } = dedupBtf(emitted.btf);
    validateBtf(btf);
    const functions = emitted.functions.map((f) => ({ ...f, id: remap(f.id) }));
    return { btf, functions, constants: c.constants };
  } catch (e) {
    // semantic errors are raised without the source text: add the line and caret
    if (e instanceof CDeclError && !e.hasCaret) {
      const f = files.find((x) => x.path === e.loc.path);
      const line = f?.text.split("\n")[e.loc.line - 1];
      if (line !== undefined) throw new CDeclError(e.loc, e.detail, line);
    }
    throw e;
  }
}
