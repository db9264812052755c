/*
 * sched.h - tasks, scheduler and memory maps of the btfsnoop synthetic kernel.
 *
 * Modelled on include/linux/sched.h, arch/x86/include/asm/thread_info.h,
 * include/linux/mm_types.h, include/linux/maple_tree.h, include/linux/mm.h,
 * include/linux/sched/task.h, include/linux/sched/prio.h, kernel/sched/core.c,
 * kernel/fork.c, kernel/exit.c and mm/mmap.c of Linux 6.x (x86_64, CONFIG_SMP,
 * CONFIG_THREAD_INFO_IN_TASK), trimmed to the important members while keeping
 * the real member order.  As in Linux 6.x the task state is "__state" and the
 * CPU number lives in task_struct.thread_info.cpu; mm_struct/vm_area_struct
 * are the maple-tree (6.1+) variants, i.e. there is no vm_next.
 *
 * Requires: types.h.  Types owned by other headers are only forward-declared.
 */
#ifndef _BTFSNOOP_KMODEL_SCHED_H
#define _BTFSNOOP_KMODEL_SCHED_H

#define TASK_COMM_LEN 16
#define TASK_RUNNING 0
#define TASK_INTERRUPTIBLE 1
#define TASK_UNINTERRUPTIBLE 2
#define PF_EXITING 4
#define PF_KTHREAD 2097152
#define SCHED_NORMAL 0
#define SCHED_FIFO 1
#define SCHED_RR 2

struct file;
struct files_struct;
struct fs_struct;
struct nameidata;
struct nsproxy;
struct signal_struct;
struct sighand_struct;
struct cred;
struct pid;
struct rq;
struct cfs_rq;
struct sched_class;
struct linux_binfmt;
struct user_namespace;
struct anon_vma;
struct anon_vma_name;
struct vma_lock;
struct vm_operations_struct;
struct userfaultfd_ctx;
struct mempolicy;
struct cgroup;
struct css_set;
struct sched_param;

typedef unsigned long vm_flags_t;

/* include/linux/sched/prio.h (as enumerators; negative values on purpose) */
enum sched_prio_limits {
	MAX_NICE = 19,
	MIN_NICE = -20,
	NICE_WIDTH = (MAX_NICE - MIN_NICE + 1),
	MAX_RT_PRIO = 100,
	MAX_PRIO = (MAX_RT_PRIO + NICE_WIDTH),
	DEFAULT_PRIO = (MAX_RT_PRIO + 20),
	MIN_DL_PRIO = -1,
};

/* include/linux/mm.h VM_* bits (as enumerators; values above 32 bits) */
enum vm_flag_bits {
	VM_NONE = 0x00000000,
	VM_READ = 0x00000001,
	VM_WRITE = 0x00000002,
	VM_EXEC = 0x00000004,
	VM_SHARED = 0x00000008,
	VM_MAYREAD = 0x00000010,
	VM_MAYWRITE = 0x00000020,
	VM_MAYEXEC = 0x00000040,
	VM_MAYSHARE = 0x00000080,
	VM_GROWSDOWN = 0x00000100,
	VM_LOCKED = 0x00002000,
	VM_IO = 0x00004000,
	VM_ACCOUNT = 0x00100000,
	VM_HUGEPAGE = 0x20000000,
	VM_NOHUGEPAGE = 0x40000000,
	VM_MERGEABLE = 0x80000000,
	VM_HIGH_ARCH_BIT_0 = 32,
	VM_HIGH_ARCH_0 = 0x100000000,
	VM_HIGH_ARCH_1 = (0x100000000 << 1),
	VM_HIGH_ARCH_2 = (0x100000000 << 2),
	VM_PKEY_BIT0 = VM_HIGH_ARCH_0,
	VM_STACK_DEFAULT = (VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_ACCOUNT),
};

/* arch/x86/include/asm/thread_info.h */
struct thread_info {
	unsigned long flags;
	unsigned long syscall_work;
	u32 status;
	u32 cpu;
};

