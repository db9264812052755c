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
struct pt_regs;

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

/* include/linux/signal_types.h */
struct sigpending {
	struct list_head list;
	sigset_t signal;
};

struct css_set;

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
	/* Restored if set_restore_sigmask() was used: */
	sigset_t saved_sigmask;
	struct sigpending pending;

	/* Protection against (de-)allocation: mm, files, fs, tty, keyrings, mems_allowed, mempolicy: */
	spinlock_t alloc_lock;
	raw_spinlock_t pi_lock;

	void *journal_info;
	/* Control Group info protected by css_set_lock: */
	struct css_set *cgroups;
	/* cg_list protected by css_set_lock and tsk->alloc_lock: */
	struct list_head cg_list;
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

/* include/linux/idr.h */
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

/*
 * Credentials (include/linux/cred.h, include/linux/capability.h): Linux
 * 6.12's members and order (usage is an atomic_long_t since 6.8).
 */
struct key;
struct user_struct;
struct group_info;

typedef struct {
	u64 val;
} kernel_cap_t;

struct cred {
	atomic_long_t usage;
	kuid_t uid;
	kgid_t gid;
	kuid_t suid;
	kgid_t sgid;
	kuid_t euid;
	kgid_t egid;
	kuid_t fsuid;
	kgid_t fsgid;
	unsigned int securebits;
	kernel_cap_t cap_inheritable;
	kernel_cap_t cap_permitted;
	kernel_cap_t cap_effective;
	kernel_cap_t cap_bset;
	kernel_cap_t cap_ambient;
	unsigned char jit_keyring;
	struct key *session_keyring;
	struct key *process_keyring;
	struct key *thread_keyring;
	struct key *request_key_auth;
	void *security;
	struct user_struct *user;
	struct user_namespace *user_ns;
	struct ucounts *ucounts;
	struct group_info *group_info;
	union {
		int non_rcu;
		struct callback_head rcu;
	};
};

/*
 * Signals (include/uapi/asm-generic/siginfo.h, include/linux/signal_types.h,
 * include/linux/sched/signal.h, arch/x86/include/uapi/asm/signal.h): the
 * siginfo union keeps the kill and SIGCHLD layouts; signal_struct is
 * trimmed (members kept in Linux's order).
 */
typedef void __signalfn_t(int);
typedef __signalfn_t *__sighandler_t;
typedef void __restorefn_t(void);
typedef __restorefn_t *__sigrestore_t;
typedef long __kernel_clock_t;

union __sifields {
	struct {
		__kernel_pid_t _pid;
		__kernel_uid32_t _uid;
	} _kill;
	struct {
		__kernel_pid_t _pid;
		__kernel_uid32_t _uid;
		int _status;
		__kernel_clock_t _utime;
		__kernel_clock_t _stime;
	} _sigchld;
};

typedef struct kernel_siginfo {
	struct {
		int si_signo;
		int si_errno;
		int si_code;
		union __sifields _sifields;
	};
} kernel_siginfo_t;

struct sigaction {
	__sighandler_t sa_handler;
	unsigned long sa_flags;
	__sigrestore_t sa_restorer;
	sigset_t sa_mask;
};

struct k_sigaction {
	struct sigaction sa;
};

struct ksignal {
	struct k_sigaction ka;
	kernel_siginfo_t info;
	int sig;
};

struct sigqueue {
	struct list_head list;
	int flags;
	kernel_siginfo_t info;
	struct ucounts *ucounts;
};

struct sighand_struct {
	spinlock_t siglock;
	refcount_t count;
	wait_queue_head_t signalfd_wqh;
	struct k_sigaction action[64];
};

/* include/uapi/linux/resource.h */
struct rlimit {
	__kernel_ulong_t rlim_cur;
	__kernel_ulong_t rlim_max;
};

struct tty_struct;

