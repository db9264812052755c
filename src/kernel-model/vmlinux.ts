// The synthetic kernel's BTF: its C headers (headers/*.h, Linux-shaped)
// compiled by the C-declaration compiler with gcc's x86-64 layouts and
// encoded like /sys/kernel/btf/vmlinux. Built once per process.
import { readFileSync } from "node:fs";
import type { Btf } from "../btf/btf.js";
import { encodeBtf } from "../btf/encode.js";
import { parseBtf } from "../btf/parse.js";
import { compileHeaders } from "./ctypes/index.js";

/** Header files in compile order: types.h first (the others use its typedefs). */
export const KERNEL_HEADERS = ["types.h", "net.h", "fs.h", "sched.h", "block.h", "bpf.h"] as const;

let cached: { bytes: Uint8Array; btf: Btf } | undefined;

function headerText(name: string): string {
  return readFileSync(new URL(`./headers/${name}`, import.meta.url), "utf8");
}

/**
 * Static functions declared in more than one header (one compilation unit
 * each, as in Linux): name -> the headers declaring it. BTF keeps one FUNC per
 * name; kallsyms lists every copy.
 */
export function staticDuplicates(): Map<string, string[]> {
  const where = new Map<string, string[]>();
  for (const h of KERNEL_HEADERS) {
    for (const m of headerText(h).matchAll(/^static\s+[^;(]*?\b([A-Za-z_][A-Za-z0-9_]*)\s*\(/gm)) {
      const list = where.get(m[1]!) ?? [];
      if (!list.includes(h)) list.push(h);
      where.set(m[1]!, list);
    }
  }
  return new Map([...where].filter(([, hs]) => hs.length > 1));
}

function build(): { bytes: Uint8Array; btf: Btf } {
  const files = KERNEL_HEADERS.map((name) => ({ path: `headers/${name}`, text: headerText(name) }));
  const { btf } = compileHeaders(files);
  const bytes = encodeBtf(btf);
  // Parsing the encoded blob validates it and gives the lazily decoded form every other BTF has.
  return { bytes, btf: parseBtf(bytes) };
}

/** The synthetic kernel's BTF blob (what /sys/kernel/btf/vmlinux would hold). */
export function syntheticVmlinuxBytes(): Uint8Array {
  return (cached ??= build()).bytes;
}

/** The synthetic kernel's BTF. Treat as read-only: it is shared. */
export function syntheticVmlinux(): Btf {
  return (cached ??= build()).btf;
}
