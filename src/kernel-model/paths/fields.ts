// Allocating kernel objects and filling them by field name for the call
// paths (the headers are trimmed Linux, so a field the type lacks is
// skipped). The member checks and field locations are resolved once per
// (type, path) by KernelMemory.structAccessor; a path that writes a field on
// every call can hold the accessor itself (k.memory.accessor(type, path),
// then k.memory.load(addr, acc) / k.memory.store(addr, acc, value)).
import { findMember } from "../../btf/members.js";
import { BtfKind } from "../../btf/kinds.js";
import type { Kernel } from "../kernel.js";

/** Sets a field if the type has it (the headers are trimmed Linux: not every field exists). */
export function setField(k: Kernel, addr: bigint, type: string, path: string, value: bigint): void {
  const acc = k.memory.structAccessor(type, path);
  if (acc !== undefined) k.memory.store(addr, acc, value);
}

export function setString(k: Kernel, addr: bigint, type: string, path: string, value: string): void {
  const id = k.btf.findByNameKind(type, BtfKind.STRUCT);
  if (id === undefined || !findMember(k.btf, id, path)) return;
  k.memory.writeString(addr, id, path, value);
}

export function alloc(k: Kernel, type: string): bigint {
  return k.memory.alloc(type);
}
