/*
 * block.h - block layer of the btfsnoop synthetic kernel.
 *
 * Modelled on include/linux/blk_types.h, include/linux/bvec.h,
 * include/linux/blkdev.h, include/linux/blk-mq.h, block/blk-mq.c,
 * block/blk-core.c and block/bio.c of Linux 6.x (x86_64), trimmed to the
 * important members while keeping the real member order.  struct request
 * carries "part" (struct block_device *) as in 5.16+ (rq_disk is gone).
 *
 * Requires: types.h.  Types owned by other headers are only forward-declared.
 */
#ifndef _BTFSNOOP_KMODEL_BLOCK_H
#define _BTFSNOOP_KMODEL_BLOCK_H

#define DISK_NAME_LEN 32
#define BLK_STS_OK 0
#define BLK_STS_IOERR 10
#define SECTOR_SHIFT 9

struct inode;
struct file;
struct super_block;
struct blk_mq_hw_ctx;
struct blk_mq_tag_set;
struct block_device_operations;
struct elevator_queue;
struct bio_set;
struct bio_integrity_payload;
struct blkcg_gq;
struct bio;
struct request;
struct io_comp_batch;
struct disk_stats;
struct blk_holder_ops;
struct blk_mq_ops;

typedef void (bio_end_io_t)(struct bio *);
typedef __u32 req_flags_t;
typedef unsigned int blk_qc_t;
typedef unsigned int blk_mode_t;

/* include/linux/rw_hint.h */
enum rw_hint {
	WRITE_LIFE_NOT_SET = 0,
	WRITE_LIFE_NONE = 1,
	WRITE_LIFE_SHORT = 2,
	WRITE_LIFE_MEDIUM = 3,
	WRITE_LIFE_LONG = 4,
	WRITE_LIFE_EXTREME = 5,
};

/* include/linux/blk_types.h */
enum req_op {
	REQ_OP_READ = 0,
	REQ_OP_WRITE = 1,
	REQ_OP_FLUSH = 2,
	REQ_OP_DISCARD = 3,
	REQ_OP_SECURE_ERASE = 5,
	REQ_OP_ZONE_APPEND = 7,
	REQ_OP_WRITE_ZEROES = 9,
	REQ_OP_ZONE_OPEN = 10,
	REQ_OP_ZONE_CLOSE = 11,
	REQ_OP_ZONE_FINISH = 12,
	REQ_OP_ZONE_RESET = 13,
	REQ_OP_ZONE_RESET_ALL = 15,
	REQ_OP_DRV_IN = 34,
	REQ_OP_DRV_OUT = 35,
	REQ_OP_LAST = 36,
};

enum req_flag_bits {
	__REQ_FAILFAST_DEV = 8,
	__REQ_FAILFAST_TRANSPORT,
	__REQ_FAILFAST_DRIVER,
	__REQ_SYNC,
	__REQ_META,
	__REQ_PRIO,
	__REQ_NOMERGE,
	__REQ_IDLE,
	__REQ_INTEGRITY,
	__REQ_FUA,
	__REQ_PREFLUSH,
	__REQ_RAHEAD,
	__REQ_BACKGROUND,
	__REQ_NOWAIT,
	__REQ_POLLED,
	__REQ_ALLOC_CACHE,
	__REQ_SWAP,
	__REQ_DRV,
	__REQ_FS_PRIVATE,
	__REQ_NOUNMAP,
	__REQ_NR_BITS,
	REQ_SYNC = (1 << __REQ_SYNC),
	REQ_META = (1 << __REQ_META),
	REQ_FUA = (1 << __REQ_FUA),
	REQ_PREFLUSH = (1 << __REQ_PREFLUSH),
	REQ_FAILFAST_MASK = ((1 << __REQ_FAILFAST_DEV) | (1 << __REQ_FAILFAST_TRANSPORT) | (1 << __REQ_FAILFAST_DRIVER)),
	REQ_OP_MASK = (1 << 8) - 1,
};

/* include/linux/blk-mq.h */
enum mq_rq_state {
	MQ_RQ_IDLE = 0,
	MQ_RQ_IN_FLIGHT = 1,
	MQ_RQ_COMPLETE = 2,
};

