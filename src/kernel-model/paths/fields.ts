// Allocating kernel objects and filling them by field name for the call
// paths (the headers are trimmed Linux, so a field the type lacks is
// skipped), with the per-type member lookup cached.
import { findMember } from "../../btf/members.js";
import { BtfKind } from "../../btf/kinds.js";
import type { Kernel } from "../kernel.js";

/** Whether `type` has the member `path` starts with, per kernel BTF (asked on every setField, so remembered by type, then path: no key strings built per call). */
const hasFieldCache = new WeakMap<object, Map<string, Map<string, number | undefined>>>();
function structWith(k: Kernel, type: string, path: string): number | undefined {
  let byType = hasFieldCache.get(k.btf);
  if (!byType) hasFieldCache.set(k.btf, (byType = new Map()));
  let m = byType.get(type);
  if (!m) byType.set(type, (m = new Map()));
  const hit = m.get(path);
  if (hit !== undefined || m.has(path)) return hit;
  const id = k.btf.findByNameKind(type, BtfKind.STRUCT);
  const found = id !== undefined && findMember(k.btf, id, path.split(".")[0]!.replace(/\[.*$/, "")) ? id : undefined;
  m.set(path, found);
  return found;
}

/** Sets a field if the type has it (the headers are trimmed Linux: not every field exists). */
export function setField(k: Kernel, addr: bigint, type: string, path: string, value: bigint): void {
  const id = structWith(k, type, path);
  if (id !== undefined) k.memory.writeField(addr, id, path, value);
}

export function setString(k: Kernel, addr: bigint, type: string, path: string, value: string): void {
  const id = k.btf.findByNameKind(type, BtfKind.STRUCT);
  if (id === undefined || !findMember(k.btf, id, path)) return;
  k.memory.writeString(addr, id, path, value);
}

export function alloc(k: Kernel, type: string): bigint {
  return k.memory.alloc(type);
}