struct signal_struct {
	refcount_t sigcnt;
	atomic_t live;
	int nr_threads;
	int quick_threads;
	struct list_head thread_head;
	wait_queue_head_t wait_chldexit;
	struct task_struct *curr_target;
	struct sigpending shared_pending;
	struct hlist_head multiprocess;
	int group_exit_code;
	int notify_count;
	struct task_struct *group_exec_task;
	int group_stop_count;
	unsigned int flags;
	struct pid *pids[PIDTYPE_MAX];
	struct pid *tty_old_pgrp;
	int leader;
	struct tty_struct *tty;
	u64 utime;
	u64 stime;
	u64 cutime;
	u64 cstime;
	u64 gtime;
	u64 cgtime;
	unsigned long nvcsw;
	unsigned long nivcsw;
	unsigned long cnvcsw;
	unsigned long cnivcsw;
	unsigned long min_flt;
	unsigned long maj_flt;
	unsigned long cmin_flt;
	unsigned long cmaj_flt;
	unsigned long maxrss;
	unsigned long cmaxrss;
	unsigned long long sum_sched_runtime;
	struct rlimit rlim[16];
	bool oom_flag_origin;
	short oom_score_adj;
	short oom_score_adj_min;
	struct mm_struct *oom_mm;
	struct mutex cred_guard_mutex;
	struct rw_semaphore exec_update_lock;
};

/*
 * Control groups (include/linux/cgroup-defs.h, include/linux/kernfs.h,
 * include/linux/percpu-refcount.h), trimmed: Linux 6.12's members in order.
 * CGROUP_SUBSYS_COUNT is 12 as in a distribution kernel.
 */
struct cgroup_subsys;
struct cgroup_root;
struct percpu_ref_data;
struct kernfs_iattrs;

struct percpu_ref {
	unsigned long percpu_count_ptr;
	struct percpu_ref_data *data;
};

struct cgroup_subsys_state {
	struct cgroup *cgroup;
	struct cgroup_subsys *ss;
	struct percpu_ref refcnt;
	struct list_head sibling;
	struct list_head children;
	struct list_head rstat_css_node;
	int id;
	unsigned int flags;
	u64 serial_nr;
	atomic_t online_cnt;
	struct work_struct destroy_work;
	struct cgroup_subsys_state *parent;
};

struct kernfs_node {
	atomic_t count;
	atomic_t active;
	struct kernfs_node *parent;
	const char *name;
	struct rb_node rb;
	const void *ns;
	unsigned int hash;
	unsigned short flags;
	umode_t mode;
	u64 id;
	void *priv;
	struct kernfs_iattrs *iattr;
	struct callback_head rcu;
};

struct cgroup {
	struct cgroup_subsys_state self;
	unsigned long flags;
	int level;
	int max_depth;
	int nr_descendants;
	int nr_dying_descendants;
	int max_descendants;
	int nr_populated_csets;
	int nr_populated_domain_children;
	int nr_populated_threaded_children;
	int nr_threaded_children;
	struct kernfs_node *kn;
	struct cgroup_subsys_state *subsys[12];
	struct cgroup_root *root;
	struct list_head cset_links;
	struct cgroup *dom_cgrp;
	struct cgroup *old_dom_cgrp;
	struct cgroup *ancestors[];
};

struct css_set {
	struct cgroup_subsys_state *subsys[12];
	refcount_t refcount;
	struct css_set *dom_cset;
	struct cgroup *dfl_cgrp;
	int nr_tasks;
	struct list_head tasks;
	struct list_head mg_tasks;
	struct list_head dying_tasks;
};

/* include/linux/binfmts.h, fs/exec.c */
typedef u32 compat_uptr_t;

struct linux_binprm {
	struct vm_area_struct *vma;
	unsigned long vma_pages;
	unsigned long argmin;
	struct mm_struct *mm;
	unsigned long p;
	unsigned int have_execfd:1;
	unsigned int execfd_creds:1;
	unsigned int secureexec:1;
	unsigned int point_of_no_return:1;
	struct file *executable;
	struct file *interpreter;
	struct file *file;
	struct cred *cred;
	int unsafe;
	unsigned int per_clear;
	int argc, envc;
	const char *filename;
	const char *interp;
	const char *fdpath;
	unsigned int interp_flags;
	int execfd;
	unsigned long exec;
	struct rlimit rlim_stack;
	char buf[256];
};

struct user_arg_ptr {
	bool is_compat;
	union {
		const char *const *native;
		const compat_uptr_t *compat;
	} ptr;
};

/* kernel/exit.h (child_wait left out) */
struct waitid_info;
struct rusage;

struct wait_opts {
	enum pid_type wo_type;
	int wo_flags;
	struct pid *wo_pid;
	struct waitid_info *wo_info;
	int wo_stat;
	struct rusage *wo_rusage;
	int notask_error;
};

