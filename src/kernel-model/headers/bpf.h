/*
 * bpf.h - BPF subsystem of the btfsnoop synthetic kernel.
 *
 * Modelled on include/uapi/linux/bpf.h (enum bpf_cmd / bpf_map_type /
 * bpf_prog_type with their real values), include/linux/bpf.h,
 * include/linux/filter.h and kernel/bpf/syscall.c of Linux 6.x (x86_64),
 * trimmed to the important members while keeping the real member order.
 *
 * Requires: types.h.  Types owned by other headers are only forward-declared.
 */
#ifndef _BTFSNOOP_KMODEL_BPF_H
#define _BTFSNOOP_KMODEL_BPF_H

#define BPF_OBJ_NAME_LEN 16
#define BPF_TAG_SIZE 8
#define MAX_BPF_FUNC_ARGS 12

struct btf;
struct bpf_map_ops;
struct bpf_prog_ops;
struct bpf_verifier_ops;
struct bpf_prog_stats;
struct bpf_ksym;
struct bpf_trampoline;
struct bpf_token;
struct sock_fprog_kern;
struct user_struct;
struct seq_file;
struct file;
struct mem_cgroup;
struct bpf_prog;
union bpf_attr;
struct btf_record;
struct bpf_ctx_arg_aux;
struct btf_mod_pair;
struct bpf_verifier_env;

/* include/uapi/linux/bpf.h */
enum bpf_cmd {
	BPF_MAP_CREATE,
	BPF_MAP_LOOKUP_ELEM,
	BPF_MAP_UPDATE_ELEM,
	BPF_MAP_DELETE_ELEM,
	BPF_MAP_GET_NEXT_KEY,
	BPF_PROG_LOAD,
	BPF_OBJ_PIN,
	BPF_OBJ_GET,
	BPF_PROG_ATTACH,
	BPF_PROG_DETACH,
	BPF_PROG_TEST_RUN,
	BPF_PROG_RUN = BPF_PROG_TEST_RUN,
	BPF_PROG_GET_NEXT_ID,
	BPF_MAP_GET_NEXT_ID,
	BPF_PROG_GET_FD_BY_ID,
	BPF_MAP_GET_FD_BY_ID,
	BPF_OBJ_GET_INFO_BY_FD,
	BPF_PROG_QUERY,
	BPF_RAW_TRACEPOINT_OPEN,
	BPF_BTF_LOAD,
	BPF_BTF_GET_FD_BY_ID,
	BPF_TASK_FD_QUERY,
	BPF_MAP_LOOKUP_AND_DELETE_ELEM,
	BPF_MAP_FREEZE,
	BPF_BTF_GET_NEXT_ID,
	BPF_MAP_LOOKUP_BATCH,
	BPF_MAP_LOOKUP_AND_DELETE_BATCH,
	BPF_MAP_UPDATE_BATCH,
	BPF_MAP_DELETE_BATCH,
	BPF_LINK_CREATE,
	BPF_LINK_UPDATE,
	BPF_LINK_GET_FD_BY_ID,
	BPF_LINK_GET_NEXT_ID,
	BPF_ENABLE_STATS,
	BPF_ITER_CREATE,
	BPF_LINK_DETACH,
	BPF_PROG_BIND_MAP,
	BPF_TOKEN_CREATE,
	__MAX_BPF_CMD,
};

