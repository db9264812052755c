/*
 * mm.h - memory allocation (kmalloc, kmem_cache, pages, percpu), page
 * faults and memory mappings, locking (mutex, rwsem, spinlocks, futex) and
 * their trace records of the btfsnoop synthetic kernel.
 *
 * Prototypes are Linux 6.12's (mm/slub.c, mm/slab_common.c, mm/util.c,
 * mm/page_alloc.c, mm/mempolicy.c, mm/percpu.c, mm/memory.c, mm/mmap.c,
 * mm/vma.c, mm/mprotect.c, arch/x86/mm/fault.c, kernel/locking/,
 * kernel/futex/); where 6.18 changed one (its BTF is the reference the
 * tests check against) 6.18's is used.  Structs keep Linux's members in
 * Linux's order, trimmed at the end.
 *
 * Requires: types.h, trace.h, sched.h, fs.h.
 */
#ifndef _BTFSNOOP_KMODEL_MM_H
#define _BTFSNOOP_KMODEL_MM_H

/* include/linux/slab.h: the kmalloc size buckets (KMALLOC_SHIFT_HIGH + 1 = 14 caches). */
typedef struct kmem_cache *kmem_buckets[14];

struct slab;
struct kmem_cache_args;
struct zone;
struct per_cpu_pages;
struct alloc_context;
struct mempolicy;
struct pcpu_chunk;
struct folio_batch;
struct vma_iterator;
struct ma_state;
struct mmu_gather;
struct vm_unmapped_area_info;
struct anon_vma;

/* mm/internal.h: free_pages_ok() flags. */
typedef int fpi_t;
/* include/linux/rmap.h */
typedef int rmap_t;
/* include/linux/mm_types.h */
typedef unsigned int vm_fault_t;

/* arch/x86/include/asm/pgtable_64_types.h, pgtable_types.h */
typedef unsigned long pteval_t;
typedef unsigned long pmdval_t;
typedef unsigned long pudval_t;
typedef struct {
	pteval_t pte;
} pte_t;
typedef struct {
	pmdval_t pmd;
} pmd_t;
typedef struct {
	pudval_t pud;
} pud_t;
typedef struct page *pgtable_t;

/* include/linux/mm_types.h */
enum fault_flag {
	FAULT_FLAG_WRITE = 1,
	FAULT_FLAG_MKWRITE = 2,
	FAULT_FLAG_ALLOW_RETRY = 4,
	FAULT_FLAG_RETRY_NOWAIT = 8,
	FAULT_FLAG_KILLABLE = 16,
	FAULT_FLAG_TRIED = 32,
	FAULT_FLAG_USER = 64,
	FAULT_FLAG_REMOTE = 128,
	FAULT_FLAG_INSTRUCTION = 256,
	FAULT_FLAG_INTERRUPTIBLE = 512,
	FAULT_FLAG_UNSHARE = 1024,
	FAULT_FLAG_ORIG_PTE_VALID = 2048,
	FAULT_FLAG_VMA_LOCK = 4096,
};

/* include/linux/mm.h: what a page fault handler is given. */
struct vm_fault {
	struct {	/* const in Linux */
		struct vm_area_struct *vma;
		gfp_t gfp_mask;
		pgoff_t pgoff;
		unsigned long address;
		unsigned long real_address;
	};
	enum fault_flag flags;
	pmd_t *pmd;
	pud_t *pud;
	union {
		pte_t orig_pte;
		pmd_t orig_pmd;
	};
	struct page *cow_page;
	struct page *page;
	pte_t *pte;
	spinlock_t *ptl;
	pgtable_t prealloc_pte;
};

/* include/linux/mm_types.h: the per-mm RSS counters (rss_stat's member). */
enum {
	MM_FILEPAGES = 0,
	MM_ANONPAGES = 1,
	MM_SWAPENTS = 2,
	MM_SHMEMPAGES = 3,
	NR_MM_COUNTERS = 4,
};

/* include/linux/mmzone.h */
enum migratetype {
	MIGRATE_UNMOVABLE = 0,
	MIGRATE_MOVABLE = 1,
	MIGRATE_RECLAIMABLE = 2,
	MIGRATE_PCPTYPES = 3,
	MIGRATE_HIGHATOMIC = 3,
	MIGRATE_CMA = 4,
	MIGRATE_ISOLATE = 5,
	MIGRATE_TYPES = 6,
};

/* include/trace/events/lock.h: contention_begin's flags. */
enum {
	LCB_F_SPIN = 1,
	LCB_F_READ = 2,
	LCB_F_WRITE = 4,
	LCB_F_RT = 8,
	LCB_F_PERCPU = 16,
	LCB_F_MUTEX = 32,
};