/* kernel/sched/sched.h, kernel/sched/fair.c, include/uapi/linux/sched/types.h */
struct sched_group;
struct fd_range;
struct hrtimer;
struct hrtimer_sleeper;

struct rq_flags {
	unsigned long flags;
	unsigned int clock_update_flags;
};

struct sched_param {
	int sched_priority;
};

struct sched_attr {
	__u32 size;
	__u32 sched_policy;
	__u64 sched_flags;
	__s32 sched_nice;
	__u32 sched_priority;
	__u64 sched_runtime;
	__u64 sched_deadline;
	__u64 sched_period;
	__u32 sched_util_min;
	__u32 sched_util_max;
};

enum cpu_idle_type {
	__CPU_NOT_IDLE = 0,
	CPU_IDLE = 1,
	CPU_NEWLY_IDLE = 2,
	CPU_MAX_IDLE_TYPES = 3,
};

enum fbq_type {
	regular = 0,
	remote = 1,
	all = 2,
};

enum migration_type {
	migrate_load = 0,
	migrate_util = 1,
	migrate_task = 2,
	migrate_misfit = 3,
};

struct lb_env {
	struct sched_domain *sd;
	struct rq *src_rq;
	int src_cpu;
	int dst_cpu;
	struct rq *dst_rq;
	struct cpumask *dst_grpmask;
	int new_dst_cpu;
	enum cpu_idle_type idle;
	long imbalance;
	struct cpumask *cpus;
	unsigned int flags;
	unsigned int loop;
	unsigned int loop_break;
	unsigned int loop_max;
	enum fbq_type fbq_type;
	enum migration_type migration_type;
	struct list_head tasks;
};

/* kernel/sched/core.c */
void schedule(void);
static void __schedule(unsigned int sched_mode);
void wake_up_new_task(struct task_struct *p);
int try_to_wake_up(struct task_struct *p, unsigned int state, int wake_flags);
int wake_up_process(struct task_struct *p);
void set_task_cpu(struct task_struct *p, unsigned int new_cpu);
static struct rq *finish_task_switch(struct task_struct *prev);
void sched_tick(void);
int sched_setscheduler(struct task_struct *p, int policy, const struct sched_param *param);
static struct rq *context_switch(struct rq *rq, struct task_struct *prev, struct task_struct *next, struct rq_flags *rf);
void update_rq_clock(struct rq *rq);
void activate_task(struct rq *rq, struct task_struct *p, int flags);
void deactivate_task(struct rq *rq, struct task_struct *p, int flags);
static void ttwu_do_activate(struct rq *rq, struct task_struct *p, int wake_flags, struct rq_flags *rf);
void wakeup_preempt(struct rq *rq, struct task_struct *p, int flags);
void resched_curr(struct rq *rq);
int sched_fork(unsigned long clone_flags, struct task_struct *p);
int sched_cgroup_fork(struct task_struct *p, struct kernel_clone_args *kargs);
void sched_post_fork(struct task_struct *p);
void sched_exec(void);
void do_task_dead(void);
static int __sched_setscheduler(struct task_struct *p, const struct sched_attr *attr, bool user, bool pi);
static int do_sched_setscheduler(pid_t pid, int policy, struct sched_param *param);
static void do_sched_yield(void);

/* kernel/sched/fair.c */
static void update_curr(struct cfs_rq *cfs_rq);
static void enqueue_task_fair(struct rq *rq, struct task_struct *p, int flags);
static bool dequeue_task_fair(struct rq *rq, struct task_struct *p, int flags);
static void yield_task_fair(struct rq *rq);
static void check_preempt_wakeup_fair(struct rq *rq, struct task_struct *p, int wake_flags);
struct task_struct *pick_next_task_fair(struct rq *rq, struct task_struct *prev, struct rq_flags *rf);
static void put_prev_task_fair(struct rq *rq, struct task_struct *prev, struct task_struct *next);
static void set_next_task_fair(struct rq *rq, struct task_struct *p, bool first);
static void put_prev_entity(struct cfs_rq *cfs_rq, struct sched_entity *prev);
static void set_next_entity(struct cfs_rq *cfs_rq, struct sched_entity *se);
static int select_task_rq_fair(struct task_struct *p, int prev_cpu, int wake_flags);
static void task_tick_fair(struct rq *rq, struct task_struct *curr, int queued);
static void task_fork_fair(struct task_struct *p);
static int sched_balance_rq(int this_cpu, struct rq *this_rq, struct sched_domain *sd, enum cpu_idle_type idle, int *continue_balancing);
static struct sched_group *sched_balance_find_src_group(struct lb_env *env);
static struct rq *sched_balance_find_src_rq(struct lb_env *env, struct sched_group *group);
static int detach_tasks(struct lb_env *env);
static void attach_tasks(struct lb_env *env);
static int sched_balance_newidle(struct rq *this_rq, struct rq_flags *rf);
static void sched_balance_domains(struct rq *rq, enum cpu_idle_type idle);
void sched_balance_trigger(struct rq *rq);

