/*
 * irq.h - hard IRQs, softirqs, the timer tick, timers and hrtimers,
 * workqueues and printk, and their trace records, of the btfsnoop synthetic
 * kernel.
 *
 * Prototypes are Linux 6.12's (arch/x86/kernel/apic/apic.c, irq.c,
 * kernel/irq/, kernel/softirq.c, kernel/time/, kernel/workqueue.c,
 * kernel/printk/printk.c, drivers/virtio, drivers/net/virtio_net.c,
 * drivers/block/virtio_blk.c, block/blk-mq.c, kernel/rcu/tree.c,
 * kernel/sched/fair.c).  Structs keep Linux's members in Linux's order,
 * trimmed at the end; struct irqaction is in sched.h.
 *
 * Requires: types.h, trace.h, sched.h, mm.h.
 */
#ifndef _BTFSNOOP_KMODEL_IRQ_H
#define _BTFSNOOP_KMODEL_IRQ_H

struct msi_desc;
struct irq_chip;
struct irq_domain;
struct irqstat;
struct module;
struct virtqueue;
struct timerqueue_head;
struct workqueue_attrs;
struct dev_printk_info;
struct __va_list_tag;

/* include/linux/irq.h, irqdesc.h (irq_hw_number_t is in types.h) */
struct irq_common_data {
	unsigned int state_use_accessors;
	unsigned int node;
	void *handler_data;
	struct msi_desc *msi_desc;
};

struct irq_data {
	u32 mask;
	unsigned int irq;
	irq_hw_number_t hwirq;
	struct irq_common_data *common;
	struct irq_chip *chip;
	struct irq_domain *domain;
	struct irq_data *parent_data;
	void *chip_data;
};

struct irq_desc;
typedef void (*irq_flow_handler_t)(struct irq_desc *desc);

struct irq_desc {
	struct irq_common_data irq_common_data;
	struct irq_data irq_data;
	struct irqstat *kstat_irqs;
	irq_flow_handler_t handle_irq;
	struct irqaction *action;
	unsigned int status_use_accessors;
	unsigned int core_internal_state__do_not_mess_with_it;
	unsigned int depth;
	unsigned int wake_depth;
	unsigned int tot_count;
	unsigned int irq_count;
	unsigned long last_unhandled;
	unsigned int irqs_unhandled;
	atomic_t threads_handled;
	int threads_handled_last;
	raw_spinlock_t lock;
};

/* include/linux/interrupt.h */
struct softirq_action {
	void (*action)(void);
};

/* include/linux/hrtimer_defs.h, hrtimer_types.h, timerqueue_types.h */

enum hrtimer_restart {
	HRTIMER_NORESTART = 0,
	HRTIMER_RESTART = 1,
};

struct timerqueue_node {
	struct rb_node node;
	ktime_t expires;
};

struct hrtimer_clock_base;

struct hrtimer {
	struct timerqueue_node node;
	ktime_t _softexpires;
	enum hrtimer_restart (*function)(struct hrtimer *);
	struct hrtimer_clock_base *base;
	u8 state;
	u8 is_rel;
	u8 is_soft;
	u8 is_hard;
};

struct hrtimer_cpu_base;

struct hrtimer_clock_base {
	struct hrtimer_cpu_base *cpu_base;
	unsigned int index;
	clockid_t clockid;
	seqcount_t seq;
	struct hrtimer *running;
};

struct hrtimer_cpu_base {
	raw_spinlock_t lock;
	unsigned int cpu;
	unsigned int active_bases;
	unsigned int clock_was_set_seq;
	unsigned int hres_active: 1;
	unsigned int in_hrtirq: 1;
	unsigned int hang_detected: 1;
	unsigned int softirq_activated: 1;
	unsigned int online: 1;
	unsigned int nr_events;
	unsigned short nr_retries;
	unsigned short nr_hangs;
	unsigned int max_hang_time;
	ktime_t expires_next;
	struct hrtimer *next_timer;
	ktime_t softirq_expires_next;
	struct hrtimer *softirq_next_timer;
};

/* kernel/time/tick-sched.h */
struct tick_sched {
	unsigned long flags;
	unsigned int stalled_jiffies;
	unsigned long last_tick_jiffies;
	struct hrtimer sched_timer;
	ktime_t last_tick;
	ktime_t next_tick;
	unsigned long idle_jiffies;
	ktime_t idle_waketime;
	unsigned int got_idle_tick;
};

