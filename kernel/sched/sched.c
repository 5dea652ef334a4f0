/*
 * The scheduler: per-CPU run queues ordered by virtual run time, tickless preemption by
 * slice deadlines, idle CPUs pulling work.
 *
 * Locking: a thread sits on the run queue of t->cpu, guarded by that CPU's rq_lock. The
 * lock is taken by the thread leaving the CPU (schedule(), or thread_yield, which switches
 * under the hold it took to requeue itself) and released by the thread arriving
 * (sched_finish_switch), so no other CPU sees a thread half switched: by the time
 * the lock is free, the previous thread's on_cpu is false and its stack is no longer used.
 * A thread changes CPU only while queued and not running, under its old queue's lock.
 */
#include <amphi/arch.h>
#include <amphi/atomic.h>
#include <amphi/errno.h>
#include <amphi/kprintf.h>
#include <amphi/mm.h>
#include <amphi/panic.h>
#include <amphi/sched.h>
#include <amphi/smp.h>
#include <amphi/string.h>
#include <amphi/timer.h>

#include "sched_internal.h"

#define SCHED_LATENCY_NS 6000000ULL   /* every runnable thread runs once per period */
#define SCHED_MIN_SLICE_NS 1000000ULL /* ... but for at least this long */
#define NICE_0_WEIGHT 1024

static struct cpu_state cpu_states[PLAT_MAX_CPUS];
static bool sched_running;

struct cpu_state *cpu_of(unsigned n)
{
	return &cpu_states[n];
}

struct cpu_state *cpu_this(void)
{
	return &cpu_states[plat_cpu_id()];
}

struct thread *thread_current(void)
{
	if (!atomic_load_relaxed(&sched_running))
		return NULL;
	irqflags_t flags = plat_irq_save();
	struct thread *t = cpu_this()->current;
	plat_irq_restore(flags);
	return t;
}

uint32_t sched_nice_to_weight(int nice)
{
	uint64_t w = (uint64_t)NICE_0_WEIGHT << 16;

	nice = MAX(-20, MIN(19, nice));
	for (int i = 0; i < nice; i++)
		w = w * 4 / 5;
	for (int i = 0; i > nice; i--)
		w = w * 5 / 4;
	return (uint32_t)MAX(w >> 16, 1);
}

/* Charges t for the time since it last went on the CPU. */
static void sched_account(struct thread *t, uint64_t now)
{
	uint64_t delta = now > t->last_start ? now - t->last_start : 0;

	/* both read unlocked by thread_cpu_ns on other CPUs */
	atomic_store_relaxed(&t->last_start, now);
	atomic_store_relaxed(&t->runtime_ns, t->runtime_ns + delta);
	if (t->is_idle) {
		cpu_of(t->cpu)->idle_ns += delta;
		return;
	}
	/* nice 0, the common case, is charged the time itself: no 64-bit division per switch */
	t->vruntime += t->weight == NICE_0_WEIGHT ? delta : delta * NICE_0_WEIGHT / t->weight;
}

/* Queues t on c in vruntime order, after threads of equal vruntime (c's lock held). */
void rq_enqueue(struct cpu_state *c, struct thread *t)
{
	struct list_node *pos;

	list_for_each(pos, &c->rq)
	{
		if (list_entry(pos, struct thread, rq_node)->vruntime > t->vruntime)
			break;
	}
	list_add_before(pos, &t->rq_node);
	t->on_rq = true;
	atomic_store_relaxed(&c->rq_count, c->rq_count + 1); /* read locklessly by balancing */
}

/* Takes t off c's queue (c's lock held). */
void rq_dequeue(struct cpu_state *c, struct thread *t)
{
	list_del(&t->rq_node);
	t->on_rq = false;
	atomic_store_relaxed(&c->rq_count, c->rq_count - 1);
}

/* Takes the thread with the least vruntime off c's queue, or returns c's idle thread. */
static struct thread *rq_pick(struct cpu_state *c)
{
	struct list_node *first = list_first(&c->rq);

	if (!first)
		return c->idle;
	struct thread *t = list_entry(first, struct thread, rq_node);
	rq_dequeue(c, t);
	c->min_vruntime = MAX(c->min_vruntime, t->vruntime);
	return t;
}

/* The slice of the running thread given the queue length. */
static uint64_t sched_slice(const struct cpu_state *c)
{
	return MAX(SCHED_LATENCY_NS / (atomic_load_relaxed(&c->rq_count) + 1), SCHED_MIN_SLICE_NS);
}

