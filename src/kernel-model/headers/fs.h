/*
 * fs.h - VFS layer of the btfsnoop synthetic kernel.
 *
 * Modelled on include/linux/fs.h, include/linux/dcache.h, include/linux/path.h,
 * include/linux/mount.h, include/linux/fdtable.h, include/linux/lockref.h,
 * include/linux/list_bl.h, include/uapi/linux/openat2.h, fs/internal.h and
 * fs/open.c of Linux 6.x (x86_64), trimmed to the important members while
 * keeping the real member order.  struct iov_iter lives in types.h.
 * Also the page cache and writeback types (address_space, readahead_control,
 * folio_batch, writeback_control, bdi_writeback, wb_writeback_work), stat
 * (kstat, the x86-64 struct stat), path walks (nameidata, renamedata), the
 * filemap and writeback trace event records with their btf_trace typedefs,
 * and the prototypes of Linux 6.12's VFS, page cache, writeback, ext4,
 * tmpfs and procfs functions the fs paths implement (paths/fs.ts).
 *
 * Requires: types.h.  Types owned by other headers are only forward-declared.
 */
#ifndef _BTFSNOOP_KMODEL_FS_H
#define _BTFSNOOP_KMODEL_FS_H

#define DNAME_INLINE_LEN 32
#define NR_OPEN_DEFAULT 64
#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_CREAT 64
#define O_TRUNC 512
#define O_APPEND 1024
#define O_CLOEXEC 524288

struct file;
struct inode;
struct dentry;
struct super_block;
struct module;
struct pid;
struct cred;
struct page;
struct posix_acl;
struct address_space;
struct inode_operations;
struct dentry_operations;
struct super_operations;
struct file_system_type;
struct file_lock_context;
struct file_lock;
struct pipe_inode_info;
struct cdev;
struct mnt_idmap;
struct audit_names;
struct nameidata;
struct poll_table_struct;
struct vm_area_struct;
struct wait_page_queue;
struct io_comp_batch;
struct dir_context;
struct seq_file;
struct pipe_inode_info;

typedef u32 errseq_t;
typedef void *fl_owner_t;
typedef __kernel_ulong_t ino_t;
typedef unsigned int fgf_t;
typedef struct jbd2_journal_handle handle_t;

struct jbd2_journal_handle;
struct address_space_operations;
struct backing_dev_info;
struct wb_completion;
struct ext4_io_submit;
struct mpage_da_data;
struct saved;
struct folio_batch;
struct buffer_head;
struct bio;

/* include/linux/list_bl.h */
struct hlist_bl_head {
	struct hlist_bl_node *first;
};

struct hlist_bl_node {
	struct hlist_bl_node *next, **pprev;
};

/* include/linux/lockref.h */
struct lockref {
	union {
		__u64 lock_count __attribute__((aligned(8)));
		struct {
			spinlock_t lock;
			int count;
		};
	};
};

/* include/linux/seqlock_types.h (lockdep off) */
typedef struct seqcount_spinlock {
	seqcount_t seqcount;
} seqcount_spinlock_t;

/* include/linux/mount.h */
struct vfsmount {
	struct dentry *mnt_root;
	struct super_block *mnt_sb;
	int mnt_flags;
	struct mnt_idmap *mnt_idmap;
};

/* include/linux/path.h */
struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
};

/* include/linux/fs.h */
struct super_block {
	struct list_head s_list;
	dev_t s_dev;
	unsigned char s_blocksize_bits;
	unsigned long s_blocksize;
	loff_t s_maxbytes;
	struct file_system_type *s_type;
	const struct super_operations *s_op;
	unsigned long s_flags;
	unsigned long s_iflags;
	unsigned long s_magic;
	struct dentry *s_root;
	struct rw_semaphore s_umount;
	int s_count;
	atomic_t s_active;
	void *s_fs_info;
	char s_id[32];
	u8 s_uuid_len;
};

struct fown_struct {
	rwlock_t lock;
	struct pid *pid;
	enum pid_type pid_type;
	kuid_t uid, euid;
	int signum;
};

struct file_ra_state {
	pgoff_t start;
	unsigned int size;
	unsigned int async_size;
	unsigned int ra_pages;
	unsigned int mmap_miss;
	loff_t prev_pos;
};

/* include/linux/fs.h */
struct address_space {
	struct inode *host;
	struct xarray i_pages;
	struct rw_semaphore invalidate_lock;
	gfp_t gfp_mask;
	atomic_t i_mmap_writable;
	struct rb_root_cached i_mmap;
	unsigned long nrpages;
	pgoff_t writeback_index;
	const struct address_space_operations *a_ops;
	unsigned long flags;
	errseq_t wb_err;
	spinlock_t i_private_lock;
	struct list_head i_private_list;
	struct rw_semaphore i_mmap_rwsem;
	void *i_private_data;
} __attribute__((aligned(8)));