/* include/linux/cpumask.h (NR_CPUS = 64) */
typedef struct cpumask {
	unsigned long bits[1];
} cpumask_t;

/* include/linux/sched.h */
struct load_weight {
	unsigned long weight;
	u32 inv_weight;
};

struct sched_avg {
	u64 last_update_time;
	u64 load_sum;
	u64 runnable_sum;
	u32 util_sum;
	u32 period_contrib;
	unsigned long load_avg;
	unsigned long runnable_avg;
	unsigned long util_avg;
	unsigned int util_est;
} __attribute__((aligned(64)));

struct sched_entity {
	/* For load-balancing: */
	struct load_weight load;
	struct rb_node run_node;
	u64 deadline;
	u64 min_vruntime;
	struct list_head group_node;
	unsigned int on_rq;
	u64 exec_start;
	u64 sum_exec_runtime;
	u64 prev_sum_exec_runtime;
	u64 vruntime;
	s64 vlag;
	u64 slice;
	u64 nr_migrations;
	int depth;
	struct sched_entity *parent;
	/* rq on which this entity is (to be) queued: */
	struct cfs_rq *cfs_rq;
	/* rq "owned" by this entity/group: */
	struct cfs_rq *my_q;
	/* cached value of my_q->h_nr_running */
	unsigned long runnable_weight;
	struct sched_avg avg;
};

struct sched_info {
	unsigned long pcount;
	unsigned long long run_delay;
	unsigned long long last_arrival;
	unsigned long long last_queued;
};

struct plist_node {
	int prio;
	struct list_head prio_list;
	struct list_head node_list;
};

typedef struct {
	unsigned long sig[1];
} sigset_t;

struct task_struct {
	/*
	 * For reasons of header soup (see current_thread_info()), this
	 * must be the first element of task_struct.
	 */
	struct thread_info thread_info;
	unsigned int __state;
	unsigned int saved_state;
	void *stack;
	refcount_t usage;
	/* Per task flags (PF_*), defined further below: */
	unsigned int flags;
	unsigned int ptrace;

	int on_cpu;
	struct __call_single_node wake_entry;
	unsigned int wakee_flips;
	unsigned long wakee_flip_decay_ts;
	struct task_struct *last_wakee;
	int recent_used_cpu;
	int wake_cpu;
	int on_rq;

	int prio;
	int static_prio;
	int normal_prio;
	unsigned int rt_priority;

	struct sched_entity se;
	const struct sched_class *sched_class;

	unsigned int policy;
	int nr_cpus_allowed;
	const cpumask_t *cpus_ptr;
	cpumask_t cpus_mask;

	struct sched_info sched_info;

	struct list_head tasks;
	struct plist_node pushable_tasks;
	struct rb_node pushable_dl_tasks;

	struct mm_struct *mm;
	struct mm_struct *active_mm;

	int exit_state;
	int exit_code;
	int exit_signal;
	/* The signal sent when the parent dies: */
	int pdeath_signal;
	/* JOBCTL_*, siglock protected: */
	unsigned long jobctl;
	unsigned int personality;

	/* Scheduler bits, serialized by scheduler locks: */
	unsigned sched_reset_on_fork:1;
	unsigned sched_contributes_to_load:1;
	unsigned sched_migrated:1;
	/* Force alignment to the next boundary: */
	unsigned :0;
	/* Unserialized, strictly 'current' */
	unsigned sched_remote_wakeup:1;
	unsigned in_execve:1;
	unsigned in_iowait:1;

	unsigned long atomic_flags;

	pid_t pid;
	pid_t tgid;

	/* Canary value for the -fstack-protector GCC feature: */
	unsigned long stack_canary;

	/* Real parent process: */
	struct task_struct *real_parent;
	/* Recipient of SIGCHLD, wait4() reports: */
	struct task_struct *parent;
	struct list_head children;
	struct list_head sibling;
	struct task_struct *group_leader;

	/* PID/PID hash table linkage. */
	struct pid *thread_pid;
	struct hlist_node pid_links[4];
	struct list_head thread_node;

