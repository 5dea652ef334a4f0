/*
 * Scheduler micro-benchmarks, as a manual ktest suite (ktest=sched_bench) so the same code
 * measures every target; bench/sched runs it and sets the figures against host references.
 * Each prints "# bench: <name> <median ns>" over 11 rounds; the cases check only that the
 * work was done, never a time. Run with a real clock: on a virtual one the figures say
 * nothing.
 */
#include <amphi/atomic.h>
#include <amphi/kprintf.h>
#include <amphi/ktest.h>
#include <amphi/plat.h>
#include <amphi/sched.h>
#include <amphi/smp.h>
#include <amphi/sync.h>

#define BENCH_ROUNDS 11
#define BENCH_SWITCHES 20000
#define BENCH_HANDOFFS 2000
#define BENCH_IPIS 2000

/* Sorts v (insertion sort, BENCH_ROUNDS entries) and returns the median. */
static uint64_t bench_median(uint64_t *v)
{
	for (int i = 1; i < BENCH_ROUNDS; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t x = v[j];
			v[j] = v[j - 1];
			v[j - 1] = x;
		}
	return v[BENCH_ROUNDS / 2];
}

/* Prints one figure in the form bench/sched reads. */
static void bench_report(const char *name, uint64_t *per_op_ns)
{
	kprintf("# bench: %s %llu\n", name, (unsigned long long)bench_median(per_op_ns));
}

/* Yields n times. */
static void bench_yielder(void *arg)
{
	for (long i = 0; i < (long)(uintptr_t)arg; i++)
		thread_yield();
}

static void thread_switch(struct ktest *t)
{
	uint64_t ns[BENCH_ROUNDS];

	for (int r = 0; r < BENCH_ROUNDS; r++) {
		cpumask_t cpu0 = 1;
		uint64_t start = plat_time_ns();
		struct thread *a = thread_create("yield_a", bench_yielder,
						 (void *)(uintptr_t)BENCH_SWITCHES, 0, cpu0);
		struct thread *b = thread_create("yield_b", bench_yielder,
						 (void *)(uintptr_t)BENCH_SWITCHES, 0, cpu0);
		KTEST_ASSERT(t, a && b);
		thread_join(a);
		thread_join(b);
		ns[r] = (plat_time_ns() - start) / (2 * BENCH_SWITCHES);
	}
	bench_report("thread_switch_ns", ns);
}

struct pingpong {
	struct completion ping, pong;
	long rounds;
};

/* Answers every ping with a pong. */
static void bench_ponger(void *arg)
{
	struct pingpong *p = arg;

	for (long i = 0; i < p->rounds; i++) {
		wait_for_completion(&p->ping);
		complete(&p->pong);
	}
}

/* One wake-up round trip between threads on CPUs mask_a (this side) and mask_b. */
static uint64_t bench_pingpong(struct ktest *t, cpumask_t mask_b)
{
	struct pingpong p = {.rounds = BENCH_HANDOFFS};

	completion_init(&p.ping, "bench_ping");
	completion_init(&p.pong, "bench_pong");
	struct thread *b = thread_create("ponger", bench_ponger, &p, 0, mask_b);
	if (!b) {
		ktest_fail(t, __FILE__, __LINE__, "no memory for the ponger");
		return 0;
	}
	uint64_t start = plat_time_ns();
	for (long i = 0; i < p.rounds; i++) {
		complete(&p.ping);
		wait_for_completion(&p.pong);
	}
	uint64_t per_wake = (plat_time_ns() - start) / (2 * (uint64_t)p.rounds);
	thread_join(b);
	return per_wake;
}

/* Runs the ping side on CPU 0 (a pinned thread) against a ponger on mask_b. */
struct pingpong_run {
	struct ktest *t;
	cpumask_t mask_b;
	uint64_t ns;
};

/* Body of the pinned ping thread. */
static void bench_pinger(void *arg)
{
	struct pingpong_run *run = arg;

	run->ns = bench_pingpong(run->t, run->mask_b);
}

/* Median wake-up latency with the two sides on CPU 0 and on mask_b. */
static void bench_wakeups(struct ktest *t, const char *name, cpumask_t mask_b)
{
	uint64_t ns[BENCH_ROUNDS];

	for (int r = 0; r < BENCH_ROUNDS; r++) {
		struct pingpong_run run = {t, mask_b, 0};
		struct thread *a = thread_create("pinger", bench_pinger, &run, 0, 1);
		KTEST_ASSERT(t, a != NULL);
		thread_join(a);
		ns[r] = run.ns;
	}
	bench_report(name, ns);
}

static void wakeup_same_cpu(struct ktest *t)
{
	bench_wakeups(t, "wakeup_same_cpu_ns", 1);
}

static void wakeup_cross_cpu(struct ktest *t)
{
	if (smp_cpus_online() < 2) {
		ktest_skip(t, "needs two CPUs");
		return;
	}
	bench_wakeups(t, "wakeup_cross_cpu_ns", 2);
}

/* Does nothing: the call's cost is the IPI and the handshake. */
static void bench_nop(void *arg)
{
	(void)arg;
}

static void ipi_round_trip(struct ktest *t)
{
	uint64_t ns[BENCH_ROUNDS];

	if (smp_cpus_online() < 2) {
		ktest_skip(t, "needs two CPUs");
		return;
	}
	unsigned other = plat_cpu_id() == 0 ? 1 : 0;
	for (int r = 0; r < BENCH_ROUNDS; r++) {
		uint64_t start = plat_time_ns();
		for (int i = 0; i < BENCH_IPIS; i++)
			smp_call_on(1ULL << other, bench_nop, NULL);
		ns[r] = (plat_time_ns() - start) / BENCH_IPIS;
	}
	bench_report("ipi_round_trip_ns", ns);
}

static const struct ktest_case sched_bench_cases[] = {
    KTEST_CASE(thread_switch),
    KTEST_CASE(wakeup_same_cpu),
    KTEST_CASE(wakeup_cross_cpu),
    KTEST_CASE(ipi_round_trip),
    {0},
};
KTEST_SUITE_MANUAL(sched_bench_suite, "sched_bench", sched_bench_cases);
