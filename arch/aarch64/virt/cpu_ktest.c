/* ktest: the GIC driver's entry and masking (ktest=aarch64_gic) and the CPUs the kernel
 * started through PSCI: all of them up, each knowing its index, IPIs reaching each
 * (ktest=aarch64_smp). */
#include <amphi/arch.h>
#include <amphi/atomic.h>
#include <amphi/errno.h>
#include <amphi/irq.h>
#include <amphi/ktest.h>
#include <amphi/plat.h>
#include <amphi/smp.h>

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

/* --- the CPUs, as the kernel brought them up --- */

static struct {
	volatile uint64_t mpidr[PLAT_MAX_CPUS];
	volatile unsigned calls[PLAT_MAX_CPUS];
	volatile bool in_handler[PLAT_MAX_CPUS];
} smp_kt;

/* Run on each CPU by smp_call_on: records which CPU it is and how it got there. */
static void smp_ktest_record(void *arg)
{
	unsigned cpu = plat_cpu_id();

	(void)arg;
	smp_kt.mpidr[cpu] = sysreg_read(mpidr_el1) & MPIDR_AFFINITY_MASK;
	smp_kt.in_handler[cpu] = irq_in_handler();
	smp_kt.calls[cpu]++;
}

/* Skips the case on a one-CPU machine. */
static bool smp_ktest_several(struct ktest *t)
{
	if (plat_cpu_count() > 1)
		return true;
	ktest_skip(t, "one CPU");
	return false;
}

static void smp_every_cpu_came_up(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, smp_cpus_online(), plat_cpu_count());
	KTEST_EXPECT_EQ(t, cpumask_count(smp_online_mask()), plat_cpu_count());
	KTEST_EXPECT_EQ(t, sysreg_read(mpidr_el1) & MPIDR_AFFINITY_MASK,
			cpu_mpidr_of(plat_cpu_id()));
}

static void smp_ipi_reaches_every_other_cpu(struct ktest *t)
{
	if (!smp_ktest_several(t))
		return;
	irqflags_t flags = plat_irq_save(); /* stay on this CPU while picking the others */
	unsigned self = plat_cpu_id();
	cpumask_t others = smp_online_mask() & ~((cpumask_t)1 << self);
	unsigned before[PLAT_MAX_CPUS];
	for (unsigned cpu = 0; cpu < plat_cpu_count(); cpu++)
		before[cpu] = smp_kt.calls[cpu];
	plat_irq_restore(flags);

	smp_call_on(others, smp_ktest_record, NULL);
	for (unsigned cpu = 0; cpu < plat_cpu_count(); cpu++) {
		if (!(others & ((cpumask_t)1 << cpu)))
			continue;
		KTEST_EXPECT_EQ(t, smp_kt.calls[cpu], before[cpu] + 1);
		KTEST_EXPECT_EQ(t, smp_kt.mpidr[cpu], cpu_mpidr_of(cpu)); /* plat_cpu_id right */
		KTEST_EXPECT(t, smp_kt.in_handler[cpu]); /* arrived as an interrupt */
	}
}

static void smp_start_refuses_bad_cpus(struct ktest *t)
{
	static char stack[64] __attribute__((aligned(16)));
	char *top = stack + sizeof(stack);

	KTEST_EXPECT_EQ(t, plat_cpu_start(0, top, smp_ktest_record, NULL), -EINVAL);
	KTEST_EXPECT_EQ(t, plat_cpu_start(plat_cpu_count(), top, smp_ktest_record, NULL), -EINVAL);
	if (!smp_ktest_several(t))
		return;
	KTEST_EXPECT_EQ(t, plat_cpu_start(1, top, smp_ktest_record, NULL), -EINVAL); /* running */
}

static const struct ktest_case gic_cases[] = {
    KTEST_CASE(gic_entry_with_nothing_pending_is_spurious),
    KTEST_CASE(gic_unhandled_interrupt_is_counted_and_masked),
    {0},
};
KTEST_SUITE(gic_suite, "aarch64_gic", gic_cases);

static const struct ktest_case smp_cases[] = {
    KTEST_CASE(smp_every_cpu_came_up),
    KTEST_CASE(smp_ipi_reaches_every_other_cpu),
    KTEST_CASE(smp_start_refuses_bad_cpus),
    {0},
};
KTEST_SUITE(smp_suite, "aarch64_smp", smp_cases);