struct file {
	union {
		struct llist_node f_llist;
		struct callback_head f_rcuhead;
		unsigned int f_iocb_flags;
	};
	struct path f_path;
	struct inode *f_inode;
	const struct file_operations *f_op;
	spinlock_t f_lock;
	atomic_long_t f_count;
	unsigned int f_flags;
	fmode_t f_mode;
	struct mutex f_pos_lock;
	loff_t f_pos;
	struct fown_struct f_owner;
	const struct cred *f_cred;
	struct file_ra_state f_ra;
	u64 f_version;
	void *f_security;
	void *private_data;
	struct hlist_head *f_ep;
	struct address_space *f_mapping;
	errseq_t f_wb_err;
	errseq_t f_sb_err;
} __attribute__((aligned(4)));

struct inode {
	umode_t i_mode;
	unsigned short i_opflags;
	kuid_t i_uid;
	kgid_t i_gid;
	unsigned int i_flags;
	struct posix_acl *i_acl;
	struct posix_acl *i_default_acl;
	const struct inode_operations *i_op;
	struct super_block *i_sb;
	struct address_space *i_mapping;
	void *i_security;
	unsigned long i_ino;
	union {
		const unsigned int i_nlink;
		unsigned int __i_nlink;
	};
	dev_t i_rdev;
	loff_t i_size;
	struct timespec64 i_atime;
	struct timespec64 i_mtime;
	struct timespec64 __i_ctime;
	spinlock_t i_lock;
	unsigned short i_bytes;
	u8 i_blkbits;
	u8 i_write_hint;
	blkcnt_t i_blocks;
	unsigned long i_state;
	struct rw_semaphore i_rwsem;
	unsigned long dirtied_when;
	unsigned long dirtied_time_when;
	struct hlist_node i_hash;
	struct list_head i_io_list;
	struct list_head i_lru;
	struct list_head i_sb_list;
	struct list_head i_wb_list;
	union {
		struct hlist_head i_dentry;
		struct callback_head i_rcu;
	};
	atomic64_t i_version;
	atomic64_t i_sequence;
	atomic_t i_count;
	atomic_t i_dio_count;
	atomic_t i_writecount;
	atomic_t i_readcount;
	union {
		const struct file_operations *i_fop;
		void (*free_inode)(struct inode *);
	};
	struct file_lock_context *i_flctx;
	struct address_space i_data;
	struct list_head i_devices;
	union {
		struct pipe_inode_info *i_pipe;
		struct cdev *i_cdev;
		char *i_link;
		unsigned i_dir_seq;
	};
	__u32 i_generation;
	void *i_private;
};

/* include/linux/dcache.h */
struct dentry {
	/* RCU lookup touched fields */
	unsigned int d_flags;
	seqcount_spinlock_t d_seq;
	struct hlist_bl_node d_hash;
	struct dentry *d_parent;
	struct qstr d_name;
	struct inode *d_inode;
	unsigned char d_iname[32];

	/* Ref lookup also touches following */
	struct lockref d_lockref;
	const struct dentry_operations *d_op;
	struct super_block *d_sb;
	unsigned long d_time;
	void *d_fsdata;

	union {
		struct list_head d_lru;
		wait_queue_head_t *d_wait;
	};
	struct list_head d_child;
	struct list_head d_subdirs;
	union {
		struct hlist_node d_alias;
		struct hlist_bl_node d_in_lookup_hash;
		struct callback_head d_rcu;
	} d_u;
};

/* include/linux/fs.h */
struct kiocb {
	struct file *ki_filp;
	loff_t ki_pos;
	void (*ki_complete)(struct kiocb *iocb, long ret);
	void *private;
	int ki_flags;
	u16 ki_ioprio;
	union {
		struct wait_page_queue *ki_waitq;
		ssize_t (*dio_complete)(void *data);
	};
};

struct file_operations {
	struct module *owner;
	unsigned int fop_flags;
	loff_t (*llseek)(struct file *, loff_t, int);
	ssize_t (*read)(struct file *, char *, size_t, loff_t *);
	ssize_t (*write)(struct file *, const char *, size_t, loff_t *);
	ssize_t (*read_iter)(struct kiocb *, struct iov_iter *);
	ssize_t (*write_iter)(struct kiocb *, struct iov_iter *);
	int (*iopoll)(struct kiocb *kiocb, struct io_comp_batch *, unsigned int flags);
	int (*iterate_shared)(struct file *, struct dir_context *);
	__poll_t (*poll)(struct file *, struct poll_table_struct *);
	long (*unlocked_ioctl)(struct file *, unsigned int, unsigned long);
	long (*compat_ioctl)(struct file *, unsigned int, unsigned long);
	int (*mmap)(struct file *, struct vm_area_struct *);
	int (*open)(struct inode *, struct file *);
	int (*flush)(struct file *, fl_owner_t id);
	int (*release)(struct inode *, struct file *);
	int (*fsync)(struct file *, loff_t, loff_t, int datasync);
	int (*fasync)(int, struct file *, int);
	int (*lock)(struct file *, int, struct file_lock *);
	unsigned long (*get_unmapped_area)(struct file *, unsigned long, unsigned long, unsigned long, unsigned long);
	int (*flock)(struct file *, int, struct file_lock *);
	ssize_t (*splice_write)(struct pipe_inode_info *, struct file *, loff_t *, size_t, unsigned int);
	ssize_t (*splice_read)(struct file *, loff_t *, struct pipe_inode_info *, size_t, unsigned int);
	long (*fallocate)(struct file *file, int mode, loff_t offset, loff_t len);
	void (*show_fdinfo)(struct seq_file *m, struct file *f);
	ssize_t (*copy_file_range)(struct file *, loff_t, struct file *, loff_t, size_t, unsigned int);
} __attribute__((aligned(4)));

