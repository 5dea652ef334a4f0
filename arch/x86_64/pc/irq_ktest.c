/*
 * ktest: the PC's clock, LAPIC timer, IPIs to every CPU and an IOAPIC-routed device
 * interrupt, each checked against what the hardware (QEMU's model) really does. CPUs the
 * kernel has not started are started here on stacks of this file, running an idle loop.
 */
#include <amphi/arch.h>
#include <amphi/atomic.h>
#include <amphi/errno.h>
#include <amphi/irq.h>
#include <amphi/ktest.h>
#include <amphi/plat.h>
#include <amphi/timer.h>

#include "io.h"
#include "pc.h"

#define WAIT_NS (2 * 1000 * 1000 * 1000ULL) /* bound on every wait: never a timing claim */
#define TEST_APS_MAX 7
#define TEST_AP_STACK 8192
#define COM1 0x3f8
#define UART_IER 1
#define UART_IIR 2
#define UART_IER_THRE 0x02

static uint8_t test_ap_stacks[TEST_APS_MAX][TEST_AP_STACK] __attribute__((aligned(16)));
static uint32_t test_ap_apic_id[PLAT_MAX_CPUS];
static uint64_t hits[PLAT_MAX_CPUS];
static uint64_t timer_fired_at;

/* Waits, interrupts unmasked, up to WAIT_NS for *counter to reach at least want. */
static bool wait_for(const uint64_t *counter, uint64_t want)
{
	uint64_t end = plat_time_ns() + WAIT_NS;
	irqflags_t flags = plat_irq_save();

	plat_irq_enable();
	while (atomic_load(counter) < want && plat_time_ns() < end)
		arch_cpu_relax();
	plat_irq_restore(flags);
	return atomic_load(counter) >= want;
}

static void clock_is_monotonic_and_advances(struct ktest *t)
{
	uint64_t first = plat_time_ns(), prev = first;

	for (int i = 0; i < 100000; i++) {
		uint64_t now = plat_time_ns();
		if (now < prev) {
			ktest_fail(t, __FILE__, __LINE__, "clock went back from %llu to %llu ns",
				   (unsigned long long)prev, (unsigned long long)now);
			return;
		}
		prev = now;
	}
	KTEST_EXPECT(t, prev > first);
}

/* Timer callback: records when it ran and counts the run. */
static void timer_hit(struct ktimer *timer)
{
	(void)timer;
	timer_fired_at = plat_time_ns();
	atomic_fetch_add(&hits[plat_cpu_id()], 1);
}

/* Starts a kernel timer for deadline (through plat_timer_set and the LAPIC timer) and
 * checks it fires once, not before deadline. */
static void expect_fires_after(struct ktest *t, uint64_t deadline)
{
	static struct ktimer timer;
	uint64_t before = atomic_load(&hits[plat_cpu_id()]);

	ktimer_init(&timer, timer_hit);
	ktimer_start(&timer, deadline);
	KTEST_ASSERT(t, wait_for(&hits[plat_cpu_id()], before + 1));
	KTEST_EXPECT(t, timer_fired_at >= deadline);
}

static void timer_fires_at_or_after_deadline(struct ktest *t)
{
	expect_fires_after(t, plat_time_ns() + 3 * 1000 * 1000);
	expect_fires_after(t, plat_time_ns() + 20 * 1000);
	expect_fires_after(t, 0); /* already past: at once */
}

/* With interrupts masked, arms the timer 1 ms ahead, applies then, waits 5 ms and says
 * whether the LAPIC holds a timer request. *in_time says whether then was applied before
 * the first deadline passed: a virtual CPU the host stops for longer than that between
 * the two (a loaded host) has its first request latched already. */
static bool timer_requested_after(uint64_t then, bool *in_time)
{
	uint64_t first = plat_time_ns() + 1000 * 1000;

	plat_timer_set(first);
	plat_timer_set(then);
	*in_time = plat_time_ns() < first;
	pc_delay_ns(5 * 1000 * 1000);
	return lapic_pending(PC_VECTOR_TIMER);
}

/* Disarms the timer and lets a request latched before that be taken (the kernel's handler
 * may arm it again, so until none is left); returns with interrupts masked. */
static void timer_quiesce(void)
{
	do {
		plat_timer_set(UINT64_MAX);
		plat_irq_enable();
		arch_cpu_relax(); /* past sti's one-instruction shadow */
		plat_irq_disable();
		plat_timer_set(UINT64_MAX);
	} while (lapic_pending(PC_VECTOR_TIMER));
}

static void timer_disarms_with_uint64_max(struct ktest *t)
{
	irqflags_t flags = plat_irq_save();

	bool disarmed_requested = false, in_time = false, armed_in_time;
	/* a sample where the disarm came too late says nothing: take another */
	for (int tries = 0; tries < 20 && !in_time; tries++) {
		timer_quiesce();
		disarmed_requested = timer_requested_after(UINT64_MAX, &in_time);
	}
	bool armed_requested = timer_requested_after(plat_time_ns() + 500 * 1000, &armed_in_time);

	time_reprogram(); /* the kernel's own deadline again */
	plat_irq_restore(flags);
	KTEST_ASSERT(t, in_time); /* 20 samples, each stopped for over 1 ms: no answer */
	KTEST_EXPECT(t, !disarmed_requested);
	KTEST_EXPECT(t, armed_requested); /* the check sees a request when there is one */
}