enum bpf_map_type {
	BPF_MAP_TYPE_UNSPEC,
	BPF_MAP_TYPE_HASH,
	BPF_MAP_TYPE_ARRAY,
	BPF_MAP_TYPE_PROG_ARRAY,
	BPF_MAP_TYPE_PERF_EVENT_ARRAY,
	BPF_MAP_TYPE_PERCPU_HASH,
	BPF_MAP_TYPE_PERCPU_ARRAY,
	BPF_MAP_TYPE_STACK_TRACE,
	BPF_MAP_TYPE_CGROUP_ARRAY,
	BPF_MAP_TYPE_LRU_HASH,
	BPF_MAP_TYPE_LRU_PERCPU_HASH,
	BPF_MAP_TYPE_LPM_TRIE,
	BPF_MAP_TYPE_ARRAY_OF_MAPS,
	BPF_MAP_TYPE_HASH_OF_MAPS,
	BPF_MAP_TYPE_DEVMAP,
	BPF_MAP_TYPE_SOCKMAP,
	BPF_MAP_TYPE_CPUMAP,
	BPF_MAP_TYPE_XSKMAP,
	BPF_MAP_TYPE_SOCKHASH,
	BPF_MAP_TYPE_CGROUP_STORAGE_DEPRECATED,
	BPF_MAP_TYPE_CGROUP_STORAGE = BPF_MAP_TYPE_CGROUP_STORAGE_DEPRECATED,
	BPF_MAP_TYPE_REUSEPORT_SOCKARRAY,
	BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE_DEPRECATED,
	BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE = BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE_DEPRECATED,
	BPF_MAP_TYPE_QUEUE,
	BPF_MAP_TYPE_STACK,
	BPF_MAP_TYPE_SK_STORAGE,
	BPF_MAP_TYPE_DEVMAP_HASH,
	BPF_MAP_TYPE_STRUCT_OPS,
	BPF_MAP_TYPE_RINGBUF,
	BPF_MAP_TYPE_INODE_STORAGE,
	BPF_MAP_TYPE_TASK_STORAGE,
	BPF_MAP_TYPE_BLOOM_FILTER,
	BPF_MAP_TYPE_USER_RINGBUF,
	BPF_MAP_TYPE_CGRP_STORAGE,
	BPF_MAP_TYPE_ARENA,
	__MAX_BPF_MAP_TYPE
};

enum bpf_prog_type {
	BPF_PROG_TYPE_UNSPEC,
	BPF_PROG_TYPE_SOCKET_FILTER,
	BPF_PROG_TYPE_KPROBE,
	BPF_PROG_TYPE_SCHED_CLS,
	BPF_PROG_TYPE_SCHED_ACT,
	BPF_PROG_TYPE_TRACEPOINT,
	BPF_PROG_TYPE_XDP,
	BPF_PROG_TYPE_PERF_EVENT,
	BPF_PROG_TYPE_CGROUP_SKB,
	BPF_PROG_TYPE_CGROUP_SOCK,
	BPF_PROG_TYPE_LWT_IN,
	BPF_PROG_TYPE_LWT_OUT,
	BPF_PROG_TYPE_LWT_XMIT,
	BPF_PROG_TYPE_SOCK_OPS,
	BPF_PROG_TYPE_SK_SKB,
	BPF_PROG_TYPE_CGROUP_DEVICE,
	BPF_PROG_TYPE_SK_MSG,
	BPF_PROG_TYPE_RAW_TRACEPOINT,
	BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
	BPF_PROG_TYPE_LWT_SEG6LOCAL,
	BPF_PROG_TYPE_LIRC_MODE2,
	BPF_PROG_TYPE_SK_REUSEPORT,
	BPF_PROG_TYPE_FLOW_DISSECTOR,
	BPF_PROG_TYPE_CGROUP_SYSCTL,
	BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE,
	BPF_PROG_TYPE_CGROUP_SOCKOPT,
	BPF_PROG_TYPE_TRACING,
	BPF_PROG_TYPE_STRUCT_OPS,
	BPF_PROG_TYPE_EXT,
	BPF_PROG_TYPE_LSM,
	BPF_PROG_TYPE_SK_LOOKUP,
	BPF_PROG_TYPE_SYSCALL,
	BPF_PROG_TYPE_NETFILTER,
	__MAX_BPF_PROG_TYPE
};