struct filename {
	const char *name;
	const char *uptr;
	atomic_t refcnt;
	struct audit_names *aname;
	const char iname[];
};

/* include/linux/fdtable.h */
struct fdtable {
	unsigned int max_fds;
	struct file **fd;
	unsigned long *close_on_exec;
	unsigned long *open_fds;
	unsigned long *full_fds_bits;
	struct callback_head rcu;
};

struct files_struct {
	/* read mostly part */
	atomic_t count;
	bool resize_in_progress;
	wait_queue_head_t resize_wait;

	struct fdtable *fdt;
	struct fdtable fdtab;
	/* written part on a separate cache line in SMP */
	spinlock_t file_lock __attribute__((aligned(64)));
	unsigned int next_fd;
	unsigned long close_on_exec_init[1];
	unsigned long open_fds_init[1];
	unsigned long full_fds_bits_init[1];
	struct file *fd_array[64];
};

/* include/uapi/linux/openat2.h */
struct open_how {
	__u64 flags;
	__u64 mode;
	__u64 resolve;
};

/* fs/internal.h */
struct open_flags {
	int open_flag;
	umode_t mode;
	int acc_mode;
	int intent;
	int lookup_flags;
};

/* A task's root and working directory (include/linux/fs_struct.h): Linux 6.18's members and offsets. */
struct fs_struct {
	int users;
	seqlock_t seq;
	int umask;
	int in_exec;
	struct path root;
	struct path pwd;
};

/*
 * A mounted filesystem (fs/mount.h): Linux 6.18's struct mount, members and
 * offsets (mnt at 32, mnt_parent at 16, mnt_mountpoint at 24: what
 * container_of(vfsmount, struct mount, mnt) walks rely on), and its
 * namespace (6.18's members; ns_common is 6.12's 24-byte one here, so the
 * offsets after ns are 56 bytes lower than in 6.18).
 */
struct mnt_pcp;
struct mountpoint;
struct fsnotify_mark_connector;
struct mnt_namespace;
struct user_namespace;
struct ucounts;

struct mount {
	struct hlist_node mnt_hash;
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
	union {
		struct rb_node mnt_node;
		struct callback_head mnt_rcu;
		struct llist_node mnt_llist;
	};
	struct mnt_pcp *mnt_pcp;
	struct list_head mnt_mounts;
	struct list_head mnt_child;
	struct mount *mnt_next_for_sb;
	struct mount **mnt_pprev_for_sb;
	const char *mnt_devname;
	struct list_head mnt_list;
	struct list_head mnt_expire;
	struct list_head mnt_share;
	struct hlist_head mnt_slave_list;
	struct hlist_node mnt_slave;
	struct mount *mnt_master;
	struct mnt_namespace *mnt_ns;
	struct mountpoint *mnt_mp;
	union {
		struct hlist_node mnt_mp_list;
		struct hlist_node mnt_umount;
	};
	struct fsnotify_mark_connector *mnt_fsnotify_marks;
	__u32 mnt_fsnotify_mask;
	struct list_head to_notify;
	struct mnt_namespace *prev_ns;
	int mnt_t_flags;
	int mnt_id;
	u64 mnt_id_unique;
	int mnt_group_id;
	int mnt_expiry_mark;
	struct hlist_head mnt_pins;
	struct hlist_head mnt_stuck_children;
	struct mount *overmount;
};

struct mnt_namespace {
	struct ns_common ns;
	struct mount *root;
	struct {
		struct rb_root mounts;
		struct rb_node *mnt_last_node;
		struct rb_node *mnt_first_node;
	};
	struct user_namespace *user_ns;
	struct ucounts *ucounts;
	wait_queue_head_t poll;
	u64 seq_origin;
	u64 event;
	__u32 n_fsnotify_mask;
	struct fsnotify_mark_connector *n_fsnotify_marks;
	unsigned int nr_mounts;
	unsigned int pending_mounts;
	refcount_t passive;
};

/*
 * A page frame and a folio (include/linux/mm_types.h), Linux 6.12's
 * members (6.18 wraps flags in memdesc_flags_t and renames index to
 * __folio_index) at Linux's offsets.  struct page is the 64-byte one;
 * struct folio keeps only its first word group, overlaid with that page:
 * Linux follows it with three more groups (256 bytes in all).
 */
struct dev_pagemap;
struct page_pool;

typedef struct {
	unsigned long val;
} swp_entry_t;