	u64 utime;
	u64 stime;
	u64 gtime;

	/* Context switch counts: */
	unsigned long nvcsw;
	unsigned long nivcsw;

	/* Monotonic time in nsecs: */
	u64 start_time;
	/* Boot based time in nsecs: */
	u64 start_boottime;

	unsigned long min_flt;
	unsigned long maj_flt;

	const struct cred *ptracer_cred;
	const struct cred *real_cred;
	const struct cred *cred;

	char comm[16];

	struct nameidata *nameidata;
	struct fs_struct *fs;
	struct files_struct *files;
	struct nsproxy *nsproxy;
	struct signal_struct *signal;
	struct sighand_struct *sighand;
	sigset_t blocked;
	sigset_t real_blocked;

	/* Protection against (de-)allocation: mm, files, fs, tty, keyrings, mems_allowed, mempolicy: */
	spinlock_t alloc_lock;
	raw_spinlock_t pi_lock;

	void *journal_info;
	struct callback_head rcu;
	struct page_frag task_frag;
} __attribute__((aligned(64)));

/* include/linux/maple_tree.h */
struct maple_tree {
	union {
		spinlock_t ma_lock;
	};
	unsigned int ma_flags;
	void *ma_root;
};

/* arch/x86/include/asm/pgtable_64_types.h */
typedef unsigned long pgdval_t;
typedef unsigned long pgprotval_t;
typedef struct {
	pgdval_t pgd;
} pgd_t;
typedef struct pgprot {
	pgprotval_t pgprot;
} pgprot_t;

/* include/linux/mm_types.h */
struct vm_userfaultfd_ctx {
	struct userfaultfd_ctx *ctx;
};

struct mm_struct {
	struct {
		/*
		 * Fields which are often written to are placed in a separate
		 * cache line.
		 */
		struct {
			atomic_t mm_count;
		} __attribute__((aligned(64)));

		struct maple_tree mm_mt;
		unsigned long mmap_base;
		unsigned long mmap_legacy_base;
		unsigned long task_size;
		pgd_t *pgd;
		atomic_t membarrier_state;
		atomic_t mm_users;
		atomic_long_t pgtables_bytes;
		int map_count;
		spinlock_t page_table_lock;
		struct rw_semaphore mmap_lock;
		struct list_head mmlist;
		int mm_lock_seq;

		unsigned long hiwater_rss;
		unsigned long hiwater_vm;

		unsigned long total_vm;
		unsigned long locked_vm;
		atomic64_t pinned_vm;
		unsigned long data_vm;
		unsigned long exec_vm;
		unsigned long stack_vm;
		unsigned long def_flags;

		seqcount_t write_protect_seq;
		spinlock_t arg_lock;

		unsigned long start_code, end_code, start_data, end_data;
		unsigned long start_brk, brk, start_stack;
		unsigned long arg_start, arg_end, env_start, env_end;

		unsigned long saved_auxv[48];

		struct linux_binfmt *binfmt;
		unsigned long flags;
		struct user_namespace *user_ns;
		/* store ref to file /proc/<pid>/exe symlink points to */
		struct file *exe_file;
		struct task_struct *owner;
	};

	/*
	 * The mm_cpumask needs to be at the end of mm_struct, because it
	 * is dynamically sized based on nr_cpu_ids.
	 */
	unsigned long cpu_bitmap[];
};

struct vm_area_struct {
	/* The first cache line has the info for VMA tree walking. */
	union {
		struct {
			/* VMA covers [vm_start; vm_end) addresses within mm */
			unsigned long vm_start;
			unsigned long vm_end;
		};
		struct callback_head vm_rcu;
	};

	/* The address space we belong to. */
	struct mm_struct *vm_mm;
	/* Access permissions of this VMA. */
	pgprot_t vm_page_prot;

	/*
	 * Flags, see mm.h.
	 * To modify use vm_flags_{init|reset|set|clear|mod} functions.
	 */
	union {
		const vm_flags_t vm_flags;
		vm_flags_t __vm_flags;
	};