/* kernel/futex/futex.h */
struct futex_q;
struct futex_hash_bucket;
struct wake_q_head;
struct hrtimer_sleeper;
union futex_key;

enum futex_access {
	FUTEX_READ = 0,
	FUTEX_WRITE = 1,
};

/* mm/slub.c, mm/slab_common.c, mm/util.c */
void *__kmalloc_noprof(size_t size, gfp_t flags);
void *__kmalloc_cache_noprof(struct kmem_cache *s, gfp_t gfpflags, size_t size);
void *__kmalloc_node_noprof(size_t size, kmem_buckets *b, gfp_t flags, int node);
void *__kmalloc_large_noprof(size_t size, gfp_t flags);
void *kmem_cache_alloc_noprof(struct kmem_cache *s, gfp_t gfpflags);
void *kmem_cache_alloc_node_noprof(struct kmem_cache *s, gfp_t gfpflags, int node);
void kmem_cache_free(struct kmem_cache *s, void *x);
void kfree(const void *object);
void *krealloc_noprof(const void *p, size_t new_size, gfp_t flags);
void *__kvmalloc_node_noprof(size_t size, kmem_buckets *b, gfp_t flags, int node);
void kvfree(const void *addr);
size_t ksize(const void *objp);
static void *___slab_alloc(struct kmem_cache *s, gfp_t gfpflags, int node, unsigned long addr, struct kmem_cache_cpu *c, unsigned int orig_size);
static struct slab *allocate_slab(struct kmem_cache *s, gfp_t flags, int node);
static void __slab_free(struct kmem_cache *s, struct slab *slab, void *head, void *tail, int cnt, unsigned long addr);

/* mm/page_alloc.c, mm/mempolicy.c */
struct page *alloc_pages_noprof(gfp_t gfp, unsigned int order);
struct page *alloc_pages_mpol(gfp_t gfp, unsigned int order, struct mempolicy *pol, unsigned long ilx, int nid);
struct page *__alloc_pages_noprof(gfp_t gfp, unsigned int order, int preferred_nid, nodemask_t *nodemask);
static struct page *get_page_from_freelist(gfp_t gfp_mask, unsigned int order, int alloc_flags, const struct alloc_context *ac);
static struct page *rmqueue(struct zone *preferred_zone, struct zone *zone, unsigned int order, gfp_t gfp_flags, unsigned int alloc_flags, int migratetype);
static struct page *__rmqueue_pcplist(struct zone *zone, unsigned int order, int migratetype, unsigned int alloc_flags, struct per_cpu_pages *pcp, struct list_head *list);
void post_alloc_hook(struct page *page, unsigned int order, gfp_t gfp_flags);
void __free_pages(struct page *page, unsigned int order);
void free_unref_page(struct page *page, unsigned int order);
bool free_pages_prepare(struct page *page, unsigned int order);
static void free_pcppages_bulk(struct zone *zone, int count, struct per_cpu_pages *pcp, int pindex);
void drain_all_pages(struct zone *zone);
void drain_zone_pages(struct zone *zone, struct per_cpu_pages *pcp);
struct folio *vma_alloc_folio_noprof(gfp_t gfp, int order, struct vm_area_struct *vma, unsigned long addr);

/* mm/percpu.c */
void *pcpu_alloc_noprof(size_t size, size_t align, bool reserved, gfp_t gfp);
void free_percpu(void *ptr);
static int pcpu_alloc_area(struct pcpu_chunk *chunk, int alloc_bits, size_t align, int start);
static int pcpu_free_area(struct pcpu_chunk *chunk, int off);
static void pcpu_balance_workfn(struct work_struct *work);

/* arch/x86/mm/fault.c, mm/memory.c, mm/rmap.c */
void exc_page_fault(struct pt_regs *regs, unsigned long error_code);
static void do_user_addr_fault(struct pt_regs *regs, unsigned long error_code, unsigned long address);
struct vm_area_struct *lock_vma_under_rcu(struct mm_struct *mm, unsigned long address);
struct vm_area_struct *lock_mm_and_find_vma(struct mm_struct *mm, unsigned long addr, struct pt_regs *regs);
vm_fault_t handle_mm_fault(struct vm_area_struct *vma, unsigned long address, unsigned int flags, struct pt_regs *regs);
static vm_fault_t __handle_mm_fault(struct vm_area_struct *vma, unsigned long address, unsigned int flags);
static vm_fault_t handle_pte_fault(struct vm_fault *vmf);
static vm_fault_t do_anonymous_page(struct vm_fault *vmf);
static vm_fault_t do_fault(struct vm_fault *vmf);
static vm_fault_t do_read_fault(struct vm_fault *vmf);
static vm_fault_t __do_fault(struct vm_fault *vmf);
static vm_fault_t do_wp_page(struct vm_fault *vmf);
vm_fault_t finish_fault(struct vm_fault *vmf);
void set_pte_range(struct vm_fault *vmf, struct folio *folio, struct page *page, unsigned int nr, unsigned long addr);
void folio_add_new_anon_rmap(struct folio *folio, struct vm_area_struct *vma, unsigned long address, rmap_t flags);

