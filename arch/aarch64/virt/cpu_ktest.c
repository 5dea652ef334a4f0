/* ktest: the GIC driver's entry and masking (ktest=aarch64_gic) and the secondary CPUs:
 * PSCI start, per-CPU identity, and IPIs to each of them (ktest=aarch64_smp). */
#include <amphi/arch.h>
#include <amphi/atomic.h>
#include <amphi/errno.h>
#include <amphi/irq.h>
#include <amphi/ktest.h>
#include <amphi/mm.h>
#include <amphi/plat.h>

#include "sysreg.h"
#include "virt.h"

#define MS 1000000ULL
#define WAIT_LIMIT_NS (5000ULL * MS)
#define PHYS_TIMER_PPI 30 /* the EL1 physical timer, which nothing here handles */

/* Skips the case when no interrupt controller is registered. */
static bool have_chip(struct ktest *t)
{
	if (irq_chip())
		return true;
	ktest_skip(t, "no interrupt controller");
	return false;
}

/* Spins until *counter differs from before or limit_ns passed, with interrupts as they are;
 * true when it changed. */
static bool wait_change(volatile const uint64_t *counter, uint64_t before, uint64_t limit_ns)
{
	uint64_t end = plat_time_ns() + limit_ns;

	while (*counter == before && plat_time_ns() < end)
		arch_cpu_relax();
	return *counter != before;
}

static volatile uint64_t spurious_now;

/* irq_spurious_count into spurious_now, for wait_change. */
static void sample_spurious(void)
{
	spurious_now = irq_spurious_count();
}

static void gic_entry_with_nothing_pending_is_spurious(struct ktest *t)
{
	if (!have_chip(t))
		return;
	irqflags_t flags = plat_irq_save();
	uint64_t before = irq_spurious_count();
	/* Whatever else was pending is handled by the first entries; one then finds none. */
	for (int i = 0; i < 10 && irq_spurious_count() == before; i++)
		virt_irq_entry();
	KTEST_EXPECT_EQ(t, irq_spurious_count(), before + 1);
	plat_irq_restore(flags);
}

static void gic_unhandled_interrupt_is_counted_and_masked(struct ktest *t)
{
	if (!have_chip(t))
		return;
	irqflags_t flags = plat_irq_save();
	uint64_t before = irq_spurious_count();
	sysreg_write(cntp_cval_el0, 0); /* level-triggered and asserted from now on */
	sysreg_write(cntp_ctl_el0, 1);
	isb();
	irq_chip()->unmask(PHYS_TIMER_PPI);
	plat_irq_enable();
	uint64_t end = plat_time_ns() + WAIT_LIMIT_NS;
	do
		sample_spurious();
	while (spurious_now == before && plat_time_ns() < end);
	KTEST_EXPECT_EQ(t, irq_spurious_count(), before + 1);
	/* Still asserted: were it not masked, it would be taken again and again. */
	KTEST_EXPECT(t, !wait_change(&spurious_now, spurious_now, 20 * MS) ||
			    irq_spurious_count() == before + 1);
	plat_irq_disable();
	KTEST_EXPECT_EQ(t, irq_spurious_count(), before + 1);
	KTEST_EXPECT_EQ(t, irq_count(PHYS_TIMER_PPI), 0);
	sysreg_write(cntp_ctl_el0, 0);
	isb();
	plat_irq_restore(flags);
}

/* --- secondaries --- */

#define SMP_KTEST_STACK_ORDER 1 /* 8 KiB */

static struct {
	volatile uint64_t ipis[PLAT_MAX_CPUS];
	volatile uint64_t mpidr[PLAT_MAX_CPUS];
	volatile unsigned id[PLAT_MAX_CPUS];
	volatile bool ready[PLAT_MAX_CPUS];
	bool started;
} smp_kt;

/* IPI_CALL handler while the test owns it: counts per CPU. */
static void smp_ktest_ipi(unsigned irq, void *arg)
{
	(void)irq;
	(void)arg;
	smp_kt.ipis[plat_cpu_id()]++;
}

/* What each secondary runs: records who it is, brings up its GIC interface, takes IPIs. */
static void smp_ktest_secondary(void *arg)
{
	unsigned cpu = plat_cpu_id();

	smp_kt.id[(uintptr_t)arg] = cpu;
	smp_kt.mpidr[cpu] = sysreg_read(mpidr_el1) & MPIDR_AFFINITY_MASK;
	irq_chip()->cpu_init();
	irq_chip()->unmask(irq_chip()->ipi_irq(IPI_CALL));
	atomic_store_release(&smp_kt.ready[cpu], true);
	for (;;) {
		plat_cpu_idle();
		plat_irq_enable();
		plat_irq_disable();
	}
}