	bool detached;
	int vm_lock_seq;
	struct vma_lock *vm_lock;

	struct {
		struct rb_node rb;
		unsigned long rb_subtree_last;
	} shared;

	struct list_head anon_vma_chain;
	struct anon_vma *anon_vma;

	/* Function pointers to deal with this struct. */
	const struct vm_operations_struct *vm_ops;

	/* Information about our backing store: */
	unsigned long vm_pgoff;
	struct file *vm_file;
	void *vm_private_data;

	atomic_long_t swap_readahead_info;
	struct vm_userfaultfd_ctx vm_userfaultfd_ctx;
};

/* include/linux/sched/task.h */
struct kernel_clone_args {
	u64 flags;
	int *pidfd;
	int *child_tid;
	int *parent_tid;
	const char *name;
	int exit_signal;
	u32 kthread:1;
	u32 io_thread:1;
	u32 user_worker:1;
	u32 no_files:1;
	unsigned long stack;
	unsigned long stack_size;
	unsigned long tls;
	pid_t *set_tid;
	/* Number of elements in *set_tid */
	size_t set_tid_size;
	int cgroup;
	int idle;
	int (*fn)(void *);
	void *fn_arg;
	struct cgroup *cgrp;
	struct css_set *cset;
};

/*
 * The scheduler's run queues (kernel/sched/sched.h).  struct cfs_rq has Linux
 * 6.18's members and offsets (nr_queued, not 6.12's nr_running: what
 * libbpf-tools read directly).  struct rq keeps its head up to the embedded
 * cfs_rq at Linux's offsets (nr_running at 4, cfs at 128), then a selection
 * of scalar members: from leaf_cfs_rq_list on, offsets differ from Linux
 * (rt_rq, dl_rq and fair_server are left out).
 */
struct task_group;
struct root_domain;
struct sched_domain;
struct sched_dl_entity;

typedef void (*smp_call_func_t)(void *info);

/* include/linux/smp_types.h */
struct __call_single_data {
	struct __call_single_node node;
	smp_call_func_t func;
	void *info;
};

typedef struct __call_single_data call_single_data_t;

struct cfs_rq {
	struct load_weight load;
	unsigned int nr_queued;
	unsigned int h_nr_queued;
	unsigned int h_nr_runnable;
	unsigned int h_nr_idle;
	s64 sum_w_vruntime;
	u64 sum_weight;
	u64 zero_vruntime;
	struct rb_root_cached tasks_timeline;
	struct sched_entity *curr;
	struct sched_entity *next;
	struct sched_avg avg;
	struct {
		raw_spinlock_t lock;
		int nr;
		unsigned long load_avg;
		unsigned long util_avg;
		unsigned long runnable_avg;
	} __attribute__((aligned(64))) removed;
	u64 last_update_tg_load_avg;
	unsigned long tg_load_avg_contrib;
	long propagate;
	long prop_runnable_sum;
	unsigned long h_load;
	u64 last_h_load_update;
	struct sched_entity *h_load_next;
	struct rq *rq;
	int on_list;
	struct list_head leaf_cfs_rq_list;
	struct task_group *tg;
	int idle;
	int runtime_enabled;
	s64 runtime_remaining;
	u64 throttled_pelt_idle;
	u64 throttled_clock;
	u64 throttled_clock_pelt;
	u64 throttled_clock_pelt_time;
	u64 throttled_clock_self;
	u64 throttled_clock_self_time;
	bool throttled:1;
	bool pelt_clock_throttled:1;
	int throttle_count;
	struct list_head throttled_list;
	struct list_head throttled_csd_list;
	struct list_head throttled_limbo_list;
} __attribute__((aligned(64)));

