/*
 * trace.h - register frame and trace event records of the btfsnoop
 * synthetic kernel.
 *
 * Modelled on arch/x86/include/asm/ptrace.h (struct pt_regs, x86_64) and
 * on the record structs TRACE_EVENT() generates (include/trace/trace_events.h:
 * struct trace_entry, struct trace_event_raw_<class>), which a real kernel's
 * BTF carries for every event class, and the btf_trace_<event> typedefs of
 * raw tracepoints.  The block ones match the formats of
 * block:block_rq_issue and block:block_rq_complete (include/trace/events/block.h).
 *
 * Requires: types.h.
 */
#ifndef _BTFSNOOP_KMODEL_TRACE_H
#define _BTFSNOOP_KMODEL_TRACE_H

struct task_struct;
struct sk_buff;
struct sock;
struct net_device;
struct request;

/* What a syscall (or an interrupt) saved: the sys_enter/sys_exit raw tracepoints' regs. */
struct pt_regs {
	unsigned long r15;
	unsigned long r14;
	unsigned long r13;
	unsigned long r12;
	unsigned long bp;
	unsigned long bx;
	unsigned long r11;
	unsigned long r10;
	unsigned long r9;
	unsigned long r8;
	unsigned long ax;
	unsigned long cx;
	unsigned long dx;
	unsigned long si;
	unsigned long di;
	unsigned long orig_ax;
	unsigned long ip;
	unsigned long cs;
	unsigned long flags;
	unsigned long sp;
	unsigned long ss;
};

/* block_rq_issue (event class block_rq). */
struct trace_event_raw_block_rq {
	struct trace_entry ent;
	dev_t dev;
	sector_t sector;
	unsigned int nr_sector;
	unsigned int bytes;
	unsigned short ioprio;
	char rwbs[8];
	char comm[16];
	u32 __data_loc_cmd;
	char __data[0];
};

/* block_rq_complete (event class block_rq_completion). */
struct trace_event_raw_block_rq_completion {
	struct trace_entry ent;
	dev_t dev;
	sector_t sector;
	unsigned int nr_sector;
	int error;
	unsigned short ioprio;
	char rwbs[8];
	u32 __data_loc_cmd;
	char __data[0];
};

/*
 * A perf_event program's context (include/uapi/linux/bpf_perf_event.h,
 * arch/x86/include/uapi/asm/bpf_perf_event.h).
 */
typedef struct pt_regs bpf_user_pt_regs_t;

struct bpf_perf_event_data {
	bpf_user_pt_regs_t regs;
	__u64 sample_period;
	__u64 addr;
};

/*
 * The records of the syscalls:sys_enter_<name> / sys_exit_<name> events
 * (kernel/trace/trace.h) and of raw_syscalls:sys_enter / sys_exit
 * (include/trace/events/syscalls.h).
 */
struct syscall_trace_enter {
	struct trace_entry ent;
	int nr;
	unsigned long args[];
};

struct syscall_trace_exit {
	struct trace_entry ent;
	int nr;
	long ret;
};

struct trace_event_raw_sys_enter {
	struct trace_entry ent;
	long id;
	unsigned long args[6];
	char __data[0];
};

struct trace_event_raw_sys_exit {
	struct trace_entry ent;
	long id;
	long ret;
	char __data[0];
};

/*
 * The records of the model's other events, laid out as their format files
 * (src/kernel-model/tracepoint-defs.ts): sched_switch, sched_migrate_task
 * (6.12's comm[16]; 6.18 has __data_loc_comm), netif_receive_skb (class
 * net_dev_template) and net_dev_xmit; kfree_skb's is in net.h, next to its
 * enum skb_drop_reason.
 */
struct trace_event_raw_sched_switch {
	struct trace_entry ent;
	char prev_comm[16];
	pid_t prev_pid;
	int prev_prio;
	long prev_state;
	char next_comm[16];
	pid_t next_pid;
	int next_prio;
	char __data[0];
};

struct trace_event_raw_sched_migrate_task {
	struct trace_entry ent;
	char comm[16];
	pid_t pid;
	int prio;
	int orig_cpu;
	int dest_cpu;
	char __data[0];
};

struct trace_event_raw_net_dev_template {
	struct trace_entry ent;
	void *skbaddr;
	unsigned int len;
	u32 __data_loc_name;
	char __data[0];
};