enum bpf_attach_type {
	BPF_CGROUP_INET_INGRESS = 0,
	BPF_CGROUP_INET_EGRESS = 1,
	BPF_CGROUP_INET_SOCK_CREATE = 2,
	BPF_CGROUP_SOCK_OPS = 3,
	BPF_SK_SKB_STREAM_PARSER = 4,
	BPF_SK_SKB_STREAM_VERDICT = 5,
	BPF_CGROUP_DEVICE = 6,
	BPF_SK_MSG_VERDICT = 7,
	BPF_CGROUP_INET4_BIND = 8,
	BPF_CGROUP_INET6_BIND = 9,
	BPF_CGROUP_INET4_CONNECT = 10,
	BPF_CGROUP_INET6_CONNECT = 11,
	BPF_CGROUP_INET4_POST_BIND = 12,
	BPF_CGROUP_INET6_POST_BIND = 13,
	BPF_CGROUP_UDP4_SENDMSG = 14,
	BPF_CGROUP_UDP6_SENDMSG = 15,
	BPF_LIRC_MODE2 = 16,
	BPF_FLOW_DISSECTOR = 17,
	BPF_CGROUP_SYSCTL = 18,
	BPF_CGROUP_UDP4_RECVMSG = 19,
	BPF_CGROUP_UDP6_RECVMSG = 20,
	BPF_CGROUP_GETSOCKOPT = 21,
	BPF_CGROUP_SETSOCKOPT = 22,
	BPF_TRACE_RAW_TP = 23,
	BPF_TRACE_FENTRY = 24,
	BPF_TRACE_FEXIT = 25,
	BPF_MODIFY_RETURN = 26,
	BPF_LSM_MAC = 27,
	BPF_TRACE_ITER = 28,
	BPF_CGROUP_INET4_GETPEERNAME = 29,
	BPF_CGROUP_INET6_GETPEERNAME = 30,
	BPF_CGROUP_INET4_GETSOCKNAME = 31,
	BPF_CGROUP_INET6_GETSOCKNAME = 32,
	BPF_XDP_DEVMAP = 33,
	BPF_CGROUP_INET_SOCK_RELEASE = 34,
	BPF_XDP_CPUMAP = 35,
	BPF_SK_LOOKUP = 36,
	BPF_XDP = 37,
	BPF_SK_SKB_VERDICT = 38,
	BPF_SK_REUSEPORT_SELECT = 39,
	BPF_SK_REUSEPORT_SELECT_OR_MIGRATE = 40,
	BPF_PERF_EVENT = 41,
	BPF_TRACE_KPROBE_MULTI = 42,
	BPF_LSM_CGROUP = 43,
	BPF_STRUCT_OPS = 44,
	BPF_NETFILTER = 45,
	BPF_TCX_INGRESS = 46,
	BPF_TCX_EGRESS = 47,
	BPF_TRACE_UPROBE_MULTI = 48,
	BPF_CGROUP_UNIX_CONNECT = 49,
	BPF_CGROUP_UNIX_SENDMSG = 50,
	BPF_CGROUP_UNIX_RECVMSG = 51,
	BPF_CGROUP_UNIX_GETPEERNAME = 52,
	BPF_CGROUP_UNIX_GETSOCKNAME = 53,
	BPF_NETKIT_PRIMARY = 54,
	BPF_NETKIT_PEER = 55,
	BPF_TRACE_KPROBE_SESSION = 56,
	BPF_TRACE_UPROBE_SESSION = 57,
	__MAX_BPF_ATTACH_TYPE = 58,
};

/* map_flags (BPF_F_*) and a 64-bit-valued flag set as in uapi */
enum {
	BPF_F_NO_PREALLOC = (1 << 0),
	BPF_F_NO_COMMON_LRU = (1 << 1),
	BPF_F_NUMA_NODE = (1 << 2),
	BPF_F_RDONLY = (1 << 3),
	BPF_F_WRONLY = (1 << 4),
	BPF_F_STACK_BUILD_ID = (1 << 5),
	BPF_F_ZERO_SEED = (1 << 6),
	BPF_F_RDONLY_PROG = (1 << 7),
	BPF_F_WRONLY_PROG = (1 << 8),
	BPF_F_CLONE = (1 << 9),
	BPF_F_MMAPABLE = (1 << 10),
	BPF_F_PRESERVE_ELEMS = (1 << 11),
	BPF_F_INNER_MAP = (1 << 12),
	BPF_F_LINK = (1 << 13),
	BPF_F_PATH_FD = (1 << 14),
	BPF_F_VTYPE_BTF_OBJ_FD = (1 << 15),
	BPF_F_TOKEN_FD = (1 << 16),
	BPF_F_SEGV_ON_FAULT = (1 << 17),
	BPF_F_NO_USER_CONV = (1 << 18),
};

