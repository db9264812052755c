// Memory mappings and page faults as Linux 6.12 takes them: the mmap,
// munmap, brk and mprotect syscalls (ksys_mmap_pgoff -> vm_mmap_pgoff ->
// do_mmap -> __get_unmapped_area / mmap_region; __vm_munmap ->
// do_vmi_munmap -> do_vmi_align_munmap -> unmap_region; do_brk_flags;
// do_mprotect_pkey -> mprotect_fixup) under mm->mmap_lock (down_write with
// the mmap_lock tracepoints), vm_area_structs from their kmem_cache, and user
// page faults (exc_page_fault -> do_user_addr_fault -> lock_vma_under_rcu /
// lock_mm_and_find_vma -> handle_mm_fault -> __handle_mm_fault ->
// handle_pte_fault -> do_anonymous_page / do_fault / do_wp_page) that
// allocate page frames (paths/alloc.ts) and count them in rss_stat. The mm
// step is a process's memory activity: it maps, touches, protects and unmaps
// memory, moves its brk, maps a file, waits and wakes on a futex, and its
// kernel side allocates (kmalloc, krealloc, kvmalloc, percpu).
import type { Kernel } from "../kernel.js";
import type { TracepointDef } from "../tracepoints.js";
import { MMAP_BASE, TASK_SIZE, filesOf } from "./process.js";
import { alloc, setField } from "./fields.js";
import { defineSyscall, syscall } from "./syscalls.js";
import { FILES } from "./vfs.js";
import {
  GFP_ATOMIC,
  GFP_HIGHUSER_MOVABLE,
  GFP_KERNEL,
  __GFP_ZERO,
  allocPages,
  cacheObject,
  freePages,
  kfree,
  kmalloc,
  kmemCacheAlloc,
  kmemCacheFree,
  pageToPfn,
  pfnToPage,
} from "./alloc.js";
import { downRead, downWrite, heldElsewhere, upRead, upWrite } from "./locking.js";
import { pathFunctions } from "./bind.js";

/**
 * Memory mappings: each process's vm_area_structs (in its mm_struct, which
 * fork made or is made on first use), the lowest gap above mmap_base that
 * fits a new mapping (so address space munmap frees is reused), and the
 * pages faulted in under each.
 */
export interface MmState {
  /** Start of the current process's oldest mapping, if it has any. */
  oldest(tgid: number): bigint | undefined;
  /** Number of mappings of a process. */
  count(tgid: number): number;
  /** A process's mm_struct (made on first use). */
  mm(tgid: number): bigint;
  /** The page frame behind a user page of a process (undefined: not faulted in; 0: the zero page). */
  pageAt(tgid: number, addr: bigint): number | undefined;
  /** A process's resident pages of one kind (MM_FILEPAGES 0, MM_ANONPAGES 1). */
  rss(tgid: number, member: number): number;
  /** Page frames the mappings hold (all processes). */
  readonly residentPages: () => number;
}

interface Vma {
  vma: bigint;
  start: bigint;
  end: bigint;
  file: bigint;
  flags: bigint;
  /** Faulted-in pages: page address -> pfn (0 for the shared zero page). */
  pages: Map<bigint, number>;
}

/** Mappings a process keeps at most before it unmaps its oldest (a long-running program does not map forever). */
export const MAX_MAPPINGS = 8;

const PAGE = 0x1000n;
const err = (n: number) => BigInt.asUintN(64, BigInt(-n));
const isErr = (v: bigint) => v >= 0xfffffffffffff001n;
const EINVAL = 22;
const EBADF = 9;
const ENOMEM = 12;
/** PROT_*, MAP_*, VM_* (include/uapi/asm-generic/mman*.h, include/linux/mm.h). */
const PROT_READ = 1n;
const PROT_WRITE = 2n;
const MAP_PRIVATE = 0x02n;
const MAP_ANONYMOUS = 0x20n;
const VM_READ = 0x1n;
const VM_WRITE = 0x2n;
const VM_EXEC = 0x4n;
const VM_MAYREAD = 0x10n;
const VM_MAYWRITE = 0x20n;
const VM_MAYEXEC = 0x40n;
/** The x86-64 protection_map's vm_page_prot of a private readable mapping, writable (PAGE_COPY: copy on write) or not (PAGE_READONLY): the same bits. */
const PAGE_COPY = 0x8000000000000025n;
const PAGE_READONLY = PAGE_COPY;
const PAGE_NONE = 0x120n;
/** X86_PF_* error code bits. */
const X86_PF_PROT = 1n;
const X86_PF_WRITE = 2n;
const X86_PF_USER = 4n;
/** FAULT_FLAG_DEFAULT (ALLOW_RETRY | KILLABLE | INTERRUPTIBLE), FAULT_FLAG_WRITE, FAULT_FLAG_USER, FAULT_FLAG_VMA_LOCK. */
const FAULT_FLAG_DEFAULT = 0x214n;
const FAULT_FLAG_WRITE = 0x1n;
const FAULT_FLAG_USER = 0x40n;
const FAULT_FLAG_VMA_LOCK = 0x1000n;
/** VM_FAULT_NOPAGE (the fault installed the pte itself), RMAP_EXCLUSIVE. */
const VM_FAULT_NOPAGE = 0x100n;
const RMAP_EXCLUSIVE = 1n;
/** MM_FILEPAGES, MM_ANONPAGES (rss_stat's member). */
const MM_FILEPAGES = 0;
const MM_ANONPAGES = 1;
/** GFP_KERNEL_ACCOUNT: GFP_KERNEL charged to the memory cgroup (__GFP_ACCOUNT). */
const GFP_KERNEL_ACCOUNT = 0x400cc0n;
/** Where the brk heap starts (the model's user heap helper is below it, at USER_HEAP_START). */
const BRK_BASE = 0x555560000000n;
/** The user ip a task faults at (its libc's text). */
const USER_IP = 0x7ffff7e3b2c4n;
const AT_FDCWD = BigInt.asUintN(64, -100n);