/* Arms (or clears) c's slice deadline for its running thread, from now. */
static void sched_arm_slice(struct cpu_state *c, uint64_t now)
{
	bool contended = atomic_load_relaxed(&c->rq_count) > 0 && !c->current->is_idle;

	c->slice_deadline = contended ? now + sched_slice(c) : UINT64_MAX;
	time_slice_rearmed((unsigned)(c - cpu_states));
}

/* Second half of every switch, run by the arriving thread on its new CPU: releases the
 * queue lock the leaving thread took. From here its joiner may free a dead one. */
static void sched_finish_switch(void)
{
	struct cpu_state *c = cpu_this();

	/* release: the joiner that reads false may free the stack this CPU just left */
	atomic_store_release(&c->switched_from->on_cpu, false);
	raw_spin_unlock(&c->rq_lock);
	sched_arm_slice(c, c->current->last_start);
}

/* Switches c's CPU from its current thread to the next one; c's queue lock is held and
 * released by the switch. Returns when the current thread runs again. */
static void sched_switch(struct cpu_state *c)
{
	struct thread *prev = c->current;

	atomic_store_relaxed(&c->need_resched, false);
	uint64_t now = plat_time_ns();
	sched_account(prev, now);
	if (prev->state == THREAD_RUNNABLE && !prev->is_idle)
		rq_enqueue(c, prev);
	struct thread *next = rq_pick(c);
	if (next == prev) {
		raw_spin_unlock(&c->rq_lock);
		sched_arm_slice(c, now);
		return;
	}
	next->cpu = (unsigned)(c - cpu_states);
	next->on_cpu = true;
	next->last_start = now;
	next->switches++;
	c->switches++;
	atomic_store_relaxed(&c->current, next); /* read locklessly by balancing */
	c->switched_from = prev;
	plat_ctx_switch(&prev->ctx, &next->ctx);
	sched_finish_switch();
}

/* Panics when c's current thread is inside a no-sleep section. */
static void sched_assert_may_switch(const struct cpu_state *c)
{
	if (c->current && c->current->no_sleep)
		panic("schedule: thread \"%s\" would switch away inside a no-sleep section",
		      c->current->name);
}

void schedule(void)
{
	struct cpu_state *c = cpu_this();

	if (plat_irq_enabled())
		panic("schedule: called with interrupts enabled");
	sched_assert_may_switch(c);
	raw_spin_lock(&c->rq_lock);
	sched_switch(c);
}

/* First code of every new thread, entered from the switch with interrupts masked. */
static NORETURN void sched_thread_start(void *arg)
{
	struct thread *t = arg;

	sched_finish_switch();
	plat_irq_enable();
	t->fn(t->arg);
	thread_exit();
}

void preempt_disable(void)
{
	struct thread *t = thread_current();

	if (t)
		t->preempt_count++;
}

void preempt_enable(void)
{
	struct thread *t = thread_current();

	if (!t)
		return;
	if (t->preempt_count <= 0)
		panic("preempt_enable: unbalanced (count %d in \"%s\")", t->preempt_count, t->name);
	if (--t->preempt_count == 0 && plat_irq_enabled() && cpu_this()->need_resched) {
		plat_irq_disable();
		schedule();
		plat_irq_enable();
	}
}

void sched_no_sleep_enter(void)
{
	thread_current()->no_sleep++;
}

void sched_no_sleep_exit(void)
{
	struct thread *t = thread_current();

	if (t->no_sleep <= 0)
		panic("sched_no_sleep_exit: unbalanced (count %d in \"%s\")", t->no_sleep, t->name);
	t->no_sleep--;
}

void sched_set_need_resched(void)
{
	cpu_this()->need_resched = true;
}

void sched_slice_expired(void)
{
	struct cpu_state *c = cpu_this();

	c->slice_deadline = UINT64_MAX;
	if (atomic_load_relaxed(&c->rq_count) > 0)
		c->need_resched = true;
}

void sched_irq_exit(void)
{
	struct cpu_state *c = cpu_this();

	if (c->need_resched && c->current && c->current->preempt_count == 0 && c->irq_depth == 0)
		schedule();
}

void thread_yield(void)
{
	irqflags_t flags = plat_irq_save();
	struct cpu_state *c = cpu_this();
	struct thread *me = c->current;

	sched_assert_may_switch(c);
	raw_spin_lock(&c->rq_lock);
	struct list_node *last = list_empty(&c->rq) ? NULL : c->rq.prev;
	if (last) /* behind every queued thread, so each of them runs first */
		me->vruntime =
		    MAX(me->vruntime, list_entry(last, struct thread, rq_node)->vruntime + 1);
	sched_switch(c); /* under the same hold of the lock: no thread can queue in between */
	plat_irq_restore(flags);
}

