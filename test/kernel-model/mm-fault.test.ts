// Memory mappings and page faults (paths/mm.ts): the mmap, munmap, brk and
// mprotect syscalls under mmap_lock, and user page faults from
// exc_page_fault to do_anonymous_page / do_fault / do_wp_page with their
// page frames and rss_stat; the mm step's memory stays bounded.
import { describe, expect, it } from "vitest";
import { SyntheticKernel } from "../../src/kernel-model/synthetic.js";
import { MAX_MAPPINGS, touchUser, type MmState } from "../../src/kernel-model/paths/mm.js";
import { allocState, pfnToPage } from "../../src/kernel-model/paths/alloc.js";
import { syscall } from "../../src/kernel-model/paths/syscalls.js";
import { FILES } from "../../src/kernel-model/paths/vfs.js";
import { runCli } from "../helpers/cli.js";

const calls = (k: SyntheticKernel, name: string) => k.functions.countsOf(k.functions.named(name)[0]!).calls;
const mmOf = (k: SyntheticKernel) => (k as unknown as { mm: MmState }).mm;
const s64 = (v: bigint) => BigInt.asIntN(64, v);
const PROT_READ = 1n;
const PROT_RW = 3n;
const MAP_PRIVATE_ANON = 0x22n;

/** Hits of each named event (category:name) while `fn` runs, with each hit's record fields by offset. */
function events(k: SyntheticKernel, names: string[], fn: () => void): { name: string; rec: DataView }[] {
  const got: { name: string; rec: DataView }[] = [];
  const d = names.map((n) => {
    const [cat, name] = n.split(":") as [string, string];
    return k.tracepoints.attach(k.tracepoints.get(cat, name)!, (hit) => void got.push({ name: n, rec: new DataView(hit.record.buffer, hit.record.byteOffset, hit.record.byteLength) }));
  });
  try {
    fn();
  } finally {
    for (const x of d) x();
  }
  return got;
}

