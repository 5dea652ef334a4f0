/* ktest: the generic timer as the platform's clock and one-shot timer: ktest=aarch64_timer.
 * The kernel's timer owns the timer interrupt, so each case works with interrupts masked,
 * watching the timer's own status (CNTV_CTL_EL0.ISTATUS), and hands the timer back with
 * time_reprogram() (or lets the kernel's handler take the interrupt it left pending). */
#include <amphi/arch.h>
#include <amphi/irq.h>
#include <amphi/ktest.h>
#include <amphi/plat.h>
#include <amphi/timer.h>

#include "sysreg.h"
#include "virt.h"

#define CNTV_CTL_ENABLE (1u << 0)
#define CNTV_CTL_IMASK (1u << 1)
#define CNTV_CTL_ISTATUS (1u << 2)
#define MS 1000000ULL
#define WAIT_LIMIT_NS (5000ULL * MS) /* generous: TCG on a loaded host */

/* True when this CPU's virtual timer has met its deadline. */
static bool timer_expired(void)
{
	isb();
	return sysreg_read(cntv_ctl_el0) & CNTV_CTL_ISTATUS;
}

/* True when this CPU's virtual timer can raise its interrupt. */
static bool timer_can_signal(void)
{
	uint64_t ctl = sysreg_read(cntv_ctl_el0);

	return (ctl & CNTV_CTL_ENABLE) && !(ctl & CNTV_CTL_IMASK);
}

/* Spins until the timer expired or limit_ns passed; true when it expired. */
static bool timer_wait_expired(uint64_t limit_ns)
{
	uint64_t end = plat_time_ns() + limit_ns;

	while (!timer_expired() && plat_time_ns() < end)
		arch_cpu_relax();
	return timer_expired();
}

/* Spins with interrupts as they are until *counter differs from before or limit_ns passed. */
static bool timer_wait_count(unsigned irq, uint64_t before, uint64_t limit_ns)
{
	uint64_t end = plat_time_ns() + limit_ns;

	while (irq_count(irq) == before && plat_time_ns() < end)
		arch_cpu_relax();
	return irq_count(irq) != before;
}

static void timer_time_is_monotonic(struct ktest *t)
{
	uint64_t first = plat_time_ns(), prev = first, now = first;

	for (int i = 0; i < 200000; i++) {
		now = plat_time_ns();
		if (now < prev) {
			KTEST_EXPECT(t, now >= prev);
			return;
		}
		prev = now;
	}
	KTEST_EXPECT(t, now > first);
}

static void timer_fires_at_or_after_deadline(struct ktest *t)
{
	irqflags_t flags = plat_irq_save();
	uint64_t deadline = plat_time_ns() + 2 * MS;
	uint64_t taken = irq_count(plat_timer_irq());

	plat_timer_set(deadline);
	KTEST_EXPECT(t, timer_can_signal());
	KTEST_EXPECT(t, timer_wait_expired(WAIT_LIMIT_NS));
	KTEST_EXPECT(t, plat_time_ns() >= deadline);
	plat_irq_restore(flags); /* the pending interrupt goes to the kernel's handler */
	KTEST_EXPECT(t, timer_wait_count(plat_timer_irq(), taken, WAIT_LIMIT_NS));
}

static void timer_past_deadline_fires_at_once(struct ktest *t)
{
	irqflags_t flags = plat_irq_save();

	plat_timer_set(0);
	KTEST_EXPECT(t, timer_expired());
	time_reprogram();
	plat_irq_restore(flags);
}

static void timer_rearm_replaces_deadline(struct ktest *t)
{
	irqflags_t flags = plat_irq_save();

	plat_timer_set(plat_time_ns() + 3600000 * MS); /* an hour: would outlast the wait */
	uint64_t deadline = plat_time_ns() + 1 * MS;
	plat_timer_set(deadline);
	KTEST_EXPECT(t, timer_wait_expired(WAIT_LIMIT_NS));
	KTEST_EXPECT(t, plat_time_ns() >= deadline);
	time_reprogram();
	plat_irq_restore(flags);
}

static void timer_disarm_stops_it(struct ktest *t)
{
	irqflags_t flags = plat_irq_save();
	uint64_t deadline = plat_time_ns() + 1 * MS;

	plat_timer_set(deadline);
	plat_timer_set(UINT64_MAX);
	while (plat_time_ns() < deadline + 2 * MS) /* well past the old deadline */
		arch_cpu_relax();
	KTEST_EXPECT(t, !timer_can_signal());
	time_reprogram();
	plat_irq_restore(flags);
}

static void timer_idle_wakes_with_interrupts_masked(struct ktest *t)
{
	irqflags_t flags = plat_irq_save();
	uint64_t deadline = plat_time_ns() + 1 * MS;

	plat_timer_set(deadline);
	do
		plat_cpu_idle(); /* a pending interrupt wakes it; others (IPIs) go round again */
	while (!timer_expired());
	KTEST_EXPECT(t, plat_time_ns() >= deadline);
	KTEST_EXPECT(t, !plat_irq_enabled());
	time_reprogram();
	plat_irq_restore(flags);
}

static void timer_irq_save_restore_nest(struct ktest *t)
{
	irqflags_t outer = plat_irq_save();
	KTEST_EXPECT(t, !plat_irq_enabled());
	plat_irq_enable();
	KTEST_EXPECT(t, plat_irq_enabled());
	irqflags_t inner = plat_irq_save();
	KTEST_EXPECT(t, !plat_irq_enabled());
	plat_irq_restore(inner);
	KTEST_EXPECT(t, plat_irq_enabled());
	plat_irq_disable();
	KTEST_EXPECT(t, !plat_irq_enabled());
	plat_irq_restore(outer);
	KTEST_EXPECT_EQ(t, sysreg_read(daif), outer);
}

static const struct ktest_case timer_cases[] = {
    KTEST_CASE(timer_time_is_monotonic),
    KTEST_CASE(timer_fires_at_or_after_deadline),
    KTEST_CASE(timer_past_deadline_fires_at_once),
    KTEST_CASE(timer_rearm_replaces_deadline),
    KTEST_CASE(timer_disarm_stops_it),
    KTEST_CASE(timer_idle_wakes_with_interrupts_masked),
    KTEST_CASE(timer_irq_save_restore_nest),
    {0},
};
KTEST_SUITE(timer_suite, "aarch64_timer", timer_cases);