/* mm/mmap.c, mm/vma.c, mm/util.c, mm/mprotect.c, mm/mmu_gather.c */
unsigned long ksys_mmap_pgoff(unsigned long addr, unsigned long len, unsigned long prot, unsigned long flags, unsigned long fd, unsigned long pgoff);
unsigned long vm_mmap_pgoff(struct file *file, unsigned long addr, unsigned long len, unsigned long prot, unsigned long flag, unsigned long pgoff);
unsigned long __get_unmapped_area(struct file *file, unsigned long addr, unsigned long len, unsigned long pgoff, unsigned long flags, vm_flags_t vm_flags);
unsigned long vm_unmapped_area(struct vm_unmapped_area_info *info);
unsigned long mmap_region(struct file *file, unsigned long addr, unsigned long len, vm_flags_t vm_flags, unsigned long pgoff, struct list_head *uf);
struct vm_area_struct *vm_area_alloc(struct mm_struct *mm);
void vm_area_free(struct vm_area_struct *vma);
int __vm_munmap(unsigned long start, size_t len, bool unlock);
int do_vmi_munmap(struct vma_iterator *vmi, struct mm_struct *mm, unsigned long start, size_t len, struct list_head *uf, bool unlock);
int do_vmi_align_munmap(struct vma_iterator *vmi, struct vm_area_struct *vma, struct mm_struct *mm, unsigned long start, unsigned long end, struct list_head *uf, bool unlock);
void unmap_region(struct ma_state *mas, struct vm_area_struct *vma, struct vm_area_struct *prev, struct vm_area_struct *next);
void tlb_finish_mmu(struct mmu_gather *tlb);
int do_brk_flags(struct vma_iterator *vmi, struct vm_area_struct *vma, unsigned long addr, unsigned long len, vm_flags_t vm_flags);
static int do_mprotect_pkey(unsigned long start, size_t len, unsigned long prot, int pkey);
int mprotect_fixup(struct vma_iterator *vmi, struct mmu_gather *tlb, struct vm_area_struct *vma, struct vm_area_struct **pprev, unsigned long start, unsigned long end, unsigned long newflags);
long change_protection(struct mmu_gather *tlb, struct vm_area_struct *vma, unsigned long start, unsigned long end, unsigned long cp_flags);
void vma_set_page_prot(struct vm_area_struct *vma);

/* kernel/locking/mutex.c, rwsem.c, spinlock.c, qspinlock.c */
void mutex_lock(struct mutex *lock);
void mutex_unlock(struct mutex *lock);
int mutex_trylock(struct mutex *lock);
int mutex_lock_interruptible(struct mutex *lock);
static void __mutex_lock_slowpath(struct mutex *lock);
static int __mutex_lock_interruptible_slowpath(struct mutex *lock);
static void __mutex_unlock_slowpath(struct mutex *lock, unsigned long ip);
void down_read(struct rw_semaphore *sem);
void up_read(struct rw_semaphore *sem);
void down_write(struct rw_semaphore *sem);
void up_write(struct rw_semaphore *sem);
int down_read_trylock(struct rw_semaphore *sem);
static struct rw_semaphore *rwsem_down_read_slowpath(struct rw_semaphore *sem, long count, unsigned int state);
static struct rw_semaphore *rwsem_down_write_slowpath(struct rw_semaphore *sem, int state);
static struct rw_semaphore *rwsem_wake(struct rw_semaphore *sem);
void _raw_spin_lock(raw_spinlock_t *lock);
void _raw_spin_unlock(raw_spinlock_t *lock);
unsigned long _raw_spin_lock_irqsave(raw_spinlock_t *lock);
void _raw_spin_unlock_irqrestore(raw_spinlock_t *lock, unsigned long flags);
void _raw_spin_lock_irq(raw_spinlock_t *lock);
void _raw_spin_unlock_irq(raw_spinlock_t *lock);
int _raw_spin_trylock(raw_spinlock_t *lock);
void native_queued_spin_lock_slowpath(struct qspinlock *lock, u32 val);