/* include/linux/clockchips.h */
struct clock_event_device {
	void (*event_handler)(struct clock_event_device *);
	int (*set_next_event)(unsigned long, struct clock_event_device *);
	int (*set_next_ktime)(ktime_t, struct clock_event_device *);
	ktime_t next_event;
	u64 max_delta_ns;
	u64 min_delta_ns;
	u32 mult;
	u32 shift;
};

/* kernel/time/timer.c */
struct timer_base {
	raw_spinlock_t lock;
	struct timer_list *running_timer;
	unsigned long clk;
	unsigned long next_expiry;
	unsigned int cpu;
	bool next_expiry_recalc;
	bool is_idle;
	bool timers_pending;
};

/* kernel/workqueue.c, include/linux/workqueue.h */
struct worker_pool;
struct worker;

struct workqueue_struct {
	struct list_head pwqs;
	struct list_head list;
	struct mutex mutex;
	int work_color;
	int flush_color;
	atomic_t nr_pwqs_to_flush;
	void *first_flusher;
	struct list_head flusher_queue;
	struct list_head flusher_overflow;
	struct list_head maydays;
	struct worker *rescuer;
	int nr_drainers;
	int max_active;
	int min_active;
	int saved_max_active;
	int saved_min_active;
	struct workqueue_attrs *unbound_attrs;
	struct pool_workqueue *dfl_pwq;
	void *wq_dev;
	char name[32];
};

struct pool_workqueue {
	struct worker_pool *pool;
	struct workqueue_struct *wq;
	int work_color;
	int flush_color;
	int refcnt;
	int nr_in_flight[16];
	bool plugged;
	int nr_active;
	struct list_head inactive_works;
};

struct worker_pool {
	raw_spinlock_t lock;
	int cpu;
	int node;
	int id;
	unsigned int flags;
	unsigned long watchdog_ts;
	bool cpu_stall;
	int nr_running;
	struct list_head worklist;
	int nr_workers;
	int nr_idle;
};

struct worker {
	union {
		struct list_head entry;
		struct hlist_node hentry;
	};
	struct work_struct *current_work;
	work_func_t current_func;
	struct pool_workqueue *current_pwq;
	u64 current_at;
	unsigned int current_color;
	int sleeping;
	work_func_t last_func;
	struct list_head scheduled;
	struct task_struct *task;
	struct worker_pool *pool;
	struct list_head node;
	unsigned long last_active;
	unsigned int flags;
	int id;
	char desc[32];
};

struct delayed_work {
	struct work_struct work;
	struct timer_list timer;
	struct workqueue_struct *wq;
	int cpu;
};

/* arch/x86/kernel/apic/apic.c, arch/x86/kernel/irq.c: the IDT entries' C halves */
void sysvec_apic_timer_interrupt(struct pt_regs *regs);
void common_interrupt(struct pt_regs *regs, unsigned long error_code);

/* kernel/time/hrtimer.c, tick-sched.c, tick-common.c, timekeeping.c, timer.c, kernel/sched/cputime.c */
void hrtimer_interrupt(struct clock_event_device *dev);
static void __hrtimer_run_queues(struct hrtimer_cpu_base *cpu_base, ktime_t now, unsigned long flags, unsigned int active_mask);
static void __run_hrtimer(struct hrtimer_cpu_base *cpu_base, struct hrtimer_clock_base *base, struct hrtimer *timer, ktime_t *now, unsigned long flags);
static enum hrtimer_restart tick_nohz_handler(struct hrtimer *timer);
static void tick_sched_do_timer(struct tick_sched *ts, ktime_t now);
static void tick_sched_handle(struct tick_sched *ts, struct pt_regs *regs);
static void tick_do_update_jiffies64(ktime_t now);
void update_wall_time(void);
void update_process_times(int user_tick);
void account_process_tick(struct task_struct *p, int user_tick);
void run_local_timers(void);
u64 hrtimer_forward(struct hrtimer *timer, ktime_t now, ktime_t interval);
void hrtimer_init(struct hrtimer *timer, clockid_t clock_id, enum hrtimer_mode mode);
void hrtimer_start_range_ns(struct hrtimer *timer, ktime_t tim, u64 delta_ns, const enum hrtimer_mode mode);
int hrtimer_try_to_cancel(struct hrtimer *timer);
int hrtimer_cancel(struct hrtimer *timer);
struct lock_class_key;
void init_timer_key(struct timer_list *timer, void (*func)(struct timer_list *), unsigned int flags, const char *name, struct lock_class_key *key);
void add_timer(struct timer_list *timer);
int mod_timer(struct timer_list *timer, unsigned long expires);
static int __mod_timer(struct timer_list *timer, unsigned long expires, unsigned int options);
int timer_delete(struct timer_list *timer);
static void __run_timers(struct timer_base *base);
static void call_timer_fn(struct timer_list *timer, void (*fn)(struct timer_list *), unsigned long baseclk);
static void run_timer_softirq(void);
static void clocksource_watchdog(struct timer_list *unused);