enum {
	BPF_F_INDEX_MASK = 0xffffffff,
	BPF_F_CURRENT_CPU = BPF_F_INDEX_MASK,
	BPF_F_CTXLEN_MASK = 0xfffff00000000,
};

/*
 * BPF iterator program contexts (include/linux/bpf.h struct bpf_iter_meta,
 * and the struct bpf_iter__<target> each iterator's DEFINE_BPF_ITER_FUNC
 * declares: kernel/bpf/task_iter.c, map_iter.c, prog_iter.c,
 * net/netlink/af_netlink.c, net/ipv6/route.c), Linux's shapes: every pointer
 * wrapped in a one-member union (__bpf_md_ptr).
 */
struct task_struct;
struct netlink_sock;
struct fib6_info;

struct bpf_iter_meta {
	union {
		struct seq_file *seq;
	};
	u64 session_id;
	u64 seq_num;
};

struct bpf_iter__task {
	union {
		struct bpf_iter_meta *meta;
	};
	union {
		struct task_struct *task;
	};
};

struct bpf_iter__task_file {
	union {
		struct bpf_iter_meta *meta;
	};
	union {
		struct task_struct *task;
	};
	u32 fd;
	union {
		struct file *file;
	};
};

struct bpf_iter__bpf_map {
	union {
		struct bpf_iter_meta *meta;
	};
	union {
		struct bpf_map *map;
	};
};

struct bpf_iter__bpf_prog {
	union {
		struct bpf_iter_meta *meta;
	};
	union {
		struct bpf_prog *prog;
	};
};

struct bpf_iter__netlink {
	union {
		struct bpf_iter_meta *meta;
	};
	union {
		struct netlink_sock *sk;
	};
};

struct bpf_iter__ipv6_route {
	union {
		struct bpf_iter_meta *meta;
	};
	union {
		struct fib6_info *rt;
	};
};

/*
 * A BPF ring buffer's kernel side (kernel/bpf/ringbuf.c), Linux 6.12's
 * members at Linux's offsets (the positions on their own pages); 6.18's
 * spinlock is an rqspinlock_t at the same offset.  Tools test
 * bpf_core_type_exists(struct bpf_ringbuf) to choose a ring buffer over a
 * perf buffer.  irq_work and rcuwait: include/linux/irq_work_types.h,
 * include/linux/rcuwait.h.
 */
struct rcuwait {
	struct task_struct *task;
};

struct irq_work {
	struct __call_single_node node;
	void (*func)(struct irq_work *);
	struct rcuwait irqwait;
};

struct bpf_ringbuf {
	wait_queue_head_t waitq;
	struct irq_work work;
	u64 mask;
	struct page **pages;
	int nr_pages;
	spinlock_t spinlock __attribute__((aligned(64)));
	atomic_t busy __attribute__((aligned(64)));
	unsigned long consumer_pos __attribute__((aligned(4096)));
	unsigned long producer_pos __attribute__((aligned(4096)));
	unsigned long pending_pos;
	char data[] __attribute__((aligned(4096)));
};

/* include/uapi/linux/bpf.h: bpf_get_ns_current_pid_tgid's result */
struct bpf_pidns_info {
	__u32 pid;
	__u32 tgid;
};

/* include/uapi/linux/bpf.h */
struct bpf_insn {
	__u8 code;		/* opcode */
	__u8 dst_reg:4;		/* dest register */
	__u8 src_reg:4;		/* source register */
	__s16 off;		/* signed offset */
	__s32 imm;		/* signed immediate constant */
};