describe("mmap and page faults", () => {
  it("an anonymous mapping at mmap_base under mmap_lock; a write fault allocates a zeroed movable page and counts it in MM_ANONPAGES", () => {
    const k = new SyntheticKernel({ seed: 1 });
    const tgid = k.current().tgid;
    let addr = 0n;
    const lock = events(k, ["mmap_lock:mmap_lock_start_locking", "mmap_lock:mmap_lock_acquire_returned", "mmap_lock:mmap_lock_released"], () => {
      addr = syscall(k, "mmap", [0n, 4n * 4096n, PROT_RW, MAP_PRIVATE_ANON, BigInt.asUintN(64, -1n), 0n]);
    });
    expect(addr).toBe(0x7f0000000000n);
    const mm = mmOf(k).mm(tgid);
    // mm, then write = true (and success = true once acquired).
    expect(lock.map((e) => [e.name.split(":")[1], e.rec.getBigUint64(8, true) === mm, e.rec.getUint8(20), e.name.endsWith("returned") ? e.rec.getUint8(21) : null])).toEqual([
      ["mmap_lock_start_locking", true, 1, null],
      ["mmap_lock_acquire_returned", true, 1, 1],
      ["mmap_lock_released", true, 1, null],
    ]);
    expect(["ksys_mmap_pgoff", "vm_mmap_pgoff", "do_mmap", "__get_unmapped_area", "vm_unmapped_area", "mmap_region", "vm_area_alloc", "vma_set_page_prot", "down_write", "up_write"].map((n) => calls(k, n))).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    const fault = events(k, ["exceptions:page_fault_user", "kmem:rss_stat", "kmem:mm_page_alloc"], () => touchUser(k, addr + 0x1234n, true));
    expect(fault.map((e) => e.name)).toEqual(["exceptions:page_fault_user", "kmem:mm_page_alloc", "kmem:rss_stat"]);
    // page_fault_user: address, ip, error_code = X86_PF_USER | X86_PF_WRITE.
    expect([fault[0]!.rec.getBigUint64(8, true), fault[0]!.rec.getBigUint64(24, true)]).toEqual([addr + 0x1234n, 6n]);
    // The page is movable (GFP_HIGHUSER_MOVABLE | __GFP_ZERO | __GFP_COMP) and order 0.
    expect([fault[1]!.rec.getUint32(16, true), fault[1]!.rec.getBigUint64(24, true), fault[1]!.rec.getInt32(32, true)]).toEqual([0, 0x140ccan | 0x100n | 0x40000n, 1]);
    // rss_stat: curr = 1, member MM_ANONPAGES, 4096 bytes.
    expect([fault[2]!.rec.getUint32(12, true), fault[2]!.rec.getInt32(16, true), fault[2]!.rec.getBigInt64(24, true)]).toEqual([1, 1, 4096n]);
    expect(["exc_page_fault", "do_user_addr_fault", "handle_mm_fault", "__handle_mm_fault", "handle_pte_fault", "do_anonymous_page", "vma_alloc_folio_noprof", "folio_add_new_anon_rmap"].map((n) => calls(k, n))).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    const pfn = mmOf(k).pageAt(tgid, addr + 0x1000n)!;
    const page = pfnToPage(pfn);
    // The folio is an anonymous one (mapping = vma | PAGE_MAPPING_ANON) at its index, mapped once.
    expect(k.memory.readField(page, "folio", "index")).toBe((addr + 0x1000n) >> 12n);
    expect(k.memory.readField(page, "folio", "mapping") & 1n).toBe(1n);
    expect(k.memory.readField(page, "page", "_mapcount.counter")).toBe(0n);
    // Touching it again is no fault.
    touchUser(k, addr + 0x1800n, true);
    expect(calls(k, "exc_page_fault")).toBe(1);
  });

  it("a read of an untouched anonymous page maps the zero page; the later write copies it (do_wp_page) into a page of its own", () => {
    const k = new SyntheticKernel({ seed: 1 });
    const tgid = k.current().tgid;
    const addr = syscall(k, "mmap", [0n, 8192n, PROT_RW, MAP_PRIVATE_ANON, BigInt.asUintN(64, -1n), 0n]);
    const pages = () => allocState(k).allocated.size;
    const before = pages();
    touchUser(k, addr, false);
    expect([mmOf(k).pageAt(tgid, addr), pages() - before, mmOf(k).rss(tgid, 1)]).toEqual([0, 0, 0]);
    touchUser(k, addr, true);
    expect(mmOf(k).pageAt(tgid, addr)).toBeGreaterThan(0);
    expect([pages() - before, mmOf(k).rss(tgid, 1), calls(k, "do_wp_page"), calls(k, "do_anonymous_page")]).toEqual([1, 1, 1, 1]);
  });

  it("munmap gives the pages back (mm_page_free, rss to 0) and frees the vma; the address is reused by the next mmap", () => {
    const k = new SyntheticKernel({ seed: 1 });
    const tgid = k.current().tgid;
    const addr = syscall(k, "mmap", [0n, 3n * 4096n, PROT_RW, MAP_PRIVATE_ANON, BigInt.asUintN(64, -1n), 0n]);
    for (let i = 0n; i < 3n; i++) touchUser(k, addr + i * 4096n, true);
    expect(mmOf(k).rss(tgid, 1)).toBe(3);
    const freed = events(k, ["kmem:mm_page_free", "kmem:kmem_cache_free"], () => expect(syscall(k, "munmap", [addr, 3n * 4096n])).toBe(0n));
    expect(freed.map((e) => e.name)).toEqual(["kmem:mm_page_free", "kmem:mm_page_free", "kmem:mm_page_free", "kmem:kmem_cache_free"]);
    expect([mmOf(k).rss(tgid, 1), mmOf(k).count(tgid), allocState(k).allocated.size]).toEqual([0, 0, 0]);
    expect(["__vm_munmap", "do_vmi_munmap", "do_vmi_align_munmap", "unmap_region", "tlb_finish_mmu", "vm_area_free"].map((n) => calls(k, n))).toEqual([1, 1, 1, 1, 1, 1]);
    expect(syscall(k, "mmap", [0n, 4096n, PROT_READ, MAP_PRIVATE_ANON, BigInt.asUintN(64, -1n), 0n])).toBe(addr);
    // Bad arguments: an unaligned offset, a zero length.
    expect(s64(syscall(k, "mmap", [0n, 4096n, PROT_READ, MAP_PRIVATE_ANON, BigInt.asUintN(64, -1n), 1n]))).toBe(-22n);
    expect(s64(syscall(k, "mmap", [0n, 0n, PROT_READ, MAP_PRIVATE_ANON, BigInt.asUintN(64, -1n), 0n]))).toBe(-22n);
    expect(s64(syscall(k, "munmap", [addr + 1n, 4096n]))).toBe(-22n);
  });

  it("mprotect makes a mapping read-only (vm_flags, vm_page_prot); a file mapping's read fault goes through do_fault -> do_read_fault -> __do_fault -> finish_fault", () => {
    const k = new SyntheticKernel({ seed: 1 });
    const tgid = k.current().tgid;
    const addr = syscall(k, "mmap", [0n, 8192n, PROT_RW, MAP_PRIVATE_ANON, BigInt.asUintN(64, -1n), 0n]);
    expect(syscall(k, "mprotect", [addr, 8192n, PROT_READ])).toBe(0n);
    const vma = k.memory.readField(k.memory.readField(k.current().taskAddress, "task_struct", "mm"), "mm_struct", "map_count");
    expect(vma).toBe(1n);
    expect(["do_mprotect_pkey", "mprotect_fixup", "change_protection"].map((n) => calls(k, n))).toEqual([1, 1, 1]);
    expect(s64(syscall(k, "mprotect", [0x10000n, 4096n, PROT_READ]))).toBe(-12n);
    const user = k.memory.userSpace(tgid);
    const path = user.allocString(FILES[0]!.path);
    const fd = syscall(k, "openat", [BigInt.asUintN(64, -100n), path, 0n, 0n]);
    expect(s64(fd)).toBeGreaterThanOrEqual(3n);
    const fileAddr = syscall(k, "mmap", [0n, 4096n, PROT_READ, 0x02n, fd, 0n]);
    expect(fileAddr).toBe(addr + 8192n);
    touchUser(k, fileAddr, false);
    expect(["do_fault", "do_read_fault", "__do_fault", "finish_fault", "set_pte_range"].map((n) => calls(k, n))).toEqual([1, 1, 1, 1, 1]);
    expect([mmOf(k).rss(tgid, 0), mmOf(k).rss(tgid, 1)]).toEqual([1, 0]);
    // mmap of a descriptor that is not open: -EBADF.
    expect(s64(syscall(k, "mmap", [0n, 4096n, PROT_READ, 0x02n, 40n, 0n]))).toBe(-9n);
  });

  it("brk grows the heap with do_brk_flags and shrinks it with do_munmap", () => {
    const k = new SyntheticKernel({ seed: 1 });
    const tgid = k.current().tgid;
    const start = syscall(k, "brk", [0n]);
    expect(start).toBe(0x555560000000n);
    expect(syscall(k, "brk", [start + 0x21000n])).toBe(start + 0x21000n);
    expect(mmOf(k).count(tgid)).toBe(1);
    touchUser(k, start + 0x20ff8n, true);
    expect(syscall(k, "brk", [start + 0x42000n])).toBe(start + 0x42000n);
    expect(mmOf(k).count(tgid)).toBe(1);
    expect(syscall(k, "brk", [start + 0x1000n])).toBe(start + 0x1000n);
    expect([mmOf(k).rss(tgid, 1), calls(k, "do_brk_flags"), calls(k, "do_munmap")]).toEqual([0, 2, 1]);
  });
});