/* kernel/futex/syscalls.c, waitwake.c, core.c */
long do_futex(u32 *uaddr, int op, u32 val, ktime_t *timeout, u32 *uaddr2, u32 val2, u32 val3);
int futex_wait(u32 *uaddr, unsigned int flags, u32 val, ktime_t *abs_time, u32 bitset);
int __futex_wait(u32 *uaddr, unsigned int flags, u32 val, struct hrtimer_sleeper *to, u32 bitset);
int futex_wait_setup(u32 *uaddr, u32 val, unsigned int flags, struct futex_q *q, union futex_key *key2, struct task_struct *task);
int futex_wake(u32 *uaddr, unsigned int flags, int nr_wake, u32 bitset);
void futex_wake_mark(struct wake_q_head *wake_q, struct futex_q *q);
int get_futex_key(u32 *uaddr, unsigned int flags, union futex_key *key, enum futex_access rw);
struct futex_hash_bucket *futex_hash(union futex_key *key);

/*
 * Trace records (include/trace/events/lock.h, exceptions.h, kmem.h,
 * mmap_lock.h); kmalloc, kfree, kmem_cache_alloc/free, mm_page_alloc/free
 * and percpu's are in trace.h.
 */
struct trace_event_raw_contention_begin {
	struct trace_entry ent;
	void *lock_addr;
	unsigned int flags;
	char __data[0];
};

struct trace_event_raw_contention_end {
	struct trace_entry ent;
	void *lock_addr;
	int ret;
	char __data[0];
};

struct trace_event_raw_exceptions {
	struct trace_entry ent;
	unsigned long address;
	unsigned long ip;
	unsigned long error_code;
	char __data[0];
};

struct trace_event_raw_mm_page_alloc_zone_locked {
	struct trace_entry ent;
	unsigned long pfn;
	unsigned int order;
	int migratetype;
	int percpu_refill;
	char __data[0];
};

struct trace_event_raw_rss_stat {
	struct trace_entry ent;
	unsigned int mm_id;
	unsigned int curr;
	int member;
	long size;
	char __data[0];
};

struct trace_event_raw_mmap_lock {
	struct trace_entry ent;
	struct mm_struct *mm;
	u32 __data_loc_memcg_path;
	bool write;
	char __data[0];
};

struct trace_event_raw_mmap_lock_acquire_returned {
	struct trace_entry ent;
	struct mm_struct *mm;
	u32 __data_loc_memcg_path;
	bool write;
	bool success;
	char __data[0];
};

typedef void (*btf_trace_kmalloc)(void *__data, unsigned long call_site, const void *ptr, size_t bytes_req, size_t bytes_alloc, gfp_t gfp_flags, int node);
typedef void (*btf_trace_kfree)(void *__data, unsigned long call_site, const void *ptr);
typedef void (*btf_trace_kmem_cache_alloc)(void *__data, unsigned long call_site, const void *ptr, struct kmem_cache *s, gfp_t gfp_flags, int node);
typedef void (*btf_trace_kmem_cache_free)(void *__data, unsigned long call_site, const void *ptr, const struct kmem_cache *s);
typedef void (*btf_trace_mm_page_alloc)(void *__data, struct page *page, unsigned int order, gfp_t gfp_flags, int migratetype);
typedef void (*btf_trace_mm_page_free)(void *__data, struct page *page, unsigned int order);
typedef void (*btf_trace_mm_page_alloc_zone_locked)(void *__data, struct page *page, unsigned int order, int migratetype, int percpu_refill);
typedef void (*btf_trace_rss_stat)(void *__data, struct mm_struct *mm, int member);
typedef void (*btf_trace_percpu_alloc_percpu)(void *__data, unsigned long call_site, bool reserved, bool is_atomic, size_t size, size_t align, void *base_addr, int off, void *ptr, size_t bytes_alloc, gfp_t gfp_flags);
typedef void (*btf_trace_percpu_free_percpu)(void *__data, void *base_addr, int off, void *ptr);
typedef void (*btf_trace_contention_begin)(void *__data, void *lock, unsigned int flags);
typedef void (*btf_trace_contention_end)(void *__data, void *lock, int ret);
typedef void (*btf_trace_page_fault_user)(void *__data, unsigned long address, struct pt_regs *regs, unsigned long error_code);
typedef void (*btf_trace_mmap_lock_start_locking)(void *__data, struct mm_struct *mm, const char *memcg_path, bool write);
typedef void (*btf_trace_mmap_lock_acquire_returned)(void *__data, struct mm_struct *mm, const char *memcg_path, bool write, bool success);
typedef void (*btf_trace_mmap_lock_released)(void *__data, struct mm_struct *mm, const char *memcg_path, bool write);

#endif /* _BTFSNOOP_KMODEL_MM_H */