/** 32-bit hash of an mm pointer, as rss_stat's mm_id (mm_ptr_to_hash). */
function mmId(mm: bigint): bigint {
  let h = 0x811c9dc5;
  for (let v = mm, i = 0; i < 8; i++, v >>= 8n) h = Math.imul(h ^ Number(v & 0xffn), 0x01000193) >>> 0;
  return BigInt(h);
}

export function installMmPaths(k: Kernel): MmState {
  const { set, call } = pathFunctions(k);
  const tp = (cat: string, name: string): TracepointDef => k.tracepoints.get(cat, name)!;
  const tpStart = tp("mmap_lock", "mmap_lock_start_locking");
  const tpAcquired = tp("mmap_lock", "mmap_lock_acquire_returned");
  const tpReleased = tp("mmap_lock", "mmap_lock_released");
  const tpFault = tp("exceptions", "page_fault_user");
  const tpRss = tp("kmem", "rss_stat");
  /** Each process's mappings, oldest first. */
  const vmas = new Map<number, Vma[]>();
  const mms = new Map<number, bigint>();
  /** Resident pages per process: [file, anon]. */
  const rss = new Map<number, number[]>();
  /** Frames the unmapping in progress gives back when its TLB batch finishes. */
  const pendingFree: number[] = [];
  const mmapLockOff = BigInt(k.memory.objects.field("mm_struct", "mmap_lock").byteOffset);
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
      if (k.memory.readField(mm, "mm_struct", "start_brk") === 0n) {
        setField(k, mm, "mm_struct", "start_brk", BRK_BASE);
        setField(k, mm, "mm_struct", "brk", BRK_BASE);
      }
      mms.set(tgid, mm);
    }
    return mm;
  };
  const listOf = (tgid: number): Vma[] => {
    let l = vmas.get(tgid);
    if (!l) vmas.set(tgid, (l = []));
    return l;
  };
  const find = (tgid: number, addr: bigint): Vma | undefined => vmas.get(tgid)?.find((v) => addr >= v.start && addr < v.end);
  const byVma = (tgid: number, vma: bigint): Vma | undefined => vmas.get(tgid)?.find((v) => v.vma === vma);

  // mmap_write_lock / mmap_read_lock with their tracepoints (the memcg path is empty: no memory cgroup).
  const mmapLock = (mm: bigint, write: boolean): void => {
    const wr = write ? 1n : 0n;
    k.fire(tpStart, { mm, memcg_path: "", write: wr }, [mm, 0n, wr]);
    if (write) downWrite(k, mm + mmapLockOff);
    else downRead(k, mm + mmapLockOff);
    k.fire(tpAcquired, { mm, memcg_path: "", write: wr, success: 1n }, [mm, 0n, wr, 1n]);
  };
  const mmapUnlock = (mm: bigint, write: boolean): void => {
    const wr = write ? 1n : 0n;
    k.fire(tpReleased, { mm, memcg_path: "", write: wr }, [mm, 0n, wr]);
    if (write) upWrite(k, mm + mmapLockOff);
    else upRead(k, mm + mmapLockOff);
  };
  /** mm->total_vm: pages mapped. */
  const addTotalVm = (mm: bigint, pages: bigint): void => {
    const v = k.memory.readField(mm, "mm_struct", "total_vm") + pages;
    setField(k, mm, "mm_struct", "total_vm", v < 0n ? 0n : v);
  };
  /** add_mm_counter: the process's resident pages of `member` change by `pages`, with rss_stat. */
  const addRss = (tgid: number, mm: bigint, member: number, pages: number): void => {
    let r = rss.get(tgid);
    if (!r) rss.set(tgid, (r = [0, 0]));
    r[member]! += pages;
    const curr = k.current().tgid === tgid ? 1n : 0n;
    k.fire(tpRss, { mm_id: mmId(mm), curr, member: BigInt(member), size: BigInt(r[member]!) * PAGE }, [mm, BigInt(member)]);
  };

  // ---- mmap ----
  defineSyscall(k, "mmap", ([addr, len, prot, flags, fd, off]) => {
    if ((off! & (PAGE - 1n)) !== 0n) return err(EINVAL);
    return call("ksys_mmap_pgoff", addr!, len!, prot!, flags!, fd!, off! >> 12n);
  });
  set("ksys_mmap_pgoff", ([addr, len, prot, flags, fd, pgoff]) => {
    let file = 0n;
    if ((flags! & MAP_ANONYMOUS) === 0n) {
      // fdget: the file in the descriptor table's slot (the embedded fd_array: fds 0..63).
      const n = Number(BigInt.asIntN(32, fd!));
      const files = filesOf(k, k.current());
      if (n < 0 || n >= 64 || files === 0n) return err(EBADF);
      file = k.memory.readField(files, "files_struct", `fd_array[${n}]`);
      if (file === 0n) return err(EBADF);
    }
    return call("vm_mmap_pgoff", file, addr!, len!, prot!, flags!, pgoff!);
  });
  set("vm_mmap_pgoff", ([file, addr, len, prot, flags, pgoff]) => {
    const mm = mmOf(k.current().tgid);
    mmapLock(mm, true);
    const ret = call("do_mmap", file!, addr!, len!, prot!, flags!, 0n, pgoff!, 0n, 0n);
    mmapUnlock(mm, true);
    return ret;
  });
  set("do_mmap", ([file, addr, len, prot, flags, , pgoff]) => {
    if (len === 0n) return err(EINVAL);
    const size = (len! + PAGE - 1n) & ~(PAGE - 1n);
    const start = call("__get_unmapped_area", file!, addr!, size, pgoff!, flags!, 0n);
    if (isErr(start)) return start;
    const vmFlags = ((prot! & 7n) as bigint) | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
    return call("mmap_region", file!, start, size, vmFlags, pgoff!, 0n);
  });
  // The lowest gap above mmap_base that fits (vm_unmapped_area's bottom-up search, as the model has no top-down layout).
  set("__get_unmapped_area", ([, , len]) => call("vm_unmapped_area", len!));
  set("vm_unmapped_area", ([len]) => {
    let start = MMAP_BASE;
    const sorted = [...listOf(k.current().tgid)].sort((x, y) => (x.start < y.start ? -1 : 1));
    for (const v of sorted) {
      if (v.start >= start && v.start - start >= len!) break;
      if (v.end > start) start = v.end;
    }
    return start + len! > TASK_SIZE ? err(ENOMEM) : start;
  });
  set("mmap_region", ([file, addr, len, vmFlags, pgoff]) => {
    const tgid = k.current().tgid;
    const mm = mmOf(tgid);
    const list = listOf(tgid);
    const prev = list.find((v) => v.end === addr);
    // An anonymous mapping next to an anonymous one with the same flags may merge into it.
    const merged = file === 0n && prev && prev.file === 0n && prev.flags === vmFlags ? call("vma_merge", mm, prev.vma, addr!, addr! + len!, vmFlags!, 0n, 0n, 0n, 0n, 0n, 0n) : 0n;
    if (merged !== 0n && prev) {
      prev.end = addr! + len!;
      setField(k, prev.vma, "vm_area_struct", "vm_end", prev.end);
      addTotalVm(mm, len! / PAGE);
      return addr!;
    }
    if (k.rng.chance(0.01)) return err(ENOMEM);
    const vma = call("vm_area_alloc", mm);
    if (vma === 0n) return err(ENOMEM);
    setField(k, vma, "vm_area_struct", "vm_start", addr!);
    setField(k, vma, "vm_area_struct", "vm_end", addr! + len!);
    setField(k, vma, "vm_area_struct", "__vm_flags", vmFlags!);
    setField(k, vma, "vm_area_struct", "vm_file", file!);
    setField(k, vma, "vm_area_struct", "vm_pgoff", pgoff!);
    call("vma_set_page_prot", vma);
    list.push({ vma, start: addr!, end: addr! + len!, file: file!, flags: vmFlags!, pages: new Map() });
    setField(k, mm, "mm_struct", "map_count", BigInt(list.length));
    addTotalVm(mm, (len! / PAGE));
    return addr!;
  });
  set("vma_merge", ([, prev]) => (k.rng.chance(0.4) ? prev! : 0n));
  set("vm_area_alloc", ([mm]) => {
    const vma = kmemCacheAlloc(k, "vm_area_struct");
    if (vma !== 0n) setField(k, vma, "vm_area_struct", "vm_mm", mm!);
    return vma;
  });
  // With per-VMA locks the vma is freed after an RCU grace period (call_rcu); a long callback list kicks RCU processing.
  let rcuCallbacks = 0;
  set("vm_area_free", ([vma]) => {
    kmemCacheFree(k, vma!);
    if (++rcuCallbacks % 16 === 0 && k.functions.named("raise_softirq").length) k.callByName("raise_softirq", [9n /* RCU_SOFTIRQ */]);
    return 0n;
  });
  set("vma_set_page_prot", ([vma]) => {
    const flags = k.memory.readField(vma!, "vm_area_struct", "__vm_flags");
    const prot = (flags & VM_WRITE) !== 0n ? PAGE_COPY : (flags & VM_READ) !== 0n ? PAGE_READONLY : PAGE_NONE;
    setField(k, vma!, "vm_area_struct", "vm_page_prot.pgprot", prot);
    return 0n;
  });

  // ---- munmap ----
  defineSyscall(k, "munmap", ([addr, len]) => call("__vm_munmap", addr!, len!, 1n));
  set("__vm_munmap", ([start, len, unlock]) => {
    const mm = mmOf(k.current().tgid);
    mmapLock(mm, true);
    const ret = call("do_vmi_munmap", 0n, mm, start!, len!, 0n, unlock!);
    mmapUnlock(mm, true);
    return ret;
  });
  // The model's older entry (exit_mmap and others call it): the same unmapping.
  set("do_munmap", ([mm, start, len]) => call("do_vmi_munmap", 0n, mm!, start!, len!, 0n, 0n));
  set("do_vmi_munmap", ([, mm, start, len, uf, unlock]) => {
    if ((start! & (PAGE - 1n)) !== 0n || start! > TASK_SIZE) return err(EINVAL);
    const size = (len! + PAGE - 1n) & ~(PAGE - 1n);
    if (size === 0n) return err(EINVAL);
    const v = find(k.current().tgid, start!);
    if (!v) return 0n; // nothing mapped there
    return call("do_vmi_align_munmap", 0n, v.vma, mm!, start!, start! + size < v.end ? start! + size : v.end, uf!, unlock!);
  });
  // Unmaps [start, end) of one mapping: the pages there go back to the allocator, the vma shrinks or goes.
  set("do_vmi_align_munmap", ([, vma, mm, start, end]) => {
    const tgid = k.current().tgid;
    const v = byVma(tgid, vma!);
    if (!v) return err(EINVAL);
    const gone: [bigint, number][] = [];
    for (const [page, pfn] of v.pages) if (page >= start! && page < end!) gone.push([page, pfn]);
    for (const [page] of gone) v.pages.delete(page);
    for (const [, pfn] of gone) pendingFree.push(pfn);
    const anon = v.file === 0n;
    call("unmap_region", 0n, vma!, 0n, 0n);
    const freed = gone.filter(([, pfn]) => pfn !== 0).length;
    if (freed) addRss(tgid, mm!, anon ? MM_ANONPAGES : MM_FILEPAGES, -freed);
    addTotalVm(mm!, -((end! - start!) / PAGE));
    if (start! <= v.start && end! >= v.end) {
      const list = listOf(tgid);
      list.splice(list.indexOf(v), 1);
      setField(k, mm!, "mm_struct", "map_count", BigInt(list.length));
      call("vm_area_free", vma!);
    } else if (start! <= v.start) {
      v.start = end!;
      setField(k, vma!, "vm_area_struct", "vm_start", v.start);
    } else {
      v.end = start!;
      setField(k, vma!, "vm_area_struct", "vm_end", v.end);
    }
    return 0n;
  });
  set("unmap_region", () => {
    call("tlb_finish_mmu", 0n);
    return 0n;
  });
  // The gathered pages are freed once the TLBs are flushed (free_pages_and_swap_cache -> ... -> free_unref_page).
  set("tlb_finish_mmu", () => {
    for (const pfn of pendingFree.splice(0)) {
      if (pfn === 0) continue;
      freePages(k, pfnToPage(pfn), 0);
    }
    return 0n;
  });

  // ---- brk ----
  defineSyscall(k, "brk", ([brk]) => {
    const tgid = k.current().tgid;
    const mm = mmOf(tgid);
    mmapLock(mm, true);
    const startBrk = k.memory.readField(mm, "mm_struct", "start_brk");
    const cur = k.memory.readField(mm, "mm_struct", "brk");
    let ret = cur;
    if (brk! >= startBrk) {
      const newTop = (brk! + PAGE - 1n) & ~(PAGE - 1n);
      const oldTop = (cur + PAGE - 1n) & ~(PAGE - 1n);
      let ok = true;
      // Shrinking unmaps the heap's top (do_munmap, as brk did up to Linux 6.0; 6.12 goes to do_vmi_align_munmap itself).
      if (newTop < oldTop) ok = call("do_munmap", mm, newTop, oldTop - newTop, 0n) === 0n;
      else if (newTop > oldTop) {
        const heap = find(tgid, oldTop - PAGE) ?? listOf(tgid).find((v) => v.end === oldTop && v.start >= startBrk);
        ok = call("do_brk_flags", 0n, heap?.vma ?? 0n, oldTop, newTop - oldTop, VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC) === 0n;
      }
      if (ok) {
        setField(k, mm, "mm_struct", "brk", brk!);
        ret = brk!;
      }
    }
    mmapUnlock(mm, true);
    return ret;
  });
  // Grows the heap mapping (or makes it) by `len` bytes at `addr`.
  set("do_brk_flags", ([, vma, addr, len, flags]) => {
    const tgid = k.current().tgid;
    const mm = mmOf(tgid);
    const list = listOf(tgid);
    const v = vma !== 0n ? byVma(tgid, vma!) : undefined;
    if (v && v.end === addr) {
      v.end = addr! + len!;
      setField(k, v.vma, "vm_area_struct", "vm_end", v.end);
    } else {
      if (list.some((x) => x.start < addr! + len! && x.end > addr!)) return err(ENOMEM);
      const nv = call("vm_area_alloc", mm);
      setField(k, nv, "vm_area_struct", "vm_start", addr!);
      setField(k, nv, "vm_area_struct", "vm_end", addr! + len!);
      setField(k, nv, "vm_area_struct", "__vm_flags", flags!);
      call("vma_set_page_prot", nv);
      list.push({ vma: nv, start: addr!, end: addr! + len!, file: 0n, flags: flags!, pages: new Map() });
      setField(k, mm, "mm_struct", "map_count", BigInt(list.length));
    }
    addTotalVm(mm, (len! / PAGE));
    return 0n;
  });

  // ---- mprotect ----
  defineSyscall(k, "mprotect", ([start, len, prot]) => call("do_mprotect_pkey", start!, len!, prot!, BigInt.asUintN(64, -1n)));
  set("do_mprotect_pkey", ([start, len, prot]) => {
    if ((start! & (PAGE - 1n)) !== 0n) return err(EINVAL);
    const tgid = k.current().tgid;
    const mm = mmOf(tgid);
    mmapLock(mm, true);
    const v = find(tgid, start!);
    let ret = err(ENOMEM);
    if (v) {
      const end = start! + ((len! + PAGE - 1n) & ~(PAGE - 1n));
      const newFlags = (v.flags & ~(VM_READ | VM_WRITE | VM_EXEC)) | (prot! & 7n);
      ret = call("mprotect_fixup", 0n, 0n, v.vma, 0n, start!, end < v.end ? end : v.end, newFlags);
      call("tlb_finish_mmu", 0n);
    }
    mmapUnlock(mm, true);
    return ret;
  });
  // The whole mapping takes the new flags (the model does not split a vma for a partial range).
  set("mprotect_fixup", ([, , vma, , start, end, newFlags]) => {
    const v = byVma(k.current().tgid, vma!);
    if (!v) return err(EINVAL);
    v.flags = newFlags!;
    setField(k, vma!, "vm_area_struct", "__vm_flags", newFlags!);
    call("vma_set_page_prot", vma!);
    call("change_protection", 0n, vma!, start!, end!, 0n);
    return 0n;
  });
  set("change_protection", ([, vma, start, end]) => {
    const v = byVma(k.current().tgid, vma!);
    let n = 0n;
    if (v) for (const page of v.pages.keys()) if (page >= start! && page < end!) n++;
    return n;
  });

  // ---- page faults ----
  /** The fault frame (the pt_regs the exception entry saves) and the vm_fault, one each, reused. */
  const regs = alloc(k, "pt_regs");
  const vmf = alloc(k, "vm_fault");
  /** CR2: the faulting address of the exception being handled. */
  let cr2 = 0n;
  set("exc_page_fault", ([r, errorCode]) => {
    const address = cr2;
    if ((errorCode! & X86_PF_USER) !== 0n) k.fire(tpFault, { address, ip: USER_IP, error_code: errorCode! }, [address, r!, errorCode!]);
    call("do_user_addr_fault", r!, errorCode!, address);
    return 0n;
  });
  set("do_user_addr_fault", ([r, errorCode, address]) => {
    const tgid = k.current().tgid;
    const mm = mmOf(tgid);
    let flags = FAULT_FLAG_DEFAULT | FAULT_FLAG_USER;
    if ((errorCode! & X86_PF_WRITE) !== 0n) flags |= FAULT_FLAG_WRITE;
    // Per-VMA locking first; when that fails (a writer holds the vma), the mmap_lock for reading.
    const vma = k.rng.chance(0.9) ? call("lock_vma_under_rcu", mm, address!) : 0n;
    if (vma !== 0n) {
      call("handle_mm_fault", vma, address!, flags | FAULT_FLAG_VMA_LOCK, r!);
      return 0n;
    }
    // The vma lock failed; half the time because a writer (another thread of the process, on another CPU) has the vma and the mmap_lock.
    if (k.rng.chance(0.5)) heldElsewhere(k, mm + mmapLockOff, (k.cpu + 1) % k.tasks.cpus.length);
    const locked = call("lock_mm_and_find_vma", mm, address!, r!);
    if (locked === 0n) return 0n; // bad_area: SIGSEGV (lock_mm_and_find_vma dropped the lock)
    call("handle_mm_fault", locked, address!, flags, r!);
    mmapUnlock(mm, false);
    return 0n;
  });
  set("lock_vma_under_rcu", ([, address]) => find(k.current().tgid, address!)?.vma ?? 0n);
  // mmap_read_trylock first; a writer holding it means waiting (mmap_read_lock_killable).
  set("lock_mm_and_find_vma", ([mm, address]) => {
    if (k.callByName("down_read_trylock", [mm! + mmapLockOff]) === 0n) mmapLock(mm!, false);
    const v = find(k.current().tgid, address!);
    if (!v) mmapUnlock(mm!, false);
    return v?.vma ?? 0n;
  });
  set("handle_mm_fault", ([vma, address, flags]) => call("__handle_mm_fault", vma!, address!, flags!));
  set("__handle_mm_fault", ([vma, address, flags]) => {
    const page = address! & ~(PAGE - 1n);
    setField(k, vmf, "vm_fault", "vma", vma!);
    setField(k, vmf, "vm_fault", "gfp_mask", GFP_HIGHUSER_MOVABLE);
    setField(k, vmf, "vm_fault", "address", page);
    setField(k, vmf, "vm_fault", "real_address", address!);
    setField(k, vmf, "vm_fault", "flags", flags!);
    setField(k, vmf, "vm_fault", "pgoff", k.memory.readField(vma!, "vm_area_struct", "vm_pgoff") + (page - k.memory.readField(vma!, "vm_area_struct", "vm_start")) / PAGE);
    setField(k, vmf, "vm_fault", "page", 0n);
    return call("handle_pte_fault", vmf);
  });
  const fault = () => {
    const vma = k.memory.readField(vmf, "vm_fault", "vma");
    const v = byVma(k.current().tgid, vma)!;
    const page = k.memory.readField(vmf, "vm_fault", "address");
    const write = (k.memory.readField(vmf, "vm_fault", "flags") & FAULT_FLAG_WRITE) !== 0n;
    return { vma, v, page, write, tgid: k.current().tgid };
  };
  set("handle_pte_fault", ([f]) => {
    const { v, page } = fault();
    const present = v.pages.get(page);
    if (present !== undefined) return call("do_wp_page", f!);
    return v.file === 0n ? call("do_anonymous_page", f!) : call("do_fault", f!);
  });
  /** A new anonymous page: a zeroed movable frame (vma_alloc_folio), reverse-mapped and counted. */
  const newAnonPage = (f: bigint, tgid: number, v: Vma, page: bigint): bigint => {
    const folio = call("vma_alloc_folio_noprof", GFP_HIGHUSER_MOVABLE | __GFP_ZERO, 0n, v.vma, page);
    if (folio === 0n) return 0x1n; // VM_FAULT_OOM
    call("folio_add_new_anon_rmap", folio, v.vma, page, RMAP_EXCLUSIVE);
    setField(k, f, "vm_fault", "page", folio);
    v.pages.set(page, pageToPfn(folio));
    addRss(tgid, mmOf(tgid), MM_ANONPAGES, 1);
    return 0n;
  };
  // A read of a never-touched anonymous page maps the shared zero page; a write gets its own page.
  set("do_anonymous_page", ([f]) => {
    const { v, page, write, tgid } = fault();
    if (!write) {
      v.pages.set(page, 0);
      return 0n;
    }
    return newAnonPage(f!, tgid, v, page);
  });
  // A write to a present page: the zero page (or a page shared with a parent) is copied into a page of its own.
  set("do_wp_page", ([f]) => {
    const { v, page, write, tgid } = fault();
    if (!write || v.pages.get(page) !== 0) return 0n;
    return newAnonPage(f!, tgid, v, page);
  });
  set("folio_add_new_anon_rmap", ([folio, vma, address]) => {
    setField(k, folio!, "folio", "mapping", vma! | 1n); // PAGE_MAPPING_ANON: the anon_vma pointer, tagged
    setField(k, folio!, "folio", "index", address! >> 12n);
    k.memory.writeField(folio!, "page", "_mapcount.counter", 0n);
    return 0n;
  });
  set("do_fault", ([f]) => call("do_read_fault", f!));
  set("do_read_fault", ([f]) => {
    const ret = call("__do_fault", f!);
    if (ret !== 0n && ret !== VM_FAULT_NOPAGE) return ret;
    return call("finish_fault", f!);
  });
  // vma->vm_ops->fault: the file's page (filemap_fault where the fs paths have it), a page frame of the page cache.
  set("__do_fault", ([f]) => {
    if (k.functions.named("filemap_fault").length) {
      const r = call("filemap_fault", f!);
      if (r !== 0n && r !== 0x200n /* VM_FAULT_LOCKED */) return r;
    }
    const got = k.memory.readField(f!, "vm_fault", "page");
    if (got === 0n) {
      const page = allocPages(k, 0, GFP_HIGHUSER_MOVABLE);
      if (page === 0n) return 0x1n;
      setField(k, f!, "vm_fault", "page", page);
    }
    return 0n;
  });
  set("finish_fault", ([f]) => {
    const { v, page, tgid } = fault();
    const p = k.memory.readField(f!, "vm_fault", "page");
    call("set_pte_range", f!, p, p, 1n, page);
    v.pages.set(page, pageToPfn(p));
    addRss(tgid, mmOf(tgid), MM_FILEPAGES, 1);
    return 0n;
  });
  set("set_pte_range", () => 0n);

  /** The current task touches `addr`: a page fault unless it is already mapped as needed. */
  const touchImpl = (addr: bigint, write: boolean): boolean => {
    const tgid = k.current().tgid;
    const v = find(tgid, addr);
    const page = addr & ~(PAGE - 1n);
    const have = v?.pages.get(page);
    if (have !== undefined && (!write || have !== 0)) return true;
    setField(k, regs, "pt_regs", "ip", USER_IP);
    setField(k, regs, "pt_regs", "cs", 0x33n);
    setField(k, regs, "pt_regs", "sp", 0x7ffffffde000n - 0x100n);
    setField(k, regs, "pt_regs", "flags", 0x246n);
    cr2 = addr;
    const code = X86_PF_USER | (write ? X86_PF_WRITE : 0n) | (have !== undefined ? X86_PF_PROT : 0n);
    const cpu = k.tasks.cpus[k.cpu]!;
    const ctx = cpu.context;
    call("exc_page_fault", regs, code);
    cpu.context = ctx;
    return v !== undefined;
  };
  touchers.set(k, touchImpl);

  // mm_init: a new mm's RSS counters are percpu counters (percpu_counter_init_many: NR_MM_COUNTERS s32s per CPU),
  // freed with the mm (__mmdrop -> percpu_counter_destroy_many -> free_percpu).
  const rssCounters = new Map<bigint, bigint>();
  for (const name of ["dup_mm", "mm_alloc"]) {
    for (const fn of k.functions.named(name)) {
      const prev = fn.impl;
      fn.impl = (c) => {
        const mm = prev(c);
        if (mm !== 0n) {
          const ptr = call("pcpu_alloc_noprof", 16n, 4n, 0n, GFP_KERNEL_ACCOUNT);
          if (ptr !== 0n) rssCounters.set(mm, ptr);
        }
        return mm;
      };
    }
  }
  for (const fn of k.functions.named("__mmdrop")) {
    const prev = fn.impl;
    fn.impl = (c) => {
      const ptr = rssCounters.get(c.args[0]!);
      if (ptr !== undefined) {
        rssCounters.delete(c.args[0]!);
        call("free_percpu", ptr);
      }
      return prev(c);
    };
  }

  // exit_mmap (the process paths run it when the last user of an mm goes): the mappings' pages are
  // freed after one TLB flush (unmap_vmas, tlb_finish_mmu) and each vma (remove_vma -> vm_area_free).
  for (const fn of k.functions.named("exit_mmap")) {
    const prev = fn.impl;
    fn.impl = (c) => {
      const mm = c.args[0]!;
      for (const [tgid, m] of mms) {
        if (m !== mm) continue;
        const list = vmas.get(tgid) ?? [];
        for (const v of list) for (const pfn of v.pages.values()) pendingFree.push(pfn);
        call("tlb_finish_mmu", 0n);
        for (const v of list) call("vm_area_free", v.vma);
        vmas.delete(tgid);
        mms.delete(tgid);
        rss.delete(tgid);
      }
      return prev(c);
    };
  }
  return {
    oldest: (tgid) => vmas.get(tgid)?.[0]?.start,
    count: (tgid) => vmas.get(tgid)?.length ?? 0,
    mm: mmOf,
    pageAt: (tgid, addr) => find(tgid, addr)?.pages.get(addr & ~(PAGE - 1n)),
    rss: (tgid, member) => rss.get(tgid)?.[member] ?? 0,
    residentPages: () => {
      let n = 0;
      for (const l of vmas.values()) for (const v of l) for (const pfn of v.pages.values()) if (pfn !== 0) n++;
      return n;
    },
  };
}