struct trace_event_raw_net_dev_xmit {
	struct trace_entry ent;
	void *skbaddr;
	unsigned int len;
	int rc;
	u32 __data_loc_name;
	char __data[0];
};

/*
 * Records of events tracing tools attach to that the model does not fire
 * yet (include/trace/events/sock.h, tcp.h, kmem.h, percpu.h, signal.h),
 * with Linux 6.18's members and offsets, so programs built against this
 * kernel's vmlinux.h compile and relocate.
 */
struct trace_event_raw_inet_sock_set_state {
	struct trace_entry ent;
	const void *skaddr;
	int oldstate;
	int newstate;
	__u16 sport;
	__u16 dport;
	__u16 family;
	__u16 protocol;
	__u8 saddr[4];
	__u8 daddr[4];
	__u8 saddr_v6[16];
	__u8 daddr_v6[16];
	char __data[0];
};

struct trace_event_raw_tcp_event_sk {
	struct trace_entry ent;
	const void *skaddr;
	__u16 sport;
	__u16 dport;
	__u16 family;
	__u8 saddr[4];
	__u8 daddr[4];
	__u8 saddr_v6[16];
	__u8 daddr_v6[16];
	__u64 sock_cookie;
	char __data[0];
};

struct trace_event_raw_kmalloc {
	struct trace_entry ent;
	unsigned long call_site;
	const void *ptr;
	size_t bytes_req;
	size_t bytes_alloc;
	unsigned long gfp_flags;
	int node;
	char __data[0];
};

struct trace_event_raw_kfree {
	struct trace_entry ent;
	unsigned long call_site;
	const void *ptr;
	char __data[0];
};

struct trace_event_raw_kmem_cache_alloc {
	struct trace_entry ent;
	unsigned long call_site;
	const void *ptr;
	u32 __data_loc_name;
	size_t bytes_req;
	size_t bytes_alloc;
	unsigned long gfp_flags;
	int node;
	bool accounted;
	char __data[0];
};

struct trace_event_raw_kmem_cache_free {
	struct trace_entry ent;
	unsigned long call_site;
	const void *ptr;
	u32 __data_loc_name;
	char __data[0];
};

struct trace_event_raw_mm_page_alloc {
	struct trace_entry ent;
	unsigned long pfn;
	unsigned int order;
	unsigned long gfp_flags;
	int migratetype;
	char __data[0];
};

struct trace_event_raw_mm_page_free {
	struct trace_entry ent;
	unsigned long pfn;
	unsigned int order;
	char __data[0];
};

struct trace_event_raw_percpu_alloc_percpu {
	struct trace_entry ent;
	unsigned long call_site;
	bool reserved;
	bool is_atomic;
	size_t size;
	size_t align;
	void *base_addr;
	int off;
	void *ptr;
	size_t bytes_alloc;
	unsigned long gfp_flags;
	char __data[0];
};

struct trace_event_raw_percpu_free_percpu {
	struct trace_entry ent;
	void *base_addr;
	int off;
	void *ptr;
	char __data[0];
};

struct trace_event_raw_signal_generate {
	struct trace_entry ent;
	int sig;
	int errno;
	int code;
	char comm[16];
	pid_t pid;
	int group;
	int result;
	char __data[0];
};

/*
 * The raw tracepoints' prototypes, as the kernel's BTF carries them (one
 * btf_trace_<event> typedef per event, first argument the probe's data).
 */
typedef void (*btf_trace_sys_enter)(void *__data, struct pt_regs *regs, long int id);
typedef void (*btf_trace_sys_exit)(void *__data, struct pt_regs *regs, long int ret);
typedef void (*btf_trace_sched_switch)(void *__data, bool preempt, struct task_struct *prev, struct task_struct *next, unsigned int prev_state);
typedef void (*btf_trace_sched_migrate_task)(void *__data, struct task_struct *p, int dest_cpu);
typedef void (*btf_trace_netif_receive_skb)(void *__data, struct sk_buff *skb);
typedef void (*btf_trace_net_dev_xmit)(void *__data, struct sk_buff *skb, int rc, struct net_device *dev, unsigned int skb_len);
typedef void (*btf_trace_block_rq_issue)(void *__data, struct request *rq);
typedef void (*btf_trace_block_rq_complete)(void *__data, struct request *rq, blk_status_t error, unsigned int nr_bytes);

#endif /* _BTFSNOOP_KMODEL_TRACE_H */
