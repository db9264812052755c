// What info, list and prog dump resolve against: the synthetic kernel's
// BTF and kallsyms (read through bpf(2), as a tracer would), or a BTF file
// (`--btf /sys/kernel/btf/vmlinux`, an ELF .BTF section, ...) whose FUNCs
// stand in for kallsyms (no addresses).
import type { Btf } from "../btf/btf.js";
import { parseBtf } from "../btf/index.js";
import { BtfKind } from "../btf/kinds.js";
import type { BootedKernel } from "../syscall/boot.js";
import type { KernelFunctionEntry } from "../probe-spec/resolve.js";
import { loadBtfFile } from "./btf-file.js";

export interface KernelView {
  btf: Btf;
  functions: KernelFunctionEntry[];
  /** "the synthetic kernel" or the file name, for messages. */
  source: string;
  /** The booted kernel when the view is the synthetic one (prog dump verifies through it). */
  booted?: BootedKernel;
}

export async function kernelView(btfFile: string | undefined, seed = 1): Promise<KernelView> {
  if (btfFile !== undefined) {
    const btf = loadBtfFile(btfFile);
    const functions: KernelFunctionEntry[] = [];
    for (let id = 1; id < btf.typeCount; id++) {
      if (btf.kindOf(id) === BtfKind.FUNC) functions.push({ name: btf.nameOf(id), address: 0n, btfId: id });
    }
    return { btf, functions, source: btfFile };
  }
  // Loaded on demand: `info --btf` never needs the kernel model.
  const { bootSyntheticKernel } = await import("../syscall/boot.js");
  const booted = bootSyntheticKernel({ seed });
  return { btf: parseBtf(booted.bpf.btfBytes()), functions: booted.bpf.kallsyms(), source: "the synthetic kernel", booted };
}