/* kernel/irq/chip.c, handle.c */
void handle_edge_irq(struct irq_desc *desc);
irqreturn_t handle_irq_event(struct irq_desc *desc);
irqreturn_t handle_irq_event_percpu(struct irq_desc *desc);
irqreturn_t __handle_irq_event_percpu(struct irq_desc *desc);

/* drivers/char/random.c */
void add_interrupt_randomness(int irq);
static void crng_reseed(struct work_struct *work);

/* drivers/virtio/virtio_ring.c, drivers/net/virtio_net.c, drivers/block/virtio_blk.c */
irqreturn_t vring_interrupt(int irq, void *_vq);
static void skb_recv_done(struct virtqueue *rvq);
static void virtblk_done(struct virtqueue *vq);

/* kernel/softirq.c */
void irq_enter_rcu(void);
void irq_exit_rcu(void);
static void __irq_exit_rcu(void);
void raise_softirq(unsigned int nr);
void raise_softirq_irqoff(unsigned int nr);
void __raise_softirq_irqoff(unsigned int nr);
static void handle_softirqs(bool ksirqd);
static int ksoftirqd_should_run(unsigned int cpu);
static void run_ksoftirqd(unsigned int cpu);

/* The softirq handlers: kernel/rcu/tree.c, kernel/sched/fair.c (net_rx_action is in net.h) */
static void rcu_core_si(void);
static void rcu_core(void);
static void sched_balance_softirq(void);

/* kernel/workqueue.c, mm/vmstat.c, arch/x86/kernel/tsc.c */
bool queue_work_on(int cpu, struct workqueue_struct *wq, struct work_struct *work);
static void __queue_work(int cpu, struct workqueue_struct *wq, struct work_struct *work);
static void insert_work(struct pool_workqueue *pwq, struct work_struct *work, struct list_head *head, unsigned int extra_flags);
static bool kick_pool(struct worker_pool *pool);
bool queue_delayed_work_on(int cpu, struct workqueue_struct *wq, struct delayed_work *dwork, unsigned long delay);
static void __queue_delayed_work(int cpu, struct workqueue_struct *wq, struct delayed_work *dwork, unsigned long delay);
void delayed_work_timer_fn(struct timer_list *t);
static int worker_thread(void *__worker);
static void process_one_work(struct worker *worker, struct work_struct *work);
static void vmstat_update(struct work_struct *w);
/* arch/x86/kernel/tsc.c */
static void tsc_refine_calibration_work(struct work_struct *work);

/* kernel/printk/printk.c (_printk is in types.h) */
int vprintk(const char *fmt, struct __va_list_tag *args);
int vprintk_default(const char *fmt, struct __va_list_tag *args);
int vprintk_emit(int facility, int level, const struct dev_printk_info *dev_info, const char *fmt, struct __va_list_tag *args);
void console_unlock(void);

/*
 * Trace records (include/trace/events/irq.h, timer.h, workqueue.h,
 * printk.h, arch/x86/include/asm/trace/irq_vectors.h), Linux 6.12's.
 */
struct trace_event_raw_irq_handler_entry {
	struct trace_entry ent;
	int irq;
	u32 __data_loc_name;
	char __data[0];
};

struct trace_event_raw_irq_handler_exit {
	struct trace_entry ent;
	int irq;
	int ret;
	char __data[0];
};

struct trace_event_raw_softirq {
	struct trace_entry ent;
	unsigned int vec;
	char __data[0];
};

struct trace_event_raw_x86_irq_vector {
	struct trace_entry ent;
	int vector;
	char __data[0];
};

struct trace_event_raw_timer_class {
	struct trace_entry ent;
	void *timer;
	char __data[0];
};