/* include/linux/bpf.h */
struct bpf_map {
	const struct bpf_map_ops *ops;
	struct bpf_map *inner_map_meta;
	void *security;
	enum bpf_map_type map_type;
	u32 key_size;
	u32 value_size;
	u32 max_entries;
	u64 map_extra;	/* any per-map-type extra fields */
	u32 map_flags;
	u32 id;
	struct btf_record *record;
	int numa_node;
	u32 btf_key_type_id;
	u32 btf_value_type_id;
	u32 btf_vmlinux_value_type_id;
	struct btf *btf;
	struct mem_cgroup *memcg;
	char name[16];
	struct mutex freeze_mutex;
	atomic64_t refcnt;
	atomic64_t usercnt;
	/* rcu is used before freeing and work is only used during freeing */
	union {
		struct work_struct work;
		struct callback_head rcu;
	};
	atomic64_t writecnt;
	struct {
		spinlock_t lock;
		enum bpf_prog_type type;
		bool jited;
		bool xdp_has_frags;
	} owner;
	bool bypass_spec_v1;
	bool frozen;	/* write-once; write-protected by freeze_mutex */
	bool free_after_mult_rcu_gp;
	bool free_after_rcu_gp;
	atomic64_t sleepable_refcnt;
	s64 *elem_count;
};

struct bpf_prog_aux {
	atomic64_t refcnt;
	u32 used_map_cnt;
	u32 used_btf_cnt;
	u32 max_ctx_offset;
	u32 max_pkt_offset;
	u32 max_tp_access;
	u32 stack_depth;
	u32 id;
	u32 func_cnt;
	u32 real_func_cnt;
	u32 func_idx;
	u32 attach_btf_id;
	u32 ctx_arg_info_size;
	u32 max_rdonly_access;
	u32 max_rdwr_access;
	struct btf *attach_btf;
	const struct bpf_ctx_arg_aux *ctx_arg_info;
	struct bpf_prog *dst_prog;
	struct bpf_trampoline *dst_trampoline;
	enum bpf_prog_type saved_dst_prog_type;
	enum bpf_attach_type saved_dst_attach_type;
	bool verifier_zext;
	bool dev_bound;
	bool offload_requested;
	bool attach_btf_trace;
	bool attach_tracing_prog;
	bool func_proto_unreliable;
	bool tail_call_reachable;
	bool xdp_has_frags;
	bool exception_cb;
	bool exception_boundary;
	const char *attach_func_name;
	struct bpf_prog **func;
	void *jit_data;
	struct bpf_ksym *ksym_prefix;
	struct bpf_map **used_maps;
	struct mutex used_maps_mutex;
	struct btf_mod_pair *used_btfs;
	struct bpf_prog *prog;
	struct user_struct *user;
	u64 load_time;	/* ns since boottime */
	u32 verified_insns;
	int cgroup_atype;
	struct bpf_map *cgroup_storage[2];
	char name[16];
	u64 (*bpf_exception_cb)(u64 cookie, u64 sp, u64 bp, u64, u64);
	void *security;
	struct bpf_token *token;
	struct btf *btf;
	u32 func_info_cnt;
	u32 nr_linfo;
	union {
		struct work_struct work;
		struct callback_head rcu;
	};
};

struct bpf_prog {
	u16 pages;	/* Number of allocated pages */
	u16 jited:1,	/* Is our filter JIT'ed? */
	    jit_requested:1,	/* archs need to JIT the prog */
	    gpl_compatible:1,	/* Is filter GPL compatible? */
	    cb_access:1,	/* Is control block accessed? */
	    dst_needed:1,	/* Do we need dst entry? */
	    blinding_requested:1,	/* needs constant blinding */
	    blinded:1,	/* Was blinded */
	    is_func:1,	/* program is a bpf function */
	    kprobe_override:1,	/* Do we override a kprobe? */
	    has_callchain_buf:1,	/* callchain buffer allocated? */
	    enforce_expected_attach_type:1,	/* Enforce expected_attach_type checking at attach time */
	    call_get_stack:1,	/* Do we call bpf_get_stack() or bpf_get_stackid() */
	    call_get_func_ip:1,	/* Do we call get_func_ip() */
	    tstamp_type_access:1,	/* Accessed __sk_buff->tstamp_type */
	    sleepable:1;	/* BPF program is sleepable */
	enum bpf_prog_type type;	/* Type of BPF program */
	enum bpf_attach_type expected_attach_type;	/* For some prog types */
	u32 len;	/* Number of filter blocks */
	u32 jited_len;	/* Size of jited insns in bytes */
	u8 tag[8];
	struct bpf_prog_stats *stats;
	int *active;
	unsigned int (*bpf_func)(const void *ctx, const struct bpf_insn *insn);
	struct bpf_prog_aux *aux;	/* Auxiliary fields */
	struct sock_fprog_kern *orig_prog;	/* Original BPF program */
	/* Instructions for interpreter */
	struct bpf_insn insnsi[];
};

