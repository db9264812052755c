/*
 * block.h - block layer of the btfsnoop synthetic kernel.
 *
 * Modelled on include/linux/blk_types.h, include/linux/bvec.h,
 * include/linux/blkdev.h, include/linux/blk-mq.h, block/blk-mq.c,
 * block/blk-core.c and block/bio.c of Linux 6.x (x86_64), trimmed to the
 * important members while keeping the real member order.  struct request
 * carries "part" (struct block_device *) as in 5.16+ (rq_disk is gone).
 * Also the plug, hardware queue and allocation data of blk-mq, the block
 * trace event records other than block_rq/block_rq_completion (trace.h)
 * with the btf_trace typedefs, and Linux 6.12's prototypes of the
 * submission, merge, flush, dispatch (virtio-blk) and completion functions
 * the block paths implement (paths/block.ts).
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
struct blk_mq_tags;
struct blk_flush_queue;
struct virtqueue;
struct virtio_blk;
struct virtblk_req;
struct folio;

typedef void (bio_end_io_t)(struct bio *);
typedef __u32 req_flags_t;
typedef unsigned int blk_qc_t;
typedef unsigned int blk_mode_t;
typedef __u32 blk_mq_req_flags_t;
typedef unsigned int blk_insert_t;

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

/* include/linux/blkdev.h: a task's plug (Linux 6.12: plain request lists) */
struct blk_plug {
	struct request *mq_list;
	struct request *cached_rq;
	u64 cur_ktime;
	unsigned short nr_ios;
	unsigned short rq_count;
	bool multiple_queues;
	bool has_elevator;
	struct list_head cb_list;
};

/* include/linux/blk-mq.h: a hardware queue (trimmed: the members the block paths fill) */
struct blk_mq_hw_ctx {
	struct {
		spinlock_t lock;
		struct list_head dispatch;
		unsigned long state;
	} __attribute__((aligned(64)));
	unsigned long flags;
	void *sched_data;
	struct request_queue *queue;
	struct blk_flush_queue *fq;
	void *driver_data;
	struct blk_mq_ctx *dispatch_from;
	unsigned int dispatch_busy;
	unsigned short type;
	unsigned short nr_ctx;
	struct blk_mq_ctx **ctxs;
	struct blk_mq_tags *tags;
	struct blk_mq_tags *sched_tags;
	unsigned int numa_node;
	unsigned int queue_num;
};

/* block/blk-mq.h (Linux 6.12: cached_rq is a request list) */
struct blk_mq_alloc_data {
	struct request_queue *q;
	blk_mq_req_flags_t flags;
	unsigned int shallow_depth;
	blk_opf_t cmd_flags;
	req_flags_t rq_flags;
	unsigned int nr_tags;
	struct request **cached_rq;
	struct blk_mq_ctx *ctx;
	struct blk_mq_hw_ctx *hctx;
};

/* block/blk.h */
enum bio_merge_status {
	BIO_MERGE_OK = 0,
	BIO_MERGE_NONE = 1,
	BIO_MERGE_FAILED = 2,
};

/* include/trace/events/block.h (Linux 6.12: RWBS_LEN 8); block_rq and block_rq_completion are in trace.h */
struct trace_event_raw_block_bio {
	struct trace_entry ent;
	dev_t dev;
	sector_t sector;
	unsigned int nr_sector;
	char rwbs[8];
	char comm[16];
	char __data[0];
};

struct trace_event_raw_block_bio_complete {
	struct trace_entry ent;
	dev_t dev;
	sector_t sector;
	unsigned int nr_sector;
	int error;
	char rwbs[8];
	char __data[0];
};

struct trace_event_raw_block_plug {
	struct trace_entry ent;
	char comm[16];
	char __data[0];
};

struct trace_event_raw_block_unplug {
	struct trace_entry ent;
	int nr_rq;
	char comm[16];
	char __data[0];
};

typedef void (*btf_trace_block_rq_insert)(void *__data, struct request *rq);
typedef void (*btf_trace_block_io_start)(void *__data, struct request *rq);
typedef void (*btf_trace_block_io_done)(void *__data, struct request *rq);
typedef void (*btf_trace_block_bio_complete)(void *__data, struct request_queue *q, struct bio *bio);
typedef void (*btf_trace_block_bio_backmerge)(void *__data, struct bio *bio);
typedef void (*btf_trace_block_bio_queue)(void *__data, struct bio *bio);
typedef void (*btf_trace_block_getrq)(void *__data, struct bio *bio);
typedef void (*btf_trace_block_plug)(void *__data, struct request_queue *q);
typedef void (*btf_trace_block_unplug)(void *__data, struct request_queue *q, unsigned int depth, bool explicit);