struct page {
	unsigned long flags;
	union {
		struct {
			union {
				struct list_head lru;
				struct {
					void *__filler;
					unsigned int mlock_count;
				};
				struct list_head buddy_list;
				struct list_head pcp_list;
			};
			struct address_space *mapping;
			union {
				pgoff_t index;
				unsigned long share;
			};
			unsigned long private;
		};
		struct {
			unsigned long pp_magic;
			struct page_pool *pp;
			unsigned long _pp_mapping_pad;
			unsigned long dma_addr;
			atomic_long_t pp_ref_count;
		};
		struct {
			unsigned long compound_head;
		};
		struct {
			struct dev_pagemap *pgmap;
			void *zone_device_data;
		};
		struct callback_head callback_head;
	};
	union {
		unsigned int page_type;
		atomic_t _mapcount;
	};
	atomic_t _refcount;
	unsigned long memcg_data;
};

struct folio {
	union {
		struct {
			unsigned long flags;
			union {
				struct list_head lru;
				struct {
					void *__filler;
					unsigned int mlock_count;
				};
				struct dev_pagemap *pgmap;
			};
			struct address_space *mapping;
			union {
				pgoff_t index;
				unsigned long share;
			};
			union {
				void *private;
				swp_entry_t swap;
			};
			atomic_t _mapcount;
			atomic_t _refcount;
			unsigned long memcg_data;
		};
		struct page page;
	};
};

/* include/linux/namei.h, fs/namei.c: a path walk's state (trimmed after name) */
struct nameidata {
	struct path path;
	struct qstr last;
	struct path root;
	struct inode *inode;
	unsigned int flags;
	unsigned int state;
	unsigned int seq;
	unsigned int next_seq;
	unsigned int m_seq;
	unsigned int r_seq;
	int last_type;
	unsigned int depth;
	int total_link_count;
	struct saved *stack;
	struct filename *name;
	const char *pathname;
	struct nameidata *saved;
	unsigned int root_seq;
	int dfd;
};

/* include/linux/mnt_idmapping.h */
typedef struct {
	uid_t val;
} vfsuid_t;

typedef struct {
	gid_t val;
} vfsgid_t;

/* include/linux/fs.h: what a setattr changes (notify_change) */
struct iattr {
	unsigned int ia_valid;
	umode_t ia_mode;
	union {
		kuid_t ia_uid;
		vfsuid_t ia_vfsuid;
	};
	union {
		kgid_t ia_gid;
		vfsgid_t ia_vfsgid;
	};
	loff_t ia_size;
	struct timespec64 ia_atime;
	struct timespec64 ia_mtime;
	struct timespec64 ia_ctime;
	struct file *ia_file;
};

/* include/linux/stat.h (Linux 6.12) */
struct kstat {
	u32 result_mask;
	umode_t mode;
	unsigned int nlink;
	uint32_t blksize;
	u64 attributes;
	u64 attributes_mask;
	u64 ino;
	dev_t dev;
	dev_t rdev;
	kuid_t uid;
	kgid_t gid;
	loff_t size;
	struct timespec64 atime;
	struct timespec64 mtime;
	struct timespec64 ctime;
	struct timespec64 btime;
	u64 blocks;
	u64 mnt_id;
	u32 dio_mem_align;
	u32 dio_offset_align;
	u64 change_cookie;
	u64 subvol;
	u32 atomic_write_unit_min;
	u32 atomic_write_unit_max;
	u32 atomic_write_segments_max;
};

/* arch/x86/include/uapi/asm/stat.h (x86_64): what newfstatat copies out */
struct stat {
	__kernel_ulong_t st_dev;
	__kernel_ulong_t st_ino;
	__kernel_ulong_t st_nlink;
	unsigned int st_mode;
	unsigned int st_uid;
	unsigned int st_gid;
	unsigned int __pad0;
	__kernel_ulong_t st_rdev;
	__kernel_long_t st_size;
	__kernel_long_t st_blksize;
	__kernel_long_t st_blocks;
	__kernel_ulong_t st_atime;
	__kernel_ulong_t st_atime_nsec;
	__kernel_ulong_t st_mtime;
	__kernel_ulong_t st_mtime_nsec;
	__kernel_ulong_t st_ctime;
	__kernel_ulong_t st_ctime_nsec;
	__kernel_long_t __unused[3];
};

/* include/linux/fs.h */
struct renamedata {
	struct mnt_idmap *old_mnt_idmap;
	struct inode *old_dir;
	struct dentry *old_dentry;
	struct mnt_idmap *new_mnt_idmap;
	struct inode *new_dir;
	struct dentry *new_dentry;
	struct inode **delegated_inode;
	unsigned int flags;
};

/* include/linux/pagemap.h */
struct readahead_control {
	struct file *file;
	struct address_space *mapping;
	struct file_ra_state *ra;
	pgoff_t _index;
	unsigned int _nr_pages;
	unsigned int _batch_count;
	bool _workingset;
	unsigned long _pflags;
};

/* include/linux/pagevec.h */
struct folio_batch {
	unsigned char nr;
	unsigned char i;
	bool percpu_pvec_drained;
	struct folio *folios[31];
};

/* include/linux/writeback.h */
enum writeback_sync_modes {
	WB_SYNC_NONE = 0,
	WB_SYNC_ALL = 1,
};

enum wb_reason {
	WB_REASON_BACKGROUND = 0,
	WB_REASON_VMSCAN = 1,
	WB_REASON_SYNC = 2,
	WB_REASON_PERIODIC = 3,
	WB_REASON_LAPTOP_TIMER = 4,
	WB_REASON_FS_FREE_SPACE = 5,
	WB_REASON_FORKER_THREAD = 6,
	WB_REASON_FOREIGN_FLUSH = 7,
	WB_REASON_MAX = 8,
};

