/*
 * The simulated CPUs seen from the kernel: threads run on every CPU, IPIs reach every CPU,
 * timers wake sleepers, and the timer preempts a thread that waits for another on its own
 * CPU. These run in ktest=all, so every mode of the hosted machine (deterministic with
 * several seeds, parallel, under memcheck, ASan and TSan) runs them.
 *
 * Manual suites: sim_race, a planted data race (unlocked increments from two CPUs) that
 * ThreadSanitizer must report in parallel mode; sim_hang, a planted hang (a CPU spinning
 * forever with a lock held) that the watchdog must report.
 */
#include <amphi/atomic.h>
#include <amphi/ktest.h>
#include <amphi/plat.h>
#include <amphi/sched.h>
#include <amphi/smp.h>
#include <amphi/sync.h>

#define SMP_KTEST_ROUNDS 200
#define SMP_KTEST_SLEEP_NS 2000000ULL /* 2 ms */

/* What each thread of threads_on_every_cpu shares. */
struct smp_ktest_shared {
	struct spinlock lock;
	unsigned long counter;
	unsigned wrong_cpu; /* threads that ran on a CPU outside their affinity */
};

struct smp_ktest_worker {
	struct smp_ktest_shared *shared;
	unsigned cpu;
};

/* Increments the shared counter under its lock, yielding now and then. */
static void smp_ktest_count(void *p)
{
	struct smp_ktest_worker *w = p;

	for (unsigned i = 0; i < SMP_KTEST_ROUNDS; i++) {
		spin_lock(&w->shared->lock);
		w->shared->counter++;
		if (plat_cpu_id() != w->cpu)
			w->shared->wrong_cpu++;
		spin_unlock(&w->shared->lock);
		if (i % 16 == 0)
			thread_yield();
	}
}

static void threads_on_every_cpu(struct ktest *t)
{
	static struct smp_ktest_shared shared = {.lock = SPINLOCK_INIT("smp_ktest.shared")};
	struct smp_ktest_worker workers[PLAT_MAX_CPUS];
	struct thread *threads[PLAT_MAX_CPUS];
	unsigned n = plat_cpu_count();

	shared.counter = 0;
	shared.wrong_cpu = 0;
	for (unsigned c = 0; c < n; c++) {
		workers[c] = (struct smp_ktest_worker){&shared, c};
		threads[c] = thread_create("smp_ktest", smp_ktest_count, &workers[c], 0, 1ULL << c);
		KTEST_EXPECT(t, threads[c] != NULL);
	}
	for (unsigned c = 0; c < n; c++) {
		if (threads[c])
			thread_join(threads[c]);
	}
	KTEST_EXPECT_EQ(t, shared.counter, (unsigned long)n * SMP_KTEST_ROUNDS);
	KTEST_EXPECT_EQ(t, shared.wrong_cpu, 0);
}

/* Counts a call on the executing CPU. */
static void smp_ktest_mark(void *p)
{
	unsigned *calls = p;

	atomic_fetch_add(&calls[plat_cpu_id()], 1);
}

static void ipi_reaches_every_cpu(struct ktest *t)
{
	unsigned calls[PLAT_MAX_CPUS] = {0};

	smp_call_on(smp_online_mask(), smp_ktest_mark, calls);
	for (unsigned c = 0; c < plat_cpu_count(); c++)
		KTEST_EXPECT_EQ(t, atomic_load(&calls[c]), 1);
}

static void sleep_lasts_its_time(struct ktest *t)
{
	uint64_t start = plat_time_ns();

	thread_sleep_ns(SMP_KTEST_SLEEP_NS);
	KTEST_EXPECT(t, plat_time_ns() - start >= SMP_KTEST_SLEEP_NS);
}

/* Waits, without yielding, until the flag is set by a thread of the same CPU: only
 * preemption by the timer lets that thread run. */