typedef unsigned int (*bpf_func_t)(const void *ctx, const struct bpf_insn *insn);
typedef u64 (*bpf_callback_t)(u64, u64, u64, u64, u64);

/*
 * include/uapi/linux/bpf.h: the bpf(2) attribute union (the commands the
 * model serves: map create, element commands, prog load, test run, get
 * info) and the info records BPF_OBJ_GET_INFO_BY_FD fills (their leading
 * members: user space passes info_len and gets what fits).
 */
union bpf_attr {
	struct {
		__u32 map_type;
		__u32 key_size;
		__u32 value_size;
		__u32 max_entries;
		__u32 map_flags;
		__u32 inner_map_fd;
		__u32 numa_node;
		char map_name[BPF_OBJ_NAME_LEN];
		__u32 map_ifindex;
		__u32 btf_fd;
		__u32 btf_key_type_id;
		__u32 btf_value_type_id;
		__u32 btf_vmlinux_value_type_id;
		__u64 map_extra;
		__s32 value_type_btf_obj_fd;
		__s32 map_token_fd;
	};
	struct {
		__u32 map_fd;
		__u64 key __attribute__((aligned(8)));
		union {
			__u64 value __attribute__((aligned(8)));
			__u64 next_key __attribute__((aligned(8)));
		};
		__u64 flags;
	};
	struct {
		__u32 prog_type;
		__u32 insn_cnt;
		__u64 insns __attribute__((aligned(8)));
		__u64 license __attribute__((aligned(8)));
		__u32 log_level;
		__u32 log_size;
		__u64 log_buf __attribute__((aligned(8)));
		__u32 kern_version;
		__u32 prog_flags;
		char prog_name[BPF_OBJ_NAME_LEN];
		__u32 prog_ifindex;
		__u32 expected_attach_type;
		__u32 prog_btf_fd;
		__u32 func_info_rec_size;
		__u64 func_info __attribute__((aligned(8)));
		__u32 func_info_cnt;
		__u32 line_info_rec_size;
		__u64 line_info __attribute__((aligned(8)));
		__u32 line_info_cnt;
		__u32 attach_btf_id;
		union {
			__u32 attach_prog_fd;
			__u32 attach_btf_obj_fd;
		};
		__u32 core_relo_cnt;
		__u64 fd_array __attribute__((aligned(8)));
		__u64 core_relos __attribute__((aligned(8)));
		__u32 core_relo_rec_size;
		__u32 log_true_size;
		__s32 prog_token_fd;
	};
	struct {
		__u32 prog_fd;
		__u32 retval;
		__u32 data_size_in;
		__u32 data_size_out;
		__u64 data_in __attribute__((aligned(8)));
		__u64 data_out __attribute__((aligned(8)));
		__u32 repeat;
		__u32 duration;
		__u32 ctx_size_in;
		__u32 ctx_size_out;
		__u64 ctx_in __attribute__((aligned(8)));
		__u64 ctx_out __attribute__((aligned(8)));
		__u32 flags;
		__u32 cpu;
		__u32 batch_size;
	} test;
	struct {
		__u32 bpf_fd;
		__u32 info_len;
		__u64 info __attribute__((aligned(8)));
	} info;
};

struct bpf_prog_info {
	__u32 type;
	__u32 id;
	__u8 tag[BPF_TAG_SIZE];
	__u32 jited_prog_len;
	__u32 xlated_prog_len;
	__u64 jited_prog_insns __attribute__((aligned(8)));
	__u64 xlated_prog_insns __attribute__((aligned(8)));
	__u64 load_time;
	__u32 created_by_uid;
	__u32 nr_map_ids;
	__u64 map_ids __attribute__((aligned(8)));
	char name[BPF_OBJ_NAME_LEN];
} __attribute__((aligned(8)));

struct bpf_map_info {
	__u32 type;
	__u32 id;
	__u32 key_size;
	__u32 value_size;
	__u32 max_entries;
	__u32 map_flags;
	char name[BPF_OBJ_NAME_LEN];
} __attribute__((aligned(8)));