/* arch/x86/mm/tlb.c, arch/x86/kernel/process_64.c */
void switch_mm_irqs_off(struct mm_struct *unused, struct mm_struct *next, struct task_struct *tsk);
struct task_struct *__switch_to(struct task_struct *prev_p, struct task_struct *next_p);
void start_thread(struct pt_regs *regs, unsigned long new_ip, unsigned long new_sp);
int copy_thread(struct task_struct *p, const struct kernel_clone_args *args);
void exit_thread(struct task_struct *tsk);

/* kernel/time/hrtimer.c: nanosleep */
long hrtimer_nanosleep(ktime_t rqtp, const enum hrtimer_mode mode, const clockid_t clockid);
static int do_nanosleep(struct hrtimer_sleeper *t, enum hrtimer_mode mode);
static enum hrtimer_restart hrtimer_wakeup(struct hrtimer *timer);

/* kernel/fork.c, kernel/exit.c, kernel/cred.c, kernel/pid.c, kernel/nsproxy.c, kernel/cgroup/cgroup.c */
pid_t kernel_clone(struct kernel_clone_args *args);
static struct task_struct *copy_process(struct pid *pid, int trace, int node, struct kernel_clone_args *args);
static struct task_struct *dup_task_struct(struct task_struct *orig, int node);
int copy_creds(struct task_struct *p, unsigned long clone_flags);
static int copy_files(unsigned long clone_flags, struct task_struct *tsk, int no_files);
static int copy_fs(unsigned long clone_flags, struct task_struct *tsk);
static int copy_sighand(unsigned long clone_flags, struct task_struct *tsk);
static int copy_signal(unsigned long clone_flags, struct task_struct *tsk);
static int copy_mm(unsigned long clone_flags, struct task_struct *tsk);
static struct mm_struct *dup_mm(struct task_struct *tsk, struct mm_struct *oldmm);
struct mm_struct *mm_alloc(void);
int copy_namespaces(unsigned long flags, struct task_struct *tsk);
struct pid *alloc_pid(struct pid_namespace *ns, pid_t *set_tid, size_t set_tid_size);
int cgroup_can_fork(struct task_struct *child, struct kernel_clone_args *kargs);
void cgroup_post_fork(struct task_struct *child, struct kernel_clone_args *kargs);
void __put_task_struct(struct task_struct *tsk);
void put_task_struct_rcu_user(struct task_struct *task);
static void delayed_put_task_struct(struct callback_head *rhp);
void free_task(struct task_struct *tsk);
void __mmdrop(struct mm_struct *mm);
void mmput(struct mm_struct *mm);
void exit_creds(struct task_struct *tsk);
void __put_cred(struct cred *cred);
void free_pid(struct pid *pid);
void detach_pid(struct task_struct *task, enum pid_type type);
void do_exit(long code);
void do_group_exit(int exit_code);
static void exit_mm(void);
void exit_files(struct task_struct *tsk);
void put_files_struct(struct files_struct *files);
void exit_fs(struct task_struct *tsk);
void exit_task_namespaces(struct task_struct *p);
static void exit_notify(struct task_struct *tsk, int group_dead);
bool do_notify_parent(struct task_struct *tsk, int sig);
void __wake_up_parent(struct task_struct *p, struct task_struct *parent);
void cgroup_exit(struct task_struct *tsk);
void release_task(struct task_struct *p);
static void __exit_signal(struct task_struct *tsk);
void __cleanup_sighand(struct sighand_struct *sighand);
long kernel_wait4(pid_t upid, int *stat_addr, int options, struct rusage *ru);
static long do_wait(struct wait_opts *wo);
static int wait_consider_task(struct wait_opts *wo, int ptrace, struct task_struct *p);
static int wait_task_zombie(struct wait_opts *wo, struct task_struct *p);
pid_t __task_pid_nr_ns(struct task_struct *task, enum pid_type type, struct pid_namespace *ns);
static void free_item(struct callback_head *head);

