// Vitest global setup: precompiles the synthetic kernel's BTF once per run
// into src/kernel-model/vmlinux.btf (git-ignored; the same keyed cache the
// build writes into dist), so each test file's fresh module graph loads it
// instead of compiling the headers again (~5 s of CPU per file that boots the
// synthetic kernel). The key covers the headers and the compiler's sources,
// so an edit to either makes the next run compile anew.
import { readVmlinuxCache, writeVmlinuxCache } from "../src/kernel-model/vmlinux.js";

export default async function setup(): Promise<void> {
  if (process.env.BTFSNOOP_NO_VMLINUX_CACHE) return;
  if (!readVmlinuxCache()) await writeVmlinuxCache();
}
