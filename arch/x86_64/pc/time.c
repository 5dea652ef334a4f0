/*
 * Time on the PC: the monotonic clock is the TSC (one counter shared by all CPUs under
 * QEMU and on CPUs with an invariant TSC), scaled to nanoseconds since tsc_init. Its
 * frequency comes from CPUID leaf 0x15 or the hypervisor leaf 0x40000010 when they state it,
 * else from measuring the TSC against the PIT's channel 0 counter in several windows and
 * taking the median, so one window stretched by the host scheduling the emulator away cannot skew
 * it.
 */
#include <amphi/arch.h>
#include <amphi/kprintf.h>
#include <amphi/panic.h>
#include <amphi/plat.h>

#include "io.h"
#include "pc.h"

#define NS_PER_SEC 1000000000ULL
#define PIT_HZ 1193182ULL
#define PIT_CH0_DATA 0x40
#define PIT_COMMAND 0x43
#define PIT_CH0_RATE_LOHI 0x34 /* channel 0, low then high byte, mode 2 (rate), binary */
#define PIT_CH0_LATCH 0x00
#define PIT_POLL_LIMIT 1000000UL /* counter reads that may see no change before giving up */
#define PIT_WINDOWS 5
#define PIT_WINDOW_MS 10
#define CPUID_HYPERVISOR (1U << 31)
#define CPUID_INVARIANT_TSC (1U << 8)

static uint64_t tsc_hz;
static uint64_t tsc_base;      /* TSC value at monotonic time 0 */
static uint64_t ns_per_tick32; /* nanoseconds per TSC tick, 32.32 fixed point */

/* TSC frequency from CPUID 0x15 (crystal clock and TSC ratio), or 0. */
static uint64_t tsc_hz_from_cpuid15(void)
{
	if (cpuid(0, 0).eax < 0x15)
		return 0;
	struct cpuid_regs r = cpuid(0x15, 0);
	if (r.eax == 0 || r.ebx == 0 || r.ecx == 0)
		return 0;
	return (uint64_t)r.ecx * r.ebx / r.eax;
}

/* TSC frequency from the hypervisor timing leaf 0x40000010 (kHz in EAX), or 0. */
static uint64_t tsc_hz_from_hypervisor(void)
{
	if (!(cpuid(1, 0).ecx & CPUID_HYPERVISOR) || cpuid(0x40000000, 0).eax < 0x40000010)
		return 0;
	return (uint64_t)cpuid(0x40000010, 0).eax * 1000;
}

/* The PIT channel 0 counter, latched. */
static uint16_t pit_read_counter(void)
{
	io_out8(PIT_COMMAND, PIT_CH0_LATCH);
	uint8_t lo = io_in8(PIT_CH0_DATA);
	return (uint16_t)(lo | io_in8(PIT_CH0_DATA) << 8);
}

/* Measures the TSC across at least ms milliseconds of the PIT's channel 0, counting its
 * down-counter (period 65536) by polling. Returns the TSC frequency, or 0 when the PIT does
 * not count. Channel 0's interrupt line stays masked at the IOAPIC. */
uint64_t pit_measure_tsc(unsigned ms)
{
	uint64_t target = PIT_HZ * ms / 1000, elapsed = 0;
	unsigned long still = 0;

	io_out8(PIT_COMMAND, PIT_CH0_RATE_LOHI);
	io_out8(PIT_CH0_DATA, 0);
	io_out8(PIT_CH0_DATA, 0);
	uint16_t prev = pit_read_counter();
	uint64_t start = tsc_read();
	while (elapsed < target) {
		uint16_t now = pit_read_counter();
		if (now == prev && ++still == PIT_POLL_LIMIT)
			return 0;
		elapsed += (uint16_t)(prev - now);
		prev = now;
	}
	uint64_t end = tsc_read();
	return (uint64_t)(((unsigned __int128)(end - start) * PIT_HZ) / elapsed);
}

/* Sorts n values in place (n is tiny). */
static void sort_u64(uint64_t *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

/* TSC frequency as the median of PIT_WINDOWS measurements, or 0 without a PIT. */
static uint64_t tsc_hz_from_pit(void)
{
	uint64_t hz[PIT_WINDOWS];

	for (unsigned i = 0; i < PIT_WINDOWS; i++) {
		hz[i] = pit_measure_tsc(PIT_WINDOW_MS);
		if (hz[i] == 0)
			return 0;
	}
	sort_u64(hz, PIT_WINDOWS);
	return hz[PIT_WINDOWS / 2];
}

/* Picks the TSC frequency source; panics when none works (no clock, no timers). */
static uint64_t tsc_calibrate(const char **source)
{
	uint64_t hz;

	*source = "CPUID leaf 0x15";
	if ((hz = tsc_hz_from_cpuid15()))
		return hz;
	*source = "hypervisor CPUID leaf 0x40000010";
	if ((hz = tsc_hz_from_hypervisor()))
		return hz;
	*source = "PIT, median of 5 x 10 ms";
	if ((hz = tsc_hz_from_pit()))
		return hz;
	panic("tsc_init: no TSC frequency: CPUID gives none and the PIT does not count");
}

/* Calibrates the TSC (CPUID, hypervisor leaf, else the PIT) and logs the source. */
void tsc_init(void)
{
	const char *source;

	tsc_hz = tsc_calibrate(&source);
	ns_per_tick32 = (uint64_t)(((unsigned __int128)NS_PER_SEC << 32) / tsc_hz);
	tsc_base = tsc_read();
	bool invariant = cpuid(0x80000000, 0).eax >= 0x80000007 &&
			 (cpuid(0x80000007, 0).edx & CPUID_INVARIANT_TSC);
	kprintf("pc: clock: TSC at %llu kHz (%s)%s\n", (unsigned long long)(tsc_hz / 1000), source,
		invariant ? ", invariant" : ", not flagged invariant");
}

/* Nanoseconds since tsc_init on the TSC. */
uint64_t plat_time_ns(void)
{
	uint64_t ticks = tsc_read() - tsc_base;
	return (uint64_t)(((unsigned __int128)ticks * ns_per_tick32) >> 32);
}

/* TSC ticks for ns nanoseconds. */
uint64_t tsc_ticks_from_ns(uint64_t ns)
{
	return (uint64_t)(((unsigned __int128)ns * tsc_hz) / NS_PER_SEC);
}

/* The TSC value at monotonic time ns, rounded up a tick so plat_time_ns has reached ns
 * there (and at least 1: 0 disarms a TSC deadline). */
uint64_t tsc_at_ns(uint64_t ns)
{
	return MAX(tsc_base + tsc_ticks_from_ns(ns) + 1, 1);
}

/* Busy-waits for at least ns nanoseconds. */
void pc_delay_ns(uint64_t ns)
{
	uint64_t end = tsc_read() + tsc_ticks_from_ns(ns) + 1;

	while (tsc_read() < end)
		arch_cpu_relax();
}

/* Arms this CPU's one-shot timer (the LAPIC timer). */
void plat_timer_set(uint64_t deadline_ns)
{
	lapic_timer_arm(deadline_ns);
}

/* The LAPIC timer's vector. */
unsigned plat_timer_irq(void)
{
	return PC_VECTOR_TIMER;
}

/* The TSC is real time. */
bool plat_time_is_virtual(void)
{
	return false;
}