const touchers = new WeakMap<Kernel, (addr: bigint, write: boolean) => boolean>();
/** The current task touches user address `addr` (reads, or writes): a page fault when the page is not mapped so. Returns whether a mapping covers it. */
export function touchUser(k: Kernel, addr: bigint, write: boolean): boolean {
  return touchers.get(k)?.(addr, write) ?? false;
}

/** Per-process state of the mm step: its futex word's value, and the percpu and kmalloc'd kernel objects it keeps. */
interface StepState {
  futex: Map<number, number>;
  percpu: bigint[];
  kobjs: bigint[];
}
const stepStates = new WeakMap<Kernel, StepState>();

/**
 * The mm workload step of the current task: maps anonymous memory and
 * touches it (page faults), sometimes makes it read-only, maps a file and
 * reads it, moves its brk, waits or wakes on a futex, and unmaps its oldest
 * mapping (always past MAX_MAPPINGS); its kernel side allocates and frees
 * (kmalloc, krealloc, kvmalloc, large kmalloc, percpu).
 */
export function mmStep(k: Kernel, mm: MmState): void {
  const t = k.current();
  let st = stepStates.get(k);
  if (!st) stepStates.set(k, (st = { futex: new Map(), percpu: [], kobjs: [] }));
  kernelAllocations(k, st);
  if (t.kthread || t.pid === 0) return;
  const tgid = t.tgid;
  const r = k.rng.float();
  if (r < 0.5) {
    const pages = k.rng.int(1, 64);
    const addr = syscall(k, "mmap", [0n, BigInt(pages * 4096), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, BigInt.asUintN(64, -1n), 0n]);
    if (!isErr(addr)) {
      for (let i = k.rng.int(1, 3); i > 0; i--) touchUser(k, addr + BigInt(k.rng.int(0, pages - 1)) * PAGE, k.rng.chance(0.7));
      if (k.rng.chance(0.15)) {
        syscall(k, "mprotect", [addr, BigInt(pages * 4096), PROT_READ]);
        touchUser(k, addr, false);
      }
    }
  } else if (r < 0.62) mapFile(k);
  else if (r < 0.8) {
    const m = mm.mm(tgid);
    const cur = k.memory.readField(m, "mm_struct", "brk");
    const start = k.memory.readField(m, "mm_struct", "start_brk");
    // malloc grows the heap by 132 KiB steps and trims it back now and then.
    const next = cur - start > 0x100000n || k.rng.chance(0.3) ? start + BigInt(k.rng.int(0, 8)) * 0x1000n : cur + 0x21000n;
    const got = syscall(k, "brk", [next]);
    if (got === next && next > start) touchUser(k, next - 8n, true);
  } else futexStep(k, st, tgid);
  const oldest = mm.oldest(tgid);
  if ((k.rng.chance(0.3) || mm.count(tgid) > MAX_MAPPINGS) && oldest !== undefined) {
    // The program's other threads fault on its memory meanwhile: now and then one is inside mmap_lock (for reading) on another CPU.
    if (k.rng.chance(0.08)) heldElsewhere(k, mm.mm(tgid) + mmapLockOffset(k), (k.cpu + 1) % k.tasks.cpus.length);
    syscall(k, "munmap", [oldest, 4096n * 64n]);
  }
}