/* Prepares t's fields shared by every thread (not its context). */
static void thread_setup(struct thread *t, const char *name, int nice, cpumask_t affinity)
{
	kstrlcpy(t->name, name, sizeof(t->name));
	t->state = THREAD_RUNNABLE;
	t->nice = nice;
	t->weight = sched_nice_to_weight(nice);
	t->affinity = affinity ? affinity : ~0ULL;
	list_init(&t->rq_node);
	completion_init(&t->exited, "thread_exited");
	sched_register_thread(t);
}

/* The boot CPU's first context becomes thread "main", and its idle thread is made. */
void sched_init(void)
{
	static struct thread boot_thread;

	for (unsigned i = 0; i < PLAT_MAX_CPUS; i++) {
		spin_lock_init(&cpu_states[i].rq_lock, "rq");
		list_init(&cpu_states[i].rq);
		cpu_states[i].slice_deadline = UINT64_MAX;
	}
	thread_setup(&boot_thread, "main", 0, 0);
	plat_ctx_init_current(&boot_thread.ctx, NULL);
	boot_thread.on_cpu = true;
	boot_thread.last_start = plat_time_ns();
	cpu_this()->current = &boot_thread;
	cpu_this()->idle = sched_make_idle(plat_cpu_id());
	atomic_store(&sched_running, true);
}

void sched_init_secondary(unsigned cpu)
{
	static struct thread idle_threads[PLAT_MAX_CPUS];
	struct thread *idle = &idle_threads[cpu];
	struct cpu_state *c = cpu_of(cpu);

	thread_setup(idle, "idle", 19, 1ULL << cpu);
	idle->is_idle = true;
	idle->cpu = cpu;
	idle->on_cpu = true;
	idle->last_start = plat_time_ns();
	plat_ctx_init_current(&idle->ctx, NULL);
	c->idle = idle;
	c->current = idle;
}

NORETURN void sched_run_idle(void)
{
	plat_irq_enable();
	sched_idle_loop(cpu_this());
}

/* Idle body of the boot CPU's idle thread. */
static NORETURN void sched_idle_entry(void *arg)
{
	struct thread *t = arg;

	sched_finish_switch();
	plat_irq_enable();
	sched_idle_loop(cpu_of(t->cpu));
}

struct thread *sched_make_idle(unsigned cpu)
{
	struct thread *t = sched_new_thread("idle", sched_idle_entry, NULL, 19, 1ULL << cpu);

	if (!t)
		panic("sched: no memory for CPU %u's idle thread", cpu);
	t->is_idle = true;
	t->cpu = cpu;
	return t;
}

/* Allocates a thread with its stack and context; it is not queued. entry runs on its
 * first switch with the thread as argument. */
struct thread *sched_new_thread(const char *name, void (*entry)(void *), void (*fn)(void *),
				int nice, cpumask_t affinity)
{
	struct thread *t = kzalloc(sizeof(*t));

	if (!t)
		return NULL;
	if (plat_stack_alloc(&t->stack, THREAD_STACK_SIZE) < 0) {
		kfree(t);
		return NULL;
	}
	t->fn = fn;
	thread_setup(t, name, nice, affinity);
	plat_ctx_init(&t->ctx, &t->stack, entry, t);
	return t;
}

struct thread *thread_create(const char *name, void (*fn)(void *arg), void *arg, int nice,
			     cpumask_t affinity)
{
	struct thread *t = sched_new_thread(name, sched_thread_start, fn, nice, affinity);

	if (!t)
		return NULL;
	t->arg = arg;
	sched_place_new(t);
	return t;
}

NORETURN void thread_exit(void)
{
	struct thread *me = thread_current();

	if (me->held_count)
		panic("thread \"%s\" exits holding lock \"%s\"", me->name,
		      me->held[me->held_count - 1].lock->name);
	/* Masked before the joiner can run: preempted in between, this thread would sit on a
	 * run queue while the joiner frees it. */
	plat_irq_disable();
	complete_all(&me->exited);
	me->state = THREAD_DEAD;
	schedule();
	panic("thread_exit: dead thread \"%s\" ran again", me->name);
}

void thread_join(struct thread *t)
{
	wait_for_completion(&t->exited);
	while (atomic_load_acquire(&t->on_cpu)) { /* its CPU is still switching away from it */
		plat_sched_point(PLAT_POINT_SPIN);
		arch_cpu_relax();
	}
	thread_free(t);
}
