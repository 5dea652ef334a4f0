/*
 * sched.h: kernel threads and the scheduler.
 *
 * Each CPU has a run queue ordered by virtual run time (a thread's run time scaled by the
 * inverse of its weight), so runnable threads share a CPU in proportion to their weights;
 * nice -20..19 maps to weights as on Linux (1024 at nice 0, about 1.25x per step).
 * Preemption is tickless: when a CPU has more than one runnable thread, its one-shot timer
 * is armed for the end of the running thread's slice. Idle CPUs pull work from the busiest
 * run queue, and a CPU that queues work while another idles kicks it with an IPI.
 */
#pragma once

#include <amphi/irq.h>
#include <amphi/list.h>
#include <amphi/plat.h>
#include <amphi/sync.h>
#include <amphi/types.h>

#define THREAD_NAME_MAX 24
#ifdef AMPHI_BARE_METAL
#define THREAD_STACK_SIZE (16 * 1024)
#else
/* hosted: user code runs in an emulator on the kernel stack of its thread; the host backs
 * only the pages touched */
#define THREAD_STACK_SIZE (256 * 1024)
#endif
#define LOCKDEP_HELD_MAX 16

enum thread_state {
	THREAD_RUNNABLE, /* running or on a run queue */
	THREAD_SLEEPING, /* waiting for a wake-up */
	THREAD_DEAD,	 /* exited; thread_join frees it once it is off the CPU */
};

struct task;

struct held_lock {
	struct lock_debug *lock;
	uintptr_t taken_at;
};

struct thread {
	struct plat_ctx ctx;
	struct plat_stack stack;
	char name[THREAD_NAME_MAX];
	unsigned id;
	enum thread_state state;
	unsigned cpu;	    /* CPU it runs or last ran on; its run queue holds it */
	bool on_rq;	    /* queued (not running) */
	bool on_cpu;	    /* running, or still being switched away from */
	bool is_idle;	    /* a CPU's idle thread */
	cpumask_t affinity; /* CPUs it may run on */
	int nice;
	uint32_t weight;
	uint64_t vruntime;   /* weighted run time, ns */
	uint64_t runtime_ns; /* run time, ns */
	uint64_t last_start; /* plat_time_ns when it last went on the CPU */
	uint64_t switches;   /* times it was switched in */
	struct list_node rq_node;
	struct list_node all_node;
	void (*fn)(void *arg);
	void *arg;
	struct completion exited;
	bool wake_timed_out;
	struct waitq *wchan; /* the wait queue it sleeps on (its wait channel), or NULL */
	int preempt_count; /* > 0: not to be preempted (spinlocks held, preempt_disable) */
	int no_sleep;	   /* > 0: must not switch away at all (sched_no_sleep_enter) */
	unsigned held_count;
	struct held_lock held[LOCKDEP_HELD_MAX];
	struct task *task; /* the user thread it runs, or NULL for a kernel thread */
};

/* Sets up the scheduler on the boot CPU and turns the running boot code into the thread
 * "main" (with its stack, as the platform started it). Called once by kmain. */
void sched_init(void);

/* Turns the running start-up code of secondary CPU cpu into its idle thread, so the CPU
 * has a current thread before smp marks it online and threads are placed on it. */
void sched_init_secondary(unsigned cpu);

/* Unmasks interrupts and runs this CPU's idle loop, scheduling whatever is queued. */
NORETURN void sched_run_idle(void);

/* Has CPU cpu's idle thread call hook, interrupts masked, each time it finds nothing to run
 * and before it idles; hook returns true when it made work (woke a thread), and the CPU
 * then looks again instead of idling. The hosted library's machine uses it to hand control
 * to its host only when the machine is still (kernel/proc/hostcall.c). */
void sched_set_idle_hook(unsigned cpu, bool (*hook)(void));

/* Creates a thread running fn(arg) and makes it runnable on a CPU of affinity (0: any).
 * Returns it (free it with thread_join), or NULL when out of memory. */
struct thread *thread_create(const char *name, void (*fn)(void *arg), void *arg, int nice,
			     cpumask_t affinity);

/* Ends the calling thread. */
NORETURN void thread_exit(void);

/* Waits until t has exited and frees it. May block. */
void thread_join(struct thread *t);

/* The running thread of this CPU (NULL before sched_init). */
struct thread *thread_current(void);

/* Gives up the CPU to any runnable thread of equal or better claim. */
void thread_yield(void);

/* Sleeps until the monotonic time deadline_ns. May block. */
void thread_sleep_until(uint64_t deadline_ns);

/* Sleeps for ns nanoseconds. May block. */
void thread_sleep_ns(uint64_t ns);

/* Makes a sleeping t runnable; a thread that is not sleeping is left alone. Returns true
 * when t was sleeping. Any context. */
bool thread_wake(struct thread *t);

/* Marks the calling thread as going to sleep; the next schedule() blocks it until
 * thread_wake. Call with interrupts masked, before releasing the lock that wakers take. */
void thread_prepare_sleep(void);

/* Switches to the best runnable thread of this CPU (maybe the caller again). Called with
 * interrupts masked and no spinlock held; returns with interrupts masked. Panics inside
 * a no-sleep section. */
void schedule(void);

/* The CPU time t has had, in ns, the slice it may be running now included. Lock-free: a
 * reading racing with t's switch may be off by that slice. */
uint64_t thread_cpu_ns(const struct thread *t);

/* Opens / closes a section where the calling thread must not switch away (kernel code
 * run inside a platform trap, syscall_fast): schedule() there panics, naming the thread.
 * Sections nest. */
void sched_no_sleep_enter(void);
void sched_no_sleep_exit(void);

/* Preemption control: while disabled, this CPU switches threads only when the running one
 * blocks. Nests. */
void preempt_disable(void);
void preempt_enable(void);

/* Asks this CPU to reschedule at the next preemption point (irq_exit, preempt_enable). */
void sched_set_need_resched(void);

/* Called by the time subsystem when this CPU's slice deadline passed. */
void sched_slice_expired(void);

/* Called on each CPU's way out of an interrupt (irq_exit). */
void sched_irq_exit(void);

/* The CPU-bound weight of a nice value. */
uint32_t sched_nice_to_weight(int nice);

/* Per-CPU state the scheduler, irq and time code share. */
struct cpu_state {
	struct thread *current;
	struct thread *idle;
	struct thread *switched_from; /* the thread the last switch on this CPU left */
	bool need_resched;
	unsigned irq_depth;
	uint64_t idle_ns;	 /* time spent idle */
	uint64_t slice_deadline; /* when the running thread's slice ends, or UINT64_MAX */
	struct spinlock rq_lock; /* raw: handed from thread to thread across a switch */
	struct list_node rq;	 /* runnable, not running, ordered by vruntime */
	unsigned rq_count;
	uint64_t min_vruntime;
	uint64_t switches;
	bool (*idle_hook)(void); /* sched_set_idle_hook's, or NULL */
};

/* The executing CPU's state. */
struct cpu_state *cpu_this(void);

/* CPU n's state. */
struct cpu_state *cpu_of(unsigned n);
