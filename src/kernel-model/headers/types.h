/*
 * types.h - base kernel types for the btfsnoop synthetic kernel.
 *
 * Modelled on include/linux/types.h, include/uapi/asm-generic/int-ll64.h,
 * include/linux/ktime.h, include/linux/atomic.h, include/linux/refcount_types.h,
 * include/linux/rbtree_types.h, include/linux/dcache.h (qstr),
 * include/linux/spinlock_types.h, include/linux/pid.h and include/linux/uio.h
 * (struct iov_iter, kept here because net.h embeds it by value in msghdr
 * and fs.h uses it in read_iter/write_iter) of Linux 6.x, x86_64 (LP64).
 *
 * Every other header in this directory requires this one to come first.
 * Only the restricted C subset understood by src/kernel-model/ctypes is used.
 */
#ifndef _BTFSNOOP_KMODEL_TYPES_H
#define _BTFSNOOP_KMODEL_TYPES_H

/* include/uapi/asm-generic/int-ll64.h */
typedef signed char __s8;
typedef unsigned char __u8;
typedef signed short __s16;
typedef unsigned short __u16;
typedef signed int __s32;
typedef unsigned int __u32;
typedef signed long long __s64;
typedef unsigned long long __u64;

/* include/asm-generic/int-ll64.h */
typedef __s8 s8;
typedef __u8 u8;
typedef __s16 s16;
typedef __u16 u16;
typedef __s32 s32;
typedef __u32 u32;
typedef __s64 s64;
typedef __u64 u64;

typedef __int128 s128;
typedef unsigned __int128 u128;

/* include/uapi/linux/types.h (sparse annotations stripped) */
typedef __u16 __le16;
typedef __u16 __be16;
typedef __u32 __le32;
typedef __u32 __be32;
typedef __u64 __le64;
typedef __u64 __be64;
typedef __u16 __sum16;
typedef __u32 __wsum;

/* include/uapi/asm-generic/posix_types.h */
typedef long __kernel_long_t;
typedef unsigned long __kernel_ulong_t;
typedef int __kernel_pid_t;
typedef unsigned int __kernel_uid32_t;
typedef unsigned int __kernel_gid32_t;
typedef __kernel_ulong_t __kernel_size_t;
typedef __kernel_long_t __kernel_ssize_t;
typedef long long __kernel_loff_t;
typedef __kernel_long_t __kernel_off_t;
typedef long long __kernel_time64_t;
typedef int __kernel_clockid_t;

/* include/linux/types.h */
typedef _Bool bool;
typedef __u32 __kernel_dev_t;
typedef __kernel_dev_t dev_t;
typedef unsigned short umode_t;
typedef __kernel_pid_t pid_t;
typedef __kernel_clockid_t clockid_t;
typedef __kernel_uid32_t uid_t;
typedef __kernel_gid32_t gid_t;
typedef __kernel_loff_t loff_t;
typedef __kernel_off_t off_t;
typedef __kernel_size_t size_t;
typedef __kernel_ssize_t ssize_t;
typedef __kernel_time64_t time64_t;
typedef unsigned long uintptr_t;
typedef long intptr_t;
/* include/linux/types.h: the C99 names the kernel defines for itself */
typedef u32 uint32_t;

typedef u64 sector_t;
typedef unsigned long pgoff_t;
typedef u64 blkcnt_t;
typedef unsigned int gfp_t;
typedef unsigned int slab_flags_t;
typedef unsigned int fmode_t;
typedef u64 phys_addr_t;
typedef phys_addr_t resource_size_t;
typedef unsigned long irq_hw_number_t;
typedef __u32 blk_opf_t;
typedef u8 blk_status_t;
typedef unsigned int __poll_t;

/* include/linux/ktime.h */
typedef s64 ktime_t;

/* include/linux/uidgid_types.h */
typedef struct {
	uid_t val;
} kuid_t;

typedef struct {
	gid_t val;
} kgid_t;

/* include/linux/types.h: atomics */
typedef struct {
	int counter;
} atomic_t;

typedef struct {
	s64 counter;
} atomic64_t;

typedef atomic64_t atomic_long_t;

/* include/linux/refcount_types.h */
typedef struct refcount_struct {
	atomic_t refs;
} refcount_t;

/* include/linux/kref.h */
struct kref {
	refcount_t refcount;
};

/* include/linux/types.h: lists */
struct list_head {
	struct list_head *next, *prev;
};

struct hlist_head {
	struct hlist_node *first;
};

struct hlist_node {
	struct hlist_node *next, **pprev;
};

/* include/linux/llist.h */
struct llist_node {
	struct llist_node *next;
};

struct llist_head {
	struct llist_node *first;
};

/* include/linux/rbtree_types.h */
struct rb_node {
	unsigned long __rb_parent_color;
	struct rb_node *rb_right;
	struct rb_node *rb_left;
} __attribute__((aligned(8)));

struct rb_root {
	struct rb_node *rb_node;
};

struct rb_root_cached {
	struct rb_root rb_root;
	struct rb_node *rb_leftmost;
};

/* include/linux/types.h: RCU callback */
struct callback_head {
	struct callback_head *next;
	void (*func)(struct callback_head *head);
} __attribute__((aligned(8)));

typedef void (*rcu_callback_t)(struct callback_head *head);

/* include/linux/time64.h */
struct timespec64 {
	time64_t tv_sec;
	long tv_nsec;
};