/* block/blk-mq.c, block/blk-core.c, block/blk-merge.c, block/blk-flush.c, block/bio.c, block/blk-lib.c, drivers/block/virtio_blk.c (Linux 6.12) */
void submit_bio(struct bio *bio);
void submit_bio_noacct(struct bio *bio);
void submit_bio_noacct_nocheck(struct bio *bio);
static void __submit_bio(struct bio *bio);
static void __submit_bio_noacct_mq(struct bio *bio);
int submit_bio_wait(struct bio *bio);
void blk_mq_submit_bio(struct bio *bio);
void blk_start_plug(struct blk_plug *plug);
void blk_finish_plug(struct blk_plug *plug);
void __blk_flush_plug(struct blk_plug *plug, bool from_schedule);
void blk_mq_flush_plug_list(struct blk_plug *plug, bool from_schedule);
bool blk_mq_sched_bio_merge(struct request_queue *q, struct bio *bio, unsigned int nr_segs);
bool blk_attempt_plug_merge(struct request_queue *q, struct bio *bio, unsigned int nr_segs);
bool blk_rq_merge_ok(struct request *rq, struct bio *bio);
static enum bio_merge_status bio_attempt_back_merge(struct request *req, struct bio *bio, unsigned int nr_segs);
void blk_account_io_merge_bio(struct request *req);
static struct request *blk_mq_get_new_requests(struct request_queue *q, struct blk_plug *plug, struct bio *bio, unsigned int nsegs);
static struct request *__blk_mq_alloc_requests(struct blk_mq_alloc_data *data);
static struct request *blk_mq_rq_ctx_init(struct blk_mq_alloc_data *data, struct blk_mq_tags *tags, unsigned int tag);
static void blk_mq_bio_to_request(struct request *rq, struct bio *bio, unsigned int nr_segs);
void blk_account_io_start(struct request *rq);
bool blk_insert_flush(struct request *rq);
static void blk_kick_flush(struct request_queue *q, struct blk_flush_queue *fq, blk_opf_t flags);
static enum rq_end_io_ret flush_end_io(struct request *flush_rq, blk_status_t error);
static void blk_add_rq_to_plug(struct blk_plug *plug, struct request *rq);
static void blk_mq_insert_request(struct request *rq, blk_insert_t flags);
void blk_mq_run_hw_queue(struct blk_mq_hw_ctx *hctx, bool async);
void blk_mq_sched_dispatch_requests(struct blk_mq_hw_ctx *hctx);
static int __blk_mq_sched_dispatch_requests(struct blk_mq_hw_ctx *hctx);
bool blk_mq_dispatch_rq_list(struct blk_mq_hw_ctx *hctx, struct list_head *list, unsigned int nr_budgets);
static blk_status_t virtio_queue_rq(struct blk_mq_hw_ctx *hctx, const struct blk_mq_queue_data *bd);
static blk_status_t virtblk_prep_rq(struct blk_mq_hw_ctx *hctx, struct virtio_blk *vblk, struct request *req, struct virtblk_req *vbr);
void blk_mq_start_request(struct request *rq);
void blk_mq_complete_request(struct request *rq);
bool blk_mq_complete_request_remote(struct request *rq);
static void virtblk_request_done(struct request *req);
void blk_mq_end_request(struct request *rq, blk_status_t error);
bool blk_update_request(struct request *req, blk_status_t error, unsigned int nr_bytes);
void __blk_mq_end_request(struct request *rq, blk_status_t error);
static void blk_account_io_done(struct request *req, u64 now);
void blk_mq_free_request(struct request *rq);
static void __blk_mq_free_request(struct request *rq);
struct bio *bio_alloc_bioset(struct block_device *bdev, unsigned short nr_vecs, blk_opf_t opf, gfp_t gfp_mask, struct bio_set *bs);
void bio_init(struct bio *bio, struct block_device *bdev, struct bio_vec *table, unsigned short max_vecs, blk_opf_t opf);
bool bio_add_folio(struct bio *bio, struct folio *folio, size_t len, size_t off);
void bio_associate_blkg(struct bio *bio);
void bio_endio(struct bio *bio);
static void submit_bio_wait_endio(struct bio *bio);
void bio_put(struct bio *bio);
static void bio_free(struct bio *bio);
int blkdev_issue_flush(struct block_device *bdev);
static void blkdev_bio_end_io_async(struct bio *bio);
static int do_open(struct inode *inode, struct file *file);

#endif /* _BTFSNOOP_KMODEL_BLOCK_H */