/*
 * include/linux/bpfptr.h: a bpf(2) attribute pointer that may be a user or
 * a kernel address (sockptr_t, include/linux/sockptr.h). Functions taking
 * one by value get its address in their argument (the union's first word;
 * is_kernel is false for every syscall the model makes).
 */
#ifndef _BTFSNOOP_SOCKPTR_T
#define _BTFSNOOP_SOCKPTR_T
typedef struct {
	union {
		void *kernel;
		void *user;
	};
	bool is_kernel : 1;
} sockptr_t;
#endif
typedef sockptr_t bpfptr_t;

/* include/linux/list_nulls.h */
#ifndef _BTFSNOOP_LIST_NULLS
#define _BTFSNOOP_LIST_NULLS
struct hlist_nulls_node {
	struct hlist_nulls_node *next, **pprev;
};
struct hlist_nulls_head {
	struct hlist_nulls_node *first;
};
#endif

/*
 * kernel/bpf/arraymap.c, kernel/bpf/hashtab.c: the map types behind the
 * struct bpf_map, Linux 6.12's leading members (the rest trimmed). An
 * array's values follow it (elem_size = round_up(value_size, 8) each); a
 * hash element is its header, the key rounded up to 8, then the value.
 */
struct bpf_array_aux;
struct bpf_mem_alloc;

struct bpf_array {
	struct bpf_map map;
	u32 elem_size;
	u32 index_mask;
	struct bpf_array_aux *aux;
	union {
		char value[0] __attribute__((aligned(8)));
		void *ptrs[0];
		void *pptrs[0];
	};
};

struct bucket {
	struct hlist_nulls_head head;
	raw_spinlock_t raw_lock;
};

struct bpf_htab {
	struct bpf_map map;
	struct bucket *buckets;
	void *elems;
	atomic_t count;
	bool use_percpu_counter;
	u32 n_buckets;
	u32 elem_size;
	u32 hashrnd;
};

struct htab_elem {
	union {
		struct hlist_nulls_node hash_node;
		struct {
			void *padding;
			union {
				struct htab_elem *batch_flink;
			};
		};
	};
	union {
		void *ptr_to_pptr;
	};
	u32 hash;
	char key[] __attribute__((aligned(8)));
};

/*
 * The bpf(2) syscall's kernel side, Linux 6.12 (kernel/bpf/syscall.c,
 * core.c, verifier.c, hashtab.c, arraymap.c, memalloc.c, net/bpf/test_run.c,
 * arch/x86/net/bpf_jit_comp.c, include/linux/filter.h).
 */
