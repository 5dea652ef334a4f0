/* Scheduler tests: threads run and are joined, CPU time is shared fairly by weight, and
 * sleepers wake. They run with any number of CPUs. */
#include <amphi/atomic.h>
#include <amphi/ktest.h>
#include <amphi/plat.h>
#include <amphi/sched.h>
#include <amphi/smp.h>
#include <amphi/sync.h>

#define SCHED_TEST_THREADS 8

/* Sets the flag it is given. */
static void sched_set_flag(void *arg)
{
	atomic_store((int *)arg, 1);
}

static void sched_create_and_join(struct ktest *t)
{
	int flags[SCHED_TEST_THREADS] = {0};
	struct thread *th[SCHED_TEST_THREADS];

	for (int i = 0; i < SCHED_TEST_THREADS; i++) {
		th[i] = thread_create("flagger", sched_set_flag, &flags[i], 0, 0);
		KTEST_ASSERT(t, th[i] != NULL);
	}
	for (int i = 0; i < SCHED_TEST_THREADS; i++)
		thread_join(th[i]);
	for (int i = 0; i < SCHED_TEST_THREADS; i++)
		KTEST_EXPECT_EQ(t, flags[i], 1);
}

/* A CPU-bound worker: spins until told to stop, then records its run time. */
struct spinner {
	volatile int *stop;
	uint64_t runtime_ns;
};

/* Burns CPU until *stop, passing scheduling points so the hosted machine's clock moves. */
static void sched_spin(void *arg)
{
	struct spinner *s = arg;

	while (!atomic_load(s->stop))
		plat_sched_point(PLAT_POINT_YIELD);
	s->runtime_ns = thread_current()->runtime_ns;
}

/* Runs n spinners with the given nice values on CPU 0 for ms milliseconds. */
static void sched_run_spinners(struct ktest *t, struct spinner *s, const int *nice, int n,
			       uint64_t ms)
{
	struct thread *th[4];
	volatile int stop = 0;

	for (int i = 0; i < n; i++) {
		s[i].stop = &stop;
		th[i] = thread_create("spinner", sched_spin, &s[i], nice[i], 1);
		KTEST_ASSERT(t, th[i] != NULL);
	}
	thread_sleep_ns(ms * 1000000);
	atomic_store(&stop, 1);
	for (int i = 0; i < n; i++)
		thread_join(th[i]);
}

static void sched_fair_equal_weights(struct ktest *t)
{
	struct spinner s[3];
	const int nice[3] = {0, 0, 0};

	sched_run_spinners(t, s, nice, 3, 60);
	uint64_t total = s[0].runtime_ns + s[1].runtime_ns + s[2].runtime_ns;
	KTEST_ASSERT(t, total > 0);
	for (int i = 0; i < 3; i++) { /* each within 25% of a third */
		KTEST_EXPECT(t, s[i].runtime_ns * 4 * 3 >= total * 3);
		KTEST_EXPECT(t, s[i].runtime_ns * 4 * 3 <= total * 5);
	}
}

static void sched_fair_by_weight(struct ktest *t)
{
	struct spinner s[2];
	const int nice[2] = {0, 5}; /* weights 1024 and 335: a 3.05 ratio */

	sched_run_spinners(t, s, nice, 2, 60);
	KTEST_ASSERT(t, s[1].runtime_ns > 0);
	uint64_t ratio_x100 = s[0].runtime_ns * 100 / s[1].runtime_ns;
	KTEST_EXPECT(t, ratio_x100 >= 200);
	KTEST_EXPECT(t, ratio_x100 <= 450);
}

struct handoff {
	struct completion go, done;
	int seen;
};

/* Waits for go, records it and signals done. */
static void sched_waiter(void *arg)
{
	struct handoff *h = arg;

	wait_for_completion(&h->go);
	h->seen = 1;
	complete(&h->done);
}

static void sched_sleep_and_wake(struct ktest *t)
{
	struct handoff h = {.seen = 0};

	completion_init(&h.go, "test_go");
	completion_init(&h.done, "test_done");
	struct thread *th = thread_create("waiter", sched_waiter, &h, 0, 0);
	KTEST_ASSERT(t, th != NULL);
	thread_sleep_ns(100000);
	KTEST_EXPECT_EQ(t, h.seen, 0);
	complete(&h.go);
	wait_for_completion(&h.done);
	KTEST_EXPECT_EQ(t, h.seen, 1);
	thread_join(th);
}

static void sched_nice_weights(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, sched_nice_to_weight(0), 1024);
	KTEST_EXPECT(t, sched_nice_to_weight(-1) > 1024);
	KTEST_EXPECT(t, sched_nice_to_weight(1) < 1024);
	KTEST_EXPECT(t, sched_nice_to_weight(19) >= 1);
	KTEST_EXPECT_EQ(t, sched_nice_to_weight(100), sched_nice_to_weight(19));
}

/* Records which CPU it ran on. */
static void sched_note_cpu(void *arg)
{
	atomic_fetch_or((cpumask_t *)arg, 1ULL << plat_cpu_id());
}

static void sched_affinity_is_kept(struct ktest *t)
{
	cpumask_t last = 1ULL << (smp_cpus_online() - 1);

	for (int i = 0; i < 8; i++) {
		cpumask_t seen = 0;
		struct thread *th = thread_create("pinned", sched_note_cpu, &seen, 0, last);
		KTEST_ASSERT(t, th != NULL);
		thread_join(th);
		KTEST_EXPECT_EQ(t, seen, last);
	}
}

static const struct ktest_case sched_cases[] = {
    KTEST_CASE(sched_nice_weights),
    KTEST_CASE(sched_create_and_join),
    KTEST_CASE(sched_sleep_and_wake),
    KTEST_CASE(sched_affinity_is_kept),
    {0},
};
KTEST_SUITE(sched_suite, "sched", sched_cases);

/* CPU shares are measured on the machine's clock, so they are only meaningful where
 * nothing outside steals the guest's time: the hosted virtual clock, or QEMU counting
 * instructions (-icount). Under a loaded host, QEMU's wall-clock guest time charges a
 * thread for the moments its virtual CPU was not running at all. So these run when named:
 * CTest runs them on the hosted machine and under QEMU -icount. */
static const struct ktest_case sched_fair_cases[] = {
    KTEST_CASE(sched_fair_equal_weights),
    KTEST_CASE(sched_fair_by_weight),
    {0},
};
KTEST_SUITE_MANUAL(sched_fair_suite, "sched_fair", sched_fair_cases);

/* A planted bug: a thread that yields inside a no-sleep section, as a handler wrongly
 * listed for syscall_fast would when it blocks. The scheduler must panic, naming it. */
static void sleep_in_no_sleep(struct ktest *t)
{
	sched_no_sleep_enter();
	thread_yield();
	sched_no_sleep_exit();
	ktest_fail(t, __FILE__, __LINE__, "a switch inside a no-sleep section was not caught");
}

static const struct ktest_case sched_bug_cases[] = {
    KTEST_CASE(sleep_in_no_sleep),
    {0},
};
KTEST_SUITE_MANUAL(sched_bugs_suite, "sched_bugs", sched_bug_cases);
