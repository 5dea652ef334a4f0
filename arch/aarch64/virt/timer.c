/* The Arm generic timer: the system counter (CNTVCT_EL0, the same on every CPU) is the
 * monotonic clock, and each CPU's EL1 virtual timer (CNTV_*) is its one-shot timer. The
 * virtual timer is the one EL1 owns whether the kernel entered at EL1 or EL2 (el2.S sets
 * CNTVOFF_EL2 to 0, so virtual and physical counts agree). */
#include <amphi/kprintf.h>
#include <amphi/panic.h>
#include <amphi/plat.h>

#include "sysreg.h"
#include "virt.h"

#define NS_PER_S 1000000000ULL
#define CNTV_CTL_ENABLE 1u
#define GIC_PPI_BASE 16
#define TIMER_DEFAULT_PPI 27  /* the virtual timer's INTID in the Server Base System Arch. */
#define TIMER_DT_VIRT_INDEX 2 /* "interrupts": secure phys, non-secure phys, virt, hyp */
#define GIC_DT_TYPE_PPI 1

static uint64_t timer_freq = 1; /* counts per second; 1 only until timer_init */
static uint64_t timer_boot_count;
static unsigned timer_ppi = TIMER_DEFAULT_PPI;

/* The virtual count, read after everything before it in program order. */
static uint64_t timer_count(void)
{
	isb();
	return sysreg_read(cntvct_el0);
}

/* floor(count * 1e9 / freq) without overflow: whole seconds, then the remainder (below
 * freq, so the product fits for any freq under 18 GHz). */
static uint64_t timer_count_to_ns(uint64_t count)
{
	return count / timer_freq * NS_PER_S + count % timer_freq * NS_PER_S / timer_freq;
}

/* ceil(ns * freq / 1e9), the first count whose time is at or after ns; UINT64_MAX when it
 * does not fit. */
static uint64_t timer_ns_to_count(uint64_t ns)
{
	uint64_t whole;

	if (__builtin_mul_overflow(ns / NS_PER_S, timer_freq, &whole))
		return UINT64_MAX;
	uint64_t part = (ns % NS_PER_S * timer_freq + NS_PER_S - 1) / NS_PER_S;
	return whole > UINT64_MAX - part ? UINT64_MAX : whole + part;
}

/* The virtual timer's INTID from the "arm,armv8-timer" node, or the usual 27 with a word
 * when the node does not give a PPI there. */
static unsigned timer_dt_ppi(const struct fdt *f, int node)
{
	const uint8_t *cells;
	uint32_t len;
	const unsigned at = TIMER_DT_VIRT_INDEX * 12;

	if (node >= 0 && !fdt_get_prop(f, node, "interrupts", (const void **)&cells, &len) &&
	    len >= at + 12 && fdt_be32(cells + at) == GIC_DT_TYPE_PPI &&
	    fdt_be32(cells + at + 4) < 16)
		return GIC_PPI_BASE + fdt_be32(cells + at + 4);
	kprintf("timer: no virtual-timer PPI in the device tree; using INTID %u\n",
		TIMER_DEFAULT_PPI);
	return TIMER_DEFAULT_PPI;
}

void timer_init(const struct fdt *f)
{
	int node = fdt_find_compatible(f, -1, "arm,armv8-timer");
	uint32_t dt_freq = 0;

	timer_ppi = timer_dt_ppi(f, node);
	/* "clock-frequency" overrides CNTFRQ_EL0 for firmware that left it unset. */
	if (node >= 0)
		fdt_get_u32(f, node, "clock-frequency", &dt_freq);
	timer_freq = dt_freq ? dt_freq : sysreg_read(cntfrq_el0);
	if (timer_freq == 0)
		panic("timer: CNTFRQ_EL0 is 0 and the device tree gives no clock-frequency");
	timer_boot_count = timer_count();
}

/* Nanoseconds since timer_init on the system counter. */
uint64_t plat_time_ns(void)
{
	return timer_count_to_ns(timer_count() - timer_boot_count);
}

/* Arms CNTV_CVAL_EL0 with the first count at or after deadline_ns; UINT64_MAX disables
 * the timer, which also drops its interrupt. */
void plat_timer_set(uint64_t deadline_ns)
{
	if (deadline_ns == UINT64_MAX) {
		sysreg_write(cntv_ctl_el0, 0);
		isb();
		return;
	}
	uint64_t count = timer_ns_to_count(deadline_ns);
	count = count > UINT64_MAX - timer_boot_count ? UINT64_MAX : count + timer_boot_count;
	sysreg_write(cntv_cval_el0, count);
	sysreg_write(cntv_ctl_el0, CNTV_CTL_ENABLE);
	isb();
}

/* The virtual timer's PPI. */
unsigned plat_timer_irq(void)
{
	return timer_ppi;
}

/* The system counter runs in real time. */
bool plat_time_is_virtual(void)
{
	return false;
}

/* The counter frequency in Hz, for the boot log. */
uint64_t timer_frequency(void)
{
	return timer_freq;
}