/* include/linux/bvec.h */
struct bvec_iter {
	sector_t bi_sector;
	unsigned int bi_size;
	unsigned int bi_idx;
	unsigned int bi_bvec_done;
} __attribute__((packed));

/* block/blk-mq.h (stub) */
struct blk_mq_ctx {
	struct {
		spinlock_t lock;
		struct list_head rq_lists[3];
	} __attribute__((aligned(64)));
	unsigned int cpu;
	unsigned short index_hw[3];
	struct blk_mq_hw_ctx *hctxs[3];
	struct request_queue *queue;
};

/* include/linux/blkdev.h (stub) */
struct request_queue {
	void *queuedata;
	struct elevator_queue *elevator;
	const struct blk_mq_ops *mq_ops;
	struct blk_mq_ctx *queue_ctx;
	unsigned long queue_flags;
	unsigned int rq_timeout;
	unsigned int queue_depth;
	refcount_t refs;
	unsigned int nr_hw_queues;
	struct gendisk *disk;
	int id;
	spinlock_t queue_lock;
	struct blk_mq_tag_set *tag_set;
	struct list_head tag_set_list;
	struct mutex sysfs_lock;
};

struct gendisk {
	/*
	 * major/first_minor/minors should not be set by any new driver, the
	 * block core will take care of allocating them automatically.
	 */
	int major;
	int first_minor;
	int minors;

	char disk_name[32];

	unsigned short events;
	unsigned short event_flags;

	struct block_device *part0;

	const struct block_device_operations *fops;
	struct request_queue *queue;
	void *private_data;

	int flags;
	unsigned long state;
	struct mutex open_mutex;
	unsigned open_partitions;

	struct list_head slave_bdevs;
	int node_id;
	u64 diskseq;
	blk_mode_t open_mode;
};

/* include/linux/blk_types.h */
struct block_device {
	sector_t bd_start_sect;
	sector_t bd_nr_sectors;
	struct gendisk *bd_disk;
	struct request_queue *bd_queue;
	struct disk_stats *bd_stats;
	unsigned long bd_stamp;
	atomic_t __bd_flags;
	dev_t bd_dev;
	struct inode *bd_inode;
	atomic_t bd_openers;
	spinlock_t bd_size_lock;
	void *bd_claiming;
	void *bd_holder;
	const struct blk_holder_ops *bd_holder_ops;
	struct mutex bd_holder_lock;
	int bd_holders;
	struct super_block *bd_super;
	u8 bd_partno;
} __attribute__((aligned(64)));

struct bio {
	struct bio *bi_next;	/* request queue link */
	struct block_device *bi_bdev;
	blk_opf_t bi_opf;	/* bottom bits REQ_OP, top bits req_flags */
	unsigned short bi_flags;	/* BIO_* below */
	unsigned short bi_ioprio;
	enum rw_hint bi_write_hint;
	blk_status_t bi_status;
	atomic_t __bi_remaining;

	struct bvec_iter bi_iter;

	union {
		/* for polled bios: */
		blk_qc_t bi_cookie;
		/* for plugged zoned writes only: */
		unsigned int __bi_nr_segments;
	};
	bio_end_io_t *bi_end_io;
	void *bi_private;
	struct blkcg_gq *bi_blkg;
	u64 bi_iocost_cost;
	struct bio_integrity_payload *bi_integrity;

	unsigned short bi_vcnt;	/* how many bio_vec's */
	unsigned short bi_max_vecs;	/* max bvl_vecs we can hold */

	atomic_t __bi_cnt;	/* pin count */

	struct bio_vec *bi_io_vec;	/* the actual vec list */

	struct bio_set *bi_pool;

	/*
	 * We can inline a number of vecs at the end of the bio, to avoid
	 * double allocations for a small number of bio_vecs. This member
	 * MUST obviously be kept at the very end of the bio.
	 */
	struct bio_vec bi_inline_vecs[];
};