/* include/linux/dcache.h: quick string */
struct qstr {
	union {
		struct {
			u32 hash;
			u32 len;
		};
		u64 hash_len;
	};
	const unsigned char *name;
};

/* include/linux/spinlock_types_raw.h / spinlock_types.h (no lockdep) */
typedef struct qspinlock {
	union {
		atomic_t val;
		struct {
			u8 locked;
			u8 pending;
		};
		struct {
			u16 locked_pending;
			u16 tail;
		};
	};
} arch_spinlock_t;

typedef struct raw_spinlock {
	arch_spinlock_t raw_lock;
} raw_spinlock_t;

typedef struct spinlock {
	union {
		struct raw_spinlock rlock;
	};
} spinlock_t;

/* include/linux/seqlock_types.h */
typedef struct seqcount {
	unsigned sequence;
} seqcount_t;

typedef struct {
	seqcount_t seqcount;
	spinlock_t lock;
} seqlock_t;

/* include/linux/smp_types.h */
struct __call_single_node {
	struct llist_node llist;
	union {
		unsigned int u_flags;
		atomic_t a_flags;
	};
	u16 src, dst;
};

/*
 * The common fields every trace event record starts with
 * (include/linux/trace_events.h); the records themselves are in trace.h.
 */
struct trace_entry {
	unsigned short type;
	unsigned char flags;
	unsigned char preempt_count;
	int pid;
};

/* include/linux/ns_common.h (6.12) */
struct proc_ns_operations;

struct ns_common {
	atomic_long_t stashed;
	const struct proc_ns_operations *ns_ops;
	unsigned int inum;
	refcount_t count;
};

/* include/linux/rwlock_types.h (simplified) */
typedef struct {
	atomic_t cnts;
	arch_spinlock_t wait_lock;
} rwlock_t;

/* include/linux/mutex_types.h */
struct mutex {
	atomic_long_t owner;
	raw_spinlock_t wait_lock;
	struct list_head wait_list;
};

/* include/linux/rwsem.h */
struct rw_semaphore {
	atomic_long_t count;
	atomic_long_t owner;
	raw_spinlock_t wait_lock;
	struct list_head wait_list;
};

/* include/linux/wait.h */
struct wait_queue_head {
	spinlock_t lock;
	struct list_head head;
};
typedef struct wait_queue_head wait_queue_head_t;

/* include/linux/workqueue_types.h */
struct work_struct;
typedef void (*work_func_t)(struct work_struct *work);

struct work_struct {
	atomic_long_t data;
	struct list_head entry;
	work_func_t func;
};

struct page;

/* include/linux/timer_types.h */
struct timer_list {
	struct hlist_node entry;
	unsigned long expires;
	void (*function)(struct timer_list *timer);
	u32 flags;
};

/* include/linux/mm_types_task.h */
struct page_frag {
	struct page *page;
	__u32 offset;
	__u32 size;
};

/* include/linux/printk.h */
int _printk(const char *fmt, ...);

/* include/linux/pid_types.h */
enum pid_type {
	PIDTYPE_PID,
	PIDTYPE_TGID,
	PIDTYPE_PGID,
	PIDTYPE_SID,
	PIDTYPE_MAX,
};

/* include/linux/xarray.h (address_space and idr embed one) */
struct xarray {
	spinlock_t xa_lock;
	gfp_t xa_flags;
	void *xa_head;
};

/* include/linux/hrtimer.h (sched.h's nanosleep and irq.h's hrtimers take one) */
enum hrtimer_mode {
	HRTIMER_MODE_ABS = 0,
	HRTIMER_MODE_REL = 1,
	HRTIMER_MODE_PINNED = 2,
	HRTIMER_MODE_SOFT = 4,
	HRTIMER_MODE_HARD = 8,
	HRTIMER_MODE_ABS_PINNED = 2,
	HRTIMER_MODE_REL_PINNED = 3,
	HRTIMER_MODE_ABS_SOFT = 4,
	HRTIMER_MODE_REL_SOFT = 5,
	HRTIMER_MODE_ABS_PINNED_SOFT = 6,
	HRTIMER_MODE_REL_PINNED_SOFT = 7,
	HRTIMER_MODE_ABS_HARD = 8,
	HRTIMER_MODE_REL_HARD = 9,
	HRTIMER_MODE_ABS_PINNED_HARD = 10,
	HRTIMER_MODE_REL_PINNED_HARD = 11,
};

/* include/linux/uio.h */

struct iovec {
	void *iov_base;
	__kernel_size_t iov_len;
};

struct kvec {
	void *iov_base;
	size_t iov_len;
};

struct bio_vec {
	struct page *bv_page;
	unsigned int bv_len;
	unsigned int bv_offset;
};

enum iter_type {
	ITER_UBUF,
	ITER_IOVEC,
	ITER_BVEC,
	ITER_KVEC,
	ITER_XARRAY,
	ITER_DISCARD,
};

struct iov_iter {
	u8 iter_type;
	bool nofault;
	bool data_source;
	size_t iov_offset;
	union {
		struct iovec __ubuf_iovec;
		struct {
			union {
				const struct iovec *__iov;
				const struct kvec *kvec;
				const struct bio_vec *bvec;
				struct xarray *xarray;
				void *ubuf;
			};
			size_t count;
		};
	};
	union {
		unsigned long nr_segs;
		loff_t xarray_start;
	};
};

#endif /* _BTFSNOOP_KMODEL_TYPES_H */