static int __sys_bpf(enum bpf_cmd cmd, bpfptr_t uattr, unsigned int size);
static int map_create(union bpf_attr *attr);
static int map_lookup_elem(union bpf_attr *attr);
static int map_update_elem(union bpf_attr *attr, bpfptr_t uattr);
static int map_delete_elem(union bpf_attr *attr, bpfptr_t uattr);
static int map_get_next_key(union bpf_attr *attr);
static int bpf_map_alloc_id(struct bpf_map *map);
void bpf_map_free_id(struct bpf_map *map);
void bpf_map_init_from_attr(struct bpf_map *map, union bpf_attr *attr);
int bpf_obj_name_cpy(char *dst, const char *src, unsigned int size);
int bpf_map_new_fd(struct bpf_map *map, int flags);
struct bpf_map *bpf_map_get(u32 ufd);
static int bpf_map_copy_value(struct bpf_map *map, void *key, void *value, __u64 flags);
int bpf_map_update_value(struct bpf_map *map, struct file *map_file, void *key, void *value, u64 flags);
static int bpf_map_release(struct inode *inode, struct file *filp);
void bpf_map_put_with_uref(struct bpf_map *map);
void bpf_map_put(struct bpf_map *map);
static void bpf_map_free_deferred(struct work_struct *work);
static int bpf_prog_load(union bpf_attr *attr, bpfptr_t uattr, u32 uattr_size);
struct bpf_prog *bpf_prog_alloc(unsigned int size, gfp_t gfp_extra_flags);
static int bpf_prog_alloc_id(struct bpf_prog *prog);
void bpf_prog_free_id(struct bpf_prog *prog);
int bpf_prog_new_fd(struct bpf_prog *prog);
struct bpf_prog *bpf_prog_get(u32 ufd);
static int bpf_prog_release(struct inode *inode, struct file *filp);
void bpf_prog_put(struct bpf_prog *prog);
static void bpf_prog_put_deferred(struct work_struct *work);
static void __bpf_prog_put_noref(struct bpf_prog *prog, bool deferred);
static void __bpf_prog_put_rcu(struct callback_head *rcu);
void bpf_prog_free(struct bpf_prog *fp);
int bpf_prog_calc_tag(struct bpf_prog *fp);
struct bpf_prog *bpf_prog_select_runtime(struct bpf_prog *fp, int *err);
struct bpf_prog *bpf_int_jit_compile(struct bpf_prog *prog);
void bpf_prog_kallsyms_add(struct bpf_prog *fp);
void bpf_prog_kallsyms_del(struct bpf_prog *fp);
int bpf_check(struct bpf_prog **prog, union bpf_attr *attr, bpfptr_t uattr, __u32 uattr_size);
void bpf_verifier_log_write(struct bpf_verifier_env *env, const char *fmt, ...);
static int bpf_prog_test_run(const union bpf_attr *attr, union bpf_attr *uattr);
int bpf_prog_test_run_raw_tp(struct bpf_prog *prog, const union bpf_attr *kattr, union bpf_attr *uattr);
int bpf_prog_test_run_syscall(struct bpf_prog *prog, const union bpf_attr *kattr, union bpf_attr *uattr);
u32 bpf_prog_run_pin_on_cpu(const struct bpf_prog *prog, const void *ctx);
static int bpf_obj_get_info_by_fd(const union bpf_attr *attr, union bpf_attr *uattr);
static int bpf_prog_get_info_by_fd(struct file *file, struct bpf_prog *prog, const union bpf_attr *attr, union bpf_attr *uattr);
static int bpf_map_get_info_by_fd(struct file *file, struct bpf_map *map, const union bpf_attr *attr, union bpf_attr *uattr);
/* kernel/bpf/hashtab.c, kernel/bpf/arraymap.c: the map_ops behind the element commands */
static int htab_map_alloc_check(union bpf_attr *attr);
static struct bpf_map *htab_map_alloc(union bpf_attr *attr);
static void *htab_map_lookup_elem(struct bpf_map *map, void *key);
static long htab_map_update_elem(struct bpf_map *map, void *key, void *value, u64 map_flags);
static long htab_map_delete_elem(struct bpf_map *map, void *key);
static int htab_map_get_next_key(struct bpf_map *map, void *key, void *next_key);
static struct htab_elem *alloc_htab_elem(struct bpf_htab *htab, void *key, void *value, u32 key_size, u32 hash, bool percpu, bool onallcpus, struct htab_elem *old_elem);
static void free_htab_elem(struct bpf_htab *htab, struct htab_elem *l);
static void htab_map_free(struct bpf_map *map);
int array_map_alloc_check(union bpf_attr *attr);
static struct bpf_map *array_map_alloc(union bpf_attr *attr);
static void *array_map_lookup_elem(struct bpf_map *map, void *key);
static long array_map_update_elem(struct bpf_map *map, void *key, void *value, u64 map_flags);
static long array_map_delete_elem(struct bpf_map *map, void *key);
static int array_map_get_next_key(struct bpf_map *map, void *key, void *next_key);
static void array_map_free(struct bpf_map *map);
/* kernel/bpf/memalloc.c: hash elements come from and go back to the map's bpf_mem_alloc */
void *bpf_mem_cache_alloc(struct bpf_mem_alloc *ma);
void bpf_mem_cache_free(struct bpf_mem_alloc *ma, void *ptr);
/*
 * btfsnoop's RCU callback that frees hash elements after a grace period
 * (the role of memalloc.c's __free_rcu): a static name shared with sched.h,
 * so kallsyms shows two free_item (the static-duplicate case tools meet).
 */
static void free_item(struct callback_head *head);

#endif /* _BTFSNOOP_KMODEL_BPF_H */