/** A program reads a file through a private read-only mapping: open, mmap, touch a page or two (file faults), munmap, close. */
function mapFile(k: Kernel): void {
  const tgid = k.current().tgid;
  const user = k.memory.userSpace(tgid);
  const name = k.rng.pick(FILES).path;
  const path = user.allocString(name);
  const fd = syscall(k, "openat", [AT_FDCWD, path, 0n, 0n]);
  user.write(path, new Uint8Array(name.length + 1));
  user.heapFree(path);
  if (isErr(fd)) return;
  const len = BigInt(k.rng.int(1, 8)) * PAGE;
  const addr = syscall(k, "mmap", [0n, len, PROT_READ, MAP_PRIVATE, fd, 0n]);
  if (!isErr(addr)) {
    for (let i = k.rng.int(1, 2); i > 0; i--) touchUser(k, addr + BigInt(k.rng.int(0, Number(len / PAGE) - 1)) * PAGE, false);
    syscall(k, "munmap", [addr, len]);
  }
  if (isErr(syscall(k, "close", [fd]))) k.callByName("close_fd", [fd]);
}

/**
 * FUTEX_WAIT_PRIVATE / FUTEX_WAKE_PRIVATE on a futex word of the process
 * (a u32 on its heap, freed after the call: the allocator hands the same
 * block out again, so waits and wakes meet at one address).
 */
