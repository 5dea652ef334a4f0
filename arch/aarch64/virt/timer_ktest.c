/* ktest: the generic timer as the platform's clock and one-shot timer, and the interrupt
 * path from its PPI through the GIC driver to a handler: ktest=aarch64_timer. The cases
 * claim the timer interrupt, so they skip once the kernel's own timer holds it. */
#include <amphi/arch.h>
#include <amphi/errno.h>
#include <amphi/irq.h>
#include <amphi/ktest.h>
#include <amphi/plat.h>

#include "sysreg.h"
#include "virt.h"

#define CNTV_CTL_ISTATUS (1u << 2)
#define MS 1000000ULL
#define WAIT_LIMIT_NS (5000ULL * MS) /* generous: TCG on a loaded host */

static struct {
	volatile unsigned fired;
	volatile uint64_t fired_at;
	volatile bool in_handler, masked;
} tk;

/* Records the time and context of the interrupt, then disarms (drops the level). */
static void timer_ktest_handler(unsigned irq, void *arg)
{
	(void)irq;
	(void)arg;
	tk.fired_at = plat_time_ns();
	tk.in_handler = irq_in_handler();
	tk.masked = !plat_irq_enabled();
	tk.fired++;
	plat_timer_set(UINT64_MAX);
}

/* Installs the test handler on the timer interrupt; false (the case skips) when there is no
 * interrupt controller or the kernel's timer holds the interrupt. */
static bool timer_ktest_claim(struct ktest *t)
{
	if (!irq_chip()) {
		ktest_skip(t, "no interrupt controller");
		return false;
	}
	int err = irq_register(plat_timer_irq(), "timer_ktest", timer_ktest_handler, NULL);
	if (err == -EBUSY) {
		ktest_skip(t, "the kernel's timer holds the timer interrupt");
		return false;
	}
	KTEST_EXPECT_EQ(t, err, 0);
	tk.fired = 0;
	tk.fired_at = 0;
	return err == 0;
}

/* Disarms the timer and removes the test handler. */
static void timer_ktest_release(void)
{
	plat_timer_set(UINT64_MAX);
	irq_unregister(plat_timer_irq());
}

/* With interrupts unmasked, spins until the handler ran n times or limit_ns passed; true
 * when it ran. */
static bool timer_ktest_wait(unsigned n, uint64_t limit_ns)
{
	uint64_t end = plat_time_ns() + limit_ns;
	irqflags_t flags = plat_irq_save();

	plat_irq_enable();
	while (tk.fired < n && plat_time_ns() < end)
		arch_cpu_relax();
	plat_irq_restore(flags);
	return tk.fired >= n;
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
	if (!timer_ktest_claim(t))
		return;
	uint64_t deadline = plat_time_ns() + 2 * MS;
	plat_timer_set(deadline);
	KTEST_EXPECT(t, timer_ktest_wait(1, WAIT_LIMIT_NS));
	KTEST_EXPECT(t, tk.fired_at >= deadline);
	KTEST_EXPECT(t, tk.in_handler);
	KTEST_EXPECT(t, tk.masked);
	KTEST_EXPECT_EQ(t, tk.fired, 1); /* the handler's disarm dropped the level */
	timer_ktest_release();
}

static void timer_past_deadline_fires_at_once(struct ktest *t)
{
	if (!timer_ktest_claim(t))
		return;
	plat_timer_set(0);
	KTEST_EXPECT(t, timer_ktest_wait(1, WAIT_LIMIT_NS));
	timer_ktest_release();
}

static void timer_rearm_replaces_deadline(struct ktest *t)
{
	if (!timer_ktest_claim(t))
		return;
	plat_timer_set(plat_time_ns() + 3600000 * MS); /* an hour: would outlast the wait */
	uint64_t deadline = plat_time_ns() + 1 * MS;
	plat_timer_set(deadline);
	KTEST_EXPECT(t, timer_ktest_wait(1, WAIT_LIMIT_NS));
	KTEST_EXPECT(t, tk.fired_at >= deadline);
	timer_ktest_release();
}

static void timer_disarm_stops_it(struct ktest *t)
{
	if (!timer_ktest_claim(t))
		return;
	plat_timer_set(plat_time_ns() + 1 * MS);
	plat_timer_set(UINT64_MAX);
	KTEST_EXPECT(t, !timer_ktest_wait(1, 20 * MS)); /* waits well past the old deadline */
	KTEST_EXPECT_EQ(t, tk.fired, 0);
	timer_ktest_release();
}

static void timer_idle_wakes_with_interrupts_masked(struct ktest *t)
{
	if (!timer_ktest_claim(t))
		return;
	irqflags_t flags = plat_irq_save();
	uint64_t deadline = plat_time_ns() + 1 * MS;
	plat_timer_set(deadline);
	do
		plat_cpu_idle(); /* a pending interrupt wakes it; other wakeups go round again */
	while (!(sysreg_read(cntv_ctl_el0) & CNTV_CTL_ISTATUS));
	KTEST_EXPECT(t, plat_time_ns() >= deadline);
	KTEST_EXPECT_EQ(t, tk.fired, 0); /* pending, not taken */
	KTEST_EXPECT(t, !plat_irq_enabled());
	plat_irq_restore(flags);
	KTEST_EXPECT(t, timer_ktest_wait(1, WAIT_LIMIT_NS)); /* taken once unmasked */
	timer_ktest_release();
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
