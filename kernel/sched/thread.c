/* Thread bookkeeping: the list of all threads, freeing, sleeping, and the monitor's view. */
#include <amphi/atomic.h>
#include <amphi/kprintf.h>
#include <amphi/mm.h>
#include <amphi/monitor.h>
#include <amphi/sched.h>
#include <amphi/smp.h>
#include <amphi/timer.h>

#include "sched_internal.h"

static struct spinlock threads_lock = SPINLOCK_INIT("threads");
static struct list_node all_threads = LIST_INIT(all_threads);
static unsigned thread_next_id;

void sched_register_thread(struct thread *t)
{
	irqflags_t flags = spin_lock_irqsave(&threads_lock);

	t->id = thread_next_id++;
	list_add_tail(&all_threads, &t->all_node);
	spin_unlock_irqrestore(&threads_lock, flags);
}

void thread_free(struct thread *t)
{
	irqflags_t flags = spin_lock_irqsave(&threads_lock);

	list_del(&t->all_node);
	spin_unlock_irqrestore(&threads_lock, flags);
	plat_ctx_destroy(&t->ctx);
	plat_stack_free(&t->stack);
	kfree(t);
}

/* A sleeping thread's wake-up timer. */
struct sleep_timer {
	struct ktimer timer;
	struct thread *thread;
};

/* Timer callback: wakes the sleeper. */
static void thread_sleep_expired(struct ktimer *kt)
{
	struct sleep_timer *st = container_of(kt, struct sleep_timer, timer);

	thread_wake(st->thread);
}

void thread_sleep_until(uint64_t deadline_ns)
{
	struct sleep_timer st = {.thread = thread_current()};

	lockdep_assert_may_sleep((uintptr_t)__builtin_return_address(0));
	ktimer_init(&st.timer, thread_sleep_expired);
	while (plat_time_ns() < deadline_ns) {
		irqflags_t flags = plat_irq_save();
		thread_prepare_sleep();
		ktimer_start(&st.timer, deadline_ns);
		schedule();
		plat_irq_restore(flags);
		ktimer_cancel(&st.timer);
	}
}

void thread_sleep_ns(uint64_t ns)
{
	uint64_t now = plat_time_ns();

	thread_sleep_until(ns > UINT64_MAX - now ? UINT64_MAX : now + ns);
}

/* How long the running thread t has been on its CPU (a display figure: read unlocked). */
static uint64_t thread_running_for(const struct thread *t)
{
	uint64_t now = plat_time_ns(), start = atomic_load_relaxed(&t->last_start);

	return now > start ? now - start : 0;
}

uint64_t thread_cpu_ns(const struct thread *t)
{
	uint64_t ran = atomic_load_relaxed(&t->runtime_ns);

	/* a thread on a CPU is charged at its next switch: add the slice running now */
	return atomic_load_relaxed(&t->on_cpu) ? ran + thread_running_for(t) : ran;
}

static const char *const thread_state_names[] = {"run", "sleep", "dead"};

/* Lists every thread: id, state, CPU, weight and run time. */
static int monitor_threads(const char *arg)
{
	(void)arg;
	kprintf("  id name                     state  cpu nice  runtime(us) switches\n");
	irqflags_t flags = spin_lock_irqsave(&threads_lock);
	struct list_node *pos;
	list_for_each(pos, &all_threads)
	{
		struct thread *t = list_entry(pos, struct thread, all_node);
		bool running = cpu_of(t->cpu)->current == t;
		uint64_t runtime = thread_cpu_ns(t);
		kprintf("%4u %-24s %-6s %3u %4d %12llu %8llu\n", t->id, t->name,
			running ? "oncpu" : thread_state_names[t->state], t->cpu, t->nice,
			(unsigned long long)(runtime / 1000), (unsigned long long)t->switches);
	}
	spin_unlock_irqrestore(&threads_lock, flags);
	return MONITOR_STAY;
}
MONITOR_COMMAND(monitor_threads_cmd, "threads", "list kernel threads (state, CPU, run time)",
		monitor_threads);

/* Lists every CPU: online, running thread, queue length, idle time, switches. */
static int monitor_cpus(const char *arg)
{
	(void)arg;
	kprintf(" cpu state   running                  queued   idle(us) switches\n");
	for (unsigned n = 0; n < plat_cpu_count(); n++) {
		struct cpu_state *c = cpu_of(n);
		struct thread *cur = atomic_load(&c->current);
		uint64_t idle = c->idle_ns + (cur && cur->is_idle ? thread_running_for(cur) : 0);
		kprintf("%4u %-7s %-24s %6u %10llu %8llu\n", n,
			smp_online_mask() & (1ULL << n) ? "online" : "offline",
			cur ? cur->name : "-", atomic_load_relaxed(&c->rq_count),
			(unsigned long long)(idle / 1000), (unsigned long long)c->switches);
	}
	return MONITOR_STAY;
}
MONITOR_COMMAND(monitor_cpus_cmd, "cpus", "list CPUs (state, running thread, idle time)",
		monitor_cpus);