/* Starts every secondary into smp_ktest_secondary, once; false (the case skips) with one
 * CPU, or when the kernel started them already. */
static bool smp_ktest_start(struct ktest *t)
{
	unsigned n = plat_cpu_count();

	if (n == 1) {
		ktest_skip(t, "one CPU");
		return false;
	}
	if (!have_chip(t))
		return false;
	for (unsigned cpu = 1; cpu < n && !smp_kt.started; cpu++) {
		void *stack = page_alloc(SMP_KTEST_STACK_ORDER);
		KTEST_EXPECT(t, stack);
		if (!stack)
			return false;
		int err = plat_cpu_start(cpu, (char *)stack + (PAGE_SIZE << SMP_KTEST_STACK_ORDER),
					 smp_ktest_secondary, (void *)(uintptr_t)cpu);
		if (err == -EINVAL && cpu == 1) {
			page_free(stack, SMP_KTEST_STACK_ORDER);
			ktest_skip(t, "the kernel has started the CPUs");
			return false;
		}
		KTEST_EXPECT_EQ(t, err, 0);
		if (err)
			return false;
		uint64_t end = plat_time_ns() + WAIT_LIMIT_NS;
		while (!atomic_load_acquire(&smp_kt.ready[cpu]) && plat_time_ns() < end)
			arch_cpu_relax();
		KTEST_EXPECT(t, smp_kt.ready[cpu]);
		if (!smp_kt.ready[cpu])
			return false;
	}
	smp_kt.started = true;
	return true;
}

static void smp_secondaries_know_who_they_are(struct ktest *t)
{
	if (!smp_ktest_start(t))
		return;
	for (unsigned cpu = 1; cpu < plat_cpu_count(); cpu++) {
		KTEST_EXPECT_EQ(t, smp_kt.id[cpu], cpu);
		KTEST_EXPECT_EQ(t, smp_kt.mpidr[cpu], cpu_mpidr_of(cpu));
	}
	KTEST_EXPECT_EQ(t, plat_cpu_id(), 0);
	KTEST_EXPECT_EQ(t, sysreg_read(mpidr_el1) & MPIDR_AFFINITY_MASK, cpu_mpidr_of(0));
}

static void smp_start_refuses_bad_cpus(struct ktest *t)
{
	static char stack[64] __attribute__((aligned(16)));
	char *top = stack + sizeof(stack);

	KTEST_EXPECT_EQ(t, plat_cpu_start(0, top, smp_ktest_secondary, NULL), -EINVAL);
	KTEST_EXPECT_EQ(t, plat_cpu_start(plat_cpu_count(), top, smp_ktest_secondary, NULL),
			-EINVAL);
	if (!smp_ktest_start(t))
		return;
	KTEST_EXPECT_EQ(t, plat_cpu_start(1, top, smp_ktest_secondary, NULL), -EINVAL);
}

static void smp_ipi_reaches_every_other_cpu(struct ktest *t)
{
	if (!smp_ktest_start(t))
		return;
	unsigned irq = irq_chip()->ipi_irq(IPI_CALL);
	int err = irq_register(irq, "smp_ktest", smp_ktest_ipi, NULL);
	if (err == -EBUSY) {
		ktest_skip(t, "the kernel holds IPI_CALL");
		return;
	}
	KTEST_ASSERT(t, err == 0);
	cpumask_t others = 0;
	uint64_t before[PLAT_MAX_CPUS];
	for (unsigned cpu = 1; cpu < plat_cpu_count(); cpu++) {
		others |= (cpumask_t)1 << cpu;
		before[cpu] = smp_kt.ipis[cpu];
	}
	irq_chip()->send_ipi(others, IPI_CALL);
	for (unsigned cpu = 1; cpu < plat_cpu_count(); cpu++) {
		KTEST_EXPECT(t, wait_change(&smp_kt.ipis[cpu], before[cpu], WAIT_LIMIT_NS));
		KTEST_EXPECT_EQ(t, smp_kt.ipis[cpu], before[cpu] + 1);
	}
	KTEST_EXPECT_EQ(t, smp_kt.ipis[0], 0); /* not a target */
	irq_unregister(irq);
}

static const struct ktest_case gic_cases[] = {
    KTEST_CASE(gic_entry_with_nothing_pending_is_spurious),
    KTEST_CASE(gic_unhandled_interrupt_is_counted_and_masked),
    {0},
};
KTEST_SUITE(gic_suite, "aarch64_gic", gic_cases);

static const struct ktest_case smp_cases[] = {
    KTEST_CASE(smp_secondaries_know_who_they_are),
    KTEST_CASE(smp_start_refuses_bad_cpus),
    KTEST_CASE(smp_ipi_reaches_every_other_cpu),
    {0},
};
KTEST_SUITE(smp_suite, "aarch64_smp", smp_cases);