describe("the mm step over time", () => {
  it("keeps at most MAX_MAPPINGS mappings per process, and every page frame it holds is a faulted-in page or a large kmalloc", () => {
    const k = new SyntheticKernel({ seed: 7 });
    k.run("fs", { count: 3000 });
    const st = allocState(k);
    for (const t of k.tasks.all()) expect(mmOf(k).count(t.tgid)).toBeLessThanOrEqual(MAX_MAPPINGS + 1);
    expect(st.allocated.size).toBe(mmOf(k).residentPages() + st.large.size);
    expect(calls(k, "exc_page_fault")).toBeGreaterThan(100);
  }, 60_000);

  it("an exiting process's pages and vmas go with it (exit_mmap): on the mixed workload, where processes fork and exit, every frame held is still a live process's", () => {
    const k = new SyntheticKernel({ seed: 7 });
    k.run("mixed", { count: 4000 });
    const st = allocState(k);
    expect(calls(k, "exit_mmap")).toBeGreaterThan(0);
    expect(st.allocated.size).toBe(mmOf(k).residentPages() + st.large.size);
  }, 60_000);

  it("memory is flat over a long run: the page frames ever handed out and the kernel's mapped bytes after 5 s and 15 s are the same, give or take a batch", () => {
    const k = new SyntheticKernel({ seed: 11 });
    k.run("fs", { durationNs: 5_000_000_000n, rate: 500 });
    const st = allocState(k);
    const early = { frames: st.nextPfn, mapped: k.memory.kernel.mappedBytes };
    k.run("fs", { durationNs: 10_000_000_000n, rate: 500 });
    const late = { frames: st.nextPfn, mapped: k.memory.kernel.mappedBytes };
    // Frames ever handed out grow by at most a few batches; kernel mappings by at most a few pages.
    expect(late.frames - early.frames).toBeLessThanOrEqual(64);
    expect(late.mapped - early.mapped).toBeLessThanOrEqual(64 * 1024);
  }, 120_000);
});

describe("through the tracer", () => {
  it("btfsnoop trace 'handle_mm_fault(vma->vm_start, address)': every faulting address lies in its vma, user addresses above mmap_base or in the brk heap", async () => {
    const r = await runCli("handle_mm_fault(vma->vm_start, address)", "--workload", "fs", "-d", "20ms", "--format", "json", "--check");
    expect(r.code).toBe(0);
    type Ev = { values: { name: string; value: number | string }[] };
    const events = r.out.trim().split("\n").map((l) => JSON.parse(l) as Ev);
    expect(events.length).toBeGreaterThan(3);
    for (const e of events) {
      const [start, address] = e.values.map((v) => BigInt(v.value));
      const mmapArea = start! >= 0x7f0000000000n && start! < 0x800000000000n;
      const brkHeap = start! >= 0x555560000000n && start! < 0x555570000000n;
      expect([address! >= start!, mmapArea || brkHeap]).toEqual([true, true]);
    }
    expect(r.err).toMatch(new RegExp(`ok handle_mm_fault: ${events.length} calls -> ${events.length} records expected`));
  }, 60_000);
});
