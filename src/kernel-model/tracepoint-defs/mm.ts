// The kmem, page allocator, percpu, lock, page fault and mmap_lock events
// (ids 1600-1699), with Linux 6.12's formats.
import { dataLoc, def, type FieldSpec } from "./common.js";
import type { TracepointDef } from "../tracepoints.js";

const ul = (name: string): FieldSpec => ({ decl: `unsigned long ${name}`, name, size: 8 });
const ptr = (name: string, type = "void *"): FieldSpec => ({ decl: `${type} ${name}`, name, size: 8 });
const size = (name: string): FieldSpec => ({ decl: `size_t ${name}`, name, size: 8 });
const int = (name: string): FieldSpec => ({ decl: `int ${name}`, name, size: 4, signed: true });
const uint = (name: string): FieldSpec => ({ decl: `unsigned int ${name}`, name, size: 4 });
const bool = (name: string): FieldSpec => ({ decl: `bool ${name}`, name, size: 1 });

export function mmTracepoints(): TracepointDef[] {
  return [
    def(
      1600,
      "kmem",
      "kmalloc",
      [ul("call_site"), ptr("ptr", "const void *"), size("bytes_req"), size("bytes_alloc"), ul("gfp_flags"), int("node")],
      [["unsigned long", "call_site"], ["const void *", "ptr"], ["size_t", "bytes_req"], ["size_t", "bytes_alloc"], ["gfp_t", "gfp_flags"], ["int", "node"]],
    ),
    def(1601, "kmem", "kfree", [ul("call_site"), ptr("ptr", "const void *")], [["unsigned long", "call_site"], ["const void *", "ptr"]]),
    def(
      1602,
      "kmem",
      "kmem_cache_alloc",
      [ul("call_site"), ptr("ptr", "const void *"), dataLoc("name"), size("bytes_req"), size("bytes_alloc"), ul("gfp_flags"), int("node"), bool("accounted")],
      [["unsigned long", "call_site"], ["const void *", "ptr"], ["struct kmem_cache *", "s"], ["gfp_t", "gfp_flags"], ["int", "node"]],
    ),
    def(
      1603,
      "kmem",
      "kmem_cache_free",
      [ul("call_site"), ptr("ptr", "const void *"), dataLoc("name")],
      [["unsigned long", "call_site"], ["const void *", "ptr"], ["const struct kmem_cache *", "s"]],
    ),
    def(
      1604,
      "kmem",
      "mm_page_alloc",
      [ul("pfn"), uint("order"), ul("gfp_flags"), int("migratetype")],
      [["struct page *", "page"], ["unsigned int", "order"], ["gfp_t", "gfp_flags"], ["int", "migratetype"]],
    ),
    def(1605, "kmem", "mm_page_free", [ul("pfn"), uint("order")], [["struct page *", "page"], ["unsigned int", "order"]]),
    def(
      1606,
      "kmem",
      "mm_page_alloc_zone_locked",
      [ul("pfn"), uint("order"), int("migratetype"), int("percpu_refill")],
      [["struct page *", "page"], ["unsigned int", "order"], ["int", "migratetype"], ["int", "percpu_refill"]],
    ),
    def(
      1607,
      "kmem",
      "rss_stat",
      [uint("mm_id"), uint("curr"), int("member"), { decl: "long size", name: "size", size: 8, signed: true }],
      [["struct mm_struct *", "mm"], ["int", "member"]],
    ),
    def(
      1610,
      "percpu",
      "percpu_alloc_percpu",
      [ul("call_site"), bool("reserved"), bool("is_atomic"), size("size"), size("align"), ptr("base_addr"), int("off"), ptr("ptr", "void __percpu *"), size("bytes_alloc"), ul("gfp_flags")],
      [
        ["unsigned long", "call_site"],
        ["bool", "reserved"],
        ["bool", "is_atomic"],
        ["size_t", "size"],
        ["size_t", "align"],
        ["void *", "base_addr"],
        ["int", "off"],
        ["void *", "ptr"],
        ["size_t", "bytes_alloc"],
        ["gfp_t", "gfp_flags"],
      ],
    ),
    def(1611, "percpu", "percpu_free_percpu", [ptr("base_addr"), int("off"), ptr("ptr", "void __percpu *")], [["void *", "base_addr"], ["int", "off"], ["void *", "ptr"]]),
    def(1620, "lock", "contention_begin", [ptr("lock_addr"), uint("flags")], [["void *", "lock"], ["unsigned int", "flags"]]),
    def(1621, "lock", "contention_end", [ptr("lock_addr"), int("ret")], [["void *", "lock"], ["int", "ret"]]),
    def(
      1630,
      "exceptions",
      "page_fault_user",
      [ul("address"), ul("ip"), ul("error_code")],
      [["unsigned long", "address"], ["struct pt_regs *", "regs"], ["unsigned long", "error_code"]],
      "exceptions",
    ),
    def(
      1640,
      "mmap_lock",
      "mmap_lock_start_locking",
      [ptr("mm", "struct mm_struct *"), dataLoc("memcg_path"), bool("write")],
      [["struct mm_struct *", "mm"], ["const char *", "memcg_path"], ["bool", "write"]],
      "mmap_lock",
    ),
    def(
      1641,
      "mmap_lock",
      "mmap_lock_acquire_returned",
      [ptr("mm", "struct mm_struct *"), dataLoc("memcg_path"), bool("write"), bool("success")],
      [["struct mm_struct *", "mm"], ["const char *", "memcg_path"], ["bool", "write"], ["bool", "success"]],
    ),
    def(
      1642,
      "mmap_lock",
      "mmap_lock_released",
      [ptr("mm", "struct mm_struct *"), dataLoc("memcg_path"), bool("write")],
      [["struct mm_struct *", "mm"], ["const char *", "memcg_path"], ["bool", "write"]],
      "mmap_lock",
    ),
  ];
}
