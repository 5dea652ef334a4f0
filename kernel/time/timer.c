/*
 * Kernel timers: a pairing heap per CPU (O(1) insert, O(log n) amortized removal), and
 * the one-shot hardware timer programmed for the earliest of the heap and the scheduler's
 * slice deadline. Equal deadlines expire in the order they were started.
 */
#include <amphi/arch.h>
#include <amphi/atomic.h>
#include <amphi/irq.h>
#include <amphi/panic.h>
#include <amphi/plat.h>
#include <amphi/sched.h>
#include <amphi/smp.h>
#include <amphi/sync.h>
#include <amphi/timer.h>

struct timer_cpu {
	struct spinlock lock;
	struct ktimer *root;
	struct ktimer *running; /* callback in progress */
	uint64_t programmed;	/* the deadline the hardware holds, when programmed_valid */
	bool programmed_valid;	/* false from the interrupt until the next reprogram */
};

static struct timer_cpu timer_cpus[PLAT_MAX_CPUS];
static uint64_t timer_seq;
static bool timer_irq_registered;

/* True when a expires before b. */
static bool timer_before(const struct ktimer *a, const struct ktimer *b)
{
	return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

/* Joins two heaps; returns the new root. */
static struct ktimer *heap_meld(struct ktimer *a, struct ktimer *b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	if (timer_before(b, a)) {
		struct ktimer *t = a;
		a = b;
		b = t;
	}
	b->prev = a;
	b->sibling = a->child;
	if (a->child)
		a->child->prev = b;
	a->child = b;
	a->prev = NULL;
	a->sibling = NULL;
	return a;
}

/* Melds a sibling list pairwise left to right, then the pairs right to left. */
static struct ktimer *heap_merge_pairs(struct ktimer *first)
{
	struct ktimer *pairs = NULL; /* melded pairs, chained through sibling, last first */

	while (first) {
		struct ktimer *a = first, *b = first->sibling;
		first = b ? b->sibling : NULL;
		a->sibling = a->prev = NULL;
		if (b)
			b->sibling = b->prev = NULL;
		struct ktimer *m = heap_meld(a, b);
		m->sibling = pairs;
		pairs = m;
	}
	struct ktimer *root = NULL;
	while (pairs) {
		struct ktimer *next = pairs->sibling;
		pairs->sibling = NULL;
		root = heap_meld(root, pairs);
		pairs = next;
	}
	return root;
}

/* Takes t out of tc's heap (tc's lock held). */
static void heap_remove(struct timer_cpu *tc, struct ktimer *t)
{
	if (t == tc->root) {
		tc->root = heap_merge_pairs(t->child);
	} else {
		if (t->prev->child == t)
			t->prev->child = t->sibling;
		else
			t->prev->sibling = t->sibling;
		if (t->sibling)
			t->sibling->prev = t->prev;
		t->sibling = t->prev = NULL;
		tc->root = heap_meld(tc->root, heap_merge_pairs(t->child));
	}
	t->child = t->sibling = t->prev = NULL;
	atomic_store_relaxed(&t->cpu, -1); /* ktimer_cancel reads it without the lock */
}

void ktimer_init(struct ktimer *t, void (*fn)(struct ktimer *t))
{
	*t = (struct ktimer){.fn = fn, .cpu = -1};
}

void time_reprogram(void)
{
	irqflags_t flags = plat_irq_save();
	unsigned cpu = plat_cpu_id();
	struct timer_cpu *tc = &timer_cpus[cpu];

	raw_spin_lock(&tc->lock);
	uint64_t deadline = tc->root ? tc->root->deadline : UINT64_MAX;
	raw_spin_unlock(&tc->lock);
	deadline = MIN(deadline, cpu_of(cpu)->slice_deadline);
	/* An earlier deadline already programmed stays: its interrupt finds nothing due and
	 * reprograms then. So a switch, which only pushes the slice deadline later, costs no
	 * hardware access; only an earlier deadline does. */
	if (!tc->programmed_valid || deadline < tc->programmed) {
		plat_timer_set(deadline);
		tc->programmed = deadline;
		tc->programmed_valid = true;
	}
	plat_irq_restore(flags);
}

void time_slice_rearmed(unsigned cpu)
{
	struct timer_cpu *tc = &timer_cpus[cpu];

	/* While programmed_valid, programmed is at or before the heap's earliest deadline:
	 * ktimer_start reprograms for an earlier one, and removals only make it later. So a
	 * slice deadline no earlier than programmed leaves the earliest of the two as it is,
	 * and the heap's lock need not be taken to learn that. */
	if (tc->programmed_valid && cpu_of(cpu)->slice_deadline >= tc->programmed)
		return;
	time_reprogram();
}

void ktimer_start(struct ktimer *t, uint64_t deadline_ns)
{
	if (atomic_load_relaxed(&t->cpu) >= 0)
		ktimer_cancel(t);
	irqflags_t flags = plat_irq_save();
	unsigned cpu = plat_cpu_id();
	struct timer_cpu *tc = &timer_cpus[cpu];

	raw_spin_lock(&tc->lock);
	t->deadline = deadline_ns;
	t->seq = atomic_fetch_add(&timer_seq, 1);
	t->child = t->sibling = t->prev = NULL;
	atomic_store_relaxed(&t->cpu, (int)cpu);
	tc->root = heap_meld(tc->root, t);
	bool earliest = tc->root == t;
	raw_spin_unlock(&tc->lock);
	if (earliest)
		time_reprogram();
	plat_irq_restore(flags);
}

/* Waits while some CPU runs t's callback. */
static void ktimer_wait_callback(const struct ktimer *t)
{
	for (unsigned n = 0; n < PLAT_MAX_CPUS; n++)
		while (atomic_load(&timer_cpus[n].running) == t) {
			plat_sched_point(PLAT_POINT_SPIN);
			arch_cpu_relax();
		}
}

bool ktimer_cancel(struct ktimer *t)
{
	bool was_pending = false;
	irqflags_t flags = plat_irq_save();

	for (;;) {
		int cpu = atomic_load(&t->cpu);
		if (cpu < 0)
			break;
		struct timer_cpu *tc = &timer_cpus[cpu];
		raw_spin_lock(&tc->lock);
		if (atomic_load_relaxed(&t->cpu) == cpu) {
			heap_remove(tc, t);
			was_pending = true;
		}
		raw_spin_unlock(&tc->lock);
		if (was_pending)
			break;
	}
	plat_irq_restore(flags);
	ktimer_wait_callback(t);
	return was_pending;
}

/* Runs every expired timer of this CPU, then the slice check, then reprograms. */
static void timer_interrupt(unsigned irq, void *arg)
{
	struct timer_cpu *tc = &timer_cpus[plat_cpu_id()];
	struct cpu_state *c = cpu_this();
	uint64_t now = plat_time_ns();

	(void)irq;
	(void)arg;
	for (;;) {
		raw_spin_lock(&tc->lock);
		struct ktimer *t = tc->root;
		if (!t || t->deadline > now) {
			raw_spin_unlock(&tc->lock);
			break;
		}
		heap_remove(tc, t);
		t->expired_at = now;
		atomic_store(&tc->running, t);
		raw_spin_unlock(&tc->lock);
		t->fn(t);
		atomic_store(&tc->running, NULL);
	}
	if (c->slice_deadline <= now)
		sched_slice_expired();
	tc->programmed_valid = false; /* the hardware fired: it must be set again */
	time_reprogram();
}

void time_cpu_init(void)
{
	unsigned irq = plat_timer_irq();

	spin_lock_init(&timer_cpus[plat_cpu_id()].lock, "timer_heap");
	if (!timer_irq_registered) {
		int err = irq_register(irq, "timer", timer_interrupt, NULL);
		if (err)
			panic("time: cannot register the timer interrupt %u (%d)", irq, err);
		timer_irq_registered = true;
	} else {
		irq_unmask(irq);
	}
	time_reprogram();
}