struct trace_event_raw_timer_start {
	struct trace_entry ent;
	void *timer;
	void *function;
	unsigned long expires;
	unsigned long bucket_expiry;
	unsigned long now;
	unsigned int flags;
	char __data[0];
};

struct trace_event_raw_timer_expire_entry {
	struct trace_entry ent;
	void *timer;
	unsigned long now;
	void *function;
	unsigned long baseclk;
	char __data[0];
};

struct trace_event_raw_hrtimer_init {
	struct trace_entry ent;
	void *hrtimer;
	clockid_t clockid;
	enum hrtimer_mode mode;
	char __data[0];
};

struct trace_event_raw_hrtimer_start {
	struct trace_entry ent;
	void *hrtimer;
	void *function;
	s64 expires;
	s64 softexpires;
	enum hrtimer_mode mode;
	char __data[0];
};

struct trace_event_raw_hrtimer_expire_entry {
	struct trace_entry ent;
	void *hrtimer;
	s64 now;
	void *function;
	char __data[0];
};

struct trace_event_raw_hrtimer_class {
	struct trace_entry ent;
	void *hrtimer;
	char __data[0];
};

struct trace_event_raw_workqueue_queue_work {
	struct trace_entry ent;
	void *work;
	void *function;
	u32 __data_loc_workqueue;
	int req_cpu;
	int cpu;
	char __data[0];
};

struct trace_event_raw_workqueue_activate_work {
	struct trace_entry ent;
	void *work;
	void *function;
	char __data[0];
};

struct trace_event_raw_workqueue_execute_start {
	struct trace_entry ent;
	void *work;
	void *function;
	char __data[0];
};

struct trace_event_raw_workqueue_execute_end {
	struct trace_entry ent;
	void *work;
	void *function;
	char __data[0];
};

struct trace_event_raw_console {
	struct trace_entry ent;
	u32 __data_loc_msg;
	char __data[0];
};

typedef void (*btf_trace_irq_handler_entry)(void *__data, int irq, struct irqaction *action);
typedef void (*btf_trace_irq_handler_exit)(void *__data, int irq, struct irqaction *action, int ret);
typedef void (*btf_trace_softirq_entry)(void *__data, unsigned int vec_nr);
typedef void (*btf_trace_softirq_exit)(void *__data, unsigned int vec_nr);
typedef void (*btf_trace_softirq_raise)(void *__data, unsigned int vec_nr);
typedef void (*btf_trace_local_timer_entry)(void *__data, int vector);
typedef void (*btf_trace_local_timer_exit)(void *__data, int vector);
typedef void (*btf_trace_timer_init)(void *__data, struct timer_list *timer);
typedef void (*btf_trace_timer_start)(void *__data, struct timer_list *timer, unsigned long bucket_expiry);
typedef void (*btf_trace_timer_expire_entry)(void *__data, struct timer_list *timer, unsigned long baseclk);
typedef void (*btf_trace_timer_expire_exit)(void *__data, struct timer_list *timer);
typedef void (*btf_trace_timer_cancel)(void *__data, struct timer_list *timer);
typedef void (*btf_trace_hrtimer_init)(void *__data, struct hrtimer *hrtimer, clockid_t clockid, enum hrtimer_mode mode);
typedef void (*btf_trace_hrtimer_start)(void *__data, struct hrtimer *hrtimer, enum hrtimer_mode mode);
typedef void (*btf_trace_hrtimer_expire_entry)(void *__data, struct hrtimer *hrtimer, ktime_t *now);
typedef void (*btf_trace_hrtimer_expire_exit)(void *__data, struct hrtimer *hrtimer);
typedef void (*btf_trace_hrtimer_cancel)(void *__data, struct hrtimer *hrtimer);
typedef void (*btf_trace_workqueue_queue_work)(void *__data, int req_cpu, struct pool_workqueue *pwq, struct work_struct *work);
typedef void (*btf_trace_workqueue_activate_work)(void *__data, struct work_struct *work);
typedef void (*btf_trace_workqueue_execute_start)(void *__data, struct work_struct *work);
typedef void (*btf_trace_workqueue_execute_end)(void *__data, struct work_struct *work, work_func_t function);
typedef void (*btf_trace_console)(void *__data, const char *text, size_t len);

#endif /* _BTFSNOOP_KMODEL_IRQ_H */
