// Memory mappings: do_mmap (vma_merge), do_munmap over each process's
// vm_area_structs, and the fs workload's mapping step.
import type { Kernel } from "../kernel.js";
import { MMAP_BASE, TASK_SIZE } from "./process.js";
import { alloc, setField } from "./fields.js";

/**
 * Memory mappings: do_mmap creates a vm_area_struct in the task's mm (or
 * extends a neighbour through vma_merge), do_munmap removes one. Each process
 * gets an mm_struct on first use. A mapping goes in the lowest gap above
 * mmap_base that fits it, so address space freed by munmap is reused.
 */
export interface MmState {
  /** Start of the current process's oldest mapping, if it has any. */
  oldest(tgid: number): bigint | undefined;
  /** Number of mappings of a process. */
  count(tgid: number): number;
  /** A process's mm_struct (made on first use). */
  mm(tgid: number): bigint;
}

export function installMmPaths(k: Kernel): MmState {
  const set = (name: string, impl: (args: readonly bigint[]) => bigint) => {
    for (const fn of k.functions.named(name)) fn.impl = (c) => impl(c.args);
  };
  /** Each process's mappings, oldest first. */
  const vmas = new Map<number, { vma: bigint; start: bigint; end: bigint }[]>();
  const mms = new Map<number, bigint>();
  // A process's mm is the one fork gave it (process.ts); a kernel thread that maps memory gets one on first use.
  const mmOf = (tgid: number): bigint => {
    let mm = mms.get(tgid);
    if (mm === undefined) {
      const leader = k.tasks.get(tgid);
      mm = leader && leader.taskAddress !== 0n ? k.memory.readField(leader.taskAddress, "task_struct", "mm") : 0n;
      if (mm === 0n) {
        mm = alloc(k, "mm_struct");
        setField(k, mm, "mm_struct", "mmap_base", MMAP_BASE);
        setField(k, mm, "mm_struct", "task_size", TASK_SIZE);
        for (const t of k.tasks.all()) if (t.tgid === tgid) setField(k, t.taskAddress, "task_struct", "mm", mm);
      }
      mms.set(tgid, mm);
    }
    return mm;
  };
  set("do_mmap", ([file, , len]) => {
    const tgid = k.current().tgid;
    const mm = mmOf(tgid);
    const list = vmas.get(tgid) ?? [];
    const size = ((len! + 0xfffn) / 0x1000n) * 0x1000n;
    // The lowest gap that fits, and the mapping just below it (a merge candidate).
    let start = MMAP_BASE;
    for (const v of [...list].sort((x, y) => (x.start < y.start ? -1 : 1))) {
      if (v.start - start >= size) break;
      if (v.end > start) start = v.end;
    }
    const prev = list.find((v) => v.end === start);
    // Anonymous mappings next to the previous one may merge into it.
    const merged = file === 0n && prev ? k.callByName("vma_merge", [mm, prev.vma, start, start + size, 0n, 0n, 0n, 0n, 0n, 0n, 0n]) : 0n;
    if (merged !== 0n && prev) {
      prev.end = start + size;
      setField(k, prev.vma, "vm_area_struct", "vm_end", prev.end);
      return start;
    }
    if (k.rng.chance(0.01)) return BigInt.asUintN(64, -12n); // -ENOMEM
    const vma = alloc(k, "vm_area_struct");
    setField(k, vma, "vm_area_struct", "vm_start", start);
    setField(k, vma, "vm_area_struct", "vm_end", start + size);
    setField(k, vma, "vm_area_struct", "vm_mm", mm);
    list.push({ vma, start, end: start + size });
    vmas.set(tgid, list);
    setField(k, mm, "mm_struct", "map_count", BigInt(list.length));
    return start;
  });
  set("vma_merge", ([, prev]) => (k.rng.chance(0.4) ? prev! : 0n));
  set("do_munmap", ([mm, start]) => {
    const tgid = k.current().tgid;
    const list = vmas.get(tgid) ?? [];
    const i = list.findIndex((v) => v.start === start);
    if (i < 0) return BigInt.asUintN(64, -22n); // -EINVAL
    k.memory.free(list[i]!.vma);
    list.splice(i, 1);
    if (mm !== 0n) setField(k, mm!, "mm_struct", "map_count", BigInt(list.length));
    return 0n;
  });
  return {
    oldest: (tgid) => vmas.get(tgid)?.[0]?.start,
    count: (tgid) => vmas.get(tgid)?.length ?? 0,
    mm: mmOf,
  };
}

/** Mappings a process keeps at most before it unmaps its oldest (a long-running program does not map forever). */
export const MAX_MAPPINGS = 16;

/** The current task maps some memory and sometimes (always past MAX_MAPPINGS) unmaps its oldest mapping. */
export function mmStep(k: Kernel, mm: MmState): void {
  k.callByName("do_mmap", [k.rng.chance(0.3) ? 1n : 0n, 0n, BigInt(k.rng.int(1, 64) * 4096), 3n, 0x22n, 0n, 0n, 0n, 0n]);
  const tgid = k.current().tgid;
  const oldest = mm.oldest(tgid);
  if ((k.rng.chance(0.3) || mm.count(tgid) > MAX_MAPPINGS) && oldest !== undefined) {
    k.callByName("do_munmap", [mm.mm(tgid), oldest, 4096n, 0n]);
  }
}
