// The synthetic kernel's BTF as /sys/kernel/btf/vmlinux gives it: what
// `btf dump --kernel` reads, without booting the kernel.
export { syntheticVmlinux } from "../kernel-model/vmlinux.js";