/* include/linux/blk-mq.h */
enum rq_end_io_ret {
	RQ_END_IO_NONE,
	RQ_END_IO_FREE,
};

typedef enum rq_end_io_ret (rq_end_io_fn)(struct request *, blk_status_t);

struct request {
	struct request_queue *q;
	struct blk_mq_ctx *mq_ctx;
	struct blk_mq_hw_ctx *mq_hctx;

	blk_opf_t cmd_flags;	/* op and common flags */
	req_flags_t rq_flags;

	int tag;
	int internal_tag;

	unsigned int timeout;

	/* the following two fields are internal, NEVER access directly */
	unsigned int __data_len;	/* total data len */
	sector_t __sector;	/* sector cursor */

	struct bio *bio;
	struct bio *biotail;

	union {
		struct list_head queuelist;
		struct request *rq_next;
	};

	struct block_device *part;
	/* Time that the first bio started allocating this request. */
	u64 alloc_time_ns;
	/* Time that this request was allocated for this IO. */
	u64 start_time_ns;
	/* Time that I/O was submitted to the device. */
	u64 io_start_time_ns;

	/* Number of scatter-gather DMA addr+len pairs after
	 * physical address coalescing is performed.
	 */
	unsigned short nr_phys_segments;
	unsigned short nr_integrity_segments;

	unsigned short ioprio;

	enum mq_rq_state state;
	atomic_t ref;

	unsigned long deadline;

	/*
	 * The hash is used inside the scheduler, and killed once the
	 * request reaches the dispatch list. The ipi_list is only used
	 * to queue the request for softirq completion, which is long
	 * after the request has been unhashed (and even removed from
	 * the dispatch list).
	 */
	union {
		struct hlist_node hash;	/* merge hash */
		struct llist_node ipi_list;
	};

	union {
		struct rb_node rb_node;	/* sort/lookup */
		struct bio_vec special_vec;
	};

	/*
	 * completion callback.
	 */
	rq_end_io_fn *end_io;
	void *end_io_data;
};

enum blk_eh_timer_return {
	BLK_EH_DONE,
	BLK_EH_RESET_TIMER,
};

struct blk_mq_queue_data {
	struct request *rq;
	bool last;
};

struct blk_mq_ops {
	blk_status_t (*queue_rq)(struct blk_mq_hw_ctx *, const struct blk_mq_queue_data *);
	void (*commit_rqs)(struct blk_mq_hw_ctx *);
	void (*queue_rqs)(struct request **rqlist);
	int (*get_budget)(struct request_queue *);
	void (*put_budget)(struct request_queue *, int);
	void (*set_rq_budget_token)(struct request *, int);
	int (*get_rq_budget_token)(struct request *);
	enum blk_eh_timer_return (*timeout)(struct request *);
	int (*poll)(struct blk_mq_hw_ctx *, struct io_comp_batch *);
	void (*complete)(struct request *);
	int (*init_hctx)(struct blk_mq_hw_ctx *, void *, unsigned int);
	void (*exit_hctx)(struct blk_mq_hw_ctx *, unsigned int);
};

/* block/blk-mq.c, block/blk-core.c, block/bio.c, block/bdev.c */
void blk_mq_start_request(struct request *rq);
void blk_mq_end_request(struct request *rq, blk_status_t error);
void __blk_mq_end_request(struct request *rq, blk_status_t error);
static void blk_mq_bio_to_request(struct request *rq, struct bio *bio, unsigned int nr_segs);
void blk_mq_submit_bio(struct bio *bio);
void blk_account_io_start(struct request *rq);
static void blk_account_io_done(struct request *req, u64 now);
void submit_bio(struct bio *bio);
void submit_bio_noacct(struct bio *bio);
void bio_endio(struct bio *bio);
struct bio *bio_alloc_bioset(struct block_device *bdev, unsigned short nr_vecs, blk_opf_t opf, gfp_t gfp_mask, struct bio_set *bs);
void bio_put(struct bio *bio);
int blkdev_issue_flush(struct block_device *bdev);
static int do_open(struct inode *inode, struct file *file);

#endif /* _BTFSNOOP_KMODEL_BLOCK_H */