struct rq {
	raw_spinlock_t __lock;
	unsigned int nr_running;
	unsigned int nr_numa_running;
	unsigned int nr_preferred_running;
	unsigned int numa_migrate_on;
	unsigned long last_blocked_load_update_tick;
	unsigned int has_blocked_load;
	call_single_data_t nohz_csd __attribute__((aligned(64)));
	unsigned int nohz_tick_stopped;
	atomic_t nohz_flags;
	unsigned int ttwu_pending;
	u64 nr_switches;
	struct cfs_rq cfs;
	struct list_head leaf_cfs_rq_list;
	struct list_head *tmp_alone_branch;
	unsigned long nr_uninterruptible;
	union {
		struct task_struct *donor;
		struct task_struct *curr;
	};
	struct sched_dl_entity *dl_server;
	struct task_struct *idle;
	struct task_struct *stop;
	unsigned long next_balance;
	struct mm_struct *prev_mm;
	unsigned int clock_update_flags;
	u64 clock;
	u64 clock_task;
	u64 clock_pelt;
	unsigned long lost_idle_time;
	u64 clock_pelt_idle;
	u64 clock_idle;
	atomic_t nr_iowait;
	struct root_domain *rd;
	struct sched_domain *sd;
	unsigned long cpu_capacity;
	int cpu;
	int online;
	struct list_head cfs_tasks;
};

/*
 * Process and namespace bookkeeping (include/linux/nsproxy.h, include/linux/pid.h,
 * include/linux/pid_namespace.h): Linux 6.18's members, order and offsets,
 * except pid_namespace, which stops after ns and work (ns_common is 6.12's
 * 24-byte one here, so ns sits at 112 as in Linux but work does not).
 */
struct uts_namespace;
struct ipc_namespace;
struct mnt_namespace;
struct pid_namespace;
struct time_namespace;
struct cgroup_namespace;
struct pidfs_attr;
struct fs_pin;
struct ucounts;
struct kmem_cache;
struct ctl_table_header;

struct nsproxy {
	refcount_t count;
	struct uts_namespace *uts_ns;
	struct ipc_namespace *ipc_ns;
	struct mnt_namespace *mnt_ns;
	struct pid_namespace *pid_ns_for_children;
	struct net *net_ns;
	struct time_namespace *time_ns;
	struct time_namespace *time_ns_for_children;
	struct cgroup_namespace *cgroup_ns;
};

struct upid {
	int nr;
	struct pid_namespace *ns;
};

struct pid {
	refcount_t count;
	unsigned int level;
	spinlock_t lock;
	struct {
		u64 ino;
		struct rb_node pidfs_node;
		struct dentry *stashed;
		struct pidfs_attr *attr;
	};
	struct hlist_head tasks[PIDTYPE_MAX];
	struct hlist_head inodes;
	wait_queue_head_t wait_pidfd;
	struct callback_head rcu;
	struct upid numbers[];
};

/* include/linux/xarray.h, include/linux/idr.h */
struct xarray {
	spinlock_t xa_lock;
	gfp_t xa_flags;
	void *xa_head;
};

struct idr {
	struct xarray idr_rt;
	unsigned int idr_base;
	unsigned int idr_next;
};

struct pid_namespace {
	struct idr idr;
	struct callback_head rcu;
	unsigned int pid_allocated;
	struct task_struct *child_reaper;
	struct kmem_cache *pid_cachep;
	unsigned int level;
	int pid_max;
	struct pid_namespace *parent;
	struct fs_pin *bacct;
	struct user_namespace *user_ns;
	struct ucounts *ucounts;
	int reboot;
	struct ns_common ns;
	struct work_struct work;
};

/*
 * The OOM killer's request (include/linux/oom.h), Linux's members and
 * offsets; nodemask_t as include/linux/nodemask_types.h (MAX_NUMNODES 1024).
 */
struct zonelist;
struct mem_cgroup;

typedef struct {
	unsigned long bits[16];
} nodemask_t;

enum oom_constraint {
	CONSTRAINT_NONE = 0,
	CONSTRAINT_CPUSET = 1,
	CONSTRAINT_MEMORY_POLICY = 2,
	CONSTRAINT_MEMCG = 3,
};

