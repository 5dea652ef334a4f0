/* Timer tests: deadlines are kept (exactly, on a virtual clock), timers expire in deadline
 * order, and cancelled ones never run. */
#include <amphi/atomic.h>
#include <amphi/errno.h>
#include <amphi/ktest.h>
#include <amphi/plat.h>
#include <amphi/sched.h>
#include <amphi/sync.h>
#include <amphi/timer.h>

struct probe_timer {
	struct ktimer timer;
	uint64_t fired_at;
	int order;
	int *next_order;
	struct completion *done;
};

/* Records when and in which position it fired. */
static void timer_probe_fired(struct ktimer *kt)
{
	struct probe_timer *p = container_of(kt, struct probe_timer, timer);

	p->fired_at = plat_time_ns();
	p->order = (*p->next_order)++;
	if (p->done)
		complete(p->done);
}

static void timer_fires_at_deadline(struct ktest *t)
{
	struct completion done;
	int next = 0;
	struct probe_timer p = {.next_order = &next, .done = &done, .order = -1};

	completion_init(&done, "test_timer_done");
	ktimer_init(&p.timer, timer_probe_fired);
	uint64_t deadline = plat_time_ns() + 2000000;
	ktimer_start(&p.timer, deadline);
	wait_for_completion(&done);
	KTEST_EXPECT(t, p.fired_at >= deadline);
	KTEST_EXPECT(t, p.timer.expired_at >= deadline);
	if (plat_time_is_virtual()) /* the machine idled until the deadline, not past it */
		KTEST_EXPECT_EQ(t, p.timer.expired_at, deadline);
	KTEST_EXPECT(t, !ktimer_cancel(&p.timer));
}

static void timer_sleep_is_not_short(struct ktest *t)
{
	for (uint64_t ns = 1000; ns <= 3000000; ns *= 7) {
		uint64_t start = plat_time_ns();
		thread_sleep_ns(ns);
		KTEST_EXPECT(t, plat_time_ns() - start >= ns);
	}
}

#define ORDER_TIMERS 32

struct order_run {
	struct ktest *t;
	struct probe_timer p[ORDER_TIMERS];
	int next;
};

/* Starts the timers with interrupts masked (so none can expire before all are queued,
 * however slowly this CPU runs), cancels two, then sleeps past them all. It runs pinned to
 * one CPU, so its sleep's timer expires after theirs on the same heap. */
static void timer_order_body(void *arg)
{
	struct order_run *r = arg;
	struct ktest *t = r->t;
	uint64_t lcg = 12345;
	irqflags_t flags = plat_irq_save();
	uint64_t base = plat_time_ns() + 1000000;

	for (int i = 0; i < ORDER_TIMERS; i++) {
		lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
		r->p[i] = (struct probe_timer){.next_order = &r->next, .order = -1};
		ktimer_init(&r->p[i].timer, timer_probe_fired);
		ktimer_start(&r->p[i].timer, base + (lcg >> 33) % 8 * 100000); /* many ties */
	}
	KTEST_EXPECT(t, ktimer_cancel(&r->p[3].timer)); /* cancelled ones never fire */
	KTEST_EXPECT(t, ktimer_cancel(&r->p[17].timer));
	plat_irq_restore(flags);
	thread_sleep_until(base + 1000000);
	/* a CPU that ran late past that (an emulated one its host stopped) ends the sleep at
	 * once, and may do so before it has taken the timer interrupt of the expired probes:
	 * give them that long (their order is what is checked, not how soon they come) */
	uint64_t end = plat_time_ns() + 100 * 1000000ull;
	while (__atomic_load_n(&r->next, __ATOMIC_ACQUIRE) < ORDER_TIMERS - 2 && plat_time_ns() < end)
		thread_sleep_ns(100000);
}

static void timer_expiry_order(struct ktest *t)
{
	static struct order_run r;

	r = (struct order_run){.t = t};
	struct thread *th = thread_create("timer_order", timer_order_body, &r, 0, 1);
	KTEST_ASSERT(t, th != NULL);
	thread_join(th);
	struct probe_timer *p = r.p;
	KTEST_EXPECT_EQ(t, r.next, ORDER_TIMERS - 2);
	KTEST_EXPECT_EQ(t, p[3].order, -1);
	KTEST_EXPECT_EQ(t, p[17].order, -1);
	for (int i = 0; i < ORDER_TIMERS; i++) {
		for (int j = 0; j < ORDER_TIMERS; j++) {
			if (p[i].order < 0 || p[j].order < 0 || i == j)
				continue;
			bool i_first = p[i].timer.deadline < p[j].timer.deadline ||
				       (p[i].timer.deadline == p[j].timer.deadline && i < j);
			if (i_first)
				KTEST_EXPECT(t, p[i].order < p[j].order);
		}
		if (p[i].order >= 0)
			KTEST_EXPECT(t, p[i].fired_at >= p[i].timer.deadline);
	}
}

static void timer_wait_times_out(struct ktest *t)
{
	struct completion never;

	completion_init(&never, "test_never");
	uint64_t start = plat_time_ns();
	KTEST_EXPECT_EQ(t, wait_for_completion_until(&never, start + 500000), -ETIMEDOUT);
	KTEST_EXPECT(t, plat_time_ns() >= start + 500000);
	complete(&never);
	KTEST_EXPECT_EQ(t, wait_for_completion_until(&never, start), 0); /* done beats late */
}

static void timer_clock_is_monotonic(struct ktest *t)
{
	uint64_t last = plat_time_ns();

	for (int i = 0; i < 10000; i++) {
		uint64_t now = plat_time_ns();
		KTEST_EXPECT(t, now >= last);
		if (now < last)
			return;
		last = now;
	}
}

static const struct ktest_case timer_cases[] = {
    KTEST_CASE(timer_clock_is_monotonic), KTEST_CASE(timer_fires_at_deadline),
    KTEST_CASE(timer_sleep_is_not_short), KTEST_CASE(timer_expiry_order),
    KTEST_CASE(timer_wait_times_out),	  {0},
};
KTEST_SUITE(timer_suite, "timer", timer_cases);