struct writeback_control {
	long nr_to_write;
	long pages_skipped;
	loff_t range_start;
	loff_t range_end;
	enum writeback_sync_modes sync_mode;
	unsigned for_kupdate:1;
	unsigned for_background:1;
	unsigned tagged_writepages:1;
	unsigned for_reclaim:1;
	unsigned range_cyclic:1;
	unsigned for_sync:1;
	unsigned unpinned_netfs_wb:1;
	unsigned no_cgroup_owner:1;
	struct folio_batch fbatch;
	pgoff_t index;
	int saved_err;
	struct bdi_writeback *wb;
	struct inode *inode;
};

/* include/linux/backing-dev-defs.h (trimmed after last_old_flush and b_dirty..list_lock) */
struct bdi_writeback {
	struct backing_dev_info *bdi;
	unsigned long state;
	unsigned long last_old_flush;
	struct list_head b_dirty;
	struct list_head b_io;
	struct list_head b_more_io;
	struct list_head b_dirty_time;
	spinlock_t list_lock;
	atomic_t writeback_inodes;
};

/* fs/fs-writeback.c */
struct wb_writeback_work {
	long nr_pages;
	struct super_block *sb;
	enum writeback_sync_modes sync_mode;
	unsigned int tagged_writepages:1;
	unsigned int for_kupdate:1;
	unsigned int range_cyclic:1;
	unsigned int for_background:1;
	unsigned int for_sync:1;
	unsigned int auto_free:1;
	enum wb_reason reason;
	struct list_head list;
	struct wb_completion *done;
};

/* include/trace/events/filemap.h, include/trace/events/writeback.h */
struct trace_event_raw_mm_filemap_op_page_cache {
	struct trace_entry ent;
	unsigned long pfn;
	unsigned long i_ino;
	unsigned long index;
	dev_t s_dev;
	unsigned char order;
	char __data[0];
};

struct trace_event_raw_file_check_and_advance_wb_err {
	struct trace_entry ent;
	struct file *file;
	unsigned long i_ino;
	dev_t s_dev;
	errseq_t old;
	errseq_t new;
	char __data[0];
};

struct trace_event_raw_writeback_folio_template {
	struct trace_entry ent;
	char name[32];
	ino_t ino;
	pgoff_t index;
	char __data[0];
};

struct trace_event_raw_writeback_dirty_inode_template {
	struct trace_entry ent;
	char name[32];
	ino_t ino;
	unsigned long state;
	unsigned long flags;
	char __data[0];
};

struct trace_event_raw_writeback_write_inode_template {
	struct trace_entry ent;
	char name[32];
	ino_t ino;
	int sync_mode;
	ino_t cgroup_ino;
	char __data[0];
};

struct trace_event_raw_writeback_work_class {
	struct trace_entry ent;
	char name[32];
	long nr_pages;
	dev_t sb_dev;
	int sync_mode;
	int for_kupdate;
	int range_cyclic;
	int for_background;
	int reason;
	ino_t cgroup_ino;
	char __data[0];
};

struct trace_event_raw_writeback_pages_written {
	struct trace_entry ent;
	long pages;
	char __data[0];
};

struct trace_event_raw_writeback_single_inode_template {
	struct trace_entry ent;
	char name[32];
	ino_t ino;
	unsigned long state;
	unsigned long dirtied_when;
	unsigned long writeback_index;
	long nr_to_write;
	unsigned long wrote;
	ino_t cgroup_ino;
	char __data[0];
};

typedef void (*btf_trace_mm_filemap_add_to_page_cache)(void *__data, struct folio *folio);
typedef void (*btf_trace_mm_filemap_delete_from_page_cache)(void *__data, struct folio *folio);
typedef void (*btf_trace_file_check_and_advance_wb_err)(void *__data, struct file *file, errseq_t old);
typedef void (*btf_trace_writeback_dirty_folio)(void *__data, struct folio *folio, struct address_space *mapping);
typedef void (*btf_trace_folio_wait_writeback)(void *__data, struct folio *folio, struct address_space *mapping);
typedef void (*btf_trace_writeback_mark_inode_dirty)(void *__data, struct inode *inode, int flags);
typedef void (*btf_trace_writeback_dirty_inode_start)(void *__data, struct inode *inode, int flags);
typedef void (*btf_trace_writeback_dirty_inode)(void *__data, struct inode *inode, int flags);
typedef void (*btf_trace_writeback_write_inode_start)(void *__data, struct inode *inode, struct writeback_control *wbc);
typedef void (*btf_trace_writeback_write_inode)(void *__data, struct inode *inode, struct writeback_control *wbc);
typedef void (*btf_trace_writeback_start)(void *__data, struct bdi_writeback *wb, struct wb_writeback_work *work);
typedef void (*btf_trace_writeback_written)(void *__data, struct bdi_writeback *wb, struct wb_writeback_work *work);
typedef void (*btf_trace_writeback_pages_written)(void *__data, long pages_written);
typedef void (*btf_trace_writeback_single_inode_start)(void *__data, struct inode *inode, struct writeback_control *wbc, unsigned long nr_to_write);
typedef void (*btf_trace_writeback_single_inode)(void *__data, struct inode *inode, struct writeback_control *wbc, unsigned long nr_to_write);

