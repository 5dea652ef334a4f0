/* SMP tests: IPIs reach every CPU, and call-function runs on exactly the CPUs asked. The
 * manual suite smp_race plants a data race for the race finders to catch. */
#include <amphi/atomic.h>
#include <amphi/ktest.h>
#include <amphi/plat.h>
#include <amphi/sched.h>
#include <amphi/smp.h>

static uint64_t smp_test_hits[PLAT_MAX_CPUS];

/* Counts one call on the CPU it runs on. */
static void smp_count_call(void *arg)
{
	(void)arg;
	atomic_fetch_add(&smp_test_hits[plat_cpu_id()], 1);
}

static void smp_call_reaches_every_cpu(struct ktest *t)
{
	cpumask_t online = smp_online_mask();

	for (unsigned i = 0; i < PLAT_MAX_CPUS; i++)
		smp_test_hits[i] = 0;
	for (int round = 0; round < 50; round++)
		smp_call_on(online, smp_count_call, NULL);
	for (unsigned i = 0; i < PLAT_MAX_CPUS; i++)
		KTEST_EXPECT_EQ(t, smp_test_hits[i], online & (1ULL << i) ? 50 : 0);
}

static void smp_call_reaches_only_targets(struct ktest *t)
{
	cpumask_t online = smp_online_mask();

	for (unsigned target = 0; target < PLAT_MAX_CPUS; target++) {
		if (!(online & (1ULL << target)))
			continue;
		for (unsigned i = 0; i < PLAT_MAX_CPUS; i++)
			smp_test_hits[i] = 0;
		smp_call_on(1ULL << target, smp_count_call, NULL);
		for (unsigned i = 0; i < PLAT_MAX_CPUS; i++)
			KTEST_EXPECT_EQ(t, smp_test_hits[i], i == target ? 1 : 0);
	}
}

/* Each other CPU takes an IPI sent to it alone. One CPU at a time: a GIC merges an SGI
 * into one already pending from the same source, so a count over several would not add up. */
static void smp_ipis_arrive(struct ktest *t)
{
	unsigned irq = irq_chip()->ipi_irq(IPI_RESCHEDULE);
	cpumask_t others = smp_online_mask() & ~(1ULL << plat_cpu_id());

	preempt_disable(); /* "others" stays the others */
	for (unsigned cpu = 0; cpu < PLAT_MAX_CPUS; cpu++) {
		if (!(others & (1ULL << cpu)))
			continue;
		uint64_t before = irq_count(irq);
		ipi_send(1ULL << cpu, IPI_RESCHEDULE);
		unsigned long spins = 0;
		while (irq_count(irq) == before && spins++ < 100000000UL)
			plat_sched_point(PLAT_POINT_SPIN);
		KTEST_EXPECT(t, irq_count(irq) > before);
	}
	preempt_enable();
}

static unsigned smp_masked_ready; /* callers of the masked-call test with interrupts masked */

/* Masks interrupts, waits until the other caller has too, then calls CPU arg. */
static void smp_masked_caller(void *arg)
{
	irqflags_t flags = plat_irq_save();

	atomic_fetch_add(&smp_masked_ready, 1);
	while (atomic_load(&smp_masked_ready) < 2)
		plat_sched_point(PLAT_POINT_SPIN);
	smp_call_on(1ULL << (uintptr_t)arg, smp_count_call, NULL);
	plat_irq_restore(flags);
}

/* Two CPUs calling each other with interrupts masked (as two TLB shootdowns can) both
 * finish: each runs the other's call while it waits. */
static void smp_call_with_interrupts_masked(struct ktest *t)
{
	struct thread *th[2];

	if (smp_cpus_online() < 2)
		return;
	for (unsigned i = 0; i < PLAT_MAX_CPUS; i++)
		smp_test_hits[i] = 0;
	smp_masked_ready = 0;
	for (uintptr_t cpu = 0; cpu < 2; cpu++) {
		th[cpu] = thread_create("masked-caller", smp_masked_caller, (void *)(1 - cpu), 0,
					1ULL << cpu);
		KTEST_ASSERT(t, th[cpu] != NULL);
	}
	for (int i = 0; i < 2; i++)
		thread_join(th[i]);
	KTEST_EXPECT_EQ(t, smp_test_hits[0], 1);
	KTEST_EXPECT_EQ(t, smp_test_hits[1], 1);
}

static void smp_all_cpus_online(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, smp_cpus_online(), plat_cpu_count());
	KTEST_EXPECT(t, smp_online_mask() & 1);
}

static const struct ktest_case smp_cases[] = {
    KTEST_CASE(smp_all_cpus_online),
    KTEST_CASE(smp_call_reaches_every_cpu),
    KTEST_CASE(smp_call_reaches_only_targets),
    KTEST_CASE(smp_ipis_arrive),
    KTEST_CASE(smp_call_with_interrupts_masked),
    {0},
};
KTEST_SUITE(smp_suite, "smp", smp_cases);

/* --- planted race: an unlocked read-modify-write, with a scheduling point inside --- */

#define RACE_THREADS 2
#define RACE_INCREMENTS 3

static long race_counter;

/* Increments race_counter without a lock; another CPU may interleave at the point. */
static void race_increment(void *arg)
{
	(void)arg;
	for (int i = 0; i < RACE_INCREMENTS; i++) {
		long v = race_counter;
		plat_sched_point(PLAT_POINT_YIELD);
		race_counter = v + 1;
	}
}

static void unlocked_increment(struct ktest *t)
{
	struct thread *th[RACE_THREADS];

	race_counter = 0;
	for (int i = 0; i < RACE_THREADS; i++)
		th[i] = thread_create("racer", race_increment, NULL, 0, 0);
	for (int i = 0; i < RACE_THREADS; i++)
		thread_join(th[i]);
	KTEST_EXPECT_EQ(t, race_counter, RACE_THREADS * RACE_INCREMENTS);
}

static const struct ktest_case smp_race_cases[] = {KTEST_CASE(unlocked_increment), {0}};
KTEST_SUITE_MANUAL(smp_race_suite, "smp_race", smp_race_cases);