function futexStep(k: Kernel, st: StepState, tgid: number): void {
  const user = k.memory.userSpace(tgid);
  const last = st.futex.get(tgid) ?? 0;
  const word = user.heapAlloc(4);
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, last, true);
  user.write(word, b);
  if (k.rng.chance(0.5)) {
    // A waiter: usually the word still holds what it saw (it sleeps), sometimes the owner changed it first (-EAGAIN).
    const expect = k.rng.chance(0.8) ? last : last + 1;
    // Some waits are timed (pthread_mutex_timedlock): a relative struct timespec of 1-10 ms.
    const ts = k.rng.chance(0.3) ? user.heapAlloc(16) : 0n;
    if (ts !== 0n) {
      const t = new Uint8Array(16);
      new DataView(t.buffer).setBigInt64(8, BigInt(k.rng.int(1, 10) * 1_000_000), true);
      user.write(ts, t);
    }
    syscall(k, "futex", [word, 128n /* FUTEX_WAIT_PRIVATE */, BigInt(expect >>> 0), ts, 0n, 0n]);
    if (ts !== 0n) {
      user.write(ts, new Uint8Array(16));
      user.heapFree(ts);
    }
  } else {
    // The owner unlocks: bumps the word and wakes one waiter.
    new DataView(b.buffer).setUint32(0, (last + 1) >>> 0, true);
    user.write(word, b);
    if (st.futex.size >= 64 && !st.futex.has(tgid)) st.futex.clear();
    st.futex.set(tgid, (last + 1) >>> 0);
    syscall(k, "futex", [word, 129n /* FUTEX_WAKE_PRIVATE */, 1n, 0n, 0n, 0n]);
  }
  // Cleared before it goes back, as the heap's free memory is (a page of only free, zero bytes holds no memory).
  user.write(word, new Uint8Array(4));
  user.heapFree(word);
}