/* fs/open.c, fs/namei.c, fs/file.c, fs/file_table.c, fs/dcache.c, fs/inode.c, security/security.c (Linux 6.12) */
static long do_sys_openat2(int dfd, const char *filename, struct open_how *how);
long do_sys_open(int dfd, const char *filename, int flags, umode_t mode);
int build_open_flags(const struct open_how *how, struct open_flags *op);
struct filename *getname(const char *filename);
void putname(struct filename *name);
int get_unused_fd_flags(unsigned int flags);
static int alloc_fd(unsigned int start, unsigned int end, unsigned int flags);
struct file *do_filp_open(int dfd, struct filename *pathname, const struct open_flags *op);
static struct file *path_openat(struct nameidata *nd, const struct open_flags *op, unsigned int flags);
struct file *alloc_empty_file(int flags, const struct cred *cred);
static int link_path_walk(const char *name, struct nameidata *nd);
static struct dentry *lookup_fast(struct nameidata *nd);
static const char *open_last_lookups(struct nameidata *nd, struct file *file, const struct open_flags *op);
static struct dentry *lookup_open(struct nameidata *nd, struct file *file, const struct open_flags *op, bool got_write);
static int may_o_create(struct mnt_idmap *idmap, const struct path *dir, struct dentry *dentry, umode_t mode);
int security_inode_create(struct inode *dir, struct dentry *dentry, umode_t mode);
struct dentry *d_alloc(struct dentry *parent, const struct qstr *name);
void d_instantiate(struct dentry *entry, struct inode *inode);
struct inode *new_inode(struct super_block *sb);
static struct inode *alloc_inode(struct super_block *sb);
int inode_init_always(struct super_block *sb, struct inode *inode);
static int do_open(struct inode *inode, struct file *file);
static int may_open(struct mnt_idmap *idmap, const struct path *path, int acc_mode, int flag);
static int handle_truncate(struct mnt_idmap *idmap, struct file *filp);
int do_truncate(struct mnt_idmap *idmap, struct dentry *dentry, loff_t start, unsigned int time_attrs, struct file *filp);
int notify_change(struct mnt_idmap *idmap, struct dentry *dentry, struct iattr *attr, struct inode **delegated_inode);
int inode_permission(struct mnt_idmap *idmap, struct inode *inode, int mask);
int vfs_open(const struct path *path, struct file *file);
static int do_dentry_open(struct file *f, int (*open)(struct inode *, struct file *));
int security_file_open(struct file *file);
void fd_install(unsigned int fd, struct file *file);
int close_fd(unsigned int fd);
int filp_close(struct file *filp, fl_owner_t id);
int filp_flush(struct file *filp, fl_owner_t id);
void fput(struct file *file);
static void __fput(struct file *file);
void dput(struct dentry *dentry);
void iput(struct inode *inode);
static void evict(struct inode *inode);
static void destroy_inode(struct inode *inode);
void d_delete(struct dentry *dentry);
void d_move(struct dentry *dentry, struct dentry *target);
void path_put(const struct path *path);
int filename_lookup(int dfd, struct filename *name, unsigned int flags, struct path *path, struct path *root);
static int path_lookupat(struct nameidata *nd, unsigned int flags, struct path *path);
static int filename_parentat(int dfd, struct filename *name, unsigned int flags, struct path *parent, struct qstr *last, int *type);
static struct dentry *lookup_one_qstr_excl(const struct qstr *name, struct dentry *base, unsigned int flags);
static struct dentry *filename_create(int dfd, struct filename *name, struct path *path, unsigned int lookup_flags);
void done_path_create(struct path *path, struct dentry *dentry);
int do_unlinkat(int dfd, struct filename *name);
int vfs_unlink(struct mnt_idmap *idmap, struct inode *dir, struct dentry *dentry, struct inode **delegated_inode);
int do_rmdir(int dfd, struct filename *name);
int vfs_rmdir(struct mnt_idmap *idmap, struct inode *dir, struct dentry *dentry);
int do_mkdirat(int dfd, struct filename *name, umode_t mode);
int vfs_mkdir(struct mnt_idmap *idmap, struct inode *dir, struct dentry *dentry, umode_t mode);
int do_renameat2(int olddfd, struct filename *from, int newdfd, struct filename *to, unsigned int flags);
int vfs_rename(struct renamedata *rd);
struct dentry *lock_rename(struct dentry *p1, struct dentry *p2);
void unlock_rename(struct dentry *p1, struct dentry *p2);

