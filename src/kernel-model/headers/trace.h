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

/* The common fields every event record starts with. */
struct trace_entry {
	unsigned short type;
	unsigned char flags;
	unsigned char preempt_count;
	int pid;
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
 * The raw tracepoints' prototypes, as the kernel's BTF carries them (one
 * btf_trace_<event> typedef per event, first argument the probe's data).
 */
typedef void (*btf_trace_sys_enter)(void *__data, struct pt_regs *regs, long int id);
typedef void (*btf_trace_sys_exit)(void *__data, struct pt_regs *regs, long int ret);

#endif /* _BTFSNOOP_KMODEL_TRACE_H */