static void smp_ktest_wait_flag(void *p)
{
	int *flag = p;

	while (!atomic_load(flag))
		plat_sched_point(PLAT_POINT_SPIN);
}

static void smp_ktest_set_flag(void *p)
{
	atomic_store((int *)p, 1);
}

static void timer_preempts_a_waiting_thread(struct ktest *t)
{
	int flag = 0;
	cpumask_t last_cpu = 1ULL << (plat_cpu_count() - 1);
	struct thread *waiter = thread_create("smp_wait", smp_ktest_wait_flag, &flag, 0, last_cpu);
	struct thread *setter = thread_create("smp_set", smp_ktest_set_flag, &flag, 0, last_cpu);

	KTEST_EXPECT(t, waiter && setter);
	if (waiter)
		thread_join(waiter);
	if (setter)
		thread_join(setter);
	KTEST_EXPECT_EQ(t, atomic_load(&flag), 1);
}

static const struct ktest_case sim_smp_cases[] = {
    KTEST_CASE(threads_on_every_cpu),
    KTEST_CASE(ipi_reaches_every_cpu),
    KTEST_CASE(sleep_lasts_its_time),
    KTEST_CASE(timer_preempts_a_waiting_thread),
    {0},
};
KTEST_SUITE(sim_smp_suite, "sim_smp", sim_smp_cases);

#define SIM_RACE_THREADS 2
#define SIM_RACE_ROUNDS 100000

/* The planted race's counter and the start line both threads wait at, so that their
 * increments overlap instead of one finishing before the other starts. */
static struct {
	unsigned long counter;
	unsigned arrived;
} sim_race;

/* Waits for the other thread, then increments the shared counter with no lock. */
static void sim_race_increment(void *unused)
{
	(void)unused;
	atomic_fetch_add(&sim_race.arrived, 1);
	while (atomic_load(&sim_race.arrived) < SIM_RACE_THREADS)
		plat_sched_point(PLAT_POINT_SPIN);
	for (unsigned i = 0; i < SIM_RACE_ROUNDS; i++)
		(*(volatile unsigned long *)&sim_race.counter)++;
}

static void unlocked_increment(struct ktest *t)
{
	struct thread *threads[SIM_RACE_THREADS];

	for (unsigned c = 0; c < SIM_RACE_THREADS; c++)
		threads[c] = thread_create("sim_race", sim_race_increment, NULL, 0,
					   1ULL << (c % plat_cpu_count()));
	for (unsigned c = 0; c < SIM_RACE_THREADS; c++) {
		if (threads[c])
			thread_join(threads[c]);
	}
	/* the race's result is not checked: TSan's report is the point */
	KTEST_EXPECT(t, sim_race.counter <= SIM_RACE_THREADS * SIM_RACE_ROUNDS);
}

static const struct ktest_case sim_race_cases[] = {
    KTEST_CASE(unlocked_increment),
    {0},
};
KTEST_SUITE_MANUAL(sim_race_suite, "sim_race", sim_race_cases);

/* A flag nobody sets: the planted hang waits for it forever. */
static int sim_hang_never;

/* Holds a lock and waits, interrupts masked, for what never comes: the watchdog must
 * report the machine hung, with this function in CPU 0's backtrace and the lock held. */
static __attribute__((noinline)) void sim_hang_wait_forever(void)
{
	static struct spinlock held = SPINLOCK_INIT("sim_hang.held");
	irqflags_t flags = spin_lock_irqsave(&held);

	while (!atomic_load(&sim_hang_never))
		plat_sched_point(PLAT_POINT_SPIN);
	spin_unlock_irqrestore(&held, flags);
}

static void spin_forever(struct ktest *t)
{
	sim_hang_wait_forever();
	KTEST_EXPECT(t, false); /* never reached */
}

static const struct ktest_case sim_hang_cases[] = {
    KTEST_CASE(spin_forever),
    {0},
};
KTEST_SUITE_MANUAL(sim_hang_suite, "sim_hang", sim_hang_cases);