/* fs/exec.c, fs/binfmt_elf.c */
static int do_execveat_common(int fd, struct filename *filename, struct user_arg_ptr argv, struct user_arg_ptr envp, int flags);
static struct linux_binprm *alloc_bprm(int fd, struct filename *filename, int flags);
static int bprm_execve(struct linux_binprm *bprm);
static int exec_binprm(struct linux_binprm *bprm);
static int search_binary_handler(struct linux_binprm *bprm);
static int load_elf_binary(struct linux_binprm *bprm);
int begin_new_exec(struct linux_binprm *bprm);
static int exec_mmap(struct mm_struct *mm);
void __set_task_comm(struct task_struct *tsk, const char *from, bool exec);
void setup_new_exec(struct linux_binprm *bprm);
static void free_bprm(struct linux_binprm *bprm);

/* kernel/signal.c, arch/x86/kernel/signal.c */
static int kill_something_info(int sig, struct kernel_siginfo *info, pid_t pid);
int kill_pid_info(int sig, struct kernel_siginfo *info, struct pid *pid);
int kill_pid_info_type(int sig, struct kernel_siginfo *info, struct pid *pid, enum pid_type type);
int group_send_sig_info(int sig, struct kernel_siginfo *info, struct task_struct *p, enum pid_type type);
static int check_kill_permission(int sig, struct kernel_siginfo *info, struct task_struct *t);
int do_send_sig_info(int sig, struct kernel_siginfo *info, struct task_struct *p, enum pid_type type);
int send_signal_locked(int sig, struct kernel_siginfo *info, struct task_struct *t, enum pid_type type);
static int __send_signal_locked(int sig, struct kernel_siginfo *info, struct task_struct *t, enum pid_type type, bool force);
static struct sigqueue *__sigqueue_alloc(int sig, struct task_struct *t, gfp_t gfp_flags, int override_rlimit, const unsigned int sigqueue_flags);
static void __sigqueue_free(struct sigqueue *q);
static void complete_signal(int sig, struct task_struct *p, enum pid_type type);
void signal_wake_up_state(struct task_struct *t, unsigned int state);
void exit_signals(struct task_struct *tsk);
bool get_signal(struct ksignal *ksig);
int dequeue_signal(sigset_t *mask, kernel_siginfo_t *info, enum pid_type *type);
void signal_setup_done(int failed, struct ksignal *ksig, int stepping);
void arch_do_signal_or_restart(struct pt_regs *regs);
static void handle_signal(struct ksignal *ksig, struct pt_regs *regs);

/* mm/oom_kill.c */
bool out_of_memory(struct oom_control *oc);
static void select_bad_process(struct oom_control *oc);
static int oom_evaluate_task(struct task_struct *task, void *arg);
long oom_badness(struct task_struct *p, unsigned long totalpages);
static void dump_header(struct oom_control *oc);
static void oom_kill_process(struct oom_control *oc, const char *message);
static void __oom_kill_process(struct task_struct *victim, const char *message);
static void mark_oom_victim(struct task_struct *tsk);
static void queue_oom_reaper(struct task_struct *tsk);
static void wake_oom_reaper(struct timer_list *timer);
static void oom_reap_task(struct task_struct *tsk);
bool __oom_reap_task_mm(struct mm_struct *mm);

/* mm/mmap.c */
unsigned long do_mmap(struct file *file, unsigned long addr, unsigned long len, unsigned long prot, unsigned long flags, vm_flags_t vm_flags, unsigned long pgoff, unsigned long *populate, struct list_head *uf);
struct vm_area_struct *vma_merge(struct mm_struct *mm, struct vm_area_struct *prev, unsigned long addr, unsigned long end, unsigned long vm_flags, struct anon_vma *anon_vma, struct file *file, pgoff_t pgoff, struct mempolicy *policy, struct vm_userfaultfd_ctx vm_userfaultfd_ctx, struct anon_vma_name *anon_name);
int do_munmap(struct mm_struct *mm, unsigned long start, size_t len, struct list_head *uf);
void exit_mmap(struct mm_struct *mm);

