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

function build(): { bytes: Uint8Array; btf: Btf } {
  const files = KERNEL_HEADERS.map((name) => ({ path: `headers/${name}`, text: readFileSync(new URL(`./headers/${name}`, import.meta.url), "utf8") }));
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