/* fs/read_write.c, fs/stat.c, fs/sync.c, fs/attr.c, fs/inode.c */
ssize_t ksys_read(unsigned int fd, char *buf, size_t count);
ssize_t ksys_write(unsigned int fd, const char *buf, size_t count);
ssize_t ksys_pread64(unsigned int fd, char *buf, size_t count, loff_t pos);
ssize_t ksys_pwrite64(unsigned int fd, const char *buf, size_t count, loff_t pos);
static off_t ksys_lseek(unsigned int fd, off_t offset, unsigned int whence);
ssize_t vfs_read(struct file *file, char *buf, size_t count, loff_t *pos);
ssize_t vfs_write(struct file *file, const char *buf, size_t count, loff_t *pos);
int rw_verify_area(int read_write, struct file *file, const loff_t *ppos, size_t count);
loff_t vfs_llseek(struct file *file, loff_t offset, int whence);
loff_t generic_file_llseek_size(struct file *file, loff_t offset, int whence, loff_t maxsize, loff_t eof);
int vfs_fstatat(int dfd, const char *filename, struct kstat *stat, int flags);
static int vfs_statx(int dfd, struct filename *filename, int flags, struct kstat *stat, u32 request_mask);
int vfs_getattr(const struct path *path, struct kstat *stat, u32 request_mask, unsigned int query_flags);
int vfs_getattr_nosec(const struct path *path, struct kstat *stat, u32 request_mask, unsigned int query_flags);
void generic_fillattr(struct mnt_idmap *idmap, u32 request_mask, struct inode *inode, struct kstat *stat);
static int cp_new_stat(struct kstat *stat, struct stat *statbuf);
int vfs_fsync(struct file *file, int datasync);
int vfs_fsync_range(struct file *file, loff_t start, loff_t end, int datasync);
int noop_fsync(struct file *file, loff_t start, loff_t end, int datasync);
void touch_atime(const struct path *path);
bool atime_needs_update(const struct path *path, struct inode *inode);
int file_modified(struct file *file);
void __mark_inode_dirty(struct inode *inode, int flags);

/* mm/filemap.c, mm/readahead.c, mm/page-writeback.c, mm/swap.c, mm/truncate.c, lib/iov_iter.c, fs/buffer.c */
ssize_t generic_file_read_iter(struct kiocb *iocb, struct iov_iter *iter);
ssize_t filemap_read(struct kiocb *iocb, struct iov_iter *iter, ssize_t already_read);
static int filemap_get_pages(struct kiocb *iocb, size_t count, struct folio_batch *fbatch, bool need_uptodate);
static void filemap_get_read_batch(struct address_space *mapping, pgoff_t index, pgoff_t max, struct folio_batch *fbatch);
void page_cache_sync_ra(struct readahead_control *ractl, unsigned long req_count);
void page_cache_async_ra(struct readahead_control *ractl, struct folio *folio, unsigned long req_count);
void page_cache_ra_unbounded(struct readahead_control *ractl, unsigned long nr_to_read, unsigned long lookahead_size);
static void read_pages(struct readahead_control *rac);
struct folio *filemap_alloc_folio_noprof(gfp_t gfp, unsigned int order);
int filemap_add_folio(struct address_space *mapping, struct folio *folio, pgoff_t index, gfp_t gfp);
int __filemap_add_folio(struct address_space *mapping, struct folio *folio, pgoff_t index, gfp_t gfp, void **shadowp);
struct folio *__filemap_get_folio(struct address_space *mapping, pgoff_t index, fgf_t fgp_flags, gfp_t gfp);
void folio_end_read(struct folio *folio, bool success);
size_t copy_page_to_iter(struct page *page, size_t offset, size_t bytes, struct iov_iter *i);
size_t copy_page_from_iter_atomic(struct page *page, size_t offset, size_t bytes, struct iov_iter *i);
void folio_mark_accessed(struct folio *folio);
void mark_page_accessed(struct page *page);
ssize_t generic_write_checks(struct kiocb *iocb, struct iov_iter *from);
ssize_t generic_perform_write(struct kiocb *iocb, struct iov_iter *i);
bool folio_mark_dirty(struct folio *folio);
void __folio_mark_dirty(struct folio *folio, struct address_space *mapping, int warn);
static void folio_account_dirtied(struct folio *folio, struct address_space *mapping);
void balance_dirty_pages_ratelimited(struct address_space *mapping);
void mark_buffer_dirty(struct buffer_head *bh);
int block_write_end(struct file *file, struct address_space *mapping, loff_t pos, unsigned len, unsigned copied, struct folio *folio, void *fsdata);
int file_write_and_wait_range(struct file *file, loff_t lstart, loff_t lend);
int __filemap_fdatawrite_range(struct address_space *mapping, loff_t start, loff_t end, int sync_mode);
int filemap_fdatawrite_wbc(struct address_space *mapping, struct writeback_control *wbc);
int do_writepages(struct address_space *mapping, struct writeback_control *wbc);
bool __folio_start_writeback(struct folio *folio, bool keep_write);
void folio_end_writeback(struct folio *folio);
static void __filemap_fdatawait_range(struct address_space *mapping, loff_t start_byte, loff_t end_byte);
void folio_wait_writeback(struct folio *folio);
int file_check_and_advance_wb_err(struct file *file);
void truncate_inode_pages_final(struct address_space *mapping);
void truncate_pagecache(struct inode *inode, loff_t newsize);
void truncate_inode_pages_range(struct address_space *mapping, loff_t lstart, loff_t lend);
void __filemap_remove_folio(struct folio *folio, void *shadow);
void filemap_remove_folio(struct folio *folio);