struct oom_control {
	struct zonelist *zonelist;
	nodemask_t *nodemask;
	struct mem_cgroup *memcg;
	const gfp_t gfp_mask;
	const int order;
	unsigned long totalpages;
	struct task_struct *chosen;
	long chosen_points;
	enum oom_constraint constraint;
};

/*
 * A SLUB cache (mm/slab.h) with Linux 6.12's members up to list (6.18 adds
 * lock_key, cpu_sheaves and sheaf_capacity, so name/size sit elsewhere
 * there); kobj and what follows are left out.
 */
struct kmem_cache_cpu;

struct reciprocal_value {
	u32 m;
	u8 sh1;
	u8 sh2;
};

struct kmem_cache_order_objects {
	unsigned int x;
};

struct kmem_cache {
	struct kmem_cache_cpu *cpu_slab;
	slab_flags_t flags;
	unsigned long min_partial;
	unsigned int size;
	unsigned int object_size;
	struct reciprocal_value reciprocal_size;
	unsigned int offset;
	unsigned int cpu_partial;
	unsigned int cpu_partial_slabs;
	struct kmem_cache_order_objects oo;
	struct kmem_cache_order_objects min;
	gfp_t allocflags;
	int refcount;
	void (*ctor)(void *);
	unsigned int inuse;
	unsigned int align;
	unsigned int red_left_pad;
	const char *name;
	struct list_head list;
};

/* include/linux/interrupt.h, include/linux/irqreturn.h: Linux's members and offsets. */
struct proc_dir_entry;

enum irqreturn {
	IRQ_NONE = 0,
	IRQ_HANDLED = 1,
	IRQ_WAKE_THREAD = 2,
};

typedef enum irqreturn irqreturn_t;

typedef irqreturn_t (*irq_handler_t)(int, void *);

struct irqaction {
	irq_handler_t handler;
	void *dev_id;
	void *percpu_dev_id;
	struct irqaction *next;
	irq_handler_t thread_fn;
	struct task_struct *thread;
	struct irqaction *secondary;
	unsigned int irq;
	unsigned int flags;
	unsigned long thread_flags;
	unsigned long thread_mask;
	const char *name;
	struct proc_dir_entry *dir;
} __attribute__((aligned(64)));

/* arch/x86/include/asm/kprobes.h */
typedef int kprobe_opcode_t;

/* kernel/sched/core.c */
void schedule(void);
static void __schedule(unsigned int sched_mode);
void wake_up_new_task(struct task_struct *p);
int try_to_wake_up(struct task_struct *p, unsigned int state, int wake_flags);
int wake_up_process(struct task_struct *p);
void set_task_cpu(struct task_struct *p, unsigned int new_cpu);
static struct rq *finish_task_switch(struct task_struct *prev);
void scheduler_tick(void);
int sched_setscheduler(struct task_struct *p, int policy, const struct sched_param *param);

/* kernel/fork.c, kernel/exit.c */
pid_t kernel_clone(struct kernel_clone_args *args);
static struct task_struct *copy_process(struct pid *pid, int trace, int node, struct kernel_clone_args *args);
void __put_task_struct(struct task_struct *tsk);
void __mmdrop(struct mm_struct *mm);
void do_exit(long code);
void do_group_exit(int exit_code);
static void free_item(struct callback_head *head);

/* mm/mmap.c */
unsigned long do_mmap(struct file *file, unsigned long addr, unsigned long len, unsigned long prot, unsigned long flags, vm_flags_t vm_flags, unsigned long pgoff, unsigned long *populate, struct list_head *uf);
struct vm_area_struct *vma_merge(struct mm_struct *mm, struct vm_area_struct *prev, unsigned long addr, unsigned long end, unsigned long vm_flags, struct anon_vma *anon_vma, struct file *file, pgoff_t pgoff, struct mempolicy *policy, struct vm_userfaultfd_ctx vm_userfaultfd_ctx, struct anon_vma_name *anon_name);
int do_munmap(struct mm_struct *mm, unsigned long start, size_t len, struct list_head *uf);
void exit_mmap(struct mm_struct *mm);

#endif /* _BTFSNOOP_KMODEL_SCHED_H */