/*
 * Trace records of the process, scheduler, signal and oom events
 * (include/trace/events/sched.h, task.h, signal.h, oom.h) as Linux 6.12's
 * format files lay them out (comm arrays, not 6.18's __data_loc comm), and
 * their raw tracepoint prototypes. signal_generate's record is in trace.h.
 */
struct trace_event_raw_sched_process_fork {
	struct trace_entry ent;
	char parent_comm[16];
	pid_t parent_pid;
	char child_comm[16];
	pid_t child_pid;
	char __data[0];
};

struct trace_event_raw_sched_process_exec {
	struct trace_entry ent;
	u32 __data_loc_filename;
	pid_t pid;
	pid_t old_pid;
	char __data[0];
};

struct trace_event_raw_sched_process_template {
	struct trace_entry ent;
	char comm[16];
	pid_t pid;
	int prio;
	char __data[0];
};

struct trace_event_raw_sched_process_wait {
	struct trace_entry ent;
	char comm[16];
	pid_t pid;
	int prio;
	char __data[0];
};

struct trace_event_raw_sched_wakeup_template {
	struct trace_entry ent;
	char comm[16];
	pid_t pid;
	int prio;
	int target_cpu;
	char __data[0];
};

struct trace_event_raw_sched_stat_runtime {
	struct trace_entry ent;
	char comm[16];
	pid_t pid;
	u64 runtime;
	char __data[0];
};

struct trace_event_raw_task_newtask {
	struct trace_entry ent;
	pid_t pid;
	char comm[16];
	unsigned long clone_flags;
	short oom_score_adj;
	char __data[0];
};

struct trace_event_raw_task_rename {
	struct trace_entry ent;
	pid_t pid;
	char oldcomm[16];
	char newcomm[16];
	short oom_score_adj;
	char __data[0];
};

struct trace_event_raw_signal_deliver {
	struct trace_entry ent;
	int sig;
	int errno;
	int code;
	unsigned long sa_handler;
	unsigned long sa_flags;
	char __data[0];
};

struct trace_event_raw_mark_victim {
	struct trace_entry ent;
	int pid;
	u32 __data_loc_comm;
	unsigned long total_vm;
	unsigned long anon_rss;
	unsigned long file_rss;
	unsigned long shmem_rss;
	uid_t uid;
	unsigned long pgtables;
	short oom_score_adj;
	char __data[0];
};

struct trace_event_raw_wake_reaper {
	struct trace_entry ent;
	int pid;
	char __data[0];
};

struct trace_event_raw_start_task_reaping {
	struct trace_entry ent;
	int pid;
	char __data[0];
};

struct trace_event_raw_finish_task_reaping {
	struct trace_entry ent;
	int pid;
	char __data[0];
};

typedef void (*btf_trace_sched_process_fork)(void *__data, struct task_struct *parent, struct task_struct *child);
typedef void (*btf_trace_sched_process_exec)(void *__data, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm);
typedef void (*btf_trace_sched_process_exit)(void *__data, struct task_struct *p);
typedef void (*btf_trace_sched_process_free)(void *__data, struct task_struct *p);
typedef void (*btf_trace_sched_process_wait)(void *__data, struct pid *pid);
typedef void (*btf_trace_sched_waking)(void *__data, struct task_struct *p);
typedef void (*btf_trace_sched_wakeup)(void *__data, struct task_struct *p);
typedef void (*btf_trace_sched_wakeup_new)(void *__data, struct task_struct *p);
typedef void (*btf_trace_sched_stat_runtime)(void *__data, struct task_struct *tsk, u64 runtime);
typedef void (*btf_trace_task_newtask)(void *__data, struct task_struct *task, unsigned long clone_flags);
typedef void (*btf_trace_task_rename)(void *__data, struct task_struct *task, const char *comm);
typedef void (*btf_trace_signal_generate)(void *__data, int sig, struct kernel_siginfo *info, struct task_struct *task, int group, int result);
typedef void (*btf_trace_signal_deliver)(void *__data, int sig, struct kernel_siginfo *info, struct k_sigaction *ka);
typedef void (*btf_trace_mark_victim)(void *__data, struct task_struct *task, uid_t uid);
typedef void (*btf_trace_wake_reaper)(void *__data, int pid);
typedef void (*btf_trace_start_task_reaping)(void *__data, int pid);
typedef void (*btf_trace_finish_task_reaping)(void *__data, int pid);

#endif /* _BTFSNOOP_KMODEL_SCHED_H */