/** The kernel side's allocations in a step: kmalloc'd buffers kept a while, krealloc'd, kvmalloc'd, large ones, percpu counters. */
function kernelAllocations(k: Kernel, st: StepState): void {
  const r = k.rng.float();
  if (r < 0.3) {
    const obj = kmalloc(k, k.rng.int(8, 2048), k.rng.chance(0.2) ? GFP_ATOMIC : GFP_KERNEL);
    if (obj !== 0n) st.kobjs.push(obj);
  } else if (r < 0.36 && st.kobjs.length) {
    const i = k.rng.int(0, st.kobjs.length - 1);
    const grown = k.callByName("krealloc_noprof", [st.kobjs[i]!, BigInt(k.rng.int(16, 4096)), GFP_KERNEL]);
    if (grown !== 0n) st.kobjs[i] = grown;
  } else if (r < 0.4) {
    const obj = k.callByName("__kvmalloc_node_noprof", [BigInt(k.rng.int(4096, 8192)), 0n, GFP_KERNEL, BigInt.asUintN(64, -1n)]);
    if (obj !== 0n) k.callByName("kvfree", [obj]);
  } else if (r < 0.43) {
    const obj = kmalloc(k, k.rng.int(9000, 40000));
    if (obj !== 0n) kfree(k, obj);
  } else if (r < 0.5) {
    const ptr = k.callByName("pcpu_alloc_noprof", [BigInt(k.rng.pick([4, 8, 16, 32])), 8n, 0n, GFP_KERNEL]);
    if (ptr !== 0n) st.percpu.push(ptr);
    if (st.percpu.length > 4) k.callByName("free_percpu", [st.percpu.shift()!]);
  } else if (r < 0.54) {
    const s = k.callByName("kmem_cache_alloc_node_noprof", [kmallocCacheOf(k, 256), GFP_KERNEL, 0n]);
    if (s !== 0n) st.kobjs.push(s);
  } else if (r < 0.57) {
    const obj = k.callByName("__kmalloc_cache_noprof", [kmallocCacheOf(k, 64), GFP_KERNEL | __GFP_ZERO, 48n]);
    if (obj !== 0n) st.kobjs.push(obj);
  }
  // Buffers live a few steps: the oldest goes once there are more than 8.
  while (st.kobjs.length > 8) kfree(k, st.kobjs.shift()!);
}

/** Offset of mm_struct.mmap_lock. */
function mmapLockOffset(k: Kernel): bigint {
  return BigInt(k.memory.objects.field("mm_struct", "mmap_lock").byteOffset);
}

/** The struct kmem_cache of kmalloc-`size` (kmalloc_caches[KMALLOC_NORMAL][index]). */
function kmallocCacheOf(k: Kernel, size: number): bigint {
  const name = `kmalloc-${size >= 1024 ? `${size / 1024}k` : size}`;
  const c = k.memory.slab.cache(name) ?? k.memory.slab.createCache(name, size);
  return cacheObject(k, c);
}