/* fs/fs-writeback.c */
void wb_workfn(struct work_struct *work);
static long wb_do_writeback(struct bdi_writeback *wb);
static long wb_writeback(struct bdi_writeback *wb, struct wb_writeback_work *work);
static long writeback_sb_inodes(struct super_block *sb, struct bdi_writeback *wb, struct wb_writeback_work *work);
static int __writeback_single_inode(struct inode *inode, struct writeback_control *wbc);
static int write_inode(struct inode *inode, struct writeback_control *wbc);
void wb_start_background_writeback(struct bdi_writeback *wb);

/* fs/ext4/file.c, namei.c, inode.c, super.c, readpage.c, page-io.c, fsync.c, ialloc.c */
static int ext4_file_open(struct inode *inode, struct file *filp);
static int ext4_release_file(struct inode *inode, struct file *filp);
static ssize_t ext4_file_read_iter(struct kiocb *iocb, struct iov_iter *to);
static ssize_t ext4_file_write_iter(struct kiocb *iocb, struct iov_iter *from);
static ssize_t ext4_buffered_write_iter(struct kiocb *iocb, struct iov_iter *from);
loff_t ext4_llseek(struct file *file, loff_t offset, int whence);
static int ext4_create(struct mnt_idmap *idmap, struct inode *dir, struct dentry *dentry, umode_t mode, bool excl);
static int ext4_mkdir(struct mnt_idmap *idmap, struct inode *dir, struct dentry *dentry, umode_t mode);
static int ext4_unlink(struct inode *dir, struct dentry *dentry);
static int ext4_rmdir(struct inode *dir, struct dentry *dentry);
static int ext4_rename2(struct mnt_idmap *idmap, struct inode *old_dir, struct dentry *old_dentry, struct inode *new_dir, struct dentry *new_dentry, unsigned int flags);
static struct inode *ext4_alloc_inode(struct super_block *sb);
static void ext4_free_in_core_inode(struct inode *inode);
void ext4_evict_inode(struct inode *inode);
void ext4_free_inode(handle_t *handle, struct inode *inode);
int ext4_setattr(struct mnt_idmap *idmap, struct dentry *dentry, struct iattr *attr);
int ext4_getattr(struct mnt_idmap *idmap, const struct path *path, struct kstat *stat, u32 request_mask, unsigned int query_flags);
int ext4_file_getattr(struct mnt_idmap *idmap, const struct path *path, struct kstat *stat, u32 request_mask, unsigned int query_flags);
void ext4_dirty_inode(struct inode *inode, int flags);
int ext4_write_inode(struct inode *inode, struct writeback_control *wbc);
static int ext4_da_write_begin(struct file *file, struct address_space *mapping, loff_t pos, unsigned len, struct folio **foliop, void **fsdata);
static int ext4_da_write_end(struct file *file, struct address_space *mapping, loff_t pos, unsigned len, unsigned copied, struct folio *folio, void *fsdata);
static int ext4_da_do_write_end(struct address_space *mapping, loff_t pos, unsigned len, unsigned copied, struct folio *folio);
static void ext4_readahead(struct readahead_control *rac);
int ext4_mpage_readpages(struct inode *inode, struct readahead_control *rac, struct folio *folio);
static void mpage_end_io(struct bio *bio);
static int ext4_writepages(struct address_space *mapping, struct writeback_control *wbc);
static int ext4_do_writepages(struct mpage_da_data *mpd);
static int mpage_prepare_extent_to_map(struct mpage_da_data *mpd);
void ext4_io_submit_init(struct ext4_io_submit *io, struct writeback_control *wbc);
int ext4_bio_write_folio(struct ext4_io_submit *io, struct folio *folio, size_t len);
void ext4_io_submit(struct ext4_io_submit *io);
static void ext4_end_bio(struct bio *bio);
int ext4_sync_file(struct file *file, loff_t start, loff_t end, int datasync);

/* mm/shmem.c (tmpfs), fs/seq_file.c, fs/proc/base.c */
static ssize_t shmem_file_read_iter(struct kiocb *iocb, struct iov_iter *to);
static ssize_t shmem_file_write_iter(struct kiocb *iocb, struct iov_iter *from);
static int shmem_write_begin(struct file *file, struct address_space *mapping, loff_t pos, unsigned len, struct folio **foliop, void **fsdata);
static int shmem_write_end(struct file *file, struct address_space *mapping, loff_t pos, unsigned len, unsigned copied, struct folio *folio, void *fsdata);
static int shmem_create(struct mnt_idmap *idmap, struct inode *dir, struct dentry *dentry, umode_t mode, bool excl);
static int shmem_mknod(struct mnt_idmap *idmap, struct inode *dir, struct dentry *dentry, umode_t mode, dev_t dev);
static int shmem_unlink(struct inode *dir, struct dentry *dentry);
ssize_t seq_read(struct file *file, char *buf, size_t size, loff_t *ppos);
ssize_t seq_read_iter(struct kiocb *iocb, struct iov_iter *iter);
static int proc_single_show(struct seq_file *m, void *v);

#endif /* _BTFSNOOP_KMODEL_FS_H */