/* Where CPUs started by this suite run: bring up the LAPIC, report, then idle. */
static void test_ap_entry(void *arg)
{
	(void)arg;
	irq_chip()->cpu_init();
	atomic_store_release(&test_ap_apic_id[plat_cpu_id()], lapic_id() + 1);
	for (;;)
		plat_cpu_idle();
}

/* Waits up to WAIT_NS for CPU cpu, started here, to report its APIC id (plus one). */
static uint32_t wait_ap_report(unsigned cpu)
{
	uint64_t end = plat_time_ns() + WAIT_NS;

	while (!atomic_load_acquire(&test_ap_apic_id[cpu]) && plat_time_ns() < end)
		arch_cpu_relax();
	return atomic_load_acquire(&test_ap_apic_id[cpu]);
}

static void cpus_start_and_know_their_ids(struct ktest *t)
{
	void *stack = test_ap_stacks[0] + TEST_AP_STACK;

	if (plat_cpu_count() == 1) {
		ktest_skip(t, "one CPU");
		return;
	}
	for (unsigned cpu = 1; cpu < plat_cpu_count() && cpu <= TEST_APS_MAX; cpu++) {
		if (atomic_load(&pc_cpus[cpu].online))
			continue; /* the kernel started it */
		KTEST_EXPECT_EQ(t,
				plat_cpu_start(cpu, test_ap_stacks[cpu - 1] + TEST_AP_STACK,
					       test_ap_entry, NULL),
				0);
		KTEST_EXPECT_EQ(t, wait_ap_report(cpu), pc_cpus[cpu].apic_id + 1);
	}
	KTEST_EXPECT_EQ(t, plat_cpu_start(1, stack, test_ap_entry, NULL), -EINVAL); /* running */
	KTEST_EXPECT_EQ(t, plat_cpu_start(0, stack, test_ap_entry, NULL), -EINVAL);
	KTEST_EXPECT_EQ(t, plat_cpu_start(plat_cpu_count(), stack, test_ap_entry, NULL), -EINVAL);
}

/* IPI handler: counts on the CPU that took it. */
static void ipi_hit(unsigned irq, void *arg)
{
	(void)irq;
	(void)arg;
	atomic_fetch_add(&hits[plat_cpu_id()], 1);
}

static void ipi_reaches_every_online_cpu(struct ktest *t)
{
	unsigned reached = 0;

	KTEST_ASSERT(t, irq_register(PC_VECTOR_TEST, "ktest ipi", ipi_hit, NULL) == 0);
	for (unsigned cpu = 0; cpu < plat_cpu_count(); cpu++) {
		if (!atomic_load(&pc_cpus[cpu].online))
			continue;
		uint64_t before = atomic_load(&hits[cpu]);
		lapic_send_vector(cpu, PC_VECTOR_TEST);
		if (wait_for(&hits[cpu], before + 1))
			reached++;
		else
			ktest_fail(t, __FILE__, __LINE__, "no IPI arrived at CPU %u", cpu);
	}
	irq_unregister(PC_VECTOR_TEST);
	KTEST_EXPECT(t, reached >= 1);
}

/* COM1 handler: reading IIR acknowledges the UART; then its interrupts go off again. */
static void com1_hit(unsigned irq, void *arg)
{
	(void)irq;
	(void)arg;
	io_in8(COM1 + UART_IIR);
	io_out8(COM1 + UART_IER, 0);
	atomic_fetch_add(&hits[plat_cpu_id()], 1);
}

static void ioapic_delivers_the_uart_interrupt(struct ktest *t)
{
	unsigned vector = ioapic_isa_vector(4);

	if (!vector) {
		ktest_skip(t, "no IOAPIC serves ISA IRQ 4");
		return;
	}
	KTEST_ASSERT(t, irq_register(vector, "ktest com1", com1_hit, NULL) == 0);
	uint64_t before = atomic_load(&hits[plat_cpu_id()]);
	irqflags_t flags = plat_irq_save();
	io_out8(COM1 + UART_IER, UART_IER_THRE); /* the transmitter is idle: it asks at once */
	plat_irq_restore(flags);
	KTEST_EXPECT(t, wait_for(&hits[plat_cpu_id()], before + 1));
	io_out8(COM1 + UART_IER, 0);
	irq_unregister(vector);
}

static const struct ktest_case pc_irq_cases[] = {
    KTEST_CASE(clock_is_monotonic_and_advances),
    KTEST_CASE(timer_fires_at_or_after_deadline),
    KTEST_CASE(timer_disarms_with_uint64_max),
    KTEST_CASE(cpus_start_and_know_their_ids),
    KTEST_CASE(ipi_reaches_every_online_cpu),
    KTEST_CASE(ioapic_delivers_the_uart_interrupt),
    {0},
};
KTEST_SUITE(pc_irq_suite, "pc_irq", pc_irq_cases);
