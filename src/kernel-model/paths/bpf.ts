// The bpf(2) syscall as the workloads exercise it: __sys_bpf -> map_create /
// bpf_prog_load making struct bpf_map / bpf_prog objects, released with
// bpf_map_put / bpf_prog_put.
import type { Kernel } from "../kernel.js";
import { alloc, setField, setString } from "./fields.js";

/**
 * BPF objects: __sys_bpf dispatches BPF_MAP_CREATE to map_create (a struct
 * bpf_map in memory with its attributes and id) and BPF_PROG_LOAD to
 * bpf_prog_load (a struct bpf_prog); bpf_map_put/bpf_prog_put free them.
 */
export function installBpfPaths(k: Kernel): (fd: bigint) => bigint | undefined {
  const set = (name: string, impl: (args: readonly bigint[]) => bigint) => {
    for (const fn of k.functions.named(name)) fn.impl = (c) => impl(c.args);
  };
  let nextId = 1n;
  const fds = new Map<bigint, bigint>();
  const BPF_MAP_CREATE = 0n;
  const BPF_PROG_LOAD = 5n;
  set("__sys_bpf", ([cmd, attr]) => {
    if (cmd === BPF_MAP_CREATE) return k.callByName("map_create", [attr!]);
    if (cmd === BPF_PROG_LOAD) return k.callByName("bpf_prog_load", [attr!, 0n, 0n]);
    return BigInt.asUintN(64, -22n);
  });
  set("map_create", () => {
    if (k.rng.chance(0.02)) return BigInt.asUintN(64, -12n); // -ENOMEM
    const map = alloc(k, "bpf_map");
    setField(k, map, "bpf_map", "map_type", BigInt(k.rng.pick([1, 2, 27])));
    setField(k, map, "bpf_map", "key_size", 4n);
    setField(k, map, "bpf_map", "value_size", 8n);
    setField(k, map, "bpf_map", "max_entries", 1024n);
    setField(k, map, "bpf_map", "id", nextId);
    setString(k, map, "bpf_map", "name", `map_${nextId}`);
    nextId++;
    const fd = BigInt(3 + fds.size);
    fds.set(fd, map);
    return fd;
  });
  set("bpf_prog_load", () => {
    if (k.rng.chance(0.05)) return BigInt.asUintN(64, -13n); // -EACCES: rejected by the verifier
    const prog = alloc(k, "bpf_prog");
    setField(k, prog, "bpf_prog", "len", BigInt(k.rng.int(2, 4096)));
    const fd = BigInt(3 + fds.size);
    fds.set(fd, prog);
    return fd;
  });
  const put = ([obj]: readonly bigint[]) => {
    for (const [fd, a] of fds) if (a === obj) fds.delete(fd);
    k.memory.free(obj!);
    return 0n;
  };
  set("bpf_map_put", put);
  set("bpf_prog_put", put);
  return (fd) => fds.get(fd);
}

/** A task creates a map or loads a program through bpf(2), then releases it. */
export function bpfStep(k: Kernel, objectOfFd: (fd: bigint) => bigint | undefined): void {
  const user = k.memory.userSpace(k.current().tgid);
  const attr = user.heapAlloc(128);
  const cmd = k.rng.chance(0.5) ? 0n : 5n;
  const fd = k.callByName("__sys_bpf", [cmd, attr, 128n]);
  user.heapFree(attr);
  if (BigInt.asIntN(64, fd) < 0n) return;
  // The object is released when its fd is closed (modelled right away).
  const obj = objectOfFd(fd);
  if (obj !== undefined) k.callByName(cmd === 0n ? "bpf_map_put" : "bpf_prog_put", [obj]);
}
