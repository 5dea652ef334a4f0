/*
 * Placement and load balancing: new threads go to the least loaded allowed CPU, a woken
 * thread returns to its last CPU, and an idle CPU pulls a queued thread from the busiest
 * one. A CPU that queues work while another idles kicks the idle one with an IPI.
 */
#include <amphi/arch.h>
#include <amphi/atomic.h>
#include <amphi/panic.h>
#include <amphi/sched.h>
#include <amphi/smp.h>

#include "sched_internal.h"

/* Load of CPU n: queued threads plus the running one unless it is idle. */
static unsigned sched_load(unsigned n)
{
	struct cpu_state *c = cpu_of(n);
	struct thread *cur = atomic_load_relaxed(&c->current);

	return atomic_load_relaxed(&c->rq_count) + (cur && !cur->is_idle ? 1 : 0);
}

/* True when CPU n is in mask and online (smp marks it so once it has a current thread). */
static bool sched_cpu_takes_threads(cpumask_t mask, unsigned n)
{
	return mask & smp_online_mask() & (1ULL << n);
}

/* The online CPU in mask with the least load, preferring prefer on ties. */
static unsigned sched_least_loaded(cpumask_t mask, unsigned prefer)
{
	unsigned best = prefer, best_load = ~0u;

	if (sched_cpu_takes_threads(mask, prefer))
		best_load = sched_load(prefer);
	for (unsigned n = 0; n < plat_cpu_count(); n++) {
		if (!sched_cpu_takes_threads(mask, n))
			continue;
		unsigned load = sched_load(n);
		if (load < best_load) {
			best = n;
			best_load = load;
		}
	}
	return best;
}

/* Wakes an idle CPU (other than busy) so it pulls work; at most one. */
static void sched_kick_idle(unsigned busy)
{
	for (unsigned n = 0; n < plat_cpu_count(); n++) {
		struct cpu_state *c = cpu_of(n);
		if (n == busy || !(smp_online_mask() & (1ULL << n)))
			continue;
		struct thread *cur = atomic_load_relaxed(&c->current);
		if (cur && cur->is_idle && n != plat_cpu_id()) {
			ipi_send(1ULL << n, IPI_RESCHEDULE);
			return;
		}
	}
}

/* Puts runnable t on c's queue with a vruntime fair to those there and asks c to
 * reconsider its running thread (c's lock held; t->cpu is c). */
static void sched_enqueue_runnable(struct cpu_state *c, unsigned cpu, struct thread *t)
{
	uint64_t floor = c->min_vruntime > 3000000 ? c->min_vruntime - 3000000 : 0;

	t->vruntime = MAX(t->vruntime, floor); /* a sleeper gets at most half a period ahead */
	rq_enqueue(c, t);
	struct thread *cur = c->current;
	bool preempt =
	    cur->is_idle || t->vruntime < cur->vruntime || atomic_load_relaxed(&c->rq_count) == 1;
	if (!preempt)
		return;
	if (cpu == plat_cpu_id())
		atomic_store_relaxed(&c->need_resched, true); /* read locklessly by its idle loop */
	else
		ipi_send(1ULL << cpu, IPI_RESCHEDULE);
}

void sched_place_new(struct thread *t)
{
	irqflags_t flags = plat_irq_save();
	unsigned cpu = sched_least_loaded(t->affinity, plat_cpu_id());
	struct cpu_state *c = cpu_of(cpu);

	raw_spin_lock(&c->rq_lock);
	t->cpu = cpu;
	t->vruntime = c->min_vruntime;
	sched_enqueue_runnable(c, cpu, t);
	raw_spin_unlock(&c->rq_lock);
	if (atomic_load_relaxed(&c->rq_count) > 1)
		sched_kick_idle(cpu);
	plat_irq_restore(flags);
}

/* Locks the queue t belongs to, following t if it migrates meanwhile; returns its CPU. */
static unsigned sched_lock_thread_rq(struct thread *t)
{
	for (;;) {
		unsigned cpu = atomic_load(&t->cpu);
		raw_spin_lock(&cpu_of(cpu)->rq_lock);
		if (atomic_load(&t->cpu) == cpu)
			return cpu;
		raw_spin_unlock(&cpu_of(cpu)->rq_lock);
	}
}

bool thread_wake(struct thread *t)
{
	irqflags_t flags = plat_irq_save();
	unsigned cpu = sched_lock_thread_rq(t);
	struct cpu_state *c = cpu_of(cpu);
	bool was_sleeping = t->state == THREAD_SLEEPING;

	if (was_sleeping) {
		t->state = THREAD_RUNNABLE;
		if (c->current != t) /* not still on its way to schedule() */
			sched_enqueue_runnable(c, cpu, t);
	}
	unsigned queued = atomic_load_relaxed(&c->rq_count);
	raw_spin_unlock(&c->rq_lock);
	if (was_sleeping && queued > 1)
		sched_kick_idle(cpu);
	plat_irq_restore(flags);
	return was_sleeping;
}

void thread_prepare_sleep(void)
{
	struct thread *me = cpu_this()->current;

	if (plat_irq_enabled())
		panic("thread_prepare_sleep: interrupts must be masked");
	me->state = THREAD_SLEEPING;
}

/* The queued thread of c that may run on cpu and ran least recently, or NULL. */
static struct thread *sched_steal_candidate(struct cpu_state *c, unsigned cpu)
{
	for (struct list_node *pos = c->rq.prev; pos != &c->rq; pos = pos->prev) {
		struct thread *t = list_entry(pos, struct thread, rq_node);
		if (t->affinity & (1ULL << cpu))
			return t;
	}
	return NULL;
}

/* Moves one queued thread from the busiest other CPU to c (interrupts masked). */
static void sched_pull(struct cpu_state *c, unsigned cpu)
{
	unsigned busiest = cpu, most = 0;

	for (unsigned n = 0; n < plat_cpu_count(); n++) {
		unsigned q = atomic_load_relaxed(&cpu_of(n)->rq_count);
		if (n != cpu && q > most) {
			busiest = n;
			most = q;
		}
	}
	if (busiest == cpu)
		return;
	struct cpu_state *from = cpu_of(busiest);
	raw_spin_lock(&from->rq_lock);
	struct thread *t = sched_steal_candidate(from, cpu);
	if (t) {
		rq_dequeue(from, t);
		t->vruntime = t->vruntime - MIN(t->vruntime, from->min_vruntime);
		atomic_store(&t->cpu, cpu);
	}
	raw_spin_unlock(&from->rq_lock);
	if (!t)
		return;
	raw_spin_lock(&c->rq_lock);
	t->vruntime += c->min_vruntime;
	rq_enqueue(c, t);
	raw_spin_unlock(&c->rq_lock);
}

void sched_set_idle_hook(unsigned cpu, bool (*hook)(void))
{
	cpu_of(cpu)->idle_hook = hook;
}

NORETURN void sched_idle_loop(struct cpu_state *c)
{
	unsigned cpu = plat_cpu_id();

	for (;;) {
		plat_irq_disable();
		if (!atomic_load_relaxed(&c->rq_count))
			sched_pull(c, cpu);
		if (atomic_load_relaxed(&c->rq_count) || atomic_load_relaxed(&c->need_resched)) {
			schedule();
		} else if (!c->idle_hook || !c->idle_hook()) {
			plat_cpu_idle();
		}
		plat_irq_enable();
	}
}
